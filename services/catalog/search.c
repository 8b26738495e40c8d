/* Search: free text with filters, facets and keyset paging; statistics and
 * calendars are searches too.
 *
 * A request becomes one SQL statement over items (joined with the
 * full-text index when there is text), built from fixed fragments with
 * every value bound as a parameter. Paging is by key, not offset: the page
 * token holds the sort key and rowid of the last hit, the highest rowid that
 * existed at the first page (items that arrive later are not part of this
 * result, so every page continues the same list), the time call statuses
 * are computed at, and for relevance the index statistics of the first page
 * (see rank.c). A token only fits the search it came from. */
#include "catalog.h"

#include "countries.h"
#include "crypto.h"
#include "ical.h"
#include "log.h"
#include "text.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SEARCH_DEFAULT_LIMIT 20
#define SEARCH_MAX_LIMIT     500
#define SEARCH_MAX_TEXT      500 /* characters */
#define SEARCH_MAX_LIST      50
#define SEARCH_MAX_PARAMS    400
#define CALENDAR_MAX_EVENTS  10000

/* ---- SQL with bound parameters -------------------------------------------- */

typedef struct sq_param {
	enum { SQ_INT, SQ_DOUBLE, SQ_TEXT } type;
	int64_t i;
	double d;
	const char *s;
} sq_param;

typedef struct sq {
	eccp_arena *a;
	char *buf;
	size_t len, cap;
	sq_param p[SEARCH_MAX_PARAMS];
	int n;
	bool overflow;
} sq;

static void sq_add(sq *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sq_add(sq *q, const char *fmt, ...)
{
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(q->buf + q->len, q->cap - q->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n < q->cap - q->len) {
			q->len += (size_t)n;
			return;
		}
		size_t cap = (q->cap + (size_t)n) * 2;
		char *b = eccp_arena_alloc(q->a, cap);
		if (q->len > 0)
			memcpy(b, q->buf, q->len);
		q->buf = b;
		q->cap = cap;
	}
}

/* Appends the placeholder of a new parameter: "?N". */
static int sq_param_add(sq *q, sq_param p)
{
	if (q->n == SEARCH_MAX_PARAMS) {
		q->overflow = true;
		return SEARCH_MAX_PARAMS;
	}
	q->p[q->n] = p;
	return ++q->n;
}

static int sq_int(sq *q, int64_t v)
{
	return sq_param_add(q, (sq_param){.type = SQ_INT, .i = v});
}

static int sq_text(sq *q, const char *s)
{
	return sq_param_add(q, (sq_param){.type = SQ_TEXT, .s = s});
}

static int sq_double(sq *q, double d)
{
	return sq_param_add(q, (sq_param){.type = SQ_DOUBLE, .d = d});
}

static void sq_bind(const sq *q, sqlite3_stmt *st)
{
	for (int i = 0; i < q->n; i++) {
		const sq_param *p = &q->p[i];
		if (p->type == SQ_INT)
			sqlite3_bind_int64(st, i + 1, p->i);
		else if (p->type == SQ_DOUBLE)
			sqlite3_bind_double(st, i + 1, p->d);
		else
			sqlite3_bind_text(st, i + 1, p->s, -1, SQLITE_STATIC);
	}
}

static sqlite3_stmt *sq_prepare(eccp_rpc_call *call, const sq *q)
{
	sqlite3_stmt *st = NULL;
	if (q->overflow || sqlite3_prepare_v2(eccp_store_db(call->store), q->buf,
	                                      (int)q->len, &st, NULL) != SQLITE_OK) {
		eccp_rpc_error(call, ECCP__V1__STATUS_CODE__STATUS_CODE_INTERNAL,
		               "search could not be prepared: %s",
		               q->overflow ? "too many values"
		                           : sqlite3_errmsg(eccp_store_db(call->store)));
		sqlite3_finalize(st);
		return NULL;
	}
	sq_bind(q, st);
	eccp_debug("search: %.*s", (int)q->len, q->buf);
	return st;
}

/* ---- the search, checked and normalised ------------------------------------ */

struct cat_query {
	const Eccp__V1__SearchRequest *rq;
	const Eccp__V1__Campaign *campaign;
	char *user;    /* the user's words (ANDed quoted terms), or NULL */
	int n_user;    /* phrases in user */
	char *fts;     /* what to MATCH: user's words first, then filters */
	char *fts_not; /* rows to leave out, or NULL */
	bool nothing;  /* a filter no item can satisfy */
	int64_t now;
	int64_t max_rid;
	int sort;
	bool calendar; /* events, withdrawn ones too */
	/* From the page token. */
	bool after;
	double after_score;
	int64_t after_key, after_rid;
	char *stats; /* relevance statistics, or NULL */
	char fingerprint[17];
};

/* Appends `"tokens"` (and * for a prefix) for one term or phrase of the
 * user's text: the same folding the index used, so what matches is what the
 * user typed. Returns false when the term has no token. */
static bool fts_term(eccp_arena *a, char **out, const char *term, size_t n, bool prefix,
                     const char *joiner, int *count)
{
	char *raw = eccp_arena_strndup(a, term, n);
	size_t cap = n * 3 + 8;
	char *f = eccp_arena_alloc(a, cap);
	if (eccp_text_fold(raw, f, cap) == 0)
		return false;
	*out = *out == NULL ? eccp_arena_printf(a, "\"%s\"%s", f, prefix ? "*" : "")
	                    : eccp_arena_printf(a, "%s%s\"%s\"%s", *out, joiner, f,
	                                        prefix ? "*" : "");
	if (count != NULL)
		(*count)++;
	return true;
}

/* Words (all must occur), "phrases", prefix* and -excluded words. */
static void fts_parse(eccp_arena *a, const char *text, char **pos, int *n_pos, char **neg)
{
	const char *s = text;
	while (*s != '\0') {
		while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
			s++;
		if (*s == '\0')
			break;
		bool exclude = false;
		if (*s == '-') {
			exclude = true;
			s++;
		}
		const char *start;
		size_t n;
		if (*s == '"') {
			start = ++s;
			while (*s != '\0' && *s != '"')
				s++;
			n = (size_t)(s - start);
			if (*s == '"')
				s++;
		} else {
			start = s;
			while (*s != '\0' && *s != ' ' && *s != '\t' && *s != '\n' &&
			       *s != '\r' && *s != '"')
				s++;
			n = (size_t)(s - start);
		}
		bool prefix = false;
		if (*s == '*') {
			prefix = true;
			s++;
		} else if (n > 0 && start[n - 1] == '*') {
			prefix = true;
			n--;
		}
		if (n == 0)
			continue;
		if (exclude)
			fts_term(a, neg, start, n, false, " OR ", NULL);
		else
			fts_term(a, pos, start, n, prefix, " AND ", n_pos);
	}
}

