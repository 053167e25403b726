/*
 * The "ctdb" and "bind" checkers of the chain: the old script's
 * "ctdb checktcpport PORT", in-process.  "ctdb" is our checktcpport
 * (the table of listening sockets, checks/tcpport.c); "bind" is the
 * stock tool's exact method (a bind probe of 0.0.0.0 without
 * SO_REUSEADDR), blind spots included, for comparison.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "checks/log.h"
#include "checks/tcpport.h"
#include "compat/checkers.h"

void ctdb_log_fallbacks(const struct tcpport_answer *ans)
{
	unsigned i;

	if (ans == NULL) {
		return;
	}
	for (i = 0; i < ans->dumps_interrupted; i++) {
		clog(CLOG_DEBUG, "checktcpport: netlink dump interrupted%s",
		     i == 0 ? ", retrying" : "");
	}
	if (ans->netlink_err != 0) {
		clog(CLOG_DEBUG,
		     "checktcpport: netlink: %s, reading %s/net/tcp",
		     strerror(ans->netlink_err), ans->proc_root);
	}
	if (ans->proc_err != 0) {
		clog(CLOG_DEBUG, "checktcpport: %s/net/tcp: %s, "
		     "using the bind probe", ans->proc_root,
		     strerror(ans->proc_err));
	}
	if (ans->bind_err != 0) {
		clog(CLOG_DEBUG, "checktcpport: bind probe of port %u: %s",
		     (unsigned)ans->bind_port, strerror(ans->bind_err));
	}
}

/*
 * A checker's answer with its evidence, formatted on @p mem_ctx.
 * @return 0, or ENOMEM
 */
static int ctdb_result(TALLOC_CTX *mem_ctx, struct check_result *res,
		       enum check_status status, int err, uint16_t port,
		       const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static int ctdb_result(TALLOC_CTX *mem_ctx, struct check_result *res,
		       enum check_status status, int err, uint16_t port,
		       const char *fmt, ...)
{
	va_list ap;

	res->status = status;
	res->err = err;
	res->port = port;
	va_start(ap, fmt);
	res->evidence = talloc_vasprintf(mem_ctx, fmt, ap);
	va_end(ap);
	return (res->evidence == NULL) ? ENOMEM : 0;
}

static int ctdb_check(TALLOC_CTX *mem_ctx, const struct checker_env *env,
		      const uint16_t *ports, size_t nports,
		      struct check_result *res)
{
	TALLOC_CTX *tmp_ctx = NULL;
	struct tcpport_answer *ans = NULL;
	const struct tcpport_opts *opts = NULL;
	struct tcpport_opts bounded = { .proc_root = NULL };
	const char *how = NULL;
	char *ev = NULL;
	size_t i;
	int ret;

	memset(res, 0, sizeof(*res));
	tmp_ctx = talloc_new(mem_ctx);
	if (tmp_ctx == NULL) {
		return ENOMEM;
	}
	opts = (env != NULL) ? env->tcp : NULL;
	if (env != NULL && env->deadline != NULL &&
	    (opts == NULL || opts->deadline == NULL)) {
		/* the run's deadline bounds our waits too */
		if (opts != NULL) {
			bounded = *opts;
		}
		bounded.deadline = env->deadline;
		opts = &bounded;
	}

	ret = tcpport_query(tmp_ctx, opts, ports, nports, &ans);
	ctdb_log_fallbacks(ans);
	if (ret == ENOMEM) {
		goto done;
	}
	if (ret != 0) {
		ret = ctdb_result(mem_ctx, res, CHECK_CANNOT_RUN, ret, 0,
				  "ctdb checktcpport: cannot read listening "
				  "sockets: %s", strerror(ret));
		goto done;
	}
	how = tcpport_method_name(ans->method);

	for (i = 0; i < nports; i++) {
		if (!ans->listening[i]) {
			ret = ctdb_result(mem_ctx, res, CHECK_FAIL, 0, ports[i],
					  "ctdb checktcpport %u: nothing "
					  "listens (%s)",
					  (unsigned)ports[i], how);
			goto done;
		}
	}

	res->status = CHECK_OK;
	res->listeners = talloc_steal(mem_ctx, ans);
	ev = talloc_strdup(tmp_ctx, "");
	for (i = 0; ev != NULL && i < nports; i++) {
		ev = talloc_asprintf_append_buffer(
			ev, "%sctdb checktcpport %u: listening%s%s (%s)",
			i > 0 ? "\n" : "", (unsigned)ports[i],
			ans->addrs[i] != NULL ? " on " : "",
			ans->addrs[i] != NULL ? ans->addrs[i] : "", how);
	}
	if (ev == NULL) {
		ret = ENOMEM;
		goto done;
	}
	res->evidence = talloc_steal(mem_ctx, ev);
	ret = 0;
done:
	talloc_free(tmp_ctx);
	return ret;
}

static int ctdb_bind_check(TALLOC_CTX *mem_ctx, const struct checker_env *env,
			   const uint16_t *ports, size_t nports,
			   struct check_result *res)
{
	size_t i;

	memset(res, 0, sizeof(*res));
	for (i = 0; i < nports; i++) {
		bool in_use = false;
		int ret;

		ret = tcpport_bind_probe(ports[i], true, &in_use);
		if (ret != 0) {
			return ctdb_result(mem_ctx, res, CHECK_CANNOT_RUN, ret,
					   0,
					   "\"bind probe\" of port %u "
					   "failed: %s", (unsigned)ports[i],
					   strerror(ret));
		}
		if (!in_use) {
			return ctdb_result(mem_ctx, res, CHECK_FAIL, 0,
					   ports[i],
					   "\"bind probe\" was able to "
					   "bind to port %u",
					   (unsigned)ports[i]);
		}
	}
	res->status = CHECK_OK;
	return 0;
}

const struct port_checker checker_ctdb = {
	.name = "ctdb",
	.check = ctdb_check,
};

const struct port_checker checker_bind = {
	.name = "bind",
	.check = ctdb_bind_check,
};
