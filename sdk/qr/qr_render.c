/*
 * qr_render.c - payload -> image in one call, to memory or atomically to a
 * file. The one-call paths render straight from libqrencode's matrix.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "qr_internal.h"

/* Renders view v in `format` into b; MODULES and PIXELS count like the text forms. */
static int render_view(upqr__buf *b, upqr_qr_format format, const upqr__qr_view *v,
		const upqr_qr_options *o)
{
	size_t n;
	switch (format) {
	case UPQR_QR_FORMAT_MODULES:
		n = v->size * v->size;
		if (b->data && b->cap >= n)
			for (size_t i = 0; i < n; i++)
				b->data[i] = v->m[i] & 1;
		b->len = n;
		return UPQR_OK;
	case UPQR_QR_FORMAT_PIXELS:
		n = upqr__qr_side(v->size, o);
		n *= n;
		if (b->data && b->cap >= n)
			upqr__qr_pixels(b->data, v, o);
		b->len = n;
		return UPQR_OK;
	case UPQR_QR_FORMAT_PNG:
		return upqr__qr_png(b, NULL, v, o);
	case UPQR_QR_FORMAT_SVG:
		upqr__qr_svg(b, v, o);
		return UPQR_OK;
	case UPQR_QR_FORMAT_TEXT:
		upqr__qr_text(b, v, o);
		return UPQR_OK;
	}
	return UPQR_EINVAL;
}

static bool format_is_text(upqr_qr_format f)
{
	return f == UPQR_QR_FORMAT_SVG || f == UPQR_QR_FORMAT_TEXT;
}

static int prepare(QRcode **code, upqr_qr_options *o, upqr_qr_info *info, upqr_qr_format format,
		const upqr_qr_options *opts, const uint8_t *payload, size_t len)
{
	int rc = upqr__qr_opts(o, opts);
	if (rc != UPQR_OK)
		return rc;
	if ((unsigned)format > UPQR_QR_FORMAT_TEXT)
		return UPQR_EINVAL;
	return upqr__qr_encode(code, info, o, payload, len);
}

int upqr_qr_render(uint8_t *out, size_t cap, size_t *written,
		upqr_qr_info *info, upqr_qr_format format, const upqr_qr_options *opts,
		const uint8_t *payload, size_t len)
{
	upqr_qr_options o;
	QRcode *code;
	int rc = prepare(&code, &o, info, format, opts, payload, len);
	if (rc != UPQR_OK)
		return rc;
	upqr__qr_view v = { code->data, (size_t)code->width };
	upqr__buf b;
	upqr__buf_init(&b, out, cap);
	rc = render_view(&b, format, &v, &o);
	QRcode_free(code);
	if (rc != UPQR_OK)
		return rc;
	return upqr__buf_finish(&b, written, format_is_text(format));
}

typedef struct file_job {
	upqr_qr_format format;
	const upqr__qr_view *v;
	const upqr_qr_options *o;
} file_job;

static int write_job(FILE *f, void *ctx)
{
	const file_job *j = ctx;
	if (j->format == UPQR_QR_FORMAT_PNG)
		return upqr__qr_png(NULL, f, j->v, j->o);
	/* Text forms: a counting pass for the size, then one buffer and one write. */
	upqr__buf b;
	upqr__buf_init(&b, NULL, 0);
	render_view(&b, j->format, j->v, j->o);
	size_t n = b.len;
	uint8_t *mem = upqr__malloc(n);
	if (!mem)
		return UPQR_ENOMEM;
	upqr__buf_init(&b, mem, n);
	render_view(&b, j->format, j->v, j->o);
	int rc = fwrite(mem, 1, n, f) == n ? UPQR_OK : UPQR_EIO;
	upqr__free(mem);
	return rc;
}

int upqr_qr_render_file(const char *path, upqr_qr_info *info,
		upqr_qr_format format, const upqr_qr_options *opts,
		const uint8_t *payload, size_t len)
{
	upqr_qr_options o;
	QRcode *code;
	if (!path || !*path || (format != UPQR_QR_FORMAT_PNG && !format_is_text(format)))
		return UPQR_EINVAL;
	int rc = prepare(&code, &o, info, format, opts, payload, len);
	if (rc != UPQR_OK)
		return rc;
	upqr__qr_view v = { code->data, (size_t)code->width };
	file_job j = { format, &v, &o };
	rc = upqr__qr_write_atomic(path, write_job, &j);
	QRcode_free(code);
	return rc;
}

/* Creates a new file next to path with a name nobody else uses; -1 on failure. */
static int open_temp(char *tmp, size_t cap, const char *path)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	unsigned long seed = (unsigned long)ts.tv_nsec ^ ((unsigned long)getpid() << 16);
	for (unsigned long attempt = 0; attempt < 100; attempt++) {
		snprintf(tmp, cap, "%s.%08lx.tmp", path, (seed + attempt * 0x9E3779B1ul) & 0xFFFFFFFFul);
		/* 0666 so the umask decides, as for any file the caller would create. */
		int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	return -1;
}

/* Everything after the temporary file exists; any failure removes it. */
static int fill_temp(const char *tmp, int fd, const char *path,
		int (*write)(FILE *f, void *ctx), void *ctx)
{
	FILE *f = fdopen(fd, "wb");
	if (!f) {
		close(fd);
		return UPQR_EIO;
	}
	int rc = write(f, ctx);
	if (rc == UPQR_OK && (fflush(f) != 0 || fsync(fileno(f)) != 0))
		rc = UPQR_EIO;
	if (fclose(f) != 0 && rc == UPQR_OK)
		rc = UPQR_EIO;
	if (rc == UPQR_OK && rename(tmp, path) != 0)
		rc = UPQR_EIO;
	return rc;
}

int upqr__qr_write_atomic(const char *path, int (*write)(FILE *f, void *ctx), void *ctx)
{
	size_t cap = strlen(path) + 16;
	char *tmp = upqr__malloc(cap);
	if (!tmp)
		return UPQR_ENOMEM;
	int rc = UPQR_EIO;
	int fd = open_temp(tmp, cap, path);
	if (fd >= 0) {
		rc = fill_temp(tmp, fd, path, write, ctx);
		if (rc != UPQR_OK)
			unlink(tmp);
	}
	upqr__free(tmp);
	return rc;
}
