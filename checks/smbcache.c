/*
 * The smb.conf cache (spec 3.3): file identities, the include walk, the
 * probe children that look at smb.conf, and the cache file itself.
 *
 * Cache file layout (smb.conf.cache in the state directory):
 *
 *   # ctdb-checksamba cache 2
 *   # file DEV INO SIZE MTIME_NS CTIME_NS PATH
 *   # missing PATH
 *   # dynamic
 *   # role ROLE_X
 *   # stderr LINE
 *   # config PATH           the digest: every answer the checks take
 *   # security VALUE        from testparm's output, worked out when
 *   # smb ports VALUE       the cache is written
 *   # transports VALUE
 *   # dirty LINE
 *   # probe PATH
 *   # body
 *   ...testparm -v -s stdout, verbatim...
 *   # end of cache
 *
 * A run that finds the cache fresh reads the header and nothing else:
 * the digest says which smb.conf testparm loaded, the parameters the
 * port and winbind checks read, the stdout lines that make the
 * configuration unclean, and the share paths to probe (duplicates
 * once, in share order).  The body is testparm's own answer, kept for
 * people to read (it is a valid smb.conf); it is never parsed again.
 * A cache of version 1 (no digest) is refreshed once.
 * The last line proves the file whole: a cache cut short (a full disk,
 * a crash before the data reached the disk) lacks it and is refreshed,
 * never trusted.
 * Every header line is an smb.conf comment.  The path or value is
 * always the last field, so paths with spaces survive; a line break in
 * one (testparm prints none) is written as '?'.  A "# smb ports" or
 * "# transports" line is there only when testparm printed that
 * parameter.  "# body" ends the header, since testparm's own output
 * starts with a '#' line too.  "# file 0 0 0 0 0 PATH" (ctime 0, which
 * no file has) means "identity unknown": the next run refreshes.
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
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "checks/probe.h"
#include "checks/run.h"
#include "checks/share.h"
#include "checks/smbcache.h"
#include "checks/state.h"

#define SMBCACHE_NAME "smb.conf.cache"
#define SMBCACHE_MAGIC "# ctdb-checksamba cache 2"
#define SMBCACHE_BODY "# body"
#define SMBCACHE_END "# end of cache"
#define SMBCACHE_DYNAMIC "# dynamic"
/* A detached refresh: its lock, and what it says of a failure */
#define SMBCACHE_LOCK "smb.conf.cache.lock"
#define SMBCACHE_OUTCOME "smb.conf.cache.outcome"
#define SMBCACHE_INCLUDE_DEPTH 10
#define SMBCACHE_MAX_FILE (64 * 1024 * 1024)
/* file timestamps may lag the real time clock by a tick or so */
#define SMBCACHE_RACY_NS 100000000ULL

/* ------------------------------------------------------------------ */
/* File identities and the cache header                                */
/* ------------------------------------------------------------------ */

/* The identity of one file smb.conf is made of (or its absence). */
struct smbcache_fileid {
	char *path;
	bool missing;
	bool special;		/* there, but neither a regular file nor a
				 * directory (a FIFO, a device): testparm
				 * may wait for ever reading it */
	unsigned long long dev, ino, size, mtime_ns, ctime_ns;
};

/* What a walk of smb.conf and its includes found. */
struct smbcache_walked {
	struct smbcache_fileid *files;
	size_t nfiles;
	bool dynamic;		/* a source no file identity shows */
};

/* A cache file's header, parsed. */
struct smbcache_file {
	struct smbcache_fileid *files;
	size_t nfiles;
	bool dynamic;		/* "# dynamic": the maximum age applies */
	struct smbconf *conf;	/* the digest (probe_paths_known) */
	const char *body;	/* testparm stdout */
};

/* A timestamp in nanoseconds. */
static unsigned long long smbcache_ts_ns(const struct timespec *ts)
{
	return (unsigned long long)ts->tv_sec * 1000000000ULL +
	       (unsigned long long)ts->tv_nsec;
}

/* True when @p path is among @p files already. */
static bool smbcache_known_file(const struct smbcache_fileid *files, size_t n,
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
static int smbcache_add_file(TALLOC_CTX *mem_ctx,
			     struct smbcache_fileid **files, size_t *n,
			     const char *path, unsigned long long start_ns)
{
	struct smbcache_fileid *grown = NULL;
	struct smbcache_fileid *f = NULL;
	struct timespec now;
	unsigned long long now_ns;
	struct stat sb;

	grown = util_array_room(mem_ctx, *files, sizeof(**files), *n);
	if (grown == NULL) {
		return ENOMEM;
	}
	*files = grown;
	f = &grown[*n];
	*f = (struct smbcache_fileid) { .path = talloc_strdup(grown, path) };
	if (f->path == NULL) {
		return ENOMEM;
	}
	(*n)++;
	if (stat(path, &sb) != 0) {
		f->missing = true;
		return 0;
	}
	f->special = !S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode);
	f->dev = (unsigned long long)sb.st_dev;
	f->ino = (unsigned long long)sb.st_ino;
	f->size = (unsigned long long)sb.st_size;
	f->mtime_ns = smbcache_ts_ns(&sb.st_mtim);
	f->ctime_ns = smbcache_ts_ns(&sb.st_ctim);
	if (clock_gettime(CLOCK_REALTIME, &now) != 0) {
		now = (struct timespec) { 0 };
	}
	now_ns = smbcache_ts_ns(&now);
	/*
	 * A timestamp far in the future (clock skew on shared storage) is
	 * not a change during the run: do not refresh for ever because of
	 * it.
	 */
	if (f->ctime_ns + SMBCACHE_RACY_NS >= start_ns &&
	    f->ctime_ns <= now_ns + SMBCACHE_RACY_NS) {
		f->ctime_ns = 0;
	}
	return 0;
}

