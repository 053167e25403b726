/*
 * Unit tests for checks/config.c: the shell-fragment parser, file
 * loading, precedence and the typed getters.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <talloc.h>

#include "checks/config.h"
#include "checks/log.h"

#define DATA "tests/unit/data/config/"

struct parse_case {
	const char *line;
	enum config_line_kind kind;
	const char *name;	/* ASSIGN: expected name */
	const char *value;	/* ASSIGN: expected value; SKIP: expected why
				 * or NULL for any reason */
};

#define EMPTY(l) { l, CONFIG_LINE_EMPTY, NULL, NULL }
#define ASSIGN(l, n, v) { l, CONFIG_LINE_ASSIGN, n, v }
#define SKIP(l) { l, CONFIG_LINE_SKIP, NULL, NULL }
#define SHELL(l) { l, CONFIG_LINE_SKIP, NULL, "needs a shell" }
#define UNSET(l, n) { l, CONFIG_LINE_UNSET, n, NULL }

static const struct parse_case parse_cases[] = {
	/* blank lines and comments */
	EMPTY(""),
	EMPTY("   \t "),
	EMPTY("# a comment"),
	EMPTY("   # an indented comment $(touch /tmp/x)"),
	EMPTY("\r"),
	/* plain assignments */
	ASSIGN("X=1", "X", "1"),
	ASSIGN("_x_9=abc", "_x_9", "abc"),
	ASSIGN("  X=1", "X", "1"),
	ASSIGN("\tX=1", "X", "1"),
	ASSIGN("export X=1", "X", "1"),
	ASSIGN("export \t X=1", "X", "1"),
	ASSIGN("exportX=1", "exportX", "1"),
	ASSIGN("CTDB_MANAGED_SERVICES=samba,winbind", "CTDB_MANAGED_SERVICES",
	       "samba,winbind"),
	ASSIGN("X=a#b", "X", "a#b"),
	ASSIGN("X=a~b", "X", "a~b"),
	ASSIGN("X=/a=b", "X", "/a=b"),
	/* quoting */
	ASSIGN("X='a b'", "X", "a b"),
	ASSIGN("X='$(touch /tmp/x) `id` ${Y}'", "X",
	       "$(touch /tmp/x) `id` ${Y}"),
	ASSIGN("X='a\\b'", "X", "a\\b"),
	ASSIGN("X='~'", "X", "~"),
	ASSIGN("X=\"a b\"", "X", "a b"),
	ASSIGN("X=\"a'b\"", "X", "a'b"),
	ASSIGN("X=\"a\\\"b\"", "X", "a\"b"),
	ASSIGN("X=\"a\\\\b\"", "X", "a\\b"),
	ASSIGN("X=\"\\$HOME\"", "X", "$HOME"),
	ASSIGN("X=\"\\`id\\`\"", "X", "`id`"),
	ASSIGN("X=\"a\\nb\"", "X", "a\\nb"),
	ASSIGN("X=\"a;b|c&d<e>f(g)\"", "X", "a;b|c&d<e>f(g)"),
	ASSIGN("X=a\"b c\"'d'", "X", "ab cd"),
	ASSIGN("X='a'\"b\"c", "X", "abc"),
	ASSIGN("X=a\\ b", "X", "a b"),
	ASSIGN("X=\\$HOME", "X", "$HOME"),
	/* empty values */
	ASSIGN("X=", "X", ""),
	ASSIGN("X=\"\"", "X", ""),
	ASSIGN("X=''", "X", ""),
	ASSIGN("X= # nothing", "X", ""),
	/* comments and spaces after the value */
	ASSIGN("X=1 # comment", "X", "1"),
	ASSIGN("X=1\t#comment", "X", "1"),
	ASSIGN("X='a b'   # c", "X", "a b"),
	ASSIGN("X=\"a b\" #", "X", "a b"),
	ASSIGN("X=1   ", "X", "1"),
	/* CRLF */
	ASSIGN("X=1\r", "X", "1"),
	ASSIGN("X='a b'\r", "X", "a b"),
	ASSIGN("X=1 # c\r", "X", "1"),
	/* what needs a shell */
	SHELL("X=$(touch /tmp/marker)"),
	SHELL("X=`touch /tmp/marker`"),
	SHELL("X=${X}"),
	SHELL("X=$X"),
	SHELL("X=a$"),
	SHELL("X=\"$(touch /tmp/marker)\""),
	SHELL("X=\"`id`\""),
	SHELL("X=\"a${Y}b\""),
	SHELL("X='ok'$Y"),
	SHELL("X=~/dir"),
	SHELL("X=/a:~/b"),
	SHELL("export X=$(id)"),
	/* shell operators in bare words */
	SKIP("X=a;b"),
	SKIP("X=1;"),
	SKIP("X=a|b"),
	SKIP("X=a&b"),
	SKIP("X=a&"),
	SKIP("X=a<b"),
	SKIP("X=a>b"),
	SKIP("X=(a)"),
	/* unterminated quotes and continuation lines */
	{ "X='abc", CONFIG_LINE_SKIP, NULL, "unterminated quote" },
	/* readonly assigns like export; unset forgets */
	ASSIGN("readonly A=1", "A", "1"),
	ASSIGN("  readonly   A='x y'  # c", "A", "x y"),
	SKIP("readonly A"),
	ASSIGN("readonlyA=1", "readonlyA", "1"),
	UNSET("unset A", "A"),
	UNSET("unset -v A  B_2\tc # gone", "A B_2 c"),
	SKIP("unset"),
	EMPTY("unset -v"),
	SKIP("unset -f f"),
	SKIP("unset A=1"),
	SKIP("unset $A"),
	SKIP("unset A;B"),
	{ "X=\"abc", CONFIG_LINE_SKIP, NULL, "unterminated quote" },
	{ "X=\"abc\\\"", CONFIG_LINE_SKIP, NULL, "unterminated quote" },
	SKIP("X=abc\\"),
	/* everything else */
	SKIP("f() {"),
	SKIP("function f {"),
	SKIP("}"),
	SKIP("if [ -f /etc/foo ]; then"),
	SKIP("fi"),
	SKIP("ulimit -n 4096"),
	SKIP(". /etc/foo"),
	SKIP("source /etc/foo"),
	SKIP("export X"),
	SKIP("export"),
	SKIP("X=1 Y=2"),
	SKIP("X=1 command"),
	SKIP("X=a b"),
	SKIP("X= 1"),
	SKIP("X =1"),
	SKIP("1X=1"),
	SKIP("X-Y=1"),
	SKIP("X.Y=1"),
	SKIP("X[1]=1"),
	SKIP("=1"),
	SKIP("$X=1"),
	SKIP("X+=1"),
};

