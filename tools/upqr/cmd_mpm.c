/*
 * cmd_mpm.c - `upqr mpm decode|encode|set-amount`: merchant-presented
 * payloads from the command line, JSON in and out (docs/mpm.md has the
 * schemas). Uses the public API only.
 */
#include <inttypes.h>
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
		json_t *j = template_json(p, a->object);
		json_object_set_new(j, "network", json_string(upqr_mpm_network_name(a->network)));
		json_array_append_new(arr, j);
	}
	return arr;
}

static json_t *additional_json(const upqr_mpm_additional *a)
{
	static const char *const names[] = { "bill_number", "mobile_number", "store_label",
		"loyalty_number", "reference_label", "customer_label", "terminal_label", "purpose",
		"consumer_data_request", "merchant_tax_id", "merchant_channel" };
	json_t *j = json_object();
	const upqr_mpm_str *s = &a->bill_number;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		set_str(j, names[i], s[i]);
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
	set_str(j, "payload_format_indicator", f->payload_format);
	if (f->initiation.ptr)
		json_object_set_new(j, "point_of_initiation", f->dynamic < 0 ? str_json(f->initiation) :
			json_string(f->dynamic ? "dynamic" : "static"));
	json_object_set_new(j, "merchant_accounts", accounts_json(p));
	if (f->unionpay.present)
		json_object_set_new(j, "unionpay", json_pack("{s:o, s:o, s:o}",
			"acquirer_iin", str_json(f->unionpay.acquirer_iin),
			"forwarding_iin", str_json(f->unionpay.forwarding_iin),
			"merchant_id", str_json(f->unionpay.merchant_id)));
	set_str(j, "merchant_category_code", f->mcc);
	set_str(j, "transaction_currency", f->currency);
	if (f->currency_alpha)
		json_object_set_new(j, "currency_alpha", json_string(f->currency_alpha));
	set_money(j, "amount", "amount_minor", f->amount, f->amount_exact, f->amount_minor);
	if (f->tip_indicator.ptr) {
		static const char *const tips[] = { "prompt", "fixed", "percentage" };
		const char *t = f->tip_indicator.ptr;
		bool known = f->tip_indicator.len == 2 && t[0] == '0' && t[1] >= '1' && t[1] <= '3';
		json_object_set_new(j, "tip", known ? json_string(tips[t[1] - '1']) :
			str_json(f->tip_indicator));
	}
	set_money(j, "convenience_fee", "convenience_fee_minor", f->convenience_fee,
		f->convenience_fee_exact, f->convenience_fee_minor);
	set_str(j, "convenience_percentage", f->convenience_percentage);
	set_str(j, "country_code", f->country);
	set_str(j, "merchant_name", f->merchant_name);
	set_str(j, "merchant_city", f->merchant_city);
	set_str(j, "postal_code", f->postal_code);
	const upqr_mpm_object *add = upqr_mpm_child(p, NULL, 62);
	if (add) {
		json_t *a = additional_json(&f->additional);
		if (add->flags & UPQR_MPM_OBJ_TEMPLATE) {
			json_t *tpl = json_array(), *rfu = json_array();
			for (size_t i = 0; i < add->child_count; i++) {
				const upqr_mpm_object *o = &p->subs[add->first_child + i];
				if (o->id >= 12)
					json_array_append_new(o->id >= 50 ? tpl : rfu, template_json(p, o));
			}
			json_object_set_new(a, "templates", tpl);
			json_object_set_new(a, "rfu", rfu);
		}
		json_object_set_new(j, "additional_data", a);
	}
	if (upqr_mpm_child(p, NULL, 64)) {
		json_t *l = json_object();
		set_str(l, "preference", f->language.preference);
		set_str(l, "merchant_name", f->language.merchant_name);
		set_str(l, "merchant_city", f->language.merchant_city);
		json_object_set_new(j, "language", l);
	}
	json_t *tpl = json_array(), *rfu = json_array();
	for (unsigned id = 65; id <= 99; id++) {
		const upqr_mpm_object *o = upqr_mpm_child(p, NULL, id);
		if (o)
			json_array_append_new(id >= 80 ? tpl : rfu, template_json(p, o));
	}
	json_object_set_new(j, "templates", tpl);
	json_object_set_new(j, "rfu", rfu);
	set_str(j, "crc", f->crc);
	return j;
}

static void print_field(const char *name, upqr_mpm_str s)
{
	if (!s.ptr)
		return;
	printf("  %-26s ", name);
	cli_print_text(stdout, s.ptr, s.len);
	putchar('\n');
}

