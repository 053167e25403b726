/*
 * ctdb checksamba: one monitor cycle of the Samba health check
 * (spec section 3).  The checks live in checks/; this file reads the
 * configuration, runs the steps in order and words the result.
 *
 * Output: everything goes into the run's report (checks/log.h); the
 * line that decides the run (ERROR, INFO or INTERNAL ERROR) is printed
 * first, then its details, then warnings and DEBUG lines, because ctdb
 * keeps only the first 511 bytes of a script's output.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <popt.h>
#include <talloc.h>

#include "checks/chain.h"
#include "checks/cleanup.h"
#include "checks/config.h"
#include "checks/log.h"
#include "checks/share.h"
#include "checks/smbcache.h"
#include "checks/smbconf.h"
#include "checks/tcpport.h"
#include "checks/util.h"
#include "checks/winbind.h"
#include "cmd/cmd.h"
#include "compat/checkers.h"

#define EXIT_HEALTHY 0
#define EXIT_UNHEALTHY 1

#define DEFAULT_CHECKERS "ctdb nmap netstat"
#define DEFAULT_TIMEOUT 10
#define MAX_TIMEOUT 3600
#define WARN_INTERVAL 600	/* seconds between repeated cache warnings */

enum config_check { CONFIG_CHECK_STDOUT, CONFIG_CHECK_STRICT, CONFIG_CHECK_OFF };

struct opts {
	int verbose;
	int managed;
	int skip_share_check;
	const char *ports;
	const char *checkers;
	const char *state_dir;
	const char *timeout;
	const char *config;
};

/* Everything one run works with; a talloc child of the command's mem_ctx. */
struct run {
	struct opts opts;
	struct config *cfg;
	struct deadline dl;
	int64_t start_ms;
	int64_t step_ms;
	bool managed;
	const char *state_dir;		/* NULL: unusable, run uncached */
	const char *started_file;
	enum config_check config_check;
	uint64_t cleanup_period;
	uint64_t cache_max_age;
	uint64_t startup_grace;
	uint16_t *ports;		/* CTDB_SAMBA_CHECK_PORTS / --ports */
	size_t nports;
	bool ports_given;
	struct smbconf *conf;		/* NULL until needed */
	bool refreshed;			/* testparm ran in this run */
	bool not_managed;		/* print nothing (unless -v) */
	char *headline;			/* the line that decides the run */
	char *details;			/* lines that belong to it */
};

/* ------------------------------------------------------------------ */
/* Reporting */

static int fail(struct run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct run *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	r->headline = talloc_vasprintf(r, fmt, ap);
	va_end(ap);
	return EXIT_UNHEALTHY;
}

static void add_detail(struct run *r, const char *line)
{
	char *copy = talloc_strdup(r, line);

	if (copy == NULL) {
		return;
	}
	clog_sanitize(copy);
	/* appending to NULL would make a new top-level context: a leak */
	if (r->details == NULL) {
		r->details = talloc_strdup(r, "");
	}
	if (r->details != NULL) {
		r->details = talloc_asprintf_append_buffer(r->details, "%s\n",
							   copy);
	}
	talloc_free(copy);
}

static void add_details(struct run *r, char **lines, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		add_detail(r, lines[i]);
	}
}

/* DEBUG line with the time the step took */
static void step_done(struct run *r, const char *step, const char *what)
{
	int64_t now = util_now_ms();

	clog(CLOG_DEBUG, "checksamba: %s: %s (%lld ms)", step, what,
	     (long long)(now - r->step_ms));
	r->step_ms = now;
}

static void print_report(struct run *r)
{
	if (r->headline != NULL) {
		char *p = NULL;

		/* one line: a value with a newline must not split it */
		for (p = r->headline; *p != '\0'; p++) {
			if (*p == '\n') {
				*p = '?';
			}
		}
		printf("%s\n", clog_sanitize(r->headline));
	}
	if (r->details != NULL) {
		fputs(r->details, stdout);
	}
	clog_flush(stdout);
}

/* ------------------------------------------------------------------ */
/* Configuration */

