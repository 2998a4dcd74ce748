/*
 * jni_mpm.c - MPM decode, encode and set amount for dev.upqr.Mpm.
 *
 * Decode sends back views (offset, length) into the UTF-8 text, never
 * copies of the fields: the caller's own byte[], or for a String the UTF-8
 * the glue made and put in the blob. Java builds Strings from it when
 * asked, which keeps one JNI crossing and one array per decode.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "upqr_jni.h"

static const upqr_mpm_profile *profile_of(jint id)
{
	return id == 1 ? upqr_mpm_profile_unionpay() : upqr_mpm_profile_emvco();
}

static inline void view(jblob *b, const upqr_mpm_payload *p, const char *ptr, size_t len)
{
	if (!ptr) {
		jb_i32(b, -1);
		jb_i32(b, 0);
		return;
	}
	jb_i32(b, (int32_t)(ptr - p->input));
	jb_i32(b, (int32_t)len);
}

static void str_view(jblob *b, const upqr_mpm_payload *p, upqr_mpm_str s)
{
	view(b, p, s.ptr, s.len);
}

/*
 * Big-endian i32 at w; the fixed-size parts below reserve their room once
 * and write with it. One byte swap and store where the compiler says the
 * host is little-endian: gcc "vectorises" the four byte stores of the loops
 * below into slow byte shuffles through the stack (a tenth of a decode).
 */
static inline uint8_t *be32(uint8_t *w, uint32_t u)
{
#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__)
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	u = __builtin_bswap32(u);
	memcpy(w, &u, 4);
	return w + 4;
#endif
#endif
	w[0] = (uint8_t)(u >> 24);
	w[1] = (uint8_t)(u >> 16);
	w[2] = (uint8_t)(u >> 8);
	w[3] = (uint8_t)u;
	return w + 4;
}

/* Order must match dev.upqr.Mpm.Payload's field indexes (V_*). */
static void put_views(jblob *b, const upqr_mpm_payload *p)
{
	const upqr_mpm_fields *f = &p->fields;
	const upqr_mpm_additional *a = &f->additional;
	/* pointers, not copies: this runs once per decode */
	const upqr_mpm_str *list[] = {
		&f->payload_format, &f->initiation, &f->mcc, &f->currency, &f->amount,
		&f->tip_indicator, &f->convenience_fee, &f->convenience_percentage, &f->country,
		&f->merchant_name, &f->merchant_city, &f->postal_code, &a->bill_number,
		&a->mobile_number, &a->store_label, &a->loyalty_number, &a->reference_label,
		&a->customer_label, &a->terminal_label, &a->purpose, &a->consumer_data_request,
		&a->merchant_tax_id, &a->merchant_channel, &f->language.preference,
		&f->language.merchant_name, &f->language.merchant_city, &f->crc,
		&f->unionpay.acquirer_iin, &f->unionpay.forwarding_iin, &f->unionpay.merchant_id,
	};
	size_t n = sizeof list / sizeof list[0];
	if (jb_grow(b, 4 + 8 * n) != 0)
		return;
	uint8_t *w = be32(b->p + b->len, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		/* as view(): (-1, 0) for an absent field */
		const upqr_mpm_str *v = list[i];
		w = be32(w, v->ptr ? (uint32_t)(v->ptr - p->input) : UINT32_MAX);
		w = be32(w, v->ptr ? (uint32_t)v->len : 0);
	}
	b->len = (size_t)(w - b->p);
}

static void put_numbers(jblob *b, const upqr_mpm_payload *p)
{
	const upqr_mpm_fields *f = &p->fields;
	const int64_t nums[] = {
		(int64_t)p->chars, p->crc_present, p->crc_computed, p->crc_stated, f->dynamic,
		f->currency_numeric, f->currency_exponent, f->amount_exact, f->amount_minor,
		f->convenience_fee_exact, f->convenience_fee_minor, f->convenience_percentage_bp,
		f->poi, f->tip, (int64_t)p->errors, (int64_t)p->warnings,
	};
	size_t n = sizeof nums / sizeof nums[0];
	if (jb_grow(b, 4 + 8 * n) != 0)
		return;
	uint8_t *w = be32(b->p + b->len, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		w = be32(w, (uint32_t)((uint64_t)nums[i] >> 32));
		w = be32(w, (uint32_t)(uint64_t)nums[i]);
	}
	b->len = (size_t)(w - b->p);
}

