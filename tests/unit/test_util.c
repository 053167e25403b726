/*
 * Unit tests for the shared helpers in checks/util.c: port lists, word
 * lists, lines and small string helpers, trimming, and whole-file reads
 * and writes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "checks/util.h"

struct env {
	char *dir;
};

static int setup(void **state)
{
	struct env *e = talloc_zero(NULL, struct env);

	assert_non_null(e);
	e->dir = talloc_strdup(e, "/tmp/test_util.XXXXXX");
	assert_non_null(e->dir);
	assert_non_null(mkdtemp(e->dir));
	*state = e;
	return 0;
}

/* How many entries (besides . and ..) the directory holds. */
static int dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de = NULL;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0) {
			n++;
		}
	}
	closedir(d);
	return n;
}

/* The tests leave only plain files and one directory "sub" behind. */
static int teardown(void **state)
{
	struct env *e = *state;
	DIR *d = opendir(e->dir);
	struct dirent *de = NULL;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		char *p = talloc_asprintf(e, "%s/%s", e->dir, de->d_name);

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0) {
			continue;
		}
		if (unlink(p) != 0) {
			assert_int_equal(rmdir(p), 0);
		}
	}
	closedir(d);
	assert_int_equal(rmdir(e->dir), 0);
	talloc_free(e);
	return 0;
}

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void test_port_list_add(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	struct port_set *seen = talloc_zero(ctx, struct port_set);
	uint16_t *ports = NULL;
	size_t n = 0;
	size_t i;

	assert_int_equal(util_port_list_add(ctx, &ports, &n, seen, 445), 0);
	assert_int_equal(util_port_list_add(ctx, &ports, &n, seen, 139), 0);
	assert_int_equal(util_port_list_add(ctx, &ports, &n, seen, 445), 0);
	assert_int_equal(util_port_list_add(ctx, &ports, &n, seen, 139), 0);
	assert_int_equal(util_port_list_add(ctx, &ports, &n, seen, 1), 0);
	assert_int_equal(n, 3);
	assert_int_equal(ports[0], 445);
	assert_int_equal(ports[1], 139);
	assert_int_equal(ports[2], 1);
	assert_ptr_equal(talloc_parent(ports), ctx);
	assert_true(port_set_has(seen, 139));
	assert_false(port_set_has(seen, 138));

	/* every port once, then every port again: 65,535 kept, in order */
	for (i = 1; i <= 2 * 65535; i++) {
		assert_int_equal(util_port_list_add(ctx, &ports, &n, seen,
						    (uint16_t)(i % 65535 + 1)),
				 0);
	}
	assert_int_equal(n, 65535);
	assert_int_equal(ports[0], 445);
	assert_int_equal(ports[3], 2);
	assert_true(talloc_array_length(ports) >= n);
	talloc_free(ctx);
}

/* util_parse_port_list() keeps duplicates once, in first-seen order. */
static void test_parse_port_list_dups(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	uint16_t *ports = NULL;
	size_t n = 0;
	char *bad = NULL;

	assert_int_equal(util_parse_port_list(ctx, "139,445 139\t445, 80",
					      &ports, &n, &bad), 0);
	assert_int_equal(n, 3);
	assert_int_equal(ports[0], 139);
	assert_int_equal(ports[1], 445);
	assert_int_equal(ports[2], 80);
	assert_null(bad);
	talloc_free(ctx);
}

static void test_word_in_list(void **state)
{
	static const struct {
		const char *list;
		const char *word;
		bool found;
	} cases[] = {
		{ "a b c", "b", true },
		{ "a b c", "c", true },
		{ "a b c", "a", true },
		{ "  a,b\tc\n", "c", true },
		{ ",,x,,", "x", true },
		{ "ab b", "a", false },
		{ "ab", "abc", false },
		{ "abc", "ab", false },
		{ "", "a", false },
		{ NULL, "a", false },
		{ "a  b", "", false },
		{ "[::1]:445 0.0.0.0:445", "0.0.0.0:445", true },
		{ "[::1]:445 0.0.0.0:445", "[::1]:44", false },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (util_word_in_list(cases[i].list, cases[i].word) !=
		    cases[i].found) {
			fail_msg("case %zu: \"%s\" in \"%s\"", i,
				 cases[i].word,
				 cases[i].list ? cases[i].list : "(null)");
		}
	}
}

