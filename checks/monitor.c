/*
 * One monitor cycle (spec 3.2).  Each step records itself in the
 * result (status, time, subject, detail) and, when it passes, says so
 * in a DEBUG line; the first step that fails decides the verdict and
 * ends the cycle.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checks/chain.h"
#include "checks/cleanup.h"
#include "checks/config.h"
#include "checks/log.h"
#include "checks/monitor.h"
#include "checks/share.h"
#include "checks/smbanswer.h"
#include "checks/smbcache.h"
#include "checks/smbconf.h"
#include "checks/state.h"
#include "checks/util.h"
#include "checks/winbind.h"

/* seconds between repeated cache warnings (ctdb logs every cycle) */
#define MONITOR_WARN_INTERVAL 600

/* testparm's stderr is cut after this many lines */
#define MONITOR_TESTPARM_ERR_LINES 40

/*
 * The share paths of m->conf, probed by the prober that also checked
 * the cache (monitor_probe_early()), for the share check to report.
 */
struct monitor_probed {
	const char **paths;
	size_t npaths;
	struct share_failure *fail;
	int err;			/* share_probe_look()'s */
};

/* Everything one cycle works with; lives on the cycle's scratch context */
struct monitor {
	const struct monitor_opts *opts;
	const struct port_checker *const *table;
	struct monitor_result *res;
	struct config *cfg;
	struct config_values *v;
	struct deadline dl;
	int64_t start_ms;
	int64_t step_ms;
	const char *state_dir;		/* NULL: unusable, run uncached */
	const char *started_file;
	struct smbconf *conf;		/* NULL until needed */
	bool refreshed;			/* testparm ran in this cycle */
	struct smbcache_status unchecked;	/* conf came from the cache
						 * and still needs checking
						 * (source UNCHECKED) */
	struct monitor_probed *probed;	/* the shares of m->conf, probed
					 * early, or NULL */
	bool refresh_due;		/* the cache is old by age: start a
					 * detached refresh at the end */
	const uint16_t *ports;		/* the ports checked */
	size_t nports;
	struct tcpport_answer *listeners;	/* the table that decided,
						 * or NULL */
};

const char *monitor_step_status_name(enum monitor_step_status status)
{
	static const char *const names[] = {
		[MONITOR_STEP_OK] = "ok",
		[MONITOR_STEP_WARNING] = "warning",
		[MONITOR_STEP_FAIL] = "fail",
		[MONITOR_STEP_SKIP] = "skip",
	};

	return (unsigned)status < sizeof(names) / sizeof(names[0]) ?
	       names[status] : "?";
}

/*
 * Record a step: its time since the last one, and for a step that did
 * its job a DEBUG line "NAME: STEP: DETAIL (N ms)".
 */
static void monitor_step(struct monitor *m, const char *name,
			 enum monitor_step_status status, const char *subject,
			 const char *detail)
{
	struct monitor_result *res = m->res;
	struct monitor_step *grown = NULL;
	struct monitor_step *s = NULL;
	int64_t now = util_now_ms();

	if (status == MONITOR_STEP_OK || status == MONITOR_STEP_WARNING) {
		clog(CLOG_DEBUG, "%s: %s: %s (%lld ms)", m->opts->log_name,
		     name, detail != NULL ? detail : "done",
		     (long long)(now - m->step_ms));
	}
	grown = talloc_realloc(res, res->steps, struct monitor_step,
			       res->nsteps + 1);
	if (grown != NULL) {
		res->steps = grown;
		s = &grown[res->nsteps++];
		*s = (struct monitor_step) {
			.name = name,
			.status = status,
			.ms = status == MONITOR_STEP_SKIP ? 0 : now - m->step_ms,
			.subject = subject != NULL ?
				   talloc_strdup(grown, subject) : NULL,
			.detail = detail != NULL ?
				  talloc_strdup(grown, detail) : NULL,
		};
	}
	if (status != MONITOR_STEP_SKIP) {
		m->step_ms = now;
	}
}

/* The cycle is unhealthy: @p step failed for @p why.  Returns 1. */
static int monitor_fail(struct monitor *m, const char *step,
			enum monitor_failure why, const char *subject)
{
	m->res->verdict = MONITOR_UNHEALTHY;
	m->res->failure = why;
	monitor_step(m, step, MONITOR_STEP_FAIL, subject, NULL);
	return 1;
}

static int monitor_fail_errno(struct monitor *m, const char *step,
			      enum monitor_failure why, int err)
{
	m->res->err = err;
	return monitor_fail(m, step, why, NULL);
}

