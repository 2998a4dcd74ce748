import CUPQR
import Foundation

/// QR symbols for payment payloads (upqr/qr.h): byte mode, ECI 000026
/// exactly when a byte is outside 0x20..0x7E, the smallest version.
public enum QR {
    /// Error-correction level: about 7, 15, 25 and 30 % restorable.
    public enum ECC: Int, Sendable, CaseIterable {
        case L = 0, M = 1, Q = 2, H = 3
        var c: upqr_qr_ecc { upqr_qr_ecc(rawValue: UInt32(rawValue)) }
    }

    /// Terminal text theme, named after the terminal's background.
    public enum Theme: Int, Sendable { case light = 0, dark = 1 }

    /// Rendering options; the defaults are the library's.
    public struct Options: Sendable, Hashable {
        public var ecc: ECC = .M
        /// Pixels per module (1...64) for pixels, PNG and SVG size.
        public var scale: Int = 8
        /// Quiet zone in modules (4...64).
        public var margin: Int = 4
        public var theme: Theme = .light
        /// 8 or 1.
        public var pngBitDepth: Int = 8

        public init(ecc: ECC = .M, scale: Int = 8, margin: Int = 4, theme: Theme = .light,
                    pngBitDepth: Int = 8) {
            self.ecc = ecc
            self.scale = scale
            self.margin = margin
            self.theme = theme
            self.pngBitDepth = pngBitDepth
        }

        /// The C options; out-of-range numbers are passed as they are so the
        /// library refuses them with UPQR_EINVAL (clamped only to fit the C type).
        var c: upqr_qr_options {
            var o = upqr_qr_options()
            _ = upqr_qr_options_init(&o, UInt32(UPQR_QR_OPTIONS_VERSION))
            o.ecc = ecc.c
            o.scale = UInt32(clamping: scale)
            o.margin = UInt32(clamping: margin)
            o.theme = upqr_qr_theme(rawValue: UInt32(theme.rawValue))
            o.png_bit_depth = UInt32(clamping: pngBitDepth)
            return o
        }
    }

    /// What was encoded.
    public struct Info: Sendable, Hashable {
        /// Symbol version 1...40.
        public let version: Int
        /// Modules per side (17 + 4 * version).
        public let size: Int
        public let ecc: ECC
        /// True when the ECI 000026 (UTF-8) designator was added.
        public let eci: Bool

        init(_ i: upqr_qr_info) {
            version = Int(i.version)
            size = i.size
            ecc = ECC(rawValue: Int(i.ecc.rawValue)) ?? .M
            eci = i.eci != 0
        }
    }

    /// Encodes a payload into a module matrix (see `Code`).
    public static func encode(_ payload: String, options: Options = Options()) throws -> Code {
        try encode(bytes: Array(payload.utf8), options: options)
    }

    /// Encodes payload bytes (UTF-8 text) into a module matrix.
    public static func encode(bytes payload: [UInt8], options: Options = Options()) throws -> Code {
        var opts = options.c
        var info = upqr_qr_info()
        let modules = try withBytes(payload) { p, n in
            try sized(UInt8.self, onError: { UPQRError(status: $0) }) { out, cap, written in
                upqr_qr_encode(out, cap, &written, &info, &opts, p, n)
            }
        }
        return Code(info: Info(info), modules: modules)
    }

    /// A payload straight to PNG file bytes.
    public static func png(_ payload: String, options: Options = Options()) throws -> Data {
        try encode(payload, options: options).png(options: options)
    }

    /// A payload straight to an SVG document.
    public static func svg(_ payload: String, options: Options = Options()) throws -> String {
        try encode(payload, options: options).svg(options: options)
    }

    /// An encoded symbol: `size` x `size` modules, no quiet zone. Value type,
    /// holding its own copy of the matrix.
    public struct Code: Sendable, Hashable {
        public let info: Info
        /// modules[y * size + x] is 1 for dark, 0 for light.
        public let modules: [UInt8]
        public var size: Int { info.size }

        /// True when the module at column x, row y is dark.
        public subscript(x: Int, y: Int) -> Bool { modules[y * size + x] != 0 }

        /// Rows of booleans (true = dark), top to bottom.
        public var matrix: [[Bool]] {
            (0..<size).map { y in (0..<size).map { x in self[x, y] } }
        }

        private func render<T: FixedWidthInteger>(_: T.Type, extra: Int = 0, _ options: Options,
            _ f: (UnsafeMutablePointer<T>?, Int, UnsafeMutablePointer<Int>, UnsafePointer<upqr_qr_options>,
                  UnsafePointer<UInt8>, Int) -> Int32) throws -> [T] {
            var opts = options.c
            return try modules.withUnsafeBufferPointer { m in
                try sized(T.self, extra: extra, onError: { UPQRError(status: $0) }) { out, cap, written in
                    f(out, cap, &written, &opts, m.baseAddress!, size)
                }
            }
        }

        /// A complete PNG file (greyscale, 8-bit or 1-bit).
        public func png(options: Options = Options()) throws -> Data {
            Data(try render(UInt8.self, options, upqr_qr_png))
        }

        /// An SVG 1.1 document (one crisp-edged path).
        public func svg(options: Options = Options()) throws -> String {
            let chars = try render(CChar.self, extra: 1, options, upqr_qr_svg)
            return chars.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
        }

        /// UTF-8 half-block text for a terminal, one line per two module rows.
        public func text(options: Options = Options()) throws -> String {
            let chars = try render(CChar.self, extra: 1, options, upqr_qr_text)
            return chars.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
        }

        /// 8-bit grey pixels, row-major, 0 = dark, 255 = light, quiet zone included;
        /// `side` pixels per row and column.
        public func greyPixels(options: Options = Options()) throws -> (side: Int, pixels: [UInt8]) {
            let px = try render(UInt8.self, options, upqr_qr_pixels)
            var opts = options.c
            return (upqr_qr_image_side(size, &opts), px)
        }
    }
}
