/*
 * jni_sign.c - ACP message fields, dev.upqr.Signer and dev.upqr.Verifier.
 *
 * Field lists cross as one byte[] (Java's Acp.pack): per field a u32 key
 * length, the key bytes, a u32 value length, the value bytes (UTF-8). The
 * C fields are views into one copy of that array. Passwords and secure
 * keys are copied, used and wiped before the call returns.
 */
#include <stdlib.h>
#include <string.h>

#include "upqr_jni.h"

typedef struct fields {
	uint8_t *data;
	size_t len;
	upqr_acp_field *f;
	size_t n;
} fields;

static uint32_t be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* One part (key or value) at *at; NULL when the records are malformed. */
static const char *part(const fields *fs, size_t *at, size_t *len)
{
	if (fs->len - *at < 4)
		return NULL;
	uint32_t n = be32(fs->data + *at);
	*at += 4;
	if (fs->len - *at < n)
		return NULL;
	const char *p = (const char *)fs->data + *at;
	*at += n;
	*len = n;
	return p;
}

/* Walks the records; fills fs->f when it is set. -1 when malformed. */
static int walk(fields *fs)
{
	size_t at = 0, n = 0;
	while (at < fs->len) {
		size_t kl, vl;
		const char *k = part(fs, &at, &kl);
		const char *v = k ? part(fs, &at, &vl) : NULL;
		if (!v)
			return -1;
		if (fs->f)
			fs->f[n] = (upqr_acp_field){ k, kl, v, vl };
		n++;
	}
	fs->n = n;
	return 0;
}

/* UPQR_OK, UPQR_EINVAL (malformed), UPQR_ENOMEM; -1 with an exception pending. */
static int fields_in(JNIEnv *env, jbyteArray in, fields *fs)
{
	memset(fs, 0, sizeof *fs);
	if (jin_copy(env, in, &fs->data, &fs->len) != 0)
		return -1;
	if (!fs->data || walk(fs) != 0)
		return UPQR_EINVAL;
	fs->f = calloc(fs->n + 1, sizeof *fs->f);
	if (!fs->f)
		return UPQR_ENOMEM;
	return walk(fs) == 0 ? UPQR_OK : UPQR_EINVAL;
}

static void fields_free(fields *fs)
{
	free(fs->f);
	free(fs->data);
}

static void put_fields(jblob *b, const upqr_acp_field *f, size_t n)
{
	jb_i32(b, (int32_t)n);
	for (size_t i = 0; i < n; i++) {
		jb_bytes(b, f[i].key, f[i].key_len);
		jb_bytes(b, f[i].value, f[i].value_len);
	}
}

JNIEXPORT jbyteArray JNICALL Java_dev_upqr_Native_acpParse(JNIEnv *env, jclass cls,
		jbyteArray body, jboolean form)
{
	(void)cls;
	uint8_t *s;
	size_t len;
	if (jin_copy(env, body, &s, &len) != 0)
		return NULL;
	JNI_DIAG_LIST(diags);
	upqr_acp_field *f = calloc(UPQR_ACP_FIELDS_MAX, sizeof *f);
	char *scratch = malloc(len + 1);
	size_t n = 0;
	int rc = UPQR_ENOMEM;
	if (!s)
		rc = UPQR_EINVAL;
	else if (f && scratch && form)
		rc = upqr_acp_parse_form(f, UPQR_ACP_FIELDS_MAX, &n, scratch, len + 1,
			(const char *)s, len, &diags);
	else if (f && scratch)
		rc = upqr_acp_parse_response(f, UPQR_ACP_FIELDS_MAX, &n, (const char *)s, len, &diags);
	jblob b;
	jb_init(&b);
	jb_head(&b, rc, NULL, &diags);
	put_fields(&b, f, rc == UPQR_OK ? n : 0);
	free(scratch);
	free(f);
	free(s);
	return jb_finish(env, &b);
}

/* kind 0: form body, 1: string to sign. */
JNIEXPORT jbyteArray JNICALL Java_dev_upqr_Native_acpWrite(JNIEnv *env, jclass cls,
		jbyteArray packed, jint kind)
{
	(void)cls;
	fields fs;
	int rc = fields_in(env, packed, &fs);
	if (rc < 0) {
		fields_free(&fs);
		return NULL;
	}
	size_t need = 0;
	char *out = NULL;
	if (rc == UPQR_OK) {
		rc = kind == 0 ? upqr_acp_form_encode(NULL, 0, &need, fs.f, fs.n)
			: upqr_acp_string_to_sign(NULL, 0, &need, fs.f, fs.n);
		if (rc == UPQR_EBUFSIZE || rc == UPQR_OK) {
			out = malloc(need + 1);
			rc = !out ? UPQR_ENOMEM : kind == 0 ? upqr_acp_form_encode(out, need + 1, &need, fs.f, fs.n)
				: upqr_acp_string_to_sign(out, need + 1, &need, fs.f, fs.n);
		}
	}
	jblob b;
	jb_init(&b);
	jb_head(&b, rc, NULL, NULL);
	jb_bytes(&b, out, rc == UPQR_OK ? need : 0);
	free(out);
	fields_free(&fs);
	return jb_finish(env, &b);
}

