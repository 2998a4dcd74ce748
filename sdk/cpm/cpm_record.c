/*
 * cpm_record.c - verification against the issuer's token record. The ARQC
 * covers only the per-code data (layout in upqr/cpm.h); everything else in
 * a generated payload comes from the token profile, so the verifier
 * rebuilds the exact payload the generator emits from the record plus the
 * code's own per-code values and requires the two to be identical, data
 * object by data object, before it checks the cryptogram.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cpm_crypto.h"

/* Data objects in a generated payload: '85', '61', 8 card data, '63' and its 11: at most 22. */
#define GEN_NODES_MAX 32u

/* The per-code values the record cannot know, read from the payload. */
typedef struct per_code {
	upqr__cpm_gen g;
	uint8_t ac[8];
} per_code;

/*
 * Copies a per-code value when present with its generated length. A value
 * that is absent or of another length is left zero: the rebuilt payload
 * then differs there, and the comparison names it.
 */
static void take(const upqr_cpm *cpm, uint32_t tag, uint8_t *out, size_t n)
{
	upqr_cpm_bytes b;
	if (upqr_cpm_find(&b, cpm, tag) == UPQR_OK && b.len == n)
		memcpy(out, b.ptr, n);
}

static void read_per_code(per_code *pc, const upqr_cpm *cpm, const upqr_cpm_profile *record)
{
	upqr__ac_data *a = &pc->g.ac;
	upqr_cpm_bytes b;
	take(cpm, UPQR__TAG_AC, pc->ac, 8);
	take(cpm, UPQR__TAG_ATC, a->atc, 2);
	take(cpm, UPQR__TAG_UN, a->un, 4);
	take(cpm, UPQR__TAG_TXN_DATE, a->date, 3);
	take(cpm, UPQR__TAG_TXN_TYPE, &a->type, 1);
	a->has_amount = upqr_cpm_find(&b, cpm, UPQR__TAG_AMOUNT) == UPQR_OK;
	take(cpm, UPQR__TAG_AMOUNT, a->amount, 6);
	/* The rest of the '63' content is static: it comes from the record. */
	upqr__cpm_static_ac(a, record);
}

/* ---- naming what differs ------------------------------------------------ */

static const struct { uint32_t tag; const char *name; } names[] = {
	{ UPQR__TAG_PFI, "payload format indicator" }, { UPQR__TAG_APP_TEMPLATE, "application template" },
	{ UPQR__TAG_AID, "AID" }, { UPQR__TAG_LABEL, "application label" },
	{ UPQR__TAG_TRACK2, "track 2 data" },
	{ UPQR__TAG_PSN, "PAN sequence number" }, { UPQR__TAG_APP_VERSION, "application version" },
	{ UPQR__TAG_TRID, "token requestor ID" }, { UPQR__TAG_PAR, "PAR" }, { UPQR__TAG_LAST4, "last 4 PAN digits" },
	{ UPQR__TAG_APP_TRANSPARENT, "transparent template" }, { UPQR__TAG_AC, "application cryptogram" },
	{ UPQR__TAG_CID, "CID" }, { UPQR__TAG_IAD, "IAD: DKI, CVN, CVR" },
	{ UPQR__TAG_ATC, "ATC" }, { UPQR__TAG_AIP, "AIP" }, { UPQR__TAG_UN, "unpredictable number" },
	{ UPQR__TAG_AMOUNT, "amount" }, { UPQR__TAG_CURRENCY, "currency" }, { UPQR__TAG_COUNTRY, "country" },
	{ UPQR__TAG_TXN_DATE, "transaction date" }, { UPQR__TAG_TXN_TYPE, "transaction type" },
};

static const char *tag_name(uint32_t tag)
{
	for (size_t i = 0; i < UPQR__ARRAY_LEN(names); i++)
		if (names[i].tag == tag)
			return names[i].name;
	return NULL;
}

typedef struct cmp {
	upqr_emv_key *key;
	upqr_diag_list *diags;
	const upqr_cpm *cpm;
	const upqr_bertlv_node *want;
	size_t want_count;
	const uint8_t *want_bin;
	size_t want_len;
} cmp;

