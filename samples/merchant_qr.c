/*
 * merchant_qr.c - C2B, "the consumer scans": the merchant applies for a QR
 * code at the acquirer (01/07), shows it (PNG file and terminal), waits for
 * the verified payment notification on its loopback receiver, falls back to
 * the query loop when none comes, and prints the receipt.
 *
 *   merchant_qr --amount FEN [--png FILE] [--wait SECONDS]
 *   merchant_qr --static [--png FILE] [--wait SECONDS]
 *
 * --static applies without an amount (the payer enters it) and prints a
 * static EMV merchant code (MPM, UnionPay profile) that carries the
 * acquirer's link in merchant account template 26 (GUID "com.95516").
 * Configuration: the UPQR_* environment of sample.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sample.h"

#define STICKER_GUID "com.95516"

/* A static UnionPay merchant code around the acquirer's link. */
static int sticker(char *out, size_t cap, const char *link)
{
	upqr_mpm_value_in sub[] = { { 1, link } };
	upqr_mpm_entry_in acct[] = { { 26, NULL, STICKER_GUID, sub, 1 } };
	upqr_mpm_fields_in in = UPQR_MPM_FIELDS_IN_INIT;
	in.initiation = UPQR_MPM_POI_STATIC;
	in.accounts = acct;
	in.account_count = 1;
	in.unionpay_acquirer_iin = "00010000";
	in.unionpay_forwarding_iin = "00010000";
	in.unionpay_merchant_id = getenv("UPQR_MER_ID");
	in.mcc = "5812";
	in.currency = 156;
	in.country = "CN";
	in.merchant_name = "UPQR DEMO NOODLE BAR";
	in.merchant_city = "Shanghai";
	in.language = "ZH";
	in.alt_merchant_name = "演示面馆";
	in.alt_merchant_city = "上海";
	upqr_diag items[8];
	upqr_diag_list diags;
	upqr_diag_list_init(&diags, items, 8);
	size_t n = 0;
	int rc = upqr_mpm_encode(out, cap, &n, upqr_mpm_profile_unionpay(), &in, &diags);
	if (rc != UPQR_OK)
		return sample_fail("static code", rc, diags.count ? items[0].message : NULL);
	return SAMPLE_OK;
}

/* PNG for the customer display, half blocks for this terminal. */
static int show(const char *payload, const char *png)
{
	upqr_qr_options o = UPQR_QR_OPTIONS_INIT;
	size_t len = strlen(payload), n = 0;
	int rc = upqr_qr_render_file(png, NULL, UPQR_QR_FORMAT_PNG, &o, (const uint8_t *)payload, len);
	if (rc != UPQR_OK)
		return sample_fail("PNG", rc, png);
	static char text[64 * 1024];
	rc = upqr_qr_render((uint8_t *)text, sizeof text, &n, NULL, UPQR_QR_FORMAT_TEXT, &o,
		(const uint8_t *)payload, len);
	if (rc != UPQR_OK)
		return sample_fail("terminal QR", rc, NULL);
	printf("%s%s\n(also in %s)\n", text, payload, png);
	return SAMPLE_OK;
}

int main(int argc, char **argv)
{
	long long amount = -1;
	const char *png = "merchant_qr.png";
	int wait_s = 60, bad = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--static"))
			amount = 0;
		else if (!strcmp(argv[i], "--amount") && i + 1 < argc)
			bad |= (amount = strtoll(argv[++i], NULL, 10)) <= 0;
		else if (!strcmp(argv[i], "--png") && i + 1 < argc)
			png = argv[++i];
		else if (!strcmp(argv[i], "--wait") && i + 1 < argc)
			bad |= (wait_s = atoi(argv[++i])) < 0;
		else
			bad = 1;
	}
	if (bad || amount < 0) {
		fprintf(stderr, "usage: merchant_qr (--amount FEN | --static) [--png FILE] [--wait SECONDS]\n");
		return SAMPLE_USAGE;
	}
	sample s;
	int code = sample_open(&s, 0);
	if (code != SAMPLE_OK)
		return code;
	upqr_acquirer *acq = s.client.acq;
	upqr_apply_request req = { .txn_amt = amount };
	upqr_acq_result r;
	int rc = upqr_acquirer_apply_qr(&r, acq, &req);
	if (rc != UPQR_OK || r.outcome != UPQR_OUTCOME_SUCCESS) {
		code = rc != UPQR_OK ? sample_fail("apply QR", rc, upqr_acquirer_last_error(acq)) :
			(sample_receipt("QR code refused", &r), sample_exit_for(&r));
		sample_close(&s);
		return code;
	}
	char yuan[32], payload[1024];
	sample_yuan(yuan, amount);
	printf("order %s (txnTime %s): %s\n", r.order_id, r.txn_time,
		amount ? yuan : "static code, the payer enters the amount");
	snprintf(payload, sizeof payload, "%s", r.qr_code);
	if (amount == 0)
		code = sticker(payload, sizeof payload, r.qr_code);
	if (code == SAMPLE_OK)
		code = show(payload, png);
	fflush(stdout);
	if (code != SAMPLE_OK) {
		sample_close(&s);
		return code;
	}
	upqr_notify_result n;
	char order_id[33], txn_time[15]; /* the query overwrites r: keep the keys apart */
	memcpy(order_id, r.order_id, sizeof order_id);
	memcpy(txn_time, r.txn_time, sizeof txn_time);
	upqr_order_ref ref = { order_id, txn_time };
	int got = 0;
	if (s.receiver) {
		printf("waiting up to %d s for the payment notification...\n", wait_s);
		fflush(stdout);
		got = sample_receiver_wait(s.receiver, r.order_id, wait_s * 1000, &n);
	}
	if (got) {
		printf("notification received and verified (signature and certificate chain)\n");
		r = n.result;
	} else {
		printf("%s: asking the acquirer (query loop)\n", s.receiver ? "no notification" :
			"notifications go to UPQR_BACK_URL");
		rc = upqr_acquirer_resolve(&r, acq, &ref);
		if (rc != UPQR_OK) {
			code = sample_fail("query", rc, upqr_acquirer_last_error(acq));
			sample_close(&s);
			return code;
		}
	}
	sample_receipt(r.outcome == UPQR_OUTCOME_SUCCESS ? "paid" : "not paid", &r);
	if (r.outcome == UPQR_OUTCOME_UNKNOWN)
		printf("still unknown: %s\n", *upqr_acquirer_last_error(acq) ? upqr_acquirer_last_error(acq) :
			"the code is not paid yet; query the order again later (refund ORDER_ID TXN_TIME)");
	code = sample_exit_for(&r);
	sample_close(&s);
	return code;
}