static enum clog_level level_from_name(const char *s, bool new_scale)
{
	static const struct {
		const char *name;
		enum clog_level level;
	} names[] = {
		{ "ERR", CLOG_ERROR }, { "ERROR", CLOG_ERROR },
		{ "WARNING", CLOG_WARNING }, { "NOTICE", CLOG_NOTICE },
		{ "INFO", CLOG_INFO }, { "DEBUG", CLOG_DEBUG },
	};
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcasecmp(s, names[i].name) == 0) {
			return names[i].level;
		}
	}
	if (util_parse_uint(s, 1000, &v) != 0) {
		return CLOG_NOTICE;
	}
	if (new_scale) {
		/* ERROR 0, WARNING 1, NOTICE 3, INFO 5, DEBUG 10 */
		return v >= 10 ? CLOG_DEBUG : v >= 5 ? CLOG_INFO :
		       v >= 3 ? CLOG_NOTICE : v >= 1 ? CLOG_WARNING :
		       CLOG_ERROR;
	}
	return v >= 4 ? CLOG_DEBUG : (enum clog_level)v;
}

static const char *vardir(const struct config *cfg)
{
	const char *v = config_get(cfg, "CTDB_VARDIR");
	struct stat st;

	if (v != NULL) {
		return v;
	}
	if (stat("/var/lib/ctdb", &st) == 0 && S_ISDIR(st.st_mode)) {
		return "/var/lib/ctdb";
	}
	return "/var/ctdb";
}

/* The debug level of the mode (spec 3.0), before any file is read, so
 * that skipped configuration lines can be reported. */
static enum clog_level initial_level(TALLOC_CTX *mem_ctx, struct run *r)
{
	const char *v = NULL;
	struct config *tmp = NULL;
	char *path = NULL;
	enum clog_level level = CLOG_NOTICE;

	if (r->opts.verbose) {
		return CLOG_DEBUG;
	}
	if (r->opts.managed) {
		v = getenv("CTDB_DEBUGLEVEL");
		return (v != NULL && v[0] != '\0') ?
			level_from_name(v, true) : CLOG_NOTICE;
	}
	v = getenv("CTDB_CURRENT_DEBUGLEVEL");
	if (v != NULL && v[0] != '\0') {
		return level_from_name(v, false);
	}
	/* "export CTDB_CURRENT_DEBUGLEVEL=N", written by old ctdbd */
	tmp = config_new(mem_ctx);
	path = talloc_asprintf(mem_ctx, "%s/eventscript_debuglevel",
			       vardir(r->cfg));
	if (tmp != NULL && path != NULL &&
	    config_load_file(tmp, path) == 0) {
		v = config_get(tmp, "CTDB_CURRENT_DEBUGLEVEL");
		if (v != NULL) {
			level = level_from_name(v, false);
		}
	}
	talloc_free(tmp);
	talloc_free(path);
	return level;
}

static void load_file(struct config *cfg, const char *path)
{
	int ret = config_load_file(cfg, path);

	if (ret != 0 && ret != ENOENT) {
		clog(CLOG_WARNING, "WARNING: cannot read configuration file "
		     "\"%s\" (%s) - skipped", path, strerror(ret));
	}
}

/* The first existing of the three places for NAME (legacy mode) */
static void load_sysconfig(TALLOC_CTX *mem_ctx, struct config *cfg,
			   const char *etcdir, const char *base,
			   const char *name)
{
	const char *dir[] = { etcdir, etcdir, base };
	const char *sub[] = { "sysconfig", "default", "sysconfig" };
	size_t i;

	for (i = 0; i < 3; i++) {
		char *path = talloc_asprintf(mem_ctx, "%s/%s/%s", dir[i],
					     sub[i], name);
		struct stat st;

		if (path != NULL && stat(path, &st) == 0) {
			load_file(cfg, path);
			talloc_free(path);
			return;
		}
		talloc_free(path);
	}
}

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return (v != NULL && v[0] != '\0') ? v : def;
}

static void load_config(TALLOC_CTX *mem_ctx, struct run *r)
{
	const char *base = env_or("CTDB_BASE", "/etc/ctdb");
	const char *etcdir = env_or("CTDB_ETCDIR", "/etc");
	char *path = NULL;

	if (!r->opts.managed) {
		load_sysconfig(mem_ctx, r->cfg, etcdir, base, "ctdb");
		load_sysconfig(mem_ctx, r->cfg, etcdir, base, "samba");
	}
	path = talloc_asprintf(mem_ctx, "%s/script.options", base);
	if (path != NULL) {
		load_file(r->cfg, path);
	}
	path = talloc_asprintf(mem_ctx, "%s/events/legacy/50.samba.options",
			       base);
	if (path != NULL) {
		load_file(r->cfg, path);
	}
	if (r->opts.config != NULL) {
		load_file(r->cfg, r->opts.config);
	}
}

