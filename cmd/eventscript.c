/*
 * "ctdb eventscript SCRIPT EVENT ARGS...": how the kernel runs a
 * wrapper eventscript whose first line is "#!.../ctdb eventscript".
 * monitor runs checksamba here, with no shell on the way (spec 4);
 * every other event goes to /bin/sh with the same file, for which the
 * first line is a comment.  Only that file, our installed wrapper,
 * reaches the shell: as a path in an argument vector, never as text.
 * A script named *.script is in the events/legacy layout of CTDB 4.9
 * and later, and runs checksamba --managed; any other is an events.d
 * script of older CTDB.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <talloc.h>

#include "checks/config.h"
#include "cmd/cmd.h"

/* CTDB_BASE from the script's place when the caller did not set it */
static int eventscript_base(const char *script)
{
	const char *set = getenv("CTDB_BASE");
	char *base = NULL;
	int ret;

	if (set != NULL && set[0] != '\0') {
		return 0;
	}
	ret = config_eventscript_base(NULL, script, &base);
	if (ret == 0 && setenv("CTDB_BASE", base, 1) != 0) {
		ret = errno;
	}
	talloc_free(base);
	return ret;
}

int cmd_eventscript(int argc, char **argv)
{
	static const char sh[] = "/bin/sh";
	const char *script = argc > 2 ? argv[2] : NULL;
	size_t len = script != NULL ? strlen(script) : 0;
	int ret;

	if (script == NULL || script[0] == '\0') {
		fprintf(stderr, "ctdb eventscript: for the first line of an "
			"eventscript: #!%s eventscript\n", argv[0]);
		return 22;
	}
	if (argc > 3 && strcmp(argv[3], "monitor") == 0) {
		bool managed = len > 7 && strcmp(script + len - 7,
						 ".script") == 0;
		const char *cs_argv[] = { "checksamba", "--managed", NULL };
		struct cmd_globals g = { .machine_readable = false };

		ret = eventscript_base(script);
		if (ret != 0) {
			fprintf(stderr, "ctdb eventscript: cannot tell "
				"CTDB_BASE from %s: %s\n", script,
				strerror(ret));
			return 1;
		}
		return cmd_run(&cmd_checksamba, &g, managed ? 2 : 1, cs_argv);
	}
	/* argv + 1 becomes "/bin/sh SCRIPT EVENT ARGS..." */
	argv[1] = (char *)sh;
	execv(sh, argv + 1);
	fprintf(stderr, "ctdb eventscript: cannot run %s: %s\n", sh,
		strerror(errno));
	/* 64..254 would read as an errno to ctdb-eventd */
	return 1;
}
