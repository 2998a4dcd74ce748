/*
 * cpm_decode.c - CPM reader: the EMVCo reader rules, application selection
 * and Track 2 (rule list and order in upqr/cpm.h). Zero-copy, no heap.
 */
#include <stdio.h>
#include <string.h>

#include "cpm_internal.h"

#define NONE UPQR_BERTLV_NONE

/* Where the data objects the reader needs sit in one template (first occurrence). */
typedef struct tindex {
	uint16_t aid, label, track2, pan, psn, t63, t64;
} tindex;

typedef struct dctx {
	upqr_cpm *cpm;
	const upqr_cpm_options *opts;
	upqr_diag_list *diags;
	size_t errors;
	tindex ix[3];   /* app[0], app[1], common */
} dctx;

#define COMMON_IX 2

#define DERR(c, code, off, path, ...) \
	((c)->errors++, upqr__diag_add((c)->diags, UPQR_SEV_ERROR, (code), (off), (path), __VA_ARGS__))

/* ---- limits ------------------------------------------------------------- */

size_t upqr_cpm_text_max(void) { return UPQR_CPM_TEXT_MAX; }
size_t upqr_cpm_binary_max(void) { return UPQR_CPM_BINARY_MAX; }
size_t upqr_cpm_nodes_max(void) { return UPQR_CPM_NODES_MAX; }
size_t upqr_cpm_pan_max(void) { return UPQR_CPM_PAN_MAX; }
size_t upqr_cpm_discretionary_max(void) { return UPQR_CPM_DISCRETIONARY_MAX; }
size_t upqr_cpm_aid_max(void) { return UPQR_CPM_AID_MAX; }

/* ---- AIDs --------------------------------------------------------------- */

static const uint8_t up_debit[] = { 0xA0, 0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x01 };
static const uint8_t up_credit[] = { 0xA0, 0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x02 };
static const uint8_t up_quasi[] = { 0xA0, 0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x03 };
static const uint8_t up_ecash[] = { 0xA0, 0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x06 };
static const uint8_t up_usdebit[] = { 0xA0, 0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x08 };

static const upqr_cpm_aid unionpay_aids[] = {
	{ up_debit, sizeof up_debit, 1, "UnionPay Debit" },
	{ up_credit, sizeof up_credit, 1, "UnionPay Credit" },
	{ up_quasi, sizeof up_quasi, 1, "UnionPay Quasi-credit" },
	{ up_ecash, sizeof up_ecash, 1, "UnionPay Electronic Cash" },
	{ up_usdebit, sizeof up_usdebit, 1, "UnionPay US Common Debit" },
};

const upqr_cpm_aid *upqr_cpm_unionpay_aids(size_t *count)
{
	if (count)
		*count = UPQR__ARRAY_LEN(unionpay_aids);
	return unionpay_aids;
}

static bool aid_matches(const upqr_cpm_aid *t, const uint8_t *adf, size_t n)
{
	if (!t->aid || n < t->len || (n > t->len && !t->partial))
		return false;
	return memcmp(t->aid, adf, t->len) == 0;
}

const char *upqr_cpm_aid_name(const uint8_t *aid, size_t len)
{
	if (!aid)
		return NULL;
	for (size_t i = 0; i < UPQR__ARRAY_LEN(unionpay_aids); i++)
		if (aid_matches(&unionpay_aids[i], aid, len))
			return unionpay_aids[i].name;
	return NULL;
}

int upqr_cpm_options_init(upqr_cpm_options *opts, unsigned int version)
{
	if (!opts)
		return UPQR_EINVAL;
	if (version != UPQR_CPM_OPTIONS_VERSION)
		return UPQR_EVERSION;
	const upqr_cpm_options def = UPQR_CPM_OPTIONS_INIT;
	*opts = def;
	return UPQR_OK;
}

/* ---- digits ------------------------------------------------------------- */

