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

/* Value formats, ordered by strictness (N is the strictest): the public enum. */
enum { MPM_FMT_S = UPQR_MPM_FORMAT_S, MPM_FMT_ANS = UPQR_MPM_FORMAT_ANS, MPM_FMT_N = UPQR_MPM_FORMAT_N };

/* Kinds of object list, each with its own ID table: the public enum. */
typedef upqr_mpm_level mpm_level;
#define MPM_LV_ROOT UPQR_MPM_LEVEL_ROOT
#define MPM_LV_ACCOUNT UPQR_MPM_LEVEL_ACCOUNT
#define MPM_LV_ADDITIONAL UPQR_MPM_LEVEL_ADDITIONAL
#define MPM_LV_TEMPLATE UPQR_MPM_LEVEL_TEMPLATE
#define MPM_LV_LANGUAGE UPQR_MPM_LEVEL_LANGUAGE

/* The field table (mpm_fields.c), and the index of the entry of each level and ID in it. */
#define UPQR__MPM_FIELD_COUNT 41
extern const upqr_mpm_field_info upqr__mpm_fields[UPQR__MPM_FIELD_COUNT];
extern const uint8_t upqr__mpm_field_index[UPQR_MPM_LEVEL_COUNT][100];

/* The entry for id (0..99) at a valid level: O(1), inline on the decoder's hot path. */
static inline const upqr_mpm_field_info *upqr__mpm_field(mpm_level level, unsigned id)
{
	return &upqr__mpm_fields[upqr__mpm_field_index[level][id]];
}

/* Level of the children of a template with that ID at that level. */
static inline mpm_level upqr__mpm_child_level(mpm_level level, unsigned id)
{
	const upqr_mpm_field_info *f = upqr__mpm_field(level, id);
	return f->flags & UPQR_MPM_FIELD_TEMPLATE ? f->child_level : MPM_LV_TEMPLATE;
}

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
 * upqr_mpm_amount_parse after its checks: text already passed the syntax
 * check and exponent is 0..4 (the decoder has done both; no second pass).
 */
int upqr__mpm_amount_minor(int64_t *minor, const char *text, size_t len, int exponent);

/*
 * Byte classes of the decoder (bit 1: not a digit; 2: outside the EMV
 * common set 0x20..0x7E; 4: not ASCII): one byte, and the OR over s[0..n)
 * computed eight bytes at a time (the decoder's hot loop; tests compare the two).
 */
unsigned upqr__mpm_class(uint8_t b);
unsigned upqr__mpm_classes(const uint8_t *s, size_t n);

#endif /* UPQR_MPM_INTERNAL_H */