/* A line after the headline (control characters made harmless) */
static void monitor_detail(struct monitor *m, const char *line)
{
	struct monitor_result *res = m->res;
	char **grown = NULL;
	char *copy = NULL;

	grown = talloc_realloc(res, res->details, char *, res->ndetails + 1);
	if (grown == NULL) {
		return;
	}
	res->details = grown;
	copy = talloc_strdup(grown, line);
	if (copy == NULL) {
		return;
	}
	grown[res->ndetails++] = clog_sanitize(copy);
}

/* ------------------------------------------------------------------ */
/* Configuration and state */

static int monitor_config(struct monitor *m, TALLOC_CTX *mem_ctx)
{
	const struct monitor_opts *o = m->opts;
	int ret;

	m->cfg = config_new(mem_ctx);
	if (m->cfg == NULL) {
		return ENOMEM;
	}
	ret = config_load_standard(m->cfg, o->managed, o->config);
	if (ret == 0 && o->ports != NULL) {
		ret = config_set_option(m->cfg, "CTDB_SAMBA_CHECK_PORTS",
					o->ports);
	}
	if (ret == 0 && o->checkers != NULL) {
		ret = config_set_option(m->cfg, "CTDB_TCP_PORT_CHECKERS",
					o->checkers);
	}
	if (ret == 0 && o->timeout != NULL) {
		ret = config_set_option(m->cfg, "CTDB_SAMBA_CHECK_TIMEOUT",
					o->timeout);
	}
	if (ret == 0 && o->skip_share_check) {
		ret = config_set_option(m->cfg, "CTDB_SAMBA_SKIP_SHARE_CHECK",
					"yes");
	}
	if (ret != 0) {
		return ret;
	}
	monitor_step(m, "configuration", MONITOR_STEP_OK, NULL, "read");
	return 0;
}

/* Every value checked before anything is done (spec 3.1) */
static int monitor_values(struct monitor *m, TALLOC_CTX *mem_ctx)
{
	const char *bad = NULL;
	int ret;

	ret = config_get_values(mem_ctx, m->cfg, m->opts->managed, &m->v,
				&bad);
	if (ret == EINVAL) {
		m->res->name = bad;
		m->res->value = talloc_strdup(m->res, config_get(m->cfg, bad));
		return monitor_fail(m, "configuration",
				    MONITOR_FAIL_INVALID_VALUE, bad);
	}
	if (ret != 0) {
		return monitor_fail_errno(m, "configuration",
					  MONITOR_FAIL_ERRNO, ret);
	}
	if (m->opts->deadline_ms > 0) {
		deadline_init_ms(&m->dl, m->opts->deadline_ms);
	} else {
		/* reading the configuration counts too */
		deadline_init_from(&m->dl, m->start_ms,
				   (unsigned)m->v->timeout);
	}
	return 0;
}

/* The state directory and started file of the mode (spec 3.0) */
static void monitor_state(struct monitor *m, TALLOC_CTX *mem_ctx)
{
	const char *dir = m->opts->state_dir;
	const char *vardir = config_vardir(m->cfg);
	const char *script_vardir = NULL;
	int ret;

	if (dir == NULL && m->opts->managed) {
		script_vardir = config_get(m->cfg, "CTDB_SCRIPT_VARDIR");
		dir = talloc_asprintf(mem_ctx, "%s/service/samba",
				      script_vardir != NULL ? script_vardir :
				      "/var/lib/ctdb/scripts");
	} else if (dir == NULL) {
		dir = talloc_asprintf(mem_ctx, "%s/state/samba", vardir);
	}
	if (dir == NULL) {
		return;
	}
	if (m->opts->managed) {
		m->started_file = talloc_asprintf(mem_ctx, "%s/started", dir);
	} else {
		m->started_file = talloc_asprintf(mem_ctx,
						  "%s/failcount/samba.started",
						  vardir);
	}
	ret = state_dir_setup(dir);
	if (ret != 0) {
		clog(CLOG_WARNING, "WARNING: state directory \"%s\" not usable "
		     "(%s) - running without cache", dir, strerror(ret));
		return;
	}
	m->state_dir = dir;
}

/* ------------------------------------------------------------------ */
/* The smb.conf cache */

/*
 * testparm may not take the whole run: with an old cache to fall back
 * on, the share and port checks still need time after a refresh that
 * timed out.  It gets the run's deadline less a quarter (at most 2 s).
 */
static struct deadline monitor_testparm_deadline(const struct monitor *m)
{
	struct deadline dl = m->dl;
	int64_t reserve = (int64_t)m->dl.seconds * 1000 / 4;

	dl.end_ms -= (reserve < 2000) ? reserve : 2000;
	return dl;
}

/*
 * testparm's stderr as printed after a cache message: trailing newlines
 * dropped, and at most MONITOR_TESTPARM_ERR_LINES lines.
 */