/* Digits of the PAN at the start of v, or 0 when it is not well-formed (rules: upqr__pan_digits). */
static size_t pan_count(const uint8_t *v, size_t len, bool track2)
{
	size_t n = 0;
	while (n < 2 * len && upqr__nibble(v, n) <= 9)
		n++;
	if (n > UPQR_CPM_PAN_MAX)
		return 0;
	if (n == 2 * len)
		return track2 ? 0 : n; /* Track 2 needs its separator; a '5A' may simply end */
	return upqr__nibble(v, n) == (track2 ? 0xDu : 0xFu) ? n : 0;
}

size_t upqr__pan_digits(char out[UPQR_CPM_PAN_MAX + 1], const uint8_t *v, size_t len, bool track2)
{
	size_t n = pan_count(v, len, track2);
	for (size_t i = 0; i < n; i++)
		out[i] = (char)('0' + upqr__nibble(v, i));
	out[n] = 0;
	return n;
}

/* ---- paths -------------------------------------------------------------- */

void upqr__node_path(char out[UPQR_DIAG_PATH_MAX], const upqr_bertlv_node *nodes, uint16_t idx)
{
	uint16_t chain[UPQR_BERTLV_DEPTH_MAX + 1];
	size_t n = 0, o = 0;
	for (uint16_t i = idx; i != NONE && n < UPQR__ARRAY_LEN(chain); i = nodes[i].parent)
		chain[n++] = i;
	out[0] = 0;
	while (n > 0) {
		const upqr_bertlv_node *c = &nodes[chain[--n]];
		int w = snprintf(out + o, UPQR_DIAG_PATH_MAX - o, "%s%0*X", o ? "." : "",
				(int)c->tag_len * 2, (unsigned int)c->tag);
		if (w < 0 || (size_t)w >= UPQR_DIAG_PATH_MAX - o)
			return;
		o += (size_t)w;
	}
}

#define NODE_ERR(c, code, idx, ...) do { \
	char path_[UPQR_DIAG_PATH_MAX]; \
	upqr__node_path(path_, (c)->cpm->nodes, (idx)); \
	DERR(c, code, (c)->cpm->nodes[idx].offset, path_, __VA_ARGS__); \
} while (0)

/* ---- structure ---------------------------------------------------------- */

static void reset(upqr_cpm *cpm)
{
	/* The arrays are filled as parsed; only the scalars need a known state. */
	cpm->binary_len = 0;
	cpm->node_count = 0;
	cpm->valid = 0;
	cpm->version = 0;
	cpm->app_count = 0;
	cpm->app[0] = cpm->app[1] = NONE;
	cpm->common = NONE;
	cpm->selected = -1;
	cpm->transparent = NONE;
	cpm->aid_node = cpm->label_node = NONE;
	cpm->aid_name = NULL;
	cpm->track2_node = cpm->pan_node = NONE;
	cpm->pan_len = 0;
	cpm->pan_masked[0] = 0;
	cpm->pan_luhn_ok = 0;
	cpm->expiry[0] = cpm->service_code[0] = cpm->discretionary[0] = 0;
	cpm->psn = -1;
	cpm->cvn = 0;
	cpm->cvn_supported = 0;
}

static int check_header(dctx *c)
{
	upqr_cpm *cpm = c->cpm;
	if (cpm->node_count == 0 || cpm->nodes[0].tag != UPQR__TAG_PFI) {
		DERR(c, "pfi_missing", 0, "", "the first data object is not the Payload Format Indicator '85'");
		return UPQR_EINVALID;
	}
	const upqr_bertlv_node *pfi = &cpm->nodes[0];
	const uint8_t *v = cpm->binary + pfi->value_offset;
	if (pfi->length != 5 || memcmp(v, "CPV", 3) != 0 || v[3] < '0' || v[3] > '9' ||
			v[4] < '0' || v[4] > '9') {
		DERR(c, "pfi_invalid", 0, "85", "Payload Format Indicator is not \"CPV\" and two digits");
		return UPQR_EINVALID;
	}
	cpm->version = (unsigned int)((v[3] - '0') * 10 + (v[4] - '0'));
	if (cpm->version != 1) {
		DERR(c, "pfi_version_unsupported", 0, "85", "payload format CPV%c%c is not supported (CPV01 is)",
				v[3], v[4]);
		return UPQR_EINVALID;
	}
	if (upqr_bertlv_find(cpm->nodes, cpm->node_count, NONE, UPQR__TAG_APP_TEMPLATE) == NONE) {
		DERR(c, "app_template_missing", cpm->binary_len, "", "no Application Template '61'");
		return UPQR_EINVALID;
	}
	return UPQR_OK;
}

