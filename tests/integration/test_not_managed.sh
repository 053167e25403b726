#!/bin/bash
# Not managed (spec 3.2): exit 0 at once, no output, nothing written,
# whether smbd runs or not.
. "$(dirname "$0")/lib/sandbox.sh"
sb_init
sb_smbconf_write
empty()
{
	[ -z "$(find "$SB/state" "$SB/var" "$SB/scripts" -mindepth 1 2>/dev/null)" ]
}
for smbd in down up; do
	[ $smbd = up ] && { sb_smbd_start || not_ok "smbd starts"; }
	for e in "" CTDB_MANAGES_SAMBA=no CTDB_MANAGES_SAMBA=YESS \
		CTDB_MANAGED_SERVICES=nfs "CTDB_MANAGED_SERVICES=sambas winbindx" \
		CTDB_MANAGES_WINBIND=no; do
		checksamba ${e:+"$e"}
		t_rc "smbd $smbd, not managed (${e:-no variables}): exit 0" 0
		t_silent "smbd $smbd, not managed (${e:-no variables}): no output"
	done
	checksamba -- -v
	t_rc "smbd $smbd, not managed, -v: exit 0" 0
	check "smbd $smbd, not managed: nothing written in state/var dirs" empty
done
rm -rf "$SB/state"
checksamba
check "not managed: missing state dir not created" test ! -e "$SB/state"
sb_done
