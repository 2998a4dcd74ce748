/*
 * http.c - the HTTP(S) server around sim_handle: libmicrohttpd with one
 * thread per connection (a `delay` fault sleeps in its own thread), request
 * bodies collected up to SIM_BODY_MAX (else 413), and the actions of the
 * fault knobs (drop the connection, truncate the body).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include <microhttpd.h>

#include "sim.h"

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
	/* The `delay` fault, in slices so that a shutdown does not wait for it. */
	for (int left = r.delay_ms; left > 0 && !s->stopping; left -= 50) {
		struct timespec ts = { 0, (long)(left < 50 ? left : 50) * 1000000L };
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

struct MHD_Daemon *sim_http_start(sim *s, char **tls_key, char **tls_cert)
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

