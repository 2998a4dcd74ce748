import CUPQR

/// A merchant account entry (root 02...51), an additional-data template
/// (62/50...99) or an unreserved template (80...99): a primitive `value`, or
/// a template with a `guid` (sub-ID 00) and further sub-objects.
public struct MPMEntry: Sendable, Hashable {
    public var id: Int
    public var value: String?
    public var guid: String?
    /// Template sub-objects 01...99 as (ID, value), in order.
    public var objects: [MPMValue]

    public static func primitive(_ id: Int, _ value: String) -> MPMEntry {
        MPMEntry(id: id, value: value, guid: nil, objects: [])
    }

    public static func template(_ id: Int, guid: String, _ objects: [MPMValue] = []) -> MPMEntry {
        MPMEntry(id: id, value: nil, guid: guid, objects: objects)
    }
}

/// A primitive sub-object: ID and value.
public struct MPMValue: Sendable, Hashable {
    public var id: Int
    public var value: String
    public init(_ id: Int, _ value: String) {
        self.id = id
        self.value = value
    }
}

/// Typed fields for the encoder. nil means absent; money is Int64 minor units
/// of `currency` (ISO 4217 numeric), written with the currency's exponent.
public struct MPMFields: Sendable, Hashable {
    public var initiation: MPM.Initiation = .none
    public var accounts: [MPMEntry] = []
    /// When all three are set, ID 15 is built from them (8 + 8 + 15 characters).
    public var unionPayAcquirerIIN: String?
    public var unionPayForwardingIIN: String?
    public var unionPayMerchantID: String?
    public var mcc: String?
    public var currency: Int = 0
    public var amount: Int64?
    public var tip: MPM.Tip = .none
    /// 56, minor units (tip `.fixed`).
    public var convenienceFee: Int64 = 0
    /// 57, 1...9999 hundredths of a percent (tip `.percentage`).
    public var conveniencePercentageBasisPoints: Int = 0
    public var country: String?
    public var merchantName: String?
    public var merchantCity: String?
    public var postalCode: String?
    /// 62/01...11 by sub-ID.
    public var additional: [Int: String] = [:]
    /// 62/50...99.
    public var additionalTemplates: [MPMEntry] = []
    /// 62/12...49 (warnings under EMVCo; UnionPay refuses them).
    public var additionalRFU: [MPMValue] = []
    public var language: String?
    public var alternateMerchantName: String?
    public var alternateMerchantCity: String?
    /// 80...99.
    public var templates: [MPMEntry] = []
    /// Root 65...79 (warnings under EMVCo; UnionPay refuses them).
    public var rfu: [MPMValue] = []

    public init() {}

    /// The fields of a valid decoded payload, so that encoding them gives back
    /// an equivalent payload (amounts written with the currency's exponent).
    /// Throws `.invalidInput` for a payload with errors, `.unsupported` for
    /// what the encoder cannot express (reserved IDs of template 64).
    public init(_ payload: MPMPayload, profile: MPM.Profile = .emvco) throws {
        let work = try MPMWork.make()
        // The C payload views point into bytes that are alive only in decode.
        self = try withBytes(payload.bytes) { base, n in
            let rc = base.withMemoryRebound(to: CChar.self, capacity: max(n, 1)) {
                upqr_mpm_decode(work.payload, profile.c, $0, n, nil)
            }
            guard rc == UPQR_OK.rawValue || rc == UPQR_EINVALID.rawValue || rc == UPQR_ECHECKSUM.rawValue else {
                throw UPQRError(status: rc)
            }
            var cin = upqr_mpm_fields_in()
            var store: OpaquePointer?
            try check(upqr_mpm_fields_in_from_payload(&cin, &store, work.payload))
            defer { upqr_mpm_fields_store_free(store) }
            return MPMFields(c: cin)
        }
    }

    /// Copies C encoder input (strings and arrays it points to) into Swift values.
    init(c: upqr_mpm_fields_in) {
        func s(_ p: UnsafePointer<CChar>?) -> String? { p.map { String(cString: $0) } }
        func values(_ p: UnsafePointer<upqr_mpm_value_in>?, _ n: Int) -> [MPMValue] {
            guard let p else { return [] }
            return (0..<n).map { MPMValue(Int(p[$0].id), s(p[$0].value) ?? "") }
        }
        func entries(_ p: UnsafePointer<upqr_mpm_entry_in>?, _ n: Int) -> [MPMEntry] {
            guard let p else { return [] }
            return (0..<n).map {
                MPMEntry(id: Int(p[$0].id), value: s(p[$0].value), guid: s(p[$0].guid),
                         objects: values(p[$0].objects, p[$0].object_count))
            }
        }
        initiation = MPM.Initiation(rawValue: c.initiation.rawValue) ?? .none
        accounts = entries(c.accounts, c.account_count)
        unionPayAcquirerIIN = s(c.unionpay_acquirer_iin)
        unionPayForwardingIIN = s(c.unionpay_forwarding_iin)
        unionPayMerchantID = s(c.unionpay_merchant_id)
        mcc = s(c.mcc)
        currency = Int(c.currency)
        amount = c.has_amount ? c.amount : nil
        tip = MPM.Tip(rawValue: c.tip.rawValue) ?? .none
        convenienceFee = c.convenience_fee
        conveniencePercentageBasisPoints = Int(c.convenience_percentage_bp)
        country = s(c.country)
        merchantName = s(c.merchant_name)
        merchantCity = s(c.merchant_city)
        postalCode = s(c.postal_code)
        withUnsafeBytes(of: c.additional) { raw in
            let a = raw.bindMemory(to: UnsafePointer<CChar>?.self)
            for i in 1...11 { if let v = s(a[i]) { additional[i] = v } }
        }
        additionalTemplates = entries(c.additional_templates, c.additional_template_count)
        additionalRFU = values(c.additional_rfu, c.additional_rfu_count)
        language = s(c.language)
        alternateMerchantName = s(c.alt_merchant_name)
        alternateMerchantCity = s(c.alt_merchant_city)
        templates = entries(c.templates, c.template_count)
        rfu = values(c.rfu, c.rfu_count)
    }

