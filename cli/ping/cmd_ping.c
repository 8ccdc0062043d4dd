/*
 * cli/ping/cmd_ping.c - `skit ping`: ICMP echo over the unprivileged datagram
 * socket or a raw one, shaped like iputils ping, with percentiles, a
 * drift-free schedule and NDJSON.
 *
 * Schedule: request n (from 0) leaves at start + n * interval, an
 * absolute CLOCK_MONOTONIC deadline, so a slow wakeup never pushes the
 * later requests back. Waits use ppoll() with the remaining time to the
 * nearest deadline (next send, oldest reply's timeout, -w).
 *
 * Matching: the payload starts with a random 8-byte token of this run.
 * On a raw socket a reply must carry our identifier, sequence and token;
 * on a datagram socket the kernel rewrote the identifier (and only
 * delivers replies to our own socket), so sequence and token decide.
 */
#include "cli.h"
#include "ping.h"
#include "skit/icmp.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define TOKEN_LEN PING_TOKEN_LEN
#define MAX_SIZE  65507 /* largest ICMPv4 payload in one IPv4 datagram */

enum { OPT_JSON = 256, OPT_RAW, OPT_DGRAM };

static const struct cli_opt opts[] = {
	{ "ipv4", '4', NULL, '4', "use IPv4" },
	{ "ipv6", '6', NULL, '6', "use IPv6" },
	{ "count", 'c', "N", 'c', "stop after N requests (default: forever)" },
	{ "interval", 'i', "SECS", 'i',
	  "time between requests (default 1; 250ms, 2s, ...)" },
	{ "timeout", 'W', "SECS", 'W',
	  "how long to wait for each reply, and for a full receiver "
	  "(default 10)" },
	{ "deadline", 'w', "SECS", 'w',
	  "deadline: stop after SECS, whatever happened" },
	{ "size", 's', "BYTES", 's', "payload bytes per request (default 56)" },
	{ "ttl", 't', "N", 't', "IPv4 TTL / IPv6 hop limit of requests" },
	{ "pattern", 'p', "HEX", 'p',
	  "fill the payload with up to 16 bytes of hex" },
	{ "quiet", 'q', NULL, 'q', "print only the summary" },
	{ "timestamp", 'D', NULL, 'D', "print a UNIX timestamp before lines" },
	{ "numeric", 'n', NULL, 'n', "numeric target only: never ask DNS" },
	{ "json", 0, NULL, OPT_JSON, "NDJSON: one object per reply + summary" },
	{ "raw", 0, NULL, OPT_RAW, "use a raw socket (needs CAP_NET_RAW)" },
	{ "dgram", 0, NULL, OPT_DGRAM,
	  "use the unprivileged datagram socket only" },
	{ NULL, 0, NULL, 0, NULL },
};

/* Address options ping implements: what skit_open and skit_connect_he
 * apply (the connect time-out is -W). Used by ping_transport.c. */
const uint64_t ping_addr_opts = SKIT_OPTS_OPEN | SKIT_OPTS_DIAL |
				SKIT_OPTS_TLS | SKIT_OPT_BIT(IDLE_TIMEOUT);

static const struct cli_help help = {
	.name = "ping",
	.permute = true,
	.synopsis =
		"skit ping [-46qDn] [-c N] [-i SECS] [-W SECS] [-w SECS] "
		"[-s BYTES] [-t TTL] [-p HEX] [--json] HOST\n"
		"       skit ping [options] tcp:HOST:PORT | udp:HOST:PORT | "
		"unix:PATH",
	.about = "Send ICMP (or ICMPv6) echo requests to HOST and time the "
		 "replies. Tries the\nunprivileged ICMP datagram socket "
		 "first, then a raw socket; drops every\nprivilege once the "
		 "socket is open. HOST may be written icmp:HOST or "
		 "icmp6:HOST.\nWith tcp:HOST:PORT it times TCP handshakes; "
		 "with udp:, unix:, unix-seqpacket:\n(or unix-dgram: with "
		 "bind=) it times round trips against an echo server.",
	.opts = opts,
	.extra = "examples:\n"
		 "  skit ping -c 3 127.0.0.1\n"
		 "  skit ping -6 -c 5 -i 0.2 ::1\n"
		 "  skit ping --json -c 10 -i 0.01 -q 10.0.0.2\n"
		 "  skit ping -c 5 tcp:127.0.0.1:8080\n"
		 "  skit ping -c 5 udp:[::1]:7\n"
		 "\nexit: 0 replies came, 1 none did, 2 usage, 3 name "
		 "resolution,\n      4 unreachable or refused, 5 timed out "
		 "(stream),\n"
		 "      6 no permission for any ICMP socket;\n"
		 "      SIGINT/SIGTERM: the summary, then 130/143\n",
};

