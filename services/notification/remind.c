/* Reminders N days before a call's deadline.
 *
 * When a subscriber with reminder days is told about a call (NEW or
 * UPDATED), one reminder per day count is planned at deadline - N days in
 * reminders (planned again when the deadline moves; dropped when that
 * moment has already passed: a reminder after the fact reminds of nothing).
 * A withdrawal cancels them. They live in the store, so they survive
 * restarts; a timer on the loop sends the due ones as REMINDER
 * notifications (with days_left), numbered and delivered like any other, and
 * not for a call that is withdrawn or closed by then. */
#include "notification.h"

#include "log.h"

#include <stdlib.h>
#include <string.h>

#define DAY_MS         86400000LL
#define REMIND_TICK_MS 1000
#define REMIND_BATCH   500

enum { REMINDER_PLANNED = 0, REMINDER_SENT = 1, REMINDER_CANCELLED = 2 };

static int64_t deadline_ms(const Eccp__V1__ContentItem *it)
{
	if (it == NULL || it->body_case != ECCP__V1__CONTENT_ITEM__BODY_CALL ||
	    !eccp_timestamp_set(it->call->deadline))
		return 0;
	return it->call->deadline->seconds * 1000 + it->call->deadline->nanos / 1000000;
}

int notif_reminders_plan(eccp_store *st, const char *sub_id, const char *days,
                         const Eccp__V1__ContentItem *it)
{
	int64_t deadline = deadline_ms(it);
	if (days == NULL || days[0] == '\0' || deadline == 0)
		return 0;
	sqlite3_stmt *w = eccp_store_stmt(
	    st, "INSERT INTO reminders (sub_id, item_id, days, due_ms, state)"
	        " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (sub_id, item_id, days)"
	        " DO UPDATE SET due_ms = excluded.due_ms, state = excluded.state"
	        " WHERE due_ms <> excluded.due_ms");
	sqlite3_stmt *d = eccp_store_stmt(
	    st, "UPDATE reminders SET state = ?4 WHERE sub_id = ?1 AND item_id = ?2"
	        " AND days = ?3 AND state = ?5");
	if (w == NULL || d == NULL)
		return -1;
	int64_t now = eccp_now_ms();
	for (const char *p = days; *p != '\0';) {
		char *end;
		long n = strtol(p, &end, 10);
		if (end == p)
			break;
		p = *end == ',' ? end + 1 : end;
		if (n < 1 || n > 365)
			continue;
		int64_t due = deadline - n * DAY_MS;
		sqlite3_stmt *s = due > now ? w : d;
		sqlite3_bind_text(s, 1, sub_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, it->id, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 3, (int)n);
		if (s == w) {
			sqlite3_bind_int64(w, 4, due);
			sqlite3_bind_int(w, 5, REMINDER_PLANNED);
		} else {
			sqlite3_bind_int(d, 4, REMINDER_CANCELLED);
			sqlite3_bind_int(d, 5, REMINDER_PLANNED);
		}
		if (eccp_store_run(s) != 0)
			return -1;
	}
	return 0;
}

