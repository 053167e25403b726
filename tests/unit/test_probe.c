/*
 * Unit tests for checks/probe.c: many bounded probe children over one
 * pipe, their findings in frames, late and failed children, and the
 * fork-safety check of jobs that allocate.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "checks/probe.h"

/* The deadline of the cases that wait for a late child. */
#define LATE_MS 150

/* No child of ours is left unreaped. */
static void assert_no_children(void)
{
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

/* Writes "N:" and then N times the letter 'a' + N % 26. */
static int write_numbered(struct probe_sink *sink, void *private_data)
{
	size_t n = (size_t)(uintptr_t)private_data;
	char head[32];
	char buf[512];
	int ret;

	snprintf(head, sizeof(head), "%zu:", n);
	ret = probe_write(sink, head, strlen(head));
	memset(buf, 'a' + (int)(n % 26), sizeof(buf));
	while (ret == 0 && n > 0) {
		size_t k = n < sizeof(buf) ? n : sizeof(buf);

		ret = probe_write(sink, buf, k);
		n -= k;
	}
	return ret;
}

static int write_nothing(struct probe_sink *sink, void *private_data)
{
	return 0;
}

static int fail_after_writing(struct probe_sink *sink,
			      void *private_data)
{
	(void)probe_write(sink, "partial", 7);
	return 1;
}

static int die_after_writing(struct probe_sink *sink,
			     void *private_data)
{
	(void)probe_write(sink, "partial", 7);
	(void)kill(getpid(), SIGKILL);
	return 0;
}

static int write_too_much(struct probe_sink *sink, void *private_data)
{
	static char buf[65536];
	size_t left = PROBE_MAX_OUTPUT + 1;

	while (left > 0) {
		size_t k = left < sizeof(buf) ? left : sizeof(buf);
		int ret = probe_write(sink, buf, k);

		if (ret != 0) {
			return ret;
		}
		left -= k;
	}
	return 0;
}

static int write_forever(struct probe_sink *sink, void *private_data)
{
	static const char buf[4096];

	for (;;) {
		if (probe_write(sink, buf, sizeof(buf)) != 0) {
			return 1;
		}
	}
	return 0;
}

/* '1' when SIGCHLD is blocked in the child, else '0'. */
static int report_mask(struct probe_sink *sink, void *private_data)
{
	sigset_t now;
	char c;

	(void)sigprocmask(SIG_SETMASK, NULL, &now);
	c = sigismember(&now, SIGCHLD) ? '1' : '0';
	return probe_write(sink, &c, 1);
}

static int sleep_forever(struct probe_sink *sink, void *private_data)
{
	for (;;) {
		pause();
	}
	return 0;
}

/* Late on purpose, then more than a pipe holds. */
static int late_then_write(struct probe_sink *sink, void *private_data)
{
	poll(NULL, 0, 3 * LATE_MS);
	return write_forever(sink, private_data);
}

/* Complete, but with a thread stuck (as it would say): leave me. */
static int complete_leave(struct probe_sink *sink, void *private_data)
{
	int ret = probe_write(sink, "kept", 4);

	return ret == 0 ? PROBE_COMPLETE_LEAVE : ret;
}

/*
 * Reap a child a probe left (@p pid, or any with -1), unless the probe
 * reaped it: one gone before its closing frame was read is reaped.
 */
static void reap_left(pid_t pid)
{
	int wst = 0;
	pid_t r = waitpid(pid, &wst, 0);

	if (r == -1) {
		assert_int_equal(errno, ECHILD);
		return;
	}
	assert_true(r > 0);
	/* it ended by itself, not by a signal */
	assert_true(WIFEXITED(wst));
	assert_int_equal(WEXITSTATUS(wst), 0);
}

/*
 * A child that completes with PROBE_COMPLETE_LEAVE hands back its
 * findings and is not waited for (a thread of a real one is stuck in
 * the kernel, so it could not be reaped yet), nor killed, even by
 * probe_run().
 */
static void test_complete_leave(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct probe_job job = { .fn = complete_leave };
	struct deadline dl;
	char *out = NULL;

	deadline_init_ms(&dl, 10000);
	assert_int_equal(probe_run_many(ctx, &job, 1, &dl, true), 0);
	assert_int_equal(job.state, PROBE_DONE);
	assert_string_equal(job.out, "kept");
	assert_true(job.pid > 0);
	reap_left(job.pid);
	assert_no_children();

	assert_int_equal(probe_run(ctx, complete_leave, NULL, false, &dl,
				   &out, NULL), 0);
	assert_string_equal(out, "kept");
	reap_left(-1);
	assert_no_children();
	talloc_free(ctx);
}

/* Many children at once, outputs of every size, none mixed up. */
static void test_many_outputs(void **state)
{
	static const size_t sizes[] = { 0, 1, 4087, 4088, 4089, 100000, 7 };
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct probe_job jobs[7];
	struct deadline dl;
	size_t i;
	size_t k;

	for (i = 0; i < 7; i++) {
		jobs[i] = (struct probe_job) {
			.fn = write_numbered,
			.private_data = (void *)(uintptr_t)sizes[i],
		};
	}
	deadline_init_ms(&dl, 5000);
	assert_int_equal(probe_run_many(ctx, jobs, 7, &dl, true), 0);
	for (i = 0; i < 7; i++) {
		char head[32];
		size_t hl;

		snprintf(head, sizeof(head), "%zu:", sizes[i]);
		hl = strlen(head);
		assert_int_equal(jobs[i].state, PROBE_DONE);
		assert_int_equal(jobs[i].outlen, hl + sizes[i]);
		assert_int_equal(strlen(jobs[i].out), jobs[i].outlen);
		assert_memory_equal(jobs[i].out, head, hl);
		for (k = hl; k < jobs[i].outlen; k++) {
			if (jobs[i].out[k] != 'a' + (int)(sizes[i] % 26)) {
				break;
			}
		}
		assert_int_equal(k, jobs[i].outlen);
		assert_ptr_equal(talloc_parent(jobs[i].out), ctx);
	}
	assert_no_children();

	/*
	 * SIGCHLD is held back while the children are forked, and only
	 * then: neither they nor the caller are left with it blocked.
	 */
	{
		char *out = NULL;
		sigset_t now;

		assert_int_equal(probe_run(ctx, report_mask, NULL, false, &dl,
					   &out, NULL),
				 0);
		assert_string_equal(out, "0");
		assert_int_equal(sigprocmask(SIG_SETMASK, NULL, &now), 0);
		assert_false(sigismember(&now, SIGCHLD));
	}

	/* no jobs: nothing to do */
	assert_int_equal(probe_run_many(ctx, jobs, 0, &dl, true), 0);
	talloc_free(ctx);
}

/* Children that end without completing fail; the others are fine. */
static void test_failures(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct probe_job jobs[] = {
		{ .fn = fail_after_writing },
		{ .fn = die_after_writing },
		{ .fn = write_too_much },
		{ .fn = write_nothing },
	};
	struct deadline dl;
	size_t i;
	char *out = NULL;
	size_t len = 99;

	deadline_init_ms(&dl, 5000);
	assert_int_equal(probe_run_many(ctx, jobs, 4, &dl, true), 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(jobs[i].state, PROBE_FAILED);
		assert_null(jobs[i].out);
	}
	assert_int_equal(jobs[3].state, PROBE_DONE);
	assert_string_equal(jobs[3].out, "");
	assert_int_equal(jobs[3].outlen, 0);
	assert_no_children();

	/* the same through probe_run() */
	assert_int_equal(probe_run(ctx, fail_after_writing, NULL, false, &dl,
				   &out, &len),
			 EIO);
	assert_null(out);
	assert_int_equal(len, 0);
	assert_int_equal(probe_run(ctx, write_numbered, (void *)(uintptr_t)3,
				   false, &dl, &out, &len),
			 0);
	assert_string_equal(out, "3:ddd");
	assert_int_equal(len, 5);
	assert_no_children();
	talloc_free(ctx);
}

/*
 * A late child: left running without kill_late (and reported with its
 * PID), killed with it; the others' answers are kept either way.
 */
static void test_late(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct probe_job jobs[] = {
		{ .fn = sleep_forever },
		{ .fn = write_numbered, .private_data = (void *)(uintptr_t)2 },
	};
	struct deadline dl;
	int64_t t0, took;
	char *out = NULL;
	int wst = 0;
	int ret;

	deadline_init_ms(&dl, LATE_MS);
	t0 = util_now_ms();
	assert_int_equal(probe_run_many(ctx, jobs, 2, &dl, false), 0);
	took = util_now_ms() - t0;
	assert_true(took >= LATE_MS - 10);
	assert_true(took < LATE_MS + 300);
	assert_int_equal(jobs[0].state, PROBE_LATE);
	assert_true(jobs[0].pid > 0);
	assert_int_equal(jobs[1].state, PROBE_DONE);
	assert_string_equal(jobs[1].out, "2:cc");
	/* left running, not killed, not reaped */
	assert_int_equal(waitpid(jobs[0].pid, NULL, WNOHANG), 0);
	assert_int_equal(kill(jobs[0].pid, SIGKILL), 0);
	assert_int_equal(waitpid(jobs[0].pid, &wst, 0), jobs[0].pid);
	assert_no_children();

	/* probe_run() kills a late child, and leaves it to us */
	deadline_init_ms(&dl, LATE_MS);
	assert_int_equal(probe_run(ctx, sleep_forever, NULL, false, &dl, &out,
				   NULL),
			 ETIMEDOUT);
	assert_null(out);
	assert_true(waitpid(-1, &wst, 0) > 0);
	assert_true(WIFSIGNALED(wst));
	assert_int_equal(WTERMSIG(wst), SIGKILL);
	assert_no_children();

	/*
	 * Bug: a child that never stopped writing kept the parent reading
	 * past the deadline (and growing its buffer by one frame at a
	 * time, quadratic).  It fails or is late, in time.
	 */
	deadline_init_ms(&dl, LATE_MS);
	t0 = util_now_ms();
	ret = probe_run(ctx, write_forever, NULL, false, &dl, &out, NULL);
	took = util_now_ms() - t0;
	assert_true(ret == ETIMEDOUT || ret == EIO);
	assert_true(took < LATE_MS + 300);
	assert_null(out);
	/* killed: reaped here, unless it was already gone in time */
	(void)waitpid(-1, &wst, 0);
	assert_no_children();
	talloc_free(ctx);
}

/* A deadline already passed still gives answers PROBE_GRACE_MS. */
/*
 * A late child that writes after the parent has stopped reading must
 * end (EPIPE, SIGPIPE), not wait for ever on a full pipe: it must not
 * hold the reading end itself (20,000 share probes of an old version
 * hung so for good).
 */
static void test_late_writer_ends(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct probe_job job = { .fn = late_then_write };
	struct deadline dl;
	int64_t t0;
	pid_t got = 0;

	deadline_init_ms(&dl, LATE_MS);
	assert_int_equal(probe_run_many(ctx, &job, 1, &dl, false), 0);
	assert_int_equal(job.state, PROBE_LATE);
	t0 = util_now_ms();
	while (got == 0 && util_now_ms() - t0 < 5000) {
		got = waitpid(job.pid, NULL, WNOHANG);
		if (got == 0) {
			poll(NULL, 0, 10);
		}
	}
	if (got == 0) {
		(void)kill(job.pid, SIGKILL);
		(void)waitpid(job.pid, NULL, 0);
		fail_msg("the late writer still runs after 5 s");
	}
	assert_int_equal(got, job.pid);
	assert_no_children();
	talloc_free(ctx);
}

static void test_grace(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct deadline dl = { .end_ms = util_now_ms() - 5000, .seconds = 1 };
	char *out = NULL;
	int64_t t0 = util_now_ms();

	assert_int_equal(probe_run(ctx, write_numbered, (void *)(uintptr_t)1,
				   false, &dl, &out, NULL),
			 0);
	assert_string_equal(out, "1:b");
	assert_true(util_now_ms() - t0 < PROBE_GRACE_MS + 50);
	assert_no_children();
	talloc_free(ctx);
}

static void *thread_wait(void *arg)
{
	int *fd = arg;
	char c;

	/* returns at EOF or on an error alike: either ends the wait */
	if (read(*fd, &c, 1) < 0) {
		return NULL;
	}
	return NULL;
}

/*
 * The fork-safety rule: a job that allocates in the child is refused
 * while the process has another thread; an async-signal-safe one runs.
 */
static void test_needs_heap(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct deadline dl;
	pthread_t t;
	char *out = NULL;
	int pfd[2];

	deadline_init_ms(&dl, 5000);
	/* one thread: allowed */
	assert_int_equal(probe_run(ctx, write_numbered, (void *)(uintptr_t)1,
				   true, &dl, &out, NULL),
			 0);
	assert_string_equal(out, "1:b");

	assert_int_equal(pipe(pfd), 0);
	assert_int_equal(pthread_create(&t, NULL, thread_wait, &pfd[0]), 0);
	assert_int_equal(probe_run(ctx, write_numbered, (void *)(uintptr_t)1,
				   true, &dl, &out, NULL),
			 EDEADLK);
	assert_null(out);
	/* nothing was started */
	assert_no_children();
	assert_int_equal(probe_run(ctx, write_numbered, (void *)(uintptr_t)1,
				   false, &dl, &out, NULL),
			 0);
	assert_string_equal(out, "1:b");

	assert_int_equal(write(pfd[1], "x", 1), 1);
	assert_int_equal(pthread_join(t, NULL), 0);
	close(pfd[0]);
	close(pfd[1]);
	assert_no_children();
	talloc_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_many_outputs),
		cmocka_unit_test(test_failures),
		cmocka_unit_test(test_late),
		cmocka_unit_test(test_complete_leave),
		cmocka_unit_test(test_late_writer_ends),
		cmocka_unit_test(test_grace),
		cmocka_unit_test(test_needs_heap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
