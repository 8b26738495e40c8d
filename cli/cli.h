/* Shared declarations of the eccp command-line tool. main.c documents what each
 * command prints; this header only ties the pieces together. */
#ifndef ECCP_CLI_H
#define ECCP_CLI_H

#include "rpc.h"
#include "util.h"

#include "eccp/v1/catalog.pb-c.h"
#include "eccp/v1/common.pb-c.h"
#include "eccp/v1/content.pb-c.h"
#include "eccp/v1/ingest.pb-c.h"

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Exit statuses, the contract scripts rely on. */
enum {
	CLI_EXIT_OK = 0,
	CLI_EXIT_FAIL = 1,  /* the command ran and failed, or a service is down */
	CLI_EXIT_USAGE = 2, /* the command line itself is wrong */
};

/* Indexes into the one option table (args.c). */
enum {
	CLI_OPT_INGEST,
	CLI_OPT_CATALOG,
	CLI_OPT_BROKER_ADMIN,
	CLI_OPT_KEY,
	CLI_OPT_TIMEOUT,
	CLI_OPT_FORMAT,
	CLI_OPT_LIMIT,
	CLI_OPT_ALL,
	CLI_OPT_NAME,
	CLI_OPT_COUNTRY,
	CLI_OPT_ID,
	CLI_OPT_ORG,
	CLI_OPT_LABEL,
	CLI_OPT_BATCH,
	CLI_OPT_RETRIES,
	CLI_OPT_KIND,
	CLI_OPT_ECOSYSTEM,
	CLI_OPT_TECHNOLOGY,
	CLI_OPT_NUTS,
	CLI_OPT_FROM,
	CLI_OPT_TO,
	CLI_OPT_STATUS,
	CLI_OPT_PROGRAMME,
	CLI_OPT_DEADLINE_AFTER,
	CLI_OPT_DEADLINE_BEFORE,
	CLI_OPT_CAMPAIGN,
	CLI_OPT_SORT,
	CLI_OPT_FACETS,
	CLI_OPT_AS_OF,
	CLI_OPT_KEYWORD,
	CLI_OPT_NOTIFICATION,
	CLI_OPT_MATCHMAKING,
	CLI_OPT_LIVE_URL,
	CLI_OPT_LIVE,
	CLI_OPT_WEBHOOK,
	CLI_OPT_SECRET,
	CLI_OPT_MIN_BUDGET,
	CLI_OPT_REMIND,
	CLI_OPT_AFTER,
	CLI_OPT_MAX,
	CLI_OPT_FAILED,
	CLI_OPT_SUBSCRIPTION,
	CLI_OPT_SUGGESTIONS,
	CLI_OPT_OFFSET,
	CLI_OPT_EXPLAIN,
	CLI_OPT_PREFER,
	CLI_OPT_SECTOR,
	CLI_OPT_EMERGING,
	CLI_OPT_VALUE_CHAIN,
	CLI_OPT_EXCLUDE_COUNTRY,
	CLI_OPT_LANGUAGE,
	CLI_OPT_NEAR,
	CLI_OPT_NEAR_CLUSTER,
	CLI_OPT_WITHIN,
	CLI_OPT_MEMBERS,
	CLI_OPT_SMES,
	CLI_OPT_TEXT,
	CLI_OPT_SIMILAR_TO,
	CLI_OPT_COMPLEMENTARY_TO,
	CLI_OPT_START,
	CLI_OPT_SLOTS,
	CLI_OPT_TABLES,
	CLI_OPT_MEETING_MINUTES,
	CLI_OPT_BREAK_MINUTES,
	CLI_OPT_TIME_ZONE,
	CLI_OPT_VENUE,
	CLI_OPT_EXPIRY_HOURS,
	CLI_OPT_SLOTS_AVAILABLE,
	CLI_OPT_WISH,
	CLI_OPT_MESSAGE,
	CLI_OPT_SUGGESTED,
	CLI_OPT_LOCK,
	CLI_OPT_UNLOCK,
	CLI_OPT_SEED,
	CLI_OPT_ICAL,
	CLI_OPT_HELP,
	CLI_OPT_VERSION,
	CLI_OPT_COUNT
};

struct cli_command;

