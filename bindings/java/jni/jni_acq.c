/*
 * jni_acq.c - dev.upqr.AcquirerClient and dev.upqr.Journal.
 *
 * A request's optional strings cross as one byte[] (Java's
 * AcquirerClient.pack): per slot a flag byte (0 absent, 1 present) and,
 * when present, the UTF-8 text and a NUL (Java refuses U+0000 first). The
 * C strings are views into one copy of that array. Results go back as one
 * blob: the status with the client's last error, then the result fields.
 */
#include <stdlib.h>
#include <string.h>

#include "upqr_jni.h"

#define ACQ_SLOTS 10

static upqr_acquirer *acq_of(jlong h)
{
	return (upqr_acquirer *)(intptr_t)h;
}

static upqr_journal *journal_of(jlong h)
{
	return (upqr_journal *)(intptr_t)h;
}

/* Splits the packed slots into s[0..n); UPQR_EINVAL when malformed. */
/* jb_handle's free functions: a new handle whose blob could not be made. */
static void free_acq(void *h)
{
	upqr_acquirer_free(h);
}

static void free_journal(void *h)
{
	upqr_journal_free(h);
}

static int unpack(uint8_t *data, size_t len, const char **s, int n)
{
	size_t at = 0;
	for (int i = 0; i < n; i++) {
		s[i] = NULL;
		if (at >= len)
			return UPQR_EINVAL;
		if (data[at++] == 0)
			continue;
		const uint8_t *nul = memchr(data + at, 0, len - at);
		if (!nul)
			return UPQR_EINVAL;
		s[i] = (const char *)data + at;
		at = (size_t)(nul - data) + 1;
	}
	return at == len ? UPQR_OK : UPQR_EINVAL;
}

static void put_result(jblob *b, const upqr_acq_result *r)
{
	jb_i32(b, (int32_t)r->outcome);
	jb_i32(b, r->cause);
	jb_u8(b, r->accepted ? 1 : 0);
	jb_u8(b, r->reversed ? 1 : 0);
	jb_i32(b, (int32_t)r->queries);
	jb_str(b, r->resp_code);
	jb_str(b, r->resp_msg);
	jb_str(b, r->orig_resp_code);
	jb_str(b, r->order_id);
	jb_str(b, r->txn_time);
	jb_str(b, r->query_id);
	jb_str(b, r->trace_no);
	jb_str(b, r->trace_time);
	jb_str(b, r->settle_date);
	jb_i64(b, r->txn_amt);
	jb_i64(b, r->settle_amt);
	jb_str(b, r->qr_code);
	jb_str(b, r->acc_no_masked);
	jb_str(b, r->encrypt_cert_id);
}

/* The head of an acquirer call: its status, and the client's last error as the message. */
static void acq_head(jblob *b, int rc, const upqr_acquirer *a)
{
	const char *err = upqr_acquirer_last_error(a);
	jb_head(b, rc, rc == UPQR_OK || !err || !*err ? NULL : err, NULL);
}

