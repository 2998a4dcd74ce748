/*
 * cpm_crypto.c - EMV key derivation, MACs and ARPCs on OpenSSL 3's default
 * provider. Single DES is DES-EDE3 with the key repeated three times, so the
 * legacy provider is never needed. Every intermediate key on the stack is
 * wiped before return.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "cpm_crypto.h"

#define KEY_MAGIC 0x454D564Bu /* "EMVK" */

/* ---- the engine: fetched algorithms and reusable contexts -------------- */

static void engine_close(upqr_emv_key *k)
{
	EVP_CIPHER_CTX_free(k->keyed);
	EVP_CIPHER_CTX_free(k->scratch);
	EVP_MAC_CTX_free(k->mac);
	EVP_MAC_free(k->cmac);
	EVP_CIPHER_free(k->ede3_ecb);
	EVP_CIPHER_free(k->ede3_cbc);
	EVP_CIPHER_free(k->aes_ecb);
	k->keyed = k->scratch = NULL;
	k->mac = NULL;
	k->cmac = NULL;
	k->ede3_ecb = k->ede3_cbc = k->aes_ecb = NULL;
}

/* Fetches once what every operation needs, so no call fetches again. */
static int engine_open(upqr_emv_key *k)
{
	char cbc[] = "AES-128-CBC";
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cbc, 0),
		OSSL_PARAM_construct_end(),
	};
	k->ede3_ecb = EVP_CIPHER_fetch(NULL, "DES-EDE3-ECB", NULL);
	k->ede3_cbc = EVP_CIPHER_fetch(NULL, "DES-EDE3-CBC", NULL);
	k->aes_ecb = EVP_CIPHER_fetch(NULL, "AES-128-ECB", NULL);
	k->cmac = EVP_MAC_fetch(NULL, "CMAC", NULL);
	k->keyed = EVP_CIPHER_CTX_new();
	k->scratch = EVP_CIPHER_CTX_new();
	k->mac = k->cmac ? EVP_MAC_CTX_new(k->cmac) : NULL;
	if (!k->ede3_ecb || !k->ede3_cbc || !k->aes_ecb || !k->cmac || !k->keyed || !k->scratch ||
			!k->mac || !EVP_MAC_CTX_set_params(k->mac, params)) {
		engine_close(k);
		return UPQR_ECRYPTO;
	}
	return UPQR_OK;
}

void upqr__key_error(upqr_emv_key *k, const char *fmt, ...)
{
	if (!k)
		return;
	va_list ap;
	va_start(ap, fmt);
	upqr__set_errorv(k->error, 0, fmt, ap);
	va_end(ap);
}

static int set_error(upqr_emv_key *k, int rc, const char *msg)
{
	if (k)
		snprintf(k->error, sizeof k->error, "%s", msg);
	return rc;
}

/* 8-byte single-DES key -> K||K||K; 16-byte 3DES key -> K1||K2||K1. */
static void des_key24(uint8_t out[24], const uint8_t *key, size_t len)
{
	memcpy(out, key, 8);
	memcpy(out + 8, len == 16 ? key + 8 : key, 8);
	memcpy(out + 16, key, 8);
}

/* (Re)keys ctx when key != NULL, then runs whole blocks through it. */
static int cipher_run(EVP_CIPHER_CTX *ctx, const EVP_CIPHER *c, const uint8_t *key, const uint8_t *iv,
		int enc, uint8_t *out, const uint8_t *in, size_t n)
{
	int len = 0;
	if (key && (!EVP_CipherInit_ex2(ctx, c, key, iv, enc, NULL) || !EVP_CIPHER_CTX_set_padding(ctx, 0)))
		return UPQR_ECRYPTO;
	if (n && (!EVP_CipherUpdate(ctx, out, &len, in, (int)n) || (size_t)len != n))
		return UPQR_ECRYPTO;
	return UPQR_OK;
}

int upqr__des_ecb(upqr_emv_key *e, uint8_t *out, const uint8_t *key, size_t key_len, int enc,
		const uint8_t *in, size_t n)
{
	uint8_t k24[24];
	des_key24(k24, key, key_len);
	int rc = cipher_run(e->scratch, e->ede3_ecb, k24, NULL, enc, out, in, n);
	OPENSSL_cleanse(k24, sizeof k24);
	return rc;
}

