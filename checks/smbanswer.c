/*
 * The SMB answer check (spec 3.6): one negotiate per checked port, one
 * reply, any status.  References:
 *   RFC 1001 14.1   NetBIOS name first-level encoding
 *   RFC 1002 4.3    NetBIOS session service packets (4.3.1 the header,
 *                   4.3.2 session request, 4.3.3 positive response,
 *                   4.3.4 negative response, 4.3.5 retarget, 4.3.7
 *                   keepalive)
 *   MS-SMB2 2.1     direct TCP transport: a zero byte and a 24-bit length
 *   MS-SMB2 2.2.1.2 the SMB2 header of a response (SYNC)
 *   MS-SMB2 2.2.2   SMB2 ERROR response; 2.2.4 NEGOTIATE response
 *   MS-SMB2 3.3.5.3 a server receiving an SMB1 negotiate that offers
 *                   "SMB 2.???" or "SMB 2.002" answers SMB2
 *   MS-CIFS 2.2.3.1 the SMB1 header; 2.2.4.52 SMB_COM_NEGOTIATE
 *   MS-SMB 2.2.4.5  the NT LM 0.12 negotiate response, extended
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checks/smbanswer.h"
#include "checks/state.h"
#include "checks/tcpport.h"

/* RFC 1002 4.3.1: session packet types */
#define NBSS_MESSAGE 0x00
#define NBSS_REQUEST 0x81
#define NBSS_POSITIVE 0x82
#define NBSS_KEEPALIVE 0x85
#define NBSS_HDR 4

/* MS-SMB2 2.2.1.2 */
#define SMB2_HDR 64
#define SMB2_NEGOTIATE 0x0000
#define SMB2_FLAGS_SERVER_TO_REDIR 0x00000001
#define SMB2_NEGOTIATE_RESPONSE_SIZE 65	/* 2.2.4 */
#define SMB2_ERROR_RESPONSE_SIZE 9	/* 2.2.2 */

/* MS-CIFS 2.2.3.1 */
#define SMB1_HDR 32
#define SMB1_COM_NEGOTIATE 0x72
#define SMB1_FLAGS_REPLY 0x80

/* The dialects offered, in order (MS-CIFS 2.2.4.52.1 Dialects) */
static const char *const smbanswer_dialects[] = {
	"NT LM 0.12", "SMB 2.002", "SMB 2.???",
};
#define SMBANSWER_NDIALECTS \
	(sizeof(smbanswer_dialects) / sizeof(smbanswer_dialects[0]))

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) |
	       ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/*
 * The NetBIOS header at @p buf: a session message's 24-bit length (MS-SMB2
 * 2.1; RFC 1002's 17 bits, the flags' E bit being the 17th, read the
 * same).  Keepalives before it are skipped.
 * @return 0 with *type, *off (start of the header) and *flen, EAGAIN,
 *         EBADMSG
 */
static int smbanswer_frame(const uint8_t *buf, size_t len, uint8_t *type,
			   size_t *off, size_t *flen)
{
	size_t o = 0;

	for (;;) {
		size_t l;

		if (len - o < NBSS_HDR) {
			return EAGAIN;
		}
		l = ((size_t)buf[o + 1] << 16) | ((size_t)buf[o + 2] << 8) |
		    buf[o + 3];
		if (buf[o] == NBSS_KEEPALIVE && l == 0) {
			o += NBSS_HDR;
			continue;
		}
		*type = buf[o];
		*off = o;
		*flen = l;
		return 0;
	}
}

/* An SMB2 NEGOTIATE response (or error response) of @p len bytes */
static int smbanswer_parse_smb2(const uint8_t *p, size_t len,
				struct smbanswer_reply *r)
{
	uint16_t body;

