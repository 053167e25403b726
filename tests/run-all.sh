#!/bin/bash
# Runs the test suites and prints one summary line:
#   check: N passed, N failed
# Suites: unit (cmocka binaries in build/tests), scenarios
# (tests/scenarios/*.sh: stubs on PATH, real sockets), integration
# (tests/integration/test_*.sh: real smbd, winbindd, ctdbd; root),
# cluster (tests/cluster/run.sh: three ctdbd nodes in network
# namespaces; root).
# A test that exits 77 could not run here; under CI=true that is a
# failure, because CI must run everything.
set -u
cd "$(dirname "$0")/.." || exit 1
top=$PWD
# BUILD_DIR: another build (make check-asan uses build-asan)
build=${BUILD_DIR:-build}
export CTDB_FRONTEND="${CTDB_FRONTEND:-$top/$build/ctdb}"

suites=${*:-unit scenarios integration cluster}
passed=0
failed=0
skipped=0
failures=()
log_dir="$top/$build/test-logs"
mkdir -p "$log_dir"

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

for suite in $suites; do
	case $suite in
	unit)
		for t in "$build"/tests/test_*; do
			[ -x "$t" ] && run_one unit "$t"
		done
		;;
	scenarios)
		for t in tests/scenarios/*.sh; do
			[ -x "$t" ] && run_one scenarios "$t"
		done
		;;
	integration)
		for t in tests/integration/test_*.sh; do
			[ -x "$t" ] && run_one integration "$t"
		done
		;;
	cluster)
		run_one cluster tests/cluster/run.sh
		grep '^#' "$log_dir/cluster.run.sh.log" | sed 's/^/  /'
		;;
	*)
		echo "run-all.sh: unknown suite $suite" >&2
		exit 2
		;;
	esac
done

if [ ${#failures[@]} -gt 0 ]; then
	echo "failed: ${failures[*]}"
fi
if [ $skipped -gt 0 ]; then
	echo "check: $passed passed, $failed failed, $skipped skipped"
else
	echo "check: $passed passed, $failed failed"
fi
[ $failed -eq 0 ]
