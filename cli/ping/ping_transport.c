/*
 * cli/ping/ping_transport.c - `skit ping` over transports, through the address
 * grammar:
 *   tcp:HOST:PORT        time each TCP handshake (connect, then close);
 *   tcp:HOST:PORT,tls    the same with the TLS handshake after it (the
 *                        time is both; tls= in the line the TLS part);
 *   udp:HOST:PORT        round trips of datagrams against an echo server;
 *   unix:PATH, unix-seqpacket:PATH
 *                        round trips over one connection to an echo
 *                        server (each request is read back whole);
 *   unix-dgram:PATH,bind=PATH
 *                        like udp: (bind= gives the replies an address).
 * The schedule is the ICMP one: request n leaves at start + n * interval
 * (absolute CLOCK_MONOTONIC deadlines; each sleep is a ppoll() up to the
 * next one that also watches the stop fd, cli/stop.c).
 * Each request carries an 8-byte token of this run and its 64-bit
 * sequence number, so replies are matched, duplicates and late ones told
 * apart.
 */
#include "cli_tls.h"
#include "ping.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#define HDR_LEN	 (PING_TOKEN_LEN + 8) /* token + sequence */
#define SLOTS	 65536
#define MAX_WAIT (1LL << 40)

enum mode { MODE_CONNECT, MODE_DGRAM, MODE_STREAM };

enum { ST_NONE, ST_WAITING, ST_REPLIED };

struct tp {
	struct ping_opts *o; /* the run's copy (idle-timeout= sets -W) */
	enum mode mode;
	struct skit_addr a;
	struct skit_resolved r;
	char addr_text[SKIT_ADDR_TEXT_MAX + 1];
	int fd;
	struct ping_stats st;
	uint8_t token[PING_TOKEN_LEN];
	uint8_t *out, *in;
	size_t len;
	int64_t *sent_at;
	uint8_t *state;
	int last_err;
	bool fatal;
	bool full;	    /* the receiver stayed full for -W: exit 5 */
	struct cli_tls tls; /* tcp with the tls option */
};

bool
ping_is_transport(const char *target)
{
	static const char *const kinds[] = {
		"tcp:",	 "tcp4:",	 "tcp6:",
		"udp:",	 "udp4:",	 "udp6:",
		"unix:", "unix-dgram:",	 "unix-seqpacket:",
		"tls:",	 "tls-connect:",
	};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strncasecmp(target, kinds[i], strlen(kinds[i])))
			return true;
	return false;
}

static void
put64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t
get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void
report_reply(struct tp *t, uint64_t seq, size_t bytes, double rtt, bool dup,
	     bool late, const char *from, double tls_ms,
	     const struct skit_conn *tc)
{
	if (t->o->quiet)
		return;
	if (t->o->json) {
		struct cli_json j;

		cli_json_begin(&j, stdout);
		cli_json_str(&j, "event", "reply");
		ping_json_time(&j);
		cli_json_str(&j, "from", from);
		cli_json_uint(&j, "bytes", bytes);
		cli_json_uint(&j, "seq", seq);
		cli_json_double(&j, "rtt_ms", rtt);
		cli_json_bool(&j, "duplicate", dup);
		cli_json_bool(&j, "late", late);
		if (tls_ms >= 0)
			cli_json_double(&j, "tls_ms", tls_ms);
		cli_tls_json(&j, tc, "");
		cli_json_end(&j);
		return;
	}
	ping_line_prefix(t->o);
	if (t->mode == MODE_CONNECT && tls_ms >= 0)
		printf("connected to %s: seq=%llu time=%.3f ms tls=%.3f ms\n",
		       from, (unsigned long long)seq, rtt, tls_ms);
	else if (t->mode == MODE_CONNECT)
		printf("connected to %s: seq=%llu time=%.3f ms\n", from,
		       (unsigned long long)seq, rtt);
	else
		printf("%zu bytes from %s: seq=%llu time=%.3f ms%s%s\n", bytes,
		       from, (unsigned long long)seq, rtt, dup ? " (DUP!)" : "",
		       late ? " (late)" : "");
	cli_stdout_flush();
}

