/*
 * bench_cpm.c - CPM decode against a bare base64 decode of the same text
 * (target: within 3x), and, for every cryptogram version upqr implements,
 * the ARQC itself through the public upqr/emv.h calls against the raw
 * OpenSSL calls that CVN needs, measured in the same run (target: within
 * 1.5x). What the raw calls are is described above run_raw().
 *
 * RESULT lines, per CVN name:
 *   arqc_generate_us_<cvn>   upqr_emv_arqc under the card's MK: session key + MAC
 *   arqc_verify_us_<cvn>     upqr_emv_arqc_imk from the IMK (MK derivation,
 *                            session key, MAC) and the compare; AES (A2): from the MK
 *   arqc_raw_generate_us_<cvn>, arqc_raw_verify_us_<cvn>   the raw calls of each
 *   cpm_generate_us_<cvn>    the whole code: upqr_cpm_generate (payload, ARQC, base64)
 *   cpm_verify_us_<cvn>      upqr_cpm_verify of the decoded code (read, ARQC, compare)
 * and arqc_generate_worst_ratio / arqc_verify_worst_ratio over the CVNs.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "bench.h"
#include "upqr.h"

/* UnionPay credit sample (tests/data/cpm-public.tsv). */
static const char sample[] = "hQVDUFYwMWFWTwigAAADMwEBAlcRYmNgAQBxNnLSMSIBAAABiAFfNAEAYzOfJghWite85mtxi58nAYCfEBEHAAEDoAAAAQgwMDAwMDAwMZ82AhEiggIAAJ83BCJgSI4=";
static const uint8_t imk_bytes[16] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF,
	0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10 };
static const uint8_t aid[] = { 0xA0, 0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x01 };

#define RUNS 61

typedef void (*bench_fn)(void *arg);

/*
 * Best of RUNS for each of two functions, measured alternately so that
 * load from other processes hits both alike; ns per call. Many short
 * windows (about a millisecond each): on a shared machine the best of many
 * short windows is the figure least touched by other work.
 */
static void measure_pair(double out[2], bench_fn a, void *aa, bench_fn b, void *ba, size_t iters)
{
	bench_fn fn[2] = { a, b };
	void *arg[2] = { aa, ba };
	out[0] = out[1] = 1e300;
	for (int r = 0; r < RUNS; r++)
		for (int k = 0; k < 2; k++) {
			double t0 = bench_now_ns();
			for (size_t i = 0; i < iters; i++)
				fn[k](arg[k]);
			double per = (bench_now_ns() - t0) / (double)iters;
			if (per < out[k])
				out[k] = per;
		}
}

static void die(const char *what)
{
	fprintf(stderr, "bench_cpm: %s\n", what);
	exit(1);
}

/* ---- decode ------------------------------------------------------------- */

static void run_decode(void *arg)
{
	upqr_cpm *cpm = arg;
	if (upqr_cpm_decode(cpm, NULL, sample, sizeof sample - 1, NULL) != UPQR_OK)
		die("decode failed");
	bench_sink(cpm);
}

static void run_base64(void *arg)
{
	uint8_t *out = arg;
	size_t n;
	if (upqr_base64_decode(out, UPQR_CPM_BINARY_MAX, &n, sample, sizeof sample - 1, NULL) != UPQR_OK)
		die("base64 failed");
	bench_sink(out);
}

/* ---- generate / verify, per CVN --------------------------------------- */

static const uint8_t visa_aid[] = { 0xA0, 0x00, 0x00, 0x00, 0x03, 0x10, 0x10 };
static const uint8_t mc_aid[] = { 0xA0, 0x00, 0x00, 0x00, 0x04, 0x10, 0x10 };
static const uint8_t aes_mk[16] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
	0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF };

typedef struct gen_state {
	const upqr_emv_cvn_info *cvn;
	upqr_emv_key *mk, *issuer;     /* the card's MK; the issuer's IMK (or, AES, the MK again) */
	upqr_cpm_key_role role;
	upqr_cpm_profile p;
	upqr_cpm_txn t;
	uint16_t atc;
	char out[UPQR_CPM_GENERATED_MAX + 1];
	upqr_cpm *cpm;
	uint8_t in[UPQR_EMV_AC_INPUT_MAX];   /* an AC input of the CVN's length */
	size_t in_len;
	uint8_t ac_atc[2], expect[8];        /* ATC 001C; the ARQC over in under the MK */
} gen_state;

