/*
 * journal_pg.c - the PostgreSQL journal backend (libpq), for merchant back
 * ends whose checkout runs on several machines that share one journal.
 *
 * Same schema, rules and guards as the SQLite backend; what differs is how
 * concurrent writers are kept apart. SQLite has one writer at a time (BEGIN
 * IMMEDIATE); here many transactions run at once (READ COMMITTED), so each
 * operation locks the rows its decision depends on (SELECT ... FOR UPDATE)
 * before it reads them, and lock order is fixed (a record, then its
 * original), so no two transactions wait for each other in a circle:
 *   - begin of a void/refund/reversal locks the original, so two refunds
 *     of one order on two machines are decided one after the other;
 *   - a transition locks the record (and, when a child succeeds, its
 *     original);
 *   - claim_unfinished takes rows with FOR UPDATE SKIP LOCKED, so two
 *     recovering processes never receive the same order and never wait on
 *     each other;
 *   - a notification is booked with INSERT ... ON CONFLICT DO NOTHING on its
 *     queryId before its effect is written, so when two instances receive
 *     the same notification, exactly one books it.
 * The schema repeats the money guards as triggers that take the same lock
 * (the refund total is checked by the database, with the original locked),
 * so a bug here or a hand-made INSERT cannot refund more than was paid.
 *
 * Round trips: the BEGIN travels with a transaction's first statement and
 * writes that return nothing travel with the next statement or the COMMIT
 * (libpq pipeline mode), so a transition costs two round trips, not four.
 *
 * Durability: every call is one transaction, committed with
 * synchronous_commit at least "local" (a session of a server set to "off"
 * is raised to "on"), so UPQR_OK means it is on the server's disk.
 *
 * Connection loss: a call whose connection drops returns UPQR_ENETWORK and
 * says so; the server rolls back what was not committed, so a record stays
 * in the last state that was acknowledged (PENDING after begin) and its
 * claim lapses, and recovery completes it. The next call on the handle
 * reconnects. Messages never show the password of the connection string.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "journal_internal.h"

/* Marks our migrations table, like SQLite's application_id ("UPQJ"). */
#define MARKER "upqr journal"
/* pg_advisory_xact_lock key held while the schema is created or migrated. */
#define MIGRATE_LOCK "1431392586"
#define MAX_PARAMS 16

