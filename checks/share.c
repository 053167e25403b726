/*
 * Share directory probes (spec 3.2 step 3 and 3.5).
 *
 * One forked prober child stat()s every path with a few threads
 * (probe_run_many() with one job, checks/probe.h).  A prober that has
 * not answered for every path by the deadline may be stuck in the
 * kernel (a hung NFS or FUSE mount): it is left behind, not killed, and
 * each path it claimed and did not answer is recorded in
 * STATE_DIR/share_probes as a "TID STARTTIME PATH" line, TID being the
 * probing thread.  While that thread lives, later runs report its path
 * at once instead of probing it again.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "checks/probe.h"
#include "checks/share.h"

#define SHARE_PROBES_NAME "share_probes"

/* A share path and its place in share order, for sorting. */
struct share_path_pos {
	const char *path;
	size_t pos;
};

/* By path, then by place: the first of equal paths comes first. */
static int share_path_pos_cmp(const void *a, const void *b)
{
	const struct share_path_pos *x = a;
	const struct share_path_pos *y = b;
	int c = strcmp(x->path, y->path);

	if (c != 0) {
		return c;
	}
	return (x->pos > y->pos) - (x->pos < y->pos);
}

/* True when share @p s has a path to check. */
static bool share_checked(const struct smb_share *s)
{
	return s->available && s->path != NULL && s->path[0] != '\0' &&
	       strchr(s->path, '%') == NULL;
}

/* share_paths() of a configuration that knows them already */
static int share_paths_copy(TALLOC_CTX *mem_ctx, const struct smbconf *conf,
			    const char ***paths, size_t *npaths)
{
	const char **arr = NULL;
	size_t i;

	if (conf->nprobe_paths == 0) {
		return 0;
	}
	arr = talloc_array(mem_ctx, const char *, conf->nprobe_paths);
	if (arr == NULL) {
		return ENOMEM;
	}
	for (i = 0; i < conf->nprobe_paths; i++) {
		arr[i] = talloc_strdup(arr, conf->probe_paths[i]);
		if (arr[i] == NULL) {
			talloc_free(arr);
			return ENOMEM;
		}
	}
	*paths = arr;
	*npaths = conf->nprobe_paths;
	return 0;
}

int share_paths(TALLOC_CTX *mem_ctx, const struct smbconf *conf,
		const char ***paths, size_t *npaths)
{
	TALLOC_CTX *tmp_ctx = NULL;
	struct share_path_pos *sorted = NULL;
	const char **cand = NULL;
	const char **arr = NULL;
	bool *keep = NULL;
	size_t ncand = 0;
	size_t n = 0;
	size_t i;
	int ret = 0;

	*paths = NULL;
	*npaths = 0;
	if (conf != NULL && conf->probe_paths_known) {
		return share_paths_copy(mem_ctx, conf, paths, npaths);
	}
	if (conf == NULL || conf->nshares == 0) {
		return 0;
	}
	tmp_ctx = talloc_new(mem_ctx);
	if (tmp_ctx == NULL) {
		return ENOMEM;
	}
	cand = talloc_array(tmp_ctx, const char *, conf->nshares);
	sorted = talloc_array(tmp_ctx, struct share_path_pos, conf->nshares);
	keep = talloc_zero_array(tmp_ctx, bool, conf->nshares);
	if (cand == NULL || sorted == NULL || keep == NULL) {
		ret = ENOMEM;
		goto done;
	}
	for (i = 0; i < conf->nshares; i++) {
		if (share_checked(&conf->shares[i])) {
			sorted[ncand] = (struct share_path_pos) {
				.path = conf->shares[i].path, .pos = ncand,
			};
			cand[ncand++] = conf->shares[i].path;
		}
	}
	if (ncand == 0) {
		goto done;
	}
	/* O(n log n): the first of each run of equal paths is kept */
	qsort(sorted, ncand, sizeof(sorted[0]), share_path_pos_cmp);
	for (i = 0; i < ncand; i++) {
		if (i == 0 || strcmp(sorted[i].path, sorted[i - 1].path) != 0) {
			keep[sorted[i].pos] = true;
		}
	}
	arr = talloc_array(tmp_ctx, const char *, ncand);
	if (arr == NULL) {
		ret = ENOMEM;
		goto done;
	}
	for (i = 0; i < ncand; i++) {
		if (!keep[i]) {
			continue;
		}
		arr[n] = talloc_strdup(arr, cand[i]);
		if (arr[n] == NULL) {
			ret = ENOMEM;
			goto done;
		}
		n++;
	}
	*paths = talloc_steal(mem_ctx, arr);
	*npaths = n;
done:
	talloc_free(tmp_ctx);
	return ret;
}
/* ------------------------------------------------------------------ */
/* Stuck probe records                                                 */
/* ------------------------------------------------------------------ */

