/*
 * Unit tests for checks/smbconf.c: the testparm parser on saved output
 * of Samba 4.17's testparm -v -s, and the port and domain rules.  The
 * cache is tests/unit/test_smbcache.c.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	assert_int_equal(smbconf_ports(ctx, c, &ports, &nports, NULL, &bad), 0);
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
	assert_int_equal(smbconf_ports(ctx, c, &ports, &nports, NULL, &bad), 0);
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

/* A share without a path of its own uses [global]'s (issue 12). */
static void test_parse_global_path(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct smbconf *c = NULL;
	const char *out =
		"[global]\n"
		"\tlogon path = \\\\%N\\%U\\profile\n"
		"\tusershare path = /var/lib/samba/usershares\n"
		"\tpath = \"/srv/glob\"\n"
		"[a]\n"
		"\tread only = No\n"
		"[b]\n"
		"\tpath = /srv/b\n"
		"[Homes]\n"
		"\tbrowseable = No\n"
		"[off]\n"
		"\tavailable = No\n"
		"[empty]\n"
		"\tpath = \n";
	const char *off =
		"[global]\n"
		"\tavailable = No\n"
		"\tpath = /srv/glob\n"
		"[a]\n"
		"[on]\n"
		"\tavailable = Yes\n";

	assert_int_equal(smbconf_parse_testparm(ctx, out, NULL, &c), 0);
	assert_string_equal(c->global_path, "/srv/glob");
	assert_int_equal(c->nshares, 5);
	assert_string_equal(find_share(c, "a")->path, "/srv/glob");
	assert_false(find_share(c, "a")->own_path);
	assert_true(find_share(c, "a")->available);
	assert_string_equal(find_share(c, "b")->path, "/srv/b");
	assert_true(find_share(c, "b")->own_path);
	/* [homes] serves home directories, never [global]'s path */
	assert_null(find_share(c, "Homes")->path);
	assert_string_equal(find_share(c, "off")->path, "/srv/glob");
	assert_false(find_share(c, "off")->available);
	/* an explicit empty path stays empty */
	assert_string_equal(find_share(c, "empty")->path, "");

	/* available = no in [global] holds where a share does not say */
	assert_int_equal(smbconf_parse_testparm(ctx, off, NULL, &c), 0);
	assert_false(find_share(c, "a")->available);
	assert_true(find_share(c, "on")->available);
	assert_string_equal(find_share(c, "on")->path, "/srv/glob");

	/* no [global] path: nothing to inherit */
	assert_int_equal(smbconf_parse_testparm(ctx, "[global]\n[a]\n",
						NULL, &c), 0);
	assert_null(find_share(c, "a")->path);
	talloc_free(ctx);
}

struct ports_case {
	const char *smb_ports;
	const char *transports;
	int ret;
	const char *bad;
	size_t n;
	uint16_t ports[4];
	size_t nentries;
};

static void test_ports_table(void **state)
{
	static const struct ports_case cases[] = {
		{ NULL, NULL, 0, NULL, 2, { 445, 139 }, 2 },
		{ "", NULL, 0, NULL, 2, { 445, 139 }, 2 },
		{ "445", NULL, 0, NULL, 1, { 445 }, 1 },
		{ "445,139 , 4445", NULL, 0, NULL, 3, { 445, 139, 4445 }, 3 },
		{ "139 139", NULL, 0, NULL, 1, { 139 }, 1 },
		{ "445 abc", NULL, EINVAL, "abc", 0, { 0 }, 0 },
		{ "70000", NULL, EINVAL, "70000", 0, { 0 }, 0 },
		{ ",", NULL, 0, NULL, 0, { 0 }, 0 },
		{ "139", "tcp", 0, NULL, 1, { 445 }, 1 },
		{ "139", "nbt", 0, NULL, 1, { 139 }, 1 },
		{ "139", "tcp:8445,nbt:1139", 0, NULL, 2, { 8445, 1139 }, 2 },
		{ "139", "quic", 0, NULL, 0, { 0 }, 1 },
		{ "139", "+quic, quic:443 tcp", 0, NULL, 1, { 445 }, 3 },
		{ "139", "tcp:99999", EINVAL, "tcp:99999", 0, { 0 }, 0 },
		{ "139", "nbt:x", EINVAL, "nbt:x", 0, { 0 }, 0 },
		{ "139", "  ", 0, NULL, 1, { 139 }, 1 },
		/* Samba 4.23: numbers kept as written (issue 12) */
		{ NULL, "445", 0, NULL, 1, { 445 }, 1 },
		{ NULL, "445, 139", 0, NULL, 2, { 445, 139 }, 2 },
		{ NULL, "445, 8445", 0, NULL, 2, { 445, 8445 }, 2 },
		{ NULL, "8000, nbt:1139", 0, NULL, 2, { 8000, 1139 }, 2 },
		{ NULL, "tcp:445, quic, nbt:139", 0, NULL, 2, { 445, 139 }, 3 },
		{ NULL, "tcp, 445", 0, NULL, 1, { 445 }, 2 },
		{ NULL, "smtp:25 -tcp +nbt", 0, NULL, 0, { 0 }, 3 },
		{ NULL, "445 0", EINVAL, "0", 0, { 0 }, 0 },
		{ NULL, "445x", EINVAL, "445x", 0, { 0 }, 0 },
		{ NULL, ",", 0, NULL, 0, { 0 }, 0 },
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
		size_t nentries = 99;
		char *bad = NULL;
		size_t j;
		int ret;

		ret = smbconf_ports(ctx, &c, &ports, &n, &nentries, &bad);
		assert_int_equal(ret, cases[i].ret);
		if (ret != 0) {
			assert_non_null(bad);
			assert_string_equal(bad, cases[i].bad);
			talloc_free(ctx);
			continue;
		}
		assert_int_equal(n, cases[i].n);
		assert_int_equal(nentries, cases[i].nentries);
		for (j = 0; j < n; j++) {
			assert_int_equal(ports[j], cases[i].ports[j]);
		}
		talloc_free(ctx);
	}
}

