/*
 * cmd_sign.c - `upqr sign` (build a signed ACP request body) and
 * `upqr verify` (check a UnionPay response or notification).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define SIGN_USAGE "upqr sign (--pfx FILE --password-file FILE | --key FILE --cert FILE) " \
	"[--version 5.1.0|5.0.0] [--sign-method 01|11|12] [--secure-key-file FILE] < fields"
#define VERIFY_USAGE "upqr verify [--root FILE --middle FILE] [--cert-dir DIR] [--at TIME] " \
	"[--accept-versions 5.1.0,5.0.0] [--test-env [--cert-dir-unchecked]] [--format form|response] " \
	"[--secure-key-file FILE] [--json] < message"

/* Reads a small secret file (password, secure key); one trailing newline dropped. */
static char *read_secret(const char *path, size_t *len)
{
	char *s = cli_read_file(path, len);
	if (s && *len && s[*len - 1] == '\n')
		s[--*len] = 0;
	if (s && *len && s[*len - 1] == '\r')
		s[--*len] = 0;
	return s;
}

static void free_secret(char *s, size_t len)
{
	if (s)
		upqr_memzero(s, len);
	free(s);
}

/* Splits "k=v" lines in place into fields (views into text). */
static int parse_lines(upqr_acp_field *fields, size_t *count, char *text, size_t len)
{
	*count = 0;
	size_t line = 0;
	for (char *p = text, *end = text + len; p < end; line++) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *stop = nl ? nl : end;
		char *next = nl ? nl + 1 : end;
		if (stop > p && stop[-1] == '\r')
			stop--;
		if (stop > p) {
			char *eq = memchr(p, '=', (size_t)(stop - p));
			if (!eq || eq == p) {
				fprintf(stderr, "upqr: sign: line %zu is not k=v\n", line + 1);
				return CLI_INVALID;
			}
			if (*count == UPQR_ACP_FIELDS_MAX) {
				fprintf(stderr, "upqr: sign: more than %d fields\n", UPQR_ACP_FIELDS_MAX);
				return CLI_INVALID;
			}
			fields[(*count)++] = (upqr_acp_field){ p, (size_t)(eq - p), eq + 1, (size_t)(stop - eq - 1) };
		}
		p = next;
	}
	return CLI_OK;
}

static int parse_sign_args(int argc, char **argv, upqr_signer_options *o, const char **pw_file,
		const char **sk_file)
{
	for (int i = 1; i < argc; i += 2) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			return cli_usage(SIGN_USAGE, "%s needs a value", a);
		if (!strcmp(a, "--pfx"))
			o->pfx_path = v;
		else if (!strcmp(a, "--password-file"))
			*pw_file = v;
		else if (!strcmp(a, "--key"))
			o->key_pem_path = v;
		else if (!strcmp(a, "--cert"))
			o->cert_pem_path = v;
		else if (!strcmp(a, "--secure-key-file"))
			*sk_file = v;
		else if (!strcmp(a, "--version") && (!strcmp(v, "5.1.0") || !strcmp(v, "5.0.0")))
			o->acp_version = !strcmp(v, "5.0.0") ? UPQR_ACP_5_0_0 : UPQR_ACP_5_1_0;
		else if (!strcmp(a, "--sign-method") && (!strcmp(v, "01") || !strcmp(v, "11") || !strcmp(v, "12")))
			o->sign_method = (upqr_acp_sign_method)strtol(v, NULL, 10);
		else
			return cli_usage(SIGN_USAGE, "bad option or value: %s %s", a, v);
	}
	if (o->sign_method == UPQR_ACP_SIGN_RSA && !o->pfx_path && !o->key_pem_path)
		return cli_usage(SIGN_USAGE, "signMethod 01 needs --pfx or --key/--cert");
	if (o->sign_method != UPQR_ACP_SIGN_RSA && !*sk_file)
		return cli_usage(SIGN_USAGE, "signMethod 11/12 needs --secure-key-file");
	if (!!o->key_pem_path != !!o->cert_pem_path)
		return cli_usage(SIGN_USAGE, "--key and --cert go together");
	return CLI_OK;
}

