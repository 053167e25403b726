#!/bin/bash
# A real three-node CTDB cluster (Debian's ctdbd, not in test mode) on one
# machine, in network and mount namespaces (see lib.sh), each node with a
# real smbd and our 50.samba.script.  Proves that when our check fails,
# CTDB marks the node UNHEALTHY and moves its public address to a healthy
# node that answers SMB, that a client connection lingering on the
# dead smbd's port does not hide the failure, and that a stopped smbd
# (SIGSTOP: still listening) with a client arriving is found by the SMB
# answer check.  Prints the timings.
#
#   tests/cluster/run.sh            (make check-cluster; root)
#   CL_STOCK=0                      skip the comparison with CTDB's own
#                                   50.samba.script (about 65 s)
#   CL_KEEP=1                       keep the sandbox directory (logs)
#
# Exit 0 when every assertion passed, 1 otherwise, 77 when it cannot run.

# shellcheck disable=SC2317  # functions called through check/wait_for
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/cluster/lib.sh
. tests/cluster/lib.sh

T_START=$EPOCHREALTIME
cl_init
T_SETUP=$EPOCHREALTIME
MI=${CL_MONITOR_INTERVAL:-2}
PORT=$CL_SMB_PORT
ERRLINE="ERROR: samba tcp port $PORT is not responding"

bail()
{
	not_ok "$1" "${@:2}"
	echo "# bailing out; logs: $SB (CL_KEEP=1 keeps them)"
	exit 1
}

# ---------------------------------------------------------------- build

if make -s install PREFIX="$SB/prefix" >"$SB/make.out" 2>&1; then
	ok "make install PREFIX=<sandbox>"
else
	bail "make install PREFIX=<sandbox>" "$(tail -n 20 "$SB/make.out")"
fi

cl_net_up || bail "network namespaces, bridge and veth pairs"
ok "network namespaces $CL_P-{1,2,3,c,br}, bridge, veth pairs"
for i in $CL_NODES; do
	cl_node_prepare "$i" || bail "node $i directories"
	if ! make -s install-eventscript PREFIX="$SB/prefix" \
		CTDB_BASE="$SB/n$i/etc-ctdb" >>"$SB/make.out" 2>&1; then
		bail "make install-eventscript CTDB_BASE=<node $i>" \
			"$(tail -n 20 "$SB/make.out")"
	fi
done
ok "make install-eventscript CTDB_BASE=<each node's /etc/ctdb>"
cl_client_prepare
for i in $CL_NODES c; do
	cl_holder_start "$i" || bail "mount namespace for $i"
done
ok "mount namespaces: tmpfs /run, node directories over /etc/ctdb, /etc/samba, /var/lib/ctdb, /var/lib/samba, /var/cache/samba"
check "node 2 sees its own smb.conf at /etc/samba/smb.conf" \
	on 2 grep -q 'server string = cluster test node 2' /etc/samba/smb.conf

# ---------------------------------------------------------------- start

for i in $CL_NODES; do
	cl_smbd_start "$i" || bail "smbd on node $i listens on $PORT"
done
ok "smbd listening on port $PORT in each node's namespace"
for i in $CL_NODES; do
	cl_ctdbd_start "$i"
done
all_running()
{
	local i
	for i in $CL_NODES; do
		alive "${CTDBD_PID[$i]}" || return 2
		[ "$(cl_runstate "$i")" = RUNNING ] || return 1
	done
}
t0=$EPOCHREALTIME
wait_for 120 all_running
rc=$?
if [ "$rc" = 0 ]; then
	ok "three ctdbd reach RUNNING ($(elapsed "$t0") s)"
else
	for i in $CL_NODES; do
		tail -n 15 "$SB/n$i/log/ctdbd.log" 2>/dev/null | sed "s/^/# n$i: /"
	done
	bail "three ctdbd reach RUNNING"
fi
# enabled only now: the startup event has run, so our wrapper's startup
# (service smbd start) never runs here
for i in $CL_NODES; do
	cl_ctdb "$i" event script enable legacy 50.samba >/dev/null 2>&1 ||
		bail "ctdb event script enable legacy 50.samba on node $i"
