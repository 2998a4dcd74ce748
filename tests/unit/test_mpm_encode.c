/*
 * test_mpm_encode.c - the encoder: exact output, size queries, refusals
 * with the decoder's diagnostics, set-amount, and a property test that
 * thousands of random valid field sets survive encode -> decode intact.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static upqr_mpm_payload P;
static upqr_diag ITEMS[64];
static upqr_diag_list DL;
static char OUT[UPQR_MPM_ENCODED_MAX + 1];

static void dump(void)
{
	for (size_t i = 0; i < DL.count; i++)
		print_message("  %s %s @%zu [%s] %s\n", upqr_severity_name(ITEMS[i].severity),
			ITEMS[i].code, ITEMS[i].offset, ITEMS[i].path, ITEMS[i].message);
}

static int enc(const upqr_mpm_profile *prof, const upqr_mpm_fields_in *in, size_t *n)
{
	upqr_diag_list_init(&DL, ITEMS, 64);
	return upqr_mpm_encode(OUT, sizeof OUT, n, prof, in, &DL);
}

static void expect_diag(const char *code, const char *path)
{
	for (size_t i = 0; i < DL.count; i++)
		if (!strcmp(ITEMS[i].code, code) && !strcmp(ITEMS[i].path, path) &&
				ITEMS[i].severity == UPQR_SEV_ERROR)
			return;
	dump();
	fail_msg("expected error %s at [%s]", code, path);
}

/* The fields of the UnionPay HK dynamic example (spec 2.2), in encoder order. */
static void hk_fields(upqr_mpm_fields_in *in)
{
	assert_int_equal(upqr_mpm_fields_in_init(in, UPQR_MPM_FIELDS_IN_VERSION), UPQR_OK);
	in->initiation = UPQR_MPM_POI_DYNAMIC;
	in->unionpay_acquirer_iin = "47980344";
	in->unionpay_forwarding_iin = "00020344";
	in->unionpay_merchant_id = "798034459990001";
	in->mcc = "5999";
	in->currency = 344;
	in->has_amount = true;
	in->amount = 500;
	in->country = "HK";
	in->merchant_name = "BOCI TEST SHOP";
	in->merchant_city = "Hong Kong";
	in->additional[1] = "12345678901234567890";
	in->additional[5] = "00000000000000000001";
	in->additional[7] = "00000001";
}

static void test_encode_unionpay_exact(void **state)
{
	(void)state;
	upqr_mpm_fields_in in;
	hk_fields(&in);
	size_t n;
	assert_int_equal(enc(upqr_mpm_profile_unionpay(), &in, &n), UPQR_OK);
	const char *want_body = "000201" "010212" "15314798034400020344798034459990001"
		"52045999" "5303344" "54045.00" "5802HK" "5914BOCI TEST SHOP" "6009Hong Kong"
		"6260" "012012345678901234567890" "052000000000000000000001" "070800000001" "6304";
	size_t bl = strlen(want_body);
	assert_int_equal(n, bl + 4);
	assert_memory_equal(OUT, want_body, bl);
	char crc[5];
	snprintf(crc, sizeof crc, "%04X", upqr_crc16(want_body, bl));
	assert_string_equal(OUT + bl, crc);
	assert_int_equal(upqr_mpm_decode(&P, upqr_mpm_profile_unionpay(), OUT, n, NULL), UPQR_OK);
	assert_int_equal(P.warnings, 0);
	assert_int_equal(P.fields.amount_minor, 500);
}

static void test_encode_size_query(void **state)
{
	(void)state;
	upqr_mpm_fields_in in;
	hk_fields(&in);
	size_t need = 0, n = 0;
	assert_int_equal(upqr_mpm_encode(NULL, 0, &need, NULL, &in, NULL), UPQR_EBUFSIZE);
	assert_true(need > 100);
	char *buf = malloc(need + 1);
	assert_int_equal(upqr_mpm_encode(buf, need, &n, NULL, &in, NULL), UPQR_EBUFSIZE);
	assert_int_equal(n, need);
	assert_int_equal(upqr_mpm_encode(buf, need + 1, &n, NULL, &in, NULL), UPQR_OK);
	assert_int_equal(n, need);
	assert_int_equal(strlen(buf), need);
	free(buf);
	in.version = 7;
	assert_int_equal(upqr_mpm_encode(OUT, sizeof OUT, &n, NULL, &in, NULL), UPQR_EVERSION);
	assert_int_equal(upqr_mpm_encode(OUT, sizeof OUT, &n, NULL, NULL, NULL), UPQR_EINVAL);
	assert_int_equal(upqr_mpm_fields_in_init(&in, 2), UPQR_EVERSION);
	upqr_mpm_fields_in st = UPQR_MPM_FIELDS_IN_INIT;
	assert_int_equal(st.version, UPQR_MPM_FIELDS_IN_VERSION);
}

