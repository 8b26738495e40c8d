/* eccp partners and eccp mm create|show|register|unregister|request|respond|
 * schedule|lock|unlock|agenda: eccp-matchmaking from the command line, the
 * partner search and B2B matchmaking events. */
#include "cli.h"

#include "json.h"

#include "eccp/v1/matchmaking.pb-c.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Names in the partner table: longer ones are cut so the columns after them
 * stay on the line. */
#define MM_NAME_WIDTH 40
/* Bounds the service enforces too; checked here so that a typo is a usage
 * error that names the option rather than a round trip. */
#define MM_OFFSET_MAX 10000
#define MM_MAX_KM     20015 /* half the Earth's circumference */
#define MM_WEIGHT_MAX 100.0
/* The largest slot number --slots-available takes, and the most numbers its
 * ranges may expand to: 0-4000000000 would otherwise be billions of them. */
#define MM_SLOT_MAX 100000

/* One call of a matchmaking method on a connection opened for it. */
static int mm_call(const cli_ctx *ctx, eccp_arena *a, Eccp__V1__MatchmakingRequest *req,
                   Eccp__V1__MatchmakingResponse__MethodCase want,
                   const Eccp__V1__MatchmakingResponse **resp)
{
	const ProtobufCMessage *m = NULL;
	int rc = cli_call_once(ctx, "matchmaking", ctx->matchmaking_url, a, &req->base,
	                       &eccp__v1__matchmaking_response__descriptor, want, &m);
	*resp = (const Eccp__V1__MatchmakingResponse *)m;
	return rc;
}

/* cli_run_method on eccp-matchmaking. */
static int mm_run(const cli_ctx *ctx, eccp_arena *a, unsigned method,
                  const ProtobufCMessage *params, cli_show_fn show, const void *arg)
{
	return cli_run_method(ctx, "matchmaking", ctx->matchmaking_url, a,
	                      &eccp__v1__matchmaking_request__descriptor,
	                      &eccp__v1__matchmaking_response__descriptor, method, params,
	                      show, arg);
}

/* ---- parsing option values ------------------------------------------------- */

