#!/bin/bash
# 50.samba.script startup and shutdown as upstream does them, with
# CTDB 4.17's own "functions" (Debian 12's /etc/ctdb/functions) and with
# a newer-style one, in a sandbox CTDB_BASE.  The init system is the
# service stub; killall and pidof are stubs that see only the sandbox's
# "smbd" (copies of sleep under FAKE_DIR), never the machine's smbd.
. "$(dirname "$0")/lib/unit.sh"

setup
[ -r /etc/ctdb/functions ] || skip "no /etc/ctdb/functions (ctdb)"
base=$CTDB_BASE
mkdir -p "$base/events/legacy" "$FAKE_DIR/bin" "$SB/bin"
script="$base/events/legacy/50.samba.script"
sed "s|@CTDB_FRONTEND@|$CTDB_FRONTEND|" "$top/scripts/50.samba.script" \
	>"$script"
chmod +x "$script"
cp "$(command -v sleep)" "$FAKE_DIR/bin/smbd"
log="$FAKE_DIR/service.log"
unset CTDB_SERVICE_SMB CTDB_INIT_STYLE CTDB_PLATFORM_STYLE \
	CTDB_SAMBA_INTERFACES_FILE CTDB_SAMBA_INTERFACES_EXTRA

# CTDB 4.17's functions, its init system calls (absolute paths) routed
# to the service stub on PATH
functions_417() {
	cp /etc/ctdb/functions "$base/functions"
	cat >>"$base/functions" <<'EOT'
_service() { [ -n "$1" ] || return 0; ${_nice:-command} service "$1" "$2"; }
EOT
}

SMBD_PIDS=""
# start_smbd N: N sandbox smbd processes, not children of this shell (the
# service stub stops nothing, as an init system that failed to)
start_smbd() {
	local i
	for i in $(seq 1 "$1"); do
		SMBD_PIDS="$SMBD_PIDS $(sh -c '"$1" 1000 >/dev/null 2>&1 &
			echo $!' _ "$FAKE_DIR/bin/smbd")"
	done
	sleep 0.1
}
stop_smbd() {
	local p
	for p in $SMBD_PIDS; do
		kill "$p" 2>/dev/null
	done
	SMBD_PIDS=""
}
# gone PID: true once PID has ended (within a second)
gone() {
	local i
	for i in $(seq 1 20); do
		alive "$1" || return 0
		sleep 0.05
	done
	return 1
}
trap 'stop_smbd; cleanup_scenario' EXIT

reset_logs() {
	rm -f "$log" "$FAKE_DIR/killall.calls" "$FAKE_DIR/pidof.calls"
}

functions_417

define_test "startup: smbd left alive by the init system is killed"
reset_logs
start_smbd 2
"$script" startup >"$SB/out" 2>&1
check "exit 0" [ $? -eq 0 ]
check "no output" [ ! -s "$SB/out" ]
check "stopped, then started reniced" diff -u - "$log" <<EOT
service smbd stop (nice 0)
service smbd start (nice 10)
EOT
check "killall -0, then -9" diff -u - "$FAKE_DIR/killall.calls" <<EOT
killall -0 -q smbd
killall -q -9 smbd
EOT
for p in $SMBD_PIDS; do
	check "smbd $p killed" gone "$p"
done
stop_smbd
check "started file" test -e "$CTDB_SCRIPT_VARDIR/service/samba/started"

define_test "startup: nothing alive after stop, nothing killed"
reset_logs
"$script" startup
check "exit 0" [ $? -eq 0 ]
check "only asked" diff -u - "$FAKE_DIR/killall.calls" <<EOT
killall -0 -q smbd
EOT

define_test "startup: the init system fails to start smbd"
reset_logs
out=$(FAKE_SERVICE_FAIL=start "$script" startup 2>&1)
check "exit 1" [ $? -eq 1 ]
check "Failed to start samba" [ "$out" = "Failed to start samba" ]

define_test "startup writes CTDB_SAMBA_INTERFACES_FILE"
reset_logs
cat >"$base/public_addresses" <<EOT
# a comment
10.0.0.1/24 eth1
10.0.0.2/24	eth2,eth3
10.0.0.3/24 eth1
10.0.0.4/24 x";rm
EOT
cat >"$SB/bin/ctdb" <<'EOT'
#!/bin/sh
[ "$*" = "-X ifaces" ] || { echo "ctdb stub: not implemented: $*" >&2; exit 2; }
echo "|Name|LinkStatus|References|"
echo "|eth4|1|2|"
echo "|eth1|1|1|"
EOT
chmod +x "$SB/bin/ctdb"
export CTDB="$SB/bin/ctdb"
mkdir -p "$SB/samba"
ifile="$SB/samba/ctdb-interfaces.conf"
cat >"$base/script.options" <<EOT
CTDB_SAMBA_INTERFACES_FILE="$ifile"
CTDB_SAMBA_INTERFACES_EXTRA="10.1.1.1/24 eth9"
EOT
"$script" startup
check "exit 0" [ $? -eq 0 ]
check "the snippet" diff -u - "$ifile" <<'EOT'
    bind interfaces only = yes
    interfaces = lo "eth1;options=dynamic" "eth2;options=dynamic" "eth3;options=dynamic" "eth4;options=dynamic" 10.1.1.1/24 eth9
EOT
check "no temporary file left" \
	[ "$(find "$SB/samba" -type f | wc -l)" -eq 1 ]
check "smbd started after it" grep -q 'start' "$log"

