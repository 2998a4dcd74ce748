/* fuzz_base64.c - strict base64 decode never overreads and round-trips exactly. */
#include <stdlib.h>
#include <string.h>

#include "upqr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t need = 0, n = 0;
	int rc = upqr_base64_decode(NULL, 0, &need, (const char *)data, size, NULL);
	if (rc == UPQR_EBASE64)
		return 0;
	if (rc != UPQR_EBUFSIZE && !(rc == UPQR_OK && size == 0))
		abort();
	uint8_t *out = malloc(need + 1);
	if (upqr_base64_decode(out, need, &n, (const char *)data, size, NULL) != UPQR_OK || n != need)
		abort();
	/* Strictness means the encoding is canonical: re-encoding gives the input back. */
	char *enc = malloc(size + 1);
	size_t m = 0;
	if (upqr_base64_encode(enc, size + 1, &m, out, n) != UPQR_OK || m != size ||
			memcmp(enc, data, size) != 0)
		abort();
	free(enc);
	free(out);
	return 0;
}
