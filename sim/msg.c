/*
 * msg.c - messages of the simulator: owned key/value lists, UnionPay's raw
 * response format, URL-encoded notification bodies, and signing as UnionPay.
 */
#include <stdlib.h>
#include <string.h>

#include "sim.h"

static char *dup_n(const char *p, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, p, n);
		d[n] = 0;
	}
	return d;
}

void msg_set(sim_msg *m, const char *key, const char *val)
{
	for (size_t i = 0; i < m->n; i++) {
		if (strcmp(m->kv[i].key, key) != 0)
			continue;
		free(m->kv[i].val);
		if (val && *val) {
			m->kv[i].val = dup_n(val, strlen(val));
			return;
		}
		free(m->kv[i].key);
		m->kv[i] = m->kv[--m->n];
		return;
	}
	if (!val || !*val || m->n == UPQR_ACP_FIELDS_MAX)
		return;
	char *k = dup_n(key, strlen(key)), *v = dup_n(val, strlen(val));
	if (!k || !v) {
		free(k);
		free(v);
		return;
	}
	m->kv[m->n].key = k;
	m->kv[m->n].val = v;
	m->n++;
}

const char *msg_get(const sim_msg *m, const char *key)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->kv[i].key, key) == 0)
			return m->kv[i].val;
	return NULL;
}

void msg_free(sim_msg *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->kv[i].key);
		free(m->kv[i].val);
	}
	m->n = 0;
}

/* Keeps empty values (a request may carry them; they are part of its signed string). */
int msg_from_fields(sim_msg *m, const upqr_acp_field *f, size_t n)
{
	for (size_t i = 0; i < n && m->n < UPQR_ACP_FIELDS_MAX; i++) {
		char *k = dup_n(f[i].key, f[i].key_len);
		char *v = dup_n(f[i].value ? f[i].value : "", f[i].value_len);
		if (!k || !v) {
			free(k);
			free(v);
			return -1;
		}
		m->kv[m->n].key = k;
		m->kv[m->n].val = v;
		m->n++;
	}
	return 0;
}

void msg_fields(const sim_msg *m, upqr_acp_field *fields)
{
	for (size_t i = 0; i < m->n; i++) {
		fields[i].key = m->kv[i].key;
		fields[i].key_len = strlen(m->kv[i].key);
		fields[i].value = m->kv[i].val;
		fields[i].value_len = strlen(m->kv[i].val);
	}
}

/* Brackets balanced and nested at most 32 deep: the raw format can carry the value. */
static bool brackets_ok(const char *v)
{
	int depth = 0;
	for (; *v; v++) {
		if (*v == '{' || *v == '[')
			depth++;
		else if (*v == '}' || *v == ']')
			depth--;
		if (depth < 0 || depth > 31)
			return false;
	}
	return depth == 0;
}

/* v is one {...} group as a whole (its first brace closes at the last character). */
static bool wrapped(const char *v, size_t n)
{
	int depth = 0;
	if (n < 2 || v[0] != '{' || v[n - 1] != '}')
		return false;
	for (size_t i = 0; i < n; i++) {
		depth += (v[i] == '{' || v[i] == '[') - (v[i] == '}' || v[i] == ']');
		if (depth == 0 && i + 1 < n)
			return false;
	}
	return true;
}

void msg_brace(sim_msg *m)
{
	for (size_t i = 0; i < m->n; i++) {
		const char *v = m->kv[i].val;
		size_t n = strlen(v);
		if (strcmp(m->kv[i].key, "signPubKeyCert") == 0 || strcmp(m->kv[i].key, "encryptPubKeyCert") == 0
				|| strcmp(m->kv[i].key, "signature") == 0)
			continue;
		if (!brackets_ok(v)) {
			/* An echoed value no parser could split off again (e.g. "a[b"): left out of the reply. */
			msg_set(m, m->kv[i].key, NULL);
			i--;
			continue;
		}
		if (!strchr(v, '&') || wrapped(v, n))
			continue;
		char *w = malloc(n + 3);
		if (!w)
			continue;
		w[0] = '{';
		memcpy(w + 1, v, n);
		w[n + 1] = '}';
		w[n + 2] = 0;
		free(m->kv[i].val);
		m->kv[i].val = w;
	}
}

