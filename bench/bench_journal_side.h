/*
 * bench_journal_side.h - the journal side of bench_journal and
 * bench_journal_pg: one handle on a location (file path or PostgreSQL URL),
 * orders B<n>, each begun and then moved to SUCCESS (two durable
 * transactions). Each bench puts its bare-database baseline beside it.
 */
#ifndef UPQR_BENCH_JOURNAL_SIDE_H
#define UPQR_BENCH_JOURNAL_SIDE_H

#include <stdio.h>
#include <string.h>

#include "upqr.h"

typedef struct jside {
	upqr_journal *j;
	upqr_journal_order ord;
	upqr_journal_update u;
	long n;
} jside;

static int journal_open(jside *s, const char *location)
{
	upqr_journal_options o;
	if (upqr_journal_options_init(&o, UPQR_JOURNAL_OPTIONS_VERSION) != UPQR_OK)
		return -1;
	o.location = location;
	char err[256];
	if (upqr_journal_open(&s->j, &o, err, sizeof(err)) != UPQR_OK) {
		fprintf(stderr, "bench journal: %s\n", err);
		return -1;
	}
	s->ord.kind = UPQR_JOURNAL_CONSUME_QRNO;
	strcpy(s->ord.mer_id, "777290058110048");
	strcpy(s->ord.txn_time, "20261207113000");
	strcpy(s->ord.currency, "156");
	s->ord.amount = 1000;
	strcpy(s->u.resp_code, "00");
	strcpy(s->u.orig_resp_code, "00");
	return 0;
}

static int journal_batch(jside *s, int count)
{
	for (int i = 0; i < count; i++, s->n++) {
		upqr_journal_record r;
		snprintf(s->ord.order_id, sizeof(s->ord.order_id), "B%014ld", s->n);
		snprintf(s->u.query_id, sizeof(s->u.query_id), "7822%017ld", s->n);
		if (upqr_journal_begin(&r, s->j, &s->ord) != UPQR_OK
				|| upqr_journal_transition(NULL, s->j, r.id, UPQR_JOURNAL_SUCCESS, &s->u)
				!= UPQR_OK) {
			fprintf(stderr, "bench journal: %s\n", upqr_journal_last_error(s->j));
			return -1;
		}
	}
	return 0;
}

#endif
