/*
 * upqr/acquirer.h - the acquirer client: UnionPay's ACP gateway (QR product,
 * versions 5.1.0 and 5.0.0) over libcurl, with an outcome model that never
 * calls an order paid before a verified message says so.
 *
 * Outcome model. Every money call (consume, void, refund, reversal) ends in
 * one of three outcomes:
 *   UPQR_OUTCOME_SUCCESS  a verified sync reply, notification or query said
 *                         respCode 00 and origRespCode 00 or A6;
 *   UPQR_OUTCOME_FAILED   a verified message gave a final failure code
 *                         (resp_code / resp_msg say which), or the order was
 *                         reversed;
 *   UPQR_OUTCOME_UNKNOWN  nothing verified decided it yet: sync 03/04/05, a
 *                         timeout, a non-200, a dropped connection, an
 *                         unparsable or unverifiable reply, a query loop that
 *                         ended without a final answer.
 * A money request is sent once and never again (libcurl's silent retry on a
 * reused connection is disabled: the body cannot be rewound). UNKNOWN is
 * resolved by the query loop (default back-off 1, 2, 4, 8, 16, 32 s) and,
 * for a merchant-scan consume still unknown at its end, by a reversal.
 *
 * Thread-safety: a client handle owns one libcurl easy handle (kept alive
 * between calls) and borrows a signer and a verifier; use it from one thread
 * at a time. For several threads create one client, signer and verifier per
 * thread; they may share one journal only if the journal says so.
 */
#ifndef UPQR_ACQUIRER_H
#define UPQR_ACQUIRER_H

#include <stddef.h>
#include <stdint.h>

#include "upqr/common.h"
#include "upqr/sign.h"
#include "upqr/journal.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct upqr_acquirer upqr_acquirer;

/* Most query attempts of one loop. */
#define UPQR_ACQ_BACKOFF_MAX 16

#define UPQR_ACQUIRER_OPTIONS_VERSION 1
typedef struct upqr_acquirer_options {
	unsigned int version;             /* UPQR_ACQUIRER_OPTIONS_VERSION */
	const char *mer_id;               /* 15 digits (required) */
	const char *access_type;          /* "0" merchant (default), "1" acquirer, "2" platform */
	const char *acq_ins_code;         /* required with access_type "1" */
	/* Gateway base URL without the path, e.g. "https://gateway.test.95516.com".
	 * https is required except for loopback hosts (simulators). */
	const char *base_url;
	upqr_signer *signer;              /* borrowed; must outlive the client */
	upqr_verifier *verifier;          /* borrowed; must outlive the client */
	upqr_acp_version acp_version;     /* default 5.1.0; must match the signer's */
	upqr_acp_sign_method sign_method; /* default 01; must match the signer's */
	long connect_timeout_ms;          /* default 30000 */
	long total_timeout_ms;            /* default 30000 */
	const char *ca_file;              /* CA bundle for the gateway's TLS certificate; NULL: system */
	const char *pinned_public_key;    /* CURLOPT_PINNEDPUBLICKEY: "sha256//base64" or a key file */
	/* 1: UnionPay's test environment or a simulator. Must agree with base_url:
	 * gateway.test.95516.com needs 1, gateway.95516.com needs 0 (UPQR_EINVAL). The
	 * verifier's own test_env decides whether test-environment CNs verify. */
	int test_env;
	const char *user_agent;           /* NULL: "upqr/<version>" */
	/* 1 switches TLS peer and host verification off. Refused (UPQR_EINVAL)
	 * unless the base URL's host is a loopback address (127.0.0.0/8, ::1,
	 * localhost). For simulators with self-signed certificates only. */
	int insecure_loopback_tls;
	const char *back_url;             /* notification URL sent as backUrl (required for money calls) */
	/* Query loop delays in ms (count 0: 1000, 2000, 4000, 8000, 16000, 32000). */
	unsigned int backoff_ms[UPQR_ACQ_BACKOFF_MAX];
	size_t backoff_count;
	/* Every delay is divided by this (0 or 1: real time); for tests. */
	unsigned int time_divisor;
	/* Optional journal (borrowed): orders are recorded PENDING before their
	 * request leaves and moved on every state change. */
	upqr_journal *journal;
	/* 1: money calls return after the sync reply (UNKNOWN with accepted = 1
	 * when the gateway took the order) and leave the query loop and the
	 * reversal to the caller (upqr_acquirer_resolve, notifications,
	 * upqr_journal_recover). 0 (default): they run them before returning. */
	int sync_only;
} upqr_acquirer_options;

