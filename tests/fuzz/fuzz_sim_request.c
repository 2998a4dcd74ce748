/* fuzz_sim_request.c - upqr-sim's request handler (sim_handle) without a socket.
 *
 * Input: one mode byte, then a body. Mode bits 0-1 pick the path (backTransReq.do,
 * queryTrans.do, a test hook, an unknown path), bit 2 the method (POST/GET), bit 3
 * the content type, bit 4 re-signs a body that parses as a form with the test
 * merchant's key, so the fuzzer gets past the signature check into validation steps
 * 4..8 and the state machine. Whatever the input, the handler must answer; with no
 * fault knob set, a POSTed form on a gateway path must get HTTP 200 and a reply that
 * parses, carries a respCode and verifies against the simulator's root + middle.
 * Needs build/pki (make pki); UPQR_PKI overrides the folder. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../sim/sim.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sim S;
static upqr_signer *signer;
static upqr_verifier *verifier;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	char err[512], root[600], middle[600], pfx[600], dir[600];
	const char *pki = getenv("UPQR_PKI") ? getenv("UPQR_PKI") : "build/pki";
	sim_config_defaults(&S.cfg);
	snprintf(S.cfg.pki, sizeof S.cfg.pki, "%s", pki);
	if (sim_open(&S, err, sizeof err) != 0) {
		fprintf(stderr, "fuzz_sim_request: %s\n", err);
		abort();
	}
	snprintf(pfx, sizeof pfx, "%s/merchant.pfx", pki);
	snprintf(root, sizeof root, "%s/root.pem", pki);
	snprintf(middle, sizeof middle, "%s/middle.pem", pki);
	snprintf(dir, sizeof dir, "%s/sim_certdir", pki);
	upqr_signer_options so = UPQR_SIGNER_OPTIONS_INIT;
	so.pfx_path = pfx;
	so.password = "000000";
	upqr_verifier_options vo = UPQR_VERIFIER_OPTIONS_INIT;
	vo.root_cert_path = root;
	vo.middle_cert_path = middle;
	vo.cert_dir = dir;   /* 5.0.0 replies carry certId */
	vo.acp_versions = UPQR_ACCEPT_5_1_0 | UPQR_ACCEPT_5_0_0;
	if (upqr_signer_new(&signer, &so) != UPQR_OK || upqr_verifier_new(&verifier, &vo) != UPQR_OK)
		abort();
	return 0;
}

/* The form's fields minus signature/certId, plus the merchant's certId and a fresh signature. */
static char *resign(const char *body, size_t len, size_t *out_len)
{
	upqr_acp_field f[UPQR_ACP_FIELDS_MAX + 2];
	char *scratch = malloc(len + 1), *out = NULL;
	size_t n = 0, m = 0, w = 0;
	if (!scratch || upqr_acp_parse_form(f, UPQR_ACP_FIELDS_MAX, &n, scratch, len + 1, body, len, NULL))
		goto done;
	for (size_t i = 0; i < n; i++)
		if (!(f[i].key_len == 9 && !memcmp(f[i].key, "signature", 9)) &&
				!(f[i].key_len == 6 && !memcmp(f[i].key, "certId", 6)))
			f[m++] = f[i];
	const char *id = upqr_signer_cert_id(signer);
	f[m++] = (upqr_acp_field){ "certId", 6, id, strlen(id) };
	char sig[UPQR_ACP_SIGNATURE_MAX + 1];
	if (upqr_signer_sign(sig, sizeof sig, &w, signer, f, m) != UPQR_OK)
		goto done;
	f[m++] = (upqr_acp_field){ "signature", 9, sig, w };
	if (upqr_acp_form_encode(NULL, 0, &w, f, m) != UPQR_EBUFSIZE || !(out = malloc(w + 1)) ||
			upqr_acp_form_encode(out, w + 1, out_len, f, m) != UPQR_OK) {
		free(out);
		out = NULL;
	}
done:
	free(scratch);
	return out;
}

/* A gateway reply: parses, has a respCode, verifies. */
static void check_reply(const sim_reply *r)
{
	upqr_acp_field f[UPQR_ACP_FIELDS_MAX];
	size_t n;
	if (r->status != 200 || upqr_acp_parse_response(f, UPQR_ACP_FIELDS_MAX, &n, r->body, r->len, NULL) ||
			!upqr_acp_field_get(f, n, "respCode") || upqr_verifier_verify(verifier, f, n, UPQR_VERIFY_NOW)) {
		fprintf(stderr, "bad reply (HTTP %d): %.*s\n", r->status, (int)(r->len > 400 ? 400 : r->len), r->body);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const paths[4] = { "/gateway/api/backTransReq.do", "/gateway/api/queryTrans.do",
		NULL, "/nowhere" };
	static const char *const hooks[4] = { "/__sim/pay", "/__sim/clock", "/__sim/faults", "/__sim/notifications" };
	if (size == 0)
		return 0;
	uint8_t mode = data[0];
	const char *body = (const char *)data + 1;
	size_t len = size - 1, signed_len = 0;
	const char *path = paths[mode & 3] ? paths[mode & 3] : hooks[(mode >> 5) & 3];
	const char *method = mode & 4 ? "GET" : "POST";
	const char *ct = mode & 8 ? "text/plain" : "application/x-www-form-urlencoded;charset=UTF-8";
	char *re = mode & 16 ? resign(body, len, &signed_len) : NULL;
	sim_reply r;
	sim_handle(&S, method, path, ct, re ? re : body, re ? signed_len : len, &r);
	if (!r.body)
		abort();
	if ((mode & 3) < 2 && !(mode & 12) && S.n_faults == 0)
		check_reply(&r);
	sim_reply_free(&r);
	free(re);
	return 0;
}
