/*
 * upqr/scan.h - reading QR payment codes from images and camera frames.
 *
 * A scanner (opaque handle) takes a PNG or JPEG image, a raw 8-bit grey
 * frame, an Android NV21 frame or an iOS BGRA frame, finds every QR symbol
 * with ZBar and tells what each one is:
 *
 *   UPQR_SCAN_KIND_MPM           EMV merchant-presented payload ("0002..."),
 *                                validated by upqr_mpm_decode() (every EMVCo rule
 *                                and the profile's) and its CRC re-checked
 *   UPQR_SCAN_KIND_CPM           EMV consumer-presented payload (base64 text
 *                                starting "hQVDUFY", base64 of 85 05 "CPV"),
 *                                validated by upqr_cpm_decode(); the bytes carry
 *                                the card number: mask before showing them
 *   UPQR_SCAN_KIND_UNIONPAY_URL  https://qr.95516.com/<8-digit acquirer>/<id>
 *   UPQR_SCAN_KIND_OTHER         anything else
 *
 * Bytes, not guesses: only the QR decoder is enabled, ZBar runs in binary
 * mode so the symbol's byte-mode bytes come back untouched (no Shift-JIS
 * guessing), and the bytes are checked as UTF-8 (ECI 000026, which EMV
 * mandates). A symbol whose payload fails its checks has valid == 0 and
 * diagnostics saying why; it is never reported as a valid payment code.
 *
 * When a plain pass finds no valid payment code, the scanner tries further
 * inexpensive passes aimed at real camera trouble (inversion, contrast
 * stretch, local binarisation, rescaling, smoothing, sharpening, small
 * rotations) and stops at the first pass that yields a valid payment code.
 * Large frames (a 720p camera frame and up) are looked at half size first.
 *
 * Camera mode (upqr_scan_options.video) is for a live stream: each frame
 * costs one plain ZBar pass plus at most a time budget; the further passes
 * are spread over successive frames, a code is reported once while it stays
 * in view, and a warm stream allocates nothing per frame.
 *
 * Threading: a scanner is used by one thread at a time; different scanners
 * are independent. Results are borrowed from the scanner and stay valid
 * until the next scan call on it or upqr_scanner_free().
 */
#ifndef UPQR_SCAN_H
#define UPQR_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "upqr/common.h"
#include "upqr/cpm.h"
#include "upqr/mpm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- limits -------------------------------------------------------------- */

/*
 * Largest image accepted, in pixels (width x height), checked from the
 * image header before any pixel is decoded. 16 Mi pixels covers a 4096 x
 * 4096 picture or a 12-megapixel camera frame. Options may lower it.
 */
#define UPQR_SCAN_MAX_PIXELS (16u * 1024u * 1024u)
/*
 * The default pixel budget (max_pixels = 0): 8 Mi pixels, a 4K (3840 x
 * 2160) frame or an 8-megapixel photo. A scan that finds no code runs every
 * pass over every pixel (about 1 s per 2 Mi pixels on one core), so the
 * budget bounds what one image can cost; raise max_pixels (up to
 * UPQR_SCAN_MAX_PIXELS) for larger photos. Over it: UPQR_ELIMIT, "... is
 * over the pixel budget (max_pixels N)". Independently, a PNG or JPEG whose
 * header claims more pixels than its bytes can encode is refused with
 * UPQR_ELIMIT ("... cannot be held in N bytes"), and a truncated JPEG stops
 * decoding at once (UPQR_EIMAGE).
 */
#define UPQR_SCAN_DEFAULT_PIXELS (8u * 1024u * 1024u)
/* Largest width or height accepted (ZBar and the passes use int coordinates). */
#define UPQR_SCAN_MAX_DIMENSION 16384u
/* Largest image file upqr_scan_file() reads. */
#define UPQR_SCAN_MAX_FILE_BYTES (64u * 1024u * 1024u)
/* Symbols kept per scan; further symbols in the same image are dropped. */
#define UPQR_SCAN_MAX_SYMBOLS 16u
/* Diagnostics kept per symbol (further ones are counted in `dropped`). */
#define UPQR_SCAN_DIAG_MAX 8u

