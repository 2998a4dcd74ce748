/*
 * merchant_scan.c - B2C, "the merchant scans": read the consumer's payment
 * code from a camera image (PNG/JPEG), check it, charge it (consume 01/06
 * with the EMV CPM payload), and settle an undecided answer the way the
 * spec asks: the query loop, then a reversal if it is still unknown.
 *
 *   merchant_scan IMAGE --amount FEN
 *
 * IMAGE holds an EMV CPM code (sent as emvCpqrcPayload, the simulator's
 * field) or UnionPay's 19-digit payment code (sent as qrNo, as UnionPay's
 * domestic gateway takes it).
 *
 * The client runs with sync_only = 1 so that each step is visible here
 * (without it, upqr_acquirer_consume runs the same steps itself).
 * Configuration: the UPQR_* environment of sample.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sample.h"

/* UnionPay's domestic payment code: 19 digits starting with 62 (sent as qrNo). */
static int is_qr_no(const upqr_scan_symbol *sym)
{
	if (sym->len != 19 || sym->data[0] != '6' || sym->data[1] != '2')
		return 0;
	for (size_t i = 0; i < 19; i++)
		if (sym->data[i] < '0' || sym->data[i] > '9')
			return 0;
	return 1;
}

/* The consumer's code, checked; the PAN is only ever shown masked. */
static int scan(upqr_scanner *sc, const char *image, const upqr_scan_symbol **out)
{
	size_t count = 0;
	int rc = upqr_scan_file(&count, sc, image);
	if (rc != UPQR_OK)
		return sample_fail(image, rc, upqr_scanner_last_error(sc));
	const upqr_scan_symbol *sym = upqr_scanner_symbol(sc, 0);
	static upqr_cpm cpm; /* ~10 KiB */
	*out = sym;
	if (sym->kind == UPQR_SCAN_KIND_OTHER && is_qr_no(sym)) {
		printf("consumer code: UnionPay payment code %.4s***************\n", (const char *)sym->data);
		return SAMPLE_OK;
	}
	if (sym->kind != UPQR_SCAN_KIND_CPM || !sym->valid ||
			upqr_scan_symbol_cpm(&cpm, sym, NULL, NULL) != UPQR_OK) {
		fprintf(stderr, "merchant_scan: %s: not a valid consumer code (%s, %s)\n", image,
			upqr_scan_kind_name(sym->kind), upqr_strerror(sym->status));
		sample_print_diags(&sym->diags);
		return SAMPLE_REFUSED;
	}
	printf("consumer code: %s, card %s, expires %s, cryptogram %s\n",
		cpm.aid_name ? cpm.aid_name : "unknown AID", cpm.pan_masked, cpm.expiry,
		cpm.cvn_supported ? "present" : "of an unknown version");
	return SAMPLE_OK;
}

/* Query loop, then reversal: what to do when the sync answer decided nothing. */
static int settle(upqr_acq_result *r, upqr_acquirer *acq)
{
	char order_id[33], txn_time[15];
	memcpy(order_id, r->order_id, sizeof order_id);
	memcpy(txn_time, r->txn_time, sizeof txn_time);
	upqr_order_ref ref = { order_id, txn_time };
	if (r->accepted)
		printf("the gateway accepted the order: confirming by query\n");
	else
		printf("no usable answer (%s): asking by query\n", upqr_acquirer_last_error(acq));
	int rc = upqr_acquirer_resolve(r, acq, &ref);
	if (rc != UPQR_OK)
		return sample_fail("query", rc, upqr_acquirer_last_error(acq));
	printf("query loop: %s after %u quer%s\n", upqr_outcome_name(r->outcome), r->queries,
		r->queries == 1 ? "y" : "ies");
	if (r->outcome != UPQR_OUTCOME_UNKNOWN)
		return SAMPLE_OK;
	printf("still unknown: reversing the order so the consumer is not charged\n");
	upqr_acq_result rev;
	rc = upqr_acquirer_reverse(&rev, acq, &ref);
	if (rc != UPQR_OK)
		return sample_fail("reversal", rc, upqr_acquirer_last_error(acq));
	sample_receipt("reversal", &rev);
	if (rev.outcome == UPQR_OUTCOME_SUCCESS) {
		r->outcome = UPQR_OUTCOME_FAILED;
		r->reversed = 1;
	}
	return SAMPLE_OK;
}

int main(int argc, char **argv)
{
	const char *image = NULL;
	long long amount = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--amount") && i + 1 < argc)
			amount = strtoll(argv[++i], NULL, 10);
		else if (!image && argv[i][0] != '-')
			image = argv[i];
		else
			amount = -1;
	}
	if (!image || amount <= 0) {
		fprintf(stderr, "usage: merchant_scan IMAGE --amount FEN\n");
		return SAMPLE_USAGE;
	}
	upqr_scanner *sc = NULL;
	const upqr_scan_symbol *sym = NULL;
	int rc = upqr_scanner_new(&sc, NULL);
	int code = rc == UPQR_OK ? scan(sc, image, &sym) : sample_fail("scanner", rc, NULL);
	sample s;
	if (code == SAMPLE_OK && (code = sample_open(&s, 1)) != SAMPLE_OK)
		sym = NULL;
	if (code != SAMPLE_OK) {
		upqr_scanner_free(sc);
		return code;
	}
	upqr_consume_request req = { .txn_amt = amount };
	if (sym->kind == UPQR_SCAN_KIND_CPM)
		req.cpm_payload = (const char *)sym->data; /* EMV CPM, base64 */
	else
		req.qr_no = (const char *)sym->data;
	upqr_acq_result r;
	char yuan[32];
	sample_yuan(yuan, amount);
	printf("charging CNY %s\n", yuan);
	rc = upqr_acquirer_consume(&r, s.client.acq, &req);
	if (rc != UPQR_OK)
		code = sample_fail("consume", rc, upqr_acquirer_last_error(s.client.acq));
	else if (r.outcome == UPQR_OUTCOME_UNKNOWN)
		code = settle(&r, s.client.acq);
	if (code == SAMPLE_OK) {
		sample_receipt(r.outcome == UPQR_OUTCOME_SUCCESS ? "paid" : "not paid", &r);
		code = sample_exit_for(&r);
	}
	sample_close(&s);
	upqr_scanner_free(sc);
	return code;
}
