import CUPQR

/// EMVCo merchant-presented payloads (upqr/mpm.h), with UnionPay's rules as a profile.
public enum MPM {
    /// The rules a payload is checked under.
    public enum Profile: String, Sendable, CaseIterable {
        case emvco, unionpay
        var c: UnsafePointer<upqr_mpm_profile> {
            self == .unionpay ? upqr_mpm_profile_unionpay() : upqr_mpm_profile_emvco()
        }
    }

    /// Point of initiation (ID 01).
    public enum Initiation: Int32, Sendable {
        case invalid = -1, none = 0, `static` = 11, dynamic = 12
    }

    /// Tip or convenience indicator (ID 55).
    public enum Tip: Int32, Sendable {
        case invalid = -1, none = 0, prompt = 1, fixed = 2, percentage = 3
    }

    /// Decodes and validates a payload; throws `.invalidInput` (or `.checksum`
    /// when only the CRC is wrong) with every diagnostic when it is not valid,
    /// `.limit` when it is longer than 40,000 bytes. Warnings stay on the result.
    public static func decode(_ text: String, profile: Profile = .emvco) throws -> MPMPayload {
        let p = try inspect(text, profile: profile)
        if let e = p.error { throw e }
        return p
    }

    /// Decodes and validates without throwing for an invalid payload: the
    /// result says `isValid`, `error` and `diagnostics`, and holds whatever
    /// could be decoded. Throws only when the text cannot be looked at (`.limit`).
    public static func inspect(_ text: String, profile: Profile = .emvco) throws -> MPMPayload {
        try inspect(bytes: Array(text.utf8), profile: profile)
    }

    /// The same for raw bytes (e.g. a scanned symbol's), which need not be valid UTF-8:
    /// bad UTF-8 is a diagnostic, not a crash.
    public static func inspect(bytes: [UInt8], profile: Profile = .emvco) throws -> MPMPayload {
        let work = try MPMWork.make()
        return try work.decode(bytes, profile: profile)
    }

    /// `decode` for raw bytes.
    public static func decode(bytes: [UInt8], profile: Profile = .emvco) throws -> MPMPayload {
        let p = try inspect(bytes: bytes, profile: profile)
        if let e = p.error { throw e }
        return p
    }

    /// Encodes fields as a payload (00 first, 63 last with its CRC). Fields that
    /// break a rule throw `.invalidInput` with diagnostics (offsets refer to the
    /// payload the fields would produce).
    public static func encode(_ fields: MPMFields, profile: Profile = .emvco) throws -> String {
        let diags = DiagnosticList()
        return try fields.withC { input in
            var inCopy = input
            return try sizedText(onError: { UPQRError(status: $0, diagnostics: diags) }) { out, cap, written in
                diags.clear()
                return upqr_mpm_encode(out, cap, &written, profile.c, &inCopy, &diags.list)
            }
        }
    }

    /// Sets or changes the amount (minor units) of a valid payload and makes it
    /// dynamic; every other object is kept byte for byte, the CRC recomputed.
    public static func setAmount(_ text: String, minor amount: Int64, profile: Profile = .emvco) throws -> String {
        let diags = DiagnosticList()
        return try withUTF8(text) { p, n in
            try sizedText(onError: { UPQRError(status: $0, diagnostics: diags) }) { out, cap, written in
                diags.clear()
                return upqr_mpm_set_amount(out, cap, &written, profile.c, p, n, amount, &diags.list)
            }
        }
    }

    /// Minor units of an amount text ("98.73") for a currency with `exponent` decimals, exactly.
    public static func parseAmount(_ text: String, exponent: Int) throws -> Int64 {
        var minor: Int64 = 0
        try withUTF8(text) { p, n in try check(upqr_mpm_amount_parse(&minor, p, n, Int32(clamping: exponent))) }
        return minor
    }

    /// Amount text for minor units with `exponent` decimals ("23.72").
    public static func formatAmount(_ minor: Int64, exponent: Int) throws -> String {
        try sizedText(onError: { UPQRError(status: $0) }) {
            upqr_mpm_amount_format($0, $1, &$2, minor, Int32(clamping: exponent))
        }
    }

    /// ISO 4217 minor-unit digits of a numeric currency, nil when unknown.
    public static func currencyExponent(_ numeric: Int) -> Int? {
        guard let n = UInt32(exactly: numeric) else { return nil }
        let e = upqr_mpm_currency_exponent(n)
        return e < 0 ? nil : Int(e)
    }
}

/// The ~30 KiB C work area of one decode and its diagnostics storage.
/// Internal: pointers into it never leave the binding.
final class MPMWork {
    let payload: UnsafeMutablePointer<upqr_mpm_payload>
    let diags = DiagnosticList()

