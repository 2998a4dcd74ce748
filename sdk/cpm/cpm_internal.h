/*
 * cpm_internal.h - shared by the CPM sources: tags, digit helpers, and the
 * crypto engine used by generation and verification. Not installed.
 */
#ifndef UPQR_CPM_INTERNAL_H
#define UPQR_CPM_INTERNAL_H

#include <stdbool.h>

#include "core/core_internal.h"
#include "upqr/cpm.h"

/* The public tag macros (upqr/emv.h) under the short names the sources use. */
enum {
	UPQR__TAG_AID = UPQR_EMV_TAG_AID,
	UPQR__TAG_LABEL = UPQR_EMV_TAG_LABEL,
	UPQR__TAG_TRACK2 = UPQR_EMV_TAG_TRACK2,
	UPQR__TAG_PAN = UPQR_EMV_TAG_PAN,
	UPQR__TAG_APP_TEMPLATE = UPQR_EMV_TAG_APP_TEMPLATE,
	UPQR__TAG_COMMON_TEMPLATE = UPQR_EMV_TAG_COMMON_TEMPLATE,
	UPQR__TAG_APP_TRANSPARENT = UPQR_EMV_TAG_APP_TRANSPARENT,
	UPQR__TAG_COMMON_TRANSPARENT = UPQR_EMV_TAG_COMMON_TRANSPARENT,
	UPQR__TAG_AIP = UPQR_EMV_TAG_AIP,
	UPQR__TAG_PFI = UPQR_EMV_TAG_PFI,
	UPQR__TAG_TXN_DATE = UPQR_EMV_TAG_TXN_DATE,
	UPQR__TAG_TXN_TYPE = UPQR_EMV_TAG_TXN_TYPE,
	UPQR__TAG_CURRENCY = UPQR_EMV_TAG_CURRENCY,
	UPQR__TAG_PSN = UPQR_EMV_TAG_PSN,
	UPQR__TAG_AMOUNT = UPQR_EMV_TAG_AMOUNT,
	UPQR__TAG_APP_VERSION = UPQR_EMV_TAG_APP_VERSION,
	UPQR__TAG_IAD = UPQR_EMV_TAG_IAD,
	UPQR__TAG_TRID = UPQR_EMV_TAG_TRID,
	UPQR__TAG_COUNTRY = UPQR_EMV_TAG_COUNTRY,
	UPQR__TAG_PAR = UPQR_EMV_TAG_PAR,
	UPQR__TAG_LAST4 = UPQR_EMV_TAG_LAST4,
	UPQR__TAG_AC = UPQR_EMV_TAG_AC,
	UPQR__TAG_CID = UPQR_EMV_TAG_CID,
	UPQR__TAG_ATC = UPQR_EMV_TAG_ATC,
	UPQR__TAG_UN = UPQR_EMV_TAG_UN
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

/* A CVN upqr implements (emv_cvn.c). */
bool upqr__cvn_supported(unsigned int id);
/* Supported, and the IAD's own fields allow it (UnionPay: algorithm 01). */
bool upqr__cvn_iad_usable(unsigned int id, const uint8_t *iad, size_t len);

/* The tag path of nodes[idx] from the top, e.g. "61.63.9F26" (diagnostic paths). */
void upqr__node_path(char out[UPQR_DIAG_PATH_MAX], const upqr_bertlv_node *nodes, uint16_t idx);

#endif /* UPQR_CPM_INTERNAL_H */
