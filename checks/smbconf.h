/*
 * smb.conf as testparm sees it: a pure parser of "testparm -v -s"
 * output, and the questions the checks ask of the result.  The cache of
 * that output (spec 3.3) is checks/smbcache.h.
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
	/*
	 * The effective path, quotes removed, or NULL: the section's own
	 * "path =", else [global]'s (testparm prints a share's path only
	 * where it differs from [global]'s), except for [homes]
	 */
	char *path;
	bool available;		/* false for "available = no", own or
				 * [global]'s */
	bool own_path;		/* the section sets path itself */
	bool own_available;	/* ... and available */
};

struct smbconf {
	char *config_file;	/* "Load smb config files from X" */
	char *server_role;	/* "ROLE_DOMAIN_MEMBER", ... or NULL */
	char *security;		/* [global] security, or NULL */
	char *smb_ports;	/* [global] smb ports, or NULL */
	char *transports;	/* [global] server smb transports, or NULL */
	char *global_path;	/* [global] path, quotes removed, or NULL */
	bool global_unavailable;	/* [global] available = no */
	struct smb_share *shares;	/* every section but [global] */
	size_t nshares;
	char **dirty_stdout;	/* stdout lines starting WARNING/ERROR/Unknown */
	size_t ndirty_stdout;
	char **stderr_lines;	/* all of testparm's stderr */
	size_t nstderr;
	/*
	 * The share paths to probe when they were worked out already (the
	 * cache's digest, checks/smbcache.h, which leaves shares empty):
	 * share_paths() returns these instead of working them out again.
	 */
	char **probe_paths;
	size_t nprobe_paths;
	bool probe_paths_known;
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
 * @brief Read a list of ports and transports as upstream CTDB reads
 * "server smb transports" (commit cbcc94be543): entries separated by
 * spaces, tabs, newlines and/or commas; a plain number N is TCP port N,
 * "tcp" 445, "nbt" 139, "tcp:N" and "nbt:N" N.  Other entries ("quic",
 * "quic:N", modifiers such as "+quic") are not TCP listeners and are
 * skipped.  Duplicates are kept once, in first-seen order.
 * @param[in]  strict  true for CTDB_SAMBA_CHECK_PORTS and --ports: an
 *                     entry that is neither a port nor a known transport
 *                     (tcp, nbt, quic, optionally with a modifier) is
 *                     EINVAL; false for smb.conf: it is skipped
 * @param[out] ports   talloc child of @p mem_ctx, NULL when none
 * @param[out] nentries how many entries the list had, TCP or not (may
 *                     be NULL)
 * @param[out] bad     the offending entry on EINVAL (may be NULL)
 * @return 0, EINVAL (a bad port number anywhere), ENOMEM
 */
int smbconf_parse_transports(TALLOC_CTX *mem_ctx, const char *s, bool strict,
			     uint16_t **ports, size_t *nports,
			     size_t *nentries, char **bad);

/**
 * @brief The ports smbd listens on: "server smb transports" when set
 * (smbconf_parse_transports(), not strict), else "smb ports" (plain
 * numbers, as before Samba 4.23), else "445 139".  Duplicates once.
 * *nports is 0 with *nentries > 0 when nothing TCP is left.
 * @param[out] nentries how many entries the list had (may be NULL)
 * @param[out] bad the offending word on EINVAL
 * @return 0, EINVAL, ENOMEM
 */
int smbconf_ports(TALLOC_CTX *mem_ctx, const struct smbconf *conf,
		  uint16_t **ports, size_t *nports, size_t *nentries,
		  char **bad);

/**
 * @brief Stderr lines that make the configuration unclean in strict
 * mode: starting with WARNING, ERROR or Unknown, or containing
 * "WARNING:" or "ERROR:".  Returns a count; lines in *lines (talloc
 * child of @p mem_ctx, may be NULL when zero).
 */
size_t smbconf_dirty_stderr(TALLOC_CTX *mem_ctx, const struct smbconf *conf,
			    char ***lines);

/**
 * @brief Replace the string *field of @p c (one of its own fields) by a
 * talloc copy of @p value, a child of @p c.
 * @return 0, or ENOMEM
 */
int smbconf_set(struct smbconf *c, char **field, const char *value);

/**
 * @brief Compare smb.conf parameter names as Samba does: ignoring case
 * and white space ("SMB Ports" is "smbports" is "smb ports").
 */
bool smbconf_param_eq(const char *a, const char *b);

/** @brief True when the server role or security make us a domain member
 * or controller (the automatic winbind rule). */
bool smbconf_is_domain(const struct smbconf *conf);

#endif
