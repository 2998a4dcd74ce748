/* cmd_scan.c - `upqr scan [--json] IMAGE...`: QR payment codes out of PNG/JPEG files. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char SCAN_USAGE[] =
	"upqr scan [--json] [--profile emvco|unionpay] [--show-pan] IMAGE...  (IMAGE - reads stdin)";

typedef struct scan_cli {
	bool json;
	bool show_pan; /* print consumer codes (they carry the card number) in full */
	const upqr_mpm_profile *profile;
	bool io_error;
	bool valid_found;
} scan_cli;

/* Diagnostics kept for the "decoded" object, as many as `upqr mpm decode` keeps. */
#define MPM_DIAG_CAP 256

/* The MPM payload decoded in full, as `upqr mpm decode --json` shows it. */
static json_t *mpm_json(const upqr_scan_symbol *sym, const upqr_mpm_profile *profile)
{
	upqr_mpm_payload *p = malloc(sizeof *p);
	upqr_diag *items = calloc(MPM_DIAG_CAP, sizeof *items);
	json_t *j = NULL;
	upqr_diag_list dl;
	upqr_diag_list_init(&dl, items, items ? MPM_DIAG_CAP : 0);
	if (p && upqr_scan_symbol_mpm(p, sym, profile, &dl) != UPQR_EINVAL)
		j = cli_mpm_decode_json(p, &dl);
	free(items);
	free(p);
	return j ? j : json_null();
}

/* The CPM decoded in full, as `upqr cpm decode --json` shows it (PAN masked by default). */
static json_t *cpm_json(const upqr_scan_symbol *sym, bool show_pan)
{
	upqr_cpm *c = malloc(sizeof *c);
	upqr_diag items[32];
	upqr_diag_list dl;
	upqr_diag_list_init(&dl, items, 32);
	json_t *j = NULL;
	if (c && upqr_scan_symbol_cpm(c, sym, NULL, &dl) != UPQR_EINVAL)
		j = cli_cpm_decode_json(c, show_pan, &dl);
	free(c);
	return j ? j : json_null();
}

/* The "decoded" object: the parts a kind has (null when there is nothing to add). */
static json_t *decoded_json(const upqr_scan_symbol *sym, const scan_cli *cli)
{
	if (sym->kind == UPQR_SCAN_KIND_UNIONPAY_URL && sym->acquirer)
		return json_pack("{s:s%, s:s%}", "acquirer", sym->acquirer, sym->acquirer_len,
			"id", sym->id, sym->id_len);
	if (sym->kind == UPQR_SCAN_KIND_MPM)
		return mpm_json(sym, cli->profile);
	if (sym->kind == UPQR_SCAN_KIND_CPM)
		return cpm_json(sym, cli->show_pan);
	return json_null();
}

/* A consumer code's text is its card number in base64: shown only on request. */
static bool hide_text(const upqr_scan_symbol *sym, const scan_cli *cli)
{
	return sym->kind == UPQR_SCAN_KIND_CPM && !cli->show_pan;
}

static json_t *symbol_json(const upqr_scan_symbol *sym, const scan_cli *cli)
{
	json_t *corners = json_array();
	for (size_t i = 0; i < sym->corner_count; i++)
		json_array_append_new(corners, json_pack("[i, i]", sym->corners[i].x, sym->corners[i].y));
	json_t *o = json_object();
	json_object_set_new(o, "text", hide_text(sym, cli) ? json_null() :
		cli_json_stringn((const char *)sym->data, sym->len));
	json_object_set_new(o, "bytes", json_integer((json_int_t)sym->len));
	json_object_set_new(o, "kind", json_string(upqr_scan_kind_name(sym->kind)));
	json_object_set_new(o, "valid", json_boolean(sym->valid));
	json_object_set_new(o, "status", json_string(upqr_status_name(sym->status)));
	json_object_set_new(o, "diagnostics", cli_diag_json(&sym->diags));
	json_object_set_new(o, "decoded", decoded_json(sym, cli));
	json_object_set_new(o, "corners", corners);
	json_object_set_new(o, "pass", json_string(sym->pass));
	return o;
}

/* One line of what a merchant code asks for: who, where, how much. */
static void print_mpm_summary(const upqr_scan_symbol *sym, const upqr_mpm_profile *profile)
{
	upqr_mpm_payload *p = malloc(sizeof *p);
	if (!p)
		return;
	if (upqr_scan_symbol_mpm(p, sym, profile, NULL) != UPQR_EINVAL) {
		const upqr_mpm_fields *f = &p->fields;
		printf("    merchant ");
		cli_print_text(stdout, f->merchant_name.ptr, f->merchant_name.len);
		printf(", ");
		cli_print_text(stdout, f->merchant_city.ptr, f->merchant_city.len);
		if (f->amount.ptr) {
			printf("; amount ");
			cli_print_text(stdout, f->amount.ptr, f->amount.len);
			printf(" %s", f->currency_alpha ? f->currency_alpha : "");
		}
		else
			printf("; amount entered by the payer");
		putchar('\n');
	}
	free(p);
}

/* The card behind a consumer code, masked: AID name and first-6/last-4 PAN. */
static void print_cpm_summary(const upqr_scan_symbol *sym)
{
	upqr_cpm *c = malloc(sizeof *c);
	if (c && upqr_scan_symbol_cpm(c, sym, NULL, NULL) != UPQR_EINVAL && c->pan_len) {
		printf("    ");
		if (c->aid_name)
			printf("%s", c->aid_name);
		else {
			upqr_cpm_bytes a;
			if (upqr_cpm_node_value(&a, c, c->aid_node) != UPQR_OK)
				a.len = 0; /* absent: an empty view */
			for (size_t i = 0; i < a.len; i++)
				printf("%s%02X", i ? "" : "AID ", a.ptr[i]);
		}
		printf(", card %s\n", c->pan_masked);
	}
	free(c);
}

