/* Relevance: Okapi BM25 over the four indexed columns, weighted title 10,
 * keywords 3, summary 4, body 1 (a word in the title counts ten times one in
 * the body), as FTS5's own bm25() computes it.
 *
 * One difference makes paging exact: BM25 depends on the whole index (the
 * number of rows, their average length, how many rows hold each term), and
 * those figures move as items keep arriving, which would reorder the hits
 * between two pages and show some twice or never. So the figures are taken
 * once, for the first page (eccp_rank_stats), travel in the page token, and
 * every later page ranks with them (eccp_rank): a hit's score then depends
 * only on its own text, and the order is the same on every page.
 *
 * Both take the number of phrases that come from the user's text: they come
 * first in the MATCH expression; the filters' words after them neither
 * score nor need statistics. */
#include "catalog.h"

#include "text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RANK_K1        1.2
#define RANK_B         0.75
#define RANK_MAX_TERMS 64

static const double rank_weight[] = {10.0, 4.0, 1.0,
                                     3.0}; /* title summary body keywords */

typedef struct rank_stats {
	double rows, avgdl;
	int n;
	double df[RANK_MAX_TERMS];
} rank_stats;

static int rank_count_cb(const Fts5ExtensionApi *api, Fts5Context *fts, void *arg)
{
	(void)api;
	(void)fts;
	(*(double *)arg)++;
	return SQLITE_OK;
}