JNIEXPORT jbyteArray JNICALL Java_dev_upqr_Native_acqNew(JNIEnv *env, jclass cls, jlong signer,
		jlong verifier, jlong journal, jbyteArray packed, jintArray ints, jintArray backoff)
{
	(void)cls;
	jint iv[8];
	jint delays[UPQR_ACQ_BACKOFF_MAX];
	jsize nb = backoff ? (*env)->GetArrayLength(env, backoff) : 0;
	if (!ints || (*env)->GetArrayLength(env, ints) != 8 || nb > UPQR_ACQ_BACKOFF_MAX)
		return jb_status(env, UPQR_EINVAL, "bad options");
	(*env)->GetIntArrayRegion(env, ints, 0, 8, iv);
	if (nb > 0)
		(*env)->GetIntArrayRegion(env, backoff, 0, nb, delays);
	if ((*env)->ExceptionCheck(env))
		return NULL;
	uint8_t *data;
	size_t len;
	if (jin_copy(env, packed, &data, &len) != 0)
		return NULL;
	const char *s[8];
	int rc = data ? unpack(data, len, s, 8) : UPQR_EINVAL;
	upqr_acquirer *a = NULL;
	char why[256] = "";
	if (rc == UPQR_OK) {
		upqr_acquirer_options o = UPQR_ACQUIRER_OPTIONS_INIT;
		o.mer_id = s[0];
		if (s[1])
			o.access_type = s[1];
		o.acq_ins_code = s[2];
		o.base_url = s[3];
		o.ca_file = s[4];
		o.pinned_public_key = s[5];
		o.user_agent = s[6];
		o.back_url = s[7];
		o.signer = (upqr_signer *)(intptr_t)signer;
		o.verifier = (upqr_verifier *)(intptr_t)verifier;
		o.journal = journal_of(journal);
		o.acp_version = (upqr_acp_version)iv[0];
		o.sign_method = (upqr_acp_sign_method)iv[1];
		o.connect_timeout_ms = iv[2];
		o.total_timeout_ms = iv[3];
		o.test_env = iv[4];
		o.insecure_loopback_tls = iv[5];
		o.time_divisor = (unsigned int)iv[6];
		o.sync_only = iv[7];
		for (jsize i = 0; i < nb; i++)
			o.backoff_ms[i] = (unsigned int)delays[i];
		o.backoff_count = (size_t)nb;
		rc = upqr_acquirer_open(&a, &o, why, sizeof why);
	}
	free(data);
	/* No handle on failure: the library's reason names the option (C field names). */
	return jb_handle(env, rc, rc != UPQR_OK && why[0] ? why : NULL, NULL, a, free_acq);
}

JNIEXPORT void JNICALL Java_dev_upqr_Native_acqFree(JNIEnv *env, jclass cls, jlong h)
{
	(void)env;
	(void)cls;
	upqr_acquirer_free(acq_of(h));
}

enum { OP_APPLY, OP_CONSUME, OP_VOID, OP_REFUND, OP_QUERY, OP_RESOLVE, OP_REVERSE };

static int run_op(upqr_acq_result *r, upqr_acquirer *a, int op, const char **s, int64_t amount)
{
	switch (op) {
	case OP_APPLY: {
		upqr_apply_request q = { s[0], s[1], amount, s[2], s[3] };
		return upqr_acquirer_apply_qr(r, a, &q);
	}
	case OP_CONSUME: {
		upqr_consume_request q = { s[0], s[1], amount, s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9] };
		return upqr_acquirer_consume(r, a, &q);
	}
	case OP_VOID:
	case OP_REFUND: {
		upqr_undo_request q = { s[0], s[1], amount, s[2], s[3], s[4] };
		return op == OP_VOID ? upqr_acquirer_void(r, a, &q) : upqr_acquirer_refund(r, a, &q);
	}
	default: {
		upqr_order_ref ref = { s[0], s[1] };
		return op == OP_QUERY ? upqr_acquirer_query(r, a, &ref)
			: op == OP_RESOLVE ? upqr_acquirer_resolve(r, a, &ref) : upqr_acquirer_reverse(r, a, &ref);
	}
	}
}

/* One operation; packed holds ACQ_SLOTS slots (sensitive values are wiped after). */
JNIEXPORT jbyteArray JNICALL Java_dev_upqr_Native_acqCall(JNIEnv *env, jclass cls, jlong h, jint op,
		jbyteArray packed, jlong amount)
{
	(void)cls;
	upqr_acquirer *a = acq_of(h);
	uint8_t *data;
	size_t len;
	if (jin_copy(env, packed, &data, &len) != 0)
		return NULL;
	const char *s[ACQ_SLOTS];
	upqr_acq_result r;
	memset(&r, 0, sizeof r);
	int rc = data && op >= OP_APPLY && op <= OP_REVERSE ? unpack(data, len, s, ACQ_SLOTS) : UPQR_EINVAL;
	if (rc == UPQR_OK)
		rc = run_op(&r, a, op, s, amount);
	jin_wipe_free(data, len);
	jblob b;
	jb_init(&b);
	acq_head(&b, rc, a);
	put_result(&b, &r);
	jb_str(&b, upqr_acquirer_last_error(a));
	return jb_finish(env, &b);
}

