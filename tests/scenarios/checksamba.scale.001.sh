#!/bin/bash
. "$(dirname "$0")/lib/unit.sh"

# Hostile scale (issue 17, items 1 and 3): many shares and many ports
# give the right verdict within the deadline.  The old code falsely
# failed 20,000 healthy shares after a minute (one fork per share, a
# full answer pipe), and scanned the output of ss or netstat once per
# port.
setup

# within MAX_MS: the verdict must come by the deadline, with a little
# slack for a slow start (sanitizers, valgrind)
case "$CTDB_FRONTEND" in
*valgrind*) slack_ms=10000 ;;
*build-asan*) slack_ms=3000 ;;
*) slack_ms=500 ;;
esac

# timed ARGS...: simple_test, and the run ended by --timeout's deadline
timed() {
	local t0 t1 limit=$(($1 * 1000 + slack_ms))
	shift
	t0=$(now_ms)
	simple_test "$@"
	t1=$(now_ms)
	check "ended in $((t1 - t0)) ms (at most $limit)" \
		[ $((t1 - t0)) -le "$limit" ]
}

define_test "20,000 healthy shares: healthy, within the deadline"
listen_ports 1
smbconf_global "smb ports = $PORT1"
(cd "$SB/shares" && seq -f 'd%.0f' 1 20000 | xargs mkdir)
seq 1 20000 | awk -v d="$SB/shares" \
	'{ printf "\n[s%d]\n\tpath = %s/d%d\n", $1, d, $1 }' >>"$FAKE_SMBCONF"
touch -d '-5 seconds' "$FAKE_SMBCONF"
# a file changed just before a run is read again by the next one
sleep 0.2
ok_null
timed 5 --timeout 5
check "testparm ran once" [ "$(calls testparm)" -eq 1 ]
timed 5 --timeout 5
check "then the cache served" [ "$(calls testparm)" -eq 1 ]

define_test "20,000 shares, the last one missing: named"
rmdir "$SB/shares/d20000"
required_result 1 "ERROR: samba directory \"$SB/shares/d20000\" not available"
timed 5 --timeout 5
rm -rf "$SB/shares"
printf '[global]\n' >"$FAKE_SMBCONF"

# the SMB answer check would open a connection to each of the 10,000
# ports at once (more than the descriptor limit): off here, where the
# port checkers are measured
export CTDB_SAMBA_CHECK_SMB=no

define_test "10,000 listening ports through each checker: in time"
ulimit -n 20000
listen_ports 10000
check "10,000 listeners" [ "$(wc -w <"$SB/ports")" -eq 10000 ]
smbconf_global "smb ports = $(cat "$SB/ports")"
touch -d '-5 seconds' "$FAKE_SMBCONF"
sleep 0.2
# the cache first (20,000 shares gone): the port checks are timed
"$CTDB_FRONTEND" checksamba --timeout 30 >/dev/null 2>&1
ok_null
for c in ctdb ss netstat; do
	timed 2 --checkers "$c" --timeout 2
done

define_test "10,000 listening ports and a closed one: named by each checker"
closed=$(free_port)
smbconf_global "smb ports = $(cat "$SB/ports") $closed"
touch -d '-5 seconds' "$FAKE_SMBCONF"
sleep 0.2
"$CTDB_FRONTEND" checksamba --timeout 30 >/dev/null 2>&1
required_result 1 "ERROR: samba tcp port $closed is not responding"
for c in ctdb ss netstat; do
	timed 2 --checkers "$c" --timeout 2
done
finish
