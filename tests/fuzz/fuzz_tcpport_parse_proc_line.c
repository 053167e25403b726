/*
 * libFuzzer: tcpport_parse_proc_line() on each line, with an address
 * buffer of exactly the documented minimum (46 bytes).
 */
#include "checks/tcpport.h"
#include "tests/fuzz/fuzz_common.h"

#define ADDR_MIN 46

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size);
	char *addr = malloc(ADDR_MIN);
	char *save = NULL;
	char *line = NULL;

	if (addr == NULL) {
		abort();
	}
	for (line = strtok_r(s, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		uint16_t port = 0;
		bool listen = false;

		memset(addr, 'x', ADDR_MIN);
		if (tcpport_parse_proc_line(line, &port, &listen, addr,
					    ADDR_MIN) == 0 &&
		    memchr(addr, '\0', ADDR_MIN) == NULL) {
			abort();	/* not terminated */
		}
	}
	free(addr);
	free(s);
	return 0;
}
