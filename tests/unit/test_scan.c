/*
 * test_scan.c - the scanner: every input format, every error path, raw
 * bytes (no Shift-JIS guessing), symbol kinds and positions, allocation
 * failure, and render -> PNG -> scan round trips of random valid payloads.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zbar.h>

#include "scan/scan_internal.h"
#include "scan_corpus.h"
#include "testutil.h"

/* EMVCo MPM v1.0 Annex B.7 (tests/data/scan-payloads.tsv row 1): Chinese template 64. */
static const char ANNEX_B7[] =
	"00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678520441"
	"115802CN5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京540523.72530315655"
	"02016233030412340603***0708A60086670902ME91320016A0112233449988770708123456786304A13A";
/* EMVCo CPM v1.0 Annex B.1. */
static const char CPM_B1[] = "hQVDUFYwMWEaTwegAAAAVVVVVw8SNFZ4kBI0WNGRIgESNF8=";
static const char URL[] = "https://qr.95516.com/00010000/62622847681799056315106438022626";

static upqr_scanner *new_scanner(void)
{
	upqr_scanner *s = NULL;
	assert_int_equal(upqr_scanner_new(&s, NULL), UPQR_OK);
	return s;
}

static sc_img draw(const char *payload, int ecc)
{
	sc_draw d;
	sc_draw_defaults(&d);
	d.ecc = ecc;
	sc_img img;
	assert_int_equal(sc_render(&img, (const uint8_t *)payload, strlen(payload), &d), 0);
	return img;
}

static int scan_img(size_t *count, upqr_scanner *s, const sc_img *img)
{
	return upqr_scan_grey(count, s, img->px, (size_t)img->w * (size_t)img->h, (unsigned)img->w,
		(unsigned)img->h, (size_t)img->w);
}

static const upqr_scan_symbol *only_symbol(upqr_scanner *s, const char *want)
{
	const upqr_scan_symbol *sym = upqr_scanner_symbol(s, 0);
	assert_non_null(sym);
	assert_int_equal(sym->len, strlen(want));
	assert_memory_equal(sym->data, want, sym->len);
	assert_int_equal(sym->data[sym->len], 0);
	assert_null(upqr_scanner_symbol(s, 1));
	return sym;
}

/* ---- options and handle ------------------------------------------------------ */

static void test_options_and_handle(void **state)
{
	(void)state;
	upqr_scan_options o;
	assert_int_equal(upqr_scan_options_init(&o, UPQR_SCAN_OPTIONS_VERSION), UPQR_OK);
	assert_int_equal(o.version, UPQR_SCAN_OPTIONS_VERSION);
	assert_int_equal(o.try_harder, 1);
	assert_int_equal(upqr_scan_options_init(&o, 99), UPQR_EVERSION);
	assert_int_equal(upqr_scan_options_init(NULL, 1), UPQR_EINVAL);
	upqr_scanner *s = (upqr_scanner *)&o;
	o.version = 3;
	assert_int_equal(upqr_scanner_new(&s, &o), UPQR_EVERSION);
	assert_null(s);
	assert_int_equal(upqr_scanner_new(NULL, NULL), UPQR_EINVAL);
	upqr_scanner_free(NULL);
	assert_string_equal(upqr_scanner_last_error(NULL), "");
	assert_null(upqr_scanner_symbol(NULL, 0));
	assert_int_equal(upqr_scan_max_pixels(), UPQR_SCAN_MAX_PIXELS);
	assert_int_equal(upqr_scan_max_dimension(), UPQR_SCAN_MAX_DIMENSION);
	assert_int_equal(upqr_scan_max_file_bytes(), UPQR_SCAN_MAX_FILE_BYTES);
	assert_int_equal(upqr_scan_max_symbols(), UPQR_SCAN_MAX_SYMBOLS);
	assert_string_equal(upqr_scan_kind_name(UPQR_SCAN_KIND_MPM), "mpm");
	assert_string_equal(upqr_scan_kind_name(UPQR_SCAN_KIND_CPM), "cpm");
	assert_string_equal(upqr_scan_kind_name(UPQR_SCAN_KIND_UNIONPAY_URL), "unionpay-url");
	assert_string_equal(upqr_scan_kind_name(UPQR_SCAN_KIND_OTHER), "other");
	assert_string_equal(upqr_scan_kind_name((upqr_scan_kind)77), "other");
}

/* ---- classification ------------------------------------------------------------ */

static upqr_scan_symbol classify(const char *text, upqr_diag *d, size_t cap)
{
	upqr_scan_symbol sym;
	assert_int_equal(upqr_scan_classify(&sym, d, cap, NULL, (const uint8_t *)text, strlen(text)),
		UPQR_OK);
	return sym;
}

static void expect_invalid(const char *text, upqr_scan_kind kind, int status, const char *code)
{
	upqr_diag d[8];
	upqr_scan_symbol sym = classify(text, d, 8);
	assert_int_equal(sym.kind, kind);
	assert_int_equal(sym.valid, 0);
	assert_int_equal(sym.status, status);
	if (!upqr_diag_list_find(&sym.diags, code))
		fail_msg("%s: no diag %s (first: %s)", text, code, sym.diags.count ? d[0].code : "-");
}

/* An MPM payload with its CRC recomputed (for tests that alter the body). */
static char *with_crc(const char *body)
{
	size_t n = strlen(body);
	char *p = malloc(n + 9);
	memcpy(p, body, n);
	memcpy(p + n, "6304", 4);
	snprintf(p + n + 4, 5, "%04X", upqr_crc16(p, n + 4));
	return p;
}

