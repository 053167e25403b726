/*
 * libFuzzer: ss_listening().  The first two bytes are the port (big
 * endian), the rest is the tool's output.
 */
#include "compat/checkers.h"
#include "tests/fuzz/fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_port_parser(data, size, ss_listening);
}
