#!/bin/bash
# The SMB answer check (spec 3.6) against a real smbd: a stopped smbd
# (SIGSTOP keeps its listening socket, and the kernel keeps completing
# handshakes) is found; listeners that are not smbd fail with the
# spec's words; every smbd flavour answers (SMB3_11 minimum, SMB1 only,
# ::1 only, port 139 with NetBIOS framing in a network namespace); the
# run's deadline bounds it.
. "$(dirname "$0")/lib/sandbox.sh"
sb_require_cmds socat ss ip unshare
sb_init
sb_smbconf_write
sb_smbd_start || { not_ok "smbd starts"; sb_done; }
M=CTDB_MANAGES_SAMBA=yes
STOPPED=

cont()
{
	[ -n "$STOPPED" ] && kill -CONT "$STOPPED" 2>/dev/null
	STOPPED=
}
stop_smbd()
{
	kill -STOP "$SB_SMBD_PID" && STOPPED=$SB_SMBD_PID
}
trap 'cont; sb_cleanup' EXIT
elapsed() { echo $(($(now_ms) - T0)); }

# --------------------------------------------------------------- smbd
checksamba $M
t_rc "healthy: exit 0" 0
t_silent "healthy: no output"
checksamba $M CTDB_SAMBA_SMB_INTERVAL=0 -- -v
t_contains "-v: port 1 answered SMB2 on loopback" \
	"checksamba: smb answer: port $SB_P1 on 127.0.0.1:$SB_P1: SMB2 dialect 0x02ff ("
t_contains "-v: port 2 answered too" "smb answer: port $SB_P2 on 127.0.0.1:$SB_P2: SMB2"

stop_smbd
T0=$(now_ms)
checksamba $M CTDB_SAMBA_SMB_INTERVAL=0
t_rc "smbd stopped: first failure is a WARNING, exit 0" 0
t_out "smbd stopped: WARNING, failure 1 of 2" \
	"WARNING: samba tcp port $SB_P1 does not answer SMB (no SMB answer in 3 s); failure 1 of 2"
check "smbd stopped: one probe bounds all ports ($(elapsed) ms < 4000)" \
	[ "$(elapsed)" -lt 4000 ]
checksamba $M
t_rc "smbd stopped: second failure, exit 1" 1
t_first "smbd stopped: ERROR line first" \
	"ERROR: samba tcp port $SB_P1 does not answer SMB (no SMB answer in 3 s)"
t_run "$SB_FRONTEND" checktcpport -v "$SB_P1"
t_rc "smbd stopped: still listening (checktcpport 98)" 98
t_contains "smbd stopped: checktcpport -v shows the waiting probes" \
	"127.0.0.1:$SB_P1: accept queue "

cont
checksamba $M
t_rc "kill -CONT: healthy again" 0
t_silent "kill -CONT: silent"
check "kill -CONT: the count is reset" \
	[ -f "$SB/state/smb_answer" ] && [ ! -s "$SB/state/smb_answer" ]

stop_smbd
T0=$(now_ms)
checksamba $M CTDB_SAMBA_SMB_FAILURES=1 CTDB_SAMBA_SMB_INTERVAL=0
t_rc "FAILURES=1: exit 1 at once" 1
t_first "FAILURES=1: ERROR at once" \
	"ERROR: samba tcp port $SB_P1 does not answer SMB (no SMB answer in 3 s)"
check "FAILURES=1: within the probe timeout + 1 s ($(elapsed) ms)" \
	[ "$(elapsed)" -lt 4000 ]

T0=$(now_ms)
checksamba $M CTDB_SAMBA_SMB_FAILURES=1 CTDB_SAMBA_CHECK_TIMEOUT=2
t_rc "CHECK_TIMEOUT=2: exit 1" 1
t_first "CHECK_TIMEOUT=2: the deadline cuts the probe" \
	"ERROR: samba tcp port $SB_P1 does not answer SMB (no SMB answer in 2 s)"