static void put_objects(jblob *b, const upqr_mpm_payload *p, const upqr_mpm_object *o, size_t n)
{
	if (jb_grow(b, 4 + 28 * n) != 0) /* one allocation for the whole table */
		return;
	jb_i32(b, (int32_t)n);
	for (size_t i = 0; i < n; i++) {
		jb_i32(b, o[i].id);
		jb_i32(b, (int32_t)o[i].offset);
		view(b, p, o[i].value, o[i].value_len);
		jb_i32(b, o[i].first_child);
		jb_i32(b, o[i].child_count);
		jb_i32(b, o[i].flags);
	}
}

/*
 * The named fields always; the accounts and the object tree only with
 * `tree` (Java asks for them with a second call when an app reads them:
 * most decodes never do, and they are most of the blob).
 */
static void put_payload(jblob *b, const upqr_mpm_payload *p, int tree)
{
	put_numbers(b, p);
	put_views(b, p);
	/* after the fixed-size parts, so Java reads those in place */
	jb_str(b, p->fields.currency_alpha);
	if (!tree)
		return;
	jb_i32(b, (int32_t)p->fields.account_count);
	for (size_t i = 0; i < p->fields.account_count; i++) {
		const upqr_mpm_account *a = &p->fields.accounts[i];
		jb_i32(b, (int32_t)a->id);
		jb_str(b, upqr_mpm_network_name(a->network));
		str_view(b, p, a->value);
		str_view(b, p, a->guid);
	}
	put_objects(b, p, p->objects, p->count);
	put_objects(b, p, p->subs, p->sub_count);
}

JNIEXPORT jbyteArray JNICALL Java_dev_upqr_Native_mpmDecode(JNIEnv *env, jclass cls,
		jbyteArray input, jint profile, jboolean tree, jbyteArray into)
{
	(void)cls;
	/*
	 * The hot path of the binding: a typical payload (a few hundred bytes)
	 * is copied to the stack, and the ~30 KiB payload struct lives there
	 * too (a JVM or Android thread has a stack of about 1 MiB); only larger
	 * inputs take a heap copy. The result blob is built on the stack too and
	 * lands in the array Java allocated for it (`into`, when it fits): no
	 * malloc, and no JVM call to make an array, for a typical decode.
	 */
	uint8_t small[1024], blob[1024], *text;
	size_t len;
	if (jin_copy_small(env, input, small, sizeof small, &text, &len) != 0)
		return NULL;
	upqr_mpm_payload p;
	JNI_DIAG_LIST(diags);
	int rc = upqr_mpm_decode(&p, profile_of(profile), (const char *)text, len, &diags);
	jblob b;
	jb_init_buf(&b, blob, sizeof blob);
	jb_head(&b, rc, NULL, &diags);
	if (rc != UPQR_EINVAL && rc != UPQR_ELIMIT)
		put_payload(&b, &p, tree == JNI_TRUE);
	jin_release(text, small);
	return jb_finish_into(env, &b, into);
}

/*
 * UTF-16 to UTF-8 as String.getBytes(UTF_8) writes it, except that an
 * unpaired surrogate (which getBytes turns into '?') is refused: its index,
 * or -1 when the text converted. out needs 3 bytes per UTF-16 unit.
 */
static jsize utf16_to_utf8(const jchar *s, jsize n, uint8_t *out, size_t *len)
{
	uint8_t *w = out;
	for (jsize i = 0; i < n; i++) {
		/* eight ASCII units at a time: most of a payload is ASCII */
		uint64_t lo, hi;
		if (n - i >= 8 && (memcpy(&lo, s + i, 8), memcpy(&hi, s + i + 4, 8),
				((lo | hi) & 0xFF80FF80FF80FF80u) == 0)) {
			for (int k = 0; k < 8; k++)
				w[k] = (uint8_t)s[i + k];
			w += 8;
			i += 7;
			continue;
		}
		uint32_t c = s[i];
		if (c < 0x80) {
			*w++ = (uint8_t)c;
		} else if (c < 0x800) {
			*w++ = (uint8_t)(0xC0 | c >> 6);
			*w++ = (uint8_t)(0x80 | (c & 0x3F));
		} else if (c < 0xD800 || c > 0xDFFF) {
			*w++ = (uint8_t)(0xE0 | c >> 12);
			*w++ = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
			*w++ = (uint8_t)(0x80 | (c & 0x3F));
		} else if (c <= 0xDBFF && i + 1 < n && s[i + 1] >= 0xDC00 && s[i + 1] <= 0xDFFF) {
			c = 0x10000 + ((c - 0xD800) << 10) + (uint32_t)(s[++i] - 0xDC00);
			*w++ = (uint8_t)(0xF0 | c >> 18);
			*w++ = (uint8_t)(0x80 | ((c >> 12) & 0x3F));
			*w++ = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
			*w++ = (uint8_t)(0x80 | (c & 0x3F));
		} else {
			return i;
		}
	}
	*len = (size_t)(w - out);
	return -1;
}

