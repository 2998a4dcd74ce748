/*
 * bench_qr_render.c - µs per QR render against a bare libqrencode call on
 * the same payload. Like for like: upqr_qr_encode (payload -> module
 * matrix in a caller buffer) against QRinput + QRcode_encodeInput with the
 * same ECI header and byte segment, which is the work libqrencode must do
 * for an MPM-conformant symbol. The two are timed in alternating rounds
 * and the median round is reported, so machine noise hits both alike.
 */
#include <stdlib.h>
#include <string.h>

#include <png.h>
#include <qrencode.h>

#include "bench.h"
#include "upqr.h"

#define ROUNDS 15

/* A typical UnionPay MPM payload with a Chinese template 64 (needs ECI). */
static const char MPM_CN[] =
	"00020101021215316230000000000000000000000000000"
	"5204581253031565406128.005802CN5914UPQR Test Shop6007Beijing"
	"62200516ORDER2026112700016418" "0002ZH0102\xe9\xbe\x99\xe8\xbe\xbe" "0202\xe5\x8c\x97\xe4\xba\xac"
	"6304ABCD";
/* The same shape without template 64: plain byte mode, no ECI. */
static const char MPM_ASCII[] =
	"00020101021215316230000000000000000000000000000"
	"5204581253031565406128.005802CN5914UPQR Test Shop6007Beijing"
	"62200516ORDER202611270001" "6304ABCD";

typedef struct job {
	const uint8_t *p;
	size_t n;
	int eci;
	uint8_t *out;
	size_t cap;
} job;

static double time_upqr(const job *j, int iters)
{
	double t0 = bench_now_ns();
	for (int i = 0; i < iters; i++) {
		size_t w;
		if (upqr_qr_encode(j->out, j->cap, &w, NULL, NULL, j->p, j->n) != UPQR_OK)
			abort();
		bench_sink(j->out);
	}
	return (bench_now_ns() - t0) / iters / 1e3;
}

/* The bare libqrencode work for an MPM symbol: [ECI 26] + one 8-bit segment. */
static QRcode *raw_encode(const job *j)
{
	QRinput *in = QRinput_new2(0, QR_ECLEVEL_M);
	if (!in || (j->eci && QRinput_appendECIheader(in, 26) != 0)
			|| QRinput_append(in, QR_MODE_8, (int)j->n, j->p) != 0)
		abort();
	QRcode *c = QRcode_encodeInput(in);
	QRinput_free(in);
	if (!c)
		abort();
	return c;
}

static double time_raw(const job *j, int iters)
{
	double t0 = bench_now_ns();
	for (int i = 0; i < iters; i++) {
		QRcode *c = raw_encode(j);
		bench_sink(c->data);
		QRcode_free(c);
	}
	return (bench_now_ns() - t0) / iters / 1e3;
}

/*
 * The obvious hand-written PNG path, as a baseline for ours: libqrencode,
 * expand to 8-bit pixels (scale 8, quiet zone 4), libpng's simplified
 * writer with its default settings.
 */
static double time_raw_png(const job *j, int iters, size_t *bytes)
{
	static uint8_t px[1 << 20];
	double t0 = bench_now_ns();
	for (int i = 0; i < iters; i++) {
		QRcode *c = raw_encode(j);
		size_t side = ((size_t)c->width + 8) * 8;
		for (size_t y = 0; y < side; y++)
			for (size_t x = 0; x < side; x++) {
				size_t mx = x / 8, my = y / 8;
				int in_sym = mx >= 4 && my >= 4 && mx < 4 + (size_t)c->width && my < 4 + (size_t)c->width;
				px[y * side + x] = in_sym && (c->data[(my - 4) * (size_t)c->width + mx - 4] & 1) ? 0 : 255;
			}
		QRcode_free(c);
		png_image img;
		memset(&img, 0, sizeof img);
		img.version = PNG_IMAGE_VERSION;
		img.width = img.height = (png_uint_32)side;
		img.format = PNG_FORMAT_GRAY;
		png_alloc_size_t n = j->cap;
		if (!png_image_write_to_memory(&img, j->out, &n, 0, px, 0, NULL))
			abort();
		*bytes = n;
		bench_sink(j->out);
	}
	return (bench_now_ns() - t0) / iters / 1e3;
}

