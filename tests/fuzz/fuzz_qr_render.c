/*
 * fuzz_qr_render.c - payload and options -> every output format. The first
 * two bytes pick the options; the rest is the payload. Checks the size
 * query contract and that outputs stay within what was asked for.
 */
#include <stdlib.h>
#include <string.h>

#include "upqr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void render_all(const upqr_qr_options *o, const uint8_t *p, size_t n)
{
	static const upqr_qr_format formats[] = {
		UPQR_QR_FORMAT_MODULES, UPQR_QR_FORMAT_PIXELS, UPQR_QR_FORMAT_PNG,
		UPQR_QR_FORMAT_SVG, UPQR_QR_FORMAT_TEXT,
	};
	for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
		size_t need = 0, got = 0;
		upqr_qr_info info;
		int rc = upqr_qr_render(NULL, 0, &need, &info, formats[i], o, p, n);
		if (rc != UPQR_EBUFSIZE)
			return; /* refused payload: every format must refuse alike */
		size_t cap = need + 1;
		uint8_t *out = malloc(cap);
		if (!out)
			abort();
		rc = upqr_qr_render(out, cap, &got, &info, formats[i], o, p, n);
		if (rc != UPQR_OK || got != need || info.size != 17 + 4 * (size_t)info.version)
			abort();
		free(out);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2 || size > 3000)
		return 0;
	upqr_qr_options o;
	if (upqr_qr_options_init(&o, UPQR_QR_OPTIONS_VERSION) != UPQR_OK)
		abort();
	o.ecc = (upqr_qr_ecc)(data[0] & 3);
	o.scale = 1 + (data[0] >> 2 & 3);
	o.margin = 4 + (data[1] & 3);
	o.theme = (upqr_qr_theme)(data[1] >> 2 & 1);
	o.png_bit_depth = (data[1] & 8) ? 1 : 8;
	render_all(&o, data + 2, size - 2);
	return 0;
}
