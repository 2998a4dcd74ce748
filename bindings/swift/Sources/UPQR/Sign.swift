import CUPQR
import Foundation

/// One field of a UnionPay ACP message.
public struct ACPField: Sendable, Hashable {
    public var key: String
    public var value: String
    public init(_ key: String, _ value: String) {
        self.key = key
        self.value = value
    }
}

/// C views of Swift fields, valid inside `body` only: keys and values are
/// laid out in one byte buffer that outlives every pointer into it.
func withCFields<R>(_ fields: [ACPField],
                    _ body: (UnsafePointer<upqr_acp_field>?, Int) throws -> R) rethrows -> R {
    var bytes: [UInt8] = []
    var spans: [(Int, Int, Int, Int)] = []
    for f in fields {
        let k = bytes.count
        bytes += f.key.utf8
        let v = bytes.count
        bytes += f.value.utf8
        spans.append((k, v - k, v, bytes.count - v))
    }
    if bytes.isEmpty { bytes.append(0) }  // a valid base for empty keys and values
    return try bytes.withUnsafeBufferPointer { buf in
        try buf.withMemoryRebound(to: CChar.self) { chars in
            let base = chars.baseAddress!
            let c = spans.map { upqr_acp_field(key: base + $0.0, key_len: $0.1, value: base + $0.2, value_len: $0.3) }
            return try c.withUnsafeBufferPointer { try body($0.baseAddress, $0.count) }
        }
    }
}

/// Copies C field views out into Swift strings.
func copyFields(_ f: UnsafeBufferPointer<upqr_acp_field>) -> [ACPField] {
    func text(_ p: UnsafePointer<CChar>?, _ n: Int) -> String {
        guard let p, n > 0 else { return "" }
        return p.withMemoryRebound(to: UInt8.self, capacity: n) {
            String(decoding: UnsafeBufferPointer(start: $0, count: n), as: UTF8.self)
        }
    }
    return f.map { ACPField(text($0.key, $0.key_len), text($0.value, $0.value_len)) }
}

/// UnionPay ACP 5.0.0/5.1.0 wire formats and field helpers (upqr/sign.h).
public enum ACP {
    public enum Version: Int, Sendable { case v5_1_0 = 0, v5_0_0 = 1 }
    public enum SignMethod: Int, Sendable {
        /// "01": RSA certificate signature.
        case rsa = 1
        /// "11": SHA-256 with the secure key.
        case sha256 = 11
        /// "12": SM3 with the secure key.
        case sm3 = 12
    }

    private static let fieldsMax = Int(upqr_acp_fields_max())

    /// Parses a synchronous gateway response (`k=v&k=v`, values not URL-decoded,
    /// brace-aware). Malformed bodies throw `.invalidInput` with diagnostics.
    public static func parseResponse(_ body: String) throws -> [ACPField] {
        let diags = DiagnosticList(capacity: 16)
        var fields = [upqr_acp_field](repeating: upqr_acp_field(), count: fieldsMax)
        return try withUTF8(body) { p, n in
            var count = 0
            try check(upqr_acp_parse_response(&fields, fieldsMax, &count, p, n, &diags.list),
                      diagnostics: diags)
            return fields.withUnsafeBufferPointer { copyFields(UnsafeBufferPointer(rebasing: $0[..<count])) }
        }
    }

    /// Parses an asynchronous notification body (strict URL-encoded form).
    public static func parseForm(_ body: String) throws -> [ACPField] {
        let diags = DiagnosticList(capacity: 16)
        var fields = [upqr_acp_field](repeating: upqr_acp_field(), count: fieldsMax)
        return try withUTF8(body) { p, n in
            var scratch = [CChar](repeating: 0, count: max(n, 1))
            var count = 0
            try check(upqr_acp_parse_form(&fields, fieldsMax, &count, &scratch, scratch.count, p, n,
                                          &diags.list), diagnostics: diags)
            return fields.withUnsafeBufferPointer { copyFields(UnsafeBufferPointer(rebasing: $0[..<count])) }
        }
    }

    /// Fields as an application/x-www-form-urlencoded body, in the given order.
    public static func formEncode(_ fields: [ACPField]) throws -> String {
        try withCFields(fields) { f, n in
            try sizedText(onError: { UPQRError(status: $0) }) { upqr_acp_form_encode($0, $1, &$2, f, n) }
        }
    }