typedef struct cli_ctx {
	/* Every option's value after defaults < environment < flags; "" when
	 * an option without a default was not given. */
	const char *opt[CLI_OPT_COUNT];
	bool given[CLI_OPT_COUNT]; /* set by a flag */
	const char *ingest_url;
	const char *catalog_url;
	const char *notification_url;
	const char *matchmaking_url;
	const char *broker_admin_url;
	const char *api_key;
	int timeout_ms;
	bool json;    /* JSON rather than a table on stdout */
	bool pretty;  /* indent the JSON (stdout is a terminal) */
	bool ics;     /* search: the events as iCalendar (--format ics) */
	bool geojson; /* partners: a GeoJSON FeatureCollection (--format geojson) */
	unsigned limit;
	bool all;
	unsigned batch;   /* import: items per SubmitBatch */
	unsigned retries; /* import: resends of one batch */
	const struct cli_command *cmd;
	/* Positional arguments after the command's name (all its words: "org
	 * create"); for a raw command every argument from its name on. */
	int argc;
	char **argv;
} cli_ctx;

typedef struct cli_command {
	/* One word, or a group and a word ("org create"): the group alone
	 * ("eccp help org") lists its commands. */
	const char *name;
	const char *args;     /* argument synopsis, e.g. "KIND FILE" */
	const char *argnames; /* names of required arguments, space-separated */
	int min_args, max_args;
	const char *summary; /* one line for the command list */
	const char *details; /* the rest of `eccp help NAME` */
	/* Parses its own options: everything after its name is handed over
	 * untouched (argv[0] is the name), and --help goes to it too. */
	bool raw;
	/* Arguments after its name that start with a single '-' ("-word")
	 * are positional, not options ("-h" stays --help). */
	bool dash_args;
	int (*run)(cli_ctx *ctx);
} cli_command;

extern const cli_command cli_commands[];
extern const size_t cli_n_commands;
/* The command named by the first words of argv (one, or two for a group);
 * *words says how many it took. NULL when there is none; *words is then 1
 * for a group without (or with an unknown) second word, else 0. */
const cli_command *cli_find_command(int argc, char *const *argv, int *words);
/* True when name is a group of commands ("org"). */
bool cli_is_group(const char *name);

/* The commands (cmd_*.c, main.c). Each returns an exit status. */
int cli_cmd_publish(cli_ctx *ctx);
int cli_cmd_withdraw(cli_ctx *ctx);
int cli_cmd_get(cli_ctx *ctx);
int cli_cmd_list(cli_ctx *ctx);
int cli_cmd_status(cli_ctx *ctx);
int cli_cmd_org_create(cli_ctx *ctx);
int cli_cmd_org_list(cli_ctx *ctx);
int cli_cmd_key_create(cli_ctx *ctx);
int cli_cmd_key_list(cli_ctx *ctx);
int cli_cmd_key_revoke(cli_ctx *ctx);
int cli_cmd_import(cli_ctx *ctx);
int cli_cmd_search(cli_ctx *ctx);
int cli_cmd_stats(cli_ctx *ctx);
int cli_cmd_campaign_create(cli_ctx *ctx);
int cli_cmd_campaign_list(cli_ctx *ctx);
int cli_cmd_campaign_show(cli_ctx *ctx);
int cli_cmd_subscribe(cli_ctx *ctx);
int cli_cmd_subscriptions(cli_ctx *ctx);
int cli_cmd_unsubscribe(cli_ctx *ctx);
int cli_cmd_listen(cli_ctx *ctx);
int cli_cmd_deliveries(cli_ctx *ctx);
int cli_cmd_redeliver(cli_ctx *ctx);
int cli_cmd_partners(cli_ctx *ctx);
int cli_cmd_mm_create(cli_ctx *ctx);
int cli_cmd_mm_show(cli_ctx *ctx);
int cli_cmd_mm_register(cli_ctx *ctx);
int cli_cmd_mm_unregister(cli_ctx *ctx);
int cli_cmd_mm_request(cli_ctx *ctx);
int cli_cmd_mm_respond(cli_ctx *ctx);
int cli_cmd_mm_schedule(cli_ctx *ctx);
int cli_cmd_mm_lock(cli_ctx *ctx);
int cli_cmd_mm_unlock(cli_ctx *ctx);
int cli_cmd_mm_agenda(cli_ctx *ctx);

