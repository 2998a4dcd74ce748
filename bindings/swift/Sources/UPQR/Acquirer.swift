import CUPQR
import Dispatch
import Foundation

/// What the gateway and the client learned about one call, copied out of
/// `upqr_acq_result`. Fields the gateway did not send are "" / nil.
public struct AcquirerReply: Sendable, Hashable {
    /// The gateway accepted the request (a verified sync 00).
    public let accepted: Bool
    /// A reversal ended this order.
    public let reversed: Bool
    /// Queries sent for this call.
    public let queries: Int
    /// The deciding respCode (origRespCode when a query decided) and its text.
    public let respCode: String
    public let respMsg: String
    public let origRespCode: String
    public let orderId: String
    /// Beijing time, YYYYMMDDhhmmss.
    public let txnTime: String
    public let queryId: String
    public let traceNo: String
    public let traceTime: String
    public let settleDate: String
    /// Minor units (fen).
    public let txnAmt: Int64?
    public let settleAmt: Int64?
    /// Apply QR: the code to render.
    public let qrCode: String
    /// accNo as the C library gives it: masked (first 6, last 4).
    public let accNoMasked: String
    /// Encryption-certificate update: the new certificate's serial (decimal).
    public let encryptCertId: String

    init(_ r: upqr_acq_result) {
        accepted = r.accepted != 0
        reversed = r.reversed != 0
        queries = Int(r.queries)
        respCode = withUnsafeBytes(of: r.resp_code) { cText($0) }
        respMsg = withUnsafeBytes(of: r.resp_msg) { cText($0) }
        origRespCode = withUnsafeBytes(of: r.orig_resp_code) { cText($0) }
        orderId = withUnsafeBytes(of: r.order_id) { cText($0) }
        txnTime = withUnsafeBytes(of: r.txn_time) { cText($0) }
        queryId = withUnsafeBytes(of: r.query_id) { cText($0) }
        traceNo = withUnsafeBytes(of: r.trace_no) { cText($0) }
        traceTime = withUnsafeBytes(of: r.trace_time) { cText($0) }
        settleDate = withUnsafeBytes(of: r.settle_date) { cText($0) }
        txnAmt = r.txn_amt < 0 ? nil : r.txn_amt
        settleAmt = r.settle_amt < 0 ? nil : r.settle_amt
        qrCode = withUnsafeBytes(of: r.qr_code) { cText($0) }
        accNoMasked = withUnsafeBytes(of: r.acc_no_masked) { cText($0) }
        encryptCertId = withUnsafeBytes(of: r.encrypt_cert_id) { cText($0) }
    }
}

/// The outcome of an acquirer call: SUCCESS only when a verified message said
/// so; FAILED for a verified final failure, a reversed order or a request
/// that never left; UNKNOWN when nothing verified decided it yet.
public enum AcquirerOutcome: Sendable, Hashable {
    case success(AcquirerReply)
    /// `respCode` is "" when the request never left (`message` says why).
    case failed(respCode: String, message: String, reply: AcquirerReply)
    /// `cause`: what made it unknown (`.timeout`, `.server`, `.network`,
    /// `.invalidInput`, a verifier status for a forged reply), nil when the
    /// order is simply not final yet.
    case unknown(cause: UPQRError?, reply: AcquirerReply)

    /// The details, whatever the outcome.
    public var reply: AcquirerReply {
        switch self {
        case .success(let r), .failed(_, _, let r), .unknown(_, let r): return r
        }
    }

    public var isSuccess: Bool {
        if case .success = self { return true }
        return false
    }

    /// "success", "failed" or "unknown" (upqr_outcome_name).
    public var name: String {
        switch self {
        case .success: return "success"
        case .failed: return "failed"
        case .unknown: return "unknown"
        }
    }

