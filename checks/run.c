/*
 * Running external programs: fork and execv with an argument vector,
 * never a shell, always within the run's deadline.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "checks/run.h"

/* Each captured stream is cut here; the rest is read and dropped. */
#define RUN_MAX_CAPTURE (16 * 1024 * 1024)
/* After the program exited, its pipes (held open by a grandchild that
 * it left behind) get at most this long before the group is killed. */
#define RUN_PIPE_GRACE_MS 500
/* Without a pidfd, how often we look for the child's exit. */
#define RUN_POLL_SLICE_MS 50
/* How long run_detached() waits to learn whether exec worked (less
 * when the deadline is nearer). */
#define RUN_DETACHED_EXEC_MS 2000
/*
 * After SIGKILL, how long we wait for the exit.  A program in
 * uninterruptible sleep (D state, e.g. on a hung NFS or FUSE mount) dies
 * only when the kernel lets go of it: we do not wait for that, it is left
 * behind unreaped (spec 3.5).
 */
#define RUN_REAP_AFTER_KILL_MS 200

/* An executable regular file? */
static bool run_is_executable(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		return false;
	}
	if (!S_ISREG(st.st_mode)) {
		return false;
	}
	return access(path, X_OK) == 0;
}

/*
 * Empty PATH components (which POSIX reads as the current directory)
 * are skipped: a monitor script has no business running programs from
 * wherever it happens to be started.
 */
int run_find_program(TALLOC_CTX *mem_ctx, const char *name, char **path)
{
	TALLOC_CTX *tmp_ctx = NULL;
	const char *env = NULL;
	const char *p = NULL;
	int ret = ENOENT;

	*path = NULL;
	if (name == NULL || name[0] == '\0') {
		return ENOENT;
	}
	if (strchr(name, '/') != NULL) {
		*path = talloc_strdup(mem_ctx, name);
		return (*path == NULL) ? ENOMEM : 0;
	}

	tmp_ctx = talloc_new(mem_ctx);
	if (tmp_ctx == NULL) {
		return ENOMEM;
	}
	env = getenv("PATH");
	if (env == NULL) {
		env = "/usr/local/bin:/usr/bin:/bin";
	}
	p = env;
	while (*p != '\0') {
		size_t len = strcspn(p, ":");
		char *cand = NULL;

		/* only absolute entries: a relative one (".", "bin")
		 * would run whatever the current directory holds */
		if (len > 0 && p[0] == '/') {
			cand = talloc_asprintf(tmp_ctx, "%.*s/%s", (int)len, p,
					       name);
			if (cand == NULL) {
				ret = ENOMEM;
				goto done;
			}
			if (run_is_executable(cand)) {
				*path = talloc_steal(mem_ctx, cand);
				ret = 0;
				goto done;
			}
			TALLOC_FREE(cand);
		}
		p += len;
		if (*p == ':') {
			p++;
		}
	}
done:
	talloc_free(tmp_ctx);
	return ret;
}

/* In a freshly forked child: nothing inherited from us may change how
 * the program sees signals.  Async-signal-safe calls only. */
static void run_child_reset_signals(void)
{
	struct sigaction sa;
	sigset_t set;
	int sig;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP) {
			continue;
		}
		(void)sigaction(sig, &sa, NULL);
	}
	sigemptyset(&set);
	(void)sigprocmask(SIG_SETMASK, &set, NULL);
}

/* Report the exec errno to the parent through the status pipe. */
static void run_child_fail(int status_fd, int err)
{
	(void)util_write_all(status_fd, &err, sizeof(err));
	_exit(127);
}

struct run_stream {
	int fd;
	char *buf;
	size_t len;
	size_t cap;
};