/*
 * A path whose probe did not answer: the ID of the thread that probes
 * it (a thread ID is a PID to /proc), that thread's start time, the
 * path.  A thread, not its process: the prober's other threads may
 * have answered, and a killed prober whose stuck thread cannot die yet
 * is a zombie group leader with that thread still alive.
 */
struct share_record {
	pid_t tid;
	unsigned long long start;
	char *path;
};

/*
 * Read /proc/TID/stat: the state (field 3) and the start time (field
 * 22, clock ticks after boot).  The command name (field 2) may hold
 * spaces and parentheses, so the fields are counted after the last ')'.
 */
static int share_proc_stat(pid_t tid, char *state, unsigned long long *start)
{
	char path[64];
	char buf[1024];
	char *p = NULL;
	ssize_t len;
	int field;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)tid);
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

/* A recorded probe still runs: same ID, same start time, no zombie. */
static bool share_record_alive(const struct share_record *r)
{
	unsigned long long start = 0;
	char state = '?';

	if (share_proc_stat(r->tid, &state, &start) != 0) {
		return false;
	}
	return start == r->start && state != 'Z' && state != 'X' &&
	       state != 'x';
}

/* The records of one share_probe() call. */
struct share_records {
	struct share_record *arr;
	size_t n;
	size_t nold;		/* read from the file, sorted by path */
	bool existed;		/* the file existed */
};

/* Append @p r (its path copied). */
static int share_records_add(TALLOC_CTX *mem_ctx, struct share_records *rs,
			     struct share_record r, const char *path)
{
	struct share_record *grown = util_array_room(mem_ctx, rs->arr,
						     sizeof(*rs->arr), rs->n);

	if (grown == NULL) {
		return ENOMEM;
	}
	rs->arr = grown;
	r.path = talloc_strdup(rs->arr, path);
	if (r.path == NULL) {
		return ENOMEM;
	}
	rs->arr[rs->n++] = r;
	return 0;
}

static int share_record_cmp(const void *a, const void *b)
{
	const struct share_record *x = a;
	const struct share_record *y = b;

	return strcmp(x->path, y->path);
}

/*
 * Read the records in @p file, keeping only probes still alive, sorted
 * by path.
 * @return 0 (a missing file too), ENOMEM, or the errno of fopen()
 */
static int share_records_read(TALLOC_CTX *mem_ctx, const char *file,
			      struct share_records *rs)
{
	char *line = NULL;
	size_t cap = 0;
	FILE *f = NULL;
	int ret = 0;

	f = fopen(file, "re");
	if (f == NULL) {
		return errno == ENOENT ? 0 : errno;
	}
	rs->existed = true;
	while (ret == 0 && getline(&line, &cap, f) != -1) {
		struct share_record r = { 0 };
		char *p = line;
		char *end = NULL;
		long long tid;
		size_t len = strlen(line);

		if (len > 0 && line[len - 1] == '\n') {
			line[len - 1] = '\0';
		}
		errno = 0;
		tid = strtoll(p, &end, 10);
		if (errno != 0 || end == p || *end != ' ' || tid <= 1 ||
		    tid > (1LL << 30)) {
			continue;
		}
		r.tid = (pid_t)tid;
		p = end + 1;
		if (!isdigit((unsigned char)*p)) {
			continue;
		}
		r.start = strtoull(p, &end, 10);
		if (errno != 0 || *end != ' ' || end[1] == '\0') {
			continue;
		}
		if (!share_record_alive(&r)) {
			/* finished (or its ID was reused): forget it */
			continue;
		}
		ret = share_records_add(mem_ctx, rs, r, end + 1);
	}
	free(line);
	fclose(f);
	if (rs->n > 1) {
		qsort(rs->arr, rs->n, sizeof(rs->arr[0]), share_record_cmp);
	}
	rs->nold = rs->n;
	return ret;
}

