/* eccp org create|list and eccp key create|list|revoke: the organisations
 * that publish, and their API keys, kept by eccp-ingest. */
#include "cli.h"

#include "json.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A Timestamp cell: "-" when unset. */
static const char *cli_time_cell(eccp_arena *a, const Eccp__V1__Timestamp *ts)
{
	if (ts == NULL || (ts->seconds == 0 && ts->nanos == 0))
		return "-";
	char *buf = eccp_arena_alloc(a, 48);
	eccp_rfc3339_format(ts->seconds, ts->nanos, buf, 48);
	return buf;
}

static const char *cli_or_dash(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : "-";
}

/* ---- org ------------------------------------------------------------------ */

int cli_cmd_org_create(cli_ctx *ctx)
{
	const char *name = ctx->opt[CLI_OPT_NAME];
	if (name[0] == '\0')
		return cli_usage_error(ctx->cmd, "org create: missing --name");
	int rc = CLI_EXIT_FAIL;
	eccp_arena a;
	eccp_arena_init(&a);
	Eccp__V1__Organisation org = ECCP__V1__ORGANISATION__INIT;
	org.id = (char *)ctx->opt[CLI_OPT_ID];
	org.name = (char *)name;
	org.country = (char *)ctx->opt[CLI_OPT_COUNTRY];
	Eccp__V1__OrgCreateRequest oc = ECCP__V1__ORG_CREATE_REQUEST__INIT;
	oc.organisation = &org;
	Eccp__V1__IngestRequest req = ECCP__V1__INGEST_REQUEST__INIT;
	req.method_case = ECCP__V1__INGEST_REQUEST__METHOD_ORG_CREATE;
	req.org_create = &oc;

	const Eccp__V1__IngestResponse *resp;
	Eccp__V1__StatusCode code;
	if (cli_ingest_once(ctx, &a, &req, ECCP__V1__INGEST_RESPONSE__METHOD_ORG_CREATE,
	                    ECCP__V1__STATUS_CODE__STATUS_CODE_OK, &code, &resp) != 0)
		goto out;
	const Eccp__V1__OrgCreateResponse *r = resp->org_create;
	if (ctx->json) {
		cli_emit_message(ctx, &r->base, ECCP_JSON_DEFAULTS);
	} else {
		cli_table t;
		cli_table_init(&t, &a, 2);
		if (r->organisation != NULL)
			cli_table_fields(&t, &r->organisation->base, NULL, true);
		cli_table_add2(&t, "outcome",
		               cli_enum_label(&eccp__v1__submit_outcome__descriptor,
		                              (int)r->outcome, &a));
		cli_table_print(&t, stdout);
	}
	rc = CLI_EXIT_OK;
out:
	eccp_arena_free(&a);
	return rc;
}

