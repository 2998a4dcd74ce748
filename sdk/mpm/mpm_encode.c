/*
 * mpm_encode.c - typed fields to MPM text, and the amount setter.
 *
 * The encoder writes the objects, then runs the decoder over its own
 * output in "generating" mode: one set of rules, so the encoder refuses
 * exactly what a reader would flag, with the same diagnostics. Only what
 * the text cannot even represent (an ID out of its range, a value of more
 * than 99 characters, bad UTF-8, a negative amount) is refused up front,
 * with code "bad_field" (or the decoder's code where one fits).
 *
 * The work area (the text and a decoded payload, about 70 KiB) comes from
 * the allocator hook, so encoding needs no large stack.
 */
#include <stdio.h>
#include <string.h>

#include "mpm_internal.h"

typedef struct enc {
	upqr__buf b;
	size_t base;              /* offset of b's first byte in the whole payload */
	upqr_diag_list *d;
	bool failed;              /* a field could not be written */
} enc;

typedef struct work {
	upqr_mpm_payload payload;
	char text[UPQR_MPM_ENCODED_MAX + 1];
} work;

/* A template's value is built apart, then written behind its header. */
#define TEMPLATE_BYTES (4 * 99)

static void refuse(enc *e, const char *code, const char *path, const char *fmt, ...)
	UPQR__PRINTF(4, 5);

static void refuse(enc *e, const char *code, const char *path, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	upqr__diag_addv(e->d, UPQR_SEV_ERROR, code, e->base + e->b.len, path, fmt, ap);
	va_end(ap);
	e->failed = true;
}

/* "id" at the root (parent > 99), "parent.id" below it. */
static void mkpath(char *buf, unsigned parent, unsigned id)
{
	uint8_t ids[2] = { (uint8_t)parent, (uint8_t)id };
	if (parent > 99)
		upqr__mpm_path(buf, ids + 1, 1);
	else
		upqr__mpm_path(buf, ids, 2);
}

/* Checks that text of n bytes can be a value: UTF-8, 1..99 characters. */
static bool representable(enc *e, const char *path, const char *v, size_t n, size_t *chars)
{
	size_t bad;
	if (!upqr__utf8_count((const uint8_t *)v, n, chars, &bad)) {
		refuse(e, MPM_D_BAD_UTF8, path, "value is not valid UTF-8 (byte %zu)", bad);
		return false;
	}
	if (*chars < 1 || *chars > 99) {
		refuse(e, MPM_D_LENGTH_LIMIT, path, "value of %zu characters (1 to 99 can be encoded)",
			*chars);
		return false;
	}
	return true;
}

static void put_header(enc *e, unsigned id, size_t chars)
{
	char h[4] = { (char)('0' + id / 10), (char)('0' + id % 10),
		(char)('0' + chars / 10), (char)('0' + chars % 10) };
	upqr__buf_put(&e->b, h, 4);
}

static void put_bytes(enc *e, const char *path, unsigned id, const char *v, size_t n)
{
	size_t chars;
	if (!representable(e, path, v, n, &chars))
		return;
	put_header(e, id, chars);
	upqr__buf_put(&e->b, v, n);
}

/* One primitive under parent (> 99: the root); NULL means absent. */
static void put(enc *e, unsigned parent, unsigned id, const char *v)
{
	char path[UPQR_DIAG_PATH_MAX];
	if (!v)
		return;
	mkpath(path, parent, id);
	put_bytes(e, path, id, v, strlen(v));
}

static void sub_begin(enc *child, const enc *parent, char *tmp)
{
	upqr__buf_init(&child->b, tmp, TEMPLATE_BYTES);
	child->base = parent->base + parent->b.len + 4;
	child->d = parent->d;
	child->failed = false;
}

static void sub_end(enc *parent, enc *child, unsigned parent_id, unsigned id)
{
	char path[UPQR_DIAG_PATH_MAX];
	mkpath(path, parent_id, id);
	if (child->failed) {
		parent->failed = true;
	} else if (!upqr__buf_fits(&child->b)) {
		refuse(parent, MPM_D_LENGTH_LIMIT, path, "template longer than 99 characters");
	} else {
		put_bytes(parent, path, id, (const char *)child->b.data, child->b.len);
	}
}

