/*
 * mpm_fields.c - the one table of what EMVCo MPM v1.1 says about each ID
 * (format, length, template or not, RFU, mandatory), with its names. The
 * decoder's rules, the encoder's ID ranges and the CLI's JSON keys all come
 * from here. Sources: /work/shared/spec/mpm.md sections 1.2-1.9 (Tables
 * 3.6, 3.7, 3.8, 4.2, 4.4, 4.5 and Annex A).
 */
#include <string.h>

#include "mpm_internal.h"

#define S UPQR_MPM_FORMAT_S
#define ANS UPQR_MPM_FORMAT_ANS
#define N UPQR_MPM_FORMAT_N
#define TPL UPQR_MPM_FIELD_TEMPLATE
#define RFU UPQR_MPM_FIELD_RFU
#define MAND UPQR_MPM_FIELD_MANDATORY
#define ACCT UPQR_MPM_FIELD_ACCOUNT
#define ROOT UPQR_MPM_LEVEL_ROOT
#define ACCOUNT UPQR_MPM_LEVEL_ACCOUNT
#define ADDL UPQR_MPM_LEVEL_ADDITIONAL
#define TEMPLATE UPQR_MPM_LEVEL_TEMPLATE
#define LANG UPQR_MPM_LEVEL_LANGUAGE

