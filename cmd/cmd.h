/*
 * The commands the front-end runs itself.  Each command file exports
 * one descriptor; cmd/main.c lists them in one table that drives both
 * dispatch and help.
 */
#ifndef CMD_CMD_H
#define CMD_CMD_H

#include <popt.h>
#include <talloc.h>

#include <stdbool.h>

/* The stock tool's global options that our commands honour */
struct cmd_globals {
	bool machine_readable;	/* -X: '|'-separated fields, a header line */
};

struct ext_cmd {
	const char *name;	/* exact match */
	/* argv[0] is the command word; the return value is the exit
	 * status; everything allocated hangs off mem_ctx */
	int (*fn)(TALLOC_CTX *mem_ctx, const struct cmd_globals *globals,
		  int argc, const char **argv);
	const char *args;	/* "PORT", "[OPTIONS]" */
	const char *msg;	/* one help line */
};

/*
 * --help and --usage, as POPT_AUTOHELP offers them but without its
 * callback, which exit()s and leaves everything allocated behind: put
 * CMD_HELP_OPTIONS first in a command's table, and pass every value
 * poptGetNextOpt() returns to cmd_help().
 */
extern struct poptOption cmd_help_options[];
#define CMD_HELP_OPTIONS \
	{ .argInfo = POPT_ARG_INCLUDE_TABLE, .arg = cmd_help_options, \
	  .descrip = "Help options:" },

/**
 * @brief When @p opt is --help or --usage, print it on stdout and
 * return true: the command then returns 0.
 */
bool cmd_help(poptContext pc, int opt);

/**
 * @brief Run @p cmd with argv[0] its word, in a talloc context of its
 * own; a write error on stdout fails it.
 * @return its exit status
 */
int cmd_run(const struct ext_cmd *cmd, const struct cmd_globals *g,
	    int argc, const char **argv);

/**
 * @brief "ctdb eventscript SCRIPT EVENT...": a wrapper eventscript's
 * interpreter (cmd/eventscript.c).
 * @return the exit status (or does not return: /bin/sh runs SCRIPT)
 */
int cmd_eventscript(int argc, char **argv);

extern const struct ext_cmd cmd_checksamba;
extern const struct ext_cmd cmd_checktcpport;

#endif
