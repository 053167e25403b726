/*
 * checks/smbanswer.c: the request bytes, the reply parser on built
 * replies (good, truncated, foreign), where a port is probed, when the
 * probe is due, and the probe itself against listeners in forked
 * children that answer, close, talk HTTP or never accept.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <talloc.h>

#include "checks/smbanswer.h"
#include "checks/tcpport.h"

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	put_le16(p, (uint16_t)v);
	put_le16(p + 2, (uint16_t)(v >> 16));
}

/* A NetBIOS frame around @p n bytes at buf + 4 */
static size_t frame(uint8_t *buf, size_t n)
{
	buf[0] = 0;
	buf[1] = (uint8_t)(n >> 16);
	buf[2] = (uint8_t)(n >> 8);
	buf[3] = (uint8_t)n;
	return n + 4;
}

/* MS-SMB2 2.2.1.2 + 2.2.4 (or 2.2.2 when @p status is not 0) */
static size_t smb2_reply(uint8_t *buf, uint32_t status, uint16_t dialect)
{
	uint8_t *p = buf + 4;

	memset(buf, 0, 4 + 64 + 66);
	memcpy(p, "\xfeSMB", 4);
	put_le16(p + 4, 64);
	put_le32(p + 8, status);
	put_le16(p + 12, 0);		/* NEGOTIATE */
	put_le32(p + 16, 1);		/* SERVER_TO_REDIR */
	if (status == 0) {
		put_le16(p + 64, 65);
		put_le16(p + 68, dialect);
		return frame(buf, 64 + 65);
	}
	put_le16(p + 64, 9);
	return frame(buf, 64 + 9);
}

/* MS-SMB 2.2.4.5.2: NT LM 0.12, WordCount 17, no bytes */
static size_t smb1_reply(uint8_t *buf, uint32_t status, uint16_t index)
{
	uint8_t *p = buf + 4;

	memset(buf, 0, 4 + 32 + 1 + 34 + 2);
	memcpy(p, "\xffSMB", 4);
	p[4] = 0x72;
	put_le32(p + 5, status);
	p[9] = 0x98;			/* REPLY | ... */
	p[32] = 17;
	put_le16(p + 33, index);
	return frame(buf, 32 + 1 + 34 + 2);
}

static void test_request_bytes(void **state)
{
	uint8_t buf[256];
	size_t n = smbanswer_negotiate_request(buf, sizeof(buf));
	static const char dialects[] =
		"\x02NT LM 0.12\0\x02SMB 2.002\0\x02SMB 2.???";

	assert_int_equal(n, 4 + 32 + 3 + sizeof(dialects));
	assert_int_equal(buf[0], 0);
	assert_int_equal((buf[1] << 16) | (buf[2] << 8) | buf[3], n - 4);
	assert_memory_equal(buf + 4, "\xffSMB\x72", 5);
	assert_int_equal(buf[4 + 32], 0);	/* WordCount */
	assert_int_equal(buf[4 + 33] | (buf[4 + 34] << 8), sizeof(dialects));
	assert_memory_equal(buf + 4 + 35, dialects, sizeof(dialects));
	assert_int_equal(smbanswer_negotiate_request(buf, n - 1), 0);
	assert_string_equal(smbanswer_smb1_dialect(0), "NT LM 0.12");
	assert_string_equal(smbanswer_smb1_dialect(2), "SMB 2.???");
	assert_null(smbanswer_smb1_dialect(3));
}

static void test_session_request(void **state)
{
	uint8_t buf[128];
	size_t n = smbanswer_session_request(buf, sizeof(buf));

	assert_int_equal(n, 72);
	assert_memory_equal(buf, "\x81\x00\x00\x44", 4);
	/* RFC 1001 14.1: '*' is 0x2A -> "CK", 'S' 0x53 -> "FD"; padded
	 * with spaces ("CA"), the service byte 0x20 last */
	assert_int_equal(buf[4], 32);
	assert_memory_equal(buf + 5, "CKFDENECFDEFFCFGEFFCCACA", 24);
	assert_memory_equal(buf + 5 + 28, "CACA", 4);
	assert_int_equal(buf[4 + 33], 0);
	assert_int_equal(buf[4 + 34], 32);
	/* the calling name ends in service 0x00: "AA" */
	assert_memory_equal(buf + 4 + 34 + 1 + 30, "AA", 2);
	assert_int_equal(buf[71], 0);
	assert_int_equal(smbanswer_session_request(buf, 71), 0);
}

