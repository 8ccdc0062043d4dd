/*
 * skit/pkt.h - packet capture: frame decoders (pure, bounds-checked),
 * tcpdump filter expressions (compiled by libpcap), the AF_PACKET TPACKET_V3
 * ring, and a pcap file writer.
 *
 * Decoders never read past the captured length. A header that does not
 * fit, or whose own length fields disagree with what was captured, marks
 * the packet malformed at that layer (the layers before it stay
 * decoded) and decoding stops there.
 */
#ifndef SKIT_PKT_H
#define SKIT_PKT_H

#ifdef __cplusplus
extern "C" {
#endif

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "skit/err.h"

/* How a frame starts (from sll_hatype / the ring's sockaddr_ll). */
enum skit_link {
	SKIT_LINK_ETHER = 0, /* Ethernet header (also loopback) */
	SKIT_LINK_L3,	     /* no link header: starts at the L3 header */
};

/* TCP flag bits as in the header. */
enum {
	SKIT_TCP_FIN = 0x01,
	SKIT_TCP_SYN = 0x02,
	SKIT_TCP_RST = 0x04,
	SKIT_TCP_PSH = 0x08,
	SKIT_TCP_ACK = 0x10,
	SKIT_TCP_URG = 0x20,
	SKIT_TCP_ECE = 0x40,
	SKIT_TCP_CWR = 0x80,
};

/* What a frame held, layer by layer. */
struct skit_pkt {
	size_t caplen;

	bool has_eth;
	uint8_t eth_src[6], eth_dst[6];
	uint16_t ethertype; /* after VLAN tags */
	int nvlan;
	uint16_t vlan[2]; /* VLAN ids (12 bits), outer first */

	bool is_arp;
	uint16_t arp_op;
	uint8_t arp_sha[6], arp_spa[4], arp_tha[6], arp_tpa[4];

	int ip_version; /* 4, 6 or 0 */
	uint8_t ip_src[16], ip_dst[16];
	uint8_t ttl;	  /* TTL / hop limit */
	uint8_t proto;	  /* the transport protocol after extension headers */
	size_t ip_len;	  /* total length from the header */
	bool ip_fragment; /* not the first fragment: no transport header */

	bool has_l4;
	uint16_t sport, dport;
	uint8_t tcp_flags;
	uint32_t tcp_seq, tcp_ack;
	uint16_t tcp_win;
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_id, icmp_seq;
	size_t payload_len; /* transport payload per the headers' lengths */

	const char *malformed; /* NULL, or the layer that did not fit */
};

/*
 * Decode frame[0..len) that starts as link says; protocol is the
 * ethertype for SKIT_LINK_L3 frames (ignored for Ethernet). Always fills
 * *out (malformed says where decoding had to stop). Returns 0. Pure.
 */
int skit_pkt_decode(const uint8_t *frame, size_t len, enum skit_link link,
		    uint16_t protocol, struct skit_pkt *out);

/*
 * A tcpdump-like one-line description without time and interface:
 *   "IP 127.0.0.1.40000 > 127.0.0.1.5000: Flags [S], seq 1, win 65495,
 *    length 0"
 *   "IP6 ::1.53 > ::1.40000: UDP, length 5"
 *   "ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28"
 * Returns the length it needed, like snprintf. Pure.
 */
int skit_pkt_summary(const struct skit_pkt *p, char *buf, size_t len);

/* "S", "S.", "P.", "F.", "R" ... tcpdump's flag letters. */
char *skit_pkt_tcp_flags(uint8_t flags, char *buf, size_t len);

/* "tcp", "udp", "icmp", "icmp6", or the number. */
const char *skit_pkt_proto_name(uint8_t proto, char *buf, size_t len);

/* --- tcpdump filter expressions (src/proto/bpf.c, with libpcap) ------- */

/* The link types (pcap's DLT_*) a filter is compiled for. */
#define SKIT_DLT_EN10MB	    1	/* Ethernet header (also loopback) */
#define SKIT_DLT_LINUX_SLL2 276 /* Linux cooked header v2 (tcpdump -i any) */

/* A classic BPF program. insn is malloc'd (skit_bpf_free). */
struct skit_bpf {
	struct sock_filter *insn;
	int len;
	int dlt; /* SKIT_DLT_* it was compiled for */
};

/*
 * The link type to compile for a capture on an interface of ARPHRD type
 * hatype: Ethernet for Ethernet and loopback devices, else (and for
 * hatype < 0, all interfaces) LINUX_SLL2, as tcpdump would choose.
 */
int skit_bpf_dlt(int hatype);

/* pcap's name of a link type: "EN10MB", "LINUX_SLL2". Never NULL. */
const char *skit_bpf_dlt_name(int dlt);

/*
 * Compile expr, tcpdump's filter language ("tcp port 80 and host
 * 127.0.0.1"; NULL or "" accepts every packet), with libpcap's
 * pcap_compile for link type dlt, optimised as `tcpdump -d` does;
 * accepted packets are kept up to snaplen bytes (0: 262144). Names in
 * the expression ("host example.org", "port http") are looked up as
 * libpcap does. Returns 0 with *out (free with skit_bpf_free), or
 * SKIT_EOPTION with libpcap's message in err->detail ("syntax error"),
 * or -ENOMEM. Does not open a device.
 */
int skit_bpf_compile(const char *expr, int dlt, uint32_t snaplen,
		     struct skit_bpf *out, struct skit_err *err);

/*
 * Fit a compiled program to skit's capture ring (a SOCK_RAW packet
 * socket, frames starting at the link header): a LINUX_SLL2 program
 * reads the cooked header's protocol, ifindex and packet type through
 * the kernel's ancillary offsets and the rest through SKF_NET_OFF, so it
 * runs on every link type; an Ethernet program is kept as it is. Every
 * fitted program first drops the outgoing copy of loopback frames (the
 * kernel shows each loopback frame twice; libpcap drops the same copy).
 * Returns 0 with *out (skit_bpf_free), -EOPNOTSUPP when the program
 * reads another cooked-header byte (the kernel has no equivalent),
 * -EINVAL, -ENOMEM. Pure.
 */
int skit_bpf_fit(const struct skit_bpf *in, struct skit_bpf *out);

/*
 * Instruction i as `tcpdump -d` prints it: "(004) jeq      #0x50
 * jt 18\tjf 19". Writes buf (always terminated) and returns it.
 */
char *skit_bpf_image(const struct skit_bpf *b, int i, char *buf, size_t len);

/* Free b's instructions (b itself is the caller's). NULL is allowed. */
void skit_bpf_free(struct skit_bpf *b);

/* --- AF_PACKET capture (src/net/sock_packet.c) --------------------------- */

struct skit_capture;

/* One captured frame, as the ring delivers it. */
struct skit_frame {
	const uint8_t *data;
	size_t caplen, len; /* kept and original length */
	size_t netoff;	    /* where the network header starts in data */
	struct timespec ts; /* CLOCK_REALTIME from the kernel */
	int ifindex;
	unsigned hatype;   /* ARPHRD_* */
	uint16_t protocol; /* ethertype, host order */
	uint8_t pkttype;   /* PACKET_HOST, PACKET_OUTGOING, ... */
	bool vlan_valid;
	uint16_t vlan_tci;
};

/*
 * Open a capture on interface ifindex (0: all interfaces): an
 * AF_PACKET socket that receives nothing until the filter (prog, n
 * instructions, fitted by skit_bpf_fit; NULL for none) is attached and the
 * TPACKET_V3 ring is mapped, then bound to ETH_P_ALL. Needs CAP_NET_RAW.
 * Returns 0 and *out, or a negative code with err filled. Does not block.
 */
int skit_capture_open(int ifindex, const struct sock_filter *prog, int n,
		      struct skit_capture **out, struct skit_err *err);

/* The fd to poll for POLLIN. */
int skit_capture_fd(const struct skit_capture *c);

/*
 * Call cb for every frame ready in the ring and give the blocks back to
 * the kernel. Returns the number of frames, or cb's negative value
 * (walking stops; the current block is still released). Does not block.
 */
typedef int (*skit_frame_cb)(const struct skit_frame *f, void *data);
int skit_capture_next(struct skit_capture *c, skit_frame_cb cb, void *data);

/*
 * PACKET_STATISTICS since the capture opened: frames that passed the
 * filter (received) and those the kernel dropped for lack of room.
 * Returns 0 or -errno.
 */
int skit_capture_stats(struct skit_capture *c, uint64_t *received,
		       uint64_t *dropped);

/* Unmap the ring and close the socket. NULL is allowed. */
void skit_capture_close(struct skit_capture *c);

/* --- pcap files (src/proto/pcap.c) --------------------------------------- */

#define SKIT_PCAP_LINKTYPE_ETHERNET  1
#define SKIT_PCAP_LINKTYPE_LINUX_SLL 113

struct skit_pcap;

/*
 * Start a pcap file (nanosecond timestamps) on fd with linktype and
 * snaplen; writes the file header. Returns 0 and *out (which does not
 * own fd), or -errno.
 */
int skit_pcap_open(int fd, uint32_t linktype, uint32_t snaplen,
		   struct skit_pcap **out);

/*
 * Append one record. For LINUX_SLL files the 16-byte cooked header is
 * built from the frame's pkttype, hatype and protocol and its data is
 * the link payload after hdrlen bytes (the link header to skip).
 * Buffered: call skit_pcap_flush. Returns 0 or -errno.
 */
int skit_pcap_write(struct skit_pcap *p, const struct skit_frame *f,
		    size_t hdrlen);

/* Write out what is buffered. Returns 0 or -errno. */
int skit_pcap_flush(struct skit_pcap *p);

/* Flush and free (does not close the fd). Returns the flush result. */
int skit_pcap_close(struct skit_pcap *p);

#ifdef __cplusplus
}
#endif

#endif
