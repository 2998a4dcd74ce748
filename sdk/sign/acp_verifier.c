/*
 * acp_verifier.c - UnionPay's side: verify responses and notifications.
 *
 * 5.1.0 messages carry their signing certificate (signPubKeyCert). Trusting
 * it as is would let anyone sign (one popular SDK does exactly that), so the
 * certificate must chain to the configured root + middle at the given time
 * and name China UnionPay in its CN before its key is used. 5.0.0 messages
 * name a certId that must be one of the certificates in a configured
 * directory. Each check that fails has its own status code.
 */
#include <dirent.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "sign_internal.h"

#define RSA_BITS_MIN 2048
#define RSA_BYTES_MAX (8192 / 8)
/* at == VERIFY_ANYTIME: chain and signatures only (cert_dir, checked at load). */
#define VERIFY_ANYTIME (INT64_MIN + 1)
/* Most certificates read from a 5.0.0 cert_dir. */
#define DIR_CERTS_MAX 64

/* The organisation field (third '@'-separated CN field) of UnionPay's signing certificates. */
static const char UNIONPAY_ORG[] = "\xE4\xB8\xAD\xE5\x9B\xBD\xE9\x93\xB6\xE8\x81\x94"
	"\xE8\x82\xA1\xE4\xBB\xBD\xE6\x9C\x89\xE9\x99\x90\xE5\x85\xAC\xE5\x8F\xB8"; /* 中国银联股份有限公司 */
/* What UnionPay's test environment puts there instead (accepted only with test_env). */
static const char TEST_ORG[] = "00040000:SIGN";

/* A trusted public key: a cached signPubKeyCert (key = PEM text) or a cert_dir entry (key = certId). */
typedef struct vcert {
	char *key;
	size_t key_len;
	EVP_PKEY *pkey;
	EVP_PKEY_CTX *ctx[2];    /* prepared per upqr_acp_version (SHA-256, SHA-1) */
	int64_t not_before;      /* validity of the whole chain */
	int64_t not_after;
	int status;              /* cert_dir entries: UPQR_OK or why the certificate is refused */
	char why[160];
	bool merchant;           /* added by upqr_verifier_add_cert: used for requests only */
} vcert;

#define VERIFIER_MAGIC 0x56524659u /* "VRFY" */

struct upqr_verifier {
	uint32_t magic;          /* VERIFIER_MAGIC; first, see UPQR__HANDLE_OK */
	X509_STORE *store;
	STACK_OF(X509) *untrusted;
	bool test_env;
	bool dir_unchecked;
	unsigned int accept;     /* UPQR_ACCEPT_* */
	upqr__digests dig;
	upqr__secure_key sk;
	vcert *cache;
	size_t cache_cap, cache_n, cache_next;
	vcert dir[DIR_CERTS_MAX];
	size_t dir_n;
	char err[UPQR__ERR_MAX];
};

int upqr_verifier_options_init(upqr_verifier_options *opts, unsigned int version)
{
	if (!opts)
		return UPQR_EINVAL;
	if (version != UPQR_VERIFIER_OPTIONS_VERSION)
		return UPQR_EVERSION;
	upqr_verifier_options def = UPQR_VERIFIER_OPTIONS_INIT;
	*opts = def;
	return UPQR_OK;
}

static void vcert_clear(vcert *c)
{
	upqr__free(c->key);
	EVP_PKEY_CTX_free(c->ctx[0]);
	EVP_PKEY_CTX_free(c->ctx[1]);
	EVP_PKEY_free(c->pkey);
	memset(c, 0, sizeof *c);
}

/* Takes pkey; prepares both verify contexts; copies key text. */
static int vcert_set(vcert *c, upqr__digests *d, EVP_PKEY *pkey, const char *key, size_t key_len)
{
	c->pkey = pkey;
	if (!EVP_PKEY_is_a(pkey, "RSA") || EVP_PKEY_get_bits(pkey) < RSA_BITS_MIN ||
			EVP_PKEY_get_bits(pkey) > 8192)
		return UPQR_ECERT;
	c->ctx[UPQR_ACP_5_1_0] = upqr__rsa_ctx(NULL, pkey, d->sha256, false);
	c->ctx[UPQR_ACP_5_0_0] = upqr__rsa_ctx(NULL, pkey, d->sha1, false);
	c->key = upqr__malloc(key_len + 1);
	if (!c->key)
		return UPQR_ENOMEM;
	memcpy(c->key, key, key_len);
	c->key[key_len] = 0;
	c->key_len = key_len;
	return c->ctx[0] && c->ctx[1] ? UPQR_OK : UPQR_ECRYPTO;
}

