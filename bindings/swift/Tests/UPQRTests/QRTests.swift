import Foundation
import UPQR
import XCTest

final class QRTests: XCTestCase {
    let payload = "00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678520441115802CN5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京540523.7253031565502016233030412340603***0708A60086670902ME91320016A0112233449988770708123456786304A13A"

    func testEncodeMatrix() throws {
        let code = try QR.encode(payload)
        XCTAssertEqual(code.size, 17 + 4 * code.info.version)
        XCTAssertEqual(code.modules.count, code.size * code.size)
        XCTAssertTrue(code.info.eci, "UTF-8 Chinese text needs ECI 000026")
        XCTAssertEqual(code.info.ecc, .M)
        // Finder pattern: the top-left 7x7 ring is dark, the ring inside it light.
        XCTAssertTrue(code[0, 0] && code[6, 0] && code[0, 6] && code[6, 6])
        XCTAssertFalse(code[1, 1])
        XCTAssertTrue(code[3, 3])
        XCTAssertEqual(code.matrix.count, code.size)
        XCTAssertFalse(try QR.encode("ASCII ONLY").info.eci)
    }

    func testHigherLevelNeedsNoSmallerSymbol() throws {
        let l = try QR.encode(payload, options: QR.Options(ecc: .L))
        let h = try QR.encode(payload, options: QR.Options(ecc: .H))
        XCTAssertEqual(h.info.ecc, .H)
        XCTAssertGreaterThan(h.info.version, l.info.version)
    }

    func testPNGAndSVG() throws {
        let png = try QR.png(payload)
        XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        let svg = try QR.svg(payload, options: QR.Options(scale: 4))
        XCTAssertTrue(svg.hasPrefix("<?xml") || svg.hasPrefix("<svg"), String(svg.prefix(40)))
        XCTAssertTrue(svg.contains("crispEdges"))
        XCTAssertFalse(svg.contains("\0"))
        let code = try QR.encode(payload)
        let side = (code.size + 8) * 4
        XCTAssertTrue(svg.contains("width=\"\(side)\""), "SVG is \(side) pixels wide")
        let onebit = try code.png(options: QR.Options(pngBitDepth: 1))
        XCTAssertLessThan(onebit.count, png.count)
    }

    func testPixelsAndText() throws {
        let code = try QR.encode("HELLO")
        let opts = QR.Options(scale: 2, margin: 4)
        let (side, px) = try code.greyPixels(options: opts)
        XCTAssertEqual(side, (code.size + 8) * 2)
        XCTAssertEqual(px.count, side * side)
        XCTAssertEqual(px[0], 255, "quiet zone is light")
        XCTAssertEqual(px[8 * side + 8], 0, "first module of the finder is dark")
        let text = try code.text()
        XCTAssertEqual(text.split(separator: "\n").count, (code.size + 8 + 1) / 2)
    }

    func testBadInputs() throws {
        assertThrowsStatus("UPQR_EINVAL", try QR.encode(""))
        assertThrowsStatus("UPQR_EENCODING", try QR.encode(bytes: [0x41, 0xFF, 0x42]))
        assertThrowsStatus("UPQR_ETOOLARGE", try QR.encode(String(repeating: "A", count: 5000)))
        let code = try QR.encode("HELLO")
        assertThrowsStatus("UPQR_EINVAL", try code.png(options: QR.Options(scale: 0)))
        assertThrowsStatus("UPQR_EINVAL", try code.svg(options: QR.Options(margin: 3)))
        assertThrowsStatus("UPQR_EINVAL", try code.png(options: QR.Options(pngBitDepth: 4)))
        assertThrowsStatus("UPQR_EINVAL", try code.text(options: QR.Options(margin: 65)))
        assertThrowsStatus("UPQR_EINVAL", try QR.png("HELLO", options: QR.Options(margin: 0)))
        assertThrowsStatus("UPQR_EINVAL", try QR.svg("", options: QR.Options()))
        let e = assertThrowsStatus("UPQR_EINVAL", try code.greyPixels(options: QR.Options(scale: 65)))
        XCTAssertEqual(e?.status, -1)
        XCTAssertFalse(e?.message.isEmpty ?? true)
    }
}
