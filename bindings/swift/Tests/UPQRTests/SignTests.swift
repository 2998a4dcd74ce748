import Foundation
import UPQR
import XCTest

/// ACP signing and verification against the test PKI that `make` generates
/// in build/pki, and UnionPay's public test-environment files. Known answers
/// are computed independently with the openssl command line.
final class SignTests: XCTestCase {
    var pki: String { buildDir + "/pki/" }
    let upEnv = repoPath("../shared/vectors/unionpay-test-env") + "/"

    /// The PKI is made by `make` (scripts/gen-test-pki.sh); without it a test says it is skipped.
    func requirePKI() throws {
        try XCTSkipUnless(FileManager.default.fileExists(atPath: pki + "merchant.key"),
                          "test PKI not generated in \(pki) (make pki)")
    }

    func tempFile(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "upqr-swift-\(UUID().uuidString)"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func testFieldsAndWireFormats() throws {
        let fields = [ACPField("version", "5.1.0"), ACPField("memo", "成 +/"), ACPField("a", "x=y"),
                      ACPField("reqReserved", "{b=1&c=[2]}")]
        XCTAssertEqual(try ACP.stringToSign(fields), "a=x=y&memo=成 +/&reqReserved={b=1&c=[2]}&version=5.1.0")
        let form = try ACP.formEncode(fields)
        XCTAssertEqual(form, "version=5.1.0&memo=%E6%88%90%20%2B%2F&a=x%3Dy&reqReserved=%7Bb%3D1%26c%3D%5B2%5D%7D")
        XCTAssertEqual(try ACP.parseForm(form), fields)
        XCTAssertNoThrow(try ACP.checkUnambiguous(fields))
        // "a=1&b=2" could be two fields or one: refused everywhere, naming the field.
        let e = assertThrowsStatus("UPQR_EAMBIGUOUS", try ACP.checkUnambiguous([ACPField("a", "1&b=2")]))
        XCTAssertEqual(e?.diagnostics.first?.code, "ambiguous_field")
        assertThrowsStatus("UPQR_EAMBIGUOUS", try ACP.parseForm("a=1%26b%3D2"))
        XCTAssertEqual(try ACP.maskField(ACPField("accNo", "6222021234567890123")), "622202*********0123")
        XCTAssertEqual(try ACP.maskField(ACPField("orderId", "20240101123456789")), "20240101123456789")
        XCTAssertEqual(try ACP.parseResponse("{a=1&b={c=2&d=3}&e=}"),
                       [ACPField("a", "1"), ACPField("b", "{c=2&d=3}"), ACPField("e", "")])
        XCTAssertEqual(try ACP.maskPAN("6222021234567890123"), "622202*********0123")
    }

    func testRSAKnownAnswer() throws {
        try requirePKI()
        for (version, md) in [(ACP.Version.v5_1_0, "sha256"), (.v5_0_0, "sha1")] {
            let signer = try Signer(options: Signer.Options(
                version: version, key: .pem(keyPath: pki + "merchant.key", certificatePath: pki + "merchant.pem")))
            XCTAssertFalse(signer.certId.isEmpty)
            XCTAssertTrue(signer.certId.allSatisfy(\.isNumber))
            let fields = [ACPField("version", version == .v5_0_0 ? "5.0.0" : "5.1.0"), ACPField("txnAmt", "100"),
                          ACPField("backUrl", "https://m.example/n?a=1"), ACPField("certId", signer.certId),
                          ACPField("memo", "成 +/"), ACPField("accessType", "0")]
            let file = try tempFile(try ACP.stringToSign(fields))
            let want = try shell("openssl dgst -\(md) -r < \(file) | cut -d' ' -f1 | tr -d '\\n' | " +
                                 "openssl dgst -\(md) -sign \(pki)merchant.key | openssl base64 -A")
            XCTAssertEqual(try signer.sign(fields), want)
        }
    }

    func testSecureKeyKnownAnswerAndVerify() throws {
        try requirePKI()
        let key = Data("88888888".utf8)
        for (method, md, code) in [(ACP.SignMethod.sha256, "sha256", "11"), (.sm3, "sm3", "12")] {
            let signer: Signer
            do {
                signer = try Signer(options: Signer.Options(signMethod: method, secureKey: key))
            } catch UPQRError.unsupported {
                continue  // SM3 absent from this OpenSSL build; the C tests say so too
            }
            XCTAssertEqual(signer.certId, "")
            var fields = [ACPField("version", "5.1.0"), ACPField("signMethod", code),
                          ACPField("orderId", "20240101abc"), ACPField("memo", "a=c {x}")]
            let file = try tempFile(try ACP.stringToSign(fields))
            let want = try shell("k=$(printf %s 88888888 | openssl dgst -\(md) -r | cut -d' ' -f1); " +
                                 "{ cat \(file); printf '&%s' \"$k\"; } | openssl dgst -\(md) -r | cut -d' ' -f1")
            let sig = try signer.sign(fields)
            XCTAssertEqual(sig, want)

            fields.append(ACPField("signature", sig))
            let verifier = try Verifier(options: Verifier.Options(secureKey: key))
            XCTAssertNoThrow(try verifier.verify(fields))
            var tampered = fields
            tampered[2].value = "20240101abd"
            assertThrowsStatus("UPQR_ESIG_DIGEST", try verifier.verify(tampered))
            let other = try Verifier(options: Verifier.Options(secureKey: Data("88888889".utf8)))
            assertThrowsStatus("UPQR_ESIG_DIGEST", try other.verify(fields))
        }
    }

    /// A request signed with the test PKI's UnionPay signing key verifies as a
    /// 5.1.0 response does: certificate chain, subject and signature.
    func testCertificateChecks() throws {
        try requirePKI()
        let verifier = try Verifier(options: Verifier.Options(
            rootCertificatePath: pki + "root.pem", middleCertificatePath: pki + "middle.pem"))
        let pem = try String(contentsOfFile: pki + "upop_sign.pem", encoding: .utf8)
        XCTAssertNoThrow(try verifier.checkCertificate(pem: pem))
        XCTAssertEqual(verifier.cacheCount, 1)
        let expired = try String(contentsOfFile: pki + "upop_sign_expired.pem", encoding: .utf8)
        let e = assertThrowsStatus("UPQR_ECERT_EXPIRED", try verifier.checkCertificate(pem: expired))
        XCTAssertTrue(e?.message.contains("expired") ?? false, e?.message ?? "")
        let rogue = try String(contentsOfFile: pki + "rogue.pem", encoding: .utf8)
        assertThrowsStatus("UPQR_ECERT_UNTRUSTED", try verifier.checkCertificate(pem: rogue))
        assertThrowsStatus("UPQR_ECERT", try verifier.checkCertificate(pem: "not a certificate"))

        // Sign with the UnionPay test key, then verify as a gateway response.
        let signer = try Signer(options: Signer.Options(
            key: .pem(keyPath: pki + "upop_sign.key", certificatePath: pki + "upop_sign.pem")))
        var fields = [ACPField("version", "5.1.0"), ACPField("signMethod", "01"), ACPField("respCode", "00"),
                      ACPField("signPubKeyCert", pem), ACPField("orderId", "A1")]
        fields.append(ACPField("signature", try signer.sign(fields)))
        XCTAssertNoThrow(try verifier.verify(fields))
        fields[2].value = "01"
        assertThrowsStatus("UPQR_ESIG_DIGEST", try verifier.verify(fields))
        assertThrowsStatus("UPQR_ESIG_MISSING", try verifier.verify(Array(fields.dropLast())))
    }

    /// Signing with an expired certificate works but says so; a verifier
    /// configured for 5.1.0 only refuses a 5.0.0 message.
    func testWarningsAndAcceptedVersions() throws {
        try requirePKI()
        let expired = try Signer(options: Signer.Options(
            key: .pem(keyPath: pki + "upop_sign.key", certificatePath: pki + "upop_sign_expired.pem")))
        XCTAssertFalse(try expired.sign([ACPField("version", "5.1.0"), ACPField("certId", expired.certId)]).isEmpty)
        XCTAssertEqual(expired.warnings, .certificateExpired)
        let fresh = try Signer(options: Signer.Options(
            key: .pem(keyPath: pki + "merchant.key", certificatePath: pki + "merchant.pem")))
        _ = try fresh.sign([ACPField("version", "5.1.0"), ACPField("certId", fresh.certId)])
        XCTAssertEqual(fresh.warnings, [])

        let verifier = try Verifier(options: Verifier.Options(
            rootCertificatePath: pki + "root.pem", middleCertificatePath: pki + "middle.pem",
            acceptedVersions: [.v5_1_0]))
        let signer = try Signer(options: Signer.Options(version: .v5_0_0,
            key: .pem(keyPath: pki + "upop_sign.key", certificatePath: pki + "upop_sign.pem")))
        var fields = [ACPField("version", "5.0.0"), ACPField("signMethod", "01"), ACPField("certId", signer.certId)]
        fields.append(ACPField("signature", try signer.sign(fields)))
        assertThrowsStatus("UPQR_EUNSUPPORTED", try verifier.verify(fields))
    }

    func testUnionPayTestPFX() throws {
        let path = upEnv + "acp_test_sign.pfx"
        try XCTSkipUnless(FileManager.default.fileExists(atPath: path), "no UnionPay test vectors")
        let signer = try Signer(options: Signer.Options(key: .pkcs12File(path: path, password: "000000")))
        XCTAssertEqual(signer.certId, "69903319369")
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        XCTAssertEqual(try Signer(options: Signer.Options(key: .pkcs12(data, password: "000000"))).certId,
                       "69903319369")
        assertThrowsStatus("UPQR_EPASSWORD", try Signer(options: Signer.Options(key: .pkcs12(data, password: "000001"))))
    }

    func testEncryptDecryptRoundTrip() throws {
        try requirePKI()
        let signer = try Signer(options: Signer.Options(
            key: .pem(keyPath: pki + "merchant.key", certificatePath: pki + "merchant.pem"),
            encryptionCertificatePath: pki + "merchant.pem"))
        XCTAssertEqual(signer.encryptCertId, signer.certId)
        let secret = Data("6222021234567890123".utf8)
        let b64 = try signer.encrypt(secret)
        XCTAssertEqual(try signer.decrypt(b64), secret)
        assertThrowsStatus("UPQR_EBASE64", try signer.decrypt("not base64!"))
    }

    func testBadInputs() throws {
        try requirePKI()
        assertThrowsStatus("UPQR_EIO", try Signer(options: Signer.Options(
            key: .pem(keyPath: "/nonexistent.key", certificatePath: "/nonexistent.pem"))))
        assertThrowsStatus("UPQR_EINVAL", try Signer(options: Signer.Options()))
        assertThrowsStatus("UPQR_EINVAL", try Signer(options: Signer.Options(
            key: .pkcs12File(path: pki + "merchant.pfx", password: "x\u{0}y"))))
        assertThrowsStatus("UPQR_EINVAL", try Verifier(options: Verifier.Options(
            rootCertificatePath: pki + "root.pem\u{0}", middleCertificatePath: pki + "middle.pem")))
        assertThrowsStatus("UPQR_EINVAL", try Verifier(options: Verifier.Options()))
        assertThrowsStatus("UPQR_EIO", try Verifier(options: Verifier.Options(
            rootCertificatePath: "/nonexistent", middleCertificatePath: "/nonexistent")))
        let e = assertThrowsStatus("UPQR_EINVALID", try ACP.parseResponse("a=1&a=2"))
        XCTAssertFalse(e?.diagnostics.isEmpty ?? true)
        assertThrowsStatus("UPQR_EINVALID", try ACP.parseForm("a=%G1"))
        assertThrowsStatus("UPQR_EINVALID", try ACP.stringToSign([ACPField("a", "1"), ACPField("a", "2")]))
        let signer = try Signer(options: Signer.Options(
            key: .pem(keyPath: pki + "merchant.key", certificatePath: pki + "merchant.pem")))
        assertThrowsStatus("UPQR_EINVALID", try signer.buildRequest([ACPField("txnAmt", "")]))
        assertThrowsStatus("UPQR_ECERT_UNKNOWN", try signer.encrypt(Data("x".utf8)))
        XCTAssertTrue(try signer.buildRequest([ACPField("txnAmt", "1")]).contains("signature="))
        assertThrowsStatus("UPQR_EINVALID", try signer.sign([ACPField("a", "1"), ACPField("a", "2")]))
        assertThrowsStatus("UPQR_EBASE64", try signer.decrypt("AAA"))
        let verifier = try Verifier(options: Verifier.Options(
            rootCertificatePath: pki + "root.pem", middleCertificatePath: pki + "middle.pem"))
        assertThrowsStatus("UPQR_ESIG_MISSING", try verifier.verify([]))
        assertThrowsStatus("UPQR_EINVALID", try verifier.verify([ACPField("signature", "x")]))
    }
}
