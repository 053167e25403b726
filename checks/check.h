/*
 * What every check answers, and the interface of a TCP port checker.
 */
#ifndef CHECKS_CHECK_H
#define CHECKS_CHECK_H

#include <stddef.h>
#include <stdint.h>
#include <talloc.h>

#include "checks/util.h"

enum check_status {
	CHECK_OK,		/* all listening / healthy */
	CHECK_FAIL,		/* res->port is not listening */
	CHECK_CANNOT_RUN,	/* no answer: try the next checker */
};

struct check_result {
	enum check_status status;
	int err;		/* errno behind CHECK_CANNOT_RUN, else 0 */
	uint16_t port;		/* the failing port, for CHECK_FAIL */
	char *evidence;		/* DEBUG text, talloc child of the caller's
				 * mem_ctx, may be NULL */
	/*
	 * The listener table that decided (the "ctdb" checker), talloc
	 * child of the caller's mem_ctx, or NULL: where the SMB answer
	 * check connects, and whose accept queues make it due (3.6)
	 */
	struct tcpport_answer *listeners;
};

struct tcpport_opts;
struct tcpport_answer;

struct checker_env {
	const struct deadline *deadline;	/* external programs */
	const struct tcpport_opts *tcp;		/* in-process checkers */
};

struct port_checker {
	const char *name;	/* "ctdb", "bind", "nmap", "netstat", "ss" */
	/**
	 * Given all ports, fill @p res: CHECK_OK, CHECK_FAIL with the
	 * first port (in list order) not listening, or CHECK_CANNOT_RUN.
	 * Evidence is allocated on @p mem_ctx.
	 * @return 0, or ENOMEM (the chain treats it as cannot run)
	 */
	int (*check)(TALLOC_CTX *mem_ctx, const struct checker_env *env,
		     const uint16_t *ports, size_t nports,
		     struct check_result *res);
};

#endif
