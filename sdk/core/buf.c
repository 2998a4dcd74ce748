/* buf.c - bounded writer for caller-owned output buffers. */
#include <string.h>

#include "core_internal.h"

void upqr__buf_init(upqr__buf *b, void *data, size_t cap)
{
	b->data = data;
	b->cap = data ? cap : 0;
	b->len = 0;
}

void upqr__buf_put(upqr__buf *b, const void *src, size_t n)
{
	if (n && b->len <= b->cap && n <= b->cap - b->len)
		memcpy(b->data + b->len, src, n);
	b->len += n;
}

void upqr__buf_putc(upqr__buf *b, uint8_t c)
{
	upqr__buf_put(b, &c, 1);
}

void upqr__buf_puts(upqr__buf *b, const char *s)
{
	upqr__buf_put(b, s, strlen(s));
}

bool upqr__buf_fits(const upqr__buf *b)
{
	return b->len <= b->cap;
}

int upqr__buf_finish(upqr__buf *b, size_t *written, bool nul)
{
	size_t need = b->len + (nul ? 1 : 0);
	if (written)
		*written = b->len;
	if (need > b->cap)
		return UPQR_EBUFSIZE;
	if (nul)
		b->data[b->len] = 0;
	return UPQR_OK;
}
