/*
 * upqr/bertlv.h - the BER-TLV reader (EMV Book 3 Annex B) that CPM decoding
 * is built on, usable on its own for any EMV TLV data.
 *
 * Thread-safety: every function here is reentrant; the only state is in
 * caller-owned arrays.
 */
#ifndef UPQR_BERTLV_H
#define UPQR_BERTLV_H

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
 * The reader never reads outside data[0..len) and never allocates. Nodes
 * hold offsets, not pointers: a node array can be copied (memcpy) freely,
 * and a node's value is data + value_offset in whatever buffer was parsed
 * (upqr_bertlv_value()).
 */

#define UPQR_BERTLV_NONE 0xFFFFu      /* "no node" in parent/child/next links */
#define UPQR_BERTLV_DEPTH_MAX 8u      /* deepest nesting accepted (top level = depth 0) */
#define UPQR_BERTLV_TAG_BYTES_MAX 4u
#define UPQR_BERTLV_NODES_MAX 0xFFFEu /* node indexes are 16-bit */
UPQR_EXTERN unsigned int upqr_bertlv_depth_max(void);
UPQR_EXTERN unsigned int upqr_bertlv_tag_bytes_max(void);
UPQR_EXTERN size_t upqr_bertlv_nodes_max(void);
UPQR_EXTERN uint16_t upqr_bertlv_none(void);

/*
 * One data object. Nodes are stored in document (pre-order) order; the
 * tree is linked through indexes into the same array.
 */
typedef struct upqr_bertlv_node {
	uint32_t tag;            /* the tag bytes big-endian: '9F26' is 0x9F26 */
	size_t value_offset;     /* offset of the value in the parsed buffer (= offset + header_len) */
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
UPQR_EXTERN int upqr_bertlv_options_init(upqr_bertlv_options *opts, unsigned int version) UPQR_WARN_UNUSED;

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

/**
 * The value bytes of `node` in data, the buffer that was parsed:
 * data + node->value_offset. NULL when either argument is NULL.
 */
UPQR_EXTERN const uint8_t *upqr_bertlv_value(const uint8_t *data, const upqr_bertlv_node *node);

#ifdef __cplusplus
}
#endif
#endif /* UPQR_BERTLV_H */
