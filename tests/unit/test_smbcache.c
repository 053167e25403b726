/*
 * Unit tests for checks/smbcache.c: the smb.conf cache driven through a
 * stub testparm first on PATH (freshness, refresh, failures, hangs,
 * includes that block), and once through the real testparm.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "checks/share.h"
#include "checks/smbcache.h"
#include "checks/util.h"

#define DATA "tests/unit/data/smbconf/"

/*
 * The share paths to probe that domain.out gives, in share order:
 * [homes] has '%', [off] is not available.  The same whether the
 * configuration came from testparm or from the cache's digest.
 */
static void assert_probe_paths(const struct smbconf *c)
{
	static const char *const want[] = {
		"/srv/inc", "/srv/a b", "/srv/plain",
	};
	const char **paths = NULL;
	size_t i, n = 0;

	assert_non_null(c);
	assert_int_equal(share_paths(NULL, c, &paths, &n), 0);
	assert_int_equal(n, 3);
	for (i = 0; i < n; i++) {
		assert_string_equal(paths[i], want[i]);
	}
	talloc_free(paths);
}

/* ---- the cache, with a stub testparm ------------------------------- */

static const char stub_script[] =
	"#!/bin/sh\n"
	"echo \"$*\" >> \"$STUB_LOG\"\n"
	"if [ -n \"$STUB_HANG\" ]; then exec sleep 30; fi\n"
	"if [ -n \"$STUB_FAIL\" ]; then\n"
	"\techo \"Error loading services.\" >&2\n"
	"\texit 1\n"
	"fi\n"
	"echo \"Load smb config files from $STUB_SMBCONF\" >&2\n"
	"echo \"Loaded services file OK.\" >&2\n"
	"echo >&2\n"
	"echo \"Server role: ROLE_DOMAIN_MEMBER\" >&2\n"
	"cat \"$STUB_OUT\"\n";

struct env {
	char *dir;
	char *state;
	char *log;
	char *smbconf;
	char *inc;
	char *bin;		/* the stub testparm's directory */
	char *out;		/* what the stub prints */
	char *old_path;
	char *mnt;		/* a hung FUSE mount point, or NULL */
	int fuse_fd;
};

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(close(fd), 0);
}

/*
 * File timestamps less than 100 ms older than testparm's start look
 * "racy" to the cache (they may have changed while testparm read the
 * file): wait that long after writing.  File times come from a coarse
 * clock that lags the real one, so 110 ms are enough.
 */
static void settle(void)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = 110 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

/*
 * The deadline of the cases that wait for one: long enough for the
 * stub testparm (a shell script) to answer on a loaded machine, short
 * enough to keep the test quick.
 */
#define HANG_MS 300

/* A directory with a stub testparm, smb.conf and an include. */
static struct env *env_create(void)
{
	struct env *e = talloc_zero(NULL, struct env);
	char tmpl[] = "/tmp/test smbconf.XXXXXX";
	char *bin = NULL;
	char *out = NULL;
	char cwd[4096];

	assert_non_null(mkdtemp(tmpl));
	e->dir = talloc_strdup(e, tmpl);
	e->state = talloc_asprintf(e, "%s/state", e->dir);
	e->log = talloc_asprintf(e, "%s/log", e->dir);
	e->smbconf = talloc_asprintf(e, "%s/smb conf", e->dir);
	e->inc = talloc_asprintf(e, "%s/inc.conf", e->dir);
	e->bin = talloc_asprintf(e, "%s/bin", e->dir);
	e->fuse_fd = -1;
	bin = e->bin;
	assert_int_equal(mkdir(e->state, 0755), 0);
	assert_int_equal(mkdir(bin, 0755), 0);
	write_file(talloc_asprintf(e, "%s/testparm", bin), stub_script, 0755);
	write_file(e->smbconf,
		   talloc_asprintf(e,
				   "[global]\n"
				   "  Include=\"%s\"\n"
				   "  include = /etc/samba/%%m.conf\n"
				   "  config backend = registry\n"
				   "  include = registry\n",
				   e->inc),
		   0644);
	write_file(e->inc, "[inc]\npath = /srv/inc\n", 0644);

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	out = talloc_asprintf(e, "%s/" DATA "domain.out", cwd);
	e->out = out;
	return e;
}

/* One environment per test, all made at once: one settle() for all. */
#define NENV 9
static struct env *envs[NENV];
static size_t next_env;

static int group_setup(void **state)
{
	size_t i;

	for (i = 0; i < NENV; i++) {
		envs[i] = env_create();
	}
	next_env = 0;
	settle();
	return 0;
}

static void rm_rf(const char *dir);

static int group_teardown(void **state)
{
	size_t i;

	for (i = next_env; i < NENV; i++) {
		rm_rf(envs[i]->dir);
		TALLOC_FREE(envs[i]);
	}
	return 0;
}

static int env_setup(void **state)
{
	struct env *e = NULL;

	assert_true(next_env < NENV);
	e = envs[next_env++];
	e->old_path = talloc_strdup(e, getenv("PATH"));
	setenv("PATH", talloc_asprintf(e, "%s:%s", e->bin, e->old_path), 1);
	setenv("STUB_LOG", e->log, 1);
	setenv("STUB_SMBCONF", e->smbconf, 1);
	setenv("STUB_OUT", e->out, 1);
	unsetenv("STUB_FAIL");
	unsetenv("STUB_HANG");
	*state = e;
	return 0;
}

