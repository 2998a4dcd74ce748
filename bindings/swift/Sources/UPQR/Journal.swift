import CUPQR

/// The order journal (upqr/journal.h): a crash-safe SQLite record of every
/// money operation sent to UnionPay, written PENDING before the request
/// leaves and moved on every state change. One thread at a time (like the C
/// handle, so not `Sendable`); several handles, in one process or several,
/// may share one journal file. The handle is closed in `deinit`.
public final class Journal {
    /// What kind of operation a record is (stored by name in the journal).
    public enum Kind: UInt32, Sendable, Hashable, CaseIterable {
        case applyQR = 1          // 01/07 merchant-presented code
        case consumeQRNo = 2      // 01/06 with the consumer's qrNo
        case consumeCPM = 3       // 01/06 with an EMV CPM payload
        case void = 4             // 31/00
        case refund = 5           // 04/00
        case reversal = 6         // 99/01

        /// "APPLY_QR", "CONSUME_QRNO", ...
        public var name: String { String(cString: upqr_journal_kind_name(upqr_journal_kind(rawValue: rawValue))) }
    }

    /// The state of one record (journal.h describes the legal changes).
    public enum State: UInt32, Sendable, Hashable, CaseIterable {
        case pending = 1, unknown = 2, accepted = 3, success = 4, failed = 5
        case voided = 6, reversed = 7, refunded = 8

        /// "PENDING", "UNKNOWN", ...
        public var name: String { String(cString: upqr_journal_state_name(c)) }
        /// SUCCESS, FAILED, VOIDED, REVERSED and REFUNDED are final.
        public var isFinal: Bool { upqr_journal_state_is_final(c) != 0 }
        var c: upqr_journal_state { upqr_journal_state(rawValue: rawValue) }
    }

    /// What `transition` would do with a record: see `Journal.legality`.
    public enum Legality: Sendable, Hashable {
        /// An illegal change (UPQR_ESTATE).
        case illegal
        /// A legal change of state.
        case change
        /// An answer that agrees with the record's history: accepted, the state stays.
        case agrees
    }

    /// upqr_journal_transition_legal: pure, any thread.
    public static func legality(kind: Kind, from: State, to: State) -> Legality {
        switch upqr_journal_transition_legal(upqr_journal_kind(rawValue: kind.rawValue), from.c, to.c) {
        case 1: return .change
        case 2: return .agrees
        default: return .illegal
        }
    }

    /// The schema version this library writes.
    public static var schemaVersion: Int { Int(upqr_journal_schema_version()) }

    public struct Options: Sendable, Hashable {
        /// A file path (SQLite). "postgresql://..." is refused (.unsupported) in this version.
        public var location: String
        /// Create the file when missing (false: a missing file is `.notFound`).
        public var create: Bool = true
        /// How long a write waits for another process's lock before `.busy`.
        public var busyTimeoutMs: UInt32 = UInt32(UPQR_JOURNAL_BUSY_TIMEOUT_MS_DEFAULT)
        /// Lease of the claims this handle takes.
        public var leaseMs: Int64 = Int64(UPQR_JOURNAL_LEASE_MS_DEFAULT)
        /// Owner name of this handle's claims (printable ASCII); nil: a new unique one.
        public var owner: String? = nil

        public init(location: String, create: Bool = true,
                    busyTimeoutMs: UInt32 = UInt32(UPQR_JOURNAL_BUSY_TIMEOUT_MS_DEFAULT),
                    leaseMs: Int64 = Int64(UPQR_JOURNAL_LEASE_MS_DEFAULT), owner: String? = nil) {
            self.location = location
            self.create = create
            self.busyTimeoutMs = busyTimeoutMs
            self.leaseMs = leaseMs
            self.owner = owner
        }
    }

    let handle: OpaquePointer

