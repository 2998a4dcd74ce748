/*
 * fuzz_scan_image.c - the image-input path: PNG/JPEG decoding, raw grey,
 * NV21 and BGRA frames, the scan passes and symbol classification.
 *
 * Byte 0 picks the input: bits 0-1 = 0 encoded image, 1 grey, 2 NV21,
 * 3 BGRA; bit 2 = run every pass (try_harder), else the plain pass only;
 * bit 3 = camera mode, the input scanned as two frames in a row (the second
 * one with the first one's pool, tracking and de-duplication).
 * Frames: bytes 1-3 give width, height and extra stride (each 1..64).
 * The pixel cap is lowered to 96x96 so that ZBar (not instrumented, and the
 * slow part) keeps the run fast; the cap checks themselves are exercised.
 */
#include <stdlib.h>
#include <string.h>

#include "upqr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_results(const upqr_scanner *s, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		const upqr_scan_symbol *sym = upqr_scanner_symbol(s, i);
		if (!sym || sym->data[sym->len] != 0 || (sym->valid && sym->kind == UPQR_SCAN_KIND_OTHER))
			abort();
		volatile uint8_t sink = 0;
		for (size_t k = 0; k < sym->len; k++)
			sink ^= sym->data[k];
		(void)sink;
	}
	if (upqr_scanner_symbol(s, count) != NULL)
		abort();
}

static void scan_once(upqr_scanner *s, const uint8_t *data, size_t size)
{
	size_t count = 0;
	int rc;
	int mode = data[0] & 3;
	if (mode == 0 || size < 4) {
		rc = upqr_scan_image(&count, s, data + 1, size - 1);
	} else {
		unsigned w = 1u + data[1] % 64, h = 1u + data[2] % 64;
		size_t bpp = mode == 3 ? 4 : 1, stride = w * bpp + data[3] % 8;
		const uint8_t *px = data + 4;
		size_t len = size - 4;
		if (mode == 1)
			rc = upqr_scan_grey(&count, s, px, len, w, h, stride);
		else if (mode == 2)
			rc = upqr_scan_nv21(&count, s, px, len, w, h, stride);
		else
			rc = upqr_scan_bgra(&count, s, px, len, w, h, stride);
	}
	if (rc == UPQR_OK)
		check_results(s, count);
	else if (count != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	upqr_scan_options o = UPQR_SCAN_OPTIONS_INIT;
	o.max_pixels = 96 * 96;
	o.try_harder = (data[0] >> 2) & 1;
	o.video = (data[0] >> 3) & 1;
	upqr_scanner *s = NULL;
	if (upqr_scanner_new(&s, &o) != UPQR_OK)
		abort();
	scan_once(s, data, size);
	if (o.video)
		scan_once(s, data, size);
	upqr_scanner_free(s);
	return 0;
}
