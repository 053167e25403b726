/*
 * libFuzzer: util_parse_port_list(), util_parse_port(), util_parse_uint(),
 * and smbconf_parse_transports() both ways (smb.conf and strict)
 */
#include <errno.h>

#include <talloc.h>

#include "checks/smbconf.h"
#include "checks/util.h"
#include "tests/fuzz/fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	TALLOC_CTX *mem_ctx = talloc_new(NULL);
	char *s = fuzz_string(data, size);
	uint16_t *ports = NULL;
	uint16_t port = 0;
	uint64_t v = 0;
	size_t nports = 0;
	char *bad = NULL;
	size_t i;
	size_t j;
	int ret;

	ret = util_parse_port_list(mem_ctx, s, &ports, &nports, &bad);
	if (ret == 0) {
		for (i = 0; i < nports; i++) {
			if (ports[i] == 0) {
				abort();
			}
			for (j = 0; j < i; j++) {
				if (ports[i] == ports[j]) {
					abort();	/* duplicates kept once */
				}
			}
		}
	} else if (ret == EINVAL && bad == NULL) {
		abort();
	}
	for (i = 0; i < 2; i++) {
		size_t nentries = 0;

		bad = NULL;
		ret = smbconf_parse_transports(mem_ctx, s, i == 1, &ports,
					       &nports, &nentries, &bad);
		if (ret == 0) {
			if (nports > nentries) {
				abort();
			}
			for (j = 0; j < nports; j++) {
				if (ports[j] == 0) {
					abort();
				}
			}
		} else if (ret == EINVAL && bad == NULL) {
			abort();
		}
	}
	if (util_parse_port(s, &port) == 0 && port == 0) {
		abort();
	}
	if (util_parse_uint(s, 65535, &v) == 0 && v > 65535) {
		abort();
	}
	talloc_free(mem_ctx);
	free(s);
	return 0;
}
