#!/bin/bash
# End to end (spec 4): our 50.samba.script installed into a sandboxed
# single-node ctdbd (CTDB_TEST_MODE) the way the README says (make install
# + make install-eventscript CTDB_BASE=...), enabled with `ctdb event
# script enable legacy 50.samba` once RUNNING (so no startup event touches
# smbd), then monitor events run by ctdb-eventd against the real smbd.
. "$(dirname "$0")/lib/sandbox.sh"
sb_require_cmds make ctdbd
sb_init
sb_smbconf_write
sb_smbd_start || { not_ok "smbd starts"; sb_done; }
LEG=$SB/etc-ctdb/events/legacy

# ctdbd runs monitor events of its own after RUNNING (at 2, 4, 8, ... s,
# growing to MonitorInterval); two monitor runs at once make ctdb-eventd
# cancel one ("Event monitor in legacy got cancelled", exit 61): retry.
run_monitor()
{
	local i
	for i in 1 2 3 4 5 6 7 8; do
		t_run sb_ctdb event run 30 legacy monitor
		grep -q "got cancelled" <<<"$T_OUT$T_ERR" || return 0
		echo "# monitor run $i cancelled by ctdbd's own, retrying"
		sleep 0.5
	done
}
REAL_STATE=/var/lib/ctdb/scripts/service/samba
[ -e "$REAL_STATE" ] && real_state_before=1 || real_state_before=0

t_run make -s install PREFIX="$SB/prefix"
t_rc "make install PREFIX=sandbox" 0
[ "$T_RC" = 0 ] || sb_done
check "front-end installed" test -x "$SB/prefix/bin/ctdb"

if sb_ctdbd_start; then
	ok "ctdbd (test mode) reaches RUNNING"
else
	not_ok "ctdbd (test mode) reaches RUNNING"
	sb_done
fi

# what `ctdb event script enable` leaves behind on a stock install: a
# link to the packaged script
STOCK=/usr/share/ctdb/events/legacy/50.samba.script
[ -f "$STOCK" ] && ln -s "$STOCK" "$LEG/50.samba.script"
t_run make -s install-eventscript PREFIX="$SB/prefix" CTDB_BASE="$SB/etc-ctdb"
t_rc "make install-eventscript CTDB_BASE=sandbox" 0
[ "$T_RC" = 0 ] || sb_done
check "50.samba.script is a regular file now" \
	test -f "$LEG/50.samba.script" -a ! -L "$LEG/50.samba.script"
check "it execs the installed front-end" \
	grep -qF "$SB/prefix/bin/ctdb checksamba --managed" "$LEG/50.samba.script"
if [ -f "$STOCK" ]; then
	check "the previous link is kept as a backup" \
		test "$(readlink "$LEG/50.samba.script.orig")" = "$STOCK"
fi

t_run sb_ctdb event script enable legacy 50.samba
t_rc "ctdb event script enable legacy 50.samba" 0
check "enabled script is executable" test -x "$LEG/50.samba.script"
t_run sb_ctdb event script list legacy
t_contains "event script list shows it enabled" "* 50.samba"

run_monitor
t_rc "smbd up: ctdb event run 30 legacy monitor exits 0" 0
t_run sb_ctdb event status legacy monitor
t_rc "smbd up: ctdb event status exits 0" 0
check "smbd up: event status shows 50.samba OK" \
	grep -qE '^50\.samba +OK ' <<<"$T_OUT"
[ "$T_RC" = 0 ] || echo "$T_OUT" | sed 's/^/  /'
check "modern state dir is CTDB_SCRIPT_VARDIR/service/samba (in the sandbox)" \
	test -s "$SB/scripts/service/samba/smb.conf.cache"
t_run sb_ctdb scriptstatus
if grep -q 'Unknown command\|Invalid command' <<<"$T_OUT$T_ERR"; then
	echo "# ctdb scriptstatus is not supported by this ctdb"
else
	check "smbd up: ctdb scriptstatus shows 50.samba OK" \
		grep -qE '^50\.samba +OK ' <<<"$T_OUT"
fi

sb_smbd_stop
run_monitor
check "smbd down: ctdb event run fails (exit $T_RC)" test "$T_RC" != 0
t_contains "smbd down: event run says the monitor event failed" \
	"Event monitor in legacy failed"
t_run sb_ctdb event status legacy monitor
t_rc "smbd down: ctdb event status exits 1" 1
check "smbd down: event status shows 50.samba ERROR" \
	grep -qE '^50\.samba +ERROR ' <<<"$T_OUT"
check "smbd down: OUTPUT starts with our ERROR line" \
	grep -qxF "  OUTPUT: ERROR: samba tcp port $SB_P1 is not responding" <<<"$T_OUT"
t_run sb_ctdb scriptstatus
if ! grep -q 'Unknown command\|Invalid command' <<<"$T_OUT$T_ERR"; then
	check "smbd down: ctdb scriptstatus shows our ERROR line" \
		grep -qxF "  OUTPUT: ERROR: samba tcp port $SB_P1 is not responding" <<<"$T_OUT"
fi

sb_smbd_start || not_ok "smbd restarts"
run_monitor
t_rc "smbd back: monitor exits 0" 0
t_run sb_ctdb event status legacy monitor
check "smbd back: event status OK again" grep -qE '^50\.samba +OK ' <<<"$T_OUT"

t_run sb_ctdb event script disable legacy 50.samba
t_rc "script disabled again" 0
CPIDS="$SB_CTDBD_PID $(cat "$SB/etc-ctdb/run/eventd.pid" 2>/dev/null)"
sb_ctdbd_stop
gone()
{
	local p
	for p in $CPIDS; do
		alive "$p" && return 1
	done
	return 0
}
check "ctdbd and ctdb-eventd stopped ($CPIDS)" gone
if [ "$real_state_before" = 0 ]; then
	check "real $REAL_STATE untouched" test ! -e "$REAL_STATE"
fi
sb_done