/* s as a whole number in [min, max]; no sign, no spaces. */
static bool mm_parse_uint(const char *s, size_t len, uint64_t min, uint64_t max,
                          uint64_t *out)
{
	if (len == 0 || len > 20)
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* Option opt as a whole number in [min, max]. Returns 0 or the exit status. */
static int mm_uint(const cli_ctx *ctx, size_t opt, const char *flag, uint64_t min,
                   uint64_t max, uint64_t *out)
{
	const char *s = ctx->opt[opt];
	if (!mm_parse_uint(s, strlen(s), min, max, out))
		return cli_usage_error(ctx->cmd,
		                       "%s: expected a whole number from %" PRIu64
		                       " to %" PRIu64 ", got '%s'",
		                       flag, min, max, s);
	return 0;
}

/* s as a finite decimal number. */
static bool mm_parse_double(const char *s, double *out)
{
	if (s[0] == '\0' || isspace((unsigned char)s[0]))
		return false;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (*end != '\0' || errno != 0 || !isfinite(v))
		return false;
	*out = v;
	return true;
}

/* Option opt as a list of two-letter codes, upper-cased (countries) or
 * lower-cased (languages). Returns 0 or the exit status. */
static int mm_codes(const cli_ctx *ctx, eccp_arena *a, size_t opt, const char *flag,
                    bool upper, char ***out, size_t *n)
{
	return cli_code_list(ctx, a, opt, flag,
	                     upper ? "two-letter ISO 3166-1" : "two-letter ISO 639-1",
	                     upper ? "DE" : "en", upper, out, n);
}

/* --nuts as upper-case region codes; the service checks their form. */
static int mm_nuts(const cli_ctx *ctx, eccp_arena *a, char ***out, size_t *n)
{
	int rc = cli_split(ctx, a, CLI_OPT_NUTS, "--nuts", out, n);
	for (size_t i = 0; rc == 0 && i < *n; i++)
		for (char *p = (*out)[i]; *p != '\0'; p++) {
			if (!isalnum((unsigned char)*p))
				return cli_usage_error(
				    ctx->cmd,
				    "--nuts: expected NUTS codes such as DE21, got '%s'",
				    (*out)[i]);
			*p = (char)toupper((unsigned char)*p);
		}
	return rc;
}

/* Option opt as MIN, MIN-MAX, MIN- or -MAX (0: no bound, at least one bound
 * given). *out stays NULL when the option was not given. */
static int mm_range(const cli_ctx *ctx, eccp_arena *a, size_t opt, const char *flag,
                    Eccp__V1__RangeCriterion **out)
{
	*out = NULL;
	if (!ctx->given[opt])
		return 0;
	const char *s = ctx->opt[opt];
	const char *dash = strchr(s, '-');
	uint64_t min = 0, max = 0;
	size_t lo = dash != NULL ? (size_t)(dash - s) : strlen(s);
	bool ok = (lo == 0 && dash != NULL) || mm_parse_uint(s, lo, 0, UINT32_MAX, &min);
	if (ok && dash != NULL && dash[1] != '\0')
		ok = mm_parse_uint(dash + 1, strlen(dash + 1), 0, UINT32_MAX, &max);
	if (!ok || (min == 0 && max == 0))
		return cli_usage_error(
		    ctx->cmd,
		    "%s: expected MIN, MIN-MAX or -MAX with a bound above 0, got '%s'",
		    flag, s);
	if (max != 0 && min > max)
		return cli_usage_error(ctx->cmd, "%s: %" PRIu64 " is above %" PRIu64,
		                       flag, min, max);
	Eccp__V1__RangeCriterion *r = eccp_arena_alloc(a, sizeof(*r));
	eccp__v1__range_criterion__init(r);
	r->use = ECCP__V1__CRITERION_USE__CRITERION_USE_FILTER;
	r->min = (uint32_t)min;
	r->max = (uint32_t)max;
	*out = r;
	return 0;
}

/* --slots-available "0,1,4-7" as slot numbers. */
static int mm_slot_list(const cli_ctx *ctx, eccp_arena *a, uint32_t **out, size_t *n)
{
	char **parts;
	size_t np;
	*out = NULL;
	*n = 0;
	int rc =
	    cli_split(ctx, a, CLI_OPT_SLOTS_AVAILABLE, "--slots-available", &parts, &np);
	if (rc != 0 || np == 0)
		return rc;
	uint64_t(*ranges)[2] = eccp_arena_alloc(a, np * sizeof(*ranges));
	size_t total = 0;
	for (size_t i = 0; i < np; i++) {
		const char *s = parts[i], *dash = strchr(s, '-');
		size_t lo = dash != NULL ? (size_t)(dash - s) : strlen(s);
		bool ok = mm_parse_uint(s, lo, 0, MM_SLOT_MAX, &ranges[i][0]);
		ranges[i][1] = ranges[i][0];
		if (ok && dash != NULL)
			ok = mm_parse_uint(dash + 1, strlen(dash + 1), ranges[i][0],
			                   MM_SLOT_MAX, &ranges[i][1]);
		if (!ok)
			return cli_usage_error(
			    ctx->cmd,
			    "--slots-available: expected slot numbers (0 to %d) and "
			    "ranges such as 0,1,4-7, got '%s'",
			    MM_SLOT_MAX, s);
		total += (size_t)(ranges[i][1] - ranges[i][0] + 1);
		if (total > MM_SLOT_MAX)
			return cli_usage_error(ctx->cmd,
			                       "--slots-available: more than %d slots",
			                       MM_SLOT_MAX);
	}
	uint32_t *v = eccp_arena_alloc(a, total * sizeof(*v));
	for (size_t i = 0; i < np; i++)
		for (uint64_t k = ranges[i][0]; k <= ranges[i][1]; k++)
			v[(*n)++] = (uint32_t)k;
	*out = v;
	return 0;
}

/* Option opt as an RFC 3339 time. */
static int mm_time(const cli_ctx *ctx, eccp_arena *a, size_t opt, const char *flag,
                   Eccp__V1__Timestamp **out)
{
	const char *s = ctx->opt[opt];
	if (!cli_parse_time(a, s, out))
		return cli_usage_error(ctx->cmd,
		                       "%s: expected an RFC 3339 time such as "
		                       "2026-05-12T09:00:00+02:00, got '%s'",
		                       flag, s);
	return 0;
}

/* ---- partners: the request ------------------------------------------------- */

/* A criterion as --prefer names it, and where its use and weight are. */
typedef struct mm_crit {
	const char *names[3]; /* the name shown first; other spellings */
	const char *flag;     /* what gives the criterion */
	Eccp__V1__CriterionUse *use;
	double *weight;
	bool preferred;
} mm_crit;

static Eccp__V1__StringsCriterion *mm_strings(eccp_arena *a, char **v, size_t n)
{
	if (n == 0)
		return NULL;
	Eccp__V1__StringsCriterion *c = eccp_arena_alloc(a, sizeof(*c));
	eccp__v1__strings_criterion__init(c);
	c->use = ECCP__V1__CRITERION_USE__CRITERION_USE_FILTER;
	c->values = v;
	c->n_values = n;
	return c;
}

/* "technologies", "Value_Chains", "value chains" -> "technologies",
 * "value-chains": --prefer's names in any case, '_' or ' ' for '-'. */
static char *mm_crit_key(eccp_arena *a, const char *s, size_t len)
{
	char *k = eccp_arena_strndup(a, s, len);
	for (char *p = k; *p != '\0'; p++)
		*p = *p == '_' || *p == ' ' ? '-' : (char)tolower((unsigned char)*p);
	return k;
}

/* Applies --prefer NAME[=WEIGHT],... to the criteria given. */
static int mm_prefer(const cli_ctx *ctx, eccp_arena *a, mm_crit *crit, size_t ncrit)
{
	char **items;
	size_t n;
	int rc = cli_split(ctx, a, CLI_OPT_PREFER, "--prefer", &items, &n);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const char *eq = strchr(items[i], '=');
		size_t len = eq != NULL ? (size_t)(eq - items[i]) : strlen(items[i]);
		const char *key = mm_crit_key(a, items[i], len);
		mm_crit *c = NULL;
		for (size_t k = 0; k < ncrit && c == NULL; k++)
			for (size_t j = 0; j < 3 && crit[k].names[j] != NULL; j++)
				if (strcmp(key, crit[k].names[j]) == 0)
					c = &crit[k];
		if (c == NULL) {
			cli_buf b = {0};
			for (size_t k = 0; k < ncrit; k++)
				cli_buf_printf(&b, "%s%s",
				               k == 0           ? ""
				               : k + 1 == ncrit ? " or "
				                                : ", ",
				               crit[k].names[0]);
			rc = cli_usage_error(
			    ctx->cmd, "--prefer: unknown criterion '%.*s' (expected %s)",
			    (int)len, items[i], b.p);
			cli_buf_free(&b);
			return rc;
		}
		if (c->use == NULL)
			return cli_usage_error(ctx->cmd,
			                       "--prefer %s: give the criterion too (%s)",
			                       c->names[0], c->flag);
		if (c->preferred)
			return cli_usage_error(ctx->cmd, "--prefer: %s given twice",
			                       c->names[0]);
		double w = 0; /* the service's default */
		if (eq != NULL &&
		    (!mm_parse_double(eq + 1, &w) || !(w > 0) || w > MM_WEIGHT_MAX))
			return cli_usage_error(ctx->cmd,
			                       "--prefer %s: expected a weight above 0 "
			                       "and at most 100, got '%s'",
			                       c->names[0], eq + 1);
		*c->use = ECCP__V1__CRITERION_USE__CRITERION_USE_PREFER;
		*c->weight = w;
		c->preferred = true;
	}
	return rc;
}

/* --near LAT,LON or --near-cluster ID, with --within KM. */
static int mm_distance(const cli_ctx *ctx, eccp_arena *a,
                       Eccp__V1__DistanceCriterion **out)
{
	*out = NULL;
	bool point = ctx->given[CLI_OPT_NEAR], cluster = ctx->given[CLI_OPT_NEAR_CLUSTER];
	if (point && cluster)
		return cli_usage_error(
		    ctx->cmd, "give one of --near LAT,LON and --near-cluster ID");
	if (!point && !cluster) {
		if (ctx->given[CLI_OPT_WITHIN])
			return cli_usage_error(
			    ctx->cmd,
			    "--within goes with --near LAT,LON or --near-cluster ID");
		return 0;
	}
	const char *flag = point ? "--near" : "--near-cluster";
	if (!ctx->given[CLI_OPT_WITHIN])
		return cli_usage_error(ctx->cmd, "%s needs --within KM", flag);
	Eccp__V1__DistanceCriterion *d = eccp_arena_alloc(a, sizeof(*d));
	eccp__v1__distance_criterion__init(d);
	d->use = ECCP__V1__CRITERION_USE__CRITERION_USE_FILTER;
	const char *km = ctx->opt[CLI_OPT_WITHIN];
	if (!mm_parse_double(km, &d->max_km) || !(d->max_km > 0) || d->max_km > MM_MAX_KM)
		return cli_usage_error(
		    ctx->cmd,
		    "--within: expected kilometres above 0 and at most %d, got '%s'",
		    MM_MAX_KM, km);
	if (cluster) {
		if (ctx->opt[CLI_OPT_NEAR_CLUSTER][0] == '\0')
			return cli_usage_error(ctx->cmd, "--near-cluster: empty id");
		d->from_cluster = (char *)ctx->opt[CLI_OPT_NEAR_CLUSTER];
		*out = d;
		return 0;
	}
	const char *s = ctx->opt[CLI_OPT_NEAR], *comma = strchr(s, ',');
	double lat, lon;
	if (comma == NULL ||
	    !mm_parse_double(eccp_arena_strndup(a, s, (size_t)(comma - s)), &lat) ||
	    !mm_parse_double(comma + 1, &lon) || lat < -90 || lat > 90 || lon < -180 ||
	    lon > 180)
		return cli_usage_error(
		    ctx->cmd,
		    "--near: expected LAT,LON in degrees (latitude -90 to 90, longitude "
		    "-180 to 180) such as 50.8503,4.3517, got '%s'",
		    s);
	d->from_point = eccp_arena_alloc(a, sizeof(*d->from_point));
	eccp__v1__geo_point__init(d->from_point);
	d->from_point->latitude = lat;
	d->from_point->longitude = lon;
	*out = d;
	return 0;
}

