/*
 * smb.conf as testparm sees it: the parser of testparm's output and the
 * questions the checks ask of it.  The cache of that output is
 * checks/smbcache.c.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "checks/smbconf.h"

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

/* smbconf_param_eq() of the name [a, aend) */
static bool smbconf_param_eq_span(const char *a, const char *aend,
				  const char *b)
{
	for (;;) {
		while (a < aend && isspace((unsigned char)*a)) {
			a++;
		}
		while (isspace((unsigned char)*b)) {
			b++;
		}
		if (a == aend || *b == '\0') {
			return a == aend && *b == '\0';
		}
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) {
			return false;
		}
		a++;
		b++;
	}
}

bool smbconf_param_eq(const char *a, const char *b)
{
	return smbconf_param_eq_span(a, a + strlen(a), b);
}

/* The parameters the checks read; the rest of testparm -v is skipped. */
enum smbconf_key {
	SMBCONF_OTHER,
	SMBCONF_SECURITY,
	SMBCONF_SMB_PORTS,
	SMBCONF_TRANSPORTS,
	SMBCONF_PATH,
	SMBCONF_AVAILABLE,
};

/* Which parameter the name [p, eq) is, without copying it. */
static enum smbconf_key smbconf_key(const char *p, const char *eq)
{
	static const struct {
		const char *name;
		enum smbconf_key key;
	} keys[] = {
		{ "security", SMBCONF_SECURITY },
		{ "smb ports", SMBCONF_SMB_PORTS },
		{ "server smb transports", SMBCONF_TRANSPORTS },
		{ "path", SMBCONF_PATH },
		{ "available", SMBCONF_AVAILABLE },
	};
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		/* a cheap first look: most of testparm -v is other names */
		if (tolower((unsigned char)*p) == keys[i].name[0] &&
		    smbconf_param_eq_span(p, eq, keys[i].name)) {
			return keys[i].key;
		}
	}
	return SMBCONF_OTHER;
}

/* "no", "false", "off" or "0", as Samba reads a boolean. */
static bool smbconf_false_word(const char *v)
{
	return strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0 ||
	       strcasecmp(v, "off") == 0 || strcmp(v, "0") == 0;
}

/* A line that makes the configuration unclean (spec 3.2). */
static bool smbconf_dirty_start(const char *line)
{
	return util_starts_with(line, "WARNING") ||
	       util_starts_with(line, "ERROR") ||
	       util_starts_with(line, "Unknown");
}

/* ------------------------------------------------------------------ */
/* The parser                                                          */
/* ------------------------------------------------------------------ */

/*
 * One line of testparm's stderr: kept, and read for the file it loaded
 * and the server role.
 * @return 0, or ENOMEM
 */
static int smbconf_parse_err_line(struct smbconf *c, const char *line)
{
	static const char load[] = "Load smb config files from ";
	static const char role[] = "Server role: ";
	const char *p = line;

	while (isspace((unsigned char)*p)) {
		p++;
	}
	if (*p == '\0') {
		return 0;
	}
	if (util_starts_with(p, load)) {
		TALLOC_FREE(c->config_file);
		c->config_file = util_trim_dup(c, p + strlen(load),
					       p + strlen(p));
		if (c->config_file == NULL) {
			return ENOMEM;
		}
	} else if (util_starts_with(p, role)) {
		TALLOC_FREE(c->server_role);
		c->server_role = util_trim_dup(c, p + strlen(role),
					       p + strlen(p));
		if (c->server_role == NULL) {
			return ENOMEM;
		}
	}
	return util_strv_add(c, &c->stderr_lines, &c->nstderr, line);
}

int smbconf_set(struct smbconf *c, char **field, const char *value)
{
	TALLOC_FREE(*field);
	*field = talloc_strdup(c, value);
	return *field == NULL ? ENOMEM : 0;
}

/*
 * One line of testparm's stdout: a dirty line, a section header, or a
 * parameter of [global] or of the share section *cur.
 * @return 0, or ENOMEM
 */
