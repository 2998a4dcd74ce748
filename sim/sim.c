/*
 * sim.c - the simulator's setup: configuration, the merchant registry,
 * UnionPay's signing keys (one signer per certificate variant and version),
 * the state database, and the clock (Beijing time, offset by /__sim/clock).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "db.h"

#define BJ_OFFSET (8 * 3600)

void sim_config_defaults(sim_config *c)
{
	memset(c, 0, sizeof *c);
	snprintf(c->listen_host, sizeof c->listen_host, "127.0.0.1");
	snprintf(c->state, sizeof c->state, ":memory:");
	snprintf(c->qr_host, sizeof c->qr_host, "https://qr.95516.com");
	c->time_scale = 1;
	c->txn_window_s = 600;
	c->query_limit = 10;
	c->qr_ttl_s = 900;
	c->refund_days = 30;
	c->notify_timeout_ms = 10000;
	c->order_id_max = 32;
	c->fault_delay_ms = 35000;
	/* The issuer key of tests/data/cpm-profile.json (a public test key). */
	snprintf(c->cpm_imk, sizeof c->cpm_imk, "0123456789ABCDEFFEDCBA9876543210");
	snprintf(c->cpm_mk_option, sizeof c->cpm_mk_option, "A");
}

int64_t sim_now(const sim *s)
{
	return s->clock_frozen ? s->frozen_now : (int64_t)time(NULL) + s->clock_offset;
}

