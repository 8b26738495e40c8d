/* Webhook deliveries: a notification for a webhook subscription is POSTed
 * as JSON, signed as Standard Webhooks say (webhook-id, webhook-timestamp,
 * webhook-signature), through libcurl's multi interface driven by the
 * libuv loop.
 *
 * Each delivery is a row of deliveries, written in the transaction that
 * stores its notification. Taking a due delivery writes a lease (its next
 * attempt moved past the request's timeout) before the request goes out, so
 * a crash during a request means the delivery is tried again after the
 * lease: at least once, and the receiver tells repeats by webhook-id.
 * A 2xx answer delivers it; 410 Gone disables the subscription; anything
 * else (another status, a timeout, no connection) is tried again after an
 * exponential backoff with jitter (or the Retry-After the answer gave), and
 * after the last attempt the delivery is failed: the dead-letter list. */
#include "notification.h"

#include "crypto.h"
#include "json.h"
#include "log.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

enum {
	DELIVERY_PENDING = ECCP__V1__DELIVERY_STATE__DELIVERY_STATE_PENDING,
	DELIVERY_DELIVERED = ECCP__V1__DELIVERY_STATE__DELIVERY_STATE_DELIVERED,
	DELIVERY_RETRYING = ECCP__V1__DELIVERY_STATE__DELIVERY_STATE_RETRYING,
	DELIVERY_FAILED = ECCP__V1__DELIVERY_STATE__DELIVERY_STATE_FAILED,
};

#define WEBHOOK_TICK_MS 250 /* due deliveries are looked for at least this often */
/* the next attempt of a delivery whose subscription is disabled (410 Gone):
 * never, until a redelivery enables the subscription again */
#define NOTIF_PARKED INT64_MAX
/* deliveries taken in one transaction, at most (the concurrency's maximum) */
#define WEBHOOK_BATCH 256

typedef struct hook_req {
	struct hook_req *prev, *next; /* in flight */
	struct notif_hooks *h;
	CURL *easy;
	struct curl_slist *headers;
	char *body;
	char id[64];
	int attempts;        /* before this one */
	int64_t retry_after; /* ms, from the answer; -1 none */
} hook_req;

typedef struct hook_sock {
	uv_poll_t poll;
	curl_socket_t fd;
	struct notif_hooks *h;
} hook_sock;

/* An answered (or failed) request, to be recorded. */
typedef struct outcome {
	char id[64];
	int state, attempts, status;
	int64_t next;
	bool gone;
	char why[128];
} outcome;

struct notif_hooks {
	notif *n;
	CURLM *multi;
	uv_timer_t curl_timer; /* libcurl's timeouts */
	uv_timer_t tick;       /* looking for due deliveries */
	uv_timer_t soon;       /* recording outcomes and sending more */
	int in_flight;
	hook_req *flying; /* the requests in flight */
	outcome *done;    /* answered since the last recording */
	size_t n_done, cap_done;
	bool closing;
	bool timers; /* curl_timer, tick and soon are initialised */
	/* options */
	int timeout_ms, attempts, concurrency;
	int64_t backoff_ms, backoff_max_ms;
};

static void on_soon(uv_timer_t *t);

/* ---- recording a delivery (inside the notifying transaction) ------------------- */