#define UPQR_ACQUIRER_OPTIONS_INIT \
	{ UPQR_ACQUIRER_OPTIONS_VERSION, NULL, NULL, NULL, NULL, NULL, NULL, UPQR_ACP_5_1_0, \
	  UPQR_ACP_SIGN_RSA, 30000, 30000, NULL, NULL, 0, NULL, 0, NULL, { 0 }, 0, 1, NULL, 0 }

UPQR_EXTERN int upqr_acquirer_options_init(upqr_acquirer_options *opts, unsigned int version) UPQR_WARN_UNUSED;

/*
 * Creates a client: checks the options (merId 15 digits, URL scheme and
 * host, loopback rule), and prepares the libcurl handle. Nothing is sent.
 * UPQR_EINVAL (bad option; *out NULL), UPQR_EVERSION, UPQR_ENOMEM. On
 * failure, when err is not NULL, a message (at most err_cap bytes,
 * NUL-terminated) names the option refused and why ("mer_id must be 15
 * digits"): the handle that would hold it does not exist. It never holds a
 * key or certificate.
 */
UPQR_EXTERN int upqr_acquirer_open(upqr_acquirer **out, const upqr_acquirer_options *opts,
		char *err, size_t err_cap) UPQR_WARN_UNUSED;
/* upqr_acquirer_open without the message. */
UPQR_EXTERN int upqr_acquirer_new(upqr_acquirer **out, const upqr_acquirer_options *opts) UPQR_WARN_UNUSED;
UPQR_EXTERN void upqr_acquirer_free(upqr_acquirer *acq);
/* Text of the last failure or UNKNOWN cause ("" if none); valid until the next call. */
UPQR_EXTERN const char *upqr_acquirer_last_error(const upqr_acquirer *acq);

/* ---- results ------------------------------------------------------------ */

typedef enum upqr_outcome {
	UPQR_OUTCOME_SUCCESS = 0,
	UPQR_OUTCOME_FAILED = 1,
	UPQR_OUTCOME_UNKNOWN = 2
} upqr_outcome;

/* "success", "failed", "unknown". */
UPQR_EXTERN const char *upqr_outcome_name(upqr_outcome o);

/*
 * The result of every call: plain arrays, no pointers, so it can be copied
 * and kept. Fields the gateway did not send are "" / 0.
 */
typedef struct upqr_acq_result {
	upqr_outcome outcome;
	int cause;                 /* UNKNOWN: the upqr status that made it unknown (UPQR_OK otherwise) */
	int accepted;              /* the gateway accepted the request (a verified sync 00) */
	int reversed;              /* a reversal ended this order */
	unsigned int queries;      /* queries sent for this call */
	char resp_code[3];         /* the deciding respCode (origRespCode when a query decided) */
	char resp_msg[256];
	char orig_resp_code[3];
	char order_id[33];
	char txn_time[15];
	char query_id[33];
	char trace_no[7];
	char trace_time[11];
	char settle_date[5];
	int64_t txn_amt;           /* minor units (fen); -1 when absent */
	int64_t settle_amt;        /* -1 when absent */
	char qr_code[512];         /* apply QR: the code to render */
	char acc_no_masked[UPQR_ACP_PAN_MAX + 1];
	char encrypt_cert_id[64];  /* 95/00: serial (decimal) of the new encryption certificate */
} upqr_acq_result;

