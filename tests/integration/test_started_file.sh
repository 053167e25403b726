#!/bin/bash
# The started file (spec 3.0, 3.4): a closed port is INFO while the file
# is younger than CTDB_SAMBA_STARTUP_GRACE; a healthy run removes it.
. "$(dirname "$0")/lib/sandbox.sh"
sb_init
sb_smbconf_write
sb_smbd_start || { not_ok "smbd starts"; sb_done; }
M=CTDB_MANAGES_SAMBA=yes
STARTED=$SB/var/failcount/samba.started
INFO="INFO: samba tcp port $SB_P1 is not responding"
ERROR="ERROR: samba tcp port $SB_P1 is not responding"

sb_smbd_stop
mkdir -p "$SB/var/failcount"
touch "$STARTED"
checksamba $M
t_rc "legacy, fresh started file, smbd down: exit 1" 1
t_first "legacy, fresh started file: INFO line first" "$INFO"
check "legacy: started file kept while unhealthy" test -e "$STARTED"

touch -d '-2 minutes' "$STARTED"
checksamba $M
t_rc "legacy, started file older than the grace: exit 1" 1
t_first "legacy, old started file: ERROR line" "$ERROR"
touch "$STARTED"
checksamba $M CTDB_SAMBA_STARTUP_GRACE=0
t_first "legacy, CTDB_SAMBA_STARTUP_GRACE=0: ERROR line" "$ERROR"

touch "$STARTED"
sb_smbd_start || not_ok "smbd restarts"
checksamba $M
t_rc "legacy, smbd back: exit 0" 0
t_silent "legacy, smbd back: no output"
check "legacy: healthy run removed samba.started" test ! -e "$STARTED"

# modern mode: "started" in the state directory (--state-dir here)
touch "$SB/state/started"
sb_smbd_stop
checksamba -- --managed
t_rc "--managed, fresh started file, smbd down: exit 1" 1
t_first "--managed, fresh started file: INFO line first" "$INFO"
check "--managed: legacy started file not used" test ! -e "$STARTED"
sb_smbd_start || not_ok "smbd restarts"
checksamba -- --managed
t_rc "--managed, smbd back: exit 0" 0
t_silent "--managed, smbd back: no output"
check "--managed: healthy run removed state-dir/started" \
	test ! -e "$SB/state/started"
sb_done
