/*
 * upqr_jni.h - plumbing shared by the JNI glue files.
 *
 * Every native method of dev.upqr.Native answers with one byte[] "result
 * blob" that Java reads with dev.upqr.Blob: status (i32), message (string),
 * the diagnostics list, then the call's own fields. Exceptions are built on
 * the Java side from that, so the C side never has to construct Java
 * objects beyond one byte array per call (few JNI calls, no local
 * references to leak). Integers are big-endian; a string or byte field is
 * a u32 length (0xFFFFFFFF = null) and its bytes, UTF-8 for text: never the
 * JVM's modified UTF-8.
 *
 * Inputs arrive as byte[] and are copied out with GetByteArrayRegion into
 * C memory (pinned for the copy only), NUL-terminated for the C API; the
 * one String input (MPM decode) is copied with GetStringRegion and made
 * UTF-8 in C.
 */
#ifndef UPQR_JNI_H
#define UPQR_JNI_H

#include <jni.h>
#include <stddef.h>
#include <stdint.h>

#include "upqr.h"
/* javac -h output: the prototypes of every native method of dev.upqr.Native. */
#include "dev_upqr_Native.h"

/* Diagnostics kept per call; further ones are counted by the C list. */
#define UPQR_JNI_DIAGS 64
/* Declares an empty diagnostics list `name` with room for UPQR_JNI_DIAGS items. */
#define JNI_DIAG_LIST(name) \
	upqr_diag name##_store[UPQR_JNI_DIAGS]; \
	upqr_diag_list name; \
	upqr_diag_list_init(&name, name##_store, UPQR_JNI_DIAGS)

typedef struct jblob {
	uint8_t *p;
	size_t len;
	size_t cap;
	int oom;
	int wipe;     /* wipe the C copy when done (secrets) */
	uint8_t *own; /* the caller's first buffer (not freed), or NULL */
} jblob;

void jb_init(jblob *b);
/*
 * As jb_init, starting in the caller's buf[0..cap) (e.g. on the stack):
 * a hot call whose blob fits makes no heap allocation; a larger one moves
 * to the heap as usual.
 */
void jb_init_buf(jblob *b, uint8_t *buf, size_t cap);
void jb_free(jblob *b);
/* Makes room for `more` bytes; -1 (and b->oom set) when memory runs out. */
int jb_grow(jblob *b, size_t more);
void jb_u8(jblob *b, unsigned int v);

/* Inline: an MPM decode writes a few hundred of these, the hot path of the binding. */
static inline void jb_i32(jblob *b, int32_t v)
{
	if (b->cap - b->len < 4 && jb_grow(b, 4) != 0)
		return;
	uint8_t *p = b->p + b->len;
	uint32_t u = (uint32_t)v;
	p[0] = (uint8_t)(u >> 24);
	p[1] = (uint8_t)(u >> 16);
	p[2] = (uint8_t)(u >> 8);
	p[3] = (uint8_t)u;
	b->len += 4;
}

static inline void jb_i64(jblob *b, int64_t v)
{
	jb_i32(b, (int32_t)(uint32_t)((uint64_t)v >> 32));
	jb_i32(b, (int32_t)(uint32_t)(uint64_t)v);
}
void jb_bytes(jblob *b, const void *data, size_t len);
/* A NUL-terminated string, or null for NULL. */
void jb_str(jblob *b, const char *s);
/* Status, message (NULL: upqr_strerror(status)) and diagnostics (NULL: none). */
void jb_head(jblob *b, int status, const char *message, const upqr_diag_list *diags);
/* The blob as a new byte[]; frees b. NULL with OutOfMemoryError pending on failure. */
jbyteArray jb_finish(JNIEnv *env, jblob *b);
/*
 * As jb_finish, but written into the caller's array `into` (returned) when
 * the blob fits in it, which spares the JVM call that makes a new array;
 * the bytes after the blob are left as they are.
 */
jbyteArray jb_finish_into(JNIEnv *env, jblob *b, jbyteArray into);
/*
 * A blob with a status, a message and diagnostics (both may be NULL) and a
 * new handle h (NULL on failure). When the blob cannot be made, h is freed
 * with free_fn, so no handle is lost between C and Java.
 */
jbyteArray jb_handle(JNIEnv *env, int status, const char *message, const upqr_diag_list *diags,
		void *h, void (*free_fn)(void *));
/* A blob holding only a status and message. */
jbyteArray jb_status(JNIEnv *env, int status, const char *message);

/*
 * Copies a Java byte[] into new C memory with a NUL after it (*len excludes
 * the NUL). A null array gives *out = NULL, *len = 0. Returns 0, or -1 with
 * an exception pending (OutOfMemoryError).
 */
int jin_copy(JNIEnv *env, jbyteArray in, uint8_t **out, size_t *len);
/*
 * As jin_copy, into buf[0..cap) when the array fits (with its NUL), else
 * into new memory; free *out with jin_release(*out, buf) either way.
 */
int jin_copy_small(JNIEnv *env, jbyteArray in, uint8_t *buf, size_t cap, uint8_t **out, size_t *len);
void jin_release(uint8_t *p, const uint8_t *buf);
/* Wipes and frees a copy (for passwords and keys). */
void jin_wipe_free(uint8_t *p, size_t len);

/* Throws java.lang.OutOfMemoryError (or keeps a pending exception). */
void jni_throw_oom(JNIEnv *env);

#endif
