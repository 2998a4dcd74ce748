/*
 * test_journal_pg.c - the journal contract suite on the PostgreSQL backend,
 * plus what only PostgreSQL has: a database shared with other applications
 * (foreign and newer schemas are refused untouched), the schema's own
 * guards against hand-made SQL, connection loss in the middle of an
 * operation, and a fleet of processes sharing one journal with kill -9.
 *
 * The server: $UPQR_PG_URL (tests/run.sh starts one with
 * tests/support/pg_fixture.sh and exports it), else this program starts its
 * own with that script and stops it at exit. Without PostgreSQL server
 * binaries every test reports itself skipped.
 *
 * Each test gets a fresh database (CREATE DATABASE), dropped afterwards.
 */
#include <errno.h>
#include <poll.h>
#include <sys/types.h>

#include <libpq-fe.h>

#include "journal_contract.h"
#include "pgtest.h"

/* ---- the server and the fixture ---------------------------------------------------- */

static char skip_reason[256];

static PGconn *connect_url(const char *url)
{
	PGconn *c = PQconnectdb(url);
	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("connect %s: %s", url, PQerrorMessage(c));
	return c;
}

/* Runs SQL that must succeed. */
static void sql_ok(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	PQclear(r);
}

static int64_t sql_int(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	int64_t v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return v;
}

static int pg_make_location(char *loc, size_t cap)
{
	return pgtest_create_db(loc, cap);
}

static void pg_drop_location(const char *loc)
{
	pgtest_drop_db(loc);
}

static const jc_fixture pg_fixture = {
	"postgresql", pg_make_location, pg_drop_location,
};

/* ---- a shared database: strangers refused, nothing changed ---------------------------- */

/* Closes the test's handle and replaces its database by an empty one (no journal). */
static void empty_database(jc *t)
{
	upqr_journal_free(t->j);
	t->j = NULL;
	pg_drop_location(t->loc);
	assert_int_equal(pg_make_location(t->loc, sizeof(t->loc)), 0);
}

/* Opening t->loc fails with `want` and a message containing needle. */
static void assert_refused(jc *t, int want, const char *needle)
{
	int rc;
	char err[300];
	upqr_journal *j = jc_open_quiet(t, "owner-x", &rc, err, sizeof(err));
	assert_null(j);
	if (rc != want || !strstr(err, needle))
		fail_msg("want %s '%s', got %s: %s", upqr_status_name(want), needle,
				upqr_status_name(rc), err);
}

static void test_foreign_tables_refused(void **state)
{
	jc *t = *state;
	empty_database(t);
	PGconn *c = connect_url(t->loc);
	/* Another application's tables beside ours are fine; one that took our names is not. */
	sql_ok(c, "CREATE TABLE customers (id int PRIMARY KEY, name text)");
	upqr_journal *j = jc_open_owner(t, "owner-b");
	upqr_journal_free(j);
	pg_drop_location(t->loc);
	PQfinish(c);
	assert_int_equal(pg_make_location(t->loc, sizeof(t->loc)), 0);
	c = connect_url(t->loc);
	sql_ok(c, "CREATE TABLE upqr_ops (id int PRIMARY KEY, note text);"
			"INSERT INTO upqr_ops VALUES (1, 'not a journal')");
	assert_refused(t, UPQR_EFOREIGN, "not one");
	assert_int_equal(sql_int(c, "SELECT count(*) FROM upqr_ops"), 1);
	assert_int_equal(sql_int(c, "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'upqr_%'"), 1);
	PQfinish(c);
}

static void test_newer_schema_refused(void **state)
{
	jc *t = *state;
	jc_paid(t->j, "PAY0000001", 100);
	PGconn *c = connect_url(t->loc);
	sql_ok(c, "INSERT INTO upqr_migrations VALUES (99, 0, 'from the future')");
	assert_refused(t, UPQR_EUNSUPPORTED, "schema version 99");
	assert_int_equal(sql_int(c, "SELECT count(*) FROM upqr_ops"), 1);
	PQfinish(c);
}

static void test_missing_journal(void **state)
{
	jc *t = *state;
	empty_database(t);
	upqr_journal_options o;
	assert_int_equal(upqr_journal_options_init(&o, UPQR_JOURNAL_OPTIONS_VERSION), UPQR_OK);
	o.location = t->loc;
	o.create = 0;
	upqr_journal *j = NULL;
	char err[300];
	assert_int_equal(upqr_journal_open(&j, &o, err, sizeof(err)), UPQR_ENOTFOUND);
	assert_non_null(strstr(err, "no upqr journal"));
	PGconn *c = connect_url(t->loc);
	assert_int_equal(sql_int(c, "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'upqr_%'"), 0);
	PQfinish(c);
	/* A database that does not exist at all. */
	char url[600];
	pgtest_db_url(url, sizeof(url), "upqr_no_such_db");
	o.location = url;
	o.create = 1;
	assert_int_equal(upqr_journal_open(&j, &o, err, sizeof(err)), UPQR_ENOTFOUND);
	assert_non_null(strstr(err, "upqr_no_such_db"));
}

