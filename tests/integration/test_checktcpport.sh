#!/bin/bash
# checktcpport against real listeners, side by side with the stock tool
# (spec 2): smbd up = 98, down = 0; a listener on ::1 only (IPV6_V6ONLY)
# is listening, which the stock AF_INET bind probe misses.
. "$(dirname "$0")/lib/sandbox.sh"
sb_init
sb_smbconf_write
sb_smbd_start || { not_ok "smbd starts"; sb_done; }

t_run "$SB_FRONTEND" checktcpport "$SB_P1"
t_rc "smbd up: checktcpport P1 exits 98" 98
t_run "$SB_FRONTEND" checktcpport "$SB_P2"
t_rc "smbd up: checktcpport P2 exits 98" 98
t_run "$SB_FRONTEND" checktcpport -v "$SB_P1"
t_rc "smbd up: checktcpport -v P1 exits 98" 98
t_contains "smbd up: -v lists 127.0.0.1" "127.0.0.1"
t_run /usr/bin/ctdb checktcpport "$SB_P1"
t_rc "smbd up: stock tool agrees (98)" 98
sb_smbd_stop
t_run "$SB_FRONTEND" checktcpport "$SB_P1"
t_rc "smbd down: checktcpport P1 exits 0" 0
t_run /usr/bin/ctdb checktcpport "$SB_P1"
t_rc "smbd down: stock tool agrees (0)" 0

# IPv6-only listener
P6=$(sb_free_port)
"$SB_PY" -c '
import socket, sys, time
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
s.bind(("::1", int(sys.argv[1])))
s.listen(5)
open(sys.argv[2], "w").write("ready\n")
time.sleep(60)
' "$P6" "$SB/v6.ready" 9>&- &
V6PID=$!
for _ in $(seq 50); do [ -s "$SB/v6.ready" ] && break; sleep 0.1; done
t_run "$SB_FRONTEND" checktcpport "$P6"
t_rc "listener on [::1] only: checktcpport exits 98" 98
t_run /usr/bin/ctdb checktcpport "$P6"
if [ "$T_RC" = 0 ]; then
	ok "listener on [::1] only: stock tool misses it (exit 0), as spec 2 says"
else
	ok "listener on [::1] only: stock tool exit $T_RC (informational)"
fi
sb_stop_pid "$V6PID"

t_run "$SB_FRONTEND" checktcpport 0
t_rc "port 0: exit 22" 22
t_run "$SB_FRONTEND" checktcpport 65536
t_rc "port 65536: exit 22" 22
t_run "$SB_FRONTEND" checktcpport "+$SB_P1"
t_rc "port +N: exit 22" 22
t_contains "port +N: message names the argument" "+$SB_P1"
t_run "$SB_FRONTEND" checktcpport
t_rc "no port: exit 22" 22
sb_done
