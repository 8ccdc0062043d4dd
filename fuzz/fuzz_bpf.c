/*
 * fuzz_bpf.c - tcpdump expressions through libpcap's compiler, then
 * skit_bpf_fit and skit_bpf_image. First byte: bit 0 picks the cooked
 * link type (LINUX_SLL2) instead of Ethernet; the rest is the
 * expression.
 *
 * Name lookups are stubbed out below (the binary's definitions win over
 * libc's for libpcap too), so "host some.name" never reaches DNS.
 */
#include <errno.h>
#include <netdb.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "skit/pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
	    struct addrinfo **res)
{
	(void)node;
	(void)service;
	(void)hints;
	*res = NULL;
	return EAI_NONAME;
}

/* libpcap's "gateway NAME" (the name in parentheses: a definition). */
struct hostent *(gethostbyname)(const char *name)
{
	(void)name;
	return NULL;
}

int
getnetbyname_r(const char *name, struct netent *ret, char *buf, size_t len,
	       struct netent **result, int *h_errnop)
{
	(void)name;
	(void)ret;
	(void)buf;
	(void)len;
	*result = NULL;
	*h_errnop = HOST_NOT_FOUND;
	return ENOENT;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct skit_bpf prog, fit;
	struct skit_err err;
	char *expr, line[128];
	int dlt;

	if (size < 1 || size > 512)
		return 0;
	dlt = data[0] & 1 ? SKIT_DLT_LINUX_SLL2 : SKIT_DLT_EN10MB;
	expr = malloc(size);
	if (!expr)
		return 0;
	memcpy(expr, data + 1, size - 1);
	expr[size - 1] = '\0';
	if (skit_bpf_compile(expr, dlt, 0, &prog, &err) == 0) {
		for (int i = 0; i < prog.len; i++)
			skit_bpf_image(&prog, i, line, sizeof(line));
		if (skit_bpf_fit(&prog, &fit) == 0) {
			if (fit.len != prog.len + 5)
				abort();
			skit_bpf_free(&fit);
		}
		skit_bpf_free(&prog);
	}
	free(expr);
	return 0;
}
