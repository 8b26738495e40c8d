/* eccp search, eccp stats and eccp campaign create|list|show: eccp-catalog's
 * search, its headline figures and the campaigns built on them. */
#include "cli.h"

#include "json.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Hits per page when --all follows the pages and --limit is not given. */
#define CLI_SEARCH_ALL_PAGE 500
/* Title cells in the search table: cut to what the terminal has room for
 * (but not below MIN), or to WIDTH when stdout is not a terminal. */
#define CLI_SEARCH_TITLE_WIDTH 60
#define CLI_SEARCH_TITLE_MIN   20
/* Countries the stats table lists; JSON has them all. */
#define CLI_STATS_TOP_COUNTRIES 15

/* ---- options -------------------------------------------------------------- */

/* Option opt's comma-separated value as a list in the arena, each element
 * trimmed of spaces; n 0 when the option was not given. An empty element is
 * a usage error. Returns 0 or the exit status. */
int cli_split(const cli_ctx *ctx, eccp_arena *a, size_t opt, const char *flag,
              char ***out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!ctx->given[opt])
		return 0;
	const char *s = ctx->opt[opt];
	size_t cap = 1;
	for (const char *p = s; *p != '\0'; p++)
		cap += *p == ',';
	char **v = eccp_arena_alloc(a, cap * sizeof(*v));
	for (const char *c = s;;) {
		size_t len = strcspn(c, ",");
		const char *b = c, *e = c + len;
		while (b < e && isspace((unsigned char)*b))
			b++;
		while (e > b && isspace((unsigned char)e[-1]))
			e--;
		if (b == e)
			return cli_usage_error(ctx->cmd, "%s: empty value in '%s'", flag,
			                       s);
		v[(*n)++] = eccp_arena_strndup(a, b, (size_t)(e - b));
		if (c[len] == '\0')
			break;
		c += len + 1;
	}
	*out = v;
	return 0;
}

/* The value of enum d that s names: its short label as cli_enum_label
 * writes it ("agri_food"; '-' for '_' and any case are fine) or its full
 * name ("ECOSYSTEM_AGRI_FOOD"). -1 when none does; the zero value
 * (UNSPECIFIED) is never named. */
