/*
 * bpf.c - tcpdump filter expressions for skit's capture ring: compiled
 * by libpcap's pcap_compile (on a pcap_open_dead handle, so nothing is
 * opened), then fitted to skit's own TPACKET_V3 socket and printed like
 * `tcpdump -d`.
 *
 * libpcap's filter compiler is the one every capture tool shares; a
 * second one written here would disagree with tcpdump in corners users
 * rely on. Capture itself stays skit's (src/net/sock_packet.c).
 *
 * Fitting: a program for Ethernet runs on Ethernet and loopback frames
 * as it is. On all interfaces (or one without an Ethernet header) the
 * program is compiled for Linux cooked headers (LINUX_SLL2, what
 * `tcpdump -i any` uses) and every load from the cooked header is
 * rewritten to the kernel's ancillary offsets (SKF_AD_PROTOCOL,
 * SKF_AD_IFINDEX, SKF_AD_PKTTYPE), every load past it to SKF_NET_OFF,
 * as libpcap does for its own cooked sockets (pcap-linux.c,
 * fix_offset). A load of any other cooked-header byte has no kernel
 * equivalent: such an expression is refused.
 */
#include "skit/pkt.h"

#include <errno.h>
#include <linux/if_arp.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLL2_HDR_LEN 20

_Static_assert(sizeof(struct bpf_insn) == sizeof(struct sock_filter),
	       "libpcap's bpf_insn is the kernel's sock_filter");

int
skit_bpf_dlt(int hatype)
{
	if (hatype == ARPHRD_ETHER || hatype == ARPHRD_LOOPBACK)
		return SKIT_DLT_EN10MB;
	return SKIT_DLT_LINUX_SLL2;
}

const char *
skit_bpf_dlt_name(int dlt)
{
	const char *n = pcap_datalink_val_to_name(dlt);

	return n ? n : "?";
}

void
skit_bpf_free(struct skit_bpf *b)
{
	if (!b)
		return;
	free(b->insn);
	b->insn = NULL;
	b->len = 0;
}

int
skit_bpf_compile(const char *expr, int dlt, uint32_t snaplen,
		 struct skit_bpf *out, struct skit_err *err)
{
	struct bpf_program prog = { 0 };
	pcap_t *p;
	int r = 0;

	memset(out, 0, sizeof(*out));
	if (!expr)
		expr = "";
	p = pcap_open_dead(dlt, snaplen ? (int)snaplen : 262144);
	if (!p)
		return skit_err_set(err, -ENOMEM, "bad filter", expr);
	/* Optimised and without a netmask, as `tcpdump -d` compiles. */
	if (pcap_compile(p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		r = skit_err_setf(err, SKIT_EOPTION, "bad filter", expr, 0,
				  "%s", pcap_geterr(p));
		goto out;
	}
	if (prog.bf_len == 0 || prog.bf_len > BPF_MAXINSNS - 8) {
		r = skit_err_setf(err, SKIT_EOPTION, "bad filter", expr, 0,
				  "the program has %u instructions (at most "
				  "%d)",
				  prog.bf_len, BPF_MAXINSNS - 8);
		goto out;
	}
	out->insn = calloc(prog.bf_len, sizeof(*out->insn));
	if (!out->insn) {
		r = skit_err_set(err, -ENOMEM, "bad filter", expr);
		goto out;
	}
	memcpy(out->insn, prog.bf_insns, prog.bf_len * sizeof(*out->insn));
	out->len = (int)prog.bf_len;
	out->dlt = dlt;
out:
	pcap_freecode(&prog);
	pcap_close(p);
	return r;
}

/* One load's offset for the ring (see the top); -1 when there is none. */
static int
fit_offset(uint32_t *k)
{
	if (*k >= (uint32_t)SKF_AD_OFF)
		return 0; /* already ancillary (or negative) */
	if (*k >= SLL2_HDR_LEN)
		*k = (uint32_t)SKF_NET_OFF + (*k - SLL2_HDR_LEN);
	else if (*k == 0)
		*k = (uint32_t)(SKF_AD_OFF + SKF_AD_PROTOCOL);
	else if (*k == 4)
		*k = (uint32_t)(SKF_AD_OFF + SKF_AD_IFINDEX);
	else if (*k == 10)
		*k = (uint32_t)(SKF_AD_OFF + SKF_AD_PKTTYPE);
	else
		return -1;
	return 0;
}

/*
 * The prologue: drop the outgoing copy of a loopback frame (the kernel
 * shows each one twice, leaving and arriving; libpcap skips the same
 * copy), then run the program.
 */
static const struct sock_filter prologue[] = {
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_PKTTYPE),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 4 /* PACKET_OUTGOING */, 0, 3),
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_HATYPE),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARPHRD_LOOPBACK, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, 0),
};

#define NPROLOGUE (int)(sizeof(prologue) / sizeof(prologue[0]))

int
skit_bpf_fit(const struct skit_bpf *in, struct skit_bpf *out)
{
	struct sock_filter *f;

	memset(out, 0, sizeof(*out));
	if (!in->insn || in->len <= 0 || in->len > BPF_MAXINSNS - NPROLOGUE)
		return -EINVAL;
	f = calloc((size_t)(in->len + NPROLOGUE), sizeof(*f));
	if (!f)
		return -ENOMEM;
	memcpy(f, prologue, sizeof(prologue));
	memcpy(f + NPROLOGUE, in->insn, (size_t)in->len * sizeof(*f));
	if (in->dlt == SKIT_DLT_LINUX_SLL2) {
		for (int i = NPROLOGUE; i < in->len + NPROLOGUE; i++) {
			uint16_t c = f[i].code;
			uint16_t m = BPF_MODE(c);

			if (BPF_CLASS(c) != BPF_LD && BPF_CLASS(c) != BPF_LDX)
				continue;
			if (m != BPF_ABS && m != BPF_IND && m != BPF_MSH)
				continue;
			if (fit_offset(&f[i].k) < 0) {
				free(f);
				return -EOPNOTSUPP;
			}
		}
	} else if (in->dlt != SKIT_DLT_EN10MB) {
		free(f);
		return -EINVAL;
	}
	out->insn = f;
	out->len = in->len + NPROLOGUE;
	out->dlt = in->dlt;
	return 0;
}

char *
skit_bpf_image(const struct skit_bpf *b, int i, char *buf, size_t len)
{
	struct bpf_insn insn;

	if (!len)
		return buf;
	if (i < 0 || i >= b->len) {
		buf[0] = '\0';
		return buf;
	}
	memcpy(&insn, &b->insn[i], sizeof(insn));
	/* bpf_image writes into a static buffer: copy it out at once. */
	snprintf(buf, len, "%s", bpf_image(&insn, i));
	return buf;
}
