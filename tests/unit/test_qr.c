/*
 * test_qr.c - payload -> module matrix: options, limits, symbol structure
 * (finder patterns, format information, first data bits), smallest version
 * against libqrencode itself, and every refusal.
 *
 * The symbol is read back with an independent reader of ISO/IEC 18004
 * (format information placement and BCH code, data masks, the bottom-right
 * start of the codeword stream), so the checks do not trust libqrencode.
 */
#include <string.h>

#include <qrencode.h>

#include "testutil.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static const uint8_t *P(const char *s)
{
	return (const uint8_t *)s;
}

/* Encodes s at level ecc into m (UPQR_QR_MODULES_MAX bytes); fails the test on error. */
static upqr_qr_info enc(uint8_t *m, const char *s, size_t n, upqr_qr_ecc ecc)
{
	upqr_qr_options o = UPQR_QR_OPTIONS_INIT;
	upqr_qr_info info;
	size_t w = 0;
	o.ecc = ecc;
	assert_int_equal(upqr_qr_encode(m, UPQR_QR_MODULES_MAX, &w, &info, &o, P(s), n), UPQR_OK);
	assert_int_equal(w, info.size * info.size);
	return info;
}

/* ---- an independent reader of the symbol --------------------------------- */

static int mod(const uint8_t *m, size_t size, size_t row, size_t col)
{
	return m[row * size + col];
}

/* 7x7 finder at (r, c): dark ring, light ring, dark 3x3 core. */
static void assert_finder(const uint8_t *m, size_t size, size_t r, size_t c)
{
	for (size_t i = 0; i < 7; i++)
		for (size_t j = 0; j < 7; j++) {
			size_t d = i < j ? i : j, e = (6 - i) < (6 - j) ? 6 - i : 6 - j;
			size_t ring = d < e ? d : e;
			assert_int_equal(mod(m, size, r + i, c + j), ring != 1);
		}
}

/* BCH(15,5) remainder with generator x^10+x^8+x^5+x^4+x^2+x+1 (0x537). */
static unsigned bch_format(unsigned data5)
{
	unsigned v = data5 << 10;
	for (int i = 14; i >= 10; i--)
		if (v & (1u << i))
			v ^= 0x537u << (i - 10);
	return (data5 << 10) | v;
}

/* Both copies of the 15-bit format information, bit 0 first, unmasked. */
static unsigned read_format(const uint8_t *m, size_t size, int copy)
{
	unsigned f = 0;
	for (unsigned i = 0; i < 15; i++) {
		int bit;
		if (copy == 0) /* around the top-left finder */
			bit = i < 6 ? mod(m, size, i, 8) : i < 8 ? mod(m, size, i + 1, 8)
				: i == 8 ? mod(m, size, 8, 7) : mod(m, size, 8, 14 - i);
		else /* split: bottom-left column and top-right row */
			bit = i < 8 ? mod(m, size, 8, size - 1 - i) : mod(m, size, size - 15 + i, 8);
		f |= (unsigned)bit << i;
	}
	return f ^ 0x5412u;
}

static int mask_bit(int mask, size_t i, size_t j)
{
	switch (mask) {
	case 0: return (i + j) % 2 == 0;
	case 1: return i % 2 == 0;
	case 2: return j % 3 == 0;
	case 3: return (i + j) % 3 == 0;
	case 4: return (i / 2 + j / 3) % 2 == 0;
	case 5: return (i * j) % 2 + (i * j) % 3 == 0;
	case 6: return ((i * j) % 2 + (i * j) % 3) % 2 == 0;
	default: return ((i + j) % 2 + (i * j) % 3) % 2 == 0;
	}
}

/*
 * The first codeword of the stream (first data codeword of block 1) sits
 * in the bottom-right 2x4 modules, read upwards, right column first.
 */
static unsigned first_codeword(const uint8_t *m, size_t size, int mask)
{
	unsigned cw = 0;
	for (size_t k = 0; k < 8; k++) {
		size_t row = size - 1 - k / 2, col = size - 1 - k % 2;
		cw = cw << 1 | (unsigned)(mod(m, size, row, col) ^ mask_bit(mask, row, col));
	}
	return cw;
}

