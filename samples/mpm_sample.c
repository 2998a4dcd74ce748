/*
 * mpm_sample.c - what a wallet does with a scanned merchant code, using the
 * public upqr API only: decode and validate under the UnionPay profile, show
 * the merchant and the amount, list any problem, then re-price the code.
 *
 *   mpm_sample PAYLOAD
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "upqr.h"

static void show(const char *label, upqr_mpm_str s)
{
	if (s.ptr)
		printf("  %-14s %.*s\n", label, (int)s.len, s.ptr);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s PAYLOAD\n", argv[0]);
		return 2;
	}
	const char *text = argv[1];
	/* The decoded payload is large: keep it off the stack. */
	upqr_mpm_payload *p = malloc(sizeof *p);
	upqr_diag items[32];
	upqr_diag_list diags;
	if (!p)
		return 3;
	upqr_diag_list_init(&diags, items, 32);
	int rc = upqr_mpm_decode(p, upqr_mpm_profile_unionpay(), text, strlen(text), &diags);
	printf("decode: %s\n", upqr_strerror(rc));
	const upqr_mpm_fields *f = &p->fields;
	show("merchant", f->merchant_name);
	show("city", f->merchant_city);
	show("name (local)", f->language.merchant_name);
	if (f->amount_exact)
		printf("  %-14s %" PRId64 " minor units of %s\n", "amount", f->amount_minor,
			f->currency_alpha ? f->currency_alpha : "?");
	if (f->unionpay.present)
		printf("  %-14s %.15s (acquirer IIN %.8s)\n", "UnionPay MID", f->unionpay.merchant_id.ptr,
			f->unionpay.acquirer_iin.ptr);
	for (size_t i = 0; i < diags.count; i++)
		printf("  %s %s at %zu [%s]: %s\n", upqr_severity_name(items[i].severity),
			items[i].code, items[i].offset, items[i].path, items[i].message);
	if (rc == UPQR_OK) {
		/* Size query first, then the real call. */
		size_t need = 0, n = 0;
		if (upqr_mpm_set_amount(NULL, 0, &need, NULL, text, strlen(text), 100, NULL) ==
				UPQR_EBUFSIZE) {
			char *out = malloc(need + 1);
			if (out && upqr_mpm_set_amount(out, need + 1, &n, NULL, text, strlen(text), 100,
					NULL) == UPQR_OK)
				printf("re-priced to 100 minor units:\n  %s\n", out);
			free(out);
		}
	}
	free(p);
	return rc == UPQR_OK ? 0 : 1;
}
