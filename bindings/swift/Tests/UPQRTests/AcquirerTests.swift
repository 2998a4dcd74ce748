import Dispatch
import Foundation
import UPQR
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The acquirer client from Swift against upqr-sim: each test starts the
/// simulator on 127.0.0.1:0 (state in memory), reads its ready line, runs its
/// orders and stops it in tearDown; a notification receiver on another
/// loopback port hands UnionPay's notifications to a second client that
/// shares the journal file. The query loop is time-scaled (1..32 ms).
final class AcquirerTests: XCTestCase {
    var sim: SimProcess?
    var receiver: NotifyReceiver?
    var rx: Acquirer?
    var dir = ""
    var journalPath = ""
    let notices = NoticeLog()
    let rxBox = RxBox()

    override func setUpWithError() throws {
        let bin = buildDir + "/bin/upqr-sim"
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: bin), "\(bin) not built (make sim)")
        try XCTSkipUnless(FileManager.default.fileExists(atPath: buildDir + "/pki/merchant.pfx"),
                          "test PKI not generated (make pki)")
        dir = NSTemporaryDirectory() + "upqr-swift-acq-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        journalPath = dir + "/journal.db"
        // QR codes live 10 h of simulator time even on a slow machine; no query rate limit.
        let cfg = dir + "/sim.json"
        try "{\"queryLimitPerMinute\": 1000000, \"qrTtlSeconds\": 36000}\n".write(toFile: cfg, atomically: true,
                                                                                    encoding: .utf8)
        sim = try SimProcess(binary: bin, arguments: ["--listen", "127.0.0.1:0", "--state", ":memory:",
                                                      "--pki", buildDir + "/pki", "--config", cfg,
                                                      "--time-scale", "600"])
        let log = notices
        let box = rxBox
        receiver = try NotifyReceiver { body, query in
            guard let rx = box.client else { return 503 }
            let done = DispatchSemaphore(value: 0)
            let status = StatusBox()
            Task {
                let r = try? await rx.handleNotification(body: body, urlQuery: query)
                if let r { log.add(r, body: body) }
                status.value = r?.httpStatus ?? 500
                done.signal()
            }
            done.wait()
            return status.value
        }
        rx = try Acquirer(options: options())
        box.client = rx
    }

    override func tearDownWithError() throws {
        receiver?.stop()
        receiver = nil
        rxBox.client = nil
        rx = nil
        sim?.stop()
        XCTAssertEqual(sim?.isRunning ?? false, false, "upqr-sim still running")
        sim = nil
        if !dir.isEmpty { try? FileManager.default.removeItem(atPath: dir) }
    }

    /// A client of the simulator's first merchant, with the journal unless told otherwise.
    func options(journal: Bool = true) throws -> Acquirer.Options {
        let s = try XCTUnwrap(sim)
        var o = Acquirer.Options(
            merId: s.ready["merId"] as? String ?? "",
            baseURL: s.ready["baseUrl"] as? String ?? "",
            signer: Signer.Options(key: .pkcs12File(path: s.ready["pfx"] as? String ?? "",
                                                    password: s.ready["pfxPassword"] as? String ?? ""),
                                   encryptionCertificatePath: s.ready["encryptCert"] as? String),
            // The simulator signs with the test-environment CN.
            verifier: Verifier.Options(rootCertificatePath: s.ready["rootCert"] as? String,
                                       middleCertificatePath: s.ready["middleCert"] as? String,
                                       testEnvironment: true),
            journal: journal ? Journal.Options(location: journalPath, leaseMs: 2000) : nil,
            backURL: receiver?.url)
        o.testEnvironment = true
        o.connectTimeoutMs = 5000
        o.totalTimeoutMs = 5000
        o.timeDivisor = 1000
        return o
    }

    func journalState(_ orderId: String) throws -> Journal.State? {
        let j = try Journal(options: Journal.Options(location: journalPath))
        return try j.find(merId: try XCTUnwrap(sim?.ready["merId"] as? String), orderId: orderId)?.state
    }

    /// Waits up to 5 s for the journal record of orderId to reach `state`.
    func waitState(_ orderId: String, _ state: Journal.State) throws -> Bool {
        for _ in 0..<500 {
            if try journalState(orderId) == state { return true }
            usleep(10_000)
        }
        return false
    }

    func fault(_ orderId: String, _ name: String, _ value: String) throws {
        let (status, _) = try XCTUnwrap(sim).post("/__sim/faults", "scope=order&key=\(orderId)&fault=\(name)&value=\(value)")
        XCTAssertEqual(status, 200)
    }

    // ---- the tests -------------------------------------------------------------------

    /// Apply for a QR code, the payer pays it at the simulator, the
    /// notification is booked, the query loop says SUCCESS.
    func testApplyQRPayResolve() async throws {
        let acq = try Acquirer(options: options())
        let applied = try await acq.applyQR(amount: 500)
        guard case .success(let a) = applied else { return XCTFail("apply QR: \(applied)") }
        XCTAssertTrue(a.qrCode.hasPrefix("https://qr.95516.com/"), a.qrCode)
        XCTAssertEqual(a.orderId.count, 28)
        XCTAssertEqual(a.txnAmt, 500)
        let rec = try await acq.journalRecord(orderId: a.orderId)
        XCTAssertEqual(rec?.state, .accepted)
        XCTAssertEqual(rec?.kind, .applyQR)
        // Issued, not paid: a query says unknown, never success.
        let before = try await acq.query(orderId: a.orderId, txnTime: a.txnTime)
        guard case .unknown = before else { return XCTFail("unpaid order: \(before)") }

        let (status, body) = try XCTUnwrap(sim).post("/__sim/pay", "qrCode=\(a.qrCode)&outcome=success")
        XCTAssertEqual(status, 200, body)
        XCTAssertTrue(try waitState(a.orderId, .success), "the notification was not booked")
        let resolved = try await acq.resolve(orderId: a.orderId, txnTime: a.txnTime)
        guard case .success(let r) = resolved else { return XCTFail("resolve: \(resolved)") }
        XCTAssertEqual(r.orderId, a.orderId)
        XCTAssertEqual(r.queryId.count, 21)
        XCTAssertEqual(r.txnAmt, 500)

        // The receiver's client verified and booked it.
        let got = notices.all.filter { $0.result.outcome.reply.orderId == a.orderId }
        XCTAssertFalse(got.isEmpty)
        for n in got {
            XCTAssertEqual(n.result.httpStatus, 200)
            XCTAssertTrue(n.result.verified)
            XCTAssertTrue(n.result.outcome.isSuccess)
            XCTAssertNil(n.result.error)
        }
        // The same notification again: acknowledged, booked once.
        let rx = try XCTUnwrap(self.rx)
        let again = try await rx.handleNotification(body: got[0].body, urlQuery: "shop=1")
        XCTAssertEqual(again.httpStatus, 200)
        XCTAssertTrue(again.duplicate)
        // Tampered (the amount changed after signing): rejected, never success.
        let text = String(decoding: got[0].body, as: UTF8.self)
        XCTAssertTrue(text.contains("txnAmt=500"))
        let forged = try await rx.handleNotification(
            body: Data(text.replacingOccurrences(of: "txnAmt=500", with: "txnAmt=501").utf8))
        XCTAssertEqual(forged.httpStatus, 400)
        XCTAssertFalse(forged.verified)
        XCTAssertFalse(forged.outcome.isSuccess)
        XCTAssertNotNil(forged.error)
    }

    /// A merchant-scan consume with the consumer's qrNo, then refunds: the
    /// journal refuses the one that would exceed the payment, before sending it.
    func testConsumeQRNoAndRefund() async throws {
        let acq = try Acquirer(options: options())
        let paid = try await acq.consume(.qrNo("6225123456789012345"), amount: 1000)
        guard case .success(let p) = paid else { return XCTFail("consume: \(paid)") }
        XCTAssertTrue(p.accepted)
        XCTAssertEqual(p.queryId.count, 21)
        XCTAssertEqual(try journalState(p.orderId), .success)
        let pk = try await acq.journalRecord(orderId: p.orderId)?.kind
        XCTAssertEqual(pk, .consumeQRNo)

        let r1 = try await acq.refund(UndoRequest(amount: 300, origOrderId: p.orderId, origTxnTime: p.txnTime))
        XCTAssertTrue(r1.isSuccess, "\(r1)")
        do {
            _ = try await acq.refund(UndoRequest(amount: 800, origOrderId: p.orderId, origTxnTime: p.txnTime))
            XCTFail("a refund beyond the payment was not refused")
        } catch let e as UPQRError {
            XCTAssertEqual(e.statusName, "UPQR_EOVERREFUND", "\(e)")
        }
        let r2 = try await acq.refund(UndoRequest(amount: 700, origQueryId: p.queryId, origOrderId: p.orderId))
        XCTAssertTrue(r2.isSuccess, "\(r2)")
        XCTAssertEqual(try journalState(p.orderId), .refunded)

        // A void of another payment, full amount.
        let second = try await acq.consume(.qrNo("6225123456789012345"), amount: 800)
        XCTAssertTrue(second.isSuccess, "\(second)")
        let v = try await acq.void(UndoRequest(amount: 800, origQueryId: second.reply.queryId,
                                               origOrderId: second.reply.orderId))
        XCTAssertTrue(v.isSuccess, "\(v)")
        XCTAssertEqual(try journalState(second.reply.orderId), .voided)
    }

    /// A consume with an EMV CPM payload (generated in Swift with the test
    /// profile, whose key the simulator derives too); the replayed code is refused.
    func testConsumeCPM() async throws {
        let json = try String(contentsOfFile: repoPath("tests/data/cpm-profile.json"), encoding: .utf8)
        let (profile, mk) = try CPMProfile.parse(json: json)
        var atc: UInt16 = 6
        let code = try CPM.generate(profile: profile, key: try XCTUnwrap(mk), atc: &atc,
                                    transaction: CPMTransaction(amount: 1200))
        let acq = try Acquirer(options: options())
        let paid = try await acq.consume(.cpm(code), amount: 1200)
        guard case .success(let p) = paid else { return XCTFail("CPM consume: \(paid)") }
        let ck = try await acq.journalRecord(orderId: p.orderId)?.kind
        XCTAssertEqual(ck, .consumeCPM)
        let replay = try await acq.consume(.cpm(code), amount: 1200)
        guard case .failed(let code2, _, _) = replay else { return XCTFail("replayed CPM: \(replay)") }
        XCTAssertFalse(code2.isEmpty)
    }

    /// The encryption-certificate update (95/00) and a consume with encrypted
    /// sensitive fields: the card number never shows unmasked.
    func testEncryptionCertificateAndSensitiveFields() async throws {
        let acq = try Acquirer(options: options())
        let (pem, out) = try await acq.updateEncryptionCertificate()
        XCTAssertTrue(out.isSuccess, "\(out)")
        XCTAssertTrue(pem.contains("-----BEGIN CERTIFICATE-----"))
        XCTAssertFalse(out.reply.encryptCertId.isEmpty)
        XCTAssertTrue(out.reply.encryptCertId.allSatisfy(\.isNumber))
        let pan = "6216261000000000018"
        let r = try await acq.consume(.qrNo("6225123456789012345"), amount: 99,
                                      sensitive: SensitiveFields(accNo: pan, phoneNo: "13552535506",
                                                                 cvn2: "123", expired: "2912"))
        XCTAssertTrue(r.isSuccess, "\(r)")
        XCTAssertFalse("\(r)".contains(pan))
        if !r.reply.accNoMasked.isEmpty { XCTAssertTrue(r.reply.accNoMasked.contains("*"), r.reply.accNoMasked) }
    }

    /// The gateway answers 05 ("in progress") to the consume: the query loop
    /// learns the final SUCCESS; the faulty reply itself decided nothing.
    func testFaultResolvedByQueryLoop() async throws {
        let acq = try Acquirer(options: options())
        for (name, value) in [("resp", "05"), ("http500", "1"), ("truncate", "1")] {
            let orderId = try await acq.newOrderId()
            try fault(orderId, name, value)
            let r = try await acq.consume(.qrNo("6225123456789012345"), amount: 2000, orderId: orderId)
            guard case .success(let p) = r else { XCTFail("\(name)=\(value): \(r)"); continue }
            XCTAssertFalse(p.accepted, "\(name)=\(value)")
            XCTAssertFalse(p.reversed)
            XCTAssertEqual(try journalState(orderId), .success)
        }
    }

    /// Forged or tampered replies (bad signature, self-signed certificate) to
    /// an order the gateway never settles: never SUCCESS, in the outcome or the journal.
    func testTamperedReplyNeverSuccess() async throws {
        let acq = try Acquirer(options: options())
        for (name, value) in [("badsig", "1"), ("cert", "selfsigned")] {
            let orderId = try await acq.newOrderId()
            try fault(orderId, name, value)
            try fault(orderId, "outcome", "pending")
            let r = try await acq.consume(.qrNo("6225123456789012345"), amount: 3000, orderId: orderId)
            XCTAssertFalse(r.isSuccess, "\(name)=\(value): \(r)")
            XCTAssertFalse(r.reply.accepted)
            let state = try journalState(orderId)
            XCTAssertNotNil(state)
            XCTAssertNotEqual(state, .success)
        }
        // A sync reply that is forged on its own (the gateway does pay): only
        // the verified query says SUCCESS, and the forged reply is not "accepted".
        let orderId = try await acq.newOrderId()
        try fault(orderId, "badsig", "1")
        let q = try await acq.consume(.qrNo("6225123456789012345"), amount: 3001, orderId: orderId)
        XCTAssertFalse(q.reply.accepted)
    }

    /// An order left unknown by a sync-only client (its notification not
    /// booked: the receiver answers 503) is settled by recovery's queries.
    func testSyncOnlyThenRecover() async throws {
        rxBox.client = nil
        var o = try options()
        o.syncOnly = true
        let acq = try Acquirer(options: o)
        let orderId = try await acq.newOrderId()
        try fault(orderId, "resp", "05")
        let r = try await acq.consume(.qrNo("6225123456789012345"), amount: 4000, orderId: orderId)
        guard case .unknown(let cause, let reply) = r else { return XCTFail("sync only: \(r)") }
        XCTAssertEqual(reply.respCode, "05")
        XCTAssertEqual(reply.queries, 0)
        XCTAssertNil(cause, "a verified 05 is an answer, not a failure: \(String(describing: cause))")
        XCTAssertTrue(reply.accepted == false)
        let pending = try await acq.journalRecord(orderId: orderId)
        XCTAssertEqual(pending?.state, .unknown)
        XCTAssertNotEqual(try journalState(orderId), .success)
        let stats = try await acq.recover()
        XCTAssertGreaterThanOrEqual(stats.claimed, 1)
        XCTAssertEqual(stats.unknown, 0)
        XCTAssertEqual(try journalState(orderId), .success)
    }

    /// Bad options and requests throw the right error and send nothing.
    func testBadInput() async throws {
        var o = try options()
        o.merId = "12345"
        XCTAssertThrowsError(try Acquirer(options: o)) {
            XCTAssertEqual(($0 as? UPQRError)?.statusName, "UPQR_EINVAL")
            XCTAssertTrue(($0 as? UPQRError)?.message.contains("mer_id must be 15 digits") ?? false, "\($0)")
        }
        o = try options()
        o.baseURL = "http://example.com"  // plain http off loopback
        XCTAssertThrowsError(try Acquirer(options: o)) { XCTAssertEqual(($0 as? UPQRError)?.statusName, "UPQR_EINVAL") }
        o = try options()
        o.backoffMs = [UInt32](repeating: 1, count: 17)
        XCTAssertThrowsError(try Acquirer(options: o)) { XCTAssertEqual(($0 as? UPQRError)?.statusName, "UPQR_EINVAL") }
        o = try options()
        o.signer = Signer.Options(key: .pkcs12File(path: sim!.ready["pfx"] as? String ?? "", password: "wrong"))
        XCTAssertThrowsError(try Acquirer(options: o)) { XCTAssertEqual(($0 as? UPQRError)?.statusName, "UPQR_EPASSWORD") }

        let acq = try Acquirer(options: options(journal: false))
        for (code, amount) in [(PaymentCode.qrNo("12345"), Int64(100)), (.qrNo("6225123456789012345"), 0),
                               (.qrNo("6225\u{0}23456789012345"), 100)] {
            do {
                let r = try await acq.consume(code, amount: amount)
                XCTFail("\(code) \(amount): not refused: \(r)")
            } catch let e as UPQRError {
                XCTAssertEqual(e.statusName, "UPQR_EINVAL", "\(e)")
                XCTAssertFalse(e.message.isEmpty)
            }
        }
        do {
            _ = try await acq.recover()
            XCTFail("recovery without a journal")
        } catch let e as UPQRError {
            XCTAssertEqual(e.statusName, "UPQR_EINVAL")
        }
        // Nothing reached the simulator: the only orders are none.
        let conns = try await acq.connections()
        XCTAssertEqual(conns, 0)
        // Beijing time, whatever the zone.
        XCTAssertEqual(Acquirer.txnTime(Date(timeIntervalSince1970: 0)), "19700101080000")
    }

    /// Calls from many tasks on one client run one at a time, off the callers' tasks.
    func testConcurrentCallsSerialised() async throws {
        let acq = try Acquirer(options: options())
        let outcomes = try await withThrowingTaskGroup(of: AcquirerOutcome.self) { group in
            for i in 0..<6 {
                group.addTask { try await acq.consume(.qrNo("6225123456789012345"), amount: 100 + Int64(i)) }
            }
            var all: [AcquirerOutcome] = []
            for try await o in group { all.append(o) }
            return all
        }
        XCTAssertEqual(outcomes.count, 6)
        XCTAssertTrue(outcomes.allSatisfy(\.isSuccess), "\(outcomes)")
        XCTAssertEqual(Set(outcomes.map(\.reply.orderId)).count, 6)
        let conns = try await acq.connections()
        XCTAssertEqual(conns, 1)  // one keep-alive connection
    }
}