enum slot_state {
	SLOT_FREE = 0,
	SLOT_WAITING, /* sent, no answer yet, not timed out */
	SLOT_REPLIED,
	SLOT_ERROR,
	SLOT_EXPIRED, /* no answer within -W */
};

struct slot {
	uint8_t state;
	uint64_t nseq; /* full sequence number (the wire carries 16 bits) */
	int64_t sent_mono;
	struct timespec sent_real;
};

struct ping {
	struct ping_opts o;
	int fd;
	int family;
	bool raw;
	uint16_t id;
	struct sockaddr_storage dst;
	socklen_t dstlen;
	char dst_text[INET6_ADDRSTRLEN];
	uint8_t token[TOKEN_LEN];
	uint8_t *payload;
	uint8_t *buf;
	size_t buflen;
	struct slot *slots; /* 65536, indexed by the wire sequence */

	struct ping_stats st;
	uint64_t max_seq_replied;
	int last_send_err;
};

static int
parse_pattern(const char *s, struct ping_opts *o)
{
	size_t n = strlen(s);

	if (n == 0 || n > 32)
		goto bad;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			goto bad;
	o->pattern_len = 0;
	for (size_t i = 0; i < n; i += 2) {
		char two[3] = { s[i], i + 1 < n ? s[i + 1] : '\0', '\0' };

		o->pattern[o->pattern_len++] = (uint8_t)strtoul(two, NULL, 16);
	}
	return 0;
bad:
	cli_errorf("ping: -p: '%s' is not 1 to 16 bytes of hex", s);
	return -1;
}

/* Strip "icmp:"/"icmp6:" and brackets; pick the family they imply. */
static const char *
target_host(const char *t, int *family, char *buf, size_t len)
{
	size_t n;

	if (!strncasecmp(t, "icmp6:", 6)) {
		*family = AF_INET6;
		t += 6;
	} else if (!strncasecmp(t, "icmp:", 5)) {
		t += 5;
	}
	n = strlen(t);
	if (n >= 2 && t[0] == '[' && t[n - 1] == ']' && n - 2 < len) {
		memcpy(buf, t + 1, n - 2);
		buf[n - 2] = '\0';
		return buf;
	}
	return t;
}

