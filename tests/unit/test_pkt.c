/*
 * test_pkt.c - frame decoders, summaries, and tcpdump expressions
 * compiled by libpcap and fitted to skit's ring (checked by running the
 * programs in a small classic BPF interpreter that knows the kernel's
 * SKF_NET_OFF and SKF_AD_* loads).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "skit/pkt.h"

/* Frame builders */

static size_t
eth(uint8_t *p, uint16_t type)
{
	memset(p, 0, 12);
	p[0] = 0x02;
	p[11] = 0x01;
	p[12] = (uint8_t)(type >> 8);
	p[13] = (uint8_t)type;
	return 14;
}

static size_t
ipv4(uint8_t *p, uint8_t proto, size_t l4len, const char *src, const char *dst)
{
	size_t tot = 20 + l4len;

	memset(p, 0, 20);
	p[0] = 0x45;
	p[2] = (uint8_t)(tot >> 8);
	p[3] = (uint8_t)tot;
	p[8] = 64;
	p[9] = proto;
	inet_pton(AF_INET, src, p + 12);
	inet_pton(AF_INET, dst, p + 16);
	return 20;
}

static size_t
ipv6(uint8_t *p, uint8_t nh, size_t plen, const char *src, const char *dst)
{
	memset(p, 0, 40);
	p[0] = 0x60;
	p[4] = (uint8_t)(plen >> 8);
	p[5] = (uint8_t)plen;
	p[6] = nh;
	p[7] = 64;
	inet_pton(AF_INET6, src, p + 8);
	inet_pton(AF_INET6, dst, p + 24);
	return 40;
}

static size_t
tcp(uint8_t *p, uint16_t sport, uint16_t dport, uint8_t flags)
{
	memset(p, 0, 20);
	p[0] = (uint8_t)(sport >> 8);
	p[1] = (uint8_t)sport;
	p[2] = (uint8_t)(dport >> 8);
	p[3] = (uint8_t)dport;
	p[7] = 100; /* seq */
	p[11] = 7;  /* ack */
	p[12] = 5 << 4;
	p[13] = flags;
	p[14] = 0x01; /* win 256 */
	return 20;
}

static size_t
udp(uint8_t *p, uint16_t sport, uint16_t dport, size_t plen)
{
	memset(p, 0, 8);
	p[0] = (uint8_t)(sport >> 8);
	p[1] = (uint8_t)sport;
	p[2] = (uint8_t)(dport >> 8);
	p[3] = (uint8_t)dport;
	p[4] = (uint8_t)((8 + plen) >> 8);
	p[5] = (uint8_t)(8 + plen);
	return 8;
}

static size_t
frame_tcp4(uint8_t *f, uint16_t sport, uint16_t dport, uint8_t flags)
{
	size_t n = eth(f, 0x0800);

	n += ipv4(f + n, 6, 20 + 3, "10.0.0.1", "10.0.0.2");
	n += tcp(f + n, sport, dport, flags);
	memcpy(f + n, "abc", 3);
	return n + 3;
}

static size_t
frame_udp6(uint8_t *f, uint16_t sport, uint16_t dport)
{
	size_t n = eth(f, 0x86dd);

	n += ipv6(f + n, 17, 8 + 5, "fd00::1", "fd00::2");
	n += udp(f + n, sport, dport, 5);
	memcpy(f + n, "hello", 5);
	return n + 5;
}

static size_t
frame_arp(uint8_t *f)
{
	size_t n = eth(f, 0x0806);
	uint8_t *a = f + n;

	memset(a, 0, 28);
	a[1] = 1;    /* Ethernet */
	a[2] = 0x08; /* IPv4 */
	a[4] = 6;
	a[5] = 4;
	a[7] = 1; /* request */
	inet_pton(AF_INET, "10.0.0.1", a + 14);
	inet_pton(AF_INET, "10.0.0.2", a + 24);
	return n + 28;
}

/* Decoders */

