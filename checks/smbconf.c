/*
 * smb.conf as testparm sees it, and its cache (spec 3.3).
 *
 * Cache file layout (smb.conf.cache in the state directory):
 *
 *   # ctdb-checksamba cache 1
 *   # file DEV INO SIZE MTIME_NS CTIME_NS PATH
 *   # missing PATH
 *   # role ROLE_X
 *   # stderr LINE
 *   # body
 *   ...testparm -v -s stdout, verbatim...
 *
 * Every header line is an smb.conf comment.  The path is always the last
 * field, so paths with spaces survive.  "# body" ends the header, since
 * testparm's own output starts with a '#' line too.  "# file 0 0 0 0 0
 * PATH" (ctime 0, which no file has) means "identity unknown": the next
 * run refreshes.
 *
 * smb.conf and its includes often live on the cluster file system, which
 * may hang: they are only ever stat()ed and read in probe children
 * bounded by the deadline (checks/probe.h), never in this process.
 *
 * Debian's 50.samba drops "include", "copy", "registry shares" and
 * "winbind separator" lines from its cache, because it feeds the cache
 * back to testparm, which would follow them.  We never run testparm on
 * the cache (we parse it ourselves), so every line is kept.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "checks/probe.h"
#include "checks/run.h"
#include "checks/smbconf.h"

#define SMBCONF_CACHE_NAME "smb.conf.cache"
#define SMBCONF_CACHE_MAGIC "# ctdb-checksamba cache 1"
#define SMBCONF_CACHE_BODY "# body"
#define SMBCONF_INCLUDE_DEPTH 10
#define SMBCONF_MAX_FILE (64 * 1024 * 1024)
/* file timestamps may lag the real time clock by a tick or so */
#define SMBCONF_RACY_NS 100000000ULL

/* ------------------------------------------------------------------ */
/* Small string helpers                                                */
/* ------------------------------------------------------------------ */

/*
 * Parameter names compare as Samba compares them: ignoring case and
 * white space ("SMB Ports" is "smbports" is "smb ports").
 */
static bool smbconf_name_eq(const char *a, const char *b)
{
	for (;;) {
		while (isspace((unsigned char)*a)) {
			a++;
		}
		while (isspace((unsigned char)*b)) {
			b++;
		}
		if (*a == '\0' || *b == '\0') {
			return *a == *b;
		}
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) {
			return false;
		}
		a++;
		b++;
	}
}

static bool smbconf_starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* A talloc copy of [start, end) without surrounding white space. */
static char *smbconf_trim_dup(TALLOC_CTX *mem_ctx, const char *start,
			      const char *end)
{
	while (start < end && isspace((unsigned char)*start)) {
		start++;
	}
	while (end > start && isspace((unsigned char)end[-1])) {
		end--;
	}
	return talloc_strndup(mem_ctx, start, end - start);
}

/* Remove one pair of surrounding double quotes, in place. */
static void smbconf_unquote(char *s)
{
	size_t len = strlen(s);

	if (len >= 2 && s[0] == '"' && s[len - 1] == '"') {
		memmove(s, s + 1, len - 2);
		s[len - 2] = '\0';
	}
}

static bool smbconf_false_word(const char *v)
{
	return strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0 ||
	       strcasecmp(v, "off") == 0 || strcmp(v, "0") == 0;
}

static bool smbconf_dirty_start(const char *line)
{
	return smbconf_starts_with(line, "WARNING") ||
	       smbconf_starts_with(line, "ERROR") ||
	       smbconf_starts_with(line, "Unknown");
}

/* Append a talloc copy of @p s to a talloc array of strings. */
static int smbconf_push(TALLOC_CTX *mem_ctx, char ***arr, size_t *n,
			const char *s)
{
	char **grown = NULL;

	grown = talloc_realloc(mem_ctx, *arr, char *, *n + 1);
	if (grown == NULL) {
		return ENOMEM;
	}
	*arr = grown;
	grown[*n] = talloc_strdup(grown, s);
	if (grown[*n] == NULL) {
		return ENOMEM;
	}
	(*n)++;
	return 0;
}

/*
 * Split @p text into lines (a talloc copy is cut in place).  '\r'
 * before the newline is dropped.
 */
static int smbconf_split(TALLOC_CTX *mem_ctx, const char *text,
			 char ***lines, size_t *nlines)
{
	char *copy = NULL;
	char *p = NULL;
	char **arr = NULL;
	size_t n = 0;
	size_t cap = 0;

	*lines = NULL;
	*nlines = 0;
	if (text == NULL) {
		return 0;
	}
	copy = talloc_strdup(mem_ctx, text);
	if (copy == NULL) {
		return ENOMEM;
	}
	p = copy;
	while (*p != '\0') {
		char *nl = strchr(p, '\n');
		size_t len;

		if (nl != NULL) {
			*nl = '\0';
		}
		len = strlen(p);
		if (len > 0 && p[len - 1] == '\r') {
			p[len - 1] = '\0';
		}
		if (n == cap) {
			char **grown = NULL;

			cap = cap == 0 ? 64 : cap * 2;
			grown = talloc_realloc(copy, arr, char *, cap);
			if (grown == NULL) {
				talloc_free(copy);
				return ENOMEM;
			}
			arr = grown;
		}
		arr[n++] = p;
		if (nl == NULL) {
			break;
		}
		p = nl + 1;
	}
	if (arr == NULL) {
		talloc_free(copy);
		return 0;
	}
	/* the lines point into copy: hang copy below the array */
	talloc_steal(mem_ctx, arr);
	talloc_steal(arr, copy);
	*lines = arr;
	*nlines = n;
	return 0;
}

