#!/bin/bash
# Real smbd: a healthy cycle prints nothing and exits 0; smbd stopped
# gives the port ERROR line first and exit 1 (spec 3.2, 3.4).
. "$(dirname "$0")/lib/sandbox.sh"
sb_init
sb_smbconf_write
sb_smbd_start || { not_ok "smbd starts"; sb_done; }
M=CTDB_MANAGES_SAMBA=yes

checksamba $M
t_rc "healthy: exit 0 (CTDB_MANAGES_SAMBA=yes)" 0
t_silent "healthy: no output"
checksamba CTDB_MANAGED_SERVICES="nfs samba"
t_rc "healthy: exit 0 (CTDB_MANAGED_SERVICES)" 0
t_silent "healthy (CTDB_MANAGED_SERVICES): no output"
checksamba $M -- --managed
t_rc "healthy --managed: exit 0" 0
t_silent "healthy --managed: no output"
check "state dir holds the smb.conf cache" test -s "$SB/state/smb.conf.cache"
checksamba $M -- -v
t_rc "healthy -v: exit 0" 0
check "healthy -v: prints the steps" test -n "$T_OUT$T_ERR"

sb_smbd_stop
checksamba $M
t_rc "smbd stopped: exit 1" 1
t_first "smbd stopped: port ERROR line first" \
	"ERROR: samba tcp port $SB_P1 is not responding"
checksamba $M -- --ports="$SB_P2"
t_rc "smbd stopped, --ports=P2: exit 1" 1
t_first "smbd stopped, --ports=P2: names P2" \
	"ERROR: samba tcp port $SB_P2 is not responding"
checksamba $M CTDB_SAMBA_CHECK_PORTS="$SB_P2,$SB_P1"
t_first "smbd stopped, CTDB_SAMBA_CHECK_PORTS=P2,P1: names P2" \
	"ERROR: samba tcp port $SB_P2 is not responding"
checksamba $M -- --managed
t_rc "smbd stopped --managed: exit 1" 1
t_first "smbd stopped --managed: port ERROR line first" \
	"ERROR: samba tcp port $SB_P1 is not responding"

sb_smbd_start || not_ok "smbd restarts"
checksamba $M
t_rc "smbd restarted: exit 0" 0
t_silent "smbd restarted: no output"
sb_done