static int smbconf_parse_out_line(struct smbconf *c, const char *line,
				  bool *in_global, struct smb_share **cur)
{
	const char *p = line;
	const char *eq = NULL;
	char *name = NULL;
	char *value = NULL;
	enum smbconf_key key;
	int ret = 0;

	if (smbconf_dirty_start(line)) {
		return util_strv_add(c, &c->dirty_stdout, &c->ndirty_stdout,
				     line);
	}
	while (isspace((unsigned char)*p)) {
		p++;
	}
	if (*p == '\0' || *p == '#' || *p == ';') {
		return 0;
	}
	if (util_starts_with(p, "Load smb config files from ")) {
		/* older testparm printed this on stdout */
		return smbconf_parse_err_line(c, p);
	}
	if (*p == '[') {
		const char *close = strrchr(p, ']');
		struct smb_share *grown = NULL;

		if (close == NULL) {
			return 0;
		}
		name = util_trim_dup(c, p + 1, close);
		if (name == NULL) {
			return ENOMEM;
		}
		if (strcasecmp(name, "global") == 0) {
			talloc_free(name);
			*in_global = true;
			*cur = NULL;
			return 0;
		}
		grown = util_array_room(c, c->shares, sizeof(struct smb_share),
					c->nshares);
		if (grown == NULL) {
			talloc_free(name);
			return ENOMEM;
		}
		c->shares = grown;
		*cur = &grown[c->nshares++];
		**cur = (struct smb_share) {
			.name = talloc_steal(grown, name),
			.path = NULL,
			.available = true,
		};
		*in_global = false;
		return 0;
	}
	eq = strchr(p, '=');
	if (eq == NULL || (!*in_global && *cur == NULL)) {
		return 0;
	}
	key = smbconf_key(p, eq);
	if (key == SMBCONF_OTHER) {
		return 0;
	}
	value = util_trim_dup(c, eq + 1, p + strlen(p));
	if (value == NULL) {
		ret = ENOMEM;
		goto done;
	}
	if (*in_global) {
		if (key == SMBCONF_SECURITY) {
			ret = smbconf_set(c, &c->security, value);
		} else if (key == SMBCONF_SMB_PORTS) {
			ret = smbconf_set(c, &c->smb_ports, value);
		} else if (key == SMBCONF_TRANSPORTS) {
			ret = smbconf_set(c, &c->transports, value);
		} else if (key == SMBCONF_PATH) {
			util_unquote(value);
			ret = smbconf_set(c, &c->global_path, value);
		} else if (key == SMBCONF_AVAILABLE) {
			c->global_unavailable = smbconf_false_word(value);
		}
	} else {
		if (key == SMBCONF_PATH) {
			util_unquote(value);
			TALLOC_FREE((*cur)->path);
			(*cur)->path = talloc_strdup(c->shares, value);
			if ((*cur)->path == NULL) {
				ret = ENOMEM;
			}
			(*cur)->own_path = true;
		} else if (key == SMBCONF_AVAILABLE) {
			(*cur)->available = !smbconf_false_word(value);
			(*cur)->own_available = true;
		}
	}
done:
	talloc_free(value);
	return ret;
}

/* Where the parser is: which section, and which stream. */
struct smbconf_parser {
	struct smbconf *c;
	bool in_global;		/* in [global] */
	struct smb_share *cur;	/* the share section we are in, or NULL */
	bool is_stdout;		/* testparm's stdout, else its stderr */
};

/* Parse every line of @p text (NULL: none).  0, or ENOMEM. */
static int smbconf_parse_text(struct smbconf_parser *p, const char *text)
{
	char **lines = NULL;
	size_t n = 0;
	size_t i;
	int ret;

	ret = util_split_lines(p->c, text, &lines, &n);
	for (i = 0; ret == 0 && i < n; i++) {
		if (p->is_stdout) {
			ret = smbconf_parse_out_line(p->c, lines[i],
						     &p->in_global, &p->cur);
		} else {
			ret = smbconf_parse_err_line(p->c, lines[i]);
		}
	}
	talloc_free(lines);
	return ret;
}

