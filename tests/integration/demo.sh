#!/bin/bash
# make demo: the whole point in one command, against a real smbd on
# loopback (root; run after make).  Everything runs in a temporary
# sandbox that is removed at the end; /etc/samba/smb.conf is put back.
. "$(dirname "$0")/lib/sandbox.sh"
sb_init >/dev/null
FE=$SB_FRONTEND
fail=0

say()
{
	printf '\n=== %s\n' "$*"
}

show()
{
	# show "description" CMD...: print the command line, run it, print
	# its output indented and its exit status
	local what=$1
	shift
	printf '\n$ %s\n' "$what"
	t_run "$@"
	[ -n "$T_OUT" ] && printf '%s\n' "$T_OUT" | sed 's/^/    /'
	[ -n "$T_ERR" ] && printf '%s\n' "$T_ERR" | sed 's/^/    /'
	echo "  -> exit $T_RC"
}

expect()
{
	if [ "$T_RC" != "$1" ]; then
		echo "  !! expected exit $1"
		fail=1
	fi
}

checksamba_demo()
{
	checksamba CTDB_MANAGES_SAMBA=yes -- "$@"
	printf '%s' "$T_OUT"
	[ -n "$T_ERR" ] && printf '%s\n' "$T_ERR" >&2
	return "$T_RC"
}

if [ ! -x "$FE" ]; then
	echo "demo: $FE is missing: run make first" >&2
	exit 1
fi

say "A real smbd on 127.0.0.1 ports $SB_P1 and $SB_P2 (sandbox $SB)"
sb_smbconf_write
sb_smbd_start || { echo "demo: smbd did not start" >&2; exit 1; }
echo "smbd runs as PID $SB_SMBD_PID"
ss -Hltn "( sport = :$SB_P1 or sport = :$SB_P2 )" | sed 's/^/    /'

say "One monitor cycle, healthy: silent, exit 0 (-v shows each step and its time)"
show "CTDB_MANAGES_SAMBA=yes ctdb checksamba -v" \
	checksamba_demo -v
expect 0

say "smbd is stopped"
sb_smbd_stop
show "CTDB_MANAGES_SAMBA=yes ctdb checksamba" checksamba_demo
expect 1

say "The lingering-client blind spot of the stock 'ctdb checktcpport'"
echo "A client connects, then smbd dies while the client still holds the"
echo "connection: the server side of it stays bound to the port (FIN-WAIT-2)."
sb_smbd_start || { echo "demo: smbd did not restart" >&2; exit 1; }
"$SB_PY" -c '
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
open(sys.argv[2], "w").write("up\n")
time.sleep(60)
' "$SB_P1" "$SB/client.up" 9>&- &
CLIENT=$!
for _ in $(seq 50); do [ -s "$SB/client.up" ] && break; sleep 0.1; done
sb_smbd_stop
ss -Htan "( sport = :$SB_P1 )" | sed 's/^/    /'
show "/usr/bin/ctdb checktcpport $SB_P1   (stock: bind probe)" \
	/usr/bin/ctdb checktcpport "$SB_P1"
stock=$T_RC
show "ctdb checktcpport $SB_P1            (ours: listening sockets only)" \
	"$FE" checktcpport "$SB_P1"
expect 0
if [ "$stock" = 98 ]; then
	echo "The stock tool says 98 (in use) although nothing listens: a dead"
	echo "smbd looks alive for up to tcp_fin_timeout (60 s) and more."
else
	echo "(the stock tool said $stock here)"
fi
show "CTDB_MANAGES_SAMBA=yes ctdb checksamba" checksamba_demo
expect 1
sb_stop_pid "$CLIENT"

say "Done: cleaning up the sandbox"
[ "$fail" = 0 ] && echo "demo: everything behaved as expected" ||
	echo "demo: something did not behave as expected (see !! above)"
exit "$fail"