static void test_parse_line(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		TALLOC_CTX *ctx = talloc_new(NULL);
		enum config_line_kind kind;
		char *name = NULL;
		char *value = NULL;
		const char *why = NULL;

		assert_non_null(ctx);
		kind = config_parse_line(ctx, c->line, &name, &value, &why);
		if (kind != c->kind) {
			print_error("line [%s]: kind %d, expected %d (%s)\n",
				    c->line, kind, c->kind,
				    why != NULL ? why : "-");
		}
		assert_int_equal(kind, c->kind);
		switch (kind) {
		case CONFIG_LINE_ASSIGN:
			assert_non_null(name);
			assert_non_null(value);
			assert_string_equal(name, c->name);
			if (strcmp(value, c->value) != 0) {
				print_error("line [%s]: value [%s]\n",
					    c->line, value);
			}
			assert_string_equal(value, c->value);
			assert_ptr_equal(talloc_parent(name), ctx);
			assert_ptr_equal(talloc_parent(value), ctx);
			break;
		case CONFIG_LINE_SKIP:
			assert_non_null(why);
			assert_null(name);
			assert_null(value);
			if (c->value != NULL) {
				assert_string_equal(why, c->value);
			}
			break;
		case CONFIG_LINE_EMPTY:
			assert_null(name);
			assert_null(value);
			break;
		case CONFIG_LINE_UNSET:
			assert_non_null(name);
			assert_null(value);
			assert_string_equal(name, c->name);
			break;
		}
		/* nothing but the results is left on the context */
		assert_int_equal(talloc_total_blocks(ctx),
				 kind == CONFIG_LINE_ASSIGN ? 3 :
				 kind == CONFIG_LINE_UNSET ? 2 : 1);
		talloc_free(ctx);
	}
}

static int count_lines(const char *text)
{
	int n = 0;

	for (; *text != '\0'; text++) {
		if (*text == '\n') {
			n++;
		}
	}
	return n;
}

static void test_load_basic(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct config *cfg = config_new(ctx);
	const char *text = NULL;

	assert_non_null(cfg);
	clog_start(ctx, CLOG_DEBUG);
	assert_int_equal(config_load_file(cfg, DATA "basic.conf"), 0);

	/* later assignments win */
	assert_string_equal(config_get(cfg, "CTDB_TEST_A"), "second");
	assert_string_equal(config_get(cfg, "CTDB_TEST_B"), "two words");
	assert_null(config_get(cfg, "CTDB_TEST_C"));
	assert_string_equal(config_get(cfg, "CTDB_TEST_D"),
			    "single $quoted");
	/* empty counts as unset */
	assert_null(config_get(cfg, "CTDB_TEST_E"));

	text = clog_text();
	assert_non_null(strstr(text, DATA "basic.conf:5: skipped: "
				     "needs a shell\n"));
	assert_non_null(strstr(text, DATA "basic.conf:6: skipped: "));
	assert_non_null(strstr(text, DATA "basic.conf:9: skipped: "));
	/* exactly three skipped lines, nothing else */
	assert_null(strstr(text, "basic.conf:1:"));
	assert_null(strstr(text, "basic.conf:4:"));
	assert_null(strstr(text, "basic.conf:7:"));
	assert_int_equal(count_lines(text), 3);
	clog_end();

	/* a second file on top: later files win */
	assert_int_equal(config_load_file(cfg, DATA "crlf.conf"), 0);
	assert_string_equal(config_get(cfg, "CTDB_TEST_A"), "dos");
	assert_string_equal(config_get(cfg, "CTDB_TEST_B"), "quoted dos");
	assert_string_equal(config_get(cfg, "CTDB_TEST_D"),
			    "single $quoted");
	talloc_free(ctx);
}

