/*
 * scan_image.c - PNG (libpng) and JPEG (libjpeg-turbo) to 8-bit grey.
 *
 * Both libraries report errors by longjmp. Everything that must survive
 * the jump lives in a context struct reached through a pointer (never in
 * locals changed after setjmp), so cleanup after a jump sees the real
 * values. The size cap is checked from the header, before the pixel
 * buffer exists; libpng also gets user limits so no chunk can make it
 * allocate without bound, and libjpeg a cap on progressive scans.
 *
 * The header is also checked against what the file can hold: a 2 KB JPEG
 * claiming 4096 x 4096 would otherwise cost seconds of decoding grey
 * filler. Deflate packs at most 1032 bytes into one (258-byte matches at
 * two bits each), and every 8 x 8 block of a JPEG costs at least one bit
 * (its DC code), so headers beyond that are refused before decoding, and a
 * JPEG whose data runs out stops at once.
 */
#include <stdio.h>
#include <string.h>
#include <setjmp.h>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

#include "scan/scan_internal.h"

static void set_err(char *err, size_t cap, const char *msg)
{
	if (err && cap)
		snprintf(err, cap, "%s", msg);
}

static bool over_cap(size_t w, size_t h, size_t max_pixels)
{
	return w == 0 || h == 0 || w > UPQR_SCAN_MAX_DIMENSION || h > UPQR_SCAN_MAX_DIMENSION ||
		w * h > max_pixels;
}

/* Most bytes deflate can expand one compressed byte into. */
#define DEFLATE_RATIO_MAX 1032u

/* Channels of a PNG colour type (0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA). */
static size_t png_channels(unsigned type)
{
	return type == 2 ? 3 : type == 4 ? 2 : type == 6 ? 4 : 1;
}

/* Filtered image bytes of a PNG (a lower bound when interlaced) beyond what len bytes can inflate to? */
static bool png_implausible(size_t w, size_t h, unsigned depth, unsigned type, size_t len)
{
	size_t row = 1 + (w * depth * png_channels(type) + 7) / 8;
	return h * row / DEFLATE_RATIO_MAX > len;
}

/* ---- PNG ------------------------------------------------------------------ */

typedef struct png_ctx {
	jmp_buf jmp;
	const uint8_t *data;
	size_t len;
	size_t pos;
	upqr__gimg img;
	uint8_t *row;
	size_t alloc_cap;
	char msg[96];
} png_ctx;

static void png_on_error(png_structp png, png_const_charp msg)
{
	png_ctx *c = png_get_error_ptr(png);
	snprintf(c->msg, sizeof c->msg, "PNG: %s", msg);
	longjmp(c->jmp, 1);
}

static void png_on_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

static void png_on_read(png_structp png, png_bytep out, size_t n)
{
	png_ctx *c = png_get_io_ptr(png);
	if (n > c->len - c->pos)
		png_error(png, "truncated file");
	memcpy(out, c->data + c->pos, n);
	c->pos += n;
}

/*
 * libpng allocates a chunk's declared length before reading it, and in
 * Debian's build the chunk size limit does not stop an ancillary chunk: a
 * 57-byte file declaring a 2 GB tEXt made it allocate 2 GB (found by
 * fuzz_scan_image). No chunk can be longer than the file, and libpng's own
 * buffers (rows, zlib) stay far below 8 MiB, so anything larger is refused
 * (libpng then fails with "out of memory" -> UPQR_EIMAGE).
 */
static png_voidp png_on_malloc(png_structp png, png_alloc_size_t n)
{
	const png_ctx *c = png_get_mem_ptr(png);
	if (c && n > c->alloc_cap)
		return NULL;
	return upqr__malloc(n);
}

static void png_on_free(png_structp png, png_voidp p)
{
	(void)png;
	upqr__free(p);
}

