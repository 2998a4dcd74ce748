/*
 * cmd_mpm.c - `upqr mpm decode|encode|set-amount`: merchant-presented
 * payloads from the command line, JSON in and out (docs/mpm.md has the
 * schemas). Uses the public API only.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MPM_USAGE \
	"upqr mpm decode [--profile emvco|unionpay] [--json] PAYLOAD|-\n" \
	"       upqr mpm encode [--profile emvco|unionpay] [FILE|-]\n" \
	"       upqr mpm set-amount [--profile emvco|unionpay] --amount MINOR_UNITS PAYLOAD|-"

#define DIAG_CAP 256

/* ---- shared option parsing ------------------------------------------------- */

typedef struct mpm_opts {
	const upqr_mpm_profile *profile;
	bool json;
	const char *amount;
	const char *arg;
} mpm_opts;

static int parse_opts(int argc, char **argv, mpm_opts *o, bool allow_json, bool allow_amount)
{
	o->profile = upqr_mpm_profile_emvco();
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--profile") && i + 1 < argc) {
			o->profile = upqr_mpm_profile_find(argv[++i]);
			if (!o->profile)
				return cli_usage(MPM_USAGE, "unknown profile '%s'", argv[i]);
		} else if (allow_json && !strcmp(a, "--json")) {
			o->json = true;
		} else if (allow_amount && !strcmp(a, "--amount") && i + 1 < argc) {
			o->amount = argv[++i];
		} else if (a[0] == '-' && a[1] != 0) {
			return cli_usage(MPM_USAGE, "unknown or incomplete option '%s'", a);
		} else if (o->arg) {
			return cli_usage(MPM_USAGE, "one input expected, got '%s' too", a);
		} else {
			o->arg = a;
		}
	}
	return CLI_OK;
}

/* ---- decode ----------------------------------------------------------------- */

static json_t *str_json(upqr_mpm_str s)
{
	return cli_json_stringn(s.ptr, s.len);
}

static void set_str(json_t *obj, const char *key, upqr_mpm_str s)
{
	if (s.ptr)
		json_object_set_new(obj, key, str_json(s));
}

static json_t *id_json(unsigned id)
{
	char t[3] = { (char)('0' + id / 10), (char)('0' + id % 10), 0 };
	return json_string(t);
}

/* The library's field table: JSON keys and titles come from there, never from here. */
static const upqr_mpm_field_info *field(upqr_mpm_level level, unsigned id)
{
	return upqr_mpm_field_lookup(level, id);
}

static const char *root_key(unsigned id)
{
	return field(UPQR_MPM_LEVEL_ROOT, id)->name;
}

static bool is_named(upqr_mpm_level level, unsigned id, const char *name)
{
	return !strcmp(field(level, id)->name, name);
}

static bool children_cover(const upqr_mpm_payload *p, const upqr_mpm_object *o)
{
	size_t bytes = 0;
	for (size_t i = 0; i < o->child_count; i++)
		bytes += 4 + (size_t)p->subs[o->first_child + i].value_len;
	return bytes == o->value_len;
}

static json_t *objects_json(const upqr_mpm_payload *p, const upqr_mpm_object *list, size_t n,
		int skip_id)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		const upqr_mpm_object *o = &list[i];
		if ((int)o->id == skip_id)
			continue;
		json_t *j = json_object();
		json_object_set_new(j, "id", id_json(o->id));
		if (o->flags & UPQR_MPM_OBJ_TEMPLATE)
			json_object_set_new(j, "objects", objects_json(p,
				&p->subs[o->first_child], o->child_count, -1));
		/* A template whose children could not all be read keeps its text too. */
		if (!(o->flags & UPQR_MPM_OBJ_TEMPLATE) || !children_cover(p, o))
			json_object_set_new(j, "value", cli_json_stringn(o->value, o->value_len));
		json_array_append_new(arr, j);
	}
	return arr;
}

