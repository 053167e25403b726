#!/bin/bash
# tests/deb/upgrade.sh [DEB]: an upgrade of CTDB while ctdb-checksamba
# is installed, for real, in a throw-away Debian 12 chroot (root; needs
# debootstrap and the network; about 5 minutes).  Not part of
# "make check": it downloads a base system and two versions of Samba.
#
# In the chroot: install the previous CTDB of bookworm (bookworm-updates'
# deb12u2), then our package (DEB, default build/deb/ctdb-checksamba_*.deb),
# then upgrade CTDB to the current one, and check that the new stock
# tool and 50.samba.script land in the diverted names while ours stay in
# place; reinstall both packages; remove ours and check that the
# upgraded stock files are back and "dpkg --verify ctdb" is clean.
# Nothing outside the chroot changes; the chroot (CHROOT=DIR keeps and
# reuses one) is removed on exit.
set -u
cd "$(dirname "$0")/../.." || exit 1

if [ "$(id -u)" != 0 ]; then
	echo "# SKIP: needs root (debootstrap, chroot)"
	exit 77
fi
command -v debootstrap >/dev/null ||
	{ echo "# SKIP: apt-get install debootstrap"; exit 77; }
deb=${1:-build/deb/ctdb-checksamba_$(dpkg-parsechangelog -S Version)_$(dpkg --print-architecture).deb}
[ -f "$deb" ] || { echo "no package: run make deb first" >&2; exit 1; }

MIRROR=${MIRROR:-http://deb.debian.org/debian}
OLD=${OLD_VERSION:-2:4.17.12+dfsg-0+deb12u2}
keep=0
if [ -n "${CHROOT:-}" ]; then
	root=$CHROOT
	keep=1
else
	root=$(mktemp -d /var/tmp/ctdb-checksamba-upgrade.XXXXXX) || exit 1
fi

cleanup()
{
	local rc=$?
	mountpoint -q "$root/proc" && umount "$root/proc"
	if [ "$keep" = 0 ] && ! mountpoint -q "$root/proc"; then
		rm -rf --one-file-system "$root"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ ! -x "$root/usr/bin/apt-get" ]; then
	echo "# debootstrap bookworm into $root"
	debootstrap --variant=minbase bookworm "$root" "$MIRROR" \
		>"$root.debootstrap.log" 2>&1 ||
		{ tail -n 20 "$root.debootstrap.log"; exit 1; }
	rm -f "$root.debootstrap.log"
fi
mount -t proc proc "$root/proc" || exit 1
# no daemon of the chroot's packages may start on this machine
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"
cat >"$root/etc/apt/sources.list" <<EOF
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
EOF
cp "$deb" "$root/tmp/ctdb-checksamba.deb"

cat >"$root/tmp/upgrade-inner.sh" <<'INNER'
set -u
export DEBIAN_FRONTEND=noninteractive
T=/usr/bin/ctdb
S=/usr/share/ctdb/events/legacy/50.samba.script
MARK="ctdb-checksamba front-end"
fail=0
n=0
check()
{
	local w=$1
	shift
	n=$((n + 1))
	if "$@"; then
		echo "ok - $w"
	else
		echo "not ok - $w"
		fail=$((fail + 1))
	fi
}
sha() { sha256sum "$1" | cut -d' ' -f1; }
apt() { apt-get -y -q --no-install-recommends "$@" >>/tmp/apt.log 2>&1; }
# the Samba packages that must move together
pkgs="ctdb samba-common-bin samba-common samba-libs libwbclient0
	python3-samba samba-dsdb-modules libldb2 python3-ldb"

apt-get update -q >/tmp/apt.log 2>&1 || { tail /tmp/apt.log; exit 1; }
LDB=$(apt-cache madison libldb2 | awk -v v="${OLD#*:}" \
	'index($3, v) { print $3; exit }')
old=""
for p in $pkgs; do
	case $p in
	libldb2|python3-ldb) old="$old $p=$LDB" ;;
	*) old="$old $p=$OLD" ;;
	esac
done
# shellcheck disable=SC2086
check "install the previous CTDB ($OLD)" apt install --allow-downgrades $old
old_t=$(sha $T)
check "install ctdb-checksamba" apt install /tmp/ctdb-checksamba.deb
check "stock tool diverted" test "$(dpkg-divert --truename $T)" = $T.distrib
check "stock script diverted" test "$(dpkg-divert --truename $S)" = $S.distrib
check "the previous stock tool is at $T.distrib" test "$(sha $T.distrib)" = "$old_t"

# shellcheck disable=SC2086
check "upgrade the Samba packages" apt install $pkgs
new=$(dpkg-query -W -f='${Version}' ctdb)
check "ctdb is now $new, not $OLD" test "$new" != "$OLD"
apt-get download -q "ctdb=$new" >>/tmp/apt.log 2>&1
dpkg-deb -x ctdb_*.deb /tmp/new
check "the new stock tool is another file" test "$(sha /tmp/new$T)" != "$old_t"
check "upgrade: $T is still the front-end" grep -qaF "$MARK" $T
check "upgrade: $S is still ours" \
	grep -qF "exec /usr/bin/ctdb checksamba --managed" $S
check "upgrade: the new stock tool is at $T.distrib" \
	test "$(sha $T.distrib)" = "$(sha /tmp/new$T)"
check "upgrade: the new stock script is at $S.distrib" \
	test "$(sha $S.distrib)" = "$(sha /tmp/new$S)"
check "upgrade: ctdb version through the front-end" \
	test "$($T version)" = "$($T.distrib version)"
$T checktcpport 0 >/dev/null 2>&1
check "upgrade: checktcpport 0 is ours (exit 22)" test $? = 22
check "upgrade: dpkg --verify ctdb is clean" test -z "$(dpkg --verify ctdb 2>&1)"

check "apt-get install --reinstall ctdb" apt install --reinstall ctdb
check "reinstall: $T is still the front-end" grep -qaF "$MARK" $T
check "reinstall ctdb-checksamba" apt install --reinstall /tmp/ctdb-checksamba.deb
check "reinstall: two diversions by ctdb-checksamba" \
	test "$(dpkg-divert --list | grep -c 'by ctdb-checksamba$')" = 2

check "apt-get remove ctdb-checksamba" apt remove ctdb-checksamba
check "remove: no diversion left" test -z "$(dpkg-divert --list | grep ctdb)"
check "remove: $T is the upgraded stock tool" \
	test "$(sha $T)" = "$(sha /tmp/new$T)"
check "remove: $S is the upgraded stock script" \
	test "$(sha $S)" = "$(sha /tmp/new$S)"
check "remove: no *.distrib" test ! -e $T.distrib -a ! -e $S.distrib
check "remove: dpkg --verify ctdb is clean" test -z "$(dpkg --verify ctdb 2>&1)"
check "apt-get purge ctdb-checksamba" apt purge ctdb-checksamba
echo "# $n checks, $fail failed"
[ "$fail" = 0 ] || { echo "# apt log:"; tail -n 40 /tmp/apt.log; exit 1; }
INNER

chroot "$root" /usr/bin/env OLD="$OLD" /bin/bash -c \
	'cd /tmp && bash /tmp/upgrade-inner.sh'