/* Grouped by level in enum order, each level in ID order, covering 00..99. */
const upqr_mpm_field_info upqr__mpm_fields[UPQR__MPM_FIELD_COUNT] = {
	{ ROOT, 0, 0, N, 2, 2, MAND, ROOT, "payload_format_indicator", "payload format indicator" },
	{ ROOT, 1, 1, N, 2, 2, 0, ROOT, "point_of_initiation", "point of initiation" },
	{ ROOT, 2, 25, ANS, 1, 99, ACCT, ROOT, "merchant_accounts", "merchant account" },
	/* Merchant account templates inherit the root's "ans" for their whole value. */
	{ ROOT, 26, 51, ANS, 1, 99, ACCT | TPL, ACCOUNT, "merchant_accounts", "merchant account" },
	{ ROOT, 52, 52, N, 4, 4, MAND, ROOT, "merchant_category_code", "merchant category code" },
	{ ROOT, 53, 53, N, 3, 3, MAND, ROOT, "transaction_currency", "transaction currency" },
	{ ROOT, 54, 54, ANS, 1, 13, 0, ROOT, "amount", "amount" },
	{ ROOT, 55, 55, N, 2, 2, 0, ROOT, "tip", "tip indicator" },
	{ ROOT, 56, 56, ANS, 1, 13, 0, ROOT, "convenience_fee", "convenience fee" },
	{ ROOT, 57, 57, ANS, 1, 5, 0, ROOT, "convenience_percentage", "convenience percentage" },
	{ ROOT, 58, 58, ANS, 2, 2, MAND, ROOT, "country_code", "country code" },
	{ ROOT, 59, 59, ANS, 1, 25, MAND, ROOT, "merchant_name", "merchant name" },
	{ ROOT, 60, 60, ANS, 1, 15, MAND, ROOT, "merchant_city", "merchant city" },
	{ ROOT, 61, 61, ANS, 1, 10, 0, ROOT, "postal_code", "postal code" },
	{ ROOT, 62, 62, S, 1, 99, TPL, ADDL, "additional_data", "additional data" },
	{ ROOT, 63, 63, ANS, 4, 4, MAND, ROOT, "crc", "CRC" },
	{ ROOT, 64, 64, S, 1, 99, TPL, LANG, "language", "merchant information - language" },
	{ ROOT, 65, 79, S, 1, 99, RFU, ROOT, "rfu", "reserved for future use" },
	{ ROOT, 80, 99, S, 1, 99, TPL, TEMPLATE, "templates", "unreserved template" },

	{ ACCOUNT, 0, 0, ANS, 1, 32, 0, ACCOUNT, "guid", "globally unique identifier" },
	{ ACCOUNT, 1, 99, S, 1, 99, 0, ACCOUNT, "objects", "payment network specific" },

	/* 00 is not defined in 62: reserved, like 12..49. */
	{ ADDL, 0, 0, S, 1, 99, RFU, ADDL, "rfu", "reserved for future use" },
	{ ADDL, 1, 1, ANS, 1, 25, 0, ADDL, "bill_number", "bill number" },
	{ ADDL, 2, 2, ANS, 1, 25, 0, ADDL, "mobile_number", "mobile number" },
	{ ADDL, 3, 3, ANS, 1, 25, 0, ADDL, "store_label", "store label" },
	{ ADDL, 4, 4, ANS, 1, 25, 0, ADDL, "loyalty_number", "loyalty number" },
	{ ADDL, 5, 5, ANS, 1, 25, 0, ADDL, "reference_label", "reference label" },
	{ ADDL, 6, 6, ANS, 1, 25, 0, ADDL, "customer_label", "customer label" },
	{ ADDL, 7, 7, ANS, 1, 25, 0, ADDL, "terminal_label", "terminal label" },
	{ ADDL, 8, 8, ANS, 1, 25, 0, ADDL, "purpose", "purpose of transaction" },
	{ ADDL, 9, 9, ANS, 1, 3, 0, ADDL, "consumer_data_request", "consumer data request" },
	{ ADDL, 10, 10, ANS, 1, 20, 0, ADDL, "merchant_tax_id", "merchant tax ID" },
	{ ADDL, 11, 11, ANS, 3, 3, 0, ADDL, "merchant_channel", "merchant channel" },
	{ ADDL, 12, 49, S, 1, 99, RFU, ADDL, "rfu", "reserved for future use" },
	{ ADDL, 50, 99, S, 1, 99, TPL, TEMPLATE, "templates", "payment system specific template" },

	{ TEMPLATE, 0, 0, ANS, 1, 32, 0, TEMPLATE, "guid", "globally unique identifier" },
	{ TEMPLATE, 1, 99, S, 1, 99, 0, TEMPLATE, "objects", "payment system specific" },

	{ LANG, 0, 0, ANS, 2, 2, 0, LANG, "preference", "language preference" },
	{ LANG, 1, 1, S, 1, 25, 0, LANG, "merchant_name", "alternate merchant name" },
	{ LANG, 2, 2, S, 1, 15, 0, LANG, "merchant_city", "alternate merchant city" },
	{ LANG, 3, 99, S, 1, 99, RFU, LANG, "rfu", "reserved for future use" },
};

/*
 * The entry of each ID at each level, as an index into upqr__mpm_fields:
 * one load per object for the decoder (a binary search over the ranges was
 * a sixth of a decode). Written out from the ranges above; test_field_table
 * (tests/unit/test_mpm_rules.c) checks every cell against them.
 */
