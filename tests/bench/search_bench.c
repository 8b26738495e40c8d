/* eccp-search-bench: the "catalog" benchmark's search latency and its raw
 * limit, in one run.
 *
 * A fixed, mixed set of searches (the table below: free text single words,
 * two words, a phrase, prefixes, an excluded word, with and without filters
 * on kinds, countries, ecosystems, NUTS region, call status, programme,
 * dates; relevance, newest and deadline order; facets; second pages) runs
 * two ways, one request at a time:
 *
 *   rpc     the SearchRequest sent to eccp-catalog (--catalog), timed from
 *           before the request is packed to after the reply is unpacked;
 *   direct  the SQLite statements eccp-catalog runs for that request, run on
 *           a copy of its store (--store) opened as the catalog opens its
 *           readers (common/store.c, read-only, with the tokenizer and the
 *           ranking functions of services/catalog/rank.c): each statement
 *           prepared (or, if the catalog keeps it prepared, reset), its
 *           values bound, every row stepped and every column read, timed
 *           from the first statement (BEGIN) to the last (ROLLBACK). Nothing
 *           else: no request checked, no SQL built, no item unpacked, no
 *           response built or sent.
 *
 * The statements are the catalog's own: this tool is linked with
 * services/catalog/search.c (and apply.c and rank.c, which it needs), and
 * before any timing it runs catalog_search() once per query in-process on
 * the copy, recording each run of a statement that the catalog's code steps
 * (not the statements SQLite runs for itself, such as FTS5 reading its
 * shadow tables): its SQL, the values bound to it, whether the catalog
 * finalized it in the call or keeps it prepared, and the rows it returned
 * (sqlite3_step, sqlite3_bind_*, sqlite3_clear_bindings and
 * sqlite3_finalize are wrapped at link time, see CMakeLists.txt). What it
 * then times is that recording, replayed; nothing of search.c is copied
 * here, so the direct side follows search.c as it changes. The first run is
 * checked twice, or the tool fails: the in-process answer against the
 * catalog's over RPC (the same total, the same ids in the same order, the
 * same next page token), and a first replay against the recording (each
 * statement returns at least the rows it returned to the catalog, with the
 * same values).
 *
 * Every search sets as_of to a fixed instant (the demo data's "now"), so
 * call statuses do not move with the clock. A second page sends the token
 * its first page returned in the first run.
 *
 * Then --repeat rounds: in each, every query once over RPC and once direct,
 * interleaved, so drift of the machine hits both alike. Prints one JSON
 * object: per query and overall, p50 and p99 (nearest rank) in ms of each
 * side, the statements of each query, and the number of items in the store.
 *
 * --copy-from LIVE first copies the live store LIVE (the catalog may keep
 * running) into --store with SQLite's online backup, which reads one
 * consistent snapshot page by page, and its full-text index (LIVE's
 * X-index.db) beside the copy, where the catalog's own code finds it. */
#include "catalog.h"

#include "config.h"
#include "json.h"
#include "rpc.h"
#include "store.h"
#include "util.h"

#include "eccp/v1/catalog.pb-c.h"
#include "eccp/v1/content.pb-c.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 2026-11-28T00:00:00Z: the demo data's "now" (cli/demo_data.h). */
#define SB_AS_OF    1795824000
#define SB_MAX_LIST 4

#define KIND(k)   ECCP__V1__CONTENT_KIND__CONTENT_KIND_##k
#define ECO(e)    ECCP__V1__ECOSYSTEM__ECOSYSTEM_##e
#define STATUS(s) ECCP__V1__CALL_STATUS__CALL_STATUS_##s
#define SORT(s)   ECCP__V1__SEARCH_SORT__SEARCH_SORT_##s

static const eccp_option sb_options[] = {
    {"catalog", ECCP_OPT_STRING, "tcp://127.0.0.1:7420", 0, 0, "catalog RPC endpoint"},
    {"store", ECCP_OPT_STRING, NULL, 0, 0,
     "a copy of the catalog's store (catalog.db) for the direct side"},
    {"copy-from", ECCP_OPT_STRING, "", 0, 0,
     "first copy this live catalog.db into --store (online backup)"},
    {"repeat", ECCP_OPT_INT, "10", 1, 100000, "rounds of the whole query set"},
    {"timeout-ms", ECCP_OPT_INT, "120000", 1, 3600000, "per request"},
};

/* ---- the query set ---------------------------------------------------------------- */

typedef struct sb_def {
	const char *name;
	const char *text;
	int kinds[SB_MAX_LIST]; /* 0-terminated, as are the other enum lists */
	int ecosystems[SB_MAX_LIST];
	int statuses[SB_MAX_LIST];
	const char *countries[SB_MAX_LIST]; /* NULL-terminated */
	const char *programmes[SB_MAX_LIST];
	const char *nuts;
	int64_t window_start, window_end; /* seconds; 0: unset */
	int64_t deadline_after, deadline_before;
	int sort;
	bool facets;
	const char *page2_of; /* the second page of the query of this name */
} sb_def;

