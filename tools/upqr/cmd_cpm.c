/*
 * cmd_cpm.c - `upqr cpm decode|generate|verify`: consumer-presented codes.
 * PANs are printed masked (first 6 / last 4) unless --show-pan is given.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define DECODE_USAGE "upqr cpm decode [--json] [--show-pan] [--unionpay] [--aid HEX]... BASE64|-"
#define GENERATE_USAGE "upqr cpm generate --profile FILE.json --atc N [--un HEX] [--amount MINOR] " \
	"[--date YYYY-MM-DD] [--json]"
#define VERIFY_USAGE "upqr cpm verify [--profile FILE.json] [--imk HEX|@FILE [--mk-option A|B] | " \
	"--mk HEX|@FILE [--aes]] [--arc HEX] [--csu HEX [--pad HEX]] [--aid HEX]... [--replay-db FILE] " \
	"[--json] BASE64|-"

static const char hexd[] = "0123456789ABCDEF";

static void hex_str(char *out, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hexd[p[i] >> 4];
		out[2 * i + 1] = hexd[p[i] & 15];
	}
	out[2 * n] = 0;
}

/* Parses exactly `want` bytes of hex (want 0: 1..cap bytes); returns the byte count or 0. */
static size_t parse_hex(uint8_t *out, size_t cap, const char *s, size_t want)
{
	size_t n = strlen(s);
	if (n % 2 || n == 0 || n / 2 > cap || (want && n / 2 != want))
		return 0;
	for (size_t i = 0; i < n / 2; i++) {
		char b[3] = { s[2 * i], s[2 * i + 1], 0 }, *end;
		if (!strchr("0123456789abcdefABCDEF", b[0]) || !strchr("0123456789abcdefABCDEF", b[1]))
			return 0;
		out[i] = (uint8_t)strtoul(b, &end, 16);
	}
	return n / 2;
}

/* ---- decode ------------------------------------------------------------- */

typedef struct view {
	const upqr_cpm *cpm;
	const char *hex;   /* the whole payload as hex, PAN masked unless --show-pan */
} view;

static json_t *node_json(const view *v, uint16_t i)
{
	const upqr_bertlv_node *n = &v->cpm->nodes[i];
	char tag[9];
	snprintf(tag, sizeof tag, "%0*X", (int)n->tag_len * 2, (unsigned int)n->tag);
	json_t *o = json_pack("{s:s, s:I, s:s%}", "tag", tag, "length", (json_int_t)n->length,
			"value", v->hex + 2 * (n->offset + n->header_len), (size_t)(2 * n->length));
	if (n->constructed) {
		json_t *kids = json_array();
		for (uint16_t k = n->first_child; k != UPQR_BERTLV_NONE; k = v->cpm->nodes[k].next)
			json_array_append_new(kids, node_json(v, k));
		json_object_set_new(o, "children", kids);
		if (n->opaque)
			json_object_set_new(o, "opaque", json_true());
	}
	return o;
}

/* A tag's value in the payment data as hex (masked hex for '57'/'5A'), or NULL. */
static json_t *field_hex(const view *v, uint32_t tag)
{
	upqr_cpm_bytes b;
	if (upqr_cpm_find(&b, v->cpm, tag) != UPQR_OK)
		return NULL;
	size_t off = (size_t)(b.ptr - v->cpm->binary);
	return json_stringn(v->hex + 2 * off, 2 * b.len);
}

static void set_opt(json_t *o, const char *key, json_t *val)
{
	if (val)
		json_object_set_new(o, key, val);
}

static json_t *text_field(const upqr_cpm *cpm, uint32_t tag)
{
	upqr_cpm_bytes b;
	if (upqr_cpm_find(&b, cpm, tag) != UPQR_OK)
		return NULL;
	return cli_json_stringn((const char *)b.ptr, b.len);
}

