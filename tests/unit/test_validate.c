/* ingest_validate: every rule of the table at the top of validate.c, on
 * every kind; realistic items that must pass; items with several problems
 * that must get all of them; and the ISO 3166-1 table of countries.c.
 *
 * validate.c lives in services/ingest, not in eccp_common, so it is compiled
 * into this test directly; that also gives the test its static tables. */
#include "../../services/ingest/validate.c"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- fixtures -------------------------------------------------------- */

/* Everything a test builds lives in one arena, freed after the test. */
static eccp_arena t_a;

static int t_setup(void **state)
{
	(void)state;
	eccp_arena_init(&t_a);
	return 0;
}

static int t_teardown(void **state)
{
	(void)state;
	eccp_arena_free(&t_a);
	return 0;
}

/* Times used by the examples (UTC seconds). */
#define T_WEEKS_START   1542700800LL /* 2018-11-20T08:00:00Z (09:00 Brussels) */
#define T_WEEKS_END     1542731400LL /* 2018-11-20T16:30:00Z */
#define T_COSME_OPEN    1547510400LL /* 2019-01-15T00:00:00Z */
#define T_COSME_CUTOFF  1551369600LL /* 2019-02-28T16:00:00Z */
#define T_COSME_CUTOFF2 1553083200LL /* 2019-03-20T12:00:00Z */
#define T_COSME_CLOSE   1556636400LL /* 2019-04-30T15:00:00Z (17:00 Brussels) */
#define T_NEWS          1551434400LL /* 2019-03-01T10:00:00Z */

static Eccp__V1__Timestamp *t_ts(int64_t seconds, int32_t nanos)
{
	Eccp__V1__Timestamp *t = eccp_arena_alloc(&t_a, sizeof(*t));
	eccp__v1__timestamp__init(t);
	t->seconds = seconds;
	t->nanos = nanos;
	return t;
}

/* A NULL-terminated list of strings as a protobuf-c repeated string. */
static char **t_strs_v(size_t *n, va_list ap)
{
	char *tmp[128];
	size_t k = 0;
	for (char *s; (s = va_arg(ap, char *)) != NULL;) {
		assert_true(k < ECCP_ARRAY_LEN(tmp));
		tmp[k++] = s;
	}
	char **v = eccp_arena_alloc(&t_a, (k + 1) * sizeof(*v));
	memcpy(v, tmp, k * sizeof(*v));
	*n = k;
	return v;
}

static char **t_strs(size_t *n, ...)
{
	va_list ap;
	va_start(ap, n);
	char **v = t_strs_v(n, ap);
	va_end(ap);
	return v;
}

/* count copies of s. */
static char **t_same(size_t *n, size_t count, const char *s)
{
	char **v = eccp_arena_alloc(&t_a, (count + 1) * sizeof(*v));
	for (size_t i = 0; i < count; i++)
		v[i] = (char *)s;
	*n = count;
	return v;
}

/* An enum list from ints terminated by -1000. */
#define T_END (-1000)
static int *t_enums(size_t *n, ...)
{
	int tmp[128];
	size_t k = 0;
	va_list ap;
	va_start(ap, n);
	for (int e; (e = va_arg(ap, int)) != T_END;)
		tmp[k++] = e;
	va_end(ap);
	int *v = eccp_arena_alloc(&t_a, (k + 1) * sizeof(*v));
	memcpy(v, tmp, k * sizeof(*v));
	*n = k;
	return v;
}

static int *t_enums_same(size_t *n, size_t count, int e)
{
	int *v = eccp_arena_alloc(&t_a, (count + 1) * sizeof(*v));
	for (size_t i = 0; i < count; i++)
		v[i] = e;
	*n = count;
	return v;
}

/* unit repeated count times. */
static char *t_repeat(const char *unit, size_t count)
{
	size_t u = strlen(unit);
	char *s = eccp_arena_alloc(&t_a, u * count + 1);
	for (size_t i = 0; i < count; i++)
		memcpy(s + i * u, unit, u);
	return s;
}

/* ---- realistic valid items ------------------------------------------ */

/* A Bavarian automotive cluster's profile, every field filled. */
static Eccp__V1__Cluster *t_cluster(void)
{
	Eccp__V1__Cluster *c = eccp_arena_alloc(&t_a, sizeof(*c));
	eccp__v1__cluster__init(c);
	c->external_id = "cluster/4711";
	c->name = "Cluster Automotive Bayern";
	c->acronym = "CAB";
	c->profile_type = ECCP__V1__PROFILE_TYPE__PROFILE_TYPE_CLUSTER_ORGANISATION;
	c->country = "DE";
	c->nuts_region = "DE21";
	c->city = "Nürnberg";
	Eccp__V1__GeoPoint *g = eccp_arena_alloc(&t_a, sizeof(*g));
	eccp__v1__geo_point__init(g);
	g->latitude = 49.4521;
	g->longitude = 11.0767;
	c->location = g;
	c->website = "https://www.cluster-bayern-automotive.de/";
	c->description = "Das Netzwerk der bayerischen Automobilindustrie.\n\n"
	                 "Über 300 Mitglieder aus Industrie und Forschung:\tOEMs, "
	                 "Zulieferer, Hochschulen.\r\n";
	c->year_founded = 2006;
	c->ecosystems = (Eccp__V1__Ecosystem *)t_enums(
	    &c->n_ecosystems,
	    ECCP__V1__ECOSYSTEM__ECOSYSTEM_MOBILITY_TRANSPORT_AUTOMOTIVE,
	    ECCP__V1__ECOSYSTEM__ECOSYSTEM_ELECTRONICS,
	    ECCP__V1__ECOSYSTEM__ECOSYSTEM_DIGITAL, T_END);
	c->sectors = t_strs(&c->n_sectors, "Automotive", "Mechanical engineering", NULL);
	c->technologies = t_strs(&c->n_technologies, "Electromobility",
	                         "Autonomous driving", "Lightweight materials", NULL);
	c->emerging_industries =
	    t_strs(&c->n_emerging_industries, "Mobility services", NULL);
	c->value_chains = t_strs(&c->n_value_chains, "Battery value chain", NULL);
	Eccp__V1__Members *m = eccp_arena_alloc(&t_a, sizeof(*m));
	eccp__v1__members__init(m);
	m->total = 320;
	m->smes = 210;
	m->large_firms = 60;
	m->research_education = 50;
	c->members = m;
	c->management_staff_fte = 8.5;
	c->excellence_label = ECCP__V1__EXCELLENCE_LABEL__EXCELLENCE_LABEL_GOLD;
	c->languages = t_strs(&c->n_languages, "de", "en", NULL);
	Eccp__V1__LookingFor *l = eccp_arena_alloc(&t_a, sizeof(*l));
	eccp__v1__looking_for__init(l);
	l->ecosystems = (Eccp__V1__Ecosystem *)t_enums(
	    &l->n_ecosystems, ECCP__V1__ECOSYSTEM__ECOSYSTEM_RENEWABLE_ENERGY, T_END);
	l->technologies =
	    t_strs(&l->n_technologies, "Hydrogen", "Battery recycling", NULL);
	l->countries = t_strs(&l->n_countries, "FR", "AT", "CZ", "NO", NULL);
	l->cooperation = (Eccp__V1__CooperationKind *)t_enums(
	    &l->n_cooperation, ECCP__V1__COOPERATION_KIND__COOPERATION_KIND_RESEARCH,
	    ECCP__V1__COOPERATION_KIND__COOPERATION_KIND_FUNDING_APPLICATION, T_END);
	c->looking_for = l;
	Eccp__V1__Contact *k = eccp_arena_alloc(&t_a, sizeof(*k));
	eccp__v1__contact__init(k);
	k->name = "Dr. Jürgen Müller";
	k->email = "juergen.mueller@bayern-innovativ.de";
	k->phone = "+49 911 20671-0";
	c->contact = k;
	c->updated_time = t_ts(T_NEWS, 0);
	return c;
}

/* A Japanese cluster: outside Europe, with few fields. */
static Eccp__V1__Cluster *t_cluster_japan(void)
{
	Eccp__V1__Cluster *c = eccp_arena_alloc(&t_a, sizeof(*c));
	eccp__v1__cluster__init(c);
	c->external_id = "jp-chubu-aero";
	c->name = "中部航空宇宙産業クラスター (Chubu Aerospace Cluster)";
	c->profile_type = ECCP__V1__PROFILE_TYPE__PROFILE_TYPE_NETWORK;
	c->country = "JP";
	c->city = "名古屋市";
	Eccp__V1__GeoPoint *g = eccp_arena_alloc(&t_a, sizeof(*g));
	eccp__v1__geo_point__init(g);
	g->latitude = 35.1815;
	g->longitude = 136.9066;
	c->location = g;
	c->ecosystems = (Eccp__V1__Ecosystem *)t_enums(
	    &c->n_ecosystems, ECCP__V1__ECOSYSTEM__ECOSYSTEM_AEROSPACE_DEFENCE, T_END);
	c->languages = t_strs(&c->n_languages, "ja", "en", NULL);
	return c;
}

