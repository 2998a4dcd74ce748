/*
 * journal_contract.h - the journal's contract tests: what every backend
 * must do, written against the public API only. A backend's test program
 * defines a jc_fixture (how to make and remove a fresh, empty journal
 * location) and runs JC_CONTRACT_TESTS with it; the same suite then holds
 * for SQLite (test_journal.c) and PostgreSQL (test_journal_pg.c).
 *
 * Include once, from a test_journal*.c file, after testutil.h.
 */
#ifndef UPQR_JOURNAL_CONTRACT_H
#define UPQR_JOURNAL_CONTRACT_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

typedef struct jc_fixture {
	const char *name;
	/* Writes a fresh location (no journal there yet) into loc; 0 on success. */
	int (*make_location)(char *loc, size_t cap);
	/* Removes whatever the journal left at loc. */
	void (*drop_location)(const char *loc);
} jc_fixture;

/* Set by the backend's main before running the group. */
static const jc_fixture *jc_fix;

#define JC_MER "777290058110048"
#define JC_LEASE 60000

typedef struct jc {
	char loc[512];
	int64_t now;        /* the clock every handle of the test reads */
	upqr_journal *j;    /* the first handle, owner "owner-a" */
} jc;

static int64_t jc_clock(void *user)
{
	return ((jc *)user)->now;
}

/* Opens a handle on the test's journal and clock; *rc and err say why not. */
static upqr_journal *jc_open_quiet(jc *t, const char *owner, int *rc, char *err, size_t cap)
{
	upqr_journal_options o;
	*rc = upqr_journal_options_init(&o, UPQR_JOURNAL_OPTIONS_VERSION);
	if (*rc != UPQR_OK) {
		snprintf(err, cap, "options_init: %s", upqr_strerror(*rc));
		return NULL;
	}
	o.location = t->loc;
	o.owner = owner;
	o.lease_ms = JC_LEASE;
	o.clock_ms = jc_clock;
	o.clock_user = t;
	upqr_journal *j = NULL;
	*rc = upqr_journal_open(&j, &o, err, cap);
	return j;
}

static upqr_journal *jc_open_owner(jc *t, const char *owner)
{
	char err[256];
	int rc;
	upqr_journal *j = jc_open_quiet(t, owner, &rc, err, sizeof(err));
	if (rc != UPQR_OK)
		fail_msg("open %s: %s: %s", t->loc, upqr_status_name(rc), err);
	return j;
}

static int jc_setup(void **state)
{
	jc *t = calloc(1, sizeof(*t));
	assert_non_null(t);
	assert_int_equal(jc_fix->make_location(t->loc, sizeof(t->loc)), 0);
	t->now = 1765000000000LL;
	t->j = jc_open_owner(t, "owner-a");
	*state = t;
	return 0;
}

static int jc_teardown(void **state)
{
	jc *t = *state;
	upqr_journal_free(t->j);
	jc_fix->drop_location(t->loc);
	free(t);
	return 0;
}

/* ---- helpers --------------------------------------------------------------- */

static void jc_order(upqr_journal_order *o, upqr_journal_kind kind, const char *order_id,
		int64_t amount, const char *orig)
{
	memset(o, 0, sizeof(*o));
	o->kind = kind;
	strcpy(o->mer_id, JC_MER);
	if (kind != UPQR_JOURNAL_REVERSAL) {
		strcpy(o->order_id, order_id);
		strcpy(o->txn_time, "20261207113000");
	}
	o->amount = amount;
	strcpy(o->currency, "156");
	if (orig)
		strcpy(o->orig_order_id, orig);
}

static upqr_journal_record jc_begin(upqr_journal *j, upqr_journal_kind kind, const char *order_id,
		int64_t amount, const char *orig)
{
	upqr_journal_order o;
	upqr_journal_record r;
	jc_order(&o, kind, order_id, amount, orig);
	int rc = upqr_journal_begin(&r, j, &o);
	if (rc != UPQR_OK)
		fail_msg("begin %s: %s: %s", order_id, upqr_status_name(rc), upqr_journal_last_error(j));
	return r;
}

static upqr_journal_record jc_move(upqr_journal *j, int64_t id, upqr_journal_state to)
{
	upqr_journal_record r;
	int rc = upqr_journal_transition(&r, j, id, to, NULL);
	if (rc != UPQR_OK)
		fail_msg("transition %lld -> %s: %s: %s", (long long)id, upqr_journal_state_name(to),
				upqr_status_name(rc), upqr_journal_last_error(j));
	return r;
}

static upqr_journal_record jc_get(upqr_journal *j, int64_t id)
{
	upqr_journal_record r;
	assert_int_equal(upqr_journal_get(&r, j, id), UPQR_OK);
	return r;
}

/* A paid consume of amount. */
static upqr_journal_record jc_paid(upqr_journal *j, const char *order_id, int64_t amount)
{
	upqr_journal_record r = jc_begin(j, UPQR_JOURNAL_CONSUME_QRNO, order_id, amount, NULL);
	return jc_move(j, r.id, UPQR_JOURNAL_SUCCESS);
}

static size_t jc_unfinished_count(upqr_journal *j)
{
	upqr_journal_record recs[64];
	size_t n = 99;
	assert_int_equal(upqr_journal_list_unfinished(recs, 64, &n, j), UPQR_OK);
	return n;
}

/* ---- opening ---------------------------------------------------------------- */

static void jc_test_options(void **state)
{
	jc *t = *state;
	upqr_journal_options o;
	assert_int_equal(upqr_journal_options_init(&o, 99), UPQR_EVERSION);
	assert_int_equal(upqr_journal_options_init(&o, UPQR_JOURNAL_OPTIONS_VERSION), UPQR_OK);
	assert_int_equal(o.create, 1);
	assert_int_equal(o.lease_ms, UPQR_JOURNAL_LEASE_MS_DEFAULT);
	upqr_journal *j = (upqr_journal *)&o;  /* must be reset to NULL on failure */
	char err[200];
	assert_int_equal(upqr_journal_open(&j, &o, err, sizeof(err)), UPQR_EINVAL);
	assert_null(j);
	assert_non_null(strstr(err, "location"));
	/* A connection URI selects PostgreSQL: here, a server that is not there. */
	o.location = "postgresql://journal:s3cret@/upqr?host=/nonexistent-upqr-dir";
	assert_int_equal(upqr_journal_open(&j, &o, err, sizeof(err)), UPQR_ENETWORK);
	assert_null(j);
	assert_non_null(strstr(err, "/nonexistent-upqr-dir"));
	assert_null(strstr(err, "s3cret"));  /* the password never reaches a message */
	o.location = t->loc;
	o.owner = "has space";
	assert_int_equal(upqr_journal_open(&j, &o, err, sizeof(err)), UPQR_EINVAL);
	o.owner = NULL;
	o.version = 2;
	assert_int_equal(upqr_journal_open(&j, &o, NULL, 0), UPQR_EVERSION);
	/* A default owner is unique per handle. */
	o.version = UPQR_JOURNAL_OPTIONS_VERSION;
	upqr_journal *a = NULL, *b = NULL;
	assert_int_equal(upqr_journal_open(&a, &o, NULL, 0), UPQR_OK);
	assert_int_equal(upqr_journal_open(&b, &o, NULL, 0), UPQR_OK);
	assert_true(strlen(upqr_journal_owner(a)) > 0);
	assert_string_not_equal(upqr_journal_owner(a), upqr_journal_owner(b));
	assert_string_equal(upqr_journal_owner(t->j), "owner-a");
	assert_string_equal(upqr_journal_backend(a), jc_fix->name);
	upqr_journal_free(a);
	upqr_journal_free(b);
	upqr_journal_free(NULL);
	assert_int_equal(upqr_journal_schema_version(), 1);
	assert_int_equal(upqr_journal_order_id_max(), UPQR_JOURNAL_ORDER_ID_MAX);
	assert_int_equal(upqr_journal_mer_id_max(), UPQR_JOURNAL_MER_ID_MAX);
	assert_int_equal(upqr_journal_txn_time_len(), UPQR_JOURNAL_TXN_TIME_LEN);
	assert_int_equal(upqr_journal_resp_code_max(), UPQR_JOURNAL_RESP_CODE_MAX);
	assert_int_equal(upqr_journal_query_id_max(), UPQR_JOURNAL_QUERY_ID_MAX);
	assert_int_equal(upqr_journal_resp_msg_max(), UPQR_JOURNAL_RESP_MSG_MAX);
	assert_int_equal(upqr_journal_owner_max(), UPQR_JOURNAL_OWNER_MAX);
	assert_string_equal(upqr_journal_last_error(NULL), "invalid journal handle");
}

