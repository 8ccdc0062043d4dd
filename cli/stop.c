/*
 * cli/stop.c - how a command ends on SIGINT, SIGTERM or SIGHUP
 * (docs/exit-codes.md): within a second, whatever it is doing, and then
 * by that same signal, so a shell sees 130, 143 or 129 and a script
 * running skit stops too; before that it finishes what it owes.
 *
 * main() installs the handler for every command (cli_stop_init), also
 * when the signals came ignored (a background job of a script gets
 * SIGINT ignored, and `kill -INT` must still stop it). By default the
 * handler ends the process at once, by the signal, wherever it waits,
 * after removing the files registered with cli_stop_unlink (get's
 * temporary file, a unix socket file). That suits a command that owes
 * nothing else (connect, get, ifaces --watch).
 *
 * A command that owes work (a summary, a pcap file, children to stop)
 * calls cli_stop_watch(): the handler then writes to an eventfd,
 * cli_stop_fd(), that nobody reads, so it stays readable for every
 * thread. Every wait of the command watches that fd, as a loop watcher
 * or through the library's *_stop calls; the command finishes, returns,
 * and main() ends the process by the signal (cli_stop_end). A second
 * signal, or STOP_FORCE_MS without the command returning, ends it from
 * the handler (files removed first): the net under a wait no fd can
 * interrupt, such as a write to a full stdout pipe or getaddrinfo().
 *
 * A command that takes the signals itself (echo's sigwaitinfo) says
 * which one came with cli_stop_note().
 *
 * What the handlers touch lives in globals (a handler reaches nothing
 * else): set before the handler can run, or published with atomics.
 */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

/*
 * Under AddressSanitizer (make check's second pass) the leak check runs
 * at exit, which a process ended by a signal never reaches: the stop
 * paths run it themselves before, so they stay checked.
 */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define STOP_LEAK_CHECK 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define STOP_LEAK_CHECK 1
#endif
#ifdef STOP_LEAK_CHECK
#include <sanitizer/lsan_interface.h>
#endif

/* The net under a stuck wait: a stopping command gets this long. */
#define STOP_FORCE_MS 1000
#define STOP_PATHS    2

static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP };

static volatile sig_atomic_t stop_sig;	  /* the first stop signal */
static volatile sig_atomic_t cooperative; /* cli_stop_watch was called */
/*
 * Files to remove: a slot is written while its flag is clear and
 * published by setting it (lock-free atomics are safe in a handler,
 * which may run on another thread meanwhile). Each remembers the inode
 * it was registered with: another process may have removed our file and
 * put its own there since (a restarted server binding the same path),
 * and that one is not ours to remove.
 */
static atomic_bool path_set[STOP_PATHS];
static char paths[STOP_PATHS][PATH_MAX];
static dev_t path_dev[STOP_PATHS];
static ino_t path_ino[STOP_PATHS];
static int stop_efd = -1;

/* Remove slot i's file if it is still the one registered: signal-safe. */
static void
unlink_slot(int i)
{
	struct stat st;

	if (lstat(paths[i], &st) == 0 && st.st_dev == path_dev[i] &&
	    st.st_ino == path_ino[i])
		(void)unlink(paths[i]);
}

static void
unlink_paths(void)
{
	for (int i = 0; i < STOP_PATHS; i++)
		if (atomic_load(&path_set[i]))
			unlink_slot(i);
}

/* End the process by sig now: async-signal-safe. */
static void
force_end(int sig)
{
	sigset_t set;

	unlink_paths();
	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	_exit(128 + sig);
}

static void
on_stop(int sig)
{
	int saved = errno;

	if (!stop_sig) {
		stop_sig = sig;
		if (cooperative) {
			struct itimerval it = {
				.it_value = { STOP_FORCE_MS / 1000,
					      STOP_FORCE_MS % 1000 * 1000 },
			};

			if (skit_eventfd_signal(stop_efd) < 0 ||
			    setitimer(ITIMER_REAL, &it, NULL) < 0)
				force_end(sig);
			errno = saved;
			return;
		}
	}
	/* Not cooperative, or a second signal: now. */
	force_end(stop_sig);
}

static void
on_force(int sig)
{
	(void)sig;
	force_end(stop_sig ? stop_sig : SIGTERM);
}

static void
install(void (*fn)(int), int sig)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static void
install_stop(void)
{
	for (size_t i = 0; i < sizeof(stop_signals) / sizeof(*stop_signals);
	     i++)
		install(on_stop, stop_signals[i]);
}

void
cli_stop_init(void)
{
	install_stop();
}

int
cli_stop_watch(void)
{
	if (stop_efd < 0) {
		int fd = skit_eventfd();

		if (fd < 0)
			return fd;
		stop_efd = fd;
	}
	install(on_force, SIGALRM);
	cooperative = 1;
	return 0;
}

int
cli_stop_watch_loop(struct skit_loop *loop, skit_fd_cb cb, void *data)
{
	int rc = cli_stop_watch();

	return rc < 0 ? rc
		      : skit_loop_add(loop, stop_efd, SKIT_EV_READ, cb, data);
}

void
cli_stop_unwatch(void)
{
	cooperative = 0;
}

int
cli_stop_fd(void)
{
	return stop_efd;
}

bool
cli_stopping(void)
{
	return stop_sig != 0;
}

void
cli_stop_unlink(const char *path)
{
	struct stat st;

	/* (one that is not there, or not there yet, is nobody's to remove) */
	if (!path || !path[0] || lstat(path, &st) < 0)
		return;
	for (int i = 0; i < STOP_PATHS; i++) {
		if (atomic_load(&path_set[i]))
			continue;
		snprintf(paths[i], sizeof(paths[i]), "%s", path);
		path_dev[i] = st.st_dev;
		path_ino[i] = st.st_ino;
		atomic_store(&path_set[i], true);
		return;
	}
}

void
cli_stop_remove(const char *path)
{
	for (int i = 0; path && i < STOP_PATHS; i++)
		if (atomic_load(&path_set[i]) && !strcmp(paths[i], path)) {
			unlink_slot(i);
			atomic_store(&path_set[i], false);
		}
}

void
cli_stop_keep(const char *path)
{
	for (int i = 0; path && i < STOP_PATHS; i++)
		if (atomic_load(&path_set[i]) && !strcmp(paths[i], path))
			atomic_store(&path_set[i], false);
}

void
cli_stop_note(int sig)
{
	if (!stop_sig)
		stop_sig = sig;
}

int
cli_stop_end(int rc)
{
	int sig = stop_sig;

	/*
	 * Output that could not be written made the run a failure, said
	 * and exit 1 (docs/exit-codes.md): a stop does not hide that. A
	 * reader that went away (EPIPE) is no failure.
	 */
	if (!sig || (cli_g.stdout_code && cli_g.stdout_code != -EPIPE))
		return rc;
	/* stdout is main()'s: flushed and closed before. */
	fflush(stderr);
	/* The command cleaned up itself. */
	for (int i = 0; i < STOP_PATHS; i++)
		atomic_store(&path_set[i], false);
#ifdef STOP_LEAK_CHECK
	__lsan_do_leak_check();
#endif
	force_end(sig);
	return 128 + sig;
}