/* A primitive entry (value) or a template (GUID + sub-objects). */
static void put_entry(enc *e, unsigned parent, const upqr_mpm_entry_in *t)
{
	char path[UPQR_DIAG_PATH_MAX];
	mkpath(path, parent, t->id);
	if (t->value) {
		if (t->guid || t->object_count)
			refuse(e, MPM_D_BAD_FIELD, path, "give either a value or a GUID and sub-objects");
		else
			put(e, parent, t->id, t->value);
		return;
	}
	const upqr_mpm_field_info *f = upqr_mpm_field_lookup(parent > 99 ? MPM_LV_ROOT :
		MPM_LV_ADDITIONAL, t->id);
	if (f && !(f->flags & UPQR_MPM_FIELD_TEMPLATE)) {
		refuse(e, MPM_D_BAD_FIELD, path, "ID %02u is primitive (%s): give a value", t->id,
			f->title);
		return;
	}
	enc c;
	char tmp[TEMPLATE_BYTES];
	sub_begin(&c, e, tmp);
	put(&c, t->id, 0, t->guid);
	for (size_t i = 0; i < t->object_count; i++) {
		const upqr_mpm_value_in *s = &t->objects[i];
		if (s->id > 99 || !s->value)
			refuse(&c, MPM_D_BAD_FIELD, path, "sub-object %zu needs an ID 00..99 and a value", i);
		else
			put(&c, t->id, s->id, s->value);
	}
	sub_end(e, &c, parent, t->id);
}

/*
 * True when `id` under parent (> 99: the root) is one of the IDs the field
 * table calls `name` at `level` (e.g. "merchant_accounts": root 02..51).
 */
static bool id_in(enc *e, unsigned parent, mpm_level level, unsigned id, const char *name,
		const char *what)
{
	const upqr_mpm_field_info *f = upqr_mpm_field_lookup(level, id);
	if (f && strcmp(f->name, name) == 0)
		return true;
	char path[UPQR_DIAG_PATH_MAX] = "";
	if (parent <= 99)
		mkpath(path, 100, parent);
	refuse(e, MPM_D_BAD_FIELD, path, "%s ID %u: that ID is %s", what, id,
		f ? f->title : "not an ID (00..99)");
	return false;
}

static void put_entries(enc *e, unsigned parent, mpm_level level, const upqr_mpm_entry_in *list,
		size_t n, const char *name, const char *what)
{
	for (size_t i = 0; i < n; i++)
		if (id_in(e, parent, level, list[i].id, name, what))
			put_entry(e, parent, &list[i]);
}

static void put_values(enc *e, unsigned parent, mpm_level level, const upqr_mpm_value_in *list,
		size_t n, const char *name, const char *what)
{
	for (size_t i = 0; i < n; i++)
		if (id_in(e, parent, level, list[i].id, name, what))
			put(e, parent, list[i].id, list[i].value);
}

/* Minor units as text with the currency's exponent. */
static void put_money(enc *e, unsigned id, int64_t minor, unsigned currency)
{
	char path[UPQR_DIAG_PATH_MAX], text[32];
	size_t n;
	mkpath(path, 100, id);
	int exp = upqr_mpm_currency_exponent(currency);
	if (exp < 0) {
		refuse(e, MPM_D_UNKNOWN_CURRENCY, path,
			"currency %03u has no ISO 4217 minor unit: cannot write an amount", currency);
		return;
	}
	if (minor <= 0) {
		refuse(e, MPM_D_AMOUNT_ZERO, path, "amount must be positive");
		return;
	}
	if (upqr_mpm_amount_format(text, sizeof text, &n, minor, exp) != UPQR_OK || n > 13) {
		refuse(e, MPM_D_LENGTH_LIMIT, path, "amount needs more than 13 characters");
		return;
	}
	put(e, 100, id, text);
}

