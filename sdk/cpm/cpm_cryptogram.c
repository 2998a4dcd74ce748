/*
 * cpm_cryptogram.c - the ARQC of a CPM (input layout, session key, MAC),
 * shared by generation and verification, plus verification and ARPCs.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "cpm_crypto.h"

static upqr_emv_key_type cvn_key_type(const upqr_emv_cvn_info *c)
{
	return c->session_key == UPQR_EMV_SK_AES ? UPQR_EMV_KEY_AES128 : UPQR_EMV_KEY_TDES;
}

static const upqr_emv_cvn_info *supported(upqr_emv_key *key, unsigned int id)
{
	const upqr_emv_cvn_info *c = upqr_emv_cvn_lookup(id);
	if (!c || !c->supported)
		upqr__key_error(key, "cryptogram version %s is not implemented", c ? c->name : "(unknown)");
	return c && c->supported ? c : NULL;
}

/* The MK option for an IMK role: the one the CVN names; an explicit other one is refused. */
static int mk_option(upqr_emv_key *key, const upqr__card *card, const upqr_emv_cvn_info *c,
		upqr_emv_mk_option *opt)
{
	switch (card->role) {
	case UPQR_CPM_KEY_IMK:
		*opt = c->mk_option ? (upqr_emv_mk_option)c->mk_option : UPQR_EMV_MK_OPTION_A;
		return UPQR_OK;
	case UPQR_CPM_KEY_IMK_OPTION_A:
	case UPQR_CPM_KEY_IMK_OPTION_B:
		*opt = card->role == UPQR_CPM_KEY_IMK_OPTION_A ? UPQR_EMV_MK_OPTION_A : UPQR_EMV_MK_OPTION_B;
		if (c->mk_option && (int)*opt != c->mk_option) {
			upqr__key_error(key, "cryptogram version %s derives the card key by option %c", c->name,
					c->mk_option == UPQR_EMV_MK_OPTION_A ? 'A' : 'B');
			return UPQR_EKEY;
		}
		return UPQR_OK;
	default:
		return UPQR_EINVAL;
	}
}

/*
 * The 16 bytes the MK enciphers into the session key of kind sk (table in
 * upqr/emv.h), or 0 for none (the MK itself):
 *  - EMV CSK: R = ATC || 00 x 6, as R[2] := F0 then R[2] := 0F;
 *  - Mastercard SKD: the same with R = ATC || 00 00 || UN;
 *  - PBOC/UICS: 00 x 6 || ATC then 00 x 6 || (ATC xor FFFF);
 *  - AES: ATC || 00 x 14, one block.
 */
static size_t sk_blocks(uint8_t blk[16], int sk, const upqr__ac_data *a)
{
	uint8_t r[8] = { a->atc[0], a->atc[1], 0, 0, 0, 0, 0, 0 };
	memset(blk, 0, 16);
	switch (sk) {
	case UPQR_EMV_SK_MASTERCARD:
		memcpy(r + 4, a->un, 4);
		upqr__csk_blocks(blk, r);
		return 16;
	case UPQR_EMV_SK_COMMON:
		upqr__csk_blocks(blk, r);
		return 16;
	case UPQR_EMV_SK_PBOC:
		blk[6] = a->atc[0];
		blk[7] = a->atc[1];
		blk[14] = (uint8_t)~a->atc[0];
		blk[15] = (uint8_t)~a->atc[1];
		return 16;
	case UPQR_EMV_SK_AES:
		memcpy(blk, a->atc, 2);
		return 16;
	default:
		return 0;
	}
}

/*
 * The key of kind sk (UPQR_EMV_SK_NONE: the MK itself). With the card's MK
 * in hand the handle's pre-keyed context does the work; from an IMK the MK
 * is derived first and wiped after.
 */
