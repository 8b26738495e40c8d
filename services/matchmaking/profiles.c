/* The partner index: every cluster profile, from the bus.
 *
 * A profile is kept in the store (the packed Cluster of the newest version
 * applied, in the transaction that moves the cursor: exactly once) and in
 * the in-memory index (partner.h) that searches read on the thread pool.
 * The index is changed as the event is applied, before the commit: if the
 * transaction is rolled back instead, the consumer applies the same events
 * again and puts the same profiles back, so the index never holds anything
 * the store will not. At start the index is loaded from the store; a new
 * replica builds both by replaying ingest from its first event.
 *
 * When a cluster joins or changes its profile, its best partners are
 * suggested: a match.suggested event in the outbox, in the same transaction
 * (complementary partners when the profile says what it looks for, similar
 * ones otherwise). Replays of old events suggest nothing (--suggest-within-s):
 * a suggestion is news, not history. */
#include "matchmaking.h"

#include "log.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- a profile for the index ---------------------------------------------------- */

static const int *ints_of(eccp_arena *a, const Eccp__V1__Ecosystem *v, size_t n)
{
	int *out = eccp_arena_alloc(a, (n ? n : 1) * sizeof(*out));
	for (size_t i = 0; i < n; i++)
		out[i] = (int)v[i];
	return out;
}

static void profile_of(eccp_arena *a, const Eccp__V1__Cluster *c, mm_profile *p)
{
	memset(p, 0, sizeof(*p));
	p->id = c->id;
	p->name = c->name;
	p->acronym = c->acronym;
	p->country = c->country;
	p->nuts_region = c->nuts_region;
	p->city = c->city;
	if (c->location != NULL && isfinite(c->location->latitude) &&
	    isfinite(c->location->longitude) && fabs(c->location->latitude) <= 90 &&
	    fabs(c->location->longitude) <= 180 &&
	    (c->location->latitude != 0 || c->location->longitude != 0)) {
		p->has_location = true;
		p->latitude = c->location->latitude;
		p->longitude = c->location->longitude;
	}
	p->description = c->description;
	p->ecosystems = ints_of(a, c->ecosystems, c->n_ecosystems);
	p->n_ecosystems = c->n_ecosystems;
	p->sectors = (const char *const *)c->sectors;
	p->n_sectors = c->n_sectors;
	p->technologies = (const char *const *)c->technologies;
	p->n_technologies = c->n_technologies;
	p->emerging_industries = (const char *const *)c->emerging_industries;
	p->n_emerging_industries = c->n_emerging_industries;
	p->value_chains = (const char *const *)c->value_chains;
	p->n_value_chains = c->n_value_chains;
	if (c->members != NULL) {
		p->members_total = c->members->total;
		p->members_smes = c->members->smes;
	}
	p->excellence_label = (int)c->excellence_label;
	p->languages = (const char *const *)c->languages;
	p->n_languages = c->n_languages;
	const Eccp__V1__LookingFor *lf = c->looking_for;
	if (lf != NULL) {
		p->looking_for.ecosystems = ints_of(a, lf->ecosystems, lf->n_ecosystems);
		p->looking_for.n_ecosystems = lf->n_ecosystems;
		p->looking_for.technologies = (const char *const *)lf->technologies;
		p->looking_for.n_technologies = lf->n_technologies;
		p->looking_for.countries = (const char *const *)lf->countries;
		p->looking_for.n_countries = lf->n_countries;
		int *coop = eccp_arena_alloc(
		    a, (lf->n_cooperation ? lf->n_cooperation : 1) * sizeof(*coop));
		for (size_t i = 0; i < lf->n_cooperation; i++)
			coop[i] = (int)lf->cooperation[i];
		p->looking_for.cooperation = coop;
		p->looking_for.n_cooperation = lf->n_cooperation;
	}
}

