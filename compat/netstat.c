/*
 * The "netstat" checker: "netstat -l -t -n".
 *
 *   Proto Recv-Q Send-Q Local Address           Foreign Address  State
 *   tcp        0      0 0.0.0.0:445             0.0.0.0:*        LISTEN
 *   tcp6       0      0 :::445                  :::*             LISTEN
 */
#include <string.h>

#include "compat/checkers.h"

#define NETSTAT_ADDR_COL 3
#define NETSTAT_STATE_COL 5

void netstat_listening(const char *output, struct port_set *set)
{
	compat_table_listening(output, NETSTAT_STATE_COL, NETSTAT_ADDR_COL, set);
}

/* The column header line? */
static bool netstat_header_line(const char *line, const char *end,
				const void *arg)
{
	return end - line >= 6 && strncmp(line, "Proto ", 6) == 0;
}

/* netstat always prints its column header, even with no sockets. */
static bool netstat_understood(const char *output)
{
	return util_any_line(output, netstat_header_line, NULL);
}

static int netstat_check(TALLOC_CTX *mem_ctx, const struct checker_env *env,
			 const uint16_t *ports, size_t nports,
			 struct check_result *res)
{
	static const char *const argv[] = {
		"netstat", "-l", "-t", "-n", NULL
	};

	return compat_run_checker(mem_ctx, env, argv, netstat_understood,
				  netstat_listening, ports, nports, res);
}

const struct port_checker checker_netstat = {
	.name = "netstat",
	.check = netstat_check,
};
