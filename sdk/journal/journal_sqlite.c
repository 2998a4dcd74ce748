/*
 * journal_sqlite.c - the SQLite journal backend (the embedded default).
 *
 * Durability: WAL with synchronous=FULL, so a commit is on disk when
 * sqlite3_step returns, and a crash loses nothing that was committed. Every
 * operation runs in BEGIN IMMEDIATE: the write lock is taken before the
 * rows are read, so two processes cannot both pass a guard (refund total,
 * claim) on the same data. The schema repeats the money guards as triggers
 * and CHECK constraints, so even a bug here or a hand-made INSERT cannot
 * refund more than was paid or bring a final record back to life.
 *
 * A file is only ever written after it is recognised: our application_id,
 * or a database with no objects at all (a new or empty file). Anything
 * else is reported and left untouched.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "journal_internal.h"

/* PRAGMA application_id of a upqr journal: "UPQJ". */
#define APP_ID 0x5550514a

static const upqr__journal_migration migrations[] = {
	{ 1, "operations, notifications, money guards",
	  "CREATE TABLE upqr_ops ("
	  " id INTEGER PRIMARY KEY,"
	  " kind TEXT NOT NULL CHECK (kind IN ('APPLY_QR','CONSUME_QRNO','CONSUME_CPM','VOID',"
	  "  'REFUND','REVERSAL')),"
	  " state TEXT NOT NULL CHECK (state IN ('PENDING','UNKNOWN','ACCEPTED','SUCCESS','FAILED',"
	  "  'VOIDED','REVERSED','REFUNDED')),"
	  " mer_id TEXT NOT NULL CHECK (length(mer_id) BETWEEN 1 AND 15),"
	  " order_id TEXT NOT NULL CHECK (length(order_id) BETWEEN 8 AND 40),"
	  " txn_time TEXT NOT NULL CHECK (length(txn_time) = 14),"
	  " amount INTEGER NOT NULL CHECK (amount BETWEEN 0 AND 999999999999),"
	  " currency TEXT NOT NULL CHECK (length(currency) = 3),"
	  " orig_id INTEGER REFERENCES upqr_ops(id),"
	  " orig_order_id TEXT NOT NULL DEFAULT '',"
	  " orig_txn_time TEXT NOT NULL DEFAULT '',"
	  " orig_query_id TEXT NOT NULL DEFAULT '',"
	  " resp_code TEXT NOT NULL DEFAULT '',"
	  " orig_resp_code TEXT NOT NULL DEFAULT '',"
	  " resp_msg TEXT NOT NULL DEFAULT '',"
	  " query_id TEXT NOT NULL DEFAULT '',"
	  " refunded_total INTEGER NOT NULL DEFAULT 0"
	  "  CHECK (refunded_total >= 0 AND refunded_total <= amount),"
	  " attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),"
	  " created_ms INTEGER NOT NULL,"
	  " updated_ms INTEGER NOT NULL,"
	  " owner TEXT NOT NULL DEFAULT '',"
	  " lease_until_ms INTEGER NOT NULL DEFAULT 0,"
	  " CHECK ((kind IN ('VOID','REFUND','REVERSAL')) = (orig_id IS NOT NULL)));"
	  /* One operation per merId + orderId, plus at most one reversal of it. */
	  "CREATE UNIQUE INDEX upqr_ops_key ON upqr_ops(mer_id, order_id, kind = 'REVERSAL');"
	  "CREATE INDEX upqr_ops_orig ON upqr_ops(orig_id) WHERE orig_id IS NOT NULL;"
	  "CREATE INDEX upqr_ops_open ON upqr_ops(id) WHERE state IN ('PENDING','UNKNOWN','ACCEPTED');"
	  "CREATE TABLE upqr_notifications ("
	  " query_id TEXT PRIMARY KEY,"
	  " op_id INTEGER NOT NULL REFERENCES upqr_ops(id),"
	  " outcome TEXT NOT NULL CHECK (outcome IN ('SUCCESS','FAILED')),"
	  " resp_code TEXT NOT NULL,"
	  " orig_resp_code TEXT NOT NULL,"
	  " received_ms INTEGER NOT NULL);"
	  /* Refunds and voids that may still succeed never exceed the original. */
	  "CREATE TRIGGER upqr_refund_guard BEFORE INSERT ON upqr_ops"
	  " WHEN NEW.kind IN ('REFUND','VOID') BEGIN"
	  " SELECT RAISE(ABORT, 'upqr_overrefund') WHERE NEW.amount + (SELECT COALESCE(SUM(amount), 0)"
	  "  FROM upqr_ops WHERE orig_id = NEW.orig_id AND kind IN ('REFUND','VOID')"
	  "  AND state <> 'FAILED') > (SELECT amount FROM upqr_ops WHERE id = NEW.orig_id);"
	  " END;"
	  /* Final stays final; SUCCESS may only be undone by a void, refund or reversal. */
	  "CREATE TRIGGER upqr_final_stays BEFORE UPDATE OF state ON upqr_ops"
	  " WHEN OLD.state <> NEW.state AND (OLD.state IN ('FAILED','VOIDED','REVERSED','REFUNDED')"
	  "  OR (OLD.state = 'SUCCESS' AND NEW.state NOT IN ('VOIDED','REVERSED','REFUNDED'))"
	  "  OR NEW.state = 'PENDING') BEGIN"
	  " SELECT RAISE(ABORT, 'upqr_final');"
	  " END;"
	  "CREATE TRIGGER upqr_identity_fixed BEFORE UPDATE OF id, kind, mer_id, order_id, txn_time,"
	  " currency, orig_id, created_ms ON upqr_ops BEGIN"
	  " SELECT RAISE(ABORT, 'upqr_identity');"
	  " END;"
	  /* The amount is fixed once known (an open-amount QR learns it once). */
	  "CREATE TRIGGER upqr_amount_fixed BEFORE UPDATE OF amount ON upqr_ops"
	  " WHEN OLD.amount <> 0 AND NEW.amount <> OLD.amount BEGIN"
	  " SELECT RAISE(ABORT, 'upqr_identity');"
	  " END;"
	  "CREATE TRIGGER upqr_ops_no_delete BEFORE DELETE ON upqr_ops BEGIN"
	  " SELECT RAISE(ABORT, 'upqr_no_delete');"
	  " END;"
	  "CREATE TRIGGER upqr_notifications_fixed BEFORE UPDATE ON upqr_notifications BEGIN"
	  " SELECT RAISE(ABORT, 'upqr_no_delete');"
	  " END;"
	  "CREATE TRIGGER upqr_notifications_no_delete BEFORE DELETE ON upqr_notifications BEGIN"
	  " SELECT RAISE(ABORT, 'upqr_no_delete');"
	  " END;" },
};