int64_t sim_real_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sim_bj_format(char *out, size_t cap, int64_t t, sim_bj_fmt fmt)
{
	time_t bj = (time_t)(t + BJ_OFFSET);
	struct tm tm;
	size_t n = 0;
	if (gmtime_r(&bj, &tm)) {
		switch (fmt) {
		case BJ_FULL: n = strftime(out, cap, "%Y%m%d%H%M%S", &tm); break;
		case BJ_SHORT: /* queryId's two-digit year, on purpose */
			n = strftime(out, cap, "%Y%m%d%H%M%S", &tm);
			if (n == 14) {
				memmove(out, out + 2, 13);
				n = 12;
			}
			break;
		case BJ_TRACE: n = strftime(out, cap, "%m%d%H%M%S", &tm); break;
		case BJ_MMDD: n = strftime(out, cap, "%m%d", &tm); break;
		}
	}
	if (!n && cap)
		out[0] = 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

bool sim_bj_parse(const char *text, size_t len, int64_t *out)
{
	int v[6] = { 0 };
	static const int widths[6] = { 4, 2, 2, 2, 2, 2 };
	if (len != 14)
		return false;
	for (int i = 0, p = 0; i < 6; i++)
		for (int k = 0; k < widths[i]; k++, p++) {
			if (text[p] < '0' || text[p] > '9')
				return false;
			v[i] = v[i] * 10 + (text[p] - '0');
		}
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (v[0] % 4 == 0 && v[0] % 100 != 0) || v[0] % 400 == 0;
	if (v[0] < 1970 || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > mdays[v[1] - 1] ||
			(v[1] == 2 && v[2] == 29 && !leap) || v[3] > 23 || v[4] > 59 || v[5] > 59)
		return false;
	*out = days_from_civil(v[0], v[1], v[2]) * 86400 + v[3] * 3600 + v[4] * 60 + v[5] - BJ_OFFSET;
	return true;
}

int64_t sim_settle_day(int64_t t)
{
	/* The settlement day rolls at 23:00 Beijing time: 23:00 belongs to the next day. */
	int64_t x = t + BJ_OFFSET + 3600;
	return (x >= 0 ? x : x - 86399) / 86400;
}

/* ---- configuration ------------------------------------------------------------- */

static void merchant_defaults(sim_merchant *m)
{
	memset(m, 0, sizeof *m);
	m->enabled = true;
	m->limit = 10000000; /* 100 000.00 CNY per transaction */
	snprintf(m->txn_types, sizeof m->txn_types, "01,04,31,99,00,95");
}

static void add_default_merchants(sim *s)
{
	static const struct { const char *id, *file, *key; } def[] = {
		{ "777290058110048", "merchant", "upqr-sim-secure-key-777290058110048" },
		{ "777290058110049", "merchant2", "" },
	};
	for (size_t i = 0; i < sizeof def / sizeof def[0]; i++) {
		sim_merchant *m = &s->merchants[s->n_merchants++];
		merchant_defaults(m);
		snprintf(m->mer_id, sizeof m->mer_id, "%s", def[i].id);
		snprintf(m->cert_path, sizeof m->cert_path, "%s/%s.pem", s->cfg.pki, def[i].file);
		snprintf(m->pfx_path, sizeof m->pfx_path, "%s/%s.pfx", s->cfg.pki, def[i].file);
		snprintf(m->secure_key, sizeof m->secure_key, "%s", def[i].key);
	}
}

static void get_str(json_t *o, const char *key, char *out, size_t cap)
{
	json_t *v = json_object_get(o, key);
	if (json_is_string(v))
		snprintf(out, cap, "%s", json_string_value(v));
}

static void get_int(json_t *o, const char *key, int *out)
{
	json_t *v = json_object_get(o, key);
	if (json_is_integer(v))
		*out = (int)json_integer_value(v);
}

static int load_merchants(sim *s, json_t *arr, char *err, size_t err_cap)
{
	size_t i;
	json_t *o;
	json_array_foreach(arr, i, o) {
		if (s->n_merchants == SIM_MERCHANTS_MAX) {
			snprintf(err, err_cap, "config: more than %d merchants", SIM_MERCHANTS_MAX);
			return -1;
		}
		sim_merchant *m = &s->merchants[s->n_merchants++];
		merchant_defaults(m);
		get_str(o, "merId", m->mer_id, sizeof m->mer_id);
		get_str(o, "cert", m->cert_path, sizeof m->cert_path);
		get_str(o, "pfx", m->pfx_path, sizeof m->pfx_path);
		get_str(o, "secureKey", m->secure_key, sizeof m->secure_key);
		get_str(o, "txnTypes", m->txn_types, sizeof m->txn_types);
		char signing[32] = "normal";
		get_str(o, "signing", signing, sizeof signing);
		m->signv = sim_signv_named(signing, SIGNV_COUNT);
		json_t *v = json_object_get(o, "limit");
		if (json_is_integer(v))
			m->limit = json_integer_value(v);
		if (json_is_false(json_object_get(o, "enabled")))
			m->enabled = false;
		if (!m->mer_id[0] || !m->cert_path[0] || m->signv == SIGNV_COUNT) {
			snprintf(err, err_cap, "config: merchant %zu needs merId, cert and a known signing variant", i);
			return -1;
		}
	}
	return 0;
}

int sim_config_load(sim *s, const char *path, char *err, size_t err_cap)
{
	json_error_t je;
	json_t *root = json_load_file(path, 0, &je);
	if (!root || !json_is_object(root)) {
		snprintf(err, err_cap, "config %s: %s (line %d)", path, root ? "not an object" : je.text, je.line);
		json_decref(root);
		return -1;
	}
	sim_config *c = &s->cfg;
	get_str(root, "qrHost", c->qr_host, sizeof c->qr_host);
	json_t *ts = json_object_get(root, "timeScale");
	if (json_is_number(ts))
		c->time_scale = json_number_value(ts);
	get_int(root, "txnWindowSeconds", &c->txn_window_s);
	get_int(root, "queryLimitPerMinute", &c->query_limit);
	get_int(root, "qrTtlSeconds", &c->qr_ttl_s);
	get_int(root, "refundDays", &c->refund_days);
	get_int(root, "notifyTimeoutMs", &c->notify_timeout_ms);
	get_int(root, "orderIdMax", &c->order_id_max);
	get_int(root, "faultDelayMs", &c->fault_delay_ms);
	get_str(root, "cpmImk", c->cpm_imk, sizeof c->cpm_imk);
	get_str(root, "cpmMkOption", c->cpm_mk_option, sizeof c->cpm_mk_option);
	c->notify_accept_302 = json_is_true(json_object_get(root, "notifyAccept302"));
	c->query_unpaid_34 = json_is_true(json_object_get(root, "queryUnpaid34"));
	int rc = 0;
	json_t *mers = json_object_get(root, "merchants");
	if (json_is_array(mers))
		rc = load_merchants(s, mers, err, err_cap);
	json_decref(root);
	if (!rc && (c->order_id_max < 8 || c->order_id_max > 40 || c->time_scale <= 0 || c->query_limit < 1)) {
		snprintf(err, err_cap, "config: orderIdMax 8..40, timeScale > 0, queryLimitPerMinute >= 1");
		rc = -1;
	}
	return rc;
}

/* ---- keys ---------------------------------------------------------------------- */

char *sim_pem_crlf(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char line[256];
	size_t cap = 8192, n = 0;
	char *out = malloc(cap);
	bool in_block = false;
	while (out && fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = 0;
		if (strncmp(line, "-----BEGIN", 10) == 0)
			in_block = true;
		if (!in_block)
			continue;
		size_t l = strlen(line);
		if (n + l + 3 > cap)
			break;
		memcpy(out + n, line, l);
		n += l;
		out[n++] = '\r';
		out[n++] = '\n';
		if (strncmp(line, "-----END", 8) == 0)
			break;
	}
	fclose(f);
	if (out)
		out[n] = 0;
	return out;
}

static int load_signers(sim *s, char *err, size_t err_cap)
{
	static const char *const files[SIGNV_COUNT] = { "upop_sign", "upop_sign_sha1", "upop_sign_wrongorg",
		"upop_sign_testcn", "upop_sign_expired", "rogue" };
	for (int v = 0; v < SIGNV_COUNT; v++) {
		char cert[SIM_PATH_MAX + 32], key[SIM_PATH_MAX + 32];
		snprintf(cert, sizeof cert, "%s/%s.pem", s->cfg.pki, files[v]);
		snprintf(key, sizeof key, "%s/%s.key", s->cfg.pki, v == SIGNV_SELFSIGNED ? "rogue" : "upop_sign");
		for (int ver = 0; ver < 2; ver++) {
			upqr_signer_options o = UPQR_SIGNER_OPTIONS_INIT;
			o.acp_version = (upqr_acp_version)ver;
			o.key_pem_path = key;
			o.cert_pem_path = cert;
			int rc = upqr_signer_new(&s->signer[v][ver], &o);
			if (rc != UPQR_OK) {
				snprintf(err, err_cap, "%s: %s (run `make pki`)", cert, upqr_strerror(rc));
				return -1;
			}
		}
		if (!(s->cert_pem[v] = sim_pem_crlf(cert))) {
			snprintf(err, err_cap, "cannot read %s", cert);
			return -1;
		}
	}
	char enc[SIM_PATH_MAX + 32];
	snprintf(enc, sizeof enc, "%s/enc.pem", s->cfg.pki);
	s->enc_pem = sim_pem_crlf(enc);
	return s->enc_pem ? 0 : (snprintf(err, err_cap, "cannot read %s", enc), -1);
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = malloc(65536);
	*len = buf ? fread(buf, 1, 65535, f) : 0;
	fclose(f);
	return buf;
}

/* Registers a merchant's certificate (by certId) and secure key in its own verifier. */
static int load_merchant(sim *s, sim_merchant *m, char *err, size_t err_cap)
{
	char root[SIM_PATH_MAX + 16], middle[SIM_PATH_MAX + 16];
	snprintf(root, sizeof root, "%s/root.pem", s->cfg.pki);
	snprintf(middle, sizeof middle, "%s/middle.pem", s->cfg.pki);
	upqr_verifier_options o = UPQR_VERIFIER_OPTIONS_INIT;
	o.root_cert_path = root;
	o.middle_cert_path = middle;
	o.acp_versions = UPQR_ACCEPT_5_1_0 | UPQR_ACCEPT_5_0_0; /* the gateway takes both */
	if (m->secure_key[0]) {
		o.secure_key = (const uint8_t *)m->secure_key;
		o.secure_key_len = strlen(m->secure_key);
	}
	size_t len = 0, id_len;
	char *pem = read_file(m->cert_path, &len);
	int rc = upqr_verifier_new(&m->verifier, &o);
	if (rc == UPQR_OK)
		rc = pem ? upqr_verifier_add_cert(m->cert_id, sizeof m->cert_id, &id_len, m->verifier, pem, len)
			: UPQR_EIO;
	free(pem);
	if (rc != UPQR_OK) {
		snprintf(err, err_cap, "merchant %s: %s: %s", m->mer_id, m->cert_path, upqr_strerror(rc));
		return -1;
	}
	return 0;
}

int sim_open(sim *s, char *err, size_t err_cap)
{
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	if (!s->n_merchants)
		add_default_merchants(s);
	if (load_signers(s, err, err_cap))
		return -1;
	for (size_t i = 0; i < s->n_merchants; i++)
		if (load_merchant(s, &s->merchants[i], err, err_cap))
			return -1;
	if (sim_cpm_open(s, err, err_cap))
		return -1;
	return sim_db_open(s, s->cfg.state, err, err_cap);
}

void sim_close(sim *s)
{
	sim_notify_stop(s);
	for (int v = 0; v < SIGNV_COUNT; v++) {
		upqr_signer_free(s->signer[v][0]);
		upqr_signer_free(s->signer[v][1]);
		free(s->cert_pem[v]);
	}
	free(s->enc_pem);
	free(s->last_reply);
	upqr_emv_key_free(s->cpm_imk);
	for (size_t i = 0; i < s->n_merchants; i++) {
		upqr_verifier_free(s->merchants[i].verifier);
		upqr_signer_free(s->merchants[i].sk_signer[0]);
		upqr_signer_free(s->merchants[i].sk_signer[1]);
	}
	if (s->db)
		sqlite3_close(s->db);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->wake);
}