static const sb_def sb_defs[] = {
    {.name = "word", .text = "hydrogen"},
    {.name = "word_kind", .text = "quantum", .kinds = {KIND(EVENT)}},
    {.name = "two_words", .text = "artificial intelligence"},
    {.name = "phrase", .text = "\"digital transition\""},
    {.name = "prefix", .text = "robot*"},
    {.name = "prefix_countries", .text = "photon*", .countries = {"DE", "FR"}},
    {.name = "word_newest", .text = "digital", .sort = SORT(NEWEST)},
    {.name = "word_events_window",
     .text = "matchmaking",
     .kinds = {KIND(EVENT)},
     .window_start = 1546300800, /* 2019 */
     .window_end = 1577836800},
    {.name = "word_facets", .text = "cybersecurity", .facets = true},
    {.name = "word_excluded", .text = "blockchain -voucher"},
    {.name = "two_words_ecosystems",
     .text = "green transition",
     .kinds = {KIND(NEWS), KIND(EVENT)},
     .ecosystems = {ECO(ENERGY_INTENSIVE), ECO(RENEWABLE_ENERGY)}},
    {.name = "word_open_calls",
     .text = "internationalisation",
     .statuses = {STATUS(OPEN)}},
    {.name = "open_calls_deadline",
     .kinds = {KIND(CALL)},
     .statuses = {STATUS(OPEN)},
     .sort = SORT(DEADLINE)},
    {.name = "programme_deadline",
     .programmes = {"Horizon Europe"},
     .sort = SORT(DEADLINE)},
    {.name = "calls_deadline_window",
     .kinds = {KIND(CALL)},
     .deadline_after = SB_AS_OF,
     .deadline_before = 1814313600, /* 2027-06-30 */
     .sort = SORT(DEADLINE)},
    {.name = "news_ecosystem_newest",
     .kinds = {KIND(NEWS)},
     .ecosystems = {ECO(DIGITAL)},
     .sort = SORT(NEWEST)},
    {.name = "events_country_window",
     .kinds = {KIND(EVENT)},
     .countries = {"ES"},
     .window_start = 1514764800, /* 2018H1 */
     .window_end = 1530403200},
    {.name = "clusters_nuts", .kinds = {KIND(CLUSTER)}, .nuts = "DE2"},
    {.name = "clusters_country_facets",
     .kinds = {KIND(CLUSTER)},
     .countries = {"IT"},
     .facets = true},
    {.name = "word_page2", .text = "hydrogen", .page2_of = "word"},
    {.name = "news_ecosystem_newest_page2",
     .kinds = {KIND(NEWS)},
     .ecosystems = {ECO(DIGITAL)},
     .sort = SORT(NEWEST),
     .page2_of = "news_ecosystem_newest"},
};

#define SB_N ECCP_ARRAY_LEN(sb_defs)

/* ---- recording the catalog's statements ------------------------------------------- */

/* A value bound to a statement parameter. */
typedef struct sb_val {
	int type; /* SQLITE_NULL, SQLITE_INTEGER, SQLITE_FLOAT or SQLITE_TEXT */
	int64_t i;
	double d;
	char *s; /* i bytes */
} sb_val;

/* One statement as it started running: replayed by the direct side. */
typedef struct sb_stmt {
	char *sql;
	int n;
	sb_val *p; /* parameters 1..n */
	bool kept; /* the catalog keeps it prepared (not finalized in the call) */
	uint64_t rows, digest; /* what the catalog's run returned */
	const void *orig;      /* the catalog's statement, while it exists */
	sqlite3_stmt *cached;
} sb_stmt;

typedef struct sb_plan {
	sb_stmt *v;
	size_t n, cap;
} sb_plan;

/* The values bound to each live statement, while recording. */
typedef struct sb_binding {
	const void *st;
	int idx;
	sb_val v;
} sb_binding;

static struct {
	bool on;
	sb_binding *b;
	size_t n, cap;
	sb_plan *plan;
	bool failed;
} sb_rec;

static void sb_val_free(sb_val *v)
{
	free(v->s);
	v->s = NULL;
}

static void sb_rec_drop(const void *st)
{
	for (size_t i = 0; i < sb_rec.n;) {
		if (sb_rec.b[i].st == st) {
			sb_val_free(&sb_rec.b[i].v);
			sb_rec.b[i] = sb_rec.b[--sb_rec.n];
		} else {
			i++;
		}
	}
}

static void sb_rec_put(const void *st, int idx, sb_val v)
{
	if (!sb_rec.on)
		return;
	for (size_t i = 0; i < sb_rec.n; i++) {
		if (sb_rec.b[i].st == st && sb_rec.b[i].idx == idx) {
			sb_val_free(&sb_rec.b[i].v);
			sb_rec.b[i].v = v;
			return;
		}
	}
	if (sb_rec.n == sb_rec.cap) {
		size_t cap = sb_rec.cap ? sb_rec.cap * 2 : 64;
		sb_binding *b = realloc(sb_rec.b, cap * sizeof(*b));
		if (b == NULL) {
			sb_val_free(&v);
			sb_rec.failed = true;
			return;
		}
		sb_rec.b = b;
		sb_rec.cap = cap;
	}
	sb_rec.b[sb_rec.n++] = (sb_binding){.st = st, .idx = idx, .v = v};
}

