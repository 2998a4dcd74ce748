/*
 * test_acquirer_sim.c - the acquirer client against upqr-sim on random
 * loopback ports: every operation, every fault knob of the simulator, forged
 * replies, notifications (duplicates, out of order, foreign query strings,
 * bad signatures), TLS (trust, pinning), keep-alive, kill -9 during orders
 * then recovery, and 4 threads with random faults.
 *
 * Sizes: the crash test runs 40 orders and the thread test 4 x 25 orders;
 * UPQR_SOAK=1 (`make soak`) runs the full 200 and 4 x 250. The query loop is
 * time-scaled (delays of 1..32 ms instead of s). Without a built upqr-sim
 * every test reports itself skipped.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "pgtest.h"
#include "simctl.h"
#include "testutil.h"

/* ---- the world: one simulator, one journal, one notification receiver ---- */

typedef struct client {
	upqr_signer *signer;
	upqr_verifier *verifier;
	upqr_journal *journal;
	upqr_acquirer *acq;
} client;

typedef struct notice {
	char order_id[33];
	int status;
	int duplicate;
	int verified;
	int query_len;
	upqr_outcome outcome;
} notice;

typedef struct world {
	simctl sim;
	bool up;
	char dir[64];
	char journal[512];         /* a file path, or a postgresql:// URL (test_fleet_pg) */
	char notify_url[128];
	simctl_receiver *rx;
	client rxc;                /* the receiver thread's own handles */
	pthread_mutex_t lock;
	notice log[4096];
	size_t nlog;
} world;

static world W;

static void msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0)
		;
}

static bool soak(void)
{
	return getenv("UPQR_SOAK") && strcmp(getenv("UPQR_SOAK"), "0") != 0;
}

typedef struct tweak {
	const char *base_url;
	const char *ca_file;
	const char *pin;
	int insecure;
	long timeout_ms;
	bool no_journal;
	bool merchant2;            /* the simulator's second merchant (merchant2.pfx) */
	bool v500;                 /* 5.0.0: certId + cert_dir, both versions accepted */
	bool sha256;               /* signMethod 11 with the first merchant's secure key */
	bool acquirer;             /* accessType 1 with acqInsCode */
	bool sync_only;
} tweak;

#define SIM_MER2 "777290058110049"
#define SIM_SECURE_KEY "upqr-sim-secure-key-777290058110048"

/* path of a file next to the simulator's root certificate (build/pki/NAME). */
static void pki_file(char *out, size_t cap, const char *name)
{
	const char *slash = strrchr(W.sim.root, '/');
	snprintf(out, cap, "%.*s/%s", slash ? (int)(slash - W.sim.root) : 1, slash ? W.sim.root : ".", name);
}

static int client_open(client *c, const tweak *t)
{
	memset(c, 0, sizeof *c);
	char pfx2[600], certdir[600];
	pki_file(pfx2, sizeof pfx2, "merchant2.pfx");
	pki_file(certdir, sizeof certdir, "sim_certdir");
	upqr_signer_options so = UPQR_SIGNER_OPTIONS_INIT;
	so.pfx_path = t && t->merchant2 ? pfx2 : W.sim.pfx;
	so.password = "000000";
	so.encrypt_cert_path = W.sim.enc_cert;
	upqr_verifier_options vo = UPQR_VERIFIER_OPTIONS_INIT;
	vo.root_cert_path = W.sim.root;
	vo.middle_cert_path = W.sim.middle;
	vo.test_env = 1; /* the simulator can sign with the test-environment CN */
	if (t && t->v500) {
		so.acp_version = UPQR_ACP_5_0_0;
		vo.cert_dir = certdir;
		vo.acp_versions = UPQR_ACCEPT_5_0_0; /* so a 5.1.0 reply would not verify */
	}
	if (t && t->sha256) {
		so.sign_method = UPQR_ACP_SIGN_SHA256;
		so.secure_key = (const uint8_t *)SIM_SECURE_KEY;
		so.secure_key_len = strlen(SIM_SECURE_KEY);
		vo.secure_key = so.secure_key;
		vo.secure_key_len = so.secure_key_len;
		vo.root_cert_path = vo.middle_cert_path = NULL; /* only a signMethod 11 reply verifies */
	}
	upqr_journal_options jo = UPQR_JOURNAL_OPTIONS_INIT;
	jo.location = W.journal;
	jo.lease_ms = 2000;
	char err[256];
	int rc = upqr_signer_new(&c->signer, &so);
	if (rc == UPQR_OK)
		rc = upqr_verifier_new(&c->verifier, &vo);
	if (rc == UPQR_OK && !(t && t->no_journal))
		rc = upqr_journal_open(&c->journal, &jo, err, sizeof err);
	if (rc != UPQR_OK)
		return rc;
	upqr_acquirer_options o = UPQR_ACQUIRER_OPTIONS_INIT;
	o.mer_id = t && t->merchant2 ? SIM_MER2 : W.sim.mer_id;
	o.acp_version = so.acp_version;
	o.sign_method = so.sign_method;
	o.access_type = t && t->acquirer ? "1" : NULL;
	o.acq_ins_code = t && t->acquirer ? "48020000" : NULL;
	o.sync_only = t ? t->sync_only : 0;
	o.base_url = t && t->base_url ? t->base_url : W.sim.base_url;
	o.signer = c->signer;
	o.verifier = c->verifier;
	o.journal = c->journal;
	o.back_url = W.notify_url;
	o.ca_file = t ? t->ca_file : NULL;
	o.pinned_public_key = t ? t->pin : NULL;
	o.insecure_loopback_tls = t ? t->insecure : 0;
	o.test_env = 1;
	o.total_timeout_ms = t && t->timeout_ms ? t->timeout_ms : 5000;
	o.connect_timeout_ms = 5000;
	o.time_divisor = 1000; /* 1, 2, 4, 8, 16, 32 ms */
	return upqr_acquirer_new(&c->acq, &o);
}

static void client_close(client *c)
{
	upqr_acquirer_free(c->acq);
	upqr_journal_free(c->journal);
	upqr_verifier_free(c->verifier);
	upqr_signer_free(c->signer);
	memset(c, 0, sizeof *c);
}

static int on_notify(void *user, const char *body, size_t len, const char *query, size_t qlen)
{
	(void)user;
	upqr_notify_result n;
	pthread_mutex_lock(&W.lock);
	/* n carries the answer (HTTP status, result) for accepted and refused notifications alike. */
	int rc = upqr_acquirer_notify(&n, W.rxc.acq, body, len, query, qlen);
	(void)rc;
	if (W.nlog < sizeof W.log / sizeof W.log[0]) {
		notice *e = &W.log[W.nlog++];
		snprintf(e->order_id, sizeof e->order_id, "%s", n.result.order_id);
		e->status = n.http_status;
		e->duplicate = n.duplicate;
		e->verified = n.verified;
		e->query_len = (int)qlen;
		e->outcome = n.result.outcome;
	}
	/* No OpenSSL state of this thread outlives the call: a process forked meanwhile
	 * (fork_quiet) would hold it unreachable, and valgrind would call it lost. */
	OPENSSL_thread_stop();
	pthread_mutex_unlock(&W.lock);
	return n.http_status;
}

