/*
 * Tests for checks/run.c: bounded runs of external programs.
 *
 * The programs under test are small /bin/sh scripts that this test
 * writes to a temporary directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "checks/run.h"

static char tmpdir[64];

static char *write_script(TALLOC_CTX *mem_ctx, const char *name,
			  const char *text, mode_t mode)
{
	char *path = talloc_asprintf(mem_ctx, "%s/%s", tmpdir, name);
	FILE *f = NULL;

	assert_non_null(path);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

/* run_bounded() with a deadline @p ms from now, which must succeed. */
static struct run_result *run_with(TALLOC_CTX *mem_ctx,
				   const char *const *argv, int64_t ms)
{
	struct run_result *res = NULL;
	struct deadline dl;
	int ret;

	deadline_init_ms(&dl, ms);
	ret = run_bounded(mem_ctx, argv, &dl, &res);
	assert_int_equal(ret, 0);
	assert_non_null(res);
	assert_non_null(res->out);
	assert_non_null(res->errout);
	return res;
}

static void test_exit_codes(void **state)
{
	TALLOC_CTX *mem_ctx = talloc_new(NULL);
	const char *t[] = { "true", NULL };
	const char *f[] = { "/bin/false", NULL };
	struct run_result *res = NULL;
	char *d = NULL;

	res = run_with(mem_ctx, t, 5000);
	assert_true(run_ok(res));
	assert_int_equal(res->status, 0);
	assert_int_equal(res->err, 0);
	d = run_describe(mem_ctx, res);
	assert_string_equal(d, "exited with 0");

	res = run_with(mem_ctx, f, 5000);
	assert_false(run_ok(res));
	assert_int_equal(res->status, 1);
	assert_false(res->timed_out);
	d = run_describe(mem_ctx, res);
	assert_string_equal(d, "exited with 1");
	talloc_free(mem_ctx);
}

static void test_stdout_stderr(void **state)
{
	TALLOC_CTX *mem_ctx = talloc_new(NULL);
	char *p = write_script(mem_ctx, "streams",
			       "#!/bin/sh\n"
			       "echo to-out\n"
			       "echo to-err >&2\n"
			       "read x && echo stdin-had-data\n"
			       "exit 3\n",
			       0755);
	const char *argv[] = { p, NULL };
	struct run_result *res = run_with(mem_ctx, argv, 5000);

	assert_int_equal(res->status, 3);
	assert_false(run_ok(res));
	/* stdin is /dev/null: read fails at once */
	assert_string_equal(res->out, "to-out\n");
	assert_int_equal(res->outlen, 7);
	assert_string_equal(res->errout, "to-err\n");
	assert_int_equal(res->errlen, 7);
	talloc_free(mem_ctx);
}

static void test_not_found(void **state)
{
	TALLOC_CTX *mem_ctx = talloc_new(NULL);
	const char *a1[] = { "/nonexistent/dir/prog", NULL };
	const char *a2[] = { "no-such-program-ctdb-test", NULL };
	struct run_result *res = NULL;
	char *path = NULL;

	res = run_with(mem_ctx, a1, 5000);
	assert_int_equal(res->err, ENOENT);
	assert_false(run_ok(res));
	assert_string_equal(run_describe(mem_ctx, res), "not found");

	res = run_with(mem_ctx, a2, 5000);
	assert_int_equal(res->err, ENOENT);
	assert_string_equal(run_describe(mem_ctx, res), "not found");

	assert_int_equal(run_find_program(mem_ctx, a2[0], &path), ENOENT);
	assert_null(path);
	assert_int_equal(run_find_program(mem_ctx, "", &path), ENOENT);
	talloc_free(mem_ctx);
}

