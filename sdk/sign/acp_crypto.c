/*
 * acp_crypto.c - OpenSSL plumbing shared by the signer and the verifier:
 * digests fetched once per handle, prepared RSA contexts, certificate
 * loading (PEM or DER), decimal serials and ASN.1 times.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "sign_internal.h"

int upqr__digests_init(upqr__digests *d, OSSL_LIB_CTX *libctx)
{
	memset(d, 0, sizeof *d);
	d->sha256 = EVP_MD_fetch(libctx, "SHA2-256", NULL);
	d->sha1 = EVP_MD_fetch(libctx, "SHA1", NULL);
	/* SM3 is optional: only signMethod 12 needs it, and it says so when absent. */
	ERR_set_mark();
	d->sm3 = EVP_MD_fetch(libctx, "SM3", NULL);
	ERR_pop_to_mark();
	d->ctx = EVP_MD_CTX_new();
	if (!d->sha256 || !d->sha1 || !d->ctx) {
		upqr__digests_free(d);
		return UPQR_ECRYPTO;
	}
	return UPQR_OK;
}

void upqr__digests_free(upqr__digests *d)
{
	EVP_MD_free(d->sha256);
	EVP_MD_free(d->sha1);
	EVP_MD_free(d->sm3);
	EVP_MD_CTX_free(d->ctx);
	memset(d, 0, sizeof *d);
}

const EVP_MD *upqr__version_md(const upqr__digests *d, upqr_acp_version v)
{
	return v == UPQR_ACP_5_0_0 ? d->sha1 : d->sha256;
}

size_t upqr__digest(upqr__digests *d, const EVP_MD *md, uint8_t *out, const void *data, size_t len)
{
	unsigned int n = 0;
	if (!md || EVP_DigestInit_ex2(d->ctx, md, NULL) != 1 ||
			EVP_DigestUpdate(d->ctx, data, len) != 1 ||
			EVP_DigestFinal_ex(d->ctx, out, &n) != 1)
		return 0;
	return n;
}

static void hex_lower(char *out, const uint8_t *in, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = 0;
}

size_t upqr__digest_hex(upqr__digests *d, const EVP_MD *md, char *hex, const void *data, size_t len)
{
	uint8_t dig[EVP_MAX_MD_SIZE];
	size_t n = upqr__digest(d, md, dig, data, len);
	if (n)
		hex_lower(hex, dig, n);
	return 2 * n;
}

/* Gathers the many small pieces of a string to sign: one EVP_DigestUpdate per piece costs more than the hashing. */
typedef struct digest_stream {
	EVP_MD_CTX *ctx;
	bool ok;
	size_t used;
	uint8_t buf[4096];
} digest_stream;

static void flush_digest(digest_stream *st)
{
	if (st->used && EVP_DigestUpdate(st->ctx, st->buf, st->used) != 1)
		st->ok = false;
	st->used = 0;
}

static void emit_digest(void *arg, const void *piece, size_t len)
{
	digest_stream *st = arg;
	if (len > sizeof st->buf - st->used)
		flush_digest(st);
	if (len > sizeof st->buf) {
		if (EVP_DigestUpdate(st->ctx, piece, len) != 1)
			st->ok = false;
		return;
	}
	memcpy(st->buf + st->used, piece, len);
	st->used += len;
}

int upqr__fields_digest_hex(upqr__digests *d, const EVP_MD *md, char *hex, size_t *hex_len,
		const upqr_acp_field *fields, size_t count, const char *suffix)
{
	uint8_t dig[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	if (!md)
		return UPQR_EUNSUPPORTED;
	digest_stream st;
	st.ctx = d->ctx;
	st.ok = EVP_DigestInit_ex2(d->ctx, md, NULL) == 1;
	st.used = 0;
	int rc = upqr__string_to_sign_each(fields, count, emit_digest, &st);
	if (rc)
		return rc;
	if (suffix) {
		/* The key digest goes straight to OpenSSL so that no copy of it is left on the stack. */
		flush_digest(&st);
		if (EVP_DigestUpdate(d->ctx, "&", 1) != 1 || EVP_DigestUpdate(d->ctx, suffix, strlen(suffix)) != 1)
			st.ok = false;
	}
	flush_digest(&st);
	if (!st.ok || EVP_DigestFinal_ex(d->ctx, dig, &n) != 1)
		return UPQR_ECRYPTO;
	hex_lower(hex, dig, n);
	*hex_len = 2 * (size_t)n;
	return UPQR_OK;
}

int upqr__secure_key_init(upqr__secure_key *k, upqr__digests *d, const uint8_t *key, size_t len)
{
	memset(k, 0, sizeof *k);
	if (!key || !len)
		return UPQR_OK;
	if (!upqr__digest_hex(d, d->sha256, k->sha256_hex, key, len))
		return UPQR_ECRYPTO;
	if (d->sm3 && !upqr__digest_hex(d, d->sm3, k->sm3_hex, key, len))
		return UPQR_ECRYPTO;
	k->set = true;
	return UPQR_OK;
}

EVP_PKEY_CTX *upqr__rsa_ctx(OSSL_LIB_CTX *libctx, EVP_PKEY *pkey, const EVP_MD *md, bool sign)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(libctx, pkey, NULL);
	if (!ctx)
		return NULL;
	int ok = sign ? EVP_PKEY_sign_init(ctx) : EVP_PKEY_verify_init(ctx);
	if (ok != 1 || EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1 ||
			EVP_PKEY_CTX_set_signature_md(ctx, md) != 1) {
		EVP_PKEY_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* PEM first (CRLF is fine for OpenSSL's PEM reader), then DER. */
static X509 *cert_from_bio(BIO *bio)
{
	ERR_set_mark();
	X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	if (!x && BIO_reset(bio) == 0)
		x = d2i_X509_bio(bio, NULL);
	ERR_pop_to_mark();
	return x;
}

X509 *upqr__cert_load_file(const char *path, int *status)
{
	BIO *bio = BIO_new_file(path, "rb");
	if (!bio) {
		ERR_clear_error();
		*status = UPQR_EIO;
		return NULL;
	}
	X509 *x = cert_from_bio(bio);
	BIO_free(bio);
	*status = x ? UPQR_OK : UPQR_ECERT;
	return x;
}

X509 *upqr__cert_load_mem(const void *data, size_t len)
{
	if (len > INT32_MAX)
		return NULL;
	BIO *bio = BIO_new_mem_buf(data, (int)len);
	if (!bio)
		return NULL;
	X509 *x = cert_from_bio(bio);
	BIO_free(bio);
	return x;
}

bool upqr__cert_serial_dec(const X509 *cert, char *out)
{
	/* UnionPay wants BigInteger.toString(): decimal, where `openssl x509 -serial` prints hex. */
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	char *dec = bn ? BN_bn2dec(bn) : NULL;
	bool ok = dec && strlen(dec) < UPQR__CERT_ID_MAX;
	if (ok)
		memcpy(out, dec, strlen(dec) + 1);
	OPENSSL_free(dec);
	BN_free(bn);
	return ok;
}

bool upqr__asn1_time_unix(const ASN1_TIME *t, int64_t *out)
{
	int days = 0, secs = 0;
	ASN1_TIME *epoch = ASN1_TIME_set(NULL, 0);
	bool ok = t && epoch && ASN1_TIME_diff(&days, &secs, epoch, t) == 1;
	ASN1_TIME_free(epoch);
	if (ok)
		*out = (int64_t)days * 86400 + secs;
	return ok;
}