static void run_generate(void *arg)
{
	gen_state *g = arg;
	size_t n;
	if (g->atc >= 0xFFF0)
		g->atc = 0;
	if (upqr_cpm_generate(g->out, sizeof g->out, &n, &g->atc, g->mk, &g->p, &g->t) != UPQR_OK)
		die("generate failed");
	bench_sink(g->out);
}

static void run_verify(void *arg)
{
	gen_state *g = arg;
	if (upqr_cpm_verify(NULL, g->issuer, g->role, g->cpm) != UPQR_OK)
		die("verify failed");
}

/* The card's side: session key and MAC under its MK. */
static void run_arqc_generate(void *arg)
{
	gen_state *g = arg;
	uint8_t ac[8];
	if (upqr_emv_arqc(ac, g->mk, g->cvn->id, g->ac_atc, g->t.un, g->in, g->in_len) != UPQR_OK)
		die("ARQC failed");
	bench_sink(ac);
}

/* The issuer's side: the same ARQC from the IMK (AES: the MK), compared. */
static void run_arqc_verify(void *arg)
{
	gen_state *g = arg;
	uint8_t ac[8];
	int rc = g->role == UPQR_CPM_KEY_ICC_MK
			? upqr_emv_arqc(ac, g->issuer, g->cvn->id, g->ac_atc, g->t.un, g->in, g->in_len)
			: upqr_emv_arqc_imk(ac, g->issuer, g->p.pan, strlen(g->p.pan), g->p.psn, g->cvn->id, g->ac_atc,
				g->t.un, g->in, g->in_len);
	if (rc != UPQR_OK || CRYPTO_memcmp(ac, g->expect, 8) != 0)
		die("ARQC verification failed");
}

/* Bytes of the CVN's AC input: the 33-byte core and the IAD part it covers (upqr/emv.h). */
static size_t ac_input_len(const upqr_emv_cvn_info *c)
{
	switch (c->id) {
	case UPQR_EMV_CVN_VISA_18: return 33 + 7;
	case UPQR_EMV_CVN_VISA_22: return 33 + 32;
	case UPQR_EMV_CVN_MC_16: case UPQR_EMV_CVN_MC_20: return 33 + 6;
	case UPQR_EMV_CVN_MC_17: case UPQR_EMV_CVN_MC_21: return 33 + 14;
	default: return 33 + 4;
	}
}

static bool is_aes(const upqr_emv_cvn_info *c)
{
	return c->session_key == UPQR_EMV_SK_AES;
}

