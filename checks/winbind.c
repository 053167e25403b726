/*
 * Is winbindd alive (spec 3.2 step 3)?  libwbclient may wait minutes
 * for a stuck winbindd, so its ping runs in a thread that the run
 * abandons at the deadline.  libwbclient is loaded with dlopen() when
 * the ping is due, not at every start (it pulls in libbsd and libmd:
 * a third of a healthy cycle's loading, for a check that most cycles
 * do not make).  Where it cannot be loaded, or the build has no
 * libwbclient headers, "wbinfo -p" runs within the deadline instead.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "checks/run.h"
#include "checks/winbind.h"

/* The ping without libwbclient: "wbinfo -p" within the deadline. */
static int winbind_ping_wbinfo(TALLOC_CTX *mem_ctx, const struct deadline *dl,
			       bool *alive, char **detail)
{
	const char *const argv[] = { "wbinfo", "-p", NULL };
	TALLOC_CTX *tmp_ctx = NULL;
	struct run_result *res = NULL;
	char *text = NULL;
	int ret;

	*alive = false;
	if (detail != NULL) {
		*detail = NULL;
	}
	tmp_ctx = talloc_new(mem_ctx);
	if (tmp_ctx == NULL) {
		return ENOMEM;
	}

	ret = run_bounded(tmp_ctx, argv, dl, &res);
	if (ret != 0) {
		goto done;
	}
	*alive = run_ok(res);
	if (detail == NULL) {
		goto done;
	}
	text = talloc_asprintf(tmp_ctx, "wbinfo -p %s",
			       run_describe(tmp_ctx, res));
	if (text != NULL && res->outlen > 0) {
		(void)util_trim_trailing(res->out, "\n");
		text = talloc_asprintf_append(text, "\n%s", res->out);
	}
	if (text != NULL && res->errlen > 0) {
		(void)util_trim_trailing(res->errout, "\n");
		text = talloc_asprintf_append(text, "\n%s", res->errout);
	}
	if (text == NULL) {
		ret = ENOMEM;
		goto done;
	}
	*detail = talloc_steal(mem_ctx, text);
done:
	talloc_free(tmp_ctx);
	return ret;
}

#ifdef HAVE_WBCLIENT


#include <dlfcn.h>
#include <pthread.h>
#include <time.h>

#include <wbclient.h>

#ifndef WBCLIENT_SONAME
#define WBCLIENT_SONAME "libwbclient.so.0"
#endif

/* The four functions the ping needs, from the loaded library. */
struct winbind_lib {
	struct wbcContext *(*create)(void);
	void (*free)(struct wbcContext *ctx);
	wbcErr (*ping)(struct wbcContext *ctx);
	const char *(*error_string)(wbcErr err);
};

/*
 * A function of libwbclient: as with ordinary linking, a definition
 * the process already has (the program's own, or a library linked in)
 * wins over the loaded library's.
 */
static void *winbind_sym(void *h, const char *name)
{
	void *f = dlsym(RTLD_DEFAULT, name);

	return f != NULL ? f : dlsym(h, name);
}

/*
 * libwbclient, loaded once (never unloaded: an abandoned ping thread
 * may still be inside it).
 * @return the functions, or NULL when it cannot be loaded
 */
static const struct winbind_lib *winbind_lib(void)
{
	static struct winbind_lib lib;
	static bool tried;
	void *h = NULL;

	if (tried) {
		return lib.ping != NULL ? &lib : NULL;
	}
	tried = true;
	h = dlopen(WBCLIENT_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		return NULL;
	}
	*(void **)&lib.create = winbind_sym(h, "wbcCtxCreate");
	*(void **)&lib.free = winbind_sym(h, "wbcCtxFree");
	*(void **)&lib.error_string = winbind_sym(h, "wbcErrorString");
	*(void **)&lib.ping = winbind_sym(h, "wbcCtxPing");
	if (lib.create == NULL || lib.free == NULL ||
	    lib.error_string == NULL || lib.ping == NULL) {
		lib.ping = NULL;
		return NULL;
	}
	return &lib;
}

/*
 * What the caller and the ping thread share.  The caller may give up
 * and return while the thread is still stuck inside libwbclient, so
 * neither side may own this alone: it is reference counted and freed
 * by whichever side lets go last.  It is plain malloc'd memory on
 * purpose, the one place where talloc is wrong: talloc is not thread
 * safe, and the caller's talloc tree may be freed while the abandoned
 * thread still runs.
 */
struct winbind_shared {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned refs;
	bool done;
	wbcErr err;
	const struct winbind_lib *lib;
};

