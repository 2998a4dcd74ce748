/*
 * scan_corpus.c - test-only generator of camera-like QR images (see
 * scan_corpus.h). Geometry is drawn analytically: every output pixel is
 * mapped back onto the symbol plane through a homography and supersampled
 * 4x4, so rotation and tilt cost no resampling blur of their own.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <png.h>
#include <qrencode.h>
#include <zbar.h>

#include "upqr.h"
#include "scan_corpus.h"

#define SC_PI 3.14159265358979323846

void sc_img_free(sc_img *img)
{
	free(img->px);
	img->px = NULL;
	img->w = img->h = 0;
}

uint64_t sc_rand(uint64_t *s)
{
	uint64_t x = *s ? *s : 0x9E3779B97F4A7C15ull;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1Dull;
}

double sc_uniform(uint64_t *s, double lo, double hi)
{
	return lo + (hi - lo) * (double)(sc_rand(s) >> 11) / 9007199254740992.0;
}

void sc_draw_defaults(sc_draw *d)
{
	memset(d, 0, sizeof *d);
	d->ecc = 1;
	d->module_px = 4;
	d->margin = 4;
	d->dark = 20;
	d->light = 235;
	d->pad = 16;
}

/* ---- homography ------------------------------------------------------------- */

/* Solves the 8x8 system for the map taking src[i] to dst[i] (h[8] = 1). */
static int homography(double h[9], const double src[4][2], const double dst[4][2])
{
	double a[8][9];
	for (int i = 0; i < 4; i++) {
		double x = src[i][0], y = src[i][1], u = dst[i][0], v = dst[i][1];
		double r1[9] = { x, y, 1, 0, 0, 0, -u * x, -u * y, u };
		double r2[9] = { 0, 0, 0, x, y, 1, -v * x, -v * y, v };
		memcpy(a[2 * i], r1, sizeof r1);
		memcpy(a[2 * i + 1], r2, sizeof r2);
	}
	for (int c = 0; c < 8; c++) {
		int p = c;
		for (int r = c + 1; r < 8; r++)
			if (fabs(a[r][c]) > fabs(a[p][c]))
				p = r;
		if (fabs(a[p][c]) < 1e-12)
			return -1;
		for (int k = 0; k < 9; k++) {
			double t = a[c][k];
			a[c][k] = a[p][k];
			a[p][k] = t;
		}
		for (int r = 0; r < 8; r++) {
			if (r == c)
				continue;
			double f = a[r][c] / a[c][c];
			for (int k = c; k < 9; k++)
				a[r][k] -= f * a[c][k];
		}
	}
	for (int i = 0; i < 8; i++)
		h[i] = a[i][8] / a[i][i];
	h[8] = 1;
	return 0;
}

/* ---- drawing ------------------------------------------------------------------ */

static QRcode *encode(const uint8_t *payload, size_t len, int ecc, int no_eci)
{
	static const QRecLevel lv[4] = { QR_ECLEVEL_L, QR_ECLEVEL_M, QR_ECLEVEL_Q, QR_ECLEVEL_H };
	QRinput *in = QRinput_new2(0, lv[ecc & 3]);
	if (!in)
		return NULL;
	int high = 0;
	for (size_t i = 0; i < len; i++)
		high |= payload[i] & 0x80;
	high = high && !no_eci;
	QRcode *q = NULL;
	if ((!high || QRinput_appendECIheader(in, 26) == 0) &&
			QRinput_append(in, QR_MODE_8, (int)len, payload) == 0)
		q = QRcode_encodeInput(in);
	QRinput_free(in);
	return q;
}

