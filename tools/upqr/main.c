/*
 * main.c - `upqr`: the SDK's command-line front door. Finds the command in
 * the table (help.c), answers --help, checks every option against the
 * table, and only then runs the command.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("upqr %s\n", upqr_version());
	return CLI_OK;
}

static bool is_help(const char *a)
{
	return !strcmp(a, "-h") || !strcmp(a, "--help");
}

/* "upqr: <before><what><after>", the usage line and where to find more. */
static int usage_error(const cli_command *c, const char *before, const char *what, const char *after)
{
	fprintf(stderr, "upqr: %s%s%s", before, what, after);
	fprintf(stderr, "\nTry 'upqr %s%s%s --help'.\n", c->name, c->sub ? " " : "",
		c->sub ? c->sub : "");
	return CLI_USAGE;
}

static const cli_option *find_option(const cli_command *c, const char *name)
{
	for (const cli_option *o = c->options; o->name; o++)
		if (!strcmp(o->name, name) || (o->alias && !strcmp(o->alias, name)))
			return o;
	return NULL;
}

/*
 * Copies argv[0..first) and then every argument into out, checking each
 * option against the table: "--name=value" becomes two arguments, so the
 * commands see one spelling. Returns -1 to go on, or an exit code (help
 * printed, or a usage error). Options may follow operands; "--" ends them.
 */
static int check_args(const cli_command *c, int argc, char **argv, int first, char **out, int *n)
{
	int k = 0;
	for (int i = 0; i < first; i++)
		out[k++] = argv[i];
	for (int i = first; i < argc; i++) {
		char *a = argv[i];
		if (!strcmp(a, "--")) {
			while (i < argc)
				out[k++] = argv[i++];
			break;
		}
		if (a[0] != '-' || a[1] == 0) {
			out[k++] = a;
			continue;
		}
		if (is_help(a)) {
			cli_help_print(stdout, c);
			return CLI_OK;
		}
		char *eq = a[1] == '-' ? strchr(a, '=') : NULL;
		if (eq)
			*eq = 0;
		const cli_option *o = find_option(c, a);
		if (!o)
			return usage_error(c, "unknown option: ", a, "");
		out[k++] = a;
		if (o->value && eq)
			out[k++] = eq + 1;
		else if (o->value && i + 1 < argc)
			out[k++] = argv[++i];
		else if (o->value)
			return usage_error(c, "option ", a, " needs a value");
		else if (eq)
			return usage_error(c, "option ", a, " takes no value");
	}
	out[k] = NULL;
	*n = k;
	return -1;
}

/* `upqr help [CMD [SUB]]`, `upqr help --list`, `upqr help --options CMD [SUB]`. */
static int help_command(int argc, char **argv)
{
	if (argc < 3) {
		cli_help_overview(stdout);
		return CLI_OK;
	}
	if (!strcmp(argv[2], "--list")) {
		cli_help_list(stdout);
		return CLI_OK;
	}
	bool opts = !strcmp(argv[2], "--options");
	int at = opts ? 3 : 2;
	const cli_command *c = at < argc ? cli_find(argv[at], at + 1 < argc ? argv[at + 1] : NULL) : NULL;
	if (!c || argc > at + 2) {
		fprintf(stderr, "upqr: help: no such command: %s%s%s\n", at < argc ? argv[at] : "",
			at + 1 < argc ? " " : "", at + 1 < argc ? argv[at + 1] : "");
		return CLI_USAGE;
	}
	if (opts)
		cli_help_options(stdout, c);
	else
		cli_help_print(stdout, c);
	return CLI_OK;
}

/* Runs `upqr NAME ...` (argv[0] = NAME) once its arguments check out. */
static int run_command(const cli_command *c, int argc, char **argv)
{
	const cli_command *leaf = c;
	if (cli_has_subs(c->name)) {
		if (argc < 2 || is_help(argv[1])) {
			cli_help_print(argc < 2 ? stderr : stdout, c);
			return argc < 2 ? CLI_USAGE : CLI_OK;
		}
		leaf = cli_find(c->name, argv[1]);
		if (!leaf)
			return usage_error(c, "unknown subcommand: ", argv[1], "");
	}
	char **args = malloc((size_t)(2 * argc + 1) * sizeof *args);
	if (!args) {
		fprintf(stderr, "upqr: out of memory\n");
		return CLI_IO;
	}
	int n = 0;
	int rc = check_args(leaf, argc, argv, leaf == c ? 1 : 2, args, &n);
	if (rc < 0)
		rc = c->run(n, args);
	free(args);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		cli_help_overview(stderr);
		return CLI_USAGE;
	}
	if (is_help(argv[1]))
		return cli_help_overview(stdout), CLI_OK;
	if (!strcmp(argv[1], "help"))
		return help_command(argc, argv);
	if (!strcmp(argv[1], "--version"))
		return cli_cmd_version(0, NULL);
	const cli_command *c = cli_find(argv[1], NULL);
	if (!c) {
		fprintf(stderr, "upqr: unknown command: %s\nTry 'upqr --help'.\n", argv[1]);
		return CLI_USAGE;
	}
	return run_command(c, argc - 1, argv + 1);
}
