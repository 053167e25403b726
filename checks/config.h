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

#include "checks/log.h"

struct config;

/* The largest configuration file read (bigger: EFBIG) */
#define CONFIG_MAX_FILE (1024 * 1024)

enum config_line_kind {
	CONFIG_LINE_EMPTY,	/* blank or comment */
	CONFIG_LINE_ASSIGN,	/* NAME=VALUE understood */
	CONFIG_LINE_SKIP,	/* anything else: *why says why */
	CONFIG_LINE_UNSET,	/* "unset NAME...": *name lists the names,
				 * separated by single spaces */
};

/**
 * @brief Parse one line (without its newline; a trailing '\r' is
 * ignored).  Understood: blank lines, '#' comments, "unset [-v] NAME...",
 * and NAME=VALUE with an optional leading "export" or "readonly" (the
 * same assignment), VALUE a bare word, 'single quoted' or
 * "double quoted" (escapes \" \\ \$ \`), optionally followed by
 * whitespace and a comment.  A value that would need the shell (an
 * unescaped $ or backquote outside single quotes) is a skip.
 * @param[out] name,value talloc children of @p mem_ctx (ASSIGN; UNSET
 *                        sets only name)
 * @param[out] why        static text (SKIP only)
 * @return the kind of line (ENOMEM is reported as SKIP "out of memory")
 */
enum config_line_kind config_parse_line(TALLOC_CTX *mem_ctx, const char *line,
					char **name, char **value,
					const char **why);

/*
 * Where a line stands in the shell structure of a file.  A line inside
 * a compound command (if, case, for, while, until, { }, ( ), a function
 * body), a here-document, a quoted value that spans lines, or after a
 * backslash continuation is not a plain assignment: the shell may never
 * run it, or reads it as part of something else.
 */
struct config_scan {
	unsigned depth;		/* compound commands open */
	unsigned parens;	/* subshells open */
	char quote;		/* quote left open by the last line, or 0 */
	bool continued;		/* the last line ended in a backslash */
	bool heredoc;		/* a here-document is open */
	bool heredoc_tabs;	/* "<<-": its lines may start with tabs */
	char delim[64];		/* its delimiter (a longer one never ends) */
};

/**
 * @brief Move @p scan past one line (without its newline) and say
 * whether the line stands on its own.  Start with a zeroed scan.
 * @return NULL when the line is to be parsed (config_parse_line()),
 *         else why it is skipped (static text)
 */
const char *config_scan_line(struct config_scan *scan, const char *line);

/** @brief An empty configuration, talloc child of @p mem_ctx. */
struct config *config_new(TALLOC_CTX *mem_ctx);

/**
 * @brief Read one file into @p cfg (later assignments win; "unset NAME"
 * forgets what files said of NAME).  Each skipped line, including every
 * line that config_scan_line() puts inside a shell structure, is a DEBUG
 * clog() line "FILE:LINE: skipped: WHY".
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

/**
 * @brief CTDB_VARDIR, else /var/lib/ctdb when that is a directory, else
 * /var/ctdb (spec 3.1).  The result points into @p cfg's values or is a
 * static string.
 */
const char *config_vardir(const struct config *cfg);

/**
 * @brief The base directory (CTDB_BASE) of the eventscript @p script:
 * the parent of its directory, or two levels up from events/legacy/
 * (CTDB 4.9 and later).  The directory is resolved, the script itself
 * is not (it may be a link to a packaged file).
 * @param[out] base talloc child of @p mem_ctx
 * @return 0, ENOMEM, or the errno of realpath()
 */
int config_eventscript_base(TALLOC_CTX *mem_ctx, const char *script,
			    char **base);

