/*
 * upqr/qr.h - QR symbols for payment payloads: payload -> module matrix
 * (libqrencode), and module matrix -> grey pixels, PNG, SVG or terminal text.
 *
 * The symbol follows EMV MPM §4.12.1: every byte in one byte-mode segment,
 * preceded by ECI 000026 (UTF-8) exactly when the payload has a byte outside
 * the EMV common character set 0x20..0x7E; the smallest version (1..40) that
 * holds the payload at the chosen error-correction level.
 *
 * Two layers:
 *   - upqr_qr_encode(): payload -> modules (size x size bytes, dark = 1);
 *     upqr_qr_pixels/png/svg/text(): modules -> image, so an app encodes once
 *     and draws in as many forms as it likes.
 *   - upqr_qr_render() / upqr_qr_render_file(): payload straight to any form.
 *
 * Every output goes to a caller buffer with its capacity; a NULL or short
 * buffer returns UPQR_EBUFSIZE with the size needed in *written (written
 * may be NULL when the caller does not need it). Nothing is allocated for
 * the caller. libqrencode and libpng are used from one call only; the
 * functions keep no state and are thread-safe. libqrencode allocates with
 * malloc (outside the upqr allocator hook); libpng allocates through it.
 */
#ifndef UPQR_QR_H
#define UPQR_QR_H

#include <stddef.h>
#include <stdint.h>

#include "upqr/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- limits (each also as a function, for bindings) -------------------- */

#define UPQR_QR_VERSION_MAX 40
/* Modules per side of a version-40 symbol: 17 + 4 * 40. */
#define UPQR_QR_SIZE_MAX 177
/* Bytes of the largest module matrix: 177 * 177. */
#define UPQR_QR_MODULES_MAX 31329
/* Longest payload in bytes (version 40, ECC L, no ECI; with ECI one byte less). */
#define UPQR_QR_PAYLOAD_MAX 2953
#define UPQR_QR_SCALE_MAX 64
/* ISO/IEC 18004 asks for a quiet zone of at least 4 modules; fewer is refused. */
#define UPQR_QR_MARGIN_MIN 4
#define UPQR_QR_MARGIN_MAX 64

UPQR_EXTERN int upqr_qr_version_max(void);
UPQR_EXTERN size_t upqr_qr_size_max(void);
UPQR_EXTERN size_t upqr_qr_modules_max(void);
UPQR_EXTERN unsigned int upqr_qr_scale_max(void);
UPQR_EXTERN unsigned int upqr_qr_margin_min(void);
UPQR_EXTERN unsigned int upqr_qr_margin_max(void);

/* ---- options ------------------------------------------------------------ */

/* Error-correction level: about 7, 15, 25 and 30 % of the codewords restorable. */
typedef enum upqr_qr_ecc {
	UPQR_QR_ECC_L = 0,
	UPQR_QR_ECC_M = 1,
	UPQR_QR_ECC_Q = 2,
	UPQR_QR_ECC_H = 3
} upqr_qr_ecc;

/*
 * Terminal text theme, named after the terminal's background:
 *   LIGHT: dark text on a light background; dark modules are drawn as
 *          blocks, light modules (and the quiet zone) as spaces.
 *   DARK:  light text on a dark background; light modules and the quiet
 *          zone are drawn as blocks, dark modules as spaces.
 * Either way a scanner sees dark modules on a light ground.
 */
typedef enum upqr_qr_theme {
	UPQR_QR_THEME_LIGHT = 0,
	UPQR_QR_THEME_DARK = 1
} upqr_qr_theme;

typedef enum upqr_qr_format {
	UPQR_QR_FORMAT_MODULES = 0,  /* size*size bytes, 1 = dark, 0 = light, no quiet zone */
	UPQR_QR_FORMAT_PIXELS = 1,   /* side*side 8-bit grey bytes, 0 = dark, 255 = light */
	UPQR_QR_FORMAT_PNG = 2,      /* PNG file bytes, greyscale, 8-bit or 1-bit */
	UPQR_QR_FORMAT_SVG = 3,      /* SVG 1.1 text, NUL-terminated */
	UPQR_QR_FORMAT_TEXT = 4      /* UTF-8 half-block text, one line per two module rows, NUL-terminated */
} upqr_qr_format;