	if (len < SMB2_HDR + 2 || get_le16(p + 4) != SMB2_HDR ||
	    get_le16(p + 12) != SMB2_NEGOTIATE ||
	    (get_le32(p + 16) & SMB2_FLAGS_SERVER_TO_REDIR) == 0) {
		return EBADMSG;
	}
	*r = (struct smbanswer_reply) { .kind = SMBANSWER_SMB2 };
	r->status = get_le32(p + 8);
	body = get_le16(p + SMB2_HDR);
	if (r->status == 0) {
		/* StructureSize 65, SecurityMode, DialectRevision */
		if (body != SMB2_NEGOTIATE_RESPONSE_SIZE ||
		    len < SMB2_HDR + 6) {
			return EBADMSG;
		}
		r->has_dialect = true;
		r->dialect = get_le16(p + SMB2_HDR + 4);
		return 0;
	}
	if (body != SMB2_ERROR_RESPONSE_SIZE &&
	    body != SMB2_NEGOTIATE_RESPONSE_SIZE) {
		return EBADMSG;
	}
	return 0;
}

/* An SMB1 SMB_COM_NEGOTIATE response of @p len bytes */
static int smbanswer_parse_smb1(const uint8_t *p, size_t len,
				struct smbanswer_reply *r)
{
	size_t words, bytes;

	if (len < SMB1_HDR + 3 || p[4] != SMB1_COM_NEGOTIATE ||
	    (p[9] & SMB1_FLAGS_REPLY) == 0) {
		return EBADMSG;
	}
	words = p[SMB1_HDR];
	if (len < SMB1_HDR + 1 + 2 * words + 2) {
		return EBADMSG;
	}
	bytes = get_le16(p + SMB1_HDR + 1 + 2 * words);
	if (len < SMB1_HDR + 1 + 2 * words + 2 + bytes) {
		return EBADMSG;
	}
	*r = (struct smbanswer_reply) { .kind = SMBANSWER_SMB1 };
	r->status = get_le32(p + 5);
	if (words >= 1) {
		/* DialectIndex; 0xFFFF: none of them */
		r->dialect = get_le16(p + SMB1_HDR + 1);
		r->has_dialect = r->dialect != 0xFFFF;
	}
	return 0;
}

int smbanswer_parse_reply(const uint8_t *buf, size_t len,
			  struct smbanswer_reply *r, size_t *used)
{
	uint8_t type = 0;
	size_t off = 0, flen = 0;
	const uint8_t *p = NULL;
	int ret;

	ret = smbanswer_frame(buf, len, &type, &off, &flen);
	if (ret != 0) {
		return ret;
	}
	if (type != NBSS_MESSAGE || flen > SMBANSWER_MAX_FRAME) {
		return EBADMSG;
	}
	/* the protocol id decides early: garbage need not be waited for */
	p = buf + off + NBSS_HDR;
	if (len - off - NBSS_HDR >= 4 && flen >= 4 &&
	    !((p[0] == 0xfe || p[0] == 0xff) && memcmp(p + 1, "SMB", 3) == 0)) {
		return EBADMSG;
	}
	if (flen < 4) {
		return EBADMSG;
	}
	if (len - off - NBSS_HDR < flen) {
		return EAGAIN;
	}
	ret = p[0] == 0xfe ? smbanswer_parse_smb2(p, flen, r) :
			     smbanswer_parse_smb1(p, flen, r);
	if (ret == 0 && used != NULL) {
		*used = off + NBSS_HDR + flen;
	}
	return ret;
}

int smbanswer_parse_session(const uint8_t *buf, size_t len, size_t *used)
{
	uint8_t type = 0;
	size_t off = 0, flen = 0;
	int ret;

	ret = smbanswer_frame(buf, len, &type, &off, &flen);
	if (ret != 0) {
		return ret;
	}
	/* RFC 1002 4.3.3: POSITIVE SESSION RESPONSE has no trailer */
	if (type != NBSS_POSITIVE || flen != 0) {
		return EBADMSG;
	}
	*used = off + NBSS_HDR;
	return 0;
}