static bool cert_window(const X509 *x, int64_t *nb, int64_t *na)
{
	return upqr__asn1_time_unix(X509_get0_notBefore(x), nb) &&
		upqr__asn1_time_unix(X509_get0_notAfter(x), na);
}

static int load_trust(upqr_verifier *v, const upqr_verifier_options *o)
{
	int rc;
	X509 *root = upqr__cert_load_file(o->root_cert_path, &rc);
	if (!root)
		return upqr__set_error(v->err, rc, "root certificate: %s", upqr_strerror(rc));
	X509 *middle = upqr__cert_load_file(o->middle_cert_path, &rc);
	if (!middle) {
		X509_free(root);
		return upqr__set_error(v->err, rc, "middle certificate: %s", upqr_strerror(rc));
	}
	v->store = X509_STORE_new();
	v->untrusted = sk_X509_new_null();
	rc = v->store && v->untrusted && X509_STORE_add_cert(v->store, root) == 1 &&
		sk_X509_push(v->untrusted, middle) > 0 ? UPQR_OK : UPQR_ENOMEM;
	X509_free(root);
	if (rc)
		X509_free(middle);
	if (rc)
		return rc;
	/*
	 * The CFCA chains (test and production) are signed with SHA-1, which
	 * OpenSSL 3 refuses from auth level 1 up. Lower the level on this store
	 * only; every other verification in the process keeps its policy.
	 * No CRL flags: UnionPay's SDKs do not check revocation either.
	 */
	X509_VERIFY_PARAM *param = X509_STORE_get0_param(v->store);
	X509_VERIFY_PARAM_set_auth_level(param, 0);
	X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_ANY);
	return UPQR_OK;
}

static int verify_chain(upqr_verifier *v, X509 *x, int64_t at, int64_t *nb, int64_t *na);
static int check_leaf(upqr_verifier *v, X509 *x);

/*
 * A 5.0.0 certificate must be what a 5.1.0 message's certificate must be:
 * chained to root + middle, UnionPay's CN, a signing purpose. The time is
 * checked per message (the window of the whole chain is kept). A failure is
 * kept with the entry and reported when a message names its certId.
 */
static void dir_check(upqr_verifier *v, X509 *x, vcert *c)
{
	if (v->dir_unchecked)
		return;
	int64_t nb, na;
	int rc = verify_chain(v, x, VERIFY_ANYTIME, &nb, &na);
	if (!rc) {
		c->not_before = nb;
		c->not_after = na;
		rc = check_leaf(v, x);
	}
	if (rc) {
		c->status = rc;
		snprintf(c->why, sizeof c->why, "%.*s", (int)sizeof c->why - 1, v->err);
	}
	v->err[0] = 0;
	ERR_clear_error();
}

/*
 * Adds x (still the caller's) to the certId table; its certId into id.
 * merchant: a key registered for requests, trusted as given (no chain or CN
 * check: merchant certificates do not name UnionPay).
 */
static int dir_add_x509(upqr_verifier *v, X509 *x, const char *what, bool merchant,
		char id[UPQR__CERT_ID_MAX])
{
	vcert c = { 0 };
	int rc = UPQR_ECERT;
	if (upqr__cert_serial_dec(x, id) && cert_window(x, &c.not_before, &c.not_after)) {
		EVP_PKEY *pkey = X509_get_pubkey(x);
		rc = pkey ? vcert_set(&c, &v->dig, pkey, id, strlen(id)) : UPQR_ECERT;
	}
	c.merchant = merchant;
	if (!rc && !merchant)
		dir_check(v, x, &c);
	if (rc) {
		vcert_clear(&c);
		return upqr__set_error(v->err, rc, "%s: unusable certificate", what);
	}
	if (v->dir_n == DIR_CERTS_MAX) {
		vcert_clear(&c);
		return upqr__set_error(v->err, UPQR_ELIMIT, "more than %d certificates by certId", DIR_CERTS_MAX);
	}
	v->dir[v->dir_n++] = c;
	return UPQR_OK;
}

