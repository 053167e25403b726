#!/bin/bash
. "$(dirname "$0")/lib/unit.sh"

define_test "no working checker"
setup
listen_ports 1
smbconf_global "smb ports = $PORT1"
export CTDB_TCP_PORT_CHECKERS="nosuch other"
required_result 1 'INTERNAL ERROR: ctdb_check_ports - no working checkers in CTDB_TCP_PORT_CHECKERS="nosuch other"'
simple_test

define_test "an unknown checker falls through to the next, with DEBUG lines"
export CTDB_TCP_PORT_CHECKERS="nosuch netstat"
ok_null
simple_test
out=$("$CTDB_FRONTEND" checksamba -v 2>&1)
check "not implemented line" grep -qx "ctdb_check_ports - checker nosuch not implemented" <<<"$out"
check "output line" grep -qx "output from checker was:" <<<"$out"

for c in ctdb bind nmap netstat ss; do
	define_test "checker $c: healthy, then port down"
	listen_ports 1
	smbconf_global "smb ports = $PORT1"
	touch -d '+5 seconds' "$FAKE_SMBCONF"
	ok_null
	simple_test --checkers="$c"
	stop_listeners
	required_result 1 "ERROR: samba tcp port $PORT1 is not responding"
	simple_test --checkers="$c"
	sed -i "/smb ports/d" "$FAKE_SMBCONF"
done
finish