/*
 * Mpm.decode(String): the text arrives as the String itself and is turned
 * into UTF-8 here, once (cheaper than String.getBytes plus a scan for
 * unpaired surrogates in Java, then a copy of that array). The blob holds
 * the UTF-8 after its head (u32 length and bytes; 0xFFFFFFFF when the text
 * has an unpaired surrogate, with EENCODING in the head), for the Java
 * payload's views, then the payload as mpmDecode writes it.
 */
JNIEXPORT jbyteArray JNICALL Java_dev_upqr_Native_mpmDecodeText(JNIEnv *env, jclass cls,
		jstring text, jint profile, jbyteArray into)
{
	(void)cls;
	enum { SMALL = 1024 }; /* UTF-16 units: a typical payload is a few hundred */
	jchar u16_small[SMALL];
	uint8_t u8_small[3 * SMALL + 1], blob[1536];
	jsize n = text ? (*env)->GetStringLength(env, text) : 0;
	jchar *u16 = n <= SMALL ? u16_small : malloc(sizeof *u16 * (size_t)n);
	uint8_t *u8 = n <= SMALL ? u8_small : malloc(3 * (size_t)n + 1);
	jbyteArray res = NULL;
	if (!u16 || !u8) {
		jni_throw_oom(env);
		goto out;
	}
	if (n)
		(*env)->GetStringRegion(env, text, 0, n, u16);
	if ((*env)->ExceptionCheck(env))
		goto out;
	size_t len = 0;
	jsize bad = utf16_to_utf8(u16, n, u8, &len);
	jblob b;
	jb_init_buf(&b, blob, sizeof blob);
	if (bad >= 0) {
		char msg[64];
		snprintf(msg, sizeof msg, "unpaired surrogate at index %ld", (long)bad);
		jb_head(&b, UPQR_EENCODING, msg, NULL);
		jb_bytes(&b, NULL, 0);
	} else {
		upqr_mpm_payload p;
		JNI_DIAG_LIST(diags);
		int rc = upqr_mpm_decode(&p, profile_of(profile), (const char *)u8, len, &diags);
		jb_head(&b, rc, NULL, &diags);
		jb_bytes(&b, u8, len);
		if (rc != UPQR_EINVAL && rc != UPQR_ELIMIT)
			put_payload(&b, &p, 0);
	}
	res = jb_finish_into(env, &b, into);
out:
	if (u16 != u16_small)
		free(u16);
	if (u8 != u8_small)
		free(u8);
	return res;
}

/* ---- encode ------------------------------------------------------------ */

/*
 * The encoder input arrives as one byte[] written by dev.upqr.Mpm.Builder
 * (records below), copied once; every string inside it is NUL-terminated
 * by the builder (which refuses U+0000), so fields_in points into the copy.
 *   'S' slot u8, text\0          a fixed text field (SLOT_* in the builder)
 *   'N' slot u8, i64             a number field
 *   'E' kind u8, id u8           starts an entry: kind 0 account, 1 62/50..99, 2 80..99
 *   'V' text\0                   the entry's primitive value
 *   'G' text\0                   the entry's GUID (sub-ID 00)
 *   'O' id u8, text\0            a sub-object of the entry
 *   'R' kind u8, id u8, text\0   an RFU value: kind 0 root 65..79, 1 62/12..49
 */
typedef struct enc_in {
	upqr_mpm_fields_in in;
	upqr_mpm_entry_in *entries[3];
	size_t entry_n[3];
	upqr_mpm_value_in *objects;
	size_t object_n;
	upqr_mpm_value_in *rfu[2];
	size_t rfu_n[2];
} enc_in;

typedef struct reader {
	const uint8_t *p;
	size_t len;
	size_t at;
	int bad;
} reader;

static unsigned int rd_u8(reader *r)
{
	if (r->at >= r->len) {
		r->bad = 1;
		return 0;
	}
	return r->p[r->at++];
}