#define COLS "id, kind, state, mer_id, order_id, txn_time, amount, currency, orig_id," \
	" orig_order_id, orig_txn_time, orig_query_id, resp_code, orig_resp_code, resp_msg," \
	" query_id, refunded_total, attempts, created_ms, updated_ms, owner, lease_until_ms"
#define OPEN_STATES "('PENDING','UNKNOWN','ACCEPTED')"

enum {
	ST_BEGIN, ST_COMMIT, ST_ROLLBACK, ST_GET_ID, ST_GET_OP, ST_GET_REVERSAL, ST_INSERT,
	ST_UPDATE, ST_OUTSTANDING, ST_LIST, ST_CLAIMABLE, ST_CLAIM, ST_NOTE_GET, ST_NOTE_INSERT,
	ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_GET_ID] = "SELECT " COLS " FROM upqr_ops WHERE id = ?1",
	[ST_GET_OP] = "SELECT " COLS " FROM upqr_ops WHERE mer_id = ?1 AND order_id = ?2"
		" AND kind <> 'REVERSAL'",
	[ST_GET_REVERSAL] = "SELECT " COLS " FROM upqr_ops WHERE mer_id = ?1 AND order_id = ?2"
		" AND kind = 'REVERSAL'",
	[ST_INSERT] = "INSERT INTO upqr_ops (kind, state, mer_id, order_id, txn_time, amount,"
		" currency, orig_id, orig_order_id, orig_txn_time, orig_query_id, created_ms,"
		" updated_ms, owner, lease_until_ms)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
	[ST_UPDATE] = "UPDATE upqr_ops SET state = ?2, amount = ?3, resp_code = ?4,"
		" orig_resp_code = ?5, resp_msg = ?6, query_id = ?7, refunded_total = ?8,"
		" attempts = ?9, updated_ms = ?10, owner = ?11, lease_until_ms = ?12 WHERE id = ?1",
	[ST_OUTSTANDING] = "SELECT COALESCE(SUM(amount), 0) FROM upqr_ops WHERE orig_id = ?1"
		" AND kind IN ('REFUND','VOID') AND state <> 'FAILED'",
	[ST_LIST] = "SELECT " COLS " FROM upqr_ops WHERE state IN " OPEN_STATES
		" ORDER BY id LIMIT ?1",
	[ST_CLAIMABLE] = "SELECT " COLS " FROM upqr_ops WHERE state IN " OPEN_STATES
		" AND (lease_until_ms <= ?1 OR owner = ?2 OR owner = '') ORDER BY id LIMIT ?3",
	[ST_CLAIM] = "UPDATE upqr_ops SET owner = ?2, lease_until_ms = ?3 WHERE id = ?1",
	[ST_NOTE_GET] = "SELECT op_id FROM upqr_notifications WHERE query_id = ?1",
	[ST_NOTE_INSERT] = "INSERT INTO upqr_notifications (query_id, op_id, outcome, resp_code,"
		" orig_resp_code, received_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
		" ON CONFLICT (query_id) DO NOTHING",
};

