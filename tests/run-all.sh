#!/bin/bash
# Runs the test suites and prints one summary line:
#   check: N passed, N failed, N skipped
# Suites: unit (cmocka binaries in build/tests), scenarios
# (tests/scenarios/*.sh: stubs on PATH, real sockets), integration
# (tests/integration/test_*.sh: real smbd, winbindd, ctdbd; root),
# deb (tests/deb/run.sh: the Debian package installed and removed;
# root), cluster (tests/cluster/run.sh: three ctdbd nodes in network
# namespaces; root).
# A test that exits 77 could not run here; under CI=true that is a
# failure, because CI must run everything.
# Before anything runs, tests/preflight.sh checks that every command the
# requested suites need (scripts/deps.txt) is here, and prints one
# "missing: CMD (apt-get install PKG)" line per missing one.  A suite
# with a missing command does not run: its tests count as skipped, or,
# under CI=true, everything stops at once as failed.
set -u
cd "$(dirname "$0")/.." || exit 1
top=$PWD
# BUILD_DIR: another build (make check-asan uses build-asan)
build=${BUILD_DIR:-build}
export CTDB_FRONTEND="${CTDB_FRONTEND:-$top/$build/ctdb}"

suites=${*:-unit scenarios integration deb cluster}
passed=0
failed=0
skipped=0
failures=()
log_dir="$top/$build/test-logs"
mkdir -p "$log_dir"

# suite_tests SUITE: the tests of SUITE, one per line
suite_tests() {
	local t
	case $1 in
	unit)
		for t in "$build"/tests/test_*; do
			[ -x "$t" ] && echo "$t"
		done
		;;
	scenarios)
		for t in tests/scenarios/*.sh; do
			[ -x "$t" ] && echo "$t"
		done
		;;
	integration)
		for t in tests/integration/test_*.sh; do
			[ -x "$t" ] && echo "$t"
		done
		;;
	deb)
		echo tests/deb/run.sh
		;;
	cluster)
		echo tests/cluster/run.sh
		;;
	*)
		echo "run-all.sh: unknown suite $1" >&2
		return 2
		;;
	esac
}

run_one() {
	local suite=$1 t=$2 name rc log
	name=$(basename "$t")
	log="$log_dir/$suite.$name.log"
	# TEST_WRAPPER: e.g. valgrind for the unit tests
	if [ "$suite" = unit ] && [ -n "${TEST_WRAPPER:-}" ]; then
		$TEST_WRAPPER "$t" >"$log" 2>&1 </dev/null
	else
		"$t" >"$log" 2>&1 </dev/null
	fi
	rc=$?
	if [ $rc -eq 0 ]; then
		passed=$((passed + 1))
		echo "PASS: $suite/$name"
	elif [ $rc -eq 77 ] && [ "${CI:-}" != "true" ]; then
		skipped=$((skipped + 1))
		echo "SKIP: $suite/$name ($(tail -n 1 "$log"))"
	else
		failed=$((failed + 1))
		failures+=("$suite/$name")
		[ $rc -eq 77 ] && echo "  (could not run, and CI=true requires it)"
		echo "FAIL: $suite/$name (exit $rc), log $log:"
		sed 's/^/    /' "$log" | tail -n 60
	fi
}

# preflight: every suite's commands, before any test runs
declare -A missing=()
for suite in $suites; do
	suite_tests "$suite" >/dev/null || exit 2
	# the package test runs a sandbox as the integration suite does
	also=""
	[ "$suite" = deb ] && also=integration
	# shellcheck disable=SC2086 # no word or one
	if ! out=$(tests/preflight.sh "$suite" $also); then
		missing[$suite]=$out
	fi
done
if [ ${#missing[@]} -gt 0 ]; then
	printf '%s\n' "${missing[@]}" | sort -u
	for suite in $suites; do
		[ -n "${missing[$suite]:-}" ] || continue
		n=$(suite_tests "$suite" | wc -l)
		what="$n tests"
		[ "$n" = 1 ] && what="1 test"
		if [ "${CI:-}" = true ]; then
			failed=$((failed + n))
			failures+=("$suite")
			echo "FAIL: $suite ($what): commands missing, and CI=true requires them"
		else
			skipped=$((skipped + n))
			echo "SKIP: $suite ($what): commands missing (scripts/install-deps.sh installs them)"
		fi
	done
	if [ "${CI:-}" = true ]; then
		echo "failed: preflight (${failures[*]})"
		echo "check: $passed passed, $failed failed, $skipped skipped"
		exit 1
	fi
fi

for suite in $suites; do
	[ -n "${missing[$suite]:-}" ] && continue
	while read -r t; do
		[ -n "$t" ] && run_one "$suite" "$t"
	done < <(suite_tests "$suite")
	if [ "$suite" = cluster ]; then
		grep '^#' "$log_dir/cluster.run.sh.log" | sed 's/^/  /'
	fi
	if [ "$suite" = deb ]; then
		grep '^# \(before\|after\|check-deb took\)' \
			"$log_dir/deb.run.sh.log" | sed 's/^/  /'
	fi
done

if [ ${#failures[@]} -gt 0 ]; then
	echo "failed: ${failures[*]}"
fi
echo "check: $passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