static void rm_rf(const char *dir)
{
	/* only the few names the tests create */
	static const char *const names[] = {
		"bin/testparm", "bin", "state/smb.conf.cache", "state",
		"log", "smb conf", "inc.conf", "notadir", "fifo", "mnt",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *p = talloc_asprintf(NULL, "%s/%s", dir, names[i]);

		if (unlink(p) != 0) {
			(void)rmdir(p);
		}
		talloc_free(p);
	}
	(void)rmdir(dir);
}

/* ---- a file system that never answers ------------------------------ */

/*
 * Mount a FUSE file system on @p dir that nobody serves: every look
 * under it sleeps in the kernel (D state) until the mount is aborted.
 * Needs root and /dev/fuse; false when that is not possible here.
 */
static bool hung_mount(struct env *e, const char *dir)
{
	char opts[128];

	e->fuse_fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (e->fuse_fd == -1) {
		return false;
	}
	snprintf(opts, sizeof(opts),
		 "fd=%d,rootmode=40000,user_id=0,group_id=0", e->fuse_fd);
	if (mount("hung", dir, "fuse.hung", MS_NOSUID | MS_NODEV, opts) != 0) {
		close(e->fuse_fd);
		e->fuse_fd = -1;
		return false;
	}
	e->mnt = talloc_strdup(e, dir);
	return true;
}

/* Abort the hung mount: sleepers wake up (ENOTCONN), then unmount. */
static void hung_unmount(struct env *e)
{
	if (e->mnt == NULL) {
		return;
	}
	(void)umount2(e->mnt, MNT_FORCE);
	(void)umount2(e->mnt, MNT_DETACH);
	close(e->fuse_fd);
	e->fuse_fd = -1;
	TALLOC_FREE(e->mnt);
}

/* Reap one child, which must have been killed by SIGKILL. */
static void reap_killed_child(void)
{
	int status = 0;

	assert_true(waitpid(-1, &status, 0) > 0);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
}

