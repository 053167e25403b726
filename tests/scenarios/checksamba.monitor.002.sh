#!/bin/bash
. "$(dirname "$0")/lib/unit.sh"

define_test "a port not listening: ERROR, exit 1"
setup
listen_ports 1
free=$(free_port)
smbconf_global "smb ports = $PORT1 $free"

required_result 1 "ERROR: samba tcp port $free is not responding"
simple_test

define_test "all ports down: the first one is named"
stop_listeners
required_result 1 "ERROR: samba tcp port $PORT1 is not responding"
simple_test

define_test "ports with commas from CTDB_SAMBA_CHECK_PORTS win over smb.conf"
listen_ports 2
export CTDB_SAMBA_CHECK_PORTS="$PORT1,$PORT2 $PORT1"
ok_null
simple_test

define_test "--ports wins over CTDB_SAMBA_CHECK_PORTS"
required_result 1 "ERROR: samba tcp port $free is not responding"
simple_test --ports="$free"
finish
