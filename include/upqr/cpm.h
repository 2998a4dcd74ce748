/*
 * upqr/cpm.h - EMVCo consumer-presented mode (CPM): the code a wallet shows
 * and the merchant scans. Reading (base64 -> BER-TLV -> reader rules -> AID
 * selection -> Track 2), generation and verification. The BER-TLV reader it
 * is built on is in upqr/bertlv.h (included here).
 *
 * Thread-safety: every function here is reentrant; the only state is in
 * caller-owned structs, which one thread uses at a time.
 */
#ifndef UPQR_CPM_H
#define UPQR_CPM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "upqr/bertlv.h"
#include "upqr/common.h"
#include "upqr/emv.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================
 * CPM decoding and validation
 * ======================================================================
 *
 * Steps, in the order of the EMVCo CPM specification (v1.0 §3-§5); the
 * first five stop the decode:
 *  1. strict base64 (RFC 4648 §4, standard alphabet, '=' padding, no
 *     whitespace, canonical)                            -> base64_invalid
 *  2. BER-TLV (above), '63'/'64' opaque                 -> tlv_*
 *  3. the first object is '85'                          -> pfi_missing
 *  4. '85' is "CPV01"                                   -> pfi_invalid / pfi_version_unsupported
 *  5. at least one '61'                                 -> app_template_missing
 * then, all reported:
 *  - shape: '85', one or two '61', an optional '62', then any other
 *    objects (kept, unchecked)        -> template_order, app_template_count,
 *                                        common_template_count, pfi_duplicate
 *  - in each '61': '4F' present with 5..16 bytes     -> aid_missing, aid_length
 *  - no primitive twice in one template              -> duplicate_tag
 *  - known data objects have their spec lengths      -> field_length
 *  - an application template is selected (see AID selection)
 *                                                    -> aid_not_selected
 *  - the same primitive in the selected '61' and '62' -> duplicate_tag
 *  - '57' or '5A' in the selected '61' or '62'       -> pan_missing
 *  - Track 2: PAN (12..19 digits) 'D' YYMM (month 01..12) service code (3
 *    digits) discretionary digits, at most one 'F' pad at the end
 *                                                    -> track2_invalid
 *  - '5A': 12..19 digits, 'F' padding only at the end -> pan_invalid
 *  - PAN Luhn check digit -> pan_luhn, a WARNING (pan_luhn_ok = 0): the
 *    EMVCo Annex B examples themselves carry a non-Luhn PAN
 *  - '57' and '5A' both present with different PANs  -> pan_conflict
 *  - unknown tags are kept; '63'/'64' content is opaque (never an error).
 *
 * Diagnostic offsets: for base64_invalid and payload_too_long, the
 * character offset into the base64 text; for every other code, the byte
 * offset into the DECODED binary payload (out->binary), which is what a
 * TLV dump shows. Paths are tag paths such as "61.4F" or "62.5A".
 * Messages never contain a full PAN.
 *
 * PAN masking: the decoded struct holds the PAN only masked (first 6 and
 * last 4 digits); the full PAN is produced only by upqr_cpm_pan(), which a
 * caller calls explicitly. upqr_cpm_hex_masked() gives the binary payload
 * as hex with the PAN digits of every '57'/'5A' replaced by '*'.
 */

#define UPQR_CPM_TEXT_MAX 1024u    /* base64 characters accepted (spec: readers need 512) */
#define UPQR_CPM_BINARY_MAX 768u   /* = UPQR_BASE64_DECODED_MAX(UPQR_CPM_TEXT_MAX) */
#define UPQR_CPM_NODES_MAX 192u    /* data objects in one payload */
#define UPQR_CPM_PAN_MAX 19u       /* PAN digits */
#define UPQR_CPM_DISCRETIONARY_MAX 24u
#define UPQR_CPM_AID_MAX 16u
UPQR_EXTERN size_t upqr_cpm_text_max(void);
UPQR_EXTERN size_t upqr_cpm_binary_max(void);
UPQR_EXTERN size_t upqr_cpm_nodes_max(void);
UPQR_EXTERN size_t upqr_cpm_pan_max(void);
UPQR_EXTERN size_t upqr_cpm_discretionary_max(void);
UPQR_EXTERN size_t upqr_cpm_aid_max(void);

