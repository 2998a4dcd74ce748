/*
 * scan_ops.c - the image operations behind the scan passes. Each one is a
 * plain loop over 8-bit grey pixels: cheap next to a ZBar pass, and chosen
 * for a camera problem (see the pass table in scan.c).
 */
#include <math.h>
#include <string.h>

#include "scan/scan_internal.h"

void *upqr__pool_get(upqr__pool *pool, size_t n)
{
	if (!pool)
		return upqr__malloc(n);
	/* Best fit among the free slots; else grow the largest free one (its old bytes do not matter). */
	upqr__pool_slot *fit = NULL, *big = NULL;
	for (size_t i = 0; i < UPQR__POOL_SLOTS; i++) {
		upqr__pool_slot *sl = &pool->slot[i];
		if (sl->used)
			continue;
		if (sl->cap >= n && (!fit || sl->cap < fit->cap))
			fit = sl;
		if (!big || sl->cap > big->cap)
			big = sl;
	}
	if (!fit && big) {
		void *p = upqr__malloc(n);
		if (!p)
			return NULL;
		upqr__free(big->p);
		big->p = p;
		big->cap = n;
		fit = big;
	}
	if (!fit)
		return upqr__malloc(n); /* every slot busy: an unpooled buffer */
	fit->used = true;
	return fit->p;
}

void upqr__pool_put(upqr__pool *pool, void *p)
{
	for (size_t i = 0; pool && p && i < UPQR__POOL_SLOTS; i++)
		if (pool->slot[i].p == p) {
			pool->slot[i].used = false;
			return;
		}
	upqr__free(p);
}

void upqr__pool_clear(upqr__pool *pool)
{
	for (size_t i = 0; i < UPQR__POOL_SLOTS; i++) {
		upqr__free(pool->slot[i].p);
		pool->slot[i].p = NULL;
		pool->slot[i].cap = 0;
		pool->slot[i].used = false;
	}
}

bool upqr__gimg_get(upqr__gimg *img, upqr__pool *pool, int w, int h)
{
	img->px = NULL;
	img->w = img->h = 0;
	if (w <= 0 || h <= 0 || (size_t)w > UPQR_SCAN_MAX_DIMENSION * 4 ||
			(size_t)h > UPQR_SCAN_MAX_DIMENSION * 4)
		return false;
	img->px = upqr__pool_get(pool, (size_t)w * (size_t)h);
	if (!img->px)
		return false;
	img->w = w;
	img->h = h;
	return true;
}

void upqr__gimg_put(upqr__gimg *img, upqr__pool *pool)
{
	upqr__pool_put(pool, img->px);
	img->px = NULL;
	img->w = img->h = 0;
}

bool upqr__gimg_alloc(upqr__gimg *img, int w, int h)
{
	return upqr__gimg_get(img, NULL, w, h);
}

void upqr__gimg_release(upqr__gimg *img)
{
	upqr__gimg_put(img, NULL);
}

void upqr__xform_identity(upqr__xform *t)
{
	static const double id[9] = { 1, 0, 0, 0, 1, 0, 0, 0, 1 };
	memcpy(t->m, id, sizeof id);
}

static void project(const double m[9], double x, double y, double *ox, double *oy)
{
	double z = m[6] * x + m[7] * y + m[8];
	if (fabs(z) < 1e-12)
		z = 1e-12;
	*ox = (m[0] * x + m[1] * y + m[2]) / z;
	*oy = (m[3] * x + m[4] * y + m[5]) / z;
}

void upqr__xform_apply(const upqr__xform *t, double x, double y, int *ox, int *oy)
{
	double fx, fy;
	project(t->m, x, y, &fx, &fy);
	/* Clamp before converting: a wild map must not make lround overflow. */
	fx = fx < -1e6 ? -1e6 : fx > 1e6 ? 1e6 : fx;
	fy = fy < -1e6 ? -1e6 : fy > 1e6 ? 1e6 : fy;
	*ox = (int)lround(fx);
	*oy = (int)lround(fy);
}

/* t := t o s (3x3 matrices, row-major) */
static void xform_then(upqr__xform *t, const double s[9])
{
	double r[9];
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++)
			r[3 * i + j] = t->m[3 * i] * s[j] + t->m[3 * i + 1] * s[3 + j] + t->m[3 * i + 2] * s[6 + j];
	memcpy(t->m, r, sizeof r);
}

static bool copy_shape(upqr__gimg *out, upqr__pool *pool, const upqr__gimg *in)
{
	return upqr__gimg_get(out, pool, in->w, in->h);
}

