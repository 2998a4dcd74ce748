/*
 * acq_notify.c - asynchronous notifications, journal recovery and the
 * encryption-certificate update (95/00).
 */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "acquirer/acq_internal.h"

/* ---- notifications ------------------------------------------------------- */

static void notify_outcome(upqr_notify_result *out, upqr_acquirer *a)
{
	upqr_acq_result *r = &out->result;
	upqr__acq_fill_result(r, a);
	upqr__acq_get(a, "txnType", out->txn_type, sizeof out->txn_type);
	/* respCode 00 with a failing origRespCode is a failed payment (seen in the wild). */
	bool ok = upqr__acq_code_success(r->resp_code) &&
		(r->orig_resp_code[0] == '\0' || upqr__acq_code_success(r->orig_resp_code));
	r->outcome = ok ? UPQR_OUTCOME_SUCCESS : UPQR_OUTCOME_FAILED;
}

static bool notify_is_ours(upqr_acquirer *a)
{
	char mer[16];
	return strcmp(upqr__acq_get(a, "merId", mer, sizeof mer), a->mer_id) == 0;
}

static int book(upqr_notify_result *out, upqr_acquirer *a)
{
	const upqr_acq_result *r = &out->result;
	upqr_journal_notification n;
	memset(&n, 0, sizeof n);
	upqr__acq_copy(n.query_id, sizeof n.query_id, r->query_id);
	upqr__acq_copy(n.mer_id, sizeof n.mer_id, a->mer_id);
	upqr__acq_copy(n.order_id, sizeof n.order_id, r->order_id);
	upqr__acq_copy(n.txn_time, sizeof n.txn_time, r->txn_time);
	n.outcome = r->outcome == UPQR_OUTCOME_SUCCESS ? UPQR_JOURNAL_SUCCESS : UPQR_JOURNAL_FAILED;
	upqr__acq_copy(n.resp_code, sizeof n.resp_code, r->resp_code);
	upqr__acq_copy(n.orig_resp_code, sizeof n.orig_resp_code, r->orig_resp_code);
	upqr__acq_copy(n.resp_msg, sizeof n.resp_msg, r->resp_msg);
	n.amount = r->txn_amt > 0 ? r->txn_amt : 0;
	int is_new = 0;
	int rc = upqr_journal_book_notification(&is_new, NULL, a->journal, &n);
	if (rc != UPQR_OK) {
		out->http_status = 500; /* not booked: let UnionPay send it again */
		return upqr__acq_error(a, rc, "journal: notification for %s not booked: %s", r->order_id,
				upqr_journal_last_error(a->journal));
	}
	out->duplicate = !is_new;
	out->http_status = 200;
	return UPQR_OK;
}

int upqr_acquirer_notify(upqr_notify_result *out, upqr_acquirer *acq, const char *body, size_t len,
		const char *url_query, size_t url_query_len)
{
	if (out == NULL)
		return UPQR_EINVAL;
	memset(out, 0, sizeof *out);
	upqr__acq_result_init(&out->result);
	out->http_status = 400;
	if (!upqr__acq_ok(acq) || (body == NULL && len > 0))
		return UPQR_EINVAL;
	/* The URL's own parameters are the merchant's, not UnionPay's signed set. */
	(void)url_query;
	(void)url_query_len;
	acq->err[0] = '\0';
	acq->nfields = 0;
	if (len > UPQR_ACP_MESSAGE_MAX)
		return upqr__acq_error(acq, UPQR_ELIMIT, "notification larger than %u bytes",
				(unsigned)UPQR_ACP_MESSAGE_MAX);
	char *scratch = upqr__malloc(len + 1);
	if (scratch == NULL) {
		out->http_status = 500;
		return upqr__acq_error(acq, UPQR_ENOMEM, "out of memory");
	}
	int rc = upqr_acp_parse_form(acq->fields, UPQR_ACP_FIELDS_MAX, &acq->nfields, scratch, len + 1,
			body ? body : "", len, NULL);
	if (rc != UPQR_OK)
		upqr__acq_error(acq, rc, "notification is not a valid form body");
	if (rc == UPQR_OK && (rc = upqr_verifier_verify(acq->verifier, acq->fields, acq->nfields,
			UPQR_VERIFY_NOW)) != UPQR_OK)
		upqr__acq_error(acq, rc, "notification not verified: %s: %s", upqr_status_name(rc),
				upqr_verifier_last_error(acq->verifier));
	if (rc == UPQR_OK) {
		out->verified = 1;
		notify_outcome(out, acq);
		if (out->result.query_id[0] == '\0')
			rc = upqr__acq_error(acq, UPQR_EINVALID, "verified notification without queryId");
		else if (!notify_is_ours(acq))
			rc = upqr__acq_error(acq, UPQR_EMISMATCH, "notification for another merchant");
		else if (acq->journal == NULL || strcmp(out->txn_type, "99") == 0)
			out->http_status = 200; /* reversals are settled by their own call, not booked */
		else
			rc = book(out, acq);
	}
	acq->nfields = 0;
	upqr__free(scratch);
	return rc;
}