/* fork() while no notification is being handled (see on_notify). */
static pid_t fork_quiet(void)
{
	pthread_mutex_lock(&W.lock);
	pid_t pid = fork();
	pthread_mutex_unlock(&W.lock);
	return pid;
}

static int setup_world(void **state)
{
	(void)state;
	pthread_mutex_init(&W.lock, NULL);
	snprintf(W.dir, sizeof W.dir, "/tmp/upqr-acq-XXXXXX");
	assert_non_null(mkdtemp(W.dir));
	snprintf(W.journal, sizeof W.journal, "%s/journal.db", W.dir);
	char cfg[128];
	snprintf(cfg, sizeof cfg, "%s/sim.json", W.dir);
	FILE *f = fopen(cfg, "w");
	assert_non_null(f);
	/* QR codes live 10 h of simulator time (1 min at time scale 600), even under valgrind */
	fputs("{\"queryLimitPerMinute\": 1000000, \"qrTtlSeconds\": 36000}\n", f);
	fclose(f);
	const char *extra[] = { "--config", cfg, "--time-scale", "600", NULL };
	W.up = simctl_start(&W.sim, extra);
	if (!W.up)
		return 0;
	W.rx = simctl_receiver_start(on_notify, NULL, W.notify_url, sizeof W.notify_url);
	assert_non_null(W.rx);
	tweak t = { .no_journal = false };
	assert_int_equal(client_open(&W.rxc, &t), UPQR_OK);
	return 0;
}

static int teardown_world(void **state)
{
	(void)state;
	if (W.up) {
		simctl_receiver_stop(W.rx);
		client_close(&W.rxc);
		simctl_stop(&W.sim);
	}
	char cmd[160];
	snprintf(cmd, sizeof cmd, "rm -rf %s", W.dir);
	if (system(cmd) != 0)
		fprintf(stderr, "# could not remove %s\n", W.dir);
	return 0;
}

#define NEED_SIM() do { if (!W.up) { skip(); return; } } while (0)

/* ---- helpers ---------------------------------------------------------------- */

/* Points every new client and the receiver at a journal: a file name in W.dir, or a URL. */
static void use_journal(const char *name)
{
	pthread_mutex_lock(&W.lock);
	client_close(&W.rxc);
	if (strncmp(name, "postgresql://", 13) == 0)
		snprintf(W.journal, sizeof W.journal, "%s", name);
	else
		snprintf(W.journal, sizeof W.journal, "%s/%s", W.dir, name);
	assert_int_equal(client_open(&W.rxc, NULL), UPQR_OK);
	pthread_mutex_unlock(&W.lock);
}

static void fault(const char *scope, const char *key, const char *name, const char *value)
{
	char form[256], out[4096];
	snprintf(form, sizeof form, "scope=%s&key=%s&fault=%s&value=%s", scope, key, name, value ? value : "");
	assert_int_equal(simctl_post(&W.sim, "/__sim/faults", form, out, sizeof out), 200);
}

static void clear_faults(void)
{
	char out[256];
	assert_int_equal(simctl_post(&W.sim, "/__sim/faults", "clear=1", out, sizeof out), 200);
}

static void new_order(client *c, char oid[33])
{
	assert_int_equal(upqr_acquirer_order_id(oid, c->acq, (int64_t)time(NULL)), UPQR_OK);
}

static upqr_acq_result pay(client *c, const char *oid, int64_t amount)
{
	upqr_acq_result r;
	upqr_consume_request q = { .order_id = oid, .txn_amt = amount, .qr_no = "6225123456789012345" };
	assert_int_equal(upqr_acquirer_consume(&r, c->acq, &q), UPQR_OK);
	return r;
}

static upqr_journal_state jstate(client *c, const char *oid)
{
	upqr_journal_record rec;
	assert_int_equal(upqr_journal_find(&rec, c->journal, W.sim.mer_id, oid, UPQR_JOURNAL_KIND_NONE), UPQR_OK);
	return rec.state;
}

/* What the simulator says about an order, asked by a client without a journal. */
static upqr_outcome sim_says(const char *oid, const char *txn_time, char code[3])
{
	client q;
	tweak t = { .no_journal = true };
	assert_int_equal(client_open(&q, &t), UPQR_OK);
	upqr_order_ref ref = { oid, txn_time };
	upqr_acq_result r;
	assert_int_equal(upqr_acquirer_query(&r, q.acq, &ref), UPQR_OK);
	if (code)
		memcpy(code, r.resp_code, 3);
	client_close(&q);
	return r.outcome;
}

/* Waits up to 5 s for the journal record of oid to reach state. */
static bool wait_state(client *c, const char *oid, upqr_journal_state want)
{
	for (int i = 0; i < 500; i++) {
		if (jstate(c, oid) == want)
			return true;
		msleep(10);
	}
	return false;
}

static size_t notices_for(const char *oid, int *dups, int *rejected)
{
	size_t n = 0;
	*dups = *rejected = 0;
	pthread_mutex_lock(&W.lock);
	for (size_t i = 0; i < W.nlog; i++) {
		if (strcmp(W.log[i].order_id, oid) != 0)
			continue;
		n++;
		*dups += W.log[i].duplicate;
		*rejected += W.log[i].status != 200;
	}
	pthread_mutex_unlock(&W.lock);
	return n;
}

/* Waits up to 5 s until oid has at least want notifications; returns how many. */
static size_t wait_notices(const char *oid, size_t want, int *dups, int *rejected)
{
	for (int i = 0; i < 500 && notices_for(oid, dups, rejected) < want; i++)
		msleep(10);
	return notices_for(oid, dups, rejected);
}

static size_t rejected_total(void)
{
	size_t n = 0;
	pthread_mutex_lock(&W.lock);
	for (size_t i = 0; i < W.nlog; i++)
		n += W.log[i].status == 400;
	pthread_mutex_unlock(&W.lock);
	return n;
}

/* ---- every operation's happy path ----------------------------------------------- */

static void test_consume(void **state)
{
	(void)state;
	NEED_SIM();
	client c;
	assert_int_equal(client_open(&c, NULL), UPQR_OK);
	char oid[33];
	new_order(&c, oid);
	upqr_acq_result r = pay(&c, oid, 1234);
	assert_int_equal(r.outcome, UPQR_OUTCOME_SUCCESS);
	assert_true(r.accepted);
	assert_string_equal(r.order_id, oid);
	assert_int_equal(strlen(r.query_id), 21);
	assert_int_equal(jstate(&c, oid), UPQR_JOURNAL_SUCCESS);
	assert_int_equal(sim_says(oid, r.txn_time, NULL), UPQR_OUTCOME_SUCCESS);
	/* the notification arrives and is booked (as new or as a duplicate of the query's answer) */
	int dups, rej;
	wait_notices(oid, 1, &dups, &rej);
	assert_true(notices_for(oid, &dups, &rej) >= 1);
	assert_int_equal(rej, 0);
	client_close(&c);
}

