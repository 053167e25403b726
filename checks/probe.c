/*
 * Bounded looks at the file system in forked children (spec 3.5).
 *
 * All the children of a set write to one pipe, in frames of at most
 * PIPE_BUF bytes (a write that small is atomic, so frames never mix):
 * "INDEX LEN" (two uint32_t) and LEN bytes of findings.  A child whose
 * work is complete ends with a frame of length PROBE_FRAME_DONE, or
 * PROBE_FRAME_LEAVE when a thread of it stays stuck (it cannot exit
 * yet, and is not waited for).  The parent trusts the pipe, not the
 * exit status (tools such as valgrind rewrite a child's exit status):
 * a child that exits without that frame did not finish.  One pipe serves hundreds of probes without hundreds
 * of descriptors.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include "checks/probe.h"
#include "checks/run.h"

/* The lengths of the frames that say "complete" (and "leave me"). */
#define PROBE_FRAME_DONE UINT32_MAX
#define PROBE_FRAME_LEAVE (UINT32_MAX - 1)
/* How often, at most, we look for exits (answers wake us at once). */
#define PROBE_POLL_MAX_MS 20
/* What the parent reads at once. */
#define PROBE_READ_SIZE 65536

struct probe_frame {
	uint32_t index;
	uint32_t len;
};

/* The buffer and both headers fit one atomic pipe write. */
_Static_assert(PROBE_SINK_BUF + 2 * sizeof(struct probe_frame) <= PIPE_BUF,
	       "a flush must be one atomic write");

/*
 * Write the buffered findings of @p sink as one frame and, unless
 * @p closing is 0, the closing frame of that length after them: one
 * writev() of at most PIPE_BUF bytes, which a blocking pipe takes
 * whole or not at all (EINTR), never in part.
 */
static int probe_flush(struct probe_sink *sink, uint32_t closing)
{
	struct probe_frame data = {
		.index = sink->index, .len = (uint32_t)sink->len,
	};
	struct probe_frame end = {
		.index = sink->index, .len = closing,
	};
	struct iovec iov[3];
	size_t total = 0;
	int n = 0;
	ssize_t w;

	if (sink->len > 0) {
		iov[n++] = (struct iovec) { &data, sizeof(data) };
		iov[n++] = (struct iovec) { sink->buf, sink->len };
	}
	if (closing != 0) {
		iov[n++] = (struct iovec) { &end, sizeof(end) };
	}
	if (n == 0) {
		return 0;
	}
	for (w = 0; w < n; w++) {
		total += iov[w].iov_len;
	}
	do {
		w = writev(sink->fd, iov, n);
	} while (w < 0 && errno == EINTR);
	if (w < 0) {
		return errno;
	}
	sink->len = 0;
	return (size_t)w == total ? 0 : EIO;
}

int probe_write_frame(const struct probe_sink *sink, const void *buf,
		      size_t len)
{
	struct probe_frame head = {
		.index = sink->index, .len = (uint32_t)len,
	};
	struct iovec iov[2] = {
		{ &head, sizeof(head) },
		{ (void *)(uintptr_t)buf, len },
	};
	ssize_t w;

	if (len == 0 || len > PROBE_SINK_BUF) {
		return EINVAL;
	}
	do {
		w = writev(sink->fd, iov, 2);
	} while (w < 0 && errno == EINTR);
	if (w < 0) {
		return errno;
	}
	return (size_t)w == sizeof(head) + len ? 0 : EIO;
}

int probe_write(struct probe_sink *sink, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		size_t room = sizeof(sink->buf) - sink->len;
		size_t n = len < room ? len : room;
		int ret;

		memcpy(sink->buf + sink->len, p, n);
		sink->len += n;
		p += n;
		len -= n;
		if (sink->len == sizeof(sink->buf)) {
			ret = probe_flush(sink, 0);
			if (ret != 0) {
				return ret;
			}
		}
	}
	return 0;
}

/*
 * The end of a wait that starts now: the deadline, but never less than
 * PROBE_GRACE_MS from now.
 */
static int64_t probe_end_ms(const struct deadline *dl)
{
	int64_t min_end = util_now_ms() + PROBE_GRACE_MS;

	return dl->end_ms > min_end ? dl->end_ms : min_end;
}

/*
 * The fork-safety rule of probe_fn, checked: true when this process has
 * one thread (/proc/self/task links "." , ".." and one directory per
 * thread).  Without /proc it cannot be told: then true.
 */
static bool probe_single_threaded(void)
{
	struct stat sb;

	if (stat("/proc/self/task", &sb) != 0) {
		return true;
	}
	return sb.st_nlink <= 3;
}

