/*
 * test_scan_video.c - camera mode: options (version 1 and 2), passes spread
 * over frames, the time budget, de-duplication and reset, the region of
 * interest, every frame format, and no allocation per frame after warm-up
 * (counted with the allocator hook).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan_corpus.h"
#include "testutil.h"

static const char URL[] = "https://qr.95516.com/00010000/62622847681799056315106438022626";
static const char CPM_B1[] = "hQVDUFYwMWEaTwegAAAAVVVVVw8SNFZ4kBI0WNGRIgESNF8=";

/* A scanner in camera mode; budget_us 0 = default; max_passes per frame. */
static upqr_scanner *video_scanner(unsigned budget_us, unsigned max_passes, unsigned dedup)
{
	upqr_scan_options o;
	assert_int_equal(upqr_scan_options_init(&o, UPQR_SCAN_OPTIONS_VERSION), UPQR_OK);
	o.video = 1;
	o.frame_budget_us = budget_us;
	o.max_passes = max_passes;
	o.dedup_frames = dedup;
	upqr_scanner *s = NULL;
	assert_int_equal(upqr_scanner_new(&s, &o), UPQR_OK);
	return s;
}

static sc_img draw(const char *payload, bool invert)
{
	sc_draw d;
	sc_draw_defaults(&d);
	sc_img img;
	assert_int_equal(sc_render(&img, (const uint8_t *)payload, strlen(payload), &d), 0);
	if (invert)
		sc_invert(&img);
	return img;
}

static int scan(size_t *count, upqr_scanner *s, const sc_img *img)
{
	return upqr_scan_grey(count, s, img->px, (size_t)img->w * (size_t)img->h, (unsigned)img->w,
		(unsigned)img->h, (size_t)img->w);
}

/* A blank frame of the same size (the code has left the view). */
static sc_img blank_like(const sc_img *img)
{
	sc_img b = { malloc((size_t)img->w * (size_t)img->h), img->w, img->h };
	assert_non_null(b.px);
	memset(b.px, 200, (size_t)img->w * (size_t)img->h);
	return b;
}

static void expect_read(upqr_scanner *s, const sc_img *img, const char *want, const char *pass)
{
	size_t count = 0;
	assert_int_equal(scan(&count, s, img), UPQR_OK);
	assert_int_equal(count, 1);
	const upqr_scan_symbol *sym = upqr_scanner_symbol(s, 0);
	assert_int_equal(sym->len, strlen(want));
	assert_memory_equal(sym->data, want, sym->len);
	assert_int_equal(sym->valid, 1);
	if (pass)
		assert_string_equal(sym->pass, pass);
	assert_null(upqr_scanner_symbol(s, 1));
}

static void expect_none(upqr_scanner *s, const sc_img *img)
{
	size_t count = 7;
	assert_int_equal(scan(&count, s, img), UPQR_ENOSYMBOL);
	assert_int_equal(count, 0);
	assert_null(upqr_scanner_symbol(s, 0));
}

static void test_video_options(void **state)
{
	(void)state;
	upqr_scan_options o;
	assert_int_equal(upqr_scan_options_init(&o, UPQR_SCAN_OPTIONS_VERSION), UPQR_OK);
	assert_int_equal(o.video, 0);
	assert_int_equal(o.frame_budget_us, 0);
	assert_int_equal(o.dedup_frames, UPQR_SCAN_VIDEO_DEDUP_FRAMES);
	/* A version 1 struct ends before the camera fields: nothing past it is written or read. */
	unsigned char raw[sizeof o + 16];
	memset(raw, 0xA5, sizeof raw);
	size_t v1 = offsetof(upqr_scan_options, video);
	assert_int_equal(upqr_scan_options_init((upqr_scan_options *)(void *)raw, 1), UPQR_OK);
	for (size_t i = v1; i < sizeof raw; i++)
		assert_int_equal(raw[i], 0xA5);
	upqr_scanner *s = NULL;
	assert_int_equal(upqr_scanner_new(&s, (upqr_scan_options *)(void *)raw), UPQR_OK);
	/* Still mode (the 0xA5 "video" bytes are not read): every frame reports its code. */
	sc_img img = draw(URL, false);
	expect_read(s, &img, URL, "plain");
	expect_read(s, &img, URL, "plain");
	upqr_scanner_free(s);
	assert_int_equal(upqr_scanner_reset(NULL), UPQR_EINVAL);
	sc_img_free(&img);
}

