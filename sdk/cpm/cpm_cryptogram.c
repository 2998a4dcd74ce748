/*
 * cpm_cryptogram.c - the ARQC of a CPM (input layout, session key, MAC),
 * shared by generation and verification, plus verification and ARPCs.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "cpm_crypto.h"

static void ac_input(uint8_t in[UPQR_CPM_AC_INPUT_LEN], const upqr__ac_data *a)
{
	memset(in, 0, UPQR_CPM_AC_INPUT_LEN);
	memcpy(in + 0, a->amount, 6);   /* 9F02; 9F03 stays zero */
	memcpy(in + 12, a->country, 2); /* 9F1A; TVR stays zero */
	memcpy(in + 19, a->currency, 2);
	memcpy(in + 21, a->date, 3);
	in[24] = a->type;
	memcpy(in + 25, a->un, 4);
	memcpy(in + 29, a->aip, 2);
	memcpy(in + 31, a->atc, 2);
	memcpy(in + 33, a->cvr, 4);
}

static upqr_emv_key_type cvn_key_type(unsigned int cvn)
{
	return cvn == UPQR_CPM_CVN_AES ? UPQR_EMV_KEY_AES128 : UPQR_EMV_KEY_TDES;
}

int upqr__cpm_session_key(uint8_t sk[16], upqr_emv_key *key, upqr_cpm_key_role role, unsigned int cvn,
		const char *pan, size_t pan_len, int psn, uint16_t atc)
{
	upqr_emv_key_type type = cvn_key_type(cvn);
	uint8_t r[16] = { (uint8_t)(atc >> 8), (uint8_t)atc };
	size_t r_len = type == UPQR_EMV_KEY_TDES ? 8 : 16;
	if (key->type != type || (role != UPQR_CPM_KEY_ICC_MK && type != UPQR_EMV_KEY_TDES)) {
		upqr__key_error(key, "key type does not fit cryptogram version %02X (IMK derivation needs TDES)", cvn);
		return UPQR_EKEY;
	}
	if (role == UPQR_CPM_KEY_ICC_MK)
		return upqr_emv_derive_session_key(sk, key, r, r_len);
	if (role != UPQR_CPM_KEY_IMK_OPTION_A && role != UPQR_CPM_KEY_IMK_OPTION_B)
		return UPQR_EINVAL;
	uint8_t mk[16];
	int rc = upqr_emv_derive_icc_mk(mk, key, pan, pan_len, psn,
			role == UPQR_CPM_KEY_IMK_OPTION_A ? UPQR_EMV_MK_OPTION_A : UPQR_EMV_MK_OPTION_B);
	if (rc == UPQR_OK)
		rc = upqr__session_key_raw(key, sk, type, mk, r, r_len);
	OPENSSL_cleanse(mk, sizeof mk);
	return rc;
}

static int ac_under(uint8_t ac[8], upqr_emv_key *engine, unsigned int cvn, const uint8_t sk[16],
		const upqr__ac_data *a)
{
	uint8_t in[UPQR_CPM_AC_INPUT_LEN], mac[16];
	ac_input(in, a);
	int rc = cvn == UPQR_CPM_CVN_AES ? upqr__cmac(engine, mac, sk, in, sizeof in)
			: upqr__mac_alg3(engine, mac, sk, 16, 2, in, sizeof in);
	if (rc == UPQR_OK)
		memcpy(ac, mac, 8);
	OPENSSL_cleanse(mac, sizeof mac);
	return rc;
}

int upqr__cpm_ac(uint8_t ac[8], upqr_emv_key *key, upqr_cpm_key_role role, unsigned int cvn,
		const char *pan, size_t pan_len, int psn, uint16_t atc, const upqr__ac_data *a)
{
	uint8_t sk[16];
	int rc = upqr__cpm_session_key(sk, key, role, cvn, pan, pan_len, psn, atc);
	if (rc == UPQR_OK)
		rc = ac_under(ac, key, cvn, sk, a);
	OPENSSL_cleanse(sk, sizeof sk);
	return rc;
}