bool upqr__op_invert(upqr__gimg *out, upqr__pool *pool, const upqr__gimg *in)
{
	if (!copy_shape(out, pool, in))
		return false;
	size_t n = (size_t)in->w * (size_t)in->h;
	for (size_t i = 0; i < n; i++)
		out->px[i] = (uint8_t)(255 - in->px[i]);
	return true;
}

/* Maps the 1st..99th percentile onto 0..255: lifts faded prints and dim frames. */
bool upqr__op_stretch(upqr__gimg *out, upqr__pool *pool, const upqr__gimg *in)
{
	size_t n = (size_t)in->w * (size_t)in->h, hist[256] = { 0 };
	for (size_t i = 0; i < n; i++)
		hist[in->px[i]]++;
	size_t cut = n / 100, acc = 0;
	int lo = 0, hi = 255;
	for (lo = 0; lo < 255 && (acc += hist[lo]) <= cut; lo++)
		;
	acc = 0;
	for (hi = 255; hi > 0 && (acc += hist[hi]) <= cut; hi--)
		;
	if (hi - lo < 2) {
		lo = 0;
		hi = 255;
	}
	uint8_t lut[256];
	for (int v = 0; v < 256; v++) {
		int s = (v - lo) * 255 / (hi - lo);
		lut[v] = (uint8_t)(s < 0 ? 0 : s > 255 ? 255 : s);
	}
	if (!copy_shape(out, pool, in))
		return false;
	for (size_t i = 0; i < n; i++)
		out->px[i] = lut[in->px[i]];
	return true;
}

/*
 * Local-mean threshold over a window about 1/8 of the image: survives glare,
 * shadows and vignetting that defeat ZBar's own thresholds. The integral
 * is 32-bit: the pixel cap keeps 255 * pixels < 2^32 for every image a pass
 * binarises (refused otherwise rather than overflowing).
 */
/*
 * Local-mean threshold over (2r+1)^2 windows (r = 0: about 1/8 of the
 * image): a pixel is dark when (v + off) * 100 < mean * pct.
 */
static bool binarize(upqr__gimg *out, upqr__pool *pool, const upqr__gimg *in, int r, int pct,
		int off)
{
	int w = in->w, h = in->h;
	size_t iw = (size_t)w + 1;
	if ((size_t)w * (size_t)h > UINT32_MAX / 255u) {
		out->px = NULL;
		out->w = out->h = 0;
		return false;
	}
	/* Row 0 and column 0 of the integral stay zero; every other cell is written below. */
	uint32_t *sum = upqr__pool_get(pool, iw * ((size_t)h + 1) * sizeof *sum);
	if (!sum)
		return false;
	memset(sum, 0, iw * sizeof *sum);
	for (int y = 1; y <= h; y++)
		sum[(size_t)y * iw] = 0;
	for (int y = 0; y < h; y++) {
		uint32_t row = 0;
		for (int x = 0; x < w; x++) {
			row += in->px[(size_t)y * (size_t)w + (size_t)x];
			sum[(size_t)(y + 1) * iw + (size_t)x + 1] = sum[(size_t)y * iw + (size_t)x + 1] + row;
		}
	}
	if (!copy_shape(out, pool, in)) {
		upqr__pool_put(pool, sum);
		return false;
	}
	if (r == 0)
		r = (w < h ? w : h) / 16;
	if (r < 4)
		r = 4;
	for (int y = 0; y < h; y++) {
		int y0 = y - r < 0 ? 0 : y - r, y1 = y + r + 1 > h ? h : y + r + 1;
		for (int x = 0; x < w; x++) {
			int x0 = x - r < 0 ? 0 : x - r, x1 = x + r + 1 > w ? w : x + r + 1;
			uint64_t s = (uint64_t)sum[(size_t)y1 * iw + (size_t)x1] - sum[(size_t)y0 * iw + (size_t)x1] -
				sum[(size_t)y1 * iw + (size_t)x0] + sum[(size_t)y0 * iw + (size_t)x0];
			uint64_t area = (uint64_t)(x1 - x0) * (uint64_t)(y1 - y0);
			uint64_t v = in->px[(size_t)y * (size_t)w + (size_t)x] + (uint64_t)off;
			out->px[(size_t)y * (size_t)w + (size_t)x] =
				v * area * 100 < s * (uint64_t)pct ? 0 : 255;
		}
	}
	upqr__pool_put(pool, sum);
	return true;
}