/* ------------------------------------------------------------------ */
/* The parser                                                          */
/* ------------------------------------------------------------------ */

static int smbconf_parse_err_line(struct smbconf *c, const char *line)
{
	static const char load[] = "Load smb config files from ";
	static const char role[] = "Server role: ";
	const char *p = line;

	while (isspace((unsigned char)*p)) {
		p++;
	}
	if (*p == '\0') {
		return 0;
	}
	if (smbconf_starts_with(p, load)) {
		TALLOC_FREE(c->config_file);
		c->config_file = smbconf_trim_dup(c, p + strlen(load),
						  p + strlen(p));
		if (c->config_file == NULL) {
			return ENOMEM;
		}
	} else if (smbconf_starts_with(p, role)) {
		TALLOC_FREE(c->server_role);
		c->server_role = smbconf_trim_dup(c, p + strlen(role),
						  p + strlen(p));
		if (c->server_role == NULL) {
			return ENOMEM;
		}
	}
	return smbconf_push(c, &c->stderr_lines, &c->nstderr, line);
}

static int smbconf_set(struct smbconf *c, char **field, const char *value)
{
	TALLOC_FREE(*field);
	*field = talloc_strdup(c, value);
	return *field == NULL ? ENOMEM : 0;
}

static int smbconf_parse_out_line(struct smbconf *c, const char *line,
				  bool *in_global, struct smb_share **cur)
{
	const char *p = line;
	const char *eq = NULL;
	char *name = NULL;
	char *value = NULL;
	int ret = 0;

	if (smbconf_dirty_start(line)) {
		return smbconf_push(c, &c->dirty_stdout, &c->ndirty_stdout,
				    line);
	}
	while (isspace((unsigned char)*p)) {
		p++;
	}
	if (*p == '\0' || *p == '#' || *p == ';') {
		return 0;
	}
	if (smbconf_starts_with(p, "Load smb config files from ")) {
		/* older testparm printed this on stdout */
		return smbconf_parse_err_line(c, p);
	}
	if (*p == '[') {
		const char *close = strrchr(p, ']');
		struct smb_share *grown = NULL;

		if (close == NULL) {
			return 0;
		}
		name = smbconf_trim_dup(c, p + 1, close);
		if (name == NULL) {
			return ENOMEM;
		}
		if (strcasecmp(name, "global") == 0) {
			talloc_free(name);
			*in_global = true;
			*cur = NULL;
			return 0;
		}
		grown = talloc_realloc(c, c->shares, struct smb_share,
				       c->nshares + 1);
		if (grown == NULL) {
			talloc_free(name);
			return ENOMEM;
		}
		c->shares = grown;
		*cur = &grown[c->nshares++];
		**cur = (struct smb_share) {
			.name = talloc_steal(grown, name),
			.path = NULL,
			.available = true,
		};
		*in_global = false;
		return 0;
	}
	eq = strchr(p, '=');
	if (eq == NULL) {
		return 0;
	}
	name = smbconf_trim_dup(c, p, eq);
	value = smbconf_trim_dup(c, eq + 1, p + strlen(p));
	if (name == NULL || value == NULL) {
		ret = ENOMEM;
		goto done;
	}
	if (*in_global) {
		if (smbconf_name_eq(name, "security")) {
			ret = smbconf_set(c, &c->security, value);
		} else if (smbconf_name_eq(name, "smb ports")) {
			ret = smbconf_set(c, &c->smb_ports, value);
		} else if (smbconf_name_eq(name, "server smb transports")) {
			ret = smbconf_set(c, &c->transports, value);
		}
	} else if (*cur != NULL) {
		if (smbconf_name_eq(name, "path")) {
			smbconf_unquote(value);
			TALLOC_FREE((*cur)->path);
			(*cur)->path = talloc_strdup(c->shares, value);
			if ((*cur)->path == NULL) {
				ret = ENOMEM;
			}
		} else if (smbconf_name_eq(name, "available")) {
			(*cur)->available = !smbconf_false_word(value);
		}
	}
done:
	talloc_free(name);
	talloc_free(value);
	return ret;
}