/* An EU Cluster Weeks event in Brussels. */
static Eccp__V1__Event *t_event(void)
{
	Eccp__V1__Event *e = eccp_arena_alloc(&t_a, sizeof(*e));
	eccp__v1__event__init(e);
	e->external_id = "ecw-2018-brussels-opening";
	e->title = "EU Cluster Weeks 2018: opening conference";
	e->summary = "Clusters from all over Europe meet in Brussels to open the "
	             "first EU Cluster Weeks.";
	e->body = "Programme:\n\t09:00 Welcome\n\t10:00 Panel on cluster excellence\n";
	e->url = "https://www.clustercollaboration.eu/eu-cluster-weeks";
	e->start_time = t_ts(T_WEEKS_START, 0);
	e->end_time = t_ts(T_WEEKS_END, 0);
	e->time_zone = "Europe/Brussels";
	e->venue = "The Square – Brussels Meeting Centre";
	e->city = "Brussels";
	e->country = "BE";
	e->event_type = ECCP__V1__EVENT_TYPE__EVENT_TYPE_CONFERENCE;
	e->ecosystems = (Eccp__V1__Ecosystem *)t_enums(
	    &e->n_ecosystems, ECCP__V1__ECOSYSTEM__ECOSYSTEM_DIGITAL,
	    ECCP__V1__ECOSYSTEM__ECOSYSTEM_PROXIMITY_SOCIAL_ECONOMY, T_END);
	e->technologies = t_strs(&e->n_technologies, "Artificial intelligence", NULL);
	e->languages = t_strs(&e->n_languages, "en", "fr", "nl", NULL);
	e->registration_url = "https://ec.europa.eu/eusurvey/runner/ECW2018?lang=en#top";
	return e;
}

/* A COSME call for proposals with two cut-off dates. */
static Eccp__V1__Call *t_call(void)
{
	Eccp__V1__Call *c = eccp_arena_alloc(&t_a, sizeof(*c));
	eccp__v1__call__init(c);
	c->external_id = "COS-CLUSINT-2019-03-01";
	c->title = "Cluster Excellence Programme (COSME)";
	c->summary = "Support for cluster organisations to improve their management "
	             "excellence.\nUp to 50 % co-funding.";
	c->body = "Eligible: consortia of cluster organisations from COSME countries.\n";
	c->url = "https://ec.europa.eu/easme/en/cosme";
	c->programme = "COSME";
	c->funding_type = ECCP__V1__FUNDING_TYPE__FUNDING_TYPE_GRANT;
	c->opening_time = t_ts(T_COSME_OPEN, 0);
	c->deadline = t_ts(T_COSME_CLOSE, 0);
	c->time_zone = "Europe/Brussels";
	c->cutoff_times = eccp_arena_alloc(&t_a, 2 * sizeof(*c->cutoff_times));
	c->cutoff_times[0] = t_ts(T_COSME_CUTOFF, 0);
	c->cutoff_times[1] = t_ts(T_COSME_CUTOFF2, 500000000);
	c->n_cutoff_times = 2;
	c->total_budget_eur = 5000000;
	c->max_per_project_eur = 1000000;
	c->funding_rate = 50.0;
	c->eligible_countries =
	    t_strs(&c->n_eligible_countries, "DE", "FR", "IT", "NO", "RS", "UA", NULL);
	c->eligible_organisation_types = t_strs(&c->n_eligible_organisation_types,
	                                        "Cluster organisation", "SME", NULL);
	c->ecosystems = (Eccp__V1__Ecosystem *)t_enums(
	    &c->n_ecosystems, ECCP__V1__ECOSYSTEM__ECOSYSTEM_DIGITAL,
	    ECCP__V1__ECOSYSTEM__ECOSYSTEM_HEALTH, T_END);
	c->technologies = t_strs(&c->n_technologies, "Advanced manufacturing", NULL);
	return c;
}

static Eccp__V1__News *t_news(void)
{
	Eccp__V1__News *n = eccp_arena_alloc(&t_a, sizeof(*n));
	eccp__v1__news__init(n);
	n->external_id = "news-2019-031";
	n->title = "Les clusters français à la conquête de l'Europe";
	n->summary = "Bilan de la mission à Bruxelles.";
	n->body = "Trois jours d'échanges.\n\nSuite au prochain numéro.";
	n->url = "https://www.franceclusters.fr/actualites/2019/031";
	n->published_time = t_ts(T_NEWS, 0);
	n->ecosystems = (Eccp__V1__Ecosystem *)t_enums(
	    &n->n_ecosystems, ECCP__V1__ECOSYSTEM__ECOSYSTEM_AGRI_FOOD, T_END);
	n->technologies = t_strs(&n->n_technologies, "Biotechnology", NULL);
	n->countries = t_strs(&n->n_countries, "FR", "BE", NULL);
	n->language = "fr";
	return n;
}

static Eccp__V1__Organisation *t_org(void)
{
	Eccp__V1__Organisation *o = eccp_arena_alloc(&t_a, sizeof(*o));
	eccp__v1__organisation__init(o);
	o->id = "bayern-innovativ";
	o->name = "Bayern Innovativ GmbH";
	o->country = "DE";
	o->created_time = t_ts(T_NEWS, 0);
	return o;
}

static Eccp__V1__SubmitRequest *t_rq(void)
{
	Eccp__V1__SubmitRequest *rq = eccp_arena_alloc(&t_a, sizeof(*rq));
	eccp__v1__submit_request__init(rq);
	return rq;
}

static Eccp__V1__SubmitRequest *rq_cluster(Eccp__V1__Cluster *c)
{
	Eccp__V1__SubmitRequest *rq = t_rq();
	rq->item_case = ECCP__V1__SUBMIT_REQUEST__ITEM_CLUSTER;
	rq->cluster = c;
	return rq;
}

static Eccp__V1__SubmitRequest *rq_news(Eccp__V1__News *n)
{
	Eccp__V1__SubmitRequest *rq = t_rq();
	rq->item_case = ECCP__V1__SUBMIT_REQUEST__ITEM_NEWS;
	rq->news = n;
	return rq;
}

static Eccp__V1__SubmitRequest *rq_event(Eccp__V1__Event *e)
{
	Eccp__V1__SubmitRequest *rq = t_rq();
	rq->item_case = ECCP__V1__SUBMIT_REQUEST__ITEM_EVENT;
	rq->event = e;
	return rq;
}

static Eccp__V1__SubmitRequest *rq_call(Eccp__V1__Call *c)
{
	Eccp__V1__SubmitRequest *rq = t_rq();
	rq->item_case = ECCP__V1__SUBMIT_REQUEST__ITEM_CALL;
	rq->call = c;
	return rq;
}

static Eccp__V1__SubmitRequest *rq_org(Eccp__V1__Organisation *o)
{
	Eccp__V1__SubmitRequest *rq = t_rq();
	rq->item_case = ECCP__V1__SUBMIT_REQUEST__ITEM_ORGANISATION;
	rq->organisation = o;
	return rq;
}

/* ---- checking the outcome --------------------------------------------- */

static Eccp__V1__Status *t_validate(const Eccp__V1__SubmitRequest *rq)
{
	Eccp__V1__Status *st = eccp_status_new(&t_a);
	ingest_validate(&t_a, st, rq);
	/* Every error has a message for people, and the code follows. */
	for (size_t i = 0; i < st->n_field_errors; i++)
		assert_true(st->field_errors[i]->message[0] != '\0');
	assert_int_equal(st->code,
	                 st->n_field_errors == 0
	                     ? ECCP__V1__STATUS_CODE__STATUS_CODE_OK
	                     : ECCP__V1__STATUS_CODE__STATUS_CODE_INVALID_ARGUMENT);
	return st;
}

static void t_dump(const Eccp__V1__Status *st)
{
	for (size_t i = 0; i < st->n_field_errors; i++)
		print_message("    got %s / %s: %s\n", st->field_errors[i]->field,
		              st->field_errors[i]->rule, st->field_errors[i]->message);
}

/* Validates rq and checks that the errors are exactly the (field, rule)
 * pairs given, in any order: nothing missing, nothing more. The pairs end
 * with NULL. */
