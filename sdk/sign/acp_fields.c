/*
 * acp_fields.c - ACP message fields: the two wire formats (raw responses and
 * URL-encoded forms), the string to sign and card-number masking. No
 * OpenSSL here, and no allocation.
 */
#include <string.h>

#include "sign_internal.h"

/* Deepest {…}/[…] nesting a response value may have. */
#define BRACKET_DEPTH_MAX 32

size_t upqr_acp_fields_max(void)
{
	return UPQR_ACP_FIELDS_MAX;
}

size_t upqr_acp_message_max(void)
{
	return UPQR_ACP_MESSAGE_MAX;
}

size_t upqr_acp_pan_max(void)
{
	return UPQR_ACP_PAN_MAX;
}

size_t upqr_acp_signature_max(void)
{
	return UPQR_ACP_SIGNATURE_MAX;
}

bool upqr__field_is(const upqr_acp_field *f, const char *name)
{
	size_t n = strlen(name);
	return f->key_len == n && memcmp(f->key, name, n) == 0;
}

bool upqr__value_is(const upqr_acp_field *f, const char *text)
{
	size_t n = strlen(text);
	return f->value_len == n && (n == 0 || memcmp(f->value, text, n) == 0);
}

const upqr_acp_field *upqr_acp_field_get(const upqr_acp_field *fields, size_t count,
		const char *key)
{
	if (!fields || !key)
		return NULL;
	for (size_t i = 0; i < count; i++)
		if (upqr__field_is(&fields[i], key))
			return &fields[i];
	return NULL;
}

/* Byte order, a shorter key first when it is a prefix (Java String order for ASCII). */
static int key_cmp(const upqr_acp_field *a, const upqr_acp_field *b)
{
	size_t n = a->key_len < b->key_len ? a->key_len : b->key_len;
	int c = n ? memcmp(a->key, b->key, n) : 0;
	if (c)
		return c;
	return (a->key_len > b->key_len) - (a->key_len < b->key_len);
}

/*
 * One signed string, one field set.
 *
 * UnionPay's string to sign joins `k=v` with '&' and escapes nothing, while
 * forms percent-decode "%26" and "%3D": left alone, a decoded key or value
 * holding '&' or '=' lets two field sets share one string to sign, and a
 * genuinely signed message can be re-grouped (a field folded into the value
 * before it or the key after it) and still verify. The rule (spec §2.1,
 * §2.4, §6.1):
 *
 *   R1  a key is an ASCII identifier [A-Za-z][A-Za-z0-9_]*, as every ACP
 *       field name is;
 *   R2  in a value, every '}' or ']' closes the bracket opened last and
 *       every bracket is closed by the end (respMsg=成功[0000000] is fine);
 *       a value holding '&' is exactly one composite: it opens with '{' or
 *       '[' and its depth first returns to zero at its last byte
 *       (UnionPay's own composites: reserved={k=v&k=v}, riskRateInfo={...}).
 *
 * Claim: a field set that keeps R1 and R2 is the only such set with its
 * string to sign S. Parse S as the brace-aware splitter of §2.4 does: at
 * depth 0 split on '&', then split each piece on its first '='. Walk S field
 * by field. A piece starts at depth 0 with a key, which by R1 holds no '=',
 * '&' or bracket, so the first '=' of the piece ends the key (an '=' inside
 * a value is harmless: it comes after that first '=', so it never moves the
 * split). By R2 the value's brackets balance, so the depth is 0 again at its
 * end, and any '&' in it sits at depth >= 1 (it is one composite), so no '&'
 * inside the value splits: the next '&' at depth 0 is the separator the join
 * wrote. Hence the parse of S returns the
 * field set itself, key by key in sorted order. Any other set that keeps R1
 * and R2 and has the same S also equals that parse, so it is the same set.
 * Re-grouped sets need a '&' or '=' in a key, or a '&' outside brackets in
 * a value, and are refused by R1/R2.
 */
/* The bytes R2 looks at. */
static const char ambig_special[] = "&{}[]";

