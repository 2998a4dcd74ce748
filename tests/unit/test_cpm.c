/* test_cpm.c - CPM decoding: the public vectors field by field, every reader rule, AID selection. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_cpm_util.h"

/* ---- helpers ------------------------------------------------------------ */


/* T("61", inner hex) -> "61" + length + inner, in a rotating static pool. */
static const char *T(const char *tag, const char *inner)
{
	static char pool[32][1200];
	static int next;
	char *out = pool[next++ % 32];
	size_t n = 0;
	for (const char *p = inner; *p; p++)
		n += *p != ' ';
	n /= 2;
	if (n < 0x80)
		snprintf(out, 1200, "%s%02zX%s", tag, n, inner);
	else
		snprintf(out, 1200, "%s81%02zX%s", tag, n, inner);
	return out;
}

static const char *cat(const char *a, const char *b)
{
	static char pool[16][2400];
	static int next;
	char *out = pool[next++ % 16];
	size_t na = strlen(a), nb = strlen(b);
	assert_true(na + nb < sizeof pool[0]);
	memmove(out, a, na);
	memmove(out + na, b, nb + 1);
	return out;
}

typedef struct ctx {
	upqr_cpm cpm;
	upqr_diag items[16];
	upqr_diag_list diags;
	int rc;
} ctx;

static ctx *new_ctx(void)
{
	ctx *c = calloc(1, sizeof *c);
	assert_non_null(c);
	upqr_diag_list_init(&c->diags, c->items, 16);
	return c;
}

static ctx *dec_hex(const char *hex, const upqr_cpm_options *o)
{
	ctx *c = new_ctx();
	uint8_t buf[1200];
	size_t n = unhex(buf, hex);
	c->rc = upqr_cpm_decode_binary(&c->cpm, o, buf, n, &c->diags);
	return c;
}

static ctx *dec_text(const char *text, const upqr_cpm_options *o)
{
	ctx *c = new_ctx();
	c->rc = upqr_cpm_decode(&c->cpm, o, text, strlen(text), &c->diags);
	return c;
}

static const upqr_diag *first_error(const ctx *c)
{
	for (size_t i = 0; i < c->diags.count; i++)
		if (c->diags.items[i].severity == UPQR_SEV_ERROR)
			return &c->diags.items[i];
	return NULL;
}

/* Decodes hex and expects one error with that code (and path, when given). */
static void expect_rule(const char *hex, int rc, const char *code, const char *path)
{
	ctx *c = dec_hex(hex, NULL);
	const upqr_diag *d = first_error(c);
	if (c->rc != rc || !d || strcmp(d->code, code) != 0 || (path && strcmp(d->path, path) != 0))
		fail_msg("%s: rc %d first error %s path %s; wanted %d %s %s", hex, c->rc,
				d ? d->code : "-", d ? d->path : "-", rc, code, path ? path : "");
	assert_false(c->cpm.valid);
	free(c);
}

static void expect_valid(const char *hex)
{
	ctx *c = dec_hex(hex, NULL);
	if (c->rc != UPQR_OK) {
		const upqr_diag *d = first_error(c);
		fail_msg("%s: rc %d %s", hex, c->rc, d ? d->code : "-");
	}
	assert_true(c->cpm.valid);
	free(c);
}

/* The value of node i of m (e.g. m->aid_node), NULL view when absent. */
static upqr_cpm_bytes node_bytes(const upqr_cpm *m, uint16_t i)
{
	upqr_cpm_bytes b;
	int rc = upqr_cpm_node_value(&b, m, i);
	assert_int_equal(rc, i == UPQR_BERTLV_NONE ? UPQR_ENOTFOUND : UPQR_OK);
	return b;
}

static void expect_bytes(upqr_cpm_bytes b, const char *hex)
{
	uint8_t want[256];
	size_t n = unhex(want, hex);
	assert_non_null(b.ptr);
	assert_int_equal(b.len, n);
	assert_memory_equal(b.ptr, want, n);
}

static void expect_tag(const upqr_cpm *cpm, uint32_t tag, const char *hex)
{
	upqr_cpm_bytes b;
	assert_int_equal(upqr_cpm_find(&b, cpm, tag), UPQR_OK);
	expect_bytes(b, hex);
}

/* The payload column of tests/data/cpm-public.tsv, row `row` (0-based, header skipped). */
static char *vector(int row, int *structure_ok)
{
	char *data = tu_read_data("cpm-public.tsv", NULL);
	int r = -1;
	char *save = NULL;
	for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#' || strncmp(line, "source\t", 7) == 0)
			continue;
		if (++r != row)
			continue;
		char *f1 = strchr(line, '\t');
		char *f2 = f1 ? strchr(f1 + 1, '\t') : NULL;
		char *f3 = f2 ? strchr(f2 + 1, '\t') : NULL;
		assert_non_null(f3);
		*structure_ok = strncmp(f1 + 1, "yes", 3) == 0;
		*f3 = 0;
		char *out = strdup(f2 + 1);
		free(data);
		return out;
	}
	free(data);
	fail_msg("no row %d", row);
	return NULL;
}