/* ---- begin, get, find --------------------------------------------------------- */

static void jc_test_begin_get_find(void **state)
{
	jc *t = *state;
	upqr_journal_record r = jc_begin(t->j, UPQR_JOURNAL_CONSUME_QRNO, "ORD0000001", 1234, NULL);
	assert_true(r.id > 0);
	assert_int_equal(r.state, UPQR_JOURNAL_PENDING);
	assert_int_equal(r.kind, UPQR_JOURNAL_CONSUME_QRNO);
	assert_string_equal(r.mer_id, JC_MER);
	assert_string_equal(r.order_id, "ORD0000001");
	assert_string_equal(r.txn_time, "20261207113000");
	assert_int_equal(r.amount, 1234);
	assert_string_equal(r.currency, "156");
	assert_string_equal(r.owner, "owner-a");
	assert_int_equal(r.lease_until_ms, t->now + JC_LEASE);
	assert_int_equal(r.created_ms, t->now);
	assert_int_equal(r.orig_id, 0);
	upqr_journal_record g = jc_get(t->j, r.id);
	assert_memory_equal(&g, &r, sizeof(r));
	upqr_journal_record f;
	assert_int_equal(upqr_journal_find(&f, t->j, JC_MER, "ORD0000001", UPQR_JOURNAL_KIND_NONE),
			UPQR_OK);
	assert_memory_equal(&f, &r, sizeof(r));
	assert_int_equal(upqr_journal_find(&f, t->j, JC_MER, "ORD0000001", UPQR_JOURNAL_CONSUME_QRNO),
			UPQR_OK);
	assert_int_equal(upqr_journal_find(&f, t->j, JC_MER, "ORD0000001", UPQR_JOURNAL_REFUND),
			UPQR_ENOTFOUND);
	assert_int_equal(upqr_journal_find(&f, t->j, JC_MER, "ORD0000001", UPQR_JOURNAL_REVERSAL),
			UPQR_ENOTFOUND);
	assert_int_equal(upqr_journal_find(&f, t->j, JC_MER, "ORD0000002", UPQR_JOURNAL_KIND_NONE),
			UPQR_ENOTFOUND);
	assert_non_null(strstr(upqr_journal_last_error(t->j), "ORD0000002"));
	assert_int_equal(upqr_journal_find(&f, t->j, "123456789012345", "ORD0000001",
			UPQR_JOURNAL_KIND_NONE), UPQR_ENOTFOUND);
	assert_int_equal(upqr_journal_get(&g, t->j, r.id + 100), UPQR_ENOTFOUND);
	assert_int_equal(upqr_journal_get(&g, t->j, 0), UPQR_EINVAL);
	/* An open-amount QR (payer enters the amount) may start at 0. */
	upqr_journal_record q = jc_begin(t->j, UPQR_JOURNAL_APPLY_QR, "QR00000001", 0, NULL);
	assert_int_equal(q.amount, 0);
	assert_int_equal(jc_unfinished_count(t->j), 2);
}

typedef void (*jc_spoil)(upqr_journal_order *o);
static void spoil_mer(upqr_journal_order *o) { strcpy(o->mer_id, ""); }
static void spoil_mer_chars(upqr_journal_order *o) { strcpy(o->mer_id, "7772-9005"); }
static void spoil_order_short(upqr_journal_order *o) { strcpy(o->order_id, "ABC1234"); }
static void spoil_order_chars(upqr_journal_order *o) { strcpy(o->order_id, "ORDER_0001"); }
static void spoil_order_unterminated(upqr_journal_order *o) { memset(o->order_id, 'A', sizeof(o->order_id)); }
static void spoil_time_len(upqr_journal_order *o) { strcpy(o->txn_time, "2026120711300"); }
static void spoil_time_month(upqr_journal_order *o) { strcpy(o->txn_time, "20261307113000"); }
static void spoil_time_hour(upqr_journal_order *o) { strcpy(o->txn_time, "20261207243000"); }
static void spoil_amount_zero(upqr_journal_order *o) { o->amount = 0; }
static void spoil_amount_neg(upqr_journal_order *o) { o->amount = -1; }
static void spoil_amount_big(upqr_journal_order *o) { o->amount = 1000000000000LL; }
static void spoil_currency(upqr_journal_order *o) { strcpy(o->currency, "15"); }
static void spoil_currency_alpha(upqr_journal_order *o) { strcpy(o->currency, "CNY"); }
static void spoil_kind(upqr_journal_order *o) { o->kind = (upqr_journal_kind)9; }
static void spoil_kind_none(upqr_journal_order *o) { o->kind = UPQR_JOURNAL_KIND_NONE; }
static void spoil_orig(upqr_journal_order *o) { strcpy(o->orig_order_id, "ORD0000009"); }

static void jc_test_begin_refuses_bad_input(void **state)
{
	jc *t = *state;
	static const jc_spoil spoils[] = {
		spoil_mer, spoil_mer_chars, spoil_order_short, spoil_order_chars,
		spoil_order_unterminated, spoil_time_len, spoil_time_month, spoil_time_hour,
		spoil_amount_zero, spoil_amount_neg, spoil_amount_big, spoil_currency,
		spoil_currency_alpha, spoil_kind, spoil_kind_none, spoil_orig,
	};
	upqr_journal_record r;
	memset(&r, 0x5a, sizeof(r));
	upqr_journal_record untouched = r;
	for (size_t i = 0; i < sizeof(spoils) / sizeof(spoils[0]); i++) {
		upqr_journal_order o;
		jc_order(&o, UPQR_JOURNAL_CONSUME_QRNO, "ORD0000001", 100, NULL);
		spoils[i](&o);
		int rc = upqr_journal_begin(&r, t->j, &o);
		if (rc != UPQR_EINVAL)
			fail_msg("spoil %zu: %s", i, upqr_status_name(rc));
		assert_true(strlen(upqr_journal_last_error(t->j)) > 0);
		assert_memory_equal(&r, &untouched, sizeof(r));
	}
	/* A reversal takes its orderId from the original; refunds need the original named. */
	upqr_journal_order o;
	jc_order(&o, UPQR_JOURNAL_REVERSAL, "", 0, "ORD0000001");
	strcpy(o.order_id, "ORD0000001");
	assert_int_equal(upqr_journal_begin(&r, t->j, &o), UPQR_EINVAL);
	jc_order(&o, UPQR_JOURNAL_REFUND, "REF0000001", 100, NULL);
	assert_int_equal(upqr_journal_begin(&r, t->j, &o), UPQR_EINVAL);
	assert_int_equal(upqr_journal_begin(NULL, t->j, &o), UPQR_EINVAL);
	assert_int_equal(upqr_journal_begin(&r, t->j, NULL), UPQR_EINVAL);
	assert_int_equal(upqr_journal_begin(&r, NULL, &o), UPQR_EINVAL);
	assert_int_equal(jc_unfinished_count(t->j), 0);
}