static json_t *fields_json(const view *v, bool show_pan)
{
	const upqr_cpm *c = v->cpm;
	json_t *f = json_object();
	char aid[2 * UPQR_CPM_AID_MAX + 1], pan[UPQR_CPM_PAN_MAX + 1];
	upqr_cpm_bytes a;
	if (upqr_cpm_node_value(&a, c, c->aid_node) == UPQR_OK) {
		hex_str(aid, a.ptr, a.len);
		json_object_set_new(f, "aid", json_string(aid));
		json_object_set_new(f, "aid_name", c->aid_name ? json_string(c->aid_name) : json_null());
		json_object_set_new(f, "application_template", json_integer(c->selected + 1));
	}
	set_opt(f, "label", text_field(c, 0x50));
	size_t n = 0;
	if (c->pan_len) {
		if (show_pan && upqr_cpm_pan(pan, sizeof pan, &n, c) == UPQR_OK)
			json_object_set_new(f, "pan", json_string(pan));
		else
			json_object_set_new(f, "pan", json_string(c->pan_masked));
		json_object_set_new(f, "pan_luhn_ok", json_boolean(c->pan_luhn_ok));
		upqr_memzero(pan, sizeof pan);
	}
	if (c->expiry[0]) {
		json_object_set_new(f, "expiry", json_string(c->expiry));
		json_object_set_new(f, "service_code", json_string(c->service_code));
		json_object_set_new(f, "discretionary", json_string(c->discretionary));
	}
	if (c->psn >= 0)
		json_object_set_new(f, "psn", json_integer(c->psn));
	set_opt(f, "cardholder_name", text_field(c, 0x5F20));
	set_opt(f, "language", text_field(c, 0x5F2D));
	set_opt(f, "issuer_url", text_field(c, 0x5F50));
	set_opt(f, "app_version", field_hex(v, 0x9F08));
	set_opt(f, "token_requestor_id", field_hex(v, 0x9F19));
	set_opt(f, "par", text_field(c, 0x9F24));
	set_opt(f, "last4", field_hex(v, 0x9F25));
	static const struct { const char *name; uint32_t tag; } crypto[] = {
		{ "arqc", 0x9F26 }, { "cid", 0x9F27 }, { "iad", 0x9F10 }, { "atc", 0x9F36 }, { "aip", 0x82 },
		{ "un", 0x9F37 }, { "amount", 0x9F02 }, { "currency", 0x5F2A }, { "country", 0x9F1A },
		{ "date", 0x9A }, { "type", 0x9C },
	};
	json_t *cg = json_object();
	for (size_t i = 0; i < sizeof crypto / sizeof crypto[0]; i++)
		set_opt(cg, crypto[i].name, field_hex(v, crypto[i].tag));
	if (c->cvn) {
		const upqr_emv_cvn_info *ci = upqr_emv_cvn_lookup(c->cvn);
		char other[24];
		snprintf(other, sizeof other, "unknown-%03X", c->cvn);
		json_object_set_new(cg, "cvn", json_string(ci ? ci->name : other));
		json_object_set_new(cg, "cvn_supported", json_boolean(c->cvn_supported));
	}
	if (json_object_size(cg))
		json_object_set_new(f, "cryptogram", cg);
	else
		json_decref(cg);
	return f;
}

static json_t *decode_json(const view *v, bool show_pan, const upqr_diag_list *diags)
{
	const upqr_cpm *c = v->cpm;
	json_t *tree = json_array();
	if (c->binary_len && c->node_count)
		for (uint16_t i = 0; i != UPQR_BERTLV_NONE && i < c->node_count; i = c->nodes[i].next)
			json_array_append_new(tree, node_json(v, i));
	return json_pack("{s:b, s:o, s:o, s:o}", "valid", c->valid, "tlv", tree,
			"fields", fields_json(v, show_pan), "diagnostics", cli_diag_json(diags));
}

static void print_tree(const view *v, uint16_t i, int depth)
{
	for (; i != UPQR_BERTLV_NONE; i = v->cpm->nodes[i].next) {
		const upqr_bertlv_node *n = &v->cpm->nodes[i];
		printf("%*s%0*X (%zu)", 2 * depth + 2, "", (int)n->tag_len * 2, (unsigned int)n->tag, n->length);
		if (!n->constructed || n->first_child == UPQR_BERTLV_NONE)
			printf(" %.*s", (int)(2 * n->length), v->hex + 2 * (n->offset + n->header_len));
		printf("%s\n", n->opaque ? " [transparent]" : "");
		if (n->constructed)
			print_tree(v, n->first_child, depth + 1);
	}
}

