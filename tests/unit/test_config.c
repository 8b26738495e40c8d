/* Configuration precedence, INI parsing, flag parsing, error messages and
 * reload. Every test starts from a clean ECCP_* environment (see setup) and
 * writes its INI files with mkstemp under /tmp. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"

static const eccp_option opts[] = {
    {"rpc-url", ECCP_OPT_STRING, "tcp://127.0.0.1:7000", 0, 0, "broker RPC address"},
    {"rpc-workers", ECCP_OPT_INT, "4", 1, 1024, "RPC worker threads"},
    {"verbose", ECCP_OPT_BOOL, "false", 0, 0, "log more"},
    {"db-path", ECCP_OPT_STRING, NULL, 0, 0, "SQLite database"},
    {"offset", ECCP_OPT_INT, "-5", 0, 0, NULL},
};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))

static const char *const env_vars[] = {
    "ECCP_CONFIG",  "ECCP_RPC_URL", "ECCP_RPC_WORKERS",
    "ECCP_VERBOSE", "ECCP_DB_PATH", "ECCP_OFFSET",
};

#define MAX_FILES 32
static char tmp_files[MAX_FILES][64];
static int ntmp_files;

static int setup(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(env_vars) / sizeof(env_vars[0]); i++)
		unsetenv(env_vars[i]);
	ntmp_files = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(env_vars) / sizeof(env_vars[0]); i++)
		unsetenv(env_vars[i]);
	for (int i = 0; i < ntmp_files; i++)
		unlink(tmp_files[i]);
	ntmp_files = 0;
	return 0;
}

/* Writes text to a fresh temp file; the path stays valid for the test. */
static const char *write_ini(const char *text)
{
	assert_true(ntmp_files < MAX_FILES);
	char *path = tmp_files[ntmp_files++];
	strcpy(path, "/tmp/eccp_test_cfg_XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

/* Replaces the content of an existing temp file (for reload). */
static void rewrite_ini(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Loads with argv given as a NULL-terminated list after the program name. */
static int load_args(eccp_config **cfg, char *err, size_t errlen, ...)
{
	char *argv[32];
	int argc = 0;
	argv[argc++] = "ingest";
	va_list ap;
	va_start(ap, errlen);
	for (char *a; (a = va_arg(ap, char *)) != NULL;) {
		assert_true(argc < 31);
		argv[argc++] = a;
	}
	va_end(ap);
	argv[argc] = NULL;
	return eccp_config_load(opts, NOPTS, "ingest", "ingest", argc, argv, cfg, err,
	                        errlen);
}

#define LOAD(cfg, ...) load_args(cfg, err, sizeof(err), __VA_ARGS__, (char *)NULL)

static eccp_config *load_ok(const char *first, ...)
{
	char *argv[32];
	int argc = 0;
	argv[argc++] = "ingest";
	va_list ap;
	va_start(ap, first);
	for (const char *a = first; a != NULL; a = va_arg(ap, const char *)) {
		assert_true(argc < 31);
		argv[argc++] = (char *)a;
	}
	va_end(ap);
	argv[argc] = NULL;
	char err[256] = "";
	eccp_config *cfg = NULL;
	int rc = eccp_config_load(opts, NOPTS, "ingest", "ingest", argc, argv, &cfg, err,
	                          sizeof(err));
	if (rc != ECCP_CONFIG_OK)
		fail_msg("load failed: %s", err);
	assert_non_null(cfg);
	return cfg;
}

#define LOAD_OK(...) load_ok(__VA_ARGS__, (const char *)NULL)

/* Asserts that loading fails with exactly the message want. */
#define EXPECT_ERROR(want, ...)                                                          \
	do {                                                                             \
		char err[512] = "";                                                      \
		eccp_config *cfg_ = (eccp_config *)0x1;                                  \
		assert_int_equal(LOAD(&cfg_, __VA_ARGS__), ECCP_CONFIG_ERROR);           \
		assert_null(cfg_);                                                       \
		assert_string_equal(err, want);                                          \
	} while (0)

/* ---- precedence ----------------------------------------------------- */

static void test_defaults(void **state)
{
	(void)state;
	eccp_config *cfg = LOAD_OK(NULL);
	assert_string_equal(eccp_config_str(cfg, "rpc-url"), "tcp://127.0.0.1:7000");
	assert_int_equal(eccp_config_int(cfg, "rpc-workers"), 4);
	assert_false(eccp_config_bool(cfg, "verbose"));
	assert_string_equal(eccp_config_str(cfg, "db-path"), "");
	assert_int_equal(eccp_config_int(cfg, "offset"), -5);
	assert_string_equal(eccp_config_str(cfg, "config"), "");
	for (size_t i = 0; i < NOPTS; i++)
		assert_string_equal(eccp_config_source(cfg, opts[i].name), "default");
	assert_string_equal(eccp_config_source(cfg, "config"), "default");
	eccp_config_free(cfg);
}

static void test_file_overrides_default(void **state)
{
	(void)state;
	const char *path = write_ini("rpc-workers = 8\n"
	                             "[common]\n"
	                             "db_path = \"/var/lib/eccp/db.sqlite\"\n"
	                             "[ingest]\n"
	                             "verbose = yes\n");
	eccp_config *cfg = LOAD_OK("--config", path);
	assert_int_equal(eccp_config_int(cfg, "rpc-workers"), 8);
	assert_string_equal(eccp_config_str(cfg, "db-path"), "/var/lib/eccp/db.sqlite");
	assert_true(eccp_config_bool(cfg, "verbose"));
	assert_string_equal(eccp_config_str(cfg, "rpc-url"), "tcp://127.0.0.1:7000");
	assert_string_equal(eccp_config_source(cfg, "rpc-workers"), "file");
	assert_string_equal(eccp_config_source(cfg, "db-path"), "file");
	assert_string_equal(eccp_config_source(cfg, "verbose"), "file");
	assert_string_equal(eccp_config_source(cfg, "rpc-url"), "default");
	assert_string_equal(eccp_config_str(cfg, "config"), path);
	assert_string_equal(eccp_config_source(cfg, "config"), "flag");
	eccp_config_free(cfg);
}

static void test_env_overrides_file(void **state)
{
	(void)state;
	const char *path = write_ini("rpc-workers = 8\nrpc-url = tcp://file:1\n");
	setenv("ECCP_CONFIG", path, 1);
	setenv("ECCP_RPC_WORKERS", "16", 1);
	setenv("ECCP_VERBOSE", "on", 1);
	setenv("ECCP_NOT_OURS", "whatever", 1); /* other programs' variables */
	eccp_config *cfg = LOAD_OK(NULL);
	unsetenv("ECCP_NOT_OURS");
	assert_int_equal(eccp_config_int(cfg, "rpc-workers"), 16);
	assert_string_equal(eccp_config_source(cfg, "rpc-workers"), "env");
	assert_true(eccp_config_bool(cfg, "verbose"));
	assert_string_equal(eccp_config_source(cfg, "verbose"), "env");
	assert_string_equal(eccp_config_str(cfg, "rpc-url"), "tcp://file:1");
	assert_string_equal(eccp_config_source(cfg, "rpc-url"), "file");
	assert_string_equal(eccp_config_str(cfg, "config"), path);
	assert_string_equal(eccp_config_source(cfg, "config"), "env");
	eccp_config_free(cfg);
}

static void test_flag_overrides_env(void **state)
{
	(void)state;
	const char *path = write_ini("rpc-workers = 8\ndb-path = /file\n");
	setenv("ECCP_RPC_WORKERS", "16", 1);
	setenv("ECCP_RPC_URL", "tcp://env:2", 1);
	setenv("ECCP_VERBOSE", "true", 1);
	eccp_config *cfg = LOAD_OK("--rpc-workers=32", "--config", path, "--rpc-url",
	                           "tcp://flag:3", "--no-verbose", "--offset=-7");
	assert_int_equal(eccp_config_int(cfg, "rpc-workers"), 32);
	assert_string_equal(eccp_config_str(cfg, "rpc-url"), "tcp://flag:3");
	assert_false(eccp_config_bool(cfg, "verbose"));
	assert_int_equal(eccp_config_int(cfg, "offset"), -7);
	assert_string_equal(eccp_config_str(cfg, "db-path"), "/file");
	assert_string_equal(eccp_config_source(cfg, "rpc-workers"), "flag");
	assert_string_equal(eccp_config_source(cfg, "rpc-url"), "flag");
	assert_string_equal(eccp_config_source(cfg, "verbose"), "flag");
	assert_string_equal(eccp_config_source(cfg, "offset"), "flag");
	assert_string_equal(eccp_config_source(cfg, "db-path"), "file");
	eccp_config_free(cfg);

	/* A repeated flag: the last one wins. */
	cfg = LOAD_OK("--rpc-workers=2", "--rpc-workers", "3");
	assert_int_equal(eccp_config_int(cfg, "rpc-workers"), 3);
	eccp_config_free(cfg);

	/* --config beats ECCP_CONFIG. */
	const char *other = write_ini("rpc-workers = 9\n");
	setenv("ECCP_CONFIG", "/nonexistent/eccp.ini", 1);
	unsetenv("ECCP_RPC_WORKERS");
	char flag[128];
	snprintf(flag, sizeof(flag), "--config=%s", other);
	cfg = LOAD_OK(flag);
	assert_int_equal(eccp_config_int(cfg, "rpc-workers"), 9);
	assert_string_equal(eccp_config_source(cfg, "config"), "flag");
	eccp_config_free(cfg);
}

/* ---- INI syntax ----------------------------------------------------- */

static void test_sections(void **state)
{
	(void)state;
	/* [ingest] beats [common] and top level wherever it appears; other
	 * sections are skipped, unknown keys and bad values included. */
	const char *path = write_ini("rpc-workers = 2\n"
	                             "[ingest]\n"
	                             "rpc-workers = 6\n"
	                             "[catalog]\n"
	                             "rpc-workers = 0\n"
	                             "catalog-only = 1\n"
	                             "verbose = maybe\n"
	                             "[common]\n"
	                             "rpc-workers = 5\n"
	                             "rpc-url = tcp://common:1\n"
	                             "[ broker ]\n"
	                             "db-path = /broker\n");
	eccp_config *cfg = LOAD_OK("--config", path);
	assert_int_equal(eccp_config_int(cfg, "rpc-workers"), 6);
	assert_string_equal(eccp_config_str(cfg, "rpc-url"), "tcp://common:1");
	assert_false(eccp_config_bool(cfg, "verbose"));
	assert_string_equal(eccp_config_str(cfg, "db-path"), "");
	assert_string_equal(eccp_config_source(cfg, "db-path"), "default");
	eccp_config_free(cfg);

	/* The same file read by a program whose section is "catalog". */
	char err[256] = "";
	char *argv[] = {"catalog", "--config", (char *)path, NULL};
	assert_int_equal(eccp_config_load(opts, NOPTS, "catalog", "catalog", 3, argv,
	                                  &cfg, err, sizeof(err)),
	                 ECCP_CONFIG_ERROR);
	char want[256];
	snprintf(want, sizeof(want),
	         "%s:5: rpc-workers: must be between 1 and 1024 (got 0)", path);
	assert_string_equal(err, want);
}

static void test_ini_syntax(void **state)
{
	(void)state;
	const char *path = write_ini("\xEF\xBB\xBF# comment\n"
	                             "; another comment\n"
	                             "   # indented comment\n"
	                             "\n"
	                             "   \t\n"
	                             "  rpc_url   =   tcp://a:1  \r\n"
	                             "db-path=\"  spaced # not a comment  \"\n"
	                             "verbose = \"on\"\n"
	                             "offset = -123\n"
	                             "[ingest]\r\n"
	                             "rpc-workers=1024\n");
	eccp_config *cfg = LOAD_OK("--config", path);
	assert_string_equal(eccp_config_str(cfg, "rpc-url"), "tcp://a:1");
	assert_string_equal(eccp_config_str(cfg, "db-path"),
	                    "  spaced # not a comment  ");
	assert_true(eccp_config_bool(cfg, "verbose"));
	assert_int_equal(eccp_config_int(cfg, "offset"), -123);
	assert_int_equal(eccp_config_int(cfg, "rpc-workers"), 1024);
	eccp_config_free(cfg);

	/* Empty values and the empty quoted string are both "". */
	path = write_ini("rpc-url =\ndb-path = \"\"\n");
	cfg = LOAD_OK("--config", path);
	assert_string_equal(eccp_config_str(cfg, "rpc-url"), "");
	assert_string_equal(eccp_config_source(cfg, "rpc-url"), "file");
	assert_string_equal(eccp_config_str(cfg, "db-path"), "");
	eccp_config_free(cfg);
}

/* ---- errors --------------------------------------------------------- */

static void expect_file_error(const char *text, const char *fmt_suffix)
{
	const char *path = write_ini(text);
	char want[512];
	snprintf(want, sizeof(want), "%s:%s", path, fmt_suffix);
	EXPECT_ERROR(want, "--config", path);
}

static void test_file_errors(void **state)
{
	(void)state;
	expect_file_error("# ok\n\n[ingest]\nfoo = 1\n", "4: unknown option 'foo'");
	expect_file_error("rpc_urll = x\n", "1: unknown option 'rpc_urll'");
	expect_file_error("verbose\n", "1: expected 'key = value'");
	expect_file_error("\n = 3\n", "2: expected 'key = value'");
	expect_file_error("[ingest\n", "1: malformed section header");
	expect_file_error("[]\n", "1: malformed section header");
	expect_file_error("db-path = \"abc\n", "1: unterminated quote");
	expect_file_error("db-path = \"\n", "1: unterminated quote");
	expect_file_error("config = /x\n", "1: 'config' cannot be set in a config file");
	expect_file_error("rpc-workers = 0\n",
	                  "1: rpc-workers: must be between 1 and 1024 (got 0)");
	expect_file_error("\n\nrpc-workers = 12abc\n",
	                  "3: rpc-workers: expected an integer (got '12abc')");
	expect_file_error(
	    "verbose = maybe\n",
	    "1: verbose: expected true/false, yes/no, on/off or 1/0 (got 'maybe')");
}

static void test_missing_file(void **state)
{
	(void)state;
	EXPECT_ERROR("cannot open config file '/nonexistent/eccp.ini': No such file or "
	             "directory",
	             "--config=/nonexistent/eccp.ini");
	setenv("ECCP_CONFIG", "/nonexistent/env.ini", 1);
	EXPECT_ERROR("cannot open config file '/nonexistent/env.ini': No such file or "
	             "directory",
	             NULL);
	/* An empty ECCP_CONFIG means "no file". */
	setenv("ECCP_CONFIG", "", 1);
	eccp_config *cfg = LOAD_OK(NULL);
	eccp_config_free(cfg);
}

static void test_flag_errors(void **state)
{
	(void)state;
	EXPECT_ERROR("unknown option '--foo' (see --help)", "--foo");
	EXPECT_ERROR("unknown option '--foo' (see --help)", "--foo=bar");
	EXPECT_ERROR("unknown option '--no-rpc-url' (see --help)", "--no-rpc-url");
	EXPECT_ERROR("unknown option '-x' (see --help)", "-x");
	EXPECT_ERROR("unexpected argument 'extra'", "--verbose", "extra");
	EXPECT_ERROR("unexpected argument 'extra'", "--", "extra");
	EXPECT_ERROR("unexpected argument '-'", "-");
	EXPECT_ERROR("--rpc-url: missing value", "--rpc-url");
	EXPECT_ERROR("--config: missing value", "--config");
	EXPECT_ERROR("--no-verbose: takes no value", "--no-verbose=1");
	EXPECT_ERROR("--rpc-workers: must be between 1 and 1024 (got 0)",
	             "--rpc-workers=0");
	EXPECT_ERROR("--rpc-workers: must be between 1 and 1024 (got 1025)",
	             "--rpc-workers", "1025");
	EXPECT_ERROR("--rpc-workers: expected an integer (got '')", "--rpc-workers=");
	EXPECT_ERROR("--rpc-workers: expected an integer (got ' 5')", "--rpc-workers= 5");
	EXPECT_ERROR("--rpc-workers: expected an integer (got '0x10')",
	             "--rpc-workers=0x10");
	EXPECT_ERROR("--rpc-workers: expected an integer (got '-')", "--rpc-workers=-");
	EXPECT_ERROR("--rpc-workers: expected an integer (got '1.5')",
	             "--rpc-workers=1.5");
	EXPECT_ERROR(
	    "--rpc-workers: must be between 1 and 1024 (got 99999999999999999999)",
	    "--rpc-workers=99999999999999999999");
	EXPECT_ERROR("--offset: integer out of range (got 9223372036854775808)",
	             "--offset=9223372036854775808");
	EXPECT_ERROR("--verbose: expected true/false, yes/no, on/off or 1/0 (got 'nope')",
	             "--verbose=nope");
	/* "--" ends the options; nothing after it is fine. */
	eccp_config *cfg = LOAD_OK("--verbose", "--");
	assert_true(eccp_config_bool(cfg, "verbose"));
	eccp_config_free(cfg);
}

static void test_env_errors(void **state)
{
	(void)state;
	setenv("ECCP_RPC_WORKERS", "0", 1);
	EXPECT_ERROR("ECCP_RPC_WORKERS: must be between 1 and 1024 (got 0)", NULL);
	setenv("ECCP_RPC_WORKERS", "lots", 1);
	EXPECT_ERROR("ECCP_RPC_WORKERS: expected an integer (got 'lots')", NULL);
	unsetenv("ECCP_RPC_WORKERS");
	setenv("ECCP_VERBOSE", "2", 1);
	EXPECT_ERROR("ECCP_VERBOSE: expected true/false, yes/no, on/off or 1/0 (got '2')",
	             NULL);
	/* A flag would override the bad variable, but every source is checked. */
	EXPECT_ERROR("ECCP_VERBOSE: expected true/false, yes/no, on/off or 1/0 (got '2')",
	             "--verbose");
}

static void test_table_errors(void **state)
{
	(void)state;
	char err[256];
	eccp_config *cfg = NULL;
	char *argv[] = {"x", NULL};
	const eccp_option dup[] = {
	    {"a", ECCP_OPT_INT, "1", 0, 0, NULL},
	    {"a", ECCP_OPT_INT, "1", 0, 0, NULL},
	};
	assert_int_equal(
	    eccp_config_load(dup, 2, "x", "x", 1, argv, &cfg, err, sizeof(err)),
	    ECCP_CONFIG_ERROR);
	assert_string_equal(err, "option table: 'a' is listed twice");
	const eccp_option bad_def[] = {{"n", ECCP_OPT_INT, "0", 1, 9, NULL}};
	assert_int_equal(
	    eccp_config_load(bad_def, 1, "x", "x", 1, argv, &cfg, err, sizeof(err)),
	    ECCP_CONFIG_ERROR);
	assert_string_equal(
	    err, "option table: default of n: must be between 1 and 9 (got 0)");
	const eccp_option bad_name[] = {{"Bad_Name", ECCP_OPT_INT, "0", 0, 0, NULL}};
	assert_int_equal(
	    eccp_config_load(bad_name, 1, "x", "x", 1, argv, &cfg, err, sizeof(err)),
	    ECCP_CONFIG_ERROR);
	assert_string_equal(err, "option table: invalid option name 'Bad_Name'");
	const eccp_option reserved[] = {{"help", ECCP_OPT_BOOL, NULL, 0, 0, NULL}};
	assert_int_equal(
	    eccp_config_load(reserved, 1, "x", "x", 1, argv, &cfg, err, sizeof(err)),
	    ECCP_CONFIG_ERROR);
	assert_string_equal(err, "option table: 'help' is reserved");
	assert_null(cfg);

	/* A tiny err buffer is truncated, never overrun. */
	char small[8];
	memset(small, 'z', sizeof(small));
	assert_int_equal(load_args(&cfg, small, 6, "--foo", (char *)NULL),
	                 ECCP_CONFIG_ERROR);
	assert_string_equal(small, "unkno");
	assert_int_equal(small[6], 'z');
	/* ... and a NULL one is allowed. */
	assert_int_equal(load_args(&cfg, NULL, 0, "--foo", (char *)NULL),
	                 ECCP_CONFIG_ERROR);
}

/* ---- value forms ---------------------------------------------------- */

static void test_bool_forms(void **state)
{
	(void)state;
	static const char *const yes[] = {"true", "TRUE", "Yes", "on", "ON", "1"};
	static const char *const no[] = {"false", "False", "no", "NO", "off", "Off", "0"};
	char flag[64];
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		snprintf(flag, sizeof(flag), "--verbose=%s", yes[i]);
		eccp_config *cfg = LOAD_OK(flag);
		assert_true(eccp_config_bool(cfg, "verbose"));
		eccp_config_free(cfg);
		setenv("ECCP_VERBOSE", yes[i], 1);
		cfg = LOAD_OK(NULL);
		assert_true(eccp_config_bool(cfg, "verbose"));
		eccp_config_free(cfg);
		unsetenv("ECCP_VERBOSE");
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		snprintf(flag, sizeof(flag), "--verbose=%s", no[i]);
		setenv("ECCP_VERBOSE", "1", 1);
		eccp_config *cfg = LOAD_OK(flag);
		assert_false(eccp_config_bool(cfg, "verbose"));
		eccp_config_free(cfg);
		setenv("ECCP_VERBOSE", no[i], 1);
		cfg = LOAD_OK(NULL);
		assert_false(eccp_config_bool(cfg, "verbose"));
		eccp_config_free(cfg);
		unsetenv("ECCP_VERBOSE");
	}
	eccp_config *cfg = LOAD_OK("--verbose");
	assert_true(eccp_config_bool(cfg, "verbose"));
	eccp_config_free(cfg);
	cfg = LOAD_OK("--verbose", "--no-verbose");
	assert_false(eccp_config_bool(cfg, "verbose"));
	eccp_config_free(cfg);
	cfg = LOAD_OK("--no-verbose", "--verbose");
	assert_true(eccp_config_bool(cfg, "verbose"));
	eccp_config_free(cfg);
}

static void test_int_bounds(void **state)
{
	(void)state;
	eccp_config *cfg = LOAD_OK("--rpc-workers=1");
	assert_int_equal(eccp_config_int(cfg, "rpc-workers"), 1);
	eccp_config_free(cfg);
	cfg = LOAD_OK("--rpc-workers=+1024");
	assert_int_equal(eccp_config_int(cfg, "rpc-workers"), 1024);
	eccp_config_free(cfg);
	cfg = LOAD_OK("--rpc-workers=007");
	assert_int_equal(eccp_config_int(cfg, "rpc-workers"), 7);
	eccp_config_free(cfg);
	EXPECT_ERROR("--rpc-workers: must be between 1 and 1024 (got -1)",
	             "--rpc-workers=-1");

	/* min == max == 0: the whole 64-bit range. */
	cfg = LOAD_OK("--offset=9223372036854775807");
	assert_true(eccp_config_int(cfg, "offset") == LLONG_MAX);
	eccp_config_free(cfg);
	cfg = LOAD_OK("--offset=-9223372036854775808");
	assert_true(eccp_config_int(cfg, "offset") == LLONG_MIN);
	eccp_config_free(cfg);
	EXPECT_ERROR("--offset: integer out of range (got -9223372036854775809)",
	             "--offset=-9223372036854775809");
}

/* ---- help ----------------------------------------------------------- */

static void test_help_text(void **state)
{
	(void)state;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	eccp_config_help(opts, NOPTS, "ingest", f);
	fclose(f);
	assert_string_equal(
	    buf,
	    "Usage: ingest [OPTIONS]\n"
	    "\n"
	    "Options:\n"
	    "  --rpc-url=<string>   broker RPC address (default: tcp://127.0.0.1:7000; "
	    "env ECCP_RPC_URL)\n"
	    "  --rpc-workers=<int>  RPC worker threads (default: 4; range 1..1024; env "
	    "ECCP_RPC_WORKERS)\n"
	    "  --[no-]verbose       log more (default: false; env ECCP_VERBOSE)\n"
	    "  --db-path=<string>   SQLite database (env ECCP_DB_PATH)\n"
	    "  --offset=<int>       (default: -5; env ECCP_OFFSET)\n"
	    "  --config=<file>      read options from this INI file (env ECCP_CONFIG)\n"
	    "  -h, --help           print this help and exit\n");
	free(buf);
}

static void test_help_flag(void **state)
{
	(void)state;
	static const char *const forms[] = {"--help", "-h"};
	for (int i = 0; i < 2; i++) {
		char path[] = "/tmp/eccp_test_help_XXXXXX";
		int fd = mkstemp(path);
		assert_true(fd >= 0);
		unlink(path);
		fflush(stdout);
		int saved = dup(STDOUT_FILENO);
		dup2(fd, STDOUT_FILENO);
		char err[64] = "";
		eccp_config *cfg = (eccp_config *)0x1;
		/* Help wins even over a value that would be an error. */
		int rc = load_args(&cfg, err, sizeof(err), "--rpc-workers=0", forms[i],
		                   (char *)NULL);
		fflush(stdout);
		dup2(saved, STDOUT_FILENO);
		close(saved);
		char out[128] = "";
		assert_true(pread(fd, out, sizeof(out) - 1, 0) > 0);
		close(fd);
		assert_int_equal(rc, ECCP_CONFIG_HELP);
		assert_null(cfg);
		assert_memory_equal(out, "Usage: ingest [OPTIONS]\n", 24);
	}
}

/* ---- reload --------------------------------------------------------- */

static void test_reload(void **state)
{
	(void)state;
	const char *path = write_ini("rpc-workers = 8\nrpc-url = tcp://old:1\n");
	setenv("ECCP_DB_PATH", "/old.db", 1);
	eccp_config *cfg = LOAD_OK("--config", path, "--verbose", "--offset=3");

	rewrite_ini(path, "rpc-workers = 12\nrpc-url = tcp://new:1\noffset = 99\n");
	setenv("ECCP_DB_PATH", "/new.db", 1);
	char err[256] = "";
	eccp_config *next = (eccp_config *)0x1;
	assert_int_equal(eccp_config_reload(cfg, &next, err, sizeof(err)),
	                 ECCP_CONFIG_OK);
	assert_non_null(next);
	assert_int_equal(eccp_config_int(next, "rpc-workers"), 12);
	assert_string_equal(eccp_config_str(next, "rpc-url"), "tcp://new:1");
	assert_string_equal(eccp_config_str(next, "db-path"), "/new.db");
	assert_string_equal(eccp_config_source(next, "db-path"), "env");
	assert_true(eccp_config_bool(next, "verbose"));
	assert_string_equal(eccp_config_source(next, "verbose"), "flag");
	assert_int_equal(eccp_config_int(next, "offset"), 3); /* flag beats file */
	assert_string_equal(eccp_config_source(next, "offset"), "flag");
	assert_string_equal(eccp_config_str(next, "config"), path);
	/* The old configuration is untouched. */
	assert_int_equal(eccp_config_int(cfg, "rpc-workers"), 8);
	assert_string_equal(eccp_config_str(cfg, "db-path"), "/old.db");
	eccp_config_free(cfg);
	cfg = next;

	/* A broken file: error, nothing returned, the current config intact. */
	rewrite_ini(path, "rpc-workers = 12\nbogus = 1\n");
	next = (eccp_config *)0x1;
	assert_int_equal(eccp_config_reload(cfg, &next, err, sizeof(err)),
	                 ECCP_CONFIG_ERROR);
	assert_null(next);
	char want[256];
	snprintf(want, sizeof(want), "%s:2: unknown option 'bogus'", path);
	assert_string_equal(err, want);
	rewrite_ini(path, "rpc-workers = 5000\n");
	assert_int_equal(eccp_config_reload(cfg, &next, err, sizeof(err)),
	                 ECCP_CONFIG_ERROR);
	snprintf(want, sizeof(want),
	         "%s:1: rpc-workers: must be between 1 and 1024 (got 5000)", path);
	assert_string_equal(err, want);
	unlink(path);
	assert_int_equal(eccp_config_reload(cfg, &next, err, sizeof(err)),
	                 ECCP_CONFIG_ERROR);
	snprintf(want, sizeof(want),
	         "cannot open config file '%s': No such file or directory", path);
	assert_string_equal(err, want);
	assert_int_equal(eccp_config_int(cfg, "rpc-workers"), 12);
	assert_string_equal(eccp_config_str(cfg, "rpc-url"), "tcp://new:1");
	assert_true(eccp_config_bool(cfg, "verbose"));

	/* Reloading a reloaded config works, too. */
	rewrite_ini(path, "rpc-workers = 2\n");
	assert_int_equal(eccp_config_reload(cfg, &next, err, sizeof(err)),
	                 ECCP_CONFIG_OK);
	assert_int_equal(eccp_config_int(next, "rpc-workers"), 2);
	eccp_config_free(next);
	eccp_config_free(cfg);
}

static void test_reload_env_config_path(void **state)
{
	(void)state;
	const char *a = write_ini("rpc-workers = 10\n");
	const char *b = write_ini("rpc-workers = 20\n");
	setenv("ECCP_CONFIG", a, 1);
	eccp_config *cfg = LOAD_OK(NULL);
	assert_int_equal(eccp_config_int(cfg, "rpc-workers"), 10);
	/* The path came from the environment, so reload follows it. */
	setenv("ECCP_CONFIG", b, 1);
	char err[256];
	eccp_config *next = NULL;
	assert_int_equal(eccp_config_reload(cfg, &next, err, sizeof(err)),
	                 ECCP_CONFIG_OK);
	assert_int_equal(eccp_config_int(next, "rpc-workers"), 20);
	assert_string_equal(eccp_config_str(next, "config"), b);
	assert_string_equal(eccp_config_source(next, "config"), "env");
	eccp_config_free(next);
	eccp_config_free(cfg);
}

/* ---- tables with their own "config" --------------------------------- */

static void test_table_config_default(void **state)
{
	(void)state;
	const eccp_option t[] = {
	    {"config", ECCP_OPT_STRING, "/nonexistent/default.ini", 0, 0,
	     "settings file"},
	    {"port", ECCP_OPT_INT, "80", 1, 65535, "listen port"},
	};
	char err[256] = "";
	eccp_config *cfg = NULL;
	char *argv[] = {"x", NULL};
	/* A default path that does not exist is not an error... */
	assert_int_equal(
	    eccp_config_load(t, 2, "x", "x", 1, argv, &cfg, err, sizeof(err)),
	    ECCP_CONFIG_OK);
	assert_string_equal(eccp_config_str(cfg, "config"), "/nonexistent/default.ini");
	assert_string_equal(eccp_config_source(cfg, "config"), "default");
	eccp_config_free(cfg);
	/* ...but one that does is read. */
	const char *path = write_ini("[x]\nport = 8080\n");
	const eccp_option t2[] = {
	    {"config", ECCP_OPT_STRING, path, 0, 0, "settings file"},
	    {"port", ECCP_OPT_INT, "80", 1, 65535, "listen port"},
	};
	assert_int_equal(
	    eccp_config_load(t2, 2, "x", "x", 1, argv, &cfg, err, sizeof(err)),
	    ECCP_CONFIG_OK);
	assert_int_equal(eccp_config_int(cfg, "port"), 8080);
	eccp_config_free(cfg);
}

/* ---- misuse aborts -------------------------------------------------- */

typedef enum {
	ASK_UNKNOWN,
	ASK_WRONG_INT,
	ASK_WRONG_STR,
	ASK_WRONG_BOOL,
	ASK_SOURCE
} misuse;

static void expect_abort(misuse how)
{
	eccp_config *cfg = LOAD_OK(NULL);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);
		dup2(devnull, STDERR_FILENO);
		switch (how) {
		case ASK_UNKNOWN:
			eccp_config_str(cfg, "no-such-option");
			break;
		case ASK_WRONG_INT:
			eccp_config_int(cfg, "rpc-url");
			break;
		case ASK_WRONG_STR:
			eccp_config_str(cfg, "rpc-workers");
			break;
		case ASK_WRONG_BOOL:
			eccp_config_bool(cfg, "offset");
			break;
		case ASK_SOURCE:
			eccp_config_source(cfg, "nope");
			break;
		}
		_exit(0);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
	eccp_config_free(cfg);
}

static void test_misuse_aborts(void **state)
{
	(void)state;
	expect_abort(ASK_UNKNOWN);
	expect_abort(ASK_WRONG_INT);
	expect_abort(ASK_WRONG_STR);
	expect_abort(ASK_WRONG_BOOL);
	expect_abort(ASK_SOURCE);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_defaults),
	    T(test_file_overrides_default),
	    T(test_env_overrides_file),
	    T(test_flag_overrides_env),
	    T(test_sections),
	    T(test_ini_syntax),
	    T(test_file_errors),
	    T(test_missing_file),
	    T(test_flag_errors),
	    T(test_env_errors),
	    T(test_table_errors),
	    T(test_bool_forms),
	    T(test_int_bounds),
	    T(test_help_text),
	    T(test_help_flag),
	    T(test_reload),
	    T(test_reload_env_config_path),
	    T(test_table_config_default),
	    T(test_misuse_aborts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
