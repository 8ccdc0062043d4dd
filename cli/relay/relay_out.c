/*
 * relay_out.c - what `skit relay` prints: the -v lines, the --json
 * events (NDJSON: listening, open, close, retry, conn, table), the
 * SIGUSR1 table and the --hex dump.
 */
#include "relay.h"

#include <stdlib.h>
#include <string.h>

static void
sa_text(const struct skit_sockaddr *sa, char *buf, size_t len)
{
	if (sa->len == 0 || skit_sockaddr_str(sa, buf, len) < 0)
		snprintf(buf, len, "?");
}

/* A side as the messages name it: "local > peer" for a socket (the
 * client's "peer > local"), "exec:... (pid N)", else its text. */
const char *
relay_side_desc(const struct app *app, const struct skit_fwd_pair *rec,
		int side, char *buf, size_t len)
{
	const struct skit_endpoint *ep = skit_fwd_pair_side(rec, side);
	char l[140], p[140];

	if (!skit_fwd_pair_opened(rec, side)) {
		snprintf(buf, len, "%s", app->text[side]);
	} else if (skit_kind_is_socket(app->addr[side].kind)) {
		sa_text(&ep->local, l, sizeof(l));
		sa_text(&ep->peer, p, sizeof(p));
		if (side == app->lside)
			snprintf(buf, len, "%s > %s", p, l);
		else
			snprintf(buf, len, "%s > %s", l, p);
	} else if (ep->pid > 0) {
		snprintf(buf, len, "%s (pid %d)", app->text[side],
			 (int)ep->pid);
	} else {
		snprintf(buf, len, "%s", app->text[side]);
	}
	return buf;
}

/* --json goes to stdout: once it fails (reported), a server stops. */
void
relay_json_end(struct app *app, struct cli_json *j)
{
	cli_json_end(j);
	if (cli_g.stdout_code)
		skit_loop_stop(app->loop);
}

void
relay_on_open(struct skit_fwd *f, struct skit_fwd_pair *rec, void *data)
{
	struct app *app = data;
	char a[300], b[300];
	struct cli_json j;

	(void)f;
	relay_side_desc(app, rec, 0, a, sizeof(a));
	relay_side_desc(app, rec, 1, b, sizeof(b));
	cli_verbose("relay #%lu open: A %s, B %s", skit_fwd_pair_id(rec), a, b);
	if (!app->json)
		return;
	cli_json_begin(&j, app->jf);
	cli_json_str(&j, "event", "open");
	cli_json_uint(&j, "id", skit_fwd_pair_id(rec));
	cli_json_str(&j, "a", a);
	cli_json_str(&j, "b", b);
	relay_json_end(app, &j);
}

void
relay_log_close(struct app *app, const struct skit_fwd_pair *rec,
		const struct skit_relay_stats *st)
{
	unsigned long id = skit_fwd_pair_id(rec);
	double dur = (double)(st->end_ns - st->start_ns) / 1e9;
	char why[200] = "";
	struct cli_json j;

	if (st->error)
		snprintf(why, sizeof(why), " (%s %s: %s)",
			 st->error_op ? st->error_op : "?",
			 st->error_side == 0 ? "A" : "B",
			 skit_strerror(st->error));
	cli_verbose("relay #%lu closed: %s%s; A->B %llu bytes, B->A %llu "
		    "bytes, %.3f s",
		    id, skit_relay_reason_name(st->reason), why,
		    (unsigned long long)st->bytes[0],
		    (unsigned long long)st->bytes[1], dur);
	for (int i = 0; i < 2; i++) {
		if (skit_fwd_pair_conn(rec, i) && cli_g.verbose) {
			cli_verbose("relay #%lu side %c:", id, 'A' + i);
			cli_tls_verbose(skit_fwd_pair_conn(rec, i));
		}
	}
	if (!app->json)
		return;
	cli_json_begin(&j, app->jf);
	cli_json_str(&j, "event", "close");
	cli_json_uint(&j, "id", id);
	cli_json_str(&j, "reason", skit_relay_reason_name(st->reason));
	cli_json_uint(&j, "bytes_ab", st->bytes[0]);
	cli_json_uint(&j, "bytes_ba", st->bytes[1]);
	cli_json_uint(&j, "msgs_ab", st->msgs[0]);
	cli_json_uint(&j, "msgs_ba", st->msgs[1]);
	cli_json_uint(&j, "dropped_ab", st->dropped[0]);
	cli_json_uint(&j, "dropped_ba", st->dropped[1]);
	cli_json_bool(&j, "splice_ab", st->spliced[0]);
	cli_json_bool(&j, "splice_ba", st->spliced[1]);
	cli_json_double(&j, "duration_s", dur);
	if (st->error) {
		cli_json_str(&j, "error", skit_errname(st->error));
		cli_json_str(&j, "error_side", st->error_side ? "b" : "a");
		cli_json_str(&j, "error_op", st->error_op);
	}
	cli_tls_json(&j, skit_fwd_pair_conn(rec, 0), "a_");
	cli_tls_json(&j, skit_fwd_pair_conn(rec, 1), "b_");
	relay_json_end(app, &j);
}