int notif_delivery_add(eccp_store *st, const char *notification_id, const char *sub_id,
                       int64_t seq)
{
	sqlite3_stmt *w = eccp_store_stmt(
	    st, "INSERT OR IGNORE INTO deliveries (notification_id, sub_id, seq, state,"
	        " next_ms) VALUES (?1, ?2, ?3, ?4, ?5)");
	if (w == NULL)
		return -1;
	sqlite3_bind_text(w, 1, notification_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(w, 2, sub_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(w, 3, seq);
	sqlite3_bind_int(w, 4, DELIVERY_PENDING);
	sqlite3_bind_int64(w, 5, eccp_now_ms());
	return eccp_store_run(w);
}

/* ---- outcomes -------------------------------------------------------------------- */

static int64_t backoff(const struct notif_hooks *h, int attempts)
{
	int64_t d = h->backoff_ms;
	for (int i = 1; i < attempts && d < h->backoff_max_ms; i++)
		d *= 2;
	if (d > h->backoff_max_ms)
		d = h->backoff_max_ms;
	/* jitter: 80 % to 120 % */
	uint32_t r;
	eccp_random_bytes(&r, sizeof(r));
	return d * 8 / 10 + (int64_t)(r % (uint32_t)(d * 4 / 10 + 1));
}

/* A request's outcome is recorded with the others answered in the same turn
 * of the loop, in one transaction (which also leases the next due
 * deliveries): one commit for many deliveries. Until then it is only in
 * memory; a crash before the commit means the delivery is sent again after
 * its lease, as for a crash during the request. */
static void schedule(struct notif_hooks *h)
{
	if (!h->closing)
		uv_timer_start(&h->soon, on_soon, 0, 0);
}

static void finish(struct notif_hooks *h, hook_req *q, long status, const char *error)
{
	if (h->n_done == h->cap_done) {
		size_t cap = h->cap_done ? h->cap_done * 2 : 64;
		outcome *v = realloc(h->done, cap * sizeof(*v));
		if (v == NULL)
			return; /* the lease runs out and it is tried again */
		h->done = v;
		h->cap_done = cap;
	}
	outcome *o = &h->done[h->n_done++];
	memset(o, 0, sizeof(*o));
	snprintf(o->id, sizeof(o->id), "%s", q->id);
	o->attempts = q->attempts + 1;
	o->status = (int)status;
	o->gone = status == 410;
	const char *why = error;
	if (status >= 200 && status < 300) {
		o->state = DELIVERY_DELIVERED;
	} else if (o->gone) {
		o->state = DELIVERY_FAILED;
		why = "410 Gone: the subscription is disabled";
	} else if (o->attempts >= h->attempts) {
		o->state = DELIVERY_FAILED;
	} else {
		o->state = DELIVERY_RETRYING;
		o->next = eccp_now_ms() + (q->retry_after >= 0 ? q->retry_after
		                                               : backoff(h, o->attempts));
	}
	if (why != NULL)
		snprintf(o->why, sizeof(o->why), "%s", why);
	if (o->state == DELIVERY_FAILED)
		eccp_warn("webhook: delivery %s failed after %d attempt(s): %s", q->id,
		          o->attempts, why ? why : "no success");
	schedule(h);
}

/* Records the outcomes, inside the caller's transaction. A delivery of a
 * subscription that is disabled (by this 410 or an earlier one) waits
 * parked instead of being due. */
static bool record_outcomes(struct notif_hooks *h, eccp_store *st)
{
	sqlite3_stmt *w = eccp_store_stmt(
	    st, "UPDATE deliveries SET state = ?2, attempts = ?3, last_status = ?5,"
	        " last_error = ?6, next_ms = CASE WHEN ?2 = ?7 AND EXISTS (SELECT 1"
	        " FROM subscriptions s WHERE s.id = deliveries.sub_id AND s.disabled = 1)"
	        " THEN ?8 ELSE ?4 END WHERE notification_id = ?1");
	sqlite3_stmt *off = eccp_store_stmt(
	    st, "UPDATE subscriptions SET disabled = 1 WHERE id ="
	        " (SELECT sub_id FROM deliveries WHERE notification_id = ?1)");
	sqlite3_stmt *park = eccp_store_stmt(
	    st, "UPDATE deliveries SET next_ms = ?2 WHERE sub_id ="
	        " (SELECT sub_id FROM deliveries WHERE notification_id = ?1)"
	        " AND state IN (?3, ?4)");
	if (w == NULL || off == NULL || park == NULL)
		return false;
	for (size_t i = 0; i < h->n_done; i++) {
		const outcome *o = &h->done[i];
		sqlite3_bind_text(w, 1, o->id, -1, SQLITE_STATIC);
		sqlite3_bind_int(w, 2, o->state);
		sqlite3_bind_int(w, 3, o->attempts);
		sqlite3_bind_int64(w, 4, o->next);
		sqlite3_bind_int(w, 5, o->status);
		if (o->why[0] != '\0')
			sqlite3_bind_text(w, 6, o->why, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(w, 6);
		sqlite3_bind_int(w, 7, DELIVERY_RETRYING);
		sqlite3_bind_int64(w, 8, NOTIF_PARKED);
		if (eccp_store_run(w) != 0)
			return false;
		if (!o->gone)
			continue;
		sqlite3_bind_text(off, 1, o->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(park, 1, o->id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(park, 2, NOTIF_PARKED);
		sqlite3_bind_int(park, 3, DELIVERY_PENDING);
		sqlite3_bind_int(park, 4, DELIVERY_RETRYING);
		if (eccp_store_run(off) != 0 || eccp_store_run(park) != 0)
			return false;
	}
	return true;
}

static void req_free(hook_req *q)
{
	struct notif_hooks *h = q->h;
	if (q->prev)
		q->prev->next = q->next;
	else if (h->flying == q)
		h->flying = q->next;
	if (q->next)
		q->next->prev = q->prev;
	curl_slist_free_all(q->headers);
	free(q->body);
	free(q);
}

static void check_done(struct notif_hooks *h)
{
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		hook_req *q;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&q);
		long status = 0;
		if (m->data.result == CURLE_OK)
			curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE,
			                  &status);
		char why[128] = "";
		if (m->data.result != CURLE_OK)
			snprintf(why, sizeof(why), "%s",
			         curl_easy_strerror(m->data.result));
		else if (status < 200 || status >= 300)
			snprintf(why, sizeof(why), "HTTP %ld", status);
		curl_multi_remove_handle(h->multi, m->easy_handle);
		curl_easy_cleanup(m->easy_handle);
		h->in_flight--;
		if (!h->closing)
			finish(h, q, status, why[0] ? why : NULL);
		req_free(q);
	}
}

/* ---- libcurl on the libuv loop ------------------------------------------------------
 */

static void on_poll(uv_poll_t *p, int status, int events)
{
	hook_sock *s = p->data;
	int flags = 0;
	if (status < 0)
		flags = CURL_CSELECT_ERR;
	if (events & UV_READABLE)
		flags |= CURL_CSELECT_IN;
	if (events & UV_WRITABLE)
		flags |= CURL_CSELECT_OUT;
	int running;
	curl_multi_socket_action(s->h->multi, s->fd, flags, &running);
	check_done(s->h);
}

static void sock_closed(uv_handle_t *hd)
{
	free(hd->data);
}

static int on_socket(CURL *e, curl_socket_t fd, int what, void *arg, void *sockp)
{
	(void)e;
	struct notif_hooks *h = arg;
	hook_sock *s = sockp;
	if (what == CURL_POLL_REMOVE) {
		if (s != NULL) {
			uv_poll_stop(&s->poll);
			uv_close((uv_handle_t *)&s->poll, sock_closed);
			curl_multi_assign(h->multi, fd, NULL);
		}
		return 0;
	}
	if (s == NULL) {
		s = calloc(1, sizeof(*s));
		if (s == NULL)
			return -1;
		s->fd = fd;
		s->h = h;
		s->poll.data = s;
		if (uv_poll_init_socket(eccp_daemon_loop(h->n->d), &s->poll, fd) != 0) {
			free(s);
			return -1;
		}
		curl_multi_assign(h->multi, fd, s);
	}
	int events = 0;
	if (what & CURL_POLL_IN)
		events |= UV_READABLE;
	if (what & CURL_POLL_OUT)
		events |= UV_WRITABLE;
	uv_poll_start(&s->poll, events, on_poll);
	return 0;
}

static void on_curl_timer(uv_timer_t *t)
{
	struct notif_hooks *h = t->data;
	int running;
	curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(h);
}

static int on_timer(CURLM *m, long ms, void *arg)
{
	(void)m;
	struct notif_hooks *h = arg;
	if (ms < 0)
		uv_timer_stop(&h->curl_timer);
	else
		uv_timer_start(&h->curl_timer, on_curl_timer, (uint64_t)ms, 0);
	return 0;
}

/* ---- sending ------------------------------------------------------------------------
 */

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	hook_req *q = arg;
	size_t len = size * n;
	if (len > 12 && strncasecmp(p, "retry-after:", 12) == 0) {
		char buf[32];
		size_t l = len - 12 < sizeof(buf) - 1 ? len - 12 : sizeof(buf) - 1;
		memcpy(buf, p + 12, l);
		buf[l] = '\0';
		char *end;
		long s = strtol(buf, &end, 10);
		if (end != buf && s >= 0 && s <= 86400)
			q->retry_after = (int64_t)s * 1000;
	}
	return len;
}

static void send_one(struct notif_hooks *h, const char *id, int attempts, const char *url,
                     const char *secret, const void *blob, size_t blob_len)
{
	Eccp__V1__Notification *m = eccp__v1__notification__unpack(NULL, blob_len, blob);
	if (m == NULL)
		return;
	char *body = eccp_json_encode(&m->base, 0);
	eccp__v1__notification__free_unpacked(m, NULL);
	hook_req *q = calloc(1, sizeof(*q));
	if (body == NULL || q == NULL) {
		free(body);
		free(q);
		return;
	}
	q->h = h;
	q->body = body;
	q->attempts = attempts;
	q->retry_after = -1;
	snprintf(q->id, sizeof(q->id), "%s", id);
	int64_t ts = eccp_now_ms() / 1000;
	char sig[ECCP_WEBHOOK_SIGNATURE_LEN + 1];
	if (!eccp_webhook_sign(secret, id, ts, body, strlen(body), sig)) {
		finish(h, q, 0, "the subscription's secret is unusable");
		req_free(q);
		return;
	}
	char line[256];
	q->headers = curl_slist_append(q->headers, "content-type: application/json");
	snprintf(line, sizeof(line), "webhook-id: %s", id);
	q->headers = curl_slist_append(q->headers, line);
	snprintf(line, sizeof(line), "webhook-timestamp: %lld", (long long)ts);
	q->headers = curl_slist_append(q->headers, line);
	snprintf(line, sizeof(line), "webhook-signature: %s", sig);
	q->headers = curl_slist_append(q->headers, line);
	q->headers = curl_slist_append(q->headers, "user-agent: eccp-notification");
	CURL *e = curl_easy_init();
	if (e == NULL || q->headers == NULL) {
		if (e)
			curl_easy_cleanup(e);
		req_free(q);
		return;
	}
	q->easy = e;
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, q->body);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, q->headers);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)h->timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)h->timeout_ms);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, q);
	curl_easy_setopt(e, CURLOPT_PRIVATE, q);
	if (curl_multi_add_handle(h->multi, e) != CURLM_OK) {
		curl_easy_cleanup(e);
		req_free(q);
		return;
	}
	q->next = h->flying;
	if (h->flying)
		h->flying->prev = q;
	h->flying = q;
	h->in_flight++;
}

