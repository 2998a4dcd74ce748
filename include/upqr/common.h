/*
 * upqr/common.h - version, export macros, status codes, allocator hook and
 * the diagnostics list shared by every module.
 *
 * Everything here is safe to call from any thread: the only process-wide
 * state in upqr is the allocator hook, which must be set before any other
 * call (see upqr_set_allocator).
 */
#ifndef UPQR_COMMON_H
#define UPQR_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- version ----------------------------------------------------------- */

#define UPQR_VERSION_MAJOR 0
#define UPQR_VERSION_MINOR 1
#define UPQR_VERSION_PATCH 0
#define UPQR_VERSION_STRING "0.1.0"
/* 0xMMmmpp, comparable with < and >. */
#define UPQR_VERSION_NUM \
	((UPQR_VERSION_MAJOR << 16) | (UPQR_VERSION_MINOR << 8) | UPQR_VERSION_PATCH)
#define UPQR_AT_LEAST_VERSION(x, y, z) \
	(UPQR_VERSION_NUM >= (((x) << 16) | ((y) << 8) | (z)))

/* ---- export and contract attributes ------------------------------------ */

#if defined(_WIN32) && defined(UPQR_BUILDING_DLL)
# define UPQR_EXTERN __declspec(dllexport)
#elif defined(_WIN32) && defined(UPQR_DLL)
# define UPQR_EXTERN __declspec(dllimport)
#elif defined(__GNUC__) && defined(UPQR_BUILDING)
# define UPQR_EXTERN __attribute__((visibility("default")))
#else
# define UPQR_EXTERN
#endif

#if defined(__GNUC__)
# define UPQR_WARN_UNUSED __attribute__((warn_unused_result))
# define UPQR_DEPRECATED(ver, msg) __attribute__((deprecated("since " ver ": " msg)))
#else
# define UPQR_WARN_UNUSED
# define UPQR_DEPRECATED(ver, msg)
#endif

/** Runtime version string, e.g. "0.1.0". Thread-safe. */
UPQR_EXTERN const char *upqr_version(void);
/** Runtime packed version (UPQR_VERSION_NUM of the library actually loaded). */
UPQR_EXTERN unsigned int upqr_version_num(void);

/* ---- the argument contract ---------------------------------------------- */

/*
 * One set of rules for every public call, stated here once:
 *
 * - Output buffers are (out, cap, written). `written` is OPTIONAL in every
 *   call: NULL is allowed, otherwise it receives the length produced or,
 *   with UPQR_EBUFSIZE, the length needed. out == NULL or a short cap is
 *   the size query (UPQR_EBUFSIZE); it needs a `written` to be useful.
 *   Text outputs are NUL-terminated and the NUL is not counted.
 * - Counts of the items a parser or a scan found (`size_t *count`) are
 *   REQUIRED: NULL gives UPQR_EINVAL, since the result cannot be read
 *   without it.
 * - Versioned structs (options, inputs, profiles: first member `version`)
 *   of a version this library does not know give UPQR_EVERSION, both in
 *   their _init function and in every call that takes them.
 * - Opaque handles carry a magic number checked at every entry point: a
 *   NULL pointer, zeroed memory or another kind of upqr handle gives
 *   UPQR_EINVAL (getters return "", NULL or 0; _free ignores it). _free
 *   clears the magic, but using a freed handle is still undefined.
 * - Every call that can fail is marked UPQR_WARN_UNUSED.
 * - Every size limit and protocol constant a binding needs exists as a
 *   UPQR_* macro and as a function returning the same value.
 */

/* ---- status codes ------------------------------------------------------ */

/*
 * Every fallible call returns a upqr_status: 0 on success, a negative value
 * on failure. The enum is append-only and values are never renumbered, so
 * bindings may store them. Ranges are reserved per module so that modules
 * can grow independently.
 */
