/* fuzz_bertlv.c - the BER-TLV reader stays inside its input and builds a consistent tree. */
#include <stdlib.h>

#include "upqr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_tree(const upqr_bertlv_node *n, size_t count, const uint8_t *data, size_t size)
{
	for (size_t i = 0; i < count; i++) {
		const upqr_bertlv_node *x = &n[i];
		if (x->length > size || x->value_offset > size - x->length)
			abort();
		if (x->offset + x->header_len != x->value_offset || upqr_bertlv_value(data, x) != data + x->value_offset)
			abort();
		if (x->tag_len < 1 || x->tag_len > UPQR_BERTLV_TAG_BYTES_MAX || x->depth >= UPQR_BERTLV_DEPTH_MAX)
			abort();
		if (x->parent != UPQR_BERTLV_NONE) {
			const upqr_bertlv_node *p = &n[x->parent];
			if (x->parent >= i || x->depth != p->depth + 1 || !p->constructed ||
					x->offset < p->offset + p->header_len ||
					x->value_offset + x->length > p->value_offset + p->length)
				abort();
		}
		if (x->next != UPQR_BERTLV_NONE && (x->next <= i || x->next >= count || n[x->next].parent != x->parent))
			abort();
		if (x->first_child != UPQR_BERTLV_NONE && (x->first_child != i + 1 || n[i + 1].parent != i))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t opaque[] = { 0x63, 0x64 };
	upqr_bertlv_node nodes[64];
	size_t count = 0;
	upqr_diag items[4];
	upqr_diag_list diags;
	upqr_diag_list_init(&diags, items, 4);
	upqr_bertlv_options o = UPQR_BERTLV_OPTIONS_INIT;
	int rc = upqr_bertlv_parse(nodes, 64, &count, &o, data, size, &diags);
	if (rc != UPQR_OK && rc != UPQR_ETLV && rc != UPQR_ELIMIT)
		abort();
	if ((rc == UPQR_OK) != (diags.errors == 0) || count > 64)
		abort();
	check_tree(nodes, count, data, size);
	o.opaque_tags = opaque;
	o.opaque_count = 2;
	o.max_depth = 3;
	rc = upqr_bertlv_parse(nodes, 64, &count, &o, data, size, NULL);
	if (rc != UPQR_OK && rc != UPQR_ETLV && rc != UPQR_ELIMIT)
		abort();
	check_tree(nodes, count, data, size);
	return 0;
}
