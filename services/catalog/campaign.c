/* Campaigns such as the EU Cluster Weeks: a name, a window, the kinds of
 * content it collects and optional criteria (ecosystems, countries,
 * keywords). A campaign is a standing search: its members are whatever the
 * catalogue holds that fits, including items published before the campaign
 * was created, and it can be searched with every filter. Only the admin
 * creates campaigns; creating the same campaign again changes nothing. */
#include "catalog.h"

#include "countries.h"
#include "log.h"

#include <ctype.h>
#include <string.h>

#define CAMPAIGN_NAME_MAX 200
#define CAMPAIGN_LIST_MAX 50

bool catalog_authenticate(eccp_rpc_call *call)
{
	catalog *c = call->svc;
	if (call->api_key == NULL || call->api_key[0] == '\0') {
		eccp_rpc_error(call, ECCP__V1__STATUS_CODE__STATUS_CODE_UNAUTHENTICATED,
		               "an API key is required (--key or ECCP_API_KEY)");
		return false;
	}
	if (!eccp_admin_key_is(&c->admin, call->api_key)) {
		eccp_rpc_error(call, ECCP__V1__STATUS_CODE__STATUS_CODE_PERMISSION_DENIED,
		               "only the admin key may do this");
		return false;
	}
	call->caller = "admin";
	return true;
}

/* "EU Cluster Weeks 2018/19" -> "eu-cluster-weeks-2018-19". */
static char *campaign_slug(eccp_arena *a, const char *name)
{
	size_t n = strlen(name);
	char *out = eccp_arena_alloc(a, n + 1), *p = out;
	bool dash = true;
	for (size_t i = 0; i < n && p - out < 64; i++) {
		unsigned char c = (unsigned char)name[i];
		if (isalnum(c)) {
			*p++ = (char)tolower(c);
			dash = false;
		} else if (!dash) {
			*p++ = '-';
			dash = true;
		}
	}
	while (p > out && p[-1] == '-')
		p--;
	*p = '\0';
	return out;
}

