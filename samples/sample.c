/*
 * sample.c - see sample.h. Every failure is printed with the SDK's own
 * words (status name, strerror, the handle's last error).
 */
#include "sample.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *env(const char *name, int required)
{
	const char *v = getenv(name);
	if (v && *v)
		return v;
	if (required)
		fprintf(stderr, "sample: %s is not set (see the README's Samples section)\n", name);
	return NULL;
}

int sample_fail(const char *what, int rc, const char *detail)
{
	fflush(stdout); /* keep the story in order when both go to one pipe */
	fprintf(stderr, "sample: %s: %s (%s)%s%s\n", what, upqr_status_name(rc), upqr_strerror(rc),
		detail && *detail ? ": " : "", detail ? detail : "");
	switch (rc) {
	case UPQR_EIO: case UPQR_ENOMEM: case UPQR_ENETWORK: case UPQR_ETLS: case UPQR_ETIMEOUT:
		return SAMPLE_IO;
	default:
		return SAMPLE_REFUSED;
	}
}

int sample_exit_for(const upqr_acq_result *r)
{
	return r->outcome == UPQR_OUTCOME_SUCCESS ? SAMPLE_OK :
		r->outcome == UPQR_OUTCOME_FAILED ? SAMPLE_REFUSED : SAMPLE_UNKNOWN;
}

/* The password lives only in this buffer, wiped before return. */
static int open_signer(sample_client *c)
{
	const char *pfx = env("UPQR_PFX", 1), *pwfile = env("UPQR_PFX_PASSWORD_FILE", 1);
	if (!pfx || !pwfile)
		return SAMPLE_USAGE;
	char pw[256] = "";
	FILE *f = fopen(pwfile, "r");
	if (!f || !fgets(pw, sizeof pw, f)) {
		fprintf(stderr, "sample: cannot read UPQR_PFX_PASSWORD_FILE %s: %s\n", pwfile,
			f ? "empty" : strerror(errno));
		if (f)
			fclose(f);
		return SAMPLE_IO;
	}
	fclose(f);
	pw[strcspn(pw, "\r\n")] = '\0';
	upqr_signer_options o = UPQR_SIGNER_OPTIONS_INIT;
	o.pfx_path = pfx;
	o.password = pw;
	o.encrypt_cert_path = env("UPQR_ENCRYPT_CERT", 0);
	int rc = upqr_signer_new(&c->signer, &o);
	upqr_memzero(pw, sizeof pw);
	return rc == UPQR_OK ? SAMPLE_OK : sample_fail("signer (UPQR_PFX)", rc, pfx);
}

static int open_verifier(sample_client *c, int test_env)
{
	upqr_verifier_options o = UPQR_VERIFIER_OPTIONS_INIT;
	o.root_cert_path = env("UPQR_ROOT_CERT", 1);
	o.middle_cert_path = env("UPQR_MIDDLE_CERT", 1);
	o.test_env = test_env;
	if (!o.root_cert_path || !o.middle_cert_path)
		return SAMPLE_USAGE;
	int rc = upqr_verifier_new(&c->verifier, &o);
	return rc == UPQR_OK ? SAMPLE_OK : sample_fail("verifier (UPQR_ROOT_CERT, UPQR_MIDDLE_CERT)", rc, NULL);
}

static int open_journal(sample_client *c)
{
	upqr_journal_options o = UPQR_JOURNAL_OPTIONS_INIT;
	o.location = env("UPQR_JOURNAL", 0);
	if (!o.location)
		return SAMPLE_OK;
	char err[256] = "";
	int rc = upqr_journal_open(&c->journal, &o, err, sizeof err);
	return rc == UPQR_OK ? SAMPLE_OK : sample_fail("journal (UPQR_JOURNAL)", rc, err);
}

int sample_client_open(sample_client *c, const char *back_url, int sync_only)
{
	memset(c, 0, sizeof *c);
	const char *te = env("UPQR_TEST_ENV", 0), *div = env("UPQR_TIME_DIVISOR", 0);
	int test_env = te && strcmp(te, "1") == 0;
	int code = open_signer(c);
	if (code == SAMPLE_OK)
		code = open_verifier(c, test_env);
	if (code == SAMPLE_OK)
		code = open_journal(c);
	upqr_acquirer_options o = UPQR_ACQUIRER_OPTIONS_INIT;
	o.mer_id = env("UPQR_MER_ID", 1);
	o.base_url = env("UPQR_GATEWAY", 1);
	if (code == SAMPLE_OK && (!o.mer_id || !o.base_url))
		code = SAMPLE_USAGE;
	if (code != SAMPLE_OK) {
		sample_client_close(c);
		return code;
	}
	o.signer = c->signer;
	o.verifier = c->verifier;
	o.journal = c->journal;
	o.test_env = test_env;
	o.back_url = back_url;
	o.sync_only = sync_only;
	o.time_divisor = div ? (unsigned int)strtoul(div, NULL, 10) : 1;
	char why[256];
	int rc = upqr_acquirer_open(&c->acq, &o, why, sizeof why);
	if (rc != UPQR_OK) {
		sample_client_close(c);
		return sample_fail("acquirer client (UPQR_GATEWAY, UPQR_MER_ID)", rc, why);
	}
	return SAMPLE_OK;
}

