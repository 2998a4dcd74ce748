/*
 * mpm_internal.h - private plumbing of the MPM codec: diagnostic codes,
 * per-ID rules, reference tables and the shared decoder entry point.
 */
#ifndef UPQR_MPM_INTERNAL_H
#define UPQR_MPM_INTERNAL_H

#include "core/core_internal.h"
#include "upqr/mpm.h"

/*
 * Stable diagnostic codes (docs/mpm.md lists them with their meaning).
 * Code strings are part of the API: never rename one.
 */
#define MPM_D_INPUT_TOO_LARGE  "input_too_large"
#define MPM_D_UNIONPAY_URL     "unionpay_domestic_url"
#define MPM_D_BAD_ID           "bad_id"
#define MPM_D_BAD_LENGTH       "bad_length"
#define MPM_D_LENGTH_OVERRUN   "length_overrun"
#define MPM_D_BAD_UTF8         "bad_utf8"
#define MPM_D_BAD_FORMAT       "bad_format"
#define MPM_D_LENGTH_LIMIT     "length_limit"
#define MPM_D_BAD_VALUE        "bad_value"
#define MPM_D_BAD_ORDER        "bad_order"
#define MPM_D_DUPLICATE_ID     "duplicate_id"
#define MPM_D_MISSING          "missing_mandatory"
#define MPM_D_BAD_AMOUNT       "bad_amount"
#define MPM_D_AMOUNT_ZERO      "amount_zero"
#define MPM_D_AMOUNT_DECIMALS  "amount_decimals"
#define MPM_D_TIP_RULES        "tip_inconsistent"
#define MPM_D_BAD_PERCENTAGE   "bad_percentage"
#define MPM_D_UNKNOWN_COUNTRY  "unknown_country"
#define MPM_D_UNKNOWN_CURRENCY "unknown_currency"
#define MPM_D_UNKNOWN_LANGUAGE "unknown_language"
#define MPM_D_CRC_MISMATCH     "crc_mismatch"
#define MPM_D_CRC_LOWERCASE    "crc_lowercase"
#define MPM_D_RFU_ID           "rfu_id"
#define MPM_D_TOO_LONG         "payload_too_long"
#define MPM_D_TOO_MANY         "too_many_objects"
#define MPM_D_UNIONPAY_ID      "bad_unionpay_id"
#define MPM_D_NO_UNIONPAY      "no_unionpay_account"
#define MPM_D_BAD_FIELD        "bad_field"

/* Value formats, ordered by strictness (N is the strictest). */
enum { MPM_FMT_S = 0, MPM_FMT_ANS = 1, MPM_FMT_N = 2 };

/* Kinds of object list, each with its own ID table. */
typedef enum mpm_level {
	MPM_LV_ROOT = 0,
	MPM_LV_ACCOUNT,     /* children of root 26..51 */
	MPM_LV_ADDITIONAL,  /* children of 62 */
	MPM_LV_TEMPLATE,    /* children of 62/50..99 and 80..99 */
	MPM_LV_LANGUAGE     /* children of 64 */
} mpm_level;

#define MPM_R_TEMPLATE 0x01u
#define MPM_R_RFU      0x02u

/* What the spec says about one ID at one level. */
typedef struct mpm_rule {
	uint8_t fmt;        /* MPM_FMT_* */
	uint8_t min, max;   /* characters */
	uint8_t flags;      /* MPM_R_* */
} mpm_rule;

/*
 * The rule tables (EMVCo MPM v1.1; sources per table in /work/shared/spec/mpm.md
 * sections 1.2-1.9). Inline: the decoder asks once per object.
 */
static inline mpm_rule upqr__mpm_rule_make(uint8_t fmt, uint8_t min, uint8_t max, uint8_t flags)
{
	mpm_rule r = { fmt, min, max, flags };
	return r;
}

/* Table 3.6 + Annex A; 26..51, 62, 64 and 80..99 are templates. */
static inline mpm_rule upqr__mpm_root_rule(unsigned id)
{
	switch (id) {
	case 0: case 1: case 55: return upqr__mpm_rule_make(MPM_FMT_N, 2, 2, 0);
	case 52: return upqr__mpm_rule_make(MPM_FMT_N, 4, 4, 0);
	case 53: return upqr__mpm_rule_make(MPM_FMT_N, 3, 3, 0);
	case 54: case 56: return upqr__mpm_rule_make(MPM_FMT_ANS, 1, 13, 0);
	case 57: return upqr__mpm_rule_make(MPM_FMT_ANS, 1, 5, 0);
	case 58: return upqr__mpm_rule_make(MPM_FMT_ANS, 2, 2, 0);
	case 59: return upqr__mpm_rule_make(MPM_FMT_ANS, 1, 25, 0);
	case 60: return upqr__mpm_rule_make(MPM_FMT_ANS, 1, 15, 0);
	case 61: return upqr__mpm_rule_make(MPM_FMT_ANS, 1, 10, 0);
	case 62: case 64: return upqr__mpm_rule_make(MPM_FMT_S, 1, 99, MPM_R_TEMPLATE);
	case 63: return upqr__mpm_rule_make(MPM_FMT_ANS, 4, 4, 0);
	default: break;
	}
	if (id >= 2 && id <= 25)
		return upqr__mpm_rule_make(MPM_FMT_ANS, 1, 99, 0);
	/* Merchant account templates inherit the root's "ans" for their whole value. */
	if (id >= 26 && id <= 51)
		return upqr__mpm_rule_make(MPM_FMT_ANS, 1, 99, MPM_R_TEMPLATE);
	if (id >= 80)
		return upqr__mpm_rule_make(MPM_FMT_S, 1, 99, MPM_R_TEMPLATE);
	return upqr__mpm_rule_make(MPM_FMT_S, 1, 99, MPM_R_RFU); /* 65..79 */
}

