/* cli.c - shared helpers of the upqr CLI: input, usage errors, JSON. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define CLI_MAX_INPUT (64u << 20)

static char *read_stream(FILE *f, const char *name, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	if (!buf)
		goto oom;
	for (;;) {
		if (n + 1 >= cap) {
			if (cap >= CLI_MAX_INPUT) {
				fprintf(stderr, "upqr: %s: input larger than %u bytes\n", name, CLI_MAX_INPUT);
				free(buf);
				return NULL;
			}
			char *nb = realloc(buf, cap * 2);
			if (!nb)
				goto oom;
			buf = nb;
			cap *= 2;
		}
		size_t got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0) {
			if (ferror(f)) {
				fprintf(stderr, "upqr: %s: read error: %s\n", name, strerror(errno));
				free(buf);
				return NULL;
			}
			break;
		}
	}
	buf[n] = 0;
	*len = n;
	return buf;
oom:
	free(buf);
	fprintf(stderr, "upqr: out of memory\n");
	return NULL;
}

char *cli_read_file(const char *path, size_t *len)
{
	if (strcmp(path, "-") == 0)
		return read_stream(stdin, "stdin", len);
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "upqr: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	char *buf = read_stream(f, path, len);
	fclose(f);
	return buf;
}

char *cli_read_arg(const char *arg, size_t *len, bool trim)
{
	char *buf;
	if (strcmp(arg, "-") == 0) {
		buf = read_stream(stdin, "stdin", len);
	} else {
		*len = strlen(arg);
		buf = malloc(*len + 1);
		if (buf)
			memcpy(buf, arg, *len + 1);
		else
			fprintf(stderr, "upqr: out of memory\n");
	}
	if (buf && trim) {
		if (*len > 0 && buf[*len - 1] == '\n')
			buf[--*len] = 0;
		if (*len > 0 && buf[*len - 1] == '\r')
			buf[--*len] = 0;
	}
	return buf;
}

int cli_usage(const char *usage, const char *fmt, ...)
{
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		fputs("upqr: ", stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		va_end(ap);
	}
	if (usage)
		fprintf(stderr, "usage: %s\n", usage);
	return CLI_USAGE;
}

json_t *cli_json_stringn(const char *s, size_t n)
{
	json_t *v = json_stringn(s, n);
	if (v)
		return v;
	/* Not UTF-8 (or has NUL): show the bytes as hex rather than lose them. */
	char *hex = malloc(2 * n + 3);
	if (!hex)
		return json_null();
	static const char d[] = "0123456789ABCDEF";
	hex[0] = '0';
	hex[1] = 'x';
	for (size_t i = 0; i < n; i++) {
		hex[2 + 2 * i] = d[(unsigned char)s[i] >> 4];
		hex[3 + 2 * i] = d[(unsigned char)s[i] & 15];
	}
	hex[2 + 2 * n] = 0;
	v = json_string(hex);
	free(hex);
	return v;
}

json_t *cli_diag_json(const upqr_diag_list *list)
{
	json_t *arr = json_array();
	for (size_t i = 0; list && i < list->count; i++) {
		const upqr_diag *d = &list->items[i];
		json_array_append_new(arr, json_pack("{s:s, s:s, s:I, s:s, s:s}",
			"code", d->code, "severity", upqr_severity_name(d->severity),
			"offset", (json_int_t)d->offset, "path", d->path, "message", d->message));
	}
	return arr;
}

void cli_diag_print(FILE *out, const upqr_diag_list *list)
{
	for (size_t i = 0; list && i < list->count; i++) {
		const upqr_diag *d = &list->items[i];
		fprintf(out, "%s: %s at offset %zu%s%s: %s\n", upqr_severity_name(d->severity),
			d->code, d->offset, d->path[0] ? ", ID " : "", d->path, d->message);
	}
	if (list && list->dropped)
		fprintf(out, "(%zu more problems not listed)\n", list->dropped);
}

void cli_json_print(json_t *value)
{
	char *s = json_dumps(value, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (s) {
		puts(s);
		free(s);
	}
	json_decref(value);
}
