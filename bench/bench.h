/*
 * bench.h - tiny timing helpers for the `make bench` programs. Figures are
 * printed as "RESULT name value unit" lines that bench/run.sh collects.
 */
#ifndef UPQR_BENCH_H
#define UPQR_BENCH_H

#include <stdio.h>
#include <time.h>

static inline double bench_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static inline void bench_result(const char *name, double value, const char *unit)
{
	printf("RESULT %s %.3f %s\n", name, value, unit);
}

/* Keeps a computed value alive so the optimiser cannot drop the work. */
static inline void bench_sink(const volatile void *p)
{
	(void)p;
	__asm__ __volatile__("" : : "g"(p) : "memory");
}

#endif
