/*
 * test_contract.c - the argument contract of common.h, class by class:
 * `written` optional everywhere (same output as with it), `count`
 * required, UPQR_EVERSION for every versioned struct, and magic checks on
 * every opaque handle (zeroed memory and the wrong kind of handle are
 * refused with UPQR_EINVAL, never followed).
 */
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_cpm_util.h"

static const char MPM[] =
	"00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678"
	"520441115802CN5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京"
	"540523.7253031565502016233030412340603***0708A60086670902ME91320016A011223344"
	"9988770708123456786304A13A";
static const uint8_t AID[] = { 0xA0, 0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x01 };
static const uint8_t SECRET[] = "contract-secret";
#define MK_HEX "0123456789ABCDEFFEDCBA9876543210"

/* Zeroed memory larger than any handle: what a freed-and-wiped handle looks like. */
static alignas(max_align_t) uint8_t ZERO[1 << 16];

static void profile_txn(upqr_cpm_profile *p, upqr_cpm_txn *t)
{
	assert_int_equal(upqr_cpm_profile_init(p, UPQR_CPM_PROFILE_VERSION), UPQR_OK);
	p->aid = AID;
	p->aid_len = sizeof AID;
	p->pan = "6250947000000014";
	p->expiry = "3012";
	p->psn = 0;
	assert_int_equal(upqr_cpm_txn_init(t, UPQR_CPM_TXN_VERSION), UPQR_OK);
	t->amount = 100;
	t->un_set = 1;
	t->year = 2026;
	t->month = 1;
	t->day = 2;
}

/* A generated CPM, decoded. */
static void make_cpm(upqr_cpm *c, upqr_emv_key *mk, char *text, size_t cap)
{
	upqr_cpm_profile p;
	upqr_cpm_txn t;
	profile_txn(&p, &t);
	uint16_t atc = 0;
	size_t n;
	assert_int_equal(upqr_cpm_generate(text, cap, &n, &atc, mk, &p, &t), UPQR_OK);
	assert_int_equal(upqr_cpm_decode(c, NULL, text, n, NULL), UPQR_OK);
}

static upqr_signer *secure_signer(void)
{
	upqr_signer_options o;
	assert_int_equal(upqr_signer_options_init(&o, UPQR_SIGNER_OPTIONS_VERSION), UPQR_OK);
	o.sign_method = UPQR_ACP_SIGN_SHA256;
	o.secure_key = SECRET;
	o.secure_key_len = sizeof SECRET - 1;
	upqr_signer *s = NULL;
	assert_int_equal(upqr_signer_new(&s, &o), UPQR_OK);
	return s;
}

static upqr_verifier *secure_verifier(void)
{
	upqr_verifier_options o;
	assert_int_equal(upqr_verifier_options_init(&o, UPQR_VERIFIER_OPTIONS_VERSION), UPQR_OK);
	o.secure_key = SECRET;
	o.secure_key_len = sizeof SECRET - 1;
	upqr_verifier *v = NULL;
	assert_int_equal(upqr_verifier_new(&v, &o), UPQR_OK);
	return v;
}

/* ---- written: optional, same output ------------------------------------- */

/* Runs the same call with &n and with NULL: same status, same bytes. */
#define SAME_WITHOUT_WRITTEN(buf, want_rc, call_with) \
	do { \
		size_t n_ = 0; \
		size_t *written = &n_; \
		memset(buf, 0x5A, sizeof buf); \
		assert_int_equal((call_with), (want_rc)); \
		uint8_t copy_[sizeof buf]; \
		memcpy(copy_, buf, sizeof buf); \
		written = NULL; \
		memset(buf, 0x5A, sizeof buf); \
		assert_int_equal((call_with), (want_rc)); \
		assert_memory_equal(copy_, buf, sizeof buf); \
		(void)written; \
	} while (0)