static void check_list(eccp_rpc_call *call, const char *field, char **v, size_t n,
                       size_t max_len)
{
	if (n > SEARCH_MAX_LIST)
		eccp_rpc_field_error(call, field, "max_items", "at most %d entries",
		                     SEARCH_MAX_LIST);
	for (size_t i = 0; i < n && i < SEARCH_MAX_LIST; i++) {
		size_t len = strlen(v[i]);
		if (!eccp_utf8_valid(v[i], len))
			eccp_rpc_field_error(
			    call, eccp_arena_printf(&call->arena, "%s[%zu]", field, i),
			    "utf8", "must be valid UTF-8");
		else if (eccp_utf8_len(v[i], len) > max_len)
			eccp_rpc_field_error(
			    call, eccp_arena_printf(&call->arena, "%s[%zu]", field, i),
			    "max_length", "at most %zu characters", max_len);
	}
}

/* Checks every field of the request; field errors go on the call. */
static void search_check(eccp_rpc_call *call, const Eccp__V1__SearchRequest *rq)
{
	eccp_arena *a = &call->arena;
	if (rq->text != NULL && rq->text[0] != '\0') {
		size_t len = strlen(rq->text);
		if (!eccp_utf8_valid(rq->text, len))
			eccp_rpc_field_error(call, "search.text", "utf8",
			                     "must be valid UTF-8");
		else if (eccp_utf8_len(rq->text, len) > SEARCH_MAX_TEXT)
			eccp_rpc_field_error(call, "search.text", "max_length",
			                     "at most %d characters", SEARCH_MAX_TEXT);
	}
	if (rq->n_kinds > SEARCH_MAX_LIST || rq->n_ecosystems > SEARCH_MAX_LIST ||
	    rq->n_call_statuses > SEARCH_MAX_LIST) {
		eccp_rpc_field_error(call, "search", "max_items",
		                     "kinds, ecosystems and callStatuses hold at most %d "
		                     "entries each",
		                     SEARCH_MAX_LIST);
		return;
	}
	for (size_t i = 0; i < rq->n_kinds; i++)
		if (!eccp_rpc_enum_ok(&eccp__v1__content_kind__descriptor, rq->kinds[i]))
			eccp_rpc_field_error(call,
			                     eccp_arena_printf(a, "search.kinds[%zu]", i),
			                     "enum", "not a content kind");
	for (size_t i = 0; i < rq->n_ecosystems; i++)
		if (!eccp_rpc_enum_ok(&eccp__v1__ecosystem__descriptor,
		                      rq->ecosystems[i]))
			eccp_rpc_field_error(
			    call, eccp_arena_printf(a, "search.ecosystems[%zu]", i),
			    "enum", "not an industrial ecosystem");
	for (size_t i = 0; i < rq->n_call_statuses; i++)
		if (!eccp_rpc_enum_ok(&eccp__v1__call_status__descriptor,
		                      rq->call_statuses[i]))
			eccp_rpc_field_error(
			    call, eccp_arena_printf(a, "search.callStatuses[%zu]", i),
			    "enum", "not a call status");
	check_list(call, "search.technologies", rq->technologies, rq->n_technologies,
	           200);
	check_list(call, "search.programmes", rq->programmes, rq->n_programmes, 200);
	check_list(call, "search.organisationIds", rq->organisation_ids,
	           rq->n_organisation_ids, 200);
	check_list(call, "search.countries", rq->countries, rq->n_countries, 2);
	for (size_t i = 0; i < rq->n_countries && i < SEARCH_MAX_LIST; i++)
		if (eccp_country_find(rq->countries[i]) == NULL)
			eccp_rpc_field_error(
			    call, eccp_arena_printf(a, "search.countries[%zu]", i),
			    "country", "'%s' is not an ISO 3166-1 alpha-2 code (e.g. DE)",
			    rq->countries[i]);
	if (rq->nuts_prefix != NULL && rq->nuts_prefix[0] != '\0') {
		const char *p = rq->nuts_prefix;
		size_t n = strlen(p);
		bool ok = n >= 2 && n <= 5 && isalpha((unsigned char)p[0]) &&
		          isalpha((unsigned char)p[1]);
		for (size_t i = 2; ok && i < n; i++)
			ok = isalnum((unsigned char)p[i]) != 0;
		if (!ok)
			eccp_rpc_field_error(
			    call, "search.nutsPrefix", "nuts",
			    "a NUTS code or its start: two letters and up to "
			    "three letters or digits, e.g. DE2 or FR101");
	}
	if (eccp_timestamp_set(rq->window_start) && eccp_timestamp_set(rq->window_end) &&
	    rq->window_end->seconds < rq->window_start->seconds)
		eccp_rpc_field_error(call, "search.windowEnd", "end_after_start",
		                     "must not be before windowStart");
	if (eccp_timestamp_set(rq->deadline_after) &&
	    eccp_timestamp_set(rq->deadline_before) &&
	    rq->deadline_before->seconds < rq->deadline_after->seconds)
		eccp_rpc_field_error(call, "search.deadlineBefore", "end_after_start",
		                     "must not be before deadlineAfter");
	if (rq->sort != 0 &&
	    !eccp_rpc_enum_ok(&eccp__v1__search_sort__descriptor, rq->sort))
		eccp_rpc_field_error(call, "search.sort", "enum", "not a sort order");
	if (rq->limit > SEARCH_MAX_LIMIT)
		eccp_rpc_field_error(call, "search.limit", "max",
		                     "at most %d hits per page", SEARCH_MAX_LIMIT);
}

