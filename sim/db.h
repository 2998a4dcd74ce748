/*
 * db.h - the simulator's SQLite schema and row helpers (private to sim/).
 */
#ifndef UPQR_SIM_DB_H
#define UPQR_SIM_DB_H

#include "sim.h"

/* One transaction row: a consume / apply-QR order, a void or a refund. */
typedef struct sim_txn {
	int64_t id;
	char mer_id[32];
	char order_id[64];
	char txn_time[16];
	char txn_type[4];
	char txn_sub_type[4];
	char version[8];
	char sign_method[4];
	char access_type[4];
	char currency[8];
	int64_t amount;
	char state[24];           /* QR_ISSUED PROCESSING SUCCESS FAILED CLOSED VOIDED
	                             PARTIALLY_REFUNDED REFUNDED REVERSED REJECTED */
	char resp_code[4];        /* origRespCode of a final state */
	char query_id[40];
	char trace_no[8];
	char trace_time[12];
	char settle_date[8];
	int64_t created;          /* sim clock */
	int64_t settle_day;
	int64_t expires;          /* QR_ISSUED: sim clock after which the QR is closed */
	char back_url[600];
	char req_reserved[1100];
	int64_t orig_id;          /* void / refund: the original consume */
	int64_t refunded;         /* consume: sum of successful refunds */
	char qr_code[320];
	char qr_no[24];
} sim_txn;

int sim_db_open(sim *s, const char *path, char *err, size_t err_cap);
/* Loads by (merId, orderId) / by queryId / by id / by the digits of a qrCode; 1 found, 0 not, -1 error. */
int txn_by_order(sim *s, const char *mer_id, const char *order_id, sim_txn *t);
int txn_by_query_id(sim *s, const char *mer_id, const char *query_id, sim_txn *t);
int txn_by_id(sim *s, int64_t id, sim_txn *t);
int txn_by_qr(sim *s, const char *digits, sim_txn *t);
/* Inserts t (t->id set on success); 0 or -1. */
int txn_insert(sim *s, sim_txn *t);
/* Writes every mutable column of t back; 0 or -1. */
int txn_update(sim *s, const sim_txn *t);
/* Records a query of (merId, orderId) at t and returns how many happened in the 60 s before it. */
int query_count(sim *s, const char *mer_id, const char *order_id, int64_t now);

#endif /* UPQR_SIM_DB_H */
