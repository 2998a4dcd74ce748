/*
 * cpm_golden.h - the token profile behind the golden CPM codes
 * (tests/data/cpm-profile.json, tests/data/cpm-generated.tsv), shared by
 * the unit tests and the CPM fuzz target.
 */
#ifndef UPQR_TEST_CPM_GOLDEN_H
#define UPQR_TEST_CPM_GOLDEN_H

#include "upqr.h"

/* The golden token's card data; its MK is the IMK 0123..3210 by option A. */
static inline int cpm_golden_record(upqr_cpm_profile *p)
{
	static const uint8_t aid[] = { 0xA0, 0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x01 };
	int rc = upqr_cpm_profile_init(p, UPQR_CPM_PROFILE_VERSION);
	p->aid = aid;
	p->aid_len = sizeof aid;
	p->label = "UnionPay Debit";
	p->pan = "6250947000000014";
	p->expiry = "3012";
	p->psn = 0;
	p->app_version = 0x0030;
	p->token_requestor_id = "50123456789";
	p->par = "Q1Z2X3C4V5B6N7M8L9K0J1H2G3F4D";
	p->last4 = "0014";
	p->aip[0] = 0x7C;
	p->dki = 1;
	return rc;
}

#endif
