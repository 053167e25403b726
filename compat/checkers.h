/*
 * Every port checker by name, for the chain: the in-process "ctdb" and
 * "bind" (over checks/tcpport.c), the external "nmap", "netstat" and
 * "ss".
 */
#ifndef COMPAT_CHECKERS_H
#define COMPAT_CHECKERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <talloc.h>

#include "checks/check.h"

struct tcpport_answer;

/* compat/ctdb.c: the old script's "ctdb checktcpport", in-process */
extern const struct port_checker checker_ctdb;
extern const struct port_checker checker_bind;
extern const struct port_checker checker_nmap;
extern const struct port_checker checker_netstat;
extern const struct port_checker checker_ss;

/* NULL-terminated: ctdb, bind, nmap, netstat, ss */
extern const struct port_checker *const compat_checkers[];

/**
 * @brief clog() at DEBUG why the methods before @p ans->method did not
 * decide ("checktcpport: netlink: ..., reading /proc/net/tcp"), as
 * "ctdb checktcpport -v" and the "ctdb" checker say it.  NULL: nothing.
 */
void ctdb_log_fallbacks(const struct tcpport_answer *ans);

/**
 * @brief Pure parsers of each tool's output: add every listening port
 * to @p set, in one pass over the output (so that checking n ports
 * costs one pass, not n).  nmap: the "Ports:" field lists
 * "P/open/tcp//".  netstat/ss: a LISTEN line has local address ADDR:P
 * for any IPv4 or IPv6 address.  NULL output: nothing.
 */
typedef void (*compat_listening_fn)(const char *output, struct port_set *set);
void nmap_listening(const char *output, struct port_set *set);
void netstat_listening(const char *output, struct port_set *set);
void ss_listening(const char *output, struct port_set *set);

/**
 * @brief Whether @p fn finds @p port listening in @p output (one port:
 * for tests and fuzzing).
 */
bool compat_port_listed(compat_listening_fn fn, const char *output,
			uint16_t port);

/*
 * Shared by the external checkers (compat/checkers.c).
 */

/**
 * @brief The port of a local address as netstat or ss prints it
 * ("0.0.0.0:445", ":::445", "[::1]:445", "*:445",
 * "192.168.1.2%eth0:445") of @p len bytes: the digits after the last
 * ':'.
 * @return false when it does not end in ":PORT"
 */
bool compat_addr_port(const char *addr, size_t len, uint16_t *port);

/**
 * @brief Field @p col (0-based) of the line [p, end), fields separated
 * by spaces, tabs and carriage returns.
 * @return false when the line has no such field
 */
bool compat_field(const char *p, const char *end, unsigned col,
		  const char **field, size_t *len);

/**
 * @brief Add to @p set the port of every line of a table of sockets
 * whose (0-based) whitespace-separated field @p state_col is "LISTEN"
 * and whose field @p addr_col is a local address.
 */
void compat_table_listening(const char *output, unsigned state_col,
			    unsigned addr_col, struct port_set *set);

/**
 * @brief Run one external checker: argv within env->deadline, then
 * @p understood on its stdout (false: cannot run) and @p listening
 * once; the first port in order that it does not list fails.  Fills @p res as struct port_checker's check() does.
 * @return 0, or ENOMEM
 */
int compat_run_checker(TALLOC_CTX *mem_ctx, const struct checker_env *env,
		       const char *const *argv,
		       bool (*understood)(const char *output),
		       compat_listening_fn listening,
		       const uint16_t *ports, size_t nports,
		       struct check_result *res);

#endif
