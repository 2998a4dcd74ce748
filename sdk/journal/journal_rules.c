/*
 * journal_rules.c - what the journal allows, as pure functions on records:
 * legal state changes, claims, the guards on voids, refunds and reversals,
 * and their effect on the original. Backends call these inside their
 * database transaction, so every store enforces the same rules.
 */
#include <string.h>

#include "journal_internal.h"

static const char *const kind_names[] = {
	[UPQR_JOURNAL_APPLY_QR] = "APPLY_QR",
	[UPQR_JOURNAL_CONSUME_QRNO] = "CONSUME_QRNO",
	[UPQR_JOURNAL_CONSUME_CPM] = "CONSUME_CPM",
	[UPQR_JOURNAL_VOID] = "VOID",
	[UPQR_JOURNAL_REFUND] = "REFUND",
	[UPQR_JOURNAL_REVERSAL] = "REVERSAL",
};

static const char *const state_names[] = {
	[UPQR_JOURNAL_PENDING] = "PENDING",
	[UPQR_JOURNAL_UNKNOWN] = "UNKNOWN",
	[UPQR_JOURNAL_ACCEPTED] = "ACCEPTED",
	[UPQR_JOURNAL_SUCCESS] = "SUCCESS",
	[UPQR_JOURNAL_FAILED] = "FAILED",
	[UPQR_JOURNAL_VOIDED] = "VOIDED",
	[UPQR_JOURNAL_REVERSED] = "REVERSED",
	[UPQR_JOURNAL_REFUNDED] = "REFUNDED",
};

const char *upqr_journal_kind_name(upqr_journal_kind kind)
{
	if ((int)kind <= 0 || (size_t)kind >= UPQR__ARRAY_LEN(kind_names))
		return "?";
	return kind_names[kind];
}

const char *upqr_journal_state_name(upqr_journal_state state)
{
	if ((int)state <= 0 || (size_t)state >= UPQR__ARRAY_LEN(state_names))
		return "?";
	return state_names[state];
}

upqr_journal_kind upqr__journal_kind_parse(const char *name)
{
	for (size_t i = 1; i < UPQR__ARRAY_LEN(kind_names); i++)
		if (strcmp(kind_names[i], name) == 0)
			return (upqr_journal_kind)i;
	return UPQR_JOURNAL_KIND_NONE;
}

upqr_journal_state upqr__journal_state_parse(const char *name)
{
	for (size_t i = 1; i < UPQR__ARRAY_LEN(state_names); i++)
		if (strcmp(state_names[i], name) == 0)
			return (upqr_journal_state)i;
	return (upqr_journal_state)0;
}

int upqr_journal_state_is_final(upqr_journal_state state)
{
	return state >= UPQR_JOURNAL_SUCCESS && state <= UPQR_JOURNAL_REFUNDED;
}

static bool is_derived(upqr_journal_state s)
{
	return s == UPQR_JOURNAL_VOIDED || s == UPQR_JOURNAL_REVERSED || s == UPQR_JOURNAL_REFUNDED;
}

static bool is_consume(upqr_journal_kind k)
{
	return k == UPQR_JOURNAL_CONSUME_QRNO || k == UPQR_JOURNAL_CONSUME_CPM;
}

/* Kinds that move money towards the merchant and can be voided or refunded. */
static bool is_payment(upqr_journal_kind k)
{
	return k == UPQR_JOURNAL_APPLY_QR || is_consume(k);
}

