/*
 * mpm_rules.c - what EMVCo MPM v1.1 says about each ID (format, length,
 * template or not, RFU), the ISO look-ups, and amount text. Sources are
 * cited per table in /work/shared/spec/mpm.md sections 1.2-1.9.
 */
#include <string.h>

#include "mpm_internal.h"

static mpm_rule rule(uint8_t fmt, uint8_t min, uint8_t max, uint8_t flags)
{
	mpm_rule r = { fmt, min, max, flags };
	return r;
}

/* Table 3.6 + Annex A; 26..51, 62, 64 and 80..99 are templates. */
static mpm_rule root_rule(unsigned id)
{
	switch (id) {
	case 0: case 1: case 55: return rule(MPM_FMT_N, 2, 2, 0);
	case 52: return rule(MPM_FMT_N, 4, 4, 0);
	case 53: return rule(MPM_FMT_N, 3, 3, 0);
	case 54: case 56: return rule(MPM_FMT_ANS, 1, 13, 0);
	case 57: return rule(MPM_FMT_ANS, 1, 5, 0);
	case 58: return rule(MPM_FMT_ANS, 2, 2, 0);
	case 59: return rule(MPM_FMT_ANS, 1, 25, 0);
	case 60: return rule(MPM_FMT_ANS, 1, 15, 0);
	case 61: return rule(MPM_FMT_ANS, 1, 10, 0);
	case 62: case 64: return rule(MPM_FMT_S, 1, 99, MPM_R_TEMPLATE);
	case 63: return rule(MPM_FMT_ANS, 4, 4, 0);
	default: break;
	}
	if (id >= 2 && id <= 25)
		return rule(MPM_FMT_ANS, 1, 99, 0);
	/* Merchant account templates inherit the root's "ans" for their whole value. */
	if (id >= 26 && id <= 51)
		return rule(MPM_FMT_ANS, 1, 99, MPM_R_TEMPLATE);
	if (id >= 80)
		return rule(MPM_FMT_S, 1, 99, MPM_R_TEMPLATE);
	return rule(MPM_FMT_S, 1, 99, MPM_R_RFU); /* 65..79 */
}

/* Table 3.7 + v1.1 (10 tax ID, 11 channel; RFU 12..49; 50..99 templates). */
static mpm_rule additional_rule(unsigned id)
{
	if (id >= 1 && id <= 8)
		return rule(MPM_FMT_ANS, 1, 25, 0);
	if (id == 9)
		return rule(MPM_FMT_ANS, 1, 3, 0);
	if (id == 10)
		return rule(MPM_FMT_ANS, 1, 20, 0);
	if (id == 11)
		return rule(MPM_FMT_ANS, 3, 3, 0);
	if (id >= 50)
		return rule(MPM_FMT_S, 1, 99, MPM_R_TEMPLATE);
	/* 00 is not defined in 62 either: treat it as reserved. */
	return rule(MPM_FMT_S, 1, 99, MPM_R_RFU);
}

mpm_rule upqr__mpm_rule(mpm_level level, unsigned id)
{
	switch (level) {
	case MPM_LV_ROOT:
		return root_rule(id);
	case MPM_LV_ADDITIONAL:
		return additional_rule(id);
	case MPM_LV_LANGUAGE: /* Table 3.8 */
		if (id == 0)
			return rule(MPM_FMT_ANS, 2, 2, 0);
		if (id == 1)
			return rule(MPM_FMT_S, 1, 25, 0);
		if (id == 2)
			return rule(MPM_FMT_S, 1, 15, 0);
		return rule(MPM_FMT_S, 1, 99, MPM_R_RFU);
	case MPM_LV_ACCOUNT:
	case MPM_LV_TEMPLATE: /* Tables 4.2, 4.4, 4.5: 00 GUID, the rest scheme-specific */
		if (id == 0)
			return rule(MPM_FMT_ANS, 1, 32, 0);
		return rule(MPM_FMT_S, 1, 99, 0);
	}
	return rule(MPM_FMT_S, 1, 99, 0);
}

mpm_level upqr__mpm_child_level(mpm_level level, unsigned id)
{
	if (level == MPM_LV_ROOT) {
		if (id == 62)
			return MPM_LV_ADDITIONAL;
		if (id == 64)
			return MPM_LV_LANGUAGE;
		if (id >= 26 && id <= 51)
			return MPM_LV_ACCOUNT;
	}
	return MPM_LV_TEMPLATE;
}

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
	if (!written || minor < 0 || exponent < 0 || exponent > 4)
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
