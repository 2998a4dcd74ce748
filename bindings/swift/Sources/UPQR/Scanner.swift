import CUPQR
import Foundation

/// One QR symbol found in an image, copied out of the scanner: it stays
/// valid after the scanner is freed or scans again.
public struct ScannedSymbol: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case other, mpm, cpm, unionPayURL = "unionpay-url"
    }

    public struct Point: Sendable, Hashable {
        public let x: Int
        public let y: Int
    }

    /// The symbol's bytes exactly as encoded.
    public let bytes: [UInt8]
    public let kind: Kind
    /// True for a payment code that passed every check (never for `.other`).
    public let isValid: Bool
    /// Why it failed (e.g. `.checksum` when only the CRC is wrong); nil when valid
    /// or when the kind is `.other`.
    public let error: UPQRError?
    public let diagnostics: [Diagnostic]
    /// The outline in image coordinates (normally 4 points; none for `classify`).
    public let corners: [Point]
    /// The scan pass that read it ("plain", "invert", "binarize", ...).
    public let pass: String
    /// For `.unionPayURL`: the 8-digit acquirer and the code's ID.
    public let acquirer: String?
    public let id: String?

    /// The bytes as text when they are valid UTF-8. A CPM carries the card
    /// number: mask before showing it.
    public var text: String? { String(validating: bytes, as: UTF8.self) }

    init(_ s: upqr_scan_symbol) {
        bytes = s.len == 0 ? [] : Array(UnsafeBufferPointer(start: s.data, count: s.len))
        kind = Kind(rawValue: String(cString: upqr_scan_kind_name(s.kind))) ?? .other
        isValid = s.valid != 0
        var diags: [Diagnostic] = []
        for i in 0..<s.diags.count { diags.append(Diagnostic(s.diags.items[i])) }
        diagnostics = diags
        if s.status != UPQR_OK.rawValue && !isValid && kind != .other {
            error = UPQRError(status: s.status, message: nil, copied: diags, dropped: s.diags.dropped)
        } else {
            error = nil
        }
        corners = withUnsafeBytes(of: s.corners) { raw in
            let pts = raw.bindMemory(to: upqr_scan_point.self)
            return (0..<min(s.corner_count, pts.count)).map { Point(x: Int(pts[$0].x), y: Int(pts[$0].y)) }
        }
        pass = s.pass.map { String(cString: $0) } ?? ""
        func view(_ p: UnsafePointer<CChar>?, _ n: Int) -> String? {
            guard let p else { return nil }
            return p.withMemoryRebound(to: UInt8.self, capacity: n) {
                String(decoding: UnsafeBufferPointer(start: $0, count: n), as: UTF8.self)
            }
        }
        acquirer = view(s.acquirer, s.acquirer_len)
        id = view(s.id, s.id_len)
    }

    /// Classifies and validates a payload without an image, exactly as a scan
    /// would (MPM under the EMVCo rules, or UnionPay's with `unionPay`).
    public static func classify(_ bytes: [UInt8], unionPay: Bool = false) throws -> ScannedSymbol {
        let cap = Int(UPQR_SCAN_DIAG_MAX)
        let storage = UnsafeMutablePointer<upqr_diag>.allocate(capacity: cap)
        storage.initialize(repeating: upqr_diag(), count: cap)
        defer { storage.deinitialize(count: cap); storage.deallocate() }
        var sym = upqr_scan_symbol()
        let profile = unionPay ? upqr_mpm_profile_unionpay() : upqr_mpm_profile_emvco()
        return try withBytes(bytes) { p, n in
            try check(upqr_scan_classify(&sym, storage, cap, profile, p, n))
            // sym.data points at `bytes`, which is alive here: copy now.
            return ScannedSymbol(sym)
        }
    }
}

extension UPQRError {
    init(status: Int32, message: String?, copied: [Diagnostic], dropped: Int) {
        let f = Failure(status: status, message: message ?? String(cString: upqr_strerror(status)),
                        diagnostics: copied, dropped: dropped)
        self = UPQRError(failure: f)
    }
}

