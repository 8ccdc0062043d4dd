/*
 * faults.c - the fault options in the CLI (cli/faults.h): one live set
 * per side, shared by every connection of that side, so a change made
 * through the control socket reaches the open connections at their next
 * call (skit/fault.h, cfg.live).
 *
 * The control protocol (docs/faults.md): one JSON object per line in,
 * one per line out.
 *   {"set":"latency","value":"200ms","dir":"down"}   add or replace
 *        (optional "jitter":"10ms", "toxicity":0.5, "side":"a"|"b")
 *   {"clear":"all"} or {"clear":"latency"}            remove
 *   {"list":true}                                     what is in force
 * Answers: {"ok":true,...} or {"ok":false,"error":"..."}.
 */
#include "faults.h"

#include "cli.h"

#include "skit/io.h"
#include "skit/json.h"
#include "skit/serve.h"
#include "skit/sock.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *
way_name(unsigned way)
{
	return way == SKIT_FAULT_UP ? "up" : "down";
}

static void
on_event(void *data, const struct skit_fault_event *ev)
{
	struct cli_faults *f = data;

	cli_verbose("%s #%llu: fault %s %s %s: %llu bytes%s", f->who,
		    (unsigned long long)ev->conn_id, skit_fault_name(ev->kind),
		    way_name(ev->way), ev->what, (unsigned long long)ev->bytes,
		    ev->ms ? " (delayed)" : "");
	if (f->jf) {
		struct cli_json j;

		cli_json_begin(&j, f->jf);
		cli_json_str(&j, "event", "fault");
		cli_json_uint(&j, "id", ev->conn_id);
		cli_json_str(&j, "fault", skit_fault_name(ev->kind));
		cli_json_str(&j, "dir", way_name(ev->way));
		cli_json_str(&j, "what", ev->what);
		cli_json_uint(&j, "bytes", ev->bytes);
		if (ev->ms)
			cli_json_int(&j, "ms", ev->ms);
		cli_json_end(&j);
	}
}

int
cli_faults_init(struct cli_faults *f, const struct skit_addr a[2], int lside,
		FILE *jf)
{
	struct skit_err err;
	bool has_seed[2] = { false, false };
	uint64_t seed = 0;

	memset(f, 0, sizeof(*f));
	f->ctl_fd = -1;
	for (int i = 0; i < CLI_FAULT_CLIENTS; i++)
		f->cl[i].fd = -1;
	f->jf = jf;
	f->who = "relay";
	for (int i = 0; i < 2; i++) {
		skit_err_clear(&err);
		if (skit_fault_from_addr(&a[i], &f->set[i], &has_seed[i],
					 &err) < 0)
			return cli_report(&err);
		f->on[i] = f->set[i].n > 0;
		f->msgs[i] =
			a[i].type == SOCK_DGRAM || a[i].type == SOCK_SEQPACKET;
	}
	/* The control changes the side with faults, else the side that
	 * is not listening, else B. */
	f->ctl_side = f->on[1] ? 1 : f->on[0] ? 0 : lside >= 0 ? !lside : 1;
	if (has_seed[0] || has_seed[1]) {
		seed = f->set[has_seed[1] ? 1 : 0].seed;
	} else if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed)) {
		seed = (uint64_t)skit_now_ns();
	}
	/* JSON numbers are doubles: a seed anyone can write back exactly */
	if (!has_seed[0] && !has_seed[1])
		seed &= (1ull << 53) - 1;
	for (int i = 0; i < 2; i++) {
		f->set[i].seed = seed;
		f->cfg[i].set = &f->set[i];
		f->cfg[i].live = true;
		f->cfg[i].on_event = on_event;
		f->cfg[i].data = f;
	}
	if (f->on[0] || f->on[1])
		cli_verbose("faults: seed=%llu (add seed=%llu to replay)",
			    (unsigned long long)seed, (unsigned long long)seed);
	return 0;
}

void
cli_faults_relay_cfg(struct cli_faults *f, unsigned long id,
		     struct skit_relay_cfg *cfg)
{
	for (int i = 0; i < 2; i++) {
		f->cfg[i].conn_id = id;
		cfg->faults[i] = f->on[i] ? &f->cfg[i] : NULL;
	}
}

/* --- the control socket ------------------------------------------------ */

static void
reply(struct cli_fault_client *cl, const char *text, size_t len)
{
	/* a local client that does not read its answers loses them */
	if (skit_write_all(cl->fd, text, len, 1000) < 0) {
		(void)skit_shutdown(cl->fd, SHUT_RDWR);
	}
}