/* {"id", "guid", "objects"} for a parsed template, {"id", "value"} otherwise. */
static json_t *template_json(const upqr_mpm_payload *p, const upqr_mpm_object *o)
{
	json_t *j = json_object();
	json_object_set_new(j, "id", id_json(o->id));
	if (!(o->flags & UPQR_MPM_OBJ_TEMPLATE)) {
		json_object_set_new(j, "value", cli_json_stringn(o->value, o->value_len));
		return j;
	}
	const upqr_mpm_object *g = upqr_mpm_child(p, o, 0);
	if (g)
		json_object_set_new(j, "guid", cli_json_stringn(g->value, g->value_len));
	json_object_set_new(j, "objects", objects_json(p, &p->subs[o->first_child],
		o->child_count, 0));
	return j;
}

static json_t *accounts_json(const upqr_mpm_payload *p)
{
	json_t *arr = json_array();
	const upqr_mpm_fields *f = &p->fields;
	for (size_t i = 0; i < f->account_count; i++) {
		const upqr_mpm_account *a = &f->accounts[i];
		json_t *j = template_json(p, &p->objects[a->object_index]);
		json_object_set_new(j, "network", json_string(upqr_mpm_network_name(a->network)));
		json_array_append_new(arr, j);
	}
	return arr;
}

/* The named sub-IDs of 62 (01..11), in the order of upqr_mpm_additional. */
#define ADDITIONAL_NAMED 11u

static json_t *additional_json(const upqr_mpm_additional *a)
{
	json_t *j = json_object();
	const upqr_mpm_str *s = &a->bill_number;
	for (unsigned id = 1; id <= ADDITIONAL_NAMED; id++)
		set_str(j, field(UPQR_MPM_LEVEL_ADDITIONAL, id)->name, s[id - 1]);
	return j;
}

/* {"acquirer_iin", "forwarding_iin", "merchant_id"} from the library's ID 15 layout. */
static json_t *unionpay_json(const upqr_mpm_unionpay_id *u)
{
	size_t n;
	const upqr_mpm_part_info *part = upqr_mpm_unionpay_id_layout(&n);
	const upqr_mpm_str *v[] = { &u->acquirer_iin, &u->forwarding_iin, &u->merchant_id };
	json_t *j = json_object();
	for (size_t i = 0; i < n && i < sizeof v / sizeof v[0]; i++)
		json_object_set_new(j, part[i].name, str_json(*v[i]));
	return j;
}

static void set_money(json_t *j, const char *key, const char *minor_key, upqr_mpm_str s,
		bool exact, int64_t minor)
{
	set_str(j, key, s);
	if (s.ptr && exact)
		json_object_set_new(j, minor_key, json_integer((json_int_t)minor));
}