    /// The string to sign: every field but `signature`, sorted by key, `k=v` joined with '&'.
    public static func stringToSign(_ fields: [ACPField]) throws -> String {
        try withCFields(fields) { f, n in
            try sizedText(onError: { UPQRError(status: $0) }) { upqr_acp_string_to_sign($0, $1, &$2, f, n) }
        }
    }

    /// Checks that the fields' string to sign can stand for this field set only
    /// (keys are identifiers; '&' only inside one {...} or [...] composite).
    /// Throws `.ambiguous` with an "ambiguous_field" diagnostic naming the field.
    public static func checkUnambiguous(_ fields: [ACPField]) throws {
        let diags = DiagnosticList(capacity: 8)
        let rc = withCFields(fields) { f, n in upqr_acp_check_unambiguous(f, n, &diags.list) }
        try check(rc, diagnostics: diags)
    }

    /// A field's value for display, card numbers masked (by name and by shape).
    public static func maskField(_ field: ACPField) throws -> String {
        try withCFields([field]) { f, _ in
            try sizedText(onError: { UPQRError(status: $0) }) { upqr_acp_mask_field($0, $1, &$2, f) }
        }
    }

    /// A card number masked for display: first 6 and last 4 digits kept.
    public static func maskPAN(_ pan: String) throws -> String {
        try withUTF8(pan) { p, n in
            try sizedText(onError: { UPQRError(status: $0) }) { upqr_acp_mask_pan($0, $1, &$2, p, n) }
        }
    }
}

/// The merchant's signing key (upqr_signer). One thread at a time; the key
/// material is wiped when the signer is released.
public final class Signer {
    /// Where the merchant key comes from.
    public enum Key: Sendable {
        /// No certificate key (signMethod 11/12 with a secure key only).
        case none
        /// A PKCS#12 file and its password (read while the signer is created, never kept).
        case pkcs12File(path: String, password: String)
        /// PKCS#12 bytes and their password.
        case pkcs12(Data, password: String)
        /// A PEM private key file and its certificate file.
        case pem(keyPath: String, certificatePath: String)
    }

    public struct Options: Sendable {
        public var version: ACP.Version = .v5_1_0
        public var signMethod: ACP.SignMethod = .rsa
        public var key: Key = .none
        /// Shared secret for signMethod 11/12 (copied by the library and wiped on free).
        public var secureKey: Data? = nil
        /// UnionPay's sensitive-information encryption certificate (PEM or DER file).
        public var encryptionCertificatePath: String? = nil

        public init(version: ACP.Version = .v5_1_0, signMethod: ACP.SignMethod = .rsa, key: Key = .none,
                    secureKey: Data? = nil, encryptionCertificatePath: String? = nil) {
            self.version = version
            self.signMethod = signMethod
            self.key = key
            self.secureKey = secureKey
            self.encryptionCertificatePath = encryptionCertificatePath
        }
    }

    let handle: OpaquePointer

    /// Loads the key. Throws `.password`, `.io`, `.key`, `.certificate`,
    /// `.unsupported`, `.limit` or `.invalidArgument` (no handle, so the status is the diagnosis).
    public init(options: Options) throws {
        switch options.key {
        case .none: break
        case .pkcs12File(let path, let password): try refuseNUL(path, "path"); try refuseNUL(password, "password")
        case .pkcs12(_, let password): try refuseNUL(password, "password")
        case .pem(let k, let c): try refuseNUL(k, "key path"); try refuseNUL(c, "certificate path")
        }
        try refuseNUL(options.encryptionCertificatePath, "encryption certificate path")
        var o = upqr_signer_options()
        try check(upqr_signer_options_init(&o, UInt32(UPQR_SIGNER_OPTIONS_VERSION)))
        o.acp_version = upqr_acp_version(rawValue: UInt32(options.version.rawValue))
        o.sign_method = upqr_acp_sign_method(rawValue: UInt32(options.signMethod.rawValue))
        var h: OpaquePointer?
        // Every C string below lives for the duration of upqr_signer_new only.
        let rc: Int32 = withOptionalCString(options.encryptionCertificatePath) { enc in
            o.encrypt_cert_path = enc
            return withOptionalBytes(options.secureKey) { sk, skLen in
                o.secure_key = sk
                o.secure_key_len = skLen
                switch options.key {
                case .none:
                    return upqr_signer_new(&h, &o)
                case .pkcs12File(let path, let password):
                    return path.withCString { p in password.withCString { pw in
                        o.pfx_path = p
                        o.password = pw
                        return upqr_signer_new(&h, &o)
                    } }
                case .pkcs12(let data, let password):
                    return withBytes(data) { d, n in password.withCString { pw in
                        o.pfx_data = d
                        o.pfx_len = n
                        o.password = pw
                        return upqr_signer_new(&h, &o)
                    } }
                case .pem(let keyPath, let certPath):
                    return keyPath.withCString { k in certPath.withCString { c in
                        o.key_pem_path = k
                        o.cert_pem_path = c
                        return upqr_signer_new(&h, &o)
                    } }
                }
            }
        }
        try check(rc)
        guard let h else { throw UPQRError(status: UPQR_EINTERNAL.rawValue) }
        handle = h
    }

