/*
 * The state directory and its stamp files: one clock rule for all.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checks/state.h"

bool state_is_old(const struct timespec *mtime, uint64_t seconds)
{
	struct timespec now;
	int64_t age_ms;

	if (clock_gettime(CLOCK_REALTIME, &now) != 0) {
		return true;
	}
	age_ms = ((int64_t)now.tv_sec - (int64_t)mtime->tv_sec) * 1000 +
		 ((int64_t)now.tv_nsec - (int64_t)mtime->tv_nsec) / 1000000;
	if (age_ms < -STATE_FUTURE_SLACK_MS) {
		return true;	/* the clock was set back */
	}
	/* seconds is at most INT32_MAX for every caller: no overflow */
	return seconds <= INT64_MAX / 1000 && age_ms >= (int64_t)seconds * 1000;
}

int state_file_is_old(const char *path, uint64_t seconds, bool *old)
{
	struct stat st;

	*old = false;
	if (stat(path, &st) != 0) {
		return errno;
	}
	*old = state_is_old(&st.st_mtim, seconds);
	return 0;
}

int state_touch(const char *path)
{
	const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY |
			  O_NOFOLLOW | O_NONBLOCK;
	struct stat st;
	int ret = 0;
	int fd;

	fd = open(path, flags, 0644);
	if (fd == -1 && errno == ELOOP) {
		/* a link where a stamp belongs: replace it, never follow */
		if (unlink(path) != 0) {
			return errno;
		}
		fd = open(path, flags | O_EXCL, 0644);
	}
	if (fd == -1) {
		return errno;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		/* a FIFO or device put there: not ours to touch */
		close(fd);
		return EINVAL;
	}
	if (futimens(fd, NULL) != 0) {
		ret = errno;
	}
	close(fd);
	return ret;
}

/* mkdir -p, mode 0755 */
static int state_mkdir_p(const char *path)
{
	char *copy = NULL;
	char *p = NULL;
	int ret = 0;

	if (path[0] == '\0') {
		return EINVAL;
	}
	copy = strdup(path);
	if (copy == NULL) {
		return ENOMEM;
	}
	for (p = copy + 1; ret == 0; p++) {
		bool end = (*p == '\0');

		if (*p != '/' && !end) {
			continue;
		}
		*p = '\0';
		if (mkdir(copy, 0755) != 0 && errno != EEXIST) {
			ret = errno;
		}
		if (end) {
			break;
		}
		*p = '/';
	}
	free(copy);
	return ret;
}

int state_dir_setup(const char *dir)
{
	struct stat st;
	int ret = state_mkdir_p(dir);

	if (ret == 0 && stat(dir, &st) != 0) {
		ret = errno;
	}
	if (ret == 0 && !S_ISDIR(st.st_mode)) {
		ret = ENOTDIR;	/* a file where the directory belongs */
	}
	if (ret == 0 && access(dir, W_OK | X_OK) != 0) {
		ret = errno;
	}
	return ret;
}

bool state_once_per(TALLOC_CTX *mem_ctx, const char *dir, const char *name,
		    uint64_t seconds)
{
	char *path = NULL;
	bool old = true;
	int ret;

	if (dir == NULL) {
		return true;
	}
	path = talloc_asprintf(mem_ctx, "%s/%s", dir, name);
	if (path == NULL) {
		return true;
	}
	ret = state_file_is_old(path, seconds, &old);
	if (ret != 0 || old) {
		/* a stamp we cannot write: say it every time rather
		 * than never */
		(void)state_touch(path);
		old = true;
	}
	talloc_free(path);
	return old;
}
