#include "store.h"

#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct store_checkpointer store_checkpointer;

typedef struct store_stmt {
	const char *sql;
	sqlite3_stmt *stmt;
} store_stmt;

struct eccp_store {
	sqlite3 *db;
	char *path;
	unsigned flags;
	store_stmt *stmts; /* open addressing on the address of sql */
	size_t n_stmts, cap_stmts;
	int savepoints;
	uint64_t mark; /* changes at every BEGIN and every rollback */
	store_checkpointer *ckpt;
	void (*on_commit)(void *arg);
	void *on_commit_arg;
	uint64_t committed_mark; /* the mark of the last transaction committed */
};

/* ---- checkpoints off the writer's thread ------------------------------ */

/* SQLite's automatic checkpoint runs inside the COMMIT that crosses the
 * threshold, on the thread that commits: the loop thread, which then
 * copies a thousand pages into the database file while requests wait. A
 * write connection here instead hands checkpoints to a thread of its own
 * with its own connection. PASSIVE checkpoints never block the writer; the
 * writer restarts the WAL from the start once a checkpoint has caught up.
 * Under writes without a pause the checkpointer never quite catches up with
 * the last frame, so at four times the threshold the writer finishes the
 * checkpoint itself (the thread has copied most of it by then) and the WAL
 * starts again: it stays below four times the threshold whatever the load.
 * The threshold (4000 pages, 16 MiB, by default) is larger than SQLite's
 * 1000: pages changed again and again between checkpoints (index leaves,
 * the tail of a table) are copied once instead of every time. */
#define STORE_CKPT_PAGES 4000

struct store_checkpointer {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	sqlite3 *db;
	bool pending, stop;
	int pages;               /* the threshold */
	unsigned long long runs; /* checkpoints done, for tests */
};

static void *store_ckpt_main(void *arg)
{
	store_checkpointer *c = arg;
	pthread_mutex_lock(&c->mu);
	for (;;) {
		while (!c->pending && !c->stop)
			pthread_cond_wait(&c->cv, &c->mu);
		if (c->stop)
			break;
		c->pending = false;
		pthread_mutex_unlock(&c->mu);
		int log = 0, done = 0;
		int rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
		                                   &log, &done);
		if (rc != SQLITE_OK && rc != SQLITE_BUSY)
			eccp_warn("store %s: checkpoint: %s",
			          sqlite3_db_filename(c->db, NULL),
			          sqlite3_errmsg(c->db));
		pthread_mutex_lock(&c->mu);
		c->runs++;
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

static int store_wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	eccp_store *s = arg;
	store_checkpointer *c = s->ckpt;
	if (pages >= 4 * c->pages) {
		/* RESTART, not PASSIVE: it waits (busy timeout) for the
		 * thread's checkpoint under way and for readers of old frames
		 * instead of giving up at once, and the next commit writes
		 * from the start of the WAL. */
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_RESTART, NULL,
		                          NULL);
		return SQLITE_OK;
	}
	if (pages >= c->pages) {
		pthread_mutex_lock(&c->mu);
		c->pending = true;
		pthread_cond_signal(&c->cv);
		pthread_mutex_unlock(&c->mu);
	}
	return SQLITE_OK;
}

static void store_ckpt_stop(eccp_store *s)
{
	store_checkpointer *c = s->ckpt;
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	c->stop = true;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->thread, NULL);
	sqlite3_close(c->db);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	free(c);
	s->ckpt = NULL;
	if (s->db != NULL)
		sqlite3_wal_hook(s->db, NULL, NULL);
}

/* 0, or -1 with the store left checkpointing by itself as SQLite does. */
static int store_ckpt_start(eccp_store *s, const char *sync, int pages)
{
	store_checkpointer *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -1;
	c->pages = pages > 0 ? pages : STORE_CKPT_PAGES;
	if (sqlite3_open_v2(s->path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
	                    NULL) != SQLITE_OK) {
		sqlite3_close(c->db);
		free(c);
		return -1;
	}
	char pragma[64];
	snprintf(pragma, sizeof(pragma), "PRAGMA synchronous = %s", sync);
	sqlite3_exec(c->db, pragma, NULL, NULL, NULL);
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	if (pthread_create(&c->thread, NULL, store_ckpt_main, c) != 0) {
		sqlite3_close(c->db);
		pthread_cond_destroy(&c->cv);
		pthread_mutex_destroy(&c->mu);
		free(c);
		return -1;
	}
	s->ckpt = c;
	sqlite3_wal_hook(s->db, store_wal_hook, s);
	return 0;
}

