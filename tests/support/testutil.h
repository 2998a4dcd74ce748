/*
 * testutil.h - helpers shared by the unit tests: cmocka includes, a
 * counting/failing allocator, test-data paths and iteration scaling.
 */
#ifndef UPQR_TESTUTIL_H
#define UPQR_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "upqr.h"

/* Counting allocator: install, run code, read the counters, uninstall. */
typedef struct tu_alloc_stats {
	size_t allocs;      /* successful alloc + realloc calls */
	size_t frees;
	long fail_after;    /* fail the allocation after this many (-1: never) */
} tu_alloc_stats;

void tu_alloc_install(tu_alloc_stats *stats);
void tu_alloc_uninstall(void);

/* Number of iterations for property tests: n, or n/20 under UPQR_TEST_QUICK. */
size_t tu_iterations(size_t n);

/* Reads tests/data/NAME into a NUL-terminated malloc'd buffer; fails the test if absent. */
char *tu_read_data(const char *name, size_t *len);

/* Deterministic PRNG (xorshift64*) so failures reproduce; seed from UPQR_TEST_SEED. */
uint64_t tu_rand(uint64_t *state);
uint64_t tu_seed(void);

#endif
