import Foundation
import UPQR
import XCTest

/// The order journal from Swift, on temporary SQLite files.
final class JournalTests: XCTestCase {
    let merId = "777290058110048"

    func tempPath() -> String {
        let path = NSTemporaryDirectory() + "upqr-swift-journal-\(UUID().uuidString).db"
        addTeardownBlock {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        return path
    }

    func testOrderLifeAndMoneyGuards() throws {
        let path = tempPath()
        let j = try Journal(options: Journal.Options(location: path, owner: "swift-test:1"))
        XCTAssertEqual(j.backend, "sqlite")
        XCTAssertEqual(j.owner, "swift-test:1")
        let pay = try j.begin(JournalOrder(kind: .consumeQRNo, merId: merId, orderId: "20261207120000abc123",
                                           txnTime: "20261207120000", amount: 1000))
        XCTAssertGreaterThan(pay.id, 0)
        XCTAssertEqual(pay.state, .pending)
        XCTAssertEqual(pay.currency, "156")
        XCTAssertEqual(pay.owner, "swift-test:1")
        XCTAssertEqual(try j.listUnfinished().map(\.id), [pay.id])
        // A refund before the payment succeeded is refused.
        assertThrowsStatus("UPQR_ESTATE", try j.begin(JournalOrder(kind: .refund, merId: self.merId,
            orderId: "20261207120001abc124", txnTime: "20261207120001", amount: 100, origOrderId: pay.orderId)))
        let accepted = try j.transition(id: pay.id, to: .accepted, update: JournalUpdate(respCode: "00"))
        XCTAssertEqual(accepted.state, .accepted)
        XCTAssertEqual(try j.noteAttempt(id: pay.id).attempts, 1)
        let paid = try j.transition(id: pay.id, to: .success,
                                    update: JournalUpdate(respCode: "00", origRespCode: "00",
                                                          respMsg: "成功", queryId: "123456789012345678901"))
        XCTAssertEqual(paid.state, .success)
        XCTAssertEqual(paid.respMsg, "成功")
        XCTAssertEqual(paid.owner, "")  // final: the claim is cleared
        // A late UNKNOWN agrees with the history: accepted, the state stays.
        XCTAssertEqual(try j.transition(id: pay.id, to: .unknown).state, .success)
        // FAILED after SUCCESS contradicts it.
        assertThrowsStatus("UPQR_ESTATE", try j.transition(id: pay.id, to: .failed))
        XCTAssertEqual(Journal.legality(kind: .consumeQRNo, from: .success, to: .failed), .illegal)
        XCTAssertEqual(Journal.legality(kind: .consumeQRNo, from: .success, to: .unknown), .agrees)
        XCTAssertEqual(Journal.legality(kind: .consumeQRNo, from: .pending, to: .unknown), .change)

        // Refunds: 600 + 500 > 1000 is refused before anything would be sent.
        let r1 = try j.begin(JournalOrder(kind: .refund, merId: merId, orderId: "20261207120002abc125",
                                          txnTime: "20261207120002", amount: 600, origOrderId: pay.orderId))
        XCTAssertEqual(r1.origQueryId, "123456789012345678901")
        assertThrowsStatus("UPQR_EOVERREFUND", try j.begin(JournalOrder(kind: .refund, merId: self.merId,
            orderId: "20261207120003abc126", txnTime: "20261207120003", amount: 500, origOrderId: pay.orderId)))
        assertThrowsStatus("UPQR_EDUPLICATE", try j.begin(JournalOrder(kind: .consumeQRNo, merId: self.merId,
            orderId: pay.orderId, txnTime: "20261207120000", amount: 1)))
        try j.transition(id: r1.id, to: .success, update: JournalUpdate(respCode: "00", origRespCode: "00"))
        let r2 = try j.begin(JournalOrder(kind: .refund, merId: merId, orderId: "20261207120004abc127",
                                          txnTime: "20261207120004", amount: 400, origOrderId: pay.orderId))
        try j.transition(id: r2.id, to: .success, update: JournalUpdate(respCode: "00", origRespCode: "00"))
        let original = try XCTUnwrap(try j.find(merId: merId, orderId: pay.orderId))
        XCTAssertEqual(original.state, .refunded)
        XCTAssertEqual(original.refundedTotal, 1000)
        XCTAssertTrue(Journal.State.refunded.isFinal)
        XCTAssertNil(try j.find(merId: merId, orderId: "20261207129999zzzzzz"))
        XCTAssertEqual(try j.get(id: r2.id).orderId, "20261207120004abc127")
        assertThrowsStatus("UPQR_ENOTFOUND", try j.get(id: 999_999))
        XCTAssertEqual(try j.listUnfinished(), [])
    }

    /// Two handles on one file: a live claim keeps the other off; a booked
    /// notification is idempotent on its queryId.
    func testClaimsAndNotifications() throws {
        let path = tempPath()
        let a = try Journal(options: Journal.Options(location: path, leaseMs: 60_000, owner: "a"))
        let b = try Journal(options: Journal.Options(location: path, leaseMs: 60_000, owner: "b"))
        let rec = try a.begin(JournalOrder(kind: .applyQR, merId: merId, orderId: "20261207130000abc123",
                                           txnTime: "20261207130000", amount: 0))
        XCTAssertEqual(try b.claimUnfinished(), [])  // a holds it
        assertThrowsStatus("UPQR_ECLAIMED", try b.transition(id: rec.id, to: .unknown))
        assertThrowsStatus("UPQR_ECLAIMED", try b.release(id: rec.id))
        try a.release(id: rec.id)
        XCTAssertEqual(try b.claimUnfinished().map(\.id), [rec.id])
        let n = JournalNotification(queryId: "987654321098765432109", merId: merId, orderId: rec.orderId,
                                    txnTime: rec.txnTime, outcome: .success, respCode: "00", amount: 750)
        let first = try a.bookNotification(n)  // a fact from UnionPay: claims do not block it
        XCTAssertTrue(first.isNew)
        XCTAssertEqual(first.record.state, .success)
        XCTAssertEqual(first.record.amount, 750)
        let again = try b.bookNotification(n)
        XCTAssertFalse(again.isNew)
        XCTAssertEqual(again.record.state, .success)
    }

    func testBadInput() throws {
        // Not a database: .corrupt, and the file is left as it was.
        let junk = tempPath()
        try Data("not a database, just text\n".utf8).write(to: URL(fileURLWithPath: junk))
        let e = assertThrowsStatus("UPQR_ECORRUPT", try Journal(options: Journal.Options(location: junk)))
        XCTAssertFalse(e?.message.isEmpty ?? true)
        XCTAssertEqual(try String(contentsOfFile: junk, encoding: .utf8), "not a database, just text\n")
        assertThrowsStatus("UPQR_ENOTFOUND", try Journal(options: Journal.Options(location: tempPath(), create: false)))
        // PostgreSQL is a real backend: an unreachable server is a network error that names it.
        let pg = assertThrowsStatus("UPQR_ENETWORK", try Journal(options: Journal.Options(location: "postgresql://127.0.0.1:1/upqr")))
        XCTAssertTrue(pg?.message.contains("127.0.0.1") ?? false)
        assertThrowsStatus("UPQR_EINVAL", try Journal(options: Journal.Options(location: "a\u{0}b")))
        let j = try Journal(options: Journal.Options(location: tempPath()))
        // A field longer than the journal keeps is refused, naming it, never cut.
        let long = String(repeating: "1", count: 41)
        let e2 = assertThrowsStatus("UPQR_EINVAL", try j.begin(JournalOrder(kind: .consumeQRNo, merId: self.merId,
            orderId: long, txnTime: "20261207120000", amount: 1)))
        XCTAssertTrue(e2?.message.contains("orderId") ?? false, e2?.message ?? "")
        assertThrowsStatus("UPQR_EINVAL", try j.begin(JournalOrder(kind: .consumeQRNo, merId: self.merId,
            orderId: "bad id!", txnTime: "20261207120000", amount: 1)))
        assertThrowsStatus("UPQR_EINVAL", try j.listUnfinished(max: 0))
        XCTAssertEqual(try j.listUnfinished(), [])
    }
}
