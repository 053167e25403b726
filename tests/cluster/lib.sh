# shellcheck shell=bash
#
# lib.sh - a three-node CTDB cluster on one machine, for tests/cluster/run.sh.
# Source it from bash, as root.
#
# Network: one namespace per node ($CL_P-n1..n3), one for a client
# ($CL_P-c) and one holding the bridge ($CL_P-br), joined by veth pairs
# created inside the bridge namespace, so no link, address or route ever
# appears in the host's own namespace.  Nodes are 10.99.0.1-3/24 on eth0,
# public addresses 10.99.1.1-3/24, the client 10.99.0.10 and 10.99.1.10.
#
# Files: one long-lived holder process per node (and one for the client)
# owns a private mount namespace with a fresh tmpfs on /run, a fresh sysfs
# (the node's own links) and the node's directories bind-mounted over
# /etc/ctdb, /etc/samba, /var/lib/ctdb, /var/lib/samba, /var/cache/samba
# (and /var/log/samba, /var/log/ctdb).  Everything run "on a node" enters
# the holder's namespaces with nsenter, so ctdbd, the ctdb tool, smbd,
# testparm and checksamba all use their default paths and see that node's
# files only.  The cluster lock is a file in $SB/shared (plain /tmp, the
# same file for every node: CTDB's fcntl helper).
#
#   cl_init                      root / tools / ip netns checks (exit 77),
#                                lock, $SB, traps, host /etc checksums
#   cl_net_up                    namespaces, bridge, veths, addresses
#   cl_node_prepare I            node I's directories and configuration
#   cl_holder_start I|c          the mount-namespace holder
#   on I CMD...                  run CMD on node I (c: the client), bounded
#   cl_smbd_start I / cl_smbd_kill I
#   cl_ctdbd_start I             ctdbd (not in test mode), PID in CTDBD_PID
#   cl_ctdb I ARGS...            the stock ctdb tool on node I
#   cl_cleanup                   the EXIT trap

# ok, not_ok, check, skip, now_ms, alive
# shellcheck source=tests/lib/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"

CL_NODES="1 2 3"
CL_P=
SB=
CL_LOCK_WAIT=0
CL_NETNS_DIR_EXISTED=1
CL_LOCK=/run/lock/ctdb-checksamba-cluster.lock
# the integration sandbox rewrites /etc/samba/smb.conf while it runs:
# hold its lock so that the before/after checksums of /etc mean something
CL_IT_LOCK=/run/lock/ctdb-checksamba-integration.lock
CL_PATH=/usr/sbin:/usr/bin:/sbin:/bin
CL_SMB_PORT=445
declare -A HOLDER=() SMBD_PID=() CTDBD_PID=() CLIENT_PID=()

# ---------------------------------------------------------------- results

now()
{
	echo "$EPOCHREALTIME"
}

# elapsed T0 [T1]: seconds from T0 to T1 (default now), 1 decimal
elapsed()
{
	awk -v a="$1" -v b="${2:-$EPOCHREALTIME}" \
		'BEGIN { printf "%.1f", b - a }'
}

# le A B: A <= B (decimal)
le()
{
	awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'
}

# wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds (0);
# gives up at once when CMD returns 2 (it never will)
wait_for()
{
	local limit=$1 t0=$EPOCHREALTIME rc
	shift
	while :; do
		"$@"
		rc=$?
		[ "$rc" = 0 ] && return 0
		[ "$rc" = 2 ] && return 2
		le "$(elapsed "$t0")" "$limit" || return 1
		sleep 0.1
	done
}

# ---------------------------------------------------------------- processes

# cl_stop_pids SIG SECONDS PID...: signal, wait, then KILL
cl_stop_pids()
{
	local sig=$1 secs=$2 pid i
	shift 2
	for pid in "$@"; do
		kill "-$sig" "$pid" 2>/dev/null
	done
	for pid in "$@"; do
		i=0
		while alive "$pid" && [ "$i" -lt $((secs * 10)) ]; do
			sleep 0.1
			i=$((i + 1))
		done
		alive "$pid" && kill -KILL "$pid" 2>/dev/null
	done
	for pid in "$@"; do
		wait "$pid" 2>/dev/null
	done
	return 0
}

