#!/usr/bin/env python3
# ct-hostile.py - hostile clients of a supervisor's control socket, for ct-hostile.sh.
# usage: ct-hostile.py flood|pipeline|idle SOCKET [N]
# Prints "ready ..." once the attack is in place, then keeps it up until killed.
import socket
import sys
import time


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s


def ready(what):
    print("ready", what, flush=True)


def send_some(s, data):
    """Send what the peer takes within 2 s without blocking; returns the bytes sent, or -1
    once the supervisor has dropped us (what a fixed one does to such a client)."""
    s.setblocking(False)
    sent, idle_since = 0, time.time()
    while sent < len(data) and time.time() - idle_since < 2:
        try:
            n = s.send(data[sent:sent + 65536])
            sent += n
            idle_since = time.time()
        except BlockingIOError:
            time.sleep(0.01)
        except OSError:
            return -1
    return sent


def hold():
    while True:
        time.sleep(1)


def flood(path):
    """Attach to the console, then type into a terminal nobody reads, never reading back."""
    s = connect(path)
    s.sendall(b'{"op":"console"}\n')
    s.recv(1)  # the reply has begun: we are in console mode
    chunk = b"echo flood\n" * 6000  # whole lines: a full line buffer only drops partial ones
    sent = send_some(s, chunk * 16)
    ready("flooded %d bytes" % sent)
    while sent >= 0:  # keep pushing whatever the supervisor accepts
        n = send_some(s, chunk)
        sent = n if n < 0 else sent + n
    hold()


def pipeline(path, n):
    """Thousands of requests in a row, never reading one reply."""
    s = connect(path)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sent = send_some(s, b'{"op":"status"}\n' * n)
    ready("pipelined %s of %d requests" % ("until dropped" if sent < 0 else "%d bytes" % sent, n))
    hold()


def idle(path, n):
    """Hold n connections open and say nothing."""
    held = []
    for _ in range(n):
        try:
            held.append(connect(path))
        except OSError as e:
            print("connect failed:", e, flush=True)
            break
    ready("holding %d idle connections" % len(held))
    hold()


def main():
    mode, path = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    if mode == "flood":
        flood(path)
    elif mode == "pipeline":
        pipeline(path, n or 20000)
    elif mode == "idle":
        idle(path, n or 40)
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