    deinit { upqr_signer_free(handle) }

    private var lastError: String { String(cString: upqr_signer_last_error(handle)) }
    private func fail(_ rc: Int32) -> Error { UPQRError(status: rc, message: lastError) }

    /// Warnings of the last `sign` / `buildRequest`: signing still succeeded.
    public struct Warnings: OptionSet, Sendable, Hashable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        /// The merchant certificate has expired (UnionPay will refuse the request).
        public static let certificateExpired = Warnings(rawValue: UInt32(UPQR_SIGNER_WARN_CERT_EXPIRED))
        /// The merchant certificate is not valid yet.
        public static let certificateNotYetValid = Warnings(rawValue: UInt32(UPQR_SIGNER_WARN_CERT_NOTYET))
    }

    public var warnings: Warnings { Warnings(rawValue: upqr_signer_warnings(handle)) }

    /// certId: the merchant certificate's serial in decimal ("" without a certificate).
    public var certId: String { String(cString: upqr_signer_cert_id(handle)) }
    /// encryptCertId ("" when no encryption certificate is configured).
    public var encryptCertId: String { String(cString: upqr_signer_encrypt_cert_id(handle)) }

    /// The `signature` value over the fields (01: base64; 11/12: lower-case hex).
    public func sign(_ fields: [ACPField]) throws -> String {
        try withCFields(fields) { f, n in
            try sizedText(onError: fail) { upqr_signer_sign($0, $1, &$2, handle, f, n) }
        }
    }

    /// A complete request body: certId (01) and signature appended, URL-encoded.
    public func buildRequest(_ fields: [ACPField]) throws -> String {
        try withCFields(fields) { f, n in
            try sizedText(onError: fail) { upqr_signer_build_request($0, $1, &$2, handle, f, n) }
        }
    }

    /// Encrypts a sensitive value for UnionPay (send `encryptCertId` with it).
    public func encrypt(_ plain: Data) throws -> String {
        try withBytes(plain) { p, n in
            try sizedText(onError: fail) { upqr_signer_encrypt($0, $1, &$2, handle, p, n) }
        }
    }

    /// Decrypts a value UnionPay encrypted for the merchant. The result is
    /// secret: mask card numbers (ACP.maskPAN) before showing them.
    public func decrypt(_ base64: String) throws -> Data {
        try withUTF8(base64) { p, n in
            // The size query gives an upper bound; the second call the exact size.
            var bound = 0
            var rc = upqr_signer_decrypt(nil, 0, &bound, handle, p, n)
            guard rc == UPQR_EBUFSIZE.rawValue else { throw fail(rc == UPQR_OK.rawValue ? UPQR_EINTERNAL.rawValue : rc) }
            var out = [UInt8](repeating: 0, count: bound)
            defer { upqr_memzero(&out, out.count) }
            var written = 0
            rc = upqr_signer_decrypt(&out, out.count, &written, handle, p, n)
            try check(rc, message: lastError)
            return Data(out[..<written])
        }
    }
}

/// Verifies UnionPay's responses and notifications (upqr_verifier); fails closed.
public final class Verifier {
    public struct Options: Sendable {
        /// 5.1.0 trust: UnionPay's root and middle CA certificates (PEM or DER files).
        public var rootCertificatePath: String? = nil
        public var middleCertificatePath: String? = nil
        /// 5.0.0: a directory of UnionPay signing certificates, looked up by certId.
        public var certificateDirectory: String? = nil
        /// Also accept the test environment's certificate subject. Never in production.
        public var testEnvironment: Bool = false
        /// Shared secret to verify signMethod 11/12.
        public var secureKey: Data? = nil
        /// Verified certificates kept (0 = the default, at most 64).
        public var cacheSize: Int = 0
        /// Message versions signMethod 01 accepts. Empty: the versions whose trust is
        /// configured, but only 5.1.0 when both are (a message must not pick SHA-1 itself).
        public var acceptedVersions: Set<ACP.Version> = []
        /// Test environment only (needs `testEnvironment`): trust `certificateDirectory`
        /// certificates without chain, CN and purpose checks.
        public var certificateDirectoryUnchecked: Bool = false