check "CHECK_TIMEOUT=2: ends within 2.5 s ($(elapsed) ms)" \
	[ "$(elapsed)" -lt 2500 ]
# samba just started (the started file is young): INFO, not counted
STARTED=$SB/var/failcount/samba.started
mkdir -p "$SB/var/failcount" && touch "$STARTED"
checksamba $M CTDB_SAMBA_SMB_TIMEOUT=1
t_rc "just started, stopped: exit 1" 1
t_out "just started, stopped: INFO, not ERROR" \
	"INFO: samba tcp port $SB_P1 does not answer SMB (no SMB answer in 1 s)"
check "just started: the started file stays" test -e "$STARTED"
cont
checksamba $M
t_rc "healthy again" 0
check "answered: the started file is gone" test ! -e "$STARTED"

# INTERVAL=3600: a stopped smbd goes unseen until a client waits
checksamba $M CTDB_SAMBA_SMB_INTERVAL=3600
t_rc "INTERVAL=3600: healthy" 0
stop_smbd
checksamba $M CTDB_SAMBA_SMB_INTERVAL=3600
t_rc "INTERVAL=3600, stopped, no client: not due, exit 0" 0
t_silent "INTERVAL=3600, stopped, no client: silent"
"$SB_PY" -c '
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
time.sleep(60)
' "$SB_P2" 9>&- &
CLIENT=$!
for _ in $(seq 50); do
	[ -n "$(ss -Hltn "( sport = :$SB_P2 )" | awk '$2 > 0')" ] && break
	sleep 0.1
done
checksamba $M CTDB_SAMBA_SMB_INTERVAL=3600 -- -v
t_rc "INTERVAL=3600, a client waits: probed, exit 0 (WARNING)" 0
t_contains "INTERVAL=3600, a client waits: WARNING at once" \
	"WARNING: samba tcp port $SB_P1 does not answer SMB (no SMB answer in 3 s); failure 1 of 2"
kill "$CLIENT" 2>/dev/null
wait "$CLIENT" 2>/dev/null
checksamba $M CTDB_SAMBA_SMB_INTERVAL=3600
t_rc "INTERVAL=3600: the next cycle probes again (after a failure): exit 1" 1
cont
checksamba $M CTDB_SAMBA_SMB_INTERVAL=3600
t_rc "INTERVAL=3600: kill -CONT heals" 0

# ------------------------------------------------------ not smbd
F=CTDB_SAMBA_SMB_FAILURES=1
T=CTDB_SAMBA_SMB_TIMEOUT=1
I=CTDB_SAMBA_SMB_INTERVAL=0
socat_on()
{
	local p
	p=$(sb_free_port) || return 1
	socat TCP-LISTEN:"$p",bind=127.0.0.1,fork,reuseaddr "$@" \
		</dev/null >/dev/null 2>&1 9>&- &
	SOCAT=$!
	for _ in $(seq 50); do sb_listening "$p" && break; sleep 0.1; done
	PORT=$p
}
socat_off()
{
	kill "$SOCAT" 2>/dev/null
	wait "$SOCAT" 2>/dev/null
}
# (it reads the request first: a close with unread data is a reset,
# which may arrive before the answer is read)
socat_on SYSTEM:"dd bs=4096 count=1 of=/dev/null 2>/dev/null; printf 'HTTP/1.0 400 Bad Request\\\\r\\\\n\\\\r\\\\n'"
checksamba $M $F $T $I -- --ports="$PORT"
t_first "socat answering HTTP/1.0 400: not SMB" \
	"ERROR: samba tcp port $PORT does not answer SMB (answered, but not SMB)"
socat_off
socat_on EXEC:true
checksamba $M $F $T $I -- --ports="$PORT"
t_first "socat closing at once: connection closed" \
	"ERROR: samba tcp port $PORT does not answer SMB (connection closed)"
