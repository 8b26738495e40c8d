/* Option table → configuration. One pipeline (cfg_build) serves both load and
 * reload: defaults, then the INI file, then ECCP_* variables, then the flags
 * recorded at load time. Each step overwrites the previous one, so precedence
 * is simply the order of the steps. Reload builds a fresh eccp_config and only
 * hands it out when every step succeeded, so a broken file on SIGHUP can never
 * leave a daemon with a half-applied configuration. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Longest option name; keeps env-variable and label buffers fixed-size. */
#define CFG_NAME_MAX   64
#define CFG_ENV_PREFIX "ECCP_"
#define CFG_NONE       ((size_t)-1)

enum cfg_src { CFG_SRC_DEFAULT, CFG_SRC_FILE, CFG_SRC_ENV, CFG_SRC_FLAG };

static const char *const cfg_src_names[] = {"default", "file", "env", "flag"};

typedef struct {
	char *str; /* ECCP_OPT_STRING only; owned */
	long long i;
	bool b;
	enum cfg_src src;
} cfg_value;

/* A flag as given on the command line, kept so reload can re-apply it. */
typedef struct {
	size_t opt;
	char *value;
} cfg_flag;

struct eccp_config {
	/* Shallow copy of the caller's table (its strings must stay valid, as
	 * static tables do) plus the implicit "config" entry if it had none. */
	eccp_option *opts;
	size_t n;
	size_t config_idx;
	char *progname;
	char *section;
	cfg_flag *flags;
	size_t nflags;
	cfg_value *vals;
};

static const eccp_option cfg_config_opt = {
    "config", ECCP_OPT_STRING, NULL, 0, 0, "read options from this INI file",
};

static void cfg_oom(void)
{
	/* Configuration happens at start-up or on SIGHUP with tiny allocations;
	 * threading ENOMEM through every helper would buy nothing. */
	fputs("eccp_config: out of memory\n", stderr);
	abort();
}

static void *cfg_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (!p)
		cfg_oom();
	return p;
}

static char *cfg_strdup(const char *s)
{
	char *p = strdup(s ? s : "");
	if (!p)
		cfg_oom();
	return p;
}

