/* The full-text index, on a thread of its own.
 *
 * Making an item's row of the FTS5 index is most of what applying it costs.
 * It runs here, beside the loop thread, in a store of its own
 * (catalog-index.db: items_fts, what it holds per item, how far it got), so
 * that the two cores share the work of consuming.
 *
 * The catalogue's applying transaction numbers every upsert in changes (chg,
 * rid, the packed item it replaced) and records the item's newest number in
 * items.chg. This thread reads the changes after the last one it made
 * durable, in order, in one read transaction of the catalogue, and in one
 * transaction of its own store, for each change:
 *   - if the index holds a row for rid, it holds the text of the change
 *     just before this one, which is what the change replaced (old): the
 *     row is deleted with that text;
 *   - if this is the item's newest change (items.chg <= chg), the item's
 *     current body is indexed; otherwise a later change will do it (and
 *     finds no row to delete).
 * and moves "through" to the last change. Only then may the catalogue delete
 * the changes it has done (catalog_index_forget), so a crash of the process
 * loses nothing: at start whatever comes after "through" is done again.
 *
 * The index belongs to one catalogue (its store id) and one way of making
 * rows (CAT_INDEX_FORMAT). If it does not, or if it is ahead of the
 * catalogue, or behind the changes the catalogue still has, it is made again
 * from every item. Both stores are synchronous=NORMAL, so a power cut may
 * take the last commits of either; that is when the index can end up ahead
 * or behind, and being made again is the price (an fsync per indexing
 * transaction would be paid all the time, by ingest's fsyncs too).
 *
 * Segments are merged rarely while indexing and tidied when there is
 * nothing to index (index_tidy_step), as an LSM tree compacts in the
 * background.
 *
 * Searches wait (up to --index-wait-ms) until the index holds every change
 * committed before they arrived, so what was applied can be found; the
 * catalog becomes ready only once the index has caught up. */
#include "catalog.h"

#include "log.h"
#include "metrics.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Bump when the same item would make other words: doc_of and the facet
 * words (apply.c), the "eccp" tokenizer and its folding (common/text.c), the
 * country table. A row of a contentless index can only be deleted with the
 * words it was made of; another format makes the index again. */
#define CAT_INDEX_FORMAT 1
#define CAT_INDEX_BATCH  5000
/* Page caches: the index's writer appends segments and reads them back to
 * merge; the thread's reader of the catalogue reads each change once. */
#define CAT_INDEX_CACHE_KIB  8192
#define CAT_SOURCE_CACHE_KIB 2048
/* Pages of segments merged per step of tidying (4 MiB). */
#define CAT_TIDY_PAGES 1000
/* The catalogue deletes done changes in runs of at least this many. */
#define CAT_FORGET_RUN 1024
/* Text handed over from the loop thread (index_prep) waits in at most this
 * many bytes, and as many again in the transaction being applied. */
#define CAT_PREP_MAX (4u << 20)

static const char *const index_migrations[] = {
    /* 1 */
    "CREATE VIRTUAL TABLE items_fts USING fts5(title, summary, body, keywords,"
    " facets, content='', tokenize='eccp');"
    "INSERT INTO items_fts (items_fts, rank) VALUES ('hashsize', 16777216);"
    "INSERT INTO items_fts (items_fts, rank) VALUES ('automerge', 8);"
    /* through: last change done; through_rid: highest rid done;
     * format, store_id: what the index was made by and for */
    "CREATE TABLE state (k TEXT PRIMARY KEY, v ANY) WITHOUT ROWID;",
    /* 2: while indexing, merge segments only when a level has 16 (32 at
     * most); the thread merges levels of 4 or more when it has nothing to
     * index (index_tidy_step): merging less often while consuming made
     * catching up a fifth faster */
    "INSERT INTO items_fts (items_fts, rank) VALUES ('automerge', 16);"
    "INSERT INTO items_fts (items_fts, rank) VALUES ('crisismerge', 32);",
};