static void test_load_no_final_newline(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct config *cfg = config_new(ctx);

	assert_int_equal(config_load_file(cfg, DATA "no-final-newline.conf"),
			 0);
	assert_string_equal(config_get(cfg, "CTDB_TEST_A"), "one");
	assert_string_equal(config_get(cfg, "CTDB_TEST_B"), "last");
	talloc_free(ctx);
}

static void test_load_errors(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct config *cfg = config_new(ctx);

	assert_int_equal(config_load_file(cfg, DATA "does-not-exist.conf"),
			 ENOENT);
	assert_int_equal(config_load_file(cfg, "tests/unit/data/config"),
			 EISDIR);
	assert_int_equal(config_load_file(cfg, "tests/unit/data/config/"),
			 EISDIR);
	assert_int_equal(config_load_file(cfg, DATA "basic.conf/x"),
			 ENOTDIR);
	/* nothing was loaded by the failures */
	assert_null(config_get(cfg, "CTDB_TEST_A"));
	talloc_free(ctx);
}

/* As root a mode 000 file is readable: drop to nobody in a child. */
static int load_as_nobody(TALLOC_CTX *ctx, const char *path)
{
	pid_t pid;
	int status = 0;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct config *cfg = config_new(ctx);
		int ret = 255;

		if (setgid(65534) == 0 && setuid(65534) == 0) {
			ret = config_load_file(cfg, path);
		}
		/* the child's copy of the test's memory (for valgrind) */
		talloc_free(ctx);
		_exit(ret);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void test_load_unreadable(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct config *cfg = config_new(ctx);
	char dir[] = "/tmp/test_config.XXXXXX";
	char *path = NULL;
	int fd;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(chmod(dir, 0755), 0);
	path = talloc_asprintf(ctx, "%s/secret.conf", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0000);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "X=1\n", 4), 4);
	close(fd);
	assert_int_equal(chmod(path, 0000), 0);
	if (geteuid() == 0) {
		assert_int_equal(load_as_nobody(ctx, path), EACCES);
	} else {
		assert_int_equal(config_load_file(cfg, path), EACCES);
	}
	unlink(path);
	rmdir(dir);
	talloc_free(ctx);
}

static void test_load_huge_line(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct config *cfg = config_new(ctx);
	char dir[] = "/tmp/test_config.XXXXXX";
	/* three such lines just fit under CONFIG_MAX_FILE */
	const size_t big = CONFIG_MAX_FILE / 3 - 100;
	char *path = NULL;
	char *line = NULL;
	FILE *f = NULL;

	assert_non_null(mkdtemp(dir));
	path = talloc_asprintf(ctx, "%s/big.conf", dir);
	line = talloc_array(ctx, char, big + 1);
	assert_non_null(line);
	memset(line, 'a', big);
	line[big] = '\0';

	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "CTDB_TEST_A=%s\n", line);
	fprintf(f, "%s\n", line);			/* a long skip */
	fprintf(f, "CTDB_TEST_B=after\n");
	fprintf(f, "CTDB_TEST_C=%s", line);		/* no newline */
	assert_int_equal(fclose(f), 0);

	clog_start(ctx, CLOG_DEBUG);
	assert_int_equal(config_load_file(cfg, path), 0);
	assert_int_equal(strlen(config_get(cfg, "CTDB_TEST_A")), big);
	assert_string_equal(config_get(cfg, "CTDB_TEST_B"), "after");
	assert_int_equal(strlen(config_get(cfg, "CTDB_TEST_C")), big);
	assert_non_null(strstr(clog_text(), "big.conf:2: skipped: "));
	clog_end();

	/* one byte over the limit: not a configuration file */
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fseek(f, CONFIG_MAX_FILE, SEEK_SET), 0);
	fputc('\n', f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(config_load_file(cfg, path), EFBIG);

	unlink(path);
	rmdir(dir);
	talloc_free(ctx);
}

