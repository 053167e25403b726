/*
 * Share directory probes (spec 3.2 step 3 and 3.5): every path is
 * probed in a forked child (probe_run_many()), all in parallel, within
 * the deadline.  A probe that does not answer is left behind (it may be
 * stuck in the kernel) and recorded in the state directory by PID and
 * start time, so that the next run reports that directory at once
 * instead of starting a second probe.
 */
#ifndef CHECKS_SHARE_H
#define CHECKS_SHARE_H

#include <stdbool.h>
#include <stddef.h>
#include <talloc.h>

#include "checks/smbconf.h"
#include "checks/util.h"

struct share_failure {
	const char *path;	/* the first failing path, in share order */
	bool hung;		/* no answer within the deadline */
};

/**
 * @brief The share paths to check: every share's path except empty
 * ones, ones containing '%', and shares with "available = no".
 * Duplicates once, the first in share order kept (sorted, O(n log n)).
 * A configuration read from the cache's digest knows them already
 * (conf->probe_paths_known): they are returned as they are.
 * @param[out] paths  talloc child of @p mem_ctx (NULL when there are
 *                    none)
 * @param[out] npaths how many
 * @return 0, or ENOMEM
 */
int share_paths(TALLOC_CTX *mem_ctx, const struct smbconf *conf,
		const char ***paths, size_t *npaths);

/**
 * @brief Probe @p paths (each must be a directory).
 * @param[in]  state_dir where stuck probes are recorded (NULL: not
 *             recorded)
 * @param[out] fail NULL when all are fine, else talloc child of
 *             @p mem_ctx
 * Probes that are late are left behind (not killed, not waited for);
 * their stdin, stdout and stderr are /dev/null.  Answers get at least
 * PROBE_GRACE_MS (checks/probe.h), even when @p dl has passed.
 * @return 0, or errno when probing could not be done at all
 */
int share_probe(TALLOC_CTX *mem_ctx, const char *state_dir,
		const char *const *paths, size_t npaths,
		const struct deadline *dl, struct share_failure **fail);

/*
 * One more look the prober takes besides the share paths, so that a
 * cycle forks one prober, not two: the smb.conf cache's check that no
 * file it recorded changed (checks/smbcache.h).  It is the first thing
 * a prober thread takes on; fn runs in the prober child, so it must be
 * async-signal-safe on memory set up before the fork (checks/probe.h).
 */
enum share_look_answer {
	SHARE_LOOK_YES = 1,	/* fn returned true */
	SHARE_LOOK_NO,		/* fn returned false */
	SHARE_LOOK_LATE,	/* no answer by the deadline */
	SHARE_LOOK_LOST,	/* the prober ended (or never started)
				 * without an answer */
};

struct share_look {
	bool (*fn)(const void *private_data);
	const void *private_data;
	/*
	 * When the look has not answered by this deadline (NULL: the
	 * probe's own) and every path has, the prober gives it up and
	 * completes without it: the caller gets SHARE_LOOK_LATE then
	 * instead of waiting out the probe's deadline, and the prober is
	 * left behind with the stuck look (checks/probe.h).
	 */
	const struct deadline *dl;
	enum share_look_answer answer;	/* set by share_probe_look() */
};

/**
 * @brief share_probe(), with @p look taken by the same prober child.
 * A look that does not answer in time is not recorded (the next run
 * takes it again).  With no paths at all, the prober takes the look
 * alone.  When the look says no (SHARE_LOOK_NO), the prober does not
 * wait for the paths it has not answered yet: the caller must not
 * judge them (the return may then be EIO).
 * @return as share_probe(); look->answer is set whenever 0 is returned
 *         and when the paths could not be judged (EIO)
 */
int share_probe_look(TALLOC_CTX *mem_ctx, const char *state_dir,
		     const char *const *paths, size_t npaths,
		     struct share_look *look, const struct deadline *dl,
		     struct share_failure **fail);

#endif