static int64_t rd_i64(reader *r)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | rd_u8(r);
	return (int64_t)v;
}

static const char *rd_text(reader *r)
{
	const char *s = (const char *)r->p + r->at;
	const uint8_t *nul = r->at < r->len ? memchr(r->p + r->at, 0, r->len - r->at) : NULL;
	if (!nul) {
		r->bad = 1;
		return NULL;
	}
	r->at = (size_t)(nul - r->p) + 1;
	return s;
}

static void set_slot(upqr_mpm_fields_in *in, unsigned int slot, const char *s)
{
	static const size_t fixed = 11;
	const char **slots[] = {
		&in->unionpay_acquirer_iin, &in->unionpay_forwarding_iin, &in->unionpay_merchant_id,
		&in->mcc, &in->country, &in->merchant_name, &in->merchant_city, &in->postal_code,
		&in->language, &in->alt_merchant_name, &in->alt_merchant_city,
	};
	if (slot < fixed)
		*slots[slot] = s;
	else if (slot - fixed + 1 < 12)
		in->additional[slot - fixed + 1] = s;
}

static void set_number(upqr_mpm_fields_in *in, unsigned int slot, int64_t v)
{
	switch (slot) {
	case 0: in->initiation = (upqr_mpm_initiation)v; break;
	case 1: in->currency = (unsigned int)v; break;
	case 2: in->has_amount = true; in->amount = v; break;
	case 3: in->tip = (upqr_mpm_tip)v; break;
	case 4: in->convenience_fee = v; break;
	case 5: in->convenience_percentage_bp = (unsigned int)v; break;
	default: break;
	}
}

/* Pass 1 counts entries and objects; pass 2 (e != NULL counts set) fills them. */
static int walk(enc_in *e, reader *r, int fill)
{
	upqr_mpm_entry_in *cur = NULL;
	size_t counts[3] = { 0, 0, 0 }, rfu[2] = { 0, 0 }, objects = 0;
	while (r->at < r->len && !r->bad) {
		unsigned int tag = rd_u8(r);
		if (tag == 'S') {
			unsigned int slot = rd_u8(r);
			const char *s = rd_text(r);
			if (fill)
				set_slot(&e->in, slot, s);
		} else if (tag == 'N') {
			unsigned int slot = rd_u8(r);
			int64_t v = rd_i64(r);
			if (fill)
				set_number(&e->in, slot, v);
		} else if (tag == 'E') {
			unsigned int kind = rd_u8(r), id = rd_u8(r);
			if (kind > 2)
				return -1;
			if (fill) {
				cur = &e->entries[kind][counts[kind]];
				memset(cur, 0, sizeof *cur);
				cur->id = id;
				cur->objects = e->objects + objects;
			}
			counts[kind]++;
		} else if (tag == 'V' || tag == 'G') {
			const char *s = rd_text(r);
			if (fill && cur)
				*(tag == 'V' ? &cur->value : &cur->guid) = s;
		} else if (tag == 'O') {
			unsigned int id = rd_u8(r);
			const char *s = rd_text(r);
			if (fill && cur) {
				e->objects[objects] = (upqr_mpm_value_in){ id, s };
				cur->object_count++;
			}
			objects++;
		} else if (tag == 'R') {
			unsigned int kind = rd_u8(r), id = rd_u8(r);
			const char *s = rd_text(r);
			if (kind > 1)
				return -1;
			if (fill)
				e->rfu[kind][rfu[kind]] = (upqr_mpm_value_in){ id, s };
			rfu[kind]++;
		} else {
			return -1;
		}
	}
	if (r->bad)
		return -1;
	for (int k = 0; k < 3; k++)
		e->entry_n[k] = counts[k];
	e->rfu_n[0] = rfu[0];
	e->rfu_n[1] = rfu[1];
	e->object_n = objects;
	return 0;
}

static void enc_free(enc_in *e)
{
	for (int k = 0; k < 3; k++)
		free(e->entries[k]);
	free(e->objects);
	free(e->rfu[0]);
	free(e->rfu[1]);
}

