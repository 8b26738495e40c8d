/* The rules of DESIGN.md "Validation" for the fields this service accepts
 * so far. Each broken rule becomes one field error; nothing is stored when
 * there is any. */
#include "ingest.h"

#include <string.h>

typedef struct ingest_check {
	eccp_arena *a;
	Eccp__V1__Status *st;
} ingest_check;

#define ck_error(ck, ...) eccp_status_field_error((ck)->a, (ck)->st, __VA_ARGS__)

#define TITLE_MAX 300
#define TEXT_MAX  (64 * 1024)
#define ID_MAX    200
#define URL_MAX   2048

/* Valid UTF-8, no control characters (newline and tab allowed in
 * multi-line text), at most max code points. Empty passes unless required. */
static void v_text(ingest_check *call, const char *field, const char *s, size_t max,
                   bool required, bool multiline)
{
	size_t len = s ? strlen(s) : 0;
	if (len == 0) {
		if (required)
			ck_error(call, field, "required", "%s is required",
			                     field);
		return;
	}
	if (!eccp_utf8_valid(s, len)) {
		ck_error(call, field, "utf8", "must be valid UTF-8");
		return;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && !(multiline && (c == '\n' || c == '\t' || c == '\r'))) ||
		    c == 0x7F) {
			ck_error(call, field, "no_control_chars",
			                     "must not contain control characters");
			return;
		}
	}
	size_t n = eccp_utf8_len(s, len);
	if (n > max)
		ck_error(call, field, "max_length",
		                     "must be at most %zu characters (got %zu)", max, n);
}

static void v_url(ingest_check *call, const char *field, const char *s, bool required)
{
	v_text(call, field, s, URL_MAX, required, false);
	if (s == NULL || s[0] == '\0')
		return;
	const char *rest = NULL;
	if (strncmp(s, "https://", 8) == 0)
		rest = s + 8;
	else if (strncmp(s, "http://", 7) == 0)
		rest = s + 7;
	if (rest == NULL || rest[0] == '\0' || rest[0] == '/' || strchr(s, ' ') != NULL)
		ck_error(call, field, "http_url",
		                     "must be an http:// or https:// URL with a host");
}

static void v_time(ingest_check *call, const char *field, const Eccp__V1__Timestamp *t,
                   bool required)
{
	if (t == NULL) {
		if (required)
			ck_error(call, field, "required", "%s is required",
			                     field);
		return;
	}
	if (t->nanos < 0 || t->nanos > 999999999)
		ck_error(call, field, "timestamp",
		                     "nanos must be 0..999999999");
	/* 0001-01-01 .. 9999-12-31, as RFC 3339 allows */
	if (t->seconds < -62135596800LL || t->seconds > 253402300799LL)
		ck_error(call, field, "timestamp",
		                     "must be between years 0001 and 9999");
}

static int v_cmp(const Eccp__V1__Timestamp *a, const Eccp__V1__Timestamp *b)
{
	if (a->seconds != b->seconds)
		return a->seconds < b->seconds ? -1 : 1;
	return (a->nanos > b->nanos) - (a->nanos < b->nanos);
}

static void validate_call(ingest_check *call, const Eccp__V1__Call *c)
{
	v_text(call, "call.externalId", c->external_id, ID_MAX, true, false);
	v_text(call, "call.title", c->title, TITLE_MAX, true, false);
	v_text(call, "call.summary", c->summary, TEXT_MAX, false, true);
	v_text(call, "call.body", c->body, TEXT_MAX, false, true);
	v_url(call, "call.url", c->url, false);
	v_text(call, "call.programme", c->programme, TITLE_MAX, false, false);
	v_time(call, "call.openingTime", c->opening_time, false);
	v_time(call, "call.deadline", c->deadline, true);
	if (c->opening_time && c->deadline && v_cmp(c->deadline, c->opening_time) < 0)
		ck_error(call, "call.deadline", "deadline_after_opening",
		                     "must not be before openingTime");
	if (c->total_budget_eur < 0)
		ck_error(call, "call.totalBudgetEur", "non_negative",
		                     "must not be negative");
	if (c->max_per_project_eur < 0)
		ck_error(call, "call.maxPerProjectEur", "non_negative",
		                     "must not be negative");
}

static void validate_event(ingest_check *call, const Eccp__V1__Event *e)
{
	v_text(call, "event.externalId", e->external_id, ID_MAX, true, false);
	v_text(call, "event.title", e->title, TITLE_MAX, true, false);
	v_text(call, "event.summary", e->summary, TEXT_MAX, false, true);
	v_text(call, "event.body", e->body, TEXT_MAX, false, true);
	v_url(call, "event.url", e->url, false);
	v_time(call, "event.startTime", e->start_time, true);
	v_time(call, "event.endTime", e->end_time, true);
	if (e->start_time && e->end_time && v_cmp(e->end_time, e->start_time) < 0)
		ck_error(call, "event.endTime", "end_after_start",
		                     "must not be before startTime");
}

void ingest_validate(eccp_arena *a, Eccp__V1__Status *st, const Eccp__V1__SubmitRequest *rq)
{
	ingest_check ck = {a, st};
	switch (rq->item_case) {
	case ECCP__V1__SUBMIT_REQUEST__ITEM_CALL:
		validate_call(&ck, rq->call);
		break;
	case ECCP__V1__SUBMIT_REQUEST__ITEM_EVENT:
		validate_event(&ck, rq->event);
		break;
	default:
		ck_error(&ck, "item", "required", "one of cluster, news, event, call is required");
	}
}