/* "faults":[{"side":"b","fault":"latency=200ms,dir=down"},...] */
static void
list_faults(struct cli_faults *f, struct cli_json *j)
{
	char one[160], *arr = NULL;
	size_t arrlen = 0;
	FILE *m = open_memstream(&arr, &arrlen);

	if (!m)
		return;
	fputc('[', m);
	for (int s = 0, n = 0; s < 2; s++) {
		for (int i = 0; i < f->set[s].n; i++) {
			skit_fault_format(&f->set[s].f[i], one, sizeof(one));
			fprintf(m,
				"%s{\"side\":\"%s\",\"fault\":", n++ ? "," : "",
				s ? "b" : "a");
			cli_json_quote(m, one, strlen(one));
			fputc('}', m);
		}
	}
	fputc(']', m);
	if (fclose(m) == 0)
		cli_json_raw(j, "faults", arr);
	free(arr);
}

/* One command line: the answer goes to m (one JSON object). */
static void
command(struct cli_faults *f, const char *line, size_t len, FILE *m)
{
	struct skit_json *v = NULL;
	struct skit_err err;
	struct cli_json j;
	const char *why = NULL;
	char detail[600];
	int side = f->ctl_side;

	skit_err_clear(&err);
	cli_json_begin(&j, m);
	if (skit_json_parse(line, len, &v, &err) < 0 ||
	    v->type != SKIT_JSON_OBJ) {
		why = "not a JSON object";
	} else if (skit_json_get(v, "side")) {
		const char *s = skit_json_str(skit_json_get(v, "side"), "");

		if (!strcmp(s, "a") || !strcmp(s, "b"))
			side = s[0] == 'b';
		else
			why = "side is \"a\" or \"b\"";
	}
	if (why) {
		/* said below */
	} else if (skit_json_get(v, "set")) {
		const char *name = skit_json_str(skit_json_get(v, "set"), "");
		const struct skit_json *val = skit_json_get(v, "value");
		const char *dir = skit_json_str(skit_json_get(v, "dir"), NULL);
		const char *jit =
			skit_json_str(skit_json_get(v, "jitter"), NULL);
		const struct skit_json *tox = skit_json_get(v, "toxicity");
		struct skit_fault fl;
		char num[32];
		const char *vt = skit_json_str(val, NULL);
		int64_t ms;

		if (val && val->type == SKIT_JSON_NUM) {
			snprintf(num, sizeof(num), "%.0f", val->num);
			vt = num;
		} else if (val && val->type == SKIT_JSON_BOOL) {
			vt = val->b ? "" : "0";
		}
		if (skit_fault_parse(name, vt, &fl, &err) < 0) {
			skit_err_format(&err, detail, sizeof(detail));
			why = detail;
		} else if (f->msgs[side] ? !skit_fault_for_msgs(fl.kind)
					 : !skit_fault_for_streams(fl.kind)) {
			snprintf(detail, sizeof(detail),
				 "fault '%s' applies to %s only", name,
				 f->msgs[side] ? "byte streams" : "messages");
			why = detail;
		} else if (dir && skit_fault_parse_dir(dir, &fl.dir) < 0) {
			why = "dir is up, down or both";
		} else if (jit && skit_parse_duration_ms(jit, &ms) < 0) {
			why = "jitter is a time: 10ms";
		} else if (tox && (tox->type != SKIT_JSON_NUM ||
				   !(tox->num >= 0 && tox->num <= 1))) {
			why = "toxicity is a number 0-1";
		} else {
			if (jit)
				fl.jitter_ms = ms;
			if (tox)
				fl.toxicity = tox->num;
			if (skit_fault_set_put(&f->set[side], &fl) < 0)
				why = "too many faults (16 a side)";
		}
	} else if (skit_json_get(v, "clear")) {
		const char *name = skit_json_str(skit_json_get(v, "clear"), "");
		enum skit_fault_kind k = skit_fault_kind(name);

		if (strcmp(name, "all") && k == SKIT_FAULT_NONE) {
			why = "clear \"all\" or a fault's name";
		} else {
			int n = skit_fault_set_clear(&f->set[side], k);

			if (!skit_json_get(v, "side") && !strcmp(name, "all"))
				n += skit_fault_set_clear(&f->set[!side], k);
			cli_json_bool(&j, "ok", true);
			cli_json_int(&j, "cleared", n);
		}
	} else if (skit_json_get(v, "list")) {
		/* the list follows */
	} else {
		why = "a command is set, clear or list";
	}
	if (why) {
		cli_json_bool(&j, "ok", false);
		cli_json_str(&j, "error", why);
	} else if (!skit_json_get(v, "clear")) {
		cli_json_bool(&j, "ok", true);
		list_faults(f, &j);
	}
	cli_json_end(&j);
	skit_json_free(v);
	if (!why)
		cli_verbose("faults: control: %.*s", (int)len, line);
}

static void
client_close(struct cli_faults *f, struct cli_fault_client *cl)
{
	(void)skit_loop_del(f->loop, cl->fd);
	(void)skit_serve_release(f->ctl, cl->fd);
	cl->fd = -1;
	cl->len = 0;
}