/* A view: len bytes at ptr (ptr is NULL when absent). */
typedef struct upqr_cpm_bytes {
	const uint8_t *ptr;
	size_t len;
} upqr_cpm_bytes;

/*
 * One terminal-side AID for application selection. With `partial`, an ADF
 * Name ('4F') longer than aid with aid as its prefix also matches (EMV
 * partial selection); otherwise only an exact match does.
 */
typedef struct upqr_cpm_aid {
	const uint8_t *aid;   /* 5..16 bytes */
	size_t len;
	int partial;
	const char *name;     /* for display; may be NULL */
} upqr_cpm_aid;

/*
 * UnionPay's AIDs (RID A000000333), partial selection allowed:
 *   A000000333010101 UnionPay Debit, ...02 UnionPay Credit,
 *   ...03 UnionPay Quasi-credit, ...06 UnionPay Electronic Cash,
 *   ...08 UnionPay US Common Debit.
 * Returns the static table and stores its length in *count.
 */
UPQR_EXTERN const upqr_cpm_aid *upqr_cpm_unionpay_aids(size_t *count);
/** Name of a built-in AID matching aid exactly or by partial selection, or NULL. */
UPQR_EXTERN const char *upqr_cpm_aid_name(const uint8_t *aid, size_t len);

#define UPQR_CPM_OPTIONS_VERSION 1u
/*
 * Application selection. The candidate list is aids[0..aid_count) then,
 * with unionpay_aids, the built-in UnionPay AIDs; earlier entries have
 * priority (the merchant's choice when two templates are eligible). With
 * an empty list every template with a valid '4F' is eligible and the first
 * one is selected.
 */
typedef struct upqr_cpm_options {
	unsigned int version;
	const upqr_cpm_aid *aids;
	size_t aid_count;
	int unionpay_aids;
} upqr_cpm_options;
#define UPQR_CPM_OPTIONS_INIT { UPQR_CPM_OPTIONS_VERSION, NULL, 0u, 0 }
/** Fills opts with the defaults of `version`; UPQR_EVERSION for an unknown one. */
UPQR_EXTERN int upqr_cpm_options_init(upqr_cpm_options *opts, unsigned int version) UPQR_WARN_UNUSED;

/*
 * A decoded CPM. Large (about 10 KiB) and self-contained: the decoded bytes
 * live in `binary`, and everything else refers to them by node index or
 * offset, never by pointer, so the struct may be copied (memcpy, by value)
 * and the copy stays valid after the original is freed or overwritten.
 * Views of values come from upqr_cpm_node_value() and upqr_cpm_find(); they
 * point into the `binary` of the struct they were taken from.
 */
typedef struct upqr_cpm {
	uint8_t binary[UPQR_CPM_BINARY_MAX];
	size_t binary_len;
	upqr_bertlv_node nodes[UPQR_CPM_NODES_MAX];
	size_t node_count;

	int valid;              /* 1 when no error was found */
	unsigned int version;   /* 1 for "CPV01", 0 if unknown */
	size_t app_count;       /* application templates '61' found (0..2 stored) */
	uint16_t app[2];        /* node indexes of the '61's */
	uint16_t common;        /* node index of '62', or UPQR_BERTLV_NONE */
	int selected;           /* index into app[] of the selected template, -1 if none */
	uint16_t transparent;   /* '63' of the selected '61', else '64' of '62', or NONE */

	/* fields of the selected template (and '62'); values via upqr_cpm_node_value */
	uint16_t aid_node;      /* '4F' of the selected template, or NONE */
	const char *aid_name;   /* static built-in name such as "UnionPay Debit", or NULL */
	uint16_t label_node;    /* '50' used, or NONE */
	uint16_t track2_node;   /* '57' used, or NONE */
	uint16_t pan_node;      /* '5A' used, or NONE */
	size_t pan_len;         /* PAN digits, 0 if none */
	char pan_masked[UPQR_CPM_PAN_MAX + 1];  /* e.g. "626360******3672" */
	int pan_luhn_ok;
	char expiry[5];         /* YYMM from Track 2, "" if absent */
	char service_code[4];   /* from Track 2, "" if absent */
	char discretionary[UPQR_CPM_DISCRETIONARY_MAX + 1];
	int psn;                /* '5F34' as a number 0..99, -1 if absent */
	unsigned int cvn;       /* UPQR_EMV_CVN_* id read from '9F10', 0 if none or unknown */
	int cvn_supported;      /* 1 when upqr_cpm_verify can check this cryptogram version */
} upqr_cpm;

