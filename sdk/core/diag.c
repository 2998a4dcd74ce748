/* diag.c - the caller-owned diagnostics list. */
#include <stdio.h>
#include <string.h>

#include "core_internal.h"

void upqr_diag_list_init(upqr_diag_list *list, upqr_diag *storage, size_t cap)
{
	if (!list)
		return;
	list->items = storage;
	list->capacity = storage ? cap : 0;
	upqr_diag_list_clear(list);
}

void upqr_diag_list_clear(upqr_diag_list *list)
{
	if (!list)
		return;
	list->count = 0;
	list->dropped = 0;
	list->errors = 0;
	list->warnings = 0;
}

const upqr_diag *upqr_diag_list_find(const upqr_diag_list *list, const char *code)
{
	if (!list || !code)
		return NULL;
	for (size_t i = 0; i < list->count; i++)
		if (strcmp(list->items[i].code, code) == 0)
			return &list->items[i];
	return NULL;
}

const char *upqr_severity_name(upqr_severity sev)
{
	return sev == UPQR_SEV_ERROR ? "error" : "warning";
}

void upqr__diag_add(upqr_diag_list *list, upqr_severity sev, const char *code,
		size_t offset, const char *path, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	upqr__diag_addv(list, sev, code, offset, path, fmt, ap);
	va_end(ap);
}

void upqr__diag_addv(upqr_diag_list *list, upqr_severity sev, const char *code,
		size_t offset, const char *path, const char *fmt, va_list ap)
{
	if (!list)
		return;
	if (sev == UPQR_SEV_ERROR)
		list->errors++;
	else
		list->warnings++;
	if (list->count >= list->capacity) {
		list->dropped++;
		return;
	}
	upqr_diag *d = &list->items[list->count++];
	d->code = code;
	d->severity = sev;
	d->offset = offset;
	snprintf(d->path, sizeof d->path, "%s", path ? path : "");
	vsnprintf(d->message, sizeof d->message, fmt, ap);
}

int upqr__set_errorv(char *buf, int status, const char *fmt, va_list ap)
{
	vsnprintf(buf, UPQR__ERR_MAX, fmt, ap);
	return status;
}

int upqr__set_error(char *buf, int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	upqr__set_errorv(buf, status, fmt, ap);
	va_end(ap);
	return status;
}

size_t upqr_diag_path_max(void) { return UPQR_DIAG_PATH_MAX; }
size_t upqr_diag_message_max(void) { return UPQR_DIAG_MESSAGE_MAX; }

int upqr__set_open_error(char *err, size_t err_cap, int status, const char *msg)
{
	if (err != NULL && err_cap > 0)
		snprintf(err, err_cap, "%s", msg);
	return status;
}
