/* test_sign_fields.c - ACP wire formats, the string to sign and PAN masking. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define CAP UPQR_ACP_FIELDS_MAX

static void assert_field(const upqr_acp_field *f, const char *k, const char *v)
{
	assert_int_equal(f->key_len, strlen(k));
	assert_memory_equal(f->key, k, f->key_len);
	assert_int_equal(f->value_len, strlen(v));
	if (f->value_len)
		assert_memory_equal(f->value, v, f->value_len);
}

static int parse_resp(upqr_acp_field *f, size_t *n, const char *body, upqr_diag_list *d)
{
	return upqr_acp_parse_response(f, CAP, n, body, strlen(body), d);
}

static void test_response_basic(void **state)
{
	(void)state;
	upqr_acp_field f[CAP];
	size_t n = 99;
	const char *body = "respCode=00&respMsg=ok=fine&signature=ab+/cd==&reqReserved={a=1&b=[x&y]}&bare";
	assert_int_equal(parse_resp(f, &n, body, NULL), UPQR_OK);
	assert_int_equal(n, 5);
	assert_field(&f[0], "respCode", "00");
	assert_field(&f[1], "respMsg", "ok=fine");          /* split on the first '=' only */
	assert_field(&f[2], "signature", "ab+/cd==");       /* not URL-decoded */
	assert_field(&f[3], "reqReserved", "{a=1&b=[x&y]}"); /* '&' inside brackets stays */
	assert_field(&f[4], "bare", "");
	/* zero-copy: views into the body */
	assert_ptr_equal(f[0].key, body);
}

static void test_response_outer_braces_and_edges(void **state)
{
	(void)state;
	upqr_acp_field f[CAP];
	size_t n;
	assert_int_equal(parse_resp(f, &n, "{a=1&b={2}}", NULL), UPQR_OK);
	assert_int_equal(n, 2);
	assert_field(&f[1], "b", "{2}");
	assert_int_equal(parse_resp(f, &n, "", NULL), UPQR_OK);
	assert_int_equal(n, 0);
	assert_int_equal(parse_resp(f, &n, "a=1&", NULL), UPQR_OK);
	assert_int_equal(n, 1);
	assert_int_equal(parse_resp(f, &n, "a={[}]&b=2", NULL), UPQR_EINVALID); /* ']' closes nothing open */
	/* stray closers would be text to the splitter, but make the signed string ambiguous */
	assert_int_equal(parse_resp(f, &n, "a=x]}&b=2", NULL), UPQR_EAMBIGUOUS);
}

static void test_response_errors(void **state)
{
	(void)state;
	upqr_acp_field f[CAP];
	size_t n;
	upqr_diag items[4];
	upqr_diag_list d;
	upqr_diag_list_init(&d, items, 4);
	assert_int_equal(parse_resp(f, &n, "a=1&&b=2", &d), UPQR_EINVALID);
	assert_non_null(upqr_diag_list_find(&d, "empty_key"));
	upqr_diag_list_clear(&d);
	assert_int_equal(parse_resp(f, &n, "=1", &d), UPQR_EINVALID);
	upqr_diag_list_clear(&d);
	assert_int_equal(parse_resp(f, &n, "a=1&b=2&a=3", &d), UPQR_EINVALID);
	assert_non_null(upqr_diag_list_find(&d, "duplicate_key"));
	upqr_diag_list_clear(&d);
	assert_int_equal(parse_resp(f, &n, "a={1&b=2", &d), UPQR_EINVALID);
	assert_int_equal(d.items[0].offset, 2);
	assert_string_equal(d.items[0].code, "unbalanced_brackets");
	assert_int_equal(upqr_acp_parse_response(f, 2, &n, "a=1&b=2&c=3", 11, NULL), UPQR_ELIMIT);
	char deep[80];
	memset(deep, '[', sizeof deep);
	deep[0] = 'a';
	deep[1] = '=';
	assert_int_equal(upqr_acp_parse_response(f, CAP, &n, deep, sizeof deep, NULL), UPQR_ELIMIT);
	assert_int_equal(upqr_acp_parse_response(f, CAP, &n, "x", UPQR_ACP_MESSAGE_MAX + 1, NULL), UPQR_ELIMIT);
	assert_int_equal(upqr_acp_parse_response(f, CAP, NULL, "a", 1, NULL), UPQR_EINVAL);
}