static void t_expect_at(const char *file, int line, const Eccp__V1__SubmitRequest *rq,
                        ...)
{
	Eccp__V1__Status *st = t_validate(rq);
	bool used[512] = {false};
	assert_true(st->n_field_errors < ECCP_ARRAY_LEN(used));
	bool ok = true;
	size_t want = 0;
	va_list ap;
	va_start(ap, rq);
	for (const char *field; (field = va_arg(ap, const char *)) != NULL;) {
		const char *rule = va_arg(ap, const char *);
		want++;
		bool found = false;
		for (size_t i = 0; i < st->n_field_errors && !found; i++) {
			if (!used[i] && strcmp(st->field_errors[i]->field, field) == 0 &&
			    strcmp(st->field_errors[i]->rule, rule) == 0)
				used[i] = found = true;
		}
		if (!found) {
			print_message("%s:%d: missing %s / %s\n", file, line, field,
			              rule);
			ok = false;
		}
	}
	va_end(ap);
	if (st->n_field_errors != want) {
		print_message("%s:%d: expected %zu errors, got %zu\n", file, line, want,
		              st->n_field_errors);
		ok = false;
	}
	if (!ok) {
		t_dump(st);
		fail_msg("%s:%d: unexpected validation result", file, line);
	}
}
#define t_expect(...)   t_expect_at(__FILE__, __LINE__, __VA_ARGS__, NULL)
#define t_expect_ok(rq) t_expect_at(__FILE__, __LINE__, rq, NULL)

/* ---- realistic items pass -------------------------------------------- */

static void test_valid_examples(void **state)
{
	(void)state;
	t_expect_ok(rq_cluster(t_cluster()));
	t_expect_ok(rq_cluster(t_cluster_japan()));
	t_expect_ok(rq_event(t_event()));
	t_expect_ok(rq_call(t_call()));
	t_expect_ok(rq_news(t_news()));
	t_expect_ok(rq_org(t_org()));
}

/* The least each kind needs. */
static void test_minimal_items(void **state)
{
	(void)state;
	Eccp__V1__Cluster *c = eccp_arena_alloc(&t_a, sizeof(*c));
	eccp__v1__cluster__init(c);
	c->external_id = "x";
	c->name = "X";
	c->country = "SE";
	t_expect_ok(rq_cluster(c));

	Eccp__V1__News *n = eccp_arena_alloc(&t_a, sizeof(*n));
	eccp__v1__news__init(n);
	n->external_id = "x";
	n->title = "X";
	n->published_time = t_ts(T_NEWS, 0);
	t_expect_ok(rq_news(n));

	Eccp__V1__Event *e = eccp_arena_alloc(&t_a, sizeof(*e));
	eccp__v1__event__init(e);
	e->external_id = "x";
	e->title = "X";
	e->start_time = t_ts(T_WEEKS_START, 0);
	e->end_time = t_ts(T_WEEKS_START, 0); /* end = start is fine */
	e->online = true;
	t_expect_ok(rq_event(e));

	Eccp__V1__Call *k = eccp_arena_alloc(&t_a, sizeof(*k));
	eccp__v1__call__init(k);
	k->external_id = "x";
	k->title = "X";
	k->deadline = t_ts(T_COSME_CLOSE, 0);
	t_expect_ok(rq_call(k));

	Eccp__V1__Organisation *o = eccp_arena_alloc(&t_a, sizeof(*o));
	eccp__v1__organisation__init(o);
	o->name = "X";
	t_expect_ok(rq_org(o));
}

/* ---- required -------------------------------------------------------- */

static void test_required_item(void **state)
{
	(void)state;
	t_expect(t_rq(), "item", "required");
	t_expect(NULL, "item", "required");
	/* A case without its message (only possible when built by hand). */
	Eccp__V1__SubmitRequest *rq = t_rq();
	rq->item_case = ECCP__V1__SUBMIT_REQUEST__ITEM_CALL;
	t_expect(rq, "item", "required");
}

static void test_required_fields(void **state)
{
	(void)state;
	Eccp__V1__Cluster *c = eccp_arena_alloc(&t_a, sizeof(*c));
	eccp__v1__cluster__init(c);
	t_expect(rq_cluster(c), "cluster.externalId", "required", "cluster.name",
	         "required", "cluster.country", "required");

	Eccp__V1__News *n = eccp_arena_alloc(&t_a, sizeof(*n));
	eccp__v1__news__init(n);
	t_expect(rq_news(n), "news.externalId", "required", "news.title", "required",
	         "news.publishedTime", "required");

	Eccp__V1__Event *e = eccp_arena_alloc(&t_a, sizeof(*e));
	eccp__v1__event__init(e);
	t_expect(rq_event(e), "event.externalId", "required", "event.title", "required",
	         "event.startTime", "required", "event.endTime", "required", "event.city",
	         "required");

	Eccp__V1__Call *k = eccp_arena_alloc(&t_a, sizeof(*k));
	eccp__v1__call__init(k);
	t_expect(rq_call(k), "call.externalId", "required", "call.title", "required",
	         "call.deadline", "required");

	Eccp__V1__Organisation *o = eccp_arena_alloc(&t_a, sizeof(*o));
	eccp__v1__organisation__init(o);
	t_expect(rq_org(o), "organisation.name", "required");
}

static void test_required_blank_and_unset(void **state)
{
	(void)state;
	/* White space only is as good as nothing. */
	Eccp__V1__Call *k = t_call();
	k->title = "  \t ";
	k->external_id = " ";
	t_expect(rq_call(k), "call.title", "required", "call.externalId", "required");

	/* A Timestamp of 0/0 is "not set" (common.proto). */
	k = t_call();
	k->deadline = t_ts(0, 0);
	k->opening_time = NULL;
	k->n_cutoff_times = 0;
	t_expect(rq_call(k), "call.deadline", "required");

	/* An event needs a city unless it is online. */
	Eccp__V1__Event *e = t_event();
	e->city = "";
	t_expect(rq_event(e), "event.city", "required");
	e->city = "   ";
	t_expect(rq_event(e), "event.city", "required");
	e->online = true;
	t_expect_ok(rq_event(e));
	e->city = "";
	t_expect_ok(rq_event(e));

	/* Empty entries in lists say nothing. */
	Eccp__V1__Cluster *c = t_cluster();
	c->sectors = t_strs(&c->n_sectors, "Automotive", "", " ", NULL);
	c->languages = t_strs(&c->n_languages, "de", "", NULL);
	c->looking_for->countries = t_strs(&c->looking_for->n_countries, "", NULL);
	t_expect(rq_cluster(c), "cluster.sectors[1]", "required", "cluster.sectors[2]",
	         "required", "cluster.languages[1]", "required",
	         "cluster.lookingFor.countries[0]", "required");

	/* A cut-off entry must be set. */
	k = t_call();
	k->cutoff_times[1] = t_ts(0, 0);
	t_expect(rq_call(k), "call.cutoffTimes[1]", "required");
}

/* ---- utf8 / no_control_chars ----------------------------------------- */

static void test_utf8(void **state)
{
	(void)state;
	Eccp__V1__Call *k = t_call();
	k->title = "Call \xff";                  /* not UTF-8 at all */
	k->summary = "over\xc0\xaflong";         /* overlong '/' */
	k->body = "surrogate \xed\xa0\x80 here"; /* U+D800 */
	k->programme = "cut \xe2\x82";           /* truncated sequence */
	t_expect(rq_call(k), "call.title", "utf8", "call.summary", "utf8", "call.body",
	         "utf8", "call.programme", "utf8");

	Eccp__V1__Cluster *c = t_cluster();
	c->technologies[1] = "\x80";
	c->contact->name = "\xf5\x80\x80\x80"; /* above U+10FFFF */
	t_expect(rq_cluster(c), "cluster.technologies[1]", "utf8", "cluster.contact.name",
	         "utf8");

	Eccp__V1__Organisation *o = t_org();
	o->name = "Org\xfe";
	t_expect(rq_org(o), "organisation.name", "utf8");

	/* Every script is fine. */
	Eccp__V1__News *n = t_news();
	n->title = "Κλάστερ 🚗 Кластер 集群 klaster ąęłńóśźż";
	t_expect_ok(rq_news(n));
}

static void test_no_control_chars(void **state)
{
	(void)state;
	Eccp__V1__Event *e = t_event();
	e->title = "Two\nlines";
	e->external_id = "tab\there";
	e->venue = "bell\a";
	e->city = "del\x7f";
	e->summary = "C1 next line \xc2\x85 here";
	e->body = "nul-ish \x01 byte";
	t_expect(rq_event(e), "event.title", "no_control_chars", "event.externalId",
	         "no_control_chars", "event.venue", "no_control_chars", "event.city",
	         "no_control_chars", "event.summary", "no_control_chars", "event.body",
	         "no_control_chars");

	/* Newline, tab and CR are fine in multi-line text only. */
	Eccp__V1__Cluster *c = t_cluster();
	c->description = "a\nb\tc\r\nd";
	t_expect_ok(rq_cluster(c));
	c->value_chains[0] = "a\tb";
	c->acronym = "A\r";
	t_expect(rq_cluster(c), "cluster.valueChains[0]", "no_control_chars",
	         "cluster.acronym", "no_control_chars");

	/* U+00A0..: not control characters (C2 A0 is no-break space). */
	Eccp__V1__News *n = t_news();
	n->title = "50\xc2\xa0% co-funding \xc2\xa9";
	t_expect_ok(rq_news(n));

	/* A URL with a control character gets that rule only, not "url" too. */
	n->url = "https://example.org/\x1b";
	t_expect(rq_news(n), "news.url", "no_control_chars");

	/* Both rules of one field are reported. */
	Eccp__V1__Call *k = t_call();
	k->title = t_repeat("\x01", 301);
	t_expect(rq_call(k), "call.title", "no_control_chars", "call.title",
	         "max_length");
}

