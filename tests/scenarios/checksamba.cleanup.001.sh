#!/bin/bash
. "$(dirname "$0")/lib/unit.sh"

define_test "periodic cleanup: stamp made on the first run"
setup
listen_ports 1
smbconf_global "smb ports = $PORT1"
ok_null
simple_test
check "stamp created" test -e "$STATE/periodic_cleanup"
sleep 0.3
check "smbstatus not run yet" [ "$(calls smbstatus)" -eq 0 ]

define_test "stamp older than SAMBA_CLEANUP_PERIOD: smbstatus -np"
touch -d '-11 minutes' "$STATE/periodic_cleanup"
simple_test
for i in $(seq 1 50); do [ "$(calls smbstatus)" -ge 1 ] && break; sleep 0.1; done
check "smbstatus -np ran" grep -qx -- "-np" "$FAKE_DIR/smbstatus.calls"
check "stamp touched" test -z "$(find "$STATE/periodic_cleanup" -mmin +1)"

define_test "SAMBA_CLEANUP_PERIOD=0 disables it"
touch -d '-11 minutes' "$STATE/periodic_cleanup"
export SAMBA_CLEANUP_PERIOD=0
simple_test
sleep 0.3
check "not run again" [ "$(calls smbstatus)" -eq 1 ]

define_test "--managed: off unless SAMBA_CLEANUP_PERIOD is set"
unset SAMBA_CLEANUP_PERIOD
simple_test --managed
check "no stamp in modern state" test ! -e "$CTDB_SCRIPT_VARDIR/service/samba/periodic_cleanup"
finish
