/*
 * test_sign_keys.c - keys, signatures and certificate checks against the
 * generated test PKI (build/pki, see scripts/gen-test-pki.sh) and UnionPay's
 * public test material (../shared/vectors/unionpay-test-env/, used in place).
 * Known answers are computed independently with the openssl command line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "testutil.h"

#define PKI "build/pki/"
#define UPENV "../shared/vectors/unionpay-test-env/"
#define UNIONPAY "\xE4\xB8\xAD\xE5\x9B\xBD\xE9\x93\xB6\xE8\x81\x94"
/* 2024-01-01T00:00:00Z, 2020-06-01T00:00:00Z, 2021-06-01T00:00:00Z */
#define T_2024 INT64_C(1704067200)
#define T_2020 INT64_C(1590969600)
#define T_2021 INT64_C(1622505600)

/* ---- helpers ------------------------------------------------------------ */

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char *buf = malloc(1 << 16);
	*len = fread(buf, 1, (1 << 16) - 1, f);
	buf[*len] = 0;
	fclose(f);
	return buf;
}

/* PEM with CRLF line ends, as UnionPay sends signPubKeyCert. */
static char *pem_crlf(const char *path)
{
	size_t len;
	char *pem = slurp(path, &len), *out = malloc(2 * len + 1), *o = out;
	for (size_t i = 0; i < len; i++) {
		if (pem[i] == '\n')
			*o++ = '\r';
		*o++ = pem[i];
	}
	*o = 0;
	free(pem);
	return out;
}

/* Runs a shell command; stdout (one trailing newline dropped) into out. */
static int sh(const char *cmd, char *out, size_t cap)
{
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t n = fread(out, 1, cap - 1, p);
	out[n] = 0;
	if (n && out[n - 1] == '\n')
		out[n - 1] = 0;
	return pclose(p);
}

static upqr_signer *pem_signer(const char *key, const char *cert, upqr_acp_version ver)
{
	upqr_signer_options o = UPQR_SIGNER_OPTIONS_INIT;
	o.key_pem_path = key;
	o.cert_pem_path = cert;
	o.acp_version = ver;
	upqr_signer *s = NULL;
	assert_int_equal(upqr_signer_new(&s, &o), UPQR_OK);
	return s;
}

static upqr_signer *pfx_signer(const char *path, const char *pw, int *rc)
{
	upqr_signer_options o = UPQR_SIGNER_OPTIONS_INIT;
	o.pfx_path = path;
	o.password = pw;
	upqr_signer *s = NULL;
	*rc = upqr_signer_new(&s, &o);
	return s;
}

static upqr_verifier *sim_verifier(int test_env)
{
	upqr_verifier_options o = UPQR_VERIFIER_OPTIONS_INIT;
	o.root_cert_path = PKI "root.pem";
	o.middle_cert_path = PKI "middle.pem";
	o.test_env = test_env;
	upqr_verifier *v = NULL;
	assert_int_equal(upqr_verifier_new(&v, &o), UPQR_OK);
	return v;
}

/* A UnionPay-style response signed with key and carrying cert as signPubKeyCert. */
typedef struct msg {
	upqr_acp_field f[16];
	size_t n;
	char order[32];
	char sig[UPQR_ACP_SIGNATURE_MAX + 1];
	char cert_id[64];
	char *pem;
} msg;

static void add(msg *m, const char *k, const char *v)
{
	m->f[m->n++] = (upqr_acp_field){ k, strlen(k), v, strlen(v) };
}

static void make_msg_ver(msg *m, const char *key, const char *cert, const char *order, upqr_acp_version ver)
{
	memset(m, 0, sizeof *m);
	snprintf(m->order, sizeof m->order, "%s", order);
	upqr_signer *s = pem_signer(key, cert, ver);
	snprintf(m->cert_id, sizeof m->cert_id, "%s", upqr_signer_cert_id(s));
	add(m, "version", ver == UPQR_ACP_5_0_0 ? "5.0.0" : "5.1.0");
	add(m, "encoding", "UTF-8");
	add(m, "bizType", "000000");
	add(m, "txnType", "01");
	add(m, "accessType", "0");
	add(m, "merId", "777290058110048");
	add(m, "orderId", m->order);
	add(m, "respCode", "00");
	add(m, "respMsg", "\xE6\x88\x90\xE5\x8A\x9F");
	add(m, "reqReserved", "{a=1&b=[2]}");
	add(m, "signMethod", "01");
	if (ver == UPQR_ACP_5_1_0) {
		m->pem = pem_crlf(cert);
		add(m, "signPubKeyCert", m->pem);
	} else {
		add(m, "certId", m->cert_id);
	}
	size_t n;
	assert_int_equal(upqr_signer_sign(m->sig, sizeof m->sig, &n, s, m->f, m->n), UPQR_OK);
	add(m, "signature", m->sig);
	upqr_signer_free(s);
}

static void make_msg(msg *m, const char *key, const char *cert, const char *order)
{
	make_msg_ver(m, key, cert, order, UPQR_ACP_5_1_0);
}

static void msg_free(msg *m)
{
	free(m->pem);
}

static int verify_at(upqr_verifier *v, const msg *m, int64_t at)
{
	return upqr_verifier_verify(v, m->f, m->n, at);
}

/* ---- loading keys --------------------------------------------------------- */

static void test_unionpay_test_pfx(void **state)
{
	(void)state;
	int rc;
	upqr_signer *s = pfx_signer(UPENV "acp_test_sign.pfx", "000000", &rc);
	assert_int_equal(rc, UPQR_OK);
	assert_string_equal(upqr_signer_cert_id(s), "69903319369");
	assert_string_equal(upqr_signer_last_error(s), "");
	upqr_signer_free(s);
	assert_null(pfx_signer(UPENV "acp_test_sign.pfx", "000001", &rc));
	assert_int_equal(rc, UPQR_EPASSWORD);
	assert_null(pfx_signer(UPENV "acp_test_sign.pfx", NULL, &rc));
	assert_int_equal(rc, UPQR_EPASSWORD);
	assert_null(pfx_signer(PKI "missing.pfx", "000000", &rc));
	assert_int_equal(rc, UPQR_EIO);
	assert_null(pfx_signer(PKI "root.pem", "000000", &rc));
	assert_int_equal(rc, UPQR_EKEY);
}

static void test_legacy_pfx_own_context(void **state)
{
	(void)state;
	int rc;
	upqr_signer *a = pfx_signer(PKI "merchant_legacy.pfx", "000000", &rc);
	assert_int_equal(rc, UPQR_OK);
	upqr_signer *b = pfx_signer(PKI "merchant.pfx", "000000", &rc);
	assert_int_equal(rc, UPQR_OK);
	assert_string_equal(upqr_signer_cert_id(a), upqr_signer_cert_id(b));
	/* The legacy provider went into the handle's own context, not the process default. */
	EVP_CIPHER *rc2 = EVP_CIPHER_fetch(NULL, "RC2-40-CBC", NULL);
	assert_null(rc2);
	/* Both keys sign identically. */
	upqr_acp_field f[] = { { "a", 1, "1", 1 }, { "certId", 6, upqr_signer_cert_id(a), strlen(upqr_signer_cert_id(a)) } };
	char sa[UPQR_ACP_SIGNATURE_MAX + 1], sb[UPQR_ACP_SIGNATURE_MAX + 1];
	size_t n;
	assert_int_equal(upqr_signer_sign(sa, sizeof sa, &n, a, f, 2), UPQR_OK);
	assert_int_equal(upqr_signer_sign(sb, sizeof sb, &n, b, f, 2), UPQR_OK);
	assert_string_equal(sa, sb);
	assert_null(pfx_signer(PKI "merchant_legacy.pfx", "x", &rc));
	assert_int_equal(rc, UPQR_EPASSWORD);
	upqr_signer_free(a);
	upqr_signer_free(b);
}

