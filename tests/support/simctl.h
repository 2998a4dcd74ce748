/*
 * simctl.h - test helpers around upqr-sim: start it on a random loopback
 * port and read its ready line, drive its test hooks, and a tiny loopback
 * HTTP server that receives its notifications.
 */
#ifndef UPQR_SIMCTL_H
#define UPQR_SIMCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct simctl {
	pid_t pid;
	char base_url[128];
	char mer_id[32];
	char pfx[512];
	char root[512];
	char middle[512];
	char tls_ca[512];
	char enc_cert[512];
} simctl;

/*
 * Starts $UPQR_BUILD/bin/upqr-sim (default build/) on 127.0.0.1:0 with
 * extra arguments (NULL-terminated, may be NULL) and waits for its ready
 * line. Returns false (and says why on stderr) when the binary is missing
 * or does not come up; the caller then skips.
 */
bool simctl_start(simctl *s, const char *const *extra);
/* SIGTERM, then waits for it to exit. */
void simctl_stop(simctl *s);
/*
 * POSTs a form body to a hook (e.g. "/__sim/faults", "fault=resp&value=03")
 * and stores the reply (NUL-terminated, truncated) in out. Returns the HTTP
 * status, or -1.
 */
int simctl_post(const simctl *s, const char *path, const char *form, char *out, size_t cap);
/* GET of a hook; same contract. */
int simctl_get(const simctl *s, const char *path, char *out, size_t cap);

/* ---- notification receiver ---- */

/* Called on the receiver's thread with the POST body and the URL's query; returns the status to send. */
typedef int (*simctl_handler)(void *user, const char *body, size_t len, const char *query, size_t qlen);

typedef struct simctl_receiver simctl_receiver;
/* Listens on 127.0.0.1:0; *url gets "http://127.0.0.1:PORT/notify". */
simctl_receiver *simctl_receiver_start(simctl_handler h, void *user, char *url, size_t cap);
void simctl_receiver_stop(simctl_receiver *r);

#endif
