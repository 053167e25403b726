/*
 * Unit tests for checks/smbconf.c: the testparm parser on saved output
 * of Samba 4.17's testparm -v -s, port and domain rules, and the cache
 * driven through a stub testparm first on PATH.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "checks/smbconf.h"
#include "checks/util.h"

#define DATA "tests/unit/data/smbconf/"

/* the struct fields are not const; the tests never write through them */
#define UNCONST(s) ((char *)(uintptr_t)(s))

static char *read_fixture(TALLOC_CTX *mem_ctx, const char *name)
{
	char *path = talloc_asprintf(mem_ctx, DATA "%s", name);
	char *buf = NULL;
	FILE *f = NULL;
	long len;

	assert_non_null(path);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	assert_true(len >= 0);
	rewind(f);
	buf = talloc_array(mem_ctx, char, len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, len, f), (size_t)len);
	buf[len] = '\0';
	fclose(f);
	return buf;
}

static struct smbconf *parse_fixture(TALLOC_CTX *mem_ctx, const char *out,
				     const char *err)
{
	struct smbconf *c = NULL;

	assert_int_equal(smbconf_parse_testparm(
				 mem_ctx, read_fixture(mem_ctx, out),
				 err != NULL ? read_fixture(mem_ctx, err) :
					       NULL,
				 &c),
			 0);
	assert_non_null(c);
	return c;
}

static const struct smb_share *find_share(const struct smbconf *c,
					  const char *name)
{
	size_t i;

	for (i = 0; i < c->nshares; i++) {
		if (strcmp(c->shares[i].name, name) == 0) {
			return &c->shares[i];
		}
	}
	fail_msg("share %s not found", name);
	return NULL;
}

/* ---- parser on real testparm output -------------------------------- */

static void test_parse_domain(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct smbconf *c = parse_fixture(ctx, "domain.out", "domain.err");
	char **dirty = NULL;
	size_t n;

	assert_string_equal(c->config_file, "smb.conf");
	assert_string_equal(c->server_role, "ROLE_DOMAIN_MEMBER");
	assert_string_equal(c->security, "ADS");
	assert_string_equal(c->smb_ports, "445 139");
	assert_null(c->transports);
	/* [global] is not a share; testparm lists [inc] where included */
	assert_int_equal(c->nshares, 5);
	assert_string_equal(c->shares[0].name, "inc");
	assert_string_equal(find_share(c, "inc")->path, "/srv/inc");
	assert_string_equal(find_share(c, "share one")->path, "/srv/a b");
	assert_true(find_share(c, "share one")->available);
	assert_string_equal(find_share(c, "homes")->path, "/home/%U");
	assert_string_equal(find_share(c, "off")->path, "/srv/off");
	assert_false(find_share(c, "off")->available);
	assert_true(find_share(c, "plain")->available);
	assert_int_equal(c->ndirty_stdout, 0);
	/* 9 non-empty stderr lines */
	assert_int_equal(c->nstderr, 9);
	assert_string_equal(c->stderr_lines[0],
			    "Load smb config files from smb.conf");
	assert_true(smbconf_is_domain(c));

	n = smbconf_dirty_stderr(ctx, c, &dirty);
	assert_int_equal(n, 2);
	assert_string_equal(dirty[0],
			    "Unknown parameter encountered: \"bogusparam\"");
	assert_string_equal(dirty[1],
			    "ERROR: Invalid idmap range for domain *!");
	talloc_free(ctx);
}

static void test_parse_standalone(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct smbconf *c = parse_fixture(ctx, "standalone.out",
					  "standalone.err");
	uint16_t *ports = NULL;
	size_t nports = 0;
	char *bad = NULL;
	char **dirty = NULL;

	assert_string_equal(c->server_role, "ROLE_STANDALONE");
	assert_string_equal(c->security, "AUTO");
	assert_false(smbconf_is_domain(c));
	/* 4.17 ignores "server smb transports": it is not in stdout */
	assert_null(c->transports);
	assert_string_equal(c->smb_ports, "445 4445");
	assert_int_equal(smbconf_ports(ctx, c, &ports, &nports, &bad), 0);
	assert_int_equal(nports, 2);
	assert_int_equal(ports[0], 445);
	assert_int_equal(ports[1], 4445);

	assert_int_equal(c->nshares, 3);
	assert_string_equal(find_share(c, "data")->path, "/srv/data");
	assert_null(find_share(c, "empty")->path);
	assert_false(find_share(c, "empty")->available);
	assert_int_equal(smbconf_dirty_stderr(ctx, c, &dirty), 2);
	assert_string_equal(dirty[1], "WARNING: No path in service empty - "
				      "making it unavailable!");
	talloc_free(ctx);
}

