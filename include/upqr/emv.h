/*
 * upqr/emv.h - EMV key derivation, session keys, MACs, application
 * cryptograms (ARQC) and ARPCs, and the cryptogram versions (CVNs) upqr
 * knows. The CPM generator and verifier (upqr/cpm.h) are built on it; a
 * server that only checks cryptograms needs nothing else.
 *
 * Thread-safety: a key handle is used by one thread at a time; everything
 * else is reentrant and keeps no state.
 */
#ifndef UPQR_EMV_H
#define UPQR_EMV_H

#include <stddef.h>
#include <stdint.h>

#include "upqr/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================
 * Sizes, tags and method numbers (macros, and the same values by name)
 * ======================================================================
 *
 * Bindings that cannot read C macros take the values from
 * upqr_emv_constants() / upqr_emv_constant_get(); a unit test checks that
 * both agree.
 */

#define UPQR_EMV_KEY_LEN 16u          /* TDES (double length) and AES-128 keys */
#define UPQR_EMV_KCV_LEN 3u
#define UPQR_EMV_AC_LEN 8u            /* ARQC / TC / AAC */
#define UPQR_EMV_ARC_LEN 2u           /* ARPC method 1 response code */
#define UPQR_EMV_CSU_LEN 4u           /* ARPC method 2 card status update */
#define UPQR_EMV_PROP_AUTH_MAX 8u     /* ARPC method 2 proprietary authentication data */
#define UPQR_EMV_ARPC1_LEN 8u
#define UPQR_EMV_ARPC2_LEN 4u
#define UPQR_EMV_ARPC_MAX 8u
#define UPQR_EMV_IAD_MAX 32u          /* '9F10' */
#define UPQR_EMV_AC_INPUT_MAX 65u     /* longest cryptogram input: the 33-byte core + a 32-byte IAD (Visa 22) */

#define UPQR_EMV_PAD_METHOD_1 1       /* ISO/IEC 9797-1 padding method 1: zeros, none if aligned */
#define UPQR_EMV_PAD_METHOD_2 2       /* padding method 2: '80' then zeros */

#define UPQR_EMV_ARPC_METHOD_CVN 0    /* the method the cryptogram version names */
#define UPQR_EMV_ARPC_METHOD_1 1      /* 3DES(K)[ARQC xor (ARC || 00 x 6)] */
#define UPQR_EMV_ARPC_METHOD_2 2      /* MAC(SK)[ARQC || CSU || proprietary data], 4 bytes */

/* Data objects of a CPM and of the cryptogram input (EMV Book 3 Annex A). */
#define UPQR_EMV_TAG_AID 0x4Fu
#define UPQR_EMV_TAG_LABEL 0x50u
#define UPQR_EMV_TAG_TRACK2 0x57u
#define UPQR_EMV_TAG_PAN 0x5Au
#define UPQR_EMV_TAG_APP_TEMPLATE 0x61u
#define UPQR_EMV_TAG_COMMON_TEMPLATE 0x62u
#define UPQR_EMV_TAG_APP_TRANSPARENT 0x63u
#define UPQR_EMV_TAG_COMMON_TRANSPARENT 0x64u
#define UPQR_EMV_TAG_AIP 0x82u
#define UPQR_EMV_TAG_PFI 0x85u
#define UPQR_EMV_TAG_TVR 0x95u
#define UPQR_EMV_TAG_TXN_DATE 0x9Au
#define UPQR_EMV_TAG_TXN_TYPE 0x9Cu
#define UPQR_EMV_TAG_CURRENCY 0x5F2Au
#define UPQR_EMV_TAG_PSN 0x5F34u
#define UPQR_EMV_TAG_AMOUNT 0x9F02u
#define UPQR_EMV_TAG_AMOUNT_OTHER 0x9F03u
#define UPQR_EMV_TAG_APP_VERSION 0x9F08u
#define UPQR_EMV_TAG_IAD 0x9F10u
#define UPQR_EMV_TAG_TRID 0x9F19u
#define UPQR_EMV_TAG_COUNTRY 0x9F1Au
#define UPQR_EMV_TAG_PAR 0x9F24u
#define UPQR_EMV_TAG_LAST4 0x9F25u
#define UPQR_EMV_TAG_AC 0x9F26u
#define UPQR_EMV_TAG_CID 0x9F27u
#define UPQR_EMV_TAG_ATC 0x9F36u
#define UPQR_EMV_TAG_UN 0x9F37u

