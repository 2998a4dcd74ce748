/*
 * acq_client.c - the client handle, its libcurl easy handle and one
 * request/reply exchange: sign, POST once, parse, verify.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "acquirer/acq_internal.h"

static const unsigned int default_backoff[] = { 1000, 2000, 4000, 8000, 16000, 32000 };

int upqr_acquirer_options_init(upqr_acquirer_options *opts, unsigned int version)
{
	if (opts == NULL)
		return UPQR_EINVAL;
	if (version != UPQR_ACQUIRER_OPTIONS_VERSION)
		return UPQR_EVERSION;
	const upqr_acquirer_options init = UPQR_ACQUIRER_OPTIONS_INIT;
	*opts = init;
	return UPQR_OK;
}

int upqr__acq_error(upqr_acquirer *a, int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	upqr__set_errorv(a->err, status, fmt, ap);
	va_end(ap);
	return status;
}

bool upqr__acq_ok(const upqr_acquirer *a)
{
	return a != NULL && a->magic == UPQR__ACQ_MAGIC;
}

const char *upqr_acquirer_last_error(const upqr_acquirer *acq)
{
	return upqr__acq_ok(acq) ? acq->err : "not an upqr_acquirer handle";
}

long upqr_acquirer_connections(const upqr_acquirer *acq)
{
	return upqr__acq_ok(acq) ? acq->connects : -1;
}

static char *dup_str(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = upqr__malloc(n);
	if (p != NULL)
		memcpy(p, s, n);
	return p;
}

static bool all_digits(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s);
	if (n < min || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* 127.0.0.0/8, ::1 (with or without brackets) or "localhost". */
static bool host_is_loopback(const char *host)
{
	unsigned char addr[16];
	char h[64];
	size_t n = strlen(host);
	if (strcmp(host, "localhost") == 0)
		return true;
	if (n >= 2 && n < sizeof h && host[0] == '[' && host[n - 1] == ']') {
		memcpy(h, host + 1, n - 2);
		h[n - 2] = '\0';
		host = h;
	}
	if (inet_pton(AF_INET, host, addr) == 1)
		return addr[0] == 127;
	if (inet_pton(AF_INET6, host, addr) == 1) {
		static const unsigned char one[16] = { [15] = 1 };
		return memcmp(addr, one, 16) == 0;
	}
	return false;
}

/* Checks scheme and host of the base URL; *loopback tells whether the host is local. */
static int check_url(upqr_acquirer *a, const char *url, int test_env, bool *loopback)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	int rc = UPQR_OK;
	if (u == NULL)
		return upqr__acq_error(a, UPQR_ENOMEM, "out of memory");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
			curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
			curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		rc = upqr__acq_error(a, UPQR_EINVAL, "base_url is not a URL");
		goto out;
	}
	*loopback = host_is_loopback(host);
	/* The test-environment switch must agree with the gateway the URL names. */
	bool test_host = strcmp(host, "gateway.test.95516.com") == 0 || strcmp(host, "101.231.204.80") == 0;
	bool prod_host = strcmp(host, "gateway.95516.com") == 0;
	if ((test_host && !test_env) || (prod_host && test_env)) {
		rc = upqr__acq_error(a, UPQR_EINVAL, "test_env is %d but base_url names UnionPay's %s gateway",
				test_env, test_host ? "test" : "production");
		goto out;
	}
	if (strcmp(scheme, "https") != 0 && !(strcmp(scheme, "http") == 0 && *loopback))
		rc = upqr__acq_error(a, UPQR_EINVAL,
				"base_url must be https (plain http only for loopback simulators)");
out:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return rc;
}

