/*
 * mpm_decode.c - one bounded pass over an MPM payload: structure, per-object
 * rules, named fields and the CRC, all while walking the bytes once.
 *
 * Speed matters here (a wallet decodes every frame the camera sees), so the
 * happy path does no formatting and no strlen: a 256-entry class table tells
 * every format of a byte in one lookup, the CRC is fed object by object as
 * the walk goes, and messages are formatted only when a problem is found.
 */
#include <stdio.h>
#include <string.h>

#include "mpm_internal.h"

/* Character classes: one lookup answers N, ans and ASCII at once. */
#define C_NOT_DIGIT 1u
#define C_NOT_ANS 2u   /* outside 0x20..0x7E, the EMV common character set */
#define C_NONASCII 4u

#define X4(v) v, v, v, v
#define X16(v) X4(v), X4(v), X4(v), X4(v)
static const uint8_t cls[256] = {
	X16(3), X16(3),                                  /* 0x00..0x1F controls */
	X16(1),                                          /* 0x20..0x2F */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1,  /* 0x30..0x3F: digits */
	X16(1), X16(1), X16(1),                          /* 0x40..0x6F */
	X4(1), X4(1), X4(1), 1, 1, 1, 3,                 /* 0x70..0x7F (DEL) */
	X16(7), X16(7), X16(7), X16(7), X16(7), X16(7), X16(7), X16(7)
};

unsigned upqr__mpm_class(uint8_t b)
{
	return cls[b];
}

/*
 * Eight bytes at a time: with every byte below 0x80 (else the answer is all
 * three bits anyway), the classic has-less / has-zero / has-more word
 * tricks tell exactly whether any byte is a control, DEL, below '0' or
 * above '9' (no carry crosses a byte: bytes < 0x80, constants <= 0x80).
 */
#define ONES UINT64_C(0x0101010101010101)
#define HIGH UINT64_C(0x8080808080808080)
#define HAS_LESS(x, n) (((x) - ONES * (n)) & ~(x))
#define HAS_ZERO(x) HAS_LESS(x, 1)
#define HAS_MORE(x, n) (((x) + ONES * (127 - (n))) | (x))

/* The class bits of the eight bytes in x (never more than one word's worth of work). */
static inline void word_classes(uint64_t x, uint64_t *any, uint64_t *ctl, uint64_t *nd)
{
	*any |= x;
	*ctl |= HAS_LESS(x, 0x20) | HAS_ZERO(x ^ (ONES * 0x7F));
	*nd |= HAS_LESS(x, 0x30) | HAS_MORE(x, 0x39);
}

/* The class bits that words folded into any, ctl and nd stand for. */
static inline unsigned word_result(uint64_t any, uint64_t ctl, uint64_t nd)
{
	if (any & HIGH)
		return C_NOT_DIGIT | C_NOT_ANS | C_NONASCII;
	return (ctl & HIGH ? C_NOT_DIGIT | C_NOT_ANS : 0u) | (nd & HIGH ? C_NOT_DIGIT : 0u);
}

/* Characters that start in the word: bytes that are not UTF-8 continuations (10xxxxxx). */
static inline unsigned word_leads(uint64_t x)
{
	uint64_t cont = x & ~(x << 1) & HIGH;
	return 8u - (unsigned)(((cont >> 7) * ONES) >> 56);
}

static inline unsigned classes(const uint8_t *s, size_t n)
{
	uint64_t any = 0, ctl = 0, nd = 0, x;
	uint32_t a, b;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		memcpy(&x, s + i, 8);
		word_classes(x, &any, &ctl, &nd);
	}
	/* The rest (most values are shorter than a word) as one word of overlapping loads. */
	unsigned acc = 0;
	if (i < n && n >= 8) {
		memcpy(&x, s + n - 8, 8);
		word_classes(x, &any, &ctl, &nd);
	} else if (i < n && n >= 4) {
		memcpy(&a, s, 4);
		memcpy(&b, s + n - 4, 4);
		word_classes((uint64_t)a | (uint64_t)b << 32, &any, &ctl, &nd);
	} else {
		for (; i < n; i++)
			acc |= cls[s[i]];
	}
	return acc | word_result(any, ctl, nd);
}

unsigned upqr__mpm_classes(const uint8_t *s, size_t n)
{
	return classes(s, n);
}

static const uint8_t fmt_mask[3] = {
	[MPM_FMT_S] = 0,
	[MPM_FMT_ANS] = C_NOT_ANS | C_NONASCII,
	[MPM_FMT_N] = C_NOT_DIGIT | C_NOT_ANS | C_NONASCII,
};

/*
 * The per-object steps of the walk are called from two loops and inlined
 * into both; the entry point is flattened (everything it calls in this file
 * inlined into it): about a tenth of the time of a 250-byte decode is calls.
 */
#if defined(__GNUC__)
# define HOT_INLINE inline __attribute__((always_inline))
# define FLATTEN __attribute__((flatten))
#else
# define HOT_INLINE inline
# define FLATTEN
#endif

#define NO_OFFSET ((size_t)-1)
#define MAX_DEPTH 3

typedef struct dctx {
	upqr_mpm_payload *p;
	const uint8_t *in;
	size_t len;
	upqr_diag_list *d;
	const upqr_mpm_profile *prof;
	bool generating;
	upqr_mpm_account *acct;   /* entry whose template children are being read */
	uint8_t ids[MAX_DEPTH];   /* ID path of the object being checked */
	size_t depth;
} dctx;

/* The result of walking one value. */
typedef struct walk {
	size_t bytes;
	size_t chars;
	unsigned acc;             /* OR of the class bits of every byte */
	bool overrun;
	size_t bad_utf8;          /* offset of the first invalid byte, or NO_OFFSET */
} walk;

