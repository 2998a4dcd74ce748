/*
 * bench_mpm.c - MPM decode+validate, encode and a bare CRC pass over the
 * same bytes (the same upqr_crc16 the decoder uses), for a fixed set of
 * realistic payloads, plus heap allocations per decode.
 *
 * RESULT lines (averages over the payload set): mpm_decode_ns,
 * mpm_encode_ns, crc_ns, mpm_decode_allocs; mpm_decode_typical_ns: the
 * average over the three real-world payloads alone (without max-size), which
 * the Java binding's bench compares with. Target: decode within 3x crc.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "upqr.h"
#include "bench.h"

static const char ANNEX_B[] =
	"00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678"
	"520441115802CN5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京"
	"540523.7253031565502016233030412340603***0708A60086670902ME91320016A011223344"
	"9988770708123456786304A13A";
static const char UNIONPAY_HK[] =
	"0002010102121531479803444798034459803449399006326450012hk.com.hkicl02091660695260512"
	"29123123595952049399530334454042.005802HK5902NA6002HK6293011900-12348A10798425380218"
	"001-20200726084100032263ee92126d3fb9ff7bed98041802150821101001445D80560013com.swiftp"
	"ass0212181570002009041900-12348A10798425386304F335";
static const char KOREAN[] =
	"0002010102121531260004102600041071195812000000026310014D410000001401005091000054085204"
	"7299530341054062569805802KR5910NAISHUSIAT6013SEOUL MAPO-GU61050408662560309100005408"
	"0515MQ202200012703306081000445207080000000164240002ko0104나이스샷0206서울 마포구63045C76";

/* The largest payload the spec allows in spirit: every template slot full. */
static char *max_payload(void)
{
	char *b = malloc(UPQR_MPM_ENCODED_MAX);
	size_t n = 0;
	n += (size_t)sprintf(b + n, "000201010212153147980344000203447980344599900015204581253033445406128.50"
		"5802HK5920UPQR DEMO NOODLE BAR6009Hong Kong");
	for (int id = 26; id <= 51; id++)
		n += (size_t)sprintf(b + n, "%d990016A0000003330101010175%.75s", id,
			"0123456789ABCDEFGHIJ0123456789ABCDEFGHIJ0123456789ABCDEFGHIJ0123456789ABCDEFGHIJ");
	n += (size_t)sprintf(b + n, "6499" "0002ZH" "0125%s" "0215%s",
		"演示麵館演示麵館演示麵館演示麵館演示麵館演示麵館演",
		"香港香港香港香港香港香港香港香");
	/* 64 above has 6 + 29 + 19 = 54 characters: fix its length field. */
	memcpy(strstr(b, "6499") + 2, "54", 2);
	for (int id = 80; id <= 99; id++)
		n += (size_t)sprintf(b + n, "%d990012com.upqr.dev0179%s", id, /* 79 characters */
			"мерчант-мерчант-мерчант-мерчант-мерчант-мерчант-мерчант-мерчант-мерчант-мерчант");
	n += (size_t)sprintf(b + n, "6304");
	sprintf(b + n, "%04X", upqr_crc16(b, n));
	return b;
}

static size_t allocs;

static void *count_alloc(size_t n, void *u)
{
	(void)u;
	allocs++;
	return malloc(n);
}

static void *count_realloc(void *p, size_t n, void *u)
{
	(void)u;
	allocs++;
	return realloc(p, n);
}

static void count_free(void *p, void *u)
{
	(void)u;
	free(p);
}

static double best_ns(int kind, const char *s, size_t n, upqr_mpm_payload *p,
		const upqr_mpm_fields_in *in, char *out)
{
	double best = 1e30;
	size_t iters = 20000, w;
	for (int round = 0; round < 7; round++) {
		double t0 = bench_now_ns();
		for (size_t i = 0; i < iters; i++) {
			int rc = 0;
			if (kind == 0)
				rc = upqr_mpm_decode(p, NULL, s, n, NULL);
			else if (kind == 1)
				rc = upqr_mpm_encode(out, UPQR_MPM_ENCODED_MAX + 1, &w, NULL, in, NULL);
			else
				rc = upqr_crc16(s, n);
			bench_sink(&rc);
			bench_sink(p);
		}
		double t = (bench_now_ns() - t0) / (double)iters;
		if (t < best)
			best = t;
	}
	return best;
}

int main(void)
{
	char *maxp = max_payload();
	const struct { const char *name; const char *text; } set[] = {
		{ "EMVCo Annex B", ANNEX_B },
		{ "UnionPay HK multi-network", UNIONPAY_HK },
		{ "Korean (Hangul)", KOREAN },
		{ "max-size", maxp },
	};
	size_t count = sizeof set / sizeof set[0];
	upqr_mpm_payload *p = malloc(sizeof *p);
	upqr_mpm_fields_in *in = malloc(sizeof *in);
	char *out = malloc(UPQR_MPM_ENCODED_MAX + 1);
	double dsum = 0, esum = 0, csum = 0, typical = 0;
	size_t asum = 0;
	static const upqr_allocator counting = { count_alloc, count_realloc, count_free, NULL };
	printf("%-28s %6s %10s %10s %10s %8s %7s\n", "payload", "bytes", "decode ns", "encode ns",
		"crc ns", "dec/crc", "allocs");
	for (size_t i = 0; i < count; i++) {
		const char *s = set[i].text;
		size_t n = strlen(s);
		if (upqr_mpm_decode(p, NULL, s, n, NULL) != UPQR_OK) {
			fprintf(stderr, "bench: %s does not decode as valid\n", set[i].name);
			return 1;
		}
		/* The library's own payload -> encoder input (independent of p from here). */
		upqr_mpm_fields_store *st;
		if (upqr_mpm_fields_in_from_payload(in, &st, p) != UPQR_OK) {
			fprintf(stderr, "bench: %s does not convert to fields\n", set[i].name);
			return 1;
		}
		size_t w;
		if (upqr_mpm_encode(out, UPQR_MPM_ENCODED_MAX + 1, &w, NULL, in, NULL) != UPQR_OK) {
			fprintf(stderr, "bench: %s does not re-encode\n", set[i].name);
			return 1;
		}
		double d = best_ns(0, s, n, p, in, out);
		double e = best_ns(1, s, n, p, in, out);
		double k = best_ns(2, s, n, p, in, out);
		allocs = 0;
		upqr_set_allocator(&counting);
		if (upqr_mpm_decode(p, NULL, s, n, NULL) != UPQR_OK)
			return 1;
		upqr_set_allocator(NULL);
		upqr_mpm_fields_store_free(st);
		printf("%-28s %6zu %10.1f %10.1f %10.1f %8.2f %7zu\n", set[i].name, n, d, e, k, d / k,
			allocs);
		dsum += d;
		if (set[i].text != maxp)
			typical += d;
		esum += e;
		csum += k;
		asum += allocs;
	}
	printf("decode+validate / bare CRC over the set: %.2fx (target <= 3x)\n", dsum / csum);
	bench_result("mpm_decode_ns", dsum / (double)count, "ns");
	bench_result("mpm_decode_typical_ns", typical / (double)(count - 1), "ns");
	bench_result("mpm_encode_ns", esum / (double)count, "ns");
	bench_result("crc_ns", csum / (double)count, "ns");
	bench_result("mpm_decode_allocs", (double)asum / (double)count, "allocs");
	free(out);
	free(in);
	free(p);
	free(maxp);
	return 0;
}