    /// Runs `body` with the C encoder input; every pointer in it lives in an
    /// arena freed when `body` returns.
    func withC<R>(_ body: (upqr_mpm_fields_in) throws -> R) throws -> R {
        let arena = CArena()
        var c = upqr_mpm_fields_in()
        try check(upqr_mpm_fields_in_init(&c, UInt32(UPQR_MPM_FIELDS_IN_VERSION)))
        func values(_ v: [MPMValue]) -> UnsafePointer<upqr_mpm_value_in>? {
            arena.array(v.map { upqr_mpm_value_in(id: UInt32(clamping: $0.id), value: arena.string($0.value)) })
        }
        func entries(_ e: [MPMEntry]) -> UnsafePointer<upqr_mpm_entry_in>? {
            arena.array(e.map {
                upqr_mpm_entry_in(id: UInt32(clamping: $0.id), value: arena.string($0.value), guid: arena.string($0.guid),
                                  objects: values($0.objects), object_count: $0.objects.count)
            })
        }
        c.initiation = upqr_mpm_initiation(rawValue: initiation.rawValue)
        c.accounts = entries(accounts)
        c.account_count = accounts.count
        c.unionpay_acquirer_iin = arena.string(unionPayAcquirerIIN)
        c.unionpay_forwarding_iin = arena.string(unionPayForwardingIIN)
        c.unionpay_merchant_id = arena.string(unionPayMerchantID)
        c.mcc = arena.string(mcc)
        c.currency = UInt32(clamping: currency)
        c.has_amount = amount != nil
        c.amount = amount ?? 0
        c.tip = upqr_mpm_tip(rawValue: tip.rawValue)
        c.convenience_fee = convenienceFee
        c.convenience_percentage_bp = UInt32(clamping: conveniencePercentageBasisPoints)
        c.country = arena.string(country)
        c.merchant_name = arena.string(merchantName)
        c.merchant_city = arena.string(merchantCity)
        c.postal_code = arena.string(postalCode)
        withUnsafeMutableBytes(of: &c.additional) { raw in
            let a = raw.bindMemory(to: UnsafePointer<CChar>?.self)
            for (id, v) in additional {
                // Sub-IDs outside 01...11 cannot be expressed here: refuse, never drop.
                guard (1...11).contains(id) else { continue }
                a[id] = arena.string(v)
            }
        }
        if let bad = additional.keys.first(where: { !(1...11).contains($0) }) {
            throw UPQRError(status: UPQR_EINVAL.rawValue, message: "additional data sub-ID \(bad) is not 1...11")
        }
        c.additional_templates = entries(additionalTemplates)
        c.additional_template_count = additionalTemplates.count
        c.additional_rfu = values(additionalRFU)
        c.additional_rfu_count = additionalRFU.count
        c.language = arena.string(language)
        c.alt_merchant_name = arena.string(alternateMerchantName)
        c.alt_merchant_city = arena.string(alternateMerchantCity)
        c.templates = entries(templates)
        c.template_count = templates.count
        c.rfu = values(rfu)
        c.rfu_count = rfu.count
        if arena.sawNUL {
            throw UPQRError(status: UPQR_EINVAL.rawValue, message: "a field holds a NUL character")
        }
        return try withExtendedLifetime(arena) { try body(c) }
    }
}

/// C strings and arrays for one call, freed together.
final class CArena {
    private var blocks: [UnsafeMutableRawPointer] = []
    /// A string held a NUL, which C would silently cut there: the caller refuses it.
    private(set) var sawNUL = false

    deinit { blocks.forEach { $0.deallocate() } }

    func string(_ s: String?) -> UnsafePointer<CChar>? {
        guard let s else { return nil }
        if s.utf8.contains(0) { sawNUL = true }
        let utf8 = Array(s.utf8CString)
        let p = UnsafeMutablePointer<CChar>.allocate(capacity: utf8.count)
        p.initialize(from: utf8, count: utf8.count)
        blocks.append(UnsafeMutableRawPointer(p))
        return UnsafePointer(p)
    }

    func array<T>(_ items: [T]) -> UnsafePointer<T>? {
        guard !items.isEmpty else { return nil }
        let p = UnsafeMutablePointer<T>.allocate(capacity: items.count)
        p.initialize(from: items, count: items.count)
        blocks.append(UnsafeMutableRawPointer(p))
        return UnsafePointer(p)
    }
}