static void decode_text(const view *v)
{
	const upqr_cpm *c = v->cpm;
	printf("%s CPM", c->valid ? "valid" : "invalid");
	if (c->version)
		printf(" (CPV%02u)", c->version);
	printf(", %zu application template%s\n", c->app_count, c->app_count == 1 ? "" : "s");
	upqr_cpm_bytes a;
	if (upqr_cpm_node_value(&a, c, c->aid_node) == UPQR_OK) {
		char aid[2 * UPQR_CPM_AID_MAX + 1];
		hex_str(aid, a.ptr, a.len);
		printf("selected: %s%s%s%s\n", aid, c->aid_name ? " (" : "", c->aid_name ? c->aid_name : "",
				c->aid_name ? ")" : "");
	}
	if (c->pan_len)
		printf("PAN: %s (Luhn %s)\n", c->pan_masked, c->pan_luhn_ok ? "ok" : "FAILS");
	if (c->expiry[0])
		printf("expiry: %s  service code: %s\n", c->expiry, c->service_code);
	if (c->cvn) {
		const upqr_emv_cvn_info *ci = upqr_emv_cvn_lookup(c->cvn);
		if (ci)
			printf("cryptogram version: %s (%s)\n", ci->name, c->cvn_supported ? "verifiable" : "not verifiable");
		else
			printf("cryptogram version: unknown-%03X (not verifiable)\n", c->cvn);
	}
	if (c->node_count)
		print_tree(v, 0, 0);
}

/* Parses --aid values into terminal AID entries (partial selection allowed). */
static int add_aid(upqr_cpm_aid *aids, uint8_t store[][UPQR_CPM_AID_MAX], size_t *n, const char *hex)
{
	size_t len = parse_hex(store[*n], UPQR_CPM_AID_MAX, hex, 0);
	if (len < 5)
		return cli_usage(DECODE_USAGE, "--aid needs 5..16 bytes of hex, got '%s'", hex);
	aids[*n].aid = store[*n];
	aids[*n].len = len;
	aids[*n].partial = 1;
	aids[*n].name = NULL;
	(*n)++;
	return CLI_OK;
}

/* The --aid lists hold one entry per argument at most: no fixed cap on the terminal's list. */
typedef struct decode_args {
	bool json, show_pan;
	upqr_cpm_options opts;
	upqr_cpm_aid *aids;
	uint8_t (*store)[UPQR_CPM_AID_MAX];
	const char *input;
} decode_args;

static bool decode_args_init(decode_args *a, int argc)
{
	size_t n = argc > 0 ? (size_t)argc : 1;
	a->aids = calloc(n, sizeof *a->aids);
	a->store = calloc(n, sizeof *a->store);
	if (upqr_cpm_options_init(&a->opts, UPQR_CPM_OPTIONS_VERSION) != UPQR_OK)
		return false;
	a->opts.aids = a->aids;
	return a->aids && a->store;
}

static void decode_args_free(decode_args *a)
{
	free(a->aids);
	free(a->store);
}

/* Options shared by decode and verify; returns 1 when argv[*i] was one. */
static int common_option(decode_args *a, int argc, char **argv, int *i, int *rc)
{
	const char *o = argv[*i];
	*rc = CLI_OK;
	if (!strcmp(o, "--json"))
		a->json = true;
	else if (!strcmp(o, "--show-pan"))
		a->show_pan = true;
	else if (!strcmp(o, "--unionpay"))
		a->opts.unionpay_aids = 1;
	else if (!strcmp(o, "--aid") && *i + 1 < argc)
		*rc = add_aid(a->aids, a->store, &a->opts.aid_count, argv[++*i]);
	else
		return 0;
	return 1;
}

/* Decodes input into *cpm; prints diagnostics (stderr) unless JSON. Returns the decode status. */
static int decode_input(upqr_cpm *cpm, const decode_args *a, upqr_diag_list *diags, bool *io_error)
{
	size_t len = 0;
	char *text = cli_read_arg(a->input, &len, true);
	*io_error = text == NULL;
	if (!text)
		return UPQR_EIO;
	int rc = upqr_cpm_decode(cpm, &a->opts, text, len, diags);
	if (rc != UPQR_OK)
		cli_hint_kind(a->json ? stderr : stdout, text, len, UPQR_SCAN_KIND_CPM);
	free(text);
	return rc;
}

