/*
 * db.c - the simulator's state in SQLite: transactions, the query log (for
 * the rate limit), notifications and every delivery attempt. A file keeps
 * the state across restarts; ":memory:" is a throwaway.
 */
#include <stdio.h>
#include <string.h>

#include "db.h"

static const char SCHEMA[] =
	"PRAGMA journal_mode=WAL;"
	"PRAGMA synchronous=NORMAL;"
	"CREATE TABLE IF NOT EXISTS txn ("
	" id INTEGER PRIMARY KEY, mer_id TEXT NOT NULL, order_id TEXT NOT NULL, txn_time TEXT,"
	" txn_type TEXT, txn_sub_type TEXT, version TEXT, sign_method TEXT, access_type TEXT,"
	" currency TEXT, amount INTEGER, state TEXT, resp_code TEXT, query_id TEXT, trace_no TEXT,"
	" trace_time TEXT, settle_date TEXT, created INTEGER, settle_day INTEGER, expires INTEGER,"
	" back_url TEXT, req_reserved TEXT, orig_id INTEGER, refunded INTEGER, qr_code TEXT, qr_no TEXT,"
	" UNIQUE (mer_id, order_id));"
	"CREATE INDEX IF NOT EXISTS txn_query_id ON txn (query_id);"
	"CREATE TABLE IF NOT EXISTS query_log (mer_id TEXT, order_id TEXT, at INTEGER);"
	"CREATE INDEX IF NOT EXISTS query_log_key ON query_log (mer_id, order_id, at);"
	/* One row per notification to send; attempts below. */
	"CREATE TABLE IF NOT EXISTS notification ("
	" id INTEGER PRIMARY KEY, txn_id INTEGER, mer_id TEXT, order_id TEXT, url TEXT, body TEXT,"
	" attempts INTEGER DEFAULT 0, due_ms INTEGER, status TEXT DEFAULT 'pending',"
	" kind TEXT);"
	"CREATE TABLE IF NOT EXISTS notify_attempt ("
	" id INTEGER PRIMARY KEY, notification_id INTEGER, txn_id INTEGER, mer_id TEXT, order_id TEXT,"
	" attempt INTEGER, at_ms INTEGER, http_status INTEGER, elapsed_ms INTEGER, result TEXT,"
	" error TEXT);"
	"CREATE TABLE IF NOT EXISTS cpm_atc (pan TEXT, atc INTEGER, UNIQUE (pan, atc));";

#define TXN_COLS "id, mer_id, order_id, txn_time, txn_type, txn_sub_type, version, sign_method," \
	" access_type, currency, amount, state, resp_code, query_id, trace_no, trace_time, settle_date," \
	" created, settle_day, expires, back_url, req_reserved, orig_id, refunded, qr_code, qr_no"