static void jc_test_duplicate_order(void **state)
{
	jc *t = *state;
	jc_begin(t->j, UPQR_JOURNAL_CONSUME_QRNO, "ORD0000001", 100, NULL);
	upqr_journal_order o;
	upqr_journal_record r;
	jc_order(&o, UPQR_JOURNAL_APPLY_QR, "ORD0000001", 200, NULL);
	assert_int_equal(upqr_journal_begin(&r, t->j, &o), UPQR_EDUPLICATE);
	assert_non_null(strstr(upqr_journal_last_error(t->j), "ORD0000001"));
	/* The key is merId + orderId: another merchant may use the same orderId. */
	strcpy(o.mer_id, "777290058110049");
	assert_int_equal(upqr_journal_begin(&r, t->j, &o), UPQR_OK);
	assert_int_equal(jc_unfinished_count(t->j), 2);
}

/* ---- transitions -------------------------------------------------------------- */

static void jc_test_transition_path(void **state)
{
	jc *t = *state;
	upqr_journal_record r = jc_begin(t->j, UPQR_JOURNAL_CONSUME_QRNO, "ORD0000001", 500, NULL);
	t->now += 1000;
	upqr_journal_update u;
	memset(&u, 0, sizeof(u));
	strcpy(u.resp_code, "03");
	strcpy(u.resp_msg, "通讯超时[9100003]");
	upqr_journal_record s;
	assert_int_equal(upqr_journal_transition(&s, t->j, r.id, UPQR_JOURNAL_UNKNOWN, &u), UPQR_OK);
	assert_int_equal(s.state, UPQR_JOURNAL_UNKNOWN);
	assert_string_equal(s.resp_code, "03");
	assert_string_equal(s.resp_msg, "通讯超时[9100003]");
	assert_int_equal(s.updated_ms, t->now);
	assert_int_equal(s.lease_until_ms, t->now + JC_LEASE);  /* renewed */
	/* A query that leaves it open: an attempt, same state. */
	t->now += 1000;
	memset(&u, 0, sizeof(u));
	strcpy(u.resp_code, "00");
	strcpy(u.orig_resp_code, "05");
	assert_int_equal(upqr_journal_note_attempt(&s, t->j, r.id, &u), UPQR_OK);
	assert_int_equal(s.attempts, 1);
	assert_int_equal(s.state, UPQR_JOURNAL_UNKNOWN);
	assert_string_equal(s.orig_resp_code, "05");
	assert_int_equal(upqr_journal_note_attempt(NULL, t->j, r.id, NULL), UPQR_OK);
	assert_int_equal(jc_get(t->j, r.id).attempts, 2);
	s = jc_move(t->j, r.id, UPQR_JOURNAL_ACCEPTED);
	memset(&u, 0, sizeof(u));
	strcpy(u.resp_code, "00");
	strcpy(u.orig_resp_code, "00");
	strcpy(u.query_id, "782209081322060674028");
	assert_int_equal(upqr_journal_transition(&s, t->j, r.id, UPQR_JOURNAL_SUCCESS, &u), UPQR_OK);
	assert_int_equal(s.state, UPQR_JOURNAL_SUCCESS);
	assert_string_equal(s.query_id, "782209081322060674028");
	assert_string_equal(s.owner, "");          /* final: the claim is gone */
	assert_int_equal(s.lease_until_ms, 0);
	assert_int_equal(jc_unfinished_count(t->j), 0);
	/* A final record keeps the answer that made it final; older news changes nothing. */
	upqr_journal_record fin = s;
	memset(&u, 0, sizeof(u));
	strcpy(u.resp_code, "A6");
	assert_int_equal(upqr_journal_transition(&s, t->j, r.id, UPQR_JOURNAL_SUCCESS, &u), UPQR_OK);
	assert_string_equal(s.resp_code, "00");
	strcpy(u.resp_code, "03");
	assert_int_equal(upqr_journal_note_attempt(&s, t->j, r.id, &u), UPQR_OK);
	assert_memory_equal(&s, &fin, sizeof(s));
	assert_int_equal(upqr_journal_transition(&s, t->j, r.id, UPQR_JOURNAL_UNKNOWN, &u), UPQR_OK);
	assert_memory_equal(&s, &fin, sizeof(s));
	/* A stale "unknown" for an accepted order keeps what the order had. */
	upqr_journal_record a = jc_begin(t->j, UPQR_JOURNAL_APPLY_QR, "QRC0000001", 500, NULL);
	memset(&u, 0, sizeof(u));
	strcpy(u.resp_code, "00");
	assert_int_equal(upqr_journal_transition(&a, t->j, a.id, UPQR_JOURNAL_ACCEPTED, &u), UPQR_OK);
	strcpy(u.resp_code, "03");
	t->now += 5;
	assert_int_equal(upqr_journal_transition(&a, t->j, a.id, UPQR_JOURNAL_UNKNOWN, &u), UPQR_OK);
	assert_int_equal(a.state, UPQR_JOURNAL_ACCEPTED);
	assert_string_equal(a.resp_code, "00");
	assert_int_equal(a.lease_until_ms, t->now + JC_LEASE);  /* still being worked on */
	/* A different queryId for the same order is a contradiction. */
	upqr_journal_record r2 = jc_begin(t->j, UPQR_JOURNAL_CONSUME_QRNO, "ORD0000002", 500, NULL);
	memset(&u, 0, sizeof(u));
	strcpy(u.query_id, "111111111111111111111");
	assert_int_equal(upqr_journal_transition(&s, t->j, r2.id, UPQR_JOURNAL_UNKNOWN, &u), UPQR_OK);
	strcpy(u.query_id, "222222222222222222222");
	assert_int_equal(upqr_journal_transition(&s, t->j, r2.id, UPQR_JOURNAL_SUCCESS, &u), UPQR_ESTATE);
	assert_int_equal(jc_get(t->j, r2.id).state, UPQR_JOURNAL_UNKNOWN);
	/* Bad update fields and ids. */
	memset(&u, 0, sizeof(u));
	strcpy(u.resp_code, "0");
	assert_int_equal(upqr_journal_transition(&s, t->j, r2.id, UPQR_JOURNAL_FAILED, &u), UPQR_EINVAL);
	memset(&u, 0, sizeof(u));
	strcpy(u.query_id, "78220908-1322");
	assert_int_equal(upqr_journal_transition(&s, t->j, r2.id, UPQR_JOURNAL_FAILED, &u), UPQR_EINVAL);
	memset(&u, 0, sizeof(u));
	strcpy(u.resp_msg, "\xb3\xc9\xb9\xa6");  /* GBK, not UTF-8 */
	assert_int_equal(upqr_journal_transition(&s, t->j, r2.id, UPQR_JOURNAL_FAILED, &u), UPQR_EINVAL);
	assert_non_null(strstr(upqr_journal_last_error(t->j), "respMsg"));
	assert_int_equal(upqr_journal_transition(&s, t->j, 987654, UPQR_JOURNAL_FAILED, NULL),
			UPQR_ENOTFOUND);
	assert_int_equal(upqr_journal_transition(&s, t->j, r2.id, (upqr_journal_state)0, NULL),
			UPQR_EINVAL);
	assert_int_equal(upqr_journal_transition(&s, t->j, r2.id, (upqr_journal_state)9, NULL),
			UPQR_EINVAL);
	assert_int_equal(jc_get(t->j, r2.id).state, UPQR_JOURNAL_UNKNOWN);
	/* A long respMsg is cut at a character boundary, never mid-character. */
	memset(&u, 0, sizeof(u));
	for (size_t i = 0; i + 3 <= UPQR_JOURNAL_RESP_MSG_MAX; i += 3)
		memcpy(u.resp_msg + i, "交", 3);
	assert_int_equal(upqr_journal_note_attempt(&s, t->j, r2.id, &u), UPQR_OK);
	assert_int_equal(strlen(s.resp_msg) % 3, 0);
}

