/*
 * mpm_rules.c - diagnostic paths, the ISO look-ups and amount text (the
 * decoder reads the field table through mpm_internal.h).
 */
#include <string.h>

#include "mpm_internal.h"

void upqr__mpm_path(char *buf, const uint8_t *ids, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n && k + 3 < UPQR_DIAG_PATH_MAX; i++) {
		if (i)
			buf[k++] = '.';
		buf[k++] = (char)('0' + ids[i] / 10);
		buf[k++] = (char)('0' + ids[i] % 10);
	}
	buf[k] = 0;
}

/* ---- reference data ------------------------------------------------------- */

const upqr__currency *upqr__currency_find(unsigned numeric)
{
	size_t lo = 0, hi = upqr__iso4217_count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		unsigned v = upqr__iso4217[mid].numeric;
		if (v == numeric)
			return &upqr__iso4217[mid];
		if (v < numeric)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int upqr_mpm_currency_exponent(unsigned int numeric)
{
	const upqr__currency *c = upqr__currency_find(numeric);
	return c ? c->exponent : -1;
}

const char *upqr_mpm_currency_alpha(unsigned int numeric)
{
	const upqr__currency *c = upqr__currency_find(numeric);
	return c ? c->alpha : NULL;
}

bool upqr_mpm_country_known(const char *cc)
{
	if (!cc || cc[0] < 'A' || cc[0] > 'Z' || cc[1] < 'A' || cc[1] > 'Z')
		return false;
	return (upqr__iso3166_rows[cc[0] - 'A'] >> (cc[1] - 'A')) & 1u;
}

const char *upqr_mpm_network_name(upqr_mpm_network net)
{
	static const char *const names[] = { "unknown", "visa", "mastercard", "emvco",
		"discover", "amex", "jcb", "unionpay", "other" };
	return (unsigned)net < UPQR__ARRAY_LEN(names) ? names[net] : "unknown";
}

/* ---- amounts ---------------------------------------------------------------- */

int upqr__mpm_amount_syntax(const char *s, size_t n, bool *zero)
{
	int decimals = -1;
	bool any_digit = false, nonzero = false;
	if (n == 0 || n > 13)
		return -2;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c >= '0' && c <= '9') {
			any_digit = true;
			nonzero |= c != '0';
			if (decimals >= 0)
				decimals++;
		} else if (c == '.' && decimals < 0) {
			decimals = 0;
		} else {
			return -2;
		}
	}
	if (!any_digit)
		return -2;
	if (zero)
		*zero = !nonzero;
	return decimals;
}

int upqr_mpm_amount_parse(int64_t *minor, const char *text, size_t len, int exponent)
{
	if (!minor || !text || exponent < 0 || exponent > 4)
		return UPQR_EINVAL;
	if (upqr__mpm_amount_syntax(text, len, NULL) == -2)
		return UPQR_EINVALID;
	return upqr__mpm_amount_minor(minor, text, len, exponent);
}

int upqr__mpm_amount_minor(int64_t *minor, const char *text, size_t len, int exponent)
{
	int64_t v = 0;
	int frac = -1;
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '.') {
			frac = 0;
			continue;
		}
		int d = text[i] - '0';
		if (frac >= 0 && frac >= exponent) {
			if (d != 0)
				return UPQR_ELIMIT; /* a sub-minor-unit fraction: not exact */
			continue;
		}
		if (frac >= 0)
			frac++;
		v = v * 10 + d; /* at most 13 digits + 4 of scale: far from overflow */
	}
	for (int f = frac < 0 ? 0 : frac; f < exponent; f++)
		v *= 10;
	*minor = v;
	return UPQR_OK;
}

int upqr_mpm_amount_format(char *out, size_t cap, size_t *written, int64_t minor, int exponent)
{
	UPQR__OPTIONAL_WRITTEN(written);
	if (minor < 0 || exponent < 0 || exponent > 4)
		return UPQR_EINVAL;
	char tmp[24];
	size_t n = 0;
	uint64_t v = (uint64_t)minor;
	int digits = 0;
	do {
		if (digits == exponent && exponent > 0)
			tmp[n++] = '.';
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
		digits++;
	} while (v || digits <= exponent);
	upqr__buf b;
	upqr__buf_init(&b, out, cap);
	while (n)
		upqr__buf_putc(&b, (uint8_t)tmp[--n]);
	return upqr__buf_finish(&b, written, true);
}
