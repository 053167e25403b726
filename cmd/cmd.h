/*
 * The commands the front-end runs itself.  Each command file exports
 * one descriptor; cmd/main.c lists them in one table that drives both
 * dispatch and help.
 */
#ifndef CMD_CMD_H
#define CMD_CMD_H

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

extern const struct ext_cmd cmd_checksamba;
extern const struct ext_cmd cmd_checktcpport;

#endif