/* ---- args.c ---------------------------------------------------------- */

/* Fills ctx from argv and the environment. Returns -1 when ctx->cmd should
 * run, or the exit status to end with (after --help, --version or a usage
 * error, which it has already reported). */
int cli_parse_args(cli_ctx *ctx, int argc, char **argv);
/* General help (cmd NULL) or one command's help. */
void cli_print_help(FILE *out, const cli_command *cmd);
/* The commands of a group ("org") and where to read more. */
void cli_print_group_help(FILE *out, const char *group);
/* Prints "eccp: <message>" and a one-line hint to stderr; returns
 * CLI_EXIT_USAGE. cmd names the command whose help the hint points at. */
int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Reports the first of the n options opts (spelled flags) that is empty as
 * "NAME: missing FLAG". Returns 0 or the exit status of that usage error. */
int cli_required(const cli_ctx *ctx, const size_t *opts, const char *const *flags,
                 size_t n);
/* s as an RFC 3339 time in the arena; false when it is not one (the caller
 * words the error, since what it accepts differs). */
bool cli_parse_time(eccp_arena *a, const char *s, Eccp__V1__Timestamp **out);
/* Option opt as comma-separated two-letter codes, upper- or lower-cased; a
 * value that is not two letters is a usage error that names what (e.g. "ISO
 * 3166-1 alpha-2") and an example. Returns 0 or the exit status. */
int cli_code_list(const cli_ctx *ctx, eccp_arena *a, size_t opt, const char *flag,
                  const char *what, const char *example, bool upper, char ***out,
                  size_t *n);

/* ---- kind.c ---------------------------------------------------------- */

typedef struct cli_kind {
	const char *name; /* "call" */
	Eccp__V1__ContentKind kind;
	const ProtobufCMessageDescriptor *desc;
} cli_kind;

#define CLI_KIND_CHOICES "cluster, news, event or call"

const cli_kind *cli_kind_by_name(const char *name);
const cli_kind *cli_kind_by_value(Eccp__V1__ContentKind kind);
/* The kind's name, or "?" for a kind this tool does not know. */
const char *cli_kind_name(Eccp__V1__ContentKind kind);
/* The body of an item (its oneof member), or NULL. */
const ProtobufCMessage *cli_item_body(const Eccp__V1__ContentItem *item);
/* A cluster's name, otherwise the title; "" when there is none. */
const char *cli_item_title(const Eccp__V1__ContentItem *item);

/* ---- client.c -------------------------------------------------------- */

typedef struct cli_service {
	const char *name; /* "ingest" */
	const char *url;
	eccp_rpc_client *rpc;
} cli_service;

/* Connects at once (no lazy dial), so a service that is down is reported
 * now. On failure fills why with the reason alone ("connection refused"). */
int cli_service_open(cli_service *s, char *why, size_t whylen);
void cli_service_close(cli_service *s);

/* A request id and credentials for a new request; both live in the arena. */
void cli_request_header(const cli_ctx *ctx, eccp_arena *a, char **request_id,
                        Eccp__V1__Credentials **credentials);

/* Sends req and unpacks the reply into the arena. A timeout is retried once
 * with the same request (and so the same request_id, which the server
 * deduplicates) when retry is set. Returns 0 (the status may still be an
 * error: see cli_report_status) or -1 with why filled. */
int cli_service_call(cli_service *s, const ProtobufCMessage *req,
                     const ProtobufCMessageDescriptor *resp_desc, eccp_arena *a,
                     int timeout_ms, bool retry, ProtobufCMessage **out, char *why,
                     size_t whylen);

/* The same, reporting a failure on stderr as
 * "eccp: cannot reach NAME at URL: REASON"; calls retry a timeout once and
 * wait ctx->timeout_ms. Each returns 0 or -1. */
int cli_open_or_report(cli_service *s);
int cli_call_or_report(const cli_ctx *ctx, cli_service *s, const ProtobufCMessage *req,
                       const ProtobufCMessageDescriptor *resp_desc, eccp_arena *a,
                       ProtobufCMessage **out);
/* Open, one call, close. */
int cli_request(const cli_ctx *ctx, cli_service *s, const ProtobufCMessage *req,
                const ProtobufCMessageDescriptor *resp_desc, eccp_arena *a,
                ProtobufCMessage **out);