static void
test_tcp4(void **state)
{
	uint8_t f[128];
	size_t n = frame_tcp4(f, 40000, 80, SKIT_TCP_SYN | SKIT_TCP_ACK);
	struct skit_pkt p;
	char s[256];

	(void)state;
	assert_int_equal(skit_pkt_decode(f, n, SKIT_LINK_ETHER, 0, &p), 0);
	assert_null(p.malformed);
	assert_int_equal(p.ip_version, 4);
	assert_int_equal(p.sport, 40000);
	assert_int_equal(p.dport, 80);
	assert_int_equal(p.payload_len, 3);
	skit_pkt_summary(&p, s, sizeof(s));
	assert_string_equal(s, "IP 10.0.0.1.40000 > 10.0.0.2.80: Flags [S.], "
			       "seq 100, ack 7, win 256, length 3");
}

static void
test_udp6_and_ext(void **state)
{
	uint8_t f[256];
	size_t n = frame_udp6(f, 53, 5353);
	struct skit_pkt p;
	char s[256];

	(void)state;
	skit_pkt_decode(f, n, SKIT_LINK_ETHER, 0, &p);
	skit_pkt_summary(&p, s, sizeof(s));
	assert_string_equal(s, "IP6 fd00::1.53 > fd00::2.5353: UDP, length 5");

	/* The same with a hop-by-hop header (8 bytes) before UDP. */
	n = eth(f, 0x86dd);
	n += ipv6(f + n, 0, 8 + 8 + 5, "fd00::1", "fd00::2");
	memset(f + n, 0, 8);
	f[n] = 17; /* next header */
	n += 8;
	n += udp(f + n, 1, 2, 5);
	n += 5;
	skit_pkt_decode(f, n, SKIT_LINK_ETHER, 0, &p);
	assert_null(p.malformed);
	assert_int_equal(p.proto, 17);
	assert_int_equal(p.dport, 2);

	/* An extension header claiming more than there is. */
	f[14 + 40 + 1] = 200;
	skit_pkt_decode(f, n, SKIT_LINK_ETHER, 0, &p);
	assert_string_equal(p.malformed, "ipv6-ext");
	skit_pkt_summary(&p, s, sizeof(s));
	assert_non_null(strstr(s, "[malformed ipv6-ext]"));
}

static void
test_arp_vlan_l3(void **state)
{
	uint8_t f[128], g[160];
	size_t n = frame_arp(f);
	struct skit_pkt p;
	char s[256];

	(void)state;
	skit_pkt_decode(f, n, SKIT_LINK_ETHER, 0, &p);
	skit_pkt_summary(&p, s, sizeof(s));
	assert_string_equal(s, "ARP, Request who-has 10.0.0.2 tell 10.0.0.1, "
			       "length 28");

	/* The TCP frame with a VLAN tag 42 inserted. */
	n = frame_tcp4(f, 1, 2, SKIT_TCP_RST);
	memcpy(g, f, 12);
	g[12] = 0x81;
	g[13] = 0x00;
	g[14] = 0x00;
	g[15] = 42;
	memcpy(g + 16, f + 12, n - 12);
	skit_pkt_decode(g, n + 4, SKIT_LINK_ETHER, 0, &p);
	assert_int_equal(p.nvlan, 1);
	assert_int_equal(p.vlan[0], 42);
	skit_pkt_summary(&p, s, sizeof(s));
	assert_string_equal(s, "vlan 42, IP 10.0.0.1.1 > 10.0.0.2.2: Flags "
			       "[R], seq 100, win 256, length 3");

	/* No link header (tun): start at IPv4. */
	skit_pkt_decode(f + 14, n - 14, SKIT_LINK_L3, 0x0800, &p);
	assert_int_equal(p.ip_version, 4);
	assert_false(p.has_eth);
	assert_int_equal(p.dport, 2);
}

static void
test_icmp_and_frag(void **state)
{
	uint8_t f[128];
	size_t n = eth(f, 0x0800);
	struct skit_pkt p;
	char s[256];

	(void)state;
	n += ipv4(f + n, 1, 16, "127.0.0.1", "127.0.0.2");
	memset(f + n, 0, 16);
	f[n] = 8;
	f[n + 5] = 9;  /* id */
	f[n + 7] = 10; /* seq */
	n += 16;
	skit_pkt_decode(f, n, SKIT_LINK_ETHER, 0, &p);
	skit_pkt_summary(&p, s, sizeof(s));
	assert_string_equal(s, "IP 127.0.0.1 > 127.0.0.2: ICMP echo request, "
			       "id 9, seq 10, length 16");

	f[14 + 7] = 5; /* fragment offset 5: no transport header */
	skit_pkt_decode(f, n, SKIT_LINK_ETHER, 0, &p);
	assert_true(p.ip_fragment);
	assert_false(p.has_l4);
}