static void assert_no_children(void)
{
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

static int env_teardown(void **state)
{
	struct env *e = *state;

	hung_unmount(e);

	setenv("PATH", e->old_path, 1);
	unsetenv("STUB_FAIL");
	unsetenv("STUB_HANG");
	rm_rf(e->dir);
	talloc_free(e);
	return 0;
}

static int stub_runs(const struct env *e)
{
	FILE *f = fopen(e->log, "r");
	int n = 0;
	int ch;

	if (f == NULL) {
		return 0;
	}
	while ((ch = fgetc(f)) != EOF) {
		if (ch == '\n') {
			n++;
		}
	}
	fclose(f);
	return n;
}

/*
 * smbcache_load() with a deadline @p ms from now, which must succeed;
 * CTDB_SAMBA_CACHE_MAX_AGE given as @p max_age_given says, detached
 * refreshes get @p refresh_s seconds.
 */
static enum smbcache_source load_aged(TALLOC_CTX *ctx, const char *state_dir,
				      unsigned max_age, bool max_age_given,
				      unsigned refresh_s, int64_t ms,
				      bool force, struct smbconf **conf,
				      struct smbcache_status *st)
{
	struct deadline dl;
	struct smbcache_opts opts = {
		.state_dir = state_dir,
		.max_age = max_age,
		.max_age_given = max_age_given,
		.deadline = &dl,
		.refresh_seconds = refresh_s,
	};

	deadline_init_ms(&dl, ms);
	assert_int_equal(smbcache_load(ctx, &opts, force, conf, st), 0);
	return st->source;
}

static enum smbcache_source load(TALLOC_CTX *ctx, const char *state_dir,
				 unsigned max_age, int64_t ms, bool force,
				 struct smbconf **conf,
				 struct smbcache_status *st)
{
	return load_aged(ctx, state_dir, max_age, false, 10, ms, force, conf,
			 st);
}

/* Until the stub has run @p n times in all (5 s at most). */
static void wait_runs(const struct env *e, int n)
{
	int i;

	for (i = 0; i < 500 && stub_runs(e) < n; i++) {
		poll(NULL, 0, 10);
	}
	assert_int_equal(stub_runs(e), n);
}

/* Until @p path exists and no lock is held on @p lock (5 s at most). */
static void wait_done(const char *path, const char *lock)
{
	int i;

	for (i = 0; i < 500; i++) {
		int fd = open(lock, O_RDONLY);
		bool free_ = fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0;

		if (fd >= 0) {
			close(fd);
		}
		if ((path == NULL || access(path, F_OK) == 0) && free_) {
			return;
		}
		poll(NULL, 0, 10);
	}
	fail_msg("the detached refresh did not end");
}

/* Make @p path's times 100 s old. */
static void age(const char *path)
{
	struct timespec old[2] = {
		{ .tv_sec = time(NULL) - 100 },
		{ .tv_sec = time(NULL) - 100 },
	};

	assert_int_equal(utimensat(AT_FDCWD, path, old, 0), 0);
}

static void touch_later(const char *path)
{
	struct timespec times[2] = {
		{ .tv_sec = 0, .tv_nsec = UTIME_NOW },
		{ .tv_sec = 0, .tv_nsec = UTIME_NOW },
	};

	assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
	settle();
}

static void test_load_cache_cycle(void **state)
{
	struct env *e = *state;
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct smbconf *c = NULL;
	struct smbcache_status st;
	char *cache = talloc_asprintf(ctx, "%s/smb.conf.cache", e->state);

	/* no cache: testparm runs */
	assert_int_equal(load(ctx, e->state, 60, 10000, false, &c, &st),
			 SMBCACHE_REFRESHED);
	assert_int_equal(stub_runs(e), 1);
	assert_false(st.cache_unwritable);
	assert_non_null(c);
	assert_string_equal(c->config_file, e->smbconf);
	assert_probe_paths(c);

	/* the header records both files and the testparm program */
	{
		FILE *f = fopen(cache, "r");
		char line[4096];
		int files = 0;

		assert_non_null(f);
		assert_non_null(fgets(line, sizeof(line), f));
		assert_string_equal(line, "# ctdb-checksamba cache 2\n");
		while (fgets(line, sizeof(line), f) != NULL) {
			if (strncmp(line, "# file ", 7) == 0) {
				files++;
			}
			if (strcmp(line, "# body\n") == 0) {
				break;
			}
		}
		assert_int_equal(files, 3);
		/* then testparm's stdout, verbatim */
		assert_non_null(fgets(line, sizeof(line), f));
		assert_string_equal(line, "# Global parameters\n");
		fclose(f);
	}

	/* fresh: no program run, same answer */
	assert_int_equal(load(ctx, e->state, 60, 10000, false, &c, &st),
			 SMBCACHE_FROM_CACHE);
	assert_int_equal(stub_runs(e), 1);
	assert_string_equal(c->config_file, e->smbconf);
	assert_string_equal(c->server_role, "ROLE_DOMAIN_MEMBER");
	assert_string_equal(c->security, "ADS");
	assert_probe_paths(c);
	assert_true(c->probe_paths_known);	/* the digest, not the body */
	assert_string_equal(c->smb_ports, "445 139");
	assert_null(c->transports);
	assert_int_equal(c->nstderr, 3);

	/* smb.conf touched */
	touch_later(e->smbconf);
	assert_int_equal(load(ctx, e->state, 60, 10000, false, &c, &st),
			 SMBCACHE_REFRESHED);
	assert_int_equal(stub_runs(e), 2);
	assert_int_equal(load(ctx, e->state, 60, 10000, false, &c, &st),
			 SMBCACHE_FROM_CACHE);

	/* an included file changed (same size, new content) */
	write_file(e->inc, "[inc]\npath = /srv/cni\n", 0644);
	settle();
	assert_int_equal(load(ctx, e->state, 60, 10000, false, &c, &st),
			 SMBCACHE_REFRESHED);
	assert_int_equal(stub_runs(e), 3);
	assert_int_equal(load(ctx, e->state, 60, 10000, false, &c, &st),
			 SMBCACHE_FROM_CACHE);

	/* an included file removed: a change; then missing stays fresh */
	assert_int_equal(unlink(e->inc), 0);
	assert_int_equal(load(ctx, e->state, 60, 10000, false, &c, &st),
			 SMBCACHE_REFRESHED);
	assert_int_equal(load(ctx, e->state, 60, 10000, false, &c, &st),
			 SMBCACHE_FROM_CACHE);
	assert_int_equal(stub_runs(e), 4);
	/* ...and coming back is a change too */
	write_file(e->inc, "[inc]\npath = /srv/inc\n", 0644);
	settle();
	assert_int_equal(load(ctx, e->state, 60, 10000, false, &c, &st),
			 SMBCACHE_REFRESHED);
	assert_int_equal(stub_runs(e), 5);

	/*
	 * smb.conf has registry and '%' sources: the maximum age applies.
	 * Max age 0: the cache answers, and a refresh runs detached.
	 */
	assert_int_equal(load(ctx, e->state, 0, 10000, false, &c, &st),
			 SMBCACHE_FROM_CACHE);
	assert_true(st.refresh_started);
	assert_probe_paths(c);
	wait_runs(e, 6);

	/* a cache older than max_age: the same */
	wait_done(NULL, talloc_asprintf(ctx, "%s.lock", cache));
	age(cache);
	assert_int_equal(load(ctx, e->state, 60, 10000, false, &c, &st),
			 SMBCACHE_FROM_CACHE);
	assert_true(st.refresh_started);
	wait_runs(e, 7);
	wait_done(NULL, talloc_asprintf(ctx, "%s.lock", cache));
	assert_int_equal(load(ctx, e->state, 60, 10000, false, &c, &st),
			 SMBCACHE_FROM_CACHE);
	assert_false(st.refresh_started);

	/* a new testparm program (a Samba upgrade): refreshed at once */
	touch_later(talloc_asprintf(ctx, "%s/testparm", e->bin));
	assert_int_equal(load(ctx, e->state, 60, 10000, false, &c, &st),
			 SMBCACHE_REFRESHED);
	assert_int_equal(stub_runs(e), 8);

	/* forced */
	assert_int_equal(load(ctx, e->state, 60, 10000, true, &c, &st),
			 SMBCACHE_REFRESHED);
	assert_int_equal(stub_runs(e), 9);
	assert_int_equal(load(ctx, e->state, 60, 10000, false, &c, &st),
			 SMBCACHE_FROM_CACHE);

	/* a damaged cache is as good as none */
	write_file(cache, "# ctdb-checksamba cache 2\n# file 1 2 3", 0644);
	assert_int_equal(load(ctx, e->state, 60, 10000, false, &c, &st),
			 SMBCACHE_REFRESHED);
	assert_int_equal(stub_runs(e), 10);
	talloc_free(ctx);
}

/* Does the cache header hold this line? */
static bool cache_has_line(const struct env *e, const char *want)
{
	char *cache = talloc_asprintf(NULL, "%s/smb.conf.cache", e->state);
	FILE *f = fopen(cache, "r");
	char line[4096];
	bool found = false;

	talloc_free(cache);
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strcmp(line, "# body\n") == 0) {
			break;
		}
		if (strcmp(line, want) == 0) {
			found = true;
		}
	}
	fclose(f);
	return found;
}

