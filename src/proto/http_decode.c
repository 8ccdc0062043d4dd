/*
 * http_decode.c - undo a body's content codings (gzip, deflate) as the
 * bytes arrive, through zlib (include/skit/http.h).
 *
 * One stage per coding, each a zlib inflate stream. Stage 0 undoes the
 * coding the server applied last and reads the caller's bytes; each
 * later stage reads the one before it through a small buffer, and the
 * last one writes into the caller's buffer. Nothing is ever held whole:
 * memory is fixed (zlib's window plus one buffer per stage) whatever
 * the body's size.
 */
#include "skit/http.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define MID_SIZE 16384 /* bytes between two stages */

struct stage {
	enum skit_coding coding;
	z_stream z;
	bool init;	/* inflateInit2 done */
	bool ended;	/* the stream (or gzip member) ended */
	bool fed;	/* at least one byte came in */
	bool member;	/* in a gzip member after the first */
	uint8_t hdr[2]; /* deflate: the first two bytes decide zlib or bare */
	unsigned nhdr, hdr_off;
	uint8_t mid[MID_SIZE]; /* output for the next stage (not the last) */
	size_t mid_off, mid_len;
};

struct skit_http_decoder {
	unsigned n;
	unsigned long long in, out;
	struct stage st[SKIT_CODINGS_MAX];
};

static int
corrupt(struct skit_err *err, const struct stage *s, const char *why)
{
	return skit_err_setf(err, SKIT_ECODING, "decode", "", 0,
			     "corrupt %s data (%s)",
			     skit_coding_name(s->coding), why ? why : "?");
}

static int
after_end(struct skit_err *err, const struct stage *s)
{
	return skit_err_setf(err, SKIT_ECODING, "decode", "", 0,
			     "bytes after the end of the %s data",
			     skit_coding_name(s->coding));
}

/*
 * RFC 1950 section 2.2: a zlib stream starts with CMF (method 8, window
 * up to 32 KiB) and FLG, and CMF*256+FLG is a multiple of 31. A bare
 * deflate stream matches by chance in too few cases to matter; zlib
 * and browsers tell the two apart the same way.
 */
static bool
zlib_header(const uint8_t *h)
{
	return (h[0] & 0x0f) == 8 && (h[0] >> 4) <= 7 &&
	       ((unsigned)h[0] << 8 | h[1]) % 31 == 0;
}

/* One inflate call on in[0..len) into out[0..cap). */
static int
inflate_some(struct stage *s, const uint8_t *in, size_t len, size_t *used,
	     uint8_t *out, size_t cap, size_t *made, struct skit_err *err)
{
	uInt ilen = len > UINT_MAX ? UINT_MAX : (uInt)len;
	uInt olen = cap > UINT_MAX ? UINT_MAX : (uInt)cap;
	int zr;

	s->z.next_in = (Bytef *)(uintptr_t)in; /* zlib does not write it */
	s->z.avail_in = ilen;
	s->z.next_out = out;
	s->z.avail_out = olen;
	zr = inflate(&s->z, Z_NO_FLUSH);
	*used = ilen - s->z.avail_in;
	*made = olen - s->z.avail_out;
	switch (zr) {
	case Z_OK:
	case Z_BUF_ERROR: /* no progress possible: wants input or room */
		return 0;
	case Z_STREAM_END:
		s->ended = true;
		s->member = false;
		return 0;
	case Z_NEED_DICT:
		return corrupt(err, s, "needs a preset dictionary");
	case Z_MEM_ERROR:
		return skit_err_set(err, -ENOMEM, "decode", "");
	default:
		/*
		 * What follows a gzip member either is another member or
		 * is not gzip at all: a bad fixed header (10 bytes, RFC
		 * 1952 section 2.3) there is junk after the end.
		 */
		if (s->member && s->z.total_in <= 10)
			return after_end(err, s);
		return corrupt(err, s, s->z.msg);
	}
}

/* Start the zlib stream; a deflate stage first needs two bytes. */
static int
stage_start(struct stage *s, const uint8_t *in, size_t len, size_t *used,
	    struct skit_err *err)
{
	int wbits = 16 + MAX_WBITS; /* gzip only */

	if (s->coding == SKIT_CODING_DEFLATE) {
		while (s->nhdr < 2 && *used < len)
			s->hdr[s->nhdr++] = in[(*used)++];
		if (s->nhdr < 2)
			return 0;
		wbits = zlib_header(s->hdr) ? MAX_WBITS : -MAX_WBITS;
	}
	if (inflateInit2(&s->z, wbits) != Z_OK)
		return skit_err_set(err, -ENOMEM, "decode", "");
	s->init = true;
	return 0;
}

/*
 * Run one stage on in[0..len) into out[0..cap): *used bytes consumed,
 * *made written. Stops when in is used up or out is full.
 */
