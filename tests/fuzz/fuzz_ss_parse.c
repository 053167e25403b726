/*
 * libFuzzer: ss_parse().  The first two bytes are the port (big
 * endian), the rest is the tool's output.
 */
#include "compat/checkers.h"
#include "tests/fuzz/fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint16_t port;
	char *s = NULL;

	if (size < 2) {
		return 0;
	}
	port = (uint16_t)((data[0] << 8) | data[1]);
	s = fuzz_string(data + 2, size - 2);
	(void)ss_parse(s, port);
	free(s);
	return 0;
}