static void report(dctx *c, upqr_severity sev, const char *code, size_t off,
		size_t depth, const char *fmt, ...) UPQR__PRINTF(6, 7);

static void report(dctx *c, upqr_severity sev, const char *code, size_t off,
		size_t depth, const char *fmt, ...)
{
	char path[UPQR_DIAG_PATH_MAX];
	if (c->d->count >= c->d->capacity) {
		/* Only counted: skip the formatting (callers without a list pay nothing). */
		upqr__diag_add(c->d, sev, code, off, "", "%s", "");
		return;
	}
	upqr__mpm_path(path, c->ids, depth);
	va_list ap;
	va_start(ap, fmt);
	upqr__diag_addv(c->d, sev, code, off, path, fmt, ap);
	va_end(ap);
}

static size_t off_of(const dctx *c, const void *p)
{
	return (size_t)((const uint8_t *)p - c->in);
}

static upqr_mpm_str view(const upqr_mpm_object *o)
{
	upqr_mpm_str s = { o->value, o->value_len };
	return s;
}

static bool is_digit(uint8_t b)
{
	return b >= '0' && b <= '9';
}

static unsigned two_digits(const uint8_t *s)
{
	return (unsigned)(s[0] - '0') * 10u + (unsigned)(s[1] - '0');
}

/*
 * Offset in s[0..n) of the first byte that is not well-formed UTF-8
 * (Unicode Table 3-7: no overlong forms, no surrogates, nothing above
 * U+10FFFF), or NO_OFFSET. Inline here because it runs on every non-ASCII
 * root value.
 */
static size_t utf8_bad(const uint8_t *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint8_t b = s[i];
		if (b < 0x80) {
			i++;
			continue;
		}
		size_t len = b >= 0xC2 && b <= 0xDF ? 2 : b >= 0xE0 && b <= 0xEF ? 3 :
			b >= 0xF0 && b <= 0xF4 ? 4 : 0;
		if (len == 0 || n - i < len)
			return i;
		uint8_t lo = 0x80, hi = 0xBF;
		if (b == 0xE0)
			lo = 0xA0;
		else if (b == 0xED)
			hi = 0x9F;
		else if (b == 0xF0)
			lo = 0x90;
		else if (b == 0xF4)
			hi = 0x8F;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return i;
		for (size_t k = 2; k < len; k++)
			if ((s[i + k] & 0xC0) != 0x80)
				return i;
		i += len;
	}
	return NO_OFFSET;
}

/*
 * Walks `chars` characters from pos without passing end. A character
 * starts at every byte that is not a continuation byte (10xxxxxx), so the
 * end is found by counting lead bytes; validity is checked once, on root
 * values (children lie inside them).
 */
static HOT_INLINE walk walk_value(const dctx *c, size_t pos, size_t end, unsigned chars)
{
	walk w = { 0, 0, 0, false, NO_OFFSET };
	const uint8_t *s = c->in + pos;
	size_t avail = end - pos;
	size_t n = chars < avail ? chars : avail;
	w.acc = classes(s, n);
	/* All ASCII, and not followed by a stray continuation byte of the last character. */
	if (!(w.acc & C_NONASCII) && (n == avail || (s[n] & 0xC0) != 0x80)) {
		w.bytes = w.chars = n;
		w.overrun = chars > avail;
		return w;
	}
	size_t i = 0, k = 0;
	uint64_t any = 0, ctl = 0, nd = 0, x;
	/* Whole words while every character starting in them is still wanted. */
	for (; avail - i >= 8; i += 8) {
		memcpy(&x, s + i, 8);
		unsigned leads = word_leads(x);
		if (k + leads > chars)
			break;
		k += leads;
		word_classes(x, &any, &ctl, &nd);
	}
	w.acc = word_result(any, ctl, nd);
	for (; i < avail; i++) {
		uint8_t b = s[i];
		if ((b & 0xC0) != 0x80) {
			if (k == chars)
				break;
			k++;
		}
		w.acc |= cls[b];
	}
	w.bytes = i;
	w.chars = k;
	w.overrun = k < chars;
	if (c->depth == 0)
		w.bad_utf8 = utf8_bad(s, i);
	if (w.bad_utf8 != NO_OFFSET)
		w.bad_utf8 += pos;
	return w;
}

/*
 * Reads the 4-character header at pos. Returns false (after reporting)
 * when the list cannot be read further.
 */
/* Four ASCII digits, tested as one word: every high nibble 3 and no low nibble above 9. */
static bool four_digits(const uint8_t *s)
{
	uint32_t x;
	memcpy(&x, s, 4);
	return (x & 0xF0F0F0F0u) == 0x30303030u && ((x + 0x06060606u) & 0xF0F0F0F0u) == 0x30303030u;
}

static HOT_INLINE bool read_header(dctx *c, size_t pos, size_t end, unsigned *id, unsigned *len)
{
	const uint8_t *s = c->in + pos;
	size_t avail = end - pos;
	if (avail >= 4 && four_digits(s) && (s[2] != '0' || s[3] != '0')) {
		*id = two_digits(s);
		*len = two_digits(s + 2);
		c->ids[c->depth] = (uint8_t)*id;
		return true;
	}
	if ((avail > 0 && !is_digit(s[0])) || (avail > 1 && !is_digit(s[1]))) {
		report(c, UPQR_SEV_ERROR, MPM_D_BAD_ID, pos, c->depth,
			"data object ID must be two digits");
		return false;
	}
	if (avail < 4) {
		report(c, UPQR_SEV_ERROR, MPM_D_LENGTH_OVERRUN, pos, c->depth,
			"data object header cut short: %zu of 4 characters present", avail);
		return false;
	}
	*id = two_digits(s);
	c->ids[c->depth] = (uint8_t)*id;
	if (!is_digit(s[2]) || !is_digit(s[3]) || two_digits(s + 2) == 0) {
		report(c, UPQR_SEV_ERROR, MPM_D_BAD_LENGTH, pos + 2, c->depth + 1,
			"length of ID %02u must be two digits from 01 to 99", *id);
		return false;
	}
	*len = two_digits(s + 2);
	return true;
}

