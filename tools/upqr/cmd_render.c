/*
 * cmd_render.c - `upqr render`: a payload as a QR code in the terminal, or
 * as a PNG/SVG/text file (written atomically) or stream.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"

static const char USAGE[] =
	"upqr render [--format png|svg|txt] [--ecc L|M|Q|H] [--scale N] [--margin N]\n"
	"                   [--theme light|dark] [--png-depth 8|1] [-o FILE [--force]] PAYLOAD";

typedef struct render_args {
	upqr_qr_options opts;
	int format;          /* -1 until known */
	const char *out;
	const char *payload;
	bool force;          /* -o may replace an existing file */
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
		if (!strcmp(arg, "--force")) {
			a->force = true;
			continue;
		}
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

/* The extension of a path's last component ("" when it has none). */
static const char *extension(const char *path)
{
	const char *base = strrchr(path, '/');
	const char *dot = strrchr(base ? base + 1 : path, '.');
	return dot && dot[1] ? dot + 1 : "";
}

/*
 * The format of -o FILE: its extension decides, and --format must agree
 * with it; a name without an extension needs --format. Writing PNG bytes
 * into "x.jpg" or terminal text into "x.png" is refused as a usage error.
 */
static int file_format(render_args *a)
{
	static const char *const exts[] = { "png", "svg", "txt" };
	static const int ids[] = { UPQR_QR_FORMAT_PNG, UPQR_QR_FORMAT_SVG, UPQR_QR_FORMAT_TEXT };
	const char *ext = extension(a->out);
	int k = -1;
	for (int i = 0; i < 3; i++)
		if (!strcasecmp(ext, exts[i]))
			k = ids[i];
	if (k < 0 && *ext)
		return cli_usage(USAGE, "%s: unsupported extension '.%s' (png, svg or txt)", a->out, ext);
	if (k < 0 && a->format < 0)
		return cli_usage(USAGE, "%s: no extension to tell the format; add --format", a->out);
	if (k >= 0 && a->format >= 0 && k != a->format)
		return cli_usage(USAGE, "%s: --format disagrees with the extension '.%s'", a->out, ext);
	if (a->format < 0)
		a->format = k;
	return CLI_OK;
}

/* The exit code for a status from the SDK, with what it was about. */
static int fail(int rc, const char *what)
{
	fprintf(stderr, "upqr: %s: %s\n", what, upqr_strerror(rc));
	return cli_exit_for(rc);
}

/* Renders into a malloc'd buffer (*out, *n); a status. */
static int render_mem(uint8_t **out, size_t *n, const render_args *a, const char *payload, size_t len)
{
	const uint8_t *p = (const uint8_t *)payload;
	*out = NULL;
	int rc = upqr_qr_render(NULL, 0, n, NULL, (upqr_qr_format)a->format, &a->opts, p, len);
	if (rc != UPQR_EBUFSIZE)
		return rc == UPQR_OK ? UPQR_EINTERNAL : rc;
	if (!(*out = malloc(*n + 1)))
		return UPQR_ENOMEM;
	rc = upqr_qr_render(*out, *n + 1, n, NULL, (upqr_qr_format)a->format, &a->opts, p, len);
	if (rc != UPQR_OK) {
		free(*out);
		*out = NULL;
	}
	return rc;
}

static int write_out(const render_args *a, const uint8_t *data, size_t n)
{
	if (!a->out) {
		if (fwrite(data, 1, n, stdout) != n || fflush(stdout) != 0)
			return fail(UPQR_EIO, "stdout");
		return CLI_OK;
	}
	return cli_write_file(a->out, data, n, a->force);
}

int cli_cmd_render(int argc, char **argv)
{
	render_args a = { .format = -1 };
	int rc = upqr_qr_options_init(&a.opts, UPQR_QR_OPTIONS_VERSION);
	if (rc != UPQR_OK)
		return fail(rc, "the library refused the render options version");
	rc = parse_args(&a, argc, argv);
	if (rc == CLI_OK && a.out)
		rc = file_format(&a);
	else if (rc == CLI_OK && a.force)
		rc = cli_usage(USAGE, "--force goes with -o FILE");
	if (rc)
		return rc;
	if (a.format < 0)
		a.format = UPQR_QR_FORMAT_TEXT;
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
	uint8_t *img;
	size_t n;
	rc = render_mem(&img, &n, &a, payload, len);
	rc = rc == UPQR_OK ? write_out(&a, img, n) : fail(rc, "payload");
	free(img);
	free(payload);
	return rc;
}