static int derive(uint8_t out[16], upqr_emv_key *key, const upqr__card *card, const upqr_emv_cvn_info *c,
		int sk, const upqr__ac_data *a)
{
	upqr_emv_key_type type = cvn_key_type(c);
	if (key->type != type || (card->role != UPQR_CPM_KEY_ICC_MK && type != UPQR_EMV_KEY_TDES)) {
		upqr__key_error(key, "key type does not fit cryptogram version %s (IMK derivation needs TDES)", c->name);
		return UPQR_EKEY;
	}
	uint8_t blk[16], mk[16];
	size_t n = sk_blocks(blk, sk, a);
	int rc = UPQR_OK;
	if (card->role != UPQR_CPM_KEY_ICC_MK) {
		upqr_emv_mk_option opt;
		rc = mk_option(key, card, c, &opt);
		if (rc == UPQR_OK)
			rc = upqr_emv_derive_icc_mk(mk, key, card->pan, card->pan_len, card->psn, opt);
	}
	const uint8_t *from = card->role == UPQR_CPM_KEY_ICC_MK ? NULL : mk;
	if (rc == UPQR_OK && n == 0)
		memcpy(out, from ? from : key->key, 16);
	else if (rc == UPQR_OK)
		rc = upqr__sk_from_blocks(key, out, type, from, blk);
	OPENSSL_cleanse(mk, sizeof mk);
	OPENSSL_cleanse(blk, sizeof blk);
	return rc;
}

/* The only per-code values a session key reads: ATC and UN. */
static void session_data(upqr__ac_data *a, const uint8_t atc[2], const uint8_t un[4])
{
	memset(a, 0, sizeof *a);
	memcpy(a->atc, atc, 2);
	memcpy(a->un, un, 4);
}

int upqr_emv_derive_cvn_session_key(uint8_t sk[16], upqr_emv_key *mk, unsigned int cvn, const uint8_t atc[2],
		const uint8_t un[4])
{
	if (!sk || !upqr__key_ok(mk) || !atc || !un)
		return UPQR_EINVAL;
	const upqr_emv_cvn_info *c = supported(mk, cvn);
	if (!c)
		return UPQR_EUNSUPPORTED;
	upqr__ac_data a;
	session_data(&a, atc, un);
	upqr__card card = { UPQR_CPM_KEY_ICC_MK, NULL, 0, -1 };
	return derive(sk, mk, &card, c, c->session_key, &a);
}

/* The AC over in[0..n) under session key sk, by the CVN's MAC, on engine's cached objects. */
static int mac_over(uint8_t ac[8], upqr_emv_key *engine, const upqr_emv_cvn_info *c, const uint8_t sk[16],
		const uint8_t *in, size_t n)
{
	uint8_t mac[16];
	int rc = c->session_key == UPQR_EMV_SK_AES ? upqr__cmac(engine, mac, sk, in, n)
			: upqr__mac_alg3(engine, mac, sk, 16, c->padding, in, n);
	if (rc == UPQR_OK)
		memcpy(ac, mac, 8);
	OPENSSL_cleanse(mac, sizeof mac);
	return rc;
}

static int ac_under(uint8_t ac[8], upqr_emv_key *engine, const upqr_emv_cvn_info *c, const uint8_t sk[16],
		const upqr__ac_data *a)
{
	uint8_t in[UPQR_EMV_AC_INPUT_MAX];
	size_t n = upqr__cvn_ac_input(in, c->id, a);
	int rc = mac_over(ac, engine, c, sk, in, n);
	OPENSSL_cleanse(in, sizeof in);
	return rc;
}

/* Session key, then the MAC over the caller's input: the two public ARQC entry points. */
static int arqc_over(uint8_t ac[8], upqr_emv_key *key, const upqr__card *card, unsigned int cvn,
		const uint8_t atc[2], const uint8_t un[4], const uint8_t *input, size_t len)
{
	const upqr_emv_cvn_info *c = supported(key, cvn);
	if (!c)
		return UPQR_EUNSUPPORTED;
	upqr__ac_data a;
	session_data(&a, atc, un);
	uint8_t sk[16];
	int rc = derive(sk, key, card, c, c->session_key, &a);
	if (rc == UPQR_OK)
		rc = mac_over(ac, key, c, sk, input, len);
	OPENSSL_cleanse(sk, sizeof sk);
	return rc;
}