typedef enum upqr_status {
	UPQR_OK = 0,

	/* general (-1 .. -19) */
	UPQR_EINVAL = -1,        /* a bad argument: NULL where not allowed, bad option */
	UPQR_ENOMEM = -2,        /* an allocation failed */
	UPQR_EBUFSIZE = -3,      /* output buffer too small; *written holds the size needed */
	UPQR_EINVALID = -4,      /* the input breaks the rules; see the diagnostics */
	UPQR_ECHECKSUM = -5,     /* a checksum (CRC) does not match */
	UPQR_EUNSUPPORTED = -6,  /* a valid but unsupported feature or version */
	UPQR_EIO = -7,           /* a file could not be read or written */
	UPQR_ENOTFOUND = -8,     /* a looked-up item is absent */
	UPQR_ELIMIT = -9,        /* the input exceeds a documented size cap */
	UPQR_EVERSION = -10,     /* unknown options-struct version */
	UPQR_EINTERNAL = -11,    /* a bug in upqr: please report it */
	UPQR_EENCODING = -12,    /* text is not valid UTF-8 or uses forbidden characters */

	/* codecs: MPM, CPM, TLV, base64 (-20 .. -39) */
	UPQR_ETLV = -20,         /* malformed TLV structure */
	UPQR_EBASE64 = -21,      /* malformed base64 */
	UPQR_EREPLAY = -22,      /* an ATC or nonce was used before */
	UPQR_EMISMATCH = -23,    /* a cryptogram does not match */
	UPQR_ECRYPTO = -24,      /* the crypto backend failed */
	UPQR_EKEY = -25,         /* a key has the wrong length or form */
	UPQR_ERECORD = -26,      /* a payload disagrees with the issuer's own record of it */

	/* images (-40 .. -59) */
	UPQR_EIMAGE = -40,       /* the image is broken or of an unknown format */
	UPQR_ETOOLARGE = -41,    /* the payload does not fit in a QR symbol */
	UPQR_ENOSYMBOL = -42,    /* no QR symbol was found */

	/* message security (-60 .. -79) */
	UPQR_ESIG_MISSING = -60,     /* no signature in the message */
	UPQR_ESIG_DIGEST = -61,      /* the signature does not match the message */
	UPQR_ECERT_UNTRUSTED = -62,  /* the certificate does not chain to the trusted roots */
	UPQR_ECERT_EXPIRED = -63,    /* the certificate has expired */
	UPQR_ECERT_NOTYET = -64,     /* the certificate is not yet valid */
	UPQR_ECERT_CN = -65,         /* the certificate subject is not the expected one */
	UPQR_ECERT_UNKNOWN = -66,    /* no certificate for that certId */
	UPQR_EPASSWORD = -67,        /* the key store password is wrong */
	UPQR_ECERT = -68,            /* a certificate cannot be parsed */
	UPQR_EAMBIGUOUS = -69,       /* the signed string could stand for another field set */
	UPQR_ECERT_PURPOSE = -70,    /* the certificate is not for signing (key usage, CA) */

	/* network and acquirer (-80 .. -99) */
	UPQR_ENETWORK = -80,
	UPQR_ETLS = -81,
	UPQR_ETIMEOUT = -82,
	UPQR_ESERVER = -83,
	UPQR_EAUTH = -84,
	UPQR_ECANCELLED = -85,

	/* order journal (-100 .. -119) */
	UPQR_EDUPLICATE = -100,  /* the orderId (or reversal) is already in the journal */
	UPQR_ESTATE = -101,      /* the operation is not allowed in the record's state */
	UPQR_EOVERREFUND = -102, /* refunds and voids would exceed the original amount */
	UPQR_ECLAIMED = -103,    /* another process holds a live claim on the order */
	UPQR_ECORRUPT = -104,    /* the journal file is damaged or not a database */
	UPQR_EFOREIGN = -105,    /* the database belongs to another application */
	UPQR_EBUSY = -106        /* the journal stayed locked past the busy timeout */
} upqr_status;

/** A static, never-NULL English description of a status. Thread-safe. */
UPQR_EXTERN const char *upqr_strerror(int status);
/** The enum name of a status, e.g. "UPQR_EBUFSIZE", or "UPQR_UNKNOWN". */
UPQR_EXTERN const char *upqr_status_name(int status);

/* ---- allocator --------------------------------------------------------- */

/*
 * One hook for every allocation upqr makes itself (third-party libraries
 * such as OpenSSL and ZBar allocate on their own). Set it before any other
 * upqr call and do not change it while upqr objects are alive: memory must
 * be freed by the allocator that made it. Passing NULL restores malloc.
 */
typedef struct upqr_allocator {
	void *(*alloc)(size_t size, void *user);
	void *(*realloc)(void *ptr, size_t size, void *user);
	void (*free)(void *ptr, void *user);
	void *user;
} upqr_allocator;

UPQR_EXTERN int upqr_set_allocator(const upqr_allocator *allocator) UPQR_WARN_UNUSED;
/** Frees memory that upqr returned to the caller. Accepts NULL. */
UPQR_EXTERN void upqr_free(void *ptr);