static int sign_stdin(upqr_signer *s)
{
	size_t len, count, need = 0;
	char *text = cli_read_file("-", &len);
	if (!text)
		return CLI_IO;
	upqr_acp_field fields[UPQR_ACP_FIELDS_MAX];
	int code = parse_lines(fields, &count, text, len);
	if (!code && count == 0) {
		fprintf(stderr, "upqr: sign: the request on stdin is empty: nothing to sign\n");
		code = CLI_INVALID;
	}
	char *body = NULL;
	int rc = code ? UPQR_OK : upqr_signer_build_request(NULL, 0, &need, s, fields, count);
	if (!code && rc == UPQR_EBUFSIZE && (body = malloc(need + 1)) != NULL)
		rc = upqr_signer_build_request(body, need + 1, &need, s, fields, count);
	if (!code && rc == UPQR_OK && body) {
		printf("%s\n", body);
		if (upqr_signer_warnings(s)) /* signed all the same: the caller decides */
			fprintf(stderr, "upqr: sign: %s\n", upqr_signer_last_error(s));
	} else if (!code) {
		fprintf(stderr, "upqr: sign: %s: %s\n", upqr_status_name(rc),
			*upqr_signer_last_error(s) ? upqr_signer_last_error(s) : upqr_strerror(rc));
		code = cli_exit_for(rc);
	}
	free(body);
	free(text);
	return code;
}

int cli_cmd_sign(int argc, char **argv)
{
	upqr_signer_options o = UPQR_SIGNER_OPTIONS_INIT;
	const char *pw_file = NULL, *sk_file = NULL;
	int code = parse_sign_args(argc, argv, &o, &pw_file, &sk_file);
	if (code)
		return code;
	size_t pw_len = 0, sk_len = 0;
	char *pw = pw_file ? read_secret(pw_file, &pw_len) : NULL;
	char *sk = sk_file ? read_secret(sk_file, &sk_len) : NULL;
	if ((pw_file && !pw) || (sk_file && !sk)) {
		free_secret(pw, pw_len);
		free_secret(sk, sk_len);
		return CLI_IO;
	}
	o.password = pw;
	o.secure_key = (const uint8_t *)sk;
	o.secure_key_len = sk_len;
	upqr_signer *s = NULL;
	int rc = upqr_signer_new(&s, &o);
	free_secret(pw, pw_len);
	free_secret(sk, sk_len);
	if (rc) {
		/* Never echo the password: the status says what was wrong. */
		fprintf(stderr, "upqr: sign: cannot load the key from %s%s%s: %s: %s\n",
			o.pfx_path ? o.pfx_path : o.key_pem_path ? o.key_pem_path : sk_file ? sk_file : "?",
			o.cert_pem_path ? " and " : "", o.cert_pem_path ? o.cert_pem_path : "",
			upqr_status_name(rc), upqr_strerror(rc));
		return cli_exit_for(rc);
	}
	code = sign_stdin(s);
	upqr_signer_free(s);
	return code;
}

/* ---- verify ------------------------------------------------------------- */

static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

/* "@unix" or ISO 8601 "YYYY-MM-DDThh:mm:ss" followed by "Z" or "+hh:mm"/"-hh:mm". */
static bool parse_time(const char *s, int64_t *out)
{
	if (s[0] == '@') {
		char *end;
		errno = 0;
		long long v = strtoll(s + 1, &end, 10);
		*out = v;
		return s[1] && !*end && !errno;
	}
	int y, mo, d, h, mi, sec, n = 0;
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 || n != 19)
		return false;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 || y < 0 || mi < 0 || sec < 0 || h < 0)
		return false;
	const char *z = s + n;
	int off = 0;
	if (!strcmp(z, "Z")) {
		off = 0;
	} else {
		int oh, om, m = 0;
		if ((z[0] != '+' && z[0] != '-') || sscanf(z + 1, "%2d:%2d%n", &oh, &om, &m) != 2 || m != 5 ||
				z[6] || oh > 23 || om > 59 || oh < 0 || om < 0)
			return false;
		off = (z[0] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
	}
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
	return true;
}

