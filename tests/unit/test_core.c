/* test_core.c - status codes, allocator hook, diagnostics, CRC, UTF-8, buffers, hex. */
#include <string.h>

#include "testutil.h"
#include "core/core_internal.h"

static void test_version(void **state)
{
	(void)state;
	assert_string_equal(upqr_version(), UPQR_VERSION_STRING);
	assert_int_equal(upqr_version_num(), UPQR_VERSION_NUM);
	assert_true(UPQR_AT_LEAST_VERSION(0, 1, 0));
	assert_false(UPQR_AT_LEAST_VERSION(99, 0, 0));
}

static void test_strerror_every_code(void **state)
{
	(void)state;
	/* Every code in the reserved ranges that has a name has a distinct text. */
	int named = 0;
	for (int c = 0; c >= -120; c--) {
		const char *name = upqr_status_name(c);
		const char *text = upqr_strerror(c);
		assert_non_null(text);
		if (strcmp(name, "UPQR_UNKNOWN") == 0) {
			assert_string_equal(text, "unknown status code");
			continue;
		}
		named++;
		assert_true(strncmp(name, "UPQR_", 5) == 0);
		for (int d = c + 1; d <= 0; d++)
			if (strcmp(upqr_status_name(d), "UPQR_UNKNOWN") != 0)
				assert_string_not_equal(upqr_strerror(d), text);
	}
	assert_true(named >= 30);
	assert_string_equal(upqr_status_name(UPQR_EBUFSIZE), "UPQR_EBUFSIZE");
	assert_string_equal(upqr_strerror(12345), "unknown status code");
}

static void test_crc16_check_value(void **state)
{
	(void)state;
	assert_int_equal(upqr_crc16("123456789", 9), 0x29B1);
	assert_int_equal(upqr_crc16("", 0), 0xFFFF);
	uint16_t a = upqr_crc16("12345", 5);
	assert_int_equal(upqr_crc16_update(a, "6789", 4), 0x29B1);
}

/* Bit-at-a-time reference, to cross-check the table on random data. */
static uint16_t crc_ref(const uint8_t *p, size_t n)
{
	uint16_t c = 0xFFFF;
	for (size_t i = 0; i < n; i++) {
		c ^= (uint16_t)(p[i] << 8);
		for (int b = 0; b < 8; b++)
			c = (c & 0x8000) ? (uint16_t)((c << 1) ^ 0x1021) : (uint16_t)(c << 1);
	}
	return c;
}

static void test_crc16_against_reference(void **state)
{
	(void)state;
	uint64_t s = tu_seed();
	uint8_t buf[600];
	for (size_t it = 0; it < tu_iterations(2000); it++) {
		size_t n = tu_rand(&s) % sizeof buf;
		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)tu_rand(&s);
		assert_int_equal(upqr_crc16(buf, n), crc_ref(buf, n));
	}
}

/*
 * The sixteen-bytes-a-step CRC against the bit-at-a-time one: every length up
 * to 80 at every start alignment, random long inputs, and updates split at
 * random points (the register carried between calls of any length).
 */
static void test_crc16_slicing(void **state)
{
	(void)state;
	uint64_t s = tu_seed();
	static uint8_t buf[5000];
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (uint8_t)tu_rand(&s);
	for (size_t off = 0; off < 8; off++)
		for (size_t n = 0; n <= 80; n++)
			assert_int_equal(upqr_crc16(buf + off, n), crc_ref(buf + off, n));
	for (size_t it = 0; it < tu_iterations(400); it++) {
		size_t off = tu_rand(&s) % 16, n = tu_rand(&s) % (sizeof buf - off);
		uint16_t want = crc_ref(buf + off, n);
		assert_int_equal(upqr_crc16(buf + off, n), want);
		uint16_t c = 0xFFFF;
		for (size_t done = 0; done < n;) {
			size_t k = 1 + tu_rand(&s) % (n - done < 40 ? n - done : 40);
			c = upqr_crc16_update(c, buf + off + done, k);
			done += k;
		}
		assert_int_equal(c, want);
	}
}

