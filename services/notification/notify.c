/* From content events to notifications.
 *
 * Every content event is applied once (the consumer's cursor moves in the
 * same transaction). A new item is matched against the subscriptions
 * through the index (match.c): each subscription that wants it gets a NEW
 * notification. A later version goes, as UPDATED, to every subscription
 * that was told about the item, and as NEW to any that wants it only now; a
 * withdrawal goes, as WITHDRAWN, to every subscription that was told.
 * Paused subscriptions get nothing meanwhile.
 *
 * A notification is stored before anything is sent, with the next number
 * of its subscription (seq: 1, 2, 3, ... without gaps), at most once per
 * (subscription, item, version, kind). Once the transaction commits, the
 * notifications go out on the live PUB socket under the topic
 * "eccp.v1.notification.<subscription id>"; a listener that finds a gap in
 * the numbers, or was away, fetches what it missed (Fetch): the socket may
 * drop, the store does not. */
#include "notification.h"

#include "log.h"

#include <nng/nng.h>
#include <nng/protocol/pubsub0/pub.h>
#include <stdlib.h>
#include <string.h>

#define NOTIF_TOPIC      "eccp.v1.notification."
#define NOTIF_FETCH_MAX  1000
#define NOTIF_FETCH_DEF  100
#define NOTIF_LIVE_QUEUE (8u << 20) /* bytes waiting for a commit */

/* A notification made in the open transaction, sent when it commits. */
typedef struct notif_out {
	struct notif_out *next;
	size_t len;
	uint8_t msg[]; /* topic '\0' packed Notification */
} notif_out;

struct notif_live {
	nng_socket pub;
	bool open;
	notif_out *head, *tail;
	size_t bytes;
	uint64_t mark; /* the transaction they were made in */
};

/* ---- the index ------------------------------------------------------------- */

static void filter_of(const Eccp__V1__SubscriptionFilter *f, nf_filter *out)
{
	memset(out, 0, sizeof(*out));
	if (f == NULL)
		return;
	out->kinds = (const int *)f->kinds;
	out->n_kinds = f->n_kinds;
	out->ecosystems = (const int *)f->ecosystems;
	out->n_ecosystems = f->n_ecosystems;
	out->technologies = (const char *const *)f->technologies;
	out->n_technologies = f->n_technologies;
	out->countries = (const char *const *)f->countries;
	out->n_countries = f->n_countries;
	out->programmes = (const char *const *)f->programmes;
	out->n_programmes = f->n_programmes;
	out->keywords = (const char *const *)f->keywords;
	out->n_keywords = f->n_keywords;
	out->min_budget_eur = f->min_budget_eur;
}

int notif_index_add(notif *n, int64_t rowid, const Eccp__V1__Subscription *s)
{
	/* suggestions only: no content matches it */
	if (s->filter != NULL && s->filter->suggestions && s->filter->n_kinds == 0)
		return 0;
	nf_filter f;
	filter_of(s->filter, &f);
	return nf_index_add(n->index, (uint64_t)rowid, &f);
}

int notif_index_load(notif *n, char *err, size_t errlen)
{
	eccp_store *st = eccp_daemon_store(n->d);
	n->index = nf_index_new();
	sqlite3_stmt *q = eccp_store_stmt(st, "SELECT rowid, sub FROM subscriptions");
	if (n->index == NULL || q == NULL) {
		snprintf(err, errlen, "loading the subscriptions: %s",
		         eccp_store_errmsg(st));
		return -1;
	}
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		Eccp__V1__Subscription *s = eccp__v1__subscription__unpack(
		    NULL, (size_t)sqlite3_column_bytes(q, 1), sqlite3_column_blob(q, 1));
		if (s == NULL) {
			eccp_warn("subscription at row %lld is unreadable; skipped",
			          (long long)sqlite3_column_int64(q, 0));
			continue;
		}
		int ok = notif_index_add(n, sqlite3_column_int64(q, 0), s);
		eccp__v1__subscription__free_unpacked(s, NULL);
		if (ok != 0) {
			rc = SQLITE_NOMEM;
			break;
		}
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "loading the subscriptions: %s",
		         eccp_store_errmsg(st));
		return -1;
	}
	eccp_info("%zu subscription(s) in the matching index", nf_index_count(n->index));
	return 0;
}

