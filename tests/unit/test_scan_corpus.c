/*
 * test_scan_corpus.c - the degraded-corpus decode rates: upqr against one
 * plain ZBar pass on the same camera-like images (tests/support/scan_corpus.c).
 * Asserted: upqr reads >= 97% overall, at least as many as the plain pass
 * in every family, and never returns a wrong payload as valid.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan_corpus.h"
#include "testutil.h"

#define PER_FAMILY 40

typedef struct family_stats {
	int total, upqr, plain, wrong;
} family_stats;

static const char *upqr_reads(upqr_scanner *s, const sc_img *img, const char *want, int *wrong)
{
	size_t count = 0;
	int rc = upqr_scan_grey(&count, s, img->px, (size_t)img->w * (size_t)img->h,
		(unsigned)img->w, (unsigned)img->h, (size_t)img->w);
	assert_true(rc == UPQR_OK || rc == UPQR_ENOSYMBOL);
	const char *pass = NULL;
	for (size_t i = 0; i < count; i++) {
		const upqr_scan_symbol *sym = upqr_scanner_symbol(s, i);
		bool same = sym->len == strlen(want) && memcmp(sym->data, want, sym->len) == 0;
		if (sym->valid && !same)
			(*wrong)++;
		if (sym->valid && same)
			pass = sym->pass;
	}
	return pass;
}

static void test_degraded_corpus(void **state)
{
	(void)state;
	size_t np = 0;
	char **payloads = sc_load_payloads("tests/data/scan-payloads.tsv", &np);
	assert_non_null(payloads);
	assert_true(np >= 5);
	upqr_scanner *s = NULL;
	assert_int_equal(upqr_scanner_new(&s, NULL), UPQR_OK);
	int per = getenv("UPQR_TEST_QUICK") ? 4 : PER_FAMILY;
	family_stats st[SC_FAMILIES] = { { 0, 0, 0, 0 } };
	int passes[32] = { 0 };
	const char *pass_names[32] = { 0 };
	uint64_t seed = 20261127;
	for (int f = 0; f < SC_FAMILIES; f++)
		for (int k = 0; k < per; k++) {
			const char *want = payloads[(size_t)(k + f) % np];
			sc_img img;
			assert_int_equal(sc_corpus_image(&img, f, k, seed, (const uint8_t *)want, strlen(want)), 0);
			st[f].total++;
			st[f].plain += sc_zbar_plain_reads(&img, (const uint8_t *)want, strlen(want));
			const char *pass = upqr_reads(s, &img, want, &st[f].wrong);
			if (pass) {
				st[f].upqr++;
				for (int i = 0; i < 32; i++)
					if (!pass_names[i] || strcmp(pass_names[i], pass) == 0) {
						pass_names[i] = pass;
						passes[i]++;
						break;
					}
			} else if (getenv("UPQR_SCAN_DUMP")) {
				uint8_t *png = NULL;
				size_t n = 0;
				char name[64];
				snprintf(name, sizeof name, "build/miss-%s-%d.png", sc_family_name(f), k);
				if (sc_png_encode(&img, &png, &n) == 0) {
					FILE *o = fopen(name, "wb");
					if (o) {
						fwrite(png, 1, n, o);
						fclose(o);
					}
					free(png);
				}
			}
			sc_img_free(&img);
		}
	int tot = 0, up = 0, pl = 0, wrong = 0;
	printf("# %-14s %6s %8s %8s %6s\n", "family", "images", "upqr%", "zbar%", "wrong");
	for (int f = 0; f < SC_FAMILIES; f++) {
		printf("# %-14s %6d %8.1f %8.1f %6d\n", sc_family_name(f), st[f].total,
			100.0 * st[f].upqr / st[f].total, 100.0 * st[f].plain / st[f].total, st[f].wrong);
		tot += st[f].total;
		up += st[f].upqr;
		pl += st[f].plain;
		wrong += st[f].wrong;
	}
	printf("# %-14s %6d %8.1f %8.1f %6d\n", "all", tot, 100.0 * up / tot, 100.0 * pl / tot, wrong);
	for (int i = 0; i < 32 && pass_names[i]; i++)
		printf("# pass %-16s read %d\n", pass_names[i], passes[i]);
	for (int f = 0; f < SC_FAMILIES; f++)
		assert_true(st[f].upqr >= st[f].plain);
	assert_int_equal(wrong, 0);
	assert_true(up * 100 >= tot * 97);
	upqr_scanner_free(s);
	sc_free_payloads(payloads, np);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_degraded_corpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