static void test_parse_transports(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct smbconf *c = parse_fixture(ctx, "transports.out", NULL);
	uint16_t *ports = NULL;
	size_t nports = 0;
	char *bad = NULL;

	assert_non_null(c->transports);
	assert_null(c->config_file);
	assert_null(c->server_role);
	assert_int_equal(c->nstderr, 0);
	assert_int_equal(smbconf_ports(ctx, c, &ports, &nports, &bad), 0);
	/* tcp, nbt:1139, tcp:8445; quic ignored; TCP again is a dup */
	assert_int_equal(nports, 3);
	assert_int_equal(ports[0], 445);
	assert_int_equal(ports[1], 1139);
	assert_int_equal(ports[2], 8445);
	talloc_free(ctx);
}

static void test_parse_dirty_stdout(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct smbconf *c = parse_fixture(ctx, "dirty.out", "standalone.err");

	assert_int_equal(c->ndirty_stdout, 2);
	assert_true(strncmp(c->dirty_stdout[0], "WARNING: this line", 18) ==
		    0);
	assert_string_equal(c->dirty_stdout[1],
			    "Unknown parameter encountered: \"bogus\"");
	/* the dirty line inside [data] does not end the section */
	assert_string_equal(find_share(c, "data")->path, "/srv/data");
	talloc_free(ctx);
}

/* ---- parser on small hand-written text ----------------------------- */

static void test_parse_edge_cases(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct smbconf *c = NULL;
	const char *out =
		"path = /before/any/section\r\n"
		"[GLOBAL]\r\n"
		"\tSMBPorts=139\r\n"
		"\tpath = /global/path\r\n"
		"[broken\n"
		"[q]\n"
		"\tPath = \"/quoted dir\"\n"
		"\tAVAILABLE = false\n"
		"[lone quote]\n"
		"  path = \"\n"
		"[empty]\n"
		"\tpath =\n"
		"  # comment = 1\n"
		"  ; path = /commented\n"
		"[q]\n"
		"\tpath = /again\n";
	const char *err = "\n  \nServer role: active directory domain "
			  "controller\n";

	assert_int_equal(smbconf_parse_testparm(ctx, out, err, &c), 0);
	assert_string_equal(c->smb_ports, "139");
	assert_int_equal(c->nshares, 4);
	assert_string_equal(c->shares[0].name, "q");
	assert_string_equal(c->shares[0].path, "/quoted dir");
	assert_false(c->shares[0].available);
	assert_string_equal(c->shares[1].path, "\"");
	assert_string_equal(c->shares[2].path, "");
	assert_string_equal(c->shares[3].path, "/again");
	assert_int_equal(c->nstderr, 1);
	assert_true(smbconf_is_domain(c));

	/* empty input: no shares, nothing dirty */
	assert_int_equal(smbconf_parse_testparm(ctx, "", NULL, &c), 0);
	assert_int_equal(c->nshares, 0);
	assert_null(c->security);
	talloc_free(ctx);
}

struct ports_case {
	const char *smb_ports;
	const char *transports;
	int ret;
	const char *bad;
	size_t n;
	uint16_t ports[4];
};

