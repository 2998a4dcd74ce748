/*
 * scan_corpus.h - test-only QR images: libqrencode symbols drawn through a
 * camera-like model (homography, blur, noise, contrast, JPEG, glare,
 * inversion), deterministic from a seed, plus a plain single ZBar pass to
 * compare with. Used by the scan unit tests and bench/bench_scan.c.
 */
#ifndef UPQR_SCAN_CORPUS_H
#define UPQR_SCAN_CORPUS_H

#include <stddef.h>
#include <stdint.h>

#include "upqr.h"

typedef struct sc_img {
	uint8_t *px; /* malloc'd, packed rows */
	int w;
	int h;
} sc_img;

void sc_img_free(sc_img *img);

/* How a symbol is drawn; sc_draw_defaults() gives a clean, upright code. */
typedef struct sc_draw {
	int ecc;           /* 0..3 = L, M, Q, H */
	double module_px;  /* pixels per module (may be fractional) */
	int margin;        /* quiet zone in modules */
	double angle_deg;  /* rotation */
	double tilt;       /* perspective: 0 .. 0.4, fraction one side shrinks */
	double tilt_dir;   /* direction of the tilt in degrees */
	int dark, light;   /* grey levels of dark and light modules */
	int pad;           /* extra background pixels around the quiet zone */
	int no_eci;        /* 1: never add the ECI 26 header (as careless generators do) */
} sc_draw;

void sc_draw_defaults(sc_draw *d);

/*
 * Encodes payload with libqrencode (8-bit mode, ECI 26 when it has bytes
 * >= 0x80, smallest version) and draws it. Returns 0, or -1 when the
 * payload does not fit or memory runs out.
 */
int sc_render(sc_img *out, const uint8_t *payload, size_t len, const sc_draw *d);
/* Same, onto an existing image at (x, y) (clipped); for several codes in one picture. */
int sc_render_at(sc_img *canvas, int x, int y, const uint8_t *payload, size_t len, const sc_draw *d);

/* Photometric degradations, in place; rng is a xorshift state. */
void sc_gauss_blur(sc_img *img, double sigma);
void sc_noise(sc_img *img, double sigma, uint64_t *rng);
void sc_glare(sc_img *img, double cx, double cy, double radius, double strength);
void sc_invert(sc_img *img);
/* JPEG round trip at that quality (the blocks and ringing of a q20 file). 0 or -1. */
int sc_jpeg_roundtrip(sc_img *img, int quality);

/* Encoders (malloc'd output). 0 or -1. */
int sc_png_encode(const sc_img *img, uint8_t **out, size_t *len);
int sc_jpeg_encode(const sc_img *img, int quality, uint8_t **out, size_t *len);

uint64_t sc_rand(uint64_t *state);
double sc_uniform(uint64_t *state, double lo, double hi);

/* ---- the degraded corpus ------------------------------------------------------ */

enum {
	SC_ROTATION, SC_PERSPECTIVE, SC_BLUR, SC_NOISE, SC_LOW_CONTRAST, SC_JPEG20,
	SC_SMALL_MODULE, SC_GLARE, SC_INVERTED, SC_COMBINED, SC_FAMILIES
};

const char *sc_family_name(int family);

/* Image k of a family for that payload; deterministic in (family, k, seed). 0 or -1. */
int sc_corpus_image(sc_img *out, int family, int k, uint64_t seed, const uint8_t *payload,
		size_t len);

/*
 * One plain ZBar pass as an app would write it (QR only, binary mode so
 * the comparison is about pictures, not character sets). Returns 1 when a
 * symbol with exactly these bytes was read, 0 otherwise.
 */
int sc_zbar_plain_reads(const sc_img *img, const uint8_t *want, size_t want_len);
/*
 * The general pass: binary mode or ZBar's default text mode. Returns 1 when
 * a symbol equals want (may be NULL); the first symbol's bytes go to
 * first[0..cap) and its length to *first_len (when first_len != NULL).
 */
int sc_zbar_pass(const sc_img *img, int binary, const uint8_t *want, size_t want_len,
		uint8_t *first, size_t cap, size_t *first_len);

/*
 * One plain zxing-cpp call (tests/support/scan_zxing.cpp). Declared weak:
 * it is only linked when libzxing-dev is installed; test &sc_zxing_plain_reads
 * before calling.
 */
int sc_zxing_plain_reads(const sc_img *img, const uint8_t *want, size_t want_len)
	__attribute__((weak));
/*
 * One call of OpenCV's WeChat QR decoder without its CNN model files
 * (tests/support/scan_wechat.cpp). Weak too: only linked when
 * libopencv-contrib-dev (module wechat_qrcode) is installed.
 */
int sc_wechat_plain_reads(const sc_img *img, const uint8_t *want, size_t want_len)
	__attribute__((weak));

/* Decode tallies of one family: images, read by upqr, read by a plain pass, wrong payloads. */
typedef struct sc_stats {
	int total;
	int upqr;
	int plain;
	int wrong;     /* upqr returned a valid payment code with other bytes */
	int upqr_only; /* read by upqr, missed by the plain pass */
	int zxing;     /* read by a plain zxing-cpp call; -1 when zxing is not linked */
	int wechat;    /* read by OpenCV's WeChat decoder; -1 when it is not linked */
} sc_stats;

/*
 * Runs the corpus: per_family images of each family, payload k cycling
 * through payloads, each scanned by upqr (grey frame, default options)
 * by one plain ZBar pass, by one plain zxing-cpp call and by OpenCV's WeChat
 * decoder (those two when linked). pass_hits (may be NULL) counts which upqr
 * pass read each image, indexed like pass_names (up to 32, filled in).
 * dump_dir (may be NULL) receives the images upqr missed as PNG. 0 or -1.
 */
int sc_corpus_run(sc_stats stats[SC_FAMILIES], int per_family, uint64_t seed,
		char *const *payloads, size_t n_payloads, const char *pass_names[32], int pass_hits[32],
		const char *dump_dir);

/* Video replay tallies of one family. */
typedef struct sc_video_stats {
	int total;
	int read;        /* read within max_frames */
	int wrong;       /* a valid payment code with other bytes */
	long frames_sum; /* sum over the images read of the frame that read them (1-based) */
} sc_video_stats;

/*
 * Frame j (0-based) of an image's replay: the image shifted by up to 2 px
 * each way (edges repeated) with a brightness change of up to 6 grey levels;
 * frame 0 is the image itself. out has the image's size (malloc'd). 0 or -1.
 */
int sc_jitter_frame(sc_img *out, const sc_img *img, int j, uint64_t seed);

/*
 * The degraded corpus as camera video: each image as up to max_frames
 * jittered frames through one scanner made with opts (camera mode), reset
 * between images. 0 or -1.
 */
int sc_video_run(sc_video_stats stats[SC_FAMILIES], int per_family, uint64_t seed,
		char *const *payloads, size_t n_payloads, const upqr_scan_options *opts, int max_frames);

/* Payloads of tests/data/scan-payloads.tsv (column 2), malloc'd; count in *n. */
char **sc_load_payloads(const char *path, size_t *n);
void sc_free_payloads(char **p, size_t n);

#endif