/* The payload as hex, the PAN masked unless show_pan; cap >= 2 * UPQR_CPM_BINARY_MAX + 1. */
static void payload_hex(char *hex, size_t cap, const upqr_cpm *cpm, bool show_pan)
{
	size_t n;
	if (show_pan)
		for (size_t i = 0; i < cpm->binary_len; i++)
			snprintf(hex + 2 * i, 3, "%02X", cpm->binary[i]);
	else if (upqr_cpm_hex_masked(hex, cap, &n, cpm) != UPQR_OK)
		hex[0] = 0;
	hex[2 * cpm->binary_len] = 0;
}

json_t *cli_cpm_decode_json(const upqr_cpm *cpm, bool show_pan, const upqr_diag_list *diags)
{
	char *hex = malloc(2 * UPQR_CPM_BINARY_MAX + 1);
	if (!hex)
		return json_null();
	payload_hex(hex, 2 * UPQR_CPM_BINARY_MAX + 1, cpm, show_pan);
	view v = { cpm, hex };
	json_t *j = decode_json(&v, show_pan, diags);
	free(hex);
	return j;
}

static int cpm_decode(int argc, char **argv)
{
	decode_args *a = calloc(1, sizeof *a);
	upqr_cpm *cpm = malloc(sizeof *cpm);
	if (!a || !cpm || !decode_args_init(a, argc)) {
		if (a)
			decode_args_free(a);
		free(a);
		free(cpm);
		return CLI_IO;
	}
	int rc = CLI_OK;
	for (int i = 1; i < argc && rc == CLI_OK; i++) {
		if (common_option(a, argc, argv, &i, &rc))
			continue;
		if (argv[i][0] == '-' && argv[i][1] != 0)
			rc = cli_usage(DECODE_USAGE, "unknown option '%s'", argv[i]);
		else if (a->input)
			rc = cli_usage(DECODE_USAGE, "more than one payload");
		else
			a->input = argv[i];
	}
	if (rc == CLI_OK && !a->input)
		rc = cli_usage(DECODE_USAGE, "no payload given");
	if (rc != CLI_OK)
		goto out;
	upqr_diag items[32];
	upqr_diag_list diags;
	upqr_diag_list_init(&diags, items, 32);
	bool io = false;
	int st = decode_input(cpm, a, &diags, &io);
	if (io) {
		rc = CLI_IO;
		goto out;
	}
	char hex[2 * UPQR_CPM_BINARY_MAX + 1];
	payload_hex(hex, sizeof hex, cpm, a->show_pan);
	view v = { cpm, hex };
	if (a->json) {
		cli_json_print(decode_json(&v, a->show_pan, &diags));
	} else {
		decode_text(&v);
		cli_diag_print(stdout, &diags);
	}
	rc = cli_exit_for(st);
out:
	decode_args_free(a);
	free(a);
	free(cpm);
	return rc;
}

/* ---- keys --------------------------------------------------------------- */

/* A 16-byte key from hex or @FILE (hex, surrounding whitespace ignored). */
static int read_key(uint8_t key[16], const char *arg, const char *usage)
{
	char buf[80];
	const char *hex = arg;
	if (arg[0] == '@') {
		FILE *f = fopen(arg + 1, "r");
		if (!f) {
			fprintf(stderr, "upqr: %s: %s\n", arg + 1, strerror(errno));
			return CLI_IO;
		}
		size_t n = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		buf[n] = 0;
		while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
			buf[--n] = 0;
		hex = buf;
	}
	int rc = parse_hex(key, 16, hex, 16) == 16 ? CLI_OK : cli_usage(usage, "a key is 32 hex digits");
	upqr_memzero(buf, sizeof buf);
	return rc;
}

static int make_key(upqr_emv_key **out, upqr_emv_key_type type, const char *arg, const char *usage)
{
	uint8_t k[16];
	int rc = read_key(k, arg, usage);
	if (rc == CLI_OK && upqr_emv_key_new(out, type, k, 16) != UPQR_OK) {
		fprintf(stderr, "upqr: cannot set up the key (OpenSSL)\n");
		rc = CLI_IO;
	}
	upqr_memzero(k, sizeof k);
	return rc;
}

