/*
 * test_constants.c - every constant a binding needs is a macro and a
 * function with the same value (libsodium's constcheck). Which macros must
 * be listed here is checked by tests/cli/test_constants.sh, which reads
 * the public headers: a new limit or constant without a function fails it.
 */
#include <ctype.h>
#include <string.h>

#include "testutil.h"

#define SAME(macro, fn) assert_true((uint64_t)(macro) == (uint64_t)(fn))

static void test_limits(void **state)
{
	(void)state;
	SAME(UPQR_DIAG_PATH_MAX, upqr_diag_path_max());
	SAME(UPQR_DIAG_MESSAGE_MAX, upqr_diag_message_max());

	SAME(UPQR_BERTLV_DEPTH_MAX, upqr_bertlv_depth_max());
	SAME(UPQR_BERTLV_TAG_BYTES_MAX, upqr_bertlv_tag_bytes_max());
	SAME(UPQR_BERTLV_NODES_MAX, upqr_bertlv_nodes_max());
	SAME(UPQR_BERTLV_NONE, upqr_bertlv_none());

	SAME(UPQR_MPM_INPUT_MAX, upqr_mpm_input_max());
	SAME(UPQR_MPM_OBJECTS_MAX, upqr_mpm_objects_max());
	SAME(UPQR_MPM_SUBOBJECTS_MAX, upqr_mpm_subobjects_max());
	SAME(UPQR_MPM_ACCOUNTS_MAX, upqr_mpm_accounts_max());
	SAME(UPQR_MPM_ENCODED_MAX, upqr_mpm_encoded_max());
	SAME(UPQR_MPM_RECOMMENDED_CHARS, upqr_mpm_recommended_chars());
	SAME(UPQR_MPM_LEVEL_COUNT, upqr_mpm_level_count());
	SAME(UPQR_MPM_UNIONPAY_ID_CHARS, upqr_mpm_unionpay_id_chars());

	SAME(UPQR_CPM_TEXT_MAX, upqr_cpm_text_max());
	SAME(UPQR_CPM_BINARY_MAX, upqr_cpm_binary_max());
	SAME(UPQR_CPM_NODES_MAX, upqr_cpm_nodes_max());
	SAME(UPQR_CPM_PAN_MAX, upqr_cpm_pan_max());
	SAME(UPQR_CPM_DISCRETIONARY_MAX, upqr_cpm_discretionary_max());
	SAME(UPQR_CPM_AID_MAX, upqr_cpm_aid_max());
	SAME(UPQR_CPM_GENERATED_MAX, upqr_cpm_generated_max());
	SAME(UPQR_CPM_IAD_LEN, upqr_cpm_iad_len());
	SAME(UPQR_CPM_AC_INPUT_LEN, upqr_cpm_ac_input_len());
	SAME(UPQR_CPM_REPLAY_ID_BYTES, upqr_cpm_replay_id_bytes());

	SAME(UPQR_QR_VERSION_MAX, upqr_qr_version_max());
	SAME(UPQR_QR_SIZE_MAX, upqr_qr_size_max());
	SAME(UPQR_QR_MODULES_MAX, upqr_qr_modules_max());
	SAME(UPQR_QR_PAYLOAD_MAX, upqr_qr_payload_max(UPQR_QR_ECC_L));
	SAME(UPQR_QR_SCALE_MAX, upqr_qr_scale_max());
	SAME(UPQR_QR_MARGIN_MIN, upqr_qr_margin_min());
	SAME(UPQR_QR_MARGIN_MAX, upqr_qr_margin_max());

	SAME(UPQR_SCAN_MAX_PIXELS, upqr_scan_max_pixels());
	SAME(UPQR_SCAN_DEFAULT_PIXELS, upqr_scan_default_pixels());
	SAME(UPQR_SCAN_MAX_DIMENSION, upqr_scan_max_dimension());
	SAME(UPQR_SCAN_MAX_FILE_BYTES, upqr_scan_max_file_bytes());
	SAME(UPQR_SCAN_MAX_SYMBOLS, upqr_scan_max_symbols());
	SAME(UPQR_SCAN_DIAG_MAX, upqr_scan_diag_max());

	SAME(UPQR_ACP_FIELDS_MAX, upqr_acp_fields_max());
	SAME(UPQR_ACP_MESSAGE_MAX, upqr_acp_message_max());
	SAME(UPQR_ACP_PAN_MAX, upqr_acp_pan_max());
	SAME(UPQR_ACP_SIGNATURE_MAX, upqr_acp_signature_max());
	SAME(UPQR_VERIFIER_CACHE_DEFAULT, upqr_verifier_cache_default());
	SAME(UPQR_VERIFIER_CACHE_MAX, upqr_verifier_cache_max());
	assert_true(UPQR_VERIFY_NOW == upqr_verify_now());

	SAME(UPQR_REPLAY_BUSY_TIMEOUT_MS, upqr_replay_busy_timeout_ms());
}

