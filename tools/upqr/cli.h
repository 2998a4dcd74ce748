/*
 * cli.h - shared pieces of the `upqr` command-line program. The CLI uses
 * the public API only (include/upqr.h) plus jansson for JSON.
 *
 * Exit codes (DESIGN.md): 0 ok / valid, 1 input invalid or operation
 * refused, 2 usage error, 3 I/O or network failure.
 */
#ifndef UPQR_CLI_H
#define UPQR_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "upqr.h"

enum {
	CLI_OK = 0,
	CLI_INVALID = 1,
	CLI_USAGE = 2,
	CLI_IO = 3
};

/* One subcommand: `upqr NAME ...`; argv[0] is the subcommand name. */
typedef struct cli_command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
} cli_command;

/*
 * Reads a payload argument: the text itself, or "-" for all of stdin.
 * With trim, one trailing "\n" or "\r\n" is removed (shells and echo add
 * it; payloads never end in a newline). Returns a malloc'd NUL-terminated
 * buffer (free with free()) and its length, or NULL with a message on stderr.
 */
char *cli_read_arg(const char *arg, size_t *len, bool trim);
/* Reads a whole file ("-" = stdin); NULL with a message on stderr. Caps at 64 MiB. */
char *cli_read_file(const char *path, size_t *len);

/* Prints a usage error to stderr and returns CLI_USAGE. */
int cli_usage(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Diagnostics as a JSON array of {code, severity, offset, path, message}. */
json_t *cli_diag_json(const upqr_diag_list *list);
/* Diagnostics as human text on stderr, one per line. */
void cli_diag_print(FILE *out, const upqr_diag_list *list);
/* Prints a JSON value on stdout (indent 2), with a newline; decrements it. */
void cli_json_print(json_t *value);
/* A JSON string from bytes that may not be NUL-terminated (invalid UTF-8 becomes hex "0x..."). */
json_t *cli_json_stringn(const char *s, size_t n);

/*
 * The `upqr mpm decode --json` object of a decoded payload ({valid, objects,
 * fields, diagnostics}; docs/mpm.md), shared with `upqr scan --json`.
 */
json_t *cli_mpm_decode_json(const upqr_mpm_payload *p, const upqr_diag_list *dl);
/*
 * The `upqr cpm decode --json` object of a decoded CPM ({valid, tlv, fields,
 * diagnostics}); the PAN masked unless show_pan. Shared with `upqr scan --json`.
 */
json_t *cli_cpm_decode_json(const upqr_cpm *cpm, bool show_pan, const upqr_diag_list *diags);

/* Handlers, one per module file (cmd_*.c). */
int cli_cmd_version(int argc, char **argv);
int cli_cmd_render(int argc, char **argv);
int cli_cmd_mpm(int argc, char **argv);
int cli_cmd_sign(int argc, char **argv);
int cli_cmd_verify(int argc, char **argv);
int cli_cmd_cpm(int argc, char **argv);
int cli_cmd_scan(int argc, char **argv);
/* apply, pay, query, void, refund, reverse, recover, notify (cmd_acquirer.c). */
int cli_cmd_acquirer(int argc, char **argv);

#endif
