#!/bin/bash
# Hung share directories (issue 7, item 1; spec 3.5): a FUSE filesystem
# (tests/helpers/hangfs) whose stat() of "hang*" blocks while a block
# file exists.  Needs root and /dev/fuse.  The test runs in a private
# mount namespace of its own, so that the FUSE mount can neither leak
# into other namespaces nor outlive the test.

if [ "$(id -u)" != 0 ]; then
	echo "needs root to mount a FUSE filesystem"
	exit 77
fi
if [ ! -c /dev/fuse ]; then
	echo "no /dev/fuse"
	exit 77
fi
if [ -z "${FAULT_PRIVATE_NS:-}" ]; then
	if ! unshare -m --propagation private true 2>/dev/null; then
		echo "cannot create a private mount namespace (unshare -m)"
		exit 77
	fi
	FAULT_PRIVATE_NS=1 exec unshare -m --propagation private "$0" "$@"
fi

. "$(dirname "$0")/lib/unit.sh"

HANGFS=${HANGFS:-$top/${BUILD_DIR:-build}/tests/helpers/hangfs}
[ -x "$HANGFS" ] || HANGFS=$top/build/tests/helpers/hangfs
if [ ! -x "$HANGFS" ]; then
	echo "tests/helpers/hangfs not built (libfuse3-dev missing?)"
	exit 77
fi

# slack over the deadline: sanitizers and valgrind start slowly (for
# runs that must not wait for the 2 s deadline, slack stays below it)
case "$CTDB_FRONTEND" in
*valgrind*) slack_ms=3000 ;;
*build-asan*) slack_ms=1500 ;;
*) slack_ms=1000 ;;
esac

setup
MNT="$SB/mnt"
BLOCK="$SB/hangfs.block"
HANGFS_PID=""
WATCHDOG_PID=""

release() {
	rm -f "$BLOCK"
}

# hang: stat of hang* blocks from now on, for 60 s at most, whatever
# goes wrong (a watchdog releases it)
hang() {
	[ -n "$WATCHDOG_PID" ] && kill "$WATCHDOG_PID" 2>/dev/null
	touch "$BLOCK"
	(sleep 60; rm -f "$BLOCK") >/dev/null 2>&1 &
	WATCHDOG_PID=$!
}

# every exit path: release the stuck stats, unmount, stop the daemon
fault_cleanup() {
	release
	[ -n "$WATCHDOG_PID" ] && kill "$WATCHDOG_PID" 2>/dev/null
	if [ -n "$HANGFS_PID" ]; then
		fusermount3 -u "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null
		kill "$HANGFS_PID" 2>/dev/null
		wait "$HANGFS_PID" 2>/dev/null
		HANGFS_PID=""
	fi
	cleanup_scenario
}
trap fault_cleanup EXIT

mkdir -p "$MNT"
HANGFS_BLOCK_FILE="$BLOCK" "$HANGFS" "$MNT" 2>"$SB/hangfs.log" &
HANGFS_PID=$!
for i in $(seq 1 50); do
	grep -q " $MNT fuse" /proc/mounts && break
	sleep 0.1
done
if ! grep -q " $MNT fuse" /proc/mounts || [ ! -d "$MNT/ok" ]; then
	echo "cannot mount hangfs: $(head -n 1 "$SB/hangfs.log")"
	exit 77
fi