static void
test_malformed_prefixes(void **state)
{
	uint8_t f[256];
	size_t lens[3];
	uint8_t frames[3][256];
	struct skit_pkt p;
	char s[512];

	(void)state;
	lens[0] = frame_tcp4(frames[0], 1, 2, SKIT_TCP_SYN);
	lens[1] = frame_udp6(frames[1], 3, 4);
	lens[2] = frame_arp(frames[2]);
	for (int i = 0; i < 3; i++) {
		for (size_t k = 0; k < lens[i]; k++) {
			uint8_t *c = malloc(k ? k : 1);

			memcpy(c, frames[i], k);
			skit_pkt_decode(c, k, SKIT_LINK_ETHER, 0, &p);
			/* Any cut before the end is reported malformed. */
			if (!(i == 0 && k >= lens[i] - 3) &&
			    !(i == 1 && k >= lens[i] - 5))
				assert_non_null(p.malformed);
			skit_pkt_summary(&p, s, sizeof(s));
			free(c);
		}
	}
	/* A TCP data offset below 5 words. */
	memcpy(f, frames[0], lens[0]);
	f[14 + 20 + 12] = 0x10;
	skit_pkt_decode(f, lens[0], SKIT_LINK_ETHER, 0, &p);
	assert_string_equal(p.malformed, "tcp");
	/* A summary into a tiny buffer stays terminated. */
	assert_true(skit_pkt_summary(&p, s, 8) > 8);
	assert_int_equal(strlen(s), 7);
}

/*
 * A classic BPF interpreter with the kernel's ancillary loads, to run
 * the programs libpcap compiled and skit_bpf_fit fitted on test frames
 * (Ethernet, network header at 14).
 */
struct meta {
	uint32_t pkttype, hatype, ifindex;
};

static uint32_t
ld(const uint8_t *f, size_t len, const struct meta *m, uint32_t k, int size,
   bool *oob)
{
	size_t off;
	uint32_t v = 0;

	if (k == (uint32_t)(SKF_AD_OFF + SKF_AD_PROTOCOL))
		return len >= 14 ? (uint32_t)(f[12] << 8 | f[13]) : 0;
	if (k == (uint32_t)(SKF_AD_OFF + SKF_AD_PKTTYPE))
		return m->pkttype;
	if (k == (uint32_t)(SKF_AD_OFF + SKF_AD_HATYPE))
		return m->hatype;
	if (k == (uint32_t)(SKF_AD_OFF + SKF_AD_IFINDEX))
		return m->ifindex;
	if (k >= (uint32_t)SKF_AD_OFF) {
		fail_msg("unexpected ancillary load %d", (int)(k - SKF_AD_OFF));
		return 0;
	}
	if (k >= (uint32_t)SKF_NET_OFF)
		off = 14 + (k - (uint32_t)SKF_NET_OFF);
	else
		off = k;
	if (off + (size_t)size > len) {
		*oob = true;
		return 0;
	}
	for (int i = 0; i < size; i++)
		v = v << 8 | f[off + (size_t)i];
	return v;
}

static uint32_t
alu(uint16_t op, uint32_t a, uint32_t v)
{
	switch (op) {
	case BPF_ADD:
		return a + v;
	case BPF_SUB:
		return a - v;
	case BPF_MUL:
		return a * v;
	case BPF_DIV:
		return v ? a / v : 0;
	case BPF_MOD:
		return v ? a % v : 0;
	case BPF_AND:
		return a & v;
	case BPF_OR:
		return a | v;
	case BPF_XOR:
		return a ^ v;
	case BPF_LSH:
		return v < 32 ? a << v : 0;
	case BPF_RSH:
		return v < 32 ? a >> v : 0;
	case BPF_NEG:
		return -a;
	}
	fail_msg("unexpected ALU op 0x%x", op);
	return 0;
}

