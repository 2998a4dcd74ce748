/*
 * journal_internal.h - the journal's backend interface. journal.c owns the
 * public API: it checks arguments, keeps the handle, reads the clock, and
 * holds the rules (legal transitions, claims, the effects of a void, refund
 * or reversal on its original) as pure functions on records (journal_rules.c).
 * journal_flow.c runs each operation as one database transaction: reads (and
 * locks) the rows it needs, asks the rules, writes the result. A backend
 * owns storage steps only (upqr__journal_ops): SQLite (journal_sqlite.c) and
 * PostgreSQL (journal_pg.c), selected by the location, with no change to the
 * client, the rules or the flows.
 */
#ifndef UPQR_JOURNAL_INTERNAL_H
#define UPQR_JOURNAL_INTERNAL_H

#include <stdbool.h>

#include "core/core_internal.h"
#include "upqr/journal.h"

#define UPQR__JOURNAL_MAGIC 0x4a524e4cu  /* "JRNL" */
/* Schema version written by this library (PRAGMA user_version for SQLite,
 * max(version) of upqr_migrations for PostgreSQL). */
#define UPQR__JOURNAL_SCHEMA 1

typedef struct upqr__journal_ops upqr__journal_ops;

/* One schema step of a backend, applied in version order and recorded in upqr_migrations. */
typedef struct upqr__journal_migration {
	int version;
	const char *description;
	const char *sql; /* in the backend's own SQL dialect */
} upqr__journal_migration;

struct upqr_journal {
	uint32_t magic;
	const upqr__journal_ops *ops;
	void *impl;                               /* the backend's state */
	char owner[UPQR_JOURNAL_OWNER_MAX + 1];
	int64_t lease_ms;
	unsigned int busy_timeout_ms;
	int64_t (*clock_ms)(void *user);
	void *clock_user;
	char err[UPQR__ERR_MAX];
};

/*
 * One backend: storage steps only. journal_flow.c composes them into the
 * operations, each one transaction (tx_begin, steps, tx_end) that commits
 * durably before it returns UPQR_OK and changes nothing otherwise. Errors
 * go to j->err via upqr__set_error.
 */
struct upqr__journal_ops {
	const char *name;
	/* Opens location (create a new store if allowed), checks and migrates
	 * the schema without touching a store it does not recognise. */
	int (*open)(upqr_journal *j, const char *location, bool create);
	void (*close)(upqr_journal *j);
	/* Before a read outside a transaction (reconnects a lost connection); may be NULL. */
	int (*ready)(upqr_journal *j);
	/* A write transaction. tx_end commits when status is UPQR_OK, else rolls
	 * back (keeping the first error's text), and returns the final status. */
	int (*tx_begin)(upqr_journal *j);
	int (*tx_end)(upqr_journal *j, int status);
	/* One record: by id when id > 0, else the operation (reversal false) or
	 * the reversal of mer_id + order_id. lock: no other transaction may
	 * change it until tx_end (a row lock; nothing where the transaction
	 * already excludes every other writer). UPQR_ENOTFOUND, no text, if none. */
	int (*get)(upqr_journal *j, int64_t id, const char *mer_id, const char *order_id,
			bool reversal, bool lock, upqr_journal_record *out);
	/* Sum of the amounts of orig_id's REFUNDs and VOIDs that are not FAILED. */
	int (*outstanding)(upqr_journal *j, int64_t orig_id, int64_t *sum);
	/* Inserts a new record and fills rec->id; UPQR_EDUPLICATE on its key. */
	int (*insert)(upqr_journal *j, upqr_journal_record *rec);
	/* Stores the changeable fields of an existing record. */
	int (*write)(upqr_journal *j, const upqr_journal_record *rec);
	int (*set_claim)(upqr_journal *j, int64_t id, const char *owner, int64_t lease_until_ms);
	/* *op_id: the record queryId was booked for, 0 if none. */
	int (*booked)(upqr_journal *j, const char *query_id, int64_t *op_id);
	/* Books n for op_id unless its queryId is booked already (*taken). */
	int (*book)(upqr_journal *j, const upqr_journal_notification *n, int64_t op_id,
			int64_t now, bool *taken);
	/* claim == false: read-only listing; true: take lapsed leases, as one
	 * transaction of its own. Oldest first. */
	int (*unfinished)(upqr_journal *j, bool claim, int64_t now,
			upqr_journal_record *out, size_t cap, size_t *count);
};

