/*
 * Is anything listening on a TCP port?  The kernel's table of listening
 * sockets decides: netlink sock_diag (the kernel filters on the LISTEN
 * state, so the cost does not grow with the number of connections),
 * /proc/net/tcp{,6} where netlink is not available, and a bind probe
 * only where neither is.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "checks/tcpport.h"

/* How long one netlink receive may wait (less when the deadline is
 * nearer): the kernel answers at once. */
#define TCPPORT_NL_TIMEOUT_MS 2000

/* The st column of /proc/net/tcp for LISTEN. */
#define TCPPORT_PROC_LISTEN 0x0A

const char *tcpport_method_name(enum tcpport_method method)
{
	switch (method) {
	case TCPPORT_NETLINK:
		return "netlink";
	case TCPPORT_PROC:
		return "/proc/net/tcp";
	case TCPPORT_BIND:
		return "bind probe";
	}
	return "unknown";
}

/*
 * The answer under construction.
 */
static struct tcpport_answer *tcpport_answer_new(TALLOC_CTX *mem_ctx, size_t nports)
{
	struct tcpport_answer *ans = NULL;

	ans = talloc_zero(mem_ctx, struct tcpport_answer);
	if (ans == NULL) {
		return NULL;
	}
	ans->nports = nports;
	ans->listening = talloc_zero_array(ans, bool, nports ? nports : 1);
	ans->addrs = talloc_zero_array(ans, char *, nports ? nports : 1);
	ans->naddrs = talloc_zero_array(ans, unsigned, nports ? nports : 1);
	ans->listeners = talloc_zero_array(ans, struct tcpport_listener *,
					   nports ? nports : 1);
	ans->nlisteners = talloc_zero_array(ans, unsigned, nports ? nports : 1);
	ans->queued = talloc_zero_array(ans, uint64_t, nports ? nports : 1);
	if (ans->listening == NULL || ans->addrs == NULL ||
	    ans->naddrs == NULL || ans->listeners == NULL ||
	    ans->nlisteners == NULL || ans->queued == NULL) {
		TALLOC_FREE(ans);
		return NULL;
	}
	return ans;
}

static void tcpport_answer_reset(struct tcpport_answer *ans)
{
	size_t i;

	for (i = 0; i < ans->nports; i++) {
		ans->listening[i] = false;
		TALLOC_FREE(ans->addrs[i]);
		ans->naddrs[i] = 0;
		TALLOC_FREE(ans->listeners[i]);
		ans->nlisteners[i] = 0;
		ans->queued[i] = 0;
	}
}

static int tcpport_index_cmp(const void *a, const void *b, void *arg)
{
	const uint16_t *ports = arg;
	uint16_t x = ports[*(const size_t *)a];
	uint16_t y = ports[*(const size_t *)b];

	return (x > y) - (x < y);
}

/*
 * The first place in ans->by_port (sorted on first use) whose port is
 * @p port or more: every listening socket is looked up in O(log n),
 * not compared with every port asked.
 * @return the place, or SIZE_MAX on ENOMEM
 */
static size_t tcpport_answer_find(struct tcpport_answer *ans,
				  const uint16_t *ports, uint16_t port)
{
	size_t lo = 0;
	size_t hi = ans->nports;
	size_t i;

	if (ans->by_port == NULL) {
		ans->by_port = talloc_array(ans, size_t, hi > 0 ? hi : 1);
		if (ans->by_port == NULL) {
			return SIZE_MAX;
		}
		for (i = 0; i < hi; i++) {
			ans->by_port[i] = i;
		}
		qsort_r(ans->by_port, hi, sizeof(size_t), tcpport_index_cmp,
			(void *)(uintptr_t)ports);
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ports[ans->by_port[mid]] < port) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo;
}

/*
 * Keep listener @p l of port index @p i: a known address adds its
 * queues to the one kept, a new one is kept while there is room.
 */
