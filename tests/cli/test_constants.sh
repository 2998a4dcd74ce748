#!/bin/sh
# Every numeric constant of the public headers has a function that a binding
# can call, held against the macro in tests/unit/test_constants.c: a macro
# missing from that test (so, likely, without a function) fails here.
#
# Not listed on purpose: options-struct versions and _INIT macros (a binding
# must use the version of the header it was written against, not the
# loaded library's), bit flags (UPQR_ACCEPT_*, UPQR_MPM_FIELD_*, _OBJ_*,
# _PF_*, UPQR_SIGNER_WARN_*), the header's own version macros (runtime:
# upqr_version_num), UPQR_MPM_UNIONPAY_ID (an ID, in the field table), and
# journal.h (its module keeps its own list).
. tests/cli/lib.sh

macros=$(for h in include/upqr/*.h; do
	[ "$h" = include/upqr/journal.h ] && continue
	grep -hE '^#define UPQR_[A-Z0-9_]+[[:space:]]+[^[:space:]]' "$h" | awk '{print $2}'
done | grep -vE '_H$|_INIT$|_VERSION$|^UPQR_VERSION_|^UPQR_ACCEPT_|^UPQR_MPM_FIELD_|^UPQR_MPM_OBJ_|^UPQR_MPM_PF_|^UPQR_SIGNER_WARN_|^UPQR_MPM_UNIONPAY_ID$|^UPQR_CPM_TAG_' | sort -u)

n=0
for m in $macros; do
	n=$((n + 1))
	if grep -q "SAME($m," tests/unit/test_constants.c || grep -q "$m == " tests/unit/test_constants.c; then
		ok "$m has a function (tests/unit/test_constants.c)"
	else
		not_ok "$m: no function checked in tests/unit/test_constants.c"
	fi
done
[ "$n" -gt 60 ] && ok "found $n constants" || not_ok "found only $n constants: the header scan is broken"

# The CPM tags are checked as a table: every UPQR_CPM_TAG_* is in the TAG() list.
for m in $(grep -hoE '^#define UPQR_CPM_TAG_[A-Z0-9_]+' include/upqr/cpm.h | awk '{print $2}'); do
	s=${m#UPQR_CPM_TAG_}
	if grep -q "TAG($s)" tests/unit/test_constants.c; then ok "$m in the tag table test"; else not_ok "$m missing from the tag table test"; fi
done

done_testing