socat_off
socat_on EXEC:"sleep 30"
T0=$(now_ms)
checksamba $M $F $T $I -- --ports="$PORT"
t_first "socat never answering: no SMB answer" \
	"ERROR: samba tcp port $PORT does not answer SMB (no SMB answer in 1 s)"
check "socat never answering: bounded ($(elapsed) ms < 2000)" \
	[ "$(elapsed)" -lt 2000 ]
socat_off
checksamba $M $I CTDB_SAMBA_CHECK_SMB=no -- --ports="$SB_P1"
t_rc "CTDB_SAMBA_CHECK_SMB=no: healthy" 0

# ------------------------------------------------- smbd flavours
flavour()
{
	local what=$1 want=$2
	shift 2
	sb_smbd_stop
	sb_smbconf_write "$@"
	if ! sb_smbd_start; then
		not_ok "$what: smbd starts"
		return
	fi
	checksamba $M $I -- -v
	t_rc "$what: exit 0" 0
	t_contains "$what: answers $want" "$want"
}
flavour "server min protocol = SMB3_11" "127.0.0.1:$SB_P1: SMB2 dialect" \
	"server min protocol = SMB3_11"
flavour "SMB1 only (NT1)" "127.0.0.1:$SB_P1: SMB1 dialect NT LM 0.12" \
	"server min protocol = NT1" "server max protocol = NT1"
if ip -6 addr show dev lo 2>/dev/null | grep -q '::1'; then
	flavour "smbd on ::1 only" "port $SB_P1 on [::1]:$SB_P1: SMB2 dialect" \
		"interfaces = ::1"
else
	echo "# skipped ::1 only: no IPv6 on loopback"
fi

# port 139 in a network namespace of its own (139 is free there)
sb_smbd_stop
sb_smbconf_write
sed "s/^\tsmb ports = .*/\tsmb ports = 139/" "$SB/smb.conf" >"$SB/smb139.conf"
cat >"$SB/ns139.sh" <<EOS
ip link set lo up || exit 1
smbd --foreground --debug-stdout -s "$SB/smb139.conf" \
	</dev/null >>"$SB/log/smbd139.out" 2>&1 &
pid=\$!
for _ in \$(seq 100); do
	[ -n "\$(ss -Hltn '( sport = :139 )')" ] && break
	sleep 0.1
done
env -i PATH="\$PATH" CTDB_MANAGES_SAMBA=yes CTDB_SAMBA_SKIP_SHARE_CHECK=yes \
	CTDB_BASE="$SB/etc-ctdb" CTDB_ETCDIR="$SB/etc" CTDB_VARDIR="$SB/var" \
	"$SB_FRONTEND" checksamba --state-dir="$SB/state139" --ports=139 -v
echo "rc=\$?"
kill -STOP \$pid
env -i PATH="\$PATH" CTDB_MANAGES_SAMBA=yes CTDB_SAMBA_SKIP_SHARE_CHECK=yes \
	CTDB_SAMBA_SMB_FAILURES=1 CTDB_SAMBA_SMB_TIMEOUT=1 \
	CTDB_SAMBA_SMB_INTERVAL=0 \
	CTDB_BASE="$SB/etc-ctdb" CTDB_ETCDIR="$SB/etc" CTDB_VARDIR="$SB/var" \
	"$SB_FRONTEND" checksamba --state-dir="$SB/state139" --ports=139
echo "rc=\$?"
kill -CONT \$pid
kill \$pid
wait \$pid
exit 0
EOS
t_run unshare --net bash "$SB/ns139.sh"
t_contains "port 139 (netns): NetBIOS session, then SMB2" \
	"smb answer: port 139 on 127.0.0.1:139: SMB2 dialect"
t_contains "port 139 (netns): healthy" "rc=0"
t_contains "port 139 (netns), smbd stopped: ERROR" \
	"ERROR: samba tcp port 139 does not answer SMB (no SMB answer in 1 s)"
sb_done
