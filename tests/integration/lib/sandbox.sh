# shellcheck shell=bash
#
# sandbox.sh - real smbd / winbindd / ctdbd on loopback, for the
# integration tests.  Source it from bash (set -u friendly), as root.
#
# Everything lives in one temporary directory, $SB.  The only things
# touched outside it are /etc/samba/smb.conf (testparm, and so
# checksamba, can read no other file: it is replaced while a test runs and
# restored byte for byte, same inode, mode and mtime, on every exit path)
# and winbindd's default socket directory /run/samba/winbindd (wbinfo and
# libwbclient only look there; our winbindd is started only when no other
# winbindd answers).  A lock (flock) keeps two sandboxes from running at
# once.
#
# Setup and teardown
#   sb_require_root                 exit 77 unless root
#   sb_require_cmds CMD...          exit 77 naming the first missing command
#   sb_init                         make $SB, traps, lock, ports SB_P1 SB_P2,
#                                   SB_FRONTEND (= $CTDB_FRONTEND or
#                                   build/ctdb); restores a smb.conf left
#                                   behind by a sandbox killed with SIGKILL
#   sb_cleanup                      the EXIT trap: stop daemons, kill every
#                                   process pointing into $SB, restore
#                                   smb.conf, remove $SB (SB_KEEP=1 keeps it)
#   sb_leftovers                    print "PID cmdline" of live (non-zombie)
#                                   processes whose cmdline, environment,
#                                   cwd or fds point into $SB
#   sb_free_port                    print a free high port (no socket of any
#                                   state uses it)
# smb.conf
#   sb_smbconf_write [LINE...]      write $SB/smb.conf: [global] (loopback,
#                                   smb ports = SB_P1 SB_P2, all dirs in
#                                   $SB) plus LINEs (extra global lines),
#                                   shares [data] $SB_SHARE and [space]
#                                   "$SB_SHARE_SP" (a path with spaces),
#                                   then $SB_EXTRA_SHARES verbatim; installs
#                                   it as /etc/samba/smb.conf
# Daemons (each start is bounded and fails with the daemon's log)
#   sb_smbd_start / sb_smbd_stop    smbd --foreground -s $SB/smb.conf, PID in
#                                   SB_SMBD_PID; start waits until both ports
#                                   listen; stop = TERM, wait, KILL, and the
#                                   samba-dcerpcd / rpcd_* / child helpers
#   sb_winbind_system_running       true when a winbindd we did not start
#                                   answers on the default socket
#   sb_winbindd_start / _stop       winbindd, waits for `wbinfo -p`
#   sb_ctdbd_start / sb_ctdbd_stop  single-node ctdbd in CTDB_TEST_MODE with
#                                   CTDB_BASE=$SB/etc-ctdb, waits for RUNNING
#   sb_ctdb ARGS...                 the stock ctdb CLI talking to our ctdbd
# Checks and reporting (TAP-like lines, see tests/run-all.sh)
#   t_run CMD...                    run with a timeout; sets T_RC T_OUT T_ERR
#   checksamba [NAME=VALUE...] [--] [ARGS...]
#                                   t_run of "$SB_FRONTEND checksamba" with a
#                                   clean environment (legacy mode, state in
#                                   $SB, CTDB_BASE/ETCDIR/VARDIR in $SB)
#   ok, not_ok, check, skip, alive  tests/lib/tap.sh (sourced here)
#   t_rc WHAT N                     assert T_RC == N
#   t_out WHAT TEXT                 assert stdout == TEXT exactly
#   t_first WHAT LINE               assert stdout's first line == LINE
#   t_contains WHAT TEXT            assert stdout+stderr contain TEXT
#   t_silent WHAT                   assert no stdout and no stderr
#   sb_done                         exit 0 if every assertion passed, else 1

# shellcheck source=tests/lib/tap.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../lib/tap.sh"