/* Offset of the first byte of o's value outside the format, for the message. */
static size_t first_bad(const upqr_mpm_object *o, unsigned mask)
{
	const uint8_t *v = (const uint8_t *)o->value;
	for (size_t i = 0; i < o->value_len; i++)
		if (cls[v[i]] & mask)
			return i;
	return 0;
}

static void check_generic(dctx *c, const upqr_mpm_object *o, const walk *w,
		const upqr_mpm_field_info *r)
{
	size_t at = c->depth + 1;
	if (w->bad_utf8 != NO_OFFSET && c->depth == 0)
		report(c, UPQR_SEV_ERROR, MPM_D_BAD_UTF8, w->bad_utf8, at,
			"invalid UTF-8 in the value of ID %02u", o->id);
	if (o->length < r->min_chars || o->length > r->max_chars) {
		if (r->min_chars == r->max_chars)
			report(c, UPQR_SEV_ERROR, MPM_D_LENGTH_LIMIT, o->offset + 2, at,
				"length %02u where exactly %02u is required", o->length, r->max_chars);
		else
			report(c, UPQR_SEV_ERROR, MPM_D_LENGTH_LIMIT, o->offset + 2, at,
				"length %02u exceeds the maximum of %02u", o->length, r->max_chars);
	}
	if (w->overrun) {
		report(c, UPQR_SEV_ERROR, MPM_D_LENGTH_OVERRUN, o->offset, at,
			"value of %u characters runs past the end (%zu present)",
			(unsigned)o->length, w->chars);
		return;
	}
	if (w->acc & fmt_mask[r->format]) {
		static const char *const what[] = { "", "ans (0x20..0x7E)", "digits" };
		size_t i = first_bad(o, fmt_mask[r->format]);
		report(c, UPQR_SEV_ERROR, MPM_D_BAD_FORMAT, o->offset + 4 + i, at,
			"ID %02u must hold %s only", o->id, what[r->format]);
	}
	if (r->flags & UPQR_MPM_FIELD_RFU) {
		bool err = c->generating && (c->prof->flags & UPQR_MPM_PF_RFU_ERROR_ON_GENERATE);
		report(c, err ? UPQR_SEV_ERROR : UPQR_SEV_WARNING, MPM_D_RFU_ID, o->offset, at,
			"ID %02u is reserved for future use (kept as is)", o->id);
	}
}

/* ---- root values -------------------------------------------------------- */

static bool eq2(const upqr_mpm_object *o, const char *v)
{
	return o->value_len == 2 && o->value[0] == v[0] && o->value[1] == v[1];
}

static upqr_mpm_network network_of_id(unsigned id)
{
	static const uint8_t net[26] = { 0, 0, 1, 1, 2, 2, 3, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7,
		3, 3, 3, 3, 3, 3, 3, 3, 3 };
	return id < 26 ? (upqr_mpm_network)net[id] : UPQR_MPM_NET_OTHER;
}

/* The parts of a 31-character ID 15, when its digit parts are digits. */
static void split_unionpay_id(upqr_mpm_unionpay_id *u, const char *v)
{
	size_t n;
	const upqr_mpm_part_info *part = upqr_mpm_unionpay_id_layout(&n);
	upqr_mpm_str *dst[] = { &u->acquirer_iin, &u->forwarding_iin, &u->merchant_id };
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; part[i].format == UPQR_MPM_FORMAT_N && k < part[i].length; k++)
			if (!is_digit((uint8_t)v[part[i].offset + k]))
				return;
	u->present = true;
	for (size_t i = 0; i < n && i < UPQR__ARRAY_LEN(dst); i++) {
		dst[i]->ptr = v + part[i].offset;
		dst[i]->len = part[i].length;
	}
}

static void add_account(dctx *c, const upqr_mpm_object *o)
{
	upqr_mpm_fields *f = &c->p->fields;
	if (f->account_count >= UPQR_MPM_ACCOUNTS_MAX)
		return;
	upqr_mpm_account *a = &f->accounts[f->account_count++];
	a->id = o->id;
	a->network = network_of_id(o->id);
	a->value = view(o);
	a->guid.ptr = NULL;
	a->guid.len = 0;
	a->object_index = (uint16_t)(o - c->p->objects); /* accounts are root objects */
	c->acct = a;
	if (o->id == UPQR_MPM_UNIONPAY_ID && o->value_len == UPQR_MPM_UNIONPAY_ID_CHARS)
		split_unionpay_id(&f->unionpay, o->value);
}