static void test_trim_trailing(void **state)
{
	static const struct {
		const char *in;
		const char *chars;
		const char *out;
	} cases[] = {
		{ "abc\n\n", "\n", "abc" },
		{ "abc\r\n", "\n", "abc\r" },
		{ "abc\r\n\r\n", "\r\n", "abc" },
		{ "a\nb\n", "\n", "a\nb" },
		{ "\n\n", "\n", "" },
		{ "", "\n", "" },
		{ "abc", "\n", "abc" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *s = strdup(cases[i].in);

		assert_non_null(s);
		assert_int_equal(util_trim_trailing(s, cases[i].chars),
				 strlen(cases[i].out));
		assert_string_equal(s, cases[i].out);
		free(s);
	}
	assert_int_equal(util_trim_trailing(NULL, "\n"), 0);
}

/* util_next_line() and util_split_lines() cut text the same way. */
static void test_lines(void **state)
{
	static const struct {
		const char *text;
		size_t n;
		const char *lines[4];
	} cases[] = {
		{ "", 0, { NULL } },
		{ "a", 1, { "a" } },
		{ "a\n", 1, { "a" } },
		{ "a\r\nb\r\n", 2, { "a", "b" } },
		{ "\n", 1, { "" } },
		{ "a\n\nb", 3, { "a", "", "b" } },
		{ "a\rb\n\r\n", 2, { "a\rb", "" } },
		{ "\r", 1, { "" } },
	};
	TALLOC_CTX *ctx = talloc_new(NULL);
	size_t i;
	size_t k;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *pos = cases[i].text;
		const char *line = NULL;
		const char *end = NULL;
		char **lines = NULL;
		size_t n = 99;

		for (k = 0; util_next_line(&pos, &line, &end); k++) {
			assert_true(k < cases[i].n);
			assert_int_equal(end - line, strlen(cases[i].lines[k]));
			assert_memory_equal(line, cases[i].lines[k],
					    end - line);
		}
		assert_int_equal(k, cases[i].n);

		assert_int_equal(util_split_lines(ctx, cases[i].text, &lines,
						  &n), 0);
		assert_int_equal(n, cases[i].n);
		for (k = 0; k < n; k++) {
			assert_string_equal(lines[k], cases[i].lines[k]);
		}
		if (n == 0) {
			assert_null(lines);
		}
		/* one free releases the lines and their text */
		talloc_free(lines);
	}
	{
		const char *pos = NULL;
		const char *line = NULL;
		const char *end = NULL;
		char **lines = NULL;
		size_t n = 99;

		assert_false(util_next_line(&pos, &line, &end));
		assert_int_equal(util_split_lines(ctx, NULL, &lines, &n), 0);
		assert_int_equal(n, 0);
		assert_null(lines);
	}
	assert_int_equal(talloc_total_blocks(ctx), 1);
	talloc_free(ctx);
}

/* Counts the lines it is shown; says yes to the line "stop". */
static bool count_until_stop(const char *line, const char *end,
			     const void *arg)
{
	size_t *seen = (size_t *)(uintptr_t)arg;

	(*seen)++;
	return end - line == 4 && memcmp(line, "stop", 4) == 0;
}

static void test_any_line(void **state)
{
	size_t seen = 0;

	assert_false(util_any_line(NULL, count_until_stop, &seen));
	assert_false(util_any_line("", count_until_stop, &seen));
	assert_int_equal(seen, 0);
	assert_true(util_any_line("a\r\nstop\r\nb\n", count_until_stop,
				  &seen));
	/* it stops at the first yes */
	assert_int_equal(seen, 2);
	seen = 0;
	assert_false(util_any_line("a\nstops\n\nb", count_until_stop,
				   &seen));
	assert_int_equal(seen, 4);
}