static double time_format(const job *j, upqr_qr_format f, int iters)
{
	double t0 = bench_now_ns();
	for (int i = 0; i < iters; i++) {
		size_t w;
		if (upqr_qr_render(j->out, j->cap, &w, NULL, f, NULL, j->p, j->n) != UPQR_OK)
			abort();
		bench_sink(j->out);
	}
	return (bench_now_ns() - t0) / iters / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return v[n / 2];
}

/* Alternating rounds of upqr and raw libqrencode; medians in *u and *r. */
static void compare(const job *j, int iters, double *u, double *r)
{
	double us[ROUNDS], raw[ROUNDS];
	time_upqr(j, iters / 4); /* warm caches and libqrencode's RS tables */
	time_raw(j, iters / 4);
	for (int k = 0; k < ROUNDS; k++) {
		us[k] = time_upqr(j, iters);
		raw[k] = time_raw(j, iters);
	}
	*u = median(us, ROUNDS);
	*r = median(raw, ROUNDS);
}

int main(void)
{
	static uint8_t out[1 << 20];
	job cn = { (const uint8_t *)MPM_CN, strlen(MPM_CN), 1, out, sizeof out };
	job ascii = { (const uint8_t *)MPM_ASCII, strlen(MPM_ASCII), 0, out, sizeof out };
	upqr_qr_info info;
	size_t w;
	if (upqr_qr_encode(out, sizeof out, &w, &info, NULL, cn.p, cn.n) != UPQR_OK || !info.eci)
		return 1;
	printf("payload: %zu bytes MPM with Chinese template 64, ECC M -> version %d (%zux%zu), ECI\n",
		cn.n, info.version, info.size, info.size);

	double u, r, ua, ra;
	compare(&cn, 400, &u, &r);
	compare(&ascii, 400, &ua, &ra);
	printf("matrix: upqr %.1f us, bare libqrencode %.1f us (%+.1f %%); ASCII payload %+.1f %%\n",
		u, r, 100.0 * (u - r) / r, 100.0 * (ua - ra) / ra);
	bench_result("qr_render_us", u, "us");
	bench_result("qrencode_raw_us", r, "us");
	bench_result("qr_render_overhead_pct", 100.0 * (u - r) / r, "%");
	bench_result("qr_render_ascii_us", ua, "us");
	bench_result("qrencode_raw_ascii_us", ra, "us");

	double png[ROUNDS], raw_png[ROUNDS], svg[ROUNDS], txt[ROUNDS];
	size_t raw_bytes = 0;
	for (int k = 0; k < ROUNDS; k++) {
		png[k] = time_format(&cn, UPQR_QR_FORMAT_PNG, 60);
		raw_png[k] = time_raw_png(&cn, 60, &raw_bytes);
		svg[k] = time_format(&cn, UPQR_QR_FORMAT_SVG, 200);
		txt[k] = time_format(&cn, UPQR_QR_FORMAT_TEXT, 200);
	}
	if (upqr_qr_render(out, sizeof out, &w, NULL, UPQR_QR_FORMAT_PNG, NULL, cn.p, cn.n) != UPQR_OK)
		return 1;
	printf("payload -> PNG (scale 8, margin 4, %zu px): upqr %zu bytes, "
		"libqrencode + libpng defaults %zu bytes\n", info.image_side, w, raw_bytes);
	bench_result("qr_render_png_us", median(png, ROUNDS), "us");
	bench_result("qrencode_libpng_raw_png_us", median(raw_png, ROUNDS), "us");
	bench_result("qr_render_svg_us", median(svg, ROUNDS), "us");
	bench_result("qr_render_txt_us", median(txt, ROUNDS), "us");
	return 0;
}