/* Equal strings, or both NULL */
static void assert_same_string(const char *a, const char *b)
{
	if (a == NULL || b == NULL) {
		assert_ptr_equal(a, b);
	} else {
		assert_string_equal(a, b);
	}
}

/* Two configurations give the checks the same answers. */
static void assert_same_answers(TALLOC_CTX *ctx, const struct smbconf *a,
				const struct smbconf *b)
{
	const char **pa = NULL;
	const char **pb = NULL;
	size_t i, na = 0, nb = 0;

	assert_same_string(a->config_file, b->config_file);
	assert_same_string(a->server_role, b->server_role);
	assert_same_string(a->security, b->security);
	assert_same_string(a->smb_ports, b->smb_ports);
	assert_same_string(a->transports, b->transports);
	assert_int_equal(smbconf_is_domain(a), smbconf_is_domain(b));
	assert_int_equal(a->ndirty_stdout, b->ndirty_stdout);
	for (i = 0; i < a->ndirty_stdout; i++) {
		assert_string_equal(a->dirty_stdout[i], b->dirty_stdout[i]);
	}
	assert_int_equal(a->nstderr, b->nstderr);
	for (i = 0; i < a->nstderr; i++) {
		assert_string_equal(a->stderr_lines[i], b->stderr_lines[i]);
	}
	assert_int_equal(share_paths(ctx, a, &pa, &na), 0);
	assert_int_equal(share_paths(ctx, b, &pb, &nb), 0);
	assert_int_equal(na, nb);
	for (i = 0; i < na; i++) {
		assert_string_equal(pa[i], pb[i]);
	}
}

/* Replace @p from by @p to in the file @p path (once; it must be there). */
static void edit_file(TALLOC_CTX *ctx, const char *path, const char *from,
		      const char *to)
{
	char *text = NULL;
	char *at = NULL;
	size_t len = 0;

	assert_int_equal(util_read_file(ctx, path, 0, 1 << 24, &text, &len),
			 0);
	at = strstr(text, from);
	assert_non_null(at);
	*at = '\0';
	write_file(path, talloc_asprintf(ctx, "%s%s%s", text, to,
					 at + strlen(from)), 0644);
}

/*
 * A fresh cache answers from its digest: the header says everything the
 * checks read, and testparm's output below it is not parsed again.  A
 * cache of version 1 (no digest) is refreshed.
 */
static void test_load_digest(void **state)
{
	struct env *e = *state;
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct smbconf *fresh = NULL;
	struct smbconf *c = NULL;
	struct smbcache_status st;
	char *cache = talloc_asprintf(ctx, "%s/smb.conf.cache", e->state);

	assert_int_equal(load(ctx, e->state, 60, 10000, false, &fresh, &st),
			 SMBCACHE_REFRESHED);
	assert_false(fresh->probe_paths_known);
	assert_int_equal(load(ctx, e->state, 60, 10000, false, &c, &st),
			 SMBCACHE_FROM_CACHE);
	assert_true(c->probe_paths_known);
	assert_same_answers(ctx, fresh, c);
	assert_true(cache_has_line(
		e, talloc_asprintf(ctx, "# config %s\n", e->smbconf)));
	assert_true(cache_has_line(e, "# role ROLE_DOMAIN_MEMBER\n"));
	assert_true(cache_has_line(e, "# security ADS\n"));
	assert_true(cache_has_line(e, "# smb ports 445 139\n"));
	assert_true(cache_has_line(e, "# probe /srv/a b\n"));
	assert_false(cache_has_line(e, "# probe /srv/off\n"));
	assert_false(cache_has_line(e, "# probe /home/%U\n"));

	/* what the body says no longer counts: the digest answers */
	edit_file(ctx, cache, "\tsmb ports = 445 139\n",
		  "\tsmb ports = 1\nWARNING: not from the digest\n");
	edit_file(ctx, cache, "[plain]\n", "[plain]\n\tavailable = No\n");
	assert_int_equal(load(ctx, e->state, 60, 10000, false, &c, &st),
			 SMBCACHE_FROM_CACHE);
	assert_string_equal(c->smb_ports, "445 139");
	assert_int_equal(c->ndirty_stdout, 0);
	assert_probe_paths(c);
	assert_string_equal(c->config_file, e->smbconf);
	assert_int_equal(c->nstderr, 3);
	assert_true(smbconf_is_domain(c));

	/* ...and what the digest says does */
	edit_file(ctx, cache, "# smb ports 445 139\n", "# smb ports 4455\n");
	edit_file(ctx, cache, "# probe /srv/plain\n",
		  "# probe /srv/plain\n# probe /srv/digest\n"
		  "# dirty WARNING: from the digest\n");
	assert_int_equal(load(ctx, e->state, 60, 10000, false, &c, &st),
			 SMBCACHE_FROM_CACHE);
	assert_string_equal(c->smb_ports, "4455");
	assert_int_equal(c->nprobe_paths, 4);
	assert_string_equal(c->probe_paths[3], "/srv/digest");
	assert_int_equal(c->ndirty_stdout, 1);
	assert_string_equal(c->dirty_stdout[0], "WARNING: from the digest");
	assert_int_equal(stub_runs(e), 1);

	/* a body that is not testparm's answer: the digest is not trusted */
	edit_file(ctx, cache, "[global]\n", "[not global]\n");
	assert_int_equal(load(ctx, e->state, 60, 10000, false, &c, &st),
			 SMBCACHE_REFRESHED);
	assert_int_equal(stub_runs(e), 2);
	assert_string_equal(c->smb_ports, "445 139");

	/* version 1, as an earlier release wrote it: refreshed once */
	edit_file(ctx, cache, "# ctdb-checksamba cache 2\n",
		  "# ctdb-checksamba cache 1\n");
	assert_int_equal(load(ctx, e->state, 60, 10000, false, &c, &st),
			 SMBCACHE_REFRESHED);
	assert_int_equal(load(ctx, e->state, 60, 10000, false, &c, &st),
			 SMBCACHE_FROM_CACHE);
	assert_int_equal(stub_runs(e), 3);
	assert_probe_paths(c);
	talloc_free(ctx);
}