/* ======================================================================
 * EMV cryptography (OpenSSL 3, default provider only)
 * ======================================================================
 *
 * Long-lived keys (issuer master key IMK, card master key MK) live in an
 * opaque upqr_emv_key: its bytes and OpenSSL key schedules are wiped when
 * it is freed, and it caches the OpenSSL objects the hot path needs (the
 * fetched ciphers, a context keyed once with the key, a scratch context,
 * the CMAC context), so an ARQC costs only the cipher calls themselves.
 * Ephemeral session keys are plain 16-byte arrays the caller wipes with
 * upqr_memzero(). A handle is used by one thread at a time.
 *
 * Single DES (needed by ISO 9797-1 MAC algorithm 3) is the legacy provider
 * only in OpenSSL 3; upqr runs it as DES-EDE3 with the key repeated
 * (K||K||K), which is single DES, from the default provider.
 */

typedef enum upqr_emv_key_type {
	UPQR_EMV_KEY_TDES = 1,    /* double-length DES key, 16 bytes */
	UPQR_EMV_KEY_AES128 = 2   /* AES-128 key, 16 bytes */
} upqr_emv_key_type;

typedef struct upqr_emv_key upqr_emv_key;

/**
 * Makes a key handle from 16 key bytes (copied; the caller may wipe its
 * copy). Returns UPQR_OK, UPQR_EKEY (wrong length or type), UPQR_ENOMEM,
 * UPQR_ECRYPTO (OpenSSL could not provide the ciphers).
 */
UPQR_EXTERN int upqr_emv_key_new(upqr_emv_key **out, upqr_emv_key_type type,
		const uint8_t *key, size_t len) UPQR_WARN_UNUSED;
/** Wipes and frees the key. Accepts NULL. */
UPQR_EXTERN void upqr_emv_key_free(upqr_emv_key *key);
/** The key's type. */
UPQR_EXTERN upqr_emv_key_type upqr_emv_key_get_type(const upqr_emv_key *key);
/** Text of the last failure on this handle ("" if none); never holds key bytes or a PAN. */
UPQR_EXTERN const char *upqr_emv_key_last_error(const upqr_emv_key *key);
/** Key check value: the first 3 bytes of the key encrypting a zero block (DES-EDE or AES-128-ECB). */
UPQR_EXTERN int upqr_emv_key_kcv(uint8_t kcv[UPQR_EMV_KCV_LEN], upqr_emv_key *key) UPQR_WARN_UNUSED;

typedef enum upqr_emv_mk_option {
	UPQR_EMV_MK_OPTION_A = 1,  /* EMV Book 2 A1.4.1 */
	UPQR_EMV_MK_OPTION_B = 2   /* A1.4.2: SHA-1 + decimalisation for PANs over 16 digits */
} upqr_emv_mk_option;

/**
 * ICC master key from the issuer master key (TDES): Y = the rightmost 16
 * digits of PAN || PSN (PSN as two digits, "00" when psn < 0), left-padded
 * with '0'; MK = 3DES(IMK)[Y] || 3DES(IMK)[Y xor FF..FF], odd parity.
 * Option B first replaces Y, for PANs over 16 digits, by the first 16
 * decimal digits of SHA-1(PAN || PSN, BCD, '0'-prefixed to even length)
 * (then hex letters a..f as 0..5). mk receives 16 bytes: wipe them.
 */
UPQR_EXTERN int upqr_emv_derive_icc_mk(uint8_t mk[UPQR_EMV_KEY_LEN], upqr_emv_key *imk, const char *pan,
		size_t pan_len, int psn, upqr_emv_mk_option option) UPQR_WARN_UNUSED;

/**
 * EMV common session key (Book 2 A1.3.1) under a master key handle:
 * TDES: r is 8 bytes (for the AC: ATC || 00 x 6); SK = 3DES(MK)[r with
 * byte 2 := F0] || 3DES(MK)[r with byte 2 := 0F], odd parity.
 * AES-128: r is 16 bytes (for the AC: ATC || 00 x 14); SK = AES(MK)[r].
 */
UPQR_EXTERN int upqr_emv_derive_session_key(uint8_t sk[UPQR_EMV_KEY_LEN], upqr_emv_key *mk,
		const uint8_t *r, size_t r_len) UPQR_WARN_UNUSED;

