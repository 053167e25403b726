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
#include <stdint.h>
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

/*
 * The port of a "Ports:" entry [f, end) that reads "P/open/tcp//..."
 * (P written as nmap writes it: no sign, no leading zero).
 */
static bool nmap_open_entry(const char *f, const char *end, uint16_t *port)
{
	static const char open_tcp[] = "/open/tcp//";
	const size_t olen = sizeof(open_tcp) - 1;
	unsigned long v = 0;
	const char *p = f;

	while (p < end && *p >= '0' && *p <= '9' && p - f < 5) {
		v = v * 10 + (unsigned long)(*p - '0');
		p++;
	}
	if (p == f || (*f == '0' && p - f > 1) || v > 65535 ||
	    (size_t)(end - p) < olen || memcmp(p, open_tcp, olen) != 0) {
		return false;
	}
	*port = (uint16_t)v;
	return true;
}

/* A "Host:" line: every open TCP port of its "Ports:" field. */
static bool nmap_open_line(const char *line, const char *end,
			   const void *arg)
{
	struct port_set *set = (struct port_set *)(uintptr_t)arg;
	const char *fend = NULL;
	const char *f = nmap_ports_field(line, end, &fend);

	while (f != NULL && f < fend) {
		const char *comma = NULL;
		uint16_t port;

		/* entries are separated by ", " */
		while (f < fend && *f == ' ') {
			f++;
		}
		if (f == fend) {
			break;
		}
		comma = memchr(f, ',', (size_t)(fend - f));
		if (comma == NULL) {
			comma = fend;
		}
		if (nmap_open_entry(f, comma, &port)) {
			port_set_add(set, port);
		}
		f = comma + 1;
	}
	/* every line */
	return false;
}

void nmap_listening(const char *output, struct port_set *set)
{
	if (output != NULL) {
		(void)util_any_line(output, nmap_open_line, set);
	}
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
				 nmap_listening, ports, nports, res);
	talloc_free(list);
	return ret;
}

const struct port_checker checker_nmap = {
	.name = "nmap",
	.check = nmap_check,
};