__attribute__((format(printf, 3, 4))) static int cfg_err(char *err, size_t errlen,
                                                         const char *fmt, ...)
{
	if (err && errlen > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ECCP_CONFIG_ERROR;
}

static const char *cfg_type_hint(const eccp_option *o)
{
	if (strcmp(o->name, "config") == 0)
		return "<file>";
	switch (o->type) {
	case ECCP_OPT_INT:
		return "<int>";
	case ECCP_OPT_BOOL:
		return "";
	default:
		return "<string>";
	}
}

static void cfg_env_name(const char *name, char *out, size_t cap)
{
	size_t k = strlen(CFG_ENV_PREFIX);
	memcpy(out, CFG_ENV_PREFIX, k);
	for (; *name && k + 1 < cap; name++)
		out[k++] = *name == '-' ? '_' : (char)toupper((unsigned char)*name);
	out[k] = '\0';
}

static bool cfg_is_bounded(const eccp_option *o)
{
	return !(o->min == 0 && o->max == 0);
}

/* Lookup by a name that need not be NUL-terminated (flags carry "=value"). */
static size_t cfg_find(const eccp_config *c, const char *name, size_t len)
{
	for (size_t i = 0; i < c->n; i++)
		if (strlen(c->opts[i].name) == len &&
		    memcmp(c->opts[i].name, name, len) == 0)
			return i;
	return CFG_NONE;
}

/* ---- values --------------------------------------------------------- */

static int cfg_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

/* Parses text for option o into *v. label names where the text came from so
 * the message points the user at the right place ("--x", "ECCP_X",
 * "file.ini:3: x"). */
static int cfg_parse(const eccp_option *o, const char *text, const char *label,
                     cfg_value *v, char *err, size_t errlen)
{
	memset(v, 0, sizeof(*v));
	switch (o->type) {
	case ECCP_OPT_STRING:
		v->str = cfg_strdup(text);
		return 0;
	case ECCP_OPT_BOOL:
		if (cfg_parse_bool(text, &v->b) != 0)
			return cfg_err(err, errlen,
			               "%s: expected true/false, yes/no, on/off or 1/0 "
			               "(got '%s')",
			               label, text);
		return 0;
	case ECCP_OPT_INT: {
		/* strtoll alone would accept leading blanks, hex via base 0,
		 * and silently clamp on overflow; be strict instead. */
		const char *p = text;
		if (*p == '+' || *p == '-')
			p++;
		char *end = NULL;
		errno = 0;
		long long x = isdigit((unsigned char)*p) ? strtoll(text, &end, 10) : 0;
		if (!end || *end != '\0')
			return cfg_err(err, errlen, "%s: expected an integer (got '%s')",
			               label, text);
		if (errno == ERANGE) {
			if (cfg_is_bounded(o))
				return cfg_err(
				    err, errlen,
				    "%s: must be between %lld and %lld (got %s)", label,
				    o->min, o->max, text);
			return cfg_err(err, errlen, "%s: integer out of range (got %s)",
			               label, text);
		}
		if (cfg_is_bounded(o) && (x < o->min || x > o->max))
			return cfg_err(err, errlen,
			               "%s: must be between %lld and %lld (got %lld)",
			               label, o->min, o->max, x);
		v->i = x;
		return 0;
	}
	}
	return cfg_err(err, errlen, "%s: option has an invalid type", label);
}

static void cfg_store(eccp_config *c, size_t idx, cfg_value *v, enum cfg_src src)
{
	free(c->vals[idx].str);
	c->vals[idx] = *v;
	c->vals[idx].src = src;
}

static int cfg_set(eccp_config *c, size_t idx, const char *text, enum cfg_src src,
                   const char *label, char *err, size_t errlen)
{
	cfg_value v;
	if (cfg_parse(&c->opts[idx], text, label, &v, err, errlen) != 0)
		return ECCP_CONFIG_ERROR;
	cfg_store(c, idx, &v, src);
	return 0;
}

/* ---- construction --------------------------------------------------- */

static bool cfg_valid_name(const char *s)
{
	size_t len = strlen(s);
	if (len == 0 || len > CFG_NAME_MAX || s[0] == '-' || s[len - 1] == '-')
		return false;
	for (; *s; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) ||
		      *s == '-'))
			return false;
	return true;
}

static void cfg_destroy(eccp_config *c)
{
	if (!c)
		return;
	if (c->vals)
		for (size_t i = 0; i < c->n; i++)
			free(c->vals[i].str);
	for (size_t i = 0; i < c->nflags; i++)
		free(c->flags[i].value);
	free(c->flags);
	free(c->vals);
	free(c->opts);
	free(c->progname);
	free(c->section);
	free(c);
}

/* Checks the table (a bad table is the programmer's mistake, but reporting it
 * through err keeps the daemon's start-up error path uniform) and sets up an
 * empty configuration around it. */
static int cfg_create(const eccp_option *opts, size_t n, const char *progname,
                      const char *section, eccp_config **out, char *err, size_t errlen)
{
	eccp_config *c = cfg_calloc(1, sizeof(*c));
	c->opts = cfg_calloc(n + 1, sizeof(*c->opts));
	c->config_idx = CFG_NONE;
	for (size_t i = 0; i < n; i++) {
		const eccp_option *o = &opts[i];
		if (!o->name || !cfg_valid_name(o->name)) {
			cfg_destroy(c);
			return cfg_err(err, errlen,
			               "option table: invalid option name '%s'",
			               o->name ? o->name : "(null)");
		}
		if (o->type != ECCP_OPT_STRING && o->type != ECCP_OPT_INT &&
		    o->type != ECCP_OPT_BOOL) {
			cfg_destroy(c);
			return cfg_err(err, errlen,
			               "option table: '%s' has an invalid type", o->name);
		}
		if (strcmp(o->name, "help") == 0 ||
		    (strcmp(o->name, "config") == 0 && o->type != ECCP_OPT_STRING)) {
			cfg_destroy(c);
			return cfg_err(err, errlen, "option table: '%s' is reserved",
			               o->name);
		}
		if (o->type == ECCP_OPT_INT && o->min > o->max) {
			cfg_destroy(c);
			return cfg_err(err, errlen, "option table: '%s' has min > max",
			               o->name);
		}
		for (size_t j = 0; j < i; j++) {
			if (strcmp(opts[j].name, o->name) == 0) {
				cfg_destroy(c);
				return cfg_err(err, errlen,
				               "option table: '%s' is listed twice",
				               o->name);
			}
		}
		if (strcmp(o->name, "config") == 0)
			c->config_idx = i;
		c->opts[i] = *o;
	}
	c->n = n;
	if (c->config_idx == CFG_NONE) {
		c->config_idx = n;
		c->opts[c->n++] = cfg_config_opt;
	}
	c->vals = cfg_calloc(c->n, sizeof(*c->vals));
	c->progname = cfg_strdup(progname ? progname : "eccp");
	c->section = section ? cfg_strdup(section) : NULL;
	*out = c;
	return 0;
}

