#!/bin/bash
. "$(dirname "$0")/lib/unit.sh"

define_test "configuration files are parsed, never executed"
setup
listen_ports 1
free=$(free_port)
smbconf_global "smb ports = $free"
marker="$SB/executed"
cat >"$CTDB_BASE/script.options" <<EOT
# read by the old scripts as shell
export CTDB_SAMBA_CHECK_PORTS="$PORT1"
CTDB_TCP_PORT_CHECKERS=\$(touch $marker)
CTDB_SAMBA_SKIP_SHARE_CHECK=\`touch $marker\`
ulimit -n 4096; touch $marker
EOT
ok_null
simple_test
check "nothing was executed" test ! -e "$marker"

define_test "skipped lines are DEBUG lines naming file and line"
out=$("$CTDB_FRONTEND" checksamba -v 2>&1)
check "line 3 reported" grep -q "script.options:3: skipped" <<<"$out"
check "line 5 reported" grep -q "script.options:5: skipped" <<<"$out"

define_test "the environment wins over files, options over the environment"
export CTDB_SAMBA_CHECK_PORTS="$free"
required_result 1 "ERROR: samba tcp port $free is not responding"
simple_test
ok_null
simple_test --ports "$PORT1"

define_test "legacy files: CTDB_ETCDIR/sysconfig/ctdb manages samba"
unset CTDB_MANAGES_SAMBA CTDB_SAMBA_CHECK_PORTS
mkdir -p "$CTDB_ETCDIR/sysconfig"
echo "CTDB_MANAGED_SERVICES='samba winbind-not'" >"$CTDB_ETCDIR/sysconfig/ctdb"
simple_test
echo "CTDB_MANAGES_SAMBA=no" >"$CTDB_ETCDIR/sysconfig/ctdb"
simple_test
check "not managed: no output, as if healthy" true

define_test "--config FILE is read last; a missing one is a usage error"
echo "CTDB_SAMBA_CHECK_PORTS=$free" >"$SB/extra.conf"
export CTDB_MANAGES_SAMBA=yes
required_result 1 "ERROR: samba tcp port $free is not responding"
simple_test --config "$SB/extra.conf"
required_result 22 "checksamba: cannot read --config \"$SB/nonesuch\": No such file or directory"
simple_test --config "$SB/nonesuch"
finish