    private init(_ p: UnsafeMutablePointer<upqr_mpm_payload>) { payload = p }

    static func make() throws -> MPMWork {
        guard let p = upqr_mpm_payload_new() else { throw UPQRError(status: UPQR_ENOMEM.rawValue) }
        return MPMWork(p)
    }

    deinit { upqr_mpm_payload_free(payload) }

    func decode(_ bytes: [UInt8], profile: MPM.Profile) throws -> MPMPayload {
        diags.clear()
        return try withBytes(bytes) { base, n in
            let rc = base.withMemoryRebound(to: CChar.self, capacity: max(n, 1)) {
                upqr_mpm_decode(payload, profile.c, $0, n, &diags.list)
            }
            if rc != UPQR_OK.rawValue && rc != UPQR_EINVALID.rawValue && rc != UPQR_ECHECKSUM.rawValue {
                throw UPQRError(status: rc, diagnostics: diags)
            }
            // Still inside the lifetime of `bytes`: every view becomes an offset now.
            return MPMPayload(bytes: bytes, base: base, c: payload, status: rc, diags: diags)
        }
    }
}

/// A byte range of the payload text.
struct Span: Sendable, Hashable {
    let start: Int32
    let count: Int32
}

/// One data object of a decoded payload (a template has children).
public struct MPMObject: Sendable, Hashable {
    /// ID 0...99.
    public let id: Int
    /// Byte offset of the ID in the payload text.
    public let offset: Int
    /// The declared length (characters).
    public let length: Int
    /// The value as written (for a template, its whole value).
    public let value: String
    public let isTemplate: Bool
    /// An ID reserved for future use at this level.
    public let isRFU: Bool
    /// The value ran past the end of the text; `value` is the part present.
    public let isTruncated: Bool
    public let children: [MPMObject]
}

/// A decoded, validated MPM payload: a value that owns a copy of the text.
/// Named fields are slices of that text, made into Strings when read.
public struct MPMPayload: Sendable {
    /// A merchant account information entry (root IDs 02...51).
    public struct Account: Sendable, Hashable {
        public let id: Int
        /// "visa", "mastercard", "emvco", "discover", "amex", "jcb", "unionpay", "other", "unknown".
        public let network: String
        /// Primitive: the value; template: the whole template value.
        public let value: String
        /// Templates: sub-ID 00.
        public let guid: String?
    }

    struct Raw: Sendable {
        var id: UInt8, flags: UInt8, length: UInt8, childCount: UInt8
        var firstChild: UInt16
        var offset: UInt32
        var value: Span
    }

    /// The payload as bytes (UTF-8).
    public let bytes: [UInt8]
    /// True when no error was found (warnings allowed).
    public let isValid: Bool
    /// Why it is not valid: `.checksum` (only the CRC is wrong) or `.invalidInput`; nil when valid.
    public let error: UPQRError?
    /// Every problem found, errors and warnings, in input order.
    public let diagnostics: [Diagnostic]
    /// Characters (code points) in the payload.
    public let characters: Int
    /// CRC computed over the bytes through "6304", and as stated (nil when 63 is malformed or absent).
    public let crcComputed: UInt16
    public let crcStated: UInt16?

    private let roots: [Raw]
    private let subs: [Raw]
    private let f: FieldSpans
    private let accountInfo: [(id: Int, network: String, value: Span?, guid: Span?)]
    public let initiation: MPM.Initiation
    public let tip: MPM.Tip
    /// ISO 4217 numeric currency (nil when absent or not numeric).
    public let currencyNumeric: Int?
    /// "USD"..., nil when not an ISO 4217 code.
    public let currencyAlpha: String?
    /// Minor-unit digits of the currency, nil when unknown.
    public let currencyExponent: Int?
    /// ID 54 in minor units, when it converts exactly.
    public let amountMinor: Int64?
    /// ID 56 in minor units, when it converts exactly.
    public let convenienceFeeMinor: Int64?
    /// ID 57 in hundredths of a percent, nil when absent or invalid.
    public let conveniencePercentageBasisPoints: Int?

    struct FieldSpans: Sendable {
        var payloadFormat, initiation, mcc, currency, amount, tipIndicator, convenienceFee,
            conveniencePercentage, country, merchantName, merchantCity, postalCode, crc: Span?
        var unionPay: (acquirer: Span?, forwarding: Span?, merchant: Span?, present: Bool)
        var additional: [Span?]   // 62/01..11 at index 0..10
        var language: (preference: Span?, name: Span?, city: Span?)
    }