/* Folds the current row's values into *h (FNV-1a); the values are read as
 * stored, so reading them changes nothing for the statement's owner. */
static void sb_digest_row(sqlite3_stmt *st, uint64_t *h)
{
	int cols = sqlite3_column_count(st);
	for (int c = 0; c < cols; c++) {
		const unsigned char *p = NULL;
		size_t n = 0;
		int64_t i;
		double d;
		int type = sqlite3_column_type(st, c);
		switch (type) {
		case SQLITE_INTEGER:
			i = sqlite3_column_int64(st, c);
			p = (const unsigned char *)&i;
			n = sizeof(i);
			break;
		case SQLITE_FLOAT:
			d = sqlite3_column_double(st, c);
			p = (const unsigned char *)&d;
			n = sizeof(d);
			break;
		case SQLITE_TEXT:
			p = sqlite3_column_text(st, c);
			n = (size_t)sqlite3_column_bytes(st, c);
			break;
		case SQLITE_BLOB:
			p = sqlite3_column_blob(st, c);
			n = (size_t)sqlite3_column_bytes(st, c);
			break;
		default:
			break;
		}
		*h = (*h ^ (uint64_t)type) * 0x100000001b3u;
		for (size_t k = 0; k < n; k++)
			*h = (*h ^ p[k]) * 0x100000001b3u;
	}
}

/* The wrapped SQLite functions (ld --wrap): record, then do the real work. */
int __real_sqlite3_bind_int(sqlite3_stmt *st, int i, int v);
int __real_sqlite3_bind_int64(sqlite3_stmt *st, int i, sqlite3_int64 v);
int __real_sqlite3_bind_double(sqlite3_stmt *st, int i, double v);
int __real_sqlite3_bind_text(sqlite3_stmt *st, int i, const char *v, int n,
                             void (*del)(void *));
int __real_sqlite3_bind_null(sqlite3_stmt *st, int i);
int __real_sqlite3_clear_bindings(sqlite3_stmt *st);
int __real_sqlite3_finalize(sqlite3_stmt *st);
int __real_sqlite3_step(sqlite3_stmt *st);
int __wrap_sqlite3_bind_int(sqlite3_stmt *st, int i, int v);
int __wrap_sqlite3_bind_int64(sqlite3_stmt *st, int i, sqlite3_int64 v);
int __wrap_sqlite3_bind_double(sqlite3_stmt *st, int i, double v);
int __wrap_sqlite3_bind_text(sqlite3_stmt *st, int i, const char *v, int n,
                             void (*del)(void *));
int __wrap_sqlite3_bind_null(sqlite3_stmt *st, int i);
int __wrap_sqlite3_clear_bindings(sqlite3_stmt *st);
int __wrap_sqlite3_finalize(sqlite3_stmt *st);
int __wrap_sqlite3_step(sqlite3_stmt *st);

int __wrap_sqlite3_bind_int(sqlite3_stmt *st, int i, int v)
{
	sb_rec_put(st, i, (sb_val){.type = SQLITE_INTEGER, .i = v});
	return __real_sqlite3_bind_int(st, i, v);
}

int __wrap_sqlite3_bind_int64(sqlite3_stmt *st, int i, sqlite3_int64 v)
{
	sb_rec_put(st, i, (sb_val){.type = SQLITE_INTEGER, .i = v});
	return __real_sqlite3_bind_int64(st, i, v);
}

int __wrap_sqlite3_bind_double(sqlite3_stmt *st, int i, double v)
{
	sb_rec_put(st, i, (sb_val){.type = SQLITE_FLOAT, .d = v});
	return __real_sqlite3_bind_double(st, i, v);
}

int __wrap_sqlite3_bind_text(sqlite3_stmt *st, int i, const char *v, int n,
                             void (*del)(void *))
{
	if (sb_rec.on) {
		sb_val x = {.type = v != NULL ? SQLITE_TEXT : SQLITE_NULL};
		if (v != NULL) {
			size_t len = n < 0 ? strlen(v) : (size_t)n;
			x.i = (int64_t)len;
			x.s = malloc(len + 1);
			if (x.s == NULL) {
				sb_rec.failed = true;
			} else {
				memcpy(x.s, v, len);
				x.s[len] = '\0';
			}
		}
		sb_rec_put(st, i, x);
	}
	return __real_sqlite3_bind_text(st, i, v, n, del);
}

int __wrap_sqlite3_bind_null(sqlite3_stmt *st, int i)
{
	sb_rec_put(st, i, (sb_val){.type = SQLITE_NULL});
	return __real_sqlite3_bind_null(st, i);
}

int __wrap_sqlite3_clear_bindings(sqlite3_stmt *st)
{
	if (sb_rec.on)
		sb_rec_drop(st);
	return __real_sqlite3_clear_bindings(st);
}

