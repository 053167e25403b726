#!/bin/bash
# checktcpport (spec 2) where netlink cannot be used: /proc/net/tcp{,6},
# then the bind probe as a last resort.  -v says on stdout why each
# method was not used (the DEBUG lines were dropped before issue 16,
# item 6).  Test hooks: CTDB_TEST_PROC_ROOT=DIR reads DIR/net/tcp{,6}
# and skips netlink; CTDB_TEST_TCPPORT_METHOD=bind skips both.  They
# exist only in the test build of the front-end (tests/ctdb-hooks);
# the installed one ignores them.
. "$(dirname "$0")/lib/unit.sh"

fixture="$top/tests/unit/data/tcpport/proc"
hooks="$top/${BUILD_DIR:-build}/tests/ctdb-hooks"

setup

define_test "the installed front-end has no test hooks"
listen_ports 1
mkdir -p "$SB/fifo-root/net" && mkfifo "$SB/fifo-root/net/tcp"
for root in "$fixture" "$SB/fifo-root"; do
	export CTDB_TEST_PROC_ROOT=$root
	required_result 98 <<EOT
port $PORT1: listening on 127.0.0.1:$PORT1 (netlink)
  127.0.0.1:$PORT1: accept queue 0, backlog 8
EOT
	command_test checktcpport -v "$PORT1"
done
unset CTDB_TEST_PROC_ROOT
CTDB_TEST_TCPPORT_METHOD=bind command_test checktcpport -v "$PORT1"
stop_listeners

if [ ! -x "$hooks" ]; then
	not_ok "$hooks missing: make unit-tests builds it"
	finish
	exit 1
fi
CTDB_FRONTEND=$hooks

define_test "/proc fallback: the fixture's listeners, IPv4 and IPv6"
export CTDB_TEST_PROC_ROOT="$fixture"
required_result 98 ""
command_test checktcpport 445
required_result 98 <<EOT
checktcpport: netlink: not used (CTDB_TEST_PROC_ROOT is set)
port 445: listening on 0.0.0.0:445 [::]:445 (/proc/net/tcp)
EOT
command_test checktcpport -v 445
required_result 98 <<EOT
checktcpport: netlink: not used (CTDB_TEST_PROC_ROOT is set)
port 5000: listening on [::1]:5000 (/proc/net/tcp)
EOT
command_test checktcpport -v 5000

define_test "/proc fallback: connections only are not listening"
# 139 is ESTABLISHED in the fixture, 8080 TIME-WAIT
ok_null
command_test checktcpport 139
required_result 0 <<EOT
checktcpport: netlink: not used (CTDB_TEST_PROC_ROOT is set)
port 8080: nothing listens (/proc/net/tcp)
EOT
command_test checktcpport -v 8080

define_test "no /proc either: the bind probe, and -v says why"
export CTDB_TEST_PROC_ROOT=/nonexistent
listen_ports 1
free=$(free_port)
required_result 0 <<EOT
checktcpport: netlink: not used (CTDB_TEST_PROC_ROOT is set)
checktcpport: /nonexistent/net/tcp: No such file or directory, using the bind probe
port $free: nothing listens (bind probe)
EOT
command_test checktcpport -v "$free"
required_result 98 <<EOT
checktcpport: netlink: not used (CTDB_TEST_PROC_ROOT is set)
checktcpport: /nonexistent/net/tcp: No such file or directory, using the bind probe
port $PORT1: listening (bind probe)
EOT
command_test checktcpport -v "$PORT1"
required_result 98 ""
command_test checktcpport "$PORT1"
unset CTDB_TEST_PROC_ROOT

define_test "the bind probe forced"
export CTDB_TEST_TCPPORT_METHOD=bind
required_result 98 <<EOT
checktcpport: netlink and /proc: not used (CTDB_TEST_TCPPORT_METHOD=bind)
port $PORT1: listening (bind probe)
EOT
command_test checktcpport -v "$PORT1"
stop_listeners
required_result 0 <<EOT
checktcpport: netlink and /proc: not used (CTDB_TEST_TCPPORT_METHOD=bind)
port $PORT1: nothing listens (bind probe)
EOT
command_test checktcpport -v "$PORT1"
unset CTDB_TEST_TCPPORT_METHOD

finish