static void test_classify_mpm(void **state)
{
	(void)state;
	upqr_diag d[8];
	upqr_scan_symbol sym = classify(ANNEX_B7, d, 8);
	assert_int_equal(sym.kind, UPQR_SCAN_KIND_MPM);
	assert_int_equal(sym.valid, 1);
	assert_int_equal(sym.status, UPQR_OK);
	assert_int_equal(sym.diags.count, 0);
	/* Lower-case CRC hex is accepted (seen in Bharat QR). */
	char lower[sizeof ANNEX_B7];
	memcpy(lower, ANNEX_B7, sizeof ANNEX_B7);
	memcpy(lower + strlen(lower) - 4, "a13a", 4);
	assert_int_equal(classify(lower, d, 8).valid, 1);
	/* One flipped character: CRC mismatch, never valid. */
	char bad[sizeof ANNEX_B7];
	memcpy(bad, ANNEX_B7, sizeof ANNEX_B7);
	bad[60] = bad[60] == '1' ? '2' : '1';
	expect_invalid(bad, UPQR_SCAN_KIND_MPM, UPQR_ECHECKSUM, "crc_mismatch");
	/* Structure errors: the MPM module's diagnostics. */
	expect_invalid("000201010211", UPQR_SCAN_KIND_MPM, UPQR_EINVALID, "missing_mandatory");
	expect_invalid("0002010102116304", UPQR_SCAN_KIND_MPM, UPQR_EINVALID, "length_overrun");
	expect_invalid("00020101021163041234X", UPQR_SCAN_KIND_MPM, UPQR_EINVALID, "bad_id");
	expect_invalid("0002010102116304ZZZZ", UPQR_SCAN_KIND_MPM, UPQR_EINVALID, "bad_format");
	expect_invalid("00020101AB", UPQR_SCAN_KIND_MPM, UPQR_EINVALID, "bad_length");
	char *p = with_crc("000202010211");
	expect_invalid(p, UPQR_SCAN_KIND_MPM, UPQR_EINVALID, "bad_value");
	free(p);
	p = with_crc("0002010002015204411153031565802CN5901A6001B1502AB");
	expect_invalid(p, UPQR_SCAN_KIND_MPM, UPQR_EINVALID, "duplicate_id");
	free(p);
	p = with_crc("0002015204411153031565802CN5901A6001B1502AB");
	sym = classify(p, d, 8);
	assert_int_equal(sym.valid, 1);
	free(p);
	/* Invalid UTF-8 (a Shift-JIS byte pair where UTF-8 belongs). */
	expect_invalid("00020164040002\x96\x6b", UPQR_SCAN_KIND_MPM, UPQR_EINVALID, "bad_utf8");
	/* Length counts characters: template 64 of 12 characters is 18 bytes. */
	p = with_crc("0002015204411153031565802CN5901A6001B1502AB64120002ZH0102北京");
	assert_int_equal(classify(p, d, 8).valid, 1);
	free(p);
	p = with_crc("0002015204411153031565802CN5901A6001B1502AB64130002ZH0103北京");
	assert_int_equal(classify(p, d, 8).valid, 0);
	free(p);
	/* CRC-valid but against the rules (city of 16 characters: phannaly/emv-qr-code README). */
	expect_invalid("00020101021252044131153137210116372101160123456789ABCDE6016Banteay Meanchey"
		"5913Kuntheas Shop5802KH540510.005303840621201081234567863041FF2",
		UPQR_SCAN_KIND_MPM, UPQR_EINVALID, "length_limit");
	/* The UnionPay profile adds its rules (ID 15 must be 8N + 8N + 15 ans). */
	p = with_crc("0002015204411153031565802CN5901A6001B1502AB");
	assert_int_equal(upqr_scan_classify(&sym, d, 8, upqr_mpm_profile_unionpay(),
		(const uint8_t *)p, strlen(p)), UPQR_OK);
	assert_int_equal(sym.valid, 0);
	assert_non_null(upqr_diag_list_find(&sym.diags, "bad_unionpay_id"));
	free(p);
	/* A full diagnostics list still leaves the symbol invalid. */
	p = with_crc("000202");
	sym = classify(p, NULL, 0);
	assert_int_equal(sym.valid, 0);
	assert_true(sym.diags.errors > 0);
	assert_int_equal(sym.diags.count, 0);
	free(p);
	assert_int_equal(upqr_scan_classify(NULL, NULL, 0, NULL, NULL, 0), UPQR_EINVAL);
	assert_int_equal(upqr_scan_classify(&sym, NULL, 0, NULL, NULL, 3), UPQR_EINVAL);
	assert_int_equal(upqr_scan_classify(&sym, NULL, 4, NULL, (const uint8_t *)"x", 1), UPQR_EINVAL);
	assert_int_equal(upqr_scan_classify(&sym, NULL, 0, NULL, NULL, 0), UPQR_OK);
	assert_int_equal(sym.kind, UPQR_SCAN_KIND_OTHER);
}

static void test_classify_cpm(void **state)
{
	(void)state;
	upqr_diag d[8];
	upqr_scan_symbol sym = classify(CPM_B1, d, 8);
	assert_int_equal(sym.kind, UPQR_SCAN_KIND_CPM);
	assert_int_equal(sym.valid, 1);
	/* Annex B.2: two application templates and a 62. */
	sym = classify("hQVDUFYwMWETTwegAAAAVVVVUAhQcm9kdWN0MWETTwegAAAAZmZmUAhQcm9kdWN0MmJJWggSNFZ4kBI0WF8g"
		"DkNBUkRIT0xERVIvRU1WXy0IcnVlc2RlZW5kIZ8QBwYBCgMAAACfJghYT9OF+iNLzJ82AgABnzcEbVjvEw==", d, 8);
	assert_int_equal(sym.valid, 1);
	/* The CPM module's verdicts: base64 broken, BER-TLV broken, wrong version, no 61. */
	expect_invalid("hQVDUFYwMWEaTwegAAAAVVVVVw8SNFZ4kBI0WNGRIgESNF8", UPQR_SCAN_KIND_CPM,
		UPQR_EBASE64, "base64_invalid");
	expect_invalid("hQVDUFYwMWEa", UPQR_SCAN_KIND_CPM, UPQR_ETLV, "tlv_truncated");
	expect_invalid("hQVDUFYwMg==", UPQR_SCAN_KIND_CPM, UPQR_EINVALID, "pfi_version_unsupported");
	expect_invalid("hQVDUFYwMQ==", UPQR_SCAN_KIND_CPM, UPQR_EINVALID, "app_template_missing");
	expect_invalid("hQVDUFYwMWIA", UPQR_SCAN_KIND_CPM, UPQR_EINVALID, "app_template_missing");
	expect_invalid("hQVDUFYwMZ8mgQE=", UPQR_SCAN_KIND_CPM, UPQR_ETLV, "tlv_length_nonminimal");
	/* Decoding further: AID and the PAN, masked. */
	upqr_cpm *cpm = malloc(sizeof *cpm);
	sym = classify(CPM_B1, d, 8);
	assert_int_equal(upqr_scan_symbol_cpm(cpm, &sym, NULL, NULL), UPQR_OK);
	assert_int_equal(cpm->valid, 1);
	assert_string_equal(cpm->pan_masked, "123456******3458");
	sym = classify(URL, d, 8);
	assert_int_equal(upqr_scan_symbol_cpm(cpm, &sym, NULL, NULL), UPQR_EINVAL);
	free(cpm);
}

