/*
 * test_unix.c - the safe unix-socket lifecycle: stale files replaced,
 * anything else left alone, mode=/user=/group= in force before listen().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "sockhelp.h"

static char dir[64];

static int
setup(void **state)
{
	(void)state;
	th_tmpdir(dir, sizeof(dir));
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	th_rmdir(dir);
	return 0;
}

static void
path_in(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

/* Leave a dead socket file at path: bound, then closed. */
static void
make_stale(const char *path)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	struct stat st;
	int fd = skit_socket(AF_UNIX, SOCK_STREAM, 0, false);

	assert_true(fd >= 0);
	snprintf(un.sun_path, sizeof(un.sun_path), "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&un, sizeof(un)), 0);
	close(fd);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
}

static void
connects(const char *text)
{
	int fd = th_open(text, SKIT_ROLE_CONNECT, 0, NULL, NULL);

	close(fd);
}

static void
test_stale_replaced(void **state)
{
	char p[128], t[200];
	struct skit_err err;
	int fd, s;

	(void)state;
	path_in(p, sizeof(p), "stale.sock");
	make_stale(p);
	/* Without unlink the file is in the way, and bind says so. */
	snprintf(t, sizeof(t), "unix:%s", p);
	assert_int_equal(th_open_err(t, SKIT_ROLE_LISTEN, 0, NULL, &err),
			 -EADDRINUSE);
	assert_string_equal(err.op, "bind");
	/* With unlink: refused on connect, so it is stale and replaced. */
	snprintf(t, sizeof(t), "unix:%s,unlink", p);
	fd = th_open(t, SKIT_ROLE_LISTEN, 0, NULL, NULL);
	snprintf(t, sizeof(t), "unix:%s", p);
	connects(t);
	s = skit_accept(fd, false, NULL);
	assert_true(s >= 0);
	close(s);
	close(fd);

	/* The same for a datagram socket file. */
	path_in(p, sizeof(p), "stale-dgram.sock");
	make_stale(p);
	snprintf(t, sizeof(t), "unix-dgram:%s,unlink", p);
	fd = th_open(t, SKIT_ROLE_LISTEN, 0, NULL, NULL);
	close(fd);
}

static void
test_regular_file_untouched(void **state)
{
	char p[128], t[200], buf[16];
	struct skit_err err;
	int fd;

	(void)state;
	path_in(p, sizeof(p), "file.sock");
	fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "keep me", 7), 7);
	close(fd);
	snprintf(t, sizeof(t), "unix:%s,unlink", p);
	assert_int_equal(th_open_err(t, SKIT_ROLE_LISTEN, 0, NULL, &err),
			 SKIT_ESTALE_NOT_SOCKET);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, sizeof(buf)), 7);
	assert_memory_equal(buf, "keep me", 7);
	close(fd);

	/* A directory, and a symlink to a stale socket: both left alone. */
	path_in(p, sizeof(p), "dir.sock");
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(t, sizeof(t), "unix:%s,unlink", p);
	assert_int_equal(th_open_err(t, SKIT_ROLE_LISTEN, 0, NULL, &err),
			 SKIT_ESTALE_NOT_SOCKET);
	{
		char target[128], link[128];
		struct stat st;

		path_in(target, sizeof(target), "target.sock");
		make_stale(target);
		path_in(link, sizeof(link), "link.sock");
		assert_int_equal(symlink(target, link), 0);
		snprintf(t, sizeof(t), "unix:%s,unlink", link);
		assert_int_equal(
			th_open_err(t, SKIT_ROLE_LISTEN, 0, NULL, &err),
			SKIT_ESTALE_NOT_SOCKET);
		assert_int_equal(lstat(link, &st), 0);
		assert_true(S_ISLNK(st.st_mode));
		assert_int_equal(lstat(target, &st), 0);
		assert_true(S_ISSOCK(st.st_mode));
	}
}

static void
test_live_refused(void **state)
{
	char p[128], t[200], msg[300];
	struct skit_err err;
	int live, s;

	(void)state;
	path_in(p, sizeof(p), "live.sock");
	snprintf(t, sizeof(t), "unix:%s", p);
	live = th_open(t, SKIT_ROLE_LISTEN, 0, NULL, NULL);
	/* The probe connection is accepted by the live server: drain it. */
	snprintf(t, sizeof(t), "unix:%s,unlink", p);
	assert_int_equal(th_open_err(t, SKIT_ROLE_LISTEN, 0, NULL, &err),
			 SKIT_ELIVE);
	skit_err_format(&err, msg, sizeof(msg));
	assert_non_null(strstr(msg, "a live server is listening"));
	/* Same path with a different type: still live, still refused. */
	snprintf(t, sizeof(t), "unix-seqpacket:%s,unlink", p);
	assert_int_equal(th_open_err(t, SKIT_ROLE_LISTEN, 0, NULL, &err),
			 SKIT_ELIVE);
	/* The live server still works. */
	snprintf(t, sizeof(t), "unix:%s", p);
	connects(t);
	for (int i = 0; i < 2; i++) {
		s = skit_accept(live, false, NULL);
		assert_true(s >= 0);
		close(s);
	}
	close(live);
}