static void test_written_optional_core_mpm(void **state)
{
	(void)state;
	char text[64];
	uint8_t bytes[64];
	SAME_WITHOUT_WRITTEN(text, UPQR_OK, upqr_base64_encode(text, sizeof text, written, (const uint8_t *)"abc", 3));
	SAME_WITHOUT_WRITTEN(bytes, UPQR_OK, upqr_base64_decode(bytes, sizeof bytes, written, "YWJj", 4, NULL));
	SAME_WITHOUT_WRITTEN(text, UPQR_OK, upqr_mpm_amount_format(text, sizeof text, written, 2372, 2));
	/* A short buffer is refused the same way with or without written. */
	SAME_WITHOUT_WRITTEN(text, UPQR_EBUFSIZE, upqr_mpm_amount_format(text, 2, written, 2372, 2));

	char out[512];
	upqr_mpm_fields_in in;
	assert_int_equal(upqr_mpm_fields_in_init(&in, UPQR_MPM_FIELDS_IN_VERSION), UPQR_OK);
	in.mcc = "5812";
	in.currency = 344;
	in.country = "HK";
	in.merchant_name = "SHOP";
	in.merchant_city = "HK";
	static const upqr_mpm_entry_in acct = { 2, "4000123412341234", NULL, NULL, 0 };
	in.accounts = &acct;
	in.account_count = 1;
	SAME_WITHOUT_WRITTEN(out, UPQR_OK, upqr_mpm_encode(out, sizeof out, written, NULL, &in, NULL));
	SAME_WITHOUT_WRITTEN(out, UPQR_OK, upqr_mpm_set_amount(out, sizeof out, written, NULL, MPM,
		strlen(MPM), 500, NULL));
}

static void test_written_optional_cpm(void **state)
{
	(void)state;
	upqr_emv_key *mk = key_hex(UPQR_EMV_KEY_TDES, MK_HEX);
	upqr_cpm_profile p;
	upqr_cpm_txn t;
	profile_txn(&p, &t);
	char text[UPQR_CPM_GENERATED_MAX + 1];
	/* The ATC moves on each call, so compare lengths and decodability here. */
	uint16_t atc = 0;
	size_t n;
	assert_int_equal(upqr_cpm_generate(text, sizeof text, &n, &atc, mk, &p, &t), UPQR_OK);
	assert_int_equal(upqr_cpm_generate(text, sizeof text, NULL, &atc, mk, &p, &t), UPQR_OK);
	assert_int_equal(atc, 2);
	assert_int_equal(strlen(text), n);

	static upqr_cpm c;
	assert_int_equal(upqr_cpm_decode(&c, NULL, text, n, NULL), UPQR_OK);
	char pan[32], hex[2 * UPQR_CPM_BINARY_MAX + 1];
	uint8_t arpc[8];
	static const uint8_t arc[2] = { 0x30, 0x30 };
	SAME_WITHOUT_WRITTEN(pan, UPQR_OK, upqr_cpm_pan(pan, sizeof pan, written, &c));
	SAME_WITHOUT_WRITTEN(hex, UPQR_OK, upqr_cpm_hex_masked(hex, sizeof hex, written, &c));
	SAME_WITHOUT_WRITTEN(arpc, UPQR_OK, upqr_cpm_arpc(arpc, written, mk, UPQR_CPM_KEY_ICC_MK, &c, 1,
		arc, NULL, 0));
	upqr_emv_key_free(mk);
}

