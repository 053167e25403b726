/*
 * libFuzzer: smbanswer_parse_reply() and smbanswer_parse_session() on
 * any bytes a listener might send, in a heap block of exactly that size
 * (AddressSanitizer sees every read past its end).  A reply taken as
 * whole must lie inside the input.
 */
#include <errno.h>

#include "checks/smbanswer.h"
#include "tests/fuzz/fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size ? size : 1);
	struct smbanswer_reply r;
	size_t used = 0;
	int ret;

	if (buf == NULL) {
		abort();
	}
	memcpy(buf, data, size);
	ret = smbanswer_parse_reply(buf, size, &r, &used);
	if (ret == 0 && (used > size || used < 4 + 4 ||
			 (r.kind != SMBANSWER_SMB1 &&
			  r.kind != SMBANSWER_SMB2))) {
		abort();
	}
	if (ret != 0 && ret != EAGAIN && ret != EBADMSG) {
		abort();
	}
	used = 0;
	ret = smbanswer_parse_session(buf, size, &used);
	if (ret == 0 && (used > size || used < 4)) {
		abort();
	}
	free(buf);
	return 0;
}
