/*
 * Share directory probes (spec 3.2 step 3 and 3.5).
 *
 * Each path is stat()ed in a probe child of its own, all at once
 * (probe_run_many(), checks/probe.h); a child needs nothing from us but
 * the path.  A child that does not answer by the deadline may be stuck
 * in the kernel (a hung NFS or FUSE mount): it is left behind, not
 * killed, and recorded in STATE_DIR/share_probes as "PID STARTTIME
 * PATH" lines.  While such a probe is alive, later runs report its path
 * at once instead of starting another one.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
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

/*
 * Read the records in @p file, keeping only probes still alive.
 * @param[out] existed whether the file was there
 * @return 0 (a missing file too), ENOMEM, or the errno of fopen()
 */
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

/*
 * The record file's text: a "PID STARTTIME PATH" line per record (a
 * path with a newline, which would split its line, is left out).
 * @return a talloc child of @p mem_ctx, or NULL (ENOMEM)
 */
static char *share_records_text(TALLOC_CTX *mem_ctx,
				const struct share_record *recs, size_t n)
{
	char *text = talloc_strdup(mem_ctx, "");
	size_t i;

	for (i = 0; text != NULL && i < n; i++) {
		if (strchr(recs[i].path, '\n') != NULL) {
			continue;
		}
		text = talloc_asprintf_append_buffer(text, "%d %llu %s\n",
						     (int)recs[i].pid,
						     recs[i].start,
						     recs[i].path);
	}
	return text;
}

/*
 * Replace the record file in @p state_dir by @p recs (none: remove it).
 * @return 0, ENOMEM, or the errno of the write or unlink
 */
static int share_records_write(TALLOC_CTX *mem_ctx, const char *state_dir,
			       const struct share_record *recs, size_t n)
{
	char *text = NULL;
	int ret = 0;

	if (n == 0) {
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
	text = share_records_text(mem_ctx, recs, n);
	ret = util_write_text_in(mem_ctx, state_dir, SHARE_PROBES_NAME, text,
				 0600);
	talloc_free(text);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Probing                                                             */
/* ------------------------------------------------------------------ */

/*
 * The probe child: '1' when the path is a directory, else '0'.  stat()
 * and a write only: async-signal-safe, on the caller's path string.
 */
static int share_stat_child(struct probe_sink *sink, void *private_data)
{
	const char *path = private_data;
	struct stat sb;
	char answer = '0';

	if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		answer = '1';
	}
	return probe_write(sink, &answer, 1);
}

/* The record of @p path in @p recs[0..n), or NULL. */
static const struct share_record *share_record_find(
	const struct share_record *recs, size_t n, const char *path)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(recs[i].path, path) == 0) {
			return &recs[i];
		}
	}
	return NULL;
}

/*
 * Add a record for the late probe @p pid of @p path to *recs (a probe
 * whose start time cannot be read is not recorded).
 * @return 0, or ENOMEM
 */
static int share_record_add(TALLOC_CTX *mem_ctx, struct share_record **recs,
			    size_t *nrecs, pid_t pid, const char *path)
{
	struct share_record r = { .pid = pid };
	struct share_record *grown = NULL;
	char state = '?';

	if (share_proc_stat(pid, &state, &r.start) != 0) {
		return 0;
	}
	grown = talloc_realloc(mem_ctx, *recs, struct share_record,
			       *nrecs + 1);
	if (grown == NULL) {
		return ENOMEM;
	}
	*recs = grown;
	r.path = talloc_strdup(grown, path);
	if (r.path == NULL) {
		return ENOMEM;
	}
	grown[(*nrecs)++] = r;
	return 0;
}

/* paths[i] has no job: an earlier probe of it is still stuck. */
#define SHARE_NO_JOB SIZE_MAX

/* One share_probe() call: the paths, their probes, the records. */
struct share_set {
	const char *const *paths;
	size_t npaths;
	struct probe_job *jobs;
	size_t *job_of;		/* paths[i]'s job, or SHARE_NO_JOB */
	size_t njobs;
	struct share_record *recs;
	size_t nrecs;
	size_t nold;		/* how many were read (the rest are new) */
	bool existed;		/* the record file existed */
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
	ret = share_records_read(mem_ctx, file, &set->recs, &set->nrecs,
				 &set->existed);
	talloc_free(file);
	set->nold = set->nrecs;
	return ret == ENOMEM ? ENOMEM : 0;
}