/* The inverted code needs pass 2; one pass per frame never reads it, two do on frame 1. */
static void test_video_spreads_passes(void **state)
{
	(void)state;
	sc_img inv = draw(URL, true), blank = blank_like(&inv);
	upqr_scanner *s = video_scanner(1000000000u, 1, UPQR_SCAN_VIDEO_DEDUP_FRAMES);
	for (int i = 0; i < 40; i++)
		expect_none(s, &inv);
	upqr_scanner_free(s);
	/* Frames of a blank view move the sequence on; the code then waits for a pass that inverts. */
	s = video_scanner(1000000000u, 2, UPQR_SCAN_VIDEO_DEDUP_FRAMES);
	expect_read(s, &inv, URL, "invert");
	upqr_scanner_free(s);
	s = video_scanner(1000000000u, 2, 0);
	for (int i = 0; i < 3; i++)
		expect_none(s, &blank);
	int frames = 0;
	size_t count = 0;
	while (scan(&count, s, &inv) == UPQR_ENOSYMBOL)
		frames++;
	/* Passes 4.. run one a frame until one that inverts comes round ("invert-binarize"). */
	assert_true(frames >= 10 && frames <= 26);
	const char *pass = upqr_scanner_symbol(s, 0)->pass;
	assert_non_null(strstr(pass, "invert"));
	/* The pass that read it is tried first while the code stays: every frame reads it again. */
	for (int i = 0; i < 5; i++)
		expect_read(s, &inv, URL, pass);
	upqr_scanner_free(s);
	sc_img_free(&inv);
	sc_img_free(&blank);
}

/* A budget too small for any further pass: only the plain pass runs, every frame. */
static void test_video_budget(void **state)
{
	(void)state;
	sc_img inv = draw(URL, true), img = draw(URL, false);
	upqr_scanner *s = video_scanner(1, 0, 0);
	for (int i = 0; i < 30; i++)
		expect_none(s, &inv);
	expect_read(s, &img, URL, "plain");
	upqr_scanner_free(s);
	/* A budget the inversion pass fits in reads it on the first frame. */
	s = video_scanner(1000000u, 0, 0);
	expect_read(s, &inv, URL, "invert");
	upqr_scanner_free(s);
	sc_img_free(&inv);
	sc_img_free(&img);
}

static void test_video_dedup(void **state)
{
	(void)state;
	sc_img img = draw(URL, false), other = draw(CPM_B1, false), blank = blank_like(&img);
	upqr_scanner *s = video_scanner(0, 0, 5);
	expect_read(s, &img, URL, "plain");
	for (int i = 0; i < 20; i++) {
		size_t count = 9;
		assert_int_equal(scan(&count, s, &img), UPQR_ENOSYMBOL);
		assert_int_equal(count, 0);
		assert_non_null(strstr(upqr_scanner_last_error(s), "repeat"));
	}
	/* Another code is new; the first is new again only after more than 5 frames out of view. */
	expect_read(s, &other, CPM_B1, NULL);
	for (int i = 0; i < 3; i++)
		expect_none(s, &blank);
	expect_none(s, &img);
	for (int i = 0; i < 6; i++)
		expect_none(s, &blank);
	expect_read(s, &img, URL, NULL);
	/* Reset forgets the window. */
	assert_int_equal(upqr_scanner_reset(s), UPQR_OK);
	expect_read(s, &img, URL, "plain");
	upqr_scanner_free(s);
	sc_img_free(&img);
	sc_img_free(&other);
	sc_img_free(&blank);
}

/* A camera-sized frame (large: half-size first look, then a region of interest). */
static sc_img big_frame(const char *payload, int x, int y, bool invert)
{
	sc_img f = { malloc(960 * 540), 960, 540 };
	assert_non_null(f.px);
	for (int i = 0; i < 960 * 540; i++)
		f.px[i] = (uint8_t)(150 + (i % 960) / 16);
	if (payload) {
		sc_draw d;
		sc_draw_defaults(&d);
		d.pad = 0;
		assert_int_equal(sc_render_at(&f, x, y, (const uint8_t *)payload, strlen(payload), &d), 0);
	}
	if (invert)
		sc_invert(&f);
	return f;
}