static int rank_compute(const Fts5ExtensionApi *api, Fts5Context *fts, int n_user,
                        rank_stats *s)
{
	sqlite3_int64 rows = 0, tokens = 0;
	int rc = api->xRowCount(fts, &rows);
	if (rc == SQLITE_OK)
		rc = api->xColumnTotalSize(fts, -1, &tokens);
	if (rc != SQLITE_OK)
		return rc;
	s->rows = (double)rows;
	s->avgdl = rows > 0 ? (double)tokens / (double)rows : 1.0;
	s->n = api->xPhraseCount(fts);
	if (s->n > n_user)
		s->n = n_user;
	if (s->n > RANK_MAX_TERMS)
		s->n = RANK_MAX_TERMS;
	if (s->n < 0)
		s->n = 0;
	for (int i = 0; i < s->n; i++) {
		s->df[i] = 0;
		rc = api->xQueryPhrase(fts, i, &s->df[i], rank_count_cb);
		if (rc != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

/* "rows avgdl df0 df1 ...", doubles as %a so that they come back bit for
 * bit. */
static char *rank_format(const rank_stats *s)
{
	size_t cap = 64 + (size_t)s->n * 32;
	char *out = sqlite3_malloc64(cap);
	if (out == NULL)
		return NULL;
	int n = snprintf(out, cap, "%a %a", s->rows, s->avgdl);
	for (int i = 0; i < s->n && n > 0 && (size_t)n < cap; i++)
		n += snprintf(out + n, cap - (size_t)n, " %a", s->df[i]);
	return out;
}

/* Statistics from a page token: only finite, non-negative figures, and one
 * document count per phrase of the user's (n). A client can hand back
 * anything; what does not fit is computed afresh. */
static bool rank_parse(const char *text, int n, rank_stats *s)
{
	char *end;
	s->rows = strtod(text, &end);
	if (end == text || !isfinite(s->rows) || s->rows < 0)
		return false;
	text = end;
	s->avgdl = strtod(text, &end);
	if (end == text || !isfinite(s->avgdl) || !(s->avgdl > 0))
		return false;
	s->n = 0;
	for (text = end; *text != '\0'; text = end) {
		if (s->n == n || s->n == RANK_MAX_TERMS)
			return false;
		s->df[s->n] = strtod(text, &end);
		if (end == text || !isfinite(s->df[s->n]) || s->df[s->n] < 0)
			return false;
		s->n++;
	}
	return s->n == n;
}

/* eccp_rank_stats(items_fts, n_user) */
static void rank_stats_fn(const Fts5ExtensionApi *api, Fts5Context *fts,
                          sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	int n_user = argc > 0 ? sqlite3_value_int(argv[0]) : RANK_MAX_TERMS;
	rank_stats s;
	int rc = rank_compute(api, fts, n_user, &s);
	if (rc != SQLITE_OK) {
		sqlite3_result_error_code(ctx, rc);
		return;
	}
	char *out = rank_format(&s);
	if (out == NULL)
		sqlite3_result_error_nomem(ctx);
	else
		sqlite3_result_text(ctx, out, -1, sqlite3_free);
}

/* eccp_rank(items_fts, n_user, stats or NULL): the row's score, higher is
 * better. */
static void rank_fn(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx,
                    int argc, sqlite3_value **argv)
{
	rank_stats *s = api->xGetAuxdata(fts, 0);
	if (s == NULL) {
		s = sqlite3_malloc(sizeof(*s));
		if (s == NULL) {
			sqlite3_result_error_nomem(ctx);
			return;
		}
		int n_user = argc > 0 ? sqlite3_value_int(argv[0]) : RANK_MAX_TERMS;
		int phrases = api->xPhraseCount(fts);
		if (n_user > phrases)
			n_user = phrases;
		if (n_user > RANK_MAX_TERMS)
			n_user = RANK_MAX_TERMS;
		if (n_user < 0)
			n_user = 0;
		const char *given = argc > 1 && sqlite3_value_type(argv[1]) == SQLITE_TEXT
		                        ? (const char *)sqlite3_value_text(argv[1])
		                        : NULL;
		int rc = SQLITE_OK;
		if (given == NULL || !rank_parse(given, n_user, s))
			rc = rank_compute(api, fts, n_user, s);
		if (rc == SQLITE_OK)
			rc = api->xSetAuxdata(fts, s, sqlite3_free);
		else
			sqlite3_free(s);
		if (rc != SQLITE_OK) {
			sqlite3_result_error_code(ctx, rc);
			return;
		}
	}
	double freq[RANK_MAX_TERMS] = {0};
	int n_inst = 0;
	if (api->xInstCount(fts, &n_inst) != SQLITE_OK)
		n_inst = 0;
	for (int i = 0; i < n_inst; i++) {
		int phrase, col, off;
		if (api->xInst(fts, i, &phrase, &col, &off) != SQLITE_OK)
			break;
		if (phrase >= 0 && phrase < s->n && col >= 0 &&
		    col < (int)(sizeof(rank_weight) / sizeof(rank_weight[0])))
			freq[phrase] += rank_weight[col];
	}
	int len = 0;
	api->xColumnSize(fts, -1, &len);
	double norm = RANK_K1 * (1 - RANK_B + RANK_B * (double)len / s->avgdl);
	double score = 0;
	for (int i = 0; i < s->n; i++) {
		if (freq[i] <= 0)
			continue;
		double idf = log((s->rows - s->df[i] + 0.5) / (s->df[i] + 0.5));
		if (idf <= 0)
			idf = 1e-6;
		score += idf * freq[i] * (RANK_K1 + 1) / (freq[i] + norm);
	}
	sqlite3_result_double(ctx, score);
}

static fts5_api *rank_fts5(sqlite3 *db)
{
	fts5_api *api = NULL;
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_pointer(st, 1, &api, "fts5_api_ptr", NULL);
	sqlite3_step(st);
	sqlite3_finalize(st);
	return api;
}

int catalog_fts_init(sqlite3 *db)
{
	int rc = eccp_text_register(db);
	if (rc != SQLITE_OK)
		return rc;
	fts5_api *api = rank_fts5(db);
	if (api == NULL)
		return SQLITE_ERROR;
	rc = api->xCreateFunction(api, "eccp_rank", NULL, rank_fn, NULL);
	if (rc == SQLITE_OK)
		rc = api->xCreateFunction(api, "eccp_rank_stats", NULL, rank_stats_fn,
		                          NULL);
	return rc;
}

bool catalog_index_path(const char *catalog_path, char *out, size_t cap)
{
	size_t n = strlen(catalog_path);
	if (n >= 3 && strcmp(catalog_path + n - 3, ".db") == 0)
		n -= 3;
	int w = snprintf(out, cap, "%.*s-index.db", (int)n, catalog_path);
	return w > 0 && (size_t)w < cap;
}

int catalog_store_init(sqlite3 *db)
{
	int rc = catalog_fts_init(db);
	if (rc != SQLITE_OK || sqlite3_db_readonly(db, "main") != 1)
		return rc;
	const char *main_path = sqlite3_db_filename(db, "main");
	char path[4096];
	if (main_path == NULL || !catalog_index_path(main_path, path, sizeof(path)))
		return SQLITE_CANTOPEN;
	sqlite3_stmt *st = NULL;
	rc = sqlite3_prepare_v2(db, "ATTACH DATABASE ?1 AS ix", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		rc = rc == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(db);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "PRAGMA ix.cache_size = -8192", NULL, NULL, NULL);
	return rc;
}
