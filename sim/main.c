/*
 * main.c - `upqr-sim`: the HTTP(S) server around sim_handle (libmicrohttpd,
 * one thread per connection), the ready line, clean shutdown on
 * SIGTERM/SIGINT, and the `pay` command that plays the wallet against a
 * running simulator.
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
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

/* ---- the HTTP server --------------------------------------------------------- */

typedef struct upload {
	char *data;
	size_t len, cap;
	bool too_big;
} upload;

static void upload_add(upload *u, const char *data, size_t len)
{
	if (u->too_big || u->len + len > SIM_BODY_MAX) {
		u->too_big = true;
		return;
	}
	if (u->len + len + 1 > u->cap) {
		size_t cap = (u->len + len + 1) * 2;
		char *p = realloc(u->data, cap);
		if (!p) {
			u->too_big = true;
			return;
		}
		u->data = p;
		u->cap = cap;
	}
	memcpy(u->data + u->len, data, len);
	u->len += len;
	u->data[u->len] = 0;
}

typedef struct trunc_body {
	char *body;
	size_t len;
} trunc_body;

/* Sends the first half of the body, then reports an error: the client sees a short body. */
static ssize_t trunc_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	trunc_body *t = cls;
	size_t half = t->len / 2;
	if (pos >= half)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	size_t n = half - (size_t)pos < max ? half - (size_t)pos : max;
	memcpy(buf, t->body + pos, n);
	return (ssize_t)n;
}

static void trunc_free(void *cls)
{
	trunc_body *t = cls;
	free(t->body);
	free(t);
}

static enum MHD_Result send_reply(struct MHD_Connection *c, sim_reply *r)
{
	struct MHD_Response *resp;
	if (r->action == ACT_DROP)
		return MHD_NO;
	if (r->action == ACT_TRUNCATE) {
		trunc_body *t = malloc(sizeof *t);
		if (!t)
			return MHD_NO;
		t->body = r->body;
		t->len = r->len;
		r->body = NULL;
		resp = MHD_create_response_from_callback(t->len, 4096, trunc_read, t, trunc_free);
	} else {
		resp = MHD_create_response_from_buffer(r->len, r->body, MHD_RESPMEM_MUST_COPY);
	}
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", r->content_type);
	enum MHD_Result ok = MHD_queue_response(c, (unsigned int)r->status, resp);
	MHD_destroy_response(resp);
	return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
		const char *version, const char *data, size_t *data_len, void **con_cls)
{
	(void)version;
	sim *s = cls;
	upload *u = *con_cls;
	if (!u) {
		if (!(u = calloc(1, sizeof *u)))
			return MHD_NO;
		*con_cls = u;
		return MHD_YES;
	}
	if (*data_len) {
		upload_add(u, data, *data_len);
		*data_len = 0;
		return MHD_YES;
	}
	sim_reply r;
	if (u->too_big) {
		memset(&r, 0, sizeof r);
		r.status = 413;
		r.content_type = "text/plain";
		r.body = strdup("request body too large\n");
		r.len = r.body ? strlen(r.body) : 0;
	} else {
		const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
		sim_handle(s, method, url, ct, u->data ? u->data : "", u->len, &r);
	}
	if (r.delay_ms > 0) {
		struct timespec ts = { r.delay_ms / 1000, (long)(r.delay_ms % 1000) * 1000000L };
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
	enum MHD_Result ok = r.body ? send_reply(c, &r) : MHD_NO;
	sim_reply_free(&r);
	return ok;
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	upload *u = *con_cls;
	if (u) {
		free(u->data);
		free(u);
	}
	*con_cls = NULL;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = calloc(1, 65536);
	if (buf)
		(void)!fread(buf, 1, 65535, f);
	fclose(f);
	return buf;
}

static struct MHD_Daemon *start_server(sim *s, char **tls_key, char **tls_cert)
{
	struct sockaddr_in addr;
	memset(&addr, 0, sizeof addr);
	addr.sin_family = AF_INET;
	addr.sin_port = htons(s->cfg.port);
	if (inet_pton(AF_INET, s->cfg.listen_host, &addr.sin_addr) != 1) {
		fprintf(stderr, "upqr-sim: --listen wants an IPv4 address (127.0.0.1)\n");
		return NULL;
	}
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG;
	if (s->cfg.tls) {
		char path[SIM_PATH_MAX + 32];
		snprintf(path, sizeof path, "%s/sim_tls.key", s->cfg.pki);
		*tls_key = slurp(path);
		snprintf(path, sizeof path, "%s/sim_tls.pem", s->cfg.pki);
		*tls_cert = slurp(path);
		if (!*tls_key || !*tls_cert) {
			fprintf(stderr, "upqr-sim: no TLS key/certificate in %s (run `make pki`)\n", s->cfg.pki);
			return NULL;
		}
		flags |= MHD_USE_TLS;
	}
	return MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
		MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)120,
		s->cfg.tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, *tls_key,
		MHD_OPTION_HTTPS_MEM_CERT, *tls_cert,
		MHD_OPTION_END);
}

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
	if (!(d = start_server(&s, &tls_key, &tls_cert))) {
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