size_t smbanswer_negotiate_request(uint8_t *buf, size_t size)
{
	size_t n = NBSS_HDR + SMB1_HDR + 1 + 2;
	size_t bytes = 0;
	size_t i;
	uint8_t *p = NULL;

	for (i = 0; i < SMBANSWER_NDIALECTS; i++) {
		/* BufferFormat 0x02, then the NUL-terminated name */
		bytes += 1 + strlen(smbanswer_dialects[i]) + 1;
	}
	n += bytes;
	if (size < n) {
		return 0;
	}
	memset(buf, 0, n);
	/* MS-SMB2 2.1 / RFC 1002 4.3.1: type 0, 24-bit length */
	buf[1] = (uint8_t)((n - NBSS_HDR) >> 16);
	buf[2] = (uint8_t)((n - NBSS_HDR) >> 8);
	buf[3] = (uint8_t)(n - NBSS_HDR);
	p = buf + NBSS_HDR;
	/* MS-CIFS 2.2.3.1: Protocol, Command, Status 0 */
	memcpy(p, "\xffSMB", 4);
	p[4] = SMB1_COM_NEGOTIATE;
	/* Flags: CASE_INSENSITIVE | CANONICALIZED_PATHS */
	p[9] = 0x18;
	/* Flags2: UNICODE | NT_STATUS | EXTENDED_SECURITY | LONG_NAMES */
	p[10] = 0x01;
	p[11] = 0xc8;
	/* TID 0xFFFF (none), PIDLow, UID 0, MID 0 */
	p[24] = 0xff;
	p[25] = 0xff;
	p[26] = 0x01;
	p[27] = 0x00;
	/* WordCount 0 (MS-CIFS 2.2.4.52.1), ByteCount, Dialects */
	p[SMB1_HDR] = 0;
	p[SMB1_HDR + 1] = (uint8_t)bytes;
	p[SMB1_HDR + 2] = (uint8_t)(bytes >> 8);
	p += SMB1_HDR + 3;
	for (i = 0; i < SMBANSWER_NDIALECTS; i++) {
		size_t l = strlen(smbanswer_dialects[i]) + 1;

		*p++ = 0x02;
		memcpy(p, smbanswer_dialects[i], l);
		p += l;
	}
	return n;
}

/* RFC 1001 14.1: a 16-byte name as 32 bytes, each half-byte + 'A' */
static uint8_t *smbanswer_encode_name(uint8_t *p, const char *name,
				      uint8_t suffix)
{
	uint8_t raw[16];
	size_t l = strlen(name);
	size_t i;

	memset(raw, ' ', 15);
	memcpy(raw, name, l < 15 ? l : 15);
	raw[15] = suffix;
	*p++ = 32;		/* the label's length */
	for (i = 0; i < 16; i++) {
		*p++ = (uint8_t)('A' + (raw[i] >> 4));
		*p++ = (uint8_t)('A' + (raw[i] & 0x0f));
	}
	*p++ = 0;		/* the empty scope ends the name */
	return p;
}

size_t smbanswer_session_request(uint8_t *buf, size_t size)
{
	const size_t n = NBSS_HDR + 2 * 34;
	uint8_t *p = buf + NBSS_HDR;

	if (size < n) {
		return 0;
	}
	/* RFC 1002 4.3.2: type 0x81, flags 0, length 68 */
	buf[0] = NBSS_REQUEST;
	buf[1] = 0;
	buf[2] = 0;
	buf[3] = (uint8_t)(n - NBSS_HDR);
	/* the called name (server service 0x20), the calling name
	 * (workstation 0x00) */
	p = smbanswer_encode_name(p, "*SMBSERVER", 0x20);
	(void)smbanswer_encode_name(p, "CTDBCHECK", 0x00);
	return n;
}

const char *smbanswer_smb1_dialect(uint16_t index)
{
	return index < SMBANSWER_NDIALECTS ? smbanswer_dialects[index] : NULL;
}

/* ------------------------------------------------------------------ */
/* Where */

static bool smbanswer_is_loopback(const struct tcpport_listener *l)
{
	if (l->family == AF_INET) {
		return l->addr[0] == 127;
	}
	return memcmp(l->addr, &in6addr_loopback, 16) == 0;
}

static bool smbanswer_is_any(const struct tcpport_listener *l)
{
	static const unsigned char zero[16];

	return memcmp(l->addr, zero, l->family == AF_INET ? 4 : 16) == 0;
}

