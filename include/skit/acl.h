/*
 * skit/acl.h - CIDR blocks and allow/deny lists of them: which peers a
 * server accepts. One parser and one matcher, used by `skit listen
 * --allow/--deny`, by the range= address option (an acl with one allow
 * rule) and by serve.h's acl.
 *
 *   CIDR := ADDRESS [ "/" PREFIX ]      ADDRESS := IPv4 | IPv6 | "[" IPv6 "]"
 *
 * "10.0.0.0/8", "127.0.0.1" (a /32), "fe80::/10", "[fd00::]/8", "::1".
 * PREFIX is decimal, 0-32 for IPv4 and 0-128 for IPv6; no zone id. Bits
 * past the prefix may be set ("10.1.2.3/8" is 10.0.0.0/8).
 *
 * Matching: an IPv4 peer matches IPv4 blocks; an IPv6 peer matches IPv6
 * blocks, and an IPv4-mapped IPv6 peer (::ffff:a.b.c.d, what a dual-stack
 * listener sees) also matches IPv4 blocks. A peer that is not IP (unix,
 * vsock) matches no block.
 *
 * The CIDR functions are pure (no allocation, no I/O; they live with the
 * address grammar in src/addr/, which parses range= with them). The acl
 * functions allocate its lists (src/net/acl.c).
 */
#ifndef SKIT_ACL_H
#define SKIT_ACL_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* A CIDR block. bytes holds 4 (AF_INET) or 16 (AF_INET6) address bytes. */
struct skit_cidr {
	int family;	   /* AF_INET or AF_INET6 */
	uint8_t bytes[16]; /* network byte order; the rest zero */
	int prefix;	   /* 0-32 or 0-128 */
};

/*
 * Parse n bytes of text (it need not be NUL-terminated) into *out.
 * Returns 0, or -EINVAL for text that is not a CIDR block (*out is then
 * zeroed).
 */
int skit_cidr_parse(const char *text, size_t n, struct skit_cidr *out);

/*
 * Write c as "10.0.0.0/8" or "fd00::/8" (the address as stored, IPv6
 * without brackets; parses back to the same block). Returns the length
 * needed, like snprintf, or -EINVAL for a block that was not parsed.
 */
int skit_cidr_format(const struct skit_cidr *c, char *buf, size_t len);

/* True when sa (AF_INET or AF_INET6, see above) lies in c. */
bool skit_cidr_match(const struct skit_cidr *c, const struct sockaddr *sa);

/*
 * An allow/deny list. Zero-initialize it (or use SKIT_ACL_INIT); free it
 * with skit_acl_free(). The lists belong to the acl.
 *
 * Rules: a peer in any deny block is refused (deny wins); otherwise, when
 * there are allow blocks, only a peer in one of them is accepted; with no
 * allow block everyone not denied is. A peer that is not IP (unix,
 * vsock) is always accepted: these lists filter network peers only.
 */
struct skit_acl {
	struct skit_cidr *allow, *deny;
	size_t nallow, ndeny;
};

#define SKIT_ACL_INIT            \
	{                        \
		NULL, NULL, 0, 0 \
	}

/*
 * Add a block to the allow (allow = true) or deny list, from text or
 * parsed. Returns 0, -EINVAL (text is not a CIDR block; the acl is
 * unchanged) or -ENOMEM.
 */
int skit_acl_add(struct skit_acl *acl, bool allow, const char *text);
int skit_acl_add_cidr(struct skit_acl *acl, bool allow,
		      const struct skit_cidr *c);

/* May a peer at sa connect (or send)? sa may be NULL (accepted). */
bool skit_acl_permits(const struct skit_acl *acl, const struct sockaddr *sa);

/* True when neither list has a block (everyone is accepted). */
bool skit_acl_empty(const struct skit_acl *acl);

/* Free the lists and leave the acl empty (and reusable). NULL is fine. */
void skit_acl_free(struct skit_acl *acl);

#ifdef __cplusplus
}
#endif

#endif
