#!/bin/sh
# pg_fixture.sh - a throwaway PostgreSQL server for the journal tests and bench.
#
#   sh tests/support/pg_fixture.sh start    prints a connection URL on stdout
#   sh tests/support/pg_fixture.sh stop URL stops that server and removes its directory
#   sh tests/support/pg_fixture.sh halt URL   crashes it (pg_ctl stop -m immediate), keeping its data
#   sh tests/support/pg_fixture.sh resume URL starts a halted server again (crash recovery)
#
# The server lives in a fresh temporary directory, listens on a Unix socket in
# that directory only (no TCP port at all), trusts local connections as the
# superuser "upqr", and runs as an unprivileged user: PostgreSQL refuses to
# run as root, so as root it runs as $UPQR_PG_USER (default nobody) through
# runuser or setpriv. Exit status 77 with a reason on stderr: no PostgreSQL
# server binaries here (callers report their tests as skipped). If start
# fails half-way, it stops and removes what it made.
set -u

bindir() {
	# UPQR_PG_BINDIR, when set, is the only place looked at.
	if [ -n "${UPQR_PG_BINDIR:-}" ]; then
		[ -x "$UPQR_PG_BINDIR/initdb" ] && [ -x "$UPQR_PG_BINDIR/pg_ctl" ] || return 1
		echo "$UPQR_PG_BINDIR"; return 0
	fi
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n -r); do
		[ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ] && { echo "$d"; return 0; }
	done
	d=$(dirname "$(command -v pg_ctl 2>/dev/null || echo /nonexistent/pg_ctl)")
	[ -x "$d/initdb" ] && [ -x "$d/postgres" ] && { echo "$d"; return 0; }
	return 1
}

# Runs a command as the server's user (as ourselves when not root).
as_server() {
	if [ "$(id -u)" -ne 0 ]; then
		"$@"
	elif command -v runuser >/dev/null 2>&1; then
		runuser -u "$PGUSER_OS" -- "$@"
	else
		setpriv --reuid="$PGUSER_OS" --regid="$(id -g "$PGUSER_OS")" --clear-groups -- "$@"
	fi
}

# The socket directory named by host= in a URL made by start (or a directory itself).
dir_of() {
	case "$1" in
	postgres*) echo "$1" | sed -n 's/.*[?&]host=\([^&]*\).*/\1/p' ;;
	*) echo "$1" ;;
	esac
}

stop() { # $1 = URL or directory
	dir=$(dir_of "$1")
	case "$dir" in
	*/upqr-pg-*) ;;
	*) echo "pg_fixture: refusing to stop '$1' (not made by pg_fixture)" >&2; return 1 ;;
	esac
	[ -d "$dir" ] || return 0
	BIN=$(bindir) || BIN=""
	if [ -n "$BIN" ] && [ -f "$dir/data/postmaster.pid" ]; then
		as_server "$BIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
		# pg_ctl stop -w returns once the postmaster is gone; if it was not ours to
		# stop, kill the postmaster by the pid it wrote (only that process).
		if [ -f "$dir/data/postmaster.pid" ]; then
			pid=$(head -1 "$dir/data/postmaster.pid")
			[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
		fi
	fi
	rm -rf "$dir"
}

# halt / resume: a server crash and restart, for connection-loss tests.
halt() {
	dir=$(dir_of "$1")
	[ -f "$dir/data/PG_VERSION" ] || { echo "pg_fixture: no server in '$dir'" >&2; return 1; }
	BIN=$(bindir) || return 1
	as_server "$BIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1
}

resume() {
	dir=$(dir_of "$1")
	[ -f "$dir/data/PG_VERSION" ] || { echo "pg_fixture: no server in '$dir'" >&2; return 1; }
	BIN=$(bindir) || return 1
	as_server "$BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
		-o "-c listen_addresses= -k $dir -c max_connections=60 -c shared_buffers=16MB -c fsync=on" \
		start >/dev/null 2>&1
}

start() {
	BIN=$(bindir) || { echo "pg_fixture: no PostgreSQL server binaries (initdb, pg_ctl, postgres)" >&2; exit 77; }
	if [ "$(id -u)" -eq 0 ] && ! id "$PGUSER_OS" >/dev/null 2>&1; then
		echo "pg_fixture: running as root and user $PGUSER_OS does not exist" >&2; exit 77
	fi
	dir=$(mktemp -d "${TMPDIR:-/tmp}/upqr-pg-XXXXXX") || exit 1
	trap 'stop "$dir"' EXIT
	trap 'exit 1' INT TERM HUP
	chmod 755 "$dir"
	[ "$(id -u)" -eq 0 ] && chown "$PGUSER_OS" "$dir"
	if ! as_server "$BIN/initdb" -D "$dir/data" -U upqr --auth=trust -E UTF8 --locale=C -N \
			>"$dir/initdb.log" 2>&1; then
		echo "pg_fixture: initdb failed:" >&2; tail -5 "$dir/initdb.log" >&2; exit 1
	fi
	# No TCP listener: the socket in $dir is the only way in.
	if ! resume "$dir"; then
		echo "pg_fixture: the server did not start:" >&2; tail -5 "$dir/server.log" >&2; exit 1
	fi
	trap - EXIT INT TERM HUP
	echo "postgresql:///postgres?host=$dir&user=upqr"
}

PGUSER_OS=${UPQR_PG_USER:-nobody}
case "${1:-}" in
start) start ;;
stop|halt|resume) [ $# -eq 2 ] || { echo "usage: $0 $1 URL" >&2; exit 2; }; "$1" "$2" ;;
*) echo "usage: $0 start | stop URL | halt URL | resume URL" >&2; exit 2 ;;
esac
