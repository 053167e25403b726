/*
 * Unit tests for checks/share.c: which paths are checked, probes of
 * real temporary directories, and the stuck-probe records.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "checks/share.h"
#include "checks/util.h"

#define UNCONST(s) ((char *)(uintptr_t)(s))

struct env {
	char *dir;
	char *state;
	char *mnt;		/* a hung FUSE mount point, or NULL */
	int fuse_fd;
};

static int env_setup(void **state)
{
	struct env *e = talloc_zero(NULL, struct env);
	char tmpl[] = "/tmp/test share.XXXXXX";

	assert_non_null(mkdtemp(tmpl));
	e->dir = talloc_strdup(e, tmpl);
	e->state = talloc_asprintf(e, "%s/state", e->dir);
	e->fuse_fd = -1;
	assert_int_equal(mkdir(e->state, 0755), 0);
	*state = e;
	return 0;
}

/* Remove the record file the probes may have left. */
static void rm_tree(const char *dir)
{
	char *p = talloc_asprintf(NULL, "%s/state/share_probes", dir);

	(void)unlink(p);
	talloc_free(p);
}

static char *mkpath(TALLOC_CTX *ctx, const struct env *e, const char *name)
{
	char *p = talloc_asprintf(ctx, "%s/%s", e->dir, name);

	assert_non_null(p);
	return p;
}

static char *mkdir_in(TALLOC_CTX *ctx, const struct env *e, const char *name)
{
	char *p = mkpath(ctx, e, name);

	assert_int_equal(mkdir(p, 0755), 0);
	return p;
}

static void remove_all(const struct env *e, const char *const *paths,
		       size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (rmdir(paths[i]) != 0) {
			(void)unlink(paths[i]);
		}
	}
	rm_tree(e->dir);
	(void)rmdir(e->state);
	(void)rmdir(e->dir);
}

/* ---- a file system that never answers ------------------------------ */

/*
 * Mount a FUSE file system on a new directory "hung" that nobody
 * serves: a stat() under it sleeps in the kernel (D state) until the
 * mount is aborted.  Needs root and /dev/fuse; NULL when that is not
 * possible here.
 */
static char *hung_mount(TALLOC_CTX *ctx, struct env *e)
{
	char *dir = talloc_asprintf(e, "%s/hung", e->dir);
	char opts[128];

	assert_int_equal(mkdir(dir, 0755), 0);
	e->mnt = dir;
	e->fuse_fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (e->fuse_fd == -1) {
		return NULL;
	}
	snprintf(opts, sizeof(opts),
		 "fd=%d,rootmode=40000,user_id=0,group_id=0", e->fuse_fd);
	if (mount("hung", dir, "fuse.hung", MS_NOSUID | MS_NODEV, opts) != 0) {
		close(e->fuse_fd);
		e->fuse_fd = -1;
		return NULL;
	}
	return talloc_asprintf(ctx, "%s/share", dir);
}

/* Abort the hung mount (sleepers wake with ENOTCONN), remove it. */
static void hung_unmount(struct env *e)
{
	if (e->mnt == NULL) {
		return;
	}
	if (e->fuse_fd != -1) {
		(void)umount2(e->mnt, MNT_FORCE);
		(void)umount2(e->mnt, MNT_DETACH);
		close(e->fuse_fd);
		e->fuse_fd = -1;
	}
	(void)rmdir(e->mnt);
	TALLOC_FREE(e->mnt);
}

static int env_teardown(void **state)
{
	struct env *e = *state;

	hung_unmount(e);
	(void)prctl(PR_SET_CHILD_SUBREAPER, 0);

	rm_tree(e->dir);
	(void)rmdir(e->state);
	(void)rmdir(e->dir);
	talloc_free(e);
	return 0;
}

/* share_probe() with a deadline @p ms from now. */
static int probe(TALLOC_CTX *ctx, const char *state_dir,
		 const char *const *paths, size_t n, int64_t ms,
		 struct share_failure **fail)
{
	struct deadline dl;

	deadline_init_ms(&dl, ms);
	return share_probe(ctx, state_dir, paths, n, &dl, fail);
}

/* The deadline of the cases that wait for a hung probe. */
#define HANG_MS 300