/* ---- the public vectors ------------------------------------------------- */

static void test_emvco_b1(void **state)
{
	(void)state;
	int ok;
	char *text = vector(0, &ok);
	ctx *c = dec_text(text, NULL);
	assert_true(ok);
	assert_int_equal(c->rc, UPQR_OK);
	const upqr_cpm *m = &c->cpm;
	assert_true(m->valid);
	assert_int_equal(m->version, 1);
	assert_int_equal(m->binary_len, 35);
	assert_int_equal(m->node_count, 4);
	assert_int_equal(m->app_count, 1);
	assert_int_equal(m->selected, 0);
	assert_int_equal(m->common, UPQR_BERTLV_NONE);
	assert_int_equal(m->transparent, UPQR_BERTLV_NONE);
	expect_bytes(node_bytes(m, m->aid_node), "A0000000555555");
	assert_null(m->aid_name);
	assert_int_equal(m->label_node, UPQR_BERTLV_NONE);
	assert_null(node_bytes(m, m->label_node).ptr);
	assert_int_equal(m->pan_len, 16);
	assert_string_equal(m->pan_masked, "123456******3458");
	/* The EMVCo example PAN fails Luhn: a warning, not an error. */
	assert_false(m->pan_luhn_ok);
	assert_non_null(upqr_diag_list_find(&c->diags, "pan_luhn"));
	assert_int_equal(c->diags.errors, 0);
	assert_string_equal(m->expiry, "1912");
	assert_string_equal(m->service_code, "201");
	assert_string_equal(m->discretionary, "12345");
	assert_int_equal(m->psn, -1);
	expect_tag(m, 0x57, "1234567890123458D191220112345F");
	free(c);
	free(text);
}

static void test_emvco_b2(void **state)
{
	(void)state;
	int ok;
	char *text = vector(1, &ok);
	ctx *c = dec_text(text, NULL);
	assert_int_equal(c->rc, UPQR_OK);
	const upqr_cpm *m = &c->cpm;
	assert_int_equal(m->binary_len, 124);
	assert_int_equal(m->app_count, 2);
	assert_int_not_equal(m->common, UPQR_BERTLV_NONE);
	assert_int_equal(m->selected, 0);
	expect_bytes(node_bytes(m, m->aid_node), "A0000000555555");
	assert_int_equal(node_bytes(m, m->label_node).len, 8);
	assert_memory_equal(node_bytes(m, m->label_node).ptr, "Product1", 8);
	/* PAN from '5A' in the Common Data Template. */
	assert_int_equal(m->track2_node, UPQR_BERTLV_NONE);
	assert_int_not_equal(m->pan_node, UPQR_BERTLV_NONE);
	assert_string_equal(m->pan_masked, "123456******3458");
	assert_string_equal(m->expiry, "");
	expect_tag(m, 0x5F20, "43415244484F4C4445522F454D56");
	expect_tag(m, 0x5F2D, "727565736465656E");
	/* Transparent data from '64', opaque but readable. */
	assert_int_equal(m->nodes[m->transparent].tag, 0x64);
	assert_true(m->nodes[m->transparent].opaque);
	expect_tag(m, 0x9F10, "06010A03000000");
	expect_tag(m, 0x9F26, "584FD385FA234BCC");
	expect_tag(m, 0x9F36, "0001");
	expect_tag(m, 0x9F37, "6D58EF13");
	upqr_cpm_bytes b;
	assert_int_equal(upqr_cpm_find(&b, m, 0x9F27), UPQR_ENOTFOUND);
	assert_null(b.ptr);
	free(c);

	/* The merchant prefers the second product: its template is selected. */
	uint8_t six[] = { 0xA0, 0x00, 0x00, 0x00, 0x66, 0x66, 0x66 };
	upqr_cpm_aid pref[] = { { six, sizeof six, 0, "Product 2" } };
	upqr_cpm_options o;
	assert_int_equal(upqr_cpm_options_init(&o, UPQR_CPM_OPTIONS_VERSION), UPQR_OK);
	o.aids = pref;
	o.aid_count = 1;
	c = dec_text(text, &o);
	assert_int_equal(c->rc, UPQR_OK);
	assert_int_equal(c->cpm.selected, 1);
	assert_memory_equal(node_bytes(&c->cpm, c->cpm.label_node).ptr, "Product2", 8);
	free(c);
	free(text);
}

