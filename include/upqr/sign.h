/*
 * upqr/sign.h - message security for UnionPay's ACP gateway (versions 5.1.0
 * and 5.0.0): the string to sign, signMethod 01 (RSA certificates), 11
 * (SHA-256 with a secure key) and 12 (SM3 with a secure key), certificate
 * chain and subject checks, sensitive-field encryption and the two wire
 * formats (URL-encoded forms, raw `k=v&k=v` responses).
 *
 * Everything fails closed: a message is only reported as verified when its
 * fields are the only field set its string to sign can mean, its
 * certificate chains to the configured root and middle certificates at the
 * given time, is a signing certificate and belongs to China UnionPay, and
 * the signature matches every field. Each failed check has its own status
 * code. docs/sign.md states the threat model.
 *
 * Thread-safety: the field functions are pure and may run on any thread.
 * A signer or verifier handle is used by one thread at a time; different
 * handles are independent (each has its own OpenSSL contexts and cache).
 */
#ifndef UPQR_SIGN_H
#define UPQR_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "upqr/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- fields and wire formats ------------------------------------------- */

/*
 * One message field as a view: key and value are NOT NUL-terminated and
 * point into the caller's input (or scratch buffer). A field array is in
 * message order; signing sorts internally and never reorders it.
 */
typedef struct upqr_acp_field {
	const char *key;
	size_t key_len;
	const char *value;
	size_t value_len;
} upqr_acp_field;

/* Most fields a message may have; parsers stop with UPQR_ELIMIT beyond it. */
#define UPQR_ACP_FIELDS_MAX 128
/* Largest message body (and string to sign) accepted, in bytes. */
#define UPQR_ACP_MESSAGE_MAX (256u * 1024u)
/* Characters of a masked card number at most (PANs are at most 19 digits). */
#define UPQR_ACP_PAN_MAX 19
UPQR_EXTERN size_t upqr_acp_fields_max(void);
UPQR_EXTERN size_t upqr_acp_message_max(void);
UPQR_EXTERN size_t upqr_acp_pan_max(void);

/*
 * Parses a synchronous gateway response: `k=v&k=v`, values NOT URL-decoded,
 * each pair split on its first '=', '&' inside {...} or [...] kept in the
 * value, an outer {...} around the whole body removed. Fields are views into
 * body (no allocation). Empty keys, duplicate keys, unbalanced brackets ->
 * UPQR_EINVALID with diagnostics; a field that breaks the rule of
 * upqr_acp_check_unambiguous -> UPQR_EAMBIGUOUS; more than cap fields -> UPQR_ELIMIT;
 * body longer than UPQR_ACP_MESSAGE_MAX -> UPQR_ELIMIT. diags may be NULL.
 */
UPQR_EXTERN int upqr_acp_parse_response(upqr_acp_field *fields, size_t cap, size_t *count,
		const char *body, size_t len, upqr_diag_list *diags) UPQR_WARN_UNUSED;

/*
 * Parses an asynchronous notification body (application/x-www-form-urlencoded):
 * '+' is a space, %XX must be two hex digits (strict), %00 is refused.
 * Decoded keys and values are written to scratch (needs at most len bytes)
 * and the fields point there. Pass the POST body only: parameters of the
 * notification URL's own query string are not part of the signed set.
 * Errors as upqr_acp_parse_response; scratch too small -> UPQR_EBUFSIZE.
 */
UPQR_EXTERN int upqr_acp_parse_form(upqr_acp_field *fields, size_t cap, size_t *count,
		char *scratch, size_t scratch_cap, const char *body, size_t len,
		upqr_diag_list *diags) UPQR_WARN_UNUSED;

/*
 * Writes fields as an application/x-www-form-urlencoded body in the given
 * order: every byte outside A-Z a-z 0-9 - . _ ~ is percent-encoded (space as
 * %20), so base64 '+', '/' and '=' survive the trip. NUL-terminated;
 * out == NULL or too small -> UPQR_EBUFSIZE with the size in *written.
 */