static int tcpport_listener_add(struct tcpport_answer *ans, size_t i,
				const struct tcpport_listener *l)
{
	struct tcpport_listener *grown = NULL;
	size_t alen = l->family == AF_INET ? 4 : 16;
	unsigned j;

	if (ans->listeners == NULL || ans->nlisteners == NULL ||
	    ans->queued == NULL) {
		return 0;	/* a caller's answer without the table */
	}
	ans->queued[i] += l->rqueue;
	for (j = 0; j < ans->nlisteners[i]; j++) {
		struct tcpport_listener *k = &ans->listeners[i][j];

		if (k->family == l->family &&
		    memcmp(k->addr, l->addr, alen) == 0) {
			k->rqueue += l->rqueue;
			k->wqueue += l->wqueue;
			return 0;
		}
	}
	if (ans->nlisteners[i] >= TCPPORT_MAX_ADDRS) {
		return 0;
	}
	grown = talloc_realloc(ans, ans->listeners[i], struct tcpport_listener,
			       ans->nlisteners[i] + 1);
	if (grown == NULL) {
		return ENOMEM;
	}
	ans->listeners[i] = grown;
	grown[ans->nlisteners[i]++] = *l;
	return 0;
}

/*
 * One listener found at printable address @p addr, port @p port (with
 * its raw address and queues in @p l): mark the requested ports it
 * matches.
 */
static int tcpport_answer_add(struct tcpport_answer *ans, const uint16_t *ports,
		      uint16_t port, const char *addr,
		      const struct tcpport_listener *l)
{
	size_t k = tcpport_answer_find(ans, ports, port);
	int ret;

	if (k == SIZE_MAX) {
		return ENOMEM;
	}
	for (; k < ans->nports && ports[ans->by_port[k]] == port; k++) {
		size_t i = ans->by_port[k];
		char *word = NULL;
		char *grown = NULL;

		ans->listening[i] = true;
		ret = tcpport_listener_add(ans, i, l);
		if (ret != 0) {
			return ret;
		}
		if (ans->naddrs[i] > TCPPORT_MAX_ADDRS) {
			continue;	/* enough to show, and "..." said */
		}
		if (ans->naddrs[i] == TCPPORT_MAX_ADDRS) {
			/* thousands of listeners on one port must not cost
			 * a quadratic list that nobody reads */
			grown = talloc_asprintf_append(ans->addrs[i], " ...");
			if (grown == NULL) {
				return ENOMEM;
			}
			ans->addrs[i] = grown;
			ans->naddrs[i]++;
			continue;
		}
		if (strchr(addr, ':') != NULL) {
			word = talloc_asprintf(ans, "[%s]:%u", addr,
					       (unsigned)port);
		} else {
			word = talloc_asprintf(ans, "%s:%u", addr,
					       (unsigned)port);
		}
		if (word == NULL) {
			return ENOMEM;
		}
		if (ans->addrs[i] == NULL) {
			ans->addrs[i] = word;
			ans->naddrs[i] = 1;
			continue;
		}
		if (util_word_in_list(ans->addrs[i], word)) {
			talloc_free(word);
			continue;
		}
		grown = talloc_asprintf_append(ans->addrs[i], " %s", word);
		talloc_free(word);
		if (grown == NULL) {
			return ENOMEM;
		}
		ans->addrs[i] = grown;
		ans->naddrs[i]++;
	}
	return 0;
}

/*
 * Netlink sock_diag
 */

