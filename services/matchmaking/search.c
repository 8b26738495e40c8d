/* Partners: a partner search by the criteria the caller sets (partner.h),
 * on the thread pool, over the in-memory index. Anyone with a key may
 * search; what a profile says is public on the platform. */
#include "matchmaking.h"

#include "util.h"

#include <string.h>

/* A criterion's use; an unknown one is refused (field "<name>.use") rather
 * than quietly turning the criterion off. */
static mm_use use_of(eccp_rpc_call *call, const char *name, Eccp__V1__CriterionUse u)
{
	switch (u) {
	case ECCP__V1__CRITERION_USE__CRITERION_USE_OFF:
		return MM_OFF;
	case ECCP__V1__CRITERION_USE__CRITERION_USE_FILTER:
		return MM_FILTER;
	case ECCP__V1__CRITERION_USE__CRITERION_USE_PREFER:
		return MM_PREFER;
	default:
		eccp_rpc_field_error(call,
		                     eccp_arena_printf(&call->arena, "%s.use", name),
		                     "enum", "unknown value %d", (int)u);
		return MM_OFF;
	}
}

static Eccp__V1__CriterionUse use_msg(mm_use u)
{
	return u == MM_FILTER   ? ECCP__V1__CRITERION_USE__CRITERION_USE_FILTER
	       : u == MM_PREFER ? ECCP__V1__CRITERION_USE__CRITERION_USE_PREFER
	                        : ECCP__V1__CRITERION_USE__CRITERION_USE_OFF;
}

/* Strings the index will read: valid UTF-8 without control characters. */
static bool strings_ok(eccp_rpc_call *call, const char *field, char **v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *s = v[i] ? v[i] : "";
		size_t len = strlen(s);
		if (!eccp_utf8_valid(s, len) || eccp_text_has_control(s, len, false)) {
			eccp_rpc_field_error(
			    call, eccp_arena_printf(&call->arena, "%s[%zu]", field, i),
			    "utf8",
			    "must be UTF-8 text without control "
			    "characters");
			return false;
		}
	}
	return true;
}

/* Criterion name ("criteria.sectors") of strings c into out. */
static bool strings(eccp_rpc_call *call, const char *name,
                    const Eccp__V1__StringsCriterion *c, mm_strings_criterion *out)
{
	if (c == NULL)
		return true;
	out->use = use_of(call, name, c->use);
	out->weight = c->weight;
	out->values = (const char *const *)c->values;
	out->n = c->n_values;
	return strings_ok(call, eccp_arena_printf(&call->arena, "%s.values", name),
	                  c->values, c->n_values);
}

/* A known value (0 included: off, none). */
static bool enum_ok(eccp_rpc_call *call, const char *field,
                    const ProtobufCEnumDescriptor *d, int v)
{
	if (protobuf_c_enum_descriptor_get_value(d, v) != NULL)
		return true;
	eccp_rpc_field_error(call, field, "enum", "unknown value %d", v);
	return false;
}

/* The request as a query (strings point into the request); false with the
 * call's status set when something is wrong before the index is asked. */
static bool query_of(eccp_rpc_call *call, const Eccp__V1__PartnerSearchRequest *rq,
                     mm_query *q)
{
	memset(q, 0, sizeof(*q));
	q->offset = rq->offset;
	q->limit = rq->limit;
	const Eccp__V1__PartnerCriteria *c = rq->criteria;
	if (c == NULL)
		return true;
	bool ok = true;
	if (c->ecosystems != NULL) {
		q->ecosystems.use =
		    use_of(call, "criteria.ecosystems", c->ecosystems->use);
		q->ecosystems.weight = c->ecosystems->weight;
		int *v = eccp_arena_alloc(&call->arena,
		                          (c->ecosystems->n_values + 1) * sizeof(*v));
		for (size_t i = 0; i < c->ecosystems->n_values; i++)
			v[i] = (int)c->ecosystems->values[i];
		q->ecosystems.values = v;
		q->ecosystems.n = c->ecosystems->n_values;
	}
	ok &= strings(call, "criteria.sectors", c->sectors, &q->sectors);
	ok &= strings(call, "criteria.technologies", c->technologies, &q->technologies);
	ok &= strings(call, "criteria.emergingIndustries", c->emerging_industries,
	              &q->emerging_industries);
	ok &= strings(call, "criteria.valueChains", c->value_chains, &q->value_chains);
	ok &= strings(call, "criteria.countries", c->countries, &q->countries);
	ok &= strings(call, "criteria.nutsRegions", c->nuts_regions, &q->nuts_regions);
	ok &= strings(call, "criteria.languages", c->languages, &q->languages);
	ok &= strings_ok(call, "criteria.excludeCountries", c->exclude_countries,
	                 c->n_exclude_countries);
	q->exclude_countries = (const char *const *)c->exclude_countries;
	q->n_exclude_countries = c->n_exclude_countries;
	if (c->distance != NULL) {
		const Eccp__V1__DistanceCriterion *d = c->distance;
		q->distance.use = use_of(call, "criteria.distance", d->use);
		q->distance.weight = d->weight;
		q->distance.from_cluster = d->from_cluster;
		if (d->from_point != NULL) {
			q->distance.latitude = d->from_point->latitude;
			q->distance.longitude = d->from_point->longitude;
		}
		q->distance.max_km = d->max_km;
		char *from[1] = {d->from_cluster};
		ok &= strings_ok(call, "criteria.distance.fromCluster", from,
		                 d->from_cluster ? 1 : 0);
	}
	const Eccp__V1__RangeCriterion *ranges[2] = {c->members, c->smes};
	mm_range_criterion *outs[2] = {&q->members, &q->smes};
	static const char *const range_names[2] = {"criteria.members", "criteria.smes"};
	for (int i = 0; i < 2; i++) {
		if (ranges[i] == NULL)
			continue;
		outs[i]->use = use_of(call, range_names[i], ranges[i]->use);
		outs[i]->weight = ranges[i]->weight;
		outs[i]->min = ranges[i]->min;
		outs[i]->max = ranges[i]->max;
	}
	if (c->label != NULL) {
		q->label.use = use_of(call, "criteria.label", c->label->use);
		q->label.weight = c->label->weight;
		q->label.min = (int)c->label->min;
		ok &=
		    enum_ok(call, "criteria.label.min",
		            &eccp__v1__excellence_label__descriptor, (int)c->label->min);
	}
	if (c->text != NULL) {
		q->text.use = use_of(call, "criteria.text", c->text->use);
		q->text.weight = c->text->weight;
		q->text.text = c->text->text;
		char *t[1] = {c->text->text};
		ok &= strings_ok(call, "criteria.text.text", t, c->text->text ? 1 : 0);
	}
	ok &= enum_ok(call, "criteria.mode", &eccp__v1__partner_mode__descriptor,
	              (int)c->mode);
	q->mode = c->mode == ECCP__V1__PARTNER_MODE__PARTNER_MODE_SIMILAR
	              ? MM_MODE_SIMILAR
	          : c->mode == ECCP__V1__PARTNER_MODE__PARTNER_MODE_COMPLEMENTARY
	              ? MM_MODE_COMPLEMENTARY
	              : MM_MODE_NONE;
	q->cluster_id = c->cluster_id && c->cluster_id[0] ? c->cluster_id : NULL;
	char *ref[1] = {c->cluster_id};
	ok &= strings_ok(call, "criteria.clusterId", ref, c->cluster_id ? 1 : 0);
	return ok && eccp_rpc_ok(call); /* use_of refuses by status */
}

