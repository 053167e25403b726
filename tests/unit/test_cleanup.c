/*
 * Unit tests for checks/cleanup.c: the stamp file, the period and the
 * lock that keeps two cleanups from running at once.  A stub smbstatus
 * first on PATH records that it ran and then runs until the test
 * releases it (5 s at most), so that nothing waits on a fixed sleep.
 *
 * "Nothing was started" is decided at once: a started smbstatus holds
 * the lock before cleanup_periodic() returns (run_detached() forks it
 * with the locked descriptor), so a free lock means no start; the
 * marker is looked at again after a short pause.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <talloc.h>

#include "checks/cleanup.h"

struct fixture {
	char dir[64];		/* temp top directory */
	char *state;		/* state directory */
	char *bin;		/* stub directory, first on PATH */
	char *marker;		/* the stub writes its arguments here */
	char *stamp;
	char *lock;
	char *release;		/* the stub exits once this exists */
	char *old_path;
};

static struct fixture fx;

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
	}
}

static int setup(void **state)
{
	FILE *f = NULL;
	const char *path = getenv("PATH");
	char *newpath = NULL;
	char *stub = NULL;

	snprintf(fx.dir, sizeof(fx.dir), "/tmp/test_cleanup.XXXXXX");
	if (mkdtemp(fx.dir) == NULL) {
		return -1;
	}
	fx.state = talloc_asprintf(NULL, "%s/state", fx.dir);
	fx.bin = talloc_asprintf(fx.state, "%s/bin", fx.dir);
	fx.marker = talloc_asprintf(fx.state, "%s/marker", fx.dir);
	fx.stamp = talloc_asprintf(fx.state, "%s/periodic_cleanup", fx.state);
	fx.lock = talloc_asprintf(fx.state, "%s/periodic_cleanup.lock",
				  fx.state);
	fx.release = talloc_asprintf(fx.state, "%s/release", fx.dir);
	stub = talloc_asprintf(fx.state, "%s/smbstatus", fx.bin);
	fx.old_path = talloc_strdup(fx.state, path != NULL ? path : "/bin");
	newpath = talloc_asprintf(fx.state, "%s:%s", fx.bin, fx.old_path);
	if (newpath == NULL || mkdir(fx.state, 0755) != 0 ||
	    mkdir(fx.bin, 0755) != 0) {
		return -1;
	}

	f = fopen(stub, "w");
	if (f == NULL) {
		return -1;
	}
	fprintf(f, "#!/bin/sh\n"
		   "echo \"$@\" > '%s.tmp'\n"
		   "mv '%s.tmp' '%s'\n"
		   "i=0\n"
		   "while [ ! -e '%s' ] && [ $i -lt 500 ]; do\n"
		   "\tsleep 0.01; i=$((i + 1))\n"
		   "done\n",
		fx.marker, fx.marker, fx.marker, fx.release);
	if (fclose(f) != 0 || chmod(stub, 0755) != 0) {
		return -1;
	}
	setenv("PATH", newpath, 1);
	return 0;
}

/* Let a running stub exit, and wait (at most 5 s) until no cleanup
 * holds the lock any more; the next stub runs until released again */
static void wait_for_unlock(void)
{
	FILE *f = NULL;
	int i;
	int fd;

	f = fopen(fx.release, "w");
	if (f != NULL) {
		fclose(f);
	}
	fd = open(fx.lock, O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		for (i = 0; i < 1000; i++) {
			if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
				break;
			}
			sleep_ms(5);
		}
		close(fd);
	}
	unlink(fx.release);
}

