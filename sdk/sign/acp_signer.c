/*
 * acp_signer.c - the merchant side: load the signing key (PKCS#12 or PEM),
 * sign ACP requests (01, 11, 12), build request bodies, encrypt sensitive
 * fields for UnionPay and decrypt what UnionPay encrypted for us.
 */
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/rsa.h>

#include "sign_internal.h"

/* Smallest and largest RSA keys accepted (UnionPay and CFCA use 2048). */
#define RSA_BITS_MIN 2048
#define RSA_BITS_MAX 8192
#define RSA_BYTES_MAX (RSA_BITS_MAX / 8)

#define SIGNER_MAGIC 0x5349474Eu /* "SIGN" */

struct upqr_signer {
	uint32_t magic;              /* SIGNER_MAGIC; first, see UPQR__HANDLE_OK */
	upqr_acp_version acp_version;
	upqr_acp_sign_method method;
	/* Own library context, only when a PKCS#12 needed the legacy provider. */
	OSSL_LIB_CTX *libctx;
	OSSL_PROVIDER *prov_legacy;
	OSSL_PROVIDER *prov_default;
	EVP_PKEY *pkey;
	X509 *cert;
	EVP_PKEY_CTX *sign_ctx;      /* prepared once: the bench's 90 % target depends on it */
	EVP_PKEY_CTX *decrypt_ctx;
	EVP_PKEY *enc_key;
	EVP_PKEY_CTX *encrypt_ctx;
	upqr__digests dig;
	upqr__secure_key sk;
	char cert_id[UPQR__CERT_ID_MAX];
	char enc_cert_id[UPQR__CERT_ID_MAX];
	int64_t cert_not_before, cert_not_after;   /* merchant certificate validity */
	unsigned int warnings;                     /* UPQR_SIGNER_WARN_* of the last call */
	char err[UPQR__ERR_MAX];
};

int upqr_signer_options_init(upqr_signer_options *opts, unsigned int version)
{
	if (!opts)
		return UPQR_EINVAL;
	if (version != UPQR_SIGNER_OPTIONS_VERSION)
		return UPQR_EVERSION;
	upqr_signer_options def = UPQR_SIGNER_OPTIONS_INIT;
	*opts = def;
	return UPQR_OK;
}

static bool rsa_key_ok(const EVP_PKEY *pkey)
{
	int bits = EVP_PKEY_get_bits(pkey);
	return EVP_PKEY_is_a(pkey, "RSA") && bits >= RSA_BITS_MIN && bits <= RSA_BITS_MAX;
}

/* The certificate among cert and ca whose public key is pkey's. */
static X509 *matching_cert(EVP_PKEY *pkey, X509 *cert, STACK_OF(X509) *ca)
{
	X509 *found = NULL;
	ERR_set_mark();
	if (cert && X509_check_private_key(cert, pkey) == 1)
		found = cert;
	for (int i = 0; !found && ca && i < sk_X509_num(ca); i++)
		if (X509_check_private_key(sk_X509_value(ca, i), pkey) == 1)
			found = sk_X509_value(ca, i);
	ERR_pop_to_mark();
	if (found)
		X509_up_ref(found);
	return found;
}

static int parse_p12(upqr_signer *s, PKCS12 *p12, const char *pass)
{
	EVP_PKEY *pkey = NULL;
	X509 *cert = NULL;
	STACK_OF(X509) *ca = NULL;
	if (PKCS12_parse(p12, pass, &pkey, &cert, &ca) != 1)
		return UPQR_EUNSUPPORTED;
	int rc = UPQR_EKEY;
	if (pkey && (s->cert = matching_cert(pkey, cert, ca)) != NULL) {
		s->pkey = pkey;
		pkey = NULL;
		rc = UPQR_OK;
	}
	EVP_PKEY_free(pkey);
	X509_free(cert);
	sk_X509_pop_free(ca, X509_free);
	return rc;
}

/*
 * Legacy bag ciphers (RC2-40) live in OpenSSL 3's legacy provider. Load it
 * into a context of this handle only and make that the thread's default for
 * the duration of the parse (PKCS12_parse has no context argument); the
 * process-wide default context is never touched.
 */
