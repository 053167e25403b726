/*
 * Share directory probes (spec 3.2 step 3 and 3.5).
 *
 * Each path is stat()ed in a child process of its own, all at once.  A
 * child answers through a pipe shared by all probes (and its exit
 * status: 0 a directory, 1 anything else); it needs nothing from us but
 * the path and the pipe.  A child that does not answer by the deadline
 * may be stuck in the kernel (a hung NFS or FUSE mount): it is left
 * behind and recorded in STATE_DIR/share_probes as "PID STARTTIME PATH"
 * lines.  While such a probe is alive, later runs report its path at
 * once instead of starting another one.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "checks/probe.h"
#include "checks/share.h"

#define SHARE_PROBES_NAME "share_probes"
#define SHARE_POLL_MAX_MS 20

size_t share_paths(TALLOC_CTX *mem_ctx, const struct smbconf *conf,
		   const char ***paths)
{
	const char **arr = NULL;
	size_t n = 0;
	size_t i;
	size_t j;

	*paths = NULL;
	if (conf == NULL || conf->nshares == 0) {
		return 0;
	}
	arr = talloc_array(mem_ctx, const char *, conf->nshares);
	if (arr == NULL) {
		return SHARE_PATHS_ENOMEM;
	}
	for (i = 0; i < conf->nshares; i++) {
		const struct smb_share *s = &conf->shares[i];
		bool dup = false;

		if (!s->available || s->path == NULL || s->path[0] == '\0' ||
		    strchr(s->path, '%') != NULL) {
			continue;
		}
		for (j = 0; j < n; j++) {
			if (strcmp(arr[j], s->path) == 0) {
				dup = true;
				break;
			}
		}
		if (dup) {
			continue;
		}
		arr[n] = talloc_strdup(arr, s->path);
		if (arr[n] == NULL) {
			talloc_free(arr);
			return SHARE_PATHS_ENOMEM;
		}
		n++;
	}
	if (n == 0) {
		talloc_free(arr);
		return 0;
	}
	*paths = arr;
	return n;
}

/* ------------------------------------------------------------------ */
/* Stuck probe records                                                 */
/* ------------------------------------------------------------------ */

struct share_record {
	pid_t pid;
	unsigned long long start;
	char *path;
};

/*
 * Read /proc/PID/stat: the state (field 3) and the start time (field 22,
 * clock ticks after boot).  The command name (field 2) may hold spaces
 * and parentheses, so the fields are counted after the last ')'.
 */
static int share_proc_stat(pid_t pid, char *state, unsigned long long *start)
{
	char path[64];
	char buf[1024];
	char *p = NULL;
	ssize_t len;
	int field;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		return errno;
	}
	do {
		len = read(fd, buf, sizeof(buf) - 1);
	} while (len < 0 && errno == EINTR);
	close(fd);
	if (len <= 0) {
		return EIO;
	}
	buf[len] = '\0';
	p = strrchr(buf, ')');
	if (p == NULL || p[1] != ' ') {
		return EIO;
	}
	p += 2;
	*state = *p;
	/* p is at field 3; walk to field 22 */
	for (field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (p == NULL) {
			return EIO;
		}
		p++;
	}
	if (!isdigit((unsigned char)*p)) {
		return EIO;
	}
	*start = strtoull(p, NULL, 10);
	return 0;
}

/* A recorded probe still runs: same PID, same start time, no zombie. */
static bool share_record_alive(const struct share_record *r)
{
	unsigned long long start = 0;
	char state = '?';

	if (share_proc_stat(r->pid, &state, &start) != 0) {
		return false;
	}
	return start == r->start && state != 'Z' && state != 'X' &&
	       state != 'x';
}

