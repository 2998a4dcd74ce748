/*
 * test_qr_zbar.c - what we render is what a real decoder reads: random
 * MPM-shaped payloads (ASCII, and with a Chinese or Hangul template 64) go
 * render -> PNG -> libpng decode -> ZBar, at every ECC level, and must come
 * back byte for byte. ZBar runs in binary mode so it hands back the bytes;
 * a second check uses ZBar's text mode to show that the ECI is honoured.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>
#include <qrencode.h>
#include <zbar.h>

#include "testutil.h"

typedef struct scanned {
	char data[4096];
	size_t len;
	int count;
} scanned;

/* Decodes a PNG and scans it with ZBar (QR only; binary mode when asked). */
static scanned scan_png(const uint8_t *png, size_t n, int binary)
{
	png_image img;
	memset(&img, 0, sizeof img);
	img.version = PNG_IMAGE_VERSION;
	assert_true(png_image_begin_read_from_memory(&img, png, n));
	img.format = PNG_FORMAT_GRAY;
	uint8_t *px = malloc(PNG_IMAGE_SIZE(img));
	assert_non_null(px);
	assert_true(png_image_finish_read(&img, NULL, px, 0, NULL));

	zbar_image_scanner_t *sc = zbar_image_scanner_create();
	zbar_image_scanner_set_config(sc, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
	zbar_image_scanner_set_config(sc, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
	zbar_image_scanner_set_config(sc, ZBAR_QRCODE, ZBAR_CFG_BINARY, binary);
	zbar_image_t *zi = zbar_image_create();
	zbar_image_set_format(zi, zbar_fourcc('Y', '8', '0', '0'));
	zbar_image_set_size(zi, img.width, img.height);
	zbar_image_set_data(zi, px, (unsigned long)img.width * img.height, NULL);
	scanned r = { .count = zbar_scan_image(sc, zi) };
	const zbar_symbol_t *sym = zbar_image_first_symbol(zi);
	if (sym) {
		r.len = zbar_symbol_get_data_length(sym);
		assert_true(r.len < sizeof r.data);
		memcpy(r.data, zbar_symbol_get_data(sym), r.len);
	}
	zbar_image_destroy(zi);
	zbar_image_scanner_destroy(sc);
	free(px);
	return r;
}

/* scale odd: 1-bit PNG, even: 8-bit, so both depths are read by a real decoder. */
static scanned render_and_scan(const char *payload, size_t len, upqr_qr_ecc ecc, unsigned scale, int binary)
{
	static uint8_t png[1 << 20];
	upqr_qr_options o = UPQR_QR_OPTIONS_INIT;
	o.ecc = ecc;
	o.scale = scale;
	o.png_bit_depth = scale % 2 ? 1 : 8;
	size_t n = 0;
	assert_int_equal(upqr_qr_render(png, sizeof png, &n, NULL, UPQR_QR_FORMAT_PNG, &o,
		(const uint8_t *)payload, len), UPQR_OK);
	return scan_png(png, n, binary);
}

/* ---- random MPM-shaped payloads with a valid CRC ---------------------- */

typedef struct gen {
	char buf[1024];
	size_t len;
	uint64_t *rng;
} gen;

static void put(gen *g, const char *s, size_t n)
{
	memcpy(g->buf + g->len, s, n);
	g->len += n;
}

/* An ID, its length in characters (MPM counts characters, not bytes), the value. */
static void tlv(gen *g, const char *id, const char *v, size_t chars)
{
	char hdr[5];
	snprintf(hdr, sizeof hdr, "%s%02zu", id, chars);
	put(g, hdr, 4);
	put(g, v, strlen(v));
}

static void ascii(gen *g, char *out, size_t n, const char *alphabet)
{
	size_t k = strlen(alphabet);
	for (size_t i = 0; i < n; i++)
		out[i] = alphabet[tu_rand(g->rng) % k];
	out[n] = 0;
}

/* n random characters from a 3-byte UTF-8 block: CJK ideographs or Hangul syllables. */
static void wide(gen *g, char *out, size_t n, uint32_t first, uint32_t count)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t cp = first + (uint32_t)(tu_rand(g->rng) % count);
		out[3 * i] = (char)(0xE0 | cp >> 12);
		out[3 * i + 1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[3 * i + 2] = (char)(0x80 | (cp & 0x3F));
	}
	out[3 * n] = 0;
}

/* kind 0: ASCII only; 1: Chinese template 64; 2: Hangul template 64. */
static void mpm_payload(gen *g, int kind)
{
	static const char digits[] = "0123456789";
	static const char ans[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 -.&";
	char v[128], name[128], city[128];
	g->len = 0;
	tlv(g, "00", "01", 2);
	tlv(g, "01", tu_rand(g->rng) % 2 ? "11" : "12", 2);
	size_t n = 15 + tu_rand(g->rng) % 17;
	ascii(g, v, n, digits);
	tlv(g, "15", v, n);
	tlv(g, "52", "5812", 4);
	tlv(g, "53", kind == 2 ? "410" : "156", 3);
	snprintf(v, sizeof v, "%u.%02u", (unsigned)(1 + tu_rand(g->rng) % 9999), (unsigned)(tu_rand(g->rng) % 100));
	tlv(g, "54", v, strlen(v));
	tlv(g, "58", kind == 2 ? "KR" : "CN", 2);
	n = 1 + tu_rand(g->rng) % 25;
	ascii(g, v, n, ans);
	tlv(g, "59", v, n);
	n = 1 + tu_rand(g->rng) % 15;
	ascii(g, v, n, ans);
	tlv(g, "60", v, n);
	if (kind) {
		size_t nn = 1 + tu_rand(g->rng) % 10, nc = 1 + tu_rand(g->rng) % 6;
		uint32_t first = kind == 1 ? 0x4E00 : 0xAC00, count = kind == 1 ? 0x5000 : 11172;
		wide(g, name, nn, first, count);
		wide(g, city, nc, first, count);
		char tmpl[200];
		gen t = { .len = 0, .rng = g->rng };
		tlv(&t, "00", kind == 1 ? "ZH" : "KO", 2);
		tlv(&t, "01", name, nn);
		tlv(&t, "02", city, nc);
		memcpy(tmpl, t.buf, t.len);
		tmpl[t.len] = 0;
		tlv(g, "64", tmpl, 6 + 4 + nn + 4 + nc);
	}
	put(g, "6304", 4);
	snprintf(v, sizeof v, "%04X", upqr_crc16(g->buf, g->len));
	put(g, v, 4);
}

static void test_roundtrip_every_level(void **state)
{
	(void)state;
	uint64_t rng = tu_seed();
	gen g = { .rng = &rng };
	size_t iters = tu_iterations(12);
	for (int lv = 0; lv < 4; lv++)
		for (int kind = 0; kind < 3; kind++)
			for (size_t i = 0; i < iters; i++) {
				mpm_payload(&g, kind);
				unsigned scale = 2 + (unsigned)(tu_rand(&rng) % 3);
				scanned r = render_and_scan(g.buf, g.len, (upqr_qr_ecc)lv, scale, 1);
				if (r.count != 1 || r.len != g.len || memcmp(r.data, g.buf, g.len) != 0)
					fail_msg("level %s kind %d: sent %zu bytes '%.*s', read %d symbol(s), %zu bytes",
						upqr_qr_ecc_name((upqr_qr_ecc)lv), kind, g.len, (int)g.len, g.buf,
						r.count, r.len);
			}
}

/* Random bytes of every printable ASCII and a few multi-byte characters, longer texts. */
static void test_roundtrip_long_text(void **state)
{
	(void)state;
	static char buf[1200];
	uint64_t rng = tu_seed() ^ 0xABCDEF;
	size_t iters = tu_iterations(8);
	for (size_t i = 0; i < iters; i++) {
		size_t n = 0, want = 100 + tu_rand(&rng) % 900;
		while (n < want) {
			if (tu_rand(&rng) % 8 == 0) {
				memcpy(buf + n, "\xea\xb0\x80", 3); /* 가 */
				n += 3;
			} else {
				buf[n++] = (char)(0x20 + tu_rand(&rng) % 95);
			}
		}
		upqr_qr_ecc lv = (upqr_qr_ecc)(tu_rand(&rng) % 4);
		scanned r = render_and_scan(buf, n, lv, 2 + (unsigned)(i % 2), 1);
		assert_int_equal(r.count, 1);
		assert_int_equal(r.len, n);
		assert_memory_equal(r.data, buf, n);
	}
}

/*
 * ZBar's text mode converts by the ECI: with ECI 000026 the short UTF-8 text
 * 北京 comes back as itself. Without it ZBar guesses (Shift-JIS for short
 * texts), which is why MPM requires the ECI.
 */
static void test_eci_honoured_by_text_mode(void **state)
{
	(void)state;
	const char *bj = "\xe5\x8c\x97\xe4\xba\xac";
	scanned r = render_and_scan(bj, 6, UPQR_QR_ECC_M, 4, 0);
	assert_int_equal(r.count, 1);
	assert_int_equal(r.len, 6);
	assert_memory_equal(r.data, bj, 6);

	/* The same bytes without ECI, straight from libqrencode: ZBar mangles them. */
	static uint8_t m[UPQR_QR_MODULES_MAX], png[1 << 16];
	QRcode *c = QRcode_encodeData(6, (const uint8_t *)bj, 0, QR_ECLEVEL_M);
	assert_non_null(c);
	size_t size = (size_t)c->width, n = 0;
	for (size_t i = 0; i < size * size; i++)
		m[i] = c->data[i] & 1;
	QRcode_free(c);
	assert_int_equal(upqr_qr_png(png, sizeof png, &n, NULL, m, size), UPQR_OK);
	r = scan_png(png, n, 0);
	assert_int_equal(r.count, 1);
	assert_false(r.len == 6 && memcmp(r.data, bj, 6) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_every_level),
		cmocka_unit_test(test_roundtrip_long_text),
		cmocka_unit_test(test_eci_honoured_by_text_mode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
