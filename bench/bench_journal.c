/*
 * bench_journal.c - orders recorded and moved to a final state per second
 * (upqr_journal_begin + upqr_journal_transition to SUCCESS, two durable
 * transactions), next to bare SQLite doing the same two writes (an INSERT
 * and an UPDATE, each its own transaction, prepared statements, WAL with
 * synchronous=FULL: the journal's durability settings) on the same disk in
 * the same run. Target: journal_writes_per_s >= 80 % of
 * sqlite_raw_writes_per_s.
 *
 * Both are bound by fsync, which is noisy on a shared machine, so the two
 * run in alternating batches of 20 orders and each rate is its orders over
 * the time spent in its own batches.
 * The files go to $UPQR_BENCH_DIR, else $TMPDIR, else /tmp: point it at the
 * disk the journal will live on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "bench.h"
#include "bench_journal_side.h"
#include "upqr.h"

#define SECONDS 6.0   /* both sides together */
#define BATCH 20

static char dir[512];

static void path_of(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", dir, name);
}

static void remove_db(const char *path)
{
	static const char *const suffixes[] = { "", "-wal", "-shm" };
	char p[600];
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", path, suffixes[i]);
		unlink(p);
	}
}

/* The same two writes, bare: no checks, no triggers, no read-back. */
typedef struct rside {
	sqlite3 *db;
	sqlite3_stmt *ins, *upd;
	long n;
} rside;

static int raw_open(rside *s, const char *path)
{
	if (sqlite3_open(path, &s->db) != SQLITE_OK)
		return -1;
	const char *setup = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
			"CREATE TABLE ops (id INTEGER PRIMARY KEY, mer_id TEXT, order_id TEXT,"
			" txn_time TEXT, amount INTEGER, state TEXT, resp_code TEXT, query_id TEXT);"
			"CREATE UNIQUE INDEX ops_key ON ops(mer_id, order_id)";
	if (sqlite3_exec(s->db, setup, NULL, NULL, NULL) != SQLITE_OK
			|| sqlite3_prepare_v2(s->db, "INSERT INTO ops (mer_id, order_id, txn_time, amount,"
			" state) VALUES ('777290058110048', ?1, '20261207113000', 1000, 'PENDING')", -1,
			&s->ins, NULL) != SQLITE_OK
			|| sqlite3_prepare_v2(s->db, "UPDATE ops SET state = 'SUCCESS', resp_code = '00',"
			" query_id = ?2 WHERE id = ?1", -1, &s->upd, NULL) != SQLITE_OK) {
		fprintf(stderr, "bench_journal: raw: %s\n", sqlite3_errmsg(s->db));
		return -1;
	}
	return 0;
}

static int raw_batch(rside *s, int count)
{
	for (int i = 0; i < count; i++, s->n++) {
		char order_id[40], query_id[40];
		snprintf(order_id, sizeof(order_id), "B%014ld", s->n);
		snprintf(query_id, sizeof(query_id), "7822%017ld", s->n);
		sqlite3_bind_text(s->ins, 1, order_id, -1, SQLITE_STATIC);
		int rc = sqlite3_step(s->ins);
		sqlite3_reset(s->ins);
		sqlite3_bind_int64(s->upd, 1, sqlite3_last_insert_rowid(s->db));
		sqlite3_bind_text(s->upd, 2, query_id, -1, SQLITE_STATIC);
		if (rc == SQLITE_DONE)
			rc = sqlite3_step(s->upd);
		sqlite3_reset(s->upd);
		if (rc != SQLITE_DONE) {
			fprintf(stderr, "bench_journal: raw: %s\n", sqlite3_errmsg(s->db));
			return -1;
		}
	}
	return 0;
}

static void raw_close(rside *s)
{
	sqlite3_finalize(s->ins);
	sqlite3_finalize(s->upd);
	sqlite3_close(s->db);
}

int main(void)
{
	const char *base = getenv("UPQR_BENCH_DIR");
	if (!base || !*base)
		base = getenv("TMPDIR");
	if (!base || !*base)
		base = "/tmp";
	snprintf(dir, sizeof(dir), "%s/upqr-bench-journal-XXXXXX", base);
	if (!mkdtemp(dir)) {
		perror("bench_journal: mkdtemp");
		return 1;
	}
	char jpath[600], rpath[600];
	path_of(jpath, sizeof(jpath), "journal.db");
	path_of(rpath, sizeof(rpath), "raw.db");
	jside js;
	rside rs;
	memset(&js, 0, sizeof(js));
	memset(&rs, 0, sizeof(rs));
	int rc = journal_open(&js, jpath) == 0 && raw_open(&rs, rpath) == 0 ? 0 : -1;
	/* Alternate small batches so both see the same disk weather. */
	double tj = 0, tr = 0;
	while (rc == 0 && tj + tr < SECONDS * 1e9) {
		double t0 = bench_now_ns();
		rc = raw_batch(&rs, BATCH);
		double t1 = bench_now_ns();
		if (rc == 0)
			rc = journal_batch(&js, BATCH);
		double t2 = bench_now_ns();
		tr += t1 - t0;
		tj += t2 - t1;
	}
	upqr_journal_free(js.j);
	raw_close(&rs);
	remove_db(jpath);
	remove_db(rpath);
	rmdir(dir);
	if (rc != 0)
		return 1;
	double rate_j = (double)js.n / (tj / 1e9), rate_r = (double)rs.n / (tr / 1e9);
	printf("%ld orders each, files in %s (fsync-bound: the disk decides the absolute figures)\n",
			js.n, base);
	bench_result("journal_writes_per_s", rate_j, "orders/s");
	bench_result("sqlite_raw_writes_per_s", rate_r, "orders/s");
	bench_result("journal_vs_raw_pct", 100.0 * rate_j / rate_r, "%");
	return 0;
}