static const upqr__journal_migration migrations[] = {
	{ 1, "operations, notifications, money guards",
	  "CREATE TABLE upqr_ops ("
	  " id bigserial PRIMARY KEY,"
	  " kind text NOT NULL CHECK (kind IN ('APPLY_QR','CONSUME_QRNO','CONSUME_CPM','VOID',"
	  "  'REFUND','REVERSAL')),"
	  " state text NOT NULL CHECK (state IN ('PENDING','UNKNOWN','ACCEPTED','SUCCESS','FAILED',"
	  "  'VOIDED','REVERSED','REFUNDED')),"
	  " mer_id text NOT NULL CHECK (length(mer_id) BETWEEN 1 AND 15),"
	  " order_id text NOT NULL CHECK (length(order_id) BETWEEN 8 AND 40),"
	  " txn_time text NOT NULL CHECK (length(txn_time) = 14),"
	  " amount bigint NOT NULL CHECK (amount BETWEEN 0 AND 999999999999),"
	  " currency text NOT NULL CHECK (length(currency) = 3),"
	  " orig_id bigint REFERENCES upqr_ops(id),"
	  " orig_order_id text NOT NULL DEFAULT '',"
	  " orig_txn_time text NOT NULL DEFAULT '',"
	  " orig_query_id text NOT NULL DEFAULT '',"
	  " resp_code text NOT NULL DEFAULT '',"
	  " orig_resp_code text NOT NULL DEFAULT '',"
	  " resp_msg text NOT NULL DEFAULT '',"
	  " query_id text NOT NULL DEFAULT '',"
	  " refunded_total bigint NOT NULL DEFAULT 0"
	  "  CHECK (refunded_total >= 0 AND refunded_total <= amount),"
	  " attempts bigint NOT NULL DEFAULT 0 CHECK (attempts >= 0),"
	  " created_ms bigint NOT NULL,"
	  " updated_ms bigint NOT NULL,"
	  " owner text NOT NULL DEFAULT '',"
	  " lease_until_ms bigint NOT NULL DEFAULT 0,"
	  " CHECK ((kind IN ('VOID','REFUND','REVERSAL')) = (orig_id IS NOT NULL)));"
	  /* One operation per merId + orderId, plus at most one reversal of it. */
	  "CREATE UNIQUE INDEX upqr_ops_key ON upqr_ops (mer_id, order_id, (kind = 'REVERSAL'));"
	  "CREATE INDEX upqr_ops_orig ON upqr_ops (orig_id) WHERE orig_id IS NOT NULL;"
	  "CREATE INDEX upqr_ops_open ON upqr_ops (id) WHERE state IN ('PENDING','UNKNOWN','ACCEPTED');"
	  "CREATE TABLE upqr_notifications ("
	  " query_id text PRIMARY KEY,"
	  " op_id bigint NOT NULL REFERENCES upqr_ops(id),"
	  " outcome text NOT NULL CHECK (outcome IN ('SUCCESS','FAILED')),"
	  " resp_code text NOT NULL,"
	  " orig_resp_code text NOT NULL,"
	  " received_ms bigint NOT NULL);"
	  /* Refunds and voids that may still succeed never exceed the original. The
	   * original is locked first, so concurrent inserts are checked one by one. */
	  "CREATE FUNCTION upqr_refund_guard() RETURNS trigger LANGUAGE plpgsql AS $$"
	  " DECLARE paid bigint; taken bigint;"
	  " BEGIN"
	  "  SELECT amount INTO paid FROM upqr_ops WHERE id = NEW.orig_id FOR UPDATE;"
	  "  SELECT COALESCE(SUM(amount), 0) INTO taken FROM upqr_ops WHERE orig_id = NEW.orig_id"
	  "   AND kind IN ('REFUND','VOID') AND state <> 'FAILED';"
	  "  IF taken + NEW.amount > paid THEN"
	  "   RAISE EXCEPTION 'upqr_overrefund: % + % > %', taken, NEW.amount, paid"
	  "    USING ERRCODE = 'UQ001';"
	  "  END IF;"
	  "  RETURN NEW;"
	  " END $$;"
	  "CREATE TRIGGER upqr_refund_guard BEFORE INSERT ON upqr_ops FOR EACH ROW"
	  " WHEN (NEW.kind IN ('REFUND','VOID')) EXECUTE FUNCTION upqr_refund_guard();"
	  /* Final stays final; SUCCESS may only be undone by a void, refund or
	   * reversal; identity and a known amount never change; nothing is deleted. */
	  "CREATE FUNCTION upqr_ops_guard() RETURNS trigger LANGUAGE plpgsql AS $$"
	  " BEGIN"
	  "  IF TG_OP = 'DELETE' THEN"
	  "   RAISE EXCEPTION 'upqr_no_delete' USING ERRCODE = 'UQ002';"
	  "  END IF;"
	  "  IF NEW.id <> OLD.id OR NEW.kind <> OLD.kind OR NEW.mer_id <> OLD.mer_id"
	  "   OR NEW.order_id <> OLD.order_id OR NEW.txn_time <> OLD.txn_time"
	  "   OR NEW.currency <> OLD.currency OR NEW.orig_id IS DISTINCT FROM OLD.orig_id"
	  "   OR NEW.created_ms <> OLD.created_ms"
	  "   OR (OLD.amount <> 0 AND NEW.amount <> OLD.amount) THEN"
	  "   RAISE EXCEPTION 'upqr_identity' USING ERRCODE = 'UQ002';"
	  "  END IF;"
	  "  IF NEW.state <> OLD.state AND (OLD.state IN ('FAILED','VOIDED','REVERSED','REFUNDED')"
	  "   OR (OLD.state = 'SUCCESS' AND NEW.state NOT IN ('VOIDED','REVERSED','REFUNDED'))"
	  "   OR NEW.state = 'PENDING') THEN"
	  "   RAISE EXCEPTION 'upqr_final: % -> %', OLD.state, NEW.state USING ERRCODE = 'UQ002';"
	  "  END IF;"
	  "  RETURN NEW;"
	  " END $$;"
	  "CREATE TRIGGER upqr_ops_guard BEFORE UPDATE OR DELETE ON upqr_ops FOR EACH ROW"
	  " EXECUTE FUNCTION upqr_ops_guard();"
	  "CREATE FUNCTION upqr_fixed() RETURNS trigger LANGUAGE plpgsql AS $$"
	  " BEGIN RAISE EXCEPTION 'upqr_no_delete' USING ERRCODE = 'UQ002'; END $$;"
	  "CREATE TRIGGER upqr_notifications_fixed BEFORE UPDATE OR DELETE ON upqr_notifications"
	  " FOR EACH ROW EXECUTE FUNCTION upqr_fixed();"
	  "CREATE TRIGGER upqr_no_truncate BEFORE TRUNCATE ON upqr_ops"
	  " FOR EACH STATEMENT EXECUTE FUNCTION upqr_fixed();"
	  "CREATE TRIGGER upqr_no_truncate BEFORE TRUNCATE ON upqr_notifications"
	  " FOR EACH STATEMENT EXECUTE FUNCTION upqr_fixed();" },
};

#define COLS "id, kind, state, mer_id, order_id, txn_time, amount, currency, orig_id," \
	" orig_order_id, orig_txn_time, orig_query_id, resp_code, orig_resp_code, resp_msg," \
	" query_id, refunded_total, attempts, created_ms, updated_ms, owner, lease_until_ms"
#define NCOLS 22
#define OPEN_STATES "('PENDING','UNKNOWN','ACCEPTED')"

