/*
 * qr_encode.c - options, and payload -> QR module matrix with libqrencode.
 *
 * EMV MPM §4.12.1: byte mode only, and the ECI designator 000026 (UTF-8)
 * when any character is outside the common character set. One segment
 * keeps the bit stream predictable; libqrencode picks the smallest version.
 */
#include <errno.h>
#include <string.h>

#include "qr_internal.h"

#define ECI_UTF8 26u

int upqr_qr_version_max(void)
{
	return UPQR_QR_VERSION_MAX;
}

size_t upqr_qr_size_max(void)
{
	return UPQR_QR_SIZE_MAX;
}

size_t upqr_qr_modules_max(void)
{
	return UPQR_QR_MODULES_MAX;
}

unsigned int upqr_qr_scale_max(void)
{
	return UPQR_QR_SCALE_MAX;
}

unsigned int upqr_qr_margin_min(void)
{
	return UPQR_QR_MARGIN_MIN;
}

unsigned int upqr_qr_margin_max(void)
{
	return UPQR_QR_MARGIN_MAX;
}

size_t upqr_qr_payload_max(upqr_qr_ecc ecc)
{
	/* Byte capacity of version 40 per level (ISO/IEC 18004 Table 7). */
	static const size_t cap[4] = { UPQR_QR_PAYLOAD_MAX, 2331, 1663, 1273 };
	return (unsigned)ecc <= UPQR_QR_ECC_H ? cap[ecc] : 0;
}

const char *upqr_qr_ecc_name(upqr_qr_ecc ecc)
{
	static const char *const names[] = { "L", "M", "Q", "H" };
	return (unsigned)ecc < 4u ? names[ecc] : "?";
}

int upqr_qr_options_init(upqr_qr_options *opts, unsigned int version)
{
	static const upqr_qr_options defaults = UPQR_QR_OPTIONS_INIT;
	if (!opts)
		return UPQR_EINVAL;
	if (version != UPQR_QR_OPTIONS_VERSION)
		return UPQR_EVERSION;
	*opts = defaults;
	return UPQR_OK;
}

int upqr__qr_opts(upqr_qr_options *dst, const upqr_qr_options *src)
{
	if (!src)
		return upqr_qr_options_init(dst, UPQR_QR_OPTIONS_VERSION);
	if (src->version != UPQR_QR_OPTIONS_VERSION)
		return UPQR_EVERSION;
	if ((unsigned)src->ecc > UPQR_QR_ECC_H || src->scale < 1 || src->scale > UPQR_QR_SCALE_MAX
			|| src->margin < UPQR_QR_MARGIN_MIN || src->margin > UPQR_QR_MARGIN_MAX
			|| (unsigned)src->theme > UPQR_QR_THEME_DARK
			|| (src->png_bit_depth != 8 && src->png_bit_depth != 1))
		return UPQR_EINVAL;
	*dst = *src;
	return UPQR_OK;
}

size_t upqr__qr_side(size_t size, const upqr_qr_options *o)
{
	return (size + 2 * (size_t)o->margin) * o->scale;
}

size_t upqr_qr_image_side(size_t size, const upqr_qr_options *opts)
{
	upqr_qr_options o;
	upqr__qr_view v;
	static const uint8_t probe = 0;
	if (upqr__qr_opts(&o, opts) != UPQR_OK || upqr__qr_view_check(&v, &probe, size) != UPQR_OK)
		return 0;
	return upqr__qr_side(size, &o);
}

int upqr__qr_view_check(upqr__qr_view *v, const uint8_t *modules, size_t size)
{
	if (!modules || size < 21 || size > UPQR_QR_SIZE_MAX || (size - 17) % 4 != 0)
		return UPQR_EINVAL;
	v->m = modules;
	v->size = size;
	return UPQR_OK;
}

int upqr__qr_args(upqr_qr_options *o, upqr__qr_view *v, const upqr_qr_options *opts,
		const uint8_t *modules, size_t size)
{
	int rc = upqr__qr_opts(o, opts);
	return rc == UPQR_OK ? upqr__qr_view_check(v, modules, size) : rc;
}

/* True when a byte is outside the EMV common character set (ans). */
static bool needs_eci(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7E)
			return true;
	return false;
}

static int check_payload(const uint8_t *payload, size_t len, upqr_qr_ecc ecc)
{
	if (!payload || len == 0)
		return UPQR_EINVAL;
	/* Refused early so libqrencode never copies or sizes a huge input. */
	if (len > upqr_qr_payload_max(ecc))
		return UPQR_ETOOLARGE;
	if (!upqr__utf8_count(payload, len, NULL, NULL))
		return UPQR_EENCODING;
	return UPQR_OK;
}

static int status_from_errno(int e)
{
	if (e == ERANGE)
		return UPQR_ETOOLARGE;
	if (e == ENOMEM)
		return UPQR_ENOMEM;
	return UPQR_EINTERNAL;
}

int upqr__qr_encode(QRcode **out, upqr_qr_info *info, const upqr_qr_options *o,
		const uint8_t *payload, size_t len)
{
	static const QRecLevel levels[4] = { QR_ECLEVEL_L, QR_ECLEVEL_M, QR_ECLEVEL_Q, QR_ECLEVEL_H };
	int rc = check_payload(payload, len, o->ecc);
	if (rc != UPQR_OK)
		return rc;
	bool eci = needs_eci(payload, len);
	errno = 0;
	QRinput *in = QRinput_new2(0, levels[o->ecc]);
	if (!in)
		return UPQR_ENOMEM;
	QRcode *code = NULL;
	if ((!eci || QRinput_appendECIheader(in, ECI_UTF8) == 0)
			&& QRinput_append(in, QR_MODE_8, (int)len, payload) == 0)
		code = QRcode_encodeInput(in);
	int err = errno;
	QRinput_free(in);
	if (!code)
		return status_from_errno(err);
	if (info) {
		info->version = code->version;
		info->size = (size_t)code->width;
		info->ecc = o->ecc;
		info->eci = eci;
		info->image_side = upqr__qr_side(info->size, o);
	}
	*out = code;
	return UPQR_OK;
}

int upqr_qr_encode(uint8_t *modules, size_t cap, size_t *written,
		upqr_qr_info *info, const upqr_qr_options *opts,
		const uint8_t *payload, size_t len)
{
	upqr_qr_options o;
	QRcode *code;
	int rc = upqr__qr_opts(&o, opts);
	if (rc == UPQR_OK)
		rc = upqr__qr_encode(&code, info, &o, payload, len);
	if (rc != UPQR_OK)
		return rc;
	size_t n = (size_t)code->width * (size_t)code->width;
	if (written)
		*written = n;
	if (!modules || cap < n) {
		QRcode_free(code);
		return UPQR_EBUFSIZE;
	}
	for (size_t i = 0; i < n; i++)
		modules[i] = code->data[i] & 1;
	QRcode_free(code);
	return UPQR_OK;
}