static void cfg_add_flag(eccp_config *c, size_t idx, const char *value)
{
	cfg_flag *f = realloc(c->flags, (c->nflags + 1) * sizeof(*f));
	if (!f)
		cfg_oom();
	c->flags = f;
	c->flags[c->nflags].opt = idx;
	c->flags[c->nflags].value = cfg_strdup(value);
	c->nflags++;
}

/* Only records the flags; their values are checked when applied so the
 * checks are shared with reload. Sets *help and stops at --help / -h. */
static int cfg_parse_argv(eccp_config *c, int argc, char **argv, bool *help, char *err,
                          size_t errlen)
{
	*help = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			*help = true;
			return 0;
		}
		if (strcmp(a, "--") == 0) {
			if (i + 1 < argc)
				return cfg_err(err, errlen, "unexpected argument '%s'",
				               argv[i + 1]);
			break;
		}
		if (a[0] != '-' || a[1] == '\0')
			return cfg_err(err, errlen, "unexpected argument '%s'", a);
		if (a[1] != '-')
			return cfg_err(err, errlen, "unknown option '%s' (see --help)",
			               a);

		const char *name = a + 2;
		const char *eq = strchr(name, '=');
		size_t len = eq ? (size_t)(eq - name) : strlen(name);
		size_t idx = cfg_find(c, name, len);
		bool negated = false;
		if (idx == CFG_NONE && len > 3 && strncmp(name, "no-", 3) == 0) {
			size_t base = cfg_find(c, name + 3, len - 3);
			if (base != CFG_NONE && c->opts[base].type == ECCP_OPT_BOOL) {
				idx = base;
				negated = true;
			}
		}
		if (idx == CFG_NONE)
			return cfg_err(err, errlen,
			               "unknown option '--%.*s' (see --help)", (int)len,
			               name);

		const eccp_option *o = &c->opts[idx];
		const char *value;
		if (negated) {
			if (eq)
				return cfg_err(err, errlen, "--no-%s: takes no value",
				               o->name);
			value = "false";
		} else if (eq) {
			value = eq + 1;
		} else if (o->type == ECCP_OPT_BOOL) {
			/* A following word is never taken as a bool's value:
			 * "--verbose yes" would be ambiguous with a positional. */
			value = "true";
		} else if (i + 1 < argc) {
			value = argv[++i];
		} else {
			return cfg_err(err, errlen, "--%s: missing value", o->name);
		}
		cfg_add_flag(c, idx, value);
	}
	return 0;
}

/* ---- INI file ------------------------------------------------------- */

static char *cfg_trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t len = strlen(s);
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		s[--len] = '\0';
	return s;
}

/* Which file values win: a key in the program's own section beats the same
 * key at top level or in [common], wherever it appears in the file. */
enum { CFG_RANK_NONE = 0, CFG_RANK_COMMON = 1, CFG_RANK_PROGRAM = 2 };