enum {
	ST_GET_ID, ST_LOCK_ID, ST_GET_OP, ST_LOCK_OP, ST_GET_REVERSAL, ST_INSERT, ST_UPDATE,
	ST_OUTSTANDING, ST_LIST, ST_CLAIM, ST_SET_CLAIM, ST_NOTE_GET, ST_NOTE_INSERT, ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
	[ST_GET_ID] = "SELECT " COLS " FROM upqr_ops WHERE id = $1",
	[ST_LOCK_ID] = "SELECT " COLS " FROM upqr_ops WHERE id = $1 FOR UPDATE",
	[ST_GET_OP] = "SELECT " COLS " FROM upqr_ops WHERE mer_id = $1 AND order_id = $2"
		" AND kind <> 'REVERSAL'",
	[ST_LOCK_OP] = "SELECT " COLS " FROM upqr_ops WHERE mer_id = $1 AND order_id = $2"
		" AND kind <> 'REVERSAL' FOR UPDATE",
	[ST_GET_REVERSAL] = "SELECT " COLS " FROM upqr_ops WHERE mer_id = $1 AND order_id = $2"
		" AND kind = 'REVERSAL'",
	[ST_INSERT] = "INSERT INTO upqr_ops (kind, state, mer_id, order_id, txn_time, amount,"
		" currency, orig_id, orig_order_id, orig_txn_time, orig_query_id, created_ms,"
		" updated_ms, owner, lease_until_ms)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
	[ST_UPDATE] = "UPDATE upqr_ops SET state = $2, amount = $3, resp_code = $4,"
		" orig_resp_code = $5, resp_msg = $6, query_id = $7, refunded_total = $8,"
		" attempts = $9, updated_ms = $10, owner = $11, lease_until_ms = $12 WHERE id = $1",
	[ST_OUTSTANDING] = "SELECT COALESCE(SUM(amount), 0) FROM upqr_ops WHERE orig_id = $1"
		" AND kind IN ('REFUND','VOID') AND state <> 'FAILED'",
	[ST_LIST] = "SELECT " COLS " FROM upqr_ops WHERE state IN " OPEN_STATES
		" ORDER BY id LIMIT $1",
	/* Rows another transaction is claiming are skipped, not waited for. */
	[ST_CLAIM] = "WITH c AS (SELECT id FROM upqr_ops WHERE state IN " OPEN_STATES
		" AND (lease_until_ms <= $1 OR owner = $2 OR owner = '') ORDER BY id LIMIT $3"
		" FOR UPDATE SKIP LOCKED)"
		" UPDATE upqr_ops o SET owner = $2, lease_until_ms = $4 FROM c WHERE o.id = c.id"
		" RETURNING o.id, o.kind, o.state, o.mer_id, o.order_id, o.txn_time, o.amount,"
		" o.currency, o.orig_id, o.orig_order_id, o.orig_txn_time, o.orig_query_id,"
		" o.resp_code, o.orig_resp_code, o.resp_msg, o.query_id, o.refunded_total, o.attempts,"
		" o.created_ms, o.updated_ms, o.owner, o.lease_until_ms",
	[ST_SET_CLAIM] = "UPDATE upqr_ops SET owner = $2, lease_until_ms = $3 WHERE id = $1",
	[ST_NOTE_GET] = "SELECT op_id FROM upqr_notifications WHERE query_id = $1",
	[ST_NOTE_INSERT] = "INSERT INTO upqr_notifications (query_id, op_id, outcome, resp_code,"
		" orig_resp_code, received_ms) VALUES ($1, $2, $3, $4, $5, $6)"
		" ON CONFLICT (query_id) DO NOTHING RETURNING op_id",
};

static const char *const stmt_name[ST_COUNT] = {
	"upqr_get_id", "upqr_lock_id", "upqr_get_op", "upqr_lock_op", "upqr_get_reversal",
	"upqr_insert", "upqr_update", "upqr_outstanding", "upqr_list", "upqr_claim",
	"upqr_set_claim", "upqr_note_get", "upqr_note_insert",
};

#define MAX_DEFERRED 4
#define DEFERRED_BYTES 1024

/* A write whose result nothing reads before the commit: it travels with the next statement. */
typedef struct deferred {
	int which;
	int n;
	const char *v[MAX_PARAMS];  /* into buf */
	char buf[DEFERRED_BYTES];
} deferred;

typedef struct pg {
	PGconn *conn;
	char *where;     /* the location with its password masked: for messages */
	bool in_tx;
	bool broken;         /* a failure said the connection is gone: reconnect at the next call */
	bool begin_pending;  /* BEGIN not sent yet: it goes with the first statement */
	int queued;
	deferred queue[MAX_DEFERRED];
} pg;

static pg *PG(upqr_journal *j)
{
	return j->impl;
}

/* ---- parameters ------------------------------------------------------------- */

typedef struct params {
	int n;
	const char *v[MAX_PARAMS];
	char num[MAX_PARAMS][24];
} params;

static void p_text(params *p, const char *s)
{
	p->v[p->n++] = s;
}

static void p_int(params *p, int64_t x)
{
	snprintf(p->num[p->n], sizeof(p->num[0]), "%lld", (long long)x);
	p->v[p->n] = p->num[p->n];
	p->n++;
}

/* ---- errors ------------------------------------------------------------------ */

/* Copies libpq's text without its trailing newline. */
static void pq_text(char *dst, size_t cap, const char *src)
{
	upqr__journal_copy_text(dst, cap, src ? src : "");
	size_t n = strlen(dst);
	while (n > 0 && (dst[n - 1] == '\n' || dst[n - 1] == ' '))
		dst[--n] = '\0';
}

static bool connection_lost(upqr_journal *j, const char *state)
{
	return PQstatus(PG(j)->conn) != CONNECTION_OK || !state || strncmp(state, "08", 2) == 0
			|| strcmp(state, "57P01") == 0 || strcmp(state, "57P02") == 0
			|| strcmp(state, "57P03") == 0;
}