/* ---- reading the cryptogram data of a decoded CPM ----------------------- */

typedef struct crypto_data {
	upqr_cpm_cryptogram info;
	upqr__ac_data ac;
	char pan[UPQR_CPM_PAN_MAX + 1];
	size_t pan_len;
} crypto_data;

/*
 * Copies tag's value into out when present with exactly n bytes. Only the
 * amount may be absent (a code without an amount): were the others
 * optional, deleting e.g. a '9C' of 00 would leave the input unchanged.
 */
static int take(upqr_emv_key *key, const upqr_cpm *cpm, uint32_t tag, uint8_t *out, size_t n, bool required)
{
	upqr_cpm_bytes b;
	if (upqr_cpm_find(&b, cpm, tag) != UPQR_OK) {
		if (!required)
			return UPQR_OK;
		upqr__key_error(key, "cryptogram data '%X' is missing", (unsigned int)tag);
		return UPQR_EINVALID;
	}
	if (b.len != n) {
		upqr__key_error(key, "cryptogram data '%X' has %zu bytes, not %zu", (unsigned int)tag, b.len, n);
		return UPQR_EINVALID;
	}
	memcpy(out, b.ptr, n);
	return UPQR_OK;
}

static int read_iad(upqr_emv_key *key, const upqr_cpm *cpm, crypto_data *d)
{
	upqr_cpm_bytes iad;
	if (upqr_cpm_find(&iad, cpm, UPQR__TAG_IAD) != UPQR_OK) {
		upqr__key_error(key, "no issuer application data '9F10': cryptogram version unknown");
		return UPQR_EINVALID;
	}
	if (iad.len != UPQR_CPM_IAD_LEN || iad.ptr[0] != 0x06 || iad.ptr[3] != 0x03 ||
			(iad.ptr[2] != UPQR_CPM_CVN_TDES && iad.ptr[2] != UPQR_CPM_CVN_AES)) {
		upqr__key_error(key, "unsupported cryptogram version (IAD of %zu bytes, CVN %02X)", iad.len,
				iad.len > 2 ? iad.ptr[2] : 0u);
		return UPQR_EUNSUPPORTED;
	}
	d->info.dki = iad.ptr[1];
	d->info.cvn = iad.ptr[2];
	memcpy(d->ac.cvr, iad.ptr + 3, 4);
	return UPQR_OK;
}

static int read_crypto(upqr_emv_key *key, const upqr_cpm *cpm, crypto_data *d)
{
	memset(d, 0, sizeof *d);
	if (!cpm->valid) {
		upqr__key_error(key, "the payload is not a valid CPM");
		return UPQR_EINVALID;
	}
	int rc = read_iad(key, cpm, d);
	if (rc == UPQR_OK)
		rc = take(key, cpm, UPQR__TAG_AC, d->info.arqc, 8, true);
	if (rc == UPQR_OK)
		rc = take(key, cpm, UPQR__TAG_CID, &d->info.cid, 1, true);
	if (rc == UPQR_OK && d->info.cid != 0x80) {
		upqr__key_error(key, "CID %02X is not an ARQC (80)", d->info.cid);
		rc = UPQR_EINVALID;
	}
	const struct { uint32_t tag; uint8_t *out; size_t n; bool req; } f[] = {
		{ UPQR__TAG_ATC, d->ac.atc, 2, true }, { UPQR__TAG_UN, d->ac.un, 4, true },
		{ UPQR__TAG_AIP, d->ac.aip, 2, true }, { UPQR__TAG_AMOUNT, d->ac.amount, 6, false },
		{ UPQR__TAG_COUNTRY, d->ac.country, 2, true }, { UPQR__TAG_CURRENCY, d->ac.currency, 2, true },
		{ UPQR__TAG_TXN_DATE, d->ac.date, 3, true }, { UPQR__TAG_TXN_TYPE, &d->ac.type, 1, true },
	};
	for (size_t i = 0; rc == UPQR_OK && i < UPQR__ARRAY_LEN(f); i++)
		rc = take(key, cpm, f[i].tag, f[i].out, f[i].n, f[i].req);
	d->info.atc = (uint16_t)(d->ac.atc[0] << 8 | d->ac.atc[1]);
	if (rc == UPQR_OK && upqr_cpm_pan(d->pan, sizeof d->pan, &d->pan_len, cpm) != UPQR_OK) {
		upqr__key_error(key, "no PAN");
		rc = UPQR_EINVALID;
	}
	return rc;
}