# ---------------------------------------------------------------- setup

cl_host_sums()
{
	# names, types, modes, link targets and contents of the host's files
	find /etc/ctdb /etc/samba /var/lib/ctdb -printf '%p %y %m %l\n' \
		2>/dev/null | sort
	find /etc/ctdb /etc/samba -type f -print0 2>/dev/null | sort -z |
		xargs -0 -r sha256sum
}

cl_init()
{
	local c t0
	[ "$(id -u)" = 0 ] ||
		skip "needs root (network and mount namespaces, ctdbd, smbd)"
	for c in ip nsenter unshare setsid timeout flock ctdbd smbd \
		testparm smbclient ss awk sha256sum make; do
		command -v "$c" >/dev/null 2>&1 ||
			skip "command $c not found (Debian: apt-get install ctdb samba smbclient iproute2 util-linux)"
	done
	[ -x /usr/bin/ctdb ] || skip "/usr/bin/ctdb not found (apt-get install ctdb)"
	[ -n "${EPOCHREALTIME:-}" ] || skip "bash 5 needed (EPOCHREALTIME)"
	[ -d /run/netns ] || CL_NETNS_DIR_EXISTED=0
	CL_P=ccs$$
	if ! ip netns add "$CL_P-probe" 2>/dev/null; then
		cl_netns_dir_restore
		skip "ip netns is not available (no network namespaces here)"
	fi
	ip netns del "$CL_P-probe"
	cl_netns_dir_restore
	exec 8>"$CL_IT_LOCK" 9>"$CL_LOCK"
	t0=$EPOCHREALTIME
	if ! flock -w 300 9 || ! flock -w 600 8; then
		echo "# another cluster test or integration sandbox is running" >&2
		exit 1
	fi
	CL_LOCK_WAIT=$(elapsed "$t0")
	le "$CL_LOCK_WAIT" 1 ||
		echo "# waited $CL_LOCK_WAIT s for the integration tests' lock"
	SB=$(mktemp -d /tmp/ctdb-checksamba-cluster.XXXXXX) || exit 1
	chmod 0755 "$SB"
	trap cl_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
	mkdir -p "$SB/shared" "$SB/prefix"
	cl_host_sums >"$SB/host-etc.before"
	echo "# sandbox $SB, namespaces $CL_P-*"
}

# /run/netns is created (and mounted) by the first "ip netns add"; when
# it was not there before, remove it again once it is empty
cl_netns_dir_restore()
{
	[ "$CL_NETNS_DIR_EXISTED" = 1 ] && return 0
	[ -d /run/netns ] || return 0
	[ -z "$(ls -A /run/netns 2>/dev/null)" ] || return 0
	while mountpoint -q /run/netns; do
		umount /run/netns 2>/dev/null || break
	done
	rmdir /run/netns 2>/dev/null
	return 0
}

cl_net_up()
{
	local n br=$CL_P-br
	ip netns add "$br" || return 1
	ip -n "$br" link set lo up
	ip -n "$br" link add br0 type bridge || return 1
	ip -n "$br" link set br0 up || return 1
	for n in $CL_NODES c; do
		ip netns add "$CL_P-$n" || return 1
		# the peer is created directly in the node's namespace
		ip -n "$br" link add "v$n" type veth peer name eth0 \
			netns "$CL_P-$n" || return 1
		ip -n "$br" link set "v$n" master br0 up || return 1
		ip -n "$CL_P-$n" link set lo up || return 1
		ip -n "$CL_P-$n" link set eth0 up || return 1
		if [ "$n" = c ]; then
			ip -n "$CL_P-c" addr add 10.99.0.10/24 dev eth0 &&
				ip -n "$CL_P-c" addr add 10.99.1.10/24 dev eth0 ||
				return 1
		else
			ip -n "$CL_P-$n" addr add "10.99.0.$n/24" dev eth0 ||
				return 1
		fi
	done
	return 0
}

