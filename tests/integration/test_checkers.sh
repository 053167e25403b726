#!/bin/bash
# The checker chain (spec 3.4) with every checker against a real smbd.
. "$(dirname "$0")/lib/sandbox.sh"
sb_require_cmds nmap netstat ss
sb_init
sb_smbconf_write
sb_smbd_start || { not_ok "smbd starts"; sb_done; }
M=CTDB_MANAGES_SAMBA=yes
ERROR="ERROR: samba tcp port $SB_P1 is not responding"
CHECKERS="ctdb bind nmap netstat ss"

for c in $CHECKERS; do
	checksamba $M -- --checkers=$c
	t_rc "smbd up, --checkers=$c: exit 0" 0
	t_silent "smbd up, --checkers=$c: no output"
	checksamba $M CTDB_TCP_PORT_CHECKERS=$c
	t_rc "smbd up, CTDB_TCP_PORT_CHECKERS=$c: exit 0" 0
done
checksamba $M "CTDB_TCP_PORT_CHECKERS=nosuch netstat" -- -v
t_rc "smbd up, \"nosuch netstat\": exit 0" 0
t_contains "\"nosuch netstat\" -v: nosuch not implemented" \
	"ctdb_check_ports - checker nosuch not implemented"

sb_smbd_stop
for c in $CHECKERS; do
	checksamba $M -- --checkers=$c
	t_rc "smbd down, --checkers=$c: exit 1" 1
	t_first "smbd down, --checkers=$c: ERROR line" "$ERROR"
	checksamba $M CTDB_TCP_PORT_CHECKERS=$c
	t_first "smbd down, CTDB_TCP_PORT_CHECKERS=$c: ERROR line" "$ERROR"
done
checksamba $M "CTDB_TCP_PORT_CHECKERS=nosuch netstat" -- -v
t_rc "smbd down, \"nosuch netstat\" -v: exit 1" 1
t_first "smbd down, \"nosuch netstat\" -v: ERROR line first" "$ERROR"
t_contains "smbd down, \"nosuch netstat\" -v: nosuch not implemented" \
	"ctdb_check_ports - checker nosuch not implemented"
checksamba $M "CTDB_TCP_PORT_CHECKERS=nosuch"
t_rc "no working checker: exit 1" 1
t_first "no working checker: INTERNAL ERROR line" \
	'INTERNAL ERROR: ctdb_check_ports - no working checkers in CTDB_TCP_PORT_CHECKERS="nosuch"'
checksamba $M "PATH=/nonexistent" -- --checkers=nmap
t_rc "nmap not on PATH: exit 1" 1
t_first "nmap not on PATH: no working checkers" \
	'INTERNAL ERROR: ctdb_check_ports - no working checkers in CTDB_TCP_PORT_CHECKERS="nmap"'
sb_done