static void test_classify_url(void **state)
{
	(void)state;
	upqr_diag d[8];
	upqr_scan_symbol sym = classify(URL, d, 8);
	assert_int_equal(sym.kind, UPQR_SCAN_KIND_UNIONPAY_URL);
	assert_int_equal(sym.valid, 1);
	assert_int_equal(sym.acquirer_len, 8);
	assert_memory_equal(sym.acquirer, "00010000", 8);
	assert_int_equal(sym.id_len, 32);
	assert_memory_equal(sym.id, "62622847681799056315106438022626", 32);
	/* Scheme and host are case-insensitive (RFC 3986); QR alphanumeric mode makes them upper case. */
	sym = classify("HTTPS://QR.95516.COM/03095810/ABC123", d, 8);
	assert_int_equal(sym.valid, 1);
	assert_memory_equal(sym.acquirer, "03095810", 8);
	/* Look-alikes are not UnionPay links at all. */
	static const char *const other[] = {
		"http://qr.95516.com/00010000/1", "https://qr.95516.com.evil.example/00010000/1",
		"https://qr.95516.com@evil.example/00010000/1", "https://qr-95516.com/00010000/1",
		"https://qr.95516.co/00010000/1", "https://xqr.95516.com/00010000/1", "hello",
		" https://qr.95516.com/00010000/1", "",
	};
	for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
		sym = classify(other[i], d, 8);
		assert_int_equal(sym.kind, UPQR_SCAN_KIND_OTHER);
		assert_int_equal(sym.valid, 0);
		assert_int_equal(sym.status, UPQR_OK);
	}
	/* The host is right but the path is not: a UnionPay link, invalid. */
	static const char *const bad[][2] = {
		{ "https://qr.95516.com/0001000/12345", "url_acquirer_invalid" },
		{ "https://qr.95516.com/0001000A/12345", "url_acquirer_invalid" },
		{ "https://qr.95516.com/00010000", "url_acquirer_invalid" },
		{ "https://qr.95516.com/00010000/", "url_id_invalid" },
		{ "https://qr.95516.com/00010000/123?x=1", "url_id_invalid" },
		{ "https://qr.95516.com/00010000/123/", "url_id_invalid" },
		{ "https://qr.95516.com/00010000/12345678901234567890123456789012345678901234567890"
			"123456789012345", "url_id_invalid" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		expect_invalid(bad[i][0], UPQR_SCAN_KIND_UNIONPAY_URL, UPQR_EINVALID, bad[i][1]);
}

/* ---- bytes, not guesses ------------------------------------------------------- */

static void test_utf8_bytes_intact(void **state)
{
	(void)state;
	upqr_scanner *s = new_scanner();
	sc_draw d;
	sc_draw_defaults(&d);
	static const char *const texts[] = { "北京", ANNEX_B7 };
	for (int eci = 0; eci < 2; eci++)
		for (size_t t = 0; t < 2; t++) {
			d.no_eci = !eci;
			sc_img img;
			assert_int_equal(sc_render(&img, (const uint8_t *)texts[t], strlen(texts[t]), &d), 0);
			size_t count = 0;
			assert_int_equal(scan_img(&count, s, &img), UPQR_OK);
			assert_int_equal(count, 1);
			only_symbol(s, texts[t]);
			/* What ZBar returns with its defaults (text mode): the mangling upqr avoids. */
			uint8_t def[1024];
			size_t n = 0;
			sc_zbar_pass(&img, 0, NULL, 0, def, sizeof def, &n);
			if (!eci && t == 0)
				printf("# ZBar defaults read 北京 without ECI as %zu bytes%s\n", n,
					n == strlen(texts[t]) && !memcmp(def, texts[t], n) ? " (intact)" : " (mangled)");
			sc_img_free(&img);
		}
	/* The Annex B.7 payload is a valid MPM either way: the CRC holds over the raw bytes. */
	const upqr_scan_symbol *sym = upqr_scanner_symbol(s, 0);
	assert_int_equal(sym->kind, UPQR_SCAN_KIND_MPM);
	assert_int_equal(sym->valid, 1);
	upqr_scanner_free(s);
}

/* ---- inputs ---------------------------------------------------------------- */

/* The same picture as PNG and as JPEG of that quality (malloc'd). */
static void encode_both(const sc_img *img, int quality, uint8_t **png, size_t *png_len,
		uint8_t **jpg, size_t *jpg_len)
{
	assert_int_equal(sc_png_encode(img, png, png_len), 0);
	assert_int_equal(sc_jpeg_encode(img, quality, jpg, jpg_len), 0);
}

static void check_corners(const upqr_scan_symbol *sym, int w, int h)
{
	assert_int_equal(sym->corner_count, 4);
	for (int i = 0; i < 4; i++) {
		assert_in_range(sym->corners[i].x, 0, w);
		assert_in_range(sym->corners[i].y, 0, h);
	}
}

static void test_png_and_jpeg(void **state)
{
	(void)state;
	upqr_scanner *s = new_scanner();
	sc_img img = draw(ANNEX_B7, 1);
	uint8_t *png = NULL, *jpg = NULL;
	size_t png_len = 0, jpg_len = 0, count = 0;
	encode_both(&img, 85, &png, &png_len, &jpg, &jpg_len);
	assert_int_equal(upqr_scan_image(&count, s, png, png_len), UPQR_OK);
	assert_int_equal(count, 1);
	const upqr_scan_symbol *sym = only_symbol(s, ANNEX_B7);
	assert_int_equal(sym->valid, 1);
	assert_string_equal(sym->pass, "plain");
	check_corners(sym, img.w, img.h);
	/* The quiet zone is 4 modules of 4 px plus 16 px padding: corners sit near (32, 32). */
	int minx = img.w, miny = img.h;
	for (int i = 0; i < 4; i++) {
		minx = sym->corners[i].x < minx ? sym->corners[i].x : minx;
		miny = sym->corners[i].y < miny ? sym->corners[i].y : miny;
	}
	assert_in_range(minx, 28, 36);
	assert_in_range(miny, 28, 36);
	assert_int_equal(upqr_scan_image(&count, s, jpg, jpg_len), UPQR_OK);
	only_symbol(s, ANNEX_B7);
	/* Files. */
	const char *path = "build/test-scan-tmp.png";
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	fwrite(png, 1, png_len, f);
	fclose(f);
	assert_int_equal(upqr_scan_file(&count, s, path), UPQR_OK);
	only_symbol(s, ANNEX_B7);
	remove(path);
	assert_int_equal(upqr_scan_file(&count, s, "build/does-not-exist.png"), UPQR_EIO);
	assert_int_equal(count, 0);
	assert_non_null(strstr(upqr_scanner_last_error(s), "does-not-exist"));
	assert_int_equal(upqr_scan_file(&count, s, "tests"), UPQR_EIO);
	assert_int_equal(upqr_scan_file(&count, s, NULL), UPQR_EINVAL);
	free(png);
	free(jpg);
	sc_img_free(&img);
	upqr_scanner_free(s);
}

static void test_camera_frames(void **state)
{
	(void)state;
	upqr_scanner *s = new_scanner();
	sc_img img = draw(URL, 2);
	unsigned w = (unsigned)img.w, h = (unsigned)img.h;
	uint64_t rng = tu_seed();
	size_t count = 0;
	/* Grey with row padding full of junk. */
	size_t stride = w + 13;
	uint8_t *grey = malloc(stride * h);
	for (size_t i = 0; i < stride * h; i++)
		grey[i] = (uint8_t)tu_rand(&rng);
	for (unsigned y = 0; y < h; y++)
		memcpy(grey + y * stride, img.px + (size_t)y * w, w);
	assert_int_equal(upqr_scan_grey(&count, s, grey, stride * (h - 1) + w, w, h, stride), UPQR_OK);
	const upqr_scan_symbol *sym = only_symbol(s, URL);
	assert_int_equal(sym->kind, UPQR_SCAN_KIND_UNIONPAY_URL);
	assert_int_equal(sym->valid, 1);
	check_corners(sym, (int)w, (int)h);
	assert_int_equal(upqr_scan_grey(&count, s, grey, stride * (h - 1) + w - 1, w, h, stride),
		UPQR_EINVAL);
	assert_int_equal(upqr_scan_grey(&count, s, grey, stride * h, w, h, w - 1), UPQR_EINVAL);
	assert_int_equal(upqr_scan_grey(&count, s, NULL, stride * h, w, h, stride), UPQR_EINVAL);
	assert_int_equal(upqr_scan_grey(&count, s, grey, stride * h, 0, h, stride), UPQR_EINVAL);
	assert_int_equal(upqr_scan_grey(NULL, s, grey, stride * h, w, h, stride), UPQR_EINVAL);
	assert_int_equal(upqr_scan_grey(&count, NULL, grey, stride * h, w, h, stride), UPQR_EINVAL);
	assert_int_equal(upqr_scan_grey(&count, s, grey, SIZE_MAX, w, h, SIZE_MAX / 2), UPQR_EINVAL);
	free(grey);
	/* NV21: Y plane then VU; the chroma must not matter. */
	size_t ys = w + 3, nv_len = ys * h + ys * ((h + 1) / 2);
	uint8_t *nv = malloc(nv_len);
	for (size_t i = 0; i < nv_len; i++)
		nv[i] = (uint8_t)tu_rand(&rng);
	for (unsigned y = 0; y < h; y++)
		memcpy(nv + y * ys, img.px + (size_t)y * w, w);
	assert_int_equal(upqr_scan_nv21(&count, s, nv, nv_len, w, h, ys), UPQR_OK);
	only_symbol(s, URL);
	assert_int_equal(upqr_scan_nv21(&count, s, nv, ys * h, w, h, ys), UPQR_EINVAL);
	assert_int_equal(upqr_scan_nv21(&count, s, nv, nv_len, w, h, w - 1), UPQR_EINVAL);
	free(nv);
	/* BGRA: a dark blue code on a warm white, alpha junk. */
	size_t bs = (size_t)w * 4 + 8;
	uint8_t *bgra = malloc(bs * h);
	for (unsigned y = 0; y < h; y++)
		for (unsigned x = 0; x < w; x++) {
			uint8_t v = img.px[(size_t)y * w + x], *p = bgra + y * bs + (size_t)x * 4;
			p[0] = v < 128 ? 120 : 225;
			p[1] = v < 128 ? 40 : 240;
			p[2] = v < 128 ? 10 : 250;
			p[3] = (uint8_t)tu_rand(&rng);
		}
	assert_int_equal(upqr_scan_bgra(&count, s, bgra, bs * h, w, h, bs), UPQR_OK);
	only_symbol(s, URL);
	assert_int_equal(upqr_scan_bgra(&count, s, bgra, bs * h, w, h, (size_t)w * 4 - 1), UPQR_EINVAL);
	free(bgra);
	sc_img_free(&img);
	upqr_scanner_free(s);
}

static void test_no_symbol_and_caps(void **state)
{
	(void)state;
	upqr_scanner *s = new_scanner();
	uint8_t blank[64 * 64];
	memset(blank, 200, sizeof blank);
	size_t count = 99;
	assert_int_equal(upqr_scan_grey(&count, s, blank, sizeof blank, 64, 64, 64), UPQR_ENOSYMBOL);
	assert_int_equal(count, 0);
	assert_null(upqr_scanner_symbol(s, 0));
	assert_int_equal(upqr_scan_grey(&count, s, blank, sizeof blank, 1, 1, 1), UPQR_ENOSYMBOL);
	upqr_scanner_free(s);
	/* A lowered pixel cap. */
	upqr_scan_options o = UPQR_SCAN_OPTIONS_INIT;
	o.max_pixels = 64 * 63;
	assert_int_equal(upqr_scanner_new(&s, &o), UPQR_OK);
	assert_int_equal(upqr_scan_grey(&count, s, blank, sizeof blank, 64, 64, 64), UPQR_ELIMIT);
	assert_int_equal(upqr_scan_grey(&count, s, blank, sizeof blank, 64, 63, 64), UPQR_ENOSYMBOL);
	sc_img img = draw(CPM_B1, 0);
	uint8_t *png = NULL;
	size_t png_len = 0;
	assert_int_equal(sc_png_encode(&img, &png, &png_len), 0);
	assert_int_equal(upqr_scan_image(&count, s, png, png_len), UPQR_ELIMIT);
	assert_non_null(strstr(upqr_scanner_last_error(s), "pixel budget"));
	free(png);
	sc_img_free(&img);
	upqr_scanner_free(s);
}

/* A PNG with a valid signature and IHDR of the given size, and nothing else. */
static size_t png_header_only(uint8_t *out, uint32_t w, uint32_t h)
{
	static const uint8_t sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	uint8_t ihdr[17] = { 'I', 'H', 'D', 'R', (uint8_t)(w >> 24), (uint8_t)(w >> 16), (uint8_t)(w >> 8),
		(uint8_t)w, (uint8_t)(h >> 24), (uint8_t)(h >> 16), (uint8_t)(h >> 8), (uint8_t)h, 8, 0, 0, 0, 0 };
	memcpy(out, sig, 8);
	out[8] = out[9] = out[10] = 0;
	out[11] = 13;
	memcpy(out + 12, ihdr, 17);
	/* CRC-32 of type + data, computed bitwise (zlib's polynomial). */
	uint32_t crc = 0xFFFFFFFFu;
	for (size_t i = 0; i < 17; i++) {
		crc ^= ihdr[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
	}
	crc ^= 0xFFFFFFFFu;
	out[29] = (uint8_t)(crc >> 24);
	out[30] = (uint8_t)(crc >> 16);
	out[31] = (uint8_t)(crc >> 8);
	out[32] = (uint8_t)crc;
	return 33;
}

static void test_broken_images(void **state)
{
	(void)state;
	upqr_scanner *s = new_scanner();
	sc_img img = draw(URL, 1);
	uint8_t *png = NULL, *jpg = NULL;
	size_t png_len = 0, jpg_len = 0, count = 0;
	encode_both(&img, 75, &png, &png_len, &jpg, &jpg_len);
	/* Every truncation of either file is an error or (JPEG tail only) a decode, never a crash. */
	size_t step = getenv("UPQR_TEST_QUICK") ? 97 : 13;
	for (size_t n = 0; n < png_len; n += step) {
		int rc = upqr_scan_image(&count, s, png, n);
		assert_int_equal(rc, UPQR_EIMAGE);
	}
	for (size_t n = 0; n + 2 < jpg_len; n += step) {
		int rc = upqr_scan_image(&count, s, jpg, n);
		assert_int_equal(rc, UPQR_EIMAGE);
	}
	/* A flipped bit inside the PNG's image data fails its CRC. */
	uint8_t *copy = malloc(png_len);
	memcpy(copy, png, png_len);
	copy[png_len / 2] ^= 0x10;
	assert_int_equal(upqr_scan_image(&count, s, copy, png_len), UPQR_EIMAGE);
	assert_non_null(strstr(upqr_scanner_last_error(s), "PNG"));
	free(copy);
	/* Not an image at all. */
	assert_int_equal(upqr_scan_image(&count, s, (const uint8_t *)"GIF89a......", 12), UPQR_EIMAGE);
	assert_int_equal(upqr_scan_image(&count, s, NULL, 0), UPQR_EIMAGE);
	assert_int_equal(upqr_scan_image(&count, s, NULL, 5), UPQR_EINVAL);
	/* Huge dimensions are refused from the header, before any pixel is decoded. */
	uint8_t hdr[64];
	size_t n = png_header_only(hdr, 16000, 16000);
	assert_int_equal(upqr_scan_image(&count, s, hdr, n), UPQR_ELIMIT);
	n = png_header_only(hdr, 100000, 10);
	assert_int_equal(upqr_scan_image(&count, s, hdr, n), UPQR_ELIMIT);
	n = png_header_only(hdr, 0x80000000u, 1);
	assert_int_equal(upqr_scan_image(&count, s, hdr, n), UPQR_ELIMIT);
	n = png_header_only(hdr, 0, 10);
	assert_int_equal(upqr_scan_image(&count, s, hdr, n), UPQR_EIMAGE);
	n = png_header_only(hdr, 100, 100);
	assert_int_equal(upqr_scan_image(&count, s, hdr, n), UPQR_EIMAGE);
	/* A JPEG header claiming 60000 x 60000 (SOF0 patched). */
	copy = malloc(jpg_len);
	memcpy(copy, jpg, jpg_len);
	for (size_t i = 2; i + 9 < jpg_len; i++)
		if (copy[i] == 0xFF && copy[i + 1] == 0xC0) {
			copy[i + 5] = 0xEA;
			copy[i + 6] = 0x60;
			copy[i + 7] = 0xEA;
			copy[i + 8] = 0x60;
			break;
		}
	int jrc = upqr_scan_image(&count, s, copy, jpg_len);
	if (jrc != UPQR_ELIMIT)
		fail_msg("%d %s", jrc, upqr_scanner_last_error(s));
	free(copy);
	free(png);
	free(jpg);
	sc_img_free(&img);
	upqr_scanner_free(s);
}

/* ---- only QR ---------------------------------------------------------------------- */

/* An EAN-13 barcode (95 modules of 3 px, 33 px quiet zones, 80 px high), malloc'd. */
static sc_img draw_ean13(const char *digits)
{
	static const char *const L[10] = { "0001101", "0011001", "0010011", "0111101", "0100011",
		"0110001", "0101111", "0111011", "0110111", "0001011" };
	static const char *const G[10] = { "0100111", "0110011", "0011011", "0100001", "0011101",
		"0111001", "0000101", "0010001", "0001001", "0010111" };
	static const char *const PARITY[10] = { "LLLLLL", "LLGLGG", "LLGGLG", "LLGGGL", "LGLLGG",
		"LGGLLG", "LGGGLL", "LGLGLG", "LGLGGL", "LGGLGL" };
	char bits[96] = "101";
	for (int i = 1; i <= 6; i++) {
		int d = digits[i] - '0';
		strcat(bits, PARITY[digits[0] - '0'][i - 1] == 'L' ? L[d] : G[d]);
	}
	strcat(bits, "01010");
	for (int i = 7; i <= 12; i++) {
		char r[8];
		for (int k = 0; k < 7; k++)
			r[k] = L[digits[i] - '0'][k] == '1' ? '0' : '1';
		r[7] = 0;
		strcat(bits, r);
	}
	strcat(bits, "101");
	sc_img img = { malloc((95 * 3 + 66) * 80), 95 * 3 + 66, 80 };
	for (int y = 0; y < img.h; y++)
		for (int x = 0; x < img.w; x++) {
			int m = (x - 33) / 3;
			img.px[y * img.w + x] = x >= 33 && m < 95 && bits[m] == '1' ? 20 : 235;
		}
	return img;
}

/* Only the QR decoder runs: a clean EAN-13 that ZBar's defaults read is not a symbol for upqr. */
static void test_only_qr(void **state)
{
	(void)state;
	sc_img ean = draw_ean13("5901234123457");
	zbar_image_scanner_t *all = zbar_image_scanner_create();
	zbar_image_scanner_set_config(all, ZBAR_NONE, ZBAR_CFG_ENABLE, 1);
	zbar_image_t *zi = zbar_image_create();
	zbar_image_set_format(zi, zbar_fourcc('Y', '8', '0', '0'));
	zbar_image_set_size(zi, (unsigned)ean.w, (unsigned)ean.h);
	zbar_image_set_data(zi, ean.px, (unsigned long)ean.w * (unsigned long)ean.h, NULL);
	assert_int_equal(zbar_scan_image(all, zi), 1);
	assert_int_equal(zbar_symbol_get_type(zbar_image_first_symbol(zi)), ZBAR_EAN13);
	zbar_image_destroy(zi);
	zbar_image_scanner_destroy(all);
	upqr_scan_options o = UPQR_SCAN_OPTIONS_INIT;
	o.exhaustive = 1;
	upqr_scanner *s = NULL;
	assert_int_equal(upqr_scanner_new(&s, &o), UPQR_OK);
	/*
	 * The decoders themselves are off, not just their results filtered. (Not
	 * PDF417: Debian's ZBar is built without it and crashes when asked.)
	 */
	zbar_image_scanner_t *z = upqr__scanner_zbar(s);
	static const zbar_symbol_type_t off[] = { ZBAR_EAN13, ZBAR_EAN8, ZBAR_I25, ZBAR_CODE39,
		ZBAR_CODE93, ZBAR_CODE128, ZBAR_DATABAR, ZBAR_CODABAR, ZBAR_SQCODE };
	int v = -1;
	for (size_t i = 0; i < sizeof off / sizeof off[0]; i++) {
		assert_int_equal(zbar_image_scanner_get_config(z, off[i], ZBAR_CFG_ENABLE, &v), 0);
		assert_int_equal(v, 0);
	}
	assert_int_equal(zbar_image_scanner_get_config(z, ZBAR_QRCODE, ZBAR_CFG_ENABLE, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(zbar_image_scanner_get_config(z, ZBAR_QRCODE, ZBAR_CFG_BINARY, &v), 0);
	assert_int_equal(v, 1);
	size_t count = 9;
	assert_int_equal(scan_img(&count, s, &ean), UPQR_ENOSYMBOL);
	assert_int_equal(count, 0);
	upqr_scanner_free(s);
	sc_img_free(&ean);
}

/* An allocator that remembers the largest request (through upqr's hook, libpng's included). */
static size_t biggest;
static void *max_alloc(size_t n, void *u)
{
	(void)u;
	biggest = n > biggest ? n : biggest;
	return malloc(n);
}
static void *max_realloc(void *p, size_t n, void *u)
{
	(void)u;
	biggest = n > biggest ? n : biggest;
	return realloc(p, n);
}
static void max_free(void *p, void *u)
{
	(void)u;
	free(p);
}

/*
 * fuzz_scan_image found it: a 57-byte PNG whose tEXt chunk declares 2 GB made
 * libpng allocate 2 GB before noticing the file ends. Now refused early.
 */
static void test_png_chunk_bomb(void **state)
{
	(void)state;
	static const uint8_t bomb[] = {
		0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 'I', 'H', 'D', 'R',
		0, 0, 0, 0x3a, 0, 0, 0, 0x3a, 0x08, 0x04, 0, 0, 0x01, 0x3c, 0xb5, 0xb2, 0x35,
		0, 0, 0, 0x02, 'b', 'K', 'G', 'D', 0, 0, 0xaa, 0x8d, 0x85, 0x5d,
		0x7e, 0x00, 0x02, 0x25, 't', 'E', 'X', 't', 0x45, 0xae,
	};
	static const upqr_allocator a = { max_alloc, max_realloc, max_free, NULL };
	assert_int_equal(upqr_set_allocator(&a), UPQR_OK);
	biggest = 0;
	upqr_scanner *s = new_scanner();
	size_t count = 0;
	assert_int_equal(upqr_scan_image(&count, s, bomb, sizeof bomb), UPQR_EIMAGE);
	upqr_scanner_free(s);
	assert_int_equal(upqr_set_allocator(NULL), UPQR_OK);
	/* The scanner's own work area (~30 KiB) and libpng's buffers: nothing near 2 GB. */
	assert_true(biggest < (1u << 20));
}

/* ---- passes, several symbols, allocation failure --------------------------------- */

static void test_passes(void **state)
{
	(void)state;
	sc_img img = draw(ANNEX_B7, 1);
	sc_invert(&img);
	size_t count = 0;
	upqr_scan_options o = UPQR_SCAN_OPTIONS_INIT;
	o.try_harder = 0;
	upqr_scanner *s = NULL;
	assert_int_equal(upqr_scanner_new(&s, &o), UPQR_OK);
	assert_int_equal(scan_img(&count, s, &img), UPQR_ENOSYMBOL);
	upqr_scanner_free(s);
	/* The plain pass alone misses it; the second pass (inversion) reads it. */
	o.try_harder = 1;
	o.max_passes = 1;
	assert_int_equal(upqr_scanner_new(&s, &o), UPQR_OK);
	assert_int_equal(scan_img(&count, s, &img), UPQR_ENOSYMBOL);
	upqr_scanner_free(s);
	o.max_passes = 2;
	assert_int_equal(upqr_scanner_new(&s, &o), UPQR_OK);
	assert_int_equal(scan_img(&count, s, &img), UPQR_OK);
	assert_string_equal(only_symbol(s, ANNEX_B7)->pass, "invert");
	upqr_scanner_free(s);
	sc_img_free(&img);
}

/* Keys' cubic kernel, a = -0.75, straight from its formula (the reference for the doubling). */
static double keys_cubic(double x)
{
	const double a = -0.75;
	x = x < 0 ? -x : x;
	if (x <= 1)
		return ((a + 2) * x - (a + 3)) * x * x + 1;
	return x < 2 ? ((a * x - 5 * a) * x + 8 * a) * x - 4 * a : 0;
}

/* One output sample of a doubled line in floating point: source position o/2 - 1/4. */
static uint8_t ref_tap(const uint8_t *line, size_t step, int n, int o)
{
	double pos = o / 2.0 - 0.25, v = 0;
	int base = (int)(pos < 0 ? pos - 1 : pos);
	for (int i = base - 1; i <= base + 2; i++) {
		int c = i < 0 ? 0 : i >= n ? n - 1 : i;
		v += keys_cubic(pos - i) * line[(size_t)c * step];
	}
	return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v + 0.5);
}

/* The integer doubling (exact 1/256 weights) equals the filter computed in floating point. */
static void test_cubic_doubling(void **state)
{
	(void)state;
	uint64_t rng = 7;
	for (int it = 0; it < 60; it++) {
		int w = 1 + (int)(sc_rand(&rng) % 90), h = 1 + (int)(sc_rand(&rng) % 90);
		upqr__gimg in, out;
		assert_true(upqr__gimg_alloc(&in, w, h));
		for (int i = 0; i < w * h; i++) /* a third of the pictures black and white: most overshoot */
			in.px[i] = (uint8_t)(it % 3 ? sc_rand(&rng) : (sc_rand(&rng) & 1) * 255);
		upqr__xform t;
		upqr__xform_identity(&t);
		assert_true(upqr__op_double_cubic(&out, NULL, &in, &t));
		assert_int_equal(out.w, 2 * w);
		assert_int_equal(out.h, 2 * h);
		uint8_t *tmp = malloc((size_t)(2 * w) * (size_t)h);
		assert_non_null(tmp);
		for (int y = 0; y < h; y++)
			for (int x = 0; x < 2 * w; x++)
				tmp[y * 2 * w + x] = ref_tap(in.px + y * w, 1, w, x);
		for (int y = 0; y < 2 * h; y++)
			for (int x = 0; x < 2 * w; x++)
				if (out.px[y * 2 * w + x] != ref_tap(tmp + x, (size_t)(2 * w), h, y))
					fail_msg("%dx%d: pixel (%d,%d) is %d, the float filter gives %d", w, h, x, y,
						out.px[y * 2 * w + x], ref_tap(tmp + x, (size_t)(2 * w), h, y));
		/* Output pixel (2x, 2y) maps back onto (x, y) of the original. */
		int ox, oy;
		upqr__xform_apply(&t, 2 * (w / 2), 2 * (h / 2), &ox, &oy);
		assert_int_equal(ox, w / 2);
		assert_int_equal(oy, h / 2);
		free(tmp);
		upqr__gimg_release(&out);
		upqr__gimg_release(&in);
	}
}

/*
 * Corpus images (tests/support/scan_corpus.c) that only an upscaling pass
 * reads: each must come back valid, read by that pass and no earlier one.
 */
static void test_upscaling_passes(void **state)
{
	(void)state;
	static const struct {
		uint64_t seed;
		int family, k;
		const char *pass;
	} cases[] = {
		{ 1, SC_SMALL_MODULE, 1, "sharpen-cubic-binarize" },
		{ 1, SC_NOISE, 29, "denoise-cubic-binarize" },
		{ 1, SC_SMALL_MODULE, 20, "cubic-sharpen" },
		{ 1, SC_BLUR, 19, "deblur-cubic-binarize" },
		{ 7, SC_COMBINED, 37, "denoise-cubic-sharpen-binarize" },
	};
	size_t np = 0;
	char **payloads = sc_load_payloads("tests/data/scan-payloads.tsv", &np);
	assert_non_null(payloads);
	upqr_scanner *s = NULL;
	assert_int_equal(upqr_scanner_new(&s, NULL), UPQR_OK);
	for (size_t i = 0; i < UPQR__ARRAY_LEN(cases); i++) {
		const char *want = payloads[(size_t)(cases[i].k + cases[i].family) % np];
		sc_img img;
		assert_int_equal(sc_corpus_image(&img, cases[i].family, cases[i].k, cases[i].seed,
			(const uint8_t *)want, strlen(want)), 0);
		size_t count = 0;
		int rc = scan_img(&count, s, &img);
		if (rc != UPQR_OK)
			fail_msg("%s %d (seed %llu): %s", sc_family_name(cases[i].family), cases[i].k,
				(unsigned long long)cases[i].seed, upqr_scanner_last_error(s));
		assert_string_equal(only_symbol(s, want)->pass, cases[i].pass);
		sc_img_free(&img);
	}
	upqr_scanner_free(s);
	sc_free_payloads(payloads, np);
}

static void test_several_symbols(void **state)
{
	(void)state;
	sc_img canvas = { malloc(900 * 420), 900, 420 };
	memset(canvas.px, 235, 900 * 420);
	sc_draw d;
	sc_draw_defaults(&d);
	d.module_px = 3;
	d.pad = 0;
	assert_int_equal(sc_render_at(&canvas, 0, 0, (const uint8_t *)ANNEX_B7, strlen(ANNEX_B7), &d), 0);
	assert_int_equal(sc_render_at(&canvas, 450, 0, (const uint8_t *)"hello, world", 12, &d), 0);
	assert_int_equal(sc_render_at(&canvas, 650, 200, (const uint8_t *)CPM_B1, strlen(CPM_B1), &d), 0);
	upqr_scan_options o = UPQR_SCAN_OPTIONS_INIT;
	o.exhaustive = 1;
	upqr_scanner *s = NULL;
	assert_int_equal(upqr_scanner_new(&s, &o), UPQR_OK);
	size_t count = 0;
	assert_int_equal(scan_img(&count, s, &canvas), UPQR_OK);
	assert_int_equal(count, 3);
	int kinds = 0;
	for (size_t i = 0; i < count; i++) {
		const upqr_scan_symbol *sym = upqr_scanner_symbol(s, i);
		kinds |= 1 << sym->kind;
		assert_int_equal(sym->valid, sym->kind != UPQR_SCAN_KIND_OTHER);
		check_corners(sym, canvas.w, canvas.h);
		if (sym->kind == UPQR_SCAN_KIND_OTHER)
			assert_true(sym->corners[0].x > 400);
	}
	assert_int_equal(kinds, (1 << UPQR_SCAN_KIND_MPM) | (1 << UPQR_SCAN_KIND_CPM) |
		(1 << UPQR_SCAN_KIND_OTHER));
	upqr_scanner_free(s);
	sc_img_free(&canvas);
}

static void test_alloc_failure(void **state)
{
	(void)state;
	sc_img img = draw(CPM_B1, 3);
	sc_invert(&img);
	uint8_t *png = NULL;
	size_t png_len = 0;
	assert_int_equal(sc_png_encode(&img, &png, &png_len), 0);
	bool succeeded = false;
	for (long k = 0; k < 200 && !succeeded; k++) {
		tu_alloc_stats st = { 0, 0, k };
		tu_alloc_install(&st);
		upqr_scanner *s = NULL;
		int rc = upqr_scanner_new(&s, NULL);
		if (rc == UPQR_OK) {
			size_t count = 0;
			rc = upqr_scan_image(&count, s, png, png_len);
			assert_true(rc == UPQR_OK || rc == UPQR_ENOMEM || rc == UPQR_EIMAGE);
			succeeded = rc == UPQR_OK;
			upqr_scanner_free(s);
		} else {
			assert_int_equal(rc, UPQR_ENOMEM);
		}
		tu_alloc_uninstall();
		assert_int_equal(st.allocs, st.frees);
	}
	assert_true(succeeded);
	free(png);
	sc_img_free(&img);
}

/* ---- round trip ------------------------------------------------------------------ */

/* A random valid MPM payload; with `chinese`, a template 64 in Chinese (ECI 26 needed). */
static char *random_mpm(uint64_t *rng, bool chinese)
{
	static const char *const cn[] = { "北京", "上海", "最佳运输", "银联商户", "深圳", "咖啡店" };
	char body[512], name[26], city[16];
	size_t nl = 1 + tu_rand(rng) % 25, cl = 1 + tu_rand(rng) % 15;
	for (size_t i = 0; i < nl; i++)
		name[i] = (char)(' ' + 1 + tu_rand(rng) % 94);
	for (size_t i = 0; i < cl; i++)
		city[i] = (char)('A' + tu_rand(rng) % 26);
	name[nl] = city[cl] = 0;
	int n = snprintf(body, sizeof body, "0002010102%s1531%08u%08u%015u52045812530315654%02d%d.%02d"
		"5802CN59%02zu%s60%02zu%s", tu_rand(rng) % 2 ? "11" : "12",
		(unsigned)(tu_rand(rng) % 100000000), (unsigned)(tu_rand(rng) % 100000000),
		(unsigned)(tu_rand(rng) % 1000000000), 4, (int)(1 + tu_rand(rng) % 9),
		(int)(tu_rand(rng) % 100), nl, name, cl, city);
	if (chinese) {
		const char *a = cn[tu_rand(rng) % 6], *b = cn[tu_rand(rng) % 6];
		size_t ac = 0, bc = 0;
		for (const char *p = a; *p; p++)
			ac += ((unsigned char)*p & 0xC0) != 0x80;
		for (const char *p = b; *p; p++)
			bc += ((unsigned char)*p & 0xC0) != 0x80;
		char t64[128];
		int tl = snprintf(t64, sizeof t64, "0002ZH01%02zu%s02%02zu%s", ac, a, bc, b);
		size_t chars = (size_t)tl - (strlen(a) - ac) - (strlen(b) - bc);
		n += snprintf(body + n, sizeof body - (size_t)n, "64%02zu%s", chars, t64);
	}
	return with_crc(body);
}

/* upqr_qr_render as PNG (8-bit or 1-bit), malloc'd. */
static uint8_t *render_png(const char *payload, upqr_qr_ecc ecc, unsigned depth, unsigned scale,
		size_t *len)
{
	upqr_qr_options o;
	assert_int_equal(upqr_qr_options_init(&o, UPQR_QR_OPTIONS_VERSION), UPQR_OK);
	o.ecc = ecc;
	o.png_bit_depth = depth;
	o.scale = scale;
	size_t need = 0;
	assert_int_equal(upqr_qr_render(NULL, 0, &need, NULL, UPQR_QR_FORMAT_PNG, &o,
		(const uint8_t *)payload, strlen(payload)), UPQR_EBUFSIZE);
	uint8_t *png = malloc(need);
	assert_int_equal(upqr_qr_render(png, need, len, NULL, UPQR_QR_FORMAT_PNG, &o,
		(const uint8_t *)payload, strlen(payload)), UPQR_OK);
	return png;
}

/* Random valid payloads, ASCII and with a Chinese template 64: render -> PNG -> scan -> same bytes. */
static void test_round_trip(void **state)
{
	(void)state;
	upqr_scanner *s = new_scanner();
	uint64_t rng = tu_seed();
	size_t iters = tu_iterations(40);
	upqr_mpm_payload *mpm = malloc(sizeof *mpm);
	for (size_t i = 0; i < iters; i++) {
		char *p = random_mpm(&rng, i % 2);
		upqr_diag d[8];
		upqr_scan_symbol chk;
		assert_int_equal(upqr_scan_classify(&chk, d, 8, NULL, (const uint8_t *)p, strlen(p)), UPQR_OK);
		if (!chk.valid)
			fail_msg("generator made an invalid payload: %s (%s)", p, d[0].code);
		/* Every ECC level for both kinds of payload; 1-bit PNGs on alternate rounds. */
		upqr_qr_ecc ecc = (upqr_qr_ecc)((i / 2) % 4);
		size_t png_len = 0, count = 0;
		uint8_t *png = render_png(p, ecc, (i / 8) % 2 ? 1 : 8, 2 + (unsigned)(i % 3), &png_len);
		assert_int_equal(upqr_scan_image(&count, s, png, png_len), UPQR_OK);
		const upqr_scan_symbol *sym = only_symbol(s, p);
		assert_int_equal(sym->kind, UPQR_SCAN_KIND_MPM);
		assert_int_equal(sym->valid, 1);
		assert_string_equal(sym->pass, "plain");
		/* Decoding further gives the fields, as views into the symbol's bytes. */
		assert_int_equal(upqr_scan_symbol_mpm(mpm, sym, NULL, NULL), UPQR_OK);
		assert_int_equal(mpm->fields.currency_numeric, 156);
		assert_true(mpm->fields.merchant_name.ptr >= (const char *)sym->data &&
			mpm->fields.merchant_name.ptr < (const char *)sym->data + sym->len);
		assert_int_equal(mpm->fields.language.preference.ptr != NULL, i % 2);
		free(png);
		free(p);
	}
	/* Not an MPM symbol: nothing to decode further. */
	upqr_scan_symbol other;
	assert_int_equal(upqr_scan_classify(&other, NULL, 0, NULL, (const uint8_t *)URL, strlen(URL)), UPQR_OK);
	assert_int_equal(upqr_scan_symbol_mpm(mpm, &other, NULL, NULL), UPQR_EINVAL);
	assert_int_equal(upqr_scan_symbol_mpm(mpm, NULL, NULL, NULL), UPQR_EINVAL);
	free(mpm);
	upqr_scanner_free(s);
}

/* The same payload under the UnionPay profile: its rules decide validity. */
static void test_profile_option(void **state)
{
	(void)state;
	/* Annex B.7 has no UnionPay account: a warning only, still valid. */
	size_t png_len = 0, count = 0;
	uint8_t *png = render_png(ANNEX_B7, UPQR_QR_ECC_M, 8, 3, &png_len);
	upqr_scan_options o = UPQR_SCAN_OPTIONS_INIT;
	o.mpm_profile = upqr_mpm_profile_unionpay();
	upqr_scanner *s = NULL;
	assert_int_equal(upqr_scanner_new(&s, &o), UPQR_OK);
	assert_int_equal(upqr_scan_image(&count, s, png, png_len), UPQR_OK);
	const upqr_scan_symbol *sym = only_symbol(s, ANNEX_B7);
	assert_int_equal(sym->valid, 1);
	assert_non_null(upqr_diag_list_find(&sym->diags, "no_unionpay_account"));
	free(png);
	/* A malformed ID 15 is an error under UnionPay rules only. */
	char *p = with_crc("0002015204411153031565802CN5901A6001B1502AB");
	png = render_png(p, UPQR_QR_ECC_L, 8, 3, &png_len);
	assert_int_equal(upqr_scan_image(&count, s, png, png_len), UPQR_OK);
	assert_int_equal(only_symbol(s, p)->valid, 0);
	upqr_scanner_free(s);
	s = new_scanner();
	assert_int_equal(upqr_scan_image(&count, s, png, png_len), UPQR_OK);
	assert_int_equal(only_symbol(s, p)->valid, 1);
	upqr_scanner_free(s);
	free(png);
	free(p);
}

/* Patches the SOF0 frame size of a JPEG in place. */
static void jpeg_patch_size(uint8_t *j, size_t len, unsigned w, unsigned h)
{
	for (size_t i = 2; i + 9 < len; i++)
		if (j[i] == 0xFF && j[i + 1] == 0xC0) {
			j[i + 5] = (uint8_t)(h >> 8);
			j[i + 6] = (uint8_t)h;
			j[i + 7] = (uint8_t)(w >> 8);
			j[i + 8] = (uint8_t)w;
			return;
		}
	fail_msg("no SOF0 marker");
}

/*
 * Scanner cost (issue 8): a small file claiming a huge picture is refused
 * from its header, a truncated JPEG stops decoding, and an image over the
 * default pixel budget is refused with a message naming max_pixels.
 */
static void test_scan_cost_bounded(void **state)
{
	(void)state;
	upqr_scanner *s = NULL;
	assert_int_equal(upqr_scanner_new(&s, NULL), UPQR_OK);
	size_t count;
	/* A ~2 KB JPEG whose header says 4096 x 4096 (it needs at least 32 KB). */
	sc_img img = { calloc(64 * 64, 1), 64, 64 };
	memset(img.px, 255, 64 * 64);
	uint8_t *jpg = NULL;
	size_t jpg_len = 0;
	assert_int_equal(sc_jpeg_encode(&img, 90, &jpg, &jpg_len), 0);
	assert_true(jpg_len < 4096);
	jpeg_patch_size(jpg, jpg_len, 4096, 4096);
	assert_int_equal(upqr_scan_image(&count, s, jpg, jpg_len), UPQR_ELIMIT); /* default budget */
	upqr_scanner_free(s);
	upqr_scan_options o = UPQR_SCAN_OPTIONS_INIT;
	o.max_pixels = UPQR_SCAN_MAX_PIXELS;
	assert_int_equal(upqr_scanner_new(&s, &o), UPQR_OK);
	int rc = upqr_scan_image(&count, s, jpg, jpg_len);
	if (rc != UPQR_EIMAGE || !strstr(upqr_scanner_last_error(s), "cannot be held in"))
		fail_msg("%s: %s", upqr_status_name(rc), upqr_scanner_last_error(s));
	free(jpg);
	/* A JPEG cut short stops decoding where its data runs out (no grey filler). */
	sc_img_free(&img);
	sc_img big = draw(URL, 1);
	assert_int_equal(sc_jpeg_encode(&big, 90, &jpg, &jpg_len), 0);
	assert_int_equal(upqr_scan_image(&count, s, jpg, jpg_len * 6 / 10), UPQR_EIMAGE);
	assert_non_null(strstr(upqr_scanner_last_error(s), "truncated"));
	sc_img_free(&big);
	free(jpg);
	/* A PNG header claiming 2000 x 2000 grey in a few dozen bytes: deflate cannot do that. */
	uint8_t hdr[64];
	size_t n = png_header_only(hdr, 2000, 2000);
	assert_int_equal(upqr_scan_image(&count, s, hdr, n), UPQR_EIMAGE);
	assert_non_null(strstr(upqr_scanner_last_error(s), "cannot be packed into"));
	/* A genuine ~21 KB PNG of 4000 x 4000: plausible, but over the default pixel budget. */
	img = (sc_img){ malloc(4000u * 4000u), 4000, 4000 };
	memset(img.px, 255, 4000u * 4000u);
	uint8_t *png = NULL;
	size_t png_len = 0;
	assert_int_equal(sc_png_encode(&img, &png, &png_len), 0);
	sc_img_free(&img);
	assert_true(png_len < 64 * 1024);
	upqr_scanner_free(s);
	assert_int_equal(upqr_scanner_new(&s, NULL), UPQR_OK);
	assert_int_equal(upqr_scan_image(&count, s, png, png_len), UPQR_ELIMIT);
	assert_non_null(strstr(upqr_scanner_last_error(s), "over the pixel budget (max_pixels 8388608)"));
	free(png);
	upqr_scanner_free(s);
	assert_int_equal(UPQR_SCAN_DEFAULT_PIXELS, 8u * 1024u * 1024u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options_and_handle),
		cmocka_unit_test(test_classify_mpm),
		cmocka_unit_test(test_classify_cpm),
		cmocka_unit_test(test_classify_url),
		cmocka_unit_test(test_utf8_bytes_intact),
		cmocka_unit_test(test_png_and_jpeg),
		cmocka_unit_test(test_camera_frames),
		cmocka_unit_test(test_no_symbol_and_caps),
		cmocka_unit_test(test_broken_images),
		cmocka_unit_test(test_png_chunk_bomb),
		cmocka_unit_test(test_only_qr),
		cmocka_unit_test(test_passes),
		cmocka_unit_test(test_cubic_doubling),
		cmocka_unit_test(test_upscaling_passes),
		cmocka_unit_test(test_several_symbols),
		cmocka_unit_test(test_alloc_failure),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_profile_option),
		cmocka_unit_test(test_scan_cost_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
