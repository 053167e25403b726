/*
 * Unit tests for checks/monitor.c: one test per verdict of spec
 * section 3.  The port checker is a fake whose answer each test sets;
 * testparm is the scenario suite's stub (tests/scenarios/stubs), which
 * prints the fixture's smb.conf; share directories are real; winbindd
 * is absent (_NO_WINBINDD makes libwbclient fail at once).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
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

#include "checks/config.h"
#include "checks/monitor.h"

static struct {
	char dir[64];		/* the sandbox */
	char *state;		/* --state-dir */
	char *smbconf;		/* what the testparm stub prints */
	char *shares;		/* share directories live here */
	char *stdout_extra;	/* FAKE_TESTPARM_STDOUT_FILE */
	char *started;		/* the started file (--managed) */
	TALLOC_CTX *ctx;
	struct monitor_opts opts;
	/* the fake checker's answer */
	enum check_status status;
	uint16_t port;
	unsigned calls;
	uint64_t queued;	/* clients waiting, in the fake's table */
	long sleep_ms;		/* the fake checker takes this long */
	/* the fake SMB probe's answer */
	enum smbanswer_outcome smb;
	unsigned smb_calls;
} fx;

/* The fake SMB probe: every port answers as fx.smb says */
static int fake_probe(TALLOC_CTX *mem_ctx, const struct smbanswer_target *t,
		      size_t n, const struct deadline *dl, int64_t timeout_ms,
		      struct smbanswer_result **res)
{
	size_t i;

	fx.smb_calls++;
	*res = talloc_zero_array(mem_ctx, struct smbanswer_result, n);
	assert_non_null(*res);
	for (i = 0; i < n; i++) {
		(*res)[i].outcome = fx.smb;
		(*res)[i].timeout_s = (unsigned)(timeout_ms / 1000);
		(*res)[i].reply.kind = SMBANSWER_SMB2;
		(*res)[i].reply.has_dialect = true;
		(*res)[i].reply.dialect = 0x02ff;
	}
	return 0;
}

static int fake_check(TALLOC_CTX *mem_ctx, const struct checker_env *env,
		      const uint16_t *ports, size_t nports,
		      struct check_result *res)
{
	fx.calls++;
	if (fx.sleep_ms > 0) {
		struct timespec ts = { .tv_sec = fx.sleep_ms / 1000,
				       .tv_nsec = fx.sleep_ms % 1000 * 1000000 };

		nanosleep(&ts, NULL);
	}
	if (fx.queued > 0 && fx.status == CHECK_OK) {
		/* a listener table whose accept queue holds clients */
		struct tcpport_answer *a = talloc_zero(mem_ctx,
						       struct tcpport_answer);

		assert_non_null(a);
		a->nports = nports;
		a->queued = talloc_zero_array(a, uint64_t, nports);
		a->nlisteners = talloc_zero_array(a, unsigned, nports);
		a->listeners = talloc_zero_array(a, struct tcpport_listener *,
						 nports);
		assert_non_null(a->queued);
		a->queued[0] = fx.queued;
		res->listeners = a;
	}
	res->status = fx.status;
	res->port = fx.status == CHECK_FAIL ? fx.port : 0;
	res->evidence = talloc_strdup(mem_ctx, "fake evidence");
	return 0;
}

static const struct port_checker checker_fake = {
	.name = "fake",
	.check = fake_check,
};

static const struct port_checker *const table[] = { &checker_fake, NULL };

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void set_smbconf(const char *text)
{
	struct timespec ts[2];

	write_file(fx.smbconf, text);
	/* older than the cache's racy window, as far as mtime goes */
	assert_int_equal(clock_gettime(CLOCK_REALTIME, &ts[0]), 0);
	ts[0].tv_sec -= 2;
	ts[1] = ts[0];
	assert_int_equal(utimensat(AT_FDCWD, fx.smbconf, ts, 0), 0);
}

static int remove_one(const char *path, const struct stat *sb, int flag,
		      struct FTW *ftw)
{
	return remove(path);
}

