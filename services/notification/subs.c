/* Subscriptions: who may hold them, what they may say, and their store.
 *
 * A subscription belongs to the organisation whose key created it (the
 * admin may create them for anyone, or for itself); an organisation sees,
 * pauses, resumes and deletes only its own, and another's is "not found".
 * Keys are checked by ingest, where they are kept (Whoami), on the thread
 * pool, and remembered for --key-cache-s. */
#include "notification.h"

#include "countries.h"
#include "crypto.h"
#include "log.h"
#include "text.h"

#include <string.h>

#define SUB_LIST_MAX      50  /* entries of each filter list */
#define SUB_TEXT_MAX      200 /* characters of a filter value */
#define SUB_URL_MAX       2000
#define SUB_REMINDERS_MAX 5
#define SUB_SECRET_BYTES  24
#define SUB_OWNER_MAX     64

/* ---- callers ---------------------------------------------------------------- */

bool notif_resolve(eccp_rpc_call *call)
{
	return eccp_keys_resolve(((notif *)call->svc)->keys, call);
}

/* ---- what a subscription may say ------------------------------------------------ */

static void check_texts(eccp_rpc_call *call, const char *field, char **v, size_t n)
{
	if (n > SUB_LIST_MAX) {
		eccp_rpc_field_error(call, field, "max_items", "at most %d entries",
		                     SUB_LIST_MAX);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const char *s = v[i] ? v[i] : "";
		size_t len = strlen(s);
		char f[64];
		snprintf(f, sizeof(f), "%s[%zu]", field, i);
		if (!eccp_utf8_valid(s, len))
			eccp_rpc_field_error(call, f, "utf8", "must be valid UTF-8");
		else if (eccp_text_has_control(s, len, false))
			eccp_rpc_field_error(call, f, "no_control_chars",
			                     "must not contain control characters");
		else if (eccp_utf8_len(s, len) > SUB_TEXT_MAX)
			eccp_rpc_field_error(call, f, "max_length",
			                     "at most %d characters", SUB_TEXT_MAX);
		else if (eccp_text_tokens(s, len, NULL, NULL) == 0)
			eccp_rpc_field_error(call, f, "words",
			                     "must contain a letter or digit");
	}
}

/* suggestions and no kinds: suggestions only, no content at all */
static bool suggestions_only(const Eccp__V1__SubscriptionFilter *f)
{
	return f != NULL && f->suggestions && f->n_kinds == 0;
}

static bool kinds_have_calls(const Eccp__V1__SubscriptionFilter *f)
{
	if (suggestions_only(f))
		return false;
	if (f == NULL || f->n_kinds == 0)
		return true;
	for (size_t i = 0; i < f->n_kinds; i++)
		if (f->kinds[i] == ECCP__V1__CONTENT_KIND__CONTENT_KIND_CALL)
			return true;
	return false;
}

static void check_filter(eccp_rpc_call *call, const Eccp__V1__SubscriptionFilter *f)
{
	if (f == NULL)
		return;
	if (f->n_kinds > SUB_LIST_MAX || f->n_ecosystems > SUB_LIST_MAX ||
	    f->n_countries > SUB_LIST_MAX) {
		eccp_rpc_field_error(
		    call, "subscription.filter", "max_items",
		    "kinds, ecosystems and countries: at most %d entries each",
		    SUB_LIST_MAX);
		return;
	}
	for (size_t i = 0; i < f->n_kinds; i++)
		if (!eccp_rpc_enum_ok(&eccp__v1__content_kind__descriptor, f->kinds[i]))
			eccp_rpc_field_error(call, "subscription.filter.kinds", "enum",
			                     "unknown content kind %d", f->kinds[i]);
	for (size_t i = 0; i < f->n_ecosystems; i++)
		if (!eccp_rpc_enum_ok(&eccp__v1__ecosystem__descriptor, f->ecosystems[i]))
			eccp_rpc_field_error(call, "subscription.filter.ecosystems",
			                     "enum", "unknown ecosystem %d",
			                     f->ecosystems[i]);
	for (size_t i = 0; i < f->n_countries; i++) {
		const char *c = f->countries[i] ? f->countries[i] : "";
		if (eccp_country_find(c) == NULL)
			eccp_rpc_field_error(
			    call, "subscription.filter.countries", "iso3166",
			    "'%.8s' is not an ISO 3166-1 alpha-2 code", c);
	}
	check_texts(call, "subscription.filter.technologies", f->technologies,
	            f->n_technologies);
	check_texts(call, "subscription.filter.programmes", f->programmes,
	            f->n_programmes);
	check_texts(call, "subscription.filter.keywords", f->keywords, f->n_keywords);
	/* a filter of content a subscription to suggestions only never sees
	 * would silently do nothing */
	const struct {
		const char *field;
		size_t n;
	} content[] = {
	    {"subscription.filter.ecosystems", f->n_ecosystems},
	    {"subscription.filter.technologies", f->n_technologies},
	    {"subscription.filter.countries", f->n_countries},
	    {"subscription.filter.programmes", f->n_programmes},
	    {"subscription.filter.keywords", f->n_keywords},
	};
	for (size_t i = 0; suggestions_only(f) && i < ECCP_ARRAY_LEN(content); i++)
		if (content[i].n > 0)
			eccp_rpc_field_error(call, content[i].field, "content_only",
			                     "filters content, and a subscription to "
			                     "suggestions only gets none: add kinds");
	if (f->min_budget_eur < 0)
		eccp_rpc_field_error(call, "subscription.filter.minBudgetEur",
		                     "non_negative", "must not be negative");
	else if (f->min_budget_eur > 0 && !kinds_have_calls(f))
		eccp_rpc_field_error(call, "subscription.filter.minBudgetEur",
		                     "calls_only",
		                     "only calls have budgets: add calls to the kinds");
}