/**
 * Decodes and validates a base64 CPM text[0..len) into *out.
 * opts may be NULL (any AID). diags may be NULL.
 *
 * Returns UPQR_OK when the payload is valid (out->valid == 1);
 * UPQR_EBASE64 (not base64), UPQR_ETLV (not BER-TLV), UPQR_EINVALID (a
 * reader rule is broken), UPQR_ELIMIT (longer than UPQR_CPM_TEXT_MAX or
 * more than UPQR_CPM_NODES_MAX objects); UPQR_EINVAL / UPQR_EVERSION for
 * bad arguments. On failure *out still holds whatever was decoded.
 * No allocation; reentrant.
 */
UPQR_EXTERN int upqr_cpm_decode(upqr_cpm *out, const upqr_cpm_options *opts,
		const char *text, size_t len, upqr_diag_list *diags) UPQR_WARN_UNUSED;

/** As upqr_cpm_decode for an already decoded binary payload (copied into out->binary). */
UPQR_EXTERN int upqr_cpm_decode_binary(upqr_cpm *out, const upqr_cpm_options *opts,
		const uint8_t *data, size_t len, upqr_diag_list *diags) UPQR_WARN_UNUSED;

/**
 * Looks a tag up in the payment data of *cpm: the selected '61', then
 * '62', then the transparent template. UPQR_OK with the view in *out
 * (borrowed from *cpm), or UPQR_ENOTFOUND (out->ptr = NULL).
 */
UPQR_EXTERN int upqr_cpm_find(upqr_cpm_bytes *out, const upqr_cpm *cpm, uint32_t tag) UPQR_WARN_UNUSED;

/**
 * A view of the value of node `node` (an index such as cpm->aid_node) in
 * cpm->binary: UPQR_OK, or UPQR_ENOTFOUND (out->ptr = NULL) for
 * UPQR_BERTLV_NONE or an index past node_count. The view is borrowed from
 * *cpm (valid while that struct is).
 */
UPQR_EXTERN int upqr_cpm_node_value(upqr_cpm_bytes *out, const upqr_cpm *cpm, uint16_t node) UPQR_WARN_UNUSED;

/**
 * The FULL PAN as digits (NUL-terminated) - call this only when the full
 * value is really needed; every other output is masked. *written gets the
 * digit count; short buffer -> UPQR_EBUFSIZE (needs *written + 1).
 * UPQR_ENOTFOUND when the payload has no PAN.
 */
UPQR_EXTERN int upqr_cpm_pan(char *out, size_t cap, size_t *written, const upqr_cpm *cpm) UPQR_WARN_UNUSED;

/**
 * The binary payload as upper-case hex (NUL-terminated), with the PAN
 * digits of every '57' and '5A' beyond the first 6 and last 4 replaced by
 * '*' (an unreadable '57'/'5A' entirely), and likewise any other copy of
 * the payload's PAN digits (e.g. inside opaque '63' bytes). The hex of
 * node i starts at out + 2 * nodes[i].offset.
 * *written gets 2 * binary_len; short buffer -> UPQR_EBUFSIZE.
 */
UPQR_EXTERN int upqr_cpm_hex_masked(char *out, size_t cap, size_t *written, const upqr_cpm *cpm) UPQR_WARN_UNUSED;