bool upqr__op_binarize(upqr__gimg *out, upqr__pool *pool, const upqr__gimg *in)
{
	/* Dark when 5% below the local mean; flat areas stay light. */
	return binarize(out, pool, in, 0, 95, 0);
}

bool upqr__op_binarize_fine(upqr__gimg *out, upqr__pool *pool, const upqr__gimg *in)
{
	/*
	 * A window of about two modules on an upscaled small or soft code (8 px
	 * at 2x): each module is judged against its neighbours only, so the grey
	 * of a blurred or 1.5 px module still separates. 5 grey levels below the
	 * mean, absolute, so low-contrast codes keep their darks.
	 */
	return binarize(out, pool, in, 8, 100, 5);
}

bool upqr__op_binarize_near(upqr__gimg *out, upqr__pool *pool, const upqr__gimg *in)
{
	/*
	 * A 25 px window (about three modules of an upscaled 3-5 px code):
	 * wide enough that grain left after smoothing averages out of the
	 * mean, narrow enough to follow uneven light.
	 */
	return binarize(out, pool, in, 12, 95, 0);
}

bool upqr__op_binarize_mean(upqr__gimg *out, upqr__pool *pool, const upqr__gimg *in)
{
	/* The same window, split at the mean itself: washed-out modules near glare keep their side. */
	return binarize(out, pool, in, 12, 100, 0);
}

/* Separable box blur of the given radius (twice in a row approximates a Gaussian). */
bool upqr__op_box_blur(upqr__gimg *out, upqr__pool *pool, const upqr__gimg *in, int radius)
{
	int w = in->w, h = in->h;
	upqr__gimg tmp;
	if (!copy_shape(&tmp, pool, in))
		return false;
	if (!copy_shape(out, pool, in)) {
		upqr__gimg_put(&tmp, pool);
		return false;
	}
	for (int y = 0; y < h; y++) {
		const uint8_t *src = in->px + (size_t)y * (size_t)w;
		for (int x = 0; x < w; x++) {
			int s = 0, n = 0;
			for (int k = x - radius; k <= x + radius; k++)
				if (k >= 0 && k < w) {
					s += src[k];
					n++;
				}
			tmp.px[(size_t)y * (size_t)w + (size_t)x] = (uint8_t)(s / n);
		}
	}
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			int s = 0, n = 0;
			for (int k = y - radius; k <= y + radius; k++)
				if (k >= 0 && k < h) {
					s += tmp.px[(size_t)k * (size_t)w + (size_t)x];
					n++;
				}
			out->px[(size_t)y * (size_t)w + (size_t)x] = (uint8_t)(s / n);
		}
	upqr__gimg_put(&tmp, pool);
	return true;
}

/* Unsharp mask: adds `amount` times the difference to a box blur; restores soft module edges. */
bool upqr__op_sharpen(upqr__gimg *out, upqr__pool *pool, const upqr__gimg *in, int radius,
		int amount)
{
	if (!upqr__op_box_blur(out, pool, in, radius))
		return false;
	size_t n = (size_t)in->w * (size_t)in->h;
	for (size_t i = 0; i < n; i++) {
		int v = in->px[i] + amount * (in->px[i] - out->px[i]);
		out->px[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
	}
	return true;
}

static uint8_t bilinear(const upqr__gimg *in, double x, double y, uint8_t fill)
{
	if (x < 0 || y < 0 || x > in->w - 1 || y > in->h - 1)
		return fill;
	int x0 = (int)x, y0 = (int)y;
	int x1 = x0 + 1 < in->w ? x0 + 1 : x0, y1 = y0 + 1 < in->h ? y0 + 1 : y0;
	double fx = x - x0, fy = y - y0;
	const uint8_t *p = in->px;
	size_t w = (size_t)in->w;
	double top = p[(size_t)y0 * w + (size_t)x0] * (1 - fx) + p[(size_t)y0 * w + (size_t)x1] * fx;
	double bot = p[(size_t)y1 * w + (size_t)x0] * (1 - fx) + p[(size_t)y1 * w + (size_t)x1] * fx;
	return (uint8_t)(top * (1 - fy) + bot * fy + 0.5);
}

bool upqr__op_scale(upqr__gimg *out, upqr__pool *pool, const upqr__gimg *in, int num, int den,
		upqr__xform *t)
{
	int w = (int)((int64_t)in->w * num / den), h = (int)((int64_t)in->h * num / den);
	if (w < 1 || h < 1 || !upqr__gimg_get(out, pool, w, h))
		return false;
	if (num < den && den % num == 0) {
		/* Integer shrink: average each k x k block (noise and JPEG blocks average out). */
		int k = den / num;
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++) {
				unsigned s = 0;
				for (int dy = 0; dy < k; dy++)
					for (int dx = 0; dx < k; dx++)
						s += in->px[(size_t)(y * k + dy) * (size_t)in->w + (size_t)(x * k + dx)];
				out->px[(size_t)y * (size_t)w + (size_t)x] = (uint8_t)(s / (unsigned)(k * k));
			}
	} else {
		double f = (double)den / num;
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++)
				out->px[(size_t)y * (size_t)w + (size_t)x] =
					bilinear(in, (x + 0.5) * f - 0.5, (y + 0.5) * f - 0.5, 255);
	}
	double f = (double)den / num;
	const double s[9] = { f, 0, 0, 0, f, 0, 0, 0, 1 };
	xform_then(t, s);
	return true;
}