static int dir_add(upqr_verifier *v, const char *path)
{
	int rc;
	X509 *x = upqr__cert_load_file(path, &rc);
	if (!x)
		return UPQR_OK; /* not a certificate: the directory may hold other files */
	char id[UPQR__CERT_ID_MAX];
	rc = dir_add_x509(v, x, path, false, id);
	X509_free(x);
	return rc;
}

int upqr_verifier_add_cert(char *cert_id, size_t cap, size_t *written, upqr_verifier *v,
		const void *data, size_t len)
{
	UPQR__OPTIONAL_WRITTEN(written);
	if (!UPQR__HANDLE_OK(v, VERIFIER_MAGIC) || !data)
		return UPQR_EINVAL;
	v->err[0] = 0;
	X509 *x = upqr__cert_load_mem(data, len);
	ERR_clear_error();
	if (!x)
		return upqr__set_error(v->err, UPQR_ECERT, "not a PEM or DER certificate");
	char id[UPQR__CERT_ID_MAX];
	int rc = dir_add_x509(v, x, "added certificate", true, id);
	X509_free(x);
	if (rc)
		return rc;
	upqr__buf b;
	upqr__buf_init(&b, cert_id, cap);
	upqr__buf_put(&b, id, strlen(id));
	return upqr__buf_finish(&b, written, true);
}

static int load_dir(upqr_verifier *v, const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return upqr__set_error(v->err, UPQR_EIO, "cannot open cert_dir %s", dir);
	int rc = UPQR_OK;
	struct dirent *e;
	while (!rc && (e = readdir(d)) != NULL) {
		char path[4096];
		if (e->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= sizeof path)
			continue;
		rc = dir_add(v, path);
	}
	closedir(d);
	return rc;
}

static int verifier_init(upqr_verifier *v, const upqr_verifier_options *o)
{
	int rc = upqr__digests_init(&v->dig, NULL);
	if (!rc)
		rc = upqr__secure_key_init(&v->sk, &v->dig, o->secure_key, o->secure_key_len);
	if (!rc && o->root_cert_path)
		rc = load_trust(v, o);
	if (!rc && o->cert_dir)
		rc = load_dir(v, o->cert_dir);
	v->cache_cap = o->cache_size ? o->cache_size : UPQR_VERIFIER_CACHE_DEFAULT;
	if (!rc && !(v->cache = upqr__calloc(v->cache_cap, sizeof *v->cache)))
		rc = UPQR_ENOMEM;
	return rc;
}

/*
 * Without an explicit choice, accept what trust is configured for, but never
 * let a message pick 5.0.0 (SHA-1) when 5.1.0 trust exists.
 */
static unsigned int accepted_versions(const upqr_verifier_options *o, bool chain)
{
	if (o->acp_versions)
		return o->acp_versions;
	return chain ? UPQR_ACCEPT_5_1_0 : o->cert_dir ? UPQR_ACCEPT_5_0_0 : 0;
}

int upqr_verifier_new(upqr_verifier **out, const upqr_verifier_options *opts)
{
	if (!out || !opts)
		return UPQR_EINVAL;
	*out = NULL;
	upqr_verifier_options o = UPQR_VERIFIER_OPTIONS_INIT;
	if (opts->version == 1)
		memcpy(&o, opts, offsetof(upqr_verifier_options, acp_versions));
	else if (opts->version == UPQR_VERIFIER_OPTIONS_VERSION)
		o = *opts;
	else
		return UPQR_EVERSION;
	opts = &o;
	bool chain = opts->root_cert_path || opts->middle_cert_path;
	if ((chain && !(opts->root_cert_path && opts->middle_cert_path)) ||
			(!chain && !opts->cert_dir && !opts->secure_key) ||
			(opts->secure_key && !opts->secure_key_len) ||
			opts->cache_size > UPQR_VERIFIER_CACHE_MAX ||
			(opts->acp_versions & ~(UPQR_ACCEPT_5_1_0 | UPQR_ACCEPT_5_0_0)) ||
			(opts->cert_dir_unchecked && !opts->test_env) ||
			(opts->cert_dir && !chain && !opts->cert_dir_unchecked))
		return UPQR_EINVAL;
	upqr_verifier *v = upqr__calloc(1, sizeof *v);
	if (!v)
		return UPQR_ENOMEM;
	v->magic = VERIFIER_MAGIC;
	v->test_env = opts->test_env != 0;
	v->dir_unchecked = opts->cert_dir_unchecked != 0;
	v->accept = accepted_versions(opts, chain);
	int rc = verifier_init(v, opts);
	ERR_clear_error();
	if (rc) {
		upqr_verifier_free(v);
		return rc;
	}
	*out = v;
	return UPQR_OK;
}