SB=
SB_P1=
SB_P2=
SB_SMBD_PID=
SB_WINBINDD_PID=
SB_CTDBD_PID=
SB_ETC_CONF=${SB_ETC_CONF:-/etc/samba/smb.conf}
SB_MARKER="# ctdb-checksamba integration sandbox"
SB_LOCK=/run/lock/ctdb-checksamba-integration.lock
SB_WB_DIR=/run/samba/winbindd
SB_WB_DIR_CREATED=0
SB_CONF_INSTALLED=0
SB_HAD_CONF=0
T_RC=0
T_OUT=
T_ERR=
T_TIMEOUT=${T_TIMEOUT:-40}
SB_PY=/usr/bin/python3
[ -x "$SB_PY" ] || SB_PY=python3

sb_require_root()
{
	[ "$(id -u)" = 0 ] || skip "needs root (starts smbd, replaces /etc/samba/smb.conf)"
}

sb_require_cmds()
{
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 ||
			skip "command $c not found (Debian: apt-get install samba winbind ctdb nmap net-tools iproute2 smbclient)"
	done
}

# ---------------------------------------------------------------- results

t_diag()
{
	printf 'exit %s\nstdout:\n%s\nstderr:\n%s' "$T_RC" "$T_OUT" "$T_ERR"
}

t_run()
{
	local errf=$SB/.t_err
	if declare -F "$1" >/dev/null; then
		# a shell function (e.g. sb_ctdb) bounds its own commands
		T_OUT=$("$@" 2>"$errf" 9>&-)
	else
		T_OUT=$(timeout -k 2 "$T_TIMEOUT" "$@" 2>"$errf" 9>&-)
	fi
	T_RC=$?
	T_ERR=$(cat "$errf" 2>/dev/null)
	rm -f "$errf"
	return 0
}

t_rc()
{
	if [ "$T_RC" = "$2" ]; then
		ok "$1"
	else
		not_ok "$1" "expected exit $2, got $T_RC" "$(t_diag)"
	fi
}

t_out()
{
	if [ "$T_OUT" = "$2" ]; then
		ok "$1"
	else
		not_ok "$1" "expected stdout:" "$2" "actual: $(t_diag)"
	fi
}

t_first()
{
	local first
	first=$(printf '%s\n' "$T_OUT" | head -n 1)
	if [ "$first" = "$2" ]; then
		ok "$1"
	else
		not_ok "$1" "expected first line: $2" "actual: $(t_diag)"
	fi
}

t_contains()
{
	case "$T_OUT
$T_ERR" in
	*"$2"*) ok "$1" ;;
	*) not_ok "$1" "expected to contain: $2" "actual: $(t_diag)" ;;
	esac
}

t_silent()
{
	if [ -z "$T_OUT" ] && [ -z "$T_ERR" ]; then
		ok "$1"
	else
		not_ok "$1" "expected no output" "actual: $(t_diag)"
	fi
}

sb_done()
{
	echo "# $TAP_COUNT assertions, $TAP_FAILED failed"
	[ "$TAP_FAILED" = 0 ] && exit 0
	exit 1
}

# The front-end's checksamba with a clean, sandboxed environment.
# Legacy mode: samba is managed only if the caller passes
# CTDB_MANAGES_SAMBA=yes (or CTDB_MANAGED_SERVICES=samba).
checksamba()
{
	local envs=()
	while [ $# -gt 0 ]; do
		case "$1" in
		--) shift; break ;;
		[A-Za-z_]*=*) envs+=("$1"); shift ;;
		*) break ;;
		esac
	done
	t_run env -i PATH="$PATH" LANG=C.UTF-8 \
		CTDB_BASE="$SB/etc-ctdb" CTDB_ETCDIR="$SB/etc" \
		CTDB_VARDIR="$SB/var" CTDB_SCRIPT_VARDIR="$SB/scripts" \
		"${envs[@]}" \
		"$SB_FRONTEND" checksamba --state-dir="$SB/state" "$@"
}

# ---------------------------------------------------------------- setup

sb_port_unused()
{
	[ -z "$(ss -Htan "( sport = :$1 or dport = :$1 )" 2>/dev/null)" ]
}

