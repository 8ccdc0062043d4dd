/*
 * skit/pkt.h - packet capture: frame decoders (pure, bounds-checked),
 * the classic BPF filter compiler, the AF_PACKET TPACKET_V3 ring, and a
 * pcap file writer.
 *
 * Decoders never read past the captured length. A header that does not
 * fit, or whose own length fields disagree with what was captured, marks
 * the packet malformed at that layer (the layers before it stay
 * decoded) and decoding stops there.
 */
#ifndef SKIT_PKT_H
#define SKIT_PKT_H

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

/* --- the BPF filter compiler (src/proto/pkt.c) --------------------------- */

enum skit_pkt_proto {
	SKIT_PKT_ANY = 0,
	SKIT_PKT_TCP,
	SKIT_PKT_UDP,
	SKIT_PKT_ICMP, /* ICMP and ICMPv6 */
	SKIT_PKT_ARP,
};

/* What --proto, --port and --host asked for (all must hold). */
struct skit_pkt_filter {
	enum skit_pkt_proto proto;
	int port;	  /* -1: any; else TCP or UDP source or destination */
	int host_family;  /* 0: any; AF_INET or AF_INET6 */
	uint8_t host[16]; /* source or destination address */
	uint32_t snaplen;
};
/*
 * Every program also drops the outgoing copy of frames on loopback
 * devices (the kernel shows each loopback frame twice, as it leaves and
 * as it arrives; libpcap drops the same copy).
 */

#define SKIT_BPF_MAX 128

/*
 * Compile f into a classic BPF program in prog[0..SKIT_BPF_MAX) that
 * accepts matching frames (up to snaplen bytes) and drops the rest. It
 * reads the network header through SKF_NET_OFF and the ethertype through
 * SKF_AD_PROTOCOL, so it works on every link type. Returns the number
 * of instructions, or -EINVAL. Pure.
 */
int skit_pkt_filter_compile(const struct skit_pkt_filter *f,
			    struct sock_filter *prog);

/*
 * Parse --proto text ("tcp", "udp", "icmp", "arp") into *out: 0 or
 * -EINVAL.
 */
int skit_pkt_proto_parse(const char *s, enum skit_pkt_proto *out);

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
 * instructions; NULL for none) is attached and the TPACKET_V3 ring is
 * mapped, then bound to ETH_P_ALL. Needs CAP_NET_RAW. Returns 0 and
 * *out, or a negative code with err filled. Does not block.
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

#endif