static void test_ports_table(void **state)
{
	static const struct ports_case cases[] = {
		{ NULL, NULL, 0, NULL, 2, { 445, 139 } },
		{ "", NULL, 0, NULL, 2, { 445, 139 } },
		{ "445", NULL, 0, NULL, 1, { 445 } },
		{ "445,139 , 4445", NULL, 0, NULL, 3, { 445, 139, 4445 } },
		{ "139 139", NULL, 0, NULL, 1, { 139 } },
		{ "445 abc", NULL, EINVAL, "abc", 0, { 0 } },
		{ "70000", NULL, EINVAL, "70000", 0, { 0 } },
		{ "139", "tcp", 0, NULL, 1, { 445 } },
		{ "139", "nbt", 0, NULL, 1, { 139 } },
		{ "139", "tcp:8445,nbt:1139", 0, NULL, 2, { 8445, 1139 } },
		{ "139", "quic", 0, NULL, 0, { 0 } },
		{ "139", "+quic, quic:443 tcp", 0, NULL, 1, { 445 } },
		{ "139", "tcp:99999", EINVAL, "tcp:99999", 0, { 0 } },
		{ "139", "nbt:x", EINVAL, "nbt:x", 0, { 0 } },
		{ "139", "  ", 0, NULL, 1, { 139 } },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		TALLOC_CTX *ctx = talloc_new(NULL);
		struct smbconf c = {
			.smb_ports = UNCONST(cases[i].smb_ports),
			.transports =
				UNCONST(cases[i].transports),
		};
		uint16_t *ports = NULL;
		size_t n = 99;
		char *bad = NULL;
		size_t j;
		int ret;

		ret = smbconf_ports(ctx, &c, &ports, &n, &bad);
		assert_int_equal(ret, cases[i].ret);
		if (ret != 0) {
			assert_non_null(bad);
			assert_string_equal(bad, cases[i].bad);
			talloc_free(ctx);
			continue;
		}
		assert_int_equal(n, cases[i].n);
		for (j = 0; j < n; j++) {
			assert_int_equal(ports[j], cases[i].ports[j]);
		}
		talloc_free(ctx);
	}
}

static void test_is_domain_table(void **state)
{
	static const struct {
		const char *security;
		const char *role;
		bool domain;
	} cases[] = {
		{ "ads", NULL, true },
		{ "ADS", "ROLE_STANDALONE", true },
		{ "DOMAIN", NULL, true },
		{ "Domain", NULL, true },
		{ "user", NULL, false },
		{ "AUTO", "ROLE_STANDALONE", false },
		{ "AUTO", "ROLE_DOMAIN_MEMBER", true },
		{ "AUTO", "ROLE_DOMAIN_PDC", true },
		{ "AUTO", "ROLE_DOMAIN_BDC", true },
		{ "AUTO", "ROLE_ACTIVE_DIRECTORY_DC", true },
		{ "AUTO", "ROLE_IPA_DC", true },
		{ NULL, "classic primary domain controller", true },
		{ NULL, "ROLE_DOMAIN", false },
		{ NULL, NULL, false },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct smbconf c = {
			.security = UNCONST(cases[i].security),
			.server_role = UNCONST(cases[i].role),
		};

		assert_int_equal(smbconf_is_domain(&c), cases[i].domain);
	}
	assert_false(smbconf_is_domain(NULL));
}

/* ---- the cache, with a stub testparm ------------------------------- */

static const char stub_script[] =
	"#!/bin/sh\n"
	"echo \"$*\" >> \"$STUB_LOG\"\n"
	"if [ -n \"$STUB_HANG\" ]; then exec sleep 30; fi\n"
	"if [ -n \"$STUB_FAIL\" ]; then\n"
	"\techo \"Error loading services.\" >&2\n"
	"\texit 1\n"
	"fi\n"
	"echo \"Load smb config files from $STUB_SMBCONF\" >&2\n"
	"echo \"Loaded services file OK.\" >&2\n"
	"echo >&2\n"
	"echo \"Server role: ROLE_DOMAIN_MEMBER\" >&2\n"
	"cat \"$STUB_OUT\"\n";

struct env {
	char *dir;
	char *state;
	char *log;
	char *smbconf;
	char *inc;
	char *old_path;
	char *mnt;		/* a hung FUSE mount point, or NULL */
	int fuse_fd;
};

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(close(fd), 0);
}

/* File timestamps just written look "racy" to the cache: wait. */
static void settle(void)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = 200 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

