/* One option table per daemon gives every setting its name, type, default,
 * bounds and help. Values come from, in rising precedence:
 *   built-in default < INI file (--config FILE) < ECCP_* environment < flags.
 *
 * Names are lower-case with hyphens ("rpc-url"). The environment variable is
 * ECCP_ + the name upper-cased with '_' for '-' (ECCP_RPC_URL). In the INI file
 * keys may use '-' or '_'; keys before any section, in [common] or in
 * [<program section>] (e.g. [ingest]) apply; other sections are ignored, so
 * one file can configure every daemon. '#' and ';' start comments.
 * Flags are --name=value or --name value; a bool flag alone (--name) is true.
 * --help prints the generated help; --config FILE names the INI file. */
#ifndef ECCP_CONFIG_H
#define ECCP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef enum {
	ECCP_OPT_STRING,
	ECCP_OPT_INT,  /* 64-bit signed, checked against min..max */
	ECCP_OPT_BOOL, /* true/false/yes/no/on/off/1/0 */
} eccp_opt_type;

typedef struct eccp_option {
	const char *name;
	eccp_opt_type type;
	const char *def;    /* default, as text; NULL means "" for strings */
	long long min, max; /* ECCP_OPT_INT only; min == max == 0 means unbounded */
	const char *help;
} eccp_option;

typedef struct eccp_config eccp_config;

enum {
	ECCP_CONFIG_OK = 0,
	ECCP_CONFIG_HELP = 1,   /* --help was given; help printed to stdout */
	ECCP_CONFIG_ERROR = -1, /* err says which option and which rule */
};

/* Builds a configuration from opts (n entries; an option named "config" is
 * always understood even if not in the table). section is the INI section
 * of this program (e.g. "ingest"). On error fills err (e.g.
 * "--rpc-workers: must be between 1 and 1024 (got 0)" or
 * "ingest.ini:7: unknown option 'foo'") and returns ECCP_CONFIG_ERROR.
 * Unknown flags and unknown INI keys are errors; unknown ECCP_* variables are
 * ignored (they may belong to other programs). */
int eccp_config_load(const eccp_option *opts, size_t n, const char *progname,
                     const char *section, int argc, char **argv, eccp_config **out,
                     char *err, size_t errlen);

/* Re-reads the INI file and the environment of cfg (flags are kept as they
 * were given) into a new configuration. cfg is not changed; on error nothing
 * is returned and err is filled. */
int eccp_config_reload(const eccp_config *cfg, eccp_config **out, char *err,
                       size_t errlen);

void eccp_config_free(eccp_config *cfg);

/* Lookups by name. Asking for a name not in the table, or with the wrong
 * type, is a programming error and aborts. Returned strings live as long as
 * cfg. */
const char *eccp_config_str(const eccp_config *cfg, const char *name);
long long eccp_config_int(const eccp_config *cfg, const char *name);
bool eccp_config_bool(const eccp_config *cfg, const char *name);

/* Where a value came from: "default", "file", "env" or "flag". */
const char *eccp_config_source(const eccp_config *cfg, const char *name);

/* Writes the generated help: usage line, then one line per option with its
 * flag, type, default, bounds, env variable and help text. */
void eccp_config_help(const eccp_option *opts, size_t n, const char *progname, FILE *out);

#endif