/* Puts a packed Cluster into the index; false when it is unusable. */
static bool index_put(mm *m, const Eccp__V1__Cluster *c)
{
	eccp_arena a;
	eccp_arena_init(&a);
	mm_profile p;
	profile_of(&a, c, &p);
	int rc = mm_partners_put(m->partners, &p);
	eccp_arena_free(&a);
	if (rc != 0 && errno == ENOMEM)
		return false;
	if (rc != 0)
		eccp_warn("partner index: cluster %s left out: not a usable profile",
		          c->id);
	return true;
}

int mm_profiles_load(mm *m, char *err, size_t errlen)
{
	eccp_store *st = eccp_daemon_store(m->d);
	sqlite3_stmt *q = eccp_store_stmt(st, "SELECT id, cluster FROM profiles");
	if (q == NULL) {
		snprintf(err, errlen, "reading the profiles: %s", eccp_store_errmsg(st));
		return -1;
	}
	int rc, ok = 0;
	size_t n = 0;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		Eccp__V1__Cluster *c = eccp__v1__cluster__unpack(
		    NULL, (size_t)sqlite3_column_bytes(q, 1), sqlite3_column_blob(q, 1));
		if (c == NULL) {
			eccp_warn("partner index: profile %s is unreadable",
			          (const char *)sqlite3_column_text(q, 0));
			continue;
		}
		if (!index_put(m, c))
			ok = -1;
		eccp__v1__cluster__free_unpacked(c, NULL);
		n++;
		if (ok != 0)
			break;
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE && ok == 0) {
		snprintf(err, errlen, "reading the profiles: %s", eccp_store_errmsg(st));
		return -1;
	}
	if (ok != 0) {
		snprintf(err, errlen, "out of memory loading the partner index");
		return -1;
	}
	eccp_info("partner index: %zu profiles", n);
	return 0;
}

/* ---- applying events ------------------------------------------------------------ */

/* The version stored for id, or 0. */
static int64_t stored_version(eccp_store *st, const char *id, bool *failed)
{
	sqlite3_stmt *q =
	    eccp_store_stmt(st, "SELECT version FROM profiles WHERE id = ?1");
	if (q == NULL) {
		*failed = true;
		return 0;
	}
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
	sqlite3_reset(q);
	*failed = rc != SQLITE_ROW && rc != SQLITE_DONE;
	return v;
}

/* The best partners of cluster c, as a match.suggested event in the outbox. */
static int suggest(mm *m, const Eccp__V1__ContentItem *it, const Eccp__V1__Cluster *c)
{
	mm_query q = {.cluster_id = c->id, .limit = (size_t)m->suggest};
	const Eccp__V1__LookingFor *lf = c->looking_for;
	bool looks =
	    lf != NULL && (lf->n_ecosystems || lf->n_technologies || lf->n_countries);
	q.mode = looks ? MM_MODE_COMPLEMENTARY : MM_MODE_SIMILAR;
	mm_results r;
	char err[256];
	if (mm_partners_search(m->partners, &q, &r, err, sizeof(err)) != 0) {
		eccp_warn("suggestions for %s: %s", c->id, err);
		return 0;
	}
	int ret = 0;
	if (r.n > 0) {
		eccp_arena a;
		eccp_arena_init(&a);
		Eccp__V1__PartnerSuggestion s = ECCP__V1__PARTNER_SUGGESTION__INIT;
		s.cluster_id = c->id;
		s.organisation_id = it->organisation_id;
		s.name = c->name;
		s.profile_version = it->version;
		s.partners = eccp_arena_alloc(&a, r.n * sizeof(*s.partners));
		for (size_t i = 0; i < r.n; i++)
			s.partners[s.n_partners++] =
			    mm_result_message(&a, &r.items[i], true);
		Eccp__V1__MatchSuggested ms = ECCP__V1__MATCH_SUGGESTED__INIT;
		ms.suggestion = &s;
		Eccp__V1__Envelope env = ECCP__V1__ENVELOPE__INIT;
		env.type = "match.suggested";
		env.payload_case = ECCP__V1__ENVELOPE__PAYLOAD_MATCH_SUGGESTED;
		env.match_suggested = &ms;
		if (eccp_outbox_append(eccp_daemon_outbox(m->d), MM_TOPIC_SUGGESTED,
		                       &env) == 0)
			ret = -1;
		eccp_arena_free(&a);
	}
	mm_results_free(&r);
	return ret;
}