void upqr_verifier_free(upqr_verifier *v)
{
	if (!UPQR__HANDLE_OK(v, VERIFIER_MAGIC))
		return;
	v->magic = 0;
	for (size_t i = 0; v->cache && i < v->cache_cap; i++)
		vcert_clear(&v->cache[i]);
	upqr__free(v->cache);
	for (size_t i = 0; i < v->dir_n; i++)
		vcert_clear(&v->dir[i]);
	X509_STORE_free(v->store);
	sk_X509_pop_free(v->untrusted, X509_free);
	upqr__digests_free(&v->dig);
	upqr__free_secret(v, sizeof *v);
}

const char *upqr_verifier_last_error(const upqr_verifier *v)
{
	return UPQR__HANDLE_OK(v, VERIFIER_MAGIC) ? v->err : "";
}

size_t upqr_verifier_cache_default(void) { return UPQR_VERIFIER_CACHE_DEFAULT; }
int64_t upqr_verify_now(void) { return UPQR_VERIFY_NOW; }

size_t upqr_verifier_cache_max(void)
{
	return UPQR_VERIFIER_CACHE_MAX;
}

size_t upqr_verifier_cache_count(const upqr_verifier *v)
{
	return UPQR__HANDLE_OK(v, VERIFIER_MAGIC) ? v->cache_n : 0;
}

static int64_t resolve_time(int64_t at)
{
	return at == UPQR_VERIFY_NOW ? (int64_t)time(NULL) : at;
}

static int chain_error(upqr_verifier *v, X509_STORE_CTX *ctx)
{
	int e = X509_STORE_CTX_get_error(ctx);
	int depth = X509_STORE_CTX_get_error_depth(ctx);
	const char *what = X509_verify_cert_error_string(e);
	switch (e) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return upqr__set_error(v->err, UPQR_ECERT_EXPIRED, "certificate expired (chain depth %d)", depth);
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return upqr__set_error(v->err, UPQR_ECERT_NOTYET, "certificate not yet valid (chain depth %d)",
			depth);
	default:
		return upqr__set_error(v->err, UPQR_ECERT_UNTRUSTED,
			"certificate does not chain to the configured root and middle: %s (depth %d)", what, depth);
	}
}

/* Validity window shared by every certificate of the verified chain. */
static bool chain_window(STACK_OF(X509) *chain, int64_t *nb, int64_t *na)
{
	*nb = INT64_MIN;
	*na = INT64_MAX;
	for (int i = 0; i < sk_X509_num(chain); i++) {
		int64_t b, a;
		if (!cert_window(sk_X509_value(chain, i), &b, &a))
			return false;
		*nb = b > *nb ? b : *nb;
		*na = a < *na ? a : *na;
	}
	return true;
}

static int verify_chain(upqr_verifier *v, X509 *x, int64_t at, int64_t *nb, int64_t *na)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	if (!ctx || X509_STORE_CTX_init(ctx, v->store, x, v->untrusted) != 1) {
		X509_STORE_CTX_free(ctx);
		return UPQR_ENOMEM;
	}
	if (at == VERIFY_ANYTIME)
		X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_NO_CHECK_TIME);
	else if (at != UPQR_VERIFY_NOW)
		X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), (time_t)at);
	int rc = UPQR_OK;
	if (X509_verify_cert(ctx) != 1)
		rc = chain_error(v, ctx);
	else if (!chain_window(X509_STORE_CTX_get0_chain(ctx), nb, na))
		rc = upqr__set_error(v->err, UPQR_ECERT, "unreadable validity dates in the chain");
	X509_STORE_CTX_free(ctx);
	return rc;
}

/*
 * UnionPay's CN has exactly four non-empty '@'-separated fields
 * (`041@8310000000083040@中国银联股份有限公司@00016495`), the third naming
 * the organisation. Anything looser lets a look-alike through: a NUL that
 * C string code would stop at, extra or empty fields, or a BMPString /
 * UniversalString whose conversion hides what was really issued.
 */