/* ---- requests ------------------------------------------------------------- */

/* Apply for a C2B QR code (01/07). order_id/txn_time: NULL generates them. */
typedef struct upqr_apply_request {
	const char *order_id;
	const char *txn_time;
	int64_t txn_amt;           /* fen; 0: the payer enters the amount */
	const char *term_id;       /* optional */
	const char *req_reserved;  /* optional */
} upqr_apply_request;

/* Merchant-scan consume (01/06): exactly one of qr_no and cpm_payload. */
typedef struct upqr_consume_request {
	const char *order_id;
	const char *txn_time;
	int64_t txn_amt;           /* fen, > 0 */
	const char *qr_no;         /* 19-digit payment code starting with 62 */
	const char *cpm_payload;   /* EMV CPM (base64 BER-TLV), sent as emvCpqrcPayload */
	const char *term_id;       /* optional, 8 chars */
	const char *req_reserved;
	/* Sensitive fields, encrypted with UnionPay's encryption certificate (optional). */
	const char *acc_no;        /* sent encrypted as accNo */
	const char *phone_no;      /* customerInfo.encryptedInfo */
	const char *cvn2;
	const char *expired;
} upqr_consume_request;

/* Void (31/00) or refund (04/00) of a successful consume. */
typedef struct upqr_undo_request {
	const char *order_id;      /* the void/refund's own new orderId; NULL generates */
	const char *txn_time;
	int64_t txn_amt;           /* void: the original amount; refund: <= remaining */
	const char *orig_query_id; /* queryId of the original, or: */
	const char *orig_order_id;
	const char *orig_txn_time;
} upqr_undo_request;

/* Query (00/00) or reversal (99/01) of an order: by orderId + txnTime. */
typedef struct upqr_order_ref {
	const char *order_id;
	const char *txn_time;
} upqr_order_ref;

/* ---- operations ------------------------------------------------------------
 * All write *out (always, also on failure) and return UPQR_OK when an outcome
 * was reached (including FAILED and UNKNOWN); another status means nothing
 * was sent (bad request, journal failure) and the last error says why.
 */

/* Apply for a QR code: SUCCESS = the code was issued (not paid); out->qr_code. */
UPQR_EXTERN int upqr_acquirer_apply_qr(upqr_acq_result *out, upqr_acquirer *acq,
		const upqr_apply_request *req) UPQR_WARN_UNUSED;
/* Consume; runs the query loop and, if still unknown, reverses the order. */
UPQR_EXTERN int upqr_acquirer_consume(upqr_acq_result *out, upqr_acquirer *acq,
		const upqr_consume_request *req) UPQR_WARN_UNUSED;
UPQR_EXTERN int upqr_acquirer_void(upqr_acq_result *out, upqr_acquirer *acq,
		const upqr_undo_request *req) UPQR_WARN_UNUSED;
UPQR_EXTERN int upqr_acquirer_refund(upqr_acq_result *out, upqr_acquirer *acq,
		const upqr_undo_request *req) UPQR_WARN_UNUSED;
/*
 * One query: SUCCESS/FAILED when the order is final, UNKNOWN otherwise. A
 * consume the gateway reports reversed (origRespCode 45, docs/acquirer.md)
 * is FAILED with reversed = 1.
 */
UPQR_EXTERN int upqr_acquirer_query(upqr_acq_result *out, upqr_acquirer *acq,
		const upqr_order_ref *ref) UPQR_WARN_UNUSED;
/* The query loop: queries with the back-off until the order is final. */
UPQR_EXTERN int upqr_acquirer_resolve(upqr_acq_result *out, upqr_acquirer *acq,
		const upqr_order_ref *ref) UPQR_WARN_UNUSED;