static void check_percentage(dctx *c, const upqr_mpm_object *o)
{
	/* "00.01".."99.99", no "%": up to two integer and two decimal digits. */
	unsigned ip = 0, fp = 0, id = 0, fd = 0;
	bool dot = false, ok = o->value_len > 0;
	for (size_t i = 0; i < o->value_len && ok; i++) {
		char ch = o->value[i];
		if (ch == '.' && !dot) {
			dot = true;
		} else if (ch >= '0' && ch <= '9') {
			if (dot) {
				fp = fp * 10 + (unsigned)(ch - '0');
				fd++;
			} else {
				ip = ip * 10 + (unsigned)(ch - '0');
				id++;
			}
		} else {
			ok = false;
		}
	}
	ok = ok && id + fd > 0 && id <= 2 && fd <= 2;
	unsigned bp = ip * 100 + (fd == 1 ? fp * 10 : fp);
	if (!ok || bp < 1 || bp > 9999) {
		report(c, UPQR_SEV_ERROR, MPM_D_BAD_PERCENTAGE, o->offset, 1,
			"convenience fee percentage must be 00.01 to 99.99");
		return;
	}
	c->p->fields.convenience_percentage_bp = bp;
}

static void check_amount_syntax(dctx *c, const upqr_mpm_object *o)
{
	bool zero = false;
	if (upqr__mpm_amount_syntax(o->value, o->value_len, &zero) == -2)
		report(c, UPQR_SEV_ERROR, MPM_D_BAD_AMOUNT, o->offset, 1,
			"ID %02u must be digits with at most one '.'", o->id);
	else if (zero && o->id == 54)
		report(c, UPQR_SEV_ERROR, MPM_D_AMOUNT_ZERO, o->offset, 1,
			"transaction amount must not be zero");
}

static void check_crc_value(dctx *c, const upqr_mpm_object *o)
{
	unsigned v = 0;
	bool lower = false;
	for (size_t i = 0; i < 4; i++) {
		int h = upqr__hexval((unsigned char)o->value[i]);
		if (h < 0) {
			report(c, UPQR_SEV_ERROR, MPM_D_BAD_FORMAT, o->offset + 4 + i, 1,
				"CRC must be 4 hex digits");
			return;
		}
		lower |= o->value[i] >= 'a' && o->value[i] <= 'f';
		v = v << 4 | (unsigned)h;
	}
	if (lower)
		report(c, UPQR_SEV_WARNING, MPM_D_CRC_LOWERCASE, o->offset + 4, 1,
			"CRC written in lower-case hex (upper case expected)");
	c->p->crc_present = true;
	c->p->crc_stated = (uint16_t)v;
}

static void check_currency(dctx *c, const upqr_mpm_object *o)
{
	upqr_mpm_fields *f = &c->p->fields;
	unsigned num = (unsigned)(o->value[0] - '0') * 100u + two_digits((const uint8_t *)o->value + 1);
	f->currency_numeric = num;
	const upqr__currency *cur = upqr__currency_find(num);
	if (!cur) {
		report(c, UPQR_SEV_ERROR, MPM_D_UNKNOWN_CURRENCY, o->offset, 1,
			"%03u is not an ISO 4217 currency code", num);
		return;
	}
	f->currency_alpha = cur->alpha;
	f->currency_exponent = cur->exponent;
}

/* Value rules and named fields of a root object that is well-formed and first of its ID. */
static void root_value(dctx *c, const upqr_mpm_object *o, bool format_ok)
{
	upqr_mpm_fields *f = &c->p->fields;
	unsigned id = o->id;
	if (id >= 2 && id <= 51) {
		add_account(c, o);
		return;
	}
	switch (id) {
	case 0:
		f->payload_format = view(o);
		if (!eq2(o, "01"))
			report(c, UPQR_SEV_ERROR, MPM_D_BAD_VALUE, o->offset, 1,
				"payload format indicator must be \"01\"");
		break;
	case 1:
		f->initiation = view(o);
		f->dynamic = eq2(o, "12") ? 1 : eq2(o, "11") ? 0 : -1;
		f->poi = f->dynamic < 0 ? UPQR_MPM_POI_INVALID :
			f->dynamic ? UPQR_MPM_POI_DYNAMIC : UPQR_MPM_POI_STATIC;
		if (f->dynamic < 0)
			report(c, UPQR_SEV_ERROR, MPM_D_BAD_VALUE, o->offset, 1,
				"point of initiation must be \"11\" (static) or \"12\" (dynamic)");
		break;
	case 52: f->mcc = view(o); break;
	case 53:
		f->currency = view(o);
		if (format_ok && o->value_len == 3)
			check_currency(c, o);
		break;
	case 54:
		f->amount = view(o);
		check_amount_syntax(c, o);
		break;
	case 55:
		f->tip_indicator = view(o);
		f->tip = eq2(o, "01") ? UPQR_MPM_TIP_PROMPT : eq2(o, "02") ? UPQR_MPM_TIP_FIXED :
			eq2(o, "03") ? UPQR_MPM_TIP_PERCENTAGE : UPQR_MPM_TIP_INVALID;
		if (f->tip == UPQR_MPM_TIP_INVALID)
			report(c, UPQR_SEV_ERROR, MPM_D_BAD_VALUE, o->offset, 1,
				"tip or convenience indicator must be 01, 02 or 03");
		break;
	case 56:
		f->convenience_fee = view(o);
		check_amount_syntax(c, o);
		break;
	case 57:
		f->convenience_percentage = view(o);
		check_percentage(c, o);
		break;
	case 58:
		f->country = view(o);
		if (format_ok && o->value_len == 2) {
			char cc[3] = { o->value[0], o->value[1], 0 };
			if (!upqr_mpm_country_known(cc))
				report(c, UPQR_SEV_ERROR, MPM_D_UNKNOWN_COUNTRY, o->offset, 1,
					"\"%s\" is not an ISO 3166-1 alpha-2 country code", cc);
		}
		break;
	case 59: f->merchant_name = view(o); break;
	case 60: f->merchant_city = view(o); break;
	case 61: f->postal_code = view(o); break;
	case 63:
		f->crc = view(o);
		if (o->value_len == 4)
			check_crc_value(c, o);
		break;
	default: break;
	}
}