static void print_symbol(const upqr_scan_symbol *sym, const scan_cli *cli)
{
	printf("  %s %s", upqr_scan_kind_name(sym->kind),
		sym->kind == UPQR_SCAN_KIND_OTHER ? "-" : sym->valid ? "valid" : "INVALID");
	if (sym->kind != UPQR_SCAN_KIND_OTHER && !sym->valid)
		printf(" (%s)", upqr_status_name(sym->status));
	printf(": ");
	if (hide_text(sym, cli))
		printf("(%zu characters, not shown: they carry the card number; --show-pan shows them)",
			sym->len);
	else
		cli_print_text(stdout, (const char *)sym->data, sym->len);
	putchar('\n');
	if (sym->kind == UPQR_SCAN_KIND_UNIONPAY_URL && sym->acquirer)
	{
		printf("    acquirer ");
		cli_print_text(stdout, sym->acquirer, sym->acquirer_len);
		printf(", code id ");
		cli_print_text(stdout, sym->id, sym->id_len);
		putchar('\n');
	}
	if (sym->kind == UPQR_SCAN_KIND_MPM && sym->valid)
		print_mpm_summary(sym, cli->profile);
	if (sym->kind == UPQR_SCAN_KIND_CPM)
		print_cpm_summary(sym);
	for (size_t i = 0; i < sym->diags.count; i++) {
		const upqr_diag *d = &sym->diags.items[i];
		printf("    %s: %s at offset %zu%s%s: ", upqr_severity_name(d->severity), d->code,
			d->offset, d->path[0] ? ", ID " : "", d->path);
		cli_print_text(stdout, d->message, strlen(d->message));
		putchar('\n');
	}
}

/* Scans one file; returns its JSON object (json mode) and updates the tallies. */
static json_t *scan_one(upqr_scanner *s, scan_cli *cli, const char *path)
{
	bool json = cli->json;
	size_t count = 0;
	int rc;
	if (strcmp(path, "-") == 0) {
		size_t len = 0;
		char *data = cli_read_file("-", &len);
		rc = data ? upqr_scan_image(&count, s, (const uint8_t *)data, len) : UPQR_EIO;
		free(data);
	} else {
		rc = upqr_scan_file(&count, s, path);
	}
	json_t *o = json ? json_pack("{s:s}", "file", path) : NULL;
	bool failed = rc != UPQR_OK && rc != UPQR_ENOSYMBOL;
	if (failed) {
		cli->io_error = true;
		fprintf(stderr, "upqr: %s: %s (%s)\n", path,
			rc == UPQR_EIO && !strcmp(path, "-") ? "cannot read" : upqr_scanner_last_error(s),
			upqr_status_name(rc));
		if (o)
			json_object_set_new(o, "error", json_string(upqr_scanner_last_error(s)));
	}
	json_t *arr = json_array();
	if (!json && !failed)
		printf("%s: %zu symbol%s\n", path, count, count == 1 ? "" : "s");
	for (size_t i = 0; i < count; i++) {
		const upqr_scan_symbol *sym = upqr_scanner_symbol(s, i);
		cli->valid_found = cli->valid_found || sym->valid;
		if (json)
			json_array_append_new(arr, symbol_json(sym, cli));
		else
			print_symbol(sym, cli);
	}
	if (o)
		json_object_set_new(o, "symbols", arr);
	else
		json_decref(arr);
	return o;
}

int cli_cmd_scan(int argc, char **argv)
{
	scan_cli cli = { .profile = upqr_mpm_profile_emvco() };
	int first = 1;
	for (; first < argc && argv[first][0] == '-' && argv[first][1]; first++) {
		/* "-" alone is stdin, an image argument. */
		if (strcmp(argv[first], "--json") == 0) {
			cli.json = true;
		} else if (strcmp(argv[first], "--show-pan") == 0) {
			cli.show_pan = true;
		} else if (strcmp(argv[first], "--profile") == 0) {
			if (first + 1 >= argc || !(cli.profile = upqr_mpm_profile_find(argv[first + 1])))
				return cli_usage(SCAN_USAGE, "--profile takes emvco or unionpay");
			first++;
		} else if (strcmp(argv[first], "--") == 0) {
			first++;
			break;
		} else {
			return cli_usage(SCAN_USAGE, "unknown option '%s'", argv[first]);
		}
	}
	if (first >= argc)
		return cli_usage(SCAN_USAGE, "no image given");
	upqr_scan_options opts = UPQR_SCAN_OPTIONS_INIT;
	opts.mpm_profile = cli.profile;
	upqr_scanner *s = NULL;
	if (upqr_scanner_new(&s, &opts) != UPQR_OK) {
		fprintf(stderr, "upqr: out of memory\n");
		return CLI_IO;
	}
	bool many = argc - first > 1;
	json_t *all = cli.json && many ? json_array() : NULL;
	for (int i = first; i < argc; i++) {
		json_t *o = scan_one(s, &cli, argv[i]);
		if (all)
			json_array_append_new(all, o);
		else if (o)
			cli_json_print(o);
	}
	if (all)
		cli_json_print(all);
	upqr_scanner_free(s);
	return cli.io_error ? CLI_IO : cli.valid_found ? CLI_OK : CLI_INVALID;
}