UPQR_EXTERN int upqr_acp_form_encode(char *out, size_t cap, size_t *written,
		const upqr_acp_field *fields, size_t count) UPQR_WARN_UNUSED;

/*
 * Writes the string to sign: every field except `signature`, sorted by key
 * bytes, `k=v` joined with '&', raw values. Duplicate keys -> UPQR_EINVALID;
 * longer than UPQR_ACP_MESSAGE_MAX -> UPQR_ELIMIT. NUL-terminated; size
 * query as upqr_acp_form_encode. (Signing and verification stream this
 * string into the digest; they never build it in memory.)
 */
UPQR_EXTERN int upqr_acp_string_to_sign(char *out, size_t cap, size_t *written,
		const upqr_acp_field *fields, size_t count) UPQR_WARN_UNUSED;

/*
 * Checks that the fields' string to sign can stand for this field set only.
 * The string joins `k=v` with '&' and escapes nothing, so a key or value
 * holding '&' (decoded from %26) could re-group fields: "a=1&b=2" is also
 * the single field a="1&b=2". The rule: every key is an ASCII identifier
 * [A-Za-z][A-Za-z0-9_]*; brackets in a value nest and balance
 * (respMsg=成功[0000000]); a value holding '&' is exactly one composite
 * wrapped in {...} or [...] that closes only at its last byte (UnionPay's
 * own form, e.g. reqReserved={a=1&b=[2]}). '=' in a value is harmless. The parsers, upqr_verifier_verify and the
 * signer all apply it; a field that breaks it -> UPQR_EAMBIGUOUS with a
 * diagnostic "ambiguous_field" naming it (offset = field index).
 */
UPQR_EXTERN int upqr_acp_check_unambiguous(const upqr_acp_field *fields, size_t count,
		upqr_diag_list *diags) UPQR_WARN_UNUSED;

/* The first field named key (NUL-terminated), or NULL. Borrowed from fields. */
UPQR_EXTERN const upqr_acp_field *upqr_acp_field_get(const upqr_acp_field *fields,
		size_t count, const char *key);

/*
 * Masks a card number for display: first 6 and last 4 digits kept, the rest
 * '*'; numbers shorter than 13 characters are masked entirely. Use it for
 * every printed form of a decrypted accNo. NUL-terminated output.
 */
UPQR_EXTERN int upqr_acp_mask_pan(char *out, size_t cap, size_t *written,
		const char *pan, size_t len) UPQR_WARN_UNUSED;

/*
 * Writes a field's value for display with card numbers masked. By name:
 * accNo, payCardNo and every key that is card-number-like (pan, cardNo,
 * *CardNo, *CardNumber, *AccNo, *Pan): digit runs of 8 or more are
 * masked. By shape, in any other field: 12 or more digits, also in groups
 * joined by single spaces or dashes (except in txnTime, origTxnTime,
 * traceTime, payTimeout, queryId, origQryId, merId, certId, encryptCertId,
 * orderId, origOrderId, acqInsCode, txnAmt, settleAmt, exchangeRate, which
 * are never card numbers and are needed in full). A masked number keeps its first 6 and last 4
 * digits when it has 13 or more, else every digit is '*'; separators and
 * other text stay. The output has the value's length; NUL-terminated.
 * Use it for every printed form of a message's fields.
 */
UPQR_EXTERN int upqr_acp_mask_field(char *out, size_t cap, size_t *written,
		const upqr_acp_field *field) UPQR_WARN_UNUSED;

/* ---- common enums ------------------------------------------------------ */

typedef enum upqr_acp_version {
	UPQR_ACP_5_1_0 = 0,   /* SHA-256; signPubKeyCert checked against root + middle */
	UPQR_ACP_5_0_0 = 1    /* SHA-1; UnionPay certs from a directory, by certId */
} upqr_acp_version;

