/*
 * The SMB answer check (spec 3.6): does each checked port answer an SMB
 * negotiate?  A stopped or hung smbd keeps its listening socket, and the
 * kernel goes on completing handshakes into its accept queue, so a
 * listener alone proves nothing.  One negotiate per port, all ports at
 * once on non-blocking sockets in one poll loop, no authentication.
 *
 * The wire format is written here, small, and the reply parser is pure
 * (buf, len) and fuzzed (tests/fuzz/fuzz_smbanswer_parse_reply.c).
 */
#ifndef CHECKS_SMBANSWER_H
#define CHECKS_SMBANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <talloc.h>

#include "checks/util.h"

struct tcpport_answer;

/* The largest reply frame read (spec 3.6: at most 64 KiB) */
#define SMBANSWER_MAX_FRAME 65536

/* The port on which smbd speaks NetBIOS sessions (RFC 1002) */
#define SMBANSWER_NETBIOS_PORT 139

/* The state file: empty after an answer, "K\n" after K failures */
#define SMBANSWER_STATE_FILE "smb_answer"

enum smbanswer_kind {
	SMBANSWER_SMB1,		/* \xffSMB: an NT1 (or older) server */
	SMBANSWER_SMB2,		/* \xfeSMB */
};

/* What a well-formed negotiate reply said */
struct smbanswer_reply {
	enum smbanswer_kind kind;
	uint32_t status;	/* NT status (SMB1: the 32 status bits) */
	bool has_dialect;	/* a success with a dialect in it */
	uint16_t dialect;	/* SMB2: DialectRevision (0x02ff, 0x0311,
				 * ...); SMB1: the index into the offered
				 * dialects */
};

/**
 * @brief Parse one NetBIOS-framed negotiate reply (pure, no I/O).
 * Session keepalives (type 0x85) before the frame are skipped.  The
 * frame must be a session message (type 0x00) of at most
 * SMBANSWER_MAX_FRAME bytes holding an SMB2 NEGOTIATE response (MS-SMB2
 * 2.2.1.2, 2.2.4, or an error response 2.2.2) or an SMB1
 * SMB_COM_NEGOTIATE response (MS-CIFS 2.2.4.52.2); any status counts.
 * @param[out] r       the reply (on 0 only)
 * @param[out] used    bytes of @p buf the reply took (on 0 only; may
 *                     be NULL)
 * @return 0 for a whole, well-formed reply; EAGAIN when more bytes are
 *         needed; EBADMSG when the bytes are not such a reply
 */
int smbanswer_parse_reply(const uint8_t *buf, size_t len,
			  struct smbanswer_reply *r, size_t *used);

/**
 * @brief Parse the answer to a NetBIOS session request (RFC 1002
 * 4.3.3-4.3.5, pure).  Keepalives before it are skipped.
 * @param[out] used bytes of @p buf the answer took (on 0 only)
 * @return 0 for a positive session response (0x82); EAGAIN when more
 *         bytes are needed; EBADMSG for anything else (a negative
 *         response 0x83, a retarget 0x84, garbage)
 */
int smbanswer_parse_session(const uint8_t *buf, size_t len, size_t *used);

/**
 * @brief The negotiate request: a NetBIOS session message (MS-SMB2 2.1,
 * RFC 1002 4.3.1) holding an SMB1 SMB_COM_NEGOTIATE (MS-CIFS 2.2.4.52.1)
 * that offers "NT LM 0.12", "SMB 2.002" and "SMB 2.???".
 * @param[out] buf at least @p size bytes
 * @return its length, or 0 when @p size is too small
 */
size_t smbanswer_negotiate_request(uint8_t *buf, size_t size);

/**
 * @brief The NetBIOS session request (RFC 1002 4.3.2) to the called
 * name "*SMBSERVER" from the calling name "CTDBCHECK", both in RFC 1001
 * 14.1 first-level encoding.
 * @return its length, or 0 when @p size is too small
 */
size_t smbanswer_session_request(uint8_t *buf, size_t size);

/** @brief The dialect offered at @p index of the SMB1 request, or NULL. */
const char *smbanswer_smb1_dialect(uint16_t index);

