/*
 * main.c - `upqr-sim`: the HTTP(S) server around sim_handle (libmicrohttpd,
 * one thread per connection), the ready line, clean shutdown on
 * SIGTERM/SIGINT, and the `pay` command that plays the wallet against a
 * running simulator.
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <microhttpd.h>

#include "sim.h"

static const char USAGE[] =
	"usage: upqr-sim --listen HOST:PORT [--tls] [--state FILE|:memory:] [--config FILE]\n"
	"                [--pki DIR] [--time-scale N] [--qr-host URL] [--notify-timeout-ms N]\n"
	"       upqr-sim pay [--sim BASEURL] QRCODE-URL|ORDERID [--outcome success|decline|expire]\n"
	"                [--amount FEN] [--mer-id MERID]\n";

/* ---- the ready line ------------------------------------------------------------ */

static json_t *abs_path(const char *p)
{
	char buf[PATH_MAX];
	return json_string(realpath(p, buf) ? buf : p);
}

static json_t *pki_path(const sim *s, const char *file)
{
	char p[SIM_PATH_MAX + 32];
	snprintf(p, sizeof p, "%s/%s", s->cfg.pki, file);
	return abs_path(p);
}

static void print_ready(sim *s, unsigned int port)
{
	json_t *mers = json_array();
	for (size_t i = 0; i < s->n_merchants; i++) {
		const sim_merchant *m = &s->merchants[i];
		json_t *o = json_pack("{s:s,s:s,s:o,s:o,s:s,s:s,s:b}", "merId", m->mer_id, "certId", m->cert_id,
			"pfx", abs_path(m->pfx_path), "cert", abs_path(m->cert_path), "pfxPassword", "000000",
			"secureKey", m->secure_key, "enabled", m->enabled);
		json_array_append_new(mers, o);
	}
	const sim_merchant *m0 = &s->merchants[0];
	char back[200], query[200];
	snprintf(back, sizeof back, "%s/gateway/api/backTransReq.do", s->base_url);
	snprintf(query, sizeof query, "%s/gateway/api/queryTrans.do", s->base_url);
	json_t *j = json_pack("{s:b,s:i,s:I,s:b,s:s,s:s,s:s,s:s,s:s,s:o,s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:s,s:s,s:o}",
		"ready", 1, "pid", (int)getpid(), "port", (json_int_t)port, "tls", s->cfg.tls,
		"baseUrl", s->base_url, "backTransUrl", back, "queryUrl", query,
		"merId", m0->mer_id, "certId", m0->cert_id, "pfx", abs_path(m0->pfx_path), "pfxPassword", "000000",
		"secureKey", m0->secure_key,
		"rootCert", pki_path(s, "root.pem"), "middleCert", pki_path(s, "middle.pem"),
		"certDir", pki_path(s, "sim_certdir"), "encryptCert", pki_path(s, "enc.pem"),
		"tlsCaCert", pki_path(s, "sim_tls_ca.pem"),
		"state", s->cfg.state, "qrHost", s->cfg.qr_host, "merchants", mers);
	char *text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	printf("%s\n", text ? text : "{\"ready\":false}");
	fflush(stdout);
	free(text);
}

/* ---- options ----------------------------------------------------------------- */

static bool file_exists(const char *p)
{
	return access(p, R_OK) == 0;
}

/* build/pki beside the binary (build/bin/upqr-sim), else ./build/pki. */
static void default_pki(char *out, size_t cap, const char *argv0)
{
	char exe[SIM_PATH_MAX - 128], probe[SIM_PATH_MAX + 64];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	exe[n > 0 ? n : 0] = 0;
	if (n <= 0)
		snprintf(exe, sizeof exe, "%s", argv0);
	char *slash = strrchr(exe, '/');
	if (slash)
		*slash = 0;
	static const char *const rel[] = { "/../pki", "/../../pki", "/../../../build/pki" };
	for (size_t i = 0; slash && i < sizeof rel / sizeof rel[0]; i++) {
		snprintf(probe, sizeof probe, "%s%s/upop_sign.pem", exe, rel[i]);
		if (file_exists(probe)) {
			snprintf(out, cap, "%s%s", exe, rel[i]);
			return;
		}
	}
	snprintf(out, cap, "build/pki");
}

static int parse_listen(sim_config *c, const char *v)
{
	const char *colon = strrchr(v, ':');
	if (!colon || (size_t)(colon - v) >= sizeof c->listen_host)
		return -1;
	snprintf(c->listen_host, sizeof c->listen_host, "%.*s", (int)(colon - v), v);
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (*end || port < 0 || port > 65535)
		return -1;
	c->port = (unsigned short)port;
	return 0;
}