static int parse_p12_legacy(upqr_signer *s, PKCS12 *p12, const char *pass)
{
	s->libctx = OSSL_LIB_CTX_new();
	if (!s->libctx)
		return UPQR_ENOMEM;
	s->prov_legacy = OSSL_PROVIDER_load(s->libctx, "legacy");
	s->prov_default = OSSL_PROVIDER_load(s->libctx, "default");
	if (!s->prov_legacy || !s->prov_default)
		return upqr__set_error(s->err, UPQR_EUNSUPPORTED, "PKCS#12 uses a legacy cipher and "
			"OpenSSL's legacy provider is not available");
	OSSL_LIB_CTX *prev = OSSL_LIB_CTX_set0_default(s->libctx);
	int rc = prev ? parse_p12(s, p12, pass) : UPQR_ECRYPTO;
	if (prev)
		OSSL_LIB_CTX_set0_default(prev);
	return rc;
}

static int load_pfx(upqr_signer *s, const upqr_signer_options *o)
{
	if (!o->pfx_path && o->pfx_len > INT32_MAX)
		return UPQR_ELIMIT;
	BIO *bio = o->pfx_path ? BIO_new_file(o->pfx_path, "rb")
		: BIO_new_mem_buf(o->pfx_data, (int)o->pfx_len);
	if (!bio)
		return UPQR_EIO;
	PKCS12 *p12 = d2i_PKCS12_bio(bio, NULL);
	BIO_free(bio);
	if (!p12)
		return UPQR_EKEY;
	const char *pass = o->password ? o->password : "";
	int rc;
	if (PKCS12_mac_present(p12) && PKCS12_verify_mac(p12, pass, -1) != 1 &&
			!(pass[0] == 0 && PKCS12_verify_mac(p12, NULL, 0) == 1))
		rc = UPQR_EPASSWORD;
	else if ((rc = parse_p12(s, p12, pass)) == UPQR_EUNSUPPORTED)
		rc = parse_p12_legacy(s, p12, pass);
	PKCS12_free(p12);
	return rc;
}

/*
 * Hands the configured password to OpenSSL for an encrypted PEM key. Without
 * this callback OpenSSL would prompt on the terminal, which a library must
 * never do: no password means the key cannot be decrypted.
 */
static int pem_password(char *buf, int size, int rwflag, void *u)
{
	(void)rwflag;
	size_t n = u ? strlen(u) : 0;
	if (!u || n > (size_t)size)
		return -1;
	memcpy(buf, u, n);
	return (int)n;
}

/* Largest PEM key file read (an RSA-8192 key in PEM is about 6.5 KiB). */
#define PEM_KEY_MAX (64 * 1024)

/* Reads the key file into upqr memory, so that it is wiped after parsing. */
static int read_key_file(const char *path, char **out, size_t *len)
{
	BIO *bio = BIO_new_file(path, "rb");
	if (!bio)
		return UPQR_EIO;
	char *buf = upqr__malloc(PEM_KEY_MAX + 1);
	int n = buf ? BIO_read(bio, buf, PEM_KEY_MAX + 1) : 0;
	BIO_free(bio);
	if (!buf)
		return UPQR_ENOMEM;
	if (n <= 0 || n > PEM_KEY_MAX) {
		upqr__free_secret(buf, PEM_KEY_MAX + 1);
		return n <= 0 ? UPQR_EKEY : UPQR_ELIMIT;
	}
	buf[n] = 0;
	*out = buf;
	*len = (size_t)n;
	return UPQR_OK;
}

static int load_pem(upqr_signer *s, const upqr_signer_options *o)
{
	char *pem;
	size_t len;
	int rc = read_key_file(o->key_pem_path, &pem, &len);
	if (rc)
		return rc;
	/* Decrypt failures surface as several different OpenSSL errors (and a wrong
	 * password can even pass the padding check), so ask the file instead. */
	bool encrypted = strstr(pem, "ENCRYPTED") != NULL;
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	if (bio)
		s->pkey = PEM_read_bio_PrivateKey(bio, NULL, pem_password, (void *)(uintptr_t)o->password);
	BIO_free(bio);
	upqr__free_secret(pem, PEM_KEY_MAX + 1);
	if (!s->pkey)
		return !bio ? UPQR_ENOMEM : encrypted ? UPQR_EPASSWORD : UPQR_EKEY;
	X509 *cert = upqr__cert_load_file(o->cert_pem_path, &rc);
	if (!cert)
		return rc;
	s->cert = matching_cert(s->pkey, cert, NULL);
	X509_free(cert);
	return s->cert ? UPQR_OK : UPQR_EKEY;
}

