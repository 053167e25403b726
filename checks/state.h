/*
 * The state directory (spec 3.0, 3.1): where the smb.conf cache, the
 * stamp files and the stuck-probe records live, and the one rule for
 * "is this stamp older than N seconds".
 *
 * The clock rule: a stamp's age is the wall clock now less its mtime,
 * to the nanosecond.  A stamp more than STATE_FUTURE_SLACK_MS in the
 * future means the clock was set back since it was written; it is
 * treated as old, so that a stepped clock can delay nothing for longer
 * than one interval (a due cleanup runs, a cache is refreshed, a grace
 * period is over).
 */
#ifndef CHECKS_STATE_H
#define CHECKS_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <talloc.h>

/* How far in the future a stamp may be before it counts as old */
#define STATE_FUTURE_SLACK_MS 1000

/**
 * @brief True when a stamp written at @p mtime is at least @p seconds
 * old now, or from the future (the clock rule above).  A clock that
 * cannot be read makes every stamp old.
 */
bool state_is_old(const struct timespec *mtime, uint64_t seconds);

/**
 * @brief state_is_old() for the mtime of the file @p path.
 * @param[out] old the answer (false on error)
 * @return 0, or the errno of stat() (ENOENT: no such stamp)
 */
int state_file_is_old(const char *path, uint64_t seconds, bool *old);

/**
 * @brief Create @p path (mode 0644) or set its mtime to now.  A
 * symbolic link at @p path is replaced by the stamp, never followed;
 * anything but a regular file there (a FIFO, a device) is left alone.
 * @return 0, or errno (EINVAL: not a regular file; ENXIO: a FIFO
 *         nobody reads)
 */
int state_touch(const char *path);

/**
 * @brief Make @p dir (and its parents) and check that we may write
 * there.
 * @return 0, or the errno of the step that failed (EINVAL for "",
 *         ENOTDIR when @p dir is not a directory)
 */
int state_dir_setup(const char *dir);

/**
 * @brief True at most once every @p seconds for the stamp @p name in
 * @p dir: when the stamp is missing or old it is touched and the answer
 * is true.  With no state directory (@p dir NULL) always true.
 * Used to rate-limit warnings that ctdb would otherwise log every cycle.
 * @param[in] mem_ctx talloc parent of scratch memory
 */
bool state_once_per(TALLOC_CTX *mem_ctx, const char *dir, const char *name,
		    uint64_t seconds);

#endif
