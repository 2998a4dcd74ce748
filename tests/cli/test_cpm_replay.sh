#!/bin/sh
# `upqr cpm verify --replay-db FILE`: a code is accepted once, across process
# restarts (SQLite file); other files are refused and left untouched.
. tests/cli/lib.sh
IMK=0123456789ABCDEFFEDCBA9876543210
PROF=tests/data/cpm-profile.json
gen() { "$UPQR" cpm generate --profile $PROF --atc "$1" --un 11223344 >"$TMP/code$1" || echo "generate $1 failed"; }
gen 5; gen 6; gen 7
DB=$TMP/replay.db

expect_rc "first presentation is accepted" 0 "$UPQR" cpm verify --imk "$IMK" --replay-db "$DB" "$(cat "$TMP/code6")"
expect_out "says match" '^match'
[ -s "$DB" ] && ok "the database file exists" || not_ok "no database file"
# a new process: the state is on disk
expect_rc "the same code again is refused" 1 "$UPQR" cpm verify --imk "$IMK" --replay-db "$DB" "$(cat "$TMP/code6")"
expect_out "says replay" '^replay'
expect_err "names the replay" 'replay: ATC 6 is not greater than 6'
expect_rc "an older ATC is refused" 1 "$UPQR" cpm verify --imk "$IMK" --replay-db "$DB" "$(cat "$TMP/code5")"
expect_rc "a newer ATC is accepted" 0 "$UPQR" cpm verify --imk "$IMK" --replay-db "$DB" --json "$(cat "$TMP/code7")"
expect_out "json result match" '"result": "match"'
expect_rc "json: the newer one again" 1 "$UPQR" cpm verify --imk "$IMK" --replay-db "$DB" --json "$(cat "$TMP/code7")"
expect_out "json result replay" '"result": "replay"'
# a forged code (wrong key) does not advance the counter
gen 9
expect_rc "a mismatching code is refused" 1 "$UPQR" cpm verify --imk FEDCBA98765432100123456789ABCDEF --replay-db "$DB" "$(cat "$TMP/code9")"
expect_rc "...and did not consume ATC 9" 0 "$UPQR" cpm verify --imk "$IMK" --replay-db "$DB" "$(cat "$TMP/code9")"
# without --replay-db nothing is remembered
expect_rc "without --replay-db the same code passes" 0 "$UPQR" cpm verify --imk "$IMK" "$(cat "$TMP/code6")"
if command -v sqlite3 >/dev/null 2>&1; then
	n=$(sqlite3 "$DB" 'SELECT count(*) FROM cpm_atc')
	[ "$n" = 1 ] && ok "one card row" || not_ok "rows: $n"
	sqlite3 "$DB" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
	if grep -aq 625094 "$DB"*; then not_ok "PAN digits in the file"; else ok "no PAN digits in the file"; fi
else
	skip "the file's rows" "the sqlite3 command is not installed"
fi

# files that are not a replay database: refused, and byte for byte unchanged
printf 'not a database at all, just some text that is longer than a header.........................' >"$TMP/text"
cp "$TMP/text" "$TMP/text.orig"
expect_rc "a text file is refused" 1 "$UPQR" cpm verify --imk "$IMK" --replay-db "$TMP/text" "$(cat "$TMP/code6")"
expect_err "says why" 'UPQR_EINVALID: .*not a replay database'
cmp -s "$TMP/text" "$TMP/text.orig" && ok "the text file is untouched" || not_ok "the text file changed"
if command -v sqlite3 >/dev/null 2>&1; then
	sqlite3 "$TMP/other.db" 'CREATE TABLE t (x); INSERT INTO t VALUES (1);'
	cp "$TMP/other.db" "$TMP/other.orig"
	expect_rc "another application's database is refused" 1 "$UPQR" cpm verify --imk "$IMK" --replay-db "$TMP/other.db" "$(cat "$TMP/code6")"
	expect_err "says why" "UPQR_EUNSUPPORTED: another application's SQLite database"
	cmp -s "$TMP/other.db" "$TMP/other.orig" && ok "the other database is untouched" || not_ok "the other database changed"
else
	skip "another application's database is left untouched" "the sqlite3 command is not installed"
fi
expect_rc "unwritable location is an I/O error" 3 "$UPQR" cpm verify --imk "$IMK" --replay-db "$TMP/no/such/dir/r.db" "$(cat "$TMP/code6")"
no_sanitizer_report "cpm replay"
done_testing