static json_t *fields_json(const upqr_mpm_payload *p)
{
	const upqr_mpm_fields *f = &p->fields;
	json_t *j = json_object();
	set_str(j, root_key(0), f->payload_format);
	if (f->initiation.ptr)
		json_object_set_new(j, root_key(1), f->poi == UPQR_MPM_POI_INVALID ?
			str_json(f->initiation) : json_string(upqr_mpm_initiation_name(f->poi)));
	json_object_set_new(j, root_key(2), accounts_json(p));
	if (f->unionpay.present)
		json_object_set_new(j, "unionpay", unionpay_json(&f->unionpay));
	set_str(j, root_key(52), f->mcc);
	set_str(j, root_key(53), f->currency);
	if (f->currency_alpha)
		json_object_set_new(j, "currency_alpha", json_string(f->currency_alpha));
	set_money(j, root_key(54), "amount_minor", f->amount, f->amount_exact, f->amount_minor);
	if (f->tip_indicator.ptr)
		json_object_set_new(j, root_key(55), f->tip == UPQR_MPM_TIP_INVALID ?
			str_json(f->tip_indicator) : json_string(upqr_mpm_tip_name(f->tip)));
	set_money(j, root_key(56), "convenience_fee_minor", f->convenience_fee,
		f->convenience_fee_exact, f->convenience_fee_minor);
	set_str(j, root_key(57), f->convenience_percentage);
	set_str(j, root_key(58), f->country);
	set_str(j, root_key(59), f->merchant_name);
	set_str(j, root_key(60), f->merchant_city);
	set_str(j, root_key(61), f->postal_code);
	const upqr_mpm_object *add = upqr_mpm_child(p, NULL, 62);
	if (add) {
		json_t *a = additional_json(&f->additional);
		if (add->flags & UPQR_MPM_OBJ_TEMPLATE) {
			json_t *tpl = json_array(), *rfu = json_array();
			for (size_t i = 0; i < add->child_count; i++) {
				const upqr_mpm_object *o = &p->subs[add->first_child + i];
				if (is_named(UPQR_MPM_LEVEL_ADDITIONAL, o->id, "templates"))
					json_array_append_new(tpl, template_json(p, o));
				else if (is_named(UPQR_MPM_LEVEL_ADDITIONAL, o->id, "rfu"))
					json_array_append_new(rfu, template_json(p, o));
			}
			json_object_set_new(a, "templates", tpl);
			json_object_set_new(a, "rfu", rfu);
		}
		json_object_set_new(j, root_key(62), a);
	}
	if (upqr_mpm_child(p, NULL, 64)) {
		json_t *l = json_object();
		const upqr_mpm_str *v[] = { &f->language.preference, &f->language.merchant_name,
			&f->language.merchant_city };
		for (unsigned id = 0; id < sizeof v / sizeof v[0]; id++)
			set_str(l, field(UPQR_MPM_LEVEL_LANGUAGE, id)->name, *v[id]);
		json_object_set_new(j, root_key(64), l);
	}
	json_t *tpl = json_array(), *rfu = json_array();
	for (unsigned id = 0; id <= 99; id++) {
		const upqr_mpm_object *o = upqr_mpm_child(p, NULL, id);
		if (o && is_named(UPQR_MPM_LEVEL_ROOT, id, "templates"))
			json_array_append_new(tpl, template_json(p, o));
		else if (o && is_named(UPQR_MPM_LEVEL_ROOT, id, "rfu"))
			json_array_append_new(rfu, template_json(p, o));
	}
	json_object_set_new(j, "templates", tpl);
	json_object_set_new(j, "rfu", rfu);
	set_str(j, root_key(63), f->crc);
	return j;
}

static void print_field(upqr_mpm_level level, unsigned id, upqr_mpm_str s)
{
	if (!s.ptr)
		return;
	printf("  %-26s ", field(level, id)->title);
	cli_print_text(stdout, s.ptr, s.len);
	putchar('\n');
}

static void print_root(unsigned id, upqr_mpm_str s)
{
	print_field(UPQR_MPM_LEVEL_ROOT, id, s);
}

static void print_unionpay_id(const upqr_mpm_unionpay_id *u)
{
	size_t n;
	const upqr_mpm_part_info *part = upqr_mpm_unionpay_id_layout(&n);
	const upqr_mpm_str *v[] = { &u->acquirer_iin, &u->forwarding_iin, &u->merchant_id };
	printf("  %-26s", "UnionPay ID");
	for (size_t i = 0; i < n && i < sizeof v / sizeof v[0]; i++) {
		printf("%s %s ", i ? "," : "", part[i].title);
		cli_print_text(stdout, v[i]->ptr, v[i]->len);
	}
	putchar('\n');
}

