/* Content events into the catalogue.
 *
 * An item is one row of items (what queries sort and count on) and its
 * packed ContentItem in bodies. Each upsert also leaves a row in changes
 * (with the packed item it replaced), from which the indexing thread
 * (index.c) makes the item's row of the full-text index items_fts under the
 * same rowid: its text, and the words of what it can be filtered by (see
 * catalog_facet_word). An update replaces the rows; an event older than
 * what is stored (a lower version) changes nothing, so the order of updates
 * cannot roll an item back. A withdrawal only marks the row: queries leave
 * it out, calendars show it as cancelled. */
#include "catalog.h"

#include "countries.h"
#include "log.h"
#include "text.h"

#include <stdlib.h>
#include <string.h>

/* What the catalogue keeps of an item besides its body. */
typedef struct cat_doc {
	const char *title, *summary, *body;
	char *keywords;
	int64_t date_s;         /* sort date */
	bool dated;             /* start_s/end_s apply (not for clusters) */
	int64_t start_s, end_s; /* the window an item occupies */
	bool has_opening, has_deadline;
	int64_t opening_s, deadline_s; /* calls */
	const char *nuts;
	int europe; /* clusters: 1 in Europe, 0 outside; -1 other kinds */
	const char *duplicate_of;
	int64_t eco_mask; /* bit e-1 for ecosystem e */
	char *countries;  /* ",DE,FR," */
	char *facets;     /* the facet words, space-separated */
	size_t facets_len, facets_cap;
} cat_doc;

/* Seconds, within what RFC 3339 can write (the bus is trusted, but a
 * figure that overflows later arithmetic is not worth trusting). */
static int64_t ts_s(const Eccp__V1__Timestamp *t)
{
	if (t == NULL)
		return 0;
	return t->seconds < CAT_TIME_MIN   ? CAT_TIME_MIN
	       : t->seconds > CAT_TIME_MAX ? CAT_TIME_MAX
	                                   : t->seconds;
}

/* Joins up to n strings with spaces into the arena. */
static char *join(eccp_arena *a, char **v, size_t n, const char *more1, const char *more2)
{
	size_t len = 1;
	for (size_t i = 0; i < n; i++)
		len += strlen(v[i]) + 1;
	len += (more1 ? strlen(more1) : 0) + (more2 ? strlen(more2) : 0) + 2;
	char *out = eccp_arena_alloc(a, len), *p = out;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(v[i]);
		memcpy(p, v[i], l);
		p += l;
		*p++ = ' ';
	}
	for (const char *m = more1;; m = more2) {
		if (m != NULL && m[0] != '\0') {
			size_t l = strlen(m);
			memcpy(p, m, l);
			p += l;
			*p++ = ' ';
		}
		if (m == more2)
			break;
	}
	*p = '\0';
	return out;
}

char *catalog_facet_word(eccp_arena *a, int facet, const char *value)
{
	size_t n = strlen(value);
	char *out = eccp_arena_alloc(a, 3 * n + 8);
	out[0] = 'q';
	out[1] = (char)facet;
	size_t len = 2;
	if (facet == CAT_FACET_ORGANISATION) {
		/* Ids are [a-z0-9][a-z0-9_.-]*: the rest is spelled out so that
		 * two ids never make the same word. */
		for (const char *p = value; *p; p++) {
			unsigned char c = (unsigned char)*p;
			if ((c >= 'a' && c <= 'y') || (c >= '0' && c <= '9')) {
				out[len++] = (char)c;
			} else {
				out[len++] = 'z';
				eccp_hex(c, 2, out + len);
				len += 2;
			}
		}
	} else {
		char *f = eccp_arena_alloc(a, n + 8);
		eccp_text_fold(value, f, n + 8);
		for (const char *p = f; *p; p++)
			if (*p != ' ')
				out[len++] = *p;
	}
	out[len] = '\0';
	return len > 2 ? out : "";
}