done
check "50.samba enabled on every node (our wrapper, a regular file)" \
	test -f "$SB/n2/etc-ctdb/events/legacy/50.samba.script" -a \
	! -L "$SB/n2/etc-ctdb/events/legacy/50.samba.script" -a \
	-x "$SB/n2/etc-ctdb/events/legacy/50.samba.script"
listed_enabled()
{
	cl_ctdb "$1" event script list legacy 2>/dev/null | grep -q '^\* 50\.samba'
}
check "node 2 lists 50.samba as enabled" listed_enabled 2

# ---------------------------------------------------------------- helpers

# field F (awk -F'|' numbering) of node I's line in `ctdb -X status`,
# as node V sees it
status_field()
{
	cl_ctdb "$3" -X status 2>/dev/null |
		awk -F'|' -v pnn=$(($1 - 1)) -v f="$2" '$2 == pnn { print $f }'
}

# healthy I [V]: node I has no flag set (Disconnected .. PartiallyOnline)
healthy()
{
	local line
	line=$(cl_ctdb "${2:-$1}" -X status 2>/dev/null |
		awk -F'|' -v pnn=$(($1 - 1)) '$2 == pnn { print $4$5$6$7$8$9$10$11 }')
	[ "$line" = 00000000 ]
}

# unhealthy I: node I's own view sets its Unhealthy flag
unhealthy()
{
	[ "$(cl_ctdb "$1" -X nodestatus 2>/dev/null |
		awk -F'|' 'NR == 2 { print $8 }')" = 1 ]
}

# owner ADDR [V]: node number (1-3) hosting ADDR in `ctdb ip`, 0: none
owner()
{
	cl_ctdb "${2:-1}" -X ip 2>/dev/null |
		awk -F'|' -v a="$1" '$2 == a { print ($3 < 0 ? 0 : $3 + 1) }'
}

# has_addr I ADDR: ADDR is configured on node I's eth0
has_addr()
{
	ip -n "$CL_P-$1" -o -4 addr show dev eth0 2>/dev/null |
		grep -qF " $2/"
}

# where ADDR: the nodes whose eth0 carries ADDR
where()
{
	local n out=
	for n in $CL_NODES; do
		has_addr "$n" "$1" && out="$out $n"
	done
	echo "${out# }"
}

# balanced: every node OK and hosting exactly one public address, in
# `ctdb ip` and on its interface
balanced()
{
	local n a owners=
	for n in $CL_NODES; do
		healthy "$n" 1 || return 1
	done
	for n in $CL_NODES; do
		a=10.99.1.$n
		owners="$owners $(where "$a")"
		[ "$(owner "$a")" = "$(where "$a")" ] || return 1
	done
	[ "$(echo "$owners" | tr ' ' '\n' | sed '/^$/d' | sort -u | wc -l)" = 3 ] &&
		[ "$(echo "$owners" | wc -w)" = 3 ]
}

# the public address node I hosts
addr_of()
{
	local n
	for n in $CL_NODES; do
		[ "$(where "10.99.1.$n")" = "$1" ] && echo "10.99.1.$n" && return 0
	done
	return 1
}

tcp_connect()
{
	CL_TIMEOUT=5 on c bash -c "exec 3<>/dev/tcp/$1/$PORT"
}

smb_list()
{
	CL_TIMEOUT=15 on c smbclient -L "//$1" -N -p "$PORT" 2>&1
}

event_status()
{
	cl_ctdb "$1" event status legacy monitor 2>&1
}

# failover NAME: smbd on node 2 was just killed at $T0; poll until node 2
# is UNHEALTHY and its address $A2 sits on another node (at most $1 s)
# and set T_UNH, T_MOVED (seconds, or "-") and NEWOWNER
failover_watch()
{
	local limit=$1 w
	T_UNH=-
	T_MOVED=-
	NEWOWNER=
	while :; do
		if [ "$T_UNH" = - ] && unhealthy 2; then
			T_UNH=$(elapsed "$T0")
		fi
		if [ "$T_MOVED" = - ]; then
			w=$(where "$A2")
			if [ -n "$w" ] && [ "$w" != 2 ] && ! has_addr 2 "$A2"; then
				T_MOVED=$(elapsed "$T0")
				NEWOWNER=$w
			fi
		fi
		[ "$T_UNH" != - ] && [ "$T_MOVED" != - ] && return 0
		le "$(elapsed "$T0")" "$limit" || return 1
		sleep 0.05
	done
}