/* '85', one or two '61', an optional '62', then anything else. */
static void check_shape(dctx *c)
{
	upqr_cpm *cpm = c->cpm;
	bool other = false;
	for (uint16_t i = cpm->nodes[0].next; i != NONE; i = cpm->nodes[i].next) {
		uint32_t t = cpm->nodes[i].tag;
		if (t == UPQR__TAG_APP_TEMPLATE) {
			if (cpm->common != NONE || other)
				NODE_ERR(c, "template_order", i, "'61' must directly follow '85' or another '61'");
			else if (cpm->app_count >= 2)
				NODE_ERR(c, "app_template_count", i, "more than two Application Templates");
			else
				cpm->app[cpm->app_count++] = i;
		} else if (t == UPQR__TAG_COMMON_TEMPLATE) {
			if (cpm->common != NONE)
				NODE_ERR(c, "common_template_count", i, "more than one Common Data Template");
			else if (other)
				NODE_ERR(c, "template_order", i, "'62' must directly follow the Application Templates");
			else
				cpm->common = i;
		} else if (t == UPQR__TAG_PFI) {
			NODE_ERR(c, "pfi_duplicate", i, "a second Payload Format Indicator");
		} else {
			other = true;
		}
	}
}

/* Spec lengths (CPM Table 6.1 + EMV Book 3) of the data objects it names; false for others. */
static bool field_limits(uint32_t tag, unsigned int *min, unsigned int *max)
{
	switch (tag) {
	case UPQR__TAG_LABEL: *min = 1; *max = 16; return true;
	case UPQR__TAG_TRACK2: *min = 1; *max = 19; return true;
	case UPQR__TAG_PAN: *min = 1; *max = 10; return true;
	case 0x5F20: *min = 2; *max = 26; return true;
	case 0x5F2D: *min = 2; *max = 8; return true;
	case UPQR__TAG_PSN: *min = 1; *max = 1; return true;
	case UPQR__TAG_APP_VERSION: *min = 2; *max = 2; return true;
	case UPQR__TAG_TRID: *min = 6; *max = 6; return true;
	case UPQR__TAG_PAR: *min = 29; *max = 29; return true;
	case UPQR__TAG_LAST4: *min = 2; *max = 2; return true;
	default: return false;
	}
}

static void check_field(dctx *c, uint16_t i)
{
	const upqr_bertlv_node *n = &c->cpm->nodes[i];
	unsigned int min, max;
	if (field_limits(n->tag, &min, &max) && (n->length < min || n->length > max))
		NODE_ERR(c, "field_length", i, "length %zu outside %u..%u", n->length, min, max);
}

static void index_child(tindex *x, const upqr_bertlv_node *n, uint16_t i)
{
	uint16_t *slot;
	switch (n->tag) {
	case UPQR__TAG_AID: slot = &x->aid; break;
	case UPQR__TAG_LABEL: slot = &x->label; break;
	case UPQR__TAG_TRACK2: slot = &x->track2; break;
	case UPQR__TAG_PAN: slot = &x->pan; break;
	case UPQR__TAG_PSN: slot = &x->psn; break;
	case UPQR__TAG_APP_TRANSPARENT: slot = &x->t63; break;
	case UPQR__TAG_COMMON_TRANSPARENT: slot = &x->t64; break;
	default: return;
	}
	if (*slot == NONE)
		*slot = i;
}