/* The PartnerSearchRequest the command line describes. Returns 0 or the exit
 * status of a usage error (already reported). */
static int mm_partners_request(const cli_ctx *ctx, eccp_arena *a,
                               Eccp__V1__PartnerSearchRequest *rq)
{
	Eccp__V1__PartnerCriteria *c = eccp_arena_alloc(a, sizeof(*c));
	eccp__v1__partner_criteria__init(c);
	rq->criteria = c;
	int *eco;
	size_t neco, n;
	char **v, **sectors, **techs, **emerging, **chains, **countries, **nuts, **langs;
	size_t nsect, ntech, nemerg, nchain, nctry, nnuts, nlang;
	int rc;
	if ((rc = cli_enum_list(ctx, a, CLI_OPT_ECOSYSTEM, "--ecosystem",
	                        &eccp__v1__ecosystem__descriptor, &eco, &neco)) != 0 ||
	    (rc = cli_split(ctx, a, CLI_OPT_SECTOR, "--sector", &sectors, &nsect)) != 0 ||
	    (rc = cli_split(ctx, a, CLI_OPT_TECHNOLOGY, "--technology", &techs,
	                    &ntech)) != 0 ||
	    (rc = cli_split(ctx, a, CLI_OPT_EMERGING, "--emerging", &emerging,
	                    &nemerg)) != 0 ||
	    (rc = cli_split(ctx, a, CLI_OPT_VALUE_CHAIN, "--value-chain", &chains,
	                    &nchain)) != 0 ||
	    (rc = mm_codes(ctx, a, CLI_OPT_COUNTRY, "--country", true, &countries,
	                   &nctry)) != 0 ||
	    (rc = mm_codes(ctx, a, CLI_OPT_EXCLUDE_COUNTRY, "--exclude-country", true, &v,
	                   &n)) != 0 ||
	    (rc = mm_nuts(ctx, a, &nuts, &nnuts)) != 0 ||
	    (rc = mm_codes(ctx, a, CLI_OPT_LANGUAGE, "--language", false, &langs,
	                   &nlang)) != 0 ||
	    (rc = mm_distance(ctx, a, &c->distance)) != 0 ||
	    (rc = mm_range(ctx, a, CLI_OPT_MEMBERS, "--members", &c->members)) != 0 ||
	    (rc = mm_range(ctx, a, CLI_OPT_SMES, "--smes", &c->smes)) != 0)
		return rc;
	c->exclude_countries = v;
	c->n_exclude_countries = n;
	if (neco > 0) {
		c->ecosystems = eccp_arena_alloc(a, sizeof(*c->ecosystems));
		eccp__v1__ecosystem_criterion__init(c->ecosystems);
		c->ecosystems->use = ECCP__V1__CRITERION_USE__CRITERION_USE_FILTER;
		c->ecosystems->values = (Eccp__V1__Ecosystem *)eco;
		c->ecosystems->n_values = neco;
	}
	c->sectors = mm_strings(a, sectors, nsect);
	c->technologies = mm_strings(a, techs, ntech);
	c->emerging_industries = mm_strings(a, emerging, nemerg);
	c->value_chains = mm_strings(a, chains, nchain);
	c->countries = mm_strings(a, countries, nctry);
	c->nuts_regions = mm_strings(a, nuts, nnuts);
	c->languages = mm_strings(a, langs, nlang);

	if (ctx->given[CLI_OPT_LABEL]) {
		static const char *const labels[] = {"bronze", "silver", "gold"};
		static const Eccp__V1__ExcellenceLabel values[] = {
		    ECCP__V1__EXCELLENCE_LABEL__EXCELLENCE_LABEL_BRONZE,
		    ECCP__V1__EXCELLENCE_LABEL__EXCELLENCE_LABEL_SILVER,
		    ECCP__V1__EXCELLENCE_LABEL__EXCELLENCE_LABEL_GOLD};
		const char *s = ctx->opt[CLI_OPT_LABEL];
		c->label = eccp_arena_alloc(a, sizeof(*c->label));
		eccp__v1__label_criterion__init(c->label);
		c->label->use = ECCP__V1__CRITERION_USE__CRITERION_USE_FILTER;
		for (size_t i = 0; i < ECCP_ARRAY_LEN(labels); i++)
			if (strcasecmp(s, labels[i]) == 0)
				c->label->min = values[i];
		if (c->label->min == ECCP__V1__EXCELLENCE_LABEL__EXCELLENCE_LABEL_NONE)
			return cli_usage_error(
			    ctx->cmd,
			    "--label: expected bronze, silver or gold, got '%s'", s);
	}
	if (ctx->given[CLI_OPT_TEXT]) {
		if (ctx->opt[CLI_OPT_TEXT][0] == '\0')
			return cli_usage_error(ctx->cmd, "--text: empty text");
		c->text = eccp_arena_alloc(a, sizeof(*c->text));
		eccp__v1__text_criterion__init(c->text);
		c->text->use = ECCP__V1__CRITERION_USE__CRITERION_USE_FILTER;
		c->text->text = (char *)ctx->opt[CLI_OPT_TEXT];
	}

	bool similar = ctx->given[CLI_OPT_SIMILAR_TO];
	bool complementary = ctx->given[CLI_OPT_COMPLEMENTARY_TO];
	if (similar && complementary)
		return cli_usage_error(ctx->cmd,
		                       "give one of --similar-to and --complementary-to");
	if (similar || complementary) {
		size_t opt = similar ? CLI_OPT_SIMILAR_TO : CLI_OPT_COMPLEMENTARY_TO;
		if (ctx->opt[opt][0] == '\0')
			return cli_usage_error(ctx->cmd, "%s: empty id",
			                       similar ? "--similar-to"
			                               : "--complementary-to");
		c->mode = similar ? ECCP__V1__PARTNER_MODE__PARTNER_MODE_SIMILAR
		                  : ECCP__V1__PARTNER_MODE__PARTNER_MODE_COMPLEMENTARY;
		c->cluster_id = (char *)ctx->opt[opt];
	}

	/* What --prefer may name; a criterion not given has no use to set. */
#define MM_CRIT(msg)                                                                     \
	(msg) != NULL ? &(msg)->use : NULL, (msg) != NULL ? &(msg)->weight : NULL
	mm_crit crit[] = {
	    {{"ecosystems", "ecosystem", NULL},
	     "--ecosystem",
	     MM_CRIT(c->ecosystems),
	     false},
	    {{"sectors", "sector", NULL}, "--sector", MM_CRIT(c->sectors), false},
	    {{"technologies", "technology", NULL},
	     "--technology",
	     MM_CRIT(c->technologies),
	     false},
	    {{"emerging", "emerging-industries", "emerging-industry"},
	     "--emerging",
	     MM_CRIT(c->emerging_industries),
	     false},
	    {{"value-chains", "value-chain", NULL},
	     "--value-chain",
	     MM_CRIT(c->value_chains),
	     false},
	    {{"countries", "country", NULL}, "--country", MM_CRIT(c->countries), false},
	    {{"nuts", "regions", "region"}, "--nuts", MM_CRIT(c->nuts_regions), false},
	    {{"languages", "language", NULL}, "--language", MM_CRIT(c->languages), false},
	    {{"distance", "near", NULL},
	     "--near or --near-cluster, with --within",
	     MM_CRIT(c->distance),
	     false},
	    {{"members", NULL, NULL}, "--members", MM_CRIT(c->members), false},
	    {{"smes", NULL, NULL}, "--smes", MM_CRIT(c->smes), false},
	    {{"label", "excellence-label", NULL}, "--label", MM_CRIT(c->label), false},
	    {{"text", NULL, NULL}, "--text", MM_CRIT(c->text), false},
	};
#undef MM_CRIT
	if ((rc = mm_prefer(ctx, a, crit, ECCP_ARRAY_LEN(crit))) != 0)
		return rc;

	uint64_t offset = 0;
	if (ctx->given[CLI_OPT_OFFSET] && (rc = mm_uint(ctx, CLI_OPT_OFFSET, "--offset",
	                                                0, MM_OFFSET_MAX, &offset)) != 0)
		return rc;
	rq->offset = (uint32_t)offset;
	rq->limit = ctx->limit;
	return 0;
}