/* Whether a probe of @p path from an earlier run is still stuck. */
static bool share_records_stuck(const struct share_records *rs,
				const char *path)
{
	struct share_record key = { .path = (char *)(uintptr_t)path };

	return rs->nold > 0 &&
	       bsearch(&key, rs->arr, rs->nold, sizeof(rs->arr[0]),
		       share_record_cmp) != NULL;
}

/*
 * The record file's text: a "TID STARTTIME PATH" line per record (a
 * path with a newline, which would split its line, is left out).
 * @return a talloc child of @p mem_ctx, or NULL (ENOMEM)
 */
static char *share_records_text(TALLOC_CTX *mem_ctx,
				const struct share_records *rs)
{
	char *text = talloc_strdup(mem_ctx, "");
	size_t i;

	for (i = 0; text != NULL && i < rs->n; i++) {
		const struct share_record *r = &rs->arr[i];

		if (strchr(r->path, '\n') != NULL) {
			continue;
		}
		text = talloc_asprintf_append_buffer(text, "%d %llu %s\n",
						     (int)r->tid, r->start,
						     r->path);
	}
	return text;
}

/*
 * Replace the record file in @p state_dir by @p rs (none: remove it).
 * @return 0, ENOMEM, or the errno of the write or unlink
 */
static int share_records_write(TALLOC_CTX *mem_ctx, const char *state_dir,
			       const struct share_records *rs)
{
	char *text = NULL;
	int ret = 0;

	if (rs->n == 0) {
		char *dst = talloc_asprintf(mem_ctx, "%s/" SHARE_PROBES_NAME,
					    state_dir);

		if (dst == NULL) {
			return ENOMEM;
		}
		if (unlink(dst) != 0 && errno != ENOENT) {
			ret = errno;
		}
		talloc_free(dst);
		return ret;
	}
	text = share_records_text(mem_ctx, rs);
	ret = util_write_text_in(mem_ctx, state_dir, SHARE_PROBES_NAME, text,
				 0600);
	talloc_free(text);
	return ret;
}

/* ------------------------------------------------------------------ */
/* The prober child                                                    */
/* ------------------------------------------------------------------ */

/*
 * One forked child probes every path with a few threads: one per
 * SHARE_PATHS_PER_THREAD paths to begin with (at most
 * SHARE_THREADS_FIRST; a thread costs more than a few stat()s of a
 * healthy directory), and when no answer has come for SHARE_STALL_MS
 * while paths are waiting, as many again (up to SHARE_THREADS_MAX): a
 * stat() stuck in the kernel holds one thread, the others go on.  Each
 * thread claims the next path, says so, stat()s it, and sends the
 * answer together with the claim of its next path: one write per path.
 * The parent thus knows, at its deadline, which paths are stuck
 * (claimed, not answered) and by which thread.
 */
#define SHARE_THREADS_FIRST 4
#define SHARE_PATHS_PER_THREAD 16
#define SHARE_THREADS_MAX 64
#define SHARE_STALL_MS 20
#define SHARE_THREAD_STACK (64 * 1024)

enum share_kind {
	SHARE_BEGIN = 1,	/* thread tid starts probing the path */
	SHARE_DIR = 2,		/* the path is a directory */
	SHARE_NOT_DIR = 3,	/* it is not, or stat() failed */
	SHARE_GIVEN_UP = 4,	/* the look, past its deadline: left */
};

/* What the prober writes: frames of one or two notes. */
struct share_note {
	uint32_t index;		/* into share_prober.todo */
	uint32_t kind;		/* enum share_kind */
	int32_t tid;
};

/* A todo entry that is the look (share_look), not a path */
#define SHARE_TODO_LOOK SIZE_MAX