# recover_watch: smbd on node 2 restarted at $T0; poll until node 2 is
# OK again (T_REC)
recover_watch()
{
	T_REC=-
	if wait_for "$1" healthy 2 2; then
		T_REC=$(elapsed "$T0")
		return 0
	fi
	return 1
}

LIMIT_UNH=$((2 * MI))
LIMIT_DESC="two monitor intervals"

monitor_stamp()
{
	event_status 2 | awk '$1 == "50.samba" && $2 == "OK" { print }'
}

# settle: wait until the cluster is balanced, then until node 2's
# monitor event has passed twice more (about 2 intervals), and return
# just after the second pass.  A kill right after a passing run is the worst case (the
# next run is one interval away), and no takeover run or ipreallocated
# event from the previous scenario is in flight to cancel the monitor.
settle()
{
	local last cur n=0
	wait_for 20 balanced || return 1
	last=$(monitor_stamp)
	# only the (cheap) event status from here on, to act at once
	while [ "$n" -lt 2 ]; do
		cur=$(monitor_stamp)
		[ -n "$cur" ] || return 1
		if [ "$cur" != "$last" ]; then
			n=$((n + 1))
			last=$cur
		fi
		sleep 0.02
	done
	return 0
}

# failover_checks TAG: the assertions after a kill
failover_checks()
{
	local tag=$1 out
	if [ "$T_UNH" != - ] && le "$T_UNH" "$LIMIT_UNH"; then
		ok "$tag: node 2 UNHEALTHY within $LIMIT_DESC ($T_UNH s <= $LIMIT_UNH s)"
	else
		not_ok "$tag: node 2 UNHEALTHY within $LIMIT_DESC ($T_UNH s, limit $LIMIT_UNH s)" \
			"$(cl_ctdb 2 status 2>&1)" "$(event_status 2)"
	fi
	out=$(event_status 2)
	if grep -qE '^50\.samba +ERROR ' <<<"$out" &&
		grep -qxF "  OUTPUT: $ERRLINE" <<<"$out"; then
		ok "$tag: ctdb event status legacy monitor on node 2: 50.samba ERROR, \"$ERRLINE\""
	else
		not_ok "$tag: ctdb event status legacy monitor on node 2 shows our ERROR line" "$out"
	fi
	if [ "$T_MOVED" != - ] && [ -n "$NEWOWNER" ] &&
		[ "$(owner "$A2")" = "$NEWOWNER" ] && [ "$(owner "$A2" 2)" = "$NEWOWNER" ]; then
		ok "$tag: $A2 moved from node 2 to node $NEWOWNER after $T_MOVED s (ctdb ip and the interface agree)"
	else
		not_ok "$tag: $A2 served by another node" \
			"moved after $T_MOVED s, on node(s) [$(where "$A2")], ctdb ip: owner $(owner "$A2")" \
			"$(cl_ctdb 1 ip 2>&1)"
	fi
	if tcp_connect "$A2"; then
		ok "$tag: client connects to $A2:$PORT"
	else
		not_ok "$tag: client connects to $A2:$PORT"
	fi
	out=$(smb_list "$A2")
	if grep -q "cluster test node $NEWOWNER" <<<"$out"; then
		ok "$tag: smbclient -L //$A2 answered by node $NEWOWNER's smbd"
	else
		not_ok "$tag: smbclient -L //$A2 answered by node $NEWOWNER's smbd" "$out"
	fi
	if healthy 1 1 && healthy 3 1; then
		ok "$tag: nodes 1 and 3 stay OK"
	else
		not_ok "$tag: nodes 1 and 3 stay OK" "$(cl_ctdb 1 status 2>&1)"
	fi
}

