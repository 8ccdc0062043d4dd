/*
 * cli/get/get_out.c - where `skit get` puts the body: stdout, or a
 * temporary file beside the target renamed into place on success (so a
 * failed transfer never leaves a file that looks complete), or the
 * existing file appended in place when resuming. And the progress bar.
 */
#include "cli.h"
#include "get.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Milliseconds on CLOCK_MONOTONIC, for the progress bar. */
static long long
now_ms(void)
{
	return skit_now_ns() / 1000000;
}

static bool
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 || errno != ENOENT;
}

int
get_free_name(const char *name, char *buf, size_t len)
{
	for (int n = 0; n < 1000; n++) {
		int w = n ? snprintf(buf, len, "%s.%d", name, n)
			  : snprintf(buf, len, "%s", name);

		if (w < 0 || (size_t)w >= len)
			return -ENAMETOOLONG;
		if (!exists(buf))
			return 0;
	}
	return -EEXIST;
}

/*
 * Move tmp to path without replacing anything there: rename with
 * RENAME_NOREPLACE, or where the file system cannot, link and unlink.
 * 0, -EEXIST, or another code.
 */
static int
place_new(const char *tmp, const char *path)
{
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -errno;
	if (link(tmp, path) < 0)
		return -errno;
	unlink(tmp);
	return 0;
}

/* Into place: over path, or (no_clobber) at the first free name. */
static int
place(struct get_out *out, struct skit_err *err)
{
	int rc;

	if (!out->no_clobber) {
		if (rename(out->tmp, out->target) < 0)
			return skit_err_set(err, -errno, "rename to",
					    out->path);
		return 0;
	}
	snprintf(out->final, sizeof(out->final), "%s", out->path);
	for (int i = 0; i < 1000; i++) {
		rc = place_new(out->tmp, out->final);
		if (rc != -EEXIST)
			break;
		/* Someone made it meanwhile: the next free name. */
		rc = get_free_name(out->path, out->final, sizeof(out->final));
		if (rc < 0)
			break;
	}
	if (rc < 0)
		return skit_err_set(err, rc, "save", out->final);
	out->path = out->final;
	return 0;
}

long long
get_out_size(const char *path)
{
	struct stat st;

	if (!path || stat(path, &st) || !S_ISREG(st.st_mode))
		return -1;
	return (long long)st.st_size;
}

int
get_out_open(struct get_out *out, const char *path, long long resume_from,
	     struct skit_err *err)
{
	bool progress = out->progress, no_clobber = out->no_clobber;
	struct stat st;

	memset(out, 0, sizeof(*out));
	out->progress = progress;
	out->no_clobber = no_clobber;
	out->fd = -1;
	out->path = path;
	out->target = path;
	out->expected = -1;
	out->start_ns = skit_now_ns();
	out->last_ms = now_ms();
	if (!path) {
		out->fd = STDOUT_FILENO;
		return 0;
	}
	if (resume_from > 0) {
		out->fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
		if (out->fd < 0)
			return skit_err_set(err, -errno, "open", path);
		out->appending = true;
		out->existing = resume_from;
		return 0;
	}
	/*
	 * Only a regular file (or a new name) is written beside and renamed
	 * into place. Anything else that is there already, /dev/null, a
	 * FIFO, a terminal, is written as it is, as curl and wget do: a
	 * rename would replace the device with a file. A symbolic link is
	 * followed: the file it names is replaced, the link stays.
	 */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		out->fd = open(path, O_WRONLY | O_CLOEXEC);
		if (out->fd < 0)
			return skit_err_set(err, -errno, "open", path);
		return 0;
	}
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
		if (!realpath(path, out->final))
			return skit_err_set(err, -errno, "open", path);
		out->target = out->final;
	}
	if (snprintf(out->tmp, sizeof(out->tmp), "%s.skit-XXXXXX",
		     out->target) >= (int)sizeof(out->tmp))
		return skit_err_set(err, -ENAMETOOLONG, "open", path);
	out->fd = mkostemp(out->tmp, O_CLOEXEC);
	if (out->fd < 0) {
		int e = -errno;

		out->tmp[0] = '\0';
		return skit_err_set(err, e, "create a temporary file for",
				    path);
	}
	/* A stop signal must not leave it behind (cli/stop.c). */
	cli_stop_unlink(out->tmp);
	/* mkostemp makes 0600; a download gets the usual umask mode. */
	{
		mode_t m = umask(0);

		umask(m);
		fchmod(out->fd, 0666 & ~m);
	}
	return 0;
}

int
get_out_write(struct get_out *out, const void *buf, size_t len,
	      struct skit_err *err)
{
	ssize_t n;