/*
 * smbcache_load() with the check left to a share prober, the prober
 * run (no share paths: the look alone), and smbcache_checked().
 * @p answer: 0 to take the prober's answer, else the answer to give.
 */
static enum smbcache_source load_deferred(TALLOC_CTX *ctx,
					  const struct env *e,
					  unsigned max_age,
					  enum share_look_answer answer,
					  struct smbconf **conf,
					  struct smbcache_status *st)
{
	struct share_failure *fail = NULL;
	struct smbconf *unchecked = NULL;
	struct deadline dl;
	struct smbcache_opts opts = {
		.state_dir = e->state,
		.max_age = max_age,
		.deadline = &dl,
		.refresh_seconds = 10,
		.defer_check = true,
	};
	int runs = stub_runs(e);

	deadline_init_ms(&dl, 10000);
	assert_int_equal(smbcache_load(ctx, &opts, false, conf, st), 0);
	if (st->source != SMBCACHE_UNCHECKED) {
		return st->source;
	}
	/* nothing forked, nothing run yet */
	assert_no_children();
	assert_int_equal(stub_runs(e), runs);
	assert_non_null(st->look);
	assert_true((*conf)->probe_paths_known);
	unchecked = *conf;
	if (answer == 0) {
		assert_int_equal(share_probe_look(ctx, NULL, NULL, 0, st->look,
						  &dl, &fail), 0);
		assert_null(fail);
	} else {
		st->look->answer = answer;
	}
	assert_int_equal(smbcache_checked(ctx, &opts, conf, st), 0);
	if (st->source == SMBCACHE_FROM_CACHE ||
	    st->source == SMBCACHE_OLD_CACHE) {
		/* the cache answered: the same configuration */
		assert_ptr_equal(*conf, unchecked);
	}
	return st->source;
}

/*
 * The check of smb.conf's files taken by the share prober: the cache
 * answers without a child of its own, and what the prober says decides
 * as the cache's own child would have.
 */
static void test_load_deferred(void **state)
{
	struct env *e = *state;
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct smbconf *c = NULL;
	struct smbcache_status st;
	char *cache = talloc_asprintf(ctx, "%s/smb.conf.cache", e->state);

	/* no cache: nothing to defer, testparm runs */
	assert_int_equal(load_deferred(ctx, e, 60, 0, &c, &st),
			 SMBCACHE_REFRESHED);
	assert_int_equal(stub_runs(e), 1);

	/* unchanged: the prober says so, the cache answers */
	assert_int_equal(load_deferred(ctx, e, 60, 0, &c, &st),
			 SMBCACHE_FROM_CACHE);
	assert_false(st.refresh_started);
	assert_probe_paths(c);
	assert_int_equal(stub_runs(e), 1);

	/* smb.conf touched: the prober says so, testparm runs */
	touch_later(e->smbconf);
	assert_int_equal(load_deferred(ctx, e, 60, 0, &c, &st),
			 SMBCACHE_REFRESHED);
	assert_int_equal(stub_runs(e), 2);
	assert_probe_paths(c);
	assert_int_equal(load_deferred(ctx, e, 60, 0, &c, &st),
			 SMBCACHE_FROM_CACHE);

	/* no answer in time: the old cache, timed out; testparm not run */
	assert_int_equal(load_deferred(ctx, e, 60, SHARE_LOOK_LATE, &c, &st),
			 SMBCACHE_OLD_CACHE);
	assert_true(st.timed_out);
	assert_int_equal(stub_runs(e), 2);

	/* the prober ended without a word: testparm decides */
	assert_int_equal(load_deferred(ctx, e, 60, SHARE_LOOK_LOST, &c, &st),
			 SMBCACHE_REFRESHED);
	assert_int_equal(stub_runs(e), 3);

	/* ...and fails: the old cache, with its stderr */
	setenv("STUB_FAIL", "1", 1);
	assert_int_equal(load_deferred(ctx, e, 60, SHARE_LOOK_NO, &c, &st),
			 SMBCACHE_OLD_CACHE);
	unsetenv("STUB_FAIL");
	assert_false(st.timed_out);
	assert_non_null(st.testparm_err);
	assert_int_equal(stub_runs(e), 4);
	assert_probe_paths(c);

	/* old by age (registry sources): answers, refresh detached */
	assert_int_equal(load_deferred(ctx, e, 0, 0, &c, &st),
			 SMBCACHE_FROM_CACHE);
	assert_true(st.refresh_started);
	wait_runs(e, 5);
	wait_done(NULL, talloc_asprintf(ctx, "%s.lock", cache));
	talloc_free(ctx);
}

