import Foundation
import UPQR
import XCTest

final class ScannerTests: XCTestCase {
    let payload = "00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678520441115802CN5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京540523.7253031565502016233030412340603***0708A60086670902ME91320016A0112233449988770708123456786304A13A"

    func testRenderThenScanPNG() throws {
        let png = try QR.png(payload, options: QR.Options(scale: 4))
        let syms = try Scanner().scan(image: png)
        XCTAssertEqual(syms.count, 1)
        let s = try XCTUnwrap(syms.first)
        XCTAssertEqual(s.kind, .mpm)
        XCTAssertTrue(s.isValid, "\(s.diagnostics)")
        XCTAssertNil(s.error)
        XCTAssertEqual(s.text, payload)
        XCTAssertEqual(s.corners.count, 4)
        XCTAssertEqual(s.pass, "plain")
    }

    /// Grey pixels laid into padded rows, as a camera delivers them.
    func testGreyBGRAAndNV12Frames() throws {
        let code = try QR.encode(payload)
        let (side, grey) = try code.greyPixels(options: QR.Options(scale: 3))
        let scanner = try Scanner()

        let pad = 64  // bytes of row padding, as CoreVideo adds for alignment
        var greyRows = [UInt8](repeating: 0xAA, count: side * (side + pad))
        var bgra = [UInt8](repeating: 0x00, count: side * (4 * side + pad))
        for y in 0..<side {
            for x in 0..<side {
                let v = grey[y * side + x]
                greyRows[y * (side + pad) + x] = v
                let o = y * (4 * side + pad) + 4 * x
                bgra[o] = v; bgra[o + 1] = v; bgra[o + 2] = v; bgra[o + 3] = 0xFF
            }
        }
        let g = try scanner.scanGrey(greyRows, width: side, height: side, bytesPerRow: side + pad)
        XCTAssertEqual(g.first?.text, payload)
        let b = try scanner.scanBGRA(bgra, width: side, height: side, bytesPerRow: 4 * side + pad)
        XCTAssertEqual(b.first?.text, payload)
        XCTAssertTrue(b.first?.isValid ?? false)

        // NV12 in video range: luma 16 (black) .. 235 (white), then a CbCr plane of 128s.
        var nv12 = greyRows.map { UInt8(16 + Int($0) * 219 / 255) }
        nv12 += [UInt8](repeating: 128, count: (side + pad) * ((side + 1) / 2))
        let n = try scanner.scanNV12(nv12, width: side, height: side, lumaBytesPerRow: side + pad)
        XCTAssertEqual(n.first?.text, payload)

        // The raw-pointer form, as with CVPixelBufferGetBaseAddress.
        let r = try bgra.withUnsafeBytes { raw in
            try scanner.scanBGRA(baseAddress: raw.baseAddress!, width: side, height: side, bytesPerRow: 4 * side + pad)
        }
        XCTAssertEqual(r.first?.kind, .mpm)
    }

    /// Camera mode: a code held in view is reported once, again after reset(),
    /// on every frame with dedupFrames 0; a light-on-dark code is read within a few frames.
    func testCameraMode() throws {
        let code = try QR.encode(payload)
        let (side, grey) = try code.greyPixels(options: QR.Options(scale: 3))
        let camera = try Scanner(options: Scanner.Options(video: true))
        XCTAssertEqual(try camera.scanGrey(grey, width: side, height: side).first?.text, payload)
        for _ in 0..<5 {
            XCTAssertEqual(try camera.scanGrey(grey, width: side, height: side).count, 0)
        }
        try camera.reset()
        XCTAssertEqual(try camera.scanGrey(grey, width: side, height: side).count, 1)

        let every = try Scanner(options: Scanner.Options(video: true, dedupFrames: 0))
        for _ in 0..<3 {
            XCTAssertEqual(try every.scanGrey(grey, width: side, height: side).first?.text, payload)
        }

        // Inverted: the plain pass misses it; one further pass a frame finds the inverting one.
        let inverted = grey.map { 255 - $0 }
        let slow = try Scanner(options: Scanner.Options(maxPasses: 2, video: true))
        var frames = 0
        var read: [ScannedSymbol] = []
        while read.isEmpty && frames < 40 {
            read = try slow.scanGrey(inverted, width: side, height: side)
            frames += 1
        }
        XCTAssertEqual(read.first?.text, payload)
        XCTAssertEqual(read.first?.pass, "invert")
        XCTAssertEqual(frames, 1)

        XCTAssertThrowsError(try Scanner(options: Scanner.Options(video: true, frameBudgetUs: -1))) {
            XCTAssertEqual(($0 as? UPQRError)?.statusName, "UPQR_EINVAL")
        }
    }