static int share_records_read(TALLOC_CTX *mem_ctx, const char *file,
			      struct share_record **recs, size_t *nrecs,
			      bool *existed)
{
	struct share_record *arr = NULL;
	size_t n = 0;
	char *line = NULL;
	size_t cap = 0;
	FILE *f = NULL;
	int ret = 0;

	*recs = NULL;
	*nrecs = 0;
	*existed = false;
	f = fopen(file, "re");
	if (f == NULL) {
		return errno == ENOENT ? 0 : errno;
	}
	*existed = true;
	while (getline(&line, &cap, f) != -1) {
		struct share_record r = { 0 };
		struct share_record *grown = NULL;
		char *p = line;
		char *end = NULL;
		long long pid;
		size_t len = strlen(line);

		if (len > 0 && line[len - 1] == '\n') {
			line[len - 1] = '\0';
		}
		errno = 0;
		pid = strtoll(p, &end, 10);
		if (errno != 0 || end == p || *end != ' ' || pid <= 1 ||
		    pid > (1LL << 30)) {
			continue;
		}
		r.pid = (pid_t)pid;
		p = end + 1;
		if (!isdigit((unsigned char)*p)) {
			continue;
		}
		r.start = strtoull(p, &end, 10);
		if (errno != 0 || *end != ' ' || end[1] == '\0') {
			continue;
		}
		if (!share_record_alive(&r)) {
			/* finished (or its PID was reused): forget it */
			continue;
		}
		grown = talloc_realloc(mem_ctx, arr, struct share_record,
				       n + 1);
		if (grown == NULL) {
			ret = ENOMEM;
			break;
		}
		arr = grown;
		r.path = talloc_strdup(arr, end + 1);
		if (r.path == NULL) {
			ret = ENOMEM;
			break;
		}
		arr[n++] = r;
	}
	free(line);
	fclose(f);
	if (ret != 0) {
		talloc_free(arr);
		return ret;
	}
	*recs = arr;
	*nrecs = n;
	return 0;
}

static int share_records_write(TALLOC_CTX *mem_ctx, const char *state_dir,
			       const struct share_record *recs, size_t n)
{
	TALLOC_CTX *tmp_ctx = NULL;
	char *text = NULL;
	char *dst = NULL;
	size_t i;
	int ret = 0;

	tmp_ctx = talloc_new(mem_ctx);
	if (tmp_ctx == NULL) {
		return ENOMEM;
	}
	dst = talloc_asprintf(tmp_ctx, "%s/" SHARE_PROBES_NAME, state_dir);
	if (dst == NULL) {
		ret = ENOMEM;
		goto done;
	}
	if (n == 0) {
		if (unlink(dst) != 0 && errno != ENOENT) {
			ret = errno;
		}
		goto done;
	}
	text = talloc_strdup(tmp_ctx, "");
	for (i = 0; text != NULL && i < n; i++) {
		const char *p = recs[i].path;

		/* a newline in a path would split the record: drop it */
		if (strchr(p, '\n') != NULL) {
			continue;
		}
		text = talloc_asprintf_append_buffer(text, "%d %llu %s\n",
						     (int)recs[i].pid,
						     recs[i].start, p);
	}
	if (text == NULL) {
		ret = ENOMEM;
		goto done;
	}
	ret = util_write_atomic(tmp_ctx, dst, text, strlen(text), 0600);
done:
	talloc_free(tmp_ctx);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Probing                                                             */
/* ------------------------------------------------------------------ */

enum share_state {
	SHARE_UNPROBED,		/* not started (fork failed before it) */
	SHARE_PENDING,
	SHARE_OK,
	SHARE_BAD,
	SHARE_HUNG,
};

struct share_probe_slot {
	pid_t pid;		/* the probe, until reaped; 0: none */
	enum share_state state;
};

/* What a probe writes to the answer pipe: fixed size, one write. */
struct share_answer {
	uint32_t index;
	uint32_t is_dir;
};

/*
 * The child: stdio on /dev/null, stat, answer, nothing else
 * (async-signal-safe only).  The
 * answer goes through a pipe shared by all probes (an 8-byte write is
 * atomic) and, the same, through the exit status.  The pipe is what the
 * parent believes: tools such as valgrind rewrite a child's exit status.
 */
static void share_child(int wfd, int devnull, uint32_t index,
			const char *path)
{
	struct share_answer a = { .index = index, .is_dir = 0 };
	struct stat sb;

	/* a probe stuck for ever must not hold the caller's stdio open */
	probe_child_stdio(devnull);
	if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		a.is_dir = 1;
	}
	(void)util_write_all(wfd, &a, sizeof(a));
	_exit(a.is_dir ? 0 : 1);
}

