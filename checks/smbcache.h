/*
 * The smb.conf cache (spec 3.3): testparm's view of smb.conf, kept in
 * the state directory and refreshed only when it must be.
 *
 * The cache file smb.conf.cache holds testparm -v -s's stdout behind a
 * header of '#' comment lines (so it stays a valid smb.conf) carrying
 * what else the checks need from that run: testparm's stderr lines,
 * the server role, the path and identity (dev, inode, size, mtime,
 * ctime) of the smb.conf it loaded, of the files that includes and of
 * testparm, and a digest of the stdout (what the checks read of it),
 * which is all a run with a fresh cache reads.
 */
#ifndef CHECKS_SMBCACHE_H
#define CHECKS_SMBCACHE_H

#include <stdbool.h>
#include <talloc.h>

#include "checks/smbconf.h"
#include "checks/util.h"

enum smbcache_source {
	SMBCACHE_FROM_CACHE,	/* cache fresh, no testparm run */
	SMBCACHE_REFRESHED,	/* testparm ran, cache (if any) replaced */
	SMBCACHE_OLD_CACHE,	/* refresh failed/timed out, old cache used */
	SMBCACHE_NONE,		/* refresh failed/timed out, no cache */
	SMBCACHE_UNCHECKED,	/* opts->defer_check: the cache, its files
				 * not checked yet (st->look) */
};

struct share_look;
struct smbcache_pending;

struct smbcache_status {
	enum smbcache_source source;
	bool refresh_started;	/* the cache was old by age alone: served,
				 * and a detached refresh started */
	bool refresh_due;	/* the same with opts->refresh_later: the
				 * caller starts it (smbcache_start_refresh()) */
	bool timed_out;		/* the failed refresh timed out */
	char *testparm_err;	/* the failed refresh's stderr, or NULL */
	bool cache_unwritable;	/* could not write the cache */
	/* SMBCACHE_UNCHECKED: the check to run (share_probe_look()),
	 * then smbcache_checked() */
	struct share_look *look;
	struct smbcache_pending *pending;
};

struct smbcache_opts {
	const char *state_dir;		/* NULL: no cache (run uncached) */
	unsigned max_age;		/* CTDB_SAMBA_CACHE_MAX_AGE */
	bool max_age_given;		/* it was set: it applies to every
					 * configuration, not only to those
					 * with registry or '%' sources */
	const struct deadline *deadline;
	unsigned refresh_seconds;	/* a detached refresh's deadline
					 * (CTDB_SAMBA_CHECK_TIMEOUT) */
	bool defer_check;		/* leave the check of smb.conf's
					 * files to the share prober */
	bool refresh_later;		/* a refresh due to age alone is
					 * left to the caller (refresh_due),
					 * to start once its own work is
					 * done */
};

/**
 * @brief Bring the cache up to date and parse it.  With @p force the
 * cache is refreshed whatever its age (to confirm a failure).
 * The cache is refreshed when missing, when smb.conf, an included file
 * or the testparm program changed, or when forced: "testparm -v -s"
 * runs within the deadline and replaces the cache atomically.  When
 * the only reason is its age (older than max_age, which applies when
 * given or when the configuration has a registry or '%' source), the
 * cache is used as it is and a refresh is started detached (own
 * session, not waited for, one at a time, killed after
 * refresh_seconds); a detached refresh that failed is reported by the
 * next call as if that call had run it (SMBCACHE_OLD_CACHE).  On
 * SMBCACHE_OLD_CACHE, *conf is the old cache; on SMBCACHE_NONE, *conf
 * is NULL.  A configuration read from the cache is its digest: it
 * knows its share paths (probe_paths), not its shares.  No message is
 * printed: the caller words the WARNING or ERROR from @p st.
 * Call it before the run starts any thread: the walk of smb.conf's
 * includes runs in a probe child that allocates (checks/probe.h).
 * @param[out] conf talloc child of @p mem_ctx
 * @param[out] st   st->testparm_err is a talloc child of @p mem_ctx
 * @return 0, or ENOMEM
 */
int smbcache_load(TALLOC_CTX *mem_ctx, const struct smbcache_opts *opts,
		  bool force, struct smbconf **conf,
		  struct smbcache_status *st);

/**
 * With opts->defer_check, smbcache_load() does not fork a child to see
 * whether smb.conf, its includes or testparm changed: when that is
 * what it would ask, it returns the cache as SMBCACHE_UNCHECKED, with
 * st->look for the share prober to take (checks/share.h), so that a
 * cycle forks one child, not two.  Once the look has answered, this
 * finishes the load as smbcache_load() would have: the cache answers
 * (SMBCACHE_FROM_CACHE; a detached refresh started when it is old by
 * age), or a look that did not answer in time gives SMBCACHE_OLD_CACHE
 * (timed out), or the cache is refreshed (testparm runs within
 * opts->deadline).
 * @param[in,out] conf in: the unchecked configuration; out: the answer
 *                     (a new one after a refresh, the old one else)
 * @param[in,out] st   in: smbcache_load()'s; out: as smbcache_load()'s
 * @return 0, or ENOMEM
 */
int smbcache_checked(TALLOC_CTX *mem_ctx, const struct smbcache_opts *opts,
		     struct smbconf **conf, struct smbcache_status *st);

/**
 * @brief Start a detached refresh of the cache (own session, not waited
 * for, killed after opts->refresh_seconds; its failure is reported by
 * the next smbcache_load()), unless one runs already (its lock is
 * held).  smbcache_load() calls it for a cache old by age alone, unless
 * opts->refresh_later leaves that to the caller.
 * @return 0 when started, EALREADY when one runs, or an errno
 */
int smbcache_start_refresh(TALLOC_CTX *mem_ctx,
			   const struct smbcache_opts *opts);

#endif