static void test_parse_good(void **state)
{
	uint8_t buf[512];
	struct smbanswer_reply r;
	size_t n, used = 0;

	n = smb2_reply(buf, 0, 0x02ff);
	assert_int_equal(smbanswer_parse_reply(buf, n, &r, &used), 0);
	assert_int_equal(used, n);
	assert_int_equal(r.kind, SMBANSWER_SMB2);
	assert_true(r.has_dialect);
	assert_int_equal(r.dialect, 0x02ff);

	/* any status counts: an smbd refusing every dialect answers */
	n = smb2_reply(buf, 0xc00000bb, 0);
	assert_int_equal(smbanswer_parse_reply(buf, n, &r, &used), 0);
	assert_false(r.has_dialect);
	assert_int_equal(r.status, 0xc00000bb);

	n = smb1_reply(buf, 0, 0);
	assert_int_equal(smbanswer_parse_reply(buf, n, &r, &used), 0);
	assert_int_equal(r.kind, SMBANSWER_SMB1);
	assert_true(r.has_dialect);
	assert_int_equal(r.dialect, 0);
	n = smb1_reply(buf, 0, 0xffff);
	assert_int_equal(smbanswer_parse_reply(buf, n, &r, &used), 0);
	assert_false(r.has_dialect);

	/* keepalives first (RFC 1002 4.3.7) */
	memmove(buf + 8, buf, n);
	memcpy(buf, "\x85\0\0\0\x85\0\0\0", 8);
	assert_int_equal(smbanswer_parse_reply(buf, n + 8, &r, &used), 0);
	assert_int_equal(used, n + 8);
}

static void test_parse_partial(void **state)
{
	uint8_t buf[512];
	struct smbanswer_reply r;
	size_t n = smb2_reply(buf, 0, 0x0311);
	size_t i;

	/* every prefix asks for more, and none reads past its end */
	for (i = 0; i < n; i++) {
		uint8_t *copy = malloc(i ? i : 1);

		assert_non_null(copy);
		memcpy(copy, buf, i);
		assert_int_equal(smbanswer_parse_reply(copy, i, &r, NULL),
				 EAGAIN);
		free(copy);
	}
}

static void test_parse_bad(void **state)
{
	uint8_t buf[512];
	struct smbanswer_reply r;
	size_t n;

	/* HTTP, as a web server on the port would answer */
	assert_int_equal(smbanswer_parse_reply((const uint8_t *)
			 "HTTP/1.0 400 Bad Request\r\n", 26, &r, NULL),
			 EBADMSG);
	/* a frame that is not a session message */
	assert_int_equal(smbanswer_parse_reply((const uint8_t *)
			 "\x83\0\0\x01\x82", 5, &r, NULL), EBADMSG);
	/* too long for a negotiate reply */
	assert_int_equal(smbanswer_parse_reply((const uint8_t *)
			 "\0\x01\0\x01\xfeSMB", 8, &r, NULL), EBADMSG);
	/* foreign magic is known from four bytes on */
	assert_int_equal(smbanswer_parse_reply((const uint8_t *)
			 "\0\0\x10\0\xfdSMB", 8, &r, NULL), EBADMSG);
	/* a frame too short to hold a protocol id */
	assert_int_equal(smbanswer_parse_reply((const uint8_t *)
			 "\0\0\0\x02\xfeS", 6, &r, NULL), EBADMSG);

	/* SMB2: wrong command, not a response, wrong structure sizes */
	n = smb2_reply(buf, 0, 0x02ff);
	buf[4 + 12] = 1;
	assert_int_equal(smbanswer_parse_reply(buf, n, &r, NULL), EBADMSG);
	n = smb2_reply(buf, 0, 0x02ff);
	buf[4 + 16] = 0;
	assert_int_equal(smbanswer_parse_reply(buf, n, &r, NULL), EBADMSG);
	n = smb2_reply(buf, 0, 0x02ff);
	buf[4 + 4] = 63;
	assert_int_equal(smbanswer_parse_reply(buf, n, &r, NULL), EBADMSG);
	n = smb2_reply(buf, 0, 0x02ff);
	buf[4 + 64] = 9;
	assert_int_equal(smbanswer_parse_reply(buf, n, &r, NULL), EBADMSG);
	/* a success whose frame ends before DialectRevision */
	n = smb2_reply(buf, 0, 0x02ff);
	assert_int_equal(smbanswer_parse_reply(buf, frame(buf, 64 + 4), &r,
					       NULL), EBADMSG);

	/* SMB1: wrong command, a request, counts beyond the frame */
	n = smb1_reply(buf, 0, 0);
	buf[4 + 4] = 0x73;
	assert_int_equal(smbanswer_parse_reply(buf, n, &r, NULL), EBADMSG);
	n = smb1_reply(buf, 0, 0);
	buf[4 + 9] = 0x18;
	assert_int_equal(smbanswer_parse_reply(buf, n, &r, NULL), EBADMSG);
	n = smb1_reply(buf, 0, 0);
	buf[4 + 32] = 200;
	assert_int_equal(smbanswer_parse_reply(buf, n, &r, NULL), EBADMSG);
	n = smb1_reply(buf, 0, 0);
	put_le16(buf + 4 + 33 + 34, 1);
	assert_int_equal(smbanswer_parse_reply(buf, n, &r, NULL), EBADMSG);
}