static void print_human(const upqr_mpm_payload *p)
{
	const upqr_mpm_fields *f = &p->fields;
	printf("%s MPM payload (%s profile), %zu characters, %zu objects\n",
		upqr_mpm_valid(p) ? "valid" : "INVALID", p->profile->name, p->chars, p->count);
	if (f->initiation.ptr)
		printf("  %-26s %s (%.*s)\n", field(UPQR_MPM_LEVEL_ROOT, 1)->title,
			upqr_mpm_initiation_name(f->poi), (int)f->initiation.len, f->initiation.ptr);
	for (size_t i = 0; i < f->account_count; i++) {
		const upqr_mpm_account *a = &f->accounts[i];
		printf("  %s %02u        %s", field(UPQR_MPM_LEVEL_ROOT, a->id)->title, a->id,
			upqr_mpm_network_name(a->network));
		printf(a->guid.ptr ? ", GUID " : ", ");
		cli_print_text(stdout, a->guid.ptr ? a->guid.ptr : a->value.ptr,
			a->guid.ptr ? a->guid.len : a->value.len);
		putchar('\n');
	}
	if (f->unionpay.present)
		print_unionpay_id(&f->unionpay);
	print_root(52, f->mcc);
	if (f->currency.ptr)
		printf("  %-26s %.*s%s%s\n", field(UPQR_MPM_LEVEL_ROOT, 53)->title, (int)f->currency.len,
			f->currency.ptr, f->currency_alpha ? " " : "",
			f->currency_alpha ? f->currency_alpha : "");
	if (f->amount.ptr) {
		printf("  %-26s ", field(UPQR_MPM_LEVEL_ROOT, 54)->title);
		cli_print_text(stdout, f->amount.ptr, f->amount.len);
		printf("%s\n", f->amount_exact ? "" : " (not exact in minor units)");
	}
	const upqr_mpm_str by_id[] = { f->tip_indicator, f->convenience_fee,
		f->convenience_percentage, f->country, f->merchant_name, f->merchant_city,
		f->postal_code };
	for (unsigned id = 55; id <= 61; id++)
		print_root(id, by_id[id - 55]);
	for (unsigned id = 1; id <= ADDITIONAL_NAMED; id++)
		print_field(UPQR_MPM_LEVEL_ADDITIONAL, id, (&f->additional.bill_number)[id - 1]);
	print_field(UPQR_MPM_LEVEL_LANGUAGE, 0, f->language.preference);
	print_field(UPQR_MPM_LEVEL_LANGUAGE, 1, f->language.merchant_name);
	print_field(UPQR_MPM_LEVEL_LANGUAGE, 2, f->language.merchant_city);
	if (p->crc_present)
		printf("  %-26s %04X (computed %04X)\n", "CRC", p->crc_stated, p->crc_computed);
}

json_t *cli_mpm_decode_json(const upqr_mpm_payload *p, const upqr_diag_list *dl)
{
	json_t *j = json_object();
	json_object_set_new(j, "valid", json_boolean(upqr_mpm_valid(p)));
	json_object_set_new(j, "objects", objects_json(p, p->objects, p->count, -1));
	json_object_set_new(j, "fields", fields_json(p));
	json_object_set_new(j, "diagnostics", cli_diag_json(dl));
	return j;
}

static int cmd_decode(int argc, char **argv)
{
	mpm_opts o = { 0 };
	int rc = parse_opts(argc, argv, &o, true, false);
	if (rc != CLI_OK)
		return rc;
	if (!o.arg)
		return cli_usage(MPM_USAGE, "a payload (or - for stdin) is required");
	size_t len;
	char *text = cli_read_arg(o.arg, &len, true);
	if (!text)
		return CLI_IO;
	upqr_mpm_payload *p = malloc(sizeof *p);
	upqr_diag *items = calloc(DIAG_CAP, sizeof *items);
	if (!p || !items) {
		free(p);
		free(items);
		free(text);
		fprintf(stderr, "upqr: out of memory\n");
		return CLI_IO;
	}
	upqr_diag_list dl;
	upqr_diag_list_init(&dl, items, DIAG_CAP);
	rc = upqr_mpm_decode(p, o.profile, text, len, &dl);
	if (rc == UPQR_EINVAL) {
		fprintf(stderr, "upqr: %s\n", upqr_strerror(rc));
	} else if (o.json) {
		cli_json_print(cli_mpm_decode_json(p, &dl));
	} else {
		print_human(p);
		cli_diag_print(stdout, &dl);
	}
	if (!upqr_mpm_valid(p))
		cli_hint_kind(o.json ? stderr : stdout, text, len, UPQR_SCAN_KIND_MPM);
	int exit_code = upqr_mpm_valid(p) ? CLI_OK : CLI_INVALID;
	free(items);
	free(p);
	free(text);
	return exit_code;
}

/* ---- encode ------------------------------------------------------------------- */

/*
 * The JSON document's strings stay alive (owned by `doc`) while fields point
 * into them. Entry and value arrays are sized from the JSON arrays and kept
 * in a chain, so no fixed pool caps what the spec allows.
 */
typedef struct jblock {
	struct jblock *next;
	max_align_t data[];
} jblock;

typedef struct jin {
	upqr_diag_list *dl;
	bool bad;
	bool oom;
	jblock *blocks;
} jin;

