#!/bin/bash
# Samba 4.23 and later: "smb ports" is a synonym of "server smb
# transports", and "testparm -v" prints only the latter, numbers as
# written.  The testparm stub prints what we put in [global], so these
# are 4.23-style outputs: no "smb ports" line at all.
. "$(dirname "$0")/lib/unit.sh"

# only the transports line, as 4.23's testparm prints it
transports() {
	sed -i '/^\tsmb ports =/d' "$FAKE_SMBCONF"
	smbconf_global "server smb transports = $1"
}

define_test "server smb transports = N: port N is checked"
setup
listen_ports 2
dead=$(free_port)
transports "$PORT1"
ok_null
simple_test
simple_test --managed

define_test "server smb transports = N, M with M dead names port M"
transports "$PORT1, $dead"
required_result 1 "ERROR: samba tcp port $dead is not responding"
simple_test
simple_test --managed

define_test "tcp:N, quic, nbt:M: quic skipped, both TCP ports checked"
transports "tcp:$PORT1, quic, nbt:$PORT2"
ok_null
simple_test
transports "tcp:$PORT1, quic, nbt:$dead"
required_result 1 "ERROR: samba tcp port $dead is not responding"
simple_test
transports "+quic, $dead"
simple_test

define_test "quic alone: upstream's message"
transports "quic"
required_result 1 "ERROR: Failed to set smb tcp ports"
simple_test
simple_test --managed
transports "+quic quic:8443"
simple_test

define_test "a bad number in the transports is an invalid value"
transports "tcp:$PORT1, tcp:99999"
required_result 1 'ERROR: invalid value "tcp:99999" for smb ports'
simple_test

define_test "before 4.23: smb ports, and transports ignored when blank"
sed -i '/transports =/d' "$FAKE_SMBCONF"
smbconf_global "smb ports = $PORT1 $PORT2"
ok_null
simple_test
smbconf_global "server smb transports = "
simple_test

define_test "CTDB_SAMBA_CHECK_PORTS in the transports syntax"
smbconf_global "smb ports = $dead"
export CTDB_SAMBA_CHECK_PORTS="tcp:$PORT1 nbt:$PORT2"
ok_null
simple_test
export CTDB_SAMBA_CHECK_PORTS="$PORT1, nbt:$PORT2"
simple_test
export CTDB_SAMBA_CHECK_PORTS="$PORT1,nbt:$dead quic"
required_result 1 "ERROR: samba tcp port $dead is not responding"
simple_test
export CTDB_SAMBA_CHECK_PORTS="quic"
required_result 1 "ERROR: Failed to set smb tcp ports"
simple_test
export CTDB_SAMBA_CHECK_PORTS="$PORT1 http"
required_result 1 'ERROR: invalid value "'"$PORT1"' http" for CTDB_SAMBA_CHECK_PORTS'
simple_test
export CTDB_SAMBA_CHECK_PORTS="tcp:abc"
required_result 1 'ERROR: invalid value "tcp:abc" for CTDB_SAMBA_CHECK_PORTS'
simple_test
export CTDB_SAMBA_CHECK_PORTS=","
required_result 1 "INTERNAL ERROR: ctdb_check_tcp_ports - no ports specified"
simple_test
unset CTDB_SAMBA_CHECK_PORTS

define_test "--ports in the transports syntax"
ok_null
simple_test --ports "tcp:$PORT1,nbt:$PORT2"
required_result 1 "ERROR: samba tcp port $dead is not responding"
simple_test --ports "tcp:$PORT1 $dead"
required_result 22 'checksamba: invalid value "smtp" for --ports'
simple_test --ports smtp
finish
