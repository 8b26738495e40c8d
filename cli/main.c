/* eccp: the command-line client of ECCP.
 *
 *   eccp [OPTIONS] publish cluster|news|event|call FILE.json   ("-": stdin)
 *   eccp [OPTIONS] withdraw ID
 *   eccp [OPTIONS] import FILE.jsonl [--batch N] [--retries N]  ("-": stdin)
 *   eccp [OPTIONS] org create --name NAME [--country CC] [--id ID]
 *   eccp [OPTIONS] org list [--limit N] [--all]
 *   eccp [OPTIONS] key create [--org ORG] [--label LABEL]
 *   eccp [OPTIONS] key list [--org ORG]
 *   eccp [OPTIONS] key revoke KEY_ID
 *   eccp [OPTIONS] get ID
 *   eccp [OPTIONS] list cluster|news|event|call [--limit N] [--all]
 *   eccp [OPTIONS] search [WORDS...] [--kind K,…] [--ecosystem E,…]
 *                  [--technology T,…] [--country CC,…] [--nuts PREFIX]
 *                  [--org ORG,…] [--from DATE] [--to DATE] [--status S,…]
 *                  [--programme P,…] [--deadline-after DATE]
 *                  [--deadline-before DATE] [--campaign ID] [--sort ORDER]
 *                  [--facets] [--as-of DATE] [--limit N] [--all]
 *                  [--format json|table|ics]
 *   eccp [OPTIONS] stats [--campaign ID] [--as-of DATE]
 *   eccp [OPTIONS] campaign create --name NAME --from DATE --to DATE [--id ID]
 *                  [--kind K,…] [--ecosystem E,…] [--country CC,…]
 *                  [--keyword K,…]
 *   eccp [OPTIONS] campaign list
 *   eccp [OPTIONS] campaign show ID [--as-of DATE]
 *   eccp [OPTIONS] partners [criteria…] [--prefer NAME[=WEIGHT]]… [--explain]
 *                  [--limit N] [--offset N] [--format json|table|geojson]
 *   eccp [OPTIONS] mm create --name NAME --start TIME --slots N --tables N
 *                  --meeting-minutes M [--break-minutes B] [--time-zone TZ]
 *                  [--venue V] [--expiry-hours H] [--org ORG]
 *   eccp [OPTIONS] mm show EVENT
 *   eccp [OPTIONS] mm register EVENT CLUSTER [--slots-available 0,1,4-7]
 *                  [--wish ID,…]
 *   eccp [OPTIONS] mm unregister EVENT CLUSTER
 *   eccp [OPTIONS] mm request EVENT FROM TO [--message TEXT]
 *   eccp [OPTIONS] mm respond REQUEST accept|decline
 *   eccp [OPTIONS] mm schedule EVENT [--suggested] [--lock] [--unlock] [--seed N]
 *   eccp [OPTIONS] mm lock EVENT CLUSTER_A CLUSTER_B
 *   eccp [OPTIONS] mm unlock EVENT CLUSTER_A CLUSTER_B
 *   eccp [OPTIONS] mm agenda EVENT CLUSTER [--ical]
 *   eccp [OPTIONS] status
 *   eccp demo-data [--scale N] [--seed S] [--out FILE] …  (its own options)
 *   eccp help [COMMAND]      (also: eccp --help, eccp COMMAND --help;
 *                             "eccp help org" lists the group's commands)
 *
 * Options may come before or after the command; each is --name VALUE or
 * --name=VALUE, and the environment variable is used when the flag is absent:
 *   --ingest URL        ECCP_INGEST_URL        tcp://127.0.0.1:7410
 *   --catalog URL       ECCP_CATALOG_URL       tcp://127.0.0.1:7420
 *   --broker-admin URL  ECCP_BROKER_ADMIN_URL  http://127.0.0.1:7409
 *   --key KEY           ECCP_API_KEY           "" (sent as credentials.api_key
 *                                              with every request)
 *   --timeout MS        ECCP_TIMEOUT_MS        5000 (1..3600000)
 *   --format json|table|ics                    json unless stdout is a terminal
 *                                              (ics: search only)
 * demo-data is the exception: everything after its name is its own (it
 * talks to no service), and only options before the name are eccp's.
 *
 * The key is an organisation's ("eccp_<16 hex id>_<32 hex secret>", from
 * `key create`) or the admin key configured on eccp-ingest. Ingest answers
 * UNAUTHENTICATED for a missing, unknown or revoked key, PERMISSION_DENIED
 * for acting for another organisation or a non-admin calling an admin
 * method, RESOURCE_EXHAUSTED (+ "  retry after N ms") past the
 * organisation's rate limit.
 *
 * OUTPUT CONTRACT (tests and scripts depend on it; change with care)
 *
 * JSON is the proto3 JSON mapping of common/json.h: lowerCamelCase names,
 * enums by full name ("CONTENT_KIND_CALL"), 64-bit integers as strings,
 * timestamps as RFC 3339 UTC strings. It is one line followed by "\n" when
 * stdout is not a terminal, indented by two spaces when it is (--format json).
 * Inside messages, fields holding their default value (0, "", false, empty
 * list, unset message) are omitted; the keys written out below are always
 * present. "Every field" means defaults included, an unset message as null.
 * Nothing is written to stdout when a command fails (import: see there).
 * Tables print "name  value" rows (timestamps in RFC 3339, "-" when unset;
 * enums as lower-case short names) or columns with a header row.
 *
 * publish -> the SubmitResponse with every field:
 *   {"id":"call_…","seq":"12","version":"1","outcome":"SUBMIT_OUTCOME_CREATED",
 *    "duplicateOf":""}
 *   (outcome: SUBMIT_OUTCOME_CREATED | _UPDATED (version+1) | _UNCHANGED (an
 *   identical re-submit; seq "0"); duplicateOf: for an event, the id of the
 *   event it duplicates, else ""). The item's organisation is the key's;
 *   only the admin key publishes for the organisationId in the file.
 *   table: "id", "seq", "version", "outcome" (created|updated|unchanged)
 *   rows, and "duplicateOf" when set.
 *
 * withdraw -> the WithdrawResponse with every field:
 *   {"id":"call_…","seq":"13","version":"2"}
 *   table: "id", "seq", "version" rows. An unknown ID prints "not found: ID";
 *   another organisation's item gets PERMISSION_DENIED.
 *
 * import -> counts and the rejected lines, sorted by line:
 *   {"created":N,"updated":N,"unchanged":N,"rejected":N,"duplicates":N,
 *    "errors":[{"line":17,"errors":[{"field":"call.deadline",
 *      "rule":"deadline_after_opening",
 *      "message":"must not be before openingTime"}…]}…]}
 *   (numbers, not strings; duplicates: accepted events whose duplicateOf is
 *   set). A line that does not decode is rejected here, never sent:
 *   {"field":PATH,"rule":"json","message":WHAT} from the decoder's
 *   "PATH: WHAT", or field "" and message "offset N: WHAT" for bad syntax.
 *   A line over 3 MiB: field "", rule "too_large". An item ingest refused
 *   without field errors: field "", rule the status code ("NOT_FOUND"),
 *   message the status message.
 *   table: rows "created", "updated", "unchanged", "rejected", "duplicates",
 *   then, after an empty line, one line per error:
 *     line 17: call.deadline: deadline_after_opening — must not be before openingTime
 *     line 23: json — offset 5: expected ':'
 *   ("line N: " FIELD ": " RULE " — " MESSAGE, parts left out when empty).
 *   Exit 0 when nothing was rejected, else 1 (the output is still printed).
 *   If the import stops (an error status for a whole batch, or a batch that
 *   still fails after --retries resends), stdout stays empty and stderr
 *   ends with "eccp: import stopped after line N: created C, updated U,
 *   unchanged K, rejected R so far; running it again is safe" (or "eccp:
 *   import stopped before any batch was answered").
 *   On a terminal, stderr shows "import  [####------] 4500/10000 lines  45%
 *   1234 items/s" ("import  4500 lines  1234 items/s" when the input is not
 *   a regular file), erased at the end. Each resend is reported as below,
 *   except that waits for the rate limit are reported only the first time.
 *
 * org create -> the OrgCreateResponse with every field:
 *   {"organisation":{"id":"org_…","name":"…","country":"BE",
 *    "createdTime":"2025-01-31T09:00:00Z"},"outcome":"SUBMIT_OUTCOME_CREATED"}
 *   table: "id", "name", "country", "createdTime", "outcome" rows.
 * org list -> {"organisations":[Organisation…],"nextPageToken":"…"}
 *   ("" on the last page and with --all); table: columns ID COUNTRY
 *   CREATED NAME, then "N organisations[ (more with --all)]".
 *
 * key create -> the KeyCreateResponse with every field:
 *   {"key":{"id":"…","organisationId":"org_…","label":"…",
 *    "createdTime":"…","revokedTime":null},"secret":"eccp_<16 hex>_<32 hex>"}
 *   table: "id", "organisationId", "label", "createdTime", "secret" rows.
 *   When stderr is a terminal it adds "eccp: store the secret now: it cannot
 *   be shown again (ingest keeps only its hash)".
 * key list -> {"keys":[ApiKeyInfo…]} (revokedTime only on revoked keys);
 *   table: columns ID ORGANISATION CREATED REVOKED LABEL ("-" for none),
 *   then "N keys".
 * key revoke -> the KeyRevokeResponse with every field:
 *   {"key":{"id":…,"organisationId":…,"label":…,"createdTime":…,
 *    "revokedTime":"…"}}
 *   table: the key's rows as for key create (revokedTime when set), no
 *   secret. An unknown KEY_ID prints "not found: KEY_ID".
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
 * search -> {"hits":[SearchHit…],"nextPageToken":"…","total":"N"[,"facets":F]}
 *   a hit: {"item":{ContentItem as get prints it},"score":1.5,
 *   "callStatus":"CALL_STATUS_OPEN","otherSources":[{"id","organisationId",
 *   "url"}…]} (defaults omitted: score without words, callStatus but for
 *   calls, otherSources but for events published by several organisations);
 *   total is the whole result's count; F, only with --facets:
 *   {"kinds":[{"value":"CONTENT_KIND_EVENT","count":"120"}…],"countries":
 *   [{"value":"DE",…}…],"ecosystems":[…],"callStatuses":[…]}. With --all
 *   every page's hits in one such object, the first page's total and facets,
 *   nextPageToken "".
 *   WORDS are joined with spaces into the query text, passed as typed (all
 *   words must occur, "phrases", prefix*, -word; diacritics and case do not
 *   matter); after 'search' a "-word" is a word, not an option. Filters:
 *   lists are comma-separated; --kind by name (cluster…), --ecosystem and
 *   --status by their short names in any case, '-' for '_' ("agri-food"),
 *   or full names; --country upper-cased, two letters each; DATE is
 *   YYYY-MM-DD (00:00:00Z; 23:59:59Z for --to and --deadline-before) or RFC
 *   3339. --limit is 1..500 here; --all without --limit asks for pages of
 *   500.
 *   table: columns KIND DATE COUNTRY TITLE/NAME ID. DATE is an event's
 *   start, a news item's publication or a call's deadline (YYYY-MM-DD; "-"
 *   for a cluster); COUNTRY a cluster's or event's country, or up to three
 *   of a news item's or call's countries and "+N"; TITLE/NAME is cut to the
 *   terminal's width (60 characters off a terminal) and carries
 *   "[withdrawn] ", a call's "[open] " / "[closed] " / "[forthcoming] " and
 *   an event's " [+N sources]" (" [+1 source]"). Then "N of TOTAL hits[ (more
 *   with --all)]" and, with --facets, an empty line and one line per facet
 *   that has counts, largest first, e.g.
 *     kind: event 120, news 30
 *     country: DE 40, FR 31
 *     ecosystem: digital 50, agri_food 12
 *     call status: open 3, closed 1
 *   --format ics: the CalendarResponse's ics text of the same search,
 *   written as received (no newline added; an empty calendar when nothing
 *   matches).
 *
 * stats -> the StatsResponse with every field:
 *   {"total":"N","counts":{"kinds":[FacetCount…],"countries":[…],
 *    "ecosystems":[…],"callStatuses":[…]},"clusters":"N",
 *    "clustersOutsideEurope":"N","organisations":"N"}
 *   table: rows "total", "clusters", "clusters outside Europe",
 *   "organisations"; then, each after an empty line and largest first,
 *   columns KIND ITEMS, ECOSYSTEM ITEMS and COUNTRY ITEMS (at most 15
 *   countries, then "(top 15 of N countries; JSON lists all)").
 *
 * campaign create -> the CampaignCreateResponse with every field:
 *   {"campaign":{"id":…,"name":…,"windowStart":…,"windowEnd":…,"kinds":[…],
 *    "ecosystems":[…],"countries":[…],"keywords":[…]},"created":true|false}
 *   (created false: the same campaign existed). Needs the admin key.
 *   table: the campaign's set fields as rows, then "outcome" (created |
 *   already existed). A refusal (ALREADY_EXISTS for another definition
 *   under the id, PERMISSION_DENIED, INVALID_ARGUMENT) is reported as any
 *   error status and exits 1.
 * campaign list -> {"campaigns":[{"campaign":{…every field…},"items":"N"}…]}
 *   table: columns ID FROM TO KINDS ITEMS NAME (FROM, TO: the window's
 *   dates; KINDS "event,news"), then "N campaigns".
 * campaign show -> the CampaignShowResponse with every field:
 *   {"campaign":{…},"stats":{…as stats…}}
 *   table: the campaign's rows, an empty line, then the stats table. An
 *   unknown ID prints "not found: ID".
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
 * partners -> {"results":[PartnerResult…],"total":"N","indexed":"N"}
 *   (the PartnerSearchResponse; total: profiles that pass the filters,
 *   indexed: profiles in the partner index). A result: {"clusterId","name",
 *   "country","location":{"latitude","longitude"},"hasDistance":true,
 *   "distanceKm":264.3,"score":0.8,"reasons":[{"criterion","use","weight",
 *   "score","explanation"}…]} with defaults omitted; reasons only with
 *   --explain (in every format, so that the flag means the same everywhere).
 *   Each criterion flag is a filter; --prefer NAME[=WEIGHT] (repeatable, or a
 *   list) makes criterion NAME a preference (weight in (0, 100]; none: the
 *   service's default, 50). Values the command line cannot mean (a latitude
 *   of 95, a weight of 0, --within without --near) exit 2 naming the option;
 *   what the service refuses (an unknown cluster) prints its status and
 *   field errors and exits 1.
 *   table: columns RANK SCORE NAME COUNTRY DISTANCE ID (score "0.83",
 *   distance "264 km", "-" without one; NAME cut to 40 characters), with
 *   --explain after each row one line per reason:
 *       technologies  prefer w=80  0.50  shares 1 of 2 technologies: …
 *   (criterion, "filter" or "prefer w=W", score, explanation); then "N of
 *   TOTAL partners (K profiles indexed)[; more with --offset M]".
 *   --format geojson: {"type":"FeatureCollection","features":[{"type":
 *   "Feature","geometry":{"type":"Point","coordinates":[LON,LAT]},
 *   "properties":{"rank":1,"clusterId","name","country","score","distanceKm"
 *   (null when none)[,"reasons":[…]]}}…]}; results without a location are
 *   left out (RFC 7946 has no empty point).
 *
 * mm create|show|register|unregister|request|respond|schedule|lock|unlock|
 *   agenda -> the method's response as proto3 JSON (defaults omitted):
 *   {"event":{…}}, {"event","registrations","requests","meetings","report"},
 *   {"registration":{…}}, {"registration":{…},"meetingsCancelled":N,
 *   "requestsWithdrawn":N}, {"request":{…}}, {"request":{…}},
 *   {"meetings":[…],"report":{…}}, {"meeting":{…}} (lock and unlock),
 *   {"meetings":[…],"icalendar":"…"}. Every call carries a fresh request
 *   id, so running a command again is a new request (one timed-out call is
 *   resent under the same id).
 *   table: create, register, request, respond: the message's set fields as
 *   rows. show: the event's rows, then tables CLUSTER NAME SLOTS WISHES
 *   (slots as "0-3,6", "all" for every slot), REQUEST FROM TO STATE EXPIRES
 *   MESSAGE and the meetings, the report, and "N registrations, N requests,
 *   N meetings". schedule: the meetings (SLOT START TABLE CLUSTER A CLUSTER B
 *   KIND LOCKED) and the report; lock, unlock: the meeting in those columns;
 *   unregister: the registration's rows, then "unregistered; N meetings
 *   cancelled, N requests withdrawn". The report:
 *     placed 7 of 9 meetings wanted: mutual 3/3, accepted 2/3, suggested 2/3
 *     mutual wishes placed: 100%
 *     idle gaps between a cluster's meetings: mean 0.33, max 1, total 2 slots
 *     value 2310.0 of at most 2400.0, found in 3 ms
 *   agenda: START END TABLE WITH KIND sorted by slot, then "N meetings";
 *   --ical: the iCalendar text exactly as received (CRLF lines, no newline
 *   added). respond takes accept or decline (any case; else exit 2).
 *
 * demo-data -> JSON Lines in the import format on stdout or --out FILE;
 *   cli/demo_data.h documents its options and output.
 *
 * ERRORS go to stderr:
 *   eccp: cannot reach ingest at tcp://127.0.0.1:7410: connection refused
 *   eccp: cannot reach catalog at URL: no reply within 5000 ms, twice (request id …)
 *   eccp: no reply from ingest within 5000 ms; retrying once (request id …)
 *   eccp: ingest: INVALID_ARGUMENT: invalid request: 2 field errors
 *     call.title: required — call.title is required      (field: rule — message)
 *   eccp: ingest: RESOURCE_EXHAUSTED: …
 *     retry after 1500 ms
 *   FILE: deadline: not an RFC 3339 time     (JSON decode error, path relative
 *                                             to the item; "<stdin>" for -)
 *   not found: ID                            (get, withdraw, key revoke,
 *                                             campaign show)
 *   eccp: import: batch from line 1001: no reply within 5000 ms; resending in
 *     400 ms (request id 3f…, retry 2 of 10)           (one line)
 *   eccp: unknown command 'x'                (usage errors, then a hint line:)
 *   Run 'eccp --help' for usage.
 *
 * EXIT STATUS: 0 success; 1 failure (service down, error status, bad file,
 * an import with rejected lines); 2 bad usage (unknown command or option,
 * missing argument or required option, bad KIND or value, a bad date).
 *
 * A call that times out is sent once more with the same request_id, which the
 * server deduplicates, so a publish is never applied twice by the retry.
 * import goes further: a batch's request_id is the first 32 hex digits of
 * the SHA-256 of its lines, its first line number and the caller (the key
 * id of an organisation key, else "admin"; cmd_import.c), so a batch resent
 * by a later run is deduplicated as well, and reports the outcomes of its
 * first sending (a re-run shows "created" for items it did not create). */
