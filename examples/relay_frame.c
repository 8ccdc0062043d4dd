/*
 * examples/relay_frame.c - a forwarder (skit/forward.h): each client of
 * a stream listener gets its own datagram socket to TARGET, and the
 * relay puts the framing layer between them (len16: DNS over TCP).
 *
 *   relay_frame tcp-listen:127.0.0.1:5353,fork udp:127.0.0.1:53 len16
 */
#include <skit/skit.h>
#include <stdio.h>

static void
on_close(struct skit_fwd *f, struct skit_fwd_pair *rec,
	 const struct skit_relay_stats *st, void *data)
{
	(void)f, (void)data;
	fprintf(stderr, "relay_frame: #%lu %s, %llu messages out\n",
		skit_fwd_pair_id(rec), skit_relay_reason_name(st->reason),
		(unsigned long long)st->msgs[SKIT_DIR_AB]);
}

static void
on_fail(struct skit_fwd *f, struct skit_fwd_pair *rec, int side, int code,
	const struct skit_err *err, void *data)
{
	char msg[512];

	(void)f, (void)rec, (void)side, (void)code, (void)data;
	fprintf(stderr, "relay_frame: %s\n",
		skit_err_format(err, msg, sizeof(msg)));
}

int
main(int argc, char **argv)
{
	struct skit_fwd_cfg cfg = { .lside = 0,
				    .on_close = on_close,
				    .on_fail = on_fail };
	struct skit_addr a[2];
	struct skit_loop *loop;
	struct skit_fwd *f;
	struct skit_err err;
	char buf[512];

	if (argc != 4 || skit_framing_parse(argv[3], &cfg.relay.framing) < 0 ||
	    skit_loop_new(SKIT_LOOP_AUTO, &loop) < 0)
		return 2;
	cfg.addr[0] = &a[0];
	cfg.addr[1] = &a[1];
	if (skit_addr_parse(argv[1], SKIT_ROLE_LISTEN, &a[0], &err) < 0 ||
	    skit_addr_parse(argv[2], SKIT_ROLE_CONNECT, &a[1], &err) < 0 ||
	    skit_fwd_start(loop, &cfg, &f, &err) < 0) {
		fprintf(stderr, "relay_frame: %s\n",
			skit_err_format(&err, buf, sizeof(buf)));
		return 1;
	}
	skit_sockaddr_str(skit_fwd_local(f), buf, sizeof(buf));
	fprintf(stderr, "relay_frame: listening on %s\n", buf);
	return skit_loop_run(loop) < 0;
}