static void test_written_optional_qr(void **state)
{
	(void)state;
	static uint8_t m[UPQR_QR_MODULES_MAX];
	static uint8_t png[8192];
	static char svg[65536];
	const uint8_t *pl = (const uint8_t *)"HELLO";
	size_t side;
	assert_int_equal(upqr_qr_encode(m, sizeof m, &side, NULL, NULL, pl, 5), UPQR_OK);
	size_t size = 21;
	assert_int_equal(side, size * size);
	SAME_WITHOUT_WRITTEN(m, UPQR_OK, upqr_qr_encode(m, sizeof m, written, NULL, NULL, pl, 5));
	SAME_WITHOUT_WRITTEN(png, UPQR_OK, upqr_qr_png(png, sizeof png, written, NULL, m, size));
	SAME_WITHOUT_WRITTEN(svg, UPQR_OK, upqr_qr_svg(svg, sizeof svg, written, NULL, m, size));
	SAME_WITHOUT_WRITTEN(svg, UPQR_OK, upqr_qr_text(svg, sizeof svg, written, NULL, m, size));
	SAME_WITHOUT_WRITTEN(png, UPQR_OK, upqr_qr_render(png, sizeof png, written, NULL,
		UPQR_QR_FORMAT_PNG, NULL, pl, 5));
	static uint8_t px[65536];
	SAME_WITHOUT_WRITTEN(px, UPQR_OK, upqr_qr_pixels(px, sizeof px, written, NULL, m, size));
}

static void test_written_optional_sign(void **state)
{
	(void)state;
	const upqr_acp_field f[2] = { { "a", 1, "1", 1 }, { "b", 1, "x y", 3 } };
	const upqr_acp_field acc = { "accNo", 5, "6222021234567890123", 19 };
	char out[256];
	SAME_WITHOUT_WRITTEN(out, UPQR_OK, upqr_acp_form_encode(out, sizeof out, written, f, 2));
	SAME_WITHOUT_WRITTEN(out, UPQR_OK, upqr_acp_string_to_sign(out, sizeof out, written, f, 2));
	SAME_WITHOUT_WRITTEN(out, UPQR_OK, upqr_acp_mask_pan(out, sizeof out, written, acc.value, acc.value_len));
	SAME_WITHOUT_WRITTEN(out, UPQR_OK, upqr_acp_mask_field(out, sizeof out, written, &acc));
	upqr_signer *s = secure_signer();
	SAME_WITHOUT_WRITTEN(out, UPQR_OK, upqr_signer_sign(out, sizeof out, written, s, f, 2));
	SAME_WITHOUT_WRITTEN(out, UPQR_OK, upqr_signer_build_request(out, sizeof out, written, s, f, 2));
	/* No encryption certificate or merchant key: the refusal, not EINVAL. */
	SAME_WITHOUT_WRITTEN(out, UPQR_ECERT_UNKNOWN, upqr_signer_encrypt(out, sizeof out, written, s,
		(const uint8_t *)"1", 1));
	SAME_WITHOUT_WRITTEN(out, UPQR_EKEY, upqr_signer_decrypt((uint8_t *)out, sizeof out, written, s,
		"AAAA", 4));
	upqr_signer_free(s);
}

static void test_count_required(void **state)
{
	(void)state;
	upqr_bertlv_node nodes[4];
	static const uint8_t tlv[] = { 0x5A, 0x01, 0x00 };
	assert_int_equal(upqr_bertlv_parse(nodes, 4, NULL, NULL, tlv, sizeof tlv, NULL), UPQR_EINVAL);
	upqr_acp_field f[4];
	char scratch[16];
	assert_int_equal(upqr_acp_parse_response(f, 4, NULL, "a=1", 3, NULL), UPQR_EINVAL);
	assert_int_equal(upqr_acp_parse_form(f, 4, NULL, scratch, sizeof scratch, "a=1", 3, NULL),
		UPQR_EINVAL);
	upqr_scanner *sc = NULL;
	assert_int_equal(upqr_scanner_new(&sc, NULL), UPQR_OK);
	static const uint8_t grey[64] = { 0 };
	assert_int_equal(upqr_scan_grey(NULL, sc, grey, sizeof grey, 8, 8, 8), UPQR_EINVAL);
	assert_int_equal(upqr_scan_image(NULL, sc, grey, sizeof grey), UPQR_EINVAL);
	upqr_scanner_free(sc);
}