static void setup_gen(gen_state *g, const upqr_emv_cvn_info *c)
{
	memset(g, 0, sizeof *g);
	g->cvn = c;
	if (upqr_cpm_profile_init(&g->p, UPQR_CPM_PROFILE_VERSION) != UPQR_OK)
		die("profile init failed");
	unsigned int scheme = UPQR_EMV_CVN_SCHEME(c->id);
	g->p.aid = scheme == UPQR_EMV_SCHEME_VISA ? visa_aid : scheme == UPQR_EMV_SCHEME_MASTERCARD ? mc_aid : aid;
	g->p.aid_len = scheme == UPQR_EMV_SCHEME_VISA ? sizeof visa_aid
			: scheme == UPQR_EMV_SCHEME_MASTERCARD ? sizeof mc_aid : sizeof aid;
	g->p.pan = "6250947000000014";
	g->p.expiry = "3012";
	g->p.psn = 0;
	g->p.cvn = c->id;
	if (upqr_cpm_txn_init(&g->t, UPQR_CPM_TXN_VERSION) != UPQR_OK)
		die("txn init failed");
	g->t.amount = 12345;
	g->t.un_set = 1;
	memcpy(g->t.un, "\x11\x22\x33\x44", 4);
	g->t.year = 2026;
	g->t.month = 11;
	g->t.day = 27;
	uint8_t mk[16];
	if (is_aes(c)) {
		/* AES cards hold their MK; the issuer verifies with the same key. */
		if (upqr_emv_key_new(&g->mk, UPQR_EMV_KEY_AES128, aes_mk, 16) != UPQR_OK ||
				upqr_emv_key_new(&g->issuer, UPQR_EMV_KEY_AES128, aes_mk, 16) != UPQR_OK)
			die("key setup failed");
		g->role = UPQR_CPM_KEY_ICC_MK;
	} else {
		upqr_emv_mk_option opt = c->mk_option ? (upqr_emv_mk_option)c->mk_option : UPQR_EMV_MK_OPTION_A;
		if (upqr_emv_key_new(&g->issuer, UPQR_EMV_KEY_TDES, imk_bytes, 16) != UPQR_OK ||
				upqr_emv_derive_icc_mk(mk, g->issuer, g->p.pan, 16, 0, opt) != UPQR_OK ||
				upqr_emv_key_new(&g->mk, UPQR_EMV_KEY_TDES, mk, 16) != UPQR_OK)
			die("key setup failed");
		g->role = UPQR_CPM_KEY_IMK;
	}
	upqr_memzero(mk, sizeof mk);
	g->cpm = malloc(sizeof *g->cpm);
	size_t n;
	if (!g->cpm || upqr_cpm_generate(g->out, sizeof g->out, &n, &g->atc, g->mk, &g->p, &g->t) != UPQR_OK ||
			upqr_cpm_decode(g->cpm, NULL, g->out, n, NULL) != UPQR_OK)
		die("payload setup failed");
	g->in_len = ac_input_len(c);
	for (size_t i = 0; i < g->in_len; i++)
		g->in[i] = (uint8_t)(i * 7 + 1);
	g->ac_atc[1] = 0x1C;
	if (upqr_emv_arqc(g->expect, g->mk, c->id, g->ac_atc, g->t.un, g->in, g->in_len) != UPQR_OK)
		die("ARQC setup failed");
}

static void free_gen(gen_state *g)
{
	upqr_emv_key_free(g->mk);
	upqr_emv_key_free(g->issuer);
	free(g->cpm);
}

/* ---- the raw OpenSSL calls a CVN needs ---------------------------------- */

/*
 * The least a CVN's cryptogram costs in OpenSSL calls, with everything that
 * can be prepared once prepared (fetched ciphers, the MK or IMK context
 * keyed once, as the key handle does):
 *  - verify from the IMK: MK = one 16-byte update on the keyed IMK context;
 *  - session key (CSK, Mastercard SKD, PBOC): re-key under the MK (verify)
 *    or an update on the keyed MK context (generate), 16 bytes; none for
 *    Visa 10; AES: one AES block;
 *  - MAC algorithm 3: CBC-DES keying + all padded blocks but the last,
 *    then 2-key 3DES keying + the last block; AES-CMAC: init, update, final.
 */
typedef struct raw_state {
	EVP_CIPHER *ecb, *cbc, *aes;
	EVP_MAC *cmac;
	EVP_MAC_CTX *mac;
	EVP_CIPHER_CTX *imk, *mk, *scratch;
	uint8_t in[80], out[80], k24[24], kl[24];
	size_t blocks;   /* padded MAC blocks */
	int sk, with_mk, aes_mode;
} raw_state;

static void ecb_keyed(EVP_CIPHER_CTX *c, EVP_CIPHER *cipher, const uint8_t *key, const uint8_t *iv,
		uint8_t *out, const uint8_t *in, int n)
{
	int len;
	if (!EVP_EncryptInit_ex2(c, cipher, key, iv, NULL) || !EVP_CIPHER_CTX_set_padding(c, 0) ||
			(n && !EVP_EncryptUpdate(c, out, &len, in, n)))
		die("raw cipher failed");
}

static void update(EVP_CIPHER_CTX *c, uint8_t *out, const uint8_t *in, int n)
{
	int len;
	if (!EVP_EncryptUpdate(c, out, &len, in, n))
		die("raw cipher failed");
}