void smbanswer_pick_target(const struct tcpport_answer *ans, size_t i,
			   uint16_t port, struct smbanswer_target *t)
{
	const struct tcpport_listener *best = NULL;
	int best_rank = 99;
	unsigned j;

	memset(t, 0, sizeof(*t));
	t->port = port;
	t->netbios = (port == SMBANSWER_NETBIOS_PORT);
	t->family = AF_INET;
	t->addr[0] = 127;
	t->addr[3] = 1;
	if (ans == NULL || i >= ans->nports || ans->listeners == NULL) {
		return;
	}
	/* loopback (IPv4, IPv6), wildcard (IPv4, IPv6), any other */
	for (j = 0; j < ans->nlisteners[i]; j++) {
		const struct tcpport_listener *l = &ans->listeners[i][j];
		int rank;

		if (smbanswer_is_loopback(l)) {
			rank = l->family == AF_INET ? 0 : 1;
		} else if (smbanswer_is_any(l)) {
			rank = l->family == AF_INET ? 2 : 3;
		} else {
			rank = 4;
		}
		if (rank < best_rank) {
			best = l;
			best_rank = rank;
		}
	}
	if (best == NULL) {
		return;
	}
	t->family = best->family;
	memset(t->addr, 0, sizeof(t->addr));
	if (best_rank == 2) {
		t->addr[0] = 127;
		t->addr[3] = 1;
	} else if (best_rank == 3) {
		memcpy(t->addr, &in6addr_loopback, 16);
	} else {
		memcpy(t->addr, best->addr, best->family == AF_INET ? 4 : 16);
	}
}

void smbanswer_target_name(const struct smbanswer_target *t, char *buf,
			   size_t size)
{
	char a[INET6_ADDRSTRLEN] = "?";

	(void)inet_ntop(t->family, t->addr, a, sizeof(a));
	if (t->family == AF_INET6) {
		snprintf(buf, size, "[%s]:%u", a, (unsigned)t->port);
	} else {
		snprintf(buf, size, "%s:%u", a, (unsigned)t->port);
	}
}

/* ------------------------------------------------------------------ */
/* The probe */

enum smbanswer_phase {
	PH_CONNECTING,
	PH_SEND,		/* out[] to send, then read */
	PH_READ_SESSION,	/* port 139: the session response */
	PH_READ_REPLY,
	PH_DONE,
};

struct smbanswer_conn {
	int fd;
	enum smbanswer_phase phase;
	bool session;		/* sending/reading the session request */
	uint8_t out[128];
	size_t outlen, outoff;
	uint8_t *in;		/* NBSS_HDR + SMBANSWER_MAX_FRAME + 4 */
	size_t inlen;
	int64_t start_ms;
	struct smbanswer_result *res;
};

#define SMBANSWER_IN_MAX (2 * NBSS_HDR + SMBANSWER_MAX_FRAME)

static void smbanswer_finish(struct smbanswer_conn *c,
			     enum smbanswer_outcome o, int err)
{
	c->res->outcome = o;
	c->res->err = err;
	c->res->ms = util_now_ms() - c->start_ms;
	c->phase = PH_DONE;
	if (c->fd >= 0 && o != SMBANSWER_ANSWERED) {
		/* a reset, so that no connection lingers in FIN-WAIT on
		 * our side or waits in a stopped smbd's accept queue */
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		(void)setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg,
				 sizeof(lg));
	}
	util_close(&c->fd);
}

/* The request of the next phase into out[] */
static void smbanswer_load(struct smbanswer_conn *c, bool session)
{
	c->session = session;
	c->outlen = session ? smbanswer_session_request(c->out,
							 sizeof(c->out)) :
			      smbanswer_negotiate_request(c->out,
							  sizeof(c->out));
	c->outoff = 0;
	c->phase = PH_SEND;
}

