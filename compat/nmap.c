/*
 * The "nmap" checker: "nmap -n -oG - -PS 127.0.0.1 -p P1,P2,...".
 * The grepable output has one line per host with a tab-separated
 * "Ports:" field listing "PORT/STATE/PROTO/OWNER/SERVICE/RPC/VERSION/"
 * entries separated by ", ":
 *
 *   Host: 127.0.0.1 ()<TAB>Ports: 139/closed/tcp//netbios-ssn///,
 *     445/open/tcp//microsoft-ds///   (one line)
 *
 * Only listeners reachable on 127.0.0.1 are seen.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "compat/checkers.h"

/* The "Ports:" field of a "Host:" line [line, end), or NULL. */
static const char *nmap_ports_field(const char *line, const char *end,
				    const char **fend)
{
	const char *p = line;

	if (strncmp(line, "Host: ", 6) != 0) {
		return NULL;
	}
	while (p < end) {
		const char *tab = memchr(p, '\t', (size_t)(end - p));

		if (tab == NULL) {
			return NULL;
		}
		p = tab + 1;
		if ((size_t)(end - p) >= 6 && memcmp(p, "Ports:", 6) == 0) {
			const char *f = p + 6;
			const char *e = memchr(f, '\t', (size_t)(end - f));

			*fend = (e != NULL) ? e : end;
			return f;
		}
	}
	return NULL;
}

bool nmap_parse(const char *output, uint16_t port)
{
	const char *pos = output;
	const char *line = NULL;
	const char *end = NULL;
	char want[32];
	size_t wlen;

	if (output == NULL) {
		return false;
	}
	snprintf(want, sizeof(want), "%u/open/tcp//", (unsigned)port);
	wlen = strlen(want);

	while (util_next_line(&pos, &line, &end)) {
		const char *fend = NULL;
		const char *f = nmap_ports_field(line, end, &fend);

		while (f != NULL && f < fend) {
			const char *comma = NULL;

			/* entries are separated by ", " */
			while (f < fend && *f == ' ') {
				f++;
			}
			comma = memchr(f, ',', (size_t)(fend - f));
			if (comma == NULL) {
				comma = fend;
			}
			if ((size_t)(comma - f) >= wlen &&
			    memcmp(f, want, wlen) == 0) {
				return true;
			}
			f = comma + 1;
		}
	}
	return false;
}

/* Understood: some "Host:" line carries a "Ports:" field (possibly
 * empty, "Ports: \tIgnored State: closed (100)"). */
static bool nmap_understood(const char *output)
{
	const char *pos = output;
	const char *line = NULL;
	const char *end = NULL;

	while (util_next_line(&pos, &line, &end)) {
		const char *fend = NULL;

		if (nmap_ports_field(line, end, &fend) != NULL) {
			return true;
		}
	}
	return false;
}

static int nmap_check(TALLOC_CTX *mem_ctx, const struct checker_env *env,
		      const uint16_t *ports, size_t nports,
		      struct check_result *res)
{
	const char *argv[] = {
		"nmap", "-n", "-oG", "-", "-PS", "127.0.0.1", "-p", NULL, NULL
	};
	char *list = NULL;
	size_t i;
	int ret;

	if (nports == 0) {
		/* nothing to scan: trivially all listening */
		res->status = CHECK_OK;
		res->err = 0;
		res->port = 0;
		res->evidence = NULL;
		return 0;
	}
	list = talloc_strdup(mem_ctx, "");
	for (i = 0; list != NULL && i < nports; i++) {
		list = talloc_asprintf_append_buffer(list, "%s%u",
						     i > 0 ? "," : "",
						     (unsigned)ports[i]);
	}
	if (list == NULL) {
		return ENOMEM;
	}
	argv[7] = list;
	ret = compat_run_checker(mem_ctx, env, argv, nmap_understood,
				 nmap_parse, ports, nports, res);
	talloc_free(list);
	return ret;
}

const struct port_checker checker_nmap = {
	.name = "nmap",
	.check = nmap_check,
};
