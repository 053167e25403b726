/*
 * Bounded looks at the file system in forked children (spec 3.5).
 *
 * The child writes its findings to a pipe and, once its work is
 * complete, a short trailer.  The parent trusts the pipe, not the exit
 * status (tools such as valgrind rewrite a child's exit status): output
 * without the trailer means the child did not finish.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "checks/probe.h"

/* A NUL in front: text findings cannot end like this by accident. */
static const char probe_trailer[] = { '\0', 'd', 'o', 'n', 'e' };

int64_t probe_end_ms(const struct deadline *dl)
{
	int64_t min_end = util_now_ms() + PROBE_GRACE_MS;

	return dl->end_ms > min_end ? dl->end_ms : min_end;
}

int probe_devnull(void)
{
	return open("/dev/null", O_RDWR | O_CLOEXEC | O_NOCTTY);
}

void probe_child_stdio(int devnull)
{
	int fd;

	for (fd = 0; fd <= 2; fd++) {
		if (fd == devnull) {
			continue;
		}
		/* dup2 clears close-on-exec on the copy; there is no exec */
		while (dup2(devnull, fd) < 0 && errno == EINTR) {
			;
		}
	}
}

static void probe_child(int wfd, int devnull, probe_fn fn, void *private_data)
{
	int ret;

	probe_child_stdio(devnull);
	ret = fn(wfd, private_data);
	if (ret == 0) {
		ret = util_write_all(wfd, probe_trailer,
				     sizeof(probe_trailer));
	}
	/* no exit(): the caller's stdio buffers and atexit work are not ours */
	_exit(ret == 0 ? 0 : 1);
}

/*
 * Reap @p pid, which has closed its end of the pipe, polling until
 * @p end_ms.  True when reaped (or when someone else already did).
 */
static bool probe_reap(pid_t pid, int64_t end_ms)
{
	long sleep_ns = 100 * 1000;

	for (;;) {
		struct timespec ts = { .tv_nsec = sleep_ns };
		pid_t r = waitpid(pid, NULL, WNOHANG);

		if (r == pid || (r < 0 && errno == ECHILD)) {
			return true;
		}
		if (r < 0 && errno != EINTR) {
			return false;
		}
		if (util_now_ms() >= end_ms) {
			return false;
		}
		nanosleep(&ts, NULL);
		if (sleep_ns < 10 * 1000 * 1000) {
			sleep_ns *= 2;
		}
	}
}

int probe_run(TALLOC_CTX *mem_ctx, probe_fn fn, void *private_data,
	      const struct deadline *dl, char **out, size_t *outlen)
{
	TALLOC_CTX *tmp_ctx = NULL;
	char *buf = NULL;
	size_t len = 0;
	size_t cap = 4096;
	int pfd[2] = { -1, -1 };
	int devnull = -1;
	bool eof = false;
	int64_t end_ms;
	pid_t pid = -1;
	int ret = 0;

	*out = NULL;
	if (outlen != NULL) {
		*outlen = 0;
	}
	tmp_ctx = talloc_new(mem_ctx);
	if (tmp_ctx == NULL) {
		return ENOMEM;
	}
	buf = talloc_array(tmp_ctx, char, cap);
	if (buf == NULL) {
		ret = ENOMEM;
		goto done;
	}
	devnull = probe_devnull();
	if (devnull == -1) {
		ret = errno;
		goto done;
	}
	if (pipe2(pfd, O_CLOEXEC) != 0) {
		ret = errno;
		goto done;
	}
	end_ms = probe_end_ms(dl);
	pid = fork();
	if (pid == -1) {
		ret = errno;
		goto done;
	}
	if (pid == 0) {
		close(pfd[0]);
		probe_child(pfd[1], devnull, fn, private_data);
	}
	util_close(&pfd[1]);

	while (!eof) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		int64_t left = end_ms - util_now_ms();
		ssize_t r;
		int n;

		if (left <= 0) {
			break;
		}
		n = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			ret = errno;
			break;
		}
		if (n == 0) {
			continue;
		}
		if (len + 1 >= cap) {
			char *grown = NULL;

			if (len >= PROBE_MAX_OUTPUT + sizeof(probe_trailer)) {
				ret = EIO;
				break;
			}
			grown = talloc_realloc(tmp_ctx, buf, char, cap * 2);
			if (grown == NULL) {
				ret = ENOMEM;
				break;
			}
			buf = grown;
			cap *= 2;
		}
		r = read(pfd[0], buf + len, cap - 1 - len);
		if (r < 0 && errno == EINTR) {
			continue;
		}
		if (r < 0) {
			ret = errno;
			break;
		}
		if (r == 0) {
			eof = true;
		}
		len += (size_t)r;
	}

	if (!eof || !probe_reap(pid, end_ms)) {
		/*
		 * Late (or unreadable): stop it where a signal can, and
		 * leave it.  A child asleep in the kernel ends when it wakes;
		 * whoever inherits it after we exit reaps it.
		 */
		(void)kill(pid, SIGKILL);
		if (ret == 0 && !eof) {
			ret = ETIMEDOUT;
		}
	}
	if (ret != 0) {
		goto done;
	}
	if (len < sizeof(probe_trailer) ||
	    memcmp(buf + len - sizeof(probe_trailer), probe_trailer,
		   sizeof(probe_trailer)) != 0) {
		ret = EIO;
		goto done;
	}
	len -= sizeof(probe_trailer);
	buf[len] = '\0';
	*out = talloc_steal(mem_ctx, buf);
	if (outlen != NULL) {
		*outlen = len;
	}
done:
	util_close(&pfd[0]);
	util_close(&pfd[1]);
	util_close(&devnull);
	talloc_free(tmp_ctx);
	return ret;
}