typedef struct symbol_read {
	int ecc;       /* upqr_qr_ecc */
	int mask;
	unsigned first;
} symbol_read;

static symbol_read read_symbol(const uint8_t *m, size_t size)
{
	static const int level_of_bits[4] = { UPQR_QR_ECC_M, UPQR_QR_ECC_L, UPQR_QR_ECC_H, UPQR_QR_ECC_Q };
	unsigned f0 = read_format(m, size, 0), f1 = read_format(m, size, 1);
	assert_int_equal(f0, f1);
	assert_int_equal(bch_format(f0 >> 10), f0);
	symbol_read r = { level_of_bits[f0 >> 13], (int)(f0 >> 10) & 7, 0 };
	r.first = first_codeword(m, size, r.mask);
	return r;
}

static void assert_structure(const uint8_t *m, const upqr_qr_info *info)
{
	size_t s = info->size;
	assert_true(info->version >= 1 && info->version <= 40);
	assert_int_equal(s, 17 + 4 * (size_t)info->version);
	assert_finder(m, s, 0, 0);
	assert_finder(m, s, 0, s - 7);
	assert_finder(m, s, s - 7, 0);
	for (size_t i = 8; i < s - 8; i++) { /* timing patterns */
		assert_int_equal(mod(m, s, 6, i), i % 2 == 0);
		assert_int_equal(mod(m, s, i, 6), i % 2 == 0);
	}
	assert_int_equal(mod(m, s, s - 8, 8), 1); /* the always-dark module */
	for (size_t i = 0; i < s * s; i++)
		assert_true(m[i] <= 1);
}

/* ---- tests ---------------------------------------------------------------- */

static void test_options_and_limits(void **state)
{
	(void)state;
	upqr_qr_options o, d = UPQR_QR_OPTIONS_INIT;
	memset(&o, 0xAB, sizeof o);
	assert_int_equal(upqr_qr_options_init(&o, UPQR_QR_OPTIONS_VERSION), UPQR_OK);
	assert_memory_equal(&o, &d, sizeof o);
	assert_int_equal(o.ecc, UPQR_QR_ECC_M);
	assert_true(o.margin >= UPQR_QR_MARGIN_MIN);
	assert_int_equal(upqr_qr_options_init(&o, 0), UPQR_EVERSION);
	assert_int_equal(upqr_qr_options_init(&o, UPQR_QR_OPTIONS_VERSION + 1), UPQR_EVERSION);
	assert_int_equal(upqr_qr_options_init(NULL, UPQR_QR_OPTIONS_VERSION), UPQR_EINVAL);
	assert_int_equal(upqr_qr_version_max(), UPQR_QR_VERSION_MAX);
	assert_int_equal(upqr_qr_scale_max(), UPQR_QR_SCALE_MAX);
	assert_int_equal(upqr_qr_margin_min(), UPQR_QR_MARGIN_MIN);
	assert_int_equal(upqr_qr_margin_max(), UPQR_QR_MARGIN_MAX);
	assert_int_equal(upqr_qr_payload_max(UPQR_QR_ECC_L), UPQR_QR_PAYLOAD_MAX);
	assert_int_equal(upqr_qr_payload_max((upqr_qr_ecc)4), 0);
	assert_int_equal(upqr_qr_size_max(), UPQR_QR_SIZE_MAX);
	assert_int_equal(upqr_qr_modules_max(), UPQR_QR_MODULES_MAX);
	assert_int_equal(UPQR_QR_MODULES_MAX, UPQR_QR_SIZE_MAX * UPQR_QR_SIZE_MAX);
	assert_int_equal(UPQR_QR_SIZE_MAX, 17 + 4 * UPQR_QR_VERSION_MAX);
	assert_string_equal(upqr_qr_ecc_name(UPQR_QR_ECC_L), "L");
	assert_string_equal(upqr_qr_ecc_name(UPQR_QR_ECC_H), "H");
	assert_string_equal(upqr_qr_ecc_name((upqr_qr_ecc)4), "?");
	assert_int_equal(upqr_qr_image_side(21, NULL), (21 + 8) * 8);
	assert_int_equal(upqr_qr_image_side(22, NULL), 0);
	o.scale = 0;
	assert_int_equal(upqr_qr_image_side(21, &o), 0);
}

