/*
 * test_journal.c - the journal contract suite on the SQLite backend, plus
 * what only SQLite has: the file format checks (random, foreign, newer,
 * damaged files are refused and left as they were), the schema's own
 * guards, the lock timeout, and crash consistency under SIGKILL.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#include "journal_contract.h"

/* ---- the fixture: a journal file in a fresh temporary directory ------------------ */

static int sqlite_make_location(char *loc, size_t cap)
{
	const char *tmp = getenv("TMPDIR");
	char dir[256];
	snprintf(dir, sizeof(dir), "%s/upqr-journal-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	return snprintf(loc, cap, "%s/journal.db", dir) < (int)cap ? 0 : -1;
}

static void sqlite_drop_location(const char *loc)
{
	static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
	char path[600];
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", loc, suffixes[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s", loc);
	char *slash = strrchr(path, '/');
	if (slash) {
		*slash = '\0';
		rmdir(path);
	}
}

static const jc_fixture sqlite_fixture = {
	"sqlite", sqlite_make_location, sqlite_drop_location,
};

/* ---- helpers --------------------------------------------------------------------- */

static unsigned char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	unsigned char *buf = NULL;
	size_t n = 0, cap = 0;
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		if (got == 0)
			break;
		n += got;
	}
	fclose(f);
	*len = n;
	return buf;
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void raw_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		fail_msg("%s: %s", sql, msg ? msg : "?");
	sqlite3_close(db);
}

/* Opening `loc` fails with `want`; the file is byte for byte what it was. */
static void assert_refused_untouched(jc *t, int want, const char *needle)
{
	size_t n0, n1;
	unsigned char *before = read_file(t->loc, &n0);
	int rc;
	char err[300];
	upqr_journal *j = jc_open_quiet(t, "owner-x", &rc, err, sizeof(err));
	assert_null(j);
	if (rc != want)
		fail_msg("want %s, got %s: %s", upqr_status_name(want), upqr_status_name(rc), err);
	if (!strstr(err, needle))
		fail_msg("error text '%s' lacks '%s'", err, needle);
	assert_non_null(strstr(err, t->loc));
	unsigned char *after = read_file(t->loc, &n1);
	assert_int_equal(n0, n1);
	assert_memory_equal(before, after, n0);
	free(before);
	free(after);
}

/* The parent's handle from jc_setup is closed so the file can be replaced. */
static void close_first(jc *t)
{
	upqr_journal_free(t->j);
	t->j = NULL;
}

/* ---- files that are not (our) journals ------------------------------------------- */

static void test_random_file_refused(void **state)
{
	jc *t = *state;
	close_first(t);
	sqlite_drop_location(t->loc);
	sqlite_make_location(t->loc, sizeof(t->loc));
	unsigned char junk[8192];
	uint64_t seed = tu_seed();
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)tu_rand(&seed);
	write_file(t->loc, junk, sizeof(junk));
	assert_refused_untouched(t, UPQR_ECORRUPT, "not an SQLite database");
	/* A text file that starts like a database header is no better. */
	write_file(t->loc, "SQLite format 3\nhello", 21);
	assert_refused_untouched(t, UPQR_ECORRUPT, "not changed");
}

static void test_foreign_database_refused(void **state)
{
	jc *t = *state;
	close_first(t);
	sqlite_drop_location(t->loc);
	sqlite_make_location(t->loc, sizeof(t->loc));
	raw_exec(t->loc, "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);"
			"INSERT INTO customers (name) VALUES ('Li Lei');");
	assert_refused_untouched(t, UPQR_EFOREIGN, "another application");
	/* Another application that tags its files is told apart too. */
	raw_exec(t->loc, "PRAGMA application_id = 1234");
	assert_refused_untouched(t, UPQR_EFOREIGN, "application_id 1234");
}

static void test_newer_schema_refused(void **state)
{
	jc *t = *state;
	jc_paid(t->j, "PAY0000001", 100);
	close_first(t);
	raw_exec(t->loc, "PRAGMA user_version = 99");
	assert_refused_untouched(t, UPQR_EUNSUPPORTED, "schema version 99");
}

