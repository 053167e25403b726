#!/bin/bash
# make bench: side-by-side benchmarks of build/ctdb against Debian's own
# 50.samba.script and the stock /usr/bin/ctdb, in one run, against a real
# smbd on loopback high ports (tests/integration/lib/sandbox.sh: the
# sandbox smb.conf replaces /etc/samba/smb.conf while this runs and the
# original is restored on every exit path).  Root; after make.
#
# Prints a table and writes build/bench/results.json; the raw hyperfine
# exports, the profiles and a log are in build/bench/ too.  Benchmarks
# report, they do not fail: the exit status is 0 when everything could be
# measured (targets missed or not), 1 when a measurement could not be
# made, 77 when it cannot run here (not root, a tool missing).
#
# Environment: BENCH_QUICK=1 (fewer runs, a smoke test), BENCH_CONNS
# (established connections for checktcpport, default 5000),
# BENCH_PROFILE=0 (skip strace/perf/callgrind), BENCH_FRONTEND (another
# build of the front-end to measure instead of build/ctdb).
set -u
cd "$(dirname "$0")/../.." || exit 1
TOP=$PWD
OUT=$TOP/build/bench
FE_BUILD=${BENCH_FRONTEND:-$TOP/build/ctdb}
STOCK_CTDB=/usr/bin/ctdb
STOCK_SCRIPT=/usr/share/ctdb/events/legacy/50.samba.script
CONNS=${BENCH_CONNS:-5000}
QUICK=${BENCH_QUICK:-0}
PROFILE=${BENCH_PROFILE:-1}
SYSPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

if [ "$(id -u)" != 0 ]; then
	echo "bench: needs root (starts smbd, replaces /etc/samba/smb.conf)" >&2
	exit 77
fi
if ! command -v hyperfine >/dev/null 2>&1; then
	echo "bench: hyperfine missing: apt-get install hyperfine" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine \
		>/dev/null 2>&1 ||
		{ echo "bench: could not install hyperfine" >&2; exit 77; }
fi
for c in /usr/bin/time python3 "$STOCK_CTDB" testparm smbd ss; do
	command -v "$c" >/dev/null 2>&1 ||
		{ echo "bench: $c missing: run scripts/install-deps.sh" >&2; exit 77; }
done
if [ ! -f "$STOCK_SCRIPT" ] || [ ! -f /etc/ctdb/functions ]; then
	echo "bench: $STOCK_SCRIPT or /etc/ctdb/functions missing (package ctdb)" >&2
	exit 77
fi
[ -x "$FE_BUILD" ] || { echo "bench: $FE_BUILD missing: run make" >&2; exit 1; }

# the sandbox's checksamba() / t_run() are not used: hyperfine runs the
# commands itself, with the clean environments below
# shellcheck source=SCRIPTDIR/../integration/lib/sandbox.sh
. "$TOP/tests/integration/lib/sandbox.sh"
export CTDB_FRONTEND=$FE_BUILD
sb_init >/dev/null
mkdir -p "$OUT"
rm -f "$OUT"/hf-*.json "$OUT"/meta.txt "$OUT"/profile.txt
LOG=$OUT/bench.log
: >"$LOG"
META=$OUT/meta.txt
FAILED=0

say()
{
	printf 'bench: %s\n' "$*" >&2
}

meta()
{
	printf '%s\t%s\n' "$1" "$2" >>"$META"
}

die_bench()
{
	say "ERROR: $*"
	say "log: $LOG"
	exit 1
}

# -------------------------------------------------------------- set-up

# Our run: --managed state in $SB/scripts/service/samba, configuration
# files from an empty $SB/etc-ctdb.  The warm-cache runs give the cache a
# long life so that a refresh cannot fall inside a measurement; the cost
# of the default refresh (every 60 s) is reported as the cold cycle and
# the amortised figure.
OURS_ENV=(env -i "PATH=$SYSPATH" LANG=C
	"CTDB_BASE=$SB/etc-ctdb" "CTDB_SCRIPT_VARDIR=$SB/scripts")
OURS_WARM_ENV=("${OURS_ENV[@]}" CTDB_SAMBA_CACHE_MAX_AGE=3600)
OURS_CACHE=$SB/scripts/service/samba/smb.conf.cache

