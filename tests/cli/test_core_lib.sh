#!/bin/sh
# libupqr-core: the parsers alone (sdk/core, sdk/mpm, sdk/cpm). It links only
# libcrypto, exports exactly abi/libupqr-core.so.0.symbols (all of them also
# in libupqr), and a program built against it alone decodes an MPM and a CPM
# and generates a CPM without ZBar, libqrencode, libpng, libjpeg or SQLite.
. tests/cli/lib.sh

lib=$UPQR_BUILD/lib
so=$lib/libupqr-core.so
if [ ! -f "$so" ] || [ ! -f "$lib/libupqr-core.a" ]; then
	not_ok "no $so or libupqr-core.a: the build did not make the core library"
	done_testing
	exit $?
fi

soname=$(objdump -p "$so" | awk '/SONAME/ {print $2}')
[ "$soname" = libupqr-core.so.0 ] && ok "soname libupqr-core.so.0" || not_ok "soname '$soname'"

nm -D --defined-only "$so" | awk '{print $3}' | grep -v '^_' | LC_ALL=C sort >"$TMP/syms"
grep -v '^#' abi/libupqr-core.so.0.symbols >"$TMP/want"
if diff -u "$TMP/want" "$TMP/syms" >"$TMP/symdiff"; then
	ok "exported symbols match abi/libupqr-core.so.0.symbols"
else
	not_ok "exported symbols differ from abi/libupqr-core.so.0.symbols (update it deliberately)"
	sed 's/^/# /' "$TMP/symdiff" | head -40
fi
grep -v '^#' abi/libupqr.so.0.symbols >"$TMP/full"
extra=$(LC_ALL=C comm -23 "$TMP/want" "$TMP/full")
[ -z "$extra" ] && ok "every core symbol is also in libupqr" || not_ok "core-only symbols: $extra"

# What the shared library itself needs.
needed=$(objdump -p "$so" | awk '/NEEDED/ {print $2}' | tr '\n' ' ')
case "$needed" in
	*zbar*|*qrencode*|*png*|*jpeg*|*sqlite*|*curl*|*microhttpd*|*pq*) not_ok "libupqr-core needs: $needed" ;;
	*libcrypto*) ok "libupqr-core needs only libcrypto and libc ($needed)" ;;
	*) not_ok "libupqr-core does not need libcrypto? ($needed)" ;;
esac

# A wallet/server program built with -Iinclude against the core library alone.
cat >"$TMP/app.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <upqr/cpm.h>
#include <upqr/mpm.h>

static upqr_mpm_payload p;
static upqr_cpm c;

int main(void)
{
	static const char mpm[] = "00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678"
		"520441115802CN5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京"
		"540523.7253031565502016233030412340603***0708A60086670902ME91320016A011223344"
		"9988770708123456786304A13A";
	if (upqr_mpm_decode(&p, NULL, mpm, strlen(mpm), NULL) != UPQR_OK)
		return 1;
	static const uint8_t aid[] = { 0xA0, 0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x01 };
	static const uint8_t k[UPQR_EMV_KEY_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
	upqr_emv_key *mk = NULL;
	upqr_cpm_profile pr;
	upqr_cpm_txn t;
	if (upqr_emv_key_new(&mk, UPQR_EMV_KEY_TDES, k, sizeof k) != UPQR_OK ||
			upqr_cpm_profile_init(&pr, UPQR_CPM_PROFILE_VERSION) != UPQR_OK ||
			upqr_cpm_txn_init(&t, UPQR_CPM_TXN_VERSION) != UPQR_OK)
		return 2;
	pr.aid = aid;
	pr.aid_len = sizeof aid;
	pr.pan = "6250947000000014";
	pr.expiry = "3012";
	t.amount = 2372;
	char text[UPQR_CPM_GENERATED_MAX + 1];
	size_t n;
	uint16_t atc = 0;
	int rc = upqr_cpm_generate(text, sizeof text, &n, &atc, mk, &pr, &t);
	if (rc == UPQR_OK)
		rc = upqr_cpm_decode(&c, NULL, text, n, NULL);
	if (rc == UPQR_OK)
		rc = upqr_cpm_verify(NULL, mk, UPQR_CPM_KEY_ICC_MK, &c);
	upqr_emv_key_free(mk);
	if (rc != UPQR_OK)
		return 3;
	printf("%.*s %s %lld\n", (int)p.fields.merchant_name.len, p.fields.merchant_name.ptr, c.pan_masked,
		(long long)p.fields.amount_minor);
	return 0;
}
C
san=
if nm -D "$so" 2>/dev/null | grep -q __asan_init; then san="-fsanitize=address,undefined"; fi
want='^BEST TRANSPORT 625094\*+0014 2372$'
expect_rc "a program compiles and links against libupqr-core.so alone" 0 \
	cc -std=c11 -Wall -Wextra -Werror $san -Iinclude -o "$TMP/app" "$TMP/app.c" -L"$lib" -lupqr-core -Wl,-rpath,"$PWD/$lib"
expect_rc "it runs" 0 "$TMP/app"
expect_out "it decodes an MPM, generates, decodes and verifies a CPM" "$want"
if command -v ldd >/dev/null 2>&1; then
	ldd "$TMP/app" >"$TMP/ldd"
	if grep -qE 'zbar|qrencode|libpng|libjpeg|sqlite|curl' "$TMP/ldd"; then
		not_ok "the program loads image/network/database libraries: $(grep -E 'zbar|qrencode|png|jpeg|sqlite|curl' "$TMP/ldd" | tr '\n' ' ')"
	else
		ok "ldd: no zbar, qrencode, png, jpeg, sqlite or curl"
	fi
	grep -q "libupqr-core.so.0" "$TMP/ldd" && ! grep -q "libupqr.so" "$TMP/ldd" &&
		ok "the program loads libupqr-core, not libupqr" || not_ok "ldd: $(grep upqr "$TMP/ldd")"
else
	skip "ldd of the program" "ldd is not installed"
fi
# Statically: libupqr-core.a plus libcrypto is the whole link line.
expect_rc "a program links statically against libupqr-core.a and libcrypto only" 0 \
	cc -std=c11 -Wall -Wextra -Werror $san -Iinclude -o "$TMP/app_static" "$TMP/app.c" "$lib/libupqr-core.a" \
	$(pkg-config --libs libcrypto)
expect_rc "the static program runs" 0 "$TMP/app_static"
expect_out "with the same result" "$want"

done_testing
