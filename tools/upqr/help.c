/*
 * help.c - the one table of upqr's commands, subcommands and options.
 *
 * main.c dispatches from it, `--help` and `upqr help` print from it, and
 * every option is checked against it before a command sees its arguments,
 * so "unknown option" and "needs a value" read the same in every command.
 * The bash completion asks the program itself (`upqr help --list`,
 * `upqr help --options CMD [SUB]`), and tests/cli/test_help.sh checks the
 * man page against it: a new option is added here and nowhere else.
 */
#include <string.h>

#include "cli.h"

#define HELP_OPT { "--help", "-h", NULL, "show this help and exit" }
#define END_OPT { NULL, NULL, NULL, NULL }

static const cli_option no_opts[] = { HELP_OPT, END_OPT };

static const cli_option render_opts[] = {
	{ "--format", NULL, "png|svg|txt", "image format; default: from the -o extension, else txt" },
	{ "--output", "-o", "FILE", "write FILE atomically (.png, .svg or .txt, or say --format)" },
	{ "--force", NULL, NULL, "replace an existing FILE (its permissions are kept)" },
	{ "--ecc", NULL, "L|M|Q|H", "error-correction level, default M" },
	{ "--scale", NULL, "N", "pixels per module (png, svg), 1..64, default 8" },
	{ "--margin", NULL, "N", "quiet zone in modules, 4..64, default 4" },
	{ "--theme", NULL, "light|dark", "txt colours: light = dark on light (default)" },
	{ "--png-depth", NULL, "8|1", "PNG bit depth, default 8" },
	HELP_OPT, END_OPT
};

static const cli_option mpm_decode_opts[] = {
	{ "--profile", NULL, "emvco|unionpay", "rule set to check against, default emvco" },
	{ "--json", NULL, NULL, "print {valid, objects, fields, diagnostics} as JSON" },
	HELP_OPT, END_OPT
};

static const cli_option mpm_encode_opts[] = {
	{ "--profile", NULL, "emvco|unionpay", "rule set to check against, default emvco" },
	HELP_OPT, END_OPT
};

static const cli_option mpm_amount_opts[] = {
	{ "--profile", NULL, "emvco|unionpay", "rule set to check against, default emvco" },
	{ "--amount", NULL, "MINOR", "the new amount in minor units (required)" },
	HELP_OPT, END_OPT
};

static const cli_option sign_opts[] = {
	{ "--pfx", NULL, "FILE", "PKCS#12 key store of the merchant (signMethod 01)" },
	{ "--password-file", NULL, "FILE", "the key store password, first line of FILE" },
	{ "--key", NULL, "FILE", "PEM private key (with --cert, instead of --pfx)" },
	{ "--cert", NULL, "FILE", "PEM certificate of --key" },
	{ "--version", NULL, "5.1.0|5.0.0", "ACP version, default 5.1.0" },
	{ "--sign-method", NULL, "01|11|12", "01 RSA certificate (default), 11 SHA-256, 12 SM3" },
	{ "--secure-key-file", NULL, "FILE", "the secure key for signMethod 11 and 12" },
	HELP_OPT, END_OPT
};

static const cli_option verify_opts[] = {
	{ "--root", NULL, "FILE", "UnionPay root certificate (PEM), with --middle" },
	{ "--middle", NULL, "FILE", "UnionPay middle certificate (PEM), with --root" },
	{ "--cert-dir", NULL, "DIR", "5.0.0 verification certificates by certId (chained to --root)" },
	{ "--accept-versions", NULL, "LIST", "5.1.0,5.0.0: message versions to accept (default 5.1.0 with --root)" },
	{ "--secure-key-file", NULL, "FILE", "the secure key for signMethod 11 and 12" },
	{ "--at", NULL, "TIME", "check certificates at TIME (@UNIX or YYYY-MM-DDThh:mm:ssZ)" },
	{ "--test-env", NULL, NULL, "accept UnionPay's test-environment certificates" },
	{ "--cert-dir-unchecked", NULL, NULL, "test environment only: trust --cert-dir unchained" },
	{ "--format", NULL, "form|response", "the message is a form post (default) or a response" },
	{ "--json", NULL, NULL, "print {verified, status, error, fields} as JSON" },
	HELP_OPT, END_OPT
};

