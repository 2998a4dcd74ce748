/*
 * upqr/journal.h - the order journal: a crash-safe record of every money
 * operation sent to UnionPay's gateway and of each change of its state.
 *
 * The rule the journal exists for: an operation is written (state PENDING,
 * durably, fsync'd) BEFORE its request leaves the process, and each state
 * change is written after it is learned. After a crash, every record that is
 * not final is still there, so recovery can query it (and, where allowed,
 * reverse it) instead of losing it or paying twice.
 *
 * One record per operation. Every operation has its own orderId, except a
 * reversal, which UnionPay addresses by the orderId and txnTime of the
 * consume it reverses: a reversal record carries the original's orderId and
 * txnTime and is told apart by its kind.
 *
 *   kinds:  APPLY_QR (01/07), CONSUME_QRNO (01/06), CONSUME_CPM (01/06 with an
 *           EMV CPM payload), VOID (31/00), REFUND (04/00), REVERSAL (99/01).
 *
 * States of one record, and the changes the journal accepts:
 *
 *   PENDING  --request sent, no usable reply----------------> UNKNOWN
 *   PENDING  --sync 00 (accepted / QR issued), not final----> ACCEPTED
 *   PENDING | UNKNOWN | ACCEPTED --verified final 00/A6-----> SUCCESS
 *   PENDING | UNKNOWN | ACCEPTED --verified final failure---> FAILED
 *   UNKNOWN  --a later reply or query says accepted---------> ACCEPTED
 *
 *   Derived states, written by the journal itself in the same database
 *   transaction as the child operation that causes them (never by
 *   upqr_journal_transition, which refuses them with UPQR_ESTATE):
 *   a consume PENDING|UNKNOWN|ACCEPTED|SUCCESS --its REVERSAL reaches SUCCESS--> REVERSED
 *   a consume or paid apply-QR SUCCESS --its VOID reaches SUCCESS--> VOIDED
 *   a consume or paid apply-QR SUCCESS --refunds reach the amount--> REFUNDED
 *   (a partial refund leaves the original SUCCESS and raises refunded_total).
 *
 * Final states: SUCCESS, FAILED, VOIDED, REVERSED, REFUNDED. A final record
 * never goes back to a non-final state. FAILED, VOIDED, REVERSED and
 * REFUNDED never change at all; SUCCESS changes only to one of the derived
 * states above.
 *
 * Answers arrive out of order (a notification may be booked while the sync
 * reply is still on its way, a query may time out after the order became
 * final), so an answer that agrees with the record's history is accepted
 * and changes nothing; the returned record shows the real state. That is:
 * the state the record already has; a less-known state than it has
 * (UNKNOWN or ACCEPTED for an ACCEPTED or final record); SUCCESS for a
 * VOIDED, REFUNDED or REVERSED record (it did succeed, then was undone);
 * FAILED for a REVERSED one. A final answer that contradicts a final state
 * (SUCCESS after FAILED, FAILED after SUCCESS) is UPQR_ESTATE: a person
 * must look at it; nothing is written. PENDING is never an answer: asking
 * for it (except on a PENDING record) is UPQR_ESTATE, as is asking for a
 * derived state.
 *
 * Money guards, enforced by the database inside the transaction that inserts
 * the record (so two processes sharing a journal cannot both pass them):
 *   - a REFUND or VOID needs its original in the journal, of the same merId
 *     and currency, in state SUCCESS;
 *   - the amounts of all REFUNDs and VOIDs of one original that are not
 *     FAILED (pending, unknown and accepted ones count: they may still
 *     succeed), plus the new one, never exceed the original's amount
 *     (UPQR_EOVERREFUND); a VOID must be for the full amount and no other
 *     refund or void may be outstanding;
 *   - a REVERSAL needs a consume (qrNo or CPM) that is not FAILED, VOIDED,
 *     REFUNDED or already reversed; one reversal per consume.
 *
 * Claims (recovery by several processes on one journal): each record has an
 * owner and a lease expiry. upqr_journal_begin makes the calling handle the
 * owner; every write by the owner renews the lease; reaching a final state
 * clears it. upqr_journal_claim_unfinished takes, in one write transaction,
 * only non-final records whose lease has expired (or that the handle already
 * owns), so two processes never both act on one order, and a crashed
 * process's orders are taken over once its leases run out. A transition or
 * noted attempt by another handle while the lease is live is UPQR_ECLAIMED
 * (after it lapses, the writing handle becomes the owner). Booking
 * a verified notification is not blocked by claims: it is a fact from
 * UnionPay, not an action.
 *
 * Backends: a plain file path selects SQLite (WAL, synchronous=FULL, a busy
 * timeout, a versioned schema): the embedded default. A location starting
 * with "postgresql://" or "postgres://" is a libpq connection URI and
 * selects PostgreSQL, for back ends on several machines sharing one journal:
 * the same schema, rules and guards, with row locks (claims by FOR UPDATE
 * SKIP LOCKED), the refund guard in a trigger that locks the original, and
 * notifications booked once across instances (ON CONFLICT DO NOTHING). If
 * its connection drops, a call returns UPQR_ENETWORK and the server rolls
 * back what it had not committed (a record stays as the last acknowledged
 * call left it); the next call reconnects. Every call may then also fail
 * with UPQR_ENETWORK. Messages show the location with its password masked.
 *
 * Thread-safety: a journal handle is used by one thread at a time. Several
 * handles (in one process or in several, on one machine or several for
 * PostgreSQL) may share one journal.
 */