/* ---- max_length ------------------------------------------------------ */

static void test_max_length(void **state)
{
	(void)state;
	/* Titles: 300 characters, whatever their bytes. */
	Eccp__V1__Call *k = t_call();
	k->title = t_repeat("é", 300);
	k->external_id = t_repeat("x", 200);
	k->programme = t_repeat("€", 200);
	k->summary = t_repeat("ü", 2000);
	k->body = t_repeat("b", 65536);
	t_expect_ok(rq_call(k));
	k->title = t_repeat("é", 301);
	k->external_id = t_repeat("x", 201);
	k->programme = t_repeat("€", 201);
	k->summary = t_repeat("ü", 2001);
	k->body = t_repeat("b", 65537);
	t_expect(rq_call(k), "call.title", "max_length", "call.externalId", "max_length",
	         "call.programme", "max_length", "call.summary", "max_length",
	         "call.body", "max_length");

	/* Bodies count bytes: 32,768 two-byte characters fit, one more does not. */
	Eccp__V1__Event *e = t_event();
	e->body = t_repeat("ä", 32768);
	t_expect_ok(rq_event(e));
	e->body = t_repeat("ä", 32769);
	t_expect(rq_event(e), "event.body", "max_length");

	/* Short strings: 200 characters. */
	e = t_event();
	e->city = t_repeat("c", 201);
	e->venue = t_repeat("v", 201);
	e->technologies[0] = t_repeat("t", 201);
	t_expect(rq_event(e), "event.city", "max_length", "event.venue", "max_length",
	         "event.technologies[0]", "max_length");

	Eccp__V1__Cluster *c = t_cluster();
	c->name = t_repeat("n", 301);
	c->description = t_repeat("d", 65537);
	c->nuts_region = t_repeat("r", 201);
	c->contact->name = t_repeat("n", 301);
	c->contact->phone = t_repeat("1", 201);
	c->sectors[0] = t_repeat("s", 201);
	c->emerging_industries[0] = t_repeat("e", 201);
	c->looking_for->technologies[0] = t_repeat("t", 201);
	t_expect(rq_cluster(c), "cluster.name", "max_length", "cluster.description",
	         "max_length", "cluster.nutsRegion", "max_length", "cluster.contact.name",
	         "max_length", "cluster.contact.phone", "max_length",
	         "cluster.sectors[0]", "max_length", "cluster.emergingIndustries[0]",
	         "max_length", "cluster.lookingFor.technologies[0]", "max_length");

	Eccp__V1__News *n = t_news();
	n->title = t_repeat("t", 301);
	n->summary = t_repeat("s", 2001);
	n->body = t_repeat("b", 65537);
	t_expect(rq_news(n), "news.title", "max_length", "news.summary", "max_length",
	         "news.body", "max_length");

	/* URLs: 2,048 characters. */
	char *path = t_repeat("p", 2048 - strlen("https://example.org/"));
	n = t_news();
	n->url = eccp_arena_printf(&t_a, "https://example.org/%s", path);
	t_expect_ok(rq_news(n));
	n->url = eccp_arena_printf(&t_a, "https://example.org/%sp", path);
	t_expect(rq_news(n), "news.url", "max_length");

	/* E-mail addresses: 254. */
	c = t_cluster();
	c->contact->email =
	    eccp_arena_printf(&t_a, "%s@%s.%s.%s.de", t_repeat("l", 64),
	                      t_repeat("a", 63), t_repeat("b", 63), t_repeat("c", 58));
	assert_int_equal(strlen(c->contact->email), 254);
	t_expect_ok(rq_cluster(c));
	c->contact->email =
	    eccp_arena_printf(&t_a, "%s@%s.%s.%s.de", t_repeat("l", 64),
	                      t_repeat("a", 63), t_repeat("b", 63), t_repeat("c", 59));
	t_expect(rq_cluster(c), "cluster.contact.email", "max_length");

	Eccp__V1__Organisation *o = t_org();
	o->name = t_repeat("o", 301);
	t_expect(rq_org(o), "organisation.name", "max_length");
}

/* ---- max_items ------------------------------------------------------- */

static void test_max_items(void **state)
{
	(void)state;
	const int eco = ECCP__V1__ECOSYSTEM__ECOSYSTEM_DIGITAL;
	const int coop = ECCP__V1__COOPERATION_KIND__COOPERATION_KIND_RESEARCH;

	/* 50 of everything passes. */
	Eccp__V1__Cluster *c = t_cluster();
	Eccp__V1__LookingFor *l = c->looking_for;
	c->ecosystems = (Eccp__V1__Ecosystem *)t_enums_same(&c->n_ecosystems, 50, eco);
	c->sectors = t_same(&c->n_sectors, 50, "s");
	c->technologies = t_same(&c->n_technologies, 50, "t");
	c->emerging_industries = t_same(&c->n_emerging_industries, 50, "e");
	c->value_chains = t_same(&c->n_value_chains, 50, "v");
	c->languages = t_same(&c->n_languages, 50, "en");
	l->ecosystems = (Eccp__V1__Ecosystem *)t_enums_same(&l->n_ecosystems, 50, eco);
	l->technologies = t_same(&l->n_technologies, 50, "t");
	l->countries = t_same(&l->n_countries, 50, "FR");
	l->cooperation =
	    (Eccp__V1__CooperationKind *)t_enums_same(&l->n_cooperation, 50, coop);
	t_expect_ok(rq_cluster(c));

	/* 51 of each: one error per list. */
	c->ecosystems = (Eccp__V1__Ecosystem *)t_enums_same(&c->n_ecosystems, 51, eco);
	c->sectors = t_same(&c->n_sectors, 51, "s");
	c->technologies = t_same(&c->n_technologies, 51, "t");
	c->emerging_industries = t_same(&c->n_emerging_industries, 51, "e");
	c->value_chains = t_same(&c->n_value_chains, 51, "v");
	c->languages = t_same(&c->n_languages, 51, "en");
	l->ecosystems = (Eccp__V1__Ecosystem *)t_enums_same(&l->n_ecosystems, 51, eco);
	l->technologies = t_same(&l->n_technologies, 51, "t");
	l->countries = t_same(&l->n_countries, 51, "FR");
	l->cooperation =
	    (Eccp__V1__CooperationKind *)t_enums_same(&l->n_cooperation, 51, coop);
	t_expect(rq_cluster(c), "cluster.ecosystems", "max_items", "cluster.sectors",
	         "max_items", "cluster.technologies", "max_items",
	         "cluster.emergingIndustries", "max_items", "cluster.valueChains",
	         "max_items", "cluster.languages", "max_items",
	         "cluster.lookingFor.ecosystems", "max_items",
	         "cluster.lookingFor.technologies", "max_items",
	         "cluster.lookingFor.countries", "max_items",
	         "cluster.lookingFor.cooperation", "max_items");

	Eccp__V1__News *n = t_news();
	n->ecosystems = (Eccp__V1__Ecosystem *)t_enums_same(&n->n_ecosystems, 51, eco);
	n->technologies = t_same(&n->n_technologies, 51, "t");
	n->countries = t_same(&n->n_countries, 51, "FR");
	t_expect(rq_news(n), "news.ecosystems", "max_items", "news.technologies",
	         "max_items", "news.countries", "max_items");

	Eccp__V1__Event *e = t_event();
	e->ecosystems = (Eccp__V1__Ecosystem *)t_enums_same(&e->n_ecosystems, 51, eco);
	e->technologies = t_same(&e->n_technologies, 51, "t");
	e->languages = t_same(&e->n_languages, 51, "en");
	t_expect(rq_event(e), "event.ecosystems", "max_items", "event.technologies",
	         "max_items", "event.languages", "max_items");

	Eccp__V1__Call *k = t_call();
	k->ecosystems = (Eccp__V1__Ecosystem *)t_enums_same(&k->n_ecosystems, 51, eco);
	k->technologies = t_same(&k->n_technologies, 51, "t");
	k->eligible_countries = t_same(&k->n_eligible_countries, 51, "FR");
	k->eligible_organisation_types =
	    t_same(&k->n_eligible_organisation_types, 51, "o");
	k->cutoff_times = eccp_arena_alloc(&t_a, 51 * sizeof(*k->cutoff_times));
	for (size_t i = 0; i < 51; i++)
		k->cutoff_times[i] = t_ts(T_COSME_CUTOFF, 0);
	k->n_cutoff_times = 51;
	t_expect(rq_call(k), "call.ecosystems", "max_items", "call.technologies",
	         "max_items", "call.eligibleCountries", "max_items",
	         "call.eligibleOrganisationTypes", "max_items", "call.cutoffTimes",
	         "max_items");

	/* An overlong list of bad entries: the first 50 are reported, the
	 * rest are covered by max_items. */
	n = t_news();
	n->countries = t_same(&n->n_countries, 1000, "xx");
	Eccp__V1__Status *st = t_validate(rq_news(n));
	assert_int_equal(st->n_field_errors, 51);
	assert_string_equal(st->field_errors[0]->field, "news.countries");
	assert_string_equal(st->field_errors[0]->rule, "max_items");
	assert_string_equal(st->field_errors[50]->field, "news.countries[49]");
	assert_string_equal(st->field_errors[50]->rule, "country");
}

