/*
 * acl.c - allow/deny lists of CIDR blocks (skit/acl.h). The blocks are
 * parsed and matched by src/addr/addr_cidr.c; this file keeps the lists
 * and the rule: deny wins, then allow (when there is any), and non-IP
 * peers are not filtered.
 */
#include "skit/acl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int
skit_acl_add_cidr(struct skit_acl *acl, bool allow, const struct skit_cidr *c)
{
	struct skit_cidr **v = allow ? &acl->allow : &acl->deny;
	size_t *n = allow ? &acl->nallow : &acl->ndeny;
	struct skit_cidr *nv;

	if (!c || (c->family != AF_INET && c->family != AF_INET6))
		return -EINVAL;
	nv = realloc(*v, (*n + 1) * sizeof(**v));
	if (!nv)
		return -ENOMEM;
	nv[(*n)++] = *c;
	*v = nv;
	return 0;
}

int
skit_acl_add(struct skit_acl *acl, bool allow, const char *text)
{
	struct skit_cidr c;

	if (!text || skit_cidr_parse(text, strlen(text), &c) < 0)
		return -EINVAL;
	return skit_acl_add_cidr(acl, allow, &c);
}

static bool
list_match(const struct skit_cidr *v, size_t n, const struct sockaddr *sa)
{
	for (size_t i = 0; i < n; i++)
		if (skit_cidr_match(&v[i], sa))
			return true;
	return false;
}

bool
skit_acl_permits(const struct skit_acl *acl, const struct sockaddr *sa)
{
	if (!acl || !sa ||
	    (sa->sa_family != AF_INET && sa->sa_family != AF_INET6))
		return true;
	if (list_match(acl->deny, acl->ndeny, sa))
		return false;
	return !acl->nallow || list_match(acl->allow, acl->nallow, sa);
}

bool
skit_acl_empty(const struct skit_acl *acl)
{
	return !acl || (!acl->nallow && !acl->ndeny);
}

void
skit_acl_free(struct skit_acl *acl)
{
	if (!acl)
		return;
	free(acl->allow);
	free(acl->deny);
	acl->allow = acl->deny = NULL;
	acl->nallow = acl->ndeny = 0;
}