#ifndef UPQR_JOURNAL_H
#define UPQR_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "upqr/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- sizes (characters, without the NUL; the arrays below add one) ---- */

#define UPQR_JOURNAL_MER_ID_MAX 15      /* merId: 15 alphanumerics */
#define UPQR_JOURNAL_ORDER_ID_MAX 40    /* orderId: 8..40 alphanumerics (spec: 8..32; some demos 40) */
#define UPQR_JOURNAL_TXN_TIME_LEN 14    /* txnTime: YYYYMMDDhhmmss, Beijing time */
#define UPQR_JOURNAL_QUERY_ID_MAX 32    /* queryId: 21 digits today; up to 32 alphanumerics kept */
#define UPQR_JOURNAL_RESP_CODE_MAX 2    /* respCode / origRespCode: 2 characters */
#define UPQR_JOURNAL_RESP_MSG_MAX 127   /* respMsg: bytes of UTF-8, cut at a character boundary */
#define UPQR_JOURNAL_OWNER_MAX 63       /* claim owner name: printable ASCII */
UPQR_EXTERN size_t upqr_journal_mer_id_max(void);
UPQR_EXTERN size_t upqr_journal_order_id_max(void);
UPQR_EXTERN size_t upqr_journal_txn_time_len(void);
UPQR_EXTERN size_t upqr_journal_resp_code_max(void);
UPQR_EXTERN size_t upqr_journal_query_id_max(void);
UPQR_EXTERN size_t upqr_journal_resp_msg_max(void);
UPQR_EXTERN size_t upqr_journal_owner_max(void);

/* ---- kinds and states (stored by name, so the numbers may grow) -------- */

typedef enum upqr_journal_kind {
	UPQR_JOURNAL_KIND_NONE = 0,          /* "no kind": used as a wildcard by upqr_journal_find */
	UPQR_JOURNAL_APPLY_QR = 1,           /* 01/07 merchant-presented code (C2B) */
	UPQR_JOURNAL_CONSUME_QRNO = 2,       /* 01/06 consume with the consumer's qrNo (B2C) */
	UPQR_JOURNAL_CONSUME_CPM = 3,        /* 01/06 consume with an EMV CPM payload */
	UPQR_JOURNAL_VOID = 4,               /* 31/00 void of a same-day consume, full amount */
	UPQR_JOURNAL_REFUND = 5,             /* 04/00 refund, partial and cumulative */
	UPQR_JOURNAL_REVERSAL = 6            /* 99/01 reversal of a consume with an unknown outcome */
} upqr_journal_kind;

typedef enum upqr_journal_state {
	UPQR_JOURNAL_PENDING = 1,   /* written; the request may or may not have left */
	UPQR_JOURNAL_UNKNOWN = 2,   /* sent; no usable answer (timeout, 03/04/05, unverifiable) */
	UPQR_JOURNAL_ACCEPTED = 3,  /* sent; gateway said 00 "accepted" (or QR issued); not final */
	UPQR_JOURNAL_SUCCESS = 4,   /* final: verified 00/A6 (origRespCode 00/A6 where present) */
	UPQR_JOURNAL_FAILED = 5,    /* final: verified failure; no money moved */
	UPQR_JOURNAL_VOIDED = 6,    /* final (derived): its void succeeded */
	UPQR_JOURNAL_REVERSED = 7,  /* final (derived): its reversal succeeded */
	UPQR_JOURNAL_REFUNDED = 8   /* final (derived): refunds add up to the whole amount */
} upqr_journal_state;

