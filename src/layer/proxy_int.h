/*
 * layer/proxy_int.h - what the proxy's client side (proxy.c) and
 * server side (proxy_server.c) share.
 */
#ifndef SKIT_LAYER_PROXY_INT_H
#define SKIT_LAYER_PROXY_INT_H

#include <stddef.h>
#include <stdint.h>

/*
 * The length of a SOCKS5 address (RFC 1928 section 5) whose ATYP is
 * b[3], from its 5 first bytes: 4 (IPv4), 16 (IPv6), 1 + b[4] (a name),
 * or 0 for an unknown type.
 */
static inline size_t
skit__socks5_addr_len(const uint8_t *b)
{
	switch (b[3]) {
	case 1:
		return 4;
	case 4:
		return 16;
	case 3:
		return 1 + (size_t)b[4];
	default:
		return 0;
	}
}

#endif
