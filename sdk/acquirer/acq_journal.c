/*
 * acq_journal.c - writing the operation in flight to the journal: PENDING
 * before the request leaves, then every state change the client learns.
 */
#include <string.h>

#include "acquirer/acq_internal.h"

static int journal_error(upqr_acquirer *a, int rc, const char *what)
{
	return upqr__acq_error(a, rc, "journal: %s: %s", what, upqr_journal_last_error(a->journal));
}

int upqr__acq_journal_begin(upqr_acquirer *a, upqr_journal_kind kind, const char *order_id,
		const char *txn_time, int64_t amount, const char *orig_order_id)
{
	a->jr.id = 0;
	if (a->journal == NULL)
		return UPQR_OK;
	upqr_journal_order o;
	upqr_journal_record rec;
	memset(&o, 0, sizeof o);
	o.kind = kind;
	upqr__acq_copy(o.mer_id, sizeof o.mer_id, a->mer_id);
	upqr__acq_copy(o.currency, sizeof o.currency, "156");
	o.amount = amount;
	if (kind == UPQR_JOURNAL_REVERSAL) {
		upqr__acq_copy(o.orig_order_id, sizeof o.orig_order_id, order_id);
	} else {
		upqr__acq_copy(o.order_id, sizeof o.order_id, order_id);
		upqr__acq_copy(o.txn_time, sizeof o.txn_time, txn_time);
		if (orig_order_id != NULL)
			upqr__acq_copy(o.orig_order_id, sizeof o.orig_order_id, orig_order_id);
	}
	int rc = upqr_journal_begin(&rec, a->journal, &o);
	/* A reversal already journaled (a crash interrupted it): repeat that one. */
	if (rc == UPQR_EDUPLICATE && kind == UPQR_JOURNAL_REVERSAL && a->recovering)
		rc = upqr_journal_find(&rec, a->journal, a->mer_id, order_id, UPQR_JOURNAL_REVERSAL);
	if (rc != UPQR_OK)
		return journal_error(a, rc, "cannot record the order before sending it");
	a->jr.id = rec.id;
	a->jr.kind = kind;
	a->jr.state = rec.state;
	return UPQR_OK;
}

static void fill_update(upqr_journal_update *u, const upqr_acq_result *r)
{
	memset(u, 0, sizeof *u);
	upqr__acq_copy(u->resp_code, sizeof u->resp_code, r->resp_code);
	upqr__acq_copy(u->orig_resp_code, sizeof u->orig_resp_code, r->orig_resp_code);
	upqr__acq_copy(u->resp_msg, sizeof u->resp_msg, r->resp_msg);
	upqr__acq_copy(u->query_id, sizeof u->query_id, r->query_id);
}

/* The state r stands for (never called for a reversed result). */
static upqr_journal_state target_state(const upqr_acq_result *r)
{
	switch (r->outcome) {
	case UPQR_OUTCOME_SUCCESS: return UPQR_JOURNAL_SUCCESS;
	case UPQR_OUTCOME_FAILED: return UPQR_JOURNAL_FAILED;
	case UPQR_OUTCOME_UNKNOWN: break;
	}
	return r->accepted ? UPQR_JOURNAL_ACCEPTED : UPQR_JOURNAL_UNKNOWN;
}

int upqr__acq_journal_step(upqr_acquirer *a, const upqr_acq_result *r)
{
	if (a->journal == NULL || a->jr.id == 0)
		return UPQR_OK;
	if (r->reversed)
		return upqr__acq_journal_reversed(a, r);
	upqr_journal_state to = target_state(r);
	upqr_journal_update u;
	upqr_journal_record rec;
	fill_update(&u, r);
	int legal = upqr_journal_transition_legal(a->jr.kind, a->jr.state, to);
	int rc;
	if (legal == 1 && to != a->jr.state)
		rc = upqr_journal_transition(&rec, a->journal, a->jr.id, to, &u);
	else if (!upqr_journal_state_is_final(a->jr.state) && !upqr_journal_state_is_final(to))
		rc = upqr_journal_note_attempt(&rec, a->journal, a->jr.id, &u);
	else
		rc = upqr_journal_transition(&rec, a->journal, a->jr.id, to, &u);
	if (rc == UPQR_ESTATE && upqr_journal_get(&rec, a->journal, a->jr.id) == UPQR_OK &&
			upqr_journal_state_is_final(rec.state) && !upqr_journal_state_is_final(to)) {
		/* A notification settled it meanwhile; upqr__acq_journal_final picks that up. */
		a->jr.state = rec.state;
		return UPQR_OK;
	}
	if (rc != UPQR_OK)
		return journal_error(a, rc, "cannot record the new state");
	a->jr.state = rec.state;
	return UPQR_OK;
}