/* "APPLY_QR", "CONSUME_QRNO", ...; "?" for an unknown value. Static strings. */
UPQR_EXTERN const char *upqr_journal_kind_name(upqr_journal_kind kind);
/* "PENDING", "UNKNOWN", ...; "?" for an unknown value. Static strings. */
UPQR_EXTERN const char *upqr_journal_state_name(upqr_journal_state state);
/* 1 for SUCCESS, FAILED, VOIDED, REVERSED, REFUNDED; 0 otherwise. */
UPQR_EXTERN int upqr_journal_state_is_final(upqr_journal_state state);
/*
 * What upqr_journal_transition does with a record of that kind in state
 * `from` asked to go to `to`: 1 = a legal change; 2 = an answer that agrees
 * with the record's history (see above): accepted, the state stays; 0 =
 * illegal (UPQR_ESTATE). The derived states are never targets: 0. Pure;
 * any thread.
 */
UPQR_EXTERN int upqr_journal_transition_legal(upqr_journal_kind kind,
		upqr_journal_state from, upqr_journal_state to);

/* ---- records ----------------------------------------------------------- */

/*
 * One operation as stored. A plain value: no pointers, safe to copy, to keep
 * after the handle is freed and to pass between threads. Text fields are
 * NUL-terminated; "" means absent.
 */
typedef struct upqr_journal_record {
	int64_t id;                     /* journal row id, > 0, unique in the journal */
	upqr_journal_kind kind;
	upqr_journal_state state;
	char mer_id[UPQR_JOURNAL_MER_ID_MAX + 1];
	char order_id[UPQR_JOURNAL_ORDER_ID_MAX + 1];
	char txn_time[UPQR_JOURNAL_TXN_TIME_LEN + 1];      /* Beijing time */
	int64_t amount;                 /* txnAmt in minor units; 0 only for an open-amount apply QR */
	char currency[4];               /* ISO 4217 numeric, "156" */
	/* The original, for VOID, REFUND and REVERSAL (zero / "" otherwise). */
	int64_t orig_id;
	char orig_order_id[UPQR_JOURNAL_ORDER_ID_MAX + 1];
	char orig_txn_time[UPQR_JOURNAL_TXN_TIME_LEN + 1];
	char orig_query_id[UPQR_JOURNAL_QUERY_ID_MAX + 1]; /* origQryId, copied from the original */
	/* What UnionPay said last (sync reply, query or notification). */
	char resp_code[UPQR_JOURNAL_RESP_CODE_MAX + 1];
	char orig_resp_code[UPQR_JOURNAL_RESP_CODE_MAX + 1];
	char resp_msg[UPQR_JOURNAL_RESP_MSG_MAX + 1];
	char query_id[UPQR_JOURNAL_QUERY_ID_MAX + 1];
	/* Sum of this record's refunds that reached SUCCESS (originals only). */
	int64_t refunded_total;
	uint32_t attempts;              /* upqr_journal_note_attempt calls: queries and re-checks made */
	int64_t created_ms;             /* Unix time in ms (UTC) of begin */
	int64_t updated_ms;             /* Unix time in ms of the last write */
	char owner[UPQR_JOURNAL_OWNER_MAX + 1];  /* claim owner; "" when unclaimed */
	int64_t lease_until_ms;         /* the claim lapses at this time; 0 when unclaimed */
} upqr_journal_record;

/*
 * A new operation, the input of upqr_journal_begin (zero it, then fill it:
 * "" and 0 mean absent; fields may grow at the end). For VOID and REFUND set
 * orig_order_id (the original's orderId, same merId); the journal fills the
 * original's txnTime and queryId into the record. For REVERSAL set
 * orig_order_id and leave order_id and txn_time empty: a reversal travels
 * under the original's orderId and txnTime, which the journal copies.
 */
typedef struct upqr_journal_order {
	upqr_journal_kind kind;
	char mer_id[UPQR_JOURNAL_MER_ID_MAX + 1];
	char order_id[UPQR_JOURNAL_ORDER_ID_MAX + 1];
	char txn_time[UPQR_JOURNAL_TXN_TIME_LEN + 1];
	int64_t amount;                 /* > 0; 0 allowed for APPLY_QR (payer enters it); REVERSAL: ignored */
	char currency[4];               /* "156"; "" means "156". REVERSAL: copied from the original */
	char orig_order_id[UPQR_JOURNAL_ORDER_ID_MAX + 1];
} upqr_journal_order;

