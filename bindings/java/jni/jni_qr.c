/*
 * jni_qr.c - QR encode and render (dev.upqr.QrImage) and the scanner
 * (dev.upqr.Scanner).
 *
 * Frames are copied out of the Java array (only the bytes the C call
 * reads) instead of pinned: a scan runs ZBar several times and may take
 * tens of milliseconds, far too long to hold a critical section.
 */
#include <stdlib.h>
#include <string.h>

#include "upqr_jni.h"

/* opts: ecc, scale, margin, theme, png_bit_depth (as upqr_qr_options). */
static int qr_opts(JNIEnv *env, jintArray in, upqr_qr_options *o)
{
	int rc = upqr_qr_options_init(o, UPQR_QR_OPTIONS_VERSION);
	if (rc != UPQR_OK)
		return rc;
	jint v[5];
	if ((*env)->GetArrayLength(env, in) != 5)
		return UPQR_EINVAL;
	(*env)->GetIntArrayRegion(env, in, 0, 5, v);
	if ((*env)->ExceptionCheck(env))
		return -1;
	o->ecc = (upqr_qr_ecc)v[0];
	o->scale = (unsigned int)v[1];
	o->margin = (unsigned int)v[2];
	o->theme = (upqr_qr_theme)v[3];
	o->png_bit_depth = (unsigned int)v[4];
	return UPQR_OK;
}

JNIEXPORT jbyteArray JNICALL Java_dev_upqr_Native_qrEncode(JNIEnv *env, jclass cls,
		jbyteArray payload, jintArray opts)
{
	(void)cls;
	upqr_qr_options o;
	int rc = qr_opts(env, opts, &o);
	if (rc < 0 && (*env)->ExceptionCheck(env))
		return NULL;
	if (rc != UPQR_OK)
		return jb_status(env, rc, "bad options");
	uint8_t *text;
	size_t len;
	if (jin_copy(env, payload, &text, &len) != 0)
		return NULL;
	uint8_t *modules = malloc(UPQR_QR_MODULES_MAX);
	if (!modules) {
		free(text);
		jni_throw_oom(env);
		return NULL;
	}
	upqr_qr_info info;
	memset(&info, 0, sizeof info);
	size_t w = 0;
	rc = upqr_qr_encode(modules, UPQR_QR_MODULES_MAX, &w, &info, &o, text, len);
	jblob b;
	jb_init(&b);
	jb_head(&b, rc, NULL, NULL);
	jb_i32(&b, info.version);
	jb_i32(&b, (int32_t)info.size);
	jb_i32(&b, (int32_t)info.ecc);
	jb_i32(&b, info.eci);
	jb_bytes(&b, modules, rc == UPQR_OK ? w : 0);
	free(modules);
	free(text);
	return jb_finish(env, &b);
}

typedef int (*render_fn)(uint8_t *out, size_t cap, size_t *written, const upqr_qr_options *opts,
		const uint8_t *modules, size_t size);

static int svg_fn(uint8_t *out, size_t cap, size_t *written, const upqr_qr_options *opts,
		const uint8_t *modules, size_t size)
{
	return upqr_qr_svg((char *)out, cap, written, opts, modules, size);
}

static int text_fn(uint8_t *out, size_t cap, size_t *written, const upqr_qr_options *opts,
		const uint8_t *modules, size_t size)
{
	return upqr_qr_text((char *)out, cap, written, opts, modules, size);
}

/* format: 1 pixels, 2 PNG, 3 SVG, 4 text (upqr_qr_format). */
JNIEXPORT jbyteArray JNICALL Java_dev_upqr_Native_qrRender(JNIEnv *env, jclass cls,
		jint format, jintArray opts, jbyteArray modules, jint size)
{
	(void)cls;
	static const render_fn fns[] = { NULL, upqr_qr_pixels, upqr_qr_png, svg_fn, text_fn };
	upqr_qr_options o;
	int rc = qr_opts(env, opts, &o);
	if (rc < 0 && (*env)->ExceptionCheck(env))
		return NULL;
	if (rc != UPQR_OK || format < 1 || format > 4 || size < 0)
		return jb_status(env, UPQR_EINVAL, "bad options or format");
	uint8_t *m;
	size_t len;
	if (jin_copy(env, modules, &m, &len) != 0)
		return NULL;
	if (!m || len != (size_t)size * (size_t)size) {
		free(m);
		return jb_status(env, UPQR_EINVAL, "module matrix is not size x size");
	}
	size_t need = 0;
	uint8_t *out = NULL;
	rc = fns[format](NULL, 0, &need, &o, m, (size_t)size);
	if (rc == UPQR_EBUFSIZE) {
		out = malloc(need + 1);
		rc = out ? fns[format](out, need + 1, &need, &o, m, (size_t)size) : UPQR_ENOMEM;
	}
	jblob b;
	jb_init(&b);
	jb_head(&b, rc, NULL, NULL);
	jb_bytes(&b, out, rc == UPQR_OK ? need : 0);
	free(out);
	free(m);
	return jb_finish(env, &b);
}