/*
 * Makes x the encryption certificate: key, prepared context and serial are
 * built aside and swapped in only when all succeeded, so a failure leaves
 * the previous certificate in place.
 */
static int install_enc_cert(upqr_signer *s, X509 *x)
{
	char id[UPQR__CERT_ID_MAX];
	EVP_PKEY *key = X509_get_pubkey(x);
	EVP_PKEY_CTX *ctx = NULL;
	int rc = UPQR_OK;
	if (!upqr__cert_serial_dec(x, id) || !key || !rsa_key_ok(key))
		rc = UPQR_ECERT;
	else if (!(ctx = EVP_PKEY_CTX_new_from_pkey(s->libctx, key, NULL)) || EVP_PKEY_encrypt_init(ctx) != 1 ||
			EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1)
		rc = UPQR_ECRYPTO;
	if (rc) {
		EVP_PKEY_CTX_free(ctx);
		EVP_PKEY_free(key);
		return rc;
	}
	EVP_PKEY_CTX_free(s->encrypt_ctx);
	EVP_PKEY_free(s->enc_key);
	s->encrypt_ctx = ctx;
	s->enc_key = key;
	memcpy(s->enc_cert_id, id, sizeof id);
	return UPQR_OK;
}

static int load_enc_cert(upqr_signer *s, const char *path)
{
	int rc;
	X509 *x = upqr__cert_load_file(path, &rc);
	if (!x)
		return rc;
	rc = install_enc_cert(s, x);
	X509_free(x);
	return rc;
}

int upqr_signer_set_encrypt_cert(upqr_signer *s, const char *pem, size_t len)
{
	if (!s || !pem)
		return UPQR_EINVAL;
	s->err[0] = 0;
	X509 *x = len <= UPQR_ACP_MESSAGE_MAX ? upqr__cert_load_mem(pem, len) : NULL;
	int rc = x ? install_enc_cert(s, x) : UPQR_ECERT;
	X509_free(x);
	ERR_clear_error();
	if (rc)
		return upqr__set_error(s->err, rc, "encryption certificate not usable (%s); the previous one stays",
			rc == UPQR_ECERT ? "unreadable, or not RSA 2048..8192" : "OpenSSL refused its key");
	return UPQR_OK;
}

static int prepare_key(upqr_signer *s)
{
	if (!rsa_key_ok(s->pkey))
		return UPQR_EKEY;
	if (!upqr__cert_serial_dec(s->cert, s->cert_id) ||
			!upqr__asn1_time_unix(X509_get0_notBefore(s->cert), &s->cert_not_before) ||
			!upqr__asn1_time_unix(X509_get0_notAfter(s->cert), &s->cert_not_after))
		return UPQR_ECERT;
	s->sign_ctx = upqr__rsa_ctx(s->libctx, s->pkey, upqr__version_md(&s->dig, s->acp_version), true);
	s->decrypt_ctx = EVP_PKEY_CTX_new_from_pkey(s->libctx, s->pkey, NULL);
	if (!s->sign_ctx || !s->decrypt_ctx || EVP_PKEY_decrypt_init(s->decrypt_ctx) != 1 ||
			EVP_PKEY_CTX_set_rsa_padding(s->decrypt_ctx, RSA_PKCS1_PADDING) != 1)
		return UPQR_ECRYPTO;
	return UPQR_OK;
}

static int check_options(const upqr_signer_options *o)
{
	if (o->version != UPQR_SIGNER_OPTIONS_VERSION)
		return UPQR_EVERSION;
	if (o->acp_version != UPQR_ACP_5_1_0 && o->acp_version != UPQR_ACP_5_0_0)
		return UPQR_EINVAL;
	bool pfx = o->pfx_path || o->pfx_data, pem = o->key_pem_path || o->cert_pem_path;
	if ((pfx && pem) || (o->pfx_path && o->pfx_data) || (pem && !(o->key_pem_path && o->cert_pem_path)))
		return UPQR_EINVAL;
	switch (o->sign_method) {
	case UPQR_ACP_SIGN_RSA:
		return pfx || pem ? UPQR_OK : UPQR_EINVAL;
	case UPQR_ACP_SIGN_SHA256:
	case UPQR_ACP_SIGN_SM3:
		return o->secure_key && o->secure_key_len ? UPQR_OK : UPQR_EINVAL;
	}
	return UPQR_EINVAL;
}