int __wrap_sqlite3_finalize(sqlite3_stmt *st)
{
	if (sb_rec.on) {
		sb_rec_drop(st);
		for (size_t i = 0; i < sb_rec.plan->n; i++) {
			if (sb_rec.plan->v[i].orig == st) {
				sb_rec.plan->v[i].kept = false;
				sb_rec.plan->v[i].orig = NULL;
			}
		}
	}
	return __real_sqlite3_finalize(st);
}

/* The catalog starts a run of st (its first step since it was prepared, reset
 * or ran to its end): st and the values bound to it join the recording. */
static void sb_rec_start(sqlite3_stmt *st)
{
	sb_plan *pl = sb_rec.plan;
	if (pl->n == pl->cap) {
		size_t cap = pl->cap ? pl->cap * 2 : 16;
		sb_stmt *v = realloc(pl->v, cap * sizeof(*v));
		if (v == NULL) {
			sb_rec.failed = true;
			return;
		}
		pl->v = v;
		pl->cap = cap;
	}
	sb_stmt *s = &pl->v[pl->n++];
	memset(s, 0, sizeof(*s));
	s->sql = strdup(sqlite3_sql(st));
	s->n = sqlite3_bind_parameter_count(st);
	s->p = calloc((size_t)s->n + 1, sizeof(*s->p));
	s->kept = true;
	s->orig = st;
	s->digest = 0xcbf29ce484222325u;
	if (s->sql == NULL || s->p == NULL) {
		sb_rec.failed = true;
		return;
	}
	for (int k = 1; k <= s->n; k++) {
		s->p[k].type = SQLITE_NULL;
		for (size_t i = 0; i < sb_rec.n; i++) {
			if (sb_rec.b[i].st == st && sb_rec.b[i].idx == k) {
				const sb_val *v = &sb_rec.b[i].v;
				s->p[k] = *v;
				if (v->s != NULL &&
				    (s->p[k].s = malloc((size_t)v->i + 1)) == NULL)
					sb_rec.failed = true;
				else if (v->s != NULL)
					memcpy(s->p[k].s, v->s, (size_t)v->i + 1);
			}
		}
	}
}

/* Only what the catalog's code steps comes through here; the statements
 * SQLite runs for itself (FTS5 reading its shadow tables) do not. */
int __wrap_sqlite3_step(sqlite3_stmt *st)
{
	if (sb_rec.on && !sqlite3_stmt_busy(st))
		sb_rec_start(st);
	int rc = __real_sqlite3_step(st);
	if (sb_rec.on && rc == SQLITE_ROW) {
		/* The latest run of st: the one stepping now. */
		for (size_t i = sb_rec.plan->n; i-- > 0;) {
			sb_stmt *s = &sb_rec.plan->v[i];
			if (s->orig == st) {
				s->rows++;
				sb_digest_row(st, &s->digest);
				break;
			}
		}
	}
	return rc;
}

static void sb_plan_free(sb_plan *pl)
{
	for (size_t i = 0; i < pl->n; i++) {
		sb_stmt *s = &pl->v[i];
		for (int k = 1; s->p != NULL && k <= s->n; k++)
			sb_val_free(&s->p[k]);
		free(s->p);
		free(s->sql);
		__real_sqlite3_finalize(s->cached);
	}
	free(pl->v);
	memset(pl, 0, sizeof(*pl));
}

/* ---- the direct side: the recording, replayed ------------------------------------- */

/* Runs the statements of pl. With check, each must return what it
 * returned to the catalog, row for row. */
static int sb_replay(sqlite3 *db, sb_plan *pl, bool check, char *err, size_t errlen)
{
	for (size_t i = 0; i < pl->n; i++) {
		sb_stmt *s = &pl->v[i];
		sqlite3_stmt *st = s->cached;
		if (st != NULL) {
			sqlite3_reset(st);
			__real_sqlite3_clear_bindings(st);
		} else if ((s->kept
		                ? sqlite3_prepare_v3(db, s->sql, -1,
		                                     SQLITE_PREPARE_PERSISTENT, &st, NULL)
		                : sqlite3_prepare_v2(db, s->sql, -1, &st, NULL)) !=
		           SQLITE_OK) {
			snprintf(err, errlen, "prepare: %s: %s", sqlite3_errmsg(db),
			         s->sql);
			return -1;
		}
		for (int k = 1; k <= s->n; k++) {
			const sb_val *v = &s->p[k];
			if (v->type == SQLITE_INTEGER)
				__real_sqlite3_bind_int64(st, k, v->i);
			else if (v->type == SQLITE_FLOAT)
				__real_sqlite3_bind_double(st, k, v->d);
			else if (v->type == SQLITE_TEXT)
				__real_sqlite3_bind_text(st, k, v->s, (int)v->i,
				                         SQLITE_STATIC);
		}
		int rc, cols = sqlite3_column_count(st);
		int64_t sink = 0;
		uint64_t rows = 0, digest = 0xcbf29ce484222325u;
		while ((rc = __real_sqlite3_step(st)) == SQLITE_ROW) {
			if (check) {
				/* The catalog may have stopped early: its rows. */
				if (rows++ < s->rows)
					sb_digest_row(st, &digest);
				continue;
			}
			for (int c = 0; c < cols; c++) {
				switch (sqlite3_column_type(st, c)) {
				case SQLITE_INTEGER:
					sink += sqlite3_column_int64(st, c);
					break;
				case SQLITE_FLOAT:
					sink += (int64_t)sqlite3_column_double(st, c);
					break;
				case SQLITE_TEXT:
					sink += sqlite3_column_text(st, c) != NULL;
					sink += sqlite3_column_bytes(st, c);
					break;
				case SQLITE_BLOB:
					sink += sqlite3_column_blob(st, c) != NULL;
					sink += sqlite3_column_bytes(st, c);
					break;
				default:
					break;
				}
			}
		}
		(void)sink;
		if (rc != SQLITE_DONE) {
			snprintf(err, errlen, "step: %s: %s", sqlite3_errmsg(db), s->sql);
		} else if (check && (rows < s->rows || digest != s->digest)) {
			snprintf(err, errlen,
			         "statement %zu returned %" PRIu64
			         " rows, to the catalog %" PRIu64 "%s: %s",
			         i + 1, rows, s->rows,
			         rows >= s->rows ? " (other values)" : "", s->sql);
			rc = SQLITE_ERROR;
		}
		if (s->kept) {
			sqlite3_reset(st);
			s->cached = st;
		} else {
			__real_sqlite3_finalize(st);
		}
		if (rc != SQLITE_DONE)
			return -1;
	}
	return 0;
}

