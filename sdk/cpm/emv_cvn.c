/*
 * emv_cvn.c - what each cryptogram version (CVN) does, which one an IAD
 * carries, its default IAD, and the cryptogram input it defines (table and
 * sources in upqr/emv.h), plus the constants bindings read by name.
 */
#include <string.h>

#include "cpm_crypto.h"

#define A UPQR_EMV_MK_OPTION_A
#define B UPQR_EMV_MK_OPTION_B

/* id, name, supported, MK option, session key, padding, ARPC method, ARPC under MK, IAD length */
static const upqr_emv_cvn_info cvns[] = {
	{ UPQR_EMV_CVN_UPQR_A1, "upqr-a1", 1, 0, UPQR_EMV_SK_COMMON, 2, 1, 0, 7 },
	{ UPQR_EMV_CVN_UPQR_A2, "upqr-a2", 1, 0, UPQR_EMV_SK_AES, 0, 2, 0, 7 },
	{ UPQR_EMV_CVN_VISA_10, "visa-10", 1, A, UPQR_EMV_SK_NONE, 1, 1, 1, 7 },
	{ UPQR_EMV_CVN_VISA_18, "visa-18", 1, B, UPQR_EMV_SK_COMMON, 2, 2, 0, 7 },
	{ UPQR_EMV_CVN_VISA_22, "visa-22", 1, B, UPQR_EMV_SK_COMMON, 2, 2, 0, 32 },
	{ UPQR_EMV_CVN_MC_16, "mastercard-16", 1, A, UPQR_EMV_SK_MASTERCARD, 2, 1, 1, 18 },
	{ UPQR_EMV_CVN_MC_17, "mastercard-17", 1, A, UPQR_EMV_SK_MASTERCARD, 2, 1, 1, 18 },
	{ UPQR_EMV_CVN_MC_20, "mastercard-20", 1, A, UPQR_EMV_SK_COMMON, 2, 1, 0, 18 },
	{ UPQR_EMV_CVN_MC_21, "mastercard-21", 1, A, UPQR_EMV_SK_COMMON, 2, 1, 0, 18 },
	{ UPQR_EMV_CVN_UNIONPAY_01, "unionpay-01", 1, A, UPQR_EMV_SK_PBOC, 2, 1, 0, 8 },
};

#undef A
#undef B

const upqr_emv_cvn_info *upqr_emv_cvns(size_t *count)
{
	if (count)
		*count = UPQR__ARRAY_LEN(cvns);
	return cvns;
}

const upqr_emv_cvn_info *upqr_emv_cvn_lookup(unsigned int id)
{
	for (size_t i = 0; i < UPQR__ARRAY_LEN(cvns); i++)
		if (cvns[i].id == id)
			return &cvns[i];
	return NULL;
}

const upqr_emv_cvn_info *upqr_emv_cvn_by_name(const char *name)
{
	for (size_t i = 0; name && i < UPQR__ARRAY_LEN(cvns); i++)
		if (strcmp(cvns[i].name, name) == 0)
			return &cvns[i];
	return NULL;
}

bool upqr__cvn_supported(unsigned int id)
{
	const upqr_emv_cvn_info *c = upqr_emv_cvn_lookup(id);
	return c && c->supported;
}

/* UnionPay's IAD names its algorithm after the CVR: only 01 (TDES) is implemented, not 04 (SM4). */
bool upqr__cvn_iad_usable(unsigned int id, const uint8_t *iad, size_t len)
{
	if (!upqr__cvn_supported(id))
		return false;
	return UPQR_EMV_CVN_SCHEME(id) != UPQR_EMV_SCHEME_UNIONPAY || (len >= 8 && iad[7] == 0x01);
}

/* ---- which CVN an IAD carries ------------------------------------------- */