static void test_allocator_hook(void **state)
{
	(void)state;
	tu_alloc_stats st = { 0, 0, -1 };
	tu_alloc_install(&st);
	void *p = upqr__malloc(10);
	assert_non_null(p);
	p = upqr__realloc(p, 20);
	assert_non_null(p);
	upqr_free(p);
	assert_int_equal(st.allocs, 2);
	assert_int_equal(st.frees, 1);
	st.fail_after = 2;
	assert_null(upqr__malloc(1));
	assert_null(upqr__calloc(SIZE_MAX / 2, 4)); /* overflow refused before allocating */
	tu_alloc_uninstall();
	upqr_allocator bad = { NULL, NULL, NULL, NULL };
	assert_int_equal(upqr_set_allocator(&bad), UPQR_EINVAL);
	upqr_free(NULL);
}

static void test_memzero(void **state)
{
	(void)state;
	uint8_t key[16];
	memset(key, 0xAB, sizeof key);
	upqr_memzero(key, sizeof key);
	for (size_t i = 0; i < sizeof key; i++)
		assert_int_equal(key[i], 0);
	upqr_memzero(NULL, 5);
}

static void test_diag_list(void **state)
{
	(void)state;
	upqr_diag items[2];
	upqr_diag_list l;
	upqr_diag_list_init(&l, items, 2);
	upqr__diag_add(&l, UPQR_SEV_ERROR, "crc_mismatch", 10, "", "CRC %s", "bad");
	upqr__diag_add(&l, UPQR_SEV_WARNING, "rfu_id", 20, "62.12", "RFU");
	upqr__diag_add(&l, UPQR_SEV_ERROR, "length_overrun", 30, "59", "too long");
	assert_int_equal(l.count, 2);
	assert_int_equal(l.dropped, 1);
	assert_int_equal(l.errors, 2);
	assert_int_equal(l.warnings, 1);
	assert_string_equal(items[0].message, "CRC bad");
	assert_string_equal(items[1].path, "62.12");
	assert_int_equal(items[1].offset, 20);
	assert_ptr_equal(upqr_diag_list_find(&l, "rfu_id"), &items[1]);
	assert_null(upqr_diag_list_find(&l, "length_overrun"));
	assert_string_equal(upqr_severity_name(UPQR_SEV_ERROR), "error");
	assert_string_equal(upqr_severity_name(UPQR_SEV_WARNING), "warning");
	upqr_diag_list_clear(&l);
	assert_int_equal(l.count + l.errors + l.warnings + l.dropped, 0);
	/* A list with no storage still counts; a NULL list is ignored. */
	upqr_diag_list_init(&l, NULL, 5);
	upqr__diag_add(&l, UPQR_SEV_ERROR, "x", 0, NULL, "y");
	assert_int_equal(l.errors, 1);
	assert_int_equal(l.count, 0);
	upqr__diag_add(NULL, UPQR_SEV_ERROR, "x", 0, NULL, "y");
	/* Long messages are truncated, never overflowed. */
	char longmsg[400];
	memset(longmsg, 'm', sizeof longmsg - 1);
	longmsg[sizeof longmsg - 1] = 0;
	upqr_diag_list_init(&l, items, 1);
	upqr__diag_add(&l, UPQR_SEV_ERROR, "x", 0, "0123456789012345678901", "%s", longmsg);
	assert_int_equal(strlen(items[0].message), UPQR_DIAG_MESSAGE_MAX - 1);
	assert_int_equal(strlen(items[0].path), UPQR_DIAG_PATH_MAX - 1);
}