/* A new item's row made on the loop thread, which has decoded the item
 * already (catalog_index_offer): the thread then neither reads the item
 * from the catalogue nor decodes it again. Only a hint: the thread uses it
 * when its change, rowid, id and version are those it reads from the
 * catalogue, and reads the item otherwise. */
typedef struct index_prep {
	struct index_prep *next;
	int64_t chg, rid;
	uint64_t version;
	size_t size;
	char *id;
	cat_fts_doc doc;
} index_prep;

typedef struct prep_list {
	index_prep *head, *tail;
	size_t bytes;
} prep_list;

struct cat_index {
	catalog *c;
	char path[4096];
	eccp_store *ix;  /* the index, written by the thread */
	eccp_store *src; /* the catalogue, read-only, read by the thread */
	char store_id[64];

	pthread_t thread;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t work; /* wanted moved, or stop */
	pthread_cond_t done; /* through moved */
	uint64_t wanted;     /* the catalogue's last committed change */
	uint64_t through;    /* the last change the index holds durably */
	bool stop;
	prep_list queue;     /* committed hints, by change */
	pthread_cond_t room; /* the queue shrank */
	bool serving;        /* ready: a full queue drops hints, never waits */

	/* loop thread: hints of the transaction being applied */
	prep_list pending;
	uint64_t pending_mark;

	/* loop thread */
	uv_async_t progress;
	bool async_open;
	void (*ready)(void *arg);
	void *ready_arg;
	uint64_t ready_at;

	eccp_service_gauge *lag;
};

static void prep_free(prep_list *l)
{
	for (index_prep *p = l->head, *n; p != NULL; p = n) {
		n = p->next;
		free(p);
	}
	*l = (prep_list){0};
}

static void prep_append(prep_list *l, index_prep *p)
{
	p->next = NULL;
	if (l->tail)
		l->tail->next = p;
	else
		l->head = p;
	l->tail = p;
	l->bytes += p->size;
}

/* Appends all of from to to. */
static void prep_move(prep_list *to, prep_list *from)
{
	if (from->head == NULL)
		return;
	if (to->tail)
		to->tail->next = from->head;
	else
		to->head = from->head;
	to->tail = from->tail;
	to->bytes += from->bytes;
	*from = (prep_list){0};
}

/* A change as read from the catalogue. */
typedef struct index_row {
	int64_t chg, rid;
	bool newest;
	const void *old, *item;
	size_t old_len, len;
	index_prep *prep; /* or the loop thread's text (owned) */
} index_row;

/* The thread: the hint for change chg, if one came; drops older ones. */
static index_prep *prep_take(cat_index *x, int64_t chg)
{
	prep_list old = {0};
	index_prep *found = NULL;
	pthread_mutex_lock(&x->mu);
	bool took = x->queue.head != NULL && x->queue.head->chg <= chg;
	while (x->queue.head != NULL && x->queue.head->chg <= chg) {
		index_prep *p = x->queue.head;
		x->queue.head = p->next;
		if (x->queue.head == NULL)
			x->queue.tail = NULL;
		x->queue.bytes -= p->size;
		if (p->chg == chg && found == NULL)
			found = p;
		else
			prep_append(&old, p);
	}
	if (took)
		pthread_cond_broadcast(&x->room);
	pthread_mutex_unlock(&x->mu);
	prep_free(&old);
	return found;
}

static uint64_t catalog_last_change(eccp_store *st)
{
	return (uint64_t)eccp_store_query_int(
	    st, "SELECT seq FROM sqlite_sequence WHERE name = 'changes'", false, 0, 0);
}

static void set_lag(cat_index *x)
{
	if (x->lag != NULL)
		atomic_store(&x->lag->value, x->wanted > x->through
		                                 ? (long long)(x->wanted - x->through)
		                                 : 0);
}

/* ---- the thread ---------------------------------------------------------- */

static int state_set(eccp_store *ix, const char *k, int64_t v)
{
	sqlite3_stmt *st =
	    eccp_store_stmt(ix, "INSERT OR REPLACE INTO state (k, v) VALUES (?1, ?2)");
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, v);
	return eccp_store_run(st);
}

