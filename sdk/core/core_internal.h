/*
 * core_internal.h - plumbing shared by upqr's modules. Not installed; the
 * `upqr__` prefix marks symbols that are hidden from the shared library.
 */
#ifndef UPQR_CORE_INTERNAL_H
#define UPQR_CORE_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "upqr/common.h"

#if defined(__GNUC__)
# define UPQR__PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
# define UPQR__PRINTF(f, a)
#endif

#define UPQR__ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- allocation: every upqr allocation goes through the hook ---------- */
void *upqr__malloc(size_t size);
void *upqr__calloc(size_t n, size_t size);
void *upqr__realloc(void *ptr, size_t size);
void upqr__free(void *ptr);
/* Zeroes then frees: for anything that held a key or a PAN. */
void upqr__free_secret(void *ptr, size_t len);

/* ---- diagnostics -------------------------------------------------------- */
/* Records a problem; list may be NULL (then only the return value matters). */
void upqr__diag_add(upqr_diag_list *list, upqr_severity sev, const char *code,
		size_t offset, const char *path, const char *fmt, ...) UPQR__PRINTF(6, 7);
void upqr__diag_addv(upqr_diag_list *list, upqr_severity sev, const char *code,
		size_t offset, const char *path, const char *fmt, va_list ap) UPQR__PRINTF(6, 0);

/* ---- opaque handles ------------------------------------------------------ */
/*
 * Every opaque handle begins with `uint32_t magic`, set by its _new and
 * cleared by its _free. Because it is the first member of every handle, a
 * pointer to another kind of handle, or to zeroed memory, is told apart by
 * reading its first four bytes, and every entry point refuses it with
 * UPQR_EINVAL (a _free ignores it) instead of reading further.
 */
#define UPQR__HANDLE_OK(h, want) ((h) != NULL && (h)->magic == (want))

/* ---- last-error text of a handle ----------------------------------------- */
/* Size of every handle's last-error buffer. */
#define UPQR__ERR_MAX 256
/* Formats into buf (UPQR__ERR_MAX bytes) and returns status, so `return upqr__set_error(...)` reads well. */
int upqr__set_error(char *buf, int status, const char *fmt, ...) UPQR__PRINTF(3, 4);
int upqr__set_errorv(char *buf, int status, const char *fmt, va_list ap) UPQR__PRINTF(3, 0);
/*
 * A constructor's refusal (upqr_journal_open, upqr_acquirer_open): copies
 * msg into the caller's err (err_cap bytes, may be NULL / 0), since no
 * handle exists to hold it, and returns status.
 */
int upqr__set_open_error(char *err, size_t err_cap, int status, const char *msg);

/* ---- output buffers: caller buffer + capacity + written ---------------- */
/*
 * `written` is optional in every public call (common.h states the rule):
 * entry points start with UPQR__OPTIONAL_WRITTEN(written) and then store
 * through it unconditionally.
 */
#define UPQR__OPTIONAL_WRITTEN(w) \
	size_t upqr__written_ignored_; \
	if (!(w)) \
		(w) = &upqr__written_ignored_
/*
 * A writer that never overflows: once the capacity is exceeded it keeps
 * counting, so `len` is the size that would have been needed.
 */
typedef struct upqr__buf {
	uint8_t *data;
	size_t cap;
	size_t len;
} upqr__buf;

void upqr__buf_init(upqr__buf *b, void *data, size_t cap);
void upqr__buf_put(upqr__buf *b, const void *src, size_t n);
void upqr__buf_putc(upqr__buf *b, uint8_t c);
void upqr__buf_puts(upqr__buf *b, const char *s);
bool upqr__buf_fits(const upqr__buf *b);
/*
 * Finishes a write: stores the needed size in *written and returns
 * UPQR_EBUFSIZE when it did not fit. `nul` reserves one byte for a
 * terminating NUL (written, not counted in *written).
 */
int upqr__buf_finish(upqr__buf *b, size_t *written, bool nul);

/* ---- UTF-8 -------------------------------------------------------------- */
/*
 * Decodes one code point at s[0..n). Returns its byte length (1..4) and
 * stores the code point, or 0 for an invalid, overlong, surrogate or
 * truncated sequence.
 */
size_t upqr__utf8_next(const uint8_t *s, size_t n, uint32_t *cp);
/*
 * Counts the code points of s[0..n). Returns false on invalid UTF-8 and
 * stores the offset of the first bad byte in *bad (when bad != NULL).
 */
bool upqr__utf8_count(const uint8_t *s, size_t n, size_t *count, size_t *bad);
/* Byte length of the first `chars` code points of valid UTF-8 s[0..n); n if fewer. */
size_t upqr__utf8_bytes_for(const uint8_t *s, size_t n, size_t chars);

/* ---- hex ---------------------------------------------------------------- */
/* Hex value of one ASCII digit, or -1. */
int upqr__hexval(int c);
/* Writes 2*n upper-case hex digits (no NUL). */
void upqr__hex_upper(char *out, const uint8_t *in, size_t n);
/* Parses exactly 2*out_len hex digits of either case; false on bad input. */
bool upqr__hex_parse(uint8_t *out, size_t out_len, const char *hex, size_t hex_len);

#endif /* UPQR_CORE_INTERNAL_H */
