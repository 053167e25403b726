#!/bin/bash
# smbd stopped while a client connection lingers (spec 2): the server side
# of the connection stays bound to the port (FIN-WAIT-2 while the client
# has not closed, for tcp_fin_timeout = 60 s; then TIME-WAIT), so the
# stock tool's bind probe (no SO_REUSEADDR) still gets EADDRINUSE and
# reports the dead smbd as listening.  Ours must fail at once.
. "$(dirname "$0")/lib/sandbox.sh"
sb_require_cmds socat ss
sb_init
sb_smbconf_write
sb_smbd_start || { not_ok "smbd starts"; sb_done; }
M=CTDB_MANAGES_SAMBA=yes

# a client that connects and then just holds the connection open
"$SB_PY" -c '
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
open(sys.argv[2], "w").write("%d\n" % s.getsockname()[1])
time.sleep(120)
' "$SB_P1" "$SB/client.port" 9>&- &
CLIENT=$!
for _ in $(seq 50); do [ -s "$SB/client.port" ] && break; sleep 0.1; done
CPORT=$(cat "$SB/client.port" 2>/dev/null)
check "client connected to smbd" test -n "$CPORT"
states()
{
	ss -Htan "( sport = :$SB_P1 )" | awk '{print $1}' | sort -u | tr '\n' ' '
}
check "server side ESTAB while smbd runs" grep -q ESTAB <<<"$(states)"

sb_smbd_stop
S=$(states)
echo "# sockets on port $SB_P1 after smbd stopped: $S"
if grep -q LISTEN <<<"$S"; then
	not_ok "nothing listens on P1 after smbd stopped" "$(ss -tanp "( sport = :$SB_P1 )")"
else
	ok "nothing listens on P1 after smbd stopped"
fi
check "server side lingers (FIN-WAIT-2) while the client holds" \
	grep -q FIN-WAIT-2 <<<"$S"

T0=$(date +%s%N)
t_run /usr/bin/ctdb checktcpport "$SB_P1"
t_rc "lingering FIN-WAIT-2: stock ctdb checktcpport still says 98 (blind spot)" 98
t_run "$SB_FRONTEND" checktcpport "$SB_P1"
t_rc "lingering FIN-WAIT-2: our checktcpport says 0 (not listening)" 0
checksamba $M
T1=$(date +%s%N)
t_rc "lingering FIN-WAIT-2: checksamba exits 1" 1
t_first "lingering FIN-WAIT-2: port ERROR line first" \
	"ERROR: samba tcp port $SB_P1 is not responding"
check "lingering: all three answered within 5 s" \
	test $(((T1 - T0) / 1000000)) -lt 5000
# informational: the stock probe binds without SO_REUSEADDR and is
# fooled; a probe with SO_REUSEADDR is not (the accepted socket inherited
# SO_REUSEADDR from smbd's listener), so the outcome depends on the method
checksamba $M -- --checkers=bind
echo "# --checkers=bind while FIN-WAIT-2 lingers: exit $T_RC ($([ "$T_RC" = 0 ] &&
	echo 'fooled like the stock tool' || echo 'not fooled: the probe sets SO_REUSEADDR'))"

# client goes away: the server side passes to TIME-WAIT, still bound
sb_stop_pid "$CLIENT"
for _ in $(seq 20); do grep -q TIME-WAIT <<<"$(states)" && break; sleep 0.1; done
S=$(states)
echo "# sockets on port $SB_P1 after the client closed: $S"
check "server side in TIME-WAIT after the client closed" grep -q TIME-WAIT <<<"$S"
t_run /usr/bin/ctdb checktcpport "$SB_P1"
t_rc "TIME-WAIT: stock ctdb checktcpport still says 98" 98
t_run "$SB_FRONTEND" checktcpport "$SB_P1"
t_rc "TIME-WAIT: our checktcpport says 0" 0
checksamba $M
t_rc "TIME-WAIT: checksamba exits 1" 1
t_first "TIME-WAIT: port ERROR line first" \
	"ERROR: samba tcp port $SB_P1 is not responding"
sb_done