void sample_client_close(sample_client *c)
{
	upqr_acquirer_free(c->acq);
	upqr_journal_free(c->journal);
	upqr_verifier_free(c->verifier);
	upqr_signer_free(c->signer);
	memset(c, 0, sizeof *c);
}

int sample_open(sample *s, int sync_only)
{
	memset(s, 0, sizeof *s);
	const char *back = env("UPQR_BACK_URL", 0);
	if (!back) {
		int code = sample_receiver_start(&s->receiver);
		if (code != SAMPLE_OK)
			return code;
		back = sample_receiver_url(s->receiver);
	}
	int code = sample_client_open(&s->client, back, sync_only);
	if (code != SAMPLE_OK)
		sample_close(s);
	return code;
}

void sample_close(sample *s)
{
	sample_client_close(&s->client);
	sample_receiver_stop(s->receiver);
	s->receiver = NULL;
}

void sample_yuan(char out[32], int64_t fen)
{
	snprintf(out, 32, "%" PRId64 ".%02" PRId64, fen / 100, fen % 100);
}

uint8_t *sample_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long size = -1;
	if (f && fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && size <= 64L << 20 &&
			fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)size + 1)) != NULL &&
			fread(buf, 1, (size_t)size, f) == (size_t)size) {
		*len = (size_t)size;
	} else {
		fprintf(stderr, "sample: cannot read %s: %s\n", path, f && size > 64L << 20 ? "over 64 MiB" :
			strerror(errno));
		free(buf);
		buf = NULL;
	}
	if (f)
		fclose(f);
	return buf;
}

/* Text from a scanned code may hold anything: it must not drive the terminal. */
void sample_print_text(const char *label, const char *text, size_t len)
{
	printf("  %-10s ", label);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		printf(c < 0x20 || c == 0x7f ? "\\x%02X" : "%c", c);
	}
	printf("\n");
}

void sample_print_diags(const upqr_diag_list *diags)
{
	for (size_t i = 0; i < diags->count; i++)
		printf("  %s at %zu [%s]: %s\n", diags->items[i].code, diags->items[i].offset,
			diags->items[i].path, diags->items[i].message);
}

void sample_receipt(const char *title, const upqr_acq_result *r)
{
	printf("---- %s ----\n", title);
	printf("  outcome   %s", upqr_outcome_name(r->outcome));
	if (r->reversed)
		printf(": reversed, the consumer is not charged");
	else if (r->outcome == UPQR_OUTCOME_UNKNOWN)
		printf(": no verified answer decided it yet");
	else if (r->resp_code[0])
		printf(" (respCode %s: %s)", r->resp_code, r->resp_msg);
	printf("\n");
	if (r->txn_amt >= 0) {
		char amt[32];
		sample_yuan(amt, r->txn_amt);
		printf("  amount    CNY %s\n", amt);
	}
	printf("  order     %s at %s (Beijing time)\n", r->order_id, r->txn_time);
	if (r->query_id[0])
		printf("  queryId   %s\n", r->query_id);
	if (r->trace_no[0])
		printf("  trace     %s at %s, settles %s\n", r->trace_no, r->trace_time, r->settle_date);
	if (r->acc_no_masked[0])
		printf("  card      %s\n", r->acc_no_masked); /* masked by the SDK: first 6, last 4 */
	if (r->queries)
		printf("  queries   %u\n", r->queries);
	printf("----\n");
}

/* ---- libmicrohttpd helpers ---------------------------------------------------------- */

typedef struct body_buf {
	char *data;
	size_t len;
} body_buf;

int sample_http_body(void **con_cls, const char *upload, size_t *upload_size, const char **body,
		size_t *len)
{
	body_buf *b = *con_cls;
	if (b == NULL) {
		if ((b = calloc(1, sizeof *b)) == NULL || (b->data = calloc(1, 1)) == NULL) {
			free(b);
			return -1;
		}
		*con_cls = b;
		return 0;
	}
	if (*upload_size) {
		if (b->len + *upload_size > 64 * 1024)
			return -1;
		char *p = realloc(b->data, b->len + *upload_size + 1);
		if (p == NULL)
			return -1;
		memcpy(p + b->len, upload, *upload_size);
		b->data = p;
		b->len += *upload_size;
		b->data[b->len] = '\0';
		*upload_size = 0;
		return 0;
	}
	*body = b->data;
	*len = b->len;
	return 1;
}

