/*
 * Configuration (spec 3.1): defaults < files < environment < options.
 * The files are shell fragments written for the old scripts; they are
 * parsed here, never executed.
 */
#ifndef CHECKS_CONFIG_H
#define CHECKS_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <talloc.h>

struct config;

enum config_line_kind {
	CONFIG_LINE_EMPTY,	/* blank or comment */
	CONFIG_LINE_ASSIGN,	/* NAME=VALUE understood */
	CONFIG_LINE_SKIP,	/* anything else: *why says why */
};

/**
 * @brief Parse one line (without its newline; a trailing '\r' is
 * ignored).  Understood: blank lines, '#' comments, and NAME=VALUE with
 * an optional leading "export", VALUE a bare word, 'single quoted' or
 * "double quoted" (escapes \" \\ \$ \`), optionally followed by
 * whitespace and a comment.  A value that would need the shell (an
 * unescaped $ or backquote outside single quotes) is a skip.
 * @param[out] name,value talloc children of @p mem_ctx (ASSIGN only)
 * @param[out] why        static text (SKIP only)
 * @return the kind of line (ENOMEM is reported as SKIP "out of memory")
 */
enum config_line_kind config_parse_line(TALLOC_CTX *mem_ctx, const char *line,
					char **name, char **value,
					const char **why);

/** @brief An empty configuration, talloc child of @p mem_ctx. */
struct config *config_new(TALLOC_CTX *mem_ctx);

/**
 * @brief Read one file into @p cfg (later assignments win).  Each
 * skipped line is a DEBUG clog() line "FILE:LINE: skipped: WHY".
 * @return 0, ENOENT when the file does not exist, another errno when
 *         it exists but cannot be read (the caller warns)
 */
int config_load_file(struct config *cfg, const char *path);

/** @brief Set a value from the command line (wins over all else). */
int config_set_option(struct config *cfg, const char *name,
		      const char *value);

/**
 * @brief The value of @p name: option, else environment, else file,
 * else NULL.  An empty value counts as unset at every level.
 */
const char *config_get(const struct config *cfg, const char *name);

/**
 * @brief A plain decimal number (util_parse_uint()), @p def when unset.
 * @return 0, or EINVAL (the caller prints
 *         ERROR: invalid value "V" for NAME)
 */
int config_get_uint(const struct config *cfg, const char *name,
		    uint64_t def, uint64_t max, uint64_t *out);

/** @brief True when @p name is exactly "yes". */
bool config_is_yes(const struct config *cfg, const char *name);

/** @brief True when the word list @p name contains @p word. */
bool config_has_word(const struct config *cfg, const char *name,
		     const char *word);

#endif
