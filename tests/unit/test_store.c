#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"
#include "testutil.h"

/* Each test gets its own directory; the store lives one level below it so
 * eccp_store_open has to create the missing directory itself. */
typedef struct fx {
	char dir[64];
	char path[128];
} fx;

static int fx_setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	assert_true(test_temp_dir(f->dir, sizeof(f->dir), "store"));
	snprintf(f->path, sizeof(f->path), "%s/data/store.db", f->dir);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	fx *f = *state;
	test_rm_tree(f->dir);
	free(f);
	return 0;
}

static eccp_store *open_ok(const fx *f, const char *const *steps, size_t n)
{
	eccp_store_opts o = {.path = f->path, .migrations = steps, .n_migrations = n};
	eccp_store *s = NULL;
	char err[256] = "";
	if (eccp_store_open(&o, &s, err, sizeof(err)) != 0)
		fail_msg("open %s: %s", f->path, err);
	return s;
}

static int64_t count(eccp_store *s, const char *sql)
{
	return eccp_store_query_int(s, sql, false, 0, -1);
}

static bool table_exists(eccp_store *s, const char *name)
{
	sqlite3_stmt *st = NULL;
	assert_int_equal(
	    sqlite3_prepare_v2(eccp_store_db(s),
	                       "SELECT 1 FROM sqlite_master WHERE type = 'table'"
	                       " AND name = ?1",
	                       -1, &st, NULL),
	    SQLITE_OK);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	bool found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

/* Step 1 inserts a row, so running it twice would show as a second row (and
 * the CREATE without IF NOT EXISTS would fail outright). */
static const char *const steps[] = {
    "CREATE TABLE a (x INTEGER); INSERT INTO a VALUES (1);",
    "CREATE TABLE b (y TEXT);",
    "CREATE TABLE c (z BLOB); INSERT INTO a VALUES (3);",
};

static void test_migrate_fresh(void **state)
{
	fx *f = *state;
	eccp_store *s = open_ok(f, steps, 3);
	assert_int_equal(eccp_store_version(s), 3);
	assert_true(table_exists(s, "a"));
	assert_true(table_exists(s, "b"));
	assert_true(table_exists(s, "c"));
	assert_int_equal(count(s, "SELECT COUNT(*) FROM a"), 2);
	assert_string_equal(eccp_store_path(s), f->path);
	assert_false(eccp_store_in_txn(s));
	eccp_store_close(s);
}

static void test_reopen_runs_nothing(void **state)
{
	fx *f = *state;
	eccp_store_close(open_ok(f, steps, 3));
	eccp_store *s = open_ok(f, steps, 3);
	assert_int_equal(eccp_store_version(s), 3);
	assert_int_equal(count(s, "SELECT COUNT(*) FROM a"), 2);
	eccp_store_close(s);
}

static void test_added_step_applies_only_it(void **state)
{
	fx *f = *state;
	eccp_store *s = open_ok(f, steps, 2);
	assert_int_equal(eccp_store_version(s), 2);
	assert_false(table_exists(s, "c"));
	eccp_store_close(s);

	s = open_ok(f, steps, 3);
	assert_int_equal(eccp_store_version(s), 3);
	assert_true(table_exists(s, "c"));
	/* Step 1's row once, step 3's row once. */
	assert_int_equal(count(s, "SELECT COUNT(*) FROM a WHERE x = 1"), 1);
	assert_int_equal(count(s, "SELECT COUNT(*) FROM a WHERE x = 3"), 1);
	eccp_store_close(s);
}

static void test_failing_migration(void **state)
{
	fx *f = *state;
	/* Step 3 does real work before its error, all of which must vanish. */
	const char *const bad[] = {
	    steps[0],
	    steps[1],
	    "CREATE TABLE c (z BLOB); INSERT INTO a VALUES (3);"
	    " INSERT INTO no_such_table VALUES (1);",
	};
	eccp_store_opts o = {.path = f->path, .migrations = bad, .n_migrations = 3};
	eccp_store *s = NULL;
	char err[256] = "";
	assert_int_equal(eccp_store_open(&o, &s, err, sizeof(err)), -1);
	assert_null(s);
	assert_non_null(strstr(err, f->path));
	assert_non_null(strstr(err, "migration 3"));
	assert_non_null(strstr(err, "no_such_table"));

	/* The two good steps stay committed; step 3 left nothing. */
	s = open_ok(f, steps, 2);
	assert_int_equal(eccp_store_version(s), 2);
	assert_false(table_exists(s, "c"));
	assert_int_equal(count(s, "SELECT COUNT(*) FROM a"), 1);
	eccp_store_close(s);

	/* Once fixed, the step runs from where the store stopped. */
	s = open_ok(f, steps, 3);
	assert_int_equal(eccp_store_version(s), 3);
	assert_int_equal(count(s, "SELECT COUNT(*) FROM a"), 2);
	eccp_store_close(s);
}

static void test_newer_version_refused(void **state)
{
	fx *f = *state;
	eccp_store_close(open_ok(f, steps, 3));

	eccp_store_opts o = {.path = f->path, .migrations = steps, .n_migrations = 2};
	eccp_store *s = NULL;
	char err[256] = "";
	assert_int_equal(eccp_store_open(&o, &s, err, sizeof(err)), -1);
	assert_null(s);
	assert_non_null(strstr(err, f->path));
	assert_non_null(strstr(err, "newer"));
	assert_non_null(strstr(err, "3"));

	/* Refusing touched nothing. */
	s = open_ok(f, steps, 3);
	assert_int_equal(eccp_store_version(s), 3);
	eccp_store_close(s);
}

static void expect_pragmas(const fx *f, const char *sync, int64_t level)
{
	eccp_store_opts o = {.path = f->path, .synchronous = sync};
	eccp_store *s = NULL;
	char err[256] = "";
	if (eccp_store_open(&o, &s, err, sizeof(err)) != 0)
		fail_msg("open with synchronous %s: %s", sync ? sync : "(default)", err);
	sqlite3_stmt *st = NULL;
	assert_int_equal(
	    sqlite3_prepare_v2(eccp_store_db(s), "PRAGMA journal_mode", -1, &st, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	assert_int_equal(count(s, "PRAGMA synchronous"), level);
	assert_int_equal(count(s, "PRAGMA foreign_keys"), 1);
	eccp_store_close(s);
}

static void test_wal_and_synchronous(void **state)
{
	fx *f = *state;
	expect_pragmas(f, NULL, 2); /* default: acknowledged means durable */
	expect_pragmas(f, "FULL", 2);
	expect_pragmas(f, "NORMAL", 1);
	expect_pragmas(f, "OFF", 0);
}

static void test_bad_synchronous(void **state)
{
	fx *f = *state;
	/* The value is pasted into a PRAGMA, so anything outside the three
	 * names must be refused, injection included. */
	const char *bad[] = {"EXTRA", "full", "", "FULL; DROP TABLE a"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		eccp_store_opts o = {.path = f->path, .synchronous = bad[i]};
		eccp_store *s = NULL;
		char err[256] = "";
		assert_int_equal(eccp_store_open(&o, &s, err, sizeof(err)), -1);
		assert_null(s);
		assert_non_null(strstr(err, "synchronous"));
	}
}

static void test_stmt_cache(void **state)
{
	fx *f = *state;
	eccp_store *s = open_ok(f, NULL, 0);
	static const char sql[] = "SELECT ?1 + 1";

	sqlite3_stmt *st = eccp_store_stmt(s, sql);
	assert_non_null(st);
	sqlite3_bind_int64(st, 1, 41);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(st, 0), 42);
	/* Left mid-result on purpose: the next user must get it reset. */
	assert_true(sqlite3_stmt_busy(st));

	sqlite3_stmt *again = eccp_store_stmt(s, sql);
	assert_ptr_equal(again, st);
	assert_false(sqlite3_stmt_busy(again));
	/* Bindings were cleared too: ?1 is NULL, so is the sum. */
	assert_int_equal(sqlite3_step(again), SQLITE_ROW);
	assert_int_equal(sqlite3_column_type(again, 0), SQLITE_NULL);

	/* The key is the address, not the text. */
	char copy[sizeof(sql)];
	memcpy(copy, sql, sizeof(sql));
	sqlite3_stmt *other = eccp_store_stmt(s, copy);
	assert_non_null(other);
	assert_ptr_not_equal(other, st);

	/* Enough statements to grow the table several times; every one is
	 * still found afterwards. */
	static char many[200][48];
	sqlite3_stmt *seen[200];
	for (size_t i = 0; i < 200; i++) {
		snprintf(many[i], sizeof(many[i]), "SELECT %zu", i);
		seen[i] = eccp_store_stmt(s, many[i]);
		assert_non_null(seen[i]);
	}
	for (size_t i = 0; i < 200; i++) {
		sqlite3_stmt *q = eccp_store_stmt(s, many[i]);
		assert_ptr_equal(q, seen[i]);
		assert_int_equal(sqlite3_step(q), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int64(q, 0), (int64_t)i);
	}
	assert_ptr_equal(eccp_store_stmt(s, sql), st);

	assert_null(eccp_store_stmt(s, "SELECT FROM WHERE"));
	eccp_store_close(s);
}

static void insert(eccp_store *s, int64_t v)
{
	sqlite3_stmt *st = eccp_store_stmt(s, "INSERT INTO a (x) VALUES (?1)");
	assert_non_null(st);
	sqlite3_bind_int64(st, 1, v);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_reset(st);
}

static int64_t sum_a(eccp_store *s)
{
	return count(s, "SELECT COALESCE(SUM(x), 0) FROM a");
}

static void test_savepoints(void **state)
{
	fx *f = *state;
	const char *const t[] = {"CREATE TABLE a (x INTEGER);"};
	eccp_store *s = open_ok(f, t, 1);

	assert_int_equal(eccp_store_begin(s), SQLITE_OK);
	insert(s, 1);
	assert_int_equal(eccp_store_savepoint(s), SQLITE_OK);
	insert(s, 10);
	eccp_store_rollback_to(s);
	/* Only the inner work is gone; the transaction goes on. */
	assert_true(eccp_store_in_txn(s));
	assert_int_equal(sum_a(s), 1);
	insert(s, 100);
	assert_int_equal(eccp_store_commit(s), SQLITE_OK);
	assert_false(eccp_store_in_txn(s));
	assert_int_equal(sum_a(s), 101);

	/* Nested: the inner rollback keeps the outer savepoint's work. */
	assert_int_equal(eccp_store_begin(s), SQLITE_OK);
	insert(s, 1000);
	assert_int_equal(eccp_store_savepoint(s), SQLITE_OK);
	insert(s, 10000);
	assert_int_equal(eccp_store_savepoint(s), SQLITE_OK);
	insert(s, 100000);
	eccp_store_rollback_to(s);
	assert_int_equal(eccp_store_release(s), SQLITE_OK);
	assert_int_equal(eccp_store_commit(s), SQLITE_OK);
	assert_int_equal(sum_a(s), 11101);

	/* A released savepoint is part of the transaction: a rollback undoes
	 * it with the rest. */
	assert_int_equal(eccp_store_begin(s), SQLITE_OK);
	assert_int_equal(eccp_store_savepoint(s), SQLITE_OK);
	insert(s, 7);
	assert_int_equal(eccp_store_release(s), SQLITE_OK);
	eccp_store_rollback(s);
	assert_false(eccp_store_in_txn(s));
	assert_int_equal(sum_a(s), 11101);
	eccp_store_close(s);
}

static void test_readonly_pool(void **state)
{
	fx *f = *state;
	const char *const t[] = {"CREATE TABLE a (x INTEGER);"};
	eccp_store *w = open_ok(f, t, 1);
	insert(w, 5);

	eccp_store_pool *p = eccp_store_pool_new(f->path, NULL);
	assert_non_null(p);
	char err[256] = "";
	eccp_store *r = eccp_store_pool_take(p, err, sizeof(err));
	if (r == NULL)
		fail_msg("pool take: %s", err);
	assert_int_equal(sum_a(r), 5);

	/* A reader's transaction is a snapshot beside the writer's: it sees
	 * neither uncommitted nor later work until it starts again. */
	assert_int_equal(eccp_store_begin(r), SQLITE_OK);
	assert_int_equal(sum_a(r), 5);
	assert_int_equal(eccp_store_begin(w), SQLITE_OK);
	insert(w, 10);
	assert_int_equal(sum_a(r), 5);
	assert_int_equal(eccp_store_commit(w), SQLITE_OK);
	assert_int_equal(sum_a(r), 5);
	eccp_store_rollback(r);
	assert_int_equal(sum_a(r), 15);

	/* It cannot write, whatever it tries. */
	int rc = eccp_store_exec(r, "INSERT INTO a VALUES (1)");
	assert_int_equal(rc & 0xff, SQLITE_READONLY);
	assert_int_not_equal(eccp_store_exec(r, "CREATE TABLE z (q)"), SQLITE_OK);
	assert_int_equal(sum_a(w), 15);

	/* A connection given back is handed out again, and a transaction left
	 * open by its last user does not travel with it. */
	assert_int_equal(eccp_store_begin(r), SQLITE_OK);
	eccp_store_pool_give(p, r);
	eccp_store *r2 = eccp_store_pool_take(p, err, sizeof(err));
	assert_ptr_equal(r2, r);
	assert_false(eccp_store_in_txn(r2));
	/* A second connection at the same time is a new one. */
	eccp_store *r3 = eccp_store_pool_take(p, err, sizeof(err));
	assert_non_null(r3);
	assert_ptr_not_equal(r3, r2);
	insert(w, 100);
	assert_int_equal(sum_a(r3), 115);
	eccp_store_pool_give(p, r2);
	eccp_store_pool_give(p, r3);
	eccp_store_pool_free(p);
	eccp_store_close(w);
}

static void test_readonly_without_writer(void **state)
{
	fx *f = *state;
	const char *const t[] = {"CREATE TABLE a (x INTEGER);"};
	eccp_store *w = open_ok(f, t, 1);
	insert(w, 7);
	/* The last connection to close checkpoints and removes -wal and -shm;
	 * a reader must still be able to open the file on its own. */
	eccp_store_close(w);
	eccp_store_opts o = {.path = f->path, .flags = ECCP_STORE_READONLY};
	eccp_store *r = NULL;
	char err[256] = "";
	if (eccp_store_open(&o, &r, err, sizeof(err)) != 0)
		fail_msg("read-only open: %s", err);
	assert_int_equal(sum_a(r), 7);
	assert_int_not_equal(eccp_store_exec(r, "INSERT INTO a VALUES (1)"), SQLITE_OK);
	eccp_store_close(r);
}

static void test_readonly_open_missing_file(void **state)
{
	fx *f = *state;
	/* A read-only connection neither creates the file nor its directory. */
	eccp_store_opts o = {.path = f->path, .flags = ECCP_STORE_READONLY};
	eccp_store *s = NULL;
	char err[256] = "";
	assert_int_equal(eccp_store_open(&o, &s, err, sizeof(err)), -1);
	assert_null(s);
	assert_non_null(strstr(err, f->path));
	assert_int_not_equal(access(f->path, F_OK), 0);
}

static long file_size(const char *path)
{
	FILE *fp = fopen(path, "rb");
	if (fp == NULL)
		return -1;
	fseek(fp, 0, SEEK_END);
	long n = ftell(fp);
	fclose(fp);
	return n;
}

/* Commits that fill the WAL past its threshold are copied into the database
 * file by the store's own thread: the pages reach the main file without any
 * COMMIT checkpointing, and the WAL is reused from its start instead of
 * growing with every write, even when writes never pause. */
static void test_background_checkpoint(void **state)
{
	fx *f = *state;
	static const char *const steps[] = {"CREATE TABLE t (x BLOB);"};
	eccp_store_opts o = {.path = f->path,
	                     .migrations = steps,
	                     .n_migrations = 1,
	                     .checkpoint_pages = 1000};
	eccp_store *s = NULL;
	char err[256] = "";
	if (eccp_store_open(&o, &s, err, sizeof(err)) != 0)
		fail_msg("open %s: %s", f->path, err);
	assert_int_equal(eccp_store_checkpoints(s), 0);
	char wal[160];
	snprintf(wal, sizeof(wal), "%s-wal", f->path);
	long before = file_size(f->path);
	static char blob[3000];
	memset(blob, 'x', sizeof(blob));
	/* 12,000 rows of 3,000 bytes, about 9,000 pages (36 MiB), in commits of
	 * 100 rows, back to back. */
	for (int c = 0; c < 120; c++) {
		assert_int_equal(eccp_store_begin(s), SQLITE_OK);
		for (int i = 0; i < 100; i++) {
			sqlite3_stmt *st =
			    eccp_store_stmt(s, "INSERT INTO t VALUES (?1)");
			sqlite3_bind_blob(st, 1, blob, sizeof(blob), SQLITE_STATIC);
			assert_int_equal(sqlite3_step(st), SQLITE_DONE);
		}
		assert_int_equal(eccp_store_commit(s), SQLITE_OK);
	}
	for (int i = 0; i < 200 && eccp_store_checkpoints(s) == 0; i++)
		usleep(10000);
	assert_true(eccp_store_checkpoints(s) > 0);
	/* The main file holds most of what was written. */
	assert_true(file_size(f->path) > before + 4000 * 4096);
	/* The WAL never held much more than 4,000 pages (16 MiB) of frames. */
	long w = file_size(wal);
	if (w > 20L * 1024 * 1024)
		fail_msg("the WAL grew to %ld bytes", w);
	assert_int_equal(count(s, "SELECT COUNT(*) FROM t"), 12000);
	eccp_store_close(s);
	/* Everything is there after reopening. */
	s = open_ok(f, steps, 1);
	assert_int_equal(count(s, "SELECT COUNT(*) FROM t"), 12000);
	eccp_store_close(s);
}

/* The transaction mark: constant within a transaction until a rollback,
 * different for every transaction, 0 outside one. */
static void test_txn_mark(void **state)
{
	fx *f = *state;
	static const char *const steps[] = {"CREATE TABLE t (x INTEGER);"};
	eccp_store *s = open_ok(f, steps, 1);
	assert_int_equal(eccp_store_txn_mark(s), 0);
	assert_int_equal(eccp_store_begin(s), SQLITE_OK);
	uint64_t m1 = eccp_store_txn_mark(s);
	assert_true(m1 != 0);
	assert_int_equal(eccp_store_savepoint(s), SQLITE_OK);
	assert_int_equal(eccp_store_release(s), SQLITE_OK);
	assert_int_equal(eccp_store_txn_mark(s), m1);
	assert_int_equal(eccp_store_savepoint(s), SQLITE_OK);
	eccp_store_rollback_to(s);
	uint64_t m2 = eccp_store_txn_mark(s);
	assert_true(m2 != 0 && m2 != m1);
	assert_int_equal(eccp_store_commit(s), SQLITE_OK);
	assert_int_equal(eccp_store_txn_mark(s), 0);
	assert_int_equal(eccp_store_begin(s), SQLITE_OK);
	uint64_t m3 = eccp_store_txn_mark(s);
	assert_true(m3 != 0 && m3 != m1 && m3 != m2);
	eccp_store_rollback(s);
	assert_int_equal(eccp_store_txn_mark(s), 0);
	eccp_store_close(s);
}

/* The counter asks the store once per transaction, counts on while nothing
 * is rolled back, and asks again after a rollback, a forget, or outside a
 * transaction. */
static void insert_key(eccp_store *s, int64_t k)
{
	sqlite3_stmt *w = eccp_store_stmt(s, "INSERT INTO t (k) VALUES (?1)");
	assert_non_null(w);
	sqlite3_bind_int64(w, 1, k);
	assert_int_equal(eccp_store_run(w), 0);
}

static void test_counter(void **state)
{
	fx *f = *state;
	static const char *const steps[] = {"CREATE TABLE t (k INTEGER PRIMARY KEY);"
	                                    "INSERT INTO t VALUES (41);"};
	static const char *const max_sql = "SELECT MAX(k) FROM t";
	eccp_store *s = open_ok(f, steps, 1);
	eccp_store_counter c = {0};
	assert_int_equal(eccp_store_begin(s), SQLITE_OK);
	assert_int_equal(eccp_store_counter_take(s, &c, max_sql), 42);
	/* written by someone else within the transaction: not asked again */
	insert_key(s, 100);
	assert_int_equal(eccp_store_counter_take(s, &c, max_sql), 43);
	/* a rollback to a savepoint: asked again */
	assert_int_equal(eccp_store_savepoint(s), SQLITE_OK);
	eccp_store_rollback_to(s);
	assert_int_equal(eccp_store_counter_take(s, &c, max_sql), 101);
	/* forgotten (the write of 101 failed): 101 again */
	eccp_store_counter_forget(&c);
	assert_int_equal(eccp_store_counter_take(s, &c, max_sql), 101);
	insert_key(s, 101);
	assert_int_equal(eccp_store_counter_take(s, &c, max_sql), 102);
	eccp_store_rollback(s);
	/* outside a transaction: the store's every time */
	assert_int_equal(eccp_store_counter_take(s, &c, max_sql), 42);
	assert_int_equal(eccp_store_counter_take(s, &c, max_sql), 42);
	eccp_store_close(s);
}

/* The commit hook runs after each successful COMMIT only, and
 * eccp_store_committed_mark names the transaction it ended. */
static void count_commit(void *arg)
{
	(*(int *)arg)++;
}

static void test_on_commit(void **state)
{
	fx *f = *state;
	static const char *const steps[] = {"CREATE TABLE t (x INTEGER UNIQUE);"};
	eccp_store *s = open_ok(f, steps, 1);
	int commits = 0;
	eccp_store_on_commit(s, count_commit, &commits);

	assert_int_equal(eccp_store_begin(s), SQLITE_OK);
	uint64_t m1 = eccp_store_txn_mark(s);
	assert_int_equal(eccp_store_exec(s, "INSERT INTO t VALUES (1)"), SQLITE_OK);
	assert_int_equal(eccp_store_commit(s), SQLITE_OK);
	assert_int_equal(commits, 1);
	assert_int_equal(eccp_store_committed_mark(s), m1);

	/* rolled back: no call, the last committed mark stays */
	assert_int_equal(eccp_store_begin(s), SQLITE_OK);
	uint64_t m2 = eccp_store_txn_mark(s);
	eccp_store_rollback(s);
	assert_int_equal(commits, 1);
	assert_int_equal(eccp_store_committed_mark(s), m1);

	/* a savepoint rolled back inside: the mark after it is the one committed */
	assert_int_equal(eccp_store_begin(s), SQLITE_OK);
	assert_int_equal(eccp_store_savepoint(s), SQLITE_OK);
	eccp_store_rollback_to(s);
	uint64_t m3 = eccp_store_txn_mark(s);
	assert_true(m3 != m1 && m3 != m2);
	assert_int_equal(eccp_store_commit(s), SQLITE_OK);
	assert_int_equal(commits, 2);
	assert_int_equal(eccp_store_committed_mark(s), m3);

	/* removed: no more calls */
	eccp_store_on_commit(s, NULL, NULL);
	assert_int_equal(eccp_store_begin(s), SQLITE_OK);
	assert_int_equal(eccp_store_commit(s), SQLITE_OK);
	assert_int_equal(commits, 2);
	eccp_store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_migrate_fresh, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_reopen_runs_nothing, fx_setup,
	                                    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_added_step_applies_only_it, fx_setup,
	                                    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_failing_migration, fx_setup,
	                                    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_newer_version_refused, fx_setup,
	                                    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_wal_and_synchronous, fx_setup,
	                                    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_bad_synchronous, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_stmt_cache, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_savepoints, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_readonly_pool, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_readonly_without_writer, fx_setup,
	                                    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_background_checkpoint, fx_setup,
	                                    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_txn_mark, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_counter, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_on_commit, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_readonly_open_missing_file, fx_setup,
	                                    fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