static bool secret_ok(const char *s)
{
	size_t n = strlen(s);
	if (n < 6 + 32 || n > 6 + 200 || strncmp(s, "whsec_", 6) != 0)
		return false;
	for (size_t i = 6; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '='))
			return false;
	}
	return true;
}

static void check_subscription(eccp_rpc_call *call, const Eccp__V1__Subscription *s)
{
	check_filter(call, s->filter);
	switch (s->channel_case) {
	case ECCP__V1__SUBSCRIPTION__CHANNEL_LIVE:
		break;
	case ECCP__V1__SUBSCRIPTION__CHANNEL_WEBHOOK: {
		const char *url = s->webhook->url ? s->webhook->url : "";
		if (strlen(url) > SUB_URL_MAX || !eccp_url_ok(url))
			eccp_rpc_field_error(
			    call, "subscription.webhook.url", "url",
			    "must be an http:// or https:// URL with a host");
		const char *sec = s->webhook->secret ? s->webhook->secret : "";
		if (sec[0] != '\0' && !secret_ok(sec))
			eccp_rpc_field_error(call, "subscription.webhook.secret",
			                     "format",
			                     "must be \"whsec_\" and at least 32 base64 "
			                     "characters, or empty to have one made");
		break;
	}
	default:
		eccp_rpc_field_error(call, "subscription.channel", "required",
		                     "a channel is required: live or webhook");
	}
	if (s->n_reminder_days > SUB_REMINDERS_MAX)
		eccp_rpc_field_error(call, "subscription.reminderDays", "max_items",
		                     "at most %d reminders", SUB_REMINDERS_MAX);
	for (size_t i = 0; i < s->n_reminder_days && i < SUB_REMINDERS_MAX; i++) {
		if (s->reminder_days[i] < 1 || s->reminder_days[i] > 365)
			eccp_rpc_field_error(call, "subscription.reminderDays", "range",
			                     "each between 1 and 365 days (got %u)",
			                     s->reminder_days[i]);
		for (size_t j = 0; j < i; j++)
			if (s->reminder_days[j] == s->reminder_days[i])
				eccp_rpc_field_error(call, "subscription.reminderDays",
				                     "unique", "%u days given twice",
				                     s->reminder_days[i]);
	}
	if (s->n_reminder_days > 0 && !kinds_have_calls(s->filter))
		eccp_rpc_field_error(
		    call, "subscription.reminderDays", "calls_only",
		    "reminders are for calls' deadlines: add calls to the kinds");
	const char *owner = s->owner ? s->owner : "";
	if (strlen(owner) > SUB_OWNER_MAX)
		eccp_rpc_field_error(call, "subscription.owner", "max_length",
		                     "at most %d characters", SUB_OWNER_MAX);
}

/* ---- the store ---------------------------------------------------------------- */

static Eccp__V1__Subscription *sub_row(eccp_rpc_call *call, sqlite3_stmt *q)
{
	Eccp__V1__Subscription *s = eccp__v1__subscription__unpack(
	    eccp_arena_allocator(&call->arena), (size_t)sqlite3_column_bytes(q, 0),
	    sqlite3_column_blob(q, 0));
	if (s != NULL) {
		s->paused = sqlite3_column_int(q, 1) != 0;
		s->last_seq = (uint64_t)sqlite3_column_int64(q, 2);
		s->disabled = sqlite3_column_int(q, 3) != 0;
	}
	return s;
}

