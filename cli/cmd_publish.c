/* eccp publish KIND FILE: JSON file -> SubmitRequest -> eccp-ingest; and
 * eccp withdraw ID. */
#include "cli.h"

#include "json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Reads all of a file ("-": stdin) into a malloc'd buffer. */
static char *cli_slurp(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (f == NULL)
		return NULL;
	size_t n = 0, cap = 8192;
	char *buf = malloc(cap);
	while (buf != NULL) {
		n += fread(buf + n, 1, cap - n, f);
		if (n < cap)
			break;
		char *p = realloc(buf, cap * 2);
		if (p == NULL) {
			free(buf);
			buf = NULL;
			errno = ENOMEM;
			break;
		}
		buf = p;
		cap *= 2;
	}
	int e = errno;
	bool failed = buf == NULL || ferror(f);
	if (f != stdin)
		fclose(f);
	if (failed) {
		free(buf);
		errno = e != 0 ? e : EIO;
		return NULL;
	}
	*len = n;
	return buf;
}

static void cli_set_item(Eccp__V1__SubmitRequest *sub, Eccp__V1__ContentKind kind,
                         ProtobufCMessage *m)
{
	switch (kind) {
	case ECCP__V1__CONTENT_KIND__CONTENT_KIND_CLUSTER:
		sub->item_case = ECCP__V1__SUBMIT_REQUEST__ITEM_CLUSTER;
		sub->cluster = (Eccp__V1__Cluster *)m;
		break;
	case ECCP__V1__CONTENT_KIND__CONTENT_KIND_NEWS:
		sub->item_case = ECCP__V1__SUBMIT_REQUEST__ITEM_NEWS;
		sub->news = (Eccp__V1__News *)m;
		break;
	case ECCP__V1__CONTENT_KIND__CONTENT_KIND_EVENT:
		sub->item_case = ECCP__V1__SUBMIT_REQUEST__ITEM_EVENT;
		sub->event = (Eccp__V1__Event *)m;
		break;
	default:
		sub->item_case = ECCP__V1__SUBMIT_REQUEST__ITEM_CALL;
		sub->call = (Eccp__V1__Call *)m;
		break;
	}
}

int cli_cmd_publish(cli_ctx *ctx)
{
	const cli_kind *kind = cli_kind_by_name(ctx->argv[0]);
	if (kind == NULL)
		return cli_usage_error(
		    ctx->cmd,
		    "publish: unknown kind '%s' (expected " CLI_KIND_CHOICES ")",
		    ctx->argv[0]);
	const char *path = ctx->argv[1];
	const char *label = strcmp(path, "-") == 0 ? "<stdin>" : path;

	size_t len = 0;
	char *text = cli_slurp(path, &len);
	if (text == NULL) {
		fprintf(stderr, "eccp: %s: %s\n", label, strerror(errno));
		return CLI_EXIT_FAIL;
	}

	int rc = CLI_EXIT_FAIL;
	eccp_arena a;
	eccp_arena_init(&a);
	char err[256];
	ProtobufCMessage *item = eccp_json_decode(
	    kind->desc, text, len, eccp_arena_allocator(&a), err, sizeof(err));
	free(text);
	if (item == NULL) {
		/* Shaped like a compiler message so editors can jump to it. */
		fprintf(stderr, "%s: %s\n", label, err);
		goto out;
	}

	Eccp__V1__SubmitRequest sub = ECCP__V1__SUBMIT_REQUEST__INIT;
	cli_set_item(&sub, kind->kind, item);
	Eccp__V1__IngestRequest req = ECCP__V1__INGEST_REQUEST__INIT;
	req.method_case = ECCP__V1__INGEST_REQUEST__METHOD_SUBMIT;
	req.submit = &sub;

	const Eccp__V1__IngestResponse *resp;
	Eccp__V1__StatusCode code;
	int called =
	    cli_ingest_once(ctx, &a, &req, ECCP__V1__INGEST_RESPONSE__METHOD_SUBMIT,
	                    ECCP__V1__STATUS_CODE__STATUS_CODE_OK, &code, &resp);
	if (called != 0)
		goto out;

	if (ctx->json) {
		/* Every field, even a zero one, so scripts can index the result
		 * without guessing. */
		cli_emit_message(ctx, &resp->submit->base, ECCP_JSON_DEFAULTS);
	} else {
		/* duplicateOf only when there is one: an empty row reads as a
		 * missing value. */
		static const char *const skip[] = {"duplicate_of", NULL};
		cli_table t;
		cli_table_init(&t, &a, 2);
		cli_table_fields(&t, &resp->submit->base, skip, true);
		const char *dup = resp->submit->duplicate_of;
		if (dup != NULL && dup[0] != '\0')
			cli_table_add2(&t, "duplicateOf", dup);
		cli_table_print(&t, stdout);
	}
	rc = CLI_EXIT_OK;
out:
	eccp_arena_free(&a);
	return rc;
}

int cli_cmd_withdraw(cli_ctx *ctx)
{
	const char *id = ctx->argv[0];
	int rc = CLI_EXIT_FAIL;
	eccp_arena a;
	eccp_arena_init(&a);
	Eccp__V1__WithdrawRequest wd = ECCP__V1__WITHDRAW_REQUEST__INIT;
	wd.id = (char *)id;
	Eccp__V1__IngestRequest req = ECCP__V1__INGEST_REQUEST__INIT;
	req.method_case = ECCP__V1__INGEST_REQUEST__METHOD_WITHDRAW;
	req.withdraw = &wd;

	const Eccp__V1__IngestResponse *resp;
	Eccp__V1__StatusCode code;
	int called =
	    cli_ingest_once(ctx, &a, &req, ECCP__V1__INGEST_RESPONSE__METHOD_WITHDRAW,
	                    ECCP__V1__STATUS_CODE__STATUS_CODE_NOT_FOUND, &code, &resp);
	/* Worded as `eccp get` words it. */
	if (code == ECCP__V1__STATUS_CODE__STATUS_CODE_NOT_FOUND)
		fprintf(stderr, "not found: %s\n", id);
	if (called != 0)
		goto out;

	if (ctx->json) {
		cli_emit_message(ctx, &resp->withdraw->base, ECCP_JSON_DEFAULTS);
	} else {
		cli_table t;
		cli_table_init(&t, &a, 2);
		cli_table_fields(&t, &resp->withdraw->base, NULL, true);
		cli_table_print(&t, stdout);
	}
	rc = CLI_EXIT_OK;
out:
	eccp_arena_free(&a);
	return rc;
}