static int signer_init(upqr_signer *s, const upqr_signer_options *o)
{
	int rc = UPQR_OK;
	if (o->pfx_path || o->pfx_data)
		rc = load_pfx(s, o);
	else if (o->key_pem_path)
		rc = load_pem(s, o);
	/* Digests come from the context the key lives in (the legacy one if it was needed). */
	if (!rc)
		rc = upqr__digests_init(&s->dig, s->libctx);
	if (!rc && s->pkey)
		rc = prepare_key(s);
	if (!rc)
		rc = upqr__secure_key_init(&s->sk, &s->dig, o->secure_key, o->secure_key_len);
	if (!rc && o->sign_method == UPQR_ACP_SIGN_SM3 && !s->dig.sm3)
		rc = UPQR_EUNSUPPORTED;
	if (!rc && o->encrypt_cert_path)
		rc = load_enc_cert(s, o->encrypt_cert_path);
	return rc;
}

int upqr_signer_new(upqr_signer **out, const upqr_signer_options *opts)
{
	if (!out || !opts)
		return UPQR_EINVAL;
	*out = NULL;
	int rc = check_options(opts);
	if (rc)
		return rc;
	upqr_signer *s = upqr__calloc(1, sizeof *s);
	if (!s)
		return UPQR_ENOMEM;
	s->magic = SIGNER_MAGIC;
	s->acp_version = opts->acp_version;
	s->method = opts->sign_method;
	rc = signer_init(s, opts);
	ERR_clear_error();
	if (rc) {
		upqr_signer_free(s);
		return rc;
	}
	*out = s;
	return UPQR_OK;
}

void upqr_signer_free(upqr_signer *s)
{
	if (!UPQR__HANDLE_OK(s, SIGNER_MAGIC))
		return;
	s->magic = 0;
	EVP_PKEY_CTX_free(s->sign_ctx);
	EVP_PKEY_CTX_free(s->decrypt_ctx);
	EVP_PKEY_CTX_free(s->encrypt_ctx);
	EVP_PKEY_free(s->pkey);    /* OpenSSL clears RSA private components on free */
	EVP_PKEY_free(s->enc_key);
	X509_free(s->cert);
	upqr__digests_free(&s->dig);
	OSSL_PROVIDER_unload(s->prov_legacy);
	OSSL_PROVIDER_unload(s->prov_default);
	OSSL_LIB_CTX_free(s->libctx);
	upqr__free_secret(s, sizeof *s);
}

const char *upqr_signer_last_error(const upqr_signer *s)
{
	return UPQR__HANDLE_OK(s, SIGNER_MAGIC) ? s->err : "";
}

const char *upqr_signer_cert_id(const upqr_signer *s)
{
	return UPQR__HANDLE_OK(s, SIGNER_MAGIC) ? s->cert_id : "";
}

const char *upqr_signer_encrypt_cert_id(const upqr_signer *s)
{
	return UPQR__HANDLE_OK(s, SIGNER_MAGIC) ? s->enc_cert_id : "";
}

static int sign_rsa(upqr_signer *s, char *out, size_t cap, size_t *written,
		const upqr_acp_field *fields, size_t count)
{
	const EVP_MD *md = upqr__version_md(&s->dig, s->acp_version);
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	uint8_t dig[EVP_MAX_MD_SIZE], sig[RSA_BYTES_MAX];
	size_t hex_len, sig_len = sizeof sig;
	int rc = upqr__fields_digest_hex(&s->dig, md, hex, &hex_len, fields, count, NULL);
	if (rc)
		return upqr__set_error(s->err, rc, "cannot digest the string to sign: %s", upqr_strerror(rc));
	/* UnionPay signs the lower-case hex text of the digest, hashed once more by RSA's DigestInfo. */
	size_t dig_len = upqr__digest(&s->dig, md, dig, hex, hex_len);
	if (!dig_len || EVP_PKEY_sign(s->sign_ctx, sig, &sig_len, dig, dig_len) != 1) {
		ERR_clear_error();
		return upqr__set_error(s->err, UPQR_ECRYPTO, "RSA signing failed");
	}
	return upqr_base64_encode(out, cap, written, sig, sig_len);
}