static void test_matrix_structure_every_level(void **state)
{
	(void)state;
	static uint8_t m[UPQR_QR_MODULES_MAX];
	const char *payloads[] = { "A", "00020101021215313233343536373839404142435204599953031565802CN",
		"\xe5\x8c\x97\xe4\xba\xac" /* 北京 */ };
	for (int lv = 0; lv < 4; lv++)
		for (size_t p = 0; p < N_OF(payloads); p++) {
			upqr_qr_info info = enc(m, payloads[p], strlen(payloads[p]), (upqr_qr_ecc)lv);
			assert_int_equal(info.ecc, lv);
			assert_structure(m, &info);
			symbol_read r = read_symbol(m, info.size);
			assert_int_equal(r.ecc, lv);
		}
}

/* ECI 000026 is in the bit stream exactly when a byte is outside 0x20..0x7E. */
static void test_eci_iff_non_ans(void **state)
{
	(void)state;
	static uint8_t m[UPQR_QR_MODULES_MAX];
	struct { const char *s; int eci; } cases[] = {
		{ " !~AZaz09", 0 },
		{ "plain ASCII merchant", 0 },
		{ "\xe5\x8c\x97\xe4\xba\xac", 1 },         /* 北京 */
		{ "Seoul \xec\x84\x9c\xec\x9a\xb8", 1 },   /* 서울 */
		{ "caf\xc3\xa9", 1 },                      /* é */
		{ "tab\there", 1 },                        /* control character */
		{ "del\x7f", 1 },
	};
	for (int lv = 0; lv < 4; lv++)
		for (size_t i = 0; i < N_OF(cases); i++) {
			upqr_qr_info info = enc(m, cases[i].s, strlen(cases[i].s), (upqr_qr_ecc)lv);
			assert_int_equal(info.eci, cases[i].eci);
			symbol_read r = read_symbol(m, info.size);
			if (cases[i].eci) /* mode 0111 (ECI), then 0001 of designator 00011010 */
				assert_int_equal(r.first, 0x71);
			else /* mode 0100 (byte) */
				assert_int_equal(r.first >> 4, 0x4);
		}
}

/* The version libqrencode reaches when told to start at v (it grows it to fit). */
static int raw_version(const uint8_t *p, size_t n, int v, QRecLevel lv, int eci)
{
	QRinput *in = QRinput_new2(v, lv);
	assert_non_null(in);
	if (eci)
		assert_int_equal(QRinput_appendECIheader(in, 26), 0);
	assert_int_equal(QRinput_append(in, QR_MODE_8, (int)n, p), 0);
	QRcode *c = QRcode_encodeInput(in);
	QRinput_free(in);
	if (!c)
		return 0;
	int got = c->version;
	QRcode_free(c);
	return got;
}

/* The smallest version: version-1 does not hold the same bit stream. */
static void test_smallest_version(void **state)
{
	(void)state;
	static uint8_t m[UPQR_QR_MODULES_MAX];
	static const QRecLevel levels[4] = { QR_ECLEVEL_L, QR_ECLEVEL_M, QR_ECLEVEL_Q, QR_ECLEVEL_H };
	static char buf[UPQR_QR_PAYLOAD_MAX + 1];
	uint64_t rng = tu_seed();
	size_t iters = tu_iterations(200);
	for (size_t it = 0; it < iters; it++) {
		int lv = (int)(tu_rand(&rng) % 4);
		size_t n = 1 + tu_rand(&rng) % 1200;
		int eci = (int)(tu_rand(&rng) % 2);
		for (size_t i = 0; i < n; i++)
			buf[i] = (char)(0x20 + tu_rand(&rng) % 95);
		if (eci)
			buf[tu_rand(&rng) % n] = '\n';
		upqr_qr_options o = UPQR_QR_OPTIONS_INIT;
		upqr_qr_info info;
		o.ecc = (upqr_qr_ecc)lv;
		int rc = upqr_qr_encode(m, sizeof m, NULL, &info, &o, P(buf), n);
		if (rc == UPQR_ETOOLARGE) {
			assert_int_equal(raw_version(P(buf), n, 40, levels[lv], eci), 0);
			continue;
		}
		assert_int_equal(rc, UPQR_OK);
		assert_int_equal(info.eci, eci);
		assert_int_equal(raw_version(P(buf), n, info.version, levels[lv], eci), info.version);
		if (info.version > 1)
			assert_int_equal(raw_version(P(buf), n, info.version - 1, levels[lv], eci), info.version);
	}
}