static void odd_parity(uint8_t *k, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t b = k[i] & 0xFE, p = b;
		p ^= p >> 4;
		p ^= p >> 2;
		p ^= p >> 1;
		k[i] = (uint8_t)(b | (~p & 1));
	}
}

/* ---- key handles -------------------------------------------------------- */

int upqr_emv_key_new(upqr_emv_key **out, upqr_emv_key_type type, const uint8_t *key, size_t len)
{
	if (!out)
		return UPQR_EINVAL;
	*out = NULL;
	if (!key || len != 16 || (type != UPQR_EMV_KEY_TDES && type != UPQR_EMV_KEY_AES128))
		return UPQR_EKEY;
	upqr_emv_key *k = upqr__calloc(1, sizeof *k);
	if (!k)
		return UPQR_ENOMEM;
	k->magic = KEY_MAGIC;
	k->type = type;
	memcpy(k->key, key, 16);
	int rc = engine_open(k);
	if (rc == UPQR_OK) {
		uint8_t k24[24];
		des_key24(k24, key, 16);
		rc = type == UPQR_EMV_KEY_TDES ? cipher_run(k->keyed, k->ede3_ecb, k24, NULL, 1, NULL, NULL, 0)
				: cipher_run(k->keyed, k->aes_ecb, key, NULL, 1, NULL, NULL, 0);
		OPENSSL_cleanse(k24, sizeof k24);
	}
	if (rc != UPQR_OK) {
		upqr_emv_key_free(k);
		return rc;
	}
	*out = k;
	return UPQR_OK;
}

void upqr_emv_key_free(upqr_emv_key *k)
{
	if (!upqr__key_ok(k))
		return;
	k->magic = 0;
	/* EVP_CIPHER_CTX_free cleanses the key schedules it holds. */
	engine_close(k);
	upqr__free_secret(k, sizeof *k);
}

bool upqr__key_ok(const upqr_emv_key *k)
{
	return k && k->magic == KEY_MAGIC;
}

upqr_emv_key_type upqr_emv_key_get_type(const upqr_emv_key *k)
{
	return upqr__key_ok(k) ? k->type : (upqr_emv_key_type)0;
}

const char *upqr_emv_key_last_error(const upqr_emv_key *k)
{
	return upqr__key_ok(k) ? k->error : "invalid key handle";
}

int upqr__keyed_encrypt(upqr_emv_key *k, uint8_t *out, const uint8_t *in, size_t n)
{
	int rc = cipher_run(k->keyed, NULL, NULL, NULL, 1, out, in, n);
	return rc == UPQR_OK ? rc : set_error(k, rc, "cipher operation failed");
}

int upqr_emv_key_kcv(uint8_t kcv[3], upqr_emv_key *k)
{
	if (!kcv || !upqr__key_ok(k))
		return UPQR_EINVAL;
	uint8_t zero[16] = { 0 }, out[16];
	int rc = upqr__keyed_encrypt(k, out, zero, k->type == UPQR_EMV_KEY_TDES ? 8 : 16);
	if (rc == UPQR_OK)
		memcpy(kcv, out, 3);
	return rc;
}

/* ---- master and session keys -------------------------------------------- */

static void pack_digits(uint8_t out[8], const char d[16])
{
	for (size_t i = 0; i < 8; i++)
		out[i] = (uint8_t)((d[2 * i] - '0') << 4 | (d[2 * i + 1] - '0'));
}

