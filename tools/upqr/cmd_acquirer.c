/*
 * cmd_acquirer.c - `upqr apply|pay|query|void|refund|reverse|recover|notify`:
 * the acquirer client from the command line, configured by an INI file whose
 * keys follow UnionPay's acp_sdk.properties where one maps.
 *
 * Every check that can fail locally (config keys, certificate files, the
 * PKCS#12 password, the journal) runs before any request leaves.
 * Exit codes: 0 success, 1 failed / refused, 2 usage, 3 I/O or network
 * (nothing sent), 4 outcome still unknown after the query loop.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define ACQ_USAGE \
	"upqr apply   --config FILE [--journal URL|PATH] [--amount FEN] [--order-id ID] [--json]\n" \
	"       upqr pay     --config FILE --amount FEN (--qr-no CODE | --cpm PAYLOAD) [--order-id ID] [--json]\n" \
	"       upqr query   --config FILE --order-id ID --txn-time T [--resolve] [--json]\n" \
	"       upqr void    --config FILE --amount FEN --orig-order-id ID [--orig-txn-time T] [--orig-query-id Q] [--json]\n" \
	"       upqr refund  (as void)\n" \
	"       upqr reverse --config FILE --order-id ID --txn-time T [--json]\n" \
	"       upqr recover --config FILE [--json]\n" \
	"       upqr notify  --config FILE [--url-query QS] [--json] < body\n" \
	"(every command takes --journal URL|PATH: a SQLite file or postgresql://..., replacing upqr.journal)"

/* ---- configuration ------------------------------------------------------- */

typedef struct acq_config {
	char *text;                        /* the file; values point into it */
	const char *version, *sign_method, *sign_cert, *sign_pwd, *root, *middle, *cert_dir;
	const char *encrypt_cert, *back_trans_url, *back_url, *cn_check, *remote_cert, *secure_key;
	const char *mer_id, *access_type, *acq_ins_code, *journal, *ca_file, *pin, *test_env;
	const char *connect_ms, *timeout_ms, *backoff, *divisor, *user_agent;
} acq_config;

typedef struct key_map {
	const char *key;
	size_t off;
} key_map;

#define K(name, field) { name, offsetof(acq_config, field) }
static const key_map keys[] = {
	K("acpsdk.version", version), K("acpsdk.signMethod", sign_method),
	K("acpsdk.signCert.path", sign_cert), K("acpsdk.signCert.pwd", sign_pwd),
	K("acpsdk.rootCert.path", root), K("acpsdk.middleCert.path", middle),
	K("acpsdk.validateCert.dir", cert_dir), K("acpsdk.encryptCert.path", encrypt_cert),
	K("acpsdk.backTransUrl", back_trans_url), K("acpsdk.backUrl", back_url),
	K("acpsdk.ifValidateCNName", cn_check), K("acpsdk.ifValidateRemoteCert", remote_cert),
	K("acpsdk.secureKey", secure_key),
	K("upqr.merId", mer_id), K("upqr.accessType", access_type), K("upqr.acqInsCode", acq_ins_code),
	K("upqr.journal", journal), K("upqr.caFile", ca_file), K("upqr.pinnedPublicKey", pin),
	K("upqr.testEnv", test_env), K("upqr.connectTimeoutMs", connect_ms),
	K("upqr.timeoutMs", timeout_ms), K("upqr.backoffMs", backoff), K("upqr.timeDivisor", divisor),
	K("upqr.userAgent", user_agent),
};
/* Keys of acp_sdk.properties that have no meaning for the QR back channel. */
static const char *const ignored[] = { "acpsdk.frontTransUrl", "acpsdk.appTransUrl",
	"acpsdk.cardTransUrl", "acpsdk.batchTransUrl", "acpsdk.fileTransUrl",
	"acpsdk.singleQueryUrl", "acpsdk.frontUrl", "acpsdk.signCert.type" };

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

static bool set_key(acq_config *c, const char *k, const char *v)
{
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (strcmp(keys[i].key, k) == 0) {
			*(const char **)((char *)c + keys[i].off) = v;
			return true;
		}
	for (size_t i = 0; i < sizeof ignored / sizeof ignored[0]; i++)
		if (strcmp(ignored[i], k) == 0)
			return true;
	return false;
}