/* ---- generate ----------------------------------------------------------- */

/* The library reads the profile JSON; the doc owns its strings and key. */
typedef struct gen_ctx {
	upqr_cpm_profile_doc *doc;
	upqr_cpm_profile p;
	upqr_emv_key *mk;
} gen_ctx;

static int profile_error(const char *path, const char *what)
{
	fprintf(stderr, "upqr: %s: %s\n", path, what);
	return CLI_INVALID;
}

static int profile_key(gen_ctx *g, const char *path)
{
	int rc = upqr_cpm_profile_doc_key(&g->mk, g->doc);
	if (rc == UPQR_ENOTFOUND)
		return profile_error(path, "exactly one of \"mk\" and \"imk\" is needed");
	return rc == UPQR_OK ? CLI_OK : profile_error(path, "cannot set up the card key (check pan/psn)");
}

static int load_profile(gen_ctx *g, const char *path)
{
	size_t len;
	char *text = cli_read_file(path, &len);
	if (!text)
		return CLI_IO;
	upqr_diag items[4];
	upqr_diag_list dl;
	upqr_diag_list_init(&dl, items, 4);
	int rc = upqr_cpm_profile_parse(&g->doc, text, len, &dl);
	upqr_memzero(text, len); /* it may hold a key */
	free(text);
	if (rc == UPQR_ENOMEM) {
		fprintf(stderr, "upqr: out of memory\n");
		return CLI_IO;
	}
	for (size_t i = 0; i < dl.count; i++)
		fprintf(stderr, "upqr: %s: %s%s%s (byte %zu)\n", path, items[i].path,
			items[i].path[0] ? ": " : "", items[i].message, items[i].offset);
	if (rc != UPQR_OK)
		return CLI_INVALID;
	g->p = *upqr_cpm_profile_doc_profile(g->doc);
	return CLI_OK;
}

typedef struct gen_args {
	const char *profile, *un, *amount, *date;
	long atc;
	bool json;
} gen_args;

static int parse_gen_args(gen_args *a, int argc, char **argv)
{
	a->atc = -1;
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(o, "--json")) {
			a->json = true;
			continue;
		}
		if (!val)
			return cli_usage(GENERATE_USAGE, "'%s' needs a value or is unknown", o);
		i++;
		if (!strcmp(o, "--profile"))
			a->profile = val;
		else if (!strcmp(o, "--un"))
			a->un = val;
		else if (!strcmp(o, "--amount"))
			a->amount = val;
		else if (!strcmp(o, "--date"))
			a->date = val;
		else if (!strcmp(o, "--atc")) {
			char *end;
			errno = 0;
			a->atc = strtol(val, &end, 10);
			if (errno || *end || a->atc < 1 || a->atc > 65535)
				return cli_usage(GENERATE_USAGE, "--atc is the counter of this code, 1..65535");
		} else
			return cli_usage(GENERATE_USAGE, "unknown option '%s'", o);
	}
	if (!a->profile || a->atc < 0)
		return cli_usage(GENERATE_USAGE, "--profile and --atc are required");
	return CLI_OK;
}

static int txn_from_args(upqr_cpm_txn *t, const gen_args *a)
{
	int st = upqr_cpm_txn_init(t, UPQR_CPM_TXN_VERSION);
	if (st != UPQR_OK) {
		fprintf(stderr, "upqr: cpm generate: the library refused txn version %u: %s\n",
			UPQR_CPM_TXN_VERSION, upqr_strerror(st));
		return cli_exit_for(st);
	}
	if (a->un) {
		if (parse_hex(t->un, 4, a->un, 4) != 4)
			return cli_usage(GENERATE_USAGE, "--un is 8 hex digits");
		t->un_set = 1;
	}
	if (a->amount) {
		char *end;
		errno = 0;
		long long v = strtoll(a->amount, &end, 10);
		if (errno || *end || v < 0 || v > 999999999999LL || a->amount[0] == '-' || a->amount[0] == '+')
			return cli_usage(GENERATE_USAGE, "--amount is in minor units, 0..999999999999");
		t->amount = v;
	}
	if (a->date && (sscanf(a->date, "%4u-%2u-%2u", &t->year, &t->month, &t->day) != 3 || strlen(a->date) != 10))
		return cli_usage(GENERATE_USAGE, "--date is YYYY-MM-DD");
	return CLI_OK;
}

