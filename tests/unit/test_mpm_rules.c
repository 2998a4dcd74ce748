/*
 * test_mpm_rules.c - one negative test per MPM rule: each checks the
 * diagnostic code, its severity, byte offset and ID path, and that the
 * verdict follows (errors invalidate, warnings do not).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "core/core_internal.h"
#include "mpm/mpm_internal.h"

static upqr_mpm_payload P;
static upqr_diag ITEMS[256];
static upqr_diag_list DL;
static char BUF[UPQR_MPM_INPUT_MAX + 16];

/* A valid UnionPay-style static payload body without its CRC (offsets below count on it). */
#define B_00 "000201"                                   /* 0 */
#define B_01 "010211"                                   /* 6 */
#define B_15 "1531" "37210116" "37210116" "0123456789ABCDE" /* 12 */
#define B_52 "52045999"                                 /* 47 */
#define B_53 "5303344"                                  /* 55 */
#define B_58 "5802HK"                                   /* 62 */
#define B_59 "5904SHOP"                                 /* 68 */
#define B_60 "6009Hong Kong"                            /* 76 */
#define BASE B_00 B_01 B_15 B_52 B_53 B_58 B_59 B_60    /* 89 bytes */
#define BASE_LEN 89

/* body + "6304" + its CRC into BUF; returns BUF. */
static const char *with_crc(const char *body)
{
	size_t n = strlen(body);
	assert_true(n + 9 <= sizeof BUF);
	memcpy(BUF, body, n);
	memcpy(BUF + n, "6304", 4);
	snprintf(BUF + n + 4, 5, "%04X", upqr_crc16(BUF, n + 4));
	return BUF;
}

static int decode_n(const upqr_mpm_profile *prof, const char *payload, size_t n)
{
	upqr_diag_list_init(&DL, ITEMS, 256);
	return upqr_mpm_decode(&P, prof, payload, n, &DL);
}

static int decode(const char *payload)
{
	return decode_n(NULL, payload, strlen(payload));
}

static void dump(void)
{
	for (size_t i = 0; i < DL.count; i++)
		print_message("  %s %s @%zu [%s] %s\n", upqr_severity_name(ITEMS[i].severity),
			ITEMS[i].code, ITEMS[i].offset, ITEMS[i].path, ITEMS[i].message);
}

/* The last decode reported `code` with that severity at offset/path. */
static void expect(const char *code, upqr_severity sev, size_t offset, const char *path)
{
	for (size_t i = 0; i < DL.count; i++)
		if (!strcmp(ITEMS[i].code, code) && ITEMS[i].severity == sev &&
				ITEMS[i].offset == offset && !strcmp(ITEMS[i].path, path))
			return;
	dump();
	fail_msg("expected %s (%s) at %zu [%s]", code, upqr_severity_name(sev), offset, path);
}

static void expect_err(const char *code, size_t offset, const char *path)
{
	expect(code, UPQR_SEV_ERROR, offset, path);
	assert_false(upqr_mpm_valid(&P));
}

static void expect_warn_only(const char *code, size_t offset, const char *path)
{
	expect(code, UPQR_SEV_WARNING, offset, path);
	if (P.errors) {
		dump();
		fail_msg("a warning must not invalidate the payload");
	}
}

static void test_base_is_valid(void **state)
{
	(void)state;
	assert_int_equal(strlen(BASE), BASE_LEN);
	assert_int_equal(decode(with_crc(BASE)), UPQR_OK);
	assert_int_equal(P.errors + P.warnings, 0);
	assert_int_equal(decode_n(upqr_mpm_profile_unionpay(), BUF, strlen(BUF)), UPQR_OK);
	assert_int_equal(P.warnings, 0);
}

static void test_bad_id(void **state)
{
	(void)state;
	assert_int_equal(decode(with_crc(BASE "6A02AB")), UPQR_EINVALID);
	expect_err("bad_id", BASE_LEN, "");
	/* Inside a template the path names the template. */
	decode(with_crc(BASE "6205X1234"));
	expect_err("bad_id", BASE_LEN + 4, "62");
}

static void test_bad_length(void **state)
{
	(void)state;
	decode(with_crc(BASE "6100"));
	expect_err("bad_length", BASE_LEN + 2, "61");
	decode(with_crc(BASE "610A1"));
	expect_err("bad_length", BASE_LEN + 2, "61");
	decode(with_crc(BASE "62080100A"));
	expect_err("bad_length", BASE_LEN + 6, "62.01");
}

static void test_length_overrun(void **state)
{
	(void)state;
	decode(BASE "6110ABC");
	expect_err("length_overrun", BASE_LEN, "61");
	assert_true(P.objects[P.count - 1].flags & UPQR_MPM_OBJ_TRUNCATED);
	/* A child longer than its template. */
	decode(with_crc(BASE "62070109ABC"));
	expect_err("length_overrun", BASE_LEN + 4, "62.01");
	/* A header cut short at the end. */
	decode(BASE "63");
	expect_err("length_overrun", BASE_LEN, "");
}

