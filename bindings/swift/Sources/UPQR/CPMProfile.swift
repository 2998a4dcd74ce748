import CUPQR

/// The token profile of one card in a wallet (upqr_cpm_profile): what the
/// generator writes and the issuer's record the verifier compares against.
public struct CPMProfile: Sendable, Hashable {
    public enum CVN: Sendable, Hashable { case tdes, aes }
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
        cvn = c.cvn == UInt32(UPQR_CPM_CVN_AES) ? .aes : .tdes
        dki = c.dki
        cvr = [c.cvr.0, c.cvr.1, c.cvr.2]
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
        c.cvn = UInt32(cvn == .aes ? UPQR_CPM_CVN_AES : UPQR_CPM_CVN_TDES)
        c.dki = dki
        c.cvr = (cvr[0], cvr[1], cvr[2])
        if arena.sawNUL { throw UPQRError(status: UPQR_EINVAL.rawValue, message: "a field holds a NUL character") }
        return try withExtendedLifetime(arena) { try body(&c) }
    }
}