static void test_damaged_journal_refused(void **state)
{
	jc *t = *state;
	for (int i = 0; i < 30; i++) {
		char id[16];
		snprintf(id, sizeof(id), "ORD%07d", i);
		jc_paid(t->j, id, 100 + i);
	}
	close_first(t);
	size_t n;
	unsigned char *db = read_file(t->loc, &n);
	assert_true(n > 4096);
	/* Page 1 holds the schema table after the 100-byte file header. */
	memset(db + 100, 0xA5, 200);
	write_file(t->loc, db, n);
	free(db);
	assert_refused_untouched(t, UPQR_ECORRUPT, "damaged");
}

static void test_missing_and_odd_locations(void **state)
{
	jc *t = *state;
	close_first(t);
	sqlite_drop_location(t->loc);
	sqlite_make_location(t->loc, sizeof(t->loc));
	upqr_journal_options o;
	assert_int_equal(upqr_journal_options_init(&o, UPQR_JOURNAL_OPTIONS_VERSION), UPQR_OK);
	o.location = t->loc;
	o.create = 0;
	upqr_journal *j = NULL;
	char err[300];
	assert_int_equal(upqr_journal_open(&j, &o, err, sizeof(err)), UPQR_ENOTFOUND);
	assert_non_null(strstr(err, "does not exist"));
	struct stat sb;
	assert_int_equal(stat(t->loc, &sb), -1);  /* not created */
	/* A directory, or a path under a missing directory. */
	char dir[600];
	snprintf(dir, sizeof(dir), "%s", t->loc);
	*strrchr(dir, '/') = '\0';
	o.location = dir;
	o.create = 1;
	assert_int_equal(upqr_journal_open(&j, &o, err, sizeof(err)), UPQR_EIO);
	char deep[700];
	snprintf(deep, sizeof(deep), "%s/no/such/dir/journal.db", dir);
	o.location = deep;
	assert_int_equal(upqr_journal_open(&j, &o, err, sizeof(err)), UPQR_EIO);
	assert_non_null(strstr(err, deep));
	/* An empty file (touch) becomes a journal: there is nothing in it to lose. */
	write_file(t->loc, "", 0);
	o.location = t->loc;
	assert_int_equal(upqr_journal_open(&j, &o, err, sizeof(err)), UPQR_OK);
	upqr_journal_free(j);
}