Eccp__V1__PartnerResult *mm_result_message(eccp_arena *a, const mm_result *r,
                                           bool reasons)
{
	Eccp__V1__PartnerResult *m = eccp_arena_alloc(a, sizeof(*m));
	eccp__v1__partner_result__init(m);
	m->cluster_id = eccp_arena_strdup(a, r->id);
	m->name = eccp_arena_strdup(a, r->name ? r->name : "");
	m->country = eccp_arena_strdup(a, r->country ? r->country : "");
	if (r->has_location) {
		m->location = eccp_arena_alloc(a, sizeof(*m->location));
		eccp__v1__geo_point__init(m->location);
		m->location->latitude = r->latitude;
		m->location->longitude = r->longitude;
	}
	m->has_distance = r->has_distance;
	m->distance_km = r->has_distance ? r->distance_km : 0;
	m->score = r->score;
	if (!reasons || r->n_reasons == 0)
		return m;
	m->reasons = eccp_arena_alloc(a, r->n_reasons * sizeof(*m->reasons));
	for (size_t i = 0; i < r->n_reasons; i++) {
		const mm_reason *why = &r->reasons[i];
		Eccp__V1__PartnerReason *x = eccp_arena_alloc(a, sizeof(*x));
		eccp__v1__partner_reason__init(x);
		x->criterion = eccp_arena_strdup(a, why->criterion);
		x->use = use_msg(why->kind);
		x->weight = why->weight;
		x->score = why->score;
		x->explanation =
		    eccp_arena_strdup(a, why->explanation ? why->explanation : "");
		m->reasons[m->n_reasons++] = x;
	}
	return m;
}

/* "criteria.distance.max_km: must be ..." as a field error. */
static void search_error(eccp_rpc_call *call, const char *err)
{
	const char *colon = strstr(err, ": ");
	if (colon == NULL || strncmp(err, "criteria", 8) != 0) {
		if (strstr(err, "memory") != NULL)
			eccp_rpc_error(call, ECCP__V1__STATUS_CODE__STATUS_CODE_INTERNAL,
			               "%s", err);
		else
			eccp_rpc_field_error(call, "criteria", "invalid", "%s", err);
		return;
	}
	char *field = eccp_arena_strndup(&call->arena, err, (size_t)(colon - err));
	eccp_rpc_field_error(call, field, "invalid", "%s", colon + 2);
}

void mm_partners_rpc(eccp_rpc_call *call)
{
	mm *m = call->svc;
	const Eccp__V1__PartnerSearchRequest *rq =
	    (const Eccp__V1__PartnerSearchRequest *)call->params;
	mm_query q;
	if (!query_of(call, rq, &q))
		return;
	mm_results r;
	char err[256];
	if (mm_partners_search(m->partners, &q, &r, err, sizeof(err)) != 0) {
		search_error(call, err);
		return;
	}
	Eccp__V1__PartnerSearchResponse *out = eccp_rpc_result(call);
	out->total = r.total;
	out->indexed = mm_partners_count(m->partners);
	out->results = eccp_arena_alloc(&call->arena, (r.n + 1) * sizeof(*out->results));
	for (size_t i = 0; i < r.n; i++)
		out->results[out->n_results++] =
		    mm_result_message(&call->arena, &r.items[i], true);
	mm_results_free(&r);
}