int sim_db_open(sim *s, const char *path, char *err, size_t err_cap)
{
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX;
	if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
		snprintf(err, err_cap, "cannot open state %s: %s", path, s->db ? sqlite3_errmsg(s->db) : "no memory");
		return -1;
	}
	char *msg = NULL;
	sqlite3_busy_timeout(s->db, 5000);
	if (sqlite3_exec(s->db, SCHEMA, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, err_cap, "state %s: %s", path, msg ? msg : "schema failed");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static void col_text(sqlite3_stmt *st, int i, char *out, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	snprintf(out, cap, "%s", t ? (const char *)t : "");
}

static void txn_read(sqlite3_stmt *st, sim_txn *t)
{
	memset(t, 0, sizeof *t);
	t->id = sqlite3_column_int64(st, 0);
	col_text(st, 1, t->mer_id, sizeof t->mer_id);
	col_text(st, 2, t->order_id, sizeof t->order_id);
	col_text(st, 3, t->txn_time, sizeof t->txn_time);
	col_text(st, 4, t->txn_type, sizeof t->txn_type);
	col_text(st, 5, t->txn_sub_type, sizeof t->txn_sub_type);
	col_text(st, 6, t->version, sizeof t->version);
	col_text(st, 7, t->sign_method, sizeof t->sign_method);
	col_text(st, 8, t->access_type, sizeof t->access_type);
	col_text(st, 9, t->currency, sizeof t->currency);
	t->amount = sqlite3_column_int64(st, 10);
	col_text(st, 11, t->state, sizeof t->state);
	col_text(st, 12, t->resp_code, sizeof t->resp_code);
	col_text(st, 13, t->query_id, sizeof t->query_id);
	col_text(st, 14, t->trace_no, sizeof t->trace_no);
	col_text(st, 15, t->trace_time, sizeof t->trace_time);
	col_text(st, 16, t->settle_date, sizeof t->settle_date);
	t->created = sqlite3_column_int64(st, 17);
	t->settle_day = sqlite3_column_int64(st, 18);
	t->expires = sqlite3_column_int64(st, 19);
	col_text(st, 20, t->back_url, sizeof t->back_url);
	col_text(st, 21, t->req_reserved, sizeof t->req_reserved);
	t->orig_id = sqlite3_column_int64(st, 22);
	t->refunded = sqlite3_column_int64(st, 23);
	col_text(st, 24, t->qr_code, sizeof t->qr_code);
	col_text(st, 25, t->qr_no, sizeof t->qr_no);
}

/* Runs a SELECT of one txn row with up to two text parameters. */
static int txn_select(sim *s, const char *where, const char *a, const char *b, sim_txn *t)
{
	char sql[512];
	snprintf(sql, sizeof sql, "SELECT " TXN_COLS " FROM txn WHERE %s LIMIT 1", where);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (a)
		sqlite3_bind_text(st, 1, a, -1, SQLITE_TRANSIENT);
	if (b)
		sqlite3_bind_text(st, 2, b, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		txn_read(st, t);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int txn_by_order(sim *s, const char *mer_id, const char *order_id, sim_txn *t)
{
	return txn_select(s, "mer_id = ?1 AND order_id = ?2", mer_id, order_id, t);
}

int txn_by_query_id(sim *s, const char *mer_id, const char *query_id, sim_txn *t)
{
	return txn_select(s, "mer_id = ?1 AND query_id = ?2", mer_id, query_id, t);
}

int txn_by_qr(sim *s, const char *digits, sim_txn *t)
{
	char like[96];
	snprintf(like, sizeof like, "%%/%s", digits);
	return txn_select(s, "qr_code LIKE ?1", like, NULL, t);
}

int txn_by_id(sim *s, int64_t id, sim_txn *t)
{
	char where[64];
	snprintf(where, sizeof where, "id = %lld", (long long)id);
	return txn_select(s, where, NULL, NULL, t);
}

/* Binds the columns 2.. of TXN_COLS in order (1 is the id). */
static void txn_bind(sqlite3_stmt *st, const sim_txn *t)
{
	const char *texts[] = { t->mer_id, t->order_id, t->txn_time, t->txn_type, t->txn_sub_type,
		t->version, t->sign_method, t->access_type, t->currency };
	int i = 2;
	for (size_t k = 0; k < sizeof texts / sizeof texts[0]; k++)
		sqlite3_bind_text(st, i++, texts[k], -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, i++, t->amount);
	const char *more[] = { t->state, t->resp_code, t->query_id, t->trace_no, t->trace_time,
		t->settle_date };
	for (size_t k = 0; k < sizeof more / sizeof more[0]; k++)
		sqlite3_bind_text(st, i++, more[k], -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, i++, t->created);
	sqlite3_bind_int64(st, i++, t->settle_day);
	sqlite3_bind_int64(st, i++, t->expires);
	sqlite3_bind_text(st, i++, t->back_url, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, i++, t->req_reserved, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, i++, t->orig_id);
	sqlite3_bind_int64(st, i++, t->refunded);
	sqlite3_bind_text(st, i++, t->qr_code, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, i, t->qr_no, -1, SQLITE_TRANSIENT);
}

int txn_insert(sim *s, sim_txn *t)
{
	static const char sql[] = "INSERT INTO txn (" TXN_COLS ") VALUES (NULL, ?2, ?3, ?4, ?5, ?6,"
		" ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26)";
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	txn_bind(st, t);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -1;
	t->id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int txn_update(sim *s, const sim_txn *t)
{
	static const char sql[] = "UPDATE txn SET mer_id = ?2, order_id = ?3, txn_time = ?4, txn_type = ?5,"
		" txn_sub_type = ?6, version = ?7, sign_method = ?8, access_type = ?9, currency = ?10,"
		" amount = ?11, state = ?12, resp_code = ?13, query_id = ?14, trace_no = ?15, trace_time = ?16,"
		" settle_date = ?17, created = ?18, settle_day = ?19, expires = ?20, back_url = ?21,"
		" req_reserved = ?22, orig_id = ?23, refunded = ?24, qr_code = ?25, qr_no = ?26 WHERE id = ?1";
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, t->id);
	txn_bind(st, t);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int query_count(sim *s, const char *mer_id, const char *order_id, int64_t now)
{
	sqlite3_stmt *st;
	int n = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM query_log WHERE mer_id = ?1 AND order_id = ?2"
			" AND at > ?3", -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, mer_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, order_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, now - 60);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(s->db, "INSERT INTO query_log VALUES (?1, ?2, ?3)", -1, &st, NULL) != SQLITE_OK)
		return n;
	sqlite3_bind_text(st, 1, mer_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, order_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, now);
	(void)sqlite3_step(st);
	sqlite3_finalize(st);
	return n;
}