/* Read what is there; close the stream at EOF or on error. */
static int run_stream_read(TALLOC_CTX *mem_ctx, struct run_stream *s)
{
	char scratch[4096];
	ssize_t n;

	if (s->len < RUN_MAX_CAPTURE) {
		if (s->cap - s->len < 4096) {
			size_t ncap = (s->cap == 0) ? 65536 : s->cap * 2;
			char *nbuf = NULL;

			if (ncap > RUN_MAX_CAPTURE + 1) {
				ncap = RUN_MAX_CAPTURE + 1;
			}
			nbuf = talloc_realloc(mem_ctx, s->buf, char, ncap);
			if (nbuf == NULL) {
				return ENOMEM;
			}
			s->buf = nbuf;
			s->cap = ncap;
		}
		/* keep one byte for the terminating NUL */
		n = read(s->fd, s->buf + s->len, s->cap - s->len - 1);
		if (n > 0) {
			s->len += (size_t)n;
		}
	} else {
		n = read(s->fd, scratch, sizeof(scratch));
	}
	if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
		util_close(&s->fd);
	}
	return 0;
}

/* The captured stream, NUL-terminated, as a talloc child of @p mem_ctx
 * ("" when nothing came); NULL on ENOMEM. */
static char *run_stream_finish(TALLOC_CTX *mem_ctx, struct run_stream *s,
			       size_t *len)
{
	char *str = NULL;

	if (s->buf == NULL) {
		str = talloc_strdup(mem_ctx, "");
		*len = 0;
		return str;
	}
	s->buf[s->len] = '\0';
	*len = s->len;
	str = talloc_steal(mem_ctx, s->buf);
	s->buf = NULL;
	return str;
}