/// Reads QR payment codes from images and camera frames (upqr/scan.h, ZBar).
///
/// A scanner is used by one thread at a time (it is not Sendable); create one
/// per camera queue. Results are copied out, so they may cross threads.
///
/// Camera frames are passed the way iOS delivers them in a CVPixelBuffer,
/// locked with CVPixelBufferLockBaseAddress(.readOnly):
/// - kCVPixelFormatType_32BGRA: `scanBGRA(baseAddress:width:height:bytesPerRow:)`
///   with CVPixelBufferGetBaseAddress, ...GetWidth, ...GetHeight, ...GetBytesPerRow.
/// - kCVPixelFormatType_420YpCbCr8BiPlanarFullRange / VideoRange (NV12: plane 0
///   is luma, plane 1 interleaved CbCr at half size): `scanNV12(lumaBaseAddress:width:height:lumaBytesPerRow:)`
///   with CVPixelBufferGetBaseAddressOfPlane(pb, 0) and ...GetBytesPerRowOfPlane(pb, 0).
///   Only the luma plane is read; in video range, black is 16 and white 235,
///   which the scanner's passes handle.
/// Rows may be padded (bytesPerRow > width * bytes per pixel); the pointer
/// only has to be valid for the duration of the call.
public final class Scanner {
    public struct Options: Sendable, Hashable {
        /// Pixel budget; 0 means the library's default (8 Mi pixels: a 4K frame); at most 16 Mi.
        /// A larger image throws `.limit`.
        public var maxPixels: Int = 0
        /// When the plain pass finds no valid payment code, run further passes.
        public var tryHarder: Bool = true
        /// Run every pass and collect every distinct symbol (slow; for tools).
        public var exhaustive: Bool = false
        /// Most passes per scan (0 = all); in camera mode, most passes per frame
        /// (0 = as many as `frameBudgetUs` allows).
        public var maxPasses: Int = 0
        /// Check MPM payloads under UnionPay's rules instead of EMVCo's.
        public var unionPay: Bool = false
        /// Camera mode, for a live stream of frames from one camera: each frame
        /// costs one plain ZBar pass plus at most `frameBudgetUs` of further
        /// passes, spread over successive frames; a code in view is reported
        /// once (see `dedupFrames`); a warm stream allocates nothing per frame.
        public var video: Bool = false
        /// Camera mode's budget beyond one ZBar pass, in the scanning thread's
        /// processor time (µs); 0 = the library's default (at least 8 ms, more on
        /// large frames, or what the plain pass leaves of a 60 fps frame).
        public var frameBudgetUs: Int = 0
        /// Camera mode: a code seen in one of the last `dedupFrames` frames is
        /// not reported again; 0 reports it on every frame.
        public var dedupFrames: Int = Int(UPQR_SCAN_VIDEO_DEDUP_FRAMES)

        public init(maxPixels: Int = 0, tryHarder: Bool = true, exhaustive: Bool = false,
                    maxPasses: Int = 0, unionPay: Bool = false, video: Bool = false,
                    frameBudgetUs: Int = 0, dedupFrames: Int = Int(UPQR_SCAN_VIDEO_DEDUP_FRAMES)) {
            self.maxPixels = maxPixels
            self.tryHarder = tryHarder
            self.exhaustive = exhaustive
            self.maxPasses = maxPasses
            self.unionPay = unionPay
            self.video = video
            self.frameBudgetUs = frameBudgetUs
            self.dedupFrames = dedupFrames
        }
    }

    private let handle: OpaquePointer

    public init(options: Options = Options()) throws {
        var o = upqr_scan_options()
        try check(upqr_scan_options_init(&o, UInt32(UPQR_SCAN_OPTIONS_VERSION)))
        o.max_pixels = options.maxPixels
        o.try_harder = options.tryHarder ? 1 : 0
        o.exhaustive = options.exhaustive ? 1 : 0
        o.max_passes = UInt32(clamping: options.maxPasses)
        o.mpm_profile = options.unionPay ? upqr_mpm_profile_unionpay() : upqr_mpm_profile_emvco()
        guard options.frameBudgetUs >= 0, options.dedupFrames >= 0 else {
            throw UPQRError(status: UPQR_EINVAL.rawValue, message: "frameBudgetUs and dedupFrames must not be negative")
        }
        o.video = options.video ? 1 : 0
        o.frame_budget_us = UInt32(clamping: options.frameBudgetUs)
        o.dedup_frames = UInt32(clamping: options.dedupFrames)
        var h: OpaquePointer?
        try check(upqr_scanner_new(&h, &o))
        guard let h else { throw UPQRError(status: UPQR_EINTERNAL.rawValue) }
        handle = h
    }

    deinit { upqr_scanner_free(handle) }

    /// Camera mode: forgets the frames seen (a new scan session; codes still in
    /// view are reported again). Buffers and cost measurements stay.
    public func reset() throws {
        try check(upqr_scanner_reset(handle))
    }

    /// Runs one scan call and copies its symbols out. No symbol is an empty
    /// array, not an error: a camera loop sees that on most frames.
    private func run(_ call: (UnsafeMutablePointer<Int>) -> Int32) throws -> [ScannedSymbol] {
        var count = 0
        let rc = call(&count)
        if rc == UPQR_ENOSYMBOL.rawValue { return [] }
        try check(rc, message: String(cString: upqr_scanner_last_error(handle)))
        return (0..<count).compactMap { upqr_scanner_symbol(handle, $0).map { ScannedSymbol($0.pointee) } }
    }

    /// A PNG or JPEG image in memory.
    public func scan(image: Data) throws -> [ScannedSymbol] {
        try withBytes(image) { p, n in try run { upqr_scan_image($0, handle, p, n) } }
    }

    /// A PNG or JPEG file.
    public func scan(file path: String) throws -> [ScannedSymbol] {
        try refuseNUL(path, "path")
        return try run { upqr_scan_file($0, handle, path) }
    }