static int apply_upsert(mm *m, eccp_store *st, const Eccp__V1__Envelope *env)
{
	const Eccp__V1__ContentItem *it = env->content_upserted->item;
	if (it == NULL || it->body_case != ECCP__V1__CONTENT_ITEM__BODY_CLUSTER ||
	    it->id == NULL || it->id[0] == '\0' || it->cluster == NULL)
		return 1;
	bool failed;
	int64_t have = stored_version(st, it->id, &failed);
	if (failed)
		return -1;
	if ((int64_t)it->version <= have)
		return 0; /* an older version than the one applied */
	/* the profile keeps the item's id and organisation whatever it says */
	Eccp__V1__Cluster c = *it->cluster;
	c.id = it->id;
	c.organisation_id = it->organisation_id;
	size_t len = eccp__v1__cluster__get_packed_size(&c);
	uint8_t *buf = malloc(len ? len : 1);
	if (buf == NULL)
		return -1;
	eccp__v1__cluster__pack(&c, buf);
	sqlite3_stmt *w = eccp_store_stmt(
	    st, "INSERT INTO profiles (id, organisation_id, version, cluster)"
	        " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (id) DO UPDATE SET"
	        " organisation_id = excluded.organisation_id, version = excluded.version,"
	        " cluster = excluded.cluster");
	int rc = -1;
	if (w != NULL) {
		sqlite3_bind_text(w, 1, it->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(w, 2, it->organisation_id ? it->organisation_id : "",
		                  -1, SQLITE_STATIC);
		sqlite3_bind_int64(w, 3, (int64_t)it->version);
		sqlite3_bind_blob(w, 4, buf, (int)len, SQLITE_STATIC);
		rc = eccp_store_run(w);
	}
	free(buf);
	if (rc != 0)
		return -1;
	if (!index_put(m, &c))
		return -1;
	int64_t at =
	    env->time ? env->time->seconds * 1000 + env->time->nanos / 1000000 : 0;
	if (m->suggest > 0 && at >= eccp_now_ms() - m->suggest_within_ms)
		return suggest(m, it, &c);
	return 0;
}

static int apply_withdraw(mm *m, eccp_store *st, const Eccp__V1__ContentWithdrawn *w)
{
	if (w->kind != ECCP__V1__CONTENT_KIND__CONTENT_KIND_CLUSTER || w->id == NULL)
		return 1;
	bool failed;
	int64_t have = stored_version(st, w->id, &failed);
	if (failed)
		return -1;
	if (have == 0 || (int64_t)w->version < have)
		return 0;
	sqlite3_stmt *d = eccp_store_stmt(st, "DELETE FROM profiles WHERE id = ?1");
	if (d == NULL)
		return -1;
	sqlite3_bind_text(d, 1, w->id, -1, SQLITE_STATIC);
	if (eccp_store_run(d) != 0)
		return -1;
	mm_partners_remove(m->partners, w->id);
	return 0;
}

int mm_apply(void *svc, eccp_store *st, const Eccp__V1__Envelope *env)
{
	switch (env->payload_case) {
	case ECCP__V1__ENVELOPE__PAYLOAD_CONTENT_UPSERTED:
		return apply_upsert(svc, st, env);
	case ECCP__V1__ENVELOPE__PAYLOAD_CONTENT_WITHDRAWN:
		return apply_withdraw(svc, st, env->content_withdrawn);
	default:
		return 0;
	}
}
