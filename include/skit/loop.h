/*
 * skit/loop.h - the event loop: fd watchers and monotonic timers.
 *
 * Level-triggered readiness, fd-indexed registration (one watcher per
 * fd), timers in a heap on CLOCK_MONOTONIC, a per-wakeup work budget so
 * one busy fd cannot starve the others. Two backends behind one private
 * interface (src/core/loop_backend.h): epoll (default on Linux) and poll()
 * (portable fallback, also forced with SKIT_LOOP=poll in the
 * environment of the CLI, never read by the library itself).
 *
 * A loop is used from one thread. No globals: several loops may run in
 * several threads (skit echo --threads). Callbacks may add, modify or
 * remove any watcher or timer, including their own, and may free the
 * data of a removed watcher.
 *
 * Signals: a wait the kernel interrupts (EINTR) is simply resumed, so
 * a signal alone never ends skit_loop_run. A program stops the loop on
 * a signal by watching a stop fd (a signalfd, or an eventfd its handler
 * writes) and calling skit_loop_stop from that watcher.
 *
 * Every callback must do something about SKIT_EV_ERROR and SKIT_EV_HUP
 * (read the fd, which returns the error or EOF; take the error with
 * skit_sock_error; or remove the watcher): the loop is level-triggered,
 * so a condition left in place is reported again at once, forever.
 */
#ifndef SKIT_LOOP_H
#define SKIT_LOOP_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stdint.h>

struct skit_loop;

enum skit_loop_backend {
	SKIT_LOOP_AUTO = 0,
	SKIT_LOOP_EPOLL,
	SKIT_LOOP_POLL,
};

/* Readiness bits for watchers and callbacks. */
enum {
	SKIT_EV_READ = 1 << 0,
	SKIT_EV_WRITE = 1 << 1,
	SKIT_EV_ERROR = 1 << 2, /* delivered even when not asked for */
	SKIT_EV_HUP = 1 << 3,	/* delivered even when not asked for */
	/*
	 * For skit_loop_add only: several loops (threads) watch this one fd,
	 * a listener they share, and a connection should wake one of them,
	 * not all (EPOLLEXCLUSIVE). The epoll backend cannot change such a
	 * registration in place, so the loop re-adds it when its events
	 * change (a pause, events 0, takes it out of the kernel). The poll
	 * backend ignores it: every loop wakes.
	 */
	SKIT_EV_EXCLUSIVE = 1 << 4,
};

typedef void (*skit_fd_cb)(struct skit_loop *loop, int fd, unsigned events,
			   void *data);
typedef void (*skit_timer_cb)(struct skit_loop *loop, void *data);

/* Create a loop. Returns 0 and *out, or a negative code. */
int skit_loop_new(enum skit_loop_backend backend, struct skit_loop **out);

/* Free the loop (watched fds are not closed). NULL is allowed. */
void skit_loop_free(struct skit_loop *loop);

/* The backend in use: "epoll" or "poll". */
const char *skit_loop_backend_name(const struct skit_loop *loop);

/*
 * Watch fd for events (SKIT_EV_READ|SKIT_EV_WRITE, or 0 to keep it
 * registered but idle). -EEXIST if fd is already watched. Does not take
 * ownership of fd: skit_loop_del() before close().
 *
 * A watcher with events 0 is taken out of the kernel backend, so
 * SKIT_EV_ERROR/SKIT_EV_HUP (which epoll reports unasked) cannot make an
 * idle fd spin. Regular files and other fds epoll refuses (EPERM) are
 * accepted and reported ready at every wakeup, as poll() does.
 * SIGPIPE is not the loop's business: callers writing to sockets or
 * pipes from callbacks ignore it (skit's CLI does).
 */
int skit_loop_add(struct skit_loop *loop, int fd, unsigned events,
		  skit_fd_cb cb, void *data);
int skit_loop_mod(struct skit_loop *loop, int fd, unsigned events);
int skit_loop_del(struct skit_loop *loop, int fd);

/*
 * skit_loop_del() and close() in one (close() as skit_close: never
 * retried), one system call cheaper on epoll: closing the last
 * descriptor of a file takes it out of epoll's interest list, so the
 * loop does not ask. Only for an fd no other descriptor shares (no
 * dup(), not inherited by a child): otherwise epoll would keep watching
 * the file under this fd number; there, skit_loop_del() then close().
 * fd is closed even when the loop did not watch it. Returns 0 or the
 * -errno of close().
 */
int skit_loop_close(struct skit_loop *loop, int fd);

/*
 * The watcher of fd lives on the loop by itself (a lingering close, see
 * skit/linger.h): if it is still registered when skit_loop_free() runs,
 * the loop calls release(fd, data) first, which closes fd and frees
 * data (the watcher's); its timers just vanish with the loop.
 * skit_loop_del() and skit_loop_close() forget release with the
 * watcher. Returns 0, or -ENOENT when fd is not watched.
 */
int skit_loop_own(struct skit_loop *loop, int fd,
		  void (*release)(int fd, void *data));

/*
 * One-shot timers. skit_loop_timer fires after ms milliseconds,
 * skit_loop_timer_at at an absolute CLOCK_MONOTONIC time in ns (for
 * drift-free schedules: next = first + n * interval). Returns a timer
 * id > 0, or a negative code. Timers with equal deadlines fire in the
 * order they were added. Cancelling an id that already fired is a
 * no-op.
 */
int64_t skit_loop_timer(struct skit_loop *loop, int64_t ms, skit_timer_cb cb,
			void *data);
int64_t skit_loop_timer_at(struct skit_loop *loop, int64_t when_ns,
			   skit_timer_cb cb, void *data);
void skit_loop_timer_cancel(struct skit_loop *loop, int64_t id);

/*
 * Run until skit_loop_stop() or until nothing is left to wait for (no
 * watcher with events and no timer). Returns 0, or a negative code when
 * the backend fails.
 */
int skit_loop_run(struct skit_loop *loop);

/*
 * Wait at most timeout_ms (-1 forever) and dispatch once. Returns the
 * number of callbacks run (>= 0; 0 on a time-out), or a negative code
 * when the backend fails.
 */
int skit_loop_run_once(struct skit_loop *loop, int timeout_ms);

/* Make skit_loop_run return after the current callback. */
void skit_loop_stop(struct skit_loop *loop);

/* Monotonic time in ns, as cached at the start of this wakeup. */
int64_t skit_loop_now(const struct skit_loop *loop);

/* Monotonic time in ns, read now. */
int64_t skit_now_ns(void);

/* Number of fds watched (for --max-conns and tests). */
int skit_loop_count(const struct skit_loop *loop);

#ifdef __cplusplus
}
#endif

#endif