typedef enum upqr_acp_sign_method {
	UPQR_ACP_SIGN_RSA = 1,      /* "01": RSA certificate signature */
	UPQR_ACP_SIGN_SHA256 = 11,  /* "11": SHA-256 with the secure key */
	UPQR_ACP_SIGN_SM3 = 12      /* "12": SM3 with the secure key */
} upqr_acp_sign_method;

/* Longest signature text: base64 of a 8192-bit RSA signature. */
#define UPQR_ACP_SIGNATURE_MAX 1368
UPQR_EXTERN size_t upqr_acp_signature_max(void);

/* ---- signer: the merchant's key ------------------------------------------ */

typedef struct upqr_signer upqr_signer;

#define UPQR_SIGNER_OPTIONS_VERSION 1
typedef struct upqr_signer_options {
	unsigned int version;              /* UPQR_SIGNER_OPTIONS_VERSION */
	upqr_acp_version acp_version;      /* default 5.1.0 */
	upqr_acp_sign_method sign_method;  /* default 01 */
	/* Merchant key and certificate (needed for 01 and for decryption):
	 * a PKCS#12 file or buffer with its password, or PEM key + cert files. */
	const char *pfx_path;
	const uint8_t *pfx_data;
	size_t pfx_len;
	const char *password;              /* read during _new only, never kept or logged */
	const char *key_pem_path;
	const char *cert_pem_path;
	/* Shared secret for signMethod 11/12 (copied; wiped on free). */
	const uint8_t *secure_key;
	size_t secure_key_len;
	/* UnionPay's sensitive-information encryption certificate (PEM or DER); optional. */
	const char *encrypt_cert_path;
} upqr_signer_options;

#define UPQR_SIGNER_OPTIONS_INIT \
	{ UPQR_SIGNER_OPTIONS_VERSION, UPQR_ACP_5_1_0, UPQR_ACP_SIGN_RSA, \
	  NULL, NULL, 0, NULL, NULL, NULL, NULL, 0, NULL }

/* Fills opts with defaults; unknown version -> UPQR_EVERSION. */
UPQR_EXTERN int upqr_signer_options_init(upqr_signer_options *opts, unsigned int version) UPQR_WARN_UNUSED;

/*
 * Loads the merchant key. A PKCS#12 may hold several certificates: the one
 * whose public key matches the private key is used. Bags encrypted with
 * legacy ciphers (RC2-40) are opened with OpenSSL's legacy provider loaded
 * into a library context owned by this handle, never the global one.
 * Returns UPQR_EPASSWORD (wrong password), UPQR_EIO (unreadable file),
 * UPQR_EKEY (no key / no matching certificate / not RSA 2048..8192),
 * UPQR_ECERT, UPQR_EUNSUPPORTED (SM3 or a legacy cipher unavailable),
 * UPQR_ELIMIT (key file or buffer too large), UPQR_EINVAL (inconsistent
 * options), UPQR_EVERSION, UPQR_ENOMEM. An encrypted PEM key never causes
 * a terminal prompt: without a password it fails with UPQR_EPASSWORD. On
 * failure *out is NULL; detail text is not available (no handle), so the
 * status is the diagnosis.
 */
UPQR_EXTERN int upqr_signer_new(upqr_signer **out, const upqr_signer_options *opts) UPQR_WARN_UNUSED;
/* Frees the handle and wipes its key material. Accepts NULL. */
UPQR_EXTERN void upqr_signer_free(upqr_signer *signer);
/* Text of the last failure on this handle ("" if none); valid until the next call on it. */
UPQR_EXTERN const char *upqr_signer_last_error(const upqr_signer *signer);
/* certId: the merchant certificate's serial in decimal ("" without a certificate). Borrowed. */
UPQR_EXTERN const char *upqr_signer_cert_id(const upqr_signer *signer);
/* encryptCertId: the encryption certificate's serial in decimal ("" if none configured). */
UPQR_EXTERN const char *upqr_signer_encrypt_cert_id(const upqr_signer *signer);