static void
on_client(struct skit_loop *loop, int fd, unsigned ev, void *data)
{
	struct cli_faults *f = data;
	struct cli_fault_client *cl = NULL;
	ssize_t n;
	char *nl;

	(void)loop;
	(void)ev;
	for (int i = 0; i < CLI_FAULT_CLIENTS; i++)
		if (f->cl[i].fd == fd)
			cl = &f->cl[i];
	if (!cl)
		return;
	n = skit_read_some(fd, cl->buf + cl->len, sizeof(cl->buf) - cl->len);
	if (n == -EAGAIN)
		return;
	if (n <= 0) {
		client_close(f, cl);
		return;
	}
	cl->len += (size_t)n;
	while ((nl = memchr(cl->buf, '\n', cl->len))) {
		size_t ll = (size_t)(nl - cl->buf);
		char *out = NULL;
		size_t outlen = 0;
		FILE *m = open_memstream(&out, &outlen);

		if (m) {
			if (ll)
				command(f, cl->buf, ll, m);
			fclose(m);
			if (outlen)
				reply(cl, out, outlen);
			free(out);
		}
		memmove(cl->buf, nl + 1, cl->len - ll - 1);
		cl->len -= ll + 1;
	}
	if (cl->len == sizeof(cl->buf)) {
		static const char big[] =
			"{\"ok\":false,\"error\":\"line too long\"}\n";

		reply(cl, big, sizeof(big) - 1);
		client_close(f, cl);
	}
}

/* serve.h: a control client (at most CLI_FAULT_CLIENTS at once: the
 * serve closes one more at once). */
static void
on_control(struct skit_serve *s, int fd, const struct skit_sockaddr *peer,
	   void *data)
{
	struct cli_faults *f = data;

	(void)peer;
	for (int i = 0; i < CLI_FAULT_CLIENTS; i++) {
		if (f->cl[i].fd < 0) {
			if (skit_loop_add(f->loop, fd, SKIT_EV_READ, on_client,
					  f) < 0)
				break;
			f->cl[i].fd = fd;
			f->cl[i].len = 0;
			return;
		}
	}
	(void)skit_serve_release(s, fd);
}

int
cli_faults_control(struct cli_faults *f, struct skit_loop *loop,
		   const char *addr)
{
	struct skit_addr a;
	struct skit_err err;
	int fd;

	skit_err_clear(&err);
	if (skit_addr_parse(addr, SKIT_ROLE_LISTEN, &a, &err) < 0)
		return cli_report(&err);
	if (a.kind != SKIT_KIND_UNIX || a.role != SKIT_ROLE_LISTEN) {
		cli_errorf("--control: '%s' is not a unix socket "
			   "(unix:PATH)",
			   addr);
		return CLI_EXIT_USAGE;
	}
	fd = skit_open(&a, SKIT_ROLE_LISTEN, SKIT_OPEN_NONBLOCK, NULL, NULL,
		       NULL, &err);
	if (fd < 0)
		return cli_report(&err);
	if (!a.abstract) {
		snprintf(f->ctl_path, sizeof(f->ctl_path), "%s", a.host);
		cli_stop_unlink(a.host);
	}
	f->ctl_fd = fd;
	if (!f->on[0] && !f->on[1])
		cli_verbose("faults: seed=%llu (add seed=%llu to replay)",
			    (unsigned long long)f->set[0].seed,
			    (unsigned long long)f->set[0].seed);
	f->on[f->ctl_side] = true;
	if (loop && cli_faults_attach(f, loop) < 0) {
		cli_errorf("--control: cannot watch %s", addr);
		return CLI_EXIT_FAIL;
	}
	cli_verbose("faults: control on %s", addr);
	return 0;
}

/* The control's clients and its serve leave their loop. */
static void
detach(struct cli_faults *f)
{
	for (int i = 0; i < CLI_FAULT_CLIENTS; i++)
		if (f->cl[i].fd >= 0)
			client_close(f, &f->cl[i]);
	skit_serve_free(f->ctl);
	f->ctl = NULL;
	f->loop = NULL;
}

int
cli_faults_attach(struct cli_faults *f, struct skit_loop *loop)
{
	struct skit_serve_cfg sc = {
		.max_conns = CLI_FAULT_CLIENTS,
		.linger_ms = -1, /* a plain close: the answers were read */
		.on_conn = on_control,
		.data = f,
	};
	int r;

	if (f->ctl_fd < 0)
		return 0;
	if (f->ctl)
		detach(f);
	r = skit_serve_fd(loop, f->ctl_fd, &sc, &f->ctl);
	if (r == 0)
		f->loop = loop;
	return r;
}

void
cli_faults_detach(struct cli_faults *f)
{
	if (f->ctl)
		detach(f);
}

void
cli_faults_close(struct cli_faults *f)
{
	cli_faults_detach(f);
	if (f->ctl_fd >= 0) {
		skit_close(f->ctl_fd);
		f->ctl_fd = -1;
		if (f->ctl_path[0])
			cli_stop_remove(f->ctl_path);
	}
}