    func testRepositoryImages() throws {
        let scanner = try Scanner()
        let bad = try scanner.scan(file: repoPath("tests/data/scan-mpm-badcrc.png"))
        let s = try XCTUnwrap(bad.first)
        XCTAssertEqual(s.kind, .mpm)
        XCTAssertFalse(s.isValid)
        if case .checksum(let f)? = s.error {
            XCTAssertTrue(f.diagnostics.contains { $0.code == "crc_mismatch" })
        } else {
            XCTFail("wanted .checksum, got \(String(describing: s.error))")
        }
        let url = try scanner.scan(image: Data(contentsOf: URL(fileURLWithPath: repoPath("tests/data/scan-url.jpg"))))
        XCTAssertEqual(url.first?.kind, .unionPayURL)
        XCTAssertEqual(url.first?.acquirer?.count, 8)
        XCTAssertNotNil(url.first?.id)
        XCTAssertEqual(try scanner.scan(file: repoPath("tests/data/scan-blank.png")), [])
    }

    /// A wallet's code on screen, read by the merchant's camera, verified by the issuer.
    func testGeneratedCPMThroughTheCamera() throws {
        let json = try String(contentsOfFile: repoPath("tests/data/cpm-profile.json"), encoding: .utf8)
        let (profile, key) = try CPMProfile.parse(json: json)
        var atc: UInt16 = 0
        let code = try CPM.generate(profile: profile, key: try XCTUnwrap(key), atc: &atc)
        let (side, grey) = try QR.encode(code).greyPixels(options: QR.Options(scale: 3))
        let syms = try Scanner().scanGrey(grey, width: side, height: side)
        let sym = try XCTUnwrap(syms.first)
        XCTAssertEqual(sym.kind, .cpm)
        XCTAssertTrue(sym.isValid)
        let cpm = try sym.cpm()
        XCTAssertNoThrow(try cpm.verify(record: profile, key: try XCTUnwrap(key), role: .iccMasterKey))
        assertThrowsStatus("UPQR_EINVAL", try sym.mpm())
        let mpmSym = try XCTUnwrap(try Scanner().scan(image: QR.png(payload)).first)
        XCTAssertEqual(try mpmSym.mpm().merchantName, "BEST TRANSPORT")
    }

    func testClassify() throws {
        let s = try ScannedSymbol.classify(Array(payload.utf8))
        XCTAssertEqual(s.kind, .mpm)
        XCTAssertTrue(s.isValid)
        XCTAssertEqual(s.corners, [])
        let empty = try ScannedSymbol.classify([])
        XCTAssertEqual(empty.kind, .other)
        XCTAssertFalse(empty.isValid)
        let badCRC = try ScannedSymbol.classify(Array((String(payload.dropLast(4)) + "0000").utf8))
        XCTAssertEqual(badCRC.kind, .mpm)
        XCTAssertEqual(badCRC.error?.statusName, "UPQR_ECHECKSUM")
        let other = try ScannedSymbol.classify(Array("hello".utf8))
        XCTAssertEqual(other.kind, .other)
        XCTAssertFalse(other.isValid)
    }

    func testBadInputs() throws {
        let scanner = try Scanner()
        assertThrowsStatus("UPQR_EIMAGE", try scanner.scan(image: Data([0x89, 0x50, 0x4E, 0x47, 1, 2, 3])))
        assertThrowsStatus("UPQR_EIMAGE", try scanner.scan(image: Data()))
        assertThrowsStatus("UPQR_EIO", try scanner.scan(file: "/nonexistent/x.png"))
        assertThrowsStatus("UPQR_EINVAL", try scanner.scan(file: repoPath("tests/data/scan-mpm.png") + "\u{0}.txt"))
        assertThrowsStatus("UPQR_EINVAL", try scanner.scanGrey([0, 0, 0], width: 4, height: 4))
        assertThrowsStatus("UPQR_EINVAL", try scanner.scanBGRA([0, 0, 0, 0], width: 2, height: 1, bytesPerRow: 4))
        assertThrowsStatus("UPQR_EINVAL", try scanner.scanNV12([0], width: -1, height: 1, lumaBytesPerRow: 1))
        assertThrowsStatus("UPQR_ELIMIT", try scanner.scanGrey([UInt8](repeating: 0, count: 20000 * 2),
                                                               width: 20000, height: 2))
        // The scanner still works after every refusal.
        XCTAssertEqual(try scanner.scan(image: QR.png("HELLO")).first?.text, "HELLO")
        // Options the library refuses.
        XCTAssertNoThrow(try Scanner(options: Scanner.Options(maxPasses: 4)))
    }
}