/*
 * Computes the `signature` value over fields with the handle's version and
 * method (01: base64; 11/12: lower-case hex). The fields must already hold
 * certId (01) and everything else that is sent. NUL-terminated output; at
 * most UPQR_ACP_SIGNATURE_MAX characters.
 */
UPQR_EXTERN int upqr_signer_sign(char *out, size_t cap, size_t *written, upqr_signer *signer,
		const upqr_acp_field *fields, size_t count) UPQR_WARN_UNUSED;

/* Bits of upqr_signer_warnings(). */
#define UPQR_SIGNER_WARN_CERT_EXPIRED 1u   /* the merchant certificate has expired */
#define UPQR_SIGNER_WARN_CERT_NOTYET 2u    /* the merchant certificate is not valid yet */
/*
 * Warnings of the last upqr_signer_sign / _build_request call (0 = none).
 * Signing still succeeds: UnionPay refuses such requests, but whether to
 * send one is the caller's decision. The text is in upqr_signer_last_error().
 */
UPQR_EXTERN unsigned int upqr_signer_warnings(const upqr_signer *signer);

/*
 * Builds a complete request body: refuses empty values and fields named
 * `signature` (UPQR_EINVALID), adds `certId` for 01 (an existing certId must
 * match the key), refuses `signMethod`/`version` fields that contradict the
 * handle, signs, and writes the URL-encoded form body (fields in the given
 * order, certId and signature appended). Size query as usual.
 */
UPQR_EXTERN int upqr_signer_build_request(char *out, size_t cap, size_t *written,
		upqr_signer *signer, const upqr_acp_field *fields, size_t count) UPQR_WARN_UNUSED;

/*
 * Encrypts a sensitive value (accNo, PIN block, customerInfo's
 * encryptedInfo) for UnionPay: RSA PKCS#1 v1.5 with the encryption
 * certificate, base64. Send upqr_signer_encrypt_cert_id() as encryptCertId.
 * No encryption certificate configured -> UPQR_ECERT_UNKNOWN.
 */
UPQR_EXTERN int upqr_signer_encrypt(char *out, size_t cap, size_t *written, upqr_signer *signer,
		const uint8_t *plain, size_t len) UPQR_WARN_UNUSED;

/*
 * Replaces the signer's encryption certificate (PEM or DER in memory), e.g.
 * with the one a 95/00 update returned; upqr_signer_encrypt_cert_id() then
 * names the new one. The signer holds no trust anchors: check the
 * certificate first with upqr_verifier_check_encrypt_cert (the acquirer's
 * upqr_acquirer_update_encrypt_cert does). Unreadable, or not RSA
 * 2048..8192 -> UPQR_ECERT; on any failure the old certificate stays.
 */
UPQR_EXTERN int upqr_signer_set_encrypt_cert(upqr_signer *signer, const char *pem, size_t len) UPQR_WARN_UNUSED;

/*
 * Decrypts a base64 RSA PKCS#1 v1.5 value UnionPay encrypted for the
 * merchant (e.g. accNo in a response) with the merchant key. The output is
 * secret: mask card numbers (upqr_acp_mask_pan) before printing and wipe
 * the buffer after use. Bad base64 -> UPQR_EBASE64; bad ciphertext ->
 * UPQR_ECRYPTO. out == NULL asks for the size bound.
 */
UPQR_EXTERN int upqr_signer_decrypt(uint8_t *out, size_t cap, size_t *written, upqr_signer *signer,
		const char *b64, size_t len) UPQR_WARN_UNUSED;

/* ---- verifier: UnionPay's signatures ------------------------------------- */

typedef struct upqr_verifier upqr_verifier;

/* Pass as `at` to check certificates against the current clock. */
#define UPQR_VERIFY_NOW INT64_MIN
/* Default and largest size of the verified-certificate cache. */
#define UPQR_VERIFIER_CACHE_DEFAULT 8
#define UPQR_VERIFIER_CACHE_MAX 64
UPQR_EXTERN size_t upqr_verifier_cache_max(void);
UPQR_EXTERN size_t upqr_verifier_cache_default(void);
/* UPQR_VERIFY_NOW as a function. */
UPQR_EXTERN int64_t upqr_verify_now(void);

