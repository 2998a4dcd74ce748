/*
 * mpm_profile.c - the built-in profiles. A profile is data (flags, GUID
 * prefixes of its network) plus one rule function run after the EMVCo
 * rules, so schemes can be added without touching the decoder.
 */
#include <string.h>

#include "mpm_internal.h"

/* RIDs of the networks of EMVCo Table 4.1, for 26..51 templates carrying an AID. */
static const struct { const char *rid; upqr_mpm_network net; } known_rids[] = {
	{ "A000000333", UPQR_MPM_NET_UNIONPAY },
	{ "A000000003", UPQR_MPM_NET_VISA },
	{ "A000000004", UPQR_MPM_NET_MASTERCARD },
	{ "A000000025", UPQR_MPM_NET_AMEX },
	{ "A000000065", UPQR_MPM_NET_JCB },
	{ "A000000152", UPQR_MPM_NET_DISCOVER },
};

/* Case-insensitive "s starts with pfx", walking pfx once (no strlen: it runs per GUID). */
static bool prefix_ci(const char *s, size_t n, const char *pfx)
{
	for (size_t i = 0; pfx[i]; i++) {
		if (i >= n)
			return false;
		char a = s[i], b = pfx[i];
		if (a >= 'a' && a <= 'z')
			a = (char)(a - 32);
		if (b >= 'a' && b <= 'z')
			b = (char)(b - 32);
		if (a != b)
			return false;
	}
	return true;
}

upqr_mpm_network upqr__mpm_guid_network(const upqr_mpm_profile *prof, const char *guid, size_t n)
{
	for (size_t i = 0; prof && i < prof->guid_prefix_count; i++)
		if (prefix_ci(guid, n, prof->guid_prefixes[i]))
			return prof->network;
	/* Every RID above starts with 'A' (international registration): most reverse-domain GUIDs stop here. */
	if (n == 0 || (guid[0] != 'A' && guid[0] != 'a'))
		return UPQR_MPM_NET_OTHER;
	for (size_t i = 0; i < UPQR__ARRAY_LEN(known_rids); i++)
		if (prefix_ci(guid, n, known_rids[i].rid))
			return known_rids[i].net;
	return UPQR_MPM_NET_OTHER;
}

void upqr_mpm_report(upqr_diag_list *diags, upqr_severity severity, const char *code,
		size_t offset, const char *path, const char *message)
{
	upqr__diag_add(diags, severity, code ? code : "", offset, path, "%s", message ? message : "");
}

/* ---- UnionPay --------------------------------------------------------------- */

static bool digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static void unionpay_rules(const upqr_mpm_profile *prof, const upqr_mpm_payload *p,
		bool generating, upqr_diag_list *diags)
{
	(void)generating;
	size_t parts;
	const upqr_mpm_part_info *part = upqr_mpm_unionpay_id_layout(&parts);
	const upqr_mpm_object *o = upqr_mpm_child(p, NULL, UPQR_MPM_UNIONPAY_ID);
	/* The two IINs (the digit parts) come first. */
	if (o && (prof->flags & UPQR_MPM_PF_UNIONPAY_ID15) && !(o->flags & UPQR_MPM_OBJ_TRUNCATED) &&
			(o->value_len != UPQR_MPM_UNIONPAY_ID_CHARS ||
			!digits(o->value, part[parts - 1].offset)))
		upqr_mpm_report(diags, UPQR_SEV_ERROR, MPM_D_UNIONPAY_ID, o->offset, "15",
			"UnionPay ID 15 must be acquirer IIN (8 digits) + forwarding IIN (8 digits)"
			" + merchant ID (15 characters)");
	bool any = false;
	for (size_t i = 0; i < p->fields.account_count; i++)
		any |= p->fields.accounts[i].network == UPQR_MPM_NET_UNIONPAY;
	if (!any && p->fields.account_count)
		upqr_mpm_report(diags, UPQR_SEV_WARNING, MPM_D_NO_UNIONPAY, 0, "02-51",
			"no UnionPay merchant account (ID 15/16 or a template with RID A000000333)");
}

static const char *const unionpay_guids[] = { "A000000333" };

static const upqr_mpm_profile profile_emvco = {
	UPQR_MPM_PROFILE_VERSION, "emvco", 0, NULL, 0, UPQR_MPM_NET_OTHER, NULL, NULL
};

static const upqr_mpm_profile profile_unionpay = {
	UPQR_MPM_PROFILE_VERSION, "unionpay",
	UPQR_MPM_PF_RFU_ERROR_ON_GENERATE | UPQR_MPM_PF_UNIONPAY_ID15,
	unionpay_guids, UPQR__ARRAY_LEN(unionpay_guids), UPQR_MPM_NET_UNIONPAY,
	unionpay_rules, NULL
};

const upqr_mpm_profile *upqr_mpm_profile_emvco(void)
{
	return &profile_emvco;
}

const upqr_mpm_profile *upqr_mpm_profile_unionpay(void)
{
	return &profile_unionpay;
}

const upqr_mpm_profile *upqr_mpm_profile_find(const char *name)
{
	if (!name)
		return NULL;
	if (strcmp(name, "emvco") == 0)
		return &profile_emvco;
	if (strcmp(name, "unionpay") == 0)
		return &profile_unionpay;
	return NULL;
}