int smbconf_parse_testparm(TALLOC_CTX *mem_ctx, const char *out,
			   const char *err, struct smbconf **conf)
{
	TALLOC_CTX *tmp_ctx = NULL;
	struct smbconf *c = NULL;
	struct smb_share *cur = NULL;
	bool in_global = false;
	char **lines = NULL;
	size_t nlines = 0;
	size_t i;
	int ret;

	tmp_ctx = talloc_new(mem_ctx);
	if (tmp_ctx == NULL) {
		return ENOMEM;
	}
	c = talloc_zero(tmp_ctx, struct smbconf);
	if (c == NULL) {
		ret = ENOMEM;
		goto done;
	}

	ret = smbconf_split(tmp_ctx, err, &lines, &nlines);
	if (ret != 0) {
		goto done;
	}
	for (i = 0; i < nlines; i++) {
		ret = smbconf_parse_err_line(c, lines[i]);
		if (ret != 0) {
			goto done;
		}
	}
	TALLOC_FREE(lines);

	ret = smbconf_split(tmp_ctx, out, &lines, &nlines);
	if (ret != 0) {
		goto done;
	}
	for (i = 0; i < nlines; i++) {
		ret = smbconf_parse_out_line(c, lines[i], &in_global, &cur);
		if (ret != 0) {
			goto done;
		}
	}

	*conf = talloc_steal(mem_ctx, c);
	ret = 0;
done:
	talloc_free(tmp_ctx);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Questions about a parsed configuration                              */
/* ------------------------------------------------------------------ */

static bool smbconf_blank(const char *s)
{
	if (s == NULL) {
		return true;
	}
	while (isspace((unsigned char)*s)) {
		s++;
	}
	return *s == '\0';
}

/*
 * One "server smb transports" entry: "tcp" and "nbt" name the usual
 * ports, "tcp:N" and "nbt:N" a port of their own.  Anything else
 * (quic, +quic, quic:N, ...) is not a TCP listener: *port stays 0.
 */
static int smbconf_transport_port(const char *word, uint16_t *port)
{
	const char *colon = strchr(word, ':');
	size_t plen = colon != NULL ? (size_t)(colon - word) : strlen(word);
	bool tcp = plen == 3 && strncasecmp(word, "tcp", 3) == 0;
	bool nbt = plen == 3 && strncasecmp(word, "nbt", 3) == 0;

	*port = 0;
	if (!tcp && !nbt) {
		return 0;
	}
	if (colon == NULL) {
		*port = tcp ? 445 : 139;
		return 0;
	}
	return util_parse_port(colon + 1, port);
}

int smbconf_ports(TALLOC_CTX *mem_ctx, const struct smbconf *conf,
		  uint16_t **ports, size_t *nports, char **bad)
{
	TALLOC_CTX *tmp_ctx = NULL;
	uint16_t *list = NULL;
	size_t n = 0;
	char *copy = NULL;
	char *word = NULL;
	char *save = NULL;
	int ret = 0;

	*ports = NULL;
	*nports = 0;
	if (bad != NULL) {
		*bad = NULL;
	}

	if (conf == NULL || smbconf_blank(conf->transports)) {
		const char *s = "445 139";

		if (conf != NULL && !smbconf_blank(conf->smb_ports)) {
			s = conf->smb_ports;
		}
		return util_parse_port_list(mem_ctx, s, ports, nports, bad);
	}

	tmp_ctx = talloc_new(mem_ctx);
	copy = talloc_strdup(tmp_ctx, conf->transports);
	if (tmp_ctx == NULL || copy == NULL) {
		ret = ENOMEM;
		goto done;
	}
	for (word = strtok_r(copy, " \t,", &save); word != NULL;
	     word = strtok_r(NULL, " \t,", &save)) {
		uint16_t port = 0;

		ret = smbconf_transport_port(word, &port);
		if (ret != 0) {
			if (bad != NULL) {
				*bad = talloc_strdup(mem_ctx, word);
			}
			goto done;
		}
		if (port == 0) {
			continue;
		}
		ret = util_port_list_add(tmp_ctx, &list, &n, port);
		if (ret != 0) {
			goto done;
		}
	}
	*ports = talloc_steal(mem_ctx, list);
	*nports = n;
done:
	talloc_free(tmp_ctx);
	return ret;
}

size_t smbconf_dirty_stderr(TALLOC_CTX *mem_ctx, const struct smbconf *conf,
			    char ***lines)
{
	char **arr = NULL;
	size_t n = 0;
	size_t i;

	*lines = NULL;
	if (conf == NULL) {
		return 0;
	}
	for (i = 0; i < conf->nstderr; i++) {
		const char *l = conf->stderr_lines[i];

		if (!smbconf_dirty_start(l) && strstr(l, "WARNING:") == NULL &&
		    strstr(l, "ERROR:") == NULL) {
			continue;
		}
		if (smbconf_push(mem_ctx, &arr, &n, l) != 0) {
			/* out of memory: report what we have */
			break;
		}
	}
	*lines = arr;
	return n;
}

bool smbconf_is_domain(const struct smbconf *conf)
{
	static const char *const roles[] = {
		"ROLE_DOMAIN_MEMBER", "ROLE_DOMAIN_PDC", "ROLE_DOMAIN_BDC",
		"ROLE_ACTIVE_DIRECTORY_DC", "ROLE_IPA_DC",
	};
	const char *role = NULL;
	size_t i;

	if (conf == NULL) {
		return false;
	}
	if (conf->security != NULL &&
	    (strcasecmp(conf->security, "ads") == 0 ||
	     strcasecmp(conf->security, "domain") == 0)) {
		return true;
	}
	role = conf->server_role;
	if (role == NULL) {
		return false;
	}
	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		if (strcasecmp(role, roles[i]) == 0) {
			return true;
		}
	}
	/* other wordings ("active directory domain controller", ...) */
	return strcasestr(role, "domain controller") != NULL ||
	       strcasestr(role, "domain member") != NULL;
}