/* ---- versions ------------------------------------------------------------ */

#define BAD_VERSION 99u

static void test_init_functions_refuse_unknown_versions(void **state)
{
	(void)state;
	union {
		upqr_qr_options qr;
		upqr_bertlv_options tlv;
		upqr_cpm_options cpm;
		upqr_cpm_profile prof;
		upqr_cpm_txn txn;
		upqr_mpm_fields_in in;
		upqr_scan_options scan;
		upqr_signer_options signer;
		upqr_verifier_options verifier;
		upqr_replay_options replay;
	} u;
	assert_int_equal(upqr_qr_options_init(&u.qr, BAD_VERSION), UPQR_EVERSION);
	assert_int_equal(upqr_bertlv_options_init(&u.tlv, BAD_VERSION), UPQR_EVERSION);
	assert_int_equal(upqr_cpm_options_init(&u.cpm, BAD_VERSION), UPQR_EVERSION);
	assert_int_equal(upqr_cpm_profile_init(&u.prof, BAD_VERSION), UPQR_EVERSION);
	assert_int_equal(upqr_cpm_txn_init(&u.txn, BAD_VERSION), UPQR_EVERSION);
	assert_int_equal(upqr_mpm_fields_in_init(&u.in, BAD_VERSION), UPQR_EVERSION);
	assert_int_equal(upqr_scan_options_init(&u.scan, BAD_VERSION), UPQR_EVERSION);
	assert_int_equal(upqr_signer_options_init(&u.signer, BAD_VERSION), UPQR_EVERSION);
	assert_int_equal(upqr_verifier_options_init(&u.verifier, BAD_VERSION), UPQR_EVERSION);
	assert_int_equal(upqr_replay_options_init(&u.replay, BAD_VERSION), UPQR_EVERSION);
	/* And 0, the version of a struct nobody initialised. */
	assert_int_equal(upqr_qr_options_init(&u.qr, 0), UPQR_EVERSION);
	assert_int_equal(upqr_signer_options_init(&u.signer, 0), UPQR_EVERSION);
}

