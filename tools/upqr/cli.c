/* cli.c - shared helpers of the upqr CLI: input, usage errors, JSON. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
	} else if (arg[0] == '@') {
		buf = cli_read_file(arg + 1, len);
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

const char *cli_input_name(const char *arg)
{
	if (!strcmp(arg, "-"))
		return "stdin";
	return arg[0] == '@' ? arg + 1 : "the argument";
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
		fprintf(out, "%s: %s at offset %zu%s%s: ", upqr_severity_name(d->severity),
			d->code, d->offset, d->path[0] ? ", ID " : "", d->path);
		/* Messages may quote the payload, which is anybody's text. */
		cli_print_text(out, d->message, strlen(d->message));
		fputc('\n', out);
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

int cli_exit_for(int status)
{
	switch (status) {
	case UPQR_OK:
		return CLI_OK;
	case UPQR_EIO:
	case UPQR_EVERSION: /* the CLI and the library disagree: not the user's fault */
	case UPQR_ENOMEM:
	case UPQR_EINTERNAL:
	case UPQR_ECRYPTO:
	case UPQR_ENETWORK:
	case UPQR_ETLS:
	case UPQR_ETIMEOUT:
	case UPQR_ESERVER:
		return CLI_IO;
	default:
		return CLI_INVALID;
	}
}

/* Length of a well-formed UTF-8 sequence at d[0..n), 0 if there is none; C1 is a control. */
static size_t utf8_len(const unsigned char *d, size_t n)
{
	size_t k = d[0] >= 0xF0 && d[0] <= 0xF4 ? 4 : d[0] >= 0xE0 ? 3 : d[0] >= 0xC2 ? 2 : 0;
	if (k == 0 || k > n)
		return 0;
	for (size_t j = 1; j < k; j++)
		if ((d[j] & 0xC0) != 0x80)
			return 0;
	/* U+0080..U+009F (C1 controls; ESC-less CSI on some terminals) are escaped too. */
	if (d[0] == 0xC2 && d[1] < 0xA0)
		return 0;
	return k;
}

void cli_print_text(FILE *out, const char *s, size_t n)
{
	const unsigned char *d = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		size_t k = d[i] >= 0x80 ? utf8_len(d + i, n - i) : d[i] >= 0x20 && d[i] != 0x7F;
		if (k == 0 || d[i] == '\\') {
			fprintf(out, d[i] == '\\' ? "\\\\" : "\\x%02X", d[i]);
			i++;
			continue;
		}
		fwrite(d + i, 1, k, out);
		i += k;
	}
}

void cli_hint_kind(FILE *out, const char *text, size_t len, upqr_scan_kind wanted)
{
	upqr_scan_symbol sym;
	upqr_diag diags[1];
	if (upqr_scan_classify(&sym, diags, 1, NULL, (const uint8_t *)text, len) != UPQR_OK ||
			sym.kind == wanted)
		return;
	if (sym.kind == UPQR_SCAN_KIND_MPM)
		fprintf(out, "hint: this is a merchant-presented payload: use 'upqr mpm decode'\n");
	else if (sym.kind == UPQR_SCAN_KIND_CPM)
		fprintf(out, "hint: this is a consumer-presented code: use 'upqr cpm decode'\n");
	else if (sym.kind == UPQR_SCAN_KIND_UNIONPAY_URL)
		fprintf(out, "hint: this is a UnionPay QR URL, not a payload: the code's data is held"
			" by the acquirer\n");
}

/* Writes all of data to fd, synced; false with errno set on failure. */
static bool write_all(int fd, const uint8_t *data, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, data, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		data += w;
		n -= (size_t)w;
	}
	return fsync(fd) == 0;
}

/* The mode a replaced file keeps, or a new file's 0666 minus the umask. */
static mode_t file_mode(const struct stat *st, bool exists)
{
	if (exists && S_ISREG(st->st_mode))
		return st->st_mode & 07777;
	mode_t mask = umask(0);
	umask(mask);
	return 0666 & ~mask;
}

/* Puts the finished temporary file in place: never over a file unless force. */
static int commit(const char *tmp, const char *path, bool force)
{
	if (force)
		return rename(tmp, path);
	/* link() fails with EEXIST if path appeared meanwhile: no silent replacement. */
	if (link(tmp, path) != 0)
		return -1;
	unlink(tmp);
	return 0;
}

int cli_write_file(const char *path, const uint8_t *data, size_t n, bool force)
{
	struct stat st;
	bool exists = lstat(path, &st) == 0;
	if (exists && S_ISDIR(st.st_mode)) {
		fprintf(stderr, "upqr: %s: is a directory\n", path);
		return CLI_IO;
	}
	if (exists && !force) {
		fprintf(stderr, "upqr: %s: exists; --force replaces it\n", path);
		return CLI_INVALID;
	}
	size_t cap = strlen(path) + 8;
	char *tmp = malloc(cap);
	if (!tmp) {
		fprintf(stderr, "upqr: out of memory\n");
		return CLI_IO;
	}
	snprintf(tmp, cap, "%s.XXXXXX", path);
	/* mkstemp opens with O_EXCL: a symbolic link planted at the name is never followed. */
	int fd = mkstemp(tmp), rc = CLI_OK;
	if (fd < 0) {
		fprintf(stderr, "upqr: %s: %s\n", path, strerror(errno));
		free(tmp);
		return CLI_IO;
	}
	bool okay = fchmod(fd, file_mode(&st, exists)) == 0 && write_all(fd, data, n);
	okay = close(fd) == 0 && okay;
	if (!okay || commit(tmp, path, force) != 0) {
		int e = errno;
		unlink(tmp);
		fprintf(stderr, "upqr: %s: %s\n", path, e == EEXIST ? "exists; --force replaces it" : strerror(e));
		rc = e == EEXIST ? CLI_INVALID : CLI_IO;
	}
	free(tmp);
	return rc;
}