static void test_parse_session(void **state)
{
	size_t used = 0;

	assert_int_equal(smbanswer_parse_session((const uint8_t *)
			 "\x82\0\0\0", 4, &used), 0);
	assert_int_equal(used, 4);
	assert_int_equal(smbanswer_parse_session((const uint8_t *)
			 "\x85\0\0\0\x82\0\0\0\0\0", 10, &used), 0);
	assert_int_equal(used, 8);
	assert_int_equal(smbanswer_parse_session((const uint8_t *)
			 "\x82\0\0", 3, &used), EAGAIN);
	/* RFC 1002 4.3.4: negative, "called name not present" */
	assert_int_equal(smbanswer_parse_session((const uint8_t *)
			 "\x83\0\0\x01\x82", 5, &used), EBADMSG);
	assert_int_equal(smbanswer_parse_session((const uint8_t *)
			 "\x82\0\0\x01", 4, &used), EBADMSG);
	assert_int_equal(smbanswer_parse_session((const uint8_t *)
			 "HTTP", 4, &used), EBADMSG);
}

/* A listener table with the given listeners for one port */
static struct tcpport_answer *table_of(TALLOC_CTX *ctx, const char **addrs,
				       size_t n)
{
	struct tcpport_answer *ans = talloc_zero(ctx, struct tcpport_answer);
	size_t i;

	ans->nports = 1;
	ans->listeners = talloc_zero_array(ans, struct tcpport_listener *, 1);
	ans->nlisteners = talloc_zero_array(ans, unsigned, 1);
	ans->queued = talloc_zero_array(ans, uint64_t, 1);
	ans->listeners[0] = talloc_zero_array(ans, struct tcpport_listener,
					      n ? n : 1);
	for (i = 0; i < n; i++) {
		struct tcpport_listener *l = &ans->listeners[0][i];

		l->family = strchr(addrs[i], ':') ? AF_INET6 : AF_INET;
		assert_int_equal(inet_pton(l->family, addrs[i], l->addr), 1);
	}
	ans->nlisteners[0] = (unsigned)n;
	return ans;
}

static void assert_pick(const char **addrs, size_t n, uint16_t port,
			const char *want)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct smbanswer_target t;
	char name[64];

	smbanswer_pick_target(addrs ? table_of(ctx, addrs, n) : NULL, 0,
			      port, &t);
	smbanswer_target_name(&t, name, sizeof(name));
	assert_string_equal(name, want);
	assert_int_equal(t.netbios, port == 139);
	talloc_free(ctx);
}

static void test_pick_target(void **state)
{
	const char *a[] = { "10.0.0.5", "::1", "127.0.0.1" };
	const char *b[] = { "10.0.0.5", "::" };
	const char *c[] = { "0.0.0.0", "::" };
	const char *d[] = { "10.0.0.5", "10.0.0.6" };
	const char *e[] = { "::1" };

	assert_pick(a, 3, 445, "127.0.0.1:445");
	assert_pick(b, 2, 445, "[::1]:445");
	assert_pick(c, 2, 139, "127.0.0.1:139");
	assert_pick(d, 2, 445, "10.0.0.5:445");
	assert_pick(e, 1, 445, "[::1]:445");
	/* a compat checker decided: no table */
	assert_pick(NULL, 0, 445, "127.0.0.1:445");
	assert_pick(d, 0, 445, "127.0.0.1:445");
}

