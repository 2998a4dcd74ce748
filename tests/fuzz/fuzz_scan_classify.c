/* fuzz_scan_classify.c - symbol classification (MPM / CPM / UnionPay link) on any bytes. */
#include <stdlib.h>
#include <string.h>

#include "upqr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	upqr_diag d[4];
	upqr_scan_symbol sym;
	int rc = upqr_scan_classify(&sym, d, 4, NULL, data, size);
	if (rc == UPQR_ENOMEM)
		return 0;
	if (rc != UPQR_OK)
		abort();
	/* Valid means a payment kind with no error; URL parts lie inside the input. */
	if (sym.valid && (sym.kind == UPQR_SCAN_KIND_OTHER || sym.diags.errors || sym.status))
		abort();
	if (!sym.valid && sym.kind != UPQR_SCAN_KIND_OTHER && sym.diags.errors == 0)
		abort();
	if (sym.acquirer && ((const uint8_t *)sym.acquirer < data ||
			(const uint8_t *)sym.id + sym.id_len > data + size || sym.acquirer_len != 8))
		abort();
	/* An MPM reported valid really has a matching CRC over everything before it. */
	if (sym.valid && sym.kind == UPQR_SCAN_KIND_MPM) {
		char want[5];
		uint16_t crc = upqr_crc16(data, size - 4);
		static const char hx[] = "0123456789ABCDEF";
		for (int i = 0; i < 4; i++)
			want[i] = hx[(crc >> (12 - 4 * i)) & 15];
		for (int i = 0; i < 4; i++) {
			char c = (char)data[size - 4 + i];
			if (c >= 'a' && c <= 'f')
				c = (char)(c - 'a' + 'A');
			if (c != want[i])
				abort();
		}
	}
	return 0;
}