/* ------------------------------------------------------------------ */
/* The cache                                                           */
/* ------------------------------------------------------------------ */

struct smbconf_fileid {
	char *path;
	bool missing;
	unsigned long long dev, ino, size, mtime_ns, ctime_ns;
};

struct smbconf_cache {
	struct smbconf_fileid *files;
	size_t nfiles;
	char *role;
	char *err;		/* stderr lines joined by '\n' */
	const char *body;	/* testparm stdout */
};

static unsigned long long smbconf_ts_ns(const struct timespec *ts)
{
	return (unsigned long long)ts->tv_sec * 1000000000ULL +
	       (unsigned long long)ts->tv_nsec;
}

static bool smbconf_known_file(const struct smbconf_fileid *files, size_t n,
			       const char *path)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(files[i].path, path) == 0) {
			return true;
		}
	}
	return false;
}

/*
 * Record the identity of @p path.  A file changed since @p start_ns
 * (or just before it: file timestamps come from a coarse clock) may
 * have changed while testparm read it: its ctime is recorded as 0,
 * which no file has, so that the next run refreshes the cache again.
 */
static int smbconf_add_file(TALLOC_CTX *mem_ctx, struct smbconf_fileid **files,
			    size_t *n, const char *path,
			    unsigned long long start_ns)
{
	struct smbconf_fileid *grown = NULL;
	struct smbconf_fileid *f = NULL;
	struct timespec now;
	unsigned long long now_ns;
	struct stat sb;

	grown = talloc_realloc(mem_ctx, *files, struct smbconf_fileid, *n + 1);
	if (grown == NULL) {
		return ENOMEM;
	}
	*files = grown;
	f = &grown[*n];
	*f = (struct smbconf_fileid) { .path = talloc_strdup(grown, path) };
	if (f->path == NULL) {
		return ENOMEM;
	}
	(*n)++;
	if (stat(path, &sb) != 0) {
		f->missing = true;
		return 0;
	}
	f->dev = (unsigned long long)sb.st_dev;
	f->ino = (unsigned long long)sb.st_ino;
	f->size = (unsigned long long)sb.st_size;
	f->mtime_ns = smbconf_ts_ns(&sb.st_mtim);
	f->ctime_ns = smbconf_ts_ns(&sb.st_ctim);
	if (clock_gettime(CLOCK_REALTIME, &now) != 0) {
		now = (struct timespec) { 0 };
	}
	now_ns = smbconf_ts_ns(&now);
	/*
	 * A timestamp far in the future (clock skew on shared storage) is
	 * not a change during the run: do not refresh for ever because of
	 * it.
	 */
	if (f->ctime_ns + SMBCONF_RACY_NS >= start_ns &&
	    f->ctime_ns <= now_ns + SMBCONF_RACY_NS) {
		f->ctime_ns = 0;
	}
	return 0;
}

/*
 * Record @p path and, recursively, the files it includes ("include" and
 * "config file" lines; values with '%' or "registry" are skipped).
 */
static int smbconf_collect(TALLOC_CTX *mem_ctx, struct smbconf_fileid **files,
			   size_t *n, const char *path, int depth,
			   unsigned long long start_ns)
{
	TALLOC_CTX *tmp_ctx = NULL;
	char *text = NULL;
	size_t len = 0;
	char **lines = NULL;
	size_t nlines = 0;
	size_t i;
	int ret;

	if (depth > SMBCONF_INCLUDE_DEPTH ||
	    smbconf_known_file(*files, *n, path)) {
		return 0;
	}
	ret = smbconf_add_file(mem_ctx, files, n, path, start_ns);
	if (ret != 0) {
		return ret;
	}
	tmp_ctx = talloc_new(mem_ctx);
	if (tmp_ctx == NULL) {
		return ENOMEM;
	}
	if (util_read_file(tmp_ctx, path, 0, SMBCONF_MAX_FILE, &text,
			   &len) != 0) {
		/* recorded as it is (or as missing): nothing to follow */
		ret = 0;
		goto done;
	}
	ret = smbconf_split(tmp_ctx, text, &lines, &nlines);
	if (ret != 0) {
		goto done;
	}
	for (i = 0; i < nlines; i++) {
		const char *p = lines[i];
		const char *eq = strchr(p, '=');
		char *key = NULL;
		char *value = NULL;

		if (eq == NULL) {
			continue;
		}
		key = smbconf_trim_dup(tmp_ctx, p, eq);
		value = smbconf_trim_dup(tmp_ctx, eq + 1, p + strlen(p));
		if (key == NULL || value == NULL) {
			ret = ENOMEM;
			goto done;
		}
		if (!smbconf_name_eq(key, "include") &&
		    !smbconf_name_eq(key, "config file")) {
			continue;
		}
		smbconf_unquote(value);
		if (value[0] == '\0' || strchr(value, '%') != NULL ||
		    strcasecmp(value, "registry") == 0) {
			continue;
		}
		ret = smbconf_collect(mem_ctx, files, n, value, depth + 1,
				      start_ns);
		if (ret != 0) {
			goto done;
		}
	}
	ret = 0;
done:
	talloc_free(tmp_ctx);
	return ret;
}