typedef struct due {
	char *id, *url, *secret;
	void *blob;
	size_t len;
	int attempts;
} due;

/* Up to max due deliveries into v (finished deliveries have next_ms 0,
 * parked ones the largest integer: the range holds only those waiting);
 * with v NULL only whether there is one. The count, or -1. */
static int take_due(eccp_store *st, int64_t now, int max, due *v)
{
	sqlite3_stmt *q = eccp_store_stmt(
	    st, "SELECT d.notification_id, d.attempts, s.sub, s.secret, n.notification"
	        " FROM deliveries d JOIN subscriptions s ON s.id = d.sub_id"
	        " JOIN notifications n ON n.sub_id = d.sub_id AND n.seq = d.seq"
	        " WHERE d.next_ms BETWEEN 1 AND ?3 AND d.state IN (?1, ?2)"
	        " AND s.disabled = 0 ORDER BY d.next_ms LIMIT ?4");
	if (q == NULL)
		return -1;
	sqlite3_bind_int(q, 1, DELIVERY_PENDING);
	sqlite3_bind_int(q, 2, DELIVERY_RETRYING);
	sqlite3_bind_int64(q, 3, now);
	sqlite3_bind_int(q, 4, v ? max : 1);
	int n = 0;
	while (sqlite3_step(q) == SQLITE_ROW) {
		if (v == NULL) {
			n = 1;
			break;
		}
		Eccp__V1__Subscription *s = eccp__v1__subscription__unpack(
		    NULL, (size_t)sqlite3_column_bytes(q, 2), sqlite3_column_blob(q, 2));
		const char *secret = (const char *)sqlite3_column_text(q, 3);
		if (s != NULL &&
		    s->channel_case == ECCP__V1__SUBSCRIPTION__CHANNEL_WEBHOOK &&
		    secret != NULL) {
			due *d = &v[n++];
			d->id = strdup((const char *)sqlite3_column_text(q, 0));
			d->attempts = sqlite3_column_int(q, 1);
			d->url = strdup(s->webhook->url);
			d->secret = strdup(secret);
			d->len = (size_t)sqlite3_column_bytes(q, 4);
			d->blob = malloc(d->len + 1);
			if (d->blob)
				memcpy(d->blob, sqlite3_column_blob(q, 4), d->len);
		}
		if (s != NULL)
			eccp__v1__subscription__free_unpacked(s, NULL);
	}
	sqlite3_reset(q);
	return n;
}

