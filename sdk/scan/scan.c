/*
 * scan.c - the scanner handle: inputs to grey, the scan passes, ZBar, and
 * the symbols handed back.
 *
 * ZBar is configured once per handle: every symbology off, then QR on, in
 * binary mode (raw byte-mode bytes; no character-set guessing).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <zbar.h>

#include "scan/scan_internal.h"

#define SCAN_MAGIC 0x5343414eu /* "SCAN" */

typedef struct scan_slot {
	upqr_scan_symbol sym;
	upqr_diag diag[UPQR_SCAN_DIAG_MAX];
	uint8_t *bytes;
} scan_slot;

struct upqr_scanner {
	unsigned int magic;
	upqr_scan_options opts;
	zbar_image_scanner_t *zbar;
	upqr__scan_work *work; /* the MPM/CPM decoders' scratch */
	scan_slot slots[UPQR_SCAN_MAX_SYMBOLS];
	size_t count;
	char err[UPQR__ERR_MAX];
};

size_t upqr_scan_max_pixels(void) { return UPQR_SCAN_MAX_PIXELS; }
size_t upqr_scan_max_dimension(void) { return UPQR_SCAN_MAX_DIMENSION; }
size_t upqr_scan_max_file_bytes(void) { return UPQR_SCAN_MAX_FILE_BYTES; }
size_t upqr_scan_max_symbols(void) { return UPQR_SCAN_MAX_SYMBOLS; }

int upqr_scan_options_init(upqr_scan_options *opts, unsigned int version)
{
	if (!opts)
		return UPQR_EINVAL;
	if (version != UPQR_SCAN_OPTIONS_VERSION)
		return UPQR_EVERSION;
	const upqr_scan_options def = UPQR_SCAN_OPTIONS_INIT;
	*opts = def;
	return UPQR_OK;
}

static int set_error(upqr_scanner *s, int rc, const char *fmt, ...) UPQR__PRINTF(3, 4);
static int set_error(upqr_scanner *s, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	upqr__set_errorv(s->err, rc, fmt, ap);
	va_end(ap);
	return rc;
}

