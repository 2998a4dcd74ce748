/*
 * scan_internal.h - private pieces of the scan module: grey images, the
 * preprocessing operations of the scan passes, image decoding and payload
 * classification.
 */
#ifndef UPQR_SCAN_INTERNAL_H
#define UPQR_SCAN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core_internal.h"
#include "upqr/scan.h"

/* An 8-bit grey image, rows packed (stride == w), owned via upqr__malloc. */
typedef struct upqr__gimg {
	uint8_t *px;
	int w;
	int h;
} upqr__gimg;

/*
 * Buffers kept between camera frames: a scan in video mode takes its
 * working images from here and gives them back, so after the first frames
 * of a size no frame allocates. A NULL pool means plain upqr__malloc/free
 * (still images: nothing is kept after the scan).
 */
#define UPQR__POOL_SLOTS 8

typedef struct upqr__pool_slot {
	void *p;
	size_t cap;
	bool used;
} upqr__pool_slot;

typedef struct upqr__pool {
	upqr__pool_slot slot[UPQR__POOL_SLOTS];
} upqr__pool;

/* n bytes (uninitialised) from a free slot, growing one if needed; NULL on OOM. */
void *upqr__pool_get(upqr__pool *pool, size_t n);
/* Gives p back (or frees it when it is not the pool's). Accepts NULL. */
void upqr__pool_put(upqr__pool *pool, void *p);
/* Frees every slot (none may be in use). */
void upqr__pool_clear(upqr__pool *pool);

/* Allocates w*h pixels (uninitialised). false on overflow or OOM. */
bool upqr__gimg_alloc(upqr__gimg *img, int w, int h);
void upqr__gimg_release(upqr__gimg *img);
/* The same from a pool (NULL: as above). */
bool upqr__gimg_get(upqr__gimg *img, upqr__pool *pool, int w, int h);
void upqr__gimg_put(upqr__gimg *img, upqr__pool *pool);

/*
 * The projective map from a pass image's coordinates back to the
 * original's: z = m[6]*x + m[7]*y + m[8], ox = (m[0]*x + m[1]*y + m[2]) / z,
 * oy = (m[3]*x + m[4]*y + m[5]) / z.
 */
typedef struct upqr__xform {
	double m[9];
} upqr__xform;

void upqr__xform_identity(upqr__xform *t);
void upqr__xform_apply(const upqr__xform *t, double x, double y, int *ox, int *oy);

/*
 * Operations: each makes `out` from `in`, taking out's pixels (and any
 * scratch) from pool (false on OOM). `in` is only read.
 */
bool upqr__op_invert(upqr__gimg *out, upqr__pool *pool, const upqr__gimg *in);
bool upqr__op_stretch(upqr__gimg *out, upqr__pool *pool, const upqr__gimg *in);
bool upqr__op_binarize(upqr__gimg *out, upqr__pool *pool, const upqr__gimg *in);
/* The same with a small window (two modules of a 2x-upscaled small code). */
bool upqr__op_binarize_fine(upqr__gimg *out, upqr__pool *pool, const upqr__gimg *in);
/* The same over a window of about three upscaled modules, 5% below the mean (noisy codes). */
bool upqr__op_binarize_near(upqr__gimg *out, upqr__pool *pool, const upqr__gimg *in);
/* The same window, threshold at the local mean itself (glare-washed modules). */
bool upqr__op_binarize_mean(upqr__gimg *out, upqr__pool *pool, const upqr__gimg *in);
bool upqr__op_box_blur(upqr__gimg *out, upqr__pool *pool, const upqr__gimg *in, int radius);
bool upqr__op_sharpen(upqr__gimg *out, upqr__pool *pool, const upqr__gimg *in, int radius,
		int amount);
/* Scales by num/den (1/4 .. 3 in practice) with area averaging or bilinear; updates t. */
bool upqr__op_scale(upqr__gimg *out, upqr__pool *pool, const upqr__gimg *in, int num, int den,
		upqr__xform *t);
/* Doubles the size with cubic convolution (sharper module edges than bilinear); updates t. */
bool upqr__op_double_cubic(upqr__gimg *out, upqr__pool *pool, const upqr__gimg *in, upqr__xform *t);
/* Copies the rectangle (x, y, w, h) of in (clipped by the caller); updates t. */
bool upqr__op_crop(upqr__gimg *out, upqr__pool *pool, const upqr__gimg *in, int x, int y, int w,
		int h, upqr__xform *t);
/* Rotates by deg degrees about the centre onto a canvas that holds the whole image; updates t. */
bool upqr__op_rotate(upqr__gimg *out, upqr__pool *pool, const upqr__gimg *in, double deg,
		upqr__xform *t);
/*
 * Undoes a guessed camera tilt: the side of the image in direction
 * quarter * 90 degrees (0 = right, 1 = down, ...) is taken to be shrunk by
 * `shrink` (0..0.5) and is stretched back; quarter 4..7: corner quarter - 4
 * (top-left, then clockwise) is taken to be drawn in towards the centre by
 * `shrink` of its distance (a tilt along a diagonal); updates t.
 */
bool upqr__op_keystone(upqr__gimg *out, upqr__pool *pool, const upqr__gimg *in, int quarter,
		double shrink, upqr__xform *t);

/*
 * Decodes a PNG or JPEG into 8-bit grey (alpha composed over white).
 * Checks the header's size against max_pixels before decoding pixels.
 * Returns UPQR_OK, UPQR_EIMAGE, UPQR_ELIMIT or UPQR_ENOMEM, with a message
 * in err (cap errcap).
 */
int upqr__decode_png(upqr__gimg *out, const uint8_t *data, size_t len, size_t max_pixels,
		char *err, size_t errcap);
int upqr__decode_jpeg(upqr__gimg *out, const uint8_t *data, size_t len, size_t max_pixels,
		char *err, size_t errcap);

/* The decoders' work areas (MPM about 30 KiB, CPM about 10 KiB; one is used at a time). */
typedef union upqr__scan_work {
	upqr_mpm_payload mpm;
	upqr_cpm cpm;
} upqr__scan_work;

/*
 * upqr_scan_classify with a caller-provided work area (needed only for MPM
 * and CPM payloads; the scanner keeps one so scanning does not allocate it).
 */
int upqr__scan_classify(upqr_scan_symbol *out, upqr_diag *diag_storage, size_t diag_cap,
		const upqr_mpm_profile *profile, upqr__scan_work *work, const uint8_t *data, size_t len);

/* The handle's ZBar scanner (a zbar_image_scanner_t *), for tests that check its configuration. */
void *upqr__scanner_zbar(const upqr_scanner *scanner);

#endif /* UPQR_SCAN_INTERNAL_H */
