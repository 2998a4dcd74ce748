/*
 * checkout_server.c - a small merchant checkout on libmicrohttpd: a page
 * where the cashier enters an amount and gets the dynamic QR code (SVG from
 * the SDK); the page turns to "paid" when the acquirer's notification
 * arrives and verifies (the page polls the server), and offers refund and
 * void.
 *
 *   checkout_server [--page FILE]      (default samples/checkout.html)
 *
 * It listens on 127.0.0.1 (a free port; the URL is printed), its own
 * /notify is the backUrl, and it serves until SIGINT or SIGTERM.
 * Configuration: the UPQR_* environment of sample.h.
 *
 * One libmicrohttpd thread handles every request, so the one acquirer
 * client is used from one thread, as acquirer.h asks.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sample.h"

#define ORDERS 64

typedef struct order {
	char id[33], txn_time[15], query_id[33], qr_code[512], state[24], detail[320];
	int64_t amount, refunded;
} order;

typedef struct server {
	sample_client client;
	char *page;
	size_t page_len;
	order orders[ORDERS];
	size_t count;
} server;

static order *find(server *s, const char *id, size_t len)
{
	for (size_t i = 0; i < s->count && i < ORDERS; i++)
		if (strlen(s->orders[i].id) == len && memcmp(s->orders[i].id, id, len) == 0)
			return &s->orders[i];
	return NULL;
}

/* Appends text as the rest of a JSON string and closes the object; returns the new length. */
static int json_text(char *buf, size_t cap, int n, const char *text)
{
	for (const char *p = text; *p && n < (int)cap - 8; p++)
		n += snprintf(buf + n, cap - (size_t)n, (unsigned char)*p < 0x20 || *p == '"' ||
			*p == '\\' ? "\\u%04x" : "%c", (unsigned char)*p);
	return n + snprintf(buf + n, cap - (size_t)n, "\"}");
}

static enum MHD_Result json_error(struct MHD_Connection *c, unsigned int status, const char *msg)
{
	char buf[512];
	int n = snprintf(buf, sizeof buf, "{\"error\":\"");
	n = json_text(buf, sizeof buf, n, msg);
	return sample_http_reply(c, status, "application/json", buf, (size_t)n);
}

static enum MHD_Result json_order(struct MHD_Connection *c, const order *o)
{
	char amt[32], ref[32], buf[1024];
	sample_yuan(amt, o->amount);
	sample_yuan(ref, o->refunded);
	int n = snprintf(buf, sizeof buf, "{\"id\":\"%s\",\"txnTime\":\"%s\",\"amount\":\"%s\","
		"\"refunded\":\"%s\",\"state\":\"%s\",\"qrCode\":\"%s\",\"detail\":\"", o->id, o->txn_time,
		amt, ref, o->state, o->qr_code);
	n = json_text(buf, sizeof buf, n, o->detail);
	return sample_http_reply(c, 200, "application/json", buf, (size_t)n);
}

/* "amount=12.34" of a form body in fen, exactly; -1 when missing or malformed. */
static int64_t form_amount(const char *body)
{
	const char *a = strstr(body, "amount=");
	int64_t fen = -1;
	if (!a || (a != body && a[-1] != '&'))
		return -1;
	a += 7;
	size_t len = strcspn(a, "&");
	return upqr_mpm_amount_parse(&fen, a, len, 2) == UPQR_OK && fen > 0 ? fen : -1;
}

static enum MHD_Result create(server *s, struct MHD_Connection *c, const char *body)
{
	upqr_apply_request req = { .txn_amt = form_amount(body) };
	upqr_acq_result r;
	if (req.txn_amt <= 0)
		return json_error(c, 400, "amount: yuan with at most two decimals, above 0");
	if (s->count >= ORDERS)
		return json_error(c, 503, "this demo keeps 64 orders; restart it");
	int rc = upqr_acquirer_apply_qr(&r, s->client.acq, &req);
	if (rc != UPQR_OK || r.outcome != UPQR_OUTCOME_SUCCESS)
		return json_error(c, 502, rc != UPQR_OK || !r.resp_msg[0] ?
			upqr_acquirer_last_error(s->client.acq) : r.resp_msg);
	order *o = &s->orders[s->count++];
	memset(o, 0, sizeof *o);
	snprintf(o->id, sizeof o->id, "%s", r.order_id);
	snprintf(o->txn_time, sizeof o->txn_time, "%s", r.txn_time);
	snprintf(o->qr_code, sizeof o->qr_code, "%s", r.qr_code);
	snprintf(o->state, sizeof o->state, "waiting for payment");
	o->amount = req.txn_amt;
	return json_order(c, o);
}

static enum MHD_Result svg(struct MHD_Connection *c, const order *o)
{
	static char buf[256 * 1024];
	size_t n = 0;
	upqr_qr_options opts = UPQR_QR_OPTIONS_INIT;
	int rc = upqr_qr_render((uint8_t *)buf, sizeof buf, &n, NULL, UPQR_QR_FORMAT_SVG, &opts,
		(const uint8_t *)o->qr_code, strlen(o->qr_code));
	if (rc != UPQR_OK)
		return json_error(c, 500, upqr_strerror(rc));
	return sample_http_reply(c, 200, "image/svg+xml", buf, n);
}