/**
 * ISO/IEC 9797-1 MAC algorithm 3 with DES, padding method 1 (zeros, none
 * if aligned; one zero block for empty data) or 2 ('80' then zeros).
 * key_len 16: K1 = key[0..8), K2 = key[8..16) single DES (the EMV AC);
 * key_len 32: K1, K2 are two double-length 3DES keys. Creates its OpenSSL
 * objects per call (upqr_emv_arqc below uses the key handle's cached ones).
 */
UPQR_EXTERN int upqr_emv_mac_alg3(uint8_t mac[8], const uint8_t *key, size_t key_len,
		int padding, const uint8_t *data, size_t len) UPQR_WARN_UNUSED;
/** AES-CMAC (RFC 4493, EVP_MAC "CMAC") with a 16-byte key; 16-byte result. */
UPQR_EXTERN int upqr_emv_aes_cmac(uint8_t mac[16], const uint8_t key[UPQR_EMV_KEY_LEN],
		const uint8_t *data, size_t len) UPQR_WARN_UNUSED;
/** ARPC method 1: 3DES(key)[ARQC xor (ARC || 00 x 6)]. Which key (MK or SK) is scheme-defined. */
UPQR_EXTERN int upqr_emv_arpc_method1(uint8_t arpc[UPQR_EMV_ARPC1_LEN], upqr_emv_key *key,
		const uint8_t arqc[UPQR_EMV_AC_LEN], const uint8_t arc[UPQR_EMV_ARC_LEN]) UPQR_WARN_UNUSED;
/** ARPC method 2: leftmost 4 bytes of MAC alg. 3, padding 2, under sk over ARQC || CSU || pad (0..8 bytes). */
UPQR_EXTERN int upqr_emv_arpc_method2(uint8_t arpc[UPQR_EMV_ARPC2_LEN], const uint8_t sk[UPQR_EMV_KEY_LEN],
		const uint8_t arqc[UPQR_EMV_AC_LEN], const uint8_t csu[UPQR_EMV_CSU_LEN], const uint8_t *pad,
		size_t pad_len) UPQR_WARN_UNUSED;


/* ======================================================================
 * Cryptogram versions (CVN)
 * ======================================================================
 *
 * A CVN id is (scheme << 8) | the CVN byte the IAD carries, so the same
 * byte of two schemes never collides. What each supported one does
 * (sources: EMV 4.3 Book 2 Annex A1; the schemes' public summaries; the
 * PyPI package pyemv, which the tests use as an independent check):
 *
 *  id       MK option  session key (R)            pad  AC input tail   ARPC
 *  A1 upqr  caller's   EMV CSK, ATC||00x6         2    IAD[3..7)       1 or 2 under SK
 *  A2 upqr  caller's   AES(MK)[ATC||00x14]        CMAC IAD[3..7)       2 (CMAC) under SK
 *  Visa 10  A          none: the MK itself        1    IAD[3..7)       1 under MK
 *  Visa 18  B          EMV CSK, ATC||00x6         2    whole IAD       2 under SK
 *  Visa 22  B          EMV CSK, ATC||00x6         2    whole IAD       2 under SK
 *  MC 16    A          MC SKD, ATC||0000||UN      2    IAD[2..8)       1 under MK
 *  MC 17    A          MC SKD, ATC||0000||UN      2    IAD[2..8)+[10..18) 1 under MK
 *  MC 20    A          EMV CSK, ATC||00x6         2    IAD[2..8)       1 under SK
 *  MC 21    A          EMV CSK, ATC||00x6         2    IAD[2..8)+[10..18) 1 under SK
 *  UP 01    A          PBOC, 00x6||ATC, 00x6||~ATC 2   IAD[3..7)       1 under SK
 *
 * Every AC input starts with the 33 bytes 9F02 9F03 9F1A 95 5F2A 9A 9C
 * 9F37 82 9F36 (EMV common core CDOL1). Option B equals option A for PANs
 * of 16 digits or fewer. The IAD layouts (built by the generator, read by
 * upqr_emv_iad_parse):
 *  - upqr A1/A2 (7 bytes): 06 DKI CVN 03 CVR(3)
 *  - Visa format 0/1/3 (CVN 10, 18; 7 bytes, or more with issuer
 *    discretionary data): 06 DKI CVN CVR(4, first byte 03) ...
 *  - Visa format 2 (CVN 22; 32 bytes): 1F CVN DKI CVR(5) then 24 bytes
 *    (issuer discretionary data; the AC covers all of them)
 *  - Mastercard M/Chip (CVN 16..21; 18 bytes or more): DKI CVN CVR(6)
 *    DAC/IDN(2) counters(8) ...
 *  - UnionPay UICS/PBOC (CVN 01; 8 bytes or more): 07 DKI CVN CVR(4, first
 *    byte 03) ALG ... where ALG 01 is TDES; another ALG (04, SM4) is
 *    recognised and answered with UPQR_EUNSUPPORTED.
 * UnionPay CVN 01 follows the worked example with keys published in
 * Chinese developer write-ups of JR/T 0025 ("金融IC卡 ARQC和ARPC计算方法和
 * 实例", e.g. cnblogs.com/1024Planet/p/6256545.html): upqr reproduces its
 * ARQC and ARPC (tests/unit/test_emv_cvn.c); the PBOC specification itself
 * was not at hand (docs/cpm.md).
 */