static char *monitor_testparm_stderr(TALLOC_CTX *mem_ctx, char *err)
{
	size_t len = strlen(err);
	size_t lines = 0;
	char *p = err;

	while (len > 0 && err[len - 1] == '\n') {
		err[--len] = '\0';
	}
	while ((p = strchr(p, '\n')) != NULL) {
		p++;
		if (++lines == MONITOR_TESTPARM_ERR_LINES) {
			size_t more = 1;
			char *q = p;

			while ((q = strchr(q, '\n')) != NULL) {
				q++;
				more++;
			}
			p[0] = '\0';
			return talloc_asprintf(mem_ctx, "%s(%zu more lines from "
					       "testparm)", err, more);
		}
	}
	return err;
}

static struct smbcache_opts monitor_cache_opts(const struct monitor *m,
					       const struct deadline *dl)
{
	return (struct smbcache_opts) {
		.state_dir = m->state_dir,
		.max_age = (unsigned)m->v->cache_max_age,
		.max_age_given = m->v->cache_max_age_given,
		.deadline = dl,
		.refresh_seconds = m->dl.seconds,
		/* started at the end of the cycle, so that it does not
		 * compete with the checks for the CPU */
		.refresh_later = true,
	};
}

/* Report how the cache answered (@p st), and keep its answer @p conf. */
static int monitor_smbconf_report(struct monitor *m, TALLOC_CTX *mem_ctx,
				  struct smbconf *conf,
				  const struct smbcache_status *st)
{
	static const char step[] = "smb.conf cache";
	char *err = NULL;

	if (st->cache_unwritable &&
	    state_once_per(mem_ctx, m->state_dir, "smb.conf.cache.nowrite",
			   MONITOR_WARN_INTERVAL)) {
		clog(CLOG_WARNING, "WARNING: cannot write smb.conf cache in "
		     "\"%s\" - running without cache", m->state_dir);
	}
	if (st->testparm_err != NULL) {
		err = monitor_testparm_stderr(mem_ctx, st->testparm_err);
	}
	switch (st->source) {
	case SMBCACHE_UNCHECKED:
		/* reported once checked (monitor_smbconf_checked()) */
		m->unchecked = *st;
		break;
	case SMBCACHE_FROM_CACHE:
		m->refresh_due = st->refresh_due;
		monitor_step(m, step, MONITOR_STEP_OK, NULL,
			     st->refresh_due ? "fresh, old by age: refresh due" :
			     "fresh");
		break;
	case SMBCACHE_REFRESHED:
		m->refreshed = true;
		monitor_step(m, step, MONITOR_STEP_OK, NULL,
			     "refreshed by testparm");
		break;
	case SMBCACHE_OLD_CACHE:
		if (state_once_per(mem_ctx, m->state_dir,
				   "smb.conf.cache.warned",
				   MONITOR_WARN_INTERVAL)) {
			clog(CLOG_WARNING, "WARNING: smb.conf cache update %s - "
			     "using old cache file",
			     st->timed_out ? "timed out" : "failed");
			if (err != NULL) {
				clog(CLOG_WARNING, "%s", err);
			}
		}
		monitor_step(m, step, MONITOR_STEP_WARNING, NULL,
			     "refresh failed, old cache");
		break;
	case SMBCACHE_NONE:
		if (st->timed_out) {
			return monitor_fail(m, step, MONITOR_FAIL_CACHE_TIMEOUT,
					    NULL);
		}
		if (err != NULL) {
			monitor_detail(m, err);
		}
		return monitor_fail(m, step, MONITOR_FAIL_CACHE_TESTPARM, NULL);
	}
	if (conf != NULL && conf != m->conf) {
		TALLOC_FREE(m->conf);
		m->conf = conf;
		/* what was probed early belongs to the old configuration */
		m->probed = NULL;
	}
	return 0;
}

/*
 * Bring the cache up to date (@p force: refresh it whatever it says).
 * With @p defer, a cache whose files need checking is kept unchecked,
 * for the share prober to check (monitor_probe_early()).
 */
static int monitor_smbconf(struct monitor *m, TALLOC_CTX *mem_ctx,
			   bool force, bool defer)
{
	struct deadline dl = monitor_testparm_deadline(m);
	struct smbcache_opts o = monitor_cache_opts(m, &dl);
	struct smbcache_status st = { 0 };
	struct smbconf *conf = NULL;
	int ret;

	o.defer_check = defer;
	m->unchecked.source = SMBCACHE_NONE;
	ret = smbcache_load(mem_ctx, &o, force, &conf, &st);
	if (ret != 0) {
		return monitor_fail_errno(m, "smb.conf cache",
					  MONITOR_FAIL_CACHE_ERRNO, ret);
	}
	return monitor_smbconf_report(m, mem_ctx, conf, &st);
}