/* ---- template children --------------------------------------------------- */

static void consumer_request(dctx *c, const upqr_mpm_object *o)
{
	unsigned seen = 0;
	for (size_t i = 0; i < o->value_len; i++) {
		const char *letters = "AME";
		const char *hit = memchr(letters, o->value[i], 3);
		unsigned bit = hit ? 1u << (hit - letters) : 0;
		if (!bit || (seen & bit)) {
			report(c, UPQR_SEV_ERROR, MPM_D_BAD_VALUE, o->offset + 4 + i, c->depth + 1,
				"consumer data request takes A, M and E, each at most once");
			return;
		}
		seen |= bit;
	}
}

/*
 * 64/00 must be two letters; whether they are an assigned ISO 639-1 code is
 * only a warning, since the spec does not ask readers to check the list.
 * Real payloads use either case ("ZH", "ko").
 */
static void language_code(dctx *c, const upqr_mpm_object *o)
{
	unsigned a = (unsigned)(o->value[0] & ~0x20), b = (unsigned)(o->value[1] & ~0x20);
	if (a < 'A' || a > 'Z' || b < 'A' || b > 'Z') {
		report(c, UPQR_SEV_ERROR, MPM_D_BAD_VALUE, o->offset, c->depth + 1,
			"language preference must be an ISO 639 alpha-2 code");
	} else if (!((upqr__iso639_rows[a - 'A'] >> (b - 'A')) & 1u)) {
		report(c, UPQR_SEV_WARNING, MPM_D_UNKNOWN_LANGUAGE, o->offset, c->depth + 1,
			"\"%c%c\" is not an ISO 639-1 language code", o->value[0], o->value[1]);
	}
}

static void child_value(dctx *c, mpm_level lv, const upqr_mpm_object *o)
{
	upqr_mpm_fields *f = &c->p->fields;
	if (lv == MPM_LV_ADDITIONAL && o->id >= 1 && o->id <= 11) {
		upqr_mpm_str *slot = &f->additional.bill_number + (o->id - 1);
		*slot = view(o);
		if (o->id == 9)
			consumer_request(c, o);
	} else if (lv == MPM_LV_LANGUAGE && o->id <= 2) {
		upqr_mpm_str *slot = &f->language.preference + o->id;
		*slot = view(o);
		if (o->id == 0 && o->value_len == 2)
			language_code(c, o);
	} else if (lv == MPM_LV_ACCOUNT && o->id == 0 && c->acct && c->depth == 1) {
		c->acct->guid = view(o);
		c->acct->network = upqr__mpm_guid_network(c->prof, o->value, o->value_len);
	}
}

/* ---- lists ---------------------------------------------------------------- */

static bool seen_before(uint64_t seen[2], unsigned id)
{
	uint64_t bit = (uint64_t)1 << (id & 63);
	bool dup = (seen[id >> 6] & bit) != 0;
	seen[id >> 6] |= bit;
	return dup;
}

static void parse_children(dctx *c, mpm_level parent_lv, upqr_mpm_object *o);

static HOT_INLINE void fill(const dctx *c, upqr_mpm_object *o, size_t pos, unsigned id, unsigned len,
		const walk *w)
{
	o->value = (const char *)c->in + pos + 4;
	o->offset = (uint32_t)pos;
	o->value_len = (uint16_t)w->bytes;
	o->id = (uint8_t)id;
	o->length = (uint8_t)len;
	o->first_child = 0;
	o->child_count = 0;
	o->flags = w->overrun ? UPQR_MPM_OBJ_TRUNCATED : 0;
}

/*
 * Checks one object (c->ids[c->depth] holds its ID). Returns its value
 * bytes for the caller to step over.
 */
static void check_object(dctx *c, mpm_level lv, upqr_mpm_object *o, const walk *w, bool dup)
{
	const upqr_mpm_field_info *r = upqr__mpm_field(lv, o->id);
	check_generic(c, o, w, r);
	if (dup) {
		report(c, UPQR_SEV_ERROR, MPM_D_DUPLICATE_ID, o->offset, c->depth + 1,
			"ID %02u occurs more than once here", o->id);
		return;
	}
	if (w->overrun)
		return;
	bool format_ok = !(w->acc & fmt_mask[r->format]);
	if (lv == MPM_LV_ROOT)
		root_value(c, o, format_ok);
	else
		child_value(c, lv, o);
	if ((r->flags & UPQR_MPM_FIELD_TEMPLATE) && c->depth + 1 < MAX_DEPTH)
		o->flags |= UPQR_MPM_OBJ_TEMPLATE;
	if (r->flags & UPQR_MPM_FIELD_RFU)
		o->flags |= UPQR_MPM_OBJ_RFU;
}

static void require_child(dctx *c, const upqr_mpm_object *o, const uint64_t seen[2],
		unsigned id, const char *what)
{
	if (seen[id >> 6] & ((uint64_t)1 << (id & 63)))
		return;
	c->ids[c->depth + 1] = (uint8_t)id;
	report(c, UPQR_SEV_ERROR, MPM_D_MISSING, o->offset, c->depth + 2,
		"template %02u lacks its mandatory %s (sub-ID %02u)", o->id, what, id);
}