static void test_unionpay_credit(void **state)
{
	(void)state;
	int ok;
	char *text = vector(2, &ok);
	ctx *c = dec_text(text, NULL);
	assert_int_equal(c->rc, UPQR_OK);
	const upqr_cpm *m = &c->cpm;
	assert_int_equal(c->diags.count, 0);
	assert_int_equal(m->binary_len, 95);
	expect_bytes(node_bytes(m, m->aid_node), "A000000333010102");
	assert_string_equal(m->aid_name, "UnionPay Credit");
	assert_int_equal(m->pan_len, 16);
	assert_string_equal(m->pan_masked, "626360******3672");
	assert_true(m->pan_luhn_ok);
	assert_string_equal(m->expiry, "2312");
	assert_string_equal(m->service_code, "201");
	assert_string_equal(m->discretionary, "0000018801");
	assert_int_equal(m->psn, 0);
	assert_int_equal(m->nodes[m->transparent].tag, 0x63);
	expect_tag(m, 0x9F26, "568AD7BCE66B718B");
	expect_tag(m, 0x9F27, "80");
	expect_tag(m, 0x9F10, "07000103A00000010830303030303030 31");
	expect_tag(m, 0x9F36, "1122");
	expect_tag(m, 0x82, "0000");
	expect_tag(m, 0x9F37, "2260488E");
	char pan[20];
	size_t n = 0;
	assert_int_equal(upqr_cpm_pan(pan, sizeof pan, &n, m), UPQR_OK);
	assert_string_equal(pan, "6263600100713672");
	assert_int_equal(n, 16);
	assert_int_equal(upqr_cpm_pan(pan, 16, &n, m), UPQR_EBUFSIZE);
	assert_int_equal(n, 16);
	assert_int_equal(upqr_cpm_pan(NULL, 0, &n, m), UPQR_EBUFSIZE);
	free(c);
	free(text);
}

static void test_unionpay_debit(void **state)
{
	(void)state;
	int ok;
	char *text = vector(3, &ok);
	ctx *c = dec_text(text, NULL);
	assert_int_equal(c->rc, UPQR_OK);
	const upqr_cpm *m = &c->cpm;
	expect_bytes(node_bytes(m, m->aid_node), "A000000333010101");
	assert_string_equal(m->aid_name, "UnionPay Debit");
	assert_int_equal(m->pan_len, 19);
	assert_string_equal(m->pan_masked, "629261*********5641");
	assert_true(m->pan_luhn_ok);
	assert_string_equal(m->expiry, "2210");
	assert_string_equal(m->discretionary, "0000018801");
	expect_tag(m, 0x9F36, "0001");
	expect_tag(m, 0x9F37, "EA0658C8");
	expect_tag(m, 0x9F26, "568B12D9DA0BD97F");
	/* Restricting selection to UnionPay's built-in list still selects it. */
	upqr_cpm_options o = UPQR_CPM_OPTIONS_INIT;
	o.unionpay_aids = 1;
	ctx *c2 = dec_text(text, &o);
	assert_int_equal(c2->rc, UPQR_OK);
	/* ... and the EMVCo example, with a non-UnionPay AID, is then refused. */
	int ok0;
	char *b1 = vector(0, &ok0);
	ctx *c3 = dec_text(b1, &o);
	assert_int_equal(c3->rc, UPQR_EINVALID);
	assert_string_equal(first_error(c3)->code, "aid_not_selected");
	free(b1);
	free(c3);
	free(c2);
	free(c);
	free(text);
}

static void test_truncated_fails_base64(void **state)
{
	(void)state;
	int ok;
	char *text = vector(4, &ok);
	assert_false(ok);
	ctx *c = dec_text(text, NULL);
	assert_int_equal(c->rc, UPQR_EBASE64);
	assert_int_equal(c->diags.count, 1);
	assert_string_equal(c->items[0].code, "base64_invalid");
	assert_int_equal(c->items[0].offset, strlen(text)); /* length not a multiple of 4 */
	assert_false(c->cpm.valid);
	free(c);
	free(text);
}

static void test_transit_fails_pan_rule(void **state)
{
	(void)state;
	int ok;
	char *text = vector(5, &ok);
	ctx *c = dec_text(text, NULL);
	assert_int_equal(c->rc, UPQR_EINVALID);
	assert_int_equal(c->diags.errors, 1);
	assert_string_equal(first_error(c)->code, "pan_missing");
	assert_string_equal(first_error(c)->path, "61");
	expect_bytes(node_bytes(&c->cpm, c->cpm.aid_node), "514341543031"); /* "QCAT01" */
	/* Its private tags inside '63' are kept. */
	upqr_cpm_bytes de;
	assert_int_equal(upqr_cpm_find(&de, &c->cpm, 0xDE), UPQR_OK);
	assert_int_equal(de.len, 0x37);
	assert_int_equal(de.ptr[de.len - 1], 0xFD);
	free(c);
	free(text);
}