/*
 * One probe job per path, except for a path whose earlier probe is
 * still stuck: it gets no second one.
 * @return 0, or ENOMEM
 */
static int share_set_jobs(TALLOC_CTX *mem_ctx, struct share_set *set)
{
	size_t i;

	set->jobs = talloc_zero_array(mem_ctx, struct probe_job,
				      set->npaths + 1);
	set->job_of = talloc_zero_array(mem_ctx, size_t, set->npaths + 1);
	if (set->jobs == NULL || set->job_of == NULL) {
		return ENOMEM;
	}
	for (i = 0; i < set->npaths; i++) {
		if (share_record_find(set->recs, set->nold,
				      set->paths[i]) != NULL) {
			set->job_of[i] = SHARE_NO_JOB;
			continue;
		}
		set->job_of[i] = set->njobs;
		set->jobs[set->njobs++] = (struct probe_job) {
			.fn = share_stat_child,
			/* the child only reads it */
			.private_data = (void *)(uintptr_t)set->paths[i],
		};
	}
	return 0;
}

/*
 * Whatever did not answer may be stuck for good: it was left (no kill:
 * a probe killed out of a killable wait would be replaced by a new
 * probe every run, each waiting out the whole deadline).  Record it in
 * @p state_dir; it is not waited for, and once it ends it is reaped by
 * whoever inherits it after we exit.
 * @return 0, or ENOMEM (failing to write costs a second probe later,
 *         no more)
 */
static int share_set_record(TALLOC_CTX *mem_ctx, const char *state_dir,
			    struct share_set *set)
{
	size_t i;
	int ret;

	if (state_dir == NULL) {
		return 0;
	}
	for (i = 0; i < set->npaths; i++) {
		const struct probe_job *j = NULL;

		if (set->job_of[i] == SHARE_NO_JOB) {
			continue;
		}
		j = &set->jobs[set->job_of[i]];
		if (j->state != PROBE_LATE) {
			continue;
		}
		ret = share_record_add(mem_ctx, &set->recs, &set->nrecs,
				       j->pid, set->paths[i]);
		if (ret != 0) {
			return ret;
		}
	}
	if (set->existed || set->nrecs > 0) {
		(void)share_records_write(mem_ctx, state_dir, set->recs,
					  set->nrecs);
	}
	return 0;
}

/*
 * The first path, in share order, that is not a directory or did not
 * answer (*fail NULL when there is none).
 * @return 0, or ENOMEM
 */
static int share_set_failure(TALLOC_CTX *mem_ctx, const struct share_set *set,
			     struct share_failure **fail)
{
	size_t i;

	for (i = 0; i < set->npaths; i++) {
		size_t k = set->job_of[i];
		bool hung = k == SHARE_NO_JOB ||
			    set->jobs[k].state == PROBE_LATE;

		if (!hung && set->jobs[k].state == PROBE_DONE &&
		    strcmp(set->jobs[k].out, "1") == 0) {
			continue;
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

int share_probe(TALLOC_CTX *mem_ctx, const char *state_dir,
		const char *const *paths, size_t npaths,
		const struct deadline *dl, struct share_failure **fail)
{
	TALLOC_CTX *tmp_ctx = NULL;
	struct share_set set = { .paths = paths, .npaths = npaths };
	int start_err = 0;
	int ret;

	*fail = NULL;
	tmp_ctx = talloc_new(mem_ctx);
	if (tmp_ctx == NULL) {
		return ENOMEM;
	}
	ret = share_set_read(tmp_ctx, state_dir, &set);
	if (ret == 0) {
		ret = share_set_jobs(tmp_ctx, &set);
	}
	if (ret != 0) {
		goto done;
	}
	/* a failed fork still leaves the probes started before it */
	start_err = probe_run_many(tmp_ctx, set.jobs, set.njobs, dl, false);
	if (start_err == ENOMEM) {
		ret = ENOMEM;
		goto done;
	}
	ret = share_set_record(tmp_ctx, state_dir, &set);
	if (ret == 0) {
		ret = start_err;
	}
	if (ret == 0) {
		ret = share_set_failure(mem_ctx, &set, fail);
	}
done:
	talloc_free(tmp_ctx);
	return ret;
}
