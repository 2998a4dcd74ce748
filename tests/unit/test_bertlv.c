/* test_bertlv.c - the BER-TLV reader (EMV Book 3 Annex B) and its edges. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_cpm_util.h"

typedef struct parsed {
	upqr_bertlv_node nodes[64];
	size_t count;
	upqr_diag items[4];
	upqr_diag_list diags;
	int rc;
	size_t len;
	uint8_t buf[1024];
} parsed;

static parsed *parse_hex_cap(const char *hex, const upqr_bertlv_options *o, size_t cap)
{
	parsed *p = calloc(1, sizeof *p);
	assert_non_null(p);
	p->len = unhex(p->buf, hex);
	upqr_diag_list_init(&p->diags, p->items, 4);
	p->rc = upqr_bertlv_parse(p->nodes, cap, &p->count, o, p->buf, p->len, &p->diags);
	return p;
}

static parsed *parse_hex(const char *hex, const upqr_bertlv_options *o)
{
	return parse_hex_cap(hex, o, 64);
}

static void expect_error(const char *hex, int rc, const char *code, size_t offset, const char *path)
{
	parsed *p = parse_hex(hex, NULL);
	if (p->rc != rc || p->diags.count == 0 || strcmp(p->diags.items[0].code, code) != 0)
		fail_msg("%s: rc %d (%s) wanted %d %s", hex, p->rc,
				p->diags.count ? p->diags.items[0].code : "-", rc, code);
	assert_int_equal(p->diags.items[0].offset, offset);
	assert_string_equal(p->diags.items[0].path, path);
	assert_int_equal(p->diags.items[0].severity, UPQR_SEV_ERROR);
	free(p);
}

static void test_tags_and_tree(void **state)
{
	(void)state;
	parsed *p = parse_hex("610E 4F01AA 6309 9F260111 DF81010103 5F2A020156", NULL);
	assert_int_equal(p->rc, UPQR_OK);
	assert_int_equal(p->count, 6);
	static const uint32_t tags[] = { 0x61, 0x4F, 0x63, 0x9F26, 0xDF8101, 0x5F2A };
	static const size_t offs[] = { 0, 2, 5, 7, 11, 16 };
	static const uint8_t depth[] = { 0, 1, 1, 2, 2, 0 };
	for (size_t i = 0; i < 6; i++) {
		assert_int_equal(p->nodes[i].tag, tags[i]);
		assert_int_equal(p->nodes[i].offset, offs[i]);
		assert_int_equal(p->nodes[i].depth, depth[i]);
	}
	assert_int_equal(p->nodes[4].tag_len, 3);
	assert_int_equal(p->nodes[4].header_len, 4);
	assert_true(p->nodes[0].constructed);
	assert_false(p->nodes[1].constructed);
	assert_int_equal(p->nodes[0].first_child, 1);
	assert_int_equal(p->nodes[1].next, 2);
	assert_int_equal(p->nodes[2].first_child, 3);
	assert_int_equal(p->nodes[3].next, 4);
	assert_int_equal(p->nodes[4].next, UPQR_BERTLV_NONE);
	assert_int_equal(p->nodes[0].next, 5);
	assert_int_equal(p->nodes[3].parent, 2);
	assert_int_equal(p->nodes[5].parent, UPQR_BERTLV_NONE);
	/* Views point into the input, no copies. */
	assert_int_equal(p->nodes[5].value_offset, 19);
	assert_ptr_equal(upqr_bertlv_value(p->buf, &p->nodes[5]), p->buf + 19);
	assert_int_equal(p->nodes[5].length, 2);
	assert_int_equal(upqr_bertlv_find(p->nodes, p->count, UPQR_BERTLV_NONE, 0x5F2A), 5);
	assert_int_equal(upqr_bertlv_find(p->nodes, p->count, 2, 0xDF8101), 4);
	assert_int_equal(upqr_bertlv_find(p->nodes, p->count, 0, 0x9F26), UPQR_BERTLV_NONE);
	assert_int_equal(upqr_bertlv_find(p->nodes, p->count, 99, 0x4F), UPQR_BERTLV_NONE);
	assert_int_equal(upqr_bertlv_find(NULL, 0, UPQR_BERTLV_NONE, 0x4F), UPQR_BERTLV_NONE);
	free(p);
	/* A four-byte tag is the longest accepted. */
	p = parse_hex("DF818101 01 00", NULL);
	assert_int_equal(p->rc, UPQR_OK);
	assert_int_equal(p->nodes[0].tag, 0xDF818101u);
	free(p);
	/* Empty input and empty templates are fine. */
	p = parse_hex("", NULL);
	assert_int_equal(p->rc, UPQR_OK);
	assert_int_equal(p->count, 0);
	free(p);
	p = parse_hex("6100 5000", NULL);
	assert_int_equal(p->rc, UPQR_OK);
	assert_int_equal(p->count, 2);
	assert_int_equal(p->nodes[0].first_child, UPQR_BERTLV_NONE);
	free(p);
}

