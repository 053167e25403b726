#!/bin/bash
. "$(dirname "$0")/lib/unit.sh"

# Hostile environments and configurations (issue 17): no false
# verdict, nothing followed, the deadline bounds the work.
setup
listen_ports 1
mkdir -p "$SB/shares/data"
smbconf_global "smb ports = $PORT1"
smbconf_share data "path = $SB/shares/data"
touch -d '-5 seconds' "$FAKE_SMBCONF"
sleep 0.2

define_test "stdin, stdout and stderr closed: still healthy, cache usable"
"$CTDB_FRONTEND" checksamba <&- >&- 2>&-
check "exit 0" [ $? -eq 0 ]
check "smb.conf recorded with its identity" \
	grep -q "^# file [1-9][0-9]* [1-9]" "$STATE/smb.conf.cache"
"$CTDB_FRONTEND" checksamba <&- >&- 2>&-
check "second run: exit 0" [ $? -eq 0 ]
check "second run: the cache served, no testparm" [ "$(calls testparm)" -eq 1 ]

define_test "80,000 variables: read in time, and the right verdict"
awk 'BEGIN { for (i = 0; i < 80000; i++) printf "V%07d=1\n", i }' \
	>"$CTDB_BASE/script.options"
ok_null
t0=$(date +%s%N)
simple_test --timeout 2
t1=$(date +%s%N)
check "within the deadline ($(((t1 - t0) / 1000000)) ms)" \
	[ $(((t1 - t0) / 1000000)) -lt 2000 ]
rm -f "$CTDB_BASE/script.options"

define_test "an include of a FIFO: the old cache at once, not a hung testparm"
export FAKE_TESTPARM_INCLUDES=yes
mkfifo "$SB/fifo.conf"
cp "$FAKE_SMBCONF" "$SB/smb.conf.good"
smbconf_global "include = $SB/fifo.conf"
touch -d '-5 seconds' "$FAKE_SMBCONF"
sleep 0.2
required_result 0 <<EOT
WARNING: smb.conf cache update failed - using old cache file
testparm not run: "$SB/fifo.conf" is not a regular file
EOT
t0=$(now_ms)
simple_test --timeout 2
ok_null
simple_test --timeout 2
t1=$(now_ms)
check "two runs without waiting for testparm ($((t1 - t0)) ms)" \
	[ $((t1 - t0)) -lt 1000 ]
cp "$SB/smb.conf.good" "$FAKE_SMBCONF"
touch -d '-5 seconds' "$FAKE_SMBCONF"
rm -f "$SB/fifo.conf" "$STATE"/smb.conf.cache.warned
unset FAKE_TESTPARM_INCLUDES
sleep 0.2

define_test "a configuration file over 1 MiB is skipped with a WARNING"
head -c 1100000 /dev/zero | tr '\0' '#' >"$CTDB_BASE/script.options"
required_result 0 "WARNING: cannot read configuration file \"$CTDB_BASE/script.options\" (File too large) - skipped"
simple_test
rm -f "$CTDB_BASE/script.options"

define_test "assignments inside shell structures are not taken"
cat >"$CTDB_BASE/script.options" <<EOT
if false; then
	CTDB_SAMBA_CHECK_PORTS=3
fi
cat <<END
CTDB_SAMBA_CHECK_PORTS=3
END
f() {
	CTDB_SAMBA_CHECK_PORTS=3
}
X="two
CTDB_SAMBA_CHECK_PORTS=3
lines"
CTDB_SAMBA_CHECK_TIMEOUT=5
EOT
ok_null
simple_test
check "each skip is a DEBUG line with file:line" \
	[ "$("$CTDB_FRONTEND" checksamba -v | grep -c 'script.options:[0-9]*: skipped: inside')" -eq 8 ]
printf 'CTDB_SAMBA_CHECK_PORTS=3\nunset CTDB_SAMBA_CHECK_PORTS\n' \
	>"$CTDB_BASE/script.options"
ok_null
simple_test
check "unset: smb.conf's ports again" [ $? -eq 0 ]
rm -f "$CTDB_BASE/script.options"

define_test "links in the state directory are replaced, never followed"
simple_test
touch -d '-20 minutes' "$STATE/periodic_cleanup" 2>/dev/null
rm -f "$STATE/smb.conf.cache.warned"
ln -s "$SB/created-by-link" "$STATE/smb.conf.cache.warned"
touch -d '2020-01-01' "$SB/old-target"
export FAKE_TESTPARM_FAIL=yes
touch -d '+2 seconds' "$FAKE_SMBCONF"
"$CTDB_FRONTEND" checksamba >"$SB/out" 2>&1
unset FAKE_TESTPARM_FAIL
check "the WARNING was printed" grep -q "using old cache file" "$SB/out"
check "the link's target was not created" [ ! -e "$SB/created-by-link" ]
check "the link became a stamp" \
	[ -f "$STATE/smb.conf.cache.warned" ] && [ ! -L "$STATE/smb.conf.cache.warned" ]