/* Set up before the fork; the child's copy is the child's own. */
struct share_prober {
	const char *const *paths;
	const size_t *todo;	/* the indexes of the paths to probe, or
				 * SHARE_TODO_LOOK */
	size_t ntodo;
	const struct share_look *look;
	int64_t look_end_ms;	/* when the look is given up (INT64_MAX:
				 * never) */
	atomic_uint look_kind;	/* its answer (SHARE_DIR, SHARE_NOT_DIR),
				 * 0 while it has none */
	const struct probe_sink *sink;
	atomic_size_t next;	/* the next todo entry to claim */
	atomic_size_t answered;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned active;	/* threads not yet ended (under lock) */
	int err;		/* the first failed write (under lock) */
};

static void *share_worker(void *arg)
{
	struct share_prober *sp = arg;
	struct share_note note[2];
	pid_t tid = gettid();
	size_t i = atomic_fetch_add(&sp->next, 1);
	int ret = 0;

	if (i < sp->ntodo) {
		note[0] = (struct share_note) { (uint32_t)i, SHARE_BEGIN, tid };
		ret = probe_write_frame(sp->sink, note, sizeof(note[0]));
	}
	while (ret == 0 && i < sp->ntodo) {
		struct stat sb;
		uint32_t kind = SHARE_NOT_DIR;
		size_t n = 0;

		if (sp->todo[i] == SHARE_TODO_LOOK) {
			/* the look answers "yes" as a directory does */
			if (sp->look->fn(sp->look->private_data)) {
				kind = SHARE_DIR;
			}
		} else if (stat(sp->paths[sp->todo[i]], &sb) == 0 &&
			   S_ISDIR(sb.st_mode)) {
			kind = SHARE_DIR;
		}
		note[n++] = (struct share_note) { (uint32_t)i, kind, tid };
		i = atomic_fetch_add(&sp->next, 1);
		if (i < sp->ntodo) {
			note[n++] = (struct share_note) {
				(uint32_t)i, SHARE_BEGIN, tid,
			};
		}
		/* after the parent has gone: EPIPE, and this thread ends */
		ret = probe_write_frame(sp->sink, note, n * sizeof(note[0]));
		atomic_fetch_add(&sp->answered, 1);
		if (sp->todo[note[0].index] == SHARE_TODO_LOOK) {
			/* the main thread acts on it at once */
			pthread_mutex_lock(&sp->lock);
			atomic_store(&sp->look_kind, kind);
			pthread_cond_signal(&sp->cond);
			pthread_mutex_unlock(&sp->lock);
		}
	}
	pthread_mutex_lock(&sp->lock);
	if (ret != 0 && sp->err == 0) {
		sp->err = ret;
	}
	sp->active--;
	pthread_cond_signal(&sp->cond);
	pthread_mutex_unlock(&sp->lock);
	return NULL;
}

/* Start threads until @p want run (or all paths are claimed). */
static unsigned share_prober_grow(struct share_prober *sp,
				  pthread_attr_t *attr, unsigned started,
				  unsigned want)
{
	while (started < want && atomic_load(&sp->next) < sp->ntodo) {
		pthread_t t;

		sp->active++;
		if (pthread_create(&t, attr, share_worker, sp) != 0) {
			sp->active--;
			break;
		}
		started++;
	}
	return started;
}

/* Only the look is left unanswered, and its deadline has passed. */
static bool share_prober_look_overdue(struct share_prober *sp)
{
	return sp->look != NULL && atomic_load(&sp->look_kind) == 0 &&
	       atomic_load(&sp->answered) + 1 >= sp->ntodo &&
	       util_now_ms() >= sp->look_end_ms;
}

/*
 * The prober child's main thread: starts the threads, adds more when
 * they stall, and returns when every thread has ended (a thread stuck
 * in the kernel keeps it waiting, and so keeps the child alive), or
 * when only the look is left past its deadline: the look is then given
 * up (PROBE_COMPLETE_LEAVE: the child completes, and stays behind until
 * that thread can end); or when the look says no (the cache the paths
 * came from is out of date: the caller probes the new ones).
 */