static int64_t state_int(eccp_store *ix, const char *k, int64_t dflt)
{
	sqlite3_stmt *st = eccp_store_stmt(ix, "SELECT v FROM state WHERE k = ?1");
	if (st == NULL)
		return dflt;
	sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
	int64_t v = dflt;
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) == SQLITE_INTEGER)
		v = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return v;
}

/* Whether the index holds a row for rid: FTS5 keeps each row's size in
 * its docsize table under the row's id. */
static int index_holds(eccp_store *ix, int64_t rid)
{
	sqlite3_stmt *q =
	    eccp_store_stmt(ix, "SELECT 1 FROM items_fts_docsize WHERE id = ?1");
	if (q == NULL)
		return -1;
	sqlite3_bind_int64(q, 1, rid);
	int rc = sqlite3_step(q);
	sqlite3_reset(q);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* One change into the index (inside its transaction). A first change
 * (old NULL) finds no row: an item's row is only made by its changes. */
static int index_change(eccp_store *ix, const index_row *r)
{
	int64_t rid = r->rid;
	const void *old = r->old, *item = r->item;
	size_t old_len = r->old_len, len = r->len;
	int rc;
	if (old != NULL && (rc = index_holds(ix, rid)) != 0) {
		if (rc < 0 || (rc = catalog_fts_write(ix, rid, old, old_len, true)) < 0)
			return -1;
		if (rc > 0) {
			/* The row cannot be deleted, and deleting it later with other
			 * words would damage the index: it is made again at the next
			 * start, and until then keeps the old words. */
			eccp_error(
			    "index: item %lld: the version it replaced is unreadable;"
			    " the index will be made again at the next start",
			    (long long)rid);
			return state_set(ix, "format", 0);
		}
	}
	if (r->prep != NULL)
		return catalog_fts_put(ix, rid, &r->prep->doc, false);
	if (!r->newest || item == NULL)
		return 0;
	rc = catalog_fts_write(ix, rid, item, len, false);
	if (rc > 0)
		eccp_warn("index: item %lld is stored unreadable; not searchable",
		          (long long)rid);
	return rc < 0 ? -1 : 0;
}

static const void *blob_copy(eccp_arena *a, sqlite3_stmt *q, int col, size_t *len)
{
	*len = (size_t)sqlite3_column_bytes(q, col);
	const void *b = sqlite3_column_blob(q, col);
	if (b == NULL)
		return NULL;
	void *c = eccp_arena_alloc(a, *len + 1);
	memcpy(c, b, *len);
	return c;
}

/* Reads up to CAT_INDEX_BATCH changes after from, in a read transaction of
 * the catalogue that ends at once: a reader that stayed while the rows are
 * indexed would keep the catalogue's WAL from starting again. *seen is the
 * catalogue's last change in that snapshot: what the batch decides (an item
 * skipped because a later change will index it) holds only as long as the
 * catalogue keeps that change. */
static int index_read(cat_index *x, int64_t from, eccp_arena *a, index_row **out,
                      size_t *n, uint64_t *seen)
{
	eccp_store *src = x->src;
	*n = 0;
	if (eccp_store_begin(src) != SQLITE_OK)
		return -1;
	*seen = catalog_last_change(src);
	sqlite3_stmt *q = eccp_store_stmt(
	    src, "SELECT c.chg, c.rid, c.old, i.chg, i.id, i.version FROM changes c"
	         " LEFT JOIN items i ON i.rid = c.rid"
	         " WHERE c.chg > ?1 ORDER BY c.chg LIMIT ?2");
	sqlite3_stmt *qb = eccp_store_stmt(src, "SELECT item FROM bodies WHERE rid = ?1");
	int rc = SQLITE_ERROR;
	if (q != NULL && qb != NULL) {
		index_row *v = eccp_arena_alloc(a, CAT_INDEX_BATCH * sizeof(*v));
		*out = v;
		sqlite3_bind_int64(q, 1, from);
		sqlite3_bind_int(q, 2, CAT_INDEX_BATCH);
		while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
			index_row *r = &v[(*n)++];
			memset(r, 0, sizeof(*r));
			r->chg = sqlite3_column_int64(q, 0);
			r->rid = sqlite3_column_int64(q, 1);
			r->newest = sqlite3_column_type(q, 3) != SQLITE_NULL &&
			            sqlite3_column_int64(q, 3) <= r->chg;
			r->old = blob_copy(a, q, 2, &r->old_len);
			index_prep *p = prep_take(x, r->chg);
			const char *id = (const char *)sqlite3_column_text(q, 4);
			if (p != NULL && r->newest && p->rid == r->rid && id != NULL &&
			    strcmp(p->id, id) == 0 &&
			    p->version == (uint64_t)sqlite3_column_int64(q, 5)) {
				r->prep = p;
				continue;
			}
			free(p);
			if (!r->newest)
				continue;
			sqlite3_bind_int64(qb, 1, r->rid);
			int rb = sqlite3_step(qb);
			if (rb == SQLITE_ROW)
				r->item = blob_copy(a, qb, 0, &r->len);
			sqlite3_reset(qb);
			if (rb != SQLITE_ROW && rb != SQLITE_DONE) {
				rc = rb;
				break;
			}
		}
		sqlite3_reset(q);
	}
	if (rc != SQLITE_DONE)
		eccp_error("index: reading the changes: %s", eccp_store_errmsg(src));
	eccp_store_rollback(src);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Indexes up to CAT_INDEX_BATCH changes after from. Returns the last change
 * done (from when there were none), or -1 when a store failed. */
static int64_t index_batch(cat_index *x, int64_t from)
{
	eccp_store *ix = x->ix;
	eccp_arena a;
	eccp_arena_init(&a);
	index_row *rows = NULL;
	size_t n = 0;
	int64_t last = from;
	uint64_t seen = 0;
	if (index_read(x, from, &a, &rows, &n, &seen) != 0) {
		for (size_t i = 0; i < n; i++)
			free(rows[i].prep);
		eccp_arena_free(&a);
		return -1;
	}
	if (n == 0) {
		eccp_arena_free(&a);
		return last;
	}
	bool failed = eccp_store_begin(ix) != SQLITE_OK;
	int64_t max_rid = failed ? 0 : state_int(ix, "through_rid", 0);
	for (size_t i = 0; !failed && i < n; i++) {
		const index_row *r = &rows[i];
		if (index_change(ix, r) != 0)
			failed = true;
		if (r->rid > max_rid)
			max_rid = r->rid;
	}
	if (!failed) {
		last = rows[n - 1].chg;
		failed = state_set(ix, "through", last) != 0 ||
		         state_set(ix, "through_rid", max_rid) != 0 ||
		         state_set(ix, "seen", (int64_t)seen) != 0 ||
		         eccp_store_commit(ix) != SQLITE_OK;
	}
	if (failed) {
		eccp_error("index: %s", eccp_store_errmsg(ix));
		last = -1;
	}
	eccp_store_rollback(ix); /* nothing done, or nothing left open */
	for (size_t i = 0; i < n; i++)
		free(rows[i].prep);
	eccp_arena_free(&a);
	return last;
}

/* One step of tidying the index while there is nothing to index: merges up
 * to CAT_TIDY_PAGES pages of segments on a level that has usermerge (4) or
 * more. Returns 1 when it merged, 0 when nothing was left, -1 on failure. */
static int index_tidy_step(cat_index *x)
{
	sqlite3 *db = eccp_store_db(x->ix);
	if (eccp_store_begin(x->ix) != SQLITE_OK)
		return -1;
	int before = sqlite3_total_changes(db);
	sqlite3_stmt *m = eccp_store_stmt(
	    x->ix, "INSERT INTO items_fts (items_fts, rank) VALUES ('merge', ?1)");
	int rc = SQLITE_ERROR;
	if (m != NULL) {
		sqlite3_bind_int(m, 1, CAT_TIDY_PAGES);
		rc = sqlite3_step(m);
		sqlite3_reset(m);
	}
	/* FTS5: a difference of 2 or more means the merge did some work */
	int merged = sqlite3_total_changes(db) - before >= 2;
	if (rc != SQLITE_DONE || eccp_store_commit(x->ix) != SQLITE_OK) {
		eccp_error("index: merging segments: %s", eccp_store_errmsg(x->ix));
		eccp_store_rollback(x->ix);
		return -1;
	}
	return merged;
}

static void *index_thread(void *arg)
{
	cat_index *x = arg;
	bool untidy = true; /* segments may be left to merge */
	pthread_mutex_lock(&x->mu);
	for (;;) {
		/* tidying waits until the catalog serves: catching up first */
		while (!x->stop && x->through >= x->wanted && !(untidy && x->serving))
			pthread_cond_wait(&x->work, &x->mu);
		if (x->stop)
			break;
		if (x->through >= x->wanted) {
			pthread_mutex_unlock(&x->mu);
			untidy = index_tidy_step(x) > 0;
			pthread_mutex_lock(&x->mu);
			continue;
		}
		untidy = true;
		uint64_t from = x->through;
		pthread_mutex_unlock(&x->mu);
		int64_t last = index_batch(x, (int64_t)from);
		if (last < 0) {
			sleep(1); /* a failing store: try again */
			pthread_mutex_lock(&x->mu);
			continue;
		}
		pthread_mutex_lock(&x->mu);
		if ((uint64_t)last == from) {
			/* nothing after from although wanted is ahead: the catalogue's
			 * counter moved by a transaction that rolled back */
			x->wanted = from;
		}
		x->through = (uint64_t)last;
		set_lag(x);
		pthread_cond_broadcast(&x->done);
		pthread_cond_broadcast(&x->room);
		uv_async_send(&x->progress);
	}
	pthread_mutex_unlock(&x->mu);
	return NULL;
}

/* ---- the loop side ------------------------------------------------------- */

void catalog_index_offer(catalog *c, eccp_store *st, int64_t chg, int64_t rid,
                         const char *id, uint64_t version, const cat_fts_doc *d)
{
	cat_index *x = c->index;
	uint64_t mark = eccp_store_txn_mark(st);
	if (x->pending.head != NULL && x->pending_mark != mark)
		prep_free(&x->pending); /* made in a transaction rolled back since */
	x->pending_mark = mark;
	const char *s[6] = {id, d->title, d->summary, d->body, d->keywords, d->facets};
	size_t len[6], size = sizeof(index_prep);
	for (int i = 0; i < 6; i++)
		size += (len[i] = strlen(s[i])) + 1;
	if (x->pending.bytes + size > CAT_PREP_MAX)
		return;
	index_prep *p = malloc(size);
	if (p == NULL)
		return;
	p->chg = chg;
	p->rid = rid;
	p->version = version;
	p->size = size;
	char *o = (char *)(p + 1);
	const char **dst[6] = {(const char **)&p->id, &p->doc.title,    &p->doc.summary,
	                       &p->doc.body,          &p->doc.keywords, &p->doc.facets};
	for (int i = 0; i < 6; i++) {
		memcpy(o, s[i], len[i] + 1);
		*dst[i] = o;
		o += len[i] + 1;
	}
	prep_append(&x->pending, p);
}

/* After every commit of the catalogue: the index has more to do, and the
 * hints of the transaction join the queue. Before the catalog serves, a
 * full queue holds up the loop thread (catching up, nothing else waits for
 * it); afterwards the hints are dropped. */
static void index_committed(void *arg)
{
	catalog *c = arg;
	cat_index *x = c->index;
	eccp_store *st = eccp_daemon_store(c->d);
	uint64_t last = catalog_last_change(st);
	prep_list hints = {0};
	if (x->pending_mark == eccp_store_committed_mark(st))
		hints = x->pending;
	else
		prep_free(&x->pending);
	x->pending = (prep_list){0};
	pthread_mutex_lock(&x->mu);
	if (last > x->wanted) {
		x->wanted = last;
		set_lag(x);
		pthread_cond_signal(&x->work);
	}
	/* hints the thread has gone past are of no use */
	while (hints.head != NULL && (uint64_t)hints.head->chg <= x->through) {
		index_prep *p = hints.head;
		hints.head = p->next;
		hints.bytes -= p->size;
		free(p);
	}
	if (hints.head == NULL)
		hints.tail = NULL;
	/* a thread that fails to write cannot make room: wait a second at most,
	 * then go on without the hints */
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 1;
	int rc = 0;
	while (hints.head != NULL && !x->serving && !x->stop && rc != ETIMEDOUT &&
	       x->queue.bytes + hints.bytes > CAT_PREP_MAX && x->through < x->wanted)
		rc = pthread_cond_timedwait(&x->room, &x->mu, &until);
	if (x->queue.bytes + hints.bytes <= CAT_PREP_MAX)
		prep_move(&x->queue, &hints);
	pthread_mutex_unlock(&x->mu);
	prep_free(&hints);
}

static void index_progress(uv_async_t *h)
{
	cat_index *x = h->data;
	if (x->ready == NULL)
		return;
	pthread_mutex_lock(&x->mu);
	bool caught_up = x->through >= x->ready_at;
	if (caught_up) {
		x->serving = true;
		pthread_cond_signal(&x->work); /* may tidy now */
	}
	pthread_mutex_unlock(&x->mu);
	if (caught_up) {
		void (*ready)(void *) = x->ready;
		x->ready = NULL;
		eccp_info("index: caught up at change %llu",
		          (unsigned long long)x->ready_at);
		ready(x->ready_arg);
	}
}

void catalog_index_await(void *svc, void (*ready)(void *arg), void *arg)
{
	catalog *c = svc;
	cat_index *x = c->index;
	x->ready = ready;
	x->ready_arg = arg;
	x->ready_at = catalog_last_change(eccp_daemon_store(c->d));
	index_progress(&x->progress);
}

bool catalog_index_wait(catalog *c, int timeout_ms)
{
	cat_index *x = c->index;
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&x->mu);
	uint64_t target = x->wanted;
	int rc = 0;
	while (x->through < target && !x->stop && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&x->done, &x->mu, &until);
	bool ok = x->through >= target;
	pthread_mutex_unlock(&x->mu);
	return ok;
}

