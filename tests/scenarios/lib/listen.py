#!/usr/bin/python3
# listen.py N FILE: listen on N free ports on 127.0.0.1, write them to
# FILE (space separated) and wait until killed.
import signal, socket, sys, time

n, out = int(sys.argv[1]), sys.argv[2]
socks = []
for _ in range(n):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    socks.append(s)
with open(out + ".tmp", "w") as f:
    f.write(" ".join(str(s.getsockname()[1]) for s in socks) + "\n")
import os
os.rename(out + ".tmp", out)
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
while True:
    time.sleep(60)