/* INI: key = value lines, '#' or ';' comments, [sections] ignored. */
static int load_config(acq_config *c, const char *path)
{
	size_t len;
	memset(c, 0, sizeof *c);
	c->text = cli_read_file(path, &len);
	if (c->text == NULL)
		return CLI_IO;
	size_t line = 0;
	for (char *p = c->text, *next; p && *p; p = next) {
		line++;
		next = strchr(p, '\n');
		if (next)
			*next++ = '\0';
		char *s = trim(p);
		if (!*s || *s == '#' || *s == ';' || *s == '[')
			continue;
		char *eq = strchr(s, '=');
		if (eq == NULL) {
			fprintf(stderr, "upqr: %s:%zu: not key = value\n", path, line);
			return CLI_INVALID;
		}
		*eq = '\0';
		char *k = trim(s), *v = trim(eq + 1);
		if (!set_key(c, k, v)) {
			fprintf(stderr, "upqr: %s:%zu: unknown key '%s'\n", path, line, k);
			return CLI_INVALID;
		}
	}
	return CLI_OK;
}

static bool is_true(const char *v)
{
	return v && (!strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "yes"));
}

static bool is_false(const char *v)
{
	return v && (!strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "no"));
}

/* ---- the objects ------------------------------------------------------------ */

typedef struct acq_ctx {
	acq_config cfg;
	upqr_signer *signer;
	upqr_verifier *verifier;
	upqr_journal *journal;
	upqr_acquirer *acq;
	char base_url[512];
	bool json;
} acq_ctx;

static int lib_fail(const char *what, const char *name, int rc, const char *detail)
{
	fprintf(stderr, "upqr: %s %s: %s%s%s\n", what, name ? name : "", upqr_strerror(rc),
			detail && *detail ? ": " : "", detail ? detail : "");
	return rc == UPQR_EIO || rc == UPQR_ENOTFOUND ? CLI_IO : CLI_INVALID;
}

static int open_signer(acq_ctx *x)
{
	const acq_config *c = &x->cfg;
	upqr_signer_options o = UPQR_SIGNER_OPTIONS_INIT;
	if (c->sign_cert == NULL)
		return cli_usage(NULL, "config: acpsdk.signCert.path is required");
	if (c->version && strcmp(c->version, "5.1.0") && strcmp(c->version, "5.0.0"))
		return cli_usage(NULL, "config: acpsdk.version must be 5.1.0 or 5.0.0");
	o.acp_version = c->version && !strcmp(c->version, "5.0.0") ? UPQR_ACP_5_0_0 : UPQR_ACP_5_1_0;
	o.sign_method = c->sign_method ? (upqr_acp_sign_method)strtol(c->sign_method, NULL, 10) : UPQR_ACP_SIGN_RSA;
	o.pfx_path = c->sign_cert;
	o.password = c->sign_pwd ? c->sign_pwd : "";
	o.encrypt_cert_path = c->encrypt_cert;
	if (c->secure_key) {
		o.secure_key = (const uint8_t *)c->secure_key;
		o.secure_key_len = strlen(c->secure_key);
	}
	int rc = upqr_signer_new(&x->signer, &o);
	if (rc == UPQR_EPASSWORD)
		return lib_fail("wrong PKCS#12 password (acpsdk.signCert.pwd) for", c->sign_cert, rc, NULL);
	if (rc != UPQR_OK)
		return lib_fail("cannot load acpsdk.signCert.path / acpsdk.encryptCert.path", c->sign_cert, rc, NULL);
	return CLI_OK;
}

static int open_verifier(acq_ctx *x)
{
	const acq_config *c = &x->cfg;
	upqr_verifier_options o = UPQR_VERIFIER_OPTIONS_INIT;
	o.root_cert_path = c->root;
	o.middle_cert_path = c->middle;
	o.cert_dir = c->cert_dir;
	o.test_env = is_false(c->cn_check);
	if (c->secure_key) {
		o.secure_key = (const uint8_t *)c->secure_key;
		o.secure_key_len = strlen(c->secure_key);
	}
	int rc = upqr_verifier_new(&x->verifier, &o);
	if (rc != UPQR_OK)
		return lib_fail("cannot load acpsdk.rootCert.path / acpsdk.middleCert.path",
				c->root ? c->root : c->cert_dir, rc, NULL);
	return CLI_OK;
}