/* Drop one reference; the last one frees.  Called with the lock held. */
static void winbind_shared_put(struct winbind_shared *s)
{
	bool last;

	s->refs -= 1;
	last = (s->refs == 0);
	pthread_mutex_unlock(&s->lock);
	if (last) {
		pthread_cond_destroy(&s->cond);
		pthread_mutex_destroy(&s->lock);
		free(s);
	}
}

static void *winbind_ping_thread(void *arg)
{
	struct winbind_shared *s = arg;
	struct wbcContext *ctx = NULL;
	wbcErr err;

	/* a context of our own: nothing shared with other threads */
	ctx = s->lib->create();
	if (ctx == NULL) {
		err = WBC_ERR_NO_MEMORY;
	} else {
		err = s->lib->ping(ctx);
		s->lib->free(ctx);
	}

	pthread_mutex_lock(&s->lock);
	s->err = err;
	s->done = true;
	pthread_cond_signal(&s->cond);
	winbind_shared_put(s);
	return NULL;
}

static int winbind_shared_new(struct winbind_shared **out)
{
	struct winbind_shared *s = NULL;
	pthread_condattr_t attr;
	int ret;

	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		return ENOMEM;
	}
	ret = pthread_mutex_init(&s->lock, NULL);
	if (ret != 0) {
		free(s);
		return ret;
	}
	ret = pthread_condattr_init(&attr);
	if (ret != 0) {
		goto fail_mutex;
	}
	/* the deadline is on the monotonic clock */
	ret = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (ret == 0) {
		ret = pthread_cond_init(&s->cond, &attr);
	}
	pthread_condattr_destroy(&attr);
	if (ret != 0) {
		goto fail_mutex;
	}
	s->refs = 1;
	*out = s;
	return 0;
fail_mutex:
	pthread_mutex_destroy(&s->lock);
	free(s);
	return ret;
}

int winbind_ping(TALLOC_CTX *mem_ctx, const struct deadline *dl,
		 bool *alive, char **detail)
{
	const struct winbind_lib *lib = winbind_lib();
	struct winbind_shared *s = NULL;
	pthread_attr_t attr;
	pthread_t tid;
	struct timespec until;
	bool done = false;
	wbcErr err = WBC_ERR_UNKNOWN_FAILURE;
	int ret;

	*alive = false;
	if (detail != NULL) {
		*detail = NULL;
	}

	if (lib == NULL) {
		return winbind_ping_wbinfo(mem_ctx, dl, alive, detail);
	}
	ret = winbind_shared_new(&s);
	if (ret != 0) {
		return ret;
	}
	s->lib = lib;

	/* the wait ends at the deadline, on the condition's clock */
	util_monotonic_after(&until, deadline_left_ms(dl));

	ret = pthread_attr_init(&attr);
	if (ret != 0) {
		goto fail;
	}
	ret = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (ret != 0) {
		pthread_attr_destroy(&attr);
		goto fail;
	}
	pthread_mutex_lock(&s->lock);
	s->refs = 2;		/* ours and the thread's */
	ret = pthread_create(&tid, &attr, winbind_ping_thread, s);
	pthread_attr_destroy(&attr);
	if (ret != 0) {
		s->refs = 1;
		pthread_mutex_unlock(&s->lock);
		goto fail;
	}

	while (!s->done) {
		int rc = pthread_cond_timedwait(&s->cond, &s->lock, &until);

		if (rc == ETIMEDOUT) {
			break;
		}
	}
	done = s->done;
	err = s->err;
	/* from here on the thread, if still stuck, is on its own */
	winbind_shared_put(s);

	*alive = done && WBC_ERROR_IS_OK(err);
	if (detail == NULL) {
		return 0;
	}
	if (!done) {
		*detail = talloc_asprintf(mem_ctx,
					  "no answer from winbindd in %u s",
					  dl->seconds);
	} else if (*alive) {
		*detail = talloc_strdup(mem_ctx, "winbindd answered the ping");
	} else {
		*detail = talloc_asprintf(mem_ctx, "winbindd ping failed: %s",
					  lib->error_string(err));
	}
	return (*detail == NULL) ? ENOMEM : 0;

fail:
	pthread_mutex_lock(&s->lock);
	winbind_shared_put(s);
	return ret;
}

#else /* !HAVE_WBCLIENT */

int winbind_ping(TALLOC_CTX *mem_ctx, const struct deadline *dl,
		 bool *alive, char **detail)
{
	return winbind_ping_wbinfo(mem_ctx, dl, alive, detail);
}

#endif /* HAVE_WBCLIENT */
