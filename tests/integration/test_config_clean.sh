#!/bin/bash
# The clean check (spec 3.2 step 2) with the real testparm 4.17: an
# unknown parameter is reported on testparm's stderr only ("Unknown
# parameter encountered: ...", "Ignoring unknown parameter ..."), never
# on stdout, so the default (stdout) mode passes and strict fails.
. "$(dirname "$0")/lib/sandbox.sh"
sb_init
sb_smbconf_write
sb_smbd_start || { not_ok "smbd starts"; sb_done; }
M=CTDB_MANAGES_SAMBA=yes

sb_smbconf_write "foo bar = baz"
t_run testparm -v -s
check "testparm 4.17: stdout has no WARNING/ERROR/Unknown line" \
	test -z "$(grep -E '^(WARNING|ERROR|Unknown)' <<<"$T_OUT")"
check "testparm 4.17: stderr says Unknown parameter encountered" \
	grep -q '^Unknown parameter encountered: "foo bar"' <<<"$T_ERR"

checksamba $M
t_rc "unknown parameter, default (stdout) mode: exit 0" 0
t_silent "unknown parameter, default mode: no output"
checksamba $M CTDB_SAMBA_CONFIG_CHECK=stdout
t_rc "unknown parameter, CTDB_SAMBA_CONFIG_CHECK=stdout: exit 0" 0
checksamba $M CTDB_SAMBA_CONFIG_CHECK=strict
t_rc "unknown parameter, strict: exit 1" 1
t_first "unknown parameter, strict: ERROR line first" \
	"ERROR: testparm shows smb.conf is not clean"
t_contains "unknown parameter, strict: shows the offending line" \
	'Unknown parameter encountered: "foo bar"'
checksamba $M CTDB_SAMBA_CONFIG_CHECK=off
t_rc "unknown parameter, off: exit 0" 0
t_silent "unknown parameter, off: no output"
checksamba $M CTDB_SAMBA_CONFIG_CHECK=strict CTDB_SAMBA_SKIP_SHARE_CHECK=yes
t_rc "unknown parameter, strict + CTDB_SAMBA_SKIP_SHARE_CHECK=yes: exit 0" 0
checksamba $M CTDB_SAMBA_CONFIG_CHECK=bogus
t_rc "CTDB_SAMBA_CONFIG_CHECK=bogus: exit 1" 1
t_first "CTDB_SAMBA_CONFIG_CHECK=bogus: invalid value line" \
	'ERROR: invalid value "bogus" for CTDB_SAMBA_CONFIG_CHECK'

sb_smbconf_write
checksamba $M CTDB_SAMBA_CONFIG_CHECK=strict
t_rc "clean smb.conf, strict: exit 0" 0
t_silent "clean smb.conf, strict: no output"

# an invalid value makes testparm 4.17 fail (exit 1, "WARNING: Ignoring
# invalid value ..." and "Error loading services." on stderr)
sb_smbconf_write "security = bogus"
rm -rf "$SB/state-fresh"
checksamba $M -- --state-dir="$SB/state-fresh"
t_rc "testparm fails, no cache: exit 1" 1
t_first "testparm fails, no cache: cache create failed line" \
	"ERROR: smb.conf cache create failed - testparm failed with:"
t_contains "testparm fails: shows testparm's stderr" \
	"Ignoring invalid value 'bogus' for parameter 'security'"
checksamba $M
t_rc "testparm fails, old cache: still answers from it (exit 0)" 0
t_first "testparm fails, old cache: WARNING line" \
	"WARNING: smb.conf cache update failed - using old cache file"
sb_smbconf_write
sb_done