static int cfg_read_file(eccp_config *c, const char *path, bool explicit_path, char *err,
                         size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		/* Only a path that was asked for must exist; a table default
		 * such as /etc/eccp.ini is optional. */
		if (!explicit_path && errno == ENOENT)
			return 0;
		return cfg_err(err, errlen, "cannot open config file '%s': %s", path,
		               strerror(errno));
	}

	unsigned char *rank = cfg_calloc(c->n, 1);
	int applies = CFG_RANK_COMMON; /* keys before any section apply */
	char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0;
	int rc = 0;
	errno = 0;
	while (rc == 0 && getline(&line, &cap, f) >= 0) {
		lineno++;
		char *s = line;
		if (lineno == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0)
			s += 3; /* editors on some systems add a UTF-8 BOM */
		s = cfg_trim(s);
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;

		if (*s == '[') {
			size_t len = strlen(s);
			if (len < 3 || s[len - 1] != ']') {
				rc = cfg_err(err, errlen,
				             "%s:%u: malformed section header", path,
				             lineno);
				break;
			}
			s[len - 1] = '\0';
			char *sec = cfg_trim(s + 1);
			if (*sec == '\0') {
				rc = cfg_err(err, errlen,
				             "%s:%u: malformed section header", path,
				             lineno);
				break;
			}
			if (strcmp(sec, "common") == 0)
				applies = CFG_RANK_COMMON;
			else if (c->section && strcmp(sec, c->section) == 0)
				applies = CFG_RANK_PROGRAM;
			else
				applies = CFG_RANK_NONE;
			continue;
		}

		char *eq = strchr(s, '=');
		if (!eq) {
			rc = cfg_err(err, errlen, "%s:%u: expected 'key = value'", path,
			             lineno);
			break;
		}
		*eq = '\0';
		char *key = cfg_trim(s);
		char *val = cfg_trim(eq + 1);
		if (*key == '\0') {
			rc = cfg_err(err, errlen, "%s:%u: expected 'key = value'", path,
			             lineno);
			break;
		}
		size_t vlen = strlen(val);
		if (val[0] == '"') {
			if (vlen < 2 || val[vlen - 1] != '"') {
				rc = cfg_err(err, errlen, "%s:%u: unterminated quote",
				             path, lineno);
				break;
			}
			val[vlen - 1] = '\0';
			val++;
		}
		/* Other programs' sections may hold keys this table lacks. */
		if (applies == CFG_RANK_NONE)
			continue;

		char norm[CFG_NAME_MAX + 1];
		size_t klen = strlen(key);
		size_t idx = CFG_NONE;
		if (klen <= CFG_NAME_MAX) {
			for (size_t i = 0; i <= klen; i++)
				norm[i] = key[i] == '_' ? '-' : key[i];
			idx = cfg_find(c, norm, klen);
		}
		if (idx == CFG_NONE) {
			rc = cfg_err(err, errlen, "%s:%u: unknown option '%s'", path,
			             lineno, key);
			break;
		}
		if (idx == c->config_idx) {
			rc = cfg_err(err, errlen,
			             "%s:%u: 'config' cannot be set in a config file",
			             path, lineno);
			break;
		}

		char label[1024];
		snprintf(label, sizeof(label), "%s:%u: %s", path, lineno,
		         c->opts[idx].name);
		cfg_value v;
		if (cfg_parse(&c->opts[idx], val, label, &v, err, errlen) != 0) {
			rc = ECCP_CONFIG_ERROR;
			break;
		}
		if (applies >= rank[idx]) {
			rank[idx] = (unsigned char)applies;
			cfg_store(c, idx, &v, CFG_SRC_FILE);
		} else {
			free(v.str);
		}
	}
	if (rc == 0 && ferror(f))
		rc = cfg_err(err, errlen, "cannot read config file '%s': %s", path,
		             strerror(errno ? errno : EIO));
	free(line);
	free(rank);
	fclose(f);
	return rc;
}

/* ---- pipeline ------------------------------------------------------- */