static int env_setup(void **state)
{
	struct env *e = talloc_zero(NULL, struct env);
	char tmpl[] = "/tmp/test smbconf.XXXXXX";
	char *bin = NULL;
	char *out = NULL;
	char cwd[4096];

	assert_non_null(mkdtemp(tmpl));
	e->dir = talloc_strdup(e, tmpl);
	e->state = talloc_asprintf(e, "%s/state", e->dir);
	e->log = talloc_asprintf(e, "%s/log", e->dir);
	e->smbconf = talloc_asprintf(e, "%s/smb conf", e->dir);
	e->inc = talloc_asprintf(e, "%s/inc.conf", e->dir);
	e->fuse_fd = -1;
	bin = talloc_asprintf(e, "%s/bin", e->dir);
	assert_int_equal(mkdir(e->state, 0755), 0);
	assert_int_equal(mkdir(bin, 0755), 0);
	write_file(talloc_asprintf(e, "%s/testparm", bin), stub_script, 0755);
	write_file(e->smbconf,
		   talloc_asprintf(e,
				   "[global]\n"
				   "  Include=\"%s\"\n"
				   "  include = /etc/samba/%%m.conf\n"
				   "  config backend = registry\n"
				   "  include = registry\n",
				   e->inc),
		   0644);
	write_file(e->inc, "[inc]\npath = /srv/inc\n", 0644);

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	out = talloc_asprintf(e, "%s/" DATA "domain.out", cwd);
	e->old_path = talloc_strdup(e, getenv("PATH"));
	setenv("PATH", talloc_asprintf(e, "%s:%s", bin, e->old_path), 1);
	setenv("STUB_LOG", e->log, 1);
	setenv("STUB_SMBCONF", e->smbconf, 1);
	setenv("STUB_OUT", out, 1);
	unsetenv("STUB_FAIL");
	unsetenv("STUB_HANG");
	settle();
	*state = e;
	return 0;
}

static void rm_rf(const char *dir)
{
	/* only the few names the tests create */
	static const char *const names[] = {
		"bin/testparm", "bin", "state/smb.conf.cache", "state",
		"log", "smb conf", "inc.conf", "notadir", "fifo", "mnt",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *p = talloc_asprintf(NULL, "%s/%s", dir, names[i]);

		if (unlink(p) != 0) {
			(void)rmdir(p);
		}
		talloc_free(p);
	}
	(void)rmdir(dir);
}

/* ---- a file system that never answers ------------------------------ */

/*
 * Mount a FUSE file system on @p dir that nobody serves: every look
 * under it sleeps in the kernel (D state) until the mount is aborted.
 * Needs root and /dev/fuse; false when that is not possible here.
 */
static bool hung_mount(struct env *e, const char *dir)
{
	char opts[128];

	e->fuse_fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (e->fuse_fd == -1) {
		return false;
	}
	snprintf(opts, sizeof(opts),
		 "fd=%d,rootmode=40000,user_id=0,group_id=0", e->fuse_fd);
	if (mount("hung", dir, "fuse.hung", MS_NOSUID | MS_NODEV, opts) != 0) {
		close(e->fuse_fd);
		e->fuse_fd = -1;
		return false;
	}
	e->mnt = talloc_strdup(e, dir);
	return true;
}

/* Abort the hung mount: sleepers wake up (ENOTCONN), then unmount. */
static void hung_unmount(struct env *e)
{
	if (e->mnt == NULL) {
		return;
	}
	(void)umount2(e->mnt, MNT_FORCE);
	(void)umount2(e->mnt, MNT_DETACH);
	close(e->fuse_fd);
	e->fuse_fd = -1;
	TALLOC_FREE(e->mnt);
}

/* Reap one child, which must have been killed by SIGKILL. */
static void reap_killed_child(void)
{
	int status = 0;

	assert_true(waitpid(-1, &status, 0) > 0);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
}