/* Reap slot @p s if its child has exited; true when reaped. */
static bool share_reap(struct share_probe_slot *s)
{
	pid_t r;

	if (s->pid <= 0) {
		return false;
	}
	do {
		r = waitpid(s->pid, NULL, WNOHANG);
	} while (r < 0 && errno == EINTR);
	if (r == 0) {
		return false;
	}
	/* exited, or (ECHILD) reaped by someone else's wait */
	s->pid = 0;
	return true;
}

/* Take every answer waiting in the pipe. */
static void share_read_answers(int rfd, struct share_probe_slot *slots,
			       size_t nslots, size_t *unanswered)
{
	struct share_answer buf[64];
	ssize_t len;
	size_t k;

	for (;;) {
		len = read(rfd, buf, sizeof(buf));
		if (len < 0 && errno == EINTR) {
			continue;
		}
		if (len <= 0) {
			return;
		}
		/* atomic 8-byte writes: whole answers only */
		for (k = 0; k < (size_t)len / sizeof(buf[0]); k++) {
			struct share_probe_slot *s = NULL;

			if (buf[k].index >= nslots) {
				continue;
			}
			s = &slots[buf[k].index];
			if (s->state != SHARE_PENDING) {
				continue;
			}
			s->state = buf[k].is_dir ? SHARE_OK : SHARE_BAD;
			(*unanswered)--;
		}
	}
}