static void facet(cat_doc *d, eccp_arena *a, int facet, const char *value)
{
	if (value == NULL || value[0] == '\0')
		return;
	const char *w = catalog_facet_word(a, facet, value);
	size_t n = strlen(w);
	if (n == 0)
		return;
	if (d->facets_len + n + 2 > d->facets_cap) {
		size_t cap = (d->facets_cap + n + 2) * 2;
		char *f = eccp_arena_alloc(a, cap);
		if (d->facets_len > 0)
			memcpy(f, d->facets, d->facets_len);
		d->facets = f;
		d->facets_cap = cap;
	}
	if (d->facets_len > 0)
		d->facets[d->facets_len++] = ' ';
	memcpy(d->facets + d->facets_len, w, n + 1);
	d->facets_len += n;
}

static void ecosystems(cat_doc *d, eccp_arena *a, const Eccp__V1__Ecosystem *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (e[i] < 1 || e[i] > 62)
			continue;
		d->eco_mask |= (int64_t)1 << (e[i] - 1);
		facet(d, a, CAT_FACET_ECOSYSTEM, eccp_arena_printf(a, "%d", (int)e[i]));
	}
}

static void countries(cat_doc *d, eccp_arena *a, char *const *c, size_t n)
{
	size_t len = 2;
	for (size_t i = 0; i < n; i++)
		len += strlen(c[i]) + 1;
	char *s = eccp_arena_alloc(a, len), *p = s;
	*p++ = ',';
	for (size_t i = 0; i < n; i++) {
		if (c[i] == NULL || c[i][0] == '\0')
			continue;
		facet(d, a, CAT_FACET_COUNTRY, c[i]);
		size_t l = strlen(c[i]);
		memcpy(p, c[i], l);
		p += l;
		*p++ = ',';
	}
	*p = '\0';
	d->countries = s;
}

static void technologies(cat_doc *d, eccp_arena *a, char **t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		facet(d, a, CAT_FACET_TECHNOLOGY, t[i]);
}

