/*
 * test_diag.c - the NETLINK_SOCK_DIAG parser: inet records with
 * tcp_info, unix names (paths, abstract, unnamed) and peers, packet and
 * netlink records, errors in NLMSG_DONE, lying lengths, /proc/net/raw
 * lines, and the names ss uses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/netlink_diag.h>
#include <linux/packet_diag.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <linux/unix_diag.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "skit/diag.h"
#include "nlmsg.h"

struct got {
	struct skit_diag_sock s[4];
	int n;
};

static int
collect(const struct skit_diag_sock *s, void *data)
{
	struct got *g = data;

	if (g->n < 4)
		g->s[g->n++] = *s;
	return 0;
}

static void
test_inet(void **state)
{
	struct inet_diag_msg m = { .idiag_family = AF_INET6,
				   .idiag_state = 1,
				   .idiag_rqueue = 5,
				   .idiag_wqueue = 7,
				   .idiag_uid = 1000,
				   .idiag_inode = 4242 };
	struct tcp_info ti = { .tcpi_rtt = 26, .tcpi_snd_cwnd = 11 };
	struct mb b = { 0 };
	struct got g = { 0 };
	int32_t done = 0;

	(void)state;
	m.id.idiag_sport = htons(8080);
	m.id.idiag_dport = htons(40000);
	inet_pton(AF_INET6, "::1", m.id.idiag_src);
	inet_pton(AF_INET6, "fd00::2", m.id.idiag_dst);
	m.id.idiag_cookie[0] = 9;
	m.id.idiag_cookie[1] = 1;
	msg_begin(&b, SOCK_DIAG_BY_FAMILY, &m, sizeof(m));
	attr(&b, INET_DIAG_INFO, &ti, sizeof(ti));
	attr(&b, INET_DIAG_CONG, "cubic", 6);
	msg_end(&b);
	msg_begin(&b, NLMSG_DONE, &done, sizeof(done));
	msg_end(&b);
	assert_int_equal(
		skit_diag_parse(b.buf, b.len, SKIT_DIAG_TCP, collect, &g), 1);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.s[0].kind, SKIT_DIAG_TCP);
	assert_int_equal(g.s[0].type, SOCK_STREAM);
	assert_int_equal(g.s[0].family, AF_INET6);
	assert_int_equal(g.s[0].sport, 8080);
	assert_int_equal(g.s[0].dport, 40000);
	assert_int_equal(g.s[0].rqueue, 5);
	assert_int_equal(g.s[0].wqueue, 7);
	assert_int_equal(g.s[0].inode, 4242);
	assert_true(g.s[0].cookie == (1ull << 32 | 9));
	assert_true(g.s[0].has_uid);
	assert_int_equal(g.s[0].uid, 1000);
	assert_true(g.s[0].has_tcp);
	assert_int_equal(g.s[0].tcp.rtt_us, 26);
	assert_int_equal(g.s[0].tcp.snd_cwnd, 11);
	assert_string_equal(g.s[0].tcp.cong, "cubic");
	assert_string_equal(skit_diag_netid(&g.s[0]), "tcp");
	assert_string_equal(skit_diag_state_name(g.s[0].state), "ESTAB");

	/* A destroy notice names its protocol; a short tcp_info is
	 * ignored. */
	memset(&b, 0, sizeof(b));
	memset(&g, 0, sizeof(g));
	m.idiag_family = AF_INET;
	msg_begin(&b, SOCK_DIAG_BY_FAMILY, &m, sizeof(m));
	attr(&b, INET_DIAG_PROTOCOL, (uint8_t[]){ IPPROTO_UDP }, 1);
	attr(&b, INET_DIAG_INFO, &ti, 8);
	msg_end(&b);
	assert_int_equal(
		skit_diag_parse(b.buf, b.len, SKIT_DIAG_TCP, collect, &g), 0);
	assert_int_equal(g.s[0].kind, SKIT_DIAG_UDP);
	assert_int_equal(g.s[0].type, SOCK_DGRAM);
	assert_false(g.s[0].has_tcp);
}

