#!/bin/bash
# tests/deps/run.sh [SUITE...]: proves scripts/deps.txt complete (make
# check-deps).  Each suite (default: build unit scenarios integration cluster
# demo fuzz) runs with CI=true and a PATH that is one directory of
# symlinks to the commands the list names for that suite, and with every
# program it executes recorded: perf records the kernel's
# sched_process_exec event in the suite's whole process tree, daemons and
# CTDB's eventscripts included.  (strace cannot: test_run traces its
# children itself and two scenario tests run strace, and a traced
# process cannot be traced again.)
#
# tests/deps/test_preflight.sh runs first: what run-all.sh and
# install-deps.sh do with the list when a command is missing.
#
# It fails when
#   - the suite fails that way (a command it looks up on PATH is not
#     there; bash's "command not found" is recorded too), or
#   - a program it ran, by any path, is not listed for it: the basename
#     is compared with the list (for a pattern such as
#     /usr/libexec/samba/*, the whole path), and so is the interpreter
#     of each script it ran.
# Programs of our own are left out: anything under this tree (build
# products, tests/**, scripts/**), our wrapper eventscripts installed
# into a sandbox (50.samba, 50.samba.script) and whatever a test wrote
# into a temporary directory of its own (anything under /tmp: the
# sandboxes, the unit tests' stub programs).
#
# Prints one line per problem, naming the suite and the command, and
# "deps: N suites, every command listed" at the end; exit 0 when
# complete, 1 otherwise, 77 when it cannot run here (not root, no perf).
# DEPS_KEEP=1 keeps the recordings in the work directory.
# shellcheck disable=SC2317  # cleanup and the bash hook run indirectly
set -u
cd "$(dirname "$0")/../.." || exit 1
top=$PWD
SYSPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
PERF=/usr/bin/perf
suites=${*:-build unit scenarios integration cluster demo fuzz}
OURS_NAMES=" 50.samba 50.samba.script "

skip()
{
	echo "deps: cannot run here: $*"
	[ "${CI:-}" = true ] && exit 1
	exit 77
}

[ "$(id -u)" = 0 ] || skip "needs root (the integration and cluster suites)"
tests/preflight.sh deps || skip "commands missing"
for s in $suites; do
	case " $(tests/preflight.sh --suites) " in
	*" $s "*) ;;
	*) echo "deps: unknown suite $s" >&2; exit 2 ;;
	esac
done

W=$(mktemp -d /tmp/ctdb-checksamba-deps.XXXXXX) || exit 1
chmod 0755 "$W"
cleanup()
{
	if [ "${DEPS_KEEP:-0}" = 1 ]; then
		echo "deps: recordings kept in $W"
	else
		rm -rf "$W"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

problems=$W/problems
: >"$problems"
problem()
{
	echo "$*" >>"$problems"
}

# bindir SUITE: $W/bin.SUITE, a symlink per command listed for SUITE
bindir()
{
	local s=$1 d=$W/bin.$1 cmd pkg target
	mkdir -p "$d"
	while read -r cmd pkg; do
		case $cmd in */*) continue ;; esac
		# type -P: the file, never a builtin (true, echo, kill)
		target=$(PATH=$SYSPATH type -P "$cmd") || {
			problem "$s: listed command $cmd is not installed (apt-get install $pkg)"
			continue
		}
		ln -sf "$target" "$d/$cmd"
	done < <(tests/preflight.sh --list "$s")
}

# allowed SUITE PATH: PATH's program is listed for SUITE
allowed()
{
	local s=$1 p=$2 b=${2##*/} cmd pkg
	while read -r cmd pkg; do
		case $cmd in
		*'*'*)
			# shellcheck disable=SC2053 # a pattern on purpose
			[[ $p == $cmd ]] && return 0
			;;
		*) [ "$b" = "${cmd##*/}" ] && return 0 ;;
		esac
	done < <(tests/preflight.sh --list "$s")
	return 1
}

# ours PATH: a program of this tree or one a test wrote under /tmp (our
# PATH directories are not); a relative PATH (as a test ran it) counts
# when it names a file here or in a build directory
ours()
{
	case $1 in
	"$W"/*) return 1 ;;
	"$top"/* | /tmp/*) return 0 ;;
	/*) ;;
	*)
		[ -e "$top/$1" ] && return 0
		compgen -G "$top/build*/${1#./}" >/dev/null && return 0
		;;
	esac
	case $OURS_NAMES in *" ${1##*/} "*) return 0 ;; esac
	return 1
}

