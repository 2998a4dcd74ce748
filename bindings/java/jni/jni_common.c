/*
 * jni_common.c - result blobs, input copies, version and size constants.
 */
#include <stdlib.h>
#include <string.h>

#include "upqr_jni.h"

void jb_init(jblob *b)
{
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
	b->oom = 0;
	b->wipe = 0;
	b->own = NULL;
}

void jb_init_buf(jblob *b, uint8_t *buf, size_t cap)
{
	jb_init(b);
	b->p = buf;
	b->cap = cap;
	b->own = buf;
}

/* Frees (after a wipe when asked) a buffer unless it is the caller's. */
static void jb_drop(jblob *b, uint8_t *p, size_t cap)
{
	if (b->wipe && p)
		upqr_memzero(p, cap);
	if (p != b->own)
		free(p);
}

void jb_free(jblob *b)
{
	jb_drop(b, b->p, b->cap);
	jb_init(b);
}

int jb_grow(jblob *b, size_t more)
{
	if (b->oom)
		return -1;
	if (b->cap - b->len >= more)
		return 0;
	size_t cap = b->cap ? b->cap : 2048;
	while (cap - b->len < more) {
		if (cap > SIZE_MAX / 2) {
			b->oom = 1;
			return -1;
		}
		cap *= 2;
	}
	uint8_t *p = malloc(cap);
	if (!p) {
		b->oom = 1;
		return -1;
	}
	if (b->p) {
		memcpy(p, b->p, b->len);
		jb_drop(b, b->p, b->cap);
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

static void jb_be(jblob *b, uint64_t v, int bytes)
{
	if (jb_grow(b, (size_t)bytes) != 0)
		return;
	for (int i = bytes - 1; i >= 0; i--)
		b->p[b->len++] = (uint8_t)(v >> (8 * i));
}

void jb_u8(jblob *b, unsigned int v)
{
	jb_be(b, v & 0xFFu, 1);
}

void jb_bytes(jblob *b, const void *data, size_t len)
{
	if (!data || len > 0x7FFFFFFFu) {
		jb_be(b, 0xFFFFFFFFu, 4);
		return;
	}
	jb_be(b, len, 4);
	if (len && jb_grow(b, len) == 0) {
		memcpy(b->p + b->len, data, len);
		b->len += len;
	}
}

void jb_str(jblob *b, const char *s)
{
	jb_bytes(b, s, s ? strlen(s) : 0);
}

void jb_head(jblob *b, int status, const char *message, const upqr_diag_list *diags)
{
	jb_i32(b, status);
	jb_str(b, message && *message ? message : upqr_strerror(status));
	size_t n = diags ? diags->count : 0;
	jb_i32(b, (int32_t)n);
	for (size_t i = 0; i < n; i++) {
		const upqr_diag *d = &diags->items[i];
		jb_str(b, d->code);
		jb_u8(b, (unsigned int)d->severity);
		jb_i64(b, (int64_t)d->offset);
		jb_str(b, d->path);
		jb_str(b, d->message);
	}
	jb_i32(b, diags ? (int32_t)diags->dropped : 0);
}

void jni_throw_oom(JNIEnv *env)
{
	if ((*env)->ExceptionCheck(env))
		return;
	jclass cls = (*env)->FindClass(env, "java/lang/OutOfMemoryError");
	if (cls) {
		(*env)->ThrowNew(env, cls, "upqr: native memory exhausted");
		(*env)->DeleteLocalRef(env, cls);
	}
}

jbyteArray jb_finish(JNIEnv *env, jblob *b)
{
	if (b->oom) {
		jb_free(b);
		jni_throw_oom(env);
		return NULL;
	}
	jbyteArray out = (*env)->NewByteArray(env, (jsize)b->len);
	if (out && b->len)
		(*env)->SetByteArrayRegion(env, out, 0, (jsize)b->len, (const jbyte *)b->p);
	jb_free(b);
	if ((*env)->ExceptionCheck(env)) {
		if (out)
			(*env)->DeleteLocalRef(env, out);
		return NULL;
	}
	return out;
}

jbyteArray jb_finish_into(JNIEnv *env, jblob *b, jbyteArray into)
{
	if (b->oom || !into || (size_t)(*env)->GetArrayLength(env, into) < b->len)
		return jb_finish(env, b);
	(*env)->SetByteArrayRegion(env, into, 0, (jsize)b->len, (const jbyte *)b->p);
	jb_free(b);
	/* cannot fail after the length check; checked all the same */
	return (*env)->ExceptionCheck(env) ? NULL : into;
}

jbyteArray jb_status(JNIEnv *env, int status, const char *message)
{
	jblob b;
	jb_init(&b);
	jb_head(&b, status, message, NULL);
	return jb_finish(env, &b);
}

jbyteArray jb_handle(JNIEnv *env, int status, const char *message, const upqr_diag_list *diags,
		void *h, void (*free_fn)(void *))
{
	jblob b;
	jb_init(&b);
	jb_head(&b, status, message, diags);
	jb_i64(&b, (int64_t)(intptr_t)h);
	jbyteArray res = jb_finish(env, &b);
	if (!res && h)
		free_fn(h);
	return res;
}

int jin_copy(JNIEnv *env, jbyteArray in, uint8_t **out, size_t *len)
{
	return jin_copy_small(env, in, NULL, 0, out, len);
}

void jin_release(uint8_t *p, const uint8_t *buf)
{
	if (p != buf)
		free(p);
}

int jin_copy_small(JNIEnv *env, jbyteArray in, uint8_t *buf, size_t cap, uint8_t **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	if (!in)
		return 0;
	jsize n = (*env)->GetArrayLength(env, in);
	uint8_t *p = (size_t)n < cap ? buf : malloc((size_t)n + 1);
	if (!p) {
		jni_throw_oom(env);
		return -1;
	}
	(*env)->GetByteArrayRegion(env, in, 0, n, (jbyte *)p);
	if ((*env)->ExceptionCheck(env)) {
		jin_release(p, buf);
		return -1;
	}
	p[n] = 0;
	*out = p;
	*len = (size_t)n;
	return 0;
}

void jin_wipe_free(uint8_t *p, size_t len)
{
	if (p) {
		upqr_memzero(p, len);
		free(p);
	}
}

/* ---- version, status names, sizes ------------------------------------- */

JNIEXPORT jbyteArray JNICALL Java_dev_upqr_Native_version(JNIEnv *env, jclass cls)
{
	(void)cls;
	jblob b;
	jb_init(&b);
	jb_head(&b, UPQR_OK, upqr_version(), NULL);
	jb_i32(&b, (int32_t)upqr_version_num());
	return jb_finish(env, &b);
}

JNIEXPORT jbyteArray JNICALL Java_dev_upqr_Native_statusName(JNIEnv *env, jclass cls, jint status)
{
	(void)cls;
	jblob b;
	jb_init(&b);
	jb_head(&b, UPQR_OK, upqr_strerror(status), NULL);
	jb_str(&b, upqr_status_name(status));
	return jb_finish(env, &b);
}

/*
 * Every size and limit the Java side relies on, by a stable index
 * (dev.upqr.Limits.Id): the Java constants are checked against these by a
 * test, as libsodium's constcheck does for its bindings.
 */
JNIEXPORT jlong JNICALL Java_dev_upqr_Native_limit(JNIEnv *env, jclass cls, jint id)
{
	(void)env;
	(void)cls;
	switch (id) {
	case 0: return (jlong)upqr_mpm_input_max();
	case 1: return (jlong)upqr_mpm_objects_max();
	case 2: return (jlong)upqr_mpm_subobjects_max();
	case 3: return (jlong)upqr_mpm_accounts_max();
	case 4: return (jlong)upqr_mpm_encoded_max();
	case 5: return (jlong)upqr_cpm_text_max();
	case 6: return (jlong)upqr_cpm_binary_max();
	case 7: return (jlong)upqr_cpm_nodes_max();
	case 8: return (jlong)upqr_cpm_pan_max();
	case 9: return (jlong)upqr_cpm_aid_max();
	case 10: return (jlong)upqr_cpm_generated_max();
	case 11: return (jlong)upqr_qr_version_max();
	case 12: return (jlong)upqr_qr_size_max();
	case 13: return (jlong)upqr_qr_modules_max();
	case 14: return (jlong)upqr_qr_scale_max();
	case 15: return (jlong)upqr_qr_margin_min();
	case 16: return (jlong)upqr_qr_margin_max();
	case 17: return (jlong)upqr_scan_max_pixels();
	case 18: return (jlong)upqr_scan_max_dimension();
	case 19: return (jlong)upqr_scan_max_symbols();
	case 20: return (jlong)upqr_acp_fields_max();
	case 21: return (jlong)upqr_acp_message_max();
	case 22: return (jlong)upqr_acp_signature_max();
	case 23: return (jlong)upqr_verifier_cache_max();
	case 24: return (jlong)UPQR_JNI_DIAGS;
	default: return -1;
	}
}
