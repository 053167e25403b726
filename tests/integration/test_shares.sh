#!/bin/bash
# The share check (spec 3.2 step 3) on a real smb.conf read by testparm.
. "$(dirname "$0")/lib/sandbox.sh"
sb_init
mkdir -p "$SB/quoted dir"
# shellcheck disable=SC2034 # used by sb_smbconf_write
SB_EXTRA_SHARES="[quoted]
	path = \"$SB/quoted dir\"
[off]
	path = $SB/does-not-exist
	available = no
[homes2]
	path = $SB/home/%U"
sb_smbconf_write
sb_smbd_start || { not_ok "smbd starts"; sb_done; }
M=CTDB_MANAGES_SAMBA=yes

checksamba $M
t_rc "all shares present (path with spaces, quoted path, available = no, %U): exit 0" 0
t_silent "all shares present: no output"

mv "$SB/share with spaces" "$SB/moved"
checksamba $M
t_rc "share path with spaces removed: exit 1" 1
t_first "share path with spaces removed: ERROR line" \
	"ERROR: samba directory \"$SB/share with spaces\" not available"
checksamba $M -- --skip-share-check
t_rc "--skip-share-check: exit 0" 0
t_silent "--skip-share-check: no output"
checksamba $M CTDB_SAMBA_SKIP_SHARE_CHECK=yes
t_rc "CTDB_SAMBA_SKIP_SHARE_CHECK=yes: exit 0" 0
mv "$SB/moved" "$SB/share with spaces"
checksamba $M
t_rc "share with spaces back: exit 0" 0
t_silent "share with spaces back: no output"

rmdir "$SB/share"
checksamba $M
t_rc "share directory removed: exit 1" 1
t_first "share directory removed: ERROR line" \
	"ERROR: samba directory \"$SB/share\" not available"
touch "$SB/share"
checksamba $M
t_rc "share path is a regular file: exit 1" 1
t_first "share path is a regular file: ERROR line" \
	"ERROR: samba directory \"$SB/share\" not available"
rm -f "$SB/share"
mkdir "$SB/share"

rmdir "$SB/quoted dir"
checksamba $M
t_rc "quoted share path removed: exit 1" 1
t_first "quoted share path removed: ERROR names it without quotes" \
	"ERROR: samba directory \"$SB/quoted dir\" not available"
mkdir "$SB/quoted dir"
checksamba $M
t_rc "all back: exit 0" 0
sb_done
