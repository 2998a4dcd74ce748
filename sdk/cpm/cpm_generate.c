/*
 * cpm_generate.c - the wallet side: a token profile plus per-code values
 * become a CPM carrying an ARQC (layout in upqr/cpm.h). Everything is built
 * in fixed stack buffers, which are wiped: they hold the PAN and keys.
 */
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "cpm_crypto.h"

size_t upqr_cpm_generated_max(void)
{
	return UPQR_CPM_GENERATED_MAX;
}

int upqr_cpm_profile_init(upqr_cpm_profile *profile, unsigned int version)
{
	if (!profile)
		return UPQR_EINVAL;
	if (version != UPQR_CPM_PROFILE_VERSION)
		return UPQR_EVERSION;
	const upqr_cpm_profile def = UPQR_CPM_PROFILE_INIT;
	*profile = def;
	return UPQR_OK;
}

int upqr_cpm_txn_init(upqr_cpm_txn *txn, unsigned int version)
{
	if (!txn)
		return UPQR_EINVAL;
	if (version != UPQR_CPM_TXN_VERSION)
		return UPQR_EVERSION;
	const upqr_cpm_txn def = UPQR_CPM_TXN_INIT;
	*txn = def;
	return UPQR_OK;
}

/* ---- TLV writing -------------------------------------------------------- */

static void put_tag(upqr__buf *b, uint32_t tag)
{
	if (tag > 0xFFFF)
		upqr__buf_putc(b, (uint8_t)(tag >> 16));
	if (tag > 0xFF)
		upqr__buf_putc(b, (uint8_t)(tag >> 8));
	upqr__buf_putc(b, (uint8_t)tag);
}

/* Tag, minimal BER length, value. */
static void put_tlv(upqr__buf *b, uint32_t tag, const void *v, size_t n)
{
	put_tag(b, tag);
	if (n > 0xFF) {
		upqr__buf_putc(b, 0x82);
		upqr__buf_putc(b, (uint8_t)(n >> 8));
	} else if (n > 0x7F) {
		upqr__buf_putc(b, 0x81);
	}
	upqr__buf_putc(b, (uint8_t)n);
	upqr__buf_put(b, v, n);
}

/* Right-justified BCD of v in n bytes (n12 amount, n3 codes). */
static void bcd(uint8_t *out, size_t n, uint64_t v)
{
	for (size_t i = n; i-- > 0;) {
		out[i] = (uint8_t)(v % 10);
		v /= 10;
		out[i] |= (uint8_t)((v % 10) << 4);
		v /= 10;
	}
}

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* Digits as BCD nibbles, 'F'-padded to a whole byte. */
static size_t pack_nibbles(uint8_t *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n + (n & 1); i++) {
		unsigned int x = i < n ? (unsigned int)(s[i] == 'D' ? 0xD : s[i] - '0') : 0xF;
		if (i & 1)
			out[i / 2] |= (uint8_t)x;
		else
			out[i / 2] = (uint8_t)(x << 4);
	}
	return (n + 1) / 2;
}

/* ---- profile checks ----------------------------------------------------- */

typedef upqr__cpm_gen gen;

static int bad(gen *g, const char *field)
{
	upqr__key_error(g->key, "profile or code value out of range: %s", field);
	return UPQR_EINVAL;
}

static bool track2_ok(const char *s, size_t n, size_t *pan_len)
{
	const char *d = memchr(s, 'D', n);
	if (!d)
		return false;
	size_t p = (size_t)(d - s), tail = n - p - 1;
	if (p < 12 || p > UPQR_CPM_PAN_MAX || tail < 7 || n > 38 || !all_digits(s, p) || !all_digits(d + 1, tail))
		return false;
	int month = (d[3] - '0') * 10 + (d[4] - '0');
	*pan_len = p;
	return month >= 1 && month <= 12;
}