Eccp__V1__Subscription *notif_sub_load(eccp_rpc_call *call, const char *id)
{
	if (id == NULL || id[0] == '\0') {
		eccp_rpc_field_error(call, "id", "required",
		                     "a subscription id is required");
		return NULL;
	}
	sqlite3_stmt *q = eccp_store_stmt(
	    call->store, "SELECT sub, paused, " NOTIF_LAST_SEQ ", disabled, owner "
	                 "FROM subscriptions WHERE id = ?1");
	if (q == NULL) {
		eccp_rpc_store_error(call);
		return NULL;
	}
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	Eccp__V1__Subscription *s = NULL;
	const char *org = eccp_caller_org(call);
	if (sqlite3_step(q) == SQLITE_ROW &&
	    (org == NULL || strcmp((const char *)sqlite3_column_text(q, 4), org) == 0))
		s = sub_row(call, q);
	sqlite3_reset(q);
	if (s == NULL)
		eccp_rpc_error(call, ECCP__V1__STATUS_CODE__STATUS_CODE_NOT_FOUND,
		               "no subscription '%s'", id);
	return s;
}

/* ---- methods ------------------------------------------------------------------ */

void notif_subscribe(eccp_rpc_call *call)
{
	const Eccp__V1__SubscribeRequest *rq =
	    (const Eccp__V1__SubscribeRequest *)call->params;
	eccp_arena *a = &call->arena;
	if (rq->subscription == NULL) {
		eccp_rpc_field_error(call, "subscription", "required",
		                     "a subscription is required");
		return;
	}
	Eccp__V1__Subscription s = *rq->subscription;
	check_subscription(call, &s);
	if (!eccp_rpc_ok(call))
		return;
	const char *org = eccp_caller_org(call);
	s.owner = (char *)(org != NULL ? org : s.owner ? s.owner : "");
	char id[48];
	eccp_new_id("sub_", id, sizeof(id));
	s.id = id;
	s.paused = false;
	s.disabled = false;
	s.last_seq = 0;
	Eccp__V1__Timestamp now = ECCP__V1__TIMESTAMP__INIT;
	eccp_now(&now.seconds, &now.nanos);
	s.created_time = &now;
	Eccp__V1__WebhookChannel hook = ECCP__V1__WEBHOOK_CHANNEL__INIT;
	char *secret = NULL;
	if (s.channel_case == ECCP__V1__SUBSCRIPTION__CHANNEL_WEBHOOK) {
		secret = s.webhook->secret;
		if (secret == NULL || secret[0] == '\0') {
			uint8_t raw[SUB_SECRET_BYTES];
			eccp_random_bytes(raw, sizeof(raw));
			secret = eccp_arena_alloc(
			    a, 6 + ECCP_BASE64_LEN(SUB_SECRET_BYTES) + 1);
			memcpy(secret, "whsec_", 6);
			eccp_base64(raw, sizeof(raw), secret + 6);
		}
		hook.url = s.webhook->url;
		s.webhook = &hook; /* stored without the secret */
	}
	size_t len = eccp__v1__subscription__get_packed_size(&s);
	uint8_t *buf = eccp_arena_alloc(a, len + 1);
	eccp__v1__subscription__pack(&s, buf);
	sqlite3_stmt *w = eccp_store_stmt(
	    call->store, "INSERT INTO subscriptions (id, owner, sub, secret, created_ms,"
	                 " reminders, suggestions) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
	if (w == NULL) {
		eccp_rpc_store_error(call);
		return;
	}
	sqlite3_bind_text(w, 1, s.id, -1, SQLITE_STATIC);
	sqlite3_bind_text(w, 2, s.owner, -1, SQLITE_STATIC);
	sqlite3_bind_blob(w, 3, buf, (int)len, SQLITE_STATIC);
	if (secret != NULL)
		sqlite3_bind_text(w, 4, secret, -1, SQLITE_STATIC);
	sqlite3_bind_int64(w, 5, eccp_now_ms());
	sqlite3_bind_int(w, 7, s.filter != NULL && s.filter->suggestions);
	char days[64] = "";
	for (size_t i = 0, o = 0; i < s.n_reminder_days; i++)
		o += (size_t)snprintf(days + o, sizeof(days) - o, "%s%u", i ? "," : "",
		                      s.reminder_days[i]);
	sqlite3_bind_text(w, 6, days, -1, SQLITE_TRANSIENT);
	if (eccp_store_run(w) != 0) {
		eccp_rpc_store_error(call);
		return;
	}
	/* The index takes it by rowid at once (on the loop thread, as the
	 * consumer): were this transaction rolled back, the next subscription
	 * would take the same rowid and replace it, and a match finds no row. */
	if (notif_index_add(call->svc,
	                    sqlite3_last_insert_rowid(eccp_store_db(call->store)),
	                    &s) != 0) {
		eccp_rpc_error(call,
		               ECCP__V1__STATUS_CODE__STATUS_CODE_RESOURCE_EXHAUSTED,
		               "out of memory for the matching index");
		return;
	}
	Eccp__V1__SubscribeResponse *r = eccp_rpc_result(call);
	r->subscription =
	    eccp__v1__subscription__unpack(eccp_arena_allocator(a), len, buf);
	r->secret = secret != NULL ? eccp_arena_strdup(a, secret) : "";
}

void notif_sub_list(eccp_rpc_call *call)
{
	const char *org = eccp_caller_org(call);
	sqlite3_stmt *q = eccp_store_stmt(
	    call->store,
	    "SELECT sub, paused, " NOTIF_LAST_SEQ ", disabled FROM subscriptions"
	    " WHERE ?1 IS NULL OR owner = ?1 ORDER BY created_ms, id");
	if (q == NULL) {
		eccp_rpc_store_error(call);
		return;
	}
	if (org != NULL)
		sqlite3_bind_text(q, 1, org, -1, SQLITE_STATIC);
	Eccp__V1__SubscriptionListResponse *r = eccp_rpc_result(call);
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		Eccp__V1__Subscription *s = sub_row(call, q);
		if (s == NULL)
			continue;
		if (r->n_subscriptions == cap) {
			size_t nc = cap ? cap * 2 : 16;
			Eccp__V1__Subscription **v =
			    eccp_arena_alloc(&call->arena, nc * sizeof(*v));
			if (cap)
				memcpy(v, r->subscriptions, cap * sizeof(*v));
			r->subscriptions = v;
			cap = nc;
		}
		r->subscriptions[r->n_subscriptions++] = s;
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		eccp_rpc_store_error(call);
}

void notif_sub_show(eccp_rpc_call *call)
{
	const Eccp__V1__SubscriptionShowRequest *rq =
	    (const Eccp__V1__SubscriptionShowRequest *)call->params;
	Eccp__V1__Subscription *s = notif_sub_load(call, rq->id);
	if (s == NULL)
		return;
	Eccp__V1__SubscriptionShowResponse *r = eccp_rpc_result(call);
	r->subscription = s;
}

void notif_sub_change(eccp_rpc_call *call)
{
	const Eccp__V1__SubscriptionChangeRequest *rq =
	    (const Eccp__V1__SubscriptionChangeRequest *)call->params;
	if (!eccp_rpc_enum_ok(&eccp__v1__subscription_change_request__change__descriptor,
	                      rq->change)) {
		eccp_rpc_field_error(
		    call, "subscriptionChange.change", "enum",
		    "must be CHANGE_PAUSE, CHANGE_RESUME or CHANGE_DELETE");
		return;
	}
	Eccp__V1__Subscription *s = notif_sub_load(call, rq->id);
	if (s == NULL)
		return;
	sqlite3_stmt *w;
	if (rq->change == ECCP__V1__SUBSCRIPTION_CHANGE_REQUEST__CHANGE__CHANGE_DELETE) {
		w = eccp_store_stmt(call->store,
		                    "DELETE FROM subscriptions WHERE id = ?1");
	} else {
		s->paused = rq->change ==
		            ECCP__V1__SUBSCRIPTION_CHANGE_REQUEST__CHANGE__CHANGE_PAUSE;
		w = s->paused ? eccp_store_stmt(
		                    call->store,
		                    "UPDATE subscriptions SET paused = 1 WHERE id = ?1")
		              : eccp_store_stmt(
		                    call->store,
		                    "UPDATE subscriptions SET paused = 0 WHERE id = ?1");
	}
	if (w == NULL) {
		eccp_rpc_store_error(call);
		return;
	}
	sqlite3_bind_text(w, 1, s->id, -1, SQLITE_STATIC);
	if (eccp_store_run(w) != 0) {
		eccp_rpc_store_error(call);
		return;
	}
	Eccp__V1__SubscriptionChangeResponse *r = eccp_rpc_result(call);
	r->subscription = s;
}