/*
 * The share prober has checked the cache (m->unchecked.look): it
 * answers, or it is refreshed now.
 */
static int monitor_smbconf_checked(struct monitor *m, TALLOC_CTX *mem_ctx)
{
	struct deadline dl = monitor_testparm_deadline(m);
	struct smbcache_opts o = monitor_cache_opts(m, &dl);
	struct smbcache_status st = m->unchecked;
	struct smbconf *conf = m->conf;
	int ret;

	m->unchecked.source = SMBCACHE_NONE;
	ret = smbcache_checked(mem_ctx, &o, &conf, &st);
	if (ret != 0) {
		return monitor_fail_errno(m, "smb.conf cache",
					  MONITOR_FAIL_CACHE_ERRNO, ret);
	}
	return monitor_smbconf_report(m, mem_ctx, conf, &st);
}

/*
 * One prober child for two looks: the share paths of the unchecked
 * cache, and the cache's own check.  The share answers wait in
 * m->probed for the share check, which uses them unless the cache
 * turns out to be stale.
 */
static int monitor_probe_early(struct monitor *m, TALLOC_CTX *mem_ctx)
{
	struct monitor_probed *p = talloc_zero(mem_ctx, struct monitor_probed);
	/*
	 * The look gets what testparm would (smb.conf on a hung file
	 * system must leave the later checks their time, as a refresh
	 * that times out does); the share paths get the run's deadline.
	 */
	struct deadline look_dl = monitor_testparm_deadline(m);

	if (p == NULL) {
		return monitor_fail_errno(m, "share check",
					  MONITOR_FAIL_SHARE_ERRNO, ENOMEM);
	}
	m->unchecked.look->dl = &look_dl;
	p->err = share_paths(p, m->conf, &p->paths, &p->npaths);
	if (p->err == 0) {
		p->err = share_probe_look(p, m->state_dir, p->paths,
					  p->npaths, m->unchecked.look, &m->dl,
					  &p->fail);
	}
	m->unchecked.look->dl = NULL;	/* look_dl ends here */
	/* the cache's paths count when the cache is confirmed, or cannot
	 * be (the old cache it is, then) */
	if (m->unchecked.look->answer == SHARE_LOOK_YES ||
	    m->unchecked.look->answer == SHARE_LOOK_LATE) {
		m->probed = p;
	}
	return monitor_smbconf_checked(m, mem_ctx);
}

/* ------------------------------------------------------------------ */
/* The checks */

/* The lines that make smb.conf unclean in the configured mode */
static size_t monitor_dirty_lines(struct monitor *m, TALLOC_CTX *mem_ctx,
				  char ***lines)
{
	char **err_lines = NULL;
	size_t n = m->conf->ndirty_stdout;
	size_t nerr = 0;

	*lines = m->conf->dirty_stdout;
	if (m->v->config_check != CONFIG_CHECK_STRICT) {
		return n;
	}
	nerr = smbconf_dirty_stderr(mem_ctx, m->conf, &err_lines);
	if (nerr == 0) {
		return n;
	}
	*lines = talloc_array(mem_ctx, char *, n + nerr);
	if (*lines == NULL) {
		return n + nerr;	/* still dirty, without details */
	}
	if (n > 0) {
		memcpy(*lines, m->conf->dirty_stdout, n * sizeof(char *));
	}
	memcpy(*lines + n, err_lines, nerr * sizeof(char *));
	return n + nerr;
}

static int monitor_clean(struct monitor *m, TALLOC_CTX *mem_ctx)
{
	char **lines = NULL;
	size_t i, n;
	int ret;

	n = monitor_dirty_lines(m, mem_ctx, &lines);
	if (n > 0 && !m->refreshed) {
		/* confirm with a fresh smb.conf before failing */
		ret = monitor_smbconf(m, mem_ctx, true, false);
		if (ret != 0) {
			return ret;
		}
		n = monitor_dirty_lines(m, mem_ctx, &lines);
	}
	if (n > 0) {
		for (i = 0; lines != NULL && i < n; i++) {
			monitor_detail(m, lines[i]);
		}
		return monitor_fail(m, "clean check", MONITOR_FAIL_NOT_CLEAN,
				    NULL);
	}
	monitor_step(m, "clean check", MONITOR_STEP_OK, NULL, "clean");
	return 0;
}