static int cfg_build(eccp_config *c, char *err, size_t errlen)
{
	for (size_t i = 0; i < c->n; i++) {
		const eccp_option *o = &c->opts[i];
		const char *def = o->def;
		if (!def)
			def = o->type == ECCP_OPT_INT    ? "0"
			      : o->type == ECCP_OPT_BOOL ? "false"
			                                 : "";
		char label[CFG_NAME_MAX + 32];
		snprintf(label, sizeof(label), "option table: default of %s", o->name);
		if (cfg_set(c, i, def, CFG_SRC_DEFAULT, label, err, errlen) != 0)
			return ECCP_CONFIG_ERROR;
	}

	/* The file's path is settled first since the file sits below env and
	 * flags; the last --config wins like any other repeated flag. */
	const char *path = c->vals[c->config_idx].str;
	enum cfg_src path_src = CFG_SRC_DEFAULT;
	for (size_t i = 0; i < c->nflags; i++) {
		if (c->flags[i].opt == c->config_idx) {
			path = c->flags[i].value;
			path_src = CFG_SRC_FLAG;
		}
	}
	char envname[CFG_NAME_MAX + 8];
	cfg_env_name("config", envname, sizeof(envname));
	const char *env = getenv(envname);
	/* An empty ECCP_CONFIG= counts as unset, as container tooling tends to
	 * pass empty variables rather than omit them. */
	if (path_src == CFG_SRC_DEFAULT && env && *env) {
		path = env;
		path_src = CFG_SRC_ENV;
	}
	if (path && *path) {
		char *copy = cfg_strdup(path); /* env may change under us */
		cfg_value pv = {.str = copy};
		cfg_store(c, c->config_idx, &pv, path_src);
		if (cfg_read_file(c, copy, path_src != CFG_SRC_DEFAULT, err, errlen) != 0)
			return ECCP_CONFIG_ERROR;
	}

	for (size_t i = 0; i < c->n; i++) {
		if (i == c->config_idx)
			continue;
		cfg_env_name(c->opts[i].name, envname, sizeof(envname));
		env = getenv(envname);
		if (env && cfg_set(c, i, env, CFG_SRC_ENV, envname, err, errlen) != 0)
			return ECCP_CONFIG_ERROR;
	}

	for (size_t i = 0; i < c->nflags; i++) {
		size_t idx = c->flags[i].opt;
		if (idx == c->config_idx)
			continue;
		char label[CFG_NAME_MAX + 3];
		snprintf(label, sizeof(label), "--%s", c->opts[idx].name);
		if (cfg_set(c, idx, c->flags[i].value, CFG_SRC_FLAG, label, err,
		            errlen) != 0)
			return ECCP_CONFIG_ERROR;
	}
	return 0;
}

int eccp_config_load(const eccp_option *opts, size_t n, const char *progname,
                     const char *section, int argc, char **argv, eccp_config **out,
                     char *err, size_t errlen)
{
	eccp_config *c = NULL;
	bool help = false;
	*out = NULL;
	if (err && errlen > 0)
		err[0] = '\0';
	if (cfg_create(opts, n, progname, section, &c, err, errlen) != 0)
		return ECCP_CONFIG_ERROR;
	if (cfg_parse_argv(c, argc, argv, &help, err, errlen) != 0) {
		cfg_destroy(c);
		return ECCP_CONFIG_ERROR;
	}
	if (help) {
		eccp_config_help(opts, n, c->progname, stdout);
		fflush(stdout);
		cfg_destroy(c);
		return ECCP_CONFIG_HELP;
	}
	if (cfg_build(c, err, errlen) != 0) {
		cfg_destroy(c);
		return ECCP_CONFIG_ERROR;
	}
	*out = c;
	return ECCP_CONFIG_OK;
}

int eccp_config_reload(const eccp_config *cfg, eccp_config **out, char *err,
                       size_t errlen)
{
	eccp_config *c = NULL;
	*out = NULL;
	if (err && errlen > 0)
		err[0] = '\0';
	/* cfg->opts already holds "config", so cfg_create adds nothing. */
	if (cfg_create(cfg->opts, cfg->n, cfg->progname, cfg->section, &c, err, errlen) !=
	    0)
		return ECCP_CONFIG_ERROR;
	for (size_t i = 0; i < cfg->nflags; i++)
		cfg_add_flag(c, cfg->flags[i].opt, cfg->flags[i].value);
	if (cfg_build(c, err, errlen) != 0) {
		cfg_destroy(c);
		return ECCP_CONFIG_ERROR;
	}
	*out = c;
	return ECCP_CONFIG_OK;
}

