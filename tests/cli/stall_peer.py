#!/usr/bin/env python3
"""tests/cli/stall_peer.py - peers that stop cooperating, for signals.bats
(not a test itself). Each binds on loopback (port 0) or the path given,
prints "listening on ADDRESS" on stderr like skit -v, and runs until it
is killed (at most 120 s).

  stall_peer.py tcp-hold            accept every connection and keep it,
                                    never reading: senders fill the
                                    buffers and block
  stall_peer.py tcp-backlog         a listener whose accept queue is
                                    full: a new connect() waits (its
                                    SYNs are dropped)
  stall_peer.py udp-silent          a bound UDP socket that never answers
  stall_peer.py unix-hold PATH      like tcp-hold on a unix stream socket
  stall_peer.py unix-dgram-silent PATH
                                    a unix datagram socket never read:
                                    once its queue is full a sender
                                    blocks
  stall_peer.py tcp-reset           accept, read a little, then reset the
                                    connection (RST); keeps accepting
  stall_peer.py unix-backlog PATH   a unix stream listener whose queue is
                                    full: a new connect() finds no room
                                    (EAGAIN when nonblocking)
"""
import socket
import struct
import sys
import threading
import time

LIFETIME = 120.0


def say(addr):
    sys.stderr.write("listening on %s\n" % addr)
    sys.stderr.flush()


def accept_each(listener, take):
    """Accept connections for LIFETIME, handing each to take()."""
    end = time.monotonic() + LIFETIME
    listener.settimeout(0.5)
    while time.monotonic() < end:
        try:
            c, _ = listener.accept()
        except socket.timeout:
            continue
        take(c)


def hold_forever(listener):
    held = []
    accept_each(listener, held.append)


def tcp_listener(backlog=16):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen(backlog)
    return s, "tcp:127.0.0.1:%d" % s.getsockname()[1]


def tcp_hold():
    s, addr = tcp_listener()
    say(addr)
    hold_forever(s)


def tcp_backlog():
    s, addr = tcp_listener(0)
    # With a backlog of 0 one queued connection fills the accept queue.
    filler = socket.create_connection(s.getsockname())
    say(addr)
    time.sleep(LIFETIME)
    filler.close()


def unix_backlog(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(0)
    # With a backlog of 0 one queued connection fills the queue.
    filler = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    filler.connect(path)
    say("unix:" + path)
    time.sleep(LIFETIME)
    filler.close()


def udp_silent():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    say("udp:127.0.0.1:%d" % s.getsockname()[1])
    time.sleep(LIFETIME)


def unix_hold(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(16)
    say("unix:" + path)
    hold_forever(s)


def unix_dgram_silent(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    say("unix-dgram:" + path)
    time.sleep(LIFETIME)


def reset(c):
    try:
        c.settimeout(5)
        c.recv(100)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     struct.pack("ii", 1, 0))
    except OSError:
        pass
    c.close()


def tcp_reset():
    s, addr = tcp_listener()
    say(addr)
    accept_each(s, lambda c: threading.Thread(target=reset, args=(c,),
                                              daemon=True).start())


def main():
    modes = {
        "tcp-hold": tcp_hold,
        "tcp-backlog": tcp_backlog,
        "udp-silent": udp_silent,
        "unix-hold": unix_hold,
        "unix-dgram-silent": unix_dgram_silent,
        "tcp-reset": tcp_reset,
        "unix-backlog": unix_backlog,
    }
    if len(sys.argv) < 2 or sys.argv[1] not in modes:
        sys.exit(__doc__)
    modes[sys.argv[1]](*sys.argv[2:])


if __name__ == "__main__":
    main()