int tcpport_parse_diag(struct tcpport_answer *ans, const uint16_t *ports,
		       const void *buf, size_t len, uint32_t seq, uint32_t pid,
		       bool *done, bool *intr)
{
	const unsigned char *base = buf;
	size_t off = 0;

	*done = false;
	while (off < len) {
		struct nlmsghdr h;
		const unsigned char *payload = NULL;
		size_t plen;

		if (len - off < sizeof(h)) {
			return EBADMSG;
		}
		memcpy(&h, base + off, sizeof(h));
		if (h.nlmsg_len < NLMSG_HDRLEN || h.nlmsg_len > len - off) {
			return EBADMSG;
		}
		payload = base + off + NLMSG_HDRLEN;
		plen = h.nlmsg_len - NLMSG_HDRLEN;
		off += NLMSG_ALIGN(h.nlmsg_len);

		if (h.nlmsg_seq != seq || (pid != 0 && h.nlmsg_pid != pid)) {
			/* not an answer to our request */
			continue;
		}
		if (h.nlmsg_flags & NLM_F_DUMP_INTR) {
			*intr = true;
		}
		if (h.nlmsg_type == NLMSG_DONE) {
			int err = 0;

			*done = true;
			if (plen >= sizeof(err)) {
				memcpy(&err, payload, sizeof(err));
			}
			return err < 0 ? -err : 0;
		}
		if (h.nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr e;

			if (plen < sizeof(e)) {
				return EBADMSG;
			}
			memcpy(&e, payload, sizeof(e));
			if (e.error == 0) {
				/* an acknowledgement ends the answer */
				*done = true;
				return 0;
			}
			return e.error < 0 ? -e.error : e.error;
		}
		if (h.nlmsg_type == SOCK_DIAG_BY_FAMILY) {
			struct inet_diag_msg m;
			struct tcpport_listener l = { .queues_known = true };
			char addr[INET6_ADDRSTRLEN];
			int ret;

			if (plen < sizeof(m)) {
				return EBADMSG;
			}
			memcpy(&m, payload, sizeof(m));
			if (m.idiag_state != TCP_LISTEN) {
				continue;
			}
			if (m.idiag_family != AF_INET &&
			    m.idiag_family != AF_INET6) {
				continue;
			}
			if (inet_ntop(m.idiag_family, m.id.idiag_src, addr,
				      sizeof(addr)) == NULL) {
				return EBADMSG;
			}
			/*
			 * Of a LISTEN socket the kernel reports the accept
			 * queue's length as idiag_rqueue and its backlog as
			 * idiag_wqueue (inet_diag_msg_common_fill() and
			 * tcp_diag_get_info()).
			 */
			l.family = m.idiag_family;
			memcpy(l.addr, m.id.idiag_src,
			       m.idiag_family == AF_INET ? 4 : 16);
			l.rqueue = m.idiag_rqueue;
			l.wqueue = m.idiag_wqueue;
			ret = tcpport_answer_add(ans, ports, ntohs(m.id.idiag_sport),
					 addr, &l);
			if (ret != 0) {
				return ret;
			}
		}
		/* other message types: ignored */
	}
	return 0;
}

static int tcpport_nl_send_request(int fd, int family, uint32_t seq)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} msg;
	struct sockaddr_nl kernel;
	ssize_t n;

	memset(&msg, 0, sizeof(msg));
	msg.nlh.nlmsg_len = sizeof(msg);
	msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	msg.nlh.nlmsg_seq = seq;
	msg.req.sdiag_family = (uint8_t)family;
	msg.req.sdiag_protocol = IPPROTO_TCP;
	msg.req.idiag_states = 1U << TCP_LISTEN;

	memset(&kernel, 0, sizeof(kernel));
	kernel.nl_family = AF_NETLINK;

	do {
		n = sendto(fd, &msg, sizeof(msg), 0,
			   (struct sockaddr *)&kernel, sizeof(kernel));
	} while (n == -1 && errno == EINTR);
	if (n == -1) {
		return errno;
	}
	if ((size_t)n != sizeof(msg)) {
		return EIO;
	}
	return 0;
}

/*
 * Bound the next receive: min(TCPPORT_NL_TIMEOUT_MS, what is left of
 * @p dl), at least 1 ms (a zero SO_RCVTIMEO would mean "for ever"; the
 * kernel has usually queued the answer already).
 */