/* A pidfd for @p pid (close-on-exec), or -1 where there is none. */
static int run_pidfd_open(pid_t pid)
{
#ifdef SYS_pidfd_open
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);

	if (fd >= 0) {
		(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	return fd;
#else
	return -1;
#endif
}

/* SIGKILL to the program's process group (and to it, while unreaped). */
static void run_kill_group(pid_t pid, bool reaped)
{
	(void)kill(-pid, SIGKILL);
	if (!reaped) {
		(void)kill(pid, SIGKILL);
	}
}

/*
 * Termination while a program runs: SIGTERM, SIGINT or SIGHUP (ctdb-
 * eventd killing a script that overran, an administrator's ^C) would
 * otherwise end us and leave the program, in its own process group,
 * running for ever with PPID 1.  While run_bounded() waits, these
 * signals first kill the program's group, then end us by the same
 * signal, as if we had not caught it.
 */
static const int run_term_signals[] = { SIGTERM, SIGINT, SIGHUP };
#define RUN_NTERM (sizeof(run_term_signals) / sizeof(run_term_signals[0]))

/* The group of the program being waited for, or 0 */
static volatile sig_atomic_t run_current_group;

static void run_term_handler(int sig)
{
	pid_t group = (pid_t)run_current_group;
	struct sigaction sa;

	if (group > 0) {
		(void)kill(-group, SIGKILL);
		(void)kill(group, SIGKILL);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(sig, &sa, NULL);
	(void)raise(sig);
}

/*
 * Catch the termination signals (those not ignored: an ignored one
 * cannot end us) and block them, so that the fork and the note of the
 * program's group happen as one step; run_term_unblock() lets them in.
 */
/* Block the termination signals; the old mask in @p old_mask */
static void run_term_block(sigset_t *set, sigset_t *old_mask)
{
	size_t i;

	sigemptyset(set);
	for (i = 0; i < RUN_NTERM; i++) {
		sigaddset(set, run_term_signals[i]);
	}
	(void)sigprocmask(SIG_BLOCK, set, old_mask);
}

static void run_term_catch(struct sigaction saved[RUN_NTERM],
			   sigset_t *old_mask)
{
	struct sigaction sa;
	sigset_t set;
	size_t i;

	run_term_block(&set, old_mask);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = run_term_handler;
	sa.sa_mask = set;
	for (i = 0; i < RUN_NTERM; i++) {
		(void)sigaction(run_term_signals[i], NULL, &saved[i]);
		if (saved[i].sa_handler != SIG_IGN) {
			(void)sigaction(run_term_signals[i], &sa, NULL);
		}
	}
}

static void run_term_unblock(const sigset_t *old_mask)
{
	(void)sigprocmask(SIG_SETMASK, old_mask, NULL);
}

/* The caller's actions back; no program is ours to kill any more */
static void run_term_restore(const struct sigaction saved[RUN_NTERM],
			     const sigset_t *old_mask)
{
	sigset_t set;
	sigset_t now;
	size_t i;

	run_term_block(&set, &now);
	run_current_group = 0;
	for (i = 0; i < RUN_NTERM; i++) {
		(void)sigaction(run_term_signals[i], &saved[i], NULL);
	}
	(void)sigprocmask(SIG_SETMASK, old_mask, NULL);
}

/*
 * An inherited SIGCHLD=SIG_IGN (or SA_NOCLDWAIT) makes the kernel reap
 * our children itself: waitpid() then fails with ECHILD and the exit
 * status is lost.  Around our own fork and wait, SIGCHLD is SIG_DFL;
 * the caller's action is restored afterwards.
 * @return true when the action was changed (and must be restored)
 */
static bool run_sigchld_default(struct sigaction *saved)
{
	struct sigaction sa;
	bool ignored;

	if (sigaction(SIGCHLD, NULL, saved) != 0) {
		return false;
	}
	ignored = (saved->sa_flags & SA_NOCLDWAIT) != 0 ||
		  ((saved->sa_flags & SA_SIGINFO) == 0 &&
		   saved->sa_handler == SIG_IGN);
	if (!ignored) {
		return false;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGCHLD, &sa, NULL) == 0;
}

/* Undo run_sigchld_default(), when it changed anything. */
static void run_sigchld_restore(bool changed, const struct sigaction *saved)
{
	if (changed) {
		(void)sigaction(SIGCHLD, saved, NULL);
	}
}

/* One non-blocking waitpid(): 0 reaped, ECHILD gone, ETIMEDOUT not yet. */
static int run_reap_now(pid_t pid, int *wstatus)
{
	pid_t w;

	do {
		w = waitpid(pid, wstatus, WNOHANG);
	} while (w < 0 && errno == EINTR);
	if (w == pid) {
		return 0;
	}
	if (w < 0 && errno == ECHILD) {
		return ECHILD;
	}
	return ETIMEDOUT;
}

int run_reap(pid_t pid, int64_t wait_ms, int *wstatus)
{
	int64_t end = util_now_ms() + (wait_ms > 0 ? wait_ms : 0);
	int scratch = 0;
	int pidfd = -1;
	int ret;

	if (wstatus == NULL) {
		wstatus = &scratch;
	}
	for (;;) {
		int64_t left;

		ret = run_reap_now(pid, wstatus);
		if (ret != ETIMEDOUT) {
			break;
		}
		left = end - util_now_ms();
		if (left <= 0) {
			break;
		}
		if (pidfd == -1) {
			/* -2: none to be had, sleep in slices */
			pidfd = run_pidfd_open(pid);
			if (pidfd < 0) {
				pidfd = -2;
			}
		}
		if (pidfd >= 0) {
			struct pollfd pfd = { .fd = pidfd, .events = POLLIN };

			if (poll(&pfd, 1, (int)left) > 0) {
				/* readable, yet not ours to reap (a tracer
				 * holds it): no busy loop, slices instead */
				util_close(&pidfd);
				pidfd = -2;
			}
		} else {
			(void)poll(NULL, 0, (int)(left < 10 ? left : 10));
		}
	}
	if (pidfd >= 0) {
		close(pidfd);
	}
	return ret;
}

/* ------------------------------------------------------------------ */
/* Spawn                                                               */
/* ------------------------------------------------------------------ */

/* What run_spawn() starts, and how. */
struct run_spawn {
	const char *path;		/* found by run_find_program() */
	const char *const *argv;
	int fd[3];			/* become stdin, stdout, stderr */
	int keep_fd;			/* passed on open, or -1 */
	int status_fd;			/* close-on-exec: the exec errno */
	bool detach;			/* own session, double fork */
};

/*
 * In the child that becomes the program: signals as a new program
 * expects them, stdio and @p s->keep_fd in place, execv.  Never
 * returns; a failure goes to s->status_fd as an errno.
 * Async-signal-safe calls only.
 */
static void run_child_exec(const struct run_spawn *s)
{
	int fd = s->keep_fd;
	int i;

	run_child_reset_signals();
	if (fd >= 0 && fd <= STDERR_FILENO) {
		/* would be overwritten by the stdio below */
		fd = fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
		if (fd < 0) {
			run_child_fail(s->status_fd, errno);
		}
	}
	for (i = 0; i < 3; i++) {
		if (dup2(s->fd[i], i) < 0) {
			run_child_fail(s->status_fd, errno);
		}
	}
	if (fd >= 0) {
		int flags = fcntl(fd, F_GETFD);

		if (flags < 0 || fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) < 0) {
			run_child_fail(s->status_fd, errno);
		}
	}
	execv(s->path, (char *const *)s->argv);
	run_child_fail(s->status_fd, errno);
}

/*
 * Fork the program of @p s.  Bounded: in a process group of its own
 * (*pid is its PID and group).  Detached: the child starts a session,
 * forks the program and exits at once (*pid is that intermediate
 * child, to be reaped by the caller).
 * @return 0, or the errno of fork()
 */
static int run_spawn(const struct run_spawn *s, pid_t *pid)
{
	pid_t p = fork();

	if (p < 0) {
		return errno;
	}
	if (p == 0) {
		/* child: async-signal-safe calls only from here on */
		if (!s->detach) {
			(void)setpgid(0, 0);
		} else {
			pid_t gpid;

			(void)setsid();
			gpid = fork();
			if (gpid < 0) {
				run_child_fail(s->status_fd, errno);
			}
			if (gpid > 0) {
				_exit(0);
			}
		}
		run_child_exec(s);
	}
	if (!s->detach) {
		/* also set the group here, so that a kill cannot miss it
		 * whichever of us runs first */
		(void)setpgid(p, p);
	}
	*pid = p;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Collect                                                             */
/* ------------------------------------------------------------------ */

/* A bounded program being collected. */
struct run_child {
	pid_t pid;
	int pidfd;		/* wakes the poll at its exit, or -1 */
	int status_fd;		/* exec errno, EOF once exec worked */
	struct run_stream out;
	struct run_stream err;
	bool reaped;
	int wstatus;		/* valid once reaped, unless unknown */
};

/* Read the exec errno (if any) from the status pipe. */
static void run_collect_status(struct run_child *c, struct run_result *r)
{
	int e = 0;
	ssize_t got = read(c->status_fd, &e, sizeof(e));

	if (got == (ssize_t)sizeof(e)) {
		r->err = e;
	}
	if (got >= 0 || errno != EINTR) {
		util_close(&c->status_fd);
	}
}

/* Note that @p c was reaped (by us, or elsewhere: ECHILD). */
static void run_collect_reaped(struct run_child *c, struct run_result *r,
			       int reap_ret)
{
	c->reaped = true;
	r->status_unknown = (reap_ret == ECHILD);
}

/*
 * Poll @p c's pipes once, for at most @p limit ms, and read what is
 * there.
 * @return 0, ENOMEM, or the errno of poll()
 */
static int run_collect_once(TALLOC_CTX *mem_ctx, struct run_child *c,
			    struct run_result *r, int64_t limit)
{
	int fds[4] = { c->out.fd, c->err.fd, c->status_fd, c->pidfd };
	struct pollfd pfd[4];
	nfds_t n = 0;
	nfds_t i;
	int ret = 0;

	for (i = 0; i < 4; i++) {
		if (fds[i] >= 0) {
			pfd[n++] = (struct pollfd) { .fd = fds[i],
						     .events = POLLIN };
		}
	}
	if (poll(pfd, n, (int)limit) < 0) {
		return errno == EINTR ? 0 : errno;
	}
	for (i = 0; i < n && ret == 0; i++) {
		if (pfd[i].revents == 0) {
			continue;
		}
		if (pfd[i].fd == c->out.fd) {
			ret = run_stream_read(mem_ctx, &c->out);
		} else if (pfd[i].fd == c->err.fd) {
			ret = run_stream_read(mem_ctx, &c->err);
		} else if (pfd[i].fd == c->status_fd) {
			run_collect_status(c, r);
		}
		/* pidfd readable: the caller's run_reap_now() reaps it */
	}
	return ret;
}

/*
 * Collect @p c's output until it has exited and closed its pipes, or
 * until @p dl (then its group is killed: r->timed_out), or until its
 * pipes outlive it by RUN_PIPE_GRACE_MS (then its group is killed).  A
 * killed program gets RUN_REAP_AFTER_KILL_MS to be reaped, no more: one
 * stuck in the kernel is left behind (a zombie of ours once it dies).
 * @return 0, ENOMEM, or the errno of poll() (the group is then killed)
 */
static int run_collect(TALLOC_CTX *mem_ctx, struct run_child *c,
		       const struct deadline *dl, struct run_result *r)
{
	int64_t exit_ms = 0;
	int ret = 0;

	for (;;) {
		int64_t limit;

		if (!c->reaped) {
			int st = run_reap_now(c->pid, &c->wstatus);

			if (st != ETIMEDOUT) {
				run_collect_reaped(c, r, st);
				exit_ms = util_now_ms();
				util_close(&c->pidfd);
			}
		}
		if (c->reaped && c->out.fd < 0 && c->err.fd < 0 &&
		    c->status_fd < 0) {
			return 0;
		}
		limit = deadline_left_ms(dl);
		if (c->reaped) {
			int64_t grace = exit_ms + RUN_PIPE_GRACE_MS -
					util_now_ms();

			if (grace < limit) {
				limit = grace;
			}
		}
		if (limit <= 0) {
			/* deadline, or a grandchild holding our pipes */
			if (!c->reaped) {
				r->timed_out = true;
				r->timed_out_seconds = dl->seconds;
			}
			break;
		}
		if (!c->reaped && c->pidfd < 0 && limit > RUN_POLL_SLICE_MS) {
			limit = RUN_POLL_SLICE_MS;
		}
		ret = run_collect_once(mem_ctx, c, r, limit);
		if (ret != 0) {
			break;
		}
	}
	run_kill_group(c->pid, c->reaped);
	if (!c->reaped) {
		/*
		 * Usually it is gone at once; one stuck in the kernel is
		 * left behind, and the caller closes the pipes so that
		 * nothing waits on it any more.
		 */
		int st = run_reap(c->pid, RUN_REAP_AFTER_KILL_MS,
				  &c->wstatus);

		if (st != ETIMEDOUT) {
			run_collect_reaped(c, r, st);
		}
	}
	return ret;
}

/* ------------------------------------------------------------------ */
/* Decode                                                              */
/* ------------------------------------------------------------------ */

/* Turn the wait status of a collected program into @p r's fields. */
static void run_decode(const struct run_child *c, struct run_result *r)
{
	int wstatus = c->wstatus;

	if (!c->reaped || r->status_unknown) {
		/* no status to report: timed out, or reaped elsewhere */
		wstatus = 0;
	}
	if (r->timed_out) {
		r->status_unknown = false;
	}
	if (WIFEXITED(wstatus)) {
		r->status = WEXITSTATUS(wstatus);
	} else if (WIFSIGNALED(wstatus)) {
		r->sig = WTERMSIG(wstatus);
	}
	if (r->timed_out) {
		/* our SIGKILL, not the program's doing */
		r->sig = 0;
	}
}

/* ------------------------------------------------------------------ */
/* The two ways to run a program                                       */
/* ------------------------------------------------------------------ */

/*
 * What both ways of running need before the fork: the program
 * (*path and s->path, looked up in $PATH, a talloc child of
 * @p mem_ctx),
 * /dev/null opened with @p devnull_flags, and the close-on-exec pipe
 * that carries a failed exec's errno (s->status_fd is its write end).
 * @return 0, ENOENT when there is no such program, ENOMEM, or the errno
 *         of open() or pipe2()
 */
static int run_prepare(TALLOC_CTX *mem_ctx, const char *name,
		       int devnull_flags, struct run_spawn *s, char **path,
		       int *devnull, int statp[2])
{
	int ret;

	ret = run_find_program(mem_ctx, name, path);
	if (ret != 0) {
		return ret;
	}
	s->path = *path;
	*devnull = open("/dev/null", devnull_flags | O_CLOEXEC);
	if (*devnull < 0 || pipe2(statp, O_CLOEXEC) != 0) {
		return errno;
	}
	s->status_fd = statp[1];
	return 0;
}

int run_bounded(TALLOC_CTX *mem_ctx, const char *const *argv,
		const struct deadline *dl, struct run_result **res)
{
	struct run_result *r = NULL;
	struct run_child c = {
		.pid = -1, .pidfd = -1, .status_fd = -1,
		.out = { .fd = -1 }, .err = { .fd = -1 },
	};
	struct run_spawn s = { .argv = argv, .keep_fd = -1 };
	int outp[2] = { -1, -1 };
	int errp[2] = { -1, -1 };
	int statp[2] = { -1, -1 };
	int devnull = -1;
	char *path = NULL;
	struct sigaction old_chld;
	struct sigaction old_term[RUN_NTERM];
	sigset_t old_mask;
	bool term_caught = false;
	bool chld_changed = false;
	int ret = 0;

	*res = NULL;
	if (argv == NULL || argv[0] == NULL || dl == NULL) {
		return EINVAL;
	}
	/* the result is the scratch context too: freed on failure */
	r = talloc_zero(mem_ctx, struct run_result);
	if (r == NULL) {
		return ENOMEM;
	}
	ret = run_prepare(r, argv[0], O_RDONLY, &s, &path, &devnull, statp);
	if (ret == ENOENT) {
		r->err = ENOENT;
		r->status = 127;
		ret = 0;
		goto finish;
	}
	if (ret != 0) {
		goto done;
	}
	if (pipe2(outp, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0) {
		ret = errno;
		goto done;
	}

	s.fd[0] = devnull;
	s.fd[1] = outp[1];
	s.fd[2] = errp[1];
	chld_changed = run_sigchld_default(&old_chld);
	run_term_catch(old_term, &old_mask);
	term_caught = true;
	ret = run_spawn(&s, &c.pid);
	if (ret == 0) {
		run_current_group = c.pid;
	}
	run_term_unblock(&old_mask);
	if (ret != 0) {
		goto done;
	}
	util_close(&outp[1]);
	util_close(&errp[1]);
	util_close(&statp[1]);
	util_close(&devnull);
	c.out.fd = outp[0];
	outp[0] = -1;
	c.err.fd = errp[0];
	errp[0] = -1;
	c.status_fd = statp[0];
	statp[0] = -1;
	c.pidfd = run_pidfd_open(c.pid);

	ret = run_collect(r, &c, dl, r);
	if (ret != 0) {
		goto done;
	}
	run_decode(&c, r);

finish:
	r->out = run_stream_finish(r, &c.out, &r->outlen);
	r->errout = run_stream_finish(r, &c.err, &r->errlen);
	if (r->out == NULL || r->errout == NULL) {
		ret = ENOMEM;
	}
done:
	/* a child not reaped by now was killed and waited for (briefly)
	 * in run_collect(): it is not waited for again */
	if (term_caught) {
		run_term_restore(old_term, &old_mask);
	}
	run_sigchld_restore(chld_changed, &old_chld);
	util_close(&outp[0]);
	util_close(&outp[1]);
	util_close(&errp[0]);
	util_close(&errp[1]);
	util_close(&statp[0]);
	util_close(&statp[1]);
	util_close(&c.out.fd);
	util_close(&c.err.fd);
	util_close(&c.status_fd);
	util_close(&devnull);
	util_close(&c.pidfd);
	TALLOC_FREE(path);
	if (ret != 0) {
		TALLOC_FREE(r);
	}
	*res = r;
	return ret;
}

bool run_ok(const struct run_result *res)
{
	return res != NULL && res->err == 0 && !res->timed_out &&
	       !res->status_unknown && res->sig == 0 && res->status == 0;
}

char *run_describe(TALLOC_CTX *mem_ctx, const struct run_result *res)
{
	if (res == NULL) {
		return talloc_strdup(mem_ctx, "did not run");
	}
	if (res->err == ENOENT) {
		return talloc_strdup(mem_ctx, "not found");
	}
	if (res->err != 0) {
		return talloc_asprintf(mem_ctx, "could not run: %s",
				       strerror(res->err));
	}
	if (res->timed_out) {
		return talloc_asprintf(mem_ctx, "timed out after %u s",
				       0u + res->timed_out_seconds);
	}
	if (res->status_unknown) {
		return talloc_strdup(mem_ctx,
				     "exit status unknown (SIGCHLD ignored)");
	}
	if (res->sig != 0) {
		return talloc_asprintf(mem_ctx, "killed by signal %d",
				       res->sig);
	}
	return talloc_asprintf(mem_ctx, "exited with %d", res->status);
}

/*
 * Wait (until util_now_ms() reaches @p end_ms at the latest) on a
 * close-on-exec status pipe: EOF means the exec worked, four bytes are
 * the errno of a failed one, nothing by then is taken as started.
 */
static int run_exec_status(int fd, int64_t end_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int e = 0;
	int rc;

	for (;;) {
		int64_t left = end_ms - util_now_ms();

		rc = poll(&pfd, 1, (int)(left > 0 ? left : 0));
		if (rc >= 0 || errno != EINTR) {
			break;
		}
	}
	if (rc > 0 && read(fd, &e, sizeof(e)) == (ssize_t)sizeof(e)) {
		return e;
	}
	return 0;
}

int run_detached(const char *const *argv, int keep_fd,
		 const struct deadline *dl)
{
	TALLOC_CTX *tmp_ctx = NULL;
	struct run_spawn s = {
		.argv = argv, .keep_fd = keep_fd, .detach = true,
	};
	int statp[2] = { -1, -1 };
	int devnull = -1;
	char *path = NULL;
	struct sigaction old_chld;
	bool chld_changed = false;
	int64_t bound = RUN_DETACHED_EXEC_MS;
	int64_t end_ms;
	pid_t pid = -1;
	int ret = 0;

	if (argv == NULL || argv[0] == NULL) {
		return EINVAL;
	}
	if (dl != NULL) {
		if (deadline_expired(dl)) {
			return ETIMEDOUT;
		}
		if (deadline_left_ms(dl) < bound) {
			bound = deadline_left_ms(dl);
		}
	}
	end_ms = util_now_ms() + bound;

	tmp_ctx = talloc_new(NULL);
	if (tmp_ctx == NULL) {
		return ENOMEM;
	}
	ret = run_prepare(tmp_ctx, argv[0], O_RDWR, &s, &path, &devnull,
			  statp);
	if (ret != 0) {
		goto done;
	}
	s.fd[0] = s.fd[1] = s.fd[2] = devnull;
	chld_changed = run_sigchld_default(&old_chld);
	ret = run_spawn(&s, &pid);
	if (ret != 0) {
		goto done;
	}

	/* the intermediate child exits at once: no zombie */
	util_close(&statp[1]);
	if (run_reap(pid, end_ms - util_now_ms(), NULL) == ETIMEDOUT) {
		/*
		 * Stuck before or in its fork: whether the program was
		 * started is unknown.  Kill it (not the program, which has
		 * a session of its own) and leave it behind.
		 */
		(void)kill(pid, SIGKILL);
		ret = ETIMEDOUT;
		goto done;
	}
	ret = run_exec_status(statp[0], end_ms);
done:
	run_sigchld_restore(chld_changed, &old_chld);
	util_close(&statp[0]);
	util_close(&statp[1]);
	util_close(&devnull);
	talloc_free(tmp_ctx);
	return ret;
}