static void check_inside(const upqr_scan_symbol *sym, int x0, int y0, int x1, int y1)
{
	assert_int_equal(sym->corner_count, 4);
	for (int i = 0; i < 4; i++) {
		assert_true(sym->corners[i].x >= x0 && sym->corners[i].x <= x1);
		assert_true(sym->corners[i].y >= y0 && sym->corners[i].y <= y1);
	}
}

static void test_video_large_frames(void **state)
{
	(void)state;
	sc_img f = big_frame(URL, 500, 200, false), inv = big_frame(URL, 300, 100, true);
	upqr_scanner *s = video_scanner(1000000u, 0, 0);
	/* The first frame has no cost measured yet: no first look, the plain pass reads it. */
	expect_read(s, &f, URL, "plain");
	check_inside(upqr_scanner_symbol(s, 0), 500, 200, 960, 540);
	/* Tracked: the next frames look around it first, full size. */
	expect_read(s, &f, URL, "roi");
	check_inside(upqr_scanner_symbol(s, 0), 500, 200, 960, 540);
	/* Not tracked (a new session): a large frame is looked at half size first. */
	assert_int_equal(upqr_scanner_reset(s), UPQR_OK);
	expect_read(s, &f, URL, "half");
	check_inside(upqr_scanner_symbol(s, 0), 500, 200, 960, 540);
	upqr_scanner_free(s);
	/* A budget too small for the look: the plain pass alone, every frame. */
	s = video_scanner(1, 0, 0);
	for (int i = 0; i < 3; i++)
		expect_read(s, &f, URL, "plain");
	upqr_scanner_free(s);
	/* Light on dark, 960x540: read within a few frames, corners in frame coordinates. */
	s = video_scanner(1000000000u, 3, 0);
	int frames = 1;
	size_t count = 0;
	while (scan(&count, s, &inv) == UPQR_ENOSYMBOL && frames < 20)
		frames++;
	assert_int_equal(count, 1);
	assert_true(frames < 20);
	check_inside(upqr_scanner_symbol(s, 0), 290, 90, 960, 540);
	upqr_scanner_free(s);
	sc_img_free(&f);
	sc_img_free(&inv);
}

/* NV21 with padded rows, BGRA, and packed grey (scanned in place). */
typedef struct frames3 {
	uint8_t *nv, *bgra;
	size_t ys, nv_len, bs;
} frames3;

static frames3 make_formats(const sc_img *img)
{
	frames3 f;
	unsigned w = (unsigned)img->w, h = (unsigned)img->h;
	f.ys = w + 8;
	f.nv_len = f.ys * h + f.ys * ((h + 1) / 2);
	f.nv = malloc(f.nv_len);
	f.bs = (size_t)w * 4;
	f.bgra = malloc(f.bs * h);
	assert_true(f.nv && f.bgra);
	memset(f.nv, 128, f.nv_len);
	for (unsigned y = 0; y < h; y++)
		for (unsigned x = 0; x < w; x++) {
			uint8_t v = img->px[(size_t)y * w + x];
			f.nv[y * f.ys + x] = v;
			memset(f.bgra + y * f.bs + (size_t)x * 4, v, 4);
		}
	return f;
}

/* A frame was taken: a symbol or none (camera mode also says none for a code already seen). */
static void fed(int rc)
{
	assert_true(rc == UPQR_OK || rc == UPQR_ENOSYMBOL);
}

/* One round of frames: each format with and without the code. */
static void feed_round(upqr_scanner *s, const sc_img *code, const sc_img *none, const frames3 *fc,
		const frames3 *fn)
{
	size_t count = 0;
	unsigned w = (unsigned)code->w, h = (unsigned)code->h;
	fed(scan(&count, s, code));
	fed(scan(&count, s, none));
	fed(upqr_scan_nv21(&count, s, fc->nv, fc->nv_len, w, h, fc->ys));
	fed(upqr_scan_nv21(&count, s, fn->nv, fn->nv_len, w, h, fn->ys));
	fed(upqr_scan_bgra(&count, s, fc->bgra, fc->bs * h, w, h, fc->bs));
	for (int i = 0; i < 3; i++)
		fed(upqr_scan_bgra(&count, s, fn->bgra, fn->bs * h, w, h, fn->bs));
}

