/*
 * sock_packet.c - AF_PACKET capture through a TPACKET_V3 memory-mapped
 * ring, with a classic BPF filter attached before any frame can arrive.
 *
 * Order matters: the socket is created with protocol 0 (it receives
 * nothing), the filter is attached, the ring is set up and mapped, and
 * only then does bind() to ETH_P_ALL start the flow. So no unfiltered
 * frame ever reaches the ring.
 */
#include "skit/io.h"
#include "skit/pkt.h"
#include "skit/sock.h"
#include "core/io_int.h" /* skit__trace */

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define BLOCK_SIZE (1u << 18) /* 256 KiB per block */
#define BLOCK_NR   16	      /* 4 MiB ring */
#define FRAME_SIZE 2048	      /* only a hint for V3 */
#define BLOCK_TOV  50	      /* ms before a partly filled block is retired */

struct skit_capture {
	int fd;
	uint8_t *map;
	size_t maplen;
	unsigned block;	  /* the next block to look at */
	uint64_t packets; /* PACKET_STATISTICS resets on each read: sums */
	uint64_t drops;
};

static int
sockopt(int fd, int level, int name, const void *val, socklen_t len,
	const char *what)
{
	if (setsockopt(fd, level, name, val, len) < 0) {
		int e = errno;

		skit__trace("setsockopt(%d, %s) = -1 %s", fd, what,
			    strerrorname_np(e));
		return -e;
	}
	skit__trace("setsockopt(%d, %s) = 0", fd, what);
	return 0;
}

int
skit_capture_open(int ifindex, const struct sock_filter *prog, int n,
		  struct skit_capture **out, struct skit_err *err)
{
	struct skit_capture *c;
	struct tpacket_req3 req;
	struct sockaddr_ll sll;
	int v = TPACKET_V3, r;
	const char *subject = "packet";

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return skit_err_set(err, -ENOMEM, "capture", subject);
	c->map = MAP_FAILED;
	c->fd = skit_socket(AF_PACKET, SOCK_RAW, 0, true);
	if (c->fd < 0) {
		r = skit_err_set(err, c->fd, "socket", subject);
		free(c);
		return r;
	}
	if (prog && n > 0) {
		struct sock_fprog fp = { .len = (unsigned short)n,
					 .filter = (struct sock_filter *)prog };

		r = sockopt(c->fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp,
			    sizeof(fp), "SO_ATTACH_FILTER");
		if (r < 0) {
			skit_err_set(err, r, "attach filter", subject);
			goto fail;
		}
	}
	r = sockopt(c->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v),
		    "PACKET_VERSION");
	if (r < 0) {
		skit_err_set(err, r, "setsockopt PACKET_VERSION", subject);
		goto fail;
	}
	memset(&req, 0, sizeof(req));
	req.tp_block_size = BLOCK_SIZE;
	req.tp_block_nr = BLOCK_NR;
	req.tp_frame_size = FRAME_SIZE;
	req.tp_frame_nr = BLOCK_SIZE / FRAME_SIZE * BLOCK_NR;
	req.tp_retire_blk_tov = BLOCK_TOV;
	r = sockopt(c->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req),
		    "PACKET_RX_RING");
	if (r < 0) {
		skit_err_set(err, r, "setsockopt PACKET_RX_RING", subject);
		goto fail;
	}
	c->maplen = (size_t)BLOCK_SIZE * BLOCK_NR;
	c->map = mmap(NULL, c->maplen, PROT_READ | PROT_WRITE, MAP_SHARED,
		      c->fd, 0);
	if (c->map == MAP_FAILED) {
		r = skit_err_set(err, -errno, "mmap ring", subject);
		goto fail;
	}
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = ifindex;
	if (bind(c->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		r = skit_err_set(err, -errno, "bind", subject);
		goto fail;
	}
	skit__trace("bind(%d, packet ifindex %d, ETH_P_ALL) = 0", c->fd,
		    ifindex);
	*out = c;
	return 0;
fail:
	skit_capture_close(c);
	return r;
}

int
skit_capture_fd(const struct skit_capture *c)
{
	return c->fd;
}

int
skit_capture_next(struct skit_capture *c, skit_frame_cb cb, void *data)
{
	int total = 0;

	for (unsigned seen = 0; seen < BLOCK_NR; seen++) {
		struct tpacket_block_desc *bd =
			(void *)(c->map + (size_t)c->block * BLOCK_SIZE);
		uint8_t *p;
		uint32_t npkts;
		int stop = 0;

		if (!(__atomic_load_n(&bd->hdr.bh1.block_status,
				      __ATOMIC_ACQUIRE) &
		      TP_STATUS_USER))
			break;
		npkts = bd->hdr.bh1.num_pkts;
		p = (uint8_t *)bd + bd->hdr.bh1.offset_to_first_pkt;
		for (uint32_t i = 0; i < npkts && !stop; i++) {
			struct tpacket3_hdr *h = (void *)p;
			struct sockaddr_ll *sll =
				(void *)((uint8_t *)h +
					 TPACKET_ALIGN(sizeof(*h)));
			struct skit_frame f;

			f.data = (uint8_t *)h + h->tp_mac;
			f.caplen = h->tp_snaplen;
			f.len = h->tp_len;
			f.netoff = h->tp_net >= h->tp_mac
					   ? (size_t)(h->tp_net - h->tp_mac)
					   : 0;
			f.ts.tv_sec = h->tp_sec;
			f.ts.tv_nsec = h->tp_nsec;
			f.ifindex = sll->sll_ifindex;
			f.hatype = sll->sll_hatype;
			f.protocol = ntohs(sll->sll_protocol);
			f.pkttype = sll->sll_pkttype;
			f.vlan_valid = h->tp_status & TP_STATUS_VLAN_VALID;
			f.vlan_tci = (uint16_t)h->hv1.tp_vlan_tci;
			if (cb) {
				int r = cb(&f, data);

				if (r < 0)
					stop = r;
			}
			total++;
			p += h->tp_next_offset;
		}
		/* Give the block back to the kernel. */
		__atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL,
				 __ATOMIC_RELEASE);
		c->block = (c->block + 1) % BLOCK_NR;
		if (stop)
			return stop;
	}
	return total;
}

int
skit_capture_stats(struct skit_capture *c, uint64_t *received,
		   uint64_t *dropped)
{
	struct tpacket_stats_v3 st;
	socklen_t len = sizeof(st);

	memset(&st, 0, sizeof(st));
	if (getsockopt(c->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) < 0)
		return -errno;
	/* The kernel counts drops inside tp_packets too. */
	c->packets += st.tp_packets;
	c->drops += st.tp_drops;
	*received = c->packets;
	*dropped = c->drops;
	return 0;
}

void
skit_capture_close(struct skit_capture *c)
{
	if (!c)
		return;
	if (c->map != MAP_FAILED && c->map)
		munmap(c->map, c->maplen);
	if (c->fd >= 0)
		skit_close(c->fd);
	free(c);
}
