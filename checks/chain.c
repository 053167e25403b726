/*
 * The checker chain (spec 3.4): walk checker names in order; the first
 * answer that is not "cannot run" decides.  The table of checkers is
 * given by the caller, so this file knows nothing about compat/.
 */
#include <errno.h>
#include <string.h>

#include "checks/chain.h"
#include "checks/log.h"

#define CHAIN_SEPARATORS " \t\n,"

const struct port_checker *chain_find(const struct port_checker *const *table,
				      const char *name)
{
	size_t i;

	if (table == NULL || name == NULL) {
		return NULL;
	}
	for (i = 0; table[i] != NULL; i++) {
		if (table[i]->name != NULL &&
		    strcmp(table[i]->name, name) == 0) {
			return table[i];
		}
	}
	return NULL;
}

/* Drop trailing newlines, so that the DEBUG output has no empty line. */
#define CHAIN_TRIM "\r\n"

static void chain_log_cannot_run(const char *name, const char *evidence)
{
	clog(CLOG_DEBUG, "ctdb_check_ports - checker %s not implemented",
	     name);
	clog(CLOG_DEBUG, "output from checker was:");
	if (evidence != NULL && evidence[0] != '\0') {
		clog(CLOG_DEBUG, "%s", evidence);
	}
}

int chain_run(TALLOC_CTX *mem_ctx, const struct port_checker *const *table,
	      const char *names, const struct checker_env *env,
	      const uint16_t *ports, size_t nports,
	      struct chain_outcome **out)
{
	TALLOC_CTX *tmp_ctx = NULL;
	struct chain_outcome *o = NULL;
	const char *p = names;
	int ret = 0;

	*out = NULL;
	tmp_ctx = talloc_new(mem_ctx);
	if (tmp_ctx == NULL) {
		return ENOMEM;
	}
	o = talloc_zero(tmp_ctx, struct chain_outcome);
	if (o == NULL) {
		ret = ENOMEM;
		goto done;
	}
	o->status = CHECK_CANNOT_RUN;

	while (p != NULL && *p != '\0') {
		size_t len = strcspn(p, CHAIN_SEPARATORS);
		const struct port_checker *c = NULL;
		struct check_result res = { .status = CHECK_CANNOT_RUN };
		TALLOC_CTX *step_ctx = NULL;
		char *name = NULL;
		int cret;

		if (len == 0) {
			p++;
			continue;
		}
		step_ctx = talloc_new(tmp_ctx);
		if (step_ctx == NULL) {
			ret = ENOMEM;
			goto done;
		}
		name = talloc_strndup(step_ctx, p, len);
		if (name == NULL) {
			ret = ENOMEM;
			goto done;
		}
		p += len;

		c = chain_find(table, name);
		if (c == NULL || c->check == NULL) {
			chain_log_cannot_run(name, "unknown checker");
			TALLOC_FREE(step_ctx);
			continue;
		}

		cret = c->check(step_ctx, env, ports, nports, &res);
		if (cret != 0) {
			char *why = talloc_asprintf(step_ctx,
						    "checker failed: %s",
						    strerror(cret));

			if (res.evidence != NULL) {
				why = talloc_asprintf(step_ctx, "%s\n%s",
						      res.evidence,
						      why != NULL ? why : "");
			}
			(void)util_trim_trailing(why, CHAIN_TRIM);
			chain_log_cannot_run(c->name, why);
			TALLOC_FREE(step_ctx);
			continue;
		}
		(void)util_trim_trailing(res.evidence, CHAIN_TRIM);
		if (res.status != CHECK_OK && res.status != CHECK_FAIL) {
			chain_log_cannot_run(c->name, res.evidence);
			TALLOC_FREE(step_ctx);
			continue;
		}

		o->status = res.status;
		o->port = (res.status == CHECK_FAIL) ? res.port : 0;
		o->checker = c->name;
		if (res.evidence != NULL) {
			o->evidence = talloc_steal(o, res.evidence);
		}
		if (res.listeners != NULL) {
			o->listeners = talloc_steal(o, res.listeners);
		}
		TALLOC_FREE(step_ctx);
		break;
	}

	*out = talloc_steal(mem_ctx, o);
done:
	talloc_free(tmp_ctx);
	return ret;
}