/* One pass over a template: field lengths, duplicates, and its index. */
static void check_template(dctx *c, uint16_t t, tindex *x)
{
	const upqr_cpm *cpm = c->cpm;
	x->aid = x->label = x->track2 = x->pan = x->psn = x->t63 = x->t64 = NONE;
	for (uint16_t i = cpm->nodes[t].first_child; i != NONE; i = cpm->nodes[i].next) {
		index_child(x, &cpm->nodes[i], i);
		if (cpm->nodes[i].constructed)
			continue;
		check_field(c, i);
		for (uint16_t j = cpm->nodes[i].next; j != NONE; j = cpm->nodes[j].next)
			if (cpm->nodes[j].tag == cpm->nodes[i].tag && !cpm->nodes[j].constructed) {
				NODE_ERR(c, "duplicate_tag", j, "data object appears twice in one template");
				break;
			}
	}
	if (cpm->nodes[t].tag != UPQR__TAG_APP_TEMPLATE)
		return;
	if (x->aid == NONE)
		NODE_ERR(c, "aid_missing", t, "Application Template without ADF Name '4F'");
	else if (cpm->nodes[x->aid].length < 5 || cpm->nodes[x->aid].length > UPQR_CPM_AID_MAX)
		NODE_ERR(c, "aid_length", x->aid, "ADF Name is %zu bytes (5..16 allowed)", cpm->nodes[x->aid].length);
}

static bool app_aid(const dctx *c, size_t k, upqr_cpm_bytes *out)
{
	uint16_t a = c->ix[k].aid;
	if (a == NONE || c->cpm->nodes[a].length < 5 || c->cpm->nodes[a].length > UPQR_CPM_AID_MAX)
		return false;
	out->ptr = c->cpm->binary + c->cpm->nodes[a].value_offset;
	out->len = c->cpm->nodes[a].length;
	return true;
}

/* The application whose AID comes first in the candidate list; -1 if none. */
static int select_by_list(const dctx *c, const upqr_cpm_aid *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < c->cpm->app_count; k++) {
			upqr_cpm_bytes aid;
			if (app_aid(c, k, &aid) && aid_matches(&list[i], aid.ptr, aid.len))
				return (int)k;
		}
	return -1;
}

static void select_app(dctx *c)
{
	upqr_cpm *cpm = c->cpm;
	const upqr_cpm_options *o = c->opts;
	bool any = !o || (o->aid_count == 0 && !o->unionpay_aids);
	int sel = -1;
	if (cpm->app_count == 0)
		return; /* every '61' was out of place: already reported */
	if (any) {
		for (size_t k = 0; k < cpm->app_count && sel < 0; k++) {
			upqr_cpm_bytes aid;
			if (app_aid(c, k, &aid))
				sel = (int)k;
		}
	} else {
		sel = select_by_list(c, o->aids, o->aid_count);
		if (sel < 0 && o->unionpay_aids)
			sel = select_by_list(c, unionpay_aids, UPQR__ARRAY_LEN(unionpay_aids));
	}
	if (sel < 0) {
		NODE_ERR(c, "aid_not_selected", cpm->app[0], "no Application Template has an accepted AID");
		return;
	}
	cpm->selected = sel;
	upqr_cpm_bytes aid = { NULL, 0 };
	app_aid(c, (size_t)sel, &aid);
	cpm->aid_node = c->ix[sel].aid;
	cpm->aid_name = upqr_cpm_aid_name(aid.ptr, aid.len);
}

static void check_cross_duplicates(dctx *c, uint16_t app)
{
	const upqr_cpm *cpm = c->cpm;
	if (cpm->common == NONE)
		return;
	for (uint16_t i = cpm->nodes[cpm->common].first_child; i != NONE; i = cpm->nodes[i].next) {
		if (cpm->nodes[i].constructed)
			continue;
		uint16_t j = upqr_bertlv_find(cpm->nodes, cpm->node_count, app, cpm->nodes[i].tag);
		if (j != NONE && !cpm->nodes[j].constructed)
			NODE_ERR(c, "duplicate_tag", i, "data object is in both the selected '61' and '62'");
	}
}

/* ---- card data ---------------------------------------------------------- */

/* A data object of the POI data: the selected '61', else '62'. */
#define POI(c, field) ((c)->ix[(c)->cpm->selected].field != NONE ? (c)->ix[(c)->cpm->selected].field \
		: (c)->ix[COMMON_IX].field)