/* ---- enum ------------------------------------------------------------ */

static void test_enum(void **state)
{
	(void)state;
	/* Unset singular enums are fine; unknown values are not. */
	Eccp__V1__Cluster *c = t_cluster();
	c->profile_type = ECCP__V1__PROFILE_TYPE__PROFILE_TYPE_UNSPECIFIED;
	c->excellence_label = ECCP__V1__EXCELLENCE_LABEL__EXCELLENCE_LABEL_NONE;
	t_expect_ok(rq_cluster(c));
	c->profile_type = (Eccp__V1__ProfileType)5;
	c->excellence_label = (Eccp__V1__ExcellenceLabel)-1;
	c->ecosystems = (Eccp__V1__Ecosystem *)t_enums(
	    &c->n_ecosystems, ECCP__V1__ECOSYSTEM__ECOSYSTEM_TOURISM, 0, 15, -3, T_END);
	c->looking_for->ecosystems =
	    (Eccp__V1__Ecosystem *)t_enums(&c->looking_for->n_ecosystems, 0, T_END);
	c->looking_for->cooperation = (Eccp__V1__CooperationKind *)t_enums(
	    &c->looking_for->n_cooperation,
	    ECCP__V1__COOPERATION_KIND__COOPERATION_KIND_KNOWLEDGE_EXCHANGE, 7, 0, T_END);
	t_expect(rq_cluster(c), "cluster.profileType", "enum", "cluster.excellenceLabel",
	         "enum", "cluster.ecosystems[1]", "enum", "cluster.ecosystems[2]", "enum",
	         "cluster.ecosystems[3]", "enum", "cluster.lookingFor.ecosystems[0]",
	         "enum", "cluster.lookingFor.cooperation[1]", "enum",
	         "cluster.lookingFor.cooperation[2]", "enum");

	Eccp__V1__Event *e = t_event();
	e->event_type = ECCP__V1__EVENT_TYPE__EVENT_TYPE_UNSPECIFIED;
	t_expect_ok(rq_event(e));
	e->event_type = ECCP__V1__EVENT_TYPE__EVENT_TYPE_OTHER;
	t_expect_ok(rq_event(e));
	e->event_type = (Eccp__V1__EventType)9;
	e->ecosystems = (Eccp__V1__Ecosystem *)t_enums(&e->n_ecosystems, 100000, T_END);
	t_expect(rq_event(e), "event.eventType", "enum", "event.ecosystems[0]", "enum");

	Eccp__V1__Call *k = t_call();
	k->funding_type = (Eccp__V1__FundingType)7;
	k->ecosystems = (Eccp__V1__Ecosystem *)t_enums(&k->n_ecosystems, 1, 14, 0, T_END);
	t_expect(rq_call(k), "call.fundingType", "enum", "call.ecosystems[2]", "enum");

	Eccp__V1__News *n = t_news();
	n->ecosystems = (Eccp__V1__Ecosystem *)t_enums(&n->n_ecosystems, 0, T_END);
	t_expect(rq_news(n), "news.ecosystems[0]", "enum");
}

/* ---- country / language ---------------------------------------------- */

static void test_country(void **state)
{
	(void)state;
	static const char *const bad[] = {"de",  "DEU", "XX", "D",  "De",       " DE",
	                                  "DE ", "UK",  "EU", "XK", "\xc3\x84T"};
	for (size_t i = 0; i < ECCP_ARRAY_LEN(bad); i++) {
		Eccp__V1__Cluster *c = t_cluster();
		c->country = (char *)bad[i];
		t_expect(rq_cluster(c), "cluster.country", "country");
	}
	Eccp__V1__Cluster *c = t_cluster();
	c->looking_for->countries =
	    t_strs(&c->looking_for->n_countries, "FR", "uk", "GB", "JP", "Germany", NULL);
	t_expect(rq_cluster(c), "cluster.lookingFor.countries[1]", "country",
	         "cluster.lookingFor.countries[4]", "country");

	/* Optional countries may be empty. */
	Eccp__V1__Event *e = t_event();
	e->country = "";
	t_expect_ok(rq_event(e));
	e->country = "BEL";
	t_expect(rq_event(e), "event.country", "country");

	Eccp__V1__Organisation *o = t_org();
	o->country = "";
	t_expect_ok(rq_org(o));
	o->country = "ZZ";
	t_expect(rq_org(o), "organisation.country", "country");

	Eccp__V1__Call *k = t_call();
	k->eligible_countries = t_strs(&k->n_eligible_countries, "IS", "LI", "ch", NULL);
	t_expect(rq_call(k), "call.eligibleCountries[2]", "country");

	Eccp__V1__News *n = t_news();
	n->countries = t_strs(&n->n_countries, "AQ", "", "Fr", NULL);
	t_expect(rq_news(n), "news.countries[1]", "required", "news.countries[2]",
	         "country");
}

static void test_language(void **state)
{
	(void)state;
	Eccp__V1__News *n = t_news();
	n->language = "";
	t_expect_ok(rq_news(n));
	static const char *const good[] = {"aa", "de", "en", "ga",
	                                   "mt", "sl", "zu", "bh"};
	for (size_t i = 0; i < ECCP_ARRAY_LEN(good); i++) {
		n->language = (char *)good[i];
		t_expect_ok(rq_news(n));
	}
	static const char *const bad[] = {"DE",    "deu", "xx", "d",  "de-AT",
	                                  "en_GB", "zz",  "sh", "iw", "\xc3\xa9n"};
	for (size_t i = 0; i < ECCP_ARRAY_LEN(bad); i++) {
		n->language = (char *)bad[i];
		t_expect(rq_news(n), "news.language", "language");
	}
	Eccp__V1__Event *e = t_event();
	e->languages = t_strs(&e->n_languages, "en", "EN", "fr", "english", NULL);
	t_expect(rq_event(e), "event.languages[1]", "language", "event.languages[3]",
	         "language");

	Eccp__V1__Cluster *c = t_cluster();
	c->languages = t_strs(&c->n_languages, "gsw", NULL);
	t_expect(rq_cluster(c), "cluster.languages[0]", "language");
}

/* The table is what bsearch needs and what the comment says. */
static void test_language_table(void **state)
{
	(void)state;
	size_t n = ECCP_ARRAY_LEN(v_languages);
	assert_int_equal(n, 184);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(strlen(v_languages[i]), 2);
		if (i > 0)
			assert_true(strcmp(v_languages[i - 1], v_languages[i]) < 0);
		assert_true(v_language_known(v_languages[i]));
	}
}

/* ---- url / email ----------------------------------------------------- */

