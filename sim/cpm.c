/*
 * cpm.c - consume (01/06) with a consumer-presented EMV code: the payload is
 * decoded with the SDK's CPM reader, its ARQC recomputed with the issuer
 * master key the simulator holds (upqr_cpm_verify), and its ATC must be
 * higher than every ATC accepted before for the same card (kept in the state
 * database by a digest of PAN/PSN, never the PAN itself).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "db.h"

static int hex_nibble(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
		: c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

int sim_cpm_open(sim *s, char *err, size_t err_cap)
{
	uint8_t key[16];
	const char *h = s->cfg.cpm_imk;
	if (strlen(h) != 32 || (strcmp(s->cfg.cpm_mk_option, "A") && strcmp(s->cfg.cpm_mk_option, "B"))) {
		snprintf(err, err_cap, "config: cpmImk wants 32 hex digits and cpmMkOption A or B");
		return -1;
	}
	for (int i = 0; i < 16; i++) {
		int hi = hex_nibble(h[2 * i]), lo = hex_nibble(h[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			snprintf(err, err_cap, "config: cpmImk is not hex");
			return -1;
		}
		key[i] = (uint8_t)(hi << 4 | lo);
	}
	int rc = upqr_emv_key_new(&s->cpm_imk, UPQR_EMV_KEY_TDES, key, sizeof key);
	upqr_memzero(key, sizeof key);
	if (rc != UPQR_OK) {
		snprintf(err, err_cap, "CPM issuer key: %s", upqr_strerror(rc));
		return -1;
	}
	return 0;
}

/* Decodes b64 into a heap upqr_cpm (about 10 KiB); NULL when it is not a valid CPM. */
static upqr_cpm *decode(const char *b64)
{
	upqr_cpm *c = malloc(sizeof *c);
	if (c && upqr_cpm_decode(c, NULL, b64, strlen(b64), NULL) != UPQR_OK) {
		free(c);
		c = NULL;
	}
	return c;
}

bool sim_cpm_format_ok(const char *b64)
{
	upqr_cpm *c = decode(b64);
	free(c);
	return c != NULL;
}

/* Lower-case hex of SHA-256("PAN/PSN"): the card's key in cpm_atc. */
static bool card_id(const upqr_cpm *c, char out[65])
{
	char pan[UPQR_CPM_PAN_MAX + 1], text[UPQR_CPM_PAN_MAX + 8];
	size_t n;
	if (upqr_cpm_pan(pan, sizeof pan, &n, c) != UPQR_OK)
		return false;
	int len = snprintf(text, sizeof text, "%s/%d", pan, c->psn);
	uint8_t md[32];
	unsigned int md_len = 0;
	bool ok = len > 0 && EVP_Digest(text, (size_t)len, md, &md_len, EVP_sha256(), NULL) == 1;
	upqr_memzero(pan, sizeof pan);
	upqr_memzero(text, sizeof text);
	for (unsigned int i = 0; ok && i < md_len; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return ok;
}

/* Records atc for the card unless it is not above the last one; false for a replay. */
static bool atc_fresh(sim *s, const char *card, unsigned int atc)
{
	sqlite3_stmt *st;
	bool fresh = false;
	if (sqlite3_prepare_v2(s->db, "SELECT coalesce(max(atc), -1) FROM cpm_atc WHERE pan = ?1", -1, &st,
			NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_text(st, 1, card, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW)
		fresh = sqlite3_column_int64(st, 0) < (sqlite3_int64)atc;
	sqlite3_finalize(st);
	if (!fresh || sqlite3_prepare_v2(s->db, "INSERT INTO cpm_atc VALUES (?1, ?2)", -1, &st, NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_text(st, 1, card, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, atc);
	fresh = sqlite3_step(st) == SQLITE_DONE;
	sqlite3_finalize(st);
	return fresh;
}

const char *sim_cpm_check(sim *s, const char *b64)
{
	upqr_cpm *c = decode(b64);
	if (!c)
		return "10";
	upqr_cpm_cryptogram info;
	upqr_cpm_key_role role = s->cfg.cpm_mk_option[0] == 'B' ? UPQR_CPM_KEY_IMK_OPTION_B
		: UPQR_CPM_KEY_IMK_OPTION_A;
	int rc = upqr_cpm_verify(&info, s->cpm_imk, role, c);
	char card[65];
	const char *code = NULL;
	if (rc != UPQR_OK) {
		fprintf(stderr, "upqr-sim: CPM refused (61): %s: %s\n", upqr_status_name(rc),
			upqr_emv_key_last_error(s->cpm_imk));
		code = "61";
	} else if (!card_id(c, card) || !atc_fresh(s, card, info.atc)) {
		code = "38";
	}
	free(c);
	return code;
}
