#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <time.h>

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
	uint16_t *list = NULL;
	size_t n = 0;
	const char *p = s;
	int ret = 0;

	*ports = NULL;
	*nports = 0;
	*bad = NULL;
	tmp_ctx = talloc_new(mem_ctx);
	if (tmp_ctx == NULL) {
		return ENOMEM;
	}
	while (p != NULL && *p != '\0') {
		size_t len = strcspn(p, " \t,\n");
		char *word = NULL;
		uint16_t port = 0;
		size_t i;

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
		for (i = 0; i < n; i++) {
			if (list[i] == port) {
				break;
			}
		}
		if (i < n) {
			continue;
		}
		list = talloc_realloc(tmp_ctx, list, uint16_t, n + 1);
		if (list == NULL) {
			ret = ENOMEM;
			goto done;
		}
		list[n++] = port;
	}
	if (n > 0) {
		*ports = talloc_steal(mem_ctx, list);
		*nports = n;
	}
done:
	talloc_free(tmp_ctx);
	return ret;
}

int64_t util_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void deadline_init(struct deadline *dl, unsigned seconds)
{
	dl->seconds = seconds;
	dl->end_ms = util_now_ms() + (int64_t)seconds * 1000;
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