/* ---- the operations, one transaction each, for every backend (journal_flow.c) ---- */

int upqr__journal_flow_begin(upqr_journal *j, const upqr_journal_order *o, int64_t now,
		upqr_journal_record *out);
/* to == 0: note an attempt (upqr_journal_note_attempt); else a transition. */
int upqr__journal_flow_update(upqr_journal *j, int64_t id, upqr_journal_state to,
		const upqr_journal_update *u, int64_t now, upqr_journal_record *out);
/* id > 0: by id; else by mer_id + order_id + kind (upqr_journal_find's rule). */
int upqr__journal_flow_find(upqr_journal *j, int64_t id, const char *mer_id,
		const char *order_id, upqr_journal_kind kind, upqr_journal_record *out);
int upqr__journal_flow_release(upqr_journal *j, int64_t id, int64_t now);
int upqr__journal_flow_book(upqr_journal *j, const upqr_journal_notification *n, int64_t now,
		int *is_new, upqr_journal_record *out);

extern const upqr__journal_ops upqr__journal_sqlite_ops;
extern const upqr__journal_ops upqr__journal_pg_ops;

/* ---- the rules, shared by every backend (journal_rules.c) --------------- */

/*
 * Checks that a new child operation (VOID, REFUND, REVERSAL) may start from
 * its original `orig`; `outstanding` is the sum of the amounts of the
 * original's REFUNDs and VOIDs that are not FAILED (the backend computes it
 * inside the transaction); `reversal` the state of its reversal (0: none). Fills
 * the child's copied fields (orig_*, and for a reversal order_id, txn_time,
 * currency, amount) into *rec. Returns UPQR_OK or sets j->err and returns
 * UPQR_ESTATE / UPQR_EOVERREFUND / UPQR_EDUPLICATE.
 */
int upqr__journal_check_child(upqr_journal *j, upqr_journal_record *rec,
		const upqr_journal_record *orig, int64_t outstanding, upqr_journal_state reversal);

/*
 * Builds the record a new order starts as (PENDING, owned by j, leased).
 */
void upqr__journal_new_record(upqr_journal *j, upqr_journal_record *rec,
		const upqr_journal_order *o, int64_t now);

/*
 * Applies a transition (to != 0) or a noted attempt (to == 0) to *rec, read
 * inside the transaction: claim check, legality, queryId consistency, fields,
 * lease. Sets *changed when the state moved. Errors set j->err.
 */
int upqr__journal_plan_update(upqr_journal *j, upqr_journal_record *rec,
		upqr_journal_state to, const upqr_journal_update *u, bool ignore_claim,
		int64_t now, bool *changed);

/*
 * The effect of child reaching SUCCESS on its original *orig (VOIDED,
 * refunded_total/REFUNDED, REVERSED). Sets *changed when orig must be written.
 */
int upqr__journal_apply_child_success(upqr_journal *j, upqr_journal_record *orig,
		const upqr_journal_record *child, int64_t now, bool *changed);

/* Name <-> value for storage; 0 when the name is unknown. */
upqr_journal_kind upqr__journal_kind_parse(const char *name);
upqr_journal_state upqr__journal_state_parse(const char *name);

/* Copies src into dst[cap] (cap includes the NUL), cut at a UTF-8 boundary. */
void upqr__journal_copy_text(char *dst, size_t cap, const char *src);

#endif /* UPQR_JOURNAL_INTERNAL_H */
