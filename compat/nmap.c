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

/* What nmap_open_line() looks for: "P/open/tcp//". */
struct nmap_want {
	char entry[32];
	size_t len;
};

/* A "Host:" line whose "Ports:" field lists the wanted entry? */
static bool nmap_open_line(const char *line, const char *end,
			   const void *arg)
{
	const struct nmap_want *want = arg;
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
		if ((size_t)(comma - f) >= want->len &&
		    memcmp(f, want->entry, want->len) == 0) {
			return true;
		}
		f = comma + 1;
	}
	return false;
}

bool nmap_parse(const char *output, uint16_t port)
{
	struct nmap_want want;

	if (output == NULL) {
		return false;
	}
	snprintf(want.entry, sizeof(want.entry), "%u/open/tcp//",
		 (unsigned)port);
	want.len = strlen(want.entry);
	return util_any_line(output, nmap_open_line, &want);
}

/* A "Host:" line with a "Ports:" field? */
static bool nmap_ports_line(const char *line, const char *end,
			    const void *arg)
{
	const char *fend = NULL;

	return nmap_ports_field(line, end, &fend) != NULL;
}

/* Understood: some "Host:" line carries a "Ports:" field (possibly
 * empty, "Ports: \tIgnored State: closed (100)"). */
static bool nmap_understood(const char *output)
{
	return util_any_line(output, nmap_ports_line, NULL);
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