static void test_bad_utf8(void **state)
{
	(void)state;
	/* C3 followed by 'B' is not UTF-8. */
	decode(with_crc(BASE "64130002ZH0103A\xC3" "B"));
	expect_err("bad_utf8", BASE_LEN + 15, "64");
	/* Overlong and surrogate forms are refused too. */
	decode(with_crc(BASE "64110002ZH0101\xC0\xAF"));
	expect_err("bad_utf8", BASE_LEN + 14, "64");
	decode(with_crc(BASE "64110002ZH0101\xED\xA0\x80"));
	expect_err("bad_utf8", BASE_LEN + 14, "64");
}

/* The decoder's UTF-8 check agrees with the core's strict decoder, byte for byte. */
static void check_utf8_value(const uint8_t *v, size_t n)
{
	char body[128];
	size_t lead = 0;
	for (size_t i = 0; i < n; i++)
		lead += (v[i] & 0xC0) != 0x80;
	if (lead == 0)
		return;
	size_t k = (size_t)snprintf(body, sizeof body, "%s65%02zu", BASE, lead);
	memcpy(body + k, v, n);
	body[k + n] = 0;
	size_t count, bad = 0;
	bool valid = upqr__utf8_count(v, n, &count, &bad);
	decode_n(NULL, body, k + n);
	const upqr_diag *d = upqr_diag_list_find(&DL, "bad_utf8");
	if (valid != (d == NULL) || (d && d->offset != k + bad)) {
		dump();
		fail_msg("UTF-8 verdicts differ for %02X %02X %02X %02X (n=%zu)", v[0],
			n > 1 ? v[1] : 0, n > 2 ? v[2] : 0, n > 3 ? v[3] : 0, n);
	}
}

static void test_utf8_agrees_with_core(void **state)
{
	(void)state;
	uint8_t v[4];
	for (unsigned x = 0; x < 65536; x++) {
		v[0] = (uint8_t)(x >> 8);
		v[1] = (uint8_t)x;
		check_utf8_value(v, 2);
	}
	uint64_t rng = tu_seed();
	for (size_t r = 0; r < tu_iterations(200000); r++) {
		uint64_t x = tu_rand(&rng);
		size_t n = 3 + (x & 1);
		v[0] = (uint8_t)(0xE0 | ((x >> 8) & 0x1F)); /* E0..FF leads */
		v[1] = (uint8_t)(x >> 16);
		v[2] = (uint8_t)(x >> 24);
		v[3] = (uint8_t)(x >> 32);
		if (x & 2) /* mostly well-formed tails, so the range checks get exercised */
			for (size_t i = 1; i < n; i++)
				v[i] = (uint8_t)(0x80 | (v[i] & 0x3F));
		check_utf8_value(v, n);
	}
}

/*
 * The decoder's eight-bytes-a-step class scan against the byte table, on
 * values mixing digits, ans, controls, DEL and UTF-8, every length to 40 and
 * every alignment, and with each single byte of every value 0..255 at each
 * position of a word (the word tricks must not let one byte hide another).
 */
static void test_byte_classes(void **state)
{
	(void)state;
	static const uint8_t pick[] = { '0', '5', '9', '/', ':', ' ', '~', 'A', 0x00, 0x1F, 0x7F,
		0x80, 0xC3, 0xFF, 0x20, 0x30, 0x39, 0x2F, 0x3A, 0x7E };
	uint64_t rng = tu_seed();
	uint8_t buf[48];
	for (size_t it = 0; it < tu_iterations(20000); it++) {
		size_t off = tu_rand(&rng) % 8, n = tu_rand(&rng) % 41;
		bool digits = tu_rand(&rng) % 2;
		for (size_t i = 0; i < off + n; i++)
			buf[i] = digits && tu_rand(&rng) % 8 ? (uint8_t)('0' + tu_rand(&rng) % 10) :
				pick[tu_rand(&rng) % sizeof pick];
		unsigned want = 0;
		for (size_t i = 0; i < n; i++)
			want |= upqr__mpm_class(buf[off + i]);
		assert_int_equal(upqr__mpm_classes(buf + off, n), want);
	}
	for (unsigned b = 0; b < 256; b++)
		for (size_t at = 0; at < 16; at++) {
			memset(buf, '7', 16);
			buf[at] = (uint8_t)b;
			assert_int_equal(upqr__mpm_classes(buf, 16), upqr__mpm_class((uint8_t)b));
			memset(buf, 'a', 16);
			buf[at] = (uint8_t)b;
			assert_int_equal(upqr__mpm_classes(buf, 16),
				upqr__mpm_class((uint8_t)b) | upqr__mpm_class('a'));
		}
}