/* Encryption-certificate update (95/00): the result, then the new certificate's PEM. */
JNIEXPORT jbyteArray JNICALL Java_dev_upqr_Native_acqUpdateEncryptCert(JNIEnv *env, jclass cls, jlong h)
{
	(void)cls;
	upqr_acquirer *a = acq_of(h);
	upqr_acq_result r;
	memset(&r, 0, sizeof r);
	/* The PEM is far below this; EBUFSIZE would still have refreshed the signer. */
	char pem[16384];
	size_t w = 0;
	int rc = upqr_acquirer_update_encrypt_cert(&r, pem, sizeof pem, &w, a);
	jblob b;
	jb_init(&b);
	acq_head(&b, rc, a);
	put_result(&b, &r);
	jb_str(&b, upqr_acquirer_last_error(a));
	jb_bytes(&b, pem, rc == UPQR_OK ? w : 0);
	return jb_finish(env, &b);
}

JNIEXPORT jbyteArray JNICALL Java_dev_upqr_Native_acqNotify(JNIEnv *env, jclass cls, jlong h,
		jbyteArray body, jbyteArray url_query)
{
	(void)cls;
	upqr_acquirer *a = acq_of(h);
	uint8_t *p, *q;
	size_t len, qlen;
	if (jin_copy(env, body, &p, &len) != 0)
		return NULL;
	if (jin_copy(env, url_query, &q, &qlen) != 0) {
		free(p);
		return NULL;
	}
	upqr_notify_result n;
	memset(&n, 0, sizeof n);
	n.http_status = 400;
	int rc = p ? upqr_acquirer_notify(&n, a, (const char *)p, len, (const char *)q, qlen) : UPQR_EINVAL;
	free(p);
	free(q);
	jblob b;
	jb_init(&b);
	acq_head(&b, rc, a);
	jb_i32(&b, n.http_status);
	jb_u8(&b, n.verified ? 1 : 0);
	jb_u8(&b, n.duplicate ? 1 : 0);
	jb_str(&b, n.txn_type);
	put_result(&b, &n.result);
	jb_str(&b, upqr_acquirer_last_error(a));
	return jb_finish(env, &b);
}

JNIEXPORT jbyteArray JNICALL Java_dev_upqr_Native_acqRecover(JNIEnv *env, jclass cls, jlong h)
{
	(void)cls;
	upqr_acquirer *a = acq_of(h);
	upqr_recover_stats st;
	memset(&st, 0, sizeof st);
	int rc = upqr_journal_recover(&st, a);
	jblob b;
	jb_init(&b);
	acq_head(&b, rc, a);
	jb_i64(&b, (int64_t)st.claimed);
	jb_i64(&b, (int64_t)st.succeeded);
	jb_i64(&b, (int64_t)st.failed);
	jb_i64(&b, (int64_t)st.reversed);
	jb_i64(&b, (int64_t)st.unknown);
	return jb_finish(env, &b);
}

/* t: Unix seconds. h 0: only the txnTime of t. */
JNIEXPORT jbyteArray JNICALL Java_dev_upqr_Native_acqIds(JNIEnv *env, jclass cls, jlong h, jlong t)
{
	(void)cls;
	char out[33] = "";
	int rc = UPQR_OK;
	if (h)
		rc = upqr_acquirer_order_id(out, acq_of(h), t);
	else
		upqr_acp_txn_time(out, t);
	jblob b;
	jb_init(&b);
	if (h)
		acq_head(&b, rc, acq_of(h));
	else
		jb_head(&b, rc, NULL, NULL);
	jb_str(&b, rc == UPQR_OK ? out : "");
	return jb_finish(env, &b);
}