	if (len == 0)
		return 0;
	n = skit_write_all(out->fd, buf, len, -1);
	if (n < 0)
		return skit_err_set(err, (int)n, "write to",
				    out->path ? out->path : "stdout");
	out->written += (long long)len;
	if (out->progress) {
		long long t = now_ms();

		if (t - out->last_ms >= 200) {
			out->last_ms = t;
			get_progress(out, false);
		}
	}
	return 0;
}

int
get_out_commit(struct get_out *out, struct skit_err *err)
{
	int rc = 0;

	if (!out->path) {
		if (out->progress)
			get_progress(out, true);
		return 0;
	}
	rc = skit_close(out->fd);
	if (rc < 0)
		rc = skit_err_set(err, rc, "write to", out->path);
	out->fd = -1;
	if (rc == 0 && out->tmp[0])
		rc = place(out, err);
	if (rc < 0 && out->tmp[0])
		unlink(out->tmp);
	cli_stop_keep(out->tmp);
	out->tmp[0] = '\0';
	/* The last line names the file as it is now, saved or not. */
	if (out->progress && rc == 0)
		get_progress(out, true);
	else if (out->progress && out->bar_len)
		fputc('\n', stderr);
	return rc;
}

void
get_out_abort(struct get_out *out)
{
	if (out->progress && out->bar_len) {
		get_progress(out, false);
		fputc('\n', stderr);
	}
	if (!out->path)
		return;
	skit_close(out->fd);
	out->fd = -1;
	if (out->tmp[0])
		unlink(out->tmp);
	cli_stop_keep(out->tmp);
	out->tmp[0] = '\0';
}

/* "12.3 MiB" */
static void
human(char *buf, size_t len, double v)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%.0f %s", v, unit[u]);
	else
		snprintf(buf, len, "%.1f %s", v, unit[u]);
}

/*
 * The bar, redrawn in place: "\r", the line, and spaces over what the
 * line before it left longer. The final line ends as wget's does:
 * "'FILE' saved [DONE/TOTAL]" ("[DONE]" when the size was not known),
 * or "written to stdout [...]". The rate is over the time since the
 * response head, in ns: a small file that came in a few microseconds
 * shows the rate it came at, not 0 B/s; no byte yet: "--.- B/s".
 */
void
get_progress(struct get_out *out, bool final)
{
	long long done = out->existing + out->received;
	long long total =
		out->expected >= 0 ? out->existing + out->expected : -1;
	double secs = (double)(skit_now_ns() - out->start_ns) / 1e9;
	char dbuf[32], rbuf[32], eta[32] = "", tail[4200] = "";
	char bar[32];
	double rate = 0;
	int pct = -1, w = 20, n;

	human(dbuf, sizeof(dbuf), (double)done);
	if (out->received > 0 && secs > 0) {
		rate = (double)out->received / secs;
		human(rbuf, sizeof(rbuf), rate);
	} else {
		snprintf(rbuf, sizeof(rbuf), "--.- B");
	}
	if (total > 0) {
		int fill;

		pct = (int)(done * 100 / total);
		if (pct > 100)
			pct = 100;
		fill = pct * w / 100;
		memset(bar, '=', (size_t)fill);
		if (fill < w)
			bar[fill] = '>';
		memset(bar + fill + 1, ' ',
		       (size_t)(w > fill ? w - fill - 1 : 0));
		bar[w] = '\0';
		if (!final && rate > 0)
			snprintf(eta, sizeof(eta), "  eta %.0fs",
				 (double)(total - done) / rate);
	}
	if (final) {
		char size[64];

		if (total >= 0)
			snprintf(size, sizeof(size), "[%lld/%lld]", done,
				 total);
		else
			snprintf(size, sizeof(size), "[%lld]", done);
		if (out->path)
			snprintf(tail, sizeof(tail), "  '%s' saved %s",
				 out->path, size);
		else
			snprintf(tail, sizeof(tail), "  written to stdout %s",
				 size);
	}
	if (pct >= 0)
		n = fprintf(stderr, "\r%3d%% [%s] %s  %s/s%s%s", pct, bar, dbuf,
			    rbuf, eta, tail);
	else
		n = fprintf(stderr, "\r%s  %s/s%s", dbuf, rbuf, tail);
	/* Blank what the longer line before this one would leave. */
	if (n >= 0 && n < out->bar_len)
		fprintf(stderr, "%*s", out->bar_len - n, "");
	if (n >= 0 && n > out->bar_len)
		out->bar_len = n;
	if (final)
		fputc('\n', stderr);
	fflush(stderr);
}
