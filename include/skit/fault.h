/*
 * skit/fault.h - fault injection as a conn layer (conn.h): toxiproxy's
 * toxics on byte streams and netem's faults on datagrams, per
 * connection, unprivileged, reproducible with a seed. docs/faults.md is
 * the user's description; this header is the contract.
 *
 * A fault set is an ordered list of faults. Each fault applies to one
 * way or both, seen from the address it is written on:
 *   up    what is sent to that address (the layer's send side)
 *   down  what is received from it (the layer's recv side)
 * and, with toxicity < 1, to that share of connections only (drawn per
 * connection and fault from the seed). The layer applies the faults in
 * the order of the set as each chunk (a stream's read or write, or one
 * message) enters it, and holds what they delay in a queue per way,
 * with no thread and no sleeping: one timer on the conn's loop wakes
 * the conn's user (skit_layer_kick) when something held is due. A
 * conn without a loop cannot wait: what is delayed goes at the next
 * call that finds it due.
 *
 * Every random choice (jitter, drop, toxicity, ...) comes from a PRNG
 * seeded by set->seed and the connection's number (cfg.conn_id), so
 * the same seed and traffic give the same faults.
 *
 * Holding is bounded: a way holds at most SKIT_FAULT_HOLD_MAX bytes
 * (send then returns -EAGAIN, recv stops reading), so a slow fault
 * pushes back on the sender instead of growing memory.
 */
#ifndef SKIT_FAULT_H
#define SKIT_FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "skit/conn.h"
#include "skit/err.h"