static uint32_t
run_prog(const struct skit_bpf *b, const uint8_t *f, size_t len,
	 const struct meta *m)
{
	uint32_t A = 0, X = 0, M[BPF_MEMWORDS] = { 0 };
	bool oob = false;

	for (int pc = 0; pc < b->len; pc++) {
		const struct sock_filter *i = &b->insn[pc];
		uint16_t c = i->code;
		int size = BPF_SIZE(c) == BPF_W	  ? 4
			   : BPF_SIZE(c) == BPF_H ? 2
						  : 1;
		uint32_t v = BPF_SRC(c) == BPF_X ? X : i->k;
		bool t;

		switch (BPF_CLASS(c)) {
		case BPF_LD:
			if (BPF_MODE(c) == BPF_IMM)
				A = i->k;
			else if (BPF_MODE(c) == BPF_MEM)
				A = M[i->k % BPF_MEMWORDS];
			else if (BPF_MODE(c) == BPF_LEN)
				A = (uint32_t)len;
			else
				A = ld(f, len, m,
				       BPF_MODE(c) == BPF_IND ? i->k + X : i->k,
				       size, &oob);
			break;
		case BPF_LDX:
			if (BPF_MODE(c) == BPF_IMM)
				X = i->k;
			else if (BPF_MODE(c) == BPF_MEM)
				X = M[i->k % BPF_MEMWORDS];
			else if (BPF_MODE(c) == BPF_LEN)
				X = (uint32_t)len;
			else
				X = 4 * (ld(f, len, m, i->k, 1, &oob) & 0xf);
			break;
		case BPF_ST:
			M[i->k % BPF_MEMWORDS] = A;
			break;
		case BPF_STX:
			M[i->k % BPF_MEMWORDS] = X;
			break;
		case BPF_ALU:
			A = alu(BPF_OP(c), A, v);
			break;
		case BPF_JMP:
			if (BPF_OP(c) == BPF_JA) {
				pc += (int)i->k;
				break;
			}
			t = BPF_OP(c) == BPF_JEQ   ? A == v
			    : BPF_OP(c) == BPF_JGT ? A > v
			    : BPF_OP(c) == BPF_JGE ? A >= v
						   : (A & v) != 0;
			pc += t ? i->jt : i->jf;
			break;
		case BPF_RET:
			return BPF_RVAL(c) == BPF_A ? A : i->k;
		case BPF_MISC:
			if (BPF_MISCOP(c) == BPF_TAX)
				X = A;
			else
				A = X;
			break;
		}
		if (oob)
			return 0; /* the kernel drops on out-of-bounds loads */
	}
	fail_msg("ran off the end of the program");
	return 0;
}

/* Compile expr for dlt, fit it, run it on a frame a host received. */
static uint32_t
filter_meta(const char *expr, int dlt, const uint8_t *f, size_t len,
	    const struct meta *m)
{
	struct skit_bpf prog, fit;
	struct skit_err err;
	uint32_t r;

	assert_int_equal(skit_bpf_compile(expr, dlt, 1000, &prog, &err), 0);
	assert_int_equal(prog.dlt, dlt);
	assert_int_equal(skit_bpf_fit(&prog, &fit), 0);
	assert_int_equal(BPF_CLASS(fit.insn[fit.len - 1].code), BPF_RET);
	r = run_prog(&fit, f, len, m);
	skit_bpf_free(&prog);
	skit_bpf_free(&fit);
	return r;
}

static uint32_t
filter(const char *expr, int dlt, const uint8_t *f, size_t len)
{
	struct meta m = { .pkttype = 0, .hatype = 1, .ifindex = 2 };

	return filter_meta(expr, dlt, f, len, &m);
}