static void test_apply_and_pay(void **state)
{
	(void)state;
	NEED_SIM();
	client c;
	assert_int_equal(client_open(&c, NULL), UPQR_OK);
	upqr_apply_request q = { .txn_amt = 500 };
	upqr_acq_result r;
	assert_int_equal(upqr_acquirer_apply_qr(&r, c.acq, &q), UPQR_OK);
	assert_int_equal(r.outcome, UPQR_OUTCOME_SUCCESS);
	assert_non_null(strstr(r.qr_code, "/00010000/"));
	assert_int_equal(jstate(&c, r.order_id), UPQR_JOURNAL_ACCEPTED);
	/* not paid yet: a query says unknown, never success */
	upqr_order_ref ref = { r.order_id, r.txn_time };
	upqr_acq_result q1;
	assert_int_equal(upqr_acquirer_query(&q1, c.acq, &ref), UPQR_OK);
	assert_int_equal(q1.outcome, UPQR_OUTCOME_UNKNOWN);
	char form[700], out[512];
	snprintf(form, sizeof form, "qrCode=%s&outcome=success", r.qr_code);
	assert_int_equal(simctl_post(&W.sim, "/__sim/pay", form, out, sizeof out), 200);
	assert_true(wait_state(&c, r.order_id, UPQR_JOURNAL_SUCCESS)); /* booked from the notification */
	assert_int_equal(upqr_acquirer_resolve(&q1, c.acq, &ref), UPQR_OK);
	assert_int_equal(q1.outcome, UPQR_OUTCOME_SUCCESS);
	client_close(&c);
}

static void test_refund_partial_and_void(void **state)
{
	(void)state;
	NEED_SIM();
	client c;
	assert_int_equal(client_open(&c, NULL), UPQR_OK);
	char oid[33];
	new_order(&c, oid);
	upqr_acq_result p = pay(&c, oid, 1000), r;
	assert_int_equal(p.outcome, UPQR_OUTCOME_SUCCESS);
	upqr_undo_request u = { .txn_amt = 300, .orig_order_id = oid, .orig_txn_time = p.txn_time };
	assert_int_equal(upqr_acquirer_refund(&r, c.acq, &u), UPQR_OK);
	assert_int_equal(r.outcome, UPQR_OUTCOME_SUCCESS);
	u.txn_amt = 800; /* 300 + 800 > 1000: the journal refuses before anything is sent */
	assert_int_equal(upqr_acquirer_refund(&r, c.acq, &u), UPQR_EOVERREFUND);
	u.txn_amt = 700;
	u.orig_query_id = p.query_id;
	assert_int_equal(upqr_acquirer_refund(&r, c.acq, &u), UPQR_OK);
	assert_int_equal(r.outcome, UPQR_OUTCOME_SUCCESS);
	assert_int_equal(jstate(&c, oid), UPQR_JOURNAL_REFUNDED);
	/* void of another payment, full amount */
	new_order(&c, oid);
	p = pay(&c, oid, 800);
	assert_int_equal(p.outcome, UPQR_OUTCOME_SUCCESS);
	upqr_undo_request v = { .txn_amt = 800, .orig_query_id = p.query_id, .orig_order_id = oid };
	assert_int_equal(upqr_acquirer_void(&r, c.acq, &v), UPQR_OK);
	assert_int_equal(r.outcome, UPQR_OUTCOME_SUCCESS);
	assert_int_equal(jstate(&c, oid), UPQR_JOURNAL_VOIDED);
	client_close(&c);
}

/* A consume the gateway never finishes: the loop ends unknown, the reversal ends it. */
static void test_reversal_when_unknown(void **state)
{
	(void)state;
	NEED_SIM();
	client c;
	assert_int_equal(client_open(&c, NULL), UPQR_OK);
	char oid[33];
	new_order(&c, oid);
	fault("order", oid, "outcome", "pending");
	upqr_acq_result r = pay(&c, oid, 4321);
	assert_int_equal(r.outcome, UPQR_OUTCOME_FAILED);
	assert_true(r.reversed);
	assert_int_equal(r.queries, 6);
	assert_int_equal(jstate(&c, oid), UPQR_JOURNAL_REVERSED);
	assert_int_equal(sim_says(oid, r.txn_time, NULL), UPQR_OUTCOME_FAILED);
	/* the explicit call: reversing again is idempotent at the gateway, but the journal allows one */
	upqr_order_ref ref = { oid, r.txn_time };
	upqr_acq_result rv;
	assert_int_equal(upqr_acquirer_reverse(&rv, c.acq, &ref), UPQR_EDUPLICATE);
	clear_faults();
	client_close(&c);
}

static void test_encrypt_cert_update(void **state)
{
	(void)state;
	NEED_SIM();
	client c;
	assert_int_equal(client_open(&c, NULL), UPQR_OK);
	char pem[8192];
	size_t w = 0;
	upqr_acq_result r;
	assert_int_equal(upqr_acquirer_update_encrypt_cert(&r, pem, sizeof pem, &w, c.acq), UPQR_OK);
	assert_int_equal(r.outcome, UPQR_OUTCOME_SUCCESS);
	assert_non_null(strstr(pem, "BEGIN CERTIFICATE"));
	assert_string_equal(r.encrypt_cert_id, upqr_signer_encrypt_cert_id(c.signer));
	assert_int_equal(upqr_acquirer_update_encrypt_cert(&r, NULL, 0, &w, c.acq), UPQR_EBUFSIZE);
	assert_true(w > 100);
	/* a rotated certificate: the signer encrypts with it from now on */
	char old_id[64];
	snprintf(old_id, sizeof old_id, "%s", upqr_signer_encrypt_cert_id(c.signer));
	clear_faults();
	fault("merchant", W.sim.mer_id, "enccert", "next");
	assert_int_equal(upqr_acquirer_update_encrypt_cert(&r, pem, sizeof pem, &w, c.acq), UPQR_OK);
	assert_int_equal(r.outcome, UPQR_OUTCOME_SUCCESS);
	assert_string_not_equal(r.encrypt_cert_id, old_id);
	assert_string_equal(upqr_signer_encrypt_cert_id(c.signer), r.encrypt_cert_id);
	char next_id[64];
	snprintf(next_id, sizeof next_id, "%s", r.encrypt_cert_id);
	/* genuinely signed replies carrying a certificate that must not be used: refused, signer unchanged */
	static const struct { const char *value; int status; } bad[] = {
		{ "expired", UPQR_ECERT_EXPIRED }, { "selfsigned", UPQR_ECERT_UNTRUSTED },
		{ "signing", UPQR_ECERT_PURPOSE } };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		clear_faults();
		fault("merchant", W.sim.mer_id, "enccert", bad[i].value);
		int rc = upqr_acquirer_update_encrypt_cert(&r, pem, sizeof pem, &w, c.acq);
		if (rc != bad[i].status)
			fail_msg("enccert=%s: %s (%s)", bad[i].value, upqr_status_name(rc),
					upqr_acquirer_last_error(c.acq));
		assert_int_equal(r.outcome, UPQR_OUTCOME_FAILED);
		assert_int_equal(r.cause, bad[i].status);
		assert_string_equal(upqr_signer_encrypt_cert_id(c.signer), next_id);
	}
	clear_faults();
	client_close(&c);
}

/*
 * A consume reversed by someone else (another terminal without this journal):
 * recovery's query learns it, the result says reversed (not a plain failure)
 * and the journal books REVERSED.
 */
