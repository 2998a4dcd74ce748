/* fuzz_acp_response.c - the raw `k=v&k=v` response parser stays inside its input
 * and its fields always make a string to sign of the predicted size. */
#include <stdlib.h>
#include <string.h>

#include "upqr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	upqr_acp_field f[UPQR_ACP_FIELDS_MAX];
	size_t n = 0;
	upqr_diag items[4];
	upqr_diag_list d;
	upqr_diag_list_init(&d, items, 4);
	const char *body = (const char *)data;
	int rc = upqr_acp_parse_response(f, UPQR_ACP_FIELDS_MAX, &n, body, size, &d);
	if (rc != UPQR_OK) {
		if (d.errors == 0)
			abort();
		return 0;
	}
	size_t predicted = 0;
	for (size_t i = 0; i < n; i++) {
		if (f[i].key_len == 0 || f[i].key < body || f[i].key + f[i].key_len > body + size ||
				f[i].value < body || f[i].value + f[i].value_len > body + size ||
				memchr(f[i].key, '&', f[i].key_len) || memchr(f[i].key, '=', f[i].key_len))
			abort();
		if (f[i].key_len != 9 || memcmp(f[i].key, "signature", 9))
			predicted += f[i].key_len + 1 + f[i].value_len + 1;
	}
	size_t need = 0;
	rc = upqr_acp_string_to_sign(NULL, 0, &need, f, n);
	if (rc != UPQR_EBUFSIZE || need != (predicted ? predicted - 1 : 0))
		if (!(rc == UPQR_OK && predicted == 0))
			abort();
	return 0;
}