static void test_state_and_due(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	char dir[] = "/tmp/test_smbanswer.XXXXXX";
	struct smbanswer_state st;
	char *path = NULL;
	FILE *f = NULL;

	assert_non_null(mkdtemp(dir));
	path = talloc_asprintf(ctx, "%s/%s", dir, SMBANSWER_STATE_FILE);

	/* the first cycle */
	smbanswer_state_read(ctx, dir, &st);
	assert_false(st.exists);
	assert_true(smbanswer_due(&st, 60, 0, false));
	smbanswer_state_read(ctx, NULL, &st);
	assert_true(smbanswer_due(&st, 60, 0, false));

	/* an answer: not due for an interval */
	assert_int_equal(smbanswer_state_write(ctx, dir, &st, 0), 0);
	smbanswer_state_read(ctx, dir, &st);
	assert_true(st.exists);
	assert_false(st.dirty);
	assert_int_equal(st.failures, 0);
	assert_false(smbanswer_due(&st, 60, 0, false));
	/* ... unless clients wait, samba just started, or interval 0 */
	assert_true(smbanswer_due(&st, 60, 1, false));
	assert_true(smbanswer_due(&st, 60, 0, true));
	assert_true(smbanswer_due(&st, 0, 0, false));
	/* an empty file is only touched */
	assert_int_equal(smbanswer_state_write(ctx, dir, &st, 0), 0);

	/* a failure: counted, and due again at once */
	assert_int_equal(smbanswer_state_write(ctx, dir, &st, 1), 0);
	smbanswer_state_read(ctx, dir, &st);
	assert_int_equal(st.failures, 1);
	assert_true(st.dirty);
	assert_true(smbanswer_due(&st, 3600, 0, false));
	assert_int_equal(smbanswer_state_write(ctx, dir, &st, 2), 0);
	smbanswer_state_read(ctx, dir, &st);
	assert_int_equal(st.failures, 2);
	assert_int_equal(smbanswer_state_write(ctx, dir, &st, 0), 0);
	smbanswer_state_read(ctx, dir, &st);
	assert_int_equal(st.failures, 0);
	assert_false(st.dirty);

	/* corrupt: 0 failures, but probed again */
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("x7\n", f);
	fclose(f);
	smbanswer_state_read(ctx, dir, &st);
	assert_int_equal(st.failures, 0);
	assert_true(smbanswer_due(&st, 3600, 0, false));
	/* too big to be ours */
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("12345678901234567890\n", f);
	fclose(f);
	smbanswer_state_read(ctx, dir, &st);
	assert_int_equal(st.failures, 0);

	/* a link is never followed: never probed */
	unlink(path);
	assert_int_equal(symlink("/etc/passwd", path), 0);
	smbanswer_state_read(ctx, dir, &st);
	assert_false(st.exists);
	assert_int_equal(smbanswer_state_write(ctx, dir, &st, 1), 0);
	smbanswer_state_read(ctx, dir, &st);
	assert_int_equal(st.failures, 1);

	unlink(path);
	rmdir(dir);
	talloc_free(ctx);
}

/* ------------------------------------------------------------------ */
/* The probe, live */

enum serve { SERVE_SMB2, SERVE_SMB1, SERVE_CLOSE, SERVE_HTTP, SERVE_NONE,
	     SERVE_NBT };

/* Listen on 127.0.0.1; a child serves the first connection as told */
static int serve(enum serve how, uint16_t *port, pid_t *pid)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	*port = ntohs(sin.sin_port);
	*pid = -1;
	if (how == SERVE_NONE) {
		return fd;
	}
	*pid = fork();
	assert_true(*pid >= 0);
	if (*pid == 0) {
		uint8_t in[1024], out[512];
		size_t n = 0;
		int c = accept(fd, NULL, NULL);

		if (c < 0) {
			_exit(1);
		}
		if (how == SERVE_CLOSE) {
			_exit(0);
		}
		if (how == SERVE_HTTP) {
			(void)!write(c, "HTTP/1.0 400 Bad Request\r\n\r\n", 28);
			_exit(0);
		}
		if (how == SERVE_NBT) {
			/* the session request, then a positive response */
			(void)!read(c, in, 72);
			(void)!write(c, "\x82\0\0\0", 4);
		}
		(void)!read(c, in, sizeof(in));
		n = how == SERVE_SMB1 ? smb1_reply(out, 0, 0) :
					smb2_reply(out, 0, 0x0311);
		/* in two pieces: the parser waits for the whole frame */
		(void)!write(c, out, 10);
		usleep(20000);
		(void)!write(c, out + 10, n - 10);
		usleep(200000);
		_exit(0);
	}
	return fd;
}

