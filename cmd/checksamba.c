/*
 * ctdb checksamba: one monitor cycle of the Samba health check
 * (spec section 3).  The cycle is checks/monitor.c; this file parses
 * the options, words the result and chooses the exit code.
 *
 * Output: the line that decides the run (ERROR, INFO or INTERNAL
 * ERROR) first, then its details, then the run's WARNING and DEBUG
 * lines, because ctdb keeps only the first 511 bytes of a script's
 * output.  With ctdb's -X: one '|'-separated line per step instead.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <popt.h>
#include <talloc.h>

#include "checks/config.h"
#include "checks/log.h"
#include "checks/monitor.h"
#include "cmd/cmd.h"
#include "compat/checkers.h"

#define EXIT_HEALTHY 0
#define EXIT_UNHEALTHY 1

struct checksamba_opts {
	int verbose;
	int managed;
	int skip_share_check;
	const char *ports;
	const char *checkers;
	const char *state_dir;
	const char *timeout;
	const char *config;
};

/* A value shown in a message: at most this many characters, then "..." */
#define VALUE_SHOWN 64

static const char *checksamba_cut(TALLOC_CTX *mem_ctx, const char *value)
{
	if (value == NULL || strlen(value) <= VALUE_SHOWN) {
		return value;
	}
	return talloc_asprintf(mem_ctx, "%.*s...", VALUE_SHOWN, value);
}

/* The line that decides an unhealthy run (spec 3) */
static char *checksamba_headline(TALLOC_CTX *mem_ctx,
				 const struct monitor_result *res)
{
	switch (res->failure) {
	case MONITOR_FAIL_NONE:
		return NULL;
	case MONITOR_FAIL_ERRNO:
		return talloc_asprintf(mem_ctx, "ERROR: %s",
				       strerror(res->err));
	case MONITOR_FAIL_INVALID_VALUE:
		return talloc_asprintf(mem_ctx, "ERROR: invalid value \"%s\" "
				       "for %s", checksamba_cut(mem_ctx,
								res->value),
				       res->name);
	case MONITOR_FAIL_CACHE_ERRNO:
		return talloc_asprintf(mem_ctx, "ERROR: smb.conf cache: %s",
				       strerror(res->err));
	case MONITOR_FAIL_CACHE_TIMEOUT:
		return talloc_strdup(mem_ctx, "ERROR: smb.conf cache create "
				     "failed - testparm command timed out");
	case MONITOR_FAIL_CACHE_TESTPARM:
		return talloc_strdup(mem_ctx, "ERROR: smb.conf cache create "
				     "failed - testparm failed with:");
	case MONITOR_FAIL_NOT_CLEAN:
		return talloc_strdup(mem_ctx, "ERROR: testparm shows smb.conf "
				     "is not clean");
	case MONITOR_FAIL_SHARE_ERRNO:
		return talloc_asprintf(mem_ctx, "ERROR: samba share check "
				       "failed: %s", strerror(res->err));
	case MONITOR_FAIL_SHARE:
		if (res->hung) {
			return talloc_asprintf(mem_ctx, "ERROR: samba directory "
					       "\"%s\" not available (no answer "
					       "in %u s)", res->path,
					       res->seconds);
		}
		return talloc_asprintf(mem_ctx, "ERROR: samba directory \"%s\" "
				       "not available", res->path);
	case MONITOR_FAIL_SMB_PORTS:
		return talloc_asprintf(mem_ctx, "ERROR: invalid value \"%s\" "
				       "for smb ports",
				       checksamba_cut(mem_ctx, res->value));
	case MONITOR_FAIL_NO_PORTS:
		return talloc_strdup(mem_ctx, "INTERNAL ERROR: "
				     "ctdb_check_tcp_ports - no ports "
				     "specified");
	case MONITOR_FAIL_NO_TCP_PORTS:
		/* upstream's words */
		return talloc_strdup(mem_ctx, "ERROR: Failed to set smb tcp "
				     "ports");
	case MONITOR_FAIL_PORT:
		return talloc_asprintf(mem_ctx, "%s: samba tcp port %u is not "
				       "responding",
				       res->startup_grace ? "INFO" : "ERROR",
				       res->port);
	case MONITOR_FAIL_NO_CHECKERS:
		return talloc_asprintf(mem_ctx, "INTERNAL ERROR: "
				       "ctdb_check_ports - no working checkers "
				       "in CTDB_TCP_PORT_CHECKERS=\"%s\"",
				       res->value);
	case MONITOR_FAIL_SMB:
		return talloc_asprintf(mem_ctx, "%s: samba tcp port %u does not "
				       "answer SMB (%s)",
				       res->startup_grace ? "INFO" : "ERROR",
				       res->port, res->words);
	case MONITOR_FAIL_WINBIND:
		return talloc_strdup(mem_ctx, "ERROR: winbind - wbinfo -p "
				     "returned error");
	}
	return talloc_strdup(mem_ctx, "INTERNAL ERROR: unknown failure");
}

