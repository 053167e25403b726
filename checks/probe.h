/*
 * Bounded looks at the filesystem (spec 3.5).  A stat() or open() on a
 * hung NFS or FUSE mount can sleep in the kernel for ever, where no
 * signal reaches it, and a process cannot exit while one of its threads
 * sleeps there.  So such looks run in forked children, many at once if
 * need be: the parent reads the children's findings from one pipe until
 * the deadline and then leaves late children behind.
 */
#ifndef CHECKS_PROBE_H
#define CHECKS_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <talloc.h>

#include "checks/util.h"

/*
 * Answers are always given this long, even when the run's deadline has
 * already passed (the spec allows a fraction of a second past it): a
 * healthy local directory answers in well under a millisecond.
 */
#define PROBE_GRACE_MS 100

/* The most a probe child may write; more is a failed probe. */
#define PROBE_MAX_OUTPUT (16 * 1024 * 1024)

/*
 * Where a probe child writes its findings (see probe_write()): the
 * pipe shared by all probes of a set, and a buffer, so that short
 * findings go out in the same single write as "complete".
 */
#define PROBE_SINK_BUF 4080	/* PIPE_BUF less two frame headers */
struct probe_sink {
	int fd;
	uint32_t index;		/* this probe's place in the set */
	size_t len;		/* bytes waiting in buf */
	char buf[PROBE_SINK_BUF];
};

/**
 * @brief The work of a probe child.  Runs in the forked child, with
 * stdin, stdout and stderr on /dev/null; writes its findings with
 * probe_write(@p sink, ...).
 *
 * Fork safety: the child is a copy of a process that may have other
 * threads (the winbind ping starts one and may abandon it); a lock that
 * one of them held at the fork (malloc's, stdio's) stays locked in the
 * child for ever.  So a probe_fn does only async-signal-safe work (no
 * malloc, no talloc, no stdio) on memory prepared before the fork,
 * unless its job sets probe_job.needs_heap: the caller then promises
 * that the process has no other thread, and probe_run_many() checks
 * that promise before it forks (EDEADLK when it is broken).
 *
 * @return 0 when the work is complete, PROBE_COMPLETE_LEAVE when it is
 *         complete but a thread of the child stays stuck in the kernel
 *         (the child cannot exit yet: it is left behind, not waited
 *         for and not killed), anything else when it failed
 */
typedef int (*probe_fn)(struct probe_sink *sink, void *private_data);
#define PROBE_COMPLETE_LEAVE (-1)

/**
 * @brief In a probe child: write @p len bytes of findings, in frames
 * of at most PIPE_BUF bytes (each one write, so that the frames of
 * probes sharing the pipe never mix); buffered in @p sink up to
 * PROBE_SINK_BUF bytes.  Async-signal-safe.
 * @return 0, or the errno of the failed write
 */
int probe_write(struct probe_sink *sink, const void *buf, size_t len);

/**
 * @brief In a probe child: write @p buf as one frame, unbuffered, in
 * one write (@p len at most PROBE_SINK_BUF).  Only reads @p sink, so
 * threads of one probe child may share it; do not mix with
 * probe_write() buffering on the same sink from several threads.
 * Async-signal-safe.
 * @return 0, EINVAL for a bad length, or the errno of the write
 */
int probe_write_frame(const struct probe_sink *sink, const void *buf,
		      size_t len);

enum probe_state {
	PROBE_NOT_STARTED,	/* not forked (an earlier fork failed) */
	PROBE_DONE,		/* fn completed: out holds its findings
				 * (after PROBE_COMPLETE_LEAVE the child
				 * is left running, unreaped) */
	PROBE_FAILED,		/* ended without completing (fn failed, it
				 * was killed, it wrote too much) */
	PROBE_LATE,		/* no answer by the deadline */
};

/* One probe of a set: fn and private_data in, the rest out. */
struct probe_job {
	probe_fn fn;
	void *private_data;
	bool needs_heap;	/* fn mallocs: see probe_fn */

	enum probe_state state;
	pid_t pid;		/* PROBE_LATE: the child, left running
				 * (killed with kill_late), unreaped */
	char *out;		/* PROBE_DONE: the findings, PROBE_LATE:
				 * what came of them in time (whole frames);
				 * NUL-terminated, talloc child of the
				 * mem_ctx given */
	size_t outlen;
};

/**
 * @brief Run every job's fn in a forked child of its own, all at once,
 * and collect what they write.
 *
 * Waits until every child has completed (or ended) and been reaped, or
 * until the deadline, but never less than PROBE_GRACE_MS from now.  A
 * child that answered is reaped (one that exits just too late is left
 * to whoever inherits it).  A late child is left behind, not waited
 * for: it may sleep in the kernel where no signal reaches it yet.  With
 * @p kill_late it also gets SIGKILL, so that it ends as soon as it can;
 * without, it goes on (a share probe that ends by itself is not
 * replaced by a new one every run, spec 3.5).
 *
 * @param[in,out] jobs  fn, private_data and needs_heap set by the
 *                      caller; state, pid and out filled in
 * @param[in]     mem_ctx talloc parent of each job's out
 * @return 0 when every job was started (whatever its outcome), else
 *         the errno of the failed pipe, open or fork (the jobs started
 *         before it are still collected, the others PROBE_NOT_STARTED),
 *         EDEADLK when a needs_heap job meets a process with other
 *         threads (nothing is started), ENOMEM
 */
int probe_run_many(TALLOC_CTX *mem_ctx, struct probe_job *jobs,
		   size_t njobs, const struct deadline *dl, bool kill_late);

/**
 * @brief Run one probe, as probe_run_many() with one job and
 * @p kill_late set.
 * @param[out] out    what fn wrote, NUL-terminated, talloc child of
 *                    @p mem_ctx (only on success)
 * @param[out] outlen its length (may be NULL)
 * @return 0 when fn completed, ETIMEDOUT when the child did not finish
 *         in time, EIO when it ended without completing, EDEADLK (see
 *         probe_fn), ENOMEM, or the errno of a failed pipe/fork/open
 */
int probe_run(TALLOC_CTX *mem_ctx, probe_fn fn, void *private_data,
	      bool needs_heap, const struct deadline *dl, char **out,
	      size_t *outlen);

#endif