# Probes of our runs stuck in the kernel: threads of the prober
# children of this sandbox (their command line names --state-dir
# "$STATE") waiting for FUSE.  One pgrep finds the processes, and the
# shell reads their threads' state without a fork: a loop over every
# /proc/PID that forked three programs per process took seconds per
# call on a busy machine (12 s to 114 s for the test).
STATE_ARGS=(--state-dir "$STATE")
stuck_probes() {
	local n=0 p t st wchan
	for p in $(pgrep -f -- "--state-dir $STATE"); do
		for t in /proc/"$p"/task/*; do
			st='' wchan=''
			{ read -r st <"$t/stat"; } 2>/dev/null
			{ read -r wchan <"$t/wchan"; } 2>/dev/null
			st=${st##*) }
			if [ "${st%% *}" = D ] ||
			   [ "$wchan" = request_wait_answer ]; then
				n=$((n + 1))
			fi
		done
	done
	echo "$n"
}

# Records in share_probes whose process is alive (not a zombie).
live_records() {
	local n=0 pid rest
	[ -f "$STATE/share_probes" ] || { echo 0; return; }
	while read -r pid rest; do
		alive "$pid" && n=$((n + 1))
	done <"$STATE/share_probes"
	echo "$n"
}

# until_stuck N: wait (5 s at most) until N probes are stuck
until_stuck() {
	local i
	for i in $(seq 1 100); do
		[ "$(stuck_probes)" -eq "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

# headline_test ARGS...: like simple_test, but only the first line must
# be the required output; after it at most one WARNING line may follow
# (a confirmation refresh of the cache that finds no time left says
# "cache update timed out")
headline_test() {
	local out rc first rest
	out=$("$CTDB_FRONTEND" checksamba "$@" 2>&1)
	rc=$?
	first=$(printf '%s\n' "$out" | head -n 1)
	rest=$(printf '%s\n' "$out" | tail -n +2)
	if [ "$rc" = "$required_rc" ] && [ "$first" = "$required_output" ] &&
	   { [ -z "$rest" ] ||
	     [ "$(printf '%s\n' "$rest" | grep -vc '^WARNING: ')" -eq 0 ] &&
	     [ "$(printf '%s\n' "$rest" | wc -l)" -eq 1 ]; }; then
		ok "checksamba $* ($((TAP_COUNT + 1)))"
	else
		not_ok "checksamba $* ($((TAP_COUNT + 1)))" \
			"exit: got $rc, want $required_rc" \
			"$(printf '%s\n' "$out" | sed 's/^/got: /')"
	fi
}

# timed_test MAX_MS ARGS...: headline_test, ending within MAX_MS
timed_test() {
	local max=$1 t0 t1
	shift
	t0=$(now_ms)
	headline_test "$@"
	t1=$(now_ms)
	elapsed=$((t1 - t0))
	check "ended in $elapsed ms (at most $max)" [ "$elapsed" -le "$max" ]
}

listen_ports 1
smbconf_global "smb ports = $PORT1"
smbconf_share good "path = $MNT/ok"
smbconf_share hung "path = $MNT/d1/hang"

define_test "hangfs answers: healthy"
ok_null
timed_test 5000 "${STATE_ARGS[@]}" --timeout 2
check "the smb.conf cache exists" test -s "$STATE/smb.conf.cache"

define_test "a stuck probe does not hold the caller's output open"
hang
# ctdb (and $(...) in a shell) read a script's output until every writer
# has closed it: a probe left behind must not keep it open
t0=$(now_ms)
timeout 8 bash -c '"$@" | cat >/dev/null' _ \
	"$CTDB_FRONTEND" checksamba "${STATE_ARGS[@]}" --timeout 2
t1=$(now_ms)
check "output closed when the run ended ($((t1 - t0)) ms)" \
	[ $((t1 - t0)) -le 5000 ]
if [ $((t1 - t0)) -gt 5000 ]; then
	not_ok "stopping here: every later run would wait for the probe"
	finish
	exit 1
fi
# smb.conf had just changed (the cache's check says so): testparm got
# its time before the shares were waited for, no "timed out" WARNING
check "no cache WARNING on the way" \
	test ! -e "$STATE/smb.conf.cache.warned"
release
until_stuck 0
rm -f "$STATE/share_probes"

define_test "a hung share directory: ERROR within 5 s"
hang
required_result 1 \
	"ERROR: samba directory \"$MNT/d1/hang\" not available (no answer in 2 s)"
timed_test 5000 "${STATE_ARGS[@]}" --timeout 2
check "one probe stuck in the kernel" [ "$(stuck_probes)" -eq 1 ]
check "one live probe recorded" [ "$(live_records)" -eq 1 ]
check "recorded as PID START PATH" \
	grep -qE "^[0-9]+ [0-9]+ $MNT/d1/hang\$" "$STATE/share_probes"

define_test "five more runs: reported at once, no second probe"
for i in 1 2 3 4 5; do
	timed_test "$slack_ms" "${STATE_ARGS[@]}" --timeout 2
	check "run $i: still one stuck probe" [ "$(stuck_probes)" -eq 1 ]
done
check "still one record" [ "$(wc -l <"$STATE/share_probes")" -eq 1 ]

define_test "ten hung shares at once: probed in parallel, within the deadline"
for i in $(seq 11 20); do
	smbconf_share "hung$i" "path = $MNT/d$i/hang"
done
# drop the first hung share: its probe stays stuck (and recorded)
sed -i "/^\[hung\]/,/d1\/hang\$/d" "$FAKE_SMBCONF"
required_result 1 \
	"ERROR: samba directory \"$MNT/d11/hang\" not available (no answer in 2 s)"
timed_test $((2000 + slack_ms)) "${STATE_ARGS[@]}" --timeout 2
check "one stuck probe per directory (11)" [ "$(stuck_probes)" -eq 11 ]
check "11 live probes recorded" [ "$(live_records)" -eq 11 ]
timed_test "$slack_ms" "${STATE_ARGS[@]}" --timeout 2
check "a second run adds none" [ "$(stuck_probes)" -eq 11 ]

define_test "released: healthy again, records forgotten"
release
check "every stuck probe ended" until_stuck 0
ok_null
timed_test 5000 "${STATE_ARGS[@]}" --timeout 2
check "no live record left" [ "$(live_records)" -eq 0 ]

define_test "hung again after release: a new probe, one per directory"
hang
required_result 1 \
	"ERROR: samba directory \"$MNT/d11/hang\" not available (no answer in 2 s)"
timed_test $((2000 + slack_ms)) "${STATE_ARGS[@]}" --timeout 2
check "ten stuck probes" [ "$(stuck_probes)" -eq 10 ]
release
check "every stuck probe ended" until_stuck 0

# no line of share_probes names @p path
not_alive_record() {
	! grep -qF "$1" "$STATE/share_probes" 2>/dev/null
}

define_test "an include on a hung file system: the old cache, time left"
# healthy shares only, and smb.conf includes a file of the hung mount
sed -i "/^\[hung/,/\/hang\$/d" "$FAKE_SMBCONF"
smbconf_global "include = $MNT/d30/hang.conf"
touch -d '-5 seconds' "$FAKE_SMBCONF"
sleep 0.2
ok_null
timed_test 5000 "${STATE_ARGS[@]}" --timeout 8
check "smb.conf's include recorded" \
	grep -q "$MNT/d30/hang.conf\$" "$STATE/smb.conf.cache"
hang
# the check of smb.conf's files is given up when testparm's time is up
# (8 s less 2 s), not at the run's deadline: the checks after it keep
# their time
required_result 0 \
	"WARNING: smb.conf cache update timed out - using old cache file"
timed_test $((6000 + slack_ms)) "${STATE_ARGS[@]}" --timeout 8
check "it did wait for the look ($elapsed ms)" [ "$elapsed" -ge 5900 ]
check "no record of it" not_alive_record "$MNT/d30/hang.conf"
release
check "every stuck probe ended" until_stuck 0
finish