/* n elements of size bytes, freed with the jin; NULL (and c->oom) when memory runs out. */
static void *jalloc(jin *c, size_t n, size_t size)
{
	jblock *b = n && n <= SIZE_MAX / size - sizeof *b ? calloc(1, sizeof *b + n * size) : NULL;
	if (!b) {
		c->oom |= n != 0;
		return NULL;
	}
	b->next = c->blocks;
	c->blocks = b;
	return b->data;
}

static void jin_free(jin *c)
{
	while (c->blocks) {
		jblock *b = c->blocks;
		c->blocks = b->next;
		free(b);
	}
}

/* JSON problems use the decoder's diagnostic shape; the key goes in the message. */
static void jbad(jin *c, const char *key, const char *msg)
{
	char text[UPQR_DIAG_MESSAGE_MAX];
	snprintf(text, sizeof text, "\"%s\": %s", key, msg);
	upqr_mpm_report(c->dl, UPQR_SEV_ERROR, "bad_field", 0, "", text);
	c->bad = true;
}

static const char *jstr(jin *c, json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return NULL;
	if (!json_is_string(v)) {
		jbad(c, key, "must be a string");
		return NULL;
	}
	return json_string_value(v);
}

/* "05" or 5 -> 5; -1 when not an ID. */
static int jid(json_t *v)
{
	if (json_is_integer(v))
		return json_integer_value(v) >= 0 && json_integer_value(v) <= 99 ?
			(int)json_integer_value(v) : -1;
	const char *s = json_string_value(v);
	if (!s || strlen(s) != 2 || s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return -1;
	return (s[0] - '0') * 10 + s[1] - '0';
}

static size_t jvalues(jin *c, json_t *arr, const char *key, const upqr_mpm_value_in **out,
		int skip_id)
{
	*out = NULL;
	if (!arr)
		return 0;
	if (!json_is_array(arr)) {
		jbad(c, key, "must be an array of {\"id\", \"value\"}");
		return 0;
	}
	upqr_mpm_value_in *v = jalloc(c, json_array_size(arr), sizeof *v);
	if (!v)
		return 0;
	size_t n = 0, i;
	json_t *e;
	json_array_foreach(arr, i, e) {
		int id = jid(json_object_get(e, "id"));
		const char *val = json_string_value(json_object_get(e, "value"));
		if (id < 0 || !val) {
			jbad(c, key, "each entry needs a two-digit \"id\" and a string \"value\"");
			continue;
		}
		if (id == skip_id)
			continue;
		v[n].id = (unsigned)id;
		v[n++].value = val;
	}
	*out = v;
	return n;
}

static size_t jentries(jin *c, json_t *root, const char *key, const upqr_mpm_entry_in **out)
{
	json_t *arr = json_object_get(root, key);
	*out = NULL;
	if (!arr)
		return 0;
	if (!json_is_array(arr)) {
		jbad(c, key, "must be an array of entries");
		return 0;
	}
	upqr_mpm_entry_in *ents = jalloc(c, json_array_size(arr), sizeof *ents);
	if (!ents)
		return 0;
	size_t n = 0, i;
	json_t *e;
	json_array_foreach(arr, i, e) {
		int id = jid(json_object_get(e, "id"));
		if (id < 0) {
			jbad(c, key, "each entry needs a two-digit \"id\"");
			continue;
		}
		upqr_mpm_entry_in *t = &ents[n++];
		memset(t, 0, sizeof *t);
		t->id = (unsigned)id;
		t->value = jstr(c, e, "value");
		t->guid = jstr(c, e, "guid");
		/* A GUID may also come as sub-object 00 (as upqr mpm decode --json lists it). */
		t->object_count = jvalues(c, json_object_get(e, "objects"), key, &t->objects,
			t->guid ? 0 : -1);
	}
	*out = ents;
	return n;
}

static int64_t jmoney(jin *c, json_t *root, const char *text_key, const char *minor_key,
		unsigned currency, bool *present)
{
	json_t *minor = json_object_get(root, minor_key);
	const char *text = jstr(c, root, text_key);
	int64_t v = 0, t = 0;
	*present = minor || text;
	if (minor) {
		if (!json_is_integer(minor)) {
			jbad(c, minor_key, "must be an integer (minor units)");
			return 0;
		}
		v = json_integer_value(minor);
	}
	if (text) {
		int exp = upqr_mpm_currency_exponent(currency);
		if (upqr_mpm_amount_parse(&t, text, strlen(text), exp < 0 ? 0 : exp) != UPQR_OK) {
			jbad(c, text_key, "not an exact amount in this currency");
			return 0;
		}
		if (minor && t != v)
			jbad(c, text_key, "disagrees with the minor-unit value");
		v = t;
	}
	return v;
}

static unsigned jpercent(jin *c, const char *s)
{
	int64_t bp;
	if (!s)
		return 0;
	if (upqr_mpm_amount_parse(&bp, s, strlen(s), 2) != UPQR_OK || bp < 1 || bp > 9999) {
		jbad(c, root_key(57), "must be 0.01 to 99.99");
		return 0;
	}
	return (unsigned)bp;
}

static void jtip(jin *c, json_t *root, upqr_mpm_fields_in *in)
{
	const char *t = jstr(c, root, root_key(55));
	if (!t)
		return;
	in->tip = upqr_mpm_tip_parse(t);
	if (in->tip == UPQR_MPM_TIP_INVALID) {
		in->tip = UPQR_MPM_TIP_NONE;
		jbad(c, root_key(55), "must be \"prompt\", \"fixed\" or \"percentage\"");
	}
}

static void jadditional(jin *c, json_t *add, upqr_mpm_fields_in *in)
{
	if (!add)
		return;
	if (!json_is_object(add)) {
		jbad(c, root_key(62), "must be an object");
		return;
	}
	const char *key;
	json_t *v;
	json_object_foreach(add, key, v) {
		bool known = !strcmp(key, "templates") || !strcmp(key, "rfu");
		const upqr_mpm_field_info *f = upqr_mpm_field_by_name(UPQR_MPM_LEVEL_ADDITIONAL, key);
		if (f && f->id_first >= 1 && f->id_first <= ADDITIONAL_NAMED) {
			in->additional[f->id_first] = jstr(c, add, key);
			known = true;
		}
		if (!known)
			jbad(c, key, "unknown additional_data field");
	}
	in->additional_template_count = jentries(c, add, "templates", &in->additional_templates);
	in->additional_rfu_count = jvalues(c, json_object_get(add, "rfu"), "rfu",
		&in->additional_rfu, -1);
}

static void jlanguage(jin *c, json_t *l, upqr_mpm_fields_in *in)
{
	if (!l)
		return;
	if (!json_is_object(l)) {
		jbad(c, root_key(64), "must be an object");
		return;
	}
	in->language = jstr(c, l, field(UPQR_MPM_LEVEL_LANGUAGE, 0)->name);
	in->alt_merchant_name = jstr(c, l, field(UPQR_MPM_LEVEL_LANGUAGE, 1)->name);
	in->alt_merchant_city = jstr(c, l, field(UPQR_MPM_LEVEL_LANGUAGE, 2)->name);
}

static void jinitiation(jin *c, json_t *root, upqr_mpm_fields_in *in)
{
	const char *s = jstr(c, root, root_key(1));
	if (!s)
		return;
	in->initiation = upqr_mpm_initiation_parse(s);
	if (in->initiation == UPQR_MPM_POI_INVALID) {
		in->initiation = UPQR_MPM_POI_NONE;
		jbad(c, root_key(1), "must be \"static\" or \"dynamic\"");
	}
}

static unsigned jcurrency(jin *c, json_t *root)
{
	json_t *v = json_object_get(root, root_key(53));
	if (!v)
		return 0;
	if (json_is_integer(v) && json_integer_value(v) > 0 && json_integer_value(v) <= 999)
		return (unsigned)json_integer_value(v);
	const char *s = json_string_value(v);
	if (s && strlen(s) == 3 && strspn(s, "0123456789") == 3)
		return (unsigned)strtoul(s, NULL, 10);
	jbad(c, root_key(53), "must be an ISO 4217 numeric code such as \"344\"");
	return 0;
}

/* Keys `upqr mpm decode --json` prints that describe rather than define a payload. */
static bool informational(const char *key)
{
	return !strcmp(key, root_key(0)) || !strcmp(key, root_key(63)) ||
		!strcmp(key, "currency_alpha");
}

/* Every root key is a field name from the library's table, or one of the CLI's extras. */
static void jroot_keys(jin *c, json_t *root)
{
	static const char *const extra[] = { "unionpay", "amount_minor", "convenience_fee_minor" };
	const char *key;
	json_t *v;
	json_object_foreach(root, key, v) {
		bool known = informational(key) ||
			upqr_mpm_field_by_name(UPQR_MPM_LEVEL_ROOT, key) != NULL;
		for (size_t i = 0; i < sizeof extra / sizeof extra[0] && !known; i++)
			known = !strcmp(key, extra[i]);
		if (!known)
			jbad(c, key, "unknown field");
	}
}

/* True when an ID 15 value is exactly the parts in part[] order. */
static bool same_unionpay_id(const char *value, const char *const *parts)
{
	size_t n;
	const upqr_mpm_part_info *part = upqr_mpm_unionpay_id_layout(&n);
	if (!value || strlen(value) != UPQR_MPM_UNIONPAY_ID_CHARS)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!parts[i] || strlen(parts[i]) != part[i].length ||
				strncmp(value + part[i].offset, parts[i], part[i].length))
			return false;
	return true;
}