# The stock script: its CTDB_BASE is a copy of /etc/ctdb's functions and
# script.options (all it sources: functions, then load_script_options
# reads $CTDB_BASE/script.options and ${0%.script}.options next to the
# script, which Debian does not ship), its state in its own directory, and
# $CTDB pinned to the stock tool.
STOCK_BASE=$SB/stock-base
mkdir -p "$STOCK_BASE" "$SB/stock-vardir"
cp -p /etc/ctdb/functions "$STOCK_BASE/"
[ -f /etc/ctdb/script.options ] && cp -p /etc/ctdb/script.options "$STOCK_BASE/"
# shellcheck disable=SC2034 # used through "local -n"
STOCK_ENV=(env -i "PATH=$SYSPATH" LANG=C "CTDB_BASE=$STOCK_BASE"
	"CTDB_SCRIPT_VARDIR=$SB/stock-vardir" "CTDB=$STOCK_CTDB")

if [ "$QUICK" = 1 ]; then
	HF_OPTS=(--warmup 1 --min-runs 5 --max-runs 20)
else
	HF_OPTS=(--warmup 3 --min-runs 10)
fi

# hf NAME ENV-ARRAY-NAME CMD [--runs N] [HYPERFINE-OPTS...]: one
# benchmark, no shell (-N), JSON in $OUT/hf-NAME.json; --runs N (first)
# instead of the usual number of runs
hf()
{
	local name=$1 envname=$2 cmd=$3
	local opts=("${HF_OPTS[@]}")
	shift 3
	if [ "${1:-}" = --runs ]; then
		[ "$QUICK" = 1 ] || opts=(--warmup 2 --runs "$2")
		shift 2
	fi
	local -n envref=$envname
	say "timing $name: $cmd"
	echo "=== $name: $cmd" >>"$LOG"
	"${envref[@]}" hyperfine -N --style basic "${opts[@]}" "$@" \
		--export-json "$OUT/hf-$name.json" "$cmd" >>"$LOG" 2>&1 9>&- ||
		{ FAILED=1; say "WARNING: hyperfine failed for $name (see $LOG)"; }
}

# expect_rc N ENV-ARRAY-NAME CMD...: run once, require exit N and no output
expect_rc()
{
	local want=$1 envname=$2 out rc
	shift 2
	local -n envref=$envname
	out=$("${envref[@]}" "$@" 2>&1 9>&-)
	rc=$?
	if [ "$rc" != "$want" ]; then
		die_bench "expected exit $want, got $rc from: $*
$out"
	fi
	if [ -n "$out" ] && [ "$want" = 0 ]; then
		die_bench "expected no output from: $*
$out"
	fi
}

# peak_rss NAME ENV-ARRAY-NAME CMD...: max of 3 runs of /usr/bin/time -v
peak_rss()
{
	local name=$1 envname=$2 i kb max=0
	shift 2
	local -n envref=$envname
	for i in 1 2 3; do
		kb=$("${envref[@]}" /usr/bin/time -v "$@" 2>&1 >/dev/null 9>&- |
			sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p')
		[ -n "$kb" ] && [ "$kb" -gt "$max" ] && max=$kb
	done
	meta "rss_kb.$name" "$max"
}

# N share sections in all (the sandbox writes [data] and [space])
write_shares()
{
	local n=$1 i extra=""
	mkdir -p "$SB/shares"
	for ((i = 1; i <= n - 2; i++)); do
		mkdir -p "$SB/shares/s$i"
		extra+="[s$i]"$'\n\t'"path = $SB/shares/s$i"$'\n'
	done
	SB_EXTRA_SHARES=$extra
	sb_smbconf_write
}

# warm_cache: bring our cache up to date after an smb.conf change and
# check that the next run uses it.  checksamba does not trust a cache
# taken within 100 ms of smb.conf's last change (the timestamp could hide
# a second change), hence the pause.
warm_cache()
{
	local out
	sleep 0.3
	expect_rc 0 OURS_WARM_ENV "$FE_BUILD" checksamba --managed
	expect_rc 0 OURS_WARM_ENV "$FE_BUILD" checksamba --managed
	out=$("${OURS_WARM_ENV[@]}" "$FE_BUILD" checksamba --managed -v 2>&1 9>&-)
	case "$out" in
	*"smb.conf cache: fresh"*) ;;
	*) die_bench "the cache is not warm:
$out" ;;
	esac
}

meta host.nproc "$(nproc)"
meta host.cpu "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
meta host.kernel "$(uname -r)"
meta host.samba "$(smbd --version 2>/dev/null)"
meta host.ctdb "$(dpkg-query -W -f '${Version}' ctdb 2>/dev/null)"
meta host.hyperfine "$(hyperfine --version)"
meta host.date "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
meta conns "$CONNS"

