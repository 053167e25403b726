# Scenario test library, in the manner of CTDB's eventscript unit tests:
# each test file tells one story.
#
#   . "$(dirname "$0")/lib/unit.sh"
#   define_test "smbd down"
#   setup                         # sandbox, stubs first on PATH
#   listen_ports 2                # real listeners: $PORT1 $PORT2
#   smbconf_global "smb ports = $PORT1 $PORT2"
#   ok_null; simple_test          # exit 0, no output
#   stop_listeners
#   required_result 1 "ERROR: samba tcp port $PORT1 is not responding"
#   simple_test
#   check "the cache exists" test -s "$STATE/smb.conf.cache"
#   finish
#
# simple_test runs "$CTDB_FRONTEND checksamba ARGS" with stdout and
# stderr merged (as ctdb logs them), filters timings, and compares exit
# code and output exactly.  Stubs are controlled by FAKE_* variables.
# Result lines, check, skip, now_ms and alive come from tests/lib/tap.sh
# (so the required output is "required_result 0 TEXT", not CTDB's "ok
# TEXT": ok is a result line here).

set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/tap.sh"
: "${CTDB_FRONTEND:=$top/build/ctdb}"
stubs="$top/tests/scenarios/stubs"

define_test() {
	test_name="$1"
	TAP_PREFIX="$test_name: "
	echo "== $(basename "$0"): $test_name"
}

cleanup_scenario() {
	stop_listeners
	[ -n "${SB:-}" ] && rm -rf "$SB"
}

setup() {
	SB=$(mktemp -d /tmp/checksamba-scenario.XXXXXX)
	trap cleanup_scenario EXIT
	trap 'exit 1' INT TERM
	export CTDB_BASE="$SB/etc-ctdb"
	export CTDB_ETCDIR="$SB/etc"
	export CTDB_VARDIR="$SB/var"
	export CTDB_SCRIPT_VARDIR="$SB/scripts"
	mkdir -p "$CTDB_BASE" "$CTDB_ETCDIR" "$CTDB_VARDIR" \
		"$CTDB_SCRIPT_VARDIR" "$SB/shares"
	STATE="$CTDB_VARDIR/state/samba"
	export PATH="$stubs:$PATH"
	export FAKE_DIR="$SB/fake"
	mkdir -p "$FAKE_DIR"
	# testparm's view of smb.conf: the stub prints FAKE_DIR/smb.conf
	export FAKE_SMBCONF="$FAKE_DIR/smb.conf"
	printf '[global]\n' >"$FAKE_SMBCONF"
	unset CTDB_MANAGED_SERVICES CTDB_MANAGES_WINBIND \
		CTDB_SAMBA_SKIP_SHARE_CHECK CTDB_SAMBA_CHECK_PORTS \
		CTDB_TCP_PORT_CHECKERS SAMBA_CLEANUP_PERIOD \
		CTDB_SAMBA_CHECK_TIMEOUT CTDB_SAMBA_CONFIG_CHECK \
		CTDB_CURRENT_DEBUGLEVEL CTDB_DEBUGLEVEL \
		CTDB_SAMBA_CACHE_MAX_AGE CTDB_SAMBA_STARTUP_GRACE \
		CTDB_SAMBA_CHECK_SMB CTDB_SAMBA_SMB_INTERVAL \
		CTDB_SAMBA_SMB_TIMEOUT CTDB_SAMBA_SMB_FAILURES LISTEN_MODE
	export CTDB_MANAGES_SAMBA=yes
	# no real winbindd may be asked by accident: with _NO_WINBINDD set,
	# libwbclient answers every request with an error at once
	export _NO_WINBINDD=1
	LISTENER_PID=""
	# relative paths in hostile values land in the sandbox
	cd "$SB" || exit 1
}

# smbconf_global "NAME = VALUE"...: set [global] parameters (testparm
# style), replacing an earlier value of the same name
smbconf_global() {
	local l name
	for l in "$@"; do
		name=${l%% =*}
		sed -i "/^\t$name =/d" "$FAKE_SMBCONF"
		sed -i "/^\[global\]/a\\	$l" "$FAKE_SMBCONF"
	done
}

# smbconf_share NAME PARAM...: add a share section
smbconf_share() {
	local name=$1 l
	shift
	printf '\n[%s]\n' "$name" >>"$FAKE_SMBCONF"
	for l in "$@"; do
		printf '\t%s\n' "$l" >>"$FAKE_SMBCONF"
	done
}

# listen_ports N [ADDR]: N real listeners on ADDR (127.0.0.1; "::1"
# listens on IPv6 only), ports in PORT1..PORTN
listen_ports() {
	local n=$1 i
	stop_listeners
	rm -f "$SB/ports"
	python3 "$top/tests/scenarios/lib/listen.py" "$n" "$SB/ports" \
		"${2:-127.0.0.1}" &
	LISTENER_PID=$!
	for i in $(seq 1 100); do
		[ -s "$SB/ports" ] && break
		sleep 0.05
	done
	i=1
	for p in $(cat "$SB/ports"); do
		eval "PORT$i=$p"
		i=$((i + 1))
	done
}

stop_listeners() {
	if [ -n "${LISTENER_PID:-}" ]; then
		kill "$LISTENER_PID" 2>/dev/null
		wait "$LISTENER_PID" 2>/dev/null
		LISTENER_PID=""
	fi
}

# a port nothing listens on
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

required_result() {
	required_rc="$1"
	if [ $# -gt 1 ]; then
		required_output="$2"
	else
		required_output=$(cat)
	fi
}

ok_null() {
	required_result 0 ""
}

result_filter() {
	sed -E -e 's/\([0-9]+ ms( in all)?\)/(X ms\1)/g'
}

# compare WHAT RC OUT: ok when RC and OUT are the required ones, else
# not_ok with the difference
compare() {
	local what=$1 rc=$2 out=$3
	if [ "$rc" = "$required_rc" ] && [ "$out" = "$required_output" ]; then
		ok "$what"
	else
		not_ok "$what" "exit: got $rc, want $required_rc" \
			"$(diff -u --label want --label got <(printf '%s\n' "$required_output") \
				<(printf '%s\n' "$out"))"
	fi
}

# command_test COMMAND ARGS...: run "ctdb COMMAND ARGS", compare
command_test() {
	local out rc
	out=$("$CTDB_FRONTEND" "$@" 2>&1)
	rc=$?
	out=$(printf '%s' "$out" | result_filter)
	compare "$* ($((TAP_COUNT + 1)))" "$rc" "$out"
}

# simple_test ARGS...: run checksamba, compare
simple_test() {
	command_test checksamba "$@"
}

# count of stub invocations logged by a stub (testparm, wbinfo, ...)
calls() {
	if [ -f "$FAKE_DIR/$1.calls" ]; then
		wc -l <"$FAKE_DIR/$1.calls"
	else
		echo 0
	fi
}

finish() {
	[ "$TAP_COUNT" -gt 0 ] || { echo "no assertions ran"; exit 1; }
	echo "# $TAP_COUNT assertions, $TAP_FAILED failed"
	[ "$TAP_FAILED" -eq 0 ]
}