/* ---- the queries ------------------------------------------------------------------ */

/* A query of the set: its request and its measurements. */
typedef struct sb_query {
	const sb_def *def;
	Eccp__V1__SearchRequest rq;
	Eccp__V1__ContentKind kinds[SB_MAX_LIST];
	Eccp__V1__Ecosystem ecosystems[SB_MAX_LIST];
	Eccp__V1__CallStatus statuses[SB_MAX_LIST];
	char *countries[SB_MAX_LIST], *programmes[SB_MAX_LIST];
	Eccp__V1__Timestamp as_of, ws, we, da, db;
	char *next;     /* the next page's token from the first run */
	uint64_t total; /* from the first run (a second page: its first page's) */
	size_t hits;    /* on the page */
	sb_plan plan;   /* the catalog's statements */
	double *rpc_ms; /* --repeat each */
	double *direct_ms;
} sb_query;

static size_t sb_ints(const int *v, int *out)
{
	size_t n = 0;
	while (n < SB_MAX_LIST && v[n] != 0) {
		out[n] = v[n];
		n++;
	}
	return n;
}

static size_t sb_strs(const char *const *v, char **out)
{
	size_t n = 0;
	while (n < SB_MAX_LIST && v[n] != NULL) {
		out[n] = (char *)v[n];
		n++;
	}
	return n;
}

static void sb_ts(Eccp__V1__Timestamp *t, int64_t s, Eccp__V1__Timestamp **field)
{
	if (s == 0)
		return;
	eccp__v1__timestamp__init(t);
	t->seconds = s;
	*field = t;
}

static void sb_build(sb_query *q, const sb_def *d)
{
	memset(q, 0, sizeof(*q));
	q->def = d;
	Eccp__V1__SearchRequest *rq = &q->rq;
	eccp__v1__search_request__init(rq);
	rq->text = (char *)(d->text ? d->text : "");
	int tmp[SB_MAX_LIST];
	rq->n_kinds = sb_ints(d->kinds, tmp);
	for (size_t i = 0; i < rq->n_kinds; i++)
		q->kinds[i] = (Eccp__V1__ContentKind)tmp[i];
	rq->kinds = q->kinds;
	rq->n_ecosystems = sb_ints(d->ecosystems, tmp);
	for (size_t i = 0; i < rq->n_ecosystems; i++)
		q->ecosystems[i] = (Eccp__V1__Ecosystem)tmp[i];
	rq->ecosystems = q->ecosystems;
	rq->n_call_statuses = sb_ints(d->statuses, tmp);
	for (size_t i = 0; i < rq->n_call_statuses; i++)
		q->statuses[i] = (Eccp__V1__CallStatus)tmp[i];
	rq->call_statuses = q->statuses;
	rq->n_countries = sb_strs(d->countries, q->countries);
	rq->countries = q->countries;
	rq->n_programmes = sb_strs(d->programmes, q->programmes);
	rq->programmes = q->programmes;
	rq->nuts_prefix = (char *)(d->nuts ? d->nuts : "");
	sb_ts(&q->ws, d->window_start, &rq->window_start);
	sb_ts(&q->we, d->window_end, &rq->window_end);
	sb_ts(&q->da, d->deadline_after, &rq->deadline_after);
	sb_ts(&q->db, d->deadline_before, &rq->deadline_before);
	sb_ts(&q->as_of, SB_AS_OF, &rq->as_of);
	rq->sort = (Eccp__V1__SearchSort)d->sort;
	rq->facets = d->facets;
}

static void sb_status_text(const Eccp__V1__Status *st, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: %s%s%s%s", eccp_status_code_name(st->code),
	         st->message ? st->message : "", st->n_field_errors > 0 ? " (" : "",
	         st->n_field_errors > 0 ? st->field_errors[0]->field : "",
	         st->n_field_errors > 0 ? ")" : "");
}