static void print_human(const upqr_mpm_payload *p)
{
	const upqr_mpm_fields *f = &p->fields;
	printf("%s MPM payload (%s profile), %zu characters, %zu objects\n",
		upqr_mpm_valid(p) ? "valid" : "INVALID", p->profile->name, p->chars, p->count);
	if (f->initiation.ptr)
		printf("  %-26s %s\n", "point of initiation",
			f->dynamic == 1 ? "dynamic (12)" : f->dynamic == 0 ? "static (11)" : "unknown");
	for (size_t i = 0; i < f->account_count; i++) {
		const upqr_mpm_account *a = &f->accounts[i];
		printf("  merchant account %02u        %s", a->id, upqr_mpm_network_name(a->network));
		printf(a->guid.ptr ? ", GUID " : ", ");
		cli_print_text(stdout, a->guid.ptr ? a->guid.ptr : a->value.ptr,
			a->guid.ptr ? a->guid.len : a->value.len);
		putchar('\n');
	}
	if (f->unionpay.present) {
		printf("  %-26s acquirer ", "UnionPay ID");
		cli_print_text(stdout, f->unionpay.acquirer_iin.ptr, f->unionpay.acquirer_iin.len);
		printf(", forwarding ");
		cli_print_text(stdout, f->unionpay.forwarding_iin.ptr, f->unionpay.forwarding_iin.len);
		printf(", merchant ");
		cli_print_text(stdout, f->unionpay.merchant_id.ptr, f->unionpay.merchant_id.len);
		putchar('\n');
	}
	print_field("merchant category code", f->mcc);
	if (f->currency.ptr)
		printf("  %-26s %.*s%s%s\n", "currency", (int)f->currency.len, f->currency.ptr,
			f->currency_alpha ? " " : "", f->currency_alpha ? f->currency_alpha : "");
	if (f->amount.ptr) {
		printf("  %-26s ", "amount");
		cli_print_text(stdout, f->amount.ptr, f->amount.len);
		printf("%s\n", f->amount_exact ? "" : " (not exact in minor units)");
	}
	print_field("tip indicator", f->tip_indicator);
	print_field("convenience fee", f->convenience_fee);
	print_field("convenience percentage", f->convenience_percentage);
	print_field("country", f->country);
	print_field("merchant name", f->merchant_name);
	print_field("merchant city", f->merchant_city);
	print_field("postal code", f->postal_code);
	static const char *const add[] = { "bill number", "mobile number", "store label",
		"loyalty number", "reference label", "customer label", "terminal label", "purpose",
		"consumer data request", "merchant tax ID", "merchant channel" };
	for (size_t i = 0; i < sizeof add / sizeof add[0]; i++)
		print_field(add[i], (&f->additional.bill_number)[i]);
	print_field("language", f->language.preference);
	print_field("name (alternate language)", f->language.merchant_name);
	print_field("city (alternate language)", f->language.merchant_city);
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

/* The JSON document's strings stay alive (owned by `doc`) while fields point into them. */
typedef struct jin {
	upqr_diag_list *dl;
	bool bad;
	upqr_mpm_entry_in ents[3][100];
	upqr_mpm_value_in vals[8][100];
	size_t nvals;
} jin;

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
	if (!json_is_array(arr) || c->nvals >= 8 || json_array_size(arr) > 100) {
		jbad(c, key, "must be an array of {\"id\", \"value\"} (at most 100)");
		return 0;
	}
	upqr_mpm_value_in *v = c->vals[c->nvals++];
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

static size_t jentries(jin *c, json_t *root, const char *key, int slot,
		const upqr_mpm_entry_in **out)
{
	json_t *arr = json_object_get(root, key);
	*out = NULL;
	if (!arr)
		return 0;
	if (!json_is_array(arr) || json_array_size(arr) > 100) {
		jbad(c, key, "must be an array of entries");
		return 0;
	}
	upqr_mpm_entry_in *ents = c->ents[slot];
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
		jbad(c, "convenience_percentage", "must be 0.01 to 99.99");
		return 0;
	}
	return (unsigned)bp;
}

static void jtip(jin *c, json_t *root, upqr_mpm_fields_in *in)
{
	static const char *const tips[] = { "prompt", "fixed", "percentage" };
	const char *t = jstr(c, root, "tip");
	if (!t)
		return;
	for (int i = 0; i < 3; i++)
		if (!strcmp(t, tips[i]))
			in->tip = i + 1;
	if (!in->tip)
		jbad(c, "tip", "must be \"prompt\", \"fixed\" or \"percentage\"");
}

static void jadditional(jin *c, json_t *add, upqr_mpm_fields_in *in)
{
	static const char *const names[] = { NULL, "bill_number", "mobile_number", "store_label",
		"loyalty_number", "reference_label", "customer_label", "terminal_label", "purpose",
		"consumer_data_request", "merchant_tax_id", "merchant_channel" };
	if (!add)
		return;
	if (!json_is_object(add)) {
		jbad(c, "additional_data", "must be an object");
		return;
	}
	const char *key;
	json_t *v;
	json_object_foreach(add, key, v) {
		bool known = !strcmp(key, "templates") || !strcmp(key, "rfu");
		for (int i = 1; i <= 11; i++)
			if (!strcmp(key, names[i])) {
				in->additional[i] = jstr(c, add, key);
				known = true;
			}
		if (!known)
			jbad(c, key, "unknown additional_data field");
	}
	in->additional_template_count = jentries(c, add, "templates", 1, &in->additional_templates);
	in->additional_rfu_count = jvalues(c, json_object_get(add, "rfu"), "rfu",
		&in->additional_rfu, -1);
}