static int monitor_shares(struct monitor *m, TALLOC_CTX *mem_ctx)
{
	static const char step[] = "share check";
	struct share_failure *f = NULL;
	const char **paths = NULL;
	size_t n = 0;
	int ret;

	if (m->probed != NULL) {
		/* probed already, with the cache's check */
		paths = m->probed->paths;
		n = m->probed->npaths;
		f = m->probed->fail;
		ret = m->probed->err;
	} else {
		ret = share_paths(mem_ctx, m->conf, &paths, &n);
		if (ret == 0) {
			ret = share_probe(mem_ctx, m->state_dir, paths, n,
					  &m->dl, &f);
		}
	}
	if (ret == 0 && f != NULL && !m->refreshed &&
	    !deadline_expired(&m->dl)) {
		/* confirm with a fresh smb.conf before failing */
		ret = monitor_smbconf(m, mem_ctx, true, false);
		if (ret != 0) {
			return ret;
		}
		TALLOC_FREE(f);
		ret = share_paths(mem_ctx, m->conf, &paths, &n);
		if (ret == 0) {
			ret = share_probe(mem_ctx, m->state_dir, paths, n,
					  &m->dl, &f);
		}
	}
	if (ret != 0) {
		return monitor_fail_errno(m, step, MONITOR_FAIL_SHARE_ERRNO,
					  ret);
	}
	if (f != NULL) {
		m->res->path = talloc_strdup(m->res, f->path);
		m->res->hung = f->hung;
		m->res->seconds = m->dl.seconds;
		return monitor_fail(m, step, MONITOR_FAIL_SHARE, f->path);
	}
	monitor_step(m, step, MONITOR_STEP_OK, NULL,
		     talloc_asprintf(mem_ctx, "%zu directories", n));
	return 0;
}

/* At most this many lines of winbind's answer follow its ERROR line */
#define MONITOR_WINBIND_LINES 10

/* Was samba started less than CTDB_SAMBA_STARTUP_GRACE seconds ago? */
static bool monitor_just_started(const struct monitor *m)
{
	bool old = true;

	if (m->started_file == NULL ||
	    state_file_is_old(m->started_file, m->v->startup_grace,
			      &old) != 0) {
		return false;
	}
	return !old;
}

static int monitor_ports(struct monitor *m, TALLOC_CTX *mem_ctx)
{
	static const char step[] = "port check";
	struct tcpport_opts tcp = { 0 };
	struct checker_env env = { .deadline = &m->dl, .tcp = &tcp };
	struct chain_outcome *out = NULL;
	uint16_t *ports = m->v->ports;
	size_t nports = m->v->nports;
	size_t nentries = m->v->port_entries;
	char *bad = NULL;
	char *subject = NULL;
	int ret;

	if (m->opts->tcp != NULL) {
		tcp = *m->opts->tcp;
	}
	tcp.deadline = &m->dl;
	if (!m->v->ports_given) {
		ret = smbconf_ports(mem_ctx, m->conf, &ports, &nports,
				    &nentries, &bad);
		if (ret == EINVAL) {
			m->res->value = talloc_strdup(m->res, bad);
			return monitor_fail(m, step, MONITOR_FAIL_SMB_PORTS,
					    bad);
		}
		if (ret != 0) {
			return monitor_fail_errno(m, step, MONITOR_FAIL_ERRNO,
						  ret);
		}
	}
	if (nports == 0 && nentries > 0) {
		/* only quic and the like: nothing TCP to check */
		return monitor_fail(m, step, MONITOR_FAIL_NO_TCP_PORTS, NULL);
	}
	if (nports == 0) {
		return monitor_fail(m, step, MONITOR_FAIL_NO_PORTS, NULL);
	}
	ret = chain_run(mem_ctx, m->table, m->v->checkers, &env, ports, nports,
			&out);
	if (ret != 0) {
		return monitor_fail_errno(m, step, MONITOR_FAIL_ERRNO, ret);
	}
	switch (out->status) {
	case CHECK_OK:
		if (m->started_file != NULL && !m->v->check_smb) {
			/* with the SMB answer check, it goes once smbd
			 * answers */
			unlink(m->started_file);
		}
		m->ports = ports;
		m->nports = nports;
		m->listeners = out->listeners;
		monitor_step(m, step, MONITOR_STEP_OK, NULL,
			     talloc_asprintf(mem_ctx, "listening (%s)",
					     out->checker));
		return 0;
	case CHECK_FAIL:
		m->res->port = out->port;
		m->res->startup_grace = monitor_just_started(m);
		if (out->evidence != NULL) {
			clog(CLOG_DEBUG, "%s", out->evidence);
		}
		subject = talloc_asprintf(mem_ctx, "%u", out->port);
		return monitor_fail(m, step, MONITOR_FAIL_PORT, subject);
	case CHECK_CANNOT_RUN:
		break;
	}
	m->res->value = talloc_strdup(m->res, m->v->checkers);
	return monitor_fail(m, step, MONITOR_FAIL_NO_CHECKERS, NULL);
}