void eccp_config_free(eccp_config *cfg)
{
	cfg_destroy(cfg);
}

/* ---- lookups -------------------------------------------------------- */

static const char *const cfg_type_names[] = {"string", "int", "bool"};

static size_t cfg_lookup(const eccp_config *cfg, const char *name, int type,
                         const char *caller)
{
	size_t idx = (cfg && name) ? cfg_find(cfg, name, strlen(name)) : CFG_NONE;
	if (idx == CFG_NONE) {
		fprintf(stderr, "%s: unknown option '%s'\n", caller,
		        name ? name : "(null)");
		abort();
	}
	if (type >= 0 && (int)cfg->opts[idx].type != type) {
		fprintf(stderr, "%s: option '%s' is a %s, not a %s\n", caller, name,
		        cfg_type_names[cfg->opts[idx].type], cfg_type_names[type]);
		abort();
	}
	return idx;
}

const char *eccp_config_str(const eccp_config *cfg, const char *name)
{
	size_t idx = cfg_lookup(cfg, name, ECCP_OPT_STRING, __func__);
	return cfg->vals[idx].str ? cfg->vals[idx].str : "";
}

long long eccp_config_int(const eccp_config *cfg, const char *name)
{
	return cfg->vals[cfg_lookup(cfg, name, ECCP_OPT_INT, __func__)].i;
}

bool eccp_config_bool(const eccp_config *cfg, const char *name)
{
	return cfg->vals[cfg_lookup(cfg, name, ECCP_OPT_BOOL, __func__)].b;
}

const char *eccp_config_source(const eccp_config *cfg, const char *name)
{
	return cfg_src_names[cfg->vals[cfg_lookup(cfg, name, -1, __func__)].src];
}

/* ---- help ----------------------------------------------------------- */

static void cfg_help_left(const eccp_option *o, char *buf, size_t cap)
{
	if (o->type == ECCP_OPT_BOOL)
		snprintf(buf, cap, "--[no-]%s", o->name);
	else
		snprintf(buf, cap, "--%s=%s", o->name, cfg_type_hint(o));
}

static void cfg_help_line(const eccp_option *o, int width, FILE *out)
{
	char left[CFG_NAME_MAX + 32];
	char envname[CFG_NAME_MAX + 8];
	cfg_help_left(o, left, sizeof(left));
	cfg_env_name(o->name, envname, sizeof(envname));
	fprintf(out, "  %-*s  ", width, left);
	if (o->help && *o->help)
		fprintf(out, "%s ", o->help);
	fputc('(', out);
	const char *def = o->def;
	if (!def && o->type != ECCP_OPT_STRING)
		def = o->type == ECCP_OPT_INT ? "0" : "false";
	if (def && *def)
		fprintf(out, "default: %s; ", def);
	if (o->type == ECCP_OPT_INT && cfg_is_bounded(o))
		fprintf(out, "range %lld..%lld; ", o->min, o->max);
	fprintf(out, "env %s)\n", envname);
}

void eccp_config_help(const eccp_option *opts, size_t n, const char *progname, FILE *out)
{
	static const char help_left[] = "-h, --help";
	char left[CFG_NAME_MAX + 32];
	bool has_config = false;
	int width = (int)strlen(help_left);
	for (size_t i = 0; i < n; i++) {
		cfg_help_left(&opts[i], left, sizeof(left));
		if ((int)strlen(left) > width)
			width = (int)strlen(left);
		if (strcmp(opts[i].name, "config") == 0)
			has_config = true;
	}
	if (!has_config) {
		cfg_help_left(&cfg_config_opt, left, sizeof(left));
		if ((int)strlen(left) > width)
			width = (int)strlen(left);
	}

	fprintf(out, "Usage: %s [OPTIONS]\n\nOptions:\n", progname ? progname : "eccp");
	for (size_t i = 0; i < n; i++)
		cfg_help_line(&opts[i], width, out);
	if (!has_config)
		cfg_help_line(&cfg_config_opt, width, out);
	fprintf(out, "  %-*s  print this help and exit\n", width, help_left);
}