static int
stage_run(struct stage *s, const uint8_t *in, size_t len, size_t *used,
	  uint8_t *out, size_t cap, size_t *made, struct skit_err *err)
{
	size_t u, m;
	int rc;

	*used = *made = 0;
	if (len)
		s->fed = true;
	if (!s->init) {
		rc = stage_start(s, in, len, used, err);
		if (rc < 0 || !s->init)
			return rc;
	}
	/* The two bytes a deflate stage kept to choose its format. */
	while (s->hdr_off < s->nhdr && !s->ended && *made < cap) {
		rc = inflate_some(s, s->hdr + s->hdr_off, s->nhdr - s->hdr_off,
				  &u, out + *made, cap - *made, &m, err);
		if (rc < 0)
			return rc;
		s->hdr_off += (unsigned)u;
		*made += m;
		if (!u && !m)
			break;
	}
	if (s->hdr_off < s->nhdr && !s->ended)
		return 0; /* out is full: in waits for the kept bytes */
	for (;;) {
		if (s->ended) {
			if (*used == len && s->hdr_off == s->nhdr)
				return 0;
			if (s->coding != SKIT_CODING_GZIP)
				return after_end(err, s);
			/*
			 * RFC 1952 section 2.2: members may follow. One
			 * starts with 0x1f; any other byte is junk now.
			 */
			if (in[*used] != 0x1f)
				return after_end(err, s);
			inflateReset(&s->z);
			s->ended = false;
			s->member = true;
		}
		if (*made == cap)
			return 0;
		rc = inflate_some(s, in + *used, len - *used, &u, out + *made,
				  cap - *made, &m, err);
		if (rc < 0)
			return rc;
		*used += u;
		*made += m;
		if (!s->ended && (!u && !m))
			return 0;
		if (!s->ended && *used == len)
			return 0;
	}
}

int
skit_http_decoder_init(struct skit_http_decoder **out,
		       const struct skit_http_codings *c, struct skit_err *err)
{
	struct skit_http_decoder *d;

	*out = NULL;
	if (c->n == 0 || c->n > SKIT_CODINGS_MAX)
		return skit_err_setf(err, SKIT_ECODING, "decode", "", 0,
				     "%u content codings (1 to %d decoded)",
				     c->n, SKIT_CODINGS_MAX);
	d = calloc(1, sizeof(*d));
	if (!d)
		return skit_err_set(err, -ENOMEM, "decode", "");
	d->n = c->n;
	/* The coding applied last is undone first. */
	for (unsigned i = 0; i < c->n; i++)
		d->st[i].coding = c->coding[c->n - 1 - i];
	*out = d;
	return 0;
}

/* Make room at the end of a stage's buffer. */
static void
mid_compact(struct stage *s)
{
	if (s->mid_off == s->mid_len) {
		s->mid_off = s->mid_len = 0;
	} else if (s->mid_len == MID_SIZE && s->mid_off) {
		memmove(s->mid, s->mid + s->mid_off, s->mid_len - s->mid_off);
		s->mid_len -= s->mid_off;
		s->mid_off = 0;
	}
}

int
skit_http_decoder_feed(struct skit_http_decoder *d, const void *in, size_t len,
		       size_t *used, void *out, size_t cap, size_t *out_len,
		       struct skit_err *err)
{
	const uint8_t *src0 = in;
	uint8_t *dst0 = out;
	bool moved = true;

	*used = *out_len = 0;
	/*
	 * Pass over the stages until a pass moves nothing or out is full.
	 * Each stage that has input and room always moves something, so
	 * a pass that moves nothing means every stage wants more input.
	 */
	while (moved && *out_len < cap) {
		moved = false;
		for (unsigned i = 0; i < d->n; i++) {
			struct stage *s = &d->st[i], *prev = i ? s - 1 : NULL;
			bool last = i == d->n - 1;
			const uint8_t *src;
			uint8_t *dst;
			size_t slen, dcap, u, m;
			int rc;

			if (prev) {
				src = prev->mid + prev->mid_off;
				slen = prev->mid_len - prev->mid_off;
			} else {
				src = src0 + *used;
				slen = len - *used;
			}
			if (last) {
				dst = dst0 + *out_len;
				dcap = cap - *out_len;
			} else {
				mid_compact(s);
				dst = s->mid + s->mid_len;
				dcap = MID_SIZE - s->mid_len;
			}
			if (dcap == 0)
				continue;
			rc = stage_run(s, src, slen, &u, dst, dcap, &m, err);
			if (rc < 0)
				return rc;
			if (prev)
				prev->mid_off += u;
			else
				*used += u;
			if (last)
				*out_len += m;
			else
				s->mid_len += m;
			moved = moved || u || m;
		}
	}
	d->in += *used;
	d->out += *out_len;
	return 0;
}

int
skit_http_decoder_finish(struct skit_http_decoder *d, struct skit_err *err)
{
	for (unsigned i = 0; i < d->n; i++) {
		const struct stage *s = &d->st[i];

		/* A stage that got no byte: an empty body is empty. */
		if (s->fed && !s->ended)
			return skit_err_setf(err, SKIT_ETRUNC, "decode", "", 0,
					     "the body ended inside the %s "
					     "data",
					     skit_coding_name(s->coding));
	}
	return 0;
}

void
skit_http_decoder_totals(const struct skit_http_decoder *d,
			 unsigned long long *in, unsigned long long *out)
{
	*in = d->in;
	*out = d->out;
}

void
skit_http_decoder_free(struct skit_http_decoder *d)
{
	if (!d)
		return;
	for (unsigned i = 0; i < d->n; i++)
		if (d->st[i].init)
			inflateEnd(&d->st[i].z);
	free(d);
}