int cli_cmd_org_list(cli_ctx *ctx)
{
	int rc = CLI_EXIT_FAIL;
	eccp_arena a;
	eccp_arena_init(&a);
	cli_msgs orgs = {0};
	const char *token = "";
	cli_service svc = {.name = "ingest", .url = ctx->ingest_url};
	if (cli_open_or_report(&svc) != 0)
		goto out;

	for (;;) {
		Eccp__V1__OrgListRequest ol = ECCP__V1__ORG_LIST_REQUEST__INIT;
		ol.limit = ctx->limit;
		ol.page_token = (char *)token;
		Eccp__V1__IngestRequest req = ECCP__V1__INGEST_REQUEST__INIT;
		req.method_case = ECCP__V1__INGEST_REQUEST__METHOD_ORG_LIST;
		req.org_list = &ol;
		const Eccp__V1__IngestResponse *resp;
		Eccp__V1__StatusCode code;
		if (cli_ingest_call(
		        ctx, &svc, &a, &req, ECCP__V1__INGEST_RESPONSE__METHOD_ORG_LIST,
		        ECCP__V1__STATUS_CODE__STATUS_CODE_OK, &code, &resp) != 0)
			goto close;
		const Eccp__V1__OrgListResponse *page = resp->org_list;
		for (size_t i = 0; i < page->n_organisations; i++)
			cli_msgs_add(&orgs, &page->organisations[i]->base);
		int more = cli_page_next(ctx, "ingest", page->next_page_token, &token);
		if (more < 0)
			goto close;
		if (more == 0)
			break;
	}

	if (ctx->json) {
		/* Assembled so that both keys are there even when empty, as
		 * `eccp list` does. */
		cli_buf b = {0};
		cli_buf_puts(&b, "{\"organisations\":[");
		for (size_t i = 0; i < orgs.n; i++) {
			if (i > 0)
				cli_buf_puts(&b, ",");
			cli_buf_json_message(&b, orgs.v[i], 0);
		}
		cli_buf_puts(&b, "],\"nextPageToken\":");
		cli_buf_json_string(&b, token);
		cli_buf_puts(&b, "}");
		cli_emit_json(ctx, b.p);
		cli_buf_free(&b);
	} else {
		if (orgs.n > 0) {
			cli_table t;
			cli_table_init(&t, &a, 4);
			t.fit = true;
			static const char *const head[] = {"ID", "COUNTRY", "CREATED",
			                                   "NAME"};
			cli_table_add(&t, head);
			for (size_t i = 0; i < orgs.n; i++) {
				const Eccp__V1__Organisation *o =
				    (const Eccp__V1__Organisation *)orgs.v[i];
				const char *row[4] = {o->id, cli_or_dash(o->country),
				                      cli_time_cell(&a, o->created_time),
				                      o->name};
				cli_table_add(&t, row);
			}
			cli_table_print(&t, stdout);
		}
		printf("%zu organisation%s%s\n", orgs.n, orgs.n == 1 ? "" : "s",
		       token[0] != '\0' ? " (more with --all)" : "");
	}
	rc = CLI_EXIT_OK;
close:
	cli_service_close(&svc);
out:
	free(orgs.v);
	eccp_arena_free(&a);
	return rc;
}

/* ---- key ------------------------------------------------------------------ */

/* "name  value" rows of a key, revokedTime only once there is one. */
static void cli_key_rows(cli_table *t, const Eccp__V1__ApiKeyInfo *key)
{
	static const char *const skip[] = {"revoked_time", NULL};
	cli_table_fields(t, &key->base, skip, true);
	if (key->revoked_time != NULL)
		cli_table_add2(t, "revokedTime",
		               cli_time_cell(t->arena, key->revoked_time));
}

int cli_cmd_key_create(cli_ctx *ctx)
{
	int rc = CLI_EXIT_FAIL;
	eccp_arena a;
	eccp_arena_init(&a);
	Eccp__V1__KeyCreateRequest kc = ECCP__V1__KEY_CREATE_REQUEST__INIT;
	kc.organisation_id = (char *)ctx->opt[CLI_OPT_ORG];
	kc.label = (char *)ctx->opt[CLI_OPT_LABEL];
	Eccp__V1__IngestRequest req = ECCP__V1__INGEST_REQUEST__INIT;
	req.method_case = ECCP__V1__INGEST_REQUEST__METHOD_KEY_CREATE;
	req.key_create = &kc;

	const Eccp__V1__IngestResponse *resp;
	Eccp__V1__StatusCode code;
	if (cli_ingest_once(ctx, &a, &req, ECCP__V1__INGEST_RESPONSE__METHOD_KEY_CREATE,
	                    ECCP__V1__STATUS_CODE__STATUS_CODE_OK, &code, &resp) != 0)
		goto out;
	const Eccp__V1__KeyCreateResponse *r = resp->key_create;
	if (r->secret == NULL || r->secret[0] == '\0') {
		fputs("eccp: ingest: reply carries no key secret\n", stderr);
		goto out;
	}
	if (ctx->json) {
		cli_emit_message(ctx, &r->base, ECCP_JSON_DEFAULTS);
	} else {
		cli_table t;
		cli_table_init(&t, &a, 2);
		if (r->key != NULL)
			cli_key_rows(&t, r->key);
		cli_table_add2(&t, "secret", r->secret);
		cli_table_print(&t, stdout);
	}
	/* Ingest keeps only a hash, so a person who misses this has to revoke
	 * and create again; scripts reading stderr need not be told. */
	if (isatty(STDERR_FILENO))
		fputs(
		    "eccp: store the secret now: it cannot be shown again (ingest keeps "
		    "only its hash)\n",
		    stderr);
	rc = CLI_EXIT_OK;
out:
	eccp_arena_free(&a);
	return rc;
}

