/*
 * Periodic cleanup (spec 3.2 step 1): every PERIOD minutes start
 * "smbstatus -np" fully detached, never two at once.
 */
#ifndef CHECKS_CLEANUP_H
#define CHECKS_CLEANUP_H

#include <stdbool.h>

#include "checks/util.h"

/**
 * @brief Start the cleanup when the stamp file "periodic_cleanup" in
 * @p state_dir is older than @p period_minutes (the first run creates
 * the stamp and starts nothing).  @p period_minutes 0 does nothing.
 * @param[in]  dl      the run's deadline: run_detached() waits at most
 *                     what is left of it (NULL: its fixed 2 s bound)
 * @param[out] started true when smbstatus was started
 * @return 0, or errno (ETIMEDOUT: no time left; the caller may DEBUG
 *         it; never fatal)
 */
int cleanup_periodic(const char *state_dir, unsigned period_minutes,
		     const struct deadline *dl, bool *started);

#endif