    /// Copies out of the C work area through pointers: the ~30 KiB struct is
    /// never copied whole (that alone would cost more than the decode).
    init(bytes: [UInt8], base: UnsafePointer<UInt8>, c: UnsafePointer<upqr_mpm_payload>, status: Int32,
         diags: DiagnosticList) {
        self.bytes = bytes
        let baseAddr = UInt(bitPattern: base)
        func span(_ s: upqr_mpm_str) -> Span? {
            guard let p = s.ptr else { return nil }
            return Span(start: Int32(truncatingIfNeeded: UInt(bitPattern: p) &- baseAddr), count: Int32(s.len))
        }
        func raw(_ o: upqr_mpm_object) -> Raw {
            let start = o.value.map { Int32(truncatingIfNeeded: UInt(bitPattern: $0) &- baseAddr) } ?? Int32(o.offset)
            return Raw(id: o.id, flags: o.flags, length: o.length, childCount: o.child_count,
                       firstChild: o.first_child, offset: o.offset,
                       value: Span(start: start, count: Int32(o.value_len)))
        }
        func member<T, U>(_ p: UnsafePointer<T>, _ path: KeyPath<T, U>, as: U.Type) -> UnsafePointer<U> {
            (UnsafeRawPointer(p) + MemoryLayout<T>.offset(of: path)!).assumingMemoryBound(to: U.self)
        }
        func array<T, U>(_ p: UnsafePointer<T>, _ path: KeyPath<T, U>, of: upqr_mpm_object.Type, _ n: Int) -> [Raw] {
            let first = (UnsafeRawPointer(p) + MemoryLayout<T>.offset(of: path)!).assumingMemoryBound(to: upqr_mpm_object.self)
            return UnsafeBufferPointer(start: first, count: n).map(raw)
        }
        isValid = status == UPQR_OK.rawValue
        diagnostics = diags.items
        error = isValid ? nil : UPQRError(status: status, message: nil, copied: diagnostics, dropped: diags.dropped)
        characters = c.pointee.chars
        crcComputed = c.pointee.crc_computed
        crcStated = c.pointee.crc_present ? c.pointee.crc_stated : nil
        roots = array(c, \.objects, of: upqr_mpm_object.self, c.pointee.count)
        subs = array(c, \.subs, of: upqr_mpm_object.self, c.pointee.sub_count)
        let fp = member(c, \.fields, as: upqr_mpm_fields.self)
        let ap = member(fp, \.additional, as: upqr_mpm_additional.self).pointee
        let lp = member(fp, \.language, as: upqr_mpm_language.self).pointee
        let up = member(fp, \.unionpay, as: upqr_mpm_unionpay_id.self).pointee
        f = FieldSpans(payloadFormat: span(fp.pointee.payload_format), initiation: span(fp.pointee.initiation),
                       mcc: span(fp.pointee.mcc), currency: span(fp.pointee.currency), amount: span(fp.pointee.amount),
                       tipIndicator: span(fp.pointee.tip_indicator), convenienceFee: span(fp.pointee.convenience_fee),
                       conveniencePercentage: span(fp.pointee.convenience_percentage),
                       country: span(fp.pointee.country), merchantName: span(fp.pointee.merchant_name),
                       merchantCity: span(fp.pointee.merchant_city), postalCode: span(fp.pointee.postal_code),
                       crc: span(fp.pointee.crc),
                       unionPay: (span(up.acquirer_iin), span(up.forwarding_iin), span(up.merchant_id), up.present),
                       additional: [ap.bill_number, ap.mobile_number, ap.store_label, ap.loyalty_number,
                                    ap.reference_label, ap.customer_label, ap.terminal_label, ap.purpose,
                                    ap.consumer_data_request, ap.merchant_tax_id, ap.merchant_channel].map(span),
                       language: (span(lp.preference), span(lp.merchant_name), span(lp.merchant_city)))
        let accountsP = (UnsafeRawPointer(fp) + MemoryLayout<upqr_mpm_fields>.offset(of: \.accounts)!)
            .assumingMemoryBound(to: upqr_mpm_account.self)
        accountInfo = UnsafeBufferPointer(start: accountsP, count: fp.pointee.account_count).map {
            (Int($0.id), String(cString: upqr_mpm_network_name($0.network)), span($0.value), span($0.guid))
        }
        let x = (poi: fp.pointee.poi, tip: fp.pointee.tip, currency: fp.pointee.currency,
                 currency_numeric: fp.pointee.currency_numeric, currency_alpha: fp.pointee.currency_alpha,
                 currency_exponent: fp.pointee.currency_exponent, amount_exact: fp.pointee.amount_exact,
                 amount_minor: fp.pointee.amount_minor, convenience_fee_exact: fp.pointee.convenience_fee_exact,
                 convenience_fee_minor: fp.pointee.convenience_fee_minor,
                 convenience_percentage: fp.pointee.convenience_percentage,
                 convenience_percentage_bp: fp.pointee.convenience_percentage_bp)
        initiation = MPM.Initiation(rawValue: x.poi.rawValue) ?? .invalid
        tip = MPM.Tip(rawValue: x.tip.rawValue) ?? .invalid
        currencyNumeric = x.currency.ptr != nil && x.currency_numeric > 0 ? Int(x.currency_numeric) : nil
        currencyAlpha = x.currency_alpha.map { String(cString: $0) }
        currencyExponent = x.currency_exponent >= 0 ? Int(x.currency_exponent) : nil
        amountMinor = x.amount_exact ? x.amount_minor : nil
        convenienceFeeMinor = x.convenience_fee_exact ? x.convenience_fee_minor : nil
        conveniencePercentageBasisPoints = x.convenience_percentage.ptr != nil && x.convenience_percentage_bp > 0
            ? Int(x.convenience_percentage_bp) : nil
    }