/* Fills d from the item; false when the item has no body. */
static bool doc_of(const Eccp__V1__ContentItem *it, eccp_arena *a, cat_doc *d)
{
	memset(d, 0, sizeof(*d));
	d->europe = -1;
	d->date_s = ts_s(it->updated_time);
	switch (it->body_case) {
	case ECCP__V1__CONTENT_ITEM__BODY_CLUSTER: {
		const Eccp__V1__Cluster *c = it->cluster;
		d->title = c->acronym && c->acronym[0]
		               ? eccp_arena_printf(a, "%s %s", c->name ? c->name : "",
		                                   c->acronym)
		               : c->name;
		d->body = c->description;
		char *kw[4] = {
		    join(a, c->sectors, c->n_sectors, NULL, NULL),
		    join(a, c->technologies, c->n_technologies, NULL, NULL),
		    join(a, c->emerging_industries, c->n_emerging_industries, NULL, NULL),
		    join(a, c->value_chains, c->n_value_chains, c->city, NULL)};
		d->keywords = join(a, kw, 4, NULL, NULL);
		d->nuts = c->nuts_region;
		facet(d, a, CAT_FACET_NUTS, c->nuts_region);
		const eccp_country *ct = eccp_country_find(c->country ? c->country : "");
		d->europe = ct != NULL && ct->europe;
		ecosystems(d, a, c->ecosystems, c->n_ecosystems);
		countries(d, a, &c->country, c->country && c->country[0] ? 1 : 0);
		technologies(d, a, c->technologies, c->n_technologies);
		break;
	}
	case ECCP__V1__CONTENT_ITEM__BODY_NEWS: {
		const Eccp__V1__News *n = it->news;
		d->title = n->title;
		d->summary = n->summary;
		d->body = n->body;
		d->keywords = join(a, n->technologies, n->n_technologies, NULL, NULL);
		if (eccp_timestamp_set(n->published_time)) {
			d->date_s = ts_s(n->published_time);
			d->dated = true;
			d->start_s = d->end_s = d->date_s;
		}
		ecosystems(d, a, n->ecosystems, n->n_ecosystems);
		countries(d, a, n->countries, n->n_countries);
		technologies(d, a, n->technologies, n->n_technologies);
		break;
	}
	case ECCP__V1__CONTENT_ITEM__BODY_EVENT: {
		const Eccp__V1__Event *e = it->event;
		d->title = e->title;
		d->summary = e->summary;
		d->body = e->body;
		d->keywords =
		    join(a, e->technologies, e->n_technologies, e->venue, e->city);
		d->date_s = ts_s(e->start_time);
		d->dated = true;
		d->start_s = d->date_s;
		d->end_s =
		    eccp_timestamp_set(e->end_time) && ts_s(e->end_time) > d->start_s
		        ? ts_s(e->end_time)
		        : d->start_s;
		d->duplicate_of = e->duplicate_of;
		ecosystems(d, a, e->ecosystems, e->n_ecosystems);
		countries(d, a, &e->country, e->country && e->country[0] ? 1 : 0);
		technologies(d, a, e->technologies, e->n_technologies);
		break;
	}
	case ECCP__V1__CONTENT_ITEM__BODY_CALL: {
		const Eccp__V1__Call *c = it->call;
		d->title = c->title;
		d->summary = c->summary;
		d->body = c->body;
		d->keywords =
		    join(a, c->technologies, c->n_technologies, c->programme, NULL);
		d->has_opening = eccp_timestamp_set(c->opening_time);
		d->has_deadline = eccp_timestamp_set(c->deadline);
		d->opening_s = ts_s(c->opening_time);
		d->deadline_s = ts_s(c->deadline);
		d->dated = true;
		d->start_s = d->has_opening ? d->opening_s : CAT_TIME_MIN;
		d->end_s = d->has_deadline ? d->deadline_s : CAT_TIME_MAX;
		if (d->has_opening)
			d->date_s = d->opening_s;
		ecosystems(d, a, c->ecosystems, c->n_ecosystems);
		countries(d, a, c->eligible_countries, c->n_eligible_countries);
		technologies(d, a, c->technologies, c->n_technologies);
		facet(d, a, CAT_FACET_PROGRAMME, c->programme);
		break;
	}
	default:
		return false;
	}
	if (d->countries == NULL)
		d->countries = ",";
	facet(d, a, CAT_FACET_ORGANISATION, it->organisation_id);
	return true;
}

/* ---- the full-text index -------------------------------------------------- */

static cat_fts_doc fts_doc(const cat_doc *d)
{
	return (cat_fts_doc){
	    .title = d->title ? d->title : "",
	    .summary = d->summary ? d->summary : "",
	    .body = d->body ? d->body : "",
	    .keywords = d->keywords ? d->keywords : "",
	    .facets = d->facets ? d->facets : "",
	};
}

/* The index keeps no copy of the text, so a row is removed by handing it
 * the text it was made from: the item it was made from. */