/* Reversal (99/01) of a merchant-scan consume: SUCCESS = reversed. */
UPQR_EXTERN int upqr_acquirer_reverse(upqr_acq_result *out, upqr_acquirer *acq,
		const upqr_order_ref *ref) UPQR_WARN_UNUSED;
/*
 * Encryption-certificate update (95/00): fetches UnionPay's current
 * encryption certificate in a verified reply, checks it with
 * upqr_verifier_check_encrypt_cert (chain to root + middle, encryption key
 * usage, UnionPay CN, valid now) and makes it the signer's encryption
 * certificate (upqr_signer_set_encrypt_cert): SUCCESS, out->encrypt_cert_id
 * its serial, and its PEM written to pem (size query as usual; the signer
 * is refreshed even when pem is NULL or too small, UPQR_EBUFSIZE). A
 * certificate that fails a check is refused: FAILED, the check's status
 * returned and in out->cause, the signer unchanged.
 */
UPQR_EXTERN int upqr_acquirer_update_encrypt_cert(upqr_acq_result *out, char *pem, size_t cap,
		size_t *written, upqr_acquirer *acq) UPQR_WARN_UNUSED;

/* ---- identifiers and time ------------------------------------------------- */

/* Beijing time (UTC+8) of unix time t as YYYYMMDDhhmmss, whatever TZ says. out: 15 bytes. */
UPQR_EXTERN void upqr_acp_txn_time(char out[15], int64_t t);
/*
 * A new orderId: txnTime(14) + a per-client sequence (6, base 36) + 8 random
 * alphanumerics = 28 characters, sortable by time then sequence. out: 33 bytes.
 */
UPQR_EXTERN int upqr_acquirer_order_id(char out[33], upqr_acquirer *acq, int64_t t) UPQR_WARN_UNUSED;

/* ---- notifications ---------------------------------------------------------- */

typedef struct upqr_notify_result {
	int http_status;           /* send this to UnionPay: 200 only once the journal has it */
	int verified;              /* the signature and certificate checked out */
	int duplicate;             /* this queryId was booked before */
	upqr_acq_result result;    /* outcome: SUCCESS only for respCode 00/A6 with origRespCode absent/00/A6 */
	char txn_type[3];
} upqr_notify_result;

/*
 * Handles one notification POST: body is the raw form body; url_query is the
 * notification URL's own query string (may be NULL), which is not part of the
 * signed set and is discarded. Verifies, books the result in the journal by
 * queryId (idempotent: a repeated notification changes nothing) and says
 * which HTTP status to answer. Returns UPQR_OK when it was handled
 * (http_status 200), or the reason it was not (bad form, verification,
 * journal): then answer out->http_status (400 rejected, 500 retry later).
 */
UPQR_EXTERN int upqr_acquirer_notify(upqr_notify_result *out, upqr_acquirer *acq,
		const char *body, size_t len, const char *url_query, size_t url_query_len) UPQR_WARN_UNUSED;

/* ---- recovery --------------------------------------------------------------- */

typedef struct upqr_recover_stats {
	size_t claimed;        /* unfinished orders found */
	size_t succeeded;
	size_t failed;         /* including reversed */
	size_t reversed;
	size_t unknown;        /* still unknown: run recovery again later */
} upqr_recover_stats;

/*
 * Drives every unfinished order of the client's journal to a final state
 * (query loop; reversal for merchant-scan consumes where allowed). Orders
 * another process holds are skipped. UPQR_EINVAL without a journal.
 */
UPQR_EXTERN int upqr_journal_recover(upqr_recover_stats *stats, upqr_acquirer *acq) UPQR_WARN_UNUSED;

/* ---- measurements ------------------------------------------------------------ */

/* Connections libcurl opened for this client so far (1 when keep-alive held). */
UPQR_EXTERN long upqr_acquirer_connections(const upqr_acquirer *acq);

#ifdef __cplusplus
}
#endif
#endif /* UPQR_ACQUIRER_H */