/* Maps a failed result (r may be NULL) to a status by its SQLSTATE. */
static int pg_error(upqr_journal *j, const PGresult *r, const char *what)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	char msg[160];
	pq_text(msg, sizeof(msg), primary ? primary : PQerrorMessage(PG(j)->conn));
	const char *where = PG(j)->where;
	if (!r && PQstatus(PG(j)->conn) == CONNECTION_OK)
		return upqr__set_error(j->err, UPQR_EINTERNAL, "%s: journal %s: no result (%s)", what,
				where, msg);
	if (connection_lost(j, state))
		PG(j)->broken = true;  /* the server may have said so before the socket closed */
	if (connection_lost(j, state) && strcmp(what, "commit") == 0)
		return upqr__set_error(j->err, UPQR_ENETWORK, "commit: lost the connection to journal "
				"%s (%s); whether this call took effect is unknown: read the record again",
				where, msg);
	if (connection_lost(j, state))
		return upqr__set_error(j->err, UPQR_ENETWORK, "%s: lost the connection to journal %s "
				"(%s); nothing of this call was committed", what, where, msg);
	if (strcmp(state, "UQ001") == 0)
		return upqr__set_error(j->err, UPQR_EOVERREFUND,
				"%s: refunds and voids would exceed the original amount", what);
	if (strcmp(state, "UQ002") == 0)
		return upqr__set_error(j->err, UPQR_ESTATE, "%s: refused by the journal (%s)", what, msg);
	if (strcmp(state, "23505") == 0)
		return upqr__set_error(j->err, UPQR_EDUPLICATE, "%s: already in the journal (%s)",
				what, msg);
	if (strcmp(state, "55P03") == 0 || strcmp(state, "40P01") == 0
			|| strcmp(state, "40001") == 0 || strcmp(state, "57014") == 0)
		return upqr__set_error(j->err, UPQR_EBUSY, "%s: journal %s: rows stayed locked past "
				"%u ms (%s)", what, where, j->busy_timeout_ms, msg);
	int status = UPQR_EINTERNAL;
	if (strncmp(state, "53", 2) == 0 || strncmp(state, "58", 2) == 0
			|| strcmp(state, "42501") == 0 || strcmp(state, "25006") == 0)
		status = UPQR_EIO;
	else if (strncmp(state, "XX", 2) == 0)
		status = UPQR_ECORRUPT;
	return upqr__set_error(j->err, status, "%s: journal %s: %s (SQLSTATE %s)", what, where,
			msg, state);
}

/* ---- statements ---------------------------------------------------------------- */

/* Takes a result: rows to *out (when given, else dropped), or the failure mapped. */
static int result(upqr_journal *j, PGresult *r, PGresult **out, const char *what)
{
	ExecStatusType st = PQresultStatus(r);
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
		if (out)
			*out = r;
		else
			PQclear(r);
		return UPQR_OK;
	}
	int rc = pg_error(j, r, what);
	PQclear(r);
	return rc;
}

/*
 * One round trip for what a transaction has queued and its next statement:
 * the pending BEGIN, the deferred writes, then prepared statement `which`
 * (or COMMIT when which < 0), sent in libpq's pipeline mode. Every call then
 * costs two round trips (BEGIN + first read; writes + COMMIT) plus one per
 * further read. The first failure is reported, named for the step it hit.
 */
static int run_pipeline(upqr_journal *j, int which, const params *p, PGresult **out,
		const char *what)
{
	pg *s = PG(j);
	PGconn *c = s->conn;
	int sent = 0, writes = s->queued;
	bool begin = s->begin_pending;
	bool ok = PQenterPipelineMode(c) == 1;
	if (ok && begin)
		ok = PQsendQueryParams(c, "BEGIN", 0, NULL, NULL, NULL, NULL, 0) && ++sent;
	for (int i = 0; ok && i < writes; i++)
		ok = PQsendQueryPrepared(c, stmt_name[s->queue[i].which], s->queue[i].n,
				s->queue[i].v, NULL, NULL, 0) && ++sent;
	if (ok)
		ok = (which >= 0 ? PQsendQueryPrepared(c, stmt_name[which], p ? p->n : 0,
				p ? p->v : NULL, NULL, NULL, 0)
				: PQsendQueryParams(c, "COMMIT", 0, NULL, NULL, NULL, NULL, 0)) && ++sent;
	ok = ok && PQpipelineSync(c);
	s->begin_pending = false;
	s->queued = 0;
	PGresult *fail = NULL, *last = NULL, *r;
	int fail_at = -1;
	/* Each query's results end with NULL; after a failure the rest are "aborted". */
	for (int k = 0; ok && k < sent; k++) {
		while ((r = PQgetResult(c)) != NULL) {
			ExecStatusType st = PQresultStatus(r);
			bool good = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
			if (!good && !fail) {
				fail = r;
				fail_at = k;
			} else if (good && k == sent - 1 && !last) {
				last = r;
			} else {
				PQclear(r);
			}
		}
	}
	while (ok && (r = PQgetResult(c)) != NULL) {
		bool sync = PQresultStatus(r) == PGRES_PIPELINE_SYNC;
		PQclear(r);
		if (sync)
			break;
	}
	PQexitPipelineMode(c);
	if (fail) {
		PQclear(last);
		int write_from = begin ? 1 : 0;
		const char *step = begin && fail_at == 0 ? "begin transaction"
				: fail_at < write_from + writes ? "write" : what;
		return result(j, fail, NULL, step);
	}
	if (!last)
		return pg_error(j, NULL, what);
	return result(j, last, out, what);
}

/* Runs prepared statement `which` (with what the transaction has queued, if anything). */
static int q(upqr_journal *j, int which, const params *p, PGresult **out, const char *what)
{
	pg *s = PG(j);
	if (s->begin_pending || s->queued)
		return run_pipeline(j, which, p, out, what);
	return result(j, PQexecPrepared(s->conn, stmt_name[which], p ? p->n : 0,
			p ? p->v : NULL, NULL, NULL, 0), out, what);
}

/*
 * Queues a write that returns no rows, inside a transaction, to be sent
 * with the next statement or the COMMIT; outside one (or when the queue is
 * full) it runs at once. Its parameters are copied: the caller's record may
 * be gone by then.
 */