/*
 * Spec 3.6: the probe's outcome for the first port that did not
 * answer, counted in the state directory.  Returns 1 when the cycle
 * fails.
 */
static int monitor_smb_failed(struct monitor *m, TALLOC_CTX *mem_ctx,
			      const struct smbanswer_state *st, bool started,
			      uint16_t port, const char *words)
{
	static const char step[] = "smb answer";
	unsigned limit = (unsigned)m->v->smb_failures;
	unsigned k = st->failures < 1000000 ? st->failures + 1 : st->failures;
	char *subject = talloc_asprintf(mem_ctx, "%u", port);

	if (started && monitor_just_started(m)) {
		/* samba was just started: said, not counted */
		m->res->port = port;
		m->res->words = talloc_strdup(m->res, words);
		m->res->startup_grace = true;
		return monitor_fail(m, step, MONITOR_FAIL_SMB, subject);
	}
	if (started) {
		unlink(m->started_file);
	}
	if (m->state_dir != NULL &&
	    smbanswer_state_write(mem_ctx, m->state_dir, st, k) != 0) {
		clog(CLOG_DEBUG, "%s: %s: cannot record failure %u in \"%s\"",
		     m->opts->log_name, step, k, m->state_dir);
	}
	if (k < limit) {
		clog(CLOG_WARNING, "WARNING: samba tcp port %u does not answer "
		     "SMB (%s); failure %u of %u", port, words, k, limit);
		monitor_step(m, step, MONITOR_STEP_WARNING, subject,
			     talloc_asprintf(mem_ctx, "failure %u of %u", k,
					     limit));
		return 0;
	}
	m->res->port = port;
	m->res->words = talloc_strdup(m->res, words);
	return monitor_fail(m, step, MONITOR_FAIL_SMB, subject);
}

/* Spec 3.6: does each checked port answer SMB, when that is due? */
static int monitor_smb(struct monitor *m, TALLOC_CTX *mem_ctx)
{
	static const char step[] = "smb answer";
	struct smbanswer_state st;
	struct smbanswer_target *t = NULL;
	struct smbanswer_result *r = NULL;
	struct stat sb;
	uint64_t queued = 0;
	bool started = false;
	size_t i, failed;
	int ret;

	if (!m->v->check_smb) {
		monitor_step(m, step, MONITOR_STEP_SKIP, NULL, NULL);
		return 0;
	}
	/* what makes it due costs a stat of the started file, an lstat
	 * of the state file, and what the port check already read */
	started = m->started_file != NULL && stat(m->started_file, &sb) == 0;
	smbanswer_state_read(mem_ctx, m->state_dir, &st);
	for (i = 0; m->listeners != NULL && i < m->nports &&
		    i < m->listeners->nports; i++) {
		queued += m->listeners->queued[i];
	}
	if (!smbanswer_due(&st, m->v->smb_interval, queued, started)) {
		monitor_step(m, step, MONITOR_STEP_OK, NULL, "not due");
		return 0;
	}

	if (deadline_expired(&m->dl)) {
		/* the run's time went to the steps before: nothing was
		 * asked, so nothing is counted, and it stays due */
		clog(CLOG_DEBUG, "%s: %s: no time left before the deadline",
		     m->opts->log_name, step);
		monitor_step(m, step, MONITOR_STEP_WARNING, NULL,
			     "no time left");
		return 0;
	}
	t = talloc_array(mem_ctx, struct smbanswer_target, m->nports);
	if (t == NULL) {
		return monitor_fail_errno(m, step, MONITOR_FAIL_ERRNO, ENOMEM);
	}
	for (i = 0; i < m->nports; i++) {
		smbanswer_pick_target(m->listeners, i, m->ports[i], &t[i]);
	}
	ret = (m->opts->smb_probe != NULL ? m->opts->smb_probe :
		smbanswer_probe)(mem_ctx, t, m->nports, &m->dl,
				 (int64_t)m->v->smb_timeout * 1000, &r);
	if (ret != 0) {
		return monitor_fail_errno(m, step, MONITOR_FAIL_ERRNO, ret);
	}
	failed = m->nports;
	for (i = 0; i < m->nports; i++) {
		char name[64];

		smbanswer_target_name(&t[i], name, sizeof(name));
		clog(CLOG_DEBUG, "%s: %s: port %u on %s: %s (%lld ms)",
		     m->opts->log_name, step, (unsigned)t[i].port, name,
		     smbanswer_words(mem_ctx, &r[i]), (long long)r[i].ms);
		if (r[i].outcome != SMBANSWER_ANSWERED && failed == m->nports) {
			failed = i;
		}
	}
	if (failed < m->nports) {
		return monitor_smb_failed(m, mem_ctx, &st, started,
					  m->ports[failed],
					  smbanswer_words(mem_ctx, &r[failed]));
	}
	if (started) {
		unlink(m->started_file);
	}
	if (m->state_dir != NULL &&
	    smbanswer_state_write(mem_ctx, m->state_dir, &st, 0) != 0) {
		clog(CLOG_DEBUG, "%s: %s: cannot record the answer in \"%s\"",
		     m->opts->log_name, step, m->state_dir);
	}
	monitor_step(m, step, MONITOR_STEP_OK, NULL, "answered");
	return 0;
}