/* A live server with a full backlog: refused at once, never a hang. */
static void
test_live_busy(void **state)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	char p[100], t[200];
	struct skit_err err;
	int live, c[4], n, r = 0;

	(void)state;
	path_in(p, sizeof(p), "busy.sock");
	snprintf(t, sizeof(t), "unix:%s,backlog=0", p);
	live = th_open(t, SKIT_ROLE_LISTEN, 0, NULL, NULL);
	snprintf(un.sun_path, sizeof(un.sun_path), "%s", p);
	/* Nonblocking clients until the queue is full (bounded). */
	for (n = 0; n < 4 && r == 0; n++) {
		c[n] = skit_socket(AF_UNIX, SOCK_STREAM, 0, true);
		assert_true(c[n] >= 0);
		r = connect(c[n], (struct sockaddr *)&un, sizeof(un));
	}
	assert_int_equal(r, -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(skit_unix_prepare(p, SOCK_STREAM, &err), SKIT_ELIVE);
	assert_int_equal(access(p, F_OK), 0);
	for (int i = 0; i < n; i++)
		close(c[i]);
	close(live);
}

/*
 * The trace hook fires right after each call: at "listen(" the socket
 * file must already carry its final mode and owner.
 */
struct watch {
	const char *path;
	const char *when; /* trace line prefix */
	bool seen;
	mode_t mode;
	uid_t uid;
	gid_t gid;
};

static void
watch_cb(void *data, const char *line)
{
	struct watch *w = data;
	struct stat st;

	if (w->seen || strncmp(line, w->when, strlen(w->when)) != 0)
		return;
	if (stat(w->path, &st) == 0) {
		w->seen = true;
		w->mode = st.st_mode & 07777;
		w->uid = st.st_uid;
		w->gid = st.st_gid;
	}
}