#ifdef __cplusplus
extern "C" {
#endif

struct skit_addr;

enum skit_fault_kind {
	SKIT_FAULT_NONE = 0,
	/* byte streams (toxiproxy's names in docs/faults.md) */
	SKIT_FAULT_LATENCY, /* ms (+/- jitter_ms) on every chunk, order kept */
	SKIT_FAULT_BANDWIDTH,	/* bytes per second (token bucket) */
	SKIT_FAULT_SLICER,	/* segments of bytes, ms apart */
	SKIT_FAULT_LIMIT_DATA,	/* bytes, then both ways end (EOF) */
	SKIT_FAULT_RESET_AFTER, /* bytes or ms, then RST (SO_LINGER 0) */
	SKIT_FAULT_TIMEOUT,	/* data dropped; ms later both ways end
				   (0: never) */
	SKIT_FAULT_SLOW_CLOSE,	/* the end of the stream delayed by ms */
	SKIT_FAULT_STALL,	/* no reading for ms (0: for ever) */
	SKIT_FAULT_HALF_OPEN,	/* nothing passes, no end is ever seen */
	/* messages (netem's names in docs/faults.md) */
	SKIT_FAULT_DELAY,   /* ms (+/- jitter_ms) per message, may reorder */
	SKIT_FAULT_RATE,    /* bytes per second (token bucket) */
	SKIT_FAULT_DROP,    /* probability p */
	SKIT_FAULT_DUP,	    /* probability p */
	SKIT_FAULT_REORDER, /* p: held back until gap later ones passed */
	SKIT_FAULT_CORRUPT, /* p: one bit flipped */
	SKIT_FAULT__COUNT
};

/* Ways (bits of skit_fault.dir). */
enum {
	SKIT_FAULT_UP = 1 << 0,
	SKIT_FAULT_DOWN = 1 << 1,
	SKIT_FAULT_BOTH = SKIT_FAULT_UP | SKIT_FAULT_DOWN,
};

struct skit_fault {
	enum skit_fault_kind kind;
	unsigned dir;	   /* SKIT_FAULT_UP/DOWN/BOTH; 0 means BOTH */
	double toxicity;   /* share of connections, 0..1 (1 = all) */
	int64_t ms;	   /* latency, delay, slicer's gap, timeout,
			      slow-close, stall, reset-after in time */
	int64_t jitter_ms; /* latency, delay: +/- this, uniform */
	uint64_t bytes;	   /* bandwidth, rate (per second), slicer's
			      segment, limit-data, reset-after in bytes */
	double p;	   /* drop, dup, reorder, corrupt: 0..1 */
	unsigned gap;	   /* reorder: later messages to let pass first */
};

#define SKIT_FAULT_MAX	    16
#define SKIT_FAULT_HOLD_MAX (1u << 20) /* bytes held per way at most */

struct skit_fault_set {
	struct skit_fault f[SKIT_FAULT_MAX];
	int n;
	uint64_t seed;
	/* bumped by every change (skit_fault_set_put, _clear): a layer
	 * reading a live set picks the change up at its next call */
	unsigned gen;
};

/* The fault's name in the grammar ("latency", "limit-data"), or NULL. */
const char *skit_fault_name(enum skit_fault_kind kind);

/* The kind named so (the grammar's names), or SKIT_FAULT_NONE. */
enum skit_fault_kind skit_fault_kind(const char *name);

/* Does the kind apply to messages (else to byte streams)? Latency and
 * bandwidth apply to both (as delay and rate). */
bool skit_fault_for_msgs(enum skit_fault_kind kind);
bool skit_fault_for_streams(enum skit_fault_kind kind);

/*
 * Parse one fault "name=value" into *f (dir BOTH, toxicity 1): value
 * as in the address grammar (docs/faults.md): a duration, a size (a
 * rate is a size per second), a probability ("0.1" or "10%"),
 * slicer "SIZE[/DURATION]", reset-after "SIZE" or "DURATION" (a number
 * with a time unit), reorder "P[/GAP]", half-open no value (or "1").
 * Returns 0 or SKIT_EOPTION with err filled (op "bad fault").
 */
int skit_fault_parse(const char *name, const char *value, struct skit_fault *f,
		     struct skit_err *err);

/* "up", "down", "both" into SKIT_FAULT_*: 0 or -EINVAL. */
int skit_fault_parse_dir(const char *s, unsigned *dir);

/* A probability "0.25" or "25%" into 0..1: 0 or -EINVAL. */
int skit_fault_parse_prob(const char *s, double *p);

/*
 * Put f into the set: it replaces a fault of the same kind with the
 * same ways, else it is added at the end. 0, or -ENOSPC when the set is
 * full. Bumps gen.
 */
int skit_fault_set_put(struct skit_fault_set *s, const struct skit_fault *f);

/* Remove the faults of this kind (SKIT_FAULT_NONE: all). Bumps gen.
 * Returns how many were removed. */
int skit_fault_set_clear(struct skit_fault_set *s, enum skit_fault_kind kind);

/*
 * Write one fault as "name=value[,dir=..][,toxicity=..]" (the grammar's
 * form, for messages, --json and the SIGUSR1 table). Returns the length
 * it needed, like snprintf.
 */
int skit_fault_format(const struct skit_fault *f, char *buf, size_t len);

/*
 * The faults written on an address (its fault options, in the order
 * written; jitter= goes with latency= or delay=, dir= and toxicity=
 * apply to each fault of the address, seed= is the set's). The set is
 * emptied first; seed is left at 0 when the address has no seed=
 * (has_seed false). Returns 0 or SKIT_EOPTION (err filled).
 */
int skit_fault_from_addr(const struct skit_addr *a, struct skit_fault_set *out,
			 bool *has_seed, struct skit_err *err);

/* --- the layer ----------------------------------------------------------- */

/* What a fault did, for the user's log (cfg.on_event). */
struct skit_fault_event {
	uint64_t conn_id;
	enum skit_fault_kind kind;
	unsigned way;	  /* SKIT_FAULT_UP or SKIT_FAULT_DOWN */
	const char *what; /* "held", "dropped", "duplicated", "reordered",
			     "corrupted", "limit", "reset", "timeout",
			     "stalled", "slow-close" */
	uint64_t bytes;	  /* how many bytes it concerned */
	int64_t ms;	  /* how long they were held (held, slow-close) */
};

struct skit_fault_cfg {
	/*
	 * The faults. Copied at open, unless live: then the set is the
	 * caller's, must outlive the conn, and a change to it (gen) is
	 * applied to the connection at its next call (what is held stays
	 * held).
	 */
	const struct skit_fault_set *set;
	bool live;
	uint64_t conn_id; /* the connection's number: mixed into the seed */
	/*
	 * Called when a fault fires: every drop, duplicate, reorder and
	 * corruption, the first chunk each delaying fault holds on each
	 * way, and the end a fault makes. May be NULL. Never does I/O on
	 * the conn.
	 */
	void (*on_event)(void *data, const struct skit_fault_event *ev);
	void *data;
};

/*
 * fault: the layer. Needs a byte stream or messages below (the same
 * above); the stream faults refuse a message conn and the message
 * faults a stream (-EINVAL at push, err says which). cfg: a struct
 * skit_fault_cfg. Push it right on the transport (so what it delays is
 * what goes over the wire), with the conn's loop set.
 */
extern const struct skit_layer_ops skit_layer_fault;

/*
 * The faults in force on a conn that has a fault layer, as
 * "latency=100ms,dir=down drop=10%" (the ones toxicity left out are
 * not listed); "" when none. Returns the length it needed.
 */
int skit_fault_describe(const struct skit_conn *c, char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif
