/*
 * skit/frame.h - framing: where messages start and end in a byte
 * stream, and what goes in front of a message written to one. Three
 * ways to use it, one implementation (src/layer/frame.c):
 *
 *  - the codec: pure functions, no I/O, no allocation
 *    (skit_frame_next, skit_frame_hdr);
 *  - the framing layer (skit_layer_frame): on a conn over a message
 *    socket, it offers a byte stream above; the relay puts it on the
 *    message end of a pair whose other end is a stream;
 *  - stdio helpers for the CLI: a reader that cuts an fd's byte stream
 *    into messages, and a writer of one framed message to an fd.
 */
#ifndef SKIT_FRAME_H
#define SKIT_FRAME_H

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "skit/conn.h"

/*
 * Framing between a byte stream and a message side. Every framing
 * carries any byte stream byte-exact from one skit end to another:
 * what the sender cuts into messages, the receiver writes back as it
 * was.
 *  RAW    what one send gave is one message (at most
 *         SKIT_FRAME_MSG_MAX bytes: more is cut into several); a
 *         message is written to the stream as its bytes.
 *  LINE   one message per line, the line's "\n" included: an empty line
 *         is the message "\n" (never an empty message, which reads as
 *         EOF on seqpacket); a run of SKIT_FRAME_MSG_MAX bytes without
 *         "\n" is sent as a message of that size and the line goes on in
 *         the next one; at EOF the last bytes without "\n" are a message
 *         as they are, and so are those of a line the stream leaves
 *         unfinished for 100 ms (a prompt; a child answering datagrams,
 *         which never say EOF). A message is written to the stream as
 *         its bytes (verbatim, like nc and socat): one that does not end
 *         in "\n" is not given one.
 *  LEN32  a 4-byte big-endian length, then that many bytes.
 *  LEN16  a 2-byte big-endian length, then that many bytes (DNS over
 *         TCP style).
 */
enum skit_framing {
	SKIT_FRAMING_RAW = 0,
	SKIT_FRAMING_LINE,
	SKIT_FRAMING_LEN32,
	SKIT_FRAMING_LEN16,
};

/*
 * The largest RAW or LINE message: the largest UDP payload, so that any
 * such message fits any datagram socket.
 */
#define SKIT_FRAME_MSG_MAX 65507

/* --- the codec ---------------------------------------------------------- */

/*
 * skit_frame_next: the next message in buf[0..len) of a byte stream
 * framed with f. eof: no more bytes will follow buf. max: the largest
 * message the caller can take (RAW and LINE messages are also never
 * longer than SKIT_FRAME_MSG_MAX; must be > 0). Returns 1 with *msg and
 * *n (the payload, pointing into buf) and *used (the bytes of buf it
 * took, header included); 0 when there is no complete message yet (or
 * len is 0); SKIT_ELIMIT for a length header over max; SKIT_ETRUNC when
 * eof cuts a length-framed message short; -EINVAL for a bad f or max.
 */
int skit_frame_next(enum skit_framing f, const char *buf, size_t len, bool eof,
		    size_t max, const char **msg, size_t *n, size_t *used);

/* The header in front of each message on the stream side: 4, 2 or 0. */
size_t skit_frame_hdr_len(enum skit_framing f);

/*
 * Write into hdr (skit_frame_hdr_len(f) bytes) the header for an n-byte
 * message written to a stream. Returns the header's length, or
 * SKIT_ELIMIT when n does not fit the length field (LEN16 over 65535).
 * Nothing follows a message: LINE and RAW messages are written as they
 * are.
 */
int skit_frame_hdr(enum skit_framing f, size_t n, unsigned char *hdr);

/* Parse "raw", "line", "len" (= len32), "len32", "len16". 0 or -EINVAL. */
int skit_framing_parse(const char *s, enum skit_framing *out);
const char *skit_framing_name(enum skit_framing f);

/* --- the framing layer ------------------------------------------------ */

/*
 * The longest message by default (skit_frame_cfg.max_msg = 0): a
 * 256 KiB buffer (the relay's default) holds it with its header, so
 * the layer receives straight into it.
 */
