/*
 * Unit tests for checks/winbind.c.
 *
 * With libwbclient: a winbindd that never answers cannot be faked
 * through the socket directory (libwbclient ignores WINBINDD_SOCKET_DIR;
 * it honours SELFTEST_WINBINDD_SOCKET_DIR only when nss_wrapper is
 * loaded), so this file interposes wbcCtxPing(): a definition in the
 * executable wins over the shared library's.  The fake hangs, answers,
 * or passes the call on to the real libwbclient.
 *
 * Without libwbclient: a stub wbinfo first on PATH.
 */
#include <errno.h>
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

#include "checks/util.h"
#include "checks/winbind.h"

#define REAL_SOCKET "/run/samba/winbindd/pipe"

#ifdef HAVE_WBCLIENT

#include <dlfcn.h>
#include <poll.h>

#include <wbclient.h>

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
	}
}

enum fake_mode { FAKE_REAL, FAKE_HANG, FAKE_ANSWER };

static volatile enum fake_mode fake_mode = FAKE_REAL;
static int fake_release[2] = { -1, -1 };	/* write to end a hang */
static volatile int fake_finished;

wbcErr wbcCtxPing(struct wbcContext *ctx);

wbcErr wbcCtxPing(struct wbcContext *ctx)
{
	wbcErr (*real)(struct wbcContext *) = NULL;
	struct pollfd pfd;

	switch (fake_mode) {
	case FAKE_ANSWER:
		return WBC_ERR_SUCCESS;
	case FAKE_HANG:
		/* a winbindd that takes the request and never answers */
		pfd.fd = fake_release[0];
		pfd.events = POLLIN;
		(void)poll(&pfd, 1, 10000);
		__atomic_store_n(&fake_finished, 1, __ATOMIC_SEQ_CST);
		return WBC_ERR_WINBIND_NOT_AVAILABLE;
	case FAKE_REAL:
		break;
	}
	real = (wbcErr(*)(struct wbcContext *))dlsym(RTLD_NEXT, "wbcCtxPing");
	if (real == NULL) {
		return WBC_ERR_NOT_IMPLEMENTED;
	}
	return real(ctx);
}

static void test_hung_winbindd(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct deadline dl;
	char *detail = NULL;
	bool alive = true;
	int64_t t0;
	int64_t took;
	int i;

	assert_int_equal(pipe(fake_release), 0);
	fake_finished = 0;
	fake_mode = FAKE_HANG;

	/* 150 ms: the message rounds it up to 1 s */
	deadline_init_ms(&dl, 150);
	t0 = util_now_ms();
	assert_int_equal(winbind_ping(ctx, &dl, &alive, &detail), 0);
	took = util_now_ms() - t0;
	assert_false(alive);
	assert_non_null(detail);
	assert_string_equal(detail, "no answer from winbindd in 1 s");
	assert_ptr_equal(talloc_parent(detail), ctx);
	print_message("hung winbindd: answer after %lld ms\n",
		      (long long)took);
	assert_true(took >= 140);
	assert_true(took < 650);
	/* the abandoned thread is still stuck */
	assert_int_equal(__atomic_load_n(&fake_finished, __ATOMIC_SEQ_CST),
			 0);

	/* the caller's memory goes away while the thread still runs */
	talloc_free(ctx);

	/* let the thread finish: it must only touch its shared state
	 * (valgrind checks that) */
	assert_int_equal(write(fake_release[1], "x", 1), 1);
	for (i = 0; i < 400 && !__atomic_load_n(&fake_finished,
						  __ATOMIC_SEQ_CST); i++) {
		sleep_ms(5);
	}
	assert_int_equal(fake_finished, 1);
	/* and let it drop its reference (microseconds) */
	sleep_ms(30);
	close(fake_release[0]);
	close(fake_release[1]);
	fake_mode = FAKE_REAL;
}

static void test_expired_deadline(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct deadline dl;
	char *detail = NULL;
	bool alive = true;
	int64_t t0;

	assert_int_equal(pipe(fake_release), 0);
	fake_finished = 0;
	fake_mode = FAKE_HANG;
	deadline_init(&dl, 0);
	t0 = util_now_ms();
	assert_int_equal(winbind_ping(ctx, &dl, &alive, &detail), 0);
	assert_true(util_now_ms() - t0 < 200);
	assert_false(alive);
	assert_string_equal(detail, "no answer from winbindd in 0 s");
	assert_int_equal(write(fake_release[1], "x", 1), 1);
	while (!__atomic_load_n(&fake_finished, __ATOMIC_SEQ_CST)) {
		sleep_ms(5);
	}
	sleep_ms(30);
	close(fake_release[0]);
	close(fake_release[1]);
	fake_mode = FAKE_REAL;
	talloc_free(ctx);
}