static int
parse_args(int argc, char **argv, struct ping_opts *o)
{
	struct cli_getopt_state st = { 0 };
	const char *arg;
	long long v;
	int c, rc = -1;

	memset(o, 0, sizeof(*o));
	o->family = AF_UNSPEC;
	o->interval_ms = 1000;
	o->timeout_ms = 10000;
	o->size = 56;
	while ((c = cli_getopt(argc, argv, &help, &st, &arg)) != -1) {
		switch (c) {
		case -2:
			rc = -2;
			goto out;
		case '4':
			o->family = AF_INET;
			break;
		case '6':
			o->family = AF_INET6;
			break;
		case 'c':
			if (cli_parse_int("-c", arg, 1, 1LL << 40, &o->count))
				goto out;
			break;
		case 'i':
			if (cli_parse_duration_ms("-i", arg, &v))
				goto out;
			if (v < 1) {
				cli_errorf("ping: -i: '%s' is below 1 ms", arg);
				goto out;
			}
			o->interval_ms = v;
			break;
		case 'W':
			if (cli_parse_duration_ms("-W", arg, &v))
				goto out;
			o->timeout_ms = v < 1 ? 1 : v;
			break;
		case 'w':
			if (cli_parse_duration_ms("-w", arg, &v))
				goto out;
			o->deadline_ms = v < 1 ? 1 : v;
			break;
		case 's':
			if (cli_parse_size_range("-s", arg, 0, MAX_SIZE,
						 &o->size))
				goto out;
			break;
		case 't':
			if (cli_parse_int("-t", arg, 1, 255, &o->ttl))
				goto out;
			break;
		case 'p':
			if (parse_pattern(arg, o))
				goto out;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'D':
			o->timestamp = true;
			break;
		case 'n':
			o->numeric = true;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_RAW:
			o->sock_flags = SKIT_ICMP_RAW_ONLY;
			break;
		case OPT_DGRAM:
			o->sock_flags = SKIT_ICMP_DGRAM_ONLY;
			break;
		default:
			goto out;
		}
	}
	if (optind != argc - 1) {
		cli_errorf("ping: %s",
			   optind >= argc ? "missing HOST" : "one HOST only");
		fprintf(stderr, "usage: %s\n", help.synopsis);
		goto out;
	}
	o->target = argv[optind];
	rc = 0;
out:
	cli_getopt_done(&st);
	return rc;
}

