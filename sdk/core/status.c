/* status.c - status code names and descriptions, and the library version. */
#include "core_internal.h"

struct status_text {
	int code;
	const char *name;
	const char *text;
};

/* One row per code; upqr_strerror never returns NULL, even for new codes. */
static const struct status_text status_table[] = {
	{ UPQR_OK, "UPQR_OK", "success" },
	{ UPQR_EINVAL, "UPQR_EINVAL", "invalid argument" },
	{ UPQR_ENOMEM, "UPQR_ENOMEM", "out of memory" },
	{ UPQR_EBUFSIZE, "UPQR_EBUFSIZE", "output buffer too small" },
	{ UPQR_EINVALID, "UPQR_EINVALID", "input breaks the specification (see diagnostics)" },
	{ UPQR_ECHECKSUM, "UPQR_ECHECKSUM", "checksum mismatch" },
	{ UPQR_EUNSUPPORTED, "UPQR_EUNSUPPORTED", "unsupported feature or version" },
	{ UPQR_EIO, "UPQR_EIO", "input/output error" },
	{ UPQR_ENOTFOUND, "UPQR_ENOTFOUND", "not found" },
	{ UPQR_ELIMIT, "UPQR_ELIMIT", "input exceeds a size limit" },
	{ UPQR_EVERSION, "UPQR_EVERSION", "unknown options version" },
	{ UPQR_EINTERNAL, "UPQR_EINTERNAL", "internal error" },
	{ UPQR_EENCODING, "UPQR_EENCODING", "invalid text encoding" },
	{ UPQR_ETLV, "UPQR_ETLV", "malformed TLV data" },
	{ UPQR_EBASE64, "UPQR_EBASE64", "malformed base64" },
	{ UPQR_EREPLAY, "UPQR_EREPLAY", "counter or nonce reused (replay)" },
	{ UPQR_EMISMATCH, "UPQR_EMISMATCH", "cryptogram mismatch" },
	{ UPQR_ECRYPTO, "UPQR_ECRYPTO", "cryptographic operation failed" },
	{ UPQR_EKEY, "UPQR_EKEY", "invalid key" },
	{ UPQR_ERECORD, "UPQR_ERECORD", "payload does not match the issuer's record" },
	{ UPQR_EIMAGE, "UPQR_EIMAGE", "invalid or unsupported image" },
	{ UPQR_ETOOLARGE, "UPQR_ETOOLARGE", "payload too large for a QR symbol" },
	{ UPQR_ENOSYMBOL, "UPQR_ENOSYMBOL", "no QR symbol found" },
	{ UPQR_ESIG_MISSING, "UPQR_ESIG_MISSING", "signature missing" },
	{ UPQR_ESIG_DIGEST, "UPQR_ESIG_DIGEST", "signature does not match the message" },
	{ UPQR_ECERT_UNTRUSTED, "UPQR_ECERT_UNTRUSTED", "certificate not trusted" },
	{ UPQR_ECERT_EXPIRED, "UPQR_ECERT_EXPIRED", "certificate expired" },
	{ UPQR_ECERT_NOTYET, "UPQR_ECERT_NOTYET", "certificate not yet valid" },
	{ UPQR_ECERT_CN, "UPQR_ECERT_CN", "certificate subject name not accepted" },
	{ UPQR_ECERT_UNKNOWN, "UPQR_ECERT_UNKNOWN", "no certificate for that certId" },
	{ UPQR_EPASSWORD, "UPQR_EPASSWORD", "wrong key store password" },
	{ UPQR_ECERT, "UPQR_ECERT", "certificate cannot be parsed" },
	{ UPQR_EAMBIGUOUS, "UPQR_EAMBIGUOUS", "fields are ambiguous in the string to sign" },
	{ UPQR_ECERT_PURPOSE, "UPQR_ECERT_PURPOSE", "certificate is not a signing certificate" },
	{ UPQR_ENETWORK, "UPQR_ENETWORK", "network error" },
	{ UPQR_ETLS, "UPQR_ETLS", "TLS error" },
	{ UPQR_ETIMEOUT, "UPQR_ETIMEOUT", "timed out" },
	{ UPQR_ESERVER, "UPQR_ESERVER", "server error" },
	{ UPQR_EAUTH, "UPQR_EAUTH", "authentication failed" },
	{ UPQR_ECANCELLED, "UPQR_ECANCELLED", "cancelled" },
	{ UPQR_EDUPLICATE, "UPQR_EDUPLICATE", "order already in the journal" },
	{ UPQR_ESTATE, "UPQR_ESTATE", "operation not allowed in the order's state" },
	{ UPQR_EOVERREFUND, "UPQR_EOVERREFUND", "refunds would exceed the original amount" },
	{ UPQR_ECLAIMED, "UPQR_ECLAIMED", "order claimed by another process" },
	{ UPQR_ECORRUPT, "UPQR_ECORRUPT", "journal file damaged or not a database" },
	{ UPQR_EFOREIGN, "UPQR_EFOREIGN", "database belongs to another application" },
	{ UPQR_EBUSY, "UPQR_EBUSY", "journal locked by another process (busy timeout)" },
};

static const struct status_text *status_find(int code)
{
	for (size_t i = 0; i < UPQR__ARRAY_LEN(status_table); i++)
		if (status_table[i].code == code)
			return &status_table[i];
	return NULL;
}

const char *upqr_strerror(int status)
{
	const struct status_text *s = status_find(status);
	return s ? s->text : "unknown status code";
}

const char *upqr_status_name(int status)
{
	const struct status_text *s = status_find(status);
	return s ? s->name : "UPQR_UNKNOWN";
}

const char *upqr_version(void)
{
	return UPQR_VERSION_STRING;
}

unsigned int upqr_version_num(void)
{
	return UPQR_VERSION_NUM;
}
