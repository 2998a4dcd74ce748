/*
 * bench_journal_pg.c - the PostgreSQL journal: orders recorded and moved to
 * a final state per second (upqr_journal_begin + upqr_journal_transition to
 * SUCCESS, two durable transactions), next to bare libpq doing the same two
 * writes (a prepared INSERT ... RETURNING id and a prepared UPDATE, each its
 * own transaction) on the same server, with the same synchronous_commit, in
 * the same run. Target: pg_journal_writes_per_s >= 80 % of
 * pg_raw_writes_per_s.
 *
 * The server: $UPQR_PG_URL (bench/run.sh starts a throwaway one with
 * tests/support/pg_fixture.sh and stops it afterwards). Without it the bench
 * says it is skipped and reports no figures. Both sides run in a fresh
 * database of their own, dropped at the end; as in bench_journal, they
 * alternate batches of 20 orders so both see the same disk.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "bench.h"
#include "bench_journal_side.h"
#include "upqr.h"

#define SECONDS 6.0   /* both sides together */
#define BATCH 20

static char admin[512], url[600], dbname[64];

static int sql(PGconn *c, const char *text)
{
	PGresult *r = PQexec(c, text);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
	if (!ok)
		fprintf(stderr, "bench_journal_pg: %s: %s", text, PQerrorMessage(c));
	PQclear(r);
	return ok ? 0 : -1;
}

/* CREATE or DROP of the bench's database, through the server's admin database. */
static int admin_sql(bool create)
{
	char text[200];
	snprintf(text, sizeof(text), create ? "CREATE DATABASE %s" : "DROP DATABASE IF EXISTS %s"
			" WITH (FORCE)", dbname);
	PGconn *c = PQconnectdb(admin);
	int rc = PQstatus(c) == CONNECTION_OK ? sql(c, text) : -1;
	PQfinish(c);
	return rc;
}

/* The same two writes, bare: no checks, no triggers, no locks, no read-back. */
typedef struct rside {
	PGconn *c;
	long n;
} rside;

static int raw_open(rside *s)
{
	s->c = PQconnectdb(url);
	if (PQstatus(s->c) != CONNECTION_OK) {
		fprintf(stderr, "bench_journal_pg: raw: %s", PQerrorMessage(s->c));
		return -1;
	}
	if (sql(s->c, "CREATE TABLE raw_ops (id bigserial PRIMARY KEY, mer_id text, order_id text,"
			" txn_time text, amount bigint, state text, resp_code text, query_id text);"
			" CREATE UNIQUE INDEX raw_ops_key ON raw_ops (mer_id, order_id)") != 0)
		return -1;
	PGresult *a = PQprepare(s->c, "ins", "INSERT INTO raw_ops (mer_id, order_id, txn_time,"
			" amount, state) VALUES ('777290058110048', $1, '20261207113000', 1000, 'PENDING')"
			" RETURNING id", 0, NULL);
	PGresult *b = PQprepare(s->c, "upd", "UPDATE raw_ops SET state = 'SUCCESS',"
			" resp_code = '00', query_id = $2 WHERE id = $1", 0, NULL);
	int ok = PQresultStatus(a) == PGRES_COMMAND_OK && PQresultStatus(b) == PGRES_COMMAND_OK;
	PQclear(a);
	PQclear(b);
	return ok ? 0 : -1;
}

static int raw_batch(rside *s, int count)
{
	for (int i = 0; i < count; i++, s->n++) {
		char order_id[40], query_id[40], id[24];
		snprintf(order_id, sizeof(order_id), "B%014ld", s->n);
		snprintf(query_id, sizeof(query_id), "7822%017ld", s->n);
		const char *v[2] = { order_id, NULL };
		PGresult *r = PQexecPrepared(s->c, "ins", 1, v, NULL, NULL, 0);
		int ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
		if (ok)
			snprintf(id, sizeof(id), "%s", PQgetvalue(r, 0, 0));
		PQclear(r);
		if (ok) {
			v[0] = id;
			v[1] = query_id;
			r = PQexecPrepared(s->c, "upd", 2, v, NULL, NULL, 0);
			ok = PQresultStatus(r) == PGRES_COMMAND_OK;
			PQclear(r);
		}
		if (!ok) {
			fprintf(stderr, "bench_journal_pg: raw: %s", PQerrorMessage(s->c));
			return -1;
		}
	}
	return 0;
}

/* The server's synchronous_commit, which both sides run with. */
static void show_sync(PGconn *c, char *out, size_t cap)
{
	PGresult *r = PQexec(c, "SHOW synchronous_commit");
	snprintf(out, cap, "%s", PQresultStatus(r) == PGRES_TUPLES_OK ? PQgetvalue(r, 0, 0) : "?");
	PQclear(r);
}

int main(void)
{
	const char *server = getenv("UPQR_PG_URL");
	if (!server || !*server) {
		printf("bench_journal_pg: skipped: no PostgreSQL server (UPQR_PG_URL unset)\n");
		return 0;
	}
	snprintf(admin, sizeof(admin), "%s", server);
	snprintf(dbname, sizeof(dbname), "upqr_bench_%ld", (long)getpid());
	const char *slash = strstr(admin, ":///");
	const char *query = strchr(admin, '?');
	if (!slash || !query) {
		fprintf(stderr, "bench_journal_pg: UPQR_PG_URL must look like postgresql:///db?host=...\n");
		return 1;
	}
	snprintf(url, sizeof(url), "postgresql:///%s%s", dbname, query);
	if (admin_sql(true) != 0)
		return 1;
	jside js;
	rside rs;
	memset(&js, 0, sizeof(js));
	memset(&rs, 0, sizeof(rs));
	int rc = journal_open(&js, url) == 0 && raw_open(&rs) == 0 ? 0 : -1;
	char sync[32] = "?";
	if (rc == 0)
		show_sync(rs.c, sync, sizeof(sync));
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
	PQfinish(rs.c);
	admin_sql(false);
	if (rc != 0)
		return 1;
	double rate_j = (double)js.n / (tj / 1e9), rate_r = (double)rs.n / (tr / 1e9);
	printf("%ld orders each, one local server over a Unix socket, synchronous_commit=%s\n",
			js.n, sync);
	bench_result("pg_journal_writes_per_s", rate_j, "orders/s");
	bench_result("pg_raw_writes_per_s", rate_r, "orders/s");
	bench_result("pg_journal_vs_raw_pct", 100.0 * rate_j / rate_r, "%");
	return 0;
}
