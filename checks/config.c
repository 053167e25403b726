/*
 * Configuration (spec 3.1).  The files are shell fragments written for
 * the old eventscripts.  They are parsed here, never run: only plain
 * assignments whose value needs no shell are taken, every other line is
 * skipped with a DEBUG line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

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