recover_checks()
{
	local tag=$1
	T0=$EPOCHREALTIME
	if ! cl_smbd_start 2; then
		not_ok "$tag: smbd restarts on node 2"
		return 1
	fi
	if recover_watch 30; then
		ok "$tag: node 2 OK again $T_REC s after smbd restarted"
	else
		not_ok "$tag: node 2 OK again after smbd restarted" \
			"$(cl_ctdb 2 status 2>&1)" "$(event_status 2)"
	fi
	# with IP failback on (the default), CTDB rebalances: wait for it,
	# so that the next scenario starts from one address per node
	if wait_for 30 balanced; then
		T_BAL=$(elapsed "$T0")
		ok "$tag: each node hosts one public address again ($T_BAL s after the restart)"
	else
		T_BAL=-
		not_ok "$tag: each node hosts one public address again" \
			"$(cl_ctdb 1 ip 2>&1)"
	fi
}

# ---------------------------------------------------------------- 0: healthy

T0=$EPOCHREALTIME
if wait_for 60 balanced; then
	ok "all three nodes OK, each hosting one public address ($(elapsed "$T0") s)"
else
	bail "all three nodes OK, each hosting one public address" \
		"$(cl_ctdb 1 status 2>&1)" "$(cl_ctdb 1 ip 2>&1)"
fi
wait_for 10 eval 'event_status 2 | grep -qE "^50\.samba +OK "'
out=$(event_status 2)
if grep -qE '^50\.samba +OK ' <<<"$out"; then
	ok "node 2: ctdb event status legacy monitor shows 50.samba OK"
else
	not_ok "node 2: ctdb event status legacy monitor shows 50.samba OK" "$out"
fi
check "node 2's monitor state is in its own /var/lib/ctdb/scripts/service/samba" \
	test -s "$SB/n2/var-lib-ctdb/scripts/service/samba/smb.conf.cache"
T_UP=$(elapsed "$T_SETUP")
if [ -n "${CL_PAUSE:-}" ]; then
	# debugging: look around (nsenter -t HOLDER -m -n), TERM ends it
	echo "# pausing $CL_PAUSE s; holders: ${HOLDER[*]}"
	sleep "$CL_PAUSE" &
	CLIENT_PID[pause]=$!
	wait $!
fi

# ---------------------------------------------------------------- 1: kill

TAG="smbd killed"
A2=$(addr_of 2)
out=$(smb_list "$A2")
check "$TAG: before, smbclient -L //$A2 is answered by node 2" \
	grep -q "cluster test node 2" <<<"$out"
check "$TAG: cluster settled (two passing monitor runs on node 2)" settle
A2=$(addr_of 2)
echo "# node 2 hosts $A2; killing smbd (PID ${SMBD_PID[2]}) in its namespace"
kill -KILL "${SMBD_PID[2]}"
T0=$EPOCHREALTIME
failover_watch 30
failover_checks "$TAG"
R1="$T_UNH $T_MOVED"
recover_checks "$TAG"
R1="$R1 $T_REC $T_BAL"

# ---------------------------------------------------------------- 2: linger

TAG="lingering client"
# a client connected to node 2's smbd on its node address, that never
# closes: when smbd dies the server side stays in FIN-WAIT-2 (60 s),
# keeping port $PORT bound with nothing listening
nsenter --net="/run/netns/$CL_P-c" -- bash -c \
	"exec 3<>/dev/tcp/10.99.0.2/$PORT && exec sleep 600" \
	</dev/null >/dev/null 2>&1 8>&- 9>&- &
CLIENT_PID[linger]=$!
estab()
{
	[ -n "$(on 2 ss -Htn state established "( sport = :$PORT )")" ]
}
check "$TAG: client connection established to 10.99.0.2:$PORT" wait_for 5 estab
check "$TAG: cluster settled (two passing monitor runs on node 2)" settle
A2=$(addr_of 2)
echo "# node 2 hosts $A2; killing smbd (PID ${SMBD_PID[2]}) with the client connected"
kill -KILL "${SMBD_PID[2]}"
T0=$EPOCHREALTIME
lingering()
{
	[ -z "$(on 2 ss -Hltn "( sport = :$PORT )")" ] &&
		[ -n "$(on 2 ss -Htn state fin-wait-2 "( sport = :$PORT )")" ]
}
check "$TAG: nothing listens on $PORT, a FIN-WAIT-2 socket holds it" \
	wait_for 3 lingering