/* One search over RPC; the response's memory is a's. 0, or -1 with err
 * (also for a status that is not OK). */
static int sb_rpc(eccp_rpc_client *c, const Eccp__V1__SearchRequest *rq, eccp_arena *a,
                  int timeout_ms, Eccp__V1__SearchResponse **out, char *err,
                  size_t errlen)
{
	char rid[33];
	eccp_rpc_request_id(rid);
	Eccp__V1__CatalogRequest req = ECCP__V1__CATALOG_REQUEST__INIT;
	req.request_id = rid;
	req.method_case = ECCP__V1__CATALOG_REQUEST__METHOD_SEARCH;
	req.search = (Eccp__V1__SearchRequest *)rq;
	ProtobufCMessage *m = NULL;
	if (eccp_rpc_client_call(c, &req.base, &eccp__v1__catalog_response__descriptor,
	                         eccp_arena_allocator(a), timeout_ms, &m, err,
	                         errlen) != 0)
		return -1;
	Eccp__V1__CatalogResponse *resp = (Eccp__V1__CatalogResponse *)m;
	if (resp->status != NULL &&
	    resp->status->code != ECCP__V1__STATUS_CODE__STATUS_CODE_OK) {
		sb_status_text(resp->status, err, errlen);
		return -1;
	}
	if (resp->method_case != ECCP__V1__CATALOG_RESPONSE__METHOD_SEARCH) {
		snprintf(err, errlen, "the reply carries no search result");
		return -1;
	}
	*out = resp->search;
	return 0;
}

/* The catalog's search of rq, in-process on store, recorded into plan. The
 * response's memory is call's arena (the caller frees it). */
static int sb_record(eccp_store *store, const Eccp__V1__SearchRequest *rq,
                     eccp_rpc_call *call, sb_plan *plan, Eccp__V1__SearchResponse **out,
                     char *err, size_t errlen)
{
	memset(call, 0, sizeof(*call));
	eccp_arena_init(&call->arena);
	Eccp__V1__CatalogRequest *req = eccp_arena_alloc(&call->arena, sizeof(*req));
	eccp__v1__catalog_request__init(req);
	req->method_case = ECCP__V1__CATALOG_REQUEST__METHOD_SEARCH;
	req->search = (Eccp__V1__SearchRequest *)rq;
	Eccp__V1__CatalogResponse *resp = eccp_arena_alloc(&call->arena, sizeof(*resp));
	eccp__v1__catalog_response__init(resp);
	call->request = &req->base;
	call->params = &rq->base;
	call->method = ECCP__V1__CATALOG_REQUEST__METHOD_SEARCH;
	call->request_id = "";
	call->api_key = "";
	call->store = store;
	call->response = &resp->base;
	call->status = eccp_status_new(&call->arena);
	call->start_ns = eccp_mono_ns();

	sb_rec.plan = plan;
	sb_rec.failed = false;
	sb_rec.on = true;
	catalog_search(call);
	sb_rec.on = false;
	for (size_t i = 0; i < plan->n; i++)
		plan->v[i].orig = NULL;
	while (sb_rec.n > 0)
		sb_rec_drop(sb_rec.b[0].st);
	if (sb_rec.failed) {
		snprintf(err, errlen, "out of memory recording the statements");
		return -1;
	}
	if (call->status->code != ECCP__V1__STATUS_CODE__STATUS_CODE_OK) {
		sb_status_text(call->status, err, errlen);
		return -1;
	}
	if (resp->method_case != ECCP__V1__CATALOG_RESPONSE__METHOD_SEARCH ||
	    plan->n == 0) {
		snprintf(err, errlen, "the search ran no statement");
		return -1;
	}
	*out = resp->search;
	return 0;
}

static const char *sb_token(const Eccp__V1__SearchResponse *r)
{
	return r->next_page_token != NULL ? r->next_page_token : "";
}

static const sb_query *sb_find(const sb_query *qs, const char *name)
{
	for (size_t i = 0; i < SB_N; i++)
		if (strcmp(qs[i].def->name, name) == 0)
			return &qs[i];
	return NULL;
}

/* The first run: each query over RPC and recorded in-process, the answers
 * compared, and the recording replayed once. */