static int monitor_winbind(struct monitor *m, TALLOC_CTX *mem_ctx)
{
	char *detail = NULL;
	bool alive = false;
	int ret;

	ret = winbind_ping(mem_ctx, &m->dl, &alive, &detail);
	if (ret != 0 || !alive) {
		/*
		 * What went wrong follows the ERROR line at every level,
		 * as upstream's 49.winbind prints wbinfo -p's output: the
		 * libwbclient error, or wbinfo's status and output
		 */
		char *line = NULL;
		char *save = NULL;
		size_t n = 0;

		if (ret != 0) {
			detail = talloc_asprintf(mem_ctx, "winbind ping: %s",
						 strerror(ret));
		}
		for (line = detail != NULL ?
			    strtok_r(detail, "\n", &save) : NULL;
		     line != NULL && n < MONITOR_WINBIND_LINES;
		     line = strtok_r(NULL, "\n", &save), n++) {
			monitor_detail(m, line);
		}
		return monitor_fail(m, "winbind", MONITOR_FAIL_WINBIND, NULL);
	}
	monitor_step(m, "winbind", MONITOR_STEP_OK, NULL, "ping answered");
	return 0;
}

/* Spec 3.2 step 1: never fatal */
static void monitor_cleanup(struct monitor *m)
{
	static const char step[] = "periodic cleanup";
	bool started = false;
	int ret;

	if (m->v->cleanup_period == 0 || m->state_dir == NULL) {
		monitor_step(m, step, MONITOR_STEP_SKIP, NULL, NULL);
		return;
	}
	ret = cleanup_periodic(m->state_dir, (unsigned)m->v->cleanup_period,
			       &m->dl, &started);
	if (ret != 0) {
		clog(CLOG_DEBUG, "%s: %s: %s", m->opts->log_name, step,
		     strerror(ret));
	}
	monitor_step(m, step, MONITOR_STEP_OK, NULL,
		     started ? "smbstatus -np started" : "not due");
}

/* Spec 3.2 step 2 */
static int monitor_samba(struct monitor *m, TALLOC_CTX *mem_ctx,
			 bool need_conf)
{
	bool skip = m->v->skip_share_check;
	int ret;

	if (need_conf) {
		/* the share prober checks the cache too: one child */
		ret = monitor_smbconf(m, mem_ctx, false, !skip);
		if (ret == 0 && m->unchecked.source == SMBCACHE_UNCHECKED) {
			ret = monitor_probe_early(m, mem_ctx);
		}
		if (ret != 0) {
			return ret;
		}
	}
	if (skip || m->v->config_check == CONFIG_CHECK_OFF) {
		monitor_step(m, "clean check", MONITOR_STEP_SKIP, NULL, NULL);
	} else {
		ret = monitor_clean(m, mem_ctx);
		if (ret != 0) {
			return ret;
		}
	}
	if (skip) {
		monitor_step(m, "share check", MONITOR_STEP_SKIP, NULL, NULL);
	} else {
		ret = monitor_shares(m, mem_ctx);
		if (ret != 0) {
			return ret;
		}
	}
	ret = monitor_ports(m, mem_ctx);
	if (ret != 0) {
		return ret;
	}
	return monitor_smb(m, mem_ctx);
}

/* What is managed (spec 3.0): samba, winbind, and the automatic rule */
static void monitor_managed(const struct monitor *m, bool *samba,
			    bool *winbind, bool *winbind_auto)
{
	const struct config *cfg = m->cfg;

	if (m->opts->managed) {
		*samba = true;
		*winbind = config_is_yes(cfg, "CTDB_MANAGES_WINBIND");
		*winbind_auto = false;
		return;
	}
	*samba = config_has_word(cfg, "CTDB_MANAGED_SERVICES", "samba") ||
		 config_is_yes(cfg, "CTDB_MANAGES_SAMBA");
	*winbind = config_has_word(cfg, "CTDB_MANAGED_SERVICES", "winbind") ||
		   config_is_yes(cfg, "CTDB_MANAGES_WINBIND");
	*winbind_auto = !*winbind && *samba &&
			config_get(cfg, "CTDB_MANAGES_WINBIND") == NULL;
}