static void
report_error(struct tp *t, uint64_t seq, int code, const char *why)
{
	t->st.errors++;
	t->last_err = code;
	if (t->o->json) {
		struct cli_json j;

		if (t->o->quiet)
			return;
		cli_json_begin(&j, stdout);
		cli_json_str(&j, "event", "error");
		ping_json_time(&j);
		cli_json_str(&j, "from", t->addr_text);
		cli_json_uint(&j, "seq", seq);
		cli_json_str(&j, "error", skit_errname(code));
		cli_json_str(&j, "message", why ? why : skit_strerror(code));
		cli_json_end(&j);
		return;
	}
	if (t->o->quiet)
		return;
	ping_line_prefix(t->o);
	printf("From %s seq=%llu %s\n", t->addr_text, (unsigned long long)seq,
	       why ? why : skit_strerror(code));
	cli_stdout_flush();
}

/*
 * The echo server took no request for -W (its queue stayed full): the
 * run stops, with the message, and exits 5.
 */
static void
receiver_full(struct tp *t)
{
	(void)cli_report_full("ping", t->addr_text, t->o->timeout_ms, "-W");
	t->full = true;
	t->fatal = true;
}

/*
 * One TCP handshake: connect, note the time, close. Bounded by the
 * address's connect-timeout=, else by -W; retry= does not apply to a
 * handshake that is itself the measurement.
 */
static void
probe_connect(struct tp *t, uint64_t seq)
{
	struct skit_dial_cfg cfg = {
		.addrs = &t->r,
		.connect_timeout_ms =
			skit_addr_has(&t->a, SKIT_OPT_CONNECT_TIMEOUT)
				? 0
				: t->o->timeout_ms,
		.retries = SKIT_DIAL_NONE,
	};
	struct skit_dial_result dr;
	struct skit_sockaddr peer;
	struct skit_err err;
	char from[SKIT_ADDR_TEXT_MAX + 1];
	int64_t t0 = ping_mono_ns(), t1;
	int fd;

	skit_err_clear(&err);
	t->st.sent++;
	fd = skit_dial(&t->a, &cfg, cli_stop_fd(), &dr, &err);
	t1 = ping_mono_ns();
	peer = dr.peer;
	if (fd == -ECANCELED)
		return; /* stopped: in flight, like an unanswered request */
	if (fd < 0) {
		report_error(t, seq, fd, NULL);
		return;
	}
	if (t->tls.ctx) {
		struct skit_conn *c;
		char why[600];
		int64_t th;
		int rc = cli_tls_conn(&t->tls, fd, SOCK_STREAM, NULL, NULL, &c);

		if (rc == 0)
			rc = skit_conn_handshake_wait(c, (int)t->o->timeout_ms,
						      cli_stop_fd());
		th = t1;
		t1 = ping_mono_ns();
		if (rc == -ECANCELED) {
			skit_conn_free(c);
			return;
		}
		if (rc < 0) {
			const struct skit_err *e =
				c ? skit_conn_tls_err(c) : NULL;

			snprintf(why, sizeof(why), "TLS handshake: %s",
				 e ? e->detail : skit_strerror(rc));
			report_error(t, seq, rc, why);
			skit_conn_free(c);
			return;
		}
		if (seq == 1)
			cli_tls_verbose(c);
		(void)skit_conn_shutdown(c); /* close_notify, no waiting */
		if (skit_sockaddr_str(&peer, from, sizeof(from)) < 0)
			snprintf(from, sizeof(from), "%s", t->addr_text);
		t->st.received++;
		ping_stats_add(&t->st, (double)(t1 - t0) / 1e6);
		report_reply(t, seq, 0, (double)(t1 - t0) / 1e6, false, false,
			     from, (double)(t1 - th) / 1e6, c);
		skit_conn_free(c);
		return;
	}
	skit_close(fd);
	if (skit_sockaddr_str(&peer, from, sizeof(from)) < 0)
		snprintf(from, sizeof(from), "%s", t->addr_text);
	t->st.received++;
	ping_stats_add(&t->st, (double)(t1 - t0) / 1e6);
	report_reply(t, seq, 0, (double)(t1 - t0) / 1e6, false, false, from, -1,
		     NULL);
}

static void
fill_request(struct tp *t, uint64_t seq)
{
	memcpy(t->out, t->token, PING_TOKEN_LEN);
	put64(t->out + PING_TOKEN_LEN, seq);
}

