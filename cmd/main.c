/*
 * ctdb: a front-end to the stock ctdb tool.
 *
 * "checksamba" and "checktcpport" run here, in-process.  Any other
 * command line is handed unchanged to the stock tool with execv().
 * "ctdb eventscript SCRIPT EVENT..." is how the kernel runs a wrapper
 * eventscript whose first line is "#!.../ctdb eventscript".
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <talloc.h>

#include "cmd/cmd.h"

#ifndef STOCK_CTDB
#define STOCK_CTDB "/usr/bin/ctdb"
#endif

/*
 * Counted in the stock tool's environment.  A target that runs "ctdb"
 * again (CTDB_REAL_TOOL pointing at a wrapper that finds this front-end
 * on PATH) comes back here with the count raised; a few nested calls
 * are legitimate (helpers of the stock tool), a long chain is a loop.
 */
#define LOOP_MARK "CTDB_FRONTEND_DEPTH"
#define LOOP_MAX 8

static const struct ext_cmd *const cmds[] = {
	&cmd_checksamba,
	&cmd_checktcpport,
};

#define NUM_CMDS (sizeof(cmds) / sizeof(cmds[0]))

/* make install looks for this before it overwrites an installed ctdb */
__attribute__((used))
static const char frontend_id[] = "@(#) ctdb-checksamba front-end";

/*
 * The stock tool's global options (ctdb 4.x): those that take a value,
 * and those that do not.  popt accepts "-d 4", "-d4", "-d=4",
 * "--debug=4", "--debug 4" and bundles such as "-Yv" or "-Yd4".
 */
static const char short_with_arg[] = "dtnxT";
static const char short_no_arg[] = "YXv?";
static const char *const long_with_arg[] = {
	"debug", "timelimit", "node", "separator", "maxruntime", NULL,
};
static const char *const long_no_arg[] = {
	"verbose", "help", "usage", NULL,
};

struct poptOption cmd_help_options[] = {
	{ .longName = "help", .shortName = '?', .argInfo = POPT_ARG_NONE,
	  .val = '?', .descrip = "Show this help message" },
	{ .longName = "usage", .argInfo = POPT_ARG_NONE, .val = 'u',
	  .descrip = "Display brief usage message" },
	POPT_TABLEEND
};

bool cmd_help(poptContext pc, int opt)
{
	if (opt == '?') {
		poptPrintHelp(pc, stdout, 0);
		return true;
	}
	if (opt == 'u') {
		poptPrintUsage(pc, stdout, 0);
		return true;
	}
	return false;
}

static bool in_list(const char *const *list, const char *name, size_t len)
{
	size_t i;

	for (i = 0; list[i] != NULL; i++) {
		if (strlen(list[i]) == len && strncmp(list[i], name, len) == 0) {
			return true;
		}
	}
	return false;
}

/*
 * Index of the command word in argv, argc when there is none, or -1
 * when an option is not one of the stock tool's (the stock tool will
 * complain about it).  *help is set for --help, -? and --usage; the
 * options our commands honour (-X) go to @p g.
 */
static int find_command(int argc, char **argv, bool *help,
			struct cmd_globals *g)
{
	int i;

	*help = false;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0) {
			return i + 1;
		}
		if (a[0] != '-' || a[1] == '\0') {
			return i;
		}
		if (a[1] == '-') {
			const char *name = a + 2;
			size_t len = strcspn(name, "=");

			if (in_list(long_with_arg, name, len)) {
				if (name[len] == '\0') {
					i++;	/* "--debug 4" */
				}
				continue;
			}
			if (in_list(long_no_arg, name, len) &&
			    name[len] == '\0') {
				if (strcmp(name, "verbose") != 0) {
					*help = true;
				}
				continue;
			}
			return -1;
		}
		for (a++; *a != '\0'; a++) {
			if (strchr(short_with_arg, *a) != NULL) {
				if (a[1] == '\0') {
					i++;	/* "-d 4" */
				}
				break;		/* "-d4", "-d=4" */
			}
			if (strchr(short_no_arg, *a) == NULL) {
				return -1;
			}
			if (*a == '?') {
				*help = true;
			}
			if (*a == 'X') {
				g->machine_readable = true;
			}
		}
	}
	return argc;
}

static const struct ext_cmd *lookup(const char *word)
{
	size_t i;

	for (i = 0; i < NUM_CMDS; i++) {
		if (strcmp(cmds[i]->name, word) == 0) {
			return cmds[i];
		}
	}
	return NULL;
}

static const char *stock_tool(void)
{
	const char *p = getenv("CTDB_REAL_TOOL");

	return (p != NULL && p[0] != '\0') ? p : STOCK_CTDB;
}

static void print_our_commands(void)
{
	size_t i;

	printf("Commands run by this front-end:\n");
	for (i = 0; i < NUM_CMDS; i++) {
		printf("  %-14s %-10s %s\n", cmds[i]->name, cmds[i]->args,
		       cmds[i]->msg);
	}
	printf("Every other command is run by %s:\n\n", stock_tool());
	fflush(stdout);
}