int catalog_fts_put(eccp_store *ix, int64_t rid, const cat_fts_doc *d, bool remove)
{
	sqlite3_stmt *w =
	    remove ? eccp_store_stmt(ix, "INSERT INTO items_fts (items_fts, rowid, title,"
	                                 " summary, body, keywords, facets)"
	                                 " VALUES ('delete', ?1, ?2, ?3, ?4, ?5, ?6)")
	           : eccp_store_stmt(ix, "INSERT INTO items_fts (rowid, title, summary,"
	                                 " body, keywords, facets)"
	                                 " VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	if (w == NULL)
		return -1;
	sqlite3_bind_int64(w, 1, rid);
	const char *t[5] = {d->title, d->summary, d->body, d->keywords, d->facets};
	for (int i = 0; i < 5; i++)
		sqlite3_bind_text(w, 2 + i, t[i], -1, SQLITE_STATIC);
	return eccp_store_run(w);
}

int catalog_fts_write(eccp_store *ix, int64_t rid, const void *item, size_t len,
                      bool remove)
{
	eccp_arena a;
	eccp_arena_init(&a);
	int ret = 1;
	cat_doc d;
	Eccp__V1__ContentItem *it =
	    eccp__v1__content_item__unpack(eccp_arena_allocator(&a), len, item);
	if (it != NULL && doc_of(it, &a, &d)) {
		cat_fts_doc f = fts_doc(&d);
		ret = catalog_fts_put(ix, rid, &f, remove);
	}
	eccp_arena_free(&a);
	return ret;
}

/* ---- events --------------------------------------------------------------- */

static void bind_opt(sqlite3_stmt *w, int i, bool set, int64_t v)
{
	if (set)
		sqlite3_bind_int64(w, i, v);
	else
		sqlite3_bind_null(w, i);
}

static int apply_upsert(catalog *c, eccp_store *st, const Eccp__V1__ContentItem *it)
{
	if (it == NULL || it->id == NULL || it->id[0] == '\0')
		return 1;
	eccp_arena a;
	eccp_arena_init(&a);
	int ret = -1;
	cat_doc d;
	if (!doc_of(it, &a, &d)) {
		ret = 1;
		goto out;
	}
	sqlite3_stmt *q =
	    eccp_store_stmt(st, "SELECT i.rid, i.version, b.item FROM items i"
	                        " JOIN bodies b ON b.rid = i.rid"
	                        " WHERE i.id = ?1");
	if (q == NULL)
		goto out;
	sqlite3_bind_text(q, 1, it->id, -1, SQLITE_STATIC);
	int64_t rid = 0;
	uint64_t version = 0;
	void *old = NULL; /* the packed item this one replaces */
	size_t old_len = 0;
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		rid = sqlite3_column_int64(q, 0);
		version = (uint64_t)sqlite3_column_int64(q, 1);
		if (version < it->version) {
			old_len = (size_t)sqlite3_column_bytes(q, 2);
			old = eccp_arena_alloc(&a, old_len + 1);
			memcpy(old, sqlite3_column_blob(q, 2), old_len);
		}
	}
	sqlite3_reset(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		goto out;
	if (rid != 0 && version >= it->version) {
		ret = 0; /* what is stored is as new or newer */
		goto out;
	}
	/* A new item takes the next rowid (what SQLite would give it); the
	 * change is numbered before the row is written, which records it. */
	bool fresh = rid == 0;
	if (fresh)
		rid = eccp_store_counter_take(st, &c->rids, "SELECT MAX(rid) FROM items");
	sqlite3_stmt *wc =
	    eccp_store_stmt(st, "INSERT INTO changes (rid, old) VALUES (?1, ?2)");
	if (wc == NULL)
		goto out;
	sqlite3_bind_int64(wc, 1, rid);
	if (old != NULL)
		sqlite3_bind_blob(wc, 2, old, (int)old_len, SQLITE_STATIC);
	if (eccp_store_run(wc) != 0)
		goto out;
	int64_t chg = sqlite3_last_insert_rowid(eccp_store_db(st));

	size_t len = eccp__v1__content_item__get_packed_size(it);
	uint8_t *buf = eccp_arena_alloc(&a, len ? len : 1);
	eccp__v1__content_item__pack(it, buf);
	/* The lookup above said which: new rows, or new values in them. */
	sqlite3_stmt *w =
	    fresh
	        ? eccp_store_stmt(
	              st, "INSERT INTO items (rid, id, kind, organisation_id, version,"
	                  " withdrawn, updated_ms, date_s, start_s, end_s, opening_s,"
	                  " deadline_s, nuts, europe, duplicate_of, eco, countries, chg)"
	                  " VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?7, ?8, ?9, ?10, ?11,"
	                  " ?12, ?13, ?14, ?15, ?16, ?17)")
	        : eccp_store_stmt(
	              st, "UPDATE items SET kind = ?3, organisation_id = ?4,"
	                  " version = ?5, withdrawn = 0, updated_ms = ?6, date_s = ?7,"
	                  " start_s = ?8, end_s = ?9, opening_s = ?10,"
	                  " deadline_s = ?11, nuts = ?12, europe = ?13,"
	                  " duplicate_of = ?14, eco = ?15, countries = ?16, chg = ?17"
	                  " WHERE rid = ?1 AND id = ?2");
	sqlite3_stmt *wb =
	    fresh ? eccp_store_stmt(st, "INSERT INTO bodies (rid, item) VALUES (?1, ?2)")
	          : eccp_store_stmt(st, "UPDATE bodies SET item = ?2 WHERE rid = ?1");
	if (w == NULL || wb == NULL)
		goto out;
	sqlite3_bind_int64(w, 1, rid);
	sqlite3_bind_text(w, 2, it->id, -1, SQLITE_STATIC);
	sqlite3_bind_int(w, 3, it->kind);
	sqlite3_bind_text(w, 4, it->organisation_id ? it->organisation_id : "", -1,
	                  SQLITE_STATIC);
	sqlite3_bind_int64(w, 5, (sqlite3_int64)it->version);
	sqlite3_bind_int64(
	    w, 6,
	    ts_s(it->updated_time) * 1000 +
	        (it->updated_time ? it->updated_time->nanos / 1000000 : 0));
	sqlite3_bind_int64(w, 7, d.date_s);
	bind_opt(w, 8, d.dated, d.start_s);
	bind_opt(w, 9, d.dated, d.end_s);
	bind_opt(w, 10, d.has_opening, d.opening_s);
	bind_opt(w, 11, d.has_deadline, d.deadline_s);
	if (d.nuts != NULL && d.nuts[0] != '\0')
		sqlite3_bind_text(w, 12, d.nuts, -1, SQLITE_STATIC);
	if (d.europe >= 0)
		sqlite3_bind_int(w, 13, d.europe);
	if (d.duplicate_of != NULL && d.duplicate_of[0] != '\0')
		sqlite3_bind_text(w, 14, d.duplicate_of, -1, SQLITE_STATIC);
	sqlite3_bind_int64(w, 15, d.eco_mask);
	sqlite3_bind_text(w, 16, d.countries, -1, SQLITE_STATIC);
	sqlite3_bind_int64(w, 17, chg);
	if (eccp_store_run(w) != 0)
		goto out;
	sqlite3_bind_int64(wb, 1, rid);
	sqlite3_bind_blob(wb, 2, buf, (int)len, SQLITE_STATIC);
	if (eccp_store_run(wb) != 0)
		goto out;
	if (old == NULL) {
		cat_fts_doc f = fts_doc(&d);
		catalog_index_offer(c, st, chg, rid, it->id, it->version, &f);
	}
	ret = catalog_index_forget(c, st) == 0 ? 0 : -1;
out:
	eccp_arena_free(&a);
	return ret;
}

static int apply_withdraw(eccp_store *st, const Eccp__V1__ContentWithdrawn *w)
{
	if (w == NULL || w->id == NULL || w->id[0] == '\0')
		return 1;
	sqlite3_stmt *q = eccp_store_stmt(st, "UPDATE items SET withdrawn = 1, version = "
	                                      "?2 WHERE id = ?1 AND version < ?2");
	if (q == NULL)
		return -1;
	sqlite3_bind_text(q, 1, w->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)w->version);
	return eccp_store_run(q);
}

int catalog_apply(void *svc, eccp_store *st, const Eccp__V1__Envelope *env)
{
	switch (env->payload_case) {
	case ECCP__V1__ENVELOPE__PAYLOAD_CONTENT_UPSERTED:
		return apply_upsert(svc, st, env->content_upserted->item);
	case ECCP__V1__ENVELOPE__PAYLOAD_CONTENT_WITHDRAWN:
		return apply_withdraw(st, env->content_withdrawn);
	default:
		return 0; /* not for the catalogue; the cursor moves on */
	}
}
