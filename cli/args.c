/* The command line: one option table drives parsing, the environment
 * fallbacks and the generated help.
 *
 * common/config.h's loader is built for daemons (flags only, plus an INI
 * file); a CLI has a command and positional arguments mixed with options,
 * so argv is parsed here, with the same precedence: default < ECCP_*
 * environment < flag. */
#include "cli.h"

#include "json.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct cli_opt {
	const char *name;    /* the flag without "--" */
	const char *arg;     /* what the value is, e.g. "URL"; NULL for a switch */
	const char *env;     /* environment fallback, or NULL */
	const char *def;     /* default, or NULL for none ("") */
	const char *command; /* NULL: global; else the commands it belongs to,
	                        comma-separated ("list,org list") */
	const char *help;
} cli_opt;

static const cli_opt cli_opts[CLI_OPT_COUNT] = {
    [CLI_OPT_INGEST] = {"ingest", "URL", "ECCP_INGEST_URL", "tcp://127.0.0.1:7410", NULL,
                        "eccp-ingest RPC endpoint"},
    [CLI_OPT_CATALOG] = {"catalog", "URL", "ECCP_CATALOG_URL", "tcp://127.0.0.1:7420",
                         NULL, "eccp-catalog RPC endpoint"},
    [CLI_OPT_BROKER_ADMIN] = {"broker-admin", "URL", "ECCP_BROKER_ADMIN_URL",
                              "http://127.0.0.1:7409", NULL,
                              "eccp-broker admin HTTP endpoint (for status)"},
    [CLI_OPT_KEY] = {"key", "KEY", "ECCP_API_KEY", NULL, NULL,
                     "API key sent with every request"},
    [CLI_OPT_TIMEOUT] = {"timeout", "MS", "ECCP_TIMEOUT_MS", "5000", NULL,
                         "how long to wait for a reply, in milliseconds (status waits at "
                         "most 2000)"},
    [CLI_OPT_FORMAT] = {"format", "json|table|ics|geojson", NULL, NULL, NULL,
                        "output format; default: table on a terminal, json otherwise; "
                        "ics (search only): the matching events as iCalendar; "
                        "geojson (partners only): the results that have a location "
                        "as a GeoJSON FeatureCollection"},
    [CLI_OPT_LIMIT] = {"limit", "N", NULL, NULL,
                       "list,org list,search,deliveries,partners",
                       "items per request, 1..1000 (server default 100); search: "
                       "hits per page, 1..500 (default 20); partners: results, "
                       "1..200 (default 20)"},
    [CLI_OPT_ALL] = {"all", NULL, NULL, NULL, "list,org list,search",
                     "follow the pages to the end"},
    [CLI_OPT_NAME] = {"name", "NAME", NULL, NULL, "org create,campaign create,mm create",
                      "the organisation's, campaign's or matchmaking event's name "
                      "(required)"},
    [CLI_OPT_COUNTRY] = {"country", "CC", NULL, NULL,
                         "org create,search,campaign create,subscribe,partners",
                         "country, ISO 3166-1 alpha-2 (e.g. BE); search, campaign "
                         "create, subscribe and partners take a list: DE,FR"},
    [CLI_OPT_ID] = {"id", "ID", NULL, NULL, "org create,campaign create",
                    "its id (default: assigned, for a campaign made from the name; "
                    "an existing organisation's id updates it)"},
    [CLI_OPT_ORG] = {"org", "ORG", NULL, NULL,
                     "key create,key list,search,subscribe,mm create",
                     "organisation id (key create, key list: default the key's own; "
                     "search: a list, ORG[,ORG]; mm create: the organiser, which "
                     "only the admin key names)"},
    [CLI_OPT_LABEL] = {"label", "LABEL", NULL, NULL, "key create,partners",
                       "key create: a note to tell the key apart later; partners: "
                       "the least excellence label, bronze, silver or gold"},
    [CLI_OPT_BATCH] = {"batch", "N", NULL, "500", "import",
                       "items per SubmitBatch request, 1..1000"},
    [CLI_OPT_RETRIES] = {"retries", "N", NULL, "10", "import",
                         "resends of a batch that failed, 0..1000"},
    [CLI_OPT_KIND] = {"kind", "KIND[,KIND]", NULL, NULL,
                      "search,campaign create,subscribe",
                      "content kinds: cluster, news, event, call (campaign default: "
                      "event)"},
    [CLI_OPT_ECOSYSTEM] = {"ecosystem", "E[,E]", NULL, NULL,
                           "search,campaign create,subscribe,partners",
                           "industrial ecosystems, e.g. digital, agri-food, health"},
    [CLI_OPT_TECHNOLOGY] = {"technology", "T[,T]", NULL, NULL,
                            "search,subscribe,partners",
                            "technologies, e.g. \"artificial intelligence\""},
    [CLI_OPT_NUTS] = {"nuts", "PREFIX", NULL, NULL, "search,partners",
                      "clusters whose NUTS region starts with PREFIX (e.g. DE2); "
                      "partners takes a list: DE2,AT"},
    [CLI_OPT_FROM] = {"from", "DATE", NULL, NULL, "search,campaign create",
                      "start of the date window (YYYY-MM-DD or RFC 3339)"},
    [CLI_OPT_TO] = {"to", "DATE", NULL, NULL, "search,campaign create",
                    "end of the date window (a date alone: until 23:59:59Z)"},
    [CLI_OPT_STATUS] = {"status", "S[,S]", NULL, NULL, "search",
                        "calls that are forthcoming, open or closed"},
    [CLI_OPT_PROGRAMME] = {"programme", "P[,P]", NULL, NULL, "search,subscribe",
                           "calls of these programmes, e.g. \"Horizon Europe\""},
    [CLI_OPT_DEADLINE_AFTER] = {"deadline-after", "DATE", NULL, NULL, "search",
                                "calls with a deadline at or after DATE"},
    [CLI_OPT_DEADLINE_BEFORE] = {"deadline-before", "DATE", NULL, NULL, "search",
                                 "calls with a deadline at or before DATE (a date "
                                 "alone: until 23:59:59Z)"},
    [CLI_OPT_CAMPAIGN] = {"campaign", "ID", NULL, NULL, "search,stats",
                          "only the members of this campaign"},
    [CLI_OPT_SORT] = {"sort", "ORDER", NULL, NULL, "search",
                      "relevance, newest, oldest or deadline (default: relevance "
                      "with words, else newest)"},
    [CLI_OPT_FACETS] = {"facets", NULL, NULL, NULL, "search",
                        "also count the hits per kind, country, ecosystem and call "
                        "status"},
    [CLI_OPT_AS_OF] = {"as-of", "DATE", NULL, NULL, "search,stats,campaign show",
                       "the time call statuses are computed at (default: now)"},
    [CLI_OPT_KEYWORD] = {"keyword", "K[,K]", NULL, NULL, "campaign create,subscribe",
                         "members mention at least one of these keywords"},
    [CLI_OPT_NOTIFICATION] = {"notification", "URL", "ECCP_NOTIFICATION_URL",
                              "tcp://127.0.0.1:7440", NULL,
                              "eccp-notification RPC endpoint"},
    [CLI_OPT_MATCHMAKING] = {"matchmaking", "URL", "ECCP_MATCHMAKING_URL",
                             "tcp://127.0.0.1:7430", NULL,
                             "eccp-matchmaking RPC endpoint"},
    [CLI_OPT_LIVE_URL] = {"live-url", "URL", "ECCP_LIVE_URL", "tcp://127.0.0.1:7441",
                          "listen", "eccp-notification's live PUB endpoint"},
    [CLI_OPT_LIVE] = {"live", NULL, NULL, NULL, "subscribe",
                      "be told live (eccp listen ID)"},
    [CLI_OPT_WEBHOOK] = {"webhook", "URL", NULL, NULL, "subscribe",
                         "be told by a signed HTTP POST to URL"},
    [CLI_OPT_SECRET] = {"secret", "whsec_...", NULL, NULL, "subscribe",
                        "the webhook's signing secret (default: one is made and "
                        "shown once)"},
    [CLI_OPT_MIN_BUDGET] = {"min-budget", "EUR", NULL, NULL, "subscribe",
                            "calls with a total budget of at least EUR"},
    [CLI_OPT_REMIND] = {"remind", "DAYS[,DAYS]", NULL, NULL, "subscribe",
                        "remind so many days before a call's deadline"},
    [CLI_OPT_AFTER] = {"after", "SEQ", NULL, NULL, "listen",
                       "print the notifications after this number first (default: "
                       "only new ones)"},
    [CLI_OPT_MAX] = {"max", "N", NULL, NULL, "listen",
                     "exit after printing N notifications"},
    [CLI_OPT_FAILED] = {"failed", NULL, NULL, NULL, "deliveries",
                        "only the dead-letter list (every attempt failed)"},
    [CLI_OPT_SUBSCRIPTION] = {"subscription", "ID", NULL, NULL, "deliveries",
                              "only this subscription's deliveries"},
    [CLI_OPT_SUGGESTIONS] = {"suggestions", NULL, NULL, NULL, "subscribe",
                             "also partner suggestions for your clusters (without "
                             "--kind: suggestions only)"},
    [CLI_OPT_OFFSET] = {"offset", "N", NULL, NULL, "partners",
                        "skip the first N results, 0..10000"},
    [CLI_OPT_EXPLAIN] = {"explain", NULL, NULL, NULL, "partners",
                         "show why each result ranks where it does"},
    [CLI_OPT_PREFER] = {"prefer", "NAME[=WEIGHT]", NULL, NULL, "partners",
                        "make criterion NAME a preference that scores with WEIGHT "
                        "(more than 0, at most 100; default 50) instead of a filter; "
                        "repeatable"},
    [CLI_OPT_SECTOR] = {"sector", "S[,S]", NULL, NULL, "partners", "sectors"},
    [CLI_OPT_EMERGING] = {"emerging", "E[,E]", NULL, NULL, "partners",
                          "emerging industries"},
    [CLI_OPT_VALUE_CHAIN] = {"value-chain", "V[,V]", NULL, NULL, "partners",
                             "value chains"},
    [CLI_OPT_EXCLUDE_COUNTRY] = {"exclude-country", "CC[,CC]", NULL, NULL, "partners",
                                 "leave out clusters in these countries"},
    [CLI_OPT_LANGUAGE] = {"language", "L[,L]", NULL, NULL, "partners",
                          "languages, ISO 639-1 (e.g. en,fr): one in common is enough"},
    [CLI_OPT_NEAR] = {"near", "LAT,LON", NULL, NULL, "partners",
                      "distance from this point in degrees (with --within)"},
    [CLI_OPT_NEAR_CLUSTER] = {"near-cluster", "ID", NULL, NULL, "partners",
                              "distance from this cluster (with --within)"},
    [CLI_OPT_WITHIN] = {"within", "KM", NULL, NULL, "partners",
                        "the distance --near or --near-cluster allows, in km"},
    [CLI_OPT_MEMBERS] = {"members", "MIN[-MAX]", NULL, NULL, "partners",
                         "how many members"},
    [CLI_OPT_SMES] = {"smes", "MIN[-MAX]", NULL, NULL, "partners",
                      "how many SME members"},
    [CLI_OPT_TEXT] = {"text", "TEXT", NULL, NULL, "partners",
                      "words found in a profile's name, technologies, sectors or "
                      "description (\"hydro*\": a prefix)"},
    [CLI_OPT_SIMILAR_TO] = {"similar-to", "ID", NULL, NULL, "partners",
                            "rank clusters by how alike they are to cluster ID"},
    [CLI_OPT_COMPLEMENTARY_TO] = {"complementary-to", "ID", NULL, NULL, "partners",
                                  "rank clusters that offer what cluster ID looks "
                                  "for and look for what it offers"},
    [CLI_OPT_START] = {"start", "TIME", NULL, NULL, "mm create",
                       "when the first meeting starts, RFC 3339 (required)"},
    [CLI_OPT_SLOTS] = {"slots", "N", NULL, NULL, "mm create",
                       "meeting slots, one after another (required)"},
    [CLI_OPT_TABLES] = {"tables", "N", NULL, NULL, "mm create",
                        "meetings that can run at once (required)"},
    [CLI_OPT_MEETING_MINUTES] = {"meeting-minutes", "M", NULL, NULL, "mm create",
                                 "how long a meeting lasts (required)"},
    [CLI_OPT_BREAK_MINUTES] = {"break-minutes", "B", NULL, NULL, "mm create",
                               "the pause between two slots (default 0)"},
    [CLI_OPT_TIME_ZONE] = {"time-zone", "TZ", NULL, NULL, "mm create",
                           "IANA time zone of the venue, e.g. Europe/Brussels"},
    [CLI_OPT_VENUE] = {"venue", "VENUE", NULL, NULL, "mm create", "where it is held"},
    [CLI_OPT_EXPIRY_HOURS] = {"expiry-hours", "H", NULL, NULL, "mm create",
                              "meeting requests not answered within H hours expire "
                              "(default 72)"},
    [CLI_OPT_SLOTS_AVAILABLE] = {"slots-available", "SLOTS", NULL, NULL, "mm register",
                                 "the slots the cluster can meet in, from 0: 0,1,4-7 "
                                 "(default: every slot)"},
    [CLI_OPT_WISH] = {"wish", "ID[,ID]", NULL, NULL, "mm register",
                      "clusters it wishes to meet; repeatable"},
    [CLI_OPT_MESSAGE] = {"message", "TEXT", NULL, NULL, "mm request",
                         "a note for the cluster asked"},
    [CLI_OPT_SUGGESTED] = {"suggested", NULL, NULL, NULL, "mm schedule",
                           "also place meetings partner matching suggests"},
    [CLI_OPT_LOCK] = {"lock", NULL, NULL, NULL, "mm schedule",
                      "keep the placed meetings where they are in later schedules"},
    [CLI_OPT_UNLOCK] = {"unlock", NULL, NULL, NULL, "mm schedule",
                        "first forget the locks of earlier runs: every meeting may move"},
    [CLI_OPT_SEED] = {"seed", "N", NULL, NULL, "mm schedule",
                      "seed of the scheduler's random choices (same seed, same "
                      "schedule)"},
    [CLI_OPT_ICAL] = {"ical", NULL, NULL, NULL, "mm agenda",
                      "print the agenda as iCalendar (RFC 5545)"},
    [CLI_OPT_HELP] = {"help", NULL, NULL, NULL, NULL, "show help and exit"},
    [CLI_OPT_VERSION] = {"version", NULL, NULL, NULL, NULL, "show the version and exit"},
};