static int setup(void **state)
{
	char stubs[PATH_MAX];
	char *path = NULL;

	snprintf(fx.dir, sizeof(fx.dir), "/tmp/test_monitor.XXXXXX");
	if (mkdtemp(fx.dir) == NULL ||
	    realpath("tests/scenarios/stubs", stubs) == NULL) {
		return -1;
	}
	fx.ctx = talloc_new(NULL);
	fx.state = talloc_asprintf(fx.ctx, "%s/state", fx.dir);
	fx.smbconf = talloc_asprintf(fx.ctx, "%s/smb.conf", fx.dir);
	fx.shares = talloc_asprintf(fx.ctx, "%s/shares", fx.dir);
	fx.stdout_extra = talloc_asprintf(fx.ctx, "%s/stdout", fx.dir);
	fx.started = talloc_asprintf(fx.ctx, "%s/started", fx.state);
	path = talloc_asprintf(fx.ctx, "%s:%s", stubs, getenv("PATH"));
	if (mkdir(fx.shares, 0755) != 0 ||
	    mkdir(talloc_asprintf(fx.ctx, "%s/one", fx.shares), 0755) != 0) {
		return -1;
	}
	setenv("PATH", path, 1);
	setenv("FAKE_DIR", fx.dir, 1);
	setenv("FAKE_SMBCONF", fx.smbconf, 1);
	setenv("CTDB_BASE", talloc_asprintf(fx.ctx, "%s/etc-ctdb", fx.dir), 1);
	setenv("CTDB_ETCDIR", talloc_asprintf(fx.ctx, "%s/etc", fx.dir), 1);
	setenv("CTDB_VARDIR", talloc_asprintf(fx.ctx, "%s/var", fx.dir), 1);
	setenv("_NO_WINBINDD", "1", 1);
	return 0;
}

