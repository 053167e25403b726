#!/bin/bash
. "$(dirname "$0")/lib/unit.sh"

define_test "testparm fails, no cache: ERROR with its stderr"
setup
listen_ports 1
smbconf_global "smb ports = $PORT1"
export FAKE_TESTPARM_FAIL=yes FAKE_TESTPARM_FAIL_MSG="Error loading services."
required_result 1 <<EOT
ERROR: smb.conf cache create failed - testparm failed with:
Load smb config files from $FAKE_SMBCONF
Error loading services.
EOT
simple_test
check "no cache written" test ! -e "$STATE/smb.conf.cache"

define_test "testparm fails, old cache used with a WARNING"
unset FAKE_TESTPARM_FAIL
ok_null
simple_test
export FAKE_TESTPARM_FAIL=yes
touch -d '-1 hour' "$STATE/smb.conf.cache"
required_result 0 <<EOT
WARNING: smb.conf cache update failed - using old cache file
Load smb config files from $FAKE_SMBCONF
Error loading services.
EOT
simple_test

define_test "the same warning is not repeated within 10 minutes"
ok_null
simple_test

define_test "testparm hangs, no cache: ERROR within the deadline"
rm -f "$STATE"/smb.conf.cache*
unset FAKE_TESTPARM_FAIL
export FAKE_TESTPARM_HANG=yes
required_result 1 "ERROR: smb.conf cache create failed - testparm command timed out"
start=$(now_ms)
simple_test --timeout=1
end=$(now_ms)
check "ended within timeout + 1 s" [ $((end - start)) -lt 2000 ]
check "testparm killed" sh -c "! pgrep -f '^sleep 1000$' >/dev/null"
finish