    /// Opens (or creates) a journal. Throws `.corrupt` (not an SQLite file or
    /// damaged), `.foreign` (another application's database), `.unsupported`
    /// (a newer schema, or PostgreSQL), `.io`, `.notFound`, `.busy`,
    /// `.invalidArgument`, with the library's message naming the file. Nothing
    /// in the file is changed on failure.
    public init(options: Options) throws {
        try refuseNUL(options.location, "location")
        try refuseNUL(options.owner, "owner")
        var o = upqr_journal_options()
        try check(upqr_journal_options_init(&o, UInt32(UPQR_JOURNAL_OPTIONS_VERSION)))
        o.create = options.create ? 1 : 0
        o.busy_timeout_ms = options.busyTimeoutMs
        o.lease_ms = options.leaseMs
        var h: OpaquePointer?
        var err = [CChar](repeating: 0, count: 512)
        let rc: Int32 = options.location.withCString { loc in
            withOptionalCString(options.owner) { owner in
                o.location = loc
                o.owner = owner
                return upqr_journal_open(&h, &o, &err, err.count)
            }
        }
        try check(rc, message: err.withUnsafeBytes { cText($0) })
        guard let h else { throw UPQRError(status: UPQR_EINTERNAL.rawValue) }
        handle = h
    }

    deinit { upqr_journal_free(handle) }

    private var lastError: String { String(cString: upqr_journal_last_error(handle)) }
    private func fail(_ rc: Int32) throws {
        try check(rc, message: lastError)
    }

    /// The owner name this handle's claims carry.
    public var owner: String { String(cString: upqr_journal_owner(handle)) }
    /// "sqlite".
    public var backend: String { String(cString: upqr_journal_backend(handle)) }

    /// Writes a new PENDING record owned by this handle (call it before the
    /// request leaves). Throws `.duplicate`, `.notFound` (no original),
    /// `.state`, `.overRefund`, `.invalidArgument` (the message names the field).
    public func begin(_ order: JournalOrder) throws -> JournalRecord {
        var o = upqr_journal_order()
        o.kind = upqr_journal_kind(rawValue: order.kind.rawValue)
        try setCText(&o.mer_id, order.merId, "merId")
        try setCText(&o.order_id, order.orderId, "orderId")
        try setCText(&o.txn_time, order.txnTime, "txnTime")
        o.amount = order.amount
        try setCText(&o.currency, order.currency, "currency")
        try setCText(&o.orig_order_id, order.origOrderId, "origOrderId")
        var r = upqr_journal_record()
        try fail(upqr_journal_begin(&r, handle, &o))
        return JournalRecord(r)
    }

    /// Moves record `id` to `to`, storing the non-empty fields of `update`.
    /// Returns the record as it really is afterwards (an answer that agrees
    /// with its history leaves the state). Throws `.state`, `.claimed`, `.notFound`.
    @discardableResult
    public func transition(id: Int64, to: State, update: JournalUpdate? = nil) throws -> JournalRecord {
        var r = upqr_journal_record()
        try withCUpdate(update) { u in try fail(upqr_journal_transition(&r, handle, id, to.c, u)) }
        return JournalRecord(r)
    }

    /// Notes a query whose answer left the outcome open (attempts + 1, lease renewed).
    @discardableResult
    public func noteAttempt(id: Int64, update: JournalUpdate? = nil) throws -> JournalRecord {
        var r = upqr_journal_record()
        try withCUpdate(update) { u in try fail(upqr_journal_note_attempt(&r, handle, id, u)) }
        return JournalRecord(r)
    }

    /// The record with that id. Throws `.notFound`.
    public func get(id: Int64) throws -> JournalRecord {
        var r = upqr_journal_record()
        try fail(upqr_journal_get(&r, handle, id))
        return JournalRecord(r)
    }

    /// The record of merId + orderId (`kind` nil: the operation owning the
    /// orderId; `.reversal`: the reversal of that consume), or nil if none.
    public func find(merId: String, orderId: String, kind: Kind? = nil) throws -> JournalRecord? {
        try refuseNUL(merId, "merId")
        try refuseNUL(orderId, "orderId")
        var r = upqr_journal_record()
        let k = upqr_journal_kind(rawValue: kind?.rawValue ?? UPQR_JOURNAL_KIND_NONE.rawValue)
        let rc = upqr_journal_find(&r, handle, merId, orderId, k)
        if rc == UPQR_ENOTFOUND.rawValue { return nil }
        try fail(rc)
        return JournalRecord(r)
    }

    /// Up to `max` unfinished records (PENDING, UNKNOWN, ACCEPTED), oldest
    /// first, whoever owns them. Read-only: claim them to act on them.
    public func listUnfinished(max: Int = 256) throws -> [JournalRecord] {
        try records(max) { upqr_journal_list_unfinished($0, $1, &$2, handle) }
    }