static bool marker_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static void test_no_injection(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct config *cfg = config_new(ctx);
	char dir[] = "/tmp/test_config.XXXXXX";
	char *path = NULL;
	char *marker = NULL;
	FILE *f = NULL;
	int i;

	/* the fixture's fixed markers */
	for (i = 1; i <= 8; i++) {
		char *m = talloc_asprintf(ctx, "/tmp/ctdb-cfg-marker-"
					  "fixture-%d", i);
		unlink(m);
	}
	assert_int_equal(config_load_file(cfg, DATA "inject.conf"), 0);
	for (i = 1; i <= 8; i++) {
		char *m = talloc_asprintf(ctx, "/tmp/ctdb-cfg-marker-"
					  "fixture-%d", i);
		assert_false(marker_exists(m));
	}
	assert_null(config_get(cfg, "CTDB_TEST_A"));
	assert_null(config_get(cfg, "CTDB_TEST_B"));
	assert_null(config_get(cfg, "CTDB_TEST_C"));
	assert_null(config_get(cfg, "CTDB_TEST_D"));
	assert_null(config_get(cfg, "CTDB_TEST_E"));
	assert_null(config_get(cfg, "CTDB_TEST_F"));
	/* single quotes: kept as text, never run */
	assert_string_equal(config_get(cfg, "CTDB_TEST_G"),
			    "$(touch /tmp/ctdb-cfg-marker-fixture-8)");

	/* and with a marker name nobody can have created before */
	assert_non_null(mkdtemp(dir));
	marker = talloc_asprintf(ctx, "/tmp/ctdb-cfg-marker-%d",
				 (int)getpid());
	unlink(marker);
	path = talloc_asprintf(ctx, "%s/inject.conf", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "X1=$(touch %s)\n", marker);
	fprintf(f, "X2=`touch %s`\n", marker);
	fprintf(f, "export X3=\"$(touch %s)\"\n", marker);
	fprintf(f, "X4=${X:-$(touch %s)}\n", marker);
	fprintf(f, "touch %s\n", marker);
	fprintf(f, "X5=1; touch %s\n", marker);
	fprintf(f, "X6=1 | touch %s\n", marker);
	fprintf(f, "X7=\"a\" `touch %s`\n", marker);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(config_load_file(cfg, path), 0);
	assert_false(marker_exists(marker));
	for (i = 1; i <= 7; i++) {
		char *n = talloc_asprintf(ctx, "X%d", i);
		assert_null(config_get(cfg, n));
	}
	unlink(path);
	rmdir(dir);
	talloc_free(ctx);
}

static void test_precedence(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct config *cfg = config_new(ctx);

	unsetenv("CTDB_TEST_A");
	unsetenv("CTDB_TEST_B");
	unsetenv("CTDB_TEST_X");
	assert_int_equal(config_load_file(cfg, DATA "crlf.conf"), 0);

	/* file only */
	assert_string_equal(config_get(cfg, "CTDB_TEST_A"), "dos");
	/* environment beats file */
	setenv("CTDB_TEST_A", "env", 1);
	assert_string_equal(config_get(cfg, "CTDB_TEST_A"), "env");
	/* option beats environment */
	assert_int_equal(config_set_option(cfg, "CTDB_TEST_A", "opt"), 0);
	assert_string_equal(config_get(cfg, "CTDB_TEST_A"), "opt");
	assert_int_equal(config_set_option(cfg, "CTDB_TEST_A", "opt2"), 0);
	assert_string_equal(config_get(cfg, "CTDB_TEST_A"), "opt2");

	/* empty counts as unset at every level */
	assert_int_equal(config_set_option(cfg, "CTDB_TEST_A", ""), 0);
	assert_string_equal(config_get(cfg, "CTDB_TEST_A"), "env");
	setenv("CTDB_TEST_A", "", 1);
	assert_string_equal(config_get(cfg, "CTDB_TEST_A"), "dos");

	/* environment only */
	setenv("CTDB_TEST_X", "from env", 1);
	assert_string_equal(config_get(cfg, "CTDB_TEST_X"), "from env");
	unsetenv("CTDB_TEST_X");
	assert_null(config_get(cfg, "CTDB_TEST_X"));

	/* an empty file value does not hide the option or environment */
	assert_null(config_get(cfg, "CTDB_TEST_NONE"));

	unsetenv("CTDB_TEST_A");
	talloc_free(ctx);
}

struct uint_case {
	const char *value;	/* NULL: unset */
	int ret;
	uint64_t out;
};

static void test_get_uint(void **state)
{
	static const struct uint_case cases[] = {
		{ NULL, 0, 10 },
		{ "", 0, 10 },
		{ "0", 0, 0 },
		{ "5", 0, 5 },
		{ "600", 0, 600 },
		{ "601", EINVAL, 0 },
		{ "-1", EINVAL, 0 },
		{ "+5", EINVAL, 0 },
		{ "abc", EINVAL, 0 },
		{ "5abc", EINVAL, 0 },
		{ " 5", EINVAL, 0 },
		{ "5 ", EINVAL, 0 },
		{ "99999999999999999999", EINVAL, 0 },
		{ "0x10", EINVAL, 0 },
	};
	TALLOC_CTX *ctx = talloc_new(NULL);
	size_t i;

	unsetenv("CTDB_TEST_N");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config *cfg = config_new(ctx);
		uint64_t out = 12345;
		int ret;

		if (cases[i].value != NULL) {
			assert_int_equal(config_set_option(cfg, "CTDB_TEST_N",
							   cases[i].value),
					 0);
		}
		ret = config_get_uint(cfg, "CTDB_TEST_N", 10, 600, &out);
		if (ret != cases[i].ret) {
			print_error("value [%s]: %d\n", cases[i].value, ret);
		}
		assert_int_equal(ret, cases[i].ret);
		if (ret == 0) {
			assert_int_equal(out, cases[i].out);
		}
	}
	talloc_free(ctx);
}