/*
 * In the child: stdio on /dev/null (a probe stuck for ever must not
 * hold the caller's output pipes open: "ctdb checksamba | cat" would
 * never end), the work, the closing frame.  Never returns.
 */
static void probe_child(struct probe_sink *sink, int devnull,
			const struct probe_job *job)
{
	int fd;
	int ret;

	for (fd = 0; fd <= 2; fd++) {
		/* dup2 clears close-on-exec on the copy; there is no exec */
		while (fd != devnull && dup2(devnull, fd) < 0 &&
		       errno == EINTR) {
			;
		}
	}
	ret = job->fn(sink, job->private_data);
	if (ret == 0 || ret == PROBE_COMPLETE_LEAVE) {
		/* what is buffered, and "complete", in one write */
		ret = probe_flush(sink, ret == 0 ? PROBE_FRAME_DONE :
				  PROBE_FRAME_LEAVE);
	}
	/* no exit(): the caller's stdio buffers and atexit work are not ours */
	_exit(ret == 0 ? 0 : 1);
}

/* What the parent knows of one started job. */
struct probe_slot {
	bool running;		/* started, neither reaped nor given up */
	bool done;		/* the closing frame came */
	bool failed;
	char *buf;
	size_t len;
	size_t cap;		/* room in buf, for len and a NUL */
};

/* Add one data frame's findings to @p s; too much fails the job. */
static int probe_slot_add(TALLOC_CTX *mem_ctx, struct probe_slot *s,
			  pid_t pid, const char *data, size_t len)
{
	if (s->len + len > PROBE_MAX_OUTPUT) {
		s->failed = true;
		(void)kill(pid, SIGKILL);
		return 0;
	}
	if (s->len + len + 1 > s->cap) {
		/* doubling: 16 MiB in 4 KiB frames is not quadratic */
		size_t cap = s->cap > 0 ? s->cap : 256;
		char *grown = NULL;

		while (cap < s->len + len + 1) {
			cap *= 2;
		}
		grown = talloc_realloc(mem_ctx, s->buf, char, cap);
		if (grown == NULL) {
			return ENOMEM;
		}
		s->buf = grown;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, data, len);
	s->len += len;
	return 0;
}

/* The state of the set's reading end. */
struct probe_reader {
	int fd;
	bool eof;		/* every writer has closed it */
	char *buf;		/* PROBE_READ_SIZE bytes */
	size_t len;		/* the start of a frame not yet complete */
};

/*
 * Read every frame waiting in the pipe (until @p end_ms at most) and
 * hand it to its job.
 * @return 0, or ENOMEM
 */
static int probe_read_frames(TALLOC_CTX *mem_ctx, struct probe_reader *rd,
			     struct probe_job *jobs, struct probe_slot *slots,
			     size_t njobs, int64_t end_ms)
{
	for (;;) {
		size_t off = 0;
		ssize_t n;

		if (util_now_ms() >= end_ms) {
			/* a child that never stops writing: enough */
			return 0;
		}

		n = read(rd->fd, rd->buf + rd->len, PROBE_READ_SIZE - rd->len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n == 0) {
			rd->eof = true;
		}
		if (n <= 0) {
			return 0;
		}
		rd->len += (size_t)n;
		while (rd->len - off >= sizeof(struct probe_frame)) {
			struct probe_frame f;
			size_t dlen;
			struct probe_slot *s = NULL;
			int ret = 0;

			memcpy(&f, rd->buf + off, sizeof(f));
			dlen = f.len == PROBE_FRAME_DONE ||
			       f.len == PROBE_FRAME_LEAVE ? 0 : f.len;
			if (rd->len - off - sizeof(f) < dlen) {
				break;
			}
			if (f.index < njobs) {
				s = &slots[f.index];
			}
			if (s != NULL && !s->done && !s->failed) {
				if (f.len == PROBE_FRAME_DONE) {
					s->done = true;
				} else if (f.len == PROBE_FRAME_LEAVE) {
					/* complete; its end is not ours
					 * to wait for */
					s->done = true;
					s->running = false;
				} else {
					ret = probe_slot_add(
						mem_ctx, s, jobs[f.index].pid,
						rd->buf + off + sizeof(f),
						dlen);
				}
			}
			if (ret != 0) {
				return ret;
			}
			off += sizeof(f) + dlen;
		}
		memmove(rd->buf, rd->buf + off, rd->len - off);
		rd->len -= off;
	}
}

/*
 * Reap every running child that has exited.  A child reaped without
 * its closing frame failed, unless the frame is still in the pipe: so
 * the caller reads after reaping, and judges after reading.
 */