static int parse_form(upqr_acp_field *f, size_t *n, char *scratch, const char *body, upqr_diag_list *d)
{
	return upqr_acp_parse_form(f, CAP, n, scratch, strlen(body), body, strlen(body), d);
}

static void test_form(void **state)
{
	(void)state;
	upqr_acp_field f[CAP];
	size_t n;
	char scratch[128];
	assert_int_equal(parse_form(f, &n, scratch, "a=x+y%2Bz&&sig=ab%2F%3D&e=&k", NULL), UPQR_OK);
	assert_int_equal(n, 4);
	assert_field(&f[0], "a", "x y+z");
	assert_field(&f[1], "sig", "ab/=");
	assert_field(&f[2], "e", "");
	assert_field(&f[3], "k", "");
	assert_int_equal(parse_form(f, &n, scratch, "c%61t=%e4%B8%AD", NULL), UPQR_OK);
	assert_field(&f[0], "cat", "\xe4\xb8\xad");
	upqr_diag items[2];
	upqr_diag_list d;
	upqr_diag_list_init(&d, items, 2);
	static const char *const bad[] = { "a=%G1", "a=%4", "a=%", "a=1%", "a=%%41", "%zz=1" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		upqr_diag_list_clear(&d);
		assert_int_equal(parse_form(f, &n, scratch, bad[i], &d), UPQR_EINVALID);
		assert_non_null(upqr_diag_list_find(&d, "bad_percent_escape"));
	}
	upqr_diag_list_clear(&d);
	assert_int_equal(parse_form(f, &n, scratch, "a=1%00", &d), UPQR_EINVALID);
	assert_non_null(upqr_diag_list_find(&d, "nul_byte"));
	assert_int_equal(parse_form(f, &n, scratch, "a=1&%61=2", NULL), UPQR_EINVALID); /* duplicate after decoding */
	assert_int_equal(parse_form(f, &n, scratch, "=1", NULL), UPQR_EINVALID);
	assert_int_equal(upqr_acp_parse_form(f, CAP, &n, scratch, 3, "a=1&b=2", 7, NULL), UPQR_EBUFSIZE);
}

static void test_form_encode(void **state)
{
	(void)state;
	upqr_acp_field f[] = {
		{ "a b", 3, "x+y/z=", 6 }, { "u", 1, "-._~AZaz09", 10 }, { "e", 1, "", 0 },
		{ "cn", 2, "\xe4\xb8\xad&", 4 },
	};
	const char *want = "a%20b=x%2By%2Fz%3D&u=-._~AZaz09&e=&cn=%E4%B8%AD%26";
	size_t n = 0;
	assert_int_equal(upqr_acp_form_encode(NULL, 0, &n, f, 4), UPQR_EBUFSIZE);
	assert_int_equal(n, strlen(want));
	char out[128];
	assert_int_equal(upqr_acp_form_encode(out, n, &n, f, 4), UPQR_EBUFSIZE); /* no room for NUL */
	assert_int_equal(upqr_acp_form_encode(out, sizeof out, &n, f, 4), UPQR_OK);
	assert_string_equal(out, want);
	/* written is optional (common.h): the same output without the length. */
	memset(out, 0, sizeof out);
	assert_int_equal(upqr_acp_form_encode(out, sizeof out, NULL, f, 4), UPQR_OK);
	assert_string_equal(out, want);
}