/* ---- partners: the output ---------------------------------------------------- */

/* A copy of s that cannot drive the terminal: control characters masked. */
static const char *mm_clean(eccp_arena *a, const char *s)
{
	char *c = eccp_arena_strdup(a, s != NULL ? s : "");
	for (char *p = c; *p != '\0'; p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch == '\t' || ch == '\n' || ch == '\r')
			*p = ' ';
		else if (ch < 0x20 || ch == 0x7f)
			*p = '?';
	}
	return c;
}

static size_t mm_width(const char *s)
{
	return eccp_utf8_len(s, strlen(s));
}

static void mm_pad(FILE *out, const char *s, size_t width)
{
	fputs(s, out);
	for (size_t w = mm_width(s); w < width; w++)
		fputc(' ', out);
}

/* "264 km", "8.4 km"; "-" without a distance. */
static const char *mm_km(eccp_arena *a, const Eccp__V1__PartnerResult *r)
{
	if (!r->has_distance)
		return "-";
	return eccp_arena_printf(a, r->distance_km < 10 ? "%.1f km" : "%.0f km",
	                         r->distance_km);
}

static const char *mm_use_cell(eccp_arena *a, const Eccp__V1__PartnerReason *why)
{
	if (why->use == ECCP__V1__CRITERION_USE__CRITERION_USE_PREFER)
		return eccp_arena_printf(a, "prefer w=%g", why->weight);
	if (why->use == ECCP__V1__CRITERION_USE__CRITERION_USE_FILTER)
		return "filter";
	return "-";
}

/* RANK SCORE NAME COUNTRY DISTANCE ID, and with explain one line per reason
 * under each result; then "N of TOTAL partners". */
static void mm_partners_table(eccp_arena *a, const Eccp__V1__PartnerSearchResponse *r,
                              uint32_t offset, bool explain)
{
	enum { ncols = 6 };
	static const char *const head[ncols] = {"RANK",    "SCORE",    "NAME",
	                                        "COUNTRY", "DISTANCE", "ID"};
	const char **cells =
	    eccp_arena_alloc(a, (r->n_results + 1) * ncols * sizeof(*cells));
	size_t width[ncols], wcrit = 0, wuse = 0;
	for (size_t c = 0; c < ncols; c++) {
		cells[c] = head[c];
		width[c] = strlen(head[c]);
	}
	for (size_t i = 0; i < r->n_results; i++) {
		const Eccp__V1__PartnerResult *p = r->results[i];
		const char **row = &cells[(i + 1) * ncols];
		row[0] = eccp_arena_printf(a, "%zu", (size_t)offset + i + 1);
		row[1] = eccp_arena_printf(a, "%.2f", p->score);
		row[2] = cli_clip(a, mm_clean(a, p->name), MM_NAME_WIDTH);
		row[3] = p->country != NULL && p->country[0] != '\0'
		             ? mm_clean(a, p->country)
		             : "-";
		row[4] = mm_km(a, p);
		row[5] = mm_clean(a, p->cluster_id);
		for (size_t c = 0; c < ncols; c++)
			if (mm_width(row[c]) > width[c])
				width[c] = mm_width(row[c]);
		for (size_t k = 0; explain && k < p->n_reasons; k++) {
			size_t w = mm_width(mm_clean(a, p->reasons[k]->criterion));
			wcrit = w > wcrit ? w : wcrit;
			w = mm_width(mm_use_cell(a, p->reasons[k]));
			wuse = w > wuse ? w : wuse;
		}
	}
	for (size_t i = 0; r->n_results > 0 && i <= r->n_results; i++) {
		const char **row = &cells[i * ncols];
		for (size_t c = 0; c + 1 < ncols; c++) {
			mm_pad(stdout, row[c], width[c]);
			fputs("  ", stdout);
		}
		fputs(row[ncols - 1], stdout);
		fputc('\n', stdout);
		if (i == 0 || !explain)
			continue;
		const Eccp__V1__PartnerResult *p = r->results[i - 1];
		for (size_t k = 0; k < p->n_reasons; k++) {
			const Eccp__V1__PartnerReason *why = p->reasons[k];
			fputs("    ", stdout);
			mm_pad(stdout, mm_clean(a, why->criterion), wcrit);
			fputs("  ", stdout);
			mm_pad(stdout, mm_use_cell(a, why), wuse);
			printf("  %.2f  %s\n", why->score, mm_clean(a, why->explanation));
		}
	}
	printf("%zu of %" PRIu64 " partner%s (%" PRIu64 " profiles indexed)",
	       r->n_results, r->total, r->total == 1 ? "" : "s", r->indexed);
	if ((uint64_t)offset + r->n_results < r->total)
		printf("; more with --offset %zu", (size_t)offset + r->n_results);
	fputc('\n', stdout);
}