/* A request and its echo over one stream or seqpacket connection. */
static void
probe_stream(struct tp *t, uint64_t seq)
{
	int64_t t0;
	double rtt;
	ssize_t n;

	fill_request(t, seq);
	t->st.sent++;
	t0 = ping_mono_ns();
	n = skit_write_all_stop(t->fd, t->out, t->len, (int)t->o->timeout_ms,
				cli_stop_fd());
	if (n == -ECANCELED)
		return;
	if (n == -ETIMEDOUT) {
		/* No room for -W: the server stopped reading. */
		receiver_full(t);
		return;
	}
	if (n < 0) {
		report_error(t, seq, (int)n, NULL);
		t->fatal = true;
		return;
	}
	n = skit_read_full_stop(t->fd, t->in, t->len, (int)t->o->timeout_ms,
				cli_stop_fd());
	if (n == -ECANCELED)
		return;
	if (n < 0 || (size_t)n != t->len) {
		/* A missing echo leaves the stream out of step: stop. */
		report_error(t, seq,
			     n < 0    ? (int)n
			     : n == 0 ? -ECONNRESET
				      : -ETIMEDOUT,
			     NULL);
		t->fatal = true;
		return;
	}
	if (memcmp(t->in, t->out, t->len)) {
		report_error(t, seq, SKIT_EPROTO, NULL);
		t->fatal = true;
		return;
	}
	rtt = (double)(ping_mono_ns() - t0) / 1e6;
	t->st.received++;
	ping_stats_add(&t->st, rtt);
	report_reply(t, seq, t->len, rtt, false, false, t->addr_text, -1, NULL);
}

/*
 * Send one datagram request on the nonblocking socket. A receiver whose
 * queue is full (EAGAIN) is waited for, never past `until` (ns) nor past
 * a stop signal (the wait watches the stop fd, cli/stop.c). Returns the
 * send's result (-EAGAIN when the wait ran out or was stopped).
 */
static ssize_t
dgram_put(struct tp *t, int64_t until)
{
	for (;;) {
		ssize_t n = skit_write_some(t->fd, t->out, t->len);
		int64_t left = (until - ping_mono_ns() + 999999) / 1000000;

		if (n != -EAGAIN || cli_stopping() || left <= 0)
			return n;
		(void)skit_wait_fd_stop(t->fd, POLLOUT,
					(int)(left > 1 << 30 ? 1 << 30 : left),
					cli_stop_fd());
	}
}

static void
dgram_send(struct tp *t, uint64_t seq, int64_t deadline)
{
	int64_t until = ping_mono_ns() + t->o->timeout_ms * 1000000;
	ssize_t n;

	fill_request(t, seq);
	t->st.sent++;
	t->sent_at[seq % SLOTS] = ping_mono_ns();
	t->state[seq % SLOTS] = ST_WAITING;
	n = dgram_put(t, until < deadline ? until : deadline);
	if (n >= 0)
		return;
	t->state[seq % SLOTS] = ST_NONE;
	if (n != -EAGAIN) {
		report_error(t, seq, (int)n, NULL);
		return;
	}
	/* Not sent: -w or a signal ended the wait, or -W ran out. */
	t->st.sent--;
	if (!cli_stopping() && ping_mono_ns() < deadline)
		receiver_full(t);
}

/*
 * When the last outstanding request expires (-W after it left), or 0
 * when nothing is outstanding at now.
 */
static int64_t
dgram_expiry(const struct tp *t, int64_t now)
{
	uint64_t first = t->st.sent > SLOTS - 1 ? t->st.sent - (SLOTS - 1) : 1;
	int64_t last = 0;

	for (uint64_t s = first; s <= t->st.sent; s++) {
		int64_t exp =
			t->sent_at[s % SLOTS] + t->o->timeout_ms * 1000000;

		if (t->state[s % SLOTS] == ST_WAITING && now < exp &&
		    exp > last)
			last = exp;
	}
	return last;
}

/*
 * Read echoes until `until` (ns); with idle_stop, also stop as soon as no
 * request is outstanding (the final wait after the last request).
 */