/*
 * Fields learned from the gateway, for upqr_journal_transition and
 * upqr_journal_note_attempt (zero it first). "" / 0 leaves the stored value
 * unchanged.
 */
typedef struct upqr_journal_update {
	char resp_code[UPQR_JOURNAL_RESP_CODE_MAX + 1];
	char orig_resp_code[UPQR_JOURNAL_RESP_CODE_MAX + 1];
	char resp_msg[UPQR_JOURNAL_RESP_MSG_MAX + 1];      /* cut at a UTF-8 boundary if longer */
	char query_id[UPQR_JOURNAL_QUERY_ID_MAX + 1];      /* once set, a different one is refused */
	int64_t amount;                 /* settled txnAmt of an open-amount APPLY_QR; else 0 */
} upqr_journal_update;

/*
 * A verified asynchronous notification, reduced to what the journal keeps
 * (zero it first).
 * The caller (the acquirer client) verifies the signature and decides the
 * outcome: SUCCESS only for respCode 00/A6 with origRespCode absent, 00 or
 * A6; FAILED otherwise.
 */
typedef struct upqr_journal_notification {
	char query_id[UPQR_JOURNAL_QUERY_ID_MAX + 1];  /* required: the booking key */
	char mer_id[UPQR_JOURNAL_MER_ID_MAX + 1];
	char order_id[UPQR_JOURNAL_ORDER_ID_MAX + 1];
	char txn_time[UPQR_JOURNAL_TXN_TIME_LEN + 1];
	upqr_journal_state outcome;     /* UPQR_JOURNAL_SUCCESS or UPQR_JOURNAL_FAILED */
	char resp_code[UPQR_JOURNAL_RESP_CODE_MAX + 1];
	char orig_resp_code[UPQR_JOURNAL_RESP_CODE_MAX + 1];
	char resp_msg[UPQR_JOURNAL_RESP_MSG_MAX + 1];
	int64_t amount;                 /* txnAmt of the notification; 0 if absent */
} upqr_journal_notification;

/* ---- the handle ---------------------------------------------------------- */

typedef struct upqr_journal upqr_journal;

/* Default lease: longer than one request (30 s) plus the longest query back-off step (32 s). */
#define UPQR_JOURNAL_LEASE_MS_DEFAULT 300000
#define UPQR_JOURNAL_BUSY_TIMEOUT_MS_DEFAULT 10000

#define UPQR_JOURNAL_OPTIONS_VERSION 1
typedef struct upqr_journal_options {
	unsigned int version;           /* UPQR_JOURNAL_OPTIONS_VERSION */
	/* A file path (SQLite) or a "postgresql://..." / "postgres://..." libpq
	 * connection URI (PostgreSQL). Copied. */
	const char *location;
	/* 1 (default): create the file with the current schema if it does not
	 * exist. 0: a missing file is UPQR_ENOTFOUND. An existing file is never
	 * re-created or overwritten either way. */
	int create;
	/* How long a write waits for another process's write lock; then UPQR_EBUSY. */
	unsigned int busy_timeout_ms;
	/* Lease of the claims this handle takes (begin and claim_unfinished). */
	int64_t lease_ms;
	/* Owner name of this handle's claims (copied; printable ASCII, at most
	 * UPQR_JOURNAL_OWNER_MAX). NULL: "<hostname>:<pid>:<random hex>", new for
	 * every handle. Two live handles must never share an owner name. */
	const char *owner;
	/* Clock in Unix ms (UTC) for timestamps and leases; NULL: CLOCK_REALTIME.
	 * Tests set it to move time; it must never go backwards. */
	int64_t (*clock_ms)(void *user);
	void *clock_user;
} upqr_journal_options;

#define UPQR_JOURNAL_OPTIONS_INIT \
	{ UPQR_JOURNAL_OPTIONS_VERSION, NULL, 1, UPQR_JOURNAL_BUSY_TIMEOUT_MS_DEFAULT, \
	  UPQR_JOURNAL_LEASE_MS_DEFAULT, NULL, NULL, NULL }

/* Fills opts with defaults; unknown version -> UPQR_EVERSION. */
UPQR_EXTERN int upqr_journal_options_init(upqr_journal_options *opts, unsigned int version)
		UPQR_WARN_UNUSED;