static const cli_option cpm_decode_opts[] = {
	{ "--json", NULL, NULL, "print {valid, tlv, fields, diagnostics} as JSON" },
	{ "--show-pan", NULL, NULL, "show the card number in full (masked by default)" },
	{ "--unionpay", NULL, NULL, "know UnionPay's AIDs by name" },
	{ "--aid", NULL, "HEX", "a terminal AID (5..16 bytes), repeatable" },
	HELP_OPT, END_OPT
};

static const cli_option cpm_generate_opts[] = {
	{ "--profile", NULL, "FILE", "token profile (JSON, docs/cpm.md), holds the card key" },
	{ "--atc", NULL, "N", "application transaction counter of this code, 1..65535" },
	{ "--un", NULL, "HEX", "unpredictable number, 8 hex digits (default random)" },
	{ "--amount", NULL, "MINOR", "amount in minor units, 0..999999999999" },
	{ "--date", NULL, "YYYY-MM-DD", "transaction date, default today" },
	{ "--json", NULL, NULL, "print {payload, atc} as JSON" },
	HELP_OPT, END_OPT
};

static const cli_option cpm_verify_opts[] = {
	{ "--profile", NULL, "FILE", "token profile (JSON): checks the code against the record" },
	{ "--imk", NULL, "HEX|@FILE", "issuer master key (the card key is derived)" },
	{ "--mk-option", NULL, "A|B", "card key derivation from --imk, default the code's CVN's (A for upqr's own)" },
	{ "--mk", NULL, "HEX|@FILE", "the card's own master key" },
	{ "--aes", NULL, NULL, "--mk is an AES-128 key" },
	{ "--arc", NULL, "HEX", "also compute ARPC method 1 with this response code (if the CVN uses it)" },
	{ "--csu", NULL, "HEX", "also compute ARPC method 2 with this card status update (if the CVN uses it)" },
	{ "--pad", NULL, "HEX", "proprietary authentication data for ARPC method 2" },
	{ "--aid", NULL, "HEX", "a terminal AID (5..16 bytes), repeatable" },
	{ "--unionpay", NULL, NULL, "know UnionPay's AIDs by name" },
	{ "--show-pan", NULL, NULL, "show the card number in full (masked by default)" },
	{ "--replay-db", NULL, "FILE", "accept each code once, across runs (SQLite file)" },
	{ "--json", NULL, NULL, "print {result, pan, atc, diagnostics, ...} as JSON" },
	HELP_OPT, END_OPT
};

static const cli_option scan_opts[] = {
	{ "--json", NULL, NULL, "print one object per image (an array for several)" },
	{ "--profile", NULL, "emvco|unionpay", "MPM rule set, default emvco" },
	{ "--show-pan", NULL, NULL, "show consumer codes (they carry the card number) in full" },
	HELP_OPT, END_OPT
};

static const cli_option acq_common_opts[] = {
	{ "--config", NULL, "FILE", "INI file keyed like acp_sdk.properties (docs/acquirer.md)" },
	{ "--journal", NULL, "URL|PATH", "the order journal: a SQLite file or postgresql://...; replaces upqr.journal" },
	{ "--json", NULL, NULL, "print the result as JSON" },
	HELP_OPT, END_OPT
};

static const cli_option acq_apply_opts[] = {
	{ "--config", NULL, "FILE", "INI file keyed like acp_sdk.properties (docs/acquirer.md)" },
	{ "--journal", NULL, "URL|PATH", "the order journal: a SQLite file or postgresql://...; replaces upqr.journal" },
	{ "--amount", NULL, "FEN", "amount in fen; without it the payer enters the amount" },
	{ "--order-id", NULL, "ID", "orderId (8..32 letters and digits), default a new one" },
	{ "--txn-time", NULL, "T", "txnTime YYYYMMDDhhmmss (Beijing), default now" },
	{ "--json", NULL, NULL, "print the result as JSON" },
	HELP_OPT, END_OPT
};

static const cli_option acq_pay_opts[] = {
	{ "--config", NULL, "FILE", "INI file keyed like acp_sdk.properties (docs/acquirer.md)" },
	{ "--journal", NULL, "URL|PATH", "the order journal: a SQLite file or postgresql://...; replaces upqr.journal" },
	{ "--amount", NULL, "FEN", "amount in fen (required)" },
	{ "--qr-no", NULL, "CODE", "the consumer's 19-digit payment code (starts with 62)" },
	{ "--cpm", NULL, "PAYLOAD", "or: the consumer's EMV CPM code (base64)" },
	{ "--order-id", NULL, "ID", "orderId (8..32 letters and digits), default a new one" },
	{ "--txn-time", NULL, "T", "txnTime YYYYMMDDhhmmss (Beijing), default now" },
	{ "--json", NULL, NULL, "print the result as JSON" },
	HELP_OPT, END_OPT
};

