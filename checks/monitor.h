/*
 * One monitor cycle of the Samba health check (spec 3.2), as a library
 * call: configuration, periodic cleanup, the smb.conf cache, the clean,
 * share and port checks, and the winbind ping, in that order, within
 * one deadline.  The result says what was decided and why; the caller
 * words it and chooses the exit code.
 */
#ifndef CHECKS_MONITOR_H
#define CHECKS_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <talloc.h>

#include "checks/check.h"
#include "checks/smbanswer.h"
#include "checks/tcpport.h"

struct monitor_opts {
	bool managed;		/* CTDB >= 4.9 conventions (spec 3.0) */
	bool verbose;		/* DEBUG lines whatever the debug level */
	const char *state_dir;	/* --state-dir, or NULL: the mode's */
	const char *config;	/* --config: read last, or NULL */
	/*
	 * Command-line values, NULL when not given; they win over files
	 * and environment.  The caller has checked them with
	 * config_check_value().
	 */
	const char *ports;	/* CTDB_SAMBA_CHECK_PORTS */
	const char *checkers;	/* CTDB_TCP_PORT_CHECKERS */
	const char *timeout;	/* CTDB_SAMBA_CHECK_TIMEOUT */
	bool skip_share_check;	/* CTDB_SAMBA_SKIP_SHARE_CHECK=yes */
	/* prefix of the DEBUG step lines ("NAME: STEP: WHAT (N ms)") */
	const char *log_name;
	/* the in-process checkers' seams (tests); NULL: the real kernel */
	const struct tcpport_opts *tcp;
	/* tests: the deadline in milliseconds, instead of
	 * CTDB_SAMBA_CHECK_TIMEOUT's seconds; 0: the variable's */
	int64_t deadline_ms;
	/* tests: the SMB answer probe; NULL: smbanswer_probe() */
	int (*smb_probe)(TALLOC_CTX *mem_ctx, const struct smbanswer_target *t,
			 size_t n, const struct deadline *dl,
			 int64_t timeout_ms, struct smbanswer_result **res);
};

enum monitor_verdict {
	MONITOR_HEALTHY,	/* exit 0 */
	MONITOR_NOT_MANAGED,	/* nothing to check: exit 0, print nothing */
	MONITOR_UNHEALTHY,	/* exit 1: see the failure */
};

/* Why a cycle is unhealthy: each is one headline (spec 3) */
enum monitor_failure {
	MONITOR_FAIL_NONE,
	MONITOR_FAIL_ERRNO,		/* err: could not check at all */
	MONITOR_FAIL_INVALID_VALUE,	/* name, value */
	MONITOR_FAIL_CACHE_ERRNO,	/* err: the cache could not be read */
	MONITOR_FAIL_CACHE_TIMEOUT,	/* no cache, testparm timed out */
	MONITOR_FAIL_CACHE_TESTPARM,	/* no cache, testparm failed (details) */
	MONITOR_FAIL_NOT_CLEAN,		/* details: the offending lines */
	MONITOR_FAIL_SHARE_ERRNO,	/* err: shares could not be probed */
	MONITOR_FAIL_SHARE,		/* path, hung, seconds */
	MONITOR_FAIL_SMB_PORTS,		/* value: a bad smb.conf port word */
	MONITOR_FAIL_NO_PORTS,		/* nothing to check */
	MONITOR_FAIL_NO_TCP_PORTS,	/* entries, but none of them TCP */
	MONITOR_FAIL_PORT,		/* port, startup_grace */
	MONITOR_FAIL_NO_CHECKERS,	/* value: the chain */
	MONITOR_FAIL_SMB,		/* port, words, startup_grace */
	MONITOR_FAIL_WINBIND,
};

enum monitor_step_status {
	MONITOR_STEP_OK,
	MONITOR_STEP_WARNING,	/* done, with a WARNING (e.g. old cache) */
	MONITOR_STEP_FAIL,
	MONITOR_STEP_SKIP,	/* not run: configuration says so */
};

struct monitor_step {
	const char *name;	/* "configuration", "share check", ... */
	enum monitor_step_status status;
	int64_t ms;		/* time taken */
	char *subject;		/* port, path or variable, or NULL */
	char *detail;		/* "fresh", "listening (ctdb)", ... or NULL */
};

struct monitor_result {
	enum monitor_verdict verdict;
	enum monitor_failure failure;
	int err;		/* for the *_ERRNO failures */
	const char *name;	/* the variable of an invalid value */
	char *value;		/* its value; the smb.conf port word; the chain */
	char *path;		/* the failing share directory */
	bool hung;		/* ... did not answer in time */
	unsigned seconds;	/* the deadline's length, for "no answer in" */
	uint16_t port;		/* the port not listening */
	bool startup_grace;	/* samba was just started: INFO, not ERROR */
	char *words;		/* why port does not answer SMB */
	char **details;		/* lines that belong after the headline */
	size_t ndetails;
	struct monitor_step *steps;	/* in the order they ran */
	size_t nsteps;
	int64_t ms;		/* the whole cycle */
	char *log;		/* WARNING and DEBUG lines (clog), "" if none */
};

/**
 * @brief Run one monitor cycle.
 *
 * Reads the configuration (spec 3.1), decides what is managed, and runs
 * the steps of spec 3.2 within one deadline.  The run's clog() report
 * is started here, at the mode's debug level (WARNING lines are always
 * kept), and ends in res->log.
 *
 * @param[in]  mem_ctx talloc parent of *res
 * @param[in]  table   every port checker by name, NULL-terminated
 * @param[out] res     the verdict, the failure and its subject, the
 *                     detail lines, each step with its time
 * @return 0 when the cycle ran (whatever its verdict), ENOMEM when no
 *         result could be made
 */
int monitor_run(TALLOC_CTX *mem_ctx, const struct monitor_opts *opts,
		const struct port_checker *const *table,
		struct monitor_result **res);

/** @brief "ok", "warning", "fail" or "skip". */
const char *monitor_step_status_name(enum monitor_step_status status);

#endif