static int open_journal(acq_ctx *x)
{
	if (x->cfg.journal == NULL)
		return CLI_OK;
	upqr_journal_options o = UPQR_JOURNAL_OPTIONS_INIT;
	char err[256] = "";
	o.location = x->cfg.journal;
	int rc = upqr_journal_open(&x->journal, &o, err, sizeof err);
	if (rc != UPQR_OK) {
		/* A PostgreSQL location may carry a password: the library's text names it masked. */
		bool url = strstr(x->cfg.journal, "://") != NULL;
		lib_fail("cannot open the journal (upqr.journal)", url ? NULL : x->cfg.journal, rc, err);
		return CLI_IO;
	}
	return CLI_OK;
}

/* acpsdk.backTransUrl is the full URL of backTransReq.do; the client wants its base. */
static int base_url(acq_ctx *x)
{
	static const char suffix[] = "/gateway/api/backTransReq.do";
	const char *u = x->cfg.back_trans_url;
	size_t n = u ? strlen(u) : 0, s = sizeof suffix - 1;
	if (n <= s || strcmp(u + n - s, suffix) != 0 || n - s >= sizeof x->base_url)
		return cli_usage(NULL, "config: acpsdk.backTransUrl must end in %s", suffix);
	memcpy(x->base_url, u, n - s);
	x->base_url[n - s] = '\0';
	return CLI_OK;
}

static void parse_backoff(upqr_acquirer_options *o, const char *list)
{
	o->backoff_count = 0;
	for (const char *p = list; p && *p && o->backoff_count < UPQR_ACQ_BACKOFF_MAX;) {
		char *end;
		unsigned long v = strtoul(p, &end, 10);
		if (end == p)
			break;
		o->backoff_ms[o->backoff_count++] = (unsigned int)v;
		p = *end == ',' ? end + 1 : end;
	}
}

static int open_client(acq_ctx *x)
{
	const acq_config *c = &x->cfg;
	upqr_acquirer_options o;
	int code = base_url(x);
	if (code)
		return code;
	int st = upqr_acquirer_options_init(&o, UPQR_ACQUIRER_OPTIONS_VERSION);
	if (st != UPQR_OK) {
		fprintf(stderr, "upqr: the library refused acquirer options version %u: %s\n",
			UPQR_ACQUIRER_OPTIONS_VERSION, upqr_strerror(st));
		return cli_exit_for(st);
	}
	o.mer_id = c->mer_id;
	o.access_type = c->access_type;
	o.acq_ins_code = c->acq_ins_code;
	o.base_url = x->base_url;
	o.signer = x->signer;
	o.verifier = x->verifier;
	o.acp_version = c->version && !strcmp(c->version, "5.0.0") ? UPQR_ACP_5_0_0 : UPQR_ACP_5_1_0;
	o.sign_method = c->sign_method ? (upqr_acp_sign_method)strtol(c->sign_method, NULL, 10) : UPQR_ACP_SIGN_RSA;
	o.ca_file = c->ca_file;
	o.pinned_public_key = c->pin;
	o.test_env = is_true(c->test_env);
	o.insecure_loopback_tls = is_false(c->remote_cert);
	o.back_url = c->back_url;
	o.user_agent = c->user_agent;
	o.journal = x->journal;
	if (c->connect_ms)
		o.connect_timeout_ms = strtol(c->connect_ms, NULL, 10);
	if (c->timeout_ms)
		o.total_timeout_ms = strtol(c->timeout_ms, NULL, 10);
	if (c->backoff)
		parse_backoff(&o, c->backoff);
	if (c->divisor)
		o.time_divisor = (unsigned int)strtoul(c->divisor, NULL, 10);
	upqr_acquirer *a = NULL;
	char why[256];
	int rc = upqr_acquirer_open(&a, &o, why, sizeof why);
	if (rc != UPQR_OK) {
		/* The library names the option; the hint names the config keys behind them. */
		fprintf(stderr, "upqr: config: %s: %s (check upqr.merId, acpsdk.backTransUrl, "
				"acpsdk.backUrl, acpsdk.ifValidateRemoteCert: false is for loopback simulators "
				"only)\n", upqr_strerror(rc), why);
		return CLI_INVALID;
	}
	x->acq = a;
	return CLI_OK;
}

