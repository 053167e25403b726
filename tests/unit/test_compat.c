/*
 * Tests for compat/: the nmap, netstat and ss parsers on output saved
 * from real runs (tests/unit/data/compat/), the checkers against fake
 * tools (cannot-run cases), and the checkers live against a listener
 * this test opens.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "checks/run.h"
#include "compat/checkers.h"

#define DATA "tests/unit/data/compat/"

static char *read_fixture(TALLOC_CTX *mem_ctx, const char *name)
{
	char *path = talloc_asprintf(mem_ctx, DATA "%s", name);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = NULL;
	struct stat st;

	assert_non_null(path);
	f = fopen(path, "r");
	if (f == NULL) {
		fail_msg("cannot open fixture %s", path);
	}
	assert_int_equal(fstat(fileno(f), &st), 0);
	buf = talloc_size(mem_ctx, (size_t)st.st_size + 1);
	assert_non_null(buf);
	len = fread(buf, 1, (size_t)st.st_size, f);
	fclose(f);
	buf[len] = '\0';
	return buf;
}

struct parse_case {
	compat_listening_fn parse;
	const char *file;
	uint16_t port;
	bool listening;
};

#define NM nmap_listening
#define NS netstat_listening
#define SS ss_listening

static const struct parse_case parse_cases[] = {
	/* IPv4: 0.0.0.0:445 127.0.0.1:139 0.0.0.0:44500
	 * 192.0.2.2%eth0:4451 0.0.0.0:2024 */
	{ NS, "netstat-ipv4.txt", 445, true },
	{ NS, "netstat-ipv4.txt", 139, true },
	{ NS, "netstat-ipv4.txt", 44500, true },
	{ NS, "netstat-ipv4.txt", 4451, true },
	{ NS, "netstat-ipv4.txt", 2024, true },
	{ NS, "netstat-ipv4.txt", 4450, false },
	{ NS, "netstat-ipv4.txt", 45, false },
	{ NS, "netstat-ipv4.txt", 4500, false },
	{ NS, "netstat-ipv4.txt", 13, false },
	{ NS, "netstat-ipv4.txt", 0, false },
	{ SS, "ss-ipv4.txt", 445, true },
	{ SS, "ss-ipv4.txt", 139, true },
	{ SS, "ss-ipv4.txt", 44500, true },
	{ SS, "ss-ipv4.txt", 4451, true },
	{ SS, "ss-ipv4.txt", 4450, false },
	{ SS, "ss-ipv4.txt", 45, false },
	{ SS, "ss-ipv4.txt", 4500, false },
	{ NM, "nmap-ipv4.txt", 445, true },
	{ NM, "nmap-ipv4.txt", 139, true },
	{ NM, "nmap-ipv4.txt", 44500, true },
	{ NM, "nmap-ipv4.txt", 4450, false },
	{ NM, "nmap-ipv4.txt", 4451, false },	/* not on 127.0.0.1 */
	{ NM, "nmap-ipv4.txt", 45, false },
	{ NM, "nmap-ipv4.txt", 4500, false },
	/* IPv6: :::445 (dual stack, ss "*:445") [::1]:139 [::]:44500
	 * [fe80::fc:ff:fe00:1]%eth0:4451 [fd00::2]:4452, plus
	 * 127.0.0.1:4379 0.0.0.0:2024 */
	{ NS, "netstat-ipv6.txt", 445, true },
	{ NS, "netstat-ipv6.txt", 139, true },
	{ NS, "netstat-ipv6.txt", 44500, true },
	{ NS, "netstat-ipv6.txt", 4451, true },
	{ NS, "netstat-ipv6.txt", 4452, true },
	{ NS, "netstat-ipv6.txt", 4379, true },
	{ NS, "netstat-ipv6.txt", 4450, false },
	{ NS, "netstat-ipv6.txt", 2, false },
	{ NS, "netstat-ipv6.txt", 1, false },
	{ SS, "ss-ipv6.txt", 445, true },
	{ SS, "ss-ipv6.txt", 139, true },
	{ SS, "ss-ipv6.txt", 44500, true },
	{ SS, "ss-ipv6.txt", 4451, true },
	{ SS, "ss-ipv6.txt", 4452, true },
	{ SS, "ss-ipv6.txt", 4450, false },
	{ SS, "ss-ipv6.txt", 2, false },
	{ NM, "nmap-ipv6.txt", 445, true },	/* dual stack */
	{ NM, "nmap-ipv6.txt", 139, false },	/* ::1 only */
	{ NM, "nmap-ipv6.txt", 44500, false },	/* v6only */
	{ NM, "nmap-ipv6.txt", 4450, false },
	/* nothing of ours listening */
	{ NS, "netstat-none.txt", 445, false },
	{ NS, "netstat-none.txt", 2024, true },
	{ SS, "ss-none.txt", 445, false },
	{ SS, "ss-none.txt", 2024, true },
	/* nmap states */
	{ NM, "nmap-closed.txt", 4450, false },
	{ NM, "nmap-filtered.txt", 445, true },
	{ NM, "nmap-filtered.txt", 4450, false },
	{ NM, "nmap-filtered.txt", 139, false },
	{ NM, "nmap-filtered-all.txt", 445, false },
	{ NM, "nmap-ignored.txt", 445, true },
	{ NM, "nmap-ignored.txt", 44, false },
	{ NM, "nmap-ignored-all.txt", 1, false },
	{ NM, "nmap-ignored-all.txt", 445, false },
};

