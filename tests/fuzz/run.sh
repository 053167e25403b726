#!/bin/bash
# tests/fuzz/run.sh [SECONDS]: build every libFuzzer target (clang,
# -fsanitize=fuzzer,address,undefined) into build-fuzz/ and run each for
# SECONDS (default 60) on its seed corpus (tests/fuzz/corpus/TARGET/,
# copied: new inputs go to build-fuzz/corpus/TARGET/).  Prints one line
# per target with its executions; exits non-zero on a finding (the
# crashing input is kept in build-fuzz/).
#   FUZZ_TARGETS="config_parse_line ss_parse"   a subset
#   FUZZ_JOBS=N                                 targets run N at a time
set -u
cd "$(dirname "$0")/../.." || exit 1
top=$PWD
secs=${1:-60}
out=$top/build-fuzz
CC=${FUZZ_CC:-clang}
PKG_CONFIG=${PKG_CONFIG:-pkg-config}

case $secs in
'' | *[!0-9]*) echo "run.sh: SECONDS must be a number" >&2; exit 2 ;;
esac
if ! command -v "$CC" >/dev/null; then
	echo "run.sh: $CC not found: apt-get install clang" >&2
	exit 2
fi
if ! echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }' |
	"$CC" -x c -fsanitize=fuzzer -o /dev/null - 2>/dev/null; then
	echo "run.sh: libFuzzer not found: apt-get install libclang-rt-14-dev" >&2
	exit 2
fi

pkgs="popt talloc"
defs=""
libs=""
if $PKG_CONFIG --exists wbclient; then
	pkgs="$pkgs wbclient"
	defs="-DHAVE_WBCLIENT=1"
	libs="-pthread"
fi
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
cflags="-O1 -g -fno-omit-frame-pointer -I. -D_GNU_SOURCE $defs \
	$($PKG_CONFIG --cflags $pkgs)"
libs="$($PKG_CONFIG --libs $pkgs) $libs"

# the library: every checks/ and compat/ source, instrumented for coverage
mkdir -p "$out/obj"
objs=()
for src in checks/*.c compat/*.c; do
	obj=$out/obj/$(echo "${src%.c}" | tr / _).o
	if [ ! -e "$obj" ] || [ "$src" -nt "$obj" ] ||
	   [ -n "$(find checks compat -name '*.h' -newer "$obj")" ]; then
		# shellcheck disable=SC2086
		$CC $cflags $san -fsanitize=fuzzer-no-link -c -o "$obj" "$src" ||
			exit 1
	fi
	objs+=("$obj")
done

targets=${FUZZ_TARGETS:-$(cd tests/fuzz && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//')}
for t in $targets; do
	# shellcheck disable=SC2086
	$CC $cflags $san -fsanitize=fuzzer -o "$out/fuzz_$t" \
		"tests/fuzz/fuzz_$t.c" "${objs[@]}" $libs || exit 1
done

run_target() {
	local t=$1 corpus=$out/corpus/$1 log=$out/fuzz_$1.log rc execs
	mkdir -p "$corpus"
	[ -d "tests/fuzz/corpus/$t" ] && cp -n "tests/fuzz/corpus/$t"/* "$corpus"/ 2>/dev/null
	(cd "$out" && ASAN_OPTIONS=detect_leaks=1 \
		"./fuzz_$t" -max_total_time="$secs" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$out/crash-$t-" "$corpus" >"$log" 2>&1)
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	if [ $rc -eq 0 ]; then
		echo "fuzz $t: ${execs:-?} executions in ${secs} s, no finding"
	else
		echo "fuzz $t: FINDING (exit $rc) after ${execs:-?} executions, log $log:"
		grep -E "ERROR|SUMMARY|runtime error|Test unit written" "$log" |
			head -n 10 | sed 's/^/    /'
	fi
	return $rc
}

failed=0
jobs=${FUZZ_JOBS:-1}
pids=()
names=()
for t in $targets; do
	run_target "$t" >"$out/fuzz_$t.result" &
	pids+=($!)
	names+=("$t")
	if [ ${#pids[@]} -ge "$jobs" ]; then
		wait "${pids[0]}" || failed=$((failed + 1))
		cat "$out/fuzz_${names[0]}.result"
		pids=("${pids[@]:1}")
		names=("${names[@]:1}")
	fi
done
for i in "${!pids[@]}"; do
	wait "${pids[$i]}" || failed=$((failed + 1))
	cat "$out/fuzz_${names[$i]}.result"
done
echo "fuzz: $failed target(s) with findings"
[ $failed -eq 0 ]