/* Grey (+ alpha over white) row of `ch` channels into 8-bit grey. */
static void png_row_to_grey(uint8_t *dst, const uint8_t *src, int w, int ch)
{
	for (int x = 0; x < w; x++) {
		unsigned v = src[x * ch];
		if (ch == 2) {
			unsigned a = src[x * ch + 1];
			v = (v * a + 255u * (255u - a) + 127u) / 255u;
		}
		dst[x] = (uint8_t)v;
	}
}

static int png_decode_rows(png_ctx *c, png_structp png, png_infop info, size_t max_pixels)
{
	png_uint_32 w = 0, h = 0;
	int depth = 0, type = 0, interlace = 0;
	png_read_info(png, info);
	png_get_IHDR(png, info, &w, &h, &depth, &type, &interlace, NULL, NULL);
	if (over_cap(w, h, max_pixels)) {
		snprintf(c->msg, sizeof c->msg, "PNG: %ux%u is over the pixel budget", (unsigned)w, (unsigned)h);
		return UPQR_ELIMIT;
	}
	png_set_expand(png);
	png_set_strip_16(png);
	if (type & PNG_COLOR_MASK_COLOR)
		png_set_rgb_to_gray_fixed(png, 1, -1, -1);
	int passes = png_set_interlace_handling(png);
	png_read_update_info(png, info);
	int ch = png_get_channels(png, info);
	size_t rowbytes = png_get_rowbytes(png, info);
	if ((ch != 1 && ch != 2) || rowbytes < (size_t)w * (size_t)ch) {
		snprintf(c->msg, sizeof c->msg, "PNG: unexpected layout");
		return UPQR_EIMAGE;
	}
	if (!upqr__gimg_alloc(&c->img, (int)w, (int)h))
		return UPQR_ENOMEM;
	if (ch == 1) {
		/* Grey decodes straight into the image, interlaced or not. */
		for (int p = 0; p < passes; p++)
			for (png_uint_32 y = 0; y < h; y++)
				png_read_row(png, c->img.px + (size_t)y * w, NULL);
	} else {
		/* Grey+alpha: interlaced images need every row kept between passes. */
		size_t keep = passes > 1 ? h : 1;
		c->row = upqr__malloc(rowbytes * keep);
		if (!c->row)
			return UPQR_ENOMEM;
		for (int p = 0; p < passes; p++)
			for (png_uint_32 y = 0; y < h; y++) {
				uint8_t *row = c->row + (passes > 1 ? rowbytes * y : 0);
				png_read_row(png, row, NULL);
				if (p == passes - 1)
					png_row_to_grey(c->img.px + (size_t)y * w, row, (int)w, ch);
			}
	}
	png_read_end(png, NULL);
	return UPQR_OK;
}

int upqr__decode_png(upqr__gimg *out, const uint8_t *data, size_t len, size_t max_pixels,
		char *err, size_t errcap)
{
	/*
	 * The size first, straight from IHDR (always the first chunk): an image
	 * over the cap is refused before libpng reads or allocates anything.
	 */
	if (len >= 24 && memcmp(data + 12, "IHDR", 4) == 0) {
		size_t w = (size_t)data[16] << 24 | (size_t)data[17] << 16 | (size_t)data[18] << 8 | data[19];
		size_t h = (size_t)data[20] << 24 | (size_t)data[21] << 16 | (size_t)data[22] << 8 | data[23];
		if (w && h && over_cap(w, h, max_pixels)) {
			if (err && errcap)
				snprintf(err, errcap, "PNG: %zux%zu is over the pixel budget (max_pixels %zu)", w, h,
					max_pixels);
			return UPQR_ELIMIT;
		}
		if (len >= 26 && w && h && png_implausible(w, h, data[24], data[25], len)) {
			if (err && errcap)
				snprintf(err, errcap, "PNG: %zux%zu cannot be packed into %zu bytes", w, h, len);
			return UPQR_EIMAGE;
		}
	}
	png_ctx *c = upqr__calloc(1, sizeof *c);
	if (!c)
		return UPQR_ENOMEM;
	c->data = data;
	c->len = len;
	c->alloc_cap = (8u << 20) + len;
	int rc = UPQR_EIMAGE;
	png_structp png = png_create_read_struct_2(PNG_LIBPNG_VER_STRING, c, png_on_error,
			png_on_warning, c, png_on_malloc, png_on_free);
	png_infop info = png ? png_create_info_struct(png) : NULL;
	if (!png || !info) {
		rc = UPQR_ENOMEM;
		goto done;
	}
	if (setjmp(c->jmp)) {
		rc = UPQR_EIMAGE;
		goto done;
	}
	png_set_user_limits(png, UPQR_SCAN_MAX_DIMENSION, UPQR_SCAN_MAX_DIMENSION);
	png_set_chunk_cache_max(png, 128);
	png_set_chunk_malloc_max(png, 8u << 20);
	png_set_read_fn(png, c, png_on_read);
	rc = png_decode_rows(c, png, info, max_pixels);
done:
	if (png)
		png_destroy_read_struct(&png, info ? &info : NULL, NULL);
	if (rc == UPQR_OK) {
		*out = c->img;
	} else {
		upqr__gimg_release(&c->img);
		set_err(err, errcap, c->msg[0] ? c->msg : "PNG: cannot decode");
	}
	upqr__free(c->row);
	upqr__free(c);
	return rc;
}

