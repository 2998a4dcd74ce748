/*
 * txn.c - validation steps 4..8 of spec/acquirer.md §6.2 and the state
 * machine of §6.3, on a request whose signature has been verified. Called
 * with s->lock held. The reply's respCode goes to q->resp_code and extra
 * reply fields to q->out; echoed fields are added by the caller.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db.h"
#include "notify.h"

typedef enum kind { K_UNKNOWN, K_APPLY, K_CONSUME, K_VOID, K_REFUND, K_REVERSAL, K_QUERY, K_ENCCERT } kind;

static kind classify(const char *tt, const char *st)
{
	static const struct { const char *tt, *st; kind k; } map[] = {
		{ "01", "07", K_APPLY }, { "01", "06", K_CONSUME }, { "31", "00", K_VOID },
		{ "04", "00", K_REFUND }, { "99", "01", K_REVERSAL }, { "00", "00", K_QUERY },
		{ "00", "02", K_QUERY }, { "95", "00", K_ENCCERT },
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(tt, map[i].tt) == 0 && strcmp(st, map[i].st) == 0)
			return map[i].k;
	return K_UNKNOWN;
}

static const char *in(const sim_req *q, const char *key)
{
	return msg_get(&q->in, key);
}

/* min..max characters, each accepted by is (isdigit, isalnum). */
static bool chars_len(const char *v, size_t min, size_t max, int (*is)(int))
{
	size_t n = strlen(v);
	if (n < min || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is((unsigned char)v[i]))
			return false;
	return true;
}

static bool all_digits(const char *v, size_t min, size_t max)
{
	return chars_len(v, min, max, isdigit);
}

static bool alnum_len(const char *v, size_t min, size_t max)
{
	return chars_len(v, min, max, isalnum);
}

/* txnAmt: ^[1-9]\d{0,11}$ */
static bool amount_ok(const char *v, int64_t *out)
{
	if (!v[0] || v[0] == '0' || !all_digits(v, 1, 12))
		return false;
	*out = strtoll(v, NULL, 10);
	return true;
}

static bool is_new_txn(kind k)
{
	return k == K_APPLY || k == K_CONSUME || k == K_VOID || k == K_REFUND;
}

/* Step 5a: fields the message type needs. NULL or "13". */
static const char *check_required(const sim_req *q, kind k)
{
	static const char *const apply[] = { "channelType", "orderId", "txnTime", "currencyCode", "backUrl", NULL };
	static const char *const consume[] = { "channelType", "orderId", "txnTime", "txnAmt", "currencyCode",
		"backUrl", NULL };
	static const char *const money[] = { "channelType", "orderId", "txnTime", "txnAmt", "backUrl", NULL };
	static const char *const reversal[] = { "orderId", "txnTime", NULL };
	static const char *const enccert[] = { "orderId", "txnTime", "certType", NULL };
	const char *const *need = k == K_APPLY ? apply : k == K_CONSUME ? consume : k == K_VOID ||
		k == K_REFUND ? money : k == K_REVERSAL ? reversal : k == K_ENCCERT ? enccert : NULL;
	for (size_t i = 0; need && need[i]; i++)
		if (!in(q, need[i]) || !*in(q, need[i]))
			return "13";
	if ((k == K_VOID || k == K_REFUND) && !in(q, "origQryId") &&
			!(in(q, "origOrderId") && in(q, "origTxnTime")))
		return "13";
	if (k == K_QUERY && !in(q, "queryId") && !(in(q, "orderId") && in(q, "txnTime")))
		return "13";
	if (k == K_CONSUME && !in(q, "qrNo") && !in(q, SIM_CPM_FIELD))
		return "13";
	const char *at = in(q, "accessType");
	if (at && strcmp(at, "1") == 0 && !in(q, "acqInsCode"))
		return "13";
	return NULL;
}

