#!/bin/bash
# make check-deb: the Debian package ctdb-checksamba, installed on this
# machine for real and removed again (root).
#
# Builds the package (make deb; DEB_FILE=path uses a built one instead),
# records CTDB's /usr/bin/ctdb and 50.samba.script (sha256, mode, owner),
# the diversion list and what "ctdb version" prints, then with
# "apt-get install ./PACKAGE.deb" checks:
#   * both stock files diverted to *.distrib by ctdb-checksamba, byte for
#     byte the files that were there;
#   * /usr/bin/ctdb is the front-end: "ctdb version" prints what the
#     stock tool printed, "ctdb checktcpport 0" is ours (exit 22);
#   * the packaged 50.samba.script's monitor against a sandbox smbd:
#     healthy and silent, then (smbd stopped) our port ERROR line;
#   * a test-mode ctdbd whose 50.samba was enabled before the package
#     came runs ours at its next "ctdb event run", and the usual
#     "ctdb event script enable legacy 50.samba" enables ours;
#   * reinstalling changes nothing;
# then "apt-get remove" (no diversion left, both stock files back byte
# for byte) and "apt-get purge".  On every exit path the trap purges the
# package and compares the machine with what was recorded.  It refuses
# to run (exit 77) when ctdb-checksamba is installed or either file is
# diverted already.

# functions that run from the trap and from check look unreachable
# shellcheck disable=SC2317
set -u
cd "$(dirname "$0")/../.." || exit 1
top=$PWD
# shellcheck source=tests/integration/lib/sandbox.sh
. tests/integration/lib/sandbox.sh

PKG=ctdb-checksamba
TOOL=/usr/bin/ctdb
SCRIPT=/usr/share/ctdb/events/legacy/50.samba.script
WRAPPER_OLD=/usr/share/ctdb-checksamba/50.samba
MARK="ctdb-checksamba front-end"
START=$SECONDS
export DEBIAN_FRONTEND=noninteractive

sb_require_root
sb_require_cmds ctdbd smbd testparm make
for c in dpkg-buildpackage dh lintian apt-get dpkg-divert sha256sum; do
	command -v "$c" >/dev/null 2>&1 ||
		sb_skip "command $c not found (Debian: apt-get install dpkg-dev debhelper lintian)"
done

pkg_status()
{
	dpkg-query -W -f='${db:Status-Status}' "$PKG" 2>/dev/null
}

pkg_present()
{
	local s
	s=$(pkg_status)
	[ -n "$s" ] && [ "$s" != not-installed ]
}

pkg_gone()
{
	! pkg_present
}

# What must be the same before and after: the two files, who diverts
# what, and no *.distrib lying around.
snapshot()
{
	sha256sum "$TOOL" "$SCRIPT" 2>&1
	stat -c '%n %a %U:%G %s' "$TOOL" "$SCRIPT" 2>&1
	dpkg-divert --list | sort
	ls -d "$TOOL.distrib" "$SCRIPT.distrib" 2>/dev/null
}

sha()
{
	sha256sum "$1" 2>/dev/null | cut -d' ' -f1
}

# ------------------------------------------------------------ preflight

if pkg_present; then
	sb_skip "$PKG is installed here ($(pkg_status)); this test installs" \
		"and purges it: apt purge $PKG first"
fi
for f in "$TOOL" "$SCRIPT"; do
	if [ ! -f "$f" ] || [ -L "$f" ]; then
		sb_skip "$f is missing or a link (apt-get install ctdb)"
	fi
	d=$(dpkg-divert --listpackage "$f")
	[ -z "$d" ] || sb_skip "$f is diverted already (by $d)"
	[ ! -e "$f.distrib" ] || sb_skip "$f.distrib exists already"
done

mkdir -p build/test-logs
if [ -n "${DEB_FILE:-}" ]; then
	deb=$(readlink -f "$DEB_FILE")
else
	echo "# building the package: make deb (log in build/test-logs/deb.build.log)"
	if ! make -s deb >build/test-logs/deb.build.log 2>&1 </dev/null; then
		not_ok "make deb" "$(tail -n 30 build/test-logs/deb.build.log)"
		sb_done
	fi
	ok "make deb builds the package, lintian reports no error"
	grep -E '^[EWIP]: ' build/test-logs/deb.build.log | sed 's/^/# lintian: /'
	deb=$top/build/deb/${PKG}_$(dpkg-parsechangelog -S Version)_$(dpkg --print-architecture).deb
fi
[ -f "$deb" ] || { not_ok "package file $deb exists"; sb_done; }
echo "# package $deb"

BEFORE=$(snapshot)
SHA_TOOL=$(sha "$TOOL")
SHA_SCRIPT=$(sha "$SCRIPT")
STOCK_VERSION=$("$TOOL" version 2>&1)
echo "# before: $SHA_TOOL  $TOOL"
echo "# before: $SHA_SCRIPT  $SCRIPT"

