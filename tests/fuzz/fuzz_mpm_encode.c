/*
 * fuzz_mpm_encode.c - arbitrary field text into the encoder: it either
 * refuses with at least one error diagnostic, or produces a payload the
 * decoder finds valid and whose fields are exactly the ones given.
 *
 * Input: 6 bytes picking the numeric choices, then '\n'-separated strings
 * assigned to fields (empty = absent).
 */
#include <stdlib.h>
#include <string.h>

#include "upqr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NTOK 26
#ifndef FUZZ_DEBUG
#define FUZZ_DEBUG(dl) (void)(dl)
#endif

static upqr_mpm_payload P;
static char OUT[UPQR_MPM_ENCODED_MAX + 1];

static bool same(upqr_mpm_str s, const char *want)
{
	if (!want)
		return s.ptr == NULL;
	return s.ptr && s.len == strlen(want) && memcmp(s.ptr, want, s.len) == 0;
}

static void check(const upqr_mpm_fields_in *in, const upqr_mpm_profile *pr)
{
	upqr_diag items[8];
	upqr_diag_list dl;
	size_t n;
	upqr_diag_list_init(&dl, items, 8);
	int rc = upqr_mpm_encode(OUT, sizeof OUT, &n, pr, in, &dl);
	if (rc != UPQR_OK) {
		FUZZ_DEBUG(dl);
		if (rc != UPQR_EINVALID || dl.errors == 0)
			abort();
		return;
	}
	if (strlen(OUT) != n || upqr_mpm_decode(&P, pr, OUT, n, NULL) != UPQR_OK)
		abort();
	const upqr_mpm_fields *f = &P.fields;
	if (!same(f->mcc, in->mcc) || !same(f->merchant_name, in->merchant_name) ||
			!same(f->merchant_city, in->merchant_city) || !same(f->country, in->country) ||
			!same(f->postal_code, in->postal_code) ||
			!same(f->language.merchant_name, in->alt_merchant_name) ||
			f->currency_numeric != in->currency ||
			(in->has_amount && (!f->amount_exact || f->amount_minor != in->amount)))
		abort();
	const upqr_mpm_str *add = &f->additional.bill_number;
	for (int i = 1; i <= 11; i++)
		if (!same(add[i - 1], in->additional[i]))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned cur[] = { 344, 156, 840, 410, 392, 48, 990, 959, 0, 1000 };
	if (size < 6)
		return 0;
	unsigned pick[6];
	for (int i = 0; i < 6; i++)
		pick[i] = data[i];
	data += 6;
	size -= 6;
	char *buf = malloc(size + 1);
	memcpy(buf, data, size);
	buf[size] = 0;
	/* tok[1..NTOK]: tok[0] is unused so the numbering matches the field list. */
	char *tok[NTOK + 1] = { 0 };
	size_t nt = 1;
	for (char *p = buf; nt <= NTOK;) {
		tok[nt++] = p;
		char *nl = memchr(p, '\n', (size_t)(buf + size - p));
		if (!nl)
			break;
		*nl = 0;
		p = nl + 1;
	}
	for (size_t i = 1; i <= NTOK; i++)
		if (tok[i] && !*tok[i])
			tok[i] = NULL;

	upqr_mpm_fields_in in = UPQR_MPM_FIELDS_IN_INIT;
	upqr_mpm_value_in sub[2] = { { 1 + pick[4] % 99, tok[20] }, { 1 + pick[5] % 99, tok[22] } };
	upqr_mpm_entry_in acc = { 26 + pick[4] % 26, NULL, tok[19], sub, tok[20] ? 1 : 0 };
	upqr_mpm_entry_in tpl = { 80 + pick[5] % 20, NULL, tok[21], sub + 1, tok[22] ? 1 : 0 };
	in.initiation = (int[]){ 0, 11, 12, 13 }[pick[0] % 4];
	in.currency = cur[pick[1] % 10];
	in.has_amount = pick[2] & 1;
	in.amount = (int64_t)pick[2] * 7919 * (pick[3] + 1) - (pick[3] == 255 ? 1000000 : 0);
	in.tip = (int)(pick[3] % 5);
	in.convenience_fee = in.tip == 2 ? pick[2] : 0;
	in.convenience_percentage_bp = in.tip == 3 ? pick[2] * 40u : 0;
	in.mcc = tok[1];
	in.merchant_name = tok[2];
	in.merchant_city = tok[3];
	in.country = tok[4];
	in.postal_code = tok[5];
	for (int i = 1; i <= 11; i++)
		in.additional[i] = tok[5 + i];
	in.language = tok[17];
	in.alt_merchant_name = tok[18];
	in.accounts = tok[19] || tok[20] ? &acc : NULL;
	in.account_count = in.accounts ? 1 : 0;
	in.templates = tok[21] || tok[22] ? &tpl : NULL;
	in.template_count = in.templates ? 1 : 0;
	in.unionpay_acquirer_iin = tok[23];
	in.unionpay_forwarding_iin = tok[24];
	in.unionpay_merchant_id = tok[25];
	check(&in, NULL);
	check(&in, upqr_mpm_profile_unionpay());
	free(buf);
	return 0;
}