static void test_calls_refuse_unknown_struct_versions(void **state)
{
	(void)state;
	size_t n;
	uint8_t m[UPQR_QR_MODULES_MAX];
	upqr_qr_options qo = UPQR_QR_OPTIONS_INIT;
	qo.version = BAD_VERSION;
	assert_int_equal(upqr_qr_encode(m, sizeof m, &n, NULL, &qo, (const uint8_t *)"x", 1), UPQR_EVERSION);

	upqr_bertlv_node nodes[4];
	upqr_bertlv_options to = UPQR_BERTLV_OPTIONS_INIT;
	to.version = BAD_VERSION;
	static const uint8_t tlv[] = { 0x5A, 0x01, 0x00 };
	assert_int_equal(upqr_bertlv_parse(nodes, 4, &n, &to, tlv, sizeof tlv, NULL), UPQR_EVERSION);

	static upqr_cpm c;
	upqr_cpm_options co = UPQR_CPM_OPTIONS_INIT;
	co.version = BAD_VERSION;
	assert_int_equal(upqr_cpm_decode(&c, &co, "hQVDUFYwMQ==", 12, NULL), UPQR_EVERSION);

	/* The MPM profile: every call that takes one. */
	upqr_mpm_profile bad = *upqr_mpm_profile_emvco();
	bad.version = BAD_VERSION;
	static upqr_mpm_payload p;
	char out[512];
	assert_int_equal(upqr_mpm_decode(&p, &bad, MPM, strlen(MPM), NULL), UPQR_EVERSION);
	upqr_mpm_fields_in in = UPQR_MPM_FIELDS_IN_INIT;
	assert_int_equal(upqr_mpm_encode(out, sizeof out, &n, &bad, &in, NULL), UPQR_EVERSION);
	assert_int_equal(upqr_mpm_set_amount(out, sizeof out, &n, &bad, MPM, strlen(MPM), 1, NULL),
		UPQR_EVERSION);
	upqr_scan_symbol sym;
	upqr_diag d[4];
	assert_int_equal(upqr_scan_classify(&sym, d, 4, &bad, (const uint8_t *)MPM, strlen(MPM)),
		UPQR_EVERSION);
	upqr_scan_options so = UPQR_SCAN_OPTIONS_INIT;
	so.mpm_profile = &bad;
	upqr_scanner *sc = NULL;
	assert_int_equal(upqr_scanner_new(&sc, &so), UPQR_EVERSION);
	assert_null(sc);
	so = (upqr_scan_options)UPQR_SCAN_OPTIONS_INIT;
	so.version = BAD_VERSION;
	assert_int_equal(upqr_scanner_new(&sc, &so), UPQR_EVERSION);

	/* fields_in, and the CPM profile and transaction. */
	in.version = BAD_VERSION;
	assert_int_equal(upqr_mpm_encode(out, sizeof out, &n, NULL, &in, NULL), UPQR_EVERSION);
	upqr_emv_key *mk = key_hex(UPQR_EMV_KEY_TDES, MK_HEX);
	char text[UPQR_CPM_GENERATED_MAX + 1];
	make_cpm(&c, mk, text, sizeof text);
	upqr_cpm_profile pr;
	upqr_cpm_txn t;
	profile_txn(&pr, &t);
	uint16_t atc = 5;
	pr.version = BAD_VERSION;
	assert_int_equal(upqr_cpm_generate(text, sizeof text, &n, &atc, mk, &pr, &t), UPQR_EVERSION);
	assert_int_equal(upqr_cpm_verify_token(NULL, mk, UPQR_CPM_KEY_ICC_MK, &pr, &c, NULL), UPQR_EVERSION);
	pr.version = UPQR_CPM_PROFILE_VERSION;
	t.version = BAD_VERSION;
	assert_int_equal(upqr_cpm_generate(text, sizeof text, &n, &atc, mk, &pr, &t), UPQR_EVERSION);
	assert_int_equal(atc, 5);
	upqr_emv_key_free(mk);

	/* Handle options. */
	upqr_signer_options sgo = UPQR_SIGNER_OPTIONS_INIT;
	sgo.version = BAD_VERSION;
	upqr_signer *s = NULL;
	assert_int_equal(upqr_signer_new(&s, &sgo), UPQR_EVERSION);
	upqr_verifier_options vo = UPQR_VERIFIER_OPTIONS_INIT;
	vo.version = BAD_VERSION;
	vo.secure_key = SECRET;
	vo.secure_key_len = 4;
	upqr_verifier *v = NULL;
	assert_int_equal(upqr_verifier_new(&v, &vo), UPQR_EVERSION);
	upqr_replay_options ro = UPQR_REPLAY_OPTIONS_INIT;
	ro.version = BAD_VERSION;
	ro.path = "/nonexistent/never-created.db";
	upqr_replay_db *db = NULL;
	assert_int_equal(upqr_replay_db_open(&db, &ro, NULL, 0), UPQR_EVERSION);
	assert_null(db);
}

/* ---- handles ------------------------------------------------------------- */

/*
 * Every entry point of a signer, given a pointer that is not a live
 * signer: UPQR_EINVAL or an empty answer, and nothing read past the magic.
 */
