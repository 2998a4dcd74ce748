/*
 * mpm_fields_in.c - a decoded payload back to encoder input, so a caller
 * (or a binding) can change one field and encode again without its own
 * copy of the ID tables. Which list an object joins is read from the field
 * table by name ("merchant_accounts", "templates", "rfu").
 */
#include <string.h>

#include "mpm_internal.h"

#define STORE_MAGIC 0x4D504653u /* "MPFS" */

/* One allocation: the header, then the entry, value and text arrays. */
struct upqr_mpm_fields_store {
	uint32_t magic;
	upqr_mpm_entry_in *ents;
	upqr_mpm_value_in *vals;
	char *text;
	size_t ne, nv, nt;
};

static const char *dup_bytes(upqr_mpm_fields_store *s, const char *v, size_t n)
{
	char *d = s->text + s->nt;
	memcpy(d, v, n);
	d[n] = 0;
	s->nt += n + 1;
	return d;
}

static const char *dup_str(upqr_mpm_fields_store *s, upqr_mpm_str v)
{
	return v.ptr ? dup_bytes(s, v.ptr, v.len) : NULL;
}

static bool named(mpm_level level, unsigned id, const char *name)
{
	const upqr_mpm_field_info *f = upqr_mpm_field_lookup(level, id);
	return f && strcmp(f->name, name) == 0;
}

/* A primitive as its value; a template as its GUID (sub-ID 00) and the other children. */
static void entry_from(upqr_mpm_fields_store *s, const upqr_mpm_payload *p,
		const upqr_mpm_object *o, upqr_mpm_entry_in *e)
{
	memset(e, 0, sizeof *e);
	e->id = o->id;
	if (!(o->flags & UPQR_MPM_OBJ_TEMPLATE)) {
		e->value = dup_bytes(s, o->value, o->value_len);
		return;
	}
	upqr_mpm_value_in *v = s->vals + s->nv;
	e->objects = v;
	for (size_t i = 0; i < o->child_count; i++) {
		const upqr_mpm_object *c = &p->subs[o->first_child + i];
		if (c->id == 0) {
			e->guid = dup_bytes(s, c->value, c->value_len);
			continue;
		}
		v[e->object_count].id = c->id;
		v[e->object_count++].value = dup_bytes(s, c->value, c->value_len);
	}
	s->nv += e->object_count;
}

/* The objects of list[0..n) that the table calls `name` at `level`, as entries. */
static size_t entries_named(upqr_mpm_fields_store *s, const upqr_mpm_payload *p,
		const upqr_mpm_object *list, size_t n, mpm_level level, const char *name,
		const upqr_mpm_entry_in **out)
{
	size_t start = s->ne;
	for (size_t i = 0; i < n; i++)
		if (named(level, list[i].id, name))
			entry_from(s, p, &list[i], &s->ents[s->ne++]);
	*out = s->ents + start;
	return s->ne - start;
}

static size_t values_named(upqr_mpm_fields_store *s, const upqr_mpm_object *list, size_t n,
		mpm_level level, const char *name, const upqr_mpm_value_in **out)
{
	size_t start = s->nv;
	for (size_t i = 0; i < n; i++)
		if (named(level, list[i].id, name)) {
			s->vals[s->nv].id = list[i].id;
			s->vals[s->nv++].value = dup_bytes(s, list[i].value, list[i].value_len);
		}
	*out = s->vals + start;
	return s->nv - start;
}

/* 62: the named sub-IDs, reserved ones and payment-system templates. */
static void additional_from(upqr_mpm_fields_store *s, const upqr_mpm_payload *p,
		upqr_mpm_fields_in *in)
{
	const upqr_mpm_object *t = upqr_mpm_child(p, NULL, 62);
	if (!t)
		return;
	const upqr_mpm_str *named_views = &p->fields.additional.bill_number;
	for (unsigned id = 1; id <= 11; id++)
		in->additional[id] = dup_str(s, named_views[id - 1]);
	const upqr_mpm_object *kids = &p->subs[t->first_child];
	in->additional_rfu_count = values_named(s, kids, t->child_count, MPM_LV_ADDITIONAL, "rfu",
		&in->additional_rfu);
	in->additional_template_count = entries_named(s, p, kids, t->child_count,
		MPM_LV_ADDITIONAL, "templates", &in->additional_templates);
}

