/* test_cpm_util.h - helpers shared by the CPM, BER-TLV and EMV crypto tests. */
#ifndef UPQR_TEST_CPM_UTIL_H
#define UPQR_TEST_CPM_UTIL_H

#include "testutil.h"

/* Hex with optional spaces -> bytes; returns the byte count. */
static inline size_t unhex(uint8_t *out, const char *hex)
{
	size_t n = 0;
	int hi = -1;
	for (const char *p = hex; *p; p++) {
		if (*p == ' ')
			continue;
		int v = (*p >= '0' && *p <= '9') ? *p - '0' : (*p | 0x20) - 'a' + 10;
		assert_true(v >= 0 && v < 16);
		if (hi < 0) {
			hi = v;
		} else {
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	assert_int_equal(hi, -1);
	return n;
}

/* A key handle from 32 hex digits; fails the test on error. */
static inline upqr_emv_key *key_hex(upqr_emv_key_type type, const char *hex)
{
	uint8_t k[16];
	assert_int_equal(unhex(k, hex), 16);
	upqr_emv_key *key = NULL;
	assert_int_equal(upqr_emv_key_new(&key, type, k, 16), UPQR_OK);
	upqr_memzero(k, sizeof k);
	return key;
}

#endif