static bool campaign_id_ok(const char *id)
{
	size_t n = strlen(id);
	if (n < 2 || n > 64 || !isalnum((unsigned char)id[0]))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)id[i];
		if (!(islower(c) || isdigit(c) || c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

static void campaign_check(eccp_rpc_call *call, Eccp__V1__Campaign *c)
{
	eccp_arena *a = &call->arena;
	const char *name = c->name ? c->name : "";
	size_t nl = strlen(name);
	if (nl == 0)
		eccp_rpc_field_error(call, "campaign.name", "required",
		                     "a name is required");
	else if (!eccp_utf8_valid(name, nl))
		eccp_rpc_field_error(call, "campaign.name", "utf8",
		                     "must be valid UTF-8");
	else if (eccp_utf8_len(name, nl) > CAMPAIGN_NAME_MAX)
		eccp_rpc_field_error(call, "campaign.name", "max_length",
		                     "at most %d characters", CAMPAIGN_NAME_MAX);
	if (c->id != NULL && c->id[0] != '\0' && !campaign_id_ok(c->id))
		eccp_rpc_field_error(
		    call, "campaign.id", "id_format",
		    "2 to 64 of a-z, 0-9, '-', '_', '.', starting with a "
		    "letter or digit");
	if (!eccp_timestamp_set(c->window_start))
		eccp_rpc_field_error(call, "campaign.windowStart", "required",
		                     "the window's start is required");
	if (!eccp_timestamp_set(c->window_end))
		eccp_rpc_field_error(call, "campaign.windowEnd", "required",
		                     "the window's end is required");
	if (eccp_timestamp_set(c->window_start) && eccp_timestamp_set(c->window_end) &&
	    c->window_end->seconds < c->window_start->seconds)
		eccp_rpc_field_error(call, "campaign.windowEnd", "end_after_start",
		                     "must not be before windowStart");
	if (c->n_kinds > CAMPAIGN_LIST_MAX || c->n_ecosystems > CAMPAIGN_LIST_MAX) {
		eccp_rpc_field_error(call, "campaign", "max_items",
		                     "at most %d kinds and %d ecosystems",
		                     CAMPAIGN_LIST_MAX, CAMPAIGN_LIST_MAX);
		return;
	}
	for (size_t i = 0; i < c->n_kinds; i++)
		if (c->kinds[i] == 0 ||
		    protobuf_c_enum_descriptor_get_value(
		        &eccp__v1__content_kind__descriptor, c->kinds[i]) == NULL)
			eccp_rpc_field_error(
			    call, eccp_arena_printf(a, "campaign.kinds[%zu]", i), "enum",
			    "not a content kind");
	for (size_t i = 0; i < c->n_ecosystems; i++)
		if (c->ecosystems[i] == 0 ||
		    protobuf_c_enum_descriptor_get_value(&eccp__v1__ecosystem__descriptor,
		                                         c->ecosystems[i]) == NULL)
			eccp_rpc_field_error(
			    call, eccp_arena_printf(a, "campaign.ecosystems[%zu]", i),
			    "enum", "not an industrial ecosystem");
	if (c->n_countries > CAMPAIGN_LIST_MAX || c->n_keywords > CAMPAIGN_LIST_MAX)
		eccp_rpc_field_error(call, "campaign", "max_items",
		                     "at most %d countries and %d keywords",
		                     CAMPAIGN_LIST_MAX, CAMPAIGN_LIST_MAX);
	for (size_t i = 0; i < c->n_countries; i++)
		if (eccp_country_find(c->countries[i]) == NULL)
			eccp_rpc_field_error(
			    call, eccp_arena_printf(a, "campaign.countries[%zu]", i),
			    "country", "'%s' is not an ISO 3166-1 alpha-2 code",
			    c->countries[i]);
	for (size_t i = 0; i < c->n_keywords; i++) {
		size_t n = strlen(c->keywords[i]);
		if (n == 0 || n > 200 || !eccp_utf8_valid(c->keywords[i], n))
			eccp_rpc_field_error(
			    call, eccp_arena_printf(a, "campaign.keywords[%zu]", i),
			    "keyword", "1 to 200 bytes of UTF-8 text");
	}
}

void catalog_campaign_create(eccp_rpc_call *call)
{
	const Eccp__V1__CampaignCreateRequest *rq =
	    (const Eccp__V1__CampaignCreateRequest *)call->params;
	eccp_arena *a = &call->arena;
	if (rq->campaign == NULL) {
		eccp_rpc_field_error(call, "campaign", "required",
		                     "a campaign is required");
		return;
	}
	Eccp__V1__Campaign c = *rq->campaign;
	campaign_check(call, &c);
	if (call->status->code != ECCP__V1__STATUS_CODE__STATUS_CODE_OK)
		return;
	if (c.id == NULL || c.id[0] == '\0') {
		c.id = campaign_slug(a, c.name);
		if (!campaign_id_ok(c.id)) {
			eccp_rpc_field_error(
			    call, "campaign.id", "required",
			    "give an id: none can be made from this name");
			return;
		}
	}
	static Eccp__V1__ContentKind events = ECCP__V1__CONTENT_KIND__CONTENT_KIND_EVENT;
	if (c.n_kinds == 0) {
		c.kinds = &events;
		c.n_kinds = 1;
	}
	size_t len = eccp__v1__campaign__get_packed_size(&c);
	uint8_t *buf = eccp_arena_alloc(a, len ? len : 1);
	eccp__v1__campaign__pack(&c, buf);
	sqlite3_stmt *q =
	    eccp_store_stmt(call->store, "SELECT campaign FROM campaigns WHERE id = ?1");
	sqlite3_stmt *w = eccp_store_stmt(
	    call->store,
	    "INSERT INTO campaigns (id, campaign, created_ms) VALUES (?1, ?2, ?3)");
	if (q == NULL || w == NULL) {
		eccp_rpc_store_error(call);
		return;
	}
	sqlite3_bind_text(q, 1, c.id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	bool same = rc == SQLITE_ROW && (size_t)sqlite3_column_bytes(q, 0) == len &&
	            memcmp(sqlite3_column_blob(q, 0), buf, len) == 0;
	sqlite3_reset(q);
	if (rc == SQLITE_ROW && !same) {
		eccp_rpc_error(call, ECCP__V1__STATUS_CODE__STATUS_CODE_ALREADY_EXISTS,
		               "campaign '%s' exists with another definition", c.id);
		return;
	}
	if (!same) {
		sqlite3_bind_text(w, 1, c.id, -1, SQLITE_STATIC);
		sqlite3_bind_blob(w, 2, buf, (int)len, SQLITE_STATIC);
		sqlite3_bind_int64(w, 3, eccp_now_ms());
		rc = sqlite3_step(w);
		sqlite3_reset(w);
		if (rc != SQLITE_DONE) {
			eccp_rpc_error(call,
			               ECCP__V1__STATUS_CODE__STATUS_CODE_UNAVAILABLE,
			               "store error, nothing was stored: %s",
			               eccp_store_errmsg(call->store));
			return;
		}
		eccp_info("campaign %s created", c.id);
	}
	Eccp__V1__CampaignCreateResponse *r = eccp_rpc_result(call);
	r->campaign = eccp_arena_alloc(a, sizeof(*r->campaign));
	*r->campaign = c;
	r->created = !same;
}

void catalog_campaign_list(eccp_rpc_call *call)
{
	eccp_arena *a = &call->arena;
	catalog_index_sync(call);
	if (eccp_store_begin(call->store) != SQLITE_OK) {
		eccp_rpc_store_error(call);
		return;
	}
	Eccp__V1__CampaignListResponse *r = eccp_rpc_result(call);
	size_t n = (size_t)eccp_store_query_int(
	    call->store, "SELECT COUNT(*) FROM campaigns", false, 0, 0);
	sqlite3_stmt *q = eccp_store_stmt(
	    call->store, "SELECT campaign FROM campaigns ORDER BY created_ms, id");
	if (q != NULL && n > 0) {
		r->campaigns = eccp_arena_alloc(a, n * sizeof(*r->campaigns));
		while (r->n_campaigns < n && sqlite3_step(q) == SQLITE_ROW) {
			Eccp__V1__Campaign *c = eccp__v1__campaign__unpack(
			    eccp_arena_allocator(a), (size_t)sqlite3_column_bytes(q, 0),
			    sqlite3_column_blob(q, 0));
			if (c == NULL)
				continue;
			Eccp__V1__CampaignSummary *s = eccp_arena_alloc(a, sizeof(*s));
			eccp__v1__campaign_summary__init(s);
			s->campaign = c;
			r->campaigns[r->n_campaigns++] = s;
		}
		sqlite3_reset(q);
	}
	for (size_t i = 0; i < r->n_campaigns; i++) {
		Eccp__V1__StatsResponse st = ECCP__V1__STATS_RESPONSE__INIT;
		if (!catalog_stats_of(call, r->campaigns[i]->campaign, NULL, &st))
			break;
		r->campaigns[i]->items = st.total;
	}
	eccp_store_rollback(call->store);
}

void catalog_campaign_show(eccp_rpc_call *call)
{
	const Eccp__V1__CampaignShowRequest *rq =
	    (const Eccp__V1__CampaignShowRequest *)call->params;
	if (rq->id == NULL || rq->id[0] == '\0') {
		eccp_rpc_field_error(call, "campaignShow.id", "required",
		                     "id is required");
		return;
	}
	catalog_index_sync(call);
	if (eccp_store_begin(call->store) != SQLITE_OK) {
		eccp_rpc_store_error(call);
		return;
	}
	Eccp__V1__Campaign *c = catalog_campaign_load(call, rq->id);
	if (c != NULL) {
		Eccp__V1__CampaignShowResponse *r = eccp_rpc_result(call);
		r->campaign = c;
		r->stats = eccp_arena_alloc(&call->arena, sizeof(*r->stats));
		eccp__v1__stats_response__init(r->stats);
		catalog_stats_of(call, c, rq->as_of, r->stats);
	}
	eccp_store_rollback(call->store);
}