/* A location libpq cannot parse is a bad argument, not a network failure. */
static void test_malformed_location(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"postgresql:///upqr?host=/tmp/x=y",
		"postgresql:///upqr?nosuchoption=1",
		"postgres://[::1/upqr",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		upqr_journal_options o;
		assert_int_equal(upqr_journal_options_init(&o, UPQR_JOURNAL_OPTIONS_VERSION), UPQR_OK);
		o.location = bad[i];
		upqr_journal *j = NULL;
		char err[300];
		int rc = upqr_journal_open(&j, &o, err, sizeof(err));
		if (rc != UPQR_EINVAL)
			fail_msg("%s: %s: %s", bad[i], upqr_status_name(rc), err);
		assert_null(j);
	}
}

/* Child: opens the (new) journal and begins one order. */
static void opener(jc *t, int i, int fd)
{
	upqr_journal *j = jc_child_open(t, "opener", i);
	char id[16];
	snprintf(id, sizeof(id), "OPN%07d", i);
	if (jc_try(j, UPQR_JOURNAL_CONSUME_QRNO, id, 100, NULL) != UPQR_OK)
		_exit(8);
	jc_put(fd, 1);
	upqr_journal_free(j);
}

/* Several servers starting at once on an empty database create the schema once. */
static void test_concurrent_create(void **state)
{
	jc *t = *state;
	empty_database(t);
	int64_t ok[8];
	int who[8];
	assert_int_equal(jc_fork_all(t, 4, opener, ok, 8, who), 4);
	PGconn *c = connect_url(t->loc);
	assert_int_equal(sql_int(c, "SELECT count(*) FROM upqr_migrations"), upqr_journal_schema_version());
	assert_int_equal(sql_int(c, "SELECT count(*) FROM upqr_ops"), 4);
	PQfinish(c);
}

/* The password of a location never reaches a message, in either place libpq takes it. */
static void test_password_masked(void **state)
{
	(void)state;
	static const char *const locations[] = {
		"postgresql://upqr:Pw0rdSecret@/upqr?host=/nonexistent-upqr-dir",
		"postgres:///upqr?host=/nonexistent-upqr-dir&password=Pw0rdSecret&user=upqr",
		"postgresql://upqr:Pw0rdSecret@/upqr?password=Pw0rdSecret&host=/nonexistent-upqr-dir",
		/* One-character passwords: the mask is longer than what it hides. */
		"postgresql://u:P@/upqr?password=P&password=Q&host=/nonexistent-upqr-dir",
	};
	for (size_t i = 0; i < sizeof(locations) / sizeof(locations[0]); i++) {
		upqr_journal_options o;
		assert_int_equal(upqr_journal_options_init(&o, UPQR_JOURNAL_OPTIONS_VERSION), UPQR_OK);
		o.location = locations[i];
		upqr_journal *j = NULL;
		char err[400];
		assert_int_equal(upqr_journal_open(&j, &o, err, sizeof(err)), UPQR_ENETWORK);
		if (strstr(err, "Pw0rdSecret") || strstr(err, ":P@") || strstr(err, "=P&")
				|| strstr(err, "=Q&") || !strstr(err, "***") || !strstr(err, "nonexistent-upqr-dir"))
			fail_msg("location %zu: %s", i, err);
	}
}

/* ---- the schema guards itself ------------------------------------------------------- */

static void test_schema_and_guards(void **state)
{
	jc *t = *state;
	upqr_journal_record p = jc_paid(t->j, "PAY0000001", 1000);
	upqr_journal_record f = jc_begin(t->j, UPQR_JOURNAL_REFUND, "REF0000001", 800, "PAY0000001");
	jc_move(t->j, f.id, UPQR_JOURNAL_FAILED);
	jc_begin(t->j, UPQR_JOURNAL_REFUND, "REF0000002", 900, "PAY0000001");
	PGconn *c = connect_url(t->loc);
	assert_int_equal(sql_int(c, "SELECT count(*) FROM upqr_migrations WHERE version = 1"), 1);
	assert_int_equal(sql_int(c, "SELECT count(*) FROM upqr_migrations"), upqr_journal_schema_version());
	static const char *const refused[] = {
		/* 900 outstanding + 101 > 1000 */
		"INSERT INTO upqr_ops (kind, state, mer_id, order_id, txn_time, amount, currency,"
		" orig_id, created_ms, updated_ms) VALUES ('REFUND', 'PENDING', '" JC_MER "',"
		" 'REF0000003', '20261207113000', 101, '156', $1, 0, 0)",
		"UPDATE upqr_ops SET state = 'SUCCESS' WHERE id = $1",     /* FAILED stays */
		"UPDATE upqr_ops SET state = 'PENDING' WHERE id = $1",
		"UPDATE upqr_ops SET refunded_total = 1001 WHERE id = $1", /* more than paid */
		"UPDATE upqr_ops SET amount = 5 WHERE id = $1",
		"UPDATE upqr_ops SET order_id = 'OTHER00001' WHERE id = $1",
		"DELETE FROM upqr_ops WHERE id = $1",
		"UPDATE upqr_ops SET state = 'FAILED' WHERE id = $1",      /* SUCCESS -> FAILED */
	};
	const int64_t ids[] = { p.id, f.id, f.id, p.id, p.id, p.id, f.id, p.id };
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		char id[24];
		snprintf(id, sizeof(id), "%lld", (long long)ids[i]);
		const char *v[1] = { id };
		PGresult *r = PQexecParams(c, refused[i], 1, NULL, v, NULL, NULL, 0);
		if (PQresultStatus(r) == PGRES_COMMAND_OK)
			fail_msg("the schema accepted: %s (id %s)", refused[i], id);
		PQclear(r);
	}
	PGresult *r = PQexec(c, "TRUNCATE upqr_notifications");
	assert_int_not_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);
	PQfinish(c);
	upqr_journal_record g = jc_get(t->j, p.id);
	assert_memory_equal(&g, &p, sizeof(g));
	assert_int_equal(jc_get(t->j, f.id).state, UPQR_JOURNAL_FAILED);
}