/* ---- an item as the index sees it -------------------------------------------- */

static const char *join_text(eccp_arena *a, const char *const *parts, size_t n)
{
	size_t len = 1;
	for (size_t i = 0; i < n; i++)
		len += (parts[i] ? strlen(parts[i]) : 0) + 1;
	char *out = eccp_arena_alloc(a, len), *p = out;
	for (size_t i = 0; i < n; i++) {
		if (parts[i] == NULL || parts[i][0] == '\0')
			continue;
		size_t l = strlen(parts[i]);
		memcpy(p, parts[i], l);
		p += l;
		*p++ = ' ';
	}
	*p = '\0';
	return out;
}

static bool item_of(const Eccp__V1__ContentItem *it, eccp_arena *a, nf_item *out)
{
	memset(out, 0, sizeof(*out));
	out->kind = it->kind;
	switch (it->body_case) {
	case ECCP__V1__CONTENT_ITEM__BODY_CALL: {
		const Eccp__V1__Call *c = it->call;
		out->ecosystems = (const int *)c->ecosystems;
		out->n_ecosystems = c->n_ecosystems;
		out->technologies = (const char *const *)c->technologies;
		out->n_technologies = c->n_technologies;
		out->countries = (const char *const *)c->eligible_countries;
		out->n_countries = c->n_eligible_countries;
		out->programme = c->programme;
		out->budget_eur = c->total_budget_eur;
		const char *t[] = {c->title, c->summary, c->body, c->programme};
		out->text = join_text(a, t, 4);
		return true;
	}
	case ECCP__V1__CONTENT_ITEM__BODY_EVENT: {
		const Eccp__V1__Event *e = it->event;
		out->ecosystems = (const int *)e->ecosystems;
		out->n_ecosystems = e->n_ecosystems;
		out->technologies = (const char *const *)e->technologies;
		out->n_technologies = e->n_technologies;
		out->countries = (const char *const *)&e->country;
		out->n_countries = e->country && e->country[0] ? 1 : 0;
		const char *t[] = {e->title, e->summary, e->body, e->city};
		out->text = join_text(a, t, 4);
		return true;
	}
	case ECCP__V1__CONTENT_ITEM__BODY_NEWS: {
		const Eccp__V1__News *nw = it->news;
		out->ecosystems = (const int *)nw->ecosystems;
		out->n_ecosystems = nw->n_ecosystems;
		out->technologies = (const char *const *)nw->technologies;
		out->n_technologies = nw->n_technologies;
		out->countries = (const char *const *)nw->countries;
		out->n_countries = nw->n_countries;
		const char *t[] = {nw->title, nw->summary, nw->body};
		out->text = join_text(a, t, 3);
		return true;
	}
	case ECCP__V1__CONTENT_ITEM__BODY_CLUSTER: {
		const Eccp__V1__Cluster *c = it->cluster;
		out->ecosystems = (const int *)c->ecosystems;
		out->n_ecosystems = c->n_ecosystems;
		out->technologies = (const char *const *)c->technologies;
		out->n_technologies = c->n_technologies;
		out->countries = (const char *const *)&c->country;
		out->n_countries = c->country && c->country[0] ? 1 : 0;
		const char *t[] = {c->name, c->acronym, c->description};
		out->text = join_text(a, t, 3);
		return true;
	}
	default:
		return false;
	}
}

/* ---- notifications --------------------------------------------------------------- */

/* Queues a packed notification (ml bytes) for the live socket. */
static void live_queue(notif *n, eccp_store *st, const char *sub_id,
                       const uint8_t *packed, size_t ml)
{
	struct notif_live *l = n->live;
	uint64_t mark = eccp_store_txn_mark(st);
	if (l->head != NULL && l->mark != mark) { /* made in a rolled back one */
		for (notif_out *o = l->head, *next; o != NULL; o = next) {
			next = o->next;
			free(o);
		}
		l->head = l->tail = NULL;
		l->bytes = 0;
	}
	l->mark = mark;
	size_t tl = strlen(NOTIF_TOPIC) + strlen(sub_id) + 1;
	if (l->bytes + tl + ml > NOTIF_LIVE_QUEUE)
		return; /* the listener fetches it */
	notif_out *o = malloc(sizeof(*o) + tl + ml);
	if (o == NULL)
		return;
	memcpy(o->msg, NOTIF_TOPIC, strlen(NOTIF_TOPIC));
	memcpy(o->msg + strlen(NOTIF_TOPIC), sub_id, strlen(sub_id) + 1);
	memcpy(o->msg + tl, packed, ml);
	o->len = tl + ml;
	o->next = NULL;
	if (l->tail)
		l->tail->next = o;
	else
		l->head = o;
	l->tail = o;
	l->bytes += o->len;
}