static int tcpport_nl_set_timeout(int fd, const struct deadline *dl)
{
	int64_t ms = TCPPORT_NL_TIMEOUT_MS;
	struct timeval tv;

	if (dl != NULL && deadline_left_ms(dl) < ms) {
		ms = deadline_left_ms(dl);
	}
	if (ms < 1) {
		ms = 1;
	}
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)((ms % 1000) * 1000);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0) {
		return errno;
	}
	return 0;
}

/* Receive one datagram into *buf, growing it to the datagram's size. */
static int tcpport_nl_recv(int fd, const struct deadline *dl, TALLOC_CTX *mem_ctx,
		   unsigned char **buf, size_t *bufsize, size_t *len)
{
	ssize_t n;
	int ret;

	ret = tcpport_nl_set_timeout(fd, dl);
	if (ret != 0) {
		return ret;
	}
	/* Peek first to learn the size, so nothing is ever truncated. */
	do {
		n = recv(fd, *buf, *bufsize, MSG_PEEK | MSG_TRUNC);
	} while (n == -1 && errno == EINTR);
	if (n == -1) {
		return (errno == EAGAIN || errno == EWOULDBLOCK) ? ETIMEDOUT
								 : errno;
	}
	if ((size_t)n > *bufsize) {
		unsigned char *grown = NULL;

		grown = talloc_realloc(mem_ctx, *buf, unsigned char, n);
		if (grown == NULL) {
			return ENOMEM;
		}
		*buf = grown;
		*bufsize = (size_t)n;
	}
	do {
		n = recv(fd, *buf, *bufsize, 0);
	} while (n == -1 && errno == EINTR);
	if (n == -1) {
		return (errno == EAGAIN || errno == EWOULDBLOCK) ? ETIMEDOUT
								 : errno;
	}
	*len = (size_t)n;
	return 0;
}

/* One dump of one address family. */
static int tcpport_nl_dump_family(int fd, const struct deadline *dl,
			  TALLOC_CTX *mem_ctx, int family, uint32_t seq,
			  struct tcpport_answer *ans, const uint16_t *ports,
			  bool *intr)
{
	unsigned char *buf = NULL;
	size_t bufsize = 32768;
	struct sockaddr_nl self;
	socklen_t slen = sizeof(self);
	bool done = false;
	int ret;

	ret = tcpport_nl_send_request(fd, family, seq);
	if (ret != 0) {
		return ret;
	}
	memset(&self, 0, sizeof(self));
	if (getsockname(fd, (struct sockaddr *)&self, &slen) != 0) {
		return errno;
	}
	buf = talloc_array(mem_ctx, unsigned char, bufsize);
	if (buf == NULL) {
		return ENOMEM;
	}
	while (!done) {
		size_t len = 0;

		ret = tcpport_nl_recv(fd, dl, mem_ctx, &buf, &bufsize, &len);
		if (ret != 0) {
			break;
		}
		ret = tcpport_parse_diag(ans, ports, buf, len, seq,
					 self.nl_pid, &done, intr);
		if (ret != 0) {
			break;
		}
	}
	talloc_free(buf);
	return ret;
}

static int tcpport_nl_query(TALLOC_CTX *mem_ctx, const struct deadline *dl,
		    struct tcpport_answer *ans, const uint16_t *ports)
{
	static const int families[] = { AF_INET, AF_INET6 };
	static uint32_t seq;
	int attempt;
	int fd;
	int ret = 0;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd == -1) {
		return errno;
	}
	if (seq == 0) {
		seq = (uint32_t)getpid() ^ (uint32_t)util_now_ms();
	}
	/*
	 * A dump interrupted by changes to the table (NLM_F_DUMP_INTR) may
	 * have missed a socket: try once more; a second interrupted dump
	 * is taken as it is (listeners change rarely).
	 */
	for (attempt = 0; attempt < 2; attempt++) {
		bool intr = false;
		size_t i;

		tcpport_answer_reset(ans);
		for (i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
			ret = tcpport_nl_dump_family(fd, dl, mem_ctx, families[i],
					     ++seq, ans, ports, &intr);
			if (ret != 0) {
				goto done;
			}
		}
		if (!intr) {
			break;
		}
		ans->dumps_interrupted++;
	}