static void put_unionpay_id(enc *e, const upqr_mpm_fields_in *in)
{
	const char *src[] = { in->unionpay_acquirer_iin, in->unionpay_forwarding_iin,
		in->unionpay_merchant_id };
	if (!src[0] && !src[1] && !src[2])
		return;
	size_t n;
	const upqr_mpm_part_info *part = upqr_mpm_unionpay_id_layout(&n);
	char v[UPQR_MPM_UNIONPAY_ID_CHARS + 1];
	for (size_t i = 0; i < n && i < UPQR__ARRAY_LEN(src); i++) {
		if (!src[i] || strlen(src[i]) != part[i].length) {
			refuse(e, MPM_D_UNIONPAY_ID, "15",
				"ID 15 needs acquirer IIN (8), forwarding IIN (8) and merchant ID (15)");
			return;
		}
		memcpy(v + part[i].offset, src[i], part[i].length);
	}
	v[UPQR_MPM_UNIONPAY_ID_CHARS] = 0;
	put(e, 100, UPQR_MPM_UNIONPAY_ID, v);
}

static void put_tip(enc *e, const upqr_mpm_fields_in *in)
{
	static const char *const ind[] = { NULL, "01", "02", "03" };
	if (in->tip < 0 || in->tip > 3) {
		refuse(e, MPM_D_BAD_VALUE, "55", "tip must be UPQR_MPM_TIP_NONE..PERCENTAGE");
		return;
	}
	put(e, 100, 55, ind[in->tip]);
	if (in->tip == UPQR_MPM_TIP_FIXED)
		put_money(e, 56, in->convenience_fee, in->currency);
	else if (in->convenience_fee)
		refuse(e, MPM_D_TIP_RULES, "56", "a convenience fee needs tip UPQR_MPM_TIP_FIXED");
	unsigned bp = in->convenience_percentage_bp;
	if (in->tip == UPQR_MPM_TIP_PERCENTAGE) {
		char t[8];
		if (bp < 1 || bp > 9999) {
			refuse(e, MPM_D_BAD_PERCENTAGE, "57", "percentage must be 1..9999 hundredths");
			return;
		}
		snprintf(t, sizeof t, "%02u.%02u", bp / 100, bp % 100);
		put(e, 100, 57, t);
	} else if (bp) {
		refuse(e, MPM_D_TIP_RULES, "57",
			"a convenience percentage needs tip UPQR_MPM_TIP_PERCENTAGE");
	}
}

/* 62: the fixed sub-IDs, RFU ones, then payment-system templates. */
static void put_additional(enc *e, const upqr_mpm_fields_in *in)
{
	bool any = in->additional_template_count || in->additional_rfu_count;
	for (unsigned i = 0; i <= 11; i++)
		any |= in->additional[i] != NULL;
	if (!any)
		return;
	if (in->additional[0])
		refuse(e, MPM_D_BAD_FIELD, "62.00", "additional[0] is unused: sub-IDs start at 01");
	enc c;
	char tmp[TEMPLATE_BYTES];
	sub_begin(&c, e, tmp);
	for (unsigned i = 1; i <= 11; i++)
		put(&c, 62, i, in->additional[i]);
	put_values(&c, 62, MPM_LV_ADDITIONAL, in->additional_rfu, in->additional_rfu_count, "rfu",
		"62 RFU");
	put_entries(&c, 62, MPM_LV_ADDITIONAL, in->additional_templates,
		in->additional_template_count, "templates", "62 template");
	sub_end(e, &c, 100, 62);
}

static void put_language(enc *e, const upqr_mpm_fields_in *in)
{
	if (!in->language && !in->alt_merchant_name && !in->alt_merchant_city)
		return;
	enc c;
	char tmp[TEMPLATE_BYTES];
	sub_begin(&c, e, tmp);
	put(&c, 64, 0, in->language);
	put(&c, 64, 1, in->alt_merchant_name);
	put(&c, 64, 2, in->alt_merchant_city);
	sub_end(e, &c, 100, 64);
}

static void put_currency(enc *e, unsigned currency)
{
	char t[8];
	if (currency > 999) {
		refuse(e, MPM_D_UNKNOWN_CURRENCY, "53", "currency %u is not a 3-digit ISO 4217 code",
			currency);
		return;
	}
	if (currency == 0)
		return; /* absent: the decoder reports it missing */
	snprintf(t, sizeof t, "%03u", currency);
	put(e, 100, 53, t);
}

