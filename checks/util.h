/*
 * Small helpers shared by every module: strict number parsing, port
 * lists, word lists, whole-file reads and writes, and the run's one
 * deadline.
 */
#ifndef CHECKS_UTIL_H
#define CHECKS_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <talloc.h>
#include <time.h>

/**
 * @brief Parse a plain decimal number: digits only, no sign, no
 * spaces, no trailing text, at most @p max.
 * @return 0 on success, EINVAL on anything else (including overflow)
 */
int util_parse_uint(const char *s, uint64_t max, uint64_t *out);

/** @brief A TCP port: util_parse_uint() in 1..65535.  0 or EINVAL. */
int util_parse_port(const char *s, uint16_t *port);

/**
 * @brief Parse a port list separated by spaces, tabs and/or commas.
 * Duplicates are kept once, in first-seen order.
 * @param[in]  mem_ctx talloc parent of *ports and *bad
 * @param[out] ports   the ports (NULL when there are none)
 * @param[out] nports  how many
 * @param[out] bad     on EINVAL, the first bad word (talloc string)
 * @return 0 on success (an empty list is fine), EINVAL, ENOMEM
 */
int util_parse_port_list(TALLOC_CTX *mem_ctx, const char *s,
			 uint16_t **ports, size_t *nports, char **bad);

/* A set of TCP ports, one bit each (8 KiB). */
struct port_set {
	uint64_t bits[65536 / 64];
};

static inline void port_set_add(struct port_set *set, uint16_t port)
{
	set->bits[port / 64] |= UINT64_C(1) << (port % 64);
}

static inline bool port_set_has(const struct port_set *set, uint16_t port)
{
	return (set->bits[port / 64] >> (port % 64)) & 1;
}

/**
 * @brief Append @p port to the talloc array *ports of *nports unless
 * @p seen has it (first-seen order is kept), and add it to @p seen.
 * The array doubles when full: n ports cost O(n).
 * @return 0, or ENOMEM (the array is then unchanged)
 */
int util_port_list_add(TALLOC_CTX *mem_ctx, uint16_t **ports, size_t *nports,
		       struct port_set *seen, uint16_t port);

/**
 * @brief Room for one more element in the talloc array @p arr of @p n
 * elements of @p elem bytes (NULL: none yet, made a child of
 * @p mem_ctx): the array itself when it has room, else the array grown
 * to twice its size (at least 8), so that n appends cost O(n).
 * talloc_array_length() tells its room.
 * @return the array, or NULL (ENOMEM; @p arr is then unchanged)
 */
void *util_array_room(TALLOC_CTX *mem_ctx, void *arr, size_t elem, size_t n);

/**
 * @brief True when @p list, words separated by spaces, tabs, newlines
 * and/or commas, holds the word @p word.  A NULL list or an empty word
 * is never found.
 */
bool util_word_in_list(const char *list, const char *word);

/**
 * @brief Cut every trailing character found in @p chars off @p s, in
 * place (NULL is fine).
 * @return the new length of @p s
 */
size_t util_trim_trailing(char *s, const char *chars);

/**
 * @brief Walk text line by line: the line at *pos is [*line, *end),
 * without its "\n" and a "\r" before it, and *pos moves past it.  A
 * final newline does not start one more (empty) line.
 * @return false once *pos is NULL or at the end of the text
 */
bool util_next_line(const char **pos, const char **line, const char **end);

/**
 * @brief True when @p match says yes to some line of @p text (NULL: no
 * lines), walked as util_next_line() does; it stops at the first yes.
 * @param[in] match called with the line [line, end) and @p arg
 */
bool util_any_line(const char *text,
		   bool (*match)(const char *line, const char *end,
				 const void *arg),
		   const void *arg);

/**
 * @brief Split @p text into lines, as util_next_line() walks it.
 * @param[out] lines  talloc child of @p mem_ctx holding the strings
 *                    (NULL when there are none, or @p text is NULL)
 * @param[out] nlines how many
 * @return 0, or ENOMEM
 */
int util_split_lines(TALLOC_CTX *mem_ctx, const char *text, char ***lines,
		     size_t *nlines);