static int defer(upqr_journal *j, int which, const params *p, const char *what)
{
	pg *s = PG(j);
	if (!s->in_tx || s->queued == MAX_DEFERRED)
		return q(j, which, p, NULL, what);
	deferred *d = &s->queue[s->queued];
	size_t used = 0;
	for (int i = 0; i < p->n; i++) {
		size_t len = p->v[i] ? strlen(p->v[i]) + 1 : 0;
		if (used + len > sizeof(d->buf))
			return q(j, which, p, NULL, what);
		d->v[i] = p->v[i] ? memcpy(d->buf + used, p->v[i], len) : NULL;
		used += len;
	}
	d->which = which;
	d->n = p->n;
	s->queued++;
	return UPQR_OK;
}

/* Runs plain SQL (no parameters). */
static int exec_sql(upqr_journal *j, const char *sql, PGresult **out, const char *what)
{
	return result(j, PQexec(PG(j)->conn, sql), out, what);
}

static int64_t int_at(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? 0 : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

#define TEXT_AT(f, r, row, col) upqr__journal_copy_text((f), sizeof(f), PQgetvalue((r), (row), (col)))

static int read_row(upqr_journal *j, const PGresult *res, int row, upqr_journal_record *r)
{
	char name[16];
	memset(r, 0, sizeof(*r));
	r->id = int_at(res, row, 0);
	TEXT_AT(name, res, row, 1);
	r->kind = upqr__journal_kind_parse(name);
	TEXT_AT(name, res, row, 2);
	r->state = upqr__journal_state_parse(name);
	if (r->kind == UPQR_JOURNAL_KIND_NONE || r->state == 0)
		return upqr__set_error(j->err, UPQR_ECORRUPT, "journal %s: record %lld has an unknown "
				"kind or state", PG(j)->where, (long long)r->id);
	TEXT_AT(r->mer_id, res, row, 3);
	TEXT_AT(r->order_id, res, row, 4);
	TEXT_AT(r->txn_time, res, row, 5);
	r->amount = int_at(res, row, 6);
	TEXT_AT(r->currency, res, row, 7);
	r->orig_id = int_at(res, row, 8);
	TEXT_AT(r->orig_order_id, res, row, 9);
	TEXT_AT(r->orig_txn_time, res, row, 10);
	TEXT_AT(r->orig_query_id, res, row, 11);
	TEXT_AT(r->resp_code, res, row, 12);
	TEXT_AT(r->orig_resp_code, res, row, 13);
	TEXT_AT(r->resp_msg, res, row, 14);
	TEXT_AT(r->query_id, res, row, 15);
	r->refunded_total = int_at(res, row, 16);
	r->attempts = (uint32_t)int_at(res, row, 17);
	r->created_ms = int_at(res, row, 18);
	r->updated_ms = int_at(res, row, 19);
	TEXT_AT(r->owner, res, row, 20);
	r->lease_until_ms = int_at(res, row, 21);
	return UPQR_OK;
}

/* Runs a query for at most one record; UPQR_ENOTFOUND (no text) if none. */
static int one_row(upqr_journal *j, int which, const params *p, upqr_journal_record *out)
{
	PGresult *r = NULL;
	int rc = q(j, which, p, &r, "read");
	if (rc != UPQR_OK)
		return rc;
	rc = PQntuples(r) > 0 ? read_row(j, r, 0, out) : UPQR_ENOTFOUND;
	PQclear(r);
	return rc;
}

/* One record by id, or by key (upqr__journal_ops.get); lock: FOR UPDATE. */
static int pg_get(upqr_journal *j, int64_t id, const char *mer_id, const char *order_id,
		bool reversal, bool lock, upqr_journal_record *out)
{
	params p = { 0 };
	if (id > 0) {
		p_int(&p, id);
		return one_row(j, lock ? ST_LOCK_ID : ST_GET_ID, &p, out);
	}
	p_text(&p, mer_id);
	p_text(&p, order_id);
	return one_row(j, reversal ? ST_GET_REVERSAL : lock ? ST_LOCK_OP : ST_GET_OP, &p, out);
}

static int pg_write(upqr_journal *j, const upqr_journal_record *r)
{
	params p = { 0 };
	p_int(&p, r->id);
	p_text(&p, upqr_journal_state_name(r->state));
	p_int(&p, r->amount);
	p_text(&p, r->resp_code);
	p_text(&p, r->orig_resp_code);
	p_text(&p, r->resp_msg);
	p_text(&p, r->query_id);
	p_int(&p, r->refunded_total);
	p_int(&p, r->attempts);
	p_int(&p, r->updated_ms);
	p_text(&p, r->owner);
	p_int(&p, r->lease_until_ms);
	return defer(j, ST_UPDATE, &p, "write");
}

/* ---- connection and transactions ------------------------------------------------- */

static int prepare_all(upqr_journal *j)
{
	for (int i = 0; i < ST_COUNT; i++) {
		PGresult *r = PQprepare(PG(j)->conn, stmt_name[i], stmt_sql[i], 0, NULL);
		int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? UPQR_OK : pg_error(j, r, "prepare");
		PQclear(r);
		if (rc != UPQR_OK)
			return rc;
	}
	return UPQR_OK;
}

/*
 * Session settings: UTF-8 text, the busy timeout as lock_timeout (PostgreSQL
 * reads 0 as "wait forever": at least 1 ms), and commits that wait for the
 * disk. A server configured with synchronous_commit = off would acknowledge
 * commits it can still lose; this session asks for "on" then.
 */
static int set_session(upqr_journal *j)
{
	char sql[160];
	unsigned int ms = j->busy_timeout_ms > 0 ? j->busy_timeout_ms : 1;
	if (ms > 0x7fffffffu)
		ms = 0x7fffffffu;
	snprintf(sql, sizeof(sql), "SET client_encoding = 'UTF8'; SET lock_timeout = %u;"
			" SET synchronous_commit = on", ms);
	PGresult *r = NULL;
	int rc = exec_sql(j, "SHOW synchronous_commit", &r, "open");
	if (rc != UPQR_OK)
		return rc;
	bool off = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "off") == 0;
	PQclear(r);
	if (!off)
		*strrchr(sql, ';') = '\0';  /* keep the server's (at least as strong) setting */
	return exec_sql(j, sql, NULL, "open");
}

