#!/bin/bash
. "$(dirname "$0")/lib/unit.sh"

define_test "not managed: exit 0, no output, nothing written"
setup
unset CTDB_MANAGES_SAMBA
ok_null
simple_test
check "no state directory" test ! -e "$CTDB_VARDIR/state"
check "testparm not run" [ "$(calls testparm)" -eq 0 ]

define_test "CTDB_MANAGES_WINBIND=no alone: not managed"
export CTDB_MANAGES_WINBIND=no
simple_test

define_test "--managed: samba always managed, state in CTDB_SCRIPT_VARDIR"
unset CTDB_MANAGES_WINBIND
free=$(free_port)
smbconf_global "smb ports = $free"
required_result 1 "ERROR: samba tcp port $free is not responding"
simple_test --managed
check "modern state directory" test -s "$CTDB_SCRIPT_VARDIR/service/samba/smb.conf.cache"
check "legacy state directory untouched" test ! -e "$CTDB_VARDIR/state"

define_test "--state-dir overrides"
simple_test --managed --state-dir="$SB/elsewhere"
check "cache in --state-dir" test -s "$SB/elsewhere/smb.conf.cache"

define_test "an unusable state directory: one WARNING, check still runs"
export CTDB_MANAGES_SAMBA=yes
listen_ports 1
sed -i "/smb ports/d" "$FAKE_SMBCONF"
smbconf_global "smb ports = $PORT1"
touch "$SB/afile"
required_result 0 "WARNING: state directory \"$SB/afile/x\" not usable (Not a directory) - running without cache"
simple_test --state-dir="$SB/afile/x"
finish