int cmd_run(const struct ext_cmd *cmd, const struct cmd_globals *g,
	    int argc, const char **argv)
{
	TALLOC_CTX *mem_ctx = NULL;
	int status;

	/* An inherited SIGCHLD=SIG_IGN would make every child we wait for
	 * vanish unreaped (waitpid: ECHILD) */
	signal(SIGCHLD, SIG_DFL);

	mem_ctx = talloc_new(NULL);
	if (mem_ctx == NULL) {
		fprintf(stderr, "ctdb: out of memory\n");
		return 1;
	}
	status = cmd->fn(mem_ctx, g, argc, argv);
	talloc_free(mem_ctx);

	/* A full disk or a closed pipe must not pass as success. */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "ctdb %s: write error on standard output: "
			"%s\n", cmd->name, strerror(errno));
		if (status == 0) {
			status = 1;
		}
	}
	return status;
}

/*
 * How many hand-overs came before this one.  Only a plain number that
 * we could have written counts; anything else (a sign, a huge number,
 * text) is taken as the limit, so that a forged value can only stop
 * the loop, never extend it.
 */
static int loop_depth(void)
{
	const char *mark = getenv(LOOP_MARK);
	int n = 0;
	const char *p = NULL;

	if (mark == NULL) {
		return 0;
	}
	if (mark[0] == '\0') {
		return LOOP_MAX;
	}
	for (p = mark; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || n >= LOOP_MAX) {
			return LOOP_MAX;
		}
		n = n * 10 + (*p - '0');
	}
	return n < LOOP_MAX ? n : LOOP_MAX;
}

/*
 * Make sure descriptors 0, 1 and 2 exist before anything else is
 * opened.  Started with one of them closed, the next open() (a pipe to
 * a probe, a cache file) would land there and be mistaken for standard
 * input or output by us or by a child.
 */
static bool std_fds_open(void)
{
	int fd;

	for (;;) {
		fd = open("/dev/null", O_RDWR | O_NOCTTY);
		if (fd < 0) {
			return false;
		}
		if (fd > 2) {
			close(fd);
			return true;
		}
	}
}

static int exec_stock(char **argv)
{
	const char *tool = stock_tool();
	struct stat self, target;
	char depth[16];
	int n = loop_depth();
	int err;

	if (n >= LOOP_MAX) {
		fprintf(stderr, "ctdb: %s keeps running this front-end again; "
			"refusing to loop (set CTDB_REAL_TOOL to the stock "
			"ctdb tool)\n", tool);
		return 1;
	}
	if (stat(tool, &target) != 0) {
		err = errno;
		fprintf(stderr, "ctdb: cannot run the stock ctdb tool %s: %s%s\n",
			tool, strerror(err),
			err == ENOENT ? " (install the ctdb package, or set "
			"CTDB_REAL_TOOL)" : "");
		return err == ENOENT ? 127 : 126;
	}
	if (stat("/proc/self/exe", &self) == 0 &&
	    self.st_dev == target.st_dev && self.st_ino == target.st_ino) {
		fprintf(stderr, "ctdb: %s is this front-end, not the stock ctdb "
			"tool (set CTDB_REAL_TOOL to the stock tool)\n", tool);
		return 1;
	}
	snprintf(depth, sizeof(depth), "%d", n + 1);
	if (setenv(LOOP_MARK, depth, 1) != 0) {
		fprintf(stderr, "ctdb: out of memory\n");
		return 1;
	}
	argv[0] = (char *)tool;
	execv(tool, argv);
	err = errno;
	fprintf(stderr, "ctdb: cannot run the stock ctdb tool %s: %s\n", tool,
		strerror(err));
	return err == ENOENT ? 127 : 126;
}

int main(int argc, char **argv)
{
	const struct ext_cmd *cmd = NULL;
	struct cmd_globals g = { .machine_readable = false };
	bool help = false;
	int at;

	if (!std_fds_open()) {
		/* nothing to say it on, perhaps: the status says it */
		return 1;
	}
	if (argc > 1 && strcmp(argv[1], "eventscript") == 0) {
		return cmd_eventscript(argc, argv);
	}
	at = find_command(argc, argv, &help, &g);
	if (at >= 0 && at < argc) {
		cmd = lookup(argv[at]);
		if (cmd != NULL) {
			return cmd_run(cmd, &g, argc - at,
					(const char **)(argv + at));
		}
		if (strcmp(argv[at], "help") == 0) {
			help = true;
		}
	} else if (at == argc && argc <= 1) {
		help = true;
	}
	if (help) {
		static char opt_help[] = "--help";
		char *help_argv[] = { argv[0], opt_help, NULL };

		print_our_commands();
		if (at >= 0 && at < argc) {
			/* "ctdb help": the stock tool knows only --help */
			return exec_stock(help_argv);
		}
	}
	return exec_stock(argv);
}