static uint16_t find_poi(const upqr_cpm *cpm, uint32_t tag)
{
	uint16_t i = upqr_bertlv_find(cpm->nodes, cpm->node_count, cpm->app[cpm->selected], tag);
	if (i == NONE && cpm->common != NONE)
		i = upqr_bertlv_find(cpm->nodes, cpm->node_count, cpm->common, tag);
	return i;
}

static bool digits_at(char *out, const uint8_t *v, size_t from, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned int x = upqr__nibble(v, from + i);
		if (x > 9)
			return false;
		out[i] = (char)('0' + x);
	}
	out[n] = 0;
	return true;
}

/* YYMM, service code and discretionary digits after the 'D' separator. */
static const char *parse_track2_tail(upqr_cpm *cpm, const uint8_t *v, size_t nibbles, size_t at)
{
	if (nibbles - at < 7 || !digits_at(cpm->expiry, v, at, 4))
		return "expiry date missing or not digits";
	int month = (cpm->expiry[2] - '0') * 10 + (cpm->expiry[3] - '0');
	if (month < 1 || month > 12)
		return "expiry month outside 01..12";
	if (!digits_at(cpm->service_code, v, at + 4, 3))
		return "service code not three digits";
	size_t from = at + 7, end = nibbles;
	if (end > from && upqr__nibble(v, end - 1) == 0xF)
		end--;
	if (end - from > UPQR_CPM_DISCRETIONARY_MAX || !digits_at(cpm->discretionary, v, from, end - from))
		return "discretionary data not digits (an 'F' pad is allowed only at the end)";
	return NULL;
}

/* Validates a '57' / '5A'; returns its PAN's digit count, 0 when broken (reported). */
static size_t take_pan(dctx *c, uint16_t i, bool track2)
{
	upqr_cpm *cpm = c->cpm;
	const upqr_bertlv_node *n = &cpm->nodes[i];
	size_t len = pan_count(cpm->binary + n->value_offset, n->length, track2);
	if (len < 12) {
		if (track2)
			NODE_ERR(c, "track2_invalid", i, "Track 2 PAN is not 12..19 digits before the 'D' separator");
		else
			NODE_ERR(c, "pan_invalid", i, "PAN is not 12..19 digits with 'F' padding only at the end");
		return 0;
	}
	if (!track2) {
		for (size_t k = len; k < 2 * n->length; k++)
			if (upqr__nibble(cpm->binary + n->value_offset, k) != 0xF) {
				NODE_ERR(c, "pan_invalid", i, "PAN padding is not all 'F'");
				return 0;
			}
	} else {
		const char *bad = parse_track2_tail(cpm, cpm->binary + n->value_offset, 2 * n->length, len + 1);
		if (bad) {
			NODE_ERR(c, "track2_invalid", i, "Track 2: %s", bad);
			return 0;
		}
	}
	return len;
}

/*
 * One pass over the PAN nibbles: the masked text and the Luhn check. Luhn
 * doubles every second digit from the right, so both parities are summed
 * and the length picks one at the end.
 */
static void fill_pan(upqr_cpm *cpm, const uint8_t *v, size_t n)
{
	static const uint8_t doubled[10] = { 0, 2, 4, 6, 8, 1, 3, 5, 7, 9 };
	unsigned int even = 0, odd = 0; /* sums with the even / odd positions doubled */
	char *out = cpm->pan_masked;
	for (size_t i = 0; i < n; i += 2) {
		unsigned int hi = v[i / 2] >> 4, lo = i + 1 < n ? v[i / 2] & 15u : 0u;
		even += doubled[hi] + lo;
		odd += hi + doubled[lo];
		out[i] = (char)('0' + hi);
		out[i + 1] = (char)('0' + lo);
	}
	if (n > 10)
		memset(out + 6, '*', n - 10);
	else
		memset(out, '*', n);
	out[n] = 0;
	cpm->pan_len = n;
	cpm->pan_luhn_ok = ((n & 1) ? odd : even) % 10 == 0;
}