static void test_zero_allocations(void **state)
{
	(void)state;
	for (int row = 0; row < 6; row++) {
		int ok;
		char *text = vector(row, &ok);
		ctx *c = new_ctx();
		tu_alloc_stats st = { 0, 0, 0 };
		tu_alloc_install(&st);
		c->rc = upqr_cpm_decode(&c->cpm, NULL, text, strlen(text), &c->diags);
		char hex[2 * UPQR_CPM_BINARY_MAX + 1];
		size_t n;
		int hrc = upqr_cpm_hex_masked(hex, sizeof hex, &n, &c->cpm);
		tu_alloc_uninstall();
		assert_int_equal(st.allocs, 0);
		assert_int_equal(hrc, UPQR_OK);
		assert_int_equal(c->rc == UPQR_OK, ok && row != 5);
		free(c);
		free(text);
	}
}

/* ---- reader rules, in the spec's order ---------------------------------- */

#define PFI "85054350563031"
#define AID5 "4F07A0000000555555"
#define TRACK2 "570F1234567890123458D191220112345F"

static void test_rule_base64(void **state)
{
	(void)state;
	static const struct { const char *text; size_t off; } bad[] = {
		{ "hQVDUFYwMWEaTwegAAAAVVVVVw8SNFZ4kBI0WNGRIgESNF8", 47 },
		{ "hQVDUFYwMWEaTwegAAAAVVVVVw8SNFZ4kBI0WNGRIgESNF8=\n", 48 },
		{ " hQVDUFYwMWEaTwegAAAAVVVVVw8SNFZ4kBI0WNGRIgESNF8", 0 },
		{ "hQVDUFYwMWEaTwegAAAAVVVVVw8SNFZ4kBI0WNGRIgESNF-=", 46 },
		{ "hQVDUFYwMWEaTwegAAAAVVVVVw8SNFZ4kBI0WNGRIgESNF9=", 46 },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ctx *c = dec_text(bad[i].text, NULL);
		assert_int_equal(c->rc, UPQR_EBASE64);
		assert_string_equal(c->items[0].code, "base64_invalid");
		assert_int_equal(c->items[0].offset, bad[i].off);
		free(c);
	}
	char big[UPQR_CPM_TEXT_MAX + 5];
	memset(big, 'A', sizeof big - 1);
	big[sizeof big - 1] = 0;
	ctx *c = dec_text(big, NULL);
	assert_int_equal(c->rc, UPQR_ELIMIT);
	assert_string_equal(c->items[0].code, "payload_too_long");
	free(c);
	uint8_t bin[UPQR_CPM_BINARY_MAX + 1] = { 0 };
	c = new_ctx();
	assert_int_equal(upqr_cpm_decode_binary(&c->cpm, NULL, bin, sizeof bin, &c->diags), UPQR_ELIMIT);
	free(c);
}

static void test_rule_tlv(void **state)
{
	(void)state;
	expect_rule(PFI "611A" AID5 "570F1234567890123458D191220112345F" "00", UPQR_ETLV, "tlv_tag_invalid", NULL);
	expect_rule(PFI "611B" AID5 TRACK2, UPQR_ETLV, "tlv_truncated", NULL);
	expect_rule(PFI "61801A" AID5 TRACK2, UPQR_ETLV, "tlv_length_indefinite", NULL);
	expect_rule(PFI "61811A" AID5 TRACK2, UPQR_ETLV, "tlv_length_nonminimal", NULL);
	/* Offsets of TLV problems are into the decoded bytes: '4F' length overruns at byte 9. */
	ctx *c = dec_hex(PFI "6109 4F08A0000000555555", NULL);
	assert_int_equal(c->rc, UPQR_ETLV);
	assert_int_equal(c->items[0].offset, 9);
	assert_string_equal(c->items[0].path, "61.4F");
	free(c);
}

static void test_rule_pfi(void **state)
{
	(void)state;
	expect_rule("", UPQR_EINVALID, "pfi_missing", "");
	expect_rule(T("61", AID5 TRACK2), UPQR_EINVALID, "pfi_missing", "");
	expect_rule(cat(T("61", AID5 TRACK2), PFI), UPQR_EINVALID, "pfi_missing", "");
	expect_rule(cat("85054350563032", T("61", AID5 TRACK2)), UPQR_EINVALID, "pfi_version_unsupported", "85");
	expect_rule(cat("85054350583031", T("61", AID5 TRACK2)), UPQR_EINVALID, "pfi_invalid", "85");
	expect_rule(cat("850443505630", T("61", AID5 TRACK2)), UPQR_EINVALID, "pfi_invalid", "85");
	expect_rule(cat("95054350563031", T("61", AID5 TRACK2)), UPQR_EINVALID, "pfi_missing", "");
	/* The first failing rule stops the decode: only one diagnostic. */
	ctx *c = dec_hex(cat("85054350563032", T("62", "")), NULL);
	assert_int_equal(c->diags.count, 1);
	free(c);
}