static void test_lengths(void **state)
{
	(void)state;
	char hex[2 * 300 + 16];
	/* 81 80: 128 bytes in the long form. */
	strcpy(hex, "C1 8180");
	for (int i = 0; i < 128; i++)
		strcat(hex, "AB");
	parsed *p = parse_hex(hex, NULL);
	assert_int_equal(p->rc, UPQR_OK);
	assert_int_equal(p->nodes[0].length, 128);
	assert_int_equal(p->nodes[0].header_len, 3);
	free(p);
	strcpy(hex, "C1 820100");
	for (int i = 0; i < 256; i++)
		strcat(hex, "CD");
	p = parse_hex(hex, NULL);
	assert_int_equal(p->rc, UPQR_OK);
	assert_int_equal(p->nodes[0].length, 256);
	assert_int_equal(p->nodes[0].header_len, 4);
	free(p);

	expect_error("C1 817F 00", UPQR_ETLV, "tlv_length_nonminimal", 0, "C1");
	expect_error("C1 8100", UPQR_ETLV, "tlv_length_nonminimal", 0, "C1");
	expect_error("C1 8200FF", UPQR_ETLV, "tlv_length_nonminimal", 0, "C1");
	expect_error("E1 80 C100 0000", UPQR_ETLV, "tlv_length_indefinite", 0, "E1");
	expect_error("C1 83000001 00", UPQR_ETLV, "tlv_length_too_long", 0, "C1");
	expect_error("C1 84", UPQR_ETLV, "tlv_length_too_long", 0, "C1");
	expect_error("C1 FF", UPQR_ETLV, "tlv_length_too_long", 0, "C1");
}

static void test_malformed(void **state)
{
	(void)state;
	expect_error("C1", UPQR_ETLV, "tlv_truncated", 0, "C1");
	expect_error("C1 05 0102", UPQR_ETLV, "tlv_truncated", 0, "C1");
	expect_error("C1 81", UPQR_ETLV, "tlv_truncated", 0, "C1");
	expect_error("C1 82 01", UPQR_ETLV, "tlv_truncated", 0, "C1");
	expect_error("9F", UPQR_ETLV, "tlv_truncated", 0, "");
	expect_error("9F81", UPQR_ETLV, "tlv_truncated", 0, "");
	expect_error("DF81818101 00", UPQR_ETLV, "tlv_tag_too_long", 0, "");
	expect_error("00", UPQR_ETLV, "tlv_tag_invalid", 0, "");
	expect_error("C100 00 C100", UPQR_ETLV, "tlv_tag_invalid", 2, "");
	/* A child running past its parent (though inside the input) is an error. */
	expect_error("6103 4F05 0102030405", UPQR_ETLV, "tlv_truncated", 2, "61.4F");
	expect_error("6104 5A01AA 9F", UPQR_ETLV, "tlv_truncated", 5, "61");
	expect_error("6106 6304 9F2603 AA", UPQR_ETLV, "tlv_truncated", 4, "61.63.9F26");
}

