/*
 * Configuration (spec 3.1).  The files are shell fragments written for
 * the old eventscripts.  They are parsed here, never run: only plain
 * assignments whose value needs no shell are taken, every other line is
 * skipped with a DEBUG line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "checks/config.h"
#include "checks/log.h"
#include "checks/util.h"

/* A configuration file bigger than this is not a configuration file */
#define CONFIG_MAX_FILE_SIZE (16 * 1024 * 1024)

struct config_var {
	char *name;
	char *value;
};

struct config {
	struct config_var *file;	/* from configuration files */
	size_t nfile;
	struct config_var *opts;	/* from the command line */
	size_t nopts;
};

static const char why_nomem[] = "out of memory";
static const char why_shell[] = "needs a shell";

static bool config_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool config_name_start(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool config_name_char(char c)
{
	return config_name_start(c) || (c >= '0' && c <= '9');
}

/*
 * Parse the value that starts at *pp: a sequence of bare, 'single' and
 * "double" quoted parts, ending at whitespace or the end of the line.
 * The text goes to @p out, which has room for the rest of the line (a
 * value is never longer than its source text).  Returns NULL on
 * success, else why not.
 */
static const char *config_parse_value(const char **pp, char *out)
{
	const char *p = *pp;
	bool at_word_start = true;	/* for tilde expansion */
	char *o = out;

	while (*p != '\0' && !config_is_blank(*p)) {
		if (*p == '\'') {
			/* everything up to the next quote is literal */
			const char *end = strchr(p + 1, '\'');

			if (end == NULL) {
				return "unterminated quote";
			}
			memcpy(o, p + 1, end - (p + 1));
			o += end - (p + 1);
			p = end + 1;
			at_word_start = false;
			continue;
		}
		if (*p == '"') {
			p++;
			for (;;) {
				char c = *p;

				if (c == '\0') {
					return "unterminated quote";
				}
				if (c == '"') {
					p++;
					break;
				}
				if (c == '$' || c == '`') {
					return why_shell;
				}
				if (c == '\\' && p[1] != '\0' &&
				    strchr("\"\\$`", p[1]) != NULL) {
					/* the escapes sh knows in "..." */
					c = p[1];
					p++;
				} else if (c == '\\' && p[1] == '\0') {
					/* a continuation line */
					return "unterminated quote";
				}
				/* any other backslash stays, as in sh */
				*o++ = c;
				p++;
			}
			at_word_start = false;
			continue;
		}
		/* a bare character */
		if (*p == '$' || *p == '`') {
			return why_shell;
		}
		if (strchr(";|&<>()", *p) != NULL) {
			return "shell operator in value";
		}
		if (*p == '~' && at_word_start) {
			/* sh would expand a home directory here */
			return why_shell;
		}
		if (*p == '\\') {
			/* outside quotes a backslash quotes the next char */
			if (p[1] == '\0') {
				return "continuation line";
			}
			p++;
			*o++ = *p++;
			at_word_start = false;
			continue;
		}
		/* tilde expansion also happens after ':' in assignments */
		at_word_start = (*p == ':');
		*o++ = *p++;
	}
	*o = '\0';
	*pp = p;
	return NULL;
}

enum config_line_kind config_parse_line(TALLOC_CTX *mem_ctx, const char *line,
					char **name, char **value,
					const char **why)
{
	TALLOC_CTX *tmp_ctx = NULL;
	enum config_line_kind kind = CONFIG_LINE_SKIP;
	const char *p = line;
	const char *name_start = NULL;
	char *copy = NULL;
	char *n = NULL;
	char *v = NULL;
	size_t len;

	*name = NULL;
	*value = NULL;
	*why = NULL;

	tmp_ctx = talloc_new(mem_ctx);
	if (tmp_ctx == NULL) {
		*why = why_nomem;
		return CONFIG_LINE_SKIP;
	}

	/* CRLF files: drop one trailing carriage return */
	len = strlen(line);
	if (len > 0 && line[len - 1] == '\r') {
		copy = talloc_strndup(tmp_ctx, line, len - 1);
		if (copy == NULL) {
			*why = why_nomem;
			goto done;
		}
		p = copy;
	}

	while (config_is_blank(*p)) {
		p++;
	}
	if (*p == '\0' || *p == '#') {
		kind = CONFIG_LINE_EMPTY;
		goto done;
	}

	if (strncmp(p, "export", 6) == 0 && config_is_blank(p[6])) {
		p += 6;
		while (config_is_blank(*p)) {
			p++;
		}
	}

	name_start = p;
	if (!config_name_start(*p)) {
		*why = "not an assignment";
		goto done;
	}
	while (config_name_char(*p)) {
		p++;
	}
	if (*p != '=') {
		*why = "not an assignment";
		goto done;
	}
	n = talloc_strndup(tmp_ctx, name_start, p - name_start);
	p++;
	v = talloc_array(tmp_ctx, char, strlen(p) + 1);
	if (n == NULL || v == NULL) {
		*why = why_nomem;
		goto done;
	}

	*why = config_parse_value(&p, v);
	if (*why != NULL) {
		goto done;
	}
	/* give back what the value did not need */
	v = talloc_realloc(tmp_ctx, v, char, strlen(v) + 1);
	if (v == NULL) {
		*why = why_nomem;
		goto done;
	}

	/* after the value: only whitespace and an optional comment */
	while (config_is_blank(*p)) {
		p++;
	}
	if (*p != '\0' && *p != '#') {
		*why = "text after the value";
		goto done;
	}

	*name = talloc_steal(mem_ctx, n);
	*value = talloc_steal(mem_ctx, v);
	kind = CONFIG_LINE_ASSIGN;
done:
	talloc_free(tmp_ctx);
	return kind;
}

struct config *config_new(TALLOC_CTX *mem_ctx)
{
	return talloc_zero(mem_ctx, struct config);
}

/* Set @p name in the list (replacing an earlier value) */
static int config_list_set(struct config *cfg, struct config_var **list,
			   size_t *n, const char *name, const char *value)
{
	struct config_var *grown = NULL;
	char *v = NULL;
	size_t i;

	for (i = 0; i < *n; i++) {
		if (strcmp((*list)[i].name, name) == 0) {
			v = talloc_strdup(*list, value);
			if (v == NULL) {
				return ENOMEM;
			}
			talloc_free((*list)[i].value);
			(*list)[i].value = v;
			return 0;
		}
	}

	grown = talloc_realloc(cfg, *list, struct config_var, *n + 1);
	if (grown == NULL) {
		return ENOMEM;
	}
	*list = grown;
	grown[*n].name = talloc_strdup(grown, name);
	grown[*n].value = talloc_strdup(grown, value);
	if (grown[*n].name == NULL || grown[*n].value == NULL) {
		TALLOC_FREE(grown[*n].name);
		TALLOC_FREE(grown[*n].value);
		return ENOMEM;
	}
	*n += 1;
	return 0;
}

static const char *config_list_get(const struct config_var *list, size_t n,
				   const char *name)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(list[i].name, name) == 0) {
			return list[i].value;
		}
	}
	return NULL;
}