static void test_reversed_by_query(void **state)
{
	(void)state;
	NEED_SIM();
	use_journal("reversed.db");
	client c, other;
	tweak t = { .sync_only = true }, o = { .no_journal = true };
	assert_int_equal(client_open(&c, &t), UPQR_OK);
	assert_int_equal(client_open(&other, &o), UPQR_OK);
	char oid[33];
	new_order(&c, oid);
	fault("order", oid, "outcome", "pending");
	upqr_acq_result r = pay(&c, oid, 4322), rv;
	assert_int_equal(r.outcome, UPQR_OUTCOME_UNKNOWN);
	assert_true(r.accepted);
	upqr_order_ref ref = { oid, r.txn_time };
	assert_int_equal(upqr_acquirer_reverse(&rv, other.acq, &ref), UPQR_OK);
	assert_int_equal(rv.outcome, UPQR_OUTCOME_SUCCESS);
	/* a plain query tells the reversal apart from a failure */
	assert_int_equal(upqr_acquirer_query(&rv, other.acq, &ref), UPQR_OK);
	assert_int_equal(rv.outcome, UPQR_OUTCOME_FAILED);
	assert_true(rv.reversed);
	assert_string_equal(rv.resp_code, "45");
	upqr_recover_stats st;
	assert_int_equal(upqr_journal_recover(&st, c.acq), UPQR_OK);
	assert_int_equal(st.claimed, 1);
	assert_int_equal(st.reversed, 1);
	assert_int_equal(st.failed, 1);
	assert_int_equal(jstate(&c, oid), UPQR_JOURNAL_REVERSED);
	/* the client's own reversal whose reply is lost: the last query finds it reversed */
	client d;
	assert_int_equal(client_open(&d, NULL), UPQR_OK);
	new_order(&d, oid);
	clear_faults();
	fault("order", oid, "outcome", "pending");
	fault("order", oid, "drop", "1");
	r = pay(&d, oid, 4324);
	assert_int_equal(r.outcome, UPQR_OUTCOME_FAILED);
	assert_true(r.reversed);
	assert_string_equal(r.resp_code, "45");
	assert_int_equal(jstate(&d, oid), UPQR_JOURNAL_REVERSED);
	client_close(&d);
	/* a declined consume queries as a plain failure */
	new_order(&c, oid);
	clear_faults();
	fault("order", oid, "outcome", "decline");
	r = pay(&c, oid, 4323);
	upqr_order_ref ref2 = { oid, r.txn_time };
	for (int i = 0; i < 100; i++) {
		assert_int_equal(upqr_acquirer_query(&rv, other.acq, &ref2), UPQR_OK);
		if (rv.outcome != UPQR_OUTCOME_UNKNOWN)
			break;
		msleep(10);
	}
	assert_int_equal(rv.outcome, UPQR_OUTCOME_FAILED);
	assert_false(rv.reversed);
	clear_faults();
	client_close(&other);
	client_close(&c);
}

/*
 * 5.0.0 (certId, cert_dir; the verifier accepts 5.0.0 only), signMethod 11
 * (the verifier has the secure key and no certificates) and accessType 1
 * with acqInsCode, each through a whole consume against the simulator.
 */
static void test_versions_and_methods(void **state)
{
	(void)state;
	NEED_SIM();
	static const tweak variants[] = { { .v500 = true }, { .sha256 = true }, { .acquirer = true } };
	static const char *const names[] = { "5.0.0", "signMethod 11", "accessType 1" };
	for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
		client c;
		assert_int_equal(client_open(&c, &variants[i]), UPQR_OK);
		char oid[33];
		new_order(&c, oid);
		upqr_acq_result r = pay(&c, oid, 1500 + (int64_t)i);
		if (r.outcome != UPQR_OUTCOME_SUCCESS || !r.accepted)
			fail_msg("%s: %s accepted=%d (%s)", names[i], upqr_outcome_name(r.outcome), r.accepted,
					upqr_acquirer_last_error(c.acq));
		assert_int_equal(jstate(&c, oid), UPQR_JOURNAL_SUCCESS);
		client_close(&c);
	}
}

/* A genuine notification for another merchant is refused (400) and books nothing. */
static void test_notify_other_merchant(void **state)
{
	(void)state;
	NEED_SIM();
	client c;
	tweak t = { .merchant2 = true, .no_journal = true };
	assert_int_equal(client_open(&c, &t), UPQR_OK);
	char oid[33];
	new_order(&c, oid);
	upqr_acq_result r = pay(&c, oid, 2501);
	assert_int_equal(r.outcome, UPQR_OUTCOME_SUCCESS);
	int dups, rej;
	assert_true(wait_notices(oid, 1, &dups, &rej) >= 1);
	assert_int_equal(notices_for(oid, &dups, &rej), (size_t)rej); /* every delivery refused */
	pthread_mutex_lock(&W.lock);
	for (size_t i = 0; i < W.nlog; i++)
		if (strcmp(W.log[i].order_id, oid) == 0) {
			assert_int_equal(W.log[i].status, 400);
			assert_true(W.log[i].verified);
		}
	pthread_mutex_unlock(&W.lock);
	upqr_journal_record rec;
	assert_int_equal(upqr_journal_find(&rec, W.rxc.journal, SIM_MER2, oid, UPQR_JOURNAL_KIND_NONE),
			UPQR_ENOTFOUND);
	client_close(&c);
}

/* accNo and customerInfo go out encrypted; the gateway takes the order. */
static void test_sensitive_fields(void **state)
{
	(void)state;
	NEED_SIM();
	client c;
	assert_int_equal(client_open(&c, NULL), UPQR_OK);
	char oid[33];
	new_order(&c, oid);
	upqr_consume_request q = { .order_id = oid, .txn_amt = 99, .qr_no = "6225123456789012345",
		.acc_no = "6216261000000000018", .phone_no = "13552535506", .cvn2 = "123", .expired = "2912" };
	upqr_acq_result r;
	assert_int_equal(upqr_acquirer_consume(&r, c.acq, &q), UPQR_OK);
	assert_int_equal(r.outcome, UPQR_OUTCOME_SUCCESS);
	assert_null(strstr(upqr_acquirer_last_error(c.acq), "6216261000000000018"));
	client_close(&c);
}

/* ---- faults ------------------------------------------------------------------------ */

typedef struct fault_case {
	const char *name, *value;
	upqr_outcome want;
	int sync_genuine;      /* the sync reply is a genuine, verifiable 00 */
} fault_case;

