import Foundation
import UPQR
import XCTest

final class MPMTests: XCTestCase {
    static let annexB = "00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678520441115802CN5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京540523.7253031565502016233030412340603***0708A60086670902ME91320016A0112233449988770708123456786304A13A"

    /// Every public vector: the verdict and exactly the listed diagnostic codes.
    func testPublicVectors() throws {
        let rows = try tsvRows("tests/data/mpm-public.tsv")
        XCTAssertGreaterThan(rows.count, 20)
        for row in rows {
            let payload = try XCTUnwrap(row["payload"]), src = row["source"] ?? "?"
            let want = Set((row["codes"] ?? "-") == "-" ? [] : row["codes"]!.split(separator: ",").map(String.init))
            let p = try MPM.inspect(payload)
            XCTAssertEqual(p.isValid, row["verdict"] == "valid", src)
            XCTAssertEqual(Set(p.diagnostics.map(\.code)), want, src)
            if row["verdict"] == "valid" {
                XCTAssertNoThrow(try MPM.decode(payload), src)
            } else {
                XCTAssertThrowsError(try MPM.decode(payload), src) { e in
                    XCTAssertEqual(Set((e as? UPQRError)?.diagnostics.map(\.code) ?? []), want, src)
                }
            }
        }
    }

    func testNamedFields() throws {
        let p = try MPM.decode(Self.annexB)
        XCTAssertTrue(p.isDynamic)
        XCTAssertEqual(p.initiation, .dynamic)
        XCTAssertEqual(p.merchantName, "BEST TRANSPORT")
        XCTAssertEqual(p.merchantCity, "BEIJING")
        XCTAssertEqual(p.mcc, "4111")
        XCTAssertEqual(p.country, "CN")
        XCTAssertEqual(p.currencyNumeric, 156)
        XCTAssertEqual(p.currencyAlpha, "CNY")
        XCTAssertEqual(p.currencyExponent, 2)
        XCTAssertEqual(p.amount, "23.72")
        XCTAssertEqual(p.amountMinor, 2372)
        XCTAssertEqual(p.tip, .prompt)
        XCTAssertEqual(p.languagePreference, "ZH")
        XCTAssertEqual(p.alternateMerchantName, "最佳运输")
        XCTAssertEqual(p.alternateMerchantCity, "北京")
        XCTAssertEqual(p.storeLabel, "1234")
        XCTAssertEqual(p.additional(6), "***")
        XCTAssertEqual(p.additional(9), "ME")
        XCTAssertEqual(p.crc, "A13A")
        XCTAssertEqual(p.crcComputed, 0xA13A)
        XCTAssertEqual(p.crcStated, 0xA13A)
        XCTAssertEqual(p.characters, 248)
        XCTAssertEqual(p.bytes.count, 260)
        XCTAssertEqual(p.accounts.map(\.id), [29, 31])
        XCTAssertEqual(p.accounts.first?.guid, "D15600000000")
        XCTAssertEqual(p.object(at: "62.07")?.value, "A6008667")
        XCTAssertEqual(p.object(at: "64")?.children.map(\.id), [0, 1, 2])
        XCTAssertEqual(p.objects.first?.offset, 0)
        XCTAssertEqual(p.text, Self.annexB)
        XCTAssertNil(p.error)
    }

    func testUnionPayProfileAndEncodeRoundTrip() throws {
        var f = MPMFields()
        f.initiation = .dynamic
        f.unionPayAcquirerIIN = "47980344"
        f.unionPayForwardingIIN = "00020344"
        f.unionPayMerchantID = "798034459990001"
        f.mcc = "5812"
        f.currency = 344
        f.amount = 12850
        f.country = "HK"
        f.merchantName = "NOODLE BAR"
        f.merchantCity = "Hong Kong"
        f.language = "ZH"
        f.alternateMerchantName = "麵館"
        f.additional[5] = "INV-1"
        let text = try MPM.encode(f, profile: .unionpay)
        XCTAssertTrue(text.hasPrefix("000201010212"))
        let p = try MPM.decode(text, profile: .unionpay)
        XCTAssertEqual(p.amount, "128.50")
        XCTAssertEqual(p.amountMinor, 12850)
        XCTAssertEqual(p.unionPayMerchantID, "798034459990001")
        XCTAssertEqual(p.unionPayAcquirerIIN, "47980344")
        XCTAssertEqual(p.referenceLabel, "INV-1")
        XCTAssertEqual(p.alternateMerchantName, "麵館")
        // Payload -> fields -> payload gives the same text back (ID 15 comes
        // back as account 15, the form the library reads it in).
        let back = try MPMFields(p, profile: .unionpay)
        XCTAssertEqual(back.accounts, [.primitive(15, "4798034400020344798034459990001")])
        XCTAssertEqual(back.merchantName, f.merchantName)
        XCTAssertEqual(back.additional, f.additional)
        XCTAssertEqual(try MPM.encode(back, profile: .unionpay), text)
    }