static int cpm_generate(int argc, char **argv)
{
	gen_args a = { 0 };
	upqr_cpm_txn t;
	int rc = parse_gen_args(&a, argc, argv);
	if (rc == CLI_OK)
		rc = txn_from_args(&t, &a);
	if (rc != CLI_OK)
		return rc;
	gen_ctx g;
	memset(&g, 0, sizeof g);
	rc = load_profile(&g, a.profile);
	if (rc == CLI_OK)
		rc = profile_key(&g, a.profile);
	char out[UPQR_CPM_GENERATED_MAX + 1];
	size_t n = 0;
	uint16_t atc = (uint16_t)(a.atc - 1);
	if (rc == CLI_OK) {
		int st = upqr_cpm_generate(out, sizeof out, &n, &atc, g.mk, &g.p, &t);
		if (st != UPQR_OK) {
			fprintf(stderr, "upqr: cannot generate: %s (%s)\n", upqr_strerror(st), upqr_emv_key_last_error(g.mk));
			rc = cli_exit_for(st);
		}
	}
	if (rc == CLI_OK && a.json)
		cli_json_print(json_pack("{s:s, s:i}", "payload", out, "atc", (int)atc));
	else if (rc == CLI_OK)
		puts(out);
	upqr_emv_key_free(g.mk);
	upqr_cpm_profile_doc_free(g.doc);
	return rc;
}

/* ---- verify ------------------------------------------------------------- */

typedef struct verify_args {
	decode_args d;
	const char *imk, *mk, *arc, *csu, *pad, *profile, *replay_db;
	upqr_cpm_key_role role;
	bool aes;
} verify_args;

static int parse_verify_args(verify_args *a, int argc, char **argv)
{
	a->role = UPQR_CPM_KEY_IMK; /* the option the code's CVN names; --mk-option insists on one */
	int rc = CLI_OK;
	for (int i = 1; i < argc && rc == CLI_OK; i++) {
		const char *o = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (common_option(&a->d, argc, argv, &i, &rc))
			continue;
		if (!strcmp(o, "--aes")) {
			a->aes = true;
		} else if (o[0] == '-' && o[1] == '-') {
			if (!val)
				return cli_usage(VERIFY_USAGE, "'%s' needs a value or is unknown", o);
			i++;
			if (!strcmp(o, "--imk"))
				a->imk = val;
			else if (!strcmp(o, "--mk"))
				a->mk = val;
			else if (!strcmp(o, "--profile"))
				a->profile = val;
			else if (!strcmp(o, "--replay-db"))
				a->replay_db = val;
			else if (!strcmp(o, "--arc"))
				a->arc = val;
			else if (!strcmp(o, "--csu"))
				a->csu = val;
			else if (!strcmp(o, "--pad"))
				a->pad = val;
			else if (!strcmp(o, "--mk-option") && (!strcmp(val, "A") || !strcmp(val, "B")))
				a->role = val[0] == 'A' ? UPQR_CPM_KEY_IMK_OPTION_A : UPQR_CPM_KEY_IMK_OPTION_B;
			else
				return cli_usage(VERIFY_USAGE, "unknown option or value '%s %s'", o, val);
		} else if (a->d.input) {
			return cli_usage(VERIFY_USAGE, "more than one payload");
		} else {
			a->d.input = o;
		}
	}
	if (rc == CLI_OK && (!a->d.input || (a->imk && a->mk) || (!a->imk && !a->mk && !a->profile) ||
			(a->aes && a->imk) || (a->pad && !a->csu)))
		rc = cli_usage(VERIFY_USAGE, "one payload and one of --imk/--mk (or a --profile holding the key)"
				" are needed (--aes goes with --mk, --pad with --csu)");
	return rc;
}

static const char *verdict(int st)
{
	switch (st) {
	case UPQR_OK: return "match";
	case UPQR_EMISMATCH:
	case UPQR_ERECORD: return "mismatch";
	case UPQR_EUNSUPPORTED: return "unsupported";
	case UPQR_EREPLAY: return "replay";
	default: return "invalid";
	}
}

