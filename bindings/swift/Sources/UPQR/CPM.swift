import CUPQR

/// EMVCo consumer-presented payloads (upqr/cpm.h): decode, generate, verify.
public enum CPM {
    /// A terminal-side AID for application selection.
    public struct AID: Sendable, Hashable {
        public var bytes: [UInt8]
        /// Also match a longer ADF Name that starts with these bytes.
        public var partial: Bool
        public var name: String?
        public init(_ bytes: [UInt8], partial: Bool = false, name: String? = nil) {
            self.bytes = bytes
            self.partial = partial
            self.name = name
        }
    }

    /// Application selection: `aids` first, then (with `unionPayAIDs`) the
    /// built-in UnionPay AIDs; with neither, the first valid template is selected.
    public struct Options: Sendable, Hashable {
        public var aids: [AID] = []
        public var unionPayAIDs: Bool = false
        public init(aids: [AID] = [], unionPayAIDs: Bool = false) {
            self.aids = aids
            self.unionPayAIDs = unionPayAIDs
        }

        func withC<R>(_ body: (UnsafePointer<upqr_cpm_options>) throws -> R) throws -> R {
            var o = upqr_cpm_options()
            try check(upqr_cpm_options_init(&o, UInt32(UPQR_CPM_OPTIONS_VERSION)))
            o.unionpay_aids = unionPayAIDs ? 1 : 0
            let arena = CArena()
            let list = aids.map {
                upqr_cpm_aid(aid: arena.array($0.bytes), len: $0.bytes.count, partial: $0.partial ? 1 : 0,
                             name: arena.string($0.name))
            }
            o.aids = arena.array(list)
            o.aid_count = list.count
            return try withExtendedLifetime(arena) { try body(&o) }
        }
    }

    /// Decodes and validates a base64 CPM. Throws `.base64`, `.tlv`,
    /// `.invalidInput` (a reader rule) or `.limit`, with every diagnostic.
    public static func decode(_ text: String, options: Options = Options()) throws -> CPMPayload {
        let p = try inspect(text, options: options)
        if let e = p.error { throw e }
        return p
    }

    /// Decodes without throwing for an invalid payload (see `isValid`, `error`).
    public static func inspect(_ text: String, options: Options = Options()) throws -> CPMPayload {
        try CPMWork.run(options, { work, opts, diags in
            withUTF8(text) { p, n in upqr_cpm_decode(work, opts, p, n, &diags.list) }
        }, then: { _ in () }).0
    }

    /// Builds a one-time code: takes the last ATC used in `atc` (0 for a fresh
    /// card), uses atc + 1 and stores it back when a code was produced.
    /// Persist `atc` before showing the code. Throws `.limit` at ATC 65535.
    public static func generate(profile: CPMProfile, key: EMVKey, atc: inout UInt16,
                                transaction: CPMTransaction = CPMTransaction()) throws -> String {
        var txn = try transaction.c()
        var counter = atc
        let text: String = try profile.withC { prof in
            // The size query does not consume the ATC; the second call does.
            try sizedText(onError: { UPQRError(status: $0, message: key.lastError) }) { out, cap, written in
                var tmp = counter
                let rc = upqr_cpm_generate(out, cap, &written, &tmp, key.handle, prof, &txn)
                if rc == UPQR_OK.rawValue { counter = tmp }
                return rc
            }
        }
        atc = counter
        return text
    }
}

/// The C work area of one CPM decode (~10 KiB) and its diagnostics.
enum CPMWork {
    static func run<R>(_ options: CPM.Options,
                       _ body: (UnsafeMutablePointer<upqr_cpm>, UnsafePointer<upqr_cpm_options>, DiagnosticList) throws -> Int32,
                       then: (UnsafeMutablePointer<upqr_cpm>) throws -> R) throws -> (CPMPayload, R) {
        let work = UnsafeMutablePointer<upqr_cpm>.allocate(capacity: 1)
        work.initialize(to: upqr_cpm())
        defer {
            upqr_memzero(work, MemoryLayout<upqr_cpm>.size)  // it held a PAN
            work.deinitialize(count: 1)
            work.deallocate()
        }
        let diags = DiagnosticList()
        return try options.withC { opts in
            let rc = try body(work, opts, diags)
            switch rc {
            case UPQR_OK.rawValue, UPQR_EINVALID.rawValue, UPQR_EBASE64.rawValue, UPQR_ETLV.rawValue:
                return (CPMPayload(work.pointee, status: rc, diags: diags, options: options), try then(work))
            default:
                throw UPQRError(status: rc, diagnostics: diags)
            }
        }
    }
}

