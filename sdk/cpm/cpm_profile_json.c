/*
 * cpm_profile_json.c - the token-profile JSON (upqr/cpm.h, docs/cpm.md)
 * read by the library, so the CLI, apps and bindings share one reader.
 *
 * A small strict parser rather than a JSON library: the document is one flat
 * object of strings and integers, every allocation must go through the
 * allocator hook (jansson's hook is process-global), and key material must
 * be wiped, which a general parser's hidden copies would not allow.
 * Refused: duplicate or unknown members, nested values, fractions,
 * exponents, true/false/null, control characters, lone surrogates.
 */
#include <string.h>

#include "cpm_internal.h"

#define DOC_MAGIC 0x43504A44u /* "CPJD" */

enum { F_AID, F_LABEL, F_PAN, F_EXPIRY, F_SERVICE, F_DISCRETIONARY, F_TRACK2, F_PSN,
	F_APP_VERSION, F_TRID, F_PAR, F_LAST4, F_AIP, F_CURRENCY, F_COUNTRY, F_CVN, F_DKI,
	F_CVR, F_IAD, F_MK, F_IMK, F_MK_OPTION, F_COUNT };

/* Member names, and whether each is an integer (else a string). */
static const struct { const char *name; bool integer; } members[F_COUNT] = {
	{ "aid", false }, { "label", false }, { "pan", false }, { "expiry", false },
	{ "service_code", false }, { "discretionary", false }, { "track2", false },
	{ "psn", true }, { "app_version", false }, { "token_requestor_id", false },
	{ "par", false }, { "last4", false }, { "aip", false }, { "currency", true },
	{ "country", true }, { "cvn", false }, { "dki", true }, { "cvr", false },
	{ "iad", false }, { "mk", false }, { "imk", false }, { "mk_option", false },
};

struct upqr_cpm_profile_doc {
	uint32_t magic;
	upqr_cpm_profile profile;
	uint8_t aid[UPQR_CPM_AID_MAX];
	uint8_t iad[UPQR_EMV_IAD_MAX];  /* "iad": the card's own '9F10' (scheme CVNs) */
	uint8_t key[16];                /* "mk" or "imk", decoded */
	int key_kind;                   /* 0 none, F_MK or F_IMK */
	upqr_emv_mk_option mk_option;
	char *text;                     /* the document; strings are unescaped in place */
	size_t text_len;
};

typedef struct jp {
	char *s;
	size_t len, pos;
	upqr_diag_list *diags;
	const char *str[F_COUNT];
	long long num[F_COUNT];
	bool seen[F_COUNT];
} jp;

static int fail(jp *p, const char *code, const char *path, const char *msg)
{
	upqr__diag_add(p->diags, UPQR_SEV_ERROR, code, p->pos, path, "%s", msg);
	return UPQR_EINVALID;
}

static void skip_ws(jp *p)
{
	while (p->pos < p->len && strchr(" \t\r\n", p->s[p->pos]) && p->s[p->pos])
		p->pos++;
}

static bool take(jp *p, char c)
{
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == c) {
		p->pos++;
		return true;
	}
	return false;
}

