/*
 * Every port checker by name, and what the external ones share: running
 * the tool within the deadline and reading a table of sockets.
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "checks/run.h"
#include "checks/tcpport.h"
#include "compat/checkers.h"

/* How much of a tool's output goes into the evidence. */
#define COMPAT_MAX_EVIDENCE 4096
/* The deadline used when a caller gives none. */
#define COMPAT_DEFAULT_SECONDS 10

const struct port_checker *const compat_checkers[] = {
	&checker_ctdb,
	&checker_bind,
	&checker_nmap,
	&checker_netstat,
	&checker_ss,
	NULL,
};

bool compat_addr_port(const char *addr, size_t len, uint16_t *port)
{
	const char *colon = NULL;
	unsigned long v = 0;
	size_t i;

	for (i = len; i > 0; i--) {
		if (addr[i - 1] == ':') {
			colon = addr + i - 1;
			break;
		}
	}
	if (colon == NULL) {
		return false;
	}
	i = (size_t)(colon - addr) + 1;
	if (i >= len) {
		return false;
	}
	for (; i < len; i++) {
		if (!isdigit((unsigned char)addr[i])) {
			return false;
		}
		v = v * 10 + (unsigned long)(addr[i] - '0');
		if (v > 65535) {
			return false;
		}
	}
	*port = (uint16_t)v;
	return true;
}

bool compat_port_listed(compat_listening_fn fn, const char *output,
			uint16_t port)
{
	struct port_set set = { { 0 } };

	fn(output, &set);
	return port_set_has(&set, port);
}

static bool compat_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

bool compat_field(const char *p, const char *end, unsigned col,
		  const char **field, size_t *len)
{
	unsigned n = 0;

	for (;;) {
		const char *start = NULL;

		while (p < end && compat_blank(*p)) {
			p++;
		}
		if (p >= end) {
			return false;
		}
		start = p;
		while (p < end && !compat_blank(*p)) {
			p++;
		}
		if (n == col) {
			*field = start;
			*len = (size_t)(p - start);
			return true;
		}
		n++;
	}
}

/* What compat_table_listening() looks for, and where it puts it. */
struct compat_listen {
	unsigned state_col;
	unsigned addr_col;
	struct port_set *set;
};

/* A LISTEN line: its local address's port into the set. */
static bool compat_listen_line(const char *line, const char *end,
			       const void *arg)
{
	const struct compat_listen *want = arg;
	const char *f = NULL;
	size_t flen = 0;
	uint16_t port;

	if (compat_field(line, end, want->state_col, &f, &flen) &&
	    flen == 6 && memcmp(f, "LISTEN", 6) == 0 &&
	    compat_field(line, end, want->addr_col, &f, &flen) &&
	    compat_addr_port(f, flen, &port)) {
		port_set_add(want->set, port);
	}
	/* every line */
	return false;
}

void compat_table_listening(const char *output, unsigned state_col,
			    unsigned addr_col, struct port_set *set)
{
	struct compat_listen want = {
		.state_col = state_col, .addr_col = addr_col, .set = set,
	};

	if (output != NULL) {
		(void)util_any_line(output, compat_listen_line, &want);
	}
}

/* Append a stream to the evidence, cut to COMPAT_MAX_EVIDENCE bytes. */
static char *compat_add_output(char *ev, const char *text, size_t len)
{
	if (ev == NULL || text == NULL || len == 0) {
		return ev;
	}
	if (len > COMPAT_MAX_EVIDENCE) {
		ev = talloc_asprintf_append_buffer(ev, "\n%.*s\n[... %zu more "
						   "bytes]",
						   COMPAT_MAX_EVIDENCE, text,
						   len - COMPAT_MAX_EVIDENCE);
	} else {
		ev = talloc_asprintf_append_buffer(ev, "\n%s", text);
	}
	if (ev == NULL) {
		return NULL;
	}
	/* no trailing newline: each clog() line adds its own */
	(void)util_trim_trailing(ev, "\n");
	return ev;
}