static int sb_prepare(eccp_rpc_client *c, eccp_store *store, sb_query *qs, int timeout_ms,
                      char *err, size_t errlen)
{
	for (size_t i = 0; i < SB_N; i++) {
		sb_query *q = &qs[i];
		const sb_query *first = NULL;
		char e[768];
		if (q->def->page2_of != NULL) {
			first = sb_find(qs, q->def->page2_of);
			if (first == NULL || first > q || first->next == NULL) {
				snprintf(err, errlen, "%s: %s has no second page",
				         q->def->name, q->def->page2_of);
				return -1;
			}
			q->rq.page_token = first->next;
		}
		eccp_arena a;
		eccp_arena_init(&a);
		eccp_rpc_call call;
		Eccp__V1__SearchResponse *r, *d;
		int rc = -1;
		if (sb_rpc(c, &q->rq, &a, timeout_ms, &r, e, sizeof(e)) != 0) {
			snprintf(err, errlen, "%s: rpc: %s", q->def->name, e);
		} else if (sb_record(store, &q->rq, &call, &q->plan, &d, e, sizeof(e)) !=
		           0) {
			snprintf(err, errlen, "%s: in-process: %s", q->def->name, e);
			eccp_arena_free(&call.arena);
		} else {
			if (d->total != r->total || d->n_hits != r->n_hits ||
			    strcmp(sb_token(d), sb_token(r)) != 0) {
				snprintf(err, errlen,
				         "%s: the catalog answered %" PRIu64
				         " in all, %zu hits,"
				         " token '%.40s'; the copy %" PRIu64
				         ", %zu, '%.40s'",
				         q->def->name, r->total, r->n_hits, sb_token(r),
				         d->total, d->n_hits, sb_token(d));
			} else {
				rc = 0;
				for (size_t k = 0; k < d->n_hits && rc == 0; k++) {
					if (strcmp(d->hits[k]->item->id,
					           r->hits[k]->item->id) != 0) {
						snprintf(
						    err, errlen,
						    "%s: hit %zu: catalog %s, copy %s",
						    q->def->name, k, r->hits[k]->item->id,
						    d->hits[k]->item->id);
						rc = -1;
					}
				}
			}
			eccp_arena_free(&call.arena);
		}
		if (rc == 0) {
			q->total = first != NULL ? first->total : r->total;
			q->hits = r->n_hits;
			if (sb_token(r)[0] != '\0' &&
			    (q->next = strdup(sb_token(r))) == NULL) {
				snprintf(err, errlen, "out of memory");
				rc = -1;
			}
		}
		eccp_arena_free(&a);
		if (rc == 0 &&
		    sb_replay(eccp_store_db(store), &q->plan, true, e, sizeof(e)) != 0) {
			snprintf(err, errlen, "%s: direct: %s", q->def->name, e);
			rc = -1;
		}
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* ---- running it ------------------------------------------------------------------- */

static int sb_cmp(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return a < b ? -1 : a > b;
}

/* Nearest rank: the smallest value with at least p of the samples at or
 * below it. v is sorted in place. */
static double sb_pct(double *v, size_t n, double p)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), sb_cmp);
	size_t k = (size_t)ceil(p * (double)n);
	return v[k > 0 ? k - 1 : 0];
}

static double sb_ms(uint64_t t0, uint64_t t1)
{
	return (double)(t1 - t0) / 1e6;
}

