/*
 * refund.c - after the sale: query an order, refund part of it, or void it.
 *
 *   refund ORDER_ID TXN_TIME                 query only
 *   refund ORDER_ID TXN_TIME --refund FEN    a (partial) refund, 04/00
 *   refund ORDER_ID TXN_TIME --void          a void, 31/00
 *
 * The spec's rules, which the acquirer enforces and this sample only
 * explains: a void undoes the whole amount, on the same settlement day
 * (cut-off 23:00 Beijing time), of a payment without refunds; a refund may
 * be partial, repeated up to the original amount, within 30 days. Both
 * name the original by its queryId, which the query returns.
 * Configuration: the UPQR_* environment of sample.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sample.h"

static void explain(const upqr_acq_result *r, int is_void)
{
	if (r->outcome != UPQR_OUTCOME_FAILED)
		return;
	if (!strcmp(r->resp_code, "35") || !strcmp(r->resp_code, "45"))
		printf("the acquirer refused: %s\n", is_void ?
			"a void needs a successful payment of the same settlement day without refunds" :
			"a refund needs a successful payment of the last 30 days, not voided or fully refunded");
	else if (!strcmp(r->resp_code, "36"))
		printf("the acquirer refused the amount: %s\n", is_void ?
			"a void is for the whole amount" : "refunds may not exceed the original");
}

int main(int argc, char **argv)
{
	long long refund = 0;
	int do_void = 0, bad = argc < 3;
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--refund") && i + 1 < argc)
			bad |= (refund = strtoll(argv[++i], NULL, 10)) <= 0;
		else if (!strcmp(argv[i], "--void"))
			do_void = 1;
		else
			bad = 1;
	}
	if (bad || (refund && do_void)) {
		fprintf(stderr, "usage: refund ORDER_ID TXN_TIME [--refund FEN | --void]\n");
		return SAMPLE_USAGE;
	}
	sample s;
	int code = sample_open(&s, 0);
	if (code != SAMPLE_OK)
		return code;
	upqr_acquirer *acq = s.client.acq;
	upqr_order_ref ref = { argv[1], argv[2] };
	upqr_acq_result orig, r;
	int rc = upqr_acquirer_query(&orig, acq, &ref);
	if (rc != UPQR_OK) {
		code = sample_fail("query", rc, upqr_acquirer_last_error(acq));
		sample_close(&s);
		return code;
	}
	sample_receipt("the original payment (query)", &orig);
	if (orig.outcome != UPQR_OUTCOME_SUCCESS) {
		printf("%s\n", !strcmp(orig.resp_code, "34") ? "the acquirer has no such order" :
			orig.outcome == UPQR_OUTCOME_UNKNOWN ? "its outcome is not known yet" :
			"it did not succeed: nothing to refund or void");
		code = do_void || refund ? SAMPLE_REFUSED : SAMPLE_OK;
		sample_close(&s);
		return code;
	}
	if (!do_void && !refund) {
		sample_close(&s);
		return SAMPLE_OK;
	}
	/* The queryId names the original at the acquirer; its orderId names it in the journal. */
	upqr_undo_request req = { .orig_query_id = orig.query_id, .orig_order_id = argv[1],
		.orig_txn_time = argv[2] };
	char yuan[32];
	req.txn_amt = do_void ? orig.txn_amt : refund;
	sample_yuan(yuan, req.txn_amt);
	printf("%s CNY %s of order %s\n", do_void ? "voiding" : "refunding", yuan, argv[1]);
	rc = do_void ? upqr_acquirer_void(&r, acq, &req) : upqr_acquirer_refund(&r, acq, &req);
	if (rc != UPQR_OK) {
		code = sample_fail(do_void ? "void" : "refund", rc, upqr_acquirer_last_error(acq));
	} else {
		sample_receipt(do_void ? "void" : "refund", &r);
		explain(&r, do_void);
		code = sample_exit_for(&r);
	}
	sample_close(&s);
	return code;
}