static void test_is_yes_has_word(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct config *cfg = config_new(ctx);

	unsetenv("CTDB_TEST_W");
	unsetenv("CTDB_TEST_Y");
	assert_false(config_is_yes(cfg, "CTDB_TEST_Y"));
	assert_int_equal(config_set_option(cfg, "CTDB_TEST_Y", "yes"), 0);
	assert_true(config_is_yes(cfg, "CTDB_TEST_Y"));
	assert_int_equal(config_set_option(cfg, "CTDB_TEST_Y", "Yes"), 0);
	assert_false(config_is_yes(cfg, "CTDB_TEST_Y"));
	assert_int_equal(config_set_option(cfg, "CTDB_TEST_Y", "yes "), 0);
	assert_false(config_is_yes(cfg, "CTDB_TEST_Y"));

	assert_false(config_has_word(cfg, "CTDB_TEST_W", "samba"));
	assert_int_equal(config_set_option(cfg, "CTDB_TEST_W",
					   " nfs,samba\twinbind  , httpd"), 0);
	assert_true(config_has_word(cfg, "CTDB_TEST_W", "samba"));
	assert_true(config_has_word(cfg, "CTDB_TEST_W", "winbind"));
	assert_true(config_has_word(cfg, "CTDB_TEST_W", "nfs"));
	assert_true(config_has_word(cfg, "CTDB_TEST_W", "httpd"));
	assert_false(config_has_word(cfg, "CTDB_TEST_W", "samb"));
	assert_false(config_has_word(cfg, "CTDB_TEST_W", "sambaa"));
	assert_false(config_has_word(cfg, "CTDB_TEST_W", "win"));
	assert_false(config_has_word(cfg, "CTDB_TEST_W", ""));
	assert_int_equal(config_set_option(cfg, "CTDB_TEST_W", "sambax"), 0);
	assert_false(config_has_word(cfg, "CTDB_TEST_W", "samba"));
	talloc_free(ctx);
}

static void unset_values(void)
{
	static const char *const vars[] = {
		"CTDB_SAMBA_CHECK_TIMEOUT", "SAMBA_CLEANUP_PERIOD",
		"CTDB_SAMBA_CACHE_MAX_AGE", "CTDB_SAMBA_STARTUP_GRACE",
		"CTDB_SAMBA_CONFIG_CHECK", "CTDB_SAMBA_CHECK_PORTS",
		"CTDB_TCP_PORT_CHECKERS", "CTDB_SAMBA_SKIP_SHARE_CHECK",
	};
	size_t i;

	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		unsetenv(vars[i]);
	}
}

static void test_values_defaults(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct config *cfg = config_new(ctx);
	struct config_values *v = NULL;
	const char *bad = "x";

	unset_values();
	assert_int_equal(config_get_values(ctx, cfg, false, &v, &bad), 0);
	assert_null(bad);
	assert_int_equal(v->timeout, 10);
	assert_int_equal(v->cleanup_period, 10);
	assert_int_equal(v->cache_max_age, 60);
	assert_int_equal(v->startup_grace, 60);
	assert_int_equal(v->config_check, CONFIG_CHECK_STDOUT);
	assert_false(v->skip_share_check);
	assert_false(v->ports_given);
	assert_int_equal(v->nports, 0);
	assert_string_equal(v->checkers, CONFIG_DEFAULT_CHECKERS);

	/* managed: no periodic cleanup unless asked */
	assert_int_equal(config_get_values(ctx, cfg, true, &v, &bad), 0);
	assert_int_equal(v->cleanup_period, 0);

	assert_int_equal(config_set_option(cfg, "SAMBA_CLEANUP_PERIOD", "3"),
			 0);
	assert_int_equal(config_set_option(cfg, "CTDB_SAMBA_CONFIG_CHECK",
					   "strict"), 0);
	assert_int_equal(config_set_option(cfg, "CTDB_SAMBA_CHECK_PORTS",
					   "445, 139 445"), 0);
	assert_int_equal(config_set_option(cfg, "CTDB_TCP_PORT_CHECKERS",
					   "ss"), 0);
	assert_int_equal(config_set_option(cfg, "CTDB_SAMBA_SKIP_SHARE_CHECK",
					   "yes"), 0);
	assert_int_equal(config_get_values(ctx, cfg, true, &v, &bad), 0);
	assert_int_equal(v->cleanup_period, 3);
	assert_int_equal(v->config_check, CONFIG_CHECK_STRICT);
	assert_true(v->ports_given);
	assert_int_equal(v->nports, 2);
	assert_int_equal(v->ports[0], 445);
	assert_int_equal(v->ports[1], 139);
	assert_string_equal(v->checkers, "ss");
	assert_true(v->skip_share_check);

	/* transports: TCP ones are ports, quic is an entry but no port */
	assert_int_equal(config_set_option(cfg, "CTDB_SAMBA_CHECK_PORTS",
					   "tcp:8445 quic nbt"), 0);
	assert_int_equal(config_get_values(ctx, cfg, true, &v, &bad), 0);
	assert_int_equal(v->nports, 2);
	assert_int_equal(v->ports[0], 8445);
	assert_int_equal(v->ports[1], 139);
	assert_int_equal(v->port_entries, 3);

	/* a list with no port at all is given, and empty */
	assert_int_equal(config_set_option(cfg, "CTDB_SAMBA_CHECK_PORTS",
					   " , "), 0);
	assert_int_equal(config_get_values(ctx, cfg, true, &v, &bad), 0);
	assert_true(v->ports_given);
	assert_int_equal(v->nports, 0);
	assert_int_equal(v->port_entries, 0);
	talloc_free(ctx);
}

