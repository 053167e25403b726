#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "checks/util.h"

int util_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = NULL;

	if (s == NULL || *s == '\0') {
		return EINVAL;
	}
	for (p = s; *p != '\0'; p++) {
		unsigned d;

		if (*p < '0' || *p > '9') {
			return EINVAL;
		}
		d = (unsigned)(*p - '0');
		if (v > (max - d) / 10) {
			return EINVAL;
		}
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int util_parse_port(const char *s, uint16_t *port)
{
	uint64_t v = 0;
	int ret;

	ret = util_parse_uint(s, 65535, &v);
	if (ret != 0 || v == 0) {
		return EINVAL;
	}
	*port = (uint16_t)v;
	return 0;
}

int util_parse_port_list(TALLOC_CTX *mem_ctx, const char *s,
			 uint16_t **ports, size_t *nports, char **bad)
{
	TALLOC_CTX *tmp_ctx = NULL;
	struct port_set *seen = NULL;
	uint16_t *list = NULL;
	size_t n = 0;
	const char *p = s;
	int ret = 0;

	*ports = NULL;
	*nports = 0;
	*bad = NULL;
	tmp_ctx = talloc_new(mem_ctx);
	seen = tmp_ctx != NULL ? talloc_zero(tmp_ctx, struct port_set) : NULL;
	if (seen == NULL) {
		talloc_free(tmp_ctx);
		return ENOMEM;
	}
	while (p != NULL && *p != '\0') {
		size_t len = strcspn(p, " \t,\n");
		char *word = NULL;
		uint16_t port = 0;

		if (len == 0) {
			p++;
			continue;
		}
		word = talloc_strndup(tmp_ctx, p, len);
		if (word == NULL) {
			ret = ENOMEM;
			goto done;
		}
		p += len;
		if (util_parse_port(word, &port) != 0) {
			*bad = talloc_steal(mem_ctx, word);
			ret = EINVAL;
			goto done;
		}
		ret = util_port_list_add(tmp_ctx, &list, &n, seen, port);
		if (ret != 0) {
			goto done;
		}
	}
	if (n > 0) {
		*ports = talloc_steal(mem_ctx, list);
		*nports = n;
	}
done:
	talloc_free(tmp_ctx);
	return ret;
}

void *util_array_room(TALLOC_CTX *mem_ctx, void *arr, size_t elem, size_t n)
{
	size_t cap = arr != NULL ? talloc_get_size(arr) / elem : 0;

	if (n < cap) {
		return arr;
	}
	cap = cap < 8 ? 8 : cap * 2;
	if (cap > SIZE_MAX / elem) {
		return NULL;
	}
	return talloc_realloc_size(mem_ctx, arr, cap * elem);
}

int util_port_list_add(TALLOC_CTX *mem_ctx, uint16_t **ports, size_t *nports,
		       struct port_set *seen, uint16_t port)
{
	uint16_t *grown = NULL;

	if (port_set_has(seen, port)) {
		return 0;
	}
	grown = util_array_room(mem_ctx, *ports, sizeof(uint16_t), *nports);
	if (grown == NULL) {
		return ENOMEM;
	}
	grown[(*nports)++] = port;
	*ports = grown;
	port_set_add(seen, port);
	return 0;
}

bool util_word_in_list(const char *list, const char *word)
{
	const char *seps = " \t\n,";
	size_t wlen = strlen(word);
	const char *p = list;

	if (p == NULL || wlen == 0) {
		return false;
	}
	while (*p != '\0') {
		size_t len;

		p += strspn(p, seps);
		len = strcspn(p, seps);
		if (len == wlen && strncmp(p, word, len) == 0) {
			return true;
		}
		p += len;
	}
	return false;
}

size_t util_trim_trailing(char *s, const char *chars)
{
	size_t len;

	if (s == NULL) {
		return 0;
	}
	len = strlen(s);
	while (len > 0 && strchr(chars, s[len - 1]) != NULL) {
		s[--len] = '\0';
	}
	return len;
}

bool util_next_line(const char **pos, const char **line, const char **end)
{
	const char *p = *pos;
	const char *nl = NULL;

	if (p == NULL || *p == '\0') {
		return false;
	}
	nl = strchr(p, '\n');
	*line = p;
	*end = (nl != NULL) ? nl : p + strlen(p);
	*pos = (nl != NULL) ? nl + 1 : *end;
	if (*end > p && (*end)[-1] == '\r') {
		(*end)--;
	}
	return true;
}

bool util_any_line(const char *text,
		   bool (*match)(const char *line, const char *end,
				 const void *arg),
		   const void *arg)
{
	const char *pos = text;
	const char *line = NULL;
	const char *end = NULL;

	while (util_next_line(&pos, &line, &end)) {
		if (match(line, end, arg)) {
			return true;
		}
	}
	return false;
}

int util_split_lines(TALLOC_CTX *mem_ctx, const char *text, char ***lines,
		     size_t *nlines)
{
	const char *pos = text;
	const char *line = NULL;
	const char *end = NULL;
	char *copy = NULL;
	char **arr = NULL;
	size_t n = 0;
	size_t cap = 0;

	*lines = NULL;
	*nlines = 0;
	if (text == NULL || *text == '\0') {
		return 0;
	}
	/* one copy of the text, cut in place, hangs below the array */
	copy = talloc_strdup(mem_ctx, text);
	if (copy == NULL) {
		return ENOMEM;
	}
	while (util_next_line(&pos, &line, &end)) {
		if (n == cap) {
			char **grown = NULL;

			cap = cap == 0 ? 64 : cap * 2;
			grown = talloc_realloc(mem_ctx, arr, char *, cap);
			if (grown == NULL) {
				talloc_free(arr);
				talloc_free(copy);
				return ENOMEM;
			}
			arr = grown;
		}
		arr[n] = copy + (line - text);
		arr[n][end - line] = '\0';
		n++;
	}
	talloc_steal(arr, copy);
	*lines = arr;
	*nlines = n;
	return 0;
}

int util_strv_add(TALLOC_CTX *mem_ctx, char ***arr, size_t *n, const char *s)
{
	char **grown = NULL;
	char *copy = NULL;

	grown = util_array_room(mem_ctx, *arr, sizeof(char *), *n);
	if (grown == NULL) {
		return ENOMEM;
	}
	*arr = grown;
	copy = talloc_strdup(grown, s);
	if (copy == NULL) {
		return ENOMEM;
	}
	grown[(*n)++] = copy;
	return 0;
}

bool util_starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool util_is_blank(const char *s)
{
	if (s == NULL) {
		return true;
	}
	while (isspace((unsigned char)*s)) {
		s++;
	}
	return *s == '\0';
}

char *util_trim_dup(TALLOC_CTX *mem_ctx, const char *start, const char *end)
{
	while (start < end && isspace((unsigned char)*start)) {
		start++;
	}
	while (end > start && isspace((unsigned char)end[-1])) {
		end--;
	}
	return talloc_strndup(mem_ctx, start, (size_t)(end - start));
}

void util_unquote(char *s)
{
	size_t len = strlen(s);

	if (len >= 2 && s[0] == '"' && s[len - 1] == '"') {
		memmove(s, s + 1, len - 2);
		s[len - 2] = '\0';
	}
}

void util_close(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

int util_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR) {
			continue;
		}
		if (w <= 0) {
			return (w < 0 && errno != 0) ? errno : EIO;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int util_read_file(TALLOC_CTX *mem_ctx, const char *path, int flags,
		   size_t max, char **buf, size_t *len)
{
	struct stat st;
	char *b = NULL;
	size_t cap;
	size_t used = 0;
	int fd = -1;
	int ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | flags);
	if (fd == -1) {
		return errno;
	}
	if (fstat(fd, &st) != 0) {
		ret = errno;
		goto done;
	}
	if (S_ISDIR(st.st_mode)) {
		ret = EISDIR;
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = EINVAL;
		goto done;
	}
	if ((uint64_t)st.st_size > max) {
		ret = EFBIG;
		goto done;
	}
	/*
	 * Room for the size fstat() gave, one byte more (so that the end
	 * of the file is seen without growing) and the NUL, but never
	 * more than one byte over max.
	 */
	cap = (size_t)st.st_size + 2;
	if (cap < 4096) {
		cap = 4096;
	}
	if (cap > max + 2) {
		cap = max + 2;
	}
	b = talloc_array(mem_ctx, char, cap);
	if (b == NULL) {
		ret = ENOMEM;
		goto done;
	}
	for (;;) {
		ssize_t nread;

		if (used == cap - 1) {
			char *grown = NULL;
			size_t ncap = cap * 2;

			if (used > max) {
				ret = EFBIG;
				goto done;
			}
			if (ncap > max + 2) {
				ncap = max + 2;
			}
			grown = talloc_realloc(mem_ctx, b, char, ncap);
			if (grown == NULL) {
				ret = ENOMEM;
				goto done;
			}
			b = grown;
			cap = ncap;
		}
		nread = read(fd, b + used, cap - 1 - used);
		if (nread < 0 && errno == EINTR) {
			continue;
		}
		if (nread < 0) {
			ret = errno;
			goto done;
		}
		if (nread == 0) {
			break;
		}
		used += (size_t)nread;
	}
	b[used] = '\0';
	*buf = b;
	*len = used;
	b = NULL;
done:
	TALLOC_FREE(b);
	util_close(&fd);
	return ret;
}

int util_write_atomic(TALLOC_CTX *mem_ctx, const char *path, const void *buf,
		      size_t len, mode_t mode)
{
	char *tmp = NULL;
	int fd = -1;
	int ret = 0;

	tmp = talloc_asprintf(mem_ctx, "%s.XXXXXX", path);
	if (tmp == NULL) {
		return ENOMEM;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd == -1) {
		ret = errno;
		goto done;
	}
	ret = util_write_all(fd, buf, len);
	if (ret == 0 && fchmod(fd, mode) != 0) {
		ret = errno;
	}
	/* on disk before the name points at it: a crash leaves the old
	 * file or the new one, never a short one */
	if (ret == 0 && fsync(fd) != 0) {
		ret = errno;
	}
	if (close(fd) != 0 && ret == 0) {
		ret = errno;
	}
	if (ret == 0 && rename(tmp, path) != 0) {
		ret = errno;
	}
	if (ret != 0) {
		(void)unlink(tmp);
	}
done:
	talloc_free(tmp);
	return ret;
}

int util_write_text_in(TALLOC_CTX *mem_ctx, const char *dir,
		       const char *name, const char *text, mode_t mode)
{
	char *path = NULL;
	int ret;

	if (text == NULL) {
		return ENOMEM;
	}
	path = talloc_asprintf(mem_ctx, "%s/%s", dir, name);
	if (path == NULL) {
		return ENOMEM;
	}
	ret = util_write_atomic(path, path, text, strlen(text), mode);
	talloc_free(path);
	return ret;
}

int64_t util_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void util_monotonic_after(struct timespec *ts, int64_t ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

void deadline_init(struct deadline *dl, unsigned seconds)
{
	deadline_init_ms(dl, (int64_t)seconds * 1000);
}

void deadline_init_ms(struct deadline *dl, int64_t ms)
{
	if (ms < 0) {
		ms = 0;
	}
	/* messages speak in whole seconds: round up */
	dl->seconds = (unsigned)((ms + 999) / 1000);
	dl->end_ms = util_now_ms() + ms;
}

void deadline_init_from(struct deadline *dl, int64_t start_ms,
			unsigned seconds)
{
	dl->seconds = seconds;
	dl->end_ms = start_ms + (int64_t)seconds * 1000;
}

int64_t deadline_left_ms(const struct deadline *dl)
{
	int64_t left = dl->end_ms - util_now_ms();

	return left > 0 ? left : 0;
}

bool deadline_expired(const struct deadline *dl)
{
	return deadline_left_ms(dl) == 0;
}
