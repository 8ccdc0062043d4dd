/*
 * bytes.h - network byte order reads and writes at any alignment, for the
 * parsers of untrusted bytes (icmp.c, pkt.c). Private to libskit.
 */
#ifndef SKIT_BYTES_H
#define SKIT_BYTES_H

#include <stdint.h>

static inline uint16_t
skit__get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
skit__get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline void
skit__put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

#endif
