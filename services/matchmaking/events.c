/* Matchmaking events: B2B meetings between clusters at one event.
 *
 * An organisation creates an event (time slots, tables, meeting length);
 * clusters of the partner index register with the slots they can meet in
 * and the clusters they wish to meet; participants ask each other for
 * meetings, which the asked side accepts or declines, and which expire when
 * nobody answers in time. The organiser (or the admin) then runs the
 * scheduler (schedule.h), which places as much as it can, mutual wishes
 * first, then accepted requests, then pairs the partner matching suggests,
 * without anyone having two meetings at once or a table holding two.
 *
 * Who may do what:
 * - Anyone with a key sees an event whole (MmShow) and any participant's
 *   agenda: a matchmaking event is public on the platform, like profiles.
 * - A cluster registers, asks and answers through its own organisation's
 *   key (the cluster's organisation in the partner index); the admin may
 *   act for any cluster.
 * - A cluster is unregistered by its organisation, the event's organiser
 *   or the admin: its registration goes, its pending and accepted requests
 *   become WITHDRAWN, and its meetings leave the schedule (its partners'
 *   agendas cancel them). It may register again; its old requests stay
 *   withdrawn.
 * - Only the organiser (or the admin) schedules, and locks or unlocks one
 *   meeting of the schedule where it is.
 *
 * Numbering: slots are 0-based, as in Registration.available_slots; tables
 * are 1-based, because the number is what is printed on the table at the
 * venue ("Table 1") and the API never takes a table as input.
 *
 * A pending request past its expiry is EXPIRED wherever it is read: the
 * state is derived from the time, never written, so there is no timer to
 * miss and nothing to catch up after a restart.
 *
 * Every write method validates everything before it writes, and runs inside
 * its own savepoint of the group commit (rpc.h): a call that ends with an
 * error leaves nothing behind. */
#include "matchmaking.h"

#include "ical.h"
#include "json.h"
#include "log.h"
#include "schedule.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ST(x) ECCP__V1__STATUS_CODE__STATUS_CODE_##x

#define REQ_PENDING   ECCP__V1__REQUEST_STATE__REQUEST_STATE_PENDING
#define REQ_ACCEPTED  ECCP__V1__REQUEST_STATE__REQUEST_STATE_ACCEPTED
#define REQ_DECLINED  ECCP__V1__REQUEST_STATE__REQUEST_STATE_DECLINED
#define REQ_EXPIRED   ECCP__V1__REQUEST_STATE__REQUEST_STATE_EXPIRED
#define REQ_WITHDRAWN ECCP__V1__REQUEST_STATE__REQUEST_STATE_WITHDRAWN

#define EV_NAME_MAX       300
#define EV_VENUE_MAX      300
#define EV_TZ_MAX         64
#define EV_ID_MAX         100 /* organisation and cluster ids */
#define EV_WISHES_MAX     200
#define EV_MESSAGE_MAX    2000
#define EV_ASK_MAX        3 /* requests from one cluster to another per event */
#define EV_MINUTES_MIN    5
#define EV_MINUTES_MAX    240
#define EV_EXPIRY_DEFAULT 72
#define EV_EXPIRY_MAX     8760
/* Starts before 9999-01-01: the last slot of the longest event (256 slots of
 * 240 + 240 minutes, 85 days) then still ends in a year iCalendar can say. */
#define EV_START_MAX 253370764800LL
/* Any fixed number: a run without a seed gives the same schedule for the
 * same registrations and requests, so a re-run changes nothing by chance. */
#define EV_SEED_DEFAULT 20181120u
/* Suggested partners kept per participant, and how deep into its ranking
 * of the whole partner index a participant's search looks for them: a
 * cluster further down its own ranking is no real suggestion, and each page
 * is one more search of the whole index while the loop waits. */
#define EV_SUGGEST_PER   10
#define EV_SUGGEST_DEPTH 400

/* Appends item to the arena array vec of n entries and capacity cap. */
#define PUSH(a, vec, n, cap, item)                                                       \
	do {                                                                             \
		if ((n) == (cap)) {                                                      \
			size_t nc_ = (cap) ? (cap)*2 : 8;                                \
			void *nv_ = eccp_arena_alloc((a), nc_ * sizeof(*(vec)));         \
			if ((n) > 0)                                                     \
				memcpy(nv_, (vec), (n) * sizeof(*(vec)));                \
			(vec) = nv_;                                                     \
			(cap) = nc_;                                                     \
		}                                                                        \
		(vec)[(n)++] = (item);                                                   \
	} while (0)

/* ---- small helpers ------------------------------------------------------------- */

static const char *str(const char *s)
{
	return s != NULL ? s : "";
}

static bool is_admin(const eccp_rpc_call *call)
{
	return call->caller != NULL && strcmp(call->caller, "admin") == 0;
}

/* Whether the caller may act for organisation org: the admin for anyone, an
 * organisation for itself. */
static bool acts_for(const eccp_rpc_call *call, const char *org)
{
	const char *me = eccp_caller_org(call);
	return is_admin(call) || (me != NULL && org != NULL && strcmp(me, org) == 0);
}

/* Whether the caller acts for org, the organisation of cluster cluster_id;
 * false with PERMISSION_DENIED "cluster X belongs to another organisation:
 * rule" otherwise. */
static bool acts_for_cluster(eccp_rpc_call *call, const char *org, const char *cluster_id,
                             const char *rule)
{
	if (acts_for(call, org))
		return true;
	eccp_rpc_error(call, ST(PERMISSION_DENIED),
	               "cluster %s belongs to another organisation: %s", cluster_id,
	               rule);
	return false;
}

/* Whether the caller organises event ev: its organiser, or the admin (an
 * event without an organiser is the admin's alone). */
static bool organises(const eccp_rpc_call *call, const Eccp__V1__MatchmakingEvent *ev)
{
	return is_admin(call) ||
	       (str(ev->organiser_id)[0] != '\0' && acts_for(call, ev->organiser_id));
}

/* A request's state as the errors say it. */
static const char *state_text(int state)
{
	switch (state) {
	case REQ_PENDING:
		return "pending";
	case REQ_ACCEPTED:
		return "accepted";
	case REQ_DECLINED:
		return "declined";
	case REQ_EXPIRED:
		return "expired";
	case REQ_WITHDRAWN:
		return "withdrawn";
	default:
		return "in an unknown state";
	}
}

/* A text field: valid UTF-8, no control characters (line breaks allowed when
 * multiline), at most max characters; required ones not empty. Adds a field
 * error and returns false otherwise. */
static bool check_text(eccp_rpc_call *call, const char *field, const char *s, size_t max,
                       bool required, bool multiline)
{
	size_t len = strlen(str(s));
	if (len == 0) {
		if (required)
			eccp_rpc_field_error(call, field, "required", "is required");
		return !required;
	}
	if (!eccp_utf8_valid(s, len)) {
		eccp_rpc_field_error(call, field, "utf8", "must be valid UTF-8");
		return false;
	}
	if (eccp_text_has_control(s, len, multiline)) {
		eccp_rpc_field_error(call, field, "no_control_chars",
		                     "must not contain control characters");
		return false;
	}
	if (eccp_utf8_len(s, len) > max) {
		eccp_rpc_field_error(call, field, "max_length", "at most %zu characters",
		                     max);
		return false;
	}
	return true;
}

/* An IANA time zone name ("Europe/Brussels", "Etc/GMT+1"), or empty. Only
 * its spelling is checked: the zone database of the reader decides what it
 * means, and the times themselves are always UTC. */
static void check_time_zone(eccp_rpc_call *call, const char *field, const char *tz)
{
	size_t len = strlen(str(tz));
	if (len > EV_TZ_MAX) {
		eccp_rpc_field_error(call, field, "max_length", "at most %d characters",
		                     EV_TZ_MAX);
		return;
	}
	for (size_t i = 0; i < len; i++) {
		char c = tz[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '/' || c == '_' || c == '-' ||
		      c == '+')) {
			eccp_rpc_field_error(call, field, "format",
			                     "must be an IANA time zone name such as "
			                     "Europe/Brussels");
			return;
		}
	}
}

static void check_range(eccp_rpc_call *call, const char *field, uint32_t v, uint32_t lo,
                        uint32_t hi)
{
	if (v < lo || v > hi)
		eccp_rpc_field_error(call, field, "range",
		                     "must be between %u and %u (got %u)", lo, hi, v);
}

static Eccp__V1__Timestamp *ts_new(eccp_arena *a, int64_t seconds, int32_t nanos)
{
	Eccp__V1__Timestamp *t = eccp_arena_alloc(a, sizeof(*t));
	eccp__v1__timestamp__init(t);
	t->seconds = seconds;
	t->nanos = nanos;
	return t;
}

static Eccp__V1__Timestamp *ts_ms(eccp_arena *a, int64_t ms)
{
	int64_t s = ms / 1000, r = ms % 1000;
	if (r < 0) {
		r += 1000;
		s--;
	}
	return ts_new(a, s, (int32_t)r * 1000000);
}

static const char *rfc3339_ms(eccp_arena *a, int64_t ms)
{
	char buf[48];
	eccp_rfc3339_format(ms / 1000, (int32_t)(ms % 1000) * 1000000, buf, sizeof(buf));
	return eccp_arena_strdup(a, buf);
}

/* Where slot s of the event starts, in seconds since the epoch. */
static int64_t slot_start(const Eccp__V1__MatchmakingEvent *ev, uint32_t s)
{
	return ev->start_time->seconds +
	       (int64_t)s * (ev->meeting_minutes + ev->break_minutes) * 60;
}

/* Registering and asking stop when the event is over: nobody can meet in
 * the past. False with the status set. */
static bool not_over(eccp_rpc_call *call, const Eccp__V1__MatchmakingEvent *ev)
{
	int64_t end = slot_start(ev, ev->slots);
	if (eccp_now_ms() / 1000 < end)
		return true;
	eccp_rpc_error(call, ST(FAILED_PRECONDITION), "matchmaking event %s ended at %s",
	               ev->id, rfc3339_ms(&call->arena, end * 1000));
	return false;
}

/* ---- the store --------------------------------------------------------------- */

/* The one row sql finds for the key k1 (and k2 unless NULL): the packed
 * message in column col, unpacked as d in the call's arena, and column 0 in
 * *text or *num when asked for. NULL when there is no such row; *failed
 * (with the call's status set) when the store failed or the message is
 * unreadable. */