static int check_options(upqr_acquirer *a, const upqr_acquirer_options *o, bool *loopback)
{
	if (o->mer_id == NULL || !all_digits(o->mer_id, 15, 15))
		return upqr__acq_error(a, UPQR_EINVAL, "mer_id must be 15 digits");
	const char *at = o->access_type ? o->access_type : "0";
	if (strcmp(at, "0") != 0 && strcmp(at, "1") != 0 && strcmp(at, "2") != 0)
		return upqr__acq_error(a, UPQR_EINVAL, "access_type must be 0, 1 or 2");
	if (strcmp(at, "1") == 0 && (o->acq_ins_code == NULL || !all_digits(o->acq_ins_code, 8, 11)))
		return upqr__acq_error(a, UPQR_EINVAL, "access_type 1 needs acq_ins_code (8-11 digits)");
	if (o->signer == NULL || o->verifier == NULL)
		return upqr__acq_error(a, UPQR_EINVAL, "a signer and a verifier are required");
	if (o->acp_version != UPQR_ACP_5_1_0 && o->acp_version != UPQR_ACP_5_0_0)
		return upqr__acq_error(a, UPQR_EINVAL, "acp_version must be 5.1.0 or 5.0.0");
	if (o->sign_method != UPQR_ACP_SIGN_RSA && o->sign_method != UPQR_ACP_SIGN_SHA256 &&
			o->sign_method != UPQR_ACP_SIGN_SM3)
		return upqr__acq_error(a, UPQR_EINVAL, "sign_method must be 01, 11 or 12");
	if (o->connect_timeout_ms <= 0 || o->total_timeout_ms <= 0)
		return upqr__acq_error(a, UPQR_EINVAL, "timeouts must be positive");
	if (o->backoff_count > UPQR_ACQ_BACKOFF_MAX)
		return upqr__acq_error(a, UPQR_EINVAL, "at most %d query delays", UPQR_ACQ_BACKOFF_MAX);
	if (o->base_url == NULL)
		return upqr__acq_error(a, UPQR_EINVAL, "base_url is required");
	int rc = check_url(a, o->base_url, o->test_env, loopback);
	if (rc != UPQR_OK)
		return rc;
	if (o->insecure_loopback_tls && !*loopback)
		return upqr__acq_error(a, UPQR_EINVAL,
				"insecure_loopback_tls is accepted for loopback hosts only");
	if (o->back_url != NULL && strncmp(o->back_url, "http://", 7) != 0 &&
			strncmp(o->back_url, "https://", 8) != 0)
		return upqr__acq_error(a, UPQR_EINVAL, "back_url must be an http(s) URL");
	return UPQR_OK;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	upqr_acquirer *a = userdata;
	size_t n = size * nmemb;
	if (a->resp_len + n + 1 > UPQR_ACP_MESSAGE_MAX + 1) {
		a->resp_overflow = true;
		return 0; /* aborts the transfer: the reply is unusable */
	}
	if (a->resp_len + n + 1 > a->resp_cap) {
		size_t cap = a->resp_cap * 2;
		while (cap < a->resp_len + n + 1)
			cap *= 2;
		char *p = upqr__realloc(a->resp, cap);
		if (p == NULL)
			return 0;
		a->resp = p;
		a->resp_cap = cap;
	}
	memcpy(a->resp + a->resp_len, ptr, n);
	a->resp_len += n;
	a->resp[a->resp_len] = '\0';
	return n;
}

/* The request body, handed to libcurl through a read callback so that it
 * can never be rewound and resent (libcurl retries a request on a reused
 * connection that died; a money request must not go out twice). */
typedef struct upload {
	const char *data;
	size_t len;
	size_t off;
} upload;

static size_t on_read(char *buf, size_t size, size_t nitems, void *userdata)
{
	upload *u = userdata;
	size_t n = size * nitems;
	if (n > u->len - u->off)
		n = u->len - u->off;
	memcpy(buf, u->data + u->off, n);
	u->off += n;
	return n;
}

static int on_seek(void *userdata, curl_off_t offset, int origin)
{
	upload *u = userdata;
	/* Rewinding before anything was read is harmless; after that it is a resend. */
	if (origin == SEEK_SET && offset == 0 && u->off == 0)
		return CURL_SEEKFUNC_OK;
	return CURL_SEEKFUNC_FAIL;
}