int sc_render(sc_img *out, const uint8_t *payload, size_t len, const sc_draw *d)
{
	memset(out, 0, sizeof *out);
	QRcode *q = encode(payload, len, d->ecc, d->no_eci);
	if (!q)
		return -1;
	double side = (q->width + 2 * d->margin) * d->module_px;
	double a = d->angle_deg * SC_PI / 180, ca = cos(a), sa = sin(a);
	/* Square corners about the origin, then tilt: one side shrinks toward the centre. */
	double quad[4][2] = { { -side / 2, -side / 2 }, { side / 2, -side / 2 },
		{ side / 2, side / 2 }, { -side / 2, side / 2 } };
	double ta = d->tilt_dir * SC_PI / 180, tx = cos(ta), ty = sin(ta);
	for (int i = 0; i < 4; i++) {
		double px = quad[i][0], py = quad[i][1];
		/* Points on the far side (positive along the tilt direction) move inwards. */
		double along = (px * tx + py * ty) / (side / 2);
		if (along > 0) {
			double f = 1 - d->tilt * along / 2;
			double perp_x = px - (px * tx + py * ty) * tx, perp_y = py - (px * tx + py * ty) * ty;
			px -= perp_x * (1 - f);
			py -= perp_y * (1 - f);
		}
		quad[i][0] = px * ca - py * sa;
		quad[i][1] = px * sa + py * ca;
	}
	double minx = 1e9, miny = 1e9, maxx = -1e9, maxy = -1e9;
	for (int i = 0; i < 4; i++) {
		minx = fmin(minx, quad[i][0]);
		maxx = fmax(maxx, quad[i][0]);
		miny = fmin(miny, quad[i][1]);
		maxy = fmax(maxy, quad[i][1]);
	}
	int w = (int)ceil(maxx - minx) + 2 * d->pad, h = (int)ceil(maxy - miny) + 2 * d->pad;
	for (int i = 0; i < 4; i++) {
		quad[i][0] += d->pad - minx;
		quad[i][1] += d->pad - miny;
	}
	double plane = q->width + 2 * d->margin, hm[9];
	const double sq[4][2] = { { 0, 0 }, { plane, 0 }, { plane, plane }, { 0, plane } };
	out->px = malloc((size_t)w * (size_t)h);
	if (!out->px || homography(hm, (const double(*)[2])quad, sq) != 0) {
		free(out->px);
		out->px = NULL;
		QRcode_free(q);
		return -1;
	}
	out->w = w;
	out->h = h;
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			int darks = 0;
			for (int sy = 0; sy < 4; sy++)
				for (int sx = 0; sx < 4; sx++) {
					double X = x + (sx + 0.5) / 4, Y = y + (sy + 0.5) / 4;
					double z = hm[6] * X + hm[7] * Y + hm[8];
					double u = (hm[0] * X + hm[1] * Y + hm[2]) / z - d->margin;
					double v = (hm[3] * X + hm[4] * Y + hm[5]) / z - d->margin;
					if (u >= 0 && v >= 0 && u < q->width && v < q->width &&
							(q->data[(int)v * q->width + (int)u] & 1))
						darks++;
				}
			out->px[(size_t)y * (size_t)w + (size_t)x] =
				(uint8_t)(d->light + (d->dark - d->light) * darks / 16);
		}
	QRcode_free(q);
	return 0;
}

int sc_render_at(sc_img *canvas, int x, int y, const uint8_t *payload, size_t len, const sc_draw *d)
{
	sc_img one;
	if (sc_render(&one, payload, len, d) != 0)
		return -1;
	for (int r = 0; r < one.h; r++)
		for (int c = 0; c < one.w; c++)
			if (y + r >= 0 && y + r < canvas->h && x + c >= 0 && x + c < canvas->w)
				canvas->px[(size_t)(y + r) * (size_t)canvas->w + (size_t)(x + c)] =
					one.px[(size_t)r * (size_t)one.w + (size_t)c];
	sc_img_free(&one);
	return 0;
}

/* ---- photometric degradations --------------------------------------------------- */