cl_node_prepare()
{
	local i=$1 d=$SB/n$1 n s
	mkdir -p "$d"/{etc-ctdb,etc-samba,var-lib-samba/private} \
		"$d"/var-lib-ctdb/{volatile,persistent,state} \
		"$d"/{var-cache-samba,log-samba,log-ctdb,log,share} || return 1
	# the packaged configuration (functions, script.options, ...), read
	# from the host, with this node's settings on top
	cp -a /etc/ctdb/. "$d/etc-ctdb/" || return 1
	rm -rf "$d/etc-ctdb/events/legacy"
	mkdir -p "$d/etc-ctdb/events/legacy"
	for s in 00.ctdb 01.reclock 10.interface; do
		[ -f "/usr/share/ctdb/events/legacy/$s.script" ] &&
			ln -s "/usr/share/ctdb/events/legacy/$s.script" \
				"$d/etc-ctdb/events/legacy/$s.script"
	done
	: >"$d/etc-ctdb/nodes"
	: >"$d/etc-ctdb/public_addresses"
	for n in $CL_NODES; do
		echo "10.99.0.$n" >>"$d/etc-ctdb/nodes"
		echo "10.99.1.$n/24 eth0" >>"$d/etc-ctdb/public_addresses"
	done
	cat >"$d/etc-ctdb/ctdb.conf" <<EOF
# ctdb-checksamba cluster test, node $i
[logging]
	location = file:$d/log/ctdbd.log
	log level = NOTICE
[cluster]
	node address = 10.99.0.$i
	cluster lock = $SB/shared/cluster.lock
[legacy]
	realtime scheduling = false
EOF
	# MonitorInterval: the figure everything below is measured against;
	# RerecoveryTimeout: no 10 s pause between the start-up recoveries
	cat >"$d/etc-ctdb/ctdb.tunables" <<EOF
MonitorInterval=${CL_MONITOR_INTERVAL:-2}
RerecoveryTimeout=2
EOF
	# smbd listens on the wildcard address (bind interfaces only = no),
	# as CTDB clusters run it, so an address taken over is served at
	# once; "interfaces" names the node's and the public addresses
	cat >"$d/etc-samba/smb.conf" <<EOF
# ctdb-checksamba cluster test, node $i
[global]
	netbios name = CTDBNODE$i
	workgroup = CTDBTEST
	server string = cluster test node $i
	interfaces = 10.99.0.$i/24 10.99.1.$i/24
	bind interfaces only = no
	smb ports = $CL_SMB_PORT
	log file = /var/log/samba/log.%m
	security = user
	map to guest = bad user
	load printers = no
	printing = bsd
	printcap name = /dev/null
	disable spoolss = yes

[data]
	path = $d/share
	read only = no
EOF
	return 0
}

cl_client_prepare()
{
	local d=$SB/c
	mkdir -p "$d"/{etc-ctdb,etc-samba,var-lib-ctdb,var-lib-samba/private} \
		"$d"/{var-cache-samba,log-samba,log-ctdb,log} || return 1
	printf '[global]\n\tclient min protocol = SMB2\n' >"$d/etc-samba/smb.conf"
}

