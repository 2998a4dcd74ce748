/*
 * fuzz_mpm_decode.c - MPM decode under both profiles never overreads, keeps
 * every view inside the input, counts what it reports, and a payload it
 * calls valid can be re-amounted into another valid payload.
 */
#include <stdlib.h>
#include <string.h>

#include "upqr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static upqr_mpm_payload P;

static void check_views(const upqr_mpm_payload *p, const char *in, size_t size)
{
	const upqr_mpm_object *lists[2] = { p->objects, p->subs };
	size_t counts[2] = { p->count, p->sub_count };
	if (p->count > UPQR_MPM_OBJECTS_MAX || p->sub_count > UPQR_MPM_SUBOBJECTS_MAX)
		abort();
	for (int l = 0; l < 2; l++)
		for (size_t i = 0; i < counts[l]; i++) {
			const upqr_mpm_object *o = &lists[l][i];
			if (o->value < in || o->value + o->value_len > in + size || o->id > 99 ||
					o->first_child + o->child_count > p->sub_count)
				abort();
		}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	upqr_diag items[16];
	upqr_diag_list dl;
	for (int prof = 0; prof < 2; prof++) {
		const upqr_mpm_profile *pr = prof ? upqr_mpm_profile_unionpay() : NULL;
		upqr_diag_list_init(&dl, items, 16);
		int rc = upqr_mpm_decode(&P, pr, in, size, &dl);
		if ((rc == UPQR_OK) != (P.errors == 0) || dl.errors != P.errors ||
				dl.count + dl.dropped != dl.errors + dl.warnings)
			abort();
		for (size_t i = 0; i < dl.count; i++)
			if (!items[i].code || items[i].offset > size + 1)
				abort();
		check_views(&P, in, size);
		if (rc != UPQR_OK || size > UPQR_MPM_INPUT_MAX - 64)
			continue;
		/* Valid in, valid out: set-amount keeps the payload valid. */
		static char out[UPQR_MPM_ENCODED_MAX + 1];
		size_t n;
		int64_t amount = 1 + (int64_t)(size % 100000);
		rc = upqr_mpm_set_amount(out, sizeof out, &n, pr, in, size, amount, NULL);
		if (rc == UPQR_OK) {
			if (upqr_mpm_decode(&P, pr, out, n, NULL) != UPQR_OK || !P.fields.amount_exact ||
					P.fields.amount_minor != amount || P.fields.dynamic != 1)
				abort();
		} else if (rc != UPQR_EINVALID) {
			abort();
		}
	}
	return 0;
}