static void test_depth_limit(void **state)
{
	(void)state;
	/* E1 nested n levels around one C1 00. */
	char hex[128];
	for (int levels = 6; levels <= 9; levels++) {
		hex[0] = 0;
		for (int i = 0; i < levels; i++) {
			char b[8];
			snprintf(b, sizeof b, "E1%02X", 2 * (levels - i));
			strcat(hex, b);
		}
		strcat(hex, "C100");
		parsed *p = parse_hex(hex, NULL);
		/* depth 0..7 may exist: 7 wrappers + the leaf is the deepest accepted. */
		if (levels <= 7) {
			assert_int_equal(p->rc, UPQR_OK);
			assert_int_equal(p->nodes[levels].depth, levels);
		} else {
			assert_int_equal(p->rc, UPQR_ETLV);
			assert_string_equal(p->diags.items[0].code, "tlv_too_deep");
		}
		free(p);
	}
	upqr_bertlv_options o;
	assert_int_equal(upqr_bertlv_options_init(&o, UPQR_BERTLV_OPTIONS_VERSION), UPQR_OK);
	o.max_depth = 1;
	parsed *p = parse_hex("E102C100", &o);
	assert_int_equal(p->rc, UPQR_ETLV);
	free(p);
	p = parse_hex("C100 E100", &o);
	assert_int_equal(p->rc, UPQR_OK);
	free(p);
	assert_int_equal(upqr_bertlv_depth_max(), UPQR_BERTLV_DEPTH_MAX);
	assert_int_equal(upqr_bertlv_tag_bytes_max(), UPQR_BERTLV_TAG_BYTES_MAX);
}

static void test_capacity_and_args(void **state)
{
	(void)state;
	parsed *p = parse_hex_cap("C100 C100 C100", NULL, 2);
	assert_int_equal(p->rc, UPQR_ELIMIT);
	assert_string_equal(p->diags.items[0].code, "tlv_too_many_objects");
	assert_int_equal(p->diags.items[0].offset, 4);
	assert_int_equal(p->count, 2);
	free(p);
	upqr_bertlv_node n[2];
	size_t count = 9;
	uint8_t d[2] = { 0xC1, 0x00 };
	assert_int_equal(upqr_bertlv_parse(n, 2, NULL, NULL, d, 2, NULL), UPQR_EINVAL);
	assert_int_equal(upqr_bertlv_parse(n, 2, &count, NULL, NULL, 2, NULL), UPQR_EINVAL);
	assert_int_equal(count, 0);
	assert_int_equal(upqr_bertlv_parse(NULL, 2, &count, NULL, d, 2, NULL), UPQR_EINVAL);
	upqr_bertlv_options o = UPQR_BERTLV_OPTIONS_INIT;
	o.version = 99;
	assert_int_equal(upqr_bertlv_parse(n, 2, &count, &o, d, 2, NULL), UPQR_EVERSION);
	assert_int_equal(upqr_bertlv_options_init(&o, 99), UPQR_EVERSION);
	assert_int_equal(upqr_bertlv_options_init(NULL, UPQR_BERTLV_OPTIONS_VERSION), UPQR_EINVAL);
	o.version = UPQR_BERTLV_OPTIONS_VERSION;
	o.opaque_count = 1;
	assert_int_equal(upqr_bertlv_parse(n, 2, &count, &o, d, 2, NULL), UPQR_EINVAL);
	o.opaque_count = 0;
	o.max_depth = UPQR_BERTLV_DEPTH_MAX + 1;
	assert_int_equal(upqr_bertlv_parse(n, 2, &count, &o, d, 2, NULL), UPQR_EINVAL);
	/* No diagnostics list is fine. */
	assert_int_equal(upqr_bertlv_parse(n, 2, &count, NULL, d, 1, NULL), UPQR_ETLV);
}