#define SKIT_FRAME_DEFAULT_MAX (256 * 1024 - 4)

struct skit_frame_cfg {
	enum skit_framing framing;
	/*
	 * The longest message either way (0 = SKIT_FRAME_DEFAULT_MAX): a
	 * length header over it is SKIT_ELIMIT; a message received that is
	 * longer is dropped.
	 */
	size_t max_msg;
	/*
	 * LINE: a line left unfinished this long is sent as it is (needs
	 * the conn's loop). 0 = 100 ms, < 0 = never.
	 */
	int64_t quiet_ms;
};

/*
 * framing (cfg: struct skit_frame_cfg): messages below, a byte stream
 * above.
 *
 * send cuts the stream into messages with the codec. Complete messages
 * are sent straight from the caller's buffer (a length header is
 * skipped, not copied); only a message the caller has not finished is
 * copied into the layer, which takes it (send returns it as sent) and
 * sends it once complete. A message the kernel refuses for its size or
 * for a peer that is not there (EMSGSIZE, ENOBUFS, a datagram's
 * ECONNREFUSED) is dropped and counted (dropped_out), as datagrams are.
 * An empty message is never sent on seqpacket (it reads as EOF there).
 * A bad length header is SKIT_ELIMIT (from send, and then every call).
 *
 * recv gives one message per call, its header written in front, straight
 * into the caller's buffer when it holds max_msg plus the header; a
 * smaller buffer gets it in pieces through the layer. A message longer
 * than max_msg, or than LEN16 can say, is dropped: recv returns
 * -EMSGSIZE (counted in dropped_in) and the caller calls again. An
 * empty message gives nothing under LINE and RAW (it is counted).
 *
 * shutdown sends what is left as the last message (LINE, RAW) or fails
 * with SKIT_ETRUNC when a length-framed message was cut short, then
 * shuts down the socket.
 */
extern const struct skit_layer_ops skit_layer_frame;

/* --- stdio helpers ---------------------------------------------------- */

/*
 * A reader that cuts the byte stream of an fd (stdin) into messages.
 * max: the longest length-framed message (0 = SKIT_FRAME_DEFAULT_MAX);
 * the buffer holds it.
 */
struct skit_frame_reader {
	int fd;
	size_t max;
	char *buf;
	size_t cap, start, end;
	bool eof;
};

/* 0 or -ENOMEM. */
int skit_frame_reader_init(struct skit_frame_reader *r, int fd, size_t max);
void skit_frame_reader_free(struct skit_frame_reader *r);

/*
 * The next message: 1 with *msg and *len pointing into the reader's
 * buffer (valid until the next call), 0 at EOF, or a negative code
 * (SKIT_ETRUNC: EOF inside a len-framed message; SKIT_ELIMIT: a
 * len-framed message longer than max; a read error). Blocks until a
 * message is complete.
 */
int skit_frame_reader_next(struct skit_frame_reader *r, enum skit_framing f,
			   const char **msg, size_t *len);

/*
 * Without blocking: 1 and the next complete message when one is
 * buffered, 0 when more input is needed (or at EOF), or a negative
 * code. skit_frame_reader_fill reads once (it blocks only when the fd
 * is blocking and has nothing to read): 1 got bytes, 0 EOF, or a
 * negative code.
 */
int skit_frame_reader_take(struct skit_frame_reader *r, enum skit_framing f,
			   const char **msg, size_t *len);
int skit_frame_reader_fill(struct skit_frame_reader *r);

/*
 * Write one message to fd framed with f, in one write (so writers that
 * share the fd do not interleave): a length header for len and len16,
 * else the bytes as they are. eol NULL: nothing more (a byte stream:
 * what the sender cut comes back byte for byte). eol "\n" or "\r\n":
 * for a reader's eyes under LINE, a message that does not end in "\n"
 * is followed by eol. Blocks until written. Returns 0, SKIT_ELIMIT (too
 * long for LEN16), or a negative code.
 */
int skit_frame_write(int fd, enum skit_framing f, const char *eol,
		     const void *msg, size_t len);

#ifdef __cplusplus
}
#endif

#endif