// ---- the simulator process -----------------------------------------------------------

/// upqr-sim started on a random loopback port; `ready` is its ready line.
final class SimProcess {
    let process = Process()
    let ready: [String: Any]

    init(binary: String, arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        // The ready line, read off the test's thread so a hung start times out (30 s).
        let line = LineBox()
        let got = DispatchSemaphore(value: 0)
        let handle = out.fileHandleForReading
        Thread.detachNewThread {
            var bytes: [UInt8] = []
            while true {
                let d = handle.readData(ofLength: 1)
                if d.isEmpty || d.first == UInt8(ascii: "\n") { break }
                bytes.append(contentsOf: d)
            }
            line.value = bytes
            got.signal()
        }
        guard got.wait(timeout: .now() + 30) == .success,
              let obj = try? JSONSerialization.jsonObject(with: Data(line.value)) as? [String: Any],
              obj["ready"] as? Bool == true else {
            process.terminate()
            process.waitUntilExit()
            throw NSError(domain: "upqr-sim", code: 1,
                          userInfo: [NSLocalizedDescriptionKey: "upqr-sim did not print its ready line"])
        }
        ready = obj
    }

    var isRunning: Bool { process.isRunning }

    /// SIGTERM, then waits for it to exit.
    func stop() {
        if process.isRunning {
            process.terminate()
        }
        process.waitUntilExit()
    }