static void test_parse_fixtures(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		TALLOC_CTX *mem_ctx = talloc_new(NULL);
		char *text = read_fixture(mem_ctx, c->file);
		bool got = compat_port_listed(c->parse, text, c->port);

		if (got != c->listening) {
			fail_msg("%s port %u: got %d, want %d", c->file,
				 (unsigned)c->port, got, c->listening);
		}
		talloc_free(mem_ctx);
	}
}

struct text_case {
	compat_listening_fn parse;
	const char *text;
	uint16_t port;
	bool listening;
};

static const struct text_case text_cases[] = {
	/* a connection is not a listener */
	{ NS, "tcp 0 0 10.0.0.1:445 10.0.0.2:5000 ESTABLISHED\n", 445, false },
	{ SS, "ESTAB 0 0 10.0.0.1:445 10.0.0.2:5000\n", 445, false },
	/* the peer column does not count */
	{ NS, "tcp 0 0 10.0.0.1:5000 10.0.0.2:445 LISTEN\n", 445, false },
	{ SS, "LISTEN 0 5 10.0.0.1:5000 10.0.0.2:445\n", 445, false },
	/* address forms */
	{ SS, "LISTEN 0 5 *:445 *:*", 445, true },
	{ SS, "LISTEN 0 5 [::]:445 [::]:*\r\n", 445, true },
	{ SS, "LISTEN 0 5 [::1]:445 [::]:*\n", 445, true },
	{ SS, "LISTEN 0 5 192.168.1.2%eth0:445 0.0.0.0:*\n", 445, true },
	{ SS, "LISTEN 0 5 192.168.1.2%eth0:4450 0.0.0.0:*\n", 445, false },
	{ SS, "LISTEN 0 5 0.0.0.0:445x 0.0.0.0:*\n", 445, false },
	{ SS, "LISTEN 0 5 0.0.0.0:99999 0.0.0.0:*\n", 34463, false },
	{ SS, "LISTEN 0 5 0.0.0.0: 0.0.0.0:*\n", 445, false },
	{ NS, "tcp6 0 0 :::445 :::* LISTEN\n", 445, true },
	{ NS, "tcp6 0 0 ::1:445 :::* LISTEN\n", 445, true },
	{ NS, "tcp6 0 0 ::1:1445 :::* LISTEN\n", 445, false },
	{ NS, "tcp 0 0 0.0.0.0:445 0.0.0.0:* LISTENING\n", 445, false },
	{ NS, "", 445, false },
	{ SS, "", 445, false },
	/* nmap entries */
	{ NM, "Host: 127.0.0.1 ()\tPorts: 4450/open/tcp//x///\n", 445, false },
	{ NM, "Host: 127.0.0.1 ()\tPorts: 1445/open/tcp//x///\n", 445, false },
	{ NM, "Host: 127.0.0.1 ()\tPorts: 445/open/udp//x///\n", 445, false },
	{ NM, "Host: 127.0.0.1 ()\tPorts: 445/open|filtered/tcp//x///\n", 445,
	  false },
	{ NM, "Host: 127.0.0.1 ()\tPorts: 139/closed/tcp//x///, "
	      "445/open/tcp//x///\tIgnored State: closed (3)\n", 445, true },
	/* "Ports:" only counts on a Host line, as its own field */
	{ NM, "# 445/open/tcp//\n", 445, false },
	{ NM, "Host: 127.0.0.1 ()\tStatus: Up 445/open/tcp//\n", 445, false },
	{ NM, "", 445, false },
	/* written as nmap writes it: no leading zero, no sign */
	{ NM, "Host: 127.0.0.1 ()\tPorts: 0445/open/tcp//x///\n", 445, false },
	{ NM, "Host: 127.0.0.1 ()\tPorts: +445/open/tcp//x///\n", 445, false },
	{ NM, "Host: 127.0.0.1 ()\tPorts: 65536/open/tcp//x///\n", 0, false },
	{ NM, "Host: 127.0.0.1 ()\tPorts: 0/open/tcp//x///\n", 0, true },
	/* the last entry of a field, and of a second Host line */
	{ NM, "Host: ::1 ()\tPorts: 1/closed/tcp//x///\n"
	      "Host: 127.0.0.1 ()\tPorts: 1/closed/tcp//x///, "
	      "65535/open/tcp//x///\n", 65535, true },
};