/* Async-signal-safe: stat() only (runs in a probe child). */
static bool smbconf_file_unchanged(const struct smbconf_fileid *f)
{
	struct stat sb;

	if (stat(f->path, &sb) != 0) {
		return f->missing && errno == ENOENT;
	}
	return !f->missing && f->dev == (unsigned long long)sb.st_dev &&
	       f->ino == (unsigned long long)sb.st_ino &&
	       f->size == (unsigned long long)sb.st_size &&
	       f->mtime_ns == smbconf_ts_ns(&sb.st_mtim) &&
	       f->ctime_ns == smbconf_ts_ns(&sb.st_ctim);
}

/* Parse "DEV INO SIZE MTIME CTIME PATH" (after "# file "). */
static int smbconf_parse_file_line(TALLOC_CTX *mem_ctx, const char *s,
				   struct smbconf_fileid *f)
{
	unsigned long long v[5];
	const char *p = s;
	int i;

	for (i = 0; i < 5; i++) {
		char *end = NULL;

		if (!isdigit((unsigned char)*p)) {
			return EINVAL;
		}
		errno = 0;
		v[i] = strtoull(p, &end, 10);
		if (errno != 0 || *end != ' ') {
			return EINVAL;
		}
		p = end + 1;
	}
	if (*p == '\0') {
		return EINVAL;
	}
	*f = (struct smbconf_fileid) {
		.path = talloc_strdup(mem_ctx, p),
		.dev = v[0], .ino = v[1], .size = v[2],
		.mtime_ns = v[3], .ctime_ns = v[4],
	};
	return f->path == NULL ? ENOMEM : 0;
}

/*
 * Parse a "# file ..." or "# missing PATH" line.
 * @return 0, ENOENT when @p line is neither, EINVAL, ENOMEM
 */
static int smbconf_parse_fileid(TALLOC_CTX *mem_ctx, const char *line,
				struct smbconf_fileid *f)
{
	if (smbconf_starts_with(line, "# file ")) {
		return smbconf_parse_file_line(mem_ctx,
					       line + strlen("# file "), f);
	}
	if (!smbconf_starts_with(line, "# missing ")) {
		return ENOENT;
	}
	line += strlen("# missing ");
	if (*line == '\0') {
		return EINVAL;
	}
	*f = (struct smbconf_fileid) {
		.missing = true,
		.path = talloc_strdup(mem_ctx, line),
	};
	return f->path == NULL ? ENOMEM : 0;
}

/* One line of free text for the header: no newline can get in. */
static char *smbconf_header_text(TALLOC_CTX *mem_ctx, const char *s)
{
	char *copy = talloc_strdup(mem_ctx, s);
	char *p = NULL;

	if (copy == NULL) {
		return NULL;
	}
	for (p = copy; *p != '\0'; p++) {
		if (*p == '\n' || *p == '\r') {
			*p = '?';
		}
	}
	return copy;
}

/*
 * Append the "# file" / "# missing" lines for @p files to the talloc
 * string @p text.  Returns the new string, NULL on ENOMEM (the old one
 * is then left to its talloc parent).
 */
static char *smbconf_files_text(char *text,
				const struct smbconf_fileid *files,
				size_t nfiles)
{
	size_t i;

	for (i = 0; text != NULL && i < nfiles; i++) {
		const struct smbconf_fileid *f = &files[i];
		char *p = smbconf_header_text(text, f->path);

		if (p == NULL) {
			text = NULL;
		} else if (f->missing) {
			text = talloc_asprintf_append_buffer(text,
							     "# missing %s\n",
							     p);
		} else {
			text = talloc_asprintf_append_buffer(
				text, "# file %llu %llu %llu %llu %llu %s\n",
				f->dev, f->ino, f->size, f->mtime_ns,
				f->ctime_ns, p);
		}
	}
	return text;
}

/* ------------------------------------------------------------------ */
/* Looking at smb.conf and its includes, in probe children            */
/* ------------------------------------------------------------------ */

/*
 * smb.conf and its includes often live on the cluster file system,
 * which may hang: every stat() and read() of them runs in a probe child
 * (checks/probe.h), bounded by the deadline.
 */

/* Probe child: '1' when no recorded file changed, else '0'. */
static int smbconf_check_child(int fd, void *private_data)
{
	const struct smbconf_cache *c = private_data;
	char answer = '1';
	size_t i;

	for (i = 0; i < c->nfiles; i++) {
		if (!smbconf_file_unchanged(&c->files[i])) {
			answer = '0';
			break;
		}
	}
	return util_write_all(fd, &answer, 1);
}