#define UPQR_EMV_SCHEME_UPQR 0u        /* closed-loop layouts of upqr itself */
#define UPQR_EMV_SCHEME_VISA 1u
#define UPQR_EMV_SCHEME_MASTERCARD 2u
#define UPQR_EMV_SCHEME_UNIONPAY 3u
#define UPQR_EMV_CVN_ID(scheme, byte) (((unsigned int)(scheme) << 8) | ((unsigned int)(byte) & 0xFFu))
#define UPQR_EMV_CVN_SCHEME(id) ((unsigned int)(id) >> 8)
#define UPQR_EMV_CVN_BYTE(id) ((unsigned int)(id) & 0xFFu)

#define UPQR_EMV_CVN_UPQR_A1 0x0A1u    /* = UPQR_CPM_CVN_TDES */
#define UPQR_EMV_CVN_UPQR_A2 0x0A2u    /* = UPQR_CPM_CVN_AES */
#define UPQR_EMV_CVN_VISA_10 0x10Au    /* CVN byte '0A' */
#define UPQR_EMV_CVN_VISA_18 0x112u    /* CVN byte '12' */
#define UPQR_EMV_CVN_VISA_22 0x122u    /* CVN byte '22' (VIS 1.6, IAD format 2) */
#define UPQR_EMV_CVN_MC_16 0x210u      /* CVN byte '10' */
#define UPQR_EMV_CVN_MC_17 0x211u
#define UPQR_EMV_CVN_MC_20 0x214u
#define UPQR_EMV_CVN_MC_21 0x215u
#define UPQR_EMV_CVN_UNIONPAY_01 0x301u /* UICS/PBOC, TDES */

#define UPQR_EMV_SK_NONE 0             /* the MK itself */
#define UPQR_EMV_SK_COMMON 1           /* EMV common session key, R = ATC || 00 x 6 */
#define UPQR_EMV_SK_MASTERCARD 2       /* EMV CSK form with R = ATC || 00 00 || UN */
#define UPQR_EMV_SK_AES 3              /* AES(MK)[ATC || 00 x 14] */
#define UPQR_EMV_SK_PBOC 4             /* 3DES(MK)[00 x 6 || ATC] || 3DES(MK)[00 x 6 || ATC xor FFFF] */

/* What one cryptogram version does; fields as in the table above. */
typedef struct upqr_emv_cvn_info {
	unsigned int id;
	const char *name;         /* "upqr-a1", "visa-10", "mastercard-16", "unionpay-01", ... */
	int supported;            /* 1 when upqr generates and verifies it */
	int mk_option;            /* UPQR_EMV_MK_OPTION_A / _B; 0: the caller picks (closed loop) */
	int session_key;          /* UPQR_EMV_SK_* */
	int padding;              /* UPQR_EMV_PAD_METHOD_*; 0 for AES-CMAC */
	int arpc_method;          /* UPQR_EMV_ARPC_METHOD_1 / _2 (A1 also allows 2) */
	int arpc_under_mk;        /* 1: ARPC under the MK; 0: under the AC session key */
	size_t iad_len;           /* length of the IAD upqr generates */
} upqr_emv_cvn_info;