/*
 * The maximum age (spec 3.3): for a configuration made of files only,
 * only when CTDB_SAMBA_CACHE_MAX_AGE is given; a refresh due to age
 * alone runs detached, one at a time, and its failure is reported by
 * the next load.
 */
static void test_load_detached(void **state)
{
	struct env *e = *state;
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct smbconf *c = NULL;
	struct smbcache_status st;
	char *cache = talloc_asprintf(ctx, "%s/smb.conf.cache", e->state);
	char *lock = talloc_asprintf(ctx, "%s.lock", cache);
	char *outcome = talloc_asprintf(ctx, "%s.outcome", cache);

	/* files only: no registry, no '%' */
	write_file(e->smbconf,
		   talloc_asprintf(ctx, "[global]\n include = %s\n", e->inc),
		   0644);
	settle();
	assert_int_equal(load(ctx, e->state, 60, 10000, false, &c, &st),
			 SMBCACHE_REFRESHED);
	assert_int_equal(stub_runs(e), 1);

	/* old, max age not given: the cache answers, nothing started */
	age(cache);
	assert_int_equal(load(ctx, e->state, 60, 10000, false, &c, &st),
			 SMBCACHE_FROM_CACHE);
	assert_false(st.refresh_started);
	assert_int_equal(stub_runs(e), 1);

	/* given: a detached refresh, which makes the cache young again */
	assert_int_equal(load_aged(ctx, e->state, 60, true, 10, 10000, false,
				   &c, &st),
			 SMBCACHE_FROM_CACHE);
	assert_true(st.refresh_started);
	wait_runs(e, 2);
	wait_done(NULL, lock);
	assert_int_equal(load_aged(ctx, e->state, 60, true, 10, 10000, false,
				   &c, &st),
			 SMBCACHE_FROM_CACHE);
	assert_false(st.refresh_started);
	assert_int_equal(access(outcome, F_OK), -1);

	/* one that fails: the next load says so, once */
	setenv("STUB_FAIL", "1", 1);
	age(cache);
	assert_int_equal(load_aged(ctx, e->state, 60, true, 10, 10000, false,
				   &c, &st),
			 SMBCACHE_FROM_CACHE);
	assert_true(st.refresh_started);
	wait_done(outcome, lock);
	unsetenv("STUB_FAIL");
	assert_int_equal(load(ctx, e->state, 60, 10000, false, &c, &st),
			 SMBCACHE_OLD_CACHE);
	assert_non_null(c);
	assert_false(st.timed_out);
	assert_non_null(st.testparm_err);
	assert_non_null(strstr(st.testparm_err, "Error loading services."));
	assert_int_equal(access(outcome, F_OK), -1);
	assert_int_equal(load(ctx, e->state, 60, 10000, false, &c, &st),
			 SMBCACHE_FROM_CACHE);

	/* one that hangs: never two at once, killed at its deadline */
	setenv("STUB_HANG", "1", 1);
	assert_int_equal(load_aged(ctx, e->state, 60, true, 1, 10000, false,
				   &c, &st),
			 SMBCACHE_FROM_CACHE);
	assert_true(st.refresh_started);
	wait_runs(e, 4);
	assert_int_equal(load_aged(ctx, e->state, 60, true, 1, 10000, false,
				   &c, &st),
			 SMBCACHE_FROM_CACHE);
	assert_false(st.refresh_started);
	wait_done(outcome, lock);
	unsetenv("STUB_HANG");
	assert_int_equal(stub_runs(e), 4);
	assert_int_equal(load(ctx, e->state, 60, 10000, false, &c, &st),
			 SMBCACHE_OLD_CACHE);
	assert_true(st.timed_out);
	/* nothing of ours left to reap */
	assert_no_children();
	talloc_free(ctx);
}

static void test_load_failures(void **state)
{
	struct env *e = *state;
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct smbconf *c = NULL;
	struct smbcache_status st;

	/* no cache, testparm fails */
	setenv("STUB_FAIL", "1", 1);
	c = talloc_zero(ctx, struct smbconf);
	assert_int_equal(load(ctx, e->state, 60, 10000, false, &c, &st),
			 SMBCACHE_NONE);
	assert_null(c);
	assert_false(st.timed_out);
	assert_non_null(st.testparm_err);
	assert_non_null(strstr(st.testparm_err, "Error loading services."));

	/* make a cache, then fail again: the old cache is used */
	unsetenv("STUB_FAIL");
	assert_int_equal(load(ctx, e->state, 60, 10000, false, &c, &st),
			 SMBCACHE_REFRESHED);
	assert_null(st.testparm_err);
	setenv("STUB_FAIL", "1", 1);
	assert_int_equal(load(ctx, e->state, 60, 10000, true, &c, &st),
			 SMBCACHE_OLD_CACHE);
	assert_probe_paths(c);
	assert_false(st.timed_out);
	assert_non_null(strstr(st.testparm_err, "Error loading services."));
	assert_int_equal(stub_runs(e), 3);
	talloc_free(ctx);
}