/*
 * Has any file the cache recorded changed?
 * @return 0 unchanged, ESTALE changed (or could not be told),
 *         ETIMEDOUT no answer in time, ENOMEM
 */
static int smbconf_files_check(TALLOC_CTX *mem_ctx,
			       const struct smbconf_cache *c,
			       const struct deadline *dl)
{
	char *out = NULL;
	int ret;

	if (c->nfiles == 0) {
		/* nothing to look at: no child */
		return 0;
	}
	ret = probe_run(mem_ctx, smbconf_check_child,
			/* the child only reads it */
			(void *)(uintptr_t)c, dl, &out, NULL);
	if (ret == ETIMEDOUT || ret == ENOMEM) {
		return ret;
	}
	if (ret == 0 && strcmp(out, "1") == 0) {
		ret = 0;
	} else {
		/* changed, or the child failed: let testparm decide */
		ret = ESTALE;
	}
	TALLOC_FREE(out);
	return ret;
}

struct smbconf_walk_args {
	const char *path;
	unsigned long long start_ns;
};

/*
 * Probe child: walk smb.conf and its includes and write the "# file" /
 * "# missing" lines.  Uses talloc: smb.conf is loaded before the run
 * starts any thread (the winbind ping comes later).
 */
static int smbconf_walk_child(int fd, void *private_data)
{
	const struct smbconf_walk_args *a = private_data;
	TALLOC_CTX *tmp_ctx = talloc_new(NULL);
	struct smbconf_fileid *files = NULL;
	size_t nfiles = 0;
	char *text = NULL;
	int ret;

	if (tmp_ctx == NULL) {
		return ENOMEM;
	}
	ret = smbconf_collect(tmp_ctx, &files, &nfiles, a->path, 0,
			      a->start_ns);
	if (ret != 0) {
		goto done;
	}
	text = smbconf_files_text(talloc_strdup(tmp_ctx, ""), files, nfiles);
	if (text == NULL) {
		ret = ENOMEM;
		goto done;
	}
	ret = util_write_all(fd, text, strlen(text));
done:
	talloc_free(tmp_ctx);
	return ret;
}

/*
 * Record the identity of @p path and the files it includes, within the
 * deadline.
 * @return 0, ETIMEDOUT, EIO (the walk failed), ENOMEM
 */
static int smbconf_walk(TALLOC_CTX *mem_ctx, const char *path,
			unsigned long long start_ns, const struct deadline *dl,
			struct smbconf_fileid **files, size_t *nfiles)
{
	TALLOC_CTX *tmp_ctx = NULL;
	struct smbconf_walk_args a = { .path = path, .start_ns = start_ns };
	struct smbconf_fileid *arr = NULL;
	char *out = NULL;
	char **lines = NULL;
	size_t nlines = 0;
	size_t i;
	int ret;

	*files = NULL;
	*nfiles = 0;
	tmp_ctx = talloc_new(mem_ctx);
	if (tmp_ctx == NULL) {
		return ENOMEM;
	}
	ret = probe_run(tmp_ctx, smbconf_walk_child, &a, dl, &out, NULL);
	if (ret != 0) {
		if (ret != ENOMEM && ret != ETIMEDOUT) {
			ret = EIO;
		}
		goto done;
	}
	ret = smbconf_split(tmp_ctx, out, &lines, &nlines);
	if (ret != 0) {
		goto done;
	}
	arr = talloc_zero_array(tmp_ctx, struct smbconf_fileid,
				nlines > 0 ? nlines : 1);
	if (arr == NULL) {
		ret = ENOMEM;
		goto done;
	}
	for (i = 0; i < nlines; i++) {
		ret = smbconf_parse_fileid(arr, lines[i], &arr[i]);
		if (ret == ENOMEM) {
			goto done;
		}
		if (ret != 0) {
			ret = EIO;
			goto done;
		}
	}
	*files = talloc_steal(mem_ctx, arr);
	*nfiles = nlines;
done:
	talloc_free(tmp_ctx);
	return ret;
}

static int smbconf_cache_parse(TALLOC_CTX *mem_ctx, char *text,
			       struct smbconf_cache **cache)
{
	struct smbconf_cache *c = NULL;
	char *p = text;
	bool body = false;
	int ret = 0;