static void
test_unix_packet_netlink(void **state)
{
	struct unix_diag_msg um = { .udiag_family = AF_UNIX,
				    .udiag_type = SOCK_SEQPACKET,
				    .udiag_state = 10,
				    .udiag_ino = 77 };
	struct unix_diag_rqlen q = { 1, 3 };
	struct packet_diag_msg pm = { .pdiag_family = AF_PACKET,
				      .pdiag_type = SOCK_DGRAM,
				      .pdiag_num = 0x0800,
				      .pdiag_ino = 78 };
	struct packet_diag_info pi = { .pdi_index = 2 };
	struct netlink_diag_msg nm = { .ndiag_family = AF_NETLINK,
				       .ndiag_type = SOCK_RAW,
				       .ndiag_protocol = 0,
				       .ndiag_state = 7,
				       .ndiag_portid = 1234,
				       .ndiag_ino = 79 };
	uint32_t peer = 76, mem[SK_MEMINFO_VARS] = { 0 };
	struct mb b = { 0 };
	struct got g = { 0 };

	(void)state;
	msg_begin(&b, SOCK_DIAG_BY_FAMILY, &um, sizeof(um));
	attr(&b, UNIX_DIAG_NAME, "\0abs", 4);
	attr(&b, UNIX_DIAG_PEER, &peer, 4);
	attr(&b, UNIX_DIAG_RQLEN, &q, sizeof(q));
	msg_end(&b);
	/* A path comes with its NUL. */
	msg_begin(&b, SOCK_DIAG_BY_FAMILY, &um, sizeof(um));
	attr(&b, UNIX_DIAG_NAME, "/run/a.sock", 12);
	msg_end(&b);
	assert_int_equal(
		skit_diag_parse(b.buf, b.len, SKIT_DIAG_UNIX, collect, &g), 0);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.s[0].name_len, 4);
	assert_memory_equal(g.s[0].name, "\0abs", 4);
	assert_true(g.s[0].has_peer);
	assert_int_equal(g.s[0].peer_inode, 76);
	assert_int_equal(g.s[0].rqueue, 1);
	assert_int_equal(g.s[0].wqueue, 3);
	assert_string_equal(skit_diag_netid(&g.s[0]), "u_seq");
	assert_string_equal(skit_diag_state_name(g.s[0].state), "LISTEN");
	assert_int_equal(g.s[1].name_len, 11);
	assert_false(g.s[1].has_peer);

	memset(&b, 0, sizeof(b));
	memset(&g, 0, sizeof(g));
	mem[SK_MEMINFO_RMEM_ALLOC] = 512;
	msg_begin(&b, SOCK_DIAG_BY_FAMILY, &pm, sizeof(pm));
	attr(&b, PACKET_DIAG_INFO, &pi, sizeof(pi));
	attr(&b, PACKET_DIAG_MEMINFO, mem, sizeof(mem));
	msg_end(&b);
	assert_int_equal(
		skit_diag_parse(b.buf, b.len, SKIT_DIAG_PACKET, collect, &g),
		0);
	assert_int_equal(g.s[0].protocol, 0x0800);
	assert_int_equal(g.s[0].ifindex, 2);
	assert_int_equal(g.s[0].rqueue, 512);
	assert_string_equal(skit_diag_netid(&g.s[0]), "p_dgr");
	assert_string_equal(skit_diag_state_name(g.s[0].state), "UNCONN");

	memset(&b, 0, sizeof(b));
	memset(&g, 0, sizeof(g));
	mem[SK_MEMINFO_WMEM_ALLOC] = 64;
	msg_begin(&b, SOCK_DIAG_BY_FAMILY, &nm, sizeof(nm));
	attr(&b, NETLINK_DIAG_MEMINFO, mem, sizeof(mem));
	msg_end(&b);
	assert_int_equal(
		skit_diag_parse(b.buf, b.len, SKIT_DIAG_NETLINK, collect, &g),
		0);
	assert_int_equal(g.s[0].portid, 1234);
	assert_int_equal(g.s[0].rqueue, 512);
	assert_int_equal(g.s[0].wqueue, 64);
	assert_string_equal(skit_diag_netid(&g.s[0]), "nl");
}