/* Table 3.7 + v1.1 (10 tax ID, 11 channel; RFU 12..49; 50..99 templates). */
static inline mpm_rule upqr__mpm_additional_rule(unsigned id)
{
	if (id >= 1 && id <= 8)
		return upqr__mpm_rule_make(MPM_FMT_ANS, 1, 25, 0);
	if (id == 9)
		return upqr__mpm_rule_make(MPM_FMT_ANS, 1, 3, 0);
	if (id == 10)
		return upqr__mpm_rule_make(MPM_FMT_ANS, 1, 20, 0);
	if (id == 11)
		return upqr__mpm_rule_make(MPM_FMT_ANS, 3, 3, 0);
	if (id >= 50)
		return upqr__mpm_rule_make(MPM_FMT_S, 1, 99, MPM_R_TEMPLATE);
	/* 00 is not defined in 62 either: treat it as reserved. */
	return upqr__mpm_rule_make(MPM_FMT_S, 1, 99, MPM_R_RFU);
}

static inline mpm_rule upqr__mpm_rule(mpm_level level, unsigned id)
{
	switch (level) {
	case MPM_LV_ROOT:
		return upqr__mpm_root_rule(id);
	case MPM_LV_ADDITIONAL:
		return upqr__mpm_additional_rule(id);
	case MPM_LV_LANGUAGE: /* Table 3.8 */
		if (id == 0)
			return upqr__mpm_rule_make(MPM_FMT_ANS, 2, 2, 0);
		if (id == 1)
			return upqr__mpm_rule_make(MPM_FMT_S, 1, 25, 0);
		if (id == 2)
			return upqr__mpm_rule_make(MPM_FMT_S, 1, 15, 0);
		return upqr__mpm_rule_make(MPM_FMT_S, 1, 99, MPM_R_RFU);
	case MPM_LV_ACCOUNT:
	case MPM_LV_TEMPLATE: /* Tables 4.2, 4.4, 4.5: 00 GUID, the rest scheme-specific */
		if (id == 0)
			return upqr__mpm_rule_make(MPM_FMT_ANS, 1, 32, 0);
		return upqr__mpm_rule_make(MPM_FMT_S, 1, 99, 0);
	}
	return upqr__mpm_rule_make(MPM_FMT_S, 1, 99, 0);
}

/* Level of the children of a template with that ID at that level. */
mpm_level upqr__mpm_child_level(mpm_level level, unsigned id);

/* ---- reference data (mpm_iso_tables.c is generated) ----------------------- */
typedef struct upqr__currency {
	uint16_t numeric;
	char alpha[4];
	int8_t exponent;    /* -1: no minor unit */
} upqr__currency;

extern const uint32_t upqr__iso3166_rows[26];
extern const uint32_t upqr__iso639_rows[26];   /* upper-cased ISO 639-1 */
extern const upqr__currency upqr__iso4217[];
extern const size_t upqr__iso4217_count;
const upqr__currency *upqr__currency_find(unsigned numeric);

/* ---- decoder ---------------------------------------------------------------- */
/* upqr_mpm_decode with the "checking encoder output" switch. */
int upqr__mpm_decode(upqr_mpm_payload *out, const upqr_mpm_profile *profile,
		const char *payload, size_t len, upqr_diag_list *diags, bool generating);

/* Network of a template GUID: the profile's prefixes, then known RIDs. */
upqr_mpm_network upqr__mpm_guid_network(const upqr_mpm_profile *prof, const char *guid,
		size_t n);

/* Writes "62.05"-style text for ids[0..n) into buf[UPQR_DIAG_PATH_MAX]. */
void upqr__mpm_path(char *buf, const uint8_t *ids, size_t n);

/* Amount text syntax check; returns the number of decimals (-1 when no '.'), or -2 if bad. */
int upqr__mpm_amount_syntax(const char *s, size_t n, bool *zero);

/*
 * Byte classes of the decoder (bit 1: not a digit; 2: outside the EMV
 * common set 0x20..0x7E; 4: not ASCII): one byte, and the OR over s[0..n)
 * computed eight bytes at a time (the decoder's hot loop; tests compare the two).
 */
unsigned upqr__mpm_class(uint8_t b);
unsigned upqr__mpm_classes(const uint8_t *s, size_t n);

#endif /* UPQR_MPM_INTERNAL_H */
