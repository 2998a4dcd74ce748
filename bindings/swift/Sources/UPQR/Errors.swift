import CUPQR

/// One problem found in an input, copied out of the C diagnostics list.
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable { case warning, error }
    /// Stable snake_case code, e.g. "crc_mismatch" (docs/mpm.md, docs/cpm.md).
    public let code: String
    public let severity: Severity
    /// Byte offset in the input where the problem starts.
    public let offset: Int
    /// ID path such as "62.05" ("" for the payload as a whole).
    public let path: String
    public let message: String

    public init(code: String, severity: Severity, offset: Int, path: String, message: String) {
        self.code = code
        self.severity = severity
        self.offset = offset
        self.path = path
        self.message = message
    }

    init(_ d: upqr_diag) {
        code = d.code.map { String(cString: $0) } ?? ""
        severity = d.severity == UPQR_SEV_ERROR ? .error : .warning
        offset = d.offset
        path = withUnsafeBytes(of: d.path) { cText($0) }
        message = withUnsafeBytes(of: d.message) { cText($0) }
    }

    public var description: String {
        "\(severity.rawValue) \(code) at byte \(offset)" + (path.isEmpty ? "" : " [\(path)]") + ": \(message)"
    }
}

/// What went wrong besides the status: the library's text and every diagnostic.
public struct Failure: Sendable, Hashable {
    /// The raw upqr_status value.
    public let status: Int32
    /// The handle's last-error text, or upqr_strerror() when there is no handle.
    public let message: String
    /// Every problem the parser stored (empty for calls without diagnostics).
    public let diagnostics: [Diagnostic]
    /// Problems found but not stored because the list was full.
    public let dropped: Int
}

/// An error from upqr: one case per upqr_status, each with the details.
/// Statuses this version of the binding does not know become `.other`.
public enum UPQRError: Error, Sendable, Hashable, CustomStringConvertible {
    case invalidArgument(Failure)      // UPQR_EINVAL
    case outOfMemory(Failure)          // UPQR_ENOMEM
    case bufferTooSmall(Failure)       // UPQR_EBUFSIZE (the binding sizes buffers itself)
    case invalidInput(Failure)         // UPQR_EINVALID: see diagnostics
    case checksum(Failure)             // UPQR_ECHECKSUM: only the CRC is wrong
    case unsupported(Failure)          // UPQR_EUNSUPPORTED
    case io(Failure)                   // UPQR_EIO
    case notFound(Failure)             // UPQR_ENOTFOUND
    case limit(Failure)                // UPQR_ELIMIT
    case version(Failure)              // UPQR_EVERSION
    case `internal`(Failure)           // UPQR_EINTERNAL
    case encoding(Failure)             // UPQR_EENCODING
    case tlv(Failure)                  // UPQR_ETLV
    case base64(Failure)               // UPQR_EBASE64
    case replay(Failure)               // UPQR_EREPLAY
    case mismatch(Failure)             // UPQR_EMISMATCH
    case crypto(Failure)               // UPQR_ECRYPTO
    case key(Failure)                  // UPQR_EKEY
    case record(Failure)               // UPQR_ERECORD
    case image(Failure)                // UPQR_EIMAGE
    case tooLarge(Failure)             // UPQR_ETOOLARGE
    case noSymbol(Failure)             // UPQR_ENOSYMBOL
    case signatureMissing(Failure)     // UPQR_ESIG_MISSING
    case signatureDigest(Failure)      // UPQR_ESIG_DIGEST
    case certificateUntrusted(Failure) // UPQR_ECERT_UNTRUSTED
    case certificateExpired(Failure)   // UPQR_ECERT_EXPIRED
    case certificateNotYetValid(Failure) // UPQR_ECERT_NOTYET
    case certificateSubject(Failure)   // UPQR_ECERT_CN
    case certificateUnknown(Failure)   // UPQR_ECERT_UNKNOWN
    case password(Failure)             // UPQR_EPASSWORD
    case certificate(Failure)          // UPQR_ECERT
    case ambiguous(Failure)            // UPQR_EAMBIGUOUS: a signed string could mean another field set
    case certificatePurpose(Failure)   // UPQR_ECERT_PURPOSE
    case network(Failure)              // UPQR_ENETWORK
    case tls(Failure)                  // UPQR_ETLS
    case timeout(Failure)              // UPQR_ETIMEOUT
    case server(Failure)               // UPQR_ESERVER
    case auth(Failure)                 // UPQR_EAUTH
    case cancelled(Failure)            // UPQR_ECANCELLED
    case duplicate(Failure)            // UPQR_EDUPLICATE (journal)
    case state(Failure)                // UPQR_ESTATE (journal)
    case overRefund(Failure)           // UPQR_EOVERREFUND (journal)
    case claimed(Failure)              // UPQR_ECLAIMED (journal)
    case corrupt(Failure)              // UPQR_ECORRUPT (journal, replay database)
    case foreign(Failure)              // UPQR_EFOREIGN (journal, replay database)
    case busy(Failure)                 // UPQR_EBUSY (journal)
    case other(Failure)                // a status added to the C library after this binding

