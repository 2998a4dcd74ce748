/*
 * journal_flow.c - each journal operation as one transaction, written once
 * for every backend: what is read (and locked), which rule decides, what is
 * written. The backends (journal_sqlite.c, journal_pg.c) supply only the
 * storage steps of upqr__journal_ops.
 *
 * Lock order, where a backend locks rows (PostgreSQL): a record before its
 * original, never the other way round, so two transactions never wait for
 * each other in a circle. begin of a child locks only the original; a
 * transition locks the record, then (when a child succeeds) its original.
 */
#include <string.h>

#include "journal_internal.h"

static int get_by_id(upqr_journal *j, int64_t id, bool lock, upqr_journal_record *out)
{
	int rc = j->ops->get(j, id, NULL, NULL, false, lock, out);
	if (rc == UPQR_ENOTFOUND)
		upqr__set_error(j->err, rc, "no record %lld in the journal", (long long)id);
	return rc;
}

static int get_by_key(upqr_journal *j, const char *mer_id, const char *order_id, bool reversal,
		bool lock, upqr_journal_record *out)
{
	int rc = j->ops->get(j, 0, mer_id, order_id, reversal, lock, out);
	if (rc == UPQR_ENOTFOUND)
		upqr__set_error(j->err, rc, "no %s order %s of merchant %s in the journal",
				reversal ? "reversal of" : "", order_id, mer_id);
	return rc;
}

/* Runs step(j, ctx) as one transaction: committed when it returns UPQR_OK, else rolled back. */
static int in_tx(upqr_journal *j, int (*step)(upqr_journal *j, void *ctx), void *ctx)
{
	int rc = j->ops->tx_begin(j);
	if (rc != UPQR_OK)
		return rc;
	return j->ops->tx_end(j, step(j, ctx));
}

/* ---- begin ------------------------------------------------------------------------ */

static int load_child_context(upqr_journal *j, const upqr_journal_record *orig,
		int64_t *outstanding, upqr_journal_state *reversal)
{
	int rc = j->ops->outstanding(j, orig->id, outstanding);
	if (rc != UPQR_OK)
		return rc;
	upqr_journal_record rev;
	rc = j->ops->get(j, 0, orig->mer_id, orig->order_id, true, false, &rev);
	*reversal = rc == UPQR_OK ? rev.state : (upqr_journal_state)0;
	return rc == UPQR_ENOTFOUND ? UPQR_OK : rc;
}

static int begin_step(upqr_journal *j, void *ctx)
{
	upqr_journal_record *rec = ctx;
	if (rec->kind >= UPQR_JOURNAL_VOID) {
		/* Locked until commit: the children of one order are decided one at a time. */
		upqr_journal_record orig;
		int rc = j->ops->get(j, 0, rec->mer_id, rec->orig_order_id, false, true, &orig);
		if (rc == UPQR_ENOTFOUND)
			return upqr__set_error(j->err, UPQR_ENOTFOUND, "the original order %s of merchant "
					"%s is not in the journal", rec->orig_order_id, rec->mer_id);
		int64_t outstanding = 0;
		upqr_journal_state reversal = 0;
		if (rc == UPQR_OK)
			rc = load_child_context(j, &orig, &outstanding, &reversal);
		if (rc == UPQR_OK)
			rc = upqr__journal_check_child(j, rec, &orig, outstanding, reversal);
		if (rc != UPQR_OK)
			return rc;
	}
	int rc = j->ops->insert(j, rec);
	if (rc == UPQR_EDUPLICATE)
		return upqr__set_error(j->err, UPQR_EDUPLICATE,
				"order %s of merchant %s is already in the journal", rec->order_id, rec->mer_id);
	return rc;
}

int upqr__journal_flow_begin(upqr_journal *j, const upqr_journal_order *o, int64_t now,
		upqr_journal_record *out)
{
	upqr_journal_record rec;
	upqr__journal_new_record(j, &rec, o, now);
	int rc = in_tx(j, begin_step, &rec);
	if (rc == UPQR_OK)
		*out = rec;
	return rc;
}