/* No child of ours is left unreaped (answered probes are reaped). */
static void assert_no_children(void)
{
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

/* Field 22 of /proc/PID/stat, and the state. */
static unsigned long long proc_start(pid_t pid, char *state)
{
	char path[64];
	char buf[1024];
	char *p = NULL;
	FILE *f = NULL;
	size_t len;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	assert_non_null(f);
	len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = '\0';
	p = strrchr(buf, ')');
	assert_non_null(p);
	p += 2;
	*state = *p;
	for (i = 3; i < 22; i++) {
		p = strchr(p, ' ') + 1;
	}
	return strtoull(p, NULL, 10);
}

/* The process of thread @p tid (Tgid in /proc/TID/status), or -1. */
static pid_t proc_tgid(pid_t tid)
{
	char path[64];
	char line[256];
	FILE *f = NULL;
	long tgid = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "Tgid: %ld", &tgid) == 1) {
			break;
		}
	}
	fclose(f);
	return (pid_t)tgid;
}

static char *read_text(TALLOC_CTX *ctx, const char *path)
{
	char buf[4096];
	FILE *f = fopen(path, "r");
	size_t len;

	if (f == NULL) {
		return NULL;
	}
	len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = '\0';
	return talloc_strdup(ctx, buf);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* ---- share_paths ---------------------------------------------------- */

static void test_share_paths(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct smb_share shares[] = {
		{ .name = UNCONST("a"), .path = UNCONST("/x"),
		  .available = true },
		{ .name = UNCONST("nopath"), .path = NULL, .available = true },
		{ .name = UNCONST("empty"), .path = UNCONST(""),
		  .available = true },
		{ .name = UNCONST("homes"), .path = UNCONST("/home/%U"),
		  .available = true },
		{ .name = UNCONST("off"), .path = UNCONST("/y"),
		  .available = false },
		{ .name = UNCONST("dup"), .path = UNCONST("/x"),
		  .available = true },
		{ .name = UNCONST("space"), .path = UNCONST("/a b"),
		  .available = true },
	};
	struct smbconf conf = { .shares = shares, .nshares = 7 };
	const char **paths = NULL;
	size_t n = 99;

	assert_int_equal(share_paths(ctx, &conf, &paths, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(paths[0], "/x");
	assert_string_equal(paths[1], "/a b");

	conf.nshares = 0;
	assert_int_equal(share_paths(ctx, &conf, &paths, &n), 0);
	assert_int_equal(n, 0);
	assert_null(paths);
	n = 99;
	assert_int_equal(share_paths(ctx, NULL, &paths, &n), 0);
	assert_int_equal(n, 0);
	talloc_free(ctx);
}

/* Duplicates are dropped by sorting, yet the result keeps share order. */
static void test_share_paths_order(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	static const char *const in[] = {
		"/b", "/a", "/b", "/c", "/a", "/d", "/c", "/b", "/e",
	};
	static const char *const want[] = { "/b", "/a", "/c", "/d", "/e" };
	struct smb_share shares[9];
	struct smbconf conf = { .shares = shares, .nshares = 9 };
	const char **paths = NULL;
	size_t n = 0;
	size_t i;

	for (i = 0; i < 9; i++) {
		shares[i] = (struct smb_share) {
			.name = UNCONST("s"), .path = UNCONST(in[i]),
			.available = true,
		};
	}
	assert_int_equal(share_paths(ctx, &conf, &paths, &n), 0);
	assert_int_equal(n, 5);
	for (i = 0; i < 5; i++) {
		assert_string_equal(paths[i], want[i]);
	}
	/* the copies belong to the result, not to conf */
	assert_true(paths[0] != shares[0].path);
	talloc_free(ctx);
}

/* Out of memory is not "no shares": an errno, not a count. */
static void test_share_paths_enomem(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct smb_share shares[] = {
		{ .name = UNCONST("a"), .path = UNCONST("/x"),
		  .available = true },
	};
	/* more than talloc will ever allocate: the array fails first */
	struct smbconf conf = { .shares = shares,
				.nshares = SIZE_MAX / 2 };
	const char **paths = NULL;
	size_t n = 99;

	assert_int_equal(share_paths(ctx, &conf, &paths, &n), ENOMEM);
	assert_null(paths);
	assert_int_equal(n, 0);
	assert_no_children();
	talloc_free(ctx);
}

/* ---- probes of real directories ------------------------------------ */

static void test_probe_all_present(void **state)
{
	struct env *e = *state;
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct share_failure *fail = NULL;
	const char *paths[3];
	char *probes = mkpath(ctx, e, "state/share_probes");

	paths[0] = mkdir_in(ctx, e, "d1");
	paths[1] = mkdir_in(ctx, e, "d 2");
	paths[2] = mkdir_in(ctx, e, "d3");
	assert_int_equal(probe(ctx, e->state, paths, 3, 10000, &fail), 0);
	assert_null(fail);
	assert_no_children();
	/* a healthy run writes no record file */
	assert_int_equal(access(probes, F_OK), -1);
	/* nothing to probe */
	assert_int_equal(probe(ctx, e->state, paths, 0, 10000, &fail), 0);
	assert_null(fail);
	remove_all(e, paths, 3);
	talloc_free(ctx);
}

static void test_probe_failures_in_order(void **state)
{
	struct env *e = *state;
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct share_failure *fail = NULL;
	const char *paths[4];
	char *file = mkpath(ctx, e, "regular");

	write_text(file, "x");
	paths[0] = mkdir_in(ctx, e, "ok");
	paths[1] = file;
	paths[2] = mkpath(ctx, e, "missing");
	paths[3] = mkdir_in(ctx, e, "ok2");

	assert_int_equal(probe(ctx, e->state, paths, 4, 10000, &fail), 0);
	assert_non_null(fail);
	assert_string_equal(fail->path, file);
	assert_false(fail->hung);
	assert_no_children();

	paths[1] = paths[2];
	paths[2] = file;
	assert_int_equal(probe(ctx, NULL, paths, 4, 10000, &fail), 0);
	assert_non_null(fail);
	assert_string_equal(fail->path, paths[1]);
	assert_false(fail->hung);
	assert_no_children();

	(void)unlink(file);
	paths[1] = paths[0];
	paths[2] = paths[3];
	remove_all(e, paths, 4);
	talloc_free(ctx);
}

/*
 * 10,000 paths: more answers than a pipe holds (64 KiB), so the prober
 * must wait for the reader, never drop an answer or turn "could not
 * report" into "not available" (issue 17: 8,193 shares failed so).
 */
#define MANY_PATHS 10000

static void test_probe_many(void **state)
{
	struct env *e = *state;
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct share_failure *fail = NULL;
	const char **paths = talloc_array(ctx, const char *, MANY_PATHS);
	size_t i;

	/* every answer arrives; how fast is make bench's question, not a
	 * test's (a loaded machine made a time limit here fail) */
	for (i = 0; i < MANY_PATHS; i++) {
		paths[i] = mkdir_in(ctx, e, talloc_asprintf(ctx, "s%zu", i));
	}
	assert_int_equal(probe(ctx, e->state, paths, MANY_PATHS, 10000,
			       &fail), 0);
	assert_null(fail);
	assert_no_children();

	/* the last one missing is still found */
	assert_int_equal(rmdir(paths[MANY_PATHS - 1]), 0);
	assert_int_equal(probe(ctx, e->state, paths, MANY_PATHS, 10000,
			       &fail), 0);
	assert_non_null(fail);
	assert_string_equal(fail->path, paths[MANY_PATHS - 1]);
	assert_false(fail->hung);
	assert_no_children();
	remove_all(e, paths, MANY_PATHS);
	talloc_free(ctx);
}

/*
 * Ten hung paths among healthy ones: more than the prober's first
 * threads, so it must add threads when they stall.  Each hung path is
 * recorded with its own thread, stuck in the kernel; no healthy path
 * is recorded; the first hung one in share order is named.
 */
static void test_probe_many_hung(void **state)
{
	struct env *e = *state;
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct share_failure *fail = NULL;
	const char *paths[30];
	char *probes = mkpath(ctx, e, "state/share_probes");
	char *hung = hung_mount(ctx, e);
	char *text = NULL;
	char *line = NULL;
	char *save = NULL;
	pid_t tids[10];
	pid_t prober = -1;
	size_t nrec = 0;
	size_t i;
	size_t j;

	if (hung == NULL) {
		talloc_free(ctx);
		skip();
	}
	for (i = 0; i < 30; i++) {
		paths[i] = i % 3 == 1 ?
			talloc_asprintf(ctx, "%s%zu", hung, i) :
			mkdir_in(ctx, e, talloc_asprintf(ctx, "ok%zu", i));
	}
	assert_int_equal(probe(ctx, e->state, paths, 30, HANG_MS, &fail), 0);
	assert_non_null(fail);
	assert_true(fail->hung);
	assert_string_equal(fail->path, paths[1]);

	text = read_text(ctx, probes);
	assert_non_null(text);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		int tid = 0;
		int off = 0;
		unsigned long long start = 0;
		char st = '?';

		assert_true(nrec < 10);
		assert_int_equal(sscanf(line, "%d %llu %n", &tid, &start,
					&off), 2);
		/* a hung path, with a thread of its own, stuck */
		assert_non_null(strstr(line + off, "/hung/share"));
		assert_int_equal(proc_start((pid_t)tid, &st), start);
		assert_int_equal(st, 'D');
		for (j = 0; j < nrec; j++) {
			assert_int_not_equal(tids[j], tid);
		}
		/* all threads of one prober */
		if (prober == -1) {
			prober = proc_tgid((pid_t)tid);
		}
		assert_int_equal(proc_tgid((pid_t)tid), prober);
		tids[nrec++] = (pid_t)tid;
	}
	assert_int_equal(nrec, 10);

	hung_unmount(e);
	assert_int_equal(waitpid(prober, NULL, 0), prober);
	assert_no_children();
	talloc_free(ctx);
}

/* ---- the look a prober takes besides the paths ---------------------- */

/* A look: is the path @p private_data there?  (stat() only) */
static bool look_exists(const void *private_data)
{
	struct stat sb;

	return stat(private_data, &sb) == 0;
}

/* share_probe_look() with a deadline @p ms from now. */
static int probe_look(TALLOC_CTX *ctx, const char *state_dir,
		      const char *const *paths, size_t n,
		      struct share_look *look, int64_t ms,
		      struct share_failure **fail)
{
	struct deadline dl;

	deadline_init_ms(&dl, ms);
	look->answer = 0;
	return share_probe_look(ctx, state_dir, paths, n, look, &dl, fail);
}

/*
 * The prober takes the look as it takes the paths: it answers yes or
 * no, alone or among paths; a failing path is still the failure; a look
 * that hangs is late, never recorded, and holds up no path.
 */
static void test_probe_look(void **state)
{
	struct env *e = *state;
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct share_failure *fail = NULL;
	const char *paths[3];
	char *there = mkdir_in(ctx, e, "conf");
	char *probes = mkpath(ctx, e, "state/share_probes");
	char *hung = NULL;
	char *text = NULL;
	struct share_look look = { .fn = look_exists, .private_data = there };
	int ret;

	paths[0] = mkdir_in(ctx, e, "d1");
	paths[1] = mkdir_in(ctx, e, "d2");
	paths[2] = mkpath(ctx, e, "missing");

	assert_int_equal(probe_look(ctx, e->state, paths, 2, &look, 10000,
				    &fail), 0);
	assert_int_equal(look.answer, SHARE_LOOK_YES);
	assert_null(fail);
	assert_no_children();

	/*
	 * the look says no: that is the look's answer, not a share's; the
	 * prober does not wait for the paths then, so those it had not
	 * answered yet are not judged (EIO), and it may be left behind
	 * (PROBE_COMPLETE_LEAVE): reap it
	 */
	look.private_data = paths[2];
	ret = probe_look(ctx, e->state, paths, 2, &look, 10000, &fail);
	assert_true(ret == 0 || ret == EIO);
	assert_int_equal(look.answer, SHARE_LOOK_NO);
	assert_null(fail);
	while (waitpid(-1, NULL, 0) > 0) {
	}
	assert_no_children();

	/* a missing share is the failure, whatever the look says */
	look.private_data = there;
	assert_int_equal(probe_look(ctx, e->state, paths, 3, &look, 10000,
				    &fail), 0);
	assert_int_equal(look.answer, SHARE_LOOK_YES);
	assert_non_null(fail);
	assert_string_equal(fail->path, paths[2]);
	assert_false(fail->hung);

	/* no paths: the prober takes the look alone */
	assert_int_equal(probe_look(ctx, e->state, paths, 0, &look, 10000,
				    &fail), 0);
	assert_int_equal(look.answer, SHARE_LOOK_YES);
	assert_null(fail);
	assert_no_children();

	hung = hung_mount(ctx, e);
	if (hung != NULL) {
		struct deadline look_dl;
		int64_t t0 = util_now_ms();

		/* the look hangs: late at the probe's deadline; the
		 * paths still answer */
		look.private_data = hung;
		assert_int_equal(probe_look(ctx, e->state, paths, 2, &look,
					    HANG_MS, &fail), 0);
		assert_true(util_now_ms() - t0 >= HANG_MS - 10);
		assert_true(util_now_ms() - t0 < HANG_MS + 1000);
		assert_int_equal(look.answer, SHARE_LOOK_LATE);
		assert_null(fail);
		/* no record of it: the next run looks again */
		text = read_text(ctx, probes);
		assert_true(text == NULL || strstr(text, "/hung") == NULL);

		/*
		 * With a deadline of its own, the look is given up then,
		 * once the paths have answered: the probe ends long
		 * before its own deadline, the prober left behind
		 */
		deadline_init_ms(&look_dl, 100);
		look.dl = &look_dl;
		t0 = util_now_ms();
		assert_int_equal(probe_look(ctx, e->state, paths, 2, &look,
					    20000, &fail), 0);
		assert_true(util_now_ms() - t0 >= 90);
		assert_true(util_now_ms() - t0 < 5000);
		assert_int_equal(look.answer, SHARE_LOOK_LATE);
		assert_null(fail);
		/* ...but a path that is late too holds the probe to its
		 * own deadline, and is the failure */
		paths[2] = talloc_asprintf(ctx, "%s/path", hung);
		deadline_init_ms(&look_dl, 50);
		t0 = util_now_ms();
		assert_int_equal(probe_look(ctx, e->state, paths, 3, &look,
					    HANG_MS, &fail), 0);
		assert_true(util_now_ms() - t0 >= HANG_MS - 10);
		assert_int_equal(look.answer, SHARE_LOOK_LATE);
		assert_non_null(fail);
		assert_true(fail->hung);
		assert_string_equal(fail->path, paths[2]);
		/* a hung path, a look that answers: the look's answer */
		paths[2] = talloc_asprintf(ctx, "%s/other", hung);
		look.private_data = there;
		look.dl = &look_dl;
		deadline_init_ms(&look_dl, 50);
		assert_int_equal(probe_look(ctx, e->state, paths, 3, &look,
					    HANG_MS, &fail), 0);
		assert_int_equal(look.answer, SHARE_LOOK_YES);
		assert_non_null(fail);
		assert_true(fail->hung);
		/* the look says no: the hung path is not waited for */
		paths[2] = talloc_asprintf(ctx, "%s/third", hung);
		look.private_data = mkpath(ctx, e, "nonesuch");
		t0 = util_now_ms();
		(void)probe_look(ctx, e->state, paths, 3, &look, 20000, &fail);
		assert_true(util_now_ms() - t0 < 5000);
		assert_int_equal(look.answer, SHARE_LOOK_NO);
		look.dl = NULL;
		hung_unmount(e);
		/* the probers, set free, end: reap them */
		while (waitpid(-1, NULL, 0) > 0) {
		}
	}
	assert_no_children();
	remove_all(e, paths, 2);
	talloc_free(ctx);
}

/* ---- stuck probe records ------------------------------------------- */

static void test_stuck_record(void **state)
{
	struct env *e = *state;
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct share_failure *fail = NULL;
	const char *paths[2];
	char *probes = mkpath(ctx, e, "state/share_probes");
	unsigned long long start;
	char *text = NULL;
	char st = '?';
	int64_t t0;
	pid_t sleeper;
	pid_t zombie;

	paths[0] = mkdir_in(ctx, e, "fine");
	paths[1] = mkdir_in(ctx, e, "stuck dir");

	sleeper = fork();
	assert_true(sleeper >= 0);
	if (sleeper == 0) {
		pause();
		_exit(0);
	}
	start = proc_start(sleeper, &st);

	/* a live probe of "stuck dir": reported hung without probing it
	 * (the directory exists, so a probe would say it is fine) */
	text = talloc_asprintf(ctx, "%d %llu %s\n", (int)sleeper, start,
			       paths[1]);
	write_text(probes, text);
	t0 = util_now_ms();
	assert_int_equal(probe(ctx, e->state, paths, 2, 10000, &fail), 0);
	assert_true(util_now_ms() - t0 < 1000);
	assert_non_null(fail);
	assert_string_equal(fail->path, paths[1]);
	assert_true(fail->hung);
	/* the record is kept */
	assert_string_equal(read_text(ctx, probes), text);

	/* same PID, other start time: a reused PID, so finished */
	write_text(probes, talloc_asprintf(ctx, "%d %llu %s\n", (int)sleeper,
					   start + 1, paths[1]));
	assert_int_equal(probe(ctx, e->state, paths, 2, 10000, &fail), 0);
	assert_null(fail);
	/* nothing stuck any more: the record file is gone */
	assert_int_equal(access(probes, F_OK), -1);

	/* a zombie is finished too */
	zombie = fork();
	assert_true(zombie >= 0);
	if (zombie == 0) {
		_exit(0);
	}
	do {
		struct timespec ts = { .tv_nsec = 5 * 1000 * 1000 };

		nanosleep(&ts, NULL);
		start = proc_start(zombie, &st);
	} while (st != 'Z');
	write_text(probes, talloc_asprintf(ctx, "%d %llu %s\n", (int)zombie,
					   start, paths[1]));
	assert_int_equal(probe(ctx, e->state, paths, 2, 10000, &fail), 0);
	assert_null(fail);
	assert_int_equal(waitpid(zombie, NULL, 0), zombie);

	/* garbage lines are ignored, a live record elsewhere is kept */
	text = talloc_asprintf(ctx, "%d %llu /somewhere/else\n",
			       (int)sleeper, proc_start(sleeper, &st));
	write_text(probes, talloc_asprintf(ctx, "junk\n-5 1 /x\n%s", text));
	assert_int_equal(probe(ctx, e->state, paths, 2, 10000, &fail), 0);
	assert_null(fail);
	assert_string_equal(read_text(ctx, probes), text);

	assert_int_equal(kill(sleeper, SIGKILL), 0);
	assert_int_equal(waitpid(sleeper, NULL, 0), sleeper);
	assert_no_children();
	(void)unlink(probes);
	remove_all(e, paths, 2);
	talloc_free(ctx);
}

/*
 * The deadline has already passed (testparm took it all): a healthy
 * directory still gets its short while to answer, and is not "hung".
 */
static void test_past_deadline_answers(void **state)
{
	struct env *e = *state;
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct share_failure *fail = NULL;
	struct deadline dl = { .end_ms = util_now_ms() - 5000, .seconds = 1 };
	const char *paths[2];
	char *probes = mkpath(ctx, e, "state/share_probes");
	int64_t t0;

	paths[0] = mkdir_in(ctx, e, "late");
	paths[1] = mkpath(ctx, e, "absent");
	t0 = util_now_ms();
	assert_int_equal(share_probe(ctx, e->state, paths, 1, &dl, &fail), 0);
	assert_null(fail);
	/* a missing one is reported as missing, not hung */
	assert_int_equal(share_probe(ctx, e->state, paths, 2, &dl, &fail), 0);
	assert_non_null(fail);
	assert_string_equal(fail->path, paths[1]);
	assert_false(fail->hung);
	/* within the grace: a fraction of a second each */
	assert_true(util_now_ms() - t0 < 2 * 100 + 300);
	assert_int_equal(access(probes, F_OK), -1);
	assert_no_children();
	remove_all(e, paths, 1);
	talloc_free(ctx);
}

/*
 * A probe that does not answer by the deadline (its stat() sleeps on a
 * hung mount) is left behind, not waited for, and recorded with the ID
 * of its thread in the prober child (the prober's other thread answered
 * the healthy path); the next run reports it at once; once it ends, it
 * is probed again.
 */
static void test_unanswered_recorded(void **state)
{
	struct env *e = *state;
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct share_failure *fail = NULL;
	const char *paths[2];
	char *probes = mkpath(ctx, e, "state/share_probes");
	char *hung = NULL;
	char *text = NULL;
	int pid = 0;
	pid_t prober;
	unsigned long long start = 0;
	char st = '?';
	int off = 0;
	int64_t t0;

	paths[0] = mkdir_in(ctx, e, "fine");
	hung = hung_mount(ctx, e);
	if (hung == NULL) {
		remove_all(e, paths, 1);
		talloc_free(ctx);
		skip();
	}
	paths[1] = hung;

	t0 = util_now_ms();
	assert_int_equal(probe(ctx, e->state, paths, 2, HANG_MS, &fail), 0);
	assert_true(util_now_ms() - t0 >= HANG_MS - 10);
	assert_true(util_now_ms() - t0 < HANG_MS + 400);
	assert_non_null(fail);
	assert_true(fail->hung);
	assert_string_equal(fail->path, hung);
	text = read_text(ctx, probes);
	assert_non_null(text);
	assert_int_equal(sscanf(text, "%d %llu %n", &pid, &start, &off), 2);
	assert_string_equal(text + off, talloc_asprintf(ctx, "%s\n", hung));
	/* left alive (asleep in the kernel), not reaped */
	assert_int_equal(proc_start((pid_t)pid, &st), start);
	assert_int_equal(st, 'D');
	assert_int_equal(waitpid(-1, NULL, WNOHANG), 0);

	/* the next run reports it at once, without a second probe */
	t0 = util_now_ms();
	assert_int_equal(probe(ctx, e->state, paths, 2, 10000, &fail), 0);
	assert_true(util_now_ms() - t0 < 1000);
	assert_non_null(fail);
	assert_true(fail->hung);
	assert_string_equal(read_text(ctx, probes), text);

	/* the mount comes back (aborted): the prober ends, is reaped here */
	prober = proc_tgid((pid_t)pid);
	assert_true(prober > 0 && prober != (pid_t)pid && prober != getpid());
	hung_unmount(e);
	assert_int_equal(waitpid(prober, NULL, 0), prober);
	assert_no_children();
	paths[1] = paths[0];
	assert_int_equal(probe(ctx, e->state, paths, 2, 10000, &fail), 0);
	assert_null(fail);
	assert_int_equal(access(probes, F_OK), -1);
	remove_all(e, paths, 1);
	talloc_free(ctx);
}

/*
 * A stuck probe holds none of the caller's stdio: "ctdb checksamba |
 * cat" ends when checksamba does.  A child of ours, with stdout and
 * stderr on a pipe, probes a hung path and exits; the pipe must reach
 * end of file while the probe is still stuck.
 */
static void test_stuck_probe_stdio(void **state)
{
	struct env *e = *state;
	TALLOC_CTX *ctx = talloc_new(NULL);
	const char *paths[1];
	char buf[64];
	size_t len = 0;
	bool eof = false;
	int pfd[2];
	int status = 0;
	int64_t t0;
	pid_t run;
	pid_t orphan;

	paths[0] = hung_mount(ctx, e);
	if (paths[0] == NULL) {
		talloc_free(ctx);
		skip();
	}
	/* the probe, orphaned when the run exits, is reparented to us */
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	assert_int_equal(pipe(pfd), 0);
	run = fork();
	assert_true(run >= 0);
	if (run == 0) {
		struct share_failure *fail = NULL;
		struct deadline dl;
		int ret;

		close(pfd[0]);
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[1]);
		deadline_init_ms(&dl, HANG_MS);
		ret = share_probe(ctx, NULL, paths, 1, &dl, &fail);
		printf("%s\n", ret == 0 && fail != NULL && fail->hung ?
				       "hung" : "wrong");
		fflush(stdout);
		talloc_free(ctx);
		_exit(0);
	}
	close(pfd[1]);

	t0 = util_now_ms();
	while (!eof && util_now_ms() - t0 < 5000) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		ssize_t r;

		if (poll(&p, 1, 100) <= 0) {
			continue;
		}
		r = read(pfd[0], buf + len, sizeof(buf) - 1 - len);
		if (r <= 0) {
			eof = true;
		} else {
			len += (size_t)r;
		}
	}
	close(pfd[0]);
	buf[len] = '\0';
	assert_int_equal(waitpid(run, &status, 0), run);
	/* before the probe is set free: the pipe did end */
	assert_true(eof);
	assert_string_equal(buf, "hung\n");
	assert_true(util_now_ms() - t0 < 3000);
	/* the probe is still stuck: ours now, not reapable yet */
	assert_int_equal(waitpid(-1, NULL, WNOHANG), 0);

	hung_unmount(e);
	orphan = waitpid(-1, NULL, 0);
	assert_true(orphan > 0 && orphan != run);
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
	assert_no_children();
	talloc_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_share_paths),
		cmocka_unit_test(test_share_paths_order),
		cmocka_unit_test(test_share_paths_enomem),
		cmocka_unit_test_setup_teardown(test_probe_all_present,
						env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_probe_failures_in_order,
						env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_probe_many, env_setup,
						env_teardown),
		cmocka_unit_test_setup_teardown(test_probe_many_hung,
						env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_probe_look, env_setup,
						env_teardown),
		cmocka_unit_test_setup_teardown(test_stuck_record, env_setup,
						env_teardown),
		cmocka_unit_test_setup_teardown(test_past_deadline_answers,
						env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_unanswered_recorded,
						env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_stuck_probe_stdio,
						env_setup, env_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