/* ---- JPEG ----------------------------------------------------------------- */

/* Progressive files with thousands of scans cost minutes; real ones have < 20. */
#define JPEG_MAX_SCANS 256

typedef struct jpeg_ctx {
	struct jpeg_error_mgr pub;
	struct jpeg_progress_mgr progress;
	jmp_buf jmp;
	upqr__gimg img;
	uint8_t *row; /* CMYK scanline */
	bool truncated;
	char msg[96];
} jpeg_ctx;

static void jpeg_on_error(j_common_ptr cinfo)
{
	jpeg_ctx *c = (jpeg_ctx *)cinfo->err;
	char buf[JMSG_LENGTH_MAX];
	c->pub.format_message(cinfo, buf);
	memcpy(c->msg, "JPEG: ", 6);
	snprintf(c->msg + 6, sizeof c->msg - 6, "%.80s", buf);
	longjmp(c->jmp, 1);
}

static void jpeg_on_message(j_common_ptr cinfo, int level)
{
	jpeg_ctx *c = (jpeg_ctx *)cinfo->err;
	/* A warning (-1) about the data running out means a truncated file: stop, do not fill. */
	if (level < 0 && c->pub.msg_code == JWRN_JPEG_EOF) {
		c->truncated = true;
		snprintf(c->msg, sizeof c->msg, "JPEG: truncated file");
		longjmp(c->jmp, 1);
	}
	if (level < 0)
		c->pub.num_warnings++;
}

static void jpeg_on_progress(j_common_ptr cinfo)
{
	jpeg_ctx *c = (jpeg_ctx *)cinfo->err;
	if (cinfo->is_decompressor &&
			((j_decompress_ptr)cinfo)->input_scan_number > JPEG_MAX_SCANS) {
		snprintf(c->msg, sizeof c->msg, "JPEG: more than %d scans", JPEG_MAX_SCANS);
		longjmp(c->jmp, 1);
	}
}

/*
 * CMYK to luma: R = (1-C)(1-K) and so on. Adobe files (the usual kind) store
 * the channels inverted, so there 255 means no ink.
 */
static void cmyk_to_grey(uint8_t *dst, const uint8_t *src, unsigned w, bool adobe)
{
	for (unsigned x = 0; x < w; x++) {
		unsigned v[4];
		for (int k = 0; k < 4; k++)
			v[k] = adobe ? src[4 * x + k] : 255u - src[4 * x + k];
		unsigned r = v[0] * v[3] / 255, g = v[1] * v[3] / 255, b = v[2] * v[3] / 255;
		dst[x] = (uint8_t)((77u * r + 150u * g + 29u * b) >> 8);
	}
}