const uint8_t upqr__mpm_field_index[UPQR_MPM_LEVEL_COUNT][100] = {
	[ROOT] = {
		/* 00 */  0,  1,  2,  2,  2,  2,  2,  2,  2,  2,
		/* 10 */  2,  2,  2,  2,  2,  2,  2,  2,  2,  2,
		/* 20 */  2,  2,  2,  2,  2,  2,  3,  3,  3,  3,
		/* 30 */  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,
		/* 40 */  3,  3,  3,  3,  3,  3,  3,  3,  3,  3,
		/* 50 */  3,  3,  4,  5,  6,  7,  8,  9, 10, 11,
		/* 60 */ 12, 13, 14, 15, 16, 17, 17, 17, 17, 17,
		/* 70 */ 17, 17, 17, 17, 17, 17, 17, 17, 17, 17,
		/* 80 */ 18, 18, 18, 18, 18, 18, 18, 18, 18, 18,
		/* 90 */ 18, 18, 18, 18, 18, 18, 18, 18, 18, 18,
	},
	[ACCOUNT] = {
		/* 00 */ 19, 20, 20, 20, 20, 20, 20, 20, 20, 20,
		/* 10 */ 20, 20, 20, 20, 20, 20, 20, 20, 20, 20,
		/* 20 */ 20, 20, 20, 20, 20, 20, 20, 20, 20, 20,
		/* 30 */ 20, 20, 20, 20, 20, 20, 20, 20, 20, 20,
		/* 40 */ 20, 20, 20, 20, 20, 20, 20, 20, 20, 20,
		/* 50 */ 20, 20, 20, 20, 20, 20, 20, 20, 20, 20,
		/* 60 */ 20, 20, 20, 20, 20, 20, 20, 20, 20, 20,
		/* 70 */ 20, 20, 20, 20, 20, 20, 20, 20, 20, 20,
		/* 80 */ 20, 20, 20, 20, 20, 20, 20, 20, 20, 20,
		/* 90 */ 20, 20, 20, 20, 20, 20, 20, 20, 20, 20,
	},
	[ADDL] = {
		/* 00 */ 21, 22, 23, 24, 25, 26, 27, 28, 29, 30,
		/* 10 */ 31, 32, 33, 33, 33, 33, 33, 33, 33, 33,
		/* 20 */ 33, 33, 33, 33, 33, 33, 33, 33, 33, 33,
		/* 30 */ 33, 33, 33, 33, 33, 33, 33, 33, 33, 33,
		/* 40 */ 33, 33, 33, 33, 33, 33, 33, 33, 33, 33,
		/* 50 */ 34, 34, 34, 34, 34, 34, 34, 34, 34, 34,
		/* 60 */ 34, 34, 34, 34, 34, 34, 34, 34, 34, 34,
		/* 70 */ 34, 34, 34, 34, 34, 34, 34, 34, 34, 34,
		/* 80 */ 34, 34, 34, 34, 34, 34, 34, 34, 34, 34,
		/* 90 */ 34, 34, 34, 34, 34, 34, 34, 34, 34, 34,
	},
	[TEMPLATE] = {
		/* 00 */ 35, 36, 36, 36, 36, 36, 36, 36, 36, 36,
		/* 10 */ 36, 36, 36, 36, 36, 36, 36, 36, 36, 36,
		/* 20 */ 36, 36, 36, 36, 36, 36, 36, 36, 36, 36,
		/* 30 */ 36, 36, 36, 36, 36, 36, 36, 36, 36, 36,
		/* 40 */ 36, 36, 36, 36, 36, 36, 36, 36, 36, 36,
		/* 50 */ 36, 36, 36, 36, 36, 36, 36, 36, 36, 36,
		/* 60 */ 36, 36, 36, 36, 36, 36, 36, 36, 36, 36,
		/* 70 */ 36, 36, 36, 36, 36, 36, 36, 36, 36, 36,
		/* 80 */ 36, 36, 36, 36, 36, 36, 36, 36, 36, 36,
		/* 90 */ 36, 36, 36, 36, 36, 36, 36, 36, 36, 36,
	},
	[LANG] = {
		/* 00 */ 37, 38, 39, 40, 40, 40, 40, 40, 40, 40,
		/* 10 */ 40, 40, 40, 40, 40, 40, 40, 40, 40, 40,
		/* 20 */ 40, 40, 40, 40, 40, 40, 40, 40, 40, 40,
		/* 30 */ 40, 40, 40, 40, 40, 40, 40, 40, 40, 40,
		/* 40 */ 40, 40, 40, 40, 40, 40, 40, 40, 40, 40,
		/* 50 */ 40, 40, 40, 40, 40, 40, 40, 40, 40, 40,
		/* 60 */ 40, 40, 40, 40, 40, 40, 40, 40, 40, 40,
		/* 70 */ 40, 40, 40, 40, 40, 40, 40, 40, 40, 40,
		/* 80 */ 40, 40, 40, 40, 40, 40, 40, 40, 40, 40,
		/* 90 */ 40, 40, 40, 40, 40, 40, 40, 40, 40, 40,
	},
};