static void
test_bpf(void **state)
{
	uint8_t t4[128], u6[128], arp[128];
	size_t nt4 = frame_tcp4(t4, 40000, 8080, SKIT_TCP_SYN);
	size_t nu6 = frame_udp6(u6, 5353, 53);
	size_t narp = frame_arp(arp);
	static const int dlts[] = { SKIT_DLT_EN10MB, SKIT_DLT_LINUX_SLL2 };

	(void)state;
	/*
	 * The same expressions give the same answers whether compiled for
	 * Ethernet or for cooked headers and fitted to the ring.
	 */
	for (size_t d = 0; d < 2; d++) {
		int dlt = dlts[d];

		/* No filter: everything, cut to snaplen. */
		assert_int_equal(filter("", dlt, t4, nt4), 1000);
		assert_int_equal(filter(NULL, dlt, arp, narp), 1000);
		assert_true(filter("tcp", dlt, t4, nt4));
		assert_false(filter("tcp", dlt, u6, nu6));
		assert_false(filter("tcp", dlt, arp, narp));
		assert_true(filter("udp", dlt, u6, nu6));
		assert_true(filter("arp", dlt, arp, narp));
		assert_false(filter("arp", dlt, t4, nt4));
		assert_true(filter("port 8080", dlt, t4, nt4));
		assert_true(filter("src port 40000", dlt, t4, nt4));
		assert_false(filter("dst port 40000", dlt, t4, nt4));
		assert_true(filter("port 53", dlt, u6, nu6));
		assert_false(filter("tcp port 53", dlt, u6, nu6));
		assert_true(filter("host 10.0.0.2", dlt, t4, nt4));
		assert_false(filter("host 10.0.0.3", dlt, t4, nt4));
		assert_true(filter("udp and src host fd00::1", dlt, u6, nu6));
		assert_false(filter("host fd00::3", dlt, u6, nu6));
		assert_true(filter("(tcp or udp) and (port 53 or port 9)", dlt,
				   u6, nu6));
		assert_false(filter("(tcp or udp) and (port 54 or port 9)", dlt,
				    u6, nu6));
		assert_true(
			filter("tcp[tcpflags] & tcp-syn != 0", dlt, t4, nt4));
		assert_true(filter("greater 50 and ip", dlt, t4, nt4));
	}
	/* Cooked-header fields become the kernel's ancillary loads. */
	assert_true(filter("ifindex 2", SKIT_DLT_LINUX_SLL2, t4, nt4));
	assert_false(filter("ifindex 3", SKIT_DLT_LINUX_SLL2, t4, nt4));
	assert_true(filter("inbound", SKIT_DLT_LINUX_SLL2, t4, nt4));
	assert_false(filter("outbound", SKIT_DLT_LINUX_SLL2, t4, nt4));
}

static void
test_bpf_fit(void **state)
{
	uint8_t t4[128];
	size_t nt4 = frame_tcp4(t4, 40000, 8080, SKIT_TCP_SYN);
	struct meta out_lo = { .pkttype = 4, .hatype = 772 };
	struct meta out_eth = { .pkttype = 4, .hatype = 1 };
	struct skit_bpf prog, fit;
	struct skit_err err;
	char line[128];

	(void)state;
	/* The outgoing copy of a loopback frame is dropped, others kept. */
	assert_int_equal(filter_meta("", SKIT_DLT_EN10MB, t4, nt4, &out_lo), 0);
	assert_int_equal(filter_meta("", SKIT_DLT_EN10MB, t4, nt4, &out_eth),
			 1000);
	assert_int_equal(filter_meta("", SKIT_DLT_LINUX_SLL2, t4, nt4, &out_lo),
			 0);

	/* A cooked-header byte the kernel cannot give: refused. */
	assert_int_equal(skit_bpf_compile("link[6] = 1", SKIT_DLT_LINUX_SLL2, 0,
					  &prog, &err),
			 0);
	assert_int_equal(skit_bpf_fit(&prog, &fit), -EOPNOTSUPP);
	skit_bpf_free(&prog);

	/* libpcap's message, quoted. */
	skit_err_clear(&err);
	assert_int_equal(skit_bpf_compile("tcp prot 80", SKIT_DLT_EN10MB, 0,
					  &prog, &err),
			 SKIT_EOPTION);
	assert_non_null(strstr(err.detail, "syntax error"));
	assert_string_equal(err.subject, "tcp prot 80");
	assert_null(prog.insn);
	assert_int_equal(skit_bpf_compile("ether host 1:2:3:4:5:6",
					  SKIT_DLT_LINUX_SLL2, 0, &prog, &err),
			 SKIT_EOPTION);

	/* tcpdump -d's lines. */
	assert_int_equal(skit_bpf_compile("tcp port 80", SKIT_DLT_EN10MB, 0,
					  &prog, &err),
			 0);
	assert_string_equal(skit_bpf_image(&prog, 0, line, sizeof(line)),
			    "(000) ldh      [12]");
	assert_string_equal(
		skit_bpf_image(&prog, prog.len - 1, line, sizeof(line)),
		"(019) ret      #0");
	assert_string_equal(skit_bpf_image(&prog, prog.len, line, 4), "");
	skit_bpf_free(&prog);

	assert_int_equal(skit_bpf_dlt(1), SKIT_DLT_EN10MB);
	assert_int_equal(skit_bpf_dlt(772), SKIT_DLT_EN10MB);
	assert_int_equal(skit_bpf_dlt(65534), SKIT_DLT_LINUX_SLL2);
	assert_int_equal(skit_bpf_dlt(-1), SKIT_DLT_LINUX_SLL2);
	assert_string_equal(skit_bpf_dlt_name(SKIT_DLT_LINUX_SLL2),
			    "LINUX_SLL2");
}