static const cli_option acq_ref_opts[] = {
	{ "--config", NULL, "FILE", "INI file keyed like acp_sdk.properties (docs/acquirer.md)" },
	{ "--journal", NULL, "URL|PATH", "the order journal: a SQLite file or postgresql://...; replaces upqr.journal" },
	{ "--order-id", NULL, "ID", "orderId of the order" },
	{ "--txn-time", NULL, "T", "its txnTime YYYYMMDDhhmmss" },
	{ "--resolve", NULL, NULL, "query: run the query loop until the order is final" },
	{ "--json", NULL, NULL, "print the result as JSON" },
	HELP_OPT, END_OPT
};

static const cli_option acq_reverse_opts[] = {
	{ "--config", NULL, "FILE", "INI file keyed like acp_sdk.properties (docs/acquirer.md)" },
	{ "--journal", NULL, "URL|PATH", "the order journal: a SQLite file or postgresql://...; replaces upqr.journal" },
	{ "--order-id", NULL, "ID", "orderId of the payment to reverse" },
	{ "--txn-time", NULL, "T", "its txnTime YYYYMMDDhhmmss" },
	{ "--json", NULL, NULL, "print the result as JSON" },
	HELP_OPT, END_OPT
};

static const cli_option acq_undo_opts[] = {
	{ "--config", NULL, "FILE", "INI file keyed like acp_sdk.properties (docs/acquirer.md)" },
	{ "--journal", NULL, "URL|PATH", "the order journal: a SQLite file or postgresql://...; replaces upqr.journal" },
	{ "--amount", NULL, "FEN", "amount in fen (void: the original amount)" },
	{ "--orig-order-id", NULL, "ID", "orderId of the original payment" },
	{ "--orig-txn-time", NULL, "T", "its txnTime (default: from the journal)" },
	{ "--orig-query-id", NULL, "Q", "its queryId (default: from the journal)" },
	{ "--order-id", NULL, "ID", "this operation's own orderId, default a new one" },
	{ "--txn-time", NULL, "T", "this operation's txnTime, default now" },
	{ "--json", NULL, NULL, "print the result as JSON" },
	HELP_OPT, END_OPT
};

static const cli_option acq_notify_opts[] = {
	{ "--config", NULL, "FILE", "INI file keyed like acp_sdk.properties (docs/acquirer.md)" },
	{ "--journal", NULL, "URL|PATH", "the order journal: a SQLite file or postgresql://...; replaces upqr.journal" },
	{ "--url-query", NULL, "QS", "the notification URL's own query string (discarded)" },
	{ "--json", NULL, NULL, "print the result as JSON" },
	HELP_OPT, END_OPT
};

#define ACQ_EXIT "exit: 0 success, 1 failed or refused, 2 usage, 3 I/O or network (nothing sent),\n" \
	"4 outcome still unknown after the query loop. Card numbers are printed masked."

#define INPUT_NOTE "PAYLOAD is the text itself, - for stdin or @FILE for a file (one trailing newline removed)."
#define MPM_EXAMPLE "000201010211153112345678123456781234567890123455204581253031565802CN" \
	"5906Dragon6007Beijing630461EF"

