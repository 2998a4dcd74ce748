import Foundation
import UPQR
import XCTest

final class CPMTests: XCTestCase {
    func hex(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        var i = s.startIndex
        while i < s.endIndex {
            let j = s.index(i, offsetBy: 2)
            out.append(UInt8(s[i..<j], radix: 16)!)
            i = j
        }
        return out
    }

    func profile() throws -> (CPMProfile, EMVKey) {
        let json = try String(contentsOfFile: repoPath("tests/data/cpm-profile.json"), encoding: .utf8)
        let (p, key) = try CPMProfile.parse(json: json)
        return (p, try XCTUnwrap(key))
    }

    /// The public vectors: well-formed ones decode (valid or with reader-rule
    /// diagnostics), broken ones are refused as base64/TLV errors.
    func testPublicVectors() throws {
        let rows = try tsvRows("tests/data/cpm-public.tsv")
        XCTAssertGreaterThanOrEqual(rows.count, 5)
        for row in rows {
            let text = try XCTUnwrap(row["payload_base64"]), src = row["source"] ?? "?"
            let p = try CPM.inspect(text)
            if row["structure_ok"] == "yes" {
                XCTAssertFalse(p.nodes.isEmpty, src)
                XCTAssertEqual(p.version, 1, src)
            } else {
                XCTAssertFalse(p.isValid, src)
                XCTAssertTrue(["UPQR_EBASE64", "UPQR_ETLV"].contains(p.error?.statusName ?? ""), "\(src): \(String(describing: p.error))")
            }
        }
        let b1 = try CPM.decode("hQVDUFYwMWEaTwegAAAAVVVVVw8SNFZ4kBI0WNGRIgESNF8=")
        XCTAssertEqual(b1.aid, hex("A0000000555555"))
        XCTAssertEqual(b1.maskedPAN, "123456******3458")
        XCTAssertEqual(b1.expiry, "1912")
        XCTAssertEqual(b1.serviceCode, "201")
        XCTAssertEqual(try b1.pan(), "1234567890123458")
        XCTAssertFalse(b1.maskedHex.contains("1234567890123458"))
        XCTAssertEqual(b1.nodes.map(\.tagHex), ["85", "61"])
        XCTAssertEqual(b1.nodes[1].children.first { $0.tag == 0x57 }?.value, [], "PAN bytes withheld")
    }

    /// upqr_cpm_generate's golden TDES code (ARQC recomputed independently
    /// in tests/data/cpm-generated.tsv): it verifies under the IMK, option A.
    func testGoldenARQC() throws {
        let rows = try tsvRows("tests/data/cpm-generated.tsv")
        let golden = try XCTUnwrap(rows.first { $0["name"] == "golden_tdes" }?["payload_base64"])
        let p = try CPM.decode(golden, options: CPM.Options(unionPayAIDs: true))
        XCTAssertEqual(p.aidName, "UnionPay Debit")
        XCTAssertEqual(p.label, "UnionPay Debit")
        let imk = try EMVKey(type: .tdes, bytes: hex("0123456789ABCDEFFEDCBA9876543210"))
        let info = try p.verify(key: imk, role: .issuerMasterKeyOptionA)
        XCTAssertEqual(info.arqc, hex("4E41660D40F28734"))
        XCTAssertEqual(info.atc, 1)
        XCTAssertEqual(info.cvn, .tdes)
        XCTAssertEqual(info.cvn.name, "upqr-a1")
        XCTAssertEqual(p.cvn, .tdes)
        XCTAssertTrue(p.cvnSupported)
        XCTAssertEqual(try p.value(tag: 0x9F26), hex("4E41660D40F28734"))
        // (Not the last bit: the low bit of each DES key byte is parity.)
        let wrong = try EMVKey(type: .tdes, bytes: hex("0123456789ABCDEFFEDCBA9876543212"))
        assertThrowsStatus("UPQR_EMISMATCH", try p.verify(key: wrong, role: .issuerMasterKeyOptionA))
    }