static void test_sync_faults(void **state)
{
	(void)state;
	NEED_SIM();
	static const fault_case cases[] = {
		{ "resp", "03", UPQR_OUTCOME_SUCCESS, 0 }, { "resp", "04", UPQR_OUTCOME_SUCCESS, 0 },
		{ "resp", "05", UPQR_OUTCOME_SUCCESS, 0 }, { "http500", "1", UPQR_OUTCOME_SUCCESS, 0 },
		{ "drop", "1", UPQR_OUTCOME_SUCCESS, 0 }, { "truncate", "1", UPQR_OUTCOME_SUCCESS, 0 },
		{ "malformed", "1", UPQR_OUTCOME_SUCCESS, 0 }, { "badsig", "1", UPQR_OUTCOME_SUCCESS, 0 },
		{ "cert", "wrongcn", UPQR_OUTCOME_SUCCESS, 0 }, { "cert", "expired", UPQR_OUTCOME_SUCCESS, 0 },
		{ "cert", "selfsigned", UPQR_OUTCOME_SUCCESS, 0 }, { "cert", "testcn", UPQR_OUTCOME_SUCCESS, 1 },
		{ "cert", "sha1", UPQR_OUTCOME_SUCCESS, 1 }, { "cert", "normal", UPQR_OUTCOME_SUCCESS, 1 },
		{ "delay", "1500", UPQR_OUTCOME_SUCCESS, 0 }, { "outcome", "decline", UPQR_OUTCOME_FAILED, 1 },
	};
	client c;
	tweak t = { .timeout_ms = 700 };
	assert_int_equal(client_open(&c, &t), UPQR_OK);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char oid[33];
		new_order(&c, oid);
		clear_faults();
		fault("order", oid, cases[i].name, cases[i].value);
		upqr_acq_result r = pay(&c, oid, 2000 + (int64_t)i);
		if (r.outcome != cases[i].want)
			fail_msg("fault %s=%s: outcome %s", cases[i].name, cases[i].value, upqr_outcome_name(r.outcome));
		/* Only a genuine 00 is "accepted" (test_env accepts the test CN); the rest was settled
		 * by a query or a verified notification, never by the faulted reply. */
		if (r.accepted != cases[i].sync_genuine)
			fail_msg("fault %s=%s: accepted %d (%s)", cases[i].name, cases[i].value, r.accepted,
					upqr_acquirer_last_error(c.acq));
		assert_true(r.queries >= 1 || jstate(&c, oid) == UPQR_JOURNAL_SUCCESS);
		assert_false(r.reversed);
		upqr_journal_state js = jstate(&c, oid);
		assert_int_equal(js, r.outcome == UPQR_OUTCOME_SUCCESS ? UPQR_JOURNAL_SUCCESS : UPQR_JOURNAL_FAILED);
	}
	clear_faults();
	client_close(&c);
}

/* A forged, tampered, expired or wrong-CN reply never becomes SUCCESS. */
static void test_forged_never_success(void **state)
{
	(void)state;
	NEED_SIM();
	static const char *const forgeries[][2] = { { "cert", "selfsigned" }, { "cert", "expired" },
		{ "cert", "wrongcn" }, { "badsig", "1" } };
	client c;
	assert_int_equal(client_open(&c, NULL), UPQR_OK);
	for (size_t i = 0; i < sizeof forgeries / sizeof forgeries[0]; i++) {
		char oid[33];
		new_order(&c, oid);
		clear_faults();
		/* the gateway never settles it, and every money reply (consume, reversal) is forged */
		fault("order", oid, forgeries[i][0], forgeries[i][1]);
		fault("order", oid, "outcome", "pending");
		upqr_acq_result r = pay(&c, oid, 3000);
		/* the reversal went through at the gateway; only a genuine query can say so */
		assert_int_not_equal(r.outcome, UPQR_OUTCOME_SUCCESS);
		assert_int_not_equal(jstate(&c, oid), UPQR_JOURNAL_SUCCESS);
	}
	clear_faults();
	client_close(&c);
}

/*
 * A genuine, verifiable reply about another order (the simulator replays the
 * last one it sent) never counts: not accepted, never SUCCESS on its say-so.
 */
static void test_replayed_reply(void **state)
{
	(void)state;
	NEED_SIM();
	client c;
	assert_int_equal(client_open(&c, NULL), UPQR_OK);
	char first[33], oid[33];
	clear_faults();
	new_order(&c, first);
	assert_int_equal(pay(&c, first, 3100).outcome, UPQR_OUTCOME_SUCCESS);
	/* the order goes through, but its sync reply is the earlier one: the query loop decides */
	new_order(&c, oid);
	fault("order", oid, "replay", "1");
	upqr_acq_result r = pay(&c, oid, 3101);
	assert_int_equal(r.outcome, UPQR_OUTCOME_SUCCESS);
	assert_false(r.accepted);
	assert_true(r.queries >= 1 || jstate(&c, oid) == UPQR_JOURNAL_SUCCESS);
	assert_string_equal(r.order_id, oid);
	/* the order never settles and every money reply is a replayed 00: never SUCCESS */
	new_order(&c, first);
	assert_int_equal(pay(&c, first, 3102).outcome, UPQR_OUTCOME_SUCCESS);
	new_order(&c, oid);
	fault("order", oid, "replay", "1");
	fault("order", oid, "outcome", "pending");
	r = pay(&c, oid, 3103);
	assert_int_not_equal(r.outcome, UPQR_OUTCOME_SUCCESS);
	assert_false(r.accepted);
	assert_int_not_equal(jstate(&c, oid), UPQR_JOURNAL_SUCCESS);
	assert_int_equal(jstate(&c, first), UPQR_JOURNAL_SUCCESS);
	clear_faults();
	client_close(&c);
}

/* ---- notifications ------------------------------------------------------------------- */

static void test_notifications(void **state)
{
	(void)state;
	NEED_SIM();
	client c;
	assert_int_equal(client_open(&c, NULL), UPQR_OK);
	int dups, rej;
	/* duplicate delivery: booked once, acknowledged twice */
	char oid[33];
	new_order(&c, oid);
	clear_faults();
	fault("order", oid, "notify_dup", "1");
	assert_int_equal(pay(&c, oid, 5001).outcome, UPQR_OUTCOME_SUCCESS);
	wait_notices(oid, 2, &dups, &rej);
	assert_int_equal(notices_for(oid, &dups, &rej), 2);
	assert_true(dups >= 1);
	assert_int_equal(rej, 0);
	/* the backUrl's own query string is discarded before verifying */
	new_order(&c, oid);
	fault("order", oid, "notify_query", "1");
	assert_int_equal(pay(&c, oid, 5002).outcome, UPQR_OUTCOME_SUCCESS);
	wait_notices(oid, 1, &dups, &rej);
	assert_int_equal(rej, 0);
	/* a tampered notification is refused (400); the order is settled by its query */
	size_t before = rejected_total();
	new_order(&c, oid);
	fault("order", oid, "notify_badsig", "1");
	upqr_acq_result r = pay(&c, oid, 5003);
	assert_int_equal(r.outcome, UPQR_OUTCOME_SUCCESS);
	for (int i = 0; i < 300 && rejected_total() == before; i++)
		msleep(10);
	assert_true(rejected_total() > before);
	assert_int_equal(notices_for(oid, &dups, &rej), (size_t)rej); /* every delivery refused */
	assert_int_equal(jstate(&c, oid), UPQR_JOURNAL_SUCCESS);
	/* a failure-shaped notification (respCode 00, origRespCode 64) is booked as a failure */
	new_order(&c, oid);
	fault("order", oid, "notify_fail", "1");
	fault("order", oid, "outcome", "decline");
	r = pay(&c, oid, 5004);
	assert_int_equal(r.outcome, UPQR_OUTCOME_FAILED);
	assert_int_equal(wait_notices(oid, 1, &dups, &rej), 1);
	assert_int_equal(rej, 0);
	pthread_mutex_lock(&W.lock);
	for (size_t i = 0; i < W.nlog; i++)
		if (strcmp(W.log[i].order_id, oid) == 0)
			assert_int_equal(W.log[i].outcome, UPQR_OUTCOME_FAILED);
	pthread_mutex_unlock(&W.lock);
	assert_int_equal(jstate(&c, oid), UPQR_JOURNAL_FAILED);
	/* no notification at all: the query loop settles it */
	new_order(&c, oid);
	fault("order", oid, "notify_none", "1");
	assert_int_equal(pay(&c, oid, 5005).outcome, UPQR_OUTCOME_SUCCESS);
	msleep(200);
	assert_int_equal(notices_for(oid, &dups, &rej), 0);
	/* out of order: the refund's notification before the consume's */
	char oid2[33];
	new_order(&c, oid2);
	fault("order", oid2, "notify_delay", "400");
	upqr_acq_result p = pay(&c, oid2, 6000);
	assert_int_equal(p.outcome, UPQR_OUTCOME_SUCCESS);
	upqr_undo_request u = { .txn_amt = 6000, .orig_order_id = oid2, .orig_txn_time = p.txn_time };
	assert_int_equal(upqr_acquirer_refund(&r, c.acq, &u), UPQR_OK);
	assert_int_equal(r.outcome, UPQR_OUTCOME_SUCCESS);
	wait_notices(oid2, 1, &dups, &rej);
	assert_int_equal(notices_for(oid2, &dups, &rej), 1);
	assert_int_equal(rej, 0);
	assert_int_equal(jstate(&c, oid2), UPQR_JOURNAL_REFUNDED);
	clear_faults();
	client_close(&c);
}