/* One call of any service's method on an open service: fills the request's
 * request_id and credentials (ctx->api_key), sends (retrying a timeout
 * once), and checks that the reply is OK and answers method want (the
 * response's oneof member). Returns 0 with *resp, or -1 after reporting on
 * stderr; a status whose code is quiet is not reported but returned in
 * *code (which is OK otherwise), for the caller to word itself. */
int cli_method_call(const cli_ctx *ctx, cli_service *svc, eccp_arena *a,
                    ProtobufCMessage *req, const ProtobufCMessageDescriptor *resp_desc,
                    unsigned want, Eccp__V1__StatusCode quiet, Eccp__V1__StatusCode *code,
                    const ProtobufCMessage **resp);
/* cli_method_call on a service it opens and closes. */
int cli_method_once(const cli_ctx *ctx, cli_service *svc, eccp_arena *a,
                    ProtobufCMessage *req, const ProtobufCMessageDescriptor *resp_desc,
                    unsigned want, Eccp__V1__StatusCode quiet, Eccp__V1__StatusCode *code,
                    const ProtobufCMessage **resp);
/* cli_method_once on the service called name at url, for a command that
 * words no status itself: every one that is not OK is reported. */
int cli_call_once(const cli_ctx *ctx, const char *name, const char *url, eccp_arena *a,
                  ProtobufCMessage *req, const ProtobufCMessageDescriptor *resp_desc,
                  unsigned want, const ProtobufCMessage **resp);
/* A command's whole call of a method of the services' common shape (a
 * request and a response whose oneof members for a method share its field
 * number, common/rpc.h): sends req_desc's message carrying params as member
 * `method` to the service called name at url, then prints the answer's
 * member as JSON when the output is JSON, else through show(ctx, a, member,
 * arg) (which returns the exit code). Memory from a (NULL: an arena of
 * its own for the call). Returns the exit code. */
typedef int (*cli_show_fn)(const cli_ctx *ctx, eccp_arena *a, const ProtobufCMessage *m,
                           const void *arg);
int cli_run_method(const cli_ctx *ctx, const char *name, const char *url, eccp_arena *a,
                   const ProtobufCMessageDescriptor *req_desc,
                   const ProtobufCMessageDescriptor *resp_desc, unsigned method,
                   const ProtobufCMessage *params, cli_show_fn show, const void *arg);
/* cli_method_call for eccp-ingest and eccp-catalog, typed. */
int cli_ingest_call(const cli_ctx *ctx, cli_service *svc, eccp_arena *a,
                    Eccp__V1__IngestRequest *req,
                    Eccp__V1__IngestResponse__MethodCase want, Eccp__V1__StatusCode quiet,
                    Eccp__V1__StatusCode *code, const Eccp__V1__IngestResponse **resp);

/* True when the status is OK. Otherwise prints "eccp: SERVICE: CODE: message"
 * and one "  field: rule — message" line per field error to stderr. */
bool cli_status_ok(const cli_service *s, const Eccp__V1__Status *status);
/* The response's status; a missing one counts as OK (proto3 default). */
Eccp__V1__StatusCode cli_status_code(const Eccp__V1__Status *status);

/* Comma-separated option values (cmd_search.c), each returning 0 or the
 * exit status of a usage error: the list, trimmed (cli_split); values of
 * enum d; content kinds (--kind); ISO countries in upper case (--country). */
int cli_split(const cli_ctx *ctx, eccp_arena *a, size_t opt, const char *flag,
              char ***out, size_t *n);
int cli_enum_list(const cli_ctx *ctx, eccp_arena *a, size_t opt, const char *flag,
                  const ProtobufCEnumDescriptor *d, int **out, size_t *n);
int cli_kind_list(const cli_ctx *ctx, eccp_arena *a, Eccp__V1__ContentKind **out,
                  size_t *n);
int cli_country_list(const cli_ctx *ctx, eccp_arena *a, char ***out, size_t *n);

int cli_catalog_call(const cli_ctx *ctx, cli_service *svc, eccp_arena *a,
                     Eccp__V1__CatalogRequest *req,
                     Eccp__V1__CatalogResponse__MethodCase want,
                     Eccp__V1__StatusCode quiet, Eccp__V1__StatusCode *code,
                     const Eccp__V1__CatalogResponse **resp);