static void test_encode_templates_and_utf8(void **state)
{
	(void)state;
	/* Rebuild the EMVCo Annex B content (in encoder order) with multi-byte 64. */
	upqr_mpm_fields_in in;
	assert_int_equal(upqr_mpm_fields_in_init(&in, UPQR_MPM_FIELDS_IN_VERSION), UPQR_OK);
	upqr_mpm_value_in s29[] = { { 5, "A93FO3230Q" } }, s31[] = { { 3, "12345678" } };
	upqr_mpm_value_in s91[] = { { 7, "12345678" } };
	upqr_mpm_entry_in acc[] = { { 29, NULL, "D15600000000", s29, 1 },
		{ 31, NULL, "D15600000001", s31, 1 } };
	upqr_mpm_entry_in t91[] = { { 91, NULL, "A011223344998877", s91, 1 } };
	in.initiation = UPQR_MPM_POI_DYNAMIC;
	in.accounts = acc;
	in.account_count = 2;
	in.mcc = "4111";
	in.currency = 156;
	in.has_amount = true;
	in.amount = 2372;
	in.tip = UPQR_MPM_TIP_PROMPT;
	in.country = "CN";
	in.merchant_name = "BEST TRANSPORT";
	in.merchant_city = "BEIJING";
	in.additional[3] = "1234";
	in.additional[6] = "***";
	in.additional[7] = "A6008667";
	in.additional[9] = "ME";
	in.language = "ZH";
	in.alt_merchant_name = "最佳运输";
	in.alt_merchant_city = "北京";
	in.templates = t91;
	in.template_count = 1;
	size_t n;
	if (enc(NULL, &in, &n) != UPQR_OK)
		dump();
	const char *want = "00020101021229300012D156000000000510A93FO3230Q31280012D1560000000103081234"
		"5678520441115303156540523.72550201" "5802CN5914BEST TRANSPORT6007BEIJING"
		"6233030412340603***0708A60086670902ME" "64200002ZH0104最佳运输0202北京"
		"91320016A0112233449988770708123456786304";
	assert_memory_equal(OUT, want, strlen(want));
	assert_int_equal(upqr_mpm_decode(&P, NULL, OUT, n, NULL), UPQR_OK);
	assert_int_equal(upqr_mpm_find(&P, "64")->length, 20);
}

