/* A daemon's SQLite store: WAL, a synchronous level chosen per connection,
 * a busy timeout, migrations by PRAGMA user_version, and prepared statements
 * made once and reset after each use.
 *
 * One write connection lives on the loop thread; read-only connections for
 * queries on the thread pool come from an eccp_store_pool. A connection is
 * used by one thread at a time. */
#ifndef ECCP_STORE_H
#define ECCP_STORE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct eccp_store eccp_store;

enum {
	ECCP_STORE_READONLY = 1 << 0,
};

typedef struct eccp_store_opts {
	const char *path;
	unsigned flags;
	/* "FULL" (acknowledged means durable), "NORMAL" or "OFF". NULL: FULL. */
	const char *synchronous;
	int busy_timeout_ms; /* 0: 5000 */
	/* Schema steps: migrations[i] takes user_version i to i+1, each in its
	 * own transaction. Ignored for read-only connections. */
	const char *const *migrations;
	size_t n_migrations;
	/* Optional: runs on every new connection before migrations (SQL
	 * functions, FTS5 tokenizers). Non-zero (an SQLite code) fails the
	 * open. */
	int (*init)(sqlite3 *db);
	/* WAL pages after which the store's thread checkpoints (0: 4000,
	 * 16 MiB); at four times as many the writer checkpoints itself. */
	int checkpoint_pages;
	/* Page cache in KiB (0: 32 MiB for a write connection, 8 MiB for a
	 * read-only one). */
	int cache_kib;
} eccp_store_opts;

/* Opens (creating the file and its directory if needed) and migrates. On
 * failure returns -1 and writes a message naming the path and the cause. */
int eccp_store_open(const eccp_store_opts *opts, eccp_store **out, char *err,
                    size_t errlen);
void eccp_store_close(eccp_store *s);

sqlite3 *eccp_store_db(eccp_store *s);
const char *eccp_store_path(const eccp_store *s);
const char *eccp_store_errmsg(eccp_store *s);

/* The prepared statement for sql, made on first use and cached by the
 * address of sql (pass string literals or other static text). The statement
 * is reset and its bindings cleared, ready to bind. NULL on a prepare error
 * (logged with the SQL). */
sqlite3_stmt *eccp_store_stmt(eccp_store *s, const char *sql);

/* Steps a prepared statement that returns no rows and resets it: 0 when it
 * ran to the end, -1 otherwise (the error stays on the connection). */
int eccp_store_run(sqlite3_stmt *st);

/* Runs SQL text without results. Returns SQLITE_OK or the error code. */
int eccp_store_exec(eccp_store *s, const char *sql);

/* Transactions. begin is BEGIN IMMEDIATE on the write connection, BEGIN
 * (deferred) on read-only ones. Savepoints nest inside a transaction. */
int eccp_store_begin(eccp_store *s);
int eccp_store_commit(eccp_store *s);
void eccp_store_rollback(eccp_store *s);
int eccp_store_savepoint(eccp_store *s);
int eccp_store_release(eccp_store *s);
void eccp_store_rollback_to(eccp_store *s);
bool eccp_store_in_txn(eccp_store *s);

/* Inside a transaction, a number that stays the same until the transaction
 * ends or anything in it is rolled back; 0 outside one. What a caller
 * computed from the store under one mark stays true while the mark does. */
uint64_t eccp_store_txn_mark(eccp_store *s);

/* The next key of rows appended with increasing keys: MAX(key) + 1 from the
 * store once per transaction, then counted on while the transaction mark
 * stays (nothing rolled back), so a batch asks the store once. */
typedef struct eccp_store_counter {
	int64_t next;
	uint64_t mark; /* eccp_store_txn_mark when next was learnt; 0: not known */
} eccp_store_counter;
/* The next key: max_sql's value (one number, e.g. "SELECT MAX(seq) FROM
 * outbox"; no row or NULL count as 0) + 1 in a new transaction (and always
 * outside one), else one more than the key taken last. A caller whose write
 * of the row fails without a rollback forgets it (the key is free again). */
int64_t eccp_store_counter_take(eccp_store *s, eccp_store_counter *c,
                                const char *max_sql);
static inline void eccp_store_counter_forget(eccp_store_counter *c)
{
	c->mark = 0;
}

/* Calls fn(arg) after every COMMIT of s that succeeded, on the committing
 * thread (one hook per store; NULL removes it). */
void eccp_store_on_commit(eccp_store *s, void (*fn)(void *arg), void *arg);
/* The transaction mark (eccp_store_txn_mark) that the last successful
 * COMMIT ended: what was computed under it is now committed. */
uint64_t eccp_store_committed_mark(eccp_store *s);

/* Checkpoints the write connection's own thread has completed (0 for
 * read-only connections). A write connection checkpoints its WAL on that
 * thread, never inside a COMMIT. */
unsigned long long eccp_store_checkpoints(eccp_store *s);

/* Schema version (PRAGMA user_version). */
int eccp_store_version(eccp_store *s);

/* Single-value helpers over a cached statement with one int64 bound to ?1
 * (bind_arg false: no parameter). Return dflt when there is no row. */
int64_t eccp_store_query_int(eccp_store *s, const char *sql, bool bind_arg, int64_t arg,
                             int64_t dflt);

/* A pool of read-only connections to one file, shared by worker threads. */
typedef struct eccp_store_pool eccp_store_pool;
eccp_store_pool *eccp_store_pool_new(const char *path, int (*init)(sqlite3 *db));
eccp_store *eccp_store_pool_take(eccp_store_pool *p, char *err, size_t errlen);
void eccp_store_pool_give(eccp_store_pool *p, eccp_store *s);
void eccp_store_pool_free(eccp_store_pool *p);

#endif
