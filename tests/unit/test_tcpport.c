/*
 * checks/tcpport.c and the "ctdb" and "bind" checkers (compat/ctdb.c):
 * port parsing, the /proc line parser, the sock_diag parser, a fake
 * /proc, and live sockets (opened here, on ephemeral ports) through
 * netlink, /proc and the bind probe.  The command itself, cmd/, is
 * tested by tests/scenarios/checktcpport.*.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checks/tcpport.h"
#include "checks/util.h"
#include "compat/checkers.h"

#define FIXTURE_ROOT "tests/unit/data/tcpport/proc"
#define FIXTURE_NO_TCP6 "tests/unit/data/tcpport/no-tcp6"

/*
 * Port parsing (util_parse_port, as checktcpport uses it)
 */

static void test_parse_port_table(void **state)
{
	static const struct {
		const char *in;
		int ret;
		uint16_t port;
	} cases[] = {
		{ "1", 0, 1 },
		{ "445", 0, 445 },
		{ "65535", 0, 65535 },
		{ "abc", EINVAL, 0 },
		{ "0", EINVAL, 0 },
		{ "70000", EINVAL, 0 },
		{ "65536", EINVAL, 0 },
		{ "-1", EINVAL, 0 },
		{ "+445", EINVAL, 0 },
		{ "445x", EINVAL, 0 },
		{ "", EINVAL, 0 },
		{ " 445", EINVAL, 0 },
		{ "445 ", EINVAL, 0 },
		{ "0x1bd", EINVAL, 0 },
		{ "1e3", EINVAL, 0 },
		{ "99999999999999999999", EINVAL, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint16_t port = 0;
		int ret = util_parse_port(cases[i].in, &port);

		if (ret != cases[i].ret) {
			fail_msg("util_parse_port(\"%s\") = %d, want %d",
				 cases[i].in, ret, cases[i].ret);
		}
		if (ret == 0) {
			assert_int_equal(port, cases[i].port);
		}
	}
}

/*
 * /proc line parser, on lines captured from a real kernel
 */

static void test_parse_proc_line_table(void **state)
{
	static const struct {
		const char *line;
		int ret;
		uint16_t port;
		bool listen;
		const char *addr;
	} cases[] = {
		/* IPv4 LISTEN, loopback: the word is in host order */
		{ "   0: 0100007F:1163 00000000:0000 0A 00000000:00000000 "
		  "00:00000000 00000000     0        0 13363 1 "
		  "00000000ad2a7ce8 100 0 0 10 0                     \n",
		  0, 4451, true, "127.0.0.1" },
		/* IPv4 LISTEN, any */
		{ "   1: 00000000:07E8 00000000:0000 0A 00000000:00000000 "
		  "00:00000000 00000000     0        0 1065 1 "
		  "000000001cd21456 100 0 0 10 0\n",
		  0, 2024, true, "0.0.0.0" },
		/* IPv4 192.168.1.20 */
		{ "   1: 1401A8C0:0FA0 00000000:0000 0A 00000000:00000000 "
		  "00:00000000 00000000     0        0 1065 1",
		  0, 4000, true, "192.168.1.20" },
		/* IPv4 ESTABLISHED */
		{ "   2: 0100007F:1163 0100007F:C4FA 01 00000000:00000000 "
		  "00:00000000 00000000     0        0 13059 1 "
		  "00000000410707ad 20 0 0 10 -1\n",
		  0, 4451, false, "127.0.0.1" },
		/* IPv4 TIME_WAIT */
		{ "   1: 0100007F:AD9D 0100007F:BBAE 06 00000000:00000000 "
		  "03:000016A3 00000000     0        0 0 3 "
		  "00000000d54dc36f\n",
		  0, 44445, false, "127.0.0.1" },
		/* IPv6 LISTEN on :: */
		{ "   0: 00000000000000000000000000000000:056E "
		  "00000000000000000000000000000000:0000 0A 00000000:00000000 "
		  "00:00000000 00000000     0        0 13362 1 "
		  "000000009971a695 100 0 0 10 0\n",
		  0, 1390, true, "::" },
		/* IPv6 LISTEN on ::1 */
		{ "   1: 00000000000000000000000001000000:1162 "
		  "00000000000000000000000000000000:0000 0A 00000000:00000000 "
		  "00:00000000 00000000     0        0 13361 1 "
		  "00000000f1aa0ae8 100 0 0 10 0\n",
		  0, 4450, true, "::1" },
		/* IPv6 ESTABLISHED on 2001:db8::5 */
		{ "   2: B80D0120000000000000000005000000:008B "
		  "B80D0120000000000000000009000000:A82A 01 00000000:00000000 "
		  "00:00000000 00000000     0        0 13057 1\n",
		  0, 139, false, "2001:db8::5" },
		/* IPv4-mapped IPv6 */
		{ "   3: 0000000000000000FFFF00000100007F:01BD "
		  "00000000000000000000000000000000:0000 0A 00000000:00000000",
		  0, 445, true, "::ffff:127.0.0.1" },
		/* header lines */
		{ "  sl  local_address rem_address   st tx_queue rx_queue tr "
		  "tm->when retrnsmt   uid  timeout inode\n",
		  EINVAL, 0, false, NULL },
		{ "  sl  local_address                         remote_address"
		  "                        st tx_queue\n",
		  EINVAL, 0, false, NULL },
		/* malformed */
		{ "", EINVAL, 0, false, NULL },
		{ "\n", EINVAL, 0, false, NULL },
		{ "   0: 0100007F:1163", EINVAL, 0, false, NULL },
		{ "   0: 0100007F:1163 00000000:0000", EINVAL, 0, false, NULL },
		{ "   0: 0100007F:1163 00000000:0000 0", EINVAL, 0, false,
		  NULL },
		{ "   0: 0100007F:1163 00000000:0000 0AX 0", EINVAL, 0, false,
		  NULL },
		{ "   0: 100007F:1163 00000000:0000 0A 0", EINVAL, 0, false,
		  NULL },
		{ "   0: 0100007F:163 00000000:0000 0A 0", EINVAL, 0, false,
		  NULL },
		{ "   0: 0100007F:1163 0000000000000000:0000 0A 0", EINVAL, 0,
		  false, NULL },
		{ "   0 0100007F:1163 00000000:0000 0A 0", EINVAL, 0, false,
		  NULL },
		{ "   x: 0100007F:1163 00000000:0000 0A 0", EINVAL, 0, false,
		  NULL },
		{ "   0: 0100007G:1163 00000000:0000 0A 0", EINVAL, 0, false,
		  NULL },
		{ "   0: 0100007F-1163 00000000:0000 0A 0", EINVAL, 0, false,
		  NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char addr[INET6_ADDRSTRLEN] = "";
		uint16_t port = 0;
		bool listen = false;
		int ret;

		ret = tcpport_parse_proc_line(cases[i].line, &port, &listen,
					      addr, sizeof(addr));
		if (ret != cases[i].ret) {
			fail_msg("case %zu: ret %d, want %d: %s", i, ret,
				 cases[i].ret, cases[i].line);
		}
		if (ret != 0) {
			continue;
		}
		if (port != cases[i].port || listen != cases[i].listen ||
		    strcmp(addr, cases[i].addr) != 0) {
			fail_msg("case %zu: got %u %d %s, want %u %d %s", i,
				 (unsigned)port, (int)listen, addr,
				 (unsigned)cases[i].port, (int)cases[i].listen,
				 cases[i].addr);
		}
	}
}

/*
 * The sock_diag parser, on buffers built here
 */

struct diag_buf {
	unsigned char data[4096];
	size_t len;
};

static void diag_put(struct diag_buf *b, uint16_t type, uint16_t flags,
		     uint32_t seq, uint32_t pid, const void *payload,
		     size_t plen)
{
	struct nlmsghdr h;

	memset(&h, 0, sizeof(h));
	h.nlmsg_len = NLMSG_LENGTH(plen);
	h.nlmsg_type = type;
	h.nlmsg_flags = flags;
	h.nlmsg_seq = seq;
	h.nlmsg_pid = pid;
	assert_true(b->len + NLMSG_ALIGN(h.nlmsg_len) <= sizeof(b->data));
	memset(b->data + b->len, 0, NLMSG_ALIGN(h.nlmsg_len));
	memcpy(b->data + b->len, &h, sizeof(h));
	memcpy(b->data + b->len + NLMSG_HDRLEN, payload, plen);
	b->len += NLMSG_ALIGN(h.nlmsg_len);
}

static void diag_put_sock_q(struct diag_buf *b, uint16_t flags, uint32_t seq,
			    uint32_t pid, int family, const char *addr,
			    uint16_t port, uint8_t state, uint32_t rqueue,
			    uint32_t wqueue)
{
	struct inet_diag_msg m;

	memset(&m, 0, sizeof(m));
	m.idiag_rqueue = rqueue;
	m.idiag_wqueue = wqueue;
	m.idiag_family = (uint8_t)family;
	m.idiag_state = state;
	m.id.idiag_sport = htons(port);
	assert_int_equal(inet_pton(family, addr, m.id.idiag_src), 1);
	diag_put(b, SOCK_DIAG_BY_FAMILY, NLM_F_MULTI | flags, seq, pid, &m,
		 sizeof(m));
}

static void diag_put_sock(struct diag_buf *b, uint16_t flags, uint32_t seq,
			  uint32_t pid, int family, const char *addr,
			  uint16_t port, uint8_t state)
{
	diag_put_sock_q(b, flags, seq, pid, family, addr, port, state, 0, 50);
}

static void diag_put_done(struct diag_buf *b, uint32_t seq, uint32_t pid,
			  int err)
{
	diag_put(b, NLMSG_DONE, NLM_F_MULTI, seq, pid, &err, sizeof(err));
}

static struct tcpport_answer *answer_for(TALLOC_CTX *mem_ctx, size_t n)
{
	struct tcpport_answer *ans = talloc_zero(mem_ctx,
						 struct tcpport_answer);

	assert_non_null(ans);
	ans->nports = n;
	ans->listening = talloc_zero_array(ans, bool, n);
	ans->addrs = talloc_zero_array(ans, char *, n);
	ans->naddrs = talloc_zero_array(ans, unsigned, n);
	ans->listeners = talloc_zero_array(ans, struct tcpport_listener *, n);
	ans->nlisteners = talloc_zero_array(ans, unsigned, n);
	ans->queued = talloc_zero_array(ans, uint64_t, n);
	assert_non_null(ans->listeners);
	assert_non_null(ans->nlisteners);
	assert_non_null(ans->queued);
	assert_non_null(ans->listening);
	assert_non_null(ans->addrs);
	assert_non_null(ans->naddrs);
	return ans;
}

/*
 * Ports asked for out of order and twice: each place is answered (the
 * answer looks sockets up by port in a sorted index).
 */
static void test_parse_diag_unsorted(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	static const uint16_t ports[] = { 9000, 445, 139, 445, 1, 65535 };
	struct tcpport_answer *ans = answer_for(ctx, 6);
	struct diag_buf *b = talloc_zero(ctx, struct diag_buf);
	bool done = false;
	bool intr = false;

	diag_put_sock(b, 0, 7, 99, AF_INET, "0.0.0.0", 65535, TCP_LISTEN);
	diag_put_sock(b, 0, 7, 99, AF_INET, "0.0.0.0", 445, TCP_LISTEN);
	diag_put_sock(b, 0, 7, 99, AF_INET, "0.0.0.0", 1, TCP_LISTEN);
	diag_put_sock(b, 0, 7, 99, AF_INET, "0.0.0.0", 444, TCP_LISTEN);
	diag_put_done(b, 7, 99, 0);
	assert_int_equal(tcpport_parse_diag(ans, ports, b->data, b->len, 7,
					    99, &done, &intr), 0);
	assert_true(done);
	assert_false(ans->listening[0]);
	assert_true(ans->listening[1]);
	assert_false(ans->listening[2]);
	assert_true(ans->listening[3]);
	assert_true(ans->listening[4]);
	assert_true(ans->listening[5]);
	assert_string_equal(ans->addrs[1], "0.0.0.0:445");
	assert_string_equal(ans->addrs[3], "0.0.0.0:445");
	assert_string_equal(ans->addrs[5], "0.0.0.0:65535");
	talloc_free(ctx);
}

static void test_parse_diag(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	static const uint16_t ports[] = { 445, 139, 5000, 8080 };
	struct tcpport_answer *ans = answer_for(ctx, 4);
	struct diag_buf *b = talloc_zero(ctx, struct diag_buf);
	bool done = false;
	bool intr = false;
	int ret;

	diag_put_sock(b, 0, 7, 99, AF_INET, "0.0.0.0", 445, TCP_LISTEN);
	diag_put_sock(b, 0, 7, 99, AF_INET, "0.0.0.0", 445, TCP_LISTEN);
	/* not LISTEN: must not count even if the kernel sent it */
	diag_put_sock(b, 0, 7, 99, AF_INET, "10.0.0.10", 139,
		      TCP_ESTABLISHED);
	diag_put_sock(b, 0, 7, 99, AF_INET, "10.0.0.10", 8080, TCP_TIME_WAIT);
	/* another request's answer (seq) and another socket's (pid) */
	diag_put_sock(b, 0, 6, 99, AF_INET, "0.0.0.0", 139, TCP_LISTEN);
	diag_put_sock(b, 0, 7, 98, AF_INET, "0.0.0.0", 139, TCP_LISTEN);
	diag_put_sock(b, 0, 7, 99, AF_INET6, "::1", 5000, TCP_LISTEN);
	diag_put_sock(b, 0, 7, 99, AF_INET6, "::", 445, TCP_LISTEN);
	diag_put_done(b, 7, 99, 0);

	ret = tcpport_parse_diag(ans, ports, b->data, b->len, 7, 99, &done,
				 &intr);
	assert_int_equal(ret, 0);
	assert_true(done);
	assert_false(intr);
	assert_true(ans->listening[0]);
	assert_false(ans->listening[1]);
	assert_true(ans->listening[2]);
	assert_false(ans->listening[3]);
	assert_string_equal(ans->addrs[0], "0.0.0.0:445 [::]:445");
	assert_null(ans->addrs[1]);
	assert_string_equal(ans->addrs[2], "[::1]:5000");
	/* the table: one entry an address, two sockets' backlogs added */
	assert_int_equal(ans->nlisteners[0], 2);
	assert_int_equal(ans->listeners[0][0].family, AF_INET);
	assert_true(ans->listeners[0][0].queues_known);
	assert_int_equal(ans->listeners[0][0].wqueue, 100);
	assert_int_equal(ans->listeners[0][1].family, AF_INET6);
	assert_int_equal(ans->nlisteners[1], 0);
	assert_int_equal(ans->queued[0], 0);
	talloc_free(ctx);
}

/* Clients waiting in an accept queue: idiag_rqueue of a LISTEN socket */
static void test_parse_diag_queues(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	static const uint16_t ports[] = { 445, 139 };
	static const unsigned char lo6[16] = { [15] = 1 };
	struct tcpport_answer *ans = answer_for(ctx, 2);
	struct diag_buf *b = talloc_zero(ctx, struct diag_buf);
	bool done = false;
	bool intr = false;

	diag_put_sock_q(b, 0, 3, 0, AF_INET, "127.0.0.1", 445, TCP_LISTEN, 2,
			50);
	diag_put_sock_q(b, 0, 3, 0, AF_INET6, "::1", 445, TCP_LISTEN, 5, 64);
	diag_put_sock_q(b, 0, 3, 0, AF_INET, "10.1.2.3", 139, TCP_LISTEN, 0,
			16);
	diag_put_done(b, 3, 0, 0);
	assert_int_equal(tcpport_parse_diag(ans, ports, b->data, b->len, 3, 0,
					    &done, &intr), 0);
	assert_int_equal(ans->queued[0], 7);
	assert_int_equal(ans->queued[1], 0);
	assert_int_equal(ans->nlisteners[0], 2);
	assert_int_equal(ans->listeners[0][0].rqueue, 2);
	assert_int_equal(ans->listeners[0][0].wqueue, 50);
	assert_int_equal(ans->listeners[0][1].rqueue, 5);
	assert_int_equal(ans->listeners[0][1].wqueue, 64);
	assert_memory_equal(ans->listeners[0][1].addr, lo6, 16);
	assert_int_equal(ans->listeners[1][0].addr[0], 10);
	assert_int_equal(ans->listeners[1][0].wqueue, 16);

	/* an answer without the table (an older caller): still parsed */
	ans = answer_for(ctx, 2);
	TALLOC_FREE(ans->listeners);
	assert_int_equal(tcpport_parse_diag(ans, ports, b->data, b->len, 3, 0,
					    &done, &intr), 0);
	assert_true(ans->listening[0]);
	talloc_free(ctx);
}

static void test_parse_diag_partial_and_intr(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	static const uint16_t ports[] = { 445 };
	struct tcpport_answer *ans = answer_for(ctx, 1);
	struct diag_buf *b = talloc_zero(ctx, struct diag_buf);
	bool done = true;
	bool intr = false;
	int ret;

	/* a buffer without DONE: more to come */
	diag_put_sock(b, NLM_F_DUMP_INTR, 1, 0, AF_INET, "127.0.0.1", 445,
		      TCP_LISTEN);
	ret = tcpport_parse_diag(ans, ports, b->data, b->len, 1, 0, &done,
				 &intr);
	assert_int_equal(ret, 0);
	assert_false(done);
	assert_true(intr);
	assert_true(ans->listening[0]);
	assert_string_equal(ans->addrs[0], "127.0.0.1:445");
	talloc_free(ctx);
}

static void test_parse_diag_errors(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	static const uint16_t ports[] = { 445 };
	struct tcpport_answer *ans = answer_for(ctx, 1);
	struct diag_buf *b = talloc_zero(ctx, struct diag_buf);
	struct nlmsgerr e;
	bool done = false;
	bool intr = false;
	int ret;

	/* the kernel has no handler: ENOENT, the caller uses /proc */
	memset(&e, 0, sizeof(e));
	e.error = -ENOENT;
	diag_put(b, NLMSG_ERROR, 0, 3, 0, &e, sizeof(e));
	ret = tcpport_parse_diag(ans, ports, b->data, b->len, 3, 0, &done,
				 &intr);
	assert_int_equal(ret, ENOENT);

	/* EOPNOTSUPP likewise */
	b->len = 0;
	e.error = -EOPNOTSUPP;
	diag_put(b, NLMSG_ERROR, 0, 3, 0, &e, sizeof(e));
	ret = tcpport_parse_diag(ans, ports, b->data, b->len, 3, 0, &done,
				 &intr);
	assert_int_equal(ret, EOPNOTSUPP);

	/* an error in DONE */
	b->len = 0;
	diag_put_done(b, 3, 0, -EINTR);
	ret = tcpport_parse_diag(ans, ports, b->data, b->len, 3, 0, &done,
				 &intr);
	assert_int_equal(ret, EINTR);

	/* truncated message */
	b->len = 0;
	diag_put_sock(b, 0, 3, 0, AF_INET, "127.0.0.1", 445, TCP_LISTEN);
	ret = tcpport_parse_diag(ans, ports, b->data, b->len - 8, 3, 0,
				 &done, &intr);
	assert_int_equal(ret, EBADMSG);

	/* a header alone, too short */
	ret = tcpport_parse_diag(ans, ports, b->data, 10, 3, 0, &done,
				 &intr);
	assert_int_equal(ret, EBADMSG);

	/* a diag message too short for inet_diag_msg */
	b->len = 0;
	diag_put(b, SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, 3, 0, "abcd", 4);
	ret = tcpport_parse_diag(ans, ports, b->data, b->len, 3, 0, &done,
				 &intr);
	assert_int_equal(ret, EBADMSG);
	talloc_free(ctx);
}

/*
 * A fake /proc
 */

static void test_proc_fixture(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	static const uint16_t ports[] = { 445, 139, 8080, 9000, 4000, 5000,
					  2024 };
	static const bool want[] = { true, false, false, false, true, true,
				     false };
	struct tcpport_opts opts = {
		.proc_root = FIXTURE_ROOT,
		.no_netlink = true,
	};
	struct tcpport_answer *ans = NULL;
	size_t i;
	int ret;

	ret = tcpport_query(ctx, &opts, ports, 7, &ans);
	assert_int_equal(ret, 0);
	assert_non_null(ans);
	assert_int_equal(ans->method, TCPPORT_PROC);
	assert_int_equal(ans->nports, 7);
	for (i = 0; i < 7; i++) {
		if (ans->listening[i] != want[i]) {
			fail_msg("port %u: listening %d, want %d",
				 (unsigned)ports[i], (int)ans->listening[i],
				 (int)want[i]);
		}
	}
	assert_string_equal(ans->addrs[0], "0.0.0.0:445 [::]:445");
	assert_string_equal(ans->addrs[4], "192.168.1.20:4000");
	assert_string_equal(ans->addrs[5], "[::1]:5000");
	assert_null(ans->addrs[1]);
	assert_string_equal(tcpport_method_name(ans->method),
			    "/proc/net/tcp");
	talloc_free(ctx);
}

static void test_proc_fixture_no_tcp6(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	static const uint16_t ports[] = { 445, 5000 };
	struct tcpport_opts opts = {
		.proc_root = FIXTURE_NO_TCP6,
		.no_netlink = true,
	};
	struct tcpport_answer *ans = NULL;
	int ret;

	ret = tcpport_query(ctx, &opts, ports, 2, &ans);
	assert_int_equal(ret, 0);
	assert_int_equal(ans->method, TCPPORT_PROC);
	assert_true(ans->listening[0]);
	assert_string_equal(ans->addrs[0], "0.0.0.0:445");
	assert_false(ans->listening[1]);
	talloc_free(ctx);
}

static void test_proc_missing_uses_bind(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	static const uint16_t ports[] = { 445 };
	struct tcpport_opts opts = {
		.proc_root = "tests/unit/data/tcpport/does-not-exist",
		.no_netlink = true,
	};
	struct tcpport_answer *ans = NULL;
	int ret;

	ret = tcpport_query(ctx, &opts, ports, 1, &ans);
	assert_int_equal(ret, 0);
	assert_int_equal(ans->method, TCPPORT_BIND);
	assert_null(ans->addrs[0]);
	assert_string_equal(tcpport_method_name(ans->method), "bind probe");
	/* why: netlink not tried, /proc missing, the probe answered */
	assert_string_equal(ans->proc_root,
			    "tests/unit/data/tcpport/does-not-exist");
	assert_int_equal(ans->netlink_err, 0);
	assert_int_equal(ans->proc_err, ENOENT);
	assert_int_equal(ans->bind_err, 0);
	assert_int_equal(ans->dumps_interrupted, 0);
	talloc_free(ctx);
}

/*
 * Live sockets
 */

/* A listener on @p addr, port chosen by the kernel. */
static int live_listen(int family, const char *addr, bool v6only,
		       uint16_t *port)
{
	struct sockaddr_storage ss;
	socklen_t slen;
	int one = 1;
	int fd;

	memset(&ss, 0, sizeof(ss));
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, addr, &sin->sin_addr), 1);
		slen = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		if (v6only) {
			assert_int_equal(setsockopt(fd, IPPROTO_IPV6,
						    IPV6_V6ONLY, &one,
						    sizeof(one)),
					 0);
		}
		sin6->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, addr, &sin6->sin6_addr),
				 1);
		slen = sizeof(*sin6);
	}
	/* no SO_REUSEADDR: like the stock tool's victims, see below */
	assert_int_equal(bind(fd, (struct sockaddr *)&ss, slen), 0);
	assert_int_equal(listen(fd, 8), 0);
	slen = sizeof(ss);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &slen), 0);
	if (family == AF_INET) {
		*port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	} else {
		*port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	}
	return fd;
}