#include "cli.h"

#include "demo_data.h"

#include <errno.h>
#include <string.h>

static int cli_cmd_help(cli_ctx *ctx)
{
	if (ctx->argc == 0) {
		cli_print_help(stdout, NULL);
		return CLI_EXIT_OK;
	}
	int words;
	const cli_command *cmd = cli_find_command(ctx->argc, ctx->argv, &words);
	if (cmd == NULL && words == 1 && ctx->argc == 1) {
		cli_print_group_help(stdout, ctx->argv[0]);
		return CLI_EXIT_OK;
	}
	if (cmd == NULL && words == 1)
		return cli_usage_error(NULL, "unknown command '%s %s'", ctx->argv[0],
		                       ctx->argv[1]);
	if (cmd == NULL)
		return cli_usage_error(NULL, "unknown command '%s'", ctx->argv[0]);
	if (words < ctx->argc)
		return cli_usage_error(ctx->cmd, "help: unexpected argument '%s'",
		                       ctx->argv[words]);
	cli_print_help(stdout, cmd);
	return CLI_EXIT_OK;
}

static int cli_cmd_demo_data(cli_ctx *ctx)
{
	return cli_demo_data(ctx->argc, ctx->argv);
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
            "  "
            "{\"externalId\":\"c-1\",\"title\":\"…\",\"deadline\":\"2025-06-30T17:00:"
            "00Z\"}\n"
            "The item is published for the organisation of the API key (--key);\n"
            "only the admin key publishes for the organisationId in the file.\n"
            "Submitting an item again updates it (same id or externalId); an\n"
            "identical one changes nothing.\n"
            "\n"
            "Prints the SubmitResponse: id, seq, version, outcome (created,\n"
            "updated or unchanged) and, for an event that duplicates another,\n"
            "duplicateOf. JSON: {\"id\":…,\"seq\":\"N\",\"version\":\"N\",\n"
            "\"outcome\":\"SUBMIT_OUTCOME_CREATED\",\"duplicateOf\":\"\"}. A rejected "
            "item\n"
            "prints the reason and one line per field error to stderr and exits 1.\n",
        .run = cli_cmd_publish,
    },
    {
        .name = "withdraw",
        .args = "ID",
        .argnames = "ID",
        .min_args = 1,
        .max_args = 1,
        .summary = "Withdraw a published item (its id stays reserved)",
        .details =
            "Only the organisation that published the item (or the admin) may\n"
            "withdraw it. Prints the WithdrawResponse: id, seq and the new\n"
            "version. JSON: {\"id\":…,\"seq\":\"N\",\"version\":\"N\"}. An unknown ID\n"
            "prints \"not found: ID\" to stderr and exits 1.\n",
        .run = cli_cmd_withdraw,
    },
    {
        .name = "import",
        .args = "FILE",
        .argnames = "FILE",
        .min_args = 1,
        .max_args = 1,
        .summary = "Submit many items from a JSON Lines file, in batches",
        .details =
            "FILE (\"-\": stdin) holds one SubmitRequest per line in proto3 JSON:\n"
            "  {\"call\":{…}}  {\"cluster\":{…}}  {\"organisation\":{…}} (admin only)\n"
            "Blank lines and lines starting with # are skipped. A line that does\n"
            "not decode is rejected here, with its line number. The rest go to\n"
            "eccp-ingest in SubmitBatch requests of --batch items (and at most\n"
            "3 MiB of lines), in file order.\n"
            "\n"
            "Running an import again is safe: each batch's request id comes from\n"
            "its content (SHA-256 of its lines and first line number), so a batch\n"
            "already applied gets its first answer back, and other items come back\n"
            "unchanged. A batch is resent under the same id after a timeout or\n"
            "UNAVAILABLE (backoff from 200 ms to 10 s) and after RESOURCE_EXHAUSTED\n"
            "(when the server says), up to --retries times. On a terminal stderr\n"
            "shows progress: lines done of the total, items per second.\n"
            "\n"
            "Prints the counts and every rejected line. Table: created, updated,\n"
            "unchanged, rejected, duplicates (events marked duplicateOf), then\n"
            "  line 17: call.deadline: deadline_after_opening — must not be before "
            "openingTime\n"
            "JSON: {\"created\":N,\"updated\":N,\"unchanged\":N,\"rejected\":N,\n"
            "\"duplicates\":N,\"errors\":[{\"line\":17,\"errors\":[{\"field\":…,\"rule\":"
            "…,\n"
            "\"message\":…}]}]} (rule \"json\" for a line that did not decode).\n"
            "Exits 0 when nothing was rejected, 1 otherwise; when the import stops\n"
            "early, stdout stays empty and stderr says how far it got.\n",
        .run = cli_cmd_import,
    },
    {
        .name = "org create",
        .args = "--name NAME",
        .argnames = "",
        .min_args = 0,
        .max_args = 0,
        .summary = "Register or update an organisation (admin key)",
        .details =
            "Without --id ingest assigns one; with the id of an existing\n"
            "organisation it updates its name and country. Prints the\n"
            "OrgCreateResponse: the organisation (id, name, country, createdTime)\n"
            "and the outcome (created, updated or unchanged). JSON:\n"
            "{\"organisation\":{\"id\":…,\"name\":…,\"country\":…,\"createdTime\":…},\n"
            "\"outcome\":\"SUBMIT_OUTCOME_CREATED\"}.\n",
        .run = cli_cmd_org_create,
    },
    {
        .name = "org list",
        .args = "",
        .argnames = "",
        .min_args = 0,
        .max_args = 0,
        .summary = "List the organisations (admin key)",
        .details =
            "Prints one page (--all: every page). Table: ID, COUNTRY, CREATED,\n"
            "NAME and an \"N organisations\" footer. JSON:\n"
            "{\"organisations\":[…],\"nextPageToken\":\"…\"} (nextPageToken is \"\" on\n"
            "the last page and with --all).\n",
        .run = cli_cmd_org_list,
    },
    {
        .name = "key create",
        .args = "",
        .argnames = "",
        .min_args = 0,
        .max_args = 0,
        .summary = "Create an API key for an organisation",
        .details =
            "The admin key creates keys for any organisation (--org); an\n"
            "organisation's key for its own only. Prints the key's id,\n"
            "organisationId, label, createdTime and its secret, which is shown\n"
            "this once: ingest stores only a hash. JSON: {\"key\":{\"id\":…,\n"
            "\"organisationId\":…,\"label\":…,\"createdTime\":…,\"revokedTime\":null},\n"
            "\"secret\":\"eccp_<16 hex>_<32 hex>\"}.\n",
        .run = cli_cmd_key_create,
    },
    {
        .name = "key list",
        .args = "",
        .argnames = "",
        .min_args = 0,
        .max_args = 0,
        .summary = "List API keys (never their secrets)",
        .details =
            "An organisation's key lists that organisation's keys; the admin key\n"
            "lists those of --org, or all. Table: ID, ORGANISATION, CREATED,\n"
            "REVOKED, LABEL and an \"N keys\" footer. JSON: {\"keys\":[{\"id\":…,\n"
            "\"organisationId\":…,\"label\":…,\"createdTime\":…,\"revokedTime\":…}…]}\n"
            "(revokedTime only once revoked).\n",
        .run = cli_cmd_key_list,
    },
    {
        .name = "key revoke",
        .args = "KEY_ID",
        .argnames = "KEY_ID",
        .min_args = 1,
        .max_args = 1,
        .summary = "Revoke an API key: requests with it fail from now on",
        .details =
            "KEY_ID is the key's id as key create and key list print it. Prints\n"
            "the key with its revokedTime. JSON: {\"key\":{\"id\":…,…,\n"
            "\"revokedTime\":…}}. An unknown KEY_ID prints \"not found: KEY_ID\" to\n"
            "stderr and exits 1.\n",
        .run = cli_cmd_key_revoke,
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
        .name = "search",
        .args = "[WORDS...]",
        .argnames = "",
        .min_args = 0,
        .max_args = -1,
        .summary = "Search clusters, news, events and calls in eccp-catalog",
        .details =
            "WORDS, joined with spaces, are the query; every filter that is given\n"
            "must hold too (a list: any of its values). The query syntax:\n"
            "  energy storage      both words must occur (in any order)\n"
            "  \"smart grid\"        the phrase (quote it for the shell: '\"smart "
            "grid\"')\n"
            "  hydro*              words starting with hydro\n"
            "  -coal               no item that mentions coal\n"
            "Diacritics and case do not matter (\"Munchen\" finds \"München\").\n"
            "After 'search', a word starting with a single '-' is a query word,\n"
            "not an option. Without WORDS every item that passes the filters is\n"
            "a hit, newest first.\n"
            "\n"
            "Lists are comma-separated (--country DE,FR). DATE is YYYY-MM-DD or an\n"
            "RFC 3339 time; a date alone means 00:00:00Z, except for --to and\n"
            "--deadline-before, where it means 23:59:59Z. The window (--from, --to)\n"
            "keeps events overlapping it, news published in it and calls open\n"
            "during it, and leaves out cluster profiles. --status, --programme and\n"
            "--deadline-* are about calls. Ecosystems: aerospace_defence,\n"
            "agri_food, construction, cultural_creative, digital, electronics,\n"
            "energy_intensive, renewable_energy, health,\n"
            "mobility_transport_automotive, proximity_social_economy, retail,\n"
            "textile, tourism ('-' for '_' and any case are fine).\n"
            "\n"
            "Prints one page of hits (--all: every page, 500 per request unless\n"
            "--limit says). Table: KIND, DATE (an event's start, a news item's\n"
            "publication, a call's deadline; \"-\" for a cluster), COUNTRY,\n"
            "TITLE/NAME (\"[open]\", \"[closed]\" or \"[forthcoming]\" before a\n"
            "call's title, \"[+N sources]\" after an event that other organisations\n"
            "published too), ID; then \"N of TOTAL hits\" and, with --facets, one\n"
            "line per facet: \"kind: event 120, news 30\". JSON:\n"
            "{\"hits\":[{\"item\":{…},\"score\":…,\"callStatus\":…,\"otherSources\":[…]}"
            "…],\n"
            "\"nextPageToken\":\"…\",\"total\":\"N\",\"facets\":{\"kinds\":[{\"value\":\n"
            "\"CONTENT_KIND_EVENT\",\"count\":\"120\"}…],\"countries\":…,\"ecosystems\":"
            "…,\n"
            "\"callStatuses\":…}} (facets only with --facets; with --all the hits of\n"
            "every page, the first page's total and facets, nextPageToken \"\").\n"
            "--format ics writes the matching events (every page; --kind is\n"
            "ignored) as an iCalendar file, exactly as the catalog made it.\n",
        .dash_args = true,
        .run = cli_cmd_search,
    },
    {
        .name = "stats",
        .args = "",
        .argnames = "",
        .min_args = 0,
        .max_args = 0,
        .summary = "Show the catalogue's headline figures, or a campaign's",
        .details =
            "Prints total, clusters, clusters outside Europe and organisations,\n"
            "then the items per kind, per ecosystem and per country (the largest\n"
            "15 in the table), largest first. With --campaign only the campaign's\n"
            "members count. JSON: the StatsResponse with every field:\n"
            "{\"total\":\"N\",\"counts\":{\"kinds\":[{\"value\":\"CONTENT_KIND_EVENT\",\n"
            "\"count\":\"N\"}…],\"countries\":[…],\"ecosystems\":[…],\n"
            "\"callStatuses\":[…]},\"clusters\":\"N\",\"clustersOutsideEurope\":\"N\",\n"
            "\"organisations\":\"N\"}.\n",
        .run = cli_cmd_stats,
    },
    {
        .name = "campaign create",
        .args = "--name NAME --from DATE --to DATE",
        .argnames = "",
        .min_args = 0,
        .max_args = 0,
        .summary = "Define a campaign such as the EU Cluster Weeks (admin key)",
        .details =
            "A campaign is a standing search: a window (--from, --to: YYYY-MM-DD\n"
            "or RFC 3339; --to's date alone means 23:59:59Z), the kinds it collects\n"
            "(default: events) and optional ecosystems, countries and keywords.\n"
            "Its members are whatever the catalogue holds that fits, published\n"
            "before or after it was created. Without --id the catalog makes one\n"
            "from the name. Creating the same campaign again changes nothing;\n"
            "another definition under an existing id is refused (ALREADY_EXISTS).\n"
            "\n"
            "Prints the campaign (id, name, windowStart, windowEnd, kinds,\n"
            "ecosystems, countries, keywords as set) and an \"outcome\" row:\n"
            "created or already existed. JSON: the CampaignCreateResponse with\n"
            "every field: {\"campaign\":{\"id\":…,\"name\":…,\"windowStart\":…,\n"
            "\"windowEnd\":…,\"kinds\":[\"CONTENT_KIND_EVENT\"],\"ecosystems\":[…],\n"
            "\"countries\":[…],\"keywords\":[…]},\"created\":true}.\n",
        .run = cli_cmd_campaign_create,
    },
    {
        .name = "campaign list",
        .args = "",
        .argnames = "",
        .min_args = 0,
        .max_args = 0,
        .summary = "List the campaigns and how many items each holds",
        .details = "Table: ID, FROM, TO (the window's dates), KINDS, ITEMS, NAME and an\n"
                   "\"N campaigns\" footer. JSON: {\"campaigns\":[{\"campaign\":{…},\n"
                   "\"items\":\"N\"}…]} (every field of each).\n",
        .run = cli_cmd_campaign_list,
    },
    {
        .name = "campaign show",
        .args = "ID",
        .argnames = "ID",
        .min_args = 1,
        .max_args = 1,
        .summary = "Show a campaign and its figures",
        .details =
            "Prints the campaign's fields, then its figures as 'eccp stats\n"
            "--campaign ID' does. JSON: the CampaignShowResponse with every field:\n"
            "{\"campaign\":{…},\"stats\":{…StatsResponse…}}. An unknown ID prints\n"
            "\"not found: ID\" to stderr and exits 1.\n",
        .run = cli_cmd_campaign_show,
    },
    {
        .name = "subscribe",
        .args = "--live | --webhook URL [--secret S]",
        .argnames = "",
        .min_args = 0,
        .max_args = 0,
        .summary = "Be told about new calls (or other content) that fit a filter",
        .details =
            "The filter: --kind (default: call), --ecosystem, --technology,\n"
            "--country, --programme, --keyword (words or phrases, matched as the\n"
            "catalog's search matches them) and --min-budget EUR (calls); every\n"
            "one that is given must hold. --remind DAYS[,DAYS] also reminds so many\n"
            "days before a call's deadline. --suggestions also brings partner\n"
            "suggestions for your clusters (eccp-matchmaking's, as a cluster joins\n"
            "or changes its profile); without --kind it brings only those. The\n"
            "channel: --live (read with `eccp listen ID`) or --webhook URL (a\n"
            "signed HTTP POST; the secret is made and shown once unless --secret\n"
            "gives one). The subscription is the key's organisation's; the admin\n"
            "may name another with --org.\n"
            "\n"
            "Prints the subscription (and the secret, once). JSON: the\n"
            "SubscribeResponse: {\"subscription\":{\"id\":…,\"owner\":…,\"filter\":{…},\n"
            "\"live\":{}|\"webhook\":{\"url\":…},\"reminderDays\":[…],\n"
            "\"createdTime\":…},\"secret\":…}.\n",
        .run = cli_cmd_subscribe,
    },
    {
        .name = "subscriptions",
        .args = "",
        .argnames = "",
        .min_args = 0,
        .max_args = 0,
        .summary = "List your subscriptions (the admin: everyone's)",
        .details = "One row per subscription: id, owner, channel, paused, how many\n"
                   "notifications it has had, and its filter. JSON: the\n"
                   "SubscriptionListResponse {\"subscriptions\":[…]}.\n",
        .run = cli_cmd_subscriptions,
    },
    {
        .name = "unsubscribe",
        .args = "ID",
        .argnames = "ID",
        .min_args = 1,
        .max_args = 1,
        .summary = "Delete a subscription",
        .details = "Prints \"deleted ID\". JSON: the SubscriptionChangeResponse with\n"
                   "the subscription as it was.\n",
        .run = cli_cmd_unsubscribe,
    },
    {
        .name = "listen",
        .args = "ID",
        .argnames = "ID",
        .min_args = 1,
        .max_args = 1,
        .summary = "Print a live subscription's notifications as JSON lines",
        .details =
            "One Notification per line ({\"id\":…,\"subscriptionId\":…,\"seq\":…,\n"
            "\"kind\":\"NOTIFICATION_KIND_NEW\",\"item\":{…},\"time\":…}), in\n"
            "order of seq, each once: it starts after --after SEQ (default: the\n"
            "newest there is), fetches what it missed whenever the numbers skip or\n"
            "the socket is quiet for a second (after a disconnect or a restart of\n"
            "either side), and stops on Ctrl-C or after --max N.\n",
        .run = cli_cmd_listen,
    },
    {
        .name = "deliveries",
        .args = "[--subscription ID] [--failed]",
        .argnames = "",
        .min_args = 0,
        .max_args = 0,
        .summary = "Webhook deliveries of your subscriptions, or the dead-letter list",
        .details =
            "One row per delivery: notification id, subscription, seq, state\n"
            "(pending, delivered, retrying, failed), attempts, the last HTTP status\n"
            "and error, and when a retrying one is tried next. --failed: only the\n"
            "dead-letter list. JSON: the DeliveriesResponse {\"deliveries\":[…]}.\n",
        .run = cli_cmd_deliveries,
    },
    {
        .name = "redeliver",
        .args = "NOTIFICATION-ID",
        .argnames = "NOTIFICATION-ID",
        .min_args = 1,
        .max_args = 1,
        .summary = "Try a webhook delivery again from the start",
        .details = "Its attempts start again at once; a subscription a 410 Gone\n"
                   "disabled is enabled again. JSON: the RedeliverResponse.\n",
        .run = cli_cmd_redeliver,
    },
    {
        .name = "partners",
        .args = "",
        .argnames = "",
        .min_args = 0,
        .max_args = 0,
        .summary = "Look for partner clusters by criteria of your own (eccp-matchmaking)",
        .details =
            "Each criterion given is a filter: a profile must meet it to be found.\n"
            "--prefer NAME[=WEIGHT] makes criterion NAME a preference instead: it\n"
            "no longer filters but scores from 0 to 1 with WEIGHT (more than 0, at\n"
            "most 100; default 50), and results rank by the weighted mean of the\n"
            "preferences (every result scores 1 without any). NAME is ecosystems,\n"
            "sectors, technologies, emerging, value-chains, countries, nuts,\n"
            "languages, distance, members, smes, label or text, e.g.\n"
            "  eccp partners --technology hydrogen,batteries --near 50.85,4.35 \\\n"
            "    --within 500 --prefer technologies=80 --prefer distance=20\n"
            "Lists are comma-separated; a list matches when one value does.\n"
            "--ecosystem takes the names 'eccp search' does (digital, agri-food,\n"
            "health, mobility-transport-automotive, ...); --country and\n"
            "--exclude-country ISO 3166-1 codes; --language ISO 639-1 codes; --nuts\n"
            "region codes matched as prefixes (DE2 matches DE21). --near LAT,LON or\n"
            "--near-cluster ID go with --within KM (great-circle distance).\n"
            "--members and --smes take MIN, MIN-MAX or -MAX. --label is the least\n"
            "excellence label: bronze, silver or gold. --text finds words in a\n"
            "profile's name, technologies, sectors and description.\n"
            "--similar-to ID ranks by likeness to cluster ID; --complementary-to\n"
            "ID ranks first the clusters that offer what ID looks for and look for\n"
            "what ID offers (one-sided matches rank below).\n"
            "\n"
            "Table: RANK, SCORE, NAME, COUNTRY, DISTANCE (from --near or\n"
            "--near-cluster, else from the cluster of --similar-to or\n"
            "--complementary-to), ID, then \"N of TOTAL partners\". --explain adds one\n"
            "line per criterion under each result:\n"
            "    technologies  prefer w=80  0.50  shares 1 of 2 technologies: hydrogen\n"
            "JSON: the PartnerSearchResponse, "
            "{\"results\":[{\"clusterId\":…,\"name\":…,\n"
            "\"country\":…,\"location\":{\"latitude\":…,\"longitude\":…},\"hasDistance\":"
            "\n"
            "true,\"distanceKm\":264.3,\"score\":0.8,\"reasons\":[{\"criterion\":…,\n"
            "\"use\":\"CRITERION_USE_PREFER\",\"weight\":80,\"score\":0.5,"
            "\"explanation\":\n"
            "…}]}…],\"total\":\"N\",\"indexed\":\"N\"}; reasons only with --explain.\n"
            "--format geojson: a GeoJSON FeatureCollection (RFC 7946) of the\n"
            "results that have a location, each a Point [lon, lat] with properties\n"
            "rank, clusterId, name, country, score, distanceKm (null when there is\n"
            "none) and, with --explain, reasons. A criterion the service refuses\n"
            "(an unknown cluster, say) prints its field errors and exits 1.\n",
        .run = cli_cmd_partners,
    },
    {
        .name = "mm create",
        .args = "--name NAME --start TIME --slots N --tables N --meeting-minutes M",
        .argnames = "",
        .min_args = 0,
        .max_args = 0,
        .summary = "Create a B2B matchmaking event organised by your organisation",
        .details =
            "Slot i (from 0) starts at --start + i * (meeting minutes + break\n"
            "minutes); --tables meetings run at once. --start is an RFC 3339 time\n"
            "(2026-05-12T09:00:00+02:00). The key's organisation organises it and\n"
            "alone schedules it; the admin key may name the organiser with --org\n"
            "(without one, only the admin schedules). Meeting requests expire after\n"
            "--expiry-hours (default 72). Prints the event with its id. JSON: the\n"
            "MmCreateResponse {\"event\":{\"id\":…,\"organiserId\":…,\"name\":…,\n"
            "\"startTime\":…,\"slots\":N,\"meetingMinutes\":M,…}}.\n",
        .run = cli_cmd_mm_create,
    },
    {
        .name = "mm show",
        .args = "EVENT",
        .argnames = "EVENT",
        .min_args = 1,
        .max_args = 1,
        .summary = "Show a matchmaking event: registrations, requests, schedule",
        .details =
            "Prints the event, then its registrations (CLUSTER, NAME, SLOTS,\n"
            "WISHES), meeting requests (ID, FROM, TO, STATE, EXPIRES, MESSAGE), the\n"
            "meetings of its schedule and the schedule's report. JSON: the\n"
            "MmShowResponse {\"event\":{…},\"registrations\":[…],\"requests\":[…],\n"
            "\"meetings\":[…],\"report\":{…}}.\n",
        .run = cli_cmd_mm_show,
    },
    {
        .name = "mm register",
        .args = "EVENT CLUSTER",
        .argnames = "EVENT CLUSTER",
        .min_args = 2,
        .max_args = 2,
        .summary = "Register one of your clusters for a matchmaking event",
        .details =
            "--slots-available lists the slots (from 0) it can meet in, as numbers\n"
            "and ranges: 0,1,4-7 (default: every slot). --wish names the clusters\n"
            "it wishes to meet; two clusters that wish to meet each other get a\n"
            "mutual meeting. Registering again replaces the registration. JSON: the\n"
            "MmRegisterResponse {\"registration\":{\"eventId\":…,\"clusterId\":…,\n"
            "\"availableSlots\":[…],\"wishes\":[…],…}}.\n",
        .run = cli_cmd_mm_register,
    },
    {
        .name = "mm unregister",
        .args = "EVENT CLUSTER",
        .argnames = "EVENT CLUSTER",
        .min_args = 2,
        .max_args = 2,
        .summary = "Take a cluster out of a matchmaking event",
        .details =
            "The cluster's own organisation, the event's organiser or the admin\n"
            "unregisters it, before the event begins. Its pending and accepted\n"
            "meeting requests, both ways, become withdrawn; its meetings leave the\n"
            "schedule, and its partners' agendas and its own (--ical) show them\n"
            "cancelled. It may register again; its old requests stay withdrawn.\n"
            "Prints the registration it had and what was cancelled. JSON: the\n"
            "MmUnregisterResponse {\"registration\":{…},\"meetingsCancelled\":N,\n"
            "\"requestsWithdrawn\":N} (a count of 0 is left out).\n",
        .run = cli_cmd_mm_unregister,
    },
    {
        .name = "mm request",
        .args = "EVENT FROM TO",
        .argnames = "EVENT FROM TO",
        .min_args = 3,
        .max_args = 3,
        .summary = "Ask for a meeting between your cluster FROM and cluster TO",
        .details = "TO's organisation accepts or declines it with 'eccp mm respond'; an\n"
                   "accepted request becomes a meeting in the next schedule, one not\n"
                   "answered in time expires. Prints the request with its id. JSON: the\n"
                   "MmRequestResponse {\"request\":{\"id\":…,\"state\":\n"
                   "\"REQUEST_STATE_PENDING\",\"expiresTime\":…,…}}.\n",
        .run = cli_cmd_mm_request,
    },
    {
        .name = "mm respond",
        .args = "REQUEST accept|decline",
        .argnames = "REQUEST ANSWER",
        .min_args = 2,
        .max_args = 2,
        .summary = "Accept or decline a meeting request made to your cluster",
        .details = "Prints the request in its new state. JSON: the MmRespondResponse\n"
                   "{\"request\":{\"id\":…,\"state\":\"REQUEST_STATE_ACCEPTED\",…}}.\n",
        .run = cli_cmd_mm_respond,
    },
    {
        .name = "mm schedule",
        .args = "EVENT",
        .argnames = "EVENT",
        .min_args = 1,
        .max_args = 1,
        .summary = "Place the event's meetings into slots and tables (organiser)",
        .details =
            "Places the mutual wishes and accepted requests (with --suggested also\n"
            "the pairs partner matching suggests) where both clusters are free,\n"
            "keeping meetings locked before where they are. --lock locks every\n"
            "meeting placed now; --unlock first forgets earlier locks; --seed N\n"
            "makes the schedule repeatable. Prints\n"
            "the meetings (SLOT, START, TABLE, CLUSTER A, CLUSTER B, KIND, LOCKED)\n"
            "and the report: meetings placed of those wanted, per kind (mutual,\n"
            "accepted, suggested), the share of mutual wishes placed, and the idle\n"
            "gaps between a cluster's meetings. JSON: the MmScheduleResponse\n"
            "{\"meetings\":[…],\"report\":{\"wanted\":N,\"placed\":N,\"mutualShare\":…,\n"
            "…}}.\n",
        .run = cli_cmd_mm_schedule,
    },
    {
        .name = "mm lock",
        .args = "EVENT CLUSTER_A CLUSTER_B",
        .argnames = "EVENT CLUSTER_A CLUSTER_B",
        .min_args = 3,
        .max_args = 3,
        .summary = "Keep one meeting of the schedule where it is (organiser)",
        .details =
            "Locks the meeting of the two clusters (in either order) in its slot\n"
            "and at its table: later schedules keep it there, and neither cluster\n"
            "can take that slot out of its availability until it is unlocked. A\n"
            "meeting is locked only where both clusters are still available.\n"
            "Prints the meeting (SLOT, START, TABLE, CLUSTER A, CLUSTER B, KIND,\n"
            "LOCKED). JSON: the MmLockResponse {\"meeting\":{…,\"locked\":true}}.\n",
        .run = cli_cmd_mm_lock,
    },
    {
        .name = "mm unlock",
        .args = "EVENT CLUSTER_A CLUSTER_B",
        .argnames = "EVENT CLUSTER_A CLUSTER_B",
        .min_args = 3,
        .max_args = 3,
        .summary = "Let one meeting of the schedule move again (organiser)",
        .details =
            "Unlocks the meeting of the two clusters (in either order): the next\n"
            "schedule may move it. Prints the meeting as 'mm lock' does. JSON: the\n"
            "MmLockResponse {\"meeting\":{…}} (\"locked\" left out: false).\n",
        .run = cli_cmd_mm_unlock,
    },
    {
        .name = "mm agenda",
        .args = "EVENT CLUSTER",
        .argnames = "EVENT CLUSTER",
        .min_args = 2,
        .max_args = 2,
        .summary = "One cluster's meetings at a matchmaking event",
        .details = "Prints START, END, TABLE, WITH (the other cluster) and KIND per\n"
                   "meeting, in time order. --ical prints the agenda as an iCalendar\n"
                   "file, exactly as the service made it, for a calendar program. JSON:\n"
                   "the MmAgendaResponse "
                   "{\"meetings\":[…],\"icalendar\":\"BEGIN:VCALENDAR…\"}.\n",
        .run = cli_cmd_mm_agenda,
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
        .name = "demo-data",
        .args = "[OPTIONS]",
        .argnames = "",
        .min_args = 0,
        .max_args = -1,
        .summary = "Write made-up content as JSON Lines for 'eccp import'",
        .details =
            "Its options are its own (--scale N, --seed S, --out FILE, --orgs N,\n"
            "--news N, --events N, --calls N): everything after 'demo-data' goes\n"
            "to it; 'eccp demo-data --help' lists them. The same options and seed\n"
            "give the same file. For example:\n"
            "  eccp demo-data --scale 1 --seed 7 > demo.jsonl\n"
            "  eccp import demo.jsonl\n",
        .raw = true,
        .run = cli_cmd_demo_data,
    },
    {
        .name = "help",
        .args = "[COMMAND]",
        .argnames = "",
        .min_args = 0,
        .max_args = 2,
        .summary = "Show help for a command",
        .details = "COMMAND may be a group (org, key, campaign, mm) to list its\n"
                   "commands.\n",
        .run = cli_cmd_help,
    },
};

const size_t cli_n_commands = ECCP_ARRAY_LEN(cli_commands);

bool cli_is_group(const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < cli_n_commands; i++)
		if (strncmp(cli_commands[i].name, name, n) == 0 &&
		    cli_commands[i].name[n] == ' ')
			return true;
	return false;
}

const cli_command *cli_find_command(int argc, char *const *argv, int *words)
{
	*words = 0;
	if (argc < 1)
		return NULL;
	for (size_t i = 0; i < cli_n_commands; i++)
		if (strcmp(cli_commands[i].name, argv[0]) == 0) {
			*words = 1;
			return &cli_commands[i];
		}
	if (!cli_is_group(argv[0]))
		return NULL;
	*words = 1;
	if (argc < 2)
		return NULL;
	size_t n = strlen(argv[0]);
	for (size_t i = 0; i < cli_n_commands; i++) {
		const char *name = cli_commands[i].name;
		if (strncmp(name, argv[0], n) == 0 && name[n] == ' ' &&
		    strcmp(name + n + 1, argv[1]) == 0) {
			*words = 2;
			return &cli_commands[i];
		}
	}
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
