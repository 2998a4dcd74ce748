/* fuzz_acp_form.c - the URL-encoded notification parser: strict, bounded, and
 * what it accepts survives encode -> parse unchanged. */
#include <stdlib.h>
#include <string.h>

#include "upqr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same(const upqr_acp_field *a, const upqr_acp_field *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i].key_len != b[i].key_len || a[i].value_len != b[i].value_len ||
				memcmp(a[i].key, b[i].key, a[i].key_len) ||
				(a[i].value_len && memcmp(a[i].value, b[i].value, a[i].value_len)))
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static upqr_acp_field f[UPQR_ACP_FIELDS_MAX], g[UPQR_ACP_FIELDS_MAX];
	size_t n = 0, m = 0, w = 0;
	char *scratch = malloc(size + 1);
	int rc = upqr_acp_parse_form(f, UPQR_ACP_FIELDS_MAX, &n, scratch, size, (const char *)data, size, NULL);
	if (rc != UPQR_OK) {
		free(scratch);
		return 0;
	}
	if (upqr_acp_form_encode(NULL, 0, &w, f, n) != UPQR_EBUFSIZE)
		abort();
	char *enc = malloc(w + 1), *scratch2 = malloc(w + 1);
	if (upqr_acp_form_encode(enc, w + 1, &w, f, n) != UPQR_OK ||
			upqr_acp_parse_form(g, UPQR_ACP_FIELDS_MAX, &m, scratch2, w, enc, w, NULL) != UPQR_OK ||
			m != n || !same(f, g, n))
		abort();
	free(enc);
	free(scratch2);
	free(scratch);
	return 0;
}