	c = talloc_zero(mem_ctx, struct smbconf_cache);
	if (c == NULL) {
		return ENOMEM;
	}
	c->err = talloc_strdup(c, "");
	if (c->err == NULL) {
		ret = ENOMEM;
		goto done;
	}
	if (!smbconf_starts_with(p, SMBCONF_CACHE_MAGIC "\n")) {
		ret = EINVAL;
		goto done;
	}
	p += strlen(SMBCONF_CACHE_MAGIC "\n");
	while (!body) {
		char *nl = strchr(p, '\n');
		char *line = p;

		if (nl == NULL) {
			/* no "# body": cut short, e.g. by a full disk */
			ret = EINVAL;
			goto done;
		}
		*nl = '\0';
		p = nl + 1;
		if (strcmp(line, SMBCONF_CACHE_BODY) == 0) {
			body = true;
		} else if (smbconf_starts_with(line, "# file ") ||
			   smbconf_starts_with(line, "# missing ")) {
			struct smbconf_fileid *grown = NULL;

			grown = talloc_realloc(c, c->files,
					       struct smbconf_fileid,
					       c->nfiles + 1);
			if (grown == NULL) {
				ret = ENOMEM;
				goto done;
			}
			c->files = grown;
			ret = smbconf_parse_fileid(grown, line,
						   &grown[c->nfiles]);
			if (ret != 0) {
				goto done;
			}
			c->nfiles++;
		} else if (smbconf_starts_with(line, "# role ")) {
			c->role = talloc_strdup(c, line + strlen("# role "));
			if (c->role == NULL) {
				ret = ENOMEM;
				goto done;
			}
		} else if (smbconf_starts_with(line, "# stderr ")) {
			c->err = talloc_asprintf_append_buffer(
				c->err, "%s\n", line + strlen("# stderr "));
			if (c->err == NULL) {
				ret = ENOMEM;
				goto done;
			}
		}
		/* other header lines: from a later version, ignored */
	}
	c->body = p;
	talloc_steal(c, text);
	*cache = c;
	c = NULL;
done:
	TALLOC_FREE(c);
	return ret;
}

static int smbconf_cache_read(TALLOC_CTX *mem_ctx, const char *path,
			      struct smbconf_cache **cache,
			      struct smbconf **conf, struct stat *sb)
{
	TALLOC_CTX *tmp_ctx = NULL;
	struct smbconf_cache *c = NULL;
	struct smbconf *parsed = NULL;
	char *text = NULL;
	size_t len = 0;
	int ret;

	tmp_ctx = talloc_new(mem_ctx);
	if (tmp_ctx == NULL) {
		return ENOMEM;
	}
	if (stat(path, sb) != 0) {
		ret = errno;
		goto done;
	}
	ret = util_read_file(tmp_ctx, path, 0, SMBCONF_MAX_FILE, &text, &len);
	if (ret != 0) {
		goto done;
	}
	ret = smbconf_cache_parse(tmp_ctx, text, &c);
	if (ret != 0) {
		goto done;
	}
	/* testparm always prints [global]: a body without it was cut
	 * short, and would pass for a configuration of defaults */
	if (strncmp(c->body, "[global]", 8) != 0 &&
	    strstr(c->body, "\n[global]") == NULL) {
		ret = EINVAL;
		goto done;
	}
	ret = smbconf_parse_testparm(tmp_ctx, c->body, c->err, &parsed);
	if (ret != 0) {
		goto done;
	}
	if (parsed->server_role == NULL && c->role != NULL) {
		parsed->server_role = talloc_steal(parsed, c->role);
	}
	*cache = talloc_steal(mem_ctx, c);
	*conf = talloc_steal(mem_ctx, parsed);
done:
	talloc_free(tmp_ctx);
	return ret;
}

/* Younger than @p max_age seconds (and not from the future)? */
static bool smbconf_cache_young(const struct stat *sb, unsigned max_age)
{
	struct timespec now;
	long long age_ns;

	if (clock_gettime(CLOCK_REALTIME, &now) != 0) {
		return false;
	}
	age_ns = (long long)(smbconf_ts_ns(&now) - smbconf_ts_ns(&sb->st_mtim));
	/* a cache from the future (clock stepped back) is not trusted */
	return age_ns >= -1000000000LL &&
	       age_ns < (long long)max_age * 1000000000LL;
}

static int smbconf_cache_write(TALLOC_CTX *mem_ctx, const char *state_dir,
			       const struct smbconf *conf, const char *out,
			       const struct smbconf_fileid *files,
			       size_t nfiles)
{
	TALLOC_CTX *tmp_ctx = NULL;
	char *hdr = NULL;
	char *dst = NULL;
	size_t i;
	int ret;

	tmp_ctx = talloc_new(mem_ctx);
	if (tmp_ctx == NULL) {
		return ENOMEM;
	}
	hdr = talloc_strdup(tmp_ctx, SMBCONF_CACHE_MAGIC "\n");
	if (hdr != NULL) {
		hdr = smbconf_files_text(hdr, files, nfiles);
	}
	if (hdr != NULL && conf->server_role != NULL) {
		char *r = smbconf_header_text(tmp_ctx, conf->server_role);

		hdr = r == NULL ? NULL :
		      talloc_asprintf_append_buffer(hdr, "# role %s\n", r);
	}
	for (i = 0; hdr != NULL && i < conf->nstderr; i++) {
		char *l = smbconf_header_text(tmp_ctx, conf->stderr_lines[i]);

		hdr = l == NULL ? NULL :
		      talloc_asprintf_append_buffer(hdr, "# stderr %s\n", l);
	}
	if (hdr != NULL) {
		hdr = talloc_asprintf_append_buffer(hdr, "%s\n",
						    SMBCONF_CACHE_BODY);
	}
	if (hdr != NULL) {
		/* the body follows the header */
		hdr = talloc_strdup_append_buffer(hdr, out);
	}
	dst = talloc_asprintf(tmp_ctx, "%s/" SMBCONF_CACHE_NAME, state_dir);
	if (hdr == NULL || dst == NULL) {
		ret = ENOMEM;
		goto done;
	}
	ret = util_write_atomic(tmp_ctx, dst, hdr, strlen(hdr), 0644);
done:
	talloc_free(tmp_ctx);
	return ret;
}