/* ======================================================================
 * CPM generation (wallet) and verification (acquirer / issuer)
 * ======================================================================
 *
 * The payload upqr generates (tags in this order; lengths in BER-TLV):
 *
 *   85 05 "CPV01"
 *   61 {                                  Application Template
 *     4F  AID                             profile.aid (5..16 bytes)
 *     50  label                           profile.label, if set
 *     57  Track 2 equivalent data         PAN 'D' YYMM service-code
 *                                         discretionary, 'F'-padded to whole bytes
 *     5F34 PSN (1 byte BCD)               if profile.psn >= 0
 *     9F08 application version (2)        if profile.app_version >= 0
 *     9F19 token requestor ID (6, n11)    if set ('0' + 11 digits, BCD)
 *     9F24 PAR (29, an)                   if set
 *     9F25 last 4 PAN digits (2, n4)      if set
 *     63 {                                Application Specific Transparent Template
 *       9F26 application cryptogram (8)   the ARQC
 *       9F27 CID (1)                      '80' (ARQC)
 *       9F10 issuer application data   7 bytes (A1/A2, below) or the scheme CVN's IAD
 *       9F36 ATC (2)
 *       82   AIP (2)                      profile.aip
 *       9F37 unpredictable number (4)     the wallet's own UN
 *       9F02 amount authorised (6, n12)   only when the code carries an amount
 *       5F2A transaction currency (2, n3) profile.currency, e.g. 0156
 *       9F1A terminal country code (2, n3) profile.country, e.g. 0156
 *       9A   transaction date (3, YYMMDD)
 *       9C   transaction type (1)         txn.type, '00' purchase
 *     }
 *   }
 *
 * IAD ('9F10'), 7 bytes, shaped like the Visa/PBOC format:
 *   byte 0    '06'  length of what follows
 *   byte 1    DKI   derivation key index (profile.dki)
 *   byte 2    CVN   cryptogram version: 'A1' = TDES, 'A2' = AES-128 (upqr's own
 *                   closed-loop values; the scheme CVNs, such as UnionPay '01',
 *                   carry their scheme's IAD instead: upqr/emv.h)
 *   byte 3    '03'  CVR length
 *   bytes 4-6 CVR   (profile.cvr; default A0 00 00: ARQC in the first GENERATE AC)
 *
 * Cryptogram input (37 bytes): the EMV common core CDOL1 order with what a
 * wallet knows, zeros elsewhere. Each element comes from the tag named,
 * looked up in the decoded payload (selected '61', then '62', then the
 * transparent template). Only '9F02' may be absent (then FF x 6, see
 * below); the verifier requires every other one with exactly the length
 * shown:
 *   offset len  tag    content
 *    0      6   9F02   amount authorised (n12 BCD); FF x 6 when the code has
 *                       none (no n12 value has that form, so a code made
 *                       with amount 0 no longer verifies once its '9F02'
 *                       is removed)
 *    6      6   9F03   amount other: zeros
 *   12      2   9F1A   terminal country code
 *   14      5   95     TVR: zeros
 *   19      2   5F2A   transaction currency code
 *   21      3   9A     transaction date YYMMDD
 *   24      1   9C     transaction type
 *   25      4   9F37   unpredictable number (the wallet's)
 *   29      2   82     AIP
 *   31      2   9F36   ATC
 *   33      4   9F10   IAD bytes 3..6 ('03' || CVR)
 *
 * Keys and cryptogram:
 *   MK  = the card's ICC master key for AC; an issuer derives it from the
 *         IMK with upqr_emv_derive_icc_mk (option A or B) over the PAN from
 *         '57'/'5A' and the PSN from '5F34' ("00" when absent).
 *   CVN A1 (TDES): SK = EMV common session key with R = ATC || 00 x 6;
 *         AC = ISO 9797-1 MAC algorithm 3, padding method 2, under SK.
 *   CVN A2 (AES-128): SK = AES(MK)[ATC || 00 x 14];
 *         AC = leftmost 8 bytes of AES-CMAC(SK, input).
 *
 * Scheme CVNs (profile.cvn = UPQR_EMV_CVN_VISA_10 ... UPQR_EMV_CVN_MC_21,
 * table in upqr/emv.h): the payload has the same data objects, but '9F10'
 * is the scheme's IAD (profile.iad, or upqr's default for the CVN built
 * from dki and cvr), and key derivation, session key, padding, AC input
 * and ARPC are the scheme's, exactly. There an absent '9F02' enters the
 * input as zeros, as the schemes define no other value: their ARQC cannot
 * tell an absent amount from 0, so an issuer that needs the amount must
 * require '9F02' itself (upqr_cpm_find) before it trusts a match.
 *
 * What the ARQC protects, and what it does not: the PAN and PSN (through
 * the key: MK derivation or the issuer's key lookup by PAN; an absent PSN
 * means 00; option A uses only the rightmost 16 digits of PAN || PSN, so
 * the issuer must pick its IMK by BIN, or use option B), the 37 input
 * bytes, the CVN/CVR and the CID. NOT protected, because the EMV input
 * does not contain them: '4F', '50', '9F08', '9F19', '9F24', '9F25', the
 * expiry, service code and discretionary data of '57', the DKI, unknown
 * tags, and which template a data object sits in.
 *
 * So verification has two layers, as at a real issuer or token service:
 *  1. the token record: the issuer holds the same profile the wallet was
 *     provisioned with (its token vault). upqr_cpm_verify_token rebuilds
 *     the exact payload the generator emits from that record plus the
 *     code's per-code values (AC, ATC, UN, amount or its absence, date,
 *     type) and requires the decoded payload to be identical to it: every
 *     static element byte for byte ('4F', '50', '57' whole, '5F34', '9F08',
 *     '9F19', '9F24', '9F25', '9F10' with DKI and CVN, '82', '5F2A',
 *     '9F1A', CID '80'), the same set of data objects (no extra or unknown
 *     tag, none missing) in the same templates and order -> UPQR_ERECORD;
 *  2. the ARQC over the per-code data, as upqr_cpm_verify -> UPQR_EMISMATCH.
 * Together, no byte of a generated payload can change and still verify.
 * upqr_cpm_verify alone remains for codes from other generators, where
 * the caller checks the static data itself.
 *
 * Counter contract: the ATC must never repeat for a profile. Generation
 * takes the last ATC used (0 for a fresh profile) in *atc, uses *atc + 1,
 * and stores it back only when a payload was produced; 65535 is the last
 * one and further generation is refused (UPQR_ELIMIT), never wrapped. The
 * caller persists *atc before showing the code.
 */