/* Parses the value of template o (at depth c->depth) into payload->subs. */
static void parse_children(dctx *c, mpm_level parent_lv, upqr_mpm_object *o)
{
	upqr_mpm_payload *p = c->p;
	mpm_level lv = upqr__mpm_child_level(parent_lv, o->id);
	size_t pos = off_of(c, o->value), end = pos + o->value_len;
	size_t first = p->sub_count;
	uint64_t seen[2] = { 0, 0 };
	bool complete = true;
	c->depth++;
	while (pos < end) {
		unsigned id, len;
		if (p->sub_count >= UPQR_MPM_SUBOBJECTS_MAX) {
			report(c, UPQR_SEV_ERROR, MPM_D_TOO_MANY, pos, c->depth,
				"more than %d objects inside templates", UPQR_MPM_SUBOBJECTS_MAX);
			complete = false;
			break;
		}
		if (!read_header(c, pos, end, &id, &len)) {
			complete = false;
			break;
		}
		walk w = walk_value(c, pos + 4, end, len);
		upqr_mpm_object *so = &p->subs[p->sub_count++];
		fill(c, so, pos, id, len, &w);
		check_object(c, lv, so, &w, seen_before(seen, id));
		pos += 4 + w.bytes;
		if (w.overrun)
			complete = false;
	}
	o->first_child = (uint16_t)first;
	o->child_count = (uint8_t)(p->sub_count - first);
	c->depth--;
	c->ids[c->depth] = o->id;
	if (complete && (lv == MPM_LV_ACCOUNT || lv == MPM_LV_TEMPLATE))
		require_child(c, o, seen, 0, "globally unique identifier");
	if (complete && lv == MPM_LV_LANGUAGE) {
		require_child(c, o, seen, 0, "language preference");
		require_child(c, o, seen, 1, "alternate merchant name");
	}
	/* Nested templates (62/50..99) after the siblings, so children stay contiguous. */
	size_t last = p->sub_count;
	c->depth++;
	for (size_t i = first; i < last && i < first + o->child_count; i++) {
		upqr_mpm_object *so = &p->subs[i];
		if (so->flags & UPQR_MPM_OBJ_TEMPLATE) {
			c->ids[c->depth] = so->id;
			parse_children(c, lv, so);
		}
	}
	c->depth--;
}

/* ---- root and whole-payload rules ----------------------------------------- */

typedef struct root_state {
	uint64_t seen[2];
	bool broken;              /* the list could not be read to its end */
	size_t break_pos;
	size_t crc_end;           /* the CRC covers in[0..crc_end): the objects read so far */
	bool crc_fed;             /* ... through "6304" */
	/* The first object of each ID; an entry is set only when its bit in seen is (never cleared). */
	const upqr_mpm_object *by_id[100];
} root_state;

static const upqr_mpm_object *root_obj(const root_state *rs, unsigned id)
{
	return rs->seen[id >> 6] & ((uint64_t)1 << (id & 63)) ? rs->by_id[id] : NULL;
}

static bool has(const root_state *rs, unsigned id)
{
	return root_obj(rs, id) != NULL;
}

static void missing_root(dctx *c, unsigned id, const char *what)
{
	c->ids[0] = (uint8_t)id;
	report(c, UPQR_SEV_ERROR, MPM_D_MISSING, 0, 1, "%s (ID %02u) is missing", what, id);
}

static void check_mandatory(dctx *c, const root_state *rs)
{
	/* The table lists the root level first: stop at its end. */
	for (const upqr_mpm_field_info *m = upqr__mpm_fields;
			m < upqr__mpm_fields + UPQR__MPM_FIELD_COUNT && m->level == UPQR_MPM_LEVEL_ROOT; m++) {
		if (!(m->flags & UPQR_MPM_FIELD_MANDATORY))
			continue;
		if (!has(rs, m->id_first) && !(m->id_first == 63 && c->p->crc_present))
			missing_root(c, m->id_first, m->title);
	}
	/* Any of the IDs 02..51 (all in the first word of seen). */
	if (!(rs->seen[0] & ((UINT64_C(1) << 52) - (UINT64_C(1) << 2)))) {
		upqr__diag_add(c->d, UPQR_SEV_ERROR, MPM_D_MISSING, 0, "02-51",
			"no merchant account information (IDs 02 to 51)");
	}
}

static void check_order(dctx *c, const root_state *rs)
{
	const upqr_mpm_payload *p = c->p;
	if (p->count > 0 && p->objects[0].id != 0 && has(rs, 0)) {
		c->ids[0] = 0;
		report(c, UPQR_SEV_ERROR, MPM_D_BAD_ORDER, root_obj(rs, 0)->offset, 1,
			"payload format indicator (00) must be the first object");
	}
	if (has(rs, 63) && root_obj(rs, 63) != &p->objects[p->count - 1]) {
		c->ids[0] = 63;
		report(c, UPQR_SEV_ERROR, MPM_D_BAD_ORDER, root_obj(rs, 63)->offset, 1,
			"CRC (63) must be the last object");
	}
}

static void check_tip(dctx *c, const root_state *rs)
{
	const upqr_mpm_object *t = root_obj(rs, 55), *fee = root_obj(rs, 56), *pct = root_obj(rs, 57);
	bool fixed = t && eq2(t, "02"), percent = t && eq2(t, "03");
	bool known = !t || eq2(t, "01") || fixed || percent;
	if (!known)
		return; /* already reported as bad_value; 56/57 meaning unknown */
	if (fee && !fixed) {
		c->ids[0] = 56;
		report(c, UPQR_SEV_ERROR, MPM_D_TIP_RULES, fee->offset, 1,
			"convenience fee (56) is only allowed with tip indicator 02");
	}
	if (pct && !percent) {
		c->ids[0] = 57;
		report(c, UPQR_SEV_ERROR, MPM_D_TIP_RULES, pct->offset, 1,
			"convenience percentage (57) is only allowed with tip indicator 03");
	}
	if (fixed && !fee && !rs->broken)
		missing_root(c, 56, "convenience fee required by tip indicator 02");
	if (percent && !pct && !rs->broken)
		missing_root(c, 57, "convenience percentage required by tip indicator 03");
	bool zero = false;
	if (fixed && fee && !(fee->flags & UPQR_MPM_OBJ_TRUNCATED) &&
			upqr__mpm_amount_syntax(fee->value, fee->value_len, &zero) >= -1 && zero) {
		c->ids[0] = 56;
		report(c, UPQR_SEV_ERROR, MPM_D_AMOUNT_ZERO, fee->offset, 1,
			"convenience fee must not be zero");
	}
}