/*
 * Opens (or creates) a journal. Checks before it writes anything: a file
 * that is not an SQLite database or is damaged -> UPQR_ECORRUPT; an SQLite
 * database of another application (tables that are not a upqr journal) ->
 * UPQR_EFOREIGN; a journal written by a newer upqr (higher schema version)
 * -> UPQR_EUNSUPPORTED; an older journal is migrated in one transaction. In
 * none of these cases is the file changed. Other failures: UPQR_EIO
 * (cannot open or create), UPQR_ENOTFOUND (missing and create == 0),
 * UPQR_EBUSY, UPQR_EINVAL, UPQR_EVERSION, UPQR_ENOMEM. PostgreSQL: the same
 * checks on the journal's tables in the connection's schema (tables named
 * like ours that are not a journal -> UPQR_EFOREIGN; with create == 0 a
 * database without a journal, or a database that does not exist ->
 * UPQR_ENOTFOUND); the server cannot be reached -> UPQR_ENETWORK; the login
 * is refused -> UPQR_EAUTH. On failure *out is NULL and, when err is not
 * NULL, a message (at most err_cap bytes, NUL-terminated) says what and
 * where: the handle that would hold it does not exist.
 */
UPQR_EXTERN int upqr_journal_open(upqr_journal **out, const upqr_journal_options *opts,
		char *err, size_t err_cap) UPQR_WARN_UNUSED;
/* Closes the database and frees the handle. Accepts NULL. Claims stay until their leases lapse. */
UPQR_EXTERN void upqr_journal_free(upqr_journal *j);
/* Text of the last failure on this handle ("" if none); valid until the next call on it. */
UPQR_EXTERN const char *upqr_journal_last_error(const upqr_journal *j);
/* The owner name this handle's claims carry. Borrowed. */
UPQR_EXTERN const char *upqr_journal_owner(const upqr_journal *j);
/* "sqlite" or "postgresql". Borrowed, static. */
UPQR_EXTERN const char *upqr_journal_backend(const upqr_journal *j);
/* Schema version this library writes (the journal file's is equal after open). */
UPQR_EXTERN int upqr_journal_schema_version(void);

/* ---- operations ------------------------------------------------------------
 * Every call is one database transaction: it happens completely (and is on
 * disk when the call returns UPQR_OK) or not at all. `out` may be NULL where
 * noted; on failure it is left unchanged. Any call may also fail with
 * UPQR_ECORRUPT (a damaged page found when read), UPQR_EIO (disk full, I/O
 * error) or UPQR_EBUSY (another process kept the lock past the busy timeout),
 * and on PostgreSQL UPQR_ENETWORK (the connection dropped: nothing that was
 * not committed happened; if it dropped during the commit itself the call
 * may have taken effect, so read the record again before acting on it).
 * Text fields are checked: respMsg must be UTF-8, codes and ids ASCII
 * letters and digits (UPQR_EINVAL, naming the field).
 */

/*
 * Writes a new record in state PENDING, owned by this handle, and returns it
 * (with its id) in *out. Call it BEFORE the request leaves the process.
 * Errors: UPQR_EINVAL (malformed field: the message names it), UPQR_EDUPLICATE
 * (merId + orderId already journaled, or a second reversal), UPQR_ENOTFOUND
 * (the original of a void/refund/reversal is not in the journal), UPQR_ESTATE
 * (the original is not in a state that allows it, or a currency/merId
 * mismatch), UPQR_EOVERREFUND (refunds and voids would exceed the original),
 * UPQR_EBUSY, UPQR_EIO. Nothing is written on failure.
 */
UPQR_EXTERN int upqr_journal_begin(upqr_journal_record *out, upqr_journal *j,
		const upqr_journal_order *order) UPQR_WARN_UNUSED;

/*
 * Moves record `id` to state `to` and stores the non-empty fields of `u`
 * (u may be NULL; they are not stored for an answer less known than the
 * record's state, nor on a final record). Legal changes: see the top of
 * this file and upqr_journal_transition_legal; *out shows the state the
 * record really has afterwards. A VOID/REFUND/REVERSAL reaching SUCCESS
 * updates its original in the same transaction (VOIDED, refunded_total and
 * REFUNDED, REVERSED). Reaching a final state clears the claim; otherwise
 * the caller's lease is renewed. Errors: UPQR_ENOTFOUND, UPQR_ESTATE (illegal
 * change, or a queryId different from the stored one), UPQR_ECLAIMED (another
 * handle holds a live claim), UPQR_EINVAL, UPQR_EBUSY, UPQR_EIO. out may be NULL.
 */