UPQR_EXTERN size_t upqr_scan_max_pixels(void);
UPQR_EXTERN size_t upqr_scan_max_dimension(void);
UPQR_EXTERN size_t upqr_scan_max_file_bytes(void);
UPQR_EXTERN size_t upqr_scan_max_symbols(void);
UPQR_EXTERN size_t upqr_scan_default_pixels(void);
UPQR_EXTERN size_t upqr_scan_diag_max(void);

/* ---- what a symbol is ------------------------------------------------------ */

typedef enum upqr_scan_kind {
	UPQR_SCAN_KIND_OTHER = 0,
	UPQR_SCAN_KIND_MPM = 1,
	UPQR_SCAN_KIND_CPM = 2,
	UPQR_SCAN_KIND_UNIONPAY_URL = 3
} upqr_scan_kind;

/** "mpm", "cpm", "unionpay-url" or "other" (static storage). Thread-safe. */
UPQR_EXTERN const char *upqr_scan_kind_name(upqr_scan_kind kind);

/* A point in the coordinates of the image as given (x right, y down). */
typedef struct upqr_scan_point {
	int x;
	int y;
} upqr_scan_point;

/*
 * One QR symbol found in the image. Owned by the scanner; read it through
 * the pointer returned by upqr_scanner_symbol(). Only upqr creates these,
 * so later versions may append fields without breaking callers.
 *
 * data/len: the symbol's bytes exactly as encoded (data[len] is a NUL for
 * convenience; the bytes may contain NULs themselves).
 * valid: 1 for a payment code that passed every check, 0 otherwise
 * (always 0 for UPQR_SCAN_KIND_OTHER). status says why it failed
 * (UPQR_ECHECKSUM: only the CRC is wrong; UPQR_EINVALID; UPQR_ELIMIT;
 * UPQR_ETLV and UPQR_EBASE64 for CPM), diags has the details (the codes of
 * upqr_mpm_decode and upqr_cpm_decode, see docs/mpm.md and upqr/cpm.h; CPM
 * messages never hold a full PAN). corners: the symbol's outline in image
 * coordinates (corner_count of them, normally 4). pass: the name of the
 * scan pass that read it ("plain", "invert", "binarize", ...).
 * For UPQR_SCAN_KIND_UNIONPAY_URL, acquirer/acquirer_len (8 digits) and
 * id/id_len point into data.
 */
typedef struct upqr_scan_symbol {
	const uint8_t *data;
	size_t len;
	upqr_scan_kind kind;
	int valid;
	int status;
	upqr_diag_list diags;
	upqr_scan_point corners[4];
	size_t corner_count;
	const char *pass;
	const char *acquirer;
	size_t acquirer_len;
	const char *id;
	size_t id_len;
} upqr_scan_symbol;

/*
 * Classifies and validates a payload without an image: fills *out exactly
 * as a scan would (out->data points at the caller's bytes; corners empty;
 * pass ""), with diagnostics stored in diag_storage[0..diag_cap). MPM
 * payloads are checked under `profile` (NULL: EMVCo). Useful to check text
 * that came from another reader. Returns UPQR_OK (see out->valid),
 * UPQR_EINVAL, UPQR_EVERSION (profile of an unknown version), or UPQR_ENOMEM (an MPM payload needs a ~30 KiB work area,
 * allocated and freed here; a CPM one ~10 KiB). Thread-safe.
 */
UPQR_EXTERN int upqr_scan_classify(upqr_scan_symbol *out, upqr_diag *diag_storage,
		size_t diag_cap, const upqr_mpm_profile *profile, const uint8_t *data, size_t len) UPQR_WARN_UNUSED;

/*
 * Decodes an MPM symbol further: named fields (merchant, amount, UnionPay
 * ID 15 parts, language template...) into *out, every problem into diags
 * (may be NULL). The views in *out point into sym->data, so they live as
 * long as the symbol. Same as upqr_mpm_decode(out, profile, sym->data,
 * sym->len, diags); UPQR_EINVAL when sym is not UPQR_SCAN_KIND_MPM.
 * Thread-safe.
 */
