/*
 * The checker chain (spec 3.4): walk checker names in order; the first
 * answer that is not "cannot run" decides.
 */
#ifndef CHECKS_CHAIN_H
#define CHECKS_CHAIN_H

#include <stddef.h>
#include <stdint.h>
#include <talloc.h>

#include "checks/check.h"

struct chain_outcome {
	enum check_status status;	/* CHECK_CANNOT_RUN: none worked */
	uint16_t port;			/* for CHECK_FAIL */
	const char *checker;		/* the one that decided, or NULL */
	char *evidence;			/* its DEBUG text, may be NULL */
	struct tcpport_answer *listeners;	/* its listener table, or
						 * NULL (check_result) */
};

/**
 * @brief Run the chain.
 * @param[in] table   all known checkers, NULL-terminated
 * @param[in] names   checker names separated by spaces/commas; unknown
 *                    names cannot run
 * For each checker that cannot run, clog()s at DEBUG:
 *   "ctdb_check_ports - checker NAME not implemented"
 *   "output from checker was:"
 *   its evidence
 * @param[out] out talloc child of @p mem_ctx
 * @return 0, or ENOMEM
 */
int chain_run(TALLOC_CTX *mem_ctx, const struct port_checker *const *table,
	      const char *names, const struct checker_env *env,
	      const uint16_t *ports, size_t nports,
	      struct chain_outcome **out);

/** @brief The checker called @p name in @p table, or NULL. */
const struct port_checker *chain_find(const struct port_checker *const *table,
				      const char *name);

#endif