void catalog_index_sync(eccp_rpc_call *call)
{
	catalog *c = call->svc;
	if (c == NULL || c->index == NULL || c->index_wait_ms <= 0)
		return;
	if (!catalog_index_wait(c, c->index_wait_ms))
		eccp_debug("the index is more than %d ms behind: answering from what it "
		           "holds",
		           c->index_wait_ms);
}

int catalog_index_forget(catalog *c, eccp_store *st)
{
	cat_index *x = c->index;
	pthread_mutex_lock(&x->mu);
	uint64_t through = x->through;
	pthread_mutex_unlock(&x->mu);
	if (through < c->cleaned + CAT_FORGET_RUN)
		return 0;
	sqlite3_stmt *d = eccp_store_stmt(st, "DELETE FROM changes WHERE chg <= ?1");
	if (d == NULL)
		return -1;
	sqlite3_bind_int64(d, 1, (int64_t)through);
	if (eccp_store_run(d) != 0)
		return -1;
	/* if this transaction rolls back, the rows stay until the next run */
	c->cleaned = through;
	return 0;
}

/* ---- opening ------------------------------------------------------------- */

static int index_store_open(cat_index *x, char *err, size_t errlen)
{
	eccp_store_opts o = {
	    .path = x->path,
	    .synchronous = "NORMAL",
	    .migrations = index_migrations,
	    .n_migrations = ECCP_ARRAY_LEN(index_migrations),
	    .init = catalog_fts_init,
	    .cache_kib = CAT_INDEX_CACHE_KIB,
	};
	return eccp_store_open(&o, &x->ix, err, errlen);
}