static void jlanguage(jin *c, json_t *l, upqr_mpm_fields_in *in)
{
	if (!l)
		return;
	if (!json_is_object(l)) {
		jbad(c, "language", "must be an object");
		return;
	}
	in->language = jstr(c, l, "preference");
	in->alt_merchant_name = jstr(c, l, "merchant_name");
	in->alt_merchant_city = jstr(c, l, "merchant_city");
}

static void jinitiation(jin *c, json_t *root, upqr_mpm_fields_in *in)
{
	const char *s = jstr(c, root, "point_of_initiation");
	if (!s)
		return;
	if (!strcmp(s, "static") || !strcmp(s, "11"))
		in->initiation = UPQR_MPM_POI_STATIC;
	else if (!strcmp(s, "dynamic") || !strcmp(s, "12"))
		in->initiation = UPQR_MPM_POI_DYNAMIC;
	else
		jbad(c, "point_of_initiation", "must be \"static\" or \"dynamic\"");
}

static unsigned jcurrency(jin *c, json_t *root)
{
	json_t *v = json_object_get(root, "transaction_currency");
	if (!v)
		return 0;
	if (json_is_integer(v) && json_integer_value(v) > 0 && json_integer_value(v) <= 999)
		return (unsigned)json_integer_value(v);
	const char *s = json_string_value(v);
	if (s && strlen(s) == 3 && strspn(s, "0123456789") == 3)
		return (unsigned)strtoul(s, NULL, 10);
	jbad(c, "transaction_currency", "must be an ISO 4217 numeric code such as \"344\"");
	return 0;
}

/* Keys `upqr mpm decode --json` prints that describe rather than define a payload. */
static bool informational(const char *key)
{
	static const char *const keys[] = { "payload_format_indicator", "currency_alpha", "crc" };
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (!strcmp(key, keys[i]))
			return true;
	return false;
}

static void jroot_keys(jin *c, json_t *root)
{
	static const char *const keys[] = { "point_of_initiation", "merchant_accounts",
		"unionpay",
		"merchant_category_code", "transaction_currency", "amount", "amount_minor", "tip",
		"convenience_fee", "convenience_fee_minor", "convenience_percentage", "country_code",
		"merchant_name", "merchant_city", "postal_code", "additional_data", "language",
		"templates", "rfu" };
	const char *key;
	json_t *v;
	json_object_foreach(root, key, v) {
		bool known = informational(key);
		for (size_t i = 0; i < sizeof keys / sizeof keys[0] && !known; i++)
			known = !strcmp(key, keys[i]);
		if (!known)
			jbad(c, key, "unknown field");
	}
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
	const char *a = jstr(c, u, "acquirer_iin"), *f = jstr(c, u, "forwarding_iin"),
		*m = jstr(c, u, "merchant_id");
	for (size_t i = 0; i < in->account_count; i++) {
		const char *v = in->accounts[i].value;
		if (in->accounts[i].id == 15 && v && a && f && m && strlen(v) == 31 &&
				!strncmp(v, a, 8) && !strncmp(v + 8, f, 8) && !strcmp(v + 16, m))
			return;
	}
	in->unionpay_acquirer_iin = a;
	in->unionpay_forwarding_iin = f;
	in->unionpay_merchant_id = m;
}

static void fields_from_json(jin *c, json_t *root, upqr_mpm_fields_in *in)
{
	jroot_keys(c, root);
	jinitiation(c, root, in);
	in->account_count = jentries(c, root, "merchant_accounts", 0, &in->accounts);
	junionpay(c, json_object_get(root, "unionpay"), in);
	in->mcc = jstr(c, root, "merchant_category_code");
	in->currency = jcurrency(c, root);
	in->amount = jmoney(c, root, "amount", "amount_minor", in->currency, &in->has_amount);
	jtip(c, root, in);
	bool fee;
	in->convenience_fee = jmoney(c, root, "convenience_fee", "convenience_fee_minor",
		in->currency, &fee);
	in->convenience_percentage_bp = jpercent(c, jstr(c, root, "convenience_percentage"));
	in->country = jstr(c, root, "country_code");
	in->merchant_name = jstr(c, root, "merchant_name");
	in->merchant_city = jstr(c, root, "merchant_city");
	in->postal_code = jstr(c, root, "postal_code");
	jadditional(c, json_object_get(root, "additional_data"), in);
	jlanguage(c, json_object_get(root, "language"), in);
	in->template_count = jentries(c, root, "templates", 2, &in->templates);
	in->rfu_count = jvalues(c, json_object_get(root, "rfu"), "rfu", &in->rfu, -1);
}

static int encode_doc(json_t *doc, const upqr_mpm_profile *prof, upqr_diag_list *dl)
{
	jin *c = calloc(1, sizeof *c);
	if (!c)
		return CLI_IO;
	c->dl = dl;
	upqr_mpm_fields_in in;
	if (upqr_mpm_fields_in_init(&in, UPQR_MPM_FIELDS_IN_VERSION) != UPQR_OK) {
		free(c);
		return CLI_IO;
	}
	fields_from_json(c, doc, &in);
	int rc = CLI_INVALID;
	if (!c->bad) {
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
	free(c);
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
