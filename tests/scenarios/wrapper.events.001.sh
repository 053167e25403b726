#!/bin/bash
# The wrapper eventscripts and the install targets, in a temporary
# PREFIX and CTDB_BASE.
. "$(dirname "$0")/lib/unit.sh"

setup
prefix="$SB/prefix"
log="$SB/service.log"
make -s -C "$top" install PREFIX="$prefix" >/dev/null 2>&1
installed="$prefix/share/ctdb-checksamba"

define_test "make install substitutes the front-end's path"
for s in 50.samba 50.samba.script; do
	check "$s installed, executable" test -x "$installed/$s"
	check "$s: the front-end is its interpreter" \
		test "$(head -n 1 "$installed/$s")" = \
		"#!$prefix/bin/ctdb eventscript"
	check "$s monitor line" grep -qx \
		"	exec $prefix/bin/ctdb checksamba\( --managed\)\?" \
		"$installed/$s"
	if command -v shellcheck >/dev/null; then
		check "$s passes shellcheck" shellcheck -s sh "$installed/$s"
	fi
done

define_test "make install refuses to overwrite another ctdb"
prefix2="$SB/prefix2"
mkdir -p "$prefix2/bin"
printf '#!/bin/sh\necho I am the stock tool\n' >"$prefix2/bin/ctdb"
make -s -C "$top" install PREFIX="$prefix2" >"$SB/out" 2>&1
check "make install failed" [ $? -ne 0 ]
check "with a message" grep -q "refusing to overwrite" "$SB/out"
check "the other ctdb untouched" grep -q "stock tool" "$prefix2/bin/ctdb"
make -s -C "$top" install PREFIX="$prefix" >/dev/null 2>&1
check "installing over ourselves works" [ $? -eq 0 ]

define_test "make install-eventscript replaces the packaged link"
base="$SB/etc-ctdb"
mkdir -p "$base/events/legacy"
ln -s /usr/share/ctdb/events/legacy/50.samba.script \
	"$base/events/legacy/50.samba.script"
make -s -C "$top" install-eventscript PREFIX="$prefix" CTDB_BASE="$base" \
	>/dev/null 2>&1
dest="$base/events/legacy/50.samba.script"
check "a regular file now" test -f "$dest" -a ! -L "$dest"
check "our wrapper" cmp -s "$dest" "$installed/50.samba.script"
check "the old link kept" test -L "$dest.orig"
check "not executable until enabled" test ! -x "$dest"

# A functions file that records what the wrappers ask the init system
cat >"$CTDB_BASE/functions" <<EOT
detect_init_style() { CTDB_INIT_STYLE=\${CTDB_INIT_STYLE:-debian}; }
load_script_options() { :; }
loadconfig() { :; }
die() { echo "\$1"; exit 1; }
service() { echo "service \$1 \$2" >>"$log"; }
nice_service() { echo "nice_service \$1 \$2" >>"$log"; }
EOT

define_test "50.samba.script: events other than monitor do nothing"
for ev in takeip releaseip ipreallocated init setup startrecovery; do
	"$installed/50.samba.script" "$ev" >/dev/null 2>&1
	check "$ev exits 0" [ $? -eq 0 ]
done
check "nothing started" test ! -e "$log"

define_test "50.samba.script startup: smbd on Debian, started file"
"$installed/50.samba.script" startup
check "exit 0" [ $? -eq 0 ]
check "smbd stopped, then started" diff -u - "$log" <<EOT
service smbd stop
nice_service smbd start
EOT
check "started file" test -e "$CTDB_SCRIPT_VARDIR/service/samba/started"
rm -f "$log"
CTDB_INIT_STYLE=redhat "$installed/50.samba.script" shutdown
check "Red Hat: smb" grep -qx "service smb stop" "$log"
rm -f "$log"
CTDB_SERVICE_SMB=mysmb "$installed/50.samba.script" shutdown
check "CTDB_SERVICE_SMB wins" grep -qx "service mysmb stop" "$log"

