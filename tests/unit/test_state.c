/*
 * Unit tests for checks/state.c: the one clock rule for stamps, the
 * state directory and the once-per-interval stamps.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <talloc.h>

#include "checks/state.h"

static char dir[64];

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/test_state.XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int remove_one(const char *path, const struct stat *sb, int flag,
		      struct FTW *ftw)
{
	return remove(path);
}

static int teardown(void **state)
{
	return nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* a time stamp @p offset_ms from now (negative: in the past) */
static struct timespec at(int64_t offset_ms)
{
	struct timespec now;
	int64_t ns;

	clock_gettime(CLOCK_REALTIME, &now);
	ns = (int64_t)now.tv_sec * 1000000000LL + now.tv_nsec +
	     offset_ms * 1000000LL;
	return (struct timespec){ .tv_sec = ns / 1000000000LL,
				  .tv_nsec = ns % 1000000000LL };
}

static void test_is_old(void **state)
{
	struct timespec t;

	t = at(-59 * 1000);
	assert_false(state_is_old(&t, 60));
	t = at(-61 * 1000);
	assert_true(state_is_old(&t, 60));
	t = at(0);
	assert_false(state_is_old(&t, 1));
	/* 0 seconds: anything not from the future is old */
	assert_true(state_is_old(&t, 0));
	/* a little in the future: coarse timestamps, not a stepped clock */
	t = at(STATE_FUTURE_SLACK_MS / 2);
	assert_false(state_is_old(&t, 60));
	/* far in the future: the clock was set back, do not trust it */
	t = at(STATE_FUTURE_SLACK_MS + 2000);
	assert_true(state_is_old(&t, 60));
	t = at(3600 * 1000);
	assert_true(state_is_old(&t, UINT32_MAX));
	/* huge intervals do not overflow */
	t = at(-1000);
	assert_false(state_is_old(&t, UINT64_MAX));
}

static void set_mtime(const char *path, int64_t offset_ms)
{
	struct timespec ts[2];

	ts[0] = at(offset_ms);
	ts[1] = ts[0];
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static void test_file_is_old_and_touch(void **state)
{
	char *path = talloc_asprintf(NULL, "%s/stamp", dir);
	bool old = true;

	assert_int_equal(state_file_is_old(path, 10, &old), ENOENT);
	assert_false(old);
	assert_int_equal(state_touch(path), 0);
	assert_int_equal(state_file_is_old(path, 10, &old), 0);
	assert_false(old);
	set_mtime(path, -11 * 1000);
	assert_int_equal(state_file_is_old(path, 10, &old), 0);
	assert_true(old);
	/* touch brings an existing stamp back to now */
	assert_int_equal(state_touch(path), 0);
	assert_int_equal(state_file_is_old(path, 10, &old), 0);
	assert_false(old);
	set_mtime(path, 120 * 1000);
	assert_int_equal(state_file_is_old(path, 10, &old), 0);
	assert_true(old);
	talloc_free(path);
}

static void test_touch_no_symlink(void **state)
{
	char *target = talloc_asprintf(NULL, "%s/target", dir);
	char *link = talloc_asprintf(target, "%s/link", dir);
	struct stat st;

	assert_int_equal(symlink(target, link), 0);
	/* the link is replaced by a stamp; its target is never made */
	assert_int_equal(state_touch(link), 0);
	assert_int_equal(stat(target, &st), -1);
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	/* a FIFO is not a stamp, and opening it does not wait */
	assert_int_equal(unlink(link), 0);
	assert_int_equal(mkfifo(link, 0644), 0);
	assert_int_not_equal(state_touch(link), 0);
	talloc_free(target);
}

static void test_dir_setup(void **state)
{
	char *deep = talloc_asprintf(NULL, "%s/a/b/c", dir);
	char *file = talloc_asprintf(deep, "%s/file", dir);
	char *under = talloc_asprintf(deep, "%s/file/x", dir);
	struct stat st;
	int fd;

	assert_int_equal(state_dir_setup(deep), 0);
	assert_int_equal(stat(deep, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	/* again: fine */
	assert_int_equal(state_dir_setup(deep), 0);
	assert_int_equal(state_dir_setup(""), EINVAL);
	fd = open(file, O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(state_dir_setup(under), ENOTDIR);
	/* a file where the directory belongs is named as such */
	assert_int_equal(state_dir_setup(file), ENOTDIR);
	talloc_free(deep);
}

static void test_once_per(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	char *path = talloc_asprintf(ctx, "%s/warned", dir);

	assert_true(state_once_per(ctx, dir, "warned", 600));
	assert_false(state_once_per(ctx, dir, "warned", 600));
	assert_false(state_once_per(ctx, dir, "warned", 600));
	set_mtime(path, -601 * 1000);
	assert_true(state_once_per(ctx, dir, "warned", 600));
	assert_false(state_once_per(ctx, dir, "warned", 600));
	/* no state directory: every time */
	assert_true(state_once_per(ctx, NULL, "warned", 600));
	assert_true(state_once_per(ctx, NULL, "warned", 600));
	/* a stamp that cannot be written: every time, never silence */
	assert_true(state_once_per(ctx, "/nonexistent/dir", "w", 600));
	assert_true(state_once_per(ctx, "/nonexistent/dir", "w", 600));
	talloc_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_is_old),
		cmocka_unit_test_setup_teardown(test_file_is_old_and_touch,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_touch_no_symlink, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_dir_setup, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_once_per, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
