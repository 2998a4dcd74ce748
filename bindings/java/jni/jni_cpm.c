/*
 * jni_cpm.c - CPM decode, generate and verify, EMV keys and token profiles
 * for dev.upqr.Cpm, dev.upqr.EmvKey and dev.upqr.CpmProfile.
 *
 * Handles cross as jlong; the Java side guarantees a live handle (it
 * refuses calls after close, under its own lock), so no handle here is
 * ever freed twice or used after free.
 */
#include <stdlib.h>
#include <string.h>

#include "upqr_jni.h"

static upqr_emv_key *key_of(jlong h)
{
	return (upqr_emv_key *)(intptr_t)h;
}

static upqr_cpm_profile_doc *doc_of(jlong h)
{
	return (upqr_cpm_profile_doc *)(intptr_t)h;
}

static void free_key(void *h)
{
	upqr_emv_key_free(h);
}

static void free_doc(void *h)
{
	upqr_cpm_profile_doc_free(h);
}

static void put_hex(jblob *b, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	char buf[2 * UPQR_CPM_AID_MAX + 1];
	if (!p || n > UPQR_CPM_AID_MAX) {
		jb_str(b, NULL);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		buf[2 * i] = hex[p[i] >> 4];
		buf[2 * i + 1] = hex[p[i] & 15];
	}
	jb_bytes(b, buf, 2 * n);
}

static void put_node_text(jblob *b, const upqr_cpm *c, uint16_t node)
{
	upqr_cpm_bytes v;
	if (upqr_cpm_node_value(&v, c, node) == UPQR_OK)
		jb_bytes(b, v.ptr, v.len);
	else
		jb_str(b, NULL);
}

static void put_cpm(jblob *b, const upqr_cpm *c)
{
	jb_i32(b, c->valid);
	jb_i32(b, (int32_t)c->version);
	jb_i32(b, (int32_t)c->app_count);
	jb_i32(b, c->selected);
	jb_i32(b, c->psn);
	jb_i32(b, (int32_t)c->pan_len);
	jb_i32(b, c->pan_luhn_ok);
	upqr_cpm_bytes aid;
	if (upqr_cpm_node_value(&aid, c, c->aid_node) == UPQR_OK)
		put_hex(b, aid.ptr, aid.len);
	else
		jb_str(b, NULL);
	jb_str(b, c->aid_name);
	put_node_text(b, c, c->label_node);
	jb_str(b, c->pan_masked);
	jb_str(b, c->expiry);
	jb_str(b, c->service_code);
	jb_str(b, c->discretionary);
	size_t need = 2 * c->binary_len + 1, w;
	char *hex = malloc(need);
	if (hex && upqr_cpm_hex_masked(hex, need, &w, c) == UPQR_OK)
		jb_bytes(b, hex, w);
	else
		jb_str(b, NULL);
	free(hex);
}

/* Decodes text[] into a new upqr_cpm; NULL with an exception pending on failure. */
static upqr_cpm *decode(JNIEnv *env, jbyteArray text, jboolean unionpay_aids, int *rc,
		upqr_diag_list *diags)
{
	uint8_t *s;
	size_t len;
	if (jin_copy(env, text, &s, &len) != 0)
		return NULL;
	upqr_cpm *c = malloc(sizeof *c);
	if (!c) {
		free(s);
		jni_throw_oom(env);
		return NULL;
	}
	upqr_cpm_options o = UPQR_CPM_OPTIONS_INIT;
	o.unionpay_aids = unionpay_aids ? 1 : 0;
	*rc = upqr_cpm_decode(c, &o, (const char *)s, len, diags);
	free(s);
	return c;
}

JNIEXPORT jbyteArray JNICALL Java_dev_upqr_Native_cpmDecode(JNIEnv *env, jclass cls,
		jbyteArray text, jboolean unionpay_aids)
{
	(void)cls;
	JNI_DIAG_LIST(diags);
	int rc = UPQR_OK;
	upqr_cpm *c = decode(env, text, unionpay_aids, &rc, &diags);
	if (!c)
		return NULL;
	jblob b;
	jb_init(&b);
	jb_head(&b, rc, NULL, &diags);
	if (rc != UPQR_EINVAL && rc != UPQR_EVERSION)
		put_cpm(&b, c);
	free(c);
	return jb_finish(env, &b);
}

/* ---- keys ---------------------------------------------------------------- */

JNIEXPORT jbyteArray JNICALL Java_dev_upqr_Native_emvKeyNew(JNIEnv *env, jclass cls,
		jint type, jbyteArray key)
{
	(void)cls;
	uint8_t *k;
	size_t len;
	if (jin_copy(env, key, &k, &len) != 0)
		return NULL;
	upqr_emv_key *h = NULL;
	int rc = k ? upqr_emv_key_new(&h, (upqr_emv_key_type)type, k, len) : UPQR_EINVAL;
	jin_wipe_free(k, len);
	return jb_handle(env, rc, NULL, NULL, h, free_key);
}

JNIEXPORT void JNICALL Java_dev_upqr_Native_emvKeyFree(JNIEnv *env, jclass cls, jlong h)
{
	(void)env;
	(void)cls;
	upqr_emv_key_free(key_of(h));
}