#define UPQR_CPM_CVN_TDES 0xA1u     /* = UPQR_EMV_CVN_UPQR_A1 */
#define UPQR_CPM_CVN_AES 0xA2u      /* = UPQR_EMV_CVN_UPQR_A2 */
#define UPQR_CPM_IAD_LEN 7u
#define UPQR_CPM_AC_INPUT_LEN 37u
#define UPQR_CPM_GENERATED_MAX 512u   /* base64 characters of a generated payload, at most */
UPQR_EXTERN size_t upqr_cpm_generated_max(void);

#define UPQR_CPM_PROFILE_VERSION 1u
/*
 * The token profile of one card in the wallet. Strings are NUL-terminated
 * and only read during the call.
 *
 * Profile JSON (read by upqr_cpm_profile_parse below, and so by `upqr cpm
 * generate --profile`; one member per field below, same names): "aid" hex;
 * "label"; "pan", "expiry", "service_code", "discretionary" or instead
 * "track2"; "psn" integer; "app_version" 4 hex digits;
 * "token_requestor_id"; "par"; "last4"; "aip" 4 hex digits; "currency",
 * "country" integers; "cvn" "tdes"|"aes" or a CVN name of upqr/emv.h
 * ("visa-18", "mastercard-21", "unionpay-01", ...); "dki" integer; "cvr" 6
 * hex digits; "iad" hex; and optionally the key: "mk" (32 hex digits), or
 * for tests "imk" + "mk_option" "A"|"B" (TDES). Unknown members are
 * refused. Example: tests/data/cpm-profile.json; full table: docs/cpm.md.
 */
typedef struct upqr_cpm_profile {
	unsigned int version;
	const uint8_t *aid;          /* '4F', 5..16 bytes */
	size_t aid_len;
	const char *label;           /* '50', 1..16 printable ASCII, or NULL */
	const char *pan;             /* token PAN, 12..19 digits; or NULL when track2 is given */
	const char *expiry;          /* "YYMM", with pan */
	const char *service_code;    /* 3 digits, with pan; NULL = "201" */
	const char *discretionary;   /* digits, with pan; NULL = none */
	const char *track2;          /* instead of pan..discretionary: "<PAN>D<YYMM><SSS><digits>" */
	int psn;                     /* '5F34' 0..99, or -1 to omit (then "00" for key derivation) */
	long app_version;            /* '9F08' 0..65535, or -1 to omit */
	const char *token_requestor_id; /* '9F19', 11 digits, or NULL */
	const char *par;             /* '9F24', 29 upper-case letters/digits, or NULL */
	const char *last4;           /* '9F25', 4 digits, or NULL */
	uint8_t aip[2];              /* '82' */
	unsigned int currency;       /* ISO 4217 numeric, default 156 (CNY) */
	unsigned int country;        /* ISO 3166-1 numeric, default 156 (China) */
	unsigned int cvn;            /* a supported UPQR_EMV_CVN_* id; default UPQR_CPM_CVN_TDES */
	uint8_t dki;                 /* derivation key index in the IAD */
	uint8_t cvr[3];              /* first CVR bytes after its length, default A0 00 00 */
	/*
	 * Scheme CVNs only: the whole '9F10' value the card's personalisation
	 * defines (its CVN must be profile.cvn), or NULL for upqr's default
	 * layout built from dki and cvr (upqr/emv.h). Closed-loop CVNs: NULL.
	 */
	const uint8_t *iad;
	size_t iad_len;
} upqr_cpm_profile;
#define UPQR_CPM_PROFILE_INIT { UPQR_CPM_PROFILE_VERSION, NULL, 0u, NULL, NULL, NULL, NULL, NULL, NULL, \
	-1, -1L, NULL, NULL, NULL, { 0u, 0u }, 156u, 156u, UPQR_CPM_CVN_TDES, 0u, { 0xA0u, 0u, 0u }, NULL, 0u }
