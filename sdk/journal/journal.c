/*
 * journal.c - the public journal API: options, the handle, argument checks
 * and the clock. Storage is behind upqr__journal_ops (journal_sqlite.c);
 * the rules are in journal_rules.c.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "journal_internal.h"

/* txnAmt is at most 12 digits. */
#define AMOUNT_MAX 999999999999LL
#define ORDER_ID_MIN 8

size_t upqr_journal_mer_id_max(void) { return UPQR_JOURNAL_MER_ID_MAX; }
size_t upqr_journal_order_id_max(void) { return UPQR_JOURNAL_ORDER_ID_MAX; }
size_t upqr_journal_txn_time_len(void) { return UPQR_JOURNAL_TXN_TIME_LEN; }
size_t upqr_journal_resp_code_max(void) { return UPQR_JOURNAL_RESP_CODE_MAX; }
size_t upqr_journal_query_id_max(void) { return UPQR_JOURNAL_QUERY_ID_MAX; }
size_t upqr_journal_resp_msg_max(void) { return UPQR_JOURNAL_RESP_MSG_MAX; }
size_t upqr_journal_owner_max(void) { return UPQR_JOURNAL_OWNER_MAX; }
int upqr_journal_schema_version(void) { return UPQR__JOURNAL_SCHEMA; }

int upqr_journal_options_init(upqr_journal_options *opts, unsigned int version)
{
	if (!opts)
		return UPQR_EINVAL;
	if (version != UPQR_JOURNAL_OPTIONS_VERSION)
		return UPQR_EVERSION;
	upqr_journal_options def = UPQR_JOURNAL_OPTIONS_INIT;
	*opts = def;
	return UPQR_OK;
}

