/*
 * test_acquirer.c - the acquirer client without a gateway: options and the
 * loopback-only TLS switch, Beijing txnTime under several TZ settings,
 * orderId generation, and the notification handler on notifications signed
 * here with the test PKI (genuine, tampered, forged, expired, wrong CN).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#define PKI "build/pki/"
#define MER "777290058110048"

typedef struct fixture {
	upqr_signer *merchant;
	upqr_verifier *verifier;
	upqr_acquirer *acq;
} fixture;

static upqr_signer *signer_pem(const char *key, const char *cert)
{
	upqr_signer_options o = UPQR_SIGNER_OPTIONS_INIT;
	o.key_pem_path = key;
	o.cert_pem_path = cert;
	upqr_signer *s = NULL;
	assert_int_equal(upqr_signer_new(&s, &o), UPQR_OK);
	return s;
}

static void base_options(upqr_acquirer_options *o, fixture *f)
{
	assert_int_equal(upqr_acquirer_options_init(o, UPQR_ACQUIRER_OPTIONS_VERSION), UPQR_OK);
	o->mer_id = MER;
	o->base_url = "https://gateway.test.95516.com";
	o->test_env = 1;
	o->signer = f->merchant;
	o->verifier = f->verifier;
	o->back_url = "http://127.0.0.1:9/notify";
}

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof *f);
	f->merchant = signer_pem(PKI "merchant.key", PKI "merchant.pem");
	upqr_verifier_options vo = UPQR_VERIFIER_OPTIONS_INIT;
	vo.root_cert_path = PKI "root.pem";
	vo.middle_cert_path = PKI "middle.pem";
	assert_int_equal(upqr_verifier_new(&f->verifier, &vo), UPQR_OK);
	upqr_acquirer_options o;
	base_options(&o, f);
	assert_int_equal(upqr_acquirer_new(&f->acq, &o), UPQR_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	upqr_acquirer_free(f->acq);
	upqr_verifier_free(f->verifier);
	upqr_signer_free(f->merchant);
	free(f);
	return 0;
}

static void test_options(void **state)
{
	fixture *f = *state;
	upqr_acquirer_options o;
	upqr_acquirer *a = (upqr_acquirer *)1;
	assert_int_equal(upqr_acquirer_options_init(&o, 99), UPQR_EVERSION);
	base_options(&o, f);
	o.version = 2;
	assert_int_equal(upqr_acquirer_new(&a, &o), UPQR_EVERSION);
	assert_null(a);
	base_options(&o, f);
	o.mer_id = "12345";
	assert_int_equal(upqr_acquirer_new(&a, &o), UPQR_EINVAL);
	base_options(&o, f);
	o.access_type = "1"; /* needs acqInsCode */
	assert_int_equal(upqr_acquirer_new(&a, &o), UPQR_EINVAL);
	o.acq_ins_code = "48020000";
	assert_int_equal(upqr_acquirer_new(&a, &o), UPQR_OK);
	upqr_acquirer_free(a);
	base_options(&o, f);
	o.verifier = NULL;
	assert_int_equal(upqr_acquirer_new(&a, &o), UPQR_EINVAL);
	base_options(&o, f);
	o.base_url = "http://gateway.test.95516.com"; /* plain http off loopback */
	assert_int_equal(upqr_acquirer_new(&a, &o), UPQR_EINVAL);
	o.base_url = "not a url";
	assert_int_equal(upqr_acquirer_new(&a, &o), UPQR_EINVAL);
	base_options(&o, f);
	o.test_env = 0; /* the test gateway with the production switch, and the reverse */
	assert_int_equal(upqr_acquirer_new(&a, &o), UPQR_EINVAL);
	o.base_url = "https://gateway.95516.com";
	assert_int_equal(upqr_acquirer_new(&a, &o), UPQR_OK);
	upqr_acquirer_free(a);
	o.test_env = 1;
	assert_int_equal(upqr_acquirer_new(&a, &o), UPQR_EINVAL);
	base_options(&o, f);
	o.connect_timeout_ms = 0;
	assert_int_equal(upqr_acquirer_new(&a, &o), UPQR_EINVAL);
	upqr_acquirer_free(NULL);
}