    // One switch maps each status to its case; it grows as the C enum does.
    private static func make(_ f: Failure) -> UPQRError {
        switch f.status {
        case UPQR_EINVAL.rawValue: return .invalidArgument(f)
        case UPQR_ENOMEM.rawValue: return .outOfMemory(f)
        case UPQR_EBUFSIZE.rawValue: return .bufferTooSmall(f)
        case UPQR_EINVALID.rawValue: return .invalidInput(f)
        case UPQR_ECHECKSUM.rawValue: return .checksum(f)
        case UPQR_EUNSUPPORTED.rawValue: return .unsupported(f)
        case UPQR_EIO.rawValue: return .io(f)
        case UPQR_ENOTFOUND.rawValue: return .notFound(f)
        case UPQR_ELIMIT.rawValue: return .limit(f)
        case UPQR_EVERSION.rawValue: return .version(f)
        case UPQR_EINTERNAL.rawValue: return .`internal`(f)
        case UPQR_EENCODING.rawValue: return .encoding(f)
        case UPQR_ETLV.rawValue: return .tlv(f)
        case UPQR_EREPLAY.rawValue: return .replay(f)
        case UPQR_EMISMATCH.rawValue: return .mismatch(f)
        case UPQR_ECRYPTO.rawValue: return .crypto(f)
        case UPQR_EKEY.rawValue: return .key(f)
        case UPQR_ERECORD.rawValue: return .record(f)
        case UPQR_EIMAGE.rawValue: return .image(f)
        case UPQR_ETOOLARGE.rawValue: return .tooLarge(f)
        case UPQR_ENOSYMBOL.rawValue: return .noSymbol(f)
        case UPQR_ESIG_MISSING.rawValue: return .signatureMissing(f)
        case UPQR_ESIG_DIGEST.rawValue: return .signatureDigest(f)
        case UPQR_ECERT_UNTRUSTED.rawValue: return .certificateUntrusted(f)
        case UPQR_ECERT_EXPIRED.rawValue: return .certificateExpired(f)
        case UPQR_ECERT_NOTYET.rawValue: return .certificateNotYetValid(f)
        case UPQR_ECERT_CN.rawValue: return .certificateSubject(f)
        case UPQR_ECERT_UNKNOWN.rawValue: return .certificateUnknown(f)
        case UPQR_EPASSWORD.rawValue: return .password(f)
        case UPQR_ECERT.rawValue: return .certificate(f)
        case UPQR_ENETWORK.rawValue: return .network(f)
        case UPQR_ETLS.rawValue: return .tls(f)
        case UPQR_ETIMEOUT.rawValue: return .timeout(f)
        case UPQR_ESERVER.rawValue: return .server(f)
        case UPQR_EAUTH.rawValue: return .auth(f)
        case UPQR_ECANCELLED.rawValue: return .cancelled(f)
        case UPQR_EAMBIGUOUS.rawValue: return .ambiguous(f)
        case UPQR_ECERT_PURPOSE.rawValue: return .certificatePurpose(f)
        case UPQR_EDUPLICATE.rawValue: return .duplicate(f)
        case UPQR_ESTATE.rawValue: return .state(f)
        case UPQR_EOVERREFUND.rawValue: return .overRefund(f)
        case UPQR_ECLAIMED.rawValue: return .claimed(f)
        case UPQR_ECORRUPT.rawValue: return .corrupt(f)
        case UPQR_EFOREIGN.rawValue: return .foreign(f)
        case UPQR_EBUSY.rawValue: return .busy(f)
        default: return .other(f)
        }
    }

