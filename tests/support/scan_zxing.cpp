/*
 * scan_zxing.cpp - test-only comparison engine: one plain zxing-cpp call
 * (QR only, the library's default hints) on a corpus image. Built only when
 * Debian's libzxing-dev is installed (see the Makefile); scan_corpus.c
 * declares the function weak and reports "not measured" without it. The
 * SDK never links zxing.
 */
#include <cstring>

#include <ZXing/ReadBarcode.h>

extern "C" {
#include "scan_corpus.h"
}

extern "C" int sc_zxing_plain_reads(const sc_img *img, const uint8_t *want, size_t want_len)
{
	ZXing::DecodeHints hints;
	hints.setFormats(ZXing::BarcodeFormat::QRCode);
	ZXing::ImageView view(img->px, img->w, img->h, ZXing::ImageFormat::Lum);
	for (const auto &r : ZXing::ReadBarcodes(view, hints)) {
		const auto &b = r.bytes();
		if (b.size() == want_len && std::memcmp(b.data(), want, want_len) == 0)
			return 1;
	}
	return 0;
}
