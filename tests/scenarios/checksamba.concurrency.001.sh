#!/bin/bash
# Concurrency (issue 7, item 7; spec 3.2 and 3.3): 20 runs at once while
# smb.conf is rewritten in a loop.  Every run exits 0 with no output
# (both versions of smb.conf are healthy, so any ERROR would come from a
# half-read cache or a mixed-up parse); the cache is always whole; the
# number of testparm runs stays bounded; periodic cleanups never pile up.
. "$(dirname "$0")/lib/unit.sh"

RUNS=20
setup
listen_ports 2
mkdir -p "$SB/shares/a" "$SB/shares/b"

# two healthy versions of smb.conf with different shares and ports
conf_a() {
	printf '[global]\n\tsmb ports = %s\n\n[a]\n\tpath = %s\n' \
		"$PORT1" "$SB/shares/a"
}
conf_b() {
	printf '[global]\n\tsmb ports = %s %s\n\n[b]\n\tpath = %s\n' \
		"$PORT1" "$PORT2" "$SB/shares/b"
	# make the cache big enough that reading and writing it take time
	for i in $(seq 1 300); do
		printf '\n[b%d]\n\tpath = %s\n\tcomment = %0100d\n' \
			"$i" "$SB/shares/b" 0
	done
}
conf_a >"$SB/conf_a"
conf_b >"$SB/conf_b"
cp "$SB/conf_a" "$FAKE_SMBCONF"
# not "just changed": a cache made now can be trusted by the next run
# (its ctime is now: a cache made within 100 ms of a change is
# refreshed again by the next run, by design)
touch -d '-1 min' "$FAKE_SMBCONF"
sleep 0.5

REWRITER_PID=""
conc_cleanup() {
	if [ -n "$REWRITER_PID" ]; then
		kill "$REWRITER_PID" 2>/dev/null
		wait "$REWRITER_PID" 2>/dev/null
	fi
	cleanup_scenario
}
trap conc_cleanup EXIT

# rewrite smb.conf (atomically, as editors and config tools do) until
# killed
rewriter() {
	local n=0
	while :; do
		if [ $((n % 2)) -eq 0 ]; then
			cp "$SB/conf_b" "$FAKE_SMBCONF.tmp"
		else
			cp "$SB/conf_a" "$FAKE_SMBCONF.tmp"
		fi
		mv "$FAKE_SMBCONF.tmp" "$FAKE_SMBCONF"
		n=$((n + 1))
		sleep 0.01
	done
}

# burst NAME ARGS...: RUNS runs at once; results in $SB/NAME.N.{out,rc}
burst() {
	local name=$1 i
	shift
	for i in $(seq 1 $RUNS); do
		(timeout 30 "$CTDB_FRONTEND" checksamba "$@" \
			>"$SB/$name.$i.out" 2>&1
		 echo $? >"$SB/$name.$i.rc") &
	done
	wait_burst
}

wait_burst() {
	local i
	for i in $(seq 1 600); do
		[ "$(ls "$SB"/*.rc 2>/dev/null | wc -l)" -ge "$expect_rc" ] &&
			return
		sleep 0.05
	done
}

# all_healthy NAME: every run exit 0 and silent
all_healthy() {
	local name=$1 i bad=0
	for i in $(seq 1 $RUNS); do
		if [ "$(cat "$SB/$name.$i.rc")" != 0 ] ||
		   [ -s "$SB/$name.$i.out" ]; then
			bad=$((bad + 1))
			echo "  run $i: exit $(cat "$SB/$name.$i.rc")"
			sed 's/^/    /' "$SB/$name.$i.out" | head -n 3
		fi
	done
	[ "$bad" -eq 0 ]
}

define_test "20 runs at once, smb.conf stable, no cache yet"
expect_rc=$RUNS
rm -f "$FAKE_DIR/testparm.calls"
burst stable
check "all healthy and silent" all_healthy stable
# Without a lock each run that finds no cache refreshes it once: at most
# one testparm per run, never a second one (a healthy run confirms
# nothing)
check "testparm ran at most once per run ($(calls testparm))" \
	[ "$(calls testparm)" -le $RUNS ]

define_test "20 runs at once with a fresh cache: no testparm at all"
rm -f "$FAKE_DIR/testparm.calls"
expect_rc=$((RUNS * 2))
burst fresh
check "all healthy and silent" all_healthy fresh
check "no testparm ($(calls testparm))" [ "$(calls testparm)" -eq 0 ]

define_test "20 runs at once while smb.conf is rewritten"
rewriter &
REWRITER_PID=$!
rm -f "$FAKE_DIR/testparm.calls"
expect_rc=$((RUNS * 3))
burst busy
check "all healthy and silent (no half-read cache)" all_healthy busy
# each run refreshes at most once when healthy; a changed smb.conf can
# make it refresh again only to confirm a failure, and there is none
check "testparm at most once per run ($(calls testparm))" \
	[ "$(calls testparm)" -le $RUNS ]

define_test "the cache is always whole while runs race"
for round in 1 2 3; do
	expect_rc=$((RUNS * (3 + round)))
	burst "race$round" &
	torn=0
	for i in $(seq 1 100); do
		c="$STATE/smb.conf.cache"
		[ -e "$c" ] || continue
		# a whole cache starts with the magic line and has "# body"
		head -n 1 "$c" 2>/dev/null | grep -q '^# ctdb-checksamba cache' &&
			grep -q '^# body$' "$c" 2>/dev/null || torn=$((torn + 1))
		sleep 0.01
	done
	wait_burst
	check "round $round: all healthy" all_healthy "race$round"
	check "round $round: never a torn cache ($torn)" [ "$torn" -eq 0 ]
done
kill "$REWRITER_PID"
wait "$REWRITER_PID" 2>/dev/null
REWRITER_PID=""
check "no temporary cache files left" test -z "$(find "$STATE" -name \
	'smb.conf.cache.*' ! -name '*.warned' ! -name '*.nowrite')"

define_test "periodic cleanup: 20 runs at once start smbstatus once"
export SAMBA_CLEANUP_PERIOD=1
touch -d '-2 minutes' "$STATE/periodic_cleanup" 2>/dev/null
rm -f "$FAKE_DIR/smbstatus.calls"
expect_rc=$((RUNS * 7))
burst cleanup
check "all healthy and silent" all_healthy cleanup
sleep 0.5
check "smbstatus started once ($(calls smbstatus))" \
	[ "$(calls smbstatus)" -eq 1 ]
finish