static void
test_errors(void **state)
{
	struct unix_diag_msg um = { .udiag_family = AF_UNIX };
	struct inet_diag_msg im = { .idiag_family = AF_INET };
	struct mb b = { 0 };
	struct got g = { 0 };
	int32_t e = -ENOENT;

	(void)state;
	/* A dump the kernel cannot run ends with its error in DONE. */
	msg_begin(&b, NLMSG_DONE, &e, sizeof(e));
	msg_end(&b);
	assert_int_equal(
		skit_diag_parse(b.buf, b.len, SKIT_DIAG_RAW, collect, &g),
		-ENOENT);
	/* An attribute longer than its message. */
	memset(&b, 0, sizeof(b));
	msg_begin(&b, SOCK_DIAG_BY_FAMILY, &um, sizeof(um));
	attr(&b, UNIX_DIAG_NAME, "x", 1);
	msg_end(&b);
	b.buf[b.len - 8] = 200;
	assert_int_equal(
		skit_diag_parse(b.buf, b.len, SKIT_DIAG_UNIX, collect, &g),
		-EBADMSG);
	/* A body shorter than the fixed header. */
	memset(&b, 0, sizeof(b));
	msg_begin(&b, SOCK_DIAG_BY_FAMILY, &im, 8);
	msg_end(&b);
	assert_int_equal(
		skit_diag_parse(b.buf, b.len, SKIT_DIAG_TCP, collect, &g),
		-EBADMSG);
	/* Another family in the reply is skipped. */
	memset(&b, 0, sizeof(b));
	im.idiag_family = AF_UNIX;
	msg_begin(&b, SOCK_DIAG_BY_FAMILY, &im, sizeof(im));
	msg_end(&b);
	assert_int_equal(
		skit_diag_parse(b.buf, b.len, SKIT_DIAG_TCP, collect, &g), 0);
	assert_int_equal(g.n, 0);
}

static void
test_proc_and_names(void **state)
{
	struct skit_diag_sock s;
	uint8_t lo[4] = { 127, 0, 0, 1 }, lo6[16] = { 0 };

	(void)state;
	assert_int_equal(
		skit_diag_proc_line("   1: 0100007F:0001 00000000:0000 07 "
				    "00000002:00000004 00:00000000 00000000 "
				    "   65534        0 12345 2 "
				    "0000000000000000 0",
				    AF_INET, &s),
		1);
	assert_int_equal(s.kind, SKIT_DIAG_RAW);
	assert_memory_equal(s.src, lo, 4);
	assert_int_equal(s.protocol, 1);
	assert_int_equal(s.state, 7);
	assert_int_equal(s.wqueue, 2);
	assert_int_equal(s.rqueue, 4);
	assert_int_equal(s.uid, 65534);
	assert_int_equal(s.inode, 12345);
	lo6[15] = 1;
	assert_int_equal(skit_diag_proc_line(
				 "  0: 00000000000000000000000001000000:003A "
				 "00000000000000000000000000000000:0000 07 "
				 "00000000:00000000 00:00000000 00000000 "
				 "0 0 9 2 0000000000000000 0",
				 AF_INET6, &s),
			 1);
	assert_memory_equal(s.src, lo6, 16);
	assert_int_equal(s.protocol, 58);
	/* The header line, and a short one. */
	assert_int_equal(skit_diag_proc_line("  sl  local_address rem_address "
					     "  st tx_queue rx_queue",
					     AF_INET, &s),
			 0);
	assert_int_equal(skit_diag_proc_line("1: 0100007F:0001", AF_INET, &s),
			 0);

	assert_int_equal(skit_diag_state_parse("established"), 1);
	assert_int_equal(skit_diag_state_parse("LISTEN"), 10);
	assert_int_equal(skit_diag_state_parse("time-wait"), 6);
	assert_int_equal(skit_diag_state_parse("nope"), -1);
	assert_string_equal(skit_diag_state_name(99), "UNKNOWN");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inet),
		cmocka_unit_test(test_unix_packet_netlink),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_proc_and_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
