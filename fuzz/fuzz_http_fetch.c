/*
 * fuzz_http_fetch.c - skit_http_fetch on arbitrary response bytes. A
 * server thread on an abstract unix socket answers every connection
 * with the input (after the request head) and closes; the fetch dials
 * it through cfg.via, follows up to two redirects (each answered with
 * the same bytes), and the first input byte picks a resume (bit 0), a
 * HEAD request (bit 1) and --compressed (bit 2). Whatever the bytes,
 * the fetch must end (idle 1 s, total 3 s) without a crash or a leak,
 * and every on_head must get exactly one on_end.
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "skit/http_client.h"
#include "skit/io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static const uint8_t *cur; /* the input, while a fetch runs */
static size_t cur_len;
static struct skit_addr via;
static int lfd = -1;

/* Read the request head (bounded in bytes and time). */
static void
read_head(int c)
{
	char buf[4096];
	size_t n = 0;

	while (n < sizeof(buf) - 1) {
		ssize_t r;

		if (skit_wait_fd(c, POLLIN, 1000) <= 0)
			return;
		r = skit_read_some(c, buf + n, sizeof(buf) - 1 - n);
		if (r <= 0)
			return;
		n += (size_t)r;
		buf[n] = '\0';
		if (strstr(buf, "\r\n\r\n"))
			return;
	}
}

static void *
serve(void *arg)
{
	(void)arg;
	for (;;) {
		int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		uint8_t *copy = NULL;
		size_t len = 0;

		if (c < 0)
			continue;
		pthread_mutex_lock(&mu);
		if (cur && (copy = malloc(cur_len ? cur_len : 1)) != NULL) {
			memcpy(copy, cur, cur_len);
			len = cur_len;
		}
		pthread_mutex_unlock(&mu);
		read_head(c);
		if (copy)
			(void)skit_write_all(c, copy, len, 1000);
		free(copy);
		skit_close(c);
	}
	return NULL;
}

static void
setup(void)
{
	struct skit_err err;
	pthread_t th;
	char text[64];

	/* A redirect to https writes TLS to a closed peer (as skit does). */
	signal(SIGPIPE, SIG_IGN);
	snprintf(text, sizeof(text), "unix:@skit-fuzz-fetch-%d", (int)getpid());
	if (skit_addr_parse(text, SKIT_ROLE_LISTEN, &via, &err) ||
	    (lfd = skit_open(&via, SKIT_ROLE_LISTEN, 0, NULL, NULL, NULL,
			     &err)) < 0)
		abort();
	if (skit_addr_parse(text, SKIT_ROLE_CONNECT, &via, &err) ||
	    pthread_create(&th, NULL, serve, NULL))
		abort();
	pthread_detach(th);
}

struct count {
	int heads, ends;
	size_t bytes;
};

static int
on_head(const struct skit_http_answer *a, void *data)
{
	struct count *n = data;

	if (a->head_len == 0 || a->head_len > 3 * 1024 * 1024)
		abort();
	n->heads++;
	return 0;
}

static int
on_body(const void *buf, size_t len, long long received, void *data)
{
	struct count *n = data;
	volatile uint8_t x = 0;

	for (size_t i = 0; i < len; i++)
		x ^= ((const uint8_t *)buf)[i];
	n->bytes += len;
	(void)received;
	return 0;
}

static int
on_end(int code, void *data)
{
	struct count *n = data;

	n->ends++;
	if (n->ends > n->heads)
		abort();
	(void)code;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct count n = { 0 };
	struct skit_http_sink sink = { on_head, on_body, on_end, NULL, &n };
	struct skit_http_fetch_cfg cfg = { .via = &via,
					   .idle_timeout_ms = 1000,
					   .total_timeout_ms = 3000,
					   .retries = -1,
					   .max_redirects = 2,
					   .stopfd = -1 };
	struct skit_http_fetch_req req = { 0 };
	struct skit_url u;
	struct skit_err err;

	if (lfd < 0)
		setup();
	if (size < 1)
		return 0;
	if (skit_url_parse("http://fuzz.test/a/b", &u, NULL))
		abort();
	req.url = &u;
	req.range_from = data[0] & 1 ? 5 : -1;
	req.method = data[0] & 2 ? "HEAD" : NULL;
	req.compressed = data[0] & 4;
	pthread_mutex_lock(&mu);
	cur = data + 1;
	cur_len = size - 1;
	pthread_mutex_unlock(&mu);
	(void)skit_http_fetch(&req, &cfg, &sink, NULL, &err);
	pthread_mutex_lock(&mu);
	cur = NULL;
	pthread_mutex_unlock(&mu);
	if (n.ends != n.heads)
		abort();
	return 0;
}