/* ---- scanner ----------------------------------------------------------------- */

static upqr_scanner *scanner_of(jlong h)
{
	return (upqr_scanner *)(intptr_t)h;
}

static void free_scanner(void *h)
{
	upqr_scanner_free(h);
}

JNIEXPORT jbyteArray JNICALL Java_dev_upqr_Native_scannerNew(JNIEnv *env, jclass cls,
		jlong max_pixels, jboolean try_harder, jboolean exhaustive, jint max_passes, jint profile,
		jboolean video, jint frame_budget_us, jint dedup_frames)
{
	(void)cls;
	upqr_scan_options o = UPQR_SCAN_OPTIONS_INIT;
	o.max_pixels = max_pixels < 0 ? 0 : (size_t)max_pixels;
	o.try_harder = try_harder ? 1 : 0;
	o.exhaustive = exhaustive ? 1 : 0;
	o.max_passes = max_passes < 0 ? 0u : (unsigned int)max_passes;
	o.mpm_profile = profile == 1 ? upqr_mpm_profile_unionpay() : NULL;
	o.video = video ? 1 : 0;
	o.frame_budget_us = frame_budget_us < 0 ? 0u : (unsigned int)frame_budget_us;
	if (dedup_frames >= 0) /* -1: the library's default */
		o.dedup_frames = (unsigned int)dedup_frames;
	upqr_scanner *s = NULL;
	int rc = upqr_scanner_new(&s, &o);
	return jb_handle(env, rc, NULL, NULL, s, free_scanner);
}

JNIEXPORT jbyteArray JNICALL Java_dev_upqr_Native_scannerReset(JNIEnv *env, jclass cls, jlong h)
{
	(void)cls;
	return jb_status(env, upqr_scanner_reset(scanner_of(h)), NULL);
}

JNIEXPORT void JNICALL Java_dev_upqr_Native_scannerFree(JNIEnv *env, jclass cls, jlong h)
{
	(void)env;
	(void)cls;
	upqr_scanner_free(scanner_of(h));
}

static void put_symbol(jblob *b, const upqr_scan_symbol *s)
{
	jb_bytes(b, s->data, s->len);
	jb_i32(b, (int32_t)s->kind);
	jb_i32(b, s->valid);
	jb_i32(b, s->status);
	jb_head(b, s->status, NULL, &s->diags);
	jb_i32(b, (int32_t)s->corner_count);
	for (size_t i = 0; i < s->corner_count && i < 4; i++) {
		jb_i32(b, s->corners[i].x);
		jb_i32(b, s->corners[i].y);
	}
	jb_str(b, s->pass);
	jb_bytes(b, s->acquirer, s->acquirer ? s->acquirer_len : 0);
	jb_bytes(b, s->id, s->id ? s->id_len : 0);
}

/*
 * kind: 0 image (PNG/JPEG), 1 grey, 2 NV21. A grey frame is copied only as
 * far as the C call reads it, (height-1)*stride + width bytes; an NV21
 * frame whole, since upqr_scan_nv21 checks that the VU plane is there.
 */
JNIEXPORT jbyteArray JNICALL Java_dev_upqr_Native_scan(JNIEnv *env, jclass cls, jlong h,
		jint kind, jbyteArray data, jint width, jint height, jint stride)
{
	(void)cls;
	if (!data || width < 0 || height < 0 || stride < 0)
		return jb_status(env, UPQR_EINVAL, "null data or negative geometry");
	jsize n = (*env)->GetArrayLength(env, data);
	size_t want = (size_t)n;
	if (kind == 1) {
		if (width == 0 || height == 0 || stride < width)
			return jb_status(env, UPQR_EINVAL, "bad frame geometry");
		want = ((size_t)height - 1) * (size_t)stride + (size_t)width;
		if (want > (size_t)n)
			return jb_status(env, UPQR_EINVAL, "frame shorter than its geometry");
	}
	uint8_t *p = malloc(want ? want : 1);
	if (!p) {
		jni_throw_oom(env);
		return NULL;
	}
	(*env)->GetByteArrayRegion(env, data, 0, (jsize)want, (jbyte *)p);
	if ((*env)->ExceptionCheck(env)) {
		free(p);
		return NULL;
	}
	upqr_scanner *s = scanner_of(h);
	size_t count = 0;
	int rc;
	if (kind == 0)
		rc = upqr_scan_image(&count, s, p, want);
	else if (kind == 1)
		rc = upqr_scan_grey(&count, s, p, want, (unsigned)width, (unsigned)height, (size_t)stride);
	else
		rc = upqr_scan_nv21(&count, s, p, want, (unsigned)width, (unsigned)height, (size_t)stride);
	free(p);
	jblob b;
	jb_init(&b);
	jb_head(&b, rc, upqr_scanner_last_error(s), NULL);
	jb_i32(&b, rc == UPQR_OK ? (int32_t)count : 0);
	for (size_t i = 0; rc == UPQR_OK && i < count; i++)
		put_symbol(&b, upqr_scanner_symbol(s, i));
	return jb_finish(env, &b);
}
