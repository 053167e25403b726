#!/bin/bash
. "$(dirname "$0")/lib/unit.sh"

define_test "shares: spaces, %, empty and unavailable paths"
setup
listen_ports 1
smbconf_global "smb ports = $PORT1"
mkdir -p "$SB/shares/with space" "$SB/shares/b"
smbconf_share spaced "path = \"$SB/shares/with space\""
smbconf_share homes "path = $SB/home/%U"
smbconf_share printers "path ="
smbconf_share off "path = $SB/missing-but-off" "available = No"
smbconf_share b "path = $SB/shares/b"
ok_null
simple_test

define_test "a missing share directory: ERROR after a refresh"
rmdir "$SB/shares/b"
required_result 1 "ERROR: samba directory \"$SB/shares/b\" not available"
simple_test
check "testparm confirmed the failure" [ "$(calls testparm)" -eq 2 ]

define_test "a file where the directory should be"
touch "$SB/shares/b"
simple_test

define_test "CTDB_SAMBA_SKIP_SHARE_CHECK=yes skips it"
export CTDB_SAMBA_SKIP_SHARE_CHECK=yes
ok_null
simple_test

define_test "--skip-share-check skips it"
unset CTDB_SAMBA_SKIP_SHARE_CHECK
simple_test --skip-share-check
finish