/* Puts a fresh record of kind into state `st` by legal means; returns its id. */
static int64_t jc_record_in(jc *t, upqr_journal_state st, int n)
{
	char id[16], orig[16];
	snprintf(id, sizeof(id), "ORD%07d", n);
	snprintf(orig, sizeof(orig), "ORG%07d", n);
	upqr_journal_record r;
	switch (st) {
	case UPQR_JOURNAL_VOIDED:
		r = jc_paid(t->j, id, 100);
		jc_move(t->j, jc_begin(t->j, UPQR_JOURNAL_VOID, orig, 100, id).id, UPQR_JOURNAL_SUCCESS);
		break;
	case UPQR_JOURNAL_REFUNDED:
		r = jc_paid(t->j, id, 100);
		jc_move(t->j, jc_begin(t->j, UPQR_JOURNAL_REFUND, orig, 100, id).id, UPQR_JOURNAL_SUCCESS);
		break;
	case UPQR_JOURNAL_REVERSED:
		r = jc_begin(t->j, UPQR_JOURNAL_CONSUME_QRNO, id, 100, NULL);
		jc_move(t->j, r.id, UPQR_JOURNAL_UNKNOWN);
		jc_move(t->j, jc_begin(t->j, UPQR_JOURNAL_REVERSAL, NULL, 0, id).id, UPQR_JOURNAL_SUCCESS);
		break;
	default:
		r = jc_begin(t->j, UPQR_JOURNAL_CONSUME_QRNO, id, 100, NULL);
		if (st == UPQR_JOURNAL_ACCEPTED)
			jc_move(t->j, r.id, UPQR_JOURNAL_UNKNOWN);
		if (st != UPQR_JOURNAL_PENDING)
			jc_move(t->j, r.id, st);
	}
	assert_int_equal(jc_get(t->j, r.id).state, st);
	return r.id;
}

static void jc_test_every_transition(void **state)
{
	jc *t = *state;
	/* Independent of the library's table: 1 = changes, 2 = accepted unchanged, 0 = refused.
	 * Rows: from PENDING..REFUNDED; columns: to PENDING..REFUNDED. */
	static const int expect[8][8] = {
		/*             PEND UNKN ACCP SUCC FAIL VOID REVR REFD */
		/* PENDING  */ { 2, 1, 1, 1, 1, 0, 0, 0 },
		/* UNKNOWN  */ { 0, 2, 1, 1, 1, 0, 0, 0 },
		/* ACCEPTED */ { 0, 2, 2, 1, 1, 0, 0, 0 },
		/* SUCCESS  */ { 0, 2, 2, 2, 0, 0, 0, 0 },
		/* FAILED   */ { 0, 2, 2, 0, 2, 0, 0, 0 },
		/* VOIDED   */ { 0, 2, 2, 2, 0, 0, 0, 0 },
		/* REVERSED */ { 0, 2, 2, 2, 2, 0, 0, 0 },
		/* REFUNDED */ { 0, 2, 2, 2, 0, 0, 0, 0 },
	};
	int n = 0;
	for (int from = 1; from <= 8; from++) {
		for (int to = 1; to <= 8; to++) {
			assert_int_equal(upqr_journal_transition_legal(UPQR_JOURNAL_CONSUME_QRNO,
					(upqr_journal_state)from, (upqr_journal_state)to), expect[from - 1][to - 1]);
			int64_t id = jc_record_in(t, (upqr_journal_state)from, ++n);
			upqr_journal_record before = jc_get(t->j, id), after;
			t->now += 10;
			int rc = upqr_journal_transition(&after, t->j, id, (upqr_journal_state)to, NULL);
			upqr_journal_record now = jc_get(t->j, id);
			if (expect[from - 1][to - 1] == 0) {
				if (rc != UPQR_ESTATE)
					fail_msg("%s -> %s: %s", upqr_journal_state_name(from),
							upqr_journal_state_name(to), upqr_status_name(rc));
				assert_memory_equal(&before, &now, sizeof(now));
			} else {
				assert_int_equal(rc, UPQR_OK);
				assert_int_equal(now.state, expect[from - 1][to - 1] == 1 ? to : from);
				assert_memory_equal(&after, &now, sizeof(now));
			}
		}
	}
	assert_int_equal(upqr_journal_transition_legal((upqr_journal_kind)0, UPQR_JOURNAL_PENDING,
			UPQR_JOURNAL_SUCCESS), 0);
	assert_int_equal(upqr_journal_state_is_final(UPQR_JOURNAL_ACCEPTED), 0);
	assert_int_equal(upqr_journal_state_is_final(UPQR_JOURNAL_REFUNDED), 1);
	assert_string_equal(upqr_journal_state_name(UPQR_JOURNAL_REVERSED), "REVERSED");
	assert_string_equal(upqr_journal_state_name((upqr_journal_state)42), "?");
	assert_string_equal(upqr_journal_kind_name(UPQR_JOURNAL_CONSUME_CPM), "CONSUME_CPM");
	assert_string_equal(upqr_journal_kind_name((upqr_journal_kind)0), "?");
}

/* ---- refunds, voids, reversals -------------------------------------------------- */

static int jc_try(upqr_journal *j, upqr_journal_kind kind, const char *order_id, int64_t amount,
		const char *orig)
{
	upqr_journal_order o;
	upqr_journal_record r;
	jc_order(&o, kind, order_id, amount, orig);
	return upqr_journal_begin(&r, j, &o);
}

