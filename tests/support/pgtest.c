/*
 * pgtest.c - the PostgreSQL server and databases of the tests (pgtest.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "pgtest.h"

static char admin_url[512];   /* the server's "postgres" database */
static char own_server[512];  /* set when this process started the server */
static char failure[256];
static int state;             /* 0 not looked for, 1 found, -1 none */

void pgtest_stop(void)
{
	if (!own_server[0])
		return;
	char cmd[700];
	snprintf(cmd, sizeof(cmd), "sh tests/support/pg_fixture.sh stop '%s' >/dev/null", own_server);
	if (system(cmd) != 0)
		fprintf(stderr, "# could not stop %s\n", own_server);
	own_server[0] = '\0';
}

static void find_server(void)
{
	const char *url = getenv("UPQR_PG_URL");
	if (url && *url) {
		snprintf(admin_url, sizeof(admin_url), "%s", url);
		state = 1;
		return;
	}
	state = -1;
	FILE *p = popen("sh tests/support/pg_fixture.sh start", "r");
	if (!p) {
		snprintf(failure, sizeof(failure), "cannot run tests/support/pg_fixture.sh");
		return;
	}
	char line[512] = "";
	if (!fgets(line, sizeof(line), p))
		line[0] = '\0';
	int status = pclose(p);
	line[strcspn(line, "\n")] = '\0';
	if (status != 0 || strncmp(line, "postgresql://", 13) != 0) {
		snprintf(failure, sizeof(failure), "no PostgreSQL server (pg_fixture.sh exit %d; set "
				"UPQR_PG_URL or install postgresql)", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return;
	}
	snprintf(admin_url, sizeof(admin_url), "%s", line);
	snprintf(own_server, sizeof(own_server), "%s", line);
	atexit(pgtest_stop);
	state = 1;
}

int pgtest_server(char *reason, size_t reason_cap)
{
	if (state == 0)
		find_server();
	if (state < 0 && reason && reason_cap)
		snprintf(reason, reason_cap, "%s", failure);
	return state > 0 ? 0 : -1;
}

const char *pgtest_admin_url(void)
{
	return admin_url;
}

void pgtest_db_url(char *out, size_t cap, const char *db)
{
	const char *query = strchr(admin_url, '?');
	snprintf(out, cap, "postgresql:///%s%s", db, query ? query : "");
}

/* One statement on the admin database. */
static int admin_sql(const char *sql)
{
	PGconn *c = PQconnectdb(admin_url);
	int ok = PQstatus(c) == CONNECTION_OK;
	if (ok) {
		PGresult *r = PQexec(c, sql);
		ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		if (!ok)
			fprintf(stderr, "# %s: %s", sql, PQerrorMessage(c));
		PQclear(r);
	}
	PQfinish(c);
	return ok ? 0 : -1;
}

int pgtest_create_db(char *url, size_t cap)
{
	static int counter;
	char db[64], sql[128];
	snprintf(db, sizeof(db), "upqr_t%ld_%d", (long)getpid(), counter++);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", db);
	pgtest_db_url(url, cap, db);
	return admin_sql(sql);
}

void pgtest_drop_db(const char *url)
{
	const char *s = url + strlen("postgresql:///");
	char sql[128];
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %.*s WITH (FORCE)",
			(int)strcspn(s, "?"), s);
	(void)admin_sql(sql);
}
