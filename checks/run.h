/*
 * The one process layer (like git's run-command): running external
 * programs with fork and execv on an argument vector, never a shell,
 * always within the run's deadline; and reaping children, for every
 * module that forks (checks/probe.c too).
 */
#ifndef CHECKS_RUN_H
#define CHECKS_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <talloc.h>

#include "checks/util.h"

struct run_result {
	int status;		/* exit status, when the program exited */
	int sig;		/* signal that ended it, else 0 */
	int err;		/* errno of a failed exec (ENOENT, EACCES), else 0 */
	bool timed_out;		/* killed at the deadline */
	bool status_unknown;	/* it exited, but someone else reaped it
				 * (SIGCHLD ignored behind our back) */
	unsigned timed_out_seconds;	/* dl->seconds, for run_describe() */
	char *out;		/* stdout, NUL-terminated, talloc child */
	size_t outlen;
	char *errout;		/* stderr, NUL-terminated, talloc child */
	size_t errlen;
};

/**
 * @brief Find @p name in $PATH (or take it as is when it holds a '/').
 * Only executable regular files count; empty and relative PATH
 * components (".", "bin": the current directory's) are skipped; an
 * unset PATH means
 * "/usr/local/bin:/usr/bin:/bin".
 * @param[out] path talloc child of @p mem_ctx
 * @return 0, ENOENT when there is no executable file of that name, ENOMEM
 */
int run_find_program(TALLOC_CTX *mem_ctx, const char *name, char **path);

/**
 * @brief Run argv[0] (looked up in $PATH) with stdin on /dev/null,
 * capture stdout and stderr, and wait at most until @p dl.
 *
 * The child runs in a process group of its own; at the deadline the
 * whole group gets SIGKILL and is reaped, waiting at most 200 ms more
 * for its exit: a program stuck in the kernel (D state) is left behind
 * unreaped, and reported timed out.  Once the program itself has
 * exited, its pipes (held open by something it left behind) get at most
 * 500 ms more, then the group is killed and the exit status reported.
 * Each stream keeps its first 16 MiB; the rest is read and dropped.
 * Scripts need a #! line: exec failures are not retried through a shell
 * (ENOEXEC).  A program that cannot be executed yields res->err
 * (ENOENT for a missing one), not a failure of this function.
 * An inherited SIGCHLD=SIG_IGN is set to SIG_DFL during the call (and
 * restored), so that exit statuses are real.  SIGTERM, SIGINT and
 * SIGHUP (those not ignored) are caught during the call: they kill the
 * program's process group and then end this process by the same
 * signal, so that no program outlives a killed run.
 *
 * @param[in]  mem_ctx talloc parent of *res
 * @param[out] res     the outcome
 * @return 0 when the program was run (whatever its outcome), errno when
 *         it could not be started (fork or pipe failed, ENOMEM)
 */
int run_bounded(TALLOC_CTX *mem_ctx, const char *const *argv,
		const struct deadline *dl, struct run_result **res);

/**
 * @brief True when @p res is a clean exit with status 0 (an unknown
 * status is not).
 */
bool run_ok(const struct run_result *res);

/**
 * @brief Describe @p res for DEBUG output ("exited with 1", "timed out
 * after 10 s", "not found", ...).  talloc child of @p mem_ctx.
 */
char *run_describe(TALLOC_CTX *mem_ctx, const struct run_result *res);

/**
 * @brief Start argv fully detached: double fork, own session, stdio
 * on /dev/null, not waited for (the intermediate child is reaped at
 * once, so no zombie is left).  @p keep_fd, when >= 0, is passed on
 * open to the program (e.g. a held lock); every other descriptor of
 * ours is close-on-exec.  Waits at most min(2 s, what is left of
 * @p dl) to learn whether the exec worked (@p dl NULL: 2 s); no news by
 * then counts as started.
 * @return 0 when the program was started, ETIMEDOUT when @p dl has
 *         passed (nothing is started) or the intermediate child did not
 *         finish in time (unknown whether it was started), errno otherwise
 */
int run_detached(const char *const *argv, int keep_fd,
		 const struct deadline *dl);

/**
 * @brief Reap the child @p pid, waiting at most @p wait_ms for it to
 * exit (0: one look, never blocks).  The wait is on a pidfd where the
 * kernel has them, else in 10 ms slices; it never blocks longer,
 * whatever state the child is in (one asleep in the kernel, D state,
 * dies only when the kernel lets go of it).
 * @param[out] wstatus its wait status when reaped (may be NULL)
 * @return 0 when reaped (*wstatus valid), ECHILD when it is not (or no
 *         longer) a child of ours to reap (someone else's wait, or
 *         SIGCHLD ignored, got it: gone, status unknown), ETIMEDOUT
 *         when it is still there
 */
int run_reap(pid_t pid, int64_t wait_ms, int *wstatus);

#endif