/* 64; its reserved sub-IDs have no place in fields_in. */
static int language_from(upqr_mpm_fields_store *s, const upqr_mpm_payload *p,
		upqr_mpm_fields_in *in)
{
	const upqr_mpm_object *t = upqr_mpm_child(p, NULL, 64);
	if (!t)
		return UPQR_OK;
	for (size_t i = 0; i < t->child_count; i++)
		if (named(MPM_LV_LANGUAGE, p->subs[t->first_child + i].id, "rfu"))
			return UPQR_EUNSUPPORTED;
	in->language = dup_str(s, p->fields.language.preference);
	in->alt_merchant_name = dup_str(s, p->fields.language.merchant_name);
	in->alt_merchant_city = dup_str(s, p->fields.language.merchant_city);
	return UPQR_OK;
}

static int fill(upqr_mpm_fields_store *s, const upqr_mpm_payload *p, upqr_mpm_fields_in *in)
{
	const upqr_mpm_fields *f = &p->fields;
	if ((f->amount.ptr && !f->amount_exact) ||
			(f->convenience_fee.ptr && !f->convenience_fee_exact))
		return UPQR_EUNSUPPORTED; /* not reached for a valid payload */
	in->initiation = f->poi;
	in->account_count = entries_named(s, p, p->objects, p->count, MPM_LV_ROOT,
		"merchant_accounts", &in->accounts);
	in->mcc = dup_str(s, f->mcc);
	in->currency = f->currency_numeric;
	in->has_amount = f->amount.ptr != NULL;
	in->amount = f->amount_minor;
	in->tip = f->tip;
	in->convenience_fee = f->convenience_fee.ptr ? f->convenience_fee_minor : 0;
	in->convenience_percentage_bp = f->convenience_percentage_bp;
	in->country = dup_str(s, f->country);
	in->merchant_name = dup_str(s, f->merchant_name);
	in->merchant_city = dup_str(s, f->merchant_city);
	in->postal_code = dup_str(s, f->postal_code);
	additional_from(s, p, in);
	in->rfu_count = values_named(s, p->objects, p->count, MPM_LV_ROOT, "rfu", &in->rfu);
	in->template_count = entries_named(s, p, p->objects, p->count, MPM_LV_ROOT, "templates",
		&in->templates);
	return language_from(s, p, in);
}

/* Every object is at most one entry or value, and its text at most its bytes plus a NUL. */
static upqr_mpm_fields_store *store_new(const upqr_mpm_payload *p)
{
	size_t objs = p->count + p->sub_count;
	size_t size = sizeof(upqr_mpm_fields_store) + objs * sizeof(upqr_mpm_entry_in) +
		objs * sizeof(upqr_mpm_value_in) + p->input_len + objs + 1;
	upqr_mpm_fields_store *s = upqr__malloc(size);
	if (!s)
		return NULL;
	memset(s, 0, sizeof *s);
	s->magic = STORE_MAGIC;
	s->ents = (upqr_mpm_entry_in *)(void *)(s + 1);
	s->vals = (upqr_mpm_value_in *)(void *)(s->ents + objs);
	s->text = (char *)(s->vals + objs);
	return s;
}

int upqr_mpm_fields_in_from_payload(upqr_mpm_fields_in *in, upqr_mpm_fields_store **store,
		const upqr_mpm_payload *p)
{
	if (store)
		*store = NULL;
	if (!in || !store || !p)
		return UPQR_EINVAL;
	if (!upqr_mpm_valid(p))
		return UPQR_EINVALID;
	upqr_mpm_fields_store *s = store_new(p);
	if (!s)
		return UPQR_ENOMEM;
	int rc = upqr_mpm_fields_in_init(in, UPQR_MPM_FIELDS_IN_VERSION);
	if (rc == UPQR_OK)
		rc = fill(s, p, in);
	if (rc != UPQR_OK) {
		upqr_mpm_fields_store_free(s);
		*in = (upqr_mpm_fields_in)UPQR_MPM_FIELDS_IN_INIT; /* nothing dangling */
		return rc;
	}
	*store = s;
	return UPQR_OK;
}

void upqr_mpm_fields_store_free(upqr_mpm_fields_store *store)
{
	if (!store || store->magic != STORE_MAGIC)
		return;
	store->magic = 0;
	upqr__free(store);
}