static void test_strv_add(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	char **arr = NULL;
	size_t n = 0;
	char word[] = "one";

	assert_int_equal(util_strv_add(ctx, &arr, &n, word), 0);
	/* a copy, not the caller's string */
	word[0] = 'x';
	assert_int_equal(util_strv_add(ctx, &arr, &n, "two"), 0);
	assert_int_equal(n, 2);
	assert_string_equal(arr[0], "one");
	assert_string_equal(arr[1], "two");
	assert_ptr_equal(talloc_parent(arr), ctx);
	assert_ptr_equal(talloc_parent(arr[1]), arr);
	talloc_free(ctx);
}

static void test_small_strings(void **state)
{
	TALLOC_CTX *ctx = talloc_new(NULL);
	const char *text = "  a b \t";
	char q1[] = "\"x y\"";
	char q2[] = "\"";
	char q3[] = "\"x";
	char q4[] = "\"\"";
	char *t = NULL;

	assert_true(util_starts_with("WARNING: x", "WARNING"));
	assert_true(util_starts_with("abc", ""));
	assert_false(util_starts_with("WARN", "WARNING"));
	assert_false(util_starts_with("xWARNING", "WARNING"));

	assert_true(util_is_blank(NULL));
	assert_true(util_is_blank(""));
	assert_true(util_is_blank(" \t\r\n"));
	assert_false(util_is_blank("  x "));

	t = util_trim_dup(ctx, text, text + strlen(text));
	assert_string_equal(t, "a b");
	t = util_trim_dup(ctx, text, text + 3);
	assert_string_equal(t, "a");
	t = util_trim_dup(ctx, text, text + 2);
	assert_string_equal(t, "");
	assert_ptr_equal(talloc_parent(t), ctx);

	util_unquote(q1);
	assert_string_equal(q1, "x y");
	util_unquote(q2);
	assert_string_equal(q2, "\"");
	util_unquote(q3);
	assert_string_equal(q3, "\"x");
	util_unquote(q4);
	assert_string_equal(q4, "");
	talloc_free(ctx);
}

static void test_close(void **state)
{
	int fds[2] = { -1, -1 };
	int none = -1;

	assert_int_equal(pipe(fds), 0);
	util_close(&fds[0]);
	assert_int_equal(fds[0], -1);
	/* the read end is gone: writing fails */
	assert_int_equal(write(fds[1], "x", 1), -1);
	util_close(&fds[1]);
	assert_int_equal(fds[1], -1);
	util_close(&none);
	assert_int_equal(none, -1);
}