sb_free_port()
{
	local p i
	for i in $(seq 200); do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		[ "$p" = "$SB_P1" ] && continue
		if sb_port_unused "$p"; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# A sandbox killed with SIGKILL cannot restore smb.conf; the next one
# does, from the backup path written into the marker line.
sb_restore_stale_conf()
{
	local line bak
	[ -f "$SB_ETC_CONF" ] || return 0
	line=$(head -n 1 "$SB_ETC_CONF")
	case "$line" in
	"$SB_MARKER; original: "*) ;;
	*) return 0 ;;
	esac
	bak=${line#"$SB_MARKER; original: "}
	if [ "$bak" = none ]; then
		rm -f "$SB_ETC_CONF"
		echo "# removed $SB_ETC_CONF left behind by a killed sandbox" >&2
	elif [ -f "$bak" ]; then
		cp -p "$bak" "$SB_ETC_CONF"
		echo "# restored $SB_ETC_CONF left behind by a killed sandbox" >&2
	else
		echo "# WARNING: $SB_ETC_CONF is a sandbox's, backup $bak is gone" >&2
	fi
}

sb_init()
{
	sb_require_root
	sb_require_cmds smbd testparm ss timeout flock setsid
	# fd 9 holds the lock; everything started from here closes it (9>&-)
	exec 9>"$SB_LOCK"
	if ! flock -w 120 9; then
		echo "# another integration sandbox holds $SB_LOCK" >&2
		exit 1
	fi
	sb_restore_stale_conf
	SB=$(mktemp -d /tmp/ctdb-checksamba-it.XXXXXX) || exit 1
	chmod 0755 "$SB"
	trap sb_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
	mkdir -p "$SB"/{priv,lock,state,cache,pid,ncalrpc,log,etc,var,scripts} \
		"$SB/share" "$SB/share with spaces" \
		"$SB"/etc-ctdb/{run,share/events/legacy,events/legacy}
	SB_SHARE=$SB/share
	SB_SHARE_SP="$SB/share with spaces"
	SB_EXTRA_SHARES=${SB_EXTRA_SHARES:-}
	if ! SB_P1=$(sb_free_port) || ! SB_P2=$(sb_free_port); then
		echo "no free port" >&2
		exit 1
	fi
	SB_FRONTEND=${CTDB_FRONTEND:-$PWD/build/ctdb}
	echo "# sandbox $SB, smb ports $SB_P1 $SB_P2"
}

sb_frontend_present()
{
	[ -x "$SB_FRONTEND" ]
}

# shellcheck disable=SC2120
sb_smbconf_write()
{
	local l
	{
		# the marker names the backup, for sb_restore_stale_conf
		if [ "$SB_HAD_CONF" = 1 ] ||
			{ [ "$SB_CONF_INSTALLED" = 0 ] && [ -f "$SB_ETC_CONF" ]; }; then
			echo "$SB_MARKER; original: $SB/smb.conf.orig"
		else
			echo "$SB_MARKER; original: none"
		fi
		printf '[global]\n'
		printf '\tnetbios name = CTDBSBX\n'
		printf '\tworkgroup = SANDBOX\n'
		printf '\tinterfaces = lo\n'
		printf '\tbind interfaces only = yes\n'
		printf '\tsmb ports = %s %s\n' "$SB_P1" "$SB_P2"
		printf '\tprivate dir = %s/priv\n' "$SB"
		printf '\tlock directory = %s/lock\n' "$SB"
		printf '\tstate directory = %s/state-samba\n' "$SB"
		printf '\tcache directory = %s/cache\n' "$SB"
		printf '\tpid directory = %s/pid\n' "$SB"
		printf '\tncalrpc dir = %s/ncalrpc\n' "$SB"
		printf '\tlog file = %s/log/log.%%m\n' "$SB"
		printf '\tsecurity = user\n'
		printf '\tload printers = no\n'
		printf '\tprinting = bsd\n'
		printf '\tprintcap name = /dev/null\n'
		for l in "$@"; do
			printf '\t%s\n' "$l"
		done
		printf '\n[data]\n\tpath = %s\n\tread only = no\n' "$SB_SHARE"
		printf '\n[space]\n\tpath = %s\n' "$SB_SHARE_SP"
		if [ -n "$SB_EXTRA_SHARES" ]; then
			printf '\n%s\n' "$SB_EXTRA_SHARES"
		fi
	} >"$SB/smb.conf.new" && mv "$SB/smb.conf.new" "$SB/smb.conf"
	mkdir -p "$SB/state-samba"
	sb_smbconf_install
}