static int setup_curl(upqr_acquirer *a, const upqr_acquirer_options *o)
{
	CURL *c = a->curl;
	char ua[64];
	snprintf(ua, sizeof ua, "upqr/%s", upqr_version());
	a->headers = curl_slist_append(NULL, "Content-Type: application/x-www-form-urlencoded;charset=UTF-8");
	if (a->headers == NULL)
		return UPQR_ENOMEM;
	struct curl_slist *h = curl_slist_append(a->headers, "Expect:");
	if (h == NULL)
		return UPQR_ENOMEM;
	a->headers = h;
	bool ok = curl_easy_setopt(c, CURLOPT_HTTPHEADER, a->headers) == CURLE_OK &&
		curl_easy_setopt(c, CURLOPT_USERAGENT, o->user_agent ? o->user_agent : ua) == CURLE_OK &&
		curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms) == CURLE_OK &&
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, o->total_timeout_ms) == CURLE_OK &&
		curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
		curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
		curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body) == CURLE_OK &&
		curl_easy_setopt(c, CURLOPT_WRITEDATA, a) == CURLE_OK &&
		curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read) == CURLE_OK &&
		curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, on_seek) == CURLE_OK &&
		curl_easy_setopt(c, CURLOPT_POST, 1L) == CURLE_OK;
	long verify = o->insecure_loopback_tls ? 0L : 1L;
	ok = ok && curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, verify) == CURLE_OK &&
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, verify ? 2L : 0L) == CURLE_OK;
	if (ok && o->ca_file != NULL)
		ok = curl_easy_setopt(c, CURLOPT_CAINFO, o->ca_file) == CURLE_OK;
	if (!ok)
		return upqr__acq_error(a, UPQR_EINVAL, "libcurl refused an option");
	if (o->pinned_public_key != NULL &&
			curl_easy_setopt(c, CURLOPT_PINNEDPUBLICKEY, o->pinned_public_key) != CURLE_OK)
		return upqr__acq_error(a, UPQR_EUNSUPPORTED, "this libcurl cannot pin public keys");
	return UPQR_OK;
}

static int copy_options(upqr_acquirer *a, const upqr_acquirer_options *o)
{
	upqr__acq_copy(a->mer_id, sizeof a->mer_id, o->mer_id);
	upqr__acq_copy(a->access_type, sizeof a->access_type, o->access_type ? o->access_type : "0");
	upqr__acq_copy(a->acq_ins_code, sizeof a->acq_ins_code, o->acq_ins_code ? o->acq_ins_code : "");
	a->signer = o->signer;
	a->verifier = o->verifier;
	a->journal = o->journal;
	a->version_text = o->acp_version == UPQR_ACP_5_0_0 ? "5.0.0" : "5.1.0";
	a->sign_method_text = o->sign_method == UPQR_ACP_SIGN_RSA ? "01" :
		o->sign_method == UPQR_ACP_SIGN_SHA256 ? "11" : "12";
	if (o->backoff_count == 0) {
		memcpy(a->backoff_ms, default_backoff, sizeof default_backoff);
		a->backoff_count = UPQR__ARRAY_LEN(default_backoff);
	} else {
		memcpy(a->backoff_ms, o->backoff_ms, o->backoff_count * sizeof o->backoff_ms[0]);
		a->backoff_count = o->backoff_count;
	}
	a->time_divisor = o->time_divisor > 1 ? o->time_divisor : 1;
	a->sync_only = o->sync_only != 0;
	a->base_url = dup_str(o->base_url);
	a->back_url = o->back_url ? dup_str(o->back_url) : NULL;
	a->resp_cap = 4096;
	a->resp = upqr__malloc(a->resp_cap);
	a->req = upqr__malloc(UPQR__ACQ_REQ_MAX);
	a->curl = curl_easy_init();
	if (a->base_url == NULL || (o->back_url && a->back_url == NULL) || a->resp == NULL ||
			a->req == NULL || a->curl == NULL)
		return UPQR_ENOMEM;
	return UPQR_OK;
}