/*
 * Capacities from ISO/IEC 18004 Table 7 (byte mode) at version 1 and 40,
 * at every level, just fitting and one over. With ECI the stream is 12
 * bits longer, so the true capacity is one byte less (v1: 16/13/10/6), but
 * libqrencode 4.1.1 reserves 16 bits more than that while it picks the
 * version (it sizes the ECI entry like a data segment), so near a version
 * boundary an ECI symbol is one version larger: v1 holds 14/11/8/4 bytes.
 * The exact check at the end of its search keeps version 40 exact.
 */
static void test_capacity_edges(void **state)
{
	(void)state;
	static uint8_t m[UPQR_QR_MODULES_MAX];
	static char buf[UPQR_QR_PAYLOAD_MAX + 2];
	static const size_t v1[4] = { 17, 14, 11, 7 }, v1_eci[4] = { 14, 11, 8, 4 };
	static const size_t v40[4] = { 2953, 2331, 1663, 1273 }, v40_eci[4] = { 2952, 2330, 1662, 1272 };
	memset(buf, 'A', sizeof buf);
	for (int lv = 0; lv < 4; lv++) {
		upqr_qr_options o = UPQR_QR_OPTIONS_INIT;
		upqr_qr_info info;
		o.ecc = (upqr_qr_ecc)lv;
		for (int eci = 0; eci < 2; eci++) {
			buf[0] = eci ? '\n' : 'A';
			size_t one = eci ? v1_eci[lv] : v1[lv], forty = eci ? v40_eci[lv] : v40[lv];
			assert_int_equal(upqr_qr_encode(m, sizeof m, NULL, &info, &o, P(buf), one), UPQR_OK);
			assert_int_equal(info.version, 1);
			assert_int_equal(upqr_qr_encode(m, sizeof m, NULL, &info, &o, P(buf), one + 1), UPQR_OK);
			assert_int_equal(info.version, 2);
			assert_int_equal(upqr_qr_encode(m, sizeof m, NULL, &info, &o, P(buf), forty), UPQR_OK);
			assert_int_equal(info.version, 40);
			assert_int_equal(info.size, UPQR_QR_SIZE_MAX);
			assert_structure(m, &info);
			assert_int_equal(upqr_qr_encode(m, sizeof m, NULL, &info, &o, P(buf), forty + 1),
				UPQR_ETOOLARGE);
		}
	}
	for (int lv = 0; lv < 4; lv++)
		assert_int_equal(upqr_qr_payload_max((upqr_qr_ecc)lv), v40[lv]);
}