static void test_bad_format(void **state)
{
	(void)state;
	decode(with_crc(B_00 B_01 B_15 "520459A9" B_53 B_58 B_59 B_60));
	expect_err("bad_format", 47 + 6, "52");
	/* ans excludes non-ASCII: a name with "é" (2 bytes, 1 character). */
	decode(with_crc(B_00 B_01 B_15 B_52 B_53 B_58 "5904CAF\xC3\xA9" B_60));
	expect_err("bad_format", 68 + 7, "59");
	/* ... and control characters. */
	decode(with_crc(B_00 B_01 B_15 B_52 B_53 B_58 "5904SH\tP" B_60));
	expect_err("bad_format", 68 + 6, "59");
	/* A template GUID is ans. */
	decode(with_crc(BASE "8008000412\xC3\xA9"));
	expect_err("bad_format", BASE_LEN + 10, "80.00");
	/* The whole of a merchant account template is ans, like its root ID. */
	decode(with_crc(BASE "26150004ABCD0103x\xC3\xA9y"));
	expect_err("bad_format", BASE_LEN + 17, "26");
	/* 64/01 is S: the same text is fine there. */
	assert_int_equal(decode(with_crc(BASE "64130002FR0103x\xC3\xA9y")), UPQR_OK);
}

static void test_length_limit(void **state)
{
	(void)state;
	decode(with_crc(B_00 B_01 B_15 "5203599" B_53 B_58 B_59 B_60));
	expect_err("length_limit", 47 + 2, "52");
	decode(with_crc(BASE "6116ABCDEFGHIJKLMNOP"));
	expect_err("length_limit", BASE_LEN + 2, "61");
	/* 62/10 tax ID at most 20, 62/11 channel exactly 3 (v1.1). */
	decode(with_crc(BASE "62251021123456789012345678901"));
	expect_err("length_limit", BASE_LEN + 6, "62.10");
	decode(with_crc(BASE "6206110212"));
	expect_err("length_limit", BASE_LEN + 6, "62.11");
	assert_int_equal(decode(with_crc(BASE "62071103123")), UPQR_OK);
	/* GUID at most 32. */
	decode(with_crc(BASE "80370033ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456"));
	expect_err("length_limit", BASE_LEN + 6, "80.00");
	/* 64/00 exactly 2; 63 exactly 4. */
	decode(with_crc(BASE "64150003ZHO0104ABCD"));
	expect_err("length_limit", BASE_LEN + 6, "64.00");
	decode(BASE "6305ABCDE");
	expect_err("length_limit", BASE_LEN + 2, "63");
	/* Lengths count characters: 64/01 of 25 characters in 75 bytes is fine. */
	char body[512];
	strcpy(body, BASE "64350002ZH0125");
	for (int i = 0; i < 25; i++)
		strcat(body, "\xE5\x95\x86");
	assert_int_equal(decode(with_crc(body)), UPQR_OK);
}

static void test_bad_value(void **state)
{
	(void)state;
	decode(with_crc("000202" B_01 B_15 B_52 B_53 B_58 B_59 B_60));
	expect_err("bad_value", 0, "00");
	decode(with_crc(B_00 "010213" B_15 B_52 B_53 B_58 B_59 B_60));
	expect_err("bad_value", 6, "01");
	assert_int_equal(P.fields.dynamic, -1);
	decode(with_crc(BASE "550204"));
	expect_err("bad_value", BASE_LEN, "55");
	decode(with_crc(BASE "62060902MM"));
	expect_err("bad_value", BASE_LEN + 9, "62.09");
	decode(with_crc(BASE "62060902AX"));
	expect_err("bad_value", BASE_LEN + 9, "62.09");
	assert_int_equal(decode(with_crc(BASE "62070903EMA")), UPQR_OK);
	decode(with_crc(BASE "641400021Z0104ABCD"));
	expect_err("bad_value", BASE_LEN + 4, "64.00");
	/* Two letters but no ISO 639-1 code: a warning. "ko" and "ZH" are fine. */
	decode(with_crc(BASE "64140002QQ0104ABCD"));
	expect_warn_only("unknown_language", BASE_LEN + 4, "64.00");
	assert_int_equal(decode(with_crc(BASE "64140002ko0104ABCD")), UPQR_OK);
	assert_int_equal(P.warnings, 0);
}

static void test_bad_order(void **state)
{
	(void)state;
	decode(with_crc(B_01 B_00 B_15 B_52 B_53 B_58 B_59 B_60));
	expect_err("bad_order", 6, "00");
	/* 63 followed by another object; its CRC (through "6304") is right. */
	char body[256];
	snprintf(body, sizeof body, "%s6103123", with_crc(BASE));
	decode(body);
	expect_err("bad_order", BASE_LEN, "63");
	assert_null(upqr_diag_list_find(&DL, "crc_mismatch"));
}