    /// Claims up to `max` unfinished records whose lease lapsed (or that this
    /// handle owns); no other handle gets them while the lease lives.
    public func claimUnfinished(max: Int = 256) throws -> [JournalRecord] {
        try records(max) { upqr_journal_claim_unfinished($0, $1, &$2, handle) }
    }

    /// Gives up this handle's claim on record `id`. Throws `.claimed` when another handle holds it.
    public func release(id: Int64) throws {
        try fail(upqr_journal_release(handle, id))
    }

    /// Books a verified notification idempotently on its queryId; `isNew` is
    /// false when that queryId was booked before (nothing changed).
    /// The acquirer client does this itself (`Acquirer.handleNotification`).
    public func bookNotification(_ n: JournalNotification) throws -> (isNew: Bool, record: JournalRecord) {
        var c = upqr_journal_notification()
        try setCText(&c.query_id, n.queryId, "queryId")
        try setCText(&c.mer_id, n.merId, "merId")
        try setCText(&c.order_id, n.orderId, "orderId")
        try setCText(&c.txn_time, n.txnTime, "txnTime")
        c.outcome = n.outcome.c
        try setCText(&c.resp_code, n.respCode, "respCode")
        try setCText(&c.orig_resp_code, n.origRespCode, "origRespCode")
        try setCText(&c.resp_msg, n.respMsg, "respMsg")
        c.amount = n.amount
        var isNew: Int32 = 0
        var r = upqr_journal_record()
        try fail(upqr_journal_book_notification(&isNew, &r, handle, &c))
        return (isNew != 0, JournalRecord(r))
    }

    private func records(_ max: Int, _ body: (UnsafeMutablePointer<upqr_journal_record>, Int, inout Int) -> Int32) throws
        -> [JournalRecord] {
        guard max > 0 else { throw UPQRError(status: UPQR_EINVAL.rawValue, message: "max must be positive") }
        var out = [upqr_journal_record](repeating: upqr_journal_record(), count: max)
        var count = 0
        let rc = out.withUnsafeMutableBufferPointer { body($0.baseAddress!, $0.count, &count) }
        try fail(rc)
        return out[..<count].map(JournalRecord.init)
    }

    private func withCUpdate(_ u: JournalUpdate?, _ body: (UnsafePointer<upqr_journal_update>?) throws -> Void) throws {
        guard let u else { return try body(nil) }
        var c = upqr_journal_update()
        try setCText(&c.resp_code, u.respCode, "respCode")
        try setCText(&c.orig_resp_code, u.origRespCode, "origRespCode")
        try setCText(&c.resp_msg, u.respMsg, "respMsg", cutUTF8: true)
        try setCText(&c.query_id, u.queryId, "queryId")
        c.amount = u.amount
        try body(&c)
    }
}

/// One journal record, copied out of the C struct: a plain value.
public struct JournalRecord: Sendable, Hashable {
    public let id: Int64
    public let kind: Journal.Kind?
    public let state: Journal.State?
    public let merId: String
    public let orderId: String
    /// Beijing time, YYYYMMDDhhmmss.
    public let txnTime: String
    /// Minor units (fen); 0 only for an open-amount apply QR.
    public let amount: Int64
    /// ISO 4217 numeric, "156".
    public let currency: String
    /// The original, for void, refund and reversal (0 / "" otherwise).
    public let origId: Int64
    public let origOrderId: String
    public let origTxnTime: String
    public let origQueryId: String
    /// What UnionPay said last.
    public let respCode: String
    public let origRespCode: String
    public let respMsg: String
    public let queryId: String
    /// Sum of this original's refunds that succeeded.
    public let refundedTotal: Int64
    public let attempts: UInt32
    /// Unix time in ms (UTC).
    public let createdMs: Int64
    public let updatedMs: Int64
    /// Claim owner ("" when unclaimed) and its lease end (0 when unclaimed).
    public let owner: String
    public let leaseUntilMs: Int64