int config_load_file(struct config *cfg, const char *path)
{
	TALLOC_CTX *tmp_ctx = NULL;
	char *buf = NULL;
	size_t len = 0;
	size_t pos = 0;
	unsigned lineno = 0;
	int ret = 0;

	tmp_ctx = talloc_new(cfg);
	if (tmp_ctx == NULL) {
		return ENOMEM;
	}

	/*
	 * O_NONBLOCK: opening a FIFO must not wait for a writer.  Only
	 * regular files are read, so it makes no difference after that.
	 */
	ret = util_read_file(tmp_ctx, path, O_NONBLOCK, CONFIG_MAX_FILE_SIZE,
			     &buf, &len);
	if (ret != 0) {
		goto done;
	}

	while (pos < len) {
		char *line = buf + pos;
		char *nl = memchr(line, '\n', len - pos);
		size_t line_len = len - pos;
		enum config_line_kind kind;
		char *name = NULL;
		char *value = NULL;
		const char *why = NULL;

		if (nl != NULL) {
			line_len = (size_t)(nl - line);
		}
		line[line_len] = '\0';
		pos += line_len + 1;
		lineno++;

		if (strlen(line) != line_len) {
			clog(CLOG_DEBUG, "%s:%u: skipped: %s", path, lineno,
			     "contains a NUL byte");
			continue;
		}
		kind = config_parse_line(tmp_ctx, line, &name, &value, &why);
		if (kind == CONFIG_LINE_SKIP && why == why_nomem) {
			ret = ENOMEM;
			goto done;
		}
		if (kind == CONFIG_LINE_SKIP) {
			clog(CLOG_DEBUG, "%s:%u: skipped: %s", path, lineno,
			     why);
			continue;
		}
		if (kind == CONFIG_LINE_ASSIGN) {
			ret = config_list_set(cfg, &cfg->file, &cfg->nfile,
					      name, value);
			if (ret != 0) {
				goto done;
			}
			TALLOC_FREE(name);
			TALLOC_FREE(value);
		}
	}
done:
	talloc_free(tmp_ctx);
	return ret;
}