static void test_duplicate_id(void **state)
{
	(void)state;
	decode(with_crc(BASE "5904SHOP"));
	expect_err("duplicate_id", BASE_LEN, "59");
	decode(with_crc(BASE "62140103AAA0103BBB"));
	expect_err("duplicate_id", BASE_LEN + 11, "62.01");
	decode(with_crc(BASE "80200004ABCD0004ABCD"));
	expect_err("duplicate_id", BASE_LEN + 12, "80.00");
	/* The first occurrence gives the field. */
	assert_int_equal(P.fields.merchant_name.len, 4);
}

static void test_missing_mandatory(void **state)
{
	(void)state;
	decode(with_crc(B_00 B_01 B_15 B_52 B_53 B_58 B_60));
	expect_err("missing_mandatory", 0, "59");
	decode(with_crc(B_01 B_15 B_52 B_53 B_58 B_59 B_60));
	expect_err("missing_mandatory", 0, "00");
	decode(BASE);
	expect_err("missing_mandatory", 0, "63");
	decode(with_crc(B_00 B_01 B_52 B_53 B_58 B_59 B_60));
	expect_err("missing_mandatory", 0, "02-51");
	/* Templates 26..51, 62/50..99 and 80..99 need a GUID (00), wherever it sits. */
	decode(with_crc(BASE "26080104ABCD"));
	expect_err("missing_mandatory", BASE_LEN, "26.00");
	decode(with_crc(BASE "621250080104ABCD"));
	expect_err("missing_mandatory", BASE_LEN + 4, "62.50.00");
	decode(with_crc(BASE "99080104ABCD"));
	expect_err("missing_mandatory", BASE_LEN, "99.00");
	assert_int_equal(decode(with_crc(BASE "99160104ABCD0004ABCD")), UPQR_OK);
	/* 64 needs 00 and 01. */
	decode(with_crc(BASE "64120202BJ0002ZH"));
	expect_err("missing_mandatory", BASE_LEN, "64.01");
	decode(with_crc(BASE "64080104ABCD"));
	expect_err("missing_mandatory", BASE_LEN, "64.00");
}

static void test_amounts(void **state)
{
	(void)state;
	decode(with_crc(BASE "54051,000"));
	expect_err("bad_amount", BASE_LEN, "54");
	decode(with_crc(BASE "54041.2."));
	expect_err("bad_amount", BASE_LEN, "54");
	decode(with_crc(BASE "5401."));
	expect_err("bad_amount", BASE_LEN, "54");
	decode(with_crc(BASE "5403-12"));
	expect_err("bad_amount", BASE_LEN, "54");
	decode(with_crc(BASE "54040.00"));
	expect_err("amount_zero", BASE_LEN, "54");
	decode(with_crc(BASE "5414" "12345678901234"));
	expect_err("length_limit", BASE_LEN + 2, "54");
	/* "98", "98." and "98.73" are all valid syntax. */
	assert_int_equal(decode(with_crc(BASE "540298")), UPQR_OK);
	assert_true(P.fields.amount_exact);
	assert_int_equal(P.fields.amount_minor, 9800);
	assert_int_equal(decode(with_crc(BASE "540598.73")), UPQR_OK);
	assert_int_equal(P.fields.amount_minor, 9873);
	/* "98." has no decimals where HKD has 2: a warning only. */
	decode(with_crc(BASE "540398."));
	expect_warn_only("amount_decimals", BASE_LEN, "54");
	decode(with_crc(BASE "54031.5"));
	expect_warn_only("amount_decimals", BASE_LEN, "54");
	assert_int_equal(P.fields.amount_minor, 150);
	/* More decimals than the currency has: exact only when they are zeros. */
	decode(with_crc(BASE "54061.2345"));
	expect_warn_only("amount_decimals", BASE_LEN, "54");
	assert_false(P.fields.amount_exact);
	decode(with_crc(BASE "54061.2300"));
	assert_true(P.fields.amount_exact);
	assert_int_equal(P.fields.amount_minor, 123);
}

static void test_tip_rules(void **state)
{
	(void)state;
	decode(with_crc(BASE "55020156031.5"));
	expect_err("tip_inconsistent", BASE_LEN + 6, "56");
	decode(with_crc(BASE "5603100"));
	expect_err("tip_inconsistent", BASE_LEN, "56");
	decode(with_crc(BASE "5703100"));
	expect_err("tip_inconsistent", BASE_LEN, "57");
	decode(with_crc(BASE "550202"));
	expect_err("missing_mandatory", 0, "56");
	decode(with_crc(BASE "550203"));
	expect_err("missing_mandatory", 0, "57");
	decode(with_crc(BASE "55020356031.55703100"));
	expect_err("tip_inconsistent", BASE_LEN + 6, "56");
	decode(with_crc(BASE "5502025604.000"));
	expect_err("amount_zero", BASE_LEN + 6, "56");
	assert_int_equal(decode(with_crc(BASE "5502025604" "1.00")), UPQR_OK);
	assert_int_equal(P.fields.convenience_fee_minor, 100);
	assert_int_equal(decode(with_crc(BASE "550201")), UPQR_OK);
	/* 55 may stand without 54. */
	assert_null(P.fields.amount.ptr);
}