/* Bits of upqr_verifier_options.acp_versions. */
#define UPQR_ACCEPT_5_1_0 1u
#define UPQR_ACCEPT_5_0_0 2u

/* Version 2 added acp_versions and cert_dir_unchecked; version 1 structs are still accepted. */
#define UPQR_VERIFIER_OPTIONS_VERSION 2
typedef struct upqr_verifier_options {
	unsigned int version;           /* UPQR_VERIFIER_OPTIONS_VERSION */
	/* 5.1.0 trust: UnionPay's root and middle CA certificates (PEM or DER). */
	const char *root_cert_path;
	const char *middle_cert_path;
	/* 5.0.0: a directory of UnionPay signing certificates, looked up by certId.
	 * Each must chain to root + middle and pass the CN and purpose checks. */
	const char *cert_dir;
	/* Test environment: also accept the CN form `…@00040000:SIGN@…`. Never set in production. */
	int test_env;
	/* Shared secret to verify signMethod 11/12 (copied; wiped on free); NULL refuses 11/12. */
	const uint8_t *secure_key;
	size_t secure_key_len;
	/* Verified certificates kept, keyed by their PEM text; 0 = default, at most CACHE_MAX. */
	size_t cache_size;
	/* --- version 2 --- */
	/*
	 * Which message versions signMethod 01 accepts (UPQR_ACCEPT_* bits). 0 =
	 * the versions whose trust is configured, but only 5.1.0 when both are:
	 * a message must not choose the weaker SHA-1 path by its `version`
	 * field, so accepting both needs both bits set here.
	 */
	unsigned int acp_versions;
	/* Test environment only (needs test_env): trust cert_dir certificates
	 * without chain, CN and purpose checks, as UnionPay's old SDK did. */
	int cert_dir_unchecked;
} upqr_verifier_options;

#define UPQR_VERIFIER_OPTIONS_INIT \
	{ UPQR_VERIFIER_OPTIONS_VERSION, NULL, NULL, NULL, 0, NULL, 0, 0, 0, 0 }

UPQR_EXTERN int upqr_verifier_options_init(upqr_verifier_options *opts, unsigned int version) UPQR_WARN_UNUSED;

/*
 * Loads the trust configuration. Needs root + middle (5.1.0) and/or a
 * cert_dir (5.0.0; with root + middle unless cert_dir_unchecked), or a
 * secure key. A cert_dir certificate that fails its checks is kept with its
 * failure, reported when a message names its certId. Returns UPQR_EIO,
 * UPQR_ECERT, UPQR_EINVAL, UPQR_EVERSION, UPQR_ENOMEM.
 */
UPQR_EXTERN int upqr_verifier_new(upqr_verifier **out, const upqr_verifier_options *opts) UPQR_WARN_UNUSED;
UPQR_EXTERN void upqr_verifier_free(upqr_verifier *verifier);
/* Names the failed check of the last call, e.g. "certificate expired at ..." ("" if none). */
UPQR_EXTERN const char *upqr_verifier_last_error(const upqr_verifier *verifier);

/*
 * Verifies a parsed response or notification. The message's `version`
 * selects 5.1.0 (signPubKeyCert, SHA-256) or 5.0.0 (certId, SHA-1);
 * `signMethod` selects 01, 11 or 12 (11/12 only when a secure key is
 * configured; compared in constant time). at: Unix seconds at which the
 * certificates must be valid, or UPQR_VERIFY_NOW.
 * Returns UPQR_OK only when everything holds, otherwise the first failed
 * check: UPQR_ESIG_MISSING, UPQR_EBASE64, UPQR_ECERT (no or unparsable
 * certificate), UPQR_ECERT_UNTRUSTED, UPQR_ECERT_EXPIRED,
 * UPQR_ECERT_NOTYET, UPQR_ECERT_CN, UPQR_ECERT_PURPOSE (key usage not for
 * signing, a CA or TLS-server certificate), UPQR_ECERT_UNKNOWN (5.0.0
 * certId), UPQR_ESIG_DIGEST, UPQR_EUNSUPPORTED (version or method, or a
 * version acp_versions does not accept), UPQR_EINVALID (duplicate keys,
 * missing signMethod/version), UPQR_EAMBIGUOUS (checked first: a field
 * breaks the rule of upqr_acp_check_unambiguous; the error names it).
 */
