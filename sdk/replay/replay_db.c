/*
 * replay_db.c - the persistent CPM replay guard (upqr/replay.h) on SQLite.
 *
 * One table, cpm_atc(card BLOB PRIMARY KEY, last_atc, updated). The file is
 * marked as ours with PRAGMA application_id and its schema version with
 * user_version; anything else is refused before the first write, so a
 * mistyped path can never damage another program's database or file.
 * SQLite allocates through its own allocator: hooking it would mean
 * sqlite3_config(), which is process-global, and upqr keeps no global state.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "core/core_internal.h"
#include "upqr/replay.h"

#define REPLAY_MAGIC 0x52504c59u        /* "RPLY" */
#define APPLICATION_ID 0x75707172        /* "upqr" */
#define SCHEMA_VERSION 1

struct upqr_replay_db {
	unsigned int magic;
	sqlite3 *db;
	sqlite3_stmt *get;
	sqlite3_stmt *put;
	char err[UPQR__ERR_MAX];
};

unsigned int upqr_replay_busy_timeout_ms(void) { return UPQR_REPLAY_BUSY_TIMEOUT_MS; }

int upqr_replay_options_init(upqr_replay_options *opts, unsigned int version)
{
	if (!opts)
		return UPQR_EINVAL;
	if (version != UPQR_REPLAY_OPTIONS_VERSION)
		return UPQR_EVERSION;
	upqr_replay_options def = UPQR_REPLAY_OPTIONS_INIT;
	*opts = def;
	return UPQR_OK;
}

/* SQLite result -> status, with the reason on the handle. */
static int db_error(upqr_replay_db *r, int src, const char *what)
{
	int status = src == SQLITE_NOTADB || src == SQLITE_CORRUPT ? UPQR_EINVALID
		: src == SQLITE_NOMEM ? UPQR_ENOMEM : UPQR_EIO;
	return upqr__set_error(r->err, status, "%s: %s%s", what, sqlite3_errstr(src),
		status == UPQR_EINVALID ? " (not a replay database; left untouched)" : "");
}

static int exec(upqr_replay_db *r, const char *sql, const char *what)
{
	int src = sqlite3_exec(r->db, sql, NULL, NULL, NULL);
	return src == SQLITE_OK ? UPQR_OK : db_error(r, src, what);
}

/* One integer from a PRAGMA or query. */
static int query_int(upqr_replay_db *r, const char *sql, int *out)
{
	sqlite3_stmt *st = NULL;
	int src = sqlite3_prepare_v2(r->db, sql, -1, &st, NULL);
	if (src == SQLITE_OK) {
		src = sqlite3_step(st);
		if (src == SQLITE_ROW) {
			*out = sqlite3_column_int(st, 0);
			src = SQLITE_OK;
		}
	}
	sqlite3_finalize(st);
	return src == SQLITE_OK ? UPQR_OK : db_error(r, src, "reading the database header");
}

/*
 * Ours, empty (then it becomes ours), or someone else's. Runs in an
 * IMMEDIATE transaction so that two processes creating the file at once
 * do not both initialise it.
 */