/* ---- journal ------------------------------------------------------------------ */

JNIEXPORT jbyteArray JNICALL Java_dev_upqr_Native_journalOpen(JNIEnv *env, jclass cls,
		jbyteArray location, jboolean create, jint busy_ms, jlong lease_ms, jbyteArray owner)
{
	(void)cls;
	uint8_t *loc, *own;
	size_t len, olen;
	if (jin_copy(env, location, &loc, &len) != 0)
		return NULL;
	if (jin_copy(env, owner, &own, &olen) != 0) {
		jin_wipe_free(loc, len);
		return NULL;
	}
	upqr_journal_options o = UPQR_JOURNAL_OPTIONS_INIT;
	o.location = (const char *)loc;
	o.create = create ? 1 : 0;
	if (busy_ms > 0)
		o.busy_timeout_ms = (unsigned int)busy_ms;
	if (lease_ms > 0)
		o.lease_ms = lease_ms;
	o.owner = (const char *)own;
	upqr_journal *j = NULL;
	char err[256] = "";
	int rc = loc ? upqr_journal_open(&j, &o, err, sizeof err) : UPQR_EINVAL;
	/* A postgresql:// URL may carry a password. */
	jin_wipe_free(loc, len);
	free(own);
	return jb_handle(env, rc, rc == UPQR_OK || !err[0] ? NULL : err, NULL, j, free_journal);
}

JNIEXPORT void JNICALL Java_dev_upqr_Native_journalFree(JNIEnv *env, jclass cls, jlong h)
{
	(void)env;
	(void)cls;
	upqr_journal_free(journal_of(h));
}

static void put_record(jblob *b, const upqr_journal_record *r)
{
	jb_i64(b, r->id);
	jb_i32(b, (int32_t)r->kind);
	jb_i32(b, (int32_t)r->state);
	jb_str(b, r->mer_id);
	jb_str(b, r->order_id);
	jb_str(b, r->txn_time);
	jb_i64(b, r->amount);
	jb_str(b, r->currency);
	jb_i64(b, r->orig_id);
	jb_str(b, r->orig_order_id);
	jb_str(b, r->orig_txn_time);
	jb_str(b, r->orig_query_id);
	jb_str(b, r->resp_code);
	jb_str(b, r->orig_resp_code);
	jb_str(b, r->resp_msg);
	jb_str(b, r->query_id);
	jb_i64(b, r->refunded_total);
	jb_i64(b, (int64_t)r->attempts);
	jb_i64(b, r->created_ms);
	jb_i64(b, r->updated_ms);
}

/* The journal's status and last error as a blob head. */
static void journal_head(jblob *b, int rc, const upqr_journal *j)
{
	const char *err = upqr_journal_last_error(j);
	jb_head(b, rc, rc == UPQR_OK || !err || !*err ? NULL : err, NULL);
}

/* Copies an optional string into a fixed field; -1 when it does not fit. */
static int set_text(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strlen(src) : 0;
	if (n >= cap)
		return -1;
	memcpy(dst, src ? src : "", n + 1);
	return 0;
}

/*
 * Copies n packed strings into the fixed fields dst[i] (cap[i] bytes); *rc
 * UPQR_OK or UPQR_EINVAL (malformed, or *too_long set when one does not
 * fit). Returns -1 with an exception pending, else 0.
 */
static int fields_into(JNIEnv *env, jbyteArray packed, char *const *dst, const size_t *cap, int n,
		int *rc, int *too_long)
{
	uint8_t *data;
	size_t len;
	const char *s[5];
	*too_long = 0;
	if (jin_copy(env, packed, &data, &len) != 0)
		return -1;
	*rc = data && n <= 5 ? unpack(data, len, s, n) : UPQR_EINVAL;
	for (int i = 0; *rc == UPQR_OK && i < n; i++) {
		if (set_text(dst[i], cap[i], s[i]) != 0) {
			*rc = UPQR_EINVAL;
			*too_long = 1;
		}
	}
	free(data);
	return 0;
}