/* Why the index cannot be used as it is, or NULL. */
static const char *index_mismatch(cat_index *x, eccp_store *st, uint64_t *through)
{
	sqlite3_stmt *q =
	    eccp_store_stmt(x->ix, "SELECT v FROM state WHERE k = 'store_id'");
	if (q == NULL)
		return "its state is unreadable";
	const unsigned char *id =
	    sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_text(q, 0) : NULL;
	bool same = id != NULL && strcmp((const char *)id, x->store_id) == 0;
	sqlite3_reset(q);
	if (!same)
		return "it is new or was made for another catalogue";
	if (state_int(x->ix, "format", 0) != CAT_INDEX_FORMAT)
		return "it was made by another version";
	int64_t t = state_int(x->ix, "through", -1);
	int64_t seen = state_int(x->ix, "seen", -1);
	uint64_t last = catalog_last_change(st);
	int64_t first = eccp_store_query_int(st, "SELECT MIN(chg) FROM changes", false, 0,
	                                     (int64_t)last + 1);
	if (t < 0 || seen < t || (uint64_t)seen > last)
		return "it is ahead of the catalogue (which lost its last commits)";
	if (t < first - 1)
		return "changes it has not made are gone";
	*through = (uint64_t)t;
	return NULL;
}

/* Makes the index again from every item. */
static int index_reset(cat_index *x, eccp_store *st, char *err, size_t errlen)
{
	eccp_store_close(x->ix);
	x->ix = NULL;
	char p[sizeof(x->path) + 8];
	const char *sfx[] = {"", "-wal", "-shm"};
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", x->path, sfx[i]);
		if (unlink(p) != 0 && errno != ENOENT) {
			snprintf(err, errlen, "removing %s: %s", p, strerror(errno));
			return -1;
		}
	}
	if (index_store_open(x, err, errlen) != 0)
		return -1;
	/* Every item becomes a change after the last one: none replaces
	 * anything, and items.chg = 0 makes each the item's newest. */
	uint64_t last = catalog_last_change(st);
	if (eccp_store_begin(st) != SQLITE_OK ||
	    eccp_store_exec(
	        st, "DELETE FROM changes;"
	            "UPDATE items SET chg = 0 WHERE chg <> 0;"
	            "INSERT INTO changes (rid) SELECT rid FROM items ORDER BY rid;") !=
	        SQLITE_OK ||
	    eccp_store_commit(st) != SQLITE_OK) {
		snprintf(err, errlen, "listing the items to index: %s",
		         eccp_store_errmsg(st));
		eccp_store_rollback(st);
		return -1;
	}
	sqlite3_stmt *q =
	    eccp_store_stmt(x->ix, "INSERT INTO state (k, v) VALUES ('store_id', ?1)");
	if (q == NULL || eccp_store_begin(x->ix) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", x->path, eccp_store_errmsg(x->ix));
		return -1;
	}
	sqlite3_bind_text(q, 1, x->store_id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	sqlite3_reset(q);
	if (rc != SQLITE_DONE || state_set(x->ix, "format", CAT_INDEX_FORMAT) != 0 ||
	    state_set(x->ix, "through", (int64_t)last) != 0 ||
	    state_set(x->ix, "seen", (int64_t)catalog_last_change(st)) != 0 ||
	    eccp_store_commit(x->ix) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", x->path, eccp_store_errmsg(x->ix));
		eccp_store_rollback(x->ix);
		return -1;
	}
	return 0;
}

