/*
 * upqr/replay.h - a CPM replay guard that survives restarts: the highest ATC
 * accepted per card, kept in its own SQLite file.
 *
 * upqr_cpm_replay_check() keeps its table in caller memory, so a restart
 * forgets it and a payment code shown once can be presented again. This
 * guard keeps the same rule (an ATC is accepted only when it is greater
 * than the last one accepted for its card) in a SQLite database: WAL
 * journal, synchronous = FULL (an accepted ATC is on disk before the call
 * returns), and each check-and-record is one IMMEDIATE transaction, so
 * several processes may share one file and a code is accepted once in all
 * of them. Cards are keyed by a digest of PAN and PSN (upqr_cpm_replay_key);
 * the file holds no PAN.
 *
 * A file that is not a upqr replay database (another application's SQLite
 * file, a corrupt file, any other file) is refused and never written to.
 *
 * Thread-safety: a handle is used by one thread at a time; use one handle
 * per thread or process (they coordinate through the file).
 */
#ifndef UPQR_REPLAY_H
#define UPQR_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "upqr/common.h"
#include "upqr/cpm.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct upqr_replay_db upqr_replay_db;

/* How long a check waits for another process's transaction, by default (ms). */
#define UPQR_REPLAY_BUSY_TIMEOUT_MS 5000u
UPQR_EXTERN unsigned int upqr_replay_busy_timeout_ms(void);

#define UPQR_REPLAY_OPTIONS_VERSION 1
typedef struct upqr_replay_options {
	unsigned int version;             /* UPQR_REPLAY_OPTIONS_VERSION */
	const char *path;                 /* the database file; created when absent */
	unsigned int busy_timeout_ms;     /* 0 = UPQR_REPLAY_BUSY_TIMEOUT_MS */
} upqr_replay_options;

#define UPQR_REPLAY_OPTIONS_INIT { UPQR_REPLAY_OPTIONS_VERSION, NULL, 0 }

/* Fills opts with defaults; unknown version -> UPQR_EVERSION. */
UPQR_EXTERN int upqr_replay_options_init(upqr_replay_options *opts, unsigned int version) UPQR_WARN_UNUSED;

/*
 * Opens (or creates) the guard's database. Returns UPQR_OK; UPQR_EINVAL
 * (no path, bad options); UPQR_EVERSION; UPQR_EIO (cannot open or create
 * the file, or it is locked beyond the busy timeout); UPQR_EINVALID (the
 * file is not an SQLite database or is corrupt: left untouched);
 * UPQR_EUNSUPPORTED (an SQLite database of another application, or of a
 * newer upqr schema: left untouched); UPQR_ENOMEM. On failure *out is NULL.
 * When errbuf is not NULL it receives the reason in words (errcap bytes).
 */
UPQR_EXTERN int upqr_replay_db_open(upqr_replay_db **out, const upqr_replay_options *opts,
		char *errbuf, size_t errcap) UPQR_WARN_UNUSED;

/* Closes the database. Accepts NULL. */
UPQR_EXTERN void upqr_replay_db_free(upqr_replay_db *db);

/* Text of the last failure on this handle ("" if none). */
UPQR_EXTERN const char *upqr_replay_db_last_error(const upqr_replay_db *db);

/*
 * Accepts the code's ATC for its card only if it is greater than the last
 * one accepted (in any process sharing the file), and records it durably.
 * Call it after upqr_cpm_verify matched: a forged code must not advance the
 * counter. Returns UPQR_OK (recorded), UPQR_EREPLAY (ATC not greater:
 * nothing changed), UPQR_EINVALID (no PAN or ATC in the code), UPQR_EIO
 * (database error or busy beyond the timeout: nothing recorded), UPQR_EINVAL.
 */
UPQR_EXTERN int upqr_replay_db_check_and_record(upqr_replay_db *db, const upqr_cpm *cpm)
		UPQR_WARN_UNUSED;

/* The same for a card key (upqr_cpm_replay_key) and ATC the caller already has. */
UPQR_EXTERN int upqr_replay_db_check_and_record_key(upqr_replay_db *db, const uint8_t key[16],
		uint16_t atc) UPQR_WARN_UNUSED;

#ifdef __cplusplus
}
#endif
#endif /* UPQR_REPLAY_H */