static void put_all(enc *e, const upqr_mpm_fields_in *in)
{
	put(e, 100, 0, "01");
	if (in->initiation == UPQR_MPM_POI_STATIC || in->initiation == UPQR_MPM_POI_DYNAMIC)
		put(e, 100, 1, in->initiation == UPQR_MPM_POI_STATIC ? "11" : "12");
	else if (in->initiation != UPQR_MPM_POI_NONE)
		refuse(e, MPM_D_BAD_VALUE, "01", "initiation must be UPQR_MPM_POI_NONE, STATIC or DYNAMIC");
	put_unionpay_id(e, in);
	put_entries(e, 100, MPM_LV_ROOT, in->accounts, in->account_count, "merchant_accounts",
		"merchant account");
	put(e, 100, 52, in->mcc);
	put_currency(e, in->currency);
	if (in->has_amount)
		put_money(e, 54, in->amount, in->currency);
	put_tip(e, in);
	put(e, 100, 58, in->country);
	put(e, 100, 59, in->merchant_name);
	put(e, 100, 60, in->merchant_city);
	put(e, 100, 61, in->postal_code);
	put_additional(e, in);
	put_language(e, in);
	put_values(e, 100, MPM_LV_ROOT, in->rfu, in->rfu_count, "rfu", "RFU");
	put_entries(e, 100, MPM_LV_ROOT, in->templates, in->template_count, "templates",
		"unreserved template");
}

/* Appends "6304" and the upper-case CRC of everything before it. */
static void put_crc(upqr__buf *b)
{
	upqr__buf_put(b, "6304", 4);
	if (!upqr__buf_fits(b))
		return;
	uint8_t crc[2];
	uint16_t v = upqr_crc16(b->data, b->len);
	crc[0] = (uint8_t)(v >> 8);
	crc[1] = (uint8_t)v;
	char hex[4];
	upqr__hex_upper(hex, crc, 2);
	upqr__buf_put(b, hex, 4);
}

/* Checks text[0..n) with the decoder's rules, then hands it to the caller. */
static int finish(char *out, size_t cap, size_t *written, work *w, size_t n,
		const upqr_mpm_profile *profile, upqr_diag_list *diags, bool generating)
{
	int rc = upqr__mpm_decode(&w->payload, profile, w->text, n, diags, generating);
	if (rc != UPQR_OK)
		return rc == UPQR_ECHECKSUM || rc == UPQR_ELIMIT ? UPQR_EINVALID : rc;
	upqr__buf b;
	upqr__buf_init(&b, out, cap);
	upqr__buf_put(&b, w->text, n);
	return upqr__buf_finish(&b, written, true);
}

int upqr_mpm_fields_in_init(upqr_mpm_fields_in *in, unsigned int version)
{
	if (!in)
		return UPQR_EINVAL;
	if (version != UPQR_MPM_FIELDS_IN_VERSION)
		return UPQR_EVERSION;
	upqr_mpm_fields_in zero = UPQR_MPM_FIELDS_IN_INIT;
	*in = zero;
	return UPQR_OK;
}

int upqr_mpm_encode(char *out, size_t cap, size_t *written, const upqr_mpm_profile *profile,
		const upqr_mpm_fields_in *in, upqr_diag_list *diags)
{
	UPQR__OPTIONAL_WRITTEN(written);
	if (!in)
		return UPQR_EINVAL;
	if (in->version != UPQR_MPM_FIELDS_IN_VERSION)
		return UPQR_EVERSION;
	if (profile && profile->version != UPQR_MPM_PROFILE_VERSION)
		return UPQR_EVERSION;
	*written = 0;
	work *w = upqr__malloc(sizeof *w);
	if (!w)
		return UPQR_ENOMEM;
	upqr_diag_list counter;
	upqr_diag_list_init(&counter, NULL, 0);
	enc e = { { NULL, 0, 0 }, 0, diags ? diags : &counter, false };
	upqr__buf_init(&e.b, w->text, UPQR_MPM_ENCODED_MAX - 8);
	put_all(&e, in);
	int rc;
	if (!upqr__buf_fits(&e.b)) {
		upqr__diag_add(e.d, UPQR_SEV_ERROR, MPM_D_INPUT_TOO_LARGE, 0, "",
			"the payload would exceed %d bytes", UPQR_MPM_ENCODED_MAX);
		rc = UPQR_EINVALID;
	} else if (e.failed) {
		rc = UPQR_EINVALID;
	} else {
		e.b.cap = UPQR_MPM_ENCODED_MAX;
		put_crc(&e.b);
		rc = finish(out, cap, written, w, e.b.len, profile, e.d, true);
	}
	upqr__free(w);
	return rc;
}

