/*
 * test_constants.c - every constant a binding needs is a macro and a
 * function with the same value (libsodium's constcheck). Which macros must
 * be listed here is checked by tests/cli/test_constants.sh, which reads
 * the public headers: a new limit or constant without a function fails it.
 * The EMV and CVN constants are published by name instead
 * (upqr_emv_constants, upqr/emv.h) and checked in test_emv_cvn.c.
 */
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
	SAME(UPQR_CPM_REPLAY_ID_BYTES, upqr_cpm_replay_id_bytes());
	upqr_cpm_replay_entry e;
	SAME(sizeof e.id, upqr_cpm_replay_id_bytes());

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
	SAME(UPQR_SCAN_VIDEO_BUDGET_US, upqr_scan_video_budget_us());
	SAME(UPQR_SCAN_VIDEO_DEDUP_FRAMES, upqr_scan_video_dedup_frames());

	SAME(UPQR_ACP_FIELDS_MAX, upqr_acp_fields_max());
	SAME(UPQR_ACP_MESSAGE_MAX, upqr_acp_message_max());
	SAME(UPQR_ACP_PAN_MAX, upqr_acp_pan_max());
	SAME(UPQR_ACP_SIGNATURE_MAX, upqr_acp_signature_max());
	SAME(UPQR_VERIFIER_CACHE_DEFAULT, upqr_verifier_cache_default());
	SAME(UPQR_VERIFIER_CACHE_MAX, upqr_verifier_cache_max());
	assert_true(UPQR_VERIFY_NOW == upqr_verify_now());

	SAME(UPQR_REPLAY_BUSY_TIMEOUT_MS, upqr_replay_busy_timeout_ms());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests_name("constants", tests, NULL, NULL);
}