/* Reports the difference at node i of the payload (in_payload) or of the expected tree. */
static int differ(const cmp *c, size_t i, bool in_payload, const char *what)
{
	char path[UPQR_DIAG_PATH_MAX];
	const upqr_bertlv_node *nodes = in_payload ? c->cpm->nodes : c->want;
	upqr__node_path(path, nodes, (uint16_t)i);
	const char *name = tag_name(nodes[i].tag);
	if (!name)
		name = "not a generated element";
	size_t off = i < c->cpm->node_count ? c->cpm->nodes[i].offset : c->cpm->binary_len;
	upqr__diag_add(c->diags, UPQR_SEV_ERROR, "record_mismatch", off, path, "'%s' (%s) %s", path, name, what);
	upqr__key_error(c->key, "token record: '%s' (%s) %s", path, name, what);
	return UPQR_ERECORD;
}

#define NOT_SENT "is not sent by this token"

static bool expected_tag(const cmp *c, uint32_t tag)
{
	for (size_t i = 0; i < c->want_count; i++)
		if (c->want[i].tag == tag)
			return true;
	return false;
}

/*
 * Walks both trees in document order. Primitive values are compared with
 * CRYPTO_memcmp (they include the PAN); tags, depths and lengths are
 * public structure. A template's own length is not compared: its children
 * are, so a difference is named where it is.
 */
static int compare(const cmp *c)
{
	const upqr_bertlv_node *have = c->cpm->nodes;
	size_t i = 0;
	for (; i < c->want_count && i < c->cpm->node_count; i++) {
		const upqr_bertlv_node *w = &c->want[i], *h = &have[i];
		if (h->tag != w->tag || h->depth != w->depth || h->constructed != w->constructed)
			return expected_tag(c, h->tag) ? differ(c, i, false, "is missing or out of place")
				: differ(c, i, true, NOT_SENT);
		if (!w->constructed && (h->length != w->length || CRYPTO_memcmp(c->cpm->binary + h->value_offset, c->want_bin + w->value_offset, w->length) != 0))
			return differ(c, i, false, "differs from the record");
	}
	if (i < c->want_count)
		return differ(c, i, false, "is missing");
	if (i < c->cpm->node_count)
		return differ(c, i, true, NOT_SENT);
	/* Equal trees with canonical lengths are equal bytes; checked all the same. */
	if (c->cpm->binary_len != c->want_len || CRYPTO_memcmp(c->cpm->binary, c->want_bin, c->want_len) != 0)
		return differ(c, 0, false, "is encoded differently");
	return UPQR_OK;
}

/* Rebuilds the payload the record's token would have sent with this code's per-code values. */
static int check_record(upqr_emv_key *key, const upqr_cpm_profile *record, const upqr_cpm *cpm,
		upqr_diag_list *diags)
{
	per_code pc;
	memset(&pc, 0, sizeof pc);
	pc.g.key = key;
	int rc = upqr__cpm_check_profile(&pc.g, record);
	uint8_t bin[UPQR__CPM_GEN_BIN_MAX];
	upqr_bertlv_node nodes[GEN_NODES_MAX];
	upqr__buf b;
	upqr__buf_init(&b, bin, sizeof bin);
	size_t count = 0;
	if (rc == UPQR_OK) {
		read_per_code(&pc, cpm, record);
		rc = upqr__cpm_build(&b, &pc.g, record, pc.ac);
	}
	if (rc == UPQR_OK && upqr_bertlv_parse(nodes, GEN_NODES_MAX, &count, NULL, bin, b.len, NULL) != UPQR_OK)
		rc = UPQR_EINTERNAL;
	if (rc == UPQR_OK) {
		cmp c = { key, diags, cpm, nodes, count, bin, b.len };
		rc = compare(&c);
	}
	upqr_memzero(bin, sizeof bin);
	upqr_memzero(nodes, sizeof nodes);
	upqr_memzero(&pc, sizeof pc);
	return rc;
}

int upqr_cpm_verify_token(upqr_cpm_cryptogram *info, upqr_emv_key *key, upqr_cpm_key_role role,
		const upqr_cpm_profile *record, const upqr_cpm *cpm, upqr_diag_list *diags)
{
	if (info)
		memset(info, 0, sizeof *info);
	if (!upqr__key_ok(key) || !record || !cpm)
		return UPQR_EINVAL;
	if (record->version != UPQR_CPM_PROFILE_VERSION)
		return UPQR_EVERSION;
	if (!cpm->valid) {
		upqr__key_error(key, "the payload is not a valid CPM");
		return UPQR_EINVALID;
	}
	int rc = check_record(key, record, cpm, diags);
	return rc == UPQR_OK ? upqr_cpm_verify(info, key, role, cpm) : rc;
}