JNIEXPORT jbyteArray JNICALL Java_dev_upqr_Native_emvKeyKcv(JNIEnv *env, jclass cls, jlong h)
{
	(void)cls;
	uint8_t kcv[3];
	int rc = upqr_emv_key_kcv(kcv, key_of(h));
	jblob b;
	jb_init(&b);
	jb_head(&b, rc, upqr_emv_key_last_error(key_of(h)), NULL);
	jb_bytes(&b, kcv, rc == UPQR_OK ? 3 : 0);
	return jb_finish(env, &b);
}

/* ---- token profiles ------------------------------------------------------ */

JNIEXPORT jbyteArray JNICALL Java_dev_upqr_Native_cpmProfileParse(JNIEnv *env, jclass cls,
		jbyteArray json)
{
	(void)cls;
	uint8_t *s;
	size_t len;
	if (jin_copy(env, json, &s, &len) != 0)
		return NULL;
	JNI_DIAG_LIST(diags);
	upqr_cpm_profile_doc *doc = NULL;
	int rc = s ? upqr_cpm_profile_parse(&doc, (const char *)s, len, &diags) : UPQR_EINVAL;
	jin_wipe_free(s, len); /* the text may hold a key */
	return jb_handle(env, rc, NULL, &diags, doc, free_doc);
}

JNIEXPORT jboolean JNICALL Java_dev_upqr_Native_cpmProfileHasKey(JNIEnv *env, jclass cls, jlong h)
{
	(void)env;
	(void)cls;
	return upqr_cpm_profile_doc_has_key(doc_of(h)) ? JNI_TRUE : JNI_FALSE;
}

JNIEXPORT void JNICALL Java_dev_upqr_Native_cpmProfileFree(JNIEnv *env, jclass cls, jlong h)
{
	(void)env;
	(void)cls;
	upqr_cpm_profile_doc_free(doc_of(h));
}

JNIEXPORT jbyteArray JNICALL Java_dev_upqr_Native_cpmProfileKey(JNIEnv *env, jclass cls, jlong h)
{
	(void)cls;
	upqr_emv_key *k = NULL;
	int rc = upqr_cpm_profile_doc_key(&k, doc_of(h));
	return jb_handle(env, rc, NULL, NULL, k, free_key);
}

/* ---- generate and verify --------------------------------------------------- */

/*
 * txn: amount (-1 none), un (-1 random, else 4 bytes big-endian), year,
 * month, day (0 = today), type.
 */
JNIEXPORT jbyteArray JNICALL Java_dev_upqr_Native_cpmGenerate(JNIEnv *env, jclass cls,
		jlong key, jlong profile, jint last_atc, jlong amount, jlong un, jint year, jint month,
		jint day, jint type)
{
	(void)cls;
	upqr_cpm_txn t = UPQR_CPM_TXN_INIT;
	t.amount = amount;
	if (un >= 0) {
		t.un_set = 1;
		for (int i = 0; i < 4; i++)
			t.un[i] = (uint8_t)((uint64_t)un >> (24 - 8 * i));
	}
	t.year = (unsigned int)year;
	t.month = (unsigned int)month;
	t.day = (unsigned int)day;
	t.type = (uint8_t)type;
	const upqr_cpm_profile *p = upqr_cpm_profile_doc_profile(doc_of(profile));
	uint16_t atc = (uint16_t)last_atc;
	char out[UPQR_CPM_GENERATED_MAX + 1];
	size_t w = 0;
	int rc = last_atc < 0 || last_atc > 65535 ? UPQR_EINVAL
		: upqr_cpm_generate(out, sizeof out, &w, &atc, key_of(key), p, &t);
	jblob b;
	jb_init(&b);
	jb_head(&b, rc, rc == UPQR_OK ? NULL : upqr_emv_key_last_error(key_of(key)), NULL);
	jb_i32(&b, atc);
	jb_bytes(&b, out, rc == UPQR_OK ? w : 0);
	return jb_finish(env, &b);
}

static void put_cryptogram(jblob *b, const upqr_cpm_cryptogram *c)
{
	jb_i32(b, (int32_t)c->cvn);
	jb_i32(b, c->dki);
	jb_i32(b, c->atc);
	jb_bytes(b, c->arqc, 8);
	jb_i32(b, c->cid);
}

/* profile 0: ARQC only (upqr_cpm_verify); otherwise against that token record. */
JNIEXPORT jbyteArray JNICALL Java_dev_upqr_Native_cpmVerify(JNIEnv *env, jclass cls,
		jlong key, jint role, jlong profile, jbyteArray text)
{
	(void)cls;
	JNI_DIAG_LIST(diags);
	int rc = UPQR_OK;
	upqr_cpm *c = decode(env, text, JNI_FALSE, &rc, &diags);
	if (!c)
		return NULL;
	upqr_cpm_cryptogram info;
	memset(&info, 0, sizeof info);
	const char *msg = NULL;
	if (rc == UPQR_OK) {
		if (profile)
			rc = upqr_cpm_verify_token(&info, key_of(key), (upqr_cpm_key_role)role,
				upqr_cpm_profile_doc_profile(doc_of(profile)), c, &diags);
		else
			rc = upqr_cpm_verify(&info, key_of(key), (upqr_cpm_key_role)role, c);
		msg = upqr_emv_key_last_error(key_of(key));
	}
	jblob b;
	jb_init(&b);
	jb_head(&b, rc, msg, &diags);
	put_cryptogram(&b, &info);
	free(c);
	return jb_finish(env, &b);
}