static void test_video_no_alloc_per_frame(void **state)
{
	(void)state;
	sc_img code = big_frame(CPM_B1, 400, 150, false), none = big_frame(NULL, 0, 0, false);
	frames3 fc = make_formats(&code), fn = make_formats(&none);
	/* A budget that lets every pass run on each code-less frame: every buffer size is met. */
	upqr_scanner *s = video_scanner(1000000000u, 0, 3);
	for (int r = 0; r < 3; r++)
		feed_round(s, &code, &none, &fc, &fn);
	tu_alloc_stats st = { 0, 0, -1 };
	tu_alloc_install(&st);
	for (int r = 0; r < 3; r++)
		feed_round(s, &code, &none, &fc, &fn);
	tu_alloc_uninstall();
	assert_int_equal(st.allocs, 0);
	assert_int_equal(st.frees, 0);
	/* Still a working scanner: the code after the window is reported. */
	assert_int_equal(upqr_scanner_reset(s), UPQR_OK);
	expect_read(s, &code, CPM_B1, NULL);
	upqr_scanner_free(s);
	free(fc.nv);
	free(fc.bgra);
	free(fn.nv);
	free(fn.bgra);
	sc_img_free(&code);
	sc_img_free(&none);
}

/* Allocation failure on any frame: an error, nothing leaked, the next frame works. */
static void test_video_alloc_failure(void **state)
{
	(void)state;
	sc_img inv = big_frame(URL, 300, 100, true);
	for (long k = 0; k < 40; k++) {
		upqr_scanner *s = video_scanner(1000000000u, 0, 0);
		tu_alloc_stats st = { 0, 0, k };
		tu_alloc_install(&st);
		size_t count = 0;
		int rc = scan(&count, s, &inv);
		assert_true(rc == UPQR_OK || rc == UPQR_ENOMEM || rc == UPQR_ENOSYMBOL);
		tu_alloc_uninstall();
		expect_read(s, &inv, URL, NULL);
		upqr_scanner_free(s);
	}
	sc_img_free(&inv);
}

/* The degraded corpus replayed as video, deterministic (a pass count per frame, no clock). */
static void test_video_corpus(void **state)
{
	(void)state;
	size_t np = 0;
	char **payloads = sc_load_payloads("tests/data/scan-payloads.tsv", &np);
	assert_non_null(payloads);
	upqr_scan_options o;
	assert_int_equal(upqr_scan_options_init(&o, UPQR_SCAN_OPTIONS_VERSION), UPQR_OK);
	o.video = 1;
	o.frame_budget_us = 1000000000u;
	o.max_passes = 5;
	sc_video_stats st[SC_FAMILIES];
	int per = getenv("UPQR_TEST_QUICK") ? 2 : 8;
	assert_int_equal(sc_video_run(st, per, 20261127u, payloads, np, &o, 10), 0);
	int tot = 0, read = 0, wrong = 0;
	long frames = 0;
	for (int f = 0; f < SC_FAMILIES; f++) {
		printf("# video %-14s read %d of %d, wrong %d\n", sc_family_name(f), st[f].read,
			st[f].total, st[f].wrong);
		tot += st[f].total;
		read += st[f].read;
		wrong += st[f].wrong;
		frames += st[f].frames_sum;
	}
	printf("# video all: read %d of %d within 10 frames, %.2f frames on average\n", read, tot,
		read ? (double)frames / read : 0.0);
	assert_int_equal(wrong, 0);
	if (read * 100 < tot * 97)
		fail_msg("video replay read %d of %d (< 97%%)", read, tot);
	sc_free_payloads(payloads, np);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_video_options),
		cmocka_unit_test(test_video_spreads_passes),
		cmocka_unit_test(test_video_budget),
		cmocka_unit_test(test_video_dedup),
		cmocka_unit_test(test_video_large_frames),
		cmocka_unit_test(test_video_no_alloc_per_frame),
		cmocka_unit_test(test_video_alloc_failure),
		cmocka_unit_test(test_video_corpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
