#!/bin/sh
# Installs what building, the tests (make check), make demo, make bench
# and make fuzz need on Debian 12 (root).  The commands and their
# packages come from scripts/deps.txt, the list that tests/preflight.sh
# checks before a suite runs and that tests/deps/run.sh (make check-deps)
# proves complete; the libraries the build links against are below (the
# Makefile names a missing one).
#
#   scripts/install-deps.sh           apt-get update, then install
#   scripts/install-deps.sh --print   print the package names only
set -eu
here=$(cd "$(dirname "$0")" && pwd)
deps=${DEPS_FILE:-$here/deps.txt}

# headers and libraries: the Makefile (pkg-config) and tests/fuzz/run.sh
# check these, not tests/preflight.sh
LIBS="libpopt-dev libtalloc-dev libwbclient-dev libcmocka-dev libfuse3-dev
libclang-rt-14-dev build-essential"

packages()
{
	# "COMMAND PACKAGE SUITES  # comment" lines; # starts a comment
	while read -r cmd pkg _; do
		case $cmd in '' | '#'*) continue ;; esac
		echo "$pkg"
	done <"$deps"
	for p in $LIBS; do
		echo "$p"
	done
}

[ -r "$deps" ] || { echo "install-deps: cannot read $deps" >&2; exit 1; }
pkgs=$(packages | sort -u)
if [ "${1:-}" = --print ]; then
	echo "$pkgs"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: run as root (apt-get install)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086 # one word per package
apt-get install -y -qq --no-install-recommends $pkgs