/* Step 5b: formats. NULL or "10". */
static const char *check_formats(sim *s, const sim_req *q)
{
	const char *v;
	int64_t t;
	if (strcasecmp(in(q, "encoding"), "UTF-8") != 0)
		return "10";
	v = in(q, "accessType");
	if (strcmp(v, "0") && strcmp(v, "1") && strcmp(v, "2"))
		return "10";
	if ((v = in(q, "channelType")) && strcmp(v, "07") && strcmp(v, "08"))
		return "10";
	if ((v = in(q, "orderId")) && !alnum_len(v, 8, (size_t)s->cfg.order_id_max))
		return "10";
	if ((v = in(q, "txnTime")) && (!all_digits(v, 14, 14) || !sim_bj_parse(v, 14, &t)))
		return "10";
	if ((v = in(q, "origTxnTime")) && (!all_digits(v, 14, 14) || !sim_bj_parse(v, 14, &t)))
		return "10";
	if ((v = in(q, "txnAmt")) && !amount_ok(v, &t))
		return "10";
	if ((v = in(q, "currencyCode")) && strcmp(v, "156") != 0)
		return "10";
	if ((v = in(q, "qrNo")) && (strncmp(v, "62", 2) != 0 || !all_digits(v, 19, 19)))
		return "10";
	if ((v = in(q, "backUrl")) && ((strncmp(v, "http://", 7) && strncmp(v, "https://", 8)) ||
			strlen(v) >= sizeof ((sim_txn *)0)->back_url))
		return "10";
	if ((v = in(q, "reqReserved")) && strlen(v) > 1024)
		return "10";
	if ((v = in(q, "origQryId")) && !all_digits(v, 1, 21))
		return "10";
	if ((v = in(q, "queryId")) && !all_digits(v, 1, 21))
		return "10";
	if ((v = in(q, "origOrderId")) && !alnum_len(v, 8, 40))
		return "10";
	if ((v = in(q, "payTimeout")) && (!all_digits(v, 14, 14) || !sim_bj_parse(v, 14, &t)))
		return "10";
	if ((v = in(q, SIM_CPM_FIELD)) && (in(q, "qrNo") || !sim_cpm_format_ok(v)))
		return "10";
	return NULL;
}

static bool txn_type_allowed(const sim_merchant *m, const char *tt)
{
	const char *p = m->txn_types;
	size_t n = strlen(tt);
	while (*p) {
		if (strncmp(p, tt, n) == 0 && (p[n] == ',' || p[n] == 0))
			return true;
		p = strchr(p, ',');
		if (!p)
			break;
		p++;
	}
	return false;
}

/* queryId (21 digits), traceNo, traceTime and settleDate of a money operation, at sim time now. */
static void assign_ids(sim_txn *t, int64_t now)
{
	char ts[16];
	sim_bj_format(ts, sizeof ts, now, BJ_SHORT);
	snprintf(t->query_id, sizeof t->query_id, "%s%09lld", ts, (long long)(t->id % 1000000000));
	snprintf(t->trace_no, sizeof t->trace_no, "%06lld", (long long)(t->id % 1000000));
	sim_bj_format(t->trace_time, sizeof t->trace_time, now, BJ_TRACE);
	sim_bj_format(t->settle_date, sizeof t->settle_date, sim_settle_day(now) * 86400 - 8 * 3600, BJ_MMDD);
}

static void new_txn(sim *s, const sim_req *q, sim_txn *t, const char *state)
{
	memset(t, 0, sizeof *t);
	int64_t now = sim_now(s);
	snprintf(t->mer_id, sizeof t->mer_id, "%s", in(q, "merId"));
	snprintf(t->order_id, sizeof t->order_id, "%s", in(q, "orderId"));
	snprintf(t->txn_time, sizeof t->txn_time, "%s", in(q, "txnTime"));
	snprintf(t->txn_type, sizeof t->txn_type, "%s", in(q, "txnType"));
	snprintf(t->txn_sub_type, sizeof t->txn_sub_type, "%s", in(q, "txnSubType"));
	snprintf(t->version, sizeof t->version, "%s", in(q, "version"));
	snprintf(t->sign_method, sizeof t->sign_method, "%s", in(q, "signMethod"));
	snprintf(t->access_type, sizeof t->access_type, "%s", in(q, "accessType"));
	snprintf(t->currency, sizeof t->currency, "%s", in(q, "currencyCode") ? in(q, "currencyCode") : "156");
	snprintf(t->state, sizeof t->state, "%s", state);
	snprintf(t->back_url, sizeof t->back_url, "%s", in(q, "backUrl") ? in(q, "backUrl") : "");
	snprintf(t->req_reserved, sizeof t->req_reserved, "%s", in(q, "reqReserved") ? in(q, "reqReserved") : "");
	snprintf(t->qr_no, sizeof t->qr_no, "%s", in(q, "qrNo") ? in(q, "qrNo") : "");
	t->amount = in(q, "txnAmt") ? strtoll(in(q, "txnAmt"), NULL, 10) : 0;
	t->created = now;
	t->settle_day = sim_settle_day(now);
}

