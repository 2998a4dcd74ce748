/*
 * base64.c - RFC 4648 base64 with the standard alphabet, strictly: CPM
 * payloads and ACP signatures are both base64, and a lax decoder would let
 * two different texts stand for one payload.
 */
#include "core_internal.h"

static const char enc_table[64] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* 0..63 for alphabet characters, 0xFF for anything else (including '='). */
static const uint8_t dec_table[256] = {
#define X 0xFF
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, 62, X, X, X, 63,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, X, X, X, X, X, X,
	X, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, X, X, X, X, X,
	X, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
	X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
#undef X
};

size_t upqr_base64_encoded_len(size_t n)
{
	return UPQR_BASE64_ENCODED_LEN(n);
}

size_t upqr_base64_decoded_max(size_t n)
{
	return UPQR_BASE64_DECODED_MAX(n);
}

int upqr_base64_encode(char *out, size_t cap, size_t *written,
		const uint8_t *in, size_t len)
{
	UPQR__OPTIONAL_WRITTEN(written);
	if (!in && len)
		return UPQR_EINVAL;
	if (len > (SIZE_MAX - 3) / 4 * 3)
		return UPQR_ELIMIT;
	size_t need = UPQR_BASE64_ENCODED_LEN(len);
	*written = need;
	if (!out || cap < need + 1)
		return UPQR_EBUFSIZE;
	size_t i = 0, o = 0;
	for (; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = enc_table[v >> 18];
		out[o++] = enc_table[(v >> 12) & 63];
		out[o++] = enc_table[(v >> 6) & 63];
		out[o++] = enc_table[v & 63];
	}
	if (i < len) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0);
		out[o++] = enc_table[v >> 18];
		out[o++] = enc_table[(v >> 12) & 63];
		out[o++] = i + 1 < len ? enc_table[(v >> 6) & 63] : '=';
		out[o++] = '=';
	}
	out[o] = 0;
	return UPQR_OK;
}

/* Finds the offset of the first character that makes `in` malformed. */
static size_t first_bad(const uint8_t *in, size_t len)
{
	if (len == 0)
		return SIZE_MAX;
	if (len % 4 != 0) {
		/* Point at the first bad character if any, else at the end. */
		for (size_t i = 0; i < len; i++)
			if (dec_table[in[i]] == 0xFF && in[i] != '=')
				return i;
		return len;
	}
	size_t pad = 0;
	if (len >= 1 && in[len - 1] == '=')
		pad = (len >= 2 && in[len - 2] == '=') ? 2 : 1;
	for (size_t i = 0; i < len - pad; i++)
		if (dec_table[in[i]] == 0xFF)
			return i;
	/* Non-canonical: bits beyond the data in the last character are set. */
	size_t last = len - pad - 1;
	uint8_t v = dec_table[in[last]];
	if ((pad == 1 && (v & 0x03)) || (pad == 2 && (v & 0x0F)))
		return last;
	return SIZE_MAX;
}

int upqr_base64_decode(uint8_t *out, size_t cap, size_t *written,
		const char *in_chars, size_t len, size_t *bad_offset)
{
	UPQR__OPTIONAL_WRITTEN(written);
	const uint8_t *in = (const uint8_t *)in_chars;
	if (!in && len)
		return UPQR_EINVAL;
	size_t bad = first_bad(in, len);
	if (bad != SIZE_MAX) {
		if (bad_offset)
			*bad_offset = bad;
		return UPQR_EBASE64;
	}
	size_t pad = len && in[len - 1] == '=' ? (in[len - 2] == '=' ? 2 : 1) : 0;
	size_t need = len / 4 * 3 - pad;
	*written = need;
	if (!out || cap < need)
		return UPQR_EBUFSIZE;
	size_t o = 0, full = pad ? len - 4 : len;
	for (size_t i = 0; i < full; i += 4) {
		uint32_t v = (uint32_t)dec_table[in[i]] << 18 | (uint32_t)dec_table[in[i + 1]] << 12 |
			(uint32_t)dec_table[in[i + 2]] << 6 | dec_table[in[i + 3]];
		out[o++] = (uint8_t)(v >> 16);
		out[o++] = (uint8_t)(v >> 8);
		out[o++] = (uint8_t)v;
	}
	if (pad) {
		const uint8_t *q = in + len - 4;
		uint32_t v = (uint32_t)dec_table[q[0]] << 18 | (uint32_t)dec_table[q[1]] << 12 |
			(pad == 1 ? (uint32_t)dec_table[q[2]] << 6 : 0);
		out[o++] = (uint8_t)(v >> 16);
		if (pad == 1)
			out[o++] = (uint8_t)(v >> 8);
	}
	return UPQR_OK;
}