static void assert_no_children(void)
{
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

static int env_teardown(void **state)
{
	struct env *e = *state;

	hung_unmount(e);

	setenv("PATH", e->old_path, 1);
	unsetenv("STUB_FAIL");
	unsetenv("STUB_HANG");
	rm_rf(e->dir);
	talloc_free(e);
	return 0;
}

static int stub_runs(const struct env *e)
{
	FILE *f = fopen(e->log, "r");
	int n = 0;
	int ch;

	if (f == NULL) {
		return 0;
	}
	while ((ch = fgetc(f)) != EOF) {
		if (ch == '\n') {
			n++;
		}
	}
	fclose(f);
	return n;
}

static enum smbconf_source load(TALLOC_CTX *ctx, const char *state_dir,
				unsigned max_age, unsigned timeout,
				bool force, struct smbconf **conf,
				struct smbconf_status *st)
{
	struct deadline dl;
	struct smbconf_cache_opts opts = {
		.state_dir = state_dir,
		.max_age = max_age,
		.deadline = &dl,
	};

	deadline_init(&dl, timeout);
	assert_int_equal(smbconf_load(ctx, &opts, force, conf, st), 0);
	return st->source;
}

static void touch_later(const char *path)
{
	struct timespec times[2] = {
		{ .tv_sec = 0, .tv_nsec = UTIME_NOW },
		{ .tv_sec = 0, .tv_nsec = UTIME_NOW },
	};

	assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
	settle();
}

static void test_load_cache_cycle(void **state)
{
	struct env *e = *state;
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct smbconf *c = NULL;
	struct smbconf_status st;
	char *cache = talloc_asprintf(ctx, "%s/smb.conf.cache", e->state);

	/* no cache: testparm runs */
	assert_int_equal(load(ctx, e->state, 60, 10, false, &c, &st),
			 SMBCONF_REFRESHED);
	assert_int_equal(stub_runs(e), 1);
	assert_false(st.cache_unwritable);
	assert_non_null(c);
	assert_string_equal(c->config_file, e->smbconf);
	assert_int_equal(c->nshares, 5);

	/* the header records both files, the path with a space last */
	{
		FILE *f = fopen(cache, "r");
		char line[4096];
		int files = 0;

		assert_non_null(f);
		assert_non_null(fgets(line, sizeof(line), f));
		assert_string_equal(line, "# ctdb-checksamba cache 1\n");
		while (fgets(line, sizeof(line), f) != NULL) {
			if (strncmp(line, "# file ", 7) == 0) {
				files++;
			}
			if (strcmp(line, "# body\n") == 0) {
				break;
			}
		}
		assert_int_equal(files, 2);
		/* then testparm's stdout, verbatim */
		assert_non_null(fgets(line, sizeof(line), f));
		assert_string_equal(line, "# Global parameters\n");
		fclose(f);
	}

	/* fresh: no program run, same answer */
	assert_int_equal(load(ctx, e->state, 60, 10, false, &c, &st),
			 SMBCONF_FROM_CACHE);
	assert_int_equal(stub_runs(e), 1);
	assert_string_equal(c->config_file, e->smbconf);
	assert_string_equal(c->server_role, "ROLE_DOMAIN_MEMBER");
	assert_string_equal(c->security, "ADS");
	assert_int_equal(c->nshares, 5);
	assert_string_equal(find_share(c, "share one")->path, "/srv/a b");
	assert_false(find_share(c, "off")->available);
	assert_int_equal(c->nstderr, 3);

	/* smb.conf touched */
	touch_later(e->smbconf);
	assert_int_equal(load(ctx, e->state, 60, 10, false, &c, &st),
			 SMBCONF_REFRESHED);
	assert_int_equal(stub_runs(e), 2);
	assert_int_equal(load(ctx, e->state, 60, 10, false, &c, &st),
			 SMBCONF_FROM_CACHE);

	/* an included file changed (same size, new content) */
	write_file(e->inc, "[inc]\npath = /srv/cni\n", 0644);
	settle();
	assert_int_equal(load(ctx, e->state, 60, 10, false, &c, &st),
			 SMBCONF_REFRESHED);
	assert_int_equal(stub_runs(e), 3);
	assert_int_equal(load(ctx, e->state, 60, 10, false, &c, &st),
			 SMBCONF_FROM_CACHE);

	/* an included file removed: a change; then missing stays fresh */
	assert_int_equal(unlink(e->inc), 0);
	assert_int_equal(load(ctx, e->state, 60, 10, false, &c, &st),
			 SMBCONF_REFRESHED);
	assert_int_equal(load(ctx, e->state, 60, 10, false, &c, &st),
			 SMBCONF_FROM_CACHE);
	assert_int_equal(stub_runs(e), 4);
	/* ...and coming back is a change too */
	write_file(e->inc, "[inc]\npath = /srv/inc\n", 0644);
	settle();
	assert_int_equal(load(ctx, e->state, 60, 10, false, &c, &st),
			 SMBCONF_REFRESHED);
	assert_int_equal(stub_runs(e), 5);

	/* max age 0: always refreshed */
	assert_int_equal(load(ctx, e->state, 0, 10, false, &c, &st),
			 SMBCONF_REFRESHED);
	assert_int_equal(stub_runs(e), 6);

	/* a cache older than max_age */
	{
		struct timespec old[2] = {
			{ .tv_sec = time(NULL) - 100 },
			{ .tv_sec = time(NULL) - 100 },
		};

		assert_int_equal(utimensat(AT_FDCWD, cache, old, 0), 0);
		assert_int_equal(load(ctx, e->state, 60, 10, false, &c, &st),
				 SMBCONF_REFRESHED);
		assert_int_equal(stub_runs(e), 7);
	}

	/* forced */
	assert_int_equal(load(ctx, e->state, 60, 10, true, &c, &st),
			 SMBCONF_REFRESHED);
	assert_int_equal(stub_runs(e), 8);
	assert_int_equal(load(ctx, e->state, 60, 10, false, &c, &st),
			 SMBCONF_FROM_CACHE);

	/* a damaged cache is as good as none */
	write_file(cache, "# ctdb-checksamba cache 1\n# file 1 2 3", 0644);
	assert_int_equal(load(ctx, e->state, 60, 10, false, &c, &st),
			 SMBCONF_REFRESHED);
	assert_int_equal(stub_runs(e), 9);
	talloc_free(ctx);
}

static void test_load_failures(void **state)
{
	struct env *e = *state;
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct smbconf *c = NULL;
	struct smbconf_status st;

	/* no cache, testparm fails */
	setenv("STUB_FAIL", "1", 1);
	c = talloc_zero(ctx, struct smbconf);
	assert_int_equal(load(ctx, e->state, 60, 10, false, &c, &st),
			 SMBCONF_NONE);
	assert_null(c);
	assert_false(st.timed_out);
	assert_non_null(st.testparm_err);
	assert_non_null(strstr(st.testparm_err, "Error loading services."));

	/* make a cache, then fail again: the old cache is used */
	unsetenv("STUB_FAIL");
	assert_int_equal(load(ctx, e->state, 60, 10, false, &c, &st),
			 SMBCONF_REFRESHED);
	assert_null(st.testparm_err);
	setenv("STUB_FAIL", "1", 1);
	assert_int_equal(load(ctx, e->state, 60, 10, true, &c, &st),
			 SMBCONF_OLD_CACHE);
	assert_non_null(c);
	assert_int_equal(c->nshares, 5);
	assert_false(st.timed_out);
	assert_non_null(strstr(st.testparm_err, "Error loading services."));
	assert_int_equal(stub_runs(e), 3);
	talloc_free(ctx);
}

static void test_load_hang(void **state)
{
	struct env *e = *state;
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct smbconf *c = NULL;
	struct smbconf_status st;
	int64_t t0;

	setenv("STUB_HANG", "1", 1);
	t0 = util_now_ms();
	assert_int_equal(load(ctx, e->state, 60, 1, false, &c, &st),
			 SMBCONF_NONE);
	assert_true(util_now_ms() - t0 < 1500);
	assert_true(st.timed_out);
	assert_null(c);

	unsetenv("STUB_HANG");
	assert_int_equal(load(ctx, e->state, 60, 10, false, &c, &st),
			 SMBCONF_REFRESHED);
	setenv("STUB_HANG", "1", 1);
	t0 = util_now_ms();
	assert_int_equal(load(ctx, e->state, 60, 1, true, &c, &st),
			 SMBCONF_OLD_CACHE);
	assert_true(util_now_ms() - t0 < 1500);
	assert_true(st.timed_out);
	assert_non_null(c);
	assert_string_equal(c->security, "ADS");
	talloc_free(ctx);
}

static void test_load_unwritable(void **state)
{
	struct env *e = *state;
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct smbconf *c = NULL;
	struct smbconf_status st;
	char *file = talloc_asprintf(ctx, "%s/notadir", e->dir);

	/* a file where the state directory should be */
	write_file(file, "", 0644);
	assert_int_equal(load(ctx, file, 60, 10, false, &c, &st),
			 SMBCONF_REFRESHED);
	assert_true(st.cache_unwritable);
	assert_non_null(c);
	assert_int_equal(c->nshares, 5);

	/* no state directory at all: testparm every time, no cache */
	assert_int_equal(load(ctx, NULL, 60, 10, false, &c, &st),
			 SMBCONF_REFRESHED);
	assert_false(st.cache_unwritable);
	assert_int_equal(load(ctx, NULL, 60, 10, false, &c, &st),
			 SMBCONF_REFRESHED);
	assert_int_equal(stub_runs(e), 3);
	talloc_free(ctx);
}

/* Does the cache header hold this line? */
static bool cache_has_line(const struct env *e, const char *want)
{
	char *cache = talloc_asprintf(NULL, "%s/smb.conf.cache", e->state);
	FILE *f = fopen(cache, "r");
	char line[4096];
	bool found = false;

	talloc_free(cache);
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strcmp(line, "# body\n") == 0) {
			break;
		}
		if (strcmp(line, want) == 0) {
			found = true;
		}
	}
	fclose(f);
	return found;
}