/* Property: any fields survive encode -> parse_form unchanged. */
static void test_form_roundtrip(void **state)
{
	(void)state;
	uint64_t seed = tu_seed();
	size_t iters = tu_iterations(2000);
	for (size_t it = 0; it < iters; it++) {
		char keys[8][6], vals[8][24];
		upqr_acp_field in[8], out[CAP];
		size_t n = 1 + tu_rand(&seed) % 8, m, w;
		for (size_t i = 0; i < n; i++) {
			/* distinct identifier keys; values of any non-NUL byte */
			static const char idc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_";
			keys[i][0] = (char)('a' + i);
			size_t kl = 1 + tu_rand(&seed) % 5, vl = tu_rand(&seed) % 24;
			for (size_t j = 1; j < kl; j++)
				keys[i][j] = idc[tu_rand(&seed) % (sizeof idc - 1)];
			for (size_t j = 0; j < vl; j++)
				vals[i][j] = (char)(1 + tu_rand(&seed) % 255);
			in[i] = (upqr_acp_field){ keys[i], kl, vals[i], vl };
		}
		char body[8 * 3 * 30 + 16], scratch[sizeof body];
		assert_int_equal(upqr_acp_form_encode(body, sizeof body, &w, in, n), UPQR_OK);
		int want = upqr_acp_check_unambiguous(in, n, NULL);
		assert_int_equal(upqr_acp_parse_form(out, CAP, &m, scratch, sizeof scratch, body, w, NULL), want);
		if (want != UPQR_OK)
			continue; /* a raw '&' or bracket in a value: refused, tested in test_sign_ambiguity */
		assert_int_equal(m, n);
		for (size_t i = 0; i < n; i++) {
			assert_int_equal(out[i].key_len, in[i].key_len);
			assert_memory_equal(out[i].key, in[i].key, in[i].key_len);
			assert_int_equal(out[i].value_len, in[i].value_len);
			if (in[i].value_len)
				assert_memory_equal(out[i].value, in[i].value, in[i].value_len);
		}
	}
}

static void test_string_to_sign(void **state)
{
	(void)state;
	/* Byte order: 'N' (0x4E) < 'e' (0x65), so accNo sorts before accessType; a prefix sorts first. */
	upqr_acp_field f[] = {
		{ "accessType", 10, "0", 1 }, { "signature", 9, "SIG", 3 }, { "accNo", 5, "x&y", 3 },
		{ "acc", 3, "", 0 }, { "signPubKeyCert", 14, "-----BEGIN\r\nX", 13 }, { "Z", 1, "%20", 3 },
	};
	char out[128];
	size_t n;
	assert_int_equal(upqr_acp_string_to_sign(out, sizeof out, &n, f, 6), UPQR_OK);
	assert_string_equal(out, "Z=%20&acc=&accNo=x&y&accessType=0&signPubKeyCert=-----BEGIN\r\nX");
	assert_int_equal(n, strlen(out));
	size_t need;
	assert_int_equal(upqr_acp_string_to_sign(NULL, 0, &need, f, 6), UPQR_EBUFSIZE);
	assert_int_equal(need, n);
	upqr_acp_field dup[] = { { "a", 1, "1", 1 }, { "b", 1, "1", 1 }, { "a", 1, "2", 1 } };
	assert_int_equal(upqr_acp_string_to_sign(out, sizeof out, &n, dup, 3), UPQR_EINVALID);
	assert_int_equal(upqr_acp_string_to_sign(out, sizeof out, &n, NULL, 0), UPQR_OK);
	assert_string_equal(out, "");
	assert_ptr_equal(upqr_acp_field_get(f, 6, "accNo"), &f[2]);
	assert_null(upqr_acp_field_get(f, 6, "acc No"));
	assert_null(upqr_acp_field_get(f, 6, "accN"));
}

static void test_mask_pan(void **state)
{
	(void)state;
	char out[UPQR_ACP_PAN_MAX + 1];
	size_t n;
	assert_int_equal(upqr_acp_mask_pan(out, sizeof out, &n, "6222021234567890123", 19), UPQR_OK);
	assert_string_equal(out, "622202*********0123");
	assert_int_equal(upqr_acp_mask_pan(out, sizeof out, &n, "6222021234567", 13), UPQR_OK);
	assert_string_equal(out, "622202***4567");
	assert_int_equal(upqr_acp_mask_pan(out, sizeof out, &n, "622202123456", 12), UPQR_OK);
	assert_string_equal(out, "************");
	assert_int_equal(upqr_acp_mask_pan(out, 5, &n, "6222021234567", 13), UPQR_EBUFSIZE);
	assert_int_equal(n, 13);
}