int upqr__acq_journal_reversed(upqr_acquirer *a, const upqr_acq_result *r)
{
	if (a->journal == NULL || a->jr.id == 0 || a->jr.state == UPQR_JOURNAL_REVERSED)
		return UPQR_OK;
	upqr_journal_record rev;
	upqr_journal_update u;
	upqr__acq_jr consume = a->jr;
	int rc = upqr_journal_find(&rev, a->journal, a->mer_id, r->order_id, UPQR_JOURNAL_REVERSAL);
	if (rc == UPQR_ENOTFOUND) {
		rc = upqr__acq_journal_begin(a, UPQR_JOURNAL_REVERSAL, r->order_id, r->txn_time, 0, NULL);
		a->jr = consume;
		if (rc != UPQR_OK)
			return rc;
		rc = upqr_journal_find(&rev, a->journal, a->mer_id, r->order_id, UPQR_JOURNAL_REVERSAL);
	}
	if (rc != UPQR_OK)
		return journal_error(a, rc, "cannot find the reversal record");
	fill_update(&u, r);
	if (rev.state == UPQR_JOURNAL_FAILED)
		/* The journal has this reversal refused: the gateway's word contradicts it; a person looks. */
		return upqr__acq_error(a, UPQR_ESTATE, "journal: the gateway reports %s reversed, but its "
				"reversal is booked as refused", r->order_id);
	if (!upqr_journal_state_is_final(rev.state))
		rc = upqr_journal_transition(&rev, a->journal, rev.id, UPQR_JOURNAL_SUCCESS, &u);
	if (rc != UPQR_OK)
		return journal_error(a, rc, "cannot book the reversal the gateway reports");
	upqr_journal_record rec;
	if (upqr_journal_get(&rec, a->journal, a->jr.id) == UPQR_OK)
		a->jr.state = rec.state;
	return UPQR_OK;
}

bool upqr__acq_journal_final(upqr_acquirer *a, upqr_acq_result *r)
{
	upqr_journal_record rec;
	if (a->journal == NULL || a->jr.id == 0 ||
			upqr_journal_get(&rec, a->journal, a->jr.id) != UPQR_OK ||
			!upqr_journal_state_is_final(rec.state))
		return false;
	a->jr.state = rec.state;
	/* Voided or refunded later: the payment itself did succeed. */
	bool paid = rec.state == UPQR_JOURNAL_SUCCESS || rec.state == UPQR_JOURNAL_VOIDED ||
		rec.state == UPQR_JOURNAL_REFUNDED;
	r->outcome = paid ? UPQR_OUTCOME_SUCCESS : UPQR_OUTCOME_FAILED;
	r->reversed = rec.state == UPQR_JOURNAL_REVERSED;
	r->cause = UPQR_OK;
	upqr__acq_copy(r->resp_code, sizeof r->resp_code, rec.orig_resp_code[0] ? rec.orig_resp_code : rec.resp_code);
	upqr__acq_copy(r->resp_msg, sizeof r->resp_msg, rec.resp_msg);
	if (rec.query_id[0])
		upqr__acq_copy(r->query_id, sizeof r->query_id, rec.query_id);
	return true;
}

void upqr__acq_journal_done(upqr_acquirer *a)
{
	/* Still open (a QR not paid yet, an outcome unknown): let recovery take it at once. */
	if (a->journal != NULL && a->jr.id != 0 && !upqr_journal_state_is_final(a->jr.state) &&
			upqr_journal_release(a->journal, a->jr.id) != UPQR_OK)
		a->jr.id = 0; /* not ours any more: its lease lapses by itself */
	a->jr.id = 0;
	a->order_seen = false;
}

int upqr__acq_journal_original(upqr_acquirer *a, const char *orig_order_id, char *query_id,
		size_t qcap, char *txn_time, size_t tcap)
{
	upqr_journal_record rec;
	if (a->journal == NULL)
		return upqr__acq_error(a, UPQR_EINVAL, "give orig_query_id or orig_order_id + orig_txn_time");
	int rc = upqr_journal_find(&rec, a->journal, a->mer_id, orig_order_id, UPQR_JOURNAL_KIND_NONE);
	if (rc != UPQR_OK)
		return journal_error(a, rc, "the original order is not in the journal");
	upqr__acq_copy(query_id, qcap, rec.query_id);
	upqr__acq_copy(txn_time, tcap, rec.txn_time);
	return UPQR_OK;
}