/* ARPCs on request; returns false on a usage or crypto problem (already reported). */
static bool arpcs(json_t *out, const verify_args *a, upqr_emv_key *key, const upqr_cpm *cpm)
{
	uint8_t arc[2], csu[4], pad[8], arpc[8];
	size_t pn = 0, n = 0;
	char hex[17];
	upqr_cpm_key_role role = a->imk ? a->role : UPQR_CPM_KEY_ICC_MK;
	if (a->arc) {
		int st = parse_hex(arc, 2, a->arc, 2) != 2 ? UPQR_EINVAL
				: upqr_cpm_arpc(arpc, &n, key, role, cpm, 1, arc, NULL, 0);
		if (st != UPQR_OK)
			return fprintf(stderr, "upqr: ARPC method 1: %s\n", upqr_strerror(st)), false;
		hex_str(hex, arpc, n);
		json_object_set_new(out, "arpc1", json_string(hex));
	}
	if (a->csu) {
		int st = parse_hex(csu, 4, a->csu, 4) != 4 || (a->pad && !(pn = parse_hex(pad, 8, a->pad, 0)))
				? UPQR_EINVAL : upqr_cpm_arpc(arpc, &n, key, role, cpm, 2, csu, pad, pn);
		if (st != UPQR_OK)
			return fprintf(stderr, "upqr: ARPC method 2: %s\n", upqr_strerror(st)), false;
		hex_str(hex, arpc, n);
		json_object_set_new(out, "arpc2", json_string(hex));
	}
	return true;
}

/*
 * The key and, with --profile, the token record. Without --imk/--mk the
 * record's own key is used (as for generate: the card MK). A profile that
 * cannot be used is a usage error: it says nothing about the code.
 */
static int verify_key(upqr_emv_key **key, gen_ctx *g, const verify_args *a)
{
	if (a->profile) {
		int rc = load_profile(g, a->profile);
		if (rc == CLI_OK && !a->imk && !a->mk)
			rc = profile_key(g, a->profile);
		if (rc != CLI_OK)
			return rc == CLI_IO ? CLI_IO : CLI_USAGE;
		if (!a->imk && !a->mk) {
			*key = g->mk;
			g->mk = NULL;
			return CLI_OK;
		}
	}
	bool aes = a->aes || (a->profile && a->mk && g->p.cvn == UPQR_CPM_CVN_AES);
	return make_key(key, aes ? UPQR_EMV_KEY_AES128 : UPQR_EMV_KEY_TDES, a->mk ? a->mk : a->imk, VERIFY_USAGE);
}

/* Verdict fields: which layer failed and, for the record, the element. */
static void mismatch_json(json_t *out, int st, const upqr_diag_list *diags)
{
	const upqr_diag *d = upqr_diag_list_find(diags, "record_mismatch");
	if (st == UPQR_EMISMATCH)
		json_object_set_new(out, "failed", json_string("arqc"));
	if (st == UPQR_ERECORD) {
		json_object_set_new(out, "failed", json_string("record"));
		json_object_set_new(out, "element", json_string(d ? d->path : ""));
	}
}

static void verify_print(int st, json_t *out, upqr_emv_key *key, const verify_args *a, const upqr_diag_list *diags)
{
	const char *why = upqr_emv_key_last_error(key);
	if (a->d.json) {
		json_object_set_new(out, "diagnostics", cli_diag_json(diags));
		if (st != UPQR_OK && st != UPQR_EINVAL)
			json_object_set_new(out, "reason", json_string(why));
		cli_json_print(out);
		return;
	}
	printf("%s%s%s\n", verdict(st), st != UPQR_OK && why[0] ? ": " : "", st != UPQR_OK ? why : "");
	const char *k;
	json_t *v;
	json_object_foreach(out, k, v)
		if (!strncmp(k, "arpc", 4))
			printf("%s %s\n", k, json_string_value(v));
	cli_diag_print(stdout, diags);
	json_decref(out);
}