# Put $SB/smb.conf in place of the system one (same inode: written over
# it).  The first call saves the original with mode, owner and times.
sb_smbconf_install()
{
	if [ "$SB_CONF_INSTALLED" = 0 ]; then
		if [ -f "$SB_ETC_CONF" ]; then
			cp -p "$SB_ETC_CONF" "$SB/smb.conf.orig" || exit 1
			SB_HAD_CONF=1
		fi
		mkdir -p "$(dirname "$SB_ETC_CONF")"
		SB_CONF_INSTALLED=1
	fi
	[ -f "$SB/smb.conf" ] && cat "$SB/smb.conf" >"$SB_ETC_CONF"
}

sb_smbconf_restore()
{
	[ "$SB_CONF_INSTALLED" = 1 ] || return 0
	if [ "$SB_HAD_CONF" = 1 ]; then
		cp -p "$SB/smb.conf.orig" "$SB_ETC_CONF" &&
			cmp -s "$SB/smb.conf.orig" "$SB_ETC_CONF" &&
			SB_CONF_INSTALLED=0
	else
		rm -f "$SB_ETC_CONF" && SB_CONF_INSTALLED=0
	fi
	[ "$SB_CONF_INSTALLED" = 0 ] ||
		echo "# WARNING: could not restore $SB_ETC_CONF (backup in $SB)" >&2
}

# ---------------------------------------------------------------- processes

# wait until PID is gone or a zombie, at most $2 tenths of a second
sb_wait_gone()
{
	local i=0
	while alive "$1"; do
		[ "$i" -ge "$2" ] && return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 0
}

sb_stop_pid()
{
	local pid=$1
	[ -n "$pid" ] || return 0
	if alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null
		if ! sb_wait_gone "$pid" 50; then
			kill -KILL "$pid" 2>/dev/null
			sb_wait_gone "$pid" 30
		fi
	fi
	# reap it if it is our child (never blocks: it is gone or a zombie)
	wait "$pid" 2>/dev/null
	return 0
}

# PIDs (not ours, not zombies) whose cmdline, environment, cwd or open
# files mention $SB, or whose cmdline mentions $1 when given
sb_sandbox_pids()
{
	local pat=${1:-$SB} pid
	[ -n "$SB" ] || return 0
	{
		grep -laF -- "$pat" /proc/[0-9]*/cmdline
		if [ -z "${1:-}" ]; then
			grep -laF -- "$SB" /proc/[0-9]*/environ
			find /proc/[0-9]*/cwd /proc/[0-9]*/fd -maxdepth 1 \
				\( -lname "$SB" -o -lname "$SB/*" \) -print
		fi
	} 2>/dev/null | cut -d/ -f3 | sort -un | while read -r pid; do
		[ "$pid" = "$$" ] && continue
		[ "$pid" = "${BASHPID:-}" ] && continue
		alive "$pid" && echo "$pid"
	done
}

sb_leftovers()
{
	local pid cmd
	for pid in $(sb_sandbox_pids); do
		# the pipeline's own subshells are ours
		[ "$(awk '{print $4}' "/proc/$pid/stat" 2>/dev/null)" = "$$" ] &&
			[ "$(readlink "/proc/$pid/exe")" = "$(readlink /proc/$$/exe)" ] &&
			continue
		# gone since it was listed (a short-lived helper of this very
		# look, with the sandbox in its environment): not a leftover
		cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || continue
		alive "$pid" || continue
		echo "$pid $cmd"
	done
}

