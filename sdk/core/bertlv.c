/*
 * bertlv.c - BER-TLV reader per EMV Book 3 Annex B (rules in upqr/bertlv.h).
 * Recursion depth is bounded by UPQR_BERTLV_DEPTH_MAX, so the stack use is
 * fixed; every length is checked against the bytes left before use.
 */
#include <stdio.h>
#include <string.h>

#include "core_internal.h"
#include "upqr/bertlv.h"

typedef struct parser {
	upqr_bertlv_node *nodes;
	size_t cap;
	size_t count;
	const uint8_t *data;
	unsigned int max_depth;
	const upqr_bertlv_options *opts;
	upqr_diag_list *diags;   /* NULL while parsing opaque content leniently */
} parser;

unsigned int upqr_bertlv_depth_max(void)
{
	return UPQR_BERTLV_DEPTH_MAX;
}

size_t upqr_bertlv_nodes_max(void) { return UPQR_BERTLV_NODES_MAX; }
uint16_t upqr_bertlv_none(void) { return UPQR_BERTLV_NONE; }

unsigned int upqr_bertlv_tag_bytes_max(void)
{
	return UPQR_BERTLV_TAG_BYTES_MAX;
}

int upqr_bertlv_options_init(upqr_bertlv_options *opts, unsigned int version)
{
	if (!opts)
		return UPQR_EINVAL;
	if (version != UPQR_BERTLV_OPTIONS_VERSION)
		return UPQR_EVERSION;
	const upqr_bertlv_options def = UPQR_BERTLV_OPTIONS_INIT;
	*opts = def;
	return UPQR_OK;
}

/* "61.63.9F26": the tags from the top down to `tag` (truncated to fit). */
static void tag_path(char out[UPQR_DIAG_PATH_MAX], const parser *p, uint16_t parent, uint32_t tag,
		unsigned int tag_len)
{
	uint16_t chain[UPQR_BERTLV_DEPTH_MAX + 1];
	size_t n = 0;
	for (uint16_t i = parent; i != UPQR_BERTLV_NONE && n < UPQR__ARRAY_LEN(chain); i = p->nodes[i].parent)
		chain[n++] = i;
	size_t o = 0;
	out[0] = 0;
	while (n > 0 && o < UPQR_DIAG_PATH_MAX) {
		const upqr_bertlv_node *c = &p->nodes[chain[--n]];
		int w = snprintf(out + o, UPQR_DIAG_PATH_MAX - o, "%0*X.", (int)c->tag_len * 2, (unsigned int)c->tag);
		o += w > 0 ? (size_t)w : 0;
	}
	if (o < UPQR_DIAG_PATH_MAX && tag_len)
		snprintf(out + o, UPQR_DIAG_PATH_MAX - o, "%0*X", (int)tag_len * 2, (unsigned int)tag);
	else if (o > 0 && o <= UPQR_DIAG_PATH_MAX)
		out[o - 1] = 0;
}

static int fail(parser *p, int status, const char *code, size_t offset, uint16_t parent,
		uint32_t tag, unsigned int tag_len, const char *msg)
{
	if (p->diags) {
		char path[UPQR_DIAG_PATH_MAX];
		tag_path(path, p, parent, tag, tag_len);
		upqr__diag_add(p->diags, UPQR_SEV_ERROR, code, offset, path, "%s", msg);
	}
	return status;
}

static int is_opaque(const parser *p, uint32_t tag)
{
	if (!p->opts)
		return 0;
	for (size_t i = 0; i < p->opts->opaque_count; i++)
		if (p->opts->opaque_tags[i] == tag)
			return 1;
	return 0;
}