static void test_percentage(void **state)
{
	(void)state;
	static const char *const good[] = { "5705" "00.01", "5705" "99.99", "5701" "5", "5703" "5.5" };
	static const char *const bad[] = { "5705" "00.00", "5703" "100", "5704" "1.2.", "5705" "1.234",
		"5702" "5%", "5701" "." };
	char body[256];
	for (size_t i = 0; i < 4; i++) {
		snprintf(body, sizeof body, "%s550203%s", BASE, good[i]);
		assert_int_equal(decode(with_crc(body)), UPQR_OK);
	}
	assert_int_equal(P.fields.convenience_percentage_bp, 550);
	for (size_t i = 0; i < 6; i++) {
		snprintf(body, sizeof body, "%s550203%s", BASE, bad[i]);
		decode(with_crc(body));
		expect_err("bad_percentage", BASE_LEN + 6, "57");
	}
}

static void test_iso_codes(void **state)
{
	(void)state;
	decode(with_crc(B_00 B_01 B_15 B_52 B_53 "5802XX" B_59 B_60));
	expect_err("unknown_country", 62, "58");
	decode(with_crc(B_00 B_01 B_15 B_52 B_53 "5802hk" B_59 B_60));
	expect_err("unknown_country", 62, "58");
	decode(with_crc(B_00 B_01 B_15 B_52 "5303000" B_58 B_59 B_60));
	expect_err("unknown_currency", 55, "53");
	assert_null(P.fields.currency_alpha);
	/* KRW has no minor unit: "25698" is 25698 won. */
	assert_int_equal(decode(with_crc(B_00 B_01 B_15 B_52 "5303410" "5802KR" B_59 B_60
		"540525698")), UPQR_OK);
	assert_int_equal(P.fields.amount_minor, 25698);
	assert_int_equal(P.warnings, 0);
}

static void test_crc(void **state)
{
	(void)state;
	with_crc(BASE);
	BUF[BASE_LEN + 7] = BUF[BASE_LEN + 7] == '0' ? '1' : '0'; /* change the last CRC digit */
	assert_int_equal(decode(BUF), UPQR_ECHECKSUM);
	expect_err("crc_mismatch", BASE_LEN + 4, "63");
	/* The CRC covers every byte: a change anywhere before it is caught. */
	with_crc(BASE);
	BUF[72] = 'X';
	if (decode(BUF) != UPQR_ECHECKSUM)
		dump();
	assert_int_equal(decode(BUF), UPQR_ECHECKSUM);
	assert_int_equal(P.errors, 1);
}

static void test_crc_lowercase(void **state)
{
	(void)state;
	/* "6304e9fc" from a real Bharat QR row; rebuilt here around BASE. */
	char body[128];
	const char *p = with_crc(BASE "6101A");
	strcpy(body, p);
	bool changed = false;
	for (size_t i = strlen(body) - 4; body[i]; i++)
		if (body[i] >= 'A' && body[i] <= 'F') {
			body[i] = (char)(body[i] + 32);
			changed = true;
		}
	if (!changed) { /* all digits: use another body */
		p = with_crc(BASE "6101B");
		strcpy(body, p);
		for (size_t i = strlen(body) - 4; body[i]; i++)
			if (body[i] >= 'A' && body[i] <= 'F')
				body[i] = (char)(body[i] + 32);
	}
	assert_int_equal(decode(body), UPQR_OK);
	expect_warn_only("crc_lowercase", BASE_LEN + 9, "63");
	decode(BASE "6304ZZZZ");
	expect_err("bad_format", BASE_LEN + 4, "63");
}

static void test_rfu(void **state)
{
	(void)state;
	decode(with_crc(BASE "6502AB"));
	expect_warn_only("rfu_id", BASE_LEN, "65");
	assert_true(P.objects[P.count - 2].flags & UPQR_MPM_OBJ_RFU);
	decode(with_crc(BASE "62071203xyz"));
	expect_warn_only("rfu_id", BASE_LEN + 4, "62.12");
	decode(with_crc(BASE "64170002ZH0101A0302ab"));
	expect_warn_only("rfu_id", BASE_LEN + 15, "64.03");
	/* Kept losslessly. */
	const upqr_mpm_object *o = upqr_mpm_find(&P, "64.03");
	assert_non_null(o);
	assert_memory_equal(o->value, "ab", 2);
}