unsigned long long eccp_store_checkpoints(eccp_store *s)
{
	store_checkpointer *c = s->ckpt;
	if (c == NULL)
		return 0;
	pthread_mutex_lock(&c->mu);
	unsigned long long n = c->runs;
	pthread_mutex_unlock(&c->mu);
	return n;
}

static int store_mkdirs(const char *path)
{
	char buf[4096];
	size_t n = strlen(path);
	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return 0;
}

static int store_migrate(eccp_store *s, const eccp_store_opts *o, char *err,
                         size_t errlen)
{
	int v = eccp_store_version(s);
	if (v < 0 || (size_t)v > o->n_migrations) {
		snprintf(err, errlen,
		         "%s: schema version %d is newer than this program knows (%zu)",
		         s->path, v, o->n_migrations);
		return -1;
	}
	for (size_t i = (size_t)v; i < o->n_migrations; i++) {
		char sql[64];
		char *msg = NULL;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %zu", i + 1);
		if (eccp_store_begin(s) != SQLITE_OK ||
		    sqlite3_exec(s->db, o->migrations[i], NULL, NULL, &msg) !=
		        SQLITE_OK ||
		    sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK ||
		    eccp_store_commit(s) != SQLITE_OK) {
			snprintf(err, errlen, "%s: migration %zu failed: %s", s->path,
			         i + 1, msg ? msg : sqlite3_errmsg(s->db));
			sqlite3_free(msg);
			eccp_store_rollback(s);
			return -1;
		}
	}
	return 0;
}

/* SQLite counts every allocation under one process-wide mutex unless told
 * not to; with a writer, an indexer and readers on their own threads that
 * mutex is contended, and nothing here reads the counts. */
static pthread_once_t store_once = PTHREAD_ONCE_INIT;