static void test_values_invalid(void **state)
{
	static const struct {
		const char *name;
		const char *value;
		bool ok;
	} cases[] = {
		{ "CTDB_SAMBA_CHECK_TIMEOUT", "0", false },
		{ "CTDB_SAMBA_CHECK_TIMEOUT", "1", true },
		{ "CTDB_SAMBA_CHECK_TIMEOUT", "3600", true },
		{ "CTDB_SAMBA_CHECK_TIMEOUT", "3601", false },
		{ "CTDB_SAMBA_CHECK_TIMEOUT", "-1", false },
		{ "CTDB_SAMBA_CHECK_TIMEOUT", " 5", false },
		{ "SAMBA_CLEANUP_PERIOD", "0", true },
		{ "SAMBA_CLEANUP_PERIOD", "2147483647", true },
		{ "SAMBA_CLEANUP_PERIOD", "2147483648", false },
		{ "CTDB_SAMBA_CACHE_MAX_AGE", "abc", false },
		{ "CTDB_SAMBA_STARTUP_GRACE", "99999999999999999999", false },
		{ "CTDB_SAMBA_CONFIG_CHECK", "off", true },
		{ "CTDB_SAMBA_CONFIG_CHECK", "STRICT", false },
		{ "CTDB_SAMBA_CONFIG_CHECK", "stdout ", false },
		{ "CTDB_SAMBA_CHECK_PORTS", "445 x", false },
		{ "CTDB_SAMBA_CHECK_PORTS", "70000", false },
		{ "CTDB_SAMBA_CHECK_PORTS", "0", false },
		{ "CTDB_SAMBA_CHECK_PORTS", ",", true },
		/* the transports syntax (issue 12) */
		{ "CTDB_SAMBA_CHECK_PORTS", "tcp:445 nbt:139", true },
		{ "CTDB_SAMBA_CHECK_PORTS", "445, nbt:1139", true },
		{ "CTDB_SAMBA_CHECK_PORTS", "tcp", true },
		{ "CTDB_SAMBA_CHECK_PORTS", "quic", true },
		{ "CTDB_SAMBA_CHECK_PORTS", "tcp:x", false },
		{ "CTDB_SAMBA_CHECK_PORTS", "tcp http", false },
		/* names without a rule take anything */
		{ "CTDB_TCP_PORT_CHECKERS", "no such checker", true },
	};
	TALLOC_CTX *ctx = talloc_new(NULL);
	size_t i;

	unset_values();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config *cfg = config_new(ctx);
		struct config_values *v = NULL;
		const char *bad = NULL;
		int ret;

		assert_int_equal(config_check_value(cases[i].name,
						    cases[i].value),
				 cases[i].ok ? 0 : EINVAL);
		/* the same rule through the environment */
		setenv(cases[i].name, cases[i].value, 1);
		ret = config_get_values(ctx, cfg, false, &v, &bad);
		unsetenv(cases[i].name);
		if (cases[i].ok) {
			assert_int_equal(ret, 0);
			assert_null(bad);
		} else {
			assert_int_equal(ret, EINVAL);
			assert_string_equal(bad, cases[i].name);
			assert_null(v);
		}
	}
	talloc_free(ctx);
}

static void test_debug_level(void **state)
{
	static const struct {
		bool managed;
		const char *value;
		enum clog_level level;
	} cases[] = {
		{ true, NULL, CLOG_NOTICE },
		{ true, "DEBUG", CLOG_DEBUG },
		{ true, "info", CLOG_INFO },
		{ true, "ERR", CLOG_ERROR },
		{ true, "10", CLOG_DEBUG },
		{ true, "5", CLOG_INFO },
		{ true, "4", CLOG_NOTICE },
		{ true, "1", CLOG_WARNING },
		{ true, "0", CLOG_ERROR },
		{ true, "nonsense", CLOG_NOTICE },
		{ false, "4", CLOG_DEBUG },
		{ false, "3", CLOG_INFO },
		{ false, "2", CLOG_NOTICE },
		{ false, "WARNING", CLOG_WARNING },
	};
	TALLOC_CTX *ctx = talloc_new(NULL);
	char dir[] = "/tmp/test_config.XXXXXX";
	char *file = NULL;
	FILE *f = NULL;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *name = cases[i].managed ? "CTDB_DEBUGLEVEL" :
					"CTDB_CURRENT_DEBUGLEVEL";

		unsetenv("CTDB_DEBUGLEVEL");
		unsetenv("CTDB_CURRENT_DEBUGLEVEL");
		if (cases[i].value != NULL) {
			setenv(name, cases[i].value, 1);
		}
		assert_int_equal(config_debug_level(ctx, cases[i].managed),
				 cases[i].level);
	}
	unsetenv("CTDB_CURRENT_DEBUGLEVEL");

	/* legacy: the level old ctdbd writes for its eventscripts */
	assert_non_null(mkdtemp(dir));
	setenv("CTDB_VARDIR", dir, 1);
	assert_int_equal(config_debug_level(ctx, false), CLOG_NOTICE);
	file = talloc_asprintf(ctx, "%s/eventscript_debuglevel", dir);
	f = fopen(file, "w");
	assert_non_null(f);
	fputs("export CTDB_CURRENT_DEBUGLEVEL=4\n", f);
	fclose(f);
	assert_int_equal(config_debug_level(ctx, false), CLOG_DEBUG);
	/* the managed mode does not read it */
	assert_int_equal(config_debug_level(ctx, true), CLOG_NOTICE);
	unlink(file);
	rmdir(dir);
	unsetenv("CTDB_VARDIR");
	talloc_free(ctx);
}