static void test_parse_text(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(text_cases) / sizeof(text_cases[0]); i++) {
		const struct text_case *c = &text_cases[i];
		bool got = compat_port_listed(c->parse, c->text, c->port);

		if (got != c->listening) {
			fail_msg("case %zu \"%s\" port %u: got %d, want %d", i,
				 c->text, (unsigned)c->port, got,
				 c->listening);
		}
	}
}

static void test_addr_has_port(void **state)
{
	static const struct {
		const char *addr;
		uint16_t port;
		bool want;
	} cases[] = {
		{ "0.0.0.0:445", 445, true },
		{ ":::445", 445, true },
		{ "[::]:445", 445, true },
		{ "*:445", 445, true },
		{ "0.0.0.0:4450", 445, false },
		{ "0.0.0.0:45", 445, false },
		{ "445", 445, false },
		{ "0.0.0.0:", 445, false },
		{ "0.0.0.0:*", 445, false },
		{ "0.0.0.0:65535", 65535, true },
		{ "0.0.0.0:65536", 0, false },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint16_t port = 0;
		bool got = compat_addr_port(cases[i].addr,
					    strlen(cases[i].addr), &port) &&
			   port == cases[i].port;

		if (got != cases[i].want) {
			fail_msg("%s port %u: got %d", cases[i].addr,
				 (unsigned)cases[i].port, got);
		}
	}
}

static void test_table(void **state)
{
	const char *const names[] = { "ctdb", "bind", "nmap", "netstat", "ss" };
	size_t i;

	for (i = 0; i < 5; i++) {
		assert_non_null(compat_checkers[i]);
		assert_string_equal(compat_checkers[i]->name, names[i]);
		assert_non_null(compat_checkers[i]->check);
	}
	assert_null(compat_checkers[5]);
	assert_ptr_equal(compat_checkers[2], &checker_nmap);
	assert_ptr_equal(compat_checkers[3], &checker_netstat);
	assert_ptr_equal(compat_checkers[4], &checker_ss);
}

/*
 * Fake tools: a temporary directory holding scripts named like the
 * tools, first and only on PATH.
 */
static char fakedir[64];
static char *saved_path;

static void fake_tool(const char *name, const char *body)
{
	char path[128];
	FILE *f = NULL;

	snprintf(path, sizeof(path), "%s/%s", fakedir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\n%s\n", body);
	fclose(f);
	assert_int_equal(chmod(path, 0755), 0);
}

static void remove_fakes(void)
{
	const char *names[] = { "nmap", "netstat", "ss" };
	char path[128];
	size_t i;

	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", fakedir, names[i]);
		unlink(path);
	}
}