static const char *fault(sim *s, const sim_req *q, const char *name)
{
	return sim_fault_get(s, name, in(q, "merId"), q->order_id, q->amount);
}

/* A consume reaches a final state: SUCCESS (notify) or FAILED with code. */
static void finish_consume(sim *s, sim_txn *t, const char *fail_code)
{
	int64_t now = sim_now(s);
	if (!t->query_id[0])
		assign_ids(t, now);
	snprintf(t->state, sizeof t->state, "%s", fail_code ? "FAILED" : "SUCCESS");
	snprintf(t->resp_code, sizeof t->resp_code, "%s", fail_code ? fail_code : "00");
	t->settle_day = sim_settle_day(now);
	(void)txn_update(s, t);
	char amount[24];
	snprintf(amount, sizeof amount, "%lld", (long long)t->amount);
	bool fail_notify = sim_fault_get(s, "notify_fail", t->mer_id, t->order_id, amount) != NULL;
	if (!fail_code || fail_notify)
		sim_notify_enqueue(s, t, fail_code);
}

static void reply_ids(sim_req *q, const sim_txn *t)
{
	msg_set(&q->out, "queryId", t->query_id);
	msg_set(&q->out, "traceNo", t->trace_no);
	msg_set(&q->out, "traceTime", t->trace_time);
	msg_set(&q->out, "settleDate", t->settle_date);
}

/* A refused consume, void or refund still uses up its orderId (the key passed step 8). */
static void reject(sim *s, sim_req *q, const char *code)
{
	sim_txn t;
	new_txn(s, q, &t, "REJECTED");
	snprintf(t.resp_code, sizeof t.resp_code, "%s", code);
	(void)txn_insert(s, &t);
	q->resp_code = code;
}

static void do_apply(sim *s, sim_req *q)
{
	sim_txn t;
	new_txn(s, q, &t, "QR_ISSUED");
	double scale = s->cfg.time_scale > 0 ? s->cfg.time_scale : 1;
	t.expires = t.created + (int64_t)(s->cfg.qr_ttl_s / scale);
	int64_t pt;
	if (in(q, "payTimeout") && sim_bj_parse(in(q, "payTimeout"), 14, &pt))
		t.expires = pt;
	if (txn_insert(s, &t)) {
		q->resp_code = "99";
		return;
	}
	char ts[16];
	sim_bj_format(ts, sizeof ts, t.created, BJ_FULL);
	snprintf(t.qr_code, sizeof t.qr_code, "%s/00010000/%s%010lld%08u", s->cfg.qr_host, ts,
		(long long)t.id, (unsigned)(((uint64_t)t.id * 2654435761u + (uint64_t)t.created) % 100000000u));
	(void)txn_update(s, &t);
	msg_set(&q->out, "qrCode", t.qr_code);
	q->txn_id = t.id;
	q->resp_code = "00";
}

static void do_consume(sim *s, sim_req *q)
{
	sim_txn t;
	const char *cpm = in(q, SIM_CPM_FIELD), *code = cpm ? sim_cpm_check(s, cpm) : NULL;
	if (code) {
		reject(s, q, code);
		return;
	}
	new_txn(s, q, &t, "PROCESSING");
	if (txn_insert(s, &t)) {
		q->resp_code = "99";
		return;
	}
	assign_ids(&t, t.created);
	(void)txn_update(s, &t);
	const char *outcome = fault(s, q, "outcome");
	if (!outcome || strcmp(outcome, "success") == 0)
		finish_consume(s, &t, NULL);
	else if (strcmp(outcome, "decline") == 0)
		finish_consume(s, &t, "64");
	reply_ids(q, &t);
	q->txn_id = t.id;
	q->resp_code = "00";
}