static int share_prober_child(struct probe_sink *sink, void *private_data)
{
	struct share_prober *sp = private_data;
	struct sigaction ign = { .sa_handler = SIG_IGN };
	pthread_condattr_t cattr;
	pthread_attr_t attr;
	unsigned started = 0;
	bool given_up = false;	/* the look, past its deadline */
	bool stale = false;	/* the look said no */
	bool left = false;	/* threads still running */
	/* a thread per SHARE_PATHS_PER_THREAD paths to begin with */
	unsigned want = sp->ntodo / SHARE_PATHS_PER_THREAD + 1;
	int err;

	if (want > SHARE_THREADS_FIRST) {
		want = SHARE_THREADS_FIRST;
	}
	/*
	 * A write after the parent has gone must end the writing thread,
	 * not the child: a stuck thread must keep its record alive.
	 */
	(void)sigaction(SIGPIPE, &ign, NULL);
	sp->sink = sink;
	pthread_mutex_init(&sp->lock, NULL);
	pthread_condattr_init(&cattr);
	pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC);
	pthread_cond_init(&sp->cond, &cattr);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, SHARE_THREAD_STACK);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);

	pthread_mutex_lock(&sp->lock);
	for (;;) {
		size_t seen = atomic_load(&sp->answered);
		struct timespec ts;

		started = share_prober_grow(sp, &attr, started, want);
		if (started == 0) {
			/* no thread at all: this one does the work */
			sp->active++;
			pthread_mutex_unlock(&sp->lock);
			share_worker(sp);
			pthread_mutex_lock(&sp->lock);
		}
		if (sp->active == 0) {
			break;
		}
		if (share_prober_look_overdue(sp)) {
			given_up = true;
			break;
		}
		if (atomic_load(&sp->look_kind) == SHARE_NOT_DIR &&
		    atomic_load(&sp->answered) < sp->ntodo) {
			/* the caller's paths are out of date: it will not
			 * wait for those still out, and neither do we */
			stale = true;
			break;
		}
		if (atomic_load(&sp->next) >= sp->ntodo) {
			/*
			 * all claimed: wait for the threads to end, however
			 * long; a pending look's deadline wakes us too
			 */
			int64_t look_left = sp->look_end_ms - util_now_ms();

			if (sp->look == NULL ||
			    atomic_load(&sp->look_kind) != 0 ||
			    sp->look_end_ms == INT64_MAX || look_left <= 0) {
				pthread_cond_wait(&sp->cond, &sp->lock);
			} else {
				util_monotonic_after(&ts, look_left);
				(void)pthread_cond_timedwait(&sp->cond,
							     &sp->lock, &ts);
			}
			continue;
		}
		util_monotonic_after(&ts, SHARE_STALL_MS);
		if (pthread_cond_timedwait(&sp->cond, &sp->lock, &ts) ==
			    ETIMEDOUT &&
		    atomic_load(&sp->answered) == seen) {
			want = want * 2 < SHARE_THREADS_MAX ?
				       want * 2 : SHARE_THREADS_MAX;
		}
	}
	err = sp->err;
	left = sp->active > 0;
	pthread_mutex_unlock(&sp->lock);
	if (err == 0 && given_up) {
		struct share_note note = { 0, SHARE_GIVEN_UP, 0 };

		err = probe_write_frame(sink, &note, sizeof(note));
	}
	if (err == 0 && (given_up || (stale && left))) {
		/* threads are left, maybe stuck: do not wait for us */
		err = PROBE_COMPLETE_LEAVE;
	}
	return err;
}

/* ------------------------------------------------------------------ */
/* Probing                                                             */
/* ------------------------------------------------------------------ */

/* One share_probe() call. */
struct share_set {
	const char *const *paths;
	size_t npaths;
	struct share_look *look;	/* or NULL */
	bool *stuck_before;	/* an earlier probe of paths[i] is stuck */
	struct share_prober sp;
	size_t *todo;
	pid_t *tid;		/* per todo entry: the claiming thread */
	uint8_t *answer;	/* per todo entry: SHARE_DIR, SHARE_NOT_DIR */
	size_t *todo_of;	/* paths[i]'s todo entry */
	struct probe_job job;
	struct share_records rs;
};

