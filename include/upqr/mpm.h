/*
 * upqr/mpm.h - EMVCo merchant-presented mode (MPM) payloads, v1.1, with
 * UnionPay's rules as a profile.
 *
 * Decode: one bounded pass over the caller's text; every result is a view
 * (pointer + length) into that text, nothing is copied and nothing is
 * allocated. Every problem found goes to an optional upqr_diag_list with a
 * stable code (see docs/mpm.md for the full list), severity, byte offset
 * and ID path such as "62.05".
 *
 * Encode: typed fields in, payload text out (00 first, 63 last, upper-case
 * CRC), into a caller buffer. The encoder checks its own output with the
 * decoder's rules, so it refuses exactly what the decoder would flag.
 *
 * Thread-safety: every function is reentrant; the built-in profiles are
 * immutable and may be shared between threads.
 */
#ifndef UPQR_MPM_H
#define UPQR_MPM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "upqr/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- limits --------------------------------------------------------------- */

/*
 * Longest input accepted, in bytes: 100 distinct root IDs of 4 + 99
 * characters of up to 4 UTF-8 bytes each fit in it, so no valid payload is
 * refused. Longer input is rejected with "input_too_large".
 */
#define UPQR_MPM_INPUT_MAX 40000
/* Root objects stored (100 distinct IDs plus room to report duplicates). */
#define UPQR_MPM_OBJECTS_MAX 128
/* Objects stored inside templates, all levels together. */
#define UPQR_MPM_SUBOBJECTS_MAX 1024
/* Merchant account information entries (IDs 02..51). */
#define UPQR_MPM_ACCOUNTS_MAX 50
/* Characters the spec says a payload should not exceed (a warning past it). */
#define UPQR_MPM_RECOMMENDED_CHARS 512
/* Bytes the encoder can emit at most, without the terminating NUL. */
#define UPQR_MPM_ENCODED_MAX UPQR_MPM_INPUT_MAX

UPQR_EXTERN size_t upqr_mpm_input_max(void);
UPQR_EXTERN size_t upqr_mpm_objects_max(void);
UPQR_EXTERN size_t upqr_mpm_subobjects_max(void);
UPQR_EXTERN size_t upqr_mpm_accounts_max(void);
UPQR_EXTERN size_t upqr_mpm_encoded_max(void);
UPQR_EXTERN size_t upqr_mpm_recommended_chars(void);

/* ---- decoded data objects ------------------------------------------------- */

/* Object flags. */
#define UPQR_MPM_OBJ_TEMPLATE  0x01u /* value was parsed as nested objects */
#define UPQR_MPM_OBJ_RFU       0x02u /* ID reserved for future use at this level */
#define UPQR_MPM_OBJ_TRUNCATED 0x04u /* value ran past its end; value is the part present */

/*
 * One data object: ID, declared length (characters) and a view of the value
 * bytes in the caller's input. Children of a template are stored together
 * in payload->subs[first_child .. first_child + child_count).
 */
typedef struct upqr_mpm_object {
	const char *value;      /* not NUL-terminated */
	uint32_t offset;        /* byte offset of the ID in the input */
	uint16_t value_len;     /* bytes */
	uint8_t id;             /* 0..99 */
	uint8_t length;         /* declared length = characters */
	uint16_t first_child;
	uint8_t child_count;
	uint8_t flags;          /* UPQR_MPM_OBJ_* */
} upqr_mpm_object;

/* A view of text in the caller's input; ptr == NULL means absent. */
typedef struct upqr_mpm_str {
	const char *ptr;
	size_t len;             /* bytes */
} upqr_mpm_str;

/* Payment network a merchant account entry belongs to (EMVCo Table 4.1, or the GUID). */
typedef enum upqr_mpm_network {
	UPQR_MPM_NET_UNKNOWN = 0,
	UPQR_MPM_NET_VISA = 1,
	UPQR_MPM_NET_MASTERCARD = 2,
	UPQR_MPM_NET_EMVCO = 3,
	UPQR_MPM_NET_DISCOVER = 4,
	UPQR_MPM_NET_AMEX = 5,
	UPQR_MPM_NET_JCB = 6,
	UPQR_MPM_NET_UNIONPAY = 7,
	UPQR_MPM_NET_OTHER = 8   /* a 26..51 template whose GUID is not recognised */
} upqr_mpm_network;