#define UPQR_QR_OPTIONS_VERSION 1

/*
 * Rendering options. Fields are only ever appended; set `version` with
 * UPQR_QR_OPTIONS_INIT or upqr_qr_options_init(). A NULL options pointer
 * means the defaults.
 */
typedef struct upqr_qr_options {
	unsigned int version;         /* UPQR_QR_OPTIONS_VERSION */
	upqr_qr_ecc ecc;              /* default UPQR_QR_ECC_M */
	unsigned int scale;           /* pixels per module, 1..UPQR_QR_SCALE_MAX; default 8 (pixels, PNG, SVG size) */
	unsigned int margin;          /* quiet zone in modules, UPQR_QR_MARGIN_MIN..MAX; default 4 (all images) */
	upqr_qr_theme theme;          /* text only; default UPQR_QR_THEME_LIGHT */
	unsigned int png_bit_depth;   /* 8 (default) or 1 */
} upqr_qr_options;

#define UPQR_QR_OPTIONS_INIT \
	{ UPQR_QR_OPTIONS_VERSION, UPQR_QR_ECC_M, 8u, 4u, UPQR_QR_THEME_LIGHT, 8u }

/*
 * Fills *opts with the defaults for options-struct `version`.
 * Returns UPQR_OK, UPQR_EINVAL (opts NULL) or UPQR_EVERSION.
 */
UPQR_EXTERN int upqr_qr_options_init(upqr_qr_options *opts, unsigned int version) UPQR_WARN_UNUSED;

/* What was encoded: filled by the encode/render calls, also on UPQR_EBUFSIZE. */
typedef struct upqr_qr_info {
	int version;          /* symbol version 1..40 */
	size_t size;          /* modules per side: 17 + 4 * version */
	upqr_qr_ecc ecc;
	int eci;              /* 1 when the ECI 000026 (UTF-8) designator was added */
	size_t image_side;    /* pixels per side of the pixel/PNG image: (size + 2*margin) * scale */
} upqr_qr_info;

/*
 * Longest payload in bytes at that level (version 40) without ECI; one
 * less when the payload needs the ECI. 0 for an unknown level.
 * UPQR_QR_PAYLOAD_MAX == upqr_qr_payload_max(UPQR_QR_ECC_L).
 */
UPQR_EXTERN size_t upqr_qr_payload_max(upqr_qr_ecc ecc);

/* ---- payload -> modules ------------------------------------------------- */

/*
 * Encodes payload[0..len) (UTF-8 text, e.g. an MPM payload) into a module
 * matrix: modules[y * size + x] is 1 for dark, 0 for light, without quiet
 * zone. *written receives size*size; a NULL or short `modules` gives
 * UPQR_EBUFSIZE (info is filled either way; a buffer of
 * UPQR_QR_MODULES_MAX bytes always suffices). info may be NULL.
 * The version is the smallest libqrencode finds; with ECI, libqrencode
 * 4.1.1 over-reserves 16 bits while choosing it, so a payload within 2
 * bytes of a version's capacity gets the next version (docs/qr.md).
 *
 * Returns UPQR_OK, UPQR_EINVAL (empty or NULL payload, bad options),
 * UPQR_EVERSION (unknown options version), UPQR_EENCODING (not UTF-8),
 * UPQR_ETOOLARGE (does not fit version 40 at that level), UPQR_ENOMEM,
 * UPQR_EBUFSIZE. Thread-safe.
 */
UPQR_EXTERN int upqr_qr_encode(uint8_t *modules, size_t cap, size_t *written,
		upqr_qr_info *info, const upqr_qr_options *opts,
		const uint8_t *payload, size_t len) UPQR_WARN_UNUSED;