static int make_track2(gen *g, const upqr_cpm_profile *p)
{
	if (!p->pan == !p->track2)
		return bad(g, "exactly one of pan and track2");
	if (p->track2) {
		size_t n = strlen(p->track2);
		if (n && p->track2[n - 1] == 'F')
			n--;
		if (n >= sizeof g->t2)
			return bad(g, "track2");
		memcpy(g->t2, p->track2, n);
		g->t2_len = n;
	} else {
		const char *svc = p->service_code ? p->service_code : "201";
		const char *disc = p->discretionary ? p->discretionary : "";
		size_t np = strlen(p->pan), ns = strlen(svc), nd = strlen(disc);
		if (!p->expiry || strlen(p->expiry) != 4 || ns != 3 || np + 8 + nd >= sizeof g->t2)
			return bad(g, "pan/expiry/service_code/discretionary");
		memcpy(g->t2, p->pan, np);
		g->t2[np] = 'D';
		memcpy(g->t2 + np + 1, p->expiry, 4);
		memcpy(g->t2 + np + 5, svc, 3);
		memcpy(g->t2 + np + 8, disc, nd);
		g->t2_len = np + 8 + nd;
	}
	return track2_ok(g->t2, g->t2_len, &g->pan_len) ? UPQR_OK : bad(g, "track 2 data");
}

static bool text_ok(const char *s, size_t min, size_t max, bool digits_only, bool upper_alnum)
{
	size_t n = strlen(s);
	if (n < min || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		bool digit = s[i] >= '0' && s[i] <= '9';
		if (digits_only && !digit)
			return false;
		if (upper_alnum && !digit && !(s[i] >= 'A' && s[i] <= 'Z'))
			return false;
		if (s[i] < 0x20 || s[i] > 0x7E)
			return false;
	}
	return true;
}

/* The IAD the profile sends, from profile.iad or upqr's default for the CVN. */
static size_t profile_iad(uint8_t iad[UPQR_EMV_IAD_MAX], const upqr_cpm_profile *p)
{
	if (!p->iad)
		return upqr__cvn_default_iad(iad, p->cvn, p->dki, p->cvr);
	memset(iad, 0, UPQR_EMV_IAD_MAX);
	memcpy(iad, p->iad, p->iad_len);
	return p->iad_len;
}

/*
 * A given IAD only for scheme CVNs, and whatever IAD is sent must read back
 * as the profile's CVN (with the AID as tie breaker), or the verifier
 * would take it for another one.
 */
static bool iad_ok(const upqr_cpm_profile *p)
{
	if (p->iad && (UPQR_EMV_CVN_SCHEME(p->cvn) == UPQR_EMV_SCHEME_UPQR || p->iad_len > UPQR_EMV_IAD_MAX))
		return false;
	uint8_t iad[UPQR_EMV_IAD_MAX];
	size_t n = profile_iad(iad, p);
	unsigned int id = 0;
	return upqr_emv_iad_parse(&id, NULL, iad, n, p->aid, p->aid_len) == UPQR_OK && id == p->cvn;
}

int upqr__cpm_check_profile(gen *g, const upqr_cpm_profile *p)
{
	if (!p->aid || p->aid_len < 5 || p->aid_len > UPQR_CPM_AID_MAX)
		return bad(g, "aid");
	if (p->label && !text_ok(p->label, 1, 16, false, false))
		return bad(g, "label");
	if (p->psn < -1 || p->psn > 99)
		return bad(g, "psn");
	if (p->app_version < -1 || p->app_version > 0xFFFF)
		return bad(g, "app_version");
	if (p->token_requestor_id && !text_ok(p->token_requestor_id, 11, 11, true, false))
		return bad(g, "token_requestor_id");
	if (p->par && !text_ok(p->par, 29, 29, false, true))
		return bad(g, "par");
	if (p->last4 && !text_ok(p->last4, 4, 4, true, false))
		return bad(g, "last4");
	if (p->currency > 999 || p->country > 999)
		return bad(g, "currency/country");
	if (!upqr__cvn_supported(p->cvn))
		return bad(g, "cvn");
	if (!iad_ok(p))
		return bad(g, "iad (its layout must name the profile's cvn, for this AID)");
	if (p->pan && !all_digits(p->pan, strlen(p->pan)))
		return bad(g, "pan");
	return make_track2(g, p);
}

