/*
 * qr_internal.h - private plumbing of sdk/qr. Renderers work on a module
 * view that is either a caller's matrix (0/1) or libqrencode's QRcode data
 * (bit 0 = dark, higher bits describe the module), so they read `& 1` only
 * and the one-call paths never copy the matrix.
 */
#ifndef UPQR_QR_INTERNAL_H
#define UPQR_QR_INTERNAL_H

#include <stdio.h>

#include <qrencode.h>

#include "core/core_internal.h"
#include "upqr/qr.h"

typedef struct upqr__qr_view {
	const uint8_t *m;   /* size*size, row-major, bit 0 = dark */
	size_t size;
} upqr__qr_view;

#define UPQR__QR_DARK(v, x, y) ((v)->m[(y) * (v)->size + (x)] & 1)

/* Validates *src (NULL = defaults) and copies it into *dst. */
int upqr__qr_opts(upqr_qr_options *dst, const upqr_qr_options *src);
/* Validates a caller's matrix and its size. */
int upqr__qr_view_check(upqr__qr_view *v, const uint8_t *modules, size_t size);
/* Both of the above: the common start of every modules -> image call. */
int upqr__qr_args(upqr_qr_options *o, upqr__qr_view *v, const upqr_qr_options *opts,
		const uint8_t *modules, size_t size);
/* Pixels per side for a valid size and validated options. */
size_t upqr__qr_side(size_t size, const upqr_qr_options *o);

/*
 * Encodes a payload with validated options. On success *out owns a QRcode
 * (release with QRcode_free) and info (may be NULL) is filled.
 */
int upqr__qr_encode(QRcode **out, upqr_qr_info *info, const upqr_qr_options *o,
		const uint8_t *payload, size_t len);

/* Renderers; the caller has checked options and view. */
void upqr__qr_pixels(uint8_t *out, const upqr__qr_view *v, const upqr_qr_options *o);
void upqr__qr_svg(upqr__buf *b, const upqr__qr_view *v, const upqr_qr_options *o);
void upqr__qr_text(upqr__buf *b, const upqr__qr_view *v, const upqr_qr_options *o);
/* PNG into a counting buffer (file == NULL) or a stdio stream (b == NULL). */
int upqr__qr_png(upqr__buf *b, FILE *file, const upqr__qr_view *v, const upqr_qr_options *o);

/*
 * Atomic file write: calls write(f, ctx) on a fresh temporary file next to
 * path, then flushes, syncs and renames it over path; removes it on failure.
 */
int upqr__qr_write_atomic(const char *path, int (*write)(FILE *f, void *ctx), void *ctx);

#endif /* UPQR_QR_INTERNAL_H */