static void test_pfx_in_memory(void **state)
{
	(void)state;
	size_t len;
	char *der = slurp(UPENV "acp_test_sign.pfx", &len);
	upqr_signer_options o = UPQR_SIGNER_OPTIONS_INIT;
	o.pfx_data = (const uint8_t *)der;
	o.pfx_len = len;
	o.password = "000000";
	upqr_signer *s = NULL;
	assert_int_equal(upqr_signer_new(&s, &o), UPQR_OK);
	assert_string_equal(upqr_signer_cert_id(s), "69903319369");
	upqr_signer_free(s);
	o.pfx_len = len / 2;
	assert_int_equal(upqr_signer_new(&s, &o), UPQR_EKEY);
	o.pfx_len = len;
	o.pfx_path = UPENV "acp_test_sign.pfx";
	assert_int_equal(upqr_signer_new(&s, &o), UPQR_EINVAL); /* path and buffer: which one? */
	free(der);
}

static void test_encrypted_pem_key(void **state)
{
	(void)state;
	static const char *const pw[] = { "000000", "000001", NULL };
	static const int want[] = { UPQR_OK, UPQR_EPASSWORD, UPQR_EPASSWORD };
	for (size_t i = 0; i < 3; i++) {
		upqr_signer_options o = UPQR_SIGNER_OPTIONS_INIT;
		o.key_pem_path = PKI "merchant_enc.key";
		o.cert_pem_path = PKI "merchant.pem";
		o.password = pw[i]; /* NULL: fails at once, never prompts on a terminal */
		upqr_signer *s = NULL;
		assert_int_equal(upqr_signer_new(&s, &o), want[i]);
		upqr_signer_free(s);
	}
}

static void test_cert_id_is_decimal_serial(void **state)
{
	(void)state;
	char hex[128];
	assert_int_equal(sh("openssl x509 -in " PKI "merchant.pem -noout -serial | cut -d= -f2", hex, sizeof hex), 0);
	upqr_signer *s = pem_signer(PKI "merchant.key", PKI "merchant.pem", UPQR_ACP_5_1_0);
	assert_int_equal(strtoull(upqr_signer_cert_id(s), NULL, 10), strtoull(hex, NULL, 16));
	assert_string_not_equal(upqr_signer_cert_id(s), hex);
	upqr_signer_free(s);
}

static void test_options(void **state)
{
	(void)state;
	upqr_signer_options o;
	assert_int_equal(upqr_signer_options_init(&o, 99), UPQR_EVERSION);
	assert_int_equal(upqr_signer_options_init(&o, UPQR_SIGNER_OPTIONS_VERSION), UPQR_OK);
	upqr_signer *s = NULL;
	assert_int_equal(upqr_signer_new(&s, &o), UPQR_EINVAL); /* 01 without a key */
	o.version = 2;
	assert_int_equal(upqr_signer_new(&s, &o), UPQR_EVERSION);
	o.version = UPQR_SIGNER_OPTIONS_VERSION;
	o.key_pem_path = PKI "upop_sign.key";
	o.cert_pem_path = PKI "merchant.pem";
	assert_int_equal(upqr_signer_new(&s, &o), UPQR_EKEY); /* key and certificate do not match */
	assert_null(s);
	o.sign_method = UPQR_ACP_SIGN_SHA256;
	o.key_pem_path = o.cert_pem_path = NULL;
	assert_int_equal(upqr_signer_new(&s, &o), UPQR_EINVAL); /* 11 without a secure key */
	upqr_verifier_options vo;
	assert_int_equal(upqr_verifier_options_init(&vo, 0), UPQR_EVERSION);
	assert_int_equal(upqr_verifier_options_init(&vo, UPQR_VERIFIER_OPTIONS_VERSION), UPQR_OK);
	upqr_verifier *v = NULL;
	assert_int_equal(upqr_verifier_new(&v, &vo), UPQR_EINVAL); /* no trust at all */
	vo.root_cert_path = PKI "root.pem";
	assert_int_equal(upqr_verifier_new(&v, &vo), UPQR_EINVAL); /* root without middle */
	vo.middle_cert_path = PKI "nope.pem";
	assert_int_equal(upqr_verifier_new(&v, &vo), UPQR_EIO);
	vo.middle_cert_path = PKI "ca.cnf";
	assert_int_equal(upqr_verifier_new(&v, &vo), UPQR_ECERT);
	upqr_signer_free(NULL);
	upqr_verifier_free(NULL);
}

/* ---- known answers -------------------------------------------------------- */

static void write_string_to_sign(const upqr_acp_field *f, size_t n, const char *path)
{
	char str[1024];
	size_t len;
	assert_int_equal(upqr_acp_string_to_sign(str, sizeof str, &len, f, n), UPQR_OK);
	FILE *out = fopen(path, "wb");
	assert_non_null(out);
	fwrite(str, 1, len, out);
	fclose(out);
}

static void kat_rsa(upqr_acp_version ver, const char *md)
{
	char tmp[] = "/tmp/upqr_kat_XXXXXX";
	int fd = mkstemp(tmp);
	assert_true(fd >= 0);
	close(fd);
	upqr_signer *s = pem_signer(PKI "merchant.key", PKI "merchant.pem", ver);
	const char *id = upqr_signer_cert_id(s);
	upqr_acp_field f[] = {
		{ "version", 7, ver == UPQR_ACP_5_0_0 ? "5.0.0" : "5.1.0", 5 }, { "txnAmt", 6, "100", 3 },
		{ "backUrl", 7, "https://m.example/n?a=1", 23 }, { "certId", 6, id, strlen(id) },
		{ "memo", 4, "\xE6\x88\x90 +/", 6 }, { "accNo", 5, "x", 1 }, { "accessType", 10, "0", 1 },
	};
	write_string_to_sign(f, 7, tmp);
	char cmd[512], want[1024], got[UPQR_ACP_SIGNATURE_MAX + 1];
	snprintf(cmd, sizeof cmd, "openssl dgst -%s -r < %s | cut -d' ' -f1 | tr -d '\\n' | "
		"openssl dgst -%s -sign " PKI "merchant.key | openssl base64 -A", md, tmp, md);
	assert_int_equal(sh(cmd, want, sizeof want), 0);
	size_t n;
	assert_int_equal(upqr_signer_sign(got, sizeof got, &n, s, f, 7), UPQR_OK);
	assert_int_equal(n, strlen(want));
	assert_string_equal(got, want);
	upqr_signer_free(s);
	unlink(tmp);
}

static void test_kat_01_510(void **state)
{
	(void)state;
	kat_rsa(UPQR_ACP_5_1_0, "sha256");
}

static void test_kat_01_500(void **state)
{
	(void)state;
	kat_rsa(UPQR_ACP_5_0_0, "sha1");
}