UPQR_EXTERN int upqr_scan_symbol_mpm(upqr_mpm_payload *out, const upqr_scan_symbol *sym,
		const upqr_mpm_profile *profile, upqr_diag_list *diags) UPQR_WARN_UNUSED;

/*
 * Decodes a CPM symbol further (AID, masked PAN, Track 2, cryptogram data)
 * into *out; opts may be NULL (any AID). Same as upqr_cpm_decode(out, opts,
 * sym->data, sym->len, diags); UPQR_EINVAL when sym is not
 * UPQR_SCAN_KIND_CPM. Thread-safe.
 */
UPQR_EXTERN int upqr_scan_symbol_cpm(upqr_cpm *out, const upqr_scan_symbol *sym,
		const upqr_cpm_options *opts, upqr_diag_list *diags) UPQR_WARN_UNUSED;

/* ---- the scanner -------------------------------------------------------- */

typedef struct upqr_scanner upqr_scanner;

#define UPQR_SCAN_OPTIONS_VERSION 2

/* Camera mode's least default extra work per frame, on top of one ZBar pass (microseconds). */
#define UPQR_SCAN_VIDEO_BUDGET_US 8000u
/* Camera mode's default de-duplication window (frames; about one second at 30 fps). */
#define UPQR_SCAN_VIDEO_DEDUP_FRAMES 30u
UPQR_EXTERN unsigned int upqr_scan_video_budget_us(void);
UPQR_EXTERN unsigned int upqr_scan_video_dedup_frames(void);

typedef struct upqr_scan_options {
	unsigned int version;
	/* Pixel budget; 0 means UPQR_SCAN_DEFAULT_PIXELS. Values over UPQR_SCAN_MAX_PIXELS are clamped to it. */
	size_t max_pixels;
	/*
	 * 1 (default): when the plain pass finds no valid payment code, run the
	 * further passes. 0: one plain ZBar pass only (fastest).
	 */
	int try_harder;
	/* 1: run every pass and collect every distinct symbol (slow; for tools; not in video mode). */
	int exhaustive;
	/*
	 * Most passes per scan, the plain one included; 0 = all of them. In video
	 * mode: most passes per frame (0 = as many as frame_budget_us allows).
	 */
	unsigned int max_passes;
	/* Rules MPM payloads are checked under; NULL = EMVCo (upqr_mpm_profile_emvco()). */
	const upqr_mpm_profile *mpm_profile;
	/* ---- version 2 ---- */
	/*
	 * 1: camera mode, for a live stream of frames from one camera. Each frame
	 * costs at most one plain ZBar pass plus frame_budget_us of further work;
	 * the further passes are spread over successive frames (frame n runs the
	 * next passes of the sequence that fit), so a code held in front of the
	 * camera is read within a few frames even when only a late pass can read
	 * it. A code read in one frame is not reported again while it stays in
	 * view (see dedup_frames). Working buffers are kept between frames: after
	 * the first frames of a given size, a frame allocates nothing.
	 */
	int video;
	/*
	 * Camera mode's budget for the work beyond one ZBar pass, in the calling
	 * thread's processor time (a loaded machine runs the same passes). 0
	 * (default): the largest of UPQR_SCAN_VIDEO_BUDGET_US, a third of the
	 * frame's plain ZBar pass (large frames keep the same share on any
	 * processor) and what the plain pass leaves of a 60 fps frame (16.7 ms).
	 */
	unsigned int frame_budget_us;
	/*
	 * Camera mode: a symbol whose bytes were seen in one of the last
	 * dedup_frames frames is not reported again (each sighting restarts the
	 * window, so a code held still is reported once). 0 = report every frame.
	 * Default UPQR_SCAN_VIDEO_DEDUP_FRAMES.
	 */
	unsigned int dedup_frames;
} upqr_scan_options;

#define UPQR_SCAN_OPTIONS_INIT { UPQR_SCAN_OPTIONS_VERSION, 0, 1, 0, 0, NULL, 0, 0, \
	UPQR_SCAN_VIDEO_DEDUP_FRAMES }

