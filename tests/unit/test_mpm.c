/*
 * test_mpm.c - MPM decode: the public vectors with verdicts derived from
 * the spec, named fields, lookups, and the zero-allocation promise.
 *
 * Verdict notes for tests/data/mpm-public.tsv (EMVCo profile):
 * - Pix "54010" (row 3): amount "0" breaks "54 must be non-zero".
 * - Cambodia rows 5 and 24: 60 "Banteay Meanchey" is 16 characters > 15.
 * - QRIS row 8: 59 of 44 characters > 25. Rows 9/10 (PromptPay) lack 52/59/60.
 * - DuitNow row 11: PFI "02" (only "01" is defined).
 * - Lower-case CRC (rows 15, 17) is a warning only; row 23 has 62/00, which
 *   62 does not define (RFU, a warning).
 * - mvallim row 2: 62/09 "tuv" is not A/M/E, 62/50 "ijkl" is not a template.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "testutil.h"

static upqr_mpm_payload P;

static const char ANNEX_B[] =
	"00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678"
	"520441115802CN5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京"
	"540523.7253031565502016233030412340603***0708A60086670902ME91320016A011223344"
	"9988770708123456786304A13A";

/* A Hong Kong UnionPay payload (FPS template 26, ID 15, 62). */
static const char HK[] =
	"0002010102121531479803444798034459803449399006326450012hk.com.hkicl02091660695260512291231235959"
	"52049399530334454042.005802HK5902NA6002HK6293011900-12348A10798425380218001-202007260841000322"
	"63ee92126d3fb9ff7bed98041802150821101001445D80560013com.swiftpass0212181570002009041900-12348A"
	"10798425386304F335";

static bool str_is(upqr_mpm_str s, const char *want)
{
	return s.ptr && s.len == strlen(want) && memcmp(s.ptr, want, s.len) == 0;
}

/* Splits one TSV line in place into at most n fields. */
static size_t split_tabs(char *line, char **f, size_t n)
{
	size_t k = 0;
	f[k++] = line;
	for (char *p = line; *p && k < n; p++)
		if (*p == '\t') {
			*p = 0;
			f[k++] = p + 1;
		}
	return k;
}

static size_t FIELDS_IN_CHECKED;

/* Object o of a has the same ID, value and children as its counterpart in b. */
static void same_object(const upqr_mpm_payload *a, const upqr_mpm_object *o,
		const upqr_mpm_payload *b, const upqr_mpm_object *parent_b)
{
	const upqr_mpm_object *q = upqr_mpm_child(b, parent_b, o->id);
	assert_non_null(q);
	assert_int_equal(q->flags & UPQR_MPM_OBJ_TEMPLATE, o->flags & UPQR_MPM_OBJ_TEMPLATE);
	if (!(o->flags & UPQR_MPM_OBJ_TEMPLATE)) {
		assert_int_equal(q->value_len, o->value_len);
		assert_memory_equal(q->value, o->value, o->value_len);
		return;
	}
	assert_int_equal(q->child_count, o->child_count);
	for (size_t i = 0; i < o->child_count; i++)
		same_object(a, &a->subs[o->first_child + i], b, q);
}

/*
 * A valid payload -> upqr_mpm_fields_in_from_payload -> encode gives a
 * payload with every object of the first (amounts as the same numbers), even
 * though the first payload is gone by the time the fields are encoded.
 */
