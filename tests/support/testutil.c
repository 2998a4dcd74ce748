/* testutil.c - see testutil.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static tu_alloc_stats *cur;

static int may_alloc(void)
{
	if (cur->fail_after >= 0 && (long)cur->allocs >= cur->fail_after)
		return 0;
	cur->allocs++;
	return 1;
}

static void *tu_alloc(size_t n, void *u)
{
	(void)u;
	return may_alloc() ? malloc(n) : NULL;
}

static void *tu_realloc(void *p, size_t n, void *u)
{
	(void)u;
	return may_alloc() ? realloc(p, n) : NULL;
}

static void tu_free(void *p, void *u)
{
	(void)u;
	if (p)
		cur->frees++;
	free(p);
}

void tu_alloc_install(tu_alloc_stats *stats)
{
	static const upqr_allocator a = { tu_alloc, tu_realloc, tu_free, NULL };
	cur = stats;
	assert_int_equal(upqr_set_allocator(&a), UPQR_OK);
}

void tu_alloc_uninstall(void)
{
	assert_int_equal(upqr_set_allocator(NULL), UPQR_OK);
	cur = NULL;
}

size_t tu_iterations(size_t n)
{
	const char *q = getenv("UPQR_TEST_QUICK");
	if (q && *q && *q != '0')
		return n / 20 ? n / 20 : 1;
	return n;
}

char *tu_read_data(const char *name, size_t *len)
{
	char path[512];
	snprintf(path, sizeof path, "tests/data/%s", name);
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s (run tests from the project root)", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	buf[n] = 0;
	if (len)
		*len = (size_t)n;
	return buf;
}

uint64_t tu_rand(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

uint64_t tu_seed(void)
{
	const char *e = getenv("UPQR_TEST_SEED");
	uint64_t seed = e ? strtoull(e, NULL, 0) : 0x5EED5EED1234ULL;
	return seed ? seed : 1;
}
