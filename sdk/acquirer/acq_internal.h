/*
 * acq_internal.h - plumbing shared by the files of sdk/acquirer (not installed).
 */
#ifndef UPQR_ACQ_INTERNAL_H
#define UPQR_ACQ_INTERNAL_H

#include <stdbool.h>

#include <curl/curl.h>

#include "core/core_internal.h"
#include "upqr/acquirer.h"

/* The journal record of the operation a handle has in flight. */
typedef struct upqr__acq_jr {
	int64_t id;                 /* 0: none */
	upqr_journal_kind kind;
	upqr_journal_state state;
} upqr__acq_jr;

#define UPQR__ACQ_MAGIC 0x41435152u /* "ACQR" */
#define UPQR__ACQ_REQ_MAX (64u * 1024u)
/* Fields a request is built from (the signer appends certId and signature). */
#define UPQR__ACQ_REQ_FIELDS 40

struct upqr_acquirer {
	uint32_t magic;
	CURL *curl;
	struct curl_slist *headers;
	upqr_signer *signer;
	upqr_verifier *verifier;
	upqr_journal *journal;
	upqr__acq_jr jr;
	bool recovering;               /* inside upqr_journal_recover */
	bool sync_only;
	bool order_seen;               /* a query of the operation in flight found it (respCode 00) */
	char *base_url;
	char *back_url;
	char mer_id[16];
	char access_type[2];
	char acq_ins_code[16];
	const char *version_text;      /* "5.1.0" / "5.0.0" */
	const char *sign_method_text;  /* "01" / "11" / "12" */
	unsigned int backoff_ms[UPQR_ACQ_BACKOFF_MAX];
	size_t backoff_count;
	unsigned int time_divisor;
	uint32_t order_seq;
	long connects;                 /* connections opened so far */
	/* The last reply: raw body (NUL-terminated) and its fields (views into it). */
	char *resp;
	size_t resp_len;
	size_t resp_cap;
	bool resp_overflow;
	upqr_acp_field fields[UPQR_ACP_FIELDS_MAX];
	size_t nfields;
	char *req;                     /* request body buffer, UPQR__ACQ_REQ_MAX */
	char err[UPQR__ERR_MAX];
};

/* A request under construction: fields whose values the caller keeps alive. */
typedef struct upqr__acq_msg {
	upqr_acp_field f[UPQR__ACQ_REQ_FIELDS];
	size_t n;
} upqr__acq_msg;

/* Appends key=value unless value is NULL or empty (empty fields are never sent). */
void upqr__acq_msg_add(upqr__acq_msg *m, const char *key, const char *value);
/* The common fields every message carries (version ... merId, acqInsCode). */
void upqr__acq_msg_common(upqr__acq_msg *m, const upqr_acquirer *a, const char *txn_type,
		const char *txn_sub_type, const char *channel_type);

/* What one exchange with the gateway produced. */
typedef enum upqr__reply {
	UPQR__REPLY_VERIFIED = 0,  /* a verified reply is in a->fields */
	UPQR__REPLY_NOT_SENT,      /* the request never left (connect / TLS handshake failed) */
	UPQR__REPLY_NONE           /* sent (or maybe sent), but no usable reply: unknown */
} upqr__reply;

/* Signs m into a->req; *len is the body length. Nothing is sent. */
int upqr__acq_build(upqr_acquirer *a, const upqr__acq_msg *m, size_t *len);
/*
 * POSTs the built body to base_url + path once, parses and verifies the
 * reply. *cause gets the upqr status explaining NOT_SENT / NONE.
 */
upqr__reply upqr__acq_send(upqr_acquirer *a, const char *path, size_t len, int *cause);

/*
 * Whether the verified reply echoes this merchant, orderId and txnTime; if
 * not, it is dropped (*cause = UPQR_EMISMATCH) and must count as no reply.
 */
bool upqr__acq_reply_is_for(upqr_acquirer *a, const char *order_id, const char *txn_time, int *cause);
/* The verified reply's value of key, NUL-terminated into buf (truncated), "" if absent. */
const char *upqr__acq_get(upqr_acquirer *a, const char *key, char *buf, size_t cap);
/* Copies the identifying fields of the verified reply into r. */
void upqr__acq_fill_result(upqr_acq_result *r, upqr_acquirer *a);
/* Copies NUL-terminated src into dst[cap], truncating. */
void upqr__acq_copy(char *dst, size_t cap, const char *src);
/* Starts a result: everything empty, outcome UNKNOWN. */
void upqr__acq_result_init(upqr_acq_result *r);
/* Interprets fields (reply or notification) as a result outcome. */
bool upqr__acq_code_success(const char *code);
bool upqr__acq_code_pending(const char *code);

/* Sleeps ms / time_divisor. */
void upqr__acq_sleep(const upqr_acquirer *a, unsigned int ms);
/* Sets last-error text and returns status. */
int upqr__acq_error(upqr_acquirer *a, int status, const char *fmt, ...) UPQR__PRINTF(3, 4);
bool upqr__acq_ok(const upqr_acquirer *a);

/*
 * origRespCode of a queried consume that was reversed (UnionPay's documents
 * do not name one; upqr-sim and docs/acquirer.md agree on 45, "already undone").
 */
#define UPQR__ACQ_CODE_REVERSED "45"

/* Field that carries an EMV CPM payload in a 01/06 consume. */
#define UPQR__ACQ_CPM_FIELD "emvCpqrcPayload"

/* ---- journal glue (acq_journal.c) ----
 * The record of the operation in flight lives in a->jr (one operation at a
 * time per handle). Without a journal every call is a no-op returning OK.
 */
int upqr__acq_journal_begin(upqr_acquirer *a, upqr_journal_kind kind, const char *order_id,
		const char *txn_time, int64_t amount, const char *orig_order_id);
/* Writes what r says now: a final state, ACCEPTED/UNKNOWN, or one more attempt. */
int upqr__acq_journal_step(upqr_acquirer *a, const upqr_acq_result *r);
/*
 * True when the journal already has the operation in flight final (a
 * verified notification booked it): r takes that outcome.
 */
bool upqr__acq_journal_final(upqr_acquirer *a, upqr_acq_result *r);
/* Drives one claimed journal record as far as it goes (query loop, reversal). */
int upqr__acq_recover_one(upqr_acq_result *r, upqr_acquirer *a, const upqr_journal_record *rec);
/* The queryId and txnTime the journal has for an original order (void/refund by orderId alone). */
int upqr__acq_journal_original(upqr_acquirer *a, const char *orig_order_id, char *query_id,
		size_t qcap, char *txn_time, size_t tcap);
/*
 * The gateway reports the consume in flight reversed: books it REVERSED
 * (through the journal's reversal record, begun here if another party
 * reversed it). No-op without a journal.
 */
int upqr__acq_journal_reversed(upqr_acquirer *a, const upqr_acq_result *r);
/* Forgets the operation in flight, releasing its claim if it is still open; order_seen is reset. */
void upqr__acq_journal_done(upqr_acquirer *a);

#endif /* UPQR_ACQ_INTERNAL_H */