/* ---- recovery ------------------------------------------------------------- */

static void count(upqr_recover_stats *st, const upqr_acq_result *r)
{
	if (r->outcome == UPQR_OUTCOME_SUCCESS)
		st->succeeded++;
	else if (r->outcome == UPQR_OUTCOME_FAILED)
		st->failed++;
	else
		st->unknown++;
	if (r->reversed)
		st->reversed++;
}

static bool seen_before(const int64_t *seen, size_t n, int64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (seen[i] == id)
			return true;
	return false;
}

/* Lets other processes take the records this run could not settle. */
static void release_unsettled(upqr_acquirer *a, const int64_t *seen, size_t n)
{
	upqr_journal_record rec;
	for (size_t i = 0; i < n; i++)
		if (upqr_journal_get(&rec, a->journal, seen[i]) == UPQR_OK &&
				!upqr_journal_state_is_final(rec.state) &&
				upqr_journal_release(a->journal, seen[i]) != UPQR_OK)
			continue; /* its lease lapses by itself */
}

/*
 * Claims repeatedly: a claim returns the records this handle already owns
 * as well, so the batch grows with what was seen and the loop ends when a
 * claim brings nothing new.
 */
static int recover_loop(upqr_recover_stats *st, upqr_acquirer *a, int64_t **seen, size_t *nseen)
{
	for (;;) {
		size_t cap = *nseen + 64, n = 0, fresh = 0;
		upqr_journal_record *recs = upqr__calloc(cap, sizeof *recs);
		int64_t *grown = upqr__realloc(*seen, (*nseen + cap) * sizeof **seen);
		if (recs == NULL || grown == NULL) {
			upqr__free(recs);
			if (grown != NULL)
				*seen = grown;
			return upqr__acq_error(a, UPQR_ENOMEM, "out of memory");
		}
		*seen = grown;
		int rc = upqr_journal_claim_unfinished(recs, cap, &n, a->journal);
		if (rc != UPQR_OK) {
			upqr__free(recs);
			return upqr__acq_error(a, rc, "journal: cannot claim unfinished orders: %s",
					upqr_journal_last_error(a->journal));
		}
		for (size_t i = 0; i < n; i++) {
			if (seen_before(*seen, *nseen, recs[i].id))
				continue;
			(*seen)[(*nseen)++] = recs[i].id;
			fresh++;
			upqr_acq_result r;
			st->claimed++;
			if (upqr__acq_recover_one(&r, a, &recs[i]) != UPQR_OK)
				r.outcome = UPQR_OUTCOME_UNKNOWN; /* the journal refused: a person looks */
			count(st, &r);
		}
		upqr__free(recs);
		if (fresh == 0)
			return UPQR_OK;
	}
}

int upqr_journal_recover(upqr_recover_stats *stats, upqr_acquirer *acq)
{
	if (stats == NULL || !upqr__acq_ok(acq))
		return UPQR_EINVAL;
	memset(stats, 0, sizeof *stats);
	acq->err[0] = '\0';
	if (acq->journal == NULL)
		return upqr__acq_error(acq, UPQR_EINVAL, "recovery needs a journal in the options");
	int64_t *seen = NULL;
	size_t nseen = 0;
	acq->recovering = true;
	int rc = recover_loop(stats, acq, &seen, &nseen);
	acq->recovering = false;
	release_unsettled(acq, seen, nseen);
	upqr__free(seen);
	return rc;
}

/* ---- encryption certificate (95/00) --------------------------------------- */

/*
 * The certificate came inside a reply whose signature (by a verified UnionPay
 * signing certificate) covers it, but a signature says only who sent the
 * reply: the certificate itself must chain to root + middle, be meant for
 * encryption, name UnionPay and be valid now before card data is encrypted
 * with it. Then it replaces the signer's encryption certificate.
 */
