#!/usr/bin/python3
# listen.py N FILE [ADDR]: listen on N free ports on ADDR (default
# 127.0.0.1; an IPv6 address listens on IPv6 only), write them to FILE
# (space separated) and wait until killed.
import signal, socket, sys, time

n, out = int(sys.argv[1]), sys.argv[2]
addr = sys.argv[3] if len(sys.argv) > 3 else "127.0.0.1"
family = socket.AF_INET6 if ":" in addr else socket.AF_INET
socks = []
for _ in range(n):
    s = socket.socket(family)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, 0))
    s.listen(8)
    socks.append(s)
with open(out + ".tmp", "w") as f:
    f.write(" ".join(str(s.getsockname()[1]) for s in socks) + "\n")
import os
os.rename(out + ".tmp", out)
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
while True:
    time.sleep(60)
