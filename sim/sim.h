/*
 * sim.h - upqr-sim, a stand-in for UnionPay's ACP gateway on loopback
 * (spec/acquirer.md §6). Private to the sim/ program: the library never
 * includes this header or links the simulator's dependencies.
 *
 * The request handler (sim_handle) is independent of the HTTP server so that
 * a fuzz target and the unit tests can call it without a socket. All state
 * lives in one SQLite database guarded by sim->lock; the HTTP threads and the
 * notification worker take the lock for every touch of it.
 */
#ifndef UPQR_SIM_H
#define UPQR_SIM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "upqr.h"

#define SIM_MERCHANTS_MAX 16
#define SIM_FAULTS_MAX 64
#define SIM_PATH_MAX 1024
/* Request bodies larger than this get HTTP 413 before any parsing. */
#define SIM_BODY_MAX (UPQR_ACP_MESSAGE_MAX + 4096)

/* How UnionPay's signing certificate of a reply looks (per merchant, per fault). */
typedef enum sim_signv {
	SIGNV_NORMAL = 0,    /* upop_sign.pem: chains to root + middle, UnionPay CN */
	SIGNV_SHA1,          /* the same leaf signed with SHA-1 (whole chain SHA-1) */
	SIGNV_WRONGCN,       /* another organisation in the CN */
	SIGNV_TESTCN,        /* the test-environment CN (…@00040000:SIGN@…) */
	SIGNV_EXPIRED,       /* leaf expired in 2021 */
	SIGNV_SELFSIGNED,    /* self-signed rogue with a UnionPay CN */
	SIGNV_COUNT
} sim_signv;

typedef struct sim_merchant {
	char mer_id[32];
	char cert_path[SIM_PATH_MAX];   /* merchant signing certificate (registered by certId) */
	char pfx_path[SIM_PATH_MAX];    /* handed to clients in the ready line only */
	char cert_id[64];
	char secure_key[128];           /* signMethod 11/12; "" = not enabled */
	char txn_types[64];             /* allowed txnTypes, comma separated */
	int64_t limit;                  /* per-transaction limit, fen */
	bool enabled;
	sim_signv signv;
	upqr_verifier *verifier;        /* its certificate (by certId) and secure key */
	upqr_signer *sk_signer[2];      /* replies for 11 and 12 */
} sim_merchant;

/* Fault knobs (docs/sim.md lists them). */
typedef enum sim_scope { SCOPE_GLOBAL, SCOPE_MERCHANT, SCOPE_ORDER, SCOPE_AMOUNT } sim_scope;
typedef struct sim_fault {
	sim_scope scope;
	char key[40];
	char name[24];
	char value[40];
} sim_fault;

typedef struct sim_config {
	char listen_host[64];
	unsigned short port;
	bool tls;
	char state[SIM_PATH_MAX];
	char pki[SIM_PATH_MAX - 64];
	char qr_host[256];          /* qrCode = qr_host + "/00010000/" + 32 digits */
	double time_scale;          /* divides notification retry delays and QR lifetime */
	int txn_window_s;           /* txnTime tolerance around the clock (Beijing time) */
	int query_limit;            /* queries per order per (sim) minute before 37 */
	int qr_ttl_s;               /* QR lifetime without payTimeout */
	int refund_days;            /* refund window for QR orders */
	int notify_timeout_ms;      /* a notification counts as delivered on 200 within this */
	bool notify_accept_302;
	bool query_unpaid_34;       /* query of an unpaid 01/07 order: 34 instead of 00 + 05 */
	int order_id_max;           /* 32 (or up to 40) */
	int fault_delay_ms;         /* the `delay` fault: sleep before replying */
	char cpm_imk[33];           /* issuer master key (TDES, hex) for CPM consumes */
	char cpm_mk_option[2];      /* "A" or "B" */
} sim_config;