static int cert_serial(upqr_acquirer *a, char *out, size_t cap, const char *pem, size_t len)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	BIGNUM *bn = x ? ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL) : NULL;
	char *dec = bn ? BN_bn2dec(bn) : NULL;
	int rc = dec ? UPQR_OK : upqr__acq_error(a, UPQR_ECERT, "encryptPubKeyCert is not a PEM certificate");
	if (dec)
		upqr__acq_copy(out, cap, dec);
	OPENSSL_free(dec);
	BN_free(bn);
	X509_free(x);
	BIO_free(bio);
	return rc;
}

static int take_cert(upqr_acq_result *out, char *pem, size_t cap, size_t *written, upqr_acquirer *a)
{
	const upqr_acp_field *f = upqr_acp_field_get(a->fields, a->nfields, "encryptPubKeyCert");
	if (f == NULL || f->value_len == 0)
		return upqr__acq_error(a, UPQR_ENOTFOUND, "the reply has no encryptPubKeyCert");
	int rc = upqr_verifier_check_encrypt_cert(a->verifier, f->value, f->value_len, UPQR_VERIFY_NOW);
	if (rc != UPQR_OK)
		upqr__acq_error(a, rc, "encryptPubKeyCert refused: %s: %s", upqr_status_name(rc),
				upqr_verifier_last_error(a->verifier));
	if (rc == UPQR_OK)
		rc = cert_serial(a, out->encrypt_cert_id, sizeof out->encrypt_cert_id, f->value, f->value_len);
	if (rc == UPQR_OK && (rc = upqr_signer_set_encrypt_cert(a->signer, f->value, f->value_len)) != UPQR_OK)
		upqr__acq_error(a, rc, "the signer refused the new encryption certificate: %s",
				upqr_signer_last_error(a->signer));
	if (rc != UPQR_OK) {
		out->encrypt_cert_id[0] = '\0';
		out->outcome = UPQR_OUTCOME_FAILED; /* the old certificate stays in use */
		out->cause = rc;
		return rc;
	}
	out->outcome = UPQR_OUTCOME_SUCCESS; /* the signer encrypts with it from now on */
	*written = f->value_len; /* plus the NUL */
	if (pem == NULL || cap < f->value_len + 1)
		return upqr__acq_error(a, UPQR_EBUFSIZE, "the certificate needs %zu bytes", f->value_len + 1);
	memcpy(pem, f->value, f->value_len);
	pem[f->value_len] = '\0';
	return UPQR_OK;
}

int upqr_acquirer_update_encrypt_cert(upqr_acq_result *out, char *pem, size_t cap, size_t *written,
		upqr_acquirer *acq)
{
	if (out == NULL || written == NULL || !upqr__acq_ok(acq))
		return UPQR_EINVAL;
	upqr__acq_result_init(out);
	*written = 0;
	acq->err[0] = '\0';
	int rc = upqr_acquirer_order_id(out->order_id, acq, (int64_t)time(NULL));
	if (rc != UPQR_OK)
		return rc;
	upqr_acp_txn_time(out->txn_time, (int64_t)time(NULL));
	upqr__acq_msg m = { .n = 0 };
	size_t len;
	int cause;
	upqr__acq_msg_common(&m, acq, "95", "00", "07");
	upqr__acq_msg_add(&m, "certType", "01");
	upqr__acq_msg_add(&m, "orderId", out->order_id);
	upqr__acq_msg_add(&m, "txnTime", out->txn_time);
	rc = upqr__acq_build(acq, &m, &len);
	if (rc != UPQR_OK)
		return rc;
	upqr__reply kind = upqr__acq_send(acq, "/gateway/api/backTransReq.do", len, &cause);
	if (kind == UPQR__REPLY_VERIFIED && !upqr__acq_reply_is_for(acq, out->order_id, out->txn_time, &cause))
		kind = UPQR__REPLY_NONE;
	if (kind != UPQR__REPLY_VERIFIED) {
		out->outcome = kind == UPQR__REPLY_NOT_SENT ? UPQR_OUTCOME_FAILED : UPQR_OUTCOME_UNKNOWN;
		out->cause = cause;
		return UPQR_OK;
	}
	upqr__acq_fill_result(out, acq);
	if (strcmp(out->resp_code, "00") != 0) {
		out->outcome = UPQR_OUTCOME_FAILED;
		return UPQR_OK;
	}
	return take_cert(out, pem, cap, written, acq);
}