static ProtobufCMessage *row_load(eccp_rpc_call *call, const char *sql, const char *k1,
                                  const char *k2, const ProtobufCMessageDescriptor *d,
                                  int col, const char **text, int64_t *num, bool *failed)
{
	*failed = false;
	sqlite3_stmt *q = eccp_store_stmt(call->store, sql);
	if (q == NULL) {
		*failed = true;
		eccp_rpc_store_error(call);
		return NULL;
	}
	sqlite3_bind_text(q, 1, k1, -1, SQLITE_STATIC);
	if (k2 != NULL)
		sqlite3_bind_text(q, 2, k2, -1, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	ProtobufCMessage *m = NULL;
	if (rc == SQLITE_ROW) {
		m = protobuf_c_message_unpack(d, eccp_arena_allocator(&call->arena),
		                              (size_t)sqlite3_column_bytes(q, col),
		                              sqlite3_column_blob(q, col));
		if (text != NULL)
			*text = eccp_arena_strdup(
			    &call->arena, (const char *)sqlite3_column_text(q, 0));
		if (num != NULL)
			*num = sqlite3_column_int64(q, 0);
	}
	sqlite3_reset(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		*failed = true;
		eccp_rpc_store_error(call);
	} else if (rc == SQLITE_ROW && m == NULL) {
		*failed = true;
		eccp_rpc_error(call, ST(INTERNAL), "a stored %s of '%s' is unreadable",
		               d->short_name, k2 ? k2 : k1);
	}
	return m;
}

/* The event with this id, in the call's arena; NULL with the call's status
 * set (the id missing, NOT_FOUND, a store error). */
static Eccp__V1__MatchmakingEvent *event_load(eccp_rpc_call *call, const char *field,
                                              const char *id)
{
	if (str(id)[0] == '\0') {
		eccp_rpc_field_error(call, field, "required", "an event id is required");
		return NULL;
	}
	/* an id is echoed in errors: text only */
	if (!check_text(call, field, id, EV_ID_MAX, true, false))
		return NULL;
	bool failed;
	Eccp__V1__MatchmakingEvent *ev = (Eccp__V1__MatchmakingEvent *)row_load(
	    call, "SELECT event FROM mm_events WHERE id = ?1", id, NULL,
	    &eccp__v1__matchmaking_event__descriptor, 0, NULL, NULL, &failed);
	if (failed)
		return NULL;
	if (ev == NULL)
		eccp_rpc_error(call, ST(NOT_FOUND), "no matchmaking event '%s'", id);
	else if (ev->start_time == NULL)
		eccp_rpc_error(call, ST(INTERNAL), "matchmaking event '%s' is unreadable",
		               id);
	return eccp_rpc_ok(call) ? ev : NULL;
}

static Eccp__V1__Registration *reg_unpack(eccp_rpc_call *call, sqlite3_stmt *q, int col)
{
	return eccp__v1__registration__unpack(eccp_arena_allocator(&call->arena),
	                                      (size_t)sqlite3_column_bytes(q, col),
	                                      sqlite3_column_blob(q, col));
}

/* The registration of a cluster at an event, in the call's arena; NULL when
 * there is none, and then *failed says whether the store failed (with the
 * call's status set). */
static Eccp__V1__Registration *reg_load(eccp_rpc_call *call, const char *event_id,
                                        const char *cluster_id, bool *failed)
{
	return (Eccp__V1__Registration *)row_load(
	    call,
	    "SELECT registration FROM mm_registrations WHERE event_id = ?1 AND"
	    " cluster_id = ?2",
	    event_id, cluster_id, &eccp__v1__registration__descriptor, 0, NULL, NULL,
	    failed);
}

/* The cluster's profile in the partner index, in the call's arena; NULL when
 * it is not there, and then *failed says whether the store failed. */
static Eccp__V1__Cluster *profile_load(eccp_rpc_call *call, const char *id, bool *failed)
{
	const char *org = NULL;
	Eccp__V1__Cluster *c = (Eccp__V1__Cluster *)row_load(
	    call, "SELECT organisation_id, cluster FROM profiles WHERE id = ?1", id, NULL,
	    &eccp__v1__cluster__descriptor, 1, &org, NULL, failed);
	/* the row's organisation is the one the index applied */
	if (c != NULL)
		c->organisation_id = (char *)org;
	return c;
}

#define REQ_COLS                                                                         \
	"id, event_id, from_cluster, to_cluster, state, message, created_ms, expires_ms"

/* A request row (REQ_COLS) as a message, with a pending request past its
 * expiry shown as EXPIRED. */
static Eccp__V1__MeetingRequest *req_row(eccp_arena *a, sqlite3_stmt *q, int64_t now_ms)
{
	Eccp__V1__MeetingRequest *r = eccp_arena_alloc(a, sizeof(*r));
	eccp__v1__meeting_request__init(r);
	r->id = eccp_arena_strdup(a, (const char *)sqlite3_column_text(q, 0));
	r->event_id = eccp_arena_strdup(a, (const char *)sqlite3_column_text(q, 1));
	r->from_cluster = eccp_arena_strdup(a, (const char *)sqlite3_column_text(q, 2));
	r->to_cluster = eccp_arena_strdup(a, (const char *)sqlite3_column_text(q, 3));
	int state = sqlite3_column_int(q, 4);
	int64_t expires = sqlite3_column_int64(q, 7);
	if (state == REQ_PENDING && now_ms >= expires)
		state = REQ_EXPIRED;
	r->state = (Eccp__V1__RequestState)state;
	r->message = eccp_arena_strdup(a, (const char *)sqlite3_column_text(q, 5));
	r->created_time = ts_ms(a, sqlite3_column_int64(q, 6));
	r->expires_time = ts_ms(a, expires);
	return r;
}

static Eccp__V1__Meeting *meeting_new(eccp_arena *a, const Eccp__V1__MatchmakingEvent *ev,
                                      const char *ca, const char *cb, int kind,
                                      uint32_t slot, uint32_t table, bool locked)
{
	Eccp__V1__Meeting *m = eccp_arena_alloc(a, sizeof(*m));
	eccp__v1__meeting__init(m);
	m->event_id = ev->id;
	m->cluster_a = eccp_arena_strdup(a, ca);
	m->cluster_b = eccp_arena_strdup(a, cb);
	m->kind = (Eccp__V1__MeetingKind)kind;
	m->slot = slot;
	m->table = table;
	int64_t start = slot_start(ev, slot);
	m->start_time = ts_new(a, start, ev->start_time->nanos);
	m->end_time =
	    ts_new(a, start + (int64_t)ev->meeting_minutes * 60, ev->start_time->nanos);
	m->locked = locked;
	return m;
}

#define MEET_COLS "cluster_a, cluster_b, kind, slot, tbl, locked"

static Eccp__V1__Meeting *meeting_row(eccp_arena *a, const Eccp__V1__MatchmakingEvent *ev,
                                      sqlite3_stmt *q)
{
	return meeting_new(a, ev, (const char *)sqlite3_column_text(q, 0),
	                   (const char *)sqlite3_column_text(q, 1),
	                   sqlite3_column_int(q, 2), (uint32_t)sqlite3_column_int(q, 3),
	                   (uint32_t)sqlite3_column_int(q, 4),
	                   sqlite3_column_int(q, 5) != 0);
}

/* The meetings of event ev in the schedule (or, dropped, those later runs
 * or unregistrations cancelled), of the cluster cluster_id only unless it
 * is NULL, in slot and table order, into *out (arena memory); false with
 * the call's status set on a store error. */
static bool meetings_load(eccp_rpc_call *call, const Eccp__V1__MatchmakingEvent *ev,
                          bool dropped, const char *cluster_id, Eccp__V1__Meeting ***out,
                          size_t *n)
{
	static const char *const sql[2][2] = {
	    {"SELECT " MEET_COLS
	     " FROM mm_meetings WHERE event_id = ?1 ORDER BY slot, tbl",
	     "SELECT " MEET_COLS " FROM mm_meetings WHERE event_id = ?1 AND"
	     " (cluster_a = ?2 OR cluster_b = ?2) ORDER BY slot, tbl"},
	    {"SELECT " MEET_COLS
	     " FROM mm_dropped WHERE event_id = ?1 ORDER BY slot, tbl",
	     "SELECT " MEET_COLS " FROM mm_dropped WHERE event_id = ?1 AND"
	     " (cluster_a = ?2 OR cluster_b = ?2) ORDER BY slot, tbl"},
	};
	sqlite3_stmt *q = eccp_store_stmt(call->store, sql[dropped][cluster_id != NULL]);
	if (q == NULL)
		return eccp_rpc_store_error(call);
	sqlite3_bind_text(q, 1, ev->id, -1, SQLITE_STATIC);
	if (cluster_id != NULL)
		sqlite3_bind_text(q, 2, cluster_id, -1, SQLITE_STATIC);
	size_t cap = 0;
	int rc;
	*out = NULL;
	*n = 0;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		PUSH(&call->arena, *out, *n, cap, meeting_row(&call->arena, ev, q));
	sqlite3_reset(q);
	return rc == SQLITE_DONE || eccp_rpc_store_error(call);
}

/* The report of the event's last schedule run, or NULL when it has none
 * (*runs 0); *failed on a store error, with the call's status set. */
static Eccp__V1__ScheduleReport *report_load(eccp_rpc_call *call, const char *event_id,
                                             int64_t *runs, bool *failed)
{
	*runs = 0;
	return (Eccp__V1__ScheduleReport *)row_load(
	    call, "SELECT runs, report FROM mm_reports WHERE event_id = ?1", event_id,
	    NULL, &eccp__v1__schedule_report__descriptor, 1, NULL, runs, failed);
}

/* ---- MmCreate ------------------------------------------------------------------ */

static void check_event(eccp_rpc_call *call, const Eccp__V1__MatchmakingEvent *in)
{
	check_text(call, "event.name", in->name, EV_NAME_MAX, true, false);
	const Eccp__V1__Timestamp *t = in->start_time;
	if (!eccp_timestamp_set(t))
		eccp_rpc_field_error(call, "event.startTime", "required",
		                     "a start time is required");
	else if (t->seconds < 0 || t->seconds >= EV_START_MAX || t->nanos < 0 ||
	         t->nanos > 999999999)
		eccp_rpc_field_error(call, "event.startTime", "range",
		                     "must be between 1970-01-01 and 9999-01-01");
	check_range(call, "event.slots", in->slots, 1, MM_MAX_SLOTS);
	check_range(call, "event.tables", in->tables, 1, MM_MAX_TABLES);
	check_range(call, "event.meetingMinutes", in->meeting_minutes, EV_MINUTES_MIN,
	            EV_MINUTES_MAX);
	check_range(call, "event.breakMinutes", in->break_minutes, 0, EV_MINUTES_MAX);
	check_range(call, "event.requestExpiryHours", in->request_expiry_hours, 0,
	            EV_EXPIRY_MAX);
	check_time_zone(call, "event.timeZone", in->time_zone);
	check_text(call, "event.venue", in->venue, EV_VENUE_MAX, false, false);
	const char *org = eccp_caller_org(call);
	const char *want = str(in->organiser_id);
	if (org != NULL) {
		if (want[0] != '\0' && strcmp(want, org) != 0)
			eccp_rpc_field_error(call, "event.organiserId",
			                     "own_organisation",
			                     "an organisation organises its own events: "
			                     "leave it empty or give %s",
			                     org);
	} else {
		check_text(call, "event.organiserId", want, EV_ID_MAX, false, false);
	}
}

void mm_create(eccp_rpc_call *call)
{
	const Eccp__V1__MmCreateRequest *rq =
	    (const Eccp__V1__MmCreateRequest *)call->params;
	eccp_arena *a = &call->arena;
	if (rq->event == NULL) {
		eccp_rpc_field_error(call, "event", "required", "an event is required");
		return;
	}
	check_event(call, rq->event);
	if (!eccp_rpc_ok(call))
		return;
	Eccp__V1__MatchmakingEvent ev = *rq->event;
	char id[48];
	eccp_new_id("mme_", id, sizeof(id));
	ev.id = id;
	const char *org = eccp_caller_org(call);
	/* the admin may organise for an organisation, or for the platform
	 * itself (no organiser: only the admin schedules) */
	ev.organiser_id = (char *)(org != NULL ? org : str(rq->event->organiser_id));
	if (ev.request_expiry_hours == 0)
		ev.request_expiry_hours = EV_EXPIRY_DEFAULT;
	int64_t now_ms = eccp_now_ms();
	ev.created_time = ts_ms(a, now_ms);
	ev.name = (char *)str(ev.name);
	ev.time_zone = (char *)str(ev.time_zone);
	ev.venue = (char *)str(ev.venue);
	size_t len = eccp__v1__matchmaking_event__get_packed_size(&ev);
	uint8_t *buf = eccp_arena_alloc(a, len + 1);
	eccp__v1__matchmaking_event__pack(&ev, buf);
	sqlite3_stmt *w =
	    eccp_store_stmt(call->store, "INSERT INTO mm_events (id, organiser_id, event,"
	                                 " created_ms) VALUES (?1, ?2, ?3, ?4)");
	if (w == NULL) {
		eccp_rpc_store_error(call);
		return;
	}
	sqlite3_bind_text(w, 1, ev.id, -1, SQLITE_STATIC);
	sqlite3_bind_text(w, 2, ev.organiser_id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(w, 3, buf, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(w, 4, now_ms);
	if (eccp_store_run(w) != 0) {
		eccp_rpc_store_error(call);
		return;
	}
	Eccp__V1__MmCreateResponse *r = eccp_rpc_result(call);
	r->event = eccp__v1__matchmaking_event__unpack(eccp_arena_allocator(a), len, buf);
}

/* ---- MmShow -------------------------------------------------------------------- */

static bool show_lists(eccp_rpc_call *call, const Eccp__V1__MatchmakingEvent *ev,
                       Eccp__V1__MmShowResponse *r)
{
	eccp_arena *a = &call->arena;
	sqlite3_stmt *q =
	    eccp_store_stmt(call->store, "SELECT registration FROM mm_registrations"
	                                 " WHERE event_id = ?1 ORDER BY registered_ms,"
	                                 " cluster_id");
	if (q == NULL)
		return eccp_rpc_store_error(call);
	sqlite3_bind_text(q, 1, ev->id, -1, SQLITE_STATIC);
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		Eccp__V1__Registration *g = reg_unpack(call, q, 0);
		if (g != NULL)
			PUSH(a, r->registrations, r->n_registrations, cap, g);
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return eccp_rpc_store_error(call);

	q = eccp_store_stmt(call->store, "SELECT " REQ_COLS " FROM mm_requests"
	                                 " WHERE event_id = ?1 ORDER BY created_ms, id");
	if (q == NULL)
		return eccp_rpc_store_error(call);
	sqlite3_bind_text(q, 1, ev->id, -1, SQLITE_STATIC);
	int64_t now_ms = eccp_now_ms();
	cap = 0;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		PUSH(a, r->requests, r->n_requests, cap, req_row(a, q, now_ms));
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return eccp_rpc_store_error(call);

	if (!meetings_load(call, ev, false, NULL, &r->meetings, &r->n_meetings))
		return false;

	int64_t runs;
	bool failed;
	r->report = report_load(call, ev->id, &runs, &failed);
	return !failed;
}

void mm_show(eccp_rpc_call *call)
{
	const Eccp__V1__MmShowRequest *rq = (const Eccp__V1__MmShowRequest *)call->params;
	/* One read transaction: the meetings and the report are of one run. */
	if (eccp_store_begin(call->store) != SQLITE_OK) {
		eccp_rpc_store_error(call);
		return;
	}
	Eccp__V1__MatchmakingEvent *ev = event_load(call, "eventId", rq->event_id);
	Eccp__V1__MmShowResponse out = ECCP__V1__MM_SHOW_RESPONSE__INIT;
	out.event = ev;
	if (ev != NULL && show_lists(call, ev, &out))
		*(Eccp__V1__MmShowResponse *)eccp_rpc_result(call) = out;
	eccp_store_rollback(call->store);
}

/* ---- MmRegister ---------------------------------------------------------------- */

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	return a < b ? -1 : a > b;
}

/* What a registration says before the event is known: the cluster and the
 * wishes. */
static void check_registration(eccp_rpc_call *call, const Eccp__V1__Registration *g)
{
	bool id_ok = check_text(call, "registration.clusterId", g->cluster_id, EV_ID_MAX,
	                        true, false);
	if (g->n_wishes > EV_WISHES_MAX) {
		eccp_rpc_field_error(call, "registration.wishes", "max_items",
		                     "at most %d clusters", EV_WISHES_MAX);
		return;
	}
	for (size_t i = 0; i < g->n_wishes; i++) {
		const char *f =
		    eccp_arena_printf(&call->arena, "registration.wishes[%zu]", i);
		if (!check_text(call, f, g->wishes[i], EV_ID_MAX, true, false))
			continue;
		if (id_ok && strcmp(g->wishes[i], g->cluster_id) == 0) {
			eccp_rpc_field_error(call, f, "not_self",
			                     "a cluster does not wish to meet itself");
			continue;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(str(g->wishes[j]), g->wishes[i]) == 0) {
				eccp_rpc_field_error(call, f, "unique",
				                     "%s is wished for twice",
				                     g->wishes[i]);
				break;
			}
	}
}

static void check_slots(eccp_rpc_call *call, const Eccp__V1__Registration *g,
                        uint32_t slots)
{
	if (g->n_available_slots > slots) {
		eccp_rpc_field_error(call, "registration.availableSlots", "max_items",
		                     "at most %u slots: the event has %u", slots, slots);
		return;
	}
	for (size_t i = 0; i < g->n_available_slots; i++) {
		const char *f = eccp_arena_printf(&call->arena,
		                                  "registration.availableSlots[%zu]", i);
		uint32_t s = g->available_slots[i];
		if (s >= slots) {
			eccp_rpc_field_error(call, f, "range",
			                     "slot %u is not below the event's %u slots",
			                     s, slots);
			continue;
		}
		for (size_t j = 0; j < i; j++)
			if (g->available_slots[j] == s) {
				eccp_rpc_field_error(call, f, "unique",
				                     "slot %u is given twice", s);
				break;
			}
	}
}

/* A new availability must keep the slots of the cluster's locked meetings:
 * the organiser fixed them, and a run could never place them again (it
 * refuses a lock it cannot keep). The organiser unlocks first. */
static bool keeps_locked_slots(eccp_rpc_call *call, const char *event_id,
                               const Eccp__V1__Registration *in)
{
	if (in->n_available_slots == 0)
		return true; /* every slot */
	sqlite3_stmt *q = eccp_store_stmt(
	    call->store,
	    "SELECT slot, cluster_a, cluster_b FROM mm_meetings"
	    " WHERE event_id = ?1 AND locked = 1 AND ?2 IN (cluster_a, cluster_b)");
	if (q == NULL)
		return eccp_rpc_store_error(call);
	sqlite3_bind_text(q, 1, event_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, in->cluster_id, -1, SQLITE_STATIC);
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		uint32_t slot = (uint32_t)sqlite3_column_int(q, 0);
		bool kept = false;
		for (size_t i = 0; i < in->n_available_slots && !kept; i++)
			kept = in->available_slots[i] == slot;
		if (kept)
			continue;
		const char *a = (const char *)sqlite3_column_text(q, 1);
		const char *b = (const char *)sqlite3_column_text(q, 2);
		eccp_rpc_field_error(
		    call, "registration.availableSlots", "locked",
		    "slot %u holds a locked meeting with %s: the organiser "
		    "unlocks it first (schedule with unlockAll)",
		    slot, strcmp(a, in->cluster_id) == 0 ? b : a);
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return eccp_rpc_store_error(call);
	return eccp_rpc_ok(call);
}

void mm_register(eccp_rpc_call *call)
{
	const Eccp__V1__MmRegisterRequest *rq =
	    (const Eccp__V1__MmRegisterRequest *)call->params;
	eccp_arena *a = &call->arena;
	const Eccp__V1__Registration *in = rq->registration;
	if (in == NULL) {
		eccp_rpc_field_error(call, "registration", "required",
		                     "a registration is required");
		return;
	}
	check_registration(call, in);
	if (!eccp_rpc_ok(call))
		return;
	Eccp__V1__MatchmakingEvent *ev =
	    event_load(call, "registration.eventId", in->event_id);
	if (ev == NULL || !not_over(call, ev))
		return;
	check_slots(call, in, ev->slots);
	if (!eccp_rpc_ok(call))
		return;
	bool failed;
	Eccp__V1__Cluster *c = profile_load(call, in->cluster_id, &failed);
	if (failed)
		return;
	if (c == NULL) {
		eccp_rpc_error(
		    call, ST(NOT_FOUND),
		    "no cluster '%s' in the partner index (a cluster registers "
		    "once its profile is published)",
		    in->cluster_id);
		return;
	}
	if (!acts_for_cluster(call, c->organisation_id, in->cluster_id,
	                      "only its own organisation registers it"))
		return;
	if (!keeps_locked_slots(call, ev->id, in))
		return;
	Eccp__V1__Registration g = *in;
	g.event_id = ev->id;
	g.organisation_id = c->organisation_id;
	g.name = (char *)str(c->name);
	/* slots in order, so what is shown reads like a timetable */
	if (g.n_available_slots > 0) {
		g.available_slots =
		    eccp_arena_alloc(a, g.n_available_slots * sizeof(uint32_t));
		memcpy(g.available_slots, in->available_slots,
		       g.n_available_slots * sizeof(uint32_t));
		qsort(g.available_slots, g.n_available_slots, sizeof(uint32_t), cmp_u32);
	}
	size_t len = eccp__v1__registration__get_packed_size(&g);
	uint8_t *buf = eccp_arena_alloc(a, len + 1);
	eccp__v1__registration__pack(&g, buf);
	/* Registering again replaces availability and wishes but keeps the
	 * place in the list of participants. */
	sqlite3_stmt *w = eccp_store_stmt(
	    call->store,
	    "INSERT INTO mm_registrations (event_id, cluster_id, organisation_id,"
	    " registration, registered_ms) VALUES (?1, ?2, ?3, ?4, ?5)"
	    " ON CONFLICT (event_id, cluster_id) DO UPDATE SET"
	    " organisation_id = excluded.organisation_id,"
	    " registration = excluded.registration");
	if (w == NULL) {
		eccp_rpc_store_error(call);
		return;
	}
	sqlite3_bind_text(w, 1, g.event_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(w, 2, g.cluster_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(w, 3, g.organisation_id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(w, 4, buf, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(w, 5, eccp_now_ms());
	if (eccp_store_run(w) != 0) {
		eccp_rpc_store_error(call);
		return;
	}
	Eccp__V1__MmRegisterResponse *r = eccp_rpc_result(call);
	r->registration =
	    eccp__v1__registration__unpack(eccp_arena_allocator(a), len, buf);
}

/* ---- MmRequest ----------------------------------------------------------------- */

/* A pending (unexpired) or accepted request between two clusters, in either
 * direction, into *out; false when there is none or the store failed (the
 * call's status then says so). */
static bool open_request(eccp_rpc_call *call, const char *event_id, const char *x,
                         const char *y, int64_t now_ms, Eccp__V1__MeetingRequest **out)
{
	*out = NULL;
	sqlite3_stmt *q = eccp_store_stmt(
	    call->store, "SELECT " REQ_COLS " FROM mm_requests WHERE event_id = ?1 AND"
	                 " ((from_cluster = ?2 AND to_cluster = ?3) OR"
	                 " (from_cluster = ?3 AND to_cluster = ?2)) AND"
	                 " (state = ?4 OR (state = ?5 AND expires_ms > ?6))"
	                 " ORDER BY created_ms LIMIT 1");
	if (q == NULL)
		return eccp_rpc_store_error(call);
	sqlite3_bind_text(q, 1, event_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, x, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, y, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 4, REQ_ACCEPTED);
	sqlite3_bind_int(q, 5, REQ_PENDING);
	sqlite3_bind_int64(q, 6, now_ms);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*out = req_row(&call->arena, q, now_ms);
	sqlite3_reset(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return eccp_rpc_store_error(call);
	return *out != NULL;
}

/* The registration of a cluster that must be registered for ev, or NULL
 * with the call's status set: a store error, or "cluster X has not
 * registered for event Y: why". */
static Eccp__V1__Registration *participant(eccp_rpc_call *call,
                                           const Eccp__V1__MatchmakingEvent *ev,
                                           const char *cluster_id, const char *why)
{
	bool failed;
	Eccp__V1__Registration *g = reg_load(call, ev->id, cluster_id, &failed);
	if (g == NULL && !failed)
		eccp_rpc_error(call, ST(FAILED_PRECONDITION),
		               "cluster %s has not registered for event %s: %s",
		               cluster_id, ev->id, why);
	return g;
}

void mm_request(eccp_rpc_call *call)
{
	const Eccp__V1__MmRequestRequest *rq =
	    (const Eccp__V1__MmRequestRequest *)call->params;
	eccp_arena *a = &call->arena;
	bool from_ok =
	    check_text(call, "fromCluster", rq->from_cluster, EV_ID_MAX, true, false);
	if (check_text(call, "toCluster", rq->to_cluster, EV_ID_MAX, true, false) &&
	    from_ok && strcmp(rq->from_cluster, rq->to_cluster) == 0)
		eccp_rpc_field_error(call, "toCluster", "distinct",
		                     "a cluster does not ask itself for a meeting");
	check_text(call, "message", rq->message, EV_MESSAGE_MAX, false, true);
	if (str(rq->event_id)[0] == '\0')
		eccp_rpc_field_error(call, "eventId", "required",
		                     "an event id is required");
	if (!eccp_rpc_ok(call))
		return;
	Eccp__V1__MatchmakingEvent *ev = event_load(call, "eventId", rq->event_id);
	if (ev == NULL || !not_over(call, ev))
		return;
	Eccp__V1__Registration *from = participant(
	    call, ev, rq->from_cluster, "it registers before it asks for meetings");
	if (from == NULL)
		return;
	if (!acts_for_cluster(call, from->organisation_id, rq->from_cluster,
	                      "a request is sent by the organisation of the cluster "
	                      "that asks"))
		return;
	if (participant(call, ev, rq->to_cluster, "meetings are asked of participants") ==
	    NULL)
		return;
	int64_t now_ms = eccp_now_ms();
	Eccp__V1__MeetingRequest *open;
	if (open_request(call, ev->id, rq->from_cluster, rq->to_cluster, now_ms, &open)) {
		bool mine = strcmp(open->from_cluster, rq->from_cluster) == 0;
		eccp_rpc_error(call, ST(ALREADY_EXISTS),
		               "%s already asked %s for a meeting (request %s, %s)%s",
		               open->from_cluster, open->to_cluster, open->id,
		               state_text(open->state),
		               mine || open->state == REQ_ACCEPTED
		                   ? ""
		                   : ": answer that request instead");
		return;
	}
	if (!eccp_rpc_ok(call))
		return;
	/* asking again after a decline or an expiry is fair, without end is not:
	 * every request stays on the event's record, and counts, but one that
	 * was withdrawn because the cluster asked left the event */
	sqlite3_stmt *n = eccp_store_stmt(
	    call->store, "SELECT count(*) FROM mm_requests WHERE event_id = ?1 AND"
	                 " from_cluster = ?2 AND to_cluster = ?3 AND"
	                 " (withdrawn_by IS NULL OR withdrawn_by <> to_cluster)");
	if (n == NULL) {
		eccp_rpc_store_error(call);
		return;
	}
	sqlite3_bind_text(n, 1, ev->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(n, 2, rq->from_cluster, -1, SQLITE_STATIC);
	sqlite3_bind_text(n, 3, rq->to_cluster, -1, SQLITE_STATIC);
	int64_t asked = sqlite3_step(n) == SQLITE_ROW ? sqlite3_column_int64(n, 0) : -1;
	sqlite3_reset(n);
	if (asked < 0) {
		eccp_rpc_store_error(call);
		return;
	}
	if (asked >= EV_ASK_MAX) {
		eccp_rpc_error(
		    call, ST(FAILED_PRECONDITION),
		    "%s has asked %s for a meeting %d times at this event, the "
		    "most it may",
		    rq->from_cluster, rq->to_cluster, EV_ASK_MAX);
		return;
	}
	char id[48];
	eccp_new_id("mmr_", id, sizeof(id));
	int64_t expires_ms = now_ms + (int64_t)ev->request_expiry_hours * 3600 * 1000;
	sqlite3_stmt *w = eccp_store_stmt(
	    call->store,
	    "INSERT INTO mm_requests (id, event_id, from_cluster, to_cluster,"
	    " state, message, created_ms, expires_ms)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
	if (w == NULL) {
		eccp_rpc_store_error(call);
		return;
	}
	sqlite3_bind_text(w, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(w, 2, ev->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(w, 3, rq->from_cluster, -1, SQLITE_STATIC);
	sqlite3_bind_text(w, 4, rq->to_cluster, -1, SQLITE_STATIC);
	sqlite3_bind_int(w, 5, REQ_PENDING);
	sqlite3_bind_text(w, 6, str(rq->message), -1, SQLITE_STATIC);
	sqlite3_bind_int64(w, 7, now_ms);
	sqlite3_bind_int64(w, 8, expires_ms);
	if (eccp_store_run(w) != 0) {
		eccp_rpc_store_error(call);
		return;
	}
	Eccp__V1__MeetingRequest *m = eccp_arena_alloc(a, sizeof(*m));
	eccp__v1__meeting_request__init(m);
	m->id = eccp_arena_strdup(a, id);
	m->event_id = ev->id;
	m->from_cluster = rq->from_cluster;
	m->to_cluster = rq->to_cluster;
	m->state = (Eccp__V1__RequestState)REQ_PENDING;
	m->message = (char *)str(rq->message);
	m->created_time = ts_ms(a, now_ms);
	m->expires_time = ts_ms(a, expires_ms);
	Eccp__V1__MmRequestResponse *r = eccp_rpc_result(call);
	r->request = m;
}

/* ---- MmRespond ----------------------------------------------------------------- */

void mm_respond(eccp_rpc_call *call)
{
	const Eccp__V1__MmRespondRequest *rq =
	    (const Eccp__V1__MmRespondRequest *)call->params;
	eccp_arena *a = &call->arena;
	if (!check_text(call, "requestId", rq->request_id, EV_ID_MAX, true, false))
		return;
	sqlite3_stmt *q = eccp_store_stmt(call->store, "SELECT " REQ_COLS
	                                               " FROM mm_requests WHERE id = ?1");
	if (q == NULL) {
		eccp_rpc_store_error(call);
		return;
	}
	int64_t now_ms = eccp_now_ms();
	sqlite3_bind_text(q, 1, rq->request_id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	Eccp__V1__MeetingRequest *m = rc == SQLITE_ROW ? req_row(a, q, now_ms) : NULL;
	sqlite3_reset(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		eccp_rpc_store_error(call);
		return;
	}
	if (m == NULL) {
		eccp_rpc_error(call, ST(NOT_FOUND), "no meeting request '%s'",
		               rq->request_id);
		return;
	}
	bool failed;
	Eccp__V1__Registration *to = reg_load(call, m->event_id, m->to_cluster, &failed);
	if (failed)
		return;
	const char *to_org = to != NULL ? to->organisation_id : NULL;
	if (to == NULL) {
		/* unregistered since: its organisation is still the one that hears
		 * what became of the request */
		Eccp__V1__Cluster *c = profile_load(call, m->to_cluster, &failed);
		if (failed)
			return;
		to_org = c != NULL ? c->organisation_id : NULL;
	}
	if (!acts_for(call, to_org)) {
		eccp_rpc_error(call, ST(PERMISSION_DENIED),
		               "only the organisation of %s, the cluster asked, answers "
		               "request %s",
		               m->to_cluster, m->id);
		return;
	}
	switch (m->state) {
	case REQ_PENDING:
		break;
	case REQ_EXPIRED:
		eccp_rpc_error(call, ST(FAILED_PRECONDITION),
		               "request %s expired at %s without an answer; %s may ask "
		               "again",
		               m->id,
		               rfc3339_ms(a, m->expires_time->seconds * 1000 +
		                                 m->expires_time->nanos / 1000000),
		               m->from_cluster);
		return;
	default:
		eccp_rpc_error(call, ST(FAILED_PRECONDITION), "request %s was already %s",
		               m->id, state_text(m->state));
		return;
	}
	m->state = (Eccp__V1__RequestState)(rq->accept ? REQ_ACCEPTED : REQ_DECLINED);
	sqlite3_stmt *w = eccp_store_stmt(
	    call->store,
	    "UPDATE mm_requests SET state = ?2, answered_ms = ?3 WHERE id = ?1");
	if (w == NULL) {
		eccp_rpc_store_error(call);
		return;
	}
	sqlite3_bind_text(w, 1, m->id, -1, SQLITE_STATIC);
	sqlite3_bind_int(w, 2, (int)m->state);
	sqlite3_bind_int64(w, 3, now_ms);
	if (eccp_store_run(w) != 0) {
		eccp_rpc_store_error(call);
		return;
	}
	Eccp__V1__MmRespondResponse *r = eccp_rpc_result(call);
	r->request = m;
}

/* ---- MmUnregister -------------------------------------------------------------- */

/* Runs w, bound by the caller, and returns the rows it changed in *n; false
 * with the call's status set when the store failed. */
static bool run_counted(eccp_rpc_call *call, sqlite3_stmt *w, uint32_t *n)
{
	if (eccp_store_run(w) != 0)
		return eccp_rpc_store_error(call);
	*n = (uint32_t)sqlite3_changes(eccp_store_db(call->store));
	return true;
}

void mm_unregister(eccp_rpc_call *call)
{
	const Eccp__V1__MmUnregisterRequest *rq =
	    (const Eccp__V1__MmUnregisterRequest *)call->params;
	check_text(call, "clusterId", rq->cluster_id, EV_ID_MAX, true, false);
	if (str(rq->event_id)[0] == '\0')
		eccp_rpc_field_error(call, "eventId", "required",
		                     "an event id is required");
	if (!eccp_rpc_ok(call))
		return;
	Eccp__V1__MatchmakingEvent *ev = event_load(call, "eventId", rq->event_id);
	if (ev == NULL)
		return;
	/* Meetings that took place stay on the record, with the requests that
	 * made them: once the event has begun, nobody unregisters. */
	if (eccp_now_ms() / 1000 >= slot_start(ev, 0)) {
		eccp_rpc_error(call, ST(FAILED_PRECONDITION),
		               "matchmaking event %s began at %s: its participants no "
		               "longer unregister",
		               ev->id,
		               rfc3339_ms(&call->arena, slot_start(ev, 0) * 1000));
		return;
	}
	bool failed;
	Eccp__V1__Registration *g = reg_load(call, ev->id, rq->cluster_id, &failed);
	if (failed)
		return;
	if (g == NULL) {
		eccp_rpc_error(call, ST(NOT_FOUND),
		               "cluster %s is not registered for event %s",
		               rq->cluster_id, ev->id);
		return;
	}
	if (!organises(call, ev) &&
	    !acts_for_cluster(call, g->organisation_id, rq->cluster_id,
	                      eccp_arena_printf(&call->arena,
	                                        "only its own organisation, the "
	                                        "organiser of event %s or the admin "
	                                        "unregisters it",
	                                        ev->id)))
		return;
	/* Its open requests end here, in either direction: an accepted one
	 * could never become a meeting, a pending one never be answered. An
	 * expired one stays expired. */
	int64_t now_ms = eccp_now_ms();
	sqlite3_stmt *wr = eccp_store_stmt(
	    call->store, "UPDATE mm_requests SET state = ?3, withdrawn_by = ?2"
	                 " WHERE event_id = ?1 AND ?2 IN (from_cluster, to_cluster) AND"
	                 " (state = ?4 OR (state = ?5 AND expires_ms > ?6))");
	/* its meetings are dropped as a later run drops them (store_run): the
	 * partners' agendas cancel them under the same UID */
	sqlite3_stmt *keep = eccp_store_stmt(
	    call->store,
	    "INSERT OR REPLACE INTO mm_dropped (event_id, " MEET_COLS ")"
	    " SELECT event_id, " MEET_COLS " FROM mm_meetings WHERE event_id = ?1"
	    " AND ?2 IN (cluster_a, cluster_b)");
	sqlite3_stmt *dm =
	    eccp_store_stmt(call->store, "DELETE FROM mm_meetings WHERE event_id = ?1 AND"
	                                 " ?2 IN (cluster_a, cluster_b)");
	sqlite3_stmt *dg = eccp_store_stmt(
	    call->store,
	    "DELETE FROM mm_registrations WHERE event_id = ?1 AND cluster_id = ?2");
	/* The agendas' SEQUENCE is the event's count of runs: counted once
	 * more when meetings were cancelled, so that a calendar takes the
	 * cancellation for the newer version of the meeting it imported (and
	 * the next run's agenda for a newer one still). */
	sqlite3_stmt *wn = eccp_store_stmt(
	    call->store, "UPDATE mm_reports SET runs = runs + 1 WHERE event_id = ?1");
	if (wr == NULL || keep == NULL || dm == NULL || dg == NULL || wn == NULL) {
		eccp_rpc_store_error(call);
		return;
	}
	sqlite3_stmt *const all[] = {wr, keep, dm, dg};
	for (size_t i = 0; i < ECCP_ARRAY_LEN(all); i++) {
		sqlite3_bind_text(all[i], 1, ev->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(all[i], 2, g->cluster_id, -1, SQLITE_STATIC);
	}
	sqlite3_bind_int(wr, 3, REQ_WITHDRAWN);
	sqlite3_bind_int(wr, 4, REQ_ACCEPTED);
	sqlite3_bind_int(wr, 5, REQ_PENDING);
	sqlite3_bind_int64(wr, 6, now_ms);
	sqlite3_bind_text(wn, 1, ev->id, -1, SQLITE_STATIC);
	uint32_t changed[ECCP_ARRAY_LEN(all)], runs;
	for (size_t i = 0; i < ECCP_ARRAY_LEN(all); i++)
		if (!run_counted(call, all[i], &changed[i]))
			return;
	uint32_t withdrawn = changed[0], cancelled = changed[2];
	if (cancelled > 0 && !run_counted(call, wn, &runs))
		return;
	Eccp__V1__MmUnregisterResponse *r = eccp_rpc_result(call);
	r->registration = g;
	r->meetings_cancelled = cancelled;
	r->requests_withdrawn = withdrawn;
	eccp_info("event %s: %s unregistered; %u meetings cancelled, %u requests "
	          "withdrawn",
	          ev->id, g->cluster_id, cancelled, withdrawn);
}

/* ---- MmSchedule ---------------------------------------------------------------- */

/* The participants of a run: registered clusters, sorted by id so that a
 * cluster's index is found by binary search. */
typedef struct roster {
	char **ids;
	Eccp__V1__Registration **regs;
	size_t n;
} roster;

/* A candidate meeting of a run; pairs ordered (a < b). */
typedef struct cand {
	uint32_t a, b;
	mm_meet_class cls;
	double score;                  /* partner matching, [0, 1]; 0 when unknown */
	int32_t lock_slot, lock_table; /* 0-based; -1 when not locked */
} cand;

typedef struct cands {
	cand *v;
	size_t n, cap;
} cands;

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

static long roster_find(const roster *r, const char *id)
{
	char *const *hit =
	    r->n ? bsearch(&id, r->ids, r->n, sizeof(*r->ids), cmp_str) : NULL;
	return hit != NULL ? (long)(hit - r->ids) : -1;
}

static void cand_add(eccp_arena *a, cands *c, long x, long y, mm_meet_class cls,
                     double score)
{
	if (x < 0 || y < 0 || x == y)
		return;
	cand k = {.a = (uint32_t)(x < y ? x : y),
	          .b = (uint32_t)(x < y ? y : x),
	          .cls = cls,
	          .score = score,
	          .lock_slot = -1,
	          .lock_table = -1};
	PUSH(a, c->v, c->n, c->cap, k);
}

static int cmp_cand(const void *x, const void *y)
{
	const cand *p = x, *q = y;
	if (p->a != q->a)
		return p->a < q->a ? -1 : 1;
	if (p->b != q->b)
		return p->b < q->b ? -1 : 1;
	return (int)p->cls - (int)q->cls;
}

/* One candidate per pair: the strongest class any source gave it (a mutual
 * wish beats an accepted request beats a suggestion), the best partner
 * matching score seen, and the lock when it has one. */
static void cands_merge(cands *c)
{
	if (c->n == 0)
		return;
	qsort(c->v, c->n, sizeof(*c->v), cmp_cand);
	size_t o = 0;
	for (size_t i = 0; i < c->n; i++) {
		cand *k = &c->v[i];
		if (o > 0 && c->v[o - 1].a == k->a && c->v[o - 1].b == k->b) {
			cand *m = &c->v[o - 1];
			if (k->score > m->score)
				m->score = k->score;
			if (k->lock_slot >= 0) {
				m->lock_slot = k->lock_slot;
				m->lock_table = k->lock_table;
			}
			continue;
		}
		c->v[o++] = *k;
	}
	c->n = o;
}

static bool load_roster(eccp_rpc_call *call, const char *event_id, roster *r)
{
	sqlite3_stmt *q =
	    eccp_store_stmt(call->store, "SELECT cluster_id, registration FROM"
	                                 " mm_registrations WHERE event_id = ?1"
	                                 " ORDER BY cluster_id");
	if (q == NULL)
		return eccp_rpc_store_error(call);
	sqlite3_bind_text(q, 1, event_id, -1, SQLITE_STATIC);
	size_t n_ids = 0, cap_ids = 0, cap_regs = 0;
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		Eccp__V1__Registration *g = reg_unpack(call, q, 1);
		if (g == NULL)
			continue;
		PUSH(&call->arena, r->ids, n_ids, cap_ids, g->cluster_id);
		PUSH(&call->arena, r->regs, r->n, cap_regs, g);
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return eccp_rpc_store_error(call);
	return true;
}

/* Mutual wishes: a pair where each wishes the other. */
static void add_mutual(eccp_arena *a, const roster *r, cands *c)
{
	uint64_t *w = NULL;
	size_t n = 0, cap = 0;
	for (size_t i = 0; i < r->n; i++) {
		const Eccp__V1__Registration *g = r->regs[i];
		for (size_t k = 0; k < g->n_wishes; k++) {
			long j = roster_find(r, g->wishes[k]);
			if (j >= 0 && (size_t)j != i)
				PUSH(a, w, n, cap, (uint64_t)i << 32 | (uint64_t)j);
		}
	}
	if (n == 0)
		return;
	qsort(w, n, sizeof(*w), cmp_u64);
	for (size_t k = 0; k < n; k++) {
		uint64_t i = w[k] >> 32, j = w[k] & 0xffffffffu;
		uint64_t back = j << 32 | i;
		if (i < j && bsearch(&back, w, n, sizeof(*w), cmp_u64) != NULL)
			cand_add(a, c, (long)i, (long)j, MM_MEET_MUTUAL, 0);
	}
}

/* Accepted requests, in either direction. */
static bool add_accepted(eccp_rpc_call *call, const char *event_id, const roster *r,
                         cands *c)
{
	sqlite3_stmt *q = eccp_store_stmt(
	    call->store, "SELECT from_cluster, to_cluster FROM mm_requests"
	                 " WHERE event_id = ?1 AND state = ?2");
	if (q == NULL)
		return eccp_rpc_store_error(call);
	sqlite3_bind_text(q, 1, event_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 2, REQ_ACCEPTED);
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		cand_add(&call->arena, c,
		         roster_find(r, (const char *)sqlite3_column_text(q, 0)),
		         roster_find(r, (const char *)sqlite3_column_text(q, 1)),
		         MM_MEET_ACCEPTED, 0);
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return eccp_rpc_store_error(call);
	return true;
}

/* Suggested pairs: each participant's best partners in the partner index
 * (complementary ones when its profile says what it looks for, similar ones
 * otherwise, as for match.suggested) that are participants too, at most
 * EV_SUGGEST_PER of them from the first EV_SUGGEST_DEPTH of its ranking. A
 * pair found from both sides keeps the better score. */
static void add_suggested(mm *m, eccp_arena *a, const roster *r, cands *c)
{
	for (size_t i = 0; i < r->n; i++) {
		mm_profile *p = mm_partners_get(m->partners, r->ids[i]);
		if (p == NULL)
			continue; /* no longer in the index: nothing to compare */
		const mm_looking_for *lf = &p->looking_for;
		bool looks = lf->n_ecosystems || lf->n_technologies || lf->n_countries;
		free(p);
		mm_query q = {.mode = looks ? MM_MODE_COMPLEMENTARY : MM_MODE_SIMILAR,
		              .cluster_id = r->ids[i],
		              .limit = MM_LIMIT_MAX};
		size_t kept = 0;
		bool more = true;
		for (size_t off = 0;
		     more && off < EV_SUGGEST_DEPTH && kept < EV_SUGGEST_PER;
		     off += MM_LIMIT_MAX) {
			q.offset = off;
			mm_results res;
			char err[256];
			if (mm_partners_search(m->partners, &q, &res, err, sizeof(err)) !=
			    0) {
				eccp_warn("schedule: no suggestions for %s: %s",
				          r->ids[i], err);
				break;
			}
			more = res.n == MM_LIMIT_MAX;
			for (size_t k = 0; k < res.n && kept < EV_SUGGEST_PER; k++) {
				const mm_result *x = &res.items[k];
				if (!(x->score > 0)) {
					/* ranked by score: the rest match no better */
					more = false;
					break;
				}
				long j = roster_find(r, x->id);
				if (j >= 0 && (size_t)j != i) {
					cand_add(a, c, (long)i, j, MM_MEET_SUGGESTED,
					         x->score);
					kept++;
				}
			}
			mm_results_free(&res);
		}
	}
}

static mm_meet_class class_of_kind(int kind)
{
	switch (kind) {
	case ECCP__V1__MEETING_KIND__MEETING_KIND_MUTUAL:
		return MM_MEET_MUTUAL;
	case ECCP__V1__MEETING_KIND__MEETING_KIND_ACCEPTED:
		return MM_MEET_ACCEPTED;
	default:
		return MM_MEET_SUGGESTED;
	}
}

static int kind_of_class(mm_meet_class cls)
{
	switch (cls) {
	case MM_MEET_MUTUAL:
		return ECCP__V1__MEETING_KIND__MEETING_KIND_MUTUAL;
	case MM_MEET_ACCEPTED:
		return ECCP__V1__MEETING_KIND__MEETING_KIND_ACCEPTED;
	default:
		return ECCP__V1__MEETING_KIND__MEETING_KIND_SUGGESTED;
	}
}

/* Meetings locked by earlier runs stay where they are, even when the pair is
 * no longer wanted (a wish withdrawn since): the organiser fixed them, and
 * only the organiser undoes that. */
static bool add_locked(eccp_rpc_call *call, const char *event_id, const roster *r,
                       cands *c)
{
	sqlite3_stmt *q =
	    eccp_store_stmt(call->store, "SELECT cluster_a, cluster_b, kind, slot, tbl"
	                                 " FROM mm_meetings WHERE event_id = ?1 AND"
	                                 " locked = 1");
	if (q == NULL)
		return eccp_rpc_store_error(call);
	sqlite3_bind_text(q, 1, event_id, -1, SQLITE_STATIC);
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *ca = (const char *)sqlite3_column_text(q, 0);
		const char *cb = (const char *)sqlite3_column_text(q, 1);
		long i = roster_find(r, ca), j = roster_find(r, cb);
		if (i < 0 || j < 0 || i == j) {
			eccp_rpc_error(
			    call, ST(FAILED_PRECONDITION),
			    "the locked meeting of %s and %s has a participant "
			    "that is not registered",
			    ca, cb);
			break;
		}
		cand_add(&call->arena, c, i, j, class_of_kind(sqlite3_column_int(q, 2)),
		         0);
		c->v[c->n - 1].lock_slot = sqlite3_column_int(q, 3);
		c->v[c->n - 1].lock_table = sqlite3_column_int(q, 4) - 1;
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return eccp_rpc_store_error(call);
	return eccp_rpc_ok(call);
}

/* The scheduler names meetings and participants by their index in its input
 * ("meetings[3]: participant 5 is not available in its locked slot 2"); the
 * organiser knows them by their clusters. */
static const char *sched_error(eccp_arena *a, const char *err, const roster *r,
                               const mm_meeting *mt, size_t nm)
{
	char out[1024];
	size_t o = 0;
	const char *p = err;
	while (*p != '\0' && o < sizeof(out) - 1) {
		char *end;
		if (strncmp(p, "meetings[", 9) == 0) {
			unsigned long k = strtoul(p + 9, &end, 10);
			if (end != p + 9 && *end == ']' && k < nm) {
				o += (size_t)snprintf(out + o, sizeof(out) - o,
				                      "the meeting of %s and %s",
				                      r->ids[mt[k].a], r->ids[mt[k].b]);
				p = end + 1;
				continue;
			}
		}
		if (strncmp(p, "participant ", 12) == 0 && p[12] >= '0' && p[12] <= '9') {
			unsigned long k = strtoul(p + 12, &end, 10);
			if (k < r->n) {
				o += (size_t)snprintf(out + o, sizeof(out) - o,
				                      "participant %s", r->ids[k]);
				p = end;
				continue;
			}
		}
		out[o++] = *p++;
	}
	if (o > sizeof(out) - 1)
		o = sizeof(out) - 1;
	out[o] = '\0';
	return eccp_arena_strdup(a, out);
}

typedef struct placed {
	int32_t slot, table;
	size_t k; /* the candidate */
} placed;

static int cmp_placed(const void *x, const void *y)
{
	const placed *p = x, *q = y;
	if (p->slot != q->slot)
		return p->slot < q->slot ? -1 : 1;
	return p->table < q->table ? -1 : p->table > q->table;
}

/* Replaces the event's meetings with those of this run and keeps its
 * report. */
static bool store_run(eccp_rpc_call *call, const Eccp__V1__MatchmakingEvent *ev,
                      const roster *r, const cands *c, const placed *pl, size_t np,
                      bool lock_all, const Eccp__V1__ScheduleReport *rep)
{
	/* every meeting of the last run is dropped, until this run has it too */
	sqlite3_stmt *keep = eccp_store_stmt(
	    call->store,
	    "INSERT OR REPLACE INTO mm_dropped (event_id, " MEET_COLS ")"
	    " SELECT event_id, " MEET_COLS " FROM mm_meetings WHERE event_id = ?1");
	sqlite3_stmt *d =
	    eccp_store_stmt(call->store, "DELETE FROM mm_meetings WHERE event_id = ?1");
	if (keep == NULL || d == NULL)
		return eccp_rpc_store_error(call);
	sqlite3_bind_text(keep, 1, ev->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(d, 1, ev->id, -1, SQLITE_STATIC);
	if (eccp_store_run(keep) != 0 || eccp_store_run(d) != 0)
		return eccp_rpc_store_error(call);
	for (size_t i = 0; i < np; i++) {
		const cand *k = &c->v[pl[i].k];
		sqlite3_stmt *w = eccp_store_stmt(
		    call->store,
		    "INSERT INTO mm_meetings (event_id, cluster_a, cluster_b,"
		    " kind, slot, tbl, locked) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
		if (w == NULL)
			return eccp_rpc_store_error(call);
		sqlite3_bind_text(w, 1, ev->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(w, 2, r->ids[k->a], -1, SQLITE_STATIC);
		sqlite3_bind_text(w, 3, r->ids[k->b], -1, SQLITE_STATIC);
		sqlite3_bind_int(w, 4, kind_of_class(k->cls));
		sqlite3_bind_int(w, 5, pl[i].slot);
		sqlite3_bind_int(w, 6, pl[i].table + 1);
		sqlite3_bind_int(w, 7, lock_all || k->lock_slot >= 0);
		if (eccp_store_run(w) != 0)
			return eccp_rpc_store_error(call);
	}
	sqlite3_stmt *back = eccp_store_stmt(
	    call->store, "DELETE FROM mm_dropped WHERE event_id = ?1 AND EXISTS (SELECT 1"
	                 " FROM mm_meetings m WHERE m.event_id = mm_dropped.event_id AND"
	                 " m.cluster_a = mm_dropped.cluster_a AND"
	                 " m.cluster_b = mm_dropped.cluster_b)");
	if (back == NULL)
		return eccp_rpc_store_error(call);
	sqlite3_bind_text(back, 1, ev->id, -1, SQLITE_STATIC);
	if (eccp_store_run(back) != 0)
		return eccp_rpc_store_error(call);
	size_t len = eccp__v1__schedule_report__get_packed_size(rep);
	uint8_t *buf = eccp_arena_alloc(&call->arena, len + 1);
	eccp__v1__schedule_report__pack(rep, buf);
	sqlite3_stmt *w = eccp_store_stmt(
	    call->store,
	    "INSERT INTO mm_reports (event_id, runs, report) VALUES (?1, 1, ?2)"
	    " ON CONFLICT (event_id) DO UPDATE SET runs = runs + 1,"
	    " report = excluded.report");
	if (w == NULL)
		return eccp_rpc_store_error(call);
	sqlite3_bind_text(w, 1, ev->id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(w, 2, buf, (int)len, SQLITE_STATIC);
	if (eccp_store_run(w) != 0)
		return eccp_rpc_store_error(call);
	return true;
}

static uint32_t clamp_u32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static Eccp__V1__ScheduleReport *report_of(eccp_arena *a, const mm_sched_result *res,
                                           double upper_bound, int64_t now_ms)
{
	Eccp__V1__ScheduleReport *rep = eccp_arena_alloc(a, sizeof(*rep));
	eccp__v1__schedule_report__init(rep);
	rep->wanted = clamp_u32(res->wanted);
	rep->placed = clamp_u32(res->placed);
	rep->mutual_wanted = clamp_u32(res->mutual.wanted);
	rep->mutual_placed = clamp_u32(res->mutual.placed);
	rep->accepted_wanted = clamp_u32(res->accepted.wanted);
	rep->accepted_placed = clamp_u32(res->accepted.placed);
	rep->suggested_wanted = clamp_u32(res->suggested.wanted);
	rep->suggested_placed = clamp_u32(res->suggested.placed);
	rep->mutual_share = res->mutual_share;
	rep->idle_gaps_mean = res->gaps_mean;
	rep->idle_gaps_max = res->gaps_max;
	rep->idle_gaps_total = clamp_u32(res->gaps_total);
	rep->value = res->value;
	rep->upper_bound = upper_bound;
	rep->elapsed_ms = res->elapsed_ms;
	rep->time = ts_ms(a, now_ms);
	return rep;
}

/* Runs the scheduler on the meetings of c among the participants of r. A
 * run happens on the loop thread inside the write transaction, so the
 * registrations, requests and locks it read are still those it stores
 * against; its work budget (schedule.h, 1.5 s at most) bounds how long the
 * loop waits. */
/* A run's plan: what it was made from and what it placed. */
typedef struct sched_plan {
	Eccp__V1__MatchmakingEvent *ev;
	roster r;
	cands c;
	placed *pl;
	size_t np;
	Eccp__V1__ScheduleReport *rep;
	uint64_t inputs; /* the hash of its inputs, see sched_inputs */
} sched_plan;

static uint64_t fnv_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ULL;
	return h;
}

/* The event, its participants and the meetings the store asks for (mutual
 * wishes, accepted requests, locked meetings), and a hash of them: a plan
 * made from the same hash is a plan for this store. Suggested pairs are
 * not part of it: they come from the partner index, which the plan saw a
 * moment ago. False with the status set. */
static bool sched_inputs(eccp_rpc_call *call, Eccp__V1__MatchmakingEvent **ev_out,
                         roster *r, cands *c, uint64_t *hash)
{
	const Eccp__V1__MmScheduleRequest *rq =
	    (const Eccp__V1__MmScheduleRequest *)call->params;
	eccp_arena *a = &call->arena;
	Eccp__V1__MatchmakingEvent *ev = event_load(call, "eventId", rq->event_id);
	if (ev == NULL)
		return false;
	if (!organises(call, ev)) {
		eccp_rpc_error(call, ST(PERMISSION_DENIED),
		               "only the organiser of event %s or the admin schedules it",
		               ev->id);
		return false;
	}
	memset(r, 0, sizeof(*r));
	memset(c, 0, sizeof(*c));
	if (!load_roster(call, ev->id, r))
		return false;
	if (r->n > MM_MAX_PARTICIPANTS) {
		eccp_rpc_error(
		    call, ST(FAILED_PRECONDITION),
		    "event %s has %zu participants; the scheduler takes at most %d",
		    ev->id, r->n, MM_MAX_PARTICIPANTS);
		return false;
	}
	add_mutual(a, r, c);
	if (!add_accepted(call, ev->id, r, c) ||
	    (!rq->unlock_all && !add_locked(call, ev->id, r, c)))
		return false;
	cands_merge(c);
	uint64_t h = 14695981039346656037ULL;
	for (size_t i = 0; i < r->n; i++) {
		const Eccp__V1__Registration *g = r->regs[i];
		h = fnv_bytes(h, r->ids[i], strlen(r->ids[i]) + 1);
		h = fnv_bytes(h, &g->n_available_slots, sizeof(g->n_available_slots));
		if (g->n_available_slots)
			h = fnv_bytes(h, g->available_slots,
			              g->n_available_slots * sizeof(*g->available_slots));
	}
	for (size_t k = 0; k < c->n; k++) {
		const cand *x = &c->v[k];
		int32_t v[5] = {(int32_t)x->a, (int32_t)x->b, (int32_t)x->cls,
		                x->lock_slot, x->lock_table};
		h = fnv_bytes(h, v, sizeof(v));
	}
	*ev_out = ev;
	*hash = h;
	return true;
}

/* Makes a run's plan (the scheduler's work), or NULL with the status set. */
static sched_plan *sched_make(eccp_rpc_call *call)
{
	mm *m = call->svc;
	const Eccp__V1__MmScheduleRequest *rq =
	    (const Eccp__V1__MmScheduleRequest *)call->params;
	eccp_arena *a = &call->arena;
	sched_plan *plan = eccp_arena_alloc(a, sizeof(*plan));
	if (!sched_inputs(call, &plan->ev, &plan->r, &plan->c, &plan->inputs))
		return NULL;
	Eccp__V1__MatchmakingEvent *ev = plan->ev;
	roster r = plan->r;
	cands c = plan->c;
	if (rq->include_suggested) {
		add_suggested(m, a, &r, &c);
		cands_merge(&c);
	}

	uint32_t S = ev->slots;
	uint8_t *avail = eccp_arena_alloc(a, r.n * S + 1);
	for (size_t i = 0; i < r.n; i++) {
		const Eccp__V1__Registration *g = r.regs[i];
		uint8_t *row = avail + i * S;
		if (g->n_available_slots == 0)
			memset(row, 1, S);
		for (size_t k = 0; k < g->n_available_slots; k++)
			if (g->available_slots[k] < S)
				row[g->available_slots[k]] = 1;
	}
	mm_meeting *mt = eccp_arena_alloc(a, (c.n + 1) * sizeof(*mt));
	for (size_t k = 0; k < c.n; k++)
		mt[k] = (mm_meeting){.a = c.v[k].a,
		                     .b = c.v[k].b,
		                     .cls = c.v[k].cls,
		                     .value = mm_meeting_value(c.v[k].cls, c.v[k].score),
		                     .lock_slot = c.v[k].lock_slot,
		                     .lock_table = c.v[k].lock_table};
	mm_sched_input in = {.n_slots = S,
	                     .n_tables = ev->tables,
	                     .n_participants = (uint32_t)r.n,
	                     .avail = avail,
	                     .meetings = mt,
	                     .n_meetings = c.n,
	                     .seed = rq->seed ? rq->seed : EV_SEED_DEFAULT};
	mm_sched_result res;
	memset(&res, 0, sizeof(res));
	res.mutual_share = 1;
	double ub = 0;
	bool ran = r.n > 0;
	if (ran) {
		if (mm_schedule(&in, &res) != 0) {
			const char *why = sched_error(a, res.error, &r, mt, c.n);
			if (strstr(res.error, "memory") != NULL)
				eccp_rpc_error(call, ST(INTERNAL),
				               "scheduling event %s: %s", ev->id, why);
			else
				eccp_rpc_error(call, ST(FAILED_PRECONDITION),
				               "event %s cannot be scheduled: %s", ev->id,
				               why);
			mm_sched_result_free(&res);
			return NULL;
		}
		ub = mm_schedule_upper_bound(&in);
		if (!isfinite(ub)) {
			eccp_warn("schedule of %s: no upper bound (out of memory)",
			          ev->id);
			ub = 0;
		}
		if (res.time_cut)
			eccp_warn("schedule of %s: the clock ended the search, so this "
			          "schedule may differ from run to run",
			          ev->id);
	}
	placed *pl = eccp_arena_alloc(a, (c.n + 1) * sizeof(*pl));
	size_t np = 0;
	for (size_t k = 0; ran && k < c.n; k++)
		if (res.place[k].slot >= 0)
			pl[np++] = (placed){res.place[k].slot, res.place[k].table, k};
	qsort(pl, np, sizeof(*pl), cmp_placed);
	int64_t now_ms = eccp_now_ms();
	plan->rep = report_of(a, &res, ub, now_ms);
	mm_sched_result_free(&res);
	plan->c = c;
	plan->pl = pl;
	plan->np = np;
	return plan;
}

/* On the thread pool: the scheduler's work, off the loop. */
void mm_schedule_prepare(eccp_rpc_call *call)
{
	call->prepared = sched_make(call);
}

/* On the loop: the plan stored when the store still holds what it was made
 * from (otherwise it is made again, here). */
void mm_schedule_rpc(eccp_rpc_call *call)
{
	const Eccp__V1__MmScheduleRequest *rq =
	    (const Eccp__V1__MmScheduleRequest *)call->params;
	eccp_arena *a = &call->arena;
	sched_plan *plan = call->prepared;
	Eccp__V1__MatchmakingEvent *ev;
	roster r;
	cands c;
	uint64_t now_inputs;
	if (!sched_inputs(call, &ev, &r, &c, &now_inputs))
		return;
	if (plan == NULL || plan->inputs != now_inputs) {
		if (plan != NULL)
			eccp_info("schedule of %s: its participants or requests changed "
			          "while it was made; made again",
			          ev->id);
		plan = sched_make(call);
		if (plan == NULL)
			return;
	}
	ev = plan->ev;
	r = plan->r;
	c = plan->c;
	placed *pl = plan->pl;
	size_t np = plan->np;
	Eccp__V1__ScheduleReport *rep = plan->rep;
	if (!store_run(call, ev, &r, &c, pl, np, rq->lock_all, rep))
		return;
	Eccp__V1__MmScheduleResponse *out = eccp_rpc_result(call);
	out->report = rep;
	out->meetings = eccp_arena_alloc(a, (np + 1) * sizeof(*out->meetings));
	for (size_t i = 0; i < np; i++) {
		const cand *k = &c.v[pl[i].k];
		out->meetings[out->n_meetings++] =
		    meeting_new(a, ev, r.ids[k->a], r.ids[k->b], kind_of_class(k->cls),
		                (uint32_t)pl[i].slot, (uint32_t)pl[i].table + 1,
		                rq->lock_all || k->lock_slot >= 0);
	}
	eccp_info("schedule of %s: %u of %u meetings placed (%u of %u mutual), value "
	          "%.1f of at most %.1f, in %.1f ms",
	          ev->id, rep->placed, rep->wanted, rep->mutual_placed,
	          rep->mutual_wanted, rep->value, rep->upper_bound, rep->elapsed_ms);
}

/* ---- MmLock -------------------------------------------------------------------- */

/* A locked meeting must stay in a slot both clusters can make: a run could
 * never place it otherwise (it refuses a lock it cannot keep), which is the
 * rule keeps_locked_slots holds a new availability to. False with the
 * status set. */
static bool lock_fits(eccp_rpc_call *call, const Eccp__V1__MatchmakingEvent *ev,
                      const Eccp__V1__Meeting *mt)
{
	const char *who[2] = {mt->cluster_a, mt->cluster_b};
	for (int i = 0; i < 2; i++) {
		bool failed;
		Eccp__V1__Registration *g = reg_load(call, ev->id, who[i], &failed);
		if (failed)
			return false;
		if (g == NULL) {
			eccp_rpc_error(call, ST(FAILED_PRECONDITION),
			               "cluster %s is not registered for event %s",
			               who[i], ev->id);
			return false;
		}
		bool fits = g->n_available_slots == 0;
		for (size_t k = 0; k < g->n_available_slots && !fits; k++)
			fits = g->available_slots[k] == mt->slot;
		if (!fits) {
			eccp_rpc_error(
			    call, ST(FAILED_PRECONDITION),
			    "cluster %s is no longer available in slot %u, where "
			    "its meeting with %s is: a lock there could not be "
			    "kept (schedule again first)",
			    who[i], mt->slot, who[1 - i]);
			return false;
		}
	}
	return true;
}

void mm_lock(eccp_rpc_call *call)
{
	const Eccp__V1__MmLockRequest *rq = (const Eccp__V1__MmLockRequest *)call->params;
	eccp_arena *a = &call->arena;
	bool a_ok = check_text(call, "clusterA", rq->cluster_a, EV_ID_MAX, true, false);
	if (check_text(call, "clusterB", rq->cluster_b, EV_ID_MAX, true, false) && a_ok &&
	    strcmp(rq->cluster_a, rq->cluster_b) == 0)
		eccp_rpc_field_error(call, "clusterB", "distinct",
		                     "a meeting is between two clusters");
	if (str(rq->event_id)[0] == '\0')
		eccp_rpc_field_error(call, "eventId", "required",
		                     "an event id is required");
	if (!eccp_rpc_ok(call))
		return;
	Eccp__V1__MatchmakingEvent *ev = event_load(call, "eventId", rq->event_id);
	if (ev == NULL)
		return;
	if (!organises(call, ev)) {
		eccp_rpc_error(call, ST(PERMISSION_DENIED),
		               "only the organiser of event %s or the admin locks and "
		               "unlocks its meetings",
		               ev->id);
		return;
	}
	/* stored pairs are ordered: the caller's may not be */
	bool swap = strcmp(rq->cluster_a, rq->cluster_b) > 0;
	const char *ca = swap ? rq->cluster_b : rq->cluster_a;
	const char *cb = swap ? rq->cluster_a : rq->cluster_b;
	sqlite3_stmt *q = eccp_store_stmt(
	    call->store, "SELECT " MEET_COLS " FROM mm_meetings WHERE event_id = ?1 AND"
	                 " cluster_a = ?2 AND cluster_b = ?3");
	if (q == NULL) {
		eccp_rpc_store_error(call);
		return;
	}
	sqlite3_bind_text(q, 1, ev->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, ca, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, cb, -1, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	Eccp__V1__Meeting *mt = rc == SQLITE_ROW ? meeting_row(a, ev, q) : NULL;
	sqlite3_reset(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		eccp_rpc_store_error(call);
		return;
	}
	if (mt == NULL) {
		eccp_rpc_error(call, ST(NOT_FOUND),
		               "no meeting of %s and %s in the schedule of event %s", ca,
		               cb, ev->id);
		return;
	}
	/* locked where it already is, or not at all */
	if (rq->locked && !lock_fits(call, ev, mt))
		return;
	sqlite3_stmt *w = eccp_store_stmt(
	    call->store, "UPDATE mm_meetings SET locked = ?4 WHERE event_id = ?1 AND"
	                 " cluster_a = ?2 AND cluster_b = ?3");
	if (w == NULL) {
		eccp_rpc_store_error(call);
		return;
	}
	sqlite3_bind_text(w, 1, ev->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(w, 2, ca, -1, SQLITE_STATIC);
	sqlite3_bind_text(w, 3, cb, -1, SQLITE_STATIC);
	sqlite3_bind_int(w, 4, rq->locked ? 1 : 0);
	if (eccp_store_run(w) != 0) {
		eccp_rpc_store_error(call);
		return;
	}
	mt->locked = rq->locked;
	Eccp__V1__MmLockResponse *r = eccp_rpc_result(call);
	r->meeting = mt;
}

/* ---- MmAgenda ------------------------------------------------------------------ */

/* What a participant calls the other side of a meeting: the cluster's name
 * in the partner index, else the name it registered with, else its id. */
static const char *cluster_name(eccp_rpc_call *call, const char *event_id, const char *id)
{
	bool failed;
	Eccp__V1__Cluster *c = profile_load(call, id, &failed);
	if (c != NULL && str(c->name)[0] != '\0')
		return c->name;
	Eccp__V1__Registration *g = failed ? NULL : reg_load(call, event_id, id, &failed);
	if (g != NULL && str(g->name)[0] != '\0')
		return g->name;
	return id;
}

static const char *kind_text(int kind)
{
	switch (kind) {
	case ECCP__V1__MEETING_KIND__MEETING_KIND_MUTUAL:
		return "You both asked to meet.";
	case ECCP__V1__MEETING_KIND__MEETING_KIND_ACCEPTED:
		return "A meeting request that was accepted.";
	default:
		return "Suggested by partner matching.";
	}
}

/* One meeting of an agenda as a VEVENT: its UID names the event and the
 * pair, so a calendar updates it when a later run moves it (SEQUENCE counts
 * the runs, and the unregistrations that cancelled meetings) and takes it out
 * when it is cancelled. */
static void agenda_event(eccp_rpc_call *call, eccp_ical *cal,
                         const Eccp__V1__MatchmakingEvent *ev, const char *me,
                         const Eccp__V1__Meeting *mt, int64_t stamp, int64_t runs,
                         bool cancelled)
{
	eccp_arena *a = &call->arena;
	const char *other =
	    strcmp(mt->cluster_a, me) == 0 ? mt->cluster_b : mt->cluster_a;
	eccp_ical_event e = {
	    .uid = eccp_arena_printf(a, "%s.%s.%s@eccp", ev->id, mt->cluster_a,
	                             mt->cluster_b),
	    .dtstamp = stamp,
	    .start = mt->start_time->seconds,
	    .end = mt->end_time->seconds,
	    .summary = eccp_arena_printf(a, "Meeting with %s",
	                                 cluster_name(call, ev->id, other)),
	    .description = eccp_arena_printf(a, "%s\n%s", ev->name, kind_text(mt->kind)),
	    .location = str(ev->venue)[0] != '\0'
	                    ? eccp_arena_printf(a, "Table %u, %s", mt->table, ev->venue)
	                    : eccp_arena_printf(a, "Table %u", mt->table),
	    .sequence = (uint64_t)runs,
	    .cancelled = cancelled,
	    .time_zone = ev->time_zone,
	};
	eccp_ical_add_event(cal, &e);
}

/* The agenda of cluster me: its meetings, and those cancelled since they
 * were scheduled, under the same UID, so a calendar that imported them takes
 * them out. A cluster that is not registered (any more) has one only while
 * meetings of it were cancelled (the organiser may have unregistered it);
 * NOT_FOUND otherwise. */
static bool agenda_build(eccp_rpc_call *call, const Eccp__V1__MatchmakingEvent *ev,
                         const char *me, bool registered, Eccp__V1__MmAgendaResponse *r)
{
	eccp_arena *a = &call->arena;
	Eccp__V1__Meeting **dropped;
	size_t n_dropped;
	if (!meetings_load(call, ev, false, me, &r->meetings, &r->n_meetings) ||
	    !meetings_load(call, ev, true, me, &dropped, &n_dropped))
		return false;
	if (!registered && r->n_meetings + n_dropped == 0) {
		eccp_rpc_error(call, ST(NOT_FOUND),
		               "cluster %s is not registered for event %s", me, ev->id);
		return false;
	}
	int64_t runs;
	bool failed;
	Eccp__V1__ScheduleReport *rep = report_load(call, ev->id, &runs, &failed);
	if (failed)
		return false;
	/* stamped with the run that made the agenda, so the same schedule gives
	 * the same text every time it is read */
	int64_t stamp =
	    rep != NULL && rep->time != NULL ? rep->time->seconds : eccp_now_ms() / 1000;
	eccp_ical cal;
	eccp_ical_begin(
	    &cal, NULL,
	    eccp_arena_printf(a, "%s: %s", ev->name, cluster_name(call, ev->id, me)));
	for (size_t i = 0; i < r->n_meetings; i++)
		agenda_event(call, &cal, ev, me, r->meetings[i], stamp, runs, false);
	for (size_t i = 0; i < n_dropped; i++)
		agenda_event(call, &cal, ev, me, dropped[i], stamp, runs, true);
	const char *text = eccp_ical_end(&cal, NULL);
	if (text != NULL)
		r->icalendar = eccp_arena_strdup(a, text);
	eccp_ical_free(&cal);
	if (text == NULL)
		eccp_rpc_error(call, ST(INTERNAL), "out of memory writing the iCalendar");
	return eccp_rpc_ok(call);
}

void mm_agenda(eccp_rpc_call *call)
{
	const Eccp__V1__MmAgendaRequest *rq =
	    (const Eccp__V1__MmAgendaRequest *)call->params;
	if (!check_text(call, "clusterId", rq->cluster_id, EV_ID_MAX, true, false))
		return;
	if (eccp_store_begin(call->store) != SQLITE_OK) {
		eccp_rpc_store_error(call);
		return;
	}
	Eccp__V1__MatchmakingEvent *ev = event_load(call, "eventId", rq->event_id);
	bool failed = false;
	Eccp__V1__Registration *me =
	    ev != NULL ? reg_load(call, ev->id, rq->cluster_id, &failed) : NULL;
	Eccp__V1__MmAgendaResponse out = ECCP__V1__MM_AGENDA_RESPONSE__INIT;
	if (ev != NULL && !failed &&
	    agenda_build(call, ev, rq->cluster_id, me != NULL, &out))
		*(Eccp__V1__MmAgendaResponse *)eccp_rpc_result(call) = out;
	eccp_store_rollback(call->store);
}