    private func text(_ s: Span?) -> String? {
        guard let s else { return nil }
        let start = Int(s.start), end = min(start + Int(s.count), bytes.count)
        return String(decoding: bytes[start..<max(start, end)], as: UTF8.self)
    }

    /// The whole payload text.
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    // Named fields: nil when the object is absent.
    public var payloadFormat: String? { text(f.payloadFormat) }          // 00
    public var initiationText: String? { text(f.initiation) }            // 01 as written
    public var isDynamic: Bool { initiation == .dynamic }
    public var accounts: [Account] {
        accountInfo.map { Account(id: $0.id, network: $0.network, value: text($0.value) ?? "", guid: text($0.guid)) }
    }
    /// UnionPay's ID 15 parts when it has the 8 + 8 + 15 shape.
    public var unionPayAcquirerIIN: String? { f.unionPay.present ? text(f.unionPay.acquirer) : nil }
    public var unionPayForwardingIIN: String? { f.unionPay.present ? text(f.unionPay.forwarding) : nil }
    public var unionPayMerchantID: String? { f.unionPay.present ? text(f.unionPay.merchant) : nil }
    public var mcc: String? { text(f.mcc) }                              // 52
    public var currency: String? { text(f.currency) }                    // 53 as written
    public var amount: String? { text(f.amount) }                        // 54 as written
    public var tipIndicator: String? { text(f.tipIndicator) }            // 55
    public var convenienceFee: String? { text(f.convenienceFee) }        // 56
    public var conveniencePercentage: String? { text(f.conveniencePercentage) } // 57
    public var country: String? { text(f.country) }                      // 58
    public var merchantName: String? { text(f.merchantName) }            // 59
    public var merchantCity: String? { text(f.merchantCity) }            // 60
    public var postalCode: String? { text(f.postalCode) }                // 61
    /// 62/01...11 by sub-ID (1 bill number ... 11 merchant channel).
    public func additional(_ subID: Int) -> String? {
        (1...11).contains(subID) ? text(f.additional[subID - 1]) : nil
    }
    public var billNumber: String? { additional(1) }
    public var storeLabel: String? { additional(3) }
    public var referenceLabel: String? { additional(5) }
    public var terminalLabel: String? { additional(7) }
    public var languagePreference: String? { text(f.language.preference) } // 64/00
    public var alternateMerchantName: String? { text(f.language.name) }    // 64/01
    public var alternateMerchantCity: String? { text(f.language.city) }    // 64/02
    public var crc: String? { text(f.crc) }                                // 63 as written

    /// Every data object in input order; templates with their children.
    public var objects: [MPMObject] { roots.map(object) }

    private func object(_ r: Raw) -> MPMObject {
        let isTemplate = r.flags & UInt8(UPQR_MPM_OBJ_TEMPLATE) != 0
        let kids = isTemplate ? (0..<Int(r.childCount)).map { object(subs[Int(r.firstChild) + $0]) } : []
        return MPMObject(id: Int(r.id), offset: Int(r.offset), length: Int(r.length), value: text(r.value) ?? "",
                         isTemplate: isTemplate, isRFU: r.flags & UInt8(UPQR_MPM_OBJ_RFU) != 0,
                         isTruncated: r.flags & UInt8(UPQR_MPM_OBJ_TRUNCATED) != 0, children: kids)
    }

    /// The object at an ID path such as "54" or "62.05", or nil.
    public func object(at path: String) -> MPMObject? {
        var level = objects
        var found: MPMObject?
        for part in path.split(separator: ".", omittingEmptySubsequences: false) {
            guard part.count == 2, let id = Int(part), let o = level.first(where: { $0.id == id }) else { return nil }
            found = o
            level = o.children
        }
        return found
    }
}