static void check_fields_in(const char *src, const char *payload)
{
	upqr_mpm_payload *a = upqr_mpm_payload_new(), *b = upqr_mpm_payload_new();
	char *out = malloc(UPQR_MPM_ENCODED_MAX + 1);
	assert_true(a && b && out);
	assert_int_equal(upqr_mpm_decode(a, NULL, payload, strlen(payload), NULL), UPQR_OK);
	upqr_mpm_fields_in in;
	upqr_mpm_fields_store *st;
	int rc = upqr_mpm_fields_in_from_payload(&in, &st, a);
	if (rc == UPQR_EUNSUPPORTED) {
		/* Only for what fields_in has no slot for: 64's reserved sub-IDs. */
		const upqr_mpm_object *l = upqr_mpm_child(a, NULL, 64);
		assert_non_null(l);
		bool rfu = false;
		for (size_t i = 0; i < l->child_count; i++)
			rfu |= a->subs[l->first_child + i].id >= 3;
		assert_true(rfu);
		assert_null(st);
		goto done;
	}
	assert_int_equal(rc, UPQR_OK);
	memset(a, 0xA5, sizeof *a);
	upqr_diag items[16];
	upqr_diag_list dl;
	upqr_diag_list_init(&dl, items, 16);
	size_t n;
	rc = upqr_mpm_encode(out, UPQR_MPM_ENCODED_MAX + 1, &n, NULL, &in, &dl);
	if (rc != UPQR_OK)
		fail_msg("%s: re-encoding refused (%s at [%s]: %s)", src, dl.count ? items[0].code : "-",
			dl.count ? items[0].path : "", dl.count ? items[0].message : "");
	upqr_mpm_fields_store_free(st);
	assert_int_equal(upqr_mpm_decode(a, NULL, payload, strlen(payload), NULL), UPQR_OK);
	assert_int_equal(upqr_mpm_decode(b, NULL, out, n, NULL), UPQR_OK);
	assert_int_equal(b->count, a->count);
	for (size_t i = 0; i < a->count; i++) {
		unsigned id = a->objects[i].id;
		if (id != 54 && id != 56 && id != 57 && id != 63)
			same_object(a, &a->objects[i], b, NULL);
	}
	assert_int_equal(b->fields.amount_minor, a->fields.amount_minor);
	assert_int_equal(b->fields.convenience_fee_minor, a->fields.convenience_fee_minor);
	assert_int_equal(b->fields.convenience_percentage_bp, a->fields.convenience_percentage_bp);
	assert_int_equal(b->fields.tip, a->fields.tip);
	assert_int_equal(b->fields.poi, a->fields.poi);
	FIELDS_IN_CHECKED++;
done:
	free(out);
	upqr_mpm_payload_free(a);
	upqr_mpm_payload_free(b);
}

/* Whether code is one of the comma-separated list. */
static bool listed(const char *list, const char *code)
{
	size_t n = strlen(code);
	for (const char *p = list; (p = strstr(p, code)) != NULL; p += n)
		if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == 0))
			return true;
	return false;
}

/* The verdict, and exactly the listed diagnostic codes: each appears, and no other. */
static void check_vector(const char *src, const char *payload, const char *verdict,
		char *codes)
{
	upqr_diag items[64];
	upqr_diag_list dl;
	upqr_diag_list_init(&dl, items, 64);
	int rc = upqr_mpm_decode(&P, NULL, payload, strlen(payload), &dl);
	bool valid = strcmp(verdict, "valid") == 0;
	if (valid != upqr_mpm_valid(&P) || (rc == UPQR_OK) != valid) {
		for (size_t i = 0; i < dl.count; i++)
			print_message("  %s %s [%s] %s\n", items[i].code,
				upqr_severity_name(items[i].severity), items[i].path, items[i].message);
		fail_msg("%s: want %s, got rc %d", src, verdict, rc);
	}
	if (valid)
		check_fields_in(src, payload);
	if (strcmp(codes, "-") == 0)
		codes[0] = 0;
	assert_int_equal(dl.dropped, 0);
	for (size_t i = 0; i < dl.count; i++)
		if (!listed(codes, items[i].code))
			fail_msg("%s: unexpected diagnostic %s [%s] %s", src, items[i].code, items[i].path,
				items[i].message);
	for (char *c = strtok(codes, ","); c; c = strtok(NULL, ","))
		if (!upqr_diag_list_find(&dl, c))
			fail_msg("%s: diagnostic %s expected", src, c);
}

