#!/bin/bash
# tests/preflight.sh: are the commands a suite runs all here?
#
#   tests/preflight.sh SUITE...        one line per missing command,
#                                      "missing: ethtool (apt-get install
#                                      ethtool)", exit 1 when any is missing
#   tests/preflight.sh --list SUITE... the entries for those suites (every
#                                      entry when none is named), one
#                                      "COMMAND PACKAGE" line each
#   tests/preflight.sh --suites        the suite names the list knows
#
# The list is scripts/deps.txt (scripts/install-deps.sh installs its
# packages, tests/deps/run.sh proves it complete): see its header for the
# format.  A COMMAND is looked up on PATH as the tests would run it; an
# absolute path must be an executable file; a pattern (with *) must match
# at least one.  Missing here but present in an sbin directory that PATH
# lacks is reported as such, not as a package to install.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
DEPS_FILE=${DEPS_FILE:-$top/scripts/deps.txt}
SUITES="build unit scenarios integration deb cluster demo bench fuzz valgrind deps"

usage()
{
	echo "usage: preflight.sh [--list] SUITE... | --suites" >&2
	echo "suites: $SUITES" >&2
	exit 2
}

# deps_entries SUITE...: "COMMAND PACKAGE" for every entry of those suites
deps_entries()
{
	local want=" $* " cmd pkg suites s
	while read -r cmd pkg suites _; do
		case $cmd in '' | '#'*) continue ;; esac
		if [ -z "$pkg" ] || [ -z "$suites" ]; then
			echo "preflight: $DEPS_FILE: bad line: $cmd $pkg $suites" >&2
			return 1
		fi
		if [ "$want" = "  " ] || [ "$suites" = all ]; then
			echo "$cmd $pkg"
			continue
		fi
		for s in ${suites//,/ }; do
			case $want in
			*" $s "*) echo "$cmd $pkg"; break ;;
			esac
		done
	done <"$DEPS_FILE"
}

# present CMD: 0 when here; prints where it is when PATH misses it
present()
{
	local cmd=$1 d
	case $cmd in
	*'*'*) compgen -G "$cmd" >/dev/null ;;
	/*) [ -x "$cmd" ] && [ -f "$cmd" ] ;;
	*)
		# the file on PATH: "command -v" would accept a builtin
		type -P "$cmd" >/dev/null 2>&1 && return 0
		for d in /usr/local/sbin /usr/sbin /sbin; do
			if [ -x "$d/$cmd" ]; then
				FOUND_OFF_PATH="$d/$cmd"
				return 1
			fi
		done
		return 1
		;;
	esac
}

[ -r "$DEPS_FILE" ] || { echo "preflight: cannot read $DEPS_FILE" >&2; exit 2; }
list=0
case ${1:-} in
--suites) echo "$SUITES"; exit 0 ;;
--list) list=1; shift ;;
-*) usage ;;
esac
for s in "$@"; do
	case " $SUITES " in *" $s "*) ;; *) usage ;; esac
done
if [ $list = 1 ]; then
	deps_entries "$@"
	exit
fi
[ $# -gt 0 ] || usage

entries=$(deps_entries "$@") || exit 2
rc=0
seen=" "
while read -r cmd pkg; do
	[ -n "$cmd" ] || continue
	case $seen in *" $cmd "*) continue ;; esac
	seen="$seen$cmd "
	FOUND_OFF_PATH=
	present "$cmd" && continue
	rc=1
	if [ -n "$FOUND_OFF_PATH" ]; then
		echo "missing: $cmd (it is $FOUND_OFF_PATH: add its directory to PATH)"
	else
		echo "missing: $cmd (apt-get install $pkg)"
	fi
done <<<"$entries"
exit $rc