/* A handle whose connection broke reconnects at its next call. */
static int ensure_connected(upqr_journal *j)
{
	if (PQstatus(PG(j)->conn) == CONNECTION_OK && !PG(j)->broken)
		return UPQR_OK;
	PQreset(PG(j)->conn);
	if (PQstatus(PG(j)->conn) != CONNECTION_OK) {
		char msg[160];
		pq_text(msg, sizeof(msg), PQerrorMessage(PG(j)->conn));
		return upqr__set_error(j->err, UPQR_ENETWORK, "cannot reconnect to journal %s: %s",
				PG(j)->where, msg);
	}
	PG(j)->broken = false;
	int rc = set_session(j);
	return rc == UPQR_OK ? prepare_all(j) : rc;
}

/* The BEGIN is sent with the first statement (run_pipeline). */
static int pg_tx_begin(upqr_journal *j)
{
	int rc = ensure_connected(j);
	PG(j)->begin_pending = rc == UPQR_OK;
	PG(j)->in_tx = rc == UPQR_OK;
	return rc;
}

/* Commits when status is UPQR_OK, else rolls back; returns the final status. */
static int pg_tx_end(upqr_journal *j, int status)
{
	pg *s = PG(j);
	s->in_tx = false;
	if (status != UPQR_OK)
		s->queued = 0;  /* never sent: nothing to undo */
	if (s->begin_pending && !s->queued) {  /* no statement ran: no transaction to end */
		s->begin_pending = false;
		return status;
	}
	if (status == UPQR_OK) {
		status = s->begin_pending || s->queued ? run_pipeline(j, -1, NULL, NULL, "commit")
				: exec_sql(j, "COMMIT", NULL, "commit");
		if (status == UPQR_OK)
			return status;
	}
	if (!s->broken && PQstatus(s->conn) == CONNECTION_OK
			&& PQtransactionStatus(s->conn) != PQTRANS_IDLE) {
		char keep[UPQR__ERR_MAX];
		memcpy(keep, j->err, sizeof(keep));
		(void)exec_sql(j, "ROLLBACK", NULL, "rollback");
		memcpy(j->err, keep, sizeof(keep));  /* the first failure is the one to report */
	}
	return status;
}

/* ---- opening: recognise, then create or migrate -------------------------------------- */

/*
 * Looks at the database without writing to it. *version: our schema version,
 * 0 when none of our tables exist (a new journal), or an error.
 */
static int identify(upqr_journal *j, int64_t *version)
{
	PGresult *r = NULL;
	int rc = exec_sql(j, "SELECT (SELECT count(*) FROM pg_catalog.pg_tables"
			" WHERE schemaname = current_schema() AND tablename IN"
			" ('upqr_ops', 'upqr_notifications', 'upqr_migrations')),"
			" COALESCE(obj_description(to_regclass('upqr_migrations'), 'pg_class'), '')",
			&r, "open");
	if (rc != UPQR_OK)
		return rc;
	int64_t tables = int_at(r, 0, 0);
	bool ours = strcmp(PQgetvalue(r, 0, 1), MARKER) == 0;
	PQclear(r);
	const char *where = PG(j)->where;
	if (tables == 0) {
		*version = 0;
		return UPQR_OK;
	}
	if (!ours)
		return upqr__set_error(j->err, UPQR_EFOREIGN, "database %s has tables named like a "
				"upqr journal's that are not one; it was not changed", where);
	if (tables != 3)
		return upqr__set_error(j->err, UPQR_ECORRUPT, "journal %s lacks some of its tables; "
				"it was not changed", where);
	rc = exec_sql(j, "SELECT COALESCE(max(version), 0) FROM upqr_migrations", &r, "open");
	if (rc != UPQR_OK)
		return rc;
	int64_t v = int_at(r, 0, 0);
	PQclear(r);
	if (v > UPQR__JOURNAL_SCHEMA)
		return upqr__set_error(j->err, UPQR_EUNSUPPORTED,
				"journal %s has schema version %lld, newer than this upqr's %d: use a newer "
				"upqr; the database was not changed", where, (long long)v, UPQR__JOURNAL_SCHEMA);
	if (v < 1)
		return upqr__set_error(j->err, UPQR_ECORRUPT,
				"journal %s has schema version %lld; it was not changed", where, (long long)v);
	*version = v;
	return UPQR_OK;
}

static int apply_migration(upqr_journal *j, const upqr__journal_migration *m)
{
	int rc = exec_sql(j, m->sql, NULL, "migrate");
	if (rc != UPQR_OK)
		return rc;
	const char *sql = "INSERT INTO upqr_migrations (version, applied_ms, description)"
			" VALUES ($1, $2, $3)";
	params p = { 0 };
	p_int(&p, m->version);
	p_int(&p, j->clock_ms(j->clock_user));
	p_text(&p, m->description);
	PGresult *r = PQexecParams(PG(j)->conn, sql, p.n, NULL, p.v, NULL, NULL, 0);
	rc = PQresultStatus(r) == PGRES_COMMAND_OK ? UPQR_OK : pg_error(j, r, "migrate");
	PQclear(r);
	return rc;
}