static void test_encode_refusals(void **state)
{
	(void)state;
	static uint8_t m[UPQR_QR_MODULES_MAX];
	static uint8_t big[100000];
	upqr_qr_options o = UPQR_QR_OPTIONS_INIT;
	size_t w = 12345;
	assert_int_equal(upqr_qr_encode(m, sizeof m, &w, NULL, NULL, P("x"), 0), UPQR_EINVAL);
	assert_int_equal(upqr_qr_encode(m, sizeof m, &w, NULL, NULL, NULL, 5), UPQR_EINVAL);
	assert_int_equal(w, 12345); /* untouched on refusal */
	/* Invalid UTF-8: stray continuation, overlong, surrogate, truncated. */
	const char *bad[] = { "ab\x80", "\xc0\xaf", "\xed\xa0\x80", "\xe5\x8c", "\xff" };
	for (size_t i = 0; i < N_OF(bad); i++)
		assert_int_equal(upqr_qr_encode(m, sizeof m, NULL, NULL, NULL, P(bad[i]), strlen(bad[i])),
			UPQR_EENCODING);
	memset(big, 'A', sizeof big);
	assert_int_equal(upqr_qr_encode(m, sizeof m, NULL, NULL, NULL, big, sizeof big), UPQR_ETOOLARGE);
	o.version = 0;
	assert_int_equal(upqr_qr_encode(m, sizeof m, NULL, NULL, &o, P("x"), 1), UPQR_EVERSION);
	o.version = 99;
	assert_int_equal(upqr_qr_encode(m, sizeof m, NULL, NULL, &o, P("x"), 1), UPQR_EVERSION);
	upqr_qr_options bads[6];
	for (size_t i = 0; i < 6; i++)
		assert_int_equal(upqr_qr_options_init(&bads[i], UPQR_QR_OPTIONS_VERSION), UPQR_OK);
	bads[0].ecc = (upqr_qr_ecc)4;
	bads[1].scale = 0;
	bads[2].scale = UPQR_QR_SCALE_MAX + 1;
	bads[3].margin = UPQR_QR_MARGIN_MIN - 1;
	bads[4].margin = UPQR_QR_MARGIN_MAX + 1;
	bads[5].png_bit_depth = 4;
	for (size_t i = 0; i < 6; i++)
		assert_int_equal(upqr_qr_encode(m, sizeof m, NULL, NULL, &bads[i], P("x"), 1), UPQR_EINVAL);
	o = bads[0];
	o.ecc = UPQR_QR_ECC_M;
	o.theme = (upqr_qr_theme)2;
	assert_int_equal(upqr_qr_encode(m, sizeof m, NULL, NULL, &o, P("x"), 1), UPQR_EINVAL);
}

static void test_encode_buffer_query(void **state)
{
	(void)state;
	static uint8_t m[UPQR_QR_MODULES_MAX], ref[UPQR_QR_MODULES_MAX];
	upqr_qr_info info = { 0 }, info2;
	size_t w = 0;
	assert_int_equal(upqr_qr_encode(NULL, 0, &w, &info, NULL, P("HELLO"), 5), UPQR_EBUFSIZE);
	assert_int_equal(w, 21 * 21);
	assert_int_equal(info.version, 1);
	assert_int_equal(upqr_qr_encode(m, w - 1, &w, NULL, NULL, P("HELLO"), 5), UPQR_EBUFSIZE);
	memset(m, 0xEE, sizeof m);
	assert_int_equal(upqr_qr_encode(m, w, &w, &info2, NULL, P("HELLO"), 5), UPQR_OK);
	assert_int_equal(m[w], 0xEE); /* nothing past the matrix */
	assert_int_equal(info2.image_side, (21 + 8) * 8);
	/* Deterministic: the same payload gives the same matrix. */
	assert_int_equal(upqr_qr_encode(ref, sizeof ref, NULL, NULL, NULL, P("HELLO"), 5), UPQR_OK);
	assert_memory_equal(m, ref, w);
	/* Same as libqrencode's own 8-bit encode (no ECI needed here). */
	QRcode *c = QRcode_encodeData(5, P("HELLO"), 0, QR_ECLEVEL_M);
	assert_non_null(c);
	assert_int_equal(c->width, 21);
	for (size_t i = 0; i < w; i++)
		assert_int_equal(m[i], c->data[i] & 1);
	QRcode_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options_and_limits),
		cmocka_unit_test(test_matrix_structure_every_level),
		cmocka_unit_test(test_eci_iff_non_ans),
		cmocka_unit_test(test_smallest_version),
		cmocka_unit_test(test_capacity_edges),
		cmocka_unit_test(test_encode_refusals),
		cmocka_unit_test(test_encode_buffer_query),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