    init(_ r: upqr_journal_record) {
        id = r.id
        kind = Journal.Kind(rawValue: r.kind.rawValue)
        state = Journal.State(rawValue: r.state.rawValue)
        merId = withUnsafeBytes(of: r.mer_id) { cText($0) }
        orderId = withUnsafeBytes(of: r.order_id) { cText($0) }
        txnTime = withUnsafeBytes(of: r.txn_time) { cText($0) }
        amount = r.amount
        currency = withUnsafeBytes(of: r.currency) { cText($0) }
        origId = r.orig_id
        origOrderId = withUnsafeBytes(of: r.orig_order_id) { cText($0) }
        origTxnTime = withUnsafeBytes(of: r.orig_txn_time) { cText($0) }
        origQueryId = withUnsafeBytes(of: r.orig_query_id) { cText($0) }
        respCode = withUnsafeBytes(of: r.resp_code) { cText($0) }
        origRespCode = withUnsafeBytes(of: r.orig_resp_code) { cText($0) }
        respMsg = withUnsafeBytes(of: r.resp_msg) { cText($0) }
        queryId = withUnsafeBytes(of: r.query_id) { cText($0) }
        refundedTotal = r.refunded_total
        attempts = r.attempts
        createdMs = r.created_ms
        updatedMs = r.updated_ms
        owner = withUnsafeBytes(of: r.owner) { cText($0) }
        leaseUntilMs = r.lease_until_ms
    }
}

/// A new operation for `Journal.begin` ("" and 0 mean absent).
public struct JournalOrder: Sendable, Hashable {
    public var kind: Journal.Kind
    public var merId: String
    public var orderId: String
    public var txnTime: String
    public var amount: Int64
    /// "" means "156".
    public var currency: String
    /// The original's orderId, for void, refund and reversal.
    public var origOrderId: String

    public init(kind: Journal.Kind, merId: String, orderId: String = "", txnTime: String = "",
                amount: Int64 = 0, currency: String = "", origOrderId: String = "") {
        self.kind = kind
        self.merId = merId
        self.orderId = orderId
        self.txnTime = txnTime
        self.amount = amount
        self.currency = currency
        self.origOrderId = origOrderId
    }
}

/// Fields learned from the gateway ("" / 0 leaves the stored value).
public struct JournalUpdate: Sendable, Hashable {
    public var respCode: String
    public var origRespCode: String
    /// Cut at a UTF-8 character boundary when longer than the journal keeps.
    public var respMsg: String
    public var queryId: String
    /// Settled amount of an open-amount apply QR; else 0.
    public var amount: Int64

    public init(respCode: String = "", origRespCode: String = "", respMsg: String = "",
                queryId: String = "", amount: Int64 = 0) {
        self.respCode = respCode
        self.origRespCode = origRespCode
        self.respMsg = respMsg
        self.queryId = queryId
        self.amount = amount
    }
}

/// A verified notification reduced to what the journal keeps.
public struct JournalNotification: Sendable, Hashable {
    public var queryId: String
    public var merId: String
    public var orderId: String
    public var txnTime: String
    /// `.success` or `.failed`.
    public var outcome: Journal.State
    public var respCode: String
    public var origRespCode: String
    public var respMsg: String
    public var amount: Int64

    public init(queryId: String, merId: String, orderId: String, txnTime: String = "",
                outcome: Journal.State, respCode: String = "", origRespCode: String = "",
                respMsg: String = "", amount: Int64 = 0) {
        self.queryId = queryId
        self.merId = merId
        self.orderId = orderId
        self.txnTime = txnTime
        self.outcome = outcome
        self.respCode = respCode
        self.origRespCode = origRespCode
        self.respMsg = respMsg
        self.amount = amount
    }
}

/// Copies `text` into a fixed C char array (a tuple when imported), NUL
/// terminated. Too long or holding a NUL: `.invalidArgument` naming the field
/// (the C struct would otherwise cut it silently), except `cutUTF8`, which
/// cuts at a character boundary as the journal does for respMsg.
func setCText<T>(_ field: inout T, _ text: String, _ name: String, cutUTF8: Bool = false) throws {
    try refuseNUL(text, name)
    var bytes = Array(text.utf8)
    let cap = MemoryLayout<T>.size - 1
    if bytes.count > cap {
        guard cutUTF8 else {
            throw UPQRError(status: UPQR_EINVAL.rawValue, message: "\(name) is longer than \(cap) bytes")
        }
        var n = cap
        while n > 0 && bytes[n] & 0xC0 == 0x80 { n -= 1 }  // not inside a character
        bytes.removeLast(bytes.count - n)
    }
    withUnsafeMutableBytes(of: &field) { raw in
        raw.copyBytes(from: bytes)
        raw[bytes.count] = 0
    }
}