    /// Every valid public vector re-encodes to a payload that decodes to the same fields.
    func testVectorRoundTrips() throws {
        var n = 0
        for row in try tsvRows("tests/data/mpm-public.tsv") where row["verdict"] == "valid" {
            let p = try MPM.decode(row["payload"]!)
            let f = try MPMFields(p)
            let again = try MPM.decode(try MPM.encode(f))
            XCTAssertEqual(try MPMFields(again), f, row["source"] ?? "")
            XCTAssertEqual(again.merchantName, p.merchantName)
            XCTAssertEqual(again.amountMinor, p.amountMinor)
            n += 1
        }
        XCTAssertGreaterThanOrEqual(n, 10)
    }

    func testSetAmount() throws {
        let out = try MPM.setAmount(Self.annexB, minor: 99, profile: .emvco)
        let p = try MPM.decode(out)
        XCTAssertEqual(p.amount, "0.99")
        XCTAssertEqual(p.merchantName, "BEST TRANSPORT")
        XCTAssertEqual(try MPM.parseAmount("98.7", exponent: 2), 9870)
        XCTAssertEqual(try MPM.formatAmount(2372, exponent: 2), "23.72")
        XCTAssertEqual(MPM.currencyExponent(392), 0)
    }

    func testBadInputs() throws {
        // CRC only: .checksum, with the diagnostic.
        let badCRC = String(Self.annexB.dropLast(4)) + "A13B"
        do {
            _ = try MPM.decode(badCRC)
            XCTFail("bad CRC accepted")
        } catch UPQRError.checksum(let f) {
            XCTAssertEqual(f.diagnostics.map(\.code), ["crc_mismatch"])
            XCTAssertEqual(f.diagnostics.first?.path, "63")
            XCTAssertEqual(f.diagnostics.first?.severity, .error)
        }
        let p = try MPM.inspect(badCRC)
        XCTAssertFalse(p.isValid)
        XCTAssertEqual(p.merchantName, "BEST TRANSPORT", "inspect keeps what was decoded")
        assertThrowsStatus("UPQR_EINVALID", try MPM.decode(""))
        assertThrowsStatus("UPQR_EINVALID", try MPM.decode("hello"))
        // Raw bytes that are not UTF-8 (a scanned symbol's) are a diagnostic, not a crash.
        var bytes = Array(Self.annexB.utf8)
        bytes[60] = 0xFF
        let bad = assertThrowsStatus("UPQR_EINVALID", try MPM.decode(bytes: bytes))
        XCTAssertTrue(bad?.diagnostics.contains { $0.code == "bad_utf8" } ?? false, "\(String(describing: bad))")
        assertThrowsStatus("UPQR_ELIMIT", try MPM.decode(String(repeating: "0", count: 40001)))
        assertThrowsStatus("UPQR_EINVALID", try MPM.setAmount(badCRC, minor: 1))
        let neg = assertThrowsStatus("UPQR_EINVALID", try MPM.setAmount(Self.annexB, minor: -1))
        XCTAssertEqual(neg?.diagnostics.first?.path, "54")
        var f = MPMFields()
        f.merchantName = "X"
        let e = assertThrowsStatus("UPQR_EINVALID", try MPM.encode(f))
        XCTAssertTrue(e?.diagnostics.contains { $0.code == "missing_mandatory" } ?? false, "\(String(describing: e))")
        f.merchantName = "A\u{0}B"
        assertThrowsStatus("UPQR_EINVAL", try MPM.encode(f))
        f.merchantName = "X"
        f.additional[12] = "no such sub-ID"
        assertThrowsStatus("UPQR_EINVAL", try MPM.encode(f))
        assertThrowsStatus("UPQR_EINVALID", try MPMFields(MPM.inspect(badCRC)))
        assertThrowsStatus("UPQR_EINVALID", try MPM.parseAmount("1.2.3", exponent: 2))
        assertThrowsStatus("UPQR_EINVAL", try MPM.formatAmount(1, exponent: 9))
    }

    /// 10,000 decodes: resident memory settles (no leak per call).
    func testTenThousandDecodesStableMemory() throws {
        for _ in 0..<500 { _ = try MPM.decode(Self.annexB) }
        let before = residentKiB()
        var names = 0
        for _ in 0..<10_000 {
            let p = try MPM.decode(Self.annexB)
            names += p.merchantName?.count ?? 0
        }
        let after = residentKiB()
        XCTAssertEqual(names, 10_000 * 14)
        // A leak of the 30 KiB work area per call would be ~300 MiB; allow 4 MiB of noise.
        XCTAssertLessThan(after - before, 4096, "RSS grew from \(before) to \(after) KiB")
    }
}
