/*
 * alloc.c - the allocator hook. The hook is the one piece of process-wide
 * state upqr has (STYLE.md rule 11): it is set once, before use.
 */
#include <stdlib.h>
#include <string.h>

#include "core_internal.h"

static void *std_alloc(size_t size, void *user)
{
	(void)user;
	return malloc(size);
}

static void *std_realloc(void *ptr, size_t size, void *user)
{
	(void)user;
	return realloc(ptr, size);
}

static void std_free(void *ptr, void *user)
{
	(void)user;
	free(ptr);
}

static upqr_allocator hook = { std_alloc, std_realloc, std_free, NULL };

int upqr_set_allocator(const upqr_allocator *allocator)
{
	if (allocator == NULL) {
		hook = (upqr_allocator){ std_alloc, std_realloc, std_free, NULL };
		return UPQR_OK;
	}
	if (!allocator->alloc || !allocator->realloc || !allocator->free)
		return UPQR_EINVAL;
	hook = *allocator;
	return UPQR_OK;
}

void *upqr__malloc(size_t size)
{
	return hook.alloc(size ? size : 1, hook.user);
}

void *upqr__calloc(size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size)
		return NULL;
	void *p = upqr__malloc(n * size);
	if (p)
		memset(p, 0, n * size);
	return p;
}

void *upqr__realloc(void *ptr, size_t size)
{
	return hook.realloc(ptr, size ? size : 1, hook.user);
}

void upqr__free(void *ptr)
{
	if (ptr)
		hook.free(ptr, hook.user);
}

void upqr__free_secret(void *ptr, size_t len)
{
	if (!ptr)
		return;
	upqr_memzero(ptr, len);
	upqr__free(ptr);
}

void upqr_free(void *ptr)
{
	upqr__free(ptr);
}

void upqr_memzero(void *p, size_t len)
{
	/* A volatile function pointer keeps the compiler from eliding the store. */
	static void *(*const volatile do_memset)(void *, int, size_t) = memset;
	if (p && len)
		do_memset(p, 0, len);
}