static const cli_command commands[] = {
	{ "version", NULL, cli_cmd_version, "print the upqr version", "", no_opts, NULL,
		"upqr version" },
	{ "render", NULL, cli_cmd_render, "draw a payload as a QR code (terminal, PNG, SVG)",
		"[OPTIONS] PAYLOAD", render_opts,
		INPUT_NOTE "\nWithout -o, txt goes to the terminal and png/svg to stdout, which must then"
		" not be a terminal.\nAn existing FILE is replaced only with --force.",
		"upqr render -o code.png 'HELLO'" },
	{ "mpm", NULL, cli_cmd_mpm, "decode, validate, encode or re-amount merchant-presented payloads",
		"decode|encode|set-amount ...", no_opts, NULL, "upqr mpm decode " MPM_EXAMPLE },
	{ "mpm", "decode", NULL, "decode and check a merchant-presented payload",
		"[OPTIONS] PAYLOAD", mpm_decode_opts,
		INPUT_NOTE "\nexit: 0 valid, 1 invalid (the reasons follow the verdict on stdout).",
		"upqr mpm decode --json " MPM_EXAMPLE },
	{ "mpm", "encode", NULL, "build a payload from a JSON object of fields (docs/mpm.md)",
		"[OPTIONS] [JSON]", mpm_encode_opts,
		"JSON is the object itself, - for stdin (the default) or @FILE for a file.",
		"upqr mpm decode --json PAYLOAD | jq .fields | upqr mpm encode -" },
	{ "mpm", "set-amount", NULL, "give a payload a new amount (and CRC)",
		"--amount MINOR [OPTIONS] PAYLOAD", mpm_amount_opts, INPUT_NOTE,
		"upqr mpm set-amount --amount 1250 @static.txt" },
	{ "sign", NULL, cli_cmd_sign, "sign ACP request fields (k=v lines on stdin) into a form body",
		"(--pfx FILE --password-file FILE | --key FILE --cert FILE) [OPTIONS] < fields",
		sign_opts, "The request is read from stdin, one k=v per line; an empty request is refused.",
		"printf 'merId=777290058110048\\ntxnAmt=100\\n' | upqr sign --key key.pem --cert cert.pem" },
	{ "verify", NULL, cli_cmd_verify, "verify a UnionPay response or notification (on stdin)",
		"(--root FILE --middle FILE [--cert-dir DIR] | --secure-key-file FILE) [OPTIONS] < message",
		verify_opts, "exit: 0 verified, 1 not verified (the status and reason are printed on stdout).",
		"upqr verify --root root.pem --middle middle.pem --json < notification.txt" },
	{ "cpm", NULL, cli_cmd_cpm, "consumer-presented codes: decode, generate, verify",
		"decode|generate|verify ...", no_opts, NULL, "upqr cpm decode @code.txt" },
	{ "cpm", "decode", NULL, "decode and check a consumer-presented code (base64)",
		"[OPTIONS] PAYLOAD", cpm_decode_opts, INPUT_NOTE, "upqr cpm decode --json @code.txt" },
	{ "cpm", "generate", NULL, "make a consumer-presented code from a token profile",
		"--profile FILE --atc N [OPTIONS]", cpm_generate_opts, NULL,
		"upqr cpm generate --profile token.json --atc 1 --amount 1250" },
	{ "cpm", "verify", NULL, "check a code's ARQC (and its token record)",
		"(--imk KEY | --mk KEY | --profile FILE) [OPTIONS] PAYLOAD", cpm_verify_opts,
		INPUT_NOTE "\nKEY is 32 hex digits or @FILE holding them.\n"
		"exit: 0 match, 1 mismatch, invalid, unsupported or (--replay-db) a replay.",
		"upqr cpm verify --profile token.json @code.txt" },
	{ "scan", NULL, cli_cmd_scan, "read QR payment codes from PNG/JPEG images",
		"[OPTIONS] IMAGE...", scan_opts,
		"IMAGE - reads stdin.\nexit: 0 a valid payment code was found, 1 none, 3 a file could not"
		" be read.", "upqr scan --json photo.jpg" },
	{ "apply", NULL, cli_cmd_acquirer, "apply for a consumer-scan QR code at the acquirer (01/07)",
		"--config FILE [OPTIONS]", acq_apply_opts, ACQ_EXIT,
		"upqr apply --config acp.ini --amount 1250 --json" },
	{ "pay", NULL, cli_cmd_acquirer,
		"charge a consumer's payment code (qrNo or EMV CPM); query loop, reversal if unknown",
		"--config FILE --amount FEN (--qr-no CODE | --cpm PAYLOAD) [OPTIONS]", acq_pay_opts, ACQ_EXIT,
		"upqr pay --config acp.ini --amount 1250 --qr-no 6225123456789012345" },
	{ "query", NULL, cli_cmd_acquirer, "query an order at the acquirer (--resolve: the query loop)",
		"--config FILE --order-id ID --txn-time T [OPTIONS]", acq_ref_opts, ACQ_EXIT,
		"upqr query --config acp.ini --order-id 20261207120000000001Ab3dE5fG --txn-time 20261207120000" },
	{ "void", NULL, cli_cmd_acquirer, "void a same-day payment (full amount)",
		"--config FILE --amount FEN --orig-order-id ID [OPTIONS]", acq_undo_opts, ACQ_EXIT,
		"upqr void --config acp.ini --amount 1250 --orig-order-id 20261207120000000001Ab3dE5fG" },
	{ "refund", NULL, cli_cmd_acquirer, "refund a payment, partly or fully",
		"--config FILE --amount FEN --orig-order-id ID [OPTIONS]", acq_undo_opts, ACQ_EXIT,
		"upqr refund --config acp.ini --amount 500 --orig-order-id 20261207120000000001Ab3dE5fG" },
	{ "reverse", NULL, cli_cmd_acquirer, "reverse a merchant-scan payment of unknown outcome",
		"--config FILE --order-id ID --txn-time T [OPTIONS]", acq_reverse_opts, ACQ_EXIT,
		"upqr reverse --config acp.ini --order-id 20261207120000000001Ab3dE5fG --txn-time 20261207120000" },
	{ "recover", NULL, cli_cmd_acquirer, "drive every unfinished order of the journal to a final state",
		"--config FILE [OPTIONS]", acq_common_opts,
		"exit: 0 every order settled, 3 the journal failed, 4 some orders are still unknown.",
		"upqr recover --config acp.ini --json" },
	{ "notify", NULL, cli_cmd_acquirer, "verify and book a UnionPay notification (body on stdin)",
		"--config FILE [OPTIONS] < body", acq_notify_opts,
		"Prints the HTTP status to answer. exit: 0 booked (200), 1 rejected (400), 3 not booked (500).",
		"upqr notify --config acp.ini --json < notification.txt" },
	{ NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL }
};

