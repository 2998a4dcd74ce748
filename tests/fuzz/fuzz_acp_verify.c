/*
 * fuzz_acp_verify.c - fail closed: no input the fuzzer can make verifies.
 * Messages are parsed as raw responses and checked against UnionPay's public
 * test chain (../shared/vectors/unionpay-test-env/, when present) and a
 * secure key, at a fixed time at which that chain is valid.
 */
#include <stdlib.h>

#include "upqr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static upqr_verifier *verifier;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	static const uint8_t key[] = "fuzz secure key";
	upqr_verifier_options o = UPQR_VERIFIER_OPTIONS_INIT;
	o.root_cert_path = "../shared/vectors/unionpay-test-env/acp_test_root.cer";
	o.middle_cert_path = "../shared/vectors/unionpay-test-env/acp_test_middle.cer";
	o.test_env = 1;
	o.secure_key = key;
	o.secure_key_len = sizeof key - 1;
	if (upqr_verifier_new(&verifier, &o) != UPQR_OK) {
		o.root_cert_path = o.middle_cert_path = NULL;
		if (upqr_verifier_new(&verifier, &o) != UPQR_OK)
			abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	upqr_acp_field f[UPQR_ACP_FIELDS_MAX];
	size_t n;
	if (upqr_acp_parse_response(f, UPQR_ACP_FIELDS_MAX, &n, (const char *)data, size, NULL) != UPQR_OK)
		return 0;
	/* 2024-01-01T00:00:00Z */
	int rc = upqr_verifier_verify(verifier, f, n, INT64_C(1704067200));
	if (rc == UPQR_OK || upqr_verifier_last_error(verifier)[0] == 0)
		abort();
	return 0;
}