typedef struct verify_args {
	upqr_verifier_options o;
	int64_t at;
	bool response;
	bool json;
	const char *sk_file;
} verify_args;

/* "5.1.0", "5.0.0" or both, comma-separated -> UPQR_ACCEPT_* bits. */
static bool parse_versions(const char *v, unsigned int *out)
{
	*out = 0;
	for (const char *p = v; *p;) {
		size_t n = strcspn(p, ",");
		if (n == 5 && !strncmp(p, "5.1.0", 5))
			*out |= UPQR_ACCEPT_5_1_0;
		else if (n == 5 && !strncmp(p, "5.0.0", 5))
			*out |= UPQR_ACCEPT_5_0_0;
		else
			return false;
		p += n + (p[n] == ',');
	}
	return *out != 0;
}

static int parse_verify_args(int argc, char **argv, verify_args *va)
{
	for (int i = 1, step; i < argc; i += step) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		step = 1;
		if (!strcmp(a, "--test-env")) {
			va->o.test_env = 1;
			continue;
		}
		if (!strcmp(a, "--cert-dir-unchecked")) {
			va->o.cert_dir_unchecked = 1;
			continue;
		}
		if (!strcmp(a, "--json")) {
			va->json = true;
			continue;
		}
		step = 2;
		if (!v)
			return cli_usage(VERIFY_USAGE, "%s needs a value", a);
		if (!strcmp(a, "--root"))
			va->o.root_cert_path = v;
		else if (!strcmp(a, "--middle"))
			va->o.middle_cert_path = v;
		else if (!strcmp(a, "--cert-dir"))
			va->o.cert_dir = v;
		else if (!strcmp(a, "--secure-key-file"))
			va->sk_file = v;
		else if (!strcmp(a, "--accept-versions") && parse_versions(v, &va->o.acp_versions))
			;
		else if (!strcmp(a, "--at") && parse_time(v, &va->at))
			;
		else if (!strcmp(a, "--format") && (!strcmp(v, "form") || !strcmp(v, "response")))
			va->response = !strcmp(v, "response");
		else
			return cli_usage(VERIFY_USAGE, "bad option or value: %s %s", a, v);
	}
	if (!!va->o.root_cert_path != !!va->o.middle_cert_path)
		return cli_usage(VERIFY_USAGE, "--root and --middle go together");
	if (!va->o.root_cert_path && !va->o.cert_dir && !va->sk_file)
		return cli_usage(VERIFY_USAGE, "give --root/--middle, --cert-dir or --secure-key-file");
	if (va->o.cert_dir && !va->o.root_cert_path && !va->o.cert_dir_unchecked)
		return cli_usage(VERIFY_USAGE, "--cert-dir certificates are chained to --root/--middle "
			"(test environment only: --test-env --cert-dir-unchecked)");
	if (va->o.cert_dir_unchecked && !va->o.test_env)
		return cli_usage(VERIFY_USAGE, "--cert-dir-unchecked needs --test-env");
	return CLI_OK;
}

/* A message that does not parse is not verified: said on out with the reasons. */
static int parse_message(upqr_acp_field *fields, size_t *count, char *scratch, const char *msg,
		size_t len, bool response, FILE *out)
{
	upqr_diag items[4];
	upqr_diag_list diags;
	upqr_diag_list_init(&diags, items, 4);
	int rc = response ? upqr_acp_parse_response(fields, UPQR_ACP_FIELDS_MAX, count, msg, len, &diags)
		: upqr_acp_parse_form(fields, UPQR_ACP_FIELDS_MAX, count, scratch, len, msg, len, &diags);
	if (rc) {
		fprintf(out, "not verified: %s: cannot parse the message\n", upqr_status_name(rc));
		cli_diag_print(out, &diags);
	}
	return rc;
}