static int sign_secure_key(upqr_signer *s, char *out, size_t cap, size_t *written,
		const upqr_acp_field *fields, size_t count)
{
	bool sm3 = s->method == UPQR_ACP_SIGN_SM3;
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	size_t hex_len;
	int rc = upqr__fields_digest_hex(&s->dig, sm3 ? s->dig.sm3 : s->dig.sha256, hex, &hex_len,
		fields, count, sm3 ? s->sk.sm3_hex : s->sk.sha256_hex);
	if (rc)
		return upqr__set_error(s->err, rc, "cannot digest the string to sign: %s", upqr_strerror(rc));
	upqr__buf b;
	upqr__buf_init(&b, out, cap);
	upqr__buf_put(&b, hex, hex_len);
	return upqr__buf_finish(&b, written, true);
}

unsigned int upqr_signer_warnings(const upqr_signer *s)
{
	return UPQR__HANDLE_OK(s, SIGNER_MAGIC) ? s->warnings : 0;
}

/*
 * UnionPay refuses requests signed with an expired merchant certificate
 * (respCode 11), but whether to send one is the caller's call (clock skew,
 * a test gateway): sign anyway and leave a warning to check.
 */
static void check_cert_dates(upqr_signer *s)
{
	s->warnings = 0;
	if (s->method != UPQR_ACP_SIGN_RSA || !s->cert)
		return;
	int64_t now = (int64_t)time(NULL);
	if (now > s->cert_not_after) {
		s->warnings |= UPQR_SIGNER_WARN_CERT_EXPIRED;
		upqr__set_error(s->err, UPQR_OK, "warning: merchant certificate %s expired %lld days ago; "
			"UnionPay will refuse this request", s->cert_id, (long long)((now - s->cert_not_after) / 86400));
	} else if (now < s->cert_not_before) {
		s->warnings |= UPQR_SIGNER_WARN_CERT_NOTYET;
		upqr__set_error(s->err, UPQR_OK, "warning: merchant certificate %s is not valid yet", s->cert_id);
	}
}

int upqr_signer_sign(char *out, size_t cap, size_t *written, upqr_signer *s,
		const upqr_acp_field *fields, size_t count)
{
	UPQR__OPTIONAL_WRITTEN(written);
	if (!UPQR__HANDLE_OK(s, SIGNER_MAGIC))
		return UPQR_EINVAL;
	s->err[0] = 0;
	check_cert_dates(s);
	/* Never sign a string that a verifier could read as another field set. */
	int rc = upqr__refuse_ambiguous(s->err, fields, count);
	if (rc)
		return rc;
	return s->method == UPQR_ACP_SIGN_RSA ? sign_rsa(s, out, cap, written, fields, count)
		: sign_secure_key(s, out, cap, written, fields, count);
}

static const char *method_text(upqr_acp_sign_method m)
{
	return m == UPQR_ACP_SIGN_RSA ? "01" : m == UPQR_ACP_SIGN_SHA256 ? "11" : "12";
}

/* Refuses what would produce a request UnionPay rejects or that signs something unintended. */
static int check_request(upqr_signer *s, const upqr_acp_field *fields, size_t count, bool *has_cert_id)
{
	*has_cert_id = false;
	if (!fields && count)
		return UPQR_EINVAL;
	if (count > UPQR_ACP_FIELDS_MAX - 2)
		return upqr__set_error(s->err, UPQR_ELIMIT, "more than %d fields", UPQR_ACP_FIELDS_MAX - 2);
	for (size_t i = 0; i < count; i++) {
		const upqr_acp_field *f = &fields[i];
		if (!f->key || !f->key_len || !f->value || !f->value_len)
			return upqr__set_error(s->err, UPQR_EINVALID, "field %zu ('%.*s') is empty: "
				"leave it out instead of signing an empty value", i, (int)(f->key_len > 40 ? 40 : f->key_len),
				f->key ? f->key : "");
		if (upqr__field_is(f, "signature"))
			return upqr__set_error(s->err, UPQR_EINVALID, "the request already has a signature");
		if (upqr__field_is(f, "signMethod") && !upqr__value_is(f, method_text(s->method)))
			return upqr__set_error(s->err, UPQR_EINVALID, "signMethod differs from the signer's (%s)",
				method_text(s->method));
		if (upqr__field_is(f, "version") &&
				!upqr__value_is(f, s->acp_version == UPQR_ACP_5_0_0 ? "5.0.0" : "5.1.0"))
			return upqr__set_error(s->err, UPQR_EINVALID, "version differs from the signer's");
		if (upqr__field_is(f, "certId") && s->method == UPQR_ACP_SIGN_RSA) {
			if (!upqr__value_is(f, s->cert_id))
				return upqr__set_error(s->err, UPQR_EINVALID, "certId differs from the key's (%s)",
					s->cert_id);
			*has_cert_id = true;
		}
	}
	return UPQR_OK;
}