done:
	close(fd);
	return ret;
}

/*
 * /proc/net/tcp and /proc/net/tcp6
 */

/* Exactly @p n hex digits at *p into *v; advances *p. */
static bool tcpport_parse_hex(const char **p, size_t n, uint32_t *v)
{
	uint32_t val = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		char c = (*p)[i];
		uint32_t d;

		if (c >= '0' && c <= '9') {
			d = (uint32_t)(c - '0');
		} else if (c >= 'A' && c <= 'F') {
			d = (uint32_t)(c - 'A' + 10);
		} else if (c >= 'a' && c <= 'f') {
			d = (uint32_t)(c - 'a' + 10);
		} else {
			return false;
		}
		val = (val << 4) | d;
	}
	*p += n;
	*v = val;
	return true;
}

/* Length of the run of hex digits at @p p. */
static size_t tcpport_hex_run(const char *p)
{
	return strspn(p, "0123456789abcdefABCDEF");
}

int tcpport_parse_proc_line(const char *line, uint16_t *port, bool *listen,
			    char *addr, size_t addrlen)
{
	const char *p = line;
	uint32_t words[4];
	uint32_t v = 0;
	size_t nwords;
	size_t hexlen;
	size_t i;
	int family;

	/* "   0: " - the slot number */
	p += strspn(p, " \t");
	if (strspn(p, "0123456789") == 0) {
		return EINVAL;
	}
	p += strspn(p, "0123456789");
	if (*p != ':') {
		return EINVAL;
	}
	p++;
	p += strspn(p, " \t");

	/* local address: 8 hex digits (IPv4) or 32 (IPv6), ':', port */
	hexlen = tcpport_hex_run(p);
	if (hexlen == 8) {
		family = AF_INET;
		nwords = 1;
	} else if (hexlen == 32) {
		family = AF_INET6;
		nwords = 4;
	} else {
		return EINVAL;
	}
	/*
	 * The kernel prints each 32-bit word of the address as it lies in
	 * memory, read as a host order integer: storing the parsed value
	 * back as a host integer restores the network order bytes.
	 */
	for (i = 0; i < nwords; i++) {
		if (!tcpport_parse_hex(&p, 8, &words[i])) {
			return EINVAL;
		}
	}
	if (*p != ':' || tcpport_hex_run(p + 1) != 4) {
		return EINVAL;
	}
	p++;
	if (!tcpport_parse_hex(&p, 4, &v)) {
		return EINVAL;
	}
	*port = (uint16_t)v;

	/* remote address and port, same shape */
	if (*p != ' ' && *p != '\t') {
		return EINVAL;
	}
	p += strspn(p, " \t");
	if (tcpport_hex_run(p) != hexlen) {
		return EINVAL;
	}
	p += hexlen;
	if (*p != ':' || tcpport_hex_run(p + 1) != 4) {
		return EINVAL;
	}
	p += 5;

	/* st */
	if (*p != ' ' && *p != '\t') {
		return EINVAL;
	}
	p += strspn(p, " \t");
	if (tcpport_hex_run(p) != 2 || !tcpport_parse_hex(&p, 2, &v)) {
		return EINVAL;
	}
	if (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\n') {
		return EINVAL;
	}
	*listen = (v == TCPPORT_PROC_LISTEN);

	if (family == AF_INET) {
		struct in_addr a;

		memcpy(&a.s_addr, &words[0], sizeof(a.s_addr));
		if (inet_ntop(AF_INET, &a, addr, (socklen_t)addrlen) == NULL) {
			return EINVAL;
		}
	} else {
		struct in6_addr a;

		memcpy(&a, words, sizeof(a));
		if (inet_ntop(AF_INET6, &a, addr, (socklen_t)addrlen) ==
		    NULL) {
			return EINVAL;
		}
	}
	return 0;
}

