#!/bin/bash
# checktcpport (spec 2): PORT must be a plain decimal number in
# 1..65535, exactly one of it; anything else is exit 22 (EINVAL) with a
# message naming the bad argument on stderr.
. "$(dirname "$0")/lib/unit.sh"

usage="usage: ctdb checktcpport [-v] PORT"

setup

define_test "not a port: exit 22, the word named"
for word in abc 0 70000 65536 +1 " 1" "1 " 0x1bd 1x ""; do
	required_result 22 \
		"checktcpport: invalid port \"$word\" (expected 1..65535)"
	command_test checktcpport "$word"
done

define_test "a negative number is a bad port, not an option"
required_result 22 <<EOT
checktcpport: invalid port "-1" (expected 1..65535)
$usage
EOT
command_test checktcpport -1

define_test "missing, extra and unknown arguments"
required_result 22 <<EOT
checktcpport: missing PORT
$usage
EOT
command_test checktcpport
command_test checktcpport -v
required_result 22 <<EOT
checktcpport: unexpected argument "139" (only one PORT)
$usage
EOT
command_test checktcpport 445 139
required_result 22 <<EOT
checktcpport: --bogus: unknown option
$usage
EOT
command_test checktcpport --bogus 445

define_test "--help: exit 0"
"$CTDB_FRONTEND" checktcpport --help >"$SB/out" 2>&1
check "exit 0" [ $? -eq 0 ]
check "names -v and PORT" grep -q -- "--verbose" "$SB/out"

finish
