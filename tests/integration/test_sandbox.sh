#!/bin/bash
# The sandbox itself: /etc/samba/smb.conf comes back exactly (content,
# inode, mode, mtime) and no process is left, when a test ends normally,
# fails, or is interrupted with SIGINT or SIGTERM.
. "$(dirname "$0")/lib/sandbox.sh"
sb_init
# let the child sandboxes take the lock
flock -u 9
LIB=$(cd "$(dirname "$0")/lib" && pwd)/sandbox.sh

conf_id()
{
	if [ -e "$SB_ETC_CONF" ]; then
		stat -c '%i %a %U %Y %s' "$SB_ETC_CONF"
		md5sum <"$SB_ETC_CONF"
	else
		echo absent
	fi
}
BEFORE=$(conf_id)

child()
{
	# $1: how the child ends (exit0, fail, sleep)
	rm -f "$SB/child.sb"
	env --default-signal=INT,TERM bash -c '
		. "$1"
		sb_init >/dev/null
		sb_smbconf_write
		sb_smbd_start || exit 3
		echo "$SB $SB_SMBD_PID" >"$2"
		case "$3" in
		exit0) exit 0 ;;
		fail) false; exit 1 ;;
		sleep) sleep 60 9>&- & wait $! ;;
		esac
	' child "$LIB" "$SB/child.sb" "$1" >"$SB/child.out" 2>&1 9>&- &
	CHILD=$!
}

wait_ready()
{
	local _
	for _ in $(seq 100); do
		[ -s "$SB/child.sb" ] && return 0
		sleep 0.1
	done
	return 1
}

for how in exit0 fail SIGINT SIGTERM; do
	case $how in
	SIG*) child sleep ;;
	*) child "$how" ;;
	esac
	if ! wait_ready; then
		not_ok "$how: child sandbox started smbd" "$(cat "$SB/child.out")"
		sb_stop_pid "$CHILD"
		continue
	fi
	read -r CSB CSMBD <"$SB/child.sb"
	case $how in
	SIG*)
		check "$how: sandbox smb.conf installed while running" \
			grep -qF "$CSB/priv" "$SB_ETC_CONF"
		kill -"${how#SIG}" "$CHILD"
		;;
	esac
	for _ in $(seq 100); do alive "$CHILD" || break; sleep 0.1; done
	wait "$CHILD" 2>/dev/null
	rc=$?
	case $how in
	exit0) want=0 ;; fail) want=1 ;; SIGINT) want=130 ;; SIGTERM) want=143 ;;
	esac
	check "$how: child exit status $rc = $want" test "$rc" = "$want"
	check "$how: /etc/samba/smb.conf restored exactly" \
		test "$(conf_id)" = "$BEFORE"
	check "$how: smbd $CSMBD stopped" eval '! alive "$CSMBD"'
	check "$how: sandbox directory removed" test ! -e "$CSB"
	left=$(SB=$CSB sb_leftovers)
	check "$how: no process left in the sandbox" test -z "$left"
	[ -z "$left" ] || echo "$left" | sed 's/^/  /'
done
sb_done