/*
 * Read one /proc table.  @p optional: a missing file is fine.
 */
static int tcpport_proc_read(TALLOC_CTX *mem_ctx, const char *root, const char *name,
		     bool optional, struct tcpport_answer *ans,
		     const uint16_t *ports)
{
	char *path = NULL;
	FILE *f = NULL;
	char line[512];
	bool skipping = false;
	int ret = 0;

	path = talloc_asprintf(mem_ctx, "%s/net/%s", root, name);
	if (path == NULL) {
		return ENOMEM;
	}
	f = fopen(path, "re");
	if (f == NULL) {
		ret = errno;
		if (optional && ret == ENOENT) {
			ret = 0;
		}
		goto done;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		bool whole = (strchr(line, '\n') != NULL);
		struct tcpport_listener l = { .family = AF_INET };
		char addr[INET6_ADDRSTRLEN];
		uint16_t port = 0;
		bool listen = false;

		if (skipping) {
			/* the rest of a line too long for the buffer */
			skipping = !whole;
			continue;
		}
		skipping = !whole;
		if (tcpport_parse_proc_line(line, &port, &listen, addr,
					    sizeof(addr)) != 0) {
			/* the header, or a line we do not understand */
			continue;
		}
		if (!listen) {
			continue;
		}
		if (strchr(addr, ':') != NULL) {
			l.family = AF_INET6;
		}
		if (inet_pton(l.family, addr, l.addr) != 1) {
			continue;
		}
		ret = tcpport_answer_add(ans, ports, port, addr, &l);
		if (ret != 0) {
			goto done;
		}
	}
	if (ferror(f)) {
		ret = errno != 0 ? errno : EIO;
	}
done:
	if (f != NULL) {
		fclose(f);
	}
	talloc_free(path);
	return ret;
}

static int tcpport_proc_query(TALLOC_CTX *mem_ctx, const char *root,
		      struct tcpport_answer *ans, const uint16_t *ports)
{
	int ret;

	tcpport_answer_reset(ans);
	ret = tcpport_proc_read(mem_ctx, root, "tcp", false, ans, ports);
	if (ret != 0) {
		return ret;
	}
	return tcpport_proc_read(mem_ctx, root, "tcp6", true, ans, ports);
}

/*
 * The bind probe
 */

static int tcpport_bind_one(int family, uint16_t port, bool reuse, bool *in_use)
{
	int one = 1;
	int fd;
	int ret = 0;

	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd == -1) {
		ret = errno;
		if (family == AF_INET6 &&
		    (ret == EAFNOSUPPORT || ret == EPROTONOSUPPORT)) {
			/* no IPv6 here: nothing can listen on it */
			ret = 0;
		}
		return ret;
	}
	if (reuse &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0) {
		ret = errno;
		goto done;
	}
	if (family == AF_INET) {
		struct sockaddr_in sin;

		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_ANY);
		sin.sin_port = htons(port);
		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
			ret = errno;
		}
	} else {
		struct sockaddr_in6 sin6;

		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
			       sizeof(one)) != 0) {
			ret = errno;
			goto done;
		}
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		sin6.sin6_addr = in6addr_any;
		sin6.sin6_port = htons(port);
		if (bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) != 0) {
			ret = errno;
		}
	}
	if (ret == EADDRINUSE) {
		*in_use = true;
		ret = 0;
	} else if (ret == EADDRNOTAVAIL && family == AF_INET6) {
		/* IPv6 disabled on every interface */
		ret = 0;
	}
done:
	close(fd);
	return ret;
}