/*
 * Read the records of stuck probes in @p state_dir (NULL: none).  An
 * unreadable record file is no reason to fail a node: as if empty.
 * @return 0, or ENOMEM
 */
static int share_set_read(TALLOC_CTX *mem_ctx, const char *state_dir,
			  struct share_set *set)
{
	char *file = NULL;
	int ret;

	if (state_dir == NULL) {
		return 0;
	}
	file = talloc_asprintf(mem_ctx, "%s/" SHARE_PROBES_NAME, state_dir);
	if (file == NULL) {
		return ENOMEM;
	}
	ret = share_records_read(mem_ctx, file, &set->rs);
	talloc_free(file);
	return ret == ENOMEM ? ENOMEM : 0;
}

/*
 * What to probe: every path but those whose earlier probe is still
 * stuck (they get no second one).
 * @return 0, or ENOMEM
 */
static int share_set_todo(TALLOC_CTX *mem_ctx, struct share_set *set)
{
	size_t n = set->npaths + 1;
	size_t i;

	set->stuck_before = talloc_zero_array(mem_ctx, bool, n);
	set->todo = talloc_array(mem_ctx, size_t, n);
	set->todo_of = talloc_array(mem_ctx, size_t, n);
	set->tid = talloc_zero_array(mem_ctx, pid_t, n);
	set->answer = talloc_zero_array(mem_ctx, uint8_t, n);
	if (set->stuck_before == NULL || set->todo == NULL ||
	    set->todo_of == NULL || set->tid == NULL || set->answer == NULL) {
		return ENOMEM;
	}
	if (set->look != NULL) {
		/* first: a thread takes it on at once */
		set->todo[set->sp.ntodo++] = SHARE_TODO_LOOK;
	}
	for (i = 0; i < set->npaths; i++) {
		if (share_records_stuck(&set->rs, set->paths[i])) {
			set->stuck_before[i] = true;
			continue;
		}
		set->todo_of[i] = set->sp.ntodo;
		set->todo[set->sp.ntodo++] = i;
	}
	set->sp.paths = set->paths;
	set->sp.todo = set->todo;
	set->sp.look = set->look;
	set->sp.look_end_ms = INT64_MAX;
	if (set->look != NULL && set->look->dl != NULL) {
		set->sp.look_end_ms = set->look->dl->end_ms;
	}
	set->job = (struct probe_job) {
		.fn = share_prober_child, .private_data = &set->sp,
	};
	return 0;
}

/* Take in the notes the prober sent in time (whole notes only). */
static void share_set_notes(struct share_set *set)
{
	const char *p = set->job.out;
	size_t left = p != NULL ? set->job.outlen : 0;

	for (; left >= sizeof(struct share_note);
	     p += sizeof(struct share_note), left -= sizeof(struct share_note)) {
		struct share_note n;

		memcpy(&n, p, sizeof(n));
		if (n.index >= set->sp.ntodo) {
			continue;
		}
		if (n.kind == SHARE_BEGIN) {
			set->tid[n.index] = n.tid;
		} else if (n.kind == SHARE_DIR || n.kind == SHARE_NOT_DIR) {
			set->answer[n.index] = (uint8_t)n.kind;
		} else if (n.kind == SHARE_GIVEN_UP &&
			   set->answer[n.index] == 0) {
			/* an answer that came after all the same wins */
			set->answer[n.index] = (uint8_t)n.kind;
		}
	}
}

/*
 * A late prober is left behind, not killed and not waited for: a path
 * it claimed and did not answer may be stuck for good.  Record each
 * such path with its thread in @p state_dir, so that later runs do not
 * probe it again while that thread lives.  (A probe killed out of a
 * killable wait would be replaced by a new one every run, each waiting
 * out the whole deadline.)  Paths it did not reach are not recorded:
 * the next run probes them.
 * @return 0, or ENOMEM (failing to write costs a second probe later,
 *         no more)
 */
static int share_set_record(TALLOC_CTX *mem_ctx, const char *state_dir,
			    struct share_set *set)
{
	size_t k;