static void close_ctx(acq_ctx *x)
{
	upqr_acquirer_free(x->acq);
	upqr_journal_free(x->journal);
	upqr_verifier_free(x->verifier);
	upqr_signer_free(x->signer);
	if (x->cfg.text)
		upqr_memzero(x->cfg.text, strlen(x->cfg.text));
	free(x->cfg.text);
}

/* journal: --journal URL|PATH, which takes the place of the file's upqr.journal. */
static int open_ctx(acq_ctx *x, const char *config, const char *journal)
{
	int code = load_config(&x->cfg, config);
	if (!code && journal)
		x->cfg.journal = journal;
	if (!code)
		code = open_signer(x);
	if (!code)
		code = open_verifier(x);
	if (!code)
		code = open_journal(x);
	if (!code)
		code = open_client(x);
	return code;
}

/* ---- output ------------------------------------------------------------------- */

static void put(json_t *o, const char *k, const char *v)
{
	if (v && *v)
		json_object_set_new(o, k, json_string(v));
}

static json_t *result_json(const upqr_acq_result *r)
{
	json_t *o = json_object();
	json_object_set_new(o, "outcome", json_string(upqr_outcome_name(r->outcome)));
	put(o, "respCode", r->resp_code);
	put(o, "respMsg", r->resp_msg);
	put(o, "origRespCode", r->orig_resp_code);
	put(o, "orderId", r->order_id);
	put(o, "txnTime", r->txn_time);
	put(o, "queryId", r->query_id);
	put(o, "traceNo", r->trace_no);
	put(o, "settleDate", r->settle_date);
	put(o, "qrCode", r->qr_code);
	put(o, "accNo", r->acc_no_masked); /* masked: never the full card number */
	put(o, "encryptCertId", r->encrypt_cert_id);
	if (r->txn_amt >= 0)
		json_object_set_new(o, "txnAmt", json_integer(r->txn_amt));
	json_object_set_new(o, "accepted", json_boolean(r->accepted));
	json_object_set_new(o, "reversed", json_boolean(r->reversed));
	json_object_set_new(o, "queries", json_integer(r->queries));
	if (r->cause != UPQR_OK)
		json_object_set_new(o, "cause", json_string(upqr_status_name(r->cause)));
	return o;
}

static void print_text(const upqr_acq_result *r)
{
	printf("outcome: %s\n", upqr_outcome_name(r->outcome));
	const char *k[] = { "orderId", "txnTime", "respCode", "respMsg", "queryId", "qrCode", "accNo" };
	const char *v[] = { r->order_id, r->txn_time, r->resp_code, r->resp_msg, r->query_id, r->qr_code,
		r->acc_no_masked };
	for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
		if (*v[i])
			printf("%s: %s\n", k[i], v[i]);
	if (r->txn_amt >= 0)
		printf("txnAmt: %lld\n", (long long)r->txn_amt);
	if (r->reversed)
		printf("reversed: yes\n");
	if (r->cause != UPQR_OK)
		printf("cause: %s\n", upqr_status_name(r->cause));
}

static int report(acq_ctx *x, int rc, const upqr_acq_result *r)
{
	if (rc != UPQR_OK) {
		fprintf(stderr, "upqr: %s: %s\n", upqr_status_name(rc), upqr_acquirer_last_error(x->acq));
		return rc == UPQR_EINVAL ? CLI_USAGE : rc == UPQR_EIO || rc == UPQR_EBUSY ? CLI_IO : CLI_INVALID;
	}
	if (x->json)
		cli_json_print(result_json(r));
	else
		print_text(r);
	if (r->outcome == UPQR_OUTCOME_UNKNOWN) {
		fprintf(stderr, "upqr: outcome unknown: %s\n", upqr_acquirer_last_error(x->acq));
		return CLI_UNKNOWN;
	}
	if (r->outcome == UPQR_OUTCOME_FAILED && (r->cause == UPQR_ENETWORK || r->cause == UPQR_ETLS)) {
		fprintf(stderr, "upqr: not sent: %s\n", upqr_acquirer_last_error(x->acq));
		return CLI_IO;
	}
	return r->outcome == UPQR_OUTCOME_SUCCESS ? CLI_OK : CLI_INVALID;
}