/* The original of a void / refund: by origQryId or origOrderId + origTxnTime. */
static int find_original(sim *s, const sim_req *q, sim_txn *o)
{
	int found;
	if (in(q, "origQryId"))
		found = txn_by_query_id(s, in(q, "merId"), in(q, "origQryId"), o);
	else
		found = txn_by_order(s, in(q, "merId"), in(q, "origOrderId"), o) == 1 &&
			strcmp(o->txn_time, in(q, "origTxnTime")) == 0;
	return found == 1 && strcmp(o->txn_type, "01") == 0 && o->query_id[0];
}

static const char *void_guard(sim *s, const sim_req *q, const sim_txn *o, int64_t amt)
{
	if (strcmp(o->state, "VOIDED") == 0)
		return "45";
	if (strcmp(o->state, "SUCCESS") != 0 || o->refunded)
		return "35";
	if (sim_settle_day(sim_now(s)) != o->settle_day)
		return "35";
	if (amt != o->amount || (in(q, "currencyCode") && strcmp(in(q, "currencyCode"), o->currency)))
		return "36";
	return NULL;
}

static const char *refund_guard(sim *s, const sim_txn *o, int64_t amt)
{
	if (!strcmp(o->state, "VOIDED") || !strcmp(o->state, "REVERSED") || !strcmp(o->state, "REFUNDED"))
		return "45";
	if (strcmp(o->state, "SUCCESS") != 0 && strcmp(o->state, "PARTIALLY_REFUNDED") != 0)
		return "35";
	if (sim_now(s) - o->created > (int64_t)s->cfg.refund_days * 86400)
		return "35";
	if (o->refunded + amt > o->amount)
		return "36";
	return NULL;
}

/* Void (31) and refund (04): their own transaction, final at once, notified. */
static void do_void_refund(sim *s, sim_req *q, bool is_void)
{
	sim_txn o, t;
	int64_t amt = strtoll(in(q, "txnAmt"), NULL, 10);
	if (!find_original(s, q, &o)) {
		reject(s, q, "35");
		return;
	}
	const char *code = is_void ? void_guard(s, q, &o, amt) : refund_guard(s, &o, amt);
	if (code) {
		reject(s, q, code);
		return;
	}
	new_txn(s, q, &t, "PROCESSING");
	t.orig_id = o.id;
	if (txn_insert(s, &t)) {
		q->resp_code = "99";
		return;
	}
	if (is_void) {
		snprintf(o.state, sizeof o.state, "VOIDED");
	} else {
		o.refunded += amt;
		snprintf(o.state, sizeof o.state, "%s", o.refunded == o.amount ? "REFUNDED" : "PARTIALLY_REFUNDED");
	}
	(void)txn_update(s, &o);
	finish_consume(s, &t, NULL);
	reply_ids(q, &t);
	msg_set(&q->out, "origQryId", o.query_id);
	q->txn_id = t.id;
	q->resp_code = "00";
}

static void do_reversal(sim *s, sim_req *q)
{
	sim_txn o;
	if (txn_by_order(s, in(q, "merId"), in(q, "orderId"), &o) != 1 || strcmp(o.txn_time, in(q, "txnTime")) ||
			strcmp(o.txn_type, "01") != 0) {
		q->resp_code = "35";
		return;
	}
	q->txn_id = o.id;
	if (strcmp(o.state, "REVERSED") == 0) {
		q->resp_code = "00"; /* idempotent (assumption, docs/sim.md) */
		return;
	}
	bool live = !strcmp(o.state, "PROCESSING") || !strcmp(o.state, "SUCCESS") || !strcmp(o.state, "QR_ISSUED");
	if (!live || o.refunded || sim_settle_day(sim_now(s)) != o.settle_day) {
		q->resp_code = "35";
		return;
	}
	snprintf(o.state, sizeof o.state, "REVERSED");
	snprintf(o.resp_code, sizeof o.resp_code, "%s", SIM_CODE_REVERSED);
	(void)txn_update(s, &o);
	q->resp_code = "00";
}

