#!/bin/bash
. "$(dirname "$0")/lib/unit.sh"

# setup sets _NO_WINBINDD, so libwbclient fails every ping at once and
# no real winbindd is ever asked; the wbinfo stub (builds without
# libwbclient) fails with FAKE_WBINFO_FAIL.  Real winbindd: see
# tests/integration/test_winbind.sh.

E="ERROR: winbind - wbinfo -p returned error"
# what went wrong, after the ERROR line: libwbclient's error, or (builds
# without it) wbinfo -p's status and output
WHY='^(winbindd ping failed: WBC_ERR_[A-Z_]+|wbinfo -p exited with 1)$'

# winbind_fails ARGS...: exit 1, the ERROR line, then why, at the
# default debug level (upstream prints wbinfo -p's output)
winbind_fails() {
	local out rc
	out=$("$CTDB_FRONTEND" checksamba "$@" 2>&1)
	rc=$?
	check "exit 1 ($*)" [ "$rc" -eq 1 ]
	check "the ERROR line first ($*)" \
		[ "$(printf '%s\n' "$out" | sed -n 1p)" = "$E" ]
	check "then what went wrong ($*)" \
		grep -Eq "$WHY" <<<"$(printf '%s\n' "$out" | sed -n 2p)"
	if [ "$(printf '%s\n' "$out" | sed -n 2p)" = "wbinfo -p exited with 1" ]
	then
		check "and wbinfo's output ($*)" \
			[ "$(printf '%s\n' "$out" | sed -n 3p)" = \
			  "Ping to winbindd failed" ]
	fi
}

define_test "winbind managed, winbindd not running: ERROR, and why"
setup
listen_ports 1
smbconf_global "smb ports = $PORT1"
export CTDB_MANAGES_WINBIND=yes FAKE_WBINFO_FAIL=yes
winbind_fails
winbind_fails --managed
export CTDB_CURRENT_DEBUGLEVEL=0 CTDB_DEBUGLEVEL=ERROR
winbind_fails
winbind_fails --managed
unset CTDB_CURRENT_DEBUGLEVEL CTDB_DEBUGLEVEL

define_test "winbind only (samba not managed) is still checked"
unset CTDB_MANAGES_SAMBA
before=$(calls testparm)
stop_listeners
winbind_fails
check "samba's checks did not run" [ "$(calls testparm)" -eq "$before" ]
listen_ports 1
smbconf_global "smb ports = $PORT1"

define_test "automatic rule: security = ADS checks winbind"
export CTDB_MANAGES_SAMBA=yes
unset CTDB_MANAGES_WINBIND
smbconf_global "security = ADS"
winbind_fails

define_test "automatic rule: a domain member by server role"
sed -i '/security/d' "$FAKE_SMBCONF"
export FAKE_SERVER_ROLE=ROLE_DOMAIN_MEMBER
rm -f "$STATE/smb.conf.cache"
winbind_fails

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
winbind_fails --managed

# libwbclient is loaded only for the ping (builds with it: the ping
# is libwbclient's error, above), never for a cycle without one
define_test "libwbclient: loaded when the ping runs, not before"
if "$CTDB_FRONTEND" checksamba --managed 2>&1 | grep -q WBC_ERR_ &&
   [ "${CTDB_FRONTEND##*/}" = ctdb ]; then
	strace -f -qq -e trace=openat -o "$SB/open" \
		"$CTDB_FRONTEND" checksamba --managed >/dev/null 2>&1
	check "opened for the ping" grep -q 'libwbclient\.so' "$SB/open"
	unset CTDB_MANAGES_WINBIND
	strace -f -qq -e trace=openat -o "$SB/open" \
		"$CTDB_FRONTEND" checksamba --managed >/dev/null 2>&1
	check "not opened without it" \
		sh -c "! grep -q 'libwbclient\.so' '$SB/open'"
else
	echo "# skipped: a build without libwbclient, or under a wrapper"
fi
finish