int catalog_index_open(catalog *c, char *err, size_t errlen)
{
	eccp_store *st = eccp_daemon_store(c->d);
	cat_index *x = calloc(1, sizeof(*x));
	if (x == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	x->c = c;
	c->index = x;
	pthread_mutex_init(&x->mu, NULL);
	pthread_cond_init(&x->work, NULL);
	pthread_cond_init(&x->done, NULL);
	pthread_cond_init(&x->room, NULL);
	if (!catalog_index_path(eccp_store_path(st), x->path, sizeof(x->path))) {
		snprintf(err, errlen, "the index's path is too long");
		return -1;
	}
	sqlite3_stmt *q = eccp_store_stmt(st, "SELECT v FROM meta WHERE k = 'store_id'");
	if (q == NULL || sqlite3_step(q) != SQLITE_ROW) {
		if (q != NULL)
			sqlite3_reset(q);
		snprintf(err, errlen, "%s: no store id: %s", eccp_store_path(st),
		         eccp_store_errmsg(st));
		return -1;
	}
	snprintf(x->store_id, sizeof(x->store_id), "%s", sqlite3_column_text(q, 0));
	sqlite3_reset(q);

	/* The index is made from the catalogue: one that cannot be opened
	 * (damaged, or from a newer version) is made again too. */
	uint64_t through = 0;
	char cannot[600];
	const char *why = cannot;
	if (index_store_open(x, err, errlen) != 0)
		snprintf(cannot, sizeof(cannot), "it cannot be opened (%s)", err);
	else
		why = index_mismatch(x, st, &through);
	if (why != NULL) {
		int64_t items =
		    eccp_store_query_int(st, "SELECT COUNT(*) FROM items", false, 0, 0);
		/* a new catalogue gets a new index: worth a warning only when
		 * there is something to index again */
		if (items > 0)
			eccp_warn("index %s: %s; indexing all %lld items again", x->path,
			          why, (long long)items);
		else
			eccp_info("index %s: %s; indexing all %lld items again", x->path,
			          why, (long long)items);
		if (index_reset(x, st, err, errlen) != 0)
			return -1;
		through = (uint64_t)state_int(x->ix, "through", 0);
	}
	eccp_store_opts so = {.path = eccp_store_path(st),
	                      .flags = ECCP_STORE_READONLY,
	                      .cache_kib = CAT_SOURCE_CACHE_KIB};
	if (eccp_store_open(&so, &x->src, err, errlen) != 0)
		return -1;
	x->through = through;
	x->wanted = catalog_last_change(st);
	c->cleaned = 0;
	x->lag = eccp_metrics_gauge("catalog_index_lag",
	                            "Changes applied to the catalogue but not yet in its "
	                            "full-text index.");
	set_lag(x);
	uv_async_init(eccp_daemon_loop(c->d), &x->progress, index_progress);
	x->progress.data = x;
	x->async_open = true;
	eccp_store_on_commit(st, index_committed, c);
	if (pthread_create(&x->thread, NULL, index_thread, x) != 0) {
		snprintf(err, errlen, "cannot start the indexing thread");
		return -1;
	}
	x->started = true;
	return 0;
}

static void index_stop_thread(cat_index *x)
{
	if (!x->started)
		return;
	pthread_mutex_lock(&x->mu);
	x->stop = true;
	pthread_cond_broadcast(&x->work);
	pthread_cond_broadcast(&x->done);
	pthread_cond_broadcast(&x->room);
	pthread_mutex_unlock(&x->mu);
	pthread_join(x->thread, NULL);
	x->started = false;
}

static void index_free(cat_index *x)
{
	eccp_store_close(x->src);
	eccp_store_close(x->ix);
	pthread_mutex_destroy(&x->mu);
	pthread_cond_destroy(&x->work);
	pthread_cond_destroy(&x->done);
	pthread_cond_destroy(&x->room);
	prep_free(&x->queue);
	prep_free(&x->pending);
	free(x);
}

static void index_closed(uv_handle_t *h)
{
	index_free(h->data);
}

void catalog_index_stop(void *svc)
{
	catalog *c = svc;
	cat_index *x = c->index;
	if (x == NULL)
		return;
	eccp_store_on_commit(eccp_daemon_store(c->d), NULL, NULL);
	index_stop_thread(x);
}

void catalog_index_close(catalog *c)
{
	cat_index *x = c->index;
	if (x == NULL)
		return;
	catalog_index_stop(c);
	c->index = NULL;
	/* The progress handle is freed with x once the loop has closed it. */
	if (x->async_open && !uv_is_closing((uv_handle_t *)&x->progress))
		uv_close((uv_handle_t *)&x->progress, index_closed);
	else
		index_free(x);
}
