/*
 * Tests for checks/chain.c with a fake table of checkers.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "checks/chain.h"
#include "checks/log.h"

/* Which fake checkers ran, in order ("a b "). */
static char calls[256];

static void record(const char *name)
{
	strncat(calls, name, sizeof(calls) - strlen(calls) - 2);
	strncat(calls, " ", sizeof(calls) - strlen(calls) - 1);
}

static int fake_ok(TALLOC_CTX *mem_ctx, const struct checker_env *env,
		   const uint16_t *ports, size_t nports,
		   struct check_result *res)
{
	record("ok");
	res->status = CHECK_OK;
	res->err = 0;
	res->port = 0;
	res->evidence = talloc_strdup(mem_ctx, "all fine\n");
	return 0;
}

/* Fails on the last port, to show the port travels through. */
static int fake_fail(TALLOC_CTX *mem_ctx, const struct checker_env *env,
		     const uint16_t *ports, size_t nports,
		     struct check_result *res)
{
	record("fail");
	res->status = CHECK_FAIL;
	res->err = 0;
	res->port = ports[nports - 1];
	res->evidence = talloc_asprintf(mem_ctx, "nobody on %u",
					(unsigned)res->port);
	return 0;
}

static int fake_cannot(TALLOC_CTX *mem_ctx, const struct checker_env *env,
		       const uint16_t *ports, size_t nports,
		       struct check_result *res)
{
	record("cannot");
	res->status = CHECK_CANNOT_RUN;
	res->err = ENOENT;
	res->port = 0;
	res->evidence = talloc_strdup(mem_ctx, "\"cannot -x\" not found\n"
					       "line two");
	return 0;
}

static int fake_nomem(TALLOC_CTX *mem_ctx, const struct checker_env *env,
		      const uint16_t *ports, size_t nports,
		      struct check_result *res)
{
	record("nomem");
	res->status = CHECK_OK;	/* ignored: the call failed */
	res->evidence = NULL;
	return ENOMEM;
}

static const struct port_checker c_ok = { .name = "ok", .check = fake_ok };
static const struct port_checker c_fail = {
	.name = "fail", .check = fake_fail
};
static const struct port_checker c_cannot = {
	.name = "cannot", .check = fake_cannot
};
static const struct port_checker c_nomem = {
	.name = "nomem", .check = fake_nomem
};
static const struct port_checker *const table[] = {
	&c_ok, &c_fail, &c_cannot, &c_nomem, NULL
};

static const uint16_t ports[] = { 445, 139 };

static struct chain_outcome *run_chain(TALLOC_CTX *mem_ctx, const char *names)
{
	struct chain_outcome *out = NULL;
	struct checker_env env = { .deadline = NULL, .tcp = NULL };
	int ret;

	calls[0] = '\0';
	ret = chain_run(mem_ctx, table, names, &env, ports, 2, &out);
	assert_int_equal(ret, 0);
	assert_non_null(out);
	return out;
}

static int setup(void **state)
{
	TALLOC_CTX *mem_ctx = talloc_new(NULL);

	clog_start(mem_ctx, CLOG_DEBUG);
	*state = mem_ctx;
	return 0;
}

static int teardown(void **state)
{
	clog_end();
	talloc_free(*state);
	return 0;
}

static void test_find(void **state)
{
	assert_ptr_equal(chain_find(table, "ok"), &c_ok);
	assert_ptr_equal(chain_find(table, "cannot"), &c_cannot);
	assert_null(chain_find(table, "ok "));
	assert_null(chain_find(table, "OK"));
	assert_null(chain_find(table, ""));
	assert_null(chain_find(table, "nmap"));
}

struct order_case {
	const char *names;
	enum check_status status;
	const char *checker;	/* NULL: none decided */
	uint16_t port;
	const char *calls;
};