/* Records what was answered, then takes the due deliveries (as many as may
 * be in flight) and leases them, in one transaction, and sends them. The
 * outcomes come first: a 410 among them disables its subscription before
 * its other deliveries could be taken. */
static void dispatch(struct notif_hooks *h)
{
	if (h->closing)
		return;
	int room = h->concurrency - h->in_flight;
	if (room > (int)WEBHOOK_BATCH)
		room = WEBHOOK_BATCH;
	eccp_store *st = eccp_daemon_store(h->n->d);
	int64_t now = eccp_now_ms();
	/* Looking takes no write lock: the timer looks often and mostly finds
	 * nothing. Nothing else writes the store but this loop thread. */
	if (h->n_done == 0 && (room <= 0 || take_due(st, now, 1, NULL) <= 0))
		return;
	sqlite3_stmt *lease = eccp_store_stmt(
	    st, "UPDATE deliveries SET next_ms = ?2 WHERE notification_id = ?1");
	due v[WEBHOOK_BATCH];
	int n = 0;
	bool ok = lease != NULL && eccp_store_begin(st) == SQLITE_OK;
	ok = ok && record_outcomes(h, st);
	if (ok && room > 0)
		ok = (n = take_due(st, now, room, v)) >= 0;
	/* the lease: past the request's timeout, with room to record it */
	for (int i = 0; ok && i < n; i++) {
		sqlite3_bind_text(lease, 1, v[i].id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(lease, 2, now + 2LL * h->timeout_ms + 1000);
		ok = eccp_store_run(lease) == 0;
	}
	ok = ok && eccp_store_commit(st) == SQLITE_OK;
	if (!ok) {
		/* the outcomes are lost: their leases run out, they are sent again */
		eccp_error("webhook: recording deliveries: %s", eccp_store_errmsg(st));
		eccp_store_rollback(st);
	}
	h->n_done = 0;
	for (int i = 0; i < n; i++) {
		if (ok && v[i].id && v[i].url && v[i].secret && v[i].blob)
			send_one(h, v[i].id, v[i].attempts, v[i].url, v[i].secret,
			         v[i].blob, v[i].len);
		free(v[i].id);
		free(v[i].url);
		free(v[i].secret);
		free(v[i].blob);
	}
	int running;
	curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(h);
}

static void on_soon(uv_timer_t *t)
{
	dispatch(t->data);
}

static void on_tick(uv_timer_t *t)
{
	dispatch(t->data);
}

void notif_hooks_kick(notif *n)
{
	if (n->hooks != NULL && n->hooks->in_flight < n->hooks->concurrency)
		uv_timer_start(&n->hooks->tick, on_tick, 0, WEBHOOK_TICK_MS);
}

int notif_hooks_open(notif *n, const eccp_config *cfg, char *err, size_t errlen)
{
	struct notif_hooks *h = calloc(1, sizeof(*h));
	if (h == NULL || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		free(h);
		snprintf(err, errlen, "cannot start libcurl");
		return -1;
	}
	n->hooks = h;
	h->n = n;
	h->timeout_ms = (int)eccp_config_int(cfg, "webhook-timeout-ms");
	h->attempts = (int)eccp_config_int(cfg, "webhook-attempts");
	h->concurrency = (int)eccp_config_int(cfg, "webhook-concurrency");
	h->backoff_ms = eccp_config_int(cfg, "webhook-backoff-ms");
	h->backoff_max_ms = eccp_config_int(cfg, "webhook-backoff-max-ms");
	h->multi = curl_multi_init();
	if (h->multi == NULL) {
		snprintf(err, errlen, "cannot start libcurl");
		return -1;
	}
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	/* a connection per request in flight is kept open for the next ones */
	curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, (long)h->concurrency);
	uv_loop_t *loop = eccp_daemon_loop(n->d);
	uv_timer_init(loop, &h->curl_timer);
	uv_timer_init(loop, &h->tick);
	uv_timer_init(loop, &h->soon);
	h->timers = true;
	h->curl_timer.data = h->tick.data = h->soon.data = h;
	uv_timer_start(&h->tick, on_tick, WEBHOOK_TICK_MS, WEBHOOK_TICK_MS);
	return 0;
}

