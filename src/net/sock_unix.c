/*
 * sock_unix.c - unix socket addresses and the safe lifecycle of socket
 * files: stale-file removal that never deletes anything but a dead
 * socket, and mode=/user=/group= in force before listen().
 */
#include "skit/io.h"
#include "skit/sock.h"
#include "net/sock_int.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int
skit__unix_sockaddr(const char *name, bool abstract, int type,
		    struct skit_sockaddr *out)
{
	struct sockaddr_un *un = (struct sockaddr_un *)&out->ss;
	size_t l = strlen(name);

	memset(out, 0, sizeof(*out));
	out->family = AF_UNIX;
	out->type = type;
	un->sun_family = AF_UNIX;
	if (abstract) {
		/*
		 * An abstract name is the bytes after a leading NUL, and its
		 * length is part of the name: "@x" is offsetof + 1 + 1 bytes,
		 * never sizeof(sockaddr_un) (which would be "x" plus 106
		 * NULs, a different name).
		 */
		if (l + 1 > sizeof(un->sun_path))
			return SKIT_ETOOLONG;
		memcpy(un->sun_path + 1, name, l);
		out->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
				       1 + l);
		return 0;
	}
	if (l == 0 || l + 1 > sizeof(un->sun_path))
		return l == 0 ? SKIT_EADDR : SKIT_ETOOLONG;
	memcpy(un->sun_path, name, l + 1);
	out->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + l + 1);
	return 0;
}

int
skit_unix_prepare(const char *path, int type, struct skit_err *err)
{
	struct skit_sockaddr sa;
	char text[160];
	struct stat st;
	int fd, r;

	if (skit__unix_sockaddr(path, false, type ? type : SOCK_STREAM, &sa) <
	    0)
		return skit_err_set(err, SKIT_ETOOLONG, "bind", path);
	skit__sa_text(&sa, text, sizeof(text));
	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return skit_err_set(err, -errno, "stat", text);
	}
	/* A symlink, a regular file, a directory: never ours to delete. */
	if (!S_ISSOCK(st.st_mode))
		return skit_err_set(err, SKIT_ESTALE_NOT_SOCKET, "bind", text);
	fd = skit_socket(AF_UNIX, sa.type, 0, true);
	if (fd < 0)
		return skit_err_set(err, fd, "socket", text);
	r = skit__connect(fd, &sa);
	skit_close(fd);
	/*
	 * Refused means nobody is bound there: a leftover file. A socket of
	 * another type (EPROTOTYPE) or a full backlog (EAGAIN) is a live
	 * server. Anything else (EACCES...) is reported as is. The probe
	 * is nonblocking so a busy server cannot make it wait.
	 */
	if (r == 0 || r == -EPROTOTYPE || r == -EAGAIN)
		return skit_err_set(err, SKIT_ELIVE, "bind", text);
	if (r != -ECONNREFUSED)
		return skit_err_set(err, r, "connect", text);
	if (unlink(path) < 0 && errno != ENOENT)
		return skit_err_set(err, -errno, "unlink", text);
	skit__trace("unlink(\"%s\") = 0 (stale socket)", path);
	return 0;
}

/* getpwnam_r/getgrnam_r buffers: grown on ERANGE up to 1 MiB. */
static int
lookup_id(const char *name, bool group, unsigned *id)
{
	struct passwd pw, *pwp = NULL;
	struct group gr, *grp = NULL;
	size_t size = 4096;
	char *buf, *end;
	unsigned long n;
	int r;

	n = strtoul(name, &end, 10);
	if (name[0] && *end == '\0') {
		*id = (unsigned)n;
		return 0;
	}
	for (;;) {
		buf = malloc(size);
		if (!buf)
			return -ENOMEM;
		if (group)
			r = getgrnam_r(name, &gr, buf, size, &grp);
		else
			r = getpwnam_r(name, &pw, buf, size, &pwp);
		if (r == ERANGE && size < (1 << 20)) {
			free(buf);
			size *= 2;
			continue;
		}
		break;
	}
	if (group && grp)
		*id = grp->gr_gid;
	else if (!group && pwp)
		*id = pwp->pw_uid;
	free(buf);
	if (r != 0 && r != ENOENT && r != ESRCH)
		return -r;
	if (group ? !grp : !pwp)
		return SKIT_EUSER;
	return 0;
}

int
skit__unix_bind(int fd, const struct skit_addr *a,
		const struct skit_sockaddr *sa, struct skit_err *err)
{
	const char *user = skit_addr_str(a, SKIT_OPT_USER);
	const char *group = skit_addr_str(a, SKIT_OPT_GROUP);
	bool has_mode = skit_addr_has(a, SKIT_OPT_MODE);
	mode_t mode = (mode_t)skit_addr_num(a, SKIT_OPT_MODE, 0) & 07777;
	unsigned uid = (unsigned)-1, gid = (unsigned)-1;
	char text[160];
	int r;

	skit__sa_text(sa, text, sizeof(text));
	if (a->abstract && (has_mode || user || group))
		return skit_err_setf(err, SKIT_EOPTION, "bind", text, 0,
				     "mode=, user= and group= need a socket "
				     "file (an abstract name has none)");
	if (user && (r = lookup_id(user, false, &uid)) < 0)
		return skit_err_setf(err, r, "bind", text, 0, "user '%s': %s",
				     user, skit_strerror(r));
	if (group && (r = lookup_id(group, true, &gid)) < 0)
		return skit_err_setf(err, r, "bind", text, 0, "group '%s': %s",
				     group, skit_strerror(r));
	/*
	 * Linux creates the socket file with the socket inode's mode minus
	 * the umask, so an fchmod() before bind() makes the file no more
	 * permissive than mode= from its first instant; the chmod() after
	 * bind() then sets mode= exactly (bits the umask removed). Both run
	 * before listen(), so no client can connect in between: connecting
	 * to a bound but not listening stream socket is refused.
	 */
	if (has_mode && fchmod(fd, mode) < 0)
		return skit_err_set(err, -errno, "chmod", text);
	r = skit__bind(fd, sa, err);
	if (r < 0)
		return r;
	if (a->abstract)
		return 0;
	if (has_mode) {
		if (chmod(a->host, mode) < 0) {
			r = skit_err_set(err, -errno, "chmod", text);
			goto undo;
		}
		skit__trace("chmod(\"%s\", 0%o) = 0", a->host, (unsigned)mode);
	}
	if (user || group) {
		if (chown(a->host, uid, gid) < 0) {
			r = skit_err_set(err, -errno, "chown", text);
			goto undo;
		}
		skit__trace("chown(\"%s\", %d, %d) = 0", a->host, (int)uid,
			    (int)gid);
	}
	return 0;
undo:
	/* We created the file a moment ago: do not leave it behind. */
	unlink(a->host);
	return r;
}

int
skit__unix_autobind(int fd, struct skit_err *err)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int e;

	if (bind(fd, (const struct sockaddr *)&sun, sizeof(sa_family_t)) < 0) {
		e = errno;
		skit__trace("bind(%d, AF_UNIX autobind) = -1 %s", fd,
			    strerrorname_np(e));
		return skit_err_set(err, -e, "bind", "an abstract name");
	}
	skit__trace("bind(%d, AF_UNIX autobind) = 0", fd);
	return 0;
}