define_test "startup: the interfaces file cannot be written"
reset_logs
cat >"$base/script.options" <<EOT
CTDB_SAMBA_INTERFACES_FILE="$SB/no/such/dir/ctdb-interfaces.conf"
EOT
out=$("$script" startup 2>&1)
check "exit 1" [ $? -eq 1 ]
check "says which file" grep -q "no/such/dir" <<<"$out"
check "smbd not started" sh -c "! grep -q start '$log'"
rm -f "$base/script.options"
unset CTDB

define_test "shutdown: stack traces of live smbd only, at most 5"
reset_logs
"$script" shutdown >"$SB/out" 2>&1
check "exit 0" [ $? -eq 0 ]
check "stopped" grep -qx "service smbd stop (nice 0)" "$log"
check "none alive: no output" [ ! -s "$SB/out" ]
start_smbd 2
# a PID that pidof reported but that is gone by the time it is read
gone=$(sh -c 'echo $$')
FAKE_PIDOF_EXTRA=" $gone" "$script" shutdown >"$SB/out" 2>&1
check "exit 0" [ $? -eq 0 ]
check "two traces" [ "$(grep -c '^Stack trace for smbd\[' "$SB/out")" -eq 2 ]
for p in $SMBD_PIDS; do
	check "a trace for live smbd $p" grep -qx "Stack trace for smbd\[$p\]:" "$SB/out"
done
check "none for the gone PID" sh -c "! grep -q 'smbd\[$gone\]' '$SB/out'"
check "the trace follows its heading" \
	[ "$(sed -n 2p "$SB/out" | cut -c1-4)" = "[<0>" ]
start_smbd 5
"$script" shutdown >"$SB/out" 2>&1
check "7 alive: 5 traces" [ "$(grep -c '^Stack trace for smbd\[' "$SB/out")" -eq 5 ]
stop_smbd

define_test "service name: 4.17's init style"
reset_logs
CTDB_INIT_STYLE=redhat "$script" shutdown
check "Red Hat: smb" grep -q "^service smb stop" "$log"
reset_logs
CTDB_INIT_STYLE=suse "$script" shutdown
check "SUSE: smb" grep -q "^service smb stop" "$log"
reset_logs
CTDB_SERVICE_SMB=mysmb "$script" shutdown
check "CTDB_SERVICE_SMB wins" grep -q "^service mysmb stop" "$log"

define_test "service name: a newer functions sets CTDB_PLATFORM_STYLE"
# the newer functions reads /etc/os-release into CTDB_PLATFORM_STYLE and
# makes the init style follow it
cat >"$base/functions" <<'EOT'
CTDB_PLATFORM_STYLE=${FAKE_PLATFORM:-unknown}
detect_init_style() { CTDB_INIT_STYLE="$CTDB_PLATFORM_STYLE"; }
load_script_options() { :; }
die() { echo "$1" >&2; exit "${2:-1}"; }
service() { command service "$@"; }
nice_service() { nice service "$@"; }
EOT
reset_logs
FAKE_PLATFORM=debian CTDB_INIT_STYLE=redhat "$script" shutdown
check "debian: smbd" grep -q "^service smbd stop" "$log"
reset_logs
FAKE_PLATFORM=suse "$script" shutdown
check "suse: smb" grep -q "^service smb stop" "$log"
reset_logs
FAKE_PLATFORM=redhat "$script" startup
check "redhat: smb, started reniced" grep -qx "service smb start (nice 10)" "$log"

define_test "run by hand without CTDB_BASE: two levels up"
functions_417
reset_logs
# installed as a link from the CTDB_BASE layout into a package directory
pkg="$SB/usr/share/ctdb/events/legacy"
mkdir -p "$pkg"
mv "$script" "$pkg/"
ln -s "$pkg/50.samba.script" "$script"
env -u CTDB_BASE "$script" shutdown
check "exit 0" [ $? -eq 0 ]
check "found $base/functions" grep -q "^service smbd stop" "$log"
reset_logs
(cd "$base/events/legacy" && env -u CTDB_BASE ./50.samba.script shutdown)
check "relative \$0 too" grep -q "^service smbd stop" "$log"

define_test "50.samba (events.d): the same, one level up"
mkdir -p "$base/events.d"
old="$base/events.d/50.samba"
sed "s|@CTDB_FRONTEND@|$CTDB_FRONTEND|" "$top/scripts/50.samba" >"$old"
chmod +x "$old"
# CTDB before 4.9: a functions file of its own kind (4.17's would point
# CTDB_VARDIR at the machine's /var/lib/ctdb)
cat >"$base/functions" <<'EOT'
detect_init_style() { CTDB_INIT_STYLE=${CTDB_INIT_STYLE:-debian}; }
loadconfig() { :; }
die() { echo "$1" >&2; exit "${2:-1}"; }
service() { command service "$@"; }
nice_service() { nice service "$@"; }
EOT
reset_logs
start_smbd 1
CTDB_MANAGES_SAMBA=yes env -u CTDB_BASE "$old" startup
check "exit 0" [ $? -eq 0 ]
check "found $base/functions" grep -q "^service smbd start (nice 10)" "$log"
check "killall -0, then -9" diff -u - "$FAKE_DIR/killall.calls" <<EOT
killall -0 -q smbd
killall -q -9 smbd
EOT
for p in $SMBD_PIDS; do
	check "smbd $p killed" gone "$p"
done
stop_smbd
start_smbd 1
CTDB_MANAGES_SAMBA=yes "$old" shutdown >"$SB/out" 2>&1
check "shutdown: a stack trace" \
	[ "$(grep -c '^Stack trace for smbd\[' "$SB/out")" -eq 1 ]
stop_smbd
finish