/* ---- set amount ------------------------------------------------------------- */

static void copy_object(upqr__buf *b, const upqr_mpm_payload *p, const upqr_mpm_object *o)
{
	upqr__buf_put(b, p->input + o->offset, 4 + (size_t)o->value_len);
}

static int rewrite_amount(work *w, const char *payload, size_t len, int64_t amount,
		const upqr_mpm_profile *profile, upqr_diag_list *diags, size_t *n)
{
	upqr_mpm_payload *p = &w->payload;
	if (upqr_mpm_decode(p, profile, payload, len, diags) != UPQR_OK)
		return UPQR_EINVALID;
	char text[32];
	size_t tn;
	int exp = p->fields.currency_exponent;
	if (exp < 0 || amount <= 0 ||
			upqr_mpm_amount_format(text, sizeof text, &tn, amount, exp) != UPQR_OK || tn > 13) {
		upqr__diag_add(diags, UPQR_SEV_ERROR, MPM_D_BAD_FIELD, 0, "54",
			"amount %lld cannot be written for currency %03u", (long long)amount,
			p->fields.currency_numeric);
		return UPQR_EINVALID;
	}
	char amt[4 + 32] = { '5', '4', (char)('0' + tn / 10), (char)('0' + tn % 10) };
	memcpy(amt + 4, text, tn);
	bool has54 = upqr_mpm_child(p, NULL, 54) != NULL, has01 = upqr_mpm_child(p, NULL, 1) != NULL;
	upqr__buf b;
	upqr__buf_init(&b, w->text, UPQR_MPM_ENCODED_MAX - 8);
	for (size_t i = 0; i < p->count; i++) {
		const upqr_mpm_object *o = &p->objects[i];
		if (o->id == 63)
			continue;
		if (o->id == 1 || o->id == 54) {
			upqr__buf_put(&b, o->id == 1 ? "010212" : amt, o->id == 1 ? 6 : 4 + tn);
			continue;
		}
		copy_object(&b, p, o);
		if (o->id == 0 && !has01)
			upqr__buf_put(&b, "010212", 6);
		if (o->id == 53 && !has54)
			upqr__buf_put(&b, amt, 4 + tn);
	}
	if (!upqr__buf_fits(&b)) {
		upqr__diag_add(diags, UPQR_SEV_ERROR, MPM_D_INPUT_TOO_LARGE, 0, "",
			"the payload would exceed %d bytes", UPQR_MPM_ENCODED_MAX);
		return UPQR_EINVALID;
	}
	b.cap = UPQR_MPM_ENCODED_MAX;
	put_crc(&b);
	*n = b.len;
	return UPQR_OK;
}

int upqr_mpm_set_amount(char *out, size_t cap, size_t *written, const upqr_mpm_profile *profile,
		const char *payload, size_t len, int64_t amount, upqr_diag_list *diags)
{
	UPQR__OPTIONAL_WRITTEN(written);
	if (!payload)
		return UPQR_EINVAL;
	if (profile && profile->version != UPQR_MPM_PROFILE_VERSION)
		return UPQR_EVERSION;
	*written = 0;
	work *w = upqr__malloc(sizeof *w);
	if (!w)
		return UPQR_ENOMEM;
	upqr_diag_list counter;
	upqr_diag_list_init(&counter, NULL, 0);
	if (!diags)
		diags = &counter;
	size_t n = 0;
	int rc = rewrite_amount(w, payload, len, amount, profile, diags, &n);
	if (rc == UPQR_OK)
		rc = finish(out, cap, written, w, n, profile, diags, false);
	upqr__free(w);
	return rc;
}