static int check_cn(upqr_verifier *v, X509 *x)
{
	X509_NAME *name = X509_get_subject_name(x);
	int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	if (i < 0 || X509_NAME_get_index_by_NID(name, NID_commonName, i) >= 0)
		return upqr__set_error(v->err, UPQR_ECERT_CN, "certificate subject needs exactly one CN");
	const ASN1_STRING *raw = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
	int type = ASN1_STRING_type(raw);
	if (type != V_ASN1_UTF8STRING && type != V_ASN1_PRINTABLESTRING)
		return upqr__set_error(v->err, UPQR_ECERT_CN,
			"certificate CN is a %s, not a UTF8String or PrintableString", ASN1_tag2str(type));
	const char *p = (const char *)ASN1_STRING_get0_data(raw);
	size_t n = (size_t)ASN1_STRING_length(raw);
	if (memchr(p, 0, n))
		return upqr__set_error(v->err, UPQR_ECERT_CN, "certificate CN holds a NUL byte");
	const char *field[4], *end = p + n;
	size_t len[4], k = 0;
	for (const char *q = p; k < 5; k++) {
		const char *at = memchr(q, '@', (size_t)(end - q));
		if (k < 4) {
			field[k] = q;
			len[k] = (size_t)((at ? at : end) - q);
		}
		if (!at || k == 4)
			break;
		q = at + 1;
	}
	if (k != 3)
		return upqr__set_error(v->err, UPQR_ECERT_CN, "certificate CN has %s than four '@'-separated fields",
			k < 3 ? "fewer" : "more");
	for (k = 0; k < 4; k++)
		if (!len[k])
			return upqr__set_error(v->err, UPQR_ECERT_CN, "certificate CN field %zu is empty", k + 1);
	bool ok = (len[2] == sizeof UNIONPAY_ORG - 1 && !memcmp(field[2], UNIONPAY_ORG, len[2])) ||
		(v->test_env && len[2] == sizeof TEST_ORG - 1 && !memcmp(field[2], TEST_ORG, len[2]));
	if (ok)
		return UPQR_OK;
	return upqr__set_error(v->err, UPQR_ECERT_CN, "certificate CN does not name China UnionPay%s",
		v->test_env ? "" : " (test-environment CNs need the test_env option)");
}

/*
 * A signing certificate, not any certificate that chains: UnionPay's carry
 * keyUsage digitalSignature + nonRepudiation and extendedKeyUsage clientAuth
 * + emailProtection. An encryption-only, CA or TLS-server certificate from
 * the same CA must not sign notifications.
 */
static int check_purpose(upqr_verifier *v, X509 *x)
{
	uint32_t ku = X509_get_key_usage(x), xku = X509_get_extended_key_usage(x);
	uint32_t flags = X509_get_extension_flags(x);
	if (flags & EXFLAG_INVALID)
		return upqr__set_error(v->err, UPQR_ECERT_PURPOSE, "certificate extensions cannot be read");
	if (flags & EXFLAG_CA)
		return upqr__set_error(v->err, UPQR_ECERT_PURPOSE, "certificate is a CA (basicConstraints CA:TRUE)");
	if (ku != UINT32_MAX && !(ku & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)))
		return upqr__set_error(v->err, UPQR_ECERT_PURPOSE,
			"certificate key usage allows neither digitalSignature nor nonRepudiation");
	if (xku != UINT32_MAX && !(xku & (XKU_SSL_CLIENT | XKU_SMIME | XKU_ANYEKU)))
		return upqr__set_error(v->err, UPQR_ECERT_PURPOSE,
			"certificate extended key usage is not for signing (e.g. TLS server only)");
	return UPQR_OK;
}

/*
 * An encryption certificate (95/00's encryptPubKeyCert): the key encrypts
 * card data for UnionPay, so it must say so (keyUsage keyEncipherment or
 * dataEncipherment, present) and must not be a CA. The signing check above
 * rightly refuses such a certificate; this one refuses a signing one.
 */