/* A row lock held past the busy timeout is UPQR_EBUSY; nothing is written. */
static void test_lock_timeout(void **state)
{
	jc *t = *state;
	upqr_journal_record p = jc_begin(t->j, UPQR_JOURNAL_CONSUME_QRNO, "PAY0000001", 100, NULL);
	upqr_journal_options o;
	assert_int_equal(upqr_journal_options_init(&o, UPQR_JOURNAL_OPTIONS_VERSION), UPQR_OK);
	o.location = t->loc;
	o.owner = "owner-a";
	o.busy_timeout_ms = 100;
	o.clock_ms = jc_clock;
	o.clock_user = t;
	upqr_journal *j = NULL;
	assert_int_equal(upqr_journal_open(&j, &o, NULL, 0), UPQR_OK);
	PGconn *c = connect_url(t->loc);
	char sql[128];
	snprintf(sql, sizeof(sql), "BEGIN; SELECT 1 FROM upqr_ops WHERE id = %lld FOR UPDATE",
			(long long)p.id);
	sql_ok(c, sql);
	assert_int_equal(upqr_journal_transition(NULL, j, p.id, UPQR_JOURNAL_UNKNOWN, NULL), UPQR_EBUSY);
	assert_non_null(strstr(upqr_journal_last_error(j), "locked"));
	sql_ok(c, "ROLLBACK");
	assert_int_equal(jc_get(j, p.id).state, UPQR_JOURNAL_PENDING);
	assert_int_equal(upqr_journal_transition(NULL, j, p.id, UPQR_JOURNAL_UNKNOWN, NULL), UPQR_OK);
	PQfinish(c);
	upqr_journal_free(j);
}

/* ---- connection loss ----------------------------------------------------------------- */

/* The journal's own backend, found by its application_name. */
static int64_t backend_pid(PGconn *c, const char *app, bool waiting)
{
	char sql[256];
	snprintf(sql, sizeof(sql), "SELECT COALESCE(max(pid), 0) FROM pg_stat_activity"
			" WHERE application_name = '%s'%s", app,
			waiting ? " AND wait_event_type = 'Lock'" : "");
	return sql_int(c, sql);
}

static void terminate(PGconn *c, int64_t pid)
{
	char sql[96];
	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%lld)", (long long)pid);
	sql_ok(c, sql);
}

/* A handle whose connection carries application_name `app`, so it can be found and cut. */
static upqr_journal *open_tagged(jc *t, const char *owner, const char *app)
{
	char base[sizeof(t->loc)];
	snprintf(base, sizeof(base), "%s", t->loc);
	if (snprintf(t->loc, sizeof(t->loc), "%.400s&application_name=%.40s", base, app)
			>= (int)sizeof(t->loc))
		return NULL;
	int rc;
	upqr_journal *j = jc_open_quiet(t, owner, &rc, NULL, 0);
	snprintf(t->loc, sizeof(t->loc), "%s", base);
	return j;
}

/* Child of test_connection_loss: begins an order, reports its id, waits, then moves it. */
static void cut_child(jc *t, int report, int go)
{
	upqr_journal *v = open_tagged(t, "victim", "upqr_victim");
	upqr_journal_record r;
	upqr_journal_order o;
	jc_order(&o, UPQR_JOURNAL_CONSUME_QRNO, "PAY0000001", 1000, NULL);
	if (!v || upqr_journal_begin(&r, v, &o) != UPQR_OK)
		_exit(2);
	int64_t id = r.id;
	char c;
	if (write(report, &id, sizeof(id)) != (ssize_t)sizeof(id) || read(go, &c, 1) != 1)
		_exit(3);
	upqr_journal_update u;
	memset(&u, 0, sizeof(u));
	strcpy(u.resp_code, "00");
	int rc = upqr_journal_transition(NULL, v, r.id, UPQR_JOURNAL_SUCCESS, &u);
	const char *e = upqr_journal_last_error(v);
	int64_t out[2] = { rc, strstr(e, "lost the connection") != NULL };
	if (write(report, out, sizeof(out)) != (ssize_t)sizeof(out))
		_exit(4);
	upqr_journal_free(v);
	_exit(0);
}

