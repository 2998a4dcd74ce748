/*
 * scan.c - the scanner handle: inputs to grey, the scan passes, ZBar, and
 * the symbols handed back; camera mode spreads the passes over frames.
 *
 * ZBar is configured once per handle: every symbology off, then QR on, in
 * binary mode (raw byte-mode bytes; no character-set guessing).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <zbar.h>

#include "scan/scan_internal.h"

#define SCAN_MAGIC 0x5343414eu /* "SCAN" */

/* A symbol found by this scan; bytes keeps its capacity between scans. */
typedef struct scan_slot {
	upqr_scan_symbol sym;
	upqr_diag diag[UPQR_SCAN_DIAG_MAX];
	uint8_t *bytes;
	size_t cap;
} scan_slot;

/* Camera mode: bytes seen in a recent frame (the de-duplication window). */
typedef struct seen_code {
	uint8_t *bytes;
	size_t len;
	size_t cap;
	uint64_t frame; /* last frame it was seen in; 0 = free entry */
} seen_code;

#define PASS_COUNT 38

/* Camera mode: what one frame leaves for the next. */
typedef struct video_state {
	uint64_t frame;       /* frames scanned since new/reset */
	size_t cursor;        /* next further pass of the sequence */
	int sticky;           /* the further pass that read the last code, -1 if none */
	uint64_t hit_frame;   /* last frame with a valid code */
	upqr_scan_point roi0; /* that code's bounding box */
	upqr_scan_point roi1;
	double plain_ns_px;   /* the plain pass's cost per pixel (running mean) */
	double pass_ns_px[PASS_COUNT]; /* each pass's cost per input pixel; 0 = not measured */
	seen_code seen[UPQR_SCAN_MAX_SYMBOLS];
	upqr__pool pool;
} video_state;

struct upqr_scanner {
	unsigned int magic;
	upqr_scan_options opts;
	zbar_image_scanner_t *zbar;
	zbar_image_t *zimg;    /* reused for every pass */
	upqr__scan_work *work; /* the MPM/CPM decoders' scratch */
	scan_slot slots[UPQR_SCAN_MAX_SYMBOLS];
	size_t nslots;         /* symbols found, repeats included */
	size_t order[UPQR_SCAN_MAX_SYMBOLS]; /* slots reported, in image order */
	size_t count;
	upqr__pool *pool;      /* &video.pool in camera mode, else NULL */
	video_state video;
	char err[UPQR__ERR_MAX];
};

static void video_forget(video_state *v);

/* The size of a version 1 upqr_scan_options (the fields before `video`). */
#define V1_SIZE offsetof(upqr_scan_options, video)

size_t upqr_scan_max_pixels(void) { return UPQR_SCAN_MAX_PIXELS; }
size_t upqr_scan_max_dimension(void) { return UPQR_SCAN_MAX_DIMENSION; }
size_t upqr_scan_max_file_bytes(void) { return UPQR_SCAN_MAX_FILE_BYTES; }
size_t upqr_scan_max_symbols(void) { return UPQR_SCAN_MAX_SYMBOLS; }
size_t upqr_scan_default_pixels(void) { return UPQR_SCAN_DEFAULT_PIXELS; }
size_t upqr_scan_diag_max(void) { return UPQR_SCAN_DIAG_MAX; }
unsigned int upqr_scan_video_budget_us(void) { return UPQR_SCAN_VIDEO_BUDGET_US; }
unsigned int upqr_scan_video_dedup_frames(void) { return UPQR_SCAN_VIDEO_DEDUP_FRAMES; }

int upqr_scan_options_init(upqr_scan_options *opts, unsigned int version)
{
	if (!opts)
		return UPQR_EINVAL;
	if (version != 1 && version != UPQR_SCAN_OPTIONS_VERSION)
		return UPQR_EVERSION;
	upqr_scan_options def = UPQR_SCAN_OPTIONS_INIT;
	def.version = version;
	/* A version 1 caller's struct ends before the camera fields. */
	memcpy(opts, &def, version == 1 ? V1_SIZE : sizeof def);
	return UPQR_OK;
}

static int set_error(upqr_scanner *s, int rc, const char *fmt, ...) UPQR__PRINTF(3, 4);
static int set_error(upqr_scanner *s, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	upqr__set_errorv(s->err, rc, fmt, ap);
	va_end(ap);
	return rc;
}