static void test_url(void **state)
{
	(void)state;
	static const char *const good[] = {
	    "https://www.clustercollaboration.eu/",
	    "http://example.org",
	    "HTTPS://EXAMPLE.ORG/Path",
	    "https://example.org:8443/a?b=c&d=e#f",
	    "https://user:pw@example.org/",
	    "https://[2001:db8::1]:8080/",
	    "https://192.0.2.1/",
	    "https://bücher.de/straße",
	    "https://example.org?q=1",
	    "https://my_host.example.org/%20x",
	};
	for (size_t i = 0; i < ECCP_ARRAY_LEN(good); i++) {
		Eccp__V1__News *n = t_news();
		n->url = (char *)good[i];
		t_expect_ok(rq_news(n));
	}
	static const char *const bad[] = {
	    "ftp://example.org/",
	    "www.example.org",
	    "https://",
	    "https:///path",
	    "https://?q=1",
	    "https://exa mple.org/",
	    "https://example.org/a b",
	    "https://example.org:80a/",
	    "https://example.org:123456/",
	    "https://[2001:db8::1/",
	    "https://[]/",
	    "https://user@/",
	    "javascript:alert(1)",
	    "mailto:info@example.org",
	    "//example.org/",
	    "http:/example.org",
	    "https://exa<mple.org/",
	};
	for (size_t i = 0; i < ECCP_ARRAY_LEN(bad); i++) {
		Eccp__V1__News *n = t_news();
		n->url = (char *)bad[i];
		t_expect(rq_news(n), "news.url", "url");
	}
	/* Every URL field. */
	Eccp__V1__Cluster *c = t_cluster();
	c->website = "www.cluster.de";
	t_expect(rq_cluster(c), "cluster.website", "url");
	Eccp__V1__Event *e = t_event();
	e->url = "example.org";
	e->registration_url = "https:/x";
	t_expect(rq_event(e), "event.url", "url", "event.registrationUrl", "url");
	Eccp__V1__Call *k = t_call();
	k->url = "ftp://x.org";
	t_expect(rq_call(k), "call.url", "url");
	/* Empty means no URL. */
	e = t_event();
	e->url = "";
	e->registration_url = "";
	t_expect_ok(rq_event(e));
}

static void test_email(void **state)
{
	(void)state;
	static const char *const good[] = {
	    "info@bayern-innovativ.de", "first.last+tag@sub.example.co.uk",
	    "o'brien@example.ie",       "müller@bücher.de",
	    "x@xn--bcher-kva.de",       "a@b.museum",
	};
	for (size_t i = 0; i < ECCP_ARRAY_LEN(good); i++) {
		Eccp__V1__Cluster *c = t_cluster();
		c->contact->email = (char *)good[i];
		t_expect_ok(rq_cluster(c));
	}
	static const char *const bad[] = {
	    "info",
	    "@example.org",
	    "info@",
	    "info@example",
	    "a@b.c",
	    "a b@example.org",
	    "a@exa mple.org",
	    "a@@example.org",
	    "a@b@example.org",
	    "a@example..org",
	    ".a@example.org",
	    "a.@example.org",
	    "a..b@example.org",
	    "a@-example.org",
	    "a@example-.org",
	    "a@example.123",
	    "a@example.org.",
	    "a@.example.org",
	    "<a@example.org>",
	    "a@example_x.org",
	    "\"a\"@example.org",
	};
	for (size_t i = 0; i < ECCP_ARRAY_LEN(bad); i++) {
		Eccp__V1__Cluster *c = t_cluster();
		c->contact->email = (char *)bad[i];
		t_expect(rq_cluster(c), "cluster.contact.email", "email");
	}
	/* A 65-character local part is too long (RFC 5321). */
	Eccp__V1__Cluster *c = t_cluster();
	c->contact->email = eccp_arena_printf(&t_a, "%s@example.org", t_repeat("l", 65));
	t_expect(rq_cluster(c), "cluster.contact.email", "email");
	/* Empty, or no contact at all, is fine. */
	c->contact->email = "";
	t_expect_ok(rq_cluster(c));
	c->contact = NULL;
	t_expect_ok(rq_cluster(c));
}

/* ---- timestamp and the order of times --------------------------------- */

static void test_timestamp(void **state)
{
	(void)state;
	/* The limits themselves pass. */
	Eccp__V1__News *n = t_news();
	n->published_time = t_ts(-62135596800LL, 0);
	t_expect_ok(rq_news(n));
	n->published_time = t_ts(253402300799LL, 999999999);
	t_expect_ok(rq_news(n));
	n->published_time = t_ts(-1, 0); /* 1969 is a time too */
	t_expect_ok(rq_news(n));

	n->published_time = t_ts(-62135596801LL, 0);
	t_expect(rq_news(n), "news.publishedTime", "timestamp");
	n->published_time = t_ts(253402300800LL, 0);
	t_expect(rq_news(n), "news.publishedTime", "timestamp");
	n->published_time = t_ts(T_NEWS, -1);
	t_expect(rq_news(n), "news.publishedTime", "timestamp");
	n->published_time = t_ts(T_NEWS, 1000000000);
	t_expect(rq_news(n), "news.publishedTime", "timestamp");
	n->published_time = t_ts(0, 5); /* set, if only just */
	t_expect_ok(rq_news(n));

	/* Every time field; a broken time is not also compared. */
	Eccp__V1__Call *k = t_call();
	k->opening_time = t_ts(INT64_MIN, 0);
	k->deadline = t_ts(INT64_MAX, 0);
	k->cutoff_times[0] = t_ts(T_COSME_CUTOFF, INT32_MAX);
	t_expect(rq_call(k), "call.openingTime", "timestamp", "call.deadline",
	         "timestamp", "call.cutoffTimes[0]", "timestamp");

	Eccp__V1__Event *e = t_event();
	e->start_time = t_ts(T_WEEKS_START, -5);
	e->end_time = t_ts(300000000000LL, 0);
	t_expect(rq_event(e), "event.startTime", "timestamp", "event.endTime",
	         "timestamp");

	Eccp__V1__Cluster *c = t_cluster();
	c->updated_time = t_ts(T_NEWS, 2000000000);
	t_expect(rq_cluster(c), "cluster.updatedTime", "timestamp");
	c->updated_time = NULL;
	t_expect_ok(rq_cluster(c));

	Eccp__V1__Organisation *o = t_org();
	o->created_time = t_ts(-70000000000LL, 0);
	t_expect(rq_org(o), "organisation.createdTime", "timestamp");
}

static void test_end_after_start(void **state)
{
	(void)state;
	Eccp__V1__Event *e = t_event();
	e->end_time = t_ts(T_WEEKS_START - 1, 0);
	t_expect(rq_event(e), "event.endTime", "end_after_start");
	/* Nanoseconds count. */
	e->start_time = t_ts(T_WEEKS_START, 500);
	e->end_time = t_ts(T_WEEKS_START, 499);
	t_expect(rq_event(e), "event.endTime", "end_after_start");
	e->end_time = t_ts(T_WEEKS_START, 500);
	t_expect_ok(rq_event(e));
	/* Before 1970 too. */
	e->start_time = t_ts(-100, 0);
	e->end_time = t_ts(-200, 0);
	t_expect(rq_event(e), "event.endTime", "end_after_start");
}

static void test_deadline_after_opening(void **state)
{
	(void)state;
	Eccp__V1__Call *k = t_call();
	k->n_cutoff_times = 0;
	k->deadline = t_ts(T_COSME_OPEN - 86400, 0);
	t_expect(rq_call(k), "call.deadline", "deadline_after_opening");
	k->deadline = t_ts(T_COSME_OPEN, 0);
	t_expect_ok(rq_call(k));
	k->deadline = t_ts(T_COSME_OPEN, 0);
	k->opening_time = t_ts(T_COSME_OPEN, 1);
	t_expect(rq_call(k), "call.deadline", "deadline_after_opening");
	/* No opening time: open until the deadline. */
	k->opening_time = NULL;
	t_expect_ok(rq_call(k));
}

static void test_cutoff_in_window(void **state)
{
	(void)state;
	Eccp__V1__Call *k = t_call();
	k->cutoff_times = eccp_arena_alloc(&t_a, 5 * sizeof(*k->cutoff_times));
	k->cutoff_times[0] = t_ts(T_COSME_OPEN - 1, 0); /* before opening */
	k->cutoff_times[1] = t_ts(T_COSME_OPEN, 0);     /* = opening: fine */
	k->cutoff_times[2] = t_ts(T_COSME_CUTOFF, 0);   /* inside */
	k->cutoff_times[3] = t_ts(T_COSME_CLOSE, 0);    /* = deadline: fine */
	k->cutoff_times[4] = t_ts(T_COSME_CLOSE, 1);    /* after the deadline */
	k->n_cutoff_times = 5;
	t_expect(rq_call(k), "call.cutoffTimes[0]", "cutoff_in_window",
	         "call.cutoffTimes[4]", "cutoff_in_window");
	/* Without an opening time only the deadline bounds them. */
	k->opening_time = NULL;
	t_expect(rq_call(k), "call.cutoffTimes[4]", "cutoff_in_window");
	/* With a broken deadline, only the opening time does. */
	k->opening_time = t_ts(T_COSME_OPEN, 0);
	k->deadline = t_ts(T_COSME_CLOSE, -1);
	t_expect(rq_call(k), "call.deadline", "timestamp", "call.cutoffTimes[0]",
	         "cutoff_in_window");
}

/* ---- amounts and ranges ----------------------------------------------- */

