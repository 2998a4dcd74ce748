/*
 * qr_bitmap.c - module matrix -> grey pixels, SVG and terminal text. The
 * quiet zone is part of every image: scanners need it, and apps that draw
 * the pixels themselves should not have to remember it.
 */
#include <string.h>

#include "qr_internal.h"

/* Dark at image coordinates (module units, quiet zone included); outside is light. */
static int dark_at(const upqr__qr_view *v, size_t margin, size_t x, size_t y)
{
	if (x < margin || y < margin || x >= margin + v->size || y >= margin + v->size)
		return 0;
	return UPQR__QR_DARK(v, x - margin, y - margin);
}

void upqr__qr_pixels(uint8_t *out, const upqr__qr_view *v, const upqr_qr_options *o)
{
	size_t scale = o->scale, side = upqr__qr_side(v->size, o), rows = v->size + 2 * (size_t)o->margin;
	/* Build one pixel row per module row; repeat it `scale` times. */
	for (size_t my = 0; my < rows; my++) {
		uint8_t *row = out + my * scale * side;
		for (size_t mx = 0; mx < rows; mx++)
			memset(row + mx * scale, dark_at(v, o->margin, mx, my) ? 0 : 255, scale);
		for (size_t k = 1; k < scale; k++)
			memcpy(row + k * side, row, side);
	}
}

static void put_uint(upqr__buf *b, size_t n)
{
	char tmp[24];
	size_t i = sizeof tmp;
	do {
		tmp[--i] = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	upqr__buf_put(b, tmp + i, sizeof tmp - i);
}

/* One sub-path per horizontal run of dark modules: few bytes, exact edges. */
static void svg_runs(upqr__buf *b, const upqr__qr_view *v, size_t margin)
{
	for (size_t y = 0; y < v->size; y++) {
		size_t x = 0;
		while (x < v->size) {
			if (!UPQR__QR_DARK(v, x, y)) {
				x++;
				continue;
			}
			size_t start = x;
			while (x < v->size && UPQR__QR_DARK(v, x, y))
				x++;
			upqr__buf_putc(b, 'M');
			put_uint(b, start + margin);
			upqr__buf_putc(b, ' ');
			put_uint(b, y + margin);
			upqr__buf_putc(b, 'h');
			put_uint(b, x - start);
			upqr__buf_puts(b, "v1h-");
			put_uint(b, x - start);
			upqr__buf_putc(b, 'z');
		}
	}
}

void upqr__qr_svg(upqr__buf *b, const upqr__qr_view *v, const upqr_qr_options *o)
{
	size_t units = v->size + 2 * (size_t)o->margin, side = upqr__qr_side(v->size, o);
	upqr__buf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"");
	put_uint(b, side);
	upqr__buf_puts(b, "\" height=\"");
	put_uint(b, side);
	upqr__buf_puts(b, "\" viewBox=\"0 0 ");
	put_uint(b, units);
	upqr__buf_putc(b, ' ');
	put_uint(b, units);
	upqr__buf_puts(b, "\" shape-rendering=\"crispEdges\">\n<rect width=\"");
	put_uint(b, units);
	upqr__buf_puts(b, "\" height=\"");
	put_uint(b, units);
	upqr__buf_puts(b, "\" fill=\"#ffffff\"/>\n<path fill=\"#000000\" d=\"");
	svg_runs(b, v, o->margin);
	upqr__buf_puts(b, "\"/>\n</svg>\n");
}

void upqr__qr_text(upqr__buf *b, const upqr__qr_view *v, const upqr_qr_options *o)
{
	/* Index: top ink | bottom ink << 1. */
	static const char *const glyph[4] = { " ", "\xE2\x96\x80", "\xE2\x96\x84", "\xE2\x96\x88" };
	size_t units = v->size + 2 * (size_t)o->margin;
	int ink_is_dark = o->theme == UPQR_QR_THEME_LIGHT;
	for (size_t y = 0; y < units; y += 2) {
		for (size_t x = 0; x < units; x++) {
			int top = dark_at(v, o->margin, x, y) == ink_is_dark;
			/* A missing last half row is quiet zone (light). */
			int bottom = (y + 1 < units ? dark_at(v, o->margin, x, y + 1) : 0) == ink_is_dark;
			upqr__buf_puts(b, glyph[top | bottom << 1]);
		}
		upqr__buf_putc(b, '\n');
	}
}

int upqr_qr_pixels(uint8_t *out, size_t cap, size_t *written,
		const upqr_qr_options *opts, const uint8_t *modules, size_t size)
{
	upqr_qr_options o;
	upqr__qr_view v;
	int rc = upqr__qr_args(&o, &v, opts, modules, size);
	if (rc != UPQR_OK)
		return rc;
	size_t side = upqr__qr_side(size, &o);
	if (written)
		*written = side * side;
	if (!out || cap < side * side)
		return UPQR_EBUFSIZE;
	upqr__qr_pixels(out, &v, &o);
	return UPQR_OK;
}

/* SVG and text share the shape: check, render into a counting buffer, NUL. */
static int render_text(char *out, size_t cap, size_t *written, const upqr_qr_options *opts,
		const uint8_t *modules, size_t size,
		void (*render)(upqr__buf *, const upqr__qr_view *, const upqr_qr_options *))
{
	upqr_qr_options o;
	upqr__qr_view v;
	upqr__buf b;
	int rc = upqr__qr_args(&o, &v, opts, modules, size);
	if (rc != UPQR_OK)
		return rc;
	upqr__buf_init(&b, out, cap);
	render(&b, &v, &o);
	return upqr__buf_finish(&b, written, true);
}

int upqr_qr_svg(char *out, size_t cap, size_t *written,
		const upqr_qr_options *opts, const uint8_t *modules, size_t size)
{
	return render_text(out, cap, written, opts, modules, size, upqr__qr_svg);
}

int upqr_qr_text(char *out, size_t cap, size_t *written,
		const upqr_qr_options *opts, const uint8_t *modules, size_t size)
{
	return render_text(out, cap, written, opts, modules, size, upqr__qr_text);
}