/* ---- verification and ARPC ---------------------------------------------- */

int upqr_cpm_verify(upqr_cpm_cryptogram *info, upqr_emv_key *key, upqr_cpm_key_role role, const upqr_cpm *cpm)
{
	if (!upqr__key_ok(key) || !cpm)
		return UPQR_EINVAL;
	crypto_data d;
	uint8_t ac[8];
	int rc = read_crypto(key, cpm, &d);
	if (info)
		*info = d.info;
	if (rc == UPQR_OK)
		rc = upqr__cpm_ac(ac, key, role, d.info.cvn, d.pan, d.pan_len, cpm->psn, d.info.atc, &d.ac);
	if (rc == UPQR_OK && CRYPTO_memcmp(ac, d.info.arqc, 8) != 0) {
		upqr__key_error(key, "ARQC mismatch");
		rc = UPQR_EMISMATCH;
	}
	OPENSSL_cleanse(&d, sizeof d);
	OPENSSL_cleanse(ac, sizeof ac);
	return rc;
}

static int arpc_under(uint8_t out[8], size_t *written, upqr_emv_key *key, const crypto_data *d,
		const uint8_t sk[16], int method, const uint8_t *arc_or_csu, const uint8_t *pad, size_t pad_len)
{
	if (method == 2) {
		*written = 4;
		return upqr__arpc2(key, out, cvn_key_type(d->info.cvn), sk, d->info.arqc, arc_or_csu, pad, pad_len);
	}
	if (d->info.cvn == UPQR_CPM_CVN_AES) {
		upqr__key_error(key, "ARPC method 1 is defined for TDES only");
		return UPQR_EUNSUPPORTED;
	}
	uint8_t x[8];
	memcpy(x, d->info.arqc, 8);
	x[0] ^= arc_or_csu[0];
	x[1] ^= arc_or_csu[1];
	*written = 8;
	return upqr__des_ecb(key, out, sk, 16, 1, x, 8);
}

int upqr_cpm_arpc(uint8_t out[8], size_t *written, upqr_emv_key *key, upqr_cpm_key_role role,
		const upqr_cpm *cpm, int method, const uint8_t *arc_or_csu, const uint8_t *pad, size_t pad_len)
{
	UPQR__OPTIONAL_WRITTEN(written);
	if (!out || !upqr__key_ok(key) || !cpm || !arc_or_csu ||
			(method != UPQR_CPM_ARPC_METHOD_1 && method != UPQR_CPM_ARPC_METHOD_2) ||
			pad_len > UPQR_EMV_ARPC_PAD_MAX || (!pad && pad_len) || (method == UPQR_CPM_ARPC_METHOD_1 && pad_len))
		return UPQR_EINVAL;
	*written = 0;
	crypto_data d;
	uint8_t sk[16];
	int rc = read_crypto(key, cpm, &d);
	if (rc == UPQR_OK)
		rc = upqr__cpm_session_key(sk, key, role, d.info.cvn, d.pan, d.pan_len, cpm->psn, d.info.atc);
	if (rc == UPQR_OK)
		rc = arpc_under(out, written, key, &d, sk, method, arc_or_csu, pad, pad_len);
	OPENSSL_cleanse(&d, sizeof d);
	OPENSSL_cleanse(sk, sizeof sk);
	return rc;
}
