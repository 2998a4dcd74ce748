/*
 * test_cpm_profile.c - the token-profile JSON reader: the documented example
 * files, the key they name (a generated code verifies against the same
 * doc), strictness (each refusal with its code and member), escapes, and
 * allocation failure without leaks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static upqr_diag ITEMS[8];
static upqr_diag_list DL;

static int parse(upqr_cpm_profile_doc **doc, const char *json)
{
	upqr_diag_list_init(&DL, ITEMS, 8);
	return upqr_cpm_profile_parse(doc, json, strlen(json), &DL);
}

/* json is refused with `code` naming `path`, and no doc is returned. */
static void refused(const char *json, const char *code, const char *path)
{
	upqr_cpm_profile_doc *doc = (upqr_cpm_profile_doc *)&DL; /* must be reset */
	assert_int_equal(parse(&doc, json), UPQR_EINVALID);
	assert_null(doc);
	assert_int_equal(DL.count, 1);
	if (strcmp(ITEMS[0].code, code) || strcmp(ITEMS[0].path, path))
		fail_msg("%s: got %s [%s] %s, want %s [%s]", json, ITEMS[0].code, ITEMS[0].path,
			ITEMS[0].message, code, path);
}

static void test_example_files(void **state)
{
	(void)state;
	size_t len;
	char *text = tu_read_data("cpm-profile.json", &len);
	upqr_cpm_profile_doc *doc;
	upqr_diag_list_init(&DL, ITEMS, 8);
	assert_int_equal(upqr_cpm_profile_parse(&doc, text, len, &DL), UPQR_OK);
	free(text);
	const upqr_cpm_profile *p = upqr_cpm_profile_doc_profile(doc);
	assert_non_null(p);
	assert_int_equal(p->version, UPQR_CPM_PROFILE_VERSION);
	assert_int_equal(p->aid_len, 8);
	assert_memory_equal(p->aid, "\xA0\x00\x00\x03\x33\x01\x01\x01", 8);
	assert_string_equal(p->label, "UnionPay Debit");
	assert_string_equal(p->pan, "6250947000000014");
	assert_string_equal(p->expiry, "3012");
	assert_int_equal(p->psn, 0);
	assert_int_equal(p->app_version, 0x0030);
	assert_string_equal(p->par, "Q1Z2X3C4V5B6N7M8L9K0J1H2G3F4D");
	assert_memory_equal(p->aip, "\x7C\x00", 2);
	assert_int_equal(p->currency, 156);
	assert_int_equal(p->cvn, UPQR_CPM_CVN_TDES);
	assert_int_equal(p->dki, 1);
	assert_memory_equal(p->cvr, "\xA0\x00\x00", 3);
	assert_true(upqr_cpm_profile_doc_has_key(doc));

	/* The key it names (IMK, option A) makes codes that verify against the same record. */
	upqr_emv_key *mk;
	assert_int_equal(upqr_cpm_profile_doc_key(&mk, doc), UPQR_OK);
	char code[UPQR_CPM_GENERATED_MAX + 1];
	size_t n;
	uint16_t atc = 6;
	upqr_cpm_txn txn = UPQR_CPM_TXN_INIT;
	assert_int_equal(upqr_cpm_generate(code, sizeof code, &n, &atc, mk, p, &txn), UPQR_OK);
	upqr_cpm *cpm = malloc(sizeof *cpm);
	assert_non_null(cpm);
	assert_int_equal(upqr_cpm_decode(cpm, NULL, code, n, NULL), UPQR_OK);
	upqr_cpm_cryptogram info;
	assert_int_equal(upqr_cpm_verify_token(&info, mk, UPQR_CPM_KEY_ICC_MK, p, cpm, NULL), UPQR_OK);
	assert_int_equal(info.atc, 7);
	upqr_emv_key_free(mk);
	upqr_cpm_profile_doc_free(doc);

	/* The AES example: Track 2 instead of the PAN fields, "mk" as AES-128. */
	text = tu_read_data("cpm-profile-aes.json", &len);
	upqr_diag_list_init(&DL, ITEMS, 8);
	assert_int_equal(upqr_cpm_profile_parse(&doc, text, len, &DL), UPQR_OK);
	free(text);
	p = upqr_cpm_profile_doc_profile(doc);
	assert_int_equal(p->cvn, UPQR_CPM_CVN_AES);
	assert_string_equal(p->track2, "6250947000000014D30122011234567F");
	assert_null(p->pan);
	assert_int_equal(p->psn, -1);
	assert_int_equal(p->app_version, -1);
	assert_int_equal(upqr_cpm_profile_doc_key(&mk, doc), UPQR_OK);
	assert_int_equal(upqr_cpm_generate(code, sizeof code, &n, &atc, mk, p, &txn), UPQR_OK);
	assert_int_equal(upqr_cpm_decode(cpm, NULL, code, n, NULL), UPQR_OK);
	assert_int_equal(upqr_cpm_verify_token(&info, mk, UPQR_CPM_KEY_ICC_MK, p, cpm, NULL), UPQR_OK);
	upqr_emv_key_free(mk);
	upqr_cpm_profile_doc_free(doc);
	free(cpm);
}