int config_set_option(struct config *cfg, const char *name,
		      const char *value)
{
	return config_list_set(cfg, &cfg->opts, &cfg->nopts, name, value);
}

const char *config_get(const struct config *cfg, const char *name)
{
	const char *v = NULL;

	v = config_list_get(cfg->opts, cfg->nopts, name);
	if (v != NULL && v[0] != '\0') {
		return v;
	}
	v = getenv(name);
	if (v != NULL && v[0] != '\0') {
		return v;
	}
	v = config_list_get(cfg->file, cfg->nfile, name);
	if (v != NULL && v[0] != '\0') {
		return v;
	}
	return NULL;
}

int config_get_uint(const struct config *cfg, const char *name,
		    uint64_t def, uint64_t max, uint64_t *out)
{
	const char *v = config_get(cfg, name);

	if (v == NULL) {
		*out = def;
		return 0;
	}
	return util_parse_uint(v, max, out);
}

bool config_is_yes(const struct config *cfg, const char *name)
{
	const char *v = config_get(cfg, name);

	return v != NULL && strcmp(v, "yes") == 0;
}

bool config_has_word(const struct config *cfg, const char *name,
		     const char *word)
{
	return util_word_in_list(config_get(cfg, name), word);
}

const char *config_vardir(const struct config *cfg)
{
	const char *v = config_get(cfg, "CTDB_VARDIR");
	struct stat st;

	if (v != NULL) {
		return v;
	}
	if (stat("/var/lib/ctdb", &st) == 0 && S_ISDIR(st.st_mode)) {
		return "/var/lib/ctdb";
	}
	return "/var/ctdb";
}

/* A debug level by name, or by number on the old or the new scale */
static enum clog_level config_level(const char *s, bool new_scale)
{
	static const struct {
		const char *name;
		enum clog_level level;
	} names[] = {
		{ "ERR", CLOG_ERROR }, { "ERROR", CLOG_ERROR },
		{ "WARNING", CLOG_WARNING }, { "NOTICE", CLOG_NOTICE },
		{ "INFO", CLOG_INFO }, { "DEBUG", CLOG_DEBUG },
	};
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcasecmp(s, names[i].name) == 0) {
			return names[i].level;
		}
	}
	if (util_parse_uint(s, 1000, &v) != 0) {
		return CLOG_NOTICE;
	}
	if (new_scale) {
		return v >= 10 ? CLOG_DEBUG : v >= 5 ? CLOG_INFO :
		       v >= 3 ? CLOG_NOTICE : v >= 1 ? CLOG_WARNING :
		       CLOG_ERROR;
	}
	return v >= 4 ? CLOG_DEBUG : (enum clog_level)v;
}

enum clog_level config_debug_level(TALLOC_CTX *mem_ctx, bool managed)
{
	enum clog_level level = CLOG_NOTICE;
	struct config *tmp = NULL;
	const char *v = NULL;
	char *path = NULL;