say "sandbox $SB, smbd on 127.0.0.1 ports $SB_P1 $SB_P2"
sb_smbconf_write
sb_smbd_start || die_bench "smbd did not start"

OURS_CMD="$FE_BUILD checksamba --managed"
STOCK_CMD="sh $STOCK_SCRIPT monitor"

# Our wrapper as make install-eventscript installs it, executed as
# ctdb-eventd executes it: the file itself, with the event name (its
# first line makes the front-end its interpreter)
WRAP=$SB/etc-ctdb/events/legacy/50.samba.script
mkdir -p "${WRAP%/*}"
sed -e "s|@CTDB_FRONTEND@|$FE_BUILD|g" "$TOP/scripts/50.samba.script" >"$WRAP"
chmod 0755 "$WRAP"
WRAP_CMD="$WRAP monitor"

# The exec floor: a static program that does nothing
FLOOR=$OUT/empty
${CC:-cc} -O2 -static -o "$FLOOR" "$TOP/tests/bench/empty.c" >>"$LOG" 2>&1 ||
	die_bench "cannot build the exec floor (static libc missing?)"
# The cache old by age alone (max age 1 s, runs 1.2 s apart): the cycle
# serves it and refreshes it detached
# shellcheck disable=SC2034 # used through "local -n"
OURS_AGE_ENV=("${OURS_ENV[@]}" CTDB_SAMBA_CACHE_MAX_AGE=1)

# both see the same smb.conf, ports and shares, and say healthy
expect_rc 0 STOCK_ENV sh "$STOCK_SCRIPT" monitor
[ -s "$SB/stock-vardir/service/samba/smb.conf.cache" ] ||
	die_bench "the stock script wrote no cache in $SB/stock-vardir"
warm_cache
[ -s "$OURS_CACHE" ] || die_bench "checksamba wrote no cache at $OURS_CACHE"

# -------------------------------------------------------------- 1, 5

hf floor OURS_ENV "$FLOOR"
hf stock_cycle STOCK_ENV "$STOCK_CMD"
expect_rc 0 OURS_WARM_ENV "$WRAP" monitor
hf wrapper_warm OURS_WARM_ENV "$WRAP_CMD"
hf ours_warm OURS_WARM_ENV "$OURS_CMD"
# the same warm cycle, paced as the expired one is: a run after 1.2 s
# idle finds colder CPU caches than back-to-back runs do, whatever the
# cache's age, so the expired cycle is compared with this one
hf ours_warm_paced OURS_WARM_ENV "$OURS_CMD" --runs 30 --prepare "sleep 1.2"
hf ours_expired OURS_AGE_ENV "$OURS_CMD" --runs 30 --prepare "sleep 1.2"
warm_cache
# cold: no cache at all, so testparm runs (the prepare step has no shell)
hf ours_cold OURS_ENV "$OURS_CMD" --prepare "rm -f $OURS_CACHE"
warm_cache

# -------------------------------------------------------------- 4

peak_rss stock_cycle STOCK_ENV sh "$STOCK_SCRIPT" monitor
peak_rss ours_warm OURS_WARM_ENV "$FE_BUILD" checksamba --managed
rm -f "$OURS_CACHE"
peak_rss ours_cold OURS_ENV "$FE_BUILD" checksamba --managed
warm_cache
peak_rss stock_tcpport OURS_ENV "$STOCK_CTDB" checktcpport "$SB_P1"
peak_rss ours_tcpport OURS_ENV "$FE_BUILD" checktcpport "$SB_P1"

# -------------------------------------------------------------- 2

# the smb port: both tools answer 98 (listening), as in a healthy cycle
expect_rc 98 OURS_ENV "$STOCK_CTDB" checktcpport "$SB_P1"
expect_rc 98 OURS_ENV "$FE_BUILD" checktcpport "$SB_P1"
meta tcpport.port "$SB_P1"
meta conns.before "$(ss -Htn state established | wc -l)"
hf stock_tcpport_0 OURS_ENV "$STOCK_CTDB checktcpport $SB_P1" -i
hf ours_tcpport_0 OURS_ENV "$FE_BUILD checktcpport $SB_P1" -i

