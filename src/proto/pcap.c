/*
 * pcap.c - a pcap file writer (the classic libpcap format with
 * nanosecond timestamps, magic 0xa1b23c4d), buffered, written with the
 * io layer. Readable by tcpdump, tshark and wireshark.
 */
#include "skit/io.h"
#include "skit/pkt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PCAP_BUF (256 * 1024)

struct skit_pcap {
	int fd;
	uint32_t linktype;
	uint32_t snaplen;
	size_t used;
	uint8_t buf[PCAP_BUF];
};

/* Host byte order throughout: readers use the magic to tell. */
static void
put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void
put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

int
skit_pcap_flush(struct skit_pcap *p)
{
	ssize_t n;

	if (!p->used)
		return 0;
	n = skit_write_all(p->fd, p->buf, p->used, -1);
	if (n < 0)
		return (int)n;
	p->used = 0;
	return 0;
}

int
skit_pcap_open(int fd, uint32_t linktype, uint32_t snaplen,
	       struct skit_pcap **out)
{
	struct skit_pcap *p = malloc(sizeof(*p));
	int r;

	*out = NULL;
	if (!p)
		return -ENOMEM;
	p->fd = fd;
	p->linktype = linktype;
	p->snaplen = snaplen;
	p->used = 24;
	put32(p->buf, 0xa1b23c4d); /* nanosecond resolution */
	put16(p->buf + 4, 2);	   /* version 2.4 */
	put16(p->buf + 6, 4);
	put32(p->buf + 8, 0);  /* thiszone */
	put32(p->buf + 12, 0); /* sigfigs */
	put32(p->buf + 16, snaplen);
	put32(p->buf + 20, linktype);
	r = skit_pcap_flush(p);
	if (r < 0) {
		free(p);
		return r;
	}
	*out = p;
	return 0;
}

int
skit_pcap_write(struct skit_pcap *p, const struct skit_frame *f, size_t hdrlen)
{
	bool sll = p->linktype == SKIT_PCAP_LINKTYPE_LINUX_SLL;
	size_t caplen = f->caplen, len = f->len, extra = 0;
	const uint8_t *data = f->data;
	uint8_t *r;
	int e;

	if (sll) {
		/* Replace the link header with the 16-byte cooked one. */
		if (hdrlen > caplen)
			hdrlen = caplen;
		data += hdrlen;
		caplen -= hdrlen;
		len = len >= hdrlen ? len - hdrlen : 0;
		extra = 16;
	}
	if (caplen + extra > p->snaplen)
		caplen = p->snaplen - extra;
	if (16 + extra + caplen > sizeof(p->buf))
		return -EMSGSIZE;
	if (p->used + 16 + extra + caplen > sizeof(p->buf)) {
		e = skit_pcap_flush(p);
		if (e < 0)
			return e;
	}
	r = p->buf + p->used;
	put32(r, (uint32_t)f->ts.tv_sec);
	put32(r + 4, (uint32_t)f->ts.tv_nsec);
	put32(r + 8, (uint32_t)(caplen + extra));
	put32(r + 12, (uint32_t)(len + extra));
	r += 16;
	if (sll) {
		/* Cooked header fields are big-endian. */
		r[0] = 0;
		r[1] = f->pkttype;
		r[2] = (uint8_t)(f->hatype >> 8);
		r[3] = (uint8_t)f->hatype;
		r[4] = 0;
		r[5] = hdrlen >= 12 ? 6 : 0; /* link address length */
		memset(r + 6, 0, 8);
		if (hdrlen >= 12)
			memcpy(r + 6, f->data + 6, 6); /* the source MAC */
		r[14] = (uint8_t)(f->protocol >> 8);
		r[15] = (uint8_t)f->protocol;
		r += 16;
	}
	memcpy(r, data, caplen);
	p->used += 16 + extra + caplen;
	return 0;
}

int
skit_pcap_close(struct skit_pcap *p)
{
	int r;

	if (!p)
		return 0;
	r = skit_pcap_flush(p);
	free(p);
	return r;
}