/*
 * Keys' cubic convolution kernel with a = -0.75 (as common image libraries
 * use), at the two offsets a doubling needs: a quarter and three quarters
 * of a pixel. Its values there are exact multiples of 1/256, so the filter
 * runs in integers: w(1.75) = -9/256, w(1.25) = -27/256, w(0.75) = 67/256,
 * w(0.25) = 225/256.
 */
static const int CUBIC_256[2][4] = {
	{ -9, 67, 225, -27 },  /* even outputs: 3/4 past source i-1 */
	{ -27, 225, 67, -9 },  /* odd outputs: 1/4 past source i */
};

/* Sample i of a row or column of n, edges repeated. */
static int clampi(int i, int n)
{
	return i < 0 ? 0 : i >= n ? n - 1 : i;
}

/*
 * Output sample o (0 .. 2n-1) of a doubled line: source position o/2 - 1/4,
 * so even samples sit 3/4 past source i-1 and odd ones 1/4 past source i.
 * Rounded to nearest and clamped, as the same filter in floating point.
 */
static uint8_t cubic_tap(const uint8_t *line, size_t step, int n, int o)
{
	int i = o / 2 - (o % 2 == 0 ? 1 : 0);
	const int *k = CUBIC_256[o % 2];
	int v = 0;
	if (i >= 1 && i + 2 < n)
		for (int j = 0; j < 4; j++)
			v += k[j] * line[(size_t)(i - 1 + j) * step];
	else
		for (int j = 0; j < 4; j++)
			v += k[j] * line[(size_t)clampi(i - 1 + j, n) * step];
	return (uint8_t)(v < 0 ? 0 : v > 255 * 256 ? 255 : (v + 128) / 256);
}

bool upqr__op_double_cubic(upqr__gimg *out, upqr__pool *pool, const upqr__gimg *in, upqr__xform *t)
{
	int w = in->w, h = in->h;
	upqr__gimg tmp;
	if (!upqr__gimg_get(&tmp, pool, 2 * w, h))
		return false;
	if (!upqr__gimg_get(out, pool, 2 * w, 2 * h)) {
		upqr__gimg_put(&tmp, pool);
		return false;
	}
	for (int y = 0; y < h; y++)
		for (int x = 0; x < 2 * w; x++)
			tmp.px[(size_t)y * (size_t)(2 * w) + (size_t)x] =
				cubic_tap(in->px + (size_t)y * (size_t)w, 1, w, x);
	for (int y = 0; y < 2 * h; y++)
		for (int x = 0; x < 2 * w; x++)
			out->px[(size_t)y * (size_t)(2 * w) + (size_t)x] =
				cubic_tap(tmp.px + x, (size_t)(2 * w), h, y);
	upqr__gimg_put(&tmp, pool);
	const double s[9] = { 0.5, 0, 0, 0, 0.5, 0, 0, 0, 1 };
	xform_then(t, s);
	return true;
}

bool upqr__op_crop(upqr__gimg *out, upqr__pool *pool, const upqr__gimg *in, int x, int y, int w,
		int h, upqr__xform *t)
{
	if (x < 0 || y < 0 || w > in->w - x || h > in->h - y || !upqr__gimg_get(out, pool, w, h))
		return false;
	for (int r = 0; r < h; r++)
		memcpy(out->px + (size_t)r * (size_t)w, in->px + (size_t)(y + r) * (size_t)in->w + (size_t)x,
			(size_t)w);
	const double s[9] = { 1, 0, x, 0, 1, y, 0, 0, 1 };
	xform_then(t, s);
	return true;
}

