/*
 * smb.conf as testparm sees it, and its cache (spec 3.3).
 *
 * The cache file smb.conf.cache holds testparm -v -s's stdout behind a
 * header of '#' comment lines (so it stays a valid smb.conf) carrying
 * what else the checks need from that run: testparm's stderr lines,
 * the server role, and the path and identity (dev, inode, size, mtime,
 * ctime) of the smb.conf it loaded and of the files that includes.
 */
#ifndef CHECKS_SMBCONF_H
#define CHECKS_SMBCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <talloc.h>

#include "checks/util.h"

struct smb_share {
	char *name;		/* section name */
	char *path;		/* "path =" value, quotes removed, or NULL */
	bool available;		/* false for "available = no" */
};

struct smbconf {
	char *config_file;	/* "Load smb config files from X" */
	char *server_role;	/* "ROLE_DOMAIN_MEMBER", ... or NULL */
	char *security;		/* [global] security, or NULL */
	char *smb_ports;	/* [global] smb ports, or NULL */
	char *transports;	/* [global] server smb transports, or NULL */
	struct smb_share *shares;	/* every section but [global] */
	size_t nshares;
	char **dirty_stdout;	/* stdout lines starting WARNING/ERROR/Unknown */
	size_t ndirty_stdout;
	char **stderr_lines;	/* all of testparm's stderr */
	size_t nstderr;
};

/**
 * @brief Parse testparm's output.
 * @param[in]  out testparm -v -s stdout
 * @param[in]  err its stderr (may be NULL)
 * @param[out] conf talloc child of @p mem_ctx
 * @return 0, ENOMEM
 */
int smbconf_parse_testparm(TALLOC_CTX *mem_ctx, const char *out,
			   const char *err, struct smbconf **conf);

/**
 * @brief The ports smbd listens on: "server smb transports" when set
 * (tcp = 445, nbt = 139, tcp:N / nbt:N = N, other entries ignored),
 * else "smb ports", else "445 139".  Duplicates once.
 * @param[out] bad the offending word on EINVAL
 * @return 0, EINVAL, ENOMEM
 */
int smbconf_ports(TALLOC_CTX *mem_ctx, const struct smbconf *conf,
		  uint16_t **ports, size_t *nports, char **bad);

/**
 * @brief Stderr lines that make the configuration unclean in strict
 * mode: starting with WARNING, ERROR or Unknown, or containing
 * "WARNING:" or "ERROR:".  Returns a count; lines in *lines (talloc
 * child of @p mem_ctx, may be NULL when zero).
 */
size_t smbconf_dirty_stderr(TALLOC_CTX *mem_ctx, const struct smbconf *conf,
			    char ***lines);

/** @brief True when the server role or security make us a domain member
 * or controller (the automatic winbind rule). */
bool smbconf_is_domain(const struct smbconf *conf);

enum smbconf_source {
	SMBCONF_FROM_CACHE,	/* cache fresh, no testparm run */
	SMBCONF_REFRESHED,	/* testparm ran, cache (if any) replaced */
	SMBCONF_OLD_CACHE,	/* refresh failed/timed out, old cache used */
	SMBCONF_NONE,		/* refresh failed/timed out, no cache */
};

struct smbconf_status {
	enum smbconf_source source;
	bool timed_out;		/* the failed refresh timed out */
	char *testparm_err;	/* the failed refresh's stderr, or NULL */
	bool cache_unwritable;	/* could not write the cache */
};

struct smbconf_cache_opts {
	const char *state_dir;		/* NULL: no cache (run uncached) */
	unsigned max_age;		/* CTDB_SAMBA_CACHE_MAX_AGE */
	const struct deadline *deadline;
};

/**
 * @brief Bring the cache up to date and parse it.  With @p force the
 * cache is refreshed whatever its age (to confirm a failure).
 * The cache is refreshed when missing, when smb.conf or an included
 * file changed, when older than max_age, or when forced.  The refresh
 * runs "testparm -v -s" within the deadline and replaces the cache
 * atomically.  On SMBCONF_OLD_CACHE, *conf is the old cache; on
 * SMBCONF_NONE, *conf is NULL.  No message is printed: the caller
 * words the WARNING or ERROR from @p st.
 * @return 0, or ENOMEM
 */
int smbconf_load(TALLOC_CTX *mem_ctx, const struct smbconf_cache_opts *opts,
		 bool force, struct smbconf **conf, struct smbconf_status *st);

#endif