static void reap(int fd, pid_t pid)
{
	close(fd);
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

static const struct smbanswer_result *probe_one(TALLOC_CTX *ctx,
						uint16_t port, bool netbios,
						int64_t timeout_ms)
{
	struct smbanswer_target t;
	struct smbanswer_result *r = NULL;

	smbanswer_pick_target(NULL, 0, port, &t);
	t.netbios = netbios;
	assert_int_equal(smbanswer_probe(ctx, &t, 1, NULL, timeout_ms, &r),
			 0);
	assert_non_null(r);
	return r;
}

static void assert_words(TALLOC_CTX *ctx, const struct smbanswer_result *r,
			 const char *want)
{
	char *w = smbanswer_words(ctx, r);

	assert_non_null(w);
	assert_string_equal(w, want);
}

static void test_probe_live(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	const struct smbanswer_result *r = NULL;
	uint16_t port = 0;
	pid_t pid = -1;
	int fd;

	fd = serve(SERVE_SMB2, &port, &pid);
	r = probe_one(ctx, port, false, 3000);
	assert_int_equal(r->outcome, SMBANSWER_ANSWERED);
	assert_words(ctx, r, "SMB2 dialect 0x0311");
	reap(fd, pid);

	fd = serve(SERVE_SMB1, &port, &pid);
	r = probe_one(ctx, port, false, 3000);
	assert_words(ctx, r, "SMB1 dialect NT LM 0.12");
	reap(fd, pid);

	fd = serve(SERVE_NBT, &port, &pid);
	r = probe_one(ctx, port, true, 3000);
	assert_words(ctx, r, "SMB2 dialect 0x0311");
	reap(fd, pid);

	fd = serve(SERVE_CLOSE, &port, &pid);
	r = probe_one(ctx, port, false, 3000);
	assert_words(ctx, r, "connection closed");
	reap(fd, pid);

	fd = serve(SERVE_HTTP, &port, &pid);
	r = probe_one(ctx, port, false, 3000);
	assert_words(ctx, r, "answered, but not SMB");
	reap(fd, pid);

	/* never accepted: the timeout, rounded up to seconds */
	fd = serve(SERVE_NONE, &port, &pid);
	r = probe_one(ctx, port, false, 300);
	assert_words(ctx, r, "no SMB answer in 1 s");
	assert_true(r->ms >= 290 && r->ms < 1000);
	reap(fd, pid);

	/* nothing listens any more */
	r = probe_one(ctx, port, false, 3000);
	assert_words(ctx, r, "connection refused");
	talloc_free(ctx);
}

/* All at once: the slowest bounds the probe, not the sum */
static void test_probe_parallel_and_deadline(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct smbanswer_target t[3];
	struct smbanswer_result *r = NULL;
	struct deadline dl;
	uint16_t p[3];
	pid_t pid[3];
	int fd[3];
	int64_t start;
	size_t i;

	fd[0] = serve(SERVE_NONE, &p[0], &pid[0]);
	fd[1] = serve(SERVE_NONE, &p[1], &pid[1]);
	fd[2] = serve(SERVE_SMB2, &p[2], &pid[2]);
	for (i = 0; i < 3; i++) {
		smbanswer_pick_target(NULL, 0, p[i], &t[i]);
	}
	start = util_now_ms();
	assert_int_equal(smbanswer_probe(ctx, t, 3, NULL, 400, &r), 0);
	assert_true(util_now_ms() - start < 700);
	assert_int_equal(r[0].outcome, SMBANSWER_TIMEOUT);
	assert_int_equal(r[1].outcome, SMBANSWER_TIMEOUT);
	assert_int_equal(r[2].outcome, SMBANSWER_ANSWERED);

	/* the run's deadline is nearer than the timeout: it wins */
	deadline_init_ms(&dl, 200);
	start = util_now_ms();
	assert_int_equal(smbanswer_probe(ctx, t, 2, &dl, 3000, &r), 0);
	assert_true(util_now_ms() - start < 500);
	assert_int_equal(r[0].outcome, SMBANSWER_TIMEOUT);
	assert_int_equal(r[0].timeout_s, 1);
	for (i = 0; i < 3; i++) {
		reap(fd[i], pid[i]);
	}
	talloc_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_bytes),
		cmocka_unit_test(test_session_request),
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_partial),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_session),
		cmocka_unit_test(test_pick_target),
		cmocka_unit_test(test_state_and_due),
		cmocka_unit_test(test_probe_live),
		cmocka_unit_test(test_probe_parallel_and_deadline),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