static int check_txn(gen *g, const upqr_cpm_txn *t)
{
	if (t->amount < -1 || t->amount > 999999999999LL)
		return bad(g, "amount");
	unsigned int y = t->year, m = t->month, d = t->day;
	if (y == 0) {
		time_t now = time(NULL);
		struct tm tm;
		if (!gmtime_r(&now, &tm))
			return bad(g, "date");
		y = (unsigned int)tm.tm_year + 1900;
		m = (unsigned int)tm.tm_mon + 1;
		d = (unsigned int)tm.tm_mday;
	}
	static const uint8_t mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (y < 2000 || y > 2099 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1] ||
			(m == 2 && d == 29 && y % 4 != 0))
		return bad(g, "date");
	bcd(g->date, 3, (uint64_t)(y % 100) * 10000 + m * 100 + d);
	if (t->un_set)
		memcpy(g->un, t->un, 4);
	else if (RAND_bytes(g->un, 4) != 1)
		return UPQR_ECRYPTO;
	return UPQR_OK;
}

/* ---- building ----------------------------------------------------------- */

void upqr__cpm_static_ac(upqr__ac_data *a, const upqr_cpm_profile *p)
{
	bcd(a->country, 2, p->country);
	bcd(a->currency, 2, p->currency);
	memcpy(a->aip, p->aip, 2);
	a->iad_len = profile_iad(a->iad, p);
}

static void fill_ac_data(gen *g, const upqr_cpm_profile *p, const upqr_cpm_txn *t, uint16_t atc)
{
	upqr__ac_data *a = &g->ac;
	memset(a, 0, sizeof *a);
	a->has_amount = t->amount >= 0;
	if (a->has_amount)
		bcd(a->amount, 6, (uint64_t)t->amount);
	upqr__cpm_static_ac(a, p);
	memcpy(a->date, g->date, 3);
	a->type = t->type;
	memcpy(a->un, g->un, 4);
	a->atc[0] = (uint8_t)(atc >> 8);
	a->atc[1] = (uint8_t)atc;
}

/* The '63' template's content around the AC given. */
static void build_transparent(const gen *g, upqr__buf *b, const uint8_t ac[8])
{
	const upqr__ac_data *a = &g->ac;
	uint8_t cid = 0x80;
	put_tlv(b, UPQR__TAG_AC, ac, 8);
	put_tlv(b, UPQR__TAG_CID, &cid, 1);
	put_tlv(b, UPQR__TAG_IAD, a->iad, a->iad_len);
	put_tlv(b, UPQR__TAG_ATC, a->atc, 2);
	put_tlv(b, UPQR__TAG_AIP, a->aip, 2);
	put_tlv(b, UPQR__TAG_UN, a->un, 4);
	if (a->has_amount)
		put_tlv(b, UPQR__TAG_AMOUNT, a->amount, 6);
	put_tlv(b, UPQR__TAG_CURRENCY, a->currency, 2);
	put_tlv(b, UPQR__TAG_COUNTRY, a->country, 2);
	put_tlv(b, UPQR__TAG_TXN_DATE, a->date, 3);
	put_tlv(b, UPQR__TAG_TXN_TYPE, &a->type, 1);
}

static void build_card_data(const gen *g, upqr__buf *b, const upqr_cpm_profile *p)
{
	uint8_t v[20];
	put_tlv(b, UPQR__TAG_AID, p->aid, p->aid_len);
	if (p->label)
		put_tlv(b, UPQR__TAG_LABEL, p->label, strlen(p->label));
	put_tlv(b, UPQR__TAG_TRACK2, v, pack_nibbles(v, g->t2, g->t2_len));
	if (p->psn >= 0) {
		bcd(v, 1, (uint64_t)p->psn);
		put_tlv(b, UPQR__TAG_PSN, v, 1);
	}
	if (p->app_version >= 0) {
		v[0] = (uint8_t)(p->app_version >> 8);
		v[1] = (uint8_t)p->app_version;
		put_tlv(b, UPQR__TAG_APP_VERSION, v, 2);
	}
	if (p->token_requestor_id) {
		/* n11 in 6 bytes: one leading zero digit. */
		char trid[12];
		trid[0] = '0';
		memcpy(trid + 1, p->token_requestor_id, 11);
		put_tlv(b, UPQR__TAG_TRID, v, pack_nibbles(v, trid, 12));
	}
	if (p->par)
		put_tlv(b, UPQR__TAG_PAR, p->par, 29);
	if (p->last4)
		put_tlv(b, UPQR__TAG_LAST4, v, pack_nibbles(v, p->last4, 4));
	upqr_memzero(v, sizeof v);
}