    init(_ r: upqr_acq_result, lastError: String) {
        let reply = AcquirerReply(r)
        switch r.outcome {
        case UPQR_OUTCOME_SUCCESS:
            self = .success(reply)
        case UPQR_OUTCOME_FAILED:
            self = .failed(respCode: reply.respCode,
                           message: reply.respMsg.isEmpty ? lastError : reply.respMsg, reply: reply)
        default:
            self = .unknown(cause: r.cause == UPQR_OK.rawValue ? nil : UPQRError(status: r.cause, message: lastError),
                            reply: reply)
        }
    }
}

/// The consumer's payment code for a merchant-scan consume.
public enum PaymentCode: Sendable, Hashable {
    /// The 19-digit code of a UnionPay app (starts with 62).
    case qrNo(String)
    /// An EMV CPM payload (base64 BER-TLV), sent as emvCpqrcPayload.
    case cpm(String)
}

/// Sensitive consume fields, sent encrypted with the signer's encryption
/// certificate (configure `Signer.Options.encryptionCertificatePath`).
public struct SensitiveFields: Sendable, Hashable {
    public var accNo: String?
    public var phoneNo: String?
    public var cvn2: String?
    public var expired: String?
    public init(accNo: String? = nil, phoneNo: String? = nil, cvn2: String? = nil, expired: String? = nil) {
        self.accNo = accNo
        self.phoneNo = phoneNo
        self.cvn2 = cvn2
        self.expired = expired
    }
}

/// A void or refund of a successful order: name the original by its queryId,
/// or by its orderId (+ txnTime); with a journal the orderId is required.
public struct UndoRequest: Sendable, Hashable {
    /// Minor units: a void's is the original amount; a refund's at most what remains.
    public var amount: Int64
    public var origQueryId: String?
    public var origOrderId: String?
    public var origTxnTime: String?
    /// The void's / refund's own orderId and txnTime (nil: generated).
    public var orderId: String?
    public var txnTime: String?

    public init(amount: Int64, origQueryId: String? = nil, origOrderId: String? = nil,
                origTxnTime: String? = nil, orderId: String? = nil, txnTime: String? = nil) {
        self.amount = amount
        self.origQueryId = origQueryId
        self.origOrderId = origOrderId
        self.origTxnTime = origTxnTime
        self.orderId = orderId
        self.txnTime = txnTime
    }
}

/// What `Acquirer.handleNotification` decided: answer `httpStatus` to UnionPay.
public struct NotificationResult: Sendable, Hashable {
    /// 200 only once the journal has it; 400 rejected (forged, malformed); 500 retry later.
    public let httpStatus: Int
    /// The signature and certificate checked out.
    public let verified: Bool
    /// This queryId was booked before (nothing changed).
    public let duplicate: Bool
    /// txnType of the notification ("01", "04", ...).
    public let txnType: String
    public let outcome: AcquirerOutcome
    /// Why it was not handled (nil when httpStatus is 200).
    public let error: UPQRError?
}

/// What `Acquirer.recover` did with the journal's unfinished orders.
public struct RecoverStats: Sendable, Hashable {
    public let claimed: Int
    public let succeeded: Int
    /// Including reversed.
    public let failed: Int
    public let reversed: Int
    /// Still unknown: run recovery again later.
    public let unknown: Int
}

/// The acquirer client (upqr/acquirer.h): UnionPay's ACP gateway over
/// libcurl, with the SUCCESS / FAILED / UNKNOWN outcome model.
///
/// Every operation is `async`: the blocking C call runs on the client's own
/// serial dispatch queue, never on the caller's task, and calls on one client
/// run one at a time in the order they were made (the C handle is used by one
/// thread at a time). So the client is `Sendable`: share it between tasks.
/// For parallel orders create several clients (each opens its own signer,
/// verifier and journal handle; they may share one journal file).
///
/// Cancelling the calling task does not stop a call that has started: a
/// money request's outcome must be learned once it may have left.
public final class Acquirer: @unchecked Sendable {
    // @unchecked: every use of `handle` (and of the signer, verifier and
    // journal it borrows) happens on `queue`, which is serial.