/**
 * Fills *opts with defaults for that version (1 or 2; a version 1 struct is
 * shorter and only its fields are written); UPQR_EVERSION if unknown.
 */
UPQR_EXTERN int upqr_scan_options_init(upqr_scan_options *opts, unsigned int version) UPQR_WARN_UNUSED;

/**
 * Creates a scanner. opts may be NULL for the defaults (version 1 options
 * are accepted: no camera mode). Returns UPQR_OK, UPQR_EVERSION (opts or
 * opts->mpm_profile of an unknown version), UPQR_EINVAL or UPQR_ENOMEM.
 * Free with upqr_scanner_free().
 */
UPQR_EXTERN int upqr_scanner_new(upqr_scanner **out, const upqr_scan_options *opts) UPQR_WARN_UNUSED;
/** Frees a scanner and every result borrowed from it. Accepts NULL. */
UPQR_EXTERN void upqr_scanner_free(upqr_scanner *scanner);
/**
 * Camera mode: forgets the frames seen so far (the de-duplication window,
 * the tracked symbol and the position in the pass sequence), e.g. when the
 * app starts a new scan session. Keeps the buffers. Returns UPQR_OK or
 * UPQR_EINVAL.
 */
UPQR_EXTERN int upqr_scanner_reset(upqr_scanner *scanner) UPQR_WARN_UNUSED;
/** Text of the last failure on this scanner ("" if none); valid until the next call. */
UPQR_EXTERN const char *upqr_scanner_last_error(const upqr_scanner *scanner);

/*
 * Every scan call below stores the number of symbols found in *count and
 * returns UPQR_OK when there is at least one, UPQR_ENOSYMBOL when there is
 * none, UPQR_EINVAL for bad arguments, UPQR_ELIMIT for an image over the
 * pixel cap, UPQR_EIMAGE for a broken or unknown image, UPQR_ENOMEM.
 * Symbols are read with upqr_scanner_symbol(). Pixel data is never kept.
 * In camera mode, UPQR_ENOSYMBOL also means that every symbol in the frame
 * was a repeat of one reported within the de-duplication window.
 */

/** An 8-bit grey frame: row y starts at pixels + y * stride; len >= (height-1)*stride + width. */
UPQR_EXTERN int upqr_scan_grey(size_t *count, upqr_scanner *scanner, const uint8_t *pixels,
		size_t len, unsigned int width, unsigned int height, size_t stride) UPQR_WARN_UNUSED;
/** An Android NV21 frame (Y plane then interleaved VU at half size); only the Y plane is read. */
UPQR_EXTERN int upqr_scan_nv21(size_t *count, upqr_scanner *scanner, const uint8_t *frame,
		size_t len, unsigned int width, unsigned int height, size_t y_stride) UPQR_WARN_UNUSED;
/** An iOS kCVPixelFormatType_32BGRA frame (4 bytes per pixel; alpha ignored). */
UPQR_EXTERN int upqr_scan_bgra(size_t *count, upqr_scanner *scanner, const uint8_t *pixels,
		size_t len, unsigned int width, unsigned int height, size_t stride) UPQR_WARN_UNUSED;
/** A PNG or JPEG image in memory (format told from its signature). */
UPQR_EXTERN int upqr_scan_image(size_t *count, upqr_scanner *scanner, const uint8_t *data,
		size_t len) UPQR_WARN_UNUSED;
/** A PNG or JPEG file; UPQR_EIO when it cannot be read, UPQR_ELIMIT over UPQR_SCAN_MAX_FILE_BYTES. */
UPQR_EXTERN int upqr_scan_file(size_t *count, upqr_scanner *scanner, const char *path) UPQR_WARN_UNUSED;

/** The i-th symbol of the last scan (in image order), or NULL when i >= count. Borrowed. */
UPQR_EXTERN const upqr_scan_symbol *upqr_scanner_symbol(const upqr_scanner *scanner, size_t i);

#ifdef __cplusplus
}
#endif
#endif /* UPQR_SCAN_H */
