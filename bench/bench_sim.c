/*
 * bench_sim.c - how fast upqr-sim answers signed consumes (keep-alive HTTP,
 * one client thread) against a bare libmicrohttpd answer of the same size on
 * the same server setup, and against the client's own cost of signing the
 * request (the SDK's signer, measured in the same run). The requests are
 * signed before the clock starts, so sim_requests_per_s is the simulator's
 * own throughput: verify, validate, commit to SQLite, sign the reply.
 *
 *   sim_requests_per_s       signed consumes answered per second
 *   sim_raw_http_per_s       bare answers of the same size per second
 *   sim_client_sign_per_s    the SDK signing the same consume request
 *   sim_vs_raw_http          sim / raw, %
 *   sim_vs_client_sign       sim / client signing, % (above 100: the simulator
 *                            answers faster than a client can sign requests)
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <microhttpd.h>

#include "bench.h"
#include "../sim/sim.h"

#define REQUESTS 400

static sim S;

static size_t sink(char *p, size_t size, size_t n, void *u)
{
	size_t *total = u;
	(void)p;
	*total += size * n;
	return size * n;
}

/* n POSTs of bodies[i % count] to url on one keep-alive handle; requests per second. */
static double post_loop(const char *url, char **bodies, size_t count, size_t n, size_t *reply_len)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/x-www-form-urlencoded;charset=UTF-8");
	size_t total = 0;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &total);
	double t0 = bench_now_ns();
	for (size_t i = 0; i < n; i++) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, bodies[i % count]);
		long status = 0;
		if (curl_easy_perform(c) != CURLE_OK || curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK ||
				status != 200) {
			fprintf(stderr, "bench_sim: request %zu failed (HTTP %ld)\n", i, status);
			exit(1);
		}
	}
	double secs = (bench_now_ns() - t0) / 1e9;
	*reply_len = total / n;
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return (double)n / secs;
}

/* The bare server: every request gets the same body (of the simulator's reply size). */
static char *raw_body;
static size_t raw_len;

static enum MHD_Result raw_answer(void *cls, struct MHD_Connection *c, const char *url, const char *method,
		const char *version, const char *data, size_t *data_len, void **con_cls)
{
	(void)cls;
	(void)url;
	(void)method;
	(void)version;
	(void)data;
	static int marker;
	if (!*con_cls) {
		*con_cls = &marker;
		return MHD_YES;
	}
	if (*data_len) {
		*data_len = 0;
		return MHD_YES;
	}
	struct MHD_Response *r = MHD_create_response_from_buffer(raw_len, raw_body, MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(r, "Content-Type", "text/plain;charset=UTF-8");
	enum MHD_Result ok = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return ok;
}

static char *consume_body(upqr_signer *sg, const char *now, size_t i, double *sign_ns)
{
	char order[40];
	snprintf(order, sizeof order, "BENCH%s%06zu", now, i);
	upqr_acp_field f[] = {
		{ "version", 7, "5.1.0", 5 }, { "encoding", 8, "UTF-8", 5 }, { "signMethod", 10, "01", 2 },
		{ "txnType", 7, "01", 2 }, { "txnSubType", 10, "06", 2 }, { "bizType", 7, "000000", 6 },
		{ "accessType", 10, "0", 1 }, { "channelType", 11, "07", 2 },
		{ "merId", 5, "777290058110048", 15 }, { "orderId", 7, order, strlen(order) },
		{ "txnTime", 7, now, 14 }, { "txnAmt", 6, "100", 3 }, { "currencyCode", 12, "156", 3 },
		{ "qrNo", 4, "6200000000000000001", 19 }, { "backUrl", 7, "http://127.0.0.1:9/n", 20 },
	};
	size_t n = sizeof f / sizeof f[0], w = 0;
	char *out = malloc(8192);
	double t0 = bench_now_ns();
	if (!out || upqr_signer_build_request(out, 8192, &w, sg, f, n) != UPQR_OK) {
		fprintf(stderr, "bench_sim: cannot sign: %s\n", upqr_signer_last_error(sg));
		exit(1);
	}
	*sign_ns += bench_now_ns() - t0;
	return out;
}

int main(void)
{
	char err[512];
	sim_config_defaults(&S.cfg);
	snprintf(S.cfg.pki, sizeof S.cfg.pki, "build/pki");
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (sim_open(&S, err, sizeof err) != 0) {
		fprintf(stderr, "bench_sim: %s\n", err);
		return 1;
	}
	/* Measure the simulator, not a notification worker knocking on a closed port. */
	S.faults[S.n_faults++] = (sim_fault){ SCOPE_GLOBAL, "", "notify_none", "" };
	char *k = NULL, *c = NULL;
	struct MHD_Daemon *d = sim_http_start(&S, &k, &c);
	if (!d)
		return 1;
	char url[128], now[16];
	snprintf(url, sizeof url, "http://127.0.0.1:%u/gateway/api/backTransReq.do",
		MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port);
	sim_bj_format(now, sizeof now, sim_now(&S), BJ_FULL);

	upqr_signer_options so = UPQR_SIGNER_OPTIONS_INIT;
	so.pfx_path = "build/pki/merchant.pfx";
	so.password = "000000";
	upqr_signer *sg = NULL;
	if (upqr_signer_new(&sg, &so) != UPQR_OK)
		return 1;
	char **bodies = malloc(REQUESTS * sizeof *bodies);
	double sign_ns = 0;
	for (size_t i = 0; i < REQUESTS; i++)
		bodies[i] = consume_body(sg, now, i, &sign_ns);
	size_t sim_len = 0, raw_reply = 0;
	double sim_rate = post_loop(url, bodies, REQUESTS, REQUESTS, &sim_len);
	MHD_stop_daemon(d);

	/* The same server setup (flags, address) answering a fixed body of the reply's size. */
	raw_len = sim_len;
	raw_body = malloc(raw_len);
	memset(raw_body, 'x', raw_len);
	struct sockaddr_in addr = { .sin_family = AF_INET };
	addr.sin_addr.s_addr = htonl(0x7f000001);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL,
		raw_answer, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_END);
	if (!d)
		return 1;
	snprintf(url, sizeof url, "http://127.0.0.1:%u/gateway/api/backTransReq.do",
		MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port);
	double raw_rate = post_loop(url, bodies, REQUESTS, 4 * REQUESTS, &raw_reply);
	MHD_stop_daemon(d);
	double sign_rate = REQUESTS / (sign_ns / 1e9);

	printf("upqr-sim: %d signed consumes (qrNo, 5.1.0, RSA-2048), keep-alive HTTP, one client thread; "
		"reply %zu bytes\n", REQUESTS, sim_len);
	bench_result("sim_requests_per_s", sim_rate, "req/s");
	bench_result("sim_raw_http_per_s", raw_rate, "req/s");
	bench_result("sim_client_sign_per_s", sign_rate, "ops/s");
	bench_result("sim_vs_raw_http", 100.0 * sim_rate / raw_rate, "%");
	bench_result("sim_vs_client_sign", 100.0 * sim_rate / sign_rate, "%");
	for (size_t i = 0; i < REQUESTS; i++)
		free(bodies[i]);
	free(bodies);
	free(raw_body);
	upqr_signer_free(sg);
	sim_close(&S);
	free(k);
	free(c);
	curl_global_cleanup();
	return 0;
}
