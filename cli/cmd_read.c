/* eccp get ID and eccp list KIND: reads from eccp-catalog, and the catalog
 * call the other catalog commands share. */
#include "cli.h"

#include "json.h"

#include "eccp/v1/catalog.pb-c.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

int cli_cmd_get(cli_ctx *ctx)
{
	const char *id = ctx->argv[0];
	eccp_arena a;
	eccp_arena_init(&a);
	int rc = CLI_EXIT_FAIL;
	Eccp__V1__GetRequest get = ECCP__V1__GET_REQUEST__INIT;
	get.id = (char *)id;
	Eccp__V1__CatalogRequest req = ECCP__V1__CATALOG_REQUEST__INIT;
	req.method_case = ECCP__V1__CATALOG_REQUEST__METHOD_GET;
	req.get = &get;
	const Eccp__V1__CatalogResponse *resp;
	Eccp__V1__StatusCode code;
	int called =
	    cli_catalog_once(ctx, &a, &req, ECCP__V1__CATALOG_RESPONSE__METHOD_GET,
	                     ECCP__V1__STATUS_CODE__STATUS_CODE_NOT_FOUND, &code, &resp);
	const Eccp__V1__ContentItem *item =
	    called == 0 && resp->get ? resp->get->item : NULL;
	if (code == ECCP__V1__STATUS_CODE__STATUS_CODE_NOT_FOUND ||
	    (called == 0 && item == NULL)) {
		fprintf(stderr, "not found: %s\n", id);
		goto out;
	}
	if (called != 0)
		goto out;

	if (ctx->json) {
		cli_emit_message(ctx, &item->base, 0);
	} else {
		static const char *const item_skip[] = {"cluster", "news", "event",
		                                        "call", NULL};
		/* The item's own metadata is authoritative for these. */
		static const char *const body_skip[] = {"id", "organisation_id",
		                                        "external_id", NULL};
		cli_table t;
		cli_table_init(&t, &a, 2);
		cli_table_fields(&t, &item->base, item_skip, false);
		const ProtobufCMessage *body = cli_item_body(item);
		if (body != NULL)
			cli_table_fields(&t, body, body_skip, false);
		cli_table_print(&t, stdout);
	}
	rc = CLI_EXIT_OK;
out:
	eccp_arena_free(&a);
	return rc;
}

static void cli_list_json(const cli_ctx *ctx, const cli_msgs *items, uint64_t total,
                          const char *next)
{
	/* Assembled rather than encoded from one ListResponse so that "items",
	 * "total" and "nextPageToken" are always there, even when empty, while
	 * each item is exactly what `eccp get` prints for it. */
	cli_buf b = {0};
	cli_buf_puts(&b, "{\"items\":[");
	for (size_t i = 0; i < items->n; i++) {
		if (i > 0)
			cli_buf_puts(&b, ",");
		cli_buf_json_message(&b, items->v[i], 0);
	}
	cli_buf_printf(&b, "],\"total\":\"%" PRIu64 "\",\"nextPageToken\":", total);
	cli_buf_json_string(&b, next);
	cli_buf_puts(&b, "}");
	cli_emit_json(ctx, b.p);
	cli_buf_free(&b);
}

static void cli_list_table(eccp_arena *a, const cli_msgs *items, uint64_t total,
                           const char *next)
{
	if (items->n > 0) {
		cli_table t;
		cli_table_init(&t, a, 5);
		t.fit = true;
		static const char *const head[] = {"ID", "KIND", "VERSION",
		                                   "ORGANISATION", "TITLE/NAME"};
		cli_table_add(&t, head);
		for (size_t i = 0; i < items->n; i++) {
			const Eccp__V1__ContentItem *it =
			    (const Eccp__V1__ContentItem *)items->v[i];
			const char *title = cli_item_title(it);
			const char *row[5] = {
			    it->id,
			    cli_kind_name(it->kind),
			    eccp_arena_printf(a, "%" PRIu64, it->version),
			    it->organisation_id[0] ? it->organisation_id : "-",
			    it->withdrawn ? eccp_arena_printf(a, "[withdrawn] %s", title)
			                  : title,
			};
			cli_table_add(&t, row);
		}
		cli_table_print(&t, stdout);
	}
	printf("%zu item%s", items->n, items->n == 1 ? "" : "s");
	if (total > items->n)
		printf(" of %" PRIu64, total);
	if (next[0] != '\0')
		printf(" (more with --all)");
	putchar('\n');
}

int cli_cmd_list(cli_ctx *ctx)
{
	const cli_kind *kind = cli_kind_by_name(ctx->argv[0]);
	if (kind == NULL)
		return cli_usage_error(
		    ctx->cmd, "list: unknown kind '%s' (expected " CLI_KIND_CHOICES ")",
		    ctx->argv[0]);
	eccp_arena a;
	eccp_arena_init(&a);
	cli_msgs items = {0};
	int rc = CLI_EXIT_FAIL;
	uint64_t total = 0;
	const char *token = "";
	cli_service svc = {.name = "catalog", .url = ctx->catalog_url};
	if (cli_open_or_report(&svc) != 0)
		goto out;

	for (;;) {
		Eccp__V1__ListRequest list = ECCP__V1__LIST_REQUEST__INIT;
		list.kind = kind->kind;
		list.limit = ctx->limit;
		list.page_token = (char *)token;
		Eccp__V1__CatalogRequest req = ECCP__V1__CATALOG_REQUEST__INIT;
		req.method_case = ECCP__V1__CATALOG_REQUEST__METHOD_LIST;
		req.list = &list;
		const Eccp__V1__CatalogResponse *resp;
		Eccp__V1__StatusCode code;
		if (cli_catalog_call(
		        ctx, &svc, &a, &req, ECCP__V1__CATALOG_RESPONSE__METHOD_LIST,
		        ECCP__V1__STATUS_CODE__STATUS_CODE_OK, &code, &resp) != 0)
			goto close;
		const Eccp__V1__ListResponse *page = resp->list;
		if (page == NULL) {
			fprintf(stderr, "eccp: catalog: reply carries no list result\n");
			goto close;
		}
		for (size_t i = 0; i < page->n_items; i++)
			cli_msgs_add(&items, &page->items[i]->base);
		total = page->total;
		int more = cli_page_next(ctx, "catalog", page->next_page_token, &token);
		if (more < 0)
			goto close;
		if (more == 0)
			break;
	}

	if (ctx->json)
		cli_list_json(ctx, &items, total, token);
	else
		cli_list_table(&a, &items, total, token);
	rc = CLI_EXIT_OK;
close:
	cli_service_close(&svc);
out:
	free(items.v);
	eccp_arena_free(&a);
	return rc;
}
