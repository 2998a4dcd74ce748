/*
 * cpm_replay.c - a caller-owned table of the highest ATC accepted per card.
 * Cards are keyed by a digest of PAN and PSN so the table itself never
 * holds a PAN.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "cpm_internal.h"

size_t upqr_cpm_replay_id_bytes(void) { return UPQR_CPM_REPLAY_ID_BYTES; }

void upqr_cpm_replay_init(upqr_cpm_replay *t, upqr_cpm_replay_entry *storage, size_t cap)
{
	if (!t)
		return;
	t->entries = storage;
	t->capacity = storage ? cap : 0;
	t->count = 0;
}

static int card_id(uint8_t id[16], const char *pan, size_t pan_len, int psn)
{
	char in[UPQR_CPM_PAN_MAX + 4];
	uint8_t md[32];
	unsigned int mdlen = 0;
	memcpy(in, pan, pan_len);
	in[pan_len] = '/';
	in[pan_len + 1] = (char)('0' + (psn < 0 ? 0 : psn / 10));
	in[pan_len + 2] = (char)('0' + (psn < 0 ? 0 : psn % 10));
	int ok = EVP_Digest(in, pan_len + 3, md, &mdlen, EVP_sha256(), NULL);
	memcpy(id, md, 16);
	OPENSSL_cleanse(in, sizeof in);
	OPENSSL_cleanse(md, sizeof md);
	return ok ? UPQR_OK : UPQR_ECRYPTO;
}

/* Accepts atc for the card id only when greater than the last one, and records it. */
static int record(upqr_cpm_replay *t, const uint8_t id[16], uint16_t atc)
{
	for (size_t i = 0; i < t->count; i++) {
		upqr_cpm_replay_entry *e = &t->entries[i];
		if (memcmp(e->id, id, 16) != 0)
			continue;
		if (atc <= e->last_atc)
			return UPQR_EREPLAY;
		e->last_atc = atc;
		return UPQR_OK;
	}
	if (t->count >= t->capacity)
		return UPQR_ELIMIT;
	memcpy(t->entries[t->count].id, id, 16);
	t->entries[t->count++].last_atc = atc;
	return UPQR_OK;
}

int upqr_cpm_replay_check_atc(upqr_cpm_replay *t, const char *pan, size_t pan_len, int psn, uint16_t atc)
{
	if (!t || (!t->entries && t->capacity) || !pan || pan_len == 0 || pan_len > UPQR_CPM_PAN_MAX || psn > 99)
		return UPQR_EINVAL;
	uint8_t id[16];
	int rc = card_id(id, pan, pan_len, psn);
	return rc ? rc : record(t, id, atc);
}

int upqr_cpm_replay_key(uint8_t id[16], uint16_t *atc_out, const upqr_cpm *cpm)
{
	if (!id || !atc_out || !cpm)
		return UPQR_EINVAL;
	upqr_cpm_bytes atc;
	char pan[UPQR_CPM_PAN_MAX + 1];
	size_t n = 0;
	if (upqr_cpm_find(&atc, cpm, UPQR__TAG_ATC) != UPQR_OK || atc.len != 2 ||
			upqr_cpm_pan(pan, sizeof pan, &n, cpm) != UPQR_OK || n == 0 || cpm->psn > 99)
		return UPQR_EINVALID;
	int rc = card_id(id, pan, n, cpm->psn);
	*atc_out = (uint16_t)(atc.ptr[0] << 8 | atc.ptr[1]);
	upqr_memzero(pan, sizeof pan);
	return rc;
}

int upqr_cpm_replay_check(upqr_cpm_replay *t, const upqr_cpm *cpm)
{
	if (!t || !cpm || (!t->entries && t->capacity))
		return UPQR_EINVAL;
	uint8_t id[16];
	uint16_t atc;
	int rc = upqr_cpm_replay_key(id, &atc, cpm);
	return rc ? rc : record(t, id, atc);
}