char *msg_raw(sim_msg *m, size_t *len)
{
	size_t total = 1;
	for (size_t i = 0; i < m->n; i++)
		total += strlen(m->kv[i].key) + strlen(m->kv[i].val) + 2;
	char *out = malloc(total), *p = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < m->n; i++) {
		size_t kl = strlen(m->kv[i].key), vl = strlen(m->kv[i].val);
		if (i)
			*p++ = '&';
		memcpy(p, m->kv[i].key, kl);
		p += kl;
		*p++ = '=';
		memcpy(p, m->kv[i].val, vl);
		p += vl;
	}
	*p = 0;
	*len = (size_t)(p - out);
	return out;
}

char *msg_form(const sim_msg *m, size_t *len)
{
	upqr_acp_field f[UPQR_ACP_FIELDS_MAX];
	msg_fields(m, f);
	size_t need = 0;
	if (upqr_acp_form_encode(NULL, 0, &need, f, m->n) != UPQR_EBUFSIZE)
		return NULL;
	char *out = malloc(need + 1);
	if (!out || upqr_acp_form_encode(out, need + 1, len, f, m->n) != UPQR_OK) {
		free(out);
		return NULL;
	}
	return out;
}

/* 11/12: the merchant's secure key; NULL if the merchant has none. */
static upqr_signer *secure_key_signer(sim_merchant *mer, bool sm3)
{
	if (!mer || !mer->secure_key[0])
		return NULL;
	upqr_signer **slot = &mer->sk_signer[sm3]; /* created on first use, kept on the merchant */
	if (!*slot) {
		upqr_signer_options o = UPQR_SIGNER_OPTIONS_INIT;
		o.sign_method = sm3 ? UPQR_ACP_SIGN_SM3 : UPQR_ACP_SIGN_SHA256;
		o.secure_key = (const uint8_t *)mer->secure_key;
		o.secure_key_len = strlen(mer->secure_key);
		if (upqr_signer_new(slot, &o) != UPQR_OK)
			*slot = NULL;
	}
	return *slot;
}

int msg_sign(sim *s, sim_msg *m, sim_merchant *mer, sim_signv v, bool badsig)
{
	const char *ver = msg_get(m, "version"), *method = msg_get(m, "signMethod");
	bool v500 = ver && strcmp(ver, "5.0.0") == 0;
	upqr_signer *sg;
	msg_set(m, "signature", NULL);
	if (method && (strcmp(method, "11") == 0 || strcmp(method, "12") == 0)) {
		sg = secure_key_signer(mer, method[1] == '2');
		msg_set(m, "signPubKeyCert", NULL);
		msg_set(m, "certId", NULL);
	} else {
		msg_set(m, "signMethod", "01");
		sg = s->signer[v][v500 ? UPQR_ACP_5_0_0 : UPQR_ACP_5_1_0];
		msg_set(m, v500 ? "certId" : "signPubKeyCert", v500 ? upqr_signer_cert_id(sg) : s->cert_pem[v]);
		msg_set(m, v500 ? "signPubKeyCert" : "certId", NULL);
	}
	if (!sg)
		return -1;
	msg_brace(m);
	upqr_acp_field f[UPQR_ACP_FIELDS_MAX];
	msg_fields(m, f);
	char sig[UPQR_ACP_SIGNATURE_MAX + 1];
	size_t n;
	if (upqr_signer_sign(sig, sizeof sig, &n, sg, f, m->n) != UPQR_OK)
		return -1;
	if (badsig && n > 4)
		sig[n / 2] = sig[n / 2] == 'A' ? 'B' : 'A'; /* a valid alphabet, a wrong signature */
	msg_set(m, "signature", sig);
	return 0;
}

sim_signv sim_signv_named(const char *name, sim_signv dflt)
{
	static const char *const names[SIGNV_COUNT] = { "normal", "sha1", "wrongcn", "testcn", "expired",
		"selfsigned" };
	for (int i = 0; name && i < SIGNV_COUNT; i++)
		if (strcmp(name, names[i]) == 0)
			return (sim_signv)i;
	return dflt;
}