static int64_t realtime_ms(void *user)
{
	(void)user;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t now_ms(const upqr_journal *j)
{
	return j->clock_ms(j->clock_user);
}

static bool printable_ascii(const char *s)
{
	for (; *s; s++)
		if (*s < 0x21 || *s > 0x7e)
			return false;
	return true;
}

/*
 * "<host>:<pid>:<handle address><ms>" - unique among live handles: the
 * address differs within a process, the pid within a host; the time keeps
 * names from repeating after a restart.
 */
static void default_owner(upqr_journal *j)
{
	char host[32] = "host";
	if (gethostname(host, sizeof(host)) != 0 || !printable_ascii(host))
		strcpy(host, "host");
	host[sizeof(host) - 1] = '\0';
	snprintf(j->owner, sizeof(j->owner), "%s:%ld:%lx%llx", host, (long)getpid(),
			(unsigned long)(uintptr_t)j, (unsigned long long)now_ms(j));
}

static bool is_postgres(const char *location)
{
	return strncasecmp(location, "postgresql://", 13) == 0
			|| strncasecmp(location, "postgres://", 11) == 0;
}

static int check_options(const upqr_journal_options *opts, char *err, size_t err_cap)
{
	if (!opts)
		return upqr__set_open_error(err, err_cap, UPQR_EINVAL, "journal: no options");
	if (opts->version != UPQR_JOURNAL_OPTIONS_VERSION)
		return upqr__set_open_error(err, err_cap, UPQR_EVERSION,
				"journal: unknown options version");
	if (!opts->location || !opts->location[0])
		return upqr__set_open_error(err, err_cap, UPQR_EINVAL, "journal: no location given");
	if (opts->lease_ms <= 0)
		return upqr__set_open_error(err, err_cap, UPQR_EINVAL, "journal: lease_ms must be > 0");
	if (opts->owner && (!opts->owner[0] || strlen(opts->owner) > UPQR_JOURNAL_OWNER_MAX
			|| !printable_ascii(opts->owner)))
		return upqr__set_open_error(err, err_cap, UPQR_EINVAL,
				"journal: owner must be 1..63 printable ASCII characters");
	return UPQR_OK;
}

int upqr_journal_open(upqr_journal **out, const upqr_journal_options *opts,
		char *err, size_t err_cap)
{
	if (err && err_cap)
		err[0] = '\0';
	if (!out)
		return upqr__set_open_error(err, err_cap, UPQR_EINVAL, "journal: out is NULL");
	*out = NULL;
	int rc = check_options(opts, err, err_cap);
	if (rc != UPQR_OK)
		return rc;
	upqr_journal *j = upqr__calloc(1, sizeof(*j));
	if (!j)
		return upqr__set_open_error(err, err_cap, UPQR_ENOMEM, "journal: out of memory");
	j->magic = UPQR__JOURNAL_MAGIC;
	/* A connection URI selects PostgreSQL; anything else is a file path for SQLite. */
	j->ops = is_postgres(opts->location) ? &upqr__journal_pg_ops : &upqr__journal_sqlite_ops;
	j->lease_ms = opts->lease_ms;
	j->busy_timeout_ms = opts->busy_timeout_ms;
	j->clock_ms = opts->clock_ms ? opts->clock_ms : realtime_ms;
	j->clock_user = opts->clock_user;
	if (opts->owner)
		upqr__journal_copy_text(j->owner, sizeof(j->owner), opts->owner);
	else
		default_owner(j);
	rc = j->ops->open(j, opts->location, opts->create != 0);
	if (rc != UPQR_OK) {
		upqr__set_open_error(err, err_cap, rc, j->err);
		upqr_journal_free(j);
		return rc;
	}
	*out = j;
	return UPQR_OK;
}

void upqr_journal_free(upqr_journal *j)
{
	if (!j || j->magic != UPQR__JOURNAL_MAGIC)
		return;
	j->ops->close(j);
	j->magic = 0;
	upqr__free(j);
}

static bool valid(const upqr_journal *j)
{
	return j && j->magic == UPQR__JOURNAL_MAGIC;
}

const char *upqr_journal_last_error(const upqr_journal *j)
{
	return valid(j) ? j->err : "invalid journal handle";
}

const char *upqr_journal_owner(const upqr_journal *j)
{
	return valid(j) ? j->owner : "";
}

const char *upqr_journal_backend(const upqr_journal *j)
{
	return valid(j) ? j->ops->name : "";
}

/* ---- argument checks ----------------------------------------------------- */

/* Length of a NUL-terminated char[cap] field, or cap when it has no NUL. */
#define FIELD_LEN(f) strnlen((f), sizeof(f))

static bool all_alnum(const char *s)
{
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')))
			return false;
	return true;
}

static bool all_digits(const char *s)
{
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* Checks a text field: terminated, min..max characters of alnum (or digits). */
static int check_text(upqr_journal *j, const char *name, const char *s, size_t cap,
		size_t min, size_t max, bool digits)
{
	size_t n = strnlen(s, cap);
	if (n == cap)
		return upqr__set_error(j->err, UPQR_EINVAL, "%s is not NUL-terminated", name);
	if (n < min || n > max)
		return upqr__set_error(j->err, UPQR_EINVAL, "%s has %zu characters, not %zu..%zu",
				name, n, min, max);
	if (digits ? !all_digits(s) : !all_alnum(s))
		return upqr__set_error(j->err, UPQR_EINVAL, "%s must be %s only", name,
				digits ? "digits" : "letters and digits");
	return UPQR_OK;
}

#define CHECK_TEXT(name, f, min, max, digits) \
	do { \
		int rc_ = check_text(j, (name), (f), sizeof(f), (min), (max), (digits)); \
		if (rc_ != UPQR_OK) \
			return rc_; \
	} while (0)

/* YYYYMMDDhhmmss with plausible month, day, hour, minute and second. */
static int check_txn_time(upqr_journal *j, const char *name, const char *t)
{
	int rc = check_text(j, name, t, UPQR_JOURNAL_TXN_TIME_LEN + 1, UPQR_JOURNAL_TXN_TIME_LEN,
			UPQR_JOURNAL_TXN_TIME_LEN, true);
	if (rc != UPQR_OK)
		return rc;
	int mo = (t[4] - '0') * 10 + (t[5] - '0'), d = (t[6] - '0') * 10 + (t[7] - '0');
	int h = (t[8] - '0') * 10 + (t[9] - '0'), mi = (t[10] - '0') * 10 + (t[11] - '0');
	int s = (t[12] - '0') * 10 + (t[13] - '0');
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59)
		return upqr__set_error(j->err, UPQR_EINVAL, "%s %s is not a YYYYMMDDhhmmss time",
				name, t);
	return UPQR_OK;
}

static int check_order(upqr_journal *j, const upqr_journal_order *o)
{
	if (o->kind < UPQR_JOURNAL_APPLY_QR || o->kind > UPQR_JOURNAL_REVERSAL)
		return upqr__set_error(j->err, UPQR_EINVAL, "unknown kind %d", (int)o->kind);
	bool child = o->kind >= UPQR_JOURNAL_VOID;
	bool reversal = o->kind == UPQR_JOURNAL_REVERSAL;
	CHECK_TEXT("merId", o->mer_id, 1, UPQR_JOURNAL_MER_ID_MAX, false);
	if (reversal) {
		/* Copied from the original: anything given here would be ignored, so refuse it. */
		if (FIELD_LEN(o->order_id) != 0 || FIELD_LEN(o->txn_time) != 0)
			return upqr__set_error(j->err, UPQR_EINVAL,
					"a reversal takes the original's orderId and txnTime: leave them empty");
	} else {
		CHECK_TEXT("orderId", o->order_id, ORDER_ID_MIN, UPQR_JOURNAL_ORDER_ID_MAX, false);
		int rc = check_txn_time(j, "txnTime", o->txn_time);
		if (rc != UPQR_OK)
			return rc;
	}
	if (child)
		CHECK_TEXT("origOrderId", o->orig_order_id, ORDER_ID_MIN, UPQR_JOURNAL_ORDER_ID_MAX, false);
	else if (FIELD_LEN(o->orig_order_id) != 0)
		return upqr__set_error(j->err, UPQR_EINVAL, "origOrderId is only for a void, refund "
				"or reversal");
	CHECK_TEXT("currency", o->currency, 0, 3, true);
	if (FIELD_LEN(o->currency) != 0 && FIELD_LEN(o->currency) != 3)
		return upqr__set_error(j->err, UPQR_EINVAL, "currency must be 3 digits (ISO 4217)");
	int64_t min = o->kind == UPQR_JOURNAL_APPLY_QR || reversal ? 0 : 1;
	if (!reversal && (o->amount < min || o->amount > AMOUNT_MAX))
		return upqr__set_error(j->err, UPQR_EINVAL, "amount %lld is not in %lld..%lld",
				(long long)o->amount, (long long)min, AMOUNT_MAX);
	return UPQR_OK;
}

static int check_resp_code(upqr_journal *j, const char *name, const char *code)
{
	int rc = check_text(j, name, code, UPQR_JOURNAL_RESP_CODE_MAX + 1, 0,
			UPQR_JOURNAL_RESP_CODE_MAX, false);
	if (rc == UPQR_OK && code[0] && strlen(code) != UPQR_JOURNAL_RESP_CODE_MAX)
		rc = upqr__set_error(j->err, UPQR_EINVAL, "%s must be 2 characters", name);
	return rc;
}

/* The fields that updates and notifications share. */
static int check_answer(upqr_journal *j, const char *resp_code, const char *orig_resp_code,
		const char *resp_msg, const char *query_id, size_t query_id_min, int64_t amount)
{
	int rc = check_resp_code(j, "respCode", resp_code);
	if (rc == UPQR_OK)
		rc = check_resp_code(j, "origRespCode", orig_resp_code);
	size_t msg_len = strnlen(resp_msg, UPQR_JOURNAL_RESP_MSG_MAX + 1), bad = 0, chars;
	if (rc == UPQR_OK && msg_len > UPQR_JOURNAL_RESP_MSG_MAX)
		rc = upqr__set_error(j->err, UPQR_EINVAL, "respMsg is not NUL-terminated");
	else if (rc == UPQR_OK && !upqr__utf8_count((const uint8_t *)resp_msg, msg_len, &chars, &bad))
		rc = upqr__set_error(j->err, UPQR_EINVAL, "respMsg is not UTF-8 (byte %zu)", bad);
	if (rc == UPQR_OK)
		rc = check_text(j, "queryId", query_id, UPQR_JOURNAL_QUERY_ID_MAX + 1, query_id_min,
				UPQR_JOURNAL_QUERY_ID_MAX, false);
	if (rc == UPQR_OK && (amount < 0 || amount > AMOUNT_MAX))
		rc = upqr__set_error(j->err, UPQR_EINVAL, "amount %lld is not in 0..%lld",
				(long long)amount, AMOUNT_MAX);
	return rc;
}

static int check_update(upqr_journal *j, const upqr_journal_update *u)
{
	if (!u)
		return UPQR_OK;
	return check_answer(j, u->resp_code, u->orig_resp_code, u->resp_msg, u->query_id, 0, u->amount);
}

/* ---- operations ------------------------------------------------------------ */

/* Checks the handle and clears its error; evaluates to the failing status. */
#define ENTER(j) \
	do { \
		if (!valid(j)) \
			return UPQR_EINVAL; \
		(j)->err[0] = '\0'; \
	} while (0)

int upqr_journal_begin(upqr_journal_record *out, upqr_journal *j, const upqr_journal_order *order)
{
	ENTER(j);
	if (!out || !order)
		return upqr__set_error(j->err, UPQR_EINVAL, "begin: out and order are required");
	int rc = check_order(j, order);
	if (rc != UPQR_OK)
		return rc;
	return upqr__journal_flow_begin(j, order, now_ms(j), out);
}

static int update(upqr_journal_record *out, upqr_journal *j, int64_t id, upqr_journal_state to,
		const upqr_journal_update *u)
{
	if (id <= 0)
		return upqr__set_error(j->err, UPQR_EINVAL, "record id %lld is not valid", (long long)id);
	int rc = check_update(j, u);
	if (rc != UPQR_OK)
		return rc;
	upqr_journal_record tmp;
	return upqr__journal_flow_update(j, id, to, u, now_ms(j), out ? out : &tmp);
}

int upqr_journal_transition(upqr_journal_record *out, upqr_journal *j, int64_t id,
		upqr_journal_state to, const upqr_journal_update *u)
{
	ENTER(j);
	if (to < UPQR_JOURNAL_PENDING || to > UPQR_JOURNAL_REFUNDED)
		return upqr__set_error(j->err, UPQR_EINVAL, "unknown state %d", (int)to);
	return update(out, j, id, to, u);
}

int upqr_journal_note_attempt(upqr_journal_record *out, upqr_journal *j, int64_t id,
		const upqr_journal_update *u)
{
	ENTER(j);
	return update(out, j, id, (upqr_journal_state)0, u);
}

int upqr_journal_get(upqr_journal_record *out, upqr_journal *j, int64_t id)
{
	ENTER(j);
	if (!out || id <= 0)
		return upqr__set_error(j->err, UPQR_EINVAL, "get: out and an id > 0 are required");
	return upqr__journal_flow_find(j, id, NULL, NULL, UPQR_JOURNAL_KIND_NONE, out);
}

int upqr_journal_find(upqr_journal_record *out, upqr_journal *j, const char *mer_id,
		const char *order_id, upqr_journal_kind kind)
{
	ENTER(j);
	if (!out || !mer_id || !order_id)
		return upqr__set_error(j->err, UPQR_EINVAL, "find: out, merId and orderId are required");
	if (kind < UPQR_JOURNAL_KIND_NONE || kind > UPQR_JOURNAL_REVERSAL)
		return upqr__set_error(j->err, UPQR_EINVAL, "unknown kind %d", (int)kind);
	if (strlen(mer_id) > UPQR_JOURNAL_MER_ID_MAX || strlen(order_id) > UPQR_JOURNAL_ORDER_ID_MAX)
		return upqr__set_error(j->err, UPQR_ENOTFOUND, "no order %.40s of merchant %.15s",
				order_id, mer_id);
	return upqr__journal_flow_find(j, 0, mer_id, order_id, kind, out);
}

static int unfinished(upqr_journal_record *out, size_t cap, size_t *count, upqr_journal *j,
		bool claim)
{
	ENTER(j);
	if (!count || (!out && cap))
		return upqr__set_error(j->err, UPQR_EINVAL, "count (and out when cap > 0) required");
	*count = 0;
	if (cap == 0)
		return UPQR_OK;
	return j->ops->unfinished(j, claim, now_ms(j), out, cap, count);
}

int upqr_journal_list_unfinished(upqr_journal_record *out, size_t cap, size_t *count,
		upqr_journal *j)
{
	return unfinished(out, cap, count, j, false);
}

int upqr_journal_claim_unfinished(upqr_journal_record *out, size_t cap, size_t *count,
		upqr_journal *j)
{
	return unfinished(out, cap, count, j, true);
}

int upqr_journal_release(upqr_journal *j, int64_t id)
{
	ENTER(j);
	if (id <= 0)
		return upqr__set_error(j->err, UPQR_EINVAL, "record id %lld is not valid", (long long)id);
	return upqr__journal_flow_release(j, id, now_ms(j));
}

int upqr_journal_book_notification(int *is_new, upqr_journal_record *out, upqr_journal *j,
		const upqr_journal_notification *n)
{
	ENTER(j);
	if (!is_new || !n)
		return upqr__set_error(j->err, UPQR_EINVAL, "book: is_new and the notification are required");
	*is_new = 0;
	if (n->outcome != UPQR_JOURNAL_SUCCESS && n->outcome != UPQR_JOURNAL_FAILED)
		return upqr__set_error(j->err, UPQR_EINVAL, "a notification's outcome is SUCCESS or FAILED");
	CHECK_TEXT("merId", n->mer_id, 1, UPQR_JOURNAL_MER_ID_MAX, false);
	CHECK_TEXT("orderId", n->order_id, ORDER_ID_MIN, UPQR_JOURNAL_ORDER_ID_MAX, false);
	if (FIELD_LEN(n->txn_time) != 0) {
		int rc = check_txn_time(j, "txnTime", n->txn_time);
		if (rc != UPQR_OK)
			return rc;
	}
	int rc = check_answer(j, n->resp_code, n->orig_resp_code, n->resp_msg, n->query_id, 1,
			n->amount);
	if (rc != UPQR_OK)
		return rc;
	upqr_journal_record tmp;
	return upqr__journal_flow_book(j, n, now_ms(j), is_new, out ? out : &tmp);
}