/*
 * Brings the schema to UPQR__JOURNAL_SCHEMA in one transaction (DDL is
 * transactional here), under an advisory lock, after identifying the
 * database again inside it: another process may have created or migrated
 * it meanwhile.
 */
static int migrate(upqr_journal *j)
{
	int rc = exec_sql(j, "BEGIN", NULL, "open");
	if (rc != UPQR_OK)
		return rc;
	rc = exec_sql(j, "SELECT pg_advisory_xact_lock(" MIGRATE_LOCK ")", NULL, "open");
	int64_t version = 0;
	if (rc == UPQR_OK)
		rc = identify(j, &version);
	if (rc == UPQR_OK && version == 0)
		rc = exec_sql(j, "CREATE TABLE upqr_migrations (version integer PRIMARY KEY,"
				" applied_ms bigint NOT NULL, description text NOT NULL);"
				" COMMENT ON TABLE upqr_migrations IS '" MARKER "'", NULL, "create");
	for (size_t i = 0; rc == UPQR_OK && i < UPQR__ARRAY_LEN(migrations); i++)
		if (migrations[i].version > version)
			rc = apply_migration(j, &migrations[i]);
	return pg_tx_end(j, rc);
}

/*
 * "postgresql://user:secret@host/db?password=x" -> "postgresql://user:***@host/db?password=***":
 * the location as it may appear in messages and logs. d has room for
 * 2 * strlen(s) + 8 bytes (a one-character password grows by two).
 */
static void mask_password(char *d, const char *s)
{
	const char *host = strstr(s, "://");
	host = host ? host + 3 : NULL;
	const char *at = host ? strchr(host, '@') : NULL, *slash = host ? strchr(host, '/') : NULL;
	const char *colon = at && (!slash || at < slash)
			? memchr(host, ':', (size_t)(at - host)) : NULL;
	while (*s) {
		const char *hide_end = NULL;
		size_t keep = 0;
		if (s == colon && at > colon + 1) {
			hide_end = at;
			keep = 1;
		} else if (strncmp(s, "password=", 9) == 0 && s[9] && s[9] != '&') {
			hide_end = s + 9 + strcspn(s + 9, "&");
			keep = 9;
		}
		if (!hide_end) {
			*d++ = *s++;
			continue;
		}
		memcpy(d, s, keep);
		memcpy(d + keep, "***", 3);
		d += keep + 3;
		s = hide_end;
	}
	*d = '\0';
}

/*
 * Defaults the location may override (libpq lets later keywords override
 * earlier ones, and the expanded URI comes last): a server that does not
 * answer is given up after 10 s, and a peer that vanished without closing
 * the connection is noticed by TCP keepalives in about 25 s instead of the
 * system's two hours, so a call reports UPQR_ENETWORK instead of hanging.
 */
static const char *const conn_keys[] = { "connect_timeout", "keepalives_idle",
		"keepalives_interval", "keepalives_count", "dbname", NULL };
static const char *const conn_defaults[] = { "10", "10", "5", "3" };

static int pg_connect(upqr_journal *j, const char *location)
{
	pg *s = PG(j);
	const char *values[] = { conn_defaults[0], conn_defaults[1], conn_defaults[2],
			conn_defaults[3], location, NULL };
	s->conn = PQconnectdbParams(conn_keys, values, 1);
	if (!s->conn)
		return upqr__set_error(j->err, UPQR_ENOMEM, "journal: out of memory");
	if (PQstatus(s->conn) == CONNECTION_OK)
		return UPQR_OK;
	char msg[160];
	pq_text(msg, sizeof(msg), PQerrorMessage(s->conn));
	int status = strstr(msg, "authentication") ? UPQR_EAUTH
			: strstr(msg, "does not exist") ? UPQR_ENOTFOUND
			: strstr(msg, "invalid") || strstr(msg, "missing") || strstr(msg, "URI")
			|| strstr(msg, "separator") ? UPQR_EINVAL : UPQR_ENETWORK;
	return upqr__set_error(j->err, status, "cannot connect to journal %s: %s", s->where, msg);
}

static int pg_open(upqr_journal *j, const char *location, bool create)
{
	pg *s = upqr__calloc(1, sizeof(*s));
	if (!s)
		return upqr__set_error(j->err, UPQR_ENOMEM, "journal: out of memory");
	j->impl = s;
	s->where = upqr__malloc(2 * strlen(location) + 8);
	if (!s->where)
		return upqr__set_error(j->err, UPQR_ENOMEM, "journal: out of memory");
	mask_password(s->where, location);
	int rc = pg_connect(j, location);
	if (rc == UPQR_OK)
		rc = set_session(j);
	int64_t version = 0;
	if (rc == UPQR_OK)
		rc = identify(j, &version);  /* read-only: nothing is written to a stranger */
	if (rc == UPQR_OK && version == 0 && !create)
		rc = upqr__set_error(j->err, UPQR_ENOTFOUND, "journal %s does not exist (the database "
				"holds no upqr journal)", s->where);
	if (rc == UPQR_OK && version < UPQR__JOURNAL_SCHEMA)
		rc = migrate(j);
	if (rc == UPQR_OK)
		rc = prepare_all(j);
	return rc;
}

