/*
 * Is anything listening on a TCP port?  Read from the kernel's table of
 * listening sockets: netlink sock_diag asking for LISTEN sockets only
 * (IPv4, then IPv6), /proc/net/tcp{,6} where netlink is not available,
 * and a bind probe only where neither is.
 */
#ifndef CHECKS_TCPPORT_H
#define CHECKS_TCPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <talloc.h>

#include "checks/check.h"

enum tcpport_method {
	TCPPORT_NETLINK,
	TCPPORT_PROC,
	TCPPORT_BIND,
};

struct tcpport_opts {
	const char *proc_root;	/* NULL: "/proc" */
	bool no_netlink;	/* tests: skip sock_diag */
	bool no_proc;		/* tests: skip /proc */
	/*
	 * The run's deadline: a netlink receive waits at most min(2 s,
	 * what is left).  NULL: 2 s.  The "ctdb" checker uses its
	 * env->deadline when this is NULL.
	 */
	const struct deadline *deadline;
};

/* The most listening addresses an answer keeps per port (for -v) */
#define TCPPORT_MAX_ADDRS 16

/* One listening socket's address, and its queues where netlink told */
struct tcpport_listener {
	int family;			/* AF_INET or AF_INET6 */
	unsigned char addr[16];		/* network order: 4 or 16 bytes */
	bool queues_known;		/* netlink: rqueue and wqueue are set */
	uint32_t rqueue;		/* connections waiting to be accepted
					 * (idiag_rqueue of a LISTEN socket) */
	uint32_t wqueue;		/* the backlog: the most that may wait
					 * (idiag_wqueue of a LISTEN socket) */
};

struct tcpport_answer {
	enum tcpport_method method;	/* what decided (or was tried last) */
	size_t nports;
	bool *listening;		/* [nports] */
	char **addrs;			/* [nports]: "127.0.0.1:445 [::1]:445"
					 * or NULL (not for TCPPORT_BIND); at
					 * most TCPPORT_MAX_ADDRS, then "..." */
	unsigned *naddrs;		/* [nports]: words in addrs[] */
	size_t *by_port;		/* internal: [nports] indexes of the
					 * ports asked, sorted by port */
	/*
	 * [nports]: the listening addresses as in addrs[] (the same
	 * order, at most TCPPORT_MAX_ADDRS, no "..."), talloc arrays of
	 * nlisteners[i]; sockets of one address add their queues up
	 */
	struct tcpport_listener **listeners;
	unsigned *nlisteners;
	/* [nports]: connections waiting in the accept queues of every
	 * LISTEN socket of the port (netlink only; 0 otherwise) */
	uint64_t *queued;
	/*
	 * Why the methods before @method did not decide, for the caller
	 * to word: an errno, or 0 where the method was not tried (opts)
	 * or answered.
	 */
	const char *proc_root;		/* the root read: "/proc" or opts' */
	unsigned dumps_interrupted;	/* netlink dumps retried (0..2) */
	int netlink_err;
	int proc_err;
	int bind_err;			/* the bind probe of bind_port failed */
	uint16_t bind_port;
};

/** @brief "netlink", "/proc/net/tcp" or "bind probe". */
const char *tcpport_method_name(enum tcpport_method method);

/**
 * @brief Which of @p ports have a listener, in this network namespace,
 * on any local IPv4 or IPv6 address.  Connections (ESTABLISHED,
 * TIME-WAIT, ...) never count.  Nothing is printed or logged: the
 * answer records which methods failed and why.
 * @param[in]  mem_ctx talloc parent of *ans
 * @param[out] ans     set on success, and also when no method could
 *                     decide (then ans->bind_err is the returned errno
 *                     and no port is marked listening); NULL on ENOMEM
 * @return 0 on success, errno when no method could decide
 */
int tcpport_query(TALLOC_CTX *mem_ctx, const struct tcpport_opts *opts,
		  const uint16_t *ports, size_t nports,
		  struct tcpport_answer **ans);

/**
 * @brief Parse one line of /proc/net/tcp or /proc/net/tcp6.
 * @param[out] port   local port (host order)
 * @param[out] listen true when the st column is 0A (LISTEN)
 * @param[out] addr   printable local address ("127.0.0.1", "::1"),
 *                    at least 46 bytes
 * @return 0, or EINVAL for a header or malformed line
 */
int tcpport_parse_proc_line(const char *line, uint16_t *port, bool *listen,
			    char *addr, size_t addrlen);

/**
 * @brief Parse one buffer received from a sock_diag dump (pure: no I/O).
 * LISTEN sockets of the ports asked for are marked in @p ans, their
 * addresses appended to ans->addrs[] (talloc children of @p ans), and,
 * where @p ans has the arrays, kept with their queues in
 * ans->listeners[] and ans->queued[].
 * Messages whose sequence number is not @p seq, or whose port id is not
 * @p pid (when @p pid is not 0), are ignored.
 * @param[in,out] ans  listening[] and addrs[] sized ans->nports
 * @param[in]     ports the ports asked for, [ans->nports]
 * @param[out]    done true once NLMSG_DONE was seen
 * @param[out]    intr set to true when a message carried NLM_F_DUMP_INTR
 * @return 0, the errno of an NLMSG_ERROR (or of NLMSG_DONE), EBADMSG for
 *         a malformed buffer, ENOMEM
 */
int tcpport_parse_diag(struct tcpport_answer *ans, const uint16_t *ports,
		       const void *buf, size_t len, uint32_t seq, uint32_t pid,
		       bool *done, bool *intr);

/**
 * @brief In-process bind probe.  EADDRINUSE means in use.
 * @param[in]  stock  the stock tool's method exactly: bind 0.0.0.0:PORT
 *                    without SO_REUSEADDR, so a lingering connection
 *                    (TIME-WAIT, FIN-WAIT) counts as in use and an
 *                    IPv6-only listener is missed.  false: with
 *                    SO_REUSEADDR, 0.0.0.0:PORT and then [::]:PORT, the
 *                    least wrong probe (the last-resort fallback).
 * @param[out] in_use true when a bind failed with EADDRINUSE
 * @return 0, or the errno of another failure
 */
int tcpport_bind_probe(uint16_t port, bool stock, bool *in_use);

#endif