static void test_primitives_not_templates(void **state)
{
	(void)state;
	/* 02..25 are primitive even when the value looks like TLV (or breaks as TLV). */
	assert_int_equal(decode(with_crc(BASE "0208" "0004hoge" "0303" "0X1")), UPQR_OK);
	const upqr_mpm_object *o = upqr_mpm_find(&P, "02");
	assert_false(o->flags & UPQR_MPM_OBJ_TEMPLATE);
	assert_int_equal(o->child_count, 0);
	assert_null(upqr_mpm_find(&P, "02.00"));
	/* 65..79 RFU values are kept as primitives too. */
	decode(with_crc(BASE "7104zzzz"));
	assert_int_equal(P.errors, 0);
}

static void test_payload_too_long(void **state)
{
	(void)state;
	char body[2048];
	strcpy(body, BASE);
	for (int id = 80; id < 85; id++) {
		char t[128];
		snprintf(t, sizeof t, "%d990004ABCD01%02d", id, 87);
		strcat(body, t);
		for (int i = 0; i < 87; i++)
			strcat(body, "x");
	}
	assert_int_equal(decode(with_crc(body)), UPQR_OK);
	expect_warn_only("payload_too_long", 0, "");
	assert_true(P.chars > 512);
}

static void test_too_many_objects(void **state)
{
	(void)state;
	char *body = malloc(8192);
	strcpy(body, BASE);
	for (int i = 0; i < 150; i++)
		strcat(body, "6101A");
	decode(with_crc(body));
	expect_err("too_many_objects", BASE_LEN + 5 * (UPQR_MPM_OBJECTS_MAX - 8), "");
	expect_err("duplicate_id", BASE_LEN + 5, "61");
	assert_int_equal(P.count, UPQR_MPM_OBJECTS_MAX);
	free(body);
}

static void test_unionpay_profile(void **state)
{
	(void)state;
	const upqr_mpm_profile *up = upqr_mpm_profile_unionpay();
	const char *p = with_crc(B_00 B_01 "1523" "12345678" "12345678" "9012345" B_52 B_53 B_58
		B_59 B_60);
	assert_int_equal(decode_n(up, p, strlen(p)), UPQR_EINVALID);
	expect_err("bad_unionpay_id", 12, "15");
	assert_false(P.fields.unionpay.present);
	/* The same payload is valid EMVCo, and under a UnionPay copy without the ID 15 rule. */
	assert_int_equal(decode(p), UPQR_OK);
	upqr_mpm_profile relaxed = *up;
	relaxed.flags &= ~UPQR_MPM_PF_UNIONPAY_ID15;
	assert_int_equal(decode_n(&relaxed, p, strlen(p)), UPQR_OK);
	/* IINs are digits. */
	p = with_crc(B_00 B_01 "1531" "3721011A" "37210116" "0123456789ABCDE" B_52 B_53 B_58 B_59 B_60);
	decode_n(up, p, strlen(p));
	expect_err("bad_unionpay_id", 12, "15");
	/* A UnionPay AID as template GUID counts as a UnionPay account. */
	p = with_crc(B_00 B_01 "26180014A0000003330101" B_52 B_53 B_58 B_59 B_60);
	assert_int_equal(decode_n(up, p, strlen(p)), UPQR_OK);
	assert_int_equal(P.fields.accounts[0].network, UPQR_MPM_NET_UNIONPAY);
	assert_int_equal(P.warnings, 0);
	/* No UnionPay account at all: a warning under this profile. */
	p = with_crc(B_00 B_01 "0204abcd" B_52 B_53 B_58 B_59 B_60);
	assert_int_equal(decode_n(up, p, strlen(p)), UPQR_OK);
	expect_warn_only("no_unionpay_account", 0, "02-51");
	assert_int_equal(P.fields.accounts[0].network, UPQR_MPM_NET_VISA);
}

static void test_input_limits(void **state)
{
	(void)state;
	char *big = malloc(UPQR_MPM_INPUT_MAX + 1);
	memset(big, '0', UPQR_MPM_INPUT_MAX + 1);
	assert_int_equal(decode_n(NULL, big, UPQR_MPM_INPUT_MAX + 1), UPQR_ELIMIT);
	expect_err("input_too_large", UPQR_MPM_INPUT_MAX, "");
	free(big);
	decode("https://qr.95516.com/00010000/62028489073949969691921655610979");
	expect_err("unionpay_domestic_url", 0, "");
	assert_int_equal(P.count, 0);
}