/* upqr_acquirer_open names the refused option; a buffer too small is cut, never overrun. */
static void test_open_reason(void **state)
{
	fixture *f = *state;
	upqr_acquirer_options o;
	upqr_acquirer *a = (upqr_acquirer *)1;
	char err[128];
	static const struct {
		const char *field, *value, *reason;
	} cases[] = {
		{ "mer_id", "12345", "mer_id must be 15 digits" },
		{ "access_type", "7", "access_type must be 0, 1 or 2" },
		{ "base_url", "not a url", "base_url is not a URL" },
		{ "base_url", "http://gateway.test.95516.com", "base_url" },
		{ "back_url", "ftp://example.com/n", "back_url must be an http(s) URL" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		base_options(&o, f);
		if (strcmp(cases[i].field, "mer_id") == 0)
			o.mer_id = cases[i].value;
		else if (strcmp(cases[i].field, "access_type") == 0)
			o.access_type = cases[i].value;
		else if (strcmp(cases[i].field, "base_url") == 0)
			o.base_url = cases[i].value;
		else
			o.back_url = cases[i].value;
		memset(err, 'x', sizeof err);
		assert_int_equal(upqr_acquirer_open(&a, &o, err, sizeof err), UPQR_EINVAL);
		assert_null(a);
		if (strstr(err, cases[i].reason) == NULL)
			fail_msg("%s=%s: \"%s\" does not say \"%s\"", cases[i].field, cases[i].value, err,
				cases[i].reason);
	}
	base_options(&o, f);
	o.version = 2;
	assert_int_equal(upqr_acquirer_open(&a, &o, err, sizeof err), UPQR_EVERSION);
	assert_non_null(strstr(err, "version"));
	assert_int_equal(upqr_acquirer_open(&a, NULL, err, sizeof err), UPQR_EINVAL);
	assert_string_equal(err, "acquirer: no options");
	/* A 6-byte buffer: the start of the reason and a NUL, the byte after it untouched. */
	base_options(&o, f);
	o.mer_id = "1";
	memset(err, 'x', sizeof err);
	assert_int_equal(upqr_acquirer_open(&a, &o, err, 6), UPQR_EINVAL);
	assert_string_equal(err, "mer_i");
	assert_int_equal(err[6], 'x');
	/* No buffer at all, and success: err is emptied. */
	assert_int_equal(upqr_acquirer_open(&a, &o, NULL, 0), UPQR_EINVAL);
	base_options(&o, f);
	assert_int_equal(upqr_acquirer_open(&a, &o, err, sizeof err), UPQR_OK);
	assert_string_equal(err, "");
	upqr_acquirer_free(a);
}

/* The only way to switch TLS verification off is refused off loopback. */
static void test_insecure_only_loopback(void **state)
{
	fixture *f = *state;
	upqr_acquirer_options o;
	upqr_acquirer *a = NULL;
	static const char *const refused[] = { "https://gateway.test.95516.com", "https://10.0.0.1:443",
		"https://128.0.0.1", "https://[::2]:8443", "https://localhost.example.com",
		"https://127.0.0.1.example.com" };
	static const char *const allowed[] = { "https://127.0.0.1:8443", "https://127.5.6.7",
		"https://[::1]:9", "https://localhost:1", "http://127.0.0.1:80" };
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		base_options(&o, f);
		o.base_url = refused[i];
		o.insecure_loopback_tls = 1;
		assert_int_equal(upqr_acquirer_new(&a, &o), UPQR_EINVAL);
		assert_null(a);
	}
	for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++) {
		base_options(&o, f);
		o.base_url = allowed[i];
		o.insecure_loopback_tls = 1;
		assert_int_equal(upqr_acquirer_new(&a, &o), UPQR_OK);
		upqr_acquirer_free(a);
	}
}