static void
dgram_wait(struct tp *t, int64_t until, bool idle_stop)
{
	for (;;) {
		int64_t now = ping_mono_ns(), left, exp = dgram_expiry(t, now);
		uint64_t seq;
		ssize_t n;
		int r;

		if (cli_stopping() || now >= until || (idle_stop && !exp))
			return;
		if (idle_stop && exp < until)
			left = (exp - now + 999999) / 1000000;
		else
			left = (until - now + 999999) / 1000000;
		r = skit_wait_fd_stop(t->fd, POLLIN,
				      (int)(left > 1 << 30 ? 1 << 30 : left),
				      cli_stop_fd());
		if (r < 0)
			return;
		if (r == 0)
			continue;
		n = skit_read_some(t->fd, t->in, t->len + 1);
		if (n < 0) {
			/* An ICMP port unreachable for the last request: read,
			 * it is gone (a poll loop that left it would spin). */
			if (n != -EAGAIN) {
				t->state[t->st.sent % SLOTS] = ST_NONE;
				report_error(t, t->st.sent, (int)n, NULL);
			}
			continue;
		}
		if ((size_t)n < HDR_LEN ||
		    memcmp(t->in, t->token, PING_TOKEN_LEN))
			continue;
		seq = get64(t->in + PING_TOKEN_LEN);
		if (seq == 0 || seq > t->st.sent || t->st.sent - seq >= SLOTS ||
		    t->state[seq % SLOTS] == ST_NONE)
			continue;
		{
			bool dup = t->state[seq % SLOTS] == ST_REPLIED;
			double rtt = (double)(ping_mono_ns() -
					      t->sent_at[seq % SLOTS]) /
				     1e6;
			bool late = !dup && rtt > (double)t->o->timeout_ms;

			if (dup) {
				t->st.dups++;
			} else {
				t->state[seq % SLOTS] = ST_REPLIED;
				t->st.received++;
				if (late)
					t->st.late++;
				ping_stats_add(&t->st, rtt);
			}
			report_reply(t, seq, (size_t)n, rtt, dup, late,
				     t->addr_text, -1, NULL);
		}
	}
}

/* Sleep until when (CLOCK_MONOTONIC ns) or a stop signal. */
static void
sleep_until(int64_t when)
{
	struct pollfd stop = { .fd = cli_stop_fd(), .events = POLLIN };

	while (!cli_stopping()) {
		int64_t left = when - ping_mono_ns();

		if (left <= 0 || skit_poll(&stop, 1, left) > 0)
			return;
	}
}

static int
prepare(struct tp *t)
{
	struct skit_err err;
	int r;

	skit_err_clear(&err);
	r = skit_addr_parse(t->o->target, SKIT_ROLE_CONNECT, &t->a, &err);
	if (r < 0)
		return cli_report(&err);
	r = cli_addr_check(&t->a, ping_addr_opts, "skit ping");
	if (r)
		return r;
	/* idle-timeout= on the address: how long a reply is waited for (-W) */
	if (skit_addr_has(&t->a, SKIT_OPT_IDLE_TIMEOUT))
		t->o->timeout_ms = skit_addr_num(&t->a, SKIT_OPT_IDLE_TIMEOUT,
						 t->o->timeout_ms);
	switch (t->a.kind) {
	case SKIT_KIND_TCP:
		t->mode = MODE_CONNECT;
		break;
	case SKIT_KIND_UDP:
	case SKIT_KIND_UNIX_DGRAM:
		t->mode = MODE_DGRAM;
		break;
	case SKIT_KIND_UNIX:
	case SKIT_KIND_UNIX_SEQPACKET:
		t->mode = MODE_STREAM;
		break;
	default:
		cli_errorf("ping: '%s': ping needs a host, tcp:, udp: or unix: "
			   "address",
			   t->o->target);
		return CLI_EXIT_USAGE;
	}
	if (t->mode != MODE_CONNECT && skit_addr_num(&t->a, SKIT_OPT_TLS, 0)) {
		cli_errorf("ping: '%s': over TLS, ping times TCP and TLS "
			   "handshakes: a tcp: address",
			   t->o->target);
		return CLI_EXIT_USAGE;
	}
	t->len = (size_t)t->o->size < HDR_LEN ? HDR_LEN : (size_t)t->o->size;
	t->out = malloc(t->len);
	t->in = malloc(t->len + 1);
	t->sent_at = calloc(SLOTS, sizeof(*t->sent_at));
	t->state = calloc(SLOTS, 1);
	if (!t->out || !t->in || !t->sent_at || !t->state) {
		cli_errorf("ping: out of memory");
		return CLI_EXIT_FAIL;
	}
	if (getrandom(t->token, sizeof(t->token), 0) != sizeof(t->token)) {
		int64_t x = ping_mono_ns();

		memcpy(t->token, &x, sizeof(t->token));
	}
	for (size_t i = HDR_LEN; i < t->len; i++)
		t->out[i] = t->o->pattern_len
				    ? t->o->pattern[i % t->o->pattern_len]
				    : (uint8_t)i;
	if (t->mode == MODE_CONNECT) {
		r = cli_tls_setup(&t->a, false, &t->tls);
		if (r)
			return r;
		r = skit_resolve(&t->a, t->o->numeric ? SKIT_OPEN_NUMERIC : 0,
				 NULL, &t->r, &err);
		if (r < 0)
			return cli_report(&err);
		skit_sockaddr_str(&t->r.v[0], t->addr_text,
				  sizeof(t->addr_text));
		return 0;
	}
	{
		struct skit_sockaddr peer;

		/*
		 * Nonblocking: no send or read may sleep in the kernel past
		 * -W (a receiver that stopped reading, an echo that never
		 * comes).
		 */
		struct skit_dial_cfg cfg = {
			.flags = SKIT_OPEN_NONBLOCK |
				 (t->o->numeric ? SKIT_OPEN_NUMERIC : 0),
		};
		struct skit_dial_result dr;

		/*
		 * The address's connect-timeout=, retry= and forever. No
		 * stop fd yet: until cli_stop_watch() a signal ends the
		 * process at once.
		 */
		t->fd = cli_dial(&t->a, &cfg, -1, &dr, &err);
		if (t->fd < 0)
			return cli_report(&err);
		peer = dr.peer;
		if (skit_sockaddr_str(&peer, t->addr_text,
				      sizeof(t->addr_text)) < 0)
			snprintf(t->addr_text, sizeof(t->addr_text), "%s",
				 t->o->target);
	}
	return 0;
}