/** "visa", "mastercard", "emvco", "discover", "amex", "jcb", "unionpay", "other", "unknown". */
UPQR_EXTERN const char *upqr_mpm_network_name(upqr_mpm_network net);

/* One merchant account information entry (root IDs 02..51). */
typedef struct upqr_mpm_account {
	unsigned int id;
	upqr_mpm_network network;
	upqr_mpm_str value;     /* primitive: the value; template: the whole template value */
	upqr_mpm_str guid;      /* templates: sub-ID 00; absent for primitives */
	uint16_t object_index;  /* the entry's object: payload->objects[object_index] */
} upqr_mpm_account;

/* UnionPay's ID 15 split into its parts (acquirer IIN, forwarding IIN, merchant ID). */
typedef struct upqr_mpm_unionpay_id {
	bool present;           /* ID 15 has the 8 + 8 + 15 shape */
	upqr_mpm_str acquirer_iin;
	upqr_mpm_str forwarding_iin;
	upqr_mpm_str merchant_id;
} upqr_mpm_unionpay_id;

/* Additional Data Field Template (62), sub-IDs 01..11. */
typedef struct upqr_mpm_additional {
	upqr_mpm_str bill_number;            /* 01; "***" = ask the consumer (also 02..08) */
	upqr_mpm_str mobile_number;          /* 02 */
	upqr_mpm_str store_label;            /* 03 */
	upqr_mpm_str loyalty_number;         /* 04 */
	upqr_mpm_str reference_label;        /* 05 */
	upqr_mpm_str customer_label;         /* 06 */
	upqr_mpm_str terminal_label;         /* 07 */
	upqr_mpm_str purpose;                /* 08 */
	upqr_mpm_str consumer_data_request;  /* 09: letters A, M, E */
	upqr_mpm_str merchant_tax_id;        /* 10 (v1.1) */
	upqr_mpm_str merchant_channel;       /* 11 (v1.1) */
} upqr_mpm_additional;

/* Merchant Information - Language Template (64). */
typedef struct upqr_mpm_language {
	upqr_mpm_str preference;             /* 00: ISO 639 alpha-2 */
	upqr_mpm_str merchant_name;          /* 01 */
	upqr_mpm_str merchant_city;          /* 02 */
} upqr_mpm_language;

/*
 * Point of initiation (ID 01), the same values for decode (fields.poi) and
 * encode (fields_in.initiation). The numbers are the ID 01 values.
 */
typedef enum upqr_mpm_initiation {
	UPQR_MPM_POI_INVALID = -1,  /* decoded only: 01 holds another value */
	UPQR_MPM_POI_NONE = 0,      /* 01 absent (encode: omit it) */
	UPQR_MPM_POI_STATIC = 11,
	UPQR_MPM_POI_DYNAMIC = 12
} upqr_mpm_initiation;

/*
 * Tip or convenience indicator (ID 55), the same values for decode
 * (fields.tip) and encode (fields_in.tip). The numbers are the ID 55 values.
 */
typedef enum upqr_mpm_tip {
	UPQR_MPM_TIP_INVALID = -1,  /* decoded only: 55 holds another value */
	UPQR_MPM_TIP_NONE = 0,      /* 55 absent */
	UPQR_MPM_TIP_PROMPT = 1,    /* 55 = "01": the consumer is asked for a tip */
	UPQR_MPM_TIP_FIXED = 2,     /* 55 = "02", with a convenience fee (56) */
	UPQR_MPM_TIP_PERCENTAGE = 3 /* 55 = "03", with a convenience percentage (57) */
} upqr_mpm_tip;

/** "static", "dynamic", "none", or "invalid" (also for values outside the enum). */
UPQR_EXTERN const char *upqr_mpm_initiation_name(upqr_mpm_initiation poi);
/** "prompt", "fixed", "percentage", "none", or "invalid" (also for values outside the enum). */
UPQR_EXTERN const char *upqr_mpm_tip_name(upqr_mpm_tip tip);
/**
 * Reads a point of initiation as named by upqr_mpm_initiation_name
 * ("static", "dynamic") or as its ID 01 value ("11", "12");
 * UPQR_MPM_POI_INVALID for anything else (NULL too).
 */