/* ---- transport ------------------------------------------------------------------------ */

static void test_keepalive(void **state)
{
	(void)state;
	NEED_SIM();
	client c;
	assert_int_equal(client_open(&c, NULL), UPQR_OK);
	char oid[33];
	new_order(&c, oid);
	upqr_acq_result r = pay(&c, oid, 77), q;
	upqr_order_ref ref = { oid, r.txn_time };
	for (int i = 0; i < 20; i++) {
		assert_int_equal(upqr_acquirer_query(&q, c.acq, &ref), UPQR_OK);
		assert_int_equal(q.outcome, UPQR_OUTCOME_SUCCESS);
	}
	assert_int_equal(upqr_acquirer_connections(c.acq), 1);
	client_close(&c);
}

/* "sha256//base64" of the public key in a PEM certificate file. */
static void pin_of(char *out, size_t cap, const char *pem_path)
{
	FILE *f = fopen(pem_path, "r");
	assert_non_null(f);
	X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(X509_get0_pubkey(x), &der);
	unsigned char md[32];
	unsigned int mdlen = 0;
	assert_int_equal(EVP_Digest(der, (size_t)n, md, &mdlen, EVP_sha256(), NULL), 1);
	char b64[64];
	EVP_EncodeBlock((unsigned char *)b64, md, 32);
	snprintf(out, cap, "sha256//%s", b64);
	OPENSSL_free(der);
	X509_free(x);
}

static upqr_acq_result tls_query(const tweak *t)
{
	client c;
	tweak tt = *t;
	tt.no_journal = true;
	assert_int_equal(client_open(&c, &tt), UPQR_OK);
	upqr_order_ref ref = { "20240101000000NOSUCHORDER", "20240101000000" };
	upqr_acq_result r;
	assert_int_equal(upqr_acquirer_query(&r, c.acq, &ref), UPQR_OK);
	client_close(&c);
	return r;
}

static void test_tls(void **state)
{
	(void)state;
	NEED_SIM();
	simctl s;
	const char *extra[] = { "--tls", NULL };
	assert_true(simctl_start(&s, extra));
	char dir[512], server_pem[600], pin[128], wrong[128];
	snprintf(dir, sizeof dir, "%s", s.tls_ca);
	*strrchr(dir, '/') = '\0';
	snprintf(server_pem, sizeof server_pem, "%s/sim_tls.pem", dir);
	pin_of(pin, sizeof pin, server_pem);
	pin_of(wrong, sizeof wrong, s.root);
	/* trusted CA: the query reaches the gateway (34: no such order) */
	tweak t = { .base_url = s.base_url, .ca_file = s.tls_ca };
	upqr_acq_result r = tls_query(&t);
	assert_int_equal(r.cause, UPQR_OK);
	assert_string_equal(r.resp_code, "34");
	/* the system CAs do not know the simulator: refused, nothing sent */
	t.ca_file = NULL;
	r = tls_query(&t);
	assert_int_equal(r.cause, UPQR_ETLS);
	/* pinning: the right key passes, another key is refused even with a trusted CA */
	t.ca_file = s.tls_ca;
	t.pin = pin;
	assert_int_equal(tls_query(&t).cause, UPQR_OK);
	t.pin = wrong;
	assert_int_equal(tls_query(&t).cause, UPQR_ETLS);
	/* the loopback-only switch */
	tweak ins = { .base_url = s.base_url, .insecure = 1 };
	assert_int_equal(tls_query(&ins).cause, UPQR_OK);
	/* a money call whose TLS handshake fails was never sent: FAILED, cause ETLS, journal FAILED */
	client c;
	tweak m = { .base_url = s.base_url };
	assert_int_equal(client_open(&c, &m), UPQR_OK);
	char oid[33];
	new_order(&c, oid);
	r = pay(&c, oid, 10);
	assert_int_equal(r.outcome, UPQR_OUTCOME_FAILED);
	assert_int_equal(r.cause, UPQR_ETLS);
	assert_int_equal(r.queries, 0);
	assert_int_equal(jstate(&c, oid), UPQR_JOURNAL_FAILED);
	client_close(&c);
	simctl_stop(&s);
}

/* ---- invariants ---------------------------------------------------------------------- */

/*
 * Every order the test meant to make: in the journal and final, agreeing with
 * the simulator; or not in the journal and unknown to the simulator.
 */
static void check_orders(char (*oids)[33], size_t n, size_t *paid)
{
	client c;
	assert_int_equal(client_open(&c, NULL), UPQR_OK);
	*paid = 0;
	for (size_t i = 0; i < n; i++) {
		upqr_journal_record rec;
		int rc = upqr_journal_find(&rec, c.journal, W.sim.mer_id, oids[i], UPQR_JOURNAL_KIND_NONE);
		char code[3];
		if (rc == UPQR_ENOTFOUND) {
			/* never begun, so never sent (the journal comes first): the gateway must not know
			 * it (the workers send the orderId's leading 14 digits as its txnTime) */
			char tt[15];
			memcpy(tt, oids[i], 14);
			tt[14] = '\0';
			assert_int_not_equal(sim_says(oids[i], tt, code), UPQR_OUTCOME_SUCCESS);
			if (strcmp(code, "34") != 0)
				fail_msg("order %s is not in the journal but the gateway knows it (%s)", oids[i], code);
			continue;
		}
		assert_int_equal(rc, UPQR_OK);
		if (!upqr_journal_state_is_final(rec.state))
			fail_msg("order %s left %s", oids[i], upqr_journal_state_name(rec.state));
		upqr_outcome sim = sim_says(rec.order_id, rec.txn_time, code);
		bool jpaid = rec.state == UPQR_JOURNAL_SUCCESS;
		if (sim == UPQR_OUTCOME_SUCCESS && !jpaid)
			fail_msg("order %s paid at the gateway, %s in the journal", oids[i],
					upqr_journal_state_name(rec.state));
		if (jpaid && sim != UPQR_OUTCOME_SUCCESS)
			fail_msg("order %s SUCCESS in the journal, %s (%s) at the gateway", oids[i],
					upqr_outcome_name(sim), code);
		*paid += jpaid;
	}
	client_close(&c);
}

