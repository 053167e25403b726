# shellcheck shell=bash
#
# tap.sh - result lines and small helpers shared by the scenario
# (tests/scenarios/lib/unit.sh), integration (tests/integration/lib/
# sandbox.sh) and cluster (tests/cluster/lib.sh) suites.  Source it from
# bash; set -u friendly.
#
#   ok WHAT                     "ok - WHAT"
#   not_ok WHAT [DIAG...]       "not ok - WHAT", then each DIAG line as
#                               "  # LINE"
#   check WHAT CMD...           ok WHAT when CMD succeeds, else not_ok
#   skip WHY...                 this test cannot run here: exit 77
#                               (tests/run-all.sh counts it as skipped)
#   now_ms                      print the time in milliseconds (monotonic
#                               enough for durations: EPOCHREALTIME)
#   alive PID                   true while PID exists and is not a zombie
#
# TAP_COUNT and TAP_FAILED count the results; TAP_PREFIX, when set, is
# put before every WHAT (the scenario suite puts its test name there).

TAP_COUNT=0
TAP_FAILED=0
TAP_PREFIX=

ok()
{
	TAP_COUNT=$((TAP_COUNT + 1))
	echo "ok - $TAP_PREFIX$1"
}

not_ok()
{
	local what=$1 l
	shift
	TAP_COUNT=$((TAP_COUNT + 1))
	TAP_FAILED=$((TAP_FAILED + 1))
	echo "not ok - $TAP_PREFIX$what"
	for l in "$@"; do
		printf '%s\n' "$l" | sed 's/^/  # /'
	done
}

check()
{
	local what=$1
	shift
	if "$@"; then
		ok "$what"
	else
		not_ok "$what" "failed: $*"
	fi
}

skip()
{
	echo "# SKIP: $*"
	echo "cannot run here: $*" >&2
	exit 77
}

now_ms()
{
	local t=${EPOCHREALTIME/[.,]/}
	echo $((10#$t / 1000))
}

alive()
{
	local s
	{ read -r s <"/proc/$1/stat"; } 2>/dev/null || return 1
	s=${s##*) }
	s=${s%% *}
	[ -n "$s" ] && [ "$s" != Z ] && [ "$s" != X ]
}