static int claim_schema(upqr_replay_db *r)
{
	int app = 0, ver = 0, objects = 0;
	/* Reads only: a foreign or corrupt file fails here, before anything is written. */
	int rc = query_int(r, "PRAGMA application_id", &app);
	if (!rc)
		rc = query_int(r, "SELECT count(*) FROM sqlite_master", &objects);
	if (rc)
		return rc;
	if (app != APPLICATION_ID && (app != 0 || objects != 0))
		return upqr__set_error(r->err, UPQR_EUNSUPPORTED,
			"another application's SQLite database (left untouched)");
	rc = exec(r, "PRAGMA journal_mode=WAL", "setting WAL mode");
	if (!rc)
		rc = exec(r, "PRAGMA synchronous=FULL", "setting synchronous=FULL");
	if (!rc)
		rc = exec(r, "BEGIN IMMEDIATE", "locking the database");
	if (rc)
		return rc;
	rc = query_int(r, "PRAGMA application_id", &app);
	if (!rc)
		rc = query_int(r, "PRAGMA user_version", &ver);
	if (!rc && app == 0)
		rc = exec(r, "CREATE TABLE IF NOT EXISTS cpm_atc (card BLOB PRIMARY KEY NOT NULL, "
			"last_atc INTEGER NOT NULL, updated INTEGER NOT NULL) WITHOUT ROWID;"
			"PRAGMA application_id=1970303346; PRAGMA user_version=1;", "creating the schema");
	else if (!rc && ver != SCHEMA_VERSION)
		rc = upqr__set_error(r->err, UPQR_EUNSUPPORTED,
			"replay database schema %d, this upqr knows %d (left untouched)", ver, SCHEMA_VERSION);
	if (rc) {
		sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	return exec(r, "COMMIT", "creating the schema");
}

static int prepare(upqr_replay_db *r)
{
	int src = sqlite3_prepare_v2(r->db, "SELECT last_atc FROM cpm_atc WHERE card = ?1", -1, &r->get, NULL);
	if (src == SQLITE_OK)
		src = sqlite3_prepare_v2(r->db, "INSERT INTO cpm_atc (card, last_atc, updated) VALUES (?1, ?2, ?3) "
			"ON CONFLICT (card) DO UPDATE SET last_atc = excluded.last_atc, updated = excluded.updated",
			-1, &r->put, NULL);
	return src == SQLITE_OK ? UPQR_OK : db_error(r, src, "preparing statements");
}

static int replay_open(upqr_replay_db *r, const upqr_replay_options *o)
{
	int src = sqlite3_open_v2(o->path, &r->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
		SQLITE_OPEN_NOMUTEX, NULL);
	if (src != SQLITE_OK)
		return upqr__set_error(r->err, UPQR_EIO, "cannot open %s: %s", o->path, sqlite3_errstr(src));
	sqlite3_busy_timeout(r->db, (int)(o->busy_timeout_ms ? o->busy_timeout_ms : UPQR_REPLAY_BUSY_TIMEOUT_MS));
	sqlite3_extended_result_codes(r->db, 0);
	int rc = claim_schema(r);
	return rc ? rc : prepare(r);
}

int upqr_replay_db_open(upqr_replay_db **out, const upqr_replay_options *opts, char *errbuf, size_t errcap)
{
	if (errbuf && errcap)
		errbuf[0] = 0;
	if (!out)
		return UPQR_EINVAL;
	*out = NULL;
	if (!opts || !opts->path || !opts->path[0])
		return UPQR_EINVAL;
	if (opts->version != UPQR_REPLAY_OPTIONS_VERSION)
		return UPQR_EVERSION;
	upqr_replay_db *r = upqr__calloc(1, sizeof *r);
	if (!r)
		return UPQR_ENOMEM;
	r->magic = REPLAY_MAGIC;
	int rc = replay_open(r, opts);
	if (rc) {
		if (errbuf && errcap)
			snprintf(errbuf, errcap, "%s", r->err);
		upqr_replay_db_free(r);
		return rc;
	}
	*out = r;
	return UPQR_OK;
}

void upqr_replay_db_free(upqr_replay_db *r)
{
	if (!r || r->magic != REPLAY_MAGIC)
		return;
	sqlite3_finalize(r->get);
	sqlite3_finalize(r->put);
	sqlite3_close_v2(r->db);
	r->magic = 0;
	upqr__free(r);
}

const char *upqr_replay_db_last_error(const upqr_replay_db *r)
{
	return r && r->magic == REPLAY_MAGIC ? r->err : "";
}

/* Inside the transaction: the last ATC for key (-1 when the card is new). */
static int last_atc(upqr_replay_db *r, const uint8_t key[16], int *last)
{
	sqlite3_reset(r->get);
	sqlite3_bind_blob(r->get, 1, key, 16, SQLITE_STATIC);
	int src = sqlite3_step(r->get);
	*last = src == SQLITE_ROW ? sqlite3_column_int(r->get, 0) : -1;
	sqlite3_reset(r->get);
	return src == SQLITE_ROW || src == SQLITE_DONE ? UPQR_OK : db_error(r, src, "reading the card's ATC");
}

static int store_atc(upqr_replay_db *r, const uint8_t key[16], uint16_t atc)
{
	sqlite3_reset(r->put);
	sqlite3_bind_blob(r->put, 1, key, 16, SQLITE_STATIC);
	sqlite3_bind_int(r->put, 2, atc);
	sqlite3_bind_int64(r->put, 3, (sqlite3_int64)time(NULL));
	int src = sqlite3_step(r->put);
	sqlite3_reset(r->put);
	return src == SQLITE_DONE ? UPQR_OK : db_error(r, src, "recording the ATC");
}

int upqr_replay_db_check_and_record_key(upqr_replay_db *r, const uint8_t key[16], uint16_t atc)
{
	if (!r || r->magic != REPLAY_MAGIC || !key)
		return UPQR_EINVAL;
	r->err[0] = 0;
	/* IMMEDIATE: the read and the write are one step for every process sharing the file. */
	int rc = exec(r, "BEGIN IMMEDIATE", "locking the database"), last = -1;
	if (rc)
		return rc;
	rc = last_atc(r, key, &last);
	if (!rc && last >= (int)atc)
		rc = upqr__set_error(r->err, UPQR_EREPLAY, "ATC %u is not greater than %d, the last one "
			"accepted for this card", atc, last);
	if (!rc)
		rc = store_atc(r, key, atc);
	if (!rc)
		return exec(r, "COMMIT", "committing the ATC");
	sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

int upqr_replay_db_check_and_record(upqr_replay_db *r, const upqr_cpm *cpm)
{
	if (!r || r->magic != REPLAY_MAGIC || !cpm)
		return UPQR_EINVAL;
	uint8_t key[16];
	uint16_t atc;
	int rc = upqr_cpm_replay_key(key, &atc, cpm);
	if (rc)
		return upqr__set_error(r->err, rc, "the code has no PAN or ATC");
	return upqr_replay_db_check_and_record_key(r, key, atc);
}