/* Four hex digits of a \u escape; -1 when not hex. */
static long hex4(const char *s)
{
	long v = 0;
	for (int i = 0; i < 4; i++) {
		int d = upqr__hexval((unsigned char)s[i]);
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* Appends code point u (BMP, no surrogate) as UTF-8 at s + *w. */
static void put_utf8(char *s, size_t *w, long u)
{
	if (u < 0x80) {
		s[(*w)++] = (char)u;
	} else if (u < 0x800) {
		s[(*w)++] = (char)(0xC0 | (u >> 6));
		s[(*w)++] = (char)(0x80 | (u & 0x3F));
	} else {
		s[(*w)++] = (char)(0xE0 | (u >> 12));
		s[(*w)++] = (char)(0x80 | ((u >> 6) & 0x3F));
		s[(*w)++] = (char)(0x80 | (u & 0x3F));
	}
}

/* One escape after the backslash at p->pos; writes its character at s + *w. */
static bool escape(jp *p, size_t *w)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	char c = ++p->pos < p->len ? p->s[p->pos] : 0;
	const char *k = c ? strchr(from, c) : NULL;
	if (k) {
		p->s[(*w)++] = to[k - from];
		p->pos++;
		return true;
	}
	long u = c == 'u' && p->pos + 4 < p->len ? hex4(p->s + p->pos + 1) : -1;
	if (u < 0 || (u >= 0xD800 && u <= 0xDFFF) || u == 0)
		return false;
	put_utf8(p->s, w, u); /* 6 characters in, at most 3 bytes out: never overtakes */
	p->pos += 5;
	return true;
}

/* A string at p->pos, unescaped in place and NUL-terminated; NULL when malformed. */
static const char *string(jp *p)
{
	if (!take(p, '"'))
		return NULL;
	size_t start = p->pos, w = p->pos;
	while (p->pos < p->len) {
		unsigned char c = (unsigned char)p->s[p->pos];
		if (c == '"') {
			p->s[w] = 0;
			p->pos++;
			return p->s + start;
		}
		if (c < 0x20)
			return NULL;
		if (c == '\\') {
			if (!escape(p, &w))
				return NULL;
			continue;
		}
		p->s[w++] = (char)c;
		p->pos++;
	}
	return NULL;
}

/* -?(0|[1-9][0-9]{0,17}): no fraction, no exponent. */
static bool integer(jp *p, long long *out)
{
	skip_ws(p);
	bool neg = p->pos < p->len && p->s[p->pos] == '-';
	size_t at = p->pos + neg, n = 0;
	long long v = 0;
	while (at + n < p->len && p->s[at + n] >= '0' && p->s[at + n] <= '9' && n < 19)
		v = v * 10 + (p->s[at + n++] - '0');
	if (n == 0 || n > 18 || (n > 1 && p->s[at] == '0'))
		return false;
	if (at + n < p->len && strchr(".eE0123456789", p->s[at + n]) && p->s[at + n])
		return false;
	p->pos = at + n;
	*out = neg ? -v : v;
	return true;
}

static int member(jp *p)
{
	skip_ws(p);
	size_t key_at = p->pos;
	const char *key = string(p);
	if (!key)
		return fail(p, "profile_json", "", "expected a member name in double quotes");
	int f = 0;
	while (f < F_COUNT && strcmp(members[f].name, key) != 0)
		f++;
	if (f == F_COUNT) {
		upqr__diag_add(p->diags, UPQR_SEV_ERROR, "profile_unknown_field", key_at, key,
			"unknown profile field '%s'", key);
		return UPQR_EINVALID;
	}
	if (p->seen[f]) {
		upqr__diag_add(p->diags, UPQR_SEV_ERROR, "profile_duplicate_field", key_at, key,
			"profile field '%s' given twice", key);
		return UPQR_EINVALID;
	}
	p->seen[f] = true;
	if (!take(p, ':'))
		return fail(p, "profile_json", key, "expected ':'");
	bool ok = members[f].integer ? integer(p, &p->num[f]) : (p->str[f] = string(p)) != NULL;
	if (!ok)
		return fail(p, "profile_bad_value", members[f].name, members[f].integer ?
			"must be an integer" : "must be a string");
	return UPQR_OK;
}

static int object(jp *p)
{
	if (!take(p, '{'))
		return fail(p, "profile_json", "", "the profile must be a JSON object");
	if (!take(p, '}')) {
		do {
			int rc = member(p);
			if (rc != UPQR_OK)
				return rc;
		} while (take(p, ','));
		if (!take(p, '}'))
			return fail(p, "profile_json", "", "expected ',' or '}'");
	}
	skip_ws(p);
	return p->pos == p->len ? UPQR_OK : fail(p, "profile_json", "", "text after the object");
}

/* ---- from members to the profile --------------------------------------------- */

/* Hex of exactly n bytes (or 1..cap bytes when n == 0) into out; false when not. */
static bool hex_field(const jp *p, int f, uint8_t *out, size_t n, size_t cap, size_t *got)
{
	size_t len = strlen(p->str[f]);
	if (len % 2 || (n ? len != 2 * n : (len == 0 || len > 2 * cap)))
		return false;
	if (got)
		*got = len / 2;
	return upqr__hex_parse(out, len / 2, p->str[f], len);
}

static int numbers(jp *p, upqr_cpm_profile *pr)
{
	static const struct { int f; long long max; } range[] = {
		{ F_PSN, 99 }, { F_CURRENCY, 999 }, { F_COUNTRY, 999 }, { F_DKI, 255 } };
	for (size_t i = 0; i < UPQR__ARRAY_LEN(range); i++)
		if (p->seen[range[i].f] && (p->num[range[i].f] < 0 || p->num[range[i].f] > range[i].max)) {
			upqr__diag_add(p->diags, UPQR_SEV_ERROR, "profile_bad_value", 0,
				members[range[i].f].name, "must be 0..%lld", range[i].max);
			return UPQR_EINVALID;
		}
	if (p->seen[F_PSN])
		pr->psn = (int)p->num[F_PSN];
	if (p->seen[F_CURRENCY])
		pr->currency = (unsigned int)p->num[F_CURRENCY];
	if (p->seen[F_COUNTRY])
		pr->country = (unsigned int)p->num[F_COUNTRY];
	pr->dki = (uint8_t)p->num[F_DKI];
	return UPQR_OK;
}

/*
 * "tdes" and "aes" (the default "tdes") are the closed-loop CVNs A1 and A2 by
 * their first names; every CVN upqr implements answers to its upqr/emv.h
 * name as well. NULL for anything else, recognised-but-unimplemented ones too.
 */
static const upqr_emv_cvn_info *cvn_named(const char *s)
{
	const upqr_emv_cvn_info *c = upqr_emv_cvn_by_name(!s || !strcmp(s, "tdes") ? "upqr-a1" :
		!strcmp(s, "aes") ? "upqr-a2" : s);
	return c && c->supported ? c : NULL;
}

static int hex_fields(jp *p, upqr_cpm_profile_doc *d)
{
	upqr_cpm_profile *pr = &d->profile;
	uint8_t b[2];
	const char *bad = NULL;
	if (p->seen[F_AID] && !hex_field(p, F_AID, d->aid, 0, sizeof d->aid, &pr->aid_len))
		bad = "aid";
	if (p->seen[F_APP_VERSION] && !hex_field(p, F_APP_VERSION, b, 2, 2, NULL))
		bad = "app_version";
	else if (p->seen[F_APP_VERSION])
		pr->app_version = (long)(b[0] << 8 | b[1]);
	if (p->seen[F_AIP] && !hex_field(p, F_AIP, pr->aip, 2, 2, NULL))
		bad = "aip";
	if (p->seen[F_CVR] && !hex_field(p, F_CVR, pr->cvr, 3, 3, NULL))
		bad = "cvr";
	if (p->seen[F_IAD] && !hex_field(p, F_IAD, d->iad, 0, sizeof d->iad, &pr->iad_len))
		bad = "iad";
	if (bad)
		return fail(p, "profile_bad_value", bad, "not hex of the right length");
	pr->aid = pr->aid_len ? d->aid : NULL;
	pr->iad = pr->iad_len ? d->iad : NULL;
	const upqr_emv_cvn_info *c = cvn_named(p->str[F_CVN]);
	if (!c)
		return fail(p, "profile_bad_value", "cvn",
			"must be \"tdes\", \"aes\" or a supported CVN name such as \"visa-18\" (upqr/emv.h)");
	pr->cvn = c->id;
	return UPQR_OK;
}

/*
 * "mk" (the card MK) or "imk" + "mk_option" (TDES CVNs only); neither is
 * needed for a record. A scheme CVN names its derivation option, so
 * "mk_option" defaults to it and may only repeat it; closed-loop CVNs
 * default to option A.
 */
static int key_fields(jp *p, upqr_cpm_profile_doc *d)
{
	const upqr_emv_cvn_info *c = upqr_emv_cvn_lookup(d->profile.cvn);
	const char *opt = p->str[F_MK_OPTION];
	if (p->seen[F_MK] && p->seen[F_IMK])
		return fail(p, "profile_key", "mk", "give one of \"mk\" and \"imk\"");
	if (opt && (!p->seen[F_IMK] || (strcmp(opt, "A") && strcmp(opt, "B"))))
		return fail(p, "profile_key", "mk_option", "\"mk_option\" is \"A\" or \"B\", with \"imk\"");
	if (p->seen[F_IMK] && c->session_key == UPQR_EMV_SK_AES)
		return fail(p, "profile_key", "imk", "\"imk\" needs a TDES cvn");
	d->mk_option = opt ? (!strcmp(opt, "B") ? UPQR_EMV_MK_OPTION_B : UPQR_EMV_MK_OPTION_A) :
		c->mk_option ? (upqr_emv_mk_option)c->mk_option : UPQR_EMV_MK_OPTION_A;
	if (opt && c->mk_option && (int)d->mk_option != c->mk_option)
		return fail(p, "profile_key", "mk_option", "contradicts the option the cvn names");
	int f = p->seen[F_MK] ? F_MK : p->seen[F_IMK] ? F_IMK : 0;
	if (f && !hex_field(p, f, d->key, 16, 16, NULL))
		return fail(p, "profile_key", members[f].name, "a key is 32 hex digits");
	d->key_kind = f;
	return UPQR_OK;
}

static int build(jp *p, upqr_cpm_profile_doc *d)
{
	upqr_cpm_profile *pr = &d->profile;
	int rc = upqr_cpm_profile_init(pr, UPQR_CPM_PROFILE_VERSION);
	if (rc != UPQR_OK)
		return rc;
	pr->label = p->str[F_LABEL];
	pr->pan = p->str[F_PAN];
	pr->expiry = p->str[F_EXPIRY];
	pr->service_code = p->str[F_SERVICE];
	pr->discretionary = p->str[F_DISCRETIONARY];
	pr->track2 = p->str[F_TRACK2];
	pr->token_requestor_id = p->str[F_TRID];
	pr->par = p->str[F_PAR];
	pr->last4 = p->str[F_LAST4];
	rc = numbers(p, pr);
	if (rc == UPQR_OK)
		rc = hex_fields(p, d);
	if (rc == UPQR_OK)
		rc = key_fields(p, d);
	/* The key's hex is no longer needed in the text. */
	for (int f = F_MK; f <= F_IMK; f++)
		if (p->str[f])
			upqr_memzero((char *)(uintptr_t)p->str[f], strlen(p->str[f]));
	return rc;
}

int upqr_cpm_profile_parse(upqr_cpm_profile_doc **out, const char *json, size_t len,
		upqr_diag_list *diags)
{
	if (out)
		*out = NULL;
	if (!out || (!json && len))
		return UPQR_EINVAL;
	upqr_cpm_profile_doc *d = upqr__calloc(1, sizeof *d);
	char *text = d ? upqr__malloc(len + 1) : NULL;
	if (!text) {
		upqr__free(d);
		return UPQR_ENOMEM;
	}
	if (len)
		memcpy(text, json, len);
	text[len] = 0;
	d->magic = DOC_MAGIC;
	d->text = text;
	d->text_len = len + 1;
	jp p;
	memset(&p, 0, sizeof p);
	p.s = text;
	p.len = len;
	p.diags = diags;
	int rc = memchr(text, 0, len) ? fail(&p, "profile_json", "", "NUL byte in the text") : object(&p);
	if (rc == UPQR_OK)
		rc = build(&p, d);
	if (rc != UPQR_OK) {
		upqr_cpm_profile_doc_free(d);
		return rc;
	}
	*out = d;
	return UPQR_OK;
}

static bool doc_ok(const upqr_cpm_profile_doc *doc)
{
	return doc && doc->magic == DOC_MAGIC;
}

const upqr_cpm_profile *upqr_cpm_profile_doc_profile(const upqr_cpm_profile_doc *doc)
{
	return doc_ok(doc) ? &doc->profile : NULL;
}

bool upqr_cpm_profile_doc_has_key(const upqr_cpm_profile_doc *doc)
{
	return doc_ok(doc) && doc->key_kind != 0;
}

/* The MK from an IMK: option A or B over the profile's PAN (or Track 2's) and PSN. */
static int derive(upqr_emv_key **mk, const upqr_cpm_profile_doc *doc)
{
	const upqr_cpm_profile *pr = &doc->profile;
	const char *pan = pr->pan ? pr->pan : pr->track2 ? pr->track2 : "";
	upqr_emv_key *imk = NULL;
	uint8_t k[16];
	int rc = upqr_emv_key_new(&imk, UPQR_EMV_KEY_TDES, doc->key, sizeof doc->key);
	if (rc == UPQR_OK)
		rc = upqr_emv_derive_icc_mk(k, imk, pan, strcspn(pan, "D"), pr->psn, doc->mk_option);
	if (rc == UPQR_OK)
		rc = upqr_emv_key_new(mk, UPQR_EMV_KEY_TDES, k, sizeof k);
	upqr_memzero(k, sizeof k);
	upqr_emv_key_free(imk);
	return rc;
}

int upqr_cpm_profile_doc_key(upqr_emv_key **mk, const upqr_cpm_profile_doc *doc)
{
	if (mk)
		*mk = NULL;
	if (!mk || !doc_ok(doc))
		return UPQR_EINVAL;
	if (doc->key_kind == 0)
		return UPQR_ENOTFOUND;
	if (doc->key_kind == F_IMK)
		return derive(mk, doc);
	/* The key type follows the CVN: only AES session keys (A2) need an AES MK. */
	const upqr_emv_cvn_info *c = upqr_emv_cvn_lookup(doc->profile.cvn);
	return upqr_emv_key_new(mk, c->session_key == UPQR_EMV_SK_AES ? UPQR_EMV_KEY_AES128 :
		UPQR_EMV_KEY_TDES, doc->key, sizeof doc->key);
}

void upqr_cpm_profile_doc_free(upqr_cpm_profile_doc *doc)
{
	if (!doc_ok(doc))
		return;
	upqr__free_secret(doc->text, doc->text_len);
	doc->magic = 0;
	upqr__free_secret(doc, sizeof *doc);
}