static void test_order(void **state)
{
	static const struct order_case cases[] = {
		{ "ok fail", CHECK_OK, "ok", 0, "ok " },
		{ "fail ok", CHECK_FAIL, "fail", 139, "fail " },
		{ "cannot ok", CHECK_OK, "ok", 0, "cannot ok " },
		{ "cannot,fail", CHECK_FAIL, "fail", 139, "cannot fail " },
		{ ",, cannot ,, ,fail,", CHECK_FAIL, "fail", 139,
		  "cannot fail " },
		{ "bogus ok", CHECK_OK, "ok", 0, "ok " },
		{ "nomem fail", CHECK_FAIL, "fail", 139, "nomem fail " },
		{ "cannot cannot", CHECK_CANNOT_RUN, NULL, 0,
		  "cannot cannot " },
		{ "bogus nomem", CHECK_CANNOT_RUN, NULL, 0, "nomem " },
		{ "", CHECK_CANNOT_RUN, NULL, 0, "" },
		{ " , ", CHECK_CANNOT_RUN, NULL, 0, "" },
		{ "\tok\n", CHECK_OK, "ok", 0, "ok " },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		TALLOC_CTX *mem_ctx = talloc_new(NULL);
		struct chain_outcome *out = run_chain(mem_ctx, cases[i].names);

		assert_int_equal(out->status, cases[i].status);
		assert_string_equal(calls, cases[i].calls);
		if (cases[i].checker == NULL) {
			assert_null(out->checker);
		} else {
			assert_non_null(out->checker);
			assert_string_equal(out->checker, cases[i].checker);
		}
		assert_int_equal(out->port, cases[i].port);
		talloc_free(mem_ctx);
	}
}

static void test_evidence(void **state)
{
	TALLOC_CTX *mem_ctx = talloc_new(NULL);
	struct chain_outcome *out = run_chain(mem_ctx, "fail");

	assert_non_null(out->evidence);
	assert_string_equal(out->evidence, "nobody on 139");
	assert_ptr_equal(talloc_parent(out->evidence), out);

	out = run_chain(mem_ctx, "ok");
	/* trailing newline dropped */
	assert_string_equal(out->evidence, "all fine");
	talloc_free(mem_ctx);
}

static void test_debug_lines(void **state)
{
	TALLOC_CTX *mem_ctx = talloc_new(NULL);
	struct chain_outcome *out = NULL;

	clog_end();
	clog_start(*state, CLOG_DEBUG);
	out = run_chain(mem_ctx, "bogus, cannot nomem ok fail");
	assert_int_equal(out->status, CHECK_OK);
	assert_string_equal(clog_text(),
		"ctdb_check_ports - checker bogus not implemented\n"
		"output from checker was:\n"
		"unknown checker\n"
		"ctdb_check_ports - checker cannot not implemented\n"
		"output from checker was:\n"
		"\"cannot -x\" not found\n"
		"line two\n"
		"ctdb_check_ports - checker nomem not implemented\n"
		"output from checker was:\n"
		"checker failed: Cannot allocate memory\n");

	/* nothing at all when the first checker decides */
	clog_end();
	clog_start(*state, CLOG_DEBUG);
	out = run_chain(mem_ctx, "fail cannot");
	assert_int_equal(out->status, CHECK_FAIL);
	assert_string_equal(clog_text(), "");

	/* below DEBUG the lines are dropped */
	clog_end();
	clog_start(*state, CLOG_NOTICE);
	out = run_chain(mem_ctx, "bogus cannot");
	assert_int_equal(out->status, CHECK_CANNOT_RUN);
	assert_string_equal(clog_text(), "");
	talloc_free(mem_ctx);
}

static void test_no_leak_into_parent(void **state)
{
	TALLOC_CTX *mem_ctx = talloc_new(NULL);
	struct chain_outcome *out = run_chain(mem_ctx, "cannot bogus fail");

	/* only the outcome hangs off mem_ctx */
	assert_int_equal(talloc_total_blocks(mem_ctx),
			 1 + talloc_total_blocks(out));
	talloc_free(mem_ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_evidence),
		cmocka_unit_test(test_debug_lines),
		cmocka_unit_test(test_no_leak_into_parent),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
