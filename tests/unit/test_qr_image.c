/*
 * test_qr_image.c - module matrix -> pixels, PNG (decoded back with
 * libpng), SVG (path parsed back into modules), terminal text (glyphs read
 * back), the one-call render, and atomic files: a failure at any point
 * leaves neither the file nor a temporary file behind.
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <png.h>

#include "testutil.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static const uint8_t *P(const char *s)
{
	return (const uint8_t *)s;
}

/* MPM-shaped (the CRC is not checked here), with a Chinese template 64: 龙达, 北京. */
static const char *const MPM_CN =
	"000201010211153110000000000000000000000000000000"
	"5204581253031565802CN5906Dragon6007Beijing"
	"64180002ZH0102\xe9\xbe\x99\xe8\xbe\xbe" "0202\xe5\x8c\x97\xe4\xba\xac" "6304ABCD";

typedef struct sym {
	uint8_t m[UPQR_QR_MODULES_MAX];
	size_t size;
} sym;

static void encode(sym *s, const char *payload)
{
	upqr_qr_info info;
	assert_int_equal(upqr_qr_encode(s->m, sizeof s->m, NULL, &info, NULL, P(payload),
		strlen(payload)), UPQR_OK);
	s->size = info.size;
}

static upqr_qr_options opts(unsigned scale, unsigned margin)
{
	upqr_qr_options o = UPQR_QR_OPTIONS_INIT;
	o.scale = scale;
	o.margin = margin;
	return o;
}

/* What the pixel at (x, y) must be, from the matrix alone. */
static int expect_dark(const sym *s, const upqr_qr_options *o, size_t x, size_t y)
{
	size_t mx = x / o->scale, my = y / o->scale;
	if (mx < o->margin || my < o->margin || mx >= o->margin + s->size || my >= o->margin + s->size)
		return 0;
	return s->m[(my - o->margin) * s->size + mx - o->margin];
}

static void assert_pixels_match(const sym *s, const upqr_qr_options *o, const uint8_t *px)
{
	size_t side = upqr_qr_image_side(s->size, o);
	for (size_t y = 0; y < side; y++)
		for (size_t x = 0; x < side; x++)
			assert_int_equal(px[y * side + x], expect_dark(s, o, x, y) ? 0 : 255);
}

static void test_pixels(void **state)
{
	(void)state;
	static sym s;
	encode(&s, MPM_CN);
	unsigned scales[] = { 1, 3, 8 }, margins[] = { 4, 7 };
	for (size_t i = 0; i < N_OF(scales); i++)
		for (size_t j = 0; j < N_OF(margins); j++) {
			upqr_qr_options o = opts(scales[i], margins[j]);
			size_t side = upqr_qr_image_side(s.size, &o), w = 0;
			assert_int_equal(side, (s.size + 2 * margins[j]) * scales[i]);
			assert_int_equal(upqr_qr_pixels(NULL, 0, &w, &o, s.m, s.size), UPQR_EBUFSIZE);
			assert_int_equal(w, side * side);
			uint8_t *px = malloc(w + 1);
			assert_non_null(px);
			assert_int_equal(upqr_qr_pixels(px, w - 1, &w, &o, s.m, s.size), UPQR_EBUFSIZE);
			px[w] = 0x5A;
			assert_int_equal(upqr_qr_pixels(px, w, &w, &o, s.m, s.size), UPQR_OK);
			assert_int_equal(px[w], 0x5A);
			assert_pixels_match(&s, &o, px);
			free(px);
		}
}