/* Run checker @p c with a deadline @p ms from now; it must not fail. */
static struct check_result run_checker(TALLOC_CTX *mem_ctx,
				       const struct port_checker *c,
				       const uint16_t *ports, size_t nports,
				       int64_t ms)
{
	struct check_result res;
	struct deadline dl;
	struct checker_env env;
	int ret;

	memset(&res, 0, sizeof(res));
	deadline_init_ms(&dl, ms);
	env.deadline = &dl;
	env.tcp = NULL;
	ret = c->check(mem_ctx, &env, ports, nports, &res);
	assert_int_equal(ret, 0);
	return res;
}

static void test_fake_missing(void **state)
{
	TALLOC_CTX *mem_ctx = talloc_new(NULL);
	const struct port_checker *cs[] = {
		&checker_nmap, &checker_netstat, &checker_ss
	};
	const char *want[] = {
		"\"nmap -n -oG - -PS 127.0.0.1 -p 445,139\" not found",
		"\"netstat -l -t -n\" not found",
		"\"ss -l -t -n -H\" not found",
	};
	uint16_t ports[] = { 445, 139 };
	size_t i;

	remove_fakes();
	setenv("PATH", fakedir, 1);
	for (i = 0; i < 3; i++) {
		struct check_result res = run_checker(mem_ctx, cs[i], ports, 2,
						      5000);

		assert_int_equal(res.status, CHECK_CANNOT_RUN);
		assert_int_equal(res.err, ENOENT);
		assert_non_null(res.evidence);
		assert_string_equal(res.evidence, want[i]);
	}
	setenv("PATH", saved_path, 1);
	talloc_free(mem_ctx);
}

static void test_fake_failures(void **state)
{
	TALLOC_CTX *mem_ctx = talloc_new(NULL);
	uint16_t ports[] = { 445 };
	struct check_result res;

	setenv("PATH", fakedir, 1);

	/* non-zero exit: cannot run, output in the evidence */
	fake_tool("netstat", "echo 'netstat: no support' >&2; exit 5");
	res = run_checker(mem_ctx, &checker_netstat, ports, 1, 5000);
	assert_int_equal(res.status, CHECK_CANNOT_RUN);
	assert_string_equal(res.evidence, "\"netstat -l -t -n\" exited with 5\n"
					  "netstat: no support");

	/* garbage output */
	fake_tool("ss", "echo 'Usage: ss [ OPTIONS ]'");
	res = run_checker(mem_ctx, &checker_ss, ports, 1, 5000);
	assert_int_equal(res.status, CHECK_CANNOT_RUN);
	assert_int_equal(res.err, EPROTO);
	assert_non_null(strstr(res.evidence, "output not understood"));

	fake_tool("nmap", "echo 'Host: 127.0.0.1 ()\tStatus: Down'");
	res = run_checker(mem_ctx, &checker_nmap, ports, 1, 5000);
	assert_int_equal(res.status, CHECK_CANNOT_RUN);

	fake_tool("netstat", "echo");
	res = run_checker(mem_ctx, &checker_netstat, ports, 1, 5000);
	assert_int_equal(res.status, CHECK_CANNOT_RUN);

	/* a hung tool is killed at the deadline */
	fake_tool("ss", "exec /bin/sleep 30");
	res = run_checker(mem_ctx, &checker_ss, ports, 1, 300);
	assert_int_equal(res.status, CHECK_CANNOT_RUN);
	assert_int_equal(res.err, ETIMEDOUT);
	assert_string_equal(res.evidence,
			    "\"ss -l -t -n -H\" timed out after 1 s");

	/* empty ss output is an answer: nothing listens */
	fake_tool("ss", "exit 0");
	res = run_checker(mem_ctx, &checker_ss, ports, 1, 5000);
	assert_int_equal(res.status, CHECK_FAIL);
	assert_int_equal(res.port, 445);
	assert_string_equal(res.evidence,
			    "\"ss -l -t -n -H\" shows no listener on port 445");

	remove_fakes();
	setenv("PATH", saved_path, 1);
	talloc_free(mem_ctx);
}

/* The fake tools replay the saved outputs: first port not listening,
 * in list order. */
