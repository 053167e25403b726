#!/bin/bash
. "$(dirname "$0")/lib/unit.sh"

setup
listen_ports 1
smbconf_global "smb ports = $PORT1"

for v in abc 70000 0 -1 "445 x"; do
	define_test "CTDB_SAMBA_CHECK_PORTS=\"$v\""
	required_result 1 "ERROR: invalid value \"$v\" for CTDB_SAMBA_CHECK_PORTS"
	CTDB_SAMBA_CHECK_PORTS="$v" simple_test
done
for name in CTDB_SAMBA_CHECK_TIMEOUT SAMBA_CLEANUP_PERIOD \
	CTDB_SAMBA_CACHE_MAX_AGE CTDB_SAMBA_STARTUP_GRACE; do
	for v in -1 abc 99999999999999999999 " 5"; do
		define_test "$name=\"$v\""
		required_result 1 "ERROR: invalid value \"$v\" for $name"
		export "$name=$v"
		simple_test
		unset "$name"
	done
done

define_test "usage errors: exit 22"
for args in "--ports=abc" "--ports=0" "--timeout=0" "--timeout=x" \
	"--nonesuch" "extra"; do
	"$CTDB_FRONTEND" checksamba $args >/dev/null 2>"$SB/err"
	rc=$?
	if [ $rc -eq 22 ] && [ -s "$SB/err" ]; then
		ok "usage error for $args"
	else
		not_ok "usage error for $args (exit $rc)"
	fi
done

define_test "no ports at all"
required_result 1 "INTERNAL ERROR: ctdb_check_tcp_ports - no ports specified"
CTDB_SAMBA_CHECK_PORTS="," simple_test
finish