static void kat_secure(upqr_acp_sign_method method, const char *md)
{
	char tmp[] = "/tmp/upqr_kat_XXXXXX";
	int fd = mkstemp(tmp);
	assert_true(fd >= 0);
	close(fd);
	static const char key[] = "88888888";
	upqr_signer_options o = UPQR_SIGNER_OPTIONS_INIT;
	o.sign_method = method;
	o.secure_key = (const uint8_t *)key;
	o.secure_key_len = 8;
	upqr_signer *s = NULL;
	assert_int_equal(upqr_signer_new(&s, &o), UPQR_OK);
	assert_string_equal(upqr_signer_cert_id(s), "");
	upqr_acp_field f[] = { { "version", 7, "5.1.0", 5 }, { "signMethod", 10, method == UPQR_ACP_SIGN_SM3 ? "12" : "11", 2 },
		{ "orderId", 7, "20240101abc", 11 }, { "memo", 4, "{a&b=c}", 7 } };
	write_string_to_sign(f, 4, tmp);
	char cmd[512], want[256], got[UPQR_ACP_SIGNATURE_MAX + 1];
	snprintf(cmd, sizeof cmd, "k=$(printf %%s '%s' | openssl dgst -%s -r | cut -d' ' -f1); "
		"{ cat %s; printf '&%%s' \"$k\"; } | openssl dgst -%s -r | cut -d' ' -f1", key, md, tmp, md);
	assert_int_equal(sh(cmd, want, sizeof want), 0);
	size_t n;
	assert_int_equal(upqr_signer_sign(got, sizeof got, &n, s, f, 4), UPQR_OK);
	assert_string_equal(got, want);
	/* and it verifies, in constant time, only with the same key */
	upqr_acp_field g[5];
	memcpy(g, f, sizeof f);
	g[4] = (upqr_acp_field){ "signature", 9, got, n };
	upqr_verifier_options vo = UPQR_VERIFIER_OPTIONS_INIT;
	vo.secure_key = (const uint8_t *)key;
	vo.secure_key_len = 8;
	upqr_verifier *v = NULL;
	assert_int_equal(upqr_verifier_new(&v, &vo), UPQR_OK);
	assert_int_equal(upqr_verifier_verify(v, g, 5, UPQR_VERIFY_NOW), UPQR_OK);
	got[0] = got[0] == 'a' ? 'b' : 'a';
	assert_int_equal(upqr_verifier_verify(v, g, 5, UPQR_VERIFY_NOW), UPQR_ESIG_DIGEST);
	got[0] = want[0];
	g[4].value_len--;
	assert_int_equal(upqr_verifier_verify(v, g, 5, UPQR_VERIFY_NOW), UPQR_ESIG_DIGEST);
	upqr_verifier_free(v);
	vo.secure_key = (const uint8_t *)"88888889";
	assert_int_equal(upqr_verifier_new(&v, &vo), UPQR_OK);
	g[4].value_len++;
	assert_int_equal(upqr_verifier_verify(v, g, 5, UPQR_VERIFY_NOW), UPQR_ESIG_DIGEST);
	upqr_verifier_free(v);
	upqr_signer_free(s);
	unlink(tmp);
}

static void test_kat_11(void **state)
{
	(void)state;
	kat_secure(UPQR_ACP_SIGN_SHA256, "sha256");
}

static void test_kat_12(void **state)
{
	(void)state;
	kat_secure(UPQR_ACP_SIGN_SM3, "sm3");
}

/* ---- verification --------------------------------------------------------- */

static void test_verify_ok_and_cache(void **state)
{
	(void)state;
	msg m;
	make_msg(&m, PKI "upop_sign.key", PKI "upop_sign.pem", "order0001");
	upqr_verifier *v = sim_verifier(0);
	assert_int_equal(verify_at(v, &m, UPQR_VERIFY_NOW), UPQR_OK);
	assert_string_equal(upqr_verifier_last_error(v), "");
	assert_int_equal(upqr_verifier_cache_count(v), 1);
	assert_int_equal(verify_at(v, &m, T_2024), UPQR_OK);
	assert_int_equal(upqr_verifier_cache_count(v), 1);
	/* a cached certificate is still checked against the time asked for */
	assert_int_equal(verify_at(v, &m, INT64_C(4102444800)), UPQR_ECERT_EXPIRED); /* 2100 */
	upqr_verifier_free(v);
	msg_free(&m);
}

static void test_notification_form_roundtrip(void **state)
{
	(void)state;
	msg m;
	make_msg(&m, PKI "upop_sign.key", PKI "upop_sign.pem", "order0002");
	size_t need;
	assert_int_equal(upqr_acp_form_encode(NULL, 0, &need, m.f, m.n), UPQR_EBUFSIZE);
	char *body = malloc(need + 1), *scratch = malloc(need);
	assert_int_equal(upqr_acp_form_encode(body, need + 1, &need, m.f, m.n), UPQR_OK);
	upqr_acp_field f[UPQR_ACP_FIELDS_MAX];
	size_t n;
	assert_int_equal(upqr_acp_parse_form(f, UPQR_ACP_FIELDS_MAX, &n, scratch, need, body, need, NULL), UPQR_OK);
	upqr_verifier *v = sim_verifier(0);
	assert_int_equal(upqr_verifier_verify(v, f, n, UPQR_VERIFY_NOW), UPQR_OK);
	upqr_verifier_free(v);
	free(body);
	free(scratch);
	msg_free(&m);
}

static void test_tamper_each_field(void **state)
{
	(void)state;
	msg m;
	make_msg(&m, PKI "upop_sign.key", PKI "upop_sign.pem", "order0003");
	upqr_verifier *v = sim_verifier(0);
	for (size_t i = 0; i + 1 < m.n; i++) {
		msg t = m;
		char buf[4096];
		memcpy(buf, m.f[i].value, m.f[i].value_len);
		size_t at = m.f[i].value_len / 2;
		buf[at] ^= 1;
		t.f[i].value = buf;
		int rc = verify_at(v, &t, UPQR_VERIFY_NOW);
		if (!strncmp(m.f[i].key, "signPubKeyCert", 14))
			assert_int_not_equal(rc, UPQR_OK);
		else if (!strncmp(m.f[i].key, "version", 7)) /* "5.1.0" with one bit flipped is "5.0.0" */
			assert_true(rc == UPQR_EUNSUPPORTED || rc == UPQR_ECERT_UNKNOWN);
		else if (!strncmp(m.f[i].key, "signMethod", 10))
			assert_int_equal(rc, UPQR_EUNSUPPORTED);
		else
			assert_int_equal(rc, UPQR_ESIG_DIGEST);
	}
	/* a dropped field and an added one */
	msg t = m;
	memmove(&t.f[3], &t.f[4], (t.n - 4) * sizeof t.f[0]);
	t.n--;
	assert_int_equal(verify_at(v, &t, UPQR_VERIFY_NOW), UPQR_ESIG_DIGEST);
	t = m;
	t.f[t.n - 1] = (upqr_acp_field){ "extra", 5, "1", 1 };
	t.f[t.n++] = m.f[m.n - 1];
	assert_int_equal(verify_at(v, &t, UPQR_VERIFY_NOW), UPQR_ESIG_DIGEST);
	upqr_verifier_free(v);
	msg_free(&m);
}

static void test_signature_swapped(void **state)
{
	(void)state;
	msg a, b;
	make_msg(&a, PKI "upop_sign.key", PKI "upop_sign.pem", "order0004");
	make_msg(&b, PKI "upop_sign.key", PKI "upop_sign.pem", "order0005");
	upqr_verifier *v = sim_verifier(0);
	assert_int_equal(verify_at(v, &a, UPQR_VERIFY_NOW), UPQR_OK);
	assert_int_equal(verify_at(v, &b, UPQR_VERIFY_NOW), UPQR_OK);
	upqr_acp_field sa = a.f[a.n - 1];
	a.f[a.n - 1] = b.f[b.n - 1];
	b.f[b.n - 1] = sa;
	assert_int_equal(verify_at(v, &a, UPQR_VERIFY_NOW), UPQR_ESIG_DIGEST);
	assert_int_equal(verify_at(v, &b, UPQR_VERIFY_NOW), UPQR_ESIG_DIGEST);
	upqr_verifier_free(v);
	msg_free(&a);
	msg_free(&b);
}

static void expect_cert_rc(const char *key, const char *cert, int test_env, int64_t at, int want,
		const char *err_part)
{
	msg m;
	make_msg(&m, key, cert, "order0006");
	upqr_verifier *v = sim_verifier(test_env);
	assert_int_equal(verify_at(v, &m, at), want);
	if (err_part)
		assert_non_null(strstr(upqr_verifier_last_error(v), err_part));
	if (want != UPQR_OK)
		assert_int_equal(upqr_verifier_cache_count(v), 0);
	upqr_verifier_free(v);
	msg_free(&m);
}

static void test_self_signed_rejected(void **state)
{
	(void)state;
	/* A valid signature under a self-signed certificate with UnionPay's CN proves nothing. */
	expect_cert_rc(PKI "rogue.key", PKI "rogue.pem", 0, UPQR_VERIFY_NOW, UPQR_ECERT_UNTRUSTED, "chain");
	expect_cert_rc(PKI "rogue.key", PKI "rogue.pem", 1, UPQR_VERIFY_NOW, UPQR_ECERT_UNTRUSTED, NULL);
}