static void test_write_all(void **state)
{
	struct env *e = *state;
	char *path = talloc_asprintf(e, "%s/write_all", e->dir);
	char buf[100000];
	char *back = NULL;
	size_t len = 0;
	int fds[2];
	int fd;
	size_t i;

	for (i = 0; i < sizeof(buf); i++) {
		buf[i] = (char)('a' + i % 26);
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(util_write_all(fd, buf, sizeof(buf)), 0);
	assert_int_equal(util_write_all(fd, buf, 0), 0);
	close(fd);
	assert_int_equal(util_read_file(e, path, 0, sizeof(buf), &back,
					&len), 0);
	assert_int_equal(len, sizeof(buf));
	assert_memory_equal(back, buf, sizeof(buf));

	/* a pipe nobody reads: EPIPE (SIGPIPE ignored here) */
	assert_int_equal(pipe(fds), 0);
	close(fds[0]);
	assert_int_equal(util_write_all(fds[1], "x", 1), EPIPE);
	close(fds[1]);
	assert_int_equal(util_write_all(-1, "x", 1), EBADF);
}

static void test_read_file(void **state)
{
	struct env *e = *state;
	char *path = talloc_asprintf(e, "%s/read", e->dir);
	char *sub = talloc_asprintf(e, "%s/sub", e->dir);
	char *fifo = talloc_asprintf(e, "%s/fifo", e->dir);
	char *buf = NULL;
	size_t len = 99;

	write_file(path, "one\ntwo\0three", 13);
	assert_int_equal(util_read_file(e, path, 0, 100, &buf, &len), 0);
	assert_int_equal(len, 13);
	assert_memory_equal(buf, "one\ntwo\0three", 14);
	assert_ptr_equal(talloc_parent(buf), e);
	TALLOC_FREE(buf);

	/* exactly max bytes is fine, one more is not */
	assert_int_equal(util_read_file(e, path, 0, 13, &buf, &len), 0);
	assert_int_equal(len, 13);
	TALLOC_FREE(buf);
	assert_int_equal(util_read_file(e, path, 0, 12, &buf, &len), EFBIG);
	assert_null(buf);

	/* empty */
	write_file(path, "", 0);
	assert_int_equal(util_read_file(e, path, 0, 0, &buf, &len), 0);
	assert_int_equal(len, 0);
	assert_string_equal(buf, "");
	TALLOC_FREE(buf);

	/* bigger than the first guess, growing up to max */
	{
		char big[20000];

		memset(big, 'x', sizeof(big));
		write_file(path, big, sizeof(big));
		assert_int_equal(util_read_file(e, path, 0, sizeof(big),
						&buf, &len), 0);
		assert_int_equal(len, sizeof(big));
		assert_int_equal(buf[len], '\0');
		TALLOC_FREE(buf);
		assert_int_equal(util_read_file(e, path, 0, 5000, &buf,
						&len), EFBIG);
	}

	assert_int_equal(util_read_file(e, e->dir, 0, 100, &buf, &len),
			 EISDIR);
	assert_int_equal(util_read_file(e, sub, 0, 100, &buf, &len), ENOENT);
	/* a FIFO with O_NONBLOCK: not waited for, not a regular file */
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(util_read_file(e, fifo, O_NONBLOCK, 100, &buf, &len),
			 EINVAL);
	assert_null(buf);
	/* /proc files say size 0 and still have text */
	assert_int_equal(util_read_file(e, "/proc/self/stat", 0, 100000,
					&buf, &len), 0);
	assert_true(len > 0);
	assert_int_equal(strlen(buf), len);
	TALLOC_FREE(buf);
}

static void test_write_atomic(void **state)
{
	struct env *e = *state;
	char *path = talloc_asprintf(e, "%s/atomic", e->dir);
	char *sub = talloc_asprintf(e, "%s/sub", e->dir);
	char *buf = NULL;
	size_t len = 0;
	struct stat st;
	size_t blocks = talloc_total_blocks(e);

	assert_int_equal(dir_entries(e->dir), 0);
	assert_int_equal(util_write_atomic(e, path, "first\n", 6, 0644), 0);
	assert_int_equal(util_read_file(e, path, 0, 100, &buf, &len), 0);
	assert_string_equal(buf, "first\n");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	TALLOC_FREE(buf);

	/* replaced whole, with the new mode; no temporary file left */
	assert_int_equal(util_write_atomic(e, path, "2", 1, 0600), 0);
	assert_int_equal(util_read_file(e, path, 0, 100, &buf, &len), 0);
	assert_string_equal(buf, "2");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(dir_entries(e->dir), 1);
	TALLOC_FREE(buf);

	/* rename fails (a directory is in the way): the temp file goes */
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_not_equal(util_write_atomic(e, sub, "x", 1, 0644), 0);
	assert_int_equal(dir_entries(e->dir), 2);
	assert_int_equal(dir_entries(sub), 0);

	/* no such directory */
	assert_int_equal(util_write_atomic(e, "/nonexistent/dir/file", "x", 1,
					   0644), ENOENT);
	/* scratch memory is not left on mem_ctx */
	assert_int_equal(talloc_total_blocks(e), blocks);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_port_list_add),
		cmocka_unit_test(test_parse_port_list_dups),
		cmocka_unit_test(test_word_in_list),
		cmocka_unit_test(test_trim_trailing),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_any_line),
		cmocka_unit_test(test_strv_add),
		cmocka_unit_test(test_small_strings),
		cmocka_unit_test(test_close),
		cmocka_unit_test_setup_teardown(test_write_all, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_read_file, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_write_atomic, setup,
						teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
