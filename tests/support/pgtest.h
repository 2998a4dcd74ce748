/*
 * pgtest.h - a PostgreSQL server for the tests that need one: $UPQR_PG_URL
 * (tests/run.sh starts a throwaway server with tests/support/pg_fixture.sh
 * and exports it), else one started here with that script and stopped at
 * exit. Each test takes a fresh database of its own.
 */
#ifndef UPQR_PGTEST_H
#define UPQR_PGTEST_H

#include <stddef.h>

/* Finds or starts the server (once per process). 0, or -1 with the reason
 * (no server binaries, no script) to report the tests skipped. */
int pgtest_server(char *reason, size_t reason_cap);
/* The server's admin URL ("postgresql:///postgres?host=...&user=upqr"). */
const char *pgtest_admin_url(void);
/* Stops a server this process started (also registered with atexit). */
void pgtest_stop(void);
/* CREATE DATABASE upqr_t<pid>_<n>; its URL in url. 0 on success. */
int pgtest_create_db(char *url, size_t cap);
/* DROP DATABASE ... WITH (FORCE) of a URL made by pgtest_create_db. */
void pgtest_drop_db(const char *url);
/* The URL of database db on the server. */
void pgtest_db_url(char *out, size_t cap, const char *db);

#endif