/* Decimals against the currency exponent (a warning) and exact minor units. */
static void money(dctx *c, const upqr_mpm_object *o, bool *exact, int64_t *minor)
{
	int exp = c->p->fields.currency_exponent;
	if (!o || (o->flags & UPQR_MPM_OBJ_TRUNCATED) || exp < 0)
		return;
	int dec = upqr__mpm_amount_syntax(o->value, o->value_len, NULL);
	if (dec == -2)
		return;
	if (dec >= 0 && dec != exp) {
		c->ids[0] = o->id;
		report(c, UPQR_SEV_WARNING, MPM_D_AMOUNT_DECIMALS, o->offset, 1,
			"%d decimals where %s has %d", dec, c->p->fields.currency_alpha, exp);
	}
	*exact = exp <= 4 && upqr__mpm_amount_minor(minor, o->value, o->value_len, exp) == UPQR_OK;
}

static void check_crc(dctx *c, root_state *rs)
{
	upqr_mpm_payload *p = c->p;
	/* A broken list may still end in "6304xxxx": check it over the raw bytes. */
	if (!rs->crc_fed && rs->broken && c->len >= 8 && c->len - 8 >= rs->break_pos &&
			memcmp(c->in + c->len - 8, "6304", 4) == 0) {
		unsigned v = 0;
		bool hex = true;
		for (size_t i = c->len - 4; i < c->len; i++) {
			int h = upqr__hexval(c->in[i]);
			hex &= h >= 0;
			v = v << 4 | (unsigned)(h & 15);
		}
		if (hex) {
			rs->crc_end = c->len - 4;
			rs->crc_fed = true;
			p->crc_present = true;
			p->crc_stated = (uint16_t)v;
		}
	}
	if (!rs->crc_fed || !p->crc_present)
		return;
	/* One call over the whole span: the eight-byte steps need long runs, not object-sized ones. */
	p->crc_computed = upqr_crc16(c->in, rs->crc_end);
	if (p->crc_computed != p->crc_stated) {
		c->ids[0] = 63;
		report(c, UPQR_SEV_ERROR, MPM_D_CRC_MISMATCH, c->len >= 4 ? c->len - 4 : 0, 1,
			"CRC is %04X, computed %04X", p->crc_stated, p->crc_computed);
	}
}

static void finish_root(dctx *c, root_state *rs)
{
	upqr_mpm_fields *f = &c->p->fields;
	c->depth = 0;
	check_order(c, rs);
	if (!rs->broken)
		check_mandatory(c, rs);
	check_tip(c, rs);
	money(c, root_obj(rs, 54), &f->amount_exact, &f->amount_minor);
	money(c, root_obj(rs, 56), &f->convenience_fee_exact, &f->convenience_fee_minor);
	check_crc(c, rs);
	if (c->p->chars > UPQR_MPM_RECOMMENDED_CHARS)
		upqr__diag_add(c->d, UPQR_SEV_WARNING, MPM_D_TOO_LONG, 0, "",
			"payload has %zu characters; the spec recommends at most %d",
			c->p->chars, UPQR_MPM_RECOMMENDED_CHARS);
}

static void parse_root(dctx *c, root_state *rs)
{
	upqr_mpm_payload *p = c->p;
	size_t pos = 0;
	while (pos < c->len) {
		unsigned id, len;
		c->depth = 0;
		if (p->count >= UPQR_MPM_OBJECTS_MAX) {
			upqr__diag_add(c->d, UPQR_SEV_ERROR, MPM_D_TOO_MANY, pos, "",
				"more than %d objects at the root", UPQR_MPM_OBJECTS_MAX);
			break;
		}
		if (!read_header(c, pos, c->len, &id, &len))
			break;
		walk w = walk_value(c, pos + 4, c->len, len);
		upqr_mpm_object *o = &p->objects[p->count++];
		fill(c, o, pos, id, len, &w);
		if (!rs->crc_fed && !w.overrun)
			rs->crc_end = pos + (id == 63 ? 4 : 4 + w.bytes);
		rs->crc_fed |= id == 63 && !w.overrun;
		p->chars += 4 + w.chars;
		bool dup = seen_before(rs->seen, id);
		if (!dup)
			rs->by_id[id] = o;
		c->acct = NULL;
		check_object(c, MPM_LV_ROOT, o, &w, dup);
		if (o->flags & UPQR_MPM_OBJ_TEMPLATE)
			parse_children(c, MPM_LV_ROOT, o);
		if (w.overrun) {
			rs->broken = true;
			rs->break_pos = pos;
			return;
		}
		pos += 4 + w.bytes;
	}
	if (pos < c->len) {
		rs->broken = true;
		rs->break_pos = pos;
	}
}

/* ---- entry points ----------------------------------------------------------- */