static void test_answering_winbindd(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct deadline dl;
	char *detail = NULL;
	bool alive = false;

	fake_mode = FAKE_ANSWER;
	deadline_init(&dl, 5);
	assert_int_equal(winbind_ping(ctx, &dl, &alive, &detail), 0);
	assert_true(alive);
	assert_non_null(detail);
	/* detail may be NULL */
	alive = false;
	assert_int_equal(winbind_ping(ctx, &dl, &alive, NULL), 0);
	assert_true(alive);
	fake_mode = FAKE_REAL;
	talloc_free(ctx);
}

#define NOT_RUNNING_WORD "WBC_ERR_WINBIND_NOT_AVAILABLE"

#else /* !HAVE_WBCLIENT */

/* A stub wbinfo first on PATH: FAKE_WBINFO=hang|ok|fail */
static char stub_dir[] = "/tmp/test_winbind.XXXXXX";
static char *old_path;

static int setup_stub(void **state)
{
	char stub[128];
	char newpath[4096];
	FILE *f = NULL;
	const char *p = getenv("PATH");

	if (mkdtemp(stub_dir) == NULL) {
		return -1;
	}
	old_path = strdup(p != NULL ? p : "/usr/bin:/bin");
	snprintf(stub, sizeof(stub), "%s/wbinfo", stub_dir);
	f = fopen(stub, "w");
	if (f == NULL) {
		return -1;
	}
	fprintf(f, "#!/bin/sh\n"
		   "[ \"$1\" = -p ] || { echo bad usage >&2; exit 2; }\n"
		   "case \"$FAKE_WBINFO\" in\n"
		   "hang) exec sleep 10 ;;\n"
		   "ok) echo 'Ping to winbindd succeeded'; exit 0 ;;\n"
		   "*) echo 'could not ping winbindd!' >&2; exit 1 ;;\n"
		   "esac\n");
	fclose(f);
	chmod(stub, 0755);
	snprintf(newpath, sizeof(newpath), "%s:%s", stub_dir, old_path);
	setenv("PATH", newpath, 1);
	return 0;
}

static int teardown_stub(void **state)
{
	char stub[128];

	snprintf(stub, sizeof(stub), "%s/wbinfo", stub_dir);
	unlink(stub);
	rmdir(stub_dir);
	setenv("PATH", old_path, 1);
	free(old_path);
	return 0;
}

static void test_hung_winbindd(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct deadline dl;
	char *detail = NULL;
	bool alive = true;
	int64_t t0;
	int64_t took;

	setenv("FAKE_WBINFO", "hang", 1);
	deadline_init_ms(&dl, 150);
	t0 = util_now_ms();
	assert_int_equal(winbind_ping(ctx, &dl, &alive, &detail), 0);
	took = util_now_ms() - t0;
	assert_false(alive);
	assert_non_null(detail);
	assert_true(took >= 140);
	assert_true(took < 650);
	unsetenv("FAKE_WBINFO");
	talloc_free(ctx);
}

static void test_answering_winbindd(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct deadline dl;
	char *detail = NULL;
	bool alive = false;

	setenv("FAKE_WBINFO", "ok", 1);
	deadline_init(&dl, 5);
	assert_int_equal(winbind_ping(ctx, &dl, &alive, &detail), 0);
	assert_true(alive);
	assert_non_null(strstr(detail, "succeeded"));
	setenv("FAKE_WBINFO", "fail", 1);
	assert_int_equal(winbind_ping(ctx, &dl, &alive, &detail), 0);
	assert_false(alive);
	assert_non_null(strstr(detail, "could not ping"));
	unsetenv("FAKE_WBINFO");
	talloc_free(ctx);
}

#define NOT_RUNNING_WORD "could not ping"

#endif /* HAVE_WBCLIENT */

/* The machine's own winbindd (or its absence): nothing is faked */
static void test_no_winbindd(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct deadline dl;
	char *detail = NULL;
	bool alive = true;
	struct stat st;
	int64_t t0;

	if (stat(REAL_SOCKET, &st) == 0) {
		print_message("skipped: a winbindd socket exists at "
			      REAL_SOCKET "\n");
		talloc_free(ctx);
		skip();
	}
#ifndef HAVE_WBCLIENT
	teardown_stub(state);
#endif
	deadline_init(&dl, 5);
	t0 = util_now_ms();
	assert_int_equal(winbind_ping(ctx, &dl, &alive, &detail), 0);
	assert_false(alive);
	assert_true(util_now_ms() - t0 < 1000);
	assert_non_null(detail);
	print_message("no winbindd: %s\n", detail);
	assert_non_null(strstr(detail, NOT_RUNNING_WORD));
	talloc_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hung_winbindd),
#ifdef HAVE_WBCLIENT
		cmocka_unit_test(test_expired_deadline),
#endif
		cmocka_unit_test(test_answering_winbindd),
		cmocka_unit_test(test_no_winbindd),
	};

#ifdef HAVE_WBCLIENT
	return cmocka_run_group_tests(tests, NULL, NULL);
#else
	return cmocka_run_group_tests(tests, setup_stub, NULL);
#endif
}