CPORT=$(sb_free_port) || die_bench "no free port for the connections"
python3 "$TOP/tests/bench/conns.py" "$CPORT" "$CONNS" "$SB/conns.ready" \
	</dev/null >>"$LOG" 2>&1 9>&- &
CONNS_PID=$!
for ((i = 0; i < 600; i++)); do
	[ -s "$SB/conns.ready" ] && break
	alive "$CONNS_PID" || break
	sleep 0.1
done
[ -s "$SB/conns.ready" ] ||
	die_bench "could not open $CONNS connections (see $LOG)"
meta conns.held "$(cat "$SB/conns.ready")"
meta conns.established "$(ss -Htn state established | wc -l)"
say "$(cat "$SB/conns.ready") connections held on port $CPORT"
hf stock_tcpport_n OURS_ENV "$STOCK_CTDB checktcpport $SB_P1" -i
hf ours_tcpport_n OURS_ENV "$FE_BUILD checktcpport $SB_P1" -i
# the whole cycle, too: its port check is the same lookup
hf ours_warm_n OURS_WARM_ENV "$OURS_CMD"
sb_stop_pid "$CONNS_PID"

# -------------------------------------------------------------- 3

for n in 10 100 1000 10000; do
	write_shares "$n"
	# the changed smb.conf makes the first run refresh: warm it
	warm_cache
	expect_rc 0 STOCK_ENV sh "$STOCK_SCRIPT" monitor
	hf "ours_shares_$n" OURS_WARM_ENV "$WRAP_CMD"
	hf "stock_shares_$n" STOCK_ENV "$STOCK_CMD"
	if [ "$n" = 1000 ]; then
		peak_rss ours_warm_1000 OURS_WARM_ENV "$FE_BUILD" checksamba \
			--managed
	fi
done

# -------------------------------------------------------------- profile

# profile NAME: where a warm-cache run spends its time (smb.conf as set)
profile()
{
	local name=$1 pid_out f
	{
		echo "=== $name: strace -c -f (syscalls of the run and its probes)"
		"${OURS_WARM_ENV[@]}" strace -c -f -o "$SB/strace.$name" \
			"$FE_BUILD" checksamba --managed >/dev/null 2>&1 9>&-
		head -n 14 "$SB/strace.$name"
		echo
		if command -v perf >/dev/null 2>&1 &&
			"${OURS_WARM_ENV[@]}" perf stat -r 20 -o "$SB/perf.$name" \
				"$FE_BUILD" checksamba --managed >/dev/null 2>&1 9>&-; then
			echo "=== $name: perf stat -r 20"
			grep -E 'task-clock|context|migrations|faults|cycles|instructions|elapsed' \
				"$SB/perf.$name"
			echo
		fi
		if command -v valgrind >/dev/null 2>&1; then
			echo "=== $name: valgrind --tool=callgrind (parent process, inclusive Ir)"
			"${OURS_WARM_ENV[@]}" valgrind --tool=callgrind \
				--callgrind-out-file="$SB/cg.$name.%p" \
				"$FE_BUILD" checksamba --managed >/dev/null 2>"$SB/cg.$name.err" 9>&-
			pid_out=$(sed -n 's/^==\([0-9]*\)== Callgrind, .*/\1/p' \
				"$SB/cg.$name.err" | head -n 1)
			f=$SB/cg.$name.$pid_out
			if [ -f "$f" ]; then
				callgrind_annotate --inclusive=yes "$f" 2>/dev/null |
					sed -n '/^Ir/,$p' | grep -v '^-' | head -n 22
				echo
				echo "=== $name: callgrind, self cost"
				callgrind_annotate "$f" 2>/dev/null |
					sed -n '/^Ir/,$p' | grep -v '^-' | head -n 14
			fi
			rm -f "$SB"/cg."$name".*
			echo
		fi
	} >>"$OUT/profile.txt" 2>&1
}

if [ "$PROFILE" = 1 ]; then
	say "profiling warm-cache runs (1000 shares, then 2)"
	write_shares 1000
	warm_cache
	profile shares_1000
	# shellcheck disable=SC2034 # read by sb_smbconf_write
	SB_EXTRA_SHARES=
	sb_smbconf_write
	warm_cache
	profile shares_2
fi

# -------------------------------------------------------------- report

python3 "$TOP/tests/bench/report.py" "$OUT" || FAILED=1
[ "$PROFILE" = 1 ] && say "profiles: $OUT/profile.txt"
say "results: $OUT/results.json, log: $LOG"
exit "$FAILED"
