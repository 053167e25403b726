/*
 * Shared by the libFuzzer targets in tests/fuzz/: the input as a
 * NUL-terminated string of its own (libFuzzer's data is not), in a
 * heap block of exactly that size so that AddressSanitizer sees every
 * read past its end.
 */
#ifndef TESTS_FUZZ_COMMON_H
#define TESTS_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

#endif