/* txnTime is Beijing time whatever TZ the host runs in. */
static void test_txn_time_beijing(void **state)
{
	(void)state;
	static const char *const zones[] = { "UTC", "America/Los_Angeles", "Asia/Shanghai",
		"Pacific/Chatham", "Asia/Kolkata", "Europe/Berlin", "America/St_Johns" };
	const char *old = getenv("TZ");
	char *saved = old ? strdup(old) : NULL;
	for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++) {
		setenv("TZ", zones[i], 1);
		tzset();
		char t[15];
		upqr_acp_txn_time(t, 0);
		assert_string_equal(t, "19700101080000");
		upqr_acp_txn_time(t, 1704038399); /* 2023-12-31 15:59:59 UTC */
		assert_string_equal(t, "20231231235959");
		upqr_acp_txn_time(t, 1704038400);
		assert_string_equal(t, "20240101000000");
		upqr_acp_txn_time(t, 1709222400); /* 2024-02-29 16:00 UTC: leap day in Beijing ends */
		assert_string_equal(t, "20240301000000");
	}
	if (saved) {
		setenv("TZ", saved, 1);
		free(saved);
	} else {
		unsetenv("TZ");
	}
	tzset();
}

static void test_order_ids(void **state)
{
	fixture *f = *state;
	enum { N = 2000 };
	char (*ids)[33] = calloc(N, 33);
	for (int i = 0; i < N; i++) {
		assert_int_equal(upqr_acquirer_order_id(ids[i], f->acq, 1704038400 + i / 500), UPQR_OK);
		size_t n = strlen(ids[i]);
		assert_true(n >= 8 && n <= 32);
		assert_int_equal(strspn(ids[i], "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"), n);
		assert_memory_equal(ids[i], i < 500 ? "20240101000000" : "2024010100000", i < 500 ? 14 : 13);
		if (i > 0)
			assert_true(strcmp(ids[i - 1], ids[i]) < 0); /* sortable, hence unique */
	}
	free(ids);
	assert_int_equal(upqr_acquirer_order_id(NULL, f->acq, 0), UPQR_EINVAL);
}

/* ---- notifications ------------------------------------------------------ */

static char *read_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	assert_non_null(fp);
	static char buf[8192];
	size_t n = fread(buf, 1, sizeof buf - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	return buf;
}

/* PEM with CRLF line ends, as UnionPay sends signPubKeyCert. */
static void pem_crlf(char *out, size_t cap, const char *path)
{
	const char *in = read_file(path);
	size_t o = 0;
	for (; *in && o + 2 < cap; in++) {
		if (*in == '\n')
			out[o++] = '\r';
		out[o++] = *in;
	}
	out[o] = '\0';
}

#define F(k, v) { k, sizeof k - 1, v, strlen(v) }

/* A notification body signed as UnionPay would (5.1.0, signPubKeyCert). */
static size_t notification(char *out, size_t cap, const char *key, const char *cert,
		const char *resp, const char *orig)
{
	static char pem[8192];
	pem_crlf(pem, sizeof pem, cert);
	upqr_signer *up = signer_pem(key, cert);
	upqr_acp_field f[] = {
		F("version", "5.1.0"), F("encoding", "UTF-8"), F("signMethod", "01"), F("txnType", "01"),
		F("txnSubType", "06"), F("bizType", "000000"), F("accessType", "0"), F("merId", MER),
		F("orderId", "20240101000000AAAAAA12345678"), F("txnTime", "20240101000000"),
		F("txnAmt", "1234"), F("currencyCode", "156"), F("queryId", "782209081322060674028"),
		F("traceNo", "067402"), F("traceTime", "0101000000"), F("settleDate", "0101"),
		F("respCode", resp), F("respMsg", "success"), F("accNo", "6216***********0018"),
		F("signPubKeyCert", pem), F("origRespCode", orig ? orig : ""),
	};
	size_t n = sizeof f / sizeof f[0] - (orig ? 0 : 1);
	size_t w = 0;
	assert_int_equal(upqr_signer_build_request(out, cap, &w, up, f, n), UPQR_OK);
	upqr_signer_free(up);
	return w;
}