static bool same_pan(const uint8_t *a, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (upqr__nibble(a, i) != upqr__nibble(b, i))
			return false;
	return true;
}

/*
 * A warning, not an error: the EMVCo CPM Annex B examples themselves use
 * the non-Luhn PAN 1234567890123458, and the issuer decides what a valid
 * PAN is; the flag pan_luhn_ok carries the result.
 */
static void luhn_warning(dctx *c, uint16_t i)
{
	char path[UPQR_DIAG_PATH_MAX];
	upqr__node_path(path, c->cpm->nodes, i);
	upqr__diag_add(c->diags, UPQR_SEV_WARNING, "pan_luhn", c->cpm->nodes[i].offset, path,
			"PAN %s fails the Luhn check", c->cpm->pan_masked);
}

static void read_card_data(dctx *c)
{
	upqr_cpm *cpm = c->cpm;
	uint16_t t2 = POI(c, track2), pn = POI(c, pan);
	if (t2 == NONE && pn == NONE) {
		NODE_ERR(c, "pan_missing", cpm->app[cpm->selected], "neither Track 2 '57' nor PAN '5A' is present");
		return;
	}
	size_t na = t2 != NONE ? take_pan(c, t2, true) : 0;
	size_t nb = pn != NONE ? take_pan(c, pn, false) : 0;
	if (na && nb && (na != nb || !same_pan(cpm->binary + cpm->nodes[t2].value_offset, cpm->binary + cpm->nodes[pn].value_offset, na)))
		NODE_ERR(c, "pan_conflict", pn, "PAN '5A' differs from the PAN in Track 2 '57'");
	if (!na && !nb)
		return;
	uint16_t src = na ? t2 : pn;
	cpm->track2_node = na ? t2 : NONE;
	cpm->pan_node = na ? NONE : pn;
	fill_pan(cpm, cpm->binary + cpm->nodes[src].value_offset, na ? na : nb);
	if (!cpm->pan_luhn_ok)
		luhn_warning(c, src);
}

static void read_fields(dctx *c)
{
	upqr_cpm *cpm = c->cpm;
	uint16_t i = POI(c, label);
	cpm->label_node = i;
	i = POI(c, psn);
	if (i != NONE && cpm->nodes[i].length == 1) {
		uint8_t v = cpm->binary[cpm->nodes[i].value_offset];
		if ((v >> 4) <= 9 && (v & 15) <= 9)
			cpm->psn = (v >> 4) * 10 + (v & 15);
		else
			NODE_ERR(c, "field_format", i, "PAN Sequence Number is not two BCD digits");
	}
	cpm->transparent = c->ix[cpm->selected].t63 != NONE ? c->ix[cpm->selected].t63 : c->ix[COMMON_IX].t64;
}

/* ---- entry points ------------------------------------------------------- */


/* Which cryptogram version '9F10' names (upqr/emv.h); the decode never fails on it. */
static void read_cvn(upqr_cpm *cpm)
{
	upqr_cpm_bytes iad, aid;
	if (upqr_cpm_node_value(&aid, cpm, cpm->aid_node) != UPQR_OK)
		aid = (upqr_cpm_bytes){ NULL, 0 }; /* no AID: the IAD alone decides */
	if (upqr_cpm_find(&iad, cpm, UPQR__TAG_IAD) != UPQR_OK ||
			upqr_emv_iad_parse(&cpm->cvn, NULL, iad.ptr, iad.len, aid.ptr, aid.len) != UPQR_OK)
		return;
	cpm->cvn_supported = upqr__cvn_iad_usable(cpm->cvn, iad.ptr, iad.len);
}