static void test_opaque(void **state)
{
	(void)state;
	static const uint32_t opaque[] = { 0x63 };
	upqr_bertlv_options o = UPQR_BERTLV_OPTIONS_INIT;
	o.opaque_tags = opaque;
	o.opaque_count = 1;
	/* Well-formed content: children parsed, node flagged opaque. */
	parsed *p = parse_hex("6304 9F260100 C100", &o);
	assert_int_equal(p->rc, UPQR_OK);
	assert_true(p->nodes[0].opaque);
	assert_int_equal(p->nodes[0].first_child, 1);
	assert_int_equal(p->count, 3);
	free(p);
	/* Malformed content: kept as bytes, a warning, parsing continues. */
	p = parse_hex("6303 9F2605 C100", &o);
	assert_int_equal(p->rc, UPQR_OK);
	assert_int_equal(p->count, 2);
	assert_int_equal(p->nodes[0].first_child, UPQR_BERTLV_NONE);
	assert_int_equal(p->nodes[1].tag, 0xC1);
	assert_int_equal(p->nodes[0].next, 1);
	assert_int_equal(p->diags.count, 1);
	assert_string_equal(p->diags.items[0].code, "tlv_opaque_content");
	assert_int_equal(p->diags.items[0].severity, UPQR_SEV_WARNING);
	free(p);
	/* Without the option the same bytes are an error. */
	p = parse_hex("6303 9F2605 C100", NULL);
	assert_int_equal(p->rc, UPQR_ETLV);
	free(p);
	/* Running out of node room inside opaque content drops just the children. */
	p = parse_hex_cap("6306 C100 C100 C100 C100", &o, 3);
	assert_int_equal(p->rc, UPQR_OK);
	assert_int_equal(p->count, 2);
	assert_int_equal(p->nodes[0].first_child, UPQR_BERTLV_NONE);
	assert_int_equal(p->nodes[1].offset, 8);
	free(p);
	/* ... but the structure outside it must still fit. */
	p = parse_hex_cap("6306 C100 C100 C100 C100 C100", &o, 2);
	assert_int_equal(p->rc, UPQR_ELIMIT);
	free(p);
}

/* Every prefix of a valid encoding, in a buffer of exactly that size (ASan guards the end). */
static void test_prefixes_never_overread(void **state)
{
	(void)state;
	uint8_t full[128];
	size_t n = unhex(full, "8505435056303161 1A4F07A0000000555555570F1234567890123458D191220112345F"
			"DF818101 8181" "00000000000000000000000000000000000000000000000000000000000000000000"
			"0000000000000000000000000000000000000000000000000000000000000000");
	upqr_bertlv_node nodes[16];
	for (size_t len = 0; len <= n; len++) {
		uint8_t *b = malloc(len ? len : 1);
		memcpy(b, full, len);
		size_t count;
		int rc = upqr_bertlv_parse(nodes, 16, &count, NULL, b, len, NULL);
		assert_true(rc == UPQR_OK || rc == UPQR_ETLV);
		for (size_t i = 0; i < count; i++)
			assert_true(nodes[i].offset + nodes[i].header_len + nodes[i].length <= len);
		free(b);
	}
}

static void test_random_bytes_bounded(void **state)
{
	(void)state;
	uint64_t s = tu_seed();
	upqr_bertlv_node nodes[32];
	for (size_t it = 0; it < tu_iterations(20000); it++) {
		size_t len = tu_rand(&s) % 40;
		uint8_t *b = malloc(len ? len : 1);
		for (size_t i = 0; i < len; i++)
			b[i] = (uint8_t)(tu_rand(&s) % 4 ? tu_rand(&s) : (tu_rand(&s) & 1 ? 0x61 : 0x03));
		size_t count;
		int rc = upqr_bertlv_parse(nodes, 32, &count, NULL, b, len, NULL);
		assert_true(rc == UPQR_OK || rc == UPQR_ETLV || rc == UPQR_ELIMIT);
		for (size_t i = 0; i < count; i++) {
			assert_true(nodes[i].value_offset + nodes[i].length <= len);
			if (nodes[i].parent != UPQR_BERTLV_NONE) {
				const upqr_bertlv_node *pa = &nodes[nodes[i].parent];
				assert_true(nodes[i].value_offset + nodes[i].length <= pa->value_offset + pa->length);
			}
		}
		free(b);
	}
}

static void test_zero_allocations(void **state)
{
	(void)state;
	tu_alloc_stats st = { 0, 0, 0 }; /* fail_after 0: any allocation would fail */
	tu_alloc_install(&st);
	parsed *p = parse_hex("610E 4F01AA 6309 9F260111 DF81010103 5F2A020156", NULL);
	tu_alloc_uninstall();
	assert_int_equal(p->rc, UPQR_OK);
	assert_int_equal(st.allocs, 0);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tags_and_tree),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_capacity_and_args),
		cmocka_unit_test(test_opaque),
		cmocka_unit_test(test_prefixes_never_overread),
		cmocka_unit_test(test_random_bytes_bounded),
		cmocka_unit_test(test_zero_allocations),
	};
	return cmocka_run_group_tests_name("bertlv", tests, NULL, NULL);
}
