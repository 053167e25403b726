#!/bin/sh
# build/ctdb under valgrind memcheck, for make check-valgrind: a memory
# error or a definite leak turns into exit 99, which no test expects.
# valgrind's own report goes to a file (VALGRIND_LOG_DIR), not to the
# output the tests compare, and forked probes do not inherit it.
top=$(cd "$(dirname "$0")/.." && pwd)
logdir=${VALGRIND_LOG_DIR:-$top/build/test-logs/valgrind}
mkdir -p "$logdir"
exec valgrind -q --leak-check=full --show-leak-kinds=definite \
	--errors-for-leak-kinds=definite --error-exitcode=99 \
	--trace-children=no --log-file="$logdir/ctdb.%p.log" \
	"$top/build/ctdb" "$@"