on 2 /usr/bin/ctdb checktcpport "$PORT" >/dev/null 2>&1
rc=$?
check "$TAG: the stock 'ctdb checktcpport $PORT' is fooled (exit $rc, 98 = in use)" \
	test "$rc" = 98
on 2 "$SB/prefix/bin/ctdb" checktcpport "$PORT" >/dev/null 2>&1
rc=$?
check "$TAG: our 'ctdb checktcpport $PORT' sees no listener (exit $rc)" \
	test "$rc" = 0
failover_watch 30
failover_checks "$TAG"
R2="$T_UNH $T_MOVED"
cl_stop_pids TERM 2 "${CLIENT_PID[linger]}"
unset 'CLIENT_PID[linger]'
recover_checks "$TAG"
R2="$R2 $T_REC $T_BAL"

# ------------------------------------------ 3: stopped smbd, client arriving

TAG="smbd stopped"
# SIGSTOP keeps smbd's listening socket: the kernel completes the
# handshakes of arriving clients into its accept queue, and only the
# SMB answer check (spec 3.6) can tell.  With the defaults a waiting
# client makes the probe due: a WARNING at the next monitor run, the
# ERROR at the one after, each probe waiting CTDB_SAMBA_SMB_TIMEOUT (3 s).
client_to()
{
	nsenter --net="/run/netns/$CL_P-c" -- bash -c \
		"exec 3<>/dev/tcp/$1/$PORT && exec sleep 600" \
		</dev/null >/dev/null 2>&1 8>&- 9>&- &
	CLIENT_PID[$2]=$!
}
check "$TAG: cluster settled (two passing monitor runs on node 2)" settle
A2=$(addr_of 2)
echo "# node 2 hosts $A2; stopping smbd (PID ${SMBD_PID[2]}) with SIGSTOP, a client connects to $A2"
kill -STOP "${SMBD_PID[2]}"
T0=$EPOCHREALTIME
client_to "$A2" stopped
queued()
{
	[ -n "$(on 2 ss -Hltn "( sport = :$PORT )" | awk '$2 > 0')" ]
}
check "$TAG: still listening, the client waits in the accept queue" \
	wait_for 5 queued
ERRLINE_KILL=$ERRLINE
ERRLINE="ERROR: samba tcp port $PORT does not answer SMB (no SMB answer in 3 s)"
LIMIT_UNH_KILL=$LIMIT_UNH
LIMIT_UNH=$((2 * MI + 2 * 3 + 2))
LIMIT_DESC="two monitor intervals, two probe timeouts (3 s) and 2 s"
failover_watch 40
failover_checks "$TAG"
R_STOP="$T_UNH $T_MOVED"
ERRLINE=$ERRLINE_KILL
LIMIT_UNH=$LIMIT_UNH_KILL
LIMIT_DESC="two monitor intervals"
cl_stop_pids TERM 2 "${CLIENT_PID[stopped]}"
unset 'CLIENT_PID[stopped]'
kill -CONT "${SMBD_PID[2]}"
T0=$EPOCHREALTIME
if recover_watch 30; then
	ok "$TAG: node 2 OK again $T_REC s after kill -CONT"
else
	not_ok "$TAG: node 2 OK again after kill -CONT" \
		"$(cl_ctdb 2 status 2>&1)" "$(event_status 2)"
fi
if wait_for 30 balanced; then
	T_BAL=$(elapsed "$T0")
	ok "$TAG: each node hosts one public address again ($T_BAL s after kill -CONT)"
else
	T_BAL=-
	not_ok "$TAG: each node hosts one public address again" \
		"$(cl_ctdb 1 ip 2>&1)"
fi
R_STOP="$R_STOP $T_REC $T_BAL"

# ------------------------------------------------- 4: stock, for comparison