/* ---- arguments ------------------------------------------------------------------ */

typedef struct acq_args {
	const char *config, *order_id, *txn_time, *qr_no, *cpm, *orig_order_id, *orig_txn_time;
	const char *orig_query_id, *url_query, *journal;
	int64_t amount;
	bool json, resolve;
} acq_args;

static bool parse_amount(const char *v, int64_t *out)
{
	char *end;
	errno = 0;
	long long a = strtoll(v, &end, 10);
	*out = a;
	return *v >= '0' && *v <= '9' && !*end && !errno && a >= 0;
}

static int parse_one(acq_args *a, const char *k, const char *v)
{
	const char **slot = !strcmp(k, "--config") ? &a->config : !strcmp(k, "--order-id") ? &a->order_id :
		!strcmp(k, "--txn-time") ? &a->txn_time : !strcmp(k, "--qr-no") ? &a->qr_no :
		!strcmp(k, "--cpm") ? &a->cpm : !strcmp(k, "--orig-order-id") ? &a->orig_order_id :
		!strcmp(k, "--orig-txn-time") ? &a->orig_txn_time :
		!strcmp(k, "--orig-query-id") ? &a->orig_query_id : !strcmp(k, "--url-query") ? &a->url_query :
		!strcmp(k, "--journal") ? &a->journal : NULL;
	if (slot) {
		*slot = v;
		return CLI_OK;
	}
	if (!strcmp(k, "--amount") && parse_amount(v, &a->amount))
		return CLI_OK;
	return cli_usage(ACQ_USAGE, "bad option or value: %s %s", k, v);
}

static int parse_args(acq_args *a, int argc, char **argv)
{
	memset(a, 0, sizeof *a);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			a->json = true;
		} else if (!strcmp(argv[i], "--resolve")) {
			a->resolve = true;
		} else if (i + 1 >= argc) {
			return cli_usage(ACQ_USAGE, "%s needs a value", argv[i]);
		} else {
			int code = parse_one(a, argv[i], argv[i + 1]);
			if (code)
				return code;
			i++;
		}
	}
	if (a->config == NULL)
		return cli_usage(ACQ_USAGE, "--config is required");
	return CLI_OK;
}

/* ---- commands --------------------------------------------------------------------- */

static int run_money(acq_ctx *x, const char *cmd, const acq_args *a, upqr_acq_result *r)
{
	if (!strcmp(cmd, "apply")) {
		upqr_apply_request q = { a->order_id, a->txn_time, a->amount, NULL, NULL };
		return upqr_acquirer_apply_qr(r, x->acq, &q);
	}
	if (!strcmp(cmd, "pay")) {
		upqr_consume_request q = { .order_id = a->order_id, .txn_time = a->txn_time,
			.txn_amt = a->amount, .qr_no = a->qr_no, .cpm_payload = a->cpm };
		return upqr_acquirer_consume(r, x->acq, &q);
	}
	upqr_undo_request u = { a->order_id, a->txn_time, a->amount, a->orig_query_id, a->orig_order_id,
		a->orig_txn_time };
	return !strcmp(cmd, "void") ? upqr_acquirer_void(r, x->acq, &u) : upqr_acquirer_refund(r, x->acq, &u);
}

static int run_ref(acq_ctx *x, const char *cmd, const acq_args *a, upqr_acq_result *r)
{
	upqr_order_ref ref = { a->order_id, a->txn_time };
	if (!strcmp(cmd, "reverse"))
		return upqr_acquirer_reverse(r, x->acq, &ref);
	return a->resolve ? upqr_acquirer_resolve(r, x->acq, &ref) : upqr_acquirer_query(r, x->acq, &ref);
}