void sc_gauss_blur(sc_img *img, double sigma)
{
	int r = (int)ceil(3 * sigma);
	if (r < 1)
		return;
	double *k = malloc(sizeof *k * (size_t)(2 * r + 1)), sum = 0;
	float *tmp = malloc(sizeof *tmp * (size_t)img->w * (size_t)img->h);
	if (!k || !tmp) {
		free(k);
		free(tmp);
		return;
	}
	for (int i = -r; i <= r; i++)
		sum += k[i + r] = exp(-(double)(i * i) / (2 * sigma * sigma));
	for (int i = 0; i <= 2 * r; i++)
		k[i] /= sum;
	int w = img->w, h = img->h;
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			double s = 0;
			for (int i = -r; i <= r; i++) {
				int xx = x + i < 0 ? 0 : x + i >= w ? w - 1 : x + i;
				s += k[i + r] * img->px[(size_t)y * (size_t)w + (size_t)xx];
			}
			tmp[(size_t)y * (size_t)w + (size_t)x] = (float)s;
		}
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			double s = 0;
			for (int i = -r; i <= r; i++) {
				int yy = y + i < 0 ? 0 : y + i >= h ? h - 1 : y + i;
				s += k[i + r] * tmp[(size_t)yy * (size_t)w + (size_t)x];
			}
			img->px[(size_t)y * (size_t)w + (size_t)x] = (uint8_t)(s + 0.5);
		}
	free(k);
	free(tmp);
}

static uint8_t clamp8(double v)
{
	return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v + 0.5);
}

void sc_noise(sc_img *img, double sigma, uint64_t *rng)
{
	size_t n = (size_t)img->w * (size_t)img->h;
	for (size_t i = 0; i < n; i++) {
		double u1 = sc_uniform(rng, 1e-12, 1), u2 = sc_uniform(rng, 0, 1);
		double g = sqrt(-2 * log(u1)) * cos(2 * SC_PI * u2);
		img->px[i] = clamp8(img->px[i] + sigma * g);
	}
}

void sc_glare(sc_img *img, double cx, double cy, double radius, double strength)
{
	for (int y = 0; y < img->h; y++)
		for (int x = 0; x < img->w; x++) {
			double d2 = ((x - cx) * (x - cx) + (y - cy) * (y - cy)) / (radius * radius);
			uint8_t *p = &img->px[(size_t)y * (size_t)img->w + (size_t)x];
			/* Specular light adds to dark and light alike and saturates at the centre. */
			*p = clamp8(*p + strength * 255 * exp(-d2));
		}
}

void sc_invert(sc_img *img)
{
	size_t n = (size_t)img->w * (size_t)img->h;
	for (size_t i = 0; i < n; i++)
		img->px[i] = (uint8_t)(255 - img->px[i]);
}

/* ---- encoders ----------------------------------------------------------------- */

typedef struct png_mem {
	uint8_t *data;
	size_t len, cap;
	int failed;
} png_mem;

static void png_mem_write(png_structp png, png_bytep d, size_t n)
{
	png_mem *m = png_get_io_ptr(png);
	if (m->failed)
		return;
	if (m->len + n > m->cap) {
		size_t cap = (m->cap + n) * 2;
		uint8_t *nd = realloc(m->data, cap);
		if (!nd) {
			m->failed = 1;
			return;
		}
		m->data = nd;
		m->cap = cap;
	}
	memcpy(m->data + m->len, d, n);
	m->len += n;
}

static void png_mem_flush(png_structp png)
{
	(void)png;
}

