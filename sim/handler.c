/*
 * handler.c - one HTTP request in, one reply out, without a socket: the
 * gateway endpoints (validation steps 1..3 here, the rest in txn.c), the
 * test hooks under /__sim/, and the sync-reply fault knobs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "db.h"
#include "notify.h"

#define PATH_BACK "/gateway/api/backTransReq.do"
#define PATH_QUERY "/gateway/api/queryTrans.do"

const char *sim_resp_msg(const char *code)
{
	static const struct { const char *code, *msg; } msgs[] = {
		{ "00", "成功[0000000]" },
		{ "01", "交易失败[1000001]" },
		{ "03", "交易通讯超时，请发起查询交易[0300000]" },
		{ "04", "交易状态未明，请查询对账结果[0400000]" },
		{ "05", "交易已受理，请稍后查询交易结果[0500000]" },
		{ "10", "报文格式错误[1000010]" },
		{ "11", "验证签名失败[9100004]" },
		{ "12", "重复交易[2010002]" },
		{ "13", "报文交易要素缺失[1000013]" },
		{ "31", "商户状态不正确[3100000]" },
		{ "32", "无此交易权限[3200000]" },
		{ "33", "交易金额超限[3300000]" },
		{ "34", "查无此交易[2600000]" },
		{ "35", "原交易不存在或状态不正确[2011000]" },
		{ "36", "与原交易信息不符[2050004]" },
		{ "37", "已超过最大查询次数或操作过于频繁[3700000]" },
		{ "39", "交易不在受理时间范围内[3900000]" },
		{ "38", "交易被风险控制拒绝[3800000]" },
		{ "45", "原交易已被成功退货或已被成功撤销[4500000]" },
		{ "61", "无效卡号或密文校验失败[6100000]" },
		{ "64", "余额不足[6400000]" },
		{ "99", "系统错误[9900000]" },
	};
	for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++)
		if (strcmp(code, msgs[i].code) == 0)
			return msgs[i].msg;
	return "交易失败[1000001]";
}

void sim_reply_free(sim_reply *r)
{
	free(r->body);
	r->body = NULL;
}

static void reply_text(sim_reply *r, int status, const char *type, const char *text)
{
	free(r->body);
	r->status = status;
	r->content_type = type;
	r->body = strdup(text);
	r->len = r->body ? strlen(r->body) : 0;
}

/* Takes j. */
static void reply_json(sim_reply *r, int status, json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	reply_text(r, status, "application/json", text ? text : "{}");
	free(text);
}

static void reply_error(sim_reply *r, int status, const char *msg)
{
	reply_json(r, status, json_pack("{s:s}", "error", msg));
}

/* ---- steps 1..3 ------------------------------------------------------------ */

static const char *parse_request(sim_req *q, const char *body, size_t len)
{
	if (len > UPQR_ACP_MESSAGE_MAX)
		return "10";
	upqr_acp_field *f = malloc(UPQR_ACP_FIELDS_MAX * sizeof *f);
	char *scratch = malloc(len + 1);
	size_t n = 0;
	int rc = f && scratch ? upqr_acp_parse_form(f, UPQR_ACP_FIELDS_MAX, &n, scratch, len + 1, body, len, NULL)
		: UPQR_ENOMEM;
	if (rc == UPQR_OK && msg_from_fields(&q->in, f, n) != 0)
		rc = UPQR_ENOMEM;
	free(f);
	free(scratch);
	return rc == UPQR_OK ? NULL : rc == UPQR_ENOMEM ? "99" : "10";
}

static const char *check_common(const sim_req *q)
{
	static const char *const need[] = { "version", "encoding", "signMethod", "signature", "txnType",
		"txnSubType", "bizType", "accessType", "merId", NULL };
	const char *v = msg_get(&q->in, "version");
	if (v && strcmp(v, "5.1.0") && strcmp(v, "5.0.0"))
		return "10";
	for (size_t i = 0; need[i]; i++)
		if (!msg_get(&q->in, need[i]) || !*msg_get(&q->in, need[i]))
			return "13";
	const char *m = msg_get(&q->in, "signMethod");
	if (strcmp(m, "01") == 0 && (!msg_get(&q->in, "certId") || !*msg_get(&q->in, "certId")))
		return "13";
	return NULL;
}

