/*
 * ctdb checktcpport PORT: is anything listening on TCP port PORT?
 *
 * Exit status: 0 nothing listens, EADDRINUSE something listens, EINVAL
 * bad usage, another errno when no method could decide.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <popt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/log.h"
#include "checks/tcpport.h"
#include "checks/util.h"
#include "cmd/cmd.h"
#include "compat/checkers.h"

#define CHECKTCPPORT_USAGE "usage: ctdb checktcpport [-v] PORT"

/* True for "-" followed by digits only: a negative number, not an option */
static bool checktcpport_looks_negative(const char *s)
{
	return s != NULL && s[0] == '-' && s[1] != '\0' &&
	       strspn(s + 1, "0123456789") == strlen(s + 1);
}

/*
 * Test hooks, compiled only into the test suite's build of the
 * front-end (build/tests/ctdb-hooks, -DCTDB_TEST_HOOKS): not user
 * features, not in the man page, and ignored by the installed tool.
 *   CTDB_TEST_PROC_ROOT=DIR        read DIR/net/tcp{,6} instead of /proc
 *                                  and skip netlink, so that tests can
 *                                  exercise the /proc path on fixtures;
 *   CTDB_TEST_TCPPORT_METHOD=bind  skip netlink and /proc, forcing the
 *                                  bind probe.
 */
#ifdef CTDB_TEST_HOOKS
static void checktcpport_test_hooks(struct tcpport_opts *opts)
{
	const char *root = getenv("CTDB_TEST_PROC_ROOT");
	const char *method = getenv("CTDB_TEST_TCPPORT_METHOD");

	if (root != NULL && root[0] != '\0') {
		opts->proc_root = root;
		opts->no_netlink = true;
		clog(CLOG_DEBUG, "checktcpport: netlink: not used "
		     "(CTDB_TEST_PROC_ROOT is set)");
	}
	if (method != NULL && strcmp(method, "bind") == 0) {
		opts->no_netlink = true;
		opts->no_proc = true;
		clog(CLOG_DEBUG, "checktcpport: netlink and /proc: not used "
		     "(CTDB_TEST_TCPPORT_METHOD=bind)");
	}
}
#else
static void checktcpport_test_hooks(struct tcpport_opts *opts)
{
	(void)opts;
}
#endif

/*
 * -v: each listening address with its accept queue (clients waiting
 * for the listener to accept them) and backlog, where netlink told.
 * A stopped or hung listener shows a queue that grows.
 */
static void checktcpport_print_queues(const struct tcpport_answer *ans,
				      uint16_t port)
{
	unsigned j;

	if (ans->listeners == NULL || ans->listeners[0] == NULL) {
		return;
	}
	for (j = 0; j < ans->nlisteners[0]; j++) {
		const struct tcpport_listener *l = &ans->listeners[0][j];
		char a[INET6_ADDRSTRLEN] = "?";

		if (!l->queues_known) {
			continue;
		}
		(void)inet_ntop(l->family, l->addr, a, sizeof(a));
		printf("  %s%s%s:%u: accept queue %u, backlog %u\n",
		       l->family == AF_INET6 ? "[" : "", a,
		       l->family == AF_INET6 ? "]" : "", (unsigned)port,
		       (unsigned)l->rqueue, (unsigned)l->wqueue);
	}
}

static int checktcpport_run(TALLOC_CTX *mem_ctx,
			    const struct cmd_globals *globals, int argc,
			    const char **argv)
{
	TALLOC_CTX *tmp_ctx = NULL;
	struct tcpport_opts opts = { .proc_root = NULL };
	struct tcpport_answer *ans = NULL;
	poptContext pc = NULL;
	const char *arg = NULL;
	const char *extra = NULL;
	int verbose = 0;
	uint16_t port = 0;
	int opt;
	int ret;
	struct poptOption options[] = {
		CMD_HELP_OPTIONS
		{
			.longName = "verbose",
			.shortName = 'v',
			.argInfo = POPT_ARG_NONE,
			.arg = &verbose,
			.descrip = "print what decided, and the listening "
				   "addresses",
		},
		POPT_TABLEEND
	};

	tmp_ctx = talloc_new(mem_ctx);
	if (tmp_ctx == NULL) {
		fprintf(stderr, "checktcpport: out of memory\n");
		return ENOMEM;
	}

	pc = poptGetContext("checktcpport", argc, argv, options, 0);
	if (pc == NULL) {
		fprintf(stderr, "checktcpport: out of memory\n");
		ret = ENOMEM;
		goto done;
	}
	poptSetOtherOptionHelp(pc, "[OPTIONS] PORT");

	while ((opt = poptGetNextOpt(pc)) > 0) {
		/* the others store their values themselves */
		if (cmd_help(pc, opt)) {
			ret = 0;
			goto done;
		}
	}
	if (opt < -1) {
		const char *bad = poptBadOption(pc, 0);

		if (checktcpport_looks_negative(bad)) {
			fprintf(stderr, "checktcpport: invalid port \"%s\" "
				"(expected 1..65535)\n", bad);
		} else {
			fprintf(stderr, "checktcpport: %s: %s\n", bad,
				poptStrerror(opt));
		}
		fprintf(stderr, "%s\n", CHECKTCPPORT_USAGE);
		ret = EINVAL;
		goto done;
	}

	arg = poptGetArg(pc);
	if (arg == NULL) {
		fprintf(stderr, "checktcpport: missing PORT\n%s\n",
			CHECKTCPPORT_USAGE);
		ret = EINVAL;
		goto done;
	}
	extra = poptPeekArg(pc);
	if (extra != NULL) {
		fprintf(stderr, "checktcpport: unexpected argument \"%s\" "
			"(only one PORT)\n%s\n", extra, CHECKTCPPORT_USAGE);
		ret = EINVAL;
		goto done;
	}
	if (util_parse_port(arg, &port) != 0) {
		fprintf(stderr, "checktcpport: invalid port \"%s\" "
			"(expected 1..65535)\n", arg);
		ret = EINVAL;
		goto done;
	}

	/* -v: the DEBUG lines say why a method was not used */
	clog_start(tmp_ctx, verbose ? CLOG_DEBUG : CLOG_WARNING);
	checktcpport_test_hooks(&opts);

	ret = tcpport_query(tmp_ctx, &opts, &port, 1, &ans);
	ctdb_log_fallbacks(ans);
	clog_flush(stdout);
	if (ret != 0) {
		fprintf(stderr, "checktcpport: cannot read listening sockets: "
			"%s\n", strerror(ret));
		goto done;
	}

	if (ans->listening[0]) {
		if (verbose) {
			printf("port %u: listening%s%s (%s)\n", (unsigned)port,
			       ans->addrs[0] != NULL ? " on " : "",
			       ans->addrs[0] != NULL ? ans->addrs[0] : "",
			       tcpport_method_name(ans->method));
			checktcpport_print_queues(ans, port);
		}
		ret = EADDRINUSE;
	} else {
		if (verbose) {
			printf("port %u: nothing listens (%s)\n",
			       (unsigned)port,
			       tcpport_method_name(ans->method));
		}
		ret = 0;
	}

done:
	clog_end();
	if (pc != NULL) {
		poptFreeContext(pc);
	}
	talloc_free(tmp_ctx);
	return ret;
}

const struct ext_cmd cmd_checktcpport = {
	.name = "checktcpport",
	.fn = checktcpport_run,
	.args = "PORT",
	.msg = "is anything listening on a TCP port (exit 98: yes, 0: no)",
};
