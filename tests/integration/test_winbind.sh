#!/bin/bash
# winbind (spec 3.2 step 3) against a real winbindd on the default socket
# directory (wbinfo and libwbclient look only there).
. "$(dirname "$0")/lib/sandbox.sh"
sb_require_cmds winbindd wbinfo
sb_init
if sb_winbind_system_running; then
	skip "a winbindd already answers on /run/samba/winbindd; not disturbing it"
fi
sb_smbconf_write
sb_smbd_start || { not_ok "smbd starts"; sb_done; }
M=CTDB_MANAGES_SAMBA=yes
E="ERROR: winbind - wbinfo -p returned error"

t_run wbinfo -p
t_rc "no winbindd: wbinfo -p fails" 1
checksamba $M CTDB_MANAGES_WINBIND=yes
t_rc "winbind managed, winbindd stopped: exit 1" 1
t_first "winbind managed, winbindd stopped: ERROR line" "$E"
checksamba "CTDB_MANAGED_SERVICES=samba winbind"
t_rc "CTDB_MANAGED_SERVICES=\"samba winbind\", stopped: exit 1" 1
t_first "CTDB_MANAGED_SERVICES=\"samba winbind\", stopped: ERROR line" "$E"
checksamba CTDB_MANAGES_WINBIND=yes
t_rc "only winbind managed, stopped: exit 1" 1
t_first "only winbind managed, stopped: ERROR line" "$E"
checksamba -- --managed
t_rc "--managed without CTDB_MANAGES_WINBIND (49.winbind's job): exit 0" 0
checksamba CTDB_MANAGES_WINBIND=yes -- --managed
t_rc "--managed with CTDB_MANAGES_WINBIND=yes, stopped: exit 1" 1
t_first "--managed with CTDB_MANAGES_WINBIND=yes, stopped: ERROR line" "$E"
checksamba $M
t_rc "automatic rule, security = user: winbind not checked, exit 0" 0
t_silent "automatic rule, security = user: no output"

if sb_winbindd_start; then
	ok "winbindd starts and answers wbinfo -p"
else
	not_ok "winbindd starts and answers wbinfo -p"
fi
checksamba $M CTDB_MANAGES_WINBIND=yes
t_rc "winbind managed, winbindd running: exit 0" 0
t_silent "winbind managed, winbindd running: no output"
checksamba CTDB_MANAGES_WINBIND=yes -- --managed
t_rc "--managed with CTDB_MANAGES_WINBIND=yes, running: exit 0" 0
sb_winbindd_stop
checksamba $M CTDB_MANAGES_WINBIND=yes
t_rc "winbindd stopped again: exit 1" 1
t_first "winbindd stopped again: ERROR line" "$E"
sb_done