/*
 * An include that blocks when read (a FIFO nobody writes: open() waits
 * for a writer).  The include walk after testparm runs in a child that
 * is abandoned at the deadline: the run keeps testparm's answer, ends
 * in time, and records smb.conf so that the next run refreshes.
 */
static void test_load_include_blocks(void **state)
{
	struct env *e = *state;
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct smbconf *c = NULL;
	struct smbconf_status st;
	char *fifo = talloc_asprintf(ctx, "%s/fifo", e->dir);
	int64_t t0;

	assert_int_equal(mkfifo(fifo, 0644), 0);
	write_file(e->smbconf,
		   talloc_asprintf(ctx, "[global]\n include = %s\n", fifo),
		   0644);
	settle();

	t0 = util_now_ms();
	assert_int_equal(load(ctx, e->state, 60, 1, false, &c, &st),
			 SMBCONF_REFRESHED);
	assert_true(util_now_ms() - t0 < 1500);
	assert_true(util_now_ms() - t0 >= 900);
	assert_int_equal(stub_runs(e), 1);
	assert_non_null(c);
	assert_int_equal(c->nshares, 5);
	assert_false(st.timed_out);
	/* smb.conf recorded with an identity no file has */
	assert_true(cache_has_line(
		e, talloc_asprintf(ctx, "# file 0 0 0 0 0 %s\n", e->smbconf)));
	/* the walker was left to us, killed, not reaped */
	reap_killed_child();
	assert_no_children();

	/* so the next run refreshes; with a plain include, all is well */
	assert_int_equal(unlink(fifo), 0);
	write_file(fifo, "[x]\npath = /srv/x\n", 0644);
	settle();
	assert_int_equal(load(ctx, e->state, 60, 10, false, &c, &st),
			 SMBCONF_REFRESHED);
	assert_int_equal(stub_runs(e), 2);
	assert_false(cache_has_line(
		e, talloc_asprintf(ctx, "# file 0 0 0 0 0 %s\n", e->smbconf)));
	assert_int_equal(load(ctx, e->state, 60, 10, false, &c, &st),
			 SMBCONF_FROM_CACHE);
	assert_int_equal(stub_runs(e), 2);
	/* the healthy path left no child behind */
	assert_no_children();
	talloc_free(ctx);
}

