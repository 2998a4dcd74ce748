/*
 * notify.c - UnionPay's back notifications: a signed form POST to backUrl,
 * delivered only on HTTP 200 within the timeout (10 s), otherwise re-sent
 * after 1, 2, 4 and 5 minutes (5 sends in all), the delays divided by
 * --time-scale. One worker thread sends; every attempt is logged in the
 * state database (table notify_attempt).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "notify.h"

#define NOTIFY_SENDS 5
static const int RETRY_DELAY_S[NOTIFY_SENDS - 1] = { 60, 120, 240, 300 };

static void build_message(sim *s, const sim_txn *t, const char *fail_code, sim_msg *m)
{
	char amt[24];
	snprintf(amt, sizeof amt, "%lld", (long long)t->amount);
	msg_set(m, "version", t->version);
	msg_set(m, "encoding", "UTF-8");
	msg_set(m, "signMethod", t->sign_method);
	msg_set(m, "txnType", t->txn_type);
	msg_set(m, "txnSubType", t->txn_sub_type);
	msg_set(m, "bizType", "000000");
	msg_set(m, "accessType", t->access_type);
	msg_set(m, "merId", t->mer_id);
	msg_set(m, "orderId", t->order_id);
	msg_set(m, "txnTime", t->txn_time);
	msg_set(m, "txnAmt", amt);
	msg_set(m, "currencyCode", t->currency);
	msg_set(m, "queryId", t->query_id);
	msg_set(m, "traceNo", t->trace_no);
	msg_set(m, "traceTime", t->trace_time);
	msg_set(m, "settleAmt", amt);
	msg_set(m, "settleCurrencyCode", t->currency);
	msg_set(m, "settleDate", t->settle_date);
	msg_set(m, "respCode", "00");
	msg_set(m, "respMsg", sim_resp_msg("00"));
	if (fail_code) {
		msg_set(m, "origRespCode", fail_code);
		msg_set(m, "origRespMsg", sim_resp_msg(fail_code));
	}
	msg_set(m, "reqReserved", t->req_reserved);
	if (t->orig_id) {
		sim_txn o;
		if (txn_by_id(s, t->orig_id, &o) == 1)
			msg_set(m, "origQryId", o.query_id);
	}
}

static void insert_notification(sim *s, const sim_txn *t, const char *url, const char *body,
		int64_t due_ms, const char *kind)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "INSERT INTO notification (txn_id, mer_id, order_id, url, body, due_ms,"
			" kind) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(st, 1, t->id);
	sqlite3_bind_text(st, 2, t->mer_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, t->order_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, url, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, body, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 6, due_ms);
	sqlite3_bind_text(st, 7, kind, -1, SQLITE_STATIC);
	(void)sqlite3_step(st);
	sqlite3_finalize(st);
}

void sim_notify_enqueue(sim *s, const sim_txn *t, const char *fail_code)
{
	char amt[24];
	snprintf(amt, sizeof amt, "%lld", (long long)t->amount);
#define F(name) sim_fault_get(s, name, t->mer_id, t->order_id, amt)
	if (!t->back_url[0] || F("notify_none"))
		return;
	sim_merchant *mer = sim_merchant_find(s, t->mer_id);
	sim_msg m = { 0 };
	build_message(s, t, fail_code, &m);
	sim_signv v = sim_signv_named(F("cert"), mer ? mer->signv : SIGNV_NORMAL);
	size_t len = 0;
	char *body = msg_sign(s, &m, mer, v, F("notify_badsig") != NULL) == 0 ? msg_form(&m, &len) : NULL;
	msg_free(&m);
	if (!body)
		return;
	char url[sizeof t->back_url + 64];
	snprintf(url, sizeof url, "%s", t->back_url);
	if (F("notify_query"))
		snprintf(url, sizeof url, "%s%cupqrsim=1&sim_extra=%s", t->back_url,
			strchr(t->back_url, '?') ? '&' : '?', "a%20b");
	const char *delay = F("notify_delay");
	int64_t due = sim_real_ms() + (delay ? strtoll(delay, NULL, 10) : 0);
	insert_notification(s, t, url, body, due, fail_code ? "failure" : "success");
	if (F("notify_dup"))
		insert_notification(s, t, url, body, due, "duplicate");
#undef F
	free(body);
	pthread_cond_signal(&s->wake);
}

typedef struct job {
	int64_t id, txn_id;
	int attempts;
	char mer_id[32], order_id[64];
	char *url, *body;
} job;

/* Next due notification, under the lock; false if none. */
static bool next_job(sim *s, job *j)
{
	sqlite3_stmt *st;
	bool found = false;
	if (sqlite3_prepare_v2(s->db, "SELECT id, txn_id, attempts, mer_id, order_id, url, body FROM notification"
			" WHERE status = 'pending' AND due_ms <= ?1 ORDER BY due_ms, id LIMIT 1", -1, &st, NULL))
		return false;
	sqlite3_bind_int64(st, 1, sim_real_ms());
	if (sqlite3_step(st) == SQLITE_ROW) {
		j->id = sqlite3_column_int64(st, 0);
		j->txn_id = sqlite3_column_int64(st, 1);
		j->attempts = sqlite3_column_int(st, 2);
		snprintf(j->mer_id, sizeof j->mer_id, "%s", (const char *)sqlite3_column_text(st, 3));
		snprintf(j->order_id, sizeof j->order_id, "%s", (const char *)sqlite3_column_text(st, 4));
		j->url = strdup((const char *)sqlite3_column_text(st, 5));
		j->body = strdup((const char *)sqlite3_column_text(st, 6));
		found = j->url && j->body;
	}
	sqlite3_finalize(st);
	return found;
}

