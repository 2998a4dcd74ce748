/*
 * bench_sign.c - ACP 5.1.0 RSA-2048 signatures and verifications per second,
 * next to the raw rate of `openssl speed -seconds 2 rsa2048` on the same
 * machine (target: at least 90 %), and next to the raw OpenSSL calls a
 * 5.1.0 verification has to make on the same message (two SHA-256 and one
 * RSA verify, everything prepared): `openssl speed` times the RSA step
 * alone, so that second figure is the floor any implementation can reach.
 * Rates are per second of CPU time, as `openssl speed` computes them.
 * Needs build/pki (made by `make`).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "bench.h"
#include "upqr.h"

#define SECONDS 2.0

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = calloc(1, 1 << 16);
	size_t n = buf ? fread(buf, 1, (1 << 16) - 1, f) : 0;
	fclose(f);
	if (buf)
		buf[n] = 0;
	return buf;
}

/* sign/s and verify/s from `openssl speed`'s "rsa 2048 bits ..." line. */
static int openssl_speed(double *sign, double *verify)
{
	FILE *p = popen("openssl speed -seconds 2 rsa2048 2>/dev/null", "r");
	if (!p)
		return -1;
	char line[512];
	int found = -1;
	while (fgets(line, sizeof line, p)) {
		double t1, t2;
		if (sscanf(line, "rsa 2048 bits %lfs %lfs %lf %lf", &t1, &t2, sign, verify) == 4)
			found = 0;
	}
	pclose(p);
	return found;
}

typedef struct message {
	upqr_acp_field f[16];
	size_t n;
	char sig[UPQR_ACP_SIGNATURE_MAX + 1];
} message;

static void add(message *m, const char *k, const char *v)
{
	m->f[m->n++] = (upqr_acp_field){ k, strlen(k), v, strlen(v) };
}

static void fill(message *m, const char *pem)
{
	m->n = 0;
	add(m, "version", "5.1.0");
	add(m, "encoding", "UTF-8");
	add(m, "bizType", "000000");
	add(m, "txnType", "01");
	add(m, "txnSubType", "07");
	add(m, "accessType", "0");
	add(m, "merId", "777290058110048");
	add(m, "orderId", "20240101123456abcdef");
	add(m, "txnTime", "20240101123456");
	add(m, "txnAmt", "100");
	add(m, "currencyCode", "156");
	add(m, "signMethod", "01");
	add(m, "signPubKeyCert", pem);
}

/*
 * CPU time of this process: `openssl speed` divides by user CPU time too
 * (unless -elapsed), so both figures hold up on a machine shared with
 * other work.
 */
static double cpu_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double rate(int (*op)(void *), void *arg, size_t *done)
{
	double start = cpu_now_ns(), end = start + SECONDS * 1e9, now = start;
	size_t n = 0;
	while (now < end) {
		for (int i = 0; i < 16; i++)
			if (op(arg) != UPQR_OK)
				return -1;
		n += 16;
		now = cpu_now_ns();
	}
	*done = n;
	return (double)n / ((now - start) / 1e9);
}

typedef struct ctx {
	upqr_signer *signer;
	upqr_verifier *verifier;
	message *m;
} ctx;

static int sign_once(void *arg)
{
	ctx *c = arg;
	size_t n;
	int rc = upqr_signer_sign(c->m->sig, sizeof c->m->sig, &n, c->signer, c->m->f, c->m->n);
	bench_sink(c->m->sig);
	return rc;
}

static int verify_once(void *arg)
{
	ctx *c = arg;
	return upqr_verifier_verify(c->verifier, c->m->f, c->m->n, UPQR_VERIFY_NOW);
}

/*
 * The raw OpenSSL calls a 5.1.0 verification cannot avoid, on the same
 * message with everything prepared in advance: SHA-256 of the string to
 * sign, SHA-256 of its lower-case hex, one RSA PKCS#1 v1.5 verify.
 * `openssl speed` times the RSA step alone; this is the floor for the SDK.
 */
typedef struct raw {
	const char *text;
	size_t len;
	EVP_PKEY_CTX *pctx;
	const EVP_MD *md;
	uint8_t sig[512];
	size_t sig_len;
} raw;