const cli_command *cli_commands(void)
{
	return commands;
}

const cli_command *cli_find(const char *name, const char *sub)
{
	for (const cli_command *c = commands; c->name; c++)
		if (!strcmp(c->name, name) && (sub ? c->sub && !strcmp(c->sub, sub) : !c->sub))
			return c;
	return NULL;
}

bool cli_has_subs(const char *name)
{
	for (const cli_command *c = commands; c->name; c++)
		if (c->sub && !strcmp(c->name, name))
			return true;
	return false;
}

void cli_help_overview(FILE *out)
{
	fprintf(out, "usage: upqr COMMAND [SUBCOMMAND] [OPTIONS] ...\n"
		"       upqr help COMMAND [SUBCOMMAND]\n\ncommands:\n");
	for (const cli_command *c = commands; c->name; c++)
		if (!c->sub)
			fprintf(out, "  %-10s %s\n", c->name, c->summary);
	fprintf(out, "\nInputs: " INPUT_NOTE "\n"
		"Human text goes to stdout; --json prints exact JSON instead.\n"
		"exit codes: 0 ok/valid, 1 invalid or refused, 2 usage error, 3 I/O or system failure,\n"
		"            4 outcome unknown\n"
		"`upqr COMMAND --help` shows a command's options; `man upqr` has them all.\n");
}

static void print_option(FILE *out, const cli_option *o)
{
	char left[64];
	snprintf(left, sizeof left, "%s%s%s%s%s", o->alias ? o->alias : "", o->alias ? ", " : "",
		o->name, o->value ? " " : "", o->value ? o->value : "");
	fprintf(out, "  %-30s %s\n", left, o->help);
}

void cli_help_print(FILE *out, const cli_command *c)
{
	const char *sub = c->sub ? c->sub : "";
	fprintf(out, "usage: upqr %s%s%s%s%s\n\n%s.\n", c->name, c->sub ? " " : "", sub,
		*c->synopsis ? " " : "", c->synopsis, c->summary);
	if (!c->sub && cli_has_subs(c->name)) {
		fprintf(out, "\nsubcommands:\n");
		for (const cli_command *s = commands; s->name; s++)
			if (s->sub && !strcmp(s->name, c->name))
				fprintf(out, "  %-12s %s\n", s->sub, s->summary);
	}
	fprintf(out, "\noptions:\n");
	for (const cli_option *o = c->options; o->name; o++)
		print_option(out, o);
	if (c->details)
		fprintf(out, "\n%s\n", c->details);
	fprintf(out, "\nexample:\n  %s\n", c->example);
}

void cli_help_list(FILE *out)
{
	for (const cli_command *c = commands; c->name; c++)
		fprintf(out, "%s%s%s\n", c->name, c->sub ? " " : "", c->sub ? c->sub : "");
}

void cli_help_options(FILE *out, const cli_command *c)
{
	for (const cli_option *o = c->options; o->name; o++) {
		fprintf(out, "%s%s%s\n", o->name, o->value ? " " : "", o->value ? o->value : "");
		if (o->alias)
			fprintf(out, "%s%s%s\n", o->alias, o->value ? " " : "", o->value ? o->value : "");
	}
}