static int remove_one(const char *path, const struct stat *sb, int flag,
		      struct FTW *ftw)
{
	return remove(path);
}

/* write NAME=VALUE into @p path, making its directory */
static void write_conf(TALLOC_CTX *ctx, const char *dir, const char *rel,
		       const char *line)
{
	char *path = talloc_asprintf(ctx, "%s/%s", dir, rel);
	char *slash = path + strlen(dir);
	FILE *f = NULL;

	while ((slash = strchr(slash + 1, '/')) != NULL) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%s\n", line);
	fclose(f);
}

static void test_load_standard(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	char dir[] = "/tmp/test_config.XXXXXX";
	struct config *cfg = NULL;
	char *base = NULL;
	char *etc = NULL;

	assert_non_null(mkdtemp(dir));
	base = talloc_asprintf(ctx, "%s/base", dir);
	etc = talloc_asprintf(ctx, "%s/etc", dir);
	mkdir(base, 0755);
	mkdir(etc, 0755);
	setenv("CTDB_BASE", base, 1);
	setenv("CTDB_ETCDIR", etc, 1);
	unsetenv("T_SYS");
	unsetenv("T_SAMBA");
	unsetenv("T_OPT");
	unsetenv("T_LAST");

	/* only the first existing sysconfig place counts */
	write_conf(ctx, etc, "default/ctdb", "T_SYS=default");
	write_conf(ctx, base, "sysconfig/ctdb", "T_SYS=base");
	write_conf(ctx, base, "sysconfig/samba", "T_SAMBA=base");
	write_conf(ctx, base, "script.options", "T_OPT=script");
	write_conf(ctx, base, "events/legacy/50.samba.options",
		   "T_OPT=samba-options");
	write_conf(ctx, dir, "extra", "T_LAST=extra");

	cfg = config_new(ctx);
	assert_int_equal(config_load_standard(cfg, false, NULL), 0);
	assert_string_equal(config_get(cfg, "T_SYS"), "default");
	assert_string_equal(config_get(cfg, "T_SAMBA"), "base");
	assert_string_equal(config_get(cfg, "T_OPT"), "samba-options");
	assert_null(config_get(cfg, "T_LAST"));

	/* managed: no sysconfig files; the extra file is read last */
	cfg = config_new(ctx);
	assert_int_equal(config_load_standard(cfg, true, talloc_asprintf(
		ctx, "%s/extra", dir)), 0);
	assert_null(config_get(cfg, "T_SYS"));
	assert_null(config_get(cfg, "T_SAMBA"));
	assert_string_equal(config_get(cfg, "T_OPT"), "samba-options");
	assert_string_equal(config_get(cfg, "T_LAST"), "extra");

	unsetenv("CTDB_BASE");
	unsetenv("CTDB_ETCDIR");
	assert_int_equal(nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS), 0);
	talloc_free(ctx);
}

/* Shell structure: only lines that stand on their own are taken */
static void test_load_structures(void **state)
{
	static const char text[] =
		"A=1\n"
		"if false; then\n"
		"B=2\n"
		"fi\n"
		"C=3\n"
		"case x in\n"
		"a)\n"
		"D=4\n"
		";;\n"
		"esac\n"
		"f() {\n"
		"E=5\n"
		"}\n"
		"function g {\n"
		"E2=5\n"
		"}\n"
		"cat <<EOF\n"
		"F=6\n"
		"EOF\n"
		"cat <<-'END' >/dev/null\n"
		"\tG=7\n"
		"\tEND\n"
		"H=\"multi\n"
		"I=8\n"
		"line\"\n"
		"J=9 \\\n"
		"K=10\n"
		"(\n"
		"L=11\n"
		")\n"
		"(cd /tmp; M=12)\n"
		"N=13\n"
		"(( x = 1 ))\n"
		"O=14\n"
		"while read x; do\n"
		"P=15\n"
		"done </dev/null\n"
		"for x in a b; do Q=16; done\n"
		"R=17\n"
		"{ S=18; }\n"
		"T=19 # if then\n"
		"echo 'if' \"case\" fi\n"
		"W=22\n"
		"unset A\n"
		"U=20\n"
		"readonly V=21\n"
		"cat <<'a b'\n"
		"X=23\n"
		"a b\n"
		"Y=24\n";
	static const struct {
		const char *name;
		const char *value;	/* NULL: must be unset */
	} want[] = {
		{ "A", NULL }, { "B", NULL }, { "C", "3" }, { "D", NULL },
		{ "E", NULL }, { "E2", NULL }, { "F", NULL }, { "G", NULL },
		{ "H", NULL }, { "I", NULL }, { "J", NULL }, { "K", NULL },
		{ "L", NULL }, { "M", NULL }, { "N", "13" }, { "O", "14" },
		{ "P", NULL }, { "Q", NULL }, { "R", "17" }, { "S", NULL },
		{ "T", "19" }, { "W", "22" }, { "U", "20" }, { "V", "21" },
		{ "X", NULL }, { "Y", "24" },
	};
	TALLOC_CTX *ctx = talloc_new(NULL);
	char path[] = "/tmp/test_config.XXXXXX";
	struct config *cfg = config_new(ctx);
	int fd = mkstemp(path);
	size_t i;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1),
			 (ssize_t)(sizeof(text) - 1));
	close(fd);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		unsetenv(want[i].name);
	}
	assert_int_equal(config_load_file(cfg, path), 0);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const char *v = config_get(cfg, want[i].name);

		if (want[i].value == NULL && v != NULL) {
			print_error("%s=%s was taken\n", want[i].name, v);
		}
		if (want[i].value == NULL) {
			assert_null(v);
		} else {
			assert_non_null(v);
			assert_string_equal(v, want[i].value);
		}
	}
	unlink(path);
	talloc_free(ctx);
}