static void test_rule_app_template(void **state)
{
	(void)state;
	const char *app = T("61", AID5 TRACK2);
	expect_rule(PFI, UPQR_EINVALID, "app_template_missing", "");
	expect_rule(cat(PFI, T("62", TRACK2)), UPQR_EINVALID, "app_template_missing", "");
	/* allowed shapes */
	expect_valid(cat(PFI, app));
	expect_valid(cat(cat(PFI, app), app));
	expect_valid(cat(cat(cat(PFI, app), app), T("62", "5F2D02656E")));
	expect_valid(cat(cat(PFI, app), T("62", "5F2D02656E")));
	expect_valid(cat(cat(cat(PFI, app), T("62", "")), "C30101 E5020100"));
	/* shapes that are not */
	expect_rule(cat(cat(cat(PFI, app), app), app), UPQR_EINVALID, "app_template_count", "61");
	expect_rule(cat(cat(cat(PFI, app), T("62", "")), app), UPQR_EINVALID, "template_order", "61");
	expect_rule(cat(cat(cat(PFI, app), "C100"), app), UPQR_EINVALID, "template_order", "61");
	expect_rule(cat(cat(cat(PFI, app), "C100"), T("62", "")), UPQR_EINVALID, "template_order", "62");
	expect_rule(cat(cat(cat(PFI, app), T("62", "")), T("62", "")), UPQR_EINVALID,
			"common_template_count", "62");
	expect_rule(cat(cat(PFI, app), PFI), UPQR_EINVALID, "pfi_duplicate", "85");
	/* (found by fuzzing) the only '61' out of place: one error, nothing selected */
	ctx *c = dec_hex(cat(cat(PFI, "C100"), app), NULL);
	assert_int_equal(c->rc, UPQR_EINVALID);
	assert_int_equal(c->diags.errors, 1);
	assert_int_equal(c->cpm.selected, -1);
	free(c);
}

static void test_rule_aid(void **state)
{
	(void)state;
	expect_rule(cat(PFI, T("61", TRACK2)), UPQR_EINVALID, "aid_missing", "61");
	expect_rule(cat(PFI, T("61", "4F04A0000000" TRACK2)), UPQR_EINVALID, "aid_length", "61.4F");
	expect_rule(cat(PFI, T("61", "4F11A000000055555555555555555555555555" TRACK2)), UPQR_EINVALID,
			"aid_length", "61.4F");
	expect_valid(cat(PFI, T("61", "4F05A000000055" TRACK2)));
	expect_valid(cat(PFI, T("61", "4F10A0000000555555555555555555555555" TRACK2)));
	/* With two templates, the second is selected when the first has no valid AID,
	 * but the payload is still invalid (4F is mandatory in each). */
	ctx *c = dec_hex(cat(cat(PFI, T("61", TRACK2)), T("61", AID5 TRACK2)), NULL);
	assert_int_equal(c->rc, UPQR_EINVALID);
	assert_int_equal(c->cpm.selected, 1);
	free(c);
}

static void test_rule_pan(void **state)
{
	(void)state;
	expect_rule(cat(PFI, T("61", AID5 "50024142")), UPQR_EINVALID, "pan_missing", "61");
	/* '5A' in '62' satisfies the rule; a '57' in the unselected '61' does not count. */
	expect_valid(cat(cat(PFI, T("61", AID5)), T("62", "5A0862636001007136 72")));
	expect_rule(cat(cat(PFI, T("61", AID5)), T("61", "4F07A0000000666666" TRACK2)), UPQR_EINVALID,
			"pan_missing", "61");
	/* track 2 format */
	expect_rule(cat(PFI, T("61", AID5 "570812345678901234 58")), UPQR_EINVALID, "track2_invalid", "61.57");
	expect_rule(cat(PFI, T("61", AID5 "570F1234567890123458D191320112345F")), UPQR_EINVALID,
			"track2_invalid", "61.57");
	expect_rule(cat(PFI, T("61", AID5 "570F1234567890123458D190020112345F")), UPQR_EINVALID,
			"track2_invalid", "61.57");
	expect_rule(cat(PFI, T("61", AID5 "570A12345678901D1912201F")), UPQR_EINVALID, "track2_invalid", "61.57");
	expect_rule(cat(PFI, T("61", AID5 "570F1234567890123458D1912201F2345F")), UPQR_EINVALID,
			"track2_invalid", "61.57");
	expect_rule(cat(PFI, T("61", AID5 "57091234567890123458D1")), UPQR_EINVALID, "track2_invalid", "61.57");
	expect_valid(cat(PFI, T("61", AID5 "570C1234567890123458D1912201")));
	expect_valid(cat(PFI, T("61", AID5 "570E1234567890123458D19122011234")));
	/* '5A' format */
	expect_rule(cat(PFI, T("61", AID5 "5A0812345678901234F8")), UPQR_EINVALID, "pan_invalid", "61.5A");
	expect_rule(cat(PFI, T("61", AID5 "5A05123456789F")), UPQR_EINVALID, "pan_invalid", "61.5A");
	expect_valid(cat(PFI, T("61", AID5 "5A0A6292610358444335641F")));
	/* both, disagreeing */
	expect_rule(cat(PFI, T("61", AID5 TRACK2 "5A086263600100713672")), UPQR_EINVALID, "pan_conflict", "61.5A");
	expect_valid(cat(PFI, T("61", AID5 TRACK2 "5A081234567890123458")));
}