static void test_encode_refusals(void **state)
{
	(void)state;
	upqr_mpm_fields_in in;
	size_t n;
	hk_fields(&in);
	in.mcc = "59A9";
	assert_int_equal(enc(NULL, &in, &n), UPQR_EINVALID);
	expect_diag("bad_format", "52");
	hk_fields(&in);
	in.merchant_name = "A NAME THAT IS FAR TOO LONG FOR 59";
	assert_int_equal(enc(NULL, &in, &n), UPQR_EINVALID);
	expect_diag("length_limit", "59");
	hk_fields(&in);
	in.currency = 1;
	assert_int_equal(enc(NULL, &in, &n), UPQR_EINVALID);
	expect_diag("unknown_currency", "54");
	hk_fields(&in);
	in.currency = 5;
	in.has_amount = false;
	assert_int_equal(enc(NULL, &in, &n), UPQR_EINVALID);
	expect_diag("unknown_currency", "53");
	hk_fields(&in);
	in.amount = 0;
	assert_int_equal(enc(NULL, &in, &n), UPQR_EINVALID);
	expect_diag("amount_zero", "54");
	hk_fields(&in);
	in.amount = -5;
	assert_int_equal(enc(NULL, &in, &n), UPQR_EINVALID);
	hk_fields(&in);
	in.amount = 100000000000000; /* 1e12 HKD = "1000000000000.00", 16 characters */
	assert_int_equal(enc(NULL, &in, &n), UPQR_EINVALID);
	expect_diag("length_limit", "54");
	hk_fields(&in);
	in.country = "ZZ";
	assert_int_equal(enc(NULL, &in, &n), UPQR_EINVALID);
	expect_diag("unknown_country", "58");
	hk_fields(&in);
	in.merchant_city = NULL;
	assert_int_equal(enc(NULL, &in, &n), UPQR_EINVALID);
	expect_diag("missing_mandatory", "60");
	hk_fields(&in);
	in.merchant_name = "bad \xC3";
	assert_int_equal(enc(NULL, &in, &n), UPQR_EINVALID);
	expect_diag("bad_utf8", "59");
	hk_fields(&in);
	in.merchant_name = "";
	assert_int_equal(enc(NULL, &in, &n), UPQR_EINVALID);
	expect_diag("length_limit", "59");
	hk_fields(&in);
	in.tip = UPQR_MPM_TIP_FIXED;
	assert_int_equal(enc(NULL, &in, &n), UPQR_EINVALID);
	expect_diag("amount_zero", "56");
	hk_fields(&in);
	in.convenience_percentage_bp = 50;
	assert_int_equal(enc(NULL, &in, &n), UPQR_EINVALID);
	expect_diag("tip_inconsistent", "57");
	hk_fields(&in);
	in.tip = UPQR_MPM_TIP_PERCENTAGE;
	in.convenience_percentage_bp = 10000;
	assert_int_equal(enc(NULL, &in, &n), UPQR_EINVALID);
	expect_diag("bad_percentage", "57");
	hk_fields(&in);
	in.unionpay_merchant_id = "SHORT";
	assert_int_equal(enc(NULL, &in, &n), UPQR_EINVALID);
	expect_diag("bad_unionpay_id", "15");
	hk_fields(&in);
	in.additional[9] = "AA";
	assert_int_equal(enc(NULL, &in, &n), UPQR_EINVALID);
	expect_diag("bad_value", "62.09");
	hk_fields(&in);
	in.additional[11] = "12";
	assert_int_equal(enc(NULL, &in, &n), UPQR_EINVALID);
	expect_diag("length_limit", "62.11");
	hk_fields(&in);
	in.alt_merchant_name = "名字";
	assert_int_equal(enc(NULL, &in, &n), UPQR_EINVALID);
	expect_diag("missing_mandatory", "64.00");
}

