/* main.c - `upqr`: the SDK's command-line front door. */
#include <string.h>

#include "cli.h"

static const cli_command commands[] = {
	{ "version", "print the upqr version", cli_cmd_version },
	{ "render", "draw a payload as a QR code (terminal, PNG, SVG)", cli_cmd_render },
	{ "mpm", "decode, validate, encode or re-amount merchant-presented payloads", cli_cmd_mpm },
	{ "sign", "sign ACP request fields (k=v lines) into a form body", cli_cmd_sign },
	{ "verify", "verify a UnionPay response or notification", cli_cmd_verify },
	{ "cpm", "consumer-presented codes: decode, generate, verify", cli_cmd_cpm },
	{ "scan", "read QR payment codes from PNG/JPEG images", cli_cmd_scan },
	{ "apply", "apply for a consumer-scan QR code at the acquirer (01/07)", cli_cmd_acquirer },
	{ "pay", "charge a consumer's payment code (qrNo or EMV CPM), query, reverse if unknown", cli_cmd_acquirer },
	{ "query", "query an order's state at the acquirer (--resolve: the query loop)", cli_cmd_acquirer },
	{ "void", "void a same-day payment (full amount)", cli_cmd_acquirer },
	{ "refund", "refund a payment, partially or fully", cli_cmd_acquirer },
	{ "reverse", "reverse a merchant-scan payment of unknown outcome", cli_cmd_acquirer },
	{ "recover", "drive every unfinished order of the journal to a final state", cli_cmd_acquirer },
	{ "notify", "verify and book a UnionPay notification (body on stdin)", cli_cmd_acquirer },
};

static int usage(FILE *out, int code)
{
	fprintf(out, "usage: upqr COMMAND [OPTIONS] ...\n\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\nexit codes: 0 ok/valid, 1 invalid or refused, 2 usage, 3 I/O or network\n");
	return code;
}

int cli_cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("upqr %s\n", upqr_version());
	return CLI_OK;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage(stderr, CLI_USAGE);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help"))
		return usage(stdout, CLI_OK);
	if (!strcmp(argv[1], "--version"))
		return cli_cmd_version(0, NULL);
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "upqr: unknown command '%s'\n", argv[1]);
	return usage(stderr, CLI_USAGE);
}