int upqr_journal_transition_legal(upqr_journal_kind kind, upqr_journal_state from,
		upqr_journal_state to)
{
	if ((int)kind <= 0 || (size_t)kind >= UPQR__ARRAY_LEN(kind_names))
		return 0;
	if ((int)from <= 0 || (size_t)from >= UPQR__ARRAY_LEN(state_names))
		return 0;
	if ((int)to <= 0 || is_derived(to) || (size_t)to >= UPQR__ARRAY_LEN(state_names))
		return 0;
	if (to == UPQR_JOURNAL_PENDING)
		return from == UPQR_JOURNAL_PENDING ? 2 : 0;  /* "not sent yet" is never an answer */
	if (from == to)
		return 2;
	switch (from) {
	case UPQR_JOURNAL_PENDING:
	case UPQR_JOURNAL_UNKNOWN:
		return 1;  /* to is a later state here: UNKNOWN, ACCEPTED, SUCCESS or FAILED */
	case UPQR_JOURNAL_ACCEPTED:
		/* Accepted by the gateway: a later silence does not make it unknown again. */
		return to == UPQR_JOURNAL_UNKNOWN ? 2 : 1;
	default:
		break;
	}
	/* From here `from` is final: news that is not final is simply older. */
	if (to == UPQR_JOURNAL_UNKNOWN || to == UPQR_JOURNAL_ACCEPTED)
		return 2;
	switch (from) {
	case UPQR_JOURNAL_VOIDED:
	case UPQR_JOURNAL_REFUNDED:
		/* It did succeed before it was undone: a late SUCCESS agrees. */
		return to == UPQR_JOURNAL_SUCCESS ? 2 : 0;
	case UPQR_JOURNAL_REVERSED:
		/* A reversal returns the money whether or not the consume had succeeded. */
		return 2;
	default:
		return 0;  /* SUCCESS -> FAILED, FAILED -> SUCCESS */
	}
}