int notif_reminders_cancel(eccp_store *st, const char *sub_id, const char *item_id)
{
	sqlite3_stmt *d = eccp_store_stmt(
	    st, "UPDATE reminders SET state = ?3 WHERE sub_id = ?1 AND item_id = ?2"
	        " AND state = ?4");
	if (d == NULL)
		return -1;
	sqlite3_bind_text(d, 1, sub_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(d, 2, item_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(d, 3, REMINDER_CANCELLED);
	sqlite3_bind_int(d, 4, REMINDER_PLANNED);
	return eccp_store_run(d);
}

/* One due reminder: sent, or cancelled when the call is withdrawn or
 * closed. 0, or -1 when the store failed. */
static int remind_one(notif *n, eccp_store *st, eccp_arena *a, const char *sub_id,
                      const char *item_id, int days, int64_t now)
{
	sqlite3_stmt *q = eccp_store_stmt(
	    st,
	    "SELECT t.notification, " SUB_REF_COLS_OF(
	        "s") " FROM notifications t"
	             " JOIN subscriptions s ON s.id = t.sub_id"
	             " WHERE t.sub_id = ?1 AND t.item_id = ?2 AND t.kind IN (?3, ?4, ?5)"
	             " ORDER BY t.seq DESC LIMIT 1");
	sqlite3_stmt *w = eccp_store_stmt(
	    st, "UPDATE reminders SET state = ?4 WHERE sub_id = ?1 AND item_id = ?2"
	        " AND days = ?3");
	if (q == NULL || w == NULL)
		return -1;
	sqlite3_bind_text(q, 1, sub_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, item_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 3, ECCP__V1__NOTIFICATION_KIND__NOTIFICATION_KIND_NEW);
	sqlite3_bind_int(q, 4, ECCP__V1__NOTIFICATION_KIND__NOTIFICATION_KIND_UPDATED);
	sqlite3_bind_int(q, 5, ECCP__V1__NOTIFICATION_KIND__NOTIFICATION_KIND_WITHDRAWN);
	Eccp__V1__Notification *last = NULL;
	sub_ref s = {.id = (char *)sub_id};
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		last = eccp__v1__notification__unpack(eccp_arena_allocator(a),
		                                      (size_t)sqlite3_column_bytes(q, 0),
		                                      sqlite3_column_blob(q, 0));
		notif_sub_ref_row(a, q, 1, &s);
	}
	sqlite3_reset(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -1;
	bool open =
	    last != NULL && last->item != NULL && !last->item->withdrawn &&
	    last->kind != ECCP__V1__NOTIFICATION_KIND__NOTIFICATION_KIND_WITHDRAWN &&
	    deadline_ms(last->item) > now;
	if (open && notif_notify(n, st, &s,
	                         ECCP__V1__NOTIFICATION_KIND__NOTIFICATION_KIND_REMINDER,
	                         last->item, NULL, item_id, last->item->version,
	                         (uint32_t)days) != 0)
		return -1;
	sqlite3_bind_text(w, 1, sub_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(w, 2, item_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(w, 3, days);
	sqlite3_bind_int(w, 4, open ? REMINDER_SENT : REMINDER_CANCELLED);
	return eccp_store_run(w);
}

static void remind_tick(uv_timer_t *t)
{
	notif *n = t->data;
	eccp_store *st = eccp_daemon_store(n->d);
	int64_t now = eccp_now_ms();
	sqlite3_stmt *q = eccp_store_stmt(
	    st, "SELECT sub_id, item_id, days FROM reminders WHERE state = ?1"
	        " AND due_ms <= ?2 ORDER BY due_ms LIMIT ?3");
	if (q == NULL)
		return;
	eccp_arena a;
	eccp_arena_init(&a);
	sqlite3_bind_int(q, 1, REMINDER_PLANNED);
	sqlite3_bind_int64(q, 2, now);
	sqlite3_bind_int(q, 3, REMIND_BATCH);
	struct due {
		char *sub, *item;
		int days;
	} *v = eccp_arena_alloc(&a, REMIND_BATCH * sizeof(*v));
	size_t k = 0;
	while (k < REMIND_BATCH && sqlite3_step(q) == SQLITE_ROW) {
		v[k].sub = eccp_arena_strdup(&a, (const char *)sqlite3_column_text(q, 0));
		v[k].item =
		    eccp_arena_strdup(&a, (const char *)sqlite3_column_text(q, 1));
		v[k].days = sqlite3_column_int(q, 2);
		k++;
	}
	sqlite3_reset(q);
	/* looking took no write lock: a transaction only when something is due */
	bool ok = k > 0 && eccp_store_begin(st) == SQLITE_OK;
	for (size_t i = 0; ok && i < k; i++)
		ok = remind_one(n, st, &a, v[i].sub, v[i].item, v[i].days, now) == 0;
	if (k > 0 && (!ok || eccp_store_commit(st) != SQLITE_OK)) {
		if (!ok)
			eccp_error("reminders: %s", eccp_store_errmsg(st));
		eccp_store_rollback(st);
	}
	eccp_arena_free(&a);
}

int notif_reminders_open(notif *n)
{
	uv_timer_init(eccp_daemon_loop(n->d), &n->remind);
	n->remind.data = n;
	n->remind_open = true;
	return uv_timer_start(&n->remind, remind_tick, REMIND_TICK_MS, REMIND_TICK_MS);
}

void notif_reminders_stop(notif *n)
{
	if (n->remind_open) {
		uv_close((uv_handle_t *)&n->remind, NULL);
		n->remind_open = false;
	}
}
