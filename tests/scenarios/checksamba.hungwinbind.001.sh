#!/bin/bash
# Hung winbindd (issue 7, item 3; spec 3.2 step 3 and 3.5): a socket at
# the path libwbclient (and wbinfo) use that accepts and never answers;
# then the same listener stopped with SIGSTOP (the kernel still completes
# connections into its backlog).  Debian's libwbclient ignores
# SELFTEST_WINBINDD_SOCKET_DIR (only honoured under nss_wrapper), so the
# test runs in a private mount namespace with a tmpfs on /run, and puts
# its socket at the real path, /run/samba/winbindd/pipe: no real
# winbindd is touched.  Needs root.

if [ "$(id -u)" != 0 ]; then
	echo "needs root (a private mount namespace with a tmpfs on /run)"
	exit 77
fi
if [ -z "${FAULT_PRIVATE_NS:-}" ]; then
	if ! unshare -m --propagation private true 2>/dev/null; then
		echo "cannot create a private mount namespace (unshare -m)"
		exit 77
	fi
	FAULT_PRIVATE_NS=1 exec unshare -m --propagation private "$0" "$@"
fi
if ! mount -t tmpfs -o mode=0755,size=1m fault-run /run; then
	echo "cannot mount a tmpfs on /run"
	exit 77
fi

. "$(dirname "$0")/lib/unit.sh"
WB_DIR=/run/samba/winbindd

case "$CTDB_FRONTEND" in
*valgrind*) slack_ms=3000 ;;
*) slack_ms=1000 ;;
esac

WB_PID=""
wb_cleanup() {
	if [ -n "$WB_PID" ]; then
		kill -CONT "$WB_PID" 2>/dev/null
		kill "$WB_PID" 2>/dev/null
		wait "$WB_PID" 2>/dev/null
	fi
	cleanup_scenario
}

# fake_winbindd MODE: listen at the winbindd socket; MODE silent (accept,
# read, never answer) or close (accept and hang up at once)
fake_winbindd() {
	mkdir -p "$WB_DIR"
	chmod 0755 /run/samba "$WB_DIR"
	rm -f "$WB_DIR/pipe" "$SB/wb.ready"
	python3 - "$WB_DIR/pipe" "$1" "$SB/wb.ready" <<'PY' &
import os, socket, sys, time
path, mode, ready = sys.argv[1:4]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
os.chmod(path, 0o777)
s.listen(64)
open(ready, "w").close()
held = []
while True:
    c, _ = s.accept()
    if mode == "close":
        c.close()
    else:
        held.append(c)   # never answered, never closed
PY
	WB_PID=$!
	for i in $(seq 1 100); do
		[ -e "$SB/wb.ready" ] && break
		sleep 0.05
	done
}

# bounded_test MAX_MS ARGS...: checksamba must end within MAX_MS with
# exit 1, the ERROR line first and what went wrong after it (libwbclient's
# words or wbinfo's, so only its presence is compared)
bounded_test() {
	local max=$1 t0 t1 out rc
	shift
	t0=$(now_ms)
	out=$("$CTDB_FRONTEND" checksamba "$@" 2>&1)
	rc=$?
	t1=$(now_ms)
	check "exit 1 ($*)" [ "$rc" -eq 1 ]
	check "the ERROR line first ($*)" \
		[ "$(printf '%s\n' "$out" | sed -n 1p)" = "$E" ]
	check "then why ($*)" [ -n "$(printf '%s\n' "$out" | sed -n 2p)" ]
	check "ended in $((t1 - t0)) ms (at most $max)" [ $((t1 - t0)) -le "$max" ]
}

E="ERROR: winbind - wbinfo -p returned error"
setup
trap wb_cleanup EXIT
listen_ports 1
smbconf_global "smb ports = $PORT1"
export CTDB_MANAGES_WINBIND=yes
unset _NO_WINBINDD
# builds without libwbclient run wbinfo: the real one, not the stub
stub_wbinfo=$(command -v wbinfo)
if [ "$stub_wbinfo" = "$stubs/wbinfo" ] && [ -x /usr/bin/wbinfo ]; then
	mkdir -p "$SB/bin"
	ln -s /usr/bin/wbinfo "$SB/bin/wbinfo"
	export PATH="$SB/bin:$PATH"
fi

define_test "winbindd accepts and never answers: ERROR within the deadline"
fake_winbindd silent
bounded_test $((2000 + slack_ms)) --timeout 2

define_test "again: the abandoned ping of the last run changes nothing"
bounded_test $((2000 + slack_ms)) --timeout 2

define_test "--managed: the same"
bounded_test $((2000 + slack_ms)) --managed --timeout 2

define_test "samba not managed, winbind only: the same"
unset CTDB_MANAGES_SAMBA
bounded_test $((2000 + slack_ms)) --timeout 2
export CTDB_MANAGES_SAMBA=yes

define_test "winbindd stopped (SIGSTOP): ERROR within the deadline"
kill -STOP "$WB_PID"
bounded_test $((3000 + slack_ms)) --timeout 3
kill -CONT "$WB_PID"
kill "$WB_PID"
wait "$WB_PID" 2>/dev/null
WB_PID=""

define_test "winbindd hangs up at once: ERROR, quickly"
fake_winbindd close
bounded_test $((1000 + slack_ms)) --timeout 5

define_test "the default deadline (10 s) bounds it too"
kill "$WB_PID"
wait "$WB_PID" 2>/dev/null
fake_winbindd silent
bounded_test $((10000 + slack_ms))
finish
