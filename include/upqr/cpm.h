/*
 * upqr/cpm.h - EMVCo consumer-presented mode (CPM): the code a wallet shows
 * and the merchant scans. Reading (base64 -> BER-TLV -> reader rules -> AID
 * selection -> Track 2), and the BER-TLV reader it is built on.
 *
 * Thread-safety: every function here is reentrant; the only state is in
 * caller-owned structs, which one thread uses at a time.
 */
#ifndef UPQR_CPM_H
#define UPQR_CPM_H

#include <stddef.h>
#include <stdint.h>

#include "upqr/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================
 * BER-TLV (EMV Book 3 Annex B)
 * ======================================================================
 *
 * What is accepted, exactly:
 * - Tags of 1 to 4 bytes: a first byte whose low five bits are all ones is
 *   followed by bytes with b8 = 1 while more follow. A first byte of '00'
 *   is rejected: Annex B lets '00' filler sit between objects in card
 *   records, but a CPM is built fresh, and accepting filler would give one
 *   payload many encodings.
 * - Lengths in the short form ('00'..'7F'), or the long form '81 xx'
 *   (xx >= '80') or '82 xx xx' (>= '0100'). EMV length fields are at most
 *   three bytes, so '83' and longer are rejected (tlv_length_too_long);
 *   '80' (BER indefinite length, which EMV does not use) is rejected
 *   (tlv_length_indefinite); a long form that a shorter form could express
 *   is rejected (tlv_length_nonminimal), so each structure has exactly one
 *   encoding.
 * - Constructed objects (b6 of the first tag byte set) are parsed
 *   recursively up to a nesting depth limit; a child that runs past its
 *   parent's end is an error (tlv_truncated).
 * - "Opaque" tags (for the CPM: the transparent templates '63' and '64')
 *   are constructed but their content belongs to the issuer: it is parsed
 *   into children when it is well-formed, and otherwise kept as plain
 *   bytes with a warning (tlv_opaque_content), never an error.
 *
 * The reader never reads outside data[0..len), never allocates, and its
 * results are views into data.
 */

#define UPQR_BERTLV_NONE 0xFFFFu      /* "no node" in parent/child/next links */
#define UPQR_BERTLV_DEPTH_MAX 8u      /* deepest nesting accepted (top level = depth 0) */
#define UPQR_BERTLV_TAG_BYTES_MAX 4u
#define UPQR_BERTLV_NODES_MAX 0xFFFEu /* node indexes are 16-bit */
UPQR_EXTERN unsigned int upqr_bertlv_depth_max(void);
UPQR_EXTERN unsigned int upqr_bertlv_tag_bytes_max(void);

/*
 * One data object. Nodes are stored in document (pre-order) order; the
 * tree is linked through indexes into the same array.
 */
typedef struct upqr_bertlv_node {
	uint32_t tag;            /* the tag bytes big-endian: '9F26' is 0x9F26 */
	const uint8_t *value;    /* view into the parsed buffer */
	size_t length;           /* value length in bytes */
	size_t offset;           /* offset of the first tag byte in the parsed buffer */
	uint16_t parent;         /* UPQR_BERTLV_NONE at the top level */
	uint16_t first_child;    /* UPQR_BERTLV_NONE for primitives and empty templates */
	uint16_t next;           /* next sibling, or UPQR_BERTLV_NONE */
	uint8_t tag_len;         /* 1..4 */
	uint8_t header_len;      /* tag + length bytes: the object spans [offset, offset + header_len + length) */
	uint8_t depth;           /* 0 at the top level */
	uint8_t constructed;     /* 1 when b6 of the first tag byte is set */
	uint8_t opaque;          /* 1 for an opaque tag (its children, if any, were parsed leniently) */
	uint8_t reserved;
} upqr_bertlv_node;

#define UPQR_BERTLV_OPTIONS_VERSION 1u
typedef struct upqr_bertlv_options {
	unsigned int version;
	unsigned int max_depth;        /* 1..UPQR_BERTLV_DEPTH_MAX; 0 means UPQR_BERTLV_DEPTH_MAX */
	const uint32_t *opaque_tags;   /* constructed tags whose content is kept even if malformed */
	size_t opaque_count;
} upqr_bertlv_options;
#define UPQR_BERTLV_OPTIONS_INIT { UPQR_BERTLV_OPTIONS_VERSION, 0u, NULL, 0u }
/** Fills opts with the defaults of `version`; UPQR_EVERSION for an unknown one. */
UPQR_EXTERN int upqr_bertlv_options_init(upqr_bertlv_options *opts, unsigned int version);