static size_t discard(char *p, size_t size, size_t n, void *u)
{
	(void)p;
	(void)u;
	return size * n;
}

/* One send; returns the HTTP status (0 when none) and the curl error text. */
static long deliver(sim *s, CURL *c, const job *j, char *err, int64_t *elapsed_ms)
{
	struct curl_slist *h = curl_slist_append(NULL,
		"Content-Type: application/x-www-form-urlencoded;charset=UTF-8");
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, j->url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, j->body);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)s->cfg.notify_timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
	/* Test servers use throwaway certificates; the merchant's TLS is not what is under test here. */
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	int64_t t0 = sim_real_ms();
	err[0] = 0;
	CURLcode rc = curl_easy_perform(c);
	*elapsed_ms = sim_real_ms() - t0;
	long status = 0;
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	else if (!err[0])
		snprintf(err, CURL_ERROR_SIZE, "%s", curl_easy_strerror(rc));
	curl_slist_free_all(h);
	return status;
}

static void record(sim *s, const job *j, long status, int64_t elapsed, const char *err)
{
	bool ok = status == 200 || (status == 302 && s->cfg.notify_accept_302);
	int attempt = j->attempts + 1;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "INSERT INTO notify_attempt (notification_id, txn_id, mer_id, order_id,"
			" attempt, at_ms, http_status, elapsed_ms, result, error) VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
			" ?7, ?8, ?9, ?10)", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, j->id);
		sqlite3_bind_int64(st, 2, j->txn_id);
		sqlite3_bind_text(st, 3, j->mer_id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 4, j->order_id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(st, 5, attempt);
		sqlite3_bind_int64(st, 6, sim_real_ms());
		sqlite3_bind_int64(st, 7, status);
		sqlite3_bind_int64(st, 8, elapsed);
		sqlite3_bind_text(st, 9, ok ? "delivered" : "failed", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 10, err, -1, SQLITE_TRANSIENT);
		(void)sqlite3_step(st);
		sqlite3_finalize(st);
	}
	double scale = s->cfg.time_scale > 0 ? s->cfg.time_scale : 1;
	int64_t due = attempt < NOTIFY_SENDS ? sim_real_ms() + (int64_t)(RETRY_DELAY_S[attempt - 1] * 1000 / scale) : 0;
	const char *status_text = ok ? "delivered" : attempt >= NOTIFY_SENDS ? "failed" : "pending";
	if (sqlite3_prepare_v2(s->db, "UPDATE notification SET attempts = ?2, status = ?3, due_ms = ?4"
			" WHERE id = ?1", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, j->id);
		sqlite3_bind_int(st, 2, attempt);
		sqlite3_bind_text(st, 3, status_text, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, due);
		(void)sqlite3_step(st);
		sqlite3_finalize(st);
	}
}

static void *worker(void *arg)
{
	sim *s = arg;
	CURL *c = curl_easy_init();
	char err[CURL_ERROR_SIZE];
	pthread_mutex_lock(&s->lock);
	while (!s->stop) {
		job j = { 0 };
		if (!c || !next_job(s, &j)) {
			free(j.url);
			free(j.body);
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 20 * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&s->wake, &s->lock, &ts);
			continue;
		}
		pthread_mutex_unlock(&s->lock);
		int64_t elapsed;
		long status = deliver(s, c, &j, err, &elapsed);
		pthread_mutex_lock(&s->lock);
		record(s, &j, status, elapsed, err);
		free(j.url);
		free(j.body);
	}
	pthread_mutex_unlock(&s->lock);
	curl_easy_cleanup(c);
	return NULL;
}

int sim_notify_start(sim *s)
{
	if (pthread_create(&s->worker, NULL, worker, s) != 0)
		return -1;
	s->worker_running = true;
	return 0;
}

void sim_notify_stop(sim *s)
{
	if (!s->worker_running)
		return;
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	pthread_cond_broadcast(&s->wake);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->worker, NULL);
	s->worker_running = false;
}

char *sim_notify_log_json(sim *s)
{
	json_t *arr = json_array();
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "SELECT a.notification_id, a.order_id, a.mer_id, a.attempt, a.http_status,"
			" a.elapsed_ms, a.result, a.error, n.url, n.kind, n.body, a.at_ms FROM notify_attempt a"
			" JOIN notification n ON n.id = a.notification_id ORDER BY a.id", -1, &st, NULL) == SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW) {
			json_t *o = json_object();
			json_object_set_new(o, "notification", json_integer(sqlite3_column_int64(st, 0)));
			json_object_set_new(o, "orderId", json_string((const char *)sqlite3_column_text(st, 1)));
			json_object_set_new(o, "merId", json_string((const char *)sqlite3_column_text(st, 2)));
			json_object_set_new(o, "attempt", json_integer(sqlite3_column_int(st, 3)));
			json_object_set_new(o, "httpStatus", json_integer(sqlite3_column_int(st, 4)));
			json_object_set_new(o, "elapsedMs", json_integer(sqlite3_column_int64(st, 5)));
			json_object_set_new(o, "result", json_string((const char *)sqlite3_column_text(st, 6)));
			json_object_set_new(o, "error", json_string((const char *)sqlite3_column_text(st, 7)));
			json_object_set_new(o, "url", json_string((const char *)sqlite3_column_text(st, 8)));
			json_object_set_new(o, "kind", json_string((const char *)sqlite3_column_text(st, 9)));
			json_object_set_new(o, "body", json_string((const char *)sqlite3_column_text(st, 10)));
			json_object_set_new(o, "atMs", json_integer(sqlite3_column_int64(st, 11)));
			json_array_append_new(arr, o);
		}
		sqlite3_finalize(st);
	}
	char *text = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	return text;
}
