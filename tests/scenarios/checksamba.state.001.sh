#!/bin/bash
# Unwritable or odd state (issue 7, item 6; spec 3.1 and 3.3): a
# read-only state directory, a file where it should be, a full disk for
# the cache, corrupt or truncated caches, a garbage
# eventscript_debuglevel.  A healthy node stays healthy (exit 0) with at
# most one WARNING line.  Root ignores permissions, so the read-only and
# full file systems are tmpfs mounts, in a private mount namespace.

if [ "$(id -u)" != 0 ]; then
	echo "needs root (tmpfs mounts in a private mount namespace)"
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

MOUNTS=()
odd_cleanup() {
	local m
	for m in "${MOUNTS[@]}"; do
		umount -l "$m" 2>/dev/null
	done
	cleanup_scenario
}

# healthy_test WHAT ARGS...: exit 0, nothing but at most one WARNING line
healthy_test() {
	local what=$1 out rc nwarn nother
	shift
	out=$(timeout 20 "$CTDB_FRONTEND" checksamba "$@" 2>&1)
	rc=$?
	nwarn=$(grep -c '^WARNING' <<<"$out")
	nother=$(grep -v '^WARNING' <<<"$out" | grep -c .)
	if [ "$rc" -eq 0 ] && [ "$nwarn" -le 1 ] && [ "$nother" -eq 0 ]; then
		ok "$what"
	else
		not_ok "$what (exit $rc)" \
			"$(printf '%s\n' "$out" | head -n 5 | sed 's/^/got: /')"
	fi
}

setup
trap odd_cleanup EXIT
listen_ports 1
smbconf_global "smb ports = $PORT1"
mkdir -p "$SB/shares/a"
smbconf_share a "path = $SB/shares/a"

define_test "read-only state directory"
mkdir -p "$CTDB_VARDIR/state"
mount -t tmpfs -o size=1m fault-ro "$CTDB_VARDIR/state" &&
	MOUNTS+=("$CTDB_VARDIR/state")
mkdir -p "$STATE"
mount -o remount,ro "$CTDB_VARDIR/state"
healthy_test "no cache, cannot write one"
healthy_test "again"
ok_null
CTDB_SAMBA_SKIP_SHARE_CHECK=yes CTDB_SAMBA_CHECK_PORTS=$PORT1 \
	healthy_test "nothing needs smb.conf"
umount "$CTDB_VARDIR/state"
MOUNTS=()

define_test "read-only, with a cache written before"
mount -t tmpfs -o size=1m fault-ro "$CTDB_VARDIR/state" &&
	MOUNTS+=("$CTDB_VARDIR/state")
healthy_test "writable: cache written"
check "cache written" test -s "$STATE/smb.conf.cache"
mount -o remount,ro "$CTDB_VARDIR/state"
healthy_test "read-only, fresh cache"
touch -d '-1 hour' "$SB/fake/smb.conf"
echo >>"$SB/fake/smb.conf"
healthy_test "read-only, smb.conf changed"
umount "$CTDB_VARDIR/state"
MOUNTS=()

define_test "a file where the state directory should be"
rm -rf "$CTDB_VARDIR/state"
touch "$CTDB_VARDIR/state"
healthy_test "legacy mode"
rm -f "$CTDB_VARDIR/state"
touch "$CTDB_SCRIPT_VARDIR/service"
healthy_test "--managed" --managed
rm -f "$CTDB_SCRIPT_VARDIR/service"
touch "$SB/statefile"
healthy_test "--state-dir FILE" --state-dir "$SB/statefile"

define_test "disk full for the cache write"
mkdir -p "$STATE"
mount -t tmpfs -o size=16k fault-full "$STATE" && MOUNTS+=("$STATE")
# a cache bigger than the file system: 200 KB of comment lines
for i in $(seq 1 2000); do
	printf '# padding line %d ..........................................\n' "$i"
done >"$SB/padding"
export FAKE_TESTPARM_STDOUT_FILE="$SB/padding"
healthy_test "no cache, no room for one"
check "no half-written cache" test ! -e "$STATE/smb.conf.cache"
check "no temporary file left" test -z "$(find "$STATE" -name \
	'smb.conf.cache.*' ! -name '*.warned' ! -name '*.nowrite')"