/* Stopping, on the loop while it still runs: requests in flight are
 * abandoned (their leases run out and they are sent again after a
 * restart); libcurl's sockets and the timers are closed here, before the
 * daemon closes what is left. */
void notif_hooks_stop(notif *n)
{
	struct notif_hooks *h = n->hooks;
	if (h == NULL || h->closing)
		return;
	h->closing = true;
	while (h->flying != NULL) {
		hook_req *q = h->flying;
		curl_multi_remove_handle(h->multi, q->easy); /* closes its sockets */
		curl_easy_cleanup(q->easy);
		req_free(q);
	}
	if (h->multi != NULL)
		curl_multi_cleanup(h->multi);
	h->multi = NULL;
	if (h->timers) {
		uv_close((uv_handle_t *)&h->tick, NULL);
		uv_close((uv_handle_t *)&h->curl_timer, NULL);
		uv_close((uv_handle_t *)&h->soon, NULL);
	}
}

/* After the loop has closed everything. */
void notif_hooks_free(notif *n)
{
	struct notif_hooks *h = n->hooks;
	if (h == NULL)
		return;
	if (h->multi != NULL)
		curl_multi_cleanup(h->multi);
	curl_global_cleanup();
	free(h->done);
	free(h);
	n->hooks = NULL;
}

