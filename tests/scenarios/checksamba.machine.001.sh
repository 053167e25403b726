#!/bin/bash
. "$(dirname "$0")/lib/unit.sh"

# ctdb -X checksamba: one '|'-separated line per step
setup
listen_ports 1
mkdir -p "$SB/shares/data"
smbconf_global "smb ports = $PORT1"
smbconf_share data "path = $SB/shares/data"

# run_x ARGS...: stdout in $SB/out, stderr in $SB/err, exit in $rc
run_x() {
	"$CTDB_FRONTEND" "$@" >"$SB/out" 2>"$SB/err"
	rc=$?
	sed -E 's/^(\|[^|]*\|[^|]*\|)[0-9]+\|/\1N|/' "$SB/out" >"$SB/table"
}

define_test "healthy: a header, every step, the verdict"
run_x -X checksamba --managed
check "exit 0" [ "$rc" -eq 0 ]
check "the table" diff -u - "$SB/table" <<EOT
|Step|Result|ms|Subject|Detail|
|configuration|ok|N||read|
|periodic cleanup|skip|N|||
|smb.conf cache|ok|N||refreshed by testparm|
|clean check|ok|N||clean|
|share check|ok|N||1 directories|
|port check|ok|N||listening (ctdb)|
|smb answer|ok|N||answered|
|winbind|skip|N|||
|cycle|ok|N|||
EOT
check "nothing on stderr" [ ! -s "$SB/err" ]
check "times are numbers" \
	[ "$(grep -cE '^\|[^|]*\|[a-z]+\|[0-9]+\|' "$SB/out")" -eq 9 ]

define_test "-X among other global options, in either order"
run_x -d 4 -X checksamba --managed --skip-share-check
check "exit 0" [ "$rc" -eq 0 ]
check "share check skipped" grep -qx '|share check|skip|N|||' "$SB/table"
run_x -Xd4 checksamba --managed --skip-share-check
check "bundled -Xd4: exit 0" [ "$rc" -eq 0 ]
check "bundled -Xd4: a table" grep -qx '|cycle|ok|N|||' "$SB/table"

define_test "a closed port: the failing step and the headline"
port2=$(free_port)
run_x -X checksamba --managed --ports "$PORT1 $port2"
check "exit 1" [ "$rc" -eq 1 ]
check "failing step with its port" \
	grep -qx "|port check|fail|N|$port2||" "$SB/table"
check "verdict and headline last" [ "$(tail -n 1 "$SB/table")" = \
	"|cycle|fail|N||ERROR: samba tcp port $port2 is not responding|" ]
run_x -X checksamba --managed --ports "$PORT1 $port2" -v
check "-v: DEBUG lines on stderr" \
	grep -q "^checksamba: configuration: read" "$SB/err"
check "-v: stdout stays the table" \
	[ "$(grep -vc '^|' "$SB/out")" -eq 0 ]

define_test "a '|' in a subject cannot add a field"
mkdir -p "$SB/shares/a|b"
smbconf_share bar "path = $SB/shares/a|b/gone"
run_x -X checksamba --managed
check "exit 1" [ "$rc" -eq 1 ]
check "'|' printed as '?'" \
	grep -qx "|share check|fail|N|$SB/shares/a?b/gone||" "$SB/table"
check "every line has six '|'" \
	[ "$(awk -F'|' 'NF != 7' "$SB/out" | wc -l)" -eq 0 ]

define_test "without -X: the usual output"
required_result 1 "ERROR: samba directory \"$SB/shares/a|b/gone\" not available"
simple_test --managed
finish
