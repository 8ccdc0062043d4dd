/*
 * fuzz_tls_layer.c - the tls layer (skit_layer_tls) as a server, fed
 * arbitrary bytes from a memory transport below it: OpenSSL parses
 * every record (the layer parses none itself), the layer must turn
 * whatever comes into -EAGAIN, a code, or plaintext that fits the
 * caller's buffer, and never write more than it was given room for.
 * The first input byte picks the size of the chunks the transport
 * hands up. Seeds: ClientHellos (fuzz/corpus/tls_layer, made with
 * python's ssl module) and bytes that are not TLS.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "skit/conn.h"
#include "skit/tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct mem {
	const uint8_t *in;
	size_t inlen, inoff, step;
	size_t sent;
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
	(void)l;
	(void)buf;
	M->sent += len;
	return (ssize_t)len;
}

/* The input in chunks of step bytes, then EOF. */
static ssize_t
mem_recv(struct skit_layer *l, void *buf, size_t len)
{
	size_t n = M->inlen - M->inoff;

	(void)l;
	if (n == 0)
		return 0;
	if (n > M->step)
		n = M->step;
	if (n > len)
		n = len;
	memcpy(buf, M->in + M->inoff, n);
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
	.offers = SKIT_LAYER_BYTES,
	.open = mem_open,
	.send = mem_send,
	.recv = mem_recv,
	.shutdown = mem_shutdown,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct skit_tls_ctx *ctx;
	struct skit_tls_opts o = { .server = true, .alpn = "h2;http/1.1" };
	struct skit_tls_layer_cfg lc = { 0 };
	struct mem m = { 0 };
	struct skit_conn *c;
	char buf[7];
	ssize_t k;

	if (size < 1)
		return 0;
	/* One context (its ephemeral certificate) for the whole run. */
	if (!ctx && skit_tls_ctx_new(&o, &ctx, NULL) < 0)
		abort();
	m.step = 1 + (size_t)data[0] * 64;
	m.in = data + 1;
	m.inlen = size - 1;
	lc.ctx = ctx;
	if (skit_conn_new(-1, -1, SOCK_STREAM, false, &c) < 0)
		return 0;
	if (skit_conn_push(c, &mem_ops, &m, NULL) < 0 ||
	    skit_conn_push(c, &skit_layer_tls, &lc, NULL) < 0)
		abort();
	for (int i = 0; i < 100000; i++) {
		k = skit_conn_recv(c, buf, sizeof(buf));
		if (k > (ssize_t)sizeof(buf))
			abort();
		if (k <= 0)
			break;
		if (skit_conn_send(c, buf, (size_t)k) < 0)
			break;
	}
	/* A failed layer stays failed and says why. */
	if (k < 0 && k != -EAGAIN &&
	    (skit_conn_recv(c, buf, sizeof(buf)) != k || !skit_conn_tls_err(c)))
		abort();
	(void)skit_conn_shutdown(c);
	skit_conn_free(c);
	return 0;
}