/* The fingerprint of everything that defines the result (not the page). */
static void search_fingerprint(const Eccp__V1__SearchRequest *rq, eccp_arena *a,
                               char out[17])
{
	Eccp__V1__SearchRequest c = *rq;
	c.page_token = NULL;
	c.limit = 0;
	c.facets = false;
	size_t len = eccp__v1__search_request__get_packed_size(&c);
	uint8_t *buf = eccp_arena_alloc(a, len ? len : 1);
	eccp__v1__search_request__pack(&c, buf);
	char hex[2 * ECCP_SHA256_LEN + 1];
	eccp_sha256_hex(buf, len, hex);
	memcpy(out, hex, 16);
	out[16] = '\0';
}

/* Token: hex of "1|fingerprint|sort|now|max_rid|key|rid|stats". */
static char *token_make(eccp_arena *a, const cat_query *q, double score, int64_t key,
                        int64_t rid)
{
	char *key_text = q->sort == ECCP__V1__SEARCH_SORT__SEARCH_SORT_RELEVANCE
	                     ? eccp_arena_printf(a, "%a", score)
	                     : eccp_arena_printf(a, "%" PRId64, key);
	char *plain = eccp_arena_printf(
	    a, "1|%s|%d|%" PRId64 "|%" PRId64 "|%s|%" PRId64 "|%s", q->fingerprint,
	    q->sort, q->now, q->max_rid, key_text, rid, q->stats ? q->stats : "");
	size_t n = strlen(plain);
	char *hex = eccp_arena_alloc(a, 2 * n + 1);
	for (size_t i = 0; i < n; i++)
		eccp_hex((unsigned char)plain[i], 2, hex + 2 * i);
	hex[2 * n] = '\0';
	return hex;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static bool token_read(eccp_arena *a, const char *tok, cat_query *q)
{
	size_t n = strlen(tok);
	if (n == 0 || n % 2 != 0 || n > 8192)
		return false;
	char *plain = eccp_arena_alloc(a, n / 2 + 1);
	for (size_t i = 0; i < n / 2; i++) {
		int h = hexval(tok[2 * i]), l = hexval(tok[2 * i + 1]);
		if (h < 0 || l < 0)
			return false;
		plain[i] = (char)(h << 4 | l);
		if (plain[i] == '\0')
			return false;
	}
	char *f[8] = {0};
	char *s = plain;
	for (int i = 0; i < 8; i++) {
		f[i] = s;
		char *bar = i < 7 ? strchr(s, '|') : NULL;
		if (i < 7 && bar == NULL)
			return false;
		if (bar != NULL) {
			*bar = '\0';
			s = bar + 1;
		}
	}
	if (strcmp(f[0], "1") != 0 || strcmp(f[1], q->fingerprint) != 0)
		return false;
	char *end;
	/* The order is the request's; a token cannot change it. */
	if (strtol(f[2], &end, 10) != q->sort || *end != '\0')
		return false;
	q->now = strtoll(f[3], &end, 10);
	if (*end != '\0')
		return false;
	q->max_rid = strtoll(f[4], &end, 10);
	if (*end != '\0')
		return false;
	if (q->sort == ECCP__V1__SEARCH_SORT__SEARCH_SORT_RELEVANCE)
		q->after_score = strtod(f[5], &end);
	else
		q->after_key = strtoll(f[5], &end, 10);
	if (*end != '\0')
		return false;
	q->after_rid = strtoll(f[6], &end, 10);
	if (*end != '\0')
		return false;
	q->stats = f[7][0] != '\0' ? f[7] : NULL;
	q->after = true;
	return true;
}

Eccp__V1__Campaign *catalog_campaign_load(eccp_rpc_call *call, const char *id)
{
	sqlite3_stmt *st =
	    eccp_store_stmt(call->store, "SELECT campaign FROM campaigns WHERE id = ?1");
	if (st == NULL) {
		eccp_rpc_store_error(call);
		return NULL;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	Eccp__V1__Campaign *c = NULL;
	if (sqlite3_step(st) == SQLITE_ROW)
		c = eccp__v1__campaign__unpack(eccp_arena_allocator(&call->arena),
		                               (size_t)sqlite3_column_bytes(st, 0),
		                               sqlite3_column_blob(st, 0));
	sqlite3_reset(st);
	if (c == NULL)
		eccp_rpc_error(call, ECCP__V1__STATUS_CODE__STATUS_CODE_NOT_FOUND,
		               "no campaign '%s'", id);
	return c;
}

/* Appends "AND facets : (word OR word ...)" for one filter: any of values.
 * A filter whose values all lack a letter or digit can match nothing. */
static void match_facet(eccp_arena *a, cat_query *q, int facet, char *const *values,
                        size_t n, bool prefix)
{
	if (n == 0)
		return;
	char *any = NULL;
	for (size_t i = 0; i < n; i++) {
		const char *w = catalog_facet_word(a, facet, values[i]);
		if (w[0] == '\0')
			continue;
		any = any == NULL ? eccp_arena_printf(a, "\"%s\"%s", w, prefix ? "*" : "")
		                  : eccp_arena_printf(a, "%s OR \"%s\"%s", any, w,
		                                      prefix ? "*" : "");
	}
	if (any == NULL) {
		q->nothing = true;
		return;
	}
	q->fts = q->fts == NULL
	             ? eccp_arena_printf(a, "facets : (%s)", any)
	             : eccp_arena_printf(a, "%s AND facets : (%s)", q->fts, any);
}

static void match_ecosystems(eccp_arena *a, cat_query *q, const Eccp__V1__Ecosystem *e,
                             size_t n)
{
	char **v = eccp_arena_alloc(a, (n ? n : 1) * sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] = eccp_arena_printf(a, "%d", (int)e[i]);
	match_facet(a, q, CAT_FACET_ECOSYSTEM, v, n, false);
}

/* The MATCH expression: the user's words first (they are what ranks), then
 * every filter that is a facet, then the campaign's keywords (any). */
static void query_match(eccp_arena *a, cat_query *q)
{
	const Eccp__V1__SearchRequest *rq = q->rq;
	q->fts =
	    q->user != NULL
	        ? eccp_arena_printf(a, "{title summary body keywords} : (%s)", q->user)
	        : NULL;
	match_ecosystems(a, q, rq->ecosystems, rq->n_ecosystems);
	match_facet(a, q, CAT_FACET_COUNTRY, rq->countries, rq->n_countries, false);
	match_facet(a, q, CAT_FACET_TECHNOLOGY, rq->technologies, rq->n_technologies,
	            false);
	match_facet(a, q, CAT_FACET_PROGRAMME, rq->programmes, rq->n_programmes, false);
	match_facet(a, q, CAT_FACET_ORGANISATION, rq->organisation_ids,
	            rq->n_organisation_ids, false);
	if (rq->nuts_prefix != NULL && rq->nuts_prefix[0] != '\0')
		match_facet(a, q, CAT_FACET_NUTS, &rq->nuts_prefix, 1, true);
	const Eccp__V1__Campaign *c = q->campaign;
	if (c != NULL) {
		match_ecosystems(a, q, c->ecosystems, c->n_ecosystems);
		match_facet(a, q, CAT_FACET_COUNTRY, c->countries, c->n_countries, false);
		char *kw = NULL;
		for (size_t i = 0; i < c->n_keywords; i++)
			fts_term(a, &kw, c->keywords[i], strlen(c->keywords[i]), false,
			         " OR ", NULL);
		if (kw != NULL)
			q->fts =
			    q->fts == NULL
			        ? eccp_arena_printf(
			              a, "{title summary body keywords} : (%s)", kw)
			        : eccp_arena_printf(
			              a, "%s AND {title summary body keywords} : (%s)",
			              q->fts, kw);
	}
}

/* Prepares q from the request: checks, campaign, text, token. False with
 * the call's status set when the request cannot run. */
static bool query_init(eccp_rpc_call *call, const Eccp__V1__SearchRequest *rq,
                       cat_query *q)
{
	eccp_arena *a = &call->arena;
	memset(q, 0, sizeof(*q));
	q->rq = rq;
	search_check(call, rq);
	if (call->status->code != ECCP__V1__STATUS_CODE__STATUS_CODE_OK)
		return false;
	if (rq->campaign_id != NULL && rq->campaign_id[0] != '\0') {
		q->campaign = catalog_campaign_load(call, rq->campaign_id);
		if (q->campaign == NULL)
			return false;
	}
	if (rq->text != NULL)
		fts_parse(a, rq->text, &q->user, &q->n_user, &q->fts_not);
	if (q->fts_not != NULL)
		q->fts_not = eccp_arena_printf(a, "{title summary body keywords} : (%s)",
		                               q->fts_not);
	query_match(a, q);
	q->sort = rq->sort;
	if (q->sort == ECCP__V1__SEARCH_SORT__SEARCH_SORT_UNSPECIFIED)
		q->sort = q->user ? ECCP__V1__SEARCH_SORT__SEARCH_SORT_RELEVANCE
		                  : ECCP__V1__SEARCH_SORT__SEARCH_SORT_NEWEST;
	if (q->sort == ECCP__V1__SEARCH_SORT__SEARCH_SORT_RELEVANCE && q->user == NULL)
		q->sort = ECCP__V1__SEARCH_SORT__SEARCH_SORT_NEWEST;
	q->now = eccp_timestamp_set(rq->as_of) ? rq->as_of->seconds : (int64_t)time(NULL);
	search_fingerprint(rq, a, q->fingerprint);
	if (rq->page_token != NULL && rq->page_token[0] != '\0' &&
	    !token_read(a, rq->page_token, q)) {
		eccp_rpc_field_error(
		    call, "search.pageToken", "page_token",
		    "not a page token of this search (tokens fit the search "
		    "they came from, with the same filters)");
		return false;
	}
	return true;
}

/* ---- the statement ---------------------------------------------------------- */

/* The call status of the row A at q->now: 0 (not a call), 1 forthcoming,
 * 2 open, 3 closed. */
static const char *status_sql_of(sq *s, const cat_query *q, const char *A)
{
	int now = sq_int(s, q->now);
	return eccp_arena_printf(
	    s->a,
	    "(CASE WHEN %s.kind <> 4 THEN 0"
	    " WHEN %s.opening_s IS NOT NULL AND ?%d < %s.opening_s THEN 1"
	    " WHEN %s.deadline_s IS NULL OR ?%d <= %s.deadline_s THEN 2"
	    " ELSE 3 END)",
	    A, A, now, A, A, now, A);
}

static const char *status_sql(sq *s, const cat_query *q)
{
	return status_sql_of(s, q, "i");
}

static void window_filter(sq *s, const char *A, const Eccp__V1__Timestamp *from,
                          const Eccp__V1__Timestamp *to)
{
	if (!eccp_timestamp_set(from) && !eccp_timestamp_set(to))
		return;
	sq_add(s, " AND %s.start_s IS NOT NULL", A);
	if (eccp_timestamp_set(to))
		sq_add(s, " AND %s.start_s <= ?%d", A, sq_int(s, to->seconds));
	if (eccp_timestamp_set(from))
		sq_add(s, " AND %s.end_s >= ?%d", A, sq_int(s, from->seconds));
}

static void kinds_filter(sq *s, const char *A, const Eccp__V1__ContentKind *k, size_t n)
{
	if (n == 0)
		return;
	sq_add(s, " AND %s.kind IN (", A);
	for (size_t i = 0; i < n; i++)
		sq_add(s, "%s%d", i ? ", " : "", (int)k[i]);
	sq_add(s, ")");
}

/* Every condition of the result on the items row A, but the duplicate rule
 * and the MATCH (which the caller joins or, with match set, adds as a
 * membership test). */
static void query_conds(sq *s, const cat_query *q, const char *A, bool match)
{
	const Eccp__V1__SearchRequest *rq = q->rq;
	/* '+': the newest rowid bounds the result, it is no way to find it */
	sq_add(s, " AND +%s.rid <= ?%d", A, sq_int(s, q->max_rid));
	if (q->nothing)
		sq_add(s, " AND 0");
	if (match && q->fts != NULL)
		sq_add(s,
		       " AND %s.rid IN (SELECT rowid FROM items_fts WHERE items_fts "
		       "MATCH ?%d)",
		       A, sq_text(s, q->fts));
	if (!q->calendar)
		sq_add(s, " AND %s.withdrawn = 0", A);
	if (q->calendar)
		sq_add(s, " AND %s.kind = %d", A,
		       ECCP__V1__CONTENT_KIND__CONTENT_KIND_EVENT);
	else
		kinds_filter(s, A, rq->kinds, rq->n_kinds);
	if (q->fts_not != NULL)
		sq_add(s,
		       " AND %s.rid NOT IN (SELECT rowid FROM items_fts WHERE items_fts"
		       " MATCH ?%d)",
		       A, sq_text(s, q->fts_not));
	if (rq->n_programmes > 0)
		sq_add(s, " AND %s.kind = %d", A,
		       ECCP__V1__CONTENT_KIND__CONTENT_KIND_CALL);
	/* The index narrows organisations down; the id itself decides. */
	if (rq->n_organisation_ids > 0) {
		sq_add(s, " AND %s.organisation_id IN (", A);
		for (size_t i = 0; i < rq->n_organisation_ids; i++)
			sq_add(s, "%s?%d", i ? ", " : "",
			       sq_text(s, rq->organisation_ids[i]));
		sq_add(s, ")");
	}
	window_filter(s, A, rq->window_start, rq->window_end);
	if (rq->n_call_statuses > 0) {
		sq_add(s, " AND %s.kind = %d AND %s IN (", A,
		       ECCP__V1__CONTENT_KIND__CONTENT_KIND_CALL, status_sql_of(s, q, A));
		for (size_t i = 0; i < rq->n_call_statuses; i++)
			sq_add(s, "%s%d", i ? ", " : "", (int)rq->call_statuses[i]);
		sq_add(s, ")");
	}
	if (eccp_timestamp_set(rq->deadline_after))
		sq_add(s, " AND %s.deadline_s >= ?%d", A,
		       sq_int(s, rq->deadline_after->seconds));
	if (eccp_timestamp_set(rq->deadline_before))
		sq_add(s, " AND %s.deadline_s <= ?%d", A,
		       sq_int(s, rq->deadline_before->seconds));
	if (q->campaign != NULL) {
		const Eccp__V1__Campaign *c = q->campaign;
		kinds_filter(s, A, c->kinds, c->n_kinds);
		window_filter(s, A, c->window_start, c->window_end);
	}
}

/* FROM and WHERE: the result, without sort and page. */
static void query_from_where(sq *s, const cat_query *q, bool with_score)
{
	if (q->fts != NULL) {
		int match = sq_text(s, q->fts);
		if (with_score && q->n_user > 0) {
			int n = sq_int(s, q->n_user);
			int stats = q->stats ? sq_text(s, q->stats) : 0;
			if (stats)
				sq_add(s,
				       " FROM (SELECT rowid AS frid, "
				       "eccp_rank(items_fts, ?%d, ?%d)"
				       " AS score FROM items_fts WHERE items_fts MATCH "
				       "?%d) f"
				       " CROSS JOIN items i ON i.rid = f.frid",
				       n, stats, match);
			else
				sq_add(s,
				       " FROM (SELECT rowid AS frid, "
				       "eccp_rank(items_fts, ?%d)"
				       " AS score FROM items_fts WHERE items_fts MATCH "
				       "?%d) f"
				       " CROSS JOIN items i ON i.rid = f.frid",
				       n, match);
		} else {
			sq_add(s,
			       " FROM (SELECT rowid AS frid, 0.0 AS score FROM items_fts"
			       " WHERE items_fts MATCH ?%d) f CROSS JOIN items i"
			       " ON i.rid = f.frid",
			       match);
		}
	} else {
		sq_add(s, " FROM items i");
	}
	sq_add(s, " WHERE 1");
	query_conds(s, q, "i", false);
	/* Near-duplicate events show once: a copy is left out while its
	 * original is part of the same result; when the original is not
	 * (filtered out, withdrawn), the first of its copies in the result
	 * shows in its place. */
	sq_add(s, " AND (i.duplicate_of IS NULL OR (NOT EXISTS (SELECT 1 FROM items o"
	          " WHERE o.id = i.duplicate_of AND o.withdrawn = 0");
	query_conds(s, q, "o", true);
	sq_add(s, ") AND NOT EXISTS (SELECT 1 FROM items o WHERE o.duplicate_of ="
	          " i.duplicate_of AND o.rid < i.rid AND o.withdrawn = 0");
	query_conds(s, q, "o", true);
	sq_add(s, ")))");
}

static const char *sort_key_sql(const cat_query *q)
{
	switch (q->sort) {
	case ECCP__V1__SEARCH_SORT__SEARCH_SORT_RELEVANCE:
		return "f.score";
	case ECCP__V1__SEARCH_SORT__SEARCH_SORT_DEADLINE:
		return "COALESCE(i.deadline_s, 253402300800)";
	default:
		return "i.date_s";
	}
}

/* The page: SELECT ... ORDER BY key LIMIT n+1 after the token's position. */
/* With total, each row also carries the size of the whole result, counted
 * in the same pass. */
static void query_page(sq *s, const cat_query *q, uint32_t limit, bool total)
{
	const char *key = sort_key_sql(q);
	bool relevance = q->sort == ECCP__V1__SEARCH_SORT__SEARCH_SORT_RELEVANCE;
	bool desc = relevance || q->sort == ECCP__V1__SEARCH_SORT__SEARCH_SORT_NEWEST;
	/* Ties: ascending rowid with relevance and deadline, descending with
	 * newest first, ascending with oldest first. */
	bool rid_desc = q->sort == ECCP__V1__SEARCH_SORT__SEARCH_SORT_NEWEST;
	const char *dir = desc ? "DESC" : "ASC", *rdir = rid_desc ? "DESC" : "ASC";
	/* The page is picked from the small rows of items; only its own
	 * rows' bodies are read. */
	sq_add(s,
	       "SELECT p.rid, b.item, p.version, p.withdrawn, p.score, p.key, p.status,"
	       " p.total FROM (SELECT i.rid AS rid, i.version AS version,"
	       " i.withdrawn AS withdrawn, %s AS score, %s AS key, %s AS status, %s AS "
	       "total",
	       q->fts ? "f.score" : "0.0", key, status_sql(s, q),
	       total ? "COUNT(*) OVER ()" : "0");
	query_from_where(s, q, relevance);
	if (q->after) {
		int k =
		    relevance ? sq_double(s, q->after_score) : sq_int(s, q->after_key);
		int r = sq_int(s, q->after_rid);
		sq_add(s, " AND (%s %s ?%d OR (%s = ?%d AND i.rid %s ?%d))", key,
		       desc ? "<" : ">", k, key, k, rid_desc ? "<" : ">", r);
	}
	sq_add(s,
	       " ORDER BY %s %s, i.rid %s LIMIT %u) p JOIN bodies b ON b.rid = p.rid"
	       " ORDER BY p.key %s, p.rid %s",
	       key, dir, rdir, limit + 1, dir, rdir);
}

/* ---- facets ------------------------------------------------------------------ */

typedef struct facet_counts {
	uint64_t total;
	uint64_t kinds[5];
	uint64_t ecosystems[64];
	uint64_t statuses[4];
	uint64_t clusters, outside_europe;
	const eccp_country *countries;
	size_t n_countries;
	uint64_t *by_country; /* per entry of countries */
} facet_counts;

static bool facets_count(eccp_rpc_call *call, const cat_query *q, facet_counts *fc)
{
	sq s = {.a = &call->arena};
	sq_add(&s, "SELECT i.kind, i.eco, i.countries, i.europe, ");
	sq_add(&s, "%s", status_sql(&s, q));
	query_from_where(&s, q, false);
	sqlite3_stmt *st = sq_prepare(call, &s);
	if (st == NULL)
		return false;
	memset(fc, 0, sizeof(*fc));
	fc->countries = eccp_countries(&fc->n_countries);
	fc->by_country =
	    eccp_arena_alloc(&call->arena, fc->n_countries * sizeof(uint64_t));
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int kind = sqlite3_column_int(st, 0);
		int64_t eco = sqlite3_column_int64(st, 1);
		const char *c = (const char *)sqlite3_column_text(st, 2);
		fc->total++;
		if (kind >= 0 && kind < 5)
			fc->kinds[kind]++;
		for (int b = 0; b < 62; b++)
			if (eco & ((int64_t)1 << b))
				fc->ecosystems[b + 1]++;
		for (; c != NULL && c[0] == ',' && c[1] != '\0'; c += 3) {
			if (c[1] < 'A' || c[1] > 'Z' || c[2] < 'A' || c[2] > 'Z')
				break;
			/* countries are sorted by code: binary search */
			size_t lo = 0, hi = fc->n_countries;
			while (lo < hi) {
				size_t mid = (lo + hi) / 2;
				int cmp = strncmp(fc->countries[mid].code, c + 1, 2);
				if (cmp == 0) {
					fc->by_country[mid]++;
					break;
				}
				if (cmp < 0)
					lo = mid + 1;
				else
					hi = mid;
			}
		}
		if (kind == ECCP__V1__CONTENT_KIND__CONTENT_KIND_CLUSTER) {
			fc->clusters++;
			if (sqlite3_column_type(st, 3) != SQLITE_NULL &&
			    sqlite3_column_int(st, 3) == 0)
				fc->outside_europe++;
		}
		int status = sqlite3_column_int(st, 4);
		if (status > 0 && status < 4)
			fc->statuses[status]++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		eccp_rpc_store_error(call);
		return false;
	}
	return true;
}

static void facet_add(eccp_arena *a, Eccp__V1__FacetCount ***list, size_t *n, size_t cap,
                      const char *value, uint64_t count)
{
	if (count == 0)
		return;
	if (*list == NULL)
		*list = eccp_arena_alloc(a, cap * sizeof(**list));
	Eccp__V1__FacetCount *f = eccp_arena_alloc(a, sizeof(*f));
	eccp__v1__facet_count__init(f);
	f->value = (char *)value;
	f->count = count;
	(*list)[(*n)++] = f;
}

static int facet_cmp(const void *x, const void *y)
{
	const Eccp__V1__FacetCount *a = *(Eccp__V1__FacetCount *const *)x;
	const Eccp__V1__FacetCount *b = *(Eccp__V1__FacetCount *const *)y;
	if (a->count != b->count)
		return a->count < b->count ? 1 : -1;
	return strcmp(a->value, b->value);
}

static void facet_sort(Eccp__V1__FacetCount **v, size_t n)
{
	if (n > 1)
		qsort(v, n, sizeof(*v), facet_cmp);
}

static const char *enum_name(const ProtobufCEnumDescriptor *d, int v)
{
	const ProtobufCEnumValue *e = protobuf_c_enum_descriptor_get_value(d, v);
	return e != NULL ? e->name : "";
}

/* Facets, biggest first. */
static Eccp__V1__Facets *facets_message(eccp_arena *a, const facet_counts *fc)
{
	Eccp__V1__Facets *f = eccp_arena_alloc(a, sizeof(*f));
	eccp__v1__facets__init(f);
	for (int k = 1; k < 5; k++)
		facet_add(a, &f->kinds, &f->n_kinds, 5,
		          enum_name(&eccp__v1__content_kind__descriptor, k),
		          fc->kinds[k]);
	for (int e = 1; e < 64; e++)
		if (fc->ecosystems[e] > 0)
			facet_add(a, &f->ecosystems, &f->n_ecosystems, 64,
			          enum_name(&eccp__v1__ecosystem__descriptor, e),
			          fc->ecosystems[e]);
	for (int s = 1; s < 4; s++)
		facet_add(a, &f->call_statuses, &f->n_call_statuses, 4,
		          enum_name(&eccp__v1__call_status__descriptor, s),
		          fc->statuses[s]);
	for (size_t i = 0; i < fc->n_countries; i++)
		facet_add(a, &f->countries, &f->n_countries, fc->n_countries,
		          fc->countries[i].code, fc->by_country[i]);
	facet_sort(f->kinds, f->n_kinds);
	facet_sort(f->ecosystems, f->n_ecosystems);
	facet_sort(f->call_statuses, f->n_call_statuses);
	facet_sort(f->countries, f->n_countries);
	return f;
}

/* ---- running it ----------------------------------------------------------------- */

/* Fixes what the first page fixes: the newest rowid the index has taken
 * in (later pages see no newer item), and for relevance the index
 * statistics. */
static bool query_first_page(eccp_rpc_call *call, cat_query *q)
{
	if (q->after)
		return true;
	q->max_rid =
	    eccp_store_query_int(call->store,
	                         "SELECT MIN((SELECT MAX(rid) FROM items),"
	                         " (SELECT v FROM state WHERE k = 'through_rid'))",
	                         false, 0, 0);
	if (q->sort == ECCP__V1__SEARCH_SORT__SEARCH_SORT_RELEVANCE && q->n_user > 0) {
		sqlite3_stmt *st = eccp_store_stmt(
		    call->store, "SELECT eccp_rank_stats(items_fts, ?2) FROM items_fts"
		                 " WHERE items_fts MATCH ?1 LIMIT 1");
		if (st == NULL)
			return eccp_rpc_store_error(call);
		sqlite3_bind_text(st, 1, q->fts, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, q->n_user);
		int rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			q->stats = eccp_arena_strdup(
			    &call->arena, (const char *)sqlite3_column_text(st, 0));
		sqlite3_reset(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return eccp_rpc_store_error(call);
	}
	return true;
}

/* Other organisations' copies of an event shown once. */
static void hit_sources(eccp_rpc_call *call, Eccp__V1__SearchHit *h)
{
	/* The original's copies; for a copy shown in its original's place,
	 * the original (if not withdrawn) and the other copies. */
	const Eccp__V1__Event *e = h->item->event;
	const char *of =
	    e != NULL && e->duplicate_of != NULL && e->duplicate_of[0] != '\0'
	        ? e->duplicate_of
	        : h->item->id;
	sqlite3_stmt *st = eccp_store_stmt(
	    call->store,
	    "SELECT b.item FROM items i JOIN bodies b ON b.rid = i.rid"
	    " WHERE (i.duplicate_of = ?1 OR i.id = ?1) AND i.id <> ?2 AND i.withdrawn = 0"
	    " ORDER BY i.rid LIMIT 20");
	if (st == NULL)
		return;
	sqlite3_bind_text(st, 1, of, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, h->item->id, -1, SQLITE_STATIC);
	size_t cap = 20;
	while (sqlite3_step(st) == SQLITE_ROW) {
		Eccp__V1__ContentItem *o = eccp__v1__content_item__unpack(
		    eccp_arena_allocator(&call->arena),
		    (size_t)sqlite3_column_bytes(st, 0), sqlite3_column_blob(st, 0));
		if (o == NULL)
			continue;
		if (h->other_sources == NULL)
			h->other_sources = eccp_arena_alloc(
			    &call->arena, cap * sizeof(*h->other_sources));
		Eccp__V1__DuplicateSource *d = eccp_arena_alloc(&call->arena, sizeof(*d));
		eccp__v1__duplicate_source__init(d);
		d->id = o->id;
		d->organisation_id = o->organisation_id;
		if (o->body_case == ECCP__V1__CONTENT_ITEM__BODY_EVENT)
			d->url = o->event->url;
		h->other_sources[h->n_other_sources++] = d;
	}
	sqlite3_reset(st);
}

/* One page of hits into r. */
static bool query_run(eccp_rpc_call *call, cat_query *q, uint32_t limit, bool total,
                      Eccp__V1__SearchResponse *r)
{
	eccp_arena *a = &call->arena;
	sq s = {.a = a};
	query_page(&s, q, limit, total);
	sqlite3_stmt *st = sq_prepare(call, &s);
	if (st == NULL)
		return false;
	r->hits = eccp_arena_alloc(a, (limit + 1) * sizeof(*r->hits));
	int rc;
	double last_score = 0;
	int64_t last_key = 0, last_rid = 0;
	bool more = false;
	/* Rows, not hits, make the page: a row stored damaged is left out
	 * (rather than failing the search) but still counts. */
	uint32_t rows = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (rows == limit) {
			more = true;
			break;
		}
		if (total && rows == 0)
			r->total = (uint64_t)sqlite3_column_int64(st, 7);
		rows++;
		Eccp__V1__ContentItem *it = eccp__v1__content_item__unpack(
		    eccp_arena_allocator(a), (size_t)sqlite3_column_bytes(st, 1),
		    sqlite3_column_blob(st, 1));
		last_rid = sqlite3_column_int64(st, 0);
		last_score = sqlite3_column_double(st, 4);
		last_key = sqlite3_column_int64(st, 5);
		if (it == NULL)
			continue;
		it->version = (uint64_t)sqlite3_column_int64(st, 2);
		it->withdrawn = sqlite3_column_int(st, 3) != 0;
		Eccp__V1__SearchHit *h = eccp_arena_alloc(a, sizeof(*h));
		eccp__v1__search_hit__init(h);
		h->item = it;
		h->score = last_score;
		h->call_status = sqlite3_column_int(st, 6);
		if (it->kind == ECCP__V1__CONTENT_KIND__CONTENT_KIND_EVENT)
			hit_sources(call, h);
		r->hits[r->n_hits++] = h;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return eccp_rpc_store_error(call);
	if (more)
		r->next_page_token = token_make(a, q, last_score, last_key, last_rid);
	return true;
}

void catalog_search(eccp_rpc_call *call)
{
	const Eccp__V1__SearchRequest *rq = (const Eccp__V1__SearchRequest *)call->params;
	cat_query q;
	if (!query_init(call, rq, &q))
		return;
	uint32_t limit = rq->limit ? rq->limit : SEARCH_DEFAULT_LIMIT;
	catalog_index_sync(call);
	/* One read transaction: the page, the total and the facets agree. */
	if (eccp_store_begin(call->store) != SQLITE_OK) {
		eccp_rpc_store_error(call);
		return;
	}
	Eccp__V1__SearchResponse *r = eccp_rpc_result(call);
	bool ok = query_first_page(call, &q);
	if (ok && rq->facets) {
		facet_counts fc;
		ok = facets_count(call, &q, &fc);
		if (ok) {
			r->facets = facets_message(&call->arena, &fc);
			r->total = fc.total;
		}
	}
	if (ok)
		query_run(call, &q, limit, !rq->facets && !q.after, r);
	eccp_store_rollback(call->store);
}

/* ---- statistics ------------------------------------------------------------------- */

bool catalog_stats_of(eccp_rpc_call *call, const Eccp__V1__Campaign *campaign,
                      const Eccp__V1__Timestamp *as_of, Eccp__V1__StatsResponse *r)
{
	Eccp__V1__SearchRequest rq = ECCP__V1__SEARCH_REQUEST__INIT;
	cat_query q;
	memset(&q, 0, sizeof(q));
	q.rq = &rq;
	q.campaign = campaign;
	query_match(&call->arena, &q);
	q.now = eccp_timestamp_set(as_of) ? as_of->seconds : (int64_t)time(NULL);
	q.max_rid = INT64_MAX;
	facet_counts fc;
	if (!facets_count(call, &q, &fc))
		return false;
	r->total = fc.total;
	r->counts = facets_message(&call->arena, &fc);
	r->clusters = fc.clusters;
	r->clusters_outside_europe = fc.outside_europe;
	sq s = {.a = &call->arena};
	sq_add(&s, "SELECT COUNT(DISTINCT i.organisation_id)");
	query_from_where(&s, &q, false);
	sqlite3_stmt *st = sq_prepare(call, &s);
	if (st == NULL)
		return false;
	if (sqlite3_step(st) == SQLITE_ROW)
		r->organisations = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return true;
}

void catalog_stats(eccp_rpc_call *call)
{
	const Eccp__V1__StatsRequest *rq = (const Eccp__V1__StatsRequest *)call->params;
	catalog_index_sync(call);
	if (eccp_store_begin(call->store) != SQLITE_OK) {
		eccp_rpc_store_error(call);
		return;
	}
	const Eccp__V1__Campaign *c = NULL;
	if (rq->campaign_id != NULL && rq->campaign_id[0] != '\0')
		c = catalog_campaign_load(call, rq->campaign_id);
	if (c != NULL || rq->campaign_id == NULL || rq->campaign_id[0] == '\0') {
		Eccp__V1__StatsResponse *r = eccp_rpc_result(call);
		catalog_stats_of(call, c, rq->as_of, r);
	}
	eccp_store_rollback(call->store);
}

/* ---- calendar ---------------------------------------------------------------------- */

static const char *event_location(eccp_arena *a, const Eccp__V1__Event *e)
{
	const eccp_country *c = eccp_country_find(e->country ? e->country : "");
	const char *parts[3] = {e->venue, e->city, c ? c->name : e->country};
	char *out = NULL;
	for (int i = 0; i < 3; i++)
		if (parts[i] != NULL && parts[i][0] != '\0')
			out = out ? eccp_arena_printf(a, "%s, %s", out, parts[i])
			          : eccp_arena_strdup(a, parts[i]);
	if (out == NULL && e->online)
		out = "Online";
	else if (out != NULL && e->online)
		out = eccp_arena_printf(a, "%s (also online)", out);
	return out;
}

void catalog_calendar(eccp_rpc_call *call)
{
	const Eccp__V1__CalendarRequest *rq =
	    (const Eccp__V1__CalendarRequest *)call->params;
	Eccp__V1__SearchRequest empty = ECCP__V1__SEARCH_REQUEST__INIT;
	Eccp__V1__SearchRequest srq = rq->search ? *rq->search : empty;
	srq.page_token = NULL;
	srq.facets = false;
	srq.limit = 0; /* every page is read */
	if (srq.sort == ECCP__V1__SEARCH_SORT__SEARCH_SORT_UNSPECIFIED)
		srq.sort = ECCP__V1__SEARCH_SORT__SEARCH_SORT_OLDEST;
	cat_query q;
	if (!query_init(call, &srq, &q))
		return;
	q.calendar = true;
	catalog_index_sync(call);
	if (eccp_store_begin(call->store) != SQLITE_OK) {
		eccp_rpc_store_error(call);
		return;
	}
	eccp_arena *a = &call->arena;
	const char *name = q.campaign ? q.campaign->name : "ECCP events";
	eccp_ical cal;
	eccp_ical_begin(&cal, "-//ECCP//Catalog//EN", name);
	uint32_t events = 0;
	int64_t stamp = (int64_t)time(NULL);
	bool ok = query_first_page(call, &q);
	while (ok && events < CALENDAR_MAX_EVENTS) {
		Eccp__V1__SearchResponse page = ECCP__V1__SEARCH_RESPONSE__INIT;
		ok = query_run(call, &q, SEARCH_MAX_LIMIT, false, &page);
		for (size_t i = 0; ok && i < page.n_hits && events < CALENDAR_MAX_EVENTS;
		     i++) {
			const Eccp__V1__ContentItem *it = page.hits[i]->item;
			if (it->body_case != ECCP__V1__CONTENT_ITEM__BODY_EVENT)
				continue;
			const Eccp__V1__Event *e = it->event;
			const char *cats[3];
			size_t nc = 0;
			const char *type =
			    enum_name(&eccp__v1__event_type__descriptor, e->event_type);
			if (type[0] != '\0' && e->event_type != 0)
				cats[nc++] = type + strlen("EVENT_TYPE_");
			eccp_ical_event ev = {
			    .uid = eccp_arena_printf(a, "%s@eccp", it->id),
			    .dtstamp = stamp,
			    .start = e->start_time ? e->start_time->seconds : 0,
			    .end = e->end_time ? e->end_time->seconds : 0,
			    .summary = e->title,
			    .description =
			        e->summary && e->summary[0] ? e->summary : e->body,
			    .location = event_location(a, e),
			    .url = e->url,
			    .categories = cats,
			    .n_categories = nc,
			    .sequence = it->version,
			    .cancelled = it->withdrawn,
			    .last_modified =
			        it->updated_time ? it->updated_time->seconds : 0,
			    .time_zone = e->time_zone,
			};
			if (eccp_ical_add_event(&cal, &ev))
				events++;
		}
		if (!ok || page.next_page_token == NULL ||
		    page.next_page_token[0] == '\0')
			break;
		/* continue after the last hit of this page */
		ok = token_read(a, page.next_page_token, &q);
		if (!ok)
			eccp_rpc_error(call, ECCP__V1__STATUS_CODE__STATUS_CODE_INTERNAL,
			               "calendar: could not page on");
	}
	eccp_store_rollback(call->store);
	size_t len = 0;
	const char *text = eccp_ical_end(&cal, &len);
	if (ok && text == NULL)
		eccp_rpc_error(call, ECCP__V1__STATUS_CODE__STATUS_CODE_INTERNAL,
		               "out of memory writing the calendar");
	if (ok && text != NULL) {
		Eccp__V1__CalendarResponse *r = eccp_rpc_result(call);
		r->ics = eccp_arena_strndup(a, text, len);
		r->events = events;
	}
	eccp_ical_free(&cal);
}