rm -f "$STATE/periodic_cleanup"
ln -s "$SB/old-target" "$STATE/periodic_cleanup"
SAMBA_CLEANUP_PERIOD=1 "$CTDB_FRONTEND" checksamba >/dev/null 2>&1
check "periodic_cleanup link: target's mtime unchanged" \
	[ "$(stat -c %Y "$SB/old-target")" = "$(date -d 2020-01-01 +%s)" ]

define_test "a state directory that is a file"
touch "$SB/state-file"
required_result 0 "WARNING: state directory \"$SB/state-file\" not usable (Not a directory) - running without cache"
simple_test --state-dir "$SB/state-file" --skip-share-check --ports "$PORT1"

define_test "--config must be a readable regular file of sane size"
mkfifo "$SB/fifo"
mkdir -p "$SB/dir"
head -c 1100000 /dev/zero | tr '\0' '#' >"$SB/big"
for f in "$SB/fifo" "$SB/dir" /dev/null "$SB/big"; do
	timeout 5 "$CTDB_FRONTEND" checksamba --config "$f" >/dev/null 2>"$SB/err"
	rc=$?
	if [ $rc -eq 22 ] && grep -q "cannot read --config" "$SB/err"; then
		ok "--config $f: usage error"
	else
		not_ok "--config $f: exit $rc" "$(cat "$SB/err")"
	fi
done

define_test "a long invalid value is cut in the message"
long=$(printf 'x%.0s' $(seq 1 5000))
required_result 1 "ERROR: invalid value \"$(printf 'x%.0s' $(seq 1 64))...\" for CTDB_SAMBA_CHECK_TIMEOUT"
CTDB_SAMBA_CHECK_TIMEOUT=$long simple_test

define_test "a forged hand-over count cannot extend the loop guard"
bounce="$SB/bounce"
printf '#!/bin/sh\nexec "%s" "$@"\n' "$CTDB_FRONTEND" >"$bounce"
chmod +x "$bounce"
for d in -99999999999 99999999999999999999 abc ""; do
	out=$(CTDB_FRONTEND_DEPTH=$d CTDB_REAL_TOOL=$bounce \
		timeout 10 "$CTDB_FRONTEND" status 2>&1)
	rc=$?
	if [ $rc -eq 1 ] && grep -q "refusing to loop" <<<"$out"; then
		ok "CTDB_FRONTEND_DEPTH='$d': refused"
	else
		not_ok "CTDB_FRONTEND_DEPTH='$d': exit $rc" "$out"
	fi
done
define_test "a cache cut short is refreshed, never trusted"
ok_null
simple_test
before=$(calls testparm)
# cut just after the first two digits of the smb port
cut=$(grep -bo "smb ports = $PORT1" "$STATE/smb.conf.cache" | cut -d: -f1)
check "the cache holds the port" [ -n "$cut" ]
truncate -s $((cut + 14)) "$STATE/smb.conf.cache"
touch -d '-5 seconds' "$STATE/smb.conf.cache"
simple_test
check "testparm ran again" [ "$(calls testparm)" -eq $((before + 1)) ]
check "the new cache is whole" \
	[ "$(tail -n 1 "$STATE/smb.conf.cache")" = "# end of cache" ]

define_test "killed while testparm hangs: testparm goes too"
not_alive() { ! alive "$1"; }
for sig in TERM INT HUP; do
	rm -f "$STATE/smb.conf.cache"
	# $run must be checksamba itself (exec), and bash starts background
	# jobs with SIGINT ignored (and nohup SIGHUP): perl (Essential in
	# Debian) undoes that before its exec
	(exec env FAKE_TESTPARM_HANG=yes perl -e \
		'$SIG{INT} = $SIG{HUP} = "DEFAULT";
		exec { $ARGV[0] } @ARGV or exit 127' \
		"$CTDB_FRONTEND" checksamba --timeout 30 >/dev/null 2>&1) &
	run=$!
	child=""
	for i in $(seq 1 100); do
		child=$(pgrep -P "$run" | head -n 1)
		[ -n "$child" ] && break
		sleep 0.05
	done
	check "SIG$sig: testparm started" [ -n "$child" ]
	sleep 0.2	# let the stub exec its sleep
	kill -"$sig" "$run"
	wait "$run"
	rc=$?
	check "SIG$sig: ended by the signal (exit $rc)" \
		[ "$rc" -eq $((128 + $(kill -l "$sig"))) ]
	for i in $(seq 1 40); do
		alive "$child" || break
		sleep 0.05
	done
	check "SIG$sig: testparm did not outlive the run" not_alive "$child"
	[ -n "$child" ] && kill -KILL "$child" 2>/dev/null
done
finish