/* A JSON number: the shortest of %.15g and %.17g that reads back as v; null
 * for what JSON cannot write. */
static void mm_json_number(cli_buf *b, double v)
{
	if (!isfinite(v)) {
		cli_buf_puts(b, "null");
		return;
	}
	char s[40];
	snprintf(s, sizeof(s), "%.15g", v);
	if (strtod(s, NULL) != v)
		snprintf(s, sizeof(s), "%.17g", v);
	cli_buf_puts(b, s);
}

/* RFC 7946: positions are [longitude, latitude]; results without a location
 * have no place on a map and are left out. */
static void mm_partners_geojson(const cli_ctx *ctx,
                                const Eccp__V1__PartnerSearchResponse *r, uint32_t offset,
                                bool explain)
{
	cli_buf b = {0};
	cli_buf_puts(&b, "{\"type\":\"FeatureCollection\",\"features\":[");
	size_t n = 0;
	for (size_t i = 0; i < r->n_results; i++) {
		const Eccp__V1__PartnerResult *p = r->results[i];
		if (p->location == NULL)
			continue;
		cli_buf_puts(&b, n++ > 0 ? "," : "");
		cli_buf_puts(&b, "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\","
		                 "\"coordinates\":[");
		mm_json_number(&b, p->location->longitude);
		cli_buf_puts(&b, ",");
		mm_json_number(&b, p->location->latitude);
		cli_buf_printf(&b, "]},\"properties\":{\"rank\":%zu,\"clusterId\":",
		               (size_t)offset + i + 1);
		cli_buf_json_string(&b, p->cluster_id != NULL ? p->cluster_id : "");
		cli_buf_puts(&b, ",\"name\":");
		cli_buf_json_string(&b, p->name != NULL ? p->name : "");
		cli_buf_puts(&b, ",\"country\":");
		cli_buf_json_string(&b, p->country != NULL ? p->country : "");
		cli_buf_puts(&b, ",\"score\":");
		mm_json_number(&b, p->score);
		cli_buf_puts(&b, ",\"distanceKm\":");
		if (p->has_distance)
			mm_json_number(&b, p->distance_km);
		else
			cli_buf_puts(&b, "null");
		if (explain) {
			cli_buf_puts(&b, ",\"reasons\":[");
			for (size_t k = 0; k < p->n_reasons; k++) {
				cli_buf_puts(&b, k > 0 ? "," : "");
				cli_buf_json_message(&b, &p->reasons[k]->base, 0);
			}
			cli_buf_puts(&b, "]");
		}
		cli_buf_puts(&b, "}}");
	}
	cli_buf_puts(&b, "]}");
	cli_emit_json(ctx, b.p);
	cli_buf_free(&b);
}

/* The response as proto3 JSON, assembled so that "results", "total" and
 * "indexed" are there even when they hold zero; reasons only when asked
 * for, as in the table. */
static void mm_partners_json(const cli_ctx *ctx, Eccp__V1__PartnerSearchResponse *r,
                             bool explain)
{
	cli_buf b = {0};
	cli_buf_puts(&b, "{\"results\":[");
	for (size_t i = 0; i < r->n_results; i++) {
		if (!explain)
			r->results[i]->n_reasons = 0;
		cli_buf_puts(&b, i > 0 ? "," : "");
		cli_buf_json_message(&b, &r->results[i]->base, 0);
	}
	cli_buf_printf(&b, "],\"total\":\"%" PRIu64 "\",\"indexed\":\"%" PRIu64 "\"}",
	               r->total, r->indexed);
	cli_emit_json(ctx, b.p);
	cli_buf_free(&b);
}

int cli_cmd_partners(cli_ctx *ctx)
{
	eccp_arena a;
	eccp_arena_init(&a);
	Eccp__V1__PartnerSearchRequest rq = ECCP__V1__PARTNER_SEARCH_REQUEST__INIT;
	int rc = mm_partners_request(ctx, &a, &rq);
	if (rc != 0)
		goto out;
	rc = CLI_EXIT_FAIL;
	Eccp__V1__MatchmakingRequest req = ECCP__V1__MATCHMAKING_REQUEST__INIT;
	req.method_case = ECCP__V1__MATCHMAKING_REQUEST__METHOD_PARTNERS;
	req.partners = &rq;
	const Eccp__V1__MatchmakingResponse *resp;
	if (mm_call(ctx, &a, &req, ECCP__V1__MATCHMAKING_RESPONSE__METHOD_PARTNERS,
	            &resp) != 0)
		goto out;
	bool explain = ctx->given[CLI_OPT_EXPLAIN];
	if (ctx->geojson)
		mm_partners_geojson(ctx, resp->partners, rq.offset, explain);
	else if (ctx->json)
		mm_partners_json(ctx, resp->partners, explain);
	else
		mm_partners_table(&a, resp->partners, rq.offset, explain);
	rc = CLI_EXIT_OK;
out:
	eccp_arena_free(&a);
	return rc;
}

/* ---- matchmaking events ---------------------------------------------------- */

static const char *mm_time_cell(eccp_arena *a, const Eccp__V1__Timestamp *ts)
{
	if (ts == NULL || (ts->seconds == 0 && ts->nanos == 0))
		return "-";
	char *buf = eccp_arena_alloc(a, 48);
	eccp_rfc3339_format(ts->seconds, ts->nanos, buf, 48);
	return buf;
}

/* "0-3,6,9-10"; "all" for an empty list, which means every slot. */
static const char *mm_slots_cell(eccp_arena *a, const uint32_t *v, size_t n)
{
	if (n == 0)
		return "all";
	cli_buf b = {0};
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j + 1 < n && v[j + 1] == v[j] + 1)
			j++;
		cli_buf_printf(&b, "%s%" PRIu32, i > 0 ? "," : "", v[i]);
		if (j > i)
			cli_buf_printf(&b, "-%" PRIu32, v[j]);
		i = j + 1;
	}
	const char *s = eccp_arena_strdup(a, b.p);
	cli_buf_free(&b);
	return s;
}