static void
test_mode_before_listen(void **state)
{
	struct watch w = { 0 };
	char p[128], t[200];
	struct stat st;
	mode_t old;
	int fd;

	(void)state;
	path_in(p, sizeof(p), "mode.sock");
	w.path = p;
	w.when = "listen(";
	skit_trace_set(watch_cb, &w);
	snprintf(t, sizeof(t), "unix:%s,mode=0600", p);
	fd = th_open(t, SKIT_ROLE_LISTEN, 0, NULL, NULL);
	skit_trace_set(NULL, NULL);
	/* Right after skit_open, before any accept. */
	assert_int_equal(stat(p, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	/* And already when listen() ran. */
	assert_true(w.seen);
	assert_int_equal(w.mode, 0600);
	close(fd);

	/* mode= is exact even where the umask would remove bits. */
	old = umask(077);
	path_in(p, sizeof(p), "open.sock");
	snprintf(t, sizeof(t), "unix:%s,mode=0666", p);
	fd = th_open(t, SKIT_ROLE_LISTEN, 0, NULL, NULL);
	umask(old);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0666);
	close(fd);

	/*
	 * Datagram sockets have no listen(): the file is born with no
	 * more than mode= (fchmod before bind), seen at the bind trace.
	 */
	old = umask(0);
	path_in(p, sizeof(p), "dgram-mode.sock");
	memset(&w, 0, sizeof(w));
	w.path = p;
	w.when = "bind(";
	skit_trace_set(watch_cb, &w);
	snprintf(t, sizeof(t), "unix-dgram:%s,mode=0600", p);
	fd = th_open(t, SKIT_ROLE_LISTEN, 0, NULL, NULL);
	skit_trace_set(NULL, NULL);
	umask(old);
	assert_true(w.seen);
	assert_int_equal(w.mode & 0077, 0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	close(fd);
}

static void
test_user_group(void **state)
{
	struct watch w = { 0 };
	char p[128], t[200];
	struct passwd *pw;
	struct group *gr;
	struct skit_err err;
	struct stat st;
	int fd;

	(void)state;
	if (geteuid() != 0) {
		print_message("skip: user=/group= need root\n");
		skip();
	}
	pw = getpwnam("nobody");
	gr = getgrnam("nogroup");
	if (!pw || !gr) {
		print_message("skip: no user nobody / group nogroup\n");
		skip();
	}
	path_in(p, sizeof(p), "owned.sock");
	w.path = p;
	w.when = "listen(";
	skit_trace_set(watch_cb, &w);
	snprintf(t, sizeof(t), "unix:%s,user=nobody,group=nogroup,mode=0660",
		 p);
	fd = th_open(t, SKIT_ROLE_LISTEN, 0, NULL, NULL);
	skit_trace_set(NULL, NULL);
	assert_true(w.seen);
	assert_int_equal(w.uid, pw->pw_uid);
	assert_int_equal(w.gid, gr->gr_gid);
	assert_int_equal(w.mode, 0660);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_uid, pw->pw_uid);
	close(fd);

	/* Unknown names: SKIT_EUSER, and no file left behind. */
	path_in(p, sizeof(p), "nouser.sock");
	snprintf(t, sizeof(t), "unix:%s,user=skit-no-such-user", p);
	assert_int_equal(th_open_err(t, SKIT_ROLE_LISTEN, 0, NULL, &err),
			 SKIT_EUSER);
	assert_non_null(strstr(err.detail, "skit-no-such-user"));
	assert_int_equal(lstat(p, &st), -1);
	snprintf(t, sizeof(t), "unix:%s,group=skit-no-such-group", p);
	assert_int_equal(th_open_err(t, SKIT_ROLE_LISTEN, 0, NULL, &err),
			 SKIT_EUSER);
	assert_int_equal(lstat(p, &st), -1);
}

/* A unix datagram client without bind= gets an abstract name from the
 * kernel, so a server can answer it; with bind= it gets that name. */
static void
test_dgram_client_autobind(void **state)
{
	struct sockaddr_un srv = { .sun_family = AF_UNIX }, got;
	socklen_t len = sizeof(got);
	char p[128], t[256], buf[8], name[32];
	int s, c;

	(void)state;
	path_in(p, sizeof(p), "dg.sock");
	snprintf(t, sizeof(t), "unix-dgram:%s", p);
	s = th_open(t, SKIT_ROLE_LISTEN, 0, NULL, NULL);
	c = th_open(t, SKIT_ROLE_CONNECT, 0, NULL, NULL);
	assert_int_equal(getsockname(c, (struct sockaddr *)&got, &len), 0);
	/* "@" and five hex digits: the family, a NUL, five bytes */
	assert_int_equal(len, offsetof(struct sockaddr_un, sun_path) + 6);
	assert_int_equal(got.sun_path[0], '\0');
	/* The server answers to where the datagram came from. */
	assert_int_equal(send(c, "ping", 4, 0), 4);
	len = sizeof(srv);
	assert_int_equal(
		recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&srv, &len),
		4);
	assert_int_equal(sendto(s, "pong", 4, 0, (struct sockaddr *)&srv, len),
			 4);
	assert_int_equal(recv(c, buf, sizeof(buf), 0), 4);
	assert_memory_equal(buf, "pong", 4);
	close(c);
	/* bind= names it */
	snprintf(name, sizeof(name), "skit-test-dg-%d", (int)getpid());
	snprintf(t, sizeof(t), "unix-dgram:%s,bind=@%s", p, name);
	c = th_open(t, SKIT_ROLE_CONNECT, 0, NULL, NULL);
	len = sizeof(got);
	assert_int_equal(getsockname(c, (struct sockaddr *)&got, &len), 0);
	assert_int_equal(len, offsetof(struct sockaddr_un, sun_path) + 1 +
				      strlen(name));
	assert_memory_equal(got.sun_path + 1, name, strlen(name));
	close(c);
	close(s);
}

static void
test_prepare_direct(void **state)
{
	char p[128];
	struct skit_err err;

	(void)state;
	path_in(p, sizeof(p), "absent.sock");
	assert_int_equal(skit_unix_prepare(p, SOCK_STREAM, &err), 0);
	path_in(p, sizeof(p), "stale2.sock");
	make_stale(p);
	assert_int_equal(skit_unix_prepare(p, SOCK_STREAM, &err), 0);
	assert_int_equal(access(p, F_OK), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stale_replaced),
		cmocka_unit_test(test_regular_file_untouched),
		cmocka_unit_test(test_live_refused),
		cmocka_unit_test(test_live_busy),
		cmocka_unit_test(test_mode_before_listen),
		cmocka_unit_test(test_user_group),
		cmocka_unit_test(test_prepare_direct),
		cmocka_unit_test(test_dgram_client_autobind),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
