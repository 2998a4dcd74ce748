/*
 * cpm_crypto.h - the key handle's insides and the crypto steps shared by
 * generation and verification. Not installed.
 */
#ifndef UPQR_CPM_CRYPTO_H
#define UPQR_CPM_CRYPTO_H

#include <openssl/evp.h>

#include "cpm_internal.h"

/*
 * A key plus its OpenSSL objects. With type 0 it is a bare engine (no
 * key, no `keyed` context) for the stateless entry points.
 */
struct upqr_emv_key {
	uint32_t magic;
	upqr_emv_key_type type;
	uint8_t key[16];
	EVP_CIPHER *ede3_ecb, *ede3_cbc, *aes_ecb;
	EVP_CIPHER_CTX *keyed;    /* ECB encryption under key, keyed once at creation */
	EVP_CIPHER_CTX *scratch;  /* re-keyed by each step that needs another key */
	EVP_MAC *cmac;
	EVP_MAC_CTX *mac;         /* CMAC with AES-128-CBC set once */
	char error[UPQR__ERR_MAX];
};

bool upqr__key_ok(const upqr_emv_key *k);
/* ECB encryption of whole blocks under the handle's own key. */
int upqr__keyed_encrypt(upqr_emv_key *k, uint8_t *out, const uint8_t *in, size_t n);
/* DES (key_len 8) or 3DES (16) ECB under a raw key, on e's scratch context. */
int upqr__des_ecb(upqr_emv_key *e, uint8_t *out, const uint8_t *key, size_t key_len, int enc,
		const uint8_t *in, size_t n);
/* Session key from R (8 bytes TDES CSK, 16 AES) under raw mk, or under e's own key when mk is NULL. */
int upqr__session_key_raw(upqr_emv_key *e, uint8_t sk[16], upqr_emv_key_type type, const uint8_t *mk,
		const uint8_t *r, size_t r_len);
/* The EMV CSK blocks: R with byte 2 := F0, then R with byte 2 := 0F. */
void upqr__csk_blocks(uint8_t blk[16], const uint8_t r[8]);
/* SK = E(MK)[blk] with odd parity for TDES; mk NULL: e's own key. */
int upqr__sk_from_blocks(upqr_emv_key *e, uint8_t sk[16], upqr_emv_key_type type, const uint8_t *mk,
		const uint8_t blk[16]);
int upqr__mac_alg3(upqr_emv_key *e, uint8_t mac[8], const uint8_t *key, size_t key_len, int padding,
		const uint8_t *d, size_t n);
int upqr__cmac(upqr_emv_key *e, uint8_t mac[16], const uint8_t key[16], const uint8_t *d, size_t n);
int upqr__arpc2(upqr_emv_key *e, uint8_t arpc[4], upqr_emv_key_type type, const uint8_t sk[16],
		const uint8_t arqc[8], const uint8_t csu[4], const uint8_t *pad, size_t pad_len);

/* Sets the handle's last-error text (never key bytes or a PAN). */
void upqr__key_error(upqr_emv_key *k, const char *fmt, ...) UPQR__PRINTF(2, 3);

/* The values of the cryptogram input (layouts in upqr/cpm.h and upqr/emv.h), already encoded. */
typedef struct upqr__ac_data {
	bool has_amount;  /* the code carries '9F02' */
	uint8_t amount[6];
	uint8_t country[2];
	uint8_t currency[2];
	uint8_t date[3];
	uint8_t type;
	uint8_t un[4];
	uint8_t aip[2];
	uint8_t atc[2];
	uint8_t iad[UPQR_EMV_IAD_MAX];  /* the whole '9F10' value */
	size_t iad_len;
} upqr__ac_data;

/* ---- cryptogram versions (emv_cvn.c) ---- */
/* upqr's default IAD for a CVN; returns its length (0 for an unknown id). */
size_t upqr__cvn_default_iad(uint8_t iad[UPQR_EMV_IAD_MAX], unsigned int id, uint8_t dki, const uint8_t cvr[3]);
/* The cryptogram input the CVN defines over a; returns its length. */
size_t upqr__cvn_ac_input(uint8_t in[UPQR_EMV_AC_INPUT_MAX], unsigned int id, const upqr__ac_data *a);

/* The card: whose key `key` is (role), and the data that picks its MK. */
typedef struct upqr__card {
	upqr_cpm_key_role role;
	const char *pan;
	size_t pan_len;
	int psn;
} upqr__card;

/* The ARQC of CVN id over the input built from a. */
int upqr__cpm_ac(uint8_t ac[8], upqr_emv_key *key, const upqr__card *card, unsigned int id,
		const upqr__ac_data *a);

/* Generated binary payloads stay far below this (about 200 bytes). */
#define UPQR__CPM_GEN_BIN_MAX 384u

/* Generation state: the profile's Track 2 and the encoded per-code values. */
typedef struct upqr__cpm_gen {
	upqr_emv_key *key;    /* for error text (and, generating, the MK) */
	char t2[40];          /* Track 2 as nibble text: digits and one 'D' */
	size_t t2_len;
	size_t pan_len;       /* digits before the 'D' */
	uint8_t date[3];
	uint8_t un[4];
	upqr__ac_data ac;     /* ac.has_amount: the code carries '9F02' */
} upqr__cpm_gen;

/* Checks a profile and fills g->t2; UPQR_EINVAL naming the field in g->key's error. */
int upqr__cpm_check_profile(upqr__cpm_gen *g, const upqr_cpm_profile *p);
/* The cryptogram input values that come from the profile: country, currency, AIP, '03' || CVR. */
void upqr__cpm_static_ac(upqr__ac_data *a, const upqr_cpm_profile *p);
/*
 * Appends the payload the generator emits for profile p, the per-code
 * values in g (ac, has_amount) and the cryptogram ac. The one place that
 * layout is written, so a verifier can rebuild what it expects.
 */
int upqr__cpm_build(upqr__buf *out, const upqr__cpm_gen *g, const upqr_cpm_profile *p, const uint8_t ac[8]);

#endif /* UPQR_CPM_CRYPTO_H */