static void probe_reap_all(struct probe_job *jobs, struct probe_slot *slots,
			   size_t njobs)
{
	size_t i;

	for (i = 0; i < njobs; i++) {
		if (slots[i].running &&
		    run_reap(jobs[i].pid, 0, NULL) != ETIMEDOUT) {
			slots[i].running = false;
		}
	}
}

/*
 * How many children still run: neither reaped nor done with
 * PROBE_FRAME_LEAVE (those are not waited for).
 */
static size_t probe_running(const struct probe_slot *slots, size_t njobs)
{
	size_t running = 0;
	size_t i;

	for (i = 0; i < njobs; i++) {
		running += slots[i].running ? 1 : 0;
	}
	return running;
}

/*
 * Fork one child per job.
 * @return 0, or the errno of the fork that failed (later jobs are left
 *         PROBE_NOT_STARTED)
 */
static int probe_start_all(struct probe_job *jobs, struct probe_slot *slots,
			   size_t njobs, int pfd[2], int devnull)
{
	sigset_t chld;
	sigset_t old;
	size_t i;
	int ret = 0;

	/*
	 * A child that exits while we fork the next one makes that fork
	 * start over (SIGCHLD pending): with hundreds of quick probes,
	 * most forks would be done twice.  SIGCHLD waits until all are
	 * forked (its default action is to be ignored: nothing is lost).
	 */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	(void)sigprocmask(SIG_BLOCK, &chld, &old);
	for (i = 0; i < njobs; i++) {
		pid_t pid = fork();

		if (pid == -1) {
			ret = errno;
			break;
		}
		if (pid == 0) {
			/* the child's own, on its own stack; buf is not
			 * cleared: a probe child should cost next to
			 * nothing */
			struct probe_sink sink;

			sink.fd = pfd[1];
			sink.index = (uint32_t)i;
			sink.len = 0;
			/*
			 * The reading end is the parent's alone: a child
			 * holding it would, once the parent has gone, fill
			 * the pipe and wait for ever instead of getting
			 * EPIPE.
			 */
			close(pfd[0]);
			(void)sigprocmask(SIG_SETMASK, &old, NULL);
			probe_child(&sink, devnull, &jobs[i]);
		}
		jobs[i].pid = pid;
		slots[i].running = true;
	}
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	return ret;
}

/*
 * A descriptor that becomes readable when @p pid has ended (Linux 5.3
 * and later), or -1.
 */
static int probe_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	return -1;
#endif
}

/*
 * Until every child has answered and been reaped, or @p end_ms: reap
 * first, then read, so that the answer of a child reaped in this round
 * is read in this round too.  While a single child runs (the usual
 * case) its end wakes us at once, through a pidfd; otherwise exits are
 * looked for at growing intervals.
 * @return 0, or ENOMEM
 */
static int probe_collect(TALLOC_CTX *mem_ctx, struct probe_reader *rd,
			 struct probe_job *jobs, struct probe_slot *slots,
			 size_t njobs, int64_t end_ms)
{
	pid_t watched = 0;
	int pidfd = -1;
	int wait_ms = 1;
	int ret = 0;

	for (;;) {
		struct pollfd p[2];
		size_t running;
		int64_t left;
		nfds_t n = 0;
		size_t i;

		probe_reap_all(jobs, slots, njobs);
		ret = probe_read_frames(mem_ctx, rd, jobs, slots, njobs,
					end_ms);
		if (ret != 0) {
			break;
		}
		running = probe_running(slots, njobs);
		left = end_ms - util_now_ms();
		if (running == 0 || left <= 0) {
			break;
		}
		for (i = 0; running == 1 && i < njobs; i++) {
			if (slots[i].running && jobs[i].pid != watched) {
				util_close(&pidfd);
				watched = jobs[i].pid;
				pidfd = probe_pidfd(watched);
			}
		}
		if (!rd->eof) {
			p[n++] = (struct pollfd) {
				.fd = rd->fd, .events = POLLIN,
			};
		}
		if (running == 1 && pidfd >= 0) {
			p[n++] = (struct pollfd) {
				.fd = pidfd, .events = POLLIN,
			};
		} else if (rd->eof) {
			/* the children are exiting: look again soon */
			left = 1;
		} else if (left > wait_ms) {
			/* an answer wakes us at once; exits are polled */
			left = wait_ms;
		}
		(void)poll(n > 0 ? p : NULL, n, (int)left);
		if (wait_ms < PROBE_POLL_MAX_MS) {
			wait_ms *= 2;
		}
	}
	util_close(&pidfd);
	return ret;
}

