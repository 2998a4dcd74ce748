/*
 * acq_ops.c - the operations and the outcome model: what a verified reply
 * means, the query loop, reversal of a consume still unknown.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "acquirer/acq_internal.h"

#define PATH_BACK "/gateway/api/backTransReq.do"
#define PATH_QUERY "/gateway/api/queryTrans.do"

const char *upqr_outcome_name(upqr_outcome o)
{
	switch (o) {
	case UPQR_OUTCOME_SUCCESS: return "success";
	case UPQR_OUTCOME_FAILED: return "failed";
	case UPQR_OUTCOME_UNKNOWN: return "unknown";
	}
	return "invalid";
}

/* ---- time and identifiers ---------------------------------------------- */

void upqr_acp_txn_time(char out[15], int64_t t)
{
	/* Beijing has no daylight saving: UTC+8 always, whatever TZ says. */
	time_t bj = (time_t)(t + 8 * 3600);
	struct tm tm;
	gmtime_r(&bj, &tm);
	unsigned int v[6] = { (unsigned)(tm.tm_year + 1900) % 10000u, (unsigned)tm.tm_mon + 1,
		(unsigned)tm.tm_mday, (unsigned)tm.tm_hour, (unsigned)tm.tm_min, (unsigned)tm.tm_sec };
	char *p = out;
	for (int i = 0; i < 6; i++) {
		unsigned int x = v[i] % 100u;
		if (i == 0) {
			*p++ = (char)('0' + v[0] / 1000u);
			*p++ = (char)('0' + v[0] / 100u % 10u);
			x = v[0] % 100u;
		}
		*p++ = (char)('0' + x / 10u);
		*p++ = (char)('0' + x % 10u);
	}
	*p = '\0';
}