static void test_strict(void **state)
{
	(void)state;
	refused("{\"aid\": \"A0000003330101\", \"lable\": \"X\"}", "profile_unknown_field", "lable");
	refused("{\"aid\": \"A0000003330101\", \"aid\": \"A0000003330102\"}",
		"profile_duplicate_field", "aid");
	refused("{\"psn\": \"1\"}", "profile_bad_value", "psn");
	refused("{\"label\": 5}", "profile_bad_value", "label");
	refused("{\"psn\": 1.0}", "profile_bad_value", "psn");
	refused("{\"psn\": 1e2}", "profile_bad_value", "psn");
	refused("{\"psn\": 01}", "profile_bad_value", "psn");
	refused("{\"psn\": 100}", "profile_bad_value", "psn");
	refused("{\"dki\": -1}", "profile_bad_value", "dki");
	refused("{\"label\": true}", "profile_bad_value", "label");
	refused("{\"label\": {\"a\": 1}}", "profile_bad_value", "label");
	refused("{\"aid\": \"A00000033\"}", "profile_bad_value", "aid");
	refused("{\"aid\": \"A0000003330101ZZ\"}", "profile_bad_value", "aid");
	refused("{\"aip\": \"7C\"}", "profile_bad_value", "aip");
	refused("{\"cvr\": \"A00000FF\"}", "profile_bad_value", "cvr");
	refused("{\"cvn\": \"des\"}", "profile_bad_value", "cvn");
	refused("{\"mk\": \"0011\"}", "profile_key", "mk");
	refused("{\"mk\": \"00112233445566778899AABBCCDDEEFF\", \"imk\": "
		"\"00112233445566778899AABBCCDDEEFF\"}", "profile_key", "mk");
	refused("{\"mk_option\": \"A\"}", "profile_key", "mk_option");
	refused("{\"imk\": \"00112233445566778899AABBCCDDEEFF\", \"mk_option\": \"C\"}",
		"profile_key", "mk_option");
	refused("{\"cvn\": \"aes\", \"imk\": \"00112233445566778899AABBCCDDEEFF\"}", "profile_key", "imk");
	refused("[]", "profile_json", "");
	refused("{\"label\": \"X\",}", "profile_json", "");
	refused("{\"label\": \"X\"} x", "profile_json", "");
	refused("{\"label\" \"X\"}", "profile_json", "label");
	refused("{\"label\": \"a\tb\"}", "profile_bad_value", "label");
	refused("{\"label\": \"\\ud800\"}", "profile_bad_value", "label");
	refused("{\"label\": \"\\u0000\"}", "profile_bad_value", "label");
	refused("{\"label\": \"\\x\"}", "profile_bad_value", "label");
	refused("{\"label\": \"open", "profile_bad_value", "label");
	refused("", "profile_json", "");

	/* A NUL inside the text is refused, at its offset. */
	upqr_cpm_profile_doc *doc;
	upqr_diag_list_init(&DL, ITEMS, 8);
	assert_int_equal(upqr_cpm_profile_parse(&doc, "{\"label\": \"a\0\"}", 15, &DL), UPQR_EINVALID);
	assert_string_equal(ITEMS[0].code, "profile_json");

	/* The syntax error's offset is the byte where reading stopped. */
	refused("{\"label\": \"X\" \"psn\": 1}", "profile_json", "");
	assert_int_equal(ITEMS[0].offset, 14);
	assert_int_equal(upqr_cpm_profile_parse(NULL, "{}", 2, NULL), UPQR_EINVAL);
	assert_int_equal(upqr_cpm_profile_parse(&doc, NULL, 2, NULL), UPQR_EINVAL);
	assert_null(doc);
}