/* Options that may be given more than once; their values are joined with
 * commas, as if given once as a list ("--prefer a=1 --prefer b=2" is "--prefer
 * a=1,b=2"). The joined strings are kept here for the life of the process. */
static char *cli_joined[CLI_OPT_COUNT];

static bool cli_repeatable(size_t i)
{
	return i == CLI_OPT_PREFER || i == CLI_OPT_WISH;
}

static const char *cli_join(size_t i, const char *before, const char *value)
{
	size_t n = strlen(before) + 1 + strlen(value) + 1;
	char *s = malloc(n);
	if (s == NULL) {
		fputs("eccp: out of memory\n", stderr);
		exit(CLI_EXIT_FAIL);
	}
	snprintf(s, n, "%s,%s", before, value);
	free(cli_joined[i]);
	cli_joined[i] = s;
	return s;
}

/* True when o belongs to the command called name. */
static bool cli_opt_for(const cli_opt *o, const char *name)
{
	if (o->command == NULL)
		return false;
	size_t n = strlen(name);
	for (const char *c = o->command;;) {
		size_t len = strcspn(c, ",");
		if (len == n && strncmp(c, name, n) == 0)
			return true;
		if (c[len] == '\0')
			return false;
		c += len + 1;
	}
}

/* The commands of a group as "create, list or revoke". */
static void cli_group_choices(const char *group, char *buf, size_t cap)
{
	size_t n = strlen(group), len = 0, count = 0, total = 0;
	for (size_t i = 0; i < cli_n_commands; i++)
		if (strncmp(cli_commands[i].name, group, n) == 0 &&
		    cli_commands[i].name[n] == ' ')
			total++;
	buf[0] = '\0';
	for (size_t i = 0; i < cli_n_commands && len < cap; i++) {
		const char *name = cli_commands[i].name;
		if (strncmp(name, group, n) != 0 || name[n] != ' ')
			continue;
		count++;
		const char *sep = count == 1 ? "" : count == total ? " or " : ", ";
		int w = snprintf(buf + len, cap - len, "%s%s", sep, name + n + 1);
		if (w < 0)
			break;
		len += (size_t)w;
	}
}