	if (managed) {
		v = getenv("CTDB_DEBUGLEVEL");
		return (v != NULL && v[0] != '\0') ? config_level(v, true) :
						     CLOG_NOTICE;
	}
	v = getenv("CTDB_CURRENT_DEBUGLEVEL");
	if (v != NULL && v[0] != '\0') {
		return config_level(v, false);
	}
	/* "export CTDB_CURRENT_DEBUGLEVEL=N", written by old ctdbd */
	tmp = config_new(mem_ctx);
	if (tmp == NULL) {
		return level;
	}
	path = talloc_asprintf(tmp, "%s/eventscript_debuglevel",
			       config_vardir(tmp));
	if (path != NULL && config_load_file(tmp, path) == 0) {
		v = config_get(tmp, "CTDB_CURRENT_DEBUGLEVEL");
		if (v != NULL) {
			level = config_level(v, false);
		}
	}
	talloc_free(tmp);
	return level;
}

static int config_load_warn(struct config *cfg, const char *path)
{
	int ret = config_load_file(cfg, path);

	if (ret == ENOMEM) {
		return ret;
	}
	if (ret != 0 && ret != ENOENT) {
		clog(CLOG_WARNING, "WARNING: cannot read configuration file "
		     "\"%s\" (%s) - skipped", path, strerror(ret));
	}
	return 0;
}

static const char *config_env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return (v != NULL && v[0] != '\0') ? v : def;
}

int config_load_standard(struct config *cfg, bool managed, const char *extra)
{
	static const char *const sysconfig[] = { "ctdb", "samba" };
	const char *base = config_env_or("CTDB_BASE", "/etc/ctdb");
	const char *etcdir = config_env_or("CTDB_ETCDIR", "/etc");
	TALLOC_CTX *tmp_ctx = talloc_new(cfg);
	const char *paths[5] = { NULL };
	size_t n = 0;
	size_t i, j;
	int ret = 0;

	if (tmp_ctx == NULL) {
		return ENOMEM;
	}
	for (i = 0; !managed && i < 2; i++) {
		/* the first existing of the three places */
		const char *place[3] = {
			talloc_asprintf(tmp_ctx, "%s/sysconfig/%s", etcdir,
					sysconfig[i]),
			talloc_asprintf(tmp_ctx, "%s/default/%s", etcdir,
					sysconfig[i]),
			talloc_asprintf(tmp_ctx, "%s/sysconfig/%s", base,
					sysconfig[i]),
		};
		struct stat st;

		for (j = 0; j < 3; j++) {
			if (place[j] == NULL) {
				ret = ENOMEM;
				goto done;
			}
			if (stat(place[j], &st) == 0) {
				paths[n++] = place[j];
				break;
			}
		}
	}
	paths[n++] = talloc_asprintf(tmp_ctx, "%s/script.options", base);
	paths[n++] = talloc_asprintf(tmp_ctx,
				     "%s/events/legacy/50.samba.options", base);
	for (i = 0; i < n && ret == 0; i++) {
		ret = paths[i] != NULL ? config_load_warn(cfg, paths[i]) :
					 ENOMEM;
	}
	if (ret == 0 && extra != NULL) {
		ret = config_load_warn(cfg, extra);
	}
done:
	talloc_free(tmp_ctx);
	return ret;
}

/* The numeric variables: range and default by mode */
static const struct config_number {
	const char *name;
	uint64_t min;
	uint64_t max;
	uint64_t def_legacy;
	uint64_t def_managed;
	size_t offset;		/* of the uint64_t in struct config_values */
} config_numbers[] = {
	{ "CTDB_SAMBA_CHECK_TIMEOUT", 1, 3600, 10, 10,
	  offsetof(struct config_values, timeout) },
	{ "SAMBA_CLEANUP_PERIOD", 0, INT32_MAX, 10, 0,
	  offsetof(struct config_values, cleanup_period) },
	{ "CTDB_SAMBA_CACHE_MAX_AGE", 0, INT32_MAX, 60, 60,
	  offsetof(struct config_values, cache_max_age) },
	{ "CTDB_SAMBA_STARTUP_GRACE", 0, INT32_MAX, 60, 60,
	  offsetof(struct config_values, startup_grace) },
};