/*
 * "unionpay": {"acquirer_iin", "forwarding_iin", "merchant_id"} builds ID 15.
 * Decoded JSON lists ID 15 among the accounts too: the same value there is
 * not a second ID 15.
 */
static void junionpay(jin *c, json_t *u, upqr_mpm_fields_in *in)
{
	if (!u)
		return;
	if (!json_is_object(u)) {
		jbad(c, "unionpay", "must be an object");
		return;
	}
	size_t n;
	const upqr_mpm_part_info *part = upqr_mpm_unionpay_id_layout(&n);
	const char **dst[] = { &in->unionpay_acquirer_iin, &in->unionpay_forwarding_iin,
		&in->unionpay_merchant_id };
	const char *v[sizeof dst / sizeof dst[0]] = { NULL };
	for (size_t i = 0; i < n && i < sizeof dst / sizeof dst[0]; i++)
		v[i] = jstr(c, u, part[i].name);
	for (size_t i = 0; i < in->account_count; i++)
		if (in->accounts[i].id == UPQR_MPM_UNIONPAY_ID && same_unionpay_id(in->accounts[i].value, v))
			return;
	for (size_t i = 0; i < n && i < sizeof dst / sizeof dst[0]; i++)
		*dst[i] = v[i];
}

static void fields_from_json(jin *c, json_t *root, upqr_mpm_fields_in *in)
{
	jroot_keys(c, root);
	jinitiation(c, root, in);
	in->account_count = jentries(c, root, root_key(2), &in->accounts);
	junionpay(c, json_object_get(root, "unionpay"), in);
	in->mcc = jstr(c, root, root_key(52));
	in->currency = jcurrency(c, root);
	in->amount = jmoney(c, root, root_key(54), "amount_minor", in->currency, &in->has_amount);
	jtip(c, root, in);
	bool fee;
	in->convenience_fee = jmoney(c, root, root_key(56), "convenience_fee_minor",
		in->currency, &fee);
	in->convenience_percentage_bp = jpercent(c, jstr(c, root, root_key(57)));
	in->country = jstr(c, root, root_key(58));
	in->merchant_name = jstr(c, root, root_key(59));
	in->merchant_city = jstr(c, root, root_key(60));
	in->postal_code = jstr(c, root, root_key(61));
	jadditional(c, json_object_get(root, root_key(62)), in);
	jlanguage(c, json_object_get(root, root_key(64)), in);
	in->template_count = jentries(c, root, root_key(80), &in->templates);
	in->rfu_count = jvalues(c, json_object_get(root, root_key(65)), root_key(65), &in->rfu, -1);
}

