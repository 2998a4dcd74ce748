/*
 * sign_internal.h - plumbing shared by the files of sdk/sign (not installed).
 */
#ifndef UPQR_SIGN_INTERNAL_H
#define UPQR_SIGN_INTERNAL_H

#include <stdbool.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "core/core_internal.h"
#include "upqr/sign.h"

/* Decimal serial: up to 20 bytes of serial -> 49 digits. */
#define UPQR__CERT_ID_MAX 64

/* Field key equals the NUL-terminated name. */
bool upqr__field_is(const upqr_acp_field *f, const char *name);
/* Field value equals the NUL-terminated text. */
bool upqr__value_is(const upqr_acp_field *f, const char *text);

/*
 * First field (index in *bad, reason in *why) that breaks the rule making the
 * string to sign stand for one field set only (see acp_fields.c), or UPQR_OK.
 */
int upqr__fields_ambiguity(const upqr_acp_field *fields, size_t count, size_t *bad, const char **why);
/* The same, as a handle's last error (err: UPQR__ERR_MAX bytes) naming the field. */
int upqr__refuse_ambiguous(char *err, const upqr_acp_field *fields, size_t count);
/* Printable, bounded copy of a field name for error texts (non-ASCII -> '?'). */
void upqr__key_label(char *out, size_t cap, const char *key, size_t len);

/*
 * Streams the string to sign to emit() piece by piece (no copy, no
 * allocation): sorted, `signature` left out, duplicates -> UPQR_EINVALID,
 * longer than UPQR_ACP_MESSAGE_MAX -> UPQR_ELIMIT (checked before emitting).
 */
int upqr__string_to_sign_each(const upqr_acp_field *fields, size_t count,
		void (*emit)(void *arg, const void *piece, size_t len), void *arg);

/* Digests prepared once per handle so that no call re-fetches an algorithm. */
typedef struct upqr__digests {
	EVP_MD *sha256;
	EVP_MD *sha1;
	EVP_MD *sm3;       /* NULL when the provider has no SM3 */
	EVP_MD_CTX *ctx;
} upqr__digests;

int upqr__digests_init(upqr__digests *d, OSSL_LIB_CTX *libctx);
void upqr__digests_free(upqr__digests *d);
/* Lower-case hex of md(data): writes 2*size chars + NUL into hex; returns hex length or 0. */
size_t upqr__digest_hex(upqr__digests *d, const EVP_MD *md, char *hex,
		const void *data, size_t len);
/* md(data) raw; returns the digest length or 0. */
size_t upqr__digest(upqr__digests *d, const EVP_MD *md, uint8_t *out,
		const void *data, size_t len);
/*
 * Lower-case hex of md(string to sign of fields, then suffix if not NULL):
 * signMethod 01 hashes the string, 11/12 the string + "&" + hex(md(key)).
 * hex must hold 2 * EVP_MAX_MD_SIZE + 1 bytes.
 */
int upqr__fields_digest_hex(upqr__digests *d, const EVP_MD *md, char *hex, size_t *hex_len,
		const upqr_acp_field *fields, size_t count, const char *suffix);
/* The digest used with RSA for the version: SHA-256 (5.1.0) or SHA-1 (5.0.0). */
const EVP_MD *upqr__version_md(const upqr__digests *d, upqr_acp_version v);

/*
 * An RSA PKCS#1 v1.5 context prepared for sign (sign = true) or verify with
 * md as the DigestInfo algorithm. NULL on failure.
 */
EVP_PKEY_CTX *upqr__rsa_ctx(OSSL_LIB_CTX *libctx, EVP_PKEY *pkey, const EVP_MD *md, bool sign);

/* Reads a certificate, PEM or DER, from a file or memory. NULL on failure. */
X509 *upqr__cert_load_file(const char *path, int *status);
X509 *upqr__cert_load_mem(const void *data, size_t len);
/* Decimal serial into out[UPQR__CERT_ID_MAX]; false on failure. */
bool upqr__cert_serial_dec(const X509 *cert, char *out);
/* ASN1_TIME as Unix seconds; false on failure. */
bool upqr__asn1_time_unix(const ASN1_TIME *t, int64_t *out);

/* Secure key as the lower-case hex of its digest, per method; stored on handles. */
typedef struct upqr__secure_key {
	char sha256_hex[2 * EVP_MAX_MD_SIZE + 1];
	char sm3_hex[2 * EVP_MAX_MD_SIZE + 1];
	bool set;
} upqr__secure_key;
int upqr__secure_key_init(upqr__secure_key *k, upqr__digests *d, const uint8_t *key, size_t len);

/* Sets a handle's error text (printf style); returns status for tail calls. */

#endif /* UPQR_SIGN_INTERNAL_H */