define_test "50.samba.script monitor runs ctdb checksamba --managed"
free=$(free_port)
smbconf_global "smb ports = $free"
out=$("$installed/50.samba.script" monitor 2>&1)
rc=$?
check "exit 1" [ $rc -eq 1 ]
# startup above made the started file: still in the grace period
want="INFO: samba tcp port $free is not responding"
check "our INFO line (just started)" [ "$out" = "$want" ]
[ "$out" = "$want" ] || echo "  got: $out"

define_test "monitor through the #! line: one execve, no shell"
listen_ports 1
smbconf_global "smb ports = $PORT1"
mkdir -p "$SB/share1"
smbconf_share share1 "path = $SB/share1"
touch -d '-5 seconds' "$FAKE_SMBCONF"
sleep 0.2
"$installed/50.samba.script" monitor >/dev/null 2>&1
rm -f "$CTDB_SCRIPT_VARDIR/service/samba/started"
runs=$(calls testparm)
strace -f -qq -e trace=execve,fork,vfork,clone,clone3 -o "$SB/strace" \
	"$installed/50.samba.script" monitor >"$SB/out" 2>&1
rc=$?
check "exit 0, silent" [ $rc -eq 0 ] && [ ! -s "$SB/out" ]
check "one execve: the wrapper itself" \
	[ "$(grep -c 'execve(' "$SB/strace")" -eq 1 ]
# threads are clones with CLONE_THREAD (the prober's); a process is not
forks=$(grep -E 'clone3?\(' "$SB/strace" | grep -vc CLONE_THREAD)
check "one fork: the prober, for the shares and the cache's check" \
	[ "$forks" -eq 1 ]
[ "$forks" -eq 1 ] || cat "$SB/strace"
check "and it ran the front-end" grep -q "execve(\"$installed/50.samba.script\"" \
	"$SB/strace"
check "the cache served (no testparm)" [ "$(calls testparm)" -eq "$runs" ]
# the old way still works: "sh SCRIPT monitor" execs the front-end
out=$(sh "$installed/50.samba.script" monitor 2>&1)
check "sh 50.samba.script monitor: exit 0, silent" \
	[ $? -eq 0 ] && [ -z "$out" ]
# no CTDB_BASE: the front-end finds it two levels up from events/legacy
mkdir -p "$SB/base/events/legacy"
cp "$installed/50.samba.script" "$SB/base/events/legacy/"
printf 'CTDB_SAMBA_CHECK_PORTS=%s\n' "$(free_port)" >"$SB/base/script.options"
out=$(env -u CTDB_BASE "$SB/base/events/legacy/50.samba.script" monitor 2>&1)
check "no CTDB_BASE: events/legacy/../.. read (exit 1)" [ $? -eq 1 ]
check "its script.options" grep -q "^ERROR: samba tcp port" <<<"$out"
stop_listeners

define_test "50.samba (events.d): startup of the managed daemons"
rm -f "$log"
CTDB_MANAGED_SERVICES="samba winbind" CTDB_SERVICE_NMB=nmbd \
	"$installed/50.samba" startup
check "exit 0" [ $? -eq 0 ]
check "winbind, nmbd, smbd" diff -u - "$log" <<EOT
service winbind stop
service winbind start
service smbd stop
service nmbd stop
nice_service nmbd start
nice_service smbd start
EOT
check "never the service named samba" sh -c "! grep -q ' samba ' '$log'"
check "started file" test -e "$CTDB_VARDIR/failcount/samba.started"
rm -f "$log"
unset CTDB_MANAGES_SAMBA
"$installed/50.samba" startup
check "nothing managed: nothing started" test ! -e "$log"
out=$("$installed/50.samba" monitor 2>&1)
rc=$?
check "monitor, not managed: exit 0" [ $rc -eq 0 ]
check "monitor, not managed: silent" [ -z "$out" ]
finish
