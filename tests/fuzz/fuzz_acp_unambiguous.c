/*
 * fuzz_acp_unambiguous.c - differential: whatever parses (and so may verify)
 * means exactly one field set.
 *
 * Input: one byte choosing the format (even: raw response, odd: URL-encoded
 * form), then a message; optionally a second message after "\n--\n". For
 * every message that parses:
 *   - its string to sign S, parsed back by the brace-aware splitter, gives
 *     the same fields, key by key (so S stands for this set and no other);
 *   - signed with a secure key (signMethod 11), it verifies;
 *   - two messages with the same S are the same field set.
 */
#include <stdlib.h>
#include <string.h>

#include "upqr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static upqr_signer *signer;
static upqr_verifier *verifier;
static const uint8_t key[] = "fuzz secure key";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	upqr_signer_options so = UPQR_SIGNER_OPTIONS_INIT;
	so.sign_method = UPQR_ACP_SIGN_SHA256;
	so.secure_key = key;
	so.secure_key_len = sizeof key - 1;
	upqr_verifier_options vo = UPQR_VERIFIER_OPTIONS_INIT;
	vo.secure_key = key;
	vo.secure_key_len = sizeof key - 1;
	if (upqr_signer_new(&signer, &so) != UPQR_OK || upqr_verifier_new(&verifier, &vo) != UPQR_OK)
		abort();
	return 0;
}

typedef struct parsed {
	upqr_acp_field f[UPQR_ACP_FIELDS_MAX];
	size_t n;
	char *scratch;
	char *sts;
	size_t sts_len;
} parsed;

static bool field_eq(const upqr_acp_field *a, const upqr_acp_field *b)
{
	return a->key_len == b->key_len && !memcmp(a->key, b->key, a->key_len) &&
		a->value_len == b->value_len && (!a->value_len || !memcmp(a->value, b->value, a->value_len));
}

/* Fields other than `signature`, in the sorted order of the string to sign. */
static size_t signed_fields(const parsed *p, const upqr_acp_field **out)
{
	size_t m = 0;
	for (size_t i = 0; i < p->n; i++) {
		if (p->f[i].key_len == 9 && !memcmp(p->f[i].key, "signature", 9))
			continue;
		size_t j = m++;
		while (j > 0) {
			const upqr_acp_field *a = out[j - 1], *b = &p->f[i];
			size_t k = a->key_len < b->key_len ? a->key_len : b->key_len;
			int c = memcmp(a->key, b->key, k);
			if (c < 0 || (c == 0 && a->key_len < b->key_len))
				break;
			out[j] = out[j - 1];
			j--;
		}
		out[j] = &p->f[i];
	}
	return m;
}

/* Parses; on success checks that S parses back to the same fields. */
static bool parse_one(parsed *p, bool form, const char *msg, size_t len)
{
	int rc = form ? upqr_acp_parse_form(p->f, UPQR_ACP_FIELDS_MAX, &p->n, p->scratch, len + 1, msg, len, NULL)
		: upqr_acp_parse_response(p->f, UPQR_ACP_FIELDS_MAX, &p->n, msg, len, NULL);
	if (rc != UPQR_OK)
		return false;
	if (upqr_acp_check_unambiguous(p->f, p->n, NULL) != UPQR_OK)
		abort(); /* a parser let through what the rule refuses */
	if (upqr_acp_string_to_sign(p->sts, UPQR_ACP_MESSAGE_MAX + 1, &p->sts_len, p->f, p->n) != UPQR_OK)
		return false;
	upqr_acp_field back[UPQR_ACP_FIELDS_MAX];
	const upqr_acp_field *mine[UPQR_ACP_FIELDS_MAX];
	size_t nb, m = signed_fields(p, mine);
	/* S never starts with '{' (keys are identifiers), so no outer braces are stripped */
	if (upqr_acp_parse_response(back, UPQR_ACP_FIELDS_MAX, &nb, p->sts, p->sts_len, NULL) != UPQR_OK || nb != m)
		abort();
	for (size_t i = 0; i < m; i++)
		if (!field_eq(&back[i], mine[i]))
			abort();
	return true;
}

/* Signs the message's fields with signMethod 11; it must verify. */
static void sign_and_verify(const parsed *p)
{
	upqr_acp_field g[UPQR_ACP_FIELDS_MAX];
	size_t n = 0;
	bool has_method = false;
	for (size_t i = 0; i < p->n; i++) {
		const upqr_acp_field *f = &p->f[i];
		if (f->key_len == 9 && !memcmp(f->key, "signature", 9))
			continue;
		if (f->key_len == 10 && !memcmp(f->key, "signMethod", 10)) {
			if (f->value_len != 2 || memcmp(f->value, "11", 2))
				return;
			has_method = true;
		}
		g[n++] = *f;
	}
	if (!has_method) {
		if (n + 2 > UPQR_ACP_FIELDS_MAX)
			return;
		g[n++] = (upqr_acp_field){ "signMethod", 10, "11", 2 };
	}
	char sig[UPQR_ACP_SIGNATURE_MAX + 1];
	size_t sl;
	int rc = upqr_signer_sign(sig, sizeof sig, &sl, signer, g, n);
	if (rc == UPQR_ELIMIT)
		return;
	if (rc != UPQR_OK)
		abort(); /* the signer refused what the parser accepted */
	g[n++] = (upqr_acp_field){ "signature", 9, sig, sl };
	if (upqr_verifier_verify(verifier, g, n, UPQR_VERIFY_NOW) != UPQR_OK)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 64 * 1024)
		return 0;
	bool form = data[0] & 1;
	const char *msg = (const char *)data + 1;
	size_t len = size - 1, len2 = 0;
	const char *second = NULL;
	for (size_t i = 0; i + 4 <= len; i++) {
		if (!memcmp(msg + i, "\n--\n", 4)) {
			second = msg + i + 4;
			len2 = len - i - 4;
			len = i;
			break;
		}
	}
	static parsed a, b;
	static char sa[64 * 1024 + 1], sb[64 * 1024 + 1], ta[UPQR_ACP_MESSAGE_MAX + 1], tb[UPQR_ACP_MESSAGE_MAX + 1];
	a.scratch = sa;
	b.scratch = sb;
	a.sts = ta;
	b.sts = tb;
	if (!parse_one(&a, form, msg, len))
		return 0;
	sign_and_verify(&a);
	if (second && parse_one(&b, form, second, len2) && a.sts_len == b.sts_len &&
			!memcmp(a.sts, b.sts, a.sts_len)) {
		const upqr_acp_field *x[UPQR_ACP_FIELDS_MAX], *y[UPQR_ACP_FIELDS_MAX];
		size_t m = signed_fields(&a, x);
		if (signed_fields(&b, y) != m)
			abort();
		for (size_t i = 0; i < m; i++)
			if (!field_eq(x[i], y[i]))
				abort();
	}
	return 0;
}