UPQR_EXTERN upqr_mpm_initiation upqr_mpm_initiation_parse(const char *text);
/**
 * Reads a tip indicator as named by upqr_mpm_tip_name ("prompt", "fixed",
 * "percentage") or as its ID 55 value ("01".."03");
 * UPQR_MPM_TIP_INVALID for anything else (NULL too).
 */
UPQR_EXTERN upqr_mpm_tip upqr_mpm_tip_parse(const char *text);

/* Named fields of a decoded payload. Views are absent when the object is. */
typedef struct upqr_mpm_fields {
	upqr_mpm_str payload_format;         /* 00 */
	upqr_mpm_str initiation;             /* 01 */
	int dynamic;                         /* 1 for "12", 0 for "11", -1 absent or other */
	size_t account_count;
	upqr_mpm_account accounts[UPQR_MPM_ACCOUNTS_MAX];
	upqr_mpm_unionpay_id unionpay;       /* parts of ID 15 */
	upqr_mpm_str mcc;                    /* 52 */
	upqr_mpm_str currency;               /* 53 */
	unsigned int currency_numeric;       /* 0 when absent or not numeric */
	const char *currency_alpha;          /* "USD"..., NULL when not an ISO 4217 code */
	int currency_exponent;               /* minor-unit digits, -1 unknown or none */
	upqr_mpm_str amount;                 /* 54 */
	bool amount_exact;                   /* amount_minor holds the exact value */
	int64_t amount_minor;                /* 54 in minor units of the currency */
	upqr_mpm_str tip_indicator;          /* 55 */
	upqr_mpm_str convenience_fee;        /* 56 */
	bool convenience_fee_exact;
	int64_t convenience_fee_minor;
	upqr_mpm_str convenience_percentage; /* 57 */
	unsigned int convenience_percentage_bp; /* 57 in hundredths of a percent, 0 when invalid */
	upqr_mpm_str country;                /* 58 */
	upqr_mpm_str merchant_name;          /* 59 */
	upqr_mpm_str merchant_city;          /* 60 */
	upqr_mpm_str postal_code;            /* 61 */
	upqr_mpm_additional additional;      /* 62 */
	upqr_mpm_language language;          /* 64 */
	upqr_mpm_str crc;                    /* 63 as written */
	upqr_mpm_initiation poi;             /* 01 as an enum (dynamic above is the same fact) */
	upqr_mpm_tip tip;                    /* 55 as an enum */
} upqr_mpm_fields;

struct upqr_mpm_profile;

/*
 * A decoded payload. Large (about 30 KiB): allocate it once and reuse it,
 * or keep it static in a single-threaded program. All views point into the
 * input given to upqr_mpm_decode, which must outlive the payload; nothing
 * points into the struct itself (objects refer to each other by index), so
 * it may be copied (memcpy, by value) and the copy stays valid after the
 * original is freed or overwritten.
 */
typedef struct upqr_mpm_payload {
	const char *input;
	size_t input_len;                    /* bytes */
	size_t chars;                        /* characters (code points) */
	size_t count;                        /* root objects stored */
	upqr_mpm_object objects[UPQR_MPM_OBJECTS_MAX];
	size_t sub_count;
	upqr_mpm_object subs[UPQR_MPM_SUBOBJECTS_MAX];
	bool crc_present;                    /* a well-formed 63 (4 hex digits) was seen */
	uint16_t crc_computed;               /* over the bytes through "6304" */
	uint16_t crc_stated;
	size_t errors;                       /* problems found by this decode */
	size_t warnings;
	const struct upqr_mpm_profile *profile;
	upqr_mpm_fields fields;
} upqr_mpm_payload;

/* ---- profiles --------------------------------------------------------------- */

/*
 * A profile is data plus one rule function, so schemes (PromptPay, Pix,
 * SGQR, QRIS...) can be added by callers without touching the core. The
 * core runs every EMVCo rule; then `rules` (when not NULL) may add
 * diagnostics with upqr_mpm_report(). `generating` is true when the
 * payload is being checked as the encoder's output.
 */
typedef void (*upqr_mpm_rule_fn)(const struct upqr_mpm_profile *profile,
		const upqr_mpm_payload *payload, bool generating, upqr_diag_list *diags);

#define UPQR_MPM_PROFILE_VERSION 1