    public struct Options: Sendable {
        /// 15 digits.
        public var merId: String
        /// "0" merchant, "1" acquirer (needs `acqInsCode`), "2" platform.
        public var accessType: String = "0"
        public var acqInsCode: String? = nil
        /// Gateway base URL without the path; https except for loopback hosts.
        public var baseURL: String
        /// The merchant key; the client creates its own signer from these
        /// options. Its version and signMethod are the client's.
        public var signer: Signer.Options
        /// UnionPay's trust; the client creates its own verifier.
        public var verifier: Verifier.Options
        /// The order journal (a file); nil: no journal.
        public var journal: Journal.Options? = nil
        /// Notification URL sent as backUrl (required for money calls).
        public var backURL: String? = nil
        public var connectTimeoutMs: Int = 30000
        public var totalTimeoutMs: Int = 30000
        /// CA bundle for the gateway's TLS certificate (nil: the system's).
        public var caFile: String? = nil
        /// "sha256//base64" or a key file (CURLOPT_PINNEDPUBLICKEY).
        public var pinnedPublicKey: String? = nil
        /// UnionPay's test environment or a simulator; must agree with `baseURL`.
        public var testEnvironment: Bool = false
        public var userAgent: String? = nil
        /// TLS verification off: refused unless the host is loopback. Simulators only.
        public var insecureLoopbackTLS: Bool = false
        /// Query loop delays in ms (empty: 1, 2, 4, 8, 16, 32 s); at most 16.
        public var backoffMs: [UInt32] = []
        /// Every delay is divided by this (tests).
        public var timeDivisor: UInt32 = 1
        /// Money calls return after the sync reply; resolve later.
        public var syncOnly: Bool = false

        public init(merId: String, baseURL: String, signer: Signer.Options, verifier: Verifier.Options,
                    journal: Journal.Options? = nil, backURL: String? = nil) {
            self.merId = merId
            self.baseURL = baseURL
            self.signer = signer
            self.verifier = verifier
            self.journal = journal
            self.backURL = backURL
        }
    }

    private let handle: OpaquePointer
    // Borrowed by the C client: kept alive as long as it, never exposed.
    private let signer: Signer
    private let verifier: Verifier
    private let journal: Journal?
    private let queue = DispatchQueue(label: "upqr.acquirer")
    /// The merchant this client sends as merId.
    public let merId: String

    /// Loads the key and trust, opens the journal and checks the options;
    /// nothing is sent. Throws the signer's, verifier's or journal's error,
    /// or `.invalidArgument` for a bad option (merId, URL, loopback rule).
    public init(options: Options) throws {
        guard options.backoffMs.count <= Int(UPQR_ACQ_BACKOFF_MAX) else {
            throw UPQRError(status: UPQR_EINVAL.rawValue, message: "at most \(UPQR_ACQ_BACKOFF_MAX) back-off delays")
        }
        merId = options.merId
        signer = try Signer(options: options.signer)
        verifier = try Verifier(options: options.verifier)
        journal = try options.journal.map { try Journal(options: $0) }
        var o = upqr_acquirer_options()
        try check(upqr_acquirer_options_init(&o, UInt32(UPQR_ACQUIRER_OPTIONS_VERSION)))
        o.signer = signer.handle
        o.verifier = verifier.handle
        o.journal = journal?.handle
        o.acp_version = upqr_acp_version(rawValue: UInt32(options.signer.version.rawValue))
        o.sign_method = upqr_acp_sign_method(rawValue: UInt32(options.signer.signMethod.rawValue))
        o.connect_timeout_ms = options.connectTimeoutMs
        o.total_timeout_ms = options.totalTimeoutMs
        o.test_env = options.testEnvironment ? 1 : 0
        o.insecure_loopback_tls = options.insecureLoopbackTLS ? 1 : 0
        withUnsafeMutableBytes(of: &o.backoff_ms) { raw in
            for (i, d) in options.backoffMs.enumerated() { raw.storeBytes(of: d, toByteOffset: i * 4, as: UInt32.self) }
        }
        o.backoff_count = options.backoffMs.count
        o.time_divisor = options.timeDivisor
        o.sync_only = options.syncOnly ? 1 : 0
        var h: OpaquePointer?
        var why = [CChar](repeating: 0, count: 256)
        // The client copies every string while it is created.
        let rc = try withCStrings([options.merId, options.accessType, options.acqInsCode, options.baseURL,
                                   options.caFile, options.pinnedPublicKey, options.userAgent, options.backURL],
                                  ["merId", "accessType", "acqInsCode", "baseURL", "caFile",
                                   "pinnedPublicKey", "userAgent", "backURL"]) { s in
            o.mer_id = s[0]; o.access_type = s[1]; o.acq_ins_code = s[2]; o.base_url = s[3]
            o.ca_file = s[4]; o.pinned_public_key = s[5]; o.user_agent = s[6]; o.back_url = s[7]
            return upqr_acquirer_open(&h, &o, &why, why.count)
        }
        // No handle on failure: the library's reason names the option (C field names).
        try check(rc, message: rc == UPQR_OK.rawValue ? nil : String(cString: why))
        guard let h else { throw UPQRError(status: UPQR_EINTERNAL.rawValue) }
        handle = h
    }