static int teardown(void **state)
{
	char *stub = talloc_asprintf(fx.state, "%s/smbstatus", fx.bin);

	wait_for_unlock();
	setenv("PATH", fx.old_path, 1);
	unlink(fx.marker);
	unlink(stub);
	unlink(fx.stamp);
	unlink(fx.lock);
	unlink(fx.release);
	rmdir(fx.bin);
	rmdir(fx.state);
	rmdir(fx.dir);
	TALLOC_FREE(fx.state);
	return 0;
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static void set_stamp_age(time_t age_s)
{
	struct timespec ts[2];

	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= age_s;
	ts[0].tv_nsec = 0;
	ts[1] = ts[0];
	assert_int_equal(utimensat(AT_FDCWD, fx.stamp, ts, 0), 0);
}

static time_t stamp_age(void)
{
	struct stat st;

	assert_int_equal(stat(fx.stamp, &st), 0);
	return time(NULL) - st.st_mtime;
}

/* Is the lock held by someone else right now? */
static bool lock_held(void)
{
	bool held = false;
	int fd;

	fd = open(fx.lock, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		return false;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		held = (errno == EWOULDBLOCK);
	}
	close(fd);
	return held;
}

/* No smbstatus was started: the lock is free at once, and no marker
 * shows up in the next 20 ms either */
static void assert_not_started(void)
{
	assert_false(lock_held());
	sleep_ms(20);
	assert_false(exists(fx.marker));
}

static bool wait_for_marker(void)
{
	int i;

	for (i = 0; i < 600; i++) {
		if (exists(fx.marker)) {
			return true;
		}
		sleep_ms(5);
	}
	return false;
}

static void test_first_run_creates_stamp(void **state)
{
	bool started = true;

	assert_false(exists(fx.stamp));
	assert_int_equal(cleanup_periodic(fx.state, 10, NULL, &started), 0);
	assert_false(started);
	assert_true(exists(fx.stamp));
	assert_true(stamp_age() <= 2);
	/* nothing was started */
	assert_not_started();

	/* a fresh stamp: still nothing */
	assert_int_equal(cleanup_periodic(fx.state, 10, NULL, &started), 0);
	assert_false(started);
	/* not yet old enough */
	set_stamp_age(9 * 60);
	assert_int_equal(cleanup_periodic(fx.state, 10, NULL, &started), 0);
	assert_false(started);
	assert_not_started();
	assert_true(stamp_age() >= 9 * 60);
}

static void test_old_stamp_starts_smbstatus(void **state)
{
	FILE *f = NULL;
	char buf[64] = "";
	bool started = false;
	int64_t t0;

	set_stamp_age(11 * 60);
	t0 = util_now_ms();
	assert_int_equal(cleanup_periodic(fx.state, 10, NULL, &started), 0);
	assert_true(started);
	/* not waited for: back while the stub runs (until released) */
	assert_true(util_now_ms() - t0 < 1000);
	assert_true(stamp_age() <= 2);

	assert_true(wait_for_marker());
	f = fopen(fx.marker, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "-np\n");

	/* the running stub holds the lock */
	assert_true(lock_held());

	/* a second run while it still runs starts nothing */
	unlink(fx.marker);
	set_stamp_age(11 * 60);
	assert_int_equal(cleanup_periodic(fx.state, 10, NULL, &started), 0);
	assert_false(started);
	assert_true(stamp_age() >= 11 * 60);
	/* (the first stub holds the lock: only the marker can tell) */
	sleep_ms(50);
	assert_false(exists(fx.marker));

	/* once it has exited the lock is free and a cleanup may start */
	wait_for_unlock();
	assert_false(lock_held());
	assert_int_equal(cleanup_periodic(fx.state, 10, NULL, &started), 0);
	assert_true(started);
	assert_true(wait_for_marker());
	assert_true(stamp_age() <= 2);
	wait_for_unlock();
}

static void test_period_zero(void **state)
{
	bool started = true;

	unlink(fx.stamp);
	unlink(fx.marker);
	assert_int_equal(cleanup_periodic(fx.state, 0, NULL, &started), 0);
	assert_false(started);
	assert_false(exists(fx.stamp));

	/* an old stamp does not matter either */
	assert_int_equal(cleanup_periodic(fx.state, 10, NULL, &started), 0);
	set_stamp_age(24 * 3600);
	assert_int_equal(cleanup_periodic(fx.state, 0, NULL, &started), 0);
	assert_false(started);
	assert_not_started();
	assert_true(stamp_age() >= 24 * 3600);
}

static void test_missing_smbstatus(void **state)
{
	bool started = true;

	unlink(fx.marker);
	setenv("PATH", "/nonexistent", 1);
	set_stamp_age(11 * 60);
	assert_int_equal(cleanup_periodic(fx.state, 10, NULL, &started),
			 ENOENT);
	assert_false(started);
	/* not touched: the next run tries again */
	assert_true(stamp_age() >= 11 * 60);
	/* and the lock was given back */
	assert_false(lock_held());
	setenv("PATH", talloc_asprintf(fx.state, "%s:%s", fx.bin,
				       fx.old_path), 1);
}

static void test_missing_state_dir(void **state)
{
	bool started = true;
	char *missing = talloc_asprintf(fx.state, "%s/nope", fx.dir);

	assert_int_equal(cleanup_periodic(missing, 10, NULL, &started), ENOENT);
	assert_false(started);
	assert_false(exists(missing));
}

static void test_deadline(void **state)
{
	struct deadline dl;
	bool started = true;
	int64_t t0;

	unlink(fx.marker);
	wait_for_unlock();
	set_stamp_age(11 * 60);

	/* the run's deadline has passed: nothing is started, and the
	 * stamp is left for the next run */
	dl.end_ms = util_now_ms() - 1;
	dl.seconds = 10;
	assert_int_equal(cleanup_periodic(fx.state, 10, &dl, &started),
			 ETIMEDOUT);
	assert_false(started);
	assert_true(stamp_age() >= 11 * 60);
	assert_false(lock_held());
	assert_not_started();

	/* with time left it starts, and returns well within that time */
	deadline_init(&dl, 1);
	t0 = util_now_ms();
	assert_int_equal(cleanup_periodic(fx.state, 10, &dl, &started), 0);
	assert_true(util_now_ms() - t0 < 1000);
	assert_true(started);
	assert_true(wait_for_marker());
	assert_true(stamp_age() <= 2);
	wait_for_unlock();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_run_creates_stamp),
		cmocka_unit_test(test_old_stamp_starts_smbstatus),
		cmocka_unit_test(test_period_zero),
		cmocka_unit_test(test_missing_smbstatus),
		cmocka_unit_test(test_missing_state_dir),
		cmocka_unit_test(test_deadline),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