/* Profile flags. */
#define UPQR_MPM_PF_RFU_ERROR_ON_GENERATE 0x01u /* generated RFU IDs are errors, not warnings */
#define UPQR_MPM_PF_UNIONPAY_ID15         0x02u /* ID 15 must be IIN(8N) + IIN(8N) + MID(15 ans) */

typedef struct upqr_mpm_profile {
	unsigned int version;                /* UPQR_MPM_PROFILE_VERSION */
	const char *name;                    /* e.g. "emvco" */
	unsigned int flags;                  /* UPQR_MPM_PF_* */
	/* GUID prefixes (AIDs, reverse domains; case-insensitive) of the profile's network. */
	const char *const *guid_prefixes;
	size_t guid_prefix_count;
	upqr_mpm_network network;            /* what matching entries are reported as */
	upqr_mpm_rule_fn rules;              /* may be NULL */
	void *user;                          /* for the rule function */
} upqr_mpm_profile;

/** The EMVCo MPM v1.1 profile (the default when a profile argument is NULL). */
UPQR_EXTERN const upqr_mpm_profile *upqr_mpm_profile_emvco(void);
/** EMVCo plus UnionPay's rules: ID 15 layout, RID A000000333, no RFU IDs when generating. */
UPQR_EXTERN const upqr_mpm_profile *upqr_mpm_profile_unionpay(void);
/** A built-in profile by name ("emvco", "unionpay"), or NULL. */
UPQR_EXTERN const upqr_mpm_profile *upqr_mpm_profile_find(const char *name);

/*
 * For rule functions: records a problem in diags (NULL is allowed). `code`
 * must have static storage; path may be NULL. Messages are copied
 * (truncated to UPQR_DIAG_MESSAGE_MAX - 1 bytes).
 */
UPQR_EXTERN void upqr_mpm_report(upqr_diag_list *diags, upqr_severity severity,
		const char *code, size_t offset, const char *path, const char *message);

/* ---- decode ------------------------------------------------------------------- */

/*
 * Decodes and validates payload[0..len) (UTF-8 text, no NUL needed) under
 * profile (NULL: EMVCo). Fills *out (always, as far as the input allows)
 * and adds every problem to diags (may be NULL; out->errors and
 * out->warnings count them either way). Never allocates, never reads past
 * payload + len.
 *
 * Returns UPQR_OK when the payload is valid (warnings allowed),
 * UPQR_ECHECKSUM when the CRC mismatch is its only error, UPQR_EINVALID for
 * any other error, UPQR_ELIMIT when len > UPQR_MPM_INPUT_MAX, UPQR_EINVAL
 * for NULL out/payload, UPQR_EVERSION for a profile of an unknown version.
 */
UPQR_EXTERN int upqr_mpm_decode(upqr_mpm_payload *out, const upqr_mpm_profile *profile,
		const char *payload, size_t len, upqr_diag_list *diags) UPQR_WARN_UNUSED;

/*
 * A payload on the heap (through the allocator hook), for callers that
 * cannot hold ~30 KiB on their stack or size C structs (bindings). NULL on
 * allocation failure. Free with upqr_mpm_payload_free (NULL is fine).
 */
UPQR_EXTERN upqr_mpm_payload *upqr_mpm_payload_new(void) UPQR_WARN_UNUSED;
UPQR_EXTERN void upqr_mpm_payload_free(upqr_mpm_payload *payload);

/** True when the decode found no error. */
UPQR_EXTERN bool upqr_mpm_valid(const upqr_mpm_payload *payload);

/*
 * Finds an object by ID path: "54", "62.05", "62.50.00". Returns NULL when
 * absent or the path is malformed. The pointer is borrowed from payload.
 */
UPQR_EXTERN const upqr_mpm_object *upqr_mpm_find(const upqr_mpm_payload *payload,
		const char *path);
/** The child of a template with that ID, or NULL. parent NULL = the root. */
UPQR_EXTERN const upqr_mpm_object *upqr_mpm_child(const upqr_mpm_payload *payload,
		const upqr_mpm_object *parent, unsigned int id);

/* ---- reference data ---------------------------------------------------------- */