/// One BER-TLV data object of a CPM.
public struct CPMNode: Sendable, Hashable {
    /// Tag bytes big-endian: '9F26' is 0x9F26.
    public let tag: UInt32
    /// Offset of the first tag byte in the binary payload.
    public let offset: Int
    /// Value length in bytes.
    public let length: Int
    public let isConstructed: Bool
    /// The value bytes (empty for templates: see children). For '57' and '5A'
    /// these are withheld (empty): read the PAN through `CPMPayload.pan()`.
    public let value: [UInt8]
    public let children: [CPMNode]

    /// The tag in hex, e.g. "9F26".
    public var tagHex: String {
        let n = tag > 0xFFFFFF ? 8 : tag > 0xFFFF ? 6 : tag > 0xFF ? 4 : 2
        let h = String(tag, radix: 16, uppercase: true)
        return String(repeating: "0", count: n - h.count) + h
    }
}

/// A decoded CPM, copied out of the C struct. The card number is held only
/// masked in every property; `pan()` gives it in full when really needed.
public struct CPMPayload: Sendable {
    public let isValid: Bool
    /// Why it is not valid (`.base64`, `.tlv`, `.invalidInput`); nil when valid.
    public let error: UPQRError?
    public let diagnostics: [Diagnostic]
    /// 1 for "CPV01", 0 when unknown.
    public let version: Int
    /// The selected application's AID ('4F') and its built-in name, if any.
    public let aid: [UInt8]?
    public let aidName: String?
    /// '50' application label.
    public let label: String?
    /// PAN masked as first 6 and last 4 digits, "" when absent.
    public let maskedPAN: String
    public let panLuhnOK: Bool
    /// YYMM, service code and discretionary digits from Track 2 ("" when absent).
    public let expiry: String
    public let serviceCode: String
    public let discretionary: String
    /// '5F34', nil when absent.
    public let psn: Int?
    /// The cryptogram version read from '9F10', nil when none or unknown.
    public let cvn: CPMProfile.CVN?
    /// True when `verify` can check this cryptogram version.
    public let cvnSupported: Bool
    /// The data objects, with '57'/'5A' values withheld.
    public let nodes: [CPMNode]
    /// The binary payload as hex with the PAN digits masked.
    public let maskedHex: String

    // The binary payload, kept to re-decode for pan() and verification: it
    // holds the PAN, so it is not public.
    let binary: [UInt8]
    let options: CPM.Options

