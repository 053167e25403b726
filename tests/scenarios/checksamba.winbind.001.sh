#!/bin/bash
. "$(dirname "$0")/lib/unit.sh"

# setup sets _NO_WINBINDD, so libwbclient fails every ping at once and
# no real winbindd is ever asked; the wbinfo stub (builds without
# libwbclient) fails with FAKE_WBINFO_FAIL.  Real winbindd: see
# tests/integration/test_winbind.sh.

define_test "winbind managed, winbindd not running: ERROR"
setup
listen_ports 1
smbconf_global "smb ports = $PORT1"
export CTDB_MANAGES_WINBIND=yes FAKE_WBINFO_FAIL=yes
required_result 1 "ERROR: winbind - wbinfo -p returned error"
simple_test

define_test "winbind only (samba not managed) is still checked"
unset CTDB_MANAGES_SAMBA
before=$(calls testparm)
stop_listeners
simple_test
check "samba's checks did not run" [ "$(calls testparm)" -eq "$before" ]
listen_ports 1
smbconf_global "smb ports = $PORT1"

define_test "automatic rule: security = ADS checks winbind"
export CTDB_MANAGES_SAMBA=yes
unset CTDB_MANAGES_WINBIND
smbconf_global "security = ADS"
simple_test

define_test "automatic rule: a domain member by server role"
sed -i '/security/d' "$FAKE_SMBCONF"
export FAKE_SERVER_ROLE=ROLE_DOMAIN_MEMBER
rm -f "$STATE/smb.conf.cache"
simple_test

define_test "automatic rule: standalone does not check winbind"
export FAKE_SERVER_ROLE=ROLE_STANDALONE
rm -f "$STATE/smb.conf.cache"
ok_null
simple_test

define_test "--managed: winbind only with CTDB_MANAGES_WINBIND=yes"
smbconf_global "security = ADS"
rm -f "$CTDB_SCRIPT_VARDIR/service/samba/smb.conf.cache"
simple_test --managed
export CTDB_MANAGES_WINBIND=yes
required_result 1 "ERROR: winbind - wbinfo -p returned error"
simple_test --managed
finish