static int raw_verify_once(void *arg)
{
	raw *r = arg;
	uint8_t d1[32], d2[32];
	char hex[65];
	static const char digits[] = "0123456789abcdef";
	if (EVP_Digest(r->text, r->len, d1, NULL, r->md, NULL) != 1)
		return -1;
	for (int i = 0; i < 32; i++) {
		hex[2 * i] = digits[d1[i] >> 4];
		hex[2 * i + 1] = digits[d1[i] & 15];
	}
	if (EVP_Digest(hex, 64, d2, NULL, r->md, NULL) != 1)
		return -1;
	return EVP_PKEY_verify(r->pctx, r->sig, r->sig_len, d2, 32) == 1 ? UPQR_OK : -1;
}

static double raw_verify_rate(const message *m, const char *cert_path)
{
	raw r = { 0 };
	size_t len = 0;
	static char text[1 << 14];
	FILE *f = fopen(cert_path, "r");
	X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	if (!x || upqr_acp_string_to_sign(text, sizeof text, &len, m->f, m->n - 1) != UPQR_OK ||
			upqr_base64_decode(r.sig, sizeof r.sig, &r.sig_len, m->sig, strlen(m->sig), NULL)) {
		X509_free(x);
		return -1;
	}
	r.text = text;
	r.len = len;
	r.md = EVP_sha256();
	r.pctx = EVP_PKEY_CTX_new(X509_get0_pubkey(x), NULL);
	double rt = -1;
	size_t done = 0;
	if (r.pctx && EVP_PKEY_verify_init(r.pctx) == 1 &&
			EVP_PKEY_CTX_set_rsa_padding(r.pctx, RSA_PKCS1_PADDING) == 1 &&
			EVP_PKEY_CTX_set_signature_md(r.pctx, r.md) == 1)
		rt = rate(raw_verify_once, &r, &done);
	EVP_PKEY_CTX_free(r.pctx);
	X509_free(x);
	return rt;
}

int main(void)
{
	char *pem = slurp("build/pki/upop_sign.pem");
	upqr_signer_options so = UPQR_SIGNER_OPTIONS_INIT;
	so.key_pem_path = "build/pki/upop_sign.key";
	so.cert_pem_path = "build/pki/upop_sign.pem";
	upqr_verifier_options vo = UPQR_VERIFIER_OPTIONS_INIT;
	vo.root_cert_path = "build/pki/root.pem";
	vo.middle_cert_path = "build/pki/middle.pem";
	ctx c = { NULL, NULL, calloc(1, sizeof(message)) };
	if (!pem || !c.m || upqr_signer_new(&c.signer, &so) || upqr_verifier_new(&c.verifier, &vo)) {
		fprintf(stderr, "bench_sign: needs build/pki (run make)\n");
		return 1;
	}
	fill(c.m, pem);
	size_t signs = 0, verifies = 0;
	double sign_rate = rate(sign_once, &c, &signs);
	add(c.m, "signature", c.m->sig);
	double verify_rate = rate(verify_once, &c, &verifies);
	if (sign_rate < 0 || verify_rate < 0) {
		fprintf(stderr, "bench_sign: sign or verify failed: %s %s\n",
			upqr_signer_last_error(c.signer), upqr_verifier_last_error(c.verifier));
		return 1;
	}
	double raw_rate = raw_verify_rate(c.m, "build/pki/upop_sign.pem");
	double os_sign = 0, os_verify = 0;
	int have_speed = openssl_speed(&os_sign, &os_verify);
	printf("ACP 5.1.0 signMethod 01, RSA-2048, %zu-field message: %zu signatures, %zu verifications "
		"(certificate cached)\n", c.m->n, signs, verifies);
	bench_result("acp_sign_per_s", sign_rate, "ops/s");
	bench_result("acp_verify_per_s", verify_rate, "ops/s");
	if (raw_rate > 0) {
		bench_result("openssl_acp_verify_calls_per_s", raw_rate, "ops/s");
		bench_result("acp_verify_vs_raw_calls", 100.0 * verify_rate / raw_rate, "%");
	}
	if (have_speed == 0) {
		bench_result("openssl_rsa2048_sign_per_s", os_sign, "ops/s");
		bench_result("openssl_rsa2048_verify_per_s", os_verify, "ops/s");
		bench_result("acp_sign_vs_openssl", 100.0 * sign_rate / os_sign, "%");
		bench_result("acp_verify_vs_openssl", 100.0 * verify_rate / os_verify, "%");
	} else {
		printf("openssl speed not available: no raw figures\n");
	}
	upqr_signer_free(c.signer);
	upqr_verifier_free(c.verifier);
	free(c.m);
	free(pem);
	return 0;
}
