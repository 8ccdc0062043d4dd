/*
 * fuzz_frame_layer.c - the framing layer (skit_layer_frame) on
 * arbitrary bytes, over a message layer kept in memory. The first byte
 * picks the framing, the limit and the seqpacket/datagram below; the
 * second the step the stream is sent in. Sending: every message fits
 * the limit, and the messages put back together with their headers
 * are the bytes the layer took (all of them for line and raw).
 * Receiving: the rest of the input is cut into messages, read back
 * through a small buffer; the stream is each message behind its
 * header, none lost unless dropped (and counted).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "skit/conn.h"
#include "skit/frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OUTCAP (1 << 20)

struct mem {
	unsigned char *out; /* messages sent, each behind its header */
	size_t outlen;
	enum skit_framing f;
	size_t max;
	const uint8_t *in; /* messages to receive: 1 length byte each */
	size_t inlen, inoff;
};

static struct mem *M;

static int
mem_open(struct skit_layer *l, const void *cfg, struct skit_err *err)
{
	(void)l;
	(void)err;
	M = (struct mem *)cfg;
	return 0;
}

static ssize_t
mem_send(struct skit_layer *l, const void *buf, size_t len)
{
	int hl;

	(void)l;
	if (len > M->max && M->f != SKIT_FRAMING_RAW)
		abort();
	if (M->outlen + len + 4 > OUTCAP)
		return -EMSGSIZE;
	hl = skit_frame_hdr(M->f, len, M->out + M->outlen);
	if (hl < 0)
		abort();
	memcpy(M->out + M->outlen + hl, buf, len);
	M->outlen += (size_t)hl + len;
	return (ssize_t)len;
}

static ssize_t
mem_recv(struct skit_layer *l, void *buf, size_t len)
{
	size_t n;

	(void)l;
	if (M->inoff >= M->inlen)
		return -EAGAIN;
	n = M->in[M->inoff++];
	if (n > M->inlen - M->inoff)
		n = M->inlen - M->inoff;
	memcpy(buf, M->in + M->inoff, n < len ? n : len);
	M->inoff += n;
	return (ssize_t)n;
}

static int
mem_shutdown(struct skit_layer *l)
{
	(void)l;
	return 0;
}

static const struct skit_layer_ops mem_ops = {
	.name = "mem",
	.offers = SKIT_LAYER_MSGS,
	.open = mem_open,
	.send = mem_send,
	.recv = mem_recv,
	.shutdown = mem_shutdown,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t limits[] = { 1, 2, 7, 100, 300 };
	static unsigned char out[OUTCAP];
	struct mem m = { .out = out };
	struct skit_frame_cfg fc = { .quiet_ms = -1 };
	struct skit_conn *c;
	size_t step, half, took = 0;
	char small[5];
	ssize_t k;
	int type;

	if (size < 2)
		return 0;
	m.f = fc.framing = (enum skit_framing)(data[0] & 3);
	m.max = fc.max_msg = limits[(data[0] >> 2) % 5];
	type = data[0] & 0x80 ? SOCK_SEQPACKET : SOCK_DGRAM;
	step = 1 + data[1] % 64;
	data += 2;
	size -= 2;
	half = size / 2;
	if (skit_conn_new(-1, -1, type, false, &c) < 0)
		return 0;
	if (skit_conn_push(c, &mem_ops, &m, NULL) < 0 ||
	    skit_conn_push(c, &skit_layer_frame, &fc, NULL) < 0)
		abort();
	/* Sending the first half as a stream. */
	while (took < half) {
		size_t n = half - took < step ? half - took : step;

		k = skit_conn_send(c, data + took, n);
		if (k == SKIT_ELIMIT)
			break;
		if (k <= 0 || (size_t)k > n)
			abort();
		took += (size_t)k;
	}
	k = skit_conn_shutdown(c);
	if (k != 0 && k != SKIT_ETRUNC && k != SKIT_ELIMIT)
		abort();
	if (k == 0 && took == half && m.f != SKIT_FRAMING_RAW &&
	    m.f != SKIT_FRAMING_LINE && m.outlen != half &&
	    skit_conn_stats(c)->dropped_out == 0)
		abort();
	if ((m.f == SKIT_FRAMING_LINE || m.f == SKIT_FRAMING_RAW) &&
	    (k != 0 || m.outlen != half || memcmp(out, data, half)))
		abort();
	if (skit_conn_stats(c)->dropped_out == 0 &&
	    (m.outlen > took || memcmp(out, data, m.outlen)))
		abort();
	/* Receiving the second half, cut into messages. */
	m.in = data + half;
	m.inlen = size - half;
	for (int i = 0; i < 100000; i++) {
		k = skit_conn_recv(c, small, sizeof(small));
		if (k == -EAGAIN || k == 0)
			break;
		if (k != -EMSGSIZE && (k < 0 || (size_t)k > sizeof(small)))
			abort();
	}
	skit_conn_free(c);
	return 0;
}
