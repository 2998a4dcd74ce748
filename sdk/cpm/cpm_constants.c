/*
 * cpm_constants.c - the CPM and EMV constants of upqr/cpm.h as functions
 * and as a tag table, so bindings that cannot read C macros get the same
 * values (tests/unit/test_constants.c holds each macro against them).
 */
#include <string.h>

#include "cpm_internal.h"

size_t upqr_emv_key_bytes(void) { return UPQR_EMV_KEY_BYTES; }
size_t upqr_emv_kcv_bytes(void) { return UPQR_EMV_KCV_BYTES; }
size_t upqr_emv_mac_bytes(void) { return UPQR_EMV_MAC_BYTES; }
size_t upqr_emv_cmac_bytes(void) { return UPQR_EMV_CMAC_BYTES; }
size_t upqr_emv_arqc_bytes(void) { return UPQR_EMV_ARQC_BYTES; }
size_t upqr_emv_arc_bytes(void) { return UPQR_EMV_ARC_BYTES; }
size_t upqr_emv_csu_bytes(void) { return UPQR_EMV_CSU_BYTES; }
size_t upqr_emv_arpc_pad_max(void) { return UPQR_EMV_ARPC_PAD_MAX; }
size_t upqr_emv_arpc1_bytes(void) { return UPQR_EMV_ARPC1_BYTES; }
size_t upqr_emv_arpc2_bytes(void) { return UPQR_EMV_ARPC2_BYTES; }
size_t upqr_emv_un_bytes(void) { return UPQR_EMV_UN_BYTES; }
int upqr_emv_mac_pad_1(void) { return UPQR_EMV_MAC_PAD_1; }
int upqr_emv_mac_pad_2(void) { return UPQR_EMV_MAC_PAD_2; }
int upqr_cpm_arpc_method_1(void) { return UPQR_CPM_ARPC_METHOD_1; }
int upqr_cpm_arpc_method_2(void) { return UPQR_CPM_ARPC_METHOD_2; }
unsigned int upqr_cpm_cvn_tdes(void) { return UPQR_CPM_CVN_TDES; }
unsigned int upqr_cpm_cvn_aes(void) { return UPQR_CPM_CVN_AES; }
size_t upqr_cpm_iad_len(void) { return UPQR_CPM_IAD_LEN; }
size_t upqr_cpm_ac_input_len(void) { return UPQR_CPM_AC_INPUT_LEN; }
size_t upqr_cpm_replay_id_bytes(void) { return UPQR_CPM_REPLAY_ID_BYTES; }

/* One row per UPQR_CPM_TAG_* macro; the titles also name elements in record mismatches. */
static const upqr_cpm_tag_info TAGS[] = {
	{ UPQR_CPM_TAG_AID, "aid", "AID" },
	{ UPQR_CPM_TAG_LABEL, "label", "application label" },
	{ UPQR_CPM_TAG_TRACK2, "track2", "track 2 data" },
	{ UPQR_CPM_TAG_PAN, "pan", "application PAN" },
	{ UPQR_CPM_TAG_APP_TEMPLATE, "app_template", "application template" },
	{ UPQR_CPM_TAG_COMMON_TEMPLATE, "common_template", "common data template" },
	{ UPQR_CPM_TAG_APP_TRANSPARENT, "app_transparent", "transparent template" },
	{ UPQR_CPM_TAG_COMMON_TRANSPARENT, "common_transparent", "common transparent template" },
	{ UPQR_CPM_TAG_AIP, "aip", "AIP" },
	{ UPQR_CPM_TAG_PFI, "pfi", "payload format indicator" },
	{ UPQR_CPM_TAG_TXN_DATE, "txn_date", "transaction date" },
	{ UPQR_CPM_TAG_TXN_TYPE, "txn_type", "transaction type" },
	{ UPQR_CPM_TAG_CURRENCY, "currency", "currency" },
	{ UPQR_CPM_TAG_PSN, "psn", "PAN sequence number" },
	{ UPQR_CPM_TAG_AMOUNT, "amount", "amount" },
	{ UPQR_CPM_TAG_APP_VERSION, "app_version", "application version" },
	{ UPQR_CPM_TAG_IAD, "iad", "IAD: DKI, CVN, CVR" },
	{ UPQR_CPM_TAG_TRID, "trid", "token requestor ID" },
	{ UPQR_CPM_TAG_COUNTRY, "country", "country" },
	{ UPQR_CPM_TAG_PAR, "par", "PAR" },
	{ UPQR_CPM_TAG_LAST4, "last4", "last 4 PAN digits" },
	{ UPQR_CPM_TAG_AC, "ac", "application cryptogram" },
	{ UPQR_CPM_TAG_CID, "cid", "CID" },
	{ UPQR_CPM_TAG_ATC, "atc", "ATC" },
	{ UPQR_CPM_TAG_UN, "un", "unpredictable number" },
};

size_t upqr_cpm_tag_count(void)
{
	return UPQR__ARRAY_LEN(TAGS);
}

const upqr_cpm_tag_info *upqr_cpm_tag_at(size_t index)
{
	return index < UPQR__ARRAY_LEN(TAGS) ? &TAGS[index] : NULL;
}

const upqr_cpm_tag_info *upqr_cpm_tag_lookup(uint32_t tag)
{
	for (size_t i = 0; i < UPQR__ARRAY_LEN(TAGS); i++)
		if (TAGS[i].tag == tag)
			return &TAGS[i];
	return NULL;
}

uint32_t upqr_cpm_tag_by_name(const char *name)
{
	for (size_t i = 0; name && i < UPQR__ARRAY_LEN(TAGS); i++)
		if (strcmp(TAGS[i].name, name) == 0)
			return TAGS[i].tag;
	return 0;
}