/* Stores one notification (unless this one was made already) and queues
 * it for the live socket. 0, or -1 when the store failed. */
int notif_notify(notif *n, eccp_store *st, const sub_ref *s,
                 Eccp__V1__NotificationKind kind, const Eccp__V1__ContentItem *it,
                 const Eccp__V1__PartnerSuggestion *suggestion, const char *item_id,
                 uint64_t version, uint32_t days)
{
	if (s->paused)
		return 0;
	sqlite3_stmt *q = eccp_store_stmt(
	    st, "SELECT 1 FROM notifications WHERE sub_id = ?1 AND item_id = ?2"
	        " AND version = ?3 AND kind = ?4 AND days = ?5");
	sqlite3_stmt *u = eccp_store_stmt(
	    st, "SELECT ifnull(max(seq), 0) + 1 FROM notifications WHERE sub_id = ?1");
	sqlite3_stmt *w = eccp_store_stmt(
	    st,
	    "INSERT INTO notifications (sub_id, seq, item_id, version, kind,"
	    " notification, created_ms, days) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
	if (q == NULL || u == NULL || w == NULL)
		return -1;
	sqlite3_bind_text(q, 1, s->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, item_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, (int64_t)version);
	sqlite3_bind_int(q, 4, kind);
	sqlite3_bind_int(q, 5, (int)days);
	int rc = sqlite3_step(q);
	sqlite3_reset(q);
	if (rc == SQLITE_ROW)
		return 0; /* made already */
	if (rc != SQLITE_DONE)
		return -1;
	sqlite3_bind_text(u, 1, s->id, -1, SQLITE_STATIC);
	rc = sqlite3_step(u);
	int64_t seq = rc == SQLITE_ROW ? sqlite3_column_int64(u, 0) : 0;
	while (rc == SQLITE_ROW)
		rc = sqlite3_step(u);
	sqlite3_reset(u);
	if (rc != SQLITE_DONE || seq <= 0)
		return -1;

	char id[48];
	eccp_new_id("ntf_", id, sizeof(id));
	Eccp__V1__Notification m = ECCP__V1__NOTIFICATION__INIT;
	Eccp__V1__Timestamp now = ECCP__V1__TIMESTAMP__INIT;
	eccp_now(&now.seconds, &now.nanos);
	m.id = id;
	m.subscription_id = s->id;
	m.seq = (uint64_t)seq;
	m.kind = kind;
	m.item = (Eccp__V1__ContentItem *)it;
	m.suggestion = (Eccp__V1__PartnerSuggestion *)suggestion;
	m.time = &now;
	m.days_left = days;
	size_t len = eccp__v1__notification__get_packed_size(&m);
	uint8_t *buf = malloc(len + 1);
	if (buf == NULL)
		return -1;
	eccp__v1__notification__pack(&m, buf);
	sqlite3_bind_text(w, 1, s->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(w, 2, seq);
	sqlite3_bind_text(w, 3, item_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(w, 4, (int64_t)version);
	sqlite3_bind_int(w, 5, kind);
	sqlite3_bind_blob(w, 6, buf, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(w, 7, eccp_now_ms());
	sqlite3_bind_int(w, 8, (int)days);
	rc = eccp_store_run(w);
	if (rc == 0)
		live_queue(n, st, s->id, buf, len);
	free(buf);
	if (rc != 0)
		return -1;
	if (s->hook) {
		if (notif_delivery_add(st, id, s->id, seq) != 0)
			return -1;
		n->hook_added = true;
	}
	if (it != NULL &&
	    (kind == ECCP__V1__NOTIFICATION_KIND__NOTIFICATION_KIND_NEW ||
	     kind == ECCP__V1__NOTIFICATION_KIND__NOTIFICATION_KIND_UPDATED))
		return notif_reminders_plan(st, s->id, s->reminders, it);
	if (kind == ECCP__V1__NOTIFICATION_KIND__NOTIFICATION_KIND_WITHDRAWN)
		return notif_reminders_cancel(st, s->id, item_id);
	return 0;
}

typedef struct match_ctx {
	eccp_arena *a;
	int64_t *rowids;
	size_t n, cap;
} match_ctx;

static void match_cb(void *arg, uint64_t id)
{
	match_ctx *m = arg;
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		int64_t *v = eccp_arena_alloc(m->a, cap * sizeof(*v));
		if (m->n)
			memcpy(v, m->rowids, m->n * sizeof(*v));
		m->rowids = v;
		m->cap = cap;
	}
	m->rowids[m->n++] = (int64_t)id;
}

void notif_sub_ref_row(eccp_arena *a, sqlite3_stmt *q, int col, sub_ref *out)
{
	out->id = eccp_arena_strdup(a, (const char *)sqlite3_column_text(q, col));
	out->paused = sqlite3_column_int(q, col + 1) != 0;
	out->hook = sqlite3_column_int(q, col + 2) != 0;
	out->reminders =
	    eccp_arena_strdup(a, (const char *)sqlite3_column_text(q, col + 3));
}

/* The subscription at rowid, or false (deleted since: it leaves the index). */
static bool sub_at(notif *n, eccp_store *st, eccp_arena *a, int64_t rowid, sub_ref *out)
{
	sqlite3_stmt *q = eccp_store_stmt(st, "SELECT " SUB_REF_COLS
	                                      " FROM subscriptions WHERE rowid = ?1");
	if (q == NULL)
		return false;
	sqlite3_bind_int64(q, 1, rowid);
	bool found = sqlite3_step(q) == SQLITE_ROW;
	if (found)
		notif_sub_ref_row(a, q, 0, out);
	sqlite3_reset(q);
	if (!found)
		nf_index_remove(n->index, (uint64_t)rowid);
	return found;
}

/* Every row q (bound) gives, SUB_REF_COLS first, as a list in a. 0 or -1. */
static int sub_refs(sqlite3_stmt *q, eccp_arena *a, sub_ref **out, size_t *n)
{
	size_t cap = 0;
	*n = 0;
	*out = NULL;
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (*n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			sub_ref *v = eccp_arena_alloc(a, nc * sizeof(*v));
			if (cap)
				memcpy(v, *out, cap * sizeof(*v));
			*out = v;
			cap = nc;
		}
		notif_sub_ref_row(a, q, 0, &(*out)[(*n)++]);
	}
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Subscriptions told about item_id (any version), as a list in a. */
static int told_about(eccp_store *st, eccp_arena *a, const char *item_id, sub_ref **out,
                      size_t *n)
{
	sqlite3_stmt *q = eccp_store_stmt(
	    st, "SELECT DISTINCT " SUB_REF_COLS_OF(
	            "s") " FROM notifications t"
	                 " JOIN subscriptions s ON s.id = t.sub_id WHERE t.item_id = ?1"
	                 " ORDER BY s.id");
	if (q == NULL)
		return -1;
	sqlite3_bind_text(q, 1, item_id, -1, SQLITE_STATIC);
	return sub_refs(q, a, out, n);
}

static int apply_upsert(notif *n, eccp_store *st, const Eccp__V1__ContentItem *it)
{
	if (it == NULL || it->id == NULL || it->id[0] == '\0')
		return 1;
	eccp_arena a;
	eccp_arena_init(&a);
	int ret = -1;
	nf_item item;
	if (!item_of(it, &a, &item)) {
		ret = 1;
		goto out;
	}
	sub_ref *told = NULL;
	size_t n_told = 0;
	if (it->version > 1 && told_about(st, &a, it->id, &told, &n_told) != 0)
		goto out;
	for (size_t i = 0; i < n_told; i++)
		if (notif_notify(n, st, &told[i],
		                 ECCP__V1__NOTIFICATION_KIND__NOTIFICATION_KIND_UPDATED,
		                 it, NULL, it->id, it->version, 0) != 0)
			goto out;
	match_ctx m = {.a = &a};
	if (nf_index_match(n->index, &item, match_cb, &m, NULL) == SIZE_MAX)
		goto out;
	for (size_t i = 0; i < m.n; i++) {
		sub_ref s;
		if (!sub_at(n, st, &a, m.rowids[i], &s))
			continue;
		bool was_told = false;
		for (size_t j = 0; j < n_told && !was_told; j++)
			was_told = strcmp(told[j].id, s.id) == 0;
		if (!was_told &&
		    notif_notify(n, st, &s,
		                 ECCP__V1__NOTIFICATION_KIND__NOTIFICATION_KIND_NEW, it,
		                 NULL, it->id, it->version, 0) != 0)
			goto out;
	}
	ret = 0;
out:
	eccp_arena_free(&a);
	return ret;
}

static int apply_withdraw(notif *n, eccp_store *st, const Eccp__V1__ContentWithdrawn *w)
{
	if (w == NULL || w->id == NULL || w->id[0] == '\0')
		return 1;
	eccp_arena a;
	eccp_arena_init(&a);
	sub_ref *told = NULL;
	size_t n_told = 0;
	int ret = told_about(st, &a, w->id, &told, &n_told);
	if (ret == 0 && n_told > 0) {
		/* the item as the subscriber last saw it, marked withdrawn */
		Eccp__V1__ContentItem it = ECCP__V1__CONTENT_ITEM__INIT;
		it.id = w->id;
		it.version = w->version;
		it.withdrawn = true;
		it.organisation_id = w->organisation_id;
		it.kind = w->kind;
		for (size_t i = 0; i < n_told && ret == 0; i++)
			ret = notif_notify(
			    n, st, &told[i],
			    ECCP__V1__NOTIFICATION_KIND__NOTIFICATION_KIND_WITHDRAWN, &it,
			    NULL, w->id, w->version, 0);
	}
	eccp_arena_free(&a);
	return ret;
}

/* Partners suggested for a cluster: to the subscriptions that want
 * suggestions and belong to the cluster's organisation (or to the admin),
 * once per profile version. */
static int apply_suggestion(notif *n, eccp_store *st, const Eccp__V1__MatchSuggested *ms)
{
	const Eccp__V1__PartnerSuggestion *sg = ms ? ms->suggestion : NULL;
	if (sg == NULL || sg->cluster_id == NULL || sg->cluster_id[0] == '\0' ||
	    sg->organisation_id == NULL)
		return 1;
	sqlite3_stmt *q = eccp_store_stmt(st, "SELECT " SUB_REF_COLS
	                                      " FROM subscriptions WHERE suggestions = 1"
	                                      " AND owner IN (?1, '') ORDER BY id");
	if (q == NULL)
		return -1;
	sqlite3_bind_text(q, 1, sg->organisation_id, -1, SQLITE_STATIC);
	eccp_arena a;
	eccp_arena_init(&a);
	sub_ref *subs;
	size_t n_subs;
	int ret = sub_refs(q, &a, &subs, &n_subs);
	/* not the cluster's own id: a change of the profile is no update of
	 * what these subscribers were told */
	const char *about = eccp_arena_printf(&a, "suggestion:%s", sg->cluster_id);
	for (size_t i = 0; i < n_subs && ret == 0; i++)
		ret = notif_notify(
		    n, st, &subs[i],
		    ECCP__V1__NOTIFICATION_KIND__NOTIFICATION_KIND_SUGGESTION, NULL, sg,
		    about, sg->profile_version, 0);
	eccp_arena_free(&a);
	return ret;
}

int notif_apply(void *svc, eccp_store *st, const Eccp__V1__Envelope *env)
{
	switch (env->payload_case) {
	case ECCP__V1__ENVELOPE__PAYLOAD_CONTENT_UPSERTED:
		return apply_upsert(svc, st, env->content_upserted->item);
	case ECCP__V1__ENVELOPE__PAYLOAD_CONTENT_WITHDRAWN:
		return apply_withdraw(svc, st, env->content_withdrawn);
	case ECCP__V1__ENVELOPE__PAYLOAD_MATCH_SUGGESTED:
		return apply_suggestion(svc, st, env->match_suggested);
	default:
		return 0;
	}
}

/* ---- the live socket ------------------------------------------------------------- */

/* After every commit of the store: what the transaction notified goes out. */
static void live_committed(void *arg)
{
	notif *n = arg;
	struct notif_live *l = n->live;
	eccp_store *st = eccp_daemon_store(n->d);
	bool send = l->mark == eccp_store_committed_mark(st);
	if (n->hook_added) {
		n->hook_added = false;
		notif_hooks_kick(n);
	}
	for (notif_out *o = l->head, *next; o != NULL; o = next) {
		next = o->next;
		if (send)
			atomic_fetch_add(&n->made->value, 1);
		if (send && l->open) {
			nng_msg *msg;
			if (nng_msg_alloc(&msg, 0) == 0) {
				if (nng_msg_append(msg, o->msg, o->len) != 0 ||
				    nng_sendmsg(l->pub, msg, NNG_FLAG_NONBLOCK) != 0)
					nng_msg_free(msg);
			}
		}
		free(o);
	}
	l->head = l->tail = NULL;
	l->bytes = 0;
}

int notif_live_open(notif *n, const char *url, char *err, size_t errlen)
{
	struct notif_live *l = calloc(1, sizeof(*l));
	if (l == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	n->live = l;
	int rv = nng_pub0_open(&l->pub);
	if (rv == 0) {
		l->open = true;
		nng_socket_set_int(l->pub, NNG_OPT_SENDBUF, 8192);
		rv = nng_listen(l->pub, url, NULL, 0);
	}
	if (rv != 0) {
		snprintf(err, errlen, "--live-url %s: %s", url, nng_strerror(rv));
		return -1;
	}
	eccp_store_on_commit(eccp_daemon_store(n->d), live_committed, n);
	return 0;
}

void notif_live_close(notif *n)
{
	struct notif_live *l = n->live;
	if (l == NULL)
		return;
	eccp_store *st = eccp_daemon_store(n->d);
	if (st != NULL)
		eccp_store_on_commit(st, NULL, NULL);
	for (notif_out *o = l->head, *next; o != NULL; o = next) {
		next = o->next;
		free(o);
	}
	if (l->open)
		nng_close(l->pub);
	free(l);
	n->live = NULL;
}

/* ---- Fetch ------------------------------------------------------------------------ */

void notif_fetch(eccp_rpc_call *call)
{
	const Eccp__V1__FetchRequest *rq = (const Eccp__V1__FetchRequest *)call->params;
	if (rq->limit > NOTIF_FETCH_MAX) {
		eccp_rpc_field_error(call, "fetch.limit", "max", "at most %d",
		                     NOTIF_FETCH_MAX);
		return;
	}
	Eccp__V1__Subscription *s = notif_sub_load(call, rq->subscription_id);
	if (s == NULL)
		return;
	uint32_t limit = rq->limit ? rq->limit : NOTIF_FETCH_DEF;
	sqlite3_stmt *q = eccp_store_stmt(
	    call->store, "SELECT notification FROM notifications WHERE sub_id = ?1"
	                 " AND seq > ?2 ORDER BY seq LIMIT ?3");
	if (q == NULL) {
		eccp_rpc_store_error(call);
		return;
	}
	Eccp__V1__FetchResponse *r = eccp_rpc_result(call);
	r->last_seq = s->last_seq;
	r->notifications =
	    eccp_arena_alloc(&call->arena, limit * sizeof(*r->notifications));
	sqlite3_bind_text(q, 1, s->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, (int64_t)rq->after_seq);
	sqlite3_bind_int(q, 3, (int)limit);
	while (sqlite3_step(q) == SQLITE_ROW) {
		Eccp__V1__Notification *m = eccp__v1__notification__unpack(
		    eccp_arena_allocator(&call->arena),
		    (size_t)sqlite3_column_bytes(q, 0), sqlite3_column_blob(q, 0));
		if (m != NULL)
			r->notifications[r->n_notifications++] = m;
	}
	sqlite3_reset(q);
}
