/*
 * consumer_scan_pay.c - the wallet side of a merchant code: scan the image
 * (PNG or JPEG photo or screenshot), check it, show the merchant and the
 * amount as a person reads them, ask for the amount when the code is static,
 * and pay through the simulator's payer (POST $UPQR_SIM_URL/__sim/pay).
 *
 *   consumer_scan_pay IMAGE [--amount YUAN] [--outcome success|decline]
 *   consumer_scan_pay --grey WIDTHxHEIGHT FRAME ...   (a camera's 8-bit luma plane)
 *
 * A merchant MPM code (merchant_qr --static) must carry the acquirer's link
 * in template 26 (GUID "com.95516"); a bare UnionPay link (merchant_qr
 * --amount) is paid as it is.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "sample.h"

static void show(const char *label, upqr_mpm_str s)
{
	if (s.ptr)
		sample_print_text(label, s.ptr, s.len);
}

/* The acquirer's link in template 26 sub-ID 01, found by its GUID. */
static upqr_mpm_str sticker_link(const upqr_mpm_payload *p)
{
	upqr_mpm_str none = { NULL, 0 };
	for (size_t i = 0; i < p->fields.account_count; i++) {
		const upqr_mpm_account *a = &p->fields.accounts[i];
		if (!a->guid.ptr || a->guid.len != 9 || memcmp(a->guid.ptr, "com.95516", 9) != 0)
			continue;
		const upqr_mpm_object *o = &p->objects[a->object_index];
		for (unsigned int k = 0; k < o->child_count; k++)
			if (p->subs[o->first_child + k].id == 1)
				return (upqr_mpm_str){ p->subs[o->first_child + k].value,
					p->subs[o->first_child + k].value_len };
	}
	return none;
}

/* Shows the merchant; *fen gets the amount (0: the payer must enter it). */
static int read_mpm(const upqr_scan_symbol *sym, upqr_mpm_payload *p, int64_t *fen, upqr_mpm_str *link)
{
	int rc = upqr_scan_symbol_mpm(p, sym, upqr_mpm_profile_unionpay(), NULL);
	if (rc != UPQR_OK)
		return fprintf(stderr, "consumer_scan_pay: %s\n", upqr_strerror(rc)), 1;
	const upqr_mpm_fields *f = &p->fields;
	printf("pay to:\n");
	show("merchant", f->language.merchant_name.ptr ? f->language.merchant_name : f->merchant_name);
	show("", f->language.merchant_name.ptr ? f->merchant_name : (upqr_mpm_str){ NULL, 0 });
	show("city", f->language.merchant_city.ptr ? f->language.merchant_city : f->merchant_city);
	if (f->unionpay.present)
		printf("  %-10s %.*s (acquirer %.*s)\n", "UnionPay", (int)f->unionpay.merchant_id.len,
			f->unionpay.merchant_id.ptr, (int)f->unionpay.acquirer_iin.len, f->unionpay.acquirer_iin.ptr);
	*fen = f->amount_exact ? f->amount_minor : 0;
	if (f->currency_numeric != 156 || f->currency_exponent != 2)
		return fprintf(stderr, "consumer_scan_pay: this wallet pays in CNY only\n"), 1;
	*link = sticker_link(p);
	if (!link->ptr)
		return fprintf(stderr, "consumer_scan_pay: the code names no acquirer order to pay\n"), 1;
	return 0;
}

/* The amount of a static code: --amount, or typed by the person. */
static int ask_amount(const char *amount, int64_t *fen)
{
	char in[32] = "";
	if (!amount) {
		printf("static code: amount in CNY? ");
		fflush(stdout);
		amount = fgets(in, sizeof in, stdin) ? in : "";
		in[strcspn(in, "\r\n")] = '\0';
		if (!isatty(STDIN_FILENO))
			printf("%s\n", in); /* echo what a script typed */
	}
	int rc = upqr_mpm_amount_parse(fen, amount, strlen(amount), 2);
	if (rc == UPQR_OK && *fen > 0)
		return 0;
	fprintf(stderr, "consumer_scan_pay: amount \"%s\": %s\n", amount,
		rc != UPQR_OK ? upqr_strerror(rc) : "must be above 0");
	return 1;
}