	if (state_dir == NULL) {
		return 0;
	}
	for (k = 0; set->job.state == PROBE_LATE && k < set->sp.ntodo; k++) {
		struct share_record r = { .tid = set->tid[k] };
		char state = '?';
		int ret;

		if (set->todo[k] == SHARE_TODO_LOOK || r.tid <= 0 ||
		    set->answer[k] != 0 ||
		    share_proc_stat(r.tid, &state, &r.start) != 0) {
			continue;
		}
		ret = share_records_add(mem_ctx, &set->rs, r,
					set->paths[set->todo[k]]);
		if (ret != 0) {
			return ret;
		}
	}
	if (set->rs.existed || set->rs.n > 0) {
		(void)share_records_write(mem_ctx, state_dir, &set->rs);
	}
	return 0;
}

/*
 * The first path, in share order, that is not a directory or did not
 * answer (*fail NULL when there is none).  A path the prober neither
 * answered nor was late for (it ended without a word on it) is not
 * judged: EIO, the probe failed, not the directory.
 * @return 0, EIO or ENOMEM
 */
static int share_set_failure(TALLOC_CTX *mem_ctx, const struct share_set *set,
			     struct share_failure **fail)
{
	size_t i;

	for (i = 0; i < set->npaths; i++) {
		bool hung = set->stuck_before[i];

		if (!hung) {
			uint8_t a = set->answer[set->todo_of[i]];

			if (a == SHARE_DIR) {
				continue;
			}
			if (a == 0 && set->job.state != PROBE_LATE) {
				return EIO;
			}
			hung = a == 0;
		}
		*fail = talloc_zero(mem_ctx, struct share_failure);
		if (*fail == NULL) {
			return ENOMEM;
		}
		(*fail)->path = talloc_strdup(*fail, set->paths[i]);
		if ((*fail)->path == NULL) {
			TALLOC_FREE(*fail);
			return ENOMEM;
		}
		(*fail)->hung = hung;
		return 0;
	}
	return 0;
}

/* What the prober said of the look (the first todo entry). */
static enum share_look_answer share_set_look(const struct share_set *set)
{
	switch (set->answer[0]) {
	case SHARE_DIR:
		return SHARE_LOOK_YES;
	case SHARE_NOT_DIR:
		return SHARE_LOOK_NO;
	case SHARE_GIVEN_UP:
		return SHARE_LOOK_LATE;
	default:
		return set->job.state == PROBE_LATE ? SHARE_LOOK_LATE :
						      SHARE_LOOK_LOST;
	}
}

int share_probe(TALLOC_CTX *mem_ctx, const char *state_dir,
		const char *const *paths, size_t npaths,
		const struct deadline *dl, struct share_failure **fail)
{
	return share_probe_look(mem_ctx, state_dir, paths, npaths, NULL, dl,
				fail);
}

int share_probe_look(TALLOC_CTX *mem_ctx, const char *state_dir,
		     const char *const *paths, size_t npaths,
		     struct share_look *look, const struct deadline *dl,
		     struct share_failure **fail)
{
	TALLOC_CTX *tmp_ctx = NULL;
	struct share_set set = {
		.paths = paths, .npaths = npaths, .look = look,
	};
	int ret;

	*fail = NULL;
	tmp_ctx = talloc_new(mem_ctx);
	if (tmp_ctx == NULL) {
		return ENOMEM;
	}
	ret = share_set_read(tmp_ctx, state_dir, &set);
	if (ret == 0) {
		ret = share_set_todo(tmp_ctx, &set);
	}
	if (ret == 0 && set.sp.ntodo > 0) {
		ret = probe_run_many(tmp_ctx, &set.job, 1, dl, false);
		if (ret == 0) {
			share_set_notes(&set);
		}
	}
	if (ret == 0) {
		ret = share_set_record(tmp_ctx, state_dir, &set);
	}
	if (ret == 0 && look != NULL) {
		look->answer = share_set_look(&set);
	}
	if (ret == 0) {
		ret = share_set_failure(mem_ctx, &set, fail);
	}
	talloc_free(tmp_ctx);
	return ret;
}