/* ---- transitions and noted attempts ---------------------------------------------------- */

/* A child that reached SUCCESS changes its original in the same transaction. */
static int apply_to_original(upqr_journal *j, const upqr_journal_record *child, int64_t now)
{
	upqr_journal_record orig;
	int rc = get_by_id(j, child->orig_id, true, &orig);
	bool changed = false;
	if (rc == UPQR_OK)
		rc = upqr__journal_apply_child_success(j, &orig, child, now, &changed);
	if (rc == UPQR_OK && changed)
		rc = j->ops->write(j, &orig);
	return rc;
}

/* Writes a planned change of rec (already made in memory) and its effect on the original. */
static int store_change(upqr_journal *j, const upqr_journal_record *before,
		const upqr_journal_record *rec, bool changed, int64_t now)
{
	int rc = UPQR_OK;
	if (changed && rec->state == UPQR_JOURNAL_SUCCESS && rec->orig_id > 0)
		rc = apply_to_original(j, rec, now);
	if (rc == UPQR_OK && memcmp(before, rec, sizeof(*rec)) != 0)
		rc = j->ops->write(j, rec);
	return rc;
}

typedef struct update_ctx {
	int64_t id;
	upqr_journal_state to;
	const upqr_journal_update *u;
	int64_t now;
	upqr_journal_record rec;
} update_ctx;

static int update_step(upqr_journal *j, void *ctx)
{
	update_ctx *c = ctx;
	int rc = get_by_id(j, c->id, true, &c->rec);
	if (rc != UPQR_OK)
		return rc;
	upqr_journal_record before = c->rec;
	bool changed = false;
	rc = upqr__journal_plan_update(j, &c->rec, c->to, c->u, false, c->now, &changed);
	if (rc == UPQR_OK)
		rc = store_change(j, &before, &c->rec, changed, c->now);
	return rc;
}

int upqr__journal_flow_update(upqr_journal *j, int64_t id, upqr_journal_state to,
		const upqr_journal_update *u, int64_t now, upqr_journal_record *out)
{
	update_ctx c = { id, to, u, now, { 0 } };
	int rc = in_tx(j, update_step, &c);
	if (rc == UPQR_OK)
		*out = c.rec;
	return rc;
}

/* ---- reads -------------------------------------------------------------------------- */

int upqr__journal_flow_find(upqr_journal *j, int64_t id, const char *mer_id,
		const char *order_id, upqr_journal_kind kind, upqr_journal_record *out)
{
	int rc = j->ops->ready ? j->ops->ready(j) : UPQR_OK;
	if (rc != UPQR_OK)
		return rc;
	upqr_journal_record rec;
	rc = id > 0 ? get_by_id(j, id, false, &rec)
			: get_by_key(j, mer_id, order_id, kind == UPQR_JOURNAL_REVERSAL, false, &rec);
	if (rc == UPQR_OK && id <= 0 && kind != UPQR_JOURNAL_KIND_NONE && rec.kind != kind)
		rc = upqr__set_error(j->err, UPQR_ENOTFOUND, "order %s of merchant %s is a %s, not a %s",
				order_id, mer_id, upqr_journal_kind_name(rec.kind), upqr_journal_kind_name(kind));
	if (rc == UPQR_OK)
		*out = rec;
	return rc;
}

/* ---- release -------------------------------------------------------------------------- */

typedef struct release_ctx {
	int64_t id, now;
} release_ctx;

static int release_step(upqr_journal *j, void *ctx)
{
	const release_ctx *c = ctx;
	upqr_journal_record rec;
	int rc = get_by_id(j, c->id, true, &rec);
	if (rc != UPQR_OK || !rec.owner[0])
		return rc;
	bool mine = strcmp(rec.owner, j->owner) == 0;
	if (!mine && rec.lease_until_ms > c->now)
		return upqr__set_error(j->err, UPQR_ECLAIMED, "record %lld is claimed by %s, not by "
				"this handle", (long long)c->id, rec.owner);
	if (!mine)
		return UPQR_OK;  /* a lapsed claim of someone else: already free */
	return j->ops->set_claim(j, c->id, "", 0);
}