static int invalid(struct run *r, const char *name)
{
	return fail(r, "ERROR: invalid value \"%s\" for %s",
		    config_get(r->cfg, name), name);
}

static int get_uint(struct run *r, const char *name, uint64_t def,
		    uint64_t max, uint64_t *out)
{
	if (config_get_uint(r->cfg, name, def, max, out) != 0) {
		return invalid(r, name);
	}
	return 0;
}

/* Every value is checked before anything is done (spec 3.1). */
static int check_values(struct run *r)
{
	const char *v = NULL;
	uint64_t timeout = 0;
	char *bad = NULL;
	int ret;

	ret = get_uint(r, "CTDB_SAMBA_CHECK_TIMEOUT", DEFAULT_TIMEOUT,
		       MAX_TIMEOUT, &timeout);
	if (ret == 0 && timeout == 0) {
		ret = invalid(r, "CTDB_SAMBA_CHECK_TIMEOUT");
	}
	if (ret != 0) {
		return ret;
	}
	r->dl.seconds = (unsigned)timeout;
	r->dl.end_ms = r->start_ms + (int64_t)timeout * 1000;

	ret = get_uint(r, "SAMBA_CLEANUP_PERIOD", r->opts.managed ? 0 : 10,
		       INT32_MAX, &r->cleanup_period);
	if (ret == 0) {
		ret = get_uint(r, "CTDB_SAMBA_CACHE_MAX_AGE", 60, INT32_MAX,
			       &r->cache_max_age);
	}
	if (ret == 0) {
		ret = get_uint(r, "CTDB_SAMBA_STARTUP_GRACE", 60, INT32_MAX,
			       &r->startup_grace);
	}
	if (ret != 0) {
		return ret;
	}

	v = config_get(r->cfg, "CTDB_SAMBA_CONFIG_CHECK");
	if (v == NULL || strcmp(v, "stdout") == 0) {
		r->config_check = CONFIG_CHECK_STDOUT;
	} else if (strcmp(v, "strict") == 0) {
		r->config_check = CONFIG_CHECK_STRICT;
	} else if (strcmp(v, "off") == 0) {
		r->config_check = CONFIG_CHECK_OFF;
	} else {
		return invalid(r, "CTDB_SAMBA_CONFIG_CHECK");
	}

	v = config_get(r->cfg, "CTDB_SAMBA_CHECK_PORTS");
	if (v != NULL) {
		if (util_parse_port_list(r, v, &r->ports, &r->nports,
					 &bad) != 0) {
			return invalid(r, "CTDB_SAMBA_CHECK_PORTS");
		}
		r->ports_given = true;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* State */

static int mkdir_p(const char *path)
{
	char *copy = strdup(path);
	char *p = NULL;
	int ret = 0;

	if (copy == NULL) {
		return ENOMEM;
	}
	if (copy[0] == '\0') {
		free(copy);
		return EINVAL;
	}
	for (p = copy + 1; ret == 0; p++) {
		bool end = (*p == '\0');

		if (*p != '/' && !end) {
			continue;
		}
		*p = '\0';
		if (mkdir(copy, 0755) != 0 && errno != EEXIST) {
			ret = errno;
		}
		if (end) {
			break;
		}
		*p = '/';
	}
	free(copy);
	return ret;
}

static void setup_state(struct run *r)
{
	const char *dir = r->opts.state_dir;
	int ret;

	if (dir == NULL && r->opts.managed) {
		dir = talloc_asprintf(r, "%s/service/samba",
				      config_get(r->cfg, "CTDB_SCRIPT_VARDIR") ?:
				      "/var/lib/ctdb/scripts");
	} else if (dir == NULL) {
		dir = talloc_asprintf(r, "%s/state/samba", vardir(r->cfg));
	}
	if (dir == NULL) {
		return;
	}
	if (r->opts.managed) {
		r->started_file = talloc_asprintf(r, "%s/started", dir);
	} else {
		r->started_file = talloc_asprintf(r, "%s/failcount/samba.started",
						  vardir(r->cfg));
	}

	ret = mkdir_p(dir);
	if (ret == 0 && access(dir, W_OK | X_OK) != 0) {
		ret = errno;
	}
	if (ret != 0) {
		clog(CLOG_WARNING, "WARNING: state directory \"%s\" not usable "
		     "(%s) - running without cache", dir, strerror(ret));
		return;
	}
	r->state_dir = dir;
}

/* True once per WARN_INTERVAL for the warning named by @p stamp. */
static bool warn_due(struct run *r, const char *stamp)
{
	char *path = NULL;
	struct stat st;
	bool due = true;
	int fd;

	if (r->state_dir == NULL) {
		return true;
	}
	path = talloc_asprintf(r, "%s/%s", r->state_dir, stamp);
	if (path == NULL) {
		return true;
	}
	if (stat(path, &st) == 0 && time(NULL) - st.st_mtime < WARN_INTERVAL &&
	    time(NULL) >= st.st_mtime) {
		due = false;
	} else {
		fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY,
			  0644);
		if (fd >= 0) {
			futimens(fd, NULL);
			close(fd);
		}
	}
	talloc_free(path);
	return due;
}

/* ------------------------------------------------------------------ */
/* The steps */

/*
 * testparm may not take the whole run: with an old cache to fall back
 * on, the share and port checks still need time after a refresh that
 * timed out.  It gets the run's deadline less a quarter (at most 2 s).
 */
static struct deadline testparm_deadline(const struct run *r)
{
	struct deadline dl = r->dl;
	int64_t reserve = (int64_t)r->dl.seconds * 1000 / 4;

	dl.end_ms -= (reserve < 2000) ? reserve : 2000;
	return dl;
}

/*
 * testparm's stderr as printed after a cache message: trailing newlines
 * dropped, and at most TESTPARM_ERR_LINES lines (ctdb logs every line
 * a monitor script prints, every cycle).
 */
#define TESTPARM_ERR_LINES 40

static char *testparm_stderr(struct run *r, char *err)
{
	size_t len = strlen(err);
	size_t lines = 0;
	char *p = err;

	while (len > 0 && err[len - 1] == '\n') {
		err[--len] = '\0';
	}
	while ((p = strchr(p, '\n')) != NULL) {
		p++;
		if (++lines == TESTPARM_ERR_LINES) {
			size_t more = 1;
			char *q = p;

			while ((q = strchr(q, '\n')) != NULL) {
				q++;
				more++;
			}
			p[0] = '\0';
			return talloc_asprintf(r, "%s(%zu more lines from "
					       "testparm)", err, more);
		}
	}
	return err;
}

static int load_smbconf(struct run *r, bool force)
{
	struct deadline dl = testparm_deadline(r);
	struct smbcache_opts o = {
		.state_dir = r->state_dir,
		.max_age = (unsigned)r->cache_max_age,
		.deadline = &dl,
	};
	struct smbcache_status st = { 0 };
	struct smbconf *conf = NULL;
	int ret;

	ret = smbcache_load(r, &o, force, &conf, &st);
	if (ret != 0) {
		return fail(r, "ERROR: smb.conf cache: %s", strerror(ret));
	}
	if (st.cache_unwritable && warn_due(r, "smb.conf.cache.nowrite")) {
		clog(CLOG_WARNING, "WARNING: cannot write smb.conf cache in "
		     "\"%s\" - running without cache", r->state_dir);
	}
	switch (st.source) {
	case SMBCACHE_FROM_CACHE:
		step_done(r, "smb.conf cache", "fresh");
		break;
	case SMBCACHE_REFRESHED:
		r->refreshed = true;
		step_done(r, "smb.conf cache", "refreshed by testparm");
		break;
	case SMBCACHE_OLD_CACHE:
		if (warn_due(r, "smb.conf.cache.warned")) {
			clog(CLOG_WARNING, "WARNING: smb.conf cache update %s - "
			     "using old cache file",
			     st.timed_out ? "timed out" : "failed");
			if (st.testparm_err != NULL) {
				clog(CLOG_WARNING, "%s",
				     testparm_stderr(r, st.testparm_err));
			}
		}
		step_done(r, "smb.conf cache", "refresh failed, old cache");
		break;
	case SMBCACHE_NONE:
		if (st.timed_out) {
			return fail(r, "ERROR: smb.conf cache create failed - "
				    "testparm command timed out");
		}
		fail(r, "ERROR: smb.conf cache create failed - testparm failed "
		     "with:");
		if (st.testparm_err != NULL) {
			add_detail(r, testparm_stderr(r, st.testparm_err));
		}
		return EXIT_UNHEALTHY;
	}
	if (conf != NULL) {
		TALLOC_FREE(r->conf);
		r->conf = conf;
	}
	return 0;
}

static size_t dirty_lines(struct run *r, char ***lines)
{
	char **err_lines = NULL;
	size_t n = r->conf->ndirty_stdout;
	size_t nerr = 0;
	size_t i;

	*lines = r->conf->dirty_stdout;
	if (r->config_check != CONFIG_CHECK_STRICT) {
		return n;
	}
	nerr = smbconf_dirty_stderr(r, r->conf, &err_lines);
	if (nerr == 0) {
		return n;
	}
	*lines = talloc_array(r, char *, n + nerr);
	if (*lines == NULL) {
		return n + nerr;	/* still dirty, without details */
	}
	for (i = 0; i < n; i++) {
		(*lines)[i] = r->conf->dirty_stdout[i];
	}
	for (i = 0; i < nerr; i++) {
		(*lines)[n + i] = err_lines[i];
	}
	return n + nerr;
}

static int check_clean(struct run *r)
{
	char **lines = NULL;
	size_t n;
	int ret;

	n = dirty_lines(r, &lines);
	if (n > 0 && !r->refreshed) {
		ret = load_smbconf(r, true);
		if (ret != 0) {
			return ret;
		}
		n = dirty_lines(r, &lines);
	}
	if (n > 0) {
		fail(r, "ERROR: testparm shows smb.conf is not clean");
		if (lines != NULL) {
			add_details(r, lines, n);
		}
		return EXIT_UNHEALTHY;
	}
	step_done(r, "clean check", "clean");
	return 0;
}

static int check_shares(struct run *r)
{
	struct share_failure *f = NULL;
	const char **paths = NULL;
	size_t n = 0;
	int ret;

	ret = share_paths(r, r->conf, &paths, &n);
	if (ret == 0) {
		ret = share_probe(r, r->state_dir, paths, n, &r->dl, &f);
	}
	if (ret == 0 && f != NULL && !r->refreshed &&
	    !deadline_expired(&r->dl)) {
		/* confirm with a fresh smb.conf before failing */
		ret = load_smbconf(r, true);
		if (ret != 0) {
			return ret;
		}
		TALLOC_FREE(f);
		ret = share_paths(r, r->conf, &paths, &n);
		if (ret == 0) {
			ret = share_probe(r, r->state_dir, paths, n, &r->dl,
					  &f);
		}
	}
	if (ret != 0) {
		return fail(r, "ERROR: samba share check failed: %s",
			    strerror(ret));
	}
	if (f != NULL) {
		if (f->hung) {
			return fail(r, "ERROR: samba directory \"%s\" not "
				    "available (no answer in %u s)", f->path,
				    r->dl.seconds);
		}
		return fail(r, "ERROR: samba directory \"%s\" not available",
			    f->path);
	}
	step_done(r, "share check", talloc_asprintf(r, "%zu directories", n));
	return 0;
}

static bool recently_started(struct run *r)
{
	struct stat st;
	time_t now = time(NULL);

	if (r->started_file == NULL || stat(r->started_file, &st) != 0) {
		return false;
	}
	return now >= st.st_mtime &&
	       (uint64_t)(now - st.st_mtime) < r->startup_grace;
}

static int check_ports(struct run *r)
{
	const char *names = config_get(r->cfg, "CTDB_TCP_PORT_CHECKERS");
	struct tcpport_opts tcp = { .deadline = &r->dl };
	struct checker_env env = { .deadline = &r->dl, .tcp = &tcp };
	struct chain_outcome *out = NULL;
	uint16_t *ports = NULL;
	size_t nports = 0;
	char *bad = NULL;
	int ret;

	if (r->ports_given) {
		ports = r->ports;
		nports = r->nports;
	} else {
		ret = smbconf_ports(r, r->conf, &ports, &nports, &bad);
		if (ret == EINVAL) {
			return fail(r, "ERROR: invalid value \"%s\" for smb "
				    "ports", bad);
		}
		if (ret != 0) {
			return fail(r, "ERROR: %s", strerror(ret));
		}
	}
	if (nports == 0) {
		return fail(r, "INTERNAL ERROR: ctdb_check_tcp_ports - no ports "
			    "specified");
	}
	if (names == NULL) {
		names = DEFAULT_CHECKERS;
	}
	ret = chain_run(r, compat_checkers, names, &env, ports, nports, &out);
	if (ret != 0) {
		return fail(r, "ERROR: %s", strerror(ret));
	}
	switch (out->status) {
	case CHECK_OK:
		if (r->started_file != NULL) {
			unlink(r->started_file);
		}
		step_done(r, "port check",
			  talloc_asprintf(r, "listening (%s)", out->checker));
		return 0;
	case CHECK_FAIL:
		fail(r, "%s: samba tcp port %u is not responding",
		     recently_started(r) ? "INFO" : "ERROR", out->port);
		if (out->evidence != NULL) {
			clog(CLOG_DEBUG, "%s", out->evidence);
		}
		return EXIT_UNHEALTHY;
	case CHECK_CANNOT_RUN:
		break;
	}
	return fail(r, "INTERNAL ERROR: ctdb_check_ports - no working checkers "
		    "in CTDB_TCP_PORT_CHECKERS=\"%s\"", names);
}

static int check_samba(struct run *r, bool need_conf)
{
	bool skip = config_is_yes(r->cfg, "CTDB_SAMBA_SKIP_SHARE_CHECK");
	int ret;

	if (need_conf && r->conf == NULL) {
		ret = load_smbconf(r, false);
		if (ret != 0) {
			return ret;
		}
	}
	if (!skip && r->config_check != CONFIG_CHECK_OFF) {
		ret = check_clean(r);
		if (ret != 0) {
			return ret;
		}
	}
	if (!skip) {
		ret = check_shares(r);
		if (ret != 0) {
			return ret;
		}
	}
	return check_ports(r);
}

static int check_winbind(struct run *r)
{
	char *detail = NULL;
	bool alive = false;
	int ret;

	ret = winbind_ping(r, &r->dl, &alive, &detail);
	if (ret != 0 || !alive) {
		fail(r, "ERROR: winbind - wbinfo -p returned error");
		if (detail != NULL) {
			clog(CLOG_DEBUG, "%s", detail);
		}
		return EXIT_UNHEALTHY;
	}
	step_done(r, "winbind", "ping answered");
	return 0;
}

static void periodic_cleanup(struct run *r)
{
	bool started = false;
	int ret;

	if (r->cleanup_period == 0 || r->state_dir == NULL) {
		return;
	}
	ret = cleanup_periodic(r->state_dir, (unsigned)r->cleanup_period,
			       &r->dl, &started);
	if (ret != 0) {
		clog(CLOG_DEBUG, "checksamba: periodic cleanup: %s",
		     strerror(ret));
	}
	step_done(r, "periodic cleanup",
		  started ? "smbstatus -np started" : "not due");
}

/* ------------------------------------------------------------------ */

static int cycle(struct run *r)
{
	const char *mw = config_get(r->cfg, "CTDB_MANAGES_WINBIND");
	bool samba, winbind, winbind_auto, need_conf;
	int ret;

	if (r->opts.managed) {
		samba = true;
		winbind = config_is_yes(r->cfg, "CTDB_MANAGES_WINBIND");
		winbind_auto = false;
	} else {
		samba = config_has_word(r->cfg, "CTDB_MANAGED_SERVICES",
					"samba") ||
			config_is_yes(r->cfg, "CTDB_MANAGES_SAMBA");
		winbind = config_has_word(r->cfg, "CTDB_MANAGED_SERVICES",
					  "winbind") ||
			  config_is_yes(r->cfg, "CTDB_MANAGES_WINBIND");
		winbind_auto = !winbind && mw == NULL && samba;
	}
	if (!samba && !winbind) {
		r->not_managed = true;	/* nothing to check or write */
		return EXIT_HEALTHY;
	}

	ret = check_values(r);
	if (ret != 0) {
		return ret;
	}
	setup_state(r);
	periodic_cleanup(r);

	if (samba) {
		bool skip = config_is_yes(r->cfg,
					  "CTDB_SAMBA_SKIP_SHARE_CHECK");

		need_conf = !skip || winbind_auto || !r->ports_given;
		ret = check_samba(r, need_conf);
		if (ret != 0) {
			return ret;
		}
		if (winbind_auto && r->conf != NULL) {
			winbind = smbconf_is_domain(r->conf);
		}
	}
	if (winbind) {
		ret = check_winbind(r);
		if (ret != 0) {
			return ret;
		}
	}
	clog(CLOG_DEBUG, "checksamba: healthy (%lld ms in all)",
	     (long long)(util_now_ms() - r->start_ms));
	return EXIT_HEALTHY;
}

/* Replace a malloc()ed popt string by a talloc copy on @p mem_ctx. */
static int opts_own(TALLOC_CTX *mem_ctx, const char **s)
{
	char *m = (char *)(uintptr_t)*s;

	if (m == NULL) {
		return 0;
	}
	*s = talloc_strdup(mem_ctx, m);
	free(m);
	return *s == NULL ? ENOMEM : 0;
}

static int checksamba_run(TALLOC_CTX *mem_ctx, int argc, const char **argv)
{
	struct run *r = NULL;
	struct opts o = { 0 };
	struct poptOption options[] = {
		POPT_AUTOHELP
		{ .longName = "verbose", .shortName = 'v',
		  .argInfo = POPT_ARG_NONE, .arg = &o.verbose,
		  .descrip = "print DEBUG lines with the time each step took" },
		{ .longName = "managed", .argInfo = POPT_ARG_NONE,
		  .arg = &o.managed,
		  .descrip = "run as a CTDB >= 4.9 eventscript "
			     "(events/legacy/50.samba.script)" },
		{ .longName = "ports", .argInfo = POPT_ARG_STRING,
		  .arg = &o.ports, .argDescrip = "LIST",
		  .descrip = "TCP ports to check (spaces or commas)" },
		{ .longName = "checkers", .argInfo = POPT_ARG_STRING,
		  .arg = &o.checkers, .argDescrip = "LIST",
		  .descrip = "port checkers in order: ctdb bind nmap netstat ss" },
		{ .longName = "skip-share-check", .argInfo = POPT_ARG_NONE,
		  .arg = &o.skip_share_check,
		  .descrip = "skip the clean and share checks" },
		{ .longName = "state-dir", .argInfo = POPT_ARG_STRING,
		  .arg = &o.state_dir, .argDescrip = "DIR",
		  .descrip = "state directory (smb.conf cache, stamps)" },
		{ .longName = "timeout", .argInfo = POPT_ARG_STRING,
		  .arg = &o.timeout, .argDescrip = "SECONDS",
		  .descrip = "deadline for the whole run (default 10)" },
		{ .longName = "config", .argInfo = POPT_ARG_STRING,
		  .arg = &o.config, .argDescrip = "FILE",
		  .descrip = "read this configuration file last" },
		POPT_TABLEEND
	};
	poptContext pc = NULL;
	uint16_t *ports = NULL;
	size_t nports = 0;
	char *bad = NULL;
	enum clog_level level;
	uint64_t v = 0;
	int opt, ret;

	pc = poptGetContext("checksamba", argc, argv, options, 0);
	poptSetOtherOptionHelp(pc, "[OPTIONS]");
	while ((opt = poptGetNextOpt(pc)) >= 0) {
	}
	/* popt hands out malloc()ed strings: keep talloc copies instead */
	if (opts_own(mem_ctx, &o.ports) != 0 ||
	    opts_own(mem_ctx, &o.checkers) != 0 ||
	    opts_own(mem_ctx, &o.state_dir) != 0 ||
	    opts_own(mem_ctx, &o.timeout) != 0 ||
	    opts_own(mem_ctx, &o.config) != 0) {
		fprintf(stderr, "checksamba: out of memory\n");
		ret = EXIT_UNHEALTHY;
		goto done;
	}
	if (opt < -1) {
		fprintf(stderr, "checksamba: %s: %s\n",
			poptBadOption(pc, POPT_BADOPTION_NOALIAS),
			poptStrerror(opt));
		ret = EINVAL;
		goto done;
	}
	/* an empty option counts as unset, as an empty variable does */
	if (o.state_dir != NULL && o.state_dir[0] == '\0') {
		o.state_dir = NULL;
	}
	if (o.config != NULL && o.config[0] == '\0') {
		o.config = NULL;
	}
	if (o.ports != NULL && o.ports[0] == '\0') {
		o.ports = NULL;
	}
	if (o.checkers != NULL && o.checkers[0] == '\0') {
		o.checkers = NULL;
	}
	if (o.timeout != NULL && o.timeout[0] == '\0') {
		o.timeout = NULL;
	}
	if (poptPeekArg(pc) != NULL) {
		fprintf(stderr, "checksamba: unexpected argument \"%s\"\n",
			poptPeekArg(pc));
		ret = EINVAL;
		goto done;
	}
	if (o.timeout != NULL &&
	    (util_parse_uint(o.timeout, MAX_TIMEOUT, &v) != 0 || v == 0)) {
		fprintf(stderr, "checksamba: invalid --timeout \"%s\" "
			"(expected 1..%d seconds)\n", o.timeout, MAX_TIMEOUT);
		ret = EINVAL;
		goto done;
	}
	if (o.ports != NULL &&
	    (util_parse_port_list(mem_ctx, o.ports, &ports, &nports,
				  &bad) != 0 || nports == 0)) {
		fprintf(stderr, "checksamba: invalid --ports \"%s\" (expected "
			"ports 1..65535, separated by spaces or commas)\n",
			o.ports);
		ret = EINVAL;
		goto done;
	}
	if (o.config != NULL) {
		struct stat st;
		int err = 0;

		if (access(o.config, R_OK) != 0 || stat(o.config, &st) != 0) {
			err = errno;
		} else if (S_ISDIR(st.st_mode)) {
			err = EISDIR;
		}
		if (err != 0) {
			fprintf(stderr, "checksamba: cannot read --config "
				"\"%s\": %s\n", o.config, strerror(err));
			ret = EINVAL;
			goto done;
		}
	}

	r = talloc_zero(mem_ctx, struct run);
	if (r == NULL) {
		ret = EXIT_UNHEALTHY;
		goto done;
	}
	r->opts = o;
	r->start_ms = util_now_ms();
	r->step_ms = r->start_ms;
	r->dl.end_ms = r->start_ms + DEFAULT_TIMEOUT * 1000;
	r->dl.seconds = DEFAULT_TIMEOUT;
	r->cfg = config_new(r);
	if (r->cfg == NULL) {
		ret = EXIT_UNHEALTHY;
		goto done;
	}
	level = initial_level(r, r);
	/* the debug level only gates DEBUG (and INFO/NOTICE) lines: a
	 * WARNING is always printed */
	clog_start(r, level > CLOG_WARNING ? level : CLOG_WARNING);
	load_config(r, r);
	if ((o.ports != NULL &&
	     config_set_option(r->cfg, "CTDB_SAMBA_CHECK_PORTS", o.ports)) ||
	    (o.checkers != NULL &&
	     config_set_option(r->cfg, "CTDB_TCP_PORT_CHECKERS",
			       o.checkers)) ||
	    (o.timeout != NULL &&
	     config_set_option(r->cfg, "CTDB_SAMBA_CHECK_TIMEOUT",
			       o.timeout)) ||
	    (o.skip_share_check &&
	     config_set_option(r->cfg, "CTDB_SAMBA_SKIP_SHARE_CHECK", "yes"))) {
		ret = fail(r, "ERROR: out of memory");
	} else {
		step_done(r, "configuration", "read");
		ret = cycle(r);
	}
	if (r->not_managed) {
		clog(CLOG_DEBUG, "checksamba: samba and winbind not managed: "
		     "nothing to check");
	}
	if (!r->not_managed || o.verbose) {
		print_report(r);
	}
	clog_end();
done:
	poptFreeContext(pc);
	return ret;
}

const struct ext_cmd cmd_checksamba = {
	.name = "checksamba",
	.fn = checksamba_run,
	.args = "[OPTIONS]",
	.msg = "one Samba monitor cycle (the 50.samba monitor event)",
};