static void test_notify_genuine(void **state)
{
	fixture *f = *state;
	static char body[16384];
	size_t n = notification(body, sizeof body, PKI "upop.key", PKI "upop_sign.pem", "00", NULL);
	upqr_notify_result r;
	/* The URL's own query string is discarded, whatever it says. */
	assert_int_equal(upqr_acquirer_notify(&r, f->acq, body, n, "respCode=99&x=1", 15), UPQR_OK);
	assert_int_equal(r.http_status, 200);
	assert_true(r.verified);
	assert_int_equal(r.result.outcome, UPQR_OUTCOME_SUCCESS);
	assert_string_equal(r.result.query_id, "782209081322060674028");
	assert_string_equal(r.result.order_id, "20240101000000AAAAAA12345678");
	assert_int_equal(r.result.txn_amt, 1234);
	assert_string_equal(r.result.acc_no_masked, "6216***********0018");
	assert_string_equal(r.txn_type, "01");
}

/* respCode 00 with a failing origRespCode is a failed payment. */
static void test_notify_orig_failure(void **state)
{
	fixture *f = *state;
	static char body[16384];
	size_t n = notification(body, sizeof body, PKI "upop.key", PKI "upop_sign.pem", "00", "66");
	upqr_notify_result r;
	assert_int_equal(upqr_acquirer_notify(&r, f->acq, body, n, NULL, 0), UPQR_OK);
	assert_true(r.verified);
	assert_int_equal(r.result.outcome, UPQR_OUTCOME_FAILED);
	n = notification(body, sizeof body, PKI "upop.key", PKI "upop_sign.pem", "00", "A6");
	assert_int_equal(upqr_acquirer_notify(&r, f->acq, body, n, NULL, 0), UPQR_OK);
	assert_int_equal(r.result.outcome, UPQR_OUTCOME_SUCCESS);
	n = notification(body, sizeof body, PKI "upop.key", PKI "upop_sign.pem", "30", NULL);
	assert_int_equal(upqr_acquirer_notify(&r, f->acq, body, n, NULL, 0), UPQR_OK);
	assert_int_equal(r.result.outcome, UPQR_OUTCOME_FAILED);
}

static void expect_rejected(fixture *f, const char *body, size_t n)
{
	upqr_notify_result r;
	assert_int_not_equal(upqr_acquirer_notify(&r, f->acq, body, n, NULL, 0), UPQR_OK);
	assert_int_equal(r.http_status, 400);
	assert_false(r.verified);
	assert_int_not_equal(r.result.outcome, UPQR_OUTCOME_SUCCESS);
}

static void test_notify_rejected(void **state)
{
	fixture *f = *state;
	static char body[16384];
	/* tampered: the amount changed after signing */
	size_t n = notification(body, sizeof body, PKI "upop.key", PKI "upop_sign.pem", "00", NULL);
	char *amt = strstr(body, "txnAmt=1234");
	assert_non_null(amt);
	amt[7] = '9';
	expect_rejected(f, body, n);
	/* forged: a self-signed certificate with UnionPay's CN */
	n = notification(body, sizeof body, PKI "rogue.key", PKI "rogue.pem", "00", NULL);
	expect_rejected(f, body, n);
	/* expired, wrong organisation, test-environment CN without test_env */
	n = notification(body, sizeof body, PKI "upop.key", PKI "upop_sign_expired.pem", "00", NULL);
	expect_rejected(f, body, n);
	n = notification(body, sizeof body, PKI "upop.key", PKI "upop_sign_wrongorg.pem", "00", NULL);
	expect_rejected(f, body, n);
	n = notification(body, sizeof body, PKI "upop.key", PKI "upop_sign_testcn.pem", "00", NULL);
	expect_rejected(f, body, n);
	/* not a form, empty */
	expect_rejected(f, "a=%zz", 5);
	expect_rejected(f, "", 0);
}


/* ---- a money request is never sent twice -------------------------------- */

/*
 * A keep-alive server that answers every request with an unparsable 200,
 * except a consume (01/06): that one it reads and then drops the connection
 * without a word, the case where libcurl would silently resend a request on
 * a fresh connection.
 */
typedef struct dropper {
	int fd;
	volatile int stop;
	int consumes;
	unsigned short port;
} dropper;