static void test_every_problem_reported(void **state)
{
	(void)state;
	/* Several independent faults: all of them come back, not just the first. */
	decode(with_crc("000202" "010213" B_15 "5203599" "5303000" "5802XX" "5904SH\x01P" B_60
		"5502045401x"));
	static const char *const codes[] = { "bad_value", "length_limit", "unknown_currency",
		"unknown_country", "bad_format", "bad_amount" };
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
		if (!upqr_diag_list_find(&DL, codes[i])) {
			dump();
			fail_msg("missing %s", codes[i]);
		}
	assert_true(P.errors >= 7);
	/* A full list still counts everything. */
	upqr_diag one[1];
	upqr_diag_list small;
	upqr_diag_list_init(&small, one, 1);
	assert_int_equal(upqr_mpm_decode(&P, NULL, BUF, strlen(BUF), &small), UPQR_EINVALID);
	assert_int_equal(small.count, 1);
	assert_int_equal(small.errors, P.errors);
	assert_true(small.dropped > 0);
}

/* The field table covers every ID of every level exactly once, in order, and agrees with lookups. */
static void test_field_table(void **state)
{
	(void)state;
	size_t n = upqr_mpm_field_count();
	assert_null(upqr_mpm_field_at(n));
	unsigned covered[UPQR_MPM_LEVEL_COUNT][100] = { { 0 } };
	int last_level = -1;
	unsigned next_id = 0;
	for (size_t i = 0; i < n; i++) {
		const upqr_mpm_field_info *f = upqr_mpm_field_at(i);
		assert_non_null(f);
		assert_true((int)f->level >= last_level);
		if ((int)f->level != last_level) {
			assert_int_equal(next_id, last_level < 0 ? 0 : 100);
			last_level = (int)f->level;
			next_id = 0;
		}
		assert_int_equal(f->id_first, next_id);
		assert_true(f->id_last >= f->id_first && f->id_last <= 99);
		next_id = f->id_last + 1;
		assert_true(f->min_chars >= 1 && f->min_chars <= f->max_chars && f->max_chars <= 99);
		assert_true(f->name && f->name[0] && f->title && f->title[0]);
		for (unsigned id = f->id_first; id <= f->id_last; id++) {
			covered[f->level][id]++;
			assert_ptr_equal(upqr_mpm_field_lookup(f->level, id), f);
		}
		assert_ptr_equal(upqr_mpm_field_by_name(f->level, f->name)->name, f->name);
	}
	assert_int_equal(last_level, UPQR_MPM_LEVEL_COUNT - 1);
	assert_int_equal(next_id, 100);
	for (int lv = 0; lv < UPQR_MPM_LEVEL_COUNT; lv++)
		for (unsigned id = 0; id < 100; id++)
			assert_int_equal(covered[lv][id], 1);
	assert_null(upqr_mpm_field_lookup(UPQR_MPM_LEVEL_ROOT, 100));
	assert_null(upqr_mpm_field_lookup((upqr_mpm_level)UPQR_MPM_LEVEL_COUNT, 0));
	assert_null(upqr_mpm_field_by_name(UPQR_MPM_LEVEL_ROOT, "no_such_field"));
	assert_null(upqr_mpm_field_by_name(UPQR_MPM_LEVEL_ROOT, NULL));

	/* Spot checks against the spec tables. */
	const upqr_mpm_field_info *f = upqr_mpm_field_lookup(UPQR_MPM_LEVEL_ROOT, 59);
	assert_string_equal(f->name, "merchant_name");
	assert_int_equal(f->format, UPQR_MPM_FORMAT_ANS);
	assert_int_equal(f->max_chars, 25);
	assert_true(f->flags & UPQR_MPM_FIELD_MANDATORY);
	f = upqr_mpm_field_lookup(UPQR_MPM_LEVEL_ROOT, 26);
	assert_int_equal(f->id_first, 26);
	assert_int_equal(f->id_last, 51);
	assert_int_equal(f->flags, UPQR_MPM_FIELD_ACCOUNT | UPQR_MPM_FIELD_TEMPLATE);
	assert_int_equal(f->child_level, UPQR_MPM_LEVEL_ACCOUNT);
	assert_true(upqr_mpm_field_lookup(UPQR_MPM_LEVEL_ROOT, 70)->flags & UPQR_MPM_FIELD_RFU);
	assert_true(upqr_mpm_field_lookup(UPQR_MPM_LEVEL_ADDITIONAL, 0)->flags & UPQR_MPM_FIELD_RFU);
	assert_int_equal(upqr_mpm_field_by_name(UPQR_MPM_LEVEL_ADDITIONAL, "merchant_channel")->id_first, 11);
	assert_int_equal(upqr_mpm_field_lookup(UPQR_MPM_LEVEL_ROOT, 64)->child_level,
		UPQR_MPM_LEVEL_LANGUAGE);

	/* UnionPay ID 15: three parts that tile its 31 characters. */
	size_t parts = 0;
	const upqr_mpm_part_info *p = upqr_mpm_unionpay_id_layout(&parts);
	assert_int_equal(parts, 3);
	unsigned at = 0;
	for (size_t i = 0; i < parts; i++) {
		assert_int_equal(p[i].offset, at);
		at += p[i].length;
	}
	assert_int_equal(at, UPQR_MPM_UNIONPAY_ID_CHARS);
	assert_string_equal(p[2].name, "merchant_id");
	assert_ptr_equal(upqr_mpm_unionpay_id_layout(NULL), p);
}

