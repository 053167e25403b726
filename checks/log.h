/*
 * The run's report: every line a check wants the user (or ctdb's log)
 * to see goes through clog().  Lines are collected in a buffer and
 * written out by the command at the end of the run, so that the command
 * can put its ERROR line first (ctdb keeps only the first 511 bytes of
 * a script's output).  Each command of cmd/ starts and flushes it.
 */
#ifndef CHECKS_LOG_H
#define CHECKS_LOG_H

#include <stdbool.h>
#include <stdio.h>
#include <talloc.h>

enum clog_level {
	CLOG_ERROR = 0,
	CLOG_WARNING = 1,
	CLOG_NOTICE = 2,
	CLOG_INFO = 3,
	CLOG_DEBUG = 4,
};

/**
 * @brief Start a report.
 * @param[in] mem_ctx   talloc parent of the buffer
 * @param[in] threshold lines above this level are dropped
 *
 * Without clog_start() lines go straight to stderr (threshold WARNING).
 */
void clog_start(TALLOC_CTX *mem_ctx, enum clog_level threshold);

/** @brief True when a line at @p level would be kept. */
bool clog_enabled(enum clog_level level);

/*
 * clog() is also C99's complex logarithm, which compilers know as a
 * built-in: the symbol is named clog_line, the call sites say clog().
 */
#define clog clog_line

/**
 * @brief Add a line (a trailing newline is added; embedded newlines
 * start new lines).  Control characters other than newline and tab
 * become '?', so hostile text cannot mess up a terminal or a log.
 */
void clog(enum clog_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/** @brief The collected text so far ("" when empty). */
const char *clog_text(void);

/** @brief Write the collected text to @p out and empty the buffer. */
void clog_flush(FILE *out);

/** @brief Drop the buffer (before its talloc parent is freed). */
void clog_end(void);

/**
 * @brief Replace control characters (other than newline and tab)
 * in @p s by '?', in place.  Returns @p s.
 */
char *clog_sanitize(char *s);

#endif
