/*
 * Periodic cleanup (spec 3.2 step 1).  "smbstatus -np" scrubs dead
 * entries from Samba's connection and session databases.  It is started
 * fully detached every PERIOD minutes, with a lock that the running
 * smbstatus itself holds, so that two never run at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <talloc.h>

#include "checks/cleanup.h"
#include "checks/run.h"
#include "checks/state.h"

#define CLEANUP_STAMP "periodic_cleanup"
#define CLEANUP_LOCK "periodic_cleanup.lock"

int cleanup_periodic(const char *state_dir, unsigned period_minutes,
		     const struct deadline *dl, bool *started)
{
	const char *const argv[] = { "smbstatus", "-np", NULL };
	TALLOC_CTX *tmp_ctx = NULL;
	char *stamp = NULL;
	char *lock = NULL;
	bool due = false;
	int lock_fd = -1;
	int ret = 0;

	*started = false;
	if (period_minutes == 0) {
		return 0;
	}

	tmp_ctx = talloc_new(NULL);
	if (tmp_ctx == NULL) {
		return ENOMEM;
	}
	stamp = talloc_asprintf(tmp_ctx, "%s/%s", state_dir, CLEANUP_STAMP);
	lock = talloc_asprintf(tmp_ctx, "%s/%s", state_dir, CLEANUP_LOCK);
	if (stamp == NULL || lock == NULL) {
		ret = ENOMEM;
		goto done;
	}

	ret = state_file_is_old(stamp, (uint64_t)period_minutes * 60, &due);
	if (ret == ENOENT) {
		/* the first run only starts the clock */
		ret = state_touch(stamp);
		goto done;
	}
	if (ret != 0 || !due) {
		goto done;
	}

	lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY |
		       O_NOFOLLOW, 0644);
	if (lock_fd == -1) {
		ret = errno;
		goto done;
	}
	if (flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
		/* EWOULDBLOCK: the last cleanup is still running */
		ret = (errno == EWOULDBLOCK) ? 0 : errno;
		goto done;
	}

	/* a concurrent run may have started one between stat and lock */
	ret = state_file_is_old(stamp, (uint64_t)period_minutes * 60, &due);
	if (ret != 0 || !due) {
		goto done;
	}

	/* smbstatus inherits the locked descriptor and holds the lock
	 * until it exits */
	ret = run_detached(argv, lock_fd, dl);
	if (ret != 0) {
		goto done;
	}
	*started = true;

	ret = state_touch(stamp);
done:
	util_close(&lock_fd);
	talloc_free(tmp_ctx);
	return ret;
}
