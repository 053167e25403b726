/*
 * libFuzzer: config_parse_line() on one line, then on each line, with
 * config_scan_line() following the shell structure across them.
 */
#include <talloc.h>

#include "checks/config.h"
#include "tests/fuzz/fuzz_common.h"

static void one_line(TALLOC_CTX *mem_ctx, const char *line)
{
	char *name = NULL;
	char *value = NULL;
	const char *why = NULL;
	enum config_line_kind kind;

	kind = config_parse_line(mem_ctx, line, &name, &value, &why);
	switch (kind) {
	case CONFIG_LINE_ASSIGN:
		if (name == NULL || value == NULL || name[0] == '\0') {
			abort();
		}
		break;
	case CONFIG_LINE_SKIP:
		if (why == NULL) {
			abort();
		}
		break;
	case CONFIG_LINE_EMPTY:
		break;
	case CONFIG_LINE_UNSET:
		if (name == NULL || value != NULL || name[0] == '\0') {
			abort();
		}
		break;
	default:
		abort();
	}
	talloc_free(name);
	talloc_free(value);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	TALLOC_CTX *mem_ctx = talloc_new(NULL);
	char *s = fuzz_string(data, size);
	struct config_scan scan = { .depth = 0 };
	char *save = NULL;
	char *line = NULL;

	one_line(mem_ctx, s);
	for (line = strtok_r(s, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		/* the delimiter is always a string of its buffer */
		if (config_scan_line(&scan, line) != NULL && scan.heredoc &&
		    memchr(scan.delim, '\0', sizeof(scan.delim)) == NULL) {
			abort();
		}
		one_line(mem_ctx, line);
	}
	/* nothing may be left behind on the caller's context */
	if (talloc_total_blocks(mem_ctx) != 1) {
		abort();
	}
	talloc_free(mem_ctx);
	free(s);
	return 0;
}