static sim_merchant *merchant_by_cert_id(sim *s, const char *cert_id)
{
	for (size_t i = 0; i < s->n_merchants; i++)
		if (strcmp(s->merchants[i].cert_id, cert_id) == 0)
			return &s->merchants[i];
	return NULL;
}

sim_merchant *sim_merchant_find(sim *s, const char *mer_id)
{
	for (size_t i = 0; mer_id && i < s->n_merchants; i++)
		if (strcmp(s->merchants[i].mer_id, mer_id) == 0)
			return &s->merchants[i];
	return NULL;
}

/* Step 3: the signature, with the key registered for certId (01) or merId (11/12). */
static const char *check_signature(sim *s, sim_req *q)
{
	const char *method = msg_get(&q->in, "signMethod"), *mer_id = msg_get(&q->in, "merId");
	sim_merchant *m;
	if (strcmp(method, "01") == 0)
		m = merchant_by_cert_id(s, msg_get(&q->in, "certId"));
	else if (strcmp(method, "11") == 0 || strcmp(method, "12") == 0)
		m = sim_merchant_find(s, mer_id);
	else
		return "11";
	/* The registry is keyed by certId: an unknown certId, or one that belongs to another merId, is 11. */
	if (!m || strcmp(m->mer_id, mer_id) != 0 || (method[0] == '1' && !m->secure_key[0]))
		return "11";
	upqr_acp_field f[UPQR_ACP_FIELDS_MAX];
	msg_fields(&q->in, f);
	int rc = upqr_verifier_verify_request(m->verifier, f, q->in.n, sim_now(s));
	if (rc != UPQR_OK) {
		/* Why, for whoever debugs a client (no secrets: names of failed checks only). */
		fprintf(stderr, "upqr-sim: respCode 11 for merId %s: %s: %s\n", mer_id, upqr_status_name(rc),
			upqr_verifier_last_error(m->verifier));
		return "11";
	}
	q->mer = m;
	return NULL;
}

/* ---- the reply -------------------------------------------------------------- */

static void echo(sim_req *q)
{
	static const char *const keys[] = { "txnType", "txnSubType", "bizType", "accessType", "merId", "orderId",
		"txnTime", "reqReserved", "currencyCode", "txnAmt", "acqInsCode", NULL };
	const char *v = msg_get(&q->in, "version");
	msg_set(&q->out, "version", v && (!strcmp(v, "5.0.0") || !strcmp(v, "5.1.0")) ? v : "5.1.0");
	msg_set(&q->out, "encoding", "UTF-8");
	const char *m = msg_get(&q->in, "signMethod");
	bool sk = m && (!strcmp(m, "11") || !strcmp(m, "12")) && q->mer && q->mer->secure_key[0];
	msg_set(&q->out, "signMethod", sk ? m : "01");
	for (size_t i = 0; keys[i]; i++)
		if (!msg_get(&q->out, keys[i]))
			msg_set(&q->out, keys[i], msg_get(&q->in, keys[i]));
	msg_set(&q->out, "respCode", q->resp_code);
	msg_set(&q->out, "respMsg", q->resp_msg ? q->resp_msg : sim_resp_msg(q->resp_code));
}

/* Faults that change a sync reply apply to verified money / apply-QR requests only (never queries). */
static void apply_faults(sim *s, sim_req *q, sim_reply *r)
{
	const char *mer = msg_get(&q->in, "merId");
#define F(name) sim_fault_get(s, name, mer, q->order_id, q->amount)
	const char *v;
	if ((v = F("delay")))
		r->delay_ms = *v ? atoi(v) : s->cfg.fault_delay_ms;
	if (F("drop"))
		r->action = ACT_DROP;
	else if (F("truncate"))
		r->action = ACT_TRUNCATE;
	if (F("http500"))
		reply_text(r, 500, "text/html", "<html><body>500 Internal Server Error</body></html>");
	else if (F("malformed"))
		reply_text(r, 200, "text/plain;charset=UTF-8", "respCode=00&respMsg={unbalanced&=&&signature");
#undef F
}