static void test_load_hang(void **state)
{
	struct env *e = *state;
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct smbconf *c = NULL;
	struct smbcache_status st;
	int64_t t0;

	setenv("STUB_HANG", "1", 1);
	t0 = util_now_ms();
	assert_int_equal(load(ctx, e->state, 60, HANG_MS, false, &c, &st),
			 SMBCACHE_NONE);
	assert_true(util_now_ms() - t0 < HANG_MS + 400);
	assert_true(st.timed_out);
	assert_null(c);

	unsetenv("STUB_HANG");
	assert_int_equal(load(ctx, e->state, 60, 10000, false, &c, &st),
			 SMBCACHE_REFRESHED);
	setenv("STUB_HANG", "1", 1);
	t0 = util_now_ms();
	assert_int_equal(load(ctx, e->state, 60, HANG_MS, true, &c, &st),
			 SMBCACHE_OLD_CACHE);
	assert_true(util_now_ms() - t0 < HANG_MS + 400);
	assert_true(st.timed_out);
	assert_non_null(c);
	assert_string_equal(c->security, "ADS");
	talloc_free(ctx);
}

static void test_load_unwritable(void **state)
{
	struct env *e = *state;
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct smbconf *c = NULL;
	struct smbcache_status st;
	char *file = talloc_asprintf(ctx, "%s/notadir", e->dir);

	/* a file where the state directory should be */
	write_file(file, "", 0644);
	assert_int_equal(load(ctx, file, 60, 10000, false, &c, &st),
			 SMBCACHE_REFRESHED);
	assert_true(st.cache_unwritable);
	assert_probe_paths(c);

	/* no state directory at all: testparm every time, no cache */
	assert_int_equal(load(ctx, NULL, 60, 10000, false, &c, &st),
			 SMBCACHE_REFRESHED);
	assert_false(st.cache_unwritable);
	assert_int_equal(load(ctx, NULL, 60, 10000, false, &c, &st),
			 SMBCACHE_REFRESHED);
	assert_int_equal(stub_runs(e), 3);
	talloc_free(ctx);
}

/*
 * An include that would block when read (a FIFO nobody writes: open()
 * waits for a writer).  The include walk never waits for it: the run
 * ends at once and records its identity.  Once there is a cache to fall
 * back on, a refresh does not even run testparm, which would wait on the
 * FIFO until its deadline, every run.
 */
static void test_load_include_blocks(void **state)
{
	struct env *e = *state;
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct smbconf *c = NULL;
	struct smbcache_status st;
	char *fifo = talloc_asprintf(ctx, "%s/fifo", e->dir);
	char *conf = talloc_asprintf(ctx, "[global]\n include = %s\n", fifo);
	int64_t t0;

	assert_int_equal(mkfifo(fifo, 0644), 0);
	write_file(e->smbconf, conf, 0644);
	settle();

	t0 = util_now_ms();
	assert_int_equal(load(ctx, e->state, 60, HANG_MS, false, &c, &st),
			 SMBCACHE_REFRESHED);
	assert_true(util_now_ms() - t0 < HANG_MS);
	assert_int_equal(stub_runs(e), 1);
	assert_probe_paths(c);
	assert_false(st.timed_out);
	assert_false(cache_has_line(
		e, talloc_asprintf(ctx, "# file 0 0 0 0 0 %s\n", e->smbconf)));
	assert_no_children();

	/* smb.conf changes: the old cache at once, testparm not run */
	write_file(e->smbconf, talloc_asprintf(ctx, "%s# changed\n", conf),
		   0644);
	settle();
	t0 = util_now_ms();
	assert_int_equal(load(ctx, e->state, 60, HANG_MS, false, &c, &st),
			 SMBCACHE_OLD_CACHE);
	assert_true(util_now_ms() - t0 < HANG_MS);
	assert_int_equal(stub_runs(e), 1);
	assert_non_null(c);
	assert_false(st.timed_out);
	assert_non_null(st.testparm_err);
	assert_string_equal(st.testparm_err,
			    talloc_asprintf(ctx, "testparm not run: \"%s\" is "
					    "not a regular file", fifo));
	assert_no_children();

	/* a plain file instead: refreshed, and all is well */
	assert_int_equal(unlink(fifo), 0);
	write_file(fifo, "[x]\npath = /srv/x\n", 0644);
	settle();
	assert_int_equal(load(ctx, e->state, 60, 10000, false, &c, &st),
			 SMBCACHE_REFRESHED);
	assert_int_equal(stub_runs(e), 2);
	assert_false(cache_has_line(
		e, talloc_asprintf(ctx, "# file 0 0 0 0 0 %s\n", e->smbconf)));
	assert_int_equal(load(ctx, e->state, 60, 10000, false, &c, &st),
			 SMBCACHE_FROM_CACHE);
	assert_int_equal(stub_runs(e), 2);
	/* the healthy path left no child behind */
	assert_no_children();
	talloc_free(ctx);
}

/*
 * An include on a mount that never answers (stat() sleeps in the
 * kernel): the freshness check gives up at the deadline and the old
 * cache is used, without testparm (it would hang on the same file);
 * a forced refresh keeps testparm's answer and records the files as
 * unknown.
 */
