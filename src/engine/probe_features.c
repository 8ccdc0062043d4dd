/*
 * probe_features.c - the rows of `skit probe` beyond socket(): which
 * sock_diag dumps this kernel answers, multicast on each interface,
 * who may capture packets, and kernel TLS.
 */
#include "skit/diag.h"
#include "skit/io.h"
#include "skit/nl.h"
#include "skit/probe.h"
#include "skit/sock.h"
#include "skit/tls.h"

#include <errno.h>
#include <linux/capability.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

struct list {
	struct skit_probe_feature *v;
	size_t n, cap;
};

static struct skit_probe_feature *add(struct list *l, int domain, int code,
				      const char *fix, const char *what,
				      const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static struct skit_probe_feature *
add(struct list *l, int domain, int code, const char *fix, const char *what,
    const char *fmt, ...)
{
	struct skit_probe_feature *f;
	va_list ap;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		void *p = realloc(l->v, cap * sizeof(*l->v));

		if (!p)
			return NULL;
		l->v = p;
		l->cap = cap;
	}
	f = &l->v[l->n++];
	memset(f, 0, sizeof(*f));
	f->domain = domain;
	f->code = code;
	snprintf(f->what, sizeof(f->what), "%s", what);
	snprintf(f->fix, sizeof(f->fix), "%s", fix ? fix : "");
	va_start(ap, fmt);
	vsnprintf(f->why, sizeof(f->why), fmt, ap);
	va_end(ap);
	return f;
}

/* Count what a dump returns: a dump that answers at all is enough. */
static int
count(const struct skit_diag_sock *s, void *data)
{
	(void)s;
	++*(size_t *)data;
	return 0;
}

static const struct {
	enum skit_diag_kind kind;
	int family;
	const char *what;
	const char *module;
} diag_rows[] = {
	{ SKIT_DIAG_TCP, AF_INET, "sock_diag tcp (IPv4)", "tcp_diag" },
	{ SKIT_DIAG_TCP, AF_INET6, "sock_diag tcp (IPv6)", "tcp_diag" },
	{ SKIT_DIAG_UDP, AF_INET, "sock_diag udp (IPv4)", "udp_diag" },
	{ SKIT_DIAG_UDP, AF_INET6, "sock_diag udp (IPv6)", "udp_diag" },
	{ SKIT_DIAG_RAW, AF_INET, "sock_diag raw (IPv4)", "raw_diag" },
	{ SKIT_DIAG_RAW, AF_INET6, "sock_diag raw (IPv6)", "raw_diag" },
	{ SKIT_DIAG_UNIX, AF_UNIX, "sock_diag unix", "unix_diag" },
	{ SKIT_DIAG_PACKET, AF_PACKET, "sock_diag packet", "af_packet_diag" },
	{ SKIT_DIAG_NETLINK, AF_NETLINK, "sock_diag netlink", "netlink_diag" },
};

static void
probe_diag(struct list *l)
{
	struct skit_err err;
	int fd = skit_diag_open(0, &err);

	if (fd < 0) {
		add(l, AF_NETLINK, fd, NULL, "sock_diag",
		    "no NETLINK_SOCK_DIAG socket (%s): skit sockets cannot "
		    "list anything",
		    skit_errname(fd));
		return;
	}
	for (size_t i = 0; i < sizeof(diag_rows) / sizeof(diag_rows[0]); i++) {
		size_t got = 0;
		char fix[96];
		int r;

		/* The kernel's own answer, without /proc/net/raw. */
		r = skit_diag_dump(fd, diag_rows[i].kind, diag_rows[i].family,
				   SKIT_DIAG_KERNEL_ONLY, count, &got);
		snprintf(fix, sizeof(fix), "modprobe %s (as root)",
			 diag_rows[i].module);
		if (r == 0)
			add(l, AF_NETLINK, 0, NULL, diag_rows[i].what,
			    "the kernel lists these sockets");
		else if (r == -ENOENT && diag_rows[i].kind == SKIT_DIAG_RAW)
			add(l, AF_NETLINK, r, fix, diag_rows[i].what,
			    "module %s not loaded: skit sockets reads "
			    "/proc/net/raw%s instead (no tcp-like details)",
			    diag_rows[i].module,
			    diag_rows[i].family == AF_INET6 ? "6" : "");
		else if (r == -ENOENT)
			add(l, AF_NETLINK, r, fix, diag_rows[i].what,
			    "module %s not built or not loaded: skit sockets "
			    "leaves these out",
			    diag_rows[i].module);
		else
			add(l, AF_NETLINK, r, NULL, diag_rows[i].what,
			    "the dump failed: %s", skit_strerror(r));
	}
	skit_close(fd);
}

/* Collect links from a NETLINK_ROUTE dump. */
struct links {
	struct skit_nl_link v[64];
	size_t n;
};

