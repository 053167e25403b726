#!/bin/bash
# The front-end: which command lines it runs itself, and how it hands
# the rest to the stock tool.
. "$(dirname "$0")/lib/unit.sh"

setup
fake="$SB/stock-ctdb"
cat >"$fake" <<'EOT'
#!/bin/sh
# a stand-in for the stock tool: shows what it was given
echo "stock:$*"
EOT
chmod +x "$fake"
export CTDB_REAL_TOOL="$fake"

run() {
	out=$("$CTDB_FRONTEND" "$@" 2>&1)
	rc=$?
}

expect() {	# WHAT RC OUTPUT
	required_result "$2" "$3"
	compare "$1" "$rc" "$out"
}

define_test "every other command line goes to the stock tool unchanged"
run status
expect "status" 0 "stock:status"
run -n all ip -v "a b"
expect "-n all ip" 0 "stock:-n all ip -v a b"
run version
expect "version" 0 "stock:version"

define_test "global options before our commands are skipped"
listen_ports 1
for pre in "-d 4" "-d4" "-d=4" "--debug=4" "--debug 4" "-n all" \
	"--node=1" "-t 3" "-T 5" "-x :" "-X" "-Y" "-v" "-Yv" "-Yd4" "--"; do
	# shellcheck disable=SC2086
	run $pre checktcpport "$PORT1"
	expect "ctdb $pre checktcpport" 98 ""
done
run -d 4 checktcpport abc
expect "options after the command belong to it" 22 \
	'checktcpport: invalid port "abc" (expected 1..65535)'

define_test "help lists our commands, then the stock tool's help"
for h in "" help --help; do
	# shellcheck disable=SC2086
	run $h
	if grep -q "^  checksamba" <<<"$out" &&
	   grep -q "^  checktcpport" <<<"$out" &&
	   [ "$(tail -n 1 <<<"$out")" = "stock:${h:+--help}" ]; then
		ok "ctdb $h"
	else
		not_ok "ctdb $h" "$out"
	fi
done

define_test "no loop: not itself, not for ever"
if [ "${CTDB_FRONTEND##*/}" = ctdb ]; then
	export CTDB_REAL_TOOL="$CTDB_FRONTEND"
	run status
	expect "the front-end as its own target" 1 \
		"ctdb: $CTDB_FRONTEND is this front-end, not the stock ctdb tool (set CTDB_REAL_TOOL to the stock tool)"
else
	# make check-valgrind: a wrapper script is not the binary itself
	echo "# skipped: self-exec ($CTDB_FRONTEND is a wrapper)"
fi
bounce="$SB/bounce"
printf '#!/bin/sh\nexec "%s" "$@"\n' "$CTDB_FRONTEND" >"$bounce"
chmod +x "$bounce"
export CTDB_REAL_TOOL="$bounce"
run status
expect "a target that runs the front-end again" 1 \
	"ctdb: $bounce keeps running this front-end again; refusing to loop (set CTDB_REAL_TOOL to the stock ctdb tool)"

define_test "a missing stock tool"
export CTDB_REAL_TOOL="$SB/nonesuch"
run status
expect "clear message, exit 127" 127 \
	"ctdb: cannot run the stock ctdb tool $SB/nonesuch: No such file or directory (install the ctdb package, or set CTDB_REAL_TOOL)"

define_test "the caller's file descriptors reach the stock tool"
cat >"$fake" <<'EOT'
#!/bin/sh
ls -l /proc/$$/fd | grep -c ' -> ' 
[ -e /proc/$$/fd/7 ] && echo "fd 7 passed"
EOT
export CTDB_REAL_TOOL="$fake"
out=$("$CTDB_FRONTEND" status 7</dev/null 2>&1)
check "fd 7 passed on" grep -q "fd 7 passed" <<<"$out"
finish