/**
 * Parses data[0..len) as a sequence of BER-TLV objects into nodes[0..cap).
 * *count receives the nodes stored. opts may be NULL (defaults), diags may
 * be NULL. Diagnostic offsets are byte offsets into data; paths are the
 * tags from the top, e.g. "61.63.9F26".
 *
 * Returns UPQR_OK; UPQR_ETLV for malformed input (see diags: tlv_truncated,
 * tlv_tag_invalid, tlv_tag_too_long, tlv_length_indefinite,
 * tlv_length_nonminimal, tlv_length_too_long, tlv_too_deep); UPQR_ELIMIT
 * when more than cap (or UPQR_BERTLV_NODES_MAX) objects are present
 * (tlv_too_many_objects); UPQR_EINVAL / UPQR_EVERSION for bad arguments.
 * No allocation; reentrant.
 */
UPQR_EXTERN int upqr_bertlv_parse(upqr_bertlv_node *nodes, size_t cap, size_t *count,
		const upqr_bertlv_options *opts, const uint8_t *data, size_t len,
		upqr_diag_list *diags) UPQR_WARN_UNUSED;

/**
 * Index of the first child of `parent` (UPQR_BERTLV_NONE: the top level)
 * with that tag, or UPQR_BERTLV_NONE.
 */
UPQR_EXTERN uint16_t upqr_bertlv_find(const upqr_bertlv_node *nodes, size_t count,
		uint16_t parent, uint32_t tag);

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
UPQR_EXTERN int upqr_cpm_options_init(upqr_cpm_options *opts, unsigned int version);

/*
 * A decoded CPM. Large (about 8 KiB) and self-contained: the decoded bytes
 * live in `binary` and every view points into it, so do NOT copy the
 * struct by value (the copy's views would point into the original).
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

	/* fields of the selected template (and '62'), views into binary */
	upqr_cpm_bytes aid;     /* '4F' */
	const char *aid_name;   /* built-in name such as "UnionPay Debit", or NULL */
	upqr_cpm_bytes label;   /* '50' */
	uint16_t track2_node;   /* '57' used, or NONE */
	uint16_t pan_node;      /* '5A' used, or NONE */
	size_t pan_len;         /* PAN digits, 0 if none */
	char pan_masked[UPQR_CPM_PAN_MAX + 1];  /* e.g. "626360******3672" */
	int pan_luhn_ok;
	char expiry[5];         /* YYMM from Track 2, "" if absent */
	char service_code[4];   /* from Track 2, "" if absent */
	char discretionary[UPQR_CPM_DISCRETIONARY_MAX + 1];
	int psn;                /* '5F34' as a number 0..99, -1 if absent */
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
 * '62', then the transparent template. UPQR_OK with the view in *out,
 * or UPQR_ENOTFOUND (out->ptr = NULL).
 */
UPQR_EXTERN int upqr_cpm_find(upqr_cpm_bytes *out, const upqr_cpm *cpm, uint32_t tag);

/**
 * The FULL PAN as digits (NUL-terminated) - call this only when the full
 * value is really needed; every other output is masked. *written gets the
 * digit count; short buffer -> UPQR_EBUFSIZE (needs *written + 1).
 * UPQR_ENOTFOUND when the payload has no PAN.
 */
UPQR_EXTERN int upqr_cpm_pan(char *out, size_t cap, size_t *written, const upqr_cpm *cpm);

/**
 * The binary payload as upper-case hex (NUL-terminated), with the PAN
 * digits of every '57' and '5A' beyond the first 6 and last 4 replaced by
 * '*'. The hex of node i starts at out + 2 * nodes[i].offset.
 * *written gets 2 * binary_len; short buffer -> UPQR_EBUFSIZE.
 */
UPQR_EXTERN int upqr_cpm_hex_masked(char *out, size_t cap, size_t *written, const upqr_cpm *cpm);

#ifdef __cplusplus
}
#endif
#endif /* UPQR_CPM_H */