static int64_t wait_for_backend(PGconn *c, const char *app, bool waiting)
{
	int64_t pid = 0;
	for (int i = 0; i < 1000 && !pid; i++) {
		pid = backend_pid(c, app, waiting);
		if (!pid) {
			struct timespec ms = { 0, 10000000 };
			nanosleep(&ms, NULL);
		}
	}
	assert_true(pid > 0);
	return pid;
}

/* A transition caught inside its transaction: cut_child's, waiting on a row lock held by c. */
typedef struct caught {
	pid_t pid;
	int rep;          /* the child's report pipe */
	int64_t id;       /* its order */
	PGconn *c, *k;    /* the lock holder, and a connection to act from */
} caught;

static void catch_transition(jc *t, caught *x)
{
	int rep[2], go[2];
	assert_int_equal(pipe(rep), 0);
	assert_int_equal(pipe(go), 0);
	x->pid = fork();
	assert_true(x->pid >= 0);
	if (x->pid == 0) {
		close(rep[0]);
		close(go[1]);
		cut_child(t, rep[1], go[0]);
	}
	close(rep[1]);
	close(go[0]);
	x->rep = rep[0];
	/* Connected after the fork: a child holds nothing of the parent's (valgrind checks children too). */
	x->c = connect_url(t->loc);
	x->k = connect_url(t->loc);
	assert_int_equal(read(x->rep, &x->id, sizeof(x->id)), (ssize_t)sizeof(x->id));
	char sql[128];
	snprintf(sql, sizeof(sql), "BEGIN; SELECT 1 FROM upqr_ops WHERE id = %lld FOR UPDATE",
			(long long)x->id);
	sql_ok(x->c, sql);
	assert_int_equal(write(go[1], "g", 1), 1);
	close(go[1]);
	wait_for_backend(x->k, "upqr_victim", true);
}

