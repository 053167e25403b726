#!/bin/bash
# Hung and failing testparm (issue 7, item 2; spec 3.3 and 3.5).
# checksamba.cache.001.sh covers: fails with and without a cache, hangs
# without a cache.  Here: hangs with a cache, the deadline, leftovers,
# and testparms that fail in odd ways.
. "$(dirname "$0")/lib/unit.sh"

case "$CTDB_FRONTEND" in
*valgrind*) slack_ms=3000 ;;
*) slack_ms=1000 ;;
esac

# processes started by this sandbox's stubs (their environment names
# our FAKE_DIR): a killed testparm leaves none.  pgrep picks the sleeps
# and testparms of the machine in one process (a shell loop over every
# /proc/PID forked for each and took seconds on a busy machine).
leftovers() {
	local n=0 p
	for p in $(pgrep -x 'sleep|testparm'); do
		[ "$p" = "$$" ] && continue
		grep -qzxF "FAKE_DIR=$FAKE_DIR" "/proc/$p/environ" 2>/dev/null ||
			continue
		n=$((n + 1))
	done
	echo "$n"
}

setup
listen_ports 1
smbconf_global "smb ports = $PORT1"
mkdir -p "$SB/shares/a"
smbconf_share a "path = $SB/shares/a"

define_test "healthy, cache written"
ok_null
simple_test

define_test "testparm hangs with an old cache: WARNING, still healthy"
export FAKE_TESTPARM_HANG=yes
touch -d '-1 hour' "$STATE/smb.conf.cache"
required_result 0 "WARNING: smb.conf cache update timed out - using old cache file"
t0=$(now_ms)
simple_test --timeout=1
t1=$(now_ms)
check "ended within timeout + slack ($((t1 - t0)) ms)" \
	[ $((t1 - t0)) -le $((1000 + slack_ms)) ]
check "the hung testparm was killed" [ "$(leftovers)" -eq 0 ]
check "the old cache was kept" grep -q "shares/a" "$STATE/smb.conf.cache"

define_test "the warning is not repeated within 10 minutes"
ok_null
simple_test --timeout=1
check "still no leftovers" [ "$(leftovers)" -eq 0 ]

define_test "a share failure cannot be confirmed while testparm hangs"
rmdir "$SB/shares/a"
required_result 1 "ERROR: samba directory \"$SB/shares/a\" not available"
t0=$(now_ms)
simple_test --timeout=1
t1=$(now_ms)
check "ended within timeout + slack ($((t1 - t0)) ms)" \
	[ $((t1 - t0)) -le $((1000 + slack_ms)) ]
mkdir -p "$SB/shares/a"
unset FAKE_TESTPARM_HANG

# odd testparms, first on PATH
mkdir -p "$SB/bin"
export PATH="$SB/bin:$PATH"
odd_testparm() {
	printf '#!/bin/sh\necho "$*" >>"$FAKE_DIR/testparm.calls"\n%s\n' "$1" \
		>"$SB/bin/testparm"
	chmod +x "$SB/bin/testparm"
	rm -f "$STATE"/smb.conf.cache*
}

define_test "testparm exits 1 with nothing on stdout or stderr"
odd_testparm 'exit 1'
required_result 1 <<EOT
ERROR: smb.conf cache create failed - testparm failed with:
testparm exited with 1
EOT
simple_test

define_test "testparm exits 0 but prints nothing: a failure"
odd_testparm 'exit 0'
t0=$(now_ms)
out=$("$CTDB_FRONTEND" checksamba 2>&1)
rc=$?
check "exit 1 ($rc)" [ "$rc" -eq 1 ]
check "create failed line first" \
	[ "$(head -n 1 <<<"$out")" = "ERROR: smb.conf cache create failed - testparm failed with:" ]

define_test "testparm killed by a signal"
odd_testparm 'echo "about to die" >&2; kill -9 $$'
out=$("$CTDB_FRONTEND" checksamba 2>&1)
rc=$?
check "exit 1 ($rc)" [ "$rc" -eq 1 ]
check "create failed line first" \
	[ "$(head -n 1 <<<"$out")" = "ERROR: smb.conf cache create failed - testparm failed with:" ]
check "its stderr shown" grep -qx "about to die" <<<"$out"

define_test "testparm floods stderr (4 MB) and fails: bounded output"
odd_testparm 'head -c 4000000 /dev/zero | tr "\0" "E" >&2; exit 1'
out=$("$CTDB_FRONTEND" checksamba --timeout=5 2>&1)
rc=$?
check "exit 1 ($rc)" [ "$rc" -eq 1 ]
check "the flood is passed on at most once (${#out} bytes)" \
	[ "${#out}" -le 4100000 ]
check "create failed line first" \
	[ "$(head -n 1 <<<"$out")" = "ERROR: smb.conf cache create failed - testparm failed with:" ]

define_test "testparm's grandchild keeps stdout open: killed at the deadline"
odd_testparm "cat \"\$FAKE_SMBCONF\"; (exec sleep 1000) & exit 0"
t0=$(now_ms)
out=$("$CTDB_FRONTEND" checksamba --timeout=2 2>&1)
rc=$?
t1=$(now_ms)
check "exit 0 or 1 ($rc)" [ "$rc" -le 1 ]
check "ended within timeout + slack ($((t1 - t0)) ms)" \
	[ $((t1 - t0)) -le $((2000 + slack_ms)) ]
check "no sleep left behind" [ "$(leftovers)" -eq 0 ]

define_test "testparm not on PATH: ERROR, not a crash"
rm -f "$SB/bin/testparm" "$STATE"/smb.conf.cache*
out=$(PATH="$SB/bin:/nonexistent" "$CTDB_FRONTEND" checksamba 2>&1)
rc=$?
check "exit 1 ($rc)" [ "$rc" -eq 1 ]
check "create failed line first" \
	[ "$(head -n 1 <<<"$out")" = "ERROR: smb.conf cache create failed - testparm failed with:" ]
check "says why" grep -q "testparm" <<<"$(tail -n +2 <<<"$out")"
finish