# ------------------------------------------------------------ sandbox

sb_init

deb_cleanup()
{
	local rc=$? f after
	trap '' INT TERM HUP
	# the sandbox ctdbd must not run a shutdown event of ours
	[ -n "$SB" ] && rm -f "$SB/etc-ctdb/events/legacy/50.samba.script"
	if pkg_present; then
		echo "# cleanup: purging $PKG" >&2
		apt-get purge -y -q -o DPkg::Lock::Timeout=120 "$PKG" \
			</dev/null >&2 9>&-
	fi
	for f in "$SCRIPT" "$TOOL"; do
		if [ "$(dpkg-divert --listpackage "$f")" = "$PKG" ]; then
			echo "# cleanup: removing the diversion of $f" >&2
			dpkg-divert --package "$PKG" --remove --rename \
				--divert "$f.distrib" "$f" >&2
		fi
	done
	after=$(snapshot)
	if [ "$after" = "$BEFORE" ]; then
		echo "# after: the machine is as before (sha256, mode, owner of" \
			"both files; diversions; no *.distrib)"
		echo "# after: $(sha "$TOOL")  $TOOL"
		echo "# after: $(sha "$SCRIPT")  $SCRIPT"
	else
		echo "# ERROR: the machine differs from before the test:" >&2
		diff <(printf '%s\n' "$BEFORE") <(printf '%s\n' "$after") |
			sed 's/^/#   /' >&2
		[ "$rc" = 0 ] && rc=1
	fi
	echo "# check-deb took $((SECONDS - START)) s"
	(exit "$rc")
	sb_cleanup
}
trap deb_cleanup EXIT

sb_smbconf_write
sb_smbd_start || { not_ok "sandbox smbd starts"; sb_done; }
if sb_ctdbd_start; then
	ok "sandbox ctdbd (test mode) reaches RUNNING"
else
	not_ok "sandbox ctdbd (test mode) reaches RUNNING"
	sb_done
fi

# In test mode "ctdb event script enable" links to $CTDB_BASE/share/
# instead of /usr/share/ctdb/: point that at the real script, and
# enable it before the package comes, as on a node that ran CTDB's own.
LEG=$SB/etc-ctdb/events/legacy
ln -s "$SCRIPT" "$SB/etc-ctdb/share/events/legacy/50.samba.script"
t_run sb_ctdb event script enable legacy 50.samba
t_rc "before: ctdb event script enable legacy 50.samba" 0

# ctdbd runs monitor events of its own after RUNNING; two at once make
# ctdb-eventd cancel one: retry
run_monitor()
{
	local i
	for i in 1 2 3 4 5 6 7 8; do
		t_run sb_ctdb event run 30 legacy monitor
		grep -q "got cancelled" <<<"$T_OUT$T_ERR" || return 0
		sleep 0.5
	done
}

# the packaged eventscript as ctdb-eventd runs it, in the sandbox
run_script()
{
	t_run env -i PATH="$PATH" LANG=C.UTF-8 \
		CTDB_BASE="$SB/etc-ctdb" CTDB_SCRIPT_VARDIR="$SB/scripts" \
		"$SCRIPT" "$@"
}

apt_get()
{
	T_TIMEOUT=600 t_run apt-get -y -q -o DPkg::Lock::Timeout=120 \
		--no-install-recommends "$@"
}

diverted_ok()
{
	[ "$(dpkg-divert --listpackage "$1")" = "$PKG" ] &&
		[ "$(dpkg-divert --truename "$1")" = "$1.distrib" ]
}

count_ours()
{
	dpkg-divert --list | grep -c " by $PKG\$"
}

# ------------------------------------------------------------ install

apt_get install "$deb"
t_rc "apt-get install ./$(basename "$deb")" 0
check "dpkg: $PKG is installed" test "$(pkg_status)" = installed
check "$TOOL diverted to $TOOL.distrib by $PKG" diverted_ok "$TOOL"
check "$SCRIPT diverted to $SCRIPT.distrib by $PKG" diverted_ok "$SCRIPT"
check "exactly two diversions by $PKG" test "$(count_ours)" = 2
check "$TOOL.distrib is the stock tool, byte for byte" \
	test "$(sha "$TOOL.distrib")" = "$SHA_TOOL"
check "$SCRIPT.distrib is CTDB's script, byte for byte" \
	test "$(sha "$SCRIPT.distrib")" = "$SHA_SCRIPT"
check "$TOOL is the front-end" grep -qaF "$MARK" "$TOOL"