typedef struct sim {
	sim_config cfg;
	sqlite3 *db;
	pthread_mutex_t lock;
	sim_merchant merchants[SIM_MERCHANTS_MAX];
	size_t n_merchants;
	upqr_signer *signer[SIGNV_COUNT][2];    /* [variant][upqr_acp_version] */
	char *cert_pem[SIGNV_COUNT];            /* signPubKeyCert text, CRLF line ends */
	char *enc_pem;                          /* encryptPubKeyCert for txnType 95 */
	char *last_reply;                       /* the last genuine money reply (fault `replay`) */
	size_t last_reply_len;
	char last_reply_order[64];              /* the orderId it was about */
	upqr_emv_key *cpm_imk;                  /* issuer key for CPM cryptograms */
	sim_fault faults[SIM_FAULTS_MAX];
	size_t n_faults;
	int64_t clock_offset;                   /* seconds added to the real clock */
	bool clock_frozen;                      /* /__sim/clock freeze=1: the clock stands at frozen_now */
	int64_t frozen_now;
	uint64_t seq;                           /* queryId / traceNo counter */
	char base_url[128];
	/* notification worker */
	pthread_t worker;
	bool worker_running;
	bool stop;
	pthread_cond_t wake;
	volatile int stopping;                  /* set on SIGTERM: `delay` sleeps end early */
} sim;

/* What the HTTP layer must do with a reply (fault injection). */
typedef enum sim_action {
	ACT_REPLY = 0,     /* send status + body */
	ACT_DROP,          /* close the connection without an answer */
	ACT_TRUNCATE,      /* promise the body's length, send half of it, close */
} sim_action;

typedef struct sim_reply {
	int status;                 /* HTTP status */
	char *body;                 /* malloc'd, NUL-terminated */
	size_t len;
	const char *content_type;
	sim_action action;
	int delay_ms;               /* sleep before acting (outside the lock) */
} sim_reply;

/* ---- sim.c: setup --------------------------------------------------------- */
void sim_config_defaults(sim_config *c);
/* Reads --config FILE (JSON; see docs/sim.md) into c and the merchant list. */
int sim_config_load(sim *s, const char *path, char *err, size_t err_cap);
/* Opens the state, loads keys, registers the default merchant(s). */
int sim_open(sim *s, char *err, size_t err_cap);
void sim_close(sim *s);
/* The sim clock (real clock + offset), Unix seconds. */
int64_t sim_now(const sim *s);
/* Real monotonic-ish wall clock in milliseconds (for notification schedules). */
int64_t sim_real_ms(void);

/* ---- handler.c: requests --------------------------------------------------- */
/*
 * Handles one HTTP request: never fails, always fills out (free with
 * sim_reply_free). Takes and releases s->lock itself.
 */
void sim_handle(sim *s, const char *method, const char *path, const char *content_type,
		const char *body, size_t len, sim_reply *out);
void sim_reply_free(sim_reply *r);

/* ---- msg.c: messages as owned, NUL-terminated key/value pairs --------------- */
typedef struct sim_kv {
	char *key;
	char *val;
} sim_kv;
typedef struct sim_msg {
	sim_kv kv[UPQR_ACP_FIELDS_MAX];
	size_t n;
} sim_msg;
/* Sets (replaces) key; a NULL or empty value removes it (UnionPay never sends empty fields). */
void msg_set(sim_msg *m, const char *key, const char *val);
const char *msg_get(const sim_msg *m, const char *key);
void msg_free(sim_msg *m);
/* Copies fields (views) into m. */
int msg_from_fields(sim_msg *m, const upqr_acp_field *f, size_t n);
/* Views of m for the SDK (fields needs m->n entries). */
void msg_fields(const sim_msg *m, upqr_acp_field *fields);
/* Raw response body `k=v&k=v` (run msg_brace first). */
char *msg_raw(sim_msg *m, size_t *len);
/* URL-encoded form body (notifications). */
char *msg_form(const sim_msg *m, size_t *len);
/*
 * Before signing (the braces are signed): wraps a value holding '&' in {}
 * unless it is one {...} group already, and drops a value with unbalanced
 * brackets (no parser could split it off again).
 */
void msg_brace(sim_msg *m);
/*
 * Signs m as UnionPay: version "5.1.0" adds signPubKeyCert, "5.0.0" certId,
 * signMethod "11"/"12" uses the merchant's secure key; then signature.
 * badsig flips the signature. Returns 0 or -1.
 */