static void test_validity(void **state)
{
	(void)state;
	expect_cert_rc(PKI "upop_sign.key", PKI "upop_sign_expired.pem", 0, UPQR_VERIFY_NOW, UPQR_ECERT_EXPIRED, "expired");
	/* an archived message is checked at the time it was received */
	expect_cert_rc(PKI "upop_sign.key", PKI "upop_sign_expired.pem", 0, T_2020, UPQR_OK, NULL);
	expect_cert_rc(PKI "upop_sign.key", PKI "upop_sign_notyet.pem", 0, UPQR_VERIFY_NOW, UPQR_ECERT_NOTYET, "not yet");
	expect_cert_rc(PKI "upop_sign.key", PKI "upop_sign.pem", 0, INT64_C(946684800), UPQR_ECERT_NOTYET, NULL);
}

static void test_common_name(void **state)
{
	(void)state;
	expect_cert_rc(PKI "upop_sign.key", PKI "upop_sign_wrongorg.pem", 0, UPQR_VERIFY_NOW, UPQR_ECERT_CN, "UnionPay");
	expect_cert_rc(PKI "upop_sign.key", PKI "upop_sign_wrongorg.pem", 1, UPQR_VERIFY_NOW, UPQR_ECERT_CN, NULL);
	expect_cert_rc(PKI "upop_sign.key", PKI "upop_sign_short.pem", 0, UPQR_VERIFY_NOW, UPQR_ECERT_CN, "fewer than four");
	expect_cert_rc(PKI "upop_sign.key", PKI "upop_sign_short.pem", 1, UPQR_VERIFY_NOW, UPQR_ECERT_CN, NULL);
	/* The test-environment CN only with the explicit switch. */
	expect_cert_rc(PKI "upop_sign.key", PKI "upop_sign_testcn.pem", 0, UPQR_VERIFY_NOW, UPQR_ECERT_CN, "test_env");
	expect_cert_rc(PKI "upop_sign.key", PKI "upop_sign_testcn.pem", 1, UPQR_VERIFY_NOW, UPQR_OK, NULL);
	/* The merchant's own certificate chains fine but is not UnionPay's. */
	expect_cert_rc(PKI "merchant.key", PKI "merchant.pem", 1, UPQR_VERIFY_NOW, UPQR_ECERT_CN, NULL);
}

/* Certificate purpose: the attack certificates of scripts/gen-test-pki.sh, each refused for one reason. */
static void test_cert_purpose(void **state)
{
	(void)state;
	static const struct { const char *file; int want; const char *err; } cases[] = {
		{ PKI "upop_sign_enconly.pem", UPQR_ECERT_PURPOSE, "neither digitalSignature" },
		{ PKI "upop_sign_ca.pem", UPQR_ECERT_PURPOSE, "CA:TRUE" },
		{ PKI "upop_sign_tls.pem", UPQR_ECERT_PURPOSE, "TLS server" },
		{ PKI "upop_sign_noku.pem", UPQR_OK, NULL },   /* no extension: nothing to contradict */
		{ PKI "upop_sign.pem", UPQR_OK, NULL },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		expect_cert_rc(PKI "upop_sign.key", cases[i].file, 0, UPQR_VERIFY_NOW, cases[i].want, cases[i].err);
		/* and through upqr_verifier_check_cert (which 5.0.0 cert_dir entries also pass) */
		upqr_verifier *v = sim_verifier(0);
		char *pem = pem_crlf(cases[i].file);
		assert_int_equal(upqr_verifier_check_cert(v, pem, strlen(pem), T_2024), cases[i].want);
		free(pem);
		upqr_verifier_free(v);
	}
}

/* Encryption certificates (95/00): their own purpose check, the signing one refused. */
static void test_encrypt_cert_check(void **state)
{
	(void)state;
	static const struct { const char *file; int64_t at; int want; const char *err; } cases[] = {
		{ PKI "enc.pem", UPQR_VERIFY_NOW, UPQR_OK, NULL },
		{ PKI "enc_next.pem", T_2024, UPQR_OK, NULL },
		{ PKI "upop_sign_enconly.pem", T_2024, UPQR_OK, NULL },
		{ PKI "enc_expired.pem", UPQR_VERIFY_NOW, UPQR_ECERT_EXPIRED, "expired" },
		{ PKI "enc_expired.pem", T_2020, UPQR_OK, NULL },
		{ PKI "enc_rogue.pem", UPQR_VERIFY_NOW, UPQR_ECERT_UNTRUSTED, "chain" },
		{ PKI "upop_sign.pem", UPQR_VERIFY_NOW, UPQR_ECERT_PURPOSE, "keyEncipherment" },
		{ PKI "upop_sign_noku.pem", UPQR_VERIFY_NOW, UPQR_ECERT_PURPOSE, "keyEncipherment" },
		{ PKI "upop_sign_ca.pem", UPQR_VERIFY_NOW, UPQR_ECERT_PURPOSE, "CA:TRUE" },
		{ PKI "root.pem", UPQR_VERIFY_NOW, UPQR_ECERT_PURPOSE, "CA:TRUE" },
	};
	upqr_verifier *v = sim_verifier(0);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *pem = pem_crlf(cases[i].file);
		int rc = upqr_verifier_check_encrypt_cert(v, pem, strlen(pem), cases[i].at);
		if (rc != cases[i].want)
			fail_msg("%s: %s (%s)", cases[i].file, upqr_status_name(rc), upqr_verifier_last_error(v));
		if (cases[i].err)
			assert_non_null(strstr(upqr_verifier_last_error(v), cases[i].err));
		free(pem);
	}
	/* and the signing check still refuses an encryption certificate */
	char *pem = pem_crlf(PKI "enc.pem");
	assert_int_equal(upqr_verifier_check_cert(v, pem, strlen(pem), UPQR_VERIFY_NOW), UPQR_ECERT_PURPOSE);
	assert_int_equal(upqr_verifier_check_encrypt_cert(v, "junk", 4, UPQR_VERIFY_NOW), UPQR_ECERT);
	assert_int_equal(upqr_verifier_check_encrypt_cert(NULL, pem, strlen(pem), UPQR_VERIFY_NOW), UPQR_EINVAL);
	free(pem);
	upqr_verifier_free(v);
}

/* The signer's encryption certificate can be replaced; a bad one changes nothing. */
static void test_signer_set_encrypt_cert(void **state)
{
	(void)state;
	char hex[128], want[128], out[1400];
	size_t w;
	upqr_signer *s = pem_signer(PKI "merchant.key", PKI "merchant.pem", UPQR_ACP_5_1_0);
	assert_string_equal(upqr_signer_encrypt_cert_id(s), "");
	assert_int_equal(upqr_signer_encrypt(out, sizeof out, &w, s, (const uint8_t *)"1", 1), UPQR_ECERT_UNKNOWN);
	assert_int_equal(upqr_signer_set_encrypt_cert(s, "junk", 4), UPQR_ECERT);
	assert_string_equal(upqr_signer_encrypt_cert_id(s), "");
	char *pem = pem_crlf(PKI "enc_next.pem");
	assert_int_equal(upqr_signer_set_encrypt_cert(s, pem, strlen(pem)), UPQR_OK);
	free(pem);
	assert_int_equal(sh("openssl x509 -in " PKI "enc_next.pem -noout -serial | cut -d= -f2", hex, sizeof hex), 0);
	snprintf(want, sizeof want, "%llu", strtoull(hex, NULL, 16));
	assert_string_equal(upqr_signer_encrypt_cert_id(s), want);
	/* encrypts for the new key: enc_next.key decrypts it */
	assert_int_equal(upqr_signer_encrypt(out, sizeof out, &w, s, (const uint8_t *)"6216261000000000018", 19),
			UPQR_OK);
	char cmd[2048], plain[64];
	snprintf(cmd, sizeof cmd, "printf '%%s' '%s' | openssl base64 -d -A | openssl pkeyutl -decrypt "
		"-inkey " PKI "enc_next.key -pkeyopt rsa_padding_mode:pkcs1", out);
	assert_int_equal(sh(cmd, plain, sizeof plain), 0);
	assert_string_equal(plain, "6216261000000000018");
	/* a bad one later leaves the good one in place */
	size_t len;
	char *der = slurp(PKI "rogue.key", &len);
	assert_int_equal(upqr_signer_set_encrypt_cert(s, der, len), UPQR_ECERT);
	free(der);
	assert_string_equal(upqr_signer_encrypt_cert_id(s), want);
	assert_int_equal(upqr_signer_set_encrypt_cert(NULL, "x", 1), UPQR_EINVAL);
	upqr_signer_free(s);
}