UPQR_EXTERN int upqr_cpm_profile_init(upqr_cpm_profile *profile, unsigned int version) UPQR_WARN_UNUSED;

/*
 * A token profile read from its JSON text (format above), owning every
 * string and byte array its profile points to, and the key if the text
 * names one (wiped when freed). Handles are opaque; one thread at a time.
 */
typedef struct upqr_cpm_profile_doc upqr_cpm_profile_doc;

/**
 * Parses json[0..len) (UTF-8, no NUL needed). Strict: one flat object of
 * strings and integers; unknown or repeated members, other JSON types,
 * fractions, exponents and bad hex are refused. Each problem goes to diags
 * (may be NULL) with code profile_json (offset = byte in the text),
 * profile_unknown_field, profile_duplicate_field, profile_bad_value or
 * profile_key, and the member name as path. Values are only checked for
 * form here (and "cvn" for a CVN upqr implements, "mk_option" against the
 * option that CVN names); upqr_cpm_generate checks ranges and lengths.
 * Returns UPQR_OK with *out set; UPQR_EINVALID; UPQR_ENOMEM; UPQR_EINVAL
 * for NULL out (or NULL json with len > 0). *out is NULL on failure.
 */
UPQR_EXTERN int upqr_cpm_profile_parse(upqr_cpm_profile_doc **out, const char *json, size_t len,
		upqr_diag_list *diags) UPQR_WARN_UNUSED;
/** The profile (borrowed: valid until the doc is freed; a copy of the struct also points into the doc). NULL for a bad handle. */
UPQR_EXTERN const upqr_cpm_profile *upqr_cpm_profile_doc_profile(const upqr_cpm_profile_doc *doc);
/** True when the text names a key ("mk" or "imk"). */
UPQR_EXTERN bool upqr_cpm_profile_doc_has_key(const upqr_cpm_profile_doc *doc);
/**
 * The card MK as a new key handle: "mk" as AES-128 for cvn "aes" (AES
 * session keys), TDES for every other CVN; or derived from "imk" by
 * "mk_option" (default: the option the cvn names, A for "tdes") over the
 * profile's PAN (or Track 2's) and PSN. Free it with upqr_emv_key_free.
 * UPQR_ENOTFOUND when the text names no key; otherwise as
 * upqr_emv_key_new / upqr_emv_derive_icc_mk.
 */
UPQR_EXTERN int upqr_cpm_profile_doc_key(upqr_emv_key **mk, const upqr_cpm_profile_doc *doc)
		UPQR_WARN_UNUSED;
/** Wipes and frees a doc (NULL is fine). */
UPQR_EXTERN void upqr_cpm_profile_doc_free(upqr_cpm_profile_doc *doc);

#define UPQR_CPM_TXN_VERSION 1u
/* The per-code values. */
typedef struct upqr_cpm_txn {
	unsigned int version;
	int64_t amount;     /* minor units 0..999999999999, or -1: the code carries no amount */
	int un_set;         /* 1: use un; 0: 4 random bytes from OpenSSL's RAND_bytes */
	uint8_t un[4];
	unsigned int year;  /* transaction date 2000..2099; 0 = today (UTC) */
	unsigned int month;
	unsigned int day;
	uint8_t type;       /* '9C', 0x00 purchase */
} upqr_cpm_txn;
#define UPQR_CPM_TXN_INIT { UPQR_CPM_TXN_VERSION, -1, 0, { 0u, 0u, 0u, 0u }, 0u, 0u, 0u, 0u }
UPQR_EXTERN int upqr_cpm_txn_init(upqr_cpm_txn *txn, unsigned int version) UPQR_WARN_UNUSED;

