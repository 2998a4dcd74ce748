/*
 * fuzz_cpm_decode.c - CPM decode never misbehaves: status and diagnostics
 * agree, views stay in the struct, a valid payload re-encodes to the same
 * text (strict base64), and no masked output leaks the full PAN. Every
 * valid payload is also verified against the token record of the golden
 * code (tests/data/cpm-profile.json): only that exact code may verify.
 */
#include <stdlib.h>
#include <string.h>

#include "cpm_golden.h"
#include "upqr.h"

/*
 * Any valid payload through the per-CVN verifier (upqr/emv.h) and the
 * ARPC: only documented outcomes, and "supported" as the decode said.
 */
static void check_cvn(const upqr_cpm *cpm)
{
	static upqr_emv_key *imk;
	static const uint8_t k[16] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF,
		0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10 };
	if (!imk && upqr_emv_key_new(&imk, UPQR_EMV_KEY_TDES, k, 16) != UPQR_OK)
		abort();
	upqr_cpm_cryptogram info;
	int rc = upqr_cpm_verify(&info, imk, UPQR_CPM_KEY_IMK, cpm);
	if (rc != UPQR_OK && rc != UPQR_EMISMATCH && rc != UPQR_EINVALID && rc != UPQR_EUNSUPPORTED &&
			rc != UPQR_EKEY)
		abort();
	if (rc == UPQR_EUNSUPPORTED && cpm->cvn_supported)
		abort();
	if ((rc == UPQR_OK || rc == UPQR_EMISMATCH) && (!cpm->cvn_supported || info.cvn != cpm->cvn))
		abort();
	uint8_t arpc[8];
	size_t n = 0;
	static const uint8_t arc[4] = { 0x30, 0x30, 0, 0 };
	rc = upqr_cpm_arpc(arpc, &n, imk, UPQR_CPM_KEY_IMK, cpm, UPQR_EMV_ARPC_METHOD_CVN, arc, NULL, 0);
	if ((rc == UPQR_OK) != (n == 4 || n == 8))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_masking(const upqr_cpm *cpm, const upqr_diag_list *diags)
{
	char pan[UPQR_CPM_PAN_MAX + 1];
	size_t n = 0;
	if (upqr_cpm_pan(pan, sizeof pan, &n, cpm) != UPQR_OK)
		return;
	if (n != cpm->pan_len || n < 12 || strlen(cpm->pan_masked) != n || strstr(cpm->pan_masked, pan))
		abort();
	static char hex[2 * UPQR_CPM_BINARY_MAX + 1];
	size_t hn;
	if (upqr_cpm_hex_masked(hex, sizeof hex, &hn, cpm) != UPQR_OK || strstr(hex, pan))
		abort();
	for (size_t i = 0; i < diags->count; i++)
		if (strstr(diags->items[i].message, pan))
			abort();
}

static void check(const upqr_cpm *cpm, int rc, const upqr_diag_list *diags)
{
	if ((rc == UPQR_OK) != (cpm->valid == 1) || (rc == UPQR_OK) != (diags->errors == 0))
		abort();
	for (size_t i = 0; i < cpm->node_count; i++) {
		const upqr_bertlv_node *x = &cpm->nodes[i];
		if (x->value_offset + x->length > cpm->binary_len)
			abort();
	}
	if (rc == UPQR_OK && (cpm->selected < 0 || cpm->aid_node == UPQR_BERTLV_NONE || cpm->nodes[cpm->aid_node].length < 5 || cpm->pan_len < 12))
		abort();
	check_masking(cpm, diags);
}

/* tests/data/cpm-generated.tsv golden_tdes, made from tests/data/cpm-profile.json. */
static const char golden[] = "hQVDUFYwMWGBpU8IoAAAAzMBAQFQDlVuaW9uUGF5IERlYml0VwxiUJRwAAAAFNMBIgFfNAEAnwgCADCfGQYFASNFZ4mfJB1RMVoyWDNDNFY1QjZON004TDlLMEoxSDJHM0Y0RJ8lAgAUY0SfJghOQWYNQPKHNJ8nAYCfEAcGAaEDoAAAnzYCAAGCAnwAnzcEESIzRJ8CBgAAAAEjRV8qAgFWnxoCAVaaAyYRJ5wBAA==";

static void check_record(const upqr_cpm *cpm, upqr_diag_list *diags)
{
	static upqr_emv_key *imk;
	static upqr_cpm ref;
	static const uint8_t k[16] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF,
		0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10 };
	if (!imk && (upqr_emv_key_new(&imk, UPQR_EMV_KEY_TDES, k, 16) != UPQR_OK ||
			upqr_cpm_decode(&ref, NULL, golden, strlen(golden), NULL) != UPQR_OK))
		abort();
	upqr_cpm_profile p;
	if (cpm_golden_record(&p) != UPQR_OK)
		abort();
	upqr_diag_list_clear(diags);
	int rc = upqr_cpm_verify_token(NULL, imk, UPQR_CPM_KEY_IMK_OPTION_A, &p, cpm, diags);
	if (rc == UPQR_OK && (cpm->binary_len != ref.binary_len || memcmp(cpm->binary, ref.binary, ref.binary_len)))
		abort();
	if (rc != UPQR_OK && rc != UPQR_ERECORD && rc != UPQR_EMISMATCH)
		abort();
	if ((rc == UPQR_ERECORD) != (diags->errors == 1) || strstr(upqr_emv_key_last_error(imk), p.pan) ||
			(diags->count && strstr(diags->items[0].message, p.pan)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static upqr_cpm cpm;
	upqr_diag items[8];
	upqr_diag_list diags;
	upqr_diag_list_init(&diags, items, 8);
	int rc = upqr_cpm_decode(&cpm, NULL, (const char *)data, size, &diags);
	check(&cpm, rc, &diags);
	if (rc == UPQR_OK) {
		static char text[UPQR_CPM_TEXT_MAX + 1];
		size_t n;
		if (upqr_base64_encode(text, sizeof text, &n, cpm.binary, cpm.binary_len) != UPQR_OK ||
				n != size || memcmp(text, data, size) != 0)
			abort();
		check_record(&cpm, &diags);
		check_cvn(&cpm);
	}
	/* The same bytes as a binary payload, with UnionPay-only selection. */
	upqr_cpm_options o = UPQR_CPM_OPTIONS_INIT;
	o.unionpay_aids = 1;
	upqr_diag_list_clear(&diags);
	rc = upqr_cpm_decode_binary(&cpm, &o, data, size, &diags);
	check(&cpm, rc, &diags);
	return 0;
}