healthy_test "again"
unset FAKE_TESTPARM_STDOUT_FILE
healthy_test "room again: cache written"
check "cache written" test -s "$STATE/smb.conf.cache"
# fill the disk, then make the cache stale
head -c 1000000 /dev/zero >"$STATE/filler" 2>/dev/null
export FAKE_TESTPARM_STDOUT_FILE="$SB/padding"
echo >>"$SB/fake/smb.conf"
healthy_test "full disk, stale cache"
check "the old cache is intact" grep -q '^# body' "$STATE/smb.conf.cache"
unset FAKE_TESTPARM_STDOUT_FILE
umount "$STATE"
MOUNTS=()

define_test "corrupt and truncated caches"
rm -rf "$STATE"
healthy_test "cache written"
good=$(cat "$STATE/smb.conf.cache")
for what in empty garbage truncated header-only binary no-magic huge-line \
	bad-file-lines; do
	case $what in
	empty) : >"$STATE/smb.conf.cache" ;;
	garbage) printf 'garbage\n[x\npath =\n' >"$STATE/smb.conf.cache" ;;
	truncated)
		printf '%s' "$good" | head -c 60 >"$STATE/smb.conf.cache" ;;
	header-only)
		printf '%s\n' "$good" | sed '/^# body/q' >"$STATE/smb.conf.cache" ;;
	binary) head -c 4096 /dev/urandom >"$STATE/smb.conf.cache" ;;
	no-magic)
		printf '%s\n' "$good" | tail -n +2 >"$STATE/smb.conf.cache" ;;
	huge-line)
		{ printf '%s\n' "$good" | head -n 1
		  printf '# '
		  head -c 2000000 /dev/zero | tr '\0' 'x'
		  printf '\n'
		  printf '%s\n' "$good" | tail -n +2; } >"$STATE/smb.conf.cache" ;;
	bad-file-lines)
		printf '%s\n' "$good" | sed -E 's/^# file [0-9]+/# file -1x/' \
			>"$STATE/smb.conf.cache" ;;
	esac
	healthy_test "$what cache"
	check "$what: rewritten" grep -q '^# body' "$STATE/smb.conf.cache"
done
rm -f "$STATE/smb.conf.cache"
mkdir "$STATE/smb.conf.cache"
healthy_test "a directory in place of the cache"
rmdir "$STATE/smb.conf.cache"
healthy_test "cache back"

define_test "a corrupt share_probes record file"
for content in "garbage" "1 2" "-5 7 /x" "99999999999999999999 1 /x" \
	"$$ 1 $SB/shares/a" "$(head -c 3000 /dev/urandom | tr -d '\0')"; do
	printf '%s\n' "$content" >"$STATE/share_probes"
	healthy_test "share_probes: $(printf '%.20q' "$content")"
done

define_test "garbage eventscript_debuglevel"
for content in "" "garbage" "CTDB_CURRENT_DEBUGLEVEL=\$(touch $SB/marker)" \
	"export CTDB_CURRENT_DEBUGLEVEL=99999999999999999999" \
	"CTDB_CURRENT_DEBUGLEVEL=-3" \
	"$(head -c 5000 /dev/urandom | tr -d '\0')"; do
	printf '%s\n' "$content" >"$CTDB_VARDIR/eventscript_debuglevel"
	healthy_test "eventscript_debuglevel: $(printf '%.20q' "$content")"
done
mkdir -p "$SB/dl" && rm -f "$CTDB_VARDIR/eventscript_debuglevel" &&
	mkdir "$CTDB_VARDIR/eventscript_debuglevel"
healthy_test "eventscript_debuglevel is a directory"
rmdir "$CTDB_VARDIR/eventscript_debuglevel"
mkfifo "$CTDB_VARDIR/eventscript_debuglevel"
healthy_test "eventscript_debuglevel is a FIFO"
rm -f "$CTDB_VARDIR/eventscript_debuglevel"
check "nothing executed" test ! -e "$SB/marker"
finish