    /// An 8-bit grey frame: row y starts at y * bytesPerRow.
    public func scanGrey(_ pixels: [UInt8], width: Int, height: Int, bytesPerRow: Int? = nil) throws -> [ScannedSymbol] {
        try withBytes(pixels) { p, n in
            try scanGrey(baseAddress: UnsafeRawPointer(p), length: n, width: width, height: height,
                         bytesPerRow: bytesPerRow ?? width)
        }
    }

    /// An 8-bit grey frame at a raw address; `length` bytes are readable there.
    public func scanGrey(baseAddress: UnsafeRawPointer, length: Int, width: Int, height: Int,
                         bytesPerRow: Int) throws -> [ScannedSymbol] {
        let (w, h) = try dims(width, height)
        return try run { upqr_scan_grey($0, handle, baseAddress.assumingMemoryBound(to: UInt8.self),
                                        length, w, h, bytesPerRow) }
    }

    /// A kCVPixelFormatType_32BGRA frame (4 bytes per pixel, alpha ignored).
    /// `length` defaults to the bytes the frame spans: (height - 1) * bytesPerRow + 4 * width.
    public func scanBGRA(baseAddress: UnsafeRawPointer, width: Int, height: Int, bytesPerRow: Int,
                         length: Int? = nil) throws -> [ScannedSymbol] {
        let (w, h) = try dims(width, height)
        let len = try length ?? span(height, bytesPerRow, 4 * width)
        return try run { upqr_scan_bgra($0, handle, baseAddress.assumingMemoryBound(to: UInt8.self),
                                        len, w, h, bytesPerRow) }
    }

    /// The same from bytes (tests, frames copied out of a capture session).
    public func scanBGRA(_ frame: [UInt8], width: Int, height: Int, bytesPerRow: Int) throws -> [ScannedSymbol] {
        try withBytes(frame) { p, n in
            try scanBGRA(baseAddress: UnsafeRawPointer(p), width: width, height: height,
                         bytesPerRow: bytesPerRow, length: n)
        }
    }

    /// An NV12 (420YpCbCr8BiPlanar, full or video range) frame: plane 0, the
    /// luma plane, is all that is read. `length` defaults to the bytes the
    /// plane spans: (height - 1) * lumaBytesPerRow + width.
    public func scanNV12(lumaBaseAddress: UnsafeRawPointer, width: Int, height: Int,
                         lumaBytesPerRow: Int, length: Int? = nil) throws -> [ScannedSymbol] {
        let len = try length ?? span(height, lumaBytesPerRow, width)
        return try scanGrey(baseAddress: lumaBaseAddress, length: len, width: width, height: height,
                            bytesPerRow: lumaBytesPerRow)
    }

    /// The same from bytes: `frame` holds the luma plane (and may hold the chroma plane after it).
    public func scanNV12(_ frame: [UInt8], width: Int, height: Int, lumaBytesPerRow: Int) throws -> [ScannedSymbol] {
        try withBytes(frame) { p, n in
            try scanNV12(lumaBaseAddress: UnsafeRawPointer(p), width: width, height: height,
                         lumaBytesPerRow: lumaBytesPerRow, length: n)
        }
    }

    private func dims(_ width: Int, _ height: Int) throws -> (UInt32, UInt32) {
        guard let w = UInt32(exactly: width), let h = UInt32(exactly: height) else {
            throw UPQRError(status: UPQR_EINVAL.rawValue, message: "frame size \(width) x \(height) out of range")
        }
        return (w, h)
    }

    private func span(_ height: Int, _ bytesPerRow: Int, _ rowBytes: Int) throws -> Int {
        guard height > 0, bytesPerRow >= rowBytes, rowBytes > 0 else {
            throw UPQRError(status: UPQR_EINVAL.rawValue,
                            message: "frame of \(height) rows, \(bytesPerRow) bytes per row, \(rowBytes) bytes of pixels per row")
        }
        let (a, o1) = (height - 1).multipliedReportingOverflow(by: bytesPerRow)
        let (b, o2) = a.addingReportingOverflow(rowBytes)
        guard !o1, !o2 else { throw UPQRError(status: UPQR_ELIMIT.rawValue) }
        return b
    }
}

extension ScannedSymbol {
    /// Decodes an MPM symbol further (named fields, objects). Throws
    /// `.invalidArgument` for another kind, and as `MPM.decode` otherwise.
    public func mpm(profile: MPM.Profile = .emvco) throws -> MPMPayload {
        guard kind == .mpm else {
            throw UPQRError(status: UPQR_EINVAL.rawValue, message: "the symbol is not an MPM payload")
        }
        return try MPM.decode(bytes: bytes, profile: profile)
    }

    /// Decodes a CPM symbol further (AID, masked PAN, cryptogram data).
    public func cpm(options: CPM.Options = CPM.Options()) throws -> CPMPayload {
        guard kind == .cpm, let text else {
            throw UPQRError(status: UPQR_EINVAL.rawValue, message: "the symbol is not a CPM payload")
        }
        return try CPM.decode(text, options: options)
    }
}
