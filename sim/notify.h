/*
 * notify.h - asynchronous notifications to backUrl (private to sim/).
 */
#ifndef UPQR_SIM_NOTIFY_H
#define UPQR_SIM_NOTIFY_H

#include "db.h"

/*
 * Queues the notification of t reaching a final state (under s->lock):
 * success, or with fail_code the failure shape respCode=00 +
 * origRespCode=fail_code. Fault knobs may duplicate, delay, tamper with or
 * suppress it, or add a query string to the URL.
 */
void sim_notify_enqueue(sim *s, const sim_txn *t, const char *fail_code);
/* JSON array of every delivery attempt (malloc'd), for GET /__sim/notifications. */
char *sim_notify_log_json(sim *s);

#endif /* UPQR_SIM_NOTIFY_H */