/* Refund (any part of what remains) or void (all of it, same day, no refunds). */
static enum MHD_Result undo(server *s, struct MHD_Connection *c, order *o, int is_void, const char *body)
{
	upqr_undo_request req = { .orig_query_id = o->query_id };
	upqr_acq_result r;
	req.txn_amt = is_void ? o->amount : form_amount(body);
	if (!o->query_id[0] || req.txn_amt <= 0)
		return json_error(c, 400, !o->query_id[0] ? "the order is not paid" : "refund amount?");
	int rc = is_void ? upqr_acquirer_void(&r, s->client.acq, &req) :
		upqr_acquirer_refund(&r, s->client.acq, &req);
	if (rc != UPQR_OK)
		return json_error(c, 400, upqr_acquirer_last_error(s->client.acq));
	snprintf(o->detail, sizeof o->detail, "%s %s: %s %s", is_void ? "void" : "refund",
		upqr_outcome_name(r.outcome), r.resp_code, r.resp_msg);
	if (r.outcome == UPQR_OUTCOME_SUCCESS) {
		o->refunded += req.txn_amt;
		snprintf(o->state, sizeof o->state, "%s", is_void ? "voided" :
			o->refunded >= o->amount ? "refunded" : "partially refunded");
	}
	return json_order(c, o);
}

/* Only a verified notification (upqr_acquirer_notify) can make an order paid. */
static enum MHD_Result notify(server *s, struct MHD_Connection *c, const char *body, size_t len)
{
	upqr_notify_result n;
	int rc = upqr_acquirer_notify(&n, s->client.acq, body, len, NULL, 0);
	order *o = rc == UPQR_OK ? find(s, n.result.order_id, strlen(n.result.order_id)) : NULL;
	if (rc != UPQR_OK)
		fprintf(stderr, "checkout: notification refused (%d): %s\n", n.http_status,
			upqr_acquirer_last_error(s->client.acq));
	if (o && !strcmp(o->state, "waiting for payment")) {
		int paid = n.result.outcome == UPQR_OUTCOME_SUCCESS;
		snprintf(o->state, sizeof o->state, "%s", paid ? "paid" : "failed");
		snprintf(o->query_id, sizeof o->query_id, "%s", paid ? n.result.query_id : "");
		snprintf(o->detail, sizeof o->detail, "verified notification: %s %s", n.result.resp_code,
			n.result.resp_msg);
	}
	return sample_http_reply(c, (unsigned int)n.http_status, "text/plain", "ok\n", 3);
}

static enum MHD_Result route(void *cls, struct MHD_Connection *c, const char *url, const char *method,
		const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	(void)version;
	server *s = cls;
	const char *body = "";
	size_t len = 0;
	int post = !strcmp(method, "POST");
	if (post) {
		int got = sample_http_body(con_cls, upload, upload_size, &body, &len);
		if (got <= 0)
			return got == 0 ? MHD_YES : MHD_NO;
	}
	if (!post && !strcmp(url, "/"))
		return sample_http_reply(c, 200, "text/html; charset=utf-8", s->page, s->page_len);
	if (post && !strcmp(url, "/notify"))
		return notify(s, c, body, len);
	if (post && !strcmp(url, "/api/orders"))
		return create(s, c, body);
	const char *id = NULL;
	if (!strncmp(url, "/api/orders/", 12))
		id = url + 12;
	else if (!post && !strncmp(url, "/qr/", 4))
		id = url + 4;
	order *o = id ? find(s, id, strcspn(id, "/.")) : NULL;
	const char *rest = id ? id + strcspn(id, "/.") : "";
	if (!o)
		return json_error(c, 404, "no such page or order");
	if (!post && !strcmp(rest, ".svg") && id == url + 4)
		return svg(c, o);
	if (!post && !*rest)
		return json_order(c, o);
	if (post && (!strcmp(rest, "/refund") || !strcmp(rest, "/void")))
		return undo(s, c, o, !strcmp(rest, "/void"), body);
	return json_error(c, 404, "no such page");
}

int main(int argc, char **argv)
{
	const char *page = argc == 3 && !strcmp(argv[1], "--page") ? argv[2] : "samples/checkout.html";
	if (argc != 1 && argc != 3) {
		fprintf(stderr, "usage: checkout_server [--page FILE]\n");
		return SAMPLE_USAGE;
	}
	static server s;
	s.page = (char *)sample_read_file(page, &s.page_len);
	if (!s.page)
		return SAMPLE_IO;
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL); /* the daemon's thread inherits the mask */
	unsigned int port = 0;
	char back[64];
	struct MHD_Daemon *d = sample_http_start(route, &s, &port);
	int code = d ? SAMPLE_OK : SAMPLE_IO;
	snprintf(back, sizeof back, "http://127.0.0.1:%u/notify", port);
	if (code == SAMPLE_OK)
		code = sample_client_open(&s.client, getenv("UPQR_BACK_URL") ? getenv("UPQR_BACK_URL") : back, 0);
	if (code == SAMPLE_OK) {
		printf("checkout page: http://127.0.0.1:%u/\n", port);
		fflush(stdout);
		int sig = 0;
		sigwait(&stop, &sig);
		printf("checkout: stopped by signal %d\n", sig);
	}
	if (d)
		MHD_stop_daemon(d);
	sample_client_close(&s.client);
	free(s.page);
	return code;
}