static void sign_reply(sim *s, sim_req *q, sim_reply *r, bool faults)
{
	const char *mer = msg_get(&q->in, "merId");
	sim_signv v = sim_signv_named(faults ? sim_fault_get(s, "cert", mer, q->order_id, q->amount) : NULL,
		q->mer ? q->mer->signv : SIGNV_NORMAL);
	bool badsig = faults && sim_fault_get(s, "badsig", mer, q->order_id, q->amount);
	if (msg_sign(s, &q->out, q->mer, v, badsig) != 0) {
		reply_text(r, 500, "text/plain", "signing failed");
		return;
	}
	free(r->body);
	r->body = msg_raw(&q->out, &r->len);
	r->status = r->body ? 200 : 500;
	r->content_type = "text/plain;charset=UTF-8";
}

/*
 * Fault `replay`: answer with the last genuine money reply, which is about
 * another order (a replayed or misrouted message a client must not count).
 * Otherwise a genuine reply (no cert or badsig fault) is kept for that.
 */
static void replay_or_keep(sim *s, sim_req *q, sim_reply *r)
{
	const char *mer = msg_get(&q->in, "merId");
	if (sim_fault_get(s, "replay", mer, q->order_id, q->amount)) {
		char *copy = s->last_reply ? malloc(s->last_reply_len + 1) : NULL;
		if (copy && strcmp(s->last_reply_order, q->order_id) != 0) {
			memcpy(copy, s->last_reply, s->last_reply_len + 1);
			free(r->body);
			r->body = copy;
			r->len = s->last_reply_len;
		} else {
			free(copy);
		}
		return;
	}
	if (r->status != 200 || sim_fault_get(s, "cert", mer, q->order_id, q->amount) ||
			sim_fault_get(s, "badsig", mer, q->order_id, q->amount))
		return;
	char *keep = malloc(r->len + 1);
	if (!keep)
		return;
	memcpy(keep, r->body, r->len);
	keep[r->len] = 0;
	free(s->last_reply);
	s->last_reply = keep;
	s->last_reply_len = r->len;
	snprintf(s->last_reply_order, sizeof s->last_reply_order, "%s", q->order_id);
}

static void gateway(sim *s, bool is_query, const char *body, size_t len, sim_reply *r)
{
	sim_req *q = calloc(1, sizeof *q);
	if (!q) {
		reply_text(r, 500, "text/plain", "out of memory");
		return;
	}
	q->query_endpoint = is_query;
	q->resp_code = parse_request(q, body, len);
	if (!q->resp_code)
		q->resp_code = check_common(q);
	if (!q->resp_code)
		q->resp_code = check_signature(s, q);
	const char *oid = msg_get(&q->in, "orderId"), *amt = msg_get(&q->in, "txnAmt");
	snprintf(q->order_id, sizeof q->order_id, "%s", oid ? oid : "");
	snprintf(q->amount, sizeof q->amount, "%s", amt ? amt : "");
	if (!q->resp_code)
		sim_txn_process(s, q);
	bool money = q->mer && !is_query && q->txn_id;
	const char *sync = money ? sim_fault_get(s, "resp", msg_get(&q->in, "merId"), q->order_id, q->amount)
		: NULL;
	if (sync && strcmp(q->resp_code, "00") == 0 && (!strcmp(sync, "03") || !strcmp(sync, "04") ||
			!strcmp(sync, "05")))
		q->resp_code = sync;
	echo(q);
	sign_reply(s, q, r, money);
	if (money)
		replay_or_keep(s, q, r);
	if (money)
		apply_faults(s, q, r);
	msg_free(&q->in);
	msg_free(&q->out);
	free(q);
}

/* ---- hooks ------------------------------------------------------------------- */

/* Parses a hook's form body into m; false on a malformed body. */
static bool hook_form(const char *body, size_t len, sim_msg *m)
{
	sim_req q;
	memset(&q.in, 0, sizeof q.in);
	if (parse_request(&q, body, len)) {
		msg_free(&q.in);
		return false;
	}
	*m = q.in;
	return true;
}

