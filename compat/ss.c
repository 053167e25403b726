/*
 * The "ss" checker: "ss -l -t -n -H" (no header line).
 *
 *   LISTEN 0      5             0.0.0.0:445   0.0.0.0:*
 *   LISTEN 0      5                   *:445         *:*
 *   LISTEN 0      5               [::1]:139      [::]:*
 *   LISTEN 0      5      192.0.2.2%eth0:4451  0.0.0.0:*
 */
#include <ctype.h>
#include <string.h>

#include "compat/checkers.h"

#define SS_STATE_COL 0
#define SS_ADDR_COL 3

void ss_listening(const char *output, struct port_set *set)
{
	compat_table_listening(output, SS_STATE_COL, SS_ADDR_COL, set);
}

/* True when [p, p + len) is all digits. */
static bool ss_is_number(const char *p, size_t len)
{
	size_t i;

	if (len == 0) {
		return false;
	}
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)p[i])) {
			return false;
		}
	}
	return true;
}

/*
 * A line that does not look like a socket: not empty, and not a state
 * in capitals ("LISTEN", "UNCONN", ...), two queue sizes, and local and
 * peer addresses with a ':' in them.
 */
static bool ss_odd_line(const char *line, const char *end, const void *arg)
{
	const char *f[5];
	size_t flen[5];
	unsigned n;

	for (n = 0; n < 5; n++) {
		if (!compat_field(line, end, n, &f[n], &flen[n])) {
			break;
		}
	}
	if (n == 0) {
		/* an empty line */
		return false;
	}
	return n < 5 || !isupper((unsigned char)f[0][0]) ||
	       !ss_is_number(f[1], flen[1]) || !ss_is_number(f[2], flen[2]) ||
	       memchr(f[3], ':', flen[3]) == NULL ||
	       memchr(f[4], ':', flen[4]) == NULL;
}

/*
 * No output at all is a valid answer (nothing listens).  Otherwise
 * every line must look like a socket.
 */
static bool ss_understood(const char *output)
{
	return !util_any_line(output, ss_odd_line, NULL);
}

static int ss_check(TALLOC_CTX *mem_ctx, const struct checker_env *env,
		    const uint16_t *ports, size_t nports,
		    struct check_result *res)
{
	static const char *const argv[] = {
		"ss", "-l", "-t", "-n", "-H", NULL
	};

	return compat_run_checker(mem_ctx, env, argv, ss_understood, ss_listening,
				  ports, nports, res);
}

const struct port_checker checker_ss = {
	.name = "ss",
	.check = ss_check,
};
