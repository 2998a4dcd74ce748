/*
 * cpm_internal.h - shared by the CPM sources: tags, digit helpers, and the
 * crypto engine used by generation and verification. Not installed.
 */
#ifndef UPQR_CPM_INTERNAL_H
#define UPQR_CPM_INTERNAL_H

#include <stdbool.h>

#include "core/core_internal.h"
#include "upqr/cpm.h"

enum {
	UPQR__TAG_AID = 0x4F,
	UPQR__TAG_LABEL = 0x50,
	UPQR__TAG_TRACK2 = 0x57,
	UPQR__TAG_PAN = 0x5A,
	UPQR__TAG_APP_TEMPLATE = 0x61,
	UPQR__TAG_COMMON_TEMPLATE = 0x62,
	UPQR__TAG_APP_TRANSPARENT = 0x63,
	UPQR__TAG_COMMON_TRANSPARENT = 0x64,
	UPQR__TAG_AIP = 0x82,
	UPQR__TAG_PFI = 0x85,
	UPQR__TAG_TXN_DATE = 0x9A,
	UPQR__TAG_TXN_TYPE = 0x9C,
	UPQR__TAG_CURRENCY = 0x5F2A,
	UPQR__TAG_PSN = 0x5F34,
	UPQR__TAG_AMOUNT = 0x9F02,
	UPQR__TAG_APP_VERSION = 0x9F08,
	UPQR__TAG_IAD = 0x9F10,
	UPQR__TAG_TRID = 0x9F19,
	UPQR__TAG_COUNTRY = 0x9F1A,
	UPQR__TAG_PAR = 0x9F24,
	UPQR__TAG_LAST4 = 0x9F25,
	UPQR__TAG_AC = 0x9F26,
	UPQR__TAG_CID = 0x9F27,
	UPQR__TAG_ATC = 0x9F36,
	UPQR__TAG_UN = 0x9F37
};

/* Nibble i (0 = high nibble of byte 0) of v. */
static inline unsigned int upqr__nibble(const uint8_t *v, size_t i)
{
	return (v[i / 2] >> ((i & 1) ? 0 : 4)) & 0x0F;
}

/*
 * Extracts the PAN digits of a '57' (track2 = true: up to the 'D'
 * separator) or '5A' (up to 'F' padding) value into out (NUL-terminated).
 * Returns the digit count, or 0 when the value holds no well-formed PAN.
 */
size_t upqr__pan_digits(char out[UPQR_CPM_PAN_MAX + 1], const uint8_t *v, size_t len, bool track2);

/* The tag path of nodes[idx] from the top, e.g. "61.63.9F26" (diagnostic paths). */
void upqr__node_path(char out[UPQR_DIAG_PATH_MAX], const upqr_bertlv_node *nodes, uint16_t idx);

#endif /* UPQR_CPM_INTERNAL_H */