static int run_recover(acq_ctx *x)
{
	upqr_recover_stats st;
	int rc = upqr_journal_recover(&st, x->acq);
	if (rc != UPQR_OK) {
		fprintf(stderr, "upqr: recover: %s: %s\n", upqr_status_name(rc), upqr_acquirer_last_error(x->acq));
		return rc == UPQR_EINVAL ? CLI_USAGE : CLI_IO;
	}
	if (x->json) {
		json_t *o = json_pack("{s:I,s:I,s:I,s:I,s:I}", "claimed", (json_int_t)st.claimed,
				"succeeded", (json_int_t)st.succeeded, "failed", (json_int_t)st.failed,
				"reversed", (json_int_t)st.reversed, "unknown", (json_int_t)st.unknown);
		cli_json_print(o);
	} else {
		printf("claimed: %zu\nsucceeded: %zu\nfailed: %zu\nreversed: %zu\nunknown: %zu\n",
				st.claimed, st.succeeded, st.failed, st.reversed, st.unknown);
	}
	return st.unknown ? CLI_UNKNOWN : CLI_OK;
}

static int run_notify(acq_ctx *x, const acq_args *a)
{
	size_t len;
	char *body = cli_read_file("-", &len);
	if (body == NULL)
		return CLI_IO;
	upqr_notify_result n;
	int rc = upqr_acquirer_notify(&n, x->acq, body, len, a->url_query,
			a->url_query ? strlen(a->url_query) : 0);
	free(body);
	if (x->json) {
		json_t *o = result_json(&n.result);
		json_object_set_new(o, "httpStatus", json_integer(n.http_status));
		json_object_set_new(o, "verified", json_boolean(n.verified));
		json_object_set_new(o, "duplicate", json_boolean(n.duplicate));
		cli_json_print(o);
	} else {
		printf("http status: %d\n", n.http_status);
		if (n.verified)
			print_text(&n.result);
	}
	if (rc != UPQR_OK)
		fprintf(stderr, "upqr: notify: %s: %s\n", upqr_status_name(rc), upqr_acquirer_last_error(x->acq));
	return n.http_status == 200 ? CLI_OK : n.http_status == 500 ? CLI_IO : CLI_INVALID;
}

static int check_needs(const char *cmd, const acq_args *a)
{
	bool money = !strcmp(cmd, "pay") || !strcmp(cmd, "void") || !strcmp(cmd, "refund");
	if (money && a->amount <= 0)
		return cli_usage(ACQ_USAGE, "%s needs --amount (fen, > 0)", cmd);
	if (!strcmp(cmd, "pay") && !a->qr_no == !a->cpm)
		return cli_usage(ACQ_USAGE, "pay needs one of --qr-no and --cpm");
	if ((!strcmp(cmd, "void") || !strcmp(cmd, "refund")) && !a->orig_order_id && !a->orig_query_id)
		return cli_usage(ACQ_USAGE, "%s needs --orig-order-id (or --orig-query-id)", cmd);
	if ((!strcmp(cmd, "query") || !strcmp(cmd, "reverse")) && (!a->order_id || !a->txn_time))
		return cli_usage(ACQ_USAGE, "%s needs --order-id and --txn-time", cmd);
	return CLI_OK;
}

int cli_cmd_acquirer(int argc, char **argv)
{
	const char *cmd = argv[0];
	acq_args a;
	int code = parse_args(&a, argc, argv);
	if (!code)
		code = check_needs(cmd, &a);
	if (code)
		return code;
	acq_ctx x;
	memset(&x, 0, sizeof x);
	x.json = a.json;
	code = open_ctx(&x, a.config, a.journal);
	if (!code) {
		upqr_acq_result r;
		if (!strcmp(cmd, "recover"))
			code = run_recover(&x);
		else if (!strcmp(cmd, "notify"))
			code = run_notify(&x, &a);
		else if (!strcmp(cmd, "query") || !strcmp(cmd, "reverse"))
			code = report(&x, run_ref(&x, cmd, &a, &r), &r);
		else
			code = report(&x, run_money(&x, cmd, &a, &r), &r);
	}
	close_ctx(&x);
	return code;
}