static int teardown(void **state)
{
	talloc_free(fx.ctx);
	return nftw(fx.dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Before each test: managed, one good share, a fake checker saying OK */
static int reset(void **state)
{
	static const char *const vars[] = {
		"CTDB_MANAGED_SERVICES", "CTDB_MANAGES_SAMBA",
		"CTDB_MANAGES_WINBIND", "CTDB_SAMBA_SKIP_SHARE_CHECK",
		"CTDB_SAMBA_CHECK_PORTS", "CTDB_TCP_PORT_CHECKERS",
		"SAMBA_CLEANUP_PERIOD", "CTDB_SAMBA_CHECK_TIMEOUT",
		"CTDB_SAMBA_CONFIG_CHECK", "CTDB_CURRENT_DEBUGLEVEL",
		"CTDB_DEBUGLEVEL", "CTDB_SAMBA_CACHE_MAX_AGE",
		"CTDB_SAMBA_STARTUP_GRACE", "FAKE_TESTPARM_FAIL",
		"FAKE_TESTPARM_HANG", "FAKE_TESTPARM_STDOUT_FILE",
		"FAKE_SERVER_ROLE", "FAKE_TESTPARM_STDERR",
		"CTDB_SAMBA_CHECK_SMB", "CTDB_SAMBA_SMB_INTERVAL",
		"CTDB_SAMBA_SMB_TIMEOUT", "CTDB_SAMBA_SMB_FAILURES",
	};
	size_t i;

	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		unsetenv(vars[i]);
	}
	nftw(fx.state, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	set_smbconf(talloc_asprintf(fx.ctx, "[global]\n\tsmb ports = 4445\n"
				    "\n[one]\n\tpath = %s/one\n", fx.shares));
	fx.opts = (struct monitor_opts) {
		.managed = true,
		.state_dir = fx.state,
		.checkers = "fake",
		.log_name = "test",
		.deadline_ms = 2000,
		.smb_probe = fake_probe,
	};
	fx.smb = SMBANSWER_ANSWERED;
	fx.smb_calls = 0;
	fx.queued = 0;
	fx.sleep_ms = 0;
	fx.status = CHECK_OK;
	fx.port = 0;
	fx.calls = 0;
	return 0;
}

static struct monitor_result *run(void)
{
	struct monitor_result *res = NULL;

	assert_int_equal(monitor_run(fx.ctx, &fx.opts, table, &res), 0);
	assert_non_null(res);
	assert_non_null(res->log);
	return res;
}

static const struct monitor_step *find_step(const struct monitor_result *res,
					    const char *name)
{
	size_t i;

	for (i = 0; i < res->nsteps; i++) {
		if (strcmp(res->steps[i].name, name) == 0) {
			return &res->steps[i];
		}
	}
	return NULL;
}

static void assert_step(const struct monitor_result *res, const char *name,
			enum monitor_step_status status, const char *detail)
{
	const struct monitor_step *s = find_step(res, name);

	assert_non_null(s);
	assert_int_equal(s->status, status);
	if (detail != NULL) {
		assert_non_null(s->detail);
		assert_string_equal(s->detail, detail);
	}
}

static void assert_unhealthy(const struct monitor_result *res,
			     enum monitor_failure why)
{
	assert_int_equal(res->verdict, MONITOR_UNHEALTHY);
	assert_int_equal(res->failure, why);
	/* the failing step is the last one */
	assert_true(res->nsteps > 0);
	assert_int_equal(res->steps[res->nsteps - 1].status,
			 MONITOR_STEP_FAIL);
}

static void test_not_managed(void **state)
{
	struct monitor_result *res = NULL;
	struct stat st;

	fx.opts.managed = false;	/* legacy mode, nothing managed */
	res = run();
	assert_int_equal(res->verdict, MONITOR_NOT_MANAGED);
	assert_int_equal(res->failure, MONITOR_FAIL_NONE);
	assert_int_equal(fx.calls, 0);
	/* nothing written */
	assert_int_equal(stat(fx.state, &st), -1);
}

static void test_healthy(void **state)
{
	struct timespec racy = { .tv_nsec = 150 * 1000 * 1000 };
	struct monitor_result *res = NULL;
	size_t i;

	/* the cache trusts a file only once its ctime is 100 ms old */
	nanosleep(&racy, NULL);
	res = run();
	assert_int_equal(res->verdict, MONITOR_HEALTHY);
	assert_int_equal(res->failure, MONITOR_FAIL_NONE);
	assert_int_equal(res->ndetails, 0);
	assert_int_equal(fx.calls, 1);
	assert_step(res, "configuration", MONITOR_STEP_OK, "read");
	assert_step(res, "periodic cleanup", MONITOR_STEP_SKIP, NULL);
	assert_step(res, "smb.conf cache", MONITOR_STEP_OK,
		    "refreshed by testparm");
	assert_step(res, "clean check", MONITOR_STEP_OK, "clean");
	assert_step(res, "share check", MONITOR_STEP_OK, "1 directories");
	assert_step(res, "port check", MONITOR_STEP_OK, "listening (fake)");
	assert_step(res, "smb answer", MONITOR_STEP_OK, "answered");
	assert_step(res, "winbind", MONITOR_STEP_SKIP, NULL);
	for (i = 0; i < res->nsteps; i++) {
		assert_true(res->steps[i].ms >= 0);
		assert_true(res->steps[i].ms <= res->ms);
	}
	/* not verbose: no DEBUG lines */
	assert_string_equal(res->log, "");

	/* the second cycle uses the cache; verbose shows the steps */
	fx.opts.verbose = true;
	res = run();
	assert_int_equal(res->verdict, MONITOR_HEALTHY);
	assert_step(res, "smb.conf cache", MONITOR_STEP_OK, "fresh");
	assert_non_null(strstr(res->log, "test: smb.conf cache: fresh ("));
	assert_non_null(strstr(res->log, "test: healthy ("));
}

static void test_invalid_value(void **state)
{
	struct monitor_result *res = NULL;

	setenv("CTDB_SAMBA_STARTUP_GRACE", "abc", 1);
	res = run();
	assert_unhealthy(res, MONITOR_FAIL_INVALID_VALUE);
	assert_string_equal(res->name, "CTDB_SAMBA_STARTUP_GRACE");
	assert_string_equal(res->value, "abc");
	assert_int_equal(fx.calls, 0);

	/* an option wins over the environment, and is checked too */
	unsetenv("CTDB_SAMBA_STARTUP_GRACE");
	setenv("CTDB_SAMBA_CHECK_TIMEOUT", "5", 1);
	fx.opts.timeout = "0";
	res = run();
	assert_unhealthy(res, MONITOR_FAIL_INVALID_VALUE);
	assert_string_equal(res->name, "CTDB_SAMBA_CHECK_TIMEOUT");
	assert_string_equal(res->value, "0");
}

static void test_cache_testparm_fails(void **state)
{
	struct monitor_result *res = NULL;

	setenv("FAKE_TESTPARM_FAIL", "yes", 1);
	res = run();
	assert_unhealthy(res, MONITOR_FAIL_CACHE_TESTPARM);
	assert_int_equal(res->ndetails, 1);
	assert_non_null(strstr(res->details[0], "Error loading services."));
	assert_int_equal(fx.calls, 0);
}

static void test_cache_testparm_hangs(void **state)
{
	struct monitor_result *res = NULL;

	setenv("FAKE_TESTPARM_HANG", "yes", 1);
	fx.opts.deadline_ms = 200;
	res = run();
	assert_unhealthy(res, MONITOR_FAIL_CACHE_TIMEOUT);
	/* testparm gets the deadline less a quarter; the cycle ends soon
	 * after the deadline */
	assert_true(res->ms < 200 + 500);
}

static void test_old_cache(void **state)
{
	struct monitor_result *res = NULL;

	res = run();
	assert_int_equal(res->verdict, MONITOR_HEALTHY);
	/* smb.conf changes, and the refresh fails: the old cache serves */
	set_smbconf(talloc_asprintf(fx.ctx, "[global]\n\tsmb ports = 4445\n"
				    "\n[one]\n\tpath = %s/one\n\n[two]\n"
				    "\tpath = %s/one\n", fx.shares,
				    fx.shares));
	setenv("FAKE_TESTPARM_FAIL", "yes", 1);
	res = run();
	assert_int_equal(res->verdict, MONITOR_HEALTHY);
	assert_step(res, "smb.conf cache", MONITOR_STEP_WARNING,
		    "refresh failed, old cache");
	assert_non_null(strstr(res->log, "WARNING: smb.conf cache update "
			       "failed - using old cache file"));
	/* at most once every 10 minutes */
	res = run();
	assert_int_equal(res->verdict, MONITOR_HEALTHY);
	assert_null(strstr(res->log, "WARNING"));
}

static void test_not_clean(void **state)
{
	struct monitor_result *res = NULL;

	write_file(fx.stdout_extra, "WARNING: you lose\n");
	setenv("FAKE_TESTPARM_STDOUT_FILE", fx.stdout_extra, 1);
	res = run();
	assert_unhealthy(res, MONITOR_FAIL_NOT_CLEAN);
	assert_int_equal(res->ndetails, 1);
	assert_string_equal(res->details[0], "WARNING: you lose");

	/* strict: testparm's stderr diagnostics count too */
	unsetenv("FAKE_TESTPARM_STDOUT_FILE");
	setenv("FAKE_TESTPARM_STDERR", "Unknown parameter encountered: \"x\"",
	       1);
	res = run();
	assert_int_equal(res->verdict, MONITOR_HEALTHY);
	setenv("CTDB_SAMBA_CONFIG_CHECK", "strict", 1);
	res = run();
	assert_unhealthy(res, MONITOR_FAIL_NOT_CLEAN);
	assert_int_equal(res->ndetails, 1);
	assert_string_equal(res->details[0],
			    "Unknown parameter encountered: \"x\"");
	unsetenv("FAKE_TESTPARM_STDERR");

	/* CTDB_SAMBA_CONFIG_CHECK=off: no clean check */
	setenv("FAKE_TESTPARM_STDOUT_FILE", fx.stdout_extra, 1);
	setenv("CTDB_SAMBA_CONFIG_CHECK", "off", 1);
	res = run();
	assert_int_equal(res->verdict, MONITOR_HEALTHY);
	assert_step(res, "clean check", MONITOR_STEP_SKIP, NULL);
}

static void test_share_missing(void **state)
{
	struct monitor_result *res = NULL;
	char *missing = talloc_asprintf(fx.ctx, "%s/nonesuch", fx.shares);

	set_smbconf(talloc_asprintf(fx.ctx, "[global]\n\tsmb ports = 4445\n"
				    "\n[one]\n\tpath = %s/one\n\n[gone]\n"
				    "\tpath = %s\n", fx.shares, missing));
	res = run();
	assert_unhealthy(res, MONITOR_FAIL_SHARE);
	assert_string_equal(res->path, missing);
	assert_false(res->hung);
	assert_int_equal(res->seconds, 2);
	assert_string_equal(res->steps[res->nsteps - 1].subject, missing);

	/* skipped by configuration: healthy */
	fx.opts.skip_share_check = true;
	res = run();
	assert_int_equal(res->verdict, MONITOR_HEALTHY);
	assert_step(res, "share check", MONITOR_STEP_SKIP, NULL);
}

static void test_bad_smb_ports(void **state)
{
	struct monitor_result *res = NULL;

	set_smbconf("[global]\n\tsmb ports = abc\n");
	res = run();
	assert_unhealthy(res, MONITOR_FAIL_SMB_PORTS);
	assert_string_equal(res->value, "abc");
	assert_int_equal(fx.calls, 0);
}

static void test_no_ports(void **state)
{
	struct monitor_result *res = NULL;

	setenv("CTDB_SAMBA_CHECK_PORTS", ",", 1);
	res = run();
	assert_unhealthy(res, MONITOR_FAIL_NO_PORTS);
	assert_int_equal(fx.calls, 0);
}

static void test_port_not_listening(void **state)
{
	struct monitor_result *res = NULL;
	struct stat st;

	fx.status = CHECK_FAIL;
	fx.port = 4445;
	fx.opts.verbose = true;
	res = run();
	assert_unhealthy(res, MONITOR_FAIL_PORT);
	assert_int_equal(res->port, 4445);
	assert_false(res->startup_grace);
	assert_string_equal(res->steps[res->nsteps - 1].subject, "4445");
	assert_non_null(strstr(res->log, "fake evidence"));

	/* just started: INFO, and the started file stays */
	assert_int_equal(close(open(fx.started, O_WRONLY | O_CREAT, 0644)), 0);
	res = run();
	assert_unhealthy(res, MONITOR_FAIL_PORT);
	assert_true(res->startup_grace);
	setenv("CTDB_SAMBA_STARTUP_GRACE", "0", 1);
	res = run();
	assert_false(res->startup_grace);
	assert_int_equal(stat(fx.started, &st), 0);

	/* listening again: the started file goes */
	fx.status = CHECK_OK;
	res = run();
	assert_int_equal(res->verdict, MONITOR_HEALTHY);
	assert_int_equal(stat(fx.started, &st), -1);
}

static void test_no_checkers(void **state)
{
	struct monitor_result *res = NULL;

	fx.status = CHECK_CANNOT_RUN;
	fx.opts.checkers = "fake,nonesuch";
	res = run();
	assert_unhealthy(res, MONITOR_FAIL_NO_CHECKERS);
	assert_string_equal(res->value, "fake,nonesuch");
}

static void test_winbind(void **state)
{
	struct monitor_result *res = NULL;

	setenv("CTDB_MANAGES_WINBIND", "yes", 1);
	res = run();
	assert_unhealthy(res, MONITOR_FAIL_WINBIND);
	assert_int_equal(fx.calls, 1);	/* samba was checked first */
}

static void test_winbind_automatic(void **state)
{
	struct monitor_result *res = NULL;

	/* legacy mode: a domain member's winbind is checked unasked */
	fx.opts.managed = false;
	setenv("CTDB_MANAGES_SAMBA", "yes", 1);
	setenv("SAMBA_CLEANUP_PERIOD", "0", 1);
	res = run();
	assert_int_equal(res->verdict, MONITOR_HEALTHY);
	assert_step(res, "winbind", MONITOR_STEP_SKIP, NULL);

	setenv("FAKE_SERVER_ROLE", "ROLE_DOMAIN_MEMBER", 1);
	set_smbconf("[global]\n\tsmb ports = 4445\n\tsecurity = ADS\n");
	res = run();
	assert_unhealthy(res, MONITOR_FAIL_WINBIND);

	/* CTDB_MANAGES_WINBIND set to anything but yes: not checked */
	setenv("CTDB_MANAGES_WINBIND", "no", 1);
	res = run();
	assert_int_equal(res->verdict, MONITOR_HEALTHY);
}

static void test_legacy_cleanup_stamp(void **state)
{
	struct monitor_result *res = NULL;
	char *stamp = talloc_asprintf(fx.ctx, "%s/periodic_cleanup", fx.state);
	struct stat st;

	fx.opts.managed = false;
	setenv("CTDB_MANAGED_SERVICES", "samba", 1);
	res = run();
	assert_int_equal(res->verdict, MONITOR_HEALTHY);
	/* the first cycle starts the clock: no smbstatus yet */
	assert_step(res, "periodic cleanup", MONITOR_STEP_OK, "not due");
	assert_int_equal(stat(stamp, &st), 0);
}

static char *read_state(void)
{
	static char buf[64];
	char *path = talloc_asprintf(fx.ctx, "%s/smb_answer", fx.state);
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL) {
		return NULL;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Spec 3.6: the first cycle probes, then once an interval */
static void test_smb_due(void **state)
{
	struct monitor_result *res = NULL;

	res = run();
	assert_int_equal(res->verdict, MONITOR_HEALTHY);
	assert_int_equal(fx.smb_calls, 1);
	assert_string_equal(read_state(), "");
	fx.opts.verbose = true;
	res = run();
	assert_int_equal(fx.smb_calls, 1);
	assert_step(res, "smb answer", MONITOR_STEP_OK, "not due");
	assert_non_null(strstr(res->log, "test: smb answer: not due ("));

	/* clients wait in the accept queue: due at once */
	fx.queued = 3;
	res = run();
	assert_int_equal(fx.smb_calls, 2);
	assert_non_null(strstr(res->log, "test: smb answer: port 4445 on "
			       "127.0.0.1:4445: SMB2 dialect 0x02ff ("));
	fx.queued = 0;

	/* CTDB_SAMBA_SMB_INTERVAL=0: every cycle */
	setenv("CTDB_SAMBA_SMB_INTERVAL", "0", 1);
	run();
	run();
	assert_int_equal(fx.smb_calls, 4);

	/* CTDB_SAMBA_CHECK_SMB=no: never, even when failing */
	setenv("CTDB_SAMBA_CHECK_SMB", "no", 1);
	fx.smb = SMBANSWER_TIMEOUT;
	res = run();
	assert_int_equal(res->verdict, MONITOR_HEALTHY);
	assert_int_equal(fx.smb_calls, 4);
	assert_step(res, "smb answer", MONITOR_STEP_SKIP, NULL);
}

/* Spec 3.6: failures in a row, WARNING below the threshold */
static void test_smb_failures(void **state)
{
	struct monitor_result *res = NULL;

	fx.smb = SMBANSWER_TIMEOUT;
	res = run();
	assert_int_equal(res->verdict, MONITOR_HEALTHY);
	assert_string_equal(res->log, "WARNING: samba tcp port 4445 does not "
			    "answer SMB (no SMB answer in 3 s); failure 1 "
			    "of 2\n");
	assert_step(res, "smb answer", MONITOR_STEP_WARNING,
		    "failure 1 of 2");
	assert_string_equal(read_state(), "1\n");

	/* a failed probe makes the next one due, whatever the interval */
	setenv("CTDB_SAMBA_SMB_INTERVAL", "3600", 1);
	fx.smb = SMBANSWER_REFUSED;
	res = run();
	assert_unhealthy(res, MONITOR_FAIL_SMB);
	assert_int_equal(res->port, 4445);
	assert_string_equal(res->words, "connection refused");
	assert_false(res->startup_grace);
	assert_string_equal(read_state(), "2\n");
	res = run();
	assert_unhealthy(res, MONITOR_FAIL_SMB);
	assert_string_equal(read_state(), "3\n");

	/* an answer heals and resets */
	fx.smb = SMBANSWER_ANSWERED;
	res = run();
	assert_int_equal(res->verdict, MONITOR_HEALTHY);
	assert_string_equal(read_state(), "");
	assert_int_equal(fx.smb_calls, 4);

	/* CTDB_SAMBA_SMB_FAILURES=1: ERROR at once */
	setenv("CTDB_SAMBA_SMB_FAILURES", "1", 1);
	setenv("CTDB_SAMBA_SMB_INTERVAL", "0", 1);
	fx.smb = SMBANSWER_NOT_SMB;
	res = run();
	assert_unhealthy(res, MONITOR_FAIL_SMB);
	assert_string_equal(res->words, "answered, but not SMB");

	/* a corrupt counter counts as 0 */
	setenv("CTDB_SAMBA_SMB_FAILURES", "2", 1);
	write_file(talloc_asprintf(fx.ctx, "%s/smb_answer", fx.state),
		   "garbage");
	res = run();
	assert_int_equal(res->verdict, MONITOR_HEALTHY);
	assert_non_null(strstr(res->log, "failure 1 of 2"));
}

/* Spec 3.6: samba just started: INFO, not counted; answered: the
 * started file goes */
static void test_smb_startup_grace(void **state)
{
	struct monitor_result *res = NULL;
	struct stat st;

	assert_int_equal(mkdir(fx.state, 0755), 0);
	assert_int_equal(close(open(fx.started, O_WRONLY | O_CREAT, 0644)), 0);
	fx.smb = SMBANSWER_CLOSED;
	res = run();
	assert_unhealthy(res, MONITOR_FAIL_SMB);
	assert_true(res->startup_grace);
	assert_string_equal(res->words, "connection closed");
	assert_null(read_state());
	/* the port check leaves the started file to this check */
	assert_int_equal(stat(fx.started, &st), 0);

	fx.smb = SMBANSWER_ANSWERED;
	res = run();
	assert_int_equal(res->verdict, MONITOR_HEALTHY);
	assert_int_equal(stat(fx.started, &st), -1);
}

/* The steps before took the run's time: nothing asked, nothing counted */
static void test_smb_no_time_left(void **state)
{
	struct monitor_result *res = NULL;

	fx.opts.deadline_ms = 500;
	fx.sleep_ms = 600;
	fx.smb = SMBANSWER_TIMEOUT;
	res = run();
	assert_int_equal(res->verdict, MONITOR_HEALTHY);
	assert_int_equal(fx.smb_calls, 0);
	assert_step(res, "smb answer", MONITOR_STEP_WARNING, "no time left");
	assert_null(read_state());
}

static void test_smb_invalid_values(void **state)
{
	static const struct {
		const char *name;
		const char *value;
	} bad[] = {
		{ "CTDB_SAMBA_CHECK_SMB", "maybe" },
		{ "CTDB_SAMBA_CHECK_SMB", "Yes" },
		{ "CTDB_SAMBA_SMB_INTERVAL", "86401" },
		{ "CTDB_SAMBA_SMB_INTERVAL", "-1" },
		{ "CTDB_SAMBA_SMB_TIMEOUT", "0" },
		{ "CTDB_SAMBA_SMB_TIMEOUT", "3601" },
		{ "CTDB_SAMBA_SMB_FAILURES", "0" },
		{ "CTDB_SAMBA_SMB_FAILURES", "101" },
		{ "CTDB_SAMBA_SMB_FAILURES", "2x" },
	};
	struct monitor_result *res = NULL;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv(bad[i].name, bad[i].value, 1);
		res = run();
		assert_unhealthy(res, MONITOR_FAIL_INVALID_VALUE);
		assert_string_equal(res->name, bad[i].name);
		assert_string_equal(res->value, bad[i].value);
		unsetenv(bad[i].name);
	}
	assert_int_equal(fx.smb_calls, 0);
	assert_int_equal(config_check_value("CTDB_SAMBA_SMB_INTERVAL",
					    "86400"), 0);
	assert_int_equal(config_check_value("CTDB_SAMBA_SMB_FAILURES", "100"),
			 0);
}

static void test_state_dir_unusable(void **state)
{
	struct monitor_result *res = NULL;

	/* a file where the state directory should be: still checked */
	write_file(talloc_asprintf(fx.ctx, "%s/file", fx.dir), "");
	fx.opts.state_dir = talloc_asprintf(fx.ctx, "%s/file/state", fx.dir);
	res = run();
	assert_int_equal(res->verdict, MONITOR_HEALTHY);
	assert_non_null(strstr(res->log, "WARNING: state directory"));
	assert_non_null(strstr(res->log, "running without cache"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_not_managed, reset),
		cmocka_unit_test_setup(test_healthy, reset),
		cmocka_unit_test_setup(test_invalid_value, reset),
		cmocka_unit_test_setup(test_cache_testparm_fails, reset),
		cmocka_unit_test_setup(test_cache_testparm_hangs, reset),
		cmocka_unit_test_setup(test_old_cache, reset),
		cmocka_unit_test_setup(test_not_clean, reset),
		cmocka_unit_test_setup(test_share_missing, reset),
		cmocka_unit_test_setup(test_bad_smb_ports, reset),
		cmocka_unit_test_setup(test_no_ports, reset),
		cmocka_unit_test_setup(test_smb_due, reset),
		cmocka_unit_test_setup(test_smb_failures, reset),
		cmocka_unit_test_setup(test_smb_startup_grace, reset),
		cmocka_unit_test_setup(test_smb_no_time_left, reset),
		cmocka_unit_test_setup(test_smb_invalid_values, reset),
		cmocka_unit_test_setup(test_port_not_listening, reset),
		cmocka_unit_test_setup(test_no_checkers, reset),
		cmocka_unit_test_setup(test_winbind, reset),
		cmocka_unit_test_setup(test_winbind_automatic, reset),
		cmocka_unit_test_setup(test_legacy_cleanup_stamp, reset),
		cmocka_unit_test_setup(test_state_dir_unusable, reset),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