/** ISO 4217 minor-unit digits of a numeric currency code, or -1 (unknown, or none as for XAU). */
UPQR_EXTERN int upqr_mpm_currency_exponent(unsigned int numeric);
/** ISO 4217 alphabetic code ("USD") of a numeric code, or NULL when not a current code. */
UPQR_EXTERN const char *upqr_mpm_currency_alpha(unsigned int numeric);
/** True when cc[0..2) is an assigned ISO 3166-1 alpha-2 code (upper case). */
UPQR_EXTERN bool upqr_mpm_country_known(const char *cc);

/*
 * Converts an MPM amount text ("98.73", "98", "98.") to minor units of a
 * currency with `exponent` (0..4) decimals, exactly (no floating point).
 * UPQR_EINVALID for bad syntax (digits and at most one '.', at least one
 * digit, at most 13 characters); UPQR_ELIMIT when it has more non-zero
 * decimals than the exponent allows; UPQR_EINVAL for a bad exponent.
 */
UPQR_EXTERN int upqr_mpm_amount_parse(int64_t *minor, const char *text, size_t len,
		int exponent) UPQR_WARN_UNUSED;
/*
 * Writes minor units as MPM amount text with `exponent` decimals ("23.72",
 * "5" for exponent 0), NUL-terminated. Output convention as everywhere:
 * out NULL or short -> UPQR_EBUFSIZE with the size needed in *written.
 * UPQR_EINVAL for negative amounts or exponents outside 0..4.
 */
UPQR_EXTERN int upqr_mpm_amount_format(char *out, size_t cap, size_t *written,
		int64_t minor, int exponent) UPQR_WARN_UNUSED;

/* ---- field metadata ----------------------------------------------------------- */

/*
 * What EMVCo MPM v1.1 says about every ID at every level, as one table: the
 * decoder and encoder check against it, and tools and bindings read names,
 * ranges and formats from it instead of keeping their own copies. Every ID
 * 00..99 at every level is covered by exactly one entry; entries of one
 * level are consecutive and in ID order.
 */

/* Where an object sits, each level with its own ID table. */
typedef enum upqr_mpm_level {
	UPQR_MPM_LEVEL_ROOT = 0,
	UPQR_MPM_LEVEL_ACCOUNT = 1,     /* children of merchant account templates 26..51 */
	UPQR_MPM_LEVEL_ADDITIONAL = 2,  /* children of 62 */
	UPQR_MPM_LEVEL_TEMPLATE = 3,    /* children of 62/50..99 and of 80..99 */
	UPQR_MPM_LEVEL_LANGUAGE = 4     /* children of 64 */
} upqr_mpm_level;
#define UPQR_MPM_LEVEL_COUNT 5
UPQR_EXTERN size_t upqr_mpm_level_count(void);

/* Value formats (EMVCo 3.2), in order of strictness. */
typedef enum upqr_mpm_format {
	UPQR_MPM_FORMAT_S = 0,          /* any UTF-8 text */
	UPQR_MPM_FORMAT_ANS = 1,        /* printable ASCII */
	UPQR_MPM_FORMAT_N = 2           /* digits */
} upqr_mpm_format;

/* Field flags. */
#define UPQR_MPM_FIELD_TEMPLATE  0x01u /* the value is a list of objects at child_level */
#define UPQR_MPM_FIELD_RFU       0x02u /* reserved for future use (a warning when present) */
#define UPQR_MPM_FIELD_MANDATORY 0x04u /* a payload without it is invalid */
#define UPQR_MPM_FIELD_ACCOUNT   0x08u /* merchant account information (root 02..51) */

typedef struct upqr_mpm_field_info {
	upqr_mpm_level level;
	unsigned int id_first;          /* the IDs id_first..id_last share this entry */
	unsigned int id_last;
	upqr_mpm_format format;
	unsigned int min_chars;         /* value length in characters */
	unsigned int max_chars;
	unsigned int flags;             /* UPQR_MPM_FIELD_* */
	upqr_mpm_level child_level;     /* templates: the level of their children */
	const char *name;               /* key in `upqr mpm` JSON, e.g. "merchant_name" */
	const char *title;              /* for people, e.g. "merchant name" */
} upqr_mpm_field_info;