int upqr_scanner_new(upqr_scanner **out, const upqr_scan_options *opts)
{
	if (!out)
		return UPQR_EINVAL;
	*out = NULL;
	upqr_scan_options o = UPQR_SCAN_OPTIONS_INIT;
	if (opts) {
		if (opts->version != 1 && opts->version != UPQR_SCAN_OPTIONS_VERSION)
			return UPQR_EVERSION;
		if (opts->mpm_profile && opts->mpm_profile->version != UPQR_MPM_PROFILE_VERSION)
			return UPQR_EVERSION;
		memcpy(&o, opts, opts->version == 1 ? V1_SIZE : sizeof o);
		if (opts->version == 1)
			o.video = 0;
	}
	if (o.max_pixels == 0)
		o.max_pixels = UPQR_SCAN_DEFAULT_PIXELS;
	if (o.max_pixels > UPQR_SCAN_MAX_PIXELS)
		o.max_pixels = UPQR_SCAN_MAX_PIXELS;
	upqr_scanner *s = upqr__calloc(1, sizeof *s);
	if (!s)
		return UPQR_ENOMEM;
	s->magic = SCAN_MAGIC;
	s->opts = o;
	s->pool = o.video ? &s->video.pool : NULL;
	video_forget(&s->video);
	s->zbar = zbar_image_scanner_create();
	s->zimg = zbar_image_create();
	s->work = upqr__malloc(sizeof *s->work);
	if (!s->zbar || !s->zimg || !s->work) {
		if (s->zbar)
			zbar_image_scanner_destroy(s->zbar);
		if (s->zimg)
			zbar_image_destroy(s->zimg);
		upqr__free(s->work);
		upqr__free(s);
		return UPQR_ENOMEM;
	}
	zbar_image_set_format(s->zimg, zbar_fourcc('Y', '8', '0', '0'));
	/* Only QR: the other decoders are attack surface a payment scanner does not need. */
	zbar_image_scanner_set_config(s->zbar, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
	zbar_image_scanner_set_config(s->zbar, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
	zbar_image_scanner_set_config(s->zbar, ZBAR_QRCODE, ZBAR_CFG_BINARY, 1);
	*out = s;
	return UPQR_OK;
}

/* Forgets the frames seen (camera mode), keeping buffers and cost measurements. */
static void video_forget(video_state *v)
{
	v->frame = 0;
	v->cursor = 0;
	v->sticky = -1;
	v->hit_frame = 0;
	for (size_t i = 0; i < UPQR_SCAN_MAX_SYMBOLS; i++)
		v->seen[i].frame = 0;
}

int upqr_scanner_reset(upqr_scanner *s)
{
	if (!s || s->magic != SCAN_MAGIC)
		return UPQR_EINVAL;
	video_forget(&s->video);
	s->err[0] = 0;
	return UPQR_OK;
}

/* Results are dropped; in camera mode the byte buffers stay for the next frame. */
static void clear_results(upqr_scanner *s)
{
	for (size_t i = 0; !s->opts.video && i < s->nslots; i++) {
		upqr__free(s->slots[i].bytes);
		s->slots[i].bytes = NULL;
		s->slots[i].cap = 0;
	}
	s->nslots = 0;
	s->count = 0;
}

void upqr_scanner_free(upqr_scanner *s)
{
	if (!s || s->magic != SCAN_MAGIC)
		return;
	for (size_t i = 0; i < UPQR_SCAN_MAX_SYMBOLS; i++) {
		upqr__free(s->slots[i].bytes);
		upqr__free(s->video.seen[i].bytes);
	}
	upqr__pool_clear(&s->video.pool);
	zbar_image_destroy(s->zimg);
	zbar_image_scanner_destroy(s->zbar);
	upqr__free(s->work);
	s->magic = 0;
	upqr__free(s);
}

const char *upqr_scanner_last_error(const upqr_scanner *s)
{
	return s && s->magic == SCAN_MAGIC ? s->err : "";
}

void *upqr__scanner_zbar(const upqr_scanner *s)
{
	return s && s->magic == SCAN_MAGIC ? s->zbar : NULL;
}

const upqr_scan_symbol *upqr_scanner_symbol(const upqr_scanner *s, size_t i)
{
	if (!s || s->magic != SCAN_MAGIC || i >= s->count)
		return NULL;
	return &s->slots[s->order[i]].sym;
}

/* ---- collecting symbols ------------------------------------------------------ */

static bool have_valid_payment(const upqr_scanner *s)
{
	for (size_t i = 0; i < s->nslots; i++)
		if (s->slots[i].sym.valid)
			return true;
	return false;
}

static bool seen_bytes(const upqr_scanner *s, const uint8_t *d, size_t n)
{
	for (size_t i = 0; i < s->nslots; i++)
		if (s->slots[i].sym.len == n && memcmp(s->slots[i].bytes, d, n) == 0)
			return true;
	return false;
}

/* Makes *buf hold at least n bytes, keeping its capacity for later frames. */
static bool reserve(uint8_t **buf, size_t *cap, size_t n)
{
	if (*cap >= n)
		return true;
	uint8_t *nb = upqr__malloc(n);
	if (!nb)
		return false;
	upqr__free(*buf);
	*buf = nb;
	*cap = n;
	return true;
}

static int add_symbol(upqr_scanner *s, const zbar_symbol_t *zs, const upqr__xform *t,
		const char *pass)
{
	const uint8_t *d = (const uint8_t *)zbar_symbol_get_data(zs);
	size_t n = zbar_symbol_get_data_length(zs);
	if (!d || seen_bytes(s, d, n) || s->nslots >= UPQR_SCAN_MAX_SYMBOLS)
		return UPQR_OK;
	scan_slot *slot = &s->slots[s->nslots];
	if (!reserve(&slot->bytes, &slot->cap, n + 1))
		return UPQR_ENOMEM;
	memcpy(slot->bytes, d, n);
	slot->bytes[n] = 0;
	upqr__scan_classify(&slot->sym, slot->diag, UPQR_SCAN_DIAG_MAX, s->opts.mpm_profile,
		s->work, slot->bytes, n);
	slot->sym.pass = pass;
	unsigned pts = zbar_symbol_get_loc_size(zs);
	for (unsigned i = 0; i < pts && i < 4; i++) {
		upqr__xform_apply(t, zbar_symbol_get_loc_x(zs, i), zbar_symbol_get_loc_y(zs, i),
			&slot->sym.corners[i].x, &slot->sym.corners[i].y);
		slot->sym.corner_count = i + 1;
	}
	s->order[s->count++] = s->nslots++;
	return UPQR_OK;
}

static int zbar_pass(upqr_scanner *s, const upqr__gimg *img, const upqr__xform *t, const char *pass)
{
	zbar_image_t *zi = s->zimg;
	zbar_image_set_size(zi, (unsigned)img->w, (unsigned)img->h);
	/* ZBar only reads the pixels; no cleanup handler, the buffer stays ours. */
	zbar_image_set_data(zi, img->px, (unsigned long)img->w * (unsigned long)img->h, NULL);
	int rc = UPQR_OK;
	if (zbar_scan_image(s->zbar, zi) > 0)
		for (const zbar_symbol_t *zs = zbar_image_first_symbol(zi); zs && rc == UPQR_OK;
				zs = zbar_symbol_next(zs))
			if (zbar_symbol_get_type(zs) == ZBAR_QRCODE)
				rc = add_symbol(s, zs, t, pass);
	zbar_image_set_data(zi, NULL, 0, NULL);
	return rc;
}

/* ---- the passes ------------------------------------------------------------ */

/*
 * Each pass is a short chain of operations on the original picture. After
 * the four cheap ones (plain, inverted, binarised, half size: camera
 * mode's first look), the order is greedy over the degraded corpus of
 * tests/unit/test_scan_corpus.c (seeds 1-8, the 1317 images one plain pass
 * misses): each next pass is the one that reads the most images the passes
 * before it miss, per millisecond. It takes the mean time to a read there
 * from 17.6 ms to 14.3 ms, and in camera mode it brings the passes that
 * read most into the first frames. The passes that read nothing new on
 * that corpus keep their old order at the end, for pictures it does not
 * model (steep tilts, rotations, very large modules).
 */
typedef enum pass_op {
	OP_END = 0, OP_INVERT, OP_STRETCH, OP_BINARIZE, OP_BLUR1, OP_SHARPEN, OP_DEBLUR, OP_RESHARPEN,
	OP_HALF, OP_THIRD, OP_QUARTER, OP_DOUBLE, OP_ROT_P, OP_ROT_M,
	OP_KEY_RIGHT, OP_KEY_DOWN, OP_KEY_LEFT, OP_KEY_UP,
	OP_KEY2_RIGHT, OP_KEY2_DOWN, OP_KEY2_LEFT, OP_KEY2_UP, OP_DOUBLE_CUBIC, OP_BINARIZE_FINE,
	OP_KEYC_TL, OP_KEYC_TR, OP_KEYC_BR, OP_KEYC_BL, OP_SHARPEN_FINE, OP_BINARIZE_NEAR,
	OP_SHARPEN_SOFT, OP_BINARIZE_MEAN
} pass_op;

typedef struct pass_def {
	const char *name;
	pass_op ops[4];
} pass_def;

static const pass_def PASSES[] = {
	{ "plain", { OP_END } },
	{ "invert", { OP_INVERT } },
	{ "binarize", { OP_BINARIZE } },
	{ "half", { OP_HALF } },
	/* Two box blurs (near-Gaussian) kill sensor noise; the unsharp mask restores the edges. */
	{ "denoise", { OP_BLUR1, OP_BLUR1, OP_RESHARPEN } },
	{ "deblur", { OP_DEBLUR } },
	{ "keystone-up", { OP_KEY_UP } },
	{ "keystone-down", { OP_KEY_DOWN } },
	/* Glare and soft edges: split each upscaled pixel at its neighbourhood's mean itself. */
	{ "sharpen-cubic-binarize", { OP_SHARPEN_SOFT, OP_DOUBLE_CUBIC, OP_BINARIZE_MEAN } },
	{ "half-binarize", { OP_HALF, OP_BINARIZE } },
	{ "blur-binarize", { OP_BLUR1, OP_BINARIZE } },
	/* A tilt along a diagonal, the top right corner farthest from the camera. */
	{ "keystone-top-right", { OP_KEYC_TR } },
	{ "double-binarize", { OP_DOUBLE, OP_BINARIZE } },
	/* Heavy sensor noise: smooth, upscale, then judge each pixel against about three modules. */
	{ "denoise-cubic-binarize", { OP_BLUR1, OP_DOUBLE_CUBIC, OP_BINARIZE_NEAR } },
	/* Modules of about 1.5 px: upscale, then restore the edges the interpolation softened. */
	{ "cubic-sharpen", { OP_DOUBLE_CUBIC, OP_RESHARPEN } },
	/* Defocus of half a module: a tight unsharp mask first restores the module edges. */
	{ "deblur-cubic-binarize", { OP_SHARPEN_FINE, OP_DOUBLE_CUBIC, OP_BINARIZE_FINE } },
	{ "keystone-left", { OP_KEY_LEFT } },
	/* Codes of 1.5-2 px modules or soft focus that the bilinear double-binarize misses. */
	{ "cubic-binarize", { OP_DOUBLE_CUBIC, OP_BINARIZE_FINE } },
	/* A phone photo (noise, blur, JPEG at once): smooth, upscale, restore edges, binarise. */
	{ "denoise-cubic-sharpen-binarize", { OP_BLUR1, OP_DOUBLE_CUBIC, OP_RESHARPEN, OP_BINARIZE } },
	{ "blur", { OP_BLUR1 } },
	{ "sharpen", { OP_SHARPEN } },
	{ "keystone-right", { OP_KEY_RIGHT } },
	{ "double", { OP_DOUBLE } },
	{ "stretch", { OP_STRETCH } },
	{ "sharpen-binarize", { OP_SHARPEN, OP_BINARIZE } },
	{ "quarter", { OP_QUARTER } },
	{ "invert-binarize", { OP_INVERT, OP_BINARIZE } },
	{ "rotate+15", { OP_ROT_P } },
	{ "rotate-15", { OP_ROT_M } },
	{ "double-sharpen", { OP_DOUBLE, OP_SHARPEN } },
	{ "third", { OP_THIRD } },
	{ "keystone-right-35", { OP_KEY2_RIGHT } },
	{ "keystone-down-35", { OP_KEY2_DOWN } },
	{ "keystone-left-35", { OP_KEY2_LEFT } },
	{ "keystone-up-35", { OP_KEY2_UP } },
	/* The other three diagonal tilts. */
	{ "keystone-top-left", { OP_KEYC_TL } },
	{ "keystone-bottom-right", { OP_KEYC_BR } },
	{ "keystone-bottom-left", { OP_KEYC_BL } },
};
_Static_assert(UPQR__ARRAY_LEN(PASSES) == PASS_COUNT, "PASS_COUNT must match the pass table");

/* Index of the "half" pass: the first look on large frames. */
#define PASS_HALF 3

/*
 * Upscaling a big frame costs four ZBar passes' time and rarely helps: a code
 * a person aims at fills enough of a 720p or larger frame to have modules of
 * 2 px or more.
 */
#define DOUBLE_MAX_SIDE 1024

static bool apply_op(upqr__gimg *out, upqr__pool *pool, const upqr__gimg *in, pass_op op,
		upqr__xform *t)
{
	switch (op) {
	case OP_INVERT: return upqr__op_invert(out, pool, in);
	case OP_STRETCH: return upqr__op_stretch(out, pool, in);
	case OP_BINARIZE: return upqr__op_binarize(out, pool, in);
	case OP_BLUR1: return upqr__op_box_blur(out, pool, in, 1);
	case OP_SHARPEN: return upqr__op_sharpen(out, pool, in, 2, 2);
	/* Strong unsharp mask: heavy defocus (blur near half a module) still leaves readable edges. */
	case OP_DEBLUR: return upqr__op_sharpen(out, pool, in, 2, 5);
	case OP_RESHARPEN: return upqr__op_sharpen(out, pool, in, 2, 3);
	case OP_HALF: return upqr__op_scale(out, pool, in, 1, 2, t);
	case OP_THIRD: return upqr__op_scale(out, pool, in, 1, 3, t);
	case OP_QUARTER: return upqr__op_scale(out, pool, in, 1, 4, t);
	case OP_DOUBLE: return upqr__op_scale(out, pool, in, 2, 1, t);
	/* A corner drawn in by 12%: a 30-45 degree tilt towards it. */
	case OP_KEYC_TL: return upqr__op_keystone(out, pool, in, 4, 0.12, t);
	case OP_KEYC_TR: return upqr__op_keystone(out, pool, in, 5, 0.12, t);
	case OP_KEYC_BR: return upqr__op_keystone(out, pool, in, 6, 0.12, t);
	case OP_KEYC_BL: return upqr__op_keystone(out, pool, in, 7, 0.12, t);
	case OP_DOUBLE_CUBIC: return upqr__op_double_cubic(out, pool, in, t);
	case OP_BINARIZE_FINE: return upqr__op_binarize_fine(out, pool, in);
	case OP_BINARIZE_NEAR: return upqr__op_binarize_near(out, pool, in);
	case OP_SHARPEN_FINE: return upqr__op_sharpen(out, pool, in, 1, 5);
	case OP_SHARPEN_SOFT: return upqr__op_sharpen(out, pool, in, 1, 2);
	case OP_BINARIZE_MEAN: return upqr__op_binarize_mean(out, pool, in);
	case OP_ROT_P: return upqr__op_rotate(out, pool, in, 15.0, t);
	case OP_ROT_M: return upqr__op_rotate(out, pool, in, -15.0, t);
	/* A 20% pinch undoes most tilts of 20-45 degrees that ZBar's own fit misses. */
	case OP_KEY_RIGHT: return upqr__op_keystone(out, pool, in, 0, 0.2, t);
	case OP_KEY_DOWN: return upqr__op_keystone(out, pool, in, 1, 0.2, t);
	case OP_KEY_LEFT: return upqr__op_keystone(out, pool, in, 2, 0.2, t);
	case OP_KEY_UP: return upqr__op_keystone(out, pool, in, 3, 0.2, t);
	/* Steeper views (45-60 degrees), tried last. */
	case OP_KEY2_RIGHT: return upqr__op_keystone(out, pool, in, 0, 0.35, t);
	case OP_KEY2_DOWN: return upqr__op_keystone(out, pool, in, 1, 0.35, t);
	case OP_KEY2_LEFT: return upqr__op_keystone(out, pool, in, 2, 0.35, t);
	case OP_KEY2_UP: return upqr__op_keystone(out, pool, in, 3, 0.35, t);
	case OP_END: break;
	}
	return false;
}

static bool pass_applies(const pass_def *p, const upqr__gimg *img)
{
	int side = img->w > img->h ? img->w : img->h, small = img->w < img->h ? img->w : img->h;
	for (size_t i = 0; i < UPQR__ARRAY_LEN(p->ops) && p->ops[i] != OP_END; i++) {
		if ((p->ops[i] == OP_DOUBLE || p->ops[i] == OP_DOUBLE_CUBIC) && side > DOUBLE_MAX_SIDE)
			return false;
		/*
		 * A rotated canvas of a long thin picture can be several times its
		 * area (16384 x 1024 turned 15 degrees is 84 Mpx): rotate only pictures
		 * whose canvas stays under twice their size.
		 */
		if ((p->ops[i] == OP_ROT_P || p->ops[i] == OP_ROT_M) && side > 3 * small)
			return false;
		/* Shrinking below ~21 modules' worth of pixels cannot leave a readable symbol. */
		if ((p->ops[i] == OP_HALF && small < 84) || (p->ops[i] == OP_THIRD && small < 126) ||
				(p->ops[i] == OP_QUARTER && small < 168))
			return false;
	}
	return true;
}

/*
 * Runs pass p on img (whose coordinates map to the original's through
 * *base), then ZBar. Intermediate images come from the scanner's pool.
 */
static int run_pass(upqr_scanner *s, const upqr__gimg *img, const upqr__xform *base,
		const pass_def *p)
{
	upqr__xform t = *base;
	upqr__gimg cur = *img, next;
	bool owned = false;
	for (size_t i = 0; i < UPQR__ARRAY_LEN(p->ops) && p->ops[i] != OP_END; i++) {
		bool ok = apply_op(&next, s->pool, &cur, p->ops[i], &t);
		if (owned)
			upqr__gimg_put(&cur, s->pool);
		if (!ok)
			return UPQR_ENOMEM;
		cur = next;
		owned = true;
	}
	int rc = zbar_pass(s, &cur, &t, p->name);
	if (owned)
		upqr__gimg_put(&cur, s->pool);
	return rc;
}

/*
 * Large frames (a 720p camera frame and up) are looked at half size first:
 * a code a person aims at has modules of 3 px or more there, so the quarter-
 * cost look usually reads it, and the full-size pass runs only when it does
 * not.
 */
#define LARGE_FRAME_PIXELS (640u * 480u * 3u / 2u)

static bool large_frame(const upqr__gimg *img)
{
	return (size_t)img->w * (size_t)img->h >= LARGE_FRAME_PIXELS;
}

/* The pass run at step i of a still-image scan: half size first on large frames. */
static size_t still_pass(size_t i, bool half_first)
{
	if (!half_first || i > PASS_HALF)
		return i;
	return i == 0 ? PASS_HALF : i - 1;
}

static int scan_still(upqr_scanner *s, const upqr__gimg *img)
{
	upqr__xform id;
	upqr__xform_identity(&id);
	bool half_first = s->opts.try_harder && large_frame(img);
	size_t ran = 0;
	for (size_t i = 0; i < UPQR__ARRAY_LEN(PASSES); i++) {
		const pass_def *p = &PASSES[still_pass(i, half_first)];
		if (i > (half_first ? 1u : 0u) && !s->opts.try_harder)
			break;
		if (s->opts.max_passes && ran >= s->opts.max_passes)
			break;
		if (!s->opts.exhaustive && have_valid_payment(s))
			break;
		if (!pass_applies(p, img))
			continue;
		int rc = run_pass(s, img, &id, p);
		ran++;
		if (rc != UPQR_OK)
			return set_error(s, rc, "out of memory in scan pass %s", p->name);
	}
	return UPQR_OK;
}

/* ---- camera mode --------------------------------------------------------------- */

/*
 * The frame budget is the calling thread's processor time, not the wall
 * clock: time the thread spends preempted is not work a frame can save by
 * running fewer passes, and counting it would make which passes run (and
 * so which codes are read) depend on what else the machine is doing. A
 * platform without a per-thread clock falls back to the monotonic one.
 */
static uint64_t now_ns(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A tracked code is looked for around where it was for this many frames. */
#define ROI_FRAMES 8

/* One frame's schedule: the image the further passes work on and what is spent. */
typedef struct frame_plan {
	upqr__gimg base;   /* the region of interest, the half-size frame, or the frame itself */
	upqr__xform base_t;
	bool base_owned;
	const char *look;  /* name of the first look at base ("roi", "half"), NULL for none */
	uint64_t start;
	uint64_t plain_ns; /* the full-size plain pass (outside the budget) */
	uint64_t budget_ns;
	unsigned ran;
} frame_plan;

/* The area a pass's ZBar call sees, relative to its input (for the first cost guess). */
static double pass_area(const pass_def *p)
{
	double a = 1;
	for (size_t i = 0; i < UPQR__ARRAY_LEN(p->ops) && p->ops[i] != OP_END; i++)
		switch (p->ops[i]) {
		case OP_HALF: a /= 4; break;
		case OP_THIRD: a /= 9; break;
		case OP_QUARTER: a /= 16; break;
		case OP_DOUBLE: case OP_DOUBLE_CUBIC: a *= 4; break;
		case OP_ROT_P: case OP_ROT_M: a *= 1.6; break;
		default: a *= 1.25; break; /* the operation's own loop */
		}
	return a;
}

/* Expected cost of pass p on n pixels: measured before, else guessed from the plain pass. */
static double pass_cost(const video_state *v, size_t p, size_t n)
{
	double per_px = v->pass_ns_px[p] > 0 ? v->pass_ns_px[p] : v->plain_ns_px * pass_area(&PASSES[p]);
	return per_px * (double)n;
}

/*
 * A running mean per pixel. One sample counts at most twice the estimate:
 * a frame run on cold caches or a throttled core must not make a pass look too
 * dear to run for good.
 */
static void learn_cost(double *per_px, uint64_t ns, size_t n)
{
	double m = (double)ns / (double)n;
	if (*per_px > 0 && m > 2 * *per_px)
		m = 2 * *per_px;
	*per_px = *per_px > 0 ? (*per_px + m) / 2 : m;
}

/*
 * A 60 fps frame interval. A small frame's plain pass leaves most of it
 * idle; the default budget lets further passes use that time (the upscaling
 * passes a small or soft code needs do not fit in UPQR_SCAN_VIDEO_BUDGET_US
 * alone), while the whole scan still keeps up with a 30 fps camera with
 * half of each frame to spare.
 */
#define VIDEO_FRAME_NS 16666667.0

/*
 * The default budget (frame_budget_us 0): the largest of
 * UPQR_SCAN_VIDEO_BUDGET_US, a third of this frame's plain pass (large
 * frames keep the same share of work on slow and fast processors) and what
 * the plain pass leaves of a 60 fps frame.
 */
static uint64_t frame_budget_ns(const upqr_scanner *s, const upqr__gimg *img)
{
	if (s->opts.frame_budget_us)
		return (uint64_t)s->opts.frame_budget_us * 1000u;
	double plain = s->video.plain_ns_px * (double)img->w * (double)img->h;
	double b = (double)UPQR_SCAN_VIDEO_BUDGET_US * 1000.0;
	b = plain / 3 > b ? plain / 3 : b;
	b = VIDEO_FRAME_NS - plain > b ? VIDEO_FRAME_NS - plain : b;
	return (uint64_t)b;
}

static uint64_t spent_ns(const frame_plan *f)
{
	return now_ns() - f->start - f->plain_ns;
}

/* The box around the last code, grown by half its size each way, if it is worth cropping. */
static bool roi_box(const upqr_scanner *s, const upqr__gimg *img, int box[4])
{
	const video_state *v = &s->video;
	if (v->hit_frame == 0 || v->frame - v->hit_frame > ROI_FRAMES)
		return false;
	int w = v->roi1.x - v->roi0.x, h = v->roi1.y - v->roi0.y;
	int x0 = v->roi0.x - w / 2, y0 = v->roi0.y - h / 2, x1 = v->roi1.x + w / 2, y1 = v->roi1.y + h / 2;
	x0 = x0 < 0 ? 0 : x0;
	y0 = y0 < 0 ? 0 : y0;
	x1 = x1 > img->w ? img->w : x1;
	y1 = y1 > img->h ? img->h : y1;
	box[0] = x0;
	box[1] = y0;
	box[2] = x1 - x0;
	box[3] = y1 - y0;
	/* Less than half the frame, and big enough to hold a symbol. */
	return box[2] >= 42 && box[3] >= 42 &&
		(size_t)box[2] * (size_t)box[3] * 2 <= (size_t)img->w * (size_t)img->h;
}

/* Chooses and makes the base image of this frame's further passes. */
static bool plan_base(frame_plan *f, upqr_scanner *s, const upqr__gimg *img)
{
	int box[4];
	upqr__xform_identity(&f->base_t);
	f->base = *img;
	f->base_owned = false;
	f->look = NULL;
	if (roi_box(s, img, box)) {
		f->look = "roi";
		f->base_owned = true;
		return upqr__op_crop(&f->base, s->pool, img, box[0], box[1], box[2], box[3], &f->base_t);
	}
	if (large_frame(img) && pass_applies(&PASSES[PASS_HALF], img)) {
		f->look = PASSES[PASS_HALF].name;
		f->base_owned = true;
		return upqr__op_scale(&f->base, s->pool, img, 1, 2, &f->base_t);
	}
	return true;
}

/*
 * ZBar on the base image as it is (the cheap first look), when its cost (a
 * plain pass on fewer pixels) fits the budget; not on the first frame, before
 * the plain pass has been measured.
 */
static int first_look(upqr_scanner *s, frame_plan *f)
{
	double cost = s->video.plain_ns_px * (double)f->base.w * (double)f->base.h;
	if (!f->look || cost <= 0 || (double)spent_ns(f) + cost > (double)f->budget_ns)
		return UPQR_OK;
	f->ran++;
	return zbar_pass(s, &f->base, &f->base_t, f->look);
}

static int plain_pass(upqr_scanner *s, frame_plan *f, const upqr__gimg *img)
{
	upqr__xform id;
	upqr__xform_identity(&id);
	uint64_t t0 = now_ns();
	int rc = zbar_pass(s, img, &id, PASSES[0].name);
	f->plain_ns = now_ns() - t0;
	learn_cost(&s->video.plain_ns_px, f->plain_ns, (size_t)img->w * (size_t)img->h);
	f->ran++;
	return rc;
}

typedef enum fit { FIT_RUN, FIT_SKIP, FIT_STOP } fit;

/*
 * Whether pass p runs now, is skipped (it does not apply, or never fits: its
 * estimate then shrinks a little, so a pass measured on a bad frame is tried
 * again later), or waits for the next frame.
 */
static fit pass_fits(upqr_scanner *s, const frame_plan *f, size_t p)
{
	/* The plain pass and the half-size look have run already. */
	if (p == 0 || (p == PASS_HALF && f->look == PASSES[PASS_HALF].name) ||
			!pass_applies(&PASSES[p], &f->base))
		return FIT_SKIP;
	if (s->opts.max_passes && f->ran >= s->opts.max_passes)
		return FIT_STOP;
	double cost = pass_cost(&s->video, p, (size_t)f->base.w * (size_t)f->base.h);
	if (cost > (double)f->budget_ns) {
		s->video.pass_ns_px[p] *= 0.8;
		return FIT_SKIP;
	}
	return (double)spent_ns(f) + cost <= (double)f->budget_ns ? FIT_RUN : FIT_STOP;
}

static int timed_pass(upqr_scanner *s, frame_plan *f, size_t p)
{
	uint64_t t0 = now_ns();
	int rc = run_pass(s, &f->base, &f->base_t, &PASSES[p]);
	learn_cost(&s->video.pass_ns_px[p], now_ns() - t0, (size_t)f->base.w * (size_t)f->base.h);
	f->ran++;
	if (rc == UPQR_OK && have_valid_payment(s))
		s->video.sticky = (int)p;
	return rc;
}

/*
 * The further passes that fit in this frame: the one that read the last
 * code first (the code is probably still there), then the sequence from
 * where the previous frame stopped, at most once round.
 */
static int further_passes(upqr_scanner *s, frame_plan *f)
{
	video_state *v = &s->video;
	int rc = UPQR_OK;
	if (v->sticky > 0 && v->frame - v->hit_frame <= ROI_FRAMES &&
			pass_fits(s, f, (size_t)v->sticky) == FIT_RUN)
		rc = timed_pass(s, f, (size_t)v->sticky);
	for (size_t tried = 0; rc == UPQR_OK && !have_valid_payment(s) && tried < PASS_COUNT; tried++) {
		size_t p = v->cursor;
		fit ft = pass_fits(s, f, p);
		if (ft == FIT_STOP)
			break;
		v->cursor = (v->cursor + 1) % PASS_COUNT;
		if (ft == FIT_RUN && (int)p != v->sticky)
			rc = timed_pass(s, f, p);
	}
	return rc;
}

static int scan_video_passes(upqr_scanner *s, frame_plan *f, const upqr__gimg *img)
{
	int rc = first_look(s, f);
	if (rc == UPQR_OK && !have_valid_payment(s))
		rc = plain_pass(s, f, img);
	if (rc == UPQR_OK && !have_valid_payment(s) && s->opts.try_harder)
		rc = further_passes(s, f);
	return rc;
}

/* Remembers where this frame's valid code is, for the next frames' region of interest. */
static void track(upqr_scanner *s)
{
	video_state *v = &s->video;
	for (size_t i = 0; i < s->nslots; i++) {
		const upqr_scan_symbol *sym = &s->slots[i].sym;
		if (!sym->valid || sym->corner_count == 0)
			continue;
		v->roi0 = v->roi1 = sym->corners[0];
		for (size_t k = 1; k < sym->corner_count; k++) {
			const upqr_scan_point *c = &sym->corners[k];
			v->roi0.x = c->x < v->roi0.x ? c->x : v->roi0.x;
			v->roi0.y = c->y < v->roi0.y ? c->y : v->roi0.y;
			v->roi1.x = c->x > v->roi1.x ? c->x : v->roi1.x;
			v->roi1.y = c->y > v->roi1.y ? c->y : v->roi1.y;
		}
		v->hit_frame = v->frame;
		return;
	}
}

/* The window entry for these bytes, or the entry to reuse (free or oldest). */
static seen_code *seen_entry(video_state *v, const uint8_t *d, size_t n, bool *found)
{
	seen_code *old = &v->seen[0];
	for (size_t i = 0; i < UPQR_SCAN_MAX_SYMBOLS; i++) {
		seen_code *e = &v->seen[i];
		if (e->frame && e->len == n && memcmp(e->bytes, d, n) == 0) {
			*found = true;
			return e;
		}
		if (e->frame < old->frame)
			old = e;
	}
	*found = false;
	return old;
}

/* Drops the symbols seen within the window from the report; every sighting renews it. */
static int dedup(upqr_scanner *s)
{
	video_state *v = &s->video;
	size_t kept = 0;
	for (size_t i = 0; i < s->nslots; i++) {
		const upqr_scan_symbol *sym = &s->slots[i].sym;
		bool found;
		seen_code *e = seen_entry(v, sym->data, sym->len, &found);
		bool repeat = found && v->frame - e->frame <= s->opts.dedup_frames;
		if (!found) {
			if (!reserve(&e->bytes, &e->cap, sym->len + 1))
				return UPQR_ENOMEM;
			memcpy(e->bytes, sym->data, sym->len);
			e->len = sym->len;
		}
		e->frame = v->frame;
		if (!repeat || s->opts.dedup_frames == 0)
			s->order[kept++] = i;
	}
	s->count = kept;
	return UPQR_OK;
}

static int scan_video(upqr_scanner *s, const upqr__gimg *img)
{
	frame_plan f;
	memset(&f, 0, sizeof f);
	f.start = now_ns();
	f.budget_ns = frame_budget_ns(s, img);
	s->video.frame++;
	int rc = plan_base(&f, s, img) ? scan_video_passes(s, &f, img) : UPQR_ENOMEM;
	if (f.base_owned)
		upqr__gimg_put(&f.base, s->pool);
	if (rc == UPQR_OK)
		track(s);
	if (rc == UPQR_OK)
		rc = dedup(s);
	return rc == UPQR_OK ? UPQR_OK : set_error(s, rc, "out of memory in a camera frame");
}

static int scan_grey_image(size_t *count, upqr_scanner *s, const upqr__gimg *img)
{
	int rc = s->opts.video ? scan_video(s, img) : scan_still(s, img);
	if (rc != UPQR_OK)
		return rc;
	*count = s->count;
	if (s->count == 0)
		return set_error(s, UPQR_ENOSYMBOL, s->nslots ? "no new QR symbol (repeats of codes "
			"already reported)" : "no QR symbol found");
	return UPQR_OK;
}

/* ---- inputs ---------------------------------------------------------------- */

/* Common entry checks; clears the previous results. */
static int begin(size_t *count, upqr_scanner *s)
{
	if (count)
		*count = 0;
	if (!s || s->magic != SCAN_MAGIC)
		return UPQR_EINVAL;
	clear_results(s);
	s->err[0] = 0;
	return count ? UPQR_OK : set_error(s, UPQR_EINVAL, "count must not be NULL");
}

static int check_frame(upqr_scanner *s, const uint8_t *px, size_t len, unsigned w, unsigned h,
		size_t stride, size_t bpp, size_t extra)
{
	if (!px || w == 0 || h == 0)
		return set_error(s, UPQR_EINVAL, "no pixels or zero size");
	if (w > UPQR_SCAN_MAX_DIMENSION || h > UPQR_SCAN_MAX_DIMENSION ||
			(size_t)w * h > s->opts.max_pixels)
		return set_error(s, UPQR_ELIMIT, "%ux%u is over the pixel cap of %zu", w, h,
			s->opts.max_pixels);
	if (stride < (size_t)w * bpp)
		return set_error(s, UPQR_EINVAL, "stride %zu is less than the row size", stride);
	/* stride <= SIZE_MAX / h is implied by the caller owning len bytes; check anyway. */
	if (stride > (SIZE_MAX - extra) / h || len < stride * (h - 1) + (size_t)w * bpp + extra)
		return set_error(s, UPQR_EINVAL, "buffer of %zu bytes is too short for the frame", len);
	return UPQR_OK;
}

/* Copies a strided frame into a packed grey image (from the pool), converting bpp-byte pixels. */
static int frame_to_grey(upqr__gimg *img, upqr_scanner *s, const uint8_t *px, unsigned w,
		unsigned h, size_t stride, size_t bpp)
{
	if (!upqr__gimg_get(img, s->pool, (int)w, (int)h))
		return set_error(s, UPQR_ENOMEM, "out of memory for a %ux%u frame", w, h);
	for (unsigned y = 0; y < h; y++) {
		const uint8_t *row = px + (size_t)y * stride;
		uint8_t *dst = img->px + (size_t)y * w;
		if (bpp == 1) {
			memcpy(dst, row, w);
			continue;
		}
		/* BGRA -> luma (BT.601 weights, 8-bit fixed point). */
		for (unsigned x = 0; x < w; x++) {
			const uint8_t *p = row + (size_t)x * 4;
			dst[x] = (uint8_t)((29u * p[0] + 150u * p[1] + 77u * p[2]) >> 8);
		}
	}
	return UPQR_OK;
}

static int scan_frame(size_t *count, upqr_scanner *s, const uint8_t *px, size_t len, unsigned w,
		unsigned h, size_t stride, size_t bpp, size_t extra)
{
	int rc = begin(count, s);
	if (rc == UPQR_OK)
		rc = check_frame(s, px, len, w, h, stride, bpp, extra);
	if (rc != UPQR_OK)
		return rc;
	upqr__gimg img;
	/*
	 * A packed luma plane (grey, or NV21's Y plane without row padding) is
	 * scanned where it lies: ZBar and the passes only read their input, so
	 * the const is dropped for the view alone and nothing writes through it.
	 */
	bool borrowed = bpp == 1 && stride == w;
	if (borrowed) {
		img.px = (uint8_t *)(uintptr_t)px;
		img.w = (int)w;
		img.h = (int)h;
	} else if ((rc = frame_to_grey(&img, s, px, w, h, stride, bpp)) != UPQR_OK) {
		return rc;
	}
	rc = scan_grey_image(count, s, &img);
	if (!borrowed)
		upqr__gimg_put(&img, s->pool);
	return rc;
}

int upqr_scan_grey(size_t *count, upqr_scanner *s, const uint8_t *pixels, size_t len,
		unsigned int width, unsigned int height, size_t stride)
{
	return scan_frame(count, s, pixels, len, width, height, stride, 1, 0);
}

int upqr_scan_nv21(size_t *count, upqr_scanner *s, const uint8_t *frame, size_t len,
		unsigned int width, unsigned int height, size_t y_stride)
{
	/* The VU plane follows the Y plane: (height+1)/2 rows of the same stride. */
	size_t vu = 0;
	if (frame && width && height && y_stride >= width && height <= UPQR_SCAN_MAX_DIMENSION &&
			y_stride <= SIZE_MAX / UPQR_SCAN_MAX_DIMENSION)
		vu = y_stride * ((height + 1) / 2);
	return scan_frame(count, s, frame, len, width, height, y_stride, 1, vu);
}

int upqr_scan_bgra(size_t *count, upqr_scanner *s, const uint8_t *pixels, size_t len,
		unsigned int width, unsigned int height, size_t stride)
{
	return scan_frame(count, s, pixels, len, width, height, stride, 4, 0);
}

int upqr_scan_image(size_t *count, upqr_scanner *s, const uint8_t *data, size_t len)
{
	static const uint8_t png_sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	int rc = begin(count, s);
	if (rc != UPQR_OK)
		return rc;
	if (!data && len)
		return set_error(s, UPQR_EINVAL, "data is NULL");
	upqr__gimg img;
	if (len >= 8 && memcmp(data, png_sig, 8) == 0)
		rc = upqr__decode_png(&img, data, len, s->opts.max_pixels, s->err, sizeof s->err);
	else if (len >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF)
		rc = upqr__decode_jpeg(&img, data, len, s->opts.max_pixels, s->err, sizeof s->err);
	else
		return set_error(s, UPQR_EIMAGE, "not a PNG or JPEG image");
	if (rc != UPQR_OK)
		return rc;
	rc = scan_grey_image(count, s, &img);
	upqr__gimg_release(&img);
	return rc;
}

static int read_file(upqr_scanner *s, const char *path, uint8_t **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return set_error(s, UPQR_EIO, "cannot open %s", path);
	size_t cap = 1 << 16, n = 0;
	uint8_t *buf = upqr__malloc(cap);
	int rc = buf ? UPQR_OK : UPQR_ENOMEM;
	while (rc == UPQR_OK) {
		if (n == cap) {
			if (cap >= UPQR_SCAN_MAX_FILE_BYTES) {
				rc = set_error(s, UPQR_ELIMIT, "%s is larger than %u bytes", path,
					UPQR_SCAN_MAX_FILE_BYTES);
				break;
			}
			uint8_t *nb = upqr__realloc(buf, cap * 2);
			if (!nb) {
				rc = UPQR_ENOMEM;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			if (ferror(f))
				rc = set_error(s, UPQR_EIO, "cannot read %s", path);
			break;
		}
	}
	fclose(f);
	if (rc != UPQR_OK) {
		upqr__free(buf);
		return rc == UPQR_ENOMEM ? set_error(s, rc, "out of memory reading %s", path) : rc;
	}
	*data = buf;
	*len = n;
	return UPQR_OK;
}

int upqr_scan_file(size_t *count, upqr_scanner *s, const char *path)
{
	int rc = begin(count, s);
	if (rc != UPQR_OK)
		return rc;
	if (!path)
		return set_error(s, UPQR_EINVAL, "path is NULL");
	uint8_t *data = NULL;
	size_t len = 0;
	rc = read_file(s, path, &data, &len);
	if (rc != UPQR_OK)
		return rc;
	rc = upqr_scan_image(count, s, data, len);
	upqr__free(data);
	return rc;
}