    deinit { upqr_acquirer_free(handle) }

    // ---- running C calls off the caller's task --------------------------------

    /// Runs `body` on the client's queue and resumes the caller with its result.
    private func run<T: Sendable>(_ body: @escaping @Sendable (OpaquePointer) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (k: CheckedContinuation<T, Error>) in
            queue.async { k.resume(with: Result { try body(self.handle) }) }
        }
    }

    private func lastError(_ h: OpaquePointer) -> String { String(cString: upqr_acquirer_last_error(h)) }

    /// One operation: the C call fills a result; UPQR_OK means an outcome was
    /// reached, anything else that nothing was sent (thrown with the reason).
    private func outcome(_ strings: [String?], _ names: [String],
                         _ call: @escaping @Sendable (UnsafeMutablePointer<upqr_acq_result>, OpaquePointer,
                                                      [UnsafePointer<CChar>?]) -> Int32) async throws -> AcquirerOutcome {
        try await run { h in
            var r = upqr_acq_result()
            let rc = try withCStrings(strings, names) { s in call(&r, h, s) }
            try check(rc, message: self.lastError(h))
            return AcquirerOutcome(r, lastError: self.lastError(h))
        }
    }

    // ---- operations -------------------------------------------------------------

    /// Applies for a consumer-scan QR code (01/07). `.success` = the code was
    /// issued (`reply.qrCode`), not paid: payment comes by notification or query.
    /// `amount` 0 lets the payer enter it.
    public func applyQR(amount: Int64, orderId: String? = nil, txnTime: String? = nil,
                        termId: String? = nil, reqReserved: String? = nil) async throws -> AcquirerOutcome {
        try await outcome([orderId, txnTime, termId, reqReserved], ["orderId", "txnTime", "termId", "reqReserved"]) {
            var q = upqr_apply_request(order_id: $2[0], txn_time: $2[1], txn_amt: amount,
                                       term_id: $2[2], req_reserved: $2[3])
            return upqr_acquirer_apply_qr($0, $1, &q)
        }
    }

    /// Charges the consumer's payment code (01/06); unless `syncOnly`, runs the
    /// query loop and reverses an order still unknown at its end.
    public func consume(_ code: PaymentCode, amount: Int64, orderId: String? = nil, txnTime: String? = nil,
                        termId: String? = nil, reqReserved: String? = nil,
                        sensitive: SensitiveFields = SensitiveFields()) async throws -> AcquirerOutcome {
        var qrNo: String? = nil, cpm: String? = nil
        switch code {
        case .qrNo(let s): qrNo = s
        case .cpm(let s): cpm = s
        }
        return try await outcome([orderId, txnTime, qrNo, cpm, termId, reqReserved,
                                  sensitive.accNo, sensitive.phoneNo, sensitive.cvn2, sensitive.expired],
                                 ["orderId", "txnTime", "qrNo", "cpmPayload", "termId", "reqReserved",
                                  "accNo", "phoneNo", "cvn2", "expired"]) {
            var q = upqr_consume_request(order_id: $2[0], txn_time: $2[1], txn_amt: amount, qr_no: $2[2],
                                         cpm_payload: $2[3], term_id: $2[4], req_reserved: $2[5],
                                         acc_no: $2[6], phone_no: $2[7], cvn2: $2[8], expired: $2[9])
            return upqr_acquirer_consume($0, $1, &q)
        }
    }

    /// Voids (31/00) a same-day successful consume, for its full amount.
    public func void(_ req: UndoRequest) async throws -> AcquirerOutcome {
        try await undo(req, isVoid: true)
    }

    /// Refunds (04/00) a successful order, partly or wholly; with a journal,
    /// refunds beyond the original are refused before anything is sent (`.overRefund`).
    public func refund(_ req: UndoRequest) async throws -> AcquirerOutcome {
        try await undo(req, isVoid: false)
    }

    // Imported C functions are not Sendable values, so the operation is named, not passed.
    private func undo(_ req: UndoRequest, isVoid: Bool) async throws -> AcquirerOutcome {
        try await outcome([req.orderId, req.txnTime, req.origQueryId, req.origOrderId, req.origTxnTime],
                          ["orderId", "txnTime", "origQueryId", "origOrderId", "origTxnTime"]) {
            var q = upqr_undo_request(order_id: $2[0], txn_time: $2[1], txn_amt: req.amount,
                                      orig_query_id: $2[2], orig_order_id: $2[3], orig_txn_time: $2[4])
            return isVoid ? upqr_acquirer_void($0, $1, &q) : upqr_acquirer_refund($0, $1, &q)
        }
    }

    /// One query (00/00): `.success` / `.failed` when the order is final, `.unknown` otherwise.
    public func query(orderId: String, txnTime: String) async throws -> AcquirerOutcome {
        try await byRef(orderId, txnTime, .query)
    }

    /// The query loop: queries with the back-off until the order is final.
    public func resolve(orderId: String, txnTime: String) async throws -> AcquirerOutcome {
        try await byRef(orderId, txnTime, .resolve)
    }

    /// Reverses (99/01) a merchant-scan consume: `.success` = reversed.
    public func reverse(orderId: String, txnTime: String) async throws -> AcquirerOutcome {
        try await byRef(orderId, txnTime, .reverse)
    }

    private enum RefOp: Sendable { case query, resolve, reverse }

    private func byRef(_ orderId: String, _ txnTime: String, _ op: RefOp) async throws -> AcquirerOutcome {
        try await outcome([orderId, txnTime], ["orderId", "txnTime"]) {
            var ref = upqr_order_ref(order_id: $2[0], txn_time: $2[1])
            switch op {
            case .query: return upqr_acquirer_query($0, $1, &ref)
            case .resolve: return upqr_acquirer_resolve($0, $1, &ref)
            case .reverse: return upqr_acquirer_reverse($0, $1, &ref)
            }
        }
    }

    /// Fetches UnionPay's current encryption certificate (95/00), authenticated
    /// by the verified reply. Returns its PEM with the outcome (`reply.encryptCertId`
    /// is its serial); to use it, write it to a file and create a new client.
    public func updateEncryptionCertificate() async throws -> (pem: String, outcome: AcquirerOutcome) {
        try await run { h in
            var r = upqr_acq_result()
            let pem = try sizedText(onError: { UPQRError(status: $0, message: self.lastError(h)) }) {
                upqr_acquirer_update_encrypt_cert(&r, $0, $1, &$2, h)
            }
            return (pem, AcquirerOutcome(r, lastError: self.lastError(h)))
        }
    }

    /// Handles one notification POST: `body` is the raw form body, `urlQuery`
    /// the notification URL's own query string (discarded: it is not signed).
    /// Verifies it, books it in the journal by queryId (a repeat changes
    /// nothing) and says which HTTP status to answer.
    public func handleNotification(body: Data, urlQuery: String? = nil) async throws -> NotificationResult {
        try refuseNUL(urlQuery, "urlQuery")
        return try await run { h in
            var n = upqr_notify_result()
            let rc = withBytes(body) { b, len in
                b.withMemoryRebound(to: CChar.self, capacity: max(len, 1)) { chars in
                    withOptionalCString(urlQuery) { q in
                        upqr_acquirer_notify(&n, h, chars, len, q, q == nil ? 0 : strlen(q!))
                    }
                }
            }
            let err = rc == UPQR_OK.rawValue ? nil : UPQRError(status: rc, message: self.lastError(h))
            return NotificationResult(httpStatus: Int(n.http_status), verified: n.verified != 0,
                                      duplicate: n.duplicate != 0,
                                      txnType: withUnsafeBytes(of: n.txn_type) { cText($0) },
                                      outcome: AcquirerOutcome(n.result, lastError: self.lastError(h)), error: err)
        }
    }

    /// Drives every unfinished order of the client's journal to a final state
    /// (query loop; reversal of merchant-scan consumes where allowed). Orders
    /// another handle holds are skipped. Throws `.invalidArgument` without a journal.
    public func recover() async throws -> RecoverStats {
        try await run { h in
            var s = upqr_recover_stats()
            try check(upqr_journal_recover(&s, h), message: self.lastError(h))
            return RecoverStats(claimed: s.claimed, succeeded: s.succeeded, failed: s.failed,
                                reversed: s.reversed, unknown: s.unknown)
        }
    }

    /// A new orderId: Beijing txnTime + a per-client sequence + 8 random
    /// alphanumerics (28 characters, sortable by time).
    public func newOrderId(at date: Date = Date()) async throws -> String {
        try await run { h in
            var out = [CChar](repeating: 0, count: 33)
            try check(upqr_acquirer_order_id(&out, h, Int64(date.timeIntervalSince1970.rounded(.down))),
                      message: self.lastError(h))
            return out.withUnsafeBytes { cText($0) }
        }
    }

    /// Connections libcurl opened for this client so far (1 when keep-alive held).
    public func connections() async throws -> Int {
        try await run { h in Int(upqr_acquirer_connections(h)) }
    }

    /// The record of one of this client's orders in its journal (nil if none).
    public func journalRecord(orderId: String, kind: Journal.Kind? = nil) async throws -> JournalRecord? {
        try await run { _ in
            guard let j = self.journal else {
                throw UPQRError(status: UPQR_EINVAL.rawValue, message: "the client has no journal")
            }
            return try j.find(merId: self.merId, orderId: orderId, kind: kind)
        }
    }

    /// Beijing time (UTC+8) of `date` as YYYYMMDDhhmmss, whatever the time zone says.
    public static func txnTime(_ date: Date = Date()) -> String {
        var out = [CChar](repeating: 0, count: 15)
        upqr_acp_txn_time(&out, Int64(date.timeIntervalSince1970.rounded(.down)))
        return out.withUnsafeBytes { cText($0) }
    }
}

/// C views of optional strings, valid inside `body` only: all are laid out,
/// NUL-terminated, in one buffer that outlives every pointer into it. A
/// string holding a NUL is refused (C would cut it), naming it.
func withCStrings<R>(_ strings: [String?], _ names: [String],
                     _ body: ([UnsafePointer<CChar>?]) throws -> R) throws -> R {
    var bytes: [CChar] = []
    var offsets: [Int?] = []
    for (s, name) in zip(strings, names) {
        guard let s else { offsets.append(nil); continue }
        try refuseNUL(s, name)
        offsets.append(bytes.count)
        bytes.append(contentsOf: s.utf8.map { CChar(bitPattern: $0) })
        bytes.append(0)
    }
    if bytes.isEmpty { bytes.append(0) }
    return try bytes.withUnsafeBufferPointer { buf in
        try body(offsets.map { $0.map { UnsafePointer(buf.baseAddress! + $0) } })
    }
}