/*
 * An include on a mount that never answers (stat() sleeps in the
 * kernel): the freshness check gives up at the deadline and the old
 * cache is used, without testparm (it would hang on the same file);
 * a forced refresh keeps testparm's answer and records the files as
 * unknown.
 */
static void test_load_include_hung_mount(void **state)
{
	struct env *e = *state;
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct smbconf *c = NULL;
	struct smbconf_status st;
	char *mnt = talloc_asprintf(ctx, "%s/mnt", e->dir);
	char *inc = talloc_asprintf(ctx, "%s/inc.conf", mnt);
	int64_t t0;

	assert_int_equal(mkdir(mnt, 0755), 0);
	write_file(e->smbconf,
		   talloc_asprintf(ctx, "[global]\n include = %s\n", inc),
		   0644);
	settle();
	assert_int_equal(load(ctx, e->state, 60, 10, false, &c, &st),
			 SMBCONF_REFRESHED);
	assert_true(cache_has_line(
		e, talloc_asprintf(ctx, "# missing %s\n", inc)));
	assert_int_equal(load(ctx, e->state, 60, 10, false, &c, &st),
			 SMBCONF_FROM_CACHE);
	assert_int_equal(stub_runs(e), 1);

	if (!hung_mount(e, mnt)) {
		talloc_free(ctx);
		skip();
	}

	t0 = util_now_ms();
	assert_int_equal(load(ctx, e->state, 60, 1, false, &c, &st),
			 SMBCONF_OLD_CACHE);
	assert_true(util_now_ms() - t0 < 1500);
	assert_true(st.timed_out);
	assert_null(st.testparm_err);
	assert_non_null(c);
	assert_string_equal(c->security, "ADS");
	/* testparm was not run */
	assert_int_equal(stub_runs(e), 1);

	/* forced: testparm (the stub reads nothing) answers, the walk not */
	t0 = util_now_ms();
	assert_int_equal(load(ctx, e->state, 60, 1, true, &c, &st),
			 SMBCONF_REFRESHED);
	assert_true(util_now_ms() - t0 < 1500);
	assert_int_equal(stub_runs(e), 2);
	assert_int_equal(c->nshares, 5);
	assert_true(cache_has_line(
		e, talloc_asprintf(ctx, "# file 0 0 0 0 0 %s\n", e->smbconf)));

	/* the two abandoned children end once the mount is aborted */
	hung_unmount(e);
	reap_killed_child();
	reap_killed_child();
	assert_no_children();

	/* the unknown record makes the next run refresh, then all is well */
	assert_int_equal(load(ctx, e->state, 60, 10, false, &c, &st),
			 SMBCONF_REFRESHED);
	assert_int_equal(load(ctx, e->state, 60, 10, false, &c, &st),
			 SMBCONF_FROM_CACHE);
	assert_int_equal(stub_runs(e), 3);
	assert_no_children();
	talloc_free(ctx);
}