    init(_ c: upqr_cpm, status: Int32, diags: DiagnosticList, options: CPM.Options) {
        var c = c
        defer { upqr_memzero(&c, MemoryLayout<upqr_cpm>.size) }
        isValid = status == UPQR_OK.rawValue && c.valid == 1
        diagnostics = diags.items
        error = isValid ? nil : UPQRError(status: status == UPQR_OK.rawValue ? UPQR_EINVALID.rawValue : status,
                                          message: nil, copied: diagnostics, dropped: diags.dropped)
        version = Int(c.version)
        self.options = options
        binary = withUnsafeBytes(of: c.binary) { Array($0.prefix(c.binary_len)) }
        let cc = c
        func bytes(_ node: UInt16) -> [UInt8]? {
            var v = upqr_cpm_bytes()
            var copy = cc
            defer { upqr_memzero(&copy, MemoryLayout<upqr_cpm>.size) }
            guard upqr_cpm_node_value(&v, &copy, node) == UPQR_OK.rawValue, let p = v.ptr else { return nil }
            // v points into `copy`, alive here.
            return Array(UnsafeBufferPointer(start: p, count: v.len))
        }
        aid = bytes(c.aid_node)
        aidName = c.aid_name.map { String(cString: $0) }
        label = bytes(c.label_node).map { String(decoding: $0, as: UTF8.self) }
        maskedPAN = withUnsafeBytes(of: c.pan_masked) { cText($0) }
        panLuhnOK = c.pan_luhn_ok != 0
        expiry = withUnsafeBytes(of: c.expiry) { cText($0) }
        serviceCode = withUnsafeBytes(of: c.service_code) { cText($0) }
        discretionary = withUnsafeBytes(of: c.discretionary) { cText($0) }
        psn = c.psn >= 0 ? Int(c.psn) : nil
        cvn = c.cvn == 0 ? nil : CPMProfile.CVN(id: c.cvn)
        cvnSupported = c.cvn_supported != 0
        let bin = binary
        nodes = withUnsafeBytes(of: c.nodes) { raw in
            let all = Array(raw.bindMemory(to: upqr_bertlv_node.self).prefix(c.node_count))
            func build(_ i: Int) -> CPMNode {
                let n = all[i]
                var kids: [CPMNode] = []
                var k = n.first_child
                while k != UInt16(UPQR_BERTLV_NONE) && Int(k) < all.count {
                    kids.append(build(Int(k)))
                    k = all[Int(k)].next
                }
                let secret = n.tag == 0x57 || n.tag == 0x5A
                let end = min(n.value_offset + n.length, bin.count)
                let value = n.constructed != 0 || secret || n.value_offset > end ? [] : Array(bin[n.value_offset..<end])
                return CPMNode(tag: n.tag, offset: n.offset, length: n.length, isConstructed: n.constructed != 0,
                               value: value, children: kids)
            }
            return all.indices.filter { all[$0].parent == UInt16(UPQR_BERTLV_NONE) }.map(build)
        }
        maskedHex = (try? sizedText(onError: { UPQRError(status: $0) }) { upqr_cpm_hex_masked($0, $1, &$2, &c) }) ?? ""
    }

    /// Re-decodes the binary payload into a C struct for one call.
    func withC<R>(_ body: (UnsafeMutablePointer<upqr_cpm>) throws -> R) throws -> R {
        try CPMWork.run(options, { work, opts, diags in
            withBytes(binary) { upqr_cpm_decode_binary(work, opts, $0, $1, &diags.list) }
        }, then: body).1
    }

    /// The FULL card number. Call only when really needed; never log it.
    public func pan() throws -> String {
        try withC { c in
            try sizedText(onError: { UPQRError(status: $0) }) { upqr_cpm_pan($0, $1, &$2, c) }
        }
    }

    /// The value of a tag in the payment data (selected '61', then '62', then
    /// the transparent template), or nil. '57' and '5A' are refused (use pan()).
    public func value(tag: UInt32) throws -> [UInt8]? {
        guard tag != 0x57 && tag != 0x5A else {
            throw UPQRError(status: UPQR_EINVAL.rawValue, message: "the PAN is read through pan() only")
        }
        return try withC { c in
            var v = upqr_cpm_bytes()
            guard upqr_cpm_find(&v, c, tag) == UPQR_OK.rawValue, let p = v.ptr else { return nil }
            return Array(UnsafeBufferPointer(start: p, count: v.len))
        }
    }

    /// Recomputes the ARQC under `key` (in constant time). Throws `.mismatch`,
    /// `.unsupported` (not upqr's IAD/CVN), `.invalidInput`, `.key`.
    /// This covers the per-code data only; with the token record, use `verify(record:key:role:)`.
    @discardableResult
    public func verify(key: EMVKey, role: CPMKeyRole) throws -> CPMCryptogram {
        try withC { c in
            var info = upqr_cpm_cryptogram()
            try check(upqr_cpm_verify(&info, key.handle, role.c, c), message: key.lastError)
            return CPMCryptogram(info)
        }
    }

    /// Verifies against the issuer's token record, then the ARQC: `.record`
    /// when a static element differs (diagnostic names it), `.mismatch` for the ARQC.
    @discardableResult
    public func verify(record: CPMProfile, key: EMVKey, role: CPMKeyRole) throws -> CPMCryptogram {
        try withC { c in
            try record.withC { prof in
                var info = upqr_cpm_cryptogram()
                let diags = DiagnosticList(capacity: 8)
                try check(upqr_cpm_verify_token(&info, key.handle, role.c, prof, c, &diags.list),
                          message: key.lastError, diagnostics: diags)
                return CPMCryptogram(info)
            }
        }
    }
}