static void test_fake_fixtures(void **state)
{
	TALLOC_CTX *mem_ctx = talloc_new(NULL);
	char *body = NULL;
	uint16_t ok_ports[] = { 445, 139, 44500 };
	uint16_t bad_ports[] = { 445, 4450, 4451, 139 };
	struct check_result res;
	char *cwd = getcwd(NULL, 0);

	assert_non_null(cwd);
	setenv("PATH", fakedir, 1);
	body = talloc_asprintf(mem_ctx, "exec /bin/cat '%s/" DATA
				        "netstat-ipv4.txt'", cwd);
	fake_tool("netstat", body);
	body = talloc_asprintf(mem_ctx, "exec /bin/cat '%s/" DATA
				        "ss-ipv6.txt'", cwd);
	fake_tool("ss", body);
	body = talloc_asprintf(mem_ctx, "exec /bin/cat '%s/" DATA
				        "nmap-ipv4.txt'", cwd);
	fake_tool("nmap", body);
	free(cwd);

	res = run_checker(mem_ctx, &checker_netstat, ok_ports, 3, 5000);
	assert_int_equal(res.status, CHECK_OK);
	res = run_checker(mem_ctx, &checker_netstat, bad_ports, 4, 5000);
	assert_int_equal(res.status, CHECK_FAIL);
	assert_int_equal(res.port, 4450);
	assert_true(strncmp(res.evidence, "\"netstat -l -t -n\" shows no "
			    "listener on port 4450\nActive Internet", 64) == 0);

	res = run_checker(mem_ctx, &checker_ss, ok_ports, 3, 5000);
	assert_int_equal(res.status, CHECK_OK);
	res = run_checker(mem_ctx, &checker_ss, bad_ports, 4, 5000);
	assert_int_equal(res.status, CHECK_FAIL);
	assert_int_equal(res.port, 4450);

	res = run_checker(mem_ctx, &checker_nmap, ok_ports, 3, 5000);
	assert_int_equal(res.status, CHECK_OK);
	res = run_checker(mem_ctx, &checker_nmap, bad_ports, 4, 5000);
	assert_int_equal(res.status, CHECK_FAIL);
	assert_int_equal(res.port, 4450);

	remove_fakes();
	setenv("PATH", saved_path, 1);
	talloc_free(mem_ctx);
}

/* A listener on an ephemeral 127.0.0.1 port, and a port free now. */
static int open_listener(uint16_t *port)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 5), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

static uint16_t free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

static void test_live(void **state)
{
	const struct port_checker *cs[] = {
		&checker_nmap, &checker_netstat, &checker_ss
	};
	TALLOC_CTX *mem_ctx = talloc_new(NULL);
	uint16_t ports[2];
	int fd;
	size_t i;

	fd = open_listener(&ports[0]);
	ports[1] = free_port();
	for (i = 0; i < 3; i++) {
		struct check_result res;
		char *path = NULL;

		if (run_find_program(mem_ctx, cs[i]->name, &path) != 0) {
			print_message("skipping live %s: not found in PATH\n",
				      cs[i]->name);
			continue;
		}
		res = run_checker(mem_ctx, cs[i], ports, 1, 20000);
		if (res.status != CHECK_OK) {
			fail_msg("%s on listening port %u: status %d: %s",
				 cs[i]->name, (unsigned)ports[0], res.status,
				 res.evidence);
		}
		res = run_checker(mem_ctx, cs[i], ports, 2, 20000);
		if (res.status != CHECK_FAIL || res.port != ports[1]) {
			fail_msg("%s on free port %u: status %d: %s",
				 cs[i]->name, (unsigned)ports[1], res.status,
				 res.evidence);
		}
		assert_non_null(strstr(res.evidence, "shows no listener"));
	}
	close(fd);
	talloc_free(mem_ctx);
}

static int setup(void **state)
{
	const char *p = getenv("PATH");

	saved_path = strdup(p != NULL ? p : "/usr/bin:/bin");
	snprintf(fakedir, sizeof(fakedir), "/tmp/test_compat.XXXXXX");
	if (saved_path == NULL || mkdtemp(fakedir) == NULL) {
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	remove_fakes();
	rmdir(fakedir);
	setenv("PATH", saved_path, 1);
	free(saved_path);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_fixtures),
		cmocka_unit_test(test_parse_text),
		cmocka_unit_test(test_addr_has_port),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_fake_missing),
		cmocka_unit_test(test_fake_failures),
		cmocka_unit_test(test_fake_fixtures),
		cmocka_unit_test(test_live),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
