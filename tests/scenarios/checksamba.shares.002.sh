#!/bin/bash
# A share without a path of its own uses [global]'s: testparm -v prints
# "path = X" under [global] only, and nothing in the share.
. "$(dirname "$0")/lib/unit.sh"

# a fresh smb.conf: [global] with our port, then the given lines
new_smbconf() {
	printf '[global]\n' >"$FAKE_SMBCONF"
	smbconf_global "smb ports = $PORT1" "$@"
}

define_test "a share inheriting a missing [global] path names that path"
setup
listen_ports 1
glob="$SB/shares/glob"
new_smbconf "path = $glob"
smbconf_share data "read only = No"
required_result 1 "ERROR: samba directory \"$glob\" not available"
simple_test
simple_test --managed

define_test "the inherited path exists: healthy"
mkdir -p "$glob"
ok_null
simple_test

define_test "quoted [global] path, inherited"
rmdir "$glob"
mkdir -p "$SB/shares/with space"
new_smbconf "path = \"$SB/shares/with space\""
smbconf_share data "read only = No"
simple_test
rmdir "$SB/shares/with space"
required_result 1 "ERROR: samba directory \"$SB/shares/with space\" not available"
simple_test

define_test "[homes] without a path stays unchecked"
new_smbconf "path = $glob"
smbconf_share homes "browseable = No"
ok_null
simple_test

define_test "every share has its own path: [global]'s is not checked"
mkdir -p "$SB/shares/own"
smbconf_share own "path = $SB/shares/own"
simple_test

define_test "inherited path, share unavailable (its own or [global]'s)"
new_smbconf "path = $glob"
smbconf_share off "available = No"
simple_test
new_smbconf "path = $glob" "available = No"
smbconf_share data "read only = No"
simple_test
smbconf_share on "available = Yes"
required_result 1 "ERROR: samba directory \"$glob\" not available"
simple_test

define_test "an inherited path with % is not checked"
new_smbconf "path = $SB/shares/%U"
smbconf_share data "read only = No"
ok_null
simple_test

define_test "first failing share in order: own path, then inherited"
new_smbconf "path = $glob"
smbconf_share a "path = $SB/shares/missing-a"
smbconf_share b "read only = No"
required_result 1 "ERROR: samba directory \"$SB/shares/missing-a\" not available"
simple_test
finish