/* Reads a tag at data[pos..end). Returns NULL or the diagnostic code. */
static const char *read_tag(const uint8_t *d, size_t pos, size_t end, uint32_t *tag, unsigned int *tag_len)
{
	if (d[pos] == 0x00)
		return "tlv_tag_invalid";
	uint32_t t = d[pos];
	unsigned int n = 1;
	if ((d[pos] & 0x1F) == 0x1F) {
		for (;;) {
			if (pos + n >= end)
				return "tlv_truncated";
			if (n >= UPQR_BERTLV_TAG_BYTES_MAX)
				return "tlv_tag_too_long";
			uint8_t b = d[pos + n];
			t = t << 8 | b;
			n++;
			if (!(b & 0x80))
				break;
		}
	}
	*tag = t;
	*tag_len = n;
	return NULL;
}

/* Reads a length at data[pos..end). Returns NULL or the diagnostic code. */
static const char *read_len(const uint8_t *d, size_t pos, size_t end, size_t *len, unsigned int *len_len)
{
	if (pos >= end)
		return "tlv_truncated";
	uint8_t b = d[pos];
	if (b < 0x80) {
		*len = b;
		*len_len = 1;
		return NULL;
	}
	if (b == 0x80)
		return "tlv_length_indefinite";
	if (b > 0x82)
		return "tlv_length_too_long";
	unsigned int k = b & 0x7F;
	if (end - pos - 1 < k)
		return "tlv_truncated";
	size_t v = k == 1 ? d[pos + 1] : (size_t)d[pos + 1] << 8 | d[pos + 2];
	if ((k == 1 && v < 0x80) || (k == 2 && v < 0x100))
		return "tlv_length_nonminimal";
	*len = v;
	*len_len = k + 1;
	return NULL;
}

static const char *message_for(const char *code)
{
	static const struct { const char *code, *msg; } m[] = {
		{ "tlv_truncated", "data object runs past the end of its template or the payload" },
		{ "tlv_tag_invalid", "tag byte '00' (filler is not accepted)" },
		{ "tlv_tag_too_long", "tag longer than 4 bytes" },
		{ "tlv_length_indefinite", "indefinite length '80' is not allowed in EMV" },
		{ "tlv_length_nonminimal", "length not in its shortest form" },
		{ "tlv_length_too_long", "length field longer than 3 bytes" },
	};
	for (size_t i = 0; i < UPQR__ARRAY_LEN(m); i++)
		if (strcmp(m[i].code, code) == 0)
			return m[i].msg;
	return "malformed data object";
}

static int parse_range(parser *p, size_t pos, size_t end, unsigned int depth, uint16_t parent);

/* Children of an opaque template: parsed if well-formed, else dropped silently. */
static void parse_opaque(parser *p, upqr_bertlv_node *n, uint16_t idx, unsigned int depth)
{
	size_t saved = p->count;
	upqr_diag_list *diags = p->diags;
	p->diags = NULL;
	int rc = parse_range(p, n->offset + n->header_len, n->offset + n->header_len + n->length,
			depth + 1, idx);
	p->diags = diags;
	if (rc == UPQR_OK)
		return;
	p->count = saved;
	n->first_child = UPQR_BERTLV_NONE;
	if (diags) {
		char path[UPQR_DIAG_PATH_MAX];
		tag_path(path, p, n->parent, n->tag, n->tag_len);
		upqr__diag_add(diags, UPQR_SEV_WARNING, "tlv_opaque_content", n->offset, path,
				"template content is not BER-TLV; kept as opaque bytes");
	}
}

static int add_node(parser *p, uint16_t *idx, size_t pos, uint16_t parent, uint32_t tag,
		unsigned int tag_len)
{
	if (p->count >= p->cap || p->count >= UPQR_BERTLV_NODES_MAX)
		return fail(p, UPQR_ELIMIT, "tlv_too_many_objects", pos, parent, tag, tag_len,
				"more data objects than the reader can hold");
	*idx = (uint16_t)p->count++;
	return UPQR_OK;
}