static int apply_rules(upqr_cpm *cpm, const upqr_cpm_options *opts, upqr_diag_list *diags)
{
	static const uint32_t opaque[] = { UPQR__TAG_APP_TRANSPARENT, UPQR__TAG_COMMON_TRANSPARENT };
	const upqr_bertlv_options to = { UPQR_BERTLV_OPTIONS_VERSION, 0, opaque, UPQR__ARRAY_LEN(opaque) };
	dctx c;
	c.cpm = cpm;
	c.opts = opts;
	c.diags = diags;
	c.errors = 0;
	memset(c.ix, 0xFF, sizeof c.ix); /* every slot NONE, also for an absent '62' */
	int rc = upqr_bertlv_parse(cpm->nodes, UPQR_CPM_NODES_MAX, &cpm->node_count, &to,
			cpm->binary, cpm->binary_len, diags);
	if (rc != UPQR_OK)
		return rc;
	rc = check_header(&c);
	if (rc != UPQR_OK)
		return rc;
	check_shape(&c);
	for (size_t k = 0; k < cpm->app_count; k++)
		check_template(&c, cpm->app[k], &c.ix[k]);
	if (cpm->common != NONE)
		check_template(&c, cpm->common, &c.ix[COMMON_IX]);
	select_app(&c);
	if (cpm->selected >= 0) {
		check_cross_duplicates(&c, cpm->app[cpm->selected]);
		read_card_data(&c);
		read_fields(&c);
		read_cvn(cpm);
	}
	cpm->valid = c.errors == 0;
	return cpm->valid ? UPQR_OK : UPQR_EINVALID;
}

static int check_args(const upqr_cpm *out, const upqr_cpm_options *opts, const void *in, size_t len)
{
	if (!out || (!in && len))
		return UPQR_EINVAL;
	if (opts && opts->version != UPQR_CPM_OPTIONS_VERSION)
		return UPQR_EVERSION;
	if (opts && opts->aid_count && !opts->aids)
		return UPQR_EINVAL;
	return UPQR_OK;
}

int upqr_cpm_decode(upqr_cpm *out, const upqr_cpm_options *opts, const char *text, size_t len,
		upqr_diag_list *diags)
{
	int rc = check_args(out, opts, text, len);
	if (rc != UPQR_OK)
		return rc;
	reset(out);
	if (len > UPQR_CPM_TEXT_MAX) {
		upqr__diag_add(diags, UPQR_SEV_ERROR, "payload_too_long", UPQR_CPM_TEXT_MAX, "",
				"payload longer than %u characters", UPQR_CPM_TEXT_MAX);
		return UPQR_ELIMIT;
	}
	size_t bad = 0;
	rc = upqr_base64_decode(out->binary, sizeof out->binary, &out->binary_len, text, len, &bad);
	if (rc == UPQR_EBASE64) {
		out->binary_len = 0;
		upqr__diag_add(diags, UPQR_SEV_ERROR, "base64_invalid", bad, "",
				"not strict base64 (RFC 4648, standard alphabet, '=' padding)");
		return UPQR_EBASE64;
	}
	if (rc != UPQR_OK) {
		out->binary_len = 0;
		return UPQR_EINTERNAL;
	}
	return apply_rules(out, opts, diags);
}

int upqr_cpm_decode_binary(upqr_cpm *out, const upqr_cpm_options *opts, const uint8_t *data,
		size_t len, upqr_diag_list *diags)
{
	int rc = check_args(out, opts, data, len);
	if (rc != UPQR_OK)
		return rc;
	reset(out);
	if (len > UPQR_CPM_BINARY_MAX) {
		upqr__diag_add(diags, UPQR_SEV_ERROR, "payload_too_long", UPQR_CPM_BINARY_MAX, "",
				"payload longer than %u bytes", UPQR_CPM_BINARY_MAX);
		return UPQR_ELIMIT;
	}
	if (len)
		memcpy(out->binary, data, len);
	out->binary_len = len;
	return apply_rules(out, opts, diags);
}

/* ---- accessors ---------------------------------------------------------- */

int upqr_cpm_node_value(upqr_cpm_bytes *out, const upqr_cpm *cpm, uint16_t node)
{
	if (!out)
		return UPQR_EINVAL;
	out->ptr = NULL;
	out->len = 0;
	if (!cpm)
		return UPQR_EINVAL;
	if (node == NONE || node >= cpm->node_count)
		return UPQR_ENOTFOUND;
	out->ptr = cpm->binary + cpm->nodes[node].value_offset;
	out->len = cpm->nodes[node].length;
	return UPQR_OK;
}