int upqr_acquirer_open(upqr_acquirer **out, const upqr_acquirer_options *opts, char *err,
		size_t err_cap)
{
	if (err != NULL && err_cap > 0)
		err[0] = '\0';
	if (out == NULL)
		return upqr__set_open_error(err, err_cap, UPQR_EINVAL, "acquirer: out must not be NULL");
	*out = NULL;
	if (opts == NULL)
		return upqr__set_open_error(err, err_cap, UPQR_EINVAL, "acquirer: no options");
	if (opts->version != UPQR_ACQUIRER_OPTIONS_VERSION)
		return upqr__set_open_error(err, err_cap, UPQR_EVERSION,
			"acquirer: options version not supported (upqr_acquirer_options_init)");
	upqr_acquirer *a = upqr__calloc(1, sizeof *a);
	if (a == NULL)
		return upqr__set_open_error(err, err_cap, UPQR_ENOMEM, "acquirer: out of memory");
	a->magic = UPQR__ACQ_MAGIC;
	bool loopback = false;
	int rc = check_options(a, opts, &loopback);
	if (rc == UPQR_OK)
		rc = copy_options(a, opts);
	if (rc == UPQR_OK)
		rc = setup_curl(a, opts);
	if (rc != UPQR_OK) {
		/* The handle that holds the reason is about to go: hand the reason over first. */
		upqr__set_open_error(err, err_cap, rc, a->err[0] ? a->err : upqr_strerror(rc));
		upqr_acquirer_free(a);
		return rc;
	}
	*out = a;
	return UPQR_OK;
}

int upqr_acquirer_new(upqr_acquirer **out, const upqr_acquirer_options *opts)
{
	return upqr_acquirer_open(out, opts, NULL, 0);
}

void upqr_acquirer_free(upqr_acquirer *acq)
{
	if (!upqr__acq_ok(acq))
		return;
	if (acq->curl != NULL)
		curl_easy_cleanup(acq->curl);
	curl_slist_free_all(acq->headers);
	upqr__free(acq->base_url);
	upqr__free(acq->back_url);
	upqr__free(acq->resp);
	upqr__free(acq->req);
	acq->magic = 0;
	upqr__free(acq);
}

