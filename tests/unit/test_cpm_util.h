/* test_cpm_util.h - helpers shared by the CPM, BER-TLV and EMV crypto tests. */
#ifndef UPQR_TEST_CPM_UTIL_H
#define UPQR_TEST_CPM_UTIL_H

#include <stdio.h>
#include <string.h>

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

/* got[0..n) must equal the hex; the failure shows both. */
static inline void expect_hex(const uint8_t *got, size_t n, const char *hex)
{
	uint8_t want[64];
	assert_int_equal(unhex(want, hex), n);
	if (memcmp(got, want, n) != 0) {
		char g[129];
		for (size_t i = 0; i < n; i++)
			snprintf(g + 2 * i, 3, "%02X", got[i]);
		fail_msg("got %s want %s", g, hex);
	}
}

/* The card MK for pan/psn under imk, by option opt; imk is freed here. */
static inline upqr_emv_key *mk_under(upqr_emv_key *imk, const char *pan, int psn, upqr_emv_mk_option opt)
{
	upqr_emv_key *mk = NULL;
	uint8_t k[16];
	assert_int_equal(upqr_emv_derive_icc_mk(k, imk, pan, strlen(pan), psn, opt), UPQR_OK);
	assert_int_equal(upqr_emv_key_new(&mk, UPQR_EMV_KEY_TDES, k, 16), UPQR_OK);
	upqr_memzero(k, sizeof k);
	upqr_emv_key_free(imk);
	return mk;
}

#endif