static void test_find_program(void **state)
{
	TALLOC_CTX *mem_ctx = talloc_new(NULL);
	char *old = NULL;
	char *dir = talloc_asprintf(mem_ctx, "%s/bin", tmpdir);
	char *sub = talloc_asprintf(mem_ctx, "%s/bin/adir", tmpdir);
	char *exe = talloc_asprintf(mem_ctx, "%s/bin/myprog", tmpdir);
	char *noexec = talloc_asprintf(mem_ctx, "%s/bin/noexec", tmpdir);
	char *newpath = NULL;
	char *path = NULL;
	FILE *f = NULL;

	old = talloc_strdup(mem_ctx, getenv("PATH"));
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(mkdir(sub, 0755), 0);
	f = fopen(exe, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(chmod(exe, 0755), 0);
	f = fopen(noexec, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(chmod(noexec, 0644), 0);

	/* empty components are skipped, not read as "." */
	newpath = talloc_asprintf(mem_ctx, "::/nonexistent:%s:/bin", dir);
	setenv("PATH", newpath, 1);
	assert_int_equal(chdir(dir), 0);
	assert_int_equal(run_find_program(mem_ctx, "myprog", &path), 0);
	assert_string_equal(path, exe);
	setenv("PATH", "::/nonexistent", 1);
	assert_int_equal(run_find_program(mem_ctx, "myprog", &path), ENOENT);
	/* nor are relative ones: the current directory holds myprog */
	setenv("PATH", ".:./:/nonexistent", 1);
	assert_int_equal(run_find_program(mem_ctx, "myprog", &path), ENOENT);
	assert_int_equal(chdir(tmpdir), 0);
	setenv("PATH", "bin", 1);
	assert_int_equal(run_find_program(mem_ctx, "myprog", &path), ENOENT);
	assert_int_equal(chdir(dir), 0);
	setenv("PATH", newpath, 1);
	/* a directory or a file without x permission is not a program */
	assert_int_equal(run_find_program(mem_ctx, "adir", &path), ENOENT);
	if (geteuid() != 0) {
		assert_int_equal(run_find_program(mem_ctx, "noexec", &path),
				 ENOENT);
	}
	/* a name with '/' is taken as is */
	assert_int_equal(run_find_program(mem_ctx, "./x/y", &path), 0);
	assert_string_equal(path, "./x/y");
	assert_int_equal(run_find_program(mem_ctx, "sh", &path), 0);
	assert_string_equal(path, "/bin/sh");

	assert_int_equal(chdir("/"), 0);
	if (old != NULL) {
		setenv("PATH", old, 1);
	}
	talloc_free(mem_ctx);
}

static void test_no_shell_for_scripts(void **state)
{
	TALLOC_CTX *mem_ctx = talloc_new(NULL);
	char *marker = talloc_asprintf(mem_ctx, "%s/noshebang-ran", tmpdir);
	char *text = talloc_asprintf(mem_ctx, "touch %s\n", marker);
	char *p = write_script(mem_ctx, "noshebang", text, 0755);
	char *q = write_script(mem_ctx, "notexec", "#!/bin/sh\nexit 0\n",
			       0644);
	const char *argv[] = { p, NULL };
	const char *argv2[] = { q, NULL };
	struct run_result *res = run_with(mem_ctx, argv, 5000);
	struct stat st;

	assert_int_equal(res->err, ENOEXEC);
	assert_false(run_ok(res));
	assert_int_equal(stat(marker, &st), -1);
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(run_describe(mem_ctx, res), "could not run: "));

	/* even root needs an x bit to exec */
	res = run_with(mem_ctx, argv2, 5000);
	assert_int_equal(res->err, EACCES);
	assert_string_equal(run_describe(mem_ctx, res),
			    "could not run: Permission denied");
	talloc_free(mem_ctx);
}

static void test_timeout(void **state)
{
	TALLOC_CTX *mem_ctx = talloc_new(NULL);
	const char *argv[] = { "sleep", "30", NULL };
	int64_t start = util_now_ms();
	struct run_result *res = run_with(mem_ctx, argv, 300);
	int64_t took = util_now_ms() - start;

	assert_true(res->timed_out);
	assert_false(run_ok(res));
	assert_true(took >= 290);
	assert_true(took < 600);
	/* messages speak in whole seconds, rounded up */
	assert_string_equal(run_describe(mem_ctx, res), "timed out after 1 s");
	talloc_free(mem_ctx);
}

static void test_signal(void **state)
{
	TALLOC_CTX *mem_ctx = talloc_new(NULL);
	char *p = write_script(mem_ctx, "selfkill",
			       "#!/bin/sh\nkill -TERM $$\nsleep 5\n", 0755);
	const char *argv[] = { p, NULL };
	struct run_result *res = run_with(mem_ctx, argv, 5000);

	assert_int_equal(res->sig, SIGTERM);
	assert_false(res->timed_out);
	assert_false(run_ok(res));
	assert_string_equal(run_describe(mem_ctx, res), "killed by signal 15");
	talloc_free(mem_ctx);
}

/* True when @p pid is gone or a zombie (an orphan that PID 1 may not
 * have reaped yet). */
static bool process_gone(pid_t pid)
{
	char path[64];
	char buf[512];
	char *rp = NULL;
	FILE *f = NULL;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (f == NULL) {
		return true;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	rp = strrchr(buf, ')');
	return rp != NULL && rp[1] == ' ' && rp[2] == 'Z';
}

static void test_grandchild_holds_pipe(void **state)
{
	TALLOC_CTX *mem_ctx = talloc_new(NULL);
	char *p = write_script(mem_ctx, "leaver",
			       "#!/bin/sh\n"
			       "sleep 30 &\n"
			       "echo $!\n"
			       "exit 0\n",
			       0755);
	const char *argv[] = { p, NULL };
	int64_t start = util_now_ms();
	struct run_result *res = run_with(mem_ctx, argv, 10000);
	int64_t took = util_now_ms() - start;
	long gpid;
	int i;

	assert_true(took < 2000);
	assert_true(run_ok(res));
	assert_false(res->timed_out);
	gpid = strtol(res->out, NULL, 10);
	assert_true(gpid > 1);
	/* the grandchild was killed along with the group */
	for (i = 0; i < 100 && !process_gone((pid_t)gpid); i++) {
		usleep(10000);
	}
	assert_true(process_gone((pid_t)gpid));
	talloc_free(mem_ctx);
}

static void test_large_output(void **state)
{
	TALLOC_CTX *mem_ctx = talloc_new(NULL);
	char *p = write_script(mem_ctx, "big",
			       "#!/bin/sh\n"
			       "head -c 1048576 /dev/zero | tr '\\000' a\n"
			       "head -c 300000 /dev/zero | tr '\\000' b >&2\n",
			       0755);
	const char *argv[] = { p, NULL };
	struct run_result *res = run_with(mem_ctx, argv, 10000);
	size_t i;

	assert_true(run_ok(res));
	assert_int_equal(res->outlen, 1048576);
	assert_int_equal(strlen(res->out), 1048576);
	assert_int_equal(res->errlen, 300000);
	for (i = 0; i < res->outlen; i++) {
		if (res->out[i] != 'a') {
			break;
		}
	}
	assert_int_equal(i, 1048576);
	assert_int_equal(res->errout[299999], 'b');
	talloc_free(mem_ctx);
}

static void test_metacharacters_literal(void **state)
{
	TALLOC_CTX *mem_ctx = talloc_new(NULL);
	char *marker = talloc_asprintf(mem_ctx, "%s/meta-marker", tmpdir);
	char *arg = talloc_asprintf(mem_ctx, "$(touch %s); `touch %s` | >x",
				    marker, marker);
	char *want = talloc_asprintf(mem_ctx, "%s\n", arg);
	const char *argv[] = { "/bin/echo", arg, NULL };
	struct run_result *res = run_with(mem_ctx, argv, 5000);
	struct stat st;

	assert_true(run_ok(res));
	assert_string_equal(res->out, want);
	assert_int_equal(stat(marker, &st), -1);
	talloc_free(mem_ctx);
}

static void test_detached(void **state)
{
	TALLOC_CTX *mem_ctx = talloc_new(NULL);
	char *pidfile = talloc_asprintf(mem_ctx, "%s/detached.pid", tmpdir);
	char *text = talloc_asprintf(mem_ctx,
				     "#!/bin/sh\n"
				     "echo kept >&7\n"
				     "echo $$ > %s.tmp && mv %s.tmp %s\n"
				     "echo to-devnull\n"
				     "sleep 1\n",
				     pidfile, pidfile, pidfile);
	char *p = write_script(mem_ctx, "detached", text, 0755);
	const char *argv[] = { p, NULL };
	const char *bad[] = { "/nonexistent/prog", NULL };
	char buf[64] = "";
	long dpid = 0;
	pid_t w;
	int pfd[2];
	int fd;
	int i;
	ssize_t n;

	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	/* the script writes to fd 7 */
	assert_int_equal(dup3(pfd[1], 7, O_CLOEXEC), 7);
	close(pfd[1]);

	assert_int_equal(run_detached(argv, 7, NULL), 0);
	close(7);

	/* no child of ours is left, not even a zombie */
	w = waitpid(-1, NULL, WNOHANG);
	assert_int_equal(w, -1);
	assert_int_equal(errno, ECHILD);

	/* the kept descriptor reached the program */
	n = read(pfd[0], buf, sizeof(buf) - 1);
	assert_int_equal(n, 5);
	buf[n] = '\0';
	assert_string_equal(buf, "kept\n");
	close(pfd[0]);

	for (i = 0; i < 200; i++) {
		fd = open(pidfile, O_RDONLY);
		if (fd >= 0) {
			break;
		}
		usleep(10000);
	}
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n > 0);
	buf[n] = '\0';
	dpid = strtol(buf, NULL, 10);
	assert_true(dpid > 1);
	/* its own session */
	if (!process_gone((pid_t)dpid)) {
		pid_t sid = getsid((pid_t)dpid);

		if (sid >= 0) {
			assert_int_not_equal(sid, getsid(0));
		}
	}

	assert_int_equal(run_detached(bad, -1, NULL), ENOENT);
	w = waitpid(-1, NULL, WNOHANG);
	assert_int_equal(w, -1);
	talloc_free(mem_ctx);
}

/*
 * Bug: after SIGKILL at the deadline, run_bounded() waited for the exit
 * without bound.  A process in D state dies only when the kernel lets go
 * of it.  The same happens, for real and without root-only tricks, to a
 * traced process: a tracer that set PTRACE_O_TRACEEXIT holds even a
 * SIGKILLed tracee at its exit stop until it resumes it.  A helper (not
 * our ancestor; we run as root, so no ptrace_scope concern) attaches to
 * the program and holds it there for HOLD_MS.
 */
#define HOLD_MS 3000

static pid_t start_exit_holder(const char *pidfile)
{
	pid_t helper = fork();

	assert_true(helper >= 0);
	if (helper == 0) {
		long target = 0;
		int wst = 0;
		int i;

		for (i = 0; i < 500 && target <= 0; i++) {
			FILE *f = fopen(pidfile, "r");

			if (f != NULL) {
				if (fscanf(f, "%ld", &target) != 1) {
					target = 0;
				}
				fclose(f);
			}
			if (target <= 0) {
				usleep(10000);
			}
		}
		if (target <= 0 ||
		    ptrace(PTRACE_SEIZE, (pid_t)target, NULL,
			   (void *)(long)PTRACE_O_TRACEEXIT) != 0) {
			_exit(2);
		}
		/* tell the test we hold it */
		{
			char *ok = NULL;
			FILE *f = NULL;

			if (asprintf(&ok, "%s.seized", pidfile) < 0) {
				_exit(2);
			}
			f = fopen(ok, "w");
			if (f != NULL) {
				fclose(f);
			}
			free(ok);
		}
		/* the exit stop after the SIGKILL */
		while (waitpid((pid_t)target, &wst, __WALL) == (pid_t)target) {
			if (WIFSTOPPED(wst) &&
			    (wst >> 16) == PTRACE_EVENT_EXIT) {
				usleep(HOLD_MS * 1000);
				(void)ptrace(PTRACE_CONT, (pid_t)target, NULL,
					     NULL);
				_exit(0);
			}
			if (WIFEXITED(wst) || WIFSIGNALED(wst)) {
				_exit(3);
			}
			(void)ptrace(PTRACE_CONT, (pid_t)target, NULL,
				     (void *)(long)(WIFSTOPPED(wst) ?
				     WSTOPSIG(wst) : 0));
		}
		_exit(4);
	}
	return helper;
}

static void test_kill_not_waited_for(void **state)
{
	TALLOC_CTX *mem_ctx = talloc_new(NULL);
	char *pidfile = talloc_asprintf(mem_ctx, "%s/held.pid", tmpdir);
	char *seized = talloc_asprintf(mem_ctx, "%s.seized", pidfile);
	char *text = talloc_asprintf(mem_ctx,
				     "#!/bin/sh\n"
				     "echo $$ > %s.tmp && mv %s.tmp %s\n"
				     "while [ ! -e %s ]; do sleep 0.01; done\n"
				     "exec sleep 30\n",
				     pidfile, pidfile, pidfile, seized);
	char *p = write_script(mem_ctx, "held", text, 0755);
	const char *argv[] = { p, NULL };
	struct run_result *res = NULL;
	struct deadline dl;
	int64_t start, took;
	long target;
	pid_t helper;
	FILE *f = NULL;
	int wst = 0;
	int ret;

	helper = start_exit_holder(pidfile);
	deadline_init_ms(&dl, 200);
	start = util_now_ms();
	ret = run_bounded(mem_ctx, argv, &dl, &res);
	took = util_now_ms() - start;
	assert_int_equal(ret, 0);
	assert_true(res->timed_out);
	assert_false(run_ok(res));
	assert_string_equal(run_describe(mem_ctx, res), "timed out after 1 s");
	/* the deadline plus a fraction of a second, not the helper's 3 s */
	assert_true(took >= 190);
	assert_true(took < 700);

	/* the helper really held it: left behind, not yet reaped */
	assert_int_equal(waitpid(helper, &wst, WNOHANG), 0);
	f = fopen(pidfile, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%ld", &target), 1);
	fclose(f);
	assert_int_equal(waitpid((pid_t)target, &wst, WNOHANG), 0);

	/* once let go (its tracer killed, rather than waiting out the
	 * hold) it dies of our SIGKILL; reap both here (not the helper's
	 * exit status: valgrind replaces it in forked children) */
	assert_int_equal(kill(helper, SIGKILL), 0);
	assert_int_equal(waitpid(helper, &wst, 0), helper);
	assert_int_equal(waitpid((pid_t)target, &wst, 0), (pid_t)target);
	assert_true(WIFSIGNALED(wst));
	assert_int_equal(WTERMSIG(wst), SIGKILL);
	talloc_free(mem_ctx);
}

/*
 * Bug: with an inherited SIGCHLD=SIG_IGN, waitpid() fails with ECHILD,
 * every program "timed out" and the poll loop spun until the deadline.
 */
static void test_sigchld_ignored(void **state)
{
	TALLOC_CTX *mem_ctx = talloc_new(NULL);
	const char *t[] = { "/bin/true", NULL };
	const char *f[] = { "/bin/false", NULL };
	const char *dargv[] = { "/bin/true", NULL };
	struct sigaction ign, old, now;
	struct run_result *res = NULL;
	int64_t start;
	int round;

	memset(&ign, 0, sizeof(ign));
	sigemptyset(&ign.sa_mask);
	assert_int_equal(sigaction(SIGCHLD, NULL, &old), 0);
	for (round = 0; round < 2; round++) {
		/* plain SIG_IGN, then SA_NOCLDWAIT with the default action */
		ign.sa_handler = (round == 0) ? SIG_IGN : SIG_DFL;
		ign.sa_flags = (round == 0) ? 0 : SA_NOCLDWAIT;
		assert_int_equal(sigaction(SIGCHLD, &ign, NULL), 0);

		start = util_now_ms();
		res = run_with(mem_ctx, t, 5000);
		assert_true(run_ok(res));
		assert_false(res->timed_out);
		assert_false(res->status_unknown);
		assert_string_equal(run_describe(mem_ctx, res),
				    "exited with 0");
		res = run_with(mem_ctx, f, 5000);
		assert_false(run_ok(res));
		assert_false(res->timed_out);
		assert_int_equal(res->status, 1);
		assert_string_equal(run_describe(mem_ctx, res),
				    "exited with 1");
		assert_int_equal(run_detached(dargv, -1, NULL), 0);
		/* two runs: well under the 5 s deadline */
		assert_true(util_now_ms() - start < 1000);

		/* the caller's action is back */
		assert_int_equal(sigaction(SIGCHLD, NULL, &now), 0);
		assert_true(now.sa_handler == ign.sa_handler);
		assert_int_equal(now.sa_flags & SA_NOCLDWAIT,
				 ign.sa_flags & SA_NOCLDWAIT);
	}
	assert_int_equal(sigaction(SIGCHLD, &old, NULL), 0);

	/* what is said when the status is lost anyway (reaped elsewhere) */
	res = talloc_zero(mem_ctx, struct run_result);
	res->status_unknown = true;
	assert_false(run_ok(res));
	assert_string_equal(run_describe(mem_ctx, res),
			    "exit status unknown (SIGCHLD ignored)");
	talloc_free(mem_ctx);
}

/*
 * run_detached() waits for the exec status at most min(2 s, what is left
 * of the deadline).  To make the wait observable, a helper traces us
 * with PTRACE_O_TRACEFORK: the intermediate child is attached at birth
 * and held stopped, so neither its exit nor the exec status ever comes.
 */
static pid_t start_fork_holder(int ready_fd, int quit_fd)
{
	pid_t parent = getpid();
	pid_t helper = fork();

	assert_true(helper >= 0);
	if (helper == 0) {
		pid_t held[16];
		int nheld = 0;
		int wst = 0;
		char c = 'x';
		int i;

		if (ptrace(PTRACE_SEIZE, parent, NULL,
			   (void *)(long)PTRACE_O_TRACEFORK) != 0) {
			_exit(2);
		}
		if (write(ready_fd, &c, 1) != 1) {
			_exit(2);
		}
		for (;;) {
			struct pollfd pfd = { .fd = quit_fd, .events = POLLIN };
			pid_t w = waitpid(-1, &wst, __WALL | WNOHANG);

			if (w == 0) {
				if (poll(&pfd, 1, 5) > 0) {
					break;
				}
				continue;
			}
			if (w < 0) {
				break;
			}
			if (w != parent) {
				/* a child of the test: hold it stopped */
				if (WIFSTOPPED(wst) && nheld < 16) {
					held[nheld++] = w;
				}
				continue;
			}
			if (!WIFSTOPPED(wst)) {
				break;
			}
			if ((wst >> 16) != 0 || WSTOPSIG(wst) == SIGTRAP) {
				/* fork event: let the test go on */
				(void)ptrace(PTRACE_CONT, parent, NULL, NULL);
			} else {
				/* a signal for the test: deliver it */
				(void)ptrace(PTRACE_CONT, parent, NULL,
					     (void *)(long)WSTOPSIG(wst));
			}
		}
		for (i = 0; i < nheld; i++) {
			(void)kill(held[i], SIGKILL);
		}
		/* exiting detaches from everything */
		_exit(0);
	}
	return helper;
}

static void test_detached_deadline(void **state)
{
	const char *argv[] = { "/bin/true", NULL };
	struct deadline dl;
	int64_t start, took;
	int ready[2], quit[2];
	pid_t helper, w;
	int wst = 0;
	char c;

	/* an expired deadline: nothing is started */
	dl.end_ms = util_now_ms() - 1;
	dl.seconds = 1;
	assert_int_equal(run_detached(argv, -1, &dl), ETIMEDOUT);
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);

	assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
	assert_int_equal(pipe2(quit, O_CLOEXEC), 0);
	helper = start_fork_holder(ready[1], quit[0]);
	assert_int_equal(read(ready[0], &c, 1), 1);

	/* 200 ms left: the 2 s bound gives way to the deadline */
	dl.end_ms = util_now_ms() + 200;
	start = util_now_ms();
	assert_int_equal(run_detached(argv, -1, &dl), ETIMEDOUT);
	took = util_now_ms() - start;

	assert_int_equal(write(quit[1], "q", 1), 1);
	assert_int_equal(waitpid(helper, &wst, 0), helper);
	/* the intermediate child, killed and left behind: reap it here */
	do {
		w = waitpid(-1, &wst, 0);
	} while (w > 0);

	assert_true(took >= 190);
	assert_true(took < 600);
	close(ready[0]);
	close(ready[1]);
	close(quit[0]);
	close(quit[1]);
}

/*
 * run_reap(): a bounded wait for one child, 0 / ECHILD / ETIMEDOUT,
 * never longer than asked.
 */
static void test_reap(void **state)
{
	struct sigaction ign, old;
	int64_t start, took;
	int wst = 0;
	pid_t pid;

	/* an exited child: reaped, with its status */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		_exit(3);
	}
	start = util_now_ms();
	assert_int_equal(run_reap(pid, 5000, &wst), 0);
	assert_true(util_now_ms() - start < 1000);
	assert_true(WIFEXITED(wst));
	assert_int_equal(WEXITSTATUS(wst), 3);
	/* gone: no longer ours to reap */
	assert_int_equal(run_reap(pid, 0, NULL), ECHILD);

	/* a running child: one look does not block, a bound is kept */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		for (;;) {
			pause();
		}
	}
	start = util_now_ms();
	assert_int_equal(run_reap(pid, 0, &wst), ETIMEDOUT);
	assert_true(util_now_ms() - start < 50);
	start = util_now_ms();
	assert_int_equal(run_reap(pid, 60, NULL), ETIMEDOUT);
	took = util_now_ms() - start;
	assert_true(took >= 55);
	assert_true(took < 300);
	/* killed while we wait: reaped at once, not at the bound */
	assert_int_equal(kill(pid, SIGKILL), 0);
	start = util_now_ms();
	assert_int_equal(run_reap(pid, 5000, &wst), 0);
	assert_true(util_now_ms() - start < 1000);
	assert_true(WIFSIGNALED(wst));
	assert_int_equal(WTERMSIG(wst), SIGKILL);

	/* SIGCHLD ignored: the kernel reaps it, the status is lost */
	memset(&ign, 0, sizeof(ign));
	sigemptyset(&ign.sa_mask);
	ign.sa_handler = SIG_IGN;
	assert_int_equal(sigaction(SIGCHLD, &ign, &old), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		_exit(0);
	}
	assert_int_equal(run_reap(pid, 5000, NULL), ECHILD);
	assert_int_equal(sigaction(SIGCHLD, &old, NULL), 0);
}

static int setup_tmpdir(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_run.XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		return -1;
	}
	return 0;
}

static int teardown_tmpdir(void **state)
{
	const char *argv[] = { "rm", "-rf", tmpdir, NULL };
	struct run_result *res = NULL;
	struct deadline dl;
	int ret;

	deadline_init(&dl, 10);
	ret = run_bounded(NULL, argv, &dl, &res);
	talloc_free(res);
	return ret;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_codes),
		cmocka_unit_test(test_stdout_stderr),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_find_program),
		cmocka_unit_test(test_no_shell_for_scripts),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_signal),
		cmocka_unit_test(test_grandchild_holds_pipe),
		cmocka_unit_test(test_large_output),
		cmocka_unit_test(test_metacharacters_literal),
		cmocka_unit_test(test_detached),
		cmocka_unit_test(test_kill_not_waited_for),
		cmocka_unit_test(test_sigchld_ignored),
		cmocka_unit_test(test_detached_deadline),
		cmocka_unit_test(test_reap),
	};

	return cmocka_run_group_tests(tests, setup_tmpdir, teardown_tmpdir);
}
