/*
 * bench_acquirer.c - orders per second of the acquirer client (one thread,
 * keep-alive TLS to upqr-sim on loopback; a signed consume and its verified
 * sync reply per order) against a ceiling measured in the same run:
 *
 *   order_ceiling_per_s = 1 / (client sign + client verify + a bare libcurl
 *                              keep-alive TLS round trip of a pre-signed
 *                              consume to the same endpoint)
 *
 * Target: orders_per_s >= 90 % of the ceiling. The simulator's notifications
 * are switched off (fault notify_none) so that both loops cost it the same.
 */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "bench.h"
#include "simctl.h"
#include "upqr.h"

#define N 300
#define QRNO "6225123456789012345"

typedef struct reply {
	char buf[65536];
	size_t len;
} reply;

static size_t on_data(char *p, size_t size, size_t n, void *u)
{
	reply *r = u;
	size_t len = size * n;
	if (r->len + len < sizeof r->buf) {
		memcpy(r->buf + r->len, p, len);
		r->len += len;
		r->buf[r->len] = '\0';
	}
	return len;
}

typedef struct kit {
	simctl sim;
	upqr_signer *signer;
	upqr_verifier *verifier;
	upqr_acquirer *acq;
} kit;

static int open_kit(kit *k)
{
	const char *extra[] = { "--tls", NULL };
	if (!simctl_start(&k->sim, extra))
		return -1;
	char out[512];
	if (simctl_post(&k->sim, "/__sim/faults", "fault=notify_none&value=1", out, sizeof out) != 200)
		return -1;
	upqr_signer_options so = UPQR_SIGNER_OPTIONS_INIT;
	so.pfx_path = k->sim.pfx;
	so.password = "000000";
	upqr_verifier_options vo = UPQR_VERIFIER_OPTIONS_INIT;
	vo.root_cert_path = k->sim.root;
	vo.middle_cert_path = k->sim.middle;
	if (upqr_signer_new(&k->signer, &so) || upqr_verifier_new(&k->verifier, &vo))
		return -1;
	upqr_acquirer_options o = UPQR_ACQUIRER_OPTIONS_INIT;
	o.mer_id = k->sim.mer_id;
	o.base_url = k->sim.base_url;
	o.ca_file = k->sim.tls_ca;
	o.signer = k->signer;
	o.verifier = k->verifier;
	o.back_url = "http://127.0.0.1:9/notify";
	o.sync_only = 1; /* one request, one verified reply per order */
	return upqr_acquirer_new(&k->acq, &o);
}

/* n client orders; returns the time they took in ns (0 on failure). */
static double run_orders(kit *k, int n)
{
	double t0 = bench_now_ns();
	for (int i = 0; i < n; i++) {
		upqr_acq_result r;
		upqr_consume_request q = { .txn_amt = 100, .qr_no = QRNO };
		if (upqr_acquirer_consume(&r, k->acq, &q) != UPQR_OK || !r.accepted) {
			fprintf(stderr, "bench_acquirer: order %d not accepted: %s\n", i, upqr_acquirer_last_error(k->acq));
			return 0;
		}
	}
	return bench_now_ns() - t0;
}

/* The fields of one consume, as the client builds them. */
static size_t consume_fields(upqr_acp_field *f, const kit *k, char *oid, char *tt)
{
	upqr_acp_field v[] = {
		{ "version", 7, "5.1.0", 5 }, { "encoding", 8, "UTF-8", 5 }, { "signMethod", 10, "01", 2 },
		{ "txnType", 7, "01", 2 }, { "txnSubType", 10, "06", 2 }, { "bizType", 7, "000000", 6 },
		{ "accessType", 10, "0", 1 }, { "channelType", 11, "08", 2 },
		{ "merId", 5, k->sim.mer_id, strlen(k->sim.mer_id) }, { "orderId", 7, oid, strlen(oid) },
		{ "txnTime", 7, tt, 14 }, { "txnAmt", 6, "100", 3 }, { "currencyCode", 12, "156", 3 },
		{ "qrNo", 4, QRNO, sizeof QRNO - 1 }, { "backUrl", 7, "http://127.0.0.1:9/notify", 25 },
	};
	memcpy(f, v, sizeof v);
	return sizeof v / sizeof v[0];
}

/* Pre-signs bodies [from, from + n) of fresh orders; returns the signing time in ns. */
static double sign_range(kit *k, char **bodies, size_t *lens, int from, int n)
{
	double t = 0;
	for (int i = from; i < from + n; i++) {
		char oid[33], tt[15];
		upqr_acp_field f[20];
		if (upqr_acquirer_order_id(oid, k->acq, (int64_t)time(NULL)) != UPQR_OK)
			return -1;
		upqr_acp_txn_time(tt, (int64_t)time(NULL));
		size_t nf = consume_fields(f, k, oid, tt);
		bodies[i] = malloc(8192);
		double t0 = bench_now_ns();
		if (upqr_signer_build_request(bodies[i], 8192, &lens[i], k->signer, f, nf) != UPQR_OK)
			return -1;
		t += bench_now_ns() - t0;
	}
	return t;
}