/*
 * What a share does not set itself it takes from [global]: testparm
 * prints a share's parameter only where it differs from [global]'s.
 * [homes] without a path of its own serves each user's home directory,
 * never [global]'s path.
 * @return 0, or ENOMEM
 */
static int smbconf_inherit(struct smbconf *c)
{
	size_t i;

	for (i = 0; i < c->nshares; i++) {
		struct smb_share *s = &c->shares[i];

		if (!s->own_available) {
			s->available = !c->global_unavailable;
		}
		if (s->own_path || util_is_blank(c->global_path) ||
		    strcasecmp(s->name, "homes") == 0) {
			continue;
		}
		s->path = talloc_strdup(c->shares, c->global_path);
		if (s->path == NULL) {
			return ENOMEM;
		}
	}
	return 0;
}

int smbconf_parse_testparm(TALLOC_CTX *mem_ctx, const char *out,
			   const char *err, struct smbconf **conf)
{
	struct smbconf_parser p = { .c = talloc_zero(mem_ctx, struct smbconf) };
	int ret;

	if (p.c == NULL) {
		return ENOMEM;
	}
	/* stderr first: it names the file and the role */
	ret = smbconf_parse_text(&p, err);
	if (ret == 0) {
		p.is_stdout = true;
		ret = smbconf_parse_text(&p, out);
	}
	if (ret == 0) {
		ret = smbconf_inherit(p.c);
	}
	if (ret != 0) {
		talloc_free(p.c);
		return ret;
	}
	*conf = p.c;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Questions about a parsed configuration                              */
/* ------------------------------------------------------------------ */

/*
 * The protocol of a transport entry ("tcp", "nbt", "quic", ...) is
 * @p word up to its ':'.  Is it @p proto?
 */
static bool smbconf_proto_is(const char *word, size_t plen, const char *proto)
{
	return plen == strlen(proto) && strncasecmp(word, proto, plen) == 0;
}

/*
 * One entry of a port or transport list, as upstream reads it (commit
 * cbcc94be543): a plain number N is TCP port N, "tcp" 445, "nbt" 139,
 * "tcp:N" and "nbt:N" N.  Any other entry is not a TCP listener: *port
 * stays 0.  Strict (a variable or option): that entry must still be a
 * known transport ("quic", "quic:N"), possibly with a list modifier
 * ("+quic"); in smb.conf, whatever testparm printed is skipped.
 * @return 0, or EINVAL for a bad port number or (strict) a word that
 *         is neither a port nor a known transport
 */
static int smbconf_transport_port(const char *word, bool strict,
				  uint16_t *port)
{
	const char *colon = NULL;
	size_t plen;
	bool tcp, nbt, quic;

	*port = 0;
	if (isdigit((unsigned char)word[0])) {
		return util_parse_port(word, port);
	}
	if (word[0] == '+' || word[0] == '-') {
		/* a list modifier: never one of our ports */
		uint16_t ignored = 0;

		if (!strict) {
			return 0;
		}
		if (word[1] == '+' || word[1] == '-' ||
		    isdigit((unsigned char)word[1])) {
			return EINVAL;
		}
		return smbconf_transport_port(word + 1, strict, &ignored);
	}
	colon = strchr(word, ':');
	plen = colon != NULL ? (size_t)(colon - word) : strlen(word);
	tcp = smbconf_proto_is(word, plen, "tcp");
	nbt = smbconf_proto_is(word, plen, "nbt");
	quic = smbconf_proto_is(word, plen, "quic");
	if (!tcp && !nbt) {
		uint16_t ignored = 0;

		if (!strict) {
			return 0;
		}
		if (!quic) {
			return EINVAL;
		}
		return colon != NULL ? util_parse_port(colon + 1, &ignored) : 0;
	}
	if (colon == NULL) {
		*port = tcp ? 445 : 139;
		return 0;
	}
	return util_parse_port(colon + 1, port);
}

int smbconf_parse_transports(TALLOC_CTX *mem_ctx, const char *s, bool strict,
			     uint16_t **ports, size_t *nports,
			     size_t *nentries, char **bad)
{
	TALLOC_CTX *tmp_ctx = NULL;
	struct port_set *seen = NULL;
	uint16_t *list = NULL;
	size_t n = 0;
	size_t entries = 0;
	char *copy = NULL;
	char *word = NULL;
	char *save = NULL;
	int ret = 0;

	*ports = NULL;
	*nports = 0;
	if (nentries != NULL) {
		*nentries = 0;
	}
	if (bad != NULL) {
		*bad = NULL;
	}
	tmp_ctx = talloc_new(mem_ctx);
	if (tmp_ctx == NULL) {
		return ENOMEM;
	}
	copy = talloc_strdup(tmp_ctx, s != NULL ? s : "");
	seen = talloc_zero(tmp_ctx, struct port_set);
	if (copy == NULL || seen == NULL) {
		ret = ENOMEM;
		goto done;
	}
	for (word = strtok_r(copy, " \t\n,", &save); word != NULL;
	     word = strtok_r(NULL, " \t\n,", &save)) {
		uint16_t port = 0;

		entries++;
		ret = smbconf_transport_port(word, strict, &port);
		if (ret != 0) {
			if (bad != NULL) {
				*bad = talloc_strdup(mem_ctx, word);
			}
			goto done;
		}
		if (port == 0) {
			continue;
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
	if (nentries != NULL) {
		*nentries = entries;
	}
done:
	talloc_free(tmp_ctx);
	return ret;
}

int smbconf_ports(TALLOC_CTX *mem_ctx, const struct smbconf *conf,
		  uint16_t **ports, size_t *nports, size_t *nentries,
		  char **bad)
{
	const char *s = "445 139";
	char *word = NULL;
	int ret;

	if (conf != NULL && !util_is_blank(conf->transports)) {
		/* Samba 4.23 and later: "smb ports" is its synonym */
		return smbconf_parse_transports(mem_ctx, conf->transports,
						false, ports, nports,
						nentries, bad);
	}
	if (conf != NULL && !util_is_blank(conf->smb_ports)) {
		s = conf->smb_ports;
	}
	/* before 4.23: numbers only, as 4.17's script checks them */
	ret = util_parse_port_list(mem_ctx, s, ports, nports, &word);
	if (bad != NULL) {
		*bad = word;
	}
	if (nentries != NULL) {
		*nentries = ret == 0 ? *nports : 0;
	}
	return ret;
}

size_t smbconf_dirty_stderr(TALLOC_CTX *mem_ctx, const struct smbconf *conf,
			    char ***lines)
{
	char **arr = NULL;
	size_t n = 0;
	size_t i;

	*lines = NULL;
	if (conf == NULL) {
		return 0;
	}
	for (i = 0; i < conf->nstderr; i++) {
		const char *l = conf->stderr_lines[i];

		if (!smbconf_dirty_start(l) && strstr(l, "WARNING:") == NULL &&
		    strstr(l, "ERROR:") == NULL) {
			continue;
		}
		if (util_strv_add(mem_ctx, &arr, &n, l) != 0) {
			/* out of memory: report what we have */
			break;
		}
	}
	*lines = arr;
	return n;
}

bool smbconf_is_domain(const struct smbconf *conf)
{
	static const char *const roles[] = {
		"ROLE_DOMAIN_MEMBER", "ROLE_DOMAIN_PDC", "ROLE_DOMAIN_BDC",
		"ROLE_ACTIVE_DIRECTORY_DC", "ROLE_IPA_DC",
	};
	const char *role = NULL;
	size_t i;

	if (conf == NULL) {
		return false;
	}
	if (conf->security != NULL &&
	    (strcasecmp(conf->security, "ads") == 0 ||
	     strcasecmp(conf->security, "domain") == 0)) {
		return true;
	}
	role = conf->server_role;
	if (role == NULL) {
		return false;
	}
	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		if (strcasecmp(role, roles[i]) == 0) {
			return true;
		}
	}
	/* other wordings ("active directory domain controller", ...) */
	return strcasestr(role, "domain controller") != NULL ||
	       strcasestr(role, "domain member") != NULL;
}