/* One line: a value with a newline must not split it */
static char *checksamba_one_line(char *s, const char *also)
{
	char *p = NULL;

	for (p = s; p != NULL && *p != '\0'; p++) {
		if (*p == '\n' || (also != NULL && strchr(also, *p) != NULL)) {
			*p = '?';
		}
	}
	return s != NULL ? clog_sanitize(s) : NULL;
}

static void checksamba_print(TALLOC_CTX *mem_ctx,
			     const struct monitor_result *res)
{
	char *headline = checksamba_headline(mem_ctx, res);
	size_t i;

	if (headline != NULL) {
		printf("%s\n", checksamba_one_line(headline, NULL));
	}
	for (i = 0; i < res->ndetails; i++) {
		printf("%s\n", res->details[i]);
	}
	fputs(res->log, stdout);
}

/* A field of a -X line: no '|', no newline */
static const char *checksamba_field(TALLOC_CTX *mem_ctx, const char *s)
{
	return s != NULL ? checksamba_one_line(talloc_strdup(mem_ctx, s), "|") :
			   "";
}

/*
 * ctdb -X: a header line, one line per step, and a last line "cycle"
 * with the verdict and the headline.  The run's WARNING and DEBUG lines
 * go to stderr, so that stdout is only the table.
 */
static void checksamba_print_machine(TALLOC_CTX *mem_ctx,
				     const struct monitor_result *res)
{
	const char *verdict = res->verdict == MONITOR_UNHEALTHY ? "fail" :
			      "ok";
	size_t i;

	printf("|Step|Result|ms|Subject|Detail|\n");
	for (i = 0; i < res->nsteps; i++) {
		const struct monitor_step *s = &res->steps[i];

		printf("|%s|%s|%lld|%s|%s|\n", s->name,
		       monitor_step_status_name(s->status), (long long)s->ms,
		       checksamba_field(mem_ctx, s->subject),
		       checksamba_field(mem_ctx, s->detail));
	}
	printf("|cycle|%s|%lld||%s|\n", verdict, (long long)res->ms,
	       checksamba_field(mem_ctx, checksamba_headline(mem_ctx, res)));
	fputs(res->log, stderr);
}

/* Replace a malloc()ed popt string by a talloc copy; "" counts as unset */
static int checksamba_own(TALLOC_CTX *mem_ctx, const char **s)
{
	char *m = (char *)(uintptr_t)*s;
	bool empty = (m == NULL || m[0] == '\0');

	*s = empty ? NULL : talloc_strdup(mem_ctx, m);
	free(m);
	return (!empty && *s == NULL) ? ENOMEM : 0;
}

/* Options that would make the run invalid are usage errors */
static int checksamba_check_opts(TALLOC_CTX *mem_ctx,
				 const struct checksamba_opts *o)
{
	const struct {
		const char *option;
		const char *value;
		const char *name;
	} values[] = {
		{ "--timeout", o->timeout, "CTDB_SAMBA_CHECK_TIMEOUT" },
		{ "--ports", o->ports, "CTDB_SAMBA_CHECK_PORTS" },
	};
	struct stat st;
	size_t i;
	int err = 0;

	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		if (values[i].value != NULL &&
		    config_check_value(values[i].name, values[i].value) != 0) {
			fprintf(stderr, "checksamba: invalid value \"%s\" for "
				"%s\n", checksamba_cut(mem_ctx, values[i].value),
				values[i].option);
			return EINVAL;
		}
	}
	if (o->config == NULL) {
		return 0;
	}
	/* a regular file we may read, of a configuration file's size */
	if (access(o->config, R_OK) != 0 || stat(o->config, &st) != 0) {
		err = errno;
	} else if (S_ISDIR(st.st_mode)) {
		err = EISDIR;
	} else if (!S_ISREG(st.st_mode)) {
		err = EINVAL;
	} else if (st.st_size > CONFIG_MAX_FILE) {
		err = EFBIG;
	}
	if (err != 0) {
		fprintf(stderr, "checksamba: cannot read --config \"%s\": %s\n",
			o->config, err == EINVAL ? "not a regular file" :
			strerror(err));
		return EINVAL;
	}
	return 0;
}