    /// POSTs a form to the simulator's control API; (HTTP status, body).
    func post(_ path: String, _ form: String) throws -> (Int, String) {
        let base = ready["baseUrl"] as? String ?? ""
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        p.arguments = ["-s", "-m", "20", "-w", "\n%{http_code}", "--data-raw", form, base + path]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        let parts = text.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(parts.last ?? "") ?? -1, parts.dropLast().joined(separator: "\n"))
    }
}

// ---- the notification receiver -------------------------------------------------------

/// A one-request-per-connection HTTP listener on 127.0.0.1:0 for the
/// simulator's notifications; `handler` returns the status to answer.
final class NotifyReceiver: @unchecked Sendable {
    private let fd: Int32
    let url: String
    private let lock = NSLock()
    private var stopping = false
    private let finished = DispatchSemaphore(value: 0)
    private let handler: (Data, String) -> Int

    init(handler: @escaping (Data, String) -> Int) throws {
        self.handler = handler
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = 0
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = fd >= 0 && withUnsafeMutablePointer(to: &a) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, len) == 0 && listen(fd, 16) == 0 && getsockname(fd, $0, &len) == 0
            }
        }
        guard ok else {
            if fd >= 0 { close(fd) }
            throw NSError(domain: "receiver", code: Int(errno))
        }
        url = "http://127.0.0.1:\(UInt16(bigEndian: a.sin_port))/notify"
        Thread.detachNewThread { [self] in loop() }
    }

    private var shouldStop: Bool { lock.lock(); defer { lock.unlock() }; return stopping }

    private func loop() {
        while !shouldStop {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&p, 1, 50) <= 0 { continue }
            let c = accept(fd, nil, nil)
            if c >= 0 { serve(c) }
        }
        finished.signal()
    }

    private func serve(_ c: Int32) {
        var buf: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        var status = 400
        var headerEnd: Int? = nil
        var want = 0
        while true {
            let n = recv(c, &chunk, chunk.count, 0)
            if n <= 0 { break }
            buf.append(contentsOf: chunk[..<n])
            if headerEnd == nil, let r = find(buf, Array("\r\n\r\n".utf8)) {
                headerEnd = r + 4
                let head = String(decoding: buf[..<r], as: UTF8.self).lowercased()
                for line in head.split(separator: "\r\n") where line.hasPrefix("content-length:") {
                    want = Int(line.dropFirst(15).trimmingCharacters(in: .whitespaces)) ?? 0
                }
            }
            if let h = headerEnd, buf.count >= h + want {
                let head = String(decoding: buf[..<h], as: UTF8.self)
                let target = head.split(separator: " ").dropFirst().first ?? ""
                let query = target.split(separator: "?", maxSplits: 1).dropFirst().first.map(String.init) ?? ""
                status = handler(Data(buf[h..<(h + want)]), query)
                break
            }
        }
        let resp = Array("HTTP/1.1 \(status) X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8)
        _ = send(c, resp, resp.count, Int32(MSG_NOSIGNAL))
        close(c)
    }

    private func find(_ hay: [UInt8], _ needle: [UInt8]) -> Int? {
        guard hay.count >= needle.count else { return nil }
        for i in 0...(hay.count - needle.count) where Array(hay[i..<(i + needle.count)]) == needle { return i }
        return nil
    }

    func stop() {
        lock.lock()
        let already = stopping
        stopping = true
        lock.unlock()
        if !already {
            finished.wait()
            close(fd)
        }
    }
}

/// Notifications the receiver handled, with their raw bodies.
final class NoticeLog: @unchecked Sendable {
    struct Entry { let result: NotificationResult; let body: Data }
    private let lock = NSLock()
    private var entries: [Entry] = []
    func add(_ r: NotificationResult, body: Data) { lock.lock(); entries.append(Entry(result: r, body: body)); lock.unlock() }
    var all: [Entry] { lock.lock(); defer { lock.unlock() }; return entries }
}

final class RxBox: @unchecked Sendable {
    private let lock = NSLock()
    private var c: Acquirer?
    var client: Acquirer? {
        get { lock.lock(); defer { lock.unlock() }; return c }
        set { lock.lock(); c = newValue; lock.unlock() }
    }
}

final class StatusBox: @unchecked Sendable {
    private let lock = NSLock()
    private var v = 500
    var value: Int {
        get { lock.lock(); defer { lock.unlock() }; return v }
        set { lock.lock(); v = newValue; lock.unlock() }
    }
}

final class LineBox: @unchecked Sendable {
    private let lock = NSLock()
    private var v: [UInt8] = []
    var value: [UInt8] {
        get { lock.lock(); defer { lock.unlock() }; return v }
        set { lock.lock(); v = newValue; lock.unlock() }
    }
}
