/*
 * cli.h - shared pieces of the `upqr` command-line program. The CLI uses
 * the public API only (include/upqr.h) plus jansson for JSON.
 *
 * Exit codes (DESIGN.md): 0 ok / valid, 1 input invalid or operation
 * refused, 2 usage error, 3 I/O, network or system failure, 4 outcome
 * unknown. cli_exit_for() is the one mapping from a library status.
 */
#ifndef UPQR_CLI_H
#define UPQR_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "upqr.h"

enum {
	CLI_OK = 0,
	CLI_INVALID = 1,
	CLI_USAGE = 2,
	CLI_IO = 3,
	CLI_UNKNOWN = 4
};

/* One option of a command: a flag when value is NULL. */
typedef struct cli_option {
	const char *name;   /* "--output" */
	const char *alias;  /* "-o", or NULL */
	const char *value;  /* what the value looks like ("FILE"), NULL for a flag */
	const char *help;
} cli_option;

/*
 * One command (sub NULL) or subcommand of the table in help.c. run is set
 * on commands only; it gets argv[0] = the command name and sees only
 * options of the table, each value in its own argv element.
 */
typedef struct cli_command {
	const char *name;
	const char *sub;
	int (*run)(int argc, char **argv);
	const char *summary;
	const char *synopsis;       /* after "upqr NAME [SUB] " */
	const cli_option *options;  /* ends with a NULL name */
	const char *details;        /* inputs, exit codes; may be NULL */
	const char *example;
} cli_command;

/* The table, ending with a NULL name. */
const cli_command *cli_commands(void);
/* The entry of `upqr name [sub]`, or NULL. */
const cli_command *cli_find(const char *name, const char *sub);
/* Whether `upqr name` takes a subcommand (mpm, cpm). */
bool cli_has_subs(const char *name);
/* `upqr --help`: commands, inputs and exit codes. */
void cli_help_overview(FILE *out);
/* `upqr CMD [SUB] --help`: usage, options, details, an example. */
void cli_help_print(FILE *out, const cli_command *c);
/* `upqr help --list`: every "CMD" and "CMD SUB", one per line (for completion and tests). */
void cli_help_list(FILE *out);
/* `upqr help --options CMD [SUB]`: "--name [VALUE]" per line. */
void cli_help_options(FILE *out, const cli_command *c);

/*
 * The exit code for a library status: 0 for UPQR_OK; 3 when the system
 * failed (I/O, memory, crypto backend, network, a version mismatch, an
 * internal error); 1 for everything the input or its checks refused,
 * UPQR_EINVAL included (the CLI checks its own arguments first, so what the
 * library calls a bad argument came from the user's data). Usage errors (2)
 * are the CLI's own finding, never a library status.
 */
int cli_exit_for(int status);

/*
 * Writes text for a person: control characters (C0, DEL, C1) and bytes that
 * are not UTF-8 become \xNN and a backslash becomes \\, so decoded data
 * cannot drive the terminal. JSON output is never escaped this way.
 */
void cli_print_text(FILE *out, const char *s, size_t n);

/*
 * Reads an input argument the one way every command takes it: the text
 * itself, "-" for all of stdin, or "@FILE" for the contents of FILE. With
 * trim, one trailing "\n" or "\r\n" is removed (shells and echo add it;
 * payloads never end in a newline). Returns a malloc'd NUL-terminated buffer
 * (free with free()) and its length, or NULL with a message naming the file
 * on stderr.
 */
char *cli_read_arg(const char *arg, size_t *len, bool trim);
/* What an input argument names in a message: "stdin", the FILE of @FILE, or "the argument". */
const char *cli_input_name(const char *arg);
/* Reads a whole file ("-" = stdin); NULL with a message on stderr. Caps at 64 MiB. */
char *cli_read_file(const char *path, size_t *len);

/*
 * Writes data to path through a new temporary file in the same directory
 * (created with O_EXCL, so a planted symbolic link is never followed),
 * synced and then moved into place. An existing path is refused unless
 * force; a replaced regular file keeps its permission bits. Returns a CLI
 * exit code, with a message naming path on stderr.
 */
int cli_write_file(const char *path, const uint8_t *data, size_t n, bool force);

/* Prints a usage error to stderr and returns CLI_USAGE. */
int cli_usage(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * When text is another kind of payload than `wanted` (an MPM payload given
 * to `cpm decode`, a CPM code to `mpm decode`), says on out which command
 * reads it. Prints nothing otherwise.
 */
void cli_hint_kind(FILE *out, const char *text, size_t len, upqr_scan_kind wanted);

/* Diagnostics as a JSON array of {code, severity, offset, path, message}. */
json_t *cli_diag_json(const upqr_diag_list *list);
/* Diagnostics as human text, one per line (control characters escaped). */
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