int tcpport_bind_probe(uint16_t port, bool stock, bool *in_use)
{
	int ret;

	*in_use = false;
	ret = tcpport_bind_one(AF_INET, port, !stock, in_use);
	if (ret != 0 || *in_use || stock) {
		return ret;
	}
	return tcpport_bind_one(AF_INET6, port, true, in_use);
}

/* The least wrong bind probe of every port; the first failure is kept
 * in ans->bind_err and ans->bind_port. */
static int tcpport_bind_query(struct tcpport_answer *ans,
			      const uint16_t *ports)
{
	size_t i;
	int ret;

	for (i = 0; i < ans->nports; i++) {
		ret = tcpport_bind_probe(ports[i], false, &ans->listening[i]);
		if (ret != 0) {
			ans->bind_err = ret;
			ans->bind_port = ports[i];
			return ret;
		}
	}
	return 0;
}

/*
 * The query
 */

/* Ask with method @p m.  Why it failed is kept in the answer. */
static int tcpport_ask(TALLOC_CTX *mem_ctx, const struct tcpport_opts *opts,
		       enum tcpport_method m, struct tcpport_answer *ans,
		       const uint16_t *ports)
{
	int ret = EINVAL;

	tcpport_answer_reset(ans);
	ans->method = m;
	switch (m) {
	case TCPPORT_NETLINK:
		/*
		 * Expected to fail where sock_diag is missing or
		 * forbidden: EAFNOSUPPORT, EPROTONOSUPPORT, EACCES, EPERM
		 * from socket(), ENOENT or EOPNOTSUPP from the kernel.
		 * Any other failure also falls back: /proc answers the
		 * same question, only more slowly.
		 */
		ret = tcpport_nl_query(mem_ctx, opts->deadline, ans, ports);
		ans->netlink_err = ret;
		break;
	case TCPPORT_PROC:
		ret = tcpport_proc_query(mem_ctx, ans->proc_root, ans, ports);
		ans->proc_err = ret;
		break;
	case TCPPORT_BIND:
		ret = tcpport_bind_query(ans, ports);
		break;
	}
	return ret;
}

int tcpport_query(TALLOC_CTX *mem_ctx, const struct tcpport_opts *opts,
		  const uint16_t *ports, size_t nports,
		  struct tcpport_answer **ans)
{
	static const struct tcpport_opts defaults = { .proc_root = NULL };
	TALLOC_CTX *tmp_ctx = NULL;
	struct tcpport_answer *a = NULL;
	const char *root = NULL;
	int ret = ENOMEM;

	*ans = NULL;
	if (opts == NULL) {
		opts = &defaults;
	}
	root = (opts->proc_root != NULL) ? opts->proc_root : "/proc";

	tmp_ctx = talloc_new(mem_ctx);
	if (tmp_ctx != NULL) {
		a = tcpport_answer_new(tmp_ctx, nports);
	}
	if (a != NULL) {
		a->proc_root = talloc_strdup(a, root);
	}
	if (a == NULL || a->proc_root == NULL) {
		goto done;
	}

	/* netlink, then /proc, then the bind probe as the last resort */
	ret = opts->no_netlink ? EAGAIN
			       : tcpport_ask(tmp_ctx, opts, TCPPORT_NETLINK,
					     a, ports);
	if (ret != 0 && ret != ENOMEM && !opts->no_proc) {
		ret = tcpport_ask(tmp_ctx, opts, TCPPORT_PROC, a, ports);
	}
	if (ret != 0 && ret != ENOMEM) {
		ret = tcpport_ask(tmp_ctx, opts, TCPPORT_BIND, a, ports);
	}
	if (ret == ENOMEM) {
		goto done;
	}
	if (ret != 0) {
		/* no method decided: the answer says why */
		tcpport_answer_reset(a);
	}
	*ans = talloc_steal(mem_ctx, a);
done:
	talloc_free(tmp_ctx);
	return ret;
}