static char *compat_cmdline(TALLOC_CTX *mem_ctx, const char *const *argv)
{
	char *s = talloc_strdup(mem_ctx, "");
	size_t i;

	for (i = 0; s != NULL && argv[i] != NULL; i++) {
		s = talloc_asprintf_append_buffer(s, "%s%s", i > 0 ? " " : "",
						  argv[i]);
	}
	return s;
}

int compat_run_checker(TALLOC_CTX *mem_ctx, const struct checker_env *env,
		       const char *const *argv,
		       bool (*understood)(const char *output),
		       compat_listening_fn listening,
		       const uint16_t *ports, size_t nports,
		       struct check_result *res)
{
	TALLOC_CTX *tmp_ctx = NULL;
	struct run_result *rr = NULL;
	struct port_set *set = NULL;
	struct deadline fallback;
	const struct deadline *dl = NULL;
	char *cmd = NULL;
	char *ev = NULL;
	char *how = NULL;
	size_t i;
	int ret = 0;

	res->status = CHECK_CANNOT_RUN;
	res->err = 0;
	res->port = 0;
	res->evidence = NULL;

	tmp_ctx = talloc_new(mem_ctx);
	cmd = (tmp_ctx != NULL) ? compat_cmdline(tmp_ctx, argv) : NULL;
	if (cmd == NULL) {
		talloc_free(tmp_ctx);
		return ENOMEM;
	}
	dl = (env != NULL) ? env->deadline : NULL;
	if (dl == NULL) {
		deadline_init(&fallback, COMPAT_DEFAULT_SECONDS);
		dl = &fallback;
	}

	ret = run_bounded(tmp_ctx, argv, dl, &rr);
	if (ret == ENOMEM) {
		goto done;
	}
	if (ret != 0) {
		res->err = ret;
		ret = 0;
		ev = talloc_asprintf(tmp_ctx, "\"%s\" could not be started: %s",
				     cmd, strerror(res->err));
		goto set_evidence;
	}

	how = run_describe(tmp_ctx, rr);
	if (how == NULL) {
		ret = ENOMEM;
		goto done;
	}
	if (!run_ok(rr)) {
		if (rr->err != 0) {
			res->err = rr->err;
		} else if (rr->timed_out) {
			res->err = ETIMEDOUT;
		} else {
			res->err = EIO;
		}
		ev = talloc_asprintf(tmp_ctx, "\"%s\" %s", cmd, how);
		ev = compat_add_output(ev, rr->out, rr->outlen);
		ev = compat_add_output(ev, rr->errout, rr->errlen);
		goto set_evidence;
	}
	if (!understood(rr->out)) {
		res->err = EPROTO;
		ev = talloc_asprintf(tmp_ctx,
				     "\"%s\" %s, output not understood", cmd,
				     how);
		ev = compat_add_output(ev, rr->out, rr->outlen);
		ev = compat_add_output(ev, rr->errout, rr->errlen);
		goto set_evidence;
	}

	res->status = CHECK_OK;
	set = talloc_zero(tmp_ctx, struct port_set);
	if (set == NULL) {
		ret = ENOMEM;
		goto done;
	}
	listening(rr->out, set);
	for (i = 0; i < nports; i++) {
		if (!port_set_has(set, ports[i])) {
			res->status = CHECK_FAIL;
			res->port = ports[i];
			break;
		}
	}
	if (res->status == CHECK_FAIL) {
		ev = talloc_asprintf(tmp_ctx,
				     "\"%s\" shows no listener on port %u",
				     cmd, (unsigned)res->port);
	} else {
		ev = talloc_asprintf(tmp_ctx,
				     "\"%s\" shows listeners on all ports",
				     cmd);
	}
	ev = compat_add_output(ev, rr->out, rr->outlen);

set_evidence:
	if (ev == NULL) {
		res->status = CHECK_CANNOT_RUN;
		ret = ENOMEM;
		goto done;
	}
	res->evidence = talloc_steal(mem_ctx, ev);
done:
	talloc_free(tmp_ctx);
	return ret;
}