int sc_png_encode(const sc_img *img, uint8_t **out, size_t *len)
{
	png_mem m = { 0 };
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png ? png_create_info_struct(png) : NULL;
	if (!info || setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		free(m.data);
		return -1;
	}
	png_set_write_fn(png, &m, png_mem_write, png_mem_flush);
	png_set_IHDR(png, info, (png_uint_32)img->w, (png_uint_32)img->h, 8, PNG_COLOR_TYPE_GRAY,
		PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (int y = 0; y < img->h; y++)
		png_write_row(png, img->px + (size_t)y * (size_t)img->w);
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	if (m.failed) {
		free(m.data);
		return -1;
	}
	*out = m.data;
	*len = m.len;
	return 0;
}

int sc_jpeg_encode(const sc_img *img, int quality, uint8_t **out, size_t *len)
{
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr err;
	unsigned char *buf = NULL;
	unsigned long n = 0;
	c.err = jpeg_std_error(&err);
	jpeg_create_compress(&c);
	jpeg_mem_dest(&c, &buf, &n);
	c.image_width = (JDIMENSION)img->w;
	c.image_height = (JDIMENSION)img->h;
	c.input_components = 1;
	c.in_color_space = JCS_GRAYSCALE;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, quality, TRUE);
	jpeg_start_compress(&c, TRUE);
	while (c.next_scanline < c.image_height) {
		JSAMPROW row = img->px + (size_t)c.next_scanline * (size_t)img->w;
		jpeg_write_scanlines(&c, &row, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	*out = buf;
	*len = n;
	return buf ? 0 : -1;
}

int sc_jpeg_roundtrip(sc_img *img, int quality)
{
	uint8_t *j = NULL;
	size_t n = 0;
	if (sc_jpeg_encode(img, quality, &j, &n) != 0)
		return -1;
	struct jpeg_decompress_struct c;
	struct jpeg_error_mgr err;
	c.err = jpeg_std_error(&err);
	jpeg_create_decompress(&c);
	jpeg_mem_src(&c, j, (unsigned long)n);
	jpeg_read_header(&c, TRUE);
	c.out_color_space = JCS_GRAYSCALE;
	jpeg_start_decompress(&c);
	while (c.output_scanline < c.output_height) {
		JSAMPROW row = img->px + (size_t)c.output_scanline * (size_t)img->w;
		jpeg_read_scanlines(&c, &row, 1);
	}
	jpeg_finish_decompress(&c);
	jpeg_destroy_decompress(&c);
	free(j);
	return 0;
}

/* ---- corpus ------------------------------------------------------------------- */

static const char *const FAMILY[SC_FAMILIES] = {
	"rotation", "perspective", "blur", "noise", "low-contrast", "jpeg-q20",
	"small-module", "glare", "inverted", "combined",
};

const char *sc_family_name(int family)
{
	return family >= 0 && family < SC_FAMILIES ? FAMILY[family] : "?";
}

/*
 * Strengths are set where a single plain ZBar pass starts to fail on real
 * phones: heavy but not hopeless (a person would still call it a photo of
 * a QR code).
 */
int sc_corpus_image(sc_img *out, int family, int k, uint64_t seed, const uint8_t *payload,
		size_t len)
{
	uint64_t rng = seed ^ ((uint64_t)(family + 1) << 40) ^ ((uint64_t)(k + 1) * 0x9E3779B97F4A7C15ull);
	for (int i = 0; i < 4; i++)
		sc_rand(&rng);
	sc_draw d;
	sc_draw_defaults(&d);
	d.ecc = (int)(sc_rand(&rng) % 4);
	d.module_px = sc_uniform(&rng, 3.0, 5.0);
	d.angle_deg = sc_uniform(&rng, -4, 4);
	d.pad = (int)sc_uniform(&rng, 8, 40);
	switch (family) {
	case SC_ROTATION:
		d.angle_deg = sc_uniform(&rng, -45, 45);
		break;
	case SC_PERSPECTIVE:
		d.tilt = sc_uniform(&rng, 0.2, 0.45);
		d.tilt_dir = sc_uniform(&rng, 0, 360);
		break;
	case SC_LOW_CONTRAST:
		d.dark = (int)sc_uniform(&rng, 90, 150);
		d.light = d.dark + (int)sc_uniform(&rng, 18, 35);
		break;
	case SC_SMALL_MODULE:
		d.module_px = sc_uniform(&rng, 1.4, 2.2);
		break;
	case SC_JPEG20:
		d.module_px = sc_uniform(&rng, 2.5, 4.0);
		break;
	case SC_COMBINED:
		d.angle_deg = sc_uniform(&rng, -30, 30);
		d.tilt = sc_uniform(&rng, 0, 0.25);
		d.tilt_dir = sc_uniform(&rng, 0, 360);
		d.dark = (int)sc_uniform(&rng, 40, 90);
		d.light = (int)sc_uniform(&rng, 160, 220);
		d.module_px = sc_uniform(&rng, 2.5, 4.5);
		break;
	default:
		break;
	}
	if (sc_render(out, payload, len, &d) != 0)
		return -1;
	switch (family) {
	case SC_BLUR:
		sc_gauss_blur(out, d.module_px * sc_uniform(&rng, 0.4, 0.6));
		break;
	case SC_NOISE:
		sc_gauss_blur(out, 0.7);
		sc_noise(out, sc_uniform(&rng, 45, 75), &rng);
		break;
	case SC_LOW_CONTRAST:
		sc_noise(out, 3, &rng);
		break;
	case SC_JPEG20:
		sc_gauss_blur(out, 0.6);
		if (sc_jpeg_roundtrip(out, 20) != 0)
			return -1;
		break;
	case SC_SMALL_MODULE:
		sc_gauss_blur(out, 0.5);
		break;
	case SC_GLARE: {
		double cx = out->w * sc_uniform(&rng, 0.3, 0.7), cy = out->h * sc_uniform(&rng, 0.3, 0.7);
		sc_gauss_blur(out, 0.6);
		sc_glare(out, cx, cy, out->w * sc_uniform(&rng, 0.15, 0.25), sc_uniform(&rng, 0.7, 1.0));
		break;
	}
	case SC_INVERTED:
		sc_gauss_blur(out, 0.6);
		sc_invert(out);
		break;
	case SC_COMBINED:
		/* A phone photo: some tilt and angle, soft focus, sensor noise, a mid-quality JPEG. */
		sc_gauss_blur(out, d.module_px * sc_uniform(&rng, 0.2, 0.35));
		sc_noise(out, sc_uniform(&rng, 8, 20), &rng);
		if (sc_jpeg_roundtrip(out, 50) != 0)
			return -1;
		break;
	default:
		sc_gauss_blur(out, 0.6);
		break;
	}
	return 0;
}

int sc_zbar_pass(const sc_img *img, int binary, const uint8_t *want, size_t want_len,
		uint8_t *first, size_t cap, size_t *first_len)
{
	zbar_image_scanner_t *sc = zbar_image_scanner_create();
	zbar_image_scanner_set_config(sc, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
	zbar_image_scanner_set_config(sc, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
	if (binary)
		zbar_image_scanner_set_config(sc, ZBAR_QRCODE, ZBAR_CFG_BINARY, 1);
	zbar_image_t *zi = zbar_image_create();
	zbar_image_set_format(zi, zbar_fourcc('Y', '8', '0', '0'));
	zbar_image_set_size(zi, (unsigned)img->w, (unsigned)img->h);
	zbar_image_set_data(zi, img->px, (unsigned long)img->w * (unsigned long)img->h, NULL);
	int ok = 0;
	if (first_len)
		*first_len = 0;
	if (zbar_scan_image(sc, zi) > 0)
		for (const zbar_symbol_t *s = zbar_image_first_symbol(zi); s; s = zbar_symbol_next(s)) {
			size_t n = zbar_symbol_get_data_length(s);
			if (want && n == want_len && memcmp(zbar_symbol_get_data(s), want, want_len) == 0)
				ok = 1;
			if (first_len && s == zbar_image_first_symbol(zi)) {
				*first_len = n;
				memcpy(first, zbar_symbol_get_data(s), n < cap ? n : cap);
			}
		}
	zbar_image_destroy(zi);
	zbar_image_scanner_destroy(sc);
	return ok;
}

int sc_zbar_plain_reads(const sc_img *img, const uint8_t *want, size_t want_len)
{
	return sc_zbar_pass(img, 1, want, want_len, NULL, 0, NULL);
}

/* The upqr pass that read want (NULL if none); counts valid payloads with other bytes. */
static const char *upqr_reads(upqr_scanner *s, const sc_img *img, const char *want, int *wrong)
{
	size_t count = 0;
	int rc = upqr_scan_grey(&count, s, img->px, (size_t)img->w * (size_t)img->h,
		(unsigned)img->w, (unsigned)img->h, (size_t)img->w);
	if (rc != UPQR_OK)
		return NULL;
	const char *pass = NULL;
	for (size_t i = 0; i < count; i++) {
		const upqr_scan_symbol *sym = upqr_scanner_symbol(s, i);
		int same = sym->len == strlen(want) && memcmp(sym->data, want, sym->len) == 0;
		if (sym->valid && !same)
			(*wrong)++;
		if (sym->valid && same)
			pass = sym->pass;
	}
	return pass;
}

static void count_pass(const char *pass, const char *names[32], int hits[32])
{
	for (int i = 0; names && i < 32; i++)
		if (!names[i] || strcmp(names[i], pass) == 0) {
			names[i] = pass;
			hits[i]++;
			return;
		}
}

static void dump_png(const sc_img *img, const char *dir, int family, int k)
{
	uint8_t *png = NULL;
	size_t n = 0;
	char name[512];
	snprintf(name, sizeof name, "%s/miss-%s-%d.png", dir, sc_family_name(family), k);
	if (sc_png_encode(img, &png, &n) != 0)
		return;
	FILE *o = fopen(name, "wb");
	if (o) {
		fwrite(png, 1, n, o);
		fclose(o);
	}
	free(png);
}

int sc_corpus_run(sc_stats stats[SC_FAMILIES], int per_family, uint64_t seed,
		char *const *payloads, size_t n_payloads, const char *pass_names[32], int pass_hits[32],
		const char *dump_dir)
{
	upqr_scanner *s = NULL;
	if (n_payloads == 0 || upqr_scanner_new(&s, NULL) != UPQR_OK)
		return -1;
	memset(stats, 0, sizeof(sc_stats) * SC_FAMILIES);
	bool zx = &sc_zxing_plain_reads != NULL, wc = &sc_wechat_plain_reads != NULL;
	for (int f = 0; f < SC_FAMILIES; f++) {
		stats[f].zxing = zx ? 0 : -1;
		stats[f].wechat = wc ? 0 : -1;
	}
	for (int f = 0; f < SC_FAMILIES; f++)
		for (int k = 0; k < per_family; k++) {
			const char *want = payloads[(size_t)(k + f) % n_payloads];
			size_t len = strlen(want);
			sc_img img;
			if (sc_corpus_image(&img, f, k, seed, (const uint8_t *)want, len) != 0) {
				upqr_scanner_free(s);
				return -1;
			}
			int plain = sc_zbar_plain_reads(&img, (const uint8_t *)want, len);
			const char *pass = upqr_reads(s, &img, want, &stats[f].wrong);
			stats[f].total++;
			stats[f].plain += plain;
			if (zx)
				stats[f].zxing += sc_zxing_plain_reads(&img, (const uint8_t *)want, len);
			if (wc)
				stats[f].wechat += sc_wechat_plain_reads(&img, (const uint8_t *)want, len);
			stats[f].upqr += pass != NULL;
			stats[f].upqr_only += pass != NULL && !plain;
			if (pass)
				count_pass(pass, pass_names, pass_hits);
			else if (dump_dir)
				dump_png(&img, dump_dir, f, k);
			sc_img_free(&img);
		}
	upqr_scanner_free(s);
	return 0;
}

int sc_jitter_frame(sc_img *out, const sc_img *img, int j, uint64_t seed)
{
	uint64_t rng = seed ^ ((uint64_t)(j + 1) * 0xD1B54A32D192ED03ull);
	int dx = j ? (int)(sc_rand(&rng) % 5) - 2 : 0, dy = j ? (int)(sc_rand(&rng) % 5) - 2 : 0;
	int light = j ? (int)(sc_rand(&rng) % 13) - 6 : 0;
	out->w = img->w;
	out->h = img->h;
	out->px = malloc((size_t)img->w * (size_t)img->h);
	if (!out->px)
		return -1;
	for (int y = 0; y < img->h; y++)
		for (int x = 0; x < img->w; x++) {
			int sx = x - dx < 0 ? 0 : x - dx >= img->w ? img->w - 1 : x - dx;
			int sy = y - dy < 0 ? 0 : y - dy >= img->h ? img->h - 1 : y - dy;
			int v = img->px[(size_t)sy * (size_t)img->w + (size_t)sx] + light;
			out->px[(size_t)y * (size_t)img->w + (size_t)x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
		}
	return 0;
}

/* Frames until want is read (1-based), 0 if not within max_frames; counts wrong payloads. */
static int video_frames_to_read(upqr_scanner *s, const sc_img *img, const char *want,
		uint64_t seed, int max_frames, int *wrong)
{
	if (upqr_scanner_reset(s) != UPQR_OK)
		return 0;
	for (int j = 0; j < max_frames; j++) {
		sc_img fr;
		if (sc_jitter_frame(&fr, img, j, seed) != 0)
			return -1;
		const char *pass = upqr_reads(s, &fr, want, wrong);
		sc_img_free(&fr);
		if (pass)
			return j + 1;
	}
	return 0;
}

int sc_video_run(sc_video_stats stats[SC_FAMILIES], int per_family, uint64_t seed,
		char *const *payloads, size_t n_payloads, const upqr_scan_options *opts, int max_frames)
{
	upqr_scanner *s = NULL;
	if (n_payloads == 0 || upqr_scanner_new(&s, opts) != UPQR_OK)
		return -1;
	memset(stats, 0, sizeof(sc_video_stats) * SC_FAMILIES);
	int rc = 0;
	for (int f = 0; f < SC_FAMILIES && rc == 0; f++)
		for (int k = 0; k < per_family && rc == 0; k++) {
			const char *want = payloads[(size_t)(k + f) % n_payloads];
			sc_img img;
			if (sc_corpus_image(&img, f, k, seed, (const uint8_t *)want, strlen(want)) != 0) {
				rc = -1;
				break;
			}
			int n = video_frames_to_read(s, &img, want, seed + (uint64_t)k, max_frames,
				&stats[f].wrong);
			sc_img_free(&img);
			rc = n < 0 ? -1 : 0;
			stats[f].total++;
			stats[f].read += n > 0;
			stats[f].frames_sum += n > 0 ? n : 0;
		}
	upqr_scanner_free(s);
	return rc;
}

char **sc_load_payloads(const char *path, size_t *n)
{
	*n = 0;
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char **v = NULL, line[8192];
	size_t cnt = 0;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = 0;
		if (line[0] == '#' || strncmp(line, "kind\t", 5) == 0)
			continue;
		char *tab = strchr(line, '\t');
		if (!tab)
			continue;
		char *end = strchr(tab + 1, '\t');
		if (end)
			*end = 0;
		char **nv = realloc(v, sizeof *v * (cnt + 1));
		if (!nv)
			break;
		v = nv;
		v[cnt] = strdup(tab + 1);
		if (v[cnt])
			cnt++;
	}
	fclose(f);
	*n = cnt;
	return v;
}

void sc_free_payloads(char **p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(p[i]);
	free(p);
}