static void expect_masked(const char *key, const char *value, const char *want)
{
	char out[128];
	size_t n;
	upqr_acp_field f = { key, strlen(key), value, strlen(value) };
	assert_int_equal(upqr_acp_mask_field(out, sizeof out, &n, &f), UPQR_OK);
	if (strcmp(out, want) != 0)
		fail_msg("%s=%s: got %s, wanted %s", key, value, out, want);
	assert_int_equal(n, strlen(value));
}

/* Card numbers by field name and by shape, in every form they come in. */
static void test_mask_field(void **state)
{
	(void)state;
	expect_masked("accNo", "6222021234567890123", "622202*********0123");
	expect_masked("payCardNo", "6222021234567890123", "622202*********0123");
	expect_masked("accNo", "62220212345678901234", "622202**********1234");     /* 20 digits */
	expect_masked("accNo", "6222 0212 3456 7890 123", "6222 02** **** ***0 123"); /* spaces */
	expect_masked("memo", "card 6222-0212-3456-7890 ok", "card 6222-02**-****-7890 ok"); /* by shape */
	expect_masked("memo", "ref 622202123456", "ref ************");              /* 12 digits */
	expect_masked("memo", "order 20221010123", "order 20221010123");            /* 11 digits */
	expect_masked("txnTime", "20221010123456", "20221010123456");          /* never a card */
	expect_masked("queryId", "782209081322060674028", "782209081322060674028");
	expect_masked("reqReserved", "{t=20221010123456}", "{t=202210****3456}"); /* shape wins elsewhere */
	expect_masked("qrNo", "6226123456789012345", "622612*********2345");
	expect_masked("accNo", "6216***********0018", "6216***********0018");     /* already masked */
	expect_masked("accNo", "12345678", "********");                            /* by name: 8 digits */
	expect_masked("tokenPan", "1234567", "1234567");
	expect_masked("origCardNumber", "1234-5678-9", "****-****-*");
	expect_masked("accNo", "", "");
	char out[4];
	size_t n;
	upqr_acp_field f = { "accNo", 5, "6222021234567890123", 19 };
	assert_int_equal(upqr_acp_mask_field(out, sizeof out, &n, &f), UPQR_EBUFSIZE);
	assert_int_equal(n, 19);
	/* written is optional: a short buffer is still refused without it. */
	assert_int_equal(upqr_acp_mask_field(out, sizeof out, NULL, &f), UPQR_EBUFSIZE);
	assert_int_equal(upqr_acp_mask_field(out, sizeof out, &n, NULL), UPQR_EINVAL);
}

static void test_limits(void **state)
{
	(void)state;
	assert_int_equal(upqr_acp_fields_max(), UPQR_ACP_FIELDS_MAX);
	assert_int_equal(upqr_acp_message_max(), UPQR_ACP_MESSAGE_MAX);
	assert_int_equal(upqr_acp_signature_max(), UPQR_ACP_SIGNATURE_MAX);
	assert_int_equal(upqr_acp_pan_max(), UPQR_ACP_PAN_MAX);
	assert_int_equal(upqr_verifier_cache_max(), UPQR_VERIFIER_CACHE_MAX);
	assert_int_equal(UPQR_ACP_SIGNATURE_MAX, UPQR_BASE64_ENCODED_LEN(8192 / 8));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_response_basic),
		cmocka_unit_test(test_response_outer_braces_and_edges),
		cmocka_unit_test(test_response_errors),
		cmocka_unit_test(test_form),
		cmocka_unit_test(test_form_encode),
		cmocka_unit_test(test_form_roundtrip),
		cmocka_unit_test(test_string_to_sign),
		cmocka_unit_test(test_mask_pan),
		cmocka_unit_test(test_mask_field),
		cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