static unsigned int rid_scheme(const uint8_t *aid, size_t len)
{
	static const struct { uint8_t rid[5]; unsigned int scheme; } rids[] = {
		{ { 0xA0, 0x00, 0x00, 0x00, 0x03 }, UPQR_EMV_SCHEME_VISA },
		{ { 0xA0, 0x00, 0x00, 0x00, 0x04 }, UPQR_EMV_SCHEME_MASTERCARD },
		{ { 0xA0, 0x00, 0x00, 0x03, 0x33 }, UPQR_EMV_SCHEME_UNIONPAY },
	};
	for (size_t i = 0; aid && len >= 5 && i < UPQR__ARRAY_LEN(rids); i++)
		if (memcmp(aid, rids[i].rid, 5) == 0)
			return rids[i].scheme;
	return UPQR_EMV_SCHEME_UPQR; /* no hint */
}

static bool mc_cvn_byte(uint8_t b)
{
	return b == 0x10 || b == 0x11 || b == 0x14 || b == 0x15;
}

/*
 * upqr's own layout first, whatever the AID (its CVN bytes A1/A2 are no
 * scheme's). A Visa format-0 IAD and a Mastercard one can fit the same
 * bytes: the AID's RID decides, and without one the Visa reading wins (its
 * length byte and CVR length are two fixed bytes).
 */
static unsigned int classify(const uint8_t *v, size_t n, unsigned int hint)
{
	if (n == 7 && v[0] == 0x06 && v[3] == 0x03 && (v[2] == 0xA1 || v[2] == 0xA2))
		return UPQR_EMV_CVN_ID(UPQR_EMV_SCHEME_UPQR, v[2]);
	bool any = hint == UPQR_EMV_SCHEME_UPQR;
	if ((any || hint == UPQR_EMV_SCHEME_VISA) && n >= 7 && v[0] == 0x06 && v[3] == 0x03)
		return UPQR_EMV_CVN_ID(UPQR_EMV_SCHEME_VISA, v[2]);
	if ((any || hint == UPQR_EMV_SCHEME_VISA) && n == 32 && v[0] == 0x1F)
		return UPQR_EMV_CVN_ID(UPQR_EMV_SCHEME_VISA, v[1]);
	if ((any || hint == UPQR_EMV_SCHEME_UNIONPAY) && n >= 8 && v[0] == 0x07 && v[3] == 0x03)
		return UPQR_EMV_CVN_ID(UPQR_EMV_SCHEME_UNIONPAY, v[2]);
	if ((any || hint == UPQR_EMV_SCHEME_MASTERCARD) && n >= 18 && mc_cvn_byte(v[1]))
		return UPQR_EMV_CVN_ID(UPQR_EMV_SCHEME_MASTERCARD, v[1]);
	return 0;
}

int upqr_emv_iad_parse(unsigned int *cvn, uint8_t *dki, const uint8_t *iad, size_t len,
		const uint8_t *aid, size_t aid_len)
{
	if (cvn)
		*cvn = 0;
	if (dki)
		*dki = 0;
	if (!iad || len > UPQR_EMV_IAD_MAX)
		return iad ? UPQR_EUNSUPPORTED : UPQR_EINVAL;
	unsigned int id = classify(iad, len, rid_scheme(aid, aid_len));
	if (id == 0)
		return UPQR_EUNSUPPORTED;
	if (cvn)
		*cvn = id;
	if (dki)
		*dki = UPQR_EMV_CVN_SCHEME(id) == UPQR_EMV_SCHEME_MASTERCARD ? iad[0]
				: iad[0] == 0x1F ? iad[2] : iad[1];
	return UPQR_OK;
}

/* ---- building IADs and cryptogram inputs -------------------------------- */