static int encode_doc(json_t *doc, const upqr_mpm_profile *prof, upqr_diag_list *dl)
{
	jin c = { dl, false, false, NULL };
	upqr_mpm_fields_in in;
	if (upqr_mpm_fields_in_init(&in, UPQR_MPM_FIELDS_IN_VERSION) != UPQR_OK)
		return CLI_IO;
	fields_from_json(&c, doc, &in);
	int rc = c.oom ? CLI_IO : CLI_INVALID;
	if (c.oom)
		fprintf(stderr, "upqr: out of memory\n");
	if (!c.bad && !c.oom) {
		size_t n;
		char *out = malloc(UPQR_MPM_ENCODED_MAX + 1);
		int st = out ? upqr_mpm_encode(out, UPQR_MPM_ENCODED_MAX + 1, &n, prof, &in, dl) : UPQR_ENOMEM;
		if (st == UPQR_OK)
			puts(out);
		else if (st == UPQR_ENOMEM)
			fprintf(stderr, "upqr: out of memory\n");
		rc = cli_exit_for(st);
		free(out);
	}
	jin_free(&c);
	return rc;
}

static int cmd_encode(int argc, char **argv)
{
	mpm_opts o = { 0 };
	int rc = parse_opts(argc, argv, &o, false, false);
	if (rc != CLI_OK)
		return rc;
	size_t len;
	/* JSON text, - or @FILE; a bare FILE (the first spelling, never JSON) is still a file. */
	const char *in = o.arg ? o.arg : "-";
	bool bare_file = in[0] && !strchr("{-@", in[0]);
	const char *name = bare_file ? in : cli_input_name(in);
	char *text = bare_file ? cli_read_file(in, &len) : cli_read_arg(in, &len, false);
	if (!text)
		return CLI_IO;
	json_error_t err;
	json_t *doc = json_loadb(text, len, 0, &err);
	free(text);
	if (!doc || !json_is_object(doc)) {
		if (doc)
			fprintf(stderr, "upqr: %s: must be a JSON object of fields\n", name);
		else
			fprintf(stderr, "upqr: %s:%d: invalid JSON: %s\n", name, err.line,
				err.text);
		json_decref(doc);
		return CLI_INVALID;
	}
	upqr_diag items[DIAG_CAP];
	upqr_diag_list dl;
	upqr_diag_list_init(&dl, items, DIAG_CAP);
	rc = encode_doc(doc, o.profile, &dl);
	json_decref(doc);
	cli_diag_print(stderr, &dl);
	return rc;
}