#define CONFIG_NUMBERS (sizeof(config_numbers) / sizeof(config_numbers[0]))

static int config_number(const struct config_number *n, const char *value,
			 uint64_t *out)
{
	if (util_parse_uint(value, n->max, out) != 0 || *out < n->min) {
		return EINVAL;
	}
	return 0;
}

static int config_config_check(const char *value, enum config_check *out)
{
	static const char *const words[] = {
		[CONFIG_CHECK_STDOUT] = "stdout",
		[CONFIG_CHECK_STRICT] = "strict",
		[CONFIG_CHECK_OFF] = "off",
	};
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (strcmp(value, words[i]) == 0) {
			*out = (enum config_check)i;
			return 0;
		}
	}
	return EINVAL;
}

/* Convert @p value of @p name into @p v (NULL: only check it) */
static int config_convert(TALLOC_CTX *mem_ctx, const char *name,
			  const char *value, struct config_values *v)
{
	struct config_values scratch = { 0 };
	char *bad = NULL;
	size_t i;

	if (v == NULL) {
		v = &scratch;
	}
	for (i = 0; i < CONFIG_NUMBERS; i++) {
		if (strcmp(name, config_numbers[i].name) == 0) {
			return config_number(&config_numbers[i], value,
					     (uint64_t *)((char *)v +
					     config_numbers[i].offset));
		}
	}
	if (strcmp(name, "CTDB_SAMBA_CONFIG_CHECK") == 0) {
		return config_config_check(value, &v->config_check);
	}
	if (strcmp(name, "CTDB_SAMBA_CHECK_PORTS") == 0) {
		int ret = util_parse_port_list(mem_ctx, value, &v->ports,
					       &v->nports, &bad);

		if (v == &scratch) {
			TALLOC_FREE(v->ports);
			TALLOC_FREE(bad);
		}
		return ret;
	}
	return 0;
}

int config_check_value(const char *name, const char *value)
{
	return config_convert(NULL, name, value, NULL);
}

int config_get_values(TALLOC_CTX *mem_ctx, const struct config *cfg,
		      bool managed, struct config_values **out,
		      const char **bad)
{
	static const char *const others[] = {
		"CTDB_SAMBA_CONFIG_CHECK", "CTDB_SAMBA_CHECK_PORTS",
	};
	struct config_values *v = NULL;
	const char *value = NULL;
	size_t i;
	int ret = 0;

	*bad = NULL;
	v = talloc_zero(mem_ctx, struct config_values);
	if (v == NULL) {
		return ENOMEM;
	}
	for (i = 0; i < CONFIG_NUMBERS; i++) {
		*(uint64_t *)((char *)v + config_numbers[i].offset) =
			managed ? config_numbers[i].def_managed :
				  config_numbers[i].def_legacy;
	}
	v->config_check = CONFIG_CHECK_STDOUT;
	for (i = 0; i < CONFIG_NUMBERS + 2 && ret == 0; i++) {
		const char *name = i < CONFIG_NUMBERS ?
			config_numbers[i].name : others[i - CONFIG_NUMBERS];

		value = config_get(cfg, name);
		if (value == NULL) {
			continue;
		}
		ret = config_convert(v, name, value, v);
		if (ret == EINVAL) {
			*bad = name;
		}
	}
	if (ret != 0) {
		talloc_free(v);
		return ret;
	}
	v->ports_given = config_get(cfg, "CTDB_SAMBA_CHECK_PORTS") != NULL;
	v->skip_share_check = config_is_yes(cfg, "CTDB_SAMBA_SKIP_SHARE_CHECK");
	v->checkers = config_get(cfg, "CTDB_TCP_PORT_CHECKERS");
	if (v->checkers == NULL) {
		v->checkers = CONFIG_DEFAULT_CHECKERS;
	}
	*out = v;
	return 0;
}