static int sb_copy(const char *from, const char *to, char *err, size_t errlen)
{
	sqlite3 *src = NULL, *dst = NULL;
	int rc = sqlite3_open_v2(from, &src, SQLITE_OPEN_READONLY, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_open_v2(to, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
		                     NULL);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(src, 5000);
		sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
		if (b == NULL) {
			rc = sqlite3_errcode(dst);
		} else {
			do
				rc = sqlite3_backup_step(b, -1);
			while (rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
			sqlite3_backup_finish(b);
			rc = rc == SQLITE_DONE ? sqlite3_errcode(dst) : rc;
		}
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(dst, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		snprintf(err, errlen, "copying %s to %s: %s", from, to,
		         sqlite3_errstr(rc));
	sqlite3_close(src);
	sqlite3_close(dst);
	return rc == SQLITE_OK ? 0 : -1;
}

int main(int argc, char **argv)
{
	eccp_config *cfg;
	char err[1024] = "";
	int rc =
	    eccp_config_load(sb_options, ECCP_ARRAY_LEN(sb_options), "eccp-search-bench",
	                     "search-bench", argc, argv, &cfg, err, sizeof(err));
	if (rc == ECCP_CONFIG_HELP)
		return 0;
	if (rc != ECCP_CONFIG_OK) {
		fprintf(stderr, "eccp-search-bench: %s\n", err);
		return 2;
	}
	const char *store_path = eccp_config_str(cfg, "store");
	if (store_path == NULL || store_path[0] == '\0') {
		fprintf(stderr, "eccp-search-bench: --store is required\n");
		eccp_config_free(cfg);
		return 2;
	}
	size_t repeat = (size_t)eccp_config_int(cfg, "repeat");
	int timeout_ms = (int)eccp_config_int(cfg, "timeout-ms");
	const char *copy_from = eccp_config_str(cfg, "copy-from");

	sb_query *qs = calloc(SB_N, sizeof(*qs));
	double *all_rpc = calloc(SB_N * repeat, sizeof(double));
	double *all_direct = calloc(SB_N * repeat, sizeof(double));
	eccp_store *store = NULL;
	eccp_rpc_client *c = NULL;
	int64_t items = 0;
	double copy_s = 0;
	int failed = 1;
	if (qs == NULL || all_rpc == NULL || all_direct == NULL) {
		snprintf(err, sizeof(err), "out of memory");
		goto done;
	}
	for (size_t i = 0; i < SB_N; i++) {
		sb_build(&qs[i], &sb_defs[i]);
		qs[i].rpc_ms = all_rpc + i * repeat;
		qs[i].direct_ms = all_direct + i * repeat;
	}
	if (copy_from[0] != '\0') {
		uint64_t t = eccp_mono_ns();
		/* the catalogue, then its full-text index beside it */
		char ix_from[4096], ix_to[4096];
		if (!catalog_index_path(copy_from, ix_from, sizeof(ix_from)) ||
		    !catalog_index_path(store_path, ix_to, sizeof(ix_to))) {
			snprintf(err, sizeof(err),
			         "--store or --copy-from: path too long");
			goto done;
		}
		if (sb_copy(copy_from, store_path, err, sizeof(err)) != 0 ||
		    sb_copy(ix_from, ix_to, err, sizeof(err)) != 0)
			goto done;
		copy_s = (double)(eccp_mono_ns() - t) / 1e9;
	}
	eccp_store_opts o = {
	    .path = store_path, .flags = ECCP_STORE_READONLY, .init = catalog_store_init};
	if (eccp_store_open(&o, &store, err, sizeof(err)) != 0)
		goto done;
	items = eccp_store_query_int(store, "SELECT COUNT(*) FROM items", false, 0, -1);
	if (eccp_rpc_client_open(eccp_config_str(cfg, "catalog"), 0, &c, err,
	                         sizeof(err)) != 0)
		goto done;
	if (sb_prepare(c, store, qs, timeout_ms, err, sizeof(err)) != 0)
		goto done;

	sqlite3 *db = eccp_store_db(store);
	for (size_t k = 0; k < repeat; k++) {
		for (size_t i = 0; i < SB_N; i++) {
			sb_query *q = &qs[i];
			char e[768];
			eccp_arena a;
			eccp_arena_init(&a);
			Eccp__V1__SearchResponse *r;
			uint64_t t0 = eccp_mono_ns();
			int ok = sb_rpc(c, &q->rq, &a, timeout_ms, &r, e, sizeof(e)) == 0;
			uint64_t t1 = eccp_mono_ns();
			eccp_arena_free(&a);
			if (!ok) {
				snprintf(err, sizeof(err), "%s: rpc: %s", q->def->name,
				         e);
				goto done;
			}
			uint64_t t2 = eccp_mono_ns();
			ok = sb_replay(db, &q->plan, false, e, sizeof(e)) == 0;
			uint64_t t3 = eccp_mono_ns();
			if (!ok) {
				snprintf(err, sizeof(err), "%s: direct: %s", q->def->name,
				         e);
				goto done;
			}
			q->rpc_ms[k] = sb_ms(t0, t1);
			q->direct_ms[k] = sb_ms(t2, t3);
		}
	}
	failed = 0;

done:
	printf("{\"repeat\":%zu,\"items\":%" PRId64
	       ",\"copy_seconds\":%.3f,\"queries\":[",
	       repeat, items, copy_s);
	for (size_t i = 0; !failed && i < SB_N; i++) {
		sb_query *q = &qs[i];
		/* Means before sb_pct sorts the samples. */
		double rs = 0, ds = 0;
		for (size_t k = 0; k < repeat; k++) {
			rs += q->rpc_ms[k];
			ds += q->direct_ms[k];
		}
		printf("%s{\"name\":\"%s\",\"total\":%" PRIu64 ",\"hits\":%zu,"
		       "\"statements\":%zu,"
		       "\"rpc_mean_ms\":%.3f,\"rpc_p50_ms\":%.3f,\"rpc_p99_ms\":%.3f,"
		       "\"direct_mean_ms\":%.3f,\"direct_p50_ms\":%.3f,"
		       "\"direct_p99_ms\":%.3f}",
		       i ? "," : "", q->def->name, q->total, q->hits, q->plan.n,
		       rs / (double)repeat, sb_pct(q->rpc_ms, repeat, 0.50),
		       sb_pct(q->rpc_ms, repeat, 0.99), ds / (double)repeat,
		       sb_pct(q->direct_ms, repeat, 0.50),
		       sb_pct(q->direct_ms, repeat, 0.99));
	}
	size_t n = failed ? 0 : SB_N * repeat;
	char *error = eccp_json_quote(err);
	printf("],\"samples\":%zu,\"rpc_p50_ms\":%.3f,\"rpc_p99_ms\":%.3f,"
	       "\"direct_p50_ms\":%.3f,\"direct_p99_ms\":%.3f,\"error\":%s}\n",
	       n, sb_pct(all_rpc, n, 0.50), sb_pct(all_rpc, n, 0.99),
	       sb_pct(all_direct, n, 0.50), sb_pct(all_direct, n, 0.99),
	       error ? error : "\"out of memory\"");
	free(error);
	for (size_t i = 0; qs != NULL && i < SB_N; i++) {
		sb_plan_free(&qs[i].plan);
		free(qs[i].next);
	}
	eccp_rpc_client_close(c);
	eccp_store_close(store);
	free(qs);
	free(all_rpc);
	free(all_direct);
	free(sb_rec.b);
	eccp_config_free(cfg);
	return failed ? 1 : 0;
}