/* A leaf for UnionPay's key under SIM TEST OCA1 whose CN is `len` raw bytes of ASN.1 `type`. */
static char *mint_cn(int type, const unsigned char *cn, int len)
{
	FILE *f = fopen(PKI "middle.key", "r");
	assert_non_null(f);
	EVP_PKEY *ca_key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	f = fopen(PKI "middle.pem", "r");
	X509 *ca = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	f = fopen(PKI "upop_sign.pem", "r");
	X509 *tmpl = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_true(ca_key && ca && tmpl);
	X509 *x = X509_new();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 4242);
	X509_set_issuer_name(x, X509_get_subject_name(ca));
	X509_set1_notBefore(x, X509_get0_notBefore(tmpl));
	X509_set1_notAfter(x, X509_get0_notAfter(tmpl));
	X509_set_pubkey(x, X509_get0_pubkey(tmpl));
	X509_NAME *name = X509_NAME_new();
	assert_int_equal(X509_NAME_add_entry_by_NID(name, NID_commonName, type, cn, len, -1, 0), 1);
	X509_set_subject_name(x, name);
	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, ca, x, NULL, NULL, 0);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_key_usage, "critical,digitalSignature");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(x, ca_key, EVP_sha256()) > 0);
	BIO *b = BIO_new(BIO_s_mem());
	PEM_write_bio_X509(b, x);
	char *data;
	long n = BIO_get_mem_data(b, &data);
	char *pem = malloc((size_t)n + 1);
	memcpy(pem, data, (size_t)n);
	pem[n] = 0;
	BIO_free(b);
	X509_NAME_free(name);
	X509_free(x);
	X509_free(tmpl);
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	return pem;
}

static void expect_minted(int type, const unsigned char *cn, int len, int want, const char *err)
{
	char *pem = mint_cn(type, cn, len);
	upqr_verifier *v = sim_verifier(0);
	assert_int_equal(upqr_verifier_check_cert(v, pem, strlen(pem), T_2024), want);
	if (err && !strstr(upqr_verifier_last_error(v), err))
		fail_msg("wanted '%s' in '%s'", err, upqr_verifier_last_error(v));
	upqr_verifier_free(v);
	free(pem);
}

/* CN parsing: exactly four non-empty fields, no NUL, UTF8String or PrintableString. */
static void test_cn_strict(void **state)
{
	(void)state;
	expect_cert_rc(PKI "upop_sign.key", PKI "upop_sign_cn5.pem", 0, UPQR_VERIFY_NOW, UPQR_ECERT_CN, "more than four");
	expect_cert_rc(PKI "upop_sign.key", PKI "upop_sign_cnempty.pem", 0, UPQR_VERIFY_NOW, UPQR_ECERT_CN, "field 2 is empty");
	expect_cert_rc(PKI "upop_sign.key", PKI "upop_sign_bmp.pem", 0, UPQR_VERIFY_NOW, UPQR_ECERT_CN, "BMPSTRING");
	static const char good[] = "041@8310000000083040@" UNIONPAY "\xE8\x82\xA1\xE4\xBB\xBD\xE6\x9C\x89"
		"\xE9\x99\x90\xE5\x85\xAC\xE5\x8F\xB8@00016495";
	/* the minting itself is sound: the same CN as a UTF8String verifies */
	expect_minted(V_ASN1_UTF8STRING, (const unsigned char *)good, (int)strlen(good), UPQR_OK, NULL);
	/* a NUL that C string code would stop at, after a valid-looking CN */
	char nul[sizeof good + 8];
	memcpy(nul, good, sizeof good);
	memcpy(nul + sizeof good, "@evil", 5);
	expect_minted(V_ASN1_UTF8STRING, (const unsigned char *)nul, (int)sizeof good + 5, UPQR_ECERT_CN, "NUL");
	/* UniversalString (UCS-4) of the test CN */
	static const char ascii[] = "041@Z1200040000:SIGN@00040000:SIGN@00000002";
	unsigned char ucs4[4 * sizeof ascii];
	for (size_t i = 0; i + 1 < sizeof ascii; i++) {
		memset(ucs4 + 4 * i, 0, 3);
		ucs4[4 * i + 3] = (unsigned char)ascii[i];
	}
	expect_minted(V_ASN1_UNIVERSALSTRING, ucs4, (int)(4 * (sizeof ascii - 1)), UPQR_ECERT_CN, "UNIVERSALSTRING");
	/* a PrintableString CN is fine in form (here: not UnionPay's organisation) */
	expect_minted(V_ASN1_PRINTABLESTRING, (const unsigned char *)ascii, (int)strlen(ascii), UPQR_ECERT_CN,
		"test_env");
}

static void test_malformed_messages(void **state)
{
	(void)state;
	msg m;
	make_msg(&m, PKI "upop_sign.key", PKI "upop_sign.pem", "order0007");
	upqr_verifier *v = sim_verifier(0);
	msg t = m;
	size_t pem_at = t.n - 2, sig_at = t.n - 1;
	/* truncated PEM */
	t.f[pem_at].value_len /= 2;
	assert_int_equal(verify_at(v, &t, UPQR_VERIFY_NOW), UPQR_ECERT);
	t = m;
	t.f[pem_at].value = "not a certificate";
	t.f[pem_at].value_len = 17;
	assert_int_equal(verify_at(v, &t, UPQR_VERIFY_NOW), UPQR_ECERT);
	/* missing signPubKeyCert */
	t = m;
	t.f[pem_at] = t.f[sig_at];
	t.n--;
	assert_int_equal(verify_at(v, &t, UPQR_VERIFY_NOW), UPQR_ECERT);
	/* missing or empty signature */
	t = m;
	t.n--;
	assert_int_equal(verify_at(v, &t, UPQR_VERIFY_NOW), UPQR_ESIG_MISSING);
	assert_non_null(strstr(upqr_verifier_last_error(v), "signature"));
	t = m;
	t.f[sig_at].value_len = 0;
	assert_int_equal(verify_at(v, &t, UPQR_VERIFY_NOW), UPQR_ESIG_MISSING);
	/* malformed base64: whitespace, URL-safe alphabet, missing padding */
	char bad[UPQR_ACP_SIGNATURE_MAX + 1];
	snprintf(bad, sizeof bad, "%s", m.sig);
	bad[10] = ' ';
	t.f[sig_at].value = bad;
	t.f[sig_at].value_len = strlen(bad);
	assert_int_equal(verify_at(v, &t, UPQR_VERIFY_NOW), UPQR_EBASE64);
	bad[10] = '-';
	assert_int_equal(verify_at(v, &t, UPQR_VERIFY_NOW), UPQR_EBASE64);
	t.f[sig_at].value_len -= 2;
	assert_int_equal(verify_at(v, &t, UPQR_VERIFY_NOW), UPQR_EBASE64);
	/* valid base64 of the wrong length */
	t.f[sig_at].value = "QUJD";
	t.f[sig_at].value_len = 4;
	assert_int_equal(verify_at(v, &t, UPQR_VERIFY_NOW), UPQR_ESIG_DIGEST);
	/* two signatures, no signMethod, unknown signMethod, 11 without a secure key, unknown version */
	t = m;
	t.f[t.n++] = m.f[sig_at];
	assert_int_equal(verify_at(v, &t, UPQR_VERIFY_NOW), UPQR_EINVALID);
	t = m;
	for (size_t i = 0; i < t.n; i++) {
		if (!strncmp(t.f[i].key, "signMethod", 10)) {
			t.f[i].value = "11";
			assert_int_equal(verify_at(v, &t, UPQR_VERIFY_NOW), UPQR_EUNSUPPORTED);
			t.f[i].value = "02";
			assert_int_equal(verify_at(v, &t, UPQR_VERIFY_NOW), UPQR_EUNSUPPORTED);
			t.f[i].key = "signMethoe";
			assert_int_equal(verify_at(v, &t, UPQR_VERIFY_NOW), UPQR_EINVALID);
		}
	}
	t = m;
	t.f[0].value = "6.0.0";
	assert_int_equal(verify_at(v, &t, UPQR_VERIFY_NOW), UPQR_EUNSUPPORTED);
	assert_int_equal(upqr_verifier_verify(v, NULL, 1, UPQR_VERIFY_NOW), UPQR_EINVAL);
	assert_int_equal(upqr_verifier_verify(v, NULL, 0, UPQR_VERIFY_NOW), UPQR_ESIG_MISSING);
	upqr_verifier_free(v);
	msg_free(&m);
}

