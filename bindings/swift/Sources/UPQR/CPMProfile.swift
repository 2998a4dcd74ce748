import CUPQR

/// The token profile of one card in a wallet (upqr_cpm_profile): what the
/// generator writes and the issuer's record the verifier compares against.
public struct CPMProfile: Sendable, Hashable {
    /// A cryptogram version (upqr/emv.h): id = (scheme << 8) | the CVN byte of the IAD.
    public struct CVN: Sendable, Hashable, CustomStringConvertible {
        public let id: UInt32
        public init(id: UInt32) { self.id = id }
        /// By name: "upqr-a1", "upqr-a2", "visa-10", "visa-18", "mastercard-16", "unionpay-01", ...
        public init?(name: String) {
            guard let info = upqr_emv_cvn_by_name(name) else { return nil }
            id = info.pointee.id
        }
        /// upqr's closed-loop versions: A1 (TDES, the default) and A2 (AES-128).
        public static let tdes = CVN(id: UInt32(UPQR_EMV_CVN_UPQR_A1))
        public static let aes = CVN(id: UInt32(UPQR_EMV_CVN_UPQR_A2))
        /// Every version the library knows.
        public static var all: [CVN] {
            var n = 0
            guard let t = upqr_emv_cvns(&n) else { return [] }
            return (0..<n).map { CVN(id: t[$0].id) }
        }
        public var name: String? { upqr_emv_cvn_lookup(id).map { String(cString: $0.pointee.name) } }
        /// True when upqr generates and verifies it.
        public var isSupported: Bool { upqr_emv_cvn_lookup(id)?.pointee.supported == 1 }
        public var description: String { name ?? "cvn-0x" + String(id, radix: 16) }
    }
    public var aid: [UInt8] = []
    public var label: String?
    /// Token PAN (12...19 digits) with expiry YYMM, service code and
    /// discretionary digits; or `track2` instead of all four.
    public var pan: String?
    public var expiry: String?
    public var serviceCode: String?
    public var discretionary: String?
    public var track2: String?
    /// '5F34' 0...99, nil to omit.
    public var psn: Int?
    /// '9F08' 0...65535, nil to omit.
    public var appVersion: Int?
    public var tokenRequestorID: String?
    public var par: String?
    public var last4: String?
    public var aip: [UInt8] = [0, 0]
    public var currency: Int = 156
    public var country: Int = 156
    public var cvn: CVN = .tdes
    public var dki: UInt8 = 0
    public var cvr: [UInt8] = [0xA0, 0, 0]
    /// Scheme CVNs only: the whole '9F10' value, or nil for upqr's default built from dki and cvr.
    public var iad: [UInt8]?

    public init() {}

    /// Reads a profile from its JSON text (docs/cpm.md; tests/data/cpm-profile.json)
    /// and the card key it names ("mk", or "imk" + "mk_option"), if any.
    /// Throws `.invalidInput` with a diagnostic per problem.
    public static func parse(json: String) throws -> (profile: CPMProfile, key: EMVKey?) {
        let diags = DiagnosticList(capacity: 16)
        var doc: OpaquePointer?
        try withUTF8(json) { p, n in try check(upqr_cpm_profile_parse(&doc, p, n, &diags.list), diagnostics: diags) }
        guard let doc, let c = upqr_cpm_profile_doc_profile(doc) else { throw UPQRError(status: UPQR_EINTERNAL.rawValue) }
        defer { upqr_cpm_profile_doc_free(doc) }
        let profile = CPMProfile(c: c.pointee)
        guard upqr_cpm_profile_doc_has_key(doc) else { return (profile, nil) }
        var mk: OpaquePointer?
        try check(upqr_cpm_profile_doc_key(&mk, doc))
        guard let mk else { throw UPQRError(status: UPQR_EINTERNAL.rawValue) }
        return (profile, EMVKey(handle: mk))
    }

    init(c: upqr_cpm_profile) {
        func s(_ p: UnsafePointer<CChar>?) -> String? { p.map { String(cString: $0) } }
        aid = c.aid.map { Array(UnsafeBufferPointer(start: $0, count: c.aid_len)) } ?? []
        label = s(c.label)
        pan = s(c.pan)
        expiry = s(c.expiry)
        serviceCode = s(c.service_code)
        discretionary = s(c.discretionary)
        track2 = s(c.track2)
        psn = c.psn >= 0 ? Int(c.psn) : nil
        appVersion = c.app_version >= 0 ? Int(c.app_version) : nil
        tokenRequestorID = s(c.token_requestor_id)
        par = s(c.par)
        last4 = s(c.last4)
        aip = [c.aip.0, c.aip.1]
        currency = Int(c.currency)
        country = Int(c.country)
        cvn = CVN(id: c.cvn)
        dki = c.dki
        cvr = [c.cvr.0, c.cvr.1, c.cvr.2]
        iad = c.iad.map { Array(UnsafeBufferPointer(start: $0, count: c.iad_len)) }
    }

    /// The C profile for one call (strings in an arena freed afterwards).
    func withC<R>(_ body: (UnsafePointer<upqr_cpm_profile>) throws -> R) throws -> R {
        var c = upqr_cpm_profile()
        try check(upqr_cpm_profile_init(&c, UInt32(UPQR_CPM_PROFILE_VERSION)))
        guard aip.count == 2, cvr.count == 3 else {
            throw UPQRError(status: UPQR_EINVAL.rawValue, message: "aip must be 2 bytes and cvr 3")
        }
        let arena = CArena()
        c.aid = arena.array(aid)
        c.aid_len = aid.count
        c.label = arena.string(label)
        c.pan = arena.string(pan)
        c.expiry = arena.string(expiry)
        c.service_code = arena.string(serviceCode)
        c.discretionary = arena.string(discretionary)
        c.track2 = arena.string(track2)
        c.psn = Int32(clamping: psn ?? -1)
        c.app_version = appVersion ?? -1
        c.token_requestor_id = arena.string(tokenRequestorID)
        c.par = arena.string(par)
        c.last4 = arena.string(last4)
        c.aip = (aip[0], aip[1])
        c.currency = UInt32(clamping: currency)
        c.country = UInt32(clamping: country)
        c.cvn = cvn.id
        c.iad = iad.flatMap { arena.array($0) }
        c.iad_len = iad?.count ?? 0
        c.dki = dki
        c.cvr = (cvr[0], cvr[1], cvr[2])
        if arena.sawNUL { throw UPQRError(status: UPQR_EINVAL.rawValue, message: "a field holds a NUL character") }
        return try withExtendedLifetime(arena) { try body(&c) }
    }
}