static const char *mm_list_cell(eccp_arena *a, char *const *v, size_t n)
{
	if (n == 0)
		return "-";
	cli_buf b = {0};
	for (size_t i = 0; i < n; i++)
		cli_buf_printf(&b, "%s%s", i > 0 ? "," : "", v[i]);
	const char *s = eccp_arena_strdup(a, b.p);
	cli_buf_free(&b);
	return s;
}

static const char *mm_kind_cell(eccp_arena *a, Eccp__V1__MeetingKind kind)
{
	return cli_enum_label(&eccp__v1__meeting_kind__descriptor, (int)kind, a);
}

/* A message's set fields as "name  value" rows. */
static void mm_rows(eccp_arena *a, const ProtobufCMessage *m)
{
	if (m == NULL)
		return;
	cli_table t;
	cli_table_init(&t, a, 2);
	cli_table_fields(&t, m, NULL, false);
	cli_table_print(&t, stdout);
}

/* A cluster as a person reads it: its name when the event's registrations
 * are at hand, else its id. */
static const char *mm_cluster_cell(const char *id, Eccp__V1__Registration *const *regs,
                                   size_t n_regs)
{
	for (size_t i = 0; i < n_regs; i++)
		if (regs[i]->cluster_id && strcmp(regs[i]->cluster_id, id) == 0 &&
		    regs[i]->name && regs[i]->name[0])
			return regs[i]->name;
	return id;
}

static void mm_meetings_table(eccp_arena *a, Eccp__V1__Meeting *const *v, size_t n,
                              Eccp__V1__Registration *const *regs, size_t n_regs)
{
	if (n == 0)
		return;
	cli_table t;
	cli_table_init(&t, a, 7);
	cli_table_add(&t, (const char *[]){"SLOT", "START", "TABLE", "CLUSTER A",
	                                   "CLUSTER B", "KIND", "LOCKED"});
	for (size_t i = 0; i < n; i++) {
		const Eccp__V1__Meeting *m = v[i];
		cli_table_add(
		    &t,
		    (const char *[]){eccp_arena_printf(a, "%" PRIu32, m->slot),
		                     mm_time_cell(a, m->start_time),
		                     eccp_arena_printf(a, "%" PRIu32, m->table),
		                     mm_cluster_cell(m->cluster_a, regs, n_regs),
		                     mm_cluster_cell(m->cluster_b, regs, n_regs),
		                     mm_kind_cell(a, m->kind), m->locked ? "yes" : "no"});
	}
	cli_table_print(&t, stdout);
}

/* The schedule's quality in a few lines: what was placed of what was
 * wanted, per kind of meeting, and how much waiting it leaves. */
static void mm_report(const Eccp__V1__ScheduleReport *r)
{
	if (r == NULL)
		return;
	printf("placed %" PRIu32 " of %" PRIu32 " meetings wanted: mutual %" PRIu32
	       "/%" PRIu32 ", accepted %" PRIu32 "/%" PRIu32 ", suggested %" PRIu32
	       "/%" PRIu32 "\n",
	       r->placed, r->wanted, r->mutual_placed, r->mutual_wanted,
	       r->accepted_placed, r->accepted_wanted, r->suggested_placed,
	       r->suggested_wanted);
	printf("mutual wishes placed: %.0f%%\n", r->mutual_share * 100);
	printf("idle gaps between a cluster's meetings: mean %.2f, max %" PRIu32
	       ", total %" PRIu32 " slots\n",
	       r->idle_gaps_mean, r->idle_gaps_max, r->idle_gaps_total);
	if (r->upper_bound > 0)
		printf("value %.1f of at most %.1f, found in %.0f ms\n", r->value,
		       r->upper_bound, r->elapsed_ms);
}

/* ---- what the commands print on a terminal --------------------------------- */

/* The answer's member named arg (a message) as rows of fields. */
static int mm_show_member(const cli_ctx *ctx, eccp_arena *a, const ProtobufCMessage *m,
                          const void *arg)
{
	(void)ctx;
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field_by_name(m->descriptor, arg);
	if (f != NULL && f->type == PROTOBUF_C_TYPE_MESSAGE)
		mm_rows(a,
		        *(const ProtobufCMessage *const *)((const char *)m + f->offset));
	return CLI_EXIT_OK;
}

static int mm_show_scheduled(const cli_ctx *ctx, eccp_arena *a, const ProtobufCMessage *m,
                             const void *arg)
{
	(void)ctx;
	(void)arg;
	const Eccp__V1__MmScheduleResponse *r = (const Eccp__V1__MmScheduleResponse *)m;
	mm_meetings_table(a, r->meetings, r->n_meetings, NULL, 0);
	if (r->n_meetings > 0 && r->report != NULL)
		fputc('\n', stdout);
	mm_report(r->report);
	return CLI_EXIT_OK;
}

static int mm_show_locked(const cli_ctx *ctx, eccp_arena *a, const ProtobufCMessage *m,
                          const void *arg)
{
	(void)ctx;
	(void)arg;
	const Eccp__V1__MmLockResponse *r = (const Eccp__V1__MmLockResponse *)m;
	if (r->meeting != NULL)
		mm_meetings_table(a, &r->meeting, 1, NULL, 0);
	return CLI_EXIT_OK;
}

