/*
 * test_replay.c - the persistent CPM replay guard (upqr/replay.h): a code
 * is accepted once across handles, restarts and concurrent processes; files
 * that are not its database are refused and left byte for byte unchanged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "testutil.h"

typedef struct tmpdir {
	char dir[32];
	char db[64];
} tmpdir;

static void tmp_make(tmpdir *t)
{
	snprintf(t->dir, sizeof t->dir, "/tmp/upqr_replay_XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->db, sizeof t->db, "%s/replay.db", t->dir);
}

static void tmp_remove(tmpdir *t)
{
	char cmd[64];
	snprintf(cmd, sizeof cmd, "rm -rf %s", t->dir);
	assert_int_equal(system(cmd), 0);
}

static upqr_replay_db *open_db(const char *path)
{
	upqr_replay_options o = UPQR_REPLAY_OPTIONS_INIT;
	o.path = path;
	upqr_replay_db *db = NULL;
	char why[128];
	int rc = upqr_replay_db_open(&db, &o, why, sizeof why);
	if (rc != UPQR_OK)
		fail_msg("open %s: %s: %s", path, upqr_status_name(rc), why);
	return db;
}

static const uint8_t card_a[16] = { 1, 2, 3 }, card_b[16] = { 9, 9, 9 };

static void test_survives_restart(void **state)
{
	(void)state;
	tmpdir t;
	tmp_make(&t);
	upqr_replay_db *db = open_db(t.db);
	assert_int_equal(upqr_replay_db_check_and_record_key(db, card_a, 5), UPQR_OK);
	assert_int_equal(upqr_replay_db_check_and_record_key(db, card_a, 5), UPQR_EREPLAY);
	assert_non_null(strstr(upqr_replay_db_last_error(db), "ATC 5"));
	assert_int_equal(upqr_replay_db_check_and_record_key(db, card_a, 4), UPQR_EREPLAY);
	assert_int_equal(upqr_replay_db_check_and_record_key(db, card_b, 4), UPQR_OK);  /* per card */
	assert_int_equal(upqr_replay_db_check_and_record_key(db, card_a, 6), UPQR_OK);
	upqr_replay_db_free(db);
	/* a restart: a new handle on the same file remembers */
	db = open_db(t.db);
	assert_int_equal(upqr_replay_db_check_and_record_key(db, card_a, 6), UPQR_EREPLAY);
	assert_int_equal(upqr_replay_db_check_and_record_key(db, card_b, 4), UPQR_EREPLAY);
	assert_int_equal(upqr_replay_db_check_and_record_key(db, card_a, 65535), UPQR_OK);
	assert_int_equal(upqr_replay_db_check_and_record_key(db, card_a, 0), UPQR_EREPLAY);
	/* WAL and synchronous=FULL are what the file is opened with */
	sqlite3 *raw = NULL;
	assert_int_equal(sqlite3_open(t.db, &raw), SQLITE_OK);
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(raw, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	sqlite3_close(raw);
	upqr_replay_db_free(db);
	tmp_remove(&t);
}

/* The same code through upqr_cpm: decode a generated code and present it twice. */
static void test_cpm_codes(void **state)
{
	(void)state;
	size_t len;
	char *tsv = tu_read_data("cpm-generated.tsv", &len);
	char *line = strstr(tsv, "golden_tdes\t");
	assert_non_null(line);
	char *b64 = line + strlen("golden_tdes\t");
	b64[strcspn(b64, "\t\n")] = 0;
	upqr_cpm *cpm = malloc(sizeof *cpm);
	assert_int_equal(upqr_cpm_decode(cpm, NULL, b64, strlen(b64), NULL), UPQR_OK);
	tmpdir t;
	tmp_make(&t);
	upqr_replay_db *db = open_db(t.db);
	assert_int_equal(upqr_replay_db_check_and_record(db, cpm), UPQR_OK);
	assert_int_equal(upqr_replay_db_check_and_record(db, cpm), UPQR_EREPLAY);
	/* the same key the in-memory table uses */
	uint8_t key[16];
	uint16_t atc;
	assert_int_equal(upqr_cpm_replay_key(key, &atc, cpm), UPQR_OK);
	assert_int_equal(upqr_replay_db_check_and_record_key(db, key, atc), UPQR_EREPLAY);
	assert_int_equal(upqr_replay_db_check_and_record_key(db, key, (uint16_t)(atc + 1)), UPQR_OK);
	assert_int_equal(upqr_replay_db_check_and_record(NULL, cpm), UPQR_EINVAL);
	assert_int_equal(upqr_replay_db_check_and_record(db, NULL), UPQR_EINVAL);
	upqr_replay_db_free(db);
	tmp_remove(&t);
	free(cpm);
	free(tsv);
}

/*
 * Several processes present the same code at once: exactly one wins. Each
 * child opens its own handle (as separate terminals would) and exits 0 on
 * UPQR_OK, 1 on UPQR_EREPLAY, 2 on anything else.
 */