/* Every row of the copied vector file (strtok is busy in check_vector). */
static void test_public_vectors(void **state)
{
	(void)state;
	size_t len;
	char *data = tu_read_data("mpm-public.tsv", &len);
	size_t rows = 0;
	bool header = true;
	char *p = data;
	while (p < data + len) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = 0;
		if (p[0] != '#' && p[0] != 0) {
			if (header) {
				header = false;
			} else {
				char *f[6];
				assert_int_equal(split_tabs(p, f, 6), 6);
				check_vector(f[0], f[2], f[4], f[5]);
				rows++;
			}
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	free(data);
	assert_int_equal(rows, 27);
	assert_int_equal(FIELDS_IN_CHECKED, 15); /* every valid row */
}

static void test_annex_b_fields(void **state)
{
	(void)state;
	assert_int_equal(upqr_mpm_decode(&P, NULL, ANNEX_B, strlen(ANNEX_B), NULL), UPQR_OK);
	const upqr_mpm_fields *f = &P.fields;
	assert_int_equal(P.chars, 248);
	assert_int_equal(P.input_len, 260);
	assert_int_equal(P.crc_computed, 0xA13A);
	assert_true(str_is(f->payload_format, "01"));
	assert_int_equal(f->dynamic, 1);
	assert_int_equal(f->account_count, 2);
	assert_int_equal(f->accounts[0].id, 29);
	assert_true(str_is(f->accounts[0].guid, "D15600000000"));
	assert_int_equal(f->accounts[0].network, UPQR_MPM_NET_OTHER);
	assert_true(str_is(f->accounts[1].guid, "D15600000001"));
	assert_true(str_is(f->mcc, "4111"));
	assert_int_equal(f->currency_numeric, 156);
	assert_string_equal(f->currency_alpha, "CNY");
	assert_int_equal(f->currency_exponent, 2);
	assert_true(str_is(f->amount, "23.72"));
	assert_true(f->amount_exact);
	assert_int_equal(f->amount_minor, 2372);
	assert_true(str_is(f->tip_indicator, "01"));
	assert_true(str_is(f->country, "CN"));
	assert_true(str_is(f->merchant_name, "BEST TRANSPORT"));
	assert_true(str_is(f->merchant_city, "BEIJING"));
	assert_null(f->postal_code.ptr);
	assert_true(str_is(f->language.preference, "ZH"));
	assert_true(str_is(f->language.merchant_name, "最佳运输"));
	assert_true(str_is(f->language.merchant_city, "北京"));
	assert_true(str_is(f->additional.store_label, "1234"));
	assert_true(str_is(f->additional.customer_label, "***"));
	assert_true(str_is(f->additional.terminal_label, "A6008667"));
	assert_true(str_is(f->additional.consumer_data_request, "ME"));
	assert_true(str_is(f->crc, "A13A"));
}

static void test_unionpay_fields(void **state)
{
	(void)state;
	assert_int_equal(upqr_mpm_decode(&P, upqr_mpm_profile_unionpay(), HK, strlen(HK), NULL),
		UPQR_OK);
	const upqr_mpm_unionpay_id *u = &P.fields.unionpay;
	assert_true(u->present);
	assert_true(str_is(u->acquirer_iin, "47980344"));
	assert_true(str_is(u->forwarding_iin, "47980344"));
	assert_true(str_is(u->merchant_id, "598034493990063"));
	assert_int_equal(P.fields.accounts[0].network, UPQR_MPM_NET_UNIONPAY);
	assert_int_equal(P.fields.accounts[1].id, 26);
	assert_true(str_is(P.fields.accounts[1].guid, "hk.com.hkicl"));
	assert_int_equal(P.fields.amount_minor, 200);
	assert_int_equal(P.fields.currency_exponent, 2);
	assert_int_equal(P.warnings, 0);
}

static void test_find_and_children(void **state)
{
	(void)state;
	assert_int_equal(upqr_mpm_decode(&P, NULL, ANNEX_B, strlen(ANNEX_B), NULL), UPQR_OK);
	const upqr_mpm_object *o = upqr_mpm_find(&P, "62.07");
	assert_non_null(o);
	assert_int_equal(o->id, 7);
	assert_int_equal(o->length, 8);
	assert_memory_equal(o->value, "A6008667", 8);
	o = upqr_mpm_find(&P, "64.01");
	assert_non_null(o);
	assert_int_equal(o->length, 4);
	assert_int_equal(o->value_len, 12); /* 4 characters, 12 UTF-8 bytes */
	o = upqr_mpm_find(&P, "64");
	assert_true(o->flags & UPQR_MPM_OBJ_TEMPLATE);
	assert_int_equal(o->child_count, 3);
	assert_int_equal(o->length, 20);
	assert_int_equal(o->value_len, 32);
	assert_null(upqr_mpm_find(&P, "62.08"));
	assert_null(upqr_mpm_find(&P, "6"));
	assert_null(upqr_mpm_find(&P, "62-07"));
	assert_null(upqr_mpm_find(&P, "54.01"));
	assert_non_null(upqr_mpm_child(&P, NULL, 91));
	assert_null(upqr_mpm_child(&P, NULL, 90));
	/* Views are zero-copy: they point into the input. */
	o = upqr_mpm_find(&P, "59");
	assert_ptr_equal(o->value, ANNEX_B + o->offset + 4);
	/* Root objects keep their input order, 00 first and 63 last. */
	assert_int_equal(P.objects[0].id, 0);
	assert_int_equal(P.objects[P.count - 1].id, 63);
	assert_int_equal(P.objects[9].id, 54);
}

static void test_zero_allocations(void **state)
{
	(void)state;
	size_t len;
	char *data = tu_read_data("mpm-public.tsv", &len);
	upqr_diag items[8];
	upqr_diag_list dl;
	upqr_diag_list_init(&dl, items, 8);
	tu_alloc_stats st = { 0, 0, -1 };
	tu_alloc_install(&st);
	/* Every vector, every profile, with and without a diag list, and garbage. */
	for (int prof = 0; prof < 2; prof++) {
		const upqr_mpm_profile *pr = prof ? upqr_mpm_profile_unionpay() : NULL;
		assert_int_equal(upqr_mpm_decode(&P, pr, data, len, &dl), UPQR_EINVALID);
		assert_true(upqr_mpm_decode(&P, pr, ANNEX_B, strlen(ANNEX_B), &dl) >= 0);
		assert_true(upqr_mpm_decode(&P, pr, ANNEX_B, strlen(ANNEX_B), NULL) >= 0);
		assert_int_equal(upqr_mpm_decode(&P, pr, ANNEX_B, 100, &dl), UPQR_EINVALID);
	}
	tu_alloc_uninstall();
	free(data);
	assert_int_equal(st.allocs, 0);
}

static void test_never_reads_past_input(void **state)
{
	(void)state;
	/* Every prefix, copied into an exact-size heap block so ASan sees any overread. */
	size_t n = strlen(ANNEX_B);
	for (size_t k = 0; k <= n; k++) {
		char *buf = malloc(k ? k : 1);
		memcpy(buf, ANNEX_B, k);
		int rc = upqr_mpm_decode(&P, NULL, buf, k, NULL);
		assert_true(k == n ? rc == UPQR_OK : rc != UPQR_OK);
		free(buf);
	}
}

/* A caller-defined profile: Pix (Brazil) as data plus a rule, no core change. */
static void pix_rules(const upqr_mpm_profile *prof, const upqr_mpm_payload *p, bool generating,
		upqr_diag_list *diags)
{
	(void)generating;
	int *calls = prof->user;
	(*calls)++;
	for (size_t i = 0; i < p->fields.account_count; i++) {
		upqr_mpm_str g = p->fields.accounts[i].guid;
		if (g.ptr && g.len == 14 && strncasecmp(g.ptr, prof->guid_prefixes[0], 14) == 0)
			return;
	}
	upqr_mpm_report(diags, UPQR_SEV_ERROR, "pix_key_missing", 0, "26",
		"no br.gov.bcb.pix merchant account template");
}

static void test_custom_profile(void **state)
{
	(void)state;
	static const char *const guids[] = { "br.gov.bcb.pix" };
	int calls = 0;
	upqr_mpm_profile pix = { UPQR_MPM_PROFILE_VERSION, "pix", 0, guids, 1,
		UPQR_MPM_NET_OTHER, pix_rules, &calls };
	static const char br[] = "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-426655440000"
		"5204000053039865406123.455802BR5913FULANO DE TAL6008BRASILIA62070503***6304488D";
	upqr_diag items[8];
	upqr_diag_list dl;
	upqr_diag_list_init(&dl, items, 8);
	assert_int_equal(upqr_mpm_decode(&P, &pix, br, strlen(br), &dl), UPQR_OK);
	assert_int_equal(calls, 1);
	assert_ptr_equal(P.profile, &pix);
	/* Annex B has no Pix template: the profile's own rule rejects it. */
	assert_int_equal(upqr_mpm_decode(&P, &pix, ANNEX_B, strlen(ANNEX_B), &dl), UPQR_EINVALID);
	assert_non_null(upqr_diag_list_find(&dl, "pix_key_missing"));
	assert_int_equal(calls, 2);
}

static void test_bad_arguments(void **state)
{
	(void)state;
	upqr_mpm_profile bad = *upqr_mpm_profile_emvco();
	bad.version = 99;
	assert_int_equal(upqr_mpm_decode(NULL, NULL, "x", 1, NULL), UPQR_EINVAL);
	assert_int_equal(upqr_mpm_decode(&P, NULL, NULL, 1, NULL), UPQR_EINVAL);
	assert_int_equal(upqr_mpm_decode(&P, &bad, ANNEX_B, 10, NULL), UPQR_EVERSION);
	assert_int_equal(upqr_mpm_decode(&P, NULL, "", 0, NULL), UPQR_EINVALID);
	assert_false(upqr_mpm_valid(NULL));
	assert_null(upqr_mpm_find(NULL, "00"));
	assert_null(upqr_mpm_profile_find("pix"));
	assert_ptr_equal(upqr_mpm_profile_find("unionpay"), upqr_mpm_profile_unionpay());
}

static void test_payload_on_heap(void **state)
{
	(void)state;
	tu_alloc_stats st = { 0, 0, 0 };
	tu_alloc_install(&st);
	assert_null(upqr_mpm_payload_new()); /* the hook is used, and failure is NULL */
	st.fail_after = -1;
	upqr_mpm_payload *p = upqr_mpm_payload_new();
	assert_non_null(p);
	assert_false(upqr_mpm_valid(p)); /* nothing decoded yet */
	assert_int_equal(upqr_mpm_decode(p, NULL, ANNEX_B, strlen(ANNEX_B), NULL), UPQR_OK);
	assert_true(upqr_mpm_valid(p));
	upqr_mpm_payload_free(p);
	upqr_mpm_payload_free(NULL);
	tu_alloc_uninstall();
	assert_int_equal(st.allocs, 1);
	assert_int_equal(st.frees, 1);
}

static void test_amount_helpers(void **state)
{
	(void)state;
	int64_t v;
	char buf[32];
	size_t n;
	assert_int_equal(upqr_mpm_amount_parse(&v, "98.73", 5, 2), UPQR_OK);
	assert_int_equal(v, 9873);
	assert_int_equal(upqr_mpm_amount_parse(&v, "98.", 3, 2), UPQR_OK);
	assert_int_equal(v, 9800);
	assert_int_equal(upqr_mpm_amount_parse(&v, "98", 2, 0), UPQR_OK);
	assert_int_equal(v, 98);
	assert_int_equal(upqr_mpm_amount_parse(&v, "1.5", 3, 3), UPQR_OK);   /* BHD */
	assert_int_equal(v, 1500);
	assert_int_equal(upqr_mpm_amount_parse(&v, "9999999999999", 13, 4), UPQR_OK);
	assert_int_equal(v, 99999999999990000);
	assert_int_equal(upqr_mpm_amount_parse(&v, "1.230", 5, 2), UPQR_OK);
	assert_int_equal(v, 123);
	assert_int_equal(upqr_mpm_amount_parse(&v, "1.235", 5, 2), UPQR_ELIMIT);
	assert_int_equal(upqr_mpm_amount_parse(&v, "1,5", 3, 2), UPQR_EINVALID);
	assert_int_equal(upqr_mpm_amount_parse(&v, ".", 1, 2), UPQR_EINVALID);
	assert_int_equal(upqr_mpm_amount_parse(&v, "", 0, 2), UPQR_EINVALID);
	assert_int_equal(upqr_mpm_amount_parse(&v, "12345678901234", 14, 2), UPQR_EINVALID);
	assert_int_equal(upqr_mpm_amount_parse(&v, "1", 1, 5), UPQR_EINVAL);
	assert_int_equal(upqr_mpm_amount_parse(NULL, "1", 1, 2), UPQR_EINVAL);
	assert_int_equal(upqr_mpm_amount_format(buf, sizeof buf, &n, 2372, 2), UPQR_OK);
	assert_string_equal(buf, "23.72");
	assert_int_equal(upqr_mpm_amount_format(buf, sizeof buf, &n, 5, 2), UPQR_OK);
	assert_string_equal(buf, "0.05");
	assert_int_equal(upqr_mpm_amount_format(buf, sizeof buf, &n, 0, 3), UPQR_OK);
	assert_string_equal(buf, "0.000");
	assert_int_equal(upqr_mpm_amount_format(buf, sizeof buf, &n, 25698, 0), UPQR_OK);
	assert_string_equal(buf, "25698");
	assert_int_equal(n, 5);
	assert_int_equal(upqr_mpm_amount_format(buf, sizeof buf, &n, INT64_MAX, 4), UPQR_OK);
	assert_string_equal(buf, "922337203685477.5807");
	assert_int_equal(upqr_mpm_amount_format(NULL, 0, &n, 12345, 2), UPQR_EBUFSIZE);
	assert_int_equal(n, 6);
	assert_int_equal(upqr_mpm_amount_format(buf, 6, &n, 12345, 2), UPQR_EBUFSIZE);
	assert_int_equal(upqr_mpm_amount_format(buf, 7, &n, 12345, 2), UPQR_OK);
	assert_int_equal(upqr_mpm_amount_format(buf, sizeof buf, &n, -1, 2), UPQR_EINVAL);
	assert_int_equal(upqr_mpm_amount_format(buf, sizeof buf, &n, 1, -1), UPQR_EINVAL);
	/* Round trip for every exponent. */
	uint64_t rng = tu_seed();
	for (size_t i = 0; i < tu_iterations(20000); i++) {
		int e = (int)(tu_rand(&rng) % 5);
		int64_t m = (int64_t)(tu_rand(&rng) % 1000000000000ull);
		assert_int_equal(upqr_mpm_amount_format(buf, sizeof buf, &n, m, e), UPQR_OK);
		if (n > 13)
			continue;
		assert_int_equal(upqr_mpm_amount_parse(&v, buf, n, e), UPQR_OK);
		assert_int_equal(v, m);
	}
}

static void test_limits_agree(void **state)
{
	(void)state;
	assert_int_equal(upqr_mpm_input_max(), UPQR_MPM_INPUT_MAX);
	assert_int_equal(upqr_mpm_objects_max(), UPQR_MPM_OBJECTS_MAX);
	assert_int_equal(upqr_mpm_subobjects_max(), UPQR_MPM_SUBOBJECTS_MAX);
	assert_int_equal(upqr_mpm_accounts_max(), UPQR_MPM_ACCOUNTS_MAX);
	assert_int_equal(upqr_mpm_encoded_max(), UPQR_MPM_ENCODED_MAX);
	/* 100 distinct IDs of the longest value in 4-byte characters must fit. */
	assert_true(UPQR_MPM_INPUT_MAX >= 100 * (4 + 99 * 4));
}

static void test_reference_tables(void **state)
{
	(void)state;
	assert_int_equal(upqr_mpm_currency_exponent(840), 2);
	assert_int_equal(upqr_mpm_currency_exponent(392), 0);  /* JPY */
	assert_int_equal(upqr_mpm_currency_exponent(410), 0);  /* KRW */
	assert_int_equal(upqr_mpm_currency_exponent(48), 3);   /* BHD */
	assert_int_equal(upqr_mpm_currency_exponent(990), 4);  /* CLF */
	assert_int_equal(upqr_mpm_currency_exponent(959), -1); /* XAU: no minor unit */
	assert_int_equal(upqr_mpm_currency_exponent(0), -1);
	assert_string_equal(upqr_mpm_currency_alpha(344), "HKD");
	assert_string_equal(upqr_mpm_currency_alpha(156), "CNY");
	assert_null(upqr_mpm_currency_alpha(1));
	assert_true(upqr_mpm_country_known("HK"));
	assert_true(upqr_mpm_country_known("KH"));
	assert_true(upqr_mpm_country_known("ZW"));
	assert_false(upqr_mpm_country_known("XX"));
	assert_false(upqr_mpm_country_known("hk"));
	assert_false(upqr_mpm_country_known("UK")); /* GB is the code */
	assert_false(upqr_mpm_country_known(""));
	assert_false(upqr_mpm_country_known(NULL));
}

/* A decoded payload is copied by value (as JNI/Swift glue does); the original is wiped and freed. */
static void test_copy_survives_original(void **state)
{
	(void)state;
	upqr_mpm_payload *orig = upqr_mpm_payload_new();
	upqr_mpm_payload *copy = upqr_mpm_payload_new();
	assert_non_null(orig);
	assert_non_null(copy);
	assert_int_equal(upqr_mpm_decode(orig, upqr_mpm_profile_unionpay(), HK, strlen(HK), NULL),
		UPQR_OK);
	memcpy(copy, orig, sizeof *copy);
	memset(orig, 0xA5, sizeof *orig);
	upqr_mpm_payload_free(orig);
	const upqr_mpm_fields *f = &copy->fields;
	assert_true(upqr_mpm_valid(copy));
	assert_int_equal(f->account_count, 2);
	const upqr_mpm_object *t = &copy->objects[f->accounts[1].object_index];
	assert_int_equal(t->id, 26);
	const upqr_mpm_object *o = upqr_mpm_child(copy, t, 2);
	assert_non_null(o);
	assert_true(o >= copy->subs && o < copy->subs + copy->sub_count);
	assert_int_equal(o->value_len, 9);
	assert_memory_equal(o->value, "166069526", 9);
	assert_ptr_equal(upqr_mpm_find(copy, "26.02"), o);
	assert_true(str_is(f->unionpay.merchant_id, "598034493990063"));
	assert_string_equal(f->currency_alpha, "HKD");
	upqr_mpm_payload_free(copy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_public_vectors),
		cmocka_unit_test(test_annex_b_fields),
		cmocka_unit_test(test_unionpay_fields),
		cmocka_unit_test(test_copy_survives_original),
		cmocka_unit_test(test_find_and_children),
		cmocka_unit_test(test_zero_allocations),
		cmocka_unit_test(test_never_reads_past_input),
		cmocka_unit_test(test_custom_profile),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_payload_on_heap),
		cmocka_unit_test(test_amount_helpers),
		cmocka_unit_test(test_limits_agree),
		cmocka_unit_test(test_reference_tables),
	};
	return cmocka_run_group_tests_name("mpm", tests, NULL, NULL);
}