    /// Key check values, computed independently with `openssl enc -des-ede-ecb` / `-aes-128-ecb`
    /// over a zero block.
    func testKeyCheckValues() throws {
        XCTAssertEqual(try EMVKey(type: .tdes, bytes: hex("0123456789ABCDEFFEDCBA9876543210")).checkValue(),
                       hex("08D7B4"))
        XCTAssertEqual(try EMVKey(type: .aes128, bytes: hex("00112233445566778899AABBCCDDEEFF")).checkValue(),
                       hex("FDE4FB"))
    }

    func testGenerateAndVerify() throws {
        let (prof, key) = try profile()
        var atc: UInt16 = 41
        let txn = CPMTransaction(amount: 12345, unpredictableNumber: [1, 2, 3, 4], year: 2026, month: 12, day: 7)
        let code = try CPM.generate(profile: prof, key: key, atc: &atc, transaction: txn)
        XCTAssertEqual(atc, 42)
        let p = try CPM.decode(code, options: CPM.Options(unionPayAIDs: true))
        XCTAssertTrue(p.isValid)
        XCTAssertEqual(try p.pan(), "6250947000000014")
        XCTAssertEqual(p.maskedPAN, "625094******0014")
        XCTAssertEqual(p.psn, 0)
        let info = try p.verify(record: prof, key: key, role: .iccMasterKey)
        XCTAssertEqual(info.atc, 42)
        XCTAssertEqual(try p.verify(key: key, role: .iccMasterKey), info)
        // Another record (a different PAR) is a record mismatch naming the element.
        var other = prof
        other.par = "Q1Z2X3C4V5B6N7M8L9K0J1H2G3F4E"
        let e = assertThrowsStatus("UPQR_ERECORD", try p.verify(record: other, key: key, role: .iccMasterKey))
        XCTAssertEqual(e?.diagnostics.first?.code, "record_mismatch")
        XCTAssertEqual(e?.diagnostics.first?.path, "61.9F24")
        // Two codes never share an ATC.
        let second = try CPM.generate(profile: prof, key: key, atc: &atc)
        XCTAssertEqual(atc, 43)
        XCTAssertNotEqual(second, code)
    }

    /// A scheme cryptogram version (Visa CVN 18): generated from a profile in
    /// Swift, verified under the IMK by the option the CVN names.
    func testSchemeCVN() throws {
        let (base, _) = try profile()
        var visa = base
        visa.cvn = try XCTUnwrap(CPMProfile.CVN(name: "visa-18"))
        XCTAssertTrue(visa.cvn.isSupported)
        XCTAssertTrue(CPMProfile.CVN.all.contains(.tdes))
        let imk = try EMVKey(type: .tdes, bytes: hex("0123456789ABCDEFFEDCBA9876543210"))
        // The card's MK derived from the IMK as the issuer will, by the option Visa 18 names
        // (the JSON's own "mk_option" is A, for upqr-a1: dropped).
        let json = try String(contentsOfFile: repoPath("tests/data/cpm-profile.json"), encoding: .utf8)
            .replacingOccurrences(of: "\"cvn\": \"tdes\"", with: "\"cvn\": \"visa-18\"")
            .replacingOccurrences(of: ",\n  \"mk_option\": \"A\"", with: "")
            .replacingOccurrences(of: "A000000333010101", with: "A0000000031010")  // a Visa AID
        XCTAssertFalse(json.contains("mk_option"))
        let (parsed, mk) = try CPMProfile.parse(json: json)
        XCTAssertEqual(parsed.cvn, visa.cvn)
        var atc: UInt16 = 0
        let code = try CPM.generate(profile: parsed, key: try XCTUnwrap(mk), atc: &atc)
        let p = try CPM.decode(code)
        XCTAssertEqual(p.cvn?.name, "visa-18")
        XCTAssertEqual(try p.verify(key: imk, role: .issuerMasterKey).cvn.name, "visa-18")
        XCTAssertNoThrow(try p.verify(record: parsed, key: imk, role: .issuerMasterKey))
    }