/**
 * @brief Append a talloc copy of @p s to the talloc string array *arr
 * of *n entries (*arr may be NULL: it is then made a child of
 * @p mem_ctx).
 * @return 0, or ENOMEM (*n is then unchanged)
 */
int util_strv_add(TALLOC_CTX *mem_ctx, char ***arr, size_t *n, const char *s);

/** @brief True when @p s begins with @p prefix. */
bool util_starts_with(const char *s, const char *prefix);

/** @brief True when @p s is NULL or holds only white space. */
bool util_is_blank(const char *s);

/**
 * @brief A copy of [start, end) without surrounding white space.
 * @return a talloc child of @p mem_ctx, or NULL (ENOMEM)
 */
char *util_trim_dup(TALLOC_CTX *mem_ctx, const char *start, const char *end);

/** @brief Remove one pair of surrounding double quotes, in place. */
void util_unquote(char *s);

/** @brief close(*fd) unless it is negative; *fd becomes -1. */
void util_close(int *fd);

/**
 * @brief Write all of @p buf, through partial writes and EINTR.
 * Async-signal-safe (for forked children).
 * @return 0, or the errno of the failed write (EIO when it had none)
 */
int util_write_all(int fd, const void *buf, size_t len);

/**
 * @brief Read a whole regular file, NUL-terminated.
 * @param[in]  flags  extra open() flags (O_NONBLOCK: a FIFO fails with
 *                    EINVAL at once instead of waiting for a writer)
 * @param[in]  max    the most bytes the file may hold
 * @param[out] buf    talloc child of @p mem_ctx
 * @param[out] len    bytes read (the NUL not counted)
 * @return 0, the errno of open() or read(), EISDIR for a directory,
 *         EINVAL for any other non-regular file, EFBIG over @p max,
 *         ENOMEM
 */
int util_read_file(TALLOC_CTX *mem_ctx, const char *path, int flags,
		   size_t max, char **buf, size_t *len);

/**
 * @brief Replace @p path with @p len bytes of @p buf, all or nothing:
 * written to a temporary file in the same directory (mode @p mode),
 * synced, then renamed over @p path.  The temporary file is removed
 * on failure.
 * @param[in] mem_ctx talloc parent of scratch memory
 * @return 0, ENOMEM, or the errno of the failed step
 */
int util_write_atomic(TALLOC_CTX *mem_ctx, const char *path, const void *buf,
		      size_t len, mode_t mode);

/**
 * @brief util_write_atomic() of the string @p text to @p dir/@p name.
 * @p text may be the NULL of a talloc string build that ran out of
 * memory: that is ENOMEM, so callers need not check it first.
 * @param[in] mem_ctx talloc parent of scratch memory
 * @return 0, ENOMEM, or the errno of the failed step
 */
int util_write_text_in(TALLOC_CTX *mem_ctx, const char *dir,
		       const char *name, const char *text, mode_t mode);

/** @brief Monotonic clock in milliseconds. */
int64_t util_now_ms(void);

/**
 * @brief *ts = the CLOCK_MONOTONIC time @p ms (>= 0) from now: the end
 * of a pthread_cond_timedwait() on a condition set to that clock.
 */
void util_monotonic_after(struct timespec *ts, int64_t ms);

/* The run's one deadline (spec 3.5): every wait gets what is left. */
struct deadline {
	int64_t end_ms;		/* util_now_ms() value */
	unsigned seconds;	/* the configured length, for messages */
};

/** @brief A deadline @p seconds from now. */
void deadline_init(struct deadline *dl, unsigned seconds);

/**
 * @brief A deadline @p ms milliseconds from now (tests, and waits
 * shorter than a second); dl->seconds is @p ms rounded up.
 */
void deadline_init_ms(struct deadline *dl, int64_t ms);

/**
 * @brief A deadline @p seconds after @p start_ms (a util_now_ms()
 * value): for a run whose length is known only once it has begun.
 */
void deadline_init_from(struct deadline *dl, int64_t start_ms,
			unsigned seconds);

/** @brief Milliseconds left, never negative. */
int64_t deadline_left_ms(const struct deadline *dl);

/** @brief True once the deadline has passed. */
bool deadline_expired(const struct deadline *dl);

#endif
