import CUPQR

// The C library writes into caller buffers: NULL asks for the size
// (UPQR_EBUFSIZE with the size in *written), then the call is made again
// with a buffer of that size. These helpers run that dance once, so no
// wrapper repeats it.

/// Calls `body` with no buffer to learn the size, then with a buffer of
/// that size plus `extra` elements (room for a NUL), and returns what was written.
func sized<T: FixedWidthInteger>(_: T.Type, extra: Int = 0, onError: (Int32) -> Error,
                                 _ body: (UnsafeMutablePointer<T>?, Int, inout Int) -> Int32) throws -> [T] {
    var needed = 0
    var rc = body(nil, 0, &needed)
    if rc != UPQR_EBUFSIZE.rawValue {
        throw onError(rc == UPQR_OK.rawValue ? UPQR_EINTERNAL.rawValue : rc)
    }
    var out = [T](repeating: 0, count: needed + extra)
    var written = 0
    rc = out.withUnsafeMutableBufferPointer { body($0.baseAddress, $0.count, &written) }
    guard rc == UPQR_OK.rawValue else { throw onError(rc) }
    out.removeLast(out.count - written)
    return out
}

/// The same for NUL-terminated text output: the characters without the NUL.
func sizedText(onError: (Int32) -> Error,
               _ body: (UnsafeMutablePointer<CChar>?, Int, inout Int) -> Int32) throws -> String {
    let chars = try sized(CChar.self, extra: 1, onError: onError, body)
    return chars.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
}

/// Runs `body` with a C view of `bytes` (never NULL, even when empty).
func withBytes<R>(_ bytes: some Collection<UInt8>,
                  _ body: (UnsafePointer<UInt8>, Int) throws -> R) rethrows -> R {
    if let r = try bytes.withContiguousStorageIfAvailable({ buf -> R in
        if let base = buf.baseAddress { return try body(base, buf.count) }
        var zero: UInt8 = 0
        return try body(&zero, 0)
    }) {
        return r
    }
    return try withBytes(Array(bytes), body)
}

/// Runs `body` with a C view of the UTF-8 bytes of `text` (not NUL-terminated).
func withUTF8<R>(_ text: String, _ body: (UnsafePointer<CChar>, Int) throws -> R) rethrows -> R {
    var copy = text
    return try copy.withUTF8 { buf in
        try buf.withMemoryRebound(to: CChar.self) { chars in
            if let base = chars.baseAddress { return try body(base, chars.count) }
            var zero: CChar = 0
            return try body(&zero, 0)
        }
    }
}

/// C would read a string only up to its first NUL: a path or password holding
/// one is refused rather than silently cut.
func refuseNUL(_ s: String?, _ what: String) throws {
    if let s, s.utf8.contains(0) {
        throw UPQRError(status: UPQR_EINVAL.rawValue, message: "\(what) holds a NUL character")
    }
}
