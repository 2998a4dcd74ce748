/*
 * scan_classify.c - what a symbol's bytes are, and whether they pass their
 * checks. A payment code is only ever reported valid after its own
 * integrity check (MPM: CRC and TLV; CPM: base64 and BER-TLV; URL: exact
 * grammar), so a misread or a forged look-alike stays invalid.
 *
 * MPM payloads go through the MPM module's decoder (upqr/mpm.h) and a CRC
 * re-check of our own; CPM payloads through the CPM module's (upqr/cpm.h).
 */
#include <string.h>

#include "scan/scan_internal.h"

const char *upqr_scan_kind_name(upqr_scan_kind kind)
{
	switch (kind) {
	case UPQR_SCAN_KIND_MPM: return "mpm";
	case UPQR_SCAN_KIND_CPM: return "cpm";
	case UPQR_SCAN_KIND_UNIONPAY_URL: return "unionpay-url";
	case UPQR_SCAN_KIND_OTHER: break;
	}
	return "other";
}

/*
 * base64 of 85 05 "CPV": the EMV CPM magic prefix (a POI treats only data
 * starting so as CPM). "hQVDUFYwMQ" is exact only when nothing follows
 * "CPV01"; the 10th character also carries bits of the next byte.
 */
static const char CPM_PREFIX[] = "hQVDUFY";
static const char URL_PREFIX[] = "https://qr.95516.com/"; /* scheme and host: any case */