static void pg_close(upqr_journal *j)
{
	pg *s = PG(j);
	if (!s)
		return;
	PQfinish(s->conn);
	upqr__free(s->where);
	upqr__free(s);
	j->impl = NULL;
}

/* ---- storage steps ------------------------------------------------------------------- */

static int pg_outstanding(upqr_journal *j, int64_t orig_id, int64_t *sum)
{
	params p = { 0 };
	p_int(&p, orig_id);
	PGresult *r = NULL;
	int rc = q(j, ST_OUTSTANDING, &p, &r, "begin");
	if (rc != UPQR_OK)
		return rc;
	*sum = int_at(r, 0, 0);
	PQclear(r);
	return UPQR_OK;
}

static int pg_insert(upqr_journal *j, upqr_journal_record *rec)
{
	params p = { 0 };
	p_text(&p, upqr_journal_kind_name(rec->kind));
	p_text(&p, upqr_journal_state_name(rec->state));
	p_text(&p, rec->mer_id);
	p_text(&p, rec->order_id);
	p_text(&p, rec->txn_time);
	p_int(&p, rec->amount);
	p_text(&p, rec->currency);
	if (rec->orig_id > 0)
		p_int(&p, rec->orig_id);
	else
		p_text(&p, NULL);
	p_text(&p, rec->orig_order_id);
	p_text(&p, rec->orig_txn_time);
	p_text(&p, rec->orig_query_id);
	p_int(&p, rec->created_ms);
	p_int(&p, rec->updated_ms);
	p_text(&p, rec->owner);
	p_int(&p, rec->lease_until_ms);
	PGresult *r = NULL;
	int rc = q(j, ST_INSERT, &p, &r, "begin");
	if (rc == UPQR_OK) {
		rec->id = int_at(r, 0, 0);
		PQclear(r);
	}
	return rc;
}

static int pg_set_claim(upqr_journal *j, int64_t id, const char *owner, int64_t lease_until_ms)
{
	params p = { 0 };
	p_int(&p, id);
	p_text(&p, owner);
	p_int(&p, lease_until_ms);
	return defer(j, ST_SET_CLAIM, &p, "claim");
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = ((const upqr_journal_record *)a)->id, y = ((const upqr_journal_record *)b)->id;
	return (x > y) - (x < y);
}

/* Reads the rows of r into out (at most cap), oldest first. */
static int read_rows(upqr_journal *j, PGresult *r, upqr_journal_record *out, size_t cap,
		size_t *count)
{
	int rc = UPQR_OK;
	size_t n = 0;
	for (int row = 0; rc == UPQR_OK && row < PQntuples(r) && n < cap; row++)
		rc = read_row(j, r, row, &out[n++]);
	PQclear(r);
	*count = rc == UPQR_OK ? n : 0;
	if (rc == UPQR_OK)
		qsort(out, n, sizeof(*out), cmp_id);  /* RETURNING keeps no order */
	return rc;
}

static int pg_unfinished(upqr_journal *j, bool claim, int64_t now, upqr_journal_record *out,
		size_t cap, size_t *count)
{
	int rc = ensure_connected(j);
	if (rc != UPQR_OK)
		return rc;
	params p = { 0 };
	int64_t limit = cap > INT32_MAX ? INT32_MAX : (int64_t)cap;
	if (claim) {
		p_int(&p, now);
		p_text(&p, j->owner);
		p_int(&p, limit);
		p_int(&p, now + j->lease_ms);
	} else {
		p_int(&p, limit);
	}
	/* One statement is one transaction: the claim commits before the rows are returned. */
	PGresult *r = NULL;
	rc = q(j, claim ? ST_CLAIM : ST_LIST, &p, &r, claim ? "claim" : "list");
	if (rc != UPQR_OK)
		return rc;
	return read_rows(j, r, out, cap, count);
}

static int pg_booked(upqr_journal *j, const char *query_id, int64_t *op_id)
{
	params p = { 0 };
	p_text(&p, query_id);
	PGresult *r = NULL;
	int rc = q(j, ST_NOTE_GET, &p, &r, "book notification");
	if (rc != UPQR_OK)
		return rc;
	*op_id = PQntuples(r) > 0 ? int_at(r, 0, 0) : 0;
	PQclear(r);
	return UPQR_OK;
}

/* ON CONFLICT DO NOTHING waits for a concurrent booking of the same queryId, then yields to it. */
static int pg_book(upqr_journal *j, const upqr_journal_notification *n, int64_t op_id,
		int64_t now, bool *taken)
{
	params p = { 0 };
	p_text(&p, n->query_id);
	p_int(&p, op_id);
	p_text(&p, upqr_journal_state_name(n->outcome));
	p_text(&p, n->resp_code);
	p_text(&p, n->orig_resp_code);
	p_int(&p, now);
	PGresult *r = NULL;
	int rc = q(j, ST_NOTE_INSERT, &p, &r, "book notification");
	if (rc != UPQR_OK)
		return rc;
	*taken = PQntuples(r) == 0;
	PQclear(r);
	return UPQR_OK;
}

const upqr__journal_ops upqr__journal_pg_ops = {
	.name = "postgresql",
	.open = pg_open,
	.close = pg_close,
	.ready = ensure_connected,
	.tx_begin = pg_tx_begin,
	.tx_end = pg_tx_end,
	.get = pg_get,
	.outstanding = pg_outstanding,
	.insert = pg_insert,
	.write = pg_write,
	.set_claim = pg_set_claim,
	.booked = pg_booked,
	.book = pg_book,
	.unfinished = pg_unfinished,
};
