/*
 * Shared by the libFuzzer targets in tests/fuzz/: the input as a
 * NUL-terminated string of its own (libFuzzer's data is not), in a
 * heap block of exactly that size so that AddressSanitizer sees every
 * read past its end.
 */
#ifndef TESTS_FUZZ_COMMON_H
#define TESTS_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compat/checkers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline char *fuzz_string(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL) {
		abort();
	}
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/*
 * The checker output parsers: the first two bytes are the port (big
 * endian), the rest is the tool's output.
 */
static inline int fuzz_port_parser(const uint8_t *data, size_t size,
				   compat_listening_fn listening)
{
	uint16_t port;
	char *s = NULL;

	if (size < 2) {
		return 0;
	}
	port = (uint16_t)((data[0] << 8) | data[1]);
	s = fuzz_string(data + 2, size - 2);
	(void)compat_port_listed(listening, s, port);
	free(s);
	return 0;
}

#endif