UPQR_EXTERN int upqr_journal_transition(upqr_journal_record *out, upqr_journal *j, int64_t id,
		upqr_journal_state to, const upqr_journal_update *u) UPQR_WARN_UNUSED;

/*
 * Notes an attempt on a non-final record without changing its state: adds
 * one to `attempts`, stores the non-empty fields of `u` (may be NULL) and
 * renews the caller's lease. Use it for each query whose answer leaves the
 * outcome open. On a record that became final meanwhile (a notification)
 * it changes nothing and returns UPQR_OK: check out->state. Errors: as
 * upqr_journal_transition. out may be NULL.
 */
UPQR_EXTERN int upqr_journal_note_attempt(upqr_journal_record *out, upqr_journal *j, int64_t id,
		const upqr_journal_update *u) UPQR_WARN_UNUSED;

/* The record with that id. UPQR_ENOTFOUND if none. */
UPQR_EXTERN int upqr_journal_get(upqr_journal_record *out, upqr_journal *j, int64_t id) UPQR_WARN_UNUSED;

/*
 * The record of merId + orderId. kind UPQR_JOURNAL_KIND_NONE: the operation
 * that owns the orderId (never a reversal); UPQR_JOURNAL_REVERSAL: the
 * reversal of the consume with that orderId; any other kind: that
 * operation, if it has that kind. UPQR_ENOTFOUND if none.
 */
UPQR_EXTERN int upqr_journal_find(upqr_journal_record *out, upqr_journal *j, const char *mer_id,
		const char *order_id, upqr_journal_kind kind) UPQR_WARN_UNUSED;

/*
 * Lists up to cap non-final records (PENDING, UNKNOWN, ACCEPTED), oldest
 * first, whoever owns them; *count receives how many were stored. Read-only:
 * for display. To act on them, claim them.
 */
UPQR_EXTERN int upqr_journal_list_unfinished(upqr_journal_record *out, size_t cap, size_t *count,
		upqr_journal *j) UPQR_WARN_UNUSED;

/*
 * Claims up to cap non-final records, oldest first, whose lease has lapsed
 * or that this handle already owns, in one write transaction: each gets
 * this handle as owner and a lease of opts.lease_ms from now. Two handles
 * (in any processes) never receive the same record while its lease is live.
 * Records whose original (for a reversal) or child is claimed elsewhere are
 * still independent records; each is claimed on its own. *count may be 0.
 * Call it again after finishing a batch to get more.
 */
UPQR_EXTERN int upqr_journal_claim_unfinished(upqr_journal_record *out, size_t cap, size_t *count,
		upqr_journal *j) UPQR_WARN_UNUSED;

/*
 * Gives up this handle's claim on record `id` (for example, recovery could
 * not settle it now): its lease ends at once, so any handle may claim it.
 * Releasing a record on which another handle holds a live claim is
 * UPQR_ECLAIMED; an unclaimed one (or one whose lease lapsed) is a no-op.
 */
UPQR_EXTERN int upqr_journal_release(upqr_journal *j, int64_t id) UPQR_WARN_UNUSED;

/*
 * Books a verified notification, idempotently on its queryId, in one
 * transaction with its effect: the first time a queryId is seen, the record
 * of merId + orderId (not a reversal) moves to n->outcome (plus the
 * consequences on its original, as upqr_journal_transition), its fields are
 * stored, and *is_new is 1. A queryId already booked: nothing changes, *is_new
 * is 0, UPQR_OK (reply 200 again). The booking ignores claims. Reply HTTP 200
 * to UnionPay only after UPQR_OK. Errors (nothing is booked, so UnionPay's
 * resend will be tried again): UPQR_ENOTFOUND (no such order), UPQR_ESTATE
 * (the notification contradicts a final state, e.g. FAILED for a SUCCESS
 * record, or a booked queryId arrives for another order), UPQR_EINVAL,
 * UPQR_EBUSY, UPQR_EIO. out (the record after booking) may be NULL.
 */
UPQR_EXTERN int upqr_journal_book_notification(int *is_new, upqr_journal_record *out,
		upqr_journal *j, const upqr_journal_notification *n) UPQR_WARN_UNUSED;

#ifdef __cplusplus
}
#endif
#endif /* UPQR_JOURNAL_H */
