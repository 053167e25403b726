#!/usr/bin/env python3
"""Hold N established loopback TCP connections for the benchmark.

usage: conns.py PORT N READY_FILE [MAX_SECONDS]

Listens on 127.0.0.1:PORT, opens N client connections to it and accepts
each (2*N ESTABLISHED sockets in all), then writes the number it holds
to READY_FILE and waits until its parent goes away, it is signalled, or
MAX_SECONDS (default 600) pass.  Exit 1 with a message when it cannot.
"""
import os
import resource
import socket
import sys
import time


def main():
    port, n, ready = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    max_s = float(sys.argv[4]) if len(sys.argv) > 4 else 600.0
    need = 2 * n + 64
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        if hard != resource.RLIM_INFINITY and hard < need:
            hard = need
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
    parent = os.getppid()
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(1024)
    held = []
    for _ in range(n):
        c = socket.create_connection(("127.0.0.1", port), timeout=5)
        s, _ = ls.accept()
        held.append((c, s))
    with open(ready + ".tmp", "w") as f:
        f.write("%d\n" % len(held))
    os.rename(ready + ".tmp", ready)
    end = time.monotonic() + max_s
    while time.monotonic() < end and os.getppid() == parent:
        time.sleep(0.2)


if __name__ == "__main__":
    try:
        main()
    except (OSError, ValueError, IndexError) as e:
        print("conns.py: %s" % e, file=sys.stderr)
        sys.exit(1)