/*
 * Whether v holds any of them. Runs over every byte of every verified
 * message (a 1.3 KB certificate among them): one vectorised memchr per
 * byte value is several times faster than a byte loop.
 */
static bool has_special(const char *v, size_t n)
{
	for (size_t k = 0; k < sizeof ambig_special - 1; k++)
		if (memchr(v, ambig_special[k], n))
			return true;
	return false;
}

static bool key_is_identifier(const char *k, size_t n)
{
	if (n == 0 || !((k[0] >= 'A' && k[0] <= 'Z') || (k[0] >= 'a' && k[0] <= 'z')))
		return false;
	for (size_t i = 1; i < n; i++) {
		unsigned char c = (unsigned char)k[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

/* R2: NULL when the value's brackets nest and any '&' is inside one wrapping composite, else why not. */
static const char *value_ambiguity(const char *v, size_t n)
{
	if (!n || !has_special(v, n))
		return NULL;
	bool amp = memchr(v, '&', n) != NULL;
	if (amp && v[0] != '{' && v[0] != '[')
		return "its value holds '&' but is not one {...} or [...]";
	char stack[BRACKET_DEPTH_MAX];
	size_t depth = 0;
	for (size_t i = 0; i < n; i++) {
		char c = v[i];
		if (c == '{' || c == '[') {
			if (depth == BRACKET_DEPTH_MAX)
				return "its value nests brackets too deep";
			stack[depth++] = c == '{' ? '}' : ']';
		} else if (c == '}' || c == ']') {
			if (!depth || c != stack[depth - 1])
				return "its value closes a bracket it did not open";
			if (--depth == 0 && amp && i != n - 1)
				return "its value holds '&' and continues after its closing bracket";
		}
	}
	return depth ? "its value leaves a bracket open" : NULL;
}

static const char *field_ambiguity(const upqr_acp_field *f)
{
	if (!key_is_identifier(f->key, f->key_len))
		return "its name is not an ASCII identifier [A-Za-z][A-Za-z0-9_]*";
	return value_ambiguity(f->value, f->value_len);
}

static void put_masked(upqr__buf *b, const char *v, size_t n, size_t min_digits);

void upqr__key_label(char *out, size_t cap, const char *key, size_t len)
{
	/* A refused key is attacker text: no control bytes, and no card number either. */
	char masked[64];
	upqr__buf b;
	upqr__buf_init(&b, masked, sizeof masked);
	put_masked(&b, key, len < sizeof masked ? len : sizeof masked, 12);
	size_t m = b.len < sizeof masked ? b.len : sizeof masked, o = 0;
	for (size_t i = 0; i < m && o + 4 < cap; i++) {
		unsigned char c = (unsigned char)masked[i];
		out[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (o < len) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = 0;
}

int upqr__fields_ambiguity(const upqr_acp_field *fields, size_t count, size_t *bad, const char **why)
{
	for (size_t i = 0; i < count; i++) {
		const upqr_acp_field *f = &fields[i];
		const char *w = (!f->key && f->key_len) || (!f->value && f->value_len) ? "it is a NULL view"
			: field_ambiguity(f);
		if (w) {
			*bad = i;
			*why = w;
			return UPQR_EAMBIGUOUS;
		}
	}
	return UPQR_OK;
}

/* Adds the diagnostic for field bad at offset (from parsers) and returns UPQR_EAMBIGUOUS. */
static int ambiguity_diag(upqr_diag_list *diags, const upqr_acp_field *f, const char *why,
		size_t offset)
{
	char label[44];
	upqr__key_label(label, sizeof label, f->key ? f->key : "", f->key ? f->key_len : 0);
	upqr__diag_add(diags, UPQR_SEV_ERROR, "ambiguous_field", offset, "",
		"field '%s': %s", label, why);
	return UPQR_EAMBIGUOUS;
}

int upqr__refuse_ambiguous(char *err, const upqr_acp_field *fields, size_t count)
{
	size_t bad;
	const char *why;
	if (!fields && count)
		return UPQR_EINVAL;
	if (!upqr__fields_ambiguity(fields, count, &bad, &why))
		return UPQR_OK;
	char label[44];
	upqr__key_label(label, sizeof label, fields[bad].key ? fields[bad].key : "", fields[bad].key ? fields[bad].key_len : 0);
	return upqr__set_error(err, UPQR_EAMBIGUOUS, "field %zu ('%s'): %s", bad, label, why);
}

int upqr_acp_check_unambiguous(const upqr_acp_field *fields, size_t count, upqr_diag_list *diags)
{
	if (!fields && count)
		return UPQR_EINVAL;
	size_t bad;
	const char *why;
	if (upqr__fields_ambiguity(fields, count, &bad, &why))
		return ambiguity_diag(diags, &fields[bad], why, bad);
	return UPQR_OK;
}

/*
 * Records a field; rejects empty and duplicate keys (a duplicate makes "what
 * was signed" ambiguous) and fields that break the one-string-one-set rule.
 */
static int add_field(upqr_acp_field *fields, size_t cap, size_t *count, upqr_acp_field f,
		size_t offset, upqr_diag_list *diags)
{
	if (f.key_len == 0) {
		upqr__diag_add(diags, UPQR_SEV_ERROR, "empty_key", offset, "", "a field has no name");
		return UPQR_EINVALID;
	}
	/* First the rule: after it a key is an identifier, safe to quote in a message. */
	const char *why = field_ambiguity(&f);
	if (why)
		return ambiguity_diag(diags, &f, why, offset);
	for (size_t i = 0; i < *count; i++) {
		if (key_cmp(&fields[i], &f) == 0) {
			upqr__diag_add(diags, UPQR_SEV_ERROR, "duplicate_key", offset, "",
				"field '%.*s' appears twice", (int)(f.key_len > 40 ? 40 : f.key_len), f.key);
			return UPQR_EINVALID;
		}
	}
	if (*count >= cap) {
		upqr__diag_add(diags, UPQR_SEV_ERROR, "too_many_fields", offset, "",
			"more than %zu fields", cap);
		return UPQR_ELIMIT;
	}
	fields[(*count)++] = f;
	return UPQR_OK;
}

static int check_args(const upqr_acp_field *fields, size_t cap, const size_t *count,
		const char *body, size_t len, upqr_diag_list *diags)
{
	if ((!fields && cap) || !count || (!body && len))
		return UPQR_EINVAL;
	if (len > UPQR_ACP_MESSAGE_MAX) {
		upqr__diag_add(diags, UPQR_SEV_ERROR, "message_too_long", 0, "",
			"%zu bytes, at most %u", len, UPQR_ACP_MESSAGE_MAX);
		return UPQR_ELIMIT;
	}
	return UPQR_OK;
}

/*
 * End of the value starting at body[i]: the next '&' outside brackets.
 * Brackets nest and must balance, else the split would be a guess.
 */
static int value_end(const char *body, size_t len, size_t i, size_t *end, upqr_diag_list *diags)
{
	char stack[BRACKET_DEPTH_MAX];
	size_t depth = 0, open_at = i;
	for (; i < len; i++) {
		char c = body[i];
		if (c == '{' || c == '[') {
			if (depth == BRACKET_DEPTH_MAX) {
				upqr__diag_add(diags, UPQR_SEV_ERROR, "brackets_too_deep", i, "",
					"more than %d nested brackets", BRACKET_DEPTH_MAX);
				return UPQR_ELIMIT;
			}
			if (depth == 0)
				open_at = i;
			stack[depth++] = c == '{' ? '}' : ']';
		} else if (depth && c == stack[depth - 1]) {
			depth--;
		} else if (!depth && c == '&') {
			break;
		}
	}
	if (depth) {
		upqr__diag_add(diags, UPQR_SEV_ERROR, "unbalanced_brackets", open_at, "",
			"a '{' or '[' in a value is never closed");
		return UPQR_EINVALID;
	}
	*end = i;
	return UPQR_OK;
}

int upqr_acp_parse_response(upqr_acp_field *fields, size_t cap, size_t *count,
		const char *body, size_t len, upqr_diag_list *diags)
{
	int rc = check_args(fields, cap, count, body, len, diags);
	if (rc)
		return rc;
	*count = 0;
	const char *nul = len ? memchr(body, 0, len) : NULL;
	if (nul) {
		upqr__diag_add(diags, UPQR_SEV_ERROR, "nul_byte", (size_t)(nul - body), "",
			"NUL bytes are not allowed");
		return UPQR_EINVALID;
	}
	size_t base = 0;
	if (len >= 2 && body[0] == '{' && body[len - 1] == '}') {
		base = 1;
		len--;
	}
	for (size_t i = base; i < len;) {
		upqr_acp_field f = { body + i, 0, body + i, 0 };
		size_t start = i;
		while (i < len && body[i] != '=' && body[i] != '&')
			i++;
		f.key_len = i - start;
		size_t end = i;
		if (i < len && body[i] == '=') {
			rc = value_end(body, len, i + 1, &end, diags);
			if (rc)
				return rc;
			f.value = body + i + 1;
			f.value_len = end - (i + 1);
		}
		rc = add_field(fields, cap, count, f, start, diags);
		if (rc)
			return rc;
		i = end + 1;
	}
	return UPQR_OK;
}

/* Decodes one form component into scratch; false on a bad escape. */
static bool form_decode(const char *in, size_t n, char *dst, size_t *dst_len, size_t base,
		upqr_diag_list *diags)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		char c = in[i];
		if (c == '+') {
			c = ' ';
		} else if (c == 0) {
			upqr__diag_add(diags, UPQR_SEV_ERROR, "nul_byte", base + i, "", "NUL bytes are not allowed");
			return false;
		} else if (c == '%') {
			int hi = i + 2 < n ? upqr__hexval((unsigned char)in[i + 1]) : -1;
			int lo = hi >= 0 ? upqr__hexval((unsigned char)in[i + 2]) : -1;
			if (hi < 0 || lo < 0 || (hi | lo) == 0) {
				upqr__diag_add(diags, UPQR_SEV_ERROR, hi < 0 || lo < 0 ? "bad_percent_escape" : "nul_byte",
					base + i, "", hi < 0 || lo < 0 ? "'%%' must be followed by two hex digits" :
					"%%00 is not allowed");
				return false;
			}
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		dst[o++] = c;
	}
	*dst_len = o;
	return true;
}

int upqr_acp_parse_form(upqr_acp_field *fields, size_t cap, size_t *count,
		char *scratch, size_t scratch_cap, const char *body, size_t len,
		upqr_diag_list *diags)
{
	int rc = check_args(fields, cap, count, body, len, diags);
	if (rc)
		return rc;
	*count = 0;
	if (!scratch || scratch_cap < len)
		return UPQR_EBUFSIZE;
	size_t used = 0;
	for (size_t i = 0; i < len;) {
		size_t start = i, eq = len, end;
		for (end = i; end < len && body[end] != '&'; end++)
			if (body[end] == '=' && eq == len)
				eq = end;
		i = end + 1;
		if (end == start)
			continue; /* "a=1&&b=2": browsers and Go skip empty pairs */
		size_t klen_raw = (eq < end ? eq : end) - start;
		upqr_acp_field f = { scratch + used, 0, NULL, 0 };
		if (!form_decode(body + start, klen_raw, scratch + used, &f.key_len, start, diags))
			return UPQR_EINVALID;
		used += f.key_len;
		f.value = scratch + used;
		if (eq < end) {
			if (!form_decode(body + eq + 1, end - eq - 1, scratch + used, &f.value_len, eq + 1, diags))
				return UPQR_EINVALID;
			used += f.value_len;
		}
		rc = add_field(fields, cap, count, f, start, diags);
		if (rc)
			return rc;
	}
	return UPQR_OK;
}

static bool unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		c == '-' || c == '.' || c == '_' || c == '~';
}

static void put_escaped(upqr__buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (unreserved(c)) {
			upqr__buf_putc(b, c);
		} else {
			uint8_t e[3] = { '%', (uint8_t)hex[c >> 4], (uint8_t)hex[c & 15] };
			upqr__buf_put(b, e, 3);
		}
	}
}

static bool fields_ok(const upqr_acp_field *fields, size_t count)
{
	if (!fields && count)
		return false;
	for (size_t i = 0; i < count; i++)
		if ((!fields[i].key && fields[i].key_len) || (!fields[i].value && fields[i].value_len))
			return false;
	return count <= UPQR_ACP_FIELDS_MAX;
}

int upqr_acp_form_encode(char *out, size_t cap, size_t *written,
		const upqr_acp_field *fields, size_t count)
{
	UPQR__OPTIONAL_WRITTEN(written);
	if (!fields_ok(fields, count))
		return UPQR_EINVAL;
	upqr__buf b;
	upqr__buf_init(&b, out, cap);
	for (size_t i = 0; i < count; i++) {
		if (i)
			upqr__buf_putc(&b, '&');
		put_escaped(&b, fields[i].key, fields[i].key_len);
		upqr__buf_putc(&b, '=');
		put_escaped(&b, fields[i].value, fields[i].value_len);
	}
	return upqr__buf_finish(&b, written, true);
}

/* Indices of the fields to sign, sorted by key (insertion sort: n <= 128). */
static int sorted_index(size_t *idx, size_t *n, const upqr_acp_field *fields, size_t count)
{
	*n = 0;
	for (size_t i = 0; i < count; i++) {
		if (upqr__field_is(&fields[i], "signature"))
			continue;
		size_t j = (*n)++;
		while (j > 0 && key_cmp(&fields[idx[j - 1]], &fields[i]) > 0) {
			idx[j] = idx[j - 1];
			j--;
		}
		if (j > 0 && key_cmp(&fields[idx[j - 1]], &fields[i]) == 0)
			return UPQR_EINVALID;
		idx[j] = i;
	}
	return UPQR_OK;
}

int upqr__string_to_sign_each(const upqr_acp_field *fields, size_t count,
		void (*emit)(void *arg, const void *piece, size_t len), void *arg)
{
	size_t idx[UPQR_ACP_FIELDS_MAX], n, total = 0;
	if (!fields_ok(fields, count))
		return UPQR_EINVAL;
	int rc = sorted_index(idx, &n, fields, count);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++)
		total += fields[idx[i]].key_len + fields[idx[i]].value_len + 2;
	if (total > UPQR_ACP_MESSAGE_MAX)
		return UPQR_ELIMIT;
	for (size_t i = 0; i < n; i++) {
		const upqr_acp_field *f = &fields[idx[i]];
		if (i)
			emit(arg, "&", 1);
		emit(arg, f->key, f->key_len);
		emit(arg, "=", 1);
		emit(arg, f->value, f->value_len);
	}
	return UPQR_OK;
}

static void emit_buf(void *arg, const void *piece, size_t len)
{
	upqr__buf_put(arg, piece, len);
}

int upqr_acp_string_to_sign(char *out, size_t cap, size_t *written,
		const upqr_acp_field *fields, size_t count)
{
	UPQR__OPTIONAL_WRITTEN(written);
	upqr__buf b;
	upqr__buf_init(&b, out, cap);
	int rc = upqr__string_to_sign_each(fields, count, emit_buf, &b);
	return rc ? rc : upqr__buf_finish(&b, written, true);
}

int upqr_acp_mask_pan(char *out, size_t cap, size_t *written, const char *pan, size_t len)
{
	UPQR__OPTIONAL_WRITTEN(written);
	if ((!pan && len))
		return UPQR_EINVAL;
	upqr__buf b;
	upqr__buf_init(&b, out, cap);
	for (size_t i = 0; i < len; i++) {
		bool keep = len >= 13 && (i < 6 || i >= len - 4);
		upqr__buf_putc(&b, keep ? (uint8_t)pan[i] : '*');
	}
	return upqr__buf_finish(&b, written, true);
}

/*
 * Card numbers for display. By name: accNo, payCardNo, any *CardNo /
 * *CardNumber / *AccNo / *Pan key (camelCase) and pan/cardNo themselves.
 * By shape, in any field: 12 or more digits, alone or in groups joined by
 * single spaces or dashes ("6222 0212 3456 7890"), except in the ACP
 * fields whose long numbers are never cards (times, serials, ids a merchant
 * needs in full to query or refund). A matched number keeps its first 6 and
 * last 4 digits when it has 13 or more, else loses all.
 */
#define CARD_DIGITS_BY_SHAPE 12
#define CARD_DIGITS_BY_NAME 8

static bool ieq(const char *a, size_t n, const char *b)
{
	if (strlen(b) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char x = a[i], y = b[i];
		x = (char)(x >= 'A' && x <= 'Z' ? x + 32 : x);
		y = (char)(y >= 'A' && y <= 'Z' ? y + 32 : y);
		if (x != y)
			return false;
	}
	return true;
}

static bool ends_with(const char *k, size_t n, const char *suffix)
{
	size_t m = strlen(suffix);
	return n > m && !memcmp(k + n - m, suffix, m);
}

static bool card_key(const char *k, size_t n)
{
	static const char *const names[] = { "accNo", "pan", "cardNo", "cardNumber", "primaryAccountNumber" };
	static const char *const suffixes[] = { "CardNo", "CardNumber", "AccNo", "Pan", "PAN" };
	for (size_t i = 0; i < UPQR__ARRAY_LEN(names); i++)
		if (ieq(k, n, names[i]))
			return true;
	for (size_t i = 0; i < UPQR__ARRAY_LEN(suffixes); i++)
		if (ends_with(k, n, suffixes[i]))
			return true;
	return false;
}

static bool never_card(const char *k, size_t n)
{
	static const char *const names[] = { "txnTime", "origTxnTime", "traceTime", "payTimeout", "queryId",
		"origQryId", "merId", "certId", "encryptCertId", "orderId", "origOrderId", "acqInsCode",
		"txnAmt", "settleAmt", "exchangeRate" };
	for (size_t i = 0; i < UPQR__ARRAY_LEN(names); i++)
		if (strlen(names[i]) == n && !memcmp(k, names[i], n))
			return true;
	return false;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* End (one past the last digit) of the digit group starting at v[i]; *digits counts them. */
static size_t digit_group(const char *v, size_t n, size_t i, size_t *digits)
{
	size_t end = i;
	*digits = 0;
	while (i < n) {
		if (is_digit(v[i])) {
			(*digits)++;
			end = ++i;
		} else if ((v[i] == ' ' || v[i] == '-') && i + 1 < n && is_digit(v[i + 1])) {
			i++;
		} else {
			break;
		}
	}
	return end;
}

static void put_masked(upqr__buf *b, const char *v, size_t n, size_t min_digits)
{
	for (size_t i = 0; i < n;) {
		if (!is_digit(v[i])) {
			upqr__buf_putc(b, (uint8_t)v[i++]);
			continue;
		}
		size_t digits, end = digit_group(v, n, i, &digits), d = 0;
		for (; i < end; i++) {
			bool keep = digits < min_digits || !is_digit(v[i]) ||
				(digits >= 13 && (d < 6 || d >= digits - 4));
			d += is_digit(v[i]);
			upqr__buf_putc(b, keep ? (uint8_t)v[i] : '*');
		}
	}
}

int upqr_acp_mask_field(char *out, size_t cap, size_t *written, const upqr_acp_field *f)
{
	UPQR__OPTIONAL_WRITTEN(written);
	if (!f || (!f->key && f->key_len) || (!f->value && f->value_len))
		return UPQR_EINVAL;
	upqr__buf b;
	upqr__buf_init(&b, out, cap);
	bool by_name = f->key && card_key(f->key, f->key_len);
	if (f->key && !by_name && never_card(f->key, f->key_len))
		upqr__buf_put(&b, f->value, f->value_len);
	else
		put_masked(&b, f->value ? f->value : "", f->value_len,
			by_name ? CARD_DIGITS_BY_NAME : CARD_DIGITS_BY_SHAPE);
	return upqr__buf_finish(&b, written, true);
}
