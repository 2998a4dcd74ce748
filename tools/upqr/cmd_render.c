/*
 * cmd_render.c - `upqr render`: a payload as a QR code in the terminal, or
 * as a PNG/SVG/text file (written atomically) or stream.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char USAGE[] =
	"upqr render [--format png|svg|txt] [--ecc L|M|Q|H] [--scale N] [--margin N]\n"
	"                   [--theme light|dark] [--png-depth 8|1] [-o FILE] PAYLOAD|-\n"
	"  --format   default: from the -o extension (.png, .svg), else txt\n"
	"  --ecc      error-correction level, default M\n"
	"  --scale    pixels per module (png, svg), 1..64, default 8\n"
	"  --margin   quiet zone in modules, 4..64, default 4\n"
	"  --theme    txt colours: light = dark-on-light terminal (default), dark = light-on-dark\n"
	"  -o FILE    write FILE atomically; without it txt goes to the terminal and\n"
	"             png/svg to stdout, which must then not be a terminal\n"
	"  PAYLOAD    the text to encode, or - for stdin (one trailing newline removed)\n"
	"exit: 0 written, 1 payload refused, 2 usage, 3 I/O error";

typedef struct render_args {
	upqr_qr_options opts;
	int format;          /* -1 until known */
	const char *out;
	const char *payload;
} render_args;

static int parse_uint(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (!*s || *end || errno || s[0] == '-' || s[0] == '+' || v < lo || v > hi)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int pick(const char *s, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}

/* Applies one option with its value; returns 0 or a usage exit code. */
static int apply_option(render_args *a, const char *name, const char *val)
{
	static const char *const formats[] = { "png", "svg", "txt" };
	static const upqr_qr_format format_ids[] = { UPQR_QR_FORMAT_PNG, UPQR_QR_FORMAT_SVG, UPQR_QR_FORMAT_TEXT };
	static const char *const eccs[] = { "L", "M", "Q", "H" };
	static const char *const themes[] = { "light", "dark" };
	int k;
	if (!strcmp(name, "--format") && (k = pick(val, formats, 3)) >= 0)
		a->format = (int)format_ids[k];
	else if (!strcmp(name, "--ecc") && (k = pick(val, eccs, 4)) >= 0)
		a->opts.ecc = (upqr_qr_ecc)k;
	else if (!strcmp(name, "--theme") && (k = pick(val, themes, 2)) >= 0)
		a->opts.theme = (upqr_qr_theme)k;
	else if (!strcmp(name, "--scale") && parse_uint(val, 1, UPQR_QR_SCALE_MAX, &a->opts.scale) == 0)
		;
	else if (!strcmp(name, "--margin")
			&& parse_uint(val, UPQR_QR_MARGIN_MIN, UPQR_QR_MARGIN_MAX, &a->opts.margin) == 0)
		;
	else if (!strcmp(name, "--png-depth") && (!strcmp(val, "8") || !strcmp(val, "1")))
		a->opts.png_bit_depth = val[0] == '8' ? 8u : 1u;
	else if (!strcmp(name, "-o") || !strcmp(name, "--output"))
		a->out = val;
	else
		return cli_usage(USAGE, "bad value '%s' for %s", val, name);
	return 0;
}

static bool takes_value(const char *name)
{
	static const char *const opts[] = { "--format", "--ecc", "--theme", "--scale", "--margin",
		"--png-depth", "-o", "--output" };
	return pick(name, opts, sizeof opts / sizeof opts[0]) >= 0;
}

static int parse_args(render_args *a, int argc, char **argv)
{
	int i = 1;
	for (; i < argc; i++) {
		char *arg = argv[i];
		if (!strcmp(arg, "--")) {
			i++;
			break;
		}
		if (arg[0] != '-' || !strcmp(arg, "-"))
			break;
		char name[32];
		const char *eq = strchr(arg, '='), *val;
		size_t nlen = eq ? (size_t)(eq - arg) : strlen(arg);
		if (nlen >= sizeof name)
			return cli_usage(USAGE, "unknown option '%s'", arg);
		memcpy(name, arg, nlen);
		name[nlen] = 0;
		if (!takes_value(name))
			return cli_usage(USAGE, "unknown option '%s'", arg);
		if (eq)
			val = eq + 1;
		else if (i + 1 < argc)
			val = argv[++i];
		else
			return cli_usage(USAGE, "%s needs a value", name);
		int rc = apply_option(a, name, val);
		if (rc)
			return rc;
	}
	if (i != argc - 1)
		return cli_usage(USAGE, i >= argc ? "missing PAYLOAD" : "more than one PAYLOAD");
	a->payload = argv[i];
	return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* The exit code for a status from the SDK. */
static int exit_for(int rc, const char *what)
{
	fprintf(stderr, "upqr: %s: %s\n", what, upqr_strerror(rc));
	/* The payload's own faults are refusals; the rest is the system failing. */
	return rc == UPQR_EIO || rc == UPQR_ENOMEM || rc == UPQR_EINTERNAL ? CLI_IO : CLI_INVALID;
}

/* Renders into a malloc'd buffer and writes it to stdout. */
static int render_stdout(const render_args *a, const char *payload, size_t len)
{
	size_t n = 0;
	const uint8_t *p = (const uint8_t *)payload;
	int rc = upqr_qr_render(NULL, 0, &n, NULL, (upqr_qr_format)a->format, &a->opts, p, len);
	if (rc != UPQR_EBUFSIZE)
		return exit_for(rc, "payload");
	uint8_t *buf = malloc(n + 1);
	if (!buf)
		return exit_for(UPQR_ENOMEM, "render");
	rc = upqr_qr_render(buf, n + 1, &n, NULL, (upqr_qr_format)a->format, &a->opts, p, len);
	if (rc == UPQR_OK && (fwrite(buf, 1, n, stdout) != n || fflush(stdout) != 0))
		rc = UPQR_EIO;
	free(buf);
	return rc == UPQR_OK ? CLI_OK : exit_for(rc, rc == UPQR_EIO ? "stdout" : "render");
}

int cli_cmd_render(int argc, char **argv)
{
	render_args a = { .format = -1 };
	upqr_qr_options_init(&a.opts, UPQR_QR_OPTIONS_VERSION);
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("usage: %s\n", USAGE);
		return CLI_OK;
	}
	int rc = parse_args(&a, argc, argv);
	if (rc)
		return rc;
	if (a.format < 0)
		a.format = a.out && ends_with(a.out, ".png") ? UPQR_QR_FORMAT_PNG
			: a.out && ends_with(a.out, ".svg") ? UPQR_QR_FORMAT_SVG : UPQR_QR_FORMAT_TEXT;
	if (!a.out && a.format != UPQR_QR_FORMAT_TEXT && isatty(STDOUT_FILENO))
		return cli_usage(USAGE, "refusing to write an image to a terminal; use -o FILE or a pipe");
	size_t len;
	char *payload = cli_read_arg(a.payload, &len, true);
	if (!payload)
		return CLI_IO;
	if (len == 0) {
		free(payload);
		fprintf(stderr, "upqr: the payload is empty\n");
		return CLI_INVALID;
	}
	if (a.out) {
		rc = upqr_qr_render_file(a.out, NULL, (upqr_qr_format)a.format, &a.opts,
			(const uint8_t *)payload, len);
		rc = rc == UPQR_OK ? CLI_OK : exit_for(rc, rc == UPQR_EIO ? a.out : "payload");
	} else {
		rc = render_stdout(&a, payload, len);
	}
	free(payload);
	return rc;
}