/* A QR_ISSUED order whose QR expired becomes CLOSED (checked lazily). */
static void expire_check(sim *s, sim_txn *t)
{
	if (strcmp(t->state, "QR_ISSUED") == 0 && sim_now(s) >= t->expires) {
		snprintf(t->state, sizeof t->state, "CLOSED");
		snprintf(t->resp_code, sizeof t->resp_code, "01");
		(void)txn_update(s, t);
	}
}

/* origRespCode of a transaction as a query reports it. */
static const char *orig_code(const sim_txn *t)
{
	if (!strcmp(t->state, "QR_ISSUED") || !strcmp(t->state, "PROCESSING"))
		return "05";
	if (!strcmp(t->state, "SUCCESS") || !strcmp(t->state, "VOIDED") || !strcmp(t->state, "REFUNDED") ||
			!strcmp(t->state, "PARTIALLY_REFUNDED"))
		return "00";
	return t->resp_code[0] ? t->resp_code : "01";
}

static void do_query(sim *s, sim_req *q)
{
	sim_txn t;
	const char *mer = in(q, "merId");
	int found = in(q, "queryId") ? txn_by_query_id(s, mer, in(q, "queryId"), &t)
		: txn_by_order(s, mer, in(q, "orderId"), &t);
	const char *key = in(q, "orderId") ? in(q, "orderId") : in(q, "queryId");
	if (query_count(s, mer, key, sim_now(s)) >= s->cfg.query_limit) {
		q->resp_code = "37";
		return;
	}
	if (found == 1 && !in(q, "queryId") && strcmp(t.txn_time, in(q, "txnTime")) != 0)
		found = 0;
	if (found != 1 || !strcmp(t.state, "REJECTED")) {
		q->resp_code = "34";
		return;
	}
	expire_check(s, &t);
	if (s->cfg.query_unpaid_34 && strcmp(t.state, "QR_ISSUED") == 0) {
		q->resp_code = "34";
		return;
	}
	char amt[24];
	snprintf(amt, sizeof amt, "%lld", (long long)t.amount);
	sim_msg *o = &q->out;
	msg_set(o, "orderId", t.order_id);
	msg_set(o, "txnTime", t.txn_time);
	msg_set(o, "txnType", t.txn_type);
	msg_set(o, "txnSubType", t.txn_sub_type);
	msg_set(o, "origRespCode", orig_code(&t));
	msg_set(o, "origRespMsg", sim_resp_msg(orig_code(&t)));
	if (t.amount) {
		msg_set(o, "txnAmt", amt);
		msg_set(o, "currencyCode", t.currency);
	}
	if (t.query_id[0] && strcmp(orig_code(&t), "05") != 0) {
		reply_ids(q, &t);
		msg_set(o, "settleAmt", amt);
		msg_set(o, "settleCurrencyCode", t.currency);
	}
	msg_set(o, "reqReserved", t.req_reserved);
	if (t.orig_id) {
		sim_txn orig;
		if (txn_by_id(s, t.orig_id, &orig) == 1)
			msg_set(o, "origQryId", orig.query_id);
	}
	q->txn_id = t.id;
	q->resp_code = "00";
}

/*
 * 95/00: the current encryption certificate, or (fault `enccert`) another one
 * from the test PKI, in a genuinely signed reply: a rotated key (`next`) or
 * one a client must refuse (`expired`, `selfsigned`, `signing`).
 */
static void do_enc_cert(sim *s, sim_req *q)
{
	static const char *const variants[][2] = { { "next", "enc_next" }, { "expired", "enc_expired" },
		{ "selfsigned", "enc_rogue" }, { "signing", "upop_sign" } };
	const char *v = sim_fault_get(s, "enccert", in(q, "merId"), q->order_id, q->amount);
	char *pem = NULL;
	for (size_t i = 0; v && i < sizeof variants / sizeof variants[0]; i++) {
		if (strcmp(v, variants[i][0]) == 0) {
			char path[SIM_PATH_MAX + 32];
			snprintf(path, sizeof path, "%s/%s.pem", s->cfg.pki, variants[i][1]);
			pem = sim_pem_crlf(path);
		}
	}
	msg_set(&q->out, "encryptPubKeyCert", pem ? pem : s->enc_pem);
	msg_set(&q->out, "certType", in(q, "certType"));
	free(pem);
	q->resp_code = "00";
}