static void test_emv_sizes_and_methods(void **state)
{
	(void)state;
	SAME(UPQR_EMV_KEY_BYTES, upqr_emv_key_bytes());
	SAME(UPQR_EMV_KCV_BYTES, upqr_emv_kcv_bytes());
	SAME(UPQR_EMV_MAC_BYTES, upqr_emv_mac_bytes());
	SAME(UPQR_EMV_CMAC_BYTES, upqr_emv_cmac_bytes());
	SAME(UPQR_EMV_ARQC_BYTES, upqr_emv_arqc_bytes());
	SAME(UPQR_EMV_ARC_BYTES, upqr_emv_arc_bytes());
	SAME(UPQR_EMV_CSU_BYTES, upqr_emv_csu_bytes());
	SAME(UPQR_EMV_ARPC_PAD_MAX, upqr_emv_arpc_pad_max());
	SAME(UPQR_EMV_ARPC1_BYTES, upqr_emv_arpc1_bytes());
	SAME(UPQR_EMV_ARPC2_BYTES, upqr_emv_arpc2_bytes());
	SAME(UPQR_EMV_UN_BYTES, upqr_emv_un_bytes());
	SAME(UPQR_EMV_MAC_PAD_1, upqr_emv_mac_pad_1());
	SAME(UPQR_EMV_MAC_PAD_2, upqr_emv_mac_pad_2());
	SAME(UPQR_CPM_ARPC_METHOD_1, upqr_cpm_arpc_method_1());
	SAME(UPQR_CPM_ARPC_METHOD_2, upqr_cpm_arpc_method_2());
	SAME(UPQR_CPM_CVN_TDES, upqr_cpm_cvn_tdes());
	SAME(UPQR_CPM_CVN_AES, upqr_cpm_cvn_aes());
	/* The sizes are the ones the calls really use. */
	upqr_cpm_txn t = UPQR_CPM_TXN_INIT;
	upqr_cpm_cryptogram c;
	upqr_cpm_replay_entry e;
	SAME(sizeof t.un, upqr_emv_un_bytes());
	SAME(sizeof c.arqc, upqr_emv_arqc_bytes());
	SAME(sizeof e.id, upqr_cpm_replay_id_bytes());
	/* The MAC padding values are the ones upqr_emv_mac_alg3 takes, and only those. */
	uint8_t mac[UPQR_EMV_MAC_BYTES], key[UPQR_EMV_KEY_BYTES] = { 1 };
	assert_int_equal(upqr_emv_mac_alg3(mac, key, sizeof key, upqr_emv_mac_pad_1(), key, 3), UPQR_OK);
	assert_int_equal(upqr_emv_mac_alg3(mac, key, sizeof key, upqr_emv_mac_pad_2(), key, 3), UPQR_OK);
	assert_int_equal(upqr_emv_mac_alg3(mac, key, sizeof key, 3, key, 3), UPQR_EINVAL);
}

/* "APP_TEMPLATE" -> "app_template". */
static const char *lower(char *buf, const char *s)
{
	size_t i = 0;
	for (; s[i]; i++)
		buf[i] = (char)tolower((unsigned char)s[i]);
	buf[i] = 0;
	return buf;
}

#define TAG(N) { UPQR_CPM_TAG_##N, #N }
static void test_cpm_tags(void **state)
{
	(void)state;
	static const struct { uint32_t tag; const char *suffix; } macros[] = {
		TAG(AID), TAG(LABEL), TAG(TRACK2), TAG(PAN), TAG(APP_TEMPLATE), TAG(COMMON_TEMPLATE),
		TAG(APP_TRANSPARENT), TAG(COMMON_TRANSPARENT), TAG(AIP), TAG(PFI), TAG(TXN_DATE),
		TAG(TXN_TYPE), TAG(CURRENCY), TAG(PSN), TAG(AMOUNT), TAG(APP_VERSION), TAG(IAD),
		TAG(TRID), TAG(COUNTRY), TAG(PAR), TAG(LAST4), TAG(AC), TAG(CID), TAG(ATC), TAG(UN),
	};
	size_t n = sizeof macros / sizeof macros[0];
	assert_int_equal(upqr_cpm_tag_count(), n);
	for (size_t i = 0; i < n; i++) {
		char name[32];
		lower(name, macros[i].suffix);
		assert_int_equal(upqr_cpm_tag_by_name(name), macros[i].tag);
		const upqr_cpm_tag_info *t = upqr_cpm_tag_lookup(macros[i].tag);
		assert_non_null(t);
		assert_string_equal(t->name, name);
		assert_true(t->title && *t->title);
		assert_ptr_equal(upqr_cpm_tag_at(i), &upqr_cpm_tag_at(0)[i]);
	}
	assert_null(upqr_cpm_tag_at(n));
	assert_null(upqr_cpm_tag_lookup(0x9F4E));
	assert_int_equal(upqr_cpm_tag_by_name("nonsense"), 0);
	assert_int_equal(upqr_cpm_tag_by_name(NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_emv_sizes_and_methods),
		cmocka_unit_test(test_cpm_tags),
	};
	return cmocka_run_group_tests_name("constants", tests, NULL, NULL);
}