static void jc_test_refund_guard(void **state)
{
	jc *t = *state;
	upqr_journal_record p = jc_paid(t->j, "PAY0000001", 1000);
	upqr_journal_record r1 = jc_begin(t->j, UPQR_JOURNAL_REFUND, "REF0000001", 600, "PAY0000001");
	assert_int_equal(r1.orig_id, p.id);
	assert_string_equal(r1.orig_order_id, "PAY0000001");
	assert_string_equal(r1.orig_txn_time, p.txn_time);
	assert_int_equal(jc_try(t->j, UPQR_JOURNAL_REFUND, "REF0000002", 401, "PAY0000001"),
			UPQR_EOVERREFUND);
	assert_non_null(strstr(upqr_journal_last_error(t->j), "PAY0000001"));
	upqr_journal_record r2 = jc_begin(t->j, UPQR_JOURNAL_REFUND, "REF0000003", 400, "PAY0000001");
	assert_int_equal(jc_try(t->j, UPQR_JOURNAL_REFUND, "REF0000004", 1, "PAY0000001"),
			UPQR_EOVERREFUND);
	/* A failed refund frees its amount again. */
	jc_move(t->j, r2.id, UPQR_JOURNAL_FAILED);
	upqr_journal_record r3 = jc_begin(t->j, UPQR_JOURNAL_REFUND, "REF0000005", 400, "PAY0000001");
	/* Refunds reaching SUCCESS raise refunded_total; the last makes it REFUNDED. */
	jc_move(t->j, r1.id, UPQR_JOURNAL_UNKNOWN);
	jc_move(t->j, r1.id, UPQR_JOURNAL_SUCCESS);
	p = jc_get(t->j, p.id);
	assert_int_equal(p.refunded_total, 600);
	assert_int_equal(p.state, UPQR_JOURNAL_SUCCESS);
	jc_move(t->j, r1.id, UPQR_JOURNAL_SUCCESS);  /* a duplicate answer counts once */
	assert_int_equal(jc_get(t->j, p.id).refunded_total, 600);
	jc_move(t->j, r3.id, UPQR_JOURNAL_SUCCESS);
	p = jc_get(t->j, p.id);
	assert_int_equal(p.refunded_total, 1000);
	assert_int_equal(p.state, UPQR_JOURNAL_REFUNDED);
	assert_int_equal(jc_try(t->j, UPQR_JOURNAL_REFUND, "REF0000006", 1, "PAY0000001"), UPQR_ESTATE);
	/* The original must exist, be paid, and be in the same currency. */
	assert_int_equal(jc_try(t->j, UPQR_JOURNAL_REFUND, "REF0000007", 1, "PAY0000099"),
			UPQR_ENOTFOUND);
	jc_begin(t->j, UPQR_JOURNAL_CONSUME_QRNO, "PAY0000002", 1000, NULL);
	assert_int_equal(jc_try(t->j, UPQR_JOURNAL_REFUND, "REF0000008", 1, "PAY0000002"), UPQR_ESTATE);
	jc_paid(t->j, "PAY0000003", 1000);
	upqr_journal_order o;
	upqr_journal_record r;
	jc_order(&o, UPQR_JOURNAL_REFUND, "REF0000009", 10, "PAY0000003");
	strcpy(o.currency, "840");
	assert_int_equal(upqr_journal_begin(&r, t->j, &o), UPQR_ESTATE);
	/* Only a payment can be refunded, not a refund. */
	jc_move(t->j, jc_begin(t->j, UPQR_JOURNAL_REFUND, "REF0000010", 10, "PAY0000003").id,
			UPQR_JOURNAL_SUCCESS);
	assert_int_equal(jc_try(t->j, UPQR_JOURNAL_REFUND, "REF0000011", 1, "REF0000010"), UPQR_ESTATE);
	/* A refund's orderId is its own: reusing the original's is a duplicate. */
	assert_int_equal(jc_try(t->j, UPQR_JOURNAL_REFUND, "PAY0000003", 1, "PAY0000003"),
			UPQR_EDUPLICATE);
}

static void jc_test_void(void **state)
{
	jc *t = *state;
	upqr_journal_record p = jc_paid(t->j, "PAY0000001", 1000);
	assert_int_equal(jc_try(t->j, UPQR_JOURNAL_VOID, "VOI0000001", 999, "PAY0000001"), UPQR_ESTATE);
	upqr_journal_record r = jc_begin(t->j, UPQR_JOURNAL_REFUND, "REF0000001", 1, "PAY0000001");
	assert_int_equal(jc_try(t->j, UPQR_JOURNAL_VOID, "VOI0000002", 1000, "PAY0000001"),
			UPQR_EOVERREFUND);
	jc_move(t->j, r.id, UPQR_JOURNAL_FAILED);
	upqr_journal_record v = jc_begin(t->j, UPQR_JOURNAL_VOID, "VOI0000003", 1000, "PAY0000001");
	assert_int_equal(jc_try(t->j, UPQR_JOURNAL_REFUND, "REF0000002", 1, "PAY0000001"),
			UPQR_EOVERREFUND);
	assert_int_equal(jc_try(t->j, UPQR_JOURNAL_VOID, "VOI0000004", 1000, "PAY0000001"),
			UPQR_EOVERREFUND);
	jc_move(t->j, v.id, UPQR_JOURNAL_SUCCESS);
	p = jc_get(t->j, p.id);
	assert_int_equal(p.state, UPQR_JOURNAL_VOIDED);
	assert_int_equal(p.refunded_total, 0);
	assert_int_equal(jc_try(t->j, UPQR_JOURNAL_VOID, "VOI0000005", 1000, "PAY0000001"), UPQR_ESTATE);
	/* A late SUCCESS for the voided payment agrees with its history. */
	assert_int_equal(jc_move(t->j, p.id, UPQR_JOURNAL_SUCCESS).state, UPQR_JOURNAL_VOIDED);
	/* A paid merchant-presented QR can be voided too. */
	upqr_journal_record q = jc_begin(t->j, UPQR_JOURNAL_APPLY_QR, "QRC0000001", 300, NULL);
	jc_move(t->j, q.id, UPQR_JOURNAL_ACCEPTED);
	jc_move(t->j, q.id, UPQR_JOURNAL_SUCCESS);
	jc_move(t->j, jc_begin(t->j, UPQR_JOURNAL_VOID, "VOI0000006", 300, "QRC0000001").id,
			UPQR_JOURNAL_SUCCESS);
	assert_int_equal(jc_get(t->j, q.id).state, UPQR_JOURNAL_VOIDED);
}

static void jc_test_reversal(void **state)
{
	jc *t = *state;
	upqr_journal_record c = jc_begin(t->j, UPQR_JOURNAL_CONSUME_CPM, "PAY0000001", 700, NULL);
	jc_move(t->j, c.id, UPQR_JOURNAL_UNKNOWN);
	upqr_journal_record v = jc_begin(t->j, UPQR_JOURNAL_REVERSAL, NULL, 0, "PAY0000001");
	assert_int_equal(v.kind, UPQR_JOURNAL_REVERSAL);
	assert_string_equal(v.order_id, "PAY0000001");     /* UnionPay's key for a reversal */
	assert_string_equal(v.txn_time, c.txn_time);
	assert_int_equal(v.amount, 700);
	assert_int_equal(v.orig_id, c.id);
	upqr_journal_record f;
	assert_int_equal(upqr_journal_find(&f, t->j, JC_MER, "PAY0000001", UPQR_JOURNAL_REVERSAL),
			UPQR_OK);
	assert_int_equal(f.id, v.id);
	assert_int_equal(upqr_journal_find(&f, t->j, JC_MER, "PAY0000001", UPQR_JOURNAL_KIND_NONE),
			UPQR_OK);
	assert_int_equal(f.id, c.id);
	assert_int_equal(jc_try(t->j, UPQR_JOURNAL_REVERSAL, NULL, 0, "PAY0000001"), UPQR_EDUPLICATE);
	/* The consume turns out paid while the reversal is open: no refund on top of it. */
	jc_move(t->j, c.id, UPQR_JOURNAL_SUCCESS);
	assert_int_equal(jc_try(t->j, UPQR_JOURNAL_REFUND, "REF0000001", 10, "PAY0000001"), UPQR_ESTATE);
	jc_move(t->j, v.id, UPQR_JOURNAL_SUCCESS);
	c = jc_get(t->j, c.id);
	assert_int_equal(c.state, UPQR_JOURNAL_REVERSED);
	assert_string_equal(c.owner, "");
	/* Late answers for the consume agree with a reversed history. */
	assert_int_equal(jc_move(t->j, c.id, UPQR_JOURNAL_FAILED).state, UPQR_JOURNAL_REVERSED);
	/* Only consumes, not failed ones, not merchant-presented QR. */
	jc_move(t->j, jc_begin(t->j, UPQR_JOURNAL_CONSUME_QRNO, "PAY0000002", 5, NULL).id,
			UPQR_JOURNAL_FAILED);
	assert_int_equal(jc_try(t->j, UPQR_JOURNAL_REVERSAL, NULL, 0, "PAY0000002"), UPQR_ESTATE);
	jc_begin(t->j, UPQR_JOURNAL_APPLY_QR, "QRC0000001", 5, NULL);
	assert_int_equal(jc_try(t->j, UPQR_JOURNAL_REVERSAL, NULL, 0, "QRC0000001"), UPQR_ESTATE);
	/* A reversal of a consume that had failed anyway leaves it FAILED. */
	upqr_journal_record d = jc_begin(t->j, UPQR_JOURNAL_CONSUME_QRNO, "PAY0000003", 5, NULL);
	upqr_journal_record w = jc_begin(t->j, UPQR_JOURNAL_REVERSAL, NULL, 0, "PAY0000003");
	jc_move(t->j, d.id, UPQR_JOURNAL_FAILED);
	jc_move(t->j, w.id, UPQR_JOURNAL_SUCCESS);
	assert_int_equal(jc_get(t->j, d.id).state, UPQR_JOURNAL_FAILED);
	/* A failed reversal leaves a paid consume refundable. */
	upqr_journal_record e = jc_begin(t->j, UPQR_JOURNAL_CONSUME_QRNO, "PAY0000004", 50, NULL);
	jc_move(t->j, jc_begin(t->j, UPQR_JOURNAL_REVERSAL, NULL, 0, "PAY0000004").id,
			UPQR_JOURNAL_FAILED);
	jc_move(t->j, e.id, UPQR_JOURNAL_SUCCESS);
	assert_int_equal(jc_try(t->j, UPQR_JOURNAL_REFUND, "REF0000002", 50, "PAY0000004"), UPQR_OK);
}