int msg_sign(sim *s, sim_msg *m, sim_merchant *mer, sim_signv v, bool badsig);
/* The variant named normal|sha1|wrongcn|testcn|expired|selfsigned, or dflt. */
sim_signv sim_signv_named(const char *name, sim_signv dflt);

/* One request being handled (handler.c builds it, txn.c fills the reply part). */
typedef struct sim_req {
	sim_msg in;
	sim_msg out;
	bool query_endpoint;
	sim_merchant *mer;
	const char *resp_code;          /* respCode of the reply */
	const char *resp_msg;           /* NULL: the standard text of resp_code */
	int64_t txn_id;                 /* the transaction the reply is about (0: none) */
	char order_id[64];              /* for fault lookup: the order the request is about */
	char amount[24];
} sim_req;

/* Standard respMsg text (`成功[0000000]` style) of a respCode. */
const char *sim_resp_msg(const char *code);

/* ---- http.c: the server ------------------------------------------------------- */
struct MHD_Daemon;
/*
 * Starts serving s on cfg.listen_host:cfg.port (HTTPS with cfg.tls: the key
 * and certificate texts are read into *tls_key / *tls_cert, which the caller
 * frees after MHD_stop_daemon). NULL on failure (reason on stderr).
 */
struct MHD_Daemon *sim_http_start(sim *s, char **tls_key, char **tls_cert);

/* ---- txn.c: state machine -------------------------------------------------- */
/* Runs validation steps 4.. and the state machine for one verified request. */
void sim_txn_process(sim *s, sim_req *q);
/* Test hook: the payer pays, declines or lets the QR expire (under the lock). */
int sim_txn_pay(sim *s, const char *order_or_qr, const char *mer_id, const char *outcome,
		const char *amount, char *msg, size_t msg_cap);
/* The registered merchant with this merId, or NULL. */
sim_merchant *sim_merchant_find(sim *s, const char *mer_id);

/* ---- notify.c: backUrl notifications ---------------------------------------- */
int sim_notify_start(sim *s);
void sim_notify_stop(sim *s);

/* ---- cpm.c: consume with an EMV CPM payload ----------------------------------- */
/* Request field of a consume (01/06) carrying a consumer-presented EMV code instead of qrNo. */
#define SIM_CPM_FIELD "emvCpqrcPayload"
int sim_cpm_open(sim *s, char *err, size_t err_cap);
/* Step 5: the payload decodes as a valid CPM; false -> respCode 10. */
bool sim_cpm_format_ok(const char *b64);
/* After step 8: NULL (ARQC right, ATC fresh and recorded) or the respCode (61, 38). */
const char *sim_cpm_check(sim *s, const char *b64);

/*
 * origRespCode with which a query reports a reversed consume. UnionPay's
 * public documents do not say; 45 ("already undone") keeps it apart from a
 * plain failure (01). The client knows it as UPQR__ACQ_CODE_REVERSED.
 */
#define SIM_CODE_REVERSED "45"

/* The PEM block of a file with CRLF line ends (how UnionPay sends certificates); malloc'd, NULL if unreadable. */
char *sim_pem_crlf(const char *path);

/* ---- faults -------------------------------------------------------------- */
/* The value of fault name for this request ("" if set without value), or NULL. */
const char *sim_fault_get(const sim *s, const char *name, const char *mer_id,
		const char *order_id, const char *amount);

/* ---- util ---------------------------------------------------------------- */
/* Beijing-time text of t: YYYYMMDDhhmmss, YYMMDDhhmmss, MMDDhhmmss (traceTime), MMDD. */
typedef enum sim_bj_fmt { BJ_FULL, BJ_SHORT, BJ_TRACE, BJ_MMDD } sim_bj_fmt;
void sim_bj_format(char *out, size_t cap, int64_t t, sim_bj_fmt fmt);
/* Parses YYYYMMDDhhmmss as Beijing time; false if not a real date. */
bool sim_bj_parse(const char *text, size_t len, int64_t *out);
/* Settlement day number: days since epoch of the Beijing date after rolling at 23:00. */
int64_t sim_settle_day(int64_t t);

#endif /* UPQR_SIM_H */