static int
on_link(const struct skit_nl_event *ev, void *data)
{
	struct links *ls = data;

	if (ev->what == SKIT_NL_LINK && ls->n < 64)
		ls->v[ls->n++] = ev->u.link;
	return 0;
}

static void
probe_multicast(struct list *l)
{
	struct links *ls = calloc(1, sizeof(*ls));
	int fd, r;

	if (!ls)
		return;
	fd = skit_nl_open(0, NULL);
	r = fd < 0 ? fd : skit_nl_dump(fd, SKIT_NL_LINK, on_link, ls);
	if (fd >= 0)
		skit_close(fd);
	if (r < 0) {
		add(l, AF_INET, r, NULL, "multicast",
		    "cannot list the interfaces: %s", skit_strerror(r));
		free(ls);
		return;
	}
	for (size_t i = 0; i < ls->n; i++) {
		const struct skit_nl_link *k = &ls->v[i];
		char what[64], fix[96];

		snprintf(what, sizeof(what), "multicast on %s", k->name);
		if (!(k->flags & IFF_MULTICAST)) {
			snprintf(fix, sizeof(fix),
				 "ip link set %s multicast on", k->name);
			add(l, AF_INET, -EADDRNOTAVAIL, fix, what,
			    "no MULTICAST flag: joins on %s fail%s", k->name,
			    k->flags & IFF_LOOPBACK
				    ? " (loopback; a join without iface= "
				      "picks the route's interface)"
				    : "");
		} else if (!(k->flags & IFF_UP)) {
			snprintf(fix, sizeof(fix), "ip link set %s up",
				 k->name);
			add(l, AF_INET, -ENETDOWN, fix, what,
			    "MULTICAST, but the interface is down");
		} else {
			add(l, AF_INET, 0, NULL, what,
			    "MULTICAST and up: join=, join-source= and "
			    "ff02:: groups with iface=%s work",
			    k->name);
		}
	}
	free(ls);
}

/* The permitted set of the binary's file capabilities has CAP_NET_RAW. */
static bool
exe_has_net_raw(void)
{
	struct vfs_cap_data cap;
	ssize_t n = getxattr("/proc/self/exe", "security.capability", &cap,
			     sizeof(cap));

	if (n < (ssize_t)(sizeof(uint32_t) * 3))
		return false;
	return cap.data[0].permitted & (1u << CAP_NET_RAW);
}

static void
probe_capture(struct list *l, const struct skit_probe_env *env)
{
	const char *fix = "setcap cap_net_raw+ep on the skit binary (as root)";
	struct stat st;
	bool setuid_root = stat("/proc/self/exe", &st) == 0 &&
			   (st.st_mode & S_ISUID) && st.st_uid == 0;
	bool filecap = exe_has_net_raw();
	int fd;

	/* This process: a packet socket that receives nothing. */
	fd = skit_socket(AF_PACKET, SOCK_RAW, 0, false);
	if (fd >= 0) {
		skit_close(fd);
		add(l, AF_PACKET, 0, NULL, "capture (this process)",
		    "skit sniff works (CAP_NET_RAW%s)",
		    env->uid == 0 ? ", root" : "");
	} else {
		add(l, AF_PACKET, fd, fix, "capture (this process)",
		    "skit sniff needs CAP_NET_RAW, which this process lacks");
	}
	if (filecap || setuid_root)
		add(l, AF_PACKET, 0, NULL, "capture (unprivileged users)",
		    "this binary %s, so any user may run skit sniff",
		    filecap ? "has the file capability cap_net_raw"
			    : "is setuid root");
	else
		add(l, AF_PACKET, -EPERM, fix, "capture (unprivileged users)",
		    "this binary has no cap_net_raw file capability and is not "
		    "setuid: only root may capture");
}

/* Kernel TLS (TCP_ULP "tls"), for the address option ktls. */
static void
probe_ktls(struct list *l)
{
	int e = skit_tls_ktls_available();

	if (e == 0)
		add(l, AF_INET, 0, NULL, "kernel TLS (ktls)",
		    "TCP_ULP \"tls\" is available; skit's TLS still runs in "
		    "user space");
	else if (e == -ENOENT)
		add(l, AF_INET, -ENOPROTOOPT, "modprobe tls (as root)",
		    "kernel TLS (ktls)",
		    "TCP_ULP \"tls\" is not available (the tls module is not "
		    "loaded): ktls falls back to user-space TLS");
	else
		add(l, AF_INET, e, NULL, "kernel TLS (ktls)",
		    "cannot read /proc/sys/net/ipv4/tcp_available_ulp");
}

int
skit_probe_features(const struct skit_probe_env *env,
		    struct skit_probe_feature **out, size_t *n)
{
	struct list l = { 0 };

	probe_diag(&l);
	probe_multicast(&l);
	probe_capture(&l, env);
	probe_ktls(&l);
	*out = l.v;
	*n = l.n;
	return l.v ? 0 : -ENOMEM;
}