int upqr_cpm_find(upqr_cpm_bytes *out, const upqr_cpm *cpm, uint32_t tag)
{
	if (!out || !cpm)
		return upqr_cpm_node_value(out, cpm, NONE);
	uint16_t i = NONE;
	if (cpm->selected >= 0) {
		i = find_poi(cpm, tag);
		if (i == NONE && cpm->transparent != NONE)
			i = upqr_bertlv_find(cpm->nodes, cpm->node_count, cpm->transparent, tag);
	}
	return upqr_cpm_node_value(out, cpm, i);
}

int upqr_cpm_pan(char *out, size_t cap, size_t *written, const upqr_cpm *cpm)
{
	UPQR__OPTIONAL_WRITTEN(written);
	if (!cpm)
		return UPQR_EINVAL;
	*written = 0;
	uint16_t i = cpm->track2_node != NONE ? cpm->track2_node : cpm->pan_node;
	if (i == NONE || i >= cpm->node_count)
		return UPQR_ENOTFOUND;
	char pan[UPQR_CPM_PAN_MAX + 1];
	size_t n = upqr__pan_digits(pan, cpm->binary + cpm->nodes[i].value_offset, cpm->nodes[i].length, i == cpm->track2_node);
	*written = n;
	int rc = UPQR_OK;
	if (!out || cap < n + 1)
		rc = UPQR_EBUFSIZE;
	else
		memcpy(out, pan, n + 1);
	upqr_memzero(pan, sizeof pan);
	return rc;
}

/* Replaces the hex digits of a PAN inside a '57'/'5A' value beyond first 6 / last 4. */
static void mask_hex_pan(char *hex, const upqr_cpm *cpm, const upqr_bertlv_node *n)
{
	char pan[UPQR_CPM_PAN_MAX + 1];
	size_t len = upqr__pan_digits(pan, cpm->binary + n->value_offset, n->length, n->tag == UPQR__TAG_TRACK2);
	upqr_memzero(pan, sizeof pan);
	char *v = hex + 2 * (n->offset + n->header_len);
	/* Unreadable: the PAN could be anywhere in it, so hide the whole value. */
	bool all = len <= 10;
	if (all)
		len = 2 * n->length;
	for (size_t i = 0; i < len; i++)
		if (all || (i >= 6 && i < len - 4))
			v[i] = '*';
}

/*
 * Opaque bytes (a malformed '63', an unknown primitive) may hold another
 * copy of the PAN that no '57'/'5A' node covers: mask every occurrence.
 */
static void mask_pan_copies(char *hex, const upqr_cpm *cpm)
{
	char pan[UPQR_CPM_PAN_MAX + 1];
	size_t n = 0;
	if (upqr_cpm_pan(pan, sizeof pan, &n, cpm) != UPQR_OK)
		return;
	for (char *p = strstr(hex, pan); p; p = strstr(p + 1, pan))
		memset(p + 6, '*', n - 10);
	upqr_memzero(pan, sizeof pan);
}

int upqr_cpm_hex_masked(char *out, size_t cap, size_t *written, const upqr_cpm *cpm)
{
	UPQR__OPTIONAL_WRITTEN(written);
	if (!cpm || cpm->binary_len > UPQR_CPM_BINARY_MAX)
		return UPQR_EINVAL;
	*written = 2 * cpm->binary_len;
	if (!out || cap < *written + 1)
		return UPQR_EBUFSIZE;
	upqr__hex_upper(out, cpm->binary, cpm->binary_len);
	out[*written] = 0;
	for (size_t i = 0; i < cpm->node_count; i++) {
		const upqr_bertlv_node *n = &cpm->nodes[i];
		if (!n->constructed && (n->tag == UPQR__TAG_TRACK2 || n->tag == UPQR__TAG_PAN))
			mask_hex_pan(out, cpm, n);
	}
	mask_pan_copies(out, cpm);
	return UPQR_OK;
}