/**
 * Builds a CPM for one code: takes the last used ATC in *atc, computes the
 * ARQC under mk (the card's MK: AES-128 for CVN A2, TDES for every other
 * CVN; derived by the option the CVN names, see upqr/emv.h), and
 * writes the base64 text (NUL-terminated) to out. *written receives its
 * length; out == NULL or a short buffer returns UPQR_EBUFSIZE with the
 * length needed (add 1 for the NUL) and does NOT consume the ATC.
 * On success *atc is the ATC the code carries.
 *
 * Returns UPQR_OK; UPQR_ELIMIT when *atc is 65535 (counter exhausted);
 * UPQR_EINVAL for a profile or txn field out of range (the key's last
 * error names the field); UPQR_EKEY when mk does not fit the CVN;
 * UPQR_EVERSION; UPQR_ECRYPTO. Allocates nothing itself.
 */
UPQR_EXTERN int upqr_cpm_generate(char *out, size_t cap, size_t *written, uint16_t *atc,
		upqr_emv_key *mk, const upqr_cpm_profile *profile, const upqr_cpm_txn *txn) UPQR_WARN_UNUSED;

typedef enum upqr_cpm_key_role {
	UPQR_CPM_KEY_ICC_MK = 0,       /* the key is the card's MK for AC */
	UPQR_CPM_KEY_IMK_OPTION_A = 1, /* the issuer master key; MK by option A */
	UPQR_CPM_KEY_IMK_OPTION_B = 2, /* the issuer master key; MK by option B */
	UPQR_CPM_KEY_IMK = 3           /* the issuer master key; MK by the option the CVN names (A for A1) */
} upqr_cpm_key_role;

/* What the verifier read from the cryptogram data (for replay checks and ARPCs). */
typedef struct upqr_cpm_cryptogram {
	unsigned int cvn;        /* UPQR_EMV_CVN_* id */
	uint8_t dki;
	uint16_t atc;
	uint8_t arqc[UPQR_EMV_AC_LEN];
	uint8_t cid;
} upqr_cpm_cryptogram;

/**
 * Recomputes the ARQC of a decoded CPM under key and compares it in
 * constant time (CRYPTO_memcmp). info may be NULL. This is the ARQC layer
 * only: it covers the per-code data, not the static elements (see above);
 * with the token record at hand, use upqr_cpm_verify_token.
 * The CVN comes from '9F10' (upqr_emv_iad_parse, with the AID as tie
 * breaker); key derivation, session key, padding and input follow it.
 * Returns UPQR_OK (match), UPQR_EMISMATCH (mismatch), UPQR_EUNSUPPORTED
 * (no known IAD layout, or a CVN upqr does not implement, e.g. UnionPay's
 * CVN '01': see upqr/emv.h), UPQR_EINVALID (cpm not valid, or a
 * cryptogram element is missing or has the wrong length, or CID is not
 * '80'), UPQR_EKEY (key type does not fit the CVN; IMK derivation needs
 * TDES; an IMK option other than the one the CVN names),
 * UPQR_ECRYPTO. Details in upqr_emv_key_last_error(key).
 */
UPQR_EXTERN int upqr_cpm_verify(upqr_cpm_cryptogram *info, upqr_emv_key *key, upqr_cpm_key_role role,
		const upqr_cpm *cpm) UPQR_WARN_UNUSED;

/**
 * Verifies a decoded CPM against the issuer's token record (the profile the
 * wallet generates from; only its data fields are read, never a key) and
 * then its ARQC (layers above). Intended for payloads made by
 * upqr_cpm_generate: the record must describe exactly what was emitted.
 * info may be NULL; it is filled only when the record check passed.
 * diags may be NULL; a record mismatch adds one "record_mismatch" error
 * whose path names the element (e.g. "61.9F24"), at the payload offset
 * where it differs. Messages name elements, never values (no PAN).
 * Primitive values are compared in constant time (CRYPTO_memcmp).
 *
 * Returns UPQR_OK (record and ARQC match); UPQR_ERECORD (a static element,
 * or the set, order or placement of the data objects, differs from what
 * the record's token generates; the key's last error names it);
 * UPQR_EMISMATCH (ARQC mismatch); UPQR_EINVAL (NULL argument, or record
 * fails the generator's profile checks: last error names the field);
 * UPQR_EVERSION; otherwise as upqr_cpm_verify. Reentrant; the key handle
 * is used by one thread at a time.
 */