/* The persistent ATC guard of --replay-db; *rc is the exit code when it cannot be opened. */
static upqr_replay_db *open_replay(const verify_args *a, int *rc)
{
	upqr_replay_options o = UPQR_REPLAY_OPTIONS_INIT;
	o.path = a->replay_db;
	upqr_replay_db *db = NULL;
	char why[256];
	int st = upqr_replay_db_open(&db, &o, why, sizeof why);
	if (st != UPQR_OK) {
		fprintf(stderr, "upqr: cpm verify: --replay-db %s: %s: %s\n", a->replay_db, upqr_status_name(st),
			why[0] ? why : upqr_strerror(st));
		*rc = st == UPQR_EIO || st == UPQR_ENOMEM ? CLI_IO : CLI_INVALID;
	}
	return db;
}

/* A matching code is accepted once: its ATC must be new for its card, across runs. */
static int replay_guard(upqr_replay_db *db, const upqr_cpm *cpm)
{
	int st = upqr_replay_db_check_and_record(db, cpm);
	if (st != UPQR_OK)
		fprintf(stderr, "upqr: cpm verify: %s: %s\n", st == UPQR_EREPLAY ? "replay" : "replay database",
			upqr_replay_db_last_error(db));
	return st;
}

static int run_verify(verify_args *a, upqr_cpm *cpm)
{
	upqr_diag items[16];
	upqr_diag_list diags;
	upqr_diag_list_init(&diags, items, 16);
	bool io = false;
	int st = decode_input(cpm, &a->d, &diags, &io);
	if (io)
		return CLI_IO;
	int rc = CLI_OK;
	upqr_replay_db *db = a->replay_db ? open_replay(a, &rc) : NULL;
	if (rc != CLI_OK)
		return rc;
	upqr_emv_key *key = NULL;
	gen_ctx g;
	memset(&g, 0, sizeof g);
	rc = verify_key(&key, &g, a);
	if (rc == CLI_OK) {
		upqr_cpm_cryptogram info;
		memset(&info, 0, sizeof info);
		upqr_cpm_key_role role = a->imk ? a->role : UPQR_CPM_KEY_ICC_MK;
		if (st == UPQR_OK)
			st = a->profile ? upqr_cpm_verify_token(&info, key, role, &g.p, cpm, &diags)
				: upqr_cpm_verify(&info, key, role, cpm);
		json_t *out = json_pack("{s:s, s:s}", "result", verdict(st), "pan", cpm->pan_masked);
		mismatch_json(out, st, &diags);
		if (st == UPQR_OK || st == UPQR_EMISMATCH)
			json_object_set_new(out, "atc", json_integer(info.atc));
		if (st == UPQR_OK && db)
			st = replay_guard(db, cpm);
		if (st == UPQR_OK && !arpcs(out, a, key, cpm))
			st = UPQR_EINVAL;
		json_object_set_new(out, "result", json_string(verdict(st)));
		verify_print(st, out, key, a, &diags);
		rc = cli_exit_for(st);
	}
	upqr_replay_db_free(db);
	upqr_emv_key_free(key);
	upqr_emv_key_free(g.mk);
	upqr_cpm_profile_doc_free(g.doc);
	return rc;
}

static int cpm_verify(int argc, char **argv)
{
	verify_args *a = calloc(1, sizeof *a);
	upqr_cpm *cpm = malloc(sizeof *cpm);
	int rc = a && cpm && decode_args_init(&a->d, argc) ? CLI_OK : CLI_IO;
	if (rc == CLI_OK)
		rc = parse_verify_args(a, argc, argv);
	if (rc == CLI_OK)
		rc = run_verify(a, cpm);
	if (a)
		decode_args_free(&a->d);
	free(a);
	free(cpm);
	return rc;
}

int cli_cmd_cpm(int argc, char **argv)
{
	static const char usage[] = "upqr cpm decode|generate|verify ...\n  " DECODE_USAGE "\n  "
		GENERATE_USAGE "\n  " VERIFY_USAGE;
	if (argc < 2)
		return cli_usage(usage, "a subcommand is needed");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		printf("usage: %s\n", usage);
		return CLI_OK;
	}
	if (!strcmp(argv[1], "decode"))
		return cpm_decode(argc - 1, argv + 1);
	if (!strcmp(argv[1], "generate"))
		return cpm_generate(argc - 1, argv + 1);
	if (!strcmp(argv[1], "verify"))
		return cpm_verify(argc - 1, argv + 1);
	return cli_usage(usage, "unknown subcommand '%s'", argv[1]);
}