sb_kill_pids()
{
	local pid
	for pid in "$@"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "$@"; do
		sb_wait_gone "$pid" 30 || kill -KILL "$pid" 2>/dev/null
	done
}

# sb_start_wait PID LIMIT STEP LOG WHAT STOP CMD...: poll CMD every STEP
# seconds until it succeeds.  When PID is gone or LIMIT polls have
# failed: "# WHAT" (with the last state CMD left in SB_WAIT_LAST) and
# the end of LOG on stderr, then STOP, and fail.
sb_start_wait()
{
	local pid=$1 limit=$2 step=$3 log=$4 what=$5 stop=$6 i=0
	shift 6
	SB_WAIT_LAST=
	until "$@"; do
		if ! alive "$pid" || [ "$i" -ge "$limit" ]; then
			echo "# $what${SB_WAIT_LAST:+ (last: $SB_WAIT_LAST)}:" >&2
			tail -n 20 "$log" | sed 's/^/#   /' >&2
			"$stop"
			return 1
		fi
		sleep "$step"
		i=$((i + 1))
	done
	return 0
}

# ---------------------------------------------------------------- smbd

# sb_listening PORT...: something listens on every PORT
sb_listening()
{
	local p
	for p in "$@"; do
		[ -n "$(ss -Hltn "( sport = :$p )" 2>/dev/null)" ] || return 1
	done
}

sb_smbd_start()
{
	# shellcheck disable=SC2119
	[ -f "$SB/smb.conf" ] || sb_smbconf_write
	# smbd makes itself a session leader (setsid) unless given
	# --no-process-group, and on exit signals its process group: do not
	# pass that flag, and do not wrap it in setsid(1) either (its own
	# setsid() then fails: "Failed to create session").
	smbd --foreground --debug-stdout -s "$SB/smb.conf" \
		</dev/null >>"$SB/log/smbd.out" 2>&1 9>&- &
	SB_SMBD_PID=$!
	sb_start_wait "$SB_SMBD_PID" 100 0.1 "$SB/log/smbd.out" \
		"smbd did not start listening on $SB_P1 $SB_P2" sb_smbd_stop \
		sb_listening "$SB_P1" "$SB_P2"
}

sb_smbd_stop()
{
	sb_stop_pid "$SB_SMBD_PID"
	SB_SMBD_PID=
	# children, samba-dcerpcd and rpcd_* name our smb.conf
	# shellcheck disable=SC2046
	sb_kill_pids $(sb_sandbox_pids "$SB/smb.conf")
}

# ---------------------------------------------------------------- winbindd

sb_winbind_system_running()
{
	[ -z "$SB_WINBINDD_PID" ] && timeout 5 wbinfo -p >/dev/null 2>&1
}

sb_winbindd_start()
{
	if sb_winbind_system_running; then
		echo "# a winbindd not started by us answers on $SB_WB_DIR" >&2
		return 1
	fi
	[ -d "$SB_WB_DIR" ] || SB_WB_DIR_CREATED=1
	winbindd --foreground --debug-stdout -s "$SB/smb.conf" \
		</dev/null >>"$SB/log/winbindd.out" 2>&1 9>&- &
	SB_WINBINDD_PID=$!
	sb_start_wait "$SB_WINBINDD_PID" 100 0.1 "$SB/log/winbindd.out" \
		"winbindd did not answer wbinfo -p" sb_winbindd_stop \
		sb_wbinfo_ping
}

sb_wbinfo_ping()
{
	timeout 5 wbinfo -p >/dev/null 2>&1
}

sb_winbindd_stop()
{
	local pid
	sb_stop_pid "$SB_WINBINDD_PID"
	SB_WINBINDD_PID=
	# winbindd children that outlived it (samba-dcerpcd is shared with
	# smbd: sb_smbd_stop and sb_cleanup stop it)
	for pid in $(sb_sandbox_pids "$SB/smb.conf"); do
		[ "$(basename "$(readlink "/proc/$pid/exe")")" = winbindd ] &&
			sb_kill_pids "$pid"
	done
	return 0
}