/* Visa CVN 18 from an IMK: no "mk_option", so option B (the CVN's); the card's own IAD is kept. */
#define VISA18 "{\"aid\": \"A0000000031010\", \"pan\": \"4761739001010010123\", \"expiry\": \"3012\", " \
	"\"service_code\": \"201\", \"psn\": 1, \"cvn\": \"visa-18\", \"iad\": \"06011203A00000\", " \
	"\"imk\": \"0123456789ABCDEFFEDCBA9876543210\""

static void test_scheme_cvns(void **state)
{
	(void)state;
	upqr_cpm_profile_doc *doc;
	assert_int_equal(parse(&doc, VISA18 "}"), UPQR_OK);
	const upqr_cpm_profile *p = upqr_cpm_profile_doc_profile(doc);
	assert_int_equal(p->cvn, UPQR_EMV_CVN_VISA_18);
	assert_int_equal(p->iad_len, 7);
	assert_memory_equal(p->iad, "\x06\x01\x12\x03\xA0\x00\x00", 7);
	upqr_emv_key *mk, *imk;
	assert_int_equal(upqr_cpm_profile_doc_key(&mk, doc), UPQR_OK);
	assert_int_equal(upqr_emv_key_get_type(mk), UPQR_EMV_KEY_TDES);
	char code[UPQR_CPM_GENERATED_MAX + 1];
	size_t n;
	uint16_t atc = 0;
	upqr_cpm_txn txn = UPQR_CPM_TXN_INIT;
	assert_int_equal(upqr_cpm_generate(code, sizeof code, &n, &atc, mk, p, &txn), UPQR_OK);
	upqr_emv_key_free(mk);
	upqr_cpm *cpm = malloc(sizeof *cpm);
	assert_non_null(cpm);
	assert_int_equal(upqr_cpm_decode(cpm, NULL, code, n, NULL), UPQR_OK);
	assert_int_equal(cpm->cvn, UPQR_EMV_CVN_VISA_18);
	upqr_cpm_bytes iad;
	assert_int_equal(upqr_cpm_find(&iad, cpm, 0x9F10), UPQR_OK);
	assert_int_equal(iad.len, 7);
	assert_memory_equal(iad.ptr, p->iad, 7);
	/* The MK came from option B: the 19-digit PAN tells A and B apart. */
	assert_int_equal(upqr_emv_key_new(&imk, UPQR_EMV_KEY_TDES,
		(const uint8_t *)"\x01\x23\x45\x67\x89\xAB\xCD\xEF\xFE\xDC\xBA\x98\x76\x54\x32\x10", 16), UPQR_OK);
	upqr_cpm_cryptogram info;
	assert_int_equal(upqr_cpm_verify(&info, imk, UPQR_CPM_KEY_IMK_OPTION_B, cpm), UPQR_OK);
	assert_int_not_equal(upqr_cpm_verify(&info, imk, UPQR_CPM_KEY_IMK_OPTION_A, cpm), UPQR_OK);
	upqr_emv_key_free(imk);
	free(cpm);
	upqr_cpm_profile_doc_free(doc);

	/* Every implemented CVN answers to its upqr/emv.h name; "tdes"/"aes" are A1/A2. */
	static const struct { const char *name; unsigned int id; } names[] = {
		{ "tdes", UPQR_EMV_CVN_UPQR_A1 }, { "aes", UPQR_EMV_CVN_UPQR_A2 },
		{ "upqr-a1", UPQR_EMV_CVN_UPQR_A1 }, { "upqr-a2", UPQR_EMV_CVN_UPQR_A2 },
		{ "visa-10", UPQR_EMV_CVN_VISA_10 }, { "visa-22", UPQR_EMV_CVN_VISA_22 },
		{ "mastercard-16", UPQR_EMV_CVN_MC_16 }, { "mastercard-21", UPQR_EMV_CVN_MC_21 },
		{ "unionpay-01", UPQR_EMV_CVN_UNIONPAY_01 },
	};
	char json[128];
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		snprintf(json, sizeof json, "{\"cvn\": \"%s\"}", names[i].name);
		assert_int_equal(parse(&doc, json), UPQR_OK);
		assert_int_equal(upqr_cpm_profile_doc_profile(doc)->cvn, names[i].id);
		upqr_cpm_profile_doc_free(doc);
	}
	/* Repeating the CVN's option is fine; "mk" follows the CVN's key type. */
	assert_int_equal(parse(&doc, VISA18 ", \"mk_option\": \"B\"}"), UPQR_OK);
	upqr_cpm_profile_doc_free(doc);
	assert_int_equal(parse(&doc, "{\"cvn\": \"upqr-a2\", \"mk\": \"00112233445566778899AABBCCDDEEFF\"}"), UPQR_OK);
	assert_int_equal(upqr_cpm_profile_doc_key(&mk, doc), UPQR_OK);
	assert_int_equal(upqr_emv_key_get_type(mk), UPQR_EMV_KEY_AES128);
	upqr_emv_key_free(mk);
	upqr_cpm_profile_doc_free(doc);
	assert_int_equal(parse(&doc, "{\"cvn\": \"mastercard-21\", \"mk\": \"00112233445566778899AABBCCDDEEFF\"}"),
		UPQR_OK);
	assert_int_equal(upqr_cpm_profile_doc_key(&mk, doc), UPQR_OK);
	assert_int_equal(upqr_emv_key_get_type(mk), UPQR_EMV_KEY_TDES);
	upqr_emv_key_free(mk);
	upqr_cpm_profile_doc_free(doc);

	refused(VISA18 ", \"mk_option\": \"A\"}", "profile_key", "mk_option");
	refused("{\"cvn\": \"visa-17\"}", "profile_bad_value", "cvn");
	refused("{\"cvn\": \"VISA-18\"}", "profile_bad_value", "cvn");
	refused("{\"cvn\": \"upqr-a2\", \"imk\": \"00112233445566778899AABBCCDDEEFF\"}", "profile_key", "imk");
	refused("{\"iad\": \"\"}", "profile_bad_value", "iad");
	refused("{\"iad\": \"06011\"}", "profile_bad_value", "iad");
	refused("{\"iad\": \"06011203A0000G\"}", "profile_bad_value", "iad");
	/* 33 bytes: one more than a '9F10' holds. */
	refused("{\"iad\": \"1F2201000000000000000000000000000000000000000000000000000000000000\"}",
		"profile_bad_value", "iad");
}