typedef struct sq {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *st[ST_COUNT];
} sq;

static sq *SQ(upqr_journal *j)
{
	return j->impl;
}

/* ---- errors ---------------------------------------------------------------- */

/* Maps an SQLite failure to a status, with SQLite's own message for the detail. */
static int db_error(upqr_journal *j, int rc, const char *what)
{
	sq *s = SQ(j);
	const char *msg = s && s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);
	const char *path = s && s->path ? s->path : "";
	int status;
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return upqr__set_error(j->err, UPQR_EBUSY, "%s: journal %s stayed locked for %u ms",
				what, path, j->busy_timeout_ms);
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return upqr__set_error(j->err, UPQR_ECORRUPT,
				"%s: %s is damaged or not an SQLite database (%s); it was not changed",
				what, path, msg);
	case SQLITE_NOMEM:
		return upqr__set_error(j->err, UPQR_ENOMEM, "%s: out of memory", what);
	case SQLITE_CONSTRAINT:
		if (strstr(msg, "upqr_overrefund"))
			return upqr__set_error(j->err, UPQR_EOVERREFUND,
					"%s: refunds and voids would exceed the original amount", what);
		if (strstr(msg, "upqr_final") || strstr(msg, "upqr_identity")
				|| strstr(msg, "upqr_no_delete"))
			return upqr__set_error(j->err, UPQR_ESTATE, "%s: refused by the journal (%s)",
					what, msg);
		if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
			return upqr__set_error(j->err, UPQR_EDUPLICATE, "%s: already in the journal (%s)",
					what, msg);
		status = UPQR_EINTERNAL;
		break;
	case SQLITE_IOERR:
	case SQLITE_FULL:
	case SQLITE_CANTOPEN:
	case SQLITE_READONLY:
	case SQLITE_PERM:
		status = UPQR_EIO;
		break;
	default:
		status = UPQR_EINTERNAL;
		break;
	}
	return upqr__set_error(j->err, status, "%s: journal %s: %s", what, path, msg);
}