/* ---- kill -9 during orders, then recovery ---------------------------------------------- */

static void set_amount_faults(void)
{
	clear_faults();
	fault("amount", "1001", "resp", "03");
	fault("amount", "1002", "http500", "1");
	fault("amount", "1003", "drop", "1");
	fault("amount", "1004", "truncate", "1");
	fault("amount", "1005", "badsig", "1");
	fault("amount", "1006", "outcome", "decline");
	fault("amount", "1007", "outcome", "pending");
	fault("amount", "1008", "cert", "selfsigned");
	fault("amount", "1009", "malformed", "1");
}

static int64_t random_amount(uint64_t *rng)
{
	return 1000 + (int64_t)(tu_rand(rng) % 12); /* 1000..1011: 9 of 12 faulted */
}

/* The child: orders oids[from..n) one after another until killed. */
static void crash_child(char (*oids)[33], size_t from, size_t n, uint64_t seed)
{
	client c;
	if (client_open(&c, NULL) != UPQR_OK)
		_exit(3);
	for (size_t i = from; i < n; i++) {
		upqr_acq_result r;
		char tt[15];
		memcpy(tt, oids[i], 14); /* the orderId starts with its txnTime: checkable later */
		tt[14] = '\0';
		upqr_consume_request q = { .order_id = oids[i], .txn_time = tt, .txn_amt = random_amount(&seed),
			.qr_no = "6225123456789012345" };
		/* EDUPLICATE: a killed predecessor began it; recovery settles it, never a new order */
		int rc = upqr_acquirer_consume(&r, c.acq, &q);
		(void)rc;
	}
	client_close(&c);
	_exit(0);
}

static void test_crash_recovery(void **state)
{
	(void)state;
	NEED_SIM();
	size_t n = soak() ? 200 : tu_iterations(40) < 8 ? 8 : tu_iterations(40);
	char (*oids)[33] = calloc(n, 33);
	use_journal("crash.db");
	client c;
	assert_int_equal(client_open(&c, NULL), UPQR_OK);
	for (size_t i = 0; i < n; i++)
		new_order(&c, oids[i]);
	client_close(&c);
	set_amount_faults();
	uint64_t rng = tu_seed();
	size_t kills = 0;
	unsigned stalled = 0;
	for (size_t from = 0; from < n; kills++) {
		size_t before = from;
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0)
			crash_child(oids, from, n, rng + from);
		/* a slow start (sanitizers, valgrind) widens the window until orders get made */
		msleep(5 + (long)(tu_rand(&rng) % (60u << (stalled < 7 ? stalled : 7))));
		kill(pid, SIGKILL);
		int st;
		waitpid(pid, &st, 0);
		/* continue after the last order the journal has (begun ones are recovery's) */
		assert_int_equal(client_open(&c, NULL), UPQR_OK);
		while (from < n) {
			upqr_journal_record rec;
			if (upqr_journal_find(&rec, c.journal, W.sim.mer_id, oids[from], UPQR_JOURNAL_KIND_NONE) != UPQR_OK)
				break;
			from++;
		}
		client_close(&c);
		stalled = from == before ? stalled + 1 : 0;
		if (WIFEXITED(st))
			break;
	}
	clear_faults();
	/* the killed processes' leases (2 s) lapse, then one recovery settles everything */
	msleep(2100);
	assert_int_equal(client_open(&c, NULL), UPQR_OK);
	upqr_recover_stats st;
	assert_int_equal(upqr_journal_recover(&st, c.acq), UPQR_OK);
	assert_int_equal(st.unknown, 0);
	size_t left = 0;
	upqr_journal_record rec[8];
	assert_int_equal(upqr_journal_list_unfinished(rec, 8, &left, c.journal), UPQR_OK);
	assert_int_equal(left, 0);
	client_close(&c);
	size_t paid;
	check_orders(oids, n, &paid);
	fprintf(stderr, "# crash: %zu orders, %zu kills, %zu recovered, %zu paid\n", n, kills, st.claimed, paid);
	free(oids);
}

/* ---- 4 threads with random faults --------------------------------------------------------- */

typedef struct worker {
	char (*oids)[33];
	size_t from, n;
	uint64_t seed;
	int bad;
} worker;

static void *worker_main(void *arg)
{
	worker *w = arg;
	client c;
	if (client_open(&c, NULL) != UPQR_OK) {
		w->bad++;
		return NULL;
	}
	for (size_t i = w->from; i < w->from + w->n; i++) {
		upqr_acq_result r;
		char tt[15];
		memcpy(tt, w->oids[i], 14);
		tt[14] = '\0';
		upqr_consume_request q = { .order_id = w->oids[i], .txn_time = tt,
			.txn_amt = random_amount(&w->seed), .qr_no = "6225123456789012345" };
		if (upqr_acquirer_consume(&r, c.acq, &q) != UPQR_OK || r.outcome == UPQR_OUTCOME_UNKNOWN)
			w->bad++;
	}
	client_close(&c);
	return NULL;
}

static void test_threads(void **state)
{
	(void)state;
	NEED_SIM();
	enum { T = 4 };
	size_t per = soak() ? 250 : tu_iterations(25) < 5 ? 5 : tu_iterations(25);
	char (*oids)[33] = calloc(T * per, 33);
	use_journal("threads.db");
	client c;
	assert_int_equal(client_open(&c, NULL), UPQR_OK);
	for (size_t i = 0; i < T * per; i++)
		new_order(&c, oids[i]);
	client_close(&c);
	set_amount_faults();
	pthread_t th[T];
	worker w[T];
	uint64_t seed = tu_seed();
	for (int i = 0; i < T; i++) {
		w[i] = (worker){ oids, (size_t)i * per, per, seed + (uint64_t)i, 0 };
		assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
	}
	int bad = 0;
	for (int i = 0; i < T; i++) {
		pthread_join(th[i], NULL);
		bad += w[i].bad;
	}
	clear_faults();
	assert_int_equal(bad, 0);
	size_t paid;
	check_orders(oids, T * per, &paid);
	fprintf(stderr, "# threads: %zu orders, %zu paid\n", T * per, paid);
	assert_true(paid > 0);
	free(oids);
}

/* ---- 4 processes sharing one PostgreSQL journal, kill -9, recovery ------------------------ */

/* Child: recovers whatever it can claim; exits 0 when nothing stayed unknown. */
static void recover_child(void)
{
	client c;
	if (client_open(&c, NULL) != UPQR_OK)
		_exit(3);
	upqr_recover_stats st;
	int rc = upqr_journal_recover(&st, c.acq);
	client_close(&c);
	_exit(rc == UPQR_OK && st.unknown == 0 ? 0 : 4);
}