int cli_cmd_mm_create(cli_ctx *ctx)
{
	static const size_t req_opts[] = {CLI_OPT_NAME, CLI_OPT_START, CLI_OPT_SLOTS,
	                                  CLI_OPT_TABLES, CLI_OPT_MEETING_MINUTES};
	static const char *const req_flags[] = {"--name", "--start", "--slots",
	                                        "--tables", "--meeting-minutes"};
	int rc = cli_required(ctx, req_opts, req_flags, ECCP_ARRAY_LEN(req_opts));
	if (rc != 0)
		return rc;
	eccp_arena a;
	eccp_arena_init(&a);
	Eccp__V1__MatchmakingEvent e = ECCP__V1__MATCHMAKING_EVENT__INIT;
	e.name = (char *)ctx->opt[CLI_OPT_NAME];
	e.time_zone = (char *)ctx->opt[CLI_OPT_TIME_ZONE];
	e.venue = (char *)ctx->opt[CLI_OPT_VENUE];
	e.organiser_id = (char *)ctx->opt[CLI_OPT_ORG];
	uint64_t slots, tables, minutes, pause = 0, expiry = 0;
	if ((rc = mm_time(ctx, &a, CLI_OPT_START, "--start", &e.start_time)) != 0 ||
	    (rc = mm_uint(ctx, CLI_OPT_SLOTS, "--slots", 1, UINT32_MAX, &slots)) != 0 ||
	    (rc = mm_uint(ctx, CLI_OPT_TABLES, "--tables", 1, UINT32_MAX, &tables)) !=
	        0 ||
	    (rc = mm_uint(ctx, CLI_OPT_MEETING_MINUTES, "--meeting-minutes", 1,
	                  UINT32_MAX, &minutes)) != 0 ||
	    (ctx->given[CLI_OPT_BREAK_MINUTES] &&
	     (rc = mm_uint(ctx, CLI_OPT_BREAK_MINUTES, "--break-minutes", 0, UINT32_MAX,
	                   &pause)) != 0) ||
	    (ctx->given[CLI_OPT_EXPIRY_HOURS] &&
	     (rc = mm_uint(ctx, CLI_OPT_EXPIRY_HOURS, "--expiry-hours", 1, UINT32_MAX,
	                   &expiry)) != 0))
		goto out;
	e.slots = (uint32_t)slots;
	e.tables = (uint32_t)tables;
	e.meeting_minutes = (uint32_t)minutes;
	e.break_minutes = (uint32_t)pause;
	e.request_expiry_hours = (uint32_t)expiry;
	Eccp__V1__MmCreateRequest cr = ECCP__V1__MM_CREATE_REQUEST__INIT;
	cr.event = &e;
	rc = mm_run(ctx, &a, ECCP__V1__MATCHMAKING_REQUEST__METHOD_MM_CREATE, &cr.base,
	            mm_show_member, "event");
out:
	eccp_arena_free(&a);
	return rc;
}

static int mm_show_event(const cli_ctx *ctx, eccp_arena *a, const ProtobufCMessage *m,
                         const void *arg)
{
	(void)ctx;
	(void)arg;
	const Eccp__V1__MmShowResponse *r = (const Eccp__V1__MmShowResponse *)m;
	if (r->event != NULL)
		mm_rows(a, &r->event->base);
	if (r->n_registrations > 0) {
		cli_table t;
		cli_table_init(&t, a, 4);
		cli_table_add(&t, (const char *[]){"CLUSTER", "NAME", "SLOTS", "WISHES"});
		for (size_t i = 0; i < r->n_registrations; i++) {
			const Eccp__V1__Registration *g = r->registrations[i];
			cli_table_add(&t, (const char *[]){
			                      g->cluster_id,
			                      g->name && g->name[0] ? g->name : "-",
			                      mm_slots_cell(a, g->available_slots,
			                                    g->n_available_slots),
			                      mm_list_cell(a, g->wishes, g->n_wishes)});
		}
		fputc('\n', stdout);
		cli_table_print(&t, stdout);
	}
	if (r->n_requests > 0) {
		cli_table t;
		cli_table_init(&t, a, 6);
		cli_table_add(&t, (const char *[]){"REQUEST", "FROM", "TO", "STATE",
		                                   "EXPIRES", "MESSAGE"});
		for (size_t i = 0; i < r->n_requests; i++) {
			const Eccp__V1__MeetingRequest *q = r->requests[i];
			cli_table_add(
			    &t, (const char *[]){
			            q->id, q->from_cluster, q->to_cluster,
			            cli_enum_label(&eccp__v1__request_state__descriptor,
			                           (int)q->state, a),
			            mm_time_cell(a, q->expires_time),
			            q->message && q->message[0] ? q->message : "-"});
		}
		fputc('\n', stdout);
		cli_table_print(&t, stdout);
	}
	if (r->n_meetings > 0) {
		fputc('\n', stdout);
		mm_meetings_table(a, r->meetings, r->n_meetings, r->registrations,
		                  r->n_registrations);
	}
	if (r->report != NULL) {
		fputc('\n', stdout);
		mm_report(r->report);
	}
	printf("\n%zu registration%s, %zu request%s, %zu meeting%s\n", r->n_registrations,
	       r->n_registrations == 1 ? "" : "s", r->n_requests,
	       r->n_requests == 1 ? "" : "s", r->n_meetings,
	       r->n_meetings == 1 ? "" : "s");
	return CLI_EXIT_OK;
}

int cli_cmd_mm_show(cli_ctx *ctx)
{
	Eccp__V1__MmShowRequest sr = ECCP__V1__MM_SHOW_REQUEST__INIT;
	sr.event_id = ctx->argv[0];
	return mm_run(ctx, NULL, ECCP__V1__MATCHMAKING_REQUEST__METHOD_MM_SHOW, &sr.base,
	              mm_show_event, NULL);
}

int cli_cmd_mm_register(cli_ctx *ctx)
{
	eccp_arena a;
	eccp_arena_init(&a);
	Eccp__V1__Registration g = ECCP__V1__REGISTRATION__INIT;
	g.event_id = ctx->argv[0];
	g.cluster_id = ctx->argv[1];
	int rc;
	if ((rc = mm_slot_list(ctx, &a, &g.available_slots, &g.n_available_slots)) != 0 ||
	    (rc = cli_split(ctx, &a, CLI_OPT_WISH, "--wish", &g.wishes, &g.n_wishes)) !=
	        0)
		goto out;
	Eccp__V1__MmRegisterRequest rr = ECCP__V1__MM_REGISTER_REQUEST__INIT;
	rr.registration = &g;
	rc = mm_run(ctx, &a, ECCP__V1__MATCHMAKING_REQUEST__METHOD_MM_REGISTER, &rr.base,
	            mm_show_member, "registration");
out:
	eccp_arena_free(&a);
	return rc;
}

static int mm_show_unregistered(const cli_ctx *ctx, eccp_arena *a,
                                const ProtobufCMessage *m, const void *arg)
{
	(void)ctx;
	(void)arg;
	const Eccp__V1__MmUnregisterResponse *r =
	    (const Eccp__V1__MmUnregisterResponse *)m;
	if (r->registration != NULL)
		mm_rows(a, &r->registration->base);
	printf("\nunregistered; %" PRIu32 " meeting%s cancelled, %" PRIu32
	       " request%s withdrawn\n",
	       r->meetings_cancelled, r->meetings_cancelled == 1 ? "" : "s",
	       r->requests_withdrawn, r->requests_withdrawn == 1 ? "" : "s");
	return CLI_EXIT_OK;
}

int cli_cmd_mm_unregister(cli_ctx *ctx)
{
	Eccp__V1__MmUnregisterRequest ur = ECCP__V1__MM_UNREGISTER_REQUEST__INIT;
	ur.event_id = ctx->argv[0];
	ur.cluster_id = ctx->argv[1];
	return mm_run(ctx, NULL, ECCP__V1__MATCHMAKING_REQUEST__METHOD_MM_UNREGISTER,
	              &ur.base, mm_show_unregistered, NULL);
}