static void test_utf8(void **state)
{
	(void)state;
	size_t n, bad;
	const char *zh = "\xe6\x9c\x80\xe4\xbd\xb3\xe8\xbf\x90\xe8\xbe\x93"; /* 最佳运输 */
	assert_true(upqr__utf8_count((const uint8_t *)zh, strlen(zh), &n, NULL));
	assert_int_equal(n, 4);
	assert_true(upqr__utf8_count((const uint8_t *)"\xf0\x9f\x98\x80" "a", 5, &n, NULL));
	assert_int_equal(n, 2);
	static const struct { const char *s; size_t bad; } invalid[] = {
		{ "a\x80", 1 },             /* lone continuation */
		{ "\xc0\xaf", 0 },          /* overlong '/' */
		{ "\xe0\x80\xaf", 0 },      /* overlong 3-byte */
		{ "ab\xed\xa0\x80", 2 },    /* surrogate D800 */
		{ "\xf4\x90\x80\x80", 0 },  /* above U+10FFFF */
		{ "\xe6\x9c", 0 },          /* truncated */
		{ "\xff", 0 },
		{ "xy\xe6\x9c" "a", 2 },    /* bad continuation */
	};
	for (size_t i = 0; i < UPQR__ARRAY_LEN(invalid); i++) {
		bad = 999;
		assert_false(upqr__utf8_count((const uint8_t *)invalid[i].s, strlen(invalid[i].s), &n, &bad));
		assert_int_equal(bad, invalid[i].bad);
	}
	assert_int_equal(upqr__utf8_bytes_for((const uint8_t *)zh, 12, 2), 6);
	assert_int_equal(upqr__utf8_bytes_for((const uint8_t *)zh, 12, 9), 12);
}

static void test_buf_size_query(void **state)
{
	(void)state;
	upqr__buf b;
	size_t w = 0;
	upqr__buf_init(&b, NULL, 0);
	upqr__buf_puts(&b, "hello");
	assert_int_equal(upqr__buf_finish(&b, &w, true), UPQR_EBUFSIZE);
	assert_int_equal(w, 5);
	char out[6];
	memset(out, 'x', sizeof out);
	upqr__buf_init(&b, out, 5);
	upqr__buf_puts(&b, "hello");
	assert_true(upqr__buf_fits(&b));
	assert_int_equal(upqr__buf_finish(&b, &w, true), UPQR_EBUFSIZE); /* no room for NUL */
	upqr__buf_init(&b, out, 6);
	upqr__buf_puts(&b, "hel");
	upqr__buf_putc(&b, 'l');
	upqr__buf_put(&b, "o", 1);
	assert_int_equal(upqr__buf_finish(&b, &w, true), UPQR_OK);
	assert_string_equal(out, "hello");
	upqr__buf_init(&b, out, 3);
	upqr__buf_puts(&b, "abcdef");
	assert_false(upqr__buf_fits(&b));
	assert_int_equal(upqr__buf_finish(&b, &w, false), UPQR_EBUFSIZE);
	assert_int_equal(w, 6);
}

static void test_hex(void **state)
{
	(void)state;
	uint8_t out[3];
	char s[7] = { 0 };
	assert_true(upqr__hex_parse(out, 3, "0aFf10", 6));
	assert_int_equal(out[0], 0x0A);
	assert_int_equal(out[1], 0xFF);
	upqr__hex_upper(s, out, 3);
	assert_string_equal(s, "0AFF10");
	assert_false(upqr__hex_parse(out, 3, "0aFf1", 5));
	assert_false(upqr__hex_parse(out, 3, "0aFg10", 6));
	assert_int_equal(upqr__hexval('g'), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_strerror_every_code),
		cmocka_unit_test(test_crc16_check_value),
		cmocka_unit_test(test_crc16_slicing),
		cmocka_unit_test(test_crc16_against_reference),
		cmocka_unit_test(test_allocator_hook),
		cmocka_unit_test(test_memzero),
		cmocka_unit_test(test_diag_list),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_buf_size_query),
		cmocka_unit_test(test_hex),
	};
	return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