int upqr_acquirer_order_id(char out[33], upqr_acquirer *acq, int64_t t)
{
	static const char alnum[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	if (out == NULL || !upqr__acq_ok(acq))
		return UPQR_EINVAL;
	unsigned char rnd[8];
	if (RAND_bytes(rnd, sizeof rnd) != 1)
		return upqr__acq_error(acq, UPQR_ECRYPTO, "no random bytes for the orderId");
	upqr_acp_txn_time(out, t);
	/* Base 36 keeps the sequence sortable with upper-case digits only. */
	uint32_t seq = acq->order_seq++ % 2176782336u; /* 36^6 */
	for (int i = 5; i >= 0; i--) {
		out[14 + i] = alnum[seq % 36];
		seq /= 36;
	}
	for (int i = 0; i < 8; i++)
		out[20 + i] = alnum[rnd[i] % 62];
	out[28] = '\0';
	return UPQR_OK;
}

/* ---- results ------------------------------------------------------------ */

void upqr__acq_result_init(upqr_acq_result *r)
{
	memset(r, 0, sizeof *r);
	r->outcome = UPQR_OUTCOME_UNKNOWN;
	r->txn_amt = -1;
	r->settle_amt = -1;
}

bool upqr__acq_code_success(const char *code)
{
	return strcmp(code, "00") == 0 || strcmp(code, "A6") == 0;
}

bool upqr__acq_code_pending(const char *code)
{
	return strcmp(code, "03") == 0 || strcmp(code, "04") == 0 || strcmp(code, "05") == 0;
}

static int64_t parse_amount(const char *s)
{
	int64_t v = 0;
	size_t n = strlen(s);
	if (n == 0 || n > 15)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* accNo arrives masked ("6216***0018"), in clear, or encrypted for the merchant. */
static void fill_acc_no(upqr_acq_result *r, upqr_acquirer *a, const char *acc)
{
	uint8_t plain[64];
	size_t n = 0, w = 0, len = strlen(acc);
	if (len == 0)
		return;
	if (strspn(acc, "0123456789*") == len) {
		if (strchr(acc, '*') != NULL)
			upqr__acq_copy(r->acc_no_masked, sizeof r->acc_no_masked, acc);
		else if (upqr_acp_mask_pan(r->acc_no_masked, sizeof r->acc_no_masked, &w, acc, len) != UPQR_OK)
			r->acc_no_masked[0] = '\0';
		return;
	}
	if (upqr_signer_decrypt(plain, sizeof plain, &n, a->signer, acc, len) == UPQR_OK &&
			upqr_acp_mask_pan(r->acc_no_masked, sizeof r->acc_no_masked, &w,
				(const char *)plain, n) != UPQR_OK)
		r->acc_no_masked[0] = '\0';
	upqr_memzero(plain, sizeof plain);
}

void upqr__acq_fill_result(upqr_acq_result *r, upqr_acquirer *a)
{
	char buf[UPQR_ACP_SIGNATURE_MAX];
	upqr__acq_get(a, "respCode", r->resp_code, sizeof r->resp_code);
	upqr__acq_get(a, "respMsg", r->resp_msg, sizeof r->resp_msg);
	upqr__acq_get(a, "origRespCode", r->orig_resp_code, sizeof r->orig_resp_code);
	if (upqr__acq_get(a, "orderId", buf, sizeof buf)[0])
		upqr__acq_copy(r->order_id, sizeof r->order_id, buf);
	if (upqr__acq_get(a, "txnTime", buf, sizeof buf)[0])
		upqr__acq_copy(r->txn_time, sizeof r->txn_time, buf);
	if (upqr__acq_get(a, "queryId", buf, sizeof buf)[0])
		upqr__acq_copy(r->query_id, sizeof r->query_id, buf);
	upqr__acq_get(a, "traceNo", r->trace_no, sizeof r->trace_no);
	upqr__acq_get(a, "traceTime", r->trace_time, sizeof r->trace_time);
	upqr__acq_get(a, "settleDate", r->settle_date, sizeof r->settle_date);
	if (upqr__acq_get(a, "txnAmt", buf, sizeof buf)[0])
		r->txn_amt = parse_amount(buf);
	if (upqr__acq_get(a, "settleAmt", buf, sizeof buf)[0])
		r->settle_amt = parse_amount(buf);
	if (upqr__acq_get(a, "qrCode", buf, sizeof buf)[0])
		upqr__acq_copy(r->qr_code, sizeof r->qr_code, buf);
	fill_acc_no(r, a, upqr__acq_get(a, "accNo", buf, sizeof buf));
}

static void set_unknown(upqr_acq_result *r, int cause)
{
	r->outcome = UPQR_OUTCOME_UNKNOWN;
	r->cause = cause;
}

/* Applies a sync reply to r. Returns true when the call is decided. */
static bool apply_sync(upqr_acq_result *r, upqr_acquirer *a, upqr__reply kind, int cause)
{
	if (kind == UPQR__REPLY_NOT_SENT) {
		r->outcome = UPQR_OUTCOME_FAILED;   /* the gateway never saw it: nothing moved */
		r->cause = cause;
		return true;
	}
	if (kind == UPQR__REPLY_NONE) {
		set_unknown(r, cause);
		return false;
	}
	upqr__acq_fill_result(r, a);
	if (strcmp(r->resp_code, "00") == 0) {
		r->accepted = 1;
		set_unknown(r, UPQR_OK);
		return false;
	}
	if (upqr__acq_code_pending(r->resp_code)) {
		set_unknown(r, UPQR_OK);
		return false;
	}
	r->outcome = UPQR_OUTCOME_FAILED;
	return true;
}

/* ---- query ------------------------------------------------------------ */

static void build_query(upqr__acq_msg *m, const upqr_acquirer *a, const upqr_order_ref *ref)
{
	m->n = 0;
	upqr__acq_msg_common(m, a, "00", "00", "07");
	upqr__acq_msg_add(m, "orderId", ref->order_id);
	upqr__acq_msg_add(m, "txnTime", ref->txn_time);
}

static int check_ref(upqr_acquirer *a, const upqr_order_ref *ref)
{
	if (ref == NULL || ref->order_id == NULL || ref->txn_time == NULL ||
			strlen(ref->order_id) < 8 || strlen(ref->order_id) > 32 || strlen(ref->txn_time) != 14)
		return upqr__acq_error(a, UPQR_EINVAL, "an orderId (8-32) and a txnTime (14 digits) are required");
	return UPQR_OK;
}

/*
 * One query. Decides r only on a verified reply with respCode 00 and a final
 * origRespCode; everything else leaves it UNKNOWN (34 "no such order" too:
 * the request may still be on its way).
 */
static int query_once(upqr_acq_result *r, upqr_acquirer *a, const upqr_order_ref *ref)
{
	upqr__acq_msg m;
	size_t len;
	int cause;
	build_query(&m, a, ref);
	int rc = upqr__acq_build(a, &m, &len);
	if (rc != UPQR_OK)
		return rc;
	upqr__reply kind = upqr__acq_send(a, PATH_QUERY, len, &cause);
	r->queries++;
	if (kind == UPQR__REPLY_VERIFIED && !upqr__acq_reply_is_for(a, ref->order_id, ref->txn_time, &cause))
		kind = UPQR__REPLY_NONE;
	if (kind != UPQR__REPLY_VERIFIED) {
		set_unknown(r, cause);
		return UPQR_OK;
	}
	char code[3], orig[3];
	upqr__acq_get(a, "respCode", code, sizeof code);
	upqr__acq_get(a, "origRespCode", orig, sizeof orig);
	if (strcmp(code, "00") == 0)
		a->order_seen = true; /* the gateway has the order, whatever its state */
	if (strcmp(code, "00") != 0 || orig[0] == '\0' || upqr__acq_code_pending(orig)) {
		upqr__acq_copy(r->resp_code, sizeof r->resp_code, code);
		upqr__acq_get(a, "respMsg", r->resp_msg, sizeof r->resp_msg);
		set_unknown(r, UPQR_OK);
		return UPQR_OK;
	}
	upqr__acq_fill_result(r, a);
	upqr__acq_copy(r->resp_code, sizeof r->resp_code, orig);
	upqr__acq_get(a, "origRespMsg", r->resp_msg, sizeof r->resp_msg);
	r->cause = UPQR_OK;
	r->outcome = upqr__acq_code_success(orig) ? UPQR_OUTCOME_SUCCESS : UPQR_OUTCOME_FAILED;
	/* A consume that was reversed: failed, and no money moved, as the reversal says. */
	char type[3];
	r->reversed = strcmp(orig, UPQR__ACQ_CODE_REVERSED) == 0 &&
		strcmp(upqr__acq_get(a, "txnType", type, sizeof type), "01") == 0;
	return UPQR_OK;
}

/* A query of the operation in flight: its answer goes to the journal too. */
static int query_step(upqr_acq_result *r, upqr_acquirer *a, const upqr_order_ref *ref)
{
	int rc = query_once(r, a, ref);
	return rc != UPQR_OK ? rc : upqr__acq_journal_step(a, r);
}

static void result_for(upqr_acq_result *r, const upqr_order_ref *ref)
{
	upqr__acq_result_init(r);
	upqr__acq_copy(r->order_id, sizeof r->order_id, ref->order_id);
	upqr__acq_copy(r->txn_time, sizeof r->txn_time, ref->txn_time);
}


/* The loop proper: r keeps the counters of the call that started it. */
static int resolve(upqr_acq_result *r, upqr_acquirer *a, const upqr_order_ref *ref)
{
	for (size_t i = 0; i < a->backoff_count && r->outcome == UPQR_OUTCOME_UNKNOWN; i++) {
		upqr__acq_sleep(a, a->backoff_ms[i]);
		if (upqr__acq_journal_final(a, r))
			return UPQR_OK; /* a verified notification settled it meanwhile */
		int rc = query_step(r, a, ref);
		if (rc != UPQR_OK)
			return rc;
	}
	return UPQR_OK;
}


/* ---- reversal --------------------------------------------------------------- */

/*
 * One reversal request, recorded in the journal as its own REVERSAL record
 * (PENDING before it leaves). r: SUCCESS = reversed, FAILED = verified
 * refusal, UNKNOWN = no usable answer.
 */
static int reverse_once(upqr_acq_result *r, upqr_acquirer *a, const upqr_order_ref *ref, bool begin)
{
	upqr__acq_msg m = { .n = 0 };
	size_t len;
	int cause;
	upqr__acq_msg_common(&m, a, "99", "01", "07");
	upqr__acq_msg_add(&m, "orderId", ref->order_id);
	upqr__acq_msg_add(&m, "txnTime", ref->txn_time);
	upqr__acq_msg_add(&m, "backUrl", a->back_url);
	int rc = upqr__acq_build(a, &m, &len);
	if (rc == UPQR_OK && begin)
		rc = upqr__acq_journal_begin(a, UPQR_JOURNAL_REVERSAL, ref->order_id, ref->txn_time, 0, NULL);
	if (rc != UPQR_OK)
		return rc;
	upqr__reply kind = upqr__acq_send(a, PATH_BACK, len, &cause);
	if (kind == UPQR__REPLY_VERIFIED && !upqr__acq_reply_is_for(a, ref->order_id, ref->txn_time, &cause))
		kind = UPQR__REPLY_NONE;
	if (kind == UPQR__REPLY_VERIFIED) {
		upqr__acq_get(a, "respCode", r->resp_code, sizeof r->resp_code);
		upqr__acq_get(a, "respMsg", r->resp_msg, sizeof r->resp_msg);
		upqr__acq_get(a, "queryId", r->query_id, sizeof r->query_id);
		r->cause = UPQR_OK;
		r->outcome = strcmp(r->resp_code, "00") == 0 ? UPQR_OUTCOME_SUCCESS :
			upqr__acq_code_pending(r->resp_code) ? UPQR_OUTCOME_UNKNOWN : UPQR_OUTCOME_FAILED;
	} else {
		set_unknown(r, cause);
	}
	return upqr__acq_journal_step(a, r);
}


static int reverse_new(upqr_acq_result *r, upqr_acquirer *a, const upqr_order_ref *ref)
{
	return reverse_once(r, a, ref, true);
}

typedef int (*ref_op)(upqr_acq_result *r, upqr_acquirer *a, const upqr_order_ref *ref);

/* The public calls on an existing order: checks, a fresh result, the operation. */
static int ref_call(upqr_acq_result *out, upqr_acquirer *acq, const upqr_order_ref *ref, ref_op op)
{
	if (out == NULL || !upqr__acq_ok(acq))
		return UPQR_EINVAL;
	upqr__acq_result_init(out);
	int rc = check_ref(acq, ref);
	if (rc != UPQR_OK)
		return rc;
	result_for(out, ref);
	acq->err[0] = '\0';
	rc = op(out, acq, ref);
	upqr__acq_journal_done(acq);
	return rc;
}

int upqr_acquirer_query(upqr_acq_result *out, upqr_acquirer *acq, const upqr_order_ref *ref)
{
	return ref_call(out, acq, ref, query_once);
}

int upqr_acquirer_resolve(upqr_acq_result *out, upqr_acquirer *acq, const upqr_order_ref *ref)
{
	return ref_call(out, acq, ref, resolve);
}

int upqr_acquirer_reverse(upqr_acq_result *out, upqr_acquirer *acq, const upqr_order_ref *ref)
{
	return ref_call(out, acq, ref, reverse_new);
}

/*
 * The end of a consume whose outcome the query loop could not learn: reverse
 * it (same settlement day), then ask once more what became of it.
 */
static int reverse_unknown(upqr_acq_result *r, upqr_acquirer *a, const upqr_order_ref *ref)
{
	upqr_acq_result rev;
	upqr__acq_jr consume = a->jr;
	result_for(&rev, ref);
	int rc = reverse_once(&rev, a, ref, true);
	a->jr = consume;
	if (rc != UPQR_OK)
		return rc;
	if (rev.outcome == UPQR_OUTCOME_SUCCESS) {
		/* The journal moved the consume to REVERSED with the reversal. */
		a->jr.state = UPQR_JOURNAL_REVERSED;
		r->outcome = UPQR_OUTCOME_FAILED;
		r->reversed = 1;
		r->cause = UPQR_OK;
		upqr__acq_copy(r->resp_code, sizeof r->resp_code, rev.resp_code);
		upqr__acq_copy(r->resp_msg, sizeof r->resp_msg, "reversed");
		return UPQR_OK;
	}
	/* Refused (e.g. already final) or no answer: the order's own state decides. */
	return query_once(r, a, ref);
}

/*
 * A loop whose last answer was 34 "no such transaction" and in which the
 * gateway never showed that it had the order (no sync 00, no query 00): the
 * request never reached it (for a consume, the reversal was tried first).
 */
static void never_arrived(upqr_acq_result *r, const upqr_acquirer *a)
{
	if (r->outcome == UPQR_OUTCOME_UNKNOWN && !r->accepted && !a->order_seen &&
			strcmp(r->resp_code, "34") == 0) {
		r->outcome = UPQR_OUTCOME_FAILED;
		r->cause = UPQR_ENOTFOUND;
	}
}

/*
 * After the loop: a consume still unknown is reversed (unless a notification
 * settled it), a loop that only heard 34 is a failure, the journal gets the
 * end state. rc is the loop's status.
 */
static int conclude(upqr_acq_result *r, upqr_acquirer *a, const upqr_order_ref *ref, int rc,
		bool may_reverse)
{
	if (rc == UPQR_OK && r->outcome == UPQR_OUTCOME_UNKNOWN && may_reverse &&
			!upqr__acq_journal_final(a, r))
		rc = reverse_unknown(r, a, ref);
	if (rc == UPQR_OK)
		never_arrived(r, a);
	int jrc = upqr__acq_journal_step(a, r);
	upqr__acq_journal_done(a);
	return rc != UPQR_OK ? rc : jrc;
}

/* After the sync reply: the loop, for a consume the reversal, then the journal. */
static int settle(upqr_acq_result *r, upqr_acquirer *a, bool decided, bool may_reverse)
{
	upqr_order_ref ref = { r->order_id, r->txn_time };
	int rc = UPQR_OK;
	if (a->sync_only) {
		upqr__acq_journal_done(a);
		return UPQR_OK; /* the sync answer is already in the journal */
	}
	if (!decided)
		rc = resolve(r, a, &ref);
	return conclude(r, a, &ref, rc, may_reverse);
}

/* ---- money calls ------------------------------------------------------------- */

static void fmt_amount(char out[24], int64_t v)
{
	snprintf(out, 24, "%" PRId64, v);
}

/* Fills order_id/txn_time from the request or fresh ones. */
static int ids(upqr_acquirer *a, char oid[33], char tt[15], const char *req_oid, const char *req_tt)
{
	int64_t now = (int64_t)time(NULL);
	if (req_tt != NULL) {
		if (strlen(req_tt) != 14 || strspn(req_tt, "0123456789") != 14)
			return upqr__acq_error(a, UPQR_EINVAL, "txnTime must be 14 digits");
		memcpy(tt, req_tt, 15);
	} else {
		upqr_acp_txn_time(tt, now);
	}
	if (req_oid != NULL) {
		size_t n = strlen(req_oid);
		if (n < 8 || n > 32 || strspn(req_oid, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				"abcdefghijklmnopqrstuvwxyz") != n)
			return upqr__acq_error(a, UPQR_EINVAL, "orderId must be 8-32 letters or digits");
		memcpy(oid, req_oid, n + 1);
		return UPQR_OK;
	}
	return upqr_acquirer_order_id(oid, a, now);
}

/*
 * Journal first, then the request: the order exists on disk before anything
 * can have left the process.
 */
static int send_money(upqr_acq_result *r, upqr_acquirer *a, const upqr__acq_msg *m,
		upqr_journal_kind kind, int64_t amount, const char *orig_oid, bool *decided)
{
	size_t len;
	int cause;
	int rc = upqr__acq_build(a, m, &len);
	if (rc == UPQR_OK)
		rc = upqr__acq_journal_begin(a, kind, r->order_id, r->txn_time, amount, orig_oid);
	if (rc != UPQR_OK)
		return rc;
	upqr__reply reply = upqr__acq_send(a, PATH_BACK, len, &cause);
	if (reply == UPQR__REPLY_VERIFIED && !upqr__acq_reply_is_for(a, r->order_id, r->txn_time, &cause))
		reply = UPQR__REPLY_NONE;
	*decided = apply_sync(r, a, reply, cause);
	rc = upqr__acq_journal_step(a, r);
	if (rc != UPQR_OK)
		upqr__acq_journal_done(a);
	return rc;
}

static int need_back_url(upqr_acquirer *a)
{
	if (a->back_url == NULL)
		return upqr__acq_error(a, UPQR_EINVAL, "money calls need back_url in the options");
	return UPQR_OK;
}

/* customerInfo = base64("{encryptedInfo=" + enc("phoneNo=..&cvn2=..&expired=..") + "}"). */
static int customer_info(upqr_acquirer *a, char *out, size_t cap, const upqr_consume_request *q)
{
	char plain[160], enc[1400], wrapped[1500];
	size_t n = 0, w;
	int len = snprintf(plain, sizeof plain, "%s%s%s%s%s%s%s%s",
			q->phone_no ? "phoneNo=" : "", q->phone_no ? q->phone_no : "",
			q->phone_no && (q->cvn2 || q->expired) ? "&" : "",
			q->cvn2 ? "cvn2=" : "", q->cvn2 ? q->cvn2 : "",
			q->cvn2 && q->expired ? "&" : "",
			q->expired ? "expired=" : "", q->expired ? q->expired : "");
	int rc = len < 0 || (size_t)len >= sizeof plain ? UPQR_EINVAL :
		upqr_signer_encrypt(enc, sizeof enc, &w, a->signer, (const uint8_t *)plain, (size_t)len);
	upqr_memzero(plain, sizeof plain);
	if (rc == UPQR_OK) {
		len = snprintf(wrapped, sizeof wrapped, "{encryptedInfo=%s}", enc);
		rc = (size_t)len >= sizeof wrapped ? UPQR_ELIMIT :
			upqr_base64_encode(out, cap, &n, (const uint8_t *)wrapped, (size_t)len);
	}
	if (rc != UPQR_OK)
		return upqr__acq_error(a, rc, "cannot encrypt customerInfo: %s", upqr_signer_last_error(a->signer));
	return UPQR_OK;
}

static int check_consume(upqr_acquirer *a, const upqr_consume_request *q)
{
	if (q == NULL || q->txn_amt <= 0 || q->txn_amt > 999999999999LL)
		return upqr__acq_error(a, UPQR_EINVAL, "txn_amt must be 1..999999999999 fen");
	if ((q->qr_no == NULL) == (q->cpm_payload == NULL))
		return upqr__acq_error(a, UPQR_EINVAL, "give exactly one of qr_no and cpm_payload");
	if (q->qr_no != NULL && (strlen(q->qr_no) < 16 || strlen(q->qr_no) > 20 ||
			strncmp(q->qr_no, "62", 2) != 0 || strspn(q->qr_no, "0123456789") != strlen(q->qr_no)))
		return upqr__acq_error(a, UPQR_EINVAL, "qr_no must be digits starting with 62");
	return need_back_url(a);
}

int upqr_acquirer_consume(upqr_acq_result *out, upqr_acquirer *acq, const upqr_consume_request *req)
{
	if (out == NULL || !upqr__acq_ok(acq))
		return UPQR_EINVAL;
	upqr__acq_result_init(out);
	acq->err[0] = '\0';
	int rc = check_consume(acq, req);
	if (rc == UPQR_OK)
		rc = ids(acq, out->order_id, out->txn_time, req->order_id, req->txn_time);
	if (rc != UPQR_OK)
		return rc;
	char amt[24], acc[1400] = "", cust[2048] = "";
	size_t w;
	fmt_amount(amt, req->txn_amt);
	if (req->acc_no != NULL && (rc = upqr_signer_encrypt(acc, sizeof acc, &w, acq->signer,
			(const uint8_t *)req->acc_no, strlen(req->acc_no))) != UPQR_OK)
		return upqr__acq_error(acq, rc, "cannot encrypt accNo: %s", upqr_signer_last_error(acq->signer));
	if ((req->phone_no || req->cvn2 || req->expired) &&
			(rc = customer_info(acq, cust, sizeof cust, req)) != UPQR_OK)
		return rc;
	upqr__acq_msg m = { .n = 0 };
	upqr__acq_msg_common(&m, acq, "01", "06", "08");
	upqr__acq_msg_add(&m, "orderId", out->order_id);
	upqr__acq_msg_add(&m, "txnTime", out->txn_time);
	upqr__acq_msg_add(&m, "txnAmt", amt);
	upqr__acq_msg_add(&m, "currencyCode", "156");
	upqr__acq_msg_add(&m, "qrNo", req->qr_no);
	upqr__acq_msg_add(&m, UPQR__ACQ_CPM_FIELD, req->cpm_payload);
	upqr__acq_msg_add(&m, "termId", req->term_id);
	upqr__acq_msg_add(&m, "reqReserved", req->req_reserved);
	upqr__acq_msg_add(&m, "backUrl", acq->back_url);
	upqr__acq_msg_add(&m, "accNo", acc);
	upqr__acq_msg_add(&m, "customerInfo", cust);
	if (acc[0] || cust[0])
		upqr__acq_msg_add(&m, "encryptCertId", upqr_signer_encrypt_cert_id(acq->signer));
	bool decided = false;
	rc = send_money(out, acq, &m, req->qr_no ? UPQR_JOURNAL_CONSUME_QRNO : UPQR_JOURNAL_CONSUME_CPM,
			req->txn_amt, NULL, &decided);
	upqr_memzero(acc, sizeof acc);
	upqr_memzero(cust, sizeof cust);
	if (rc != UPQR_OK)
		return rc;
	return settle(out, acq, decided, true);
}

static int undo(upqr_acq_result *out, upqr_acquirer *acq, const upqr_undo_request *req, bool is_void)
{
	if (out == NULL || !upqr__acq_ok(acq))
		return UPQR_EINVAL;
	upqr__acq_result_init(out);
	acq->err[0] = '\0';
	if (req == NULL || req->txn_amt <= 0 || req->txn_amt > 999999999999LL)
		return upqr__acq_error(acq, UPQR_EINVAL, "txn_amt must be 1..999999999999 fen");
	if (req->orig_query_id == NULL && req->orig_order_id == NULL)
		return upqr__acq_error(acq, UPQR_EINVAL, "give orig_query_id or orig_order_id + orig_txn_time");
	/* Only the original's orderId: the journal knows its queryId and txnTime. */
	char jqid[33] = "", jtt[15] = "";
	const char *oqid = req->orig_query_id, *ott = req->orig_txn_time;
	int rc = UPQR_OK;
	if (oqid == NULL && ott == NULL) {
		rc = upqr__acq_journal_original(acq, req->orig_order_id, jqid, sizeof jqid, jtt, sizeof jtt);
		oqid = jqid[0] ? jqid : NULL;
		ott = jtt;
	}
	if (rc == UPQR_OK)
		rc = need_back_url(acq);
	if (rc == UPQR_OK)
		rc = ids(acq, out->order_id, out->txn_time, req->order_id, req->txn_time);
	if (rc != UPQR_OK)
		return rc;
	char amt[24];
	fmt_amount(amt, req->txn_amt);
	upqr__acq_msg m = { .n = 0 };
	upqr__acq_msg_common(&m, acq, is_void ? "31" : "04", "00", "07");
	upqr__acq_msg_add(&m, "orderId", out->order_id);
	upqr__acq_msg_add(&m, "txnTime", out->txn_time);
	upqr__acq_msg_add(&m, "txnAmt", amt);
	upqr__acq_msg_add(&m, "currencyCode", "156");
	upqr__acq_msg_add(&m, "origQryId", oqid);
	upqr__acq_msg_add(&m, "origOrderId", oqid ? NULL : req->orig_order_id);
	upqr__acq_msg_add(&m, "origTxnTime", oqid ? NULL : ott);
	upqr__acq_msg_add(&m, "backUrl", acq->back_url);
	bool decided = false;
	rc = send_money(out, acq, &m, is_void ? UPQR_JOURNAL_VOID : UPQR_JOURNAL_REFUND, req->txn_amt,
			req->orig_order_id, &decided);
	if (rc != UPQR_OK)
		return rc;
	return settle(out, acq, decided, false);
}

int upqr_acquirer_void(upqr_acq_result *out, upqr_acquirer *acq, const upqr_undo_request *req)
{
	return undo(out, acq, req, true);
}

int upqr_acquirer_refund(upqr_acq_result *out, upqr_acquirer *acq, const upqr_undo_request *req)
{
	return undo(out, acq, req, false);
}

int upqr_acquirer_apply_qr(upqr_acq_result *out, upqr_acquirer *acq, const upqr_apply_request *req)
{
	if (out == NULL || !upqr__acq_ok(acq))
		return UPQR_EINVAL;
	upqr__acq_result_init(out);
	acq->err[0] = '\0';
	if (req == NULL || req->txn_amt < 0 || req->txn_amt > 999999999999LL)
		return upqr__acq_error(acq, UPQR_EINVAL, "txn_amt must be 0..999999999999 fen");
	int rc = need_back_url(acq);
	if (rc == UPQR_OK)
		rc = ids(acq, out->order_id, out->txn_time, req->order_id, req->txn_time);
	if (rc != UPQR_OK)
		return rc;
	char amt[24] = "";
	if (req->txn_amt > 0)
		fmt_amount(amt, req->txn_amt);
	upqr__acq_msg m = { .n = 0 };
	upqr__acq_msg_common(&m, acq, "01", "07", "08");
	upqr__acq_msg_add(&m, "orderId", out->order_id);
	upqr__acq_msg_add(&m, "txnTime", out->txn_time);
	upqr__acq_msg_add(&m, "txnAmt", amt);
	upqr__acq_msg_add(&m, "currencyCode", "156");
	upqr__acq_msg_add(&m, "termId", req->term_id);
	upqr__acq_msg_add(&m, "reqReserved", req->req_reserved);
	upqr__acq_msg_add(&m, "backUrl", acq->back_url);
	bool decided = false;
	rc = send_money(out, acq, &m, UPQR_JOURNAL_APPLY_QR, req->txn_amt, NULL, &decided);
	upqr__acq_journal_done(acq);
	if (rc != UPQR_OK)
		return rc;
	/* Sync 00 with a code: the QR is issued (the order stays open until paid). */
	if (out->accepted && out->qr_code[0]) {
		out->outcome = UPQR_OUTCOME_SUCCESS;
	} else if (out->accepted) {
		out->outcome = UPQR_OUTCOME_FAILED;
		upqr__acq_error(acq, UPQR_ESERVER, "the gateway accepted but sent no qrCode");
	}
	return UPQR_OK;
}

/* ---- recovery of one journal record ------------------------------------------- */

static bool is_consume(upqr_journal_kind k)
{
	return k == UPQR_JOURNAL_CONSUME_QRNO || k == UPQR_JOURNAL_CONSUME_CPM;
}

int upqr__acq_recover_one(upqr_acq_result *r, upqr_acquirer *a, const upqr_journal_record *rec)
{
	upqr_order_ref ref = { rec->order_id, rec->txn_time };
	result_for(r, &ref);
	r->accepted = rec->state == UPQR_JOURNAL_ACCEPTED;
	upqr__acq_copy(r->query_id, sizeof r->query_id, rec->query_id);
	a->err[0] = '\0';
	a->jr.id = rec->id;
	a->jr.kind = rec->kind;
	a->jr.state = rec->state;
	int rc;
	if (rec->kind == UPQR_JOURNAL_REVERSAL) {
		/* A reversal may be repeated: it undoes, it never charges. */
		rc = reverse_once(r, a, &ref, false);
		upqr__acq_journal_done(a);
		return rc;
	}
	/* Time has passed since the crash: ask at once, then back off. */
	rc = query_step(r, a, &ref);
	if (rc == UPQR_OK && r->outcome == UPQR_OUTCOME_UNKNOWN)
		rc = resolve(r, a, &ref);
	return conclude(r, a, &ref, rc, is_consume(rec->kind));
}
