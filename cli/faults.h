/*
 * cli/faults.h - the fault options of a command's addresses
 * (skit/fault.h) in the CLI: the sets, the seed (random unless seed=,
 * told under -v so a run can be replayed), the events (-v, --json) and
 * the control socket (--control unix:PATH, NDJSON, docs/faults.md).
 */
#ifndef SKIT_CLI_FAULTS_H
#define SKIT_CLI_FAULTS_H

#include <stdbool.h>
#include <stdio.h>

#include "skit/addr.h"
#include "skit/fault.h"
#include "skit/loop.h"
#include "skit/relay.h"

#define CLI_FAULT_CLIENTS 8

struct cli_fault_client {
	int fd; /* -1: free */
	size_t len;
	char buf[4096];
};

struct cli_faults {
	struct skit_fault_set set[2]; /* per side, live */
	bool on[2];		      /* push the layer on this side */
	bool msgs[2];		      /* the side is a message socket */
	int ctl_side;		      /* the side the control changes */
	struct skit_fault_cfg cfg[2];
	FILE *jf;		/* --json events, or NULL */
	const char *who;	/* names the connection in -v lines ("relay") */
	struct skit_loop *loop; /* the one the control is served on */
	struct skit_serve *ctl; /* the control's accept path, or NULL */
	int ctl_fd;		/* the control socket, -1 when none */
	char ctl_path[SKIT_HOST_MAX];
	struct cli_fault_client cl[CLI_FAULT_CLIENTS];
};

/*
 * The faults of a command's two addresses (lside: the listening side,
 * -1 when none). Draws a seed when no address has seed=, told under -v.
 * 0, or an exit code after printing the error.
 */
int cli_faults_init(struct cli_faults *f, const struct skit_addr a[2],
		    int lside, FILE *jf);

/* cfg.faults for the connection numbered id (read by skit_relay_new). */
void cli_faults_relay_cfg(struct cli_faults *f, unsigned long id,
			  struct skit_relay_cfg *cfg);

/*
 * --control ADDRESS (unix:PATH): listen for NDJSON commands, served on
 * loop (NULL: not yet, see cli_faults_attach). From then on the control
 * side always gets the layer. 0, or an exit code after printing the
 * error.
 */
int cli_faults_control(struct cli_faults *f, struct skit_loop *loop,
		       const char *addr);

/*
 * Serve the control socket on loop from now on (its accept path is
 * serve.h's; clients of the loop before are closed), or leave the loop
 * (detach: before it is freed). The loop's thread is the one that
 * changes the sets: the connections reading them live must run on it.
 * attach returns 0 (also without --control) or a negative code.
 */
struct skit_serve;
int cli_faults_attach(struct cli_faults *f, struct skit_loop *loop);
void cli_faults_detach(struct cli_faults *f);

/* Close the control socket and its clients. */
void cli_faults_close(struct cli_faults *f);

#endif
