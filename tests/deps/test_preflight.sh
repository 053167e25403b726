#!/bin/bash
# tests/deps/test_preflight.sh: what run-all.sh, make and install-deps.sh
# do with scripts/deps.txt, against a copy of the list with a command
# that is nowhere (DEPS_FILE points tests/preflight.sh at the copy).
# Needs no root; run by tests/deps/run.sh (make check-deps).
set -u
cd "$(dirname "$0")/../.." || exit 1
failed=0
count=0
W=$(mktemp -d /tmp/ctdb-checksamba-preflight.XXXXXX) || exit 1
trap 'rm -rf "$W"' EXIT

ok()
{
	count=$((count + 1))
	echo "ok - $1"
}

not_ok()
{
	count=$((count + 1))
	failed=$((failed + 1))
	echo "not ok - $1"
	shift
	printf '%s\n' "$@" | sed 's/^/  # /'
}

# expect WHAT WANT-RC WANT-TEXT: the last run's exit code and a line
expect()
{
	if [ "$rc" = "$2" ] && grep -qxF -- "$3" "$W/out"; then
		ok "$1"
	else
		not_ok "$1" "want exit $2 and the line: $3" "got exit $rc:" \
			"$(cat "$W/out")"
	fi
}

cp scripts/deps.txt "$W/deps.txt"
printf 'no-such-command-x1\tno-such-package-x1\tscenarios\t# a test\n' \
	>>"$W/deps.txt"
printf '/no/such/program-x2\tno-such-package-x2\tscenarios\n' >>"$W/deps.txt"
export DEPS_FILE=$W/deps.txt
nscen=$(find tests/scenarios -maxdepth 1 -name '*.sh' -perm -u+x | wc -l)

tests/preflight.sh unit >"$W/out" 2>&1
rc=$?
if [ $rc = 0 ] && [ ! -s "$W/out" ]; then
	ok "preflight unit: nothing missing, silent"
else
	not_ok "preflight unit: nothing missing, silent" "exit $rc" "$(cat "$W/out")"
fi

tests/preflight.sh scenarios >"$W/out" 2>&1
rc=$?
expect "preflight scenarios: names the command and its package" 1 \
	"missing: no-such-command-x1 (apt-get install no-such-package-x1)"
expect "preflight scenarios: names a program run by path" 1 \
	"missing: /no/such/program-x2 (apt-get install no-such-package-x2)"

# run-all.sh: the suite is skipped at once, each test counted
t0=$SECONDS
env -u CI tests/run-all.sh scenarios >"$W/out" 2>&1
rc=$?
expect "run-all.sh: the missing line first" 0 \
	"missing: no-such-command-x1 (apt-get install no-such-package-x1)"
expect "run-all.sh: every scenario test counted as skipped" 0 \
	"check: 0 passed, 0 failed, $nscen skipped"
if [ $((SECONDS - t0)) -le 5 ] && ! grep -q '^PASS' "$W/out"; then
	ok "run-all.sh: no test ran ($((SECONDS - t0)) s)"
else
	not_ok "run-all.sh: no test ran" "$(cat "$W/out")"
fi
CI=true tests/run-all.sh unit scenarios >"$W/out" 2>&1
rc=$?
expect "run-all.sh under CI=true: a failure" 1 \
	"check: 0 passed, $nscen failed, 0 skipped"
if ! grep -q '^PASS' "$W/out"; then
	ok "run-all.sh under CI=true: stops before any test runs"
else
	not_ok "run-all.sh under CI=true: stops before any test runs" "$(cat "$W/out")"
fi

# install-deps.sh installs what the list names
scripts/install-deps.sh --print >"$W/out" 2>&1
rc=$?
expect "install-deps.sh: installs the list's packages" 0 no-such-package-x1
expect "install-deps.sh: ethtool among them" 0 ethtool

echo "# $count assertions, $failed failed"
[ $failed = 0 ]