static void reset(upqr_mpm_payload *p, const char *in, size_t len, const upqr_mpm_profile *prof)
{
	upqr_mpm_fields *f = &p->fields;
	p->input = in;
	p->input_len = len;
	p->chars = 0;
	p->count = 0;
	p->sub_count = 0;
	p->crc_present = false;
	p->crc_computed = 0;
	p->crc_stated = 0;
	p->errors = 0;
	p->warnings = 0;
	p->profile = prof;
	/* The account array is large and filled by count: clear only around it. */
	memset(f, 0, offsetof(upqr_mpm_fields, accounts));
	memset(&f->unionpay, 0, sizeof *f - offsetof(upqr_mpm_fields, unionpay));
	f->dynamic = -1;
	f->currency_exponent = -1;
}

static bool domestic_url(dctx *c)
{
	static const char pfx[] = "https://qr.95516.com/";
	size_t n = sizeof pfx - 1;
	if (c->len < n || memcmp(c->in, pfx, n) != 0)
		return false;
	upqr__diag_add(c->d, UPQR_SEV_ERROR, MPM_D_UNIONPAY_URL, 0, "",
		"a China-domestic UnionPay URL code, not an EMV MPM payload");
	return true;
}

FLATTEN int upqr__mpm_decode(upqr_mpm_payload *out, const upqr_mpm_profile *profile,
		const char *payload, size_t len, upqr_diag_list *diags, bool generating)
{
	if (!profile)
		profile = upqr_mpm_profile_emvco();
	if (!out || (!payload && len))
		return UPQR_EINVAL;
	if (profile->version != UPQR_MPM_PROFILE_VERSION)
		return UPQR_EVERSION;
	upqr_diag_list counter;
	upqr_diag_list_init(&counter, NULL, 0);
	if (!diags)
		diags = &counter;
	size_t errors0 = diags->errors, warnings0 = diags->warnings;
	size_t crc_errors0 = 0;
	reset(out, payload, len, profile);
	dctx c = { out, (const uint8_t *)payload, len, diags, profile, generating, NULL, { 0 }, 0 };
	int rc = UPQR_OK;
	if (len > UPQR_MPM_INPUT_MAX) {
		upqr__diag_add(diags, UPQR_SEV_ERROR, MPM_D_INPUT_TOO_LARGE, UPQR_MPM_INPUT_MAX, "",
			"input of %zu bytes exceeds the %d-byte limit", len, UPQR_MPM_INPUT_MAX);
		rc = UPQR_ELIMIT;
	} else if (len == 0) {
		upqr__diag_add(diags, UPQR_SEV_ERROR, MPM_D_MISSING, 0, "", "empty payload");
	} else if (!domestic_url(&c)) {
		root_state rs;
		/* by_id is read only behind its seen bit: clearing the rest is enough. */
		memset(&rs, 0, offsetof(root_state, by_id));
		parse_root(&c, &rs);
		finish_root(&c, &rs);
		crc_errors0 = out->crc_present && out->crc_computed != out->crc_stated;
		if (profile->rules)
			profile->rules(profile, out, generating, diags);
	}
	out->errors = diags->errors - errors0;
	out->warnings = diags->warnings - warnings0;
	if (rc == UPQR_OK && out->errors)
		rc = out->errors == crc_errors0 ? UPQR_ECHECKSUM : UPQR_EINVALID;
	return rc;
}

int upqr_mpm_decode(upqr_mpm_payload *out, const upqr_mpm_profile *profile,
		const char *payload, size_t len, upqr_diag_list *diags)
{
	return upqr__mpm_decode(out, profile, payload, len, diags, false);
}

upqr_mpm_payload *upqr_mpm_payload_new(void)
{
	upqr_mpm_payload *p = upqr__malloc(sizeof *p);
	if (p)
		reset(p, NULL, 0, upqr_mpm_profile_emvco());
	return p;
}

void upqr_mpm_payload_free(upqr_mpm_payload *payload)
{
	upqr__free(payload);
}

bool upqr_mpm_valid(const upqr_mpm_payload *payload)
{
	return payload && payload->errors == 0 && payload->input != NULL;
}

const upqr_mpm_object *upqr_mpm_child(const upqr_mpm_payload *payload,
		const upqr_mpm_object *parent, unsigned int id)
{
	if (!payload)
		return NULL;
	const upqr_mpm_object *list = parent ? &payload->subs[parent->first_child] : payload->objects;
	size_t n = parent ? parent->child_count : payload->count;
	for (size_t i = 0; i < n; i++)
		if (list[i].id == id)
			return &list[i];
	return NULL;
}

const upqr_mpm_object *upqr_mpm_find(const upqr_mpm_payload *payload, const char *path)
{
	if (!payload || !path)
		return NULL;
	const upqr_mpm_object *o = NULL;
	for (;;) {
		if (!is_digit((uint8_t)path[0]) || !is_digit((uint8_t)path[1]))
			return NULL;
		o = upqr_mpm_child(payload, o, two_digits((const uint8_t *)path));
		if (!o || path[2] == 0)
			return o;
		if (path[2] != '.')
			return NULL;
		path += 3;
	}
}

size_t upqr_mpm_input_max(void) { return UPQR_MPM_INPUT_MAX; }
size_t upqr_mpm_objects_max(void) { return UPQR_MPM_OBJECTS_MAX; }
size_t upqr_mpm_subobjects_max(void) { return UPQR_MPM_SUBOBJECTS_MAX; }
size_t upqr_mpm_accounts_max(void) { return UPQR_MPM_ACCOUNTS_MAX; }
size_t upqr_mpm_encoded_max(void) { return UPQR_MPM_ENCODED_MAX; }
size_t upqr_mpm_recommended_chars(void) { return UPQR_MPM_RECOMMENDED_CHARS; }