static void test_amounts(void **state)
{
	(void)state;
	Eccp__V1__Call *k = t_call();
	k->total_budget_eur = -1;
	k->max_per_project_eur = -5;
	t_expect(rq_call(k), "call.totalBudgetEur", "non_negative",
	         "call.maxPerProjectEur", "non_negative");
	k->total_budget_eur = 0;
	k->max_per_project_eur = INT64_MIN;
	t_expect(rq_call(k), "call.maxPerProjectEur", "non_negative");

	/* max_le_total when both are known. */
	k->total_budget_eur = 1000000;
	k->max_per_project_eur = 1000001;
	t_expect(rq_call(k), "call.maxPerProjectEur", "max_le_total");
	k->max_per_project_eur = 1000000;
	t_expect_ok(rq_call(k));
	k->total_budget_eur = 0; /* total unknown */
	k->max_per_project_eur = 60000;
	t_expect_ok(rq_call(k));
	k->total_budget_eur = 100;
	k->max_per_project_eur = 0; /* no maximum */
	t_expect_ok(rq_call(k));
	k->total_budget_eur = -100;
	k->max_per_project_eur = 50;
	t_expect(rq_call(k), "call.totalBudgetEur", "non_negative");
	k->total_budget_eur = INT64_MAX;
	k->max_per_project_eur = INT64_MAX;
	t_expect_ok(rq_call(k));
}

static void test_range(void **state)
{
	(void)state;
	/* fundingRate: percent. */
	Eccp__V1__Call *k = t_call();
	static const double rates_ok[] = {0.0, 100.0, 33.3};
	for (size_t i = 0; i < ECCP_ARRAY_LEN(rates_ok); i++) {
		k->funding_rate = rates_ok[i];
		t_expect_ok(rq_call(k));
	}
	static const double rates_bad[] = {-0.1, 100.01, 1e300, -INFINITY};
	for (size_t i = 0; i < ECCP_ARRAY_LEN(rates_bad); i++) {
		k->funding_rate = rates_bad[i];
		t_expect(rq_call(k), "call.fundingRate", "range");
	}
	k->funding_rate = NAN;
	t_expect(rq_call(k), "call.fundingRate", "range");

	/* Location. */
	Eccp__V1__Cluster *c = t_cluster();
	c->location->latitude = 90.0;
	c->location->longitude = -180.0;
	t_expect_ok(rq_cluster(c));
	c->location->latitude = 90.0001;
	c->location->longitude = 180.5;
	t_expect(rq_cluster(c), "cluster.location.latitude", "range",
	         "cluster.location.longitude", "range");
	c->location->latitude = -91;
	c->location->longitude = NAN;
	t_expect(rq_cluster(c), "cluster.location.latitude", "range",
	         "cluster.location.longitude", "range");
	c->location->latitude = NAN;
	c->location->longitude = INFINITY;
	t_expect(rq_cluster(c), "cluster.location.latitude", "range",
	         "cluster.location.longitude", "range");
	c->location = NULL;
	t_expect_ok(rq_cluster(c));

	/* Year founded: 0 is "unknown". */
	c = t_cluster();
	static const uint32_t years_ok[] = {0, 1800, 2100, 1991};
	for (size_t i = 0; i < ECCP_ARRAY_LEN(years_ok); i++) {
		c->year_founded = years_ok[i];
		t_expect_ok(rq_cluster(c));
	}
	static const uint32_t years_bad[] = {1, 1799, 2101, UINT32_MAX};
	for (size_t i = 0; i < ECCP_ARRAY_LEN(years_bad); i++) {
		c->year_founded = years_bad[i];
		t_expect(rq_cluster(c), "cluster.yearFounded", "range");
	}

	/* Management staff. */
	c = t_cluster();
	c->management_staff_fte = 0;
	t_expect_ok(rq_cluster(c));
	c->management_staff_fte = 10000;
	t_expect_ok(rq_cluster(c));
	static const double fte_bad[] = {-0.5, 10000.5, INFINITY};
	for (size_t i = 0; i < ECCP_ARRAY_LEN(fte_bad); i++) {
		c->management_staff_fte = fte_bad[i];
		t_expect(rq_cluster(c), "cluster.managementStaffFte", "range");
	}
	c->management_staff_fte = NAN;
	t_expect(rq_cluster(c), "cluster.managementStaffFte", "range");

	/* Members: the firms are part of the total. */
	c = t_cluster();
	c->members->total = 100;
	c->members->smes = 60;
	c->members->large_firms = 40;
	c->members->research_education = 100;
	t_expect_ok(rq_cluster(c));
	c->members->large_firms = 41;
	c->members->research_education = 101;
	t_expect(rq_cluster(c), "cluster.members", "range",
	         "cluster.members.researchEducation", "range");
	c->members->total = 0; /* unknown total: nothing to compare */
	t_expect_ok(rq_cluster(c));
	/* No wrap-around in the sum. */
	c->members->total = UINT32_MAX;
	c->members->smes = UINT32_MAX;
	c->members->large_firms = 1;
	c->members->research_education = 0;
	t_expect(rq_cluster(c), "cluster.members", "range");
	c->members = NULL;
	t_expect_ok(rq_cluster(c));
}

/* ---- time_zone / id_format -------------------------------------------- */

static void test_time_zone(void **state)
{
	(void)state;
	static const char *const good[] = {
	    "",
	    "UTC",
	    "Europe/Brussels",
	    "America/Argentina/Buenos_Aires",
	    "America/Port-au-Prince",
	    "Etc/GMT+1",
	    "Etc/GMT-14",
	    "Asia/Tokyo",
	    "Indian/Reunion",
	    "Antarctica/DumontDUrville",
	    "Atlantic/Canary",
	    "Australia/Sydney",
	    "Pacific/Auckland",
	    "Africa/Dar_es_Salaam",
	};
	for (size_t i = 0; i < ECCP_ARRAY_LEN(good); i++) {
		Eccp__V1__Event *e = t_event();
		e->time_zone = (char *)good[i];
		t_expect_ok(rq_event(e));
		Eccp__V1__Call *k = t_call();
		k->time_zone = (char *)good[i];
		t_expect_ok(rq_call(k));
	}
	static const char *const bad[] = {
	    "CET",
	    "+01:00",
	    "utc",
	    "Europe",
	    "Europe/",
	    "/Brussels",
	    "Europe//Brussels",
	    "Europe/Brussels/",
	    "Mars/Olympus_Mons",
	    "europe/brussels",
	    "Europe/Brus sels",
	    "Europe/Brüssel",
	    "Europe/Brussels\n",
	    "Brussels time",
	    "US/Eastern", /* a backward-compatibility link, not an Area */
	};
	for (size_t i = 0; i < ECCP_ARRAY_LEN(bad); i++) {
		Eccp__V1__Event *e = t_event();
		e->time_zone = (char *)bad[i];
		t_expect(rq_event(e), "event.timeZone", "time_zone");
		Eccp__V1__Call *k = t_call();
		k->time_zone = (char *)bad[i];
		t_expect(rq_call(k), "call.timeZone", "time_zone");
	}
	/* Too long to be a real name. */
	Eccp__V1__Event *e = t_event();
	e->time_zone = eccp_arena_printf(&t_a, "Europe/%s", t_repeat("x", 58));
	t_expect(rq_event(e), "event.timeZone", "time_zone");
	e->time_zone = eccp_arena_printf(&t_a, "Europe/%s", t_repeat("x", 57));
	t_expect_ok(rq_event(e));
}

static void test_id_format(void **state)
{
	(void)state;
	static const char *const good[] = {"",   "bayern-innovativ", "a1", "x.y_z-0",
	                                   "00", "cluster.org_2019"};
	for (size_t i = 0; i < ECCP_ARRAY_LEN(good); i++) {
		Eccp__V1__Organisation *o = t_org();
		o->id = (char *)good[i];
		t_expect_ok(rq_org(o));
	}
	Eccp__V1__Organisation *o = t_org();
	o->id = t_repeat("a", 64);
	t_expect_ok(rq_org(o));

	static const char *const bad[] = {"a",   "-abc", "_abc", ".abc",  "Bayern", "a b",
	                                  "a/b", "a@b",  "ä1",   "org\n", "a\xff"};
	for (size_t i = 0; i < ECCP_ARRAY_LEN(bad); i++) {
		o = t_org();
		o->id = (char *)bad[i];
		t_expect(rq_org(o), "organisation.id", "id_format");
	}
	o = t_org();
	o->id = t_repeat("a", 65);
	t_expect(rq_org(o), "organisation.id", "id_format");
}

/* ---- what is not checked ---------------------------------------------- */

