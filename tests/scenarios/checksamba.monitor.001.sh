#!/bin/bash
. "$(dirname "$0")/lib/unit.sh"

define_test "healthy: no output, cache made once, then no testparm"
setup
listen_ports 2
mkdir -p "$SB/shares/data"
smbconf_global "smb ports = $PORT1 $PORT2"
smbconf_share data "path = $SB/shares/data"
# a file changed within a moment of testparm's run is not trusted by
# the cache (it may have changed while testparm read it)
touch -d '-5 seconds' "$FAKE_SMBCONF"
sleep 0.2

ok_null
simple_test
check "state directory and cache created" test -s "$STATE/smb.conf.cache"
check "testparm ran once" [ "$(calls testparm)" -eq 1 ]
simple_test
check "second run used the cache" [ "$(calls testparm)" -eq 1 ]

define_test "smb.conf changed: the cache is refreshed"
touch -d '+2 seconds' "$FAKE_SMBCONF"
simple_test
sleep 0.2
check "testparm ran again" [ "$(calls testparm)" -eq 2 ]

define_test "cache older than CTDB_SAMBA_CACHE_MAX_AGE is refreshed"
touch -d '-120 seconds' "$STATE/smb.conf.cache"
simple_test
check "testparm ran again" [ "$(calls testparm)" -eq 3 ]

define_test "a healthy cycle with a fresh cache executes no program"
if command -v strace >/dev/null; then
	"$CTDB_FRONTEND" checksamba >/dev/null 2>&1	# cache fresh
	# LeakSanitizer cannot run under ptrace (make check-asan)
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	strace -f -qq -e trace=execve -o "$SB/trace" \
		"$CTDB_FRONTEND" checksamba >"$SB/out" 2>&1
	rc=$?
	check "exit 0" [ "$rc" -eq 0 ]
	check "no output" [ ! -s "$SB/out" ]
	if [ "${CTDB_FRONTEND##*/}" = ctdb ]; then
		check "exactly one execve (ours)" \
			[ "$(grep -c 'execve(' "$SB/trace")" -eq 1 ]
	else
		# make check-valgrind: the wrapper and valgrind exec too
		echo "# skipped: execve count ($CTDB_FRONTEND is a wrapper)"
	fi
else
	not_ok "strace is needed (scripts/install-deps.sh installs it)"
fi
finish