bool upqr__op_rotate(upqr__gimg *out, upqr__pool *pool, const upqr__gimg *in, double deg,
		upqr__xform *t)
{
	double a = deg * 3.14159265358979323846 / 180.0, c = cos(a), s = sin(a);
	int w = (int)ceil(fabs(in->w * c) + fabs(in->h * s));
	int h = (int)ceil(fabs(in->w * s) + fabs(in->h * c));
	if (!upqr__gimg_get(out, pool, w, h))
		return false;
	double icx = in->w / 2.0, icy = in->h / 2.0, ocx = w / 2.0, ocy = h / 2.0;
	/* Inverse map: for each output pixel, where it came from in the input. */
	const double back[9] = { c, s, icx - c * ocx - s * ocy, -s, c, icy + s * ocx - c * ocy, 0, 0, 1 };
	uint8_t fill = 255;
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			out->px[(size_t)y * (size_t)w + (size_t)x] = bilinear(in,
				back[0] * x + back[1] * y + back[2], back[3] * x + back[4] * y + back[5], fill);
	xform_then(t, back);
	return true;
}

/*
 * The homography taking the unit square's corners (0,0) (1,0) (1,1) (0,1)
 * to q[0..3] (Heckbert's closed form: no linear solver needed).
 */
static void square_to_quad(double m[9], const double q[4][2])
{
	double sx = q[0][0] - q[1][0] + q[2][0] - q[3][0], sy = q[0][1] - q[1][1] + q[2][1] - q[3][1];
	double dx1 = q[1][0] - q[2][0], dx2 = q[3][0] - q[2][0];
	double dy1 = q[1][1] - q[2][1], dy2 = q[3][1] - q[2][1];
	double den = dx1 * dy2 - dx2 * dy1, g = 0, h = 0;
	if (fabs(den) > 1e-12) {
		g = (sx * dy2 - dx2 * sy) / den;
		h = (dx1 * sy - sx * dy1) / den;
	}
	m[0] = q[1][0] - q[0][0] + g * q[1][0];
	m[1] = q[3][0] - q[0][0] + h * q[3][0];
	m[2] = q[0][0];
	m[3] = q[1][1] - q[0][1] + g * q[1][1];
	m[4] = q[3][1] - q[0][1] + h * q[3][1];
	m[5] = q[0][1];
	m[6] = g;
	m[7] = h;
	m[8] = 1;
}

bool upqr__op_keystone(upqr__gimg *out, upqr__pool *pool, const upqr__gimg *in, int quarter,
		double shrink, upqr__xform *t)
{
	if (!copy_shape(out, pool, in))
		return false;
	double w = in->w - 1, h = in->h - 1, a = shrink * (quarter % 2 ? w : h) / 2;
	/* The input quad: the full frame with the chosen side pinched towards its middle. */
	double q[4][2] = { { 0, 0 }, { w, 0 }, { w, h }, { 0, h } };
	switch (quarter & 7) {
	case 0: q[1][1] += a; q[2][1] -= a; break;  /* right side short */
	case 1: q[2][0] -= a; q[3][0] += a; break;  /* bottom side short */
	case 2: q[0][1] += a; q[3][1] -= a; break;  /* left side short */
	case 3: q[0][0] += a; q[1][0] -= a; break; /* top side short */
	default: {
		/* A tilt along a diagonal: corner quarter - 4 (top-left, clockwise) drawn in. */
		double *c = q[(quarter - 4) & 3];
		c[0] += (w / 2 - c[0]) * shrink;
		c[1] += (h / 2 - c[1]) * shrink;
		break;
	}
	}
	double sq[9];
	square_to_quad(sq, (const double(*)[2])q);
	/* Output pixel (x, y) -> unit square (x/w, y/h) -> input quad. */
	const double norm[9] = { 1 / (w > 0 ? w : 1), 0, 0, 0, 1 / (h > 0 ? h : 1), 0, 0, 0, 1 };
	upqr__xform map;
	memcpy(map.m, sq, sizeof sq);
	xform_then(&map, norm);
	for (int y = 0; y < out->h; y++)
		for (int x = 0; x < out->w; x++) {
			double sx, sy;
			project(map.m, x, y, &sx, &sy);
			out->px[(size_t)y * (size_t)out->w + (size_t)x] = bilinear(in, sx, sy, 255);
		}
	xform_then(t, map.m);
	return true;
}