UPQR_EXTERN int upqr_cpm_verify_token(upqr_cpm_cryptogram *info, upqr_emv_key *key, upqr_cpm_key_role role,
		const upqr_cpm_profile *record, const upqr_cpm *cpm, upqr_diag_list *diags) UPQR_WARN_UNUSED;

/**
 * ARPC for the response to a verified CPM, by the code's CVN (upqr/emv.h):
 * the method and key it names (Visa 10, Mastercard 16/17: method 1 under
 * the MK; Mastercard 20/21: method 1 under the AC session key; Visa 18/22:
 * method 2 under the session key; A1: either, under the session key; A2:
 * method 2 with AES-CMAC). method UPQR_EMV_ARPC_METHOD_CVN (0) takes the
 * CVN's (1 for A1); another method than the CVN's is refused
 * (UPQR_EUNSUPPORTED). Method 1: arc (2 bytes), 8-byte ARPC. Method 2:
 * csu (4 bytes) + pad (0..8 bytes), 4-byte ARPC. *written receives the
 * length. Returns as upqr_cpm_verify for the cryptogram data.
 */
UPQR_EXTERN int upqr_cpm_arpc(uint8_t out[UPQR_EMV_ARPC_MAX], size_t *written, upqr_emv_key *key, upqr_cpm_key_role role,
		const upqr_cpm *cpm, int method, const uint8_t *arc_or_csu, const uint8_t *pad,
		size_t pad_len) UPQR_WARN_UNUSED;

/* ---- replay: a caller-owned table of the last ATC per card ------------- */

/*
 * One card: a 16-byte digest (SHA-256 of "PAN/PSN", so the table holds no
 * PAN) and the highest ATC accepted for it.
 */
#define UPQR_CPM_REPLAY_ID_BYTES 16u
UPQR_EXTERN size_t upqr_cpm_replay_id_bytes(void);

typedef struct upqr_cpm_replay_entry {
	uint8_t id[UPQR_CPM_REPLAY_ID_BYTES];
	uint16_t last_atc;
} upqr_cpm_replay_entry;

typedef struct upqr_cpm_replay {
	upqr_cpm_replay_entry *entries;
	size_t capacity;
	size_t count;
} upqr_cpm_replay;

/** Points the table at caller storage, empty. */
UPQR_EXTERN void upqr_cpm_replay_init(upqr_cpm_replay *table, upqr_cpm_replay_entry *storage, size_t cap);

/**
 * Accepts the code's ATC for its card only if it is greater than the last
 * one accepted, and records it. Call it after upqr_cpm_verify matched
 * (a forged code must not advance the counter).
 * Returns UPQR_OK (recorded), UPQR_EREPLAY (ATC not greater), UPQR_ELIMIT
 * (table full, nothing recorded), UPQR_EINVALID (no PAN or ATC).
 */
UPQR_EXTERN int upqr_cpm_replay_check(upqr_cpm_replay *table, const upqr_cpm *cpm) UPQR_WARN_UNUSED;

/**
 * The card key the replay guards use (the first 16 bytes of SHA-256 of
 * "PAN/PSN") and the code's ATC; for persistent guards (upqr/replay.h).
 * Returns UPQR_OK, UPQR_EINVALID (no PAN or ATC), UPQR_EINVAL.
 */
UPQR_EXTERN int upqr_cpm_replay_key(uint8_t id[UPQR_CPM_REPLAY_ID_BYTES], uint16_t *atc, const upqr_cpm *cpm) UPQR_WARN_UNUSED;

/** The same for a PAN (digits), PSN (-1 = none) and ATC the caller already has. */
UPQR_EXTERN int upqr_cpm_replay_check_atc(upqr_cpm_replay *table, const char *pan, size_t pan_len,
		int psn, uint16_t atc) UPQR_WARN_UNUSED;

#ifdef __cplusplus
}
#endif
#endif /* UPQR_CPM_H */