/* Option B's Y: decimalised SHA-1 of the BCD of PAN || PSN. */
static int option_b_digits(char y[16], const char *pp, size_t n)
{
	uint8_t bcd[12] = { 0 }, md[20];
	size_t pad = n & 1, bytes = (n + pad) / 2;
	for (size_t i = 0; i < n; i++)
		bcd[(i + pad) / 2] |= (uint8_t)((pp[i] - '0') << (((i + pad) & 1) ? 0 : 4));
	unsigned int mdlen = 0;
	if (!EVP_Digest(bcd, bytes, md, &mdlen, EVP_sha1(), NULL))
		return UPQR_ECRYPTO;
	size_t k = 0;
	for (size_t i = 0; i < 40 && k < 16; i++) {
		unsigned int x = upqr__nibble(md, i);
		if (x <= 9)
			y[k++] = (char)('0' + x);
	}
	for (size_t i = 0; i < 40 && k < 16; i++) {
		unsigned int x = upqr__nibble(md, i);
		if (x > 9)
			y[k++] = (char)('0' + x - 10);
	}
	OPENSSL_cleanse(md, sizeof md);
	OPENSSL_cleanse(bcd, sizeof bcd);
	return UPQR_OK;
}

int upqr_emv_derive_icc_mk(uint8_t mk[16], upqr_emv_key *imk, const char *pan, size_t pan_len,
		int psn, upqr_emv_mk_option option)
{
	if (!mk || !upqr__key_ok(imk) || !pan || pan_len == 0 || pan_len > UPQR_CPM_PAN_MAX || psn > 99 ||
			(option != UPQR_EMV_MK_OPTION_A && option != UPQR_EMV_MK_OPTION_B))
		return UPQR_EINVAL;
	if (imk->type != UPQR_EMV_KEY_TDES)
		return set_error(imk, UPQR_EKEY, "ICC master key derivation needs a TDES issuer master key");
	char pp[UPQR_CPM_PAN_MAX + 3], y[16];
	for (size_t i = 0; i < pan_len; i++)
		if (pan[i] < '0' || pan[i] > '9')
			return UPQR_EINVAL;
	memcpy(pp, pan, pan_len);
	pp[pan_len] = (char)('0' + (psn < 0 ? 0 : psn / 10));
	pp[pan_len + 1] = (char)('0' + (psn < 0 ? 0 : psn % 10));
	size_t n = pan_len + 2;
	int rc = UPQR_OK;
	if (option == UPQR_EMV_MK_OPTION_B && pan_len > 16) {
		rc = option_b_digits(y, pp, n);
	} else {
		memset(y, '0', sizeof y);
		size_t take = n > 16 ? 16 : n;
		memcpy(y + 16 - take, pp + n - take, take);
	}
	uint8_t blk[16];
	if (rc == UPQR_OK) {
		pack_digits(blk, y);
		for (size_t i = 0; i < 8; i++)
			blk[8 + i] = (uint8_t)~blk[i];
		rc = upqr__keyed_encrypt(imk, mk, blk, 16);
		odd_parity(mk, 16);
	}
	OPENSSL_cleanse(pp, sizeof pp);
	OPENSSL_cleanse(y, sizeof y);
	OPENSSL_cleanse(blk, sizeof blk);
	return rc;
}

/*
 * The two TDES session key blocks of the EMV common session key (Book 2
 * A1.3.1): R with byte 2 := F0, then R with byte 2 := 0F.
 */
void upqr__csk_blocks(uint8_t blk[16], const uint8_t r[8])
{
	memcpy(blk, r, 8);
	memcpy(blk + 8, r, 8);
	blk[2] = 0xF0;
	blk[10] = 0x0F;
}

/*
 * SK = E(MK)[blk] (16 bytes): under the handle's own pre-keyed context
 * when mk is NULL, else under the raw mk on the scratch context. TDES
 * results get odd parity, as pyemv and the card personalisation do.
 */
int upqr__sk_from_blocks(upqr_emv_key *e, uint8_t sk[16], upqr_emv_key_type type, const uint8_t *mk,
		const uint8_t blk[16])
{
	int rc;
	if (!mk)
		rc = upqr__keyed_encrypt(e, sk, blk, 16);
	else if (type == UPQR_EMV_KEY_AES128)
		rc = cipher_run(e->scratch, e->aes_ecb, mk, NULL, 1, sk, blk, 16);
	else
		rc = upqr__des_ecb(e, sk, mk, 16, 1, blk, 16);
	if (type == UPQR_EMV_KEY_TDES)
		odd_parity(sk, 16);
	return rc;
}

