/*
 * scan_wechat.cpp - test-only comparison engine: one call of OpenCV's WeChat
 * QR decoder (module wechat_qrcode) on a corpus image, WITHOUT its CNN
 * detector and super-resolution model files (empty paths: the decoder then
 * uses its traditional finder-pattern detector on the whole image). Built
 * only when Debian's libopencv-contrib-dev is installed (see the Makefile);
 * scan_corpus.c declares the function weak and reports "not measured"
 * without it. The SDK never links OpenCV.
 */
#include <cstring>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/wechat_qrcode.hpp>

extern "C" {
#include "scan_corpus.h"
}

extern "C" int sc_wechat_plain_reads(const sc_img *img, const uint8_t *want, size_t want_len)
{
	/* Made once: without model files construction is cheap, but there is no reason to repeat it. */
	static cv::wechat_qrcode::WeChatQRCode detector("", "", "", "");
	/* A view of the caller's pixels (no copy); the decoder only reads them. */
	cv::Mat view(img->h, img->w, CV_8UC1, img->px);
	std::vector<std::string> texts;
	try {
		texts = detector.detectAndDecode(view);
	} catch (const cv::Exception &) {
		return 0; /* an image OpenCV refuses counts as not read */
	}
	for (const auto &t : texts)
		if (t.size() == want_len && std::memcmp(t.data(), want, want_len) == 0)
			return 1;
	return 0;
}
