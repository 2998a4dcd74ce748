/*
 * sample.h - the plumbing the merchant-side samples share, on the public API
 * only: an acquirer client configured from the environment, a notification
 * receiver on loopback, receipts, and a few libmicrohttpd helpers.
 *
 * Environment (README "Samples"):
 *   UPQR_GATEWAY             gateway base URL: the simulator's baseUrl, or
 *                            https://gateway.test.95516.com
 *   UPQR_MER_ID              merchant ID (15 digits)
 *   UPQR_PFX                 merchant signing key and certificate (PKCS#12)
 *   UPQR_PFX_PASSWORD_FILE   file holding its password (never on the command line)
 *   UPQR_ROOT_CERT, UPQR_MIDDLE_CERT   UnionPay's root and middle CA (PEM)
 * optional:
 *   UPQR_TEST_ENV=1          UnionPay's test environment (accepts its test CN)
 *   UPQR_ENCRYPT_CERT        UnionPay's encryption certificate
 *   UPQR_JOURNAL             order journal file (SQLite)
 *   UPQR_BACK_URL            public notification URL; unset: the sample's own
 *                            receiver on 127.0.0.1 (simulator only)
 *   UPQR_TIME_DIVISOR        divides the query loop's back-off (demos, tests)
 */
#ifndef UPQR_SAMPLE_H
#define UPQR_SAMPLE_H

#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

#include "upqr.h"

/* Exit codes of the samples: those of the `upqr` CLI. */
enum { SAMPLE_OK = 0, SAMPLE_REFUSED = 1, SAMPLE_USAGE = 2, SAMPLE_IO = 3, SAMPLE_UNKNOWN = 4 };

typedef struct sample_client {
	upqr_signer *signer;
	upqr_verifier *verifier;
	upqr_journal *journal;
	upqr_acquirer *acq;
} sample_client;

typedef struct sample_receiver sample_receiver;

/* A client plus (unless UPQR_BACK_URL is set) the receiver its backUrl points to. */
typedef struct sample {
	sample_client client;
	sample_receiver *receiver;
} sample;

/* Opens the client from the environment; errors are printed. Returns a SAMPLE_* code. */
int sample_client_open(sample_client *c, const char *back_url, int sync_only);
void sample_client_close(sample_client *c);
int sample_open(sample *s, int sync_only);
void sample_close(sample *s);

/* Prints "sample: what: STATUS_NAME (strerror): detail" on stderr; returns the exit code for rc. */
int sample_fail(const char *what, int rc, const char *detail);
/* The exit code of an acquirer outcome (0 success, 1 failed, 4 unknown). */
int sample_exit_for(const upqr_acq_result *r);
/* Fen as yuan text, exactly ("12.34"). */
void sample_yuan(char out[32], int64_t fen);
/* A whole file (at most 64 MiB) in malloc'd memory, or NULL (the reason printed). */
uint8_t *sample_read_file(const char *path, size_t *len);
/* "  LABEL      text": text from a payload, control bytes shown as \xNN (UTF-8 kept). */
void sample_print_text(const char *label, const char *text, size_t len);
/* One line per diagnostic: code, byte offset, ID path, message. */
void sample_print_diags(const upqr_diag_list *diags);
/* Prints a receipt of a verified (or undecided) acquirer result. */
void sample_receipt(const char *title, const upqr_acq_result *r);

/* ---- notification receiver ---------------------------------------------------------- */

/* Starts it on 127.0.0.1:0 with its own client (one thread uses it). */
int sample_receiver_start(sample_receiver **out);
/* "http://127.0.0.1:PORT/notify". */
const char *sample_receiver_url(const sample_receiver *r);
/* Waits up to timeout_ms for a verified notification about order_id: 1 and *out, or 0. */
int sample_receiver_wait(sample_receiver *r, const char *order_id, int timeout_ms,
		upqr_notify_result *out);
/* Notifications answered 400 or 500 so far (forged, malformed, not booked). */
unsigned int sample_receiver_refused(const sample_receiver *r);
void sample_receiver_stop(sample_receiver *r);

/* ---- libmicrohttpd helpers -------------------------------------------------------------- */

/*
 * Collects a request body over the calls of an access handler: returns 0
 * while more is coming (the handler returns MHD_YES), 1 once *body and *len
 * hold all of it (NUL-terminated), -1 when it is over 64 KiB or out of memory.
 */
int sample_http_body(void **con_cls, const char *upload, size_t *upload_size, const char **body,
		size_t *len);
/* MHD_OPTION_NOTIFY_COMPLETED callback that frees what sample_http_body kept. */
void sample_http_done(void *cls, struct MHD_Connection *c, void **con_cls,
		enum MHD_RequestTerminationCode toe);
enum MHD_Result sample_http_reply(struct MHD_Connection *c, unsigned int status, const char *type,
		const void *body, size_t len);
/* Starts a daemon on 127.0.0.1:0 (one internal thread); *port gets the port chosen. */
struct MHD_Daemon *sample_http_start(MHD_AccessHandlerCallback handler, void *cls, unsigned int *port);

#endif /* UPQR_SAMPLE_H */
