#!/bin/bash
. "$(dirname "$0")/lib/unit.sh"

define_test "samba just started: INFO while in the grace period"
setup
free=$(free_port)
smbconf_global "smb ports = $free"
mkdir -p "$CTDB_VARDIR/failcount"
touch "$CTDB_VARDIR/failcount/samba.started"

required_result 1 "INFO: samba tcp port $free is not responding"
simple_test

define_test "grace period over: ERROR"
touch -d '-61 seconds' "$CTDB_VARDIR/failcount/samba.started"
required_result 1 "ERROR: samba tcp port $free is not responding"
simple_test

define_test "CTDB_SAMBA_STARTUP_GRACE sets the grace period"
export CTDB_SAMBA_STARTUP_GRACE=120
required_result 1 "INFO: samba tcp port $free is not responding"
simple_test

define_test "a healthy run removes the started file"
listen_ports 1
smbconf_global "smb ports = $PORT1"
touch "$STATE/smb.conf.cache" -d '-1 hour'
ok_null
simple_test
check "started file removed" test ! -e "$CTDB_VARDIR/failcount/samba.started"

define_test "--managed: the started file is in the state directory"
mstate="$CTDB_SCRIPT_VARDIR/service/samba"
mkdir -p "$mstate"
touch "$mstate/started"
stop_listeners
required_result 1 "INFO: samba tcp port $PORT1 is not responding"
simple_test --managed
finish