int cli_cmd_key_list(cli_ctx *ctx)
{
	int rc = CLI_EXIT_FAIL;
	eccp_arena a;
	eccp_arena_init(&a);
	Eccp__V1__KeyListRequest kl = ECCP__V1__KEY_LIST_REQUEST__INIT;
	kl.organisation_id = (char *)ctx->opt[CLI_OPT_ORG];
	Eccp__V1__IngestRequest req = ECCP__V1__INGEST_REQUEST__INIT;
	req.method_case = ECCP__V1__INGEST_REQUEST__METHOD_KEY_LIST;
	req.key_list = &kl;

	const Eccp__V1__IngestResponse *resp;
	Eccp__V1__StatusCode code;
	if (cli_ingest_once(ctx, &a, &req, ECCP__V1__INGEST_RESPONSE__METHOD_KEY_LIST,
	                    ECCP__V1__STATUS_CODE__STATUS_CODE_OK, &code, &resp) != 0)
		goto out;
	const Eccp__V1__KeyListResponse *r = resp->key_list;
	if (ctx->json) {
		cli_buf b = {0};
		cli_buf_puts(&b, "{\"keys\":[");
		for (size_t i = 0; i < r->n_keys; i++) {
			if (i > 0)
				cli_buf_puts(&b, ",");
			cli_buf_json_message(&b, &r->keys[i]->base, 0);
		}
		cli_buf_puts(&b, "]}");
		cli_emit_json(ctx, b.p);
		cli_buf_free(&b);
	} else {
		if (r->n_keys > 0) {
			cli_table t;
			cli_table_init(&t, &a, 5);
			t.fit = true;
			static const char *const head[] = {"ID", "ORGANISATION",
			                                   "CREATED", "REVOKED", "LABEL"};
			cli_table_add(&t, head);
			for (size_t i = 0; i < r->n_keys; i++) {
				const Eccp__V1__ApiKeyInfo *k = r->keys[i];
				const char *row[5] = {k->id,
				                      cli_or_dash(k->organisation_id),
				                      cli_time_cell(&a, k->created_time),
				                      cli_time_cell(&a, k->revoked_time),
				                      cli_or_dash(k->label)};
				cli_table_add(&t, row);
			}
			cli_table_print(&t, stdout);
		}
		printf("%zu key%s\n", r->n_keys, r->n_keys == 1 ? "" : "s");
	}
	rc = CLI_EXIT_OK;
out:
	eccp_arena_free(&a);
	return rc;
}

int cli_cmd_key_revoke(cli_ctx *ctx)
{
	const char *id = ctx->argv[0];
	int rc = CLI_EXIT_FAIL;
	eccp_arena a;
	eccp_arena_init(&a);
	Eccp__V1__KeyRevokeRequest kr = ECCP__V1__KEY_REVOKE_REQUEST__INIT;
	kr.key_id = (char *)id;
	Eccp__V1__IngestRequest req = ECCP__V1__INGEST_REQUEST__INIT;
	req.method_case = ECCP__V1__INGEST_REQUEST__METHOD_KEY_REVOKE;
	req.key_revoke = &kr;

	const Eccp__V1__IngestResponse *resp;
	Eccp__V1__StatusCode code;
	int called =
	    cli_ingest_once(ctx, &a, &req, ECCP__V1__INGEST_RESPONSE__METHOD_KEY_REVOKE,
	                    ECCP__V1__STATUS_CODE__STATUS_CODE_NOT_FOUND, &code, &resp);
	if (code == ECCP__V1__STATUS_CODE__STATUS_CODE_NOT_FOUND)
		fprintf(stderr, "not found: %s\n", id);
	if (called != 0)
		goto out;
	const Eccp__V1__KeyRevokeResponse *r = resp->key_revoke;
	if (ctx->json) {
		cli_emit_message(ctx, &r->base, ECCP_JSON_DEFAULTS);
	} else if (r->key != NULL) {
		cli_table t;
		cli_table_init(&t, &a, 2);
		cli_key_rows(&t, r->key);
		cli_table_print(&t, stdout);
	}
	rc = CLI_EXIT_OK;
out:
	eccp_arena_free(&a);
	return rc;
}
