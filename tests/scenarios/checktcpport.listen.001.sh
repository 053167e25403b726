#!/bin/bash
# checktcpport (spec 2): exit 98 when something listens, on IPv4 or on
# an IPv6 address only, 0 when nothing does; -v names the addresses
# and the method (netlink here).
. "$(dirname "$0")/lib/unit.sh"

setup

define_test "a listener on 127.0.0.1: 98, silent"
listen_ports 2
required_result 98 ""
command_test checktcpport "$PORT1"

define_test "-v: the listening address, what decided, queue and backlog"
required_result 98 "port $PORT2: listening on 127.0.0.1:$PORT2 (netlink)
  127.0.0.1:$PORT2: accept queue 0, backlog 8"
command_test checktcpport -v "$PORT2"
command_test checktcpport "$PORT2" --verbose

define_test "-v: clients the listener does not accept wait in its queue"
kill -STOP "$LISTENER_PID"
python3 -c 'import socket,sys,time; a=[socket.create_connection(("127.0.0.1",int(sys.argv[1]))) for _ in range(3)]; time.sleep(30)' "$PORT2" &
client=$!
for _ in $(seq 50); do
	[ -n "$(ss -Hltn "( sport = :$PORT2 )" | awk '$2 == 3')" ] && break
	sleep 0.05
done
required_result 98 "port $PORT2: listening on 127.0.0.1:$PORT2 (netlink)
  127.0.0.1:$PORT2: accept queue 3, backlog 8"
command_test checktcpport -v "$PORT2"
kill "$client"
wait "$client" 2>/dev/null
kill -CONT "$LISTENER_PID"

define_test "the listener gone: 0, silent"
free=$PORT1
stop_listeners
ok_null
command_test checktcpport "$free"
required_result 0 "port $free: nothing listens (netlink)"
command_test checktcpport -v "$free"

define_test "a listener on [::1] only: 98 (the stock bind probe misses it)"
if python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' \
	2>/dev/null; then
	listen_ports 1 ::1
	required_result 98 "port $PORT1: listening on [::1]:$PORT1 (netlink)
  [::1]:$PORT1: accept queue 0, backlog 8"
	command_test checktcpport -v "$PORT1"
	stop_listeners
else
	echo "# skipped: no IPv6 on loopback"
fi

define_test "a port held by a connection only is not listening"
conn="$SB/conn"
python3 - "$conn" <<'EOT' &
import os, signal, socket, sys, time
l = socket.socket()
l.bind(("127.0.0.1", 0))
l.listen(1)
c = socket.create_connection(l.getsockname())
a, _ = l.accept()
port = l.getsockname()[1]
l.close()
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % port)
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
signal.signal(signal.SIGTERM, lambda *x: sys.exit(0))
while True:
    time.sleep(60)
EOT
CONN_PID=$!
for _ in $(seq 1 100); do
	[ -s "$conn" ] && break
	sleep 0.05
done
port=$(cat "$conn")
required_result 0 "port $port: nothing listens (netlink)"
command_test checktcpport -v "$port"
kill "$CONN_PID"
wait "$CONN_PID" 2>/dev/null

finish
