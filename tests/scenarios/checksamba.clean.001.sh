#!/bin/bash
. "$(dirname "$0")/lib/unit.sh"

define_test "testparm output not clean: ERROR with the offending lines"
setup
listen_ports 1
smbconf_global "smb ports = $PORT1"
echo "WARNING: The \"foo\" option is deprecated" >>"$FAKE_SMBCONF"
required_result 1 <<EOT
ERROR: testparm shows smb.conf is not clean
WARNING: The "foo" option is deprecated
EOT
simple_test
check "testparm ran once: the cache was new" [ "$(calls testparm)" -eq 1 ]

define_test "a dirty cache is refreshed and looked at again"
# testparm's view changes without a file change (registry shares)
sed -i '/^WARNING/d' "$FAKE_SMBCONF"
touch -d '-5 seconds' "$FAKE_SMBCONF"
sleep 0.2
echo "WARNING: from the registry" >"$FAKE_DIR/stdout-extra"
export FAKE_TESTPARM_STDOUT_FILE="$FAKE_DIR/stdout-extra"
required_result 1 <<EOT
ERROR: testparm shows smb.conf is not clean
WARNING: from the registry
EOT
simple_test
n=$(calls testparm)
: >"$FAKE_DIR/stdout-extra"
ok_null
simple_test
check "refreshed before deciding" [ "$(calls testparm)" -eq $((n + 1)) ]
unset FAKE_TESTPARM_STDOUT_FILE
echo "WARNING: The \"foo\" option is deprecated" >>"$FAKE_SMBCONF"

define_test "CTDB_SAMBA_CONFIG_CHECK=off: not checked"
export CTDB_SAMBA_CONFIG_CHECK=off
ok_null
simple_test

define_test "stderr diagnostics pass by default"
sed -i '/^WARNING/d' "$FAKE_SMBCONF"
unset CTDB_SAMBA_CONFIG_CHECK
export FAKE_TESTPARM_STDERR='Unknown parameter encountered: "foo bar"
Ignoring unknown parameter "foo bar"'
touch -d '+3 seconds' "$FAKE_SMBCONF"
ok_null
simple_test

define_test "strict: stderr diagnostics fail"
export CTDB_SAMBA_CONFIG_CHECK=strict
required_result 1 <<EOT
ERROR: testparm shows smb.conf is not clean
Unknown parameter encountered: "foo bar"
EOT
simple_test

define_test "an unknown CTDB_SAMBA_CONFIG_CHECK"
export CTDB_SAMBA_CONFIG_CHECK=bogus
required_result 1 'ERROR: invalid value "bogus" for CTDB_SAMBA_CONFIG_CHECK'
simple_test
finish