static int check_enc_purpose(upqr_verifier *v, X509 *x)
{
	uint32_t ku = X509_get_key_usage(x), flags = X509_get_extension_flags(x);
	if (flags & EXFLAG_INVALID)
		return upqr__set_error(v->err, UPQR_ECERT_PURPOSE, "certificate extensions cannot be read");
	if (flags & EXFLAG_CA)
		return upqr__set_error(v->err, UPQR_ECERT_PURPOSE, "certificate is a CA (basicConstraints CA:TRUE)");
	if (ku == UINT32_MAX || !(ku & (KU_KEY_ENCIPHERMENT | KU_DATA_ENCIPHERMENT)))
		return upqr__set_error(v->err, UPQR_ECERT_PURPOSE,
			"certificate key usage allows neither keyEncipherment nor dataEncipherment");
	return UPQR_OK;
}

static int check_leaf(upqr_verifier *v, X509 *x)
{
	int rc = check_purpose(v, x);
	return rc ? rc : check_cn(v, x);
}

static vcert *cache_find(upqr_verifier *v, const char *pem, size_t len, int64_t t)
{
	for (size_t i = 0; i < v->cache_n; i++) {
		vcert *c = &v->cache[i];
		if (c->key_len == len && !memcmp(c->key, pem, len) && t >= c->not_before && t <= c->not_after)
			return c;
	}
	return NULL;
}

static int cache_add(upqr_verifier *v, X509 *x, const char *pem, size_t len, int64_t nb, int64_t na,
		vcert **out)
{
	/* Round-robin replacement keeps the cache bounded; UnionPay rotates rarely. */
	vcert *c = &v->cache[v->cache_next];
	vcert_clear(c);
	EVP_PKEY *pkey = X509_get_pubkey(x);
	int rc = pkey ? vcert_set(c, &v->dig, pkey, pem, len) : UPQR_ECERT;
	if (rc) {
		vcert_clear(c);
		return upqr__set_error(v->err, rc, "certificate key is not RSA of at least %d bits", RSA_BITS_MIN);
	}
	c->not_before = nb;
	c->not_after = na;
	v->cache_next = (v->cache_next + 1) % v->cache_cap;
	if (v->cache_n < v->cache_cap)
		v->cache_n++;
	*out = c;
	return UPQR_OK;
}

static int check_cert(upqr_verifier *v, const char *pem, size_t len, int64_t at, vcert **out)
{
	if (!v->store)
		return upqr__set_error(v->err, UPQR_ECERT_UNTRUSTED, "no root and middle certificates configured");
	if ((*out = cache_find(v, pem, len, resolve_time(at))) != NULL)
		return UPQR_OK;
	X509 *x = len <= UPQR_ACP_MESSAGE_MAX ? upqr__cert_load_mem(pem, len) : NULL;
	if (!x)
		return upqr__set_error(v->err, UPQR_ECERT, "signPubKeyCert is not a readable certificate");
	int64_t nb = 0, na = 0;
	int rc = verify_chain(v, x, at, &nb, &na);
	if (!rc)
		rc = check_leaf(v, x);
	if (!rc)
		rc = cache_add(v, x, pem, len, nb, na, out);
	X509_free(x);
	ERR_clear_error();
	return rc;
}

int upqr_verifier_check_cert(upqr_verifier *v, const char *pem, size_t len, int64_t at)
{
	if (!UPQR__HANDLE_OK(v, VERIFIER_MAGIC) || (!pem && len))
		return UPQR_EINVAL;
	v->err[0] = 0;
	vcert *c;
	return check_cert(v, pem ? pem : "", len, at, &c);
}

int upqr_verifier_check_encrypt_cert(upqr_verifier *v, const char *pem, size_t len, int64_t at)
{
	if (!v || (!pem && len))
		return UPQR_EINVAL;
	v->err[0] = 0;
	if (!v->store)
		return upqr__set_error(v->err, UPQR_ECERT_UNTRUSTED, "no root and middle certificates configured");
	X509 *x = len <= UPQR_ACP_MESSAGE_MAX ? upqr__cert_load_mem(pem ? pem : "", len) : NULL;
	ERR_clear_error();
	if (!x)
		return upqr__set_error(v->err, UPQR_ECERT, "not a readable certificate");
	int64_t nb = 0, na = 0;
	EVP_PKEY *pkey = X509_get0_pubkey(x);
	int rc = verify_chain(v, x, at, &nb, &na);
	if (!rc)
		rc = check_enc_purpose(v, x);
	if (!rc)
		rc = check_cn(v, x);
	if (!rc && (!pkey || !EVP_PKEY_is_a(pkey, "RSA") || EVP_PKEY_get_bits(pkey) < RSA_BITS_MIN ||
			EVP_PKEY_get_bits(pkey) > 8192))
		rc = upqr__set_error(v->err, UPQR_ECERT, "certificate key is not RSA of %d..8192 bits", RSA_BITS_MIN);
	X509_free(x);
	ERR_clear_error();
	return rc;
}