static upqr_verifier *dir_verifier(const char *dir, unsigned int versions, int unchecked)
{
	upqr_verifier_options o = UPQR_VERIFIER_OPTIONS_INIT;
	o.cert_dir = dir;
	if (unchecked) {
		o.test_env = 1;
		o.cert_dir_unchecked = 1;
	} else {
		o.root_cert_path = PKI "root.pem";
		o.middle_cert_path = PKI "middle.pem";
	}
	o.acp_versions = versions;
	upqr_verifier *v = NULL;
	assert_int_equal(upqr_verifier_new(&v, &o), UPQR_OK);
	return v;
}

static void test_500_cert_dir(void **state)
{
	(void)state;
	char dir[] = "/tmp/upqr_certs_XXXXXX", cmd[512], out[64];
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof cmd, "cp " PKI "upop_sign.pem %s/acp_test_verify_sign.cer && cp " PKI "ca.cnf %s/README"
		" && cp " PKI "rogue.pem %s/dropped_in.cer", dir, dir, dir);
	assert_int_equal(sh(cmd, out, sizeof out), 0);
	msg m;
	make_msg_ver(&m, PKI "upop_sign.key", PKI "upop_sign.pem", "order0008", UPQR_ACP_5_0_0);
	upqr_verifier *v = dir_verifier(dir, UPQR_ACCEPT_5_0_0, 0);
	assert_int_equal(verify_at(v, &m, UPQR_VERIFY_NOW), UPQR_OK);
	assert_int_equal(verify_at(v, &m, INT64_C(946684800)), UPQR_ECERT_NOTYET);
	msg t = m;
	t.f[t.n - 2].value = "12345";
	t.f[t.n - 2].value_len = 5;
	assert_int_equal(verify_at(v, &t, UPQR_VERIFY_NOW), UPQR_ECERT_UNKNOWN);
	assert_non_null(strstr(upqr_verifier_last_error(v), "12345"));
	t.f[t.n - 2] = t.f[t.n - 1];
	t.n--;
	assert_int_equal(verify_at(v, &t, UPQR_VERIFY_NOW), UPQR_ECERT_UNKNOWN);
	/* a self-signed certificate dropped into the directory does not chain */
	msg r;
	make_msg_ver(&r, PKI "rogue.key", PKI "rogue.pem", "order0010", UPQR_ACP_5_0_0);
	assert_int_equal(verify_at(v, &r, UPQR_VERIFY_NOW), UPQR_ECERT_UNTRUSTED);
	assert_non_null(strstr(upqr_verifier_last_error(v), "cert_dir certificate"));
	/* only 5.0.0 accepted here: a 5.1.0 message is refused by version */
	msg n;
	make_msg(&n, PKI "upop_sign.key", PKI "upop_sign.pem", "order0009");
	assert_int_equal(verify_at(v, &n, UPQR_VERIFY_NOW), UPQR_EUNSUPPORTED);
	upqr_verifier_free(v);
	/* Downgrade: with 5.1.0 and 5.0.0 trust configured, the default accepts 5.1.0 only. */
	v = dir_verifier(dir, 0, 0);
	assert_int_equal(verify_at(v, &n, UPQR_VERIFY_NOW), UPQR_OK);
	assert_int_equal(verify_at(v, &m, UPQR_VERIFY_NOW), UPQR_EUNSUPPORTED);
	assert_non_null(strstr(upqr_verifier_last_error(v), "5.0.0 is not accepted"));
	upqr_verifier_free(v);
	v = dir_verifier(dir, UPQR_ACCEPT_5_0_0 | UPQR_ACCEPT_5_1_0, 0);
	assert_int_equal(verify_at(v, &n, UPQR_VERIFY_NOW), UPQR_OK);
	assert_int_equal(verify_at(v, &m, UPQR_VERIFY_NOW), UPQR_OK);
	upqr_verifier_free(v);
	/* The test-environment opt-out trusts the directory as is (the rogue too). */
	v = dir_verifier(dir, 0, 1);
	assert_int_equal(verify_at(v, &m, UPQR_VERIFY_NOW), UPQR_OK);
	assert_int_equal(verify_at(v, &r, UPQR_VERIFY_NOW), UPQR_OK);
	upqr_verifier_free(v);
	upqr_verifier_options o = UPQR_VERIFIER_OPTIONS_INIT;
	o.cert_dir = dir;
	assert_int_equal(upqr_verifier_new(&v, &o), UPQR_EINVAL);   /* nothing to chain to */
	o.cert_dir_unchecked = 1;
	assert_int_equal(upqr_verifier_new(&v, &o), UPQR_EINVAL);   /* opt-out needs test_env */
	o.acp_versions = 4;
	o.test_env = 1;
	assert_int_equal(upqr_verifier_new(&v, &o), UPQR_EINVAL);
	/* a version-1 options struct (no acp_versions) still works */
	o.version = 1;
	o.root_cert_path = PKI "root.pem";
	o.middle_cert_path = PKI "middle.pem";
	o.cert_dir = NULL;
	assert_int_equal(upqr_verifier_new(&v, &o), UPQR_OK);
	assert_int_equal(verify_at(v, &n, UPQR_VERIFY_NOW), UPQR_OK);
	upqr_verifier_free(v);
	/* and a 5.1.0-only verifier knows no certId */
	v = sim_verifier(0);
	assert_int_equal(verify_at(v, &m, UPQR_VERIFY_NOW), UPQR_EUNSUPPORTED);
	upqr_verifier_free(v);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(sh(cmd, out, sizeof out), 0);
	msg_free(&m);
	msg_free(&n);
	msg_free(&r);
}