static void test_rule_duplicates(void **state)
{
	(void)state;
	expect_rule(cat(cat(PFI, T("61", AID5 TRACK2 "50024142")), T("62", "50024344")), UPQR_EINVALID,
			"duplicate_tag", "62.50");
	expect_rule(cat(PFI, T("61", AID5 TRACK2 "500141 500142")), UPQR_EINVALID, "duplicate_tag", "61.50");
	/* A duplicate in the unselected template's data does not clash with '62'. */
	upqr_cpm_options o = UPQR_CPM_OPTIONS_INIT;
	uint8_t six[] = { 0xA0, 0x00, 0x00, 0x00, 0x66, 0x66, 0x66 };
	upqr_cpm_aid pref = { six, sizeof six, 0, NULL };
	o.aids = &pref;
	o.aid_count = 1;
	ctx *c = dec_hex(cat(cat(cat(PFI, T("61", AID5 TRACK2 "50024142")), T("61", "4F07A0000000666666")),
			T("62", "50024344 5A081234567890123458")), &o);
	assert_int_equal(c->rc, UPQR_OK);
	assert_int_equal(c->cpm.selected, 1);
	free(c);
	/* Transparent templates are opaque: duplicates inside are not checked. */
	expect_valid(cat(PFI, T("61", cat(AID5 TRACK2, T("63", "9F360100 9F360100")))));
}

static void test_rule_fields_and_unknown(void **state)
{
	(void)state;
	expect_rule(cat(PFI, T("61", AID5 TRACK2 "5011" "4141414141414141" "4141414141414141" "41")), UPQR_EINVALID,
			"field_length", "61.50");
	expect_rule(cat(PFI, T("61", AID5 TRACK2 "9F080100")), UPQR_EINVALID, "field_length", "61.9F08");
	expect_rule(cat(PFI, T("61", AID5 TRACK2 "9F250112")), UPQR_EINVALID, "field_length", "61.9F25");
	expect_rule(cat(PFI, T("61", AID5 TRACK2 "5F34011A")), UPQR_EINVALID, "field_format", "61.5F34");
	/* Unknown tags are kept, as are unknown templates after the known ones. */
	ctx *c = dec_hex(cat(cat(PFI, T("61", AID5 TRACK2 "DF8101020102 E3020100")), "C30101"), NULL);
	assert_int_equal(c->rc, UPQR_OK);
	expect_tag(&c->cpm, 0xDF8101, "0102");
	assert_int_not_equal(upqr_bertlv_find(c->cpm.nodes, c->cpm.node_count, UPQR_BERTLV_NONE, 0xC3),
			UPQR_BERTLV_NONE);
	free(c);
	/* Malformed transparent content stays opaque: a warning, still valid. */
	c = dec_hex(cat(PFI, T("61", AID5 TRACK2 "6303 9F2605")), NULL);
	assert_int_equal(c->rc, UPQR_OK);
	assert_non_null(upqr_diag_list_find(&c->diags, "tlv_opaque_content"));
	assert_int_equal(c->cpm.nodes[c->cpm.transparent].length, 3);
	free(c);
}