/* ---- Deliveries and Redeliver -------------------------------------------------------
 */

static Eccp__V1__Delivery *delivery_row(eccp_arena *a, sqlite3_stmt *q)
{
	Eccp__V1__Delivery *d = eccp_arena_alloc(a, sizeof(*d));
	eccp__v1__delivery__init(d);
	d->notification_id =
	    eccp_arena_strdup(a, (const char *)sqlite3_column_text(q, 0));
	d->subscription_id =
	    eccp_arena_strdup(a, (const char *)sqlite3_column_text(q, 1));
	d->seq = (uint64_t)sqlite3_column_int64(q, 2);
	d->state = (Eccp__V1__DeliveryState)sqlite3_column_int(q, 3);
	d->attempts = (uint32_t)sqlite3_column_int(q, 4);
	int64_t next = sqlite3_column_int64(q, 5);
	if (((int)d->state == DELIVERY_RETRYING || (int)d->state == DELIVERY_PENDING) &&
	    next != NOTIF_PARKED) {
		d->next_attempt_time = eccp_arena_alloc(a, sizeof(*d->next_attempt_time));
		eccp__v1__timestamp__init(d->next_attempt_time);
		d->next_attempt_time->seconds = next / 1000;
		d->next_attempt_time->nanos = (int32_t)(next % 1000) * 1000000;
	}
	d->last_http_status = sqlite3_column_int(q, 6);
	const char *e = (const char *)sqlite3_column_text(q, 7);
	d->last_error = e ? eccp_arena_strdup(a, e) : "";
	return d;
}

#define DELIVERIES_MAX 1000