int upqr__session_key_raw(upqr_emv_key *e, uint8_t sk[16], upqr_emv_key_type type, const uint8_t *mk,
		const uint8_t *r, size_t r_len)
{
	uint8_t blk[16];
	if (r_len != (type == UPQR_EMV_KEY_AES128 ? 16u : 8u))
		return UPQR_EINVAL;
	if (type == UPQR_EMV_KEY_AES128)
		memcpy(blk, r, 16);
	else
		upqr__csk_blocks(blk, r);
	int rc = upqr__sk_from_blocks(e, sk, type, mk, blk);
	OPENSSL_cleanse(blk, sizeof blk);
	return rc;
}

int upqr_emv_derive_session_key(uint8_t sk[16], upqr_emv_key *mk, const uint8_t *r, size_t r_len)
{
	if (!sk || !upqr__key_ok(mk) || !r)
		return UPQR_EINVAL;
	/* mk == NULL below: the handle's own pre-keyed context. */
	return upqr__session_key_raw(mk, sk, mk->type, NULL, r, r_len);
}

/* ---- MACs --------------------------------------------------------------- */

/* The final, padded block and how many whole blocks precede it. */
static size_t split_padding(uint8_t last[8], int padding, const uint8_t *d, size_t n)
{
	size_t full = n / 8, rem = n % 8;
	if (padding == 1 && rem == 0 && n > 0) {
		full--;
		rem = 8;
	}
	memset(last, 0, 8);
	if (rem)
		memcpy(last, d + 8 * full, rem);
	if (padding == 2)
		last[rem] = 0x80;
	return full;
}

int upqr__mac_alg3(upqr_emv_key *e, uint8_t mac[8], const uint8_t *key, size_t key_len, int padding,
		const uint8_t *d, size_t n)
{
	size_t half = key_len / 2;
	uint8_t last[8], h[8] = { 0 }, k1[24], chunk[64];
	size_t full = split_padding(last, padding, d, n);
	des_key24(k1, key, half);
	/* CBC under K1 over the whole blocks; the last cipher block is the chain value. */
	int rc = cipher_run(e->scratch, e->ede3_cbc, k1, h, 1, NULL, NULL, 0);
	for (size_t off = 0; rc == UPQR_OK && off < 8 * full; off += sizeof chunk) {
		size_t len = 8 * full - off < sizeof chunk ? 8 * full - off : sizeof chunk;
		rc = cipher_run(e->scratch, NULL, NULL, NULL, 1, chunk, d + off, len);
		memcpy(h, chunk + len - 8, 8);
	}
	for (size_t i = 0; i < 8; i++)
		h[i] ^= last[i];
	if (rc == UPQR_OK && half == 8) {
		/* E_K1(D_K2(E_K1(x))) with single-DES halves is one two-key 3DES block. */
		rc = upqr__des_ecb(e, mac, key, 16, 1, h, 8);
	} else if (rc == UPQR_OK) {
		rc = upqr__des_ecb(e, h, key, half, 1, h, 8);
		if (rc == UPQR_OK)
			rc = upqr__des_ecb(e, h, key + half, half, 0, h, 8);
		if (rc == UPQR_OK)
			rc = upqr__des_ecb(e, mac, key, half, 1, h, 8);
	}
	OPENSSL_cleanse(k1, sizeof k1);
	OPENSSL_cleanse(h, sizeof h);
	OPENSSL_cleanse(chunk, sizeof chunk);
	return rc;
}

int upqr__cmac(upqr_emv_key *e, uint8_t mac[16], const uint8_t key[16], const uint8_t *d, size_t n)
{
	size_t len = 0;
	if (!EVP_MAC_init(e->mac, key, 16, NULL) || !EVP_MAC_update(e->mac, d, n) ||
			!EVP_MAC_final(e->mac, mac, &len, 16) || len != 16)
		return UPQR_ECRYPTO;
	return UPQR_OK;
}