static void test_aid_selection(void **state)
{
	(void)state;
	size_t n = 0;
	const upqr_cpm_aid *up = upqr_cpm_unionpay_aids(&n);
	assert_int_equal(n, 5);
	static const char *const names[] = { "Debit", "Credit", "Quasi-credit", "Electronic Cash", "US Common Debit" };
	static const uint8_t last[] = { 1, 2, 3, 6, 8 };
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(up[i].len, 8);
		assert_int_equal(up[i].aid[7], last[i]);
		assert_non_null(strstr(up[i].name, names[i]));
		assert_string_equal(upqr_cpm_aid_name(up[i].aid, 8), up[i].name);
	}
	/* Partial selection: a longer ADF name with a built-in AID as prefix. */
	uint8_t longer[] = { 0xA0, 0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x02, 0x99 };
	assert_string_equal(upqr_cpm_aid_name(longer, sizeof longer), "UnionPay Credit");
	assert_null(upqr_cpm_aid_name(longer, 7));
	assert_null(upqr_cpm_aid_name(NULL, 0));

	const char *a1 = "4F07A0000000555555", *a2 = "4F09A0000003330101029";
	(void)a2;
	const char *two = cat(cat(PFI, T("61", cat(a1, TRACK2))),
			T("61", "4F09A000000333010102 99" TRACK2));
	/* Any-AID default: the first template. */
	ctx *c = dec_hex(two, NULL);
	assert_int_equal(c->cpm.selected, 0);
	free(c);
	/* UnionPay list: the second (partial match). */
	upqr_cpm_options o = UPQR_CPM_OPTIONS_INIT;
	o.unionpay_aids = 1;
	c = dec_hex(two, &o);
	assert_int_equal(c->rc, UPQR_OK);
	assert_int_equal(c->cpm.selected, 1);
	assert_string_equal(c->cpm.aid_name, "UnionPay Credit");
	free(c);
	/* Exact-only terminal AID does not select the longer ADF name. */
	uint8_t credit[] = { 0xA0, 0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x02 };
	upqr_cpm_aid exact = { credit, sizeof credit, 0, NULL };
	o.unionpay_aids = 0;
	o.aids = &exact;
	o.aid_count = 1;
	c = dec_hex(two, &o);
	assert_int_equal(c->rc, UPQR_EINVALID);
	assert_string_equal(first_error(c)->code, "aid_not_selected");
	free(c);
	/* List order is priority, whatever the template order. */
	uint8_t five[] = { 0xA0, 0x00, 0x00, 0x00, 0x55 };
	upqr_cpm_aid prio[] = { { credit, sizeof credit, 1, NULL }, { five, sizeof five, 1, NULL } };
	o.aids = prio;
	o.aid_count = 2;
	c = dec_hex(two, &o);
	assert_int_equal(c->cpm.selected, 1);
	free(c);
	prio[0] = prio[1];
	c = dec_hex(two, &o);
	assert_int_equal(c->cpm.selected, 0);
	free(c);
	/* options checks */
	o.version = 7;
	c = dec_hex(two, &o);
	assert_int_equal(c->rc, UPQR_EVERSION);
	free(c);
	o.version = UPQR_CPM_OPTIONS_VERSION;
	o.aids = NULL;
	c = dec_hex(two, &o);
	assert_int_equal(c->rc, UPQR_EINVAL);
	free(c);
	assert_int_equal(upqr_cpm_options_init(&o, 2), UPQR_EVERSION);
	assert_int_equal(upqr_cpm_options_init(NULL, 1), UPQR_EINVAL);
}

static void test_masking_everywhere(void **state)
{
	(void)state;
	/* Every diagnostic of a payload with broken rules keeps the PAN masked. */
	const char *hex = cat(cat(PFI, T("61", AID5 "57136292610358444335649D22102010000018801F")),
			T("62", "5A0A6292610358444335649F 5A0A6292610358444335649F"));
	ctx *c = dec_hex(hex, NULL);
	assert_int_equal(c->rc, UPQR_EINVALID);
	assert_true(c->diags.count >= 2);
	for (size_t i = 0; i < c->diags.count; i++)
		assert_null(strstr(c->items[i].message, "6292610358444335649"));
	assert_non_null(upqr_diag_list_find(&c->diags, "pan_luhn"));
	assert_non_null(strstr(upqr_diag_list_find(&c->diags, "pan_luhn")->message, "629261*********5649"));
	char out[2 * UPQR_CPM_BINARY_MAX + 1];
	size_t n = 0;
	assert_int_equal(upqr_cpm_hex_masked(out, sizeof out, &n, &c->cpm), UPQR_OK);
	assert_int_equal(n, 2 * c->cpm.binary_len);
	assert_null(strstr(out, "6292610358444335649"));
	assert_non_null(strstr(out, "629261*********5649D2210"));
	assert_non_null(strstr(out, "5A0A629261*********5649F"));
	assert_int_equal(upqr_cpm_hex_masked(out, n, &n, &c->cpm), UPQR_EBUFSIZE);
	assert_int_equal(upqr_cpm_hex_masked(NULL, 0, &n, &c->cpm), UPQR_EBUFSIZE);
	free(c);
	/* An unreadable '57' is hidden entirely. */
	c = dec_hex(cat(PFI, T("61", AID5 "5709123456789012345678")), NULL);
	assert_int_equal(upqr_cpm_hex_masked(out, sizeof out, &n, &c->cpm), UPQR_OK);
	assert_non_null(strstr(out, "5709******************"));
	char pan[20];
	assert_int_equal(upqr_cpm_pan(pan, sizeof pan, &n, &c->cpm), UPQR_ENOTFOUND);
	free(c);
}

