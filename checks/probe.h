/*
 * Bounded looks at the filesystem (spec 3.5).  A stat() or open() on a
 * hung NFS or FUSE mount can sleep in the kernel for ever, where no
 * signal reaches it, and a process cannot exit while one of its threads
 * sleeps there.  So such looks run in a forked child: the parent reads
 * the child's findings from a pipe until the deadline and then leaves a
 * late child behind.
 */
#ifndef CHECKS_PROBE_H
#define CHECKS_PROBE_H

#include <stddef.h>
#include <stdint.h>
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

/**
 * @brief The work of a probe child.  Runs in the forked child, with
 * stdin, stdout and stderr on /dev/null; writes its findings to @p fd.
 * The child runs a copy of the caller's memory: it may use talloc when
 * the caller has no other threads, otherwise only async-signal-safe
 * calls.
 * @return 0 when the work is complete, anything else when it failed
 */
typedef int (*probe_fn)(int fd, void *private_data);

/**
 * @brief When a wait that starts now must end: the deadline, but never
 * less than PROBE_GRACE_MS from now.
 */
int64_t probe_end_ms(const struct deadline *dl);

/**
 * @brief Open /dev/null (read-write, close-on-exec) for probe children.
 * Open it in the parent, before fork.
 * @return the descriptor, or -1 with errno set
 */
int probe_devnull(void);

/**
 * @brief In a probe child: put @p devnull on descriptors 0, 1 and 2, so
 * that a child stuck for ever holds none of the caller's output pipes
 * open (e.g. "ctdb checksamba | cat" would never end).  Async-signal-
 * safe.
 */
void probe_child_stdio(int devnull);

/**
 * @brief Run @p fn in a forked child and collect what it writes.
 *
 * The parent reads the child's pipe until the child has finished and
 * exited, or until probe_end_ms(@p dl).  A child that answered is
 * reaped.  A late child gets SIGKILL and is left behind, not waited
 * for: it may sleep in the kernel where the signal cannot reach it yet.
 *
 * @param[out] out    what fn wrote, NUL-terminated, talloc child of
 *                    @p mem_ctx (only on success)
 * @param[out] outlen its length (may be NULL)
 * @return 0 when fn completed, ETIMEDOUT when the child did not finish
 *         in time, EIO when it ended without completing (fn failed, it
 *         was killed, or it wrote more than PROBE_MAX_OUTPUT), ENOMEM,
 *         or the errno of a failed pipe/fork/open
 */
int probe_run(TALLOC_CTX *mem_ctx, probe_fn fn, void *private_data,
	      const struct deadline *dl, char **out, size_t *outlen);

#endif