/* ---- set-amount ---------------------------------------------------------------- */

static int cmd_set_amount(int argc, char **argv)
{
	mpm_opts o = { 0 };
	int rc = parse_opts(argc, argv, &o, false, true);
	if (rc != CLI_OK)
		return rc;
	char *end = NULL;
	long long amount = o.amount ? strtoll(o.amount, &end, 10) : 0;
	if (!o.amount || !o.arg || !*o.amount || *end || amount <= 0)
		return cli_usage(MPM_USAGE, "--amount (positive minor units) and a payload are required");
	size_t len, n;
	char *text = cli_read_arg(o.arg, &len, true);
	if (!text)
		return CLI_IO;
	char *out = malloc(UPQR_MPM_ENCODED_MAX + 1);
	upqr_diag items[DIAG_CAP];
	upqr_diag_list dl;
	upqr_diag_list_init(&dl, items, DIAG_CAP);
	rc = out ? upqr_mpm_set_amount(out, UPQR_MPM_ENCODED_MAX + 1, &n, o.profile, text, len,
		(int64_t)amount, &dl) : UPQR_ENOMEM;
	if (rc == UPQR_OK)
		puts(out);
	cli_diag_print(stderr, &dl);
	free(out);
	free(text);
	return cli_exit_for(rc);
}

int cli_cmd_mpm(int argc, char **argv)
{
	if (argc < 2)
		return cli_usage(MPM_USAGE, "a subcommand is required");
	if (!strcmp(argv[1], "decode"))
		return cmd_decode(argc - 1, argv + 1);
	if (!strcmp(argv[1], "encode"))
		return cmd_encode(argc - 1, argv + 1);
	if (!strcmp(argv[1], "set-amount"))
		return cmd_set_amount(argc - 1, argv + 1);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		printf("usage: %s\n", MPM_USAGE);
		return CLI_OK;
	}
	return cli_usage(MPM_USAGE, "unknown mpm subcommand '%s'", argv[1]);
}