size_t upqr__cvn_default_iad(uint8_t iad[UPQR_EMV_IAD_MAX], unsigned int id, uint8_t dki, const uint8_t cvr[3])
{
	const upqr_emv_cvn_info *c = upqr_emv_cvn_lookup(id);
	memset(iad, 0, UPQR_EMV_IAD_MAX);
	uint8_t byte = (uint8_t)UPQR_EMV_CVN_BYTE(id);
	switch (UPQR_EMV_CVN_SCHEME(id)) {
	case UPQR_EMV_SCHEME_UNIONPAY:
		/* 07 DKI CVN 03 CVR(3) ALG: algorithm 01 = TDES */
		iad[0] = 0x07;
		iad[1] = dki;
		iad[2] = byte;
		iad[3] = 0x03;
		memcpy(iad + 4, cvr, 3);
		iad[7] = 0x01;
		break;
	case UPQR_EMV_SCHEME_MASTERCARD:
		/* DKI CVN CVR(6) DAC/IDN(2) counters(8): CVR beyond the 3 given bytes is zero. */
		iad[0] = dki;
		iad[1] = byte;
		memcpy(iad + 2, cvr, 3);
		iad[17] = 0xFF; /* counters: amount(6) number(1) then 'FF' (pyemv's description) */
		break;
	default:
		if (id == UPQR_EMV_CVN_VISA_22) {
			iad[0] = 0x1F; /* format 2: 1F CVN DKI CVR(5) IDD(24) */
			iad[1] = byte;
			iad[2] = dki;
			memcpy(iad + 3, cvr, 3);
		} else {
			iad[0] = 0x06; /* upqr and Visa format 0/1: 06 DKI CVN 03 CVR(3) */
			iad[1] = dki;
			iad[2] = byte;
			iad[3] = 0x03;
			memcpy(iad + 4, cvr, 3);
		}
	}
	return c ? c->iad_len : 0;
}

/* Appends n bytes of the IAD from offset off: the part of it the CVN's AC covers. */
static size_t iad_part(uint8_t *out, const upqr__ac_data *a, size_t off, size_t n)
{
	memcpy(out, a->iad + off, n);
	return n;
}

/* The core (33 bytes) and a whole IAD must fit: Visa 18/22 cover all of it. */
_Static_assert(33 + UPQR_EMV_IAD_MAX <= UPQR_EMV_AC_INPUT_MAX, "AC input buffer too small");

size_t upqr__cvn_ac_input(uint8_t in[UPQR_EMV_AC_INPUT_MAX], unsigned int id, const upqr__ac_data *a)
{
	memset(in, 0, UPQR_EMV_AC_INPUT_MAX);
	/* upqr's own layouts mark an absent amount with FF x 6, which no n12 value is. */
	if (a->has_amount)
		memcpy(in + 0, a->amount, 6);
	else if (UPQR_EMV_CVN_SCHEME(id) == UPQR_EMV_SCHEME_UPQR)
		memset(in, 0xFF, 6);
	/* 9F03 (6) stays zero */
	memcpy(in + 12, a->country, 2);
	/* TVR '95' (5) stays zero: no terminal checked anything */
	memcpy(in + 19, a->currency, 2);
	memcpy(in + 21, a->date, 3);
	in[24] = a->type;
	memcpy(in + 25, a->un, 4);
	memcpy(in + 29, a->aip, 2);
	memcpy(in + 31, a->atc, 2);
	size_t n = 33;
	switch (id) {
	case UPQR_EMV_CVN_VISA_18:
	case UPQR_EMV_CVN_VISA_22:
		return n + iad_part(in + n, a, 0, a->iad_len);
	case UPQR_EMV_CVN_MC_17:
	case UPQR_EMV_CVN_MC_21:
		n += iad_part(in + n, a, 2, 6);
		return n + iad_part(in + n, a, 10, 8);
	case UPQR_EMV_CVN_MC_16:
	case UPQR_EMV_CVN_MC_20:
		return n + iad_part(in + n, a, 2, 6);
	default: /* A1, A2, Visa 10, UnionPay 01: the CVR with its length byte */
		return n + iad_part(in + n, a, 3, 4);
	}
}

/* ---- constants by name -------------------------------------------------- */