static void refuse_signer(upqr_signer *s)
{
	const upqr_acp_field f = { "a", 1, "1", 1 };
	char out[64];
	size_t n;
	assert_int_equal(upqr_signer_sign(out, sizeof out, &n, s, &f, 1), UPQR_EINVAL);
	assert_int_equal(upqr_signer_build_request(out, sizeof out, &n, s, &f, 1), UPQR_EINVAL);
	assert_int_equal(upqr_signer_encrypt(out, sizeof out, &n, s, (const uint8_t *)"1", 1), UPQR_EINVAL);
	assert_int_equal(upqr_signer_decrypt((uint8_t *)out, sizeof out, &n, s, "AAAA", 4), UPQR_EINVAL);
	assert_string_equal(upqr_signer_last_error(s), "");
	assert_string_equal(upqr_signer_cert_id(s), "");
	assert_string_equal(upqr_signer_encrypt_cert_id(s), "");
	assert_int_equal(upqr_signer_warnings(s), 0);
	upqr_signer_free(s); /* ignored */
}

static void refuse_verifier(upqr_verifier *v)
{
	const upqr_acp_field f = { "signature", 9, "00", 2 };
	assert_int_equal(upqr_verifier_verify(v, &f, 1, UPQR_VERIFY_NOW), UPQR_EINVAL);
	assert_int_equal(upqr_verifier_check_cert(v, "x", 1, UPQR_VERIFY_NOW), UPQR_EINVAL);
	assert_int_equal(upqr_verifier_verify_request(v, &f, 1, UPQR_VERIFY_NOW), UPQR_EINVAL);
	char id[64];
	size_t n;
	assert_int_equal(upqr_verifier_add_cert(id, sizeof id, &n, v, "x", 1), UPQR_EINVAL);
	assert_string_equal(upqr_verifier_last_error(v), "");
	assert_int_equal(upqr_verifier_cache_count(v), 0);
	upqr_verifier_free(v);
}

static void refuse_scanner(upqr_scanner *sc)
{
	static const uint8_t grey[64] = { 0 };
	size_t n = 7;
	assert_int_equal(upqr_scan_grey(&n, sc, grey, sizeof grey, 8, 8, 8), UPQR_EINVAL);
	assert_int_equal(n, 0);
	assert_int_equal(upqr_scan_nv21(&n, sc, grey, sizeof grey, 8, 4, 8), UPQR_EINVAL);
	assert_int_equal(upqr_scan_bgra(&n, sc, grey, sizeof grey, 4, 4, 16), UPQR_EINVAL);
	assert_int_equal(upqr_scan_image(&n, sc, grey, sizeof grey), UPQR_EINVAL);
	assert_int_equal(upqr_scan_file(&n, sc, "/nonexistent.png"), UPQR_EINVAL);
	assert_null(upqr_scanner_symbol(sc, 0));
	assert_int_equal(upqr_scanner_reset(sc), UPQR_EINVAL);
	assert_string_equal(upqr_scanner_last_error(sc), "");
	upqr_scanner_free(sc);
}

static void refuse_key(upqr_emv_key *k, upqr_cpm *c)
{
	uint8_t out[16];
	size_t n;
	static const uint8_t r[8] = { 0 }, arc[2] = { 0x30, 0x30 };
	assert_int_equal(upqr_emv_key_kcv(out, k), UPQR_EINVAL);
	assert_int_equal(upqr_emv_derive_icc_mk(out, k, "6250947000000014", 16, 0, UPQR_EMV_MK_OPTION_A),
		UPQR_EINVAL);
	assert_int_equal(upqr_emv_derive_session_key(out, k, r, 8), UPQR_EINVAL);
	assert_int_equal(upqr_emv_arpc_method1(out, k, r, arc), UPQR_EINVAL);
	assert_int_equal(upqr_emv_derive_cvn_session_key(out, k, UPQR_CPM_CVN_TDES, arc, r), UPQR_EINVAL);
	assert_int_equal(upqr_emv_arqc(out, k, UPQR_CPM_CVN_TDES, arc, r, r, 8), UPQR_EINVAL);
	assert_int_equal(upqr_emv_arqc_imk(out, k, "6250947000000014", 16, 0, UPQR_CPM_CVN_TDES, arc, r, r, 8),
		UPQR_EINVAL);
	assert_int_equal(upqr_emv_key_get_type(k), 0);
	assert_string_not_equal(upqr_emv_key_last_error(k), ""); /* says the handle is bad */
	assert_int_equal(upqr_cpm_verify(NULL, k, UPQR_CPM_KEY_ICC_MK, c), UPQR_EINVAL);
	assert_int_equal(upqr_cpm_arpc(out, &n, k, UPQR_CPM_KEY_ICC_MK, c, 1, arc, NULL, 0), UPQR_EINVAL);
	upqr_cpm_profile p;
	upqr_cpm_txn t;
	profile_txn(&p, &t);
	uint16_t atc = 0;
	char text[UPQR_CPM_GENERATED_MAX + 1];
	assert_int_equal(upqr_cpm_generate(text, sizeof text, &n, &atc, k, &p, &t), UPQR_EINVAL);
	assert_int_equal(atc, 0);
	assert_int_equal(upqr_cpm_verify_token(NULL, k, UPQR_CPM_KEY_ICC_MK, &p, c, NULL), UPQR_EINVAL);
	upqr_emv_key_free(k);
}