static int cli_enum_value(const ProtobufCEnumDescriptor *d, const char *s, eccp_arena *a)
{
	char *norm = eccp_arena_strdup(a, s);
	for (char *p = norm; *p != '\0'; p++)
		*p = *p == '-' ? '_' : (char)tolower((unsigned char)*p);
	for (unsigned i = 0; i < d->n_values; i++) {
		const ProtobufCEnumValue *v = &d->values[i];
		if (v->value == 0)
			continue;
		char *full = eccp_arena_strdup(a, v->name);
		for (char *p = full; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
		if (strcmp(norm, cli_enum_label(d, v->value, a)) == 0 ||
		    strcmp(norm, full) == 0)
			return v->value;
	}
	return -1;
}

/* "aerospace_defence, agri_food, … or tourism": the names cli_enum_value
 * takes. */
static const char *cli_enum_choices(const ProtobufCEnumDescriptor *d, eccp_arena *a)
{
	cli_buf b = {0};
	size_t total = 0, count = 0;
	for (unsigned i = 0; i < d->n_values; i++)
		total += d->values[i].value != 0;
	for (unsigned i = 0; i < d->n_values; i++) {
		int value = d->values[i].value;
		if (value == 0)
			continue;
		count++;
		cli_buf_puts(&b, count == 1 ? "" : count == total ? " or " : ", ");
		cli_buf_puts(&b, cli_enum_label(d, value, a));
	}
	const char *s = eccp_arena_strdup(a, b.p != NULL ? b.p : "");
	cli_buf_free(&b);
	return s;
}

/* Option opt as a list of values of enum d, stored as protobuf-c stores
 * repeated enums (int-sized). Returns 0 or the exit status. */
int cli_enum_list(const cli_ctx *ctx, eccp_arena *a, size_t opt, const char *flag,
                  const ProtobufCEnumDescriptor *d, int **out, size_t *n)
{
	char **names;
	int rc = cli_split(ctx, a, opt, flag, &names, n);
	*out = NULL;
	if (rc != 0 || *n == 0)
		return rc;
	int *v = eccp_arena_alloc(a, *n * sizeof(*v));
	for (size_t i = 0; i < *n; i++) {
		v[i] = cli_enum_value(d, names[i], a);
		if (v[i] < 0)
			return cli_usage_error(ctx->cmd,
			                       "%s: unknown value '%s' (expected %s)",
			                       flag, names[i], cli_enum_choices(d, a));
	}
	*out = v;
	return 0;
}

int cli_kind_list(const cli_ctx *ctx, eccp_arena *a, Eccp__V1__ContentKind **out,
                  size_t *n)
{
	char **names;
	int rc = cli_split(ctx, a, CLI_OPT_KIND, "--kind", &names, n);
	*out = NULL;
	if (rc != 0 || *n == 0)
		return rc;
	Eccp__V1__ContentKind *v = eccp_arena_alloc(a, *n * sizeof(*v));
	for (size_t i = 0; i < *n; i++) {
		const cli_kind *k = cli_kind_by_name(names[i]);
		if (k == NULL)
			return cli_usage_error(
			    ctx->cmd,
			    "--kind: unknown kind '%s' (expected " CLI_KIND_CHOICES ")",
			    names[i]);
		v[i] = k->kind;
	}
	*out = v;
	return 0;
}

/* --country as upper-case ISO 3166-1 alpha-2 codes. */
int cli_country_list(const cli_ctx *ctx, eccp_arena *a, char ***out, size_t *n)
{
	return cli_code_list(ctx, a, CLI_OPT_COUNTRY, "--country", "ISO 3166-1 alpha-2",
	                     "DE", true, out, n);
}

/* Option opt as a time: YYYY-MM-DD (00:00:00Z, or 23:59:59Z when end is
 * set) or an RFC 3339 time. *out stays NULL when the option was not given.
 * Returns 0 or the exit status. */
static int cli_date(const cli_ctx *ctx, eccp_arena *a, size_t opt, const char *flag,
                    bool end, Eccp__V1__Timestamp **out)
{
	*out = NULL;
	if (!ctx->given[opt])
		return 0;
	const char *s = ctx->opt[opt];
	const char *t = s;
	if (strlen(s) == 10)
		t = eccp_arena_printf(a, "%sT%sZ", s, end ? "23:59:59" : "00:00:00");
	if (!cli_parse_time(a, t, out))
		return cli_usage_error(ctx->cmd,
		                       "%s: expected a date (YYYY-MM-DD) or an RFC 3339 "
		                       "time (2025-06-30T17:00:00Z), got '%s'",
		                       flag, s);
	return 0;
}

/* The SearchRequest the command line describes. Returns 0 or the exit
 * status of a usage error (already reported). */
static int cli_search_request(const cli_ctx *ctx, eccp_arena *a,
                              Eccp__V1__SearchRequest *rq)
{
	cli_buf text = {0};
	cli_buf_puts(&text, "");
	for (int i = 0; i < ctx->argc; i++) {
		if (i > 0)
			cli_buf_puts(&text, " ");
		cli_buf_puts(&text, ctx->argv[i]);
	}
	rq->text = eccp_arena_strdup(a, text.p);
	cli_buf_free(&text);

	int *statuses, *ecosystems;
	int rc;
	if ((rc = cli_kind_list(ctx, a, &rq->kinds, &rq->n_kinds)) != 0 ||
	    (rc = cli_enum_list(ctx, a, CLI_OPT_ECOSYSTEM, "--ecosystem",
	                        &eccp__v1__ecosystem__descriptor, &ecosystems,
	                        &rq->n_ecosystems)) != 0 ||
	    (rc = cli_split(ctx, a, CLI_OPT_TECHNOLOGY, "--technology", &rq->technologies,
	                    &rq->n_technologies)) != 0 ||
	    (rc = cli_country_list(ctx, a, &rq->countries, &rq->n_countries)) != 0 ||
	    (rc = cli_split(ctx, a, CLI_OPT_ORG, "--org", &rq->organisation_ids,
	                    &rq->n_organisation_ids)) != 0 ||
	    (rc = cli_date(ctx, a, CLI_OPT_FROM, "--from", false, &rq->window_start)) !=
	        0 ||
	    (rc = cli_date(ctx, a, CLI_OPT_TO, "--to", true, &rq->window_end)) != 0 ||
	    (rc = cli_enum_list(ctx, a, CLI_OPT_STATUS, "--status",
	                        &eccp__v1__call_status__descriptor, &statuses,
	                        &rq->n_call_statuses)) != 0 ||
	    (rc = cli_split(ctx, a, CLI_OPT_PROGRAMME, "--programme", &rq->programmes,
	                    &rq->n_programmes)) != 0 ||
	    (rc = cli_date(ctx, a, CLI_OPT_DEADLINE_AFTER, "--deadline-after", false,
	                   &rq->deadline_after)) != 0 ||
	    (rc = cli_date(ctx, a, CLI_OPT_DEADLINE_BEFORE, "--deadline-before", true,
	                   &rq->deadline_before)) != 0 ||
	    (rc = cli_date(ctx, a, CLI_OPT_AS_OF, "--as-of", false, &rq->as_of)) != 0)
		return rc;
	rq->ecosystems = (Eccp__V1__Ecosystem *)ecosystems;
	rq->call_statuses = (Eccp__V1__CallStatus *)statuses;

	if (rq->window_start != NULL && rq->window_end != NULL &&
	    (rq->window_start->seconds > rq->window_end->seconds ||
	     (rq->window_start->seconds == rq->window_end->seconds &&
	      rq->window_start->nanos > rq->window_end->nanos)))
		return cli_usage_error(ctx->cmd, "--from %s is after --to %s",
		                       ctx->opt[CLI_OPT_FROM], ctx->opt[CLI_OPT_TO]);
	if (ctx->given[CLI_OPT_NUTS]) {
		if (ctx->opt[CLI_OPT_NUTS][0] == '\0')
			return cli_usage_error(ctx->cmd, "--nuts: empty prefix");
		char *nuts = eccp_arena_strdup(a, ctx->opt[CLI_OPT_NUTS]);
		for (char *p = nuts; *p != '\0'; p++)
			*p = (char)toupper((unsigned char)*p);
		rq->nuts_prefix = nuts;
	}
	rq->campaign_id = (char *)ctx->opt[CLI_OPT_CAMPAIGN];
	if (ctx->given[CLI_OPT_SORT]) {
		int sort = cli_enum_value(&eccp__v1__search_sort__descriptor,
		                          ctx->opt[CLI_OPT_SORT], a);
		if (sort < 0)
			return cli_usage_error(
			    ctx->cmd, "--sort: expected %s, got '%s'",
			    cli_enum_choices(&eccp__v1__search_sort__descriptor, a),
			    ctx->opt[CLI_OPT_SORT]);
		rq->sort = (Eccp__V1__SearchSort)sort;
	}
	rq->facets = ctx->given[CLI_OPT_FACETS];
	rq->limit = ctx->limit;
	if (ctx->all && rq->limit == 0)
		rq->limit = CLI_SEARCH_ALL_PAGE;
	return 0;
}

/* ---- cells ------------------------------------------------------------------ */

/* "2025-06-30", "-" when unset. */
static const char *cli_date_cell(eccp_arena *a, const Eccp__V1__Timestamp *ts)
{
	if (ts == NULL || (ts->seconds == 0 && ts->nanos == 0))
		return "-";
	char buf[48];
	eccp_rfc3339_format(ts->seconds, ts->nanos, buf, sizeof(buf));
	return eccp_arena_strndup(a, buf, 10);
}

/* The date a hit is listed under: an event's start, a news item's
 * publication, a call's deadline; none for a cluster. */
static const char *cli_hit_date(eccp_arena *a, const Eccp__V1__ContentItem *it)
{
	switch (it->body_case) {
	case ECCP__V1__CONTENT_ITEM__BODY_NEWS:
		return cli_date_cell(a, it->news->published_time);
	case ECCP__V1__CONTENT_ITEM__BODY_EVENT:
		return cli_date_cell(a, it->event->start_time);
	case ECCP__V1__CONTENT_ITEM__BODY_CALL:
		return cli_date_cell(a, it->call->deadline);
	default:
		return "-";
	}
}

/* Up to three codes, then "+N": a call may be open to thirty countries. */
static const char *cli_countries_cell(eccp_arena *a, char *const *v, size_t n)
{
	if (n == 0)
		return "-";
	cli_buf b = {0};
	for (size_t i = 0; i < n && i < 3; i++) {
		cli_buf_puts(&b, i > 0 ? "," : "");
		cli_buf_puts(&b, v[i]);
	}
	if (n > 3)
		cli_buf_printf(&b, " +%zu", n - 3);
	const char *s = eccp_arena_strdup(a, b.p);
	cli_buf_free(&b);
	return s;
}

static const char *cli_hit_country(eccp_arena *a, const Eccp__V1__ContentItem *it)
{
	const char *one = NULL;
	switch (it->body_case) {
	case ECCP__V1__CONTENT_ITEM__BODY_CLUSTER:
		one = it->cluster->country;
		break;
	case ECCP__V1__CONTENT_ITEM__BODY_EVENT:
		one = it->event->country;
		break;
	case ECCP__V1__CONTENT_ITEM__BODY_NEWS:
		return cli_countries_cell(a, it->news->countries, it->news->n_countries);
	case ECCP__V1__CONTENT_ITEM__BODY_CALL:
		return cli_countries_cell(a, it->call->eligible_countries,
		                          it->call->n_eligible_countries);
	default:
		break;
	}
	return one != NULL && one[0] != '\0' ? one : "-";
}

/* "[open] Title [+2 sources]" in at most width code points, cutting the
 * title rather than the marks. */
static const char *cli_hit_title(eccp_arena *a, const Eccp__V1__SearchHit *hit,
                                 size_t width)
{
	const Eccp__V1__ContentItem *it = hit->item;
	const char *status = "";
	if (it->kind == ECCP__V1__CONTENT_KIND__CONTENT_KIND_CALL &&
	    hit->call_status != ECCP__V1__CALL_STATUS__CALL_STATUS_UNSPECIFIED)
		status =
		    eccp_arena_printf(a, "[%s] ",
		                      cli_enum_label(&eccp__v1__call_status__descriptor,
		                                     (int)hit->call_status, a));
	const char *sources = "";
	if (hit->n_other_sources > 0)
		sources = eccp_arena_printf(a, " [+%zu source%s]", hit->n_other_sources,
		                            hit->n_other_sources == 1 ? "" : "s");
	const char *withdrawn = it->withdrawn ? "[withdrawn] " : "";
	size_t marks = strlen(withdrawn) + strlen(status) + strlen(sources);
	size_t room =
	    width > marks + CLI_SEARCH_TITLE_MIN ? width - marks : CLI_SEARCH_TITLE_MIN;
	return eccp_arena_printf(a, "%s%s%s%s", withdrawn, status,
	                         cli_clip(a, cli_item_title(it), room), sources);
}

/* A facet value's short name: "event" for "CONTENT_KIND_EVENT"; a country
 * code (or anything d does not name) as it is. */
static const char *cli_facet_label(const ProtobufCEnumDescriptor *d, const char *value,
                                   eccp_arena *a)
{
	const ProtobufCEnumValue *v =
	    d != NULL ? protobuf_c_enum_descriptor_get_value_by_name(d, value) : NULL;
	return v != NULL ? cli_enum_label(d, v->value, a) : value;
}

/* ---- facets -------------------------------------------------------------- */

typedef struct cli_facet {
	const char *name; /* "call status" */
	const ProtobufCEnumDescriptor *values;
	size_t n;
	Eccp__V1__FacetCount **counts;
} cli_facet;

/* The four facets of f in the order Facets declares them. */
static size_t cli_facets(const Eccp__V1__Facets *f, cli_facet out[4])
{
	out[0] = (cli_facet){"kind", &eccp__v1__content_kind__descriptor, f->n_kinds,
	                     f->kinds};
	out[1] = (cli_facet){"country", NULL, f->n_countries, f->countries};
	out[2] = (cli_facet){"ecosystem", &eccp__v1__ecosystem__descriptor,
	                     f->n_ecosystems, f->ecosystems};
	out[3] = (cli_facet){"call status", &eccp__v1__call_status__descriptor,
	                     f->n_call_statuses, f->call_statuses};
	return 4;
}

static int cli_count_cmp(const void *x, const void *y)
{
	const Eccp__V1__FacetCount *a = *(const Eccp__V1__FacetCount *const *)x;
	const Eccp__V1__FacetCount *b = *(const Eccp__V1__FacetCount *const *)y;
	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return strcmp(a->value != NULL ? a->value : "", b->value != NULL ? b->value : "");
}

/* The counts of a facet, largest first (ties by value), as a copy. */
static Eccp__V1__FacetCount **cli_sorted_counts(eccp_arena *a, const cli_facet *f)
{
	Eccp__V1__FacetCount **v = eccp_arena_alloc(a, (f->n + 1) * sizeof(*v));
	if (f->n > 0) {
		memcpy(v, f->counts, f->n * sizeof(*v));
		qsort(v, f->n, sizeof(*v), cli_count_cmp);
	}
	return v;
}

/* "kind: event 120, news 30" per facet that has counts. */
static void cli_facet_lines(eccp_arena *a, const Eccp__V1__Facets *facets, FILE *out)
{
	cli_facet f[4];
	size_t nf = cli_facets(facets, f);
	for (size_t i = 0; i < nf; i++) {
		if (f[i].n == 0)
			continue;
		Eccp__V1__FacetCount **v = cli_sorted_counts(a, &f[i]);
		fprintf(out, "%s:", f[i].name);
		for (size_t k = 0; k < f[i].n; k++)
			fprintf(out, "%s %s %" PRIu64, k > 0 ? "," : "",
			        cli_facet_label(f[i].values, v[k]->value, a),
			        v[k]->count);
		fputc('\n', out);
	}
}

/* ---- search ------------------------------------------------------------------ */

static const Eccp__V1__SearchHit *hit_at(const cli_msgs *hits, size_t i)
{
	return (const Eccp__V1__SearchHit *)hits->v[i];
}

static void cli_search_json(const cli_ctx *ctx, const cli_msgs *hits, const char *next,
                            uint64_t total, const Eccp__V1__Facets *facets)
{
	/* Assembled rather than encoded from one SearchResponse so that
	 * "hits", "nextPageToken" and "total" are always there and --all can
	 * join the pages, while each hit is encoded as the catalog sent it. */
	cli_buf b = {0};
	cli_buf_puts(&b, "{\"hits\":[");
	for (size_t i = 0; i < hits->n; i++) {
		if (i > 0)
			cli_buf_puts(&b, ",");
		cli_buf_json_message(&b, hits->v[i], 0);
	}
	cli_buf_puts(&b, "],\"nextPageToken\":");
	cli_buf_json_string(&b, next);
	cli_buf_printf(&b, ",\"total\":\"%" PRIu64 "\"", total);
	if (facets != NULL) {
		cli_buf_puts(&b, ",\"facets\":");
		cli_buf_json_message(&b, &facets->base, 0);
	}
	cli_buf_puts(&b, "}");
	cli_emit_json(ctx, b.p);
	cli_buf_free(&b);
}

static void cli_search_table(eccp_arena *a, const cli_msgs *hits, const char *next,
                             uint64_t total, const Eccp__V1__Facets *facets)
{
	enum { ncols = 5, title = 3 };
	static const char *const head[ncols] = {"KIND", "DATE", "COUNTRY", "TITLE/NAME",
	                                        "ID"};
	const char **rows = eccp_arena_alloc(a, (hits->n + 1) * ncols * sizeof(*rows));
	size_t n = 0, width[ncols] = {0};
	for (size_t i = 0; i < hits->n; i++) {
		const Eccp__V1__ContentItem *it = hit_at(hits, i)->item;
		if (it == NULL)
			continue;
		const char **row = &rows[n++ * ncols];
		row[0] = cli_kind_name(it->kind);
		row[1] = cli_hit_date(a, it);
		row[2] = cli_hit_country(a, it);
		row[4] = it->id;
		for (size_t c = 0; c < ncols; c++)
			if (c != title && row[c] != NULL) {
				size_t w = eccp_utf8_len(row[c], strlen(row[c]));
				width[c] = w > width[c] ? w : width[c];
			}
	}
	/* The title is the column that gives way: each other one takes its
	 * widest cell (or header) and two spaces. */
	size_t room = CLI_SEARCH_TITLE_WIDTH, cols = cli_terminal_width(stdout);
	if (cols > 0) {
		size_t used = 0;
		for (size_t c = 0; c < ncols; c++)
			if (c != title)
				used += (width[c] > strlen(head[c]) ? width[c]
				                                    : strlen(head[c])) +
				        2;
		room = cols > used ? cols - used : 0;
	}
	if (n > 0) {
		cli_table t;
		cli_table_init(&t, a, ncols);
		cli_table_add(&t, head);
		size_t k = 0;
		for (size_t i = 0; i < hits->n; i++) {
			if (hit_at(hits, i)->item == NULL)
				continue;
			const char **row = &rows[k++ * ncols];
			row[title] = cli_hit_title(a, hit_at(hits, i), room);
			cli_table_add(&t, row);
		}
		cli_table_print(&t, stdout);
	}
	printf("%zu of %" PRIu64 " hit%s%s\n", n, total, total == 1 ? "" : "s",
	       next[0] != '\0' ? " (more with --all)" : "");
	if (facets != NULL) {
		putchar('\n');
		cli_facet_lines(a, facets, stdout);
	}
}

/* --format ics: the calendar of the same search, written as received. */
static int cli_search_ics(const cli_ctx *ctx, cli_service *svc, eccp_arena *a,
                          Eccp__V1__SearchRequest *rq)
{
	/* The calendar holds every page; the paging fields are not its. */
	rq->limit = 0;
	rq->page_token = (char *)"";
	Eccp__V1__CalendarRequest cal = ECCP__V1__CALENDAR_REQUEST__INIT;
	cal.search = rq;
	Eccp__V1__CatalogRequest req = ECCP__V1__CATALOG_REQUEST__INIT;
	req.method_case = ECCP__V1__CATALOG_REQUEST__METHOD_CALENDAR;
	req.calendar = &cal;
	const Eccp__V1__CatalogResponse *resp;
	Eccp__V1__StatusCode code;
	if (cli_catalog_call(ctx, svc, a, &req,
	                     ECCP__V1__CATALOG_RESPONSE__METHOD_CALENDAR,
	                     ECCP__V1__STATUS_CODE__STATUS_CODE_OK, &code, &resp) != 0)
		return CLI_EXIT_FAIL;
	const char *ics = resp->calendar != NULL ? resp->calendar->ics : NULL;
	if (ics == NULL || ics[0] == '\0') {
		fputs("eccp: catalog: reply carries no calendar\n", stderr);
		return CLI_EXIT_FAIL;
	}
	fwrite(ics, 1, strlen(ics), stdout);
	return CLI_EXIT_OK;
}

int cli_cmd_search(cli_ctx *ctx)
{
	eccp_arena a;
	eccp_arena_init(&a);
	cli_msgs hits = {0};
	Eccp__V1__SearchRequest rq = ECCP__V1__SEARCH_REQUEST__INIT;
	int rc = cli_search_request(ctx, &a, &rq);
	if (rc != 0)
		goto out;
	rc = CLI_EXIT_FAIL;
	cli_service svc = {.name = "catalog", .url = ctx->catalog_url};
	if (cli_open_or_report(&svc) != 0)
		goto out;
	if (ctx->ics) {
		rc = cli_search_ics(ctx, &svc, &a, &rq);
		goto close;
	}

	const char *token = "";
	uint64_t total = 0;
	const Eccp__V1__Facets *facets = NULL;
	for (bool first = true;; first = false) {
		rq.page_token = (char *)token;
		Eccp__V1__CatalogRequest req = ECCP__V1__CATALOG_REQUEST__INIT;
		req.method_case = ECCP__V1__CATALOG_REQUEST__METHOD_SEARCH;
		req.search = &rq;
		const Eccp__V1__CatalogResponse *resp;
		Eccp__V1__StatusCode code;
		if (cli_catalog_call(
		        ctx, &svc, &a, &req, ECCP__V1__CATALOG_RESPONSE__METHOD_SEARCH,
		        ECCP__V1__STATUS_CODE__STATUS_CODE_OK, &code, &resp) != 0)
			goto close;
		const Eccp__V1__SearchResponse *page = resp->search;
		if (page == NULL) {
			fputs("eccp: catalog: reply carries no search result\n", stderr);
			goto close;
		}
		for (size_t i = 0; i < page->n_hits; i++)
			cli_msgs_add(&hits, &page->hits[i]->base);
		/* The total and the facets come with the first page. */
		if (first) {
			total = page->total;
			facets = page->facets;
		}
		int more = cli_page_next(ctx, "catalog", page->next_page_token, &token);
		if (more < 0)
			goto close;
		if (more == 0)
			break;
	}

	if (ctx->json)
		cli_search_json(ctx, &hits, token, total, facets);
	else
		cli_search_table(&a, &hits, token, total, facets);
	rc = CLI_EXIT_OK;
close:
	cli_service_close(&svc);
out:
	free(hits.v);
	eccp_arena_free(&a);
	return rc;
}

/* ---- stats ------------------------------------------------------------------ */

/* The figures, then one table per facet; countries cut to the largest
 * CLI_STATS_TOP_COUNTRIES. */
static void cli_stats_print(eccp_arena *a, const Eccp__V1__StatsResponse *s, FILE *out)
{
	cli_table t;
	cli_table_init(&t, a, 2);
	cli_table_add2(&t, "total", eccp_arena_printf(a, "%" PRIu64, s->total));
	cli_table_add2(&t, "clusters", eccp_arena_printf(a, "%" PRIu64, s->clusters));
	cli_table_add2(&t, "clusters outside Europe",
	               eccp_arena_printf(a, "%" PRIu64, s->clusters_outside_europe));
	cli_table_add2(&t, "organisations",
	               eccp_arena_printf(a, "%" PRIu64, s->organisations));
	cli_table_print(&t, out);
	if (s->counts == NULL)
		return;

	cli_facet all[4];
	cli_facets(s->counts, all);
	/* Kinds, ecosystems, countries; call statuses are for searches. */
	const cli_facet f[3] = {all[0], all[2], all[1]};
	for (size_t i = 0; i < ECCP_ARRAY_LEN(f); i++) {
		if (f[i].n == 0)
			continue;
		Eccp__V1__FacetCount **v = cli_sorted_counts(a, &f[i]);
		size_t shown = f[i].n;
		if (f[i].values == NULL && shown > CLI_STATS_TOP_COUNTRIES)
			shown = CLI_STATS_TOP_COUNTRIES;
		cli_table_init(&t, a, 2);
		char *head = eccp_arena_strdup(a, f[i].name);
		for (char *p = head; *p != '\0'; p++)
			*p = (char)toupper((unsigned char)*p);
		cli_table_add2(&t, head, "ITEMS");
		for (size_t k = 0; k < shown; k++)
			cli_table_add2(&t, cli_facet_label(f[i].values, v[k]->value, a),
			               eccp_arena_printf(a, "%" PRIu64, v[k]->count));
		fputc('\n', out);
		cli_table_print(&t, out);
		if (shown < f[i].n)
			fprintf(out, "(top %zu of %zu countries; JSON lists all)\n",
			        shown, f[i].n);
	}
}

int cli_cmd_stats(cli_ctx *ctx)
{
	eccp_arena a;
	eccp_arena_init(&a);
	Eccp__V1__StatsRequest st = ECCP__V1__STATS_REQUEST__INIT;
	st.campaign_id = (char *)ctx->opt[CLI_OPT_CAMPAIGN];
	int rc = cli_date(ctx, &a, CLI_OPT_AS_OF, "--as-of", false, &st.as_of);
	if (rc != 0)
		goto out;
	rc = CLI_EXIT_FAIL;
	Eccp__V1__CatalogRequest req = ECCP__V1__CATALOG_REQUEST__INIT;
	req.method_case = ECCP__V1__CATALOG_REQUEST__METHOD_STATS;
	req.stats = &st;
	const Eccp__V1__CatalogResponse *resp;
	Eccp__V1__StatusCode code;
	int called =
	    cli_catalog_once(ctx, &a, &req, ECCP__V1__CATALOG_RESPONSE__METHOD_STATS,
	                     ECCP__V1__STATUS_CODE__STATUS_CODE_OK, &code, &resp);
	if (called != 0)
		goto out;
	if (ctx->json)
		cli_emit_message(ctx, &resp->stats->base, ECCP_JSON_DEFAULTS);
	else
		cli_stats_print(&a, resp->stats, stdout);
	rc = CLI_EXIT_OK;
out:
	eccp_arena_free(&a);
	return rc;
}

/* ---- campaigns ---------------------------------------------------------------- */

/* "name  value" rows of the campaign's set fields. */
static void cli_campaign_rows(cli_table *t, const Eccp__V1__Campaign *c)
{
	if (c != NULL)
		cli_table_fields(t, &c->base, NULL, false);
}

int cli_cmd_campaign_create(cli_ctx *ctx)
{
	static const size_t required[] = {CLI_OPT_NAME, CLI_OPT_FROM, CLI_OPT_TO};
	static const char *const flags[] = {"--name", "--from", "--to"};
	int rc = cli_required(ctx, required, flags, ECCP_ARRAY_LEN(required));
	if (rc != 0)
		return rc;
	eccp_arena a;
	eccp_arena_init(&a);
	Eccp__V1__Campaign c = ECCP__V1__CAMPAIGN__INIT;
	c.id = (char *)ctx->opt[CLI_OPT_ID];
	c.name = (char *)ctx->opt[CLI_OPT_NAME];
	int *ecosystems;
	if ((rc = cli_date(ctx, &a, CLI_OPT_FROM, "--from", false, &c.window_start)) !=
	        0 ||
	    (rc = cli_date(ctx, &a, CLI_OPT_TO, "--to", true, &c.window_end)) != 0 ||
	    (rc = cli_kind_list(ctx, &a, &c.kinds, &c.n_kinds)) != 0 ||
	    (rc = cli_enum_list(ctx, &a, CLI_OPT_ECOSYSTEM, "--ecosystem",
	                        &eccp__v1__ecosystem__descriptor, &ecosystems,
	                        &c.n_ecosystems)) != 0 ||
	    (rc = cli_country_list(ctx, &a, &c.countries, &c.n_countries)) != 0 ||
	    (rc = cli_split(ctx, &a, CLI_OPT_KEYWORD, "--keyword", &c.keywords,
	                    &c.n_keywords)) != 0)
		goto out;
	c.ecosystems = (Eccp__V1__Ecosystem *)ecosystems;
	if (c.window_start->seconds > c.window_end->seconds) {
		rc = cli_usage_error(ctx->cmd, "--from %s is after --to %s",
		                     ctx->opt[CLI_OPT_FROM], ctx->opt[CLI_OPT_TO]);
		goto out;
	}
	rc = CLI_EXIT_FAIL;
	Eccp__V1__CampaignCreateRequest cc = ECCP__V1__CAMPAIGN_CREATE_REQUEST__INIT;
	cc.campaign = &c;
	Eccp__V1__CatalogRequest req = ECCP__V1__CATALOG_REQUEST__INIT;
	req.method_case = ECCP__V1__CATALOG_REQUEST__METHOD_CAMPAIGN_CREATE;
	req.campaign_create = &cc;
	const Eccp__V1__CatalogResponse *resp;
	Eccp__V1__StatusCode code;
	if (cli_catalog_once(ctx, &a, &req,
	                     ECCP__V1__CATALOG_RESPONSE__METHOD_CAMPAIGN_CREATE,
	                     ECCP__V1__STATUS_CODE__STATUS_CODE_OK, &code, &resp) != 0)
		goto out;
	const Eccp__V1__CampaignCreateResponse *r = resp->campaign_create;
	if (ctx->json) {
		cli_emit_message(ctx, &r->base, ECCP_JSON_DEFAULTS);
	} else {
		cli_table t;
		cli_table_init(&t, &a, 2);
		cli_campaign_rows(&t, r->campaign);
		cli_table_add2(&t, "outcome", r->created ? "created" : "already existed");
		cli_table_print(&t, stdout);
	}
	rc = CLI_EXIT_OK;
out:
	eccp_arena_free(&a);
	return rc;
}

/* "event,news": a campaign's kinds. */
static const char *cli_kinds_cell(eccp_arena *a, const Eccp__V1__Campaign *c)
{
	if (c->n_kinds == 0)
		return "-";
	cli_buf b = {0};
	for (size_t i = 0; i < c->n_kinds; i++) {
		cli_buf_puts(&b, i > 0 ? "," : "");
		cli_buf_puts(&b, cli_kind_name(c->kinds[i]));
	}
	const char *s = eccp_arena_strdup(a, b.p);
	cli_buf_free(&b);
	return s;
}

int cli_cmd_campaign_list(cli_ctx *ctx)
{
	int rc = CLI_EXIT_FAIL;
	eccp_arena a;
	eccp_arena_init(&a);
	Eccp__V1__CampaignListRequest cl = ECCP__V1__CAMPAIGN_LIST_REQUEST__INIT;
	Eccp__V1__CatalogRequest req = ECCP__V1__CATALOG_REQUEST__INIT;
	req.method_case = ECCP__V1__CATALOG_REQUEST__METHOD_CAMPAIGN_LIST;
	req.campaign_list = &cl;
	const Eccp__V1__CatalogResponse *resp;
	Eccp__V1__StatusCode code;
	if (cli_catalog_once(ctx, &a, &req,
	                     ECCP__V1__CATALOG_RESPONSE__METHOD_CAMPAIGN_LIST,
	                     ECCP__V1__STATUS_CODE__STATUS_CODE_OK, &code, &resp) != 0)
		goto out;
	const Eccp__V1__CampaignListResponse *r = resp->campaign_list;
	if (ctx->json) {
		/* Assembled so that "campaigns" is there even when empty. */
		cli_buf b = {0};
		cli_buf_puts(&b, "{\"campaigns\":[");
		for (size_t i = 0; i < r->n_campaigns; i++) {
			if (i > 0)
				cli_buf_puts(&b, ",");
			cli_buf_json_message(&b, &r->campaigns[i]->base,
			                     ECCP_JSON_DEFAULTS);
		}
		cli_buf_puts(&b, "]}");
		cli_emit_json(ctx, b.p);
		cli_buf_free(&b);
	} else {
		size_t n = 0;
		cli_table t;
		cli_table_init(&t, &a, 6);
		t.fit = true;
		static const char *const head[] = {"ID",    "FROM",  "TO",
		                                   "KINDS", "ITEMS", "NAME"};
		cli_table_add(&t, head);
		for (size_t i = 0; i < r->n_campaigns; i++) {
			const Eccp__V1__CampaignSummary *s = r->campaigns[i];
			const Eccp__V1__Campaign *c = s->campaign;
			if (c == NULL)
				continue;
			const char *row[6] = {c->id,
			                      cli_date_cell(&a, c->window_start),
			                      cli_date_cell(&a, c->window_end),
			                      cli_kinds_cell(&a, c),
			                      eccp_arena_printf(&a, "%" PRIu64, s->items),
			                      c->name};
			cli_table_add(&t, row);
			n++;
		}
		if (n > 0)
			cli_table_print(&t, stdout);
		printf("%zu campaign%s\n", n, n == 1 ? "" : "s");
	}
	rc = CLI_EXIT_OK;
out:
	eccp_arena_free(&a);
	return rc;
}

int cli_cmd_campaign_show(cli_ctx *ctx)
{
	const char *id = ctx->argv[0];
	eccp_arena a;
	eccp_arena_init(&a);
	Eccp__V1__CampaignShowRequest cs = ECCP__V1__CAMPAIGN_SHOW_REQUEST__INIT;
	cs.id = (char *)id;
	int rc = cli_date(ctx, &a, CLI_OPT_AS_OF, "--as-of", false, &cs.as_of);
	if (rc != 0)
		goto out;
	rc = CLI_EXIT_FAIL;
	Eccp__V1__CatalogRequest req = ECCP__V1__CATALOG_REQUEST__INIT;
	req.method_case = ECCP__V1__CATALOG_REQUEST__METHOD_CAMPAIGN_SHOW;
	req.campaign_show = &cs;
	const Eccp__V1__CatalogResponse *resp;
	Eccp__V1__StatusCode code;
	int called = cli_catalog_once(
	    ctx, &a, &req, ECCP__V1__CATALOG_RESPONSE__METHOD_CAMPAIGN_SHOW,
	    ECCP__V1__STATUS_CODE__STATUS_CODE_NOT_FOUND, &code, &resp);
	const Eccp__V1__CampaignShowResponse *r =
	    called == 0 ? resp->campaign_show : NULL;
	if (code == ECCP__V1__STATUS_CODE__STATUS_CODE_NOT_FOUND ||
	    (called == 0 && (r == NULL || r->campaign == NULL))) {
		fprintf(stderr, "not found: %s\n", id);
		goto out;
	}
	if (called != 0)
		goto out;
	if (ctx->json) {
		cli_emit_message(ctx, &r->base, ECCP_JSON_DEFAULTS);
	} else {
		cli_table t;
		cli_table_init(&t, &a, 2);
		cli_campaign_rows(&t, r->campaign);
		cli_table_print(&t, stdout);
		if (r->stats != NULL) {
			fputc('\n', stdout);
			cli_stats_print(&a, r->stats, stdout);
		}
	}
	rc = CLI_EXIT_OK;
out:
	eccp_arena_free(&a);
	return rc;
}