static void run_raw(void *arg)
{
	raw_state *r = arg;
	static const uint8_t zero_iv[8];
	if (r->with_mk)
		update(r->imk, r->out, r->in, 16);                         /* MK = 3DES(IMK)[Y || ~Y] */
	if (r->aes_mode) {
		size_t len;
		update(r->mk, r->out, r->in, 16);                          /* SK = AES(MK)[ATC || 0..] */
		if (!EVP_MAC_init(r->mac, r->k24, 16, NULL) || !EVP_MAC_update(r->mac, r->in, 37) ||
				!EVP_MAC_final(r->mac, r->out, &len, 16))
			die("raw CMAC failed");
	} else {
		if (r->sk != UPQR_EMV_SK_NONE && r->with_mk)
			ecb_keyed(r->scratch, r->ecb, r->k24, NULL, r->out, r->in, 16); /* SK = 3DES(MK)[...] */
		else if (r->sk != UPQR_EMV_SK_NONE)
			update(r->mk, r->out, r->in, 16);
		ecb_keyed(r->scratch, r->cbc, r->kl, zero_iv, r->out, r->in, (int)(8 * (r->blocks - 1)));
		ecb_keyed(r->scratch, r->ecb, r->k24, NULL, r->out, r->in + 8 * (r->blocks - 1), 8);
	}
	bench_sink(r->out);
}

/* Padded blocks of the CVN's AC input. */
static size_t mac_blocks(const upqr_emv_cvn_info *c)
{
	size_t n = ac_input_len(c);
	return c->padding == 1 ? (n + 7) / 8 : n / 8 + 1;
}

static void setup_raw(raw_state *r, const upqr_emv_cvn_info *c, int with_mk)
{
	memset(r, 0, sizeof *r);
	r->ecb = EVP_CIPHER_fetch(NULL, "DES-EDE3-ECB", NULL);
	r->cbc = EVP_CIPHER_fetch(NULL, "DES-EDE3-CBC", NULL);
	r->aes = EVP_CIPHER_fetch(NULL, "AES-128-ECB", NULL);
	r->cmac = EVP_MAC_fetch(NULL, "CMAC", NULL);
	r->mac = r->cmac ? EVP_MAC_CTX_new(r->cmac) : NULL;
	r->imk = EVP_CIPHER_CTX_new();
	r->mk = EVP_CIPHER_CTX_new();
	r->scratch = EVP_CIPHER_CTX_new();
	if (!r->ecb || !r->cbc || !r->aes || !r->mac || !r->imk || !r->mk || !r->scratch)
		die("raw setup failed");
	char cbc[] = "AES-128-CBC";
	OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cbc, 0),
		OSSL_PARAM_construct_end() };
	if (!EVP_MAC_CTX_set_params(r->mac, params))
		die("raw setup failed");
	memcpy(r->k24, imk_bytes, 16);
	memcpy(r->k24 + 16, imk_bytes, 8);
	for (int i = 0; i < 24; i++)
		r->kl[i] = imk_bytes[i % 8];
	r->aes_mode = is_aes(c);
	r->sk = c->session_key;
	r->blocks = mac_blocks(c);
	r->with_mk = with_mk && !r->aes_mode;
	ecb_keyed(r->imk, r->ecb, r->k24, NULL, NULL, NULL, 0);
	if (r->aes_mode)
		ecb_keyed(r->mk, r->aes, aes_mk, NULL, NULL, NULL, 0);
	else
		ecb_keyed(r->mk, r->ecb, r->k24, NULL, NULL, NULL, 0);
}

static void free_raw(raw_state *r)
{
	EVP_CIPHER_CTX_free(r->imk);
	EVP_CIPHER_CTX_free(r->mk);
	EVP_CIPHER_CTX_free(r->scratch);
	EVP_MAC_CTX_free(r->mac);
	EVP_MAC_free(r->cmac);
	EVP_CIPHER_free(r->ecb);
	EVP_CIPHER_free(r->cbc);
	EVP_CIPHER_free(r->aes);
}