int upqr__journal_flow_release(upqr_journal *j, int64_t id, int64_t now)
{
	release_ctx c = { id, now };
	return in_tx(j, release_step, &c);
}

/* ---- notifications ---------------------------------------------------------------------- */

typedef struct book_ctx {
	const upqr_journal_notification *n;
	int64_t now;
	int is_new;
	upqr_journal_record rec;
} book_ctx;

/* A queryId booked before: it must be for the same order; nothing changes. */
static int booked_before(upqr_journal *j, book_ctx *c)
{
	int64_t op_id = 0;
	int rc = j->ops->booked(j, c->n->query_id, &op_id);
	if (rc == UPQR_OK)
		rc = get_by_id(j, op_id, false, &c->rec);
	if (rc == UPQR_OK && (strcmp(c->rec.mer_id, c->n->mer_id) != 0
			|| strcmp(c->rec.order_id, c->n->order_id) != 0))
		rc = upqr__set_error(j->err, UPQR_ESTATE, "queryId %s was booked for order %s, not %s",
				c->n->query_id, c->rec.order_id, c->n->order_id);
	return rc;
}

static void update_of(upqr_journal_update *u, const upqr_journal_notification *n)
{
	memset(u, 0, sizeof(*u));
	memcpy(u->resp_code, n->resp_code, sizeof(u->resp_code));
	memcpy(u->orig_resp_code, n->orig_resp_code, sizeof(u->orig_resp_code));
	memcpy(u->resp_msg, n->resp_msg, sizeof(u->resp_msg));
	memcpy(u->query_id, n->query_id, sizeof(u->query_id));
	u->amount = n->amount;
}

static int book_step(upqr_journal *j, void *ctx)
{
	book_ctx *c = ctx;
	const upqr_journal_notification *n = c->n;
	int64_t op_id = 0;
	int rc = j->ops->booked(j, n->query_id, &op_id);
	if (rc != UPQR_OK || op_id > 0)
		return rc == UPQR_OK ? booked_before(j, c) : rc;
	rc = get_by_key(j, n->mer_id, n->order_id, false, true, &c->rec);
	if (rc != UPQR_OK)
		return rc;
	if (n->txn_time[0] && strcmp(n->txn_time, c->rec.txn_time) != 0)
		return upqr__set_error(j->err, UPQR_ESTATE, "notification for order %s has txnTime %s, "
				"the journal has %s", n->order_id, n->txn_time, c->rec.txn_time);
	upqr_journal_update u;
	update_of(&u, n);
	upqr_journal_record before = c->rec;
	bool changed = false, taken = false;
	rc = upqr__journal_plan_update(j, &c->rec, n->outcome, &u, true, c->now, &changed);
	/* Booked before its effect: of two instances booking one queryId at once, one
	 * inserts and writes the effect, the other finds it taken and changes nothing. */
	if (rc == UPQR_OK)
		rc = j->ops->book(j, n, c->rec.id, c->now, &taken);
	if (rc == UPQR_OK && taken)
		return booked_before(j, c);
	if (rc == UPQR_OK)
		rc = store_change(j, &before, &c->rec, changed, c->now);
	if (rc == UPQR_OK)
		c->is_new = 1;
	return rc;
}

int upqr__journal_flow_book(upqr_journal *j, const upqr_journal_notification *n, int64_t now,
		int *is_new, upqr_journal_record *out)
{
	book_ctx c = { n, now, 0, { 0 } };
	int rc = in_tx(j, book_step, &c);
	if (rc == UPQR_OK) {
		*is_new = c.is_new;
		*out = c.rec;
	}
	return rc;
}