    /// Builds the error for a failed call. `message` defaults to upqr_strerror(status).
    init(status: Int32, message: String? = nil, diagnostics: DiagnosticList? = nil) {
        let failure = Failure(status: status,
                              message: message.flatMap { $0.isEmpty ? nil : $0 }
                                  ?? String(cString: upqr_strerror(status)),
                              diagnostics: diagnostics?.items ?? [],
                              dropped: diagnostics?.dropped ?? 0)
        self.init(failure: failure)
    }

    init(failure: Failure) {
        self = UPQRError.make(failure)
    }

    /// The details, whatever the case.
    public var failure: Failure {
        switch self {
        case .invalidArgument(let f), .outOfMemory(let f), .bufferTooSmall(let f),
             .invalidInput(let f), .checksum(let f), .unsupported(let f), .io(let f),
             .notFound(let f), .limit(let f), .version(let f), .internal(let f),
             .encoding(let f), .tlv(let f), .base64(let f), .replay(let f), .mismatch(let f),
             .crypto(let f), .key(let f), .record(let f), .image(let f), .tooLarge(let f),
             .noSymbol(let f), .signatureMissing(let f), .signatureDigest(let f),
             .certificateUntrusted(let f), .certificateExpired(let f),
             .certificateNotYetValid(let f), .certificateSubject(let f),
             .certificateUnknown(let f), .password(let f), .certificate(let f),
             .network(let f), .tls(let f), .timeout(let f), .server(let f), .auth(let f),
             .cancelled(let f), .ambiguous(let f), .certificatePurpose(let f), .duplicate(let f),
             .state(let f), .overRefund(let f), .claimed(let f), .corrupt(let f), .foreign(let f),
             .busy(let f), .other(let f):
            return f
        }
    }

    /// The upqr_status value (e.g. -5 for UPQR_ECHECKSUM).
    public var status: Int32 { failure.status }
    /// The C enum name, e.g. "UPQR_ECHECKSUM".
    public var statusName: String { String(cString: upqr_status_name(failure.status)) }
    public var message: String { failure.message }
    public var diagnostics: [Diagnostic] { failure.diagnostics }

    public var description: String {
        var s = "\(statusName): \(message)"
        for d in diagnostics { s += "\n  \(d)" }
        return s
    }
}

/// Throws the UPQRError for a status other than UPQR_OK.
@inline(__always)
func check(_ status: Int32, message: @autoclosure () -> String? = nil,
           diagnostics: DiagnosticList? = nil) throws {
    if status != UPQR_OK.rawValue {
        throw UPQRError(status: status, message: message(), diagnostics: diagnostics)
    }
}

/// A C diagnostics list with its own storage, for one call at a time.
/// Internal: its pointer never leaves the binding; results are copied out.
final class DiagnosticList {
    private let storage: UnsafeMutablePointer<upqr_diag>
    private let capacity: Int
    var list = upqr_diag_list()

    init(capacity: Int = 64) {
        self.capacity = capacity
        // Left uninitialised (a plain C struct): only items[0..<count],
        // which the library wrote, are ever read.
        storage = .allocate(capacity: capacity)
        upqr_diag_list_init(&list, storage, capacity)
    }

    deinit { storage.deallocate() }

    func clear() { upqr_diag_list_clear(&list) }

    var items: [Diagnostic] {
        (0..<list.count).map { Diagnostic(list.items[$0]) }
    }
    var dropped: Int { list.dropped }
}

/// Text of a NUL-terminated C char array held by value (e.g. upqr_diag.path).
func cText(_ raw: UnsafeRawBufferPointer) -> String {
    let bytes = raw.bindMemory(to: UInt8.self)
    let end = bytes.firstIndex(of: 0) ?? bytes.count
    return String(decoding: bytes[..<end], as: UTF8.self)
}

/// The library's version string, e.g. "0.1.0".
public let upqrVersion: String = String(cString: upqr_version())