static int live_connect(uint16_t port)
{
	struct sockaddr_in sin;
	int fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)),
			 0);
	return fd;
}

/* A port nothing uses (briefly listened on, then closed). */
static uint16_t live_free_port(void)
{
	uint16_t port = 0;
	int fd = live_listen(AF_INET, "127.0.0.1", false, &port);

	close(fd);
	return port;
}

/* The tcp state of a local IPv4 socket on @p port, -1 when none. */
static int proc_state_of(uint16_t port)
{
	FILE *f = fopen("/proc/net/tcp", "re");
	char line[512];
	int found = -1;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned lport = 0;
		unsigned st = 0;

		if (sscanf(line, " %*u: %*x:%x %*x:%*x %x", &lport, &st) ==
			    2 &&
		    lport == port) {
			found = (int)st;
		}
	}
	fclose(f);
	return found;
}

enum live_method { LIVE_NETLINK, LIVE_PROC, LIVE_BIND };

static bool live_query_one(enum live_method how, uint16_t port, char **addrs,
			   TALLOC_CTX *ctx)
{
	struct tcpport_opts opts = { .proc_root = NULL };
	struct tcpport_answer *ans = NULL;
	enum tcpport_method want = TCPPORT_NETLINK;
	int ret;

	if (how == LIVE_PROC) {
		opts.no_netlink = true;
		want = TCPPORT_PROC;
	} else if (how == LIVE_BIND) {
		opts.no_netlink = true;
		opts.no_proc = true;
		want = TCPPORT_BIND;
	}
	ret = tcpport_query(ctx, &opts, &port, 1, &ans);
	assert_int_equal(ret, 0);
	assert_int_equal(ans->method, want);
	if (addrs != NULL) {
		*addrs = ans->addrs[0];
	}
	return ans->listening[0];
}