/* Renders PNG with o, decodes it with libpng's simplified API, compares pixels. */
static void png_roundtrip(const sym *s, const upqr_qr_options *o)
{
	size_t n = 0;
	assert_int_equal(upqr_qr_png(NULL, 0, &n, o, s->m, s->size), UPQR_EBUFSIZE);
	uint8_t *buf = malloc(n);
	assert_non_null(buf);
	assert_int_equal(upqr_qr_png(buf, n - 1, &n, o, s->m, s->size), UPQR_EBUFSIZE);
	assert_int_equal(upqr_qr_png(buf, n, &n, o, s->m, s->size), UPQR_OK);
	assert_memory_equal(buf, "\x89PNG\r\n\x1a\n", 8);
	assert_int_equal(buf[24], o->png_bit_depth); /* IHDR bit depth */
	assert_int_equal(buf[25], 0);                 /* colour type grey */
	png_image img;
	memset(&img, 0, sizeof img);
	img.version = PNG_IMAGE_VERSION;
	assert_true(png_image_begin_read_from_memory(&img, buf, n));
	size_t side = upqr_qr_image_side(s->size, o);
	assert_int_equal(img.width, side);
	assert_int_equal(img.height, side);
	img.format = PNG_FORMAT_GRAY;
	uint8_t *px = malloc(PNG_IMAGE_SIZE(img));
	assert_non_null(px);
	assert_true(png_image_finish_read(&img, NULL, px, 0, NULL));
	assert_pixels_match(s, o, px);
	free(px);
	free(buf);
}

static void test_png_decodes_to_same_pixels(void **state)
{
	(void)state;
	static sym s;
	encode(&s, MPM_CN);
	unsigned scales[] = { 1, 2, 5, 8 };
	for (size_t i = 0; i < N_OF(scales); i++)
		for (unsigned depth = 1; depth <= 8; depth += 7) {
			upqr_qr_options o = opts(scales[i], 4 + (unsigned)i);
			o.png_bit_depth = depth;
			png_roundtrip(&s, &o);
		}
}

/* Every allocation failure inside libpng or upqr becomes UPQR_ENOMEM, without leaks. */
static void test_png_allocation_failures(void **state)
{
	(void)state;
	static sym s;
	static uint8_t buf[1 << 16];
	encode(&s, "HELLO");
	size_t n = 0;
	int rc;
	long k = 0;
	do {
		tu_alloc_stats st = { 0, 0, k };
		tu_alloc_install(&st);
		rc = upqr_qr_png(buf, sizeof buf, &n, NULL, s.m, s.size);
		tu_alloc_uninstall();
		assert_int_equal(st.allocs, st.frees);
		if (rc != UPQR_OK)
			assert_int_equal(rc, UPQR_ENOMEM);
		k++;
	} while (rc != UPQR_OK && k < 1000);
	assert_int_equal(rc, UPQR_OK);
	assert_true(k > 2); /* libpng really allocated through the hook */
}

/* Parses our own path syntax ("Mx yhNv1h-Nz" per run) back into a matrix. */
static void svg_to_modules(const char *svg, uint8_t *grid, size_t units)
{
	const char *d = strstr(svg, " d=\"");
	assert_non_null(d);
	d += 4;
	memset(grid, 0, units * units);
	while (*d == 'M') {
		char *e;
		unsigned long x = strtoul(d + 1, &e, 10);
		assert_int_equal(*e, ' ');
		unsigned long y = strtoul(e + 1, &e, 10);
		assert_int_equal(*e, 'h');
		unsigned long w = strtoul(e + 1, &e, 10);
		assert_memory_equal(e, "v1h-", 4);
		assert_int_equal(strtoul(e + 4, &e, 10), w);
		assert_int_equal(*e, 'z');
		d = e + 1;
		assert_true(w > 0 && x + w <= units && y < units);
		for (unsigned long i = 0; i < w; i++) {
			assert_int_equal(grid[y * units + x + i], 0); /* runs never overlap */
			grid[y * units + x + i] = 1;
		}
	}
	assert_memory_equal(d, "\"/>\n</svg>\n", 11);
}