JNIEXPORT jbyteArray JNICALL Java_dev_upqr_Native_acpMaskPan(JNIEnv *env, jclass cls, jbyteArray pan)
{
	(void)cls;
	uint8_t *s;
	size_t len, w = 0;
	if (jin_copy(env, pan, &s, &len) != 0)
		return NULL;
	char out[64];
	int rc = s ? upqr_acp_mask_pan(out, sizeof out, &w, (const char *)s, len) : UPQR_EINVAL;
	jin_wipe_free(s, len);
	jblob b;
	jb_init(&b);
	jb_head(&b, rc, NULL, NULL);
	jb_bytes(&b, out, rc == UPQR_OK ? w : 0);
	return jb_finish(env, &b);
}

/* ---- signer ------------------------------------------------------------------- */

static upqr_signer *signer_of(jlong h)
{
	return (upqr_signer *)(intptr_t)h;
}

static upqr_verifier *verifier_of(jlong h)
{
	return (upqr_verifier *)(intptr_t)h;
}

/* Text inputs of the options, NUL-terminated copies, freed (and wiped) together. */
typedef struct copies {
	uint8_t *p[8];
	size_t len[8];
	int n;
} copies;

static int take(JNIEnv *env, copies *c, jbyteArray in, const char **out)
{
	uint8_t *p;
	size_t len;
	if (jin_copy(env, in, &p, &len) != 0)
		return -1;
	c->p[c->n] = p;
	c->len[c->n++] = len;
	*out = (const char *)p;
	return 0;
}

static void copies_free(copies *c)
{
	for (int i = 0; i < c->n; i++)
		jin_wipe_free(c->p[i], c->len[i]);
}

static void free_signer(void *h)
{
	upqr_signer_free(h);
}

static void free_verifier(void *h)
{
	upqr_verifier_free(h);
}

JNIEXPORT jbyteArray JNICALL Java_dev_upqr_Native_signerNew(JNIEnv *env, jclass cls,
		jint version, jint method, jbyteArray pfx_path, jbyteArray pfx_data, jbyteArray password,
		jbyteArray key_path, jbyteArray cert_path, jbyteArray secure_key, jbyteArray enc_cert)
{
	(void)cls;
	upqr_signer_options o = UPQR_SIGNER_OPTIONS_INIT;
	o.acp_version = (upqr_acp_version)version;
	o.sign_method = (upqr_acp_sign_method)method;
	copies c = { .n = 0 };
	const char *data = NULL, *key = NULL;
	if (take(env, &c, pfx_path, &o.pfx_path) || take(env, &c, pfx_data, &data) ||
			take(env, &c, password, &o.password) || take(env, &c, key_path, &o.key_pem_path) ||
			take(env, &c, cert_path, &o.cert_pem_path) || take(env, &c, secure_key, &key) ||
			take(env, &c, enc_cert, &o.encrypt_cert_path)) {
		copies_free(&c);
		return NULL;
	}
	o.pfx_data = (const uint8_t *)data;
	o.pfx_len = c.len[1];
	o.secure_key = (const uint8_t *)key;
	o.secure_key_len = c.len[5];
	upqr_signer *s = NULL;
	int rc = upqr_signer_new(&s, &o);
	copies_free(&c);
	return jb_handle(env, rc, NULL, NULL, s, free_signer);
}

JNIEXPORT void JNICALL Java_dev_upqr_Native_signerFree(JNIEnv *env, jclass cls, jlong h)
{
	(void)env;
	(void)cls;
	upqr_signer_free(signer_of(h));
}

/* which 0: certId, 1: encryptCertId. */
JNIEXPORT jbyteArray JNICALL Java_dev_upqr_Native_signerCertId(JNIEnv *env, jclass cls, jlong h,
		jint which)
{
	(void)cls;
	jblob b;
	jb_init(&b);
	jb_head(&b, UPQR_OK, NULL, NULL);
	jb_str(&b, which ? upqr_signer_encrypt_cert_id(signer_of(h)) : upqr_signer_cert_id(signer_of(h)));
	return jb_finish(env, &b);
}

/* kind 0: signature, 1: request body. */
JNIEXPORT jbyteArray JNICALL Java_dev_upqr_Native_signerSign(JNIEnv *env, jclass cls, jlong h,
		jbyteArray packed, jint kind)
{
	(void)cls;
	upqr_signer *s = signer_of(h);
	fields fs;
	int rc = fields_in(env, packed, &fs);
	if (rc < 0) {
		fields_free(&fs);
		return NULL;
	}
	size_t need = 0;
	char *out = NULL;
	if (rc == UPQR_OK) {
		rc = kind == 0 ? upqr_signer_sign(NULL, 0, &need, s, fs.f, fs.n)
			: upqr_signer_build_request(NULL, 0, &need, s, fs.f, fs.n);
		if (rc == UPQR_EBUFSIZE) {
			out = malloc(need + 1);
			rc = !out ? UPQR_ENOMEM : kind == 0 ? upqr_signer_sign(out, need + 1, &need, s, fs.f, fs.n)
				: upqr_signer_build_request(out, need + 1, &need, s, fs.f, fs.n);
		}
	}
	jblob b;
	jb_init(&b);
	jb_head(&b, rc, rc == UPQR_OK ? NULL : upqr_signer_last_error(s), NULL);
	jb_bytes(&b, out, rc == UPQR_OK ? need : 0);
	free(out);
	fields_free(&fs);
	return jb_finish(env, &b);
}