static int serve_conn(dropper *d, int c)
{
	char buf[65536];
	size_t n = 0;
	buf[0] = '\0'; /* strstr reads it before the first recv */
	for (;;) {
		char *end = NULL;
		while ((end = strstr(buf, "\r\n\r\n")) == NULL || n == 0) {
			struct pollfd p = { c, POLLIN, 0 };
			if (d->stop || poll(&p, 1, 100) < 0)
				return 0;
			if (!(p.revents & POLLIN))
				continue;
			ssize_t r = recv(c, buf + n, sizeof buf - 1 - n, 0);
			if (r <= 0)
				return 0;
			n += (size_t)r;
			buf[n] = '\0';
		}
		size_t hl = (size_t)(end - buf) + 4;
		const char *cl = strstr(buf, "Content-Length:");
		size_t want = hl + (cl ? strtoul(cl + 15, NULL, 10) : 0);
		if (want >= sizeof buf)
			return 0; /* larger than any request of these tests */
		while (n < want) {
			ssize_t r = recv(c, buf + n, want - n, 0);
			if (r <= 0)
				return 0;
			n += (size_t)r;
		}
		buf[n] = '\0';
		if (strstr(buf + hl, "txnSubType=06") != NULL) {
			d->consumes++;
			return 0; /* drop it */
		}
		static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nx=1";
		if (send(c, ok, sizeof ok - 1, MSG_NOSIGNAL) < 0)
			return 0;
		memmove(buf, buf + want, n - want);
		n -= want;
		buf[n] = '\0';
	}
}

static void *dropper_main(void *arg)
{
	dropper *d = arg;
	while (!d->stop) {
		struct pollfd p = { d->fd, POLLIN, 0 };
		if (poll(&p, 1, 50) <= 0)
			continue;
		int c = accept(d->fd, NULL, NULL);
		if (c >= 0) {
			serve_conn(d, c);
			close(c);
		}
	}
	return NULL;
}

static void test_never_resent(void **state)
{
	fixture *f = *state;
	dropper d = { .fd = socket(AF_INET, SOCK_STREAM, 0) };
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof a;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(d.fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(d.fd, 8), 0);
	assert_int_equal(getsockname(d.fd, (struct sockaddr *)&a, &al), 0);
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, dropper_main, &d), 0);
	char url[64];
	snprintf(url, sizeof url, "http://127.0.0.1:%u", (unsigned)ntohs(a.sin_port));
	upqr_acquirer_options o;
	base_options(&o, f);
	o.base_url = url;
	o.test_env = 0;
	o.backoff_count = 2;
	o.backoff_ms[0] = o.backoff_ms[1] = 1;
	upqr_acquirer *acq;
	assert_int_equal(upqr_acquirer_new(&acq, &o), UPQR_OK);
	/* a query opens the connection that the consume then reuses */
	upqr_order_ref ref = { "20240101000000AAAAAA12345678", "20240101000000" };
	upqr_acq_result r;
	assert_int_equal(upqr_acquirer_query(&r, acq, &ref), UPQR_OK);
	assert_int_equal(r.outcome, UPQR_OUTCOME_UNKNOWN); /* "x=1" is no signed reply */
	upqr_consume_request q = { .txn_amt = 10, .qr_no = "6225123456789012345" };
	assert_int_equal(upqr_acquirer_consume(&r, acq, &q), UPQR_OK);
	assert_int_not_equal(r.outcome, UPQR_OUTCOME_SUCCESS);
	assert_int_equal(d.consumes, 1); /* the dropped consume was not sent again */
	assert_int_equal(upqr_acquirer_connections(acq) >= 2, 1);
	upqr_acquirer_free(acq);
	d.stop = 1;
	pthread_join(th, NULL);
	close(d.fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_open_reason),
		cmocka_unit_test(test_insecure_only_loopback),
		cmocka_unit_test(test_txn_time_beijing),
		cmocka_unit_test(test_order_ids),
		cmocka_unit_test(test_notify_genuine),
		cmocka_unit_test(test_notify_orig_failure),
		cmocka_unit_test(test_notify_rejected),
		cmocka_unit_test(test_never_resent),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