UPQR_EXTERN int upqr_verifier_verify(upqr_verifier *verifier, const upqr_acp_field *fields,
		size_t count, int64_t at) UPQR_WARN_UNUSED;

/*
 * The gateway's side: verifies a request a merchant signed. Merchants send
 * certId (never their certificate), in 5.1.0 as in 5.0.0, so the key is
 * looked up by the message's certId among the certificates added with
 * upqr_verifier_add_cert (never cert_dir, which holds UnionPay's keys); the
 * digest follows `version` (SHA-256 / SHA-1), within acp_versions;
 * signMethod 11/12 as in upqr_verifier_verify. No CN check (merchant
 * certificates do not name UnionPay). Same status codes; an unregistered
 * certId -> UPQR_ECERT_UNKNOWN.
 */
UPQR_EXTERN int upqr_verifier_verify_request(upqr_verifier *verifier, const upqr_acp_field *fields,
		size_t count, int64_t at) UPQR_WARN_UNUSED;

/*
 * Registers a merchant's certificate (PEM or DER in memory) by its certId
 * (serial in decimal) for upqr_verifier_verify_request only: it is trusted
 * as given (no chain, CN or purpose check), so register only keys you know,
 * and it never verifies a message from UnionPay. Writes the certId
 * (NUL-terminated) to cert_id; cert_id == NULL or too small -> UPQR_EBUFSIZE
 * with the size in *written, the certificate registered all the same.
 * Errors: UPQR_ECERT (unparsable, or not RSA 2048..8192), UPQR_ELIMIT (more
 * than 64 certificates by certId in all), UPQR_ENOMEM.
 */
UPQR_EXTERN int upqr_verifier_add_cert(char *cert_id, size_t cap, size_t *written,
		upqr_verifier *verifier, const void *data, size_t len) UPQR_WARN_UNUSED;

/*
 * Checks one UnionPay signing certificate (PEM text, CRLF tolerated): chain
 * to root + middle at time at, then its purpose (digitalSignature or
 * nonRepudiation key usage when the extension is present, not a CA, an
 * extended key usage, when present, that allows clientAuth, emailProtection
 * or any) and the subject CN: exactly one CN, UTF8String or
 * PrintableString, no NUL, exactly four non-empty '@'-separated fields, the
 * third naming China UnionPay. Same codes as above.
 */
UPQR_EXTERN int upqr_verifier_check_cert(upqr_verifier *verifier, const char *pem, size_t len,
		int64_t at) UPQR_WARN_UNUSED;

/*
 * Checks UnionPay's sensitive-information encryption certificate (PEM or
 * DER; e.g. the encryptPubKeyCert of a 95/00 reply) before it is used: chain
 * to root + middle valid at time at, an encryption purpose (keyUsage present
 * with keyEncipherment or dataEncipherment, not a CA), the subject CN rules
 * of upqr_verifier_check_cert and an RSA key of 2048..8192 bits. A signing
 * certificate is refused here (UPQR_ECERT_PURPOSE) as an encryption one is
 * refused by upqr_verifier_check_cert. Not cached. Same codes as above.
 */
UPQR_EXTERN int upqr_verifier_check_encrypt_cert(upqr_verifier *verifier, const char *pem, size_t len,
		int64_t at) UPQR_WARN_UNUSED;

/* Number of certificates in the verified-certificate cache. */
UPQR_EXTERN size_t upqr_verifier_cache_count(const upqr_verifier *verifier);

#ifdef __cplusplus
}
#endif
#endif /* UPQR_SIGN_H */
