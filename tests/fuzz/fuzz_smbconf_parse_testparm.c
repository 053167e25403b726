/*
 * libFuzzer: smbconf_parse_testparm() and the questions asked of its
 * result.  The input is testparm's stdout, then (after the first NUL
 * byte, if any) its stderr.
 */
#include <talloc.h>

#include "checks/share.h"
#include "checks/smbconf.h"
#include "tests/fuzz/fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	TALLOC_CTX *mem_ctx = talloc_new(NULL);
	char *s = fuzz_string(data, size);
	size_t outlen = strlen(s);
	const char *err = outlen < size ? s + outlen + 1 : NULL;
	struct smbconf *conf = NULL;
	uint16_t *ports = NULL;
	size_t nports = 0;
	size_t nentries = 0;
	char *bad = NULL;
	const char **paths = NULL;
	char **lines = NULL;
	size_t i;
	size_t n;

	if (smbconf_parse_testparm(mem_ctx, s, err, &conf) == 0) {
		if (conf == NULL) {
			abort();
		}
		if (smbconf_ports(mem_ctx, conf, &ports, &nports, &nentries,
				  &bad) == 0) {
			if (nports > nentries) {
				abort();
			}
			for (i = 0; i < nports; i++) {
				if (ports[i] == 0) {
					abort();
				}
			}
		}
		if (share_paths(mem_ctx, conf, &paths, &n) != 0) {
			n = 0;
		}
		for (i = 0; i < n; i++) {
			if (paths[i][0] == '\0' ||
			    strchr(paths[i], '%') != NULL) {
				abort();
			}
		}
		(void)smbconf_dirty_stderr(mem_ctx, conf, &lines);
		(void)smbconf_is_domain(conf);
	}
	talloc_free(mem_ctx);
	free(s);
	return 0;
}
