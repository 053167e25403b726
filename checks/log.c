#include <stdarg.h>
#include <string.h>

#include "checks/log.h"

static char *log_buf;
static bool log_started;
static enum clog_level log_threshold = CLOG_WARNING;

void clog_start(TALLOC_CTX *mem_ctx, enum clog_level threshold)
{
	log_buf = talloc_strdup(mem_ctx, "");
	log_started = (log_buf != NULL);
	log_threshold = threshold;
}

bool clog_enabled(enum clog_level level)
{
	return level <= log_threshold;
}

char *clog_sanitize(char *s)
{
	unsigned char *p = NULL;

	for (p = (unsigned char *)s; *p != '\0'; p++) {
		if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f) {
			*p = '?';
		}
	}
	return s;
}

void clog(enum clog_level level, const char *fmt, ...)
{
	va_list ap;
	char *line = NULL;

	if (!clog_enabled(level)) {
		return;
	}
	va_start(ap, fmt);
	line = talloc_vasprintf(NULL, fmt, ap);
	va_end(ap);
	if (line == NULL) {
		return;
	}
	clog_sanitize(line);
	if (log_started) {
		char *grown = talloc_asprintf_append_buffer(log_buf, "%s\n",
							    line);
		if (grown != NULL) {
			log_buf = grown;
		}
	} else {
		fprintf(stderr, "%s\n", line);
	}
	talloc_free(line);
}

const char *clog_text(void)
{
	return log_started ? log_buf : "";
}

void clog_flush(FILE *out)
{
	char *fresh = NULL;

	if (!log_started || log_buf[0] == '\0') {
		return;
	}
	fputs(log_buf, out);
	/* talloc_asprintf_append_buffer() finds the end by the talloc
	 * size, so start a fresh buffer instead of truncating */
	fresh = talloc_strdup(talloc_parent(log_buf), "");
	if (fresh != NULL) {
		talloc_free(log_buf);
		log_buf = fresh;
	}
}

void clog_end(void)
{
	if (log_started) {
		TALLOC_FREE(log_buf);
	}
	log_started = false;
	log_threshold = CLOG_WARNING;
}