static int jpeg_decode_rows(jpeg_ctx *c, struct jpeg_decompress_struct *ci, size_t max_pixels,
		size_t len)
{
	if (jpeg_read_header(ci, TRUE) != JPEG_HEADER_OK) {
		snprintf(c->msg, sizeof c->msg, "JPEG: no image");
		return UPQR_EIMAGE;
	}
	if (over_cap(ci->image_width, ci->image_height, max_pixels)) {
		snprintf(c->msg, sizeof c->msg, "JPEG: %ux%u is over the pixel budget (max_pixels %zu)",
			(unsigned)ci->image_width, (unsigned)ci->image_height, max_pixels);
		return UPQR_ELIMIT;
	}
	size_t blocks = (size_t)((ci->image_width + 7) / 8) * ((ci->image_height + 7) / 8);
	if (blocks / 8 > len) {
		snprintf(c->msg, sizeof c->msg, "JPEG: %ux%u cannot be held in %zu bytes",
			(unsigned)ci->image_width, (unsigned)ci->image_height, len);
		return UPQR_EIMAGE;
	}
	/* libjpeg cannot turn CMYK (print workflows) into grey itself: take CMYK and mix below. */
	bool cmyk = ci->jpeg_color_space == JCS_CMYK || ci->jpeg_color_space == JCS_YCCK;
	ci->out_color_space = cmyk ? JCS_CMYK : JCS_GRAYSCALE;
	/* Bounds libjpeg's own working memory (coefficient buffers of progressive files). */
	ci->mem->max_memory_to_use = 256L << 20;
	jpeg_start_decompress(ci);
	if (ci->output_components != (cmyk ? 4 : 1) || ci->output_width != ci->image_width ||
			ci->output_height != ci->image_height) {
		snprintf(c->msg, sizeof c->msg, "JPEG: unexpected layout");
		return UPQR_EIMAGE;
	}
	if (!upqr__gimg_alloc(&c->img, (int)ci->output_width, (int)ci->output_height))
		return UPQR_ENOMEM;
	if (cmyk && !(c->row = upqr__malloc((size_t)ci->output_width * 4)))
		return UPQR_ENOMEM;
	while (ci->output_scanline < ci->output_height) {
		uint8_t *dst = c->img.px + (size_t)ci->output_scanline * ci->output_width;
		JSAMPROW row = cmyk ? c->row : dst;
		jpeg_read_scanlines(ci, &row, 1);
		if (cmyk)
			cmyk_to_grey(dst, c->row, ci->output_width, ci->saw_Adobe_marker);
	}
	jpeg_finish_decompress(ci);
	if (c->truncated) {
		snprintf(c->msg, sizeof c->msg, "JPEG: truncated file");
		return UPQR_EIMAGE;
	}
	return UPQR_OK;
}

int upqr__decode_jpeg(upqr__gimg *out, const uint8_t *data, size_t len, size_t max_pixels,
		char *err, size_t errcap)
{
	/* Heap, not stack: the decompressor struct must keep its value across longjmp. */
	struct jpeg_decompress_struct *ci = upqr__calloc(1, sizeof *ci);
	jpeg_ctx *c = upqr__calloc(1, sizeof *c);
	int rc = UPQR_ENOMEM;
	if (!ci || !c)
		goto out;
	ci->err = jpeg_std_error(&c->pub);
	c->pub.error_exit = jpeg_on_error;
	c->pub.emit_message = jpeg_on_message;
	c->progress.progress_monitor = jpeg_on_progress;
	if (setjmp(c->jmp)) {
		rc = UPQR_EIMAGE;
		goto done;
	}
	jpeg_create_decompress(ci);
	ci->progress = &c->progress;
	jpeg_mem_src(ci, data, (unsigned long)len);
	rc = jpeg_decode_rows(c, ci, max_pixels, len);
done:
	jpeg_destroy_decompress(ci);
	if (rc == UPQR_OK) {
		*out = c->img;
	} else {
		upqr__gimg_release(&c->img);
		set_err(err, errcap, c->msg[0] ? c->msg : "JPEG: cannot decode");
	}
out:
	if (c)
		upqr__free(c->row);
	upqr__free(c);
	upqr__free(ci);
	return rc;
}