/* A journal this process may not write is refused at open, not at the first order. */
static void test_read_only_refused(void **state)
{
	jc *t = *state;
	jc_paid(t->j, "PAY0000001", 100);
	close_first(t);
	char dir[600];
	snprintf(dir, sizeof(dir), "%s", t->loc);
	*strrchr(dir, '/') = '\0';
	assert_int_equal(chmod(t->loc, 0444), 0);
	assert_int_equal(chmod(dir, 0755), 0);
	/* root writes anything: drop to an unprivileged user in a child to see a read-only file. */
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (geteuid() == 0 && setuid(65534) != 0)
			_exit(100);
		int rc;
		char err[300];
		upqr_journal *j = jc_open_quiet(t, "reader", &rc, err, sizeof(err));
		upqr_journal_free(j);
		_exit(rc == UPQR_EIO && strstr(err, t->loc) && strstr(err, "read-only") ? 0 : 101);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(chmod(t->loc, 0644), 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- what the file looks like ---------------------------------------------------- */

static int64_t raw_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int64_t v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void test_schema_and_modes(void **state)
{
	jc *t = *state;
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open_v2(t->loc, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	assert_int_equal(raw_int(db, "PRAGMA user_version"), upqr_journal_schema_version());
	assert_int_equal(raw_int(db, "PRAGMA application_id"), 0x5550514a);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM upqr_migrations WHERE version = 1"), 1);
	sqlite3_close(db);
	/* Reopening an up-to-date journal migrates nothing again. */
	upqr_journal *b = jc_open_owner(t, "owner-b");
	upqr_journal_free(b);
	assert_int_equal(sqlite3_open_v2(t->loc, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM upqr_migrations"), 1);
	sqlite3_close(db);
}

/* The database refuses, by itself, what the library would never write. */
static void test_schema_guards(void **state)
{
	jc *t = *state;
	upqr_journal_record p = jc_paid(t->j, "PAY0000001", 1000);
	upqr_journal_record f = jc_begin(t->j, UPQR_JOURNAL_REFUND, "REF0000001", 800, "PAY0000001");
	jc_move(t->j, f.id, UPQR_JOURNAL_FAILED);
	jc_begin(t->j, UPQR_JOURNAL_REFUND, "REF0000002", 900, "PAY0000001");
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(t->loc, &db), SQLITE_OK);
	static const char *const refused[] = {
		/* 900 outstanding + 101 > 1000 */
		"INSERT INTO upqr_ops (kind, state, mer_id, order_id, txn_time, amount, currency,"
		" orig_id, created_ms, updated_ms) VALUES ('REFUND', 'PENDING', '" JC_MER "',"
		" 'REF0000003', '20261207113000', 101, '156', ?1, 0, 0)",
		"UPDATE upqr_ops SET state = 'SUCCESS' WHERE id = ?1",     /* FAILED stays */
		"UPDATE upqr_ops SET state = 'PENDING' WHERE id = ?1",
		"UPDATE upqr_ops SET refunded_total = 1001 WHERE id = ?1", /* more than paid */
		"UPDATE upqr_ops SET amount = 5 WHERE id = ?1",
		"UPDATE upqr_ops SET order_id = 'OTHER00001' WHERE id = ?1",
		"DELETE FROM upqr_ops WHERE id = ?1",
		"UPDATE upqr_ops SET state = 'FAILED' WHERE id = ?1",      /* SUCCESS -> FAILED */
	};
	const long long ids[] = { p.id, f.id, f.id, p.id, p.id, p.id, f.id, p.id };
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		sqlite3_stmt *st = NULL;
		assert_int_equal(sqlite3_prepare_v2(db, refused[i], -1, &st, NULL), SQLITE_OK);
		sqlite3_bind_int64(st, 1, ids[i]);
		int rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc == SQLITE_DONE)
			fail_msg("the schema accepted: %s (id %lld)", refused[i], ids[i]);
	}
	sqlite3_close(db);
	upqr_journal_record g = jc_get(t->j, p.id);
	assert_memory_equal(&g, &p, sizeof(g));
	assert_int_equal(jc_get(t->j, f.id).state, UPQR_JOURNAL_FAILED);
}

static void test_busy_timeout(void **state)
{
	jc *t = *state;
	upqr_journal_options o;
	assert_int_equal(upqr_journal_options_init(&o, UPQR_JOURNAL_OPTIONS_VERSION), UPQR_OK);
	o.location = t->loc;
	o.busy_timeout_ms = 50;
	upqr_journal *j = NULL;
	assert_int_equal(upqr_journal_open(&j, &o, NULL, 0), UPQR_OK);
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(t->loc, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	upqr_journal_order ord;
	upqr_journal_record r;
	jc_order(&ord, UPQR_JOURNAL_CONSUME_QRNO, "ORD0000001", 100, NULL);
	assert_int_equal(upqr_journal_begin(&r, j, &ord), UPQR_EBUSY);
	assert_non_null(strstr(upqr_journal_last_error(j), "locked"));
	assert_int_equal(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(jc_unfinished_count(j), 0);
	assert_int_equal(upqr_journal_begin(&r, j, &ord), UPQR_OK);
	upqr_journal_free(j);
}

/* ---- crash consistency ------------------------------------------------------------ */

/* What the child reports after each call returned UPQR_OK: id * 16 + state. */
static void crash_child(jc *t, int round, int fd)
{
	upqr_journal *j = jc_child_open(t, "crasher", round);
	for (int i = 0;; i++) {
		char pay[16], ref[16];
		snprintf(pay, sizeof(pay), "P%d%08d", round, i);
		snprintf(ref, sizeof(ref), "R%d%08d", round, i);
		upqr_journal_record c, r;
		if (jc_try(j, UPQR_JOURNAL_CONSUME_QRNO, pay, 1000, NULL) != UPQR_OK
				|| upqr_journal_find(&c, j, JC_MER, pay, UPQR_JOURNAL_KIND_NONE) != UPQR_OK)
			_exit(3);
		jc_put(fd, c.id * 16 + UPQR_JOURNAL_PENDING);
		if (upqr_journal_transition(&c, j, c.id, UPQR_JOURNAL_SUCCESS, NULL) != UPQR_OK)
			_exit(4);
		jc_put(fd, c.id * 16 + UPQR_JOURNAL_SUCCESS);
		upqr_journal_order o;
		jc_order(&o, UPQR_JOURNAL_REFUND, ref, i % 2 ? 1000 : 400, pay);
		if (upqr_journal_begin(&r, j, &o) != UPQR_OK)
			_exit(5);
		jc_put(fd, r.id * 16 + UPQR_JOURNAL_PENDING);
		if (upqr_journal_transition(&r, j, r.id, UPQR_JOURNAL_SUCCESS, NULL) != UPQR_OK)
			_exit(6);
		jc_put(fd, r.id * 16 + UPQR_JOURNAL_SUCCESS);
	}
}

/* Every record is whole: originals agree with the sum of their successful refunds. */
static void check_consistent(upqr_journal *j, const int64_t *acks, size_t nacks)
{
	enum { MAXID = 20000 };
	static upqr_journal_record recs[MAXID + 1];
	static int64_t refunded[MAXID + 1];
	memset(refunded, 0, sizeof(refunded));
	int64_t last = 0;
	for (int64_t id = 1; id <= MAXID; id++) {
		int rc = upqr_journal_get(&recs[id], j, id);
		if (rc == UPQR_ENOTFOUND)
			break;
		assert_int_equal(rc, UPQR_OK);
		last = id;
		const upqr_journal_record *r = &recs[id];
		if (r->kind == UPQR_JOURNAL_REFUND && r->state == UPQR_JOURNAL_SUCCESS)
			refunded[r->orig_id] += r->amount;
	}
	assert_true(last < MAXID);
	for (int64_t id = 1; id <= last; id++) {
		const upqr_journal_record *r = &recs[id];
		if (r->kind != UPQR_JOURNAL_CONSUME_QRNO)
			continue;
		assert_int_equal(r->refunded_total, refunded[id]);
		assert_int_equal(r->state == UPQR_JOURNAL_REFUNDED, r->refunded_total == r->amount);
	}
	/* Everything a call reported as done is there, in that state or a later one. */
	for (size_t i = 0; i < nacks; i++) {
		int64_t id = acks[i] / 16;
		int st = (int)(acks[i] % 16);
		assert_true(id >= 1 && id <= last);
		assert_true((int)recs[id].state >= st);
	}
}

static void test_crash_consistency(void **state)
{
	jc *t = *state;
	enum { ROUNDS = 4, MAXACK = 20000 };
	static int64_t acks[MAXACK];
	size_t nacks = 0;
	uint64_t seed = tu_seed();
	for (int round = 0; round < ROUNDS; round++) {
		int fds[2];
		assert_int_equal(pipe(fds), 0);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(fds[0]);
			crash_child(t, round, fds[1]);
			_exit(0);
		}
		close(fds[1]);
		/* Let it run for a random number of calls, then kill it mid-stride. */
		size_t target = nacks + 20 + (size_t)(tu_rand(&seed) % 200);
		while (nacks < target && nacks < MAXACK
				&& read(fds[0], &acks[nacks], sizeof(acks[0])) == (ssize_t)sizeof(acks[0]))
			nacks++;
		struct timespec pause = { 0, (long)(tu_rand(&seed) % 3000000) };
		nanosleep(&pause, NULL);
		kill(pid, SIGKILL);
		int status = 0;
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status));
		while (nacks < MAXACK && read(fds[0], &acks[nacks], sizeof(acks[0])) == (ssize_t)sizeof(acks[0]))
			nacks++;
		close(fds[0]);
		/* Reopen as a new process would and check everything. */
		upqr_journal *j = jc_open_owner(t, "checker");
		check_consistent(j, acks, nacks);
		upqr_journal_free(j);
	}
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(t->loc, &db), SQLITE_OK);
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);
	sqlite3_close(db);
	fprintf(stderr, "# crash consistency: %zu acknowledged writes over %d kills\n", nacks, ROUNDS);
}

#define SQ_TEST(f) cmocka_unit_test_setup_teardown(f, jc_setup, jc_teardown)

int main(void)
{
	jc_fix = &sqlite_fixture;
	const struct CMUnitTest tests[] = {
		JC_CONTRACT_TESTS,
		SQ_TEST(test_random_file_refused),
		SQ_TEST(test_foreign_database_refused),
		SQ_TEST(test_newer_schema_refused),
		SQ_TEST(test_damaged_journal_refused),
		SQ_TEST(test_missing_and_odd_locations),
		SQ_TEST(test_read_only_refused),
		SQ_TEST(test_schema_and_modes),
		SQ_TEST(test_schema_guards),
		SQ_TEST(test_busy_timeout),
		SQ_TEST(test_crash_consistency),
	};
	return cmocka_run_group_tests_name("journal_sqlite", tests, NULL, NULL);
}