/* Each job's outcome from its slot; late ones killed if asked. */
static void probe_judge(TALLOC_CTX *mem_ctx, struct probe_job *jobs,
			struct probe_slot *slots, size_t njobs, bool kill_late)
{
	size_t i;

	for (i = 0; i < njobs; i++) {
		struct probe_job *j = &jobs[i];
		struct probe_slot *s = &slots[i];

		if (j->pid <= 0) {
			continue;
		}
		if (s->running && kill_late) {
			/* late, or answered and not yet gone: stop it
			 * where a signal can, and leave it */
			(void)kill(j->pid, SIGKILL);
		}
		if (s->failed || (!s->done && !s->running)) {
			j->state = PROBE_FAILED;
			continue;
		}
		/* a late one hands back what it wrote so far */
		j->state = s->done ? PROBE_DONE : PROBE_LATE;
		if (s->buf == NULL) {
			s->buf = talloc_array(mem_ctx, char, 1);
		}
		if (s->buf != NULL) {
			s->buf[s->len] = '\0';
		}
		j->out = s->buf;
		j->outlen = s->len;
	}
}

int probe_run_many(TALLOC_CTX *mem_ctx, struct probe_job *jobs,
		   size_t njobs, const struct deadline *dl, bool kill_late)
{
	TALLOC_CTX *tmp_ctx = NULL;
	struct probe_slot *slots = NULL;
	struct probe_reader rd = { .fd = -1 };
	int pfd[2] = { -1, -1 };
	int devnull = -1;
	int fork_err = 0;
	size_t i;
	int ret = 0;

	for (i = 0; i < njobs; i++) {
		jobs[i].state = PROBE_NOT_STARTED;
		jobs[i].pid = 0;
		jobs[i].out = NULL;
		jobs[i].outlen = 0;
		if (jobs[i].needs_heap && !probe_single_threaded()) {
			return EDEADLK;
		}
	}
	if (njobs == 0) {
		return 0;
	}
	tmp_ctx = talloc_new(mem_ctx);
	if (tmp_ctx == NULL) {
		return ENOMEM;
	}
	slots = talloc_zero_array(tmp_ctx, struct probe_slot, njobs);
	rd.buf = talloc_array(tmp_ctx, char, PROBE_READ_SIZE);
	if (slots == NULL || rd.buf == NULL) {
		ret = ENOMEM;
		goto done;
	}
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (devnull == -1) {
		ret = errno;
		goto done;
	}
	/* the children write blocking (atomic frames), we read without */
	if (pipe2(pfd, O_CLOEXEC) != 0 ||
	    fcntl(pfd[0], F_SETFL, O_NONBLOCK) != 0) {
		ret = errno;
		goto done;
	}
	fork_err = probe_start_all(jobs, slots, njobs, pfd, devnull);
	util_close(&pfd[1]);
	util_close(&devnull);

	rd.fd = pfd[0];
	ret = probe_collect(tmp_ctx, &rd, jobs, slots, njobs,
			    probe_end_ms(dl));
	/* even when collecting failed: late ones are killed if asked */
	probe_judge(tmp_ctx, jobs, slots, njobs, kill_late);
	if (ret != 0) {
		goto done;
	}
	for (i = 0; i < njobs; i++) {
		if (jobs[i].state != PROBE_DONE &&
		    jobs[i].state != PROBE_LATE) {
			continue;
		}
		if (jobs[i].out == NULL) {
			ret = ENOMEM;
			goto done;
		}
		talloc_steal(mem_ctx, jobs[i].out);
	}
	ret = fork_err;
done:
	if (ret != 0 && ret != fork_err) {
		/* nothing half-done is handed back */
		for (i = 0; i < njobs; i++) {
			TALLOC_FREE(jobs[i].out);
		}
	}
	util_close(&pfd[0]);
	util_close(&pfd[1]);
	util_close(&devnull);
	talloc_free(tmp_ctx);
	return ret;
}

int probe_run(TALLOC_CTX *mem_ctx, probe_fn fn, void *private_data,
	      bool needs_heap, const struct deadline *dl, char **out,
	      size_t *outlen)
{
	struct probe_job job = {
		.fn = fn,
		.private_data = private_data,
		.needs_heap = needs_heap,
	};
	int ret;

	*out = NULL;
	if (outlen != NULL) {
		*outlen = 0;
	}
	ret = probe_run_many(mem_ctx, &job, 1, dl, true);
	if (ret != 0) {
		return ret;
	}
	switch (job.state) {
	case PROBE_DONE:
		*out = job.out;
		if (outlen != NULL) {
			*outlen = job.outlen;
		}
		return 0;
	case PROBE_LATE:
		talloc_free(job.out);
		return ETIMEDOUT;
	default:
		return EIO;
	}
}
