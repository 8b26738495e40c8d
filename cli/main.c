/* eccp: the command-line client of ECCP.
 *
 *   eccp [OPTIONS] publish cluster|news|event|call FILE.json   ("-": stdin)
 *   eccp [OPTIONS] get ID
 *   eccp [OPTIONS] list cluster|news|event|call [--limit N] [--all]
 *   eccp [OPTIONS] status
 *   eccp help [COMMAND]      (also: eccp --help, eccp COMMAND --help)
 *
 * Options may come before or after the command; each is --name VALUE or
 * --name=VALUE, and the environment variable is used when the flag is absent:
 *   --ingest URL        ECCP_INGEST_URL        tcp://127.0.0.1:7410
 *   --catalog URL       ECCP_CATALOG_URL       tcp://127.0.0.1:7420
 *   --broker-admin URL  ECCP_BROKER_ADMIN_URL  http://127.0.0.1:7409
 *   --key KEY           ECCP_API_KEY           "" (sent as credentials.api_key)
 *   --timeout MS        ECCP_TIMEOUT_MS        5000 (1..3600000)
 *   --format json|table                        json unless stdout is a terminal
 *
 * OUTPUT CONTRACT (tests and scripts depend on it; change with care)
 *
 * JSON is the proto3 JSON mapping of common/json.h: lowerCamelCase names,
 * enums by full name ("CONTENT_KIND_CALL"), 64-bit integers as strings,
 * timestamps as RFC 3339 UTC strings. It is one line followed by "\n" when
 * stdout is not a terminal, indented by two spaces when it is (--format json).
 * Inside messages, fields holding their default value (0, "", false, empty
 * list, unset message) are omitted; the keys written out below are always
 * present. Nothing is written to stdout when a command fails.
 *
 * publish -> the SubmitResponse with every field:
 *   {"id":"call_…","seq":"12","version":"1","outcome":"SUBMIT_OUTCOME_CREATED"}
 *   (outcome: SUBMIT_OUTCOME_CREATED | _UPDATED | _UNCHANGED)
 *   table: "id", "seq", "version", "outcome" (created|updated|unchanged) rows.
 *
 * get -> the ContentItem:
 *   {"kind":"CONTENT_KIND_CALL","id":"…","organisationId":"…","version":"3",
 *    "updatedTime":"2025-01-31T09:00:00Z","call":{…the Call…}}
 *   table: one "name  value" row per set field, item metadata first, then the
 *   body's fields (enums as lower-case short names, lists comma-separated).
 *
 * list -> {"items":[ContentItem…],"total":"N","nextPageToken":"…"}
 *   items as `get` prints them; total is the catalog's count of the kind;
 *   nextPageToken is "" on the last page. With --all every page is fetched
 *   and printed as one such object with nextPageToken "".
 *   table: columns ID KIND VERSION ORGANISATION TITLE/NAME, then a footer
 *   "N items[ of TOTAL][ (more with --all)]".
 *
 * status -> {"ok":true|false,"services":[S,S,S]}, S in the order ingest,
 *   catalog, broker:
 *   {"name":"ingest","endpoint":"tcp://…","state":"up"|"not ready"|"down",
 *    "info":{ServiceInfoResponse}}        when the service answered, or
 *   {"name":…,"endpoint":…,"state":"down","error":"connection refused"}
 *   info carries every field, defaults included ("headSeq":"0",
 *   "cursors":[], "lastHeartbeat":null when unknown). The broker's info is
 *   put together from its admin endpoint: service "broker", ready (/readyz),
 *   uptimeMs (/metrics), adminUrl; version, origin and rpcUrl are "".
 *   table: SERVICE ENDPOINT STATE VERSION UPTIME DETAIL, where DETAIL is
 *   "head N" for a publisher, "ORIGIN SEQ/HEAD[ (K behind)]" per cursor for a
 *   consumer, or why the service is down. Exit 0 only if all are "up".
 *
 * ERRORS go to stderr:
 *   eccp: cannot reach ingest at tcp://127.0.0.1:7410: connection refused
 *   eccp: cannot reach catalog at URL: no reply within 5000 ms, twice (request id …)
 *   eccp: no reply from ingest within 5000 ms; retrying once (request id …)
 *   eccp: ingest: INVALID_ARGUMENT: invalid request: 2 field errors
 *     call.title: required — call.title is required      (field: rule — message)
 *   FILE: deadline: not an RFC 3339 time     (JSON decode error, path relative
 *                                             to the item; "<stdin>" for -)
 *   not found: ID                            (get)
 *   eccp: unknown command 'x'                (usage errors, then a hint line:)
 *   Run 'eccp --help' for usage.
 *
 * EXIT STATUS: 0 success; 1 failure (service down, error status, bad file);
 * 2 bad usage (unknown command or option, missing argument, bad KIND or value).
 *
 * A call that times out is sent once more with the same request_id, which the
 * server deduplicates, so a publish is never applied twice by the retry. */