void notif_deliveries(eccp_rpc_call *call)
{
	const Eccp__V1__DeliveriesRequest *rq =
	    (const Eccp__V1__DeliveriesRequest *)call->params;
	if (rq->limit > DELIVERIES_MAX) {
		eccp_rpc_field_error(call, "deliveries.limit", "max", "at most %d",
		                     DELIVERIES_MAX);
		return;
	}
	const char *org = eccp_caller_org(call);
	const char *sid =
	    rq->subscription_id && rq->subscription_id[0] ? rq->subscription_id : NULL;
	if (sid != NULL && notif_sub_load(call, sid) == NULL)
		return;
	sqlite3_stmt *q = eccp_store_stmt(
	    call->store,
	    "SELECT d.notification_id, d.sub_id, d.seq, d.state, d.attempts, d.next_ms,"
	    " d.last_status, d.last_error FROM deliveries d"
	    " JOIN subscriptions s ON s.id = d.sub_id"
	    " WHERE (?1 IS NULL OR d.sub_id = ?1) AND (?2 IS NULL OR s.owner = ?2)"
	    " AND (?3 = 0 OR d.state = ?4)"
	    " ORDER BY d.sub_id, d.seq LIMIT ?5");
	if (q == NULL) {
		eccp_rpc_store_error(call);
		return;
	}
	uint32_t limit = rq->limit ? rq->limit : 100;
	if (sid)
		sqlite3_bind_text(q, 1, sid, -1, SQLITE_STATIC);
	if (org)
		sqlite3_bind_text(q, 2, org, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 3, rq->failed_only);
	sqlite3_bind_int(q, 4, DELIVERY_FAILED);
	sqlite3_bind_int(q, 5, (int)limit);
	Eccp__V1__DeliveriesResponse *r = eccp_rpc_result(call);
	r->deliveries = eccp_arena_alloc(&call->arena, limit * sizeof(*r->deliveries));
	while (sqlite3_step(q) == SQLITE_ROW)
		r->deliveries[r->n_deliveries++] = delivery_row(&call->arena, q);
	sqlite3_reset(q);
}

void notif_redeliver(eccp_rpc_call *call)
{
	const Eccp__V1__RedeliverRequest *rq =
	    (const Eccp__V1__RedeliverRequest *)call->params;
	const char *id = rq->notification_id ? rq->notification_id : "";
	if (id[0] == '\0') {
		eccp_rpc_field_error(call, "redeliver.notificationId", "required",
		                     "a notification id is required");
		return;
	}
	const char *org = eccp_caller_org(call);
	/* attempts start again; a subscription disabled by 410 is enabled again */
	sqlite3_stmt *w = eccp_store_stmt(
	    call->store,
	    "UPDATE deliveries SET state = ?3, attempts = 0, next_ms = ?4, last_error = "
	    "NULL"
	    " WHERE notification_id = ?1 AND sub_id IN"
	    " (SELECT id FROM subscriptions WHERE ?2 IS NULL OR owner = ?2)"
	    " RETURNING notification_id, sub_id, seq, state, attempts, next_ms,"
	    " last_status, last_error");
	sqlite3_stmt *en = eccp_store_stmt(
	    call->store, "UPDATE subscriptions SET disabled = 0 WHERE id = ?1");
	sqlite3_stmt *unpark = eccp_store_stmt(
	    call->store, "UPDATE deliveries SET next_ms = ?2 WHERE sub_id = ?1"
	                 " AND next_ms = ?3");
	if (w == NULL || en == NULL || unpark == NULL) {
		eccp_rpc_store_error(call);
		return;
	}
	sqlite3_bind_text(w, 1, id, -1, SQLITE_STATIC);
	if (org)
		sqlite3_bind_text(w, 2, org, -1, SQLITE_STATIC);
	sqlite3_bind_int(w, 3, DELIVERY_PENDING);
	sqlite3_bind_int64(w, 4, eccp_now_ms());
	Eccp__V1__Delivery *d = NULL;
	int rc = sqlite3_step(w);
	if (rc == SQLITE_ROW)
		d = delivery_row(&call->arena, w);
	while (rc == SQLITE_ROW)
		rc = sqlite3_step(w);
	sqlite3_reset(w);
	if (rc != SQLITE_DONE) {
		eccp_rpc_store_error(call);
		return;
	}
	if (d == NULL) {
		eccp_rpc_error(call, ECCP__V1__STATUS_CODE__STATUS_CODE_NOT_FOUND,
		               "no delivery of notification '%s'", id);
		return;
	}
	/* the subscription's other deliveries waiting for it go out again too */
	sqlite3_bind_text(en, 1, d->subscription_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(unpark, 1, d->subscription_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(unpark, 2, eccp_now_ms());
	sqlite3_bind_int64(unpark, 3, NOTIF_PARKED);
	if (eccp_store_run(en) != 0 || eccp_store_run(unpark) != 0) {
		eccp_rpc_store_error(call);
		return;
	}
	((notif *)call->svc)->hook_added = true;
	Eccp__V1__RedeliverResponse *r = eccp_rpc_result(call);
	r->delivery = d;
}