/* Runs op on a throwaway engine: the stateless convenience entry points. */
static int with_engine(int (*op)(upqr_emv_key *e, void *arg), void *arg)
{
	upqr_emv_key e;
	memset(&e, 0, sizeof e);
	int rc = engine_open(&e);
	if (rc == UPQR_OK)
		rc = op(&e, arg);
	engine_close(&e);
	return rc;
}

struct mac_args {
	uint8_t *mac;
	const uint8_t *key;
	size_t key_len;
	int padding;
	const uint8_t *data;
	size_t len;
};

static int mac3_op(upqr_emv_key *e, void *arg)
{
	struct mac_args *a = arg;
	return upqr__mac_alg3(e, a->mac, a->key, a->key_len, a->padding, a->data, a->len);
}

static int cmac_op(upqr_emv_key *e, void *arg)
{
	struct mac_args *a = arg;
	return upqr__cmac(e, a->mac, a->key, a->data, a->len);
}

int upqr_emv_mac_alg3(uint8_t mac[8], const uint8_t *key, size_t key_len, int padding,
		const uint8_t *data, size_t len)
{
	if (!mac || !key || (!data && len) || (padding != UPQR_EMV_PAD_METHOD_1 && padding != UPQR_EMV_PAD_METHOD_2))
		return UPQR_EINVAL;
	if (key_len != 16 && key_len != 32)
		return UPQR_EKEY;
	struct mac_args a = { mac, key, key_len, padding, data, len };
	return with_engine(mac3_op, &a);
}

int upqr_emv_aes_cmac(uint8_t mac[16], const uint8_t key[16], const uint8_t *data, size_t len)
{
	if (!mac || !key || (!data && len))
		return UPQR_EINVAL;
	struct mac_args a = { mac, key, 16, 0, data, len };
	return with_engine(cmac_op, &a);
}

/* ---- ARPC --------------------------------------------------------------- */

int upqr_emv_arpc_method1(uint8_t arpc[8], upqr_emv_key *key, const uint8_t arqc[8], const uint8_t arc[2])
{
	if (!arpc || !upqr__key_ok(key) || !arqc || !arc)
		return UPQR_EINVAL;
	if (key->type != UPQR_EMV_KEY_TDES)
		return set_error(key, UPQR_EKEY, "ARPC method 1 is defined for TDES keys");
	uint8_t x[8];
	memcpy(x, arqc, 8);
	x[0] ^= arc[0];
	x[1] ^= arc[1];
	return upqr__keyed_encrypt(key, arpc, x, 8);
}

int upqr__arpc2(upqr_emv_key *e, uint8_t arpc[4], upqr_emv_key_type type, const uint8_t sk[16],
		const uint8_t arqc[8], const uint8_t csu[4], const uint8_t *pad, size_t pad_len)
{
	uint8_t in[20], mac[16];
	memcpy(in, arqc, 8);
	memcpy(in + 8, csu, 4);
	if (pad_len)
		memcpy(in + 12, pad, pad_len);
	int rc = type == UPQR_EMV_KEY_AES128 ? upqr__cmac(e, mac, sk, in, 12 + pad_len)
			: upqr__mac_alg3(e, mac, sk, 16, 2, in, 12 + pad_len);
	if (rc == UPQR_OK)
		memcpy(arpc, mac, 4);
	return rc;
}

struct arpc2_args {
	uint8_t *arpc;
	const uint8_t *sk, *arqc, *csu, *pad;
	size_t pad_len;
};

static int arpc2_op(upqr_emv_key *e, void *arg)
{
	struct arpc2_args *a = arg;
	return upqr__arpc2(e, a->arpc, UPQR_EMV_KEY_TDES, a->sk, a->arqc, a->csu, a->pad, a->pad_len);
}

int upqr_emv_arpc_method2(uint8_t arpc[4], const uint8_t sk[16], const uint8_t arqc[8],
		const uint8_t csu[4], const uint8_t *pad, size_t pad_len)
{
	if (!arpc || !sk || !arqc || !csu || pad_len > 8 || (!pad && pad_len))
		return UPQR_EINVAL;
	struct arpc2_args a = { arpc, sk, arqc, csu, pad, pad_len };
	return with_engine(arpc2_op, &a);
}
