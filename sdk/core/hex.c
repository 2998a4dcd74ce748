/* hex.c - hex digits in and out. */
#include "core_internal.h"

int upqr__hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

void upqr__hex_upper(char *out, const uint8_t *in, size_t n)
{
	static const char digits[] = "0123456789ABCDEF";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
}

bool upqr__hex_parse(uint8_t *out, size_t out_len, const char *hex, size_t hex_len)
{
	if (hex_len != 2 * out_len)
		return false;
	for (size_t i = 0; i < out_len; i++) {
		int hi = upqr__hexval((unsigned char)hex[2 * i]);
		int lo = upqr__hexval((unsigned char)hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}