/* ---- claims ------------------------------------------------------------------- */

static void jc_test_claims(void **state)
{
	jc *t = *state;
	upqr_journal *b = jc_open_owner(t, "owner-b");
	upqr_journal_record r = jc_begin(t->j, UPQR_JOURNAL_CONSUME_QRNO, "ORD0000001", 100, NULL);
	upqr_journal_record got[8];
	size_t n = 9;
	/* A's lease is live: B gets nothing and may not act. */
	assert_int_equal(upqr_journal_claim_unfinished(got, 8, &n, b), UPQR_OK);
	assert_int_equal(n, 0);
	assert_int_equal(upqr_journal_transition(NULL, b, r.id, UPQR_JOURNAL_FAILED, NULL), UPQR_ECLAIMED);
	assert_non_null(strstr(upqr_journal_last_error(b), "owner-a"));
	assert_int_equal(upqr_journal_note_attempt(NULL, b, r.id, NULL), UPQR_ECLAIMED);
	assert_int_equal(upqr_journal_release(b, r.id), UPQR_ECLAIMED);
	/* A's own claim includes what it owns. */
	assert_int_equal(upqr_journal_claim_unfinished(got, 8, &n, t->j), UPQR_OK);
	assert_int_equal(n, 1);
	/* The lease lapses (A crashed): B takes over, and now A may not act. */
	t->now += JC_LEASE + 1;
	assert_int_equal(upqr_journal_claim_unfinished(got, 8, &n, b), UPQR_OK);
	assert_int_equal(n, 1);
	assert_int_equal(got[0].id, r.id);
	assert_string_equal(got[0].owner, "owner-b");
	assert_int_equal(got[0].lease_until_ms, t->now + JC_LEASE);
	upqr_journal_record g = jc_get(t->j, r.id);
	assert_memory_equal(&g, &got[0], sizeof(g));
	assert_int_equal(upqr_journal_transition(NULL, t->j, r.id, UPQR_JOURNAL_UNKNOWN, NULL),
			UPQR_ECLAIMED);
	assert_int_equal(upqr_journal_claim_unfinished(got, 8, &n, t->j), UPQR_OK);
	assert_int_equal(n, 0);
	/* B gives it back: A may claim it at once. */
	assert_int_equal(upqr_journal_release(b, r.id), UPQR_OK);
	assert_string_equal(jc_get(b, r.id).owner, "");
	assert_int_equal(upqr_journal_release(b, r.id), UPQR_OK);  /* unclaimed: no-op */
	assert_int_equal(upqr_journal_claim_unfinished(got, 8, &n, t->j), UPQR_OK);
	assert_int_equal(n, 1);
	assert_int_equal(upqr_journal_release(t->j, 424242), UPQR_ENOTFOUND);
	assert_int_equal(upqr_journal_release(t->j, 0), UPQR_EINVAL);
	/* Disjoint batches: 11 lapsed orders, A takes 4, B the other 7. */
	for (int i = 2; i <= 11; i++) {
		char id[16];
		snprintf(id, sizeof(id), "ORD%07d", i);
		jc_begin(t->j, UPQR_JOURNAL_CONSUME_QRNO, id, 100, NULL);
	}
	t->now += JC_LEASE + 1;
	upqr_journal_record a4[4], b8[8];
	size_t na = 0, nb = 0;
	assert_int_equal(upqr_journal_claim_unfinished(a4, 4, &na, t->j), UPQR_OK);
	assert_int_equal(upqr_journal_claim_unfinished(b8, 8, &nb, b), UPQR_OK);
	assert_int_equal(na, 4);
	assert_int_equal(nb, 7);
	for (size_t i = 0; i < na; i++)
		for (size_t k = 0; k < nb; k++)
			assert_true(a4[i].id != b8[k].id);
	/* Finished records are never claimed; a final transition clears the claim. */
	for (size_t k = 0; k < nb; k++)
		jc_move(b, b8[k].id, UPQR_JOURNAL_FAILED);
	t->now += JC_LEASE + 1;
	assert_int_equal(upqr_journal_claim_unfinished(b8, 8, &nb, b), UPQR_OK);
	assert_int_equal(nb, 4);
	assert_int_equal(upqr_journal_claim_unfinished(NULL, 0, &nb, b), UPQR_OK);
	assert_int_equal(nb, 0);
	assert_int_equal(upqr_journal_claim_unfinished(NULL, 3, &nb, b), UPQR_EINVAL);
	upqr_journal_free(b);
}

static void jc_test_list_unfinished(void **state)
{
	jc *t = *state;
	int64_t ids[5];
	for (int i = 0; i < 5; i++) {
		char id[16];
		snprintf(id, sizeof(id), "ORD%07d", i);
		ids[i] = jc_begin(t->j, UPQR_JOURNAL_CONSUME_QRNO, id, 100, NULL).id;
	}
	jc_move(t->j, ids[1], UPQR_JOURNAL_SUCCESS);
	jc_move(t->j, ids[3], UPQR_JOURNAL_ACCEPTED);
	upqr_journal_record got[8];
	size_t n = 0;
	assert_int_equal(upqr_journal_list_unfinished(got, 8, &n, t->j), UPQR_OK);
	assert_int_equal(n, 4);
	assert_int_equal(got[0].id, ids[0]);
	assert_int_equal(got[1].id, ids[2]);
	assert_int_equal(got[2].id, ids[3]);
	assert_int_equal(got[2].state, UPQR_JOURNAL_ACCEPTED);
	assert_int_equal(upqr_journal_list_unfinished(got, 2, &n, t->j), UPQR_OK);
	assert_int_equal(n, 2);
	/* Listing takes no claim. */
	upqr_journal *b = jc_open_owner(t, "owner-b");
	assert_int_equal(upqr_journal_list_unfinished(got, 8, &n, b), UPQR_OK);
	assert_int_equal(n, 4);
	assert_string_equal(got[0].owner, "owner-a");
	upqr_journal_free(b);
}

/* ---- notifications --------------------------------------------------------------- */

static void jc_note(upqr_journal_notification *n, const char *order_id, const char *query_id,
		upqr_journal_state outcome)
{
	memset(n, 0, sizeof(*n));
	strcpy(n->query_id, query_id);
	strcpy(n->mer_id, JC_MER);
	strcpy(n->order_id, order_id);
	strcpy(n->txn_time, "20261207113000");
	n->outcome = outcome;
	strcpy(n->resp_code, "00");
	strcpy(n->orig_resp_code, outcome == UPQR_JOURNAL_SUCCESS ? "00" : "66");
}

