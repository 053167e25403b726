/*
 * Is winbindd alive?  libwbclient's ping where the build found it, in
 * a thread the run abandons at the deadline; otherwise "wbinfo -p".
 */
#ifndef CHECKS_WINBIND_H
#define CHECKS_WINBIND_H

#include <stdbool.h>
#include <talloc.h>

#include "checks/util.h"

/**
 * @brief Ping winbindd within @p dl.
 * @param[out] alive  the answer
 * @param[out] detail DEBUG text (talloc child of @p mem_ctx), may be NULL
 * @return 0, or ENOMEM (or the errno of a thread that cannot be
 *         started)
 */
int winbind_ping(TALLOC_CTX *mem_ctx, const struct deadline *dl,
		 bool *alive, char **detail);

#endif