static void test_service_fields_ignored(void **state)
{
	(void)state;
	/* The service sets these from the caller's key and its own lookups. */
	Eccp__V1__Cluster *c = t_cluster();
	c->id = "\xff not an id";
	c->organisation_id = t_repeat("\x01", 500);
	t_expect_ok(rq_cluster(c));
	Eccp__V1__News *n = t_news();
	n->id = "\xff";
	n->organisation_id = "\xff";
	t_expect_ok(rq_news(n));
	Eccp__V1__Event *e = t_event();
	e->id = "\xff";
	e->organisation_id = "\xff";
	e->duplicate_of = "\xff";
	t_expect_ok(rq_event(e));
	Eccp__V1__Call *k = t_call();
	k->id = "\xff";
	k->organisation_id = "\xff";
	t_expect_ok(rq_call(k));
}

/* ---- several problems at once ------------------------------------------ */

static void test_all_errors_reported(void **state)
{
	(void)state;
	Eccp__V1__Call *k = t_call();
	k->external_id = "";
	k->title = "Bad\ttitle";
	k->url = "ec.europa.eu";
	k->funding_type = (Eccp__V1__FundingType)42;
	k->opening_time = t_ts(T_COSME_CLOSE, 0);
	k->deadline = t_ts(T_COSME_OPEN, 0);
	k->time_zone = "CEST";
	k->total_budget_eur = 100;
	k->max_per_project_eur = 200;
	k->funding_rate = 150;
	k->eligible_countries =
	    t_strs(&k->n_eligible_countries, "de", "FR", "GR", "EL", NULL);
	k->ecosystems = (Eccp__V1__Ecosystem *)t_enums(&k->n_ecosystems, 0, T_END);
	/* The window is inverted: both cut-offs fall outside it. */
	t_expect(rq_call(k), "call.externalId", "required", "call.title",
	         "no_control_chars", "call.url", "url", "call.fundingType", "enum",
	         "call.deadline", "deadline_after_opening", "call.timeZone", "time_zone",
	         "call.cutoffTimes[0]", "cutoff_in_window", "call.cutoffTimes[1]",
	         "cutoff_in_window", "call.maxPerProjectEur", "max_le_total",
	         "call.fundingRate", "range", "call.eligibleCountries[0]", "country",
	         "call.eligibleCountries[3]", "country", "call.ecosystems[0]", "enum");

	Eccp__V1__Cluster *c = t_cluster();
	c->name = "";
	c->country = "Deutschland";
	c->website = "cluster-bayern.de";
	c->location->latitude = 149.45;
	c->year_founded = 206;
	c->languages = t_strs(&c->n_languages, "German", NULL);
	c->contact->email = "info(at)bayern-innovativ.de";
	c->members->smes = 400;
	c->looking_for->countries = t_strs(&c->looking_for->n_countries, "UK", NULL);
	t_expect(rq_cluster(c), "cluster.name", "required", "cluster.country", "country",
	         "cluster.website", "url", "cluster.location.latitude", "range",
	         "cluster.yearFounded", "range", "cluster.languages[0]", "language",
	         "cluster.contact.email", "email", "cluster.members", "range",
	         "cluster.lookingFor.countries[0]", "country");

	Eccp__V1__Event *e = t_event();
	e->title = "";
	e->start_time = t_ts(T_WEEKS_END, 0);
	e->end_time = t_ts(T_WEEKS_START, 0);
	e->city = "";
	e->country = "be";
	e->time_zone = "Brussels";
	e->registration_url = "register here";
	e->languages = t_strs(&e->n_languages, "en", "vl", NULL);
	t_expect(rq_event(e), "event.title", "required", "event.endTime",
	         "end_after_start", "event.city", "required", "event.country", "country",
	         "event.timeZone", "time_zone", "event.registrationUrl", "url",
	         "event.languages[1]", "language");

	Eccp__V1__News *n = t_news();
	n->external_id = t_repeat("i", 201);
	n->published_time = NULL;
	n->language = "FR";
	n->body = "bad \xff";
	t_expect(rq_news(n), "news.externalId", "max_length", "news.publishedTime",
	         "required", "news.language", "language", "news.body", "utf8");

	Eccp__V1__Organisation *o = t_org();
	o->id = "Bayern Innovativ";
	o->name = "";
	o->country = "GER";
	t_expect(rq_org(o), "organisation.id", "id_format", "organisation.name",
	         "required", "organisation.country", "country");
}

/* Validation only reads the request. */
static void test_request_untouched(void **state)
{
	(void)state;
	Eccp__V1__Call *k = t_call();
	size_t before = eccp__v1__call__get_packed_size(k);
	uint8_t *a = eccp_arena_alloc(&t_a, before);
	eccp__v1__call__pack(k, a);
	t_validate(rq_call(k));
	assert_int_equal(eccp__v1__call__get_packed_size(k), before);
	uint8_t *b = eccp_arena_alloc(&t_a, before);
	eccp__v1__call__pack(k, b);
	assert_memory_equal(a, b, before);
}

/* ---- countries --------------------------------------------------------- */

static void test_countries_find(void **state)
{
	(void)state;
	const eccp_country *de = eccp_country_find("DE");
	assert_non_null(de);
	assert_string_equal(de->code, "DE");
	assert_string_equal(de->name, "Germany");
	assert_true(de->europe);
	assert_true(de->eu);

	const eccp_country *no = eccp_country_find("NO");
	assert_non_null(no);
	assert_string_equal(no->name, "Norway");
	assert_true(no->europe);
	assert_false(no->eu);

	const eccp_country *jp = eccp_country_find("JP");
	assert_non_null(jp);
	assert_string_equal(jp->name, "Japan");
	assert_false(jp->europe);
	assert_false(jp->eu);

	static const char *const none[] = {"de", "DEU", "XX",       "",   "D",
	                                   "De", "dE",  "XK",       "UK", "EU",
	                                   " D", "D ",  "\xc3\x84T"};
	for (size_t i = 0; i < ECCP_ARRAY_LEN(none); i++)
		assert_null(eccp_country_find(none[i]));
	assert_null(eccp_country_find(NULL));

	/* The ends of the table, and a few with special status. */
	assert_non_null(eccp_country_find("AD"));
	assert_non_null(eccp_country_find("ZW"));
	assert_true(eccp_country_find("GB")->europe);
	assert_false(eccp_country_find("GB")->eu);
	assert_true(eccp_country_find("CH")->europe);
	assert_true(eccp_country_find("TR")->europe);
	assert_true(eccp_country_find("UA")->europe);
	assert_true(eccp_country_find("GE")->europe);
	assert_true(eccp_country_find("CY")->eu);
	assert_true(eccp_country_find("HR")->eu);
	assert_false(eccp_country_find("US")->europe);
	assert_false(eccp_country_find("GL")->europe);
	assert_false(eccp_country_find("KZ")->europe);
	assert_false(eccp_country_find("CN")->europe);
}

static void test_countries_table(void **state)
{
	(void)state;
	size_t n = 0;
	const eccp_country *all = eccp_countries(&n);
	assert_int_equal(n, 249);
	size_t eu = 0, europe = 0;
	for (size_t i = 0; i < n; i++) {
		const char *c = all[i].code;
		assert_int_equal(strlen(c), 2);
		assert_true(c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z');
		if (i > 0)
			assert_true(strcmp(all[i - 1].code, c) < 0);
		assert_true(all[i].name[0] != '\0');
		assert_true(eccp_utf8_valid(all[i].name, strlen(all[i].name)));
		assert_ptr_equal(eccp_country_find(c), &all[i]);
		/* Every member state is in Europe (Cyprus included). */
		if (all[i].eu)
			assert_true(all[i].europe);
		eu += all[i].eu;
		europe += all[i].europe;
	}
	assert_int_equal(eu, 27);
	/* EU 27 + IS LI NO CH + GB + AL BA ME MK RS + MD UA BY RU TR GE AM AZ +
	 * AD MC SM VA + GI FO GG JE IM AX SJ. */
	assert_int_equal(europe, 56);
	/* NULL n is allowed. */
	assert_ptr_equal(eccp_countries(NULL), all);
}

#define T(f) cmocka_unit_test_setup_teardown(f, t_setup, t_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_valid_examples),
	    T(test_minimal_items),
	    T(test_required_item),
	    T(test_required_fields),
	    T(test_required_blank_and_unset),
	    T(test_utf8),
	    T(test_no_control_chars),
	    T(test_max_length),
	    T(test_max_items),
	    T(test_enum),
	    T(test_country),
	    T(test_language),
	    T(test_language_table),
	    T(test_url),
	    T(test_email),
	    T(test_timestamp),
	    T(test_end_after_start),
	    T(test_deadline_after_opening),
	    T(test_cutoff_in_window),
	    T(test_amounts),
	    T(test_range),
	    T(test_time_zone),
	    T(test_id_format),
	    T(test_service_fields_ignored),
	    T(test_all_errors_reported),
	    T(test_request_untouched),
	    T(test_countries_find),
	    T(test_countries_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