/* Steps 4..8, then the state machine. */
void sim_txn_process(sim *s, sim_req *q)
{
	sim_merchant *m = q->mer;
	kind k = classify(in(q, "txnType"), in(q, "txnSubType"));
	const char *code = NULL;
	if (!m->enabled)
		code = "31";
	else if (k == K_UNKNOWN || strcmp(in(q, "bizType"), "000000") != 0 ||
			!txn_type_allowed(m, in(q, "txnType")))
		code = "32";
	else if ((k == K_QUERY) != q->query_endpoint)
		code = "10";
	if (!code)
		code = check_required(q, k);
	if (!code)
		code = check_formats(s, q);
	int64_t t;
	if (!code && is_new_txn(k) && sim_bj_parse(in(q, "txnTime"), 14, &t) &&
			llabs(t - sim_now(s)) > s->cfg.txn_window_s)
		code = "39";
	int64_t amt = 0;
	if (!code && in(q, "txnAmt") && amount_ok(in(q, "txnAmt"), &amt) && amt > m->limit && k != K_REFUND)
		code = "33";
	sim_txn dup;
	if (!code && is_new_txn(k) && txn_by_order(s, in(q, "merId"), in(q, "orderId"), &dup) != 0)
		code = "12";
	if (code) {
		q->resp_code = code;
		return;
	}
	switch (k) {
	case K_APPLY: do_apply(s, q); break;
	case K_CONSUME: do_consume(s, q); break;
	case K_VOID: do_void_refund(s, q, true); break;
	case K_REFUND: do_void_refund(s, q, false); break;
	case K_REVERSAL: do_reversal(s, q); break;
	case K_QUERY: do_query(s, q); break;
	case K_ENCCERT: do_enc_cert(s, q); break;
	case K_UNKNOWN: q->resp_code = "32"; break;
	}
}

int sim_txn_pay(sim *s, const char *target, const char *mer_id, const char *outcome,
		const char *amount, char *msg, size_t msg_cap)
{
	sim_txn t;
	int found = -1;
	if (mer_id && *mer_id)
		found = txn_by_order(s, mer_id, target, &t);
	if (found != 1)
		found = txn_by_qr(s, target, &t);
	if (found != 1) {
		for (size_t i = 0; i < s->n_merchants && found != 1; i++)
			found = txn_by_order(s, s->merchants[i].mer_id, target, &t);
	}
	if (found != 1) {
		snprintf(msg, msg_cap, "no order or QR code %s", target);
		return 404;
	}
	expire_check(s, &t);
	if (strcmp(t.state, "QR_ISSUED") != 0 && strcmp(t.state, "PROCESSING") != 0) {
		snprintf(msg, msg_cap, "order %s is %s", t.order_id, t.state);
		return 409;
	}
	if (strcmp(outcome, "expire") == 0) {
		snprintf(t.state, sizeof t.state, "CLOSED");
		snprintf(t.resp_code, sizeof t.resp_code, "01");
		(void)txn_update(s, &t);
	} else if (strcmp(outcome, "success") == 0) {
		if (!t.amount && amount && *amount)
			t.amount = strtoll(amount, NULL, 10);
		if (t.amount <= 0) {
			snprintf(msg, msg_cap, "order %s has no amount: pass amount", t.order_id);
			return 400;
		}
		finish_consume(s, &t, NULL);
	} else if (strcmp(outcome, "decline") == 0) {
		finish_consume(s, &t, "64");
	} else {
		snprintf(msg, msg_cap, "outcome must be success, decline or expire");
		return 400;
	}
	snprintf(msg, msg_cap, "order %s is %s", t.order_id, t.state);
	return 200;
}