static void smbanswer_start(struct smbanswer_conn *c,
			    const struct smbanswer_target *t)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int ret;

	memset(&ss, 0, sizeof(ss));
	if (t->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(t->port);
		memcpy(&s6->sin6_addr, t->addr, 16);
		sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(t->port);
		memcpy(&s4->sin_addr, t->addr, 4);
		sl = sizeof(*s4);
	}
	c->start_ms = util_now_ms();
	c->fd = socket(t->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		       IPPROTO_TCP);
	if (c->fd == -1) {
		smbanswer_finish(c, SMBANSWER_CONNECT_ERR, errno);
		return;
	}
	do {
		ret = connect(c->fd, (struct sockaddr *)&ss, sl);
	} while (ret == -1 && errno == EINTR);
	if (ret == 0) {
		smbanswer_load(c, t->netbios);
		return;
	}
	if (errno == EINPROGRESS) {
		c->phase = PH_CONNECTING;
		return;
	}
	smbanswer_finish(c, errno == ECONNREFUSED ? SMBANSWER_REFUSED :
			 SMBANSWER_CONNECT_ERR, errno);
}

/* A read or write failed with @p err */
static void smbanswer_io_error(struct smbanswer_conn *c, int err)
{
	if (err == ECONNREFUSED) {
		smbanswer_finish(c, SMBANSWER_REFUSED, err);
	} else {
		smbanswer_finish(c, SMBANSWER_CLOSED, err);
	}
}

static void smbanswer_on_send(struct smbanswer_conn *c)
{
	while (c->outoff < c->outlen) {
		ssize_t n = send(c->fd, c->out + c->outoff,
				 c->outlen - c->outoff, MSG_NOSIGNAL);

		if (n == -1 && errno == EINTR) {
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			return;
		}
		if (n <= 0) {
			smbanswer_io_error(c, n == 0 ? EIO : errno);
			return;
		}
		c->outoff += (size_t)n;
	}
	c->phase = c->session ? PH_READ_SESSION : PH_READ_REPLY;
}

static void smbanswer_on_read(struct smbanswer_conn *c)
{
	size_t used = 0;
	ssize_t n;
	int ret;

	if (c->inlen >= SMBANSWER_IN_MAX) {
		smbanswer_finish(c, SMBANSWER_NOT_SMB, 0);
		return;
	}
	do {
		n = recv(c->fd, c->in + c->inlen, SMBANSWER_IN_MAX - c->inlen,
			 0);
	} while (n == -1 && errno == EINTR);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		return;
	}
	if (n == -1) {
		smbanswer_io_error(c, errno);
		return;
	}
	if (n == 0) {
		smbanswer_finish(c, SMBANSWER_CLOSED, 0);
		return;
	}
	c->inlen += (size_t)n;
	if (c->phase == PH_READ_SESSION) {
		ret = smbanswer_parse_session(c->in, c->inlen, &used);
		if (ret == 0) {
			memmove(c->in, c->in + used, c->inlen - used);
			c->inlen -= used;
			smbanswer_load(c, false);
			smbanswer_on_send(c);
			return;
		}
	} else {
		ret = smbanswer_parse_reply(c->in, c->inlen, &c->res->reply,
					    &used);
		if (ret == 0) {
			smbanswer_finish(c, SMBANSWER_ANSWERED, 0);
			return;
		}
	}
	if (ret != EAGAIN) {
		smbanswer_finish(c, SMBANSWER_NOT_SMB, 0);
	} else if (c->inlen >= SMBANSWER_IN_MAX) {
		smbanswer_finish(c, SMBANSWER_NOT_SMB, 0);
	}
}

static void smbanswer_on_connect(struct smbanswer_conn *c,
				 const struct smbanswer_target *t)
{
	int err = 0;
	socklen_t l = sizeof(err);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l) != 0) {
		err = errno;
	}
	if (err == EINPROGRESS || err == EALREADY) {
		return;
	}
	if (err != 0) {
		smbanswer_finish(c, err == ECONNREFUSED ? SMBANSWER_REFUSED :
				 SMBANSWER_CONNECT_ERR, err);
		return;
	}
	smbanswer_load(c, t->netbios);
	smbanswer_on_send(c);
}