int cli_cmd_mm_request(cli_ctx *ctx)
{
	Eccp__V1__MmRequestRequest rr = ECCP__V1__MM_REQUEST_REQUEST__INIT;
	rr.event_id = ctx->argv[0];
	rr.from_cluster = ctx->argv[1];
	rr.to_cluster = ctx->argv[2];
	rr.message = (char *)ctx->opt[CLI_OPT_MESSAGE];
	return mm_run(ctx, NULL, ECCP__V1__MATCHMAKING_REQUEST__METHOD_MM_REQUEST,
	              &rr.base, mm_show_member, "request");
}

int cli_cmd_mm_respond(cli_ctx *ctx)
{
	const char *answer = ctx->argv[1];
	bool accept = strcasecmp(answer, "accept") == 0;
	if (!accept && strcasecmp(answer, "decline") != 0)
		return cli_usage_error(
		    ctx->cmd, "mm respond: expected accept or decline, got '%s'", answer);
	Eccp__V1__MmRespondRequest rr = ECCP__V1__MM_RESPOND_REQUEST__INIT;
	rr.request_id = ctx->argv[0];
	rr.accept = accept;
	return mm_run(ctx, NULL, ECCP__V1__MATCHMAKING_REQUEST__METHOD_MM_RESPOND,
	              &rr.base, mm_show_member, "request");
}

int cli_cmd_mm_schedule(cli_ctx *ctx)
{
	uint64_t seed = 0;
	int rc;
	if (ctx->given[CLI_OPT_SEED] &&
	    (rc = mm_uint(ctx, CLI_OPT_SEED, "--seed", 0, UINT64_MAX, &seed)) != 0)
		return rc;
	Eccp__V1__MmScheduleRequest sr = ECCP__V1__MM_SCHEDULE_REQUEST__INIT;
	sr.event_id = ctx->argv[0];
	sr.include_suggested = ctx->given[CLI_OPT_SUGGESTED];
	sr.lock_all = ctx->given[CLI_OPT_LOCK];
	sr.unlock_all = ctx->given[CLI_OPT_UNLOCK];
	sr.seed = seed;
	return mm_run(ctx, NULL, ECCP__V1__MATCHMAKING_REQUEST__METHOD_MM_SCHEDULE,
	              &sr.base, mm_show_scheduled, NULL);
}

/* mm lock and mm unlock: one meeting of the schedule, by its two clusters
 * in either order. */
static int mm_lock_cmd(cli_ctx *ctx, bool locked)
{
	Eccp__V1__MmLockRequest lr = ECCP__V1__MM_LOCK_REQUEST__INIT;
	lr.event_id = ctx->argv[0];
	lr.cluster_a = ctx->argv[1];
	lr.cluster_b = ctx->argv[2];
	lr.locked = locked;
	return mm_run(ctx, NULL, ECCP__V1__MATCHMAKING_REQUEST__METHOD_MM_LOCK, &lr.base,
	              mm_show_locked, NULL);
}

int cli_cmd_mm_lock(cli_ctx *ctx)
{
	return mm_lock_cmd(ctx, true);
}

int cli_cmd_mm_unlock(cli_ctx *ctx)
{
	return mm_lock_cmd(ctx, false);
}

static int mm_meeting_cmp(const void *x, const void *y)
{
	const Eccp__V1__Meeting *a = *(const Eccp__V1__Meeting *const *)x;
	const Eccp__V1__Meeting *b = *(const Eccp__V1__Meeting *const *)y;
	return a->slot < b->slot ? -1 : a->slot > b->slot;
}

int cli_cmd_mm_agenda(cli_ctx *ctx)
{
	eccp_arena a;
	eccp_arena_init(&a);
	int rc = CLI_EXIT_FAIL;
	const char *cluster = ctx->argv[1];
	Eccp__V1__MmAgendaRequest ar = ECCP__V1__MM_AGENDA_REQUEST__INIT;
	ar.event_id = ctx->argv[0];
	ar.cluster_id = (char *)cluster;
	Eccp__V1__MatchmakingRequest req = ECCP__V1__MATCHMAKING_REQUEST__INIT;
	req.method_case = ECCP__V1__MATCHMAKING_REQUEST__METHOD_MM_AGENDA;
	req.mm_agenda = &ar;
	const Eccp__V1__MatchmakingResponse *resp;
	if (mm_call(ctx, &a, &req, ECCP__V1__MATCHMAKING_RESPONSE__METHOD_MM_AGENDA,
	            &resp) != 0)
		goto out;
	const Eccp__V1__MmAgendaResponse *r = resp->mm_agenda;
	if (ctx->given[CLI_OPT_ICAL]) {
		/* Written as received: the calendar's CRLF line ends are its own. */
		if (r->icalendar == NULL || r->icalendar[0] == '\0') {
			fputs("eccp: matchmaking: reply carries no calendar\n", stderr);
			goto out;
		}
		fwrite(r->icalendar, 1, strlen(r->icalendar), stdout);
	} else if (ctx->json) {
		cli_emit_message(ctx, &r->base, 0);
	} else {
		Eccp__V1__Meeting **v =
		    eccp_arena_alloc(&a, (r->n_meetings + 1) * sizeof(*v));
		if (r->n_meetings > 0)
			memcpy(v, r->meetings, r->n_meetings * sizeof(*v));
		qsort(v, r->n_meetings, sizeof(*v), mm_meeting_cmp);
		cli_table t;
		cli_table_init(&t, &a, 5);
		cli_table_add(&t,
		              (const char *[]){"START", "END", "TABLE", "WITH", "KIND"});
		for (size_t i = 0; i < r->n_meetings; i++) {
			const Eccp__V1__Meeting *m = v[i];
			const char *with =
			    m->cluster_a != NULL && strcmp(m->cluster_a, cluster) == 0
			        ? m->cluster_b
			        : m->cluster_a;
			cli_table_add(&t, (const char *[]){
			                      mm_time_cell(&a, m->start_time),
			                      mm_time_cell(&a, m->end_time),
			                      eccp_arena_printf(&a, "%" PRIu32, m->table),
			                      with, mm_kind_cell(&a, m->kind)});
		}
		if (r->n_meetings > 0)
			cli_table_print(&t, stdout);
		printf("%zu meeting%s\n", r->n_meetings, r->n_meetings == 1 ? "" : "s");
	}
	rc = CLI_EXIT_OK;
out:
	eccp_arena_free(&a);
	return rc;
}
