/*
 * fuzz_cpm_decode.c - CPM decode never misbehaves: status and diagnostics
 * agree, views stay in the struct, a valid payload re-encodes to the same
 * text (strict base64), and no masked output leaks the full PAN.
 */
#include <stdlib.h>
#include <string.h>

#include "upqr.h"

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
		if (x->value < cpm->binary || x->value + x->length > cpm->binary + cpm->binary_len)
			abort();
	}
	if (rc == UPQR_OK && (cpm->selected < 0 || cpm->aid.len < 5 || cpm->pan_len < 12))
		abort();
	check_masking(cpm, diags);
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
	}
	/* The same bytes as a binary payload, with UnionPay-only selection. */
	upqr_cpm_options o = UPQR_CPM_OPTIONS_INIT;
	o.unionpay_aids = 1;
	upqr_diag_list_clear(&diags);
	rc = upqr_cpm_decode_binary(&cpm, &o, data, size, &diags);
	check(&cpm, rc, &diags);
	return 0;
}
