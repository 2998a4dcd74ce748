/* mpm_encode.c - the MPM encoder (in progress: entry points reserved). */
#include "mpm_internal.h"

int upqr_mpm_fields_in_init(upqr_mpm_fields_in *in, unsigned int version)
{
	if (!in)
		return UPQR_EINVAL;
	if (version != UPQR_MPM_FIELDS_IN_VERSION)
		return UPQR_EVERSION;
	upqr_mpm_fields_in zero = UPQR_MPM_FIELDS_IN_INIT;
	*in = zero;
	return UPQR_OK;
}

int upqr_mpm_encode(char *out, size_t cap, size_t *written, const upqr_mpm_profile *profile,
		const upqr_mpm_fields_in *in, upqr_diag_list *diags)
{
	(void)out; (void)cap; (void)written; (void)profile; (void)in; (void)diags;
	return UPQR_EUNSUPPORTED;
}

int upqr_mpm_set_amount(char *out, size_t cap, size_t *written, const upqr_mpm_profile *profile,
		const char *payload, size_t len, int64_t amount, upqr_diag_list *diags)
{
	(void)out; (void)cap; (void)written; (void)profile; (void)payload; (void)len;
	(void)amount; (void)diags;
	return UPQR_EUNSUPPORTED;
}