# where_listed NAME: the suites that list NAME (comma-separated)
where_listed()
{
	local s out=
	for s in $(tests/preflight.sh --suites); do
		tests/preflight.sh --list "$s" | awk '{print $1}' |
			sed 's|.*/||' | grep -qxF "$1" && out="$out,$s"
	done
	echo "${out#,}"
}

unlisted()
{
	local s=$1 what=$2 name=$3 w
	w=$(where_listed "$name")
	problem "$s: $what $name, which scripts/deps.txt does not list for $s${w:+ (it lists it for: $w)}"
}

# analyse SUITE: every program the suite's recording shows
analyse()
{
	local s=$1 p interp
	# "filename=PATH pid=N old_pid=N", one per exec
	"$PERF" script -i "$W/$s.data" -F trace 2>"$W/$s.perf-err" |
		sed -n 's/^ *filename=\(.*\) pid=[0-9]* old_pid=[0-9]*$/\1/p' |
		sort -u >"$W/$s.execs"
	if grep -qi lost "$W/$s.perf-err"; then
		problem "$s: perf lost events, the recording is incomplete: $(head -n 1 "$W/$s.perf-err")"
	fi
	while read -r p; do
		ours "$p" && continue
		allowed "$s" "$p" || unlisted "$s" "ran" "${p##*/} ($p)"
		# a script: its interpreter (#!/usr/bin/env X: X shows up
		# as a program of its own)
		[ -f "$p" ] || continue
		interp=$(head -c 256 "$p" 2>/dev/null | head -n 1 |
			sed -n 's/^#![[:space:]]*\([^[:space:]]*\).*/\1/p')
		[ -n "$interp" ] || continue
		allowed "$s" "$interp" ||
			unlisted "$s" "ran $p, a script for" "${interp##*/} ($interp)"
	done <"$W/$s.execs"
	if [ -s "$W/$s.notfound" ]; then
		sort -u "$W/$s.notfound" | while read -r p; do
			unlisted "$s" "looked up, bash did not find," "$p"
		done
	fi
}

# bash's hook for a command it cannot find: record it, then fail as bash
# would.  Exported, so every bash script of the suite has it.
command_not_found_handle()
{
	[ -n "${DEPS_NOTFOUND:-}" ] && echo "$1" >>"$DEPS_NOTFOUND"
	echo "bash: $1: command not found" >&2
	return 127
}
export -f command_not_found_handle

# first, what run-all.sh and install-deps.sh do with the list
if tests/deps/test_preflight.sh >"$W/preflight.out" 2>&1; then
	echo "deps: preflight: $(tail -n 1 "$W/preflight.out" | sed 's/^# //')"
else
	problem "preflight: tests/deps/test_preflight.sh failed:"
	grep -A3 '^not ok' "$W/preflight.out" | sed 's/^/    /' >>"$problems"
fi

# the exec events of a command's whole process tree
REC=("$PERF" record -q -m 256 -e sched:sched_process_exec)
n=0
for s in $suites; do
	n=$((n + 1))
	bindir "$s"
	t0=$SECONDS
	# PATH is set inside: perf puts /usr/bin first on its command's PATH
	run=("${REC[@]}" -o "$W/$s.data" -- /usr/bin/env PATH="$W/bin.$s"
		CI=true DEPS_NOTFOUND="$W/$s.notfound")
	case $s in
	build) "${run[@]}" make -s -B -j2 B="$W/build" all unit-tests ;;
	demo) "${run[@]}" tests/integration/demo.sh ;;
	fuzz) "${run[@]}" tests/fuzz/run.sh 1 ;;
	bench)
		# a short run, without the profiles
		"${run[@]}" BENCH_QUICK=1 BENCH_PROFILE=0 BENCH_CONNS=500 \
			tests/bench/run.sh
		;;
	deps)
		echo "deps: the deps suite is this test" >&2
		continue
		;;
	*) "${run[@]}" tests/run-all.sh "$s" ;;
	esac >"$W/$s.out" 2>&1
	rc=$?
	if [ $rc != 0 ]; then
		problem "$s: failed (exit $rc) with PATH holding only the commands listed for it; its output ends:"
		tail -n 30 "$W/$s.out" | sed 's/^/    /' >>"$problems"
	fi
	analyse "$s"
	echo "deps: $s: $(wc -l <"$W/$s.execs") programs, $((SECONDS - t0)) s"
done

if [ -s "$problems" ]; then
	sed 's/^/deps: /' "$problems"
	echo "deps: $(grep -c '^[a-z]' "$problems") problem(s); scripts/deps.txt" \
		"lists COMMAND PACKAGE SUITES"
	exit 1
fi
echo "deps: $n suites, every command listed"
exit 0