static void refuse_doc(upqr_cpm_profile_doc *d)
{
	upqr_emv_key *k = (upqr_emv_key *)ZERO;
	assert_null(upqr_cpm_profile_doc_profile(d));
	assert_false(upqr_cpm_profile_doc_has_key(d));
	assert_int_equal(upqr_cpm_profile_doc_key(&k, d), UPQR_EINVAL);
	assert_null(k);
	upqr_cpm_profile_doc_free(d);
}

static void refuse_replay(upqr_replay_db *db, const upqr_cpm *c)
{
	static const uint8_t key[16] = { 1 };
	assert_int_equal(upqr_replay_db_check_and_record(db, c), UPQR_EINVAL);
	assert_int_equal(upqr_replay_db_check_and_record_key(db, key, 1), UPQR_EINVAL);
	assert_string_equal(upqr_replay_db_last_error(db), "");
	upqr_replay_db_free(db);
}

static void refuse_everything(void *h, upqr_cpm *c)
{
	refuse_signer(h);
	refuse_verifier(h);
	refuse_scanner(h);
	refuse_key(h, c);
	refuse_doc(h);
	refuse_replay(h, c);
	upqr_mpm_fields_store_free(h); /* ignored */
}

static void test_zeroed_memory_is_no_handle(void **state)
{
	(void)state;
	static upqr_cpm c;
	upqr_emv_key *mk = key_hex(UPQR_EMV_KEY_TDES, MK_HEX);
	char text[UPQR_CPM_GENERATED_MAX + 1];
	make_cpm(&c, mk, text, sizeof text);
	upqr_emv_key_free(mk);
	refuse_everything(ZERO, &c);
	refuse_everything(NULL, &c);
	for (size_t i = 0; i < sizeof ZERO; i++)
		assert_int_equal(ZERO[i], 0); /* nothing wrote into it */
}

