/*
 * bench_scan.c - scanning speed and decode rates.
 *
 *   scan_720p_ms          upqr_scan_grey on a 1280x720 frame holding a code
 *   zbar_raw_720p_ms      one plain ZBar pass (QR only, binary) on the same frame
 *   scan_720p_nocode_ms   upqr on a frame without a code (every pass runs: the worst case)
 *   scan_decode_rate_pct / zbar_raw_decode_rate_pct and per-family rates on the
 *   degraded corpus of tests/unit/test_scan_corpus.c (same seed, same images),
 *   plus zxing_raw_decode_rate_pct when libzxing-dev is installed
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
	bench_result("scan_720p_nocode_ms", time_upqr(s, empty, 3, 0), "ms");
	upqr_scanner_free(s);

	sc_stats st[SC_FAMILIES];
	const char *names[32] = { 0 };
	int hits[32] = { 0 };
	if (sc_corpus_run(st, PER_FAMILY, CORPUS_SEED, payloads, np, names, hits, NULL) != 0)
		return 1;
	int tot = 0, up = 0, pl = 0, zx = 0, wrong = 0;
	bool have_zx = st[0].zxing >= 0;
	printf("degraded corpus (%d images per family; zxing-cpp %s)\n", PER_FAMILY,
		have_zx ? "1.4 default hints" : "not measured: libzxing-dev absent");
	printf("  %-14s %8s %8s %8s %6s\n", "family", "upqr%", "zbar%", "zxing%", "wrong");
	for (int f = 0; f < SC_FAMILIES; f++) {
		printf("  %-14s %8.1f %8.1f %8.1f %6d\n", sc_family_name(f), 100.0 * st[f].upqr / st[f].total,
			100.0 * st[f].plain / st[f].total, have_zx ? 100.0 * st[f].zxing / st[f].total : -1.0,
			st[f].wrong);
		tot += st[f].total;
		up += st[f].upqr;
		pl += st[f].plain;
		zx += st[f].zxing;
		wrong += st[f].wrong;
	}
	printf("  %-14s %8.1f %8.1f %8.1f %6d\n", "all", 100.0 * up / tot, 100.0 * pl / tot,
		have_zx ? 100.0 * zx / tot : -1.0, wrong);
	bench_result("scan_decode_rate_pct", 100.0 * up / tot, "%");
	bench_result("zbar_raw_decode_rate_pct", 100.0 * pl / tot, "%");
	if (have_zx)
		bench_result("zxing_raw_decode_rate_pct", 100.0 * zx / tot, "%");
	bench_result("scan_wrong_payloads", wrong, "count");
	for (int f = 0; f < SC_FAMILIES; f++) {
		char name[64];
		snprintf(name, sizeof name, "scan_rate_%s_pct", sc_family_name(f));
		for (char *p = name; *p; p++)
			*p = *p == '-' ? '_' : *p;
		bench_result(name, 100.0 * st[f].upqr / st[f].total, "%");
		memcpy(name, "zbar", 4);
		bench_result(name, 100.0 * st[f].plain / st[f].total, "%");
		if (have_zx) {
			char zname[80];
			snprintf(zname, sizeof zname, "zxing%s", name + 4);
			bench_result(zname, 100.0 * st[f].zxing / st[f].total, "%");
		}
	}
	sc_free_payloads(payloads, np);
	free(frame);
	free(empty);
	return 0;
}