int upqr__cpm_build(upqr__buf *out, const gen *g, const upqr_cpm_profile *p, const uint8_t ac[8])
{
	uint8_t tt[128], app[UPQR__CPM_GEN_BIN_MAX];
	upqr__buf bt, ba;
	upqr__buf_init(&bt, tt, sizeof tt);
	upqr__buf_init(&ba, app, sizeof app);
	build_transparent(g, &bt, ac);
	build_card_data(g, &ba, p);
	put_tlv(&ba, UPQR__TAG_APP_TRANSPARENT, tt, bt.len);
	put_tlv(out, UPQR__TAG_PFI, "CPV01", 5);
	put_tlv(out, UPQR__TAG_APP_TEMPLATE, app, ba.len);
	int rc = upqr__buf_fits(&bt) && upqr__buf_fits(&ba) && upqr__buf_fits(out) ? UPQR_OK : UPQR_EINTERNAL;
	upqr_memzero(app, sizeof app);
	upqr_memzero(tt, sizeof tt);
	return rc;
}

/* The ARQC over the values in g->ac, then the payload around it. */
static int build(gen *g, upqr__buf *out, const upqr_cpm_profile *p)
{
	const upqr__ac_data *a = &g->ac;
	uint8_t ac[8];
	upqr__card card = { UPQR_CPM_KEY_ICC_MK, g->t2, g->pan_len, p->psn };
	int rc = upqr__cpm_ac(ac, g->key, &card, p->cvn, a);
	if (rc == UPQR_OK)
		rc = upqr__cpm_build(out, g, p, ac);
	upqr_memzero(ac, sizeof ac);
	return rc;
}

static int check_args(size_t *written, uint16_t *atc, upqr_emv_key *mk, const upqr_cpm_profile *p,
		const upqr_cpm_txn *t)
{
	if (!atc || !upqr__key_ok(mk) || !p || !t)
		return UPQR_EINVAL;
	*written = 0;
	if (p->version != UPQR_CPM_PROFILE_VERSION || t->version != UPQR_CPM_TXN_VERSION)
		return UPQR_EVERSION;
	if (*atc == 0xFFFF) {
		upqr__key_error(mk, "ATC exhausted (65535 used): the token must be re-provisioned");
		return UPQR_ELIMIT;
	}
	const upqr_emv_cvn_info *c = upqr_emv_cvn_lookup(p->cvn);
	upqr_emv_key_type want = c && c->session_key == UPQR_EMV_SK_AES ? UPQR_EMV_KEY_AES128 : UPQR_EMV_KEY_TDES;
	if (mk->type != want) {
		upqr__key_error(mk, "the key type does not fit the profile's cryptogram version");
		return UPQR_EKEY;
	}
	return UPQR_OK;
}

int upqr_cpm_generate(char *out, size_t cap, size_t *written, uint16_t *atc, upqr_emv_key *mk,
		const upqr_cpm_profile *p, const upqr_cpm_txn *t)
{
	UPQR__OPTIONAL_WRITTEN(written);
	int rc = check_args(written, atc, mk, p, t);
	if (rc != UPQR_OK)
		return rc;
	gen g;
	memset(&g, 0, sizeof g);
	g.key = mk;
	uint16_t next = (uint16_t)(*atc + 1);
	uint8_t bin[UPQR__CPM_GEN_BIN_MAX];
	upqr__buf b;
	upqr__buf_init(&b, bin, sizeof bin);
	rc = upqr__cpm_check_profile(&g, p);
	if (rc == UPQR_OK)
		rc = check_txn(&g, t);
	if (rc == UPQR_OK) {
		fill_ac_data(&g, p, t, next);
		rc = build(&g, &b, p);
	}
	if (rc == UPQR_OK) {
		rc = upqr_base64_encode(out, cap, written, bin, b.len);
		if (rc == UPQR_OK)
			*atc = next;
	}
	upqr_memzero(bin, sizeof bin);
	upqr_memzero(&g, sizeof g);
	return rc;
}