/* UnionPay's real test chain (SHA-1-signed CFCA): the case where OpenSSL 3 integrations break. */
static void test_unionpay_test_chain(void **state)
{
	(void)state;
	char pem[8192];
	assert_int_equal(sh("openssl pkcs12 -in " UPENV "acp_test_sign.pfx -passin pass:000000 -nokeys -clcerts "
		"2>/dev/null | sed -n '/BEGIN/,/END/p'", pem, sizeof pem), 0);
	size_t len = strlen(pem);
	upqr_verifier_options o = UPQR_VERIFIER_OPTIONS_INIT;
	o.root_cert_path = UPENV "acp_test_root.cer";
	o.middle_cert_path = UPENV "acp_test_middle.cer";
	o.test_env = 1;
	upqr_verifier *v = NULL;
	assert_int_equal(upqr_verifier_new(&v, &o), UPQR_OK);
	/* The chain holds at 2024 (so SHA-1 is accepted); the CN then says "merchant", not UnionPay. */
	assert_int_equal(upqr_verifier_check_cert(v, pem, len, T_2024), UPQR_ECERT_CN);
	assert_int_equal(upqr_verifier_check_cert(v, pem, len, T_2021), UPQR_ECERT_NOTYET);
	/* valid 2021-11-26 .. 2026-11-26: expired now */
	assert_int_equal(upqr_verifier_check_cert(v, pem, len, UPQR_VERIFY_NOW), UPQR_ECERT_EXPIRED);
	upqr_verifier_free(v);
	/* Against the simulator's root it does not chain, and vice versa. */
	v = sim_verifier(1);
	assert_int_equal(upqr_verifier_check_cert(v, pem, len, T_2024), UPQR_ECERT_UNTRUSTED);
	upqr_verifier_free(v);
	assert_int_equal(upqr_verifier_new(&v, &o), UPQR_OK);
	char *sim = pem_crlf(PKI "upop_sign.pem");
	assert_int_equal(upqr_verifier_check_cert(v, sim, strlen(sim), T_2024), UPQR_ECERT_UNTRUSTED);
	free(sim);
	upqr_verifier_free(v);
}

static void test_cache_bounded(void **state)
{
	(void)state;
	upqr_verifier_options o = UPQR_VERIFIER_OPTIONS_INIT;
	o.root_cert_path = PKI "root.pem";
	o.middle_cert_path = PKI "middle.pem";
	o.test_env = 1;
	o.cache_size = 2;
	upqr_verifier *v = NULL;
	assert_int_equal(upqr_verifier_new(&v, &o), UPQR_OK);
	const char *certs[] = { PKI "upop_sign.pem", PKI "upop_sign_testcn.pem", PKI "upop_sign_expired.pem" };
	for (size_t i = 0; i < 3; i++) {
		char *pem = pem_crlf(certs[i]);
		assert_int_equal(upqr_verifier_check_cert(v, pem, strlen(pem), T_2020), UPQR_OK);
		free(pem);
	}
	assert_int_equal(upqr_verifier_cache_count(v), 2);
	upqr_verifier_free(v);
	o.cache_size = UPQR_VERIFIER_CACHE_MAX + 1;
	assert_int_equal(upqr_verifier_new(&v, &o), UPQR_EINVAL);
}

/* The gateway's side: merchant requests verified by their certId (5.1.0 and 5.0.0). */
static void test_verify_request_by_cert_id(void **state)
{
	(void)state;
	upqr_verifier_options o = UPQR_VERIFIER_OPTIONS_INIT;
	o.root_cert_path = PKI "root.pem";
	o.middle_cert_path = PKI "middle.pem";
	o.acp_versions = UPQR_ACCEPT_5_1_0 | UPQR_ACCEPT_5_0_0;
	upqr_verifier *v = NULL;
	assert_int_equal(upqr_verifier_new(&v, &o), UPQR_OK);
	size_t len, n;
	char *pem = slurp(PKI "merchant.pem", &len), id[64];
	assert_int_equal(upqr_verifier_add_cert(NULL, 0, &n, v, pem, len), UPQR_EBUFSIZE);
	assert_int_equal(upqr_verifier_add_cert(id, sizeof id, &n, v, pem, len), UPQR_OK);
	assert_int_equal(n, strlen(id));
	assert_int_equal(upqr_verifier_add_cert(id, sizeof id, &n, v, "junk", 4), UPQR_ECERT);
	assert_int_equal(upqr_verifier_add_cert(id, sizeof id, &n, NULL, pem, len), UPQR_EINVAL);
	free(pem);
	for (int ver = 0; ver < 2; ver++) {
		msg m;
		/* a merchant-signed message: make_msg_ver puts certId in for 5.0.0; a request does it for 5.1.0 too */
		make_msg_ver(&m, PKI "merchant.key", PKI "merchant.pem", "order0100", UPQR_ACP_5_0_0);
		assert_string_equal(m.cert_id, id);
		m.f[0].value = ver ? "5.0.0" : "5.1.0";
		upqr_signer *s = pem_signer(PKI "merchant.key", PKI "merchant.pem", ver ? UPQR_ACP_5_0_0 : UPQR_ACP_5_1_0);
		assert_int_equal(upqr_signer_sign(m.sig, sizeof m.sig, &n, s, m.f, m.n - 1), UPQR_OK);
		m.f[m.n - 1].value_len = n;
		upqr_signer_free(s);
		assert_int_equal(upqr_verifier_verify_request(v, m.f, m.n, UPQR_VERIFY_NOW), UPQR_OK);
		/* upqr_verifier_verify wants signPubKeyCert for 5.1.0, and never takes a merchant key
		 * registered for requests as UnionPay's 5.0.0 key */
		assert_int_equal(verify_at(v, &m, UPQR_VERIFY_NOW), ver ? UPQR_ECERT_UNKNOWN : UPQR_ECERT);
		msg t = m;
		t.f[6].value = "order0101";
		assert_int_equal(upqr_verifier_verify_request(v, t.f, t.n, UPQR_VERIFY_NOW), UPQR_ESIG_DIGEST);
		t = m;
		t.f[t.n - 2].value = "999";
		t.f[t.n - 2].value_len = 3;
		assert_int_equal(upqr_verifier_verify_request(v, t.f, t.n, UPQR_VERIFY_NOW), UPQR_ECERT_UNKNOWN);
		assert_int_equal(upqr_verifier_verify_request(v, m.f, m.n, INT64_C(946684800)), UPQR_ECERT_NOTYET);
		msg_free(&m);
	}
	upqr_verifier_free(v);
}

/* An expired merchant certificate still signs, with a warning the caller can check. */
static void test_expired_merchant_cert_warns(void **state)
{
	(void)state;
	upqr_acp_field f[] = { { "version", 7, "5.1.0", 5 }, { "txnAmt", 6, "1", 1 } };
	char sig[UPQR_ACP_SIGNATURE_MAX + 1];
	size_t n;
	upqr_signer *s = pem_signer(PKI "merchant.key", PKI "merchant_expired.pem", UPQR_ACP_5_1_0);
	assert_int_equal(upqr_signer_warnings(s), 0);
	assert_int_equal(upqr_signer_sign(sig, sizeof sig, &n, s, f, 2), UPQR_OK);
	assert_int_equal(upqr_signer_warnings(s), UPQR_SIGNER_WARN_CERT_EXPIRED);
	assert_non_null(strstr(upqr_signer_last_error(s), "expired"));
	char body[4096];
	assert_int_equal(upqr_signer_build_request(body, sizeof body, &n, s, f, 2), UPQR_OK);
	assert_int_equal(upqr_signer_warnings(s), UPQR_SIGNER_WARN_CERT_EXPIRED);
	upqr_signer_free(s);
	s = pem_signer(PKI "merchant.key", PKI "merchant.pem", UPQR_ACP_5_1_0);
	assert_int_equal(upqr_signer_sign(sig, sizeof sig, &n, s, f, 2), UPQR_OK);
	assert_int_equal(upqr_signer_warnings(s), 0);
	assert_string_equal(upqr_signer_last_error(s), "");
	upqr_signer_free(s);
	assert_int_equal(upqr_signer_warnings(NULL), 0);
}

/* ---- requests, encryption ----------------------------------------------- */