/** Number of entries in the table. */
UPQR_EXTERN size_t upqr_mpm_field_count(void);
/** Entry i (0..count-1) of the table, or NULL past the end. Static storage. */
UPQR_EXTERN const upqr_mpm_field_info *upqr_mpm_field_at(size_t index);
/** The entry describing `id` (0..99) at `level`, or NULL for an ID or level out of range. */
UPQR_EXTERN const upqr_mpm_field_info *upqr_mpm_field_lookup(upqr_mpm_level level, unsigned int id);
/** The first entry at `level` whose name is `name`, or NULL. */
UPQR_EXTERN const upqr_mpm_field_info *upqr_mpm_field_by_name(upqr_mpm_level level, const char *name);

/*
 * UnionPay's layout of root ID 15 (31 characters): acquirer IIN (8 digits),
 * forwarding IIN (8 digits), merchant ID (15 "ans"). The parts are the
 * decoded fields.unionpay views and the encoder's unionpay_* inputs.
 */
typedef struct upqr_mpm_part_info {
	const char *name;               /* "acquirer_iin", "forwarding_iin", "merchant_id" */
	const char *title;
	unsigned int offset;            /* characters from the start of the value */
	unsigned int length;            /* characters */
	upqr_mpm_format format;
} upqr_mpm_part_info;
#define UPQR_MPM_UNIONPAY_ID 15u
#define UPQR_MPM_UNIONPAY_ID_CHARS 31u
UPQR_EXTERN size_t upqr_mpm_unionpay_id_chars(void);
/** The parts of ID 15 in order; *count receives 3. Static storage. */
UPQR_EXTERN const upqr_mpm_part_info *upqr_mpm_unionpay_id_layout(size_t *count);

/* ---- encode -------------------------------------------------------------------- */

/* A primitive sub-object for templates: ID and NUL-terminated UTF-8 value. */
typedef struct upqr_mpm_value_in {
	unsigned int id;
	const char *value;
} upqr_mpm_value_in;

/*
 * A merchant account entry (root 02..51), an additional-data template
 * (62/50..99) or an unreserved template (80..99). A primitive sets `value`;
 * a template sets `guid` (sub-ID 00) and optional further sub-objects.
 */
typedef struct upqr_mpm_entry_in {
	unsigned int id;
	const char *value;                   /* primitive; NULL for a template */
	const char *guid;                    /* template sub-ID 00 */
	const upqr_mpm_value_in *objects;    /* template sub-IDs 01..99 */
	size_t object_count;
} upqr_mpm_entry_in;

/*
 * Typed fields for the encoder. Text is NUL-terminated UTF-8; NULL means
 * absent. Money is int64 minor units of `currency` (ISO 4217 numeric),
 * written with the currency's exponent. Versioned: initialise with
 * UPQR_MPM_FIELDS_IN_INIT or upqr_mpm_fields_in_init().
 */
typedef struct upqr_mpm_fields_in {
	unsigned int version;
	upqr_mpm_initiation initiation;      /* UPQR_MPM_POI_NONE, _STATIC or _DYNAMIC */
	const upqr_mpm_entry_in *accounts;   /* 02..51, in the order given */
	size_t account_count;
	/* When all three are set, ID 15 is built from them (8 + 8 + 15 characters). */
	const char *unionpay_acquirer_iin;
	const char *unionpay_forwarding_iin;
	const char *unionpay_merchant_id;
	const char *mcc;                     /* 52, 4 digits */
	unsigned int currency;               /* 53, e.g. 344 */
	bool has_amount;
	int64_t amount;                      /* 54, minor units */
	upqr_mpm_tip tip;                    /* 55: UPQR_MPM_TIP_NONE.._PERCENTAGE */
	int64_t convenience_fee;             /* 56, minor units (tip FIXED) */
	unsigned int convenience_percentage_bp; /* 57, 1..9999 hundredths of a percent (tip PERCENTAGE) */
	const char *country;                 /* 58 */
	const char *merchant_name;           /* 59 */
	const char *merchant_city;           /* 60 */
	const char *postal_code;             /* 61 */
	const char *additional[12];          /* 62/01..11 by sub-ID (index 0 unused) */
	const upqr_mpm_entry_in *additional_templates; /* 62/50..99 */
	size_t additional_template_count;
	const upqr_mpm_value_in *additional_rfu; /* 62/12..49 (warnings; UnionPay refuses) */
	size_t additional_rfu_count;
	const char *language;                /* 64/00 */
	const char *alt_merchant_name;       /* 64/01 */
	const char *alt_merchant_city;       /* 64/02 */
	const upqr_mpm_entry_in *templates;  /* 80..99 */
	size_t template_count;
	const upqr_mpm_value_in *rfu;        /* root 65..79 (warnings; UnionPay refuses) */
	size_t rfu_count;
} upqr_mpm_fields_in;