/* Index of each level's first entry, and the end. */
static const uint8_t level_start[UPQR_MPM_LEVEL_COUNT + 1] = { 0, 19, 21, 35, 37, 41 };

size_t upqr_mpm_field_count(void)
{
	return UPQR__MPM_FIELD_COUNT;
}

const upqr_mpm_field_info *upqr_mpm_field_at(size_t index)
{
	return index < UPQR__MPM_FIELD_COUNT ? &upqr__mpm_fields[index] : NULL;
}

const upqr_mpm_field_info *upqr_mpm_field_lookup(upqr_mpm_level level, unsigned int id)
{
	if ((unsigned)level >= UPQR_MPM_LEVEL_COUNT || id > 99)
		return NULL;
	return upqr__mpm_field(level, id);
}

const upqr_mpm_field_info *upqr_mpm_field_by_name(upqr_mpm_level level, const char *name)
{
	if ((unsigned)level >= UPQR_MPM_LEVEL_COUNT || !name)
		return NULL;
	for (size_t i = level_start[level]; i < level_start[level + 1]; i++)
		if (strcmp(upqr__mpm_fields[i].name, name) == 0)
			return &upqr__mpm_fields[i];
	return NULL;
}

size_t upqr_mpm_level_count(void) { return UPQR_MPM_LEVEL_COUNT; }
size_t upqr_mpm_unionpay_id_chars(void) { return UPQR_MPM_UNIONPAY_ID_CHARS; }

const upqr_mpm_part_info *upqr_mpm_unionpay_id_layout(size_t *count)
{
	static const upqr_mpm_part_info parts[] = {
		{ "acquirer_iin", "acquirer IIN", 0, 8, N },
		{ "forwarding_iin", "forwarding IIN", 8, 8, N },
		{ "merchant_id", "merchant ID", 16, 15, ANS },
	};
	if (count)
		*count = UPQR__ARRAY_LEN(parts);
	return parts;
}

/* ---- enums of 01 and 55 --------------------------------------------------- */

const char *upqr_mpm_initiation_name(upqr_mpm_initiation poi)
{
	switch (poi) {
	case UPQR_MPM_POI_NONE: return "none";
	case UPQR_MPM_POI_STATIC: return "static";
	case UPQR_MPM_POI_DYNAMIC: return "dynamic";
	default: return "invalid";
	}
}

const char *upqr_mpm_tip_name(upqr_mpm_tip tip)
{
	static const char *const names[] = { "none", "prompt", "fixed", "percentage" };
	return tip >= UPQR_MPM_TIP_NONE && tip <= UPQR_MPM_TIP_PERCENTAGE ? names[tip] : "invalid";
}

upqr_mpm_initiation upqr_mpm_initiation_parse(const char *text)
{
	if (!text)
		return UPQR_MPM_POI_INVALID;
	if (!strcmp(text, "static") || !strcmp(text, "11"))
		return UPQR_MPM_POI_STATIC;
	if (!strcmp(text, "dynamic") || !strcmp(text, "12"))
		return UPQR_MPM_POI_DYNAMIC;
	return UPQR_MPM_POI_INVALID;
}

upqr_mpm_tip upqr_mpm_tip_parse(const char *text)
{
	if (!text)
		return UPQR_MPM_TIP_INVALID;
	for (int t = UPQR_MPM_TIP_PROMPT; t <= UPQR_MPM_TIP_PERCENTAGE; t++)
		if (!strcmp(text, upqr_mpm_tip_name((upqr_mpm_tip)t)) ||
				(text[0] == '0' && text[1] == '0' + t && text[2] == 0))
			return (upqr_mpm_tip)t;
	return UPQR_MPM_TIP_INVALID;
}