int
ping_transport(const struct ping_opts *opts)
{
	struct ping_opts run = *opts;
	const struct ping_opts *o = &run;
	struct tp t;
	int64_t interval = o->interval_ms * 1000000, deadline, start;
	const char *kind;
	int rc;

	memset(&t, 0, sizeof(t));
	t.o = &run;
	t.fd = -1;
	rc = prepare(&t);
	if (rc)
		goto out;
	/* A stop signal ends the run with the summary. */
	rc = cli_stop_watch();
	if (rc < 0) {
		cli_errorf("ping: %s", skit_strerror(rc));
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	kind = t.mode == MODE_CONNECT ? "tcp"
	       : t.mode == MODE_DGRAM ? "datagram"
				      : "stream";
	if (!o->json && !o->quiet)
		printf("PING %s (%s): %s\n", o->target, t.addr_text,
		       t.mode == MODE_CONNECT && t.tls.ctx
			       ? "TCP and TLS handshakes"
		       : t.mode == MODE_CONNECT ? "TCP handshakes"
		       : t.mode == MODE_DGRAM
			       ? "datagram round trips to an echo "
				 "server"
			       : "round trips to an echo server");
	cli_stdout_flush();
	start = ping_mono_ns();
	t.st.start_mono = start;
	deadline = o->deadline_ms ? start + o->deadline_ms * 1000000
				  : MAX_WAIT * 1000000;
	/* Stop once stdout fails: nobody would see the replies. */
	for (uint64_t n = 0; !cli_stopping() && !t.fatal && !cli_g.stdout_code;
	     n++) {
		int64_t next = start + (int64_t)n * interval;

		if (o->count && n >= (uint64_t)o->count)
			break;
		if (next >= deadline)
			break;
		if (t.mode == MODE_DGRAM)
			dgram_wait(&t, next, false);
		sleep_until(next);
		if (cli_stopping() || ping_mono_ns() >= deadline)
			break;
		if (t.mode == MODE_CONNECT)
			probe_connect(&t, n + 1);
		else if (t.mode == MODE_STREAM)
			probe_stream(&t, n + 1);
		else
			dgram_send(&t, n + 1, deadline);
	}
	if (t.mode == MODE_DGRAM && !t.full)
		dgram_wait(&t, deadline, true);
	t.st.end_mono = ping_mono_ns();
	ping_summary(o, &t.st, t.addr_text,
		     t.mode == MODE_CONNECT ? "tcp" : kind);
	if (t.full)
		rc = CLI_EXIT_TIMEOUT;
	else if (t.st.received)
		rc = CLI_EXIT_OK;
	else if (t.last_err && t.st.errors == t.st.sent)
		rc = cli_exit_for(t.last_err);
	else
		rc = CLI_EXIT_FAIL;
out:
	if (t.fd >= 0)
		skit_close(t.fd);
	skit_resolved_free(&t.r);
	cli_tls_free(&t.tls);
	free(t.out);
	free(t.in);
	free(t.sent_at);
	free(t.state);
	free(t.st.rtts);
	return rc;
}