void upqr__acq_sleep(const upqr_acquirer *a, unsigned int ms)
{
	unsigned int scaled = ms / a->time_divisor;
	struct timespec ts = { (time_t)(scaled / 1000), (long)(scaled % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* ---- messages --------------------------------------------------------- */

void upqr__acq_msg_add(upqr__acq_msg *m, const char *key, const char *value)
{
	if (value == NULL || value[0] == '\0' || m->n >= UPQR__ACQ_REQ_FIELDS)
		return;
	m->f[m->n].key = key;
	m->f[m->n].key_len = strlen(key);
	m->f[m->n].value = value;
	m->f[m->n].value_len = strlen(value);
	m->n++;
}

void upqr__acq_msg_common(upqr__acq_msg *m, const upqr_acquirer *a, const char *txn_type,
		const char *txn_sub_type, const char *channel_type)
{
	upqr__acq_msg_add(m, "version", a->version_text);
	upqr__acq_msg_add(m, "encoding", "UTF-8");
	upqr__acq_msg_add(m, "signMethod", a->sign_method_text);
	upqr__acq_msg_add(m, "txnType", txn_type);
	upqr__acq_msg_add(m, "txnSubType", txn_sub_type);
	upqr__acq_msg_add(m, "bizType", "000000");
	upqr__acq_msg_add(m, "accessType", a->access_type);
	upqr__acq_msg_add(m, "channelType", channel_type);
	upqr__acq_msg_add(m, "merId", a->mer_id);
	upqr__acq_msg_add(m, "acqInsCode", a->acq_ins_code);
}

/* libcurl codes after which the request certainly never reached the server. */
static bool never_sent(CURLcode cc)
{
	switch (cc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return true;
	default:
		return false;
	}
}

static int curl_cause(CURLcode cc)
{
	switch (cc) {
	case CURLE_OPERATION_TIMEDOUT:
		return UPQR_ETIMEOUT;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_CERTPROBLEM:
		return UPQR_ETLS;
	default:
		return UPQR_ENETWORK;
	}
}

/* POSTs body; on return a->resp holds whatever came back. */
static upqr__reply post(upqr_acquirer *a, const char *path, const char *body, size_t len, int *cause)
{
	char url[1024];
	if ((size_t)snprintf(url, sizeof url, "%s%s", a->base_url, path) >= sizeof url) {
		*cause = upqr__acq_error(a, UPQR_EINVAL, "base_url too long");
		return UPQR__REPLY_NOT_SENT;
	}
	upload up = { body, len, 0 };
	a->resp_len = 0;
	a->resp[0] = '\0';
	a->resp_overflow = false;
	curl_easy_setopt(a->curl, CURLOPT_URL, url);
	curl_easy_setopt(a->curl, CURLOPT_READDATA, &up);
	curl_easy_setopt(a->curl, CURLOPT_SEEKDATA, &up);
	curl_easy_setopt(a->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	CURLcode cc = curl_easy_perform(a->curl);
	long conns = 0, status = 0;
	curl_easy_getinfo(a->curl, CURLINFO_NUM_CONNECTS, &conns);
	curl_easy_getinfo(a->curl, CURLINFO_RESPONSE_CODE, &status);
	a->connects += conns;
	if (cc != CURLE_OK) {
		*cause = upqr__acq_error(a, curl_cause(cc), "%s%s: %s", a->base_url, path,
				curl_easy_strerror(cc));
		return never_sent(cc) && up.off == 0 ? UPQR__REPLY_NOT_SENT : UPQR__REPLY_NONE;
	}
	if (status != 200) {
		*cause = upqr__acq_error(a, UPQR_ESERVER, "%s%s: HTTP status %ld", a->base_url, path, status);
		return UPQR__REPLY_NONE;
	}
	return UPQR__REPLY_VERIFIED; /* not yet: the caller parses and verifies */
}

static upqr__reply parse_and_verify(upqr_acquirer *a, int *cause)
{
	int rc = upqr_acp_parse_response(a->fields, UPQR_ACP_FIELDS_MAX, &a->nfields, a->resp,
			a->resp_len, NULL);
	if (rc == UPQR_OK && a->nfields == 0)
		rc = UPQR_EINVALID;
	if (rc != UPQR_OK) {
		a->nfields = 0;
		*cause = upqr__acq_error(a, rc, "unparsable reply (%zu bytes)", a->resp_len);
		return UPQR__REPLY_NONE;
	}
	rc = upqr_verifier_verify(a->verifier, a->fields, a->nfields, UPQR_VERIFY_NOW);
	if (rc != UPQR_OK) {
		*cause = upqr__acq_error(a, rc, "reply not verified: %s: %s", upqr_status_name(rc),
				upqr_verifier_last_error(a->verifier));
		a->nfields = 0;
		return UPQR__REPLY_NONE;
	}
	return UPQR__REPLY_VERIFIED;
}

int upqr__acq_build(upqr_acquirer *a, const upqr__acq_msg *m, size_t *len)
{
	int rc = upqr_signer_build_request(a->req, UPQR__ACQ_REQ_MAX, len, a->signer, m->f, m->n);
	if (rc != UPQR_OK)
		return upqr__acq_error(a, rc, "cannot sign the request: %s", upqr_signer_last_error(a->signer));
	return UPQR_OK;
}

upqr__reply upqr__acq_send(upqr_acquirer *a, const char *path, size_t len, int *cause)
{
	a->nfields = 0;
	*cause = UPQR_OK;
	upqr__reply kind = post(a, path, a->req, len, cause);
	if (kind == UPQR__REPLY_VERIFIED)
		kind = parse_and_verify(a, cause);
	return kind;
}

/* ---- reading the verified reply ---------------------------------------- */

void upqr__acq_copy(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

const char *upqr__acq_get(upqr_acquirer *a, const char *key, char *buf, size_t cap)
{
	const upqr_acp_field *f = upqr_acp_field_get(a->fields, a->nfields, key);
	size_t n = f ? f->value_len : 0;
	if (n >= cap)
		n = cap - 1;
	if (n)
		memcpy(buf, f->value, n);
	buf[n] = '\0';
	return buf;
}

static bool field_equals(upqr_acquirer *a, const char *key, const char *want)
{
	const upqr_acp_field *f = upqr_acp_field_get(a->fields, a->nfields, key);
	return f != NULL && f->value_len == strlen(want) && memcmp(f->value, want, f->value_len) == 0;
}

bool upqr__acq_reply_is_for(upqr_acquirer *a, const char *order_id, const char *txn_time, int *cause)
{
	/* A genuine reply about another order (replayed, or misrouted) decides nothing here. */
	if (field_equals(a, "merId", a->mer_id) && field_equals(a, "orderId", order_id) &&
			field_equals(a, "txnTime", txn_time))
		return true;
	*cause = upqr__acq_error(a, UPQR_EMISMATCH,
			"a verified reply that is not about this order (merId, orderId or txnTime differ)");
	a->nfields = 0;
	return false;
}