/* "yes", "true", "1" (and "on"), as Samba reads a boolean */
static bool smbcache_yes(const char *v)
{
	return strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 ||
	       strcasecmp(v, "on") == 0 || strcmp(v, "1") == 0;
}

/*
 * Record @p path and, recursively, the files it includes ("include" and
 * "config file" lines; values with '%' or "registry" are skipped).  A
 * source no file identity can see (the registry, an include with '%')
 * sets *dynamic (spec 3.3: the maximum age then applies).
 */
static int smbcache_collect(TALLOC_CTX *mem_ctx, struct smbcache_fileid **files,
			    size_t *n, const char *path, int depth,
			    unsigned long long start_ns, bool *dynamic)
{
	TALLOC_CTX *tmp_ctx = NULL;
	char *text = NULL;
	size_t len = 0;
	char **lines = NULL;
	size_t nlines = 0;
	size_t i;
	int ret;

	if (depth > SMBCACHE_INCLUDE_DEPTH ||
	    smbcache_known_file(*files, *n, path)) {
		return 0;
	}
	ret = smbcache_add_file(mem_ctx, files, n, path, start_ns);
	if (ret != 0) {
		return ret;
	}
	tmp_ctx = talloc_new(mem_ctx);
	if (tmp_ctx == NULL) {
		return ENOMEM;
	}
	/* O_NONBLOCK: a FIFO must not hold up the walk */
	if (util_read_file(tmp_ctx, path, O_NONBLOCK, SMBCACHE_MAX_FILE, &text,
			   &len) != 0) {
		/* recorded as it is (or as missing): nothing to follow */
		ret = 0;
		goto done;
	}
	ret = util_split_lines(tmp_ctx, text, &lines, &nlines);
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
		key = util_trim_dup(tmp_ctx, p, eq);
		value = util_trim_dup(tmp_ctx, eq + 1, p + strlen(p));
		if (key == NULL || value == NULL) {
			ret = ENOMEM;
			goto done;
		}
		util_unquote(value);
		if ((smbconf_param_eq(key, "config backend") &&
		     strcasecmp(value, "registry") == 0) ||
		    (smbconf_param_eq(key, "registry shares") &&
		     smbcache_yes(value))) {
			*dynamic = true;
			continue;
		}
		if (!smbconf_param_eq(key, "include") &&
		    !smbconf_param_eq(key, "config file")) {
			continue;
		}
		if (strchr(value, '%') != NULL ||
		    strcasecmp(value, "registry") == 0) {
			*dynamic = true;
			continue;
		}
		if (value[0] == '\0') {
			continue;
		}
		ret = smbcache_collect(mem_ctx, files, n, value, depth + 1,
				       start_ns, dynamic);
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
static bool smbcache_file_unchanged(const struct smbcache_fileid *f)
{
	struct stat sb;

	if (stat(f->path, &sb) != 0) {
		return f->missing && errno == ENOENT;
	}
	return !f->missing && f->dev == (unsigned long long)sb.st_dev &&
	       f->ino == (unsigned long long)sb.st_ino &&
	       f->size == (unsigned long long)sb.st_size &&
	       f->mtime_ns == smbcache_ts_ns(&sb.st_mtim) &&
	       f->ctime_ns == smbcache_ts_ns(&sb.st_ctim);
}

/* Parse "DEV INO SIZE MTIME CTIME PATH" (after "# file "). */
static int smbcache_parse_file_line(TALLOC_CTX *mem_ctx, const char *s,
				    struct smbcache_fileid *f)
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
	*f = (struct smbcache_fileid) {
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
static int smbcache_parse_fileid(TALLOC_CTX *mem_ctx, const char *line,
				 struct smbcache_fileid *f)
{
	if (util_starts_with(line, "# file ")) {
		return smbcache_parse_file_line(mem_ctx,
						line + strlen("# file "), f);
	}
	if (!util_starts_with(line, "# missing ")) {
		return ENOENT;
	}
	line += strlen("# missing ");
	if (*line == '\0') {
		return EINVAL;
	}
	*f = (struct smbcache_fileid) {
		.missing = true,
		.path = talloc_strdup(mem_ctx, line),
	};
	return f->path == NULL ? ENOMEM : 0;
}

/* One line of free text for the header: no newline can get in. */
static char *smbcache_header_text(TALLOC_CTX *mem_ctx, const char *s)
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
 * Append the header line "PREFIX VALUE\n" to the talloc string @p text,
 * with any line break in @p value written as '?'.  Returns the new
 * string, NULL on ENOMEM (the old one is then left to its parent).
 */
static char *smbcache_line(char *text, const char *prefix, const char *value)
{
	char *v = smbcache_header_text(text, value);

	if (v == NULL) {
		return NULL;
	}
	text = talloc_asprintf_append_buffer(text, "%s%s\n", prefix, v);
	if (text != NULL) {
		talloc_free(v);
	}
	return text;
}

/* Append a header line per entry of @p lines (see smbcache_line()). */
static char *smbcache_lines(char *text, const char *prefix,
			    const char *const *lines, size_t n)
{
	size_t i;

	for (i = 0; text != NULL && i < n; i++) {
		text = smbcache_line(text, prefix, lines[i]);
	}
	return text;
}

/*
 * Append the "# file" / "# missing" lines for @p files to the talloc
 * string @p text (see smbcache_line()).
 */
static char *smbcache_files_text(char *text,
				 const struct smbcache_fileid *files,
				 size_t nfiles)
{
	size_t i;

	for (i = 0; text != NULL && i < nfiles; i++) {
		const struct smbcache_fileid *f = &files[i];
		char prefix[128];

		if (f->missing) {
			snprintf(prefix, sizeof(prefix), "# missing ");
		} else {
			snprintf(prefix, sizeof(prefix),
				 "# file %llu %llu %llu %llu %llu ", f->dev,
				 f->ino, f->size, f->mtime_ns, f->ctime_ns);
		}
		text = smbcache_line(text, prefix, f->path);
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

/*
 * In a probe child: true when no file the cache @p private_data
 * recorded changed.  stat() only, on the cache read before the fork:
 * async-signal-safe.  Also a share prober's look (checks/share.h).
 */
static bool smbcache_files_unchanged(const void *private_data)
{
	const struct smbcache_file *c = private_data;
	size_t i;

	for (i = 0; i < c->nfiles; i++) {
		if (!smbcache_file_unchanged(&c->files[i])) {
			return false;
		}
	}
	return true;
}

/* Probe child: '1' when no recorded file changed, else '0'. */
static int smbcache_check_child(struct probe_sink *sink,
				void *private_data)
{
	char answer = smbcache_files_unchanged(private_data) ? '1' : '0';

	return probe_write(sink, &answer, 1);
}

/*
 * Has any file the cache recorded changed?
 * @return 0 unchanged, ESTALE changed (or could not be told),
 *         ETIMEDOUT no answer in time, ENOMEM
 */
static int smbcache_files_check(TALLOC_CTX *mem_ctx,
				const struct smbcache_file *c,
				const struct deadline *dl)
{
	char *out = NULL;
	int ret;

	if (c->nfiles == 0) {
		/* nothing to look at: no child */
		return 0;
	}
	ret = probe_run(mem_ctx, smbcache_check_child,
			/* the child only reads it */
			(void *)(uintptr_t)c, false, dl, &out, NULL);
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

/* What the walk child is given. */
struct smbcache_walk_args {
	const char *path;
	unsigned long long start_ns;
};

/*
 * Probe child: walk smb.conf and its includes and write the "# file" /
 * "# missing" lines.  Uses talloc, so its job is needs_heap: the cache
 * is loaded before the run starts any thread (the winbind ping comes
 * later), and probe_run() refuses (EDEADLK) should that ever change.
 */
static int smbcache_walk_child(struct probe_sink *sink,
			       void *private_data)
{
	const struct smbcache_walk_args *a = private_data;
	TALLOC_CTX *tmp_ctx = talloc_new(NULL);
	struct smbcache_fileid *files = NULL;
	size_t nfiles = 0;
	char *text = NULL;
	bool dynamic = false;
	size_t i;
	int ret;

	if (tmp_ctx == NULL) {
		return ENOMEM;
	}
	ret = smbcache_collect(tmp_ctx, &files, &nfiles, a->path, 0,
			       a->start_ns, &dynamic);
	if (ret != 0) {
		goto done;
	}
	text = smbcache_files_text(talloc_strdup(tmp_ctx, ""), files, nfiles);
	for (i = 0; text != NULL && i < nfiles; i++) {
		if (files[i].special) {
			text = talloc_asprintf_append_buffer(
				text, "# special %s\n", files[i].path);
		}
	}
	if (text != NULL && dynamic) {
		text = talloc_strdup_append_buffer(text, SMBCACHE_DYNAMIC "\n");
	}
	if (text == NULL) {
		ret = ENOMEM;
		goto done;
	}
	ret = probe_write(sink, text, strlen(text));
done:
	talloc_free(tmp_ctx);
	return ret;
}

/*
 * Parse the walk child's "# file" / "# missing" lines, and the
 * "# special PATH" lines that mark files already listed.
 * @param[out] files talloc child of @p mem_ctx
 * @return 0, EIO (a line that is neither), ENOMEM
 */
static int smbcache_parse_walk(TALLOC_CTX *mem_ctx, const char *out,
			       struct smbcache_walked *w)
{
	struct smbcache_fileid *arr = NULL;
	char **lines = NULL;
	size_t n = 0;
	size_t nf = 0;
	size_t i;
	int ret;

	ret = util_split_lines(mem_ctx, out, &lines, &n);
	if (ret != 0) {
		return ret;
	}
	arr = talloc_zero_array(mem_ctx, struct smbcache_fileid,
				n > 0 ? n : 1);
	for (i = 0; arr != NULL && ret == 0 && i < n; i++) {
		const char *special = lines[i] + strlen("# special ");
		size_t k;

		if (strcmp(lines[i], SMBCACHE_DYNAMIC) == 0) {
			w->dynamic = true;
			continue;
		}
		if (!util_starts_with(lines[i], "# special ")) {
			ret = smbcache_parse_fileid(arr, lines[i],
						    &arr[nf++]);
			continue;
		}
		for (k = 0; k < nf; k++) {
			if (strcmp(arr[k].path, special) == 0) {
				arr[k].special = true;
			}
		}
	}
	talloc_free(lines);
	if (arr == NULL || ret != 0) {
		talloc_free(arr);
		return (arr == NULL || ret == ENOMEM) ? ENOMEM : EIO;
	}
	w->files = arr;
	w->nfiles = nf;
	return 0;
}

/*
 * Record the identity of @p path and the files it includes, within the
 * deadline.
 * @return 0, ETIMEDOUT, EIO (the walk failed), ENOMEM
 */
static int smbcache_walk(TALLOC_CTX *mem_ctx, const char *path,
			 unsigned long long start_ns, const struct deadline *dl,
			 struct smbcache_walked *w)
{
	struct smbcache_walk_args a = { .path = path, .start_ns = start_ns };
	char *out = NULL;
	int ret;

	*w = (struct smbcache_walked) { .files = NULL };
	ret = probe_run(mem_ctx, smbcache_walk_child, &a, true, dl, &out,
			NULL);
	if (ret == 0) {
		ret = smbcache_parse_walk(mem_ctx, out, w);
	}
	talloc_free(out);
	if (ret != 0 && ret != ENOMEM && ret != ETIMEDOUT) {
		/* the child failed, or said what we cannot read */
		ret = EIO;
	}
	return ret;
}

/* ------------------------------------------------------------------ */
/* The cache file                                                      */
/* ------------------------------------------------------------------ */

/* True when @p line is "PREFIX VALUE": *value is then VALUE. */
static bool smbcache_field(const char *line, const char *prefix,
			   const char **value)
{
	size_t n = strlen(prefix);

	if (strncmp(line, prefix, n) != 0) {
		return false;
	}
	*value = line + n;
	return true;
}

/*
 * One header line into the digest @p c, when it is part of it (other
 * lines, from a later version say, are left alone).
 * @return 0, or ENOMEM
 */
static int smbcache_parse_digest(struct smbconf *c, const char *line)
{
	const char *v = NULL;

	if (smbcache_field(line, "# probe ", &v)) {
		return util_strv_add(c, &c->probe_paths, &c->nprobe_paths, v);
	}
	if (smbcache_field(line, "# dirty ", &v)) {
		return util_strv_add(c, &c->dirty_stdout, &c->ndirty_stdout,
				     v);
	}
	if (smbcache_field(line, "# stderr ", &v)) {
		return util_strv_add(c, &c->stderr_lines, &c->nstderr, v);
	}
	if (smbcache_field(line, "# config ", &v)) {
		return smbconf_set(c, &c->config_file, v);
	}
	if (smbcache_field(line, "# role ", &v)) {
		return smbconf_set(c, &c->server_role, v);
	}
	if (smbcache_field(line, "# security ", &v)) {
		return smbconf_set(c, &c->security, v);
	}
	if (smbcache_field(line, "# smb ports ", &v)) {
		return smbconf_set(c, &c->smb_ports, v);
	}
	if (smbcache_field(line, "# transports ", &v)) {
		return smbconf_set(c, &c->transports, v);
	}
	return 0;
}

/*
 * Parse the cache file @p text (cut in place, and hung below *cache):
 * its header, the digest in it, where its body starts.
 * @return 0, EINVAL when it is not a whole cache file, ENOMEM
 */
static int smbcache_parse(TALLOC_CTX *mem_ctx, char *text,
			  struct smbcache_file **cache)
{
	struct smbcache_file *c = NULL;
	char *p = text;
	bool body = false;
	size_t len, end;
	int ret = 0;

	c = talloc_zero(mem_ctx, struct smbcache_file);
	if (c == NULL) {
		return ENOMEM;
	}
	c->conf = talloc_zero(c, struct smbconf);
	if (c->conf == NULL) {
		ret = ENOMEM;
		goto done;
	}
	c->conf->probe_paths_known = true;
	if (!util_starts_with(p, SMBCACHE_MAGIC "\n")) {
		ret = EINVAL;
		goto done;
	}
	len = strlen(text);
	end = strlen("\n" SMBCACHE_END "\n");
	if (len < end ||
	    strcmp(text + len - end, "\n" SMBCACHE_END "\n") != 0) {
		ret = EINVAL;	/* cut short */
		goto done;
	}
	text[len - end + 1] = '\0';
	p += strlen(SMBCACHE_MAGIC "\n");
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
		if (strcmp(line, SMBCACHE_BODY) == 0) {
			body = true;
		} else if (util_starts_with(line, "# file ") ||
			   util_starts_with(line, "# missing ")) {
			struct smbcache_fileid *grown = NULL;

			grown = util_array_room(c, c->files,
						sizeof(*c->files), c->nfiles);
			if (grown == NULL) {
				ret = ENOMEM;
				goto done;
			}
			c->files = grown;
			ret = smbcache_parse_fileid(grown, line,
						    &grown[c->nfiles]);
			if (ret != 0) {
				goto done;
			}
			c->nfiles++;
		} else if (strcmp(line, SMBCACHE_DYNAMIC) == 0) {
			c->dynamic = true;
		} else {
			ret = smbcache_parse_digest(c->conf, line);
			if (ret != 0) {
				goto done;
			}
		}
	}
	c->body = p;
	talloc_steal(c, text);
	*cache = c;
	c = NULL;
done:
	TALLOC_FREE(c);
	return ret;
}

/*
 * Read and parse the cache file @p path: *cache its header, *conf the
 * configuration its digest gives, *sb its stat (for its age).
 * @return 0, EINVAL (not a usable cache), ENOMEM, or the errno of stat
 *         or read
 */
static int smbcache_read(TALLOC_CTX *mem_ctx, const char *path,
			 struct smbcache_file **cache, struct smbconf **conf,
			 struct stat *sb)
{
	TALLOC_CTX *tmp_ctx = NULL;
	struct smbcache_file *c = NULL;
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
	ret = util_read_file(tmp_ctx, path, O_NONBLOCK | O_NOFOLLOW,
			     SMBCACHE_MAX_FILE, &text, &len);
	if (ret != 0) {
		goto done;
	}
	ret = smbcache_parse(tmp_ctx, text, &c);
	if (ret != 0) {
		goto done;
	}
	/* testparm always prints [global] first: a body without it is
	 * not testparm's answer, and neither is the digest above it */
	if (!util_starts_with(c->body, "[global]") &&
	    strstr(c->body, "\n[global]") == NULL) {
		ret = EINVAL;
		goto done;
	}
	*conf = talloc_steal(mem_ctx, c->conf);
	*cache = talloc_steal(mem_ctx, c);
done:
	talloc_free(tmp_ctx);
	return ret;
}

/*
 * The cache file's text: the header (@p files; @p conf's role, stderr
 * lines and digest), "# body", then testparm's stdout @p out.
 * @return a talloc child of @p mem_ctx, or NULL (ENOMEM)
 */
static char *smbcache_text(TALLOC_CTX *mem_ctx, const struct smbconf *conf,
			   const char *out, const struct smbcache_walked *w)
{
	char *hdr = talloc_strdup(mem_ctx, SMBCACHE_MAGIC "\n");
	const char **probe = NULL;
	size_t nprobe = 0;
	const struct {
		const char *prefix;
		const char *value;
	} fields[] = {
		{ "# role ", conf->server_role },
		{ "# config ", conf->config_file },
		{ "# security ", conf->security },
		{ "# smb ports ", conf->smb_ports },
		{ "# transports ", conf->transports },
	};
	size_t i;

	if (hdr == NULL || share_paths(hdr, conf, &probe, &nprobe) != 0) {
		talloc_free(hdr);
		return NULL;
	}
	hdr = smbcache_files_text(hdr, w->files, w->nfiles);
	if (hdr != NULL && w->dynamic) {
		hdr = talloc_strdup_append_buffer(hdr, SMBCACHE_DYNAMIC "\n");
	}
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (hdr != NULL && fields[i].value != NULL) {
			hdr = smbcache_line(hdr, fields[i].prefix,
					    fields[i].value);
		}
	}
	hdr = smbcache_lines(hdr, "# stderr ",
			     (const char *const *)conf->stderr_lines,
			     conf->nstderr);
	hdr = smbcache_lines(hdr, "# dirty ",
			     (const char *const *)conf->dirty_stdout,
			     conf->ndirty_stdout);
	hdr = smbcache_lines(hdr, "# probe ", probe, nprobe);
	if (hdr != NULL) {
		/* the body follows the header */
		size_t n = strlen(out);

		hdr = talloc_asprintf_append_buffer(hdr, "%s\n%s%s%s\n",
						    SMBCACHE_BODY, out,
						    n > 0 && out[n - 1] == '\n' ?
						    "" : "\n", SMBCACHE_END);
	}
	return hdr;
}

/* ------------------------------------------------------------------ */
/* Loading: is the cache fresh, run testparm, store its answer         */
/* ------------------------------------------------------------------ */

/*
 * The outcome of a detached refresh that failed, left in the state
 * directory for the next run: "timed out" or "failed" on the first
 * line, testparm's stderr after it.  Read once, then removed.
 * @return true when there was one (*st filled in)
 */
static bool smbcache_outcome_take(TALLOC_CTX *mem_ctx, TALLOC_CTX *err_ctx,
				  const char *state_dir,
				  struct smbcache_status *st)
{
	char *path = talloc_asprintf(mem_ctx, "%s/" SMBCACHE_OUTCOME,
				     state_dir);
	char *text = NULL;
	char *nl = NULL;
	size_t len = 0;

	if (path == NULL ||
	    util_read_file(mem_ctx, path, O_NONBLOCK | O_NOFOLLOW, 65536,
			   &text, &len) != 0) {
		return false;
	}
	(void)unlink(path);
	nl = strchr(text, '\n');
	st->timed_out = util_starts_with(text, "timed out");
	if (nl != NULL && nl[1] != '\0') {
		st->testparm_err = talloc_strdup(err_ctx, nl + 1);
	}
	return true;
}

/* A cache whose files are checked later (smbcache_checked()). */
struct smbcache_pending {
	struct share_look look;	/* st->look points here */
	struct smbcache_file *file;
	struct stat sb;		/* the cache file's, for its age */
};

/*
 * What the check of the cache's files (@p check: 0 unchanged, ESTALE
 * changed or not known, ETIMEDOUT no answer in time) makes of the cache
 * @p old, read as @p old_conf.
 * @param[out] conf    the answer, when the cache gives one; else NULL
 * @param[out] age_due it answers, but is old by age alone
 */
static void smbcache_verdict(const struct smbcache_opts *opts,
			     const struct smbcache_file *old,
			     const struct stat *sb, struct smbconf *old_conf,
			     int check, struct smbconf **conf, bool *age_due,
			     struct smbcache_status *st)
{
	*conf = NULL;
	*age_due = false;
	if (check == 0) {
		st->source = SMBCACHE_FROM_CACHE;
		*conf = old_conf;
		*age_due = (opts->max_age_given || old->dynamic) &&
			   state_is_old(&sb->st_mtim, opts->max_age);
	} else if (check == ETIMEDOUT) {
		/*
		 * smb.conf or an include hangs: the cache cannot be
		 * confirmed, and testparm would hang on the same files.
		 */
		st->source = SMBCACHE_OLD_CACHE;
		st->timed_out = true;
		*conf = old_conf;
	}
}

/*
 * Step 1: can the cache answer?  Reads it (*old_conf: what a failed
 * refresh falls back on) and, unless @p force, asks a probe child
 * whether a file it recorded changed.  Unchanged but old by age alone
 * (*age_due): it still answers.  With opts->defer_check the question
 * is left to the caller: the cache answers as SMBCACHE_UNCHECKED, and
 * st->pending (a talloc child of @p keep_ctx) says what to ask.
 * @param[out] conf the answer, when the cache gives one (st->source
 *                  says how); NULL when a refresh is due
 * @return 0, or ENOMEM
 */
static int smbcache_fresh(TALLOC_CTX *mem_ctx, TALLOC_CTX *keep_ctx,
			  const struct smbcache_opts *opts,
			  const char *cache_path, bool force,
			  struct smbconf **old_conf, struct smbconf **conf,
			  bool *age_due, struct smbcache_status *st)
{
	struct smbcache_file *old = NULL;
	struct stat sb;
	int ret;

	*old_conf = NULL;
	*conf = NULL;
	*age_due = false;
	ret = smbcache_read(mem_ctx, cache_path, &old, old_conf, &sb);
	if (ret == ENOMEM) {
		return ENOMEM;
	}
	if (ret != 0) {
		/* missing or unusable: as if there were none */
		*old_conf = NULL;
		return 0;
	}
	if (force) {
		return 0;
	}
	if (opts->defer_check && old->nfiles > 0) {
		struct smbcache_pending *p = NULL;

		p = talloc_zero(keep_ctx, struct smbcache_pending);
		if (p == NULL) {
			return ENOMEM;
		}
		p->file = talloc_steal(p, old);
		p->sb = sb;
		p->look = (struct share_look) {
			.fn = smbcache_files_unchanged, .private_data = old,
		};
		st->source = SMBCACHE_UNCHECKED;
		st->pending = p;
		st->look = &p->look;
		*conf = *old_conf;
		return 0;
	}
	ret = smbcache_files_check(mem_ctx, old, opts->deadline);
	if (ret == ENOMEM) {
		return ENOMEM;
	}
	smbcache_verdict(opts, old, &sb, *old_conf, ret, conf, age_due, st);
	return 0;
}

/*
 * Before a refresh with an old cache: smb.conf (where the old cache
 * says it is) or a file it includes that is a FIFO or a device would
 * hold testparm until its deadline, every run.  Such a configuration
 * fails at once, as a refresh that failed ("testparm not run: ...").
 * @return EIO (st->testparm_err set), 0 (nothing odd, or the walk
 *         could not tell: testparm decides), ENOMEM
 */
static int smbcache_special_files(TALLOC_CTX *mem_ctx, TALLOC_CTX *err_ctx,
				  const char *config_file,
				  const struct deadline *dl,
				  struct smbcache_status *st)
{
	struct smbcache_walked w;
	struct deadline look = *dl;
	int64_t left = deadline_left_ms(dl);
	size_t i;
	int ret;

	/*
	 * A look, not a wait: a quarter of what is left at most, so that
	 * testparm keeps its time when a mount hangs (the walk is then
	 * left behind, as every probe of a hung mount is).
	 */
	if (left > 0) {
		look.end_ms = util_now_ms() + left / 4;
	}
	ret = smbcache_walk(mem_ctx, config_file, 0, &look, &w);
	if (ret != 0) {
		return ret == ENOMEM ? ENOMEM : 0;
	}
	for (i = 0; i < w.nfiles; i++) {
		if (!w.files[i].special) {
			continue;
		}
		st->testparm_err = talloc_asprintf(
			err_ctx, "testparm not run: \"%s\" is not a regular "
			"file", w.files[i].path);
		return st->testparm_err == NULL ? ENOMEM : EIO;
	}
	return 0;
}

/*
 * Step 2: run "testparm -v -s" within the deadline.
 * @param[out] res      its result (when it succeeded)
 * @param[out] start_ns when it started, on the real time clock
 * @param[out] st       on EIO: st->timed_out, and st->testparm_err as a
 *                      talloc child of @p err_ctx
 * @return 0 when it succeeded with output, EIO when it failed, timed
 *         out or printed nothing, ENOMEM
 */
static int smbcache_testparm(TALLOC_CTX *mem_ctx, TALLOC_CTX *err_ctx,
			     const struct deadline *dl,
			     struct run_result **res,
			     unsigned long long *start_ns,
			     struct smbcache_status *st)
{
	static const char *const argv[] = { "testparm", "-v", "-s", NULL };
	struct run_result *r = NULL;
	struct timespec start;
	int ret;

	*res = NULL;
	if (clock_gettime(CLOCK_REALTIME, &start) != 0) {
		start = (struct timespec) { 0 };
	}
	*start_ns = smbcache_ts_ns(&start);
	ret = run_bounded(mem_ctx, argv, dl, &r);
	if (ret == ENOMEM) {
		return ENOMEM;
	}
	if (ret == 0 && run_ok(r) && r->out != NULL &&
	    !util_is_blank(r->out)) {
		*res = r;
		return 0;
	}
	/* failed, timed out, or printed nothing */
	if (ret != 0) {
		st->testparm_err = talloc_asprintf(
			err_ctx, "cannot run testparm: %s", strerror(ret));
	} else if (!util_is_blank(r->errout)) {
		st->timed_out = r->timed_out;
		st->testparm_err = talloc_strdup(err_ctx, r->errout);
	} else if (r->timed_out) {
		st->timed_out = true;
	} else {
		char *what = run_describe(mem_ctx, r);

		st->testparm_err = talloc_asprintf(
			err_ctx, "testparm %s", what != NULL ? what : "failed");
	}
	return EIO;
}

/*
 * Step 3: parse testparm's answer and, with a state directory, record
 * the identity of smb.conf and its includes and replace the cache.
 * @param[out] fresh the parsed answer, talloc child of @p mem_ctx
 * @return 0 (st->cache_unwritable when the cache could not be
 *         written), or ENOMEM
 */
static int smbcache_store(TALLOC_CTX *mem_ctx,
			  const struct smbcache_opts *opts,
			  const struct run_result *res,
			  unsigned long long start_ns, struct smbconf **fresh,
			  struct smbcache_status *st)
{
	struct smbcache_walked w = { .files = NULL };
	struct smbconf *c = NULL;
	char *testparm = NULL;
	int ret;

	ret = smbconf_parse_testparm(mem_ctx, res->out, res->errout, &c);
	if (ret != 0) {
		return ret;
	}
	*fresh = c;
	if (opts->state_dir == NULL) {
		return 0;
	}
	if (c->config_file != NULL) {
		ret = smbcache_walk(mem_ctx, c->config_file, start_ns,
				    opts->deadline, &w);
		if (ret == ENOMEM) {
			return ENOMEM;
		}
		if (ret != 0) {
			/*
			 * Timed out or failed: keep testparm's answer, but
			 * record smb.conf with an identity no file has, so
			 * that the next run refreshes again.
			 */
			w.files = talloc_zero(mem_ctx,
					      struct smbcache_fileid);
			if (w.files == NULL) {
				return ENOMEM;
			}
			w.files->path = c->config_file;
			w.nfiles = 1;
		}
	}
	/* the testparm program too: a Samba upgrade changes defaults */
	if (run_find_program(mem_ctx, "testparm", &testparm) == 0 &&
	    smbcache_add_file(mem_ctx, &w.files, &w.nfiles, testparm,
			      start_ns) == ENOMEM) {
		return ENOMEM;
	}
	ret = util_write_text_in(mem_ctx, opts->state_dir, SMBCACHE_NAME,
				 smbcache_text(mem_ctx, c, res->out, &w),
				 0644);
	if (ret == ENOMEM) {
		return ENOMEM;
	}
	st->cache_unwritable = (ret != 0);
	return 0;
}

/*
 * Run testparm and store its answer (steps 2 and 3), falling back on
 * @p old_conf when it fails.
 * @param[out] answer talloc child of @p mem_ctx, or NULL
 * @return 0, or ENOMEM
 */
static int smbcache_refresh(TALLOC_CTX *mem_ctx, TALLOC_CTX *err_ctx,
			    const struct smbcache_opts *opts,
			    struct smbconf *old_conf, struct smbconf **answer,
			    struct smbcache_status *st)
{
	struct run_result *res = NULL;
	unsigned long long start_ns = 0;
	int ret = 0;

	*answer = NULL;
	if (old_conf != NULL && old_conf->config_file != NULL) {
		ret = smbcache_special_files(mem_ctx, err_ctx,
					     old_conf->config_file,
					     opts->deadline, st);
	}
	if (ret == 0) {
		ret = smbcache_testparm(mem_ctx, err_ctx, opts->deadline,
					&res, &start_ns, st);
	}
	if (ret == EIO) {
		if (old_conf != NULL) {
			st->source = SMBCACHE_OLD_CACHE;
			*answer = old_conf;
		}
		return 0;
	}
	if (ret != 0) {
		return ret;
	}
	ret = smbcache_store(mem_ctx, opts, res, start_ns, answer, st);
	if (ret != 0) {
		*answer = NULL;
		return ret;
	}
	st->source = SMBCACHE_REFRESHED;
	return 0;
}

/*
 * The detached refresh, in a grandchild of the run: its own session,
 * stdio on /dev/null, a deadline of its own; the lock held until it
 * exits.  A failure is left in SMBCACHE_OUTCOME for the next run.
 * Never returns.
 */
static void smbcache_detached(const struct smbcache_opts *opts)
{
	struct smbcache_opts o = *opts;
	struct smbcache_status st;
	struct smbconf *conf = NULL;
	struct deadline dl;
	TALLOC_CTX *ctx = NULL;
	sigset_t none;
	int fd;

	(void)setsid();
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	fd = open("/dev/null", O_RDWR | O_NOCTTY);
	if (fd >= 0) {
		(void)dup2(fd, 0);
		(void)dup2(fd, 1);
		(void)dup2(fd, 2);
		if (fd > 2) {
			close(fd);
		}
	}
	deadline_init(&dl, o.refresh_seconds);
	o.deadline = &dl;
	ctx = talloc_new(NULL);
	if (ctx != NULL && smbcache_load(ctx, &o, true, &conf, &st) == 0 &&
	    st.source != SMBCACHE_REFRESHED) {
		char *text = talloc_asprintf(
			ctx, "%s\n%s", st.timed_out ? "timed out" : "failed",
			st.testparm_err != NULL ? st.testparm_err : "");

		if (text != NULL) {
			(void)util_write_text_in(ctx, o.state_dir,
						 SMBCACHE_OUTCOME, text, 0644);
		}
	}
	/* no exit(): the run's stdio buffers are not ours to flush */
	_exit(0);
}

int smbcache_start_refresh(TALLOC_CTX *mem_ctx,
			   const struct smbcache_opts *opts)
{
	char *lock = talloc_asprintf(mem_ctx, "%s/" SMBCACHE_LOCK,
				     opts->state_dir);
	pid_t pid;
	int fd;
	int ret;

	if (lock == NULL) {
		return ENOMEM;
	}
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW,
		  0644);
	if (fd == -1) {
		return errno;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		ret = errno == EWOULDBLOCK ? EALREADY : errno;
		close(fd);
		return ret;
	}
	pid = fork();
	if (pid == -1) {
		ret = errno;
		close(fd);
		return ret;
	}
	if (pid == 0) {
		/* a grandchild, so that nobody need wait for it; it keeps
		 * the locked descriptor (and so the lock) until it ends */
		if (fork() == 0) {
			smbcache_detached(opts);
		}
		_exit(0);
	}
	close(fd);
	(void)run_reap(pid, 1000, NULL);
	return 0;
}

/*
 * Once the cache's verdict is in (*answer, when it answers): report a
 * detached refresh that failed and start one when the cache is old by
 * age alone; or, when it does not answer, refresh it.
 * @return 0, or ENOMEM
 */
static int smbcache_settle(TALLOC_CTX *tmp_ctx, TALLOC_CTX *mem_ctx,
			   const struct smbcache_opts *opts,
			   struct smbconf *old_conf, struct smbconf **answer,
			   bool age_due, struct smbcache_status *st)
{
	int ret;

	if (*answer != NULL) {
		/* a detached refresh that failed: as if this run had */
		if (st->source == SMBCACHE_FROM_CACHE &&
		    smbcache_outcome_take(tmp_ctx, mem_ctx, opts->state_dir,
					  st)) {
			st->source = SMBCACHE_OLD_CACHE;
		}
		if (age_due && opts->refresh_later) {
			st->refresh_due = true;
		} else if (age_due &&
			   smbcache_start_refresh(tmp_ctx, opts) == 0) {
			st->refresh_started = true;
		}
		return 0;
	}
	ret = smbcache_refresh(tmp_ctx, mem_ctx, opts, old_conf, answer, st);
	if (opts->state_dir != NULL) {
		/* what a detached refresh said is no longer news */
		char *outcome = talloc_asprintf(tmp_ctx, "%s/" SMBCACHE_OUTCOME,
						opts->state_dir);

		if (outcome != NULL) {
			(void)unlink(outcome);
		}
	}
	return ret;
}

int smbcache_load(TALLOC_CTX *mem_ctx, const struct smbcache_opts *opts,
		  bool force, struct smbconf **conf,
		  struct smbcache_status *st)
{
	TALLOC_CTX *tmp_ctx = NULL;
	struct smbconf *old_conf = NULL;
	struct smbconf *answer = NULL;
	bool age_due = false;
	int ret = 0;

	*conf = NULL;
	*st = (struct smbcache_status) { .source = SMBCACHE_NONE };

	tmp_ctx = talloc_new(mem_ctx);
	if (tmp_ctx == NULL) {
		return ENOMEM;
	}
	if (opts->state_dir != NULL) {
		char *cache_path = talloc_asprintf(tmp_ctx, "%s/" SMBCACHE_NAME,
						   opts->state_dir);

		if (cache_path == NULL) {
			ret = ENOMEM;
			goto done;
		}
		ret = smbcache_fresh(tmp_ctx, mem_ctx, opts, cache_path, force,
				     &old_conf, &answer, &age_due, st);
		if (ret != 0 || st->source == SMBCACHE_UNCHECKED) {
			goto done;
		}
	}
	ret = smbcache_settle(tmp_ctx, mem_ctx, opts, old_conf, &answer,
			      age_due, st);
done:
	if (ret == 0 && answer != NULL) {
		*conf = talloc_steal(mem_ctx, answer);
	}
	talloc_free(tmp_ctx);
	return ret;
}

int smbcache_checked(TALLOC_CTX *mem_ctx, const struct smbcache_opts *opts,
		     struct smbconf **conf, struct smbcache_status *st)
{
	struct smbcache_pending *p = st->pending;
	TALLOC_CTX *tmp_ctx = NULL;
	struct smbconf *old_conf = *conf;
	struct smbconf *answer = NULL;
	bool age_due = false;
	int check;
	int ret;

	switch (p->look.answer) {
	case SHARE_LOOK_YES:
		check = 0;
		break;
	case SHARE_LOOK_LATE:
		check = ETIMEDOUT;
		break;
	default:
		/* changed, or the prober could not tell: testparm decides */
		check = ESTALE;
		break;
	}
	*st = (struct smbcache_status) { .source = SMBCACHE_NONE };
	tmp_ctx = talloc_new(mem_ctx);
	if (tmp_ctx == NULL) {
		talloc_free(p);
		return ENOMEM;
	}
	talloc_steal(tmp_ctx, p);
	smbcache_verdict(opts, p->file, &p->sb, old_conf, check, &answer,
			 &age_due, st);
	ret = smbcache_settle(tmp_ctx, mem_ctx, opts, old_conf, &answer,
			      age_due, st);
	if (ret == 0) {
		*conf = answer == NULL ? NULL : talloc_steal(mem_ctx, answer);
	}
	talloc_free(tmp_ctx);
	return ret;
}