/* ---- modules -> images --------------------------------------------------
 * These take a matrix from upqr_qr_encode: `size` must be a symbol size
 * (21..177, 17 + 4v) and only the lowest bit of each byte is read.
 * They return UPQR_OK, UPQR_EINVAL, UPQR_EVERSION or UPQR_EBUFSIZE, and the
 * PNG one also UPQR_ENOMEM. Thread-safe.
 */

/*
 * Pixels per side of an image of a `size`-module symbol with those options
 * (quiet zone included), or 0 when size or options are invalid.
 */
UPQR_EXTERN size_t upqr_qr_image_side(size_t size, const upqr_qr_options *opts);

/* 8-bit grey, row-major, stride = side, 0 = dark, 255 = light; *written = side*side. */
UPQR_EXTERN int upqr_qr_pixels(uint8_t *out, size_t cap, size_t *written,
		const upqr_qr_options *opts, const uint8_t *modules, size_t size) UPQR_WARN_UNUSED;

/* A complete PNG file (greyscale, opts->png_bit_depth bits). */
UPQR_EXTERN int upqr_qr_png(uint8_t *out, size_t cap, size_t *written,
		const upqr_qr_options *opts, const uint8_t *modules, size_t size) UPQR_WARN_UNUSED;

/*
 * An SVG document: a white background rectangle and one black path, in
 * module units (viewBox includes the quiet zone), width/height = side pixels,
 * shape-rendering="crispEdges". NUL-terminated; *written excludes the NUL
 * (the buffer needs *written + 1 bytes).
 */
UPQR_EXTERN int upqr_qr_svg(char *out, size_t cap, size_t *written,
		const upqr_qr_options *opts, const uint8_t *modules, size_t size) UPQR_WARN_UNUSED;

/*
 * Terminal text: UTF-8 half blocks (U+2580 upper, U+2584 lower, U+2588 full,
 * space), one line ("\n"-terminated) per two module rows, quiet zone
 * included; (size + 2*margin + 1) / 2 lines of size + 2*margin characters.
 * When the height is odd, the missing half row counts as quiet zone.
 * opts->theme picks the colours (see upqr_qr_theme); scale is ignored.
 * NUL-terminated; *written excludes the NUL.
 */
UPQR_EXTERN int upqr_qr_text(char *out, size_t cap, size_t *written,
		const upqr_qr_options *opts, const uint8_t *modules, size_t size) UPQR_WARN_UNUSED;

/* ---- payload -> image in one call --------------------------------------- */

/*
 * Encodes the payload and renders it in `format` (see upqr_qr_format and
 * the functions above for each layout). For SVG and TEXT the buffer needs
 * one more byte than *written for the NUL. info (may be NULL) is filled
 * whenever the payload was encoded. Returns the union of the codes of
 * upqr_qr_encode and the renderers.
 */
UPQR_EXTERN int upqr_qr_render(uint8_t *out, size_t cap, size_t *written,
		upqr_qr_info *info, upqr_qr_format format, const upqr_qr_options *opts,
		const uint8_t *payload, size_t len) UPQR_WARN_UNUSED;

/*
 * Like upqr_qr_render (format PNG, SVG or TEXT; the NUL is not written) but
 * into the file at `path`, atomically: the image is written to a new
 * temporary file in the same directory, flushed to disk and renamed over
 * `path`. On any failure the temporary file is removed and `path` is left
 * as it was. The new file gets mode 0666 minus the umask.
 * Returns the codes of upqr_qr_render (never UPQR_EBUFSIZE) and UPQR_EIO.
 * Thread-safe for distinct paths.
 */
UPQR_EXTERN int upqr_qr_render_file(const char *path, upqr_qr_info *info,
		upqr_qr_format format, const upqr_qr_options *opts,
		const uint8_t *payload, size_t len) UPQR_WARN_UNUSED;

/** The letter of a level ("L", "M", "Q", "H"), or "?". Thread-safe. */
UPQR_EXTERN const char *upqr_qr_ecc_name(upqr_qr_ecc ecc);

#ifdef __cplusplus
}
#endif
#endif /* UPQR_QR_H */
