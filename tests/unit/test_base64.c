/* test_base64.c - strict RFC 4648 base64. */
#include <string.h>

#include "testutil.h"

static void test_rfc4648_vectors(void **state)
{
	(void)state;
	static const char *const v[][2] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		char enc[16];
		uint8_t dec[16];
		size_t n = 99;
		size_t plain = strlen(v[i][0]);
		assert_int_equal(upqr_base64_encode(enc, sizeof enc, &n, (const uint8_t *)v[i][0], plain), UPQR_OK);
		assert_string_equal(enc, v[i][1]);
		assert_int_equal(n, strlen(v[i][1]));
		assert_int_equal(upqr_base64_decode(dec, sizeof dec, &n, v[i][1], strlen(v[i][1]), NULL), UPQR_OK);
		assert_int_equal(n, plain);
		assert_memory_equal(dec, v[i][0], plain);
	}
}

static void test_size_queries(void **state)
{
	(void)state;
	size_t n = 0;
	assert_int_equal(upqr_base64_encode(NULL, 0, &n, (const uint8_t *)"foob", 4), UPQR_EBUFSIZE);
	assert_int_equal(n, 8);
	char small[8];
	assert_int_equal(upqr_base64_encode(small, sizeof small, &n, (const uint8_t *)"foob", 4), UPQR_EBUFSIZE);
	assert_int_equal(upqr_base64_decode(NULL, 0, &n, "Zm9vYg==", 8, NULL), UPQR_EBUFSIZE);
	assert_int_equal(n, 4);
	uint8_t out[3];
	assert_int_equal(upqr_base64_decode(out, 3, &n, "Zm9vYg==", 8, NULL), UPQR_EBUFSIZE);
	assert_int_equal(upqr_base64_encoded_len(4), UPQR_BASE64_ENCODED_LEN(4));
	assert_int_equal(upqr_base64_decoded_max(8), UPQR_BASE64_DECODED_MAX(8));
	assert_int_equal(upqr_base64_encode(NULL, 0, &n, NULL, 3), UPQR_EINVAL);
}

static void test_strictness(void **state)
{
	(void)state;
	static const struct { const char *s; size_t bad; } bad[] = {
		{ "Zm9", 3 },          /* length not a multiple of 4 */
		{ "Zm9vYg=", 7 },      /* missing one '=' */
		{ "Zm9vYg", 6 },       /* unpadded */
		{ "Zm9 vYg==", 3 },    /* whitespace */
		{ "Zm9vYg==\n", 8 },   /* trailing newline (length 9) */
		{ "Zm=vYg==", 2 },     /* '=' inside */
		{ "Zm9vYh==", 5 },     /* non-canonical: unused bits set */
		{ "Zm9=", 2 },         /* non-canonical with one pad: 'o' => Zm8= */
		{ "Zm-v", 2 },         /* URL-safe alphabet is not accepted */
		{ "Zm_v", 2 },
		{ "A===", 1 },         /* three pads */
		{ "====", 0 },
		{ "Zm9v\x80Yg=", 4 },  /* high byte */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint8_t out[16];
		size_t n = 0, off = 999;
		int rc = upqr_base64_decode(out, sizeof out, &n, bad[i].s, strlen(bad[i].s), &off);
		if (rc != UPQR_EBASE64)
			fail_msg("case %zu '%s' accepted", i, bad[i].s);
		assert_int_equal(off, bad[i].bad);
	}
}

static void test_round_trip_random(void **state)
{
	(void)state;
	uint64_t s = tu_seed();
	uint8_t in[300], back[300];
	char enc[UPQR_BASE64_ENCODED_LEN(300) + 1];
	for (size_t it = 0; it < tu_iterations(3000); it++) {
		size_t n = tu_rand(&s) % sizeof in, m, k;
		for (size_t i = 0; i < n; i++)
			in[i] = (uint8_t)tu_rand(&s);
		assert_int_equal(upqr_base64_encode(enc, sizeof enc, &m, in, n), UPQR_OK);
		assert_int_equal(upqr_base64_decode(back, sizeof back, &k, enc, m, NULL), UPQR_OK);
		assert_int_equal(k, n);
		assert_memory_equal(back, in, n);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc4648_vectors),
		cmocka_unit_test(test_size_queries),
		cmocka_unit_test(test_strictness),
		cmocka_unit_test(test_round_trip_random),
	};
	return cmocka_run_group_tests_name("base64", tests, NULL, NULL);
}