#include "cli.h"

#include <errno.h>
#include <string.h>

static int cli_cmd_help(cli_ctx *ctx)
{
	const cli_command *cmd = NULL;
	if (ctx->argc > 0 && (cmd = cli_find_command(ctx->argv[0])) == NULL)
		return cli_usage_error(NULL, "unknown command '%s'", ctx->argv[0]);
	cli_print_help(stdout, cmd);
	return CLI_EXIT_OK;
}

const cli_command cli_commands[] = {
    {
        .name = "publish",
        .args = "KIND FILE",
        .argnames = "KIND FILE",
        .min_args = 2,
        .max_args = 2,
        .summary = "Submit a cluster, news item, event or call to eccp-ingest",
        .details =
            "KIND is cluster, news, event or call; FILE holds one such message\n"
            "in proto3 JSON (\"-\" reads stdin), e.g. for a call:\n"
            "  {\"externalId\":\"c-1\",\"organisationId\":\"org-1\",\"title\":\"…\",\n"
            "   \"deadline\":\"2025-06-30T17:00:00Z\"}\n"
            "\n"
            "Prints the SubmitResponse: id, seq, version and outcome (created,\n"
            "updated or unchanged). JSON: {\"id\":…,\"seq\":\"N\",\"version\":\"N\",\n"
            "\"outcome\":\"SUBMIT_OUTCOME_CREATED\"}. A rejected item prints the reason\n"
            "and one line per field error to stderr and exits 1.\n",
        .run = cli_cmd_publish,
    },
    {
        .name = "get",
        .args = "ID",
        .argnames = "ID",
        .min_args = 1,
        .max_args = 1,
        .summary = "Show one content item from eccp-catalog",
        .details =
            "Prints the ContentItem (JSON: the item as proto3 JSON). An unknown ID\n"
            "prints \"not found: ID\" to stderr and exits 1.\n",
        .run = cli_cmd_get,
    },
    {
        .name = "list",
        .args = "KIND",
        .argnames = "KIND",
        .min_args = 1,
        .max_args = 1,
        .summary = "List the items of one kind in eccp-catalog",
        .details = "KIND is cluster, news, event or call. Prints one page (--all: every\n"
                   "page). Table: ID, KIND, VERSION, ORGANISATION, TITLE/NAME and an\n"
                   "\"N items\" footer. JSON: "
                   "{\"items\":[…],\"total\":\"N\",\"nextPageToken\":\"…\"}\n"
                   "(nextPageToken is \"\" on the last page and with --all).\n",
        .run = cli_cmd_list,
    },
    {
        .name = "status",
        .args = "",
        .argnames = "",
        .min_args = 0,
        .max_args = 0,
        .summary = "Show whether each daemon is up, ready and caught up",
        .details =
            "Asks eccp-ingest and eccp-catalog for Info over RPC and the broker's\n"
            "admin endpoint for /healthz, /readyz and /metrics, waiting at most\n"
            "2 s each. Prints each service's endpoint, state (up, not ready,\n"
            "down), version, uptime and, for consumers, each cursor against its\n"
            "origin's head. JSON: {\"ok\":…,\"services\":[{\"name\",\"endpoint\",\n"
            "\"state\",\"info\"|\"error\"}…]}. Exits 0 only if every service is up.\n",
        .run = cli_cmd_status,
    },
    {
        .name = "help",
        .args = "[COMMAND]",
        .argnames = "",
        .min_args = 0,
        .max_args = 1,
        .summary = "Show help for a command",
        .details = "",
        .run = cli_cmd_help,
    },
};

const size_t cli_n_commands = ECCP_ARRAY_LEN(cli_commands);

const cli_command *cli_find_command(const char *name)
{
	for (size_t i = 0; i < cli_n_commands; i++)
		if (strcmp(cli_commands[i].name, name) == 0)
			return &cli_commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	cli_ctx ctx = {0};
	int rc = cli_parse_args(&ctx, argc, argv);
	if (rc < 0)
		rc = ctx.cmd->run(&ctx);
	/* Output cut short (a full disk, a closed pipe) must not look like
	 * success to the script that reads it. */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "eccp: cannot write output: %s\n", strerror(errno));
		return CLI_EXIT_FAIL;
	}
	return rc;
}