static json_t *clock_json(const sim *s)
{
	char now[16];
	sim_bj_format(now, sizeof now, sim_now(s), BJ_FULL);
	return json_pack("{s:s,s:I,s:I,s:b}", "now", now, "unix", (json_int_t)sim_now(s), "offset",
		(json_int_t)(sim_now(s) - (int64_t)time(NULL)), "frozen", s->clock_frozen);
}

/* Moves the clock to t, frozen there or running on from it. */
static void clock_set(sim *s, int64_t t)
{
	if (s->clock_frozen)
		s->frozen_now = t;
	else
		s->clock_offset = t - (int64_t)time(NULL);
}

static void hook_clock(sim *s, const sim_msg *m, sim_reply *r)
{
	const char *set = msg_get(m, "set"), *adv = msg_get(m, "advance"), *freeze = msg_get(m, "freeze");
	int64_t t;
	if (set && (strlen(set) != 14 || !sim_bj_parse(set, 14, &t))) {
		reply_error(r, 400, "set wants YYYYMMDDhhmmss (Beijing time)");
		return;
	}
	if (msg_get(m, "reset")) {
		s->clock_frozen = false;
		s->clock_offset = 0;
	}
	if (freeze && strcmp(freeze, "0") != 0 && !s->clock_frozen) {
		s->frozen_now = sim_now(s);
		s->clock_frozen = true;
	} else if (freeze && strcmp(freeze, "0") == 0 && s->clock_frozen) {
		s->clock_offset = s->frozen_now - (int64_t)time(NULL);
		s->clock_frozen = false;
	}
	if (set)
		clock_set(s, t);
	if (adv)
		clock_set(s, sim_now(s) + strtoll(adv, NULL, 10));
	reply_json(r, 200, clock_json(s));
}

static void hook_pay(sim *s, const sim_msg *m, sim_reply *r)
{
	const char *target = msg_get(m, "orderId");
	if (!target)
		target = msg_get(m, "qrCode");
	if (target && strrchr(target, '/'))
		target = strrchr(target, '/') + 1;
	const char *outcome = msg_get(m, "outcome") ? msg_get(m, "outcome") : "success";
	if (!target) {
		reply_error(r, 400, "pay wants orderId or qrCode");
		return;
	}
	char text[160];
	int status = sim_txn_pay(s, target, msg_get(m, "merId"), outcome, msg_get(m, "amount"), text, sizeof text);
	reply_json(r, status, json_pack("{s:s}", status == 200 ? "result" : "error", text));
}

static const char *const SCOPES[] = { "global", "merchant", "order", "amount" };

static json_t *faults_json(const sim *s)
{
	json_t *a = json_array();
	for (size_t i = 0; i < s->n_faults; i++)
		json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:s}", "scope", SCOPES[s->faults[i].scope],
			"key", s->faults[i].key, "fault", s->faults[i].name, "value", s->faults[i].value));
	return json_pack("{s:o}", "faults", a);
}

static void hook_faults(sim *s, const sim_msg *m, sim_reply *r)
{
	if (msg_get(m, "clear"))
		s->n_faults = 0;
	const char *name = msg_get(m, "fault");
	if (name) {
		const char *scope = msg_get(m, "scope") ? msg_get(m, "scope") : "global";
		const char *key = msg_get(m, "key") ? msg_get(m, "key") : "", *val = msg_get(m, "value");
		int sc = -1;
		for (int i = 0; i < 4; i++)
			if (strcmp(scope, SCOPES[i]) == 0)
				sc = i;
		if (sc < 0 || (sc != SCOPE_GLOBAL && !*key) || strlen(key) >= sizeof s->faults[0].key ||
				strlen(name) >= sizeof s->faults[0].name || (val && strlen(val) >= sizeof s->faults[0].value)) {
			reply_error(r, 400, "fault wants scope=global|merchant|order|amount, key, fault, value");
			return;
		}
		if (s->n_faults == SIM_FAULTS_MAX) {
			reply_error(r, 400, "too many faults");
			return;
		}
		sim_fault *f = &s->faults[s->n_faults++];
		f->scope = (sim_scope)sc;
		snprintf(f->key, sizeof f->key, "%s", key);
		snprintf(f->name, sizeof f->name, "%s", name);
		snprintf(f->value, sizeof f->value, "%s", val ? val : "");
	}
	reply_json(r, 200, faults_json(s));
}