/*
 * The fleet: 4 processes take orders against the simulator with
 * random faults into one PostgreSQL journal, two of them are killed with
 * SIGKILL at random moments, then two processes recover at once (claims keep
 * them from acting on one order twice). Every order: final in the journal
 * and agreeing with the simulator, or never begun and unknown to it; a
 * notification is booked new at most once per order. Then two processes
 * refund one payment at once: the sum never exceeds it.
 */
static void test_fleet_pg(void **state)
{
	(void)state;
	NEED_SIM();
	char reason[256], url[512];
	if (pgtest_server(reason, sizeof reason) != 0 || pgtest_create_db(url, sizeof url) != 0) {
		fprintf(stderr, "# %s\n", reason[0] ? reason : "cannot create a database");
		skip();
		return;
	}
	enum { P = 4 };
	size_t per = soak() ? 250 : tu_iterations(10) < 4 ? 4 : tu_iterations(10);
	char (*oids)[33] = calloc(P * per, 33);
	use_journal(url);
	pthread_mutex_lock(&W.lock);
	size_t log_from = W.nlog;
	pthread_mutex_unlock(&W.lock);
	client c;
	assert_int_equal(client_open(&c, NULL), UPQR_OK);
	for (size_t i = 0; i < P * per; i++)
		new_order(&c, oids[i]);
	client_close(&c);
	set_amount_faults();
	uint64_t rng = tu_seed();
	pid_t pids[P];
	for (int i = 0; i < P; i++) {
		pids[i] = fork_quiet();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0)
			crash_child(oids, (size_t)i * per, (size_t)(i + 1) * per, rng + (uint64_t)i);
	}
	int victim = (int)(tu_rand(&rng) % P), second = (victim + 1 + (int)(tu_rand(&rng) % (P - 1))) % P;
	msleep(20 + (long)(tu_rand(&rng) % 400));
	kill(pids[victim], SIGKILL);
	msleep((long)(tu_rand(&rng) % 400));
	kill(pids[second], SIGKILL);
	int killed = 0;
	for (int i = 0; i < P; i++) {
		int st;
		assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
		if (WIFSIGNALED(st))
			killed++;
		else
			assert_int_equal(WEXITSTATUS(st), 0);
	}
	clear_faults();
	msleep(2100);  /* the killed processes' leases (2 s) lapse */
	pid_t rec[2];
	for (int i = 0; i < 2; i++) {
		rec[i] = fork_quiet();
		assert_true(rec[i] >= 0);
		if (rec[i] == 0)
			recover_child();
	}
	for (int i = 0; i < 2; i++) {
		int st;
		assert_int_equal(waitpid(rec[i], &st, 0), rec[i]);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	assert_int_equal(client_open(&c, NULL), UPQR_OK);
	size_t left = 0;
	upqr_journal_record recs[8];
	assert_int_equal(upqr_journal_list_unfinished(recs, 8, &left, c.journal), UPQR_OK);
	assert_int_equal(left, 0);
	assert_string_equal(upqr_journal_backend(c.journal), "postgresql");
	client_close(&c);
	size_t paid;
	check_orders(oids, P * per, &paid);
	/* Notifications (the receiver books into the same journal): new at most once per order. */
	pthread_mutex_lock(&W.lock);
	size_t notes = 0;
	for (size_t i = log_from; i < W.nlog; i++) {
		if (W.log[i].duplicate || W.log[i].status != 200)
			continue;
		notes++;
		for (size_t k = i + 1; k < W.nlog; k++)
			if (!W.log[k].duplicate && W.log[k].status == 200
					&& strcmp(W.log[k].order_id, W.log[i].order_id) == 0)
				fail_msg("notification for %s booked new twice", W.log[i].order_id);
	}
	pthread_mutex_unlock(&W.lock);
	/* Two processes refund 600 of one 1000 payment at once: one refund goes out, the
	 * other is refused by the shared journal before it is sent. */
	assert_int_equal(client_open(&c, NULL), UPQR_OK);
	char oid[33];
	new_order(&c, oid);
	upqr_acq_result pr = pay(&c, oid, 1000);
	assert_int_equal(pr.outcome, UPQR_OUTCOME_SUCCESS);
	pid_t ref[2];
	for (int i = 0; i < 2; i++) {
		ref[i] = fork_quiet();
		assert_true(ref[i] >= 0);
		if (ref[i] == 0) {
			client rc_;
			if (client_open(&rc_, NULL) != UPQR_OK)
				_exit(3);
			upqr_acq_result rr;
			upqr_undo_request u = { .txn_amt = 600, .orig_order_id = oid, .orig_txn_time = pr.txn_time };
			int rc = upqr_acquirer_refund(&rr, rc_.acq, &u);
			client_close(&rc_);
			_exit(rc == UPQR_OK && rr.outcome == UPQR_OUTCOME_SUCCESS ? 0
					: rc == UPQR_EOVERREFUND ? 1 : 5);
		}
	}
	int refunded = 0, refused = 0;
	for (int i = 0; i < 2; i++) {
		int st;
		assert_int_equal(waitpid(ref[i], &st, 0), ref[i]);
		assert_true(WIFEXITED(st));
		refunded += WEXITSTATUS(st) == 0;
		refused += WEXITSTATUS(st) == 1;
	}
	assert_int_equal(refunded, 1);
	assert_int_equal(refused, 1);
	upqr_journal_record orig;
	assert_int_equal(upqr_journal_find(&orig, c.journal, W.sim.mer_id, oid, UPQR_JOURNAL_KIND_NONE),
			UPQR_OK);
	assert_int_equal(orig.refunded_total, 600);
	client_close(&c);
	use_journal("after-fleet.db");
	pgtest_drop_db(url);
	fprintf(stderr, "# fleet (PostgreSQL journal): %zu orders in %d processes, %d killed, %zu paid, "
			"%zu notifications booked\n", P * per, P, killed, paid, notes);
	free(oids);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_consume),
		cmocka_unit_test(test_apply_and_pay),
		cmocka_unit_test(test_refund_partial_and_void),
		cmocka_unit_test(test_reversal_when_unknown),
		cmocka_unit_test(test_encrypt_cert_update),
		cmocka_unit_test(test_reversed_by_query),
		cmocka_unit_test(test_versions_and_methods),
		cmocka_unit_test(test_notify_other_merchant),
		cmocka_unit_test(test_sensitive_fields),
		cmocka_unit_test(test_sync_faults),
		cmocka_unit_test(test_forged_never_success),
		cmocka_unit_test(test_replayed_reply),
		cmocka_unit_test(test_notifications),
		cmocka_unit_test(test_keepalive),
		cmocka_unit_test(test_tls),
		cmocka_unit_test(test_crash_recovery),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_fleet_pg),
	};
	/* One test alone: UPQR_TEST_FILTER=test_fleet_pg (cmocka's pattern). */
	if (getenv("UPQR_TEST_FILTER") && *getenv("UPQR_TEST_FILTER"))
		cmocka_set_test_filter(getenv("UPQR_TEST_FILTER"));
	return cmocka_run_group_tests(tests, setup_world, teardown_world);
}