t_run "$TOOL" version
t_rc "ctdb version: exit 0" 0
t_out "ctdb version prints what the stock tool printed" "$STOCK_VERSION"
t_run "$TOOL" checktcpport 0
t_rc "ctdb checktcpport 0 is ours: exit 22" 22

check "packaged 50.samba.script: /usr/bin/ctdb is its interpreter" \
	test "$(head -n 1 "$SCRIPT")" = "#!/usr/bin/ctdb eventscript"
check "packaged 50.samba.script execs /usr/bin/ctdb checksamba --managed" \
	grep -qxF "	exec /usr/bin/ctdb checksamba --managed" "$SCRIPT"
check "packaged 50.samba.script is executable" test -x "$SCRIPT"
check "events.d wrapper $WRAPPER_OLD execs /usr/bin/ctdb checksamba" \
	grep -qxF "	exec /usr/bin/ctdb checksamba" "$WRAPPER_OLD"
check "man pages ctdb-checksamba(1), ctdb-checktcpport(1)" \
	test -f /usr/share/man/man1/ctdb-checksamba.1.gz -a \
	-f /usr/share/man/man1/ctdb-checktcpport.1.gz

# ------------------------------------------------------------ smbd up

run_script monitor
t_rc "smbd up: packaged 50.samba.script monitor exits 0" 0
t_silent "smbd up: and prints nothing"
run_script ipreallocated
t_rc "an event the wrapper does not handle exits 0" 0

check "the link enabled before the package now leads to ours" \
	test "$(readlink -f "$LEG/50.samba.script")" = "$SCRIPT"
run_monitor
t_rc "smbd up: ctdb event run 30 legacy monitor (already enabled) exits 0" 0
t_run sb_ctdb event status legacy monitor
check "smbd up: event status shows 50.samba OK" \
	grep -qE '^50\.samba +OK ' <<<"$T_OUT"
check "the run was ours: its state is in CTDB_SCRIPT_VARDIR/service/samba" \
	test -s "$SB/scripts/service/samba/smb.conf.cache"

t_run sb_ctdb event script disable legacy 50.samba
t_rc "ctdb event script disable legacy 50.samba" 0
rm -f "$LEG/50.samba.script"
t_run sb_ctdb event script enable legacy 50.samba
t_rc "ctdb event script enable legacy 50.samba (fresh)" 0
check "the fresh link leads to ours" \
	test "$(readlink -f "$LEG/50.samba.script")" = "$SCRIPT"

# ------------------------------------------------------------ smbd down

sb_smbd_stop
run_script monitor
t_rc "smbd stopped: packaged 50.samba.script monitor exits 1" 1
t_first "smbd stopped: our port ERROR line first" \
	"ERROR: samba tcp port $SB_P1 is not responding"
run_monitor
check "smbd stopped: ctdb event run fails (exit $T_RC)" test "$T_RC" != 0
t_run sb_ctdb event status legacy monitor
check "smbd stopped: event status shows our ERROR line" \
	grep -qxF "  OUTPUT: ERROR: samba tcp port $SB_P1 is not responding" \
	<<<"$T_OUT"

# ------------------------------------------------------------ reinstall

apt_get install --reinstall "$deb"
t_rc "apt-get install --reinstall: exit 0" 0
check "reinstall: still exactly two diversions by $PKG" \
	test "$(count_ours)" = 2
check "reinstall: $TOOL.distrib unchanged" \
	test "$(sha "$TOOL.distrib")" = "$SHA_TOOL"
check "reinstall: $SCRIPT.distrib unchanged" \
	test "$(sha "$SCRIPT.distrib")" = "$SHA_SCRIPT"
t_run "$TOOL" checktcpport 0
t_rc "reinstall: ctdb checktcpport 0 still ours" 22

# ------------------------------------------------------------ remove

t_run sb_ctdb event script disable legacy 50.samba
rm -f "$LEG/50.samba.script"
apt_get remove "$PKG"
t_rc "apt-get remove $PKG: exit 0" 0
check "remove: no diversion by $PKG left" test "$(count_ours)" = 0
check "remove: $TOOL is the stock tool again, byte for byte" \
	test "$(sha "$TOOL")" = "$SHA_TOOL"
check "remove: $SCRIPT is CTDB's again, byte for byte" \
	test "$(sha "$SCRIPT")" = "$SHA_SCRIPT"
check "remove: no *.distrib left" \
	test ! -e "$TOOL.distrib" -a ! -e "$SCRIPT.distrib"
t_run "$TOOL" version
t_out "remove: ctdb version as before" "$STOCK_VERSION"
apt_get purge "$PKG"
t_rc "apt-get purge $PKG: exit 0" 0
check "purge: $PKG is gone from dpkg" pkg_gone
check "purge: files, modes and diversions as before the test" \
	test "$(snapshot)" = "$BEFORE"
sb_done
