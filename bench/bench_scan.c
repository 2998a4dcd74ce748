/*
 * bench_scan.c - scanning speed and decode rates.
 *
 *   scan_720p_ms          upqr_scan_grey on a 1280x720 frame holding a code
 *   zbar_raw_720p_ms      one plain ZBar pass (QR only, binary) on the same frame
 *   scan_720p_nocode_ms   upqr on a frame without a code (every pass runs: the worst case)
 *   scan_720p_nocode_video_ms   the same frame in camera mode (mean over a full round of
 *                         the pass sequence), scan_720p_video_max_ms its slowest frame, and
 *                         their ratios to zbar_raw_720p_ms (targets: <= 1.5x, and scan_720p_ms
 *                         <= 1.0x)
 *   scan_video_allocs_per_frame  allocations through upqr's hook per camera frame after warm-up
 *   scan_video_read_rate_pct / scan_video_frames_to_read_mean: the degraded corpus replayed as
 *                         video (each image as up to 10 jittered frames, default camera options)
 *   scan_decode_rate_pct / zbar_raw_decode_rate_pct and per-family rates on the
 *   degraded corpus of tests/unit/test_scan_corpus.c (same seed, same images),
 *   plus zxing_raw_decode_rate_pct when libzxing-dev is installed and
 *   wechat_raw_decode_rate_pct (OpenCV's WeChat decoder, no CNN models) when
 *   libopencv-contrib-dev is
 *
 * Runs from the project root (reads tests/data/scan-payloads.tsv).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zbar.h>

#include "bench.h"
#include "upqr.h"
/* The corpus generator is test support code; a bench links only the library, so include it. */
#include "scan_corpus.c"

#define W 1280
#define H 720
#define CORPUS_SEED 20261127u
#define PER_FAMILY 40

/* A camera-like frame: a lit gradient with noise, the code in the middle (or not). */
static void make_frame(uint8_t *px, const char *payload)
{
	uint64_t rng = 42;
	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++)
			px[y * W + x] = (uint8_t)(120 + x * 60 / W + y * 30 / H + (int)(sc_rand(&rng) % 9));
	if (!payload)
		return;
	sc_img frame = { px, W, H };
	sc_draw d;
	sc_draw_defaults(&d);
	d.module_px = 5;
	d.angle_deg = 8;
	d.pad = 0;
	if (sc_render_at(&frame, W / 2 - 200, H / 2 - 200, (const uint8_t *)payload, strlen(payload), &d) != 0)
		abort();
}

static double time_upqr(upqr_scanner *s, const uint8_t *px, int iters, int want)
{
	double t0 = bench_now_ns();
	for (int i = 0; i < iters; i++) {
		size_t count = 0;
		int rc = upqr_scan_grey(&count, s, px, (size_t)W * H, W, H, W);
		if ((rc == UPQR_OK) != want)
			abort();
		bench_sink(&count);
	}
	return (bench_now_ns() - t0) / iters / 1e6;
}