struct transports_case {
	const char *s;
	int ret;		/* strict: CTDB_SAMBA_CHECK_PORTS */
	const char *bad;
	size_t n;
	uint16_t ports[4];
};

/* CTDB_SAMBA_CHECK_PORTS and --ports: the same syntax, strictly. */
static void test_transports_strict(void **state)
{
	static const struct transports_case cases[] = {
		{ "tcp:445 nbt:139", 0, NULL, 2, { 445, 139 } },
		{ "445, nbt:1139", 0, NULL, 2, { 445, 1139 } },
		{ "tcp", 0, NULL, 1, { 445 } },
		{ "NBT", 0, NULL, 1, { 139 } },
		{ "445,,139\t", 0, NULL, 2, { 445, 139 } },
		{ "quic", 0, NULL, 0, { 0 } },
		{ "quic:8443 +quic 445", 0, NULL, 1, { 445 } },
		{ "abc", EINVAL, "abc", 0, { 0 } },
		{ "445 abc", EINVAL, "abc", 0, { 0 } },
		{ "70000", EINVAL, "70000", 0, { 0 } },
		{ "tcp:", EINVAL, "tcp:", 0, { 0 } },
		{ "quic:x", EINVAL, "quic:x", 0, { 0 } },
		{ "smtp:25", EINVAL, "smtp:25", 0, { 0 } },
		{ "+", EINVAL, "+", 0, { 0 } },
		{ "++quic", EINVAL, "++quic", 0, { 0 } },
		{ "-445", EINVAL, "-445", 0, { 0 } },
		{ "", 0, NULL, 0, { 0 } },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		TALLOC_CTX *ctx = talloc_new(NULL);
		uint16_t *ports = NULL;
		size_t n = 99;
		char *bad = NULL;
		size_t j;
		int ret;

		ret = smbconf_parse_transports(ctx, cases[i].s, true, &ports,
					       &n, NULL, &bad);
		if (ret != cases[i].ret) {
			print_error("case \"%s\"\n", cases[i].s);
		}
		assert_int_equal(ret, cases[i].ret);
		if (ret != 0) {
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

/* Parameter names compare as Samba compares them. */
static void test_param_eq(void **state)
{
	assert_true(smbconf_param_eq("smb ports", "smb ports"));
	assert_true(smbconf_param_eq("SMB Ports", "smbports"));
	assert_true(smbconf_param_eq(" smb  ports ", "smbports"));
	assert_true(smbconf_param_eq("", "  "));
	assert_false(smbconf_param_eq("smb port", "smb ports"));
	assert_false(smbconf_param_eq("smb ports", "smb port"));
	assert_false(smbconf_param_eq("path", "paths"));
	assert_false(smbconf_param_eq("include", "includ e2"));
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_domain),
		cmocka_unit_test(test_parse_standalone),
		cmocka_unit_test(test_parse_transports),
		cmocka_unit_test(test_parse_dirty_stdout),
		cmocka_unit_test(test_parse_edge_cases),
		cmocka_unit_test(test_parse_global_path),
		cmocka_unit_test(test_param_eq),
		cmocka_unit_test(test_ports_table),
		cmocka_unit_test(test_transports_strict),
		cmocka_unit_test(test_is_domain_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
