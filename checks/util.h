/*
 * Small helpers shared by every module: strict number parsing, port
 * lists and the run's one deadline.
 */
#ifndef CHECKS_UTIL_H
#define CHECKS_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <talloc.h>

/**
 * @brief Parse a plain decimal number: digits only, no sign, no
 * spaces, no trailing text, at most @p max.
 * @return 0 on success, EINVAL on anything else (including overflow)
 */
int util_parse_uint(const char *s, uint64_t max, uint64_t *out);

/** @brief A TCP port: util_parse_uint() in 1..65535.  0 or EINVAL. */
int util_parse_port(const char *s, uint16_t *port);

/**
 * @brief Parse a port list separated by spaces, tabs and/or commas.
 * Duplicates are kept once, in first-seen order.
 * @param[in]  mem_ctx talloc parent of *ports and *bad
 * @param[out] ports   the ports (NULL when there are none)
 * @param[out] nports  how many
 * @param[out] bad     on EINVAL, the first bad word (talloc string)
 * @return 0 on success (an empty list is fine), EINVAL, ENOMEM
 */
int util_parse_port_list(TALLOC_CTX *mem_ctx, const char *s,
			 uint16_t **ports, size_t *nports, char **bad);

/** @brief Monotonic clock in milliseconds. */
int64_t util_now_ms(void);

/* The run's one deadline (spec 3.5): every wait gets what is left. */
struct deadline {
	int64_t end_ms;		/* util_now_ms() value */
	unsigned seconds;	/* the configured length, for messages */
};

/** @brief A deadline @p seconds from now. */
void deadline_init(struct deadline *dl, unsigned seconds);

/** @brief Milliseconds left, never negative. */
int64_t deadline_left_ms(const struct deadline *dl);

/** @brief True once the deadline has passed. */
bool deadline_expired(const struct deadline *dl);

#endif