static void test_build_request(void **state)
{
	(void)state;
	int rc;
	upqr_signer *s = pfx_signer(PKI "merchant.pfx", "000000", &rc);
	assert_int_equal(rc, UPQR_OK);
	const char *id = upqr_signer_cert_id(s);
	upqr_acp_field f[4] = { { "version", 7, "5.1.0", 5 }, { "signMethod", 10, "01", 2 }, { "txnAmt", 6, "1", 1 } };
	size_t need, n;
	assert_int_equal(upqr_signer_build_request(NULL, 0, &need, s, f, 3), UPQR_EBUFSIZE);
	char *body = malloc(need + 1);
	assert_int_equal(upqr_signer_build_request(body, need + 1, &n, s, f, 3), UPQR_OK);
	assert_int_equal(n, need);
	char prefix[128];
	snprintf(prefix, sizeof prefix, "version=5.1.0&signMethod=01&txnAmt=1&certId=%s&signature=", id);
	assert_memory_equal(body, prefix, strlen(prefix));
	/* an explicit, matching certId is not added twice */
	f[3] = (upqr_acp_field){ "certId", 6, id, strlen(id) };
	char *body2 = malloc(need + 1);
	assert_int_equal(upqr_signer_build_request(body2, need + 1, &n, s, f, 4), UPQR_OK);
	assert_string_equal(body, body2);
	f[3].value = "123";
	f[3].value_len = 3;
	assert_int_equal(upqr_signer_build_request(body2, need + 1, &n, s, f, 4), UPQR_EINVALID);
	assert_non_null(strstr(upqr_signer_last_error(s), "certId"));
	f[3] = (upqr_acp_field){ "memo", 4, "", 0 };
	assert_int_equal(upqr_signer_build_request(body2, need + 1, &n, s, f, 4), UPQR_EINVALID);
	assert_non_null(strstr(upqr_signer_last_error(s), "empty"));
	f[3] = (upqr_acp_field){ "signature", 9, "x", 1 };
	assert_int_equal(upqr_signer_build_request(body2, need + 1, &n, s, f, 4), UPQR_EINVALID);
	f[1].value = "11";
	assert_int_equal(upqr_signer_build_request(body2, need + 1, &n, s, f, 3), UPQR_EINVALID);
	f[1].value = "01";
	f[0].value = "5.0.0";
	assert_int_equal(upqr_signer_build_request(body2, need + 1, &n, s, f, 3), UPQR_EINVALID);
	free(body);
	free(body2);
	upqr_signer_free(s);
}

static void test_encrypt_decrypt(void **state)
{
	(void)state;
	static const char pan[] = "6222021234567890123";
	upqr_signer_options o = UPQR_SIGNER_OPTIONS_INIT;
	o.pfx_path = PKI "merchant.pfx";
	o.password = "000000";
	o.encrypt_cert_path = PKI "enc.pem";
	upqr_signer *s = NULL;
	assert_int_equal(upqr_signer_new(&s, &o), UPQR_OK);
	char hex[64], want_id[64], ct[UPQR_ACP_SIGNATURE_MAX + 1], pt[64];
	assert_int_equal(sh("openssl x509 -in " PKI "enc.pem -noout -serial | cut -d= -f2", hex, sizeof hex), 0);
	snprintf(want_id, sizeof want_id, "%llu", strtoull(hex, NULL, 16));
	assert_string_equal(upqr_signer_encrypt_cert_id(s), want_id);
	size_t n;
	assert_int_equal(upqr_signer_encrypt(ct, sizeof ct, &n, s, (const uint8_t *)pan, 19), UPQR_OK);
	assert_int_equal(n, 344); /* RSA-2048 ciphertext in base64 */
	/* UnionPay's side (the openssl CLI with the encryption key) reads it back */
	char cmd[2048];
	snprintf(cmd, sizeof cmd, "printf '%%s' '%s' | openssl base64 -d -A | openssl pkeyutl -decrypt "
		"-pkeyopt rsa_padding_mode:pkcs1 -inkey " PKI "enc.key", ct);
	assert_int_equal(sh(cmd, pt, sizeof pt), 0);
	assert_string_equal(pt, pan);
	upqr_signer_free(s);
	/* What UnionPay encrypted for the merchant decrypts with the merchant key. */
	snprintf(cmd, sizeof cmd, "printf '%%s' '%s' | openssl pkeyutl -encrypt -pkeyopt rsa_padding_mode:pkcs1 "
		"-certin -inkey " PKI "merchant.pem | openssl base64 -A", pan);
	assert_int_equal(sh(cmd, ct, sizeof ct), 0);
	o.encrypt_cert_path = NULL;
	assert_int_equal(upqr_signer_new(&s, &o), UPQR_OK);
	uint8_t out[512];
	assert_int_equal(upqr_signer_decrypt(NULL, 0, &n, s, ct, strlen(ct)), UPQR_EBUFSIZE);
	assert_int_equal(upqr_signer_decrypt(out, sizeof out, &n, s, ct, strlen(ct)), UPQR_OK);
	assert_int_equal(n, 19);
	assert_memory_equal(out, pan, 19);
	char masked[UPQR_ACP_PAN_MAX + 1];
	assert_int_equal(upqr_acp_mask_pan(masked, sizeof masked, &n, (const char *)out, 19), UPQR_OK);
	assert_string_equal(masked, "622202*********0123");
	ct[5] = ct[5] == 'A' ? 'B' : 'A';
	assert_int_equal(upqr_signer_decrypt(out, sizeof out, &n, s, ct, strlen(ct)), UPQR_ECRYPTO);
	assert_int_equal(upqr_signer_decrypt(out, sizeof out, &n, s, "abc", 3), UPQR_EBASE64);
	assert_int_equal(upqr_signer_encrypt(ct, sizeof ct, &n, s, (const uint8_t *)pan, 19), UPQR_ECERT_UNKNOWN);
	upqr_signer_free(s);
}

/* Every allocation failure is reported, never a crash or a leak (ASan/valgrind runs check the latter). */
static void test_allocation_failures(void **state)
{
	(void)state;
	msg m;
	make_msg(&m, PKI "upop_sign.key", PKI "upop_sign.pem", "order0010");
	for (long k = 0;; k++) {
		tu_alloc_stats st = { 0, 0, k };
		tu_alloc_install(&st);
		upqr_verifier *v = NULL;
		upqr_verifier_options o = UPQR_VERIFIER_OPTIONS_INIT;
		o.root_cert_path = PKI "root.pem";
		o.middle_cert_path = PKI "middle.pem";
		int rc = upqr_verifier_new(&v, &o);
		if (rc == UPQR_OK)
			rc = verify_at(v, &m, UPQR_VERIFY_NOW);
		upqr_verifier_free(v);
		tu_alloc_uninstall();
		assert_int_equal(st.allocs, st.frees);
		if (rc == UPQR_OK)
			break;
		assert_int_equal(rc, UPQR_ENOMEM);
		assert_true(k < 50);
	}
	msg_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unionpay_test_pfx),
		cmocka_unit_test(test_legacy_pfx_own_context),
		cmocka_unit_test(test_pfx_in_memory),
		cmocka_unit_test(test_encrypted_pem_key),
		cmocka_unit_test(test_cert_id_is_decimal_serial),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_kat_01_510),
		cmocka_unit_test(test_kat_01_500),
		cmocka_unit_test(test_kat_11),
		cmocka_unit_test(test_kat_12),
		cmocka_unit_test(test_verify_ok_and_cache),
		cmocka_unit_test(test_notification_form_roundtrip),
		cmocka_unit_test(test_tamper_each_field),
		cmocka_unit_test(test_signature_swapped),
		cmocka_unit_test(test_self_signed_rejected),
		cmocka_unit_test(test_validity),
		cmocka_unit_test(test_common_name),
		cmocka_unit_test(test_cert_purpose),
		cmocka_unit_test(test_encrypt_cert_check),
		cmocka_unit_test(test_signer_set_encrypt_cert),
		cmocka_unit_test(test_cn_strict),
		cmocka_unit_test(test_malformed_messages),
		cmocka_unit_test(test_500_cert_dir),
		cmocka_unit_test(test_unionpay_test_chain),
		cmocka_unit_test(test_cache_bounded),
		cmocka_unit_test(test_verify_request_by_cert_id),
		cmocka_unit_test(test_build_request),
		cmocka_unit_test(test_expired_merchant_cert_warns),
		cmocka_unit_test(test_encrypt_decrypt),
		cmocka_unit_test(test_allocation_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