R3=
R4=
if [ "${CL_STOCK:-1}" != 0 ] &&
	[ -f /usr/share/ctdb/events/legacy/50.samba.script ]; then
	TAG="stock 50.samba.script, lingering client"
	LEG=$SB/n2/etc-ctdb/events/legacy
	cl_ctdb 2 event script disable legacy 50.samba >/dev/null 2>&1
	mv "$LEG/50.samba.script" "$SB/n2/50.samba.script.ours"
	ln -s /usr/share/ctdb/events/legacy/50.samba.script \
		"$LEG/50.samba.script"
	cl_ctdb 2 event script enable legacy 50.samba >/dev/null 2>&1
	stock_ok()
	{
		event_status 2 | grep -qE '^50\.samba +OK ' &&
			healthy 2 2 && balanced
	}
	if wait_for 30 stock_ok; then
		# a stopped smbd with a client arriving: the stock script
		# sees a listener and keeps node 2 OK (watched for 30 s)
		settle
		A2=$(addr_of 2)
		echo "# comparison: CTDB's own 50.samba.script on node 2; smbd stopped, a client connects to $A2 (30 s)"
		kill -STOP "${SMBD_PID[2]}"
		T0=$EPOCHREALTIME
		client_to "$A2" stockstop
		failover_watch 30
		R4="$T_UNH $T_MOVED"
		echo "# comparison: stock script, smbd stopped: node 2 UNHEALTHY after $T_UNH s, $A2 moved after $T_MOVED s"
		cl_stop_pids TERM 2 "${CLIENT_PID[stockstop]}"
		unset 'CLIENT_PID[stockstop]'
		kill -CONT "${SMBD_PID[2]}"
		wait_for 30 stock_ok
		nsenter --net="/run/netns/$CL_P-c" -- bash -c \
			"exec 3<>/dev/tcp/10.99.0.2/$PORT && exec sleep 600" \
			</dev/null >/dev/null 2>&1 8>&- 9>&- &
		CLIENT_PID[stock]=$!
		wait_for 5 estab
		settle
		A2=$(addr_of 2)
		echo "# comparison: CTDB's own 50.samba.script on node 2, client connected; killing smbd (up to 100 s)"
		kill -KILL "${SMBD_PID[2]}"
		T0=$EPOCHREALTIME
		failover_watch 100
		R3="$T_UNH $T_MOVED"
		echo "# comparison: stock script: node 2 UNHEALTHY after $T_UNH s, $A2 moved after $T_MOVED s"
		cl_stop_pids TERM 2 "${CLIENT_PID[stock]}"
		unset 'CLIENT_PID[stock]'
	else
		echo "# comparison skipped: node 2 not OK with the stock script"
		event_status 2 | sed 's/^/#   /'
	fi
fi

# ---------------------------------------------------------------- teardown

T_END_SCEN=$EPOCHREALTIME
cl_teardown
check "teardown: no process left in the test's namespaces" test -z "$CL_TD_LEFT"
check "teardown: namespaces deleted" test -z "$CL_TD_NETNS"
check "teardown: no mount of the sandbox left" test "$CL_TD_MOUNTS" = 0
if [ -z "$CL_TD_ETC" ]; then
	ok "host /etc/ctdb, /etc/samba (checksums) and /var/lib/ctdb (names) unchanged"
else
	not_ok "host /etc/ctdb, /etc/samba and /var/lib/ctdb unchanged" "$CL_TD_ETC"
fi

# row NAME "UNHEALTHY MOVED [RECOVERED BALANCED]"
row()
{
	local name=$1
	# shellcheck disable=SC2086
	set -- $2
	printf '# %-40s %9s %7s %9s %9s\n' "$name" "$1" "$2" "${3:--}" "${4:--}"
}
echo "# timings in seconds (MonitorInterval=$MI s), from the kill of smbd / its restart:"
printf '# %-40s %9s %7s %9s %9s\n' "" UNHEALTHY moved recovered balanced
row "smbd killed" "$R1"
row "smbd killed, client lingering" "$R2"
[ -n "$R3" ] && row "same, stock 50.samba.script" "$R3"
row "smbd stopped (SIGSTOP), client arriving" "$R_STOP"
[ -n "$R4" ] && row "same, stock 50.samba.script" "$R4"
echo "# cluster built and balanced in $T_UP s; whole run $(elapsed "$T_START") s" \
	"(lock wait $CL_LOCK_WAIT s, teardown $(elapsed "$T_END_SCEN") s)"
echo "# $TAP_COUNT assertions, $TAP_FAILED failed"
[ "$TAP_FAILED" = 0 ] && exit 0
exit 1