/* decrypt 0: encrypt plain bytes to base64; 1: decrypt base64 (output wiped after the copy). */
JNIEXPORT jbyteArray JNICALL Java_dev_upqr_Native_signerCrypt(JNIEnv *env, jclass cls, jlong h,
		jbyteArray in, jboolean decrypt)
{
	(void)cls;
	upqr_signer *s = signer_of(h);
	uint8_t *p;
	size_t len, need = 0;
	if (jin_copy(env, in, &p, &len) != 0)
		return NULL;
	uint8_t *out = NULL;
	int rc = UPQR_EINVAL;
	if (p) {
		rc = decrypt ? upqr_signer_decrypt(NULL, 0, &need, s, (const char *)p, len)
			: upqr_signer_encrypt(NULL, 0, &need, s, p, len);
		if (rc == UPQR_EBUFSIZE) {
			out = malloc(need + 1);
			rc = !out ? UPQR_ENOMEM : decrypt ? upqr_signer_decrypt(out, need + 1, &need, s, (const char *)p, len)
				: upqr_signer_encrypt((char *)out, need + 1, &need, s, p, len);
		}
	}
	jblob b;
	jb_init(&b);
	b.wipe = 1; /* it holds the plain text */
	jb_head(&b, rc, rc == UPQR_OK ? NULL : upqr_signer_last_error(s), NULL);
	jb_bytes(&b, out, rc == UPQR_OK ? need : 0);
	jin_wipe_free(out, out ? need + 1 : 0);
	jin_wipe_free(p, len);
	return jb_finish(env, &b);
}

/* ---- verifier ----------------------------------------------------------------- */

JNIEXPORT jbyteArray JNICALL Java_dev_upqr_Native_verifierNew(JNIEnv *env, jclass cls,
		jbyteArray root, jbyteArray middle, jbyteArray dir, jboolean test_env, jbyteArray secure_key,
		jint cache_size)
{
	(void)cls;
	upqr_verifier_options o = UPQR_VERIFIER_OPTIONS_INIT;
	copies c = { .n = 0 };
	const char *key = NULL;
	if (take(env, &c, root, &o.root_cert_path) || take(env, &c, middle, &o.middle_cert_path) ||
			take(env, &c, dir, &o.cert_dir) || take(env, &c, secure_key, &key)) {
		copies_free(&c);
		return NULL;
	}
	o.test_env = test_env ? 1 : 0;
	o.secure_key = (const uint8_t *)key;
	o.secure_key_len = c.len[3];
	o.cache_size = cache_size < 0 ? 0 : (size_t)cache_size;
	upqr_verifier *v = NULL;
	int rc = upqr_verifier_new(&v, &o);
	copies_free(&c);
	return jb_handle(env, rc, NULL, NULL, v, free_verifier);
}

JNIEXPORT void JNICALL Java_dev_upqr_Native_verifierFree(JNIEnv *env, jclass cls, jlong h)
{
	(void)env;
	(void)cls;
	upqr_verifier_free(verifier_of(h));
}

JNIEXPORT jlong JNICALL Java_dev_upqr_Native_verifierCacheCount(JNIEnv *env, jclass cls, jlong h)
{
	(void)env;
	(void)cls;
	return (jlong)upqr_verifier_cache_count(verifier_of(h));
}

/* cert 0: verify the packed fields; 1: check the PEM in `in`. at: Long.MIN_VALUE = now. */
JNIEXPORT jbyteArray JNICALL Java_dev_upqr_Native_verifierVerify(JNIEnv *env, jclass cls, jlong h,
		jbyteArray in, jboolean cert, jlong at)
{
	(void)cls;
	upqr_verifier *v = verifier_of(h);
	int rc;
	if (cert) {
		uint8_t *p;
		size_t len;
		if (jin_copy(env, in, &p, &len) != 0)
			return NULL;
		rc = p ? upqr_verifier_check_cert(v, (const char *)p, len, at) : UPQR_EINVAL;
		free(p);
	} else {
		fields fs;
		rc = fields_in(env, in, &fs);
		if (rc < 0) {
			fields_free(&fs);
			return NULL;
		}
		if (rc == UPQR_OK)
			rc = upqr_verifier_verify(v, fs.f, fs.n, at);
		fields_free(&fs);
	}
	jblob b;
	jb_init(&b);
	jb_head(&b, rc, rc == UPQR_OK ? NULL : upqr_verifier_last_error(v), NULL);
	return jb_finish(env, &b);
}