/* A cert_dir entry (UnionPay's 5.0.0 keys) or, with merchant, an added request key. */
static int dir_find(upqr_verifier *v, const upqr_acp_field *id, int64_t at, bool merchant, vcert **out)
{
	int64_t t = resolve_time(at);
	for (size_t i = 0; id && i < v->dir_n; i++) {
		vcert *c = &v->dir[i];
		if (c->merchant != merchant || c->key_len != id->value_len || memcmp(c->key, id->value, id->value_len))
			continue;
		if (c->status)
			return upqr__set_error(v->err, c->status, "cert_dir certificate %s: %s", c->key, c->why);
		if (t < c->not_before)
			return upqr__set_error(v->err, UPQR_ECERT_NOTYET, "certificate %s is not yet valid", c->key);
		if (t > c->not_after)
			return upqr__set_error(v->err, UPQR_ECERT_EXPIRED, "certificate %s has expired", c->key);
		*out = c;
		return UPQR_OK;
	}
	return upqr__set_error(v->err, UPQR_ECERT_UNKNOWN, id ? "no certificate with certId %.*s in cert_dir"
		: "5.0.0 message without certId%.*s", id ? (int)(id->value_len > 40 ? 40 : id->value_len) : 0,
		id ? id->value : "");
}

/* Signature bytes from base64, strictly. */
static int decode_sig(upqr_verifier *v, uint8_t *sig, size_t *sig_len, const upqr_acp_field *f)
{
	size_t bad = 0;
	int rc = f->value_len > UPQR_BASE64_ENCODED_LEN(RSA_BYTES_MAX) ? UPQR_EBUFSIZE
		: upqr_base64_decode(sig, RSA_BYTES_MAX, sig_len, f->value, f->value_len, &bad);
	if (rc == UPQR_EBASE64)
		return upqr__set_error(v->err, rc, "signature is not strict base64 (offset %zu)", bad);
	if (rc)
		return upqr__set_error(v->err, UPQR_ESIG_DIGEST, "signature has the wrong length");
	return UPQR_OK;
}

static int verify_rsa_sig(upqr_verifier *v, vcert *c, upqr_acp_version ver, const uint8_t *sig,
		size_t sig_len, const upqr_acp_field *fields, size_t count)
{
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	uint8_t dig[EVP_MAX_MD_SIZE];
	size_t hex_len;
	const EVP_MD *md = upqr__version_md(&v->dig, ver);
	int rc = upqr__fields_digest_hex(&v->dig, md, hex, &hex_len, fields, count, NULL);
	if (rc)
		return upqr__set_error(v->err, rc, "cannot digest the string to sign: %s", upqr_strerror(rc));
	size_t dig_len = upqr__digest(&v->dig, md, dig, hex, hex_len);
	if (!dig_len)
		return upqr__set_error(v->err, UPQR_ECRYPTO, "digest failed");
	if (EVP_PKEY_verify(c->ctx[ver], sig, sig_len, dig, dig_len) != 1) {
		ERR_clear_error();
		return upqr__set_error(v->err, UPQR_ESIG_DIGEST, "signature does not match the message");
	}
	return UPQR_OK;
}