/** The CVN with that id, or NULL. */
UPQR_EXTERN const upqr_emv_cvn_info *upqr_emv_cvn_lookup(unsigned int id);
/** The CVN called `name` (as in upqr_emv_cvn_info.name), or NULL. */
UPQR_EXTERN const upqr_emv_cvn_info *upqr_emv_cvn_by_name(const char *name);
/** The whole table; *count gets its length. */
UPQR_EXTERN const upqr_emv_cvn_info *upqr_emv_cvns(size_t *count);

/**
 * Reads which CVN an IAD ('9F10') carries. aid (may be NULL) breaks ties
 * by its RID: A000000003 Visa, A000000004 Mastercard, A000000333
 * UnionPay. *cvn gets the id, also for a recognised CVN upqr cannot verify
 * (see upqr_emv_cvn_lookup(...)->supported, NULL for an unknown byte of a
 * known layout), *dki the derivation key index (either may be NULL).
 * Returns UPQR_OK, or UPQR_EUNSUPPORTED when no known layout fits
 * (*cvn = 0); UPQR_EINVAL for NULL iad.
 */
UPQR_EXTERN int upqr_emv_iad_parse(unsigned int *cvn, uint8_t *dki, const uint8_t *iad, size_t len,
		const uint8_t *aid, size_t aid_len) UPQR_WARN_UNUSED;

/**
 * The AC session key CVN `cvn` names, under the card's MK handle, for the
 * code's ATC (and UN: the Mastercard SKD uses it; ignored otherwise). For
 * a CVN without a session key (Visa 10) sk receives a copy of the MK.
 * sk receives 16 bytes: wipe them. Returns UPQR_OK, UPQR_EUNSUPPORTED (CVN
 * not implemented), UPQR_EKEY (the key type does not fit the CVN),
 * UPQR_EINVAL, UPQR_ECRYPTO.
 */
UPQR_EXTERN int upqr_emv_derive_cvn_session_key(uint8_t sk[UPQR_EMV_KEY_LEN], upqr_emv_key *mk, unsigned int cvn,
		const uint8_t atc[2], const uint8_t un[4]) UPQR_WARN_UNUSED;

/**
 * The ARQC of cryptogram version cvn over input[0..len) (the CVN's AC
 * input: the 33-byte core, then the IAD bytes the CVN covers; table
 * above): the session key the CVN names (from atc, and un for the
 * Mastercard SKD; un is read only then but must not be NULL), then its MAC
 * (MAC algorithm 3 with the CVN's padding, or AES-CMAC for A2), leftmost 8
 * bytes. Runs on the handle's cached OpenSSL objects: no fetch, no
 * allocation. upqr_emv_arqc takes the card's MK (AES-128 for A2, TDES
 * otherwise); upqr_emv_arqc_imk the issuer master key (TDES), from which
 * it derives the MK by the option the CVN names (A for A1) for pan
 * (pan_len digits) and psn (-1: none), and wipes it after. Comparing the
 * result with a code's ARQC is the caller's (use CRYPTO_memcmp).
 * Returns UPQR_OK, UPQR_EUNSUPPORTED (CVN not implemented), UPQR_EKEY (key
 * type does not fit the CVN), UPQR_EINVAL, UPQR_ECRYPTO.
 */
UPQR_EXTERN int upqr_emv_arqc(uint8_t ac[UPQR_EMV_AC_LEN], upqr_emv_key *mk, unsigned int cvn,
		const uint8_t atc[2], const uint8_t un[4], const uint8_t *input, size_t len) UPQR_WARN_UNUSED;
UPQR_EXTERN int upqr_emv_arqc_imk(uint8_t ac[UPQR_EMV_AC_LEN], upqr_emv_key *imk, const char *pan,
		size_t pan_len, int psn, unsigned int cvn, const uint8_t atc[2], const uint8_t un[4],
		const uint8_t *input, size_t len) UPQR_WARN_UNUSED;

typedef struct upqr_emv_constant {
	const char *name;         /* the macro's name, e.g. "UPQR_EMV_KEY_LEN" */
	uint32_t value;
} upqr_emv_constant;
/** Every macro above (and UPQR_CPM_CVN_*), with its value; *count gets the length. */
UPQR_EXTERN const upqr_emv_constant *upqr_emv_constants(size_t *count);
/** One of them by name: UPQR_OK, or UPQR_ENOTFOUND. */
UPQR_EXTERN int upqr_emv_constant_get(const char *name, uint32_t *value) UPQR_WARN_UNUSED;

#ifdef __cplusplus
}
#endif
#endif /* UPQR_EMV_H */
