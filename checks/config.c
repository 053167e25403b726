/*
 * Configuration (spec 3.1).  The files are shell fragments written for
 * the old eventscripts.  They are parsed here, never run: only plain
 * assignments whose value needs no shell are taken, every other line is
 * skipped with a DEBUG line.
 */
#include <errno.h>
#include <libgen.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "checks/config.h"
#include "checks/log.h"
#include "checks/smbconf.h"
#include "checks/util.h"

/*
 * A configuration file bigger than this is not a configuration file
 * (CTDB's are a few KiB); reading one this big takes about 0.15 s.
 */

struct config_var {
	const char *name;
	const char *value;	/* NULL: unset ("unset NAME") */
};

/*
 * Variables by name: an array in first-set order and an open-addressing
 * hash index into it, so that a file of many thousand assignments costs
 * linear time.  Names and values belong to the config (file buffers and
 * option copies are talloc children of it).
 */
struct config_table {
	struct config_var *vars;
	size_t n;
	size_t alloc;
	size_t *slots;		/* index + 1 into vars; 0: empty */
	size_t nslots;		/* a power of two, at least 2 * n */
};

struct config {
	struct config_table file;	/* from configuration files */
	struct config_table opts;	/* from the command line */
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

/*
 * "unset [-v] NAME...": the names, separated by single spaces, in
 * *names.  Functions ("-f") and anything that is not a plain name are
 * a skip.
 */
static enum config_line_kind config_parse_unset(TALLOC_CTX *mem_ctx,
						const char *p, char **names,
						const char **why)
{
	char *list = talloc_strdup(mem_ctx, "");
	bool first = true;

	if (list == NULL) {
		*why = why_nomem;
		return CONFIG_LINE_SKIP;
	}
	for (;;) {
		const char *start = NULL;

		while (config_is_blank(*p)) {
			p++;
		}
		if (*p == '\0' || *p == '#') {
			break;
		}
		if (first && p[0] == '-' && p[1] == 'v' &&
		    (config_is_blank(p[2]) || p[2] == '\0')) {
			p += 2;
			first = false;
			continue;
		}
		first = false;
		start = p;
		if (!config_name_start(*p)) {
			*why = "unset of something other than a variable";
			talloc_free(list);
			return CONFIG_LINE_SKIP;
		}
		while (config_name_char(*p)) {
			p++;
		}
		if (*p != '\0' && !config_is_blank(*p)) {
			*why = "unset of something other than a variable";
			talloc_free(list);
			return CONFIG_LINE_SKIP;
		}
		list = talloc_asprintf_append_buffer(list, "%s%.*s",
						     list[0] != '\0' ? " " : "",
						     (int)(p - start), start);
		if (list == NULL) {
			*why = why_nomem;
			return CONFIG_LINE_SKIP;
		}
	}
	if (list[0] == '\0') {
		talloc_free(list);
		return CONFIG_LINE_EMPTY;
	}
	*names = list;
	return CONFIG_LINE_UNSET;
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

	if (strncmp(p, "unset", 5) == 0 && config_is_blank(p[5])) {
		kind = config_parse_unset(mem_ctx, p + 5, name, why);
		goto done;
	}
	/* "readonly" assigns as "export" does (the attribute is moot) */
	if (strncmp(p, "export", 6) == 0 && config_is_blank(p[6])) {
		p += 6;
	} else if (strncmp(p, "readonly", 8) == 0 && config_is_blank(p[8])) {
		p += 8;
	}
	while (config_is_blank(*p)) {
		p++;
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

/* FNV-1a */
static size_t config_hash(const char *name)
{
	uint32_t h = 2166136261u;

	for (; *name != '\0'; name++) {
		h = (h ^ (unsigned char)*name) * 16777619u;
	}
	return h;
}

/* The slot of @p name, or of the empty slot where it would go */
static size_t config_slot(const struct config_table *t, const char *name)
{
	size_t mask = t->nslots - 1;
	size_t i = config_hash(name) & mask;

	while (t->slots[i] != 0 &&
	       strcmp(t->vars[t->slots[i] - 1].name, name) != 0) {
		i = (i + 1) & mask;
	}
	return i;
}

static struct config_var *config_table_find(const struct config_table *t,
					    const char *name)
{
	size_t i;

	if (t->n == 0) {
		return NULL;
	}
	i = config_slot(t, name);
	return t->slots[i] != 0 ? &t->vars[t->slots[i] - 1] : NULL;
}

/* Room for one more variable: the array, and the index at most half full */
static int config_table_grow(TALLOC_CTX *mem_ctx, struct config_table *t)
{
	size_t i;

	if (t->n == t->alloc) {
		size_t alloc = t->alloc == 0 ? 16 : t->alloc * 2;
		struct config_var *vars = talloc_realloc(mem_ctx, t->vars,
							 struct config_var,
							 alloc);

		if (vars == NULL) {
			return ENOMEM;
		}
		t->vars = vars;
		t->alloc = alloc;
	}
	if (2 * (t->n + 1) > t->nslots) {
		size_t nslots = t->nslots == 0 ? 32 : t->nslots * 2;
		size_t *slots = talloc_zero_array(mem_ctx, size_t, nslots);

		if (slots == NULL) {
			return ENOMEM;
		}
		talloc_free(t->slots);
		t->slots = slots;
		t->nslots = nslots;
		for (i = 0; i < t->n; i++) {
			t->slots[config_slot(t, t->vars[i].name)] = i + 1;
		}
	}
	return 0;
}

/* Set (or, with @p value NULL, unset) @p name; both must outlive @p t */
static int config_table_set(TALLOC_CTX *mem_ctx, struct config_table *t,
			    const char *name, const char *value)
{
	struct config_var *v = config_table_find(t, name);
	int ret;

	if (v != NULL) {
		v->value = value;
		return 0;
	}
	ret = config_table_grow(mem_ctx, t);
	if (ret != 0) {
		return ret;
	}
	t->vars[t->n] = (struct config_var) { .name = name, .value = value };
	t->slots[config_slot(t, name)] = ++t->n;
	return 0;
}

static const char *config_table_get(const struct config_table *t,
				    const char *name)
{
	const struct config_var *v = config_table_find(t, name);

	return v != NULL ? v->value : NULL;
}

static bool config_word_is(const char *w, size_t len, const char *const *list)
{
	size_t i;

	for (i = 0; list[i] != NULL; i++) {
		if (strlen(list[i]) == len && strncmp(w, list[i], len) == 0) {
			return true;
		}
	}
	return false;
}

/* Characters that end an unquoted word */
static bool config_word_end(char c)
{
	return c == '\0' || config_is_blank(c) || c == '\r' ||
	       strchr(";&|()<>'\"", c) != NULL;
}

/* "<<DELIM", "<<-DELIM", "<< 'DELIM'": remember DELIM; @p p is past "<<" */
static const char *config_scan_heredoc(struct config_scan *s, const char *p)
{
	size_t n = 0;
	char q = 0;

	s->heredoc_tabs = (*p == '-');
	if (s->heredoc_tabs) {
		p++;
	}
	while (config_is_blank(*p)) {
		p++;
	}
	for (; *p != '\0'; p++) {
		if (q != 0 && *p == q) {
			q = 0;
			continue;
		}
		if (q == 0 && (*p == '\'' || *p == '"')) {
			q = *p;
			continue;
		}
		if (q == 0 && *p == '\\' && p[1] != '\0') {
			p++;
		} else if (q == 0 && config_word_end(*p)) {
			break;
		}
		if (n + 1 < sizeof(s->delim)) {
			s->delim[n] = *p;
		}
		n++;
	}
	/* a delimiter too long to keep never matches: the rest is skipped */
	s->delim[n + 1 < sizeof(s->delim) ? n : 0] = '\0';
	s->heredoc = (n > 0);
	return p;
}

/* The end of a quote opened earlier, or NULL when it goes on */
static const char *config_scan_quote(struct config_scan *s, const char *p)
{
	for (; *p != '\0'; p++) {
		if (*p == s->quote) {
			s->quote = 0;
			return p + 1;
		}
		if (s->quote == '"' && *p == '\\' && p[1] != '\0') {
			p++;
		}
	}
	return NULL;
}

const char *config_scan_line(struct config_scan *s, const char *line)
{
	static const char *const openers[] = {
		"if", "case", "for", "while", "until", "select", "{", NULL,
	};
	static const char *const closers[] = {
		"fi", "esac", "done", "}", NULL,
	};
	/* after these another command may start */
	static const char *const keep_cmd[] = {
		"then", "do", "else", "elif", "if", "while", "until", "!",
		"{", "}", "time", NULL,
	};
	const char *why = NULL;
	const char *p = line;
	bool cmd = true;		/* at a command position */
	bool fn_name = false;		/* after "function" */

	if (s->heredoc) {
		const char *q = line;
		size_t len;

		while (s->heredoc_tabs && *q == '\t') {
			q++;
		}
		len = strlen(q);
		if (len > 0 && q[len - 1] == '\r') {
			len--;
		}
		if (s->delim[0] != '\0' && len == strlen(s->delim) &&
		    strncmp(q, s->delim, len) == 0) {
			s->heredoc = false;
		}
		return "inside a here-document";
	}
	if (s->quote != 0) {
		why = "inside a quoted value that spans lines";
	} else if (s->continued) {
		why = "continues the line before";
		cmd = false;
	} else if (s->depth > 0 || s->parens > 0) {
		why = "inside a compound command";
	}
	s->continued = false;

	while (p != NULL && *p != '\0') {
		const char *w = NULL;

		if (s->quote != 0) {
			p = config_scan_quote(s, p);
			cmd = false;
			continue;
		}
		if (config_is_blank(*p) || *p == '\r') {
			p++;
			continue;
		}
		if (*p == '#') {
			break;		/* a comment (at a word's start) */
		}
		if (*p == '\\') {
			if (p[1] == '\0') {
				s->continued = true;
				break;
			}
			p += 2;
			cmd = false;
			continue;
		}
		if (*p == '\'' || *p == '"') {
			s->quote = *p++;
			continue;
		}
		if (*p == ';' || *p == '&' || *p == '|') {
			p++;
			cmd = true;
			continue;
		}
		if (*p == '(' && p[1] == '(') {
			/* arithmetic: (( ... )) */
			const char *end = strstr(p + 2, "))");

			p = end != NULL ? end + 2 : p + 2;
			cmd = false;
			continue;
		}
		if (*p == '(') {
			if (cmd) {
				s->parens++;
			}
			p++;
			continue;
		}
		if (*p == ')') {
			if (s->parens > 0) {
				s->parens--;
			}
			/* a case pattern or "f()": a command may follow */
			p++;
			cmd = true;
			continue;
		}
		if (*p == '<' && p[1] == '<' && p[2] != '<') {
			p = config_scan_heredoc(s, p + 2);
			cmd = false;
			continue;
		}
		if (*p == '<' || *p == '>') {
			p++;
			cmd = false;
			continue;
		}
		/* an unquoted word, or the unquoted start of one */
		for (w = p; !config_word_end(*p); p++) {
			if (*p == '\\' && p[1] != '\0') {
				p++;
			}
		}
		if (*p == '\'' || *p == '"') {
			cmd = false;	/* a word with quotes is no keyword */
			continue;
		}
		if (cmd && config_word_is(w, p - w, openers)) {
			s->depth++;
		} else if (cmd && config_word_is(w, p - w, closers) &&
			   s->depth > 0) {
			s->depth--;
		}
		if (fn_name) {
			/* "function NAME": its body may open next */
			fn_name = false;
			cmd = true;
		} else if (config_word_is(w, p - w,
					  (const char *const[]){ "function",
								 NULL })) {
			fn_name = true;
			cmd = false;
		} else {
			cmd = cmd && config_word_is(w, p - w, keep_cmd);
		}
	}
	return why;
}

/*
 * Keep an assignment in the file's own buffer, over the line it came
 * from: "NAME\0VALUE\0" always fits there (a value is never longer than
 * its source text).
 */
static void config_keep_in_line(char *line, const char *name,
				const char *value, const char **kname,
				const char **kvalue)
{
	size_t nl = strlen(name);

	memmove(line, name, nl + 1);
	memmove(line + nl + 1, value, strlen(value) + 1);
	*kname = line;
	*kvalue = line + nl + 1;
}

/* "unset A B": forget what files said of each name */
static int config_unset(struct config *cfg, char *names)
{
	char *save = NULL;
	char *n = NULL;
	int ret = 0;

	for (n = strtok_r(names, " ", &save); n != NULL && ret == 0;
	     n = strtok_r(NULL, " ", &save)) {
		struct config_var *v = config_table_find(&cfg->file, n);

		if (v != NULL) {
			v->value = NULL;
		}
	}
	return ret;
}

int config_load_file(struct config *cfg, const char *path)
{
	TALLOC_CTX *tmp_ctx = NULL;
	struct config_scan scan = { .depth = 0 };
	char *buf = NULL;
	size_t len = 0;
	size_t pos = 0;
	unsigned lineno = 0;
	bool kept = false;
	int ret = 0;

	tmp_ctx = talloc_new(cfg);
	if (tmp_ctx == NULL) {
		return ENOMEM;
	}

	/*
	 * O_NONBLOCK: opening a FIFO must not wait for a writer.  Only
	 * regular files are read, so it makes no difference after that.
	 */
	ret = util_read_file(tmp_ctx, path, O_NONBLOCK, CONFIG_MAX_FILE,
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
		const char *kname = NULL;
		const char *kvalue = NULL;

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
		why = config_scan_line(&scan, line);
		if (why != NULL) {
			clog(CLOG_DEBUG, "%s:%u: skipped: %s", path, lineno,
			     why);
			continue;
		}
		kind = config_parse_line(tmp_ctx, line, &name, &value, &why);
		if (kind == CONFIG_LINE_SKIP && why == why_nomem) {
			ret = ENOMEM;
			goto done;
		}
		switch (kind) {
		case CONFIG_LINE_SKIP:
			clog(CLOG_DEBUG, "%s:%u: skipped: %s", path, lineno,
			     why);
			break;
		case CONFIG_LINE_UNSET:
			ret = config_unset(cfg, name);
			break;
		case CONFIG_LINE_ASSIGN:
			config_keep_in_line(line, name, value, &kname,
					    &kvalue);
			ret = config_table_set(cfg, &cfg->file, kname, kvalue);
			kept = true;
			break;
		case CONFIG_LINE_EMPTY:
			break;
		}
		TALLOC_FREE(name);
		TALLOC_FREE(value);
		if (ret != 0) {
			goto done;
		}
	}
done:
	if (kept) {
		/* the names and values live in it */
		talloc_steal(cfg, buf);
	}
	talloc_free(tmp_ctx);
	return ret;
}

int config_set_option(struct config *cfg, const char *name,
		      const char *value)
{
	char *n = talloc_strdup(cfg, name);
	char *v = talloc_strdup(cfg, value);

	if (n == NULL || v == NULL) {
		talloc_free(n);
		talloc_free(v);
		return ENOMEM;
	}
	return config_table_set(cfg, &cfg->opts, n, v);
}

const char *config_get(const struct config *cfg, const char *name)
{
	const char *v = NULL;

	v = config_table_get(&cfg->opts, name);
	if (v != NULL && v[0] != '\0') {
		return v;
	}
	v = getenv(name);
	if (v != NULL && v[0] != '\0') {
		return v;
	}
	v = config_table_get(&cfg->file, name);
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
	/* the SMB answer check (spec 3.6) */
	{ "CTDB_SAMBA_SMB_INTERVAL", 0, 86400, 60, 60,
	  offsetof(struct config_values, smb_interval) },
	{ "CTDB_SAMBA_SMB_TIMEOUT", 1, 3600, 3, 3,
	  offsetof(struct config_values, smb_timeout) },
	{ "CTDB_SAMBA_SMB_FAILURES", 1, 100, 2, 2,
	  offsetof(struct config_values, smb_failures) },
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
	if (strcmp(name, "CTDB_SAMBA_CHECK_SMB") == 0) {
		/* exactly yes or no: a typo must not turn the check off */
		if (strcmp(value, "yes") != 0 && strcmp(value, "no") != 0) {
			return EINVAL;
		}
		v->check_smb = strcmp(value, "yes") == 0;
		return 0;
	}
	if (strcmp(name, "CTDB_SAMBA_CHECK_PORTS") == 0) {
		int ret = smbconf_parse_transports(mem_ctx, value, true,
						   &v->ports, &v->nports,
						   &v->port_entries, &bad);

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
		"CTDB_SAMBA_CHECK_SMB",
	};
	const size_t nothers = sizeof(others) / sizeof(others[0]);
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
	v->check_smb = true;
	for (i = 0; i < CONFIG_NUMBERS + nothers && ret == 0; i++) {
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
	v->cache_max_age_given =
		config_get(cfg, "CTDB_SAMBA_CACHE_MAX_AGE") != NULL;
	v->skip_share_check = config_is_yes(cfg, "CTDB_SAMBA_SKIP_SHARE_CHECK");
	v->checkers = config_get(cfg, "CTDB_TCP_PORT_CHECKERS");
	if (v->checkers == NULL) {
		v->checkers = CONFIG_DEFAULT_CHECKERS;
	}
	*out = v;
	return 0;
}

int config_eventscript_base(TALLOC_CTX *mem_ctx, const char *script,
			    char **base)
{
	static const char legacy[] = "/events/legacy";
	char *copy = talloc_strdup(mem_ctx, script);
	char *dir = NULL;
	size_t len;
	int up = 1;

	*base = NULL;
	if (copy == NULL) {
		return ENOMEM;
	}
	dir = realpath(dirname(copy), NULL);
	talloc_free(copy);
	if (dir == NULL) {
		return errno;
	}
	len = strlen(dir);
	if (len >= sizeof(legacy) &&
	    strcmp(dir + len - (sizeof(legacy) - 1), legacy) == 0) {
		up = 2;
	}
	for (; up > 0; up--) {
		char *slash = strrchr(dir, '/');

		/* the parent; "/" has none above it */
		slash[slash == dir ? 1 : 0] = '\0';
	}
	*base = talloc_strdup(mem_ctx, dir);
	free(dir);
	return *base == NULL ? ENOMEM : 0;
}