static void jc_test_notifications(void **state)
{
	jc *t = *state;
	upqr_journal_record c = jc_begin(t->j, UPQR_JOURNAL_CONSUME_QRNO, "PAY0000001", 1000, NULL);
	jc_move(t->j, c.id, UPQR_JOURNAL_ACCEPTED);
	/* Booked even though another process holds the claim: it is a fact, not an action. */
	upqr_journal *b = jc_open_owner(t, "owner-b");
	upqr_journal_notification n;
	upqr_journal_record r;
	int is_new = 7;
	jc_note(&n, "PAY0000001", "782209081322060674028", UPQR_JOURNAL_SUCCESS);
	n.amount = 1000;
	assert_int_equal(upqr_journal_book_notification(&is_new, &r, b, &n), UPQR_OK);
	assert_int_equal(is_new, 1);
	assert_int_equal(r.state, UPQR_JOURNAL_SUCCESS);
	assert_string_equal(r.query_id, "782209081322060674028");
	assert_string_equal(r.orig_resp_code, "00");
	/* The same notification again (UnionPay resends): booked once, reply 200 again. */
	assert_int_equal(upqr_journal_book_notification(&is_new, &r, b, &n), UPQR_OK);
	assert_int_equal(is_new, 0);
	assert_int_equal(upqr_journal_book_notification(&is_new, NULL, t->j, &n), UPQR_OK);
	assert_int_equal(is_new, 0);
	/* The same queryId for another order, a contradicting outcome, an unknown order. */
	jc_begin(t->j, UPQR_JOURNAL_CONSUME_QRNO, "PAY0000002", 1000, NULL);
	jc_note(&n, "PAY0000002", "782209081322060674028", UPQR_JOURNAL_SUCCESS);
	assert_int_equal(upqr_journal_book_notification(&is_new, &r, b, &n), UPQR_ESTATE);
	jc_note(&n, "PAY0000001", "782209081322060674099", UPQR_JOURNAL_FAILED);
	assert_int_equal(upqr_journal_book_notification(&is_new, &r, b, &n), UPQR_ESTATE);
	assert_int_equal(upqr_journal_book_notification(&is_new, &r, b, &n), UPQR_ESTATE);  /* not booked */
	jc_note(&n, "PAY0000077", "782209081322060674100", UPQR_JOURNAL_SUCCESS);
	assert_int_equal(upqr_journal_book_notification(&is_new, &r, b, &n), UPQR_ENOTFOUND);
	/* A mismatching txnTime or amount is refused; nothing changes. */
	jc_note(&n, "PAY0000002", "782209081322060674101", UPQR_JOURNAL_SUCCESS);
	strcpy(n.txn_time, "20261207113001");
	assert_int_equal(upqr_journal_book_notification(&is_new, &r, b, &n), UPQR_ESTATE);
	jc_note(&n, "PAY0000002", "782209081322060674101", UPQR_JOURNAL_SUCCESS);
	n.amount = 999;
	assert_int_equal(upqr_journal_book_notification(&is_new, &r, b, &n), UPQR_ESTATE);
	assert_int_equal(jc_get(t->j, jc_begin(t->j, UPQR_JOURNAL_APPLY_QR, "QRC0000001", 0,
			NULL).id).amount, 0);
	/* A failure notification (respCode 00, origRespCode 66) books FAILED. */
	jc_note(&n, "PAY0000002", "782209081322060674101", UPQR_JOURNAL_FAILED);
	assert_int_equal(upqr_journal_book_notification(&is_new, &r, b, &n), UPQR_OK);
	assert_int_equal(is_new, 1);
	assert_int_equal(r.state, UPQR_JOURNAL_FAILED);
	assert_string_equal(r.orig_resp_code, "66");
	/* An open-amount QR learns its amount from the notification. */
	jc_note(&n, "QRC0000001", "782209081322060674102", UPQR_JOURNAL_SUCCESS);
	n.amount = 4321;
	assert_int_equal(upqr_journal_book_notification(&is_new, &r, t->j, &n), UPQR_OK);
	assert_int_equal(r.amount, 4321);
	assert_int_equal(r.state, UPQR_JOURNAL_SUCCESS);
	/* A refund's notification raises its original's refunded_total, once. */
	upqr_journal_record f = jc_begin(t->j, UPQR_JOURNAL_REFUND, "REF0000001", 300, "PAY0000001");
	jc_move(t->j, f.id, UPQR_JOURNAL_ACCEPTED);
	jc_note(&n, "REF0000001", "782209081322060674200", UPQR_JOURNAL_SUCCESS);
	assert_int_equal(upqr_journal_book_notification(&is_new, &r, b, &n), UPQR_OK);
	assert_int_equal(is_new, 1);
	assert_int_equal(upqr_journal_book_notification(&is_new, &r, b, &n), UPQR_OK);
	assert_int_equal(is_new, 0);
	assert_int_equal(jc_get(t->j, c.id).refunded_total, 300);
	/* Bad input. */
	jc_note(&n, "PAY0000001", "", UPQR_JOURNAL_SUCCESS);
	assert_int_equal(upqr_journal_book_notification(&is_new, &r, b, &n), UPQR_EINVAL);
	jc_note(&n, "PAY0000001", "782209081322060674300", UPQR_JOURNAL_ACCEPTED);
	assert_int_equal(upqr_journal_book_notification(&is_new, &r, b, &n), UPQR_EINVAL);
	assert_int_equal(upqr_journal_book_notification(NULL, &r, b, &n), UPQR_EINVAL);
	upqr_journal_free(b);
}

/* ---- persistence and processes ------------------------------------------------------ */

static void jc_test_reopen(void **state)
{
	jc *t = *state;
	upqr_journal_record p = jc_paid(t->j, "PAY0000001", 1000);
	upqr_journal_record f = jc_begin(t->j, UPQR_JOURNAL_REFUND, "REF0000001", 300, "PAY0000001");
	upqr_journal_free(t->j);
	t->j = jc_open_owner(t, "owner-a");
	upqr_journal_record g = jc_get(t->j, p.id);
	assert_memory_equal(&g, &p, sizeof(g));
	g = jc_get(t->j, f.id);
	assert_memory_equal(&g, &f, sizeof(g));
	assert_int_equal(jc_try(t->j, UPQR_JOURNAL_REFUND, "REF0000002", 701, "PAY0000001"),
			UPQR_EOVERREFUND);
}

static void jc_test_open_out_of_memory(void **state)
{
	jc *t = *state;
	upqr_journal_options o;
	assert_int_equal(upqr_journal_options_init(&o, UPQR_JOURNAL_OPTIONS_VERSION), UPQR_OK);
	o.location = t->loc;
	tu_alloc_stats st = { 0, 0, 0 };
	for (long k = 0; k < 3; k++) {
		st.allocs = st.frees = 0;
		st.fail_after = k;
		tu_alloc_install(&st);
		upqr_journal *j = NULL;
		int rc = upqr_journal_open(&j, &o, NULL, 0);
		upqr_journal_free(j);
		tu_alloc_uninstall();
		assert_true(rc == UPQR_ENOMEM || rc == UPQR_OK);
		assert_int_equal(st.allocs, st.frees);
	}
}

/*
 * Runs fn(i, fd) in `count` children; each writes int64 results to its pipe.
 * Children use no cmocka assertions (a failure would unwind into the test
 * runner's copy in the child): they _exit with a non-zero code instead, and
 * never touch the parent's handle (an SQLite connection must not cross fork).
 */
typedef void (*jc_child_fn)(jc *t, int i, int fd);