static int parse_one(parser *p, size_t *pos, size_t end, unsigned int depth, uint16_t parent,
		uint16_t *out_idx)
{
	uint32_t tag = 0;
	unsigned int tl = 0, ll = 0;
	size_t len = 0, at = *pos;
	const char *bad = read_tag(p->data, at, end, &tag, &tl);
	if (!bad)
		bad = read_len(p->data, at + tl, end, &len, &ll);
	if (!bad && end - at - tl - ll < len)
		bad = "tlv_truncated";
	if (bad)
		return fail(p, UPQR_ETLV, bad, at, parent, tag, tl, message_for(bad));
	uint16_t idx;
	int rc = add_node(p, &idx, at, parent, tag, tl);
	if (rc != UPQR_OK)
		return rc;
	upqr_bertlv_node *n = &p->nodes[idx];
	n->tag = tag;
	n->tag_len = (uint8_t)tl;
	n->header_len = (uint8_t)(tl + ll);
	n->offset = at;
	n->value_offset = at + tl + ll;
	n->length = len;
	n->parent = parent;
	n->first_child = UPQR_BERTLV_NONE;
	n->next = UPQR_BERTLV_NONE;
	n->depth = (uint8_t)depth;
	n->constructed = (p->data[at] & 0x20) != 0;
	n->opaque = (uint8_t)(n->constructed && is_opaque(p, tag));
	n->reserved = 0;
	*pos = at + tl + ll + len;
	*out_idx = idx;
	if (!n->constructed || len == 0)
		return UPQR_OK;
	if (depth + 1 >= p->max_depth)
		return fail(p, UPQR_ETLV, "tlv_too_deep", at, parent, tag, tl,
				"templates nested deeper than the reader accepts");
	if (n->opaque) {
		parse_opaque(p, n, idx, depth);
		return UPQR_OK;
	}
	return parse_range(p, at + tl + ll, at + tl + ll + len, depth + 1, idx);
}

static int parse_range(parser *p, size_t pos, size_t end, unsigned int depth, uint16_t parent)
{
	uint16_t prev = UPQR_BERTLV_NONE;
	while (pos < end) {
		uint16_t idx;
		int rc = parse_one(p, &pos, end, depth, parent, &idx);
		if (rc != UPQR_OK)
			return rc;
		if (prev != UPQR_BERTLV_NONE)
			p->nodes[prev].next = idx;
		else if (parent != UPQR_BERTLV_NONE)
			p->nodes[parent].first_child = idx;
		prev = idx;
	}
	return UPQR_OK;
}

int upqr_bertlv_parse(upqr_bertlv_node *nodes, size_t cap, size_t *count,
		const upqr_bertlv_options *opts, const uint8_t *data, size_t len,
		upqr_diag_list *diags)
{
	if (count)
		*count = 0;
	if ((!nodes && cap) || (!data && len) || !count)
		return UPQR_EINVAL;
	if (opts && opts->version != UPQR_BERTLV_OPTIONS_VERSION)
		return UPQR_EVERSION;
	if (opts && ((opts->opaque_count && !opts->opaque_tags) || opts->max_depth > UPQR_BERTLV_DEPTH_MAX))
		return UPQR_EINVAL;
	parser p = { nodes, cap, 0, data, UPQR_BERTLV_DEPTH_MAX, opts, diags };
	if (opts && opts->max_depth)
		p.max_depth = opts->max_depth;
	/* max_depth counts levels: depth 0 .. max_depth-1 may exist. */
	int rc = parse_range(&p, 0, len, 0, UPQR_BERTLV_NONE);
	*count = p.count;
	return rc;
}

uint16_t upqr_bertlv_find(const upqr_bertlv_node *nodes, size_t count, uint16_t parent, uint32_t tag)
{
	if (!nodes || count == 0)
		return UPQR_BERTLV_NONE;
	uint16_t i;
	if (parent == UPQR_BERTLV_NONE)
		i = 0;
	else if (parent < count)
		i = nodes[parent].first_child;
	else
		return UPQR_BERTLV_NONE;
	for (; i != UPQR_BERTLV_NONE && i < count; i = nodes[i].next)
		if (nodes[i].tag == tag)
			return i;
	return UPQR_BERTLV_NONE;
}

const uint8_t *upqr_bertlv_value(const uint8_t *data, const upqr_bertlv_node *node)
{
	return data && node ? data + node->value_offset : NULL;
}