int smbanswer_probe(TALLOC_CTX *mem_ctx, const struct smbanswer_target *t,
		    size_t n, const struct deadline *dl, int64_t timeout_ms,
		    struct smbanswer_result **res)
{
	TALLOC_CTX *tmp_ctx = NULL;
	struct smbanswer_conn *c = NULL;
	struct smbanswer_result *r = NULL;
	struct pollfd *pfd = NULL;
	size_t *which = NULL;
	int64_t end_ms, bound_ms;
	unsigned bound_s;
	size_t i;
	int ret = 0;

	*res = NULL;
	tmp_ctx = talloc_new(mem_ctx);
	if (tmp_ctx == NULL) {
		return ENOMEM;
	}
	bound_ms = timeout_ms;
	if (dl != NULL && deadline_left_ms(dl) < bound_ms) {
		bound_ms = deadline_left_ms(dl);
	}
	end_ms = util_now_ms() + bound_ms;
	bound_s = (unsigned)((bound_ms + 999) / 1000);

	r = talloc_zero_array(tmp_ctx, struct smbanswer_result, n ? n : 1);
	c = talloc_zero_array(tmp_ctx, struct smbanswer_conn, n ? n : 1);
	pfd = talloc_zero_array(tmp_ctx, struct pollfd, n ? n : 1);
	which = talloc_zero_array(tmp_ctx, size_t, n ? n : 1);
	if (r == NULL || c == NULL || pfd == NULL || which == NULL) {
		ret = ENOMEM;
		goto done;
	}
	for (i = 0; i < n; i++) {
		c[i].fd = -1;
		c[i].res = &r[i];
		r[i].timeout_s = bound_s;
		c[i].in = talloc_size(tmp_ctx, SMBANSWER_IN_MAX);
		if (c[i].in == NULL) {
			ret = ENOMEM;
			goto done;
		}
	}
	for (i = 0; i < n; i++) {
		smbanswer_start(&c[i], &t[i]);
		if (c[i].phase == PH_SEND) {
			smbanswer_on_send(&c[i]);
		}
	}

	for (;;) {
		int64_t left = end_ms - util_now_ms();
		nfds_t np = 0;
		int pr;

		for (i = 0; i < n; i++) {
			if (c[i].phase == PH_DONE) {
				continue;
			}
			pfd[np].fd = c[i].fd;
			pfd[np].events = (c[i].phase == PH_CONNECTING ||
					  c[i].phase == PH_SEND) ? POLLOUT :
								   POLLIN;
			pfd[np].revents = 0;
			which[np++] = i;
		}
		if (np == 0) {
			break;
		}
		if (left <= 0) {
			for (i = 0; i < np; i++) {
				smbanswer_finish(&c[which[i]],
						 SMBANSWER_TIMEOUT, 0);
			}
			break;
		}
		pr = poll(pfd, np, (int)(left > 1000000 ? 1000000 : left));
		if (pr == -1 && errno == EINTR) {
			continue;
		}
		if (pr == -1) {
			ret = errno;
			goto done;
		}
		for (i = 0; i < np; i++) {
			struct smbanswer_conn *k = &c[which[i]];

			if (pfd[i].revents == 0) {
				continue;
			}
			switch (k->phase) {
			case PH_CONNECTING:
				smbanswer_on_connect(k, &t[which[i]]);
				break;
			case PH_SEND:
				smbanswer_on_send(k);
				break;
			case PH_READ_SESSION:
			case PH_READ_REPLY:
				smbanswer_on_read(k);
				break;
			case PH_DONE:
				break;
			}
		}
	}
	*res = talloc_steal(mem_ctx, r);
done:
	for (i = 0; c != NULL && i < n; i++) {
		util_close(&c[i].fd);
	}
	talloc_free(tmp_ctx);
	return ret;
}