static size_t jc_fork_all(jc *t, int count, jc_child_fn fn, int64_t *results, size_t cap,
		int *owner_of)
{
	int fds[8][2], go[2];
	pid_t pids[8];
	assert_true(count <= 8);
	/* Children wait at this gate until all exist, so they really race. */
	assert_int_equal(pipe(go), 0);
	for (int i = 0; i < count; i++) {
		assert_int_equal(pipe(fds[i]), 0);
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			char c;
			close(fds[i][0]);
			close(go[1]);
			while (read(go[0], &c, 1) > 0)
				;
			close(go[0]);
			fn(t, i, fds[i][1]);
			close(fds[i][1]);
			_exit(0);
		}
		close(fds[i][1]);
	}
	close(go[0]);
	close(go[1]);  /* open the gate */
	size_t n = 0;
	for (int i = 0; i < count; i++) {
		int64_t v;
		while (read(fds[i][0], &v, sizeof(v)) == (ssize_t)sizeof(v)) {
			assert_true(n < cap);
			owner_of[n] = i;
			results[n++] = v;
		}
		close(fds[i][0]);
		int status = 0;
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	return n;
}

/* A child's own handle, owner "<prefix>-<i>"; a child that cannot open exits 2. */
static upqr_journal *jc_child_open(jc *t, const char *prefix, int i)
{
	char owner[32];
	snprintf(owner, sizeof(owner), "%s-%d", prefix, i);
	int rc;
	upqr_journal *j = jc_open_quiet(t, owner, &rc, NULL, 0);
	if (!j)
		_exit(2);
	return j;
}

static void jc_put(int fd, int64_t v)
{
	if (write(fd, &v, sizeof(v)) != (ssize_t)sizeof(v))
		_exit(3);
}

/* Child: claims batches until none are left, acts on each (FAILED), reports ids. */
static void jc_claimer(jc *t, int i, int fd)
{
	upqr_journal *j = jc_child_open(t, "claimer", i);
	upqr_journal_record got[3];
	size_t n;
	do {
		if (upqr_journal_claim_unfinished(got, 3, &n, j) != UPQR_OK)
			_exit(4);
		for (size_t k = 0; k < n; k++) {
			/* The query to the gateway happens here, outside any transaction. */
			struct timespec query = { 0, 1000000 };
			nanosleep(&query, NULL);
			if (upqr_journal_transition(NULL, j, got[k].id, UPQR_JOURNAL_FAILED, NULL) != UPQR_OK)
				_exit(5);
			jc_put(fd, got[k].id);
		}
	} while (n > 0);
	upqr_journal_free(j);
}

static void jc_test_two_processes_claim(void **state)
{
	jc *t = *state;
	enum { ORDERS = 120 };
	for (int i = 0; i < ORDERS; i++) {
		char id[16];
		snprintf(id, sizeof(id), "ORD%07d", i);
		jc_begin(t->j, UPQR_JOURNAL_CONSUME_QRNO, id, 100, NULL);
	}
	t->now += JC_LEASE + 1;  /* the process that began them "crashed" */
	int64_t ids[ORDERS + 8];
	int who[ORDERS + 8];
	size_t n = jc_fork_all(t, 2, jc_claimer, ids, ORDERS + 8, who);
	/* Every order acted on exactly once, by one process. */
	assert_int_equal(n, ORDERS);
	int per[2] = { 0, 0 };
	for (size_t i = 0; i < n; i++) {
		per[who[i]]++;
		for (size_t k = i + 1; k < n; k++)
			assert_true(ids[i] != ids[k]);
	}
	assert_int_equal(jc_unfinished_count(t->j), 0);
	fprintf(stderr, "# claims: %d by process 0, %d by process 1\n", per[0], per[1]);
}

/* Child: tries 30 refunds of 50 on PAY0000001; reports the accepted ones. */
static void jc_refunder(jc *t, int i, int fd)
{
	upqr_journal *j = jc_child_open(t, "refunder", i);
	for (int k = 0; k < 30; k++) {
		char id[16];
		snprintf(id, sizeof(id), "R%d%08d", i, k);
		int rc = jc_try(j, UPQR_JOURNAL_REFUND, id, 50, "PAY0000001");
		if (rc == UPQR_OK)
			jc_put(fd, 50);
		else if (rc != UPQR_EOVERREFUND)
			_exit(6);
	}
	upqr_journal_free(j);
}

static void jc_test_two_processes_refund(void **state)
{
	jc *t = *state;
	upqr_journal_record p = jc_paid(t->j, "PAY0000001", 1000);
	int64_t amounts[64];
	int who[64];
	size_t n = jc_fork_all(t, 2, jc_refunder, amounts, 64, who);
	/* 60 tries of 50 against 1000: exactly 20 pass, whoever wins the races. */
	assert_int_equal(n, 20);
	assert_int_equal(jc_try(t->j, UPQR_JOURNAL_REFUND, "REF9999999", 1, "PAY0000001"),
			UPQR_EOVERREFUND);
	/* Every one of them succeeds: the original ends exactly refunded. */
	upqr_journal_record recs[64];
	size_t m = 0;
	t->now += JC_LEASE + 1;
	assert_int_equal(upqr_journal_claim_unfinished(recs, 64, &m, t->j), UPQR_OK);
	assert_int_equal(m, 20);
	for (size_t i = 0; i < m; i++)
		jc_move(t->j, recs[i].id, UPQR_JOURNAL_SUCCESS);
	p = jc_get(t->j, p.id);
	assert_int_equal(p.refunded_total, 1000);
	assert_int_equal(p.state, UPQR_JOURNAL_REFUNDED);
}

/* Child: books the same notification of PAY0000001 as every other child; reports is_new. */
static void jc_booker(jc *t, int i, int fd)
{
	upqr_journal *j = jc_child_open(t, "booker", i);
	upqr_journal_notification n;
	jc_note(&n, "PAY0000001", "782209081322060674028", UPQR_JOURNAL_SUCCESS);
	upqr_journal_record r;
	int is_new = 0;
	if (upqr_journal_book_notification(&is_new, &r, j, &n) != UPQR_OK
			|| r.state != UPQR_JOURNAL_SUCCESS)
		_exit(7);
	jc_put(fd, is_new);
	upqr_journal_free(j);
}

/* UnionPay sends one notification to several instances at once: booked exactly once. */
static void jc_test_concurrent_notification(void **state)
{
	jc *t = *state;
	upqr_journal_record c = jc_begin(t->j, UPQR_JOURNAL_CONSUME_QRNO, "PAY0000001", 1000, NULL);
	jc_move(t->j, c.id, UPQR_JOURNAL_ACCEPTED);
	int64_t fresh[8];
	int who[8];
	size_t n = jc_fork_all(t, 4, jc_booker, fresh, 8, who);
	assert_int_equal(n, 4);
	assert_int_equal(fresh[0] + fresh[1] + fresh[2] + fresh[3], 1);
	assert_int_equal(jc_get(t->j, c.id).state, UPQR_JOURNAL_SUCCESS);
}

#define JC_TEST(f) cmocka_unit_test_setup_teardown(f, jc_setup, jc_teardown)
#define JC_CONTRACT_TESTS \
	JC_TEST(jc_test_options), \
	JC_TEST(jc_test_begin_get_find), \
	JC_TEST(jc_test_begin_refuses_bad_input), \
	JC_TEST(jc_test_duplicate_order), \
	JC_TEST(jc_test_transition_path), \
	JC_TEST(jc_test_every_transition), \
	JC_TEST(jc_test_refund_guard), \
	JC_TEST(jc_test_void), \
	JC_TEST(jc_test_reversal), \
	JC_TEST(jc_test_claims), \
	JC_TEST(jc_test_list_unfinished), \
	JC_TEST(jc_test_notifications), \
	JC_TEST(jc_test_reopen), \
	JC_TEST(jc_test_open_out_of_memory), \
	JC_TEST(jc_test_two_processes_claim), \
	JC_TEST(jc_test_two_processes_refund), \
	JC_TEST(jc_test_concurrent_notification)

#endif