int upqr_scanner_new(upqr_scanner **out, const upqr_scan_options *opts)
{
	if (!out)
		return UPQR_EINVAL;
	*out = NULL;
	upqr_scan_options o = UPQR_SCAN_OPTIONS_INIT;
	if (opts) {
		if (opts->version != UPQR_SCAN_OPTIONS_VERSION)
			return UPQR_EVERSION;
		o = *opts;
	}
	if (o.max_pixels == 0)
		o.max_pixels = UPQR_SCAN_DEFAULT_PIXELS;
	if (o.max_pixels > UPQR_SCAN_MAX_PIXELS)
		o.max_pixels = UPQR_SCAN_MAX_PIXELS;
	upqr_scanner *s = upqr__calloc(1, sizeof *s);
	if (!s)
		return UPQR_ENOMEM;
	s->magic = SCAN_MAGIC;
	s->opts = o;
	s->zbar = zbar_image_scanner_create();
	s->work = upqr__malloc(sizeof *s->work);
	if (!s->zbar || !s->work) {
		if (s->zbar)
			zbar_image_scanner_destroy(s->zbar);
		upqr__free(s->work);
		upqr__free(s);
		return UPQR_ENOMEM;
	}
	/* Only QR: the other decoders are attack surface a payment scanner does not need. */
	zbar_image_scanner_set_config(s->zbar, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
	zbar_image_scanner_set_config(s->zbar, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
	zbar_image_scanner_set_config(s->zbar, ZBAR_QRCODE, ZBAR_CFG_BINARY, 1);
	*out = s;
	return UPQR_OK;
}

static void clear_results(upqr_scanner *s)
{
	for (size_t i = 0; i < s->count; i++) {
		upqr__free(s->slots[i].bytes);
		s->slots[i].bytes = NULL;
	}
	s->count = 0;
}

void upqr_scanner_free(upqr_scanner *s)
{
	if (!s || s->magic != SCAN_MAGIC)
		return;
	clear_results(s);
	zbar_image_scanner_destroy(s->zbar);
	upqr__free(s->work);
	s->magic = 0;
	upqr__free(s);
}

const char *upqr_scanner_last_error(const upqr_scanner *s)
{
	return s && s->magic == SCAN_MAGIC ? s->err : "";
}

void *upqr__scanner_zbar(const upqr_scanner *s)
{
	return s && s->magic == SCAN_MAGIC ? s->zbar : NULL;
}

const upqr_scan_symbol *upqr_scanner_symbol(const upqr_scanner *s, size_t i)
{
	if (!s || s->magic != SCAN_MAGIC || i >= s->count)
		return NULL;
	return &s->slots[i].sym;
}

/* ---- collecting symbols ------------------------------------------------------ */

static bool have_valid_payment(const upqr_scanner *s)
{
	for (size_t i = 0; i < s->count; i++)
		if (s->slots[i].sym.valid)
			return true;
	return false;
}

static bool seen_bytes(const upqr_scanner *s, const uint8_t *d, size_t n)
{
	for (size_t i = 0; i < s->count; i++)
		if (s->slots[i].sym.len == n && memcmp(s->slots[i].bytes, d, n) == 0)
			return true;
	return false;
}

static int add_symbol(upqr_scanner *s, const zbar_symbol_t *zs, const upqr__xform *t,
		const char *pass)
{
	const uint8_t *d = (const uint8_t *)zbar_symbol_get_data(zs);
	size_t n = zbar_symbol_get_data_length(zs);
	if (!d || seen_bytes(s, d, n) || s->count >= UPQR_SCAN_MAX_SYMBOLS)
		return UPQR_OK;
	scan_slot *slot = &s->slots[s->count];
	slot->bytes = upqr__malloc(n + 1);
	if (!slot->bytes)
		return UPQR_ENOMEM;
	memcpy(slot->bytes, d, n);
	slot->bytes[n] = 0;
	upqr__scan_classify(&slot->sym, slot->diag, UPQR_SCAN_DIAG_MAX, s->opts.mpm_profile,
		s->work, slot->bytes, n);
	slot->sym.pass = pass;
	unsigned pts = zbar_symbol_get_loc_size(zs);
	for (unsigned i = 0; i < pts && i < 4; i++) {
		upqr__xform_apply(t, zbar_symbol_get_loc_x(zs, i), zbar_symbol_get_loc_y(zs, i),
			&slot->sym.corners[i].x, &slot->sym.corners[i].y);
		slot->sym.corner_count = i + 1;
	}
	s->count++;
	return UPQR_OK;
}

static int zbar_pass(upqr_scanner *s, const upqr__gimg *img, const upqr__xform *t, const char *pass)
{
	zbar_image_t *zi = zbar_image_create();
	if (!zi)
		return UPQR_ENOMEM;
	zbar_image_set_format(zi, zbar_fourcc('Y', '8', '0', '0'));
	zbar_image_set_size(zi, (unsigned)img->w, (unsigned)img->h);
	zbar_image_set_data(zi, img->px, (unsigned long)img->w * (unsigned long)img->h, NULL);
	int rc = UPQR_OK;
	if (zbar_scan_image(s->zbar, zi) > 0)
		for (const zbar_symbol_t *zs = zbar_image_first_symbol(zi); zs && rc == UPQR_OK;
				zs = zbar_symbol_next(zs))
			if (zbar_symbol_get_type(zs) == ZBAR_QRCODE)
				rc = add_symbol(s, zs, t, pass);
	zbar_image_destroy(zi);
	return rc;
}

/* ---- the passes ------------------------------------------------------------ */

/*
 * Each pass is a short chain of operations on the original picture,
 * ordered by how often it rescues a real camera image per unit of time
 * (measured on the degraded corpus of tests/unit/test_scan_corpus.c):
 * light-on-dark codes, uneven light and glare, soft focus and noise, then
 * size and angle trouble.
 */
typedef enum pass_op {
	OP_END = 0, OP_INVERT, OP_STRETCH, OP_BINARIZE, OP_BLUR1, OP_SHARPEN, OP_DEBLUR, OP_RESHARPEN,
	OP_HALF, OP_THIRD, OP_QUARTER, OP_DOUBLE, OP_ROT_P, OP_ROT_M,
	OP_KEY_RIGHT, OP_KEY_DOWN, OP_KEY_LEFT, OP_KEY_UP,
	OP_KEY2_RIGHT, OP_KEY2_DOWN, OP_KEY2_LEFT, OP_KEY2_UP
} pass_op;

typedef struct pass_def {
	const char *name;
	pass_op ops[4];
} pass_def;

static const pass_def PASSES[] = {
	{ "plain", { OP_END } },
	{ "invert", { OP_INVERT } },
	{ "binarize", { OP_BINARIZE } },
	{ "half", { OP_HALF } },
	{ "blur", { OP_BLUR1 } },
	{ "sharpen", { OP_SHARPEN } },
	{ "deblur", { OP_DEBLUR } },
	{ "keystone-right", { OP_KEY_RIGHT } },
	{ "keystone-down", { OP_KEY_DOWN } },
	{ "keystone-left", { OP_KEY_LEFT } },
	{ "keystone-up", { OP_KEY_UP } },
	{ "blur-binarize", { OP_BLUR1, OP_BINARIZE } },
	/* Two box blurs (near-Gaussian) kill sensor noise; the unsharp mask restores the edges. */
	{ "denoise", { OP_BLUR1, OP_BLUR1, OP_RESHARPEN } },
	{ "double", { OP_DOUBLE } },
	{ "stretch", { OP_STRETCH } },
	{ "double-binarize", { OP_DOUBLE, OP_BINARIZE } },
	{ "sharpen-binarize", { OP_SHARPEN, OP_BINARIZE } },
	{ "quarter", { OP_QUARTER } },
	{ "half-binarize", { OP_HALF, OP_BINARIZE } },
	{ "invert-binarize", { OP_INVERT, OP_BINARIZE } },
	{ "rotate+15", { OP_ROT_P } },
	{ "rotate-15", { OP_ROT_M } },
	{ "double-sharpen", { OP_DOUBLE, OP_SHARPEN } },
	{ "third", { OP_THIRD } },
	{ "keystone-right-35", { OP_KEY2_RIGHT } },
	{ "keystone-down-35", { OP_KEY2_DOWN } },
	{ "keystone-left-35", { OP_KEY2_LEFT } },
	{ "keystone-up-35", { OP_KEY2_UP } },
};

/*
 * Upscaling a big frame costs four ZBar passes' time and rarely helps: a code
 * a person aims at fills enough of a 720p or larger frame to have modules of
 * 2 px or more.
 */
#define DOUBLE_MAX_SIDE 1024

static bool apply_op(upqr__gimg *out, const upqr__gimg *in, pass_op op, upqr__xform *t)
{
	switch (op) {
	case OP_INVERT: return upqr__op_invert(out, in);
	case OP_STRETCH: return upqr__op_stretch(out, in);
	case OP_BINARIZE: return upqr__op_binarize(out, in);
	case OP_BLUR1: return upqr__op_box_blur(out, in, 1);
	case OP_SHARPEN: return upqr__op_sharpen(out, in, 2, 2);
	/* Strong unsharp mask: heavy defocus (blur near half a module) still leaves readable edges. */
	case OP_DEBLUR: return upqr__op_sharpen(out, in, 2, 5);
	case OP_RESHARPEN: return upqr__op_sharpen(out, in, 2, 3);
	case OP_HALF: return upqr__op_scale(out, in, 1, 2, t);
	case OP_THIRD: return upqr__op_scale(out, in, 1, 3, t);
	case OP_QUARTER: return upqr__op_scale(out, in, 1, 4, t);
	case OP_DOUBLE: return upqr__op_scale(out, in, 2, 1, t);
	case OP_ROT_P: return upqr__op_rotate(out, in, 15.0, t);
	case OP_ROT_M: return upqr__op_rotate(out, in, -15.0, t);
	/* A 20% pinch undoes most tilts of 20-45 degrees that ZBar's own fit misses. */
	case OP_KEY_RIGHT: return upqr__op_keystone(out, in, 0, 0.2, t);
	case OP_KEY_DOWN: return upqr__op_keystone(out, in, 1, 0.2, t);
	case OP_KEY_LEFT: return upqr__op_keystone(out, in, 2, 0.2, t);
	case OP_KEY_UP: return upqr__op_keystone(out, in, 3, 0.2, t);
	/* Steeper views (45-60 degrees), tried last. */
	case OP_KEY2_RIGHT: return upqr__op_keystone(out, in, 0, 0.35, t);
	case OP_KEY2_DOWN: return upqr__op_keystone(out, in, 1, 0.35, t);
	case OP_KEY2_LEFT: return upqr__op_keystone(out, in, 2, 0.35, t);
	case OP_KEY2_UP: return upqr__op_keystone(out, in, 3, 0.35, t);
	case OP_END: break;
	}
	return false;
}

static bool pass_applies(const pass_def *p, const upqr__gimg *img)
{
	int side = img->w > img->h ? img->w : img->h, small = img->w < img->h ? img->w : img->h;
	for (size_t i = 0; i < UPQR__ARRAY_LEN(p->ops) && p->ops[i] != OP_END; i++) {
		if (p->ops[i] == OP_DOUBLE && side > DOUBLE_MAX_SIDE)
			return false;
		/*
		 * A rotated canvas of a long thin picture can be several times its
		 * area (16384 x 1024 turned 15 degrees is 84 Mpx): rotate only pictures
		 * whose canvas stays under twice their size.
		 */
		if ((p->ops[i] == OP_ROT_P || p->ops[i] == OP_ROT_M) && side > 3 * small)
			return false;
		/* Shrinking below ~21 modules' worth of pixels cannot leave a readable symbol. */
		if ((p->ops[i] == OP_HALF && small < 84) || (p->ops[i] == OP_THIRD && small < 126) ||
				(p->ops[i] == OP_QUARTER && small < 168))
			return false;
	}
	return true;
}

static int run_pass(upqr_scanner *s, const upqr__gimg *orig, const pass_def *p)
{
	upqr__xform t;
	upqr__xform_identity(&t);
	upqr__gimg cur = *orig, next;
	bool owned = false;
	for (size_t i = 0; i < UPQR__ARRAY_LEN(p->ops) && p->ops[i] != OP_END; i++) {
		if (!apply_op(&next, &cur, p->ops[i], &t)) {
			if (owned)
				upqr__gimg_release(&cur);
			return UPQR_ENOMEM;
		}
		if (owned)
			upqr__gimg_release(&cur);
		cur = next;
		owned = true;
	}
	int rc = zbar_pass(s, &cur, &t, p->name);
	if (owned)
		upqr__gimg_release(&cur);
	return rc;
}

static int scan_grey_image(size_t *count, upqr_scanner *s, const upqr__gimg *img)
{
	size_t ran = 0;
	for (size_t i = 0; i < UPQR__ARRAY_LEN(PASSES); i++) {
		if (i > 0 && !s->opts.try_harder)
			break;
		if (s->opts.max_passes && ran >= s->opts.max_passes)
			break;
		if (!s->opts.exhaustive && have_valid_payment(s))
			break;
		if (!pass_applies(&PASSES[i], img))
			continue;
		int rc = run_pass(s, img, &PASSES[i]);
		ran++;
		if (rc != UPQR_OK)
			return set_error(s, rc, "out of memory in scan pass %s", PASSES[i].name);
	}
	*count = s->count;
	if (s->count == 0)
		return set_error(s, UPQR_ENOSYMBOL, "no QR symbol found");
	return UPQR_OK;
}

/* ---- inputs ---------------------------------------------------------------- */

/* Common entry checks; clears the previous results. */
static int begin(size_t *count, upqr_scanner *s)
{
	if (count)
		*count = 0;
	if (!s || s->magic != SCAN_MAGIC)
		return UPQR_EINVAL;
	clear_results(s);
	s->err[0] = 0;
	return count ? UPQR_OK : set_error(s, UPQR_EINVAL, "count must not be NULL");
}

static int check_frame(upqr_scanner *s, const uint8_t *px, size_t len, unsigned w, unsigned h,
		size_t stride, size_t bpp, size_t extra)
{
	if (!px || w == 0 || h == 0)
		return set_error(s, UPQR_EINVAL, "no pixels or zero size");
	if (w > UPQR_SCAN_MAX_DIMENSION || h > UPQR_SCAN_MAX_DIMENSION ||
			(size_t)w * h > s->opts.max_pixels)
		return set_error(s, UPQR_ELIMIT, "%ux%u is over the pixel cap of %zu", w, h,
			s->opts.max_pixels);
	if (stride < (size_t)w * bpp)
		return set_error(s, UPQR_EINVAL, "stride %zu is less than the row size", stride);
	/* stride <= SIZE_MAX / h is implied by the caller owning len bytes; check anyway. */
	if (stride > (SIZE_MAX - extra) / h || len < stride * (h - 1) + (size_t)w * bpp + extra)
		return set_error(s, UPQR_EINVAL, "buffer of %zu bytes is too short for the frame", len);
	return UPQR_OK;
}

/* Copies a strided frame into a packed grey image, converting bpp-byte pixels. */
static int frame_to_grey(upqr__gimg *img, upqr_scanner *s, const uint8_t *px, unsigned w,
		unsigned h, size_t stride, size_t bpp)
{
	if (!upqr__gimg_alloc(img, (int)w, (int)h))
		return set_error(s, UPQR_ENOMEM, "out of memory for a %ux%u frame", w, h);
	for (unsigned y = 0; y < h; y++) {
		const uint8_t *row = px + (size_t)y * stride;
		uint8_t *dst = img->px + (size_t)y * w;
		if (bpp == 1) {
			memcpy(dst, row, w);
			continue;
		}
		/* BGRA -> luma (BT.601 weights, 8-bit fixed point). */
		for (unsigned x = 0; x < w; x++) {
			const uint8_t *p = row + (size_t)x * 4;
			dst[x] = (uint8_t)((29u * p[0] + 150u * p[1] + 77u * p[2]) >> 8);
		}
	}
	return UPQR_OK;
}

static int scan_frame(size_t *count, upqr_scanner *s, const uint8_t *px, size_t len, unsigned w,
		unsigned h, size_t stride, size_t bpp, size_t extra)
{
	int rc = begin(count, s);
	if (rc == UPQR_OK)
		rc = check_frame(s, px, len, w, h, stride, bpp, extra);
	if (rc != UPQR_OK)
		return rc;
	upqr__gimg img;
	rc = frame_to_grey(&img, s, px, w, h, stride, bpp);
	if (rc != UPQR_OK)
		return rc;
	rc = scan_grey_image(count, s, &img);
	upqr__gimg_release(&img);
	return rc;
}

int upqr_scan_grey(size_t *count, upqr_scanner *s, const uint8_t *pixels, size_t len,
		unsigned int width, unsigned int height, size_t stride)
{
	return scan_frame(count, s, pixels, len, width, height, stride, 1, 0);
}

int upqr_scan_nv21(size_t *count, upqr_scanner *s, const uint8_t *frame, size_t len,
		unsigned int width, unsigned int height, size_t y_stride)
{
	/* The VU plane follows the Y plane: (height+1)/2 rows of the same stride. */
	size_t vu = 0;
	if (frame && width && height && y_stride >= width && height <= UPQR_SCAN_MAX_DIMENSION &&
			y_stride <= SIZE_MAX / UPQR_SCAN_MAX_DIMENSION)
		vu = y_stride * ((height + 1) / 2);
	return scan_frame(count, s, frame, len, width, height, y_stride, 1, vu);
}

int upqr_scan_bgra(size_t *count, upqr_scanner *s, const uint8_t *pixels, size_t len,
		unsigned int width, unsigned int height, size_t stride)
{
	return scan_frame(count, s, pixels, len, width, height, stride, 4, 0);
}

int upqr_scan_image(size_t *count, upqr_scanner *s, const uint8_t *data, size_t len)
{
	static const uint8_t png_sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	int rc = begin(count, s);
	if (rc != UPQR_OK)
		return rc;
	if (!data && len)
		return set_error(s, UPQR_EINVAL, "data is NULL");
	upqr__gimg img;
	if (len >= 8 && memcmp(data, png_sig, 8) == 0)
		rc = upqr__decode_png(&img, data, len, s->opts.max_pixels, s->err, sizeof s->err);
	else if (len >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF)
		rc = upqr__decode_jpeg(&img, data, len, s->opts.max_pixels, s->err, sizeof s->err);
	else
		return set_error(s, UPQR_EIMAGE, "not a PNG or JPEG image");
	if (rc != UPQR_OK)
		return rc;
	rc = scan_grey_image(count, s, &img);
	upqr__gimg_release(&img);
	return rc;
}

static int read_file(upqr_scanner *s, const char *path, uint8_t **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return set_error(s, UPQR_EIO, "cannot open %s", path);
	size_t cap = 1 << 16, n = 0;
	uint8_t *buf = upqr__malloc(cap);
	int rc = buf ? UPQR_OK : UPQR_ENOMEM;
	while (rc == UPQR_OK) {
		if (n == cap) {
			if (cap >= UPQR_SCAN_MAX_FILE_BYTES) {
				rc = set_error(s, UPQR_ELIMIT, "%s is larger than %u bytes", path,
					UPQR_SCAN_MAX_FILE_BYTES);
				break;
			}
			uint8_t *nb = upqr__realloc(buf, cap * 2);
			if (!nb) {
				rc = UPQR_ENOMEM;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			if (ferror(f))
				rc = set_error(s, UPQR_EIO, "cannot read %s", path);
			break;
		}
	}
	fclose(f);
	if (rc != UPQR_OK) {
		upqr__free(buf);
		return rc == UPQR_ENOMEM ? set_error(s, rc, "out of memory reading %s", path) : rc;
	}
	*data = buf;
	*len = n;
	return UPQR_OK;
}

int upqr_scan_file(size_t *count, upqr_scanner *s, const char *path)
{
	int rc = begin(count, s);
	if (rc != UPQR_OK)
		return rc;
	if (!path)
		return set_error(s, UPQR_EINVAL, "path is NULL");
	uint8_t *data = NULL;
	size_t len = 0;
	rc = read_file(s, path, &data, &len);
	if (rc != UPQR_OK)
		return rc;
	rc = upqr_scan_image(count, s, data, len);
	upqr__free(data);
	return rc;
}
