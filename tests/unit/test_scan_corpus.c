/*
 * test_scan_corpus.c - the degraded-corpus decode rates: upqr against one
 * plain ZBar pass on the same camera-like images (tests/support/scan_corpus.c).
 * Asserted: upqr reads >= 99.5% overall (97% of the 40 quick images), at
 * least as many as the plain ZBar pass in every family, and never returns a
 * wrong payload as valid; and, in
 * test cases of their own that report themselves skipped when the engine is
 * not installed, at least as many as a plain zxing-cpp call (libzxing-dev)
 * and as OpenCV's WeChat decoder without its models (libopencv-contrib-dev).
 * UPQR_TEST_QUICK: 4 images per family instead of 40. UPQR_SCAN_DUMP=DIR
 * writes the images upqr missed there. UPQR_SCAN_SEED=N draws another corpus
 * (images the pass table was not tuned on; `make scan-eval` runs several).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan_corpus.h"
#include "testutil.h"

#define PER_FAMILY 40
#define CORPUS_SEED 20261127u

/* The corpus run's figures, kept for the engine comparisons that follow it. */
static sc_stats st[SC_FAMILIES];
static bool corpus_ran;

/* A rate, or -1 for an engine that was not linked. */
static double pct(int n, int total)
{
	return n < 0 ? -1.0 : 100.0 * n / total;
}

static void test_degraded_corpus(void **state)
{
	(void)state;
	size_t np = 0;
	char **payloads = sc_load_payloads("tests/data/scan-payloads.tsv", &np);
	assert_non_null(payloads);
	assert_true(np >= 5);
	const char *names[32] = { 0 };
	int hits[32] = { 0 };
	int per = getenv("UPQR_TEST_QUICK") ? 4 : PER_FAMILY;
	const char *seed_env = getenv("UPQR_SCAN_SEED");
	uint64_t seed = seed_env && *seed_env ? strtoull(seed_env, NULL, 10) : CORPUS_SEED;
	printf("# corpus seed %llu\n", (unsigned long long)seed);
	assert_int_equal(sc_corpus_run(st, per, seed, payloads, np, names, hits,
		getenv("UPQR_SCAN_DUMP")), 0);
	int tot = 0, up = 0, pl = 0, zx = 0, wc = 0, wrong = 0;
	printf("# %-14s %6s %8s %8s %8s %8s %6s\n", "family", "images", "upqr%", "zbar%", "zxing%",
		"wechat%", "wrong");
	for (int f = 0; f < SC_FAMILIES; f++) {
		printf("# %-14s %6d %8.1f %8.1f %8.1f %8.1f %6d\n", sc_family_name(f), st[f].total,
			pct(st[f].upqr, st[f].total), pct(st[f].plain, st[f].total),
			pct(st[f].zxing, st[f].total), pct(st[f].wechat, st[f].total), st[f].wrong);
		tot += st[f].total;
		up += st[f].upqr;
		pl += st[f].plain;
		zx += st[f].zxing;
		wc += st[f].wechat;
		wrong += st[f].wrong;
	}
	printf("# %-14s %6d %8.1f %8.1f %8.1f %8.1f %6d\n", "all", tot, pct(up, tot), pct(pl, tot),
		st[0].zxing < 0 ? -1.0 : pct(zx, tot), st[0].wechat < 0 ? -1.0 : pct(wc, tot), wrong);
	if (st[0].zxing < 0)
		printf("# zxing-cpp: not measured (libzxing-dev not installed)\n");
	if (st[0].wechat < 0)
		printf("# WeChat decoder: not measured (libopencv-contrib-dev not installed)\n");
	for (int i = 0; i < 32 && names[i]; i++)
		printf("# pass %-18s read %d\n", names[i], hits[i]);
	for (int f = 0; f < SC_FAMILIES; f++)
		if (st[f].upqr < st[f].plain)
			fail_msg("%s: upqr read %d, a plain ZBar pass %d", sc_family_name(f), st[f].upqr,
				st[f].plain);
	assert_int_equal(wrong, 0);
	int floor_pm = per == PER_FAMILY ? 995 : 970; /* per mille */
	if (up * 1000 < tot * floor_pm)
		fail_msg("upqr read %d of %d (< %d.%d%%)", up, tot, floor_pm / 10, floor_pm % 10);
	sc_free_payloads(payloads, np);
	corpus_ran = true;
}

enum engine { ZXING, WECHAT };

static int engine_reads(const sc_stats *s, enum engine e)
{
	return e == WECHAT ? s->wechat : s->zxing;
}

/* upqr against one comparison engine, family by family; skipped when it is not linked. */
static void against(enum engine e)
{
	static const char *const names[] = { "a plain zxing-cpp call", "OpenCV's WeChat decoder" };
	assert_true(corpus_ran);
	if (engine_reads(&st[0], e) < 0)
		skip(); /* the engine's package is not installed: nothing to compare with */
	for (int f = 0; f < SC_FAMILIES; f++)
		if (st[f].upqr < engine_reads(&st[f], e))
			fail_msg("%s: upqr read %d, %s %d", sc_family_name(f), st[f].upqr, names[e],
				engine_reads(&st[f], e));
}

static void test_against_zxing(void **state)
{
	(void)state;
	against(ZXING);
}

static void test_against_wechat(void **state)
{
	(void)state;
	against(WECHAT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_degraded_corpus),
		cmocka_unit_test(test_against_zxing),
		cmocka_unit_test(test_against_wechat),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