#define UPQR_MPM_FIELDS_IN_VERSION 1
#define UPQR_MPM_FIELDS_IN_INIT { UPQR_MPM_FIELDS_IN_VERSION, 0, NULL, 0, NULL, NULL, NULL, \
	NULL, 0, false, 0, 0, 0, 0, NULL, NULL, NULL, NULL, { NULL }, NULL, 0, NULL, 0, \
	NULL, NULL, NULL, NULL, 0, NULL, 0 }

/** Zeroes *in and sets its version. UPQR_EVERSION for an unknown version. */
UPQR_EXTERN int upqr_mpm_fields_in_init(upqr_mpm_fields_in *in, unsigned int version) UPQR_WARN_UNUSED;

/*
 * Encodes fields as an MPM payload under profile (NULL: EMVCo): 00 first,
 * then 01, accounts, 52..61, 62, 64, RFU, 80..99, and 63 last with an
 * upper-case CRC. Writes the text NUL-terminated into out; *written gets
 * its length without the NUL. out NULL or cap too small: UPQR_EBUFSIZE
 * with the length in *written (add 1 for the NUL) - but only for fields
 * that pass every rule.
 *
 * Refuses (UPQR_EINVALID, diagnostics in diags) any value that breaks a
 * rule; offsets then refer to the payload the fields would produce.
 * UPQR_EVERSION for an unknown in->version or profile version, UPQR_EINVAL
 * for NULL in.
 */
UPQR_EXTERN int upqr_mpm_encode(char *out, size_t cap, size_t *written,
		const upqr_mpm_profile *profile, const upqr_mpm_fields_in *in,
		upqr_diag_list *diags) UPQR_WARN_UNUSED;

/*
 * Turns a decoded payload into encoder input: every object of p lands in
 * *in (initialised here as version 1), so that upqr_mpm_encode(in) gives
 * back an equivalent payload, with the encoder's order and the amounts
 * written with the currency's exponent ("98." becomes "98.00"). The strings
 * and arrays *in points to are copied into a new *store (allocator hook);
 * *in stays valid, and may be copied and changed, until
 * upqr_mpm_fields_store_free(*store). p may be freed at once.
 *
 * Returns UPQR_OK; UPQR_EINVALID when p holds errors (upqr_mpm_valid is
 * false); UPQR_EUNSUPPORTED when p holds something fields_in cannot express
 * (reserved IDs 03..99 of the language template 64); UPQR_ENOMEM;
 * UPQR_EINVAL for NULL arguments. *store is NULL on failure.
 */
typedef struct upqr_mpm_fields_store upqr_mpm_fields_store;
UPQR_EXTERN int upqr_mpm_fields_in_from_payload(upqr_mpm_fields_in *in,
		upqr_mpm_fields_store **store, const upqr_mpm_payload *p) UPQR_WARN_UNUSED;
/** Frees a store (NULL is fine); every fields_in filled from it is invalid afterwards. */
UPQR_EXTERN void upqr_mpm_fields_store_free(upqr_mpm_fields_store *store);

/*
 * Sets or changes the amount (minor units) of a valid payload and makes it
 * dynamic (01 = "12"): every other object is kept byte for byte and in
 * order, 01 and 54 are replaced in place (or inserted right after 00 and
 * right after 53 respectively) and the CRC is recomputed. The input must decode
 * without errors under profile; otherwise UPQR_EINVALID with its
 * diagnostics. Output convention as upqr_mpm_encode (UPQR_EVERSION for a
 * profile of an unknown version).
 */
UPQR_EXTERN int upqr_mpm_set_amount(char *out, size_t cap, size_t *written,
		const upqr_mpm_profile *profile, const char *payload, size_t len,
		int64_t amount, upqr_diag_list *diags) UPQR_WARN_UNUSED;

#ifdef __cplusplus
}
#endif
#endif /* UPQR_MPM_H */