static void store_configure(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int eccp_store_open(const eccp_store_opts *o, eccp_store **out, char *err, size_t errlen)
{
	pthread_once(&store_once, store_configure);
	eccp_store *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->path = strdup(o->path);
	s->flags = o->flags;
	bool ro = (o->flags & ECCP_STORE_READONLY) != 0;
	if (!ro && store_mkdirs(o->path) != 0) {
		snprintf(err, errlen, "%s: cannot create directory: %s", o->path,
		         strerror(errno));
		goto fail;
	}
	int fl = ro ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	fl |= SQLITE_OPEN_NOMUTEX;
	if (sqlite3_open_v2(o->path, &s->db, fl, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: cannot open: %s", o->path,
		         s->db ? sqlite3_errmsg(s->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(s->db, o->busy_timeout_ms > 0 ? o->busy_timeout_ms : 5000);
	char pragmas[256];
	const char *sync = o->synchronous ? o->synchronous : "FULL";
	if (strcmp(sync, "FULL") != 0 && strcmp(sync, "NORMAL") != 0 &&
	    strcmp(sync, "OFF") != 0) {
		snprintf(err, errlen,
		         "synchronous: must be FULL, NORMAL or OFF (got '%s')", sync);
		goto fail;
	}
	snprintf(pragmas, sizeof(pragmas),
	         "%sPRAGMA synchronous = %s; PRAGMA foreign_keys = ON;"
	         "PRAGMA temp_store = MEMORY; PRAGMA cache_size = %d;",
	         ro ? "" : "PRAGMA journal_mode = WAL;", sync,
	         /* KiB: the writer keeps the hot pages of what it changes; a
	          * reader, one of several, pages through what it reads. */
	         o->cache_kib > 0 ? -o->cache_kib
	         : ro             ? -8192
	                          : -32768);
	char *msg = NULL;
	if (sqlite3_exec(s->db, pragmas, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", o->path,
		         msg ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		goto fail;
	}
	if (o->init != NULL && o->init(s->db) != SQLITE_OK) {
		snprintf(err, errlen, "%s: connection setup failed: %s", o->path,
		         sqlite3_errmsg(s->db));
		goto fail;
	}
	if (!ro && store_migrate(s, o, err, errlen) != 0)
		goto fail;
	if (!ro && strcmp(o->path, ":memory:") != 0 &&
	    store_ckpt_start(s, sync, o->checkpoint_pages) != 0)
		eccp_warn("store %s: no checkpoint thread; checkpoints run on commit",
		          o->path);
	*out = s;
	return 0;
fail:
	eccp_store_close(s);
	return -1;
}

void eccp_store_close(eccp_store *s)
{
	if (s == NULL)
		return;
	store_ckpt_stop(s);
	for (size_t i = 0; i < s->cap_stmts; i++)
		sqlite3_finalize(s->stmts[i].stmt);
	free(s->stmts);
	if (s->db != NULL && sqlite3_close(s->db) != SQLITE_OK)
		eccp_error("store %s: close: %s", s->path, sqlite3_errmsg(s->db));
	free(s->path);
	free(s);
}

sqlite3 *eccp_store_db(eccp_store *s)
{
	return s->db;
}

const char *eccp_store_path(const eccp_store *s)
{
	return s->path;
}

const char *eccp_store_errmsg(eccp_store *s)
{
	return sqlite3_errmsg(s->db);
}

static size_t store_hash(const char *sql, size_t cap)
{
	uintptr_t h = (uintptr_t)sql;
	h ^= h >> 17;
	h *= 0x9E3779B97F4A7C15ull;
	return (size_t)(h >> 7) & (cap - 1);
}

static void store_put(store_stmt *tab, size_t cap, const char *sql, sqlite3_stmt *st)
{
	size_t i = store_hash(sql, cap);
	while (tab[i].sql != NULL)
		i = (i + 1) & (cap - 1);
	tab[i].sql = sql;
	tab[i].stmt = st;
}

sqlite3_stmt *eccp_store_stmt(eccp_store *s, const char *sql)
{
	if (s->cap_stmts > 0) {
		size_t i = store_hash(sql, s->cap_stmts);
		while (s->stmts[i].sql != NULL) {
			if (s->stmts[i].sql == sql) {
				sqlite3_stmt *st = s->stmts[i].stmt;
				sqlite3_reset(st);
				sqlite3_clear_bindings(st);
				return st;
			}
			i = (i + 1) & (s->cap_stmts - 1);
		}
	}
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) !=
	    SQLITE_OK) {
		eccp_error("store %s: prepare failed: %s: %s", s->path,
		           sqlite3_errmsg(s->db), sql);
		return NULL;
	}
	if ((s->n_stmts + 1) * 2 > s->cap_stmts) {
		size_t cap = s->cap_stmts ? s->cap_stmts * 2 : 32;
		store_stmt *tab = calloc(cap, sizeof(*tab));
		if (tab == NULL) {
			sqlite3_finalize(st);
			return NULL;
		}
		for (size_t i = 0; i < s->cap_stmts; i++)
			if (s->stmts[i].sql != NULL)
				store_put(tab, cap, s->stmts[i].sql, s->stmts[i].stmt);
		free(s->stmts);
		s->stmts = tab;
		s->cap_stmts = cap;
	}
	store_put(s->stmts, s->cap_stmts, sql, st);
	s->n_stmts++;
	return st;
}

int eccp_store_exec(eccp_store *s, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		eccp_error("store %s: %s: %s", s->path, msg ? msg : sqlite3_errstr(rc),
		           sql);
		sqlite3_free(msg);
	}
	return rc;
}

static int store_step_done(eccp_store *s, const char *sql)
{
	sqlite3_stmt *st = eccp_store_stmt(s, sql);
	if (st == NULL)
		return SQLITE_ERROR;
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		eccp_error("store %s: %s: %s", s->path, sqlite3_errmsg(s->db), sql);
		return rc;
	}
	return SQLITE_OK;
}

int eccp_store_begin(eccp_store *s)
{
	s->savepoints = 0;
	s->mark++;
	return store_step_done(s, (s->flags & ECCP_STORE_READONLY) ? "BEGIN"
	                                                           : "BEGIN IMMEDIATE");
}

int eccp_store_commit(eccp_store *s)
{
	uint64_t mark = s->mark;
	int rc = store_step_done(s, "COMMIT");
	if (rc == SQLITE_OK) {
		s->committed_mark = mark;
		if (s->on_commit)
			s->on_commit(s->on_commit_arg);
	}
	return rc;
}

uint64_t eccp_store_committed_mark(eccp_store *s)
{
	return s->committed_mark;
}

void eccp_store_on_commit(eccp_store *s, void (*fn)(void *arg), void *arg)
{
	s->on_commit = fn;
	s->on_commit_arg = arg;
}

void eccp_store_rollback(eccp_store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		store_step_done(s, "ROLLBACK");
	s->savepoints = 0;
	s->mark++;
}

int eccp_store_savepoint(eccp_store *s)
{
	int rc = store_step_done(s, "SAVEPOINT sp");
	if (rc == SQLITE_OK)
		s->savepoints++;
	return rc;
}

int eccp_store_release(eccp_store *s)
{
	int rc = store_step_done(s, "RELEASE sp");
	if (rc == SQLITE_OK)
		s->savepoints--;
	return rc;
}

void eccp_store_rollback_to(eccp_store *s)
{
	s->mark++;
	if (store_step_done(s, "ROLLBACK TO sp") == SQLITE_OK)
		eccp_store_release(s);
}

bool eccp_store_in_txn(eccp_store *s)
{
	return !sqlite3_get_autocommit(s->db);
}

uint64_t eccp_store_txn_mark(eccp_store *s)
{
	return sqlite3_get_autocommit(s->db) ? 0 : s->mark;
}

int64_t eccp_store_counter_take(eccp_store *s, eccp_store_counter *c, const char *max_sql)
{
	uint64_t mark = eccp_store_txn_mark(s);
	if (mark == 0 || mark != c->mark)
		c->next = eccp_store_query_int(s, max_sql, false, 0, 0) + 1;
	c->mark = mark;
	return c->next++;
}

int eccp_store_version(eccp_store *s)
{
	return (int)eccp_store_query_int(s, "PRAGMA user_version", false, 0, -1);
}

int64_t eccp_store_query_int(eccp_store *s, const char *sql, bool bind_arg, int64_t arg,
                             int64_t dflt)
{
	sqlite3_stmt *st = eccp_store_stmt(s, sql);
	if (st == NULL)
		return dflt;
	if (bind_arg)
		sqlite3_bind_int64(st, 1, arg);
	int64_t v = dflt;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return v;
}

/* ---- read-only pool -------------------------------------------------- */

struct eccp_store_pool {
	pthread_mutex_t mu;
	char *path;
	int (*init)(sqlite3 *db);
	eccp_store **free;
	size_t n_free, cap;
};

eccp_store_pool *eccp_store_pool_new(const char *path, int (*init)(sqlite3 *db))
{
	eccp_store_pool *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->init = init;
	pthread_mutex_init(&p->mu, NULL);
	p->path = strdup(path);
	return p;
}

eccp_store *eccp_store_pool_take(eccp_store_pool *p, char *err, size_t errlen)
{
	pthread_mutex_lock(&p->mu);
	eccp_store *s = p->n_free > 0 ? p->free[--p->n_free] : NULL;
	pthread_mutex_unlock(&p->mu);
	if (s != NULL)
		return s;
	eccp_store_opts o = {
	    .path = p->path, .flags = ECCP_STORE_READONLY, .init = p->init};
	if (eccp_store_open(&o, &s, err, errlen) != 0)
		return NULL;
	return s;
}

void eccp_store_pool_give(eccp_store_pool *p, eccp_store *s)
{
	if (s == NULL)
		return;
	if (eccp_store_in_txn(s))
		eccp_store_rollback(s);
	pthread_mutex_lock(&p->mu);
	if (p->n_free == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 8;
		eccp_store **f = realloc(p->free, cap * sizeof(*f));
		if (f == NULL) {
			pthread_mutex_unlock(&p->mu);
			eccp_store_close(s);
			return;
		}
		p->free = f;
		p->cap = cap;
	}
	p->free[p->n_free++] = s;
	pthread_mutex_unlock(&p->mu);
}

void eccp_store_pool_free(eccp_store_pool *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n_free; i++)
		eccp_store_close(p->free[i]);
	free(p->free);
	free(p->path);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

int eccp_store_run(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}