/* Where one port is probed */
struct smbanswer_target {
	uint16_t port;
	int family;		/* AF_INET or AF_INET6 */
	unsigned char addr[16];	/* network order */
	bool netbios;		/* a session request first (port 139) */
};

/**
 * @brief Where to probe port index @p i of a listener table: loopback
 * first, a wildcard listener reached on 127.0.0.1 / ::1, a specific
 * address on itself; 127.0.0.1 when the table is NULL or knows no
 * address (a compat checker decided).
 */
void smbanswer_pick_target(const struct tcpport_answer *ans, size_t i,
			   uint16_t port, struct smbanswer_target *t);

/** @brief "127.0.0.1:445" or "[::1]:445" into @p buf (at least 56 bytes). */
void smbanswer_target_name(const struct smbanswer_target *t, char *buf,
			   size_t size);

enum smbanswer_outcome {
	SMBANSWER_ANSWERED,	/* a well-formed SMB1 or SMB2 reply */
	SMBANSWER_TIMEOUT,	/* "no SMB answer in N s" */
	SMBANSWER_REFUSED,	/* "connection refused" */
	SMBANSWER_CLOSED,	/* "connection closed" (EOF, reset) */
	SMBANSWER_NOT_SMB,	/* "answered, but not SMB" */
	SMBANSWER_CONNECT_ERR,	/* "cannot connect (strerror(err))" */
};

/* The outcome for one port */
struct smbanswer_result {
	enum smbanswer_outcome outcome;
	int err;			/* SMBANSWER_CONNECT_ERR */
	struct smbanswer_reply reply;	/* SMBANSWER_ANSWERED */
	int64_t ms;			/* time taken */
	unsigned timeout_s;		/* the bound in seconds, rounded up */
};

/**
 * @brief Probe every target at once: connect, (port 139: session
 * request, positive response), negotiate, one reply.  Non-blocking
 * sockets, one poll loop, bounded by @p timeout_ms and by @p dl.
 * @param[in]  mem_ctx talloc parent of *res
 * @param[out] res     [n] outcomes, in the order of @p t
 * @return 0 (whatever the outcomes), ENOMEM, or the errno of poll()
 */
int smbanswer_probe(TALLOC_CTX *mem_ctx, const struct smbanswer_target *t,
		    size_t n, const struct deadline *dl, int64_t timeout_ms,
		    struct smbanswer_result **res);

/**
 * @brief The failure words of spec 3.6 for @p r ("no SMB answer in 3 s",
 * "connection refused", ...), or what answered for -v ("SMB2 dialect
 * 0x02ff", "SMB1 dialect NT LM 0.12", "SMB2 status 0xc0000022").
 * @return a talloc string on @p mem_ctx, or NULL (ENOMEM)
 */
char *smbanswer_words(TALLOC_CTX *mem_ctx, const struct smbanswer_result *r);

/* The state of the check, from SMBANSWER_STATE_FILE */
struct smbanswer_state {
	bool exists;		/* no: never probed here (first cycle) */
	struct timespec last;	/* its mtime: the last probe */
	unsigned failures;	/* probes in a row that failed (corrupt: 0) */
	bool dirty;		/* not empty: the last probe failed, or the
				 * file is corrupt (probe again) */
};

/**
 * @brief Read the state: one lstat(), and a read only when the file is
 * not empty.  Missing, a link, unreadable or corrupt: 0 failures.
 * @param[in] dir the state directory, or NULL (no state: first cycle)
 */
void smbanswer_state_read(TALLOC_CTX *mem_ctx, const char *dir,
			  struct smbanswer_state *st);

/**
 * @brief Is the probe due (spec 3.6)?  On the first cycle, after a failed
 * probe, while @p queued connections wait in an accept queue, while
 * samba was @p started (the started file exists), and otherwise once
 * @p interval seconds have passed since the last probe (0: always).
 */
bool smbanswer_due(const struct smbanswer_state *st, uint64_t interval,
		   uint64_t queued, bool started);

/**
 * @brief Record a probe: @p failures in a row (0: it answered).  0 is
 * written as an empty file (only touched when it is empty already),
 * more as "K\n", atomically.
 * @return 0, or errno
 */
int smbanswer_state_write(TALLOC_CTX *mem_ctx, const char *dir,
			  const struct smbanswer_state *st,
			  unsigned failures);

#endif
