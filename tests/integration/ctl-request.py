#!/usr/bin/env python3
"""ctl-request.py SOCKET LINE - send one raw request line to a daemon's control socket and print
the reply line: tests use it to send what no virtdeck client would (out-of-range values)."""
import socket
import sys

s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
buf = b""
while not buf.endswith(b"\n"):
    chunk = s.recv(4096)
    if not chunk:
        break
    buf += chunk
print(buf.decode().strip())