int upqr_signer_build_request(char *out, size_t cap, size_t *written, upqr_signer *s,
		const upqr_acp_field *fields, size_t count)
{
	UPQR__OPTIONAL_WRITTEN(written);
	if (!UPQR__HANDLE_OK(s, SIGNER_MAGIC))
		return UPQR_EINVAL;
	s->err[0] = 0;
	s->warnings = 0;
	bool has_cert_id;
	int rc = check_request(s, fields, count, &has_cert_id);
	if (rc)
		return rc;
	upqr_acp_field all[UPQR_ACP_FIELDS_MAX];
	size_t n = count;
	if (count)
		memcpy(all, fields, count * sizeof *fields);
	if (s->method == UPQR_ACP_SIGN_RSA && !has_cert_id)
		all[n++] = (upqr_acp_field){ "certId", 6, s->cert_id, strlen(s->cert_id) };
	char sig[UPQR_ACP_SIGNATURE_MAX + 1];
	size_t sig_len;
	rc = upqr_signer_sign(sig, sizeof sig, &sig_len, s, all, n);
	if (rc)
		return rc;
	all[n++] = (upqr_acp_field){ "signature", 9, sig, sig_len };
	return upqr_acp_form_encode(out, cap, written, all, n);
}

int upqr_signer_encrypt(char *out, size_t cap, size_t *written, upqr_signer *s,
		const uint8_t *plain, size_t len)
{
	UPQR__OPTIONAL_WRITTEN(written);
	if (!UPQR__HANDLE_OK(s, SIGNER_MAGIC)  || (!plain && len))
		return UPQR_EINVAL;
	s->err[0] = 0;
	if (!s->encrypt_ctx)
		return upqr__set_error(s->err, UPQR_ECERT_UNKNOWN, "no encryption certificate configured");
	uint8_t ct[RSA_BYTES_MAX];
	size_t ct_len = sizeof ct;
	if (EVP_PKEY_encrypt(s->encrypt_ctx, ct, &ct_len, plain, len) != 1) {
		ERR_clear_error();
		return upqr__set_error(s->err, UPQR_ECRYPTO, "RSA encryption failed (value too long?)");
	}
	return upqr_base64_encode(out, cap, written, ct, ct_len);
}

int upqr_signer_decrypt(uint8_t *out, size_t cap, size_t *written, upqr_signer *s,
		const char *b64, size_t len)
{
	UPQR__OPTIONAL_WRITTEN(written);
	if (!UPQR__HANDLE_OK(s, SIGNER_MAGIC)  || (!b64 && len))
		return UPQR_EINVAL;
	s->err[0] = 0;
	if (!s->decrypt_ctx)
		return upqr__set_error(s->err, UPQR_EKEY, "no merchant key loaded");
	size_t key_bytes = (size_t)EVP_PKEY_get_size(s->pkey);
	uint8_t ct[RSA_BYTES_MAX], pt[RSA_BYTES_MAX];
	size_t ct_len, bad, pt_len = sizeof pt;
	if (len > UPQR_BASE64_ENCODED_LEN(RSA_BYTES_MAX) ||
			upqr_base64_decode(ct, sizeof ct, &ct_len, b64, len, &bad) != UPQR_OK)
		return upqr__set_error(s->err, UPQR_EBASE64, "encrypted value is not strict base64");
	if (ct_len != key_bytes || EVP_PKEY_decrypt(s->decrypt_ctx, pt, &pt_len, ct, ct_len) != 1) {
		ERR_clear_error();
		return upqr__set_error(s->err, UPQR_ECRYPTO, "decryption failed");
	}
	upqr__buf b;
	upqr__buf_init(&b, out, cap);
	upqr__buf_put(&b, pt, pt_len);
	upqr_memzero(pt, sizeof pt);
	return upqr__buf_finish(&b, written, false);
}