int upqr_emv_arqc(uint8_t ac[8], upqr_emv_key *mk, unsigned int cvn, const uint8_t atc[2],
		const uint8_t un[4], const uint8_t *input, size_t len)
{
	if (!ac || !upqr__key_ok(mk) || !atc || !un || (!input && len))
		return UPQR_EINVAL;
	upqr__card card = { UPQR_CPM_KEY_ICC_MK, NULL, 0, -1 };
	return arqc_over(ac, mk, &card, cvn, atc, un, input, len);
}

int upqr_emv_arqc_imk(uint8_t ac[8], upqr_emv_key *imk, const char *pan, size_t pan_len, int psn,
		unsigned int cvn, const uint8_t atc[2], const uint8_t un[4], const uint8_t *input, size_t len)
{
	if (!ac || !upqr__key_ok(imk) || !pan || !atc || !un || (!input && len))
		return UPQR_EINVAL;
	upqr__card card = { UPQR_CPM_KEY_IMK, pan, pan_len, psn };
	return arqc_over(ac, imk, &card, cvn, atc, un, input, len);
}

int upqr__cpm_ac(uint8_t ac[8], upqr_emv_key *key, const upqr__card *card, unsigned int id,
		const upqr__ac_data *a)
{
	const upqr_emv_cvn_info *c = supported(key, id);
	if (!c)
		return UPQR_EUNSUPPORTED;
	uint8_t sk[16];
	int rc = derive(sk, key, card, c, c->session_key, a);
	if (rc == UPQR_OK)
		rc = ac_under(ac, key, c, sk, a);
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
/* The data objects the cryptogram needs, in the order of read_crypto's table. */
enum { F_IAD, F_AC, F_CID, F_ATC, F_UN, F_AIP, F_AMOUNT, F_COUNTRY, F_CURRENCY, F_DATE, F_TYPE, F_COUNT };
static const uint32_t wanted[F_COUNT] = {
	UPQR__TAG_IAD, UPQR__TAG_AC, UPQR__TAG_CID, UPQR__TAG_ATC, UPQR__TAG_UN, UPQR__TAG_AIP,
	UPQR__TAG_AMOUNT, UPQR__TAG_COUNTRY, UPQR__TAG_CURRENCY, UPQR__TAG_TXN_DATE, UPQR__TAG_TXN_TYPE,
};

static int field_of(uint32_t tag)
{
	switch (tag) {
	case UPQR__TAG_IAD: return F_IAD;
	case UPQR__TAG_AC: return F_AC;
	case UPQR__TAG_CID: return F_CID;
	case UPQR__TAG_ATC: return F_ATC;
	case UPQR__TAG_UN: return F_UN;
	case UPQR__TAG_AIP: return F_AIP;
	case UPQR__TAG_AMOUNT: return F_AMOUNT;
	case UPQR__TAG_COUNTRY: return F_COUNTRY;
	case UPQR__TAG_CURRENCY: return F_CURRENCY;
	case UPQR__TAG_TXN_DATE: return F_DATE;
	case UPQR__TAG_TXN_TYPE: return F_TYPE;
	default: return -1;
	}
}

/*
 * All of them in one walk over the selected '61', then '62', then the
 * transparent template, the first occurrence winning: what upqr_cpm_find
 * returns for each, at a fraction of eleven separate lookups (the
 * verifier's hot path).
 */
static void gather(const upqr_cpm *cpm, upqr_cpm_bytes found[F_COUNT])
{
	memset(found, 0, F_COUNT * sizeof *found);
	const uint16_t parents[3] = { cpm->app[cpm->selected], cpm->common, cpm->transparent };
	for (size_t k = 0; k < 3; k++) {
		if (parents[k] >= cpm->node_count)
			continue;
		for (uint16_t i = cpm->nodes[parents[k]].first_child; i < cpm->node_count; i = cpm->nodes[i].next) {
			int f = field_of(cpm->nodes[i].tag);
			if (f >= 0 && !found[f].ptr && upqr_cpm_node_value(&found[f], cpm, i) != UPQR_OK)
				found[f] = (upqr_cpm_bytes){ NULL, 0 }; /* stays absent */
		}
	}
}

/* Copies a found value of exactly n bytes; only an optional one (present != NULL) may be absent. */
static int take(upqr_emv_key *key, const upqr_cpm_bytes *b, uint32_t tag, uint8_t *out, size_t n, bool *present)
{
	if (!b->ptr) {
		if (present)
			return UPQR_OK;
		upqr__key_error(key, "cryptogram data '%X' is missing", (unsigned int)tag);
		return UPQR_EINVALID;
	}
	if (b->len != n) {
		upqr__key_error(key, "cryptogram data '%X' has %zu bytes, not %zu", (unsigned int)tag, b->len, n);
		return UPQR_EINVALID;
	}
	memcpy(out, b->ptr, n);
	if (present)
		*present = true;
	return UPQR_OK;
}

static int read_iad(upqr_emv_key *key, const upqr_cpm *cpm, const upqr_cpm_bytes *iad, crypto_data *d)
{
	if (!iad->ptr) {
		upqr__key_error(key, "no issuer application data '9F10': cryptogram version unknown");
		return UPQR_EINVALID;
	}
	unsigned int id = 0;
	upqr_cpm_bytes aid;
	if (upqr_cpm_node_value(&aid, cpm, cpm->aid_node) != UPQR_OK)
		aid = (upqr_cpm_bytes){ NULL, 0 }; /* absent: the IAD alone decides */
	if (upqr_emv_iad_parse(&id, &d->info.dki, iad->ptr, iad->len, aid.ptr, aid.len) != UPQR_OK) {
		upqr__key_error(key, "unsupported cryptogram version (no known IAD layout of %zu bytes)", iad->len);
		return UPQR_EUNSUPPORTED;
	}
	d->info.cvn = id;
	if (!supported(key, id))
		return UPQR_EUNSUPPORTED;
	if (!upqr__cvn_iad_usable(id, iad->ptr, iad->len)) {
		upqr__key_error(key, "cryptogram version %s with algorithm %02X is not implemented (only 01, TDES)",
				upqr_emv_cvn_lookup(id)->name, iad->ptr[7]);
		return UPQR_EUNSUPPORTED;
	}
	memcpy(d->ac.iad, iad->ptr, iad->len);
	d->ac.iad_len = iad->len;
	return UPQR_OK;
}

/* The cryptogram data of cpm; the PAN only when the key is an IMK (role), which needs it. */
static int read_crypto(upqr_emv_key *key, const upqr_cpm *cpm, upqr_cpm_key_role role, crypto_data *d)
{
	memset(d, 0, sizeof *d);
	if (!cpm->valid || cpm->selected < 0) {
		upqr__key_error(key, "the payload is not a valid CPM");
		return UPQR_EINVALID;
	}
	upqr_cpm_bytes v[F_COUNT];
	gather(cpm, v);
	int rc = read_iad(key, cpm, &v[F_IAD], d);
	/* Only the amount may be absent: were the others optional, deleting e.g. a '9C' of 00 would change nothing. */
	const struct { uint8_t *out; size_t n; bool *present; } f[F_COUNT] = {
		[F_AC] = { d->info.arqc, 8, NULL }, [F_CID] = { &d->info.cid, 1, NULL },
		[F_ATC] = { d->ac.atc, 2, NULL }, [F_UN] = { d->ac.un, 4, NULL }, [F_AIP] = { d->ac.aip, 2, NULL },
		[F_AMOUNT] = { d->ac.amount, 6, &d->ac.has_amount }, [F_COUNTRY] = { d->ac.country, 2, NULL },
		[F_CURRENCY] = { d->ac.currency, 2, NULL }, [F_DATE] = { d->ac.date, 3, NULL },
		[F_TYPE] = { &d->ac.type, 1, NULL },
	};
	for (size_t i = F_AC; rc == UPQR_OK && i < F_COUNT; i++) {
		rc = take(key, &v[i], wanted[i], f[i].out, f[i].n, f[i].present);
		if (rc == UPQR_OK && i == F_CID && d->info.cid != 0x80) {
			upqr__key_error(key, "CID %02X is not an ARQC (80)", d->info.cid);
			rc = UPQR_EINVALID;
		}
	}
	d->info.atc = (uint16_t)(d->ac.atc[0] << 8 | d->ac.atc[1]);
	if (rc == UPQR_OK && role != UPQR_CPM_KEY_ICC_MK &&
			upqr_cpm_pan(d->pan, sizeof d->pan, &d->pan_len, cpm) != UPQR_OK) {
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
	int rc = read_crypto(key, cpm, role, &d);
	if (info)
		*info = d.info;
	upqr__card card = { role, d.pan, d.pan_len, cpm->psn };
	if (rc == UPQR_OK)
		rc = upqr__cpm_ac(ac, key, &card, d.info.cvn, &d.ac);
	if (rc == UPQR_OK && CRYPTO_memcmp(ac, d.info.arqc, 8) != 0) {
		upqr__key_error(key, "ARQC mismatch");
		rc = UPQR_EMISMATCH;
	}
	OPENSSL_cleanse(&d, sizeof d);
	OPENSSL_cleanse(ac, sizeof ac);
	return rc;
}

/* The method the CVN names; A1 allows both. */
static int arpc_method(upqr_emv_key *key, const upqr_emv_cvn_info *c, int method)
{
	if (method == UPQR_EMV_ARPC_METHOD_CVN || method == c->arpc_method ||
			(c->id == UPQR_EMV_CVN_UPQR_A1 && method == UPQR_EMV_ARPC_METHOD_2))
		return method == UPQR_EMV_ARPC_METHOD_CVN ? c->arpc_method : method;
	upqr__key_error(key, "cryptogram version %s answers with ARPC method %d", c->name, c->arpc_method);
	return -1;
}

static int arpc_under(uint8_t out[8], size_t *written, upqr_emv_key *key, const upqr__card *card,
		const crypto_data *d, int method, const uint8_t *arc_or_csu, const uint8_t *pad, size_t pad_len)
{
	const upqr_emv_cvn_info *c = supported(key, d->info.cvn);
	int m = c ? arpc_method(key, c, method) : -1;
	if (m < 0)
		return UPQR_EUNSUPPORTED;
	if (m == UPQR_EMV_ARPC_METHOD_1 && pad_len) {
		upqr__key_error(key, "ARPC method 1 takes no proprietary data");
		return UPQR_EINVAL;
	}
	uint8_t k[16];
	int rc = derive(k, key, card, c, c->arpc_under_mk ? UPQR_EMV_SK_NONE : c->session_key, &d->ac);
	if (rc == UPQR_OK && m == UPQR_EMV_ARPC_METHOD_2) {
		*written = UPQR_EMV_ARPC2_LEN;
		rc = upqr__arpc2(key, out, cvn_key_type(c), k, d->info.arqc, arc_or_csu, pad, pad_len);
	} else if (rc == UPQR_OK) {
		uint8_t x[8];
		memcpy(x, d->info.arqc, 8);
		x[0] ^= arc_or_csu[0];
		x[1] ^= arc_or_csu[1];
		*written = UPQR_EMV_ARPC1_LEN;
		rc = upqr__des_ecb(key, out, k, 16, 1, x, 8);
	}
	OPENSSL_cleanse(k, sizeof k);
	return rc;
}

int upqr_cpm_arpc(uint8_t out[8], size_t *written, upqr_emv_key *key, upqr_cpm_key_role role,
		const upqr_cpm *cpm, int method, const uint8_t *arc_or_csu, const uint8_t *pad, size_t pad_len)
{
	UPQR__OPTIONAL_WRITTEN(written);
	if (!out || !upqr__key_ok(key) || !cpm || !arc_or_csu ||
			method < UPQR_EMV_ARPC_METHOD_CVN || method > UPQR_EMV_ARPC_METHOD_2 ||
			pad_len > UPQR_EMV_PROP_AUTH_MAX || (!pad && pad_len) || (method == UPQR_EMV_ARPC_METHOD_1 && pad_len))
		return UPQR_EINVAL;
	*written = 0;
	crypto_data d;
	int rc = read_crypto(key, cpm, role, &d);
	upqr__card card = { role, d.pan, d.pan_len, cpm->psn };
	if (rc == UPQR_OK)
		rc = arpc_under(out, written, key, &card, &d, method, arc_or_csu, pad, pad_len);
	if (rc != UPQR_OK)
		*written = 0;
	OPENSSL_cleanse(&d, sizeof d);
	return rc;
}