static int parse_args(sim *s, int argc, char **argv, const char **config)
{
	sim_config *c = &s->cfg;
	bool listen = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--tls") == 0) {
			c->tls = true;
			continue;
		}
		if (!v)
			return -1;
		i++;
		if (strcmp(a, "--listen") == 0 && parse_listen(c, v) == 0)
			listen = true;
		else if (strcmp(a, "--state") == 0)
			snprintf(c->state, sizeof c->state, "%s", v);
		else if (strcmp(a, "--config") == 0)
			*config = v;
		else if (strcmp(a, "--pki") == 0)
			snprintf(c->pki, sizeof c->pki, "%s", v);
		else if (strcmp(a, "--qr-host") == 0)
			snprintf(c->qr_host, sizeof c->qr_host, "%s", v);
		else if (strcmp(a, "--time-scale") == 0 && strtod(v, NULL) > 0)
			c->time_scale = strtod(v, NULL);
		else if (strcmp(a, "--notify-timeout-ms") == 0 && atoi(v) > 0)
			c->notify_timeout_ms = atoi(v);
		else
			return -1;
	}
	return listen ? 0 : -1;
}

/* ---- `upqr-sim pay` ------------------------------------------------------------ */

static size_t collect(char *p, size_t size, size_t n, void *u)
{
	fwrite(p, size, n, (FILE *)u);
	return size * n;
}

static int cmd_pay(int argc, char **argv)
{
	const char *base = getenv("UPQR_SIM_URL"), *target = NULL, *outcome = "success", *amount = NULL,
		*mer = NULL;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (a[0] != '-' && !target) {
			target = a;
			continue;
		}
		if (!v) {
			fputs(USAGE, stderr);
			return 2;
		}
		i++;
		if (strcmp(a, "--sim") == 0)
			base = v;
		else if (strcmp(a, "--outcome") == 0)
			outcome = v;
		else if (strcmp(a, "--amount") == 0)
			amount = v;
		else if (strcmp(a, "--mer-id") == 0)
			mer = v;
		else {
			fputs(USAGE, stderr);
			return 2;
		}
	}
	if (!target || !base) {
		fprintf(stderr, "upqr-sim pay: needs a QR code URL or orderId and --sim BASEURL (or UPQR_SIM_URL)\n");
		return 2;
	}
	CURL *c = curl_easy_init();
	if (!c)
		return 3;
	char url[512], body[1024];
	snprintf(url, sizeof url, "%s/__sim/pay", base);
	char *t = curl_easy_escape(c, target, 0), *o = curl_easy_escape(c, outcome, 0);
	snprintf(body, sizeof body, "%s=%s&outcome=%s%s%s%s%s", strstr(target, "://") ? "qrCode" : "orderId",
		t ? t : "", o ? o : "", amount ? "&amount=" : "", amount ? amount : "", mer ? "&merId=" : "",
		mer ? mer : "");
	curl_free(t);
	curl_free(o);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, stdout);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L); /* the simulator's own throwaway certificate */
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	CURLcode rc = curl_easy_perform(c);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	printf("\n");
	if (rc != CURLE_OK) {
		fprintf(stderr, "upqr-sim pay: %s\n", curl_easy_strerror(rc));
		return 3;
	}
	return status == 200 ? 0 : 1;
}

/* ---- main ------------------------------------------------------------------------ */

static int serve(int argc, char **argv)
{
	static sim s; /* large (signers, fault table): not on the stack */
	const char *config = NULL;
	char err[512] = "";
	sim_config_defaults(&s.cfg);
	if (parse_args(&s, argc, argv, &config) != 0) {
		fputs(USAGE, stderr);
		return 2;
	}
	if (!s.cfg.pki[0])
		default_pki(s.cfg.pki, sizeof s.cfg.pki, argv[0]);
	if (config && sim_config_load(&s, config, err, sizeof err) != 0) {
		fprintf(stderr, "upqr-sim: %s\n", err);
		return 2;
	}
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* every thread inherits it; main waits for them */
	signal(SIGPIPE, SIG_IGN);
	int rc = 1;
	char *tls_key = NULL, *tls_cert = NULL;
	struct MHD_Daemon *d = NULL;
	if (sim_open(&s, err, sizeof err) != 0) {
		fprintf(stderr, "upqr-sim: %s\n", err);
		goto out;
	}
	if (!(d = sim_http_start(&s, &tls_key, &tls_cert))) {
		fprintf(stderr, "upqr-sim: cannot listen on %s:%u\n", s.cfg.listen_host, s.cfg.port);
		goto out;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	unsigned int port = info ? info->port : s.cfg.port;
	snprintf(s.base_url, sizeof s.base_url, "%s://%s:%u", s.cfg.tls ? "https" : "http", s.cfg.listen_host, port);
	if (sim_notify_start(&s) != 0) {
		fprintf(stderr, "upqr-sim: cannot start the notification worker\n");
		goto out;
	}
	print_ready(&s, port);
	int sig = 0;
	sigwait(&set, &sig);
	s.stopping = 1;
	rc = 0;
out:
	if (d)
		MHD_stop_daemon(d);
	sim_close(&s);
	free(tls_key);
	free(tls_cert);
	return rc;
}

int main(int argc, char **argv)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	int rc;
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(USAGE, stdout);
		rc = 0;
	} else if (argc > 1 && strcmp(argv[1], "pay") == 0) {
		rc = cmd_pay(argc, argv);
	} else {
		rc = serve(argc, argv);
	}
	curl_global_cleanup();
	return rc;
}
