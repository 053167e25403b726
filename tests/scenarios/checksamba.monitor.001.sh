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

# until_calls N: testparm has run N times in all (5 s at most)
until_calls() {
	local i
	for i in $(seq 1 100); do
		[ "$(calls testparm)" -ge "$1" ] && break
		sleep 0.05
	done
	[ "$(calls testparm)" -eq "$1" ]
}

define_test "an old cache of an smb.conf made of files only still serves"
sleep 0.2
simple_test
n=$(calls testparm)
touch -d '-120 seconds' "$STATE/smb.conf.cache"
simple_test
sleep 0.5
check "testparm not run" [ "$(calls testparm)" -eq "$n" ]

define_test "CTDB_SAMBA_CACHE_MAX_AGE set: the old cache serves, refreshed detached"
export CTDB_SAMBA_CACHE_MAX_AGE=60
simple_test
check "testparm ran, after the run" until_calls $((n + 1))
check "the cache is young again" \
	[ -n "$(find "$STATE/smb.conf.cache" -newermt '-30 seconds')" ]
# the refresh starts once the checks are done, not while they run
touch -d '-120 seconds' "$STATE/smb.conf.cache"
out=$("$CTDB_FRONTEND" checksamba -v 2>&1)
steps=$(printf '%s\n' "$out" | sed -n 's/^checksamba: \([^:]*: [^(]*\) (.*/\1/p')
check "the cache step says it is due" \
	grep -qx 'smb.conf cache: fresh, old by age: refresh due' <<<"$steps"
check "started after the last check" [ "$(printf '%s\n' "$steps" |
	grep -v '^healthy' | tail -n 1)" = \
	"smb.conf cache: refresh started, detached" ]
printf '%s\n' "$out" | grep -q 'refresh started, detached' || printf '%s\n' "$out"
check "testparm ran again" until_calls $((n + 2))
unset CTDB_SAMBA_CACHE_MAX_AGE

define_test "include = registry: the maximum age applies by default"
smbconf_global "include = registry"
touch -d '-5 seconds' "$FAKE_SMBCONF"
sleep 0.2
simple_test
n=$(calls testparm)
touch -d '-120 seconds' "$STATE/smb.conf.cache"
simple_test
check "testparm ran, after the run" until_calls $((n + 1))
sed -i '/include = registry/d' "$FAKE_SMBCONF"
touch -d '-5 seconds' "$FAKE_SMBCONF"
sleep 0.2
simple_test

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