/** Overwrites len bytes at p with zeros in a way the compiler keeps. */
UPQR_EXTERN void upqr_memzero(void *p, size_t len);

/* ---- diagnostics ------------------------------------------------------- */

typedef enum upqr_severity {
	UPQR_SEV_WARNING = 1,
	UPQR_SEV_ERROR = 2
} upqr_severity;

#define UPQR_DIAG_PATH_MAX 16
#define UPQR_DIAG_MESSAGE_MAX 112
UPQR_EXTERN size_t upqr_diag_path_max(void);
UPQR_EXTERN size_t upqr_diag_message_max(void);

/*
 * One problem found in an input. `code` is a stable snake_case name such as
 * "crc_mismatch" (static storage; compare with strcmp). `offset` is the byte
 * offset in the input where the problem starts, `path` the ID path such as
 * "62.05" ("" for the payload as a whole). Messages never contain keys,
 * PINs or full PANs.
 */
typedef struct upqr_diag {
	const char *code;
	upqr_severity severity;
	size_t offset;
	char path[UPQR_DIAG_PATH_MAX];
	char message[UPQR_DIAG_MESSAGE_MAX];
} upqr_diag;

/*
 * A caller-owned list of diagnostics with fixed capacity. When it is full,
 * further problems are still counted (errors, warnings, dropped) but not
 * stored, so validity is always known.
 */
typedef struct upqr_diag_list {
	upqr_diag *items;
	size_t capacity;
	size_t count;     /* stored items */
	size_t dropped;   /* problems found but not stored */
	size_t errors;    /* all errors found, stored or not */
	size_t warnings;  /* all warnings found, stored or not */
} upqr_diag_list;

/** Points the list at caller storage and empties it. storage may be NULL when cap is 0. */
UPQR_EXTERN void upqr_diag_list_init(upqr_diag_list *list, upqr_diag *storage, size_t cap);
/** Empties the list, keeping its storage. */
UPQR_EXTERN void upqr_diag_list_clear(upqr_diag_list *list);
/** Returns the first stored item with that code, or NULL. */
UPQR_EXTERN const upqr_diag *upqr_diag_list_find(const upqr_diag_list *list, const char *code);
/** "error" or "warning". */
UPQR_EXTERN const char *upqr_severity_name(upqr_severity sev);

/* ---- checksums and text ------------------------------------------------- */

/** CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection): the MPM CRC. */
UPQR_EXTERN uint16_t upqr_crc16(const void *data, size_t len);
/** Continues a CRC: upqr_crc16(a||b) == upqr_crc16_update(upqr_crc16(a), b). */
UPQR_EXTERN uint16_t upqr_crc16_update(uint16_t crc, const void *data, size_t len);

/* ---- base64 (RFC 4648 §4, standard alphabet, padding required) --------- */

/* Characters needed to encode n bytes (without the NUL). */
#define UPQR_BASE64_ENCODED_LEN(n) ((((n) + 2) / 3) * 4)
/* Upper bound of the bytes n base64 characters decode to. */
#define UPQR_BASE64_DECODED_MAX(n) (((n) / 4) * 3)
UPQR_EXTERN size_t upqr_base64_encoded_len(size_t n);
UPQR_EXTERN size_t upqr_base64_decoded_max(size_t n);

/*
 * Encodes in[0..len) into out (NUL-terminated). *written receives the
 * character count; out == NULL or a short buffer returns UPQR_EBUFSIZE with
 * the count needed in *written (add 1 for the NUL).
 */
UPQR_EXTERN int upqr_base64_encode(char *out, size_t cap, size_t *written,
		const uint8_t *in, size_t len) UPQR_WARN_UNUSED;
/*
 * Strict decode: length a multiple of 4, only A-Z a-z 0-9 + /, '=' only as
 * final padding, unused bits of the last character zero (so every byte
 * string has exactly one accepted encoding), no whitespace. On malformed
 * input returns UPQR_EBASE64 and stores the offset of the first bad
 * character in *bad_offset (may be NULL). out == NULL asks for the size.
 */
UPQR_EXTERN int upqr_base64_decode(uint8_t *out, size_t cap, size_t *written,
		const char *in, size_t len, size_t *bad_offset) UPQR_WARN_UNUSED;

#ifdef __cplusplus
}
#endif
#endif /* UPQR_COMMON_H */