# ---------------------------------------------------------------- ctdbd

sb_ctdb_env()
{
	echo CTDB_TEST_MODE=1 \
		CTDB_BASE="$SB/etc-ctdb" \
		CTDB_TEST_HELPER_BINDIR=/usr/libexec/ctdb \
		CTDB_SCRIPT_VARDIR="$SB/scripts" \
		CTDB_VARDIR="$SB/var"
}

sb_ctdb()
{
	# shellcheck disable=SC2046
	timeout -k 2 "$T_TIMEOUT" env $(sb_ctdb_env) /usr/bin/ctdb "$@"
}

sb_ctdbd_write_conf()
{
	local b=$SB/etc-ctdb
	mkdir -p "$SB"/db/{volatile,persistent,state}
	echo 127.0.0.1 >"$b/nodes"
	cat >"$b/ctdb.conf" <<EOF
[logging]
	location = file:$SB/log/ctdbd.log
	log level = NOTICE
[cluster]
	node address = 127.0.0.1
[database]
	volatile database directory = $SB/db/volatile
	persistent database directory = $SB/db/persistent
	state database directory = $SB/db/state
[legacy]
	realtime scheduling = false
EOF
	# only the monitor events a test runs itself
	echo "MonitorInterval=3600" >"$b/ctdb.tunables"
}

sb_ctdbd_start()
{
	sb_require_cmds ctdbd /usr/bin/ctdb
	[ -f "$SB/etc-ctdb/ctdb.conf" ] || sb_ctdbd_write_conf
	# -i: no fork, log to stderr; setsid: a ^C to the test does not
	# reach it, the trap stops it by PID
	# shellcheck disable=SC2046
	env $(sb_ctdb_env) setsid ctdbd -i \
		</dev/null >>"$SB/log/ctdbd.out" 2>&1 9>&- &
	SB_CTDBD_PID=$!
	sb_start_wait "$SB_CTDBD_PID" 300 0.2 "$SB/log/ctdbd.out" \
		"ctdbd did not reach RUNNING" sb_ctdbd_stop sb_ctdbd_running
}

# sets SB_WAIT_LAST to the runstate, for sb_start_wait's message
sb_ctdbd_running()
{
	# shellcheck disable=SC2046
	SB_WAIT_LAST=$(timeout 5 env $(sb_ctdb_env) /usr/bin/ctdb runstate 2>/dev/null)
	[ "$SB_WAIT_LAST" = RUNNING ]
}

sb_ctdbd_stop()
{
	local ev
	ev=$(cat "$SB/etc-ctdb/run/eventd.pid" 2>/dev/null)
	sb_stop_pid "$SB_CTDBD_PID"
	SB_CTDBD_PID=
	[ -n "$ev" ] && sb_stop_pid "$ev"
	return 0
}

# ---------------------------------------------------------------- teardown

sb_cleanup()
{
	local rc=$? left
	trap '' INT TERM HUP
	[ -n "$SB" ] || exit "$rc"
	sb_ctdbd_stop
	sb_winbindd_stop
	sb_smbd_stop
	# anything else still pointing into the sandbox (clients, probes)
	# shellcheck disable=SC2046
	sb_kill_pids $(sb_leftovers | awk '{print $1}')
	left=$(sb_leftovers)
	if [ -n "$left" ]; then
		echo "# WARNING: processes left in sandbox $SB:" >&2
		printf '%s\n' "$left" | sed 's/^/#   /' >&2
		[ "$rc" = 0 ] && rc=1
	fi
	sb_smbconf_restore
	if [ "$SB_WB_DIR_CREATED" = 1 ]; then
		rmdir "$SB_WB_DIR" 2>/dev/null
	fi
	if [ "${SB_KEEP:-0}" = 1 ]; then
		echo "# sandbox kept: $SB" >&2
	else
		rm -rf "$SB"
	fi
	exit "$rc"
}