static void test_live_ipv4_listener(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	uint16_t port = 0;
	int fd = live_listen(AF_INET, "127.0.0.1", false, &port);
	char *addrs = NULL;
	char *want = talloc_asprintf(ctx, "127.0.0.1:%u", (unsigned)port);

	assert_true(live_query_one(LIVE_NETLINK, port, &addrs, ctx));
	assert_string_equal(addrs, want);
	assert_true(live_query_one(LIVE_PROC, port, &addrs, ctx));
	assert_string_equal(addrs, want);
	assert_true(live_query_one(LIVE_BIND, port, NULL, ctx));
	close(fd);
	talloc_free(ctx);
}

/* A client the listener has not accepted waits in its accept queue */
static void test_live_accept_queue(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct tcpport_answer *ans = NULL;
	struct sockaddr_in sin;
	uint16_t port = 0;
	int fd = live_listen(AF_INET, "127.0.0.1", false, &port);
	int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(c >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(tcpport_query(ctx, NULL, &port, 1, &ans), 0);
	assert_int_equal(ans->queued[0], 0);
	assert_int_equal(ans->nlisteners[0], 1);
	assert_true(ans->listeners[0][0].queues_known);
	assert_true(ans->listeners[0][0].wqueue > 0);
	/* the handshake completes into the queue, nobody accepts */
	assert_int_equal(connect(c, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(tcpport_query(ctx, NULL, &port, 1, &ans), 0);
	assert_int_equal(ans->queued[0], 1);
	assert_int_equal(ans->listeners[0][0].rqueue, 1);
	close(c);
	close(fd);
	talloc_free(ctx);
}

static void test_live_ipv6_only_listener(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	uint16_t port = 0;
	int fd = live_listen(AF_INET6, "::1", true, &port);
	char *addrs = NULL;
	char *want = talloc_asprintf(ctx, "[::1]:%u", (unsigned)port);

	assert_true(live_query_one(LIVE_NETLINK, port, &addrs, ctx));
	assert_string_equal(addrs, want);
	assert_true(live_query_one(LIVE_PROC, port, &addrs, ctx));
	assert_string_equal(addrs, want);
	/* our bind probe also tries [::] (the stock tool does not) */
	assert_true(live_query_one(LIVE_BIND, port, NULL, ctx));
	{
		bool in_use = true;

		/* the stock method binds 0.0.0.0 only: it misses this */
		assert_int_equal(tcpport_bind_probe(port, true, &in_use), 0);
		assert_false(in_use);
	}
	close(fd);
	talloc_free(ctx);
}

static void test_live_free_port(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	uint16_t port = live_free_port();
	char *addrs = NULL;

	assert_false(live_query_one(LIVE_NETLINK, port, &addrs, ctx));
	assert_null(addrs);
	assert_false(live_query_one(LIVE_PROC, port, &addrs, ctx));
	assert_null(addrs);
	assert_false(live_query_one(LIVE_BIND, port, NULL, ctx));
	talloc_free(ctx);
}

static void test_live_established_only(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	uint16_t port = 0;
	int lfd = live_listen(AF_INET, "127.0.0.1", false, &port);
	int cfd = live_connect(port);
	int sfd = accept(lfd, NULL, NULL);

	assert_true(sfd >= 0);
	close(lfd);
	assert_int_equal(proc_state_of(port), TCP_ESTABLISHED);

	assert_false(live_query_one(LIVE_NETLINK, port, NULL, ctx));
	assert_false(live_query_one(LIVE_PROC, port, NULL, ctx));
	/* the stock tool's blind spot: a connection looks like a server */
	assert_true(live_query_one(LIVE_BIND, port, NULL, ctx));
	{
		bool in_use = false;

		assert_int_equal(tcpport_bind_probe(port, true, &in_use), 0);
		assert_true(in_use);
	}

	close(sfd);
	close(cfd);
	talloc_free(ctx);
}

static void test_live_time_wait_only(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	uint16_t port = 0;
	int lfd = live_listen(AF_INET, "127.0.0.1", false, &port);
	int cfd = live_connect(port);
	int sfd = accept(lfd, NULL, NULL);
	int i;

	assert_true(sfd >= 0);
	close(lfd);
	/* the server side closes first, so it is the one in TIME-WAIT */
	close(sfd);
	usleep(20000);
	close(cfd);
	for (i = 0; i < 100 && proc_state_of(port) != TCP_TIME_WAIT; i++) {
		usleep(10000);
	}
	assert_int_equal(proc_state_of(port), TCP_TIME_WAIT);

	assert_false(live_query_one(LIVE_NETLINK, port, NULL, ctx));
	assert_false(live_query_one(LIVE_PROC, port, NULL, ctx));
	assert_true(live_query_one(LIVE_BIND, port, NULL, ctx));
	talloc_free(ctx);
}

static void test_live_many_ports(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	enum { NL = 5, NF = 3, N = NL + NF };
	uint16_t ports[N];
	bool want[N];
	int fds[NL];
	struct tcpport_answer *ans = NULL;
	struct tcpport_opts opts = { .proc_root = NULL };
	size_t i;
	int round;
	int ret;

	/* interleave listening and free ports */
	for (i = 0; i < NF; i++) {
		ports[2 * i + 1] = live_free_port();
		want[2 * i + 1] = false;
	}
	for (i = 0; i < NL; i++) {
		size_t at = (i < NF) ? 2 * i : NF * 2 + (i - NF);

		fds[i] = live_listen(i % 2 ? AF_INET6 : AF_INET,
				     i % 2 ? "::" : "127.0.0.1", false,
				     &ports[at]);
		want[at] = true;
	}
	for (round = 0; round < 2; round++) {
		opts.no_netlink = (round == 1);
		ret = tcpport_query(ctx, &opts, ports, N, &ans);
		assert_int_equal(ret, 0);
		assert_int_equal(ans->method,
				 round == 0 ? TCPPORT_NETLINK : TCPPORT_PROC);
		for (i = 0; i < N; i++) {
			if (ans->listening[i] != want[i]) {
				fail_msg("round %d port %u: %d, want %d",
					 round, (unsigned)ports[i],
					 (int)ans->listening[i], (int)want[i]);
			}
			assert_true((ans->addrs[i] != NULL) == want[i]);
		}
	}
	for (i = 0; i < NL; i++) {
		close(fds[i]);
	}
	talloc_free(ctx);
}

/*
 * The checkers
 */

static void test_checkers(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	const struct port_checker *const checkers[] = { &checker_ctdb,
							&checker_bind };
	struct tcpport_opts opts = { .proc_root = NULL };
	struct checker_env env = { .deadline = NULL, .tcp = &opts };
	uint16_t ports[3];
	int fds[2];
	size_t c;

	fds[0] = live_listen(AF_INET, "127.0.0.1", false, &ports[0]);
	fds[1] = live_listen(AF_INET6, "::1", true, &ports[1]);
	ports[2] = live_free_port();

	assert_string_equal(checker_ctdb.name, "ctdb");
	assert_string_equal(checker_bind.name, "bind");
	for (c = 0; c < 2; c++) {
		struct check_result res;
		char *want = NULL;
		int ret;

		ret = checkers[c]->check(ctx, &env, ports, 2, &res);
		assert_int_equal(ret, 0);
		if (c == 1) {
			/* the stock method binds 0.0.0.0 only and misses
			 * the listener on ::1 */
			assert_int_equal(res.status, CHECK_FAIL);
			assert_int_equal(res.port, ports[1]);
		} else {
			assert_int_equal(res.status, CHECK_OK);
			assert_int_equal(res.err, 0);
		}

		{
			uint16_t two[2] = { ports[0], ports[2] };

			ret = checkers[c]->check(ctx, &env, two, 2, &res);
		}
		assert_int_equal(ret, 0);
		assert_int_equal(res.status, CHECK_FAIL);
		assert_int_equal(res.port, ports[2]);
		assert_non_null(res.evidence);
		if (c == 0) {
			want = talloc_asprintf(ctx, "ctdb checktcpport %u: "
					       "nothing listens (netlink)",
					       (unsigned)ports[2]);
		} else {
			want = talloc_asprintf(ctx, "\"bind probe\" was able "
					       "to bind to port %u",
					       (unsigned)ports[2]);
		}
		assert_string_equal(res.evidence, want);

		/* the first failing port in list order */
		{
			uint16_t order[3] = { ports[2], ports[0], ports[2] };

			ret = checkers[c]->check(ctx, &env, order, 3, &res);
			assert_int_equal(ret, 0);
			assert_int_equal(res.status, CHECK_FAIL);
			assert_int_equal(res.port, ports[2]);
		}
	}
	/* without an environment: the defaults */
	{
		struct check_result res;

		assert_int_equal(checker_ctdb.check(ctx, NULL, ports, 2, &res),
				 0);
		assert_int_equal(res.status, CHECK_OK);
	}
	close(fds[0]);
	close(fds[1]);
	talloc_free(ctx);
}

/*
 * The netlink receive is bounded by the run's deadline.  The kernel
 * answers sock_diag at once, so a silent kernel is simulated: this
 * recv() replaces the C library's for the whole test binary (tcpport.c
 * calls recv()).  Normally it passes through to the system call; in
 * "silent" mode it behaves as a receive on a socket with nothing to
 * read, i.e. it waits the socket's SO_RCVTIMEO (which is what tcpport.c
 * sets) and fails with EAGAIN, and it records that timeout.
 */
enum fake_recv_mode { FAKE_RECV_REAL, FAKE_RECV_SILENT, FAKE_RECV_PEEK };
static enum fake_recv_mode fake_recv_mode = FAKE_RECV_REAL;
static int64_t fake_recv_timeout_ms = -1;

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	struct timeval tv;
	socklen_t tlen = sizeof(tv);

	if (fake_recv_mode == FAKE_RECV_REAL) {
		return (ssize_t)syscall(SYS_recvfrom, fd, buf, len, flags,
					NULL, NULL);
	}
	if (getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, &tlen) == 0) {
		fake_recv_timeout_ms = (int64_t)tv.tv_sec * 1000 +
				       tv.tv_usec / 1000;
		if (fake_recv_mode == FAKE_RECV_SILENT) {
			/* 0 would be "for ever": never sleep that here */
			poll(NULL, 0, fake_recv_timeout_ms > 0 ?
				      (int)fake_recv_timeout_ms : 5000);
		}
	}
	errno = EAGAIN;
	return -1;
}

static void test_netlink_deadline(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	static const uint16_t ports[] = { 445 };
	struct tcpport_opts opts = { .proc_root = FIXTURE_ROOT };
	struct tcpport_opts plain = { .proc_root = FIXTURE_ROOT };
	struct checker_env env = { .deadline = NULL, .tcp = &plain };
	struct tcpport_answer *ans = NULL;
	struct check_result res;
	struct deadline dl;
	int64_t start, took;

	/* 100 ms left: the receive waits that long, not 2 s.  (Deadlines
	 * here are multiples of 20 ms: the kernel keeps SO_RCVTIMEO in
	 * jiffies, and 250 ms reads back as 252 where HZ is 250.) */
	deadline_init_ms(&dl, 100);
	opts.deadline = &dl;
	fake_recv_mode = FAKE_RECV_SILENT;
	fake_recv_timeout_ms = -1;
	start = util_now_ms();
	assert_int_equal(tcpport_query(ctx, &opts, ports, 1, &ans), 0);
	took = util_now_ms() - start;
	fake_recv_mode = FAKE_RECV_REAL;
	/* netlink timed out; /proc answered */
	assert_int_equal(ans->method, TCPPORT_PROC);
	assert_true(ans->listening[0]);
	assert_true(fake_recv_timeout_ms > 60);
	assert_true(fake_recv_timeout_ms <= 100);
	assert_true(took < 400);

	/* no deadline: the fixed 2 s */
	fake_recv_mode = FAKE_RECV_PEEK;
	assert_int_equal(tcpport_query(ctx, &plain, ports, 1, &ans), 0);
	assert_int_equal(fake_recv_timeout_ms, 2000);

	/* a deadline already past: 1 ms, never 0 (which means for ever) */
	dl.end_ms = util_now_ms() - 10;
	assert_int_equal(tcpport_query(ctx, &opts, ports, 1, &ans), 0);
	/* (the kernel keeps it in jiffies: 1 ms reads back as up to 10) */
	assert_true(fake_recv_timeout_ms > 0);
	assert_true(fake_recv_timeout_ms <= 10);

	/* the "ctdb" checker takes the run's deadline from its env */
	deadline_init_ms(&dl, 240);
	env.deadline = &dl;
	fake_recv_timeout_ms = -1;
	assert_int_equal(checker_ctdb.check(ctx, &env, ports, 1, &res), 0);
	assert_true(fake_recv_timeout_ms > 140);
	assert_true(fake_recv_timeout_ms <= 240);
	assert_int_equal(res.status, CHECK_OK);
	assert_null(plain.deadline);
	fake_recv_mode = FAKE_RECV_REAL;

	/* and the real kernel still answers through the wrapper */
	assert_int_equal(tcpport_query(ctx, &opts, ports, 1, &ans), 0);
	assert_int_equal(ans->method, TCPPORT_NETLINK);
	talloc_free(ctx);
}

/* 10,000 listeners on one port: linear, and -v keeps a few addresses */
static void test_many_listeners(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	static const uint16_t ports[] = { 445, 446 };
	char dir[] = "/tmp/test_tcpport.XXXXXX";
	struct tcpport_opts opts = { .no_netlink = true };
	struct tcpport_answer *ans = NULL;
	char *net = NULL;
	char *tcp = NULL;
	FILE *f = NULL;
	unsigned i;

	assert_non_null(mkdtemp(dir));
	net = talloc_asprintf(ctx, "%s/net", dir);
	tcp = talloc_asprintf(ctx, "%s/tcp", net);
	assert_int_equal(mkdir(net, 0755), 0);
	f = fopen(tcp, "w");
	assert_non_null(f);
	fprintf(f, "  sl  local_address rem_address   st tx_queue rx_queue "
		"tr tm->when retrnsmt   uid  timeout inode\n");
	for (i = 0; i < 10000; i++) {
		/* 127.0.x.y, little-endian hex as the kernel prints it */
		fprintf(f, "%5u: %02X%02X007F:01BD 00000000:0000 0A "
			"00000000:00000000 00:00000000 00000000     0        "
			"0 %u 1 0000000000000000 100 0 0 10 0\n", i,
			i & 0xff, (i >> 8) & 0xff, 1000 + i);
	}
	assert_int_equal(fclose(f), 0);
	opts.proc_root = dir;

	assert_int_equal(tcpport_query(ctx, &opts, ports, 2, &ans), 0);
	assert_true(ans->listening[0]);
	assert_false(ans->listening[1]);
	assert_int_equal(ans->naddrs[0], TCPPORT_MAX_ADDRS + 1);
	assert_true(strncmp(ans->addrs[0], "127.0.0.0:445 127.0.0.1:445 ",
			    28) == 0);
	assert_string_equal(ans->addrs[0] + strlen(ans->addrs[0]) - 4, " ...");

	unlink(tcp);
	rmdir(net);
	rmdir(dir);
	talloc_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_port_table),
		cmocka_unit_test(test_parse_proc_line_table),
		cmocka_unit_test(test_parse_diag),
		cmocka_unit_test(test_parse_diag_unsorted),
		cmocka_unit_test(test_parse_diag_partial_and_intr),
		cmocka_unit_test(test_parse_diag_queues),
		cmocka_unit_test(test_live_accept_queue),
		cmocka_unit_test(test_parse_diag_errors),
		cmocka_unit_test(test_proc_fixture),
		cmocka_unit_test(test_many_listeners),
		cmocka_unit_test(test_proc_fixture_no_tcp6),
		cmocka_unit_test(test_proc_missing_uses_bind),
		cmocka_unit_test(test_live_ipv4_listener),
		cmocka_unit_test(test_live_ipv6_only_listener),
		cmocka_unit_test(test_live_free_port),
		cmocka_unit_test(test_live_established_only),
		cmocka_unit_test(test_live_time_wait_only),
		cmocka_unit_test(test_live_many_ports),
		cmocka_unit_test(test_checkers),
		cmocka_unit_test(test_netlink_deadline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