int share_probe(TALLOC_CTX *mem_ctx, const char *state_dir,
		const char *const *paths, size_t npaths,
		const struct deadline *dl, struct share_failure **fail)
{
	TALLOC_CTX *tmp_ctx = NULL;
	struct share_probe_slot *slots = NULL;
	struct share_record *recs = NULL;
	size_t nrecs = 0;
	size_t nold = 0;
	char *probes_file = NULL;
	bool existed = false;
	size_t unanswered = 0;
	size_t unreaped = 0;
	int pfd[2] = { -1, -1 };
	int devnull = -1;
	int64_t end_ms;
	int wait_ms = 1;
	int fork_err = 0;
	size_t i;
	size_t j;
	int ret = 0;

	*fail = NULL;
	if (npaths == SHARE_PATHS_ENOMEM) {
		/* share_paths() ran out of memory */
		return ENOMEM;
	}
	tmp_ctx = talloc_new(mem_ctx);
	if (tmp_ctx == NULL) {
		return ENOMEM;
	}
	slots = talloc_zero_array(tmp_ctx, struct share_probe_slot,
				  npaths + 1);
	if (slots == NULL) {
		ret = ENOMEM;
		goto done;
	}

	if (state_dir != NULL) {
		probes_file = talloc_asprintf(tmp_ctx,
					      "%s/" SHARE_PROBES_NAME,
					      state_dir);
		if (probes_file == NULL) {
			ret = ENOMEM;
			goto done;
		}
		/* an unreadable record file is no reason to fail a node */
		if (share_records_read(tmp_ctx, probes_file, &recs, &nrecs,
				       &existed) == ENOMEM) {
			ret = ENOMEM;
			goto done;
		}
	}
	nold = nrecs;

	devnull = probe_devnull();
	if (devnull == -1) {
		ret = errno;
		goto done;
	}
	if (pipe2(pfd, O_CLOEXEC | O_NONBLOCK) != 0) {
		ret = errno;
		goto done;
	}
	for (i = 0; i < npaths; i++) {
		pid_t pid;

		for (j = 0; j < nold; j++) {
			if (strcmp(recs[j].path, paths[i]) == 0) {
				break;
			}
		}
		if (j < nold) {
			/* an earlier probe of this path is still stuck */
			slots[i].state = SHARE_HUNG;
			continue;
		}
		pid = fork();
		if (pid == -1) {
			fork_err = errno;
			break;
		}
		if (pid == 0) {
			share_child(pfd[1], devnull, (uint32_t)i, paths[i]);
		}
		slots[i].pid = pid;
		slots[i].state = SHARE_PENDING;
		unanswered++;
		unreaped++;
	}
	util_close(&pfd[1]);
	util_close(&devnull);

	/*
	 * Until every probe has answered and been reaped, or the deadline:
	 * reap first, then read, so that the answer of a probe reaped in
	 * this round is read in this round too.  Answers get a short while
	 * even when the deadline has passed (testparm took it all, say): a
	 * healthy local directory is not "hung".
	 */
	end_ms = probe_end_ms(dl);
	while (unanswered > 0 || unreaped > 0) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		int64_t left;

		for (i = 0; i < npaths; i++) {
			if (share_reap(&slots[i])) {
				unreaped--;
			}
		}
		share_read_answers(pfd[0], slots, npaths, &unanswered);
		for (i = 0; i < npaths; i++) {
			/* gone without an answer (killed, say): a failure */
			if (slots[i].pid == 0 &&
			    slots[i].state == SHARE_PENDING) {
				slots[i].state = SHARE_BAD;
				unanswered--;
			}
		}
		left = end_ms - util_now_ms();
		if ((unanswered == 0 && unreaped == 0) || left <= 0) {
			break;
		}
		if (left > wait_ms) {
			left = wait_ms;
		}
		/* wakes up at once for an answer; exits are polled */
		(void)poll(&p, 1, (int)left);
		if (wait_ms < SHARE_POLL_MAX_MS) {
			wait_ms *= 2;
		}
	}

	/*
	 * Whatever did not answer may be stuck for good: leave it (no
	 * kill: a probe killed out of a killable wait would be replaced by
	 * a new probe every run, each waiting out the whole deadline) and
	 * record it.  It is not waited for; once it ends, it is reaped by
	 * whoever inherits it after we exit.
	 */
	for (i = 0; i < npaths; i++) {
		struct share_record *grown = NULL;
		struct share_record r = { .pid = slots[i].pid };
		char state = '?';

		if (slots[i].pid <= 0 || slots[i].state != SHARE_PENDING) {
			/* answered (an unreaped one is reaped at our exit) */
			continue;
		}
		slots[i].state = SHARE_HUNG;
		if (probes_file == NULL ||
		    share_proc_stat(r.pid, &state, &r.start) != 0) {
			continue;
		}
		grown = talloc_realloc(tmp_ctx, recs, struct share_record,
				       nrecs + 1);
		if (grown == NULL) {
			ret = ENOMEM;
			goto done;
		}
		recs = grown;
		r.path = talloc_strdup(recs, paths[i]);
		if (r.path == NULL) {
			ret = ENOMEM;
			goto done;
		}
		recs[nrecs++] = r;
	}
	if (probes_file != NULL && (existed || nrecs > 0)) {
		/* failing to record costs a second probe later, no more */
		(void)share_records_write(tmp_ctx, state_dir, recs, nrecs);
	}

	if (fork_err != 0) {
		ret = fork_err;
		goto done;
	}
	for (i = 0; i < npaths; i++) {
		if (slots[i].state == SHARE_OK) {
			continue;
		}
		*fail = talloc_zero(mem_ctx, struct share_failure);
		if (*fail == NULL) {
			ret = ENOMEM;
			goto done;
		}
		(*fail)->path = talloc_strdup(*fail, paths[i]);
		if ((*fail)->path == NULL) {
			TALLOC_FREE(*fail);
			ret = ENOMEM;
			goto done;
		}
		(*fail)->hung = (slots[i].state == SHARE_HUNG);
		break;
	}
done:
	util_close(&pfd[0]);
	util_close(&pfd[1]);
	util_close(&devnull);
	talloc_free(tmp_ctx);
	return ret;
}