static void
test_names(void **state)
{
	char b[16];

	(void)state;
	assert_string_equal(
		skit_pkt_tcp_flags(SKIT_TCP_FIN | SKIT_TCP_ACK, b, sizeof(b)),
		"F.");
	assert_string_equal(skit_pkt_tcp_flags(0, b, sizeof(b)), "none");
	assert_string_equal(skit_pkt_proto_name(132, b, sizeof(b)), "132");
}

static void
test_pcap(void **state)
{
	char path[] = "/tmp/skit-test-pcap.XXXXXX";
	int fd = mkstemp(path);
	struct skit_pcap *pc;
	struct skit_frame f = { 0 };
	uint8_t frame[128], back[256];
	size_t n = frame_tcp4(frame, 1, 2, SKIT_TCP_SYN);
	uint32_t v;
	ssize_t got;

	(void)state;
	assert_true(fd >= 0);
	unlink(path);
	f.data = frame;
	f.caplen = f.len = n;
	f.ts.tv_sec = 7;
	f.ts.tv_nsec = 123;
	f.protocol = 0x0800;
	f.hatype = 1;
	assert_int_equal(
		skit_pcap_open(fd, SKIT_PCAP_LINKTYPE_ETHERNET, 100, &pc), 0);
	assert_int_equal(skit_pcap_write(pc, &f, 14), 0);
	f.caplen = f.len = 200; /* over the snaplen: cut, length kept */
	f.data = back;
	memset(back, 0, sizeof(back));
	assert_int_equal(skit_pcap_write(pc, &f, 14), 0);
	assert_int_equal(skit_pcap_close(pc), 0);
	got = pread(fd, back, sizeof(back), 0);
	assert_int_equal(got, 24 + 16 + (ssize_t)n + 16 + 100);
	memcpy(&v, back, 4);
	assert_int_equal(v, 0xa1b23c4d);
	memcpy(&v, back + 20, 4);
	assert_int_equal(v, 1);
	memcpy(&v, back + 24, 4);
	assert_int_equal(v, 7);
	memcpy(&v, back + 28, 4);
	assert_int_equal(v, 123);
	memcpy(&v, back + 32, 4);
	assert_int_equal(v, n);
	assert_memory_equal(back + 40, frame, n);
	memcpy(&v, back + 40 + n + 8, 4);
	assert_int_equal(v, 100); /* caplen */
	memcpy(&v, back + 40 + n + 12, 4);
	assert_int_equal(v, 200); /* original length */
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp4),
		cmocka_unit_test(test_udp6_and_ext),
		cmocka_unit_test(test_arp_vlan_l3),
		cmocka_unit_test(test_icmp_and_frag),
		cmocka_unit_test(test_malformed_prefixes),
		cmocka_unit_test(test_bpf),
		cmocka_unit_test(test_bpf_fit),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_pcap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