/* Each live handle passed where another kind is expected; afterwards it still works. */
static void test_wrong_kind_of_handle(void **state)
{
	(void)state;
	static upqr_cpm c;
	upqr_emv_key *mk = key_hex(UPQR_EMV_KEY_TDES, MK_HEX);
	char text[UPQR_CPM_GENERATED_MAX + 1];
	make_cpm(&c, mk, text, sizeof text);

	upqr_signer *s = secure_signer();
	upqr_verifier *v = secure_verifier();
	upqr_scanner *sc = NULL;
	assert_int_equal(upqr_scanner_new(&sc, NULL), UPQR_OK);
	static const char json[] = "{\"aid\":\"A000000333010101\",\"pan\":\"6250947000000014\","
		"\"expiry\":\"3012\",\"mk\":\"" MK_HEX "\"}";
	upqr_cpm_profile_doc *doc = NULL;
	assert_int_equal(upqr_cpm_profile_parse(&doc, json, strlen(json), NULL), UPQR_OK);
	static upqr_mpm_payload p;
	assert_int_equal(upqr_mpm_decode(&p, NULL, MPM, strlen(MPM), NULL), UPQR_OK);
	upqr_mpm_fields_in in;
	upqr_mpm_fields_store *store = NULL;
	assert_int_equal(upqr_mpm_fields_in_from_payload(&in, &store, &p), UPQR_OK);
	char path[] = "/tmp/upqr-contract-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	upqr_replay_options ro = UPQR_REPLAY_OPTIONS_INIT;
	ro.path = path;
	upqr_replay_db *db = NULL;
	assert_int_equal(upqr_replay_db_open(&db, &ro, NULL, 0), UPQR_OK);

	refuse_verifier((upqr_verifier *)s);
	refuse_scanner((upqr_scanner *)s);
	refuse_key((upqr_emv_key *)s, &c);
	refuse_doc((upqr_cpm_profile_doc *)s);
	refuse_replay((upqr_replay_db *)s, &c);
	refuse_signer((upqr_signer *)v);
	refuse_signer((upqr_signer *)sc);
	refuse_signer((upqr_signer *)mk);
	refuse_signer((upqr_signer *)doc);
	refuse_signer((upqr_signer *)store);
	refuse_signer((upqr_signer *)db);
	refuse_scanner((upqr_scanner *)mk);
	refuse_key((upqr_emv_key *)sc, &c);
	refuse_key((upqr_emv_key *)doc, &c);
	refuse_doc((upqr_cpm_profile_doc *)mk);
	refuse_replay((upqr_replay_db *)v, &c);
	upqr_mpm_fields_store_free((upqr_mpm_fields_store *)db);

	/* Every handle survived the frees aimed at it as another kind. */
	const upqr_acp_field f[2] = { { "a", 1, "1", 1 }, { "signMethod", 10, "11", 2 } };
	char sig[UPQR_ACP_SIGNATURE_MAX + 1];
	size_t n;
	assert_int_equal(upqr_signer_sign(sig, sizeof sig, &n, s, f, 2), UPQR_OK);
	assert_int_equal(upqr_verifier_cache_count(v), 0);
	uint8_t kcv[3];
	assert_int_equal(upqr_emv_key_kcv(kcv, mk), UPQR_OK);
	assert_non_null(upqr_cpm_profile_doc_profile(doc));
	assert_int_equal(upqr_replay_db_check_and_record(db, &c), UPQR_OK);
	static const uint8_t grey[64] = { 255 };
	assert_int_equal(upqr_scan_grey(&n, sc, grey, sizeof grey, 8, 8, 8), UPQR_ENOSYMBOL);
	assert_string_equal(in.mcc, "4111");

	upqr_replay_db_free(db);
	unlink(path);
	char aux[sizeof path + 8];
	snprintf(aux, sizeof aux, "%s-wal", path);
	unlink(aux);
	snprintf(aux, sizeof aux, "%s-shm", path);
	unlink(aux);
	upqr_mpm_fields_store_free(store);
	upqr_cpm_profile_doc_free(doc);
	upqr_scanner_free(sc);
	upqr_verifier_free(v);
	upqr_signer_free(s);
	upqr_emv_key_free(mk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_written_optional_core_mpm),
		cmocka_unit_test(test_written_optional_cpm),
		cmocka_unit_test(test_written_optional_qr),
		cmocka_unit_test(test_written_optional_sign),
		cmocka_unit_test(test_count_required),
		cmocka_unit_test(test_init_functions_refuse_unknown_versions),
		cmocka_unit_test(test_calls_refuse_unknown_struct_versions),
		cmocka_unit_test(test_zeroed_memory_is_no_handle),
		cmocka_unit_test(test_wrong_kind_of_handle),
	};
	return cmocka_run_group_tests_name("contract", tests, NULL, NULL);
}