/* Card numbers (by field name and by shape) are shown masked, never in full. */
static json_t *field_value_json(const upqr_acp_field *f)
{
	size_t n;
	char *masked = malloc(f->value_len + 1);
	if (!masked || upqr_acp_mask_field(masked, f->value_len + 1, &n, f) != UPQR_OK) {
		free(masked);
		return json_null();
	}
	json_t *j = cli_json_stringn(masked, n);
	free(masked);
	return j;
}

/* {"verified", "status", "error", "fields": {key: value}} */
static void print_json(const upqr_acp_field *fields, size_t count, int rc, const char *err)
{
	json_t *obj = json_object(), *fj = json_object();
	json_object_set_new(obj, "verified", json_boolean(rc == UPQR_OK));
	json_object_set_new(obj, "status", json_string(upqr_status_name(rc)));
	json_object_set_new(obj, "error", json_string(err));
	for (size_t i = 0; i < count; i++) {
		char *key = strndup(fields[i].key, fields[i].key_len);
		if (key)
			json_object_set_new(fj, key, field_value_json(&fields[i]));
		free(key);
	}
	json_object_set_new(obj, "fields", fj);
	cli_json_print(obj);
}

static int verify_stdin(upqr_verifier *v, const verify_args *va)
{
	size_t len, count = 0;
	char *msg = cli_read_arg("-", &len, true);
	if (!msg)
		return CLI_IO;
	char *scratch = malloc(len + 1);
	upqr_acp_field fields[UPQR_ACP_FIELDS_MAX];
	int code = CLI_IO;
	if (scratch) {
		int rc = parse_message(fields, &count, scratch, msg, len, va->response,
			va->json ? stderr : stdout);
		bool parsed = rc == UPQR_OK;
		if (parsed)
			rc = upqr_verifier_verify(v, fields, count, va->at);
		const char *err = *upqr_verifier_last_error(v) ? upqr_verifier_last_error(v) : upqr_strerror(rc);
		if (parsed && va->json)
			print_json(fields, count, rc, rc ? err : "");
		else if (!rc)
			printf("verified\n");
		else if (parsed) /* the words of the JSON: verified false, status, error */
			printf("not verified: %s: %s\n", upqr_status_name(rc), err);
		if (rc && parsed && va->json) /* a line for logs; stdout stays exact JSON */
			fprintf(stderr, "upqr: verify: %s: %s\n", upqr_status_name(rc), err);
		code = cli_exit_for(rc);
	}
	free(scratch);
	free(msg);
	return code;
}

int cli_cmd_verify(int argc, char **argv)
{
	verify_args va = { UPQR_VERIFIER_OPTIONS_INIT, UPQR_VERIFY_NOW, false, false, NULL };
	int code = parse_verify_args(argc, argv, &va);
	if (code)
		return code;
	size_t sk_len = 0;
	char *sk = va.sk_file ? read_secret(va.sk_file, &sk_len) : NULL;
	if (va.sk_file && !sk)
		return CLI_IO;
	va.o.secure_key = (const uint8_t *)sk;
	va.o.secure_key_len = sk_len;
	upqr_verifier *v = NULL;
	int rc = upqr_verifier_new(&v, &va.o);
	free_secret(sk, sk_len);
	if (rc) {
		fprintf(stderr, "upqr: verify: cannot load the trust configuration (%s%s%s%s%s): %s: %s\n",
			va.o.root_cert_path ? va.o.root_cert_path : "", va.o.root_cert_path ? ", " : "",
			va.o.middle_cert_path ? va.o.middle_cert_path : "",
			va.o.cert_dir && va.o.root_cert_path ? ", " : "", va.o.cert_dir ? va.o.cert_dir : "",
			upqr_status_name(rc), upqr_strerror(rc));
		return cli_exit_for(rc);
	}
	code = verify_stdin(v, &va);
	upqr_verifier_free(v);
	return code;
}