static void
addr_text(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const void *a =
		ss->ss_family == AF_INET6
			? (const void *)&((const struct sockaddr_in6 *)ss)
				  ->sin6_addr
			: (const void *)&((const struct sockaddr_in *)ss)
				  ->sin_addr;

	if ((ss->ss_family != AF_INET && ss->ss_family != AF_INET6) ||
	    !inet_ntop(ss->ss_family, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

static int
send_one(struct ping *p)
{
	uint16_t seq = (uint16_t)((p->st.sent + 1) & 0xffff);
	struct slot *s = &p->slots[seq];
	ssize_t n;

	n = skit_icmp_build_echo(p->family, p->id, seq, p->payload,
				 (size_t)p->o.size, p->buf, p->buflen);
	if (n < 0)
		return (int)n;
	s->state = SLOT_WAITING;
	s->nseq = p->st.sent + 1;
	s->sent_mono = ping_mono_ns();
	clock_gettime(CLOCK_REALTIME, &s->sent_real);
	p->st.sent++;
	n = skit_icmp_send(p->fd, p->buf, (size_t)n, (struct sockaddr *)&p->dst,
			   p->dstlen);
	if (n < 0) {
		/*
		 * A local refusal (no route, neighbour unreachable) is
		 * reported like iputils and the schedule goes on.
		 */
		s->state = SLOT_ERROR;
		p->st.errors++;
		p->last_send_err = (int)n;
		if (p->o.json) {
			struct cli_json j;

			cli_json_begin(&j, stdout);
			cli_json_str(&j, "event", "send-error");
			cli_json_uint(&j, "seq", seq);
			cli_json_str(&j, "error", skit_errname((int)n));
			cli_json_str(&j, "message", skit_strerror((int)n));
			cli_json_end(&j);
		} else {
			cli_errorf("ping: send to %s: %s", p->dst_text,
				   skit_strerror((int)n));
		}
	}
	return 0;
}

static void
print_reply(struct ping *p, const char *from, size_t bytes, uint16_t seq,
	    int ttl, double rtt, bool dup, bool late, bool reord)
{
	if (p->o.quiet)
		return;
	if (p->o.json) {
		struct cli_json j;

		cli_json_begin(&j, stdout);
		cli_json_str(&j, "event", "reply");
		ping_json_time(&j);
		cli_json_str(&j, "from", from);
		cli_json_uint(&j, "bytes", bytes);
		cli_json_uint(&j, "seq", seq);
		if (ttl >= 0)
			cli_json_int(&j, "ttl", ttl);
		else
			cli_json_null(&j, "ttl");
		cli_json_double(&j, "rtt_ms", rtt);
		cli_json_bool(&j, "duplicate", dup);
		cli_json_bool(&j, "late", late);
		cli_json_bool(&j, "out_of_order", reord);
		cli_json_end(&j);
		return;
	}
	ping_line_prefix(&p->o);
	printf("%zu bytes from %s: icmp_seq=%u", bytes, from, seq);
	if (ttl >= 0)
		printf(" ttl=%d", ttl);
	printf(" time=%.3f ms%s%s%s\n", rtt, dup ? " (DUP!)" : "",
	       late ? " (late)" : "", reord ? " (out of order)" : "");
	cli_stdout_flush();
}

static void
print_error(struct ping *p, const char *from, uint16_t seq, uint8_t type,
	    uint8_t code, uint32_t info)
{
	const char *text = skit_icmp_describe(p->family, type, code);

	if (p->o.json) {
		struct cli_json j;

		if (p->o.quiet)
			return;
		cli_json_begin(&j, stdout);
		cli_json_str(&j, "event", "error");
		ping_json_time(&j);
		cli_json_str(&j, "from", from);
		cli_json_uint(&j, "seq", seq);
		cli_json_str(&j, "icmp", skit_icmp_kind_name(p->family, type));
		cli_json_uint(&j, "icmp_type", type);
		cli_json_uint(&j, "icmp_code", code);
		cli_json_str(&j, "message", text);
		if (info)
			cli_json_uint(&j, "info", info);
		cli_json_end(&j);
		return;
	}
	if (p->o.quiet)
		return;
	ping_line_prefix(&p->o);
	printf("From %s icmp_seq=%u %s", from, seq, text);
	if (info && ((p->family == AF_INET && type == 3 && code == 4) ||
		     (p->family == AF_INET6 && type == 2)))
		printf(" (mtu = %u)", info);
	printf("\n");
	cli_stdout_flush();
}

/* A reply for wire sequence seq arrived. */
static void
on_reply(struct ping *p, const char *from, size_t bytes, uint16_t seq, int ttl,
	 const struct timespec *rx_real)
{
	struct slot *s = &p->slots[seq];
	bool dup = false, late = false, reord = false;
	double rtt;

	if (s->state == SLOT_FREE)
		return; /* not one of ours (an earlier run, a stray) */
	if (rx_real->tv_sec) {
		rtt = (double)(rx_real->tv_sec - s->sent_real.tv_sec) * 1e3 +
		      (double)(rx_real->tv_nsec - s->sent_real.tv_nsec) / 1e6;
	} else {
		rtt = (double)(ping_mono_ns() - s->sent_mono) / 1e6;
	}
	if (rtt < 0)
		rtt = 0;
	switch (s->state) {
	case SLOT_REPLIED:
		dup = true;
		p->st.dups++;
		break;
	default:
		/*
		 * Late: the reply came after -W, by its receive time, whether
		 * expire() has marked the slot yet or not (a stopped or busy
		 * process reads an overdue reply before it marks the slot,
		 * or a timely one after). A late reply is still a reply.
		 */
		if (rtt > (double)p->o.timeout_ms) {
			late = true;
			p->st.late++;
		}
		if (s->state == SLOT_ERROR && p->st.errors)
			p->st.errors--;
		s->state = SLOT_REPLIED;
		p->st.received++;
		if (s->nseq < p->max_seq_replied) {
			reord = true;
			p->st.reordered++;
		} else {
			p->max_seq_replied = s->nseq;
		}
		if (ping_stats_add(&p->st, rtt) < 0)
			cli_verbose("ping: out of memory for statistics");
	}
	print_reply(p, from, bytes, seq, ttl, rtt, dup, late, reord);
}

static void
on_error(struct ping *p, const char *from, uint16_t seq, uint8_t type,
	 uint8_t code, uint32_t info)
{
	struct slot *s = &p->slots[seq];

	if (s->state == SLOT_FREE)
		return;
	if (s->state == SLOT_WAITING || s->state == SLOT_EXPIRED) {
		s->state = SLOT_ERROR;
		p->st.errors++;
	}
	print_error(p, from, seq, type, code, info);
}

static bool
token_ok(const struct ping *p, const uint8_t *data, size_t len)
{
	if (p->o.size < TOKEN_LEN)
		return true;
	return len >= TOKEN_LEN && !memcmp(data, p->token, TOKEN_LEN);
}

static void
read_replies(struct ping *p)
{
	struct skit_icmp_rx rx;
	struct skit_icmp_msg m;
	char from[INET6_ADDRSTRLEN];
	ssize_t n;

	for (int budget = 0; budget < 1000; budget++) {
		n = skit_icmp_recv(p->fd, p->buf, p->buflen, &rx);
		if (n < 0)
			return;
		if (skit_icmp_parse(p->family, p->raw && p->family == AF_INET,
				    p->buf, rx.len, &m) < 0)
			continue;
		addr_text(&rx.from, from, sizeof(from));
		if (m.cls == SKIT_ICMP_REPLY) {
			if (p->raw && m.id != p->id)
				continue;
			if (!m.cksum_ok || !token_ok(p, m.data, m.datalen))
				continue;
			on_reply(p, from, m.datalen + SKIT_ICMP_HDR_LEN, m.seq,
				 m.ttl >= 0 ? m.ttl : rx.ttl, &rx.ts);
		} else if (m.cls == SKIT_ICMP_ERROR) {
			if (p->raw && m.orig_id != p->id)
				continue;
			on_error(p, from, m.orig_seq, m.type, m.code, m.info);
		}
	}
}

static void
read_errqueue(struct ping *p)
{
	struct skit_icmp_qerr qe;
	char from[INET6_ADDRSTRLEN];
	uint16_t id, seq;
	ssize_t n;

	for (int budget = 0; budget < 1000; budget++) {
		n = skit_icmp_recv_err(p->fd, p->buf, p->buflen, &qe);
		if (n < 0) {
			/* An error that came without a queue entry would
			 * keep POLLERR up: take it. */
			(void)skit_sock_error(p->fd);
			return;
		}
		if (skit_icmp_parse_quoted(p->family, p->buf, qe.len, &id,
					   &seq) < 0)
			continue;
		if (qe.offender.ss_family)
			addr_text(&qe.offender, from, sizeof(from));
		else
			snprintf(from, sizeof(from), "%s", p->dst_text);
		if (qe.origin_icmp) {
			on_error(p, from, seq, qe.type, qe.code, qe.info);
		} else if (p->slots[seq].state != SLOT_FREE) {
			/* Raised by the local stack: show it as ICMP would. */
			uint8_t type = p->family == AF_INET ? 3 : 1;
			uint8_t code = p->family == AF_INET ? 1 : 3;

			on_error(p, from, seq, type, code, 0);
		}
	}
}

/* Mark requests whose reply is overdue; return the next expiry (ns). */
static int64_t
expire(struct ping *p, int64_t now)
{
	int64_t next = INT64_MAX, tmo = p->o.timeout_ms * 1000000;
	uint64_t first = p->st.sent > 65535 ? p->st.sent - 65535 : 1;

	for (uint64_t n = first; n <= p->st.sent; n++) {
		struct slot *s = &p->slots[n & 0xffff];

		if (s->state != SLOT_WAITING)
			continue;
		if (now >= s->sent_mono + tmo)
			s->state = SLOT_EXPIRED;
		else if (s->sent_mono + tmo < next)
			next = s->sent_mono + tmo;
	}
	return next;
}

static void
open_failed(const struct ping *p, const struct skit_icmp_open_info *info,
	    const struct skit_err *err)
{
	const char *v = p->family == AF_INET6 ? "v6" : "v4";

	if (info->dgram_code && info->raw_code) {
		cli_errorf("ping: cannot open an ICMP socket: datagram: %s; "
			   "raw: %s",
			   skit_strerror(info->dgram_code),
			   skit_strerror(info->raw_code));
	} else {
		cli_report(err);
	}
	if (info->dgram_code == -EACCES || info->dgram_code == -EPERM ||
	    info->raw_code == -EPERM || info->raw_code == -EACCES) {
		cli_hint("the datagram ICMP socket needs your group (gid %u) "
			 "inside net.ipv4.ping_group_range (it covers IPv6 "
			 "too): sysctl -w net.ipv4.ping_group_range='0 "
			 "2147483647'",
			 (unsigned)getgid());
		cli_hint("a raw ICMP%s socket needs CAP_NET_RAW: run as root "
			 "or setcap cap_net_raw+ep on the skit binary",
			 p->family == AF_INET6 ? v : "");
	}
}

static int
setup(struct ping *p)
{
	struct skit_icmp_open_info info;
	struct skit_err err;
	char hostbuf[SKIT_HOST_MAX];
	const char *host;
	int family = p->o.family, r;

	skit_err_clear(&err);
	host = target_host(p->o.target, &family, hostbuf, sizeof(hostbuf));
	if (p->o.family && family != p->o.family) {
		cli_errorf("ping: -4 and icmp6: disagree");
		return CLI_EXIT_USAGE;
	}
	r = skit_icmp_resolve(host, family, p->o.numeric, &p->dst, &p->dstlen,
			      &err);
	if (r < 0)
		return cli_report(&err);
	p->family = p->dst.ss_family;
	addr_text(&p->dst, p->dst_text, sizeof(p->dst_text));

	p->fd = skit_icmp_open(p->family, p->o.sock_flags, &info, &err);
	if (p->fd < 0) {
		open_failed(p, &info, &err);
		return cli_exit_for(p->fd);
	}
	p->raw = info.raw;
	if (info.dgram_code)
		cli_verbose("ping: datagram ICMP socket: %s; using a raw one",
			    skit_strerror(info.dgram_code));
	r = cli_drop_privileges();
	if (r < 0) {
		cli_errorf("ping: drop privileges: %s", skit_strerror(r));
		return CLI_EXIT_PERM;
	}
	if (p->o.ttl) {
		r = skit_icmp_set_ttl(p->fd, p->family, (int)p->o.ttl);
		if (r < 0) {
			cli_errorf("ping: set ttl %lld: %s", p->o.ttl,
				   skit_strerror(r));
			return cli_exit_for(r);
		}
	}
	if (p->raw) {
		p->id = (uint16_t)(getpid() & 0xffff);
	} else {
		p->id = 0; /* the kernel picks it */
	}
	return 0;
}

static int
prepare_buffers(struct ping *p)
{
	size_t plen = (size_t)p->o.size;

	p->slots = calloc(65536, sizeof(*p->slots));
	p->payload = malloc(plen + 1);
	p->buflen = 65536 + 512;
	p->buf = malloc(p->buflen);
	if (!p->slots || !p->payload || !p->buf)
		return -ENOMEM;
	if (getrandom(p->token, sizeof(p->token), 0) != sizeof(p->token)) {
		int64_t t = ping_mono_ns() ^ (int64_t)getpid() << 32;

		memcpy(p->token, &t, sizeof(p->token));
	}
	for (size_t i = 0; i < plen; i++)
		p->payload[i] = p->o.pattern_len
					? p->o.pattern[i % p->o.pattern_len]
					: (uint8_t)i;
	memcpy(p->payload, p->token, plen < TOKEN_LEN ? plen : TOKEN_LEN);
	return 0;
}

static bool
anything_waiting(const struct ping *p)
{
	uint64_t first = p->st.sent > 65535 ? p->st.sent - 65535 : 1;

	for (uint64_t n = first; n <= p->st.sent; n++)
		if (p->slots[n & 0xffff].state == SLOT_WAITING)
			return true;
	return false;
}

static int
run(struct ping *p)
{
	int64_t interval = p->o.interval_ms * 1000000;
	int64_t deadline =
		p->o.deadline_ms ? p->st.start_mono + p->o.deadline_ms * 1000000
				 : INT64_MAX;

	for (;;) {
		int64_t now = ping_mono_ns(), wake = deadline, next_send,
			next_exp;
		bool more = !p->o.count || p->st.sent < (uint64_t)p->o.count;
		struct pollfd pfd[2] = {
			{ .fd = p->fd, .events = POLLIN },
			{ .fd = cli_stop_fd(), .events = POLLIN },
		};
		int64_t wait_ns;
		int r;

		/* Stop once stdout fails: nobody would see the replies. */
		if (cli_stopping() || cli_g.stdout_code || now >= deadline)
			break;
		next_send = p->st.start_mono + (int64_t)p->st.sent * interval;
		if (more && now >= next_send) {
			r = send_one(p);
			if (r < 0)
				return r;
			continue;
		}
		next_exp = expire(p, now);
		/*
		 * -c done and every request answered or expired: stop. With
		 * -w and -c iputils keeps waiting only for missing replies.
		 */
		if (!more && !anything_waiting(p))
			break;
		if (p->o.count && p->st.received >= (uint64_t)p->o.count &&
		    !more)
			break;
		if (more && next_send < wake)
			wake = next_send;
		if (next_exp < wake)
			wake = next_exp;
		if (wake == INT64_MAX)
			wait_ns = 3600 * INT64_C(1000000000);
		else
			wait_ns = wake > now ? wake - now : 0;
		r = skit_poll(pfd, 2, wait_ns);
		if (r < 0)
			return r;
		if (r > 0) {
			if (pfd[0].revents & POLLNVAL)
				return -EBADF;
			if (pfd[0].revents & POLLIN)
				read_replies(p);
			if (pfd[0].revents & POLLERR)
				read_errqueue(p);
		}
	}
	return 0;
}

int
cmd_ping(int argc, char **argv)
{
	struct ping p;
	int r, rc;

	memset(&p, 0, sizeof(p));
	p.fd = -1;
	r = parse_args(argc, argv, &p.o);
	if (r == -2)
		return CLI_EXIT_OK;
	if (r < 0)
		return CLI_EXIT_USAGE;
	if (ping_is_transport(p.o.target))
		return ping_transport(&p.o);
	rc = setup(&p);
	if (rc)
		goto out;
	if (prepare_buffers(&p) < 0) {
		cli_errorf("ping: out of memory");
		rc = CLI_EXIT_FAIL;
		goto out;
	}

	/* A stop signal ends the run with the summary, like iputils. */
	r = cli_stop_watch();
	if (r < 0) {
		cli_errorf("ping: %s", skit_strerror(r));
		rc = CLI_EXIT_FAIL;
		goto out;
	}

	if (!p.o.json && !p.o.quiet) {
		if (p.family == AF_INET)
			printf("PING %s (%s) %lld(%lld) bytes of data.\n",
			       p.o.target, p.dst_text, p.o.size, p.o.size + 28);
		else
			printf("PING %s (%s) %lld data bytes\n", p.o.target,
			       p.dst_text, p.o.size);
		cli_stdout_flush();
	} else if (!p.o.json && p.o.quiet) {
		printf("PING %s (%s)\n", p.o.target, p.dst_text);
	}
	p.st.start_mono = ping_mono_ns();
	r = run(&p);
	p.st.end_mono = ping_mono_ns();
	if (r < 0) {
		cli_errorf("ping: %s: %s", p.dst_text, skit_strerror(r));
		rc = cli_exit_for(r);
		goto out;
	}
	ping_summary(&p.o, &p.st, p.dst_text, p.raw ? "raw" : "dgram");
	if (p.st.received)
		rc = CLI_EXIT_OK;
	else if (p.last_send_err && p.st.errors == p.st.sent)
		rc = cli_exit_for(p.last_send_err);
	else
		rc = CLI_EXIT_FAIL;
out:
	if (p.fd >= 0)
		skit_close(p.fd);
	free(p.slots);
	free(p.payload);
	free(p.buf);
	free(p.st.rtts);
	return rc;
}