static void test_limits_and_args(void **state)
{
	(void)state;
	assert_int_equal(upqr_cpm_text_max(), UPQR_CPM_TEXT_MAX);
	assert_int_equal(upqr_cpm_binary_max(), UPQR_CPM_BINARY_MAX);
	assert_int_equal(UPQR_CPM_BINARY_MAX, UPQR_BASE64_DECODED_MAX(UPQR_CPM_TEXT_MAX));
	assert_int_equal(upqr_cpm_nodes_max(), UPQR_CPM_NODES_MAX);
	assert_int_equal(upqr_cpm_pan_max(), UPQR_CPM_PAN_MAX);
	assert_int_equal(upqr_cpm_discretionary_max(), UPQR_CPM_DISCRETIONARY_MAX);
	assert_int_equal(upqr_cpm_aid_max(), UPQR_CPM_AID_MAX);
	ctx *c = new_ctx();
	assert_int_equal(upqr_cpm_decode(NULL, NULL, "", 0, NULL), UPQR_EINVAL);
	assert_int_equal(upqr_cpm_decode(&c->cpm, NULL, NULL, 4, NULL), UPQR_EINVAL);
	assert_int_equal(upqr_cpm_decode_binary(&c->cpm, NULL, NULL, 4, NULL), UPQR_EINVAL);
	upqr_cpm_bytes b;
	assert_int_equal(upqr_cpm_find(NULL, &c->cpm, 0x57), UPQR_EINVAL);
	assert_int_equal(upqr_cpm_find(&b, NULL, 0x57), UPQR_EINVAL);
	/* No diagnostics list: the status still tells. */
	assert_int_equal(upqr_cpm_decode(&c->cpm, NULL, "hQVDUFYwMQ==", 12, NULL), UPQR_EINVALID);
	assert_int_equal(upqr_cpm_find(&b, &c->cpm, 0x57), UPQR_ENOTFOUND);
	/* More objects than the reader holds. */
	char hex[2400] = PFI;
	for (int i = 0; i < 200; i++)
		strcat(hex, "C100");
	free(c);
	c = dec_hex(hex, NULL);
	assert_int_equal(c->rc, UPQR_ELIMIT);
	assert_string_equal(c->items[0].code, "tlv_too_many_objects");
	free(c);
}

/* A decoded CPM is copied by value (as JNI/Swift glue does); the original is wiped and freed. */
static void test_copy_survives_original(void **state)
{
	(void)state;
	int ok;
	char *text = vector(2, &ok);
	ctx *c = dec_text(text, NULL);
	assert_int_equal(c->rc, UPQR_OK);
	upqr_cpm *copy = malloc(sizeof *copy);
	assert_non_null(copy);
	memcpy(copy, &c->cpm, sizeof *copy);
	memset(c, 0xA5, sizeof *c);
	free(c);
	assert_true(copy->valid);
	expect_bytes(node_bytes(copy, copy->aid_node), "A000000333010102");
	assert_string_equal(copy->aid_name, "UnionPay Credit");
	expect_tag(copy, 0x9F26, "568AD7BCE66B718B");
	char pan[UPQR_CPM_PAN_MAX + 1];
	size_t n;
	assert_int_equal(upqr_cpm_pan(pan, sizeof pan, &n, copy), UPQR_OK);
	assert_int_equal(n, 16);
	for (size_t i = 0; i < copy->node_count; i++) {
		upqr_cpm_bytes b;
		assert_int_equal(upqr_cpm_node_value(&b, copy, (uint16_t)i), UPQR_OK);
		assert_true(b.ptr >= copy->binary && b.ptr + b.len <= copy->binary + copy->binary_len);
	}
	upqr_cpm_bytes none;
	assert_int_equal(upqr_cpm_node_value(&none, copy, (uint16_t)copy->node_count), UPQR_ENOTFOUND);
	assert_null(none.ptr);
	assert_int_equal(upqr_cpm_node_value(&none, NULL, 0), UPQR_EINVAL);
	upqr_memzero(pan, sizeof pan);
	free(copy);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_emvco_b1),
		cmocka_unit_test(test_emvco_b2),
		cmocka_unit_test(test_unionpay_credit),
		cmocka_unit_test(test_unionpay_debit),
		cmocka_unit_test(test_copy_survives_original),
		cmocka_unit_test(test_truncated_fails_base64),
		cmocka_unit_test(test_transit_fails_pan_rule),
		cmocka_unit_test(test_zero_allocations),
		cmocka_unit_test(test_rule_base64),
		cmocka_unit_test(test_rule_tlv),
		cmocka_unit_test(test_rule_pfi),
		cmocka_unit_test(test_rule_app_template),
		cmocka_unit_test(test_rule_aid),
		cmocka_unit_test(test_rule_pan),
		cmocka_unit_test(test_rule_duplicates),
		cmocka_unit_test(test_rule_fields_and_unknown),
		cmocka_unit_test(test_aid_selection),
		cmocka_unit_test(test_masking_everywhere),
		cmocka_unit_test(test_limits_and_args),
	};
	return cmocka_run_group_tests_name("cpm", tests, NULL, NULL);
}