# cl_holder_start I: a sleep in node I's network namespace and in a new,
# private mount namespace that it set up itself
cl_holder_start()
{
	local i=$1 d i2=0
	[ "$i" = c ] && d=$SB/c || d=$SB/n$i
	rm -f "$d/ready"
	# shellcheck disable=SC2016  # the inner script expands them
	setsid nsenter --net="/run/netns/$CL_P-$i" -- \
		unshare --mount --propagation private -- /bin/sh -c '
		d=$1
		mount -t tmpfs -o mode=0755 cluster-run /run &&
		mkdir -p /run/lock /run/samba /run/ctdb &&
		mount -t sysfs cluster-sys /sys &&
		mount --bind "$d/etc-ctdb" /etc/ctdb &&
		mount --bind "$d/etc-samba" /etc/samba &&
		mount --bind "$d/var-lib-ctdb" /var/lib/ctdb &&
		mount --bind "$d/var-lib-samba" /var/lib/samba &&
		mount --bind "$d/var-cache-samba" /var/cache/samba &&
		mount --bind "$d/log-samba" /var/log/samba &&
		mount --bind "$d/log-ctdb" /var/log/ctdb &&
		touch "$d/ready" || exit 1
		exec sleep 100000' cluster-holder "$d" \
		</dev/null >"$d/log/holder.out" 2>&1 8>&- 9>&- &
	HOLDER[$i]=$!
	while [ ! -e "$d/ready" ]; do
		if ! alive "${HOLDER[$i]}" || [ "$i2" -ge 100 ]; then
			echo "# holder for $i failed:" >&2
			sed 's/^/#   /' "$d/log/holder.out" >&2
			return 1
		fi
		sleep 0.1
		i2=$((i2 + 1))
	done
	return 0
}

# on I CMD...: CMD in node I's namespaces, clean environment, bounded
on()
{
	local i=$1
	shift
	timeout -k 2 "${CL_TIMEOUT:-20}" nsenter -t "${HOLDER[$i]}" -m -n \
		--wd=/ -- env -i PATH="$CL_PATH" LANG=C "$@" 8>&- 9>&-
}

cl_ctdb()
{
	local i=$1
	shift
	on "$i" /usr/bin/ctdb "$@"
}

cl_listening()
{
	[ -n "$(on "$1" ss -Hltn "( sport = :$CL_SMB_PORT )" 2>/dev/null)" ]
}

cl_smbd_start()
{
	local i=$1 n=0
	# no timeout(1) around a daemon: nsenter execs smbd, $! is smbd;
	# no setsid(1) either: smbd makes itself a session leader and fails
	# when it already is one
	nsenter -t "${HOLDER[$i]}" -m -n --wd=/ -- \
		env -i PATH="$CL_PATH" LANG=C \
		smbd --foreground --debug-stdout \
		</dev/null >>"$SB/n$i/log/smbd.out" 2>&1 8>&- 9>&- &
	SMBD_PID[$i]=$!
	# no "Killed" job notice when a test kills it
	disown "${SMBD_PID[$i]}"
	until cl_listening "$i"; do
		if ! alive "${SMBD_PID[$i]}" || [ "$n" -ge 150 ]; then
			echo "# smbd on node $i did not listen:" >&2
			tail -n 20 "$SB/n$i/log/smbd.out" | sed 's/^/#   /' >&2
			return 1
		fi
		sleep 0.1
		n=$((n + 1))
	done
	return 0
}

# every process in node I's network namespace whose executable is $2
cl_ns_pids_named()
{
	local pid
	for pid in $(ip netns pids "$CL_P-$1" 2>/dev/null); do
		[ "$(basename "$(readlink "/proc/$pid/exe" 2>/dev/null)")" = "$2" ] &&
			echo "$pid"
	done
}

cl_ctdbd_start()
{
	local i=$1
	setsid nsenter -t "${HOLDER[$i]}" -m -n --wd=/ -- \
		env -i PATH="$CL_PATH" LANG=C ctdbd -i \
		</dev/null >>"$SB/n$i/log/ctdbd.out" 2>&1 8>&- 9>&- &
	CTDBD_PID[$i]=$!
}

cl_runstate()
{
	CL_TIMEOUT=5 cl_ctdb "$1" runstate 2>/dev/null
}

# ---------------------------------------------------------------- teardown

CL_TORN_DOWN=0
CL_TD_LEFT=
CL_TD_NETNS=
CL_TD_MOUNTS=0
CL_TD_ETC=