    /// 10,000 decodes: resident memory settles (no leak per call).
    func testTenThousandDecodesStableMemory() throws {
        let text = "hQVDUFYwMWEaTwegAAAAVVVVVw8SNFZ4kBI0WNGRIgESNF8="
        for _ in 0..<500 { _ = try CPM.decode(text) }
        let before = residentKiB()
        var n = 0
        for _ in 0..<10_000 { n += try CPM.decode(text).maskedPAN.count }
        XCTAssertEqual(n, 10_000 * 16)
        XCTAssertLessThan(residentKiB() - before, 4096, "RSS grew by more than 4 MiB")
    }

    func testBadInputs() throws {
        assertThrowsStatus("UPQR_EBASE64", try CPM.decode("not base64!"))
        assertThrowsStatus("UPQR_EINVALID", try CPM.decode(""))
        assertThrowsStatus("UPQR_ETLV", try CPM.decode("hQVDUFYwMWETTwegAAAAVVVVUAhQcm9kdWN0MWETTwegAAAAZmZmUA=="))
        assertThrowsStatus("UPQR_ELIMIT", try CPM.decode(String(repeating: "A", count: 2048)))
        let e = assertThrowsStatus("UPQR_EINVALID", try CPM.decode("YQA="))
        XCTAssertFalse(e?.diagnostics.isEmpty ?? true)
        assertThrowsStatus("UPQR_EKEY", try EMVKey(type: .tdes, bytes: [1, 2, 3]))
        assertThrowsStatus("UPQR_EKEY", try EMVKey(type: .aes128, bytes: [UInt8](repeating: 0, count: 24)))
        assertThrowsStatus("UPQR_ELIMIT", try CPM.inspect(String(repeating: "A", count: 2048)))
        // A code without a card number (the public transit-ticket vector): pan() finds none.
        let ticket = try CPM.inspect("hQVDUFYwMWFWTwZRQ0FUMDFjTMEDExOIwgIBE8MEXXjctsQCA4TeNwIwNAIYWVJ7eVHnfrbLJQFJ/6IAaxpBUpfROqSKAhhAmG3AXbIjUIjbRZk4mCOjJIQuc6Y1s/0=")
        XCTAssertFalse(ticket.isValid)
        XCTAssertEqual(ticket.maskedPAN, "")
        assertThrowsStatus("UPQR_ENOTFOUND", try ticket.pan())
        let (prof, key) = try profile()
        var atc: UInt16 = 65535
        assertThrowsStatus("UPQR_ELIMIT", try CPM.generate(profile: prof, key: key, atc: &atc))
        XCTAssertEqual(atc, 65535, "a refused code consumes no ATC")
        atc = 1
        var bad = prof
        bad.pan = "12"
        assertThrowsStatus("UPQR_EINVAL", try CPM.generate(profile: bad, key: key, atc: &atc))
        XCTAssertEqual(atc, 1)
        assertThrowsStatus("UPQR_EINVAL", try CPM.generate(profile: prof, key: key, atc: &atc,
                                                            transaction: CPMTransaction(unpredictableNumber: [1])))
        let aes = try EMVKey(type: .aes128, bytes: [UInt8](repeating: 7, count: 16))
        assertThrowsStatus("UPQR_EKEY", try CPM.generate(profile: prof, key: aes, atc: &atc))
        assertThrowsStatus("UPQR_EINVALID", try CPMProfile.parse(json: "{\"nope\": 1}"))
        let b1 = try CPM.decode("hQVDUFYwMWEaTwegAAAAVVVVVw8SNFZ4kBI0WNGRIgESNF8=")
        assertThrowsStatus("UPQR_EINVAL", try b1.value(tag: 0x5A))
        // No cryptogram data at all ('9F10' missing): invalid for verification.
        assertThrowsStatus("UPQR_EINVALID", try b1.verify(key: key, role: .iccMasterKey))
    }
}