static int verify_rsa(upqr_verifier *v, const upqr_acp_field *fields, size_t count, int64_t at,
		const upqr_acp_field *sigf, bool request)
{
	const upqr_acp_field *verf = upqr_acp_field_get(fields, count, "version");
	if (!verf)
		return upqr__set_error(v->err, UPQR_EINVALID, "message without version");
	upqr_acp_version ver;
	if (upqr__value_is(verf, "5.1.0"))
		ver = UPQR_ACP_5_1_0;
	else if (upqr__value_is(verf, "5.0.0"))
		ver = UPQR_ACP_5_0_0;
	else
		return upqr__set_error(v->err, UPQR_EUNSUPPORTED, "unsupported version");
	if (!(v->accept & (ver == UPQR_ACP_5_1_0 ? UPQR_ACCEPT_5_1_0 : UPQR_ACCEPT_5_0_0)))
		return upqr__set_error(v->err, UPQR_EUNSUPPORTED, "version %s is not accepted by this verifier "
			"(acp_versions)", ver == UPQR_ACP_5_1_0 ? "5.1.0" : "5.0.0");
	uint8_t sig[RSA_BYTES_MAX];
	size_t sig_len;
	int rc = decode_sig(v, sig, &sig_len, sigf);
	if (rc)
		return rc;
	vcert *c;
	if (request) {
		rc = dir_find(v, upqr_acp_field_get(fields, count, "certId"), at, true, &c);
	} else if (ver == UPQR_ACP_5_1_0) {
		const upqr_acp_field *pc = upqr_acp_field_get(fields, count, "signPubKeyCert");
		if (!pc)
			return upqr__set_error(v->err, UPQR_ECERT, "5.1.0 message without signPubKeyCert");
		rc = check_cert(v, pc->value ? pc->value : "", pc->value_len, at, &c);
	} else {
		rc = dir_find(v, upqr_acp_field_get(fields, count, "certId"), at, false, &c);
	}
	return rc ? rc : verify_rsa_sig(v, c, ver, sig, sig_len, fields, count);
}

static int verify_secure_key(upqr_verifier *v, const upqr_acp_field *fields, size_t count,
		const upqr_acp_field *sigf, bool sm3)
{
	if (!v->sk.set)
		return upqr__set_error(v->err, UPQR_EUNSUPPORTED, "signMethod %s needs a secure key",
			sm3 ? "12" : "11");
	if (sm3 && !v->dig.sm3)
		return upqr__set_error(v->err, UPQR_EUNSUPPORTED, "SM3 is not available in this OpenSSL");
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	size_t hex_len;
	int rc = upqr__fields_digest_hex(&v->dig, sm3 ? v->dig.sm3 : v->dig.sha256, hex, &hex_len,
		fields, count, sm3 ? v->sk.sm3_hex : v->sk.sha256_hex);
	if (rc)
		return upqr__set_error(v->err, rc, "cannot digest the string to sign: %s", upqr_strerror(rc));
	/* The length is public (fixed by the method); the content is compared in constant time. */
	bool ok = sigf->value_len == hex_len && CRYPTO_memcmp(sigf->value, hex, hex_len) == 0;
	upqr_memzero(hex, sizeof hex);
	return ok ? UPQR_OK : upqr__set_error(v->err, UPQR_ESIG_DIGEST, "signature does not match the message");
}

static int verify_message(upqr_verifier *v, const upqr_acp_field *fields, size_t count, int64_t at,
		bool request)
{
	if (!UPQR__HANDLE_OK(v, VERIFIER_MAGIC) || (!fields && count))
		return UPQR_EINVAL;
	v->err[0] = 0;
	/* Before any cryptography: a signature vouches only for the string to sign. */
	int rc = upqr__refuse_ambiguous(v->err, fields, count);
	if (rc)
		return rc;
	const upqr_acp_field *sigf = NULL, *method = NULL;
	for (size_t i = 0; i < count; i++) {
		if (upqr__field_is(&fields[i], "signature")) {
			if (sigf)
				return upqr__set_error(v->err, UPQR_EINVALID, "two signature fields");
			sigf = &fields[i];
		}
	}
	if (!sigf || !sigf->value_len)
		return upqr__set_error(v->err, UPQR_ESIG_MISSING, "message has no signature");
	method = upqr_acp_field_get(fields, count, "signMethod");
	if (!method)
		return upqr__set_error(v->err, UPQR_EINVALID, "message without signMethod");
	if (upqr__value_is(method, "01"))
		return verify_rsa(v, fields, count, at, sigf, request);
	if (upqr__value_is(method, "11") || upqr__value_is(method, "12"))
		return verify_secure_key(v, fields, count, sigf, upqr__value_is(method, "12"));
	return upqr__set_error(v->err, UPQR_EUNSUPPORTED, "unsupported signMethod");
}

int upqr_verifier_verify(upqr_verifier *v, const upqr_acp_field *fields, size_t count, int64_t at)
{
	return verify_message(v, fields, count, at, false);
}

int upqr_verifier_verify_request(upqr_verifier *v, const upqr_acp_field *fields, size_t count,
		int64_t at)
{
	return verify_message(v, fields, count, at, true);
}