/* The caught transition's status, and whether its message said the connection was lost. */
static void caught_result(caught *x, int64_t got[2])
{
	assert_int_equal(read(x->rep, got, 2 * sizeof(got[0])), (ssize_t)(2 * sizeof(got[0])));
	close(x->rep);
	int status = 0;
	assert_int_equal(waitpid(x->pid, &status, 0), x->pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_connection_loss(void **state)
{
	jc *t = *state;
	/* 1. Mid-operation: the transition is inside its transaction, waiting on a row
	 * lock, when its connection is cut. */
	caught x;
	catch_transition(t, &x);
	PGconn *c = x.c, *k = x.k;
	int64_t id = x.id;
	upqr_journal_record r = jc_get(t->j, id);
	terminate(k, wait_for_backend(k, "upqr_victim", true));
	int64_t got[2] = { 0, 0 };
	caught_result(&x, got);
	sql_ok(c, "ROLLBACK");
	assert_int_equal(got[0], UPQR_ENETWORK);
	assert_int_equal(got[1], 1);
	/* Nothing half-done: the order is PENDING, as its begin left it, claim and all. */
	upqr_journal_record g = jc_get(t->j, id);
	assert_memory_equal(&g, &r, sizeof(g));
	assert_int_equal(g.state, UPQR_JOURNAL_PENDING);
	assert_string_equal(g.owner, "victim");

	/* 2. Cut between calls: the next call fails clearly, the one after reconnects. */
	upqr_journal *v = open_tagged(t, "second", "upqr_second");
	assert_non_null(v);
	assert_int_equal(upqr_journal_get(&g, v, id), UPQR_OK);
	terminate(k, wait_for_backend(k, "upqr_second", false));
	assert_int_equal(upqr_journal_get(&g, v, id), UPQR_ENETWORK);
	assert_non_null(strstr(upqr_journal_last_error(v), "lost the connection"));
	assert_int_equal(upqr_journal_get(&g, v, id), UPQR_OK);
	assert_int_equal(g.state, UPQR_JOURNAL_PENDING);
	upqr_journal_free(v);

	/* 3. The victim is gone for good: recovery takes the order once its lease lapses. */
	upqr_journal_record rec[4];
	size_t n = 9;
	assert_int_equal(upqr_journal_claim_unfinished(rec, 4, &n, t->j), UPQR_OK);
	assert_int_equal(n, 0);
	t->now += JC_LEASE + 1;
	assert_int_equal(upqr_journal_claim_unfinished(rec, 4, &n, t->j), UPQR_OK);
	assert_int_equal(n, 1);
	assert_int_equal(rec[0].id, id);
	assert_int_equal(jc_move(t->j, id, UPQR_JOURNAL_SUCCESS).state, UPQR_JOURNAL_SUCCESS);
	PQfinish(k);
	PQfinish(c);
}

/* ---- the server crashes mid-operation and comes back ------------------------------------ */

static char crash_server[512];  /* a private server this test may crash; stopped in teardown */
static char crash_shared[512];  /* the test's location on the shared server, put back in teardown */

static int fixture(const char *verb, const char *url)
{
	char cmd[700];
	snprintf(cmd, sizeof(cmd), "sh tests/support/pg_fixture.sh %s '%s' >/dev/null", verb, url);
	return system(cmd);
}

static int crash_teardown(void **state)
{
	if (crash_server[0]) {
		fixture("stop", crash_server);
		crash_server[0] = '\0';
		jc *t = *state;
		snprintf(t->loc, sizeof(t->loc), "%s", crash_shared);
	}
	return jc_teardown(state);
}

static void test_server_crash(void **state)
{
	jc *t = *state;
	/* A server of its own: the shared one must not go down under the other tests. */
	FILE *p = popen("sh tests/support/pg_fixture.sh start 2>/dev/null", "r");
	assert_non_null(p);
	if (!fgets(crash_server, sizeof(crash_server), p))
		crash_server[0] = '\0';
	int status = pclose(p);
	crash_server[strcspn(crash_server, "\n")] = '\0';
	if (status != 0 || !crash_server[0]) {
		crash_server[0] = '\0';
		skip();  /* UPQR_PG_URL names a server, but no server binaries here to start another */
	}
	snprintf(crash_shared, sizeof(crash_shared), "%s", t->loc);
	snprintf(t->loc, sizeof(t->loc), "%s", crash_server);
	upqr_journal *before = jc_open_owner(t, "before");  /* connected before the crash */
	caught x;
	catch_transition(t, &x);
	int64_t id = x.id;
	/* The transition waits inside its transaction: the server crashes. */
	assert_int_equal(fixture("halt", crash_server), 0);
	int64_t got[2] = { 0, 0 };
	caught_result(&x, got);
	assert_int_equal(got[0], UPQR_ENETWORK);
	assert_int_equal(got[1], 1);
	PQfinish(x.c);
	PQfinish(x.k);
	/* While it is down: a clear error, nothing else. */
	upqr_journal_record r;
	assert_int_equal(upqr_journal_get(&r, before, id), UPQR_ENETWORK);
	assert_int_equal(upqr_journal_get(&r, before, id), UPQR_ENETWORK);
	if (!strstr(upqr_journal_last_error(before), "reconnect"))
		fail_msg("%s", upqr_journal_last_error(before));
	/* It comes back (crash recovery): the order is PENDING, the old handle reconnects. */
	assert_int_equal(fixture("resume", crash_server), 0);
	assert_int_equal(upqr_journal_get(&r, before, id), UPQR_OK);
	assert_int_equal(r.state, UPQR_JOURNAL_PENDING);
	assert_string_equal(r.owner, "victim");
	/* Recovery completes it once the dead process's lease lapses. */
	t->now += JC_LEASE + 1;
	upqr_journal_record rec[4];
	size_t n = 0;
	assert_int_equal(upqr_journal_claim_unfinished(rec, 4, &n, before), UPQR_OK);
	assert_int_equal(n, 1);
	assert_int_equal(jc_move(before, id, UPQR_JOURNAL_SUCCESS).state, UPQR_JOURNAL_SUCCESS);
	upqr_journal_free(before);
	snprintf(t->loc, sizeof(t->loc), "%s", crash_shared);
	fixture("stop", crash_server);
	crash_server[0] = '\0';
}

/* ---- a fleet: N processes share one journal, some die by kill -9 --------------------- */

/*
 * The gateway is a model in the same database (tables gw_*, beside the
 * journal's, as another application's would be): it charges every consume
 * request it receives (gw_orders.pays counts them: 2 would be a double
 * charge), declines some, records refunds, and queues a notification for
 * each paid order. Faults: a request lost before the gateway sees it, a reply
 * lost after it acted, a decline. Workers journal each order before they
 * "send" it, as the client does; the parent kills random workers at random
 * moments; then two recovering processes settle everything by query, and
 * every notification is delivered again to both.
 */
enum { F_BEGUN = 1, F_ACTED = 2, F_NOTE_NEW = 3 };
#define F_PUT(fd, tag, id) jc_put((fd), (int64_t)(tag) << 56 | (id))

static void gw_sql(PGconn *g, const char *sql, const char *a, int64_t n)
{
	char num[24];
	snprintf(num, sizeof(num), "%lld", (long long)n);
	const char *v[2] = { a, num };
	PGresult *r = PQexecParams(g, sql, 2, NULL, v, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		_exit(20);
	PQclear(r);
}

/* The gateway's answer to a query: 1 paid, 0 declined or never received. */
static int gw_paid(PGconn *g, const char *table, const char *id)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT 1 FROM %s WHERE id = $1 AND ok", table);
	const char *v[1] = { id };
	PGresult *r = PQexecParams(g, sql, 1, NULL, v, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		_exit(21);
	int paid = PQntuples(r) > 0;
	PQclear(r);
	return paid;
}

static void settle(upqr_journal *j, int64_t id, upqr_journal_state to, const char *order_id)
{
	upqr_journal_update u;
	memset(&u, 0, sizeof(u));
	strcpy(u.resp_code, to == UPQR_JOURNAL_SUCCESS ? "00" : to == UPQR_JOURNAL_FAILED ? "34" : "03");
	if (to == UPQR_JOURNAL_SUCCESS)
		snprintf(u.query_id, sizeof(u.query_id), "Q%s", order_id);
	upqr_journal_record r;
	if (upqr_journal_transition(&r, j, id, to, &u) != UPQR_OK)
		_exit(22);
}

/* Delivers `count` queued notifications (all of them when count < 0), in random order. */
static void deliver(upqr_journal *j, PGconn *g, int count, int fd)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT id FROM gw_orders WHERE ok ORDER BY random()%s",
			count < 0 ? "" : " LIMIT 2");
	PGresult *r = PQexec(g, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		_exit(23);
	for (int i = 0; i < PQntuples(r); i++) {
		upqr_journal_notification n;
		memset(&n, 0, sizeof(n));
		snprintf(n.query_id, sizeof(n.query_id), "Q%s", PQgetvalue(r, i, 0));
		strcpy(n.mer_id, JC_MER);
		snprintf(n.order_id, sizeof(n.order_id), "%s", PQgetvalue(r, i, 0));
		n.outcome = UPQR_JOURNAL_SUCCESS;
		strcpy(n.resp_code, "00");
		strcpy(n.orig_resp_code, "00");
		upqr_journal_record rec;
		int is_new = 0;
		if (upqr_journal_book_notification(&is_new, &rec, j, &n) != UPQR_OK)
			_exit(24);
		if (is_new)
			F_PUT(fd, F_NOTE_NEW, rec.id);
	}
	PQclear(r);
}

static int fleet_orders(void)
{
	const char *soak = getenv("UPQR_SOAK");
	return soak && *soak == '1' ? 250 : 25;
}

static void fleet_worker(jc *t, int i, int fd)
{
	upqr_journal *j = jc_child_open(t, "worker", i);
	PGconn *g = PQconnectdb(t->loc);
	if (PQstatus(g) != CONNECTION_OK)
		_exit(25);
	uint64_t seed = tu_seed() ^ (uint64_t)(i + 1) * 0x9e3779b97f4a7c15ull;
	for (int k = 0; k < fleet_orders(); k++) {
		char order_id[32], refund_id[32];
		snprintf(order_id, sizeof(order_id), "F%d%07d", i, k);
		snprintf(refund_id, sizeof(refund_id), "R%d%07d", i, k);
		int64_t amount = 100 + (int64_t)(tu_rand(&seed) % 900);
		upqr_journal_order o;
		upqr_journal_record r;
		jc_order(&o, UPQR_JOURNAL_CONSUME_QRNO, order_id, amount, NULL);
		if (upqr_journal_begin(&r, j, &o) != UPQR_OK)
			_exit(26);
		F_PUT(fd, F_BEGUN, r.id);
		/* The request goes out; the gateway may never see it, or its reply may be lost. */
		int fault = (int)(tu_rand(&seed) % 10);
		if (fault != 0)
			gw_sql(g, "INSERT INTO gw_orders (id, amount, ok, pays) VALUES ($1, $2, "
					"random() > 0.15, 1) ON CONFLICT (id) DO UPDATE SET pays = gw_orders.pays + 1",
					order_id, amount);
		if (fault <= 1) {
			settle(j, r.id, UPQR_JOURNAL_UNKNOWN, order_id);
			continue;  /* left to recovery */
		}
		bool paid = gw_paid(g, "gw_orders", order_id);
		settle(j, r.id, paid ? UPQR_JOURNAL_SUCCESS : UPQR_JOURNAL_FAILED, order_id);
		if (paid && tu_rand(&seed) % 3 == 0) {
			/* Refund 60 %; a second 60 % must be refused by the journal before it is sent. */
			int64_t part = amount * 6 / 10;
			jc_order(&o, UPQR_JOURNAL_REFUND, refund_id, part, order_id);
			if (upqr_journal_begin(&r, j, &o) != UPQR_OK)
				_exit(27);
			F_PUT(fd, F_BEGUN, r.id);
			gw_sql(g, "INSERT INTO gw_refunds (id, orig, amount, ok) VALUES ($1,"
					" 'F' || substr($1, 2), $2, true)", refund_id, part);
			settle(j, r.id, tu_rand(&seed) % 4 == 0 ? UPQR_JOURNAL_UNKNOWN : UPQR_JOURNAL_SUCCESS,
					refund_id);
			snprintf(refund_id, sizeof(refund_id), "S%d%07d", i, k);
			jc_order(&o, UPQR_JOURNAL_REFUND, refund_id, part, order_id);
			if (upqr_journal_begin(&r, j, &o) != UPQR_EOVERREFUND)
				_exit(28);
		}
		deliver(j, g, 2, fd);
	}
	PQfinish(g);
	upqr_journal_free(j);
}

static void fleet_recoverer(jc *t, int i, int fd)
{
	upqr_journal *j = jc_child_open(t, "recoverer", i);
	PGconn *g = PQconnectdb(t->loc);
	if (PQstatus(g) != CONNECTION_OK)
		_exit(25);
	upqr_journal_record got[5];
	size_t n;
	do {
		if (upqr_journal_claim_unfinished(got, 5, &n, j) != UPQR_OK)
			_exit(29);
		for (size_t k = 0; k < n; k++) {
			/* The query: a request the gateway never received is answered "not found". */
			const char *table = got[k].kind == UPQR_JOURNAL_REFUND ? "gw_refunds" : "gw_orders";
			bool paid = gw_paid(g, table, got[k].order_id);
			settle(j, got[k].id, paid ? UPQR_JOURNAL_SUCCESS : UPQR_JOURNAL_FAILED,
					got[k].order_id);
			F_PUT(fd, F_ACTED, got[k].id);
		}
	} while (n > 0);
	deliver(j, g, -1, fd);
	PQfinish(g);
	upqr_journal_free(j);
}

/* Runs the workers, killing up to two of them at random moments; returns the reports. */
static size_t fleet_run(jc *t, int64_t *out, size_t cap)
{
	enum { W = 4 };
	int fds[W][2];
	pid_t pids[W];
	uint64_t seed = tu_seed();
	for (int i = 0; i < W; i++) {
		assert_int_equal(pipe(fds[i]), 0);
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			close(fds[i][0]);
			fleet_worker(t, i, fds[i][1]);
			_exit(0);
		}
		close(fds[i][1]);
	}
	/* Kill two random workers after a random number of their operations. */
	int victims[2] = { (int)(tu_rand(&seed) % W), 0 };
	victims[1] = (victims[0] + 1 + (int)(tu_rand(&seed) % (W - 1))) % W;
	int64_t stop_after[W], begun[W];
	struct pollfd pfd[W];
	for (int i = 0; i < W; i++) {
		bool victim = i == victims[0] || i == victims[1];
		stop_after[i] = victim ? 1 + (int64_t)(tu_rand(&seed) % (uint64_t)fleet_orders()) : -1;
		begun[i] = 0;
		pfd[i].fd = fds[i][0];
		pfd[i].events = POLLIN;
	}
	size_t n = 0;
	for (int open_fds = W; open_fds > 0;) {
		assert_true(poll(pfd, W, -1) > 0);
		for (int i = 0; i < W; i++) {
			if (pfd[i].fd < 0 || !pfd[i].revents)
				continue;
			int64_t v;
			if (read(pfd[i].fd, &v, sizeof(v)) != (ssize_t)sizeof(v)) {
				close(pfd[i].fd);
				pfd[i].fd = -1;
				open_fds--;
				continue;
			}
			assert_true(n < cap);
			out[n++] = v;
			if ((v >> 56) == F_BEGUN && ++begun[i] == stop_after[i]) {
				struct timespec pause = { 0, (long)(tu_rand(&seed) % 2000000) };
				nanosleep(&pause, NULL);
				kill(pids[i], SIGKILL);
			}
		}
	}
	for (int i = 0; i < W; i++) {
		int status = 0;
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
			fail_msg("worker %d exited with %d", i, WEXITSTATUS(status));
		fprintf(stderr, "# worker %d: %s after %lld journaled operations\n", i,
				WIFSIGNALED(status) ? "killed" : "finished", (long long)begun[i]);
	}
	return n;
}

static void test_fleet_kill_and_recover(void **state)
{
	jc *t = *state;
	PGconn *c = connect_url(t->loc);
	sql_ok(c, "CREATE TABLE gw_orders (id text PRIMARY KEY, amount bigint, ok boolean, pays int);"
			"CREATE TABLE gw_refunds (id text PRIMARY KEY, orig text, amount bigint, ok boolean)");
	PQfinish(c);  /* the children must not inherit it */
	enum { CAP = 40000 };
	static int64_t rep[CAP], acted[CAP];
	int who[CAP];
	size_t n = fleet_run(t, rep, CAP);
	/* Every worker's claims lapse; two processes recover at once. */
	t->now += JC_LEASE + 1;
	size_t m = jc_fork_all(t, 2, fleet_recoverer, acted, CAP, who);
	size_t begun = 0, notes_new = 0, recovered = 0;
	static int64_t new_notes[CAP];
	for (size_t i = 0; i < n; i++) {
		if ((rep[i] >> 56) == F_BEGUN) {
			/* 0 lost: every operation a worker was told is journaled is there, final. */
			upqr_journal_record r = jc_get(t->j, rep[i] & ((1LL << 56) - 1));
			assert_true(upqr_journal_state_is_final(r.state));
			begun++;
		} else if ((rep[i] >> 56) == F_NOTE_NEW)
			new_notes[notes_new++] = rep[i] & ((1LL << 56) - 1);
	}
	for (size_t i = 0; i < m; i++) {
		int64_t id = acted[i] & ((1LL << 56) - 1);
		if ((acted[i] >> 56) == F_NOTE_NEW) {
			new_notes[notes_new++] = id;
			continue;
		}
		recovered++;
		for (size_t k = i + 1; k < m; k++)  /* never acted on twice */
			assert_false((acted[k] >> 56) == F_ACTED && (acted[k] & ((1LL << 56) - 1)) == id);
	}
	c = connect_url(t->loc);
	/* Nothing is left open (a worker killed between its commit and its report
	 * may have journaled one more than it said). */
	assert_int_equal(jc_unfinished_count(t->j), 0);
	assert_true(sql_int(c, "SELECT count(*) FROM upqr_ops") >= (int64_t)begun);
	assert_int_equal(sql_int(c, "SELECT count(*) FROM gw_orders g LEFT JOIN upqr_ops o"
			" ON o.order_id = g.id AND o.kind = 'CONSUME_QRNO' WHERE o.id IS NULL"), 0);
	/* 0 paid twice, and the journal agrees with the gateway on every order. */
	assert_int_equal(sql_int(c, "SELECT COALESCE(max(pays), 0) FROM gw_orders"), 1);
	assert_int_equal(sql_int(c, "SELECT count(*) FROM upqr_ops o LEFT JOIN gw_orders g"
			" ON g.id = o.order_id WHERE o.kind = 'CONSUME_QRNO'"
			" AND (o.state IN ('SUCCESS','REFUNDED')) <> COALESCE(g.ok, false)"), 0);
	assert_int_equal(sql_int(c, "SELECT count(*) FROM upqr_ops o LEFT JOIN gw_refunds g"
			" ON g.id = o.order_id WHERE o.kind = 'REFUND'"
			" AND (o.state = 'SUCCESS') <> COALESCE(g.ok, false)"), 0);
	/* Refunds never over the original; the original's total is what the gateway paid back. */
	assert_int_equal(sql_int(c, "SELECT count(*) FROM upqr_ops o WHERE o.kind = 'CONSUME_QRNO'"
			" AND (o.refunded_total > o.amount OR o.refunded_total <> (SELECT COALESCE(sum(amount),"
			" 0) FROM gw_refunds r WHERE r.orig = o.order_id AND r.ok))"), 0);
	/* Every notification booked exactly once, and reported new exactly once. */
	int64_t paid = sql_int(c, "SELECT count(*) FROM gw_orders WHERE ok");
	assert_int_equal(sql_int(c, "SELECT count(*) FROM upqr_notifications"), paid);
	assert_int_equal(sql_int(c, "SELECT count(*) FROM gw_orders g LEFT JOIN upqr_notifications n"
			" ON n.query_id = 'Q' || g.id WHERE g.ok AND n.query_id IS NULL"), 0);
	assert_true(notes_new <= (size_t)paid);
	for (size_t i = 0; i < notes_new; i++)
		for (size_t k = i + 1; k < notes_new; k++)
			assert_true(new_notes[i] != new_notes[k]);
	fprintf(stderr, "# fleet: %zu operations journaled, %lld paid, %zu settled by recovery, "
			"%zu notifications new (the rest were duplicates or died with their process)\n",
			begun, (long long)paid, recovered, notes_new);
	PQfinish(c);
}

/* ---- main ----------------------------------------------------------------------------- */

static void skipped(void **state)
{
	(void)state;
	fprintf(stderr, "# %s\n", skip_reason);
	skip();
}

#define PG_TEST(f) cmocka_unit_test_setup_teardown(f, jc_setup, jc_teardown)

int main(void)
{
	jc_fix = &pg_fixture;
	struct CMUnitTest tests[] = {
		JC_CONTRACT_TESTS,
		PG_TEST(test_foreign_tables_refused),
		PG_TEST(test_newer_schema_refused),
		PG_TEST(test_missing_journal),
		PG_TEST(test_password_masked),
		PG_TEST(test_malformed_location),
		PG_TEST(test_concurrent_create),
		PG_TEST(test_schema_and_guards),
		PG_TEST(test_lock_timeout),
		PG_TEST(test_connection_loss),
		cmocka_unit_test_setup_teardown(test_server_crash, jc_setup, crash_teardown),
		PG_TEST(test_fleet_kill_and_recover),
	};
	/* make soak: UPQR_SOAK=1 UPQR_TEST_FILTER=test_fleet_kill_and_recover */
	const char *filter = getenv("UPQR_TEST_FILTER");
	if (filter && *filter)
		cmocka_set_test_filter(filter);
	if (pgtest_server(skip_reason, sizeof(skip_reason)) != 0) {
		for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
			tests[i].test_func = skipped;
			tests[i].setup_func = NULL;
			tests[i].teardown_func = NULL;
		}
	}
	int rc = cmocka_run_group_tests_name("journal_postgresql", tests, NULL, NULL);
	pgtest_stop();
	return rc;
}