void upqr__journal_copy_text(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);
	if (n >= cap) {
		/* Back up over continuation bytes so a character is never cut in two. */
		n = cap - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

#define COPY(dst, src) upqr__journal_copy_text((dst), sizeof(dst), (src))

void upqr__journal_new_record(upqr_journal *j, upqr_journal_record *rec,
		const upqr_journal_order *o, int64_t now)
{
	memset(rec, 0, sizeof(*rec));
	rec->kind = o->kind;
	rec->state = UPQR_JOURNAL_PENDING;
	COPY(rec->mer_id, o->mer_id);
	COPY(rec->order_id, o->order_id);
	COPY(rec->txn_time, o->txn_time);
	rec->amount = o->amount;
	COPY(rec->currency, o->currency[0] ? o->currency : "156");
	COPY(rec->orig_order_id, o->orig_order_id);
	rec->created_ms = now;
	rec->updated_ms = now;
	COPY(rec->owner, j->owner);
	rec->lease_until_ms = now + j->lease_ms;
}

/* Fills the fields a child copies from its original. */
static void link_child(upqr_journal_record *rec, const upqr_journal_record *orig)
{
	rec->orig_id = orig->id;
	COPY(rec->orig_order_id, orig->order_id);
	COPY(rec->orig_txn_time, orig->txn_time);
	COPY(rec->orig_query_id, orig->query_id);
	if (rec->kind == UPQR_JOURNAL_REVERSAL) {
		/* UnionPay addresses a reversal by the consume's own orderId and txnTime. */
		COPY(rec->order_id, orig->order_id);
		COPY(rec->txn_time, orig->txn_time);
		rec->amount = orig->amount;
	}
}

static int check_reversal(upqr_journal *j, const upqr_journal_record *orig, int64_t outstanding,
		upqr_journal_state reversal)
{
	if (!is_consume(orig->kind))
		return upqr__set_error(j->err, UPQR_ESTATE,
				"order %s is %s: only a consume (qrNo or CPM) can be reversed",
				orig->order_id, upqr_journal_kind_name(orig->kind));
	if (reversal)
		return upqr__set_error(j->err, UPQR_EDUPLICATE,
				"order %s already has a reversal (%s)", orig->order_id,
				upqr_journal_state_name(reversal));
	if (orig->state == UPQR_JOURNAL_FAILED || is_derived(orig->state))
		return upqr__set_error(j->err, UPQR_ESTATE, "order %s is %s: nothing to reverse",
				orig->order_id, upqr_journal_state_name(orig->state));
	if (outstanding > 0)
		return upqr__set_error(j->err, UPQR_ESTATE,
				"order %s has refunds or a void outstanding: it cannot be reversed too",
				orig->order_id);
	return UPQR_OK;
}

static int check_refund_or_void(upqr_journal *j, const upqr_journal_record *rec,
		const upqr_journal_record *orig, int64_t outstanding, upqr_journal_state reversal)
{
	const char *what = rec->kind == UPQR_JOURNAL_VOID ? "void" : "refund";
	if (!is_payment(orig->kind))
		return upqr__set_error(j->err, UPQR_ESTATE, "order %s is a %s: it cannot take a %s",
				orig->order_id, upqr_journal_kind_name(orig->kind), what);
	if (orig->state != UPQR_JOURNAL_SUCCESS)
		return upqr__set_error(j->err, UPQR_ESTATE, "order %s is %s: a %s needs SUCCESS",
				orig->order_id, upqr_journal_state_name(orig->state), what);
	if (reversal && reversal != UPQR_JOURNAL_FAILED)
		return upqr__set_error(j->err, UPQR_ESTATE,
				"order %s has a reversal (%s): no %s on top of it", orig->order_id,
				upqr_journal_state_name(reversal), what);
	if (rec->kind == UPQR_JOURNAL_VOID && rec->amount != orig->amount)
		return upqr__set_error(j->err, UPQR_ESTATE,
				"a void must be for the whole amount of order %s (%lld), not %lld",
				orig->order_id, (long long)orig->amount, (long long)rec->amount);
	/* Amounts are at most 12 digits, so the sum cannot overflow. */
	if (outstanding + rec->amount > orig->amount)
		return upqr__set_error(j->err, UPQR_EOVERREFUND,
				"%s of %lld on order %s refused: %lld of %lld already refunded, voided or "
				"in progress", what, (long long)rec->amount, orig->order_id,
				(long long)outstanding, (long long)orig->amount);
	return UPQR_OK;
}

int upqr__journal_check_child(upqr_journal *j, upqr_journal_record *rec,
		const upqr_journal_record *orig, int64_t outstanding, upqr_journal_state reversal)
{
	if (strcmp(rec->currency, orig->currency) != 0 && rec->kind != UPQR_JOURNAL_REVERSAL)
		return upqr__set_error(j->err, UPQR_ESTATE,
				"currency %s differs from order %s's currency %s", rec->currency,
				orig->order_id, orig->currency);
	int rc = rec->kind == UPQR_JOURNAL_REVERSAL
			? check_reversal(j, orig, outstanding, reversal)
			: check_refund_or_void(j, rec, orig, outstanding, reversal);
	if (rc != UPQR_OK)
		return rc;
	COPY(rec->currency, orig->currency);
	link_child(rec, orig);
	return UPQR_OK;
}

static bool claimed_elsewhere(const upqr_journal *j, const upqr_journal_record *rec, int64_t now)
{
	return rec->owner[0] && strcmp(rec->owner, j->owner) != 0 && rec->lease_until_ms > now;
}

/* Checks u against rec without changing anything. */
static int check_update_fields(upqr_journal *j, const upqr_journal_record *rec,
		const upqr_journal_update *u)
{
	if (u->query_id[0] && rec->query_id[0] && strcmp(u->query_id, rec->query_id) != 0)
		return upqr__set_error(j->err, UPQR_ESTATE,
				"queryId %s differs from the %s already recorded for order %s",
				u->query_id, rec->query_id, rec->order_id);
	if (u->amount > 0 && u->amount != rec->amount
			&& !(rec->kind == UPQR_JOURNAL_APPLY_QR && rec->amount == 0))
		return upqr__set_error(j->err, UPQR_ESTATE,
				"amount %lld differs from the %lld recorded for order %s",
				(long long)u->amount, (long long)rec->amount, rec->order_id);
	return UPQR_OK;
}

static void store_update_fields(upqr_journal_record *rec, const upqr_journal_update *u)
{
	if (u->resp_code[0])
		COPY(rec->resp_code, u->resp_code);
	if (u->orig_resp_code[0])
		COPY(rec->orig_resp_code, u->orig_resp_code);
	if (u->resp_msg[0])
		COPY(rec->resp_msg, u->resp_msg);
	if (u->query_id[0])
		COPY(rec->query_id, u->query_id);
	if (u->amount > 0)
		rec->amount = u->amount;
}

int upqr__journal_plan_update(upqr_journal *j, upqr_journal_record *rec,
		upqr_journal_state to, const upqr_journal_update *u, bool ignore_claim,
		int64_t now, bool *changed)
{
	static const upqr_journal_update none;
	if (!u)
		u = &none;
	*changed = false;
	if (!ignore_claim && claimed_elsewhere(j, rec, now))
		return upqr__set_error(j->err, UPQR_ECLAIMED,
				"order %s (%s) is claimed by %s for %lld ms more", rec->order_id,
				upqr_journal_kind_name(rec->kind), rec->owner,
				(long long)(rec->lease_until_ms - now));
	int legal = 2;  /* a noted attempt keeps the state */
	if (to != 0) {
		legal = upqr_journal_transition_legal(rec->kind, rec->state, to);
		if (legal == 0)
			return upqr__set_error(j->err, UPQR_ESTATE, "%s %s: %s -> %s is not allowed",
					upqr_journal_kind_name(rec->kind), rec->order_id,
					upqr_journal_state_name(rec->state), upqr_journal_state_name(to));
	}
	int rc = check_update_fields(j, rec, u);
	if (rc != UPQR_OK)
		return rc;
	/* A final record keeps the answer that made it final. */
	if (upqr_journal_state_is_final(rec->state))
		return UPQR_OK;
	/* Older news (UNKNOWN for an ACCEPTED record) is not stored; the lease is still renewed. */
	if (!(legal == 2 && to != 0 && to != rec->state))
		store_update_fields(rec, u);
	rec->updated_ms = now;
	if (to == 0)
		rec->attempts++;
	if (legal == 1) {
		rec->state = to;
		*changed = true;
	}
	if (upqr_journal_state_is_final(rec->state)) {
		memset(rec->owner, 0, sizeof(rec->owner));
		rec->lease_until_ms = 0;
	} else if (!ignore_claim) {
		COPY(rec->owner, j->owner);
		rec->lease_until_ms = now + j->lease_ms;
	}
	return UPQR_OK;
}

int upqr__journal_apply_child_success(upqr_journal *j, upqr_journal_record *orig,
		const upqr_journal_record *child, int64_t now, bool *changed)
{
	*changed = false;
	upqr_journal_state before = orig->state;
	switch (child->kind) {
	case UPQR_JOURNAL_VOID:
		if (orig->state == UPQR_JOURNAL_SUCCESS)
			orig->state = UPQR_JOURNAL_VOIDED;
		break;
	case UPQR_JOURNAL_REFUND:
		if (orig->state != UPQR_JOURNAL_SUCCESS)
			break;
		orig->refunded_total += child->amount;
		if (orig->refunded_total == orig->amount)
			orig->state = UPQR_JOURNAL_REFUNDED;
		*changed = true;
		break;
	case UPQR_JOURNAL_REVERSAL:
		/* A failed consume moved no money: the reversal changes nothing. */
		if (orig->state == UPQR_JOURNAL_FAILED)
			return UPQR_OK;
		if (!is_derived(orig->state))
			orig->state = UPQR_JOURNAL_REVERSED;
		break;
	default:
		return UPQR_OK;
	}
	if (orig->state != before)
		*changed = true;
	else if (!*changed)
		/* The begin guards make this unreachable; refuse rather than lose money silently. */
		return upqr__set_error(j->err, UPQR_ESTATE,
				"%s %s succeeded but its original %s is %s", upqr_journal_kind_name(child->kind),
				child->order_id, orig->order_id, upqr_journal_state_name(orig->state));
	orig->updated_ms = now;
	if (upqr_journal_state_is_final(orig->state) && orig->state != UPQR_JOURNAL_SUCCESS) {
		memset(orig->owner, 0, sizeof(orig->owner));
		orig->lease_until_ms = 0;
	}
	return UPQR_OK;
}