/* UPQR_OK, UPQR_EINVAL (malformed records: a bug in the builder) or UPQR_ENOMEM. */
static int enc_parse(enc_in *e, const uint8_t *data, size_t len)
{
	memset(e, 0, sizeof *e);
	reader r = { data, len, 0, 0 };
	if (walk(e, &r, 0) != 0)
		return UPQR_EINVAL;
	for (int k = 0; k < 3; k++)
		e->entries[k] = calloc(e->entry_n[k] + 1, sizeof *e->entries[k]);
	e->objects = calloc(e->object_n + 1, sizeof *e->objects);
	e->rfu[0] = calloc(e->rfu_n[0] + 1, sizeof *e->rfu[0]);
	e->rfu[1] = calloc(e->rfu_n[1] + 1, sizeof *e->rfu[1]);
	if (!e->entries[0] || !e->entries[1] || !e->entries[2] || !e->objects || !e->rfu[0] || !e->rfu[1])
		return UPQR_ENOMEM;
	if (upqr_mpm_fields_in_init(&e->in, UPQR_MPM_FIELDS_IN_VERSION) != UPQR_OK)
		return UPQR_EINTERNAL;
	reader r2 = { data, len, 0, 0 };
	if (walk(e, &r2, 1) != 0)
		return UPQR_EINVAL;
	e->in.accounts = e->entries[0];
	e->in.account_count = e->entry_n[0];
	e->in.additional_templates = e->entries[1];
	e->in.additional_template_count = e->entry_n[1];
	e->in.templates = e->entries[2];
	e->in.template_count = e->entry_n[2];
	e->in.rfu = e->rfu[0];
	e->in.rfu_count = e->rfu_n[0];
	e->in.additional_rfu = e->rfu[1];
	e->in.additional_rfu_count = e->rfu_n[1];
	return UPQR_OK;
}

typedef int (*emit_fn)(char *out, size_t cap, size_t *written, const void *ctx, upqr_diag_list *diags);

/* Runs an encoder twice (size, then text) and returns its output as a result blob. */
static jbyteArray emit(JNIEnv *env, emit_fn fn, const void *ctx)
{
	JNI_DIAG_LIST(diags);
	size_t need = 0;
	char *out = NULL;
	int rc = fn(NULL, 0, &need, ctx, &diags);
	if (rc == UPQR_EBUFSIZE) {
		out = malloc(need + 1);
		rc = out ? fn(out, need + 1, &need, ctx, &diags) : UPQR_ENOMEM;
	}
	jblob b;
	jb_init(&b);
	jb_head(&b, rc, NULL, &diags);
	if (rc == UPQR_OK)
		jb_bytes(&b, out, need);
	free(out);
	return jb_finish(env, &b);
}

typedef struct enc_ctx {
	const upqr_mpm_profile *profile;
	const upqr_mpm_fields_in *in;
} enc_ctx;

static int run_encode(char *out, size_t cap, size_t *written, const void *ctx, upqr_diag_list *diags)
{
	const enc_ctx *c = ctx;
	upqr_diag_list_clear(diags);
	return upqr_mpm_encode(out, cap, written, c->profile, c->in, diags);
}

JNIEXPORT jbyteArray JNICALL Java_dev_upqr_Native_mpmEncode(JNIEnv *env, jclass cls,
		jbyteArray records, jint profile)
{
	(void)cls;
	uint8_t *data;
	size_t len;
	if (jin_copy(env, records, &data, &len) != 0)
		return NULL;
	enc_in e;
	int rc = enc_parse(&e, data, len);
	jbyteArray res;
	if (rc != UPQR_OK) {
		res = jb_status(env, rc, rc == UPQR_EINVAL ? "malformed builder records" : NULL);
	} else {
		enc_ctx c = { profile_of(profile), &e.in };
		res = emit(env, run_encode, &c);
	}
	enc_free(&e);
	free(data);
	return res;
}

typedef struct amount_ctx {
	const upqr_mpm_profile *profile;
	const char *text;
	size_t len;
	int64_t amount;
} amount_ctx;

static int run_set_amount(char *out, size_t cap, size_t *written, const void *ctx, upqr_diag_list *diags)
{
	const amount_ctx *c = ctx;
	upqr_diag_list_clear(diags);
	return upqr_mpm_set_amount(out, cap, written, c->profile, c->text, c->len, c->amount, diags);
}

JNIEXPORT jbyteArray JNICALL Java_dev_upqr_Native_mpmSetAmount(JNIEnv *env, jclass cls,
		jbyteArray payload, jint profile, jlong amount)
{
	(void)cls;
	uint8_t *text;
	size_t len;
	if (jin_copy(env, payload, &text, &len) != 0)
		return NULL;
	amount_ctx c = { profile_of(profile), (const char *)text, len, amount };
	jbyteArray res = emit(env, run_set_amount, &c);
	free(text);
	return res;
}