static int checksamba_run(TALLOC_CTX *mem_ctx,
			  const struct cmd_globals *globals, int argc,
			  const char **argv)
{
	struct checksamba_opts o = { 0 };
	struct poptOption options[] = {
		CMD_HELP_OPTIONS
		{ .longName = "verbose", .shortName = 'v',
		  .argInfo = POPT_ARG_NONE, .arg = &o.verbose,
		  .descrip = "print DEBUG lines with the time each step took" },
		{ .longName = "managed", .argInfo = POPT_ARG_NONE,
		  .arg = &o.managed,
		  .descrip = "run as a CTDB >= 4.9 eventscript "
			     "(events/legacy/50.samba.script)" },
		{ .longName = "ports", .argInfo = POPT_ARG_STRING,
		  .arg = &o.ports, .argDescrip = "LIST",
		  .descrip = "ports or transports to check: 445, tcp, "
			     "nbt:1139 ... (spaces or commas)" },
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
	struct monitor_result *res = NULL;
	struct monitor_opts mo = { 0 };
	poptContext pc = NULL;
	int opt, ret;

	pc = poptGetContext("checksamba", argc, argv, options, 0);
	poptSetOtherOptionHelp(pc, "[OPTIONS]");
	while ((opt = poptGetNextOpt(pc)) > 0) {
		/* the others store their values themselves */
		if (cmd_help(pc, opt)) {
			break;
		}
	}
	if (checksamba_own(mem_ctx, &o.ports) != 0 ||
	    checksamba_own(mem_ctx, &o.checkers) != 0 ||
	    checksamba_own(mem_ctx, &o.state_dir) != 0 ||
	    checksamba_own(mem_ctx, &o.timeout) != 0 ||
	    checksamba_own(mem_ctx, &o.config) != 0) {
		fprintf(stderr, "checksamba: out of memory\n");
		ret = EXIT_UNHEALTHY;
		goto done;
	}
	if (opt > 0) {
		ret = 0;	/* --help or --usage */
		goto done;
	}
	if (opt < -1) {
		fprintf(stderr, "checksamba: %s: %s\n",
			poptBadOption(pc, POPT_BADOPTION_NOALIAS),
			poptStrerror(opt));
		ret = EINVAL;
		goto done;
	}
	if (poptPeekArg(pc) != NULL) {
		fprintf(stderr, "checksamba: unexpected argument \"%s\"\n",
			poptPeekArg(pc));
		ret = EINVAL;
		goto done;
	}
	ret = checksamba_check_opts(mem_ctx, &o);
	if (ret != 0) {
		goto done;
	}

	mo = (struct monitor_opts) {
		.managed = o.managed != 0,
		.verbose = o.verbose != 0,
		.state_dir = o.state_dir,
		.config = o.config,
		.ports = o.ports,
		.checkers = o.checkers,
		.timeout = o.timeout,
		.skip_share_check = o.skip_share_check != 0,
		.log_name = "checksamba",
	};
	ret = monitor_run(mem_ctx, &mo, compat_checkers, &res);
	if (ret != 0) {
		printf("ERROR: %s\n", strerror(ret));
		ret = EXIT_UNHEALTHY;
		goto done;
	}
	if (globals->machine_readable) {
		checksamba_print_machine(mem_ctx, res);
	} else if (res->verdict != MONITOR_NOT_MANAGED || o.verbose) {
		checksamba_print(mem_ctx, res);
	}
	ret = res->verdict == MONITOR_UNHEALTHY ? EXIT_UNHEALTHY : EXIT_HEALTHY;
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