static double time_zbar(const uint8_t *px, int iters)
{
	zbar_image_scanner_t *sc = zbar_image_scanner_create();
	zbar_image_scanner_set_config(sc, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
	zbar_image_scanner_set_config(sc, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
	zbar_image_scanner_set_config(sc, ZBAR_QRCODE, ZBAR_CFG_BINARY, 1);
	double t0 = bench_now_ns();
	for (int i = 0; i < iters; i++) {
		zbar_image_t *zi = zbar_image_create();
		zbar_image_set_format(zi, zbar_fourcc('Y', '8', '0', '0'));
		zbar_image_set_size(zi, W, H);
		zbar_image_set_data(zi, px, (unsigned long)W * H, NULL);
		if (zbar_scan_image(sc, zi) <= 0)
			abort();
		zbar_image_destroy(zi);
	}
	double ms = (bench_now_ns() - t0) / iters / 1e6;
	zbar_image_scanner_destroy(sc);
	return ms;
}

/* Counts allocations made through upqr's hook (the camera-mode figure must be 0). */
static size_t n_allocs;
static void *count_alloc(size_t n, void *u) { (void)u; n_allocs++; return malloc(n); }
static void *count_realloc(void *p, size_t n, void *u) { (void)u; n_allocs++; return realloc(p, n); }
static void count_free(void *p, void *u) { (void)u; free(p); }

/* Camera mode on a stream of the same frame: mean and slowest frame (ms) over `frames`. */
static void time_video(upqr_scanner *s, const uint8_t *px, int frames, double *mean, double *max)
{
	double t0 = bench_now_ns();
	*max = 0;
	for (int i = 0; i < frames; i++) {
		double f0 = bench_now_ns();
		size_t count = 0;
		int rc = upqr_scan_grey(&count, s, px, (size_t)W * H, W, H, W);
		if (rc != UPQR_OK && rc != UPQR_ENOSYMBOL)
			abort();
		double ms = (bench_now_ns() - f0) / 1e6;
		*max = ms > *max ? ms : *max;
	}
	*mean = (bench_now_ns() - t0) / frames / 1e6;
}

static void bench_video(const uint8_t *frame, const uint8_t *empty, double raw_ms)
{
	upqr_scan_options o = UPQR_SCAN_OPTIONS_INIT;
	o.video = 1;
	upqr_scanner *s = NULL;
	if (upqr_scanner_new(&s, &o) != UPQR_OK)
		abort();
	double mean, max, best = 1e30, best_max = 1e30, code_ms, code_max;
	time_video(s, empty, 40, &mean, &max); /* warm-up: learn the passes' costs */
	for (int r = 0; r < 3; r++) {
		time_video(s, empty, 40, &mean, &max);
		best = mean < best ? mean : best;
		best_max = max < best_max ? max : best_max;
	}
	time_video(s, frame, 20, &code_ms, &code_max);
	bench_result("scan_720p_nocode_video_ms", best, "ms");
	bench_result("scan_720p_nocode_video_ratio", best / raw_ms, "x");
	bench_result("scan_720p_video_max_ms", best_max, "ms");
	bench_result("scan_720p_video_max_ratio", best_max / raw_ms, "x");
	bench_result("scan_720p_video_ms", code_ms, "ms");
	/* Allocations per frame once warm: codes, no codes, and back. */
	static const upqr_allocator a = { count_alloc, count_realloc, count_free, NULL };
	if (upqr_set_allocator(&a) == UPQR_OK) {
		n_allocs = 0;
		time_video(s, empty, 30, &mean, &max);
		time_video(s, frame, 10, &mean, &max);
		if (upqr_set_allocator(NULL) == UPQR_OK)
			bench_result("scan_video_allocs_per_frame", (double)n_allocs / 40, "count");
	}
	upqr_scanner_free(s);
}

#define VIDEO_FRAMES 10

static void bench_video_corpus(char *const *payloads, size_t np)
{
	upqr_scan_options o = UPQR_SCAN_OPTIONS_INIT;
	o.video = 1;
	sc_video_stats st[SC_FAMILIES];
	if (sc_video_run(st, PER_FAMILY, CORPUS_SEED, payloads, np, &o, VIDEO_FRAMES) != 0)
		abort();
	int tot = 0, read = 0, wrong = 0;
	long frames = 0;
	printf("degraded corpus as video (default camera options, read within %d frames)\n",
		VIDEO_FRAMES);
	printf("  %-14s %8s %8s %6s\n", "family", "read%", "frames", "wrong");
	for (int f = 0; f < SC_FAMILIES; f++) {
		printf("  %-14s %8.1f %8.2f %6d\n", sc_family_name(f), 100.0 * st[f].read / st[f].total,
			st[f].read ? (double)st[f].frames_sum / st[f].read : 0.0, st[f].wrong);
		tot += st[f].total;
		read += st[f].read;
		wrong += st[f].wrong;
		frames += st[f].frames_sum;
	}
	bench_result("scan_video_read_rate_pct", 100.0 * read / tot, "%");
	bench_result("scan_video_frames_to_read_mean", read ? (double)frames / read : 0.0, "frames");
	bench_result("scan_video_wrong_payloads", wrong, "count");
}

int main(void)
{
	size_t np = 0;
	char **payloads = sc_load_payloads("tests/data/scan-payloads.tsv", &np);
	uint8_t *frame = malloc((size_t)W * H), *empty = malloc((size_t)W * H);
	if (!payloads || np == 0 || !frame || !empty) {
		fprintf(stderr, "bench_scan: run from the project root\n");
		return 1;
	}
	make_frame(frame, payloads[0]);
	make_frame(empty, NULL);
	upqr_scanner *s = NULL;
	if (upqr_scanner_new(&s, NULL) != UPQR_OK)
		return 1;
	/* Alternate the two in rounds and keep each one's best round: the machine is shared. */
	double best_up = 1e30, best_raw = 1e30;
	time_upqr(s, frame, 3, 1);
	for (int r = 0; r < 5; r++) {
		double a = time_upqr(s, frame, 10, 1), b = time_zbar(frame, 10);
		best_up = a < best_up ? a : best_up;
		best_raw = b < best_raw ? b : best_raw;
	}
	bench_result("scan_720p_ms", best_up, "ms");
	bench_result("zbar_raw_720p_ms", best_raw, "ms");
	bench_result("scan_720p_ratio", best_up / best_raw, "x");
	bench_result("scan_720p_nocode_ms", time_upqr(s, empty, 3, 0), "ms");
	upqr_scanner_free(s);
	bench_video(frame, empty, best_raw);
	bench_video_corpus(payloads, np);
	if (getenv("UPQR_BENCH_VIDEO_ONLY"))
		return 0;

	sc_stats st[SC_FAMILIES];
	const char *names[32] = { 0 };
	int hits[32] = { 0 };
	if (sc_corpus_run(st, PER_FAMILY, CORPUS_SEED, payloads, np, names, hits, NULL) != 0)
		return 1;
	int tot = 0, up = 0, pl = 0, zx = 0, wc = 0, wrong = 0;
	bool have_zx = st[0].zxing >= 0, have_wc = st[0].wechat >= 0;
	printf("degraded corpus (%d images per family; zxing-cpp %s; WeChat decoder %s)\n", PER_FAMILY,
		have_zx ? "1.4 default hints" : "not measured: libzxing-dev absent",
		have_wc ? "without CNN models" : "not measured: libopencv-contrib-dev absent");
	printf("  %-14s %8s %8s %8s %8s %6s\n", "family", "upqr%", "zbar%", "zxing%", "wechat%", "wrong");
	for (int f = 0; f < SC_FAMILIES; f++) {
		printf("  %-14s %8.1f %8.1f %8.1f %8.1f %6d\n", sc_family_name(f),
			100.0 * st[f].upqr / st[f].total, 100.0 * st[f].plain / st[f].total,
			have_zx ? 100.0 * st[f].zxing / st[f].total : -1.0,
			have_wc ? 100.0 * st[f].wechat / st[f].total : -1.0, st[f].wrong);
		tot += st[f].total;
		up += st[f].upqr;
		pl += st[f].plain;
		zx += st[f].zxing;
		wc += st[f].wechat;
		wrong += st[f].wrong;
	}
	printf("  %-14s %8.1f %8.1f %8.1f %8.1f %6d\n", "all", 100.0 * up / tot, 100.0 * pl / tot,
		have_zx ? 100.0 * zx / tot : -1.0, have_wc ? 100.0 * wc / tot : -1.0, wrong);
	bench_result("scan_decode_rate_pct", 100.0 * up / tot, "%");
	bench_result("zbar_raw_decode_rate_pct", 100.0 * pl / tot, "%");
	if (have_zx)
		bench_result("zxing_raw_decode_rate_pct", 100.0 * zx / tot, "%");
	if (have_wc)
		bench_result("wechat_raw_decode_rate_pct", 100.0 * wc / tot, "%");
	bench_result("scan_wrong_payloads", wrong, "count");
	for (int f = 0; f < SC_FAMILIES; f++) {
		char name[64];
		snprintf(name, sizeof name, "scan_rate_%s_pct", sc_family_name(f));
		for (char *p = name; *p; p++)
			*p = *p == '-' ? '_' : *p;
		bench_result(name, 100.0 * st[f].upqr / st[f].total, "%");
		memcpy(name, "zbar", 4);
		bench_result(name, 100.0 * st[f].plain / st[f].total, "%");
		char other[80];
		if (have_zx) {
			snprintf(other, sizeof other, "zxing%s", name + 4);
			bench_result(other, 100.0 * st[f].zxing / st[f].total, "%");
		}
		if (have_wc) {
			snprintf(other, sizeof other, "wechat%s", name + 4);
			bench_result(other, 100.0 * st[f].wechat / st[f].total, "%");
		}
	}
	sc_free_payloads(payloads, np);
	free(frame);
	free(empty);
	return 0;
}