static int monitor_cycle(struct monitor *m, TALLOC_CTX *mem_ctx)
{
	bool samba = false, winbind = false, winbind_auto = false;
	bool need_conf;
	int ret;

	ret = monitor_config(m, mem_ctx);
	if (ret != 0) {
		return monitor_fail_errno(m, "configuration",
					  MONITOR_FAIL_ERRNO, ret);
	}
	monitor_managed(m, &samba, &winbind, &winbind_auto);
	if (!samba && !winbind) {
		m->res->verdict = MONITOR_NOT_MANAGED;
		clog(CLOG_DEBUG, "%s: samba and winbind not managed: nothing "
		     "to check", m->opts->log_name);
		return 0;
	}
	ret = monitor_values(m, mem_ctx);
	if (ret != 0) {
		return ret;
	}
	monitor_state(m, mem_ctx);
	monitor_cleanup(m);

	if (samba) {
		need_conf = !m->v->skip_share_check || winbind_auto ||
			    !m->v->ports_given;
		ret = monitor_samba(m, mem_ctx, need_conf);
		if (ret != 0) {
			return ret;
		}
		if (winbind_auto && m->conf != NULL) {
			winbind = smbconf_is_domain(m->conf);
		}
	}
	if (!winbind) {
		monitor_step(m, "winbind", MONITOR_STEP_SKIP, NULL, NULL);
	} else {
		ret = monitor_winbind(m, mem_ctx);
		if (ret != 0) {
			return ret;
		}
	}
	clog(CLOG_DEBUG, "%s: healthy (%lld ms in all)", m->opts->log_name,
	     (long long)(util_now_ms() - m->start_ms));
	return 0;
}

/*
 * The cache answered but is old by age alone: refresh it in the
 * background, now that the cycle's checks are done (whatever they
 * found).  Its outcome is the next cycle's news.
 */
static void monitor_refresh_detached(struct monitor *m, TALLOC_CTX *mem_ctx)
{
	struct deadline dl = monitor_testparm_deadline(m);
	struct smbcache_opts o = monitor_cache_opts(m, &dl);
	int ret = smbcache_start_refresh(mem_ctx, &o);

	monitor_step(m, "smb.conf cache", MONITOR_STEP_OK, NULL,
		     ret == 0 ? "refresh started, detached" :
		     ret == EALREADY ? "refresh running already" :
		     talloc_asprintf(mem_ctx, "refresh not started: %s",
				     strerror(ret)));
}

int monitor_run(TALLOC_CTX *mem_ctx, const struct monitor_opts *opts,
		const struct port_checker *const *table,
		struct monitor_result **res)
{
	TALLOC_CTX *tmp_ctx = NULL;
	struct monitor *m = NULL;
	enum clog_level level;

	*res = NULL;
	tmp_ctx = talloc_new(mem_ctx);
	if (tmp_ctx == NULL) {
		return ENOMEM;
	}
	m = talloc_zero(tmp_ctx, struct monitor);
	if (m == NULL) {
		talloc_free(tmp_ctx);
		return ENOMEM;
	}
	m->res = talloc_zero(mem_ctx, struct monitor_result);
	if (m->res == NULL) {
		talloc_free(tmp_ctx);
		return ENOMEM;
	}
	m->opts = opts;
	m->table = table;
	m->start_ms = util_now_ms();
	m->step_ms = m->start_ms;
	/* until the configuration says otherwise */
	deadline_init(&m->dl, 10);

	level = opts->verbose ? CLOG_DEBUG :
		config_debug_level(tmp_ctx, opts->managed);
	/* the debug level gates DEBUG, INFO and NOTICE lines: a WARNING
	 * is always kept */
	clog_start(tmp_ctx, level > CLOG_WARNING ? level : CLOG_WARNING);

	m->res->verdict = MONITOR_HEALTHY;
	(void)monitor_cycle(m, tmp_ctx);
	if (m->refresh_due) {
		monitor_refresh_detached(m, tmp_ctx);
	}

	m->res->ms = util_now_ms() - m->start_ms;
	m->res->log = talloc_strdup(m->res, clog_text());
	clog_end();
	if (m->res->log == NULL) {
		talloc_free(m->res);
		talloc_free(tmp_ctx);
		return ENOMEM;
	}
	*res = m->res;
	talloc_free(tmp_ctx);
	return 0;
}