typedef struct bare {
	CURL *c;
	struct curl_slist *h;
} bare;

static void bare_open(bare *b, kit *k, reply *last)
{
	char url[256];
	snprintf(url, sizeof url, "%s/gateway/api/backTransReq.do", k->sim.base_url);
	b->c = curl_easy_init();
	b->h = curl_slist_append(NULL, "Content-Type: application/x-www-form-urlencoded;charset=UTF-8");
	b->h = curl_slist_append(b->h, "Expect:");
	curl_easy_setopt(b->c, CURLOPT_URL, url);
	curl_easy_setopt(b->c, CURLOPT_HTTPHEADER, b->h);
	curl_easy_setopt(b->c, CURLOPT_CAINFO, k->sim.tls_ca);
	curl_easy_setopt(b->c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(b->c, CURLOPT_WRITEDATA, last);
}

/* Bare keep-alive TLS round trips of pre-signed bodies [from, from + n); time in ns. */
static double bare_round_trips(bare *b, char **bodies, size_t *lens, int from, int n, reply *last)
{
	double t0 = bench_now_ns();
	for (int i = from; i < from + n; i++) {
		last->len = 0;
		curl_easy_setopt(b->c, CURLOPT_POSTFIELDS, bodies[i]);
		curl_easy_setopt(b->c, CURLOPT_POSTFIELDSIZE, (long)lens[i]);
		if (curl_easy_perform(b->c) != CURLE_OK)
			return -1;
	}
	return bench_now_ns() - t0;
}

/* Parses and verifies the reply n times; time in ns. */
static double verify_cost(kit *k, reply *r, int n)
{
	upqr_acp_field f[UPQR_ACP_FIELDS_MAX];
	size_t nf;
	double t0 = bench_now_ns();
	for (int i = 0; i < n; i++)
		if (upqr_acp_parse_response(f, UPQR_ACP_FIELDS_MAX, &nf, r->buf, r->len, NULL) != UPQR_OK ||
				upqr_verifier_verify(k->verifier, f, nf, UPQR_VERIFY_NOW) != UPQR_OK)
			return -1;
	return bench_now_ns() - t0;
}

int main(void)
{
	kit k;
	memset(&k, 0, sizeof k);
	if (open_kit(&k) != UPQR_OK) {
		fprintf(stderr, "bench_acquirer: needs build/bin/upqr-sim and build/pki (run make)\n");
		simctl_stop(&k.sim);
		return 1;
	}
	static char *bodies[N];
	static size_t lens[N];
	static reply last;
	bare b;
	bare_open(&b, &k, &last);
	/* warm-up of both paths: connections, certificate caches */
	double sign_ns = sign_range(&k, bodies, lens, 0, 1);
	(void)run_orders(&k, 20);
	(void)bare_round_trips(&b, bodies, lens, 0, 1, &last);
	free(bodies[0]);
	bodies[0] = NULL;
	/* Interleaved rounds, so that drift on a shared machine hits every part alike. */
	enum { ROUNDS = 10, PER = N / ROUNDS };
	double orders_ns = 0, rt_ns = 0, verify_ns = 0;
	sign_ns = 0;
	for (int i = 0; i < ROUNDS; i++) {
		double sg = sign_range(&k, bodies, lens, i * PER, PER);
		double o = run_orders(&k, PER);
		double r = sg > 0 ? bare_round_trips(&b, bodies, lens, i * PER, PER, &last) : -1;
		double v = r > 0 ? verify_cost(&k, &last, PER) : -1;
		if (o <= 0 || v <= 0) {
			orders_ns = 0;
			break;
		}
		sign_ns += sg;
		orders_ns += o;
		rt_ns += r;
		verify_ns += v;
	}
	double orders = orders_ns > 0 ? N / (orders_ns / 1e9) : 0;
	sign_ns /= N;
	rt_ns /= N;
	verify_ns /= N;
	curl_slist_free_all(b.h);
	curl_easy_cleanup(b.c);
	int status = 0;
	if (orders <= 0 || verify_ns <= 0) {
		fprintf(stderr, "bench_acquirer: a measurement failed\n");
		status = 1;
	} else {
		double ceiling = 1e9 / (sign_ns + verify_ns + rt_ns);
		printf("sign %.0f us, verify %.0f us, bare TLS round trip %.0f us; connections %ld\n",
				sign_ns / 1e3, verify_ns / 1e3, rt_ns / 1e3, upqr_acquirer_connections(k.acq));
		bench_result("orders_per_s", orders, "orders/s");
		bench_result("order_ceiling_per_s", ceiling, "orders/s");
		bench_result("orders_vs_ceiling", 100.0 * orders / ceiling, "%");
	}
	for (int i = 0; i < N; i++)
		free(bodies[i]);
	upqr_acquirer_free(k.acq);
	upqr_verifier_free(k.verifier);
	upqr_signer_free(k.signer);
	simctl_stop(&k.sim);
	return status;
}