/// What the verifier read from the cryptogram data.
public struct CPMCryptogram: Sendable, Hashable {
    public let cvn: CPMProfile.CVN
    public let dki: Int
    public let atc: UInt16
    public let arqc: [UInt8]
    public let cid: UInt8
    init(_ c: upqr_cpm_cryptogram) {
        cvn = CPMProfile.CVN(id: c.cvn)
        dki = Int(c.dki)
        atc = c.atc
        arqc = withUnsafeBytes(of: c.arqc) { Array($0) }
        cid = c.cid
    }
}

/// Which key the verifier is given.
public enum CPMKeyRole: Sendable {
    /// The card's ICC master key for AC.
    case iccMasterKey
    /// The issuer master key; the card key by EMV option A or B.
    case issuerMasterKeyOptionA, issuerMasterKeyOptionB
    /// The issuer master key; the card key by the option the code's CVN names.
    case issuerMasterKey
    var c: upqr_cpm_key_role {
        switch self {
        case .iccMasterKey: return UPQR_CPM_KEY_ICC_MK
        case .issuerMasterKey: return UPQR_CPM_KEY_IMK
        case .issuerMasterKeyOptionA: return UPQR_CPM_KEY_IMK_OPTION_A
        case .issuerMasterKeyOptionB: return UPQR_CPM_KEY_IMK_OPTION_B
        }
    }
}

/// An EMV key (TDES double-length or AES-128) held by the library, wiped when released.
/// One thread at a time.
public final class EMVKey {
    public enum KeyType: Sendable { case tdes, aes128 }
    let handle: OpaquePointer

    /// Makes a key from 16 bytes (copied; wipe your copy). Throws `.key` for a wrong length.
    public init(type: KeyType, bytes: [UInt8]) throws {
        var h: OpaquePointer?
        let t = type == .tdes ? UPQR_EMV_KEY_TDES : UPQR_EMV_KEY_AES128
        try withBytes(bytes) { p, n in try check(upqr_emv_key_new(&h, t, p, n)) }
        guard let h else { throw UPQRError(status: UPQR_EINTERNAL.rawValue) }
        handle = h
    }

    init(handle: OpaquePointer) { self.handle = handle }

    deinit { upqr_emv_key_free(handle) }

    var lastError: String { String(cString: upqr_emv_key_last_error(handle)) }

    /// Key check value: 3 bytes.
    public func checkValue() throws -> [UInt8] {
        var kcv: (UInt8, UInt8, UInt8) = (0, 0, 0)
        try withUnsafeMutableBytes(of: &kcv) { raw in
            try check(upqr_emv_key_kcv(raw.baseAddress!.assumingMemoryBound(to: UInt8.self), handle),
                      message: lastError)
        }
        return [kcv.0, kcv.1, kcv.2]
    }
}

/// The per-code values of a generated CPM.
public struct CPMTransaction: Sendable, Hashable {
    /// Minor units, or nil: the code carries no amount.
    public var amount: Int64?
    /// The 4-byte unpredictable number; nil: 4 random bytes from OpenSSL.
    public var unpredictableNumber: [UInt8]?
    /// Transaction date (year 2000...2099); year 0: today (UTC).
    public var year: Int = 0
    public var month: Int = 0
    public var day: Int = 0
    /// '9C', 0x00 purchase.
    public var type: UInt8 = 0

    public init(amount: Int64? = nil, unpredictableNumber: [UInt8]? = nil,
                year: Int = 0, month: Int = 0, day: Int = 0, type: UInt8 = 0) {
        self.amount = amount
        self.unpredictableNumber = unpredictableNumber
        self.year = year
        self.month = month
        self.day = day
        self.type = type
    }

    func c() throws -> upqr_cpm_txn {
        var t = upqr_cpm_txn()
        try check(upqr_cpm_txn_init(&t, UInt32(UPQR_CPM_TXN_VERSION)))
        t.amount = amount ?? -1
        if let un = unpredictableNumber {
            guard un.count == 4 else {
                throw UPQRError(status: UPQR_EINVAL.rawValue, message: "unpredictable number must be 4 bytes")
            }
            t.un_set = 1
            t.un = (un[0], un[1], un[2], un[3])
        }
        t.year = UInt32(clamping: year)
        t.month = UInt32(clamping: month)
        t.day = UInt32(clamping: day)
        t.type = type
        return t
    }
}