/* One enum per fact for decode and encode, with names that parse back. */
static void test_poi_and_tip_enums(void **state)
{
	(void)state;
	for (int t = UPQR_MPM_TIP_NONE; t <= UPQR_MPM_TIP_PERCENTAGE; t++) {
		const char *name = upqr_mpm_tip_name((upqr_mpm_tip)t);
		assert_int_equal(upqr_mpm_tip_parse(name), t == 0 ? UPQR_MPM_TIP_INVALID : t);
	}
	assert_int_equal(upqr_mpm_tip_parse("02"), UPQR_MPM_TIP_FIXED);
	assert_int_equal(upqr_mpm_tip_parse("04"), UPQR_MPM_TIP_INVALID);
	assert_int_equal(upqr_mpm_tip_parse("0"), UPQR_MPM_TIP_INVALID);
	assert_int_equal(upqr_mpm_tip_parse(NULL), UPQR_MPM_TIP_INVALID);
	assert_string_equal(upqr_mpm_tip_name((upqr_mpm_tip)7), "invalid");
	assert_int_equal(upqr_mpm_initiation_parse("static"), UPQR_MPM_POI_STATIC);
	assert_int_equal(upqr_mpm_initiation_parse("12"), UPQR_MPM_POI_DYNAMIC);
	assert_int_equal(upqr_mpm_initiation_parse("13"), UPQR_MPM_POI_INVALID);
	assert_int_equal(upqr_mpm_initiation_parse(NULL), UPQR_MPM_POI_INVALID);
	assert_string_equal(upqr_mpm_initiation_name(UPQR_MPM_POI_DYNAMIC), "dynamic");
	assert_string_equal(upqr_mpm_initiation_name(UPQR_MPM_POI_NONE), "none");
	assert_string_equal(upqr_mpm_initiation_name(UPQR_MPM_POI_INVALID), "invalid");

	/* Decoded: BASE is static and has no tip; then 55 = 02 with 56, and a bad 55. */
	assert_int_equal(decode(with_crc(BASE)), UPQR_OK);
	assert_int_equal(P.fields.poi, UPQR_MPM_POI_STATIC);
	assert_int_equal(P.fields.tip, UPQR_MPM_TIP_NONE);
	assert_int_equal(decode(with_crc(BASE "550202" "56041.50")), UPQR_OK);
	assert_int_equal(P.fields.tip, UPQR_MPM_TIP_FIXED);
	assert_int_equal(decode(with_crc(B_00 "010213" B_15 B_52 B_53 "550209" B_58 B_59 B_60)),
		UPQR_EINVALID);
	assert_int_equal(P.fields.poi, UPQR_MPM_POI_INVALID);
	assert_int_equal(P.fields.tip, UPQR_MPM_TIP_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base_is_valid),
		cmocka_unit_test(test_bad_id),
		cmocka_unit_test(test_bad_length),
		cmocka_unit_test(test_length_overrun),
		cmocka_unit_test(test_bad_utf8),
		cmocka_unit_test(test_utf8_agrees_with_core),
		cmocka_unit_test(test_byte_classes),
		cmocka_unit_test(test_bad_format),
		cmocka_unit_test(test_length_limit),
		cmocka_unit_test(test_bad_value),
		cmocka_unit_test(test_bad_order),
		cmocka_unit_test(test_duplicate_id),
		cmocka_unit_test(test_missing_mandatory),
		cmocka_unit_test(test_amounts),
		cmocka_unit_test(test_tip_rules),
		cmocka_unit_test(test_percentage),
		cmocka_unit_test(test_iso_codes),
		cmocka_unit_test(test_crc),
		cmocka_unit_test(test_crc_lowercase),
		cmocka_unit_test(test_rfu),
		cmocka_unit_test(test_primitives_not_templates),
		cmocka_unit_test(test_payload_too_long),
		cmocka_unit_test(test_too_many_objects),
		cmocka_unit_test(test_unionpay_profile),
		cmocka_unit_test(test_input_limits),
		cmocka_unit_test(test_every_problem_reported),
		cmocka_unit_test(test_field_table),
		cmocka_unit_test(test_poi_and_tip_enums),
	};
	return cmocka_run_group_tests_name("mpm_rules", tests, NULL, NULL);
}