static void test_escapes_and_no_key(void **state)
{
	(void)state;
	upqr_cpm_profile_doc *doc;
	assert_int_equal(parse(&doc, " {\n\t\"label\" : \"A\\u0042\\\"\\\\\\/\\u00e9\\u4e2d\" ,"
		"\"psn\":-0, \"currency\": 344 }\n"), UPQR_OK);
	const upqr_cpm_profile *p = upqr_cpm_profile_doc_profile(doc);
	assert_string_equal(p->label, "AB\"\\/\xC3\xA9\xE4\xB8\xAD");
	assert_int_equal(p->psn, 0);
	assert_int_equal(p->currency, 344);
	assert_int_equal(p->country, 156);
	assert_null(p->aid);
	assert_false(upqr_cpm_profile_doc_has_key(doc));
	upqr_emv_key *mk = (upqr_emv_key *)&DL;
	assert_int_equal(upqr_cpm_profile_doc_key(&mk, doc), UPQR_ENOTFOUND);
	assert_null(mk);
	upqr_cpm_profile_doc_free(doc);
	assert_int_equal(parse(&doc, "{}"), UPQR_OK);
	upqr_cpm_profile_doc_free(doc);
	upqr_cpm_profile_doc_free(NULL);
	assert_null(upqr_cpm_profile_doc_profile(NULL));
	assert_false(upqr_cpm_profile_doc_has_key(NULL));
	assert_int_equal(upqr_cpm_profile_doc_key(&mk, NULL), UPQR_EINVAL);
}

static void test_allocation_failure(void **state)
{
	(void)state;
	size_t len;
	char *text = tu_read_data("cpm-profile.json", &len);
	for (long k = 0; k < 2; k++) {
		tu_alloc_stats st = { 0, 0, k };
		upqr_cpm_profile_doc *doc = NULL;
		tu_alloc_install(&st);
		int rc = upqr_cpm_profile_parse(&doc, text, len, NULL);
		tu_alloc_uninstall();
		assert_int_equal(rc, UPQR_ENOMEM);
		assert_null(doc);
		assert_int_equal(st.allocs, st.frees);
	}
	tu_alloc_stats st = { 0, 0, -1 };
	upqr_cpm_profile_doc *doc = NULL;
	tu_alloc_install(&st);
	assert_int_equal(upqr_cpm_profile_parse(&doc, text, len, NULL), UPQR_OK);
	upqr_cpm_profile_doc_free(doc);
	tu_alloc_uninstall();
	assert_int_equal(st.allocs, st.frees);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_files),
		cmocka_unit_test(test_strict),
		cmocka_unit_test(test_scheme_cvns),
		cmocka_unit_test(test_escapes_and_no_key),
		cmocka_unit_test(test_allocation_failure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