void sample_http_done(void *cls, struct MHD_Connection *c, void **con_cls,
		enum MHD_RequestTerminationCode toe)
{
	(void)cls, (void)c, (void)toe;
	body_buf *b = *con_cls;
	if (b)
		free(b->data);
	free(b);
	*con_cls = NULL;
}

enum MHD_Result sample_http_reply(struct MHD_Connection *c, unsigned int status, const char *type,
		const void *body, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)(uintptr_t)body,
		MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	enum MHD_Result ok = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ok;
}

struct MHD_Daemon *sample_http_start(MHD_AccessHandlerCallback handler, void *cls, unsigned int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0,
		NULL, NULL, handler, cls, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&a,
		MHD_OPTION_NOTIFY_COMPLETED, sample_http_done, NULL,
		MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
	const union MHD_DaemonInfo *info = d ? MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT) : NULL;
	if (d && info == NULL) {
		MHD_stop_daemon(d);
		d = NULL;
	}
	if (d == NULL)
		fprintf(stderr, "sample: cannot listen on 127.0.0.1\n");
	else
		*port = info->port;
	return d;
}

/* ---- notification receiver ---------------------------------------------------------- */

#define KEPT 64

struct sample_receiver {
	sample_client client;        /* used by the daemon's one thread only */
	struct MHD_Daemon *daemon;
	char url[64];
	pthread_mutex_t lock;
	pthread_cond_t changed;
	upqr_notify_result kept[KEPT];
	size_t count;
	unsigned int refused;
};

static enum MHD_Result on_notify(void *cls, struct MHD_Connection *c, const char *url,
		const char *method, const char *version, const char *upload, size_t *upload_size,
		void **con_cls)
{
	(void)url, (void)version;
	sample_receiver *r = cls;
	const char *body = NULL;
	size_t len = 0;
	if (strcmp(method, "POST") != 0)
		return sample_http_reply(c, 405, "text/plain", "POST only\n", 10);
	int got = sample_http_body(con_cls, upload, upload_size, &body, &len);
	if (got <= 0)
		return got == 0 ? MHD_YES : MHD_NO;
	upqr_notify_result n;
	int rc = upqr_acquirer_notify(&n, r->client.acq, body, len, NULL, 0);
	pthread_mutex_lock(&r->lock);
	if (rc == UPQR_OK && n.verified)
		r->kept[r->count++ % KEPT] = n;
	else
		r->refused++;
	pthread_cond_broadcast(&r->changed);
	pthread_mutex_unlock(&r->lock);
	if (rc != UPQR_OK)
		fprintf(stderr, "sample: notification answered %d: %s\n", n.http_status,
			upqr_acquirer_last_error(r->client.acq));
	return sample_http_reply(c, (unsigned int)n.http_status, "text/plain", "ok\n", 3);
}

int sample_receiver_start(sample_receiver **out)
{
	sample_receiver *r = calloc(1, sizeof *r);
	*out = NULL;
	if (r == NULL)
		return sample_fail("receiver", UPQR_ENOMEM, NULL);
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->changed, NULL);
	unsigned int port = 0;
	int code = sample_client_open(&r->client, NULL, 1);
	if (code == SAMPLE_OK && (r->daemon = sample_http_start(on_notify, r, &port)) == NULL)
		code = SAMPLE_IO;
	if (code != SAMPLE_OK) {
		sample_receiver_stop(r);
		return code;
	}
	snprintf(r->url, sizeof r->url, "http://127.0.0.1:%u/notify", port);
	*out = r;
	return SAMPLE_OK;
}

const char *sample_receiver_url(const sample_receiver *r)
{
	return r->url;
}

static int find(sample_receiver *r, const char *order_id, upqr_notify_result *out)
{
	size_t first = r->count > KEPT ? r->count - KEPT : 0;
	for (size_t i = first; i < r->count; i++)
		if (strcmp(r->kept[i % KEPT].result.order_id, order_id) == 0) {
			*out = r->kept[i % KEPT];
			return 1;
		}
	return 0;
}

int sample_receiver_wait(sample_receiver *r, const char *order_id, int timeout_ms,
		upqr_notify_result *out)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&r->lock);
	int found;
	while (!(found = find(r, order_id, out)) &&
			pthread_cond_timedwait(&r->changed, &r->lock, &until) == 0)
		;
	pthread_mutex_unlock(&r->lock);
	return found;
}

unsigned int sample_receiver_refused(const sample_receiver *r)
{
	sample_receiver *m = (sample_receiver *)(uintptr_t)r;
	pthread_mutex_lock(&m->lock);
	unsigned int n = m->refused;
	pthread_mutex_unlock(&m->lock);
	return n;
}

void sample_receiver_stop(sample_receiver *r)
{
	if (r == NULL)
		return;
	if (r->daemon)
		MHD_stop_daemon(r->daemon);
	sample_client_close(&r->client);
	pthread_cond_destroy(&r->changed);
	pthread_mutex_destroy(&r->lock);
	free(r);
}
