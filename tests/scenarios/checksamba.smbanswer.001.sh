#!/bin/bash
# The SMB answer check (spec 3.6) against real sockets: a listener that
# answers SMB is healthy and silent; one that never accepts (a stopped
# smbd), closes at once or talks HTTP fails with the spec's words,
# WARNING first, ERROR at CTDB_SAMBA_SMB_FAILURES; an answer heals; the
# probe runs only when due (first cycle, after a failure, clients in
# the accept queue, once an interval); CTDB_SAMBA_CHECK_SMB=no turns it
# off; every new variable is validated.
. "$(dirname "$0")/lib/unit.sh"

setup
export CTDB_SAMBA_SKIP_SHARE_CHECK=yes
export CTDB_SAMBA_SMB_TIMEOUT=1

define_test "a listener that answers SMB: healthy, silent"
listen_ports 2
smbconf_global "smb ports = $PORT1 $PORT2"
ok_null
simple_test
check "the counter is empty after an answer" \
	[ -f "$STATE/smb_answer" ] && [ ! -s "$STATE/smb_answer" ]

define_test "-v: per port the address, what answered, the time"
export CTDB_SAMBA_SMB_INTERVAL=0
out=$("$CTDB_FRONTEND" checksamba -v 2>&1 | result_filter)
check "port 1 answered SMB2" grep -qxF \
	"checksamba: smb answer: port $PORT1 on 127.0.0.1:$PORT1: SMB2 dialect 0x02ff (X ms)" <<<"$out"
check "port 2 answered SMB2" grep -qxF \
	"checksamba: smb answer: port $PORT2 on 127.0.0.1:$PORT2: SMB2 dialect 0x02ff (X ms)" <<<"$out"
check "the step" grep -qxF "checksamba: smb answer: answered (X ms)" <<<"$out"
unset CTDB_SAMBA_SMB_INTERVAL

define_test "not due: no probe, no connection"
rm -f "$STATE/smb_answer"
ok_null
simple_test
out=$("$CTDB_FRONTEND" checksamba -v 2>&1 | result_filter)
check "the second cycle says not due" \
	grep -qxF "checksamba: smb answer: not due (X ms)" <<<"$out"

define_test "a listener that never accepts: WARNING, then ERROR"
export LISTEN_MODE=silent
listen_ports 1
smbconf_global "smb ports = $PORT1"
rm -f "$STATE/smb_answer"
required_result 0 "WARNING: samba tcp port $PORT1 does not answer SMB (no SMB answer in 1 s); failure 1 of 2"
simple_test
required_result 1 "ERROR: samba tcp port $PORT1 does not answer SMB (no SMB answer in 1 s)"
simple_test
check "two failures counted" [ "$(cat "$STATE/smb_answer")" = 2 ]

define_test "an answer heals and resets the count"
LISTEN_MODE=smb listen_ports 1
smbconf_global "smb ports = $PORT1"
ok_null
simple_test
check "the counter is empty again" [ ! -s "$STATE/smb_answer" ]

# a new listener is not a reason to probe: start each one afresh
define_test "a listener that closes at once"
export CTDB_SAMBA_SMB_FAILURES=1
rm -f "$STATE/smb_answer"
LISTEN_MODE=close listen_ports 1
smbconf_global "smb ports = $PORT1"
required_result 1 "ERROR: samba tcp port $PORT1 does not answer SMB (connection closed)"
simple_test

define_test "a listener that answers HTTP"
rm -f "$STATE/smb_answer"
LISTEN_MODE=http listen_ports 1
smbconf_global "smb ports = $PORT1"
required_result 1 "ERROR: samba tcp port $PORT1 does not answer SMB (answered, but not SMB)"
simple_test

define_test "CTDB_SAMBA_SMB_FAILURES=1: ERROR at once, within the timeout"
LISTEN_MODE=silent listen_ports 1
smbconf_global "smb ports = $PORT1"
rm -f "$STATE/smb_answer"
t0=$(now_ms)
required_result 1 "ERROR: samba tcp port $PORT1 does not answer SMB (no SMB answer in 1 s)"
simple_test
t1=$(now_ms)
check "ended within the probe timeout + 1 s ($((t1 - t0)) ms)" [ $((t1 - t0)) -lt 2000 ]

define_test "CTDB_SAMBA_CHECK_SMB=no: only the listener counts"
CTDB_SAMBA_CHECK_SMB=no
export CTDB_SAMBA_CHECK_SMB
ok_null
simple_test
unset CTDB_SAMBA_CHECK_SMB CTDB_SAMBA_SMB_FAILURES

define_test "CTDB_SAMBA_SMB_INTERVAL=3600: clients waiting make it due"
rm -f "$STATE/smb_answer"
LISTEN_MODE=smb listen_ports 1
smbconf_global "smb ports = $PORT1"
export CTDB_SAMBA_SMB_INTERVAL=3600
ok_null
simple_test
# the listener stops accepting (as a stopped smbd): not due, healthy
kill -STOP "$LISTENER_PID"
simple_test
# a client waits in the accept queue: due, and it fails
python3 -c 'import socket,sys,time; s=socket.create_connection(("127.0.0.1",int(sys.argv[1]))); time.sleep(30)' "$PORT1" &
client=$!
for _ in $(seq 50); do
	[ -n "$(ss -Hltn "( sport = :$PORT1 )" | awk '$2 > 0')" ] && break
	sleep 0.05
done
required_result 0 "WARNING: samba tcp port $PORT1 does not answer SMB (no SMB answer in 1 s); failure 1 of 2"
simple_test
kill "$client"
wait "$client" 2>/dev/null
required_result 1 "ERROR: samba tcp port $PORT1 does not answer SMB (no SMB answer in 1 s)"
simple_test
kill -CONT "$LISTENER_PID"
ok_null
simple_test
unset CTDB_SAMBA_SMB_INTERVAL

define_test "bad values: ERROR: invalid value, exit 1"
for nv in CTDB_SAMBA_CHECK_SMB=maybe CTDB_SAMBA_SMB_INTERVAL=86401 \
	CTDB_SAMBA_SMB_TIMEOUT=0 CTDB_SAMBA_SMB_FAILURES=0 \
	CTDB_SAMBA_SMB_FAILURES=abc; do
	required_result 1 "ERROR: invalid value \"${nv#*=}\" for ${nv%%=*}"
	# shellcheck disable=SC2163
	(export "$nv"; simple_test)
done
finish