void
relay_retry_event(struct app *app, const struct skit_fwd_pair *rec, int attempt,
		  int64_t delay_ms, const struct skit_err *why)
{
	struct cli_json j;

	cli_json_begin(&j, app->jf);
	cli_json_str(&j, "event", "retry");
	cli_json_uint(&j, "id", skit_fwd_pair_id(rec));
	cli_json_int(&j, "attempt", attempt);
	cli_json_str(&j, "error", skit_errname(why->code));
	cli_json_int(&j, "delay_ms", delay_ms);
	relay_json_end(app, &j);
}

/* The faults in force on pair r's ends ("A: ... B: ..."), or 0. */
static int
table_faults(const struct skit_relay *r, char *buf, size_t len)
{
	char one[2][200];
	int n = 0;

	for (int i = 0; i < 2; i++) {
		const struct skit_conn *sc = r ? skit_relay_conn(r, i) : NULL;

		one[i][0] = '\0';
		if (sc && skit_fault_describe(sc, one[i], sizeof(one[i])) > 0)
			n++;
	}
	if (!n)
		return 0;
	snprintf(buf, len, "%s%s%s%s%s", one[0][0] ? "A: " : "", one[0],
		 one[0][0] && one[1][0] ? "; " : "", one[1][0] ? "B: " : "",
		 one[1]);
	return 1;
}

void
relay_table(struct app *app)
{
	struct cli_json j;
	char a[300], b[300], fl[420];

	if (!app->json)
		fprintf(stderr,
			"skit relay: %lu live, %lu served\n%6s %9s %12s "
			"%12s  %s\n",
			skit_fwd_live(app->fwd), skit_fwd_served(app->fwd),
			"id", "age_s", "A->B", "B->A", "A | B");
	for (struct skit_fwd_pair *rec = skit_fwd_first(app->fwd); rec;
	     rec = skit_fwd_next(rec)) {
		struct skit_relay *r = skit_fwd_pair_relay(rec);
		const struct skit_relay_stats *st =
			r ? skit_relay_stats(r) : NULL;
		double age =
			(double)(skit_now_ns() - skit_fwd_pair_start_ns(rec)) /
			1e9;

		relay_side_desc(app, rec, 0, a, sizeof(a));
		relay_side_desc(app, rec, 1, b, sizeof(b));
		if (!app->json) {
			fprintf(stderr, "%6lu %9.1f %12llu %12llu  %s | %s%s\n",
				skit_fwd_pair_id(rec), age,
				(unsigned long long)(st ? st->bytes[0] : 0),
				(unsigned long long)(st ? st->bytes[1] : 0), a,
				b, r ? "" : " (dialling)");
			if (table_faults(r, fl, sizeof(fl)))
				fprintf(stderr, "%6s faults: %s\n", "", fl);
			continue;
		}
		cli_json_begin(&j, app->jf);
		cli_json_str(&j, "event", "conn");
		cli_json_uint(&j, "id", skit_fwd_pair_id(rec));
		cli_json_str(&j, "a", a);
		cli_json_str(&j, "b", b);
		cli_json_str(&j, "state", r ? "relaying" : "dialling");
		cli_json_uint(&j, "bytes_ab", st ? st->bytes[0] : 0);
		cli_json_uint(&j, "bytes_ba", st ? st->bytes[1] : 0);
		cli_json_double(&j, "age_s", age);
		if (table_faults(r, fl, sizeof(fl)))
			cli_json_str(&j, "faults", fl);
		cli_json_end(&j);
	}
	if (app->json) {
		cli_json_begin(&j, app->jf);
		cli_json_str(&j, "event", "table");
		cli_json_uint(&j, "conns", skit_fwd_live(app->fwd));
		cli_json_uint(&j, "served", skit_fwd_served(app->fwd));
		relay_json_end(app, &j);
	}
	fflush(stderr);
}

void
relay_hex(struct skit_fwd *f, struct skit_fwd_pair *rec, int dir,
	  const void *buf, size_t len, void *data)
{
	(void)f;
	(void)data;
	fprintf(stderr, "%c #%lu %s %zu bytes\n", dir ? '<' : '>',
		skit_fwd_pair_id(rec), dir ? "B->A" : "A->B", len);
	cli_hexdump(stderr, " ", 0, buf, len);
}
