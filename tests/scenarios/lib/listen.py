#!/usr/bin/python3
# listen.py N FILE [ADDR]: listen on N free ports on ADDR (default
# 127.0.0.1; an IPv6 address listens on IPv6 only), write them to FILE
# (space separated) and serve until killed.
#
# LISTEN_MODE says how a connection is served:
#   smb     (default) a stand-in smbd: each NetBIOS frame read gets an
#           SMB2 NEGOTIATE response (status 0, dialect 0x02ff)
#   silent  never accept (the kernel still queues connections)
#   close   accept and close at once
#   http    answer "HTTP/1.0 400 Bad Request" and close
import os, selectors, signal, socket, struct, sys, time

n, out = int(sys.argv[1]), sys.argv[2]
addr = sys.argv[3] if len(sys.argv) > 3 else "127.0.0.1"
mode = os.environ.get("LISTEN_MODE", "smb")
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
os.rename(out + ".tmp", out)
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))

# MS-SMB2 2.2.1.2 header (response flag set), 2.2.4 NEGOTIATE response
hdr = b"\xfeSMB" + struct.pack("<HHIHHIIQIIQ16s", 64, 0, 0, 0, 1, 1, 0, 0,
                               0, 0, 0, b"")
body = struct.pack("<HHH", 65, 1, 0x02ff) + bytes(58)
reply = struct.pack(">I", len(hdr + body)) + hdr + body

if mode == "silent":
    while True:
        time.sleep(60)

# selectors (epoll): select() cannot watch descriptors past 1023, and
# checksamba.scale.001 listens on 10,000 ports
sel = selectors.DefaultSelector()
for s in socks:
    sel.register(s, selectors.EVENT_READ)
bufs = {}
while True:
    for key, _ in sel.select():
        s = key.fileobj
        if s in socks:
            try:
                c, _ = s.accept()
                if mode == "close":
                    c.close()
                elif mode == "http":
                    c.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n")
                    c.close()
                else:
                    bufs[c] = b""
                    sel.register(c, selectors.EVENT_READ)
            except OSError:
                pass
            continue
        try:
            data = s.recv(65536)
        except OSError:
            data = b""
        if not data:
            del bufs[s]
            sel.unregister(s)
            s.close()
            continue
        bufs[s] += data
        b = bufs[s]
        while len(b) >= 4 and len(b) >= 4 + (struct.unpack(">I", b[:4])[0]
                                              & 0xffffff):
            b = b[4 + (struct.unpack(">I", b[:4])[0] & 0xffffff):]
            try:
                s.sendall(reply)
            except OSError:
                b = b""
        bufs[s] = b