static void test_load_include_hung_mount(void **state)
{
	struct env *e = *state;
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct smbconf *c = NULL;
	struct smbcache_status st;
	char *mnt = talloc_asprintf(ctx, "%s/mnt", e->dir);
	char *inc = talloc_asprintf(ctx, "%s/inc.conf", mnt);
	int64_t t0;

	assert_int_equal(mkdir(mnt, 0755), 0);
	write_file(e->smbconf,
		   talloc_asprintf(ctx, "[global]\n include = %s\n", inc),
		   0644);
	settle();
	assert_int_equal(load(ctx, e->state, 60, 10000, false, &c, &st),
			 SMBCACHE_REFRESHED);
	assert_true(cache_has_line(
		e, talloc_asprintf(ctx, "# missing %s\n", inc)));
	assert_int_equal(load(ctx, e->state, 60, 10000, false, &c, &st),
			 SMBCACHE_FROM_CACHE);
	assert_int_equal(stub_runs(e), 1);

	if (!hung_mount(e, mnt)) {
		talloc_free(ctx);
		skip();
	}

	t0 = util_now_ms();
	assert_int_equal(load(ctx, e->state, 60, HANG_MS, false, &c, &st),
			 SMBCACHE_OLD_CACHE);
	assert_true(util_now_ms() - t0 < HANG_MS + 400);
	assert_true(st.timed_out);
	assert_null(st.testparm_err);
	assert_non_null(c);
	assert_string_equal(c->security, "ADS");
	/* testparm was not run */
	assert_int_equal(stub_runs(e), 1);

	/* forced: testparm (the stub reads nothing) answers, the walk not */
	t0 = util_now_ms();
	assert_int_equal(load(ctx, e->state, 60, HANG_MS, true, &c, &st),
			 SMBCACHE_REFRESHED);
	assert_true(util_now_ms() - t0 < HANG_MS + 400);
	assert_int_equal(stub_runs(e), 2);
	assert_probe_paths(c);
	assert_true(cache_has_line(
		e, talloc_asprintf(ctx, "# file 0 0 0 0 0 %s\n", e->smbconf)));

	/*
	 * the three abandoned children end once the mount is aborted: the
	 * identity check of the first run, and the forced run's look for
	 * FIFOs before testparm and its walk after
	 */
	hung_unmount(e);
	reap_killed_child();
	reap_killed_child();
	reap_killed_child();
	assert_no_children();

	/* the unknown record makes the next run refresh, then all is well */
	assert_int_equal(load(ctx, e->state, 60, 10000, false, &c, &st),
			 SMBCACHE_REFRESHED);
	assert_int_equal(load(ctx, e->state, 60, 10000, false, &c, &st),
			 SMBCACHE_FROM_CACHE);
	assert_int_equal(stub_runs(e), 3);
	assert_no_children();
	talloc_free(ctx);
}

/* The real testparm on this machine's /etc/samba/smb.conf (read only). */
static void test_load_real_testparm(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct smbconf *fresh = NULL;
	struct smbconf *c = NULL;
	struct smbcache_status st;
	char tmpl[] = "/tmp/test-smbconf-real.XXXXXX";
	char *cache = NULL;
	struct stat before;

	if (access("/usr/bin/testparm", X_OK) != 0 ||
	    access("/etc/samba/smb.conf", R_OK) != 0) {
		skip();
	}
	assert_non_null(mkdtemp(tmpl));
	assert_int_equal(stat("/etc/samba/smb.conf", &before), 0);
	cache = talloc_asprintf(ctx, "%s/smb.conf.cache", tmpl);
	assert_int_equal(load(ctx, tmpl, 60, 20000, false, &c, &st),
			 SMBCACHE_REFRESHED);
	assert_false(st.cache_unwritable);
	assert_string_equal(c->config_file, "/etc/samba/smb.conf");
	assert_non_null(c->server_role);
	assert_non_null(c->smb_ports);
	fresh = c;
	if (load(ctx, tmpl, 60, 20000, false, &c, &st) != SMBCACHE_FROM_CACHE) {
		struct stat now;

		/* only acceptable when someone changed smb.conf meanwhile */
		assert_int_equal(stat("/etc/samba/smb.conf", &now), 0);
		assert_true(now.st_ctim.tv_sec != before.st_ctim.tv_sec ||
			    now.st_ctim.tv_nsec != before.st_ctim.tv_nsec);
	} else {
		/* the digest answers as testparm's output did */
		assert_same_answers(ctx, fresh, c);
	}
	assert_string_equal(c->config_file, "/etc/samba/smb.conf");
	assert_int_equal(unlink(cache), 0);
	assert_int_equal(rmdir(tmpl), 0);
	talloc_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_load_cache_cycle,
						env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_load_digest, env_setup,
						env_teardown),
		cmocka_unit_test_setup_teardown(test_load_deferred, env_setup,
						env_teardown),
		cmocka_unit_test_setup_teardown(test_load_detached, env_setup,
						env_teardown),
		cmocka_unit_test_setup_teardown(test_load_failures, env_setup,
						env_teardown),
		cmocka_unit_test_setup_teardown(test_load_hang, env_setup,
						env_teardown),
		cmocka_unit_test_setup_teardown(test_load_unwritable,
						env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_load_include_blocks,
						env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_load_include_hung_mount,
						env_setup, env_teardown),
		cmocka_unit_test(test_load_real_testparm),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