static void test_concurrent_processes(void **state)
{
	(void)state;
	tmpdir t;
	tmp_make(&t);
	upqr_replay_db_free(open_db(t.db));
	enum { KIDS = 6, ROUNDS = 5 };
	for (int round = 1; round <= ROUNDS; round++) {
		pid_t pids[KIDS];
		for (int k = 0; k < KIDS; k++) {
			pids[k] = fork();
			assert_true(pids[k] >= 0);
			if (pids[k] == 0) {
				upqr_replay_options o = UPQR_REPLAY_OPTIONS_INIT;
				o.path = t.db;
				upqr_replay_db *db = NULL;
				if (upqr_replay_db_open(&db, &o, NULL, 0) != UPQR_OK)
					_exit(3);
				int rc = upqr_replay_db_check_and_record_key(db, card_a, (uint16_t)round);
				upqr_replay_db_free(db);
				_exit(rc == UPQR_OK ? 0 : rc == UPQR_EREPLAY ? 1 : 2);
			}
		}
		int won = 0, lost = 0;
		for (int k = 0; k < KIDS; k++) {
			int status = 0;
			assert_int_equal(waitpid(pids[k], &status, 0), pids[k]);
			assert_true(WIFEXITED(status));
			won += WEXITSTATUS(status) == 0;
			lost += WEXITSTATUS(status) == 1;
		}
		if (won != 1 || lost != KIDS - 1)
			fail_msg("round %d: %d accepted, %d refused of %d", round, won, lost, KIDS);
	}
	tmp_remove(&t);
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void assert_same_file(const char *path, const void *data, size_t len)
{
	char buf[8192];
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	assert_int_equal(n, len);
	assert_memory_equal(buf, data, len);
}

static int open_status(const char *path, char *why, size_t cap)
{
	upqr_replay_options o = UPQR_REPLAY_OPTIONS_INIT;
	o.path = path;
	upqr_replay_db *db = NULL;
	int rc = upqr_replay_db_open(&db, &o, why, cap);
	if (rc == UPQR_OK)
		upqr_replay_db_free(db);
	else
		assert_null(db);
	return rc;
}

/* Read a whole small file into buf; its length. */
static size_t slurp(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	size_t n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

static void test_foreign_files_untouched(void **state)
{
	(void)state;
	tmpdir t;
	tmp_make(&t);
	char why[256], path[96];
	/* not SQLite at all */
	static const char text[] = "merchant ledger, do not lose ......................................."
		"..................................................................................";
	snprintf(path, sizeof path, "%s/ledger.txt", t.dir);
	write_file(path, text, sizeof text - 1);
	assert_int_equal(open_status(path, why, sizeof why), UPQR_EINVALID);
	assert_non_null(strstr(why, "left untouched"));
	assert_same_file(path, text, sizeof text - 1);
	/* a corrupt replay database: a valid one with its header page scribbled over */
	upqr_replay_db_free(open_db(t.db));
	static char img[1 << 16];
	size_t n = slurp(t.db, img, sizeof img);
	assert_true(n >= 100);
	memset(img + 16, 0xA5, 84);
	write_file(t.db, img, n);
	assert_int_equal(open_status(t.db, why, sizeof why), UPQR_EINVALID);
	assert_same_file(t.db, img, n);
	/* another application's SQLite database */
	snprintf(path, sizeof path, "%s/other.db", t.dir);
	sqlite3 *raw = NULL;
	assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw, "CREATE TABLE orders (id); INSERT INTO orders VALUES (7);", NULL, NULL,
		NULL), SQLITE_OK);
	sqlite3_close(raw);
	n = slurp(path, img, sizeof img);
	assert_int_equal(open_status(path, why, sizeof why), UPQR_EUNSUPPORTED);
	assert_non_null(strstr(why, "another application"));
	assert_same_file(path, img, n);
	/* a replay database from a newer upqr (schema version 2) */
	snprintf(path, sizeof path, "%s/newer.db", t.dir);
	assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw, "CREATE TABLE cpm_atc (card); PRAGMA application_id=1970303346;"
		"PRAGMA user_version=2;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(raw);
	assert_int_equal(open_status(path, why, sizeof why), UPQR_EUNSUPPORTED);
	assert_non_null(strstr(why, "schema 2"));
	/* a file that cannot be created */
	snprintf(path, sizeof path, "%s/no/such/dir/r.db", t.dir);
	assert_int_equal(open_status(path, why, sizeof why), UPQR_EIO);
	tmp_remove(&t);
}

static void test_options_and_alloc(void **state)
{
	(void)state;
	upqr_replay_options o;
	assert_int_equal(upqr_replay_options_init(&o, 99), UPQR_EVERSION);
	assert_int_equal(upqr_replay_options_init(&o, UPQR_REPLAY_OPTIONS_VERSION), UPQR_OK);
	assert_null(o.path);
	upqr_replay_db *db = NULL;
	assert_int_equal(upqr_replay_db_open(&db, &o, NULL, 0), UPQR_EINVAL);
	assert_int_equal(upqr_replay_db_open(NULL, &o, NULL, 0), UPQR_EINVAL);
	tmpdir t;
	tmp_make(&t);
	o.path = t.db;
	o.version = 2;
	assert_int_equal(upqr_replay_db_open(&db, &o, NULL, 0), UPQR_EVERSION);
	o.version = UPQR_REPLAY_OPTIONS_VERSION;
	tu_alloc_stats stats = { 0, 0, 0 };
	tu_alloc_install(&stats);
	assert_int_equal(upqr_replay_db_open(&db, &o, NULL, 0), UPQR_ENOMEM);
	tu_alloc_uninstall();
	assert_null(db);
	assert_int_equal(upqr_replay_db_check_and_record_key(NULL, card_a, 1), UPQR_EINVAL);
	assert_string_equal(upqr_replay_db_last_error(NULL), "");
	upqr_replay_db_free(NULL);
	tmp_remove(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_survives_restart),
		cmocka_unit_test(test_cpm_codes),
		cmocka_unit_test(test_concurrent_processes),
		cmocka_unit_test(test_foreign_files_untouched),
		cmocka_unit_test(test_options_and_alloc),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