/* The reply of begin / transition: the status, then the record as it is now. */
static jbyteArray journal_reply(JNIEnv *env, int rc, const char *too_long, const upqr_journal *j,
		const upqr_journal_record *r)
{
	jblob b;
	jb_init(&b);
	if (too_long)
		jb_head(&b, rc, too_long, NULL);
	else
		journal_head(&b, rc, j);
	put_record(&b, r);
	return jb_finish(env, &b);
}

JNIEXPORT jbyteArray JNICALL Java_dev_upqr_Native_journalBegin(JNIEnv *env, jclass cls, jlong h,
		jint kind, jbyteArray packed, jlong amount)
{
	(void)cls;
	upqr_journal *j = journal_of(h);
	upqr_journal_order o;
	upqr_journal_record r;
	memset(&o, 0, sizeof o);
	memset(&r, 0, sizeof r);
	char *const dst[5] = { o.mer_id, o.order_id, o.txn_time, o.currency, o.orig_order_id };
	const size_t cap[5] = { sizeof o.mer_id, sizeof o.order_id, sizeof o.txn_time, sizeof o.currency,
		sizeof o.orig_order_id };
	int rc, too_long;
	if (fields_into(env, packed, dst, cap, 5, &rc, &too_long) != 0)
		return NULL;
	if (rc == UPQR_OK) {
		o.kind = (upqr_journal_kind)kind;
		o.amount = amount;
		rc = upqr_journal_begin(&r, j, &o);
	}
	return journal_reply(env, rc, too_long ? "a field is too long (merId 15, orderId 40, txnTime 14, "
		"currency 3)" : NULL, j, &r);
}

JNIEXPORT jbyteArray JNICALL Java_dev_upqr_Native_journalTransition(JNIEnv *env, jclass cls, jlong h,
		jlong id, jint to, jbyteArray packed, jlong amount)
{
	(void)cls;
	upqr_journal *j = journal_of(h);
	upqr_journal_update u;
	upqr_journal_record r;
	memset(&u, 0, sizeof u);
	memset(&r, 0, sizeof r);
	char *const dst[4] = { u.resp_code, u.orig_resp_code, u.resp_msg, u.query_id };
	const size_t cap[4] = { sizeof u.resp_code, sizeof u.orig_resp_code, sizeof u.resp_msg,
		sizeof u.query_id };
	int rc, too_long;
	if (fields_into(env, packed, dst, cap, 4, &rc, &too_long) != 0)
		return NULL;
	if (rc == UPQR_OK) {
		u.amount = amount;
		rc = upqr_journal_transition(&r, j, id, (upqr_journal_state)to, &u);
	}
	return journal_reply(env, rc, too_long ? "a field is too long (respCode 2, respMsg 127 bytes, "
		"queryId 32)" : NULL, j, &r);
}

JNIEXPORT jbyteArray JNICALL Java_dev_upqr_Native_journalFind(JNIEnv *env, jclass cls, jlong h,
		jbyteArray packed, jint kind)
{
	(void)cls;
	upqr_journal *j = journal_of(h);
	uint8_t *data;
	size_t len;
	if (jin_copy(env, packed, &data, &len) != 0)
		return NULL;
	const char *s[2];
	upqr_journal_record r;
	memset(&r, 0, sizeof r);
	int rc = data ? unpack(data, len, s, 2) : UPQR_EINVAL;
	if (rc == UPQR_OK)
		rc = upqr_journal_find(&r, j, s[0], s[1], (upqr_journal_kind)kind);
	free(data);
	jblob b;
	jb_init(&b);
	journal_head(&b, rc, j);
	put_record(&b, &r);
	return jb_finish(env, &b);
}