static size_t count_of(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static void test_svg_structure(void **state)
{
	(void)state;
	static sym s;
	static uint8_t grid[(UPQR_QR_SIZE_MAX + 2 * UPQR_QR_MARGIN_MAX) * (UPQR_QR_SIZE_MAX + 2 * UPQR_QR_MARGIN_MAX)];
	encode(&s, MPM_CN);
	upqr_qr_options o = opts(3, 5);
	size_t n = 0, units = s.size + 10;
	assert_int_equal(upqr_qr_svg(NULL, 0, &n, &o, s.m, s.size), UPQR_EBUFSIZE);
	char *svg = malloc(n + 1);
	assert_non_null(svg);
	assert_int_equal(upqr_qr_svg(svg, n, &n, &o, s.m, s.size), UPQR_EBUFSIZE); /* no room for NUL */
	assert_int_equal(upqr_qr_svg(svg, n + 1, &n, &o, s.m, s.size), UPQR_OK);
	assert_int_equal(strlen(svg), n);
	assert_true(strncmp(svg, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg ", 44) == 0);
	char want[128];
	snprintf(want, sizeof want, "width=\"%zu\" height=\"%zu\" viewBox=\"0 0 %zu %zu\"",
		units * 3, units * 3, units, units);
	assert_non_null(strstr(svg, want));
	assert_non_null(strstr(svg, "xmlns=\"http://www.w3.org/2000/svg\""));
	assert_non_null(strstr(svg, "shape-rendering=\"crispEdges\""));
	assert_int_equal(count_of(svg, "<path"), 1);
	assert_int_equal(count_of(svg, "<svg"), 1);
	assert_int_equal(count_of(svg, "</svg>"), 1);
	assert_int_equal(count_of(svg, "<"), 5); /* <?xml, <svg, <rect, <path, </svg> */
	svg_to_modules(svg, grid, units);
	upqr_qr_options unit = opts(1, 5);
	for (size_t y = 0; y < units; y++)
		for (size_t x = 0; x < units; x++)
			assert_int_equal(grid[y * units + x], expect_dark(&s, &unit, x, y));
	free(svg);
}

/* Reads half-block text back: returns the ink of each half cell. */
static void text_to_ink(const char *t, uint8_t *ink, size_t units, size_t lines)
{
	for (size_t l = 0; l < lines; l++) {
		for (size_t x = 0; x < units; x++) {
			int top, bottom;
			if (*t == ' ') {
				top = bottom = 0;
				t++;
			} else {
				assert_memory_equal(t, "\xE2\x96", 2);
				top = t[2] == '\x80' || t[2] == '\x88';
				bottom = t[2] == '\x84' || t[2] == '\x88';
				assert_true(top || bottom);
				t += 3;
			}
			ink[2 * l * units + x] = (uint8_t)top;
			ink[(2 * l + 1) * units + x] = (uint8_t)bottom;
		}
		assert_int_equal(*t++, '\n');
	}
	assert_int_equal(*t, 0);
}

static void test_text_themes(void **state)
{
	(void)state;
	static sym s;
	static uint8_t ink[(UPQR_QR_SIZE_MAX + 2 * UPQR_QR_MARGIN_MAX + 1) * (UPQR_QR_SIZE_MAX + 2 * UPQR_QR_MARGIN_MAX)];
	encode(&s, MPM_CN);
	for (unsigned margin = 4; margin <= 5; margin++)
		for (int theme = 0; theme < 2; theme++) {
			upqr_qr_options o = opts(8, margin);
			o.theme = (upqr_qr_theme)theme;
			size_t n = 0, units = s.size + 2 * margin, lines = (units + 1) / 2;
			assert_int_equal(upqr_qr_text(NULL, 0, &n, &o, s.m, s.size), UPQR_EBUFSIZE);
			char *t = malloc(n + 1);
			assert_non_null(t);
			assert_int_equal(upqr_qr_text(t, n + 1, &n, &o, s.m, s.size), UPQR_OK);
			assert_int_equal(count_of(t, "\n"), lines);
			text_to_ink(t, ink, units, lines);
			upqr_qr_options unit = opts(1, margin);
			for (size_t y = 0; y < 2 * lines; y++)
				for (size_t x = 0; x < units; x++) {
					/* The half row past an odd height is quiet zone (light). */
					int dark = y < units && expect_dark(&s, &unit, x, y);
					/* LIGHT theme inks the dark modules; DARK inks the light ones. */
					assert_int_equal(ink[y * units + x], theme == UPQR_QR_THEME_LIGHT ? dark : !dark);
				}
			free(t);
		}
}

static void test_render_matches_two_layers(void **state)
{
	(void)state;
	static sym s;
	static uint8_t a[1 << 20], b[1 << 20];
	encode(&s, MPM_CN);
	upqr_qr_options o = opts(2, 4);
	for (int f = UPQR_QR_FORMAT_MODULES; f <= UPQR_QR_FORMAT_TEXT; f++) {
		size_t na = 0, nb = 0, q = 0;
		upqr_qr_info info;
		assert_int_equal(upqr_qr_render(NULL, 0, &q, &info, (upqr_qr_format)f, &o, P(MPM_CN),
			strlen(MPM_CN)), UPQR_EBUFSIZE);
		assert_int_equal(info.size, s.size);
		assert_true(info.eci);
		assert_int_equal(info.image_side, (s.size + 8) * 2);
		assert_int_equal(upqr_qr_render(a, sizeof a, &na, NULL, (upqr_qr_format)f, &o, P(MPM_CN),
			strlen(MPM_CN)), UPQR_OK);
		assert_int_equal(na, q);
		int rc = f == UPQR_QR_FORMAT_MODULES ? (memcpy(b, s.m, s.size * s.size), nb = s.size * s.size, 0)
			: f == UPQR_QR_FORMAT_PIXELS ? upqr_qr_pixels(b, sizeof b, &nb, &o, s.m, s.size)
			: f == UPQR_QR_FORMAT_PNG ? upqr_qr_png(b, sizeof b, &nb, &o, s.m, s.size)
			: f == UPQR_QR_FORMAT_SVG ? upqr_qr_svg((char *)b, sizeof b, &nb, &o, s.m, s.size)
			: upqr_qr_text((char *)b, sizeof b, &nb, &o, s.m, s.size);
		assert_int_equal(rc, UPQR_OK);
		assert_int_equal(na, nb);
		assert_memory_equal(a, b, na);
	}
	assert_int_equal(upqr_qr_render(a, sizeof a, NULL, NULL, (upqr_qr_format)5, &o, P("x"), 1), UPQR_EINVAL);
	assert_int_equal(upqr_qr_render(a, sizeof a, NULL, NULL, UPQR_QR_FORMAT_PNG, &o, P(""), 0), UPQR_EINVAL);
	assert_int_equal(upqr_qr_render(a, sizeof a, NULL, NULL, UPQR_QR_FORMAT_SVG, &o, P("\xff"), 1),
		UPQR_EENCODING);
}

typedef int (*renderer)(uint8_t *, size_t, size_t *, const upqr_qr_options *, const uint8_t *, size_t);

static int svg_u8(uint8_t *out, size_t cap, size_t *w, const upqr_qr_options *o,
		const uint8_t *m, size_t size)
{
	return upqr_qr_svg((char *)out, cap, w, o, m, size);
}

static int text_u8(uint8_t *out, size_t cap, size_t *w, const upqr_qr_options *o,
		const uint8_t *m, size_t size)
{
	return upqr_qr_text((char *)out, cap, w, o, m, size);
}

static void test_renderer_refusals(void **state)
{
	(void)state;
	static sym s;
	static uint8_t out[1 << 16];
	encode(&s, "HELLO");
	upqr_qr_options bad = opts(8, 3), old = opts(8, 4);
	old.version = 7;
	renderer r[] = { upqr_qr_pixels, upqr_qr_png, svg_u8, text_u8 };
	for (size_t i = 0; i < N_OF(r); i++) {
		assert_int_equal(r[i](out, sizeof out, NULL, NULL, NULL, 21), UPQR_EINVAL);
		assert_int_equal(r[i](out, sizeof out, NULL, NULL, s.m, 0), UPQR_EINVAL);
		assert_int_equal(r[i](out, sizeof out, NULL, NULL, s.m, 20), UPQR_EINVAL);
		assert_int_equal(r[i](out, sizeof out, NULL, NULL, s.m, 22), UPQR_EINVAL);
		assert_int_equal(r[i](out, sizeof out, NULL, NULL, s.m, 181), UPQR_EINVAL);
		assert_int_equal(r[i](out, sizeof out, NULL, &bad, s.m, 21), UPQR_EINVAL);
		assert_int_equal(r[i](out, sizeof out, NULL, &old, s.m, 21), UPQR_EVERSION);
		assert_int_equal(r[i](out, sizeof out, NULL, NULL, s.m, 21), UPQR_OK);
	}
}

/* ---- files ---------------------------------------------------------------- */

static char *tmpdir(void)
{
	char *d = strdup("/tmp/upqr-test-qr-XXXXXX");
	assert_non_null(d);
	assert_non_null(mkdtemp(d));
	return d;
}

static size_t dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	size_t n = 0;
	for (struct dirent *e; (e = readdir(d));)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	static char buf[1 << 20];
	*len = fread(buf, 1, sizeof buf, f);
	fclose(f);
	return buf;
}

static void write_old(const char *path)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	fputs("old", f);
	fclose(f);
}

static void assert_old(const char *dir, const char *path)
{
	size_t n;
	char *c = slurp(path, &n);
	assert_non_null(c);
	assert_int_equal(n, 3);
	assert_memory_equal(c, "old", 3);
	assert_int_equal(dir_entries(dir), 1);
}

static void test_file_outputs(void **state)
{
	(void)state;
	static uint8_t want[1 << 20];
	char *dir = tmpdir(), path[256];
	snprintf(path, sizeof path, "%s/code.out", dir);
	upqr_qr_format formats[] = { UPQR_QR_FORMAT_PNG, UPQR_QR_FORMAT_SVG, UPQR_QR_FORMAT_TEXT };
	for (size_t i = 0; i < N_OF(formats); i++) {
		size_t wn = 0, n = 0;
		upqr_qr_info info;
		assert_int_equal(upqr_qr_render(want, sizeof want, &wn, NULL, formats[i], NULL, P(MPM_CN),
			strlen(MPM_CN)), UPQR_OK);
		assert_int_equal(upqr_qr_render_file(path, &info, formats[i], NULL, P(MPM_CN), strlen(MPM_CN)),
			UPQR_OK);
		assert_true(info.eci);
		char *got = slurp(path, &n);
		assert_non_null(got);
		assert_int_equal(n, wn); /* no NUL in the file */
		assert_memory_equal(got, want, n);
		assert_int_equal(dir_entries(dir), 1); /* replaced in place, no temporary left */
	}
	unlink(path);
	rmdir(dir);
	free(dir);
}

static void test_file_refusals_leave_nothing(void **state)
{
	(void)state;
	char *dir = tmpdir(), path[256], missing[256];
	snprintf(path, sizeof path, "%s/code.png", dir);
	snprintf(missing, sizeof missing, "%s/no/such/dir.png", dir);
	write_old(path);
	const uint8_t *p = P("HELLO");
	assert_int_equal(upqr_qr_render_file(path, NULL, UPQR_QR_FORMAT_MODULES, NULL, p, 5), UPQR_EINVAL);
	assert_int_equal(upqr_qr_render_file(path, NULL, UPQR_QR_FORMAT_PIXELS, NULL, p, 5), UPQR_EINVAL);
	assert_int_equal(upqr_qr_render_file(NULL, NULL, UPQR_QR_FORMAT_PNG, NULL, p, 5), UPQR_EINVAL);
	assert_int_equal(upqr_qr_render_file("", NULL, UPQR_QR_FORMAT_PNG, NULL, p, 5), UPQR_EINVAL);
	assert_int_equal(upqr_qr_render_file(path, NULL, UPQR_QR_FORMAT_PNG, NULL, p, 0), UPQR_EINVAL);
	assert_int_equal(upqr_qr_render_file(path, NULL, UPQR_QR_FORMAT_PNG, NULL, P("\xc3"), 1),
		UPQR_EENCODING);
	upqr_qr_options o = opts(0, 4);
	assert_int_equal(upqr_qr_render_file(path, NULL, UPQR_QR_FORMAT_SVG, &o, p, 5), UPQR_EINVAL);
	assert_old(dir, path);
	assert_int_equal(upqr_qr_render_file(missing, NULL, UPQR_QR_FORMAT_PNG, NULL, p, 5), UPQR_EIO);
	assert_old(dir, path);
	/* Renaming a file over a directory fails after the image is written. */
	char sub[300];
	snprintf(sub, sizeof sub, "%s/sub", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(upqr_qr_render_file(sub, NULL, UPQR_QR_FORMAT_TEXT, NULL, p, 5), UPQR_EIO);
	assert_int_equal(dir_entries(dir), 2);
	assert_int_equal(dir_entries(sub), 0);
	rmdir(sub);
	assert_old(dir, path);
	unlink(path);
	rmdir(dir);
	free(dir);
}

static void test_file_allocation_failures(void **state)
{
	(void)state;
	char *dir = tmpdir(), path[256];
	snprintf(path, sizeof path, "%s/code", dir);
	upqr_qr_format formats[] = { UPQR_QR_FORMAT_PNG, UPQR_QR_FORMAT_SVG };
	for (size_t i = 0; i < N_OF(formats); i++) {
		write_old(path);
		int rc;
		long k = 0;
		do {
			tu_alloc_stats st = { 0, 0, k++ };
			tu_alloc_install(&st);
			rc = upqr_qr_render_file(path, NULL, formats[i], NULL, P(MPM_CN), strlen(MPM_CN));
			tu_alloc_uninstall();
			assert_int_equal(st.allocs, st.frees);
			if (rc != UPQR_OK) {
				assert_int_equal(rc, UPQR_ENOMEM);
				assert_old(dir, path);
			}
		} while (rc != UPQR_OK && k < 1000);
		assert_int_equal(rc, UPQR_OK);
		assert_int_equal(dir_entries(dir), 1);
	}
	unlink(path);
	rmdir(dir);
	free(dir);
}

/*
 * A write that fails half way (file size limit, like a full disk): in a
 * child process with RLIMIT_FSIZE, the PNG is cut short by EFBIG.
 */
static void test_file_write_failure_mid_image(void **state)
{
	(void)state;
	char *dir = tmpdir(), path[256];
	snprintf(path, sizeof path, "%s/code.png", dir);
	write_old(path);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = { 2000, 2000 };
		signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
			_exit(10);
		upqr_qr_options o = opts(16, 4);
		o.png_bit_depth = 8;
		int rc = upqr_qr_render_file(path, NULL, UPQR_QR_FORMAT_PNG, &o, P(MPM_CN), strlen(MPM_CN));
		free(dir); /* valgrind checks the child's leaks too */
		_exit(rc == UPQR_EIO ? 0 : 20 + (rc < 0 ? -rc : rc));
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_old(dir, path);
	unlink(path);
	rmdir(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pixels),
		cmocka_unit_test(test_png_decodes_to_same_pixels),
		cmocka_unit_test(test_png_allocation_failures),
		cmocka_unit_test(test_svg_structure),
		cmocka_unit_test(test_text_themes),
		cmocka_unit_test(test_render_matches_two_layers),
		cmocka_unit_test(test_renderer_refusals),
		cmocka_unit_test(test_file_outputs),
		cmocka_unit_test(test_file_refusals_leave_nothing),
		cmocka_unit_test(test_file_allocation_failures),
		cmocka_unit_test(test_file_write_failure_mid_image),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