        public init(rootCertificatePath: String? = nil, middleCertificatePath: String? = nil,
                    certificateDirectory: String? = nil, testEnvironment: Bool = false,
                    secureKey: Data? = nil, cacheSize: Int = 0, acceptedVersions: Set<ACP.Version> = [],
                    certificateDirectoryUnchecked: Bool = false) {
            self.acceptedVersions = acceptedVersions
            self.certificateDirectoryUnchecked = certificateDirectoryUnchecked
            self.rootCertificatePath = rootCertificatePath
            self.middleCertificatePath = middleCertificatePath
            self.certificateDirectory = certificateDirectory
            self.testEnvironment = testEnvironment
            self.secureKey = secureKey
            self.cacheSize = cacheSize
        }
    }

    let handle: OpaquePointer

    public init(options: Options) throws {
        try refuseNUL(options.rootCertificatePath, "root certificate path")
        try refuseNUL(options.middleCertificatePath, "middle certificate path")
        try refuseNUL(options.certificateDirectory, "certificate directory")
        var o = upqr_verifier_options()
        try check(upqr_verifier_options_init(&o, UInt32(UPQR_VERIFIER_OPTIONS_VERSION)))
        o.test_env = options.testEnvironment ? 1 : 0
        o.cache_size = options.cacheSize
        o.acp_versions = options.acceptedVersions.reduce(0) {
            $0 | ($1 == .v5_1_0 ? UInt32(UPQR_ACCEPT_5_1_0) : UInt32(UPQR_ACCEPT_5_0_0))
        }
        o.cert_dir_unchecked = options.certificateDirectoryUnchecked ? 1 : 0
        var h: OpaquePointer?
        let rc: Int32 = withOptionalCString(options.rootCertificatePath) { root in
            withOptionalCString(options.middleCertificatePath) { middle in
                withOptionalCString(options.certificateDirectory) { dir in
                    withOptionalBytes(options.secureKey) { sk, skLen in
                        o.root_cert_path = root
                        o.middle_cert_path = middle
                        o.cert_dir = dir
                        o.secure_key = sk
                        o.secure_key_len = skLen
                        return upqr_verifier_new(&h, &o)
                    }
                }
            }
        }
        try check(rc)
        guard let h else { throw UPQRError(status: UPQR_EINTERNAL.rawValue) }
        handle = h
    }

    deinit { upqr_verifier_free(handle) }

    private var lastError: String { String(cString: upqr_verifier_last_error(handle)) }

    private static func seconds(_ at: Date?) -> Int64 {
        guard let at else { return Int64.min }  // UPQR_VERIFY_NOW
        return Int64(at.timeIntervalSince1970.rounded(.down))
    }

    /// Verifies a parsed response or notification at `at` (nil: now). Returns
    /// only when everything holds; otherwise throws the first failed check
    /// (`.signatureDigest`, `.certificateExpired`, `.certificateUntrusted`, ...)
    /// with the verifier's text naming it.
    public func verify(_ fields: [ACPField], at: Date? = nil) throws {
        let rc = withCFields(fields) { f, n in upqr_verifier_verify(handle, f, n, Verifier.seconds(at)) }
        try check(rc, message: lastError)
    }

    /// Checks one UnionPay signing certificate (PEM text): chain, validity, subject.
    public func checkCertificate(pem: String, at: Date? = nil) throws {
        let rc = withUTF8(pem) { p, n in upqr_verifier_check_cert(handle, p, n, Verifier.seconds(at)) }
        try check(rc, message: lastError)
    }

    /// Number of certificates in the verified-certificate cache.
    public var cacheCount: Int { upqr_verifier_cache_count(handle) }
}

func withOptionalCString<R>(_ s: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let s else { return body(nil) }
    return s.withCString { body($0) }
}

func withOptionalBytes<R>(_ d: Data?, _ body: (UnsafePointer<UInt8>?, Int) -> R) -> R {
    guard let d else { return body(nil, 0) }
    return withBytes(d) { body($0, $1) }
}