/* "unset" forgets what files said, not the environment or options */
static void test_unset(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	char path[] = "/tmp/test_config.XXXXXX";
	struct config *cfg = config_new(ctx);
	static const char text[] = "A=1\nB=2\nC=3\nunset A B\nB=4\n";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1),
			 (ssize_t)(sizeof(text) - 1));
	close(fd);
	unsetenv("A");
	unsetenv("B");
	setenv("C", "env", 1);
	assert_int_equal(config_load_file(cfg, path), 0);
	assert_null(config_get(cfg, "A"));
	assert_string_equal(config_get(cfg, "B"), "4");
	assert_string_equal(config_get(cfg, "C"), "env");
	unsetenv("C");
	unlink(path);
	talloc_free(ctx);
}

/* Many variables: each set and looked up once, in linear time */
static void test_load_many(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	char path[] = "/tmp/test_config.XXXXXX";
	struct config *cfg = config_new(ctx);
	FILE *f = NULL;
	int fd = mkstemp(path);
	unsigned i;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	for (i = 0; i < 60000; i++) {
		fprintf(f, "V%07u=%u\n", i, i);
	}
	fprintf(f, "V0000007=again\n");
	fclose(f);
	assert_int_equal(config_load_file(cfg, path), 0);
	assert_string_equal(config_get(cfg, "V0000000"), "0");
	assert_string_equal(config_get(cfg, "V0059999"), "59999");
	assert_string_equal(config_get(cfg, "V0000007"), "again");
	assert_null(config_get(cfg, "V0060000"));
	unlink(path);
	talloc_free(ctx);
}

/* CTDB_BASE from an eventscript's place: events/legacy/ two levels up */
static void test_eventscript_base(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	char tmpl[] = "/tmp/test-esbase.XXXXXX";
	char *dir = mkdtemp(tmpl);
	char *legacy = NULL;
	char *old = NULL;
	char *base = NULL;

	assert_non_null(dir);
	legacy = talloc_asprintf(ctx, "%s/events/legacy", dir);
	old = talloc_asprintf(ctx, "%s/events.d", dir);
	assert_int_equal(mkdir(talloc_asprintf(ctx, "%s/events", dir), 0755),
			 0);
	assert_int_equal(mkdir(legacy, 0755), 0);
	assert_int_equal(mkdir(old, 0755), 0);

	assert_int_equal(config_eventscript_base(
		ctx, talloc_asprintf(ctx, "%s/50.samba.script", legacy), &base),
		0);
	assert_string_equal(base, dir);
	assert_int_equal(config_eventscript_base(
		ctx, talloc_asprintf(ctx, "%s/50.samba", old), &base), 0);
	assert_string_equal(base, dir);
	/* the directory is resolved: "." and ".." do not count */
	assert_int_equal(config_eventscript_base(
		ctx, talloc_asprintf(ctx, "%s/./../legacy/x.script", legacy),
		&base), 0);
	assert_string_equal(base, dir);
	assert_int_equal(config_eventscript_base(ctx, "/50.samba", &base), 0);
	assert_string_equal(base, "/");
	assert_int_equal(config_eventscript_base(
		ctx, talloc_asprintf(ctx, "%s/nowhere/x", dir), &base), ENOENT);
	assert_null(base);

	assert_int_equal(rmdir(old), 0);
	assert_int_equal(rmdir(legacy), 0);
	assert_int_equal(rmdir(talloc_asprintf(ctx, "%s/events", dir)), 0);
	assert_int_equal(rmdir(dir), 0);
	talloc_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_line),
		cmocka_unit_test(test_load_basic),
		cmocka_unit_test(test_load_no_final_newline),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_load_unreadable),
		cmocka_unit_test(test_load_huge_line),
		cmocka_unit_test(test_no_injection),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_get_uint),
		cmocka_unit_test(test_is_yes_has_word),
		cmocka_unit_test(test_values_defaults),
		cmocka_unit_test(test_values_invalid),
		cmocka_unit_test(test_debug_level),
		cmocka_unit_test(test_load_standard),
		cmocka_unit_test(test_load_structures),
		cmocka_unit_test(test_unset),
		cmocka_unit_test(test_load_many),
		cmocka_unit_test(test_eventscript_base),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