/* Generation and verification of one CVN against its raw calls, measured alternately. */
static void bench_cvn(const upqr_emv_cvn_info *c, double *worst)
{
	gen_state g;
	raw_state r, rv;
	setup_gen(&g, c);
	setup_raw(&r, c, 0);
	setup_raw(&rv, c, g.role != UPQR_CPM_KEY_ICC_MK);
	double gg[2], vv[2], cc[2];
	measure_pair(gg, run_arqc_generate, &g, run_raw, &r, 200);
	measure_pair(vv, run_arqc_verify, &g, run_raw, &rv, 200);
	measure_pair(cc, run_generate, &g, run_verify, &g, 100);
	double gen = gg[0] / 1000.0, raw_gen = gg[1] / 1000.0, ver = vv[0] / 1000.0, raw_ver = vv[1] / 1000.0;
	double cgen = cc[0] / 1000.0, cver = cc[1] / 1000.0;
	printf("ARQC %-13s generate %5.2f us = %.2fx its raw calls (%.2f us); verify%s %5.2f us = %.2fx (%.2f us)\n",
			c->name, gen, gen / raw_gen, raw_gen, g.role == UPQR_CPM_KEY_ICC_MK ? " (MK)   " : " from IMK",
			ver, ver / raw_ver, raw_ver);
	printf("     %-13s whole code: upqr_cpm_generate %5.2f us, upqr_cpm_verify %5.2f us\n", "", cgen, cver);
	char name[64];
	snprintf(name, sizeof name, "cpm_generate_us_%s", c->name);
	bench_result(name, cgen, "us");
	snprintf(name, sizeof name, "cpm_verify_us_%s", c->name);
	bench_result(name, cver, "us");
	snprintf(name, sizeof name, "arqc_generate_us_%s", c->name);
	bench_result(name, gen, "us");
	snprintf(name, sizeof name, "arqc_verify_us_%s", c->name);
	bench_result(name, ver, "us");
	snprintf(name, sizeof name, "arqc_raw_generate_us_%s", c->name);
	bench_result(name, raw_gen, "us");
	snprintf(name, sizeof name, "arqc_raw_verify_us_%s", c->name);
	bench_result(name, raw_ver, "us");
	if (c->id == UPQR_EMV_CVN_UPQR_A1) {
		/* The unsuffixed names (A1) of earlier runs: arqc_* is now the ARQC itself, cpm_* the whole code. */
		bench_result("arqc_generate_us", gen, "us");
		bench_result("arqc_verify_us", ver, "us");
		bench_result("arqc_raw_openssl_us", raw_ver, "us");
		bench_result("arqc_raw_openssl_generate_us", raw_gen, "us");
		bench_result("cpm_generate_us", cgen, "us");
		bench_result("cpm_verify_us", cver, "us");
	}
	worst[0] = gen / raw_gen > worst[0] ? gen / raw_gen : worst[0];
	worst[1] = ver / raw_ver > worst[1] ? ver / raw_ver : worst[1];
	free_raw(&r);
	free_raw(&rv);
	free_gen(&g);
}

int main(void)
{
	upqr_cpm *cpm = malloc(sizeof *cpm);
	uint8_t *b64 = malloc(UPQR_CPM_BINARY_MAX);
	if (!cpm || !b64)
		die("out of memory");
	double d[2];
	measure_pair(d, run_decode, cpm, run_base64, b64, 2000);
	double dec = d[0], b = d[1];
	printf("CPM decode of the %zu-character UnionPay sample: %.0f ns, %.2fx a bare base64 decode (target <= 3x)\n",
			sizeof sample - 1, dec, dec / b);
	bench_result("cpm_decode_ns", dec, "ns");
	bench_result("base64_decode_ns", b, "ns");

	size_t n = 0;
	const upqr_emv_cvn_info *t = upqr_emv_cvns(&n);
	double worst[2] = { 0, 0 };
	for (size_t i = 0; i < n; i++)
		bench_cvn(&t[i], worst);
	printf("worst ratio: generate %.2fx, verify %.2fx (target <= 1.5x)\n", worst[0], worst[1]);
	bench_result("arqc_generate_worst_ratio", worst[0], "x");
	bench_result("arqc_verify_worst_ratio", worst[1], "x");
	free(cpm);
	free(b64);
	return 0;
}