char *smbanswer_words(TALLOC_CTX *mem_ctx, const struct smbanswer_result *r)
{
	const struct smbanswer_reply *a = &r->reply;
	const char *name = NULL;

	switch (r->outcome) {
	case SMBANSWER_ANSWERED:
		break;
	case SMBANSWER_TIMEOUT:
		return talloc_asprintf(mem_ctx, "no SMB answer in %u s",
				       r->timeout_s);
	case SMBANSWER_REFUSED:
		return talloc_strdup(mem_ctx, "connection refused");
	case SMBANSWER_CLOSED:
		return talloc_strdup(mem_ctx, "connection closed");
	case SMBANSWER_NOT_SMB:
		return talloc_strdup(mem_ctx, "answered, but not SMB");
	case SMBANSWER_CONNECT_ERR:
		return talloc_asprintf(mem_ctx, "cannot connect (%s)",
				       strerror(r->err));
	}
	if (a->kind == SMBANSWER_SMB2) {
		if (a->has_dialect) {
			return talloc_asprintf(mem_ctx, "SMB2 dialect 0x%04x",
					       (unsigned)a->dialect);
		}
		return talloc_asprintf(mem_ctx, "SMB2 status 0x%08x",
				       (unsigned)a->status);
	}
	name = a->has_dialect ? smbanswer_smb1_dialect(a->dialect) : NULL;
	if (name != NULL && a->status == 0) {
		return talloc_asprintf(mem_ctx, "SMB1 dialect %s", name);
	}
	if (a->has_dialect) {
		return talloc_asprintf(mem_ctx, "SMB1 dialect index %u status "
				       "0x%08x", (unsigned)a->dialect,
				       (unsigned)a->status);
	}
	return talloc_asprintf(mem_ctx, "SMB1 status 0x%08x",
			       (unsigned)a->status);
}

/* ------------------------------------------------------------------ */
/* When */

/* A count is at most this many digits and a newline */
#define SMBANSWER_STATE_MAX 16

void smbanswer_state_read(TALLOC_CTX *mem_ctx, const char *dir,
			  struct smbanswer_state *st)
{
	char *path = NULL;
	char *text = NULL;
	struct stat sb;
	uint64_t v = 0;
	size_t len = 0;

	memset(st, 0, sizeof(*st));
	if (dir == NULL) {
		return;
	}
	path = talloc_asprintf(mem_ctx, "%s/%s", dir, SMBANSWER_STATE_FILE);
	if (path == NULL || lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		/* missing, or a link or anything else: never probed */
		goto done;
	}
	st->exists = true;
	st->last = sb.st_mtim;
	if (sb.st_size == 0) {
		goto done;
	}
	st->dirty = true;
	if (util_read_file(mem_ctx, path, O_NOFOLLOW | O_NONBLOCK,
			   SMBANSWER_STATE_MAX, &text, &len) != 0) {
		goto done;
	}
	util_trim_trailing(text, "\n");
	if (util_parse_uint(text, 1000000, &v) == 0) {
		st->failures = (unsigned)v;
	}
done:
	talloc_free(text);
	talloc_free(path);
}

bool smbanswer_due(const struct smbanswer_state *st, uint64_t interval,
		   uint64_t queued, bool started)
{
	if (!st->exists || st->dirty || queued > 0 || started ||
	    interval == 0) {
		return true;
	}
	return state_is_old(&st->last, interval);
}

int smbanswer_state_write(TALLOC_CTX *mem_ctx, const char *dir,
			  const struct smbanswer_state *st,
			  unsigned failures)
{
	char *path = NULL;
	int ret;

	if (dir == NULL) {
		return ENOENT;
	}
	if (failures == 0 && st->exists && !st->dirty) {
		/* an empty file already: only the time of the probe */
		path = talloc_asprintf(mem_ctx, "%s/%s", dir,
				       SMBANSWER_STATE_FILE);
		ret = path != NULL ? state_touch(path) : ENOMEM;
		talloc_free(path);
		return ret;
	}
	return util_write_text_in(mem_ctx, dir, SMBANSWER_STATE_FILE,
				  failures == 0 ? talloc_strdup(mem_ctx, "") :
				  talloc_asprintf(mem_ctx, "%u\n", failures),
				  0644);
}