/* The real testparm on this machine's /etc/samba/smb.conf (read only). */
static void test_load_real_testparm(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct smbconf *c = NULL;
	struct smbconf_status st;
	char tmpl[] = "/tmp/test-smbconf-real.XXXXXX";
	char *cache = NULL;
	struct stat before;

	if (access("/usr/bin/testparm", X_OK) != 0 ||
	    access("/etc/samba/smb.conf", R_OK) != 0) {
		skip();
	}
	assert_non_null(mkdtemp(tmpl));
	assert_int_equal(stat("/etc/samba/smb.conf", &before), 0);
	cache = talloc_asprintf(ctx, "%s/smb.conf.cache", tmpl);
	assert_int_equal(load(ctx, tmpl, 60, 20, false, &c, &st),
			 SMBCONF_REFRESHED);
	assert_false(st.cache_unwritable);
	assert_string_equal(c->config_file, "/etc/samba/smb.conf");
	assert_non_null(c->server_role);
	assert_non_null(c->smb_ports);
	if (load(ctx, tmpl, 60, 20, false, &c, &st) != SMBCONF_FROM_CACHE) {
		struct stat now;

		/* only acceptable when someone changed smb.conf meanwhile */
		assert_int_equal(stat("/etc/samba/smb.conf", &now), 0);
		assert_true(now.st_ctim.tv_sec != before.st_ctim.tv_sec ||
			    now.st_ctim.tv_nsec != before.st_ctim.tv_nsec);
	}
	assert_string_equal(c->config_file, "/etc/samba/smb.conf");
	assert_int_equal(unlink(cache), 0);
	assert_int_equal(rmdir(tmpl), 0);
	talloc_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_domain),
		cmocka_unit_test(test_parse_standalone),
		cmocka_unit_test(test_parse_transports),
		cmocka_unit_test(test_parse_dirty_stdout),
		cmocka_unit_test(test_parse_edge_cases),
		cmocka_unit_test(test_ports_table),
		cmocka_unit_test(test_is_domain_table),
		cmocka_unit_test_setup_teardown(test_load_cache_cycle,
						env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_load_failures, env_setup,
						env_teardown),
		cmocka_unit_test_setup_teardown(test_load_hang, env_setup,
						env_teardown),
		cmocka_unit_test_setup_teardown(test_load_unwritable,
						env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_load_include_blocks,
						env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(test_load_include_hung_mount,
						env_setup, env_teardown),
		cmocka_unit_test(test_load_real_testparm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