/* Prints "eccp: <message>" and a hint naming the help topic (a command or a
 * group), or the general help when topic is NULL. */
static int cli_vusage_error(const char *topic, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static int cli_vusage_error(const char *topic, const char *fmt, va_list ap)
{
	fputs("eccp: ", stderr);
	vfprintf(stderr, fmt, ap);
	if (topic != NULL && strcmp(topic, "help") != 0)
		fprintf(stderr, "\nRun 'eccp help %s' for usage.\n", topic);
	else
		fputs("\nRun 'eccp --help' for usage.\n", stderr);
	return CLI_EXIT_USAGE;
}

static int cli_group_error(const char *group, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int cli_group_error(const char *group, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = cli_vusage_error(group, fmt, ap);
	va_end(ap);
	return rc;
}

int cli_usage_error(const cli_command *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = cli_vusage_error(cmd != NULL ? cmd->name : NULL, fmt, ap);
	va_end(ap);
	return rc;
}

/* ---- help ----------------------------------------------------------------- */

/* "  HEAD                   text" with text wrapped at 80 columns under
 * itself; a head too wide for its column gets a line of its own. */
static void cli_print_item(FILE *out, const char *head, const char *text)
{
	enum { lead = 25, width = 80 };
	if (strlen(head) > lead - 3)
		fprintf(out, "  %s\n%*s", head, lead, "");
	else
		fprintf(out, "  %-22s ", head);
	size_t col = lead;
	for (const char *w = text; *w != '\0';) {
		size_t n = strcspn(w, " ");
		if (col > lead && col + 1 + n > width) {
			fprintf(out, "\n%*s", lead, "");
			col = lead;
		}
		if (col > lead) {
			fputc(' ', out);
			col++;
		}
		fprintf(out, "%.*s", (int)n, w);
		col += n;
		w += n;
		while (*w == ' ')
			w++;
	}
	fputc('\n', out);
}

static void cli_print_opt(FILE *out, const cli_opt *o)
{
	char flag[64];
	snprintf(flag, sizeof(flag), "--%s%s%s", o->name, o->arg ? " " : "",
	         o->arg ? o->arg : "");
	cli_print_item(out, flag, o->help);
	/* On a line of its own: appended it would wrap on 80 columns. */
	if (o->env != NULL || o->def != NULL) {
		fprintf(out, "  %-22s [", "");
		if (o->env != NULL)
			fprintf(out, "env %s%s", o->env, o->def ? "; " : "");
		if (o->def != NULL)
			fprintf(out, "default %s", o->def);
		fputs("]\n", out);
	}
}

static void cli_print_synopsis(FILE *out, const cli_command *cmd)
{
	/* Wrapped at 80 columns, continuation lines indented past "Usage: ". */
	int col =
	    fprintf(out, "eccp %s%s%s", cmd->name, cmd->args[0] ? " " : "", cmd->args) +
	    (int)strlen("Usage: ");
	for (size_t i = 0; i < CLI_OPT_COUNT; i++) {
		const cli_opt *o = &cli_opts[i];
		char flag[64];
		snprintf(flag, sizeof(flag), "--%s ", o->name);
		/* A required option is in args already ("--name NAME"). */
		if (!cli_opt_for(o, cmd->name) || strstr(cmd->args, flag) != NULL)
			continue;
		char item[96];
		int n = snprintf(item, sizeof(item), "[--%s%s%s]", o->name,
		                 o->arg ? " " : "", o->arg ? o->arg : "");
		if (col + 1 + n > 80)
			col = fprintf(out, "\n%11s", "") - 1;
		col += fprintf(out, " %s", item);
	}
}

void cli_print_help(FILE *out, const cli_command *cmd)
{
	if (cmd != NULL) {
		fputs("Usage: ", out);
		cli_print_synopsis(out, cmd);
		fprintf(out, "\n\n%s.\n", cmd->summary);
		if (cmd->details[0] != '\0')
			fprintf(out, "\n%s", cmd->details);
		bool any = false;
		for (size_t i = 0; i < CLI_OPT_COUNT; i++) {
			const cli_opt *o = &cli_opts[i];
			if (!cli_opt_for(o, cmd->name))
				continue;
			if (!any)
				fputs("\nOptions:\n", out);
			any = true;
			cli_print_opt(out, o);
		}
		fputs("\nGlobal options: see 'eccp --help'.\n", out);
		return;
	}
	fputs("Usage: eccp [OPTIONS] COMMAND [ARGS]\n\n"
	      "Publish and import content through eccp-ingest, manage organisations and\n"
	      "their API keys, search and read content in eccp-catalog, define\n"
	      "campaigns, subscribe to notifications, look for partners and run\n"
	      "matchmaking events, and check the daemons.\n\nCommands:\n",
	      out);
	for (size_t i = 0; i < cli_n_commands; i++) {
		char head[96];
		snprintf(head, sizeof(head), "%s%s%s", cli_commands[i].name,
		         cli_commands[i].args[0] ? " " : "", cli_commands[i].args);
		cli_print_item(out, head, cli_commands[i].summary);
	}
	fputs("\nOptions (before or after the command):\n", out);
	for (size_t i = 0; i < CLI_OPT_COUNT; i++)
		if (cli_opts[i].command == NULL)
			cli_print_opt(out, &cli_opts[i]);
	fputs("\nOutput goes to stdout (JSON when it is not a terminal), errors to "
	      "stderr.\n"
	      "Exit status: 0 success, 1 failure (including a service that cannot be\n"
	      "reached), 2 bad usage.\n"
	      "Run 'eccp help COMMAND' for a command's arguments, options and output.\n",
	      out);
}

void cli_print_group_help(FILE *out, const char *group)
{
	char choices[128];
	cli_group_choices(group, choices, sizeof(choices));
	fprintf(out, "Usage: eccp %s COMMAND [ARGS]   (COMMAND: %s)\n\nCommands:\n",
	        group, choices);
	size_t n = strlen(group);
	for (size_t i = 0; i < cli_n_commands; i++) {
		const cli_command *c = &cli_commands[i];
		if (strncmp(c->name, group, n) != 0 || c->name[n] != ' ')
			continue;
		char head[96];
		snprintf(head, sizeof(head), "%s%s%s", c->name, c->args[0] ? " " : "",
		         c->args);
		cli_print_item(out, head, c->summary);
	}
	fprintf(out,
	        "\nRun 'eccp help %s COMMAND' for a command's arguments, options and "
	        "output.\n",
	        group);
}

/* ---- parsing ---------------------------------------------------------------- */

static const cli_opt *cli_find_opt(const char *name, size_t len)
{
	for (size_t i = 0; i < CLI_OPT_COUNT; i++)
		if (strlen(cli_opts[i].name) == len &&
		    strncmp(cli_opts[i].name, name, len) == 0)
			return &cli_opts[i];
	return NULL;
}

/* Where a value came from, for error messages. */
static const char *cli_origin(const cli_ctx *ctx, size_t i, char *buf, size_t cap)
{
	if (ctx->given[i] || cli_opts[i].env == NULL)
		snprintf(buf, cap, "--%s", cli_opts[i].name);
	else
		snprintf(buf, cap, "%s", cli_opts[i].env);
	return buf;
}

static int cli_number(const cli_ctx *ctx, size_t i, long min, long max, long *out)
{
	const char *s = ctx->opt[i];
	char *end;
	char origin[64];
	errno = 0;
	long v = strtol(s, &end, 10);
	if (s[0] == '\0' || *end != '\0' || errno != 0 || v < min || v > max)
		return cli_usage_error(
		    ctx->cmd, "%s: expected a number from %ld to %ld, got '%s'",
		    cli_origin(ctx, i, origin, sizeof(origin)), min, max, s);
	*out = v;
	return 0;
}

/* Turns the option strings into the typed fields of ctx. */
static int cli_resolve(cli_ctx *ctx)
{
	long v;
	ctx->ingest_url = ctx->opt[CLI_OPT_INGEST];
	ctx->catalog_url = ctx->opt[CLI_OPT_CATALOG];
	ctx->notification_url = ctx->opt[CLI_OPT_NOTIFICATION];
	ctx->matchmaking_url = ctx->opt[CLI_OPT_MATCHMAKING];
	ctx->broker_admin_url = ctx->opt[CLI_OPT_BROKER_ADMIN];
	ctx->api_key = ctx->opt[CLI_OPT_KEY];

	if (cli_number(ctx, CLI_OPT_TIMEOUT, 1, 3600000, &v) != 0)
		return CLI_EXIT_USAGE;
	ctx->timeout_ms = (int)v;
	/* SubmitBatch takes at most 1,000 items. */
	if (cli_number(ctx, CLI_OPT_BATCH, 1, 1000, &v) != 0)
		return CLI_EXIT_USAGE;
	ctx->batch = (unsigned)v;
	if (cli_number(ctx, CLI_OPT_RETRIES, 0, 1000, &v) != 0)
		return CLI_EXIT_USAGE;
	ctx->retries = (unsigned)v;

	bool tty = isatty(STDOUT_FILENO);
	const char *fmt = ctx->opt[CLI_OPT_FORMAT];
	if (strcmp(fmt, "json") == 0)
		ctx->json = true;
	else if (strcmp(fmt, "table") == 0)
		ctx->json = false;
	else if (strcmp(fmt, "ics") == 0 && strcmp(ctx->cmd->name, "search") == 0)
		ctx->ics = true;
	else if (strcmp(fmt, "ics") == 0)
		return cli_usage_error(ctx->cmd,
		                       "--format ics is only for 'eccp search'");
	else if (strcmp(fmt, "geojson") == 0 && strcmp(ctx->cmd->name, "partners") == 0)
		ctx->geojson = true;
	else if (strcmp(fmt, "geojson") == 0)
		return cli_usage_error(ctx->cmd,
		                       "--format geojson is only for 'eccp partners'");
	else if (fmt[0] == '\0')
		ctx->json = !tty;
	else
		return cli_usage_error(
		    ctx->cmd, "--format: expected json, table, ics or geojson, got '%s'",
		    fmt);
	/* Indented JSON is for people; programs reading a pipe get one line. */
	ctx->pretty = ctx->json && tty;

	if (ctx->given[CLI_OPT_LIMIT]) {
		/* A search page is at most 500 hits, a partner search's 200. */
		long max = strcmp(ctx->cmd->name, "search") == 0     ? 500
		           : strcmp(ctx->cmd->name, "partners") == 0 ? 200
		                                                     : 1000;
		if (cli_number(ctx, CLI_OPT_LIMIT, 1, max, &v) != 0)
			return CLI_EXIT_USAGE;
		ctx->limit = (unsigned)v;
	}
	ctx->all = ctx->given[CLI_OPT_ALL];
	return 0;
}

/* Checks the positional arguments against the command's arity. */
static int cli_check_args(const cli_ctx *ctx)
{
	const cli_command *cmd = ctx->cmd;
	if (ctx->argc < cmd->min_args) {
		/* Name the first missing argument: skip the names given. */
		const char *name = cmd->argnames;
		for (int i = 0; i < ctx->argc && name != NULL; i++) {
			name = strchr(name, ' ');
			if (name != NULL)
				name++;
		}
		size_t len = name != NULL ? strcspn(name, " ") : 0;
		return cli_usage_error(cmd, "%s: missing %.*s", cmd->name, (int)len,
		                       name != NULL ? name : "");
	}
	if (cmd->max_args >= 0 && ctx->argc > cmd->max_args)
		return cli_usage_error(cmd, "%s: unexpected argument '%s'", cmd->name,
		                       ctx->argv[cmd->max_args]);
	return 0;
}

/* True when the positionals so far name a command whose arguments may start
 * with '-'. */
static bool cli_dash_args(int npos, char **pos)
{
	int words;
	const cli_command *c = cli_find_command(npos, pos, &words);
	return c != NULL && c->dash_args;
}

int cli_parse_args(cli_ctx *ctx, int argc, char **argv)
{
	/* Positionals are collected in place: argv is ours to reorder. */
	char **pos = argv + 1;
	int npos = 0;
	bool dashdash = false;

	for (size_t i = 0; i < CLI_OPT_COUNT; i++) {
		const char *env = cli_opts[i].env ? getenv(cli_opts[i].env) : NULL;
		if (env != NULL && env[0] != '\0')
			ctx->opt[i] = env;
		else
			ctx->opt[i] = cli_opts[i].def ? cli_opts[i].def : "";
	}

	for (int i = 1; i < argc; i++) {
		char *a = argv[i];
		/* "-word" after the name of a command that takes such words
		 * ("eccp search energy -coal"). */
		bool word = npos > 0 && a[0] == '-' && a[1] != '-' &&
		            strcmp(a, "-h") != 0 && cli_dash_args(npos, pos);
		if (dashdash || word || a[0] != '-' || a[1] == '\0') { /* "-" is stdin */
			int words;
			const cli_command *c = cli_find_command(1, &a, &words);
			pos[npos++] = a;
			/* A raw command's options are its own: hand over the
			 * rest unparsed. pos never overtakes i, and argv[argc] is
			 * NULL, so pos[npos] below stays inside argv. */
			if (npos == 1 && c != NULL && c->raw) {
				while (++i < argc)
					pos[npos++] = argv[i];
				pos[npos] = NULL;
				break;
			}
			continue;
		}
		if (strcmp(a, "--") == 0) {
			dashdash = true;
			continue;
		}
		const char *flag = strcmp(a, "-h") == 0 ? "--help" : a;
		if (flag[1] != '-')
			return cli_usage_error(NULL, "unknown option '%s'", flag);
		const char *name = flag + 2, *eq = strchr(name, '=');
		size_t len = eq ? (size_t)(eq - name) : strlen(name);
		const cli_opt *o = cli_find_opt(name, len);
		if (o == NULL)
			return cli_usage_error(NULL, "unknown option '--%.*s'", (int)len,
			                       name);
		size_t idx = (size_t)(o - cli_opts);
		const char *before = ctx->opt[idx];
		if (o->arg == NULL) {
			if (eq != NULL)
				return cli_usage_error(
				    NULL, "option '--%s' takes no value", o->name);
			ctx->opt[idx] = "1";
		} else if (eq != NULL) {
			ctx->opt[idx] = eq + 1;
		} else if (i + 1 < argc) {
			ctx->opt[idx] = argv[++i];
		} else {
			return cli_usage_error(NULL, "option '--%s' needs a value (%s)",
			                       o->name, o->arg);
		}
		if (ctx->given[idx] && o->arg != NULL && cli_repeatable(idx))
			ctx->opt[idx] = cli_join(idx, before, ctx->opt[idx]);
		ctx->given[idx] = true;
	}

	if (ctx->given[CLI_OPT_VERSION]) {
		printf("eccp %s\n", ECCP_VERSION);
		return CLI_EXIT_OK;
	}
	int words = 0;
	if (npos > 0) {
		ctx->cmd = cli_find_command(npos, pos, &words);
		if (ctx->cmd == NULL && words == 0)
			return cli_usage_error(NULL, "unknown command '%s'", pos[0]);
		if (ctx->cmd == NULL && npos > 1)
			return cli_group_error(pos[0], "unknown command '%s %s'", pos[0],
			                       pos[1]);
		if (ctx->cmd == NULL) {
			/* "eccp org --help" is the group's help. */
			if (ctx->given[CLI_OPT_HELP]) {
				cli_print_group_help(stdout, pos[0]);
				return CLI_EXIT_OK;
			}
			char choices[128];
			cli_group_choices(pos[0], choices, sizeof(choices));
			return cli_group_error(pos[0], "%s: missing COMMAND (%s)", pos[0],
			                       choices);
		}
	}
	if (ctx->given[CLI_OPT_HELP]) {
		cli_print_help(stdout, ctx->cmd);
		return CLI_EXIT_OK;
	}
	if (ctx->cmd == NULL)
		return cli_usage_error(NULL, "missing command");
	/* A raw command gets its own name as argv[0], like a program. */
	if (ctx->cmd->raw)
		words = 0;
	ctx->argc = npos - words;
	ctx->argv = pos + words;

	for (size_t i = 0; i < CLI_OPT_COUNT; i++) {
		const cli_opt *o = &cli_opts[i];
		if (!ctx->given[i] || o->command == NULL ||
		    cli_opt_for(o, ctx->cmd->name))
			continue;
		/* "'eccp list', 'eccp org list' and 'eccp search'" from
		 * "list,org list,search". */
		char owners[200];
		size_t len = 0;
		for (const char *c = o->command; len < sizeof(owners);) {
			size_t n = strcspn(c, ",");
			const char *sep = c == o->command          ? ""
			                  : strchr(c, ',') == NULL ? " and "
			                                           : ", ";
			int w = snprintf(owners + len, sizeof(owners) - len,
			                 "%s'eccp %.*s'", sep, (int)n, c);
			if (w < 0)
				break;
			len += (size_t)w;
			if (c[n] == '\0')
				break;
			c += n + 1;
		}
		return cli_usage_error(ctx->cmd, "option '--%s' is only for %s", o->name,
		                       owners);
	}
	/* Raw commands check their own arguments and talk to no service. */
	if (ctx->cmd->raw)
		return -1;
	int rc = cli_check_args(ctx);
	if (rc != 0)
		return rc;
	rc = cli_resolve(ctx);
	return rc != 0 ? rc : -1;
}

/* ---- option values ------------------------------------------------------ */

int cli_required(const cli_ctx *ctx, const size_t *opts, const char *const *flags,
                 size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ctx->opt[opts[i]][0] == '\0')
			return cli_usage_error(ctx->cmd, "%s: missing %s", ctx->cmd->name,
			                       flags[i]);
	return 0;
}

bool cli_parse_time(eccp_arena *a, const char *s, Eccp__V1__Timestamp **out)
{
	int64_t seconds;
	int32_t nanos;
	if (eccp_rfc3339_parse(s, strlen(s), &seconds, &nanos) != 0)
		return false;
	Eccp__V1__Timestamp *ts = eccp_arena_alloc(a, sizeof(*ts));
	eccp__v1__timestamp__init(ts);
	ts->seconds = seconds;
	ts->nanos = nanos;
	*out = ts;
	return true;
}

int cli_code_list(const cli_ctx *ctx, eccp_arena *a, size_t opt, const char *flag,
                  const char *what, const char *example, bool upper, char ***out,
                  size_t *n)
{
	int rc = cli_split(ctx, a, opt, flag, out, n);
	for (size_t i = 0; rc == 0 && i < *n; i++) {
		char *c = (*out)[i];
		if (strlen(c) != 2 || !isalpha((unsigned char)c[0]) ||
		    !isalpha((unsigned char)c[1]))
			return cli_usage_error(
			    ctx->cmd, "%s: expected %s codes such as %s, got '%s'", flag,
			    what, example, c);
		for (int k = 0; k < 2; k++)
			c[k] = (char)(upper ? toupper((unsigned char)c[k])
			                    : tolower((unsigned char)c[k]));
	}
	return rc;
}