#define C(name) { #name, (uint32_t)(name) }
static const upqr_emv_constant constants[] = {
	C(UPQR_EMV_KEY_LEN), C(UPQR_EMV_KCV_LEN), C(UPQR_EMV_AC_LEN), C(UPQR_EMV_ARC_LEN),
	C(UPQR_EMV_CSU_LEN), C(UPQR_EMV_PROP_AUTH_MAX), C(UPQR_EMV_ARPC1_LEN), C(UPQR_EMV_ARPC2_LEN),
	C(UPQR_EMV_ARPC_MAX), C(UPQR_EMV_IAD_MAX), C(UPQR_EMV_AC_INPUT_MAX),
	C(UPQR_EMV_PAD_METHOD_1), C(UPQR_EMV_PAD_METHOD_2),
	C(UPQR_EMV_ARPC_METHOD_CVN), C(UPQR_EMV_ARPC_METHOD_1), C(UPQR_EMV_ARPC_METHOD_2),
	C(UPQR_EMV_TAG_AID), C(UPQR_EMV_TAG_LABEL), C(UPQR_EMV_TAG_TRACK2), C(UPQR_EMV_TAG_PAN),
	C(UPQR_EMV_TAG_APP_TEMPLATE), C(UPQR_EMV_TAG_COMMON_TEMPLATE), C(UPQR_EMV_TAG_APP_TRANSPARENT),
	C(UPQR_EMV_TAG_COMMON_TRANSPARENT), C(UPQR_EMV_TAG_AIP), C(UPQR_EMV_TAG_PFI), C(UPQR_EMV_TAG_TVR),
	C(UPQR_EMV_TAG_TXN_DATE), C(UPQR_EMV_TAG_TXN_TYPE), C(UPQR_EMV_TAG_CURRENCY), C(UPQR_EMV_TAG_PSN),
	C(UPQR_EMV_TAG_AMOUNT), C(UPQR_EMV_TAG_AMOUNT_OTHER), C(UPQR_EMV_TAG_APP_VERSION), C(UPQR_EMV_TAG_IAD),
	C(UPQR_EMV_TAG_TRID), C(UPQR_EMV_TAG_COUNTRY), C(UPQR_EMV_TAG_PAR), C(UPQR_EMV_TAG_LAST4),
	C(UPQR_EMV_TAG_AC), C(UPQR_EMV_TAG_CID), C(UPQR_EMV_TAG_ATC), C(UPQR_EMV_TAG_UN),
	C(UPQR_EMV_SCHEME_UPQR), C(UPQR_EMV_SCHEME_VISA), C(UPQR_EMV_SCHEME_MASTERCARD), C(UPQR_EMV_SCHEME_UNIONPAY),
	C(UPQR_EMV_CVN_UPQR_A1), C(UPQR_EMV_CVN_UPQR_A2), C(UPQR_EMV_CVN_VISA_10), C(UPQR_EMV_CVN_VISA_18),
	C(UPQR_EMV_CVN_VISA_22), C(UPQR_EMV_CVN_MC_16), C(UPQR_EMV_CVN_MC_17), C(UPQR_EMV_CVN_MC_20),
	C(UPQR_EMV_CVN_MC_21), C(UPQR_EMV_CVN_UNIONPAY_01),
	C(UPQR_EMV_SK_NONE), C(UPQR_EMV_SK_COMMON), C(UPQR_EMV_SK_MASTERCARD), C(UPQR_EMV_SK_AES),
	C(UPQR_EMV_SK_PBOC),
	C(UPQR_EMV_MK_OPTION_A), C(UPQR_EMV_MK_OPTION_B), C(UPQR_EMV_KEY_TDES), C(UPQR_EMV_KEY_AES128),
	C(UPQR_CPM_CVN_TDES), C(UPQR_CPM_CVN_AES), C(UPQR_CPM_IAD_LEN), C(UPQR_CPM_AC_INPUT_LEN),
	C(UPQR_CPM_KEY_ICC_MK), C(UPQR_CPM_KEY_IMK_OPTION_A), C(UPQR_CPM_KEY_IMK_OPTION_B), C(UPQR_CPM_KEY_IMK),
};
#undef C

const upqr_emv_constant *upqr_emv_constants(size_t *count)
{
	if (count)
		*count = UPQR__ARRAY_LEN(constants);
	return constants;
}

int upqr_emv_constant_get(const char *name, uint32_t *value)
{
	if (!name || !value)
		return UPQR_EINVAL;
	for (size_t i = 0; i < UPQR__ARRAY_LEN(constants); i++)
		if (strcmp(constants[i].name, name) == 0) {
			*value = constants[i].value;
			return UPQR_OK;
		}
	return UPQR_ENOTFOUND;
}