const char *sim_fault_get(const sim *s, const char *name, const char *mer_id, const char *order_id,
		const char *amount)
{
	const char *hit = NULL;
	/* The most specific scope wins: order, then amount, then merchant, then global. */
	int best = -1;
	static const int rank[] = { 0, 1, 3, 2 };
	for (size_t i = 0; i < s->n_faults; i++) {
		const sim_fault *f = &s->faults[i];
		if (strcmp(f->name, name) != 0)
			continue;
		const char *want = f->scope == SCOPE_MERCHANT ? mer_id : f->scope == SCOPE_ORDER ? order_id
			: f->scope == SCOPE_AMOUNT ? amount : "";
		if (f->scope != SCOPE_GLOBAL && (!want || strcmp(want, f->key) != 0))
			continue;
		if (rank[f->scope] >= best) {
			best = rank[f->scope];
			hit = f->value;
		}
	}
	return hit;
}

static void hooks(sim *s, const char *method, const char *path, const char *body, size_t len, sim_reply *r)
{
	if (strcmp(path, "/__sim/notifications") == 0) {
		char *text = sim_notify_log_json(s);
		reply_text(r, 200, "application/json", text ? text : "[]");
		free(text);
		return;
	}
	if (strcmp(method, "GET") == 0 && strcmp(path, "/__sim/clock") == 0) {
		reply_json(r, 200, clock_json(s));
		return;
	}
	if (strcmp(method, "GET") == 0 && strcmp(path, "/__sim/faults") == 0) {
		reply_json(r, 200, faults_json(s));
		return;
	}
	if (strcmp(method, "POST") != 0) {
		reply_error(r, 405, "hooks want POST (GET for notifications, clock, faults)");
		return;
	}
	sim_msg m = { 0 };
	if (!hook_form(body, len, &m)) {
		reply_error(r, 400, "malformed form body");
		return;
	}
	if (strcmp(path, "/__sim/pay") == 0)
		hook_pay(s, &m, r);
	else if (strcmp(path, "/__sim/clock") == 0)
		hook_clock(s, &m, r);
	else if (strcmp(path, "/__sim/faults") == 0)
		hook_faults(s, &m, r);
	else
		reply_error(r, 404, "no such hook");
	msg_free(&m);
}

static bool form_type(const char *ct)
{
	static const char want[] = "application/x-www-form-urlencoded";
	return ct && strncasecmp(ct, want, sizeof want - 1) == 0 &&
		(ct[sizeof want - 1] == 0 || ct[sizeof want - 1] == ';' || ct[sizeof want - 1] == ' ');
}

void sim_handle(sim *s, const char *method, const char *path, const char *content_type, const char *body,
		size_t len, sim_reply *out)
{
	memset(out, 0, sizeof *out);
	bool back = strcmp(path, PATH_BACK) == 0, query = strcmp(path, PATH_QUERY) == 0;
	pthread_mutex_lock(&s->lock);
	if (strncmp(path, "/__sim/", 7) == 0)
		hooks(s, method, path, body ? body : "", body ? len : 0, out);
	else if (!back && !query)
		reply_text(out, 404, "text/plain", "not found\n");
	else if (strcmp(method, "POST") != 0)
		reply_text(out, 405, "text/plain", "method not allowed: POST only\n");
	else if (!form_type(content_type))
		reply_text(out, 415, "text/plain", "unsupported media type: application/x-www-form-urlencoded only\n");
	else
		gateway(s, query, body ? body : "", body ? len : 0, out);
	pthread_mutex_unlock(&s->lock);
	if (!out->body)
		reply_text(out, 500, "text/plain", "out of memory\n");
}