/* ---- statements ------------------------------------------------------------ */

static sqlite3_stmt *stmt(upqr_journal *j, int which)
{
	sqlite3_stmt *st = SQ(j)->st[which];
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

/* Runs a statement that returns no row. */
static int run(upqr_journal *j, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? UPQR_OK : db_error(j, rc, what);
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

static void column_text(char *dst, size_t cap, sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	upqr__journal_copy_text(dst, cap, t ? (const char *)t : "");
}

#define COLUMN_TEXT(f, st, col) column_text((f), sizeof(f), (st), (col))

static int read_row(upqr_journal *j, sqlite3_stmt *st, upqr_journal_record *r)
{
	char name[16];
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(st, 0);
	COLUMN_TEXT(name, st, 1);
	r->kind = upqr__journal_kind_parse(name);
	COLUMN_TEXT(name, st, 2);
	r->state = upqr__journal_state_parse(name);
	if (r->kind == UPQR_JOURNAL_KIND_NONE || r->state == 0)
		return upqr__set_error(j->err, UPQR_ECORRUPT, "journal %s: record %lld has an unknown "
				"kind or state", SQ(j)->path, (long long)r->id);
	COLUMN_TEXT(r->mer_id, st, 3);
	COLUMN_TEXT(r->order_id, st, 4);
	COLUMN_TEXT(r->txn_time, st, 5);
	r->amount = sqlite3_column_int64(st, 6);
	COLUMN_TEXT(r->currency, st, 7);
	r->orig_id = sqlite3_column_int64(st, 8);
	COLUMN_TEXT(r->orig_order_id, st, 9);
	COLUMN_TEXT(r->orig_txn_time, st, 10);
	COLUMN_TEXT(r->orig_query_id, st, 11);
	COLUMN_TEXT(r->resp_code, st, 12);
	COLUMN_TEXT(r->orig_resp_code, st, 13);
	COLUMN_TEXT(r->resp_msg, st, 14);
	COLUMN_TEXT(r->query_id, st, 15);
	r->refunded_total = sqlite3_column_int64(st, 16);
	r->attempts = (uint32_t)sqlite3_column_int64(st, 17);
	r->created_ms = sqlite3_column_int64(st, 18);
	r->updated_ms = sqlite3_column_int64(st, 19);
	COLUMN_TEXT(r->owner, st, 20);
	r->lease_until_ms = sqlite3_column_int64(st, 21);
	return UPQR_OK;
}

/* Steps a query expected to return at most one record; UPQR_ENOTFOUND (no text) if none. */
static int one_row(upqr_journal *j, sqlite3_stmt *st, upqr_journal_record *out)
{
	int rc = sqlite3_step(st);
	int status = UPQR_ENOTFOUND;
	if (rc == SQLITE_ROW)
		status = read_row(j, st, out);
	else if (rc != SQLITE_DONE)
		status = db_error(j, rc, "read");
	sqlite3_reset(st);
	return status;
}

/* One record by id, or by key (upqr__journal_ops.get); the transaction already excludes other writers. */
static int sq_get(upqr_journal *j, int64_t id, const char *mer_id, const char *order_id,
		bool reversal, bool lock, upqr_journal_record *out)
{
	(void)lock;
	sqlite3_stmt *st;
	if (id > 0) {
		st = stmt(j, ST_GET_ID);
		sqlite3_bind_int64(st, 1, id);
	} else {
		st = stmt(j, reversal ? ST_GET_REVERSAL : ST_GET_OP);
		bind_text(st, 1, mer_id);
		bind_text(st, 2, order_id);
	}
	return one_row(j, st, out);
}

static int sq_write(upqr_journal *j, const upqr_journal_record *r)
{
	sqlite3_stmt *st = stmt(j, ST_UPDATE);
	sqlite3_bind_int64(st, 1, r->id);
	bind_text(st, 2, upqr_journal_state_name(r->state));
	sqlite3_bind_int64(st, 3, r->amount);
	bind_text(st, 4, r->resp_code);
	bind_text(st, 5, r->orig_resp_code);
	bind_text(st, 6, r->resp_msg);
	bind_text(st, 7, r->query_id);
	sqlite3_bind_int64(st, 8, r->refunded_total);
	sqlite3_bind_int64(st, 9, r->attempts);
	sqlite3_bind_int64(st, 10, r->updated_ms);
	bind_text(st, 11, r->owner);
	sqlite3_bind_int64(st, 12, r->lease_until_ms);
	return run(j, st, "write");
}

/* ---- transactions ------------------------------------------------------------ */

static int sq_tx_begin(upqr_journal *j)
{
	return run(j, stmt(j, ST_BEGIN), "begin transaction");
}

/* Commits when status is UPQR_OK, else rolls back; returns the final status. */
static int sq_tx_end(upqr_journal *j, int status)
{
	if (status == UPQR_OK) {
		status = run(j, stmt(j, ST_COMMIT), "commit");
		if (status == UPQR_OK)
			return status;
	}
	if (!sqlite3_get_autocommit(SQ(j)->db)) {
		char keep[UPQR__ERR_MAX];
		memcpy(keep, j->err, sizeof(keep));
		(void)run(j, stmt(j, ST_ROLLBACK), "rollback");
		memcpy(j->err, keep, sizeof(keep));  /* the first failure is the one to report */
	}
	return status;
}

/* ---- opening: recognise, then create or migrate ------------------------------ */

static int pragma_int(upqr_journal *j, const char *sql, int64_t *out)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(SQ(j)->db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*out = sqlite3_column_int64(st, 0);
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? UPQR_OK : db_error(j, rc, "open");
}

/*
 * Looks at the file without writing to it. *version: our schema version,
 * 0 for a database with no objects (new), or an error for anything else.
 */
static int identify(upqr_journal *j, int64_t *version)
{
	int64_t app = 0, user = 0, objects = 0;
	int rc = pragma_int(j, "PRAGMA application_id", &app);
	if (rc == UPQR_OK)
		rc = pragma_int(j, "PRAGMA user_version", &user);
	if (rc == UPQR_OK)
		rc = pragma_int(j, "SELECT count(*) FROM sqlite_master", &objects);
	if (rc != UPQR_OK)
		return rc;
	const char *path = SQ(j)->path;
	if (app == 0 && user == 0 && objects == 0) {
		*version = 0;
		return UPQR_OK;
	}
	if (app != APP_ID)
		return upqr__set_error(j->err, UPQR_EFOREIGN,
				"%s is an SQLite database of another application (application_id %lld, "
				"%lld objects), not a upqr journal; it was not changed", path,
				(long long)app, (long long)objects);
	if (user > UPQR__JOURNAL_SCHEMA)
		return upqr__set_error(j->err, UPQR_EUNSUPPORTED,
				"journal %s has schema version %lld, newer than this upqr's %d: use a newer "
				"upqr; the file was not changed", path, (long long)user, UPQR__JOURNAL_SCHEMA);
	if (user < 1)
		return upqr__set_error(j->err, UPQR_ECORRUPT,
				"journal %s has schema version %lld; it was not changed", path, (long long)user);
	*version = user;
	return UPQR_OK;
}

static int exec(upqr_journal *j, const char *sql, const char *what)
{
	int rc = sqlite3_exec(SQ(j)->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? UPQR_OK : db_error(j, rc, what);
}

static int apply_migration(upqr_journal *j, const upqr__journal_migration *m)
{
	int rc = exec(j, m->sql, "migrate");
	if (rc != UPQR_OK)
		return rc;
	sqlite3_stmt *st = NULL;
	int src = sqlite3_prepare_v2(SQ(j)->db, "INSERT INTO upqr_migrations (version, applied_ms,"
			" description) VALUES (?1, ?2, ?3)", -1, &st, NULL);
	if (src != SQLITE_OK)
		return db_error(j, src, "migrate");
	sqlite3_bind_int(st, 1, m->version);
	sqlite3_bind_int64(st, 2, j->clock_ms(j->clock_user));
	bind_text(st, 3, m->description);
	rc = run(j, st, "migrate");
	sqlite3_finalize(st);
	if (rc != UPQR_OK)
		return rc;
	char sql[64];
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", m->version);
	return exec(j, sql, "migrate");
}

/*
 * Brings the schema to UPQR__JOURNAL_SCHEMA in one write transaction, after
 * identifying the file again inside it (another process may have created or
 * migrated it meanwhile).
 */
static int migrate(upqr_journal *j)
{
	int rc = exec(j, "BEGIN IMMEDIATE", "open");
	if (rc != UPQR_OK)
		return rc;
	int64_t version = 0;
	rc = identify(j, &version);
	if (rc == UPQR_OK && version == 0) {
		char sql[256];
		snprintf(sql, sizeof(sql), "PRAGMA application_id = %d;"
				"CREATE TABLE upqr_migrations (version INTEGER PRIMARY KEY,"
				" applied_ms INTEGER NOT NULL, description TEXT NOT NULL)", APP_ID);
		rc = exec(j, sql, "create");
	}
	for (size_t i = 0; rc == UPQR_OK && i < UPQR__ARRAY_LEN(migrations); i++)
		if (migrations[i].version > version)
			rc = apply_migration(j, &migrations[i]);
	if (rc == UPQR_OK)
		return exec(j, "COMMIT", "open");
	char keep[UPQR__ERR_MAX];
	memcpy(keep, j->err, sizeof(keep));
	sqlite3_exec(SQ(j)->db, "ROLLBACK", NULL, NULL, NULL);
	memcpy(j->err, keep, sizeof(keep));
	return rc;
}

static int check_tables(upqr_journal *j)
{
	int64_t n = 0;
	int rc = pragma_int(j, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN"
			" ('upqr_ops', 'upqr_notifications', 'upqr_migrations')", &n);
	if (rc == UPQR_OK && n != 3)
		rc = upqr__set_error(j->err, UPQR_ECORRUPT,
				"journal %s lacks some of its tables; it was not changed", SQ(j)->path);
	return rc;
}

static int set_durability(upqr_journal *j)
{
	/* journal_mode answers with the mode in force: anything but wal is a failure. */
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(SQ(j)->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
	bool wal = false;
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *mode = sqlite3_column_text(st, 0);
		wal = mode && strcmp((const char *)mode, "wal") == 0;
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_OK)
		return db_error(j, rc, "open");
	if (!wal)
		return upqr__set_error(j->err, UPQR_EIO, "journal %s cannot use WAL mode (is it on a "
				"network file system?)", SQ(j)->path);
	return exec(j, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;"
			" PRAGMA trusted_schema = OFF", "open");
}

static int prepare_all(upqr_journal *j)
{
	for (int i = 0; i < ST_COUNT; i++) {
		int rc = sqlite3_prepare_v3(SQ(j)->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
				&SQ(j)->st[i], NULL);
		if (rc != SQLITE_OK)
			return db_error(j, rc, "prepare");
	}
	return UPQR_OK;
}

static int sq_open_db(upqr_journal *j, const char *location, bool create)
{
	sq *s = SQ(j);
	struct stat sb;
	bool exists = stat(location, &sb) == 0;
	if (!exists && errno != ENOENT)
		return upqr__set_error(j->err, UPQR_EIO, "journal %s: %s", location, strerror(errno));
	if (!exists && !create)
		return upqr__set_error(j->err, UPQR_ENOTFOUND, "journal %s does not exist", location);
	if (exists && !S_ISREG(sb.st_mode))
		return upqr__set_error(j->err, UPQR_EIO, "journal %s is not a regular file", location);
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
			| (exists ? 0 : SQLITE_OPEN_CREATE);
	int rc = sqlite3_open_v2(location, &s->db, flags, NULL);
	if (rc != SQLITE_OK)
		return upqr__set_error(j->err, UPQR_EIO, "cannot open journal %s: %s", location,
				s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
	/* SQLite quietly opens a write-protected file read-only: say so now, not at the first write. */
	if (sqlite3_db_readonly(s->db, "main") == 1)
		return upqr__set_error(j->err, UPQR_EIO, "journal %s is read-only for this process",
				location);
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, (int)(j->busy_timeout_ms > 0x7fffffffu
			? 0x7fffffffu : j->busy_timeout_ms));
	return UPQR_OK;
}

static int sq_open(upqr_journal *j, const char *location, bool create)
{
	sq *s = upqr__calloc(1, sizeof(*s));
	if (!s)
		return upqr__set_error(j->err, UPQR_ENOMEM, "journal: out of memory");
	j->impl = s;
	size_t n = strlen(location) + 1;
	s->path = upqr__malloc(n);
	if (!s->path)
		return upqr__set_error(j->err, UPQR_ENOMEM, "journal: out of memory");
	memcpy(s->path, location, n);
	int rc = sq_open_db(j, location, create);
	int64_t version = 0;
	if (rc == UPQR_OK)
		rc = identify(j, &version);  /* read-only: nothing is written to a stranger */
	if (rc == UPQR_OK)
		rc = set_durability(j);
	if (rc == UPQR_OK && version < UPQR__JOURNAL_SCHEMA)
		rc = migrate(j);
	if (rc == UPQR_OK)
		rc = check_tables(j);
	if (rc == UPQR_OK)
		rc = prepare_all(j);
	return rc;
}

static void sq_close(upqr_journal *j)
{
	sq *s = SQ(j);
	if (!s)
		return;
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close(s->db);
	upqr__free(s->path);
	upqr__free(s);
	j->impl = NULL;
}
/* ---- storage steps ------------------------------------------------------------- */

static int sq_outstanding(upqr_journal *j, int64_t orig_id, int64_t *sum)
{
	sqlite3_stmt *st = stmt(j, ST_OUTSTANDING);
	sqlite3_bind_int64(st, 1, orig_id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*sum = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? UPQR_OK : db_error(j, rc, "begin");
}

static int sq_insert(upqr_journal *j, upqr_journal_record *r)
{
	sqlite3_stmt *st = stmt(j, ST_INSERT);
	bind_text(st, 1, upqr_journal_kind_name(r->kind));
	bind_text(st, 2, upqr_journal_state_name(r->state));
	bind_text(st, 3, r->mer_id);
	bind_text(st, 4, r->order_id);
	bind_text(st, 5, r->txn_time);
	sqlite3_bind_int64(st, 6, r->amount);
	bind_text(st, 7, r->currency);
	if (r->orig_id > 0)
		sqlite3_bind_int64(st, 8, r->orig_id);
	bind_text(st, 9, r->orig_order_id);
	bind_text(st, 10, r->orig_txn_time);
	bind_text(st, 11, r->orig_query_id);
	sqlite3_bind_int64(st, 12, r->created_ms);
	sqlite3_bind_int64(st, 13, r->updated_ms);
	bind_text(st, 14, r->owner);
	sqlite3_bind_int64(st, 15, r->lease_until_ms);
	int rc = run(j, st, "begin");
	if (rc == UPQR_OK)
		r->id = sqlite3_last_insert_rowid(SQ(j)->db);
	return rc;
}

static int sq_set_claim(upqr_journal *j, int64_t id, const char *owner, int64_t lease_until_ms)
{
	sqlite3_stmt *st = stmt(j, ST_CLAIM);
	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, owner);
	sqlite3_bind_int64(st, 3, lease_until_ms);
	return run(j, st, "claim");
}

/* Reads up to cap rows of a prepared select into out. */
static int read_rows(upqr_journal *j, sqlite3_stmt *st, upqr_journal_record *out, size_t cap,
		size_t *count)
{
	int rc = SQLITE_ROW, status = UPQR_OK;
	size_t n = 0;
	while (status == UPQR_OK && n < cap && (rc = sqlite3_step(st)) == SQLITE_ROW)
		status = read_row(j, st, &out[n++]);
	if (status == UPQR_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
		status = db_error(j, rc, "list");
	sqlite3_reset(st);
	*count = status == UPQR_OK ? n : 0;
	return status;
}

static int claim_in_tx(upqr_journal *j, int64_t now, upqr_journal_record *out, size_t cap,
		size_t *count)
{
	sqlite3_stmt *st = stmt(j, ST_CLAIMABLE);
	sqlite3_bind_int64(st, 1, now);
	bind_text(st, 2, j->owner);
	sqlite3_bind_int64(st, 3, cap > INT32_MAX ? INT32_MAX : (int64_t)cap);
	int rc = read_rows(j, st, out, cap, count);
	for (size_t i = 0; rc == UPQR_OK && i < *count; i++) {
		upqr__journal_copy_text(out[i].owner, sizeof(out[i].owner), j->owner);
		out[i].lease_until_ms = now + j->lease_ms;
		rc = sq_set_claim(j, out[i].id, out[i].owner, out[i].lease_until_ms);
	}
	return rc;
}

static int sq_unfinished(upqr_journal *j, bool claim, int64_t now, upqr_journal_record *out,
		size_t cap, size_t *count)
{
	if (!claim) {
		sqlite3_stmt *st = stmt(j, ST_LIST);
		sqlite3_bind_int64(st, 1, cap > INT32_MAX ? INT32_MAX : (int64_t)cap);
		return read_rows(j, st, out, cap, count);
	}
	int rc = sq_tx_begin(j);
	if (rc != UPQR_OK)
		return rc;
	rc = sq_tx_end(j, claim_in_tx(j, now, out, cap, count));
	if (rc != UPQR_OK)
		*count = 0;
	return rc;
}

static int sq_booked(upqr_journal *j, const char *query_id, int64_t *op_id)
{
	sqlite3_stmt *st = stmt(j, ST_NOTE_GET);
	bind_text(st, 1, query_id);
	int rc = sqlite3_step(st);
	*op_id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? UPQR_OK : db_error(j, rc, "book notification");
}

static int sq_book(upqr_journal *j, const upqr_journal_notification *n, int64_t op_id,
		int64_t now, bool *taken)
{
	sqlite3_stmt *st = stmt(j, ST_NOTE_INSERT);
	bind_text(st, 1, n->query_id);
	sqlite3_bind_int64(st, 2, op_id);
	bind_text(st, 3, upqr_journal_state_name(n->outcome));
	bind_text(st, 4, n->resp_code);
	bind_text(st, 5, n->orig_resp_code);
	sqlite3_bind_int64(st, 6, now);
	int rc = run(j, st, "book notification");
	*taken = rc == UPQR_OK && sqlite3_changes(SQ(j)->db) == 0;
	return rc;
}

const upqr__journal_ops upqr__journal_sqlite_ops = {
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.ready = NULL,
	.tx_begin = sq_tx_begin,
	.tx_end = sq_tx_end,
	.get = sq_get,
	.outstanding = sq_outstanding,
	.insert = sq_insert,
	.write = sq_write,
	.set_claim = sq_set_claim,
	.booked = sq_booked,
	.book = sq_book,
	.unfinished = sq_unfinished,
};