static bool is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static bool is_alnum(uint8_t c)
{
	return is_digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool prefix_nocase(const uint8_t *d, size_t n, const char *p)
{
	size_t k = strlen(p);
	if (n < k)
		return false;
	for (size_t i = 0; i < k; i++) {
		uint8_t a = d[i], b = (uint8_t)p[i];
		if (a >= 'A' && a <= 'Z')
			a = (uint8_t)(a - 'A' + 'a');
		if (a != b)
			return false;
	}
	return true;
}

static void fail(upqr_scan_symbol *s, int status, const char *code, size_t off, const char *path,
		const char *msg)
{
	if (s->status == UPQR_OK)
		s->status = status;
	upqr__diag_add(&s->diags, UPQR_SEV_ERROR, code, off, path, "%s", msg);
}

/* ---- MPM ------------------------------------------------------------------ */

/* The last 8 characters are "6304" + 4 hex digits that match the CRC of everything before. */
static bool crc_matches(const uint8_t *d, size_t n)
{
	uint8_t want[2];
	return n >= 8 && memcmp(d + n - 8, "6304", 4) == 0 &&
		upqr__hex_parse(want, 2, (const char *)d + n - 4, 4) &&
		upqr_crc16(d, n - 4) == (uint16_t)(want[0] << 8 | want[1]);
}

/*
 * The MPM module's decoder is the authority (every EMVCo rule, the profile's
 * rules, diagnostics). The CRC is then re-checked here on the raw bytes, so
 * a valid verdict never rests on one implementation alone.
 */
static void check_mpm(upqr_scan_symbol *s, const upqr_mpm_profile *profile,
		upqr_mpm_payload *work)
{
	int rc = upqr_mpm_decode(work, profile, (const char *)s->data, s->len, &s->diags);
	if (rc != UPQR_OK) {
		s->status = rc == UPQR_EINVAL ? UPQR_EINVALID : rc;
		return;
	}
	if (!crc_matches(s->data, s->len))
		fail(s, UPQR_ECHECKSUM, "crc_mismatch", s->len < 4 ? 0 : s->len - 4, "63",
			"CRC does not match the payload");
}

/* ---- CPM ------------------------------------------------------------------ */

/* The CPM module's decoder: strict base64, BER-TLV, the EMVCo reader rules in order. */
static void check_cpm(upqr_scan_symbol *s, upqr_cpm *work)
{
	int rc = upqr_cpm_decode(work, NULL, (const char *)s->data, s->len, &s->diags);
	if (rc != UPQR_OK || !work->valid)
		s->status = rc == UPQR_OK || rc == UPQR_EINVAL || rc == UPQR_EVERSION ? UPQR_EINVALID : rc;
}

/* ---- UnionPay URL ------------------------------------------------------------ */

#define URL_ID_MAX 64

static void check_url(upqr_scan_symbol *s)
{
	const uint8_t *d = s->data;
	size_t n = s->len, p = sizeof URL_PREFIX - 1, k = 0;
	while (k < 8 && p + k < n && is_digit(d[p + k]))
		k++;
	if (k != 8 || p + 8 >= n || d[p + 8] != '/') {
		fail(s, UPQR_EINVALID, "url_acquirer_invalid", p, "",
			"path must start with an 8-digit acquirer code and '/'");
		return;
	}
	size_t idp = p + 9, m = 0;
	while (idp + m < n && is_alnum(d[idp + m]))
		m++;
	if (m == 0 || m > URL_ID_MAX || idp + m != n) {
		fail(s, UPQR_EINVALID, "url_id_invalid", idp + m, "",
			"the code id must be 1-64 letters or digits and end the URL");
		return;
	}
	s->acquirer = (const char *)d + p;
	s->acquirer_len = 8;
	s->id = (const char *)d + idp;
	s->id_len = m;
}

/* ---- entry ---------------------------------------------------------------- */

static upqr_scan_kind kind_of(const uint8_t *d, size_t n)
{
	/* "00" "02": the EMV payload format indicator, first in every MPM payload. */
	if (n >= 4 && memcmp(d, "0002", 4) == 0)
		return UPQR_SCAN_KIND_MPM;
	if (n >= sizeof CPM_PREFIX - 1 && memcmp(d, CPM_PREFIX, sizeof CPM_PREFIX - 1) == 0)
		return UPQR_SCAN_KIND_CPM;
	if (prefix_nocase(d, n, URL_PREFIX))
		return UPQR_SCAN_KIND_UNIONPAY_URL;
	return UPQR_SCAN_KIND_OTHER;
}

int upqr__scan_classify(upqr_scan_symbol *out, upqr_diag *diag_storage, size_t diag_cap,
		const upqr_mpm_profile *profile, upqr__scan_work *work, const uint8_t *data, size_t len)
{
	memset(out, 0, sizeof *out);
	out->data = data ? data : (const uint8_t *)"";
	out->len = len;
	out->pass = "";
	upqr_diag_list_init(&out->diags, diag_storage, diag_cap);
	out->kind = kind_of(out->data, len);
	switch (out->kind) {
	case UPQR_SCAN_KIND_MPM: check_mpm(out, profile, &work->mpm); break;
	case UPQR_SCAN_KIND_CPM: check_cpm(out, &work->cpm); break;
	case UPQR_SCAN_KIND_UNIONPAY_URL: check_url(out); break;
	case UPQR_SCAN_KIND_OTHER: break;
	}
	out->valid = out->kind != UPQR_SCAN_KIND_OTHER && out->status == UPQR_OK &&
		out->diags.errors == 0;
	return UPQR_OK;
}

int upqr_scan_classify(upqr_scan_symbol *out, upqr_diag *diag_storage, size_t diag_cap,
		const upqr_mpm_profile *profile, const uint8_t *data, size_t len)
{
	if (!out || (!data && len) || (!diag_storage && diag_cap))
		return UPQR_EINVAL;
	if (profile && profile->version != UPQR_MPM_PROFILE_VERSION)
		return UPQR_EVERSION;
	upqr__scan_work *work = NULL;
	upqr_scan_kind kind = kind_of(data ? data : (const uint8_t *)"", len);
	if ((kind == UPQR_SCAN_KIND_MPM || kind == UPQR_SCAN_KIND_CPM) &&
			!(work = upqr__malloc(sizeof *work)))
		return UPQR_ENOMEM;
	int rc = upqr__scan_classify(out, diag_storage, diag_cap, profile, work, data, len);
	upqr__free(work);
	return rc;
}

int upqr_scan_symbol_cpm(upqr_cpm *out, const upqr_scan_symbol *sym,
		const upqr_cpm_options *opts, upqr_diag_list *diags)
{
	if (!out || !sym || sym->kind != UPQR_SCAN_KIND_CPM)
		return UPQR_EINVAL;
	return upqr_cpm_decode(out, opts, (const char *)sym->data, sym->len, diags);
}

int upqr_scan_symbol_mpm(upqr_mpm_payload *out, const upqr_scan_symbol *sym,
		const upqr_mpm_profile *profile, upqr_diag_list *diags)
{
	if (!out || !sym || sym->kind != UPQR_SCAN_KIND_MPM)
		return UPQR_EINVAL;
	return upqr_mpm_decode(out, profile, (const char *)sym->data, sym->len, diags);
}