# cl_teardown: stop everything, delete the namespaces; sets CL_TD_LEFT
# (PIDs that were still there at the end), CL_TD_NETNS (namespaces left),
# CL_TD_MOUNTS (1: mounts of $SB left), CL_TD_ETC (diff of /etc)
cl_teardown()
{
	local i pids n
	[ "$CL_TORN_DOWN" = 1 ] && return 0
	CL_TORN_DOWN=1
	for i in "${!CLIENT_PID[@]}"; do
		cl_stop_pids TERM 2 "${CLIENT_PID[$i]}"
	done
	# disable the samba script first: its shutdown event would run
	# "service smbd stop" (confined to the node's namespaces, but not
	# something a test should do); then ctdbd by PID (its shutdown
	# event releases the public addresses)
	for i in "${!CTDBD_PID[@]}"; do
		alive "${CTDBD_PID[$i]}" || continue
		CL_TIMEOUT=5 cl_ctdb "$i" event script disable legacy 50.samba \
			>/dev/null 2>&1
	done
	pids=
	for i in "${!CTDBD_PID[@]}"; do
		pids="$pids ${CTDBD_PID[$i]}"
	done
	# shellcheck disable=SC2086
	[ -n "$pids" ] && cl_stop_pids TERM 15 $pids
	for i in "${!SMBD_PID[@]}"; do
		cl_stop_pids TERM 5 "${SMBD_PID[$i]}"
	done
	# whatever else runs in our namespaces (ctdb-eventd, lock helpers,
	# smbd children, samba-dcerpcd, the holders): each one by PID
	for n in $CL_NODES c; do
		pids=$(ip netns pids "$CL_P-$n" 2>/dev/null)
		# shellcheck disable=SC2086
		[ -n "$pids" ] && cl_stop_pids TERM 5 $pids
	done
	for i in "${!HOLDER[@]}"; do
		cl_stop_pids TERM 2 "${HOLDER[$i]}"
	done
	CL_TD_LEFT=
	for n in $CL_NODES c br; do
		pids=$(ip netns pids "$CL_P-$n" 2>/dev/null)
		[ -n "$pids" ] && CL_TD_LEFT="$CL_TD_LEFT $pids"
		ip netns del "$CL_P-$n" 2>/dev/null
	done
	cl_netns_dir_restore
	CL_TD_NETNS=$(ip netns list 2>/dev/null | grep "^$CL_P-" | tr '\n' ' ')
	grep -qF "$SB" /proc/self/mountinfo && CL_TD_MOUNTS=1
	if [ -f "$SB/host-etc.before" ]; then
		cl_host_sums >"$SB/host-etc.after"
		CL_TD_ETC=$(diff "$SB/host-etc.before" "$SB/host-etc.after")
	fi
	return 0
}

cl_teardown_ok()
{
	[ -z "$CL_TD_LEFT" ] && [ -z "$CL_TD_NETNS" ] &&
		[ "$CL_TD_MOUNTS" = 0 ] && [ -z "$CL_TD_ETC" ]
}

cl_cleanup()
{
	local rc=$?
	trap '' INT TERM HUP
	[ -n "$SB" ] || exit "$rc"
	if [ "$CL_TORN_DOWN" = 0 ]; then
		cl_teardown
		if ! cl_teardown_ok; then
			echo "# WARNING: teardown: left PIDs [$CL_TD_LEFT]," \
				"namespaces [$CL_TD_NETNS], mounts $CL_TD_MOUNTS" >&2
			[ -n "$CL_TD_ETC" ] &&
				echo "# WARNING: host /etc changed: $CL_TD_ETC" >&2
			[ "$rc" = 0 ] && rc=1
		fi
	fi
	if [ "${CL_KEEP:-0}" = 1 ]; then
		echo "# sandbox kept: $SB" >&2
	else
		rm -rf "$SB"
	fi
	exit "$rc"
}