/* The simulator's payer hook stands in for the wallet's network. */
static int pay(const char *sim, upqr_mpm_str link, int64_t fen, const char *outcome)
{
	CURL *c = curl_easy_init();
	char *qr = c ? curl_easy_escape(c, link.ptr, (int)link.len) : NULL;
	char form[1024], url[512];
	long status = 0;
	int n = snprintf(form, sizeof form, "qrCode=%s&outcome=%s", qr ? qr : "", outcome);
	if (fen > 0)
		snprintf(form + n, sizeof form - (size_t)n, "&amount=%lld", (long long)fen);
	snprintf(url, sizeof url, "%s/__sim/pay", sim);
	CURLcode cc = CURLE_OUT_OF_MEMORY;
	printf("payer (%s): ", url);
	fflush(stdout); /* libcurl writes the simulator's JSON answer to stdout */
	if (qr && curl_easy_setopt(c, CURLOPT_URL, url) == CURLE_OK &&
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, form) == CURLE_OK)
		cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	printf("\n");
	if (cc != CURLE_OK)
		fprintf(stderr, "consumer_scan_pay: payer at %s: %s\n", url, curl_easy_strerror(cc));
	int code = cc != CURLE_OK ? 3 : status == 200 ? 0 : 1;
	printf("HTTP %ld: %s\n", status, code != 0 ? "not paid" :
		strcmp(outcome, "success") == 0 ? "paid" : "declined, as asked");
	curl_free(qr);
	curl_easy_cleanup(c);
	return code;
}

int main(int argc, char **argv)
{
	const char *image = NULL, *amount = NULL, *outcome = "success", *sim = getenv("UPQR_SIM_URL");
	unsigned int w = 0, h = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--grey") && i + 1 < argc && sscanf(argv[++i], "%ux%u", &w, &h) == 2)
			continue;
		else if (!strcmp(argv[i], "--amount") && i + 1 < argc)
			amount = argv[++i];
		else if (!strcmp(argv[i], "--outcome") && i + 1 < argc)
			outcome = argv[++i];
		else if (image == NULL && argv[i][0] != '-')
			image = argv[i];
		else
			image = "";
	}
	if (!image || !*image || !sim || (strcmp(outcome, "success") && strcmp(outcome, "decline"))) {
		fprintf(stderr, "usage: consumer_scan_pay IMAGE [--amount YUAN] [--outcome success|decline]\n"
			"       (UPQR_SIM_URL: the simulator whose payer pays)\n");
		return 2;
	}
	upqr_scan_options so = UPQR_SCAN_OPTIONS_INIT;
	so.mpm_profile = upqr_mpm_profile_unionpay();
	upqr_scanner *sc = NULL;
	size_t count = 0;
	int rc = upqr_scanner_new(&sc, &so);
	if (rc == UPQR_OK && w == 0) {
		rc = upqr_scan_file(&count, sc, image);
	} else if (rc == UPQR_OK) { /* a raw frame, as a camera API hands it over */
		size_t len = 0;
		uint8_t *frame = sample_read_file(image, &len);
		rc = frame ? upqr_scan_grey(&count, sc, frame, len, w, h, w) : UPQR_EIO;
		free(frame);
	}
	if (rc != UPQR_OK) {
		fprintf(stderr, "consumer_scan_pay: %s: %s\n", image, sc ? upqr_scanner_last_error(sc) :
			upqr_strerror(rc));
		upqr_scanner_free(sc);
		return rc == UPQR_ENOSYMBOL ? 1 : 3;
	}
	const upqr_scan_symbol *sym = upqr_scanner_symbol(sc, 0);
	printf("scanned: %s, %s\n", upqr_scan_kind_name(sym->kind), sym->valid ? "valid" : "NOT valid");
	sample_print_diags(&sym->diags);
	upqr_mpm_payload *p = malloc(sizeof *p); /* ~30 KiB: off the stack */
	upqr_mpm_str link = { (const char *)sym->data, sym->len };
	int64_t fen = 0;
	int code = p ? 0 : 3;
	if (sym->kind != UPQR_SCAN_KIND_MPM && sym->kind != UPQR_SCAN_KIND_UNIONPAY_URL)
		code = (fprintf(stderr, "consumer_scan_pay: not a merchant code\n"), 1);
	else if (!sym->valid)
		code = (fprintf(stderr, "consumer_scan_pay: not paying a damaged code: %s\n",
			upqr_strerror(sym->status)), 1);
	else if (code == 0 && sym->kind == UPQR_SCAN_KIND_MPM)
		code = read_mpm(sym, p, &fen, &link);
	else if (code == 0)
		printf("pay to:\n  UnionPay order link of acquirer %.*s; the merchant set the amount\n",
			(int)sym->acquirer_len, sym->acquirer);
	if (code == 0 && sym->kind == UPQR_SCAN_KIND_MPM && fen == 0)
		code = ask_amount(amount, &fen);
	char text[32];
	size_t n = 0;
	if (code == 0 && fen > 0 && upqr_mpm_amount_format(text, sizeof text, &n, fen, 2) == UPQR_OK)
		printf("  %-10s CNY %s\n", "amount", text);
	if (code == 0)
		code = pay(sim, link, fen, outcome);
	free(p);
	upqr_scanner_free(sc);
	return code;
}