/* The same on ctx's ingest or catalog, opened and closed around the call. */
int cli_ingest_once(const cli_ctx *ctx, eccp_arena *a, Eccp__V1__IngestRequest *req,
                    Eccp__V1__IngestResponse__MethodCase want, Eccp__V1__StatusCode quiet,
                    Eccp__V1__StatusCode *code, const Eccp__V1__IngestResponse **resp);
int cli_catalog_once(const cli_ctx *ctx, eccp_arena *a, Eccp__V1__CatalogRequest *req,
                     Eccp__V1__CatalogResponse__MethodCase want,
                     Eccp__V1__StatusCode quiet, Eccp__V1__StatusCode *code,
                     const Eccp__V1__CatalogResponse **resp);

/* ---- http.c ---------------------------------------------------------- */

/* GET base_url + path (base_url "http://host:port[/prefix]") within
 * timeout_ms. Returns 0 with the HTTP status and the body (malloc'd,
 * NUL-terminated), or -1 with why ("connection refused"). */
int cli_http_get(const char *base_url, const char *path, int timeout_ms, int *status,
                 char **body, char *why, size_t whylen);

/* ---- output.c -------------------------------------------------------- */

/* A growing text buffer for JSON assembled from pieces; aborts on OOM like
 * the arena does, since a CLI has nothing better to do then. */
typedef struct cli_buf {
	char *p;
	size_t len, cap;
} cli_buf;

void cli_buf_put(cli_buf *b, const char *s, size_t n);
void cli_buf_puts(cli_buf *b, const char *s);
void cli_buf_printf(cli_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void cli_buf_json_string(cli_buf *b, const char *s);
/* Appends the compact proto3 JSON of m (eccp_json_encode). */
void cli_buf_json_message(cli_buf *b, const ProtobufCMessage *m, int flags);
void cli_buf_free(cli_buf *b);

/* A growing list of messages gathered over pages (aborts on OOM). */
typedef struct cli_msgs {
	const ProtobufCMessage **v;
	size_t n, cap;
} cli_msgs;

void cli_msgs_add(cli_msgs *m, const ProtobufCMessage *msg);

/* After a page: moves *token to next (NULL counts as ""). Returns 1 to ask
 * for the next page (--all and there is one), 0 when done, -1 when the
 * service handed the same token back (reported: it would page forever). */
int cli_page_next(const cli_ctx *ctx, const char *service, const char *next,
                  const char **token);

/* Prints compact JSON text on stdout, indented when ctx->pretty, and a
 * newline. */
void cli_emit_json(const cli_ctx *ctx, const char *json);
/* Same for one message. */
void cli_emit_message(const cli_ctx *ctx, const ProtobufCMessage *m, int json_flags);

/* Rows of text cells printed as aligned columns. Cells are copied into the
 * arena; control characters are masked so content cannot drive the
 * terminal. */
typedef struct cli_table {
	eccp_arena *arena;
	size_t ncols, nrows, cap;
	const char **cells;
	bool fit; /* cut the last column to the terminal width */
} cli_table;

void cli_table_init(cli_table *t, eccp_arena *a, size_t ncols);
/* Adds a row of ncols cells (NULL prints as "-"). */
void cli_table_add(cli_table *t, const char *const *cells);
void cli_table_add2(cli_table *t, const char *key, const char *value);
void cli_table_print(const cli_table *t, FILE *out);
/* One (JSON name, value) row per set field of m, skipping the proto field
 * names in skip (NULL-terminated, may be NULL); with all also fields that
 * hold their default. */
void cli_table_fields(cli_table *t, const ProtobufCMessage *m, const char *const *skip,
                      bool all);

/* "digital" for ECOSYSTEM_DIGITAL: the value name without the enum's
 * prefix, lower-cased. */
const char *cli_enum_label(const ProtobufCEnumDescriptor *d, int value, eccp_arena *a);
/* Columns of the terminal out writes to; 0 when it is not one. */
size_t cli_terminal_width(FILE *out);
/* s cut to at most width code points, the last of them "…" when cut;
 * s itself when it fits. */
const char *cli_clip(eccp_arena *a, const char *s, size_t width);
/* "3d04h", "2h03m", "5m12s", "42s". */
void cli_format_duration(uint64_t ms, char *buf, size_t cap);

#endif