static void test_encode_structure_refusals(void **state)
{
	(void)state;
	upqr_mpm_fields_in in;
	size_t n;
	upqr_mpm_value_in long_sub[] = { { 1, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" },
		{ 2, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" } };
	upqr_mpm_entry_in big[] = { { 80, NULL, "GUID", long_sub, 2 } };
	hk_fields(&in);
	in.templates = big;
	in.template_count = 1;
	assert_int_equal(enc(NULL, &in, &n), UPQR_EINVALID);
	expect_diag("length_limit", "80");
	upqr_mpm_entry_in noguid[] = { { 81, NULL, NULL, long_sub, 1 } };
	in.templates = noguid;
	assert_int_equal(enc(NULL, &in, &n), UPQR_EINVALID);
	expect_diag("missing_mandatory", "81.00");
	upqr_mpm_entry_in wrong[] = { { 79, NULL, "GUID", NULL, 0 } };
	in.templates = wrong;
	assert_int_equal(enc(NULL, &in, &n), UPQR_EINVALID);
	expect_diag("bad_field", "");
	upqr_mpm_entry_in prim_tpl[] = { { 3, NULL, "GUID", NULL, 0 } };
	hk_fields(&in);
	in.accounts = prim_tpl;
	in.account_count = 1;
	assert_int_equal(enc(NULL, &in, &n), UPQR_EINVALID);
	expect_diag("bad_field", "03");
	/* A second ID 15 next to the one built from parts. */
	upqr_mpm_entry_in dup[] = { { 15, "4798034400020344798034459990001", NULL, NULL, 0 } };
	in.accounts = dup;
	assert_int_equal(enc(NULL, &in, &n), UPQR_EINVALID);
	expect_diag("duplicate_id", "15");
	/* RFU IDs: a warning under EMVCo, refused by UnionPay's generator rule. */
	upqr_mpm_value_in rfu[] = { { 70, "RFU" } };
	hk_fields(&in);
	in.rfu = rfu;
	in.rfu_count = 1;
	assert_int_equal(enc(NULL, &in, &n), UPQR_OK);
	assert_non_null(upqr_diag_list_find(&DL, "rfu_id"));
	assert_int_equal(DL.errors, 0);
	assert_int_equal(enc(upqr_mpm_profile_unionpay(), &in, &n), UPQR_EINVALID);
	expect_diag("rfu_id", "70");
	upqr_mpm_value_in rfu62[] = { { 20, "x" } };
	hk_fields(&in);
	in.additional_rfu = rfu62;
	in.additional_rfu_count = 1;
	assert_int_equal(enc(upqr_mpm_profile_unionpay(), &in, &n), UPQR_EINVALID);
	expect_diag("rfu_id", "62.20");
}

static void test_encode_no_leak_on_alloc_failure(void **state)
{
	(void)state;
	upqr_mpm_fields_in in;
	hk_fields(&in);
	tu_alloc_stats st = { 0, 0, 0 };
	size_t n;
	tu_alloc_install(&st);
	int rc = upqr_mpm_encode(OUT, sizeof OUT, &n, NULL, &in, NULL);
	tu_alloc_uninstall();
	assert_int_equal(rc, UPQR_ENOMEM);
	st.fail_after = -1;
	tu_alloc_install(&st);
	rc = upqr_mpm_encode(OUT, sizeof OUT, &n, NULL, &in, NULL);
	tu_alloc_uninstall();
	assert_int_equal(rc, UPQR_OK);
	assert_int_equal(st.allocs, st.frees);
}

/* ---- set amount ---------------------------------------------------------- */

static void test_set_amount(void **state)
{
	(void)state;
	static const char stat[] =
		"00020101021115313721011637210116012345678ABCDE0" "52045999" "5303344" "5802HK"
		"5904SHOP" "6009Hong Kong" "62080104ABCD";
	char in[256];
	snprintf(in, sizeof in, "%s6304%04X", stat,
		upqr_crc16(strcat(strcpy(OUT, stat), "6304"), strlen(stat) + 4));
	size_t need, n;
	assert_int_equal(upqr_mpm_set_amount(NULL, 0, &need, NULL, in, strlen(in), 12345, NULL),
		UPQR_EBUFSIZE);
	char out[256];
	upqr_diag_list_init(&DL, ITEMS, 64);
	assert_int_equal(upqr_mpm_set_amount(out, sizeof out, &n, NULL, in, strlen(in), 12345, &DL),
		UPQR_OK);
	assert_int_equal(n, need);
	assert_int_equal(upqr_mpm_decode(&P, NULL, out, n, NULL), UPQR_OK);
	assert_int_equal(P.fields.dynamic, 1);
	assert_int_equal(P.fields.amount_minor, 12345);
	assert_true(P.fields.amount.len == 6 && !memcmp(P.fields.amount.ptr, "123.45", 6));
	/* Everything else is kept byte for byte, in order. */
	assert_memory_equal(out + 6, "010212", 6);
	assert_int_equal(P.count, 11);
	/* Changing it again replaces 54 in place. */
	char again[256];
	assert_int_equal(upqr_mpm_set_amount(again, sizeof again, &n, NULL, out, strlen(out), 7,
		NULL), UPQR_OK);
	assert_int_equal(upqr_mpm_decode(&P, NULL, again, n, NULL), UPQR_OK);
	assert_int_equal(P.fields.amount_minor, 7);
	assert_true(P.fields.amount.len == 4 && !memcmp(P.fields.amount.ptr, "0.07", 4));
	assert_int_equal(P.count, 11);
	/* Refusals: an invalid input, a zero amount, a currency without minor units. */
	upqr_diag_list_init(&DL, ITEMS, 64);
	assert_int_equal(upqr_mpm_set_amount(out, sizeof out, &n, NULL, "0002010", 7, 5, &DL),
		UPQR_EINVALID);
	assert_true(DL.errors > 0);
	upqr_diag_list_init(&DL, ITEMS, 64);
	assert_int_equal(upqr_mpm_set_amount(out, sizeof out, &n, NULL, in, strlen(in), 0, &DL),
		UPQR_EINVALID);
	expect_diag("bad_field", "54");
}

static void test_set_amount_no_01(void **state)
{
	(void)state;
	/* Pix-style: no 01 and an existing 54; 01 goes right after 00. */
	static const char pix[] = "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-426655440000"
		"5204000053039865406123.455802BR5913FULANO DE TAL6008BRASILIA62070503***6304488D";
	char out[256];
	size_t n;
	assert_int_equal(upqr_mpm_set_amount(out, sizeof out, &n, NULL, pix, strlen(pix), 99,
		NULL), UPQR_OK);
	assert_memory_equal(out, "000201010212", 12);
	assert_int_equal(upqr_mpm_decode(&P, NULL, out, n, NULL), UPQR_OK);
	assert_int_equal(P.fields.amount_minor, 99);
	assert_true(P.fields.amount.len == 4 && !memcmp(P.fields.amount.ptr, "0.99", 4));
	assert_int_equal(P.objects[P.count - 1].id, 63);
	/* The CRC is upper-case hex. */
	for (size_t i = n - 4; i < n; i++)
		assert_true((out[i] >= '0' && out[i] <= '9') || (out[i] >= 'A' && out[i] <= 'F'));
}

/* ---- property: random valid fields round-trip ---------------------------- */

static uint64_t RNG;

static unsigned rnd(unsigned n)
{
	return (unsigned)(tu_rand(&RNG) % n);
}

/* Random text of 1..max characters into buf: digits, ans, or S (with multi-byte). */
static const char *rtext(char *buf, unsigned max, int fmt)
{
	static const char *const wide[] = { "é", "北", "京", "한", "글", "ស", "€", "😀", "ß", "ĉ" };
	unsigned n = 1 + rnd(max), k = 0;
	for (unsigned i = 0; i < n; i++) {
		if (fmt == 2) {
			buf[k++] = (char)('0' + rnd(10));
		} else if (fmt == 0 && rnd(3) == 0) {
			const char *w = wide[rnd(10)];
			size_t l = strlen(w);
			memcpy(buf + k, w, l);
			k += (unsigned)l;
		} else {
			buf[k++] = (char)(0x20 + rnd(95));
		}
	}
	buf[k] = 0;
	return buf;
}

typedef struct arena {
	char text[64][512];
	unsigned used;
} arena;

static char *slot(arena *a)
{
	assert_true(a->used < 64);
	return a->text[a->used++];
}

static void random_fields(upqr_mpm_fields_in *in, arena *a, upqr_mpm_value_in *subs,
		upqr_mpm_entry_in *ents)
{
	static const unsigned cur[] = { 344, 156, 840, 410, 392, 48, 990, 978, 702, 764 };
	static const char *const cc[] = { "HK", "CN", "US", "KR", "JP", "BH", "CL", "DE", "SG", "TH" };
	assert_int_equal(upqr_mpm_fields_in_init(in, UPQR_MPM_FIELDS_IN_VERSION), UPQR_OK);
	in->initiation = (int[]){ 0, 11, 12 }[rnd(3)];
	snprintf(slot(a), 9, "%08u", rnd(100000000));
	in->unionpay_acquirer_iin = a->text[a->used - 1];
	snprintf(slot(a), 9, "%08u", rnd(100000000));
	in->unionpay_forwarding_iin = a->text[a->used - 1];
	char *mid = slot(a);
	for (int i = 0; i < 15; i++)
		mid[i] = (char)('A' + rnd(26));
	mid[15] = 0;
	in->unionpay_merchant_id = mid;
	/* One 26..51 template with a GUID and 0..2 sub-objects (ans). */
	ents[0].id = 26 + rnd(26);
	ents[0].value = NULL;
	ents[0].guid = rtext(slot(a), 32, 1);
	ents[0].objects = subs;
	ents[0].object_count = rnd(3);
	for (size_t i = 0; i < ents[0].object_count; i++) {
		subs[i].id = (unsigned)(1 + i * 7 + rnd(5));
		subs[i].value = rtext(slot(a), 20, 1);
	}
	in->accounts = ents;
	in->account_count = 1;
	snprintf(slot(a), 5, "%04u", rnd(10000));
	in->mcc = a->text[a->used - 1];
	unsigned k = rnd(10);
	in->currency = cur[k];
	in->country = cc[k];
	in->has_amount = rnd(2);
	in->amount = 1 + (int64_t)(tu_rand(&RNG) % 10000000000ull);
	in->tip = (int)rnd(4);
	if (in->tip == UPQR_MPM_TIP_FIXED)
		in->convenience_fee = 1 + rnd(100000);
	if (in->tip == UPQR_MPM_TIP_PERCENTAGE)
		in->convenience_percentage_bp = 1 + rnd(9999);
	in->merchant_name = rtext(slot(a), 25, 1);
	in->merchant_city = rtext(slot(a), 15, 1);
	if (rnd(2))
		in->postal_code = rtext(slot(a), 10, 1);
	/*
	 * 62: a few fixed sub-IDs (ans), and sometimes a payment-system template
	 * 50..99 whose sub-object is S (multi-byte); all under 99 characters.
	 */
	bool tpl62 = rnd(2);
	for (unsigned i = 1, used = 0; i <= 8; i++)
		if (rnd(4) == 0 && (!tpl62 || used++ < 3))
			in->additional[i] = rtext(slot(a), 6, 1);
	if (tpl62) {
		ents[2].id = 50 + rnd(50);
		ents[2].value = NULL;
		ents[2].guid = rtext(slot(a), 10, 1);
		ents[2].objects = subs + 5;
		ents[2].object_count = 1;
		subs[5].id = 1 + rnd(99);
		subs[5].value = rtext(slot(a), 15, 0);
		in->additional_templates = ents + 2;
		in->additional_template_count = 1;
	}
	if (rnd(3) == 0)
		in->additional[9] = (const char *[]){ "A", "ME", "EMA", "M" }[rnd(4)];
	if (rnd(3) == 0) {
		snprintf(slot(a), 4, "%03u", rnd(1000));
		in->additional[11] = a->text[a->used - 1];
	}
	/* 64 with S text (multi-byte), and an 80..99 template with S sub-objects. */
	if (rnd(2)) {
		in->language = (const char *[]){ "ZH", "ko", "KM", "fr" }[rnd(4)];
		in->alt_merchant_name = rtext(slot(a), 25, 0);
		if (rnd(2))
			in->alt_merchant_city = rtext(slot(a), 15, 0);
	}
	if (rnd(2)) {
		ents[1].id = 80 + rnd(20);
		ents[1].value = NULL;
		ents[1].guid = rtext(slot(a), 20, 1);
		ents[1].objects = subs + 4;
		ents[1].object_count = 1;
		subs[4].id = 1 + rnd(99);
		subs[4].value = rtext(slot(a), 30, 0);
		in->templates = ents + 1;
		in->template_count = 1;
	}
}

static bool same(upqr_mpm_str s, const char *want)
{
	if (!want)
		return s.ptr == NULL;
	return s.ptr && s.len == strlen(want) && memcmp(s.ptr, want, s.len) == 0;
}

static void check_round_trip(const upqr_mpm_fields_in *in, const char *text, size_t n)
{
	const upqr_mpm_fields *f = &P.fields;
	if (upqr_mpm_decode(&P, upqr_mpm_profile_unionpay(), text, n, NULL) != UPQR_OK)
		fail_msg("decode failed: %s", text);
	assert_int_equal(P.warnings, P.chars > UPQR_MPM_RECOMMENDED_CHARS);
	assert_int_equal(f->dynamic, in->initiation == 12 ? 1 : in->initiation == 11 ? 0 : -1);
	assert_true(same(f->unionpay.acquirer_iin, in->unionpay_acquirer_iin));
	assert_true(same(f->unionpay.forwarding_iin, in->unionpay_forwarding_iin));
	assert_true(same(f->unionpay.merchant_id, in->unionpay_merchant_id));
	assert_int_equal(f->account_count, 2);
	assert_int_equal(f->accounts[1].id, in->accounts[0].id);
	assert_true(same(f->accounts[1].guid, in->accounts[0].guid));
	for (size_t i = 0; i < in->accounts[0].object_count; i++) {
		const upqr_mpm_object *o = upqr_mpm_child(&P, &P.objects[f->accounts[1].object_index],
			in->accounts[0].objects[i].id);
		assert_non_null(o);
		assert_int_equal(o->value_len, strlen(in->accounts[0].objects[i].value));
		assert_memory_equal(o->value, in->accounts[0].objects[i].value, o->value_len);
	}
	assert_true(same(f->mcc, in->mcc));
	assert_int_equal(f->currency_numeric, in->currency);
	assert_int_equal(f->amount.ptr != NULL, in->has_amount);
	if (in->has_amount) {
		assert_true(f->amount_exact);
		assert_int_equal(f->amount_minor, in->amount);
	}
	assert_int_equal(f->tip_indicator.ptr ? f->tip_indicator.ptr[1] - '0' : 0, in->tip);
	if (in->tip == UPQR_MPM_TIP_FIXED)
		assert_int_equal(f->convenience_fee_minor, in->convenience_fee);
	assert_int_equal(f->convenience_percentage_bp, in->convenience_percentage_bp);
	assert_true(same(f->country, in->country));
	assert_true(same(f->merchant_name, in->merchant_name));
	assert_true(same(f->merchant_city, in->merchant_city));
	assert_true(same(f->postal_code, in->postal_code));
	const upqr_mpm_str *add = &f->additional.bill_number;
	for (unsigned i = 1; i <= 11; i++)
		assert_true(same(add[i - 1], in->additional[i]));
	assert_true(same(f->language.preference, in->language));
	assert_true(same(f->language.merchant_name, in->alt_merchant_name));
	assert_true(same(f->language.merchant_city, in->alt_merchant_city));
	if (in->additional_template_count) {
		const upqr_mpm_entry_in *t = in->additional_templates;
		char path[12];
		snprintf(path, sizeof path, "62.%02u.%02u", t->id, t->objects[0].id);
		const upqr_mpm_object *o = upqr_mpm_find(&P, path);
		assert_non_null(o);
		assert_int_equal(o->value_len, strlen(t->objects[0].value));
		assert_memory_equal(o->value, t->objects[0].value, o->value_len);
		snprintf(path, sizeof path, "62.%02u.00", t->id);
		assert_non_null(upqr_mpm_find(&P, path));
	}
	if (in->template_count) {
		char path[8];
		snprintf(path, sizeof path, "%02u.%02u", in->templates[0].id,
			in->templates[0].objects[0].id);
		const upqr_mpm_object *o = upqr_mpm_find(&P, path);
		assert_non_null(o);
		assert_int_equal(o->value_len, strlen(in->templates[0].objects[0].value));
		assert_memory_equal(o->value, in->templates[0].objects[0].value, o->value_len);
	}
}

/*
 * The payload just decoded into P, turned back into fields by the library,
 * encodes to exactly the same text (it is already in the encoder's order),
 * and the poi/tip enums read back equal what was encoded.
 */
static void check_fields_in_identical(size_t n)
{
	static char again[UPQR_MPM_ENCODED_MAX + 1];
	upqr_mpm_fields_in in;
	upqr_mpm_fields_store *st;
	assert_int_equal(upqr_mpm_fields_in_from_payload(&in, &st, &P), UPQR_OK);
	assert_int_equal(in.initiation, P.fields.poi);
	assert_int_equal(in.tip, P.fields.tip);
	size_t m;
	assert_int_equal(upqr_mpm_encode(again, sizeof again, &m, upqr_mpm_profile_unionpay(), &in,
		NULL), UPQR_OK);
	upqr_mpm_fields_store_free(st);
	assert_int_equal(m, n);
	assert_memory_equal(again, OUT, n);
}

static void test_property_round_trip(void **state)
{
	(void)state;
	static arena a;
	RNG = tu_seed();
	size_t runs = tu_iterations(5000), ok = 0;
	for (size_t r = 0; r < runs; r++) {
		upqr_mpm_fields_in in;
		upqr_mpm_value_in subs[6];
		upqr_mpm_entry_in ents[3];
		a.used = 0;
		random_fields(&in, &a, subs, ents);
		size_t n;
		upqr_diag_list_init(&DL, ITEMS, 64);
		int rc = upqr_mpm_encode(OUT, sizeof OUT, &n, upqr_mpm_profile_unionpay(), &in, &DL);
		if (rc != UPQR_OK) {
			dump();
			fail_msg("run %zu (seed %llu): encode refused valid fields", r,
				(unsigned long long)tu_seed());
		}
		check_round_trip(&in, OUT, n);
		check_fields_in_identical(n);
		ok++;
	}
	assert_int_equal(ok, runs);
}

static void test_fields_in_from_payload_refusals(void **state)
{
	(void)state;
	upqr_mpm_fields_in in;
	upqr_mpm_fields_store *st = (upqr_mpm_fields_store *)&in; /* must be reset to NULL */
	hk_fields(&in);
	size_t n;
	assert_int_equal(enc(NULL, &in, &n), UPQR_OK);
	assert_int_equal(upqr_mpm_decode(&P, NULL, OUT, n, NULL), UPQR_OK);
	assert_int_equal(upqr_mpm_fields_in_from_payload(NULL, &st, &P), UPQR_EINVAL);
	assert_null(st);
	assert_int_equal(upqr_mpm_fields_in_from_payload(&in, NULL, &P), UPQR_EINVAL);
	assert_int_equal(upqr_mpm_fields_in_from_payload(&in, &st, NULL), UPQR_EINVAL);
	upqr_mpm_fields_store_free(NULL);

	/* Allocation failure: ENOMEM, nothing leaked; then it works. */
	tu_alloc_stats as = { 0, 0, 0 };
	tu_alloc_install(&as);
	int rc = upqr_mpm_fields_in_from_payload(&in, &st, &P);
	tu_alloc_uninstall();
	assert_int_equal(rc, UPQR_ENOMEM);
	assert_null(st);
	as.fail_after = -1;
	tu_alloc_install(&as);
	assert_int_equal(upqr_mpm_fields_in_from_payload(&in, &st, &P), UPQR_OK);
	/* ID 15 comes back as the account entry it is; the encoder writes it the same. */
	assert_null(in.unionpay_merchant_id);
	assert_int_equal(in.accounts[0].id, 15);
	assert_string_equal(in.accounts[0].value, "4798034400020344798034459990001");
	assert_string_equal(in.additional[7], "00000001");
	assert_int_equal(in.amount, 500);
	upqr_mpm_fields_store_free(st);
	tu_alloc_uninstall();
	assert_int_equal(as.allocs, as.frees);

	/* A payload with errors is refused. */
	OUT[n - 1] = OUT[n - 1] == '0' ? '1' : '0';
	assert_int_equal(upqr_mpm_decode(&P, NULL, OUT, n, NULL), UPQR_ECHECKSUM);
	assert_int_equal(upqr_mpm_fields_in_from_payload(&in, &st, &P), UPQR_EINVALID);
	assert_null(st);

	/* 64/03 (reserved, a warning) has no slot in fields_in: refused, not dropped. */
	static const char body[] = "00020101021102160004hoge0104abcd520441115303156"
		"5802CN5914BEST TRANSPORT6007BEIJING64180002ZH0302XX0102AB6304";
	char text[sizeof body + 4];
	memcpy(text, body, sizeof body - 1);
	snprintf(text + sizeof body - 1, 5, "%04X", upqr_crc16(body, sizeof body - 1));
	assert_int_equal(upqr_mpm_decode(&P, NULL, text, strlen(text), NULL), UPQR_OK);
	assert_non_null(upqr_mpm_find(&P, "64.03"));
	assert_int_equal(upqr_mpm_fields_in_from_payload(&in, &st, &P), UPQR_EUNSUPPORTED);
	assert_null(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_unionpay_exact),
		cmocka_unit_test(test_encode_size_query),
		cmocka_unit_test(test_encode_templates_and_utf8),
		cmocka_unit_test(test_encode_refusals),
		cmocka_unit_test(test_encode_structure_refusals),
		cmocka_unit_test(test_encode_no_leak_on_alloc_failure),
		cmocka_unit_test(test_set_amount),
		cmocka_unit_test(test_set_amount_no_01),
		cmocka_unit_test(test_property_round_trip),
		cmocka_unit_test(test_fields_in_from_payload_refusals),
	};
	return cmocka_run_group_tests_name("mpm_encode", tests, NULL, NULL);
}