int smbconf_load(TALLOC_CTX *mem_ctx, const struct smbconf_cache_opts *opts,
		 bool force, struct smbconf **conf, struct smbconf_status *st)
{
	static const char *const argv[] = { "testparm", "-v", "-s", NULL };
	TALLOC_CTX *tmp_ctx = NULL;
	struct smbconf_cache *old = NULL;
	struct smbconf *old_conf = NULL;
	struct smbconf *fresh = NULL;
	struct smbconf_fileid *files = NULL;
	struct run_result *res = NULL;
	struct timespec start;
	size_t nfiles = 0;
	char *cache_path = NULL;
	int ret;

	*conf = NULL;
	*st = (struct smbconf_status) { .source = SMBCONF_NONE };

	tmp_ctx = talloc_new(mem_ctx);
	if (tmp_ctx == NULL) {
		return ENOMEM;
	}

	if (opts->state_dir != NULL) {
		struct stat sb;

		cache_path = talloc_asprintf(tmp_ctx,
					     "%s/" SMBCONF_CACHE_NAME,
					     opts->state_dir);
		if (cache_path == NULL) {
			ret = ENOMEM;
			goto done;
		}
		ret = smbconf_cache_read(tmp_ctx, cache_path, &old, &old_conf,
					 &sb);
		if (ret == ENOMEM) {
			goto done;
		}
		if (ret != 0) {
			/* missing or unusable: as if there were none */
			old = NULL;
			old_conf = NULL;
		}
		if (old != NULL && !force &&
		    smbconf_cache_young(&sb, opts->max_age)) {
			ret = smbconf_files_check(tmp_ctx, old,
						  opts->deadline);
			if (ret == ENOMEM) {
				goto done;
			}
			if (ret == 0) {
				st->source = SMBCONF_FROM_CACHE;
				*conf = talloc_steal(mem_ctx, old_conf);
				goto done;
			}
			if (ret == ETIMEDOUT) {
				/*
				 * smb.conf or an include hangs: the cache
				 * cannot be confirmed, and testparm would
				 * hang on the same files.
				 */
				st->source = SMBCONF_OLD_CACHE;
				st->timed_out = true;
				*conf = talloc_steal(mem_ctx, old_conf);
				ret = 0;
				goto done;
			}
		}
	}

	if (clock_gettime(CLOCK_REALTIME, &start) != 0) {
		start = (struct timespec) { 0 };
	}
	ret = run_bounded(tmp_ctx, argv, opts->deadline, &res);
	if (ret == ENOMEM) {
		goto done;
	}
	if (ret != 0 || !run_ok(res) || res->out == NULL ||
	    smbconf_blank(res->out)) {
		/* failed, timed out, or printed nothing */
		if (ret != 0) {
			st->testparm_err = talloc_asprintf(
				mem_ctx, "cannot run testparm: %s",
				strerror(ret));
		} else if (!smbconf_blank(res->errout)) {
			st->timed_out = res->timed_out;
			st->testparm_err = talloc_strdup(mem_ctx, res->errout);
		} else if (res->timed_out) {
			st->timed_out = true;
		} else {
			char *what = run_describe(tmp_ctx, res);

			st->testparm_err = talloc_asprintf(
				mem_ctx, "testparm %s",
				what != NULL ? what : "failed");
		}
		if (old_conf != NULL) {
			st->source = SMBCONF_OLD_CACHE;
			*conf = talloc_steal(mem_ctx, old_conf);
		}
		ret = 0;
		goto done;
	}

	ret = smbconf_parse_testparm(tmp_ctx, res->out, res->errout, &fresh);
	if (ret != 0) {
		goto done;
	}
	st->source = SMBCONF_REFRESHED;

	if (cache_path != NULL) {
		if (fresh->config_file != NULL) {
			ret = smbconf_walk(tmp_ctx, fresh->config_file,
					   smbconf_ts_ns(&start),
					   opts->deadline, &files, &nfiles);
			if (ret == ENOMEM) {
				goto done;
			}
			if (ret != 0) {
				/*
				 * Timed out or failed: keep testparm's answer,
				 * but record smb.conf with an identity no file
				 * has, so that the next run refreshes again.
				 */
				files = talloc_zero(tmp_ctx,
						    struct smbconf_fileid);
				if (files == NULL) {
					ret = ENOMEM;
					goto done;
				}
				files->path = fresh->config_file;
				nfiles = 1;
			}
		}
		ret = smbconf_cache_write(tmp_ctx, opts->state_dir, fresh,
					  res->out, files, nfiles);
		if (ret == ENOMEM) {
			goto done;
		}
		st->cache_unwritable = (ret != 0);
	}
	*conf = talloc_steal(mem_ctx, fresh);
	ret = 0;
done:
	talloc_free(tmp_ctx);
	return ret;
}