/**
 * @brief The debug level of the mode (spec 3.0), from the environment
 * alone, so that it is known before any file is read: with @p managed
 * CTDB_DEBUGLEVEL (a name, or ctdb's new scale: ERROR 0, WARNING 1,
 * NOTICE 3, INFO 5, DEBUG 10); otherwise CTDB_CURRENT_DEBUGLEVEL, else
 * the "CTDB_CURRENT_DEBUGLEVEL=N" line of $CTDB_VARDIR/eventscript_debuglevel
 * (old scale: ERROR 0, WARNING 1, NOTICE 2, INFO 3, DEBUG 4).  NOTICE when
 * nothing says otherwise.
 * @param[in] mem_ctx talloc parent of scratch memory
 */
enum clog_level config_debug_level(TALLOC_CTX *mem_ctx, bool managed);

/**
 * @brief Read the configuration files of the mode (spec 3.1), those that
 * exist, in order: without @p managed, for "ctdb" and then "samba" the
 * first existing of $CTDB_ETCDIR/sysconfig/NAME, $CTDB_ETCDIR/default/NAME
 * and $CTDB_BASE/sysconfig/NAME; then $CTDB_BASE/script.options,
 * $CTDB_BASE/events/legacy/50.samba.options, and @p extra (may be NULL).
 * A file that exists but cannot be read is a WARNING clog() line and is
 * skipped.
 * @return 0, or ENOMEM
 */
int config_load_standard(struct config *cfg, bool managed, const char *extra);

/* CTDB_SAMBA_CONFIG_CHECK */
enum config_check {
	CONFIG_CHECK_STDOUT,	/* testparm's stdout (the default) */
	CONFIG_CHECK_STRICT,	/* also its stderr diagnostics */
	CONFIG_CHECK_OFF,
};

/* Every value the cycle uses, validated once (spec 3.1) */
struct config_values {
	uint64_t timeout;		/* CTDB_SAMBA_CHECK_TIMEOUT, 1..3600 s */
	uint64_t cleanup_period;	/* SAMBA_CLEANUP_PERIOD, minutes */
	uint64_t cache_max_age;		/* CTDB_SAMBA_CACHE_MAX_AGE, s */
	bool cache_max_age_given;	/* it is set (applies always) */
	uint64_t startup_grace;		/* CTDB_SAMBA_STARTUP_GRACE, s */
	bool check_smb;			/* CTDB_SAMBA_CHECK_SMB: yes/no */
	uint64_t smb_interval;		/* CTDB_SAMBA_SMB_INTERVAL, 0..86400 s */
	uint64_t smb_timeout;		/* CTDB_SAMBA_SMB_TIMEOUT, 1..3600 s */
	uint64_t smb_failures;		/* CTDB_SAMBA_SMB_FAILURES, 1..100 */
	enum config_check config_check;	/* CTDB_SAMBA_CONFIG_CHECK */
	bool skip_share_check;		/* CTDB_SAMBA_SKIP_SHARE_CHECK=yes */
	const char *checkers;		/* CTDB_TCP_PORT_CHECKERS or default */
	bool ports_given;		/* CTDB_SAMBA_CHECK_PORTS is set */
	uint16_t *ports;		/* its TCP ports (may be none) */
	size_t nports;
	size_t port_entries;		/* its entries, TCP or not */
};

/* The checker chain when CTDB_TCP_PORT_CHECKERS is unset */
#define CONFIG_DEFAULT_CHECKERS "ctdb nmap netstat"

/**
 * @brief Check one value of @p name (one of the variables of struct
 * config_values) the way config_get_values() does.
 * @return 0, EINVAL when the value cannot be used, ENOMEM
 */
int config_check_value(const char *name, const char *value);

/**
 * @brief Validate and convert every value the cycle uses.  Defaults
 * depend on @p managed (SAMBA_CLEANUP_PERIOD: 10 legacy, 0 managed).
 * @param[out] v   talloc child of @p mem_ctx (only on success)
 * @param[out] bad on EINVAL, the name of the first bad variable (its
 *                 value: config_get()); the caller prints
 *                 ERROR: invalid value "VALUE" for NAME
 * @return 0, EINVAL, ENOMEM
 */
int config_get_values(TALLOC_CTX *mem_ctx, const struct config *cfg,
		      bool managed, struct config_values **v,
		      const char **bad);

#endif
