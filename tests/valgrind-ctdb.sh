#!/bin/sh
# build/ctdb under valgrind memcheck, for make check-valgrind: a memory
# error or a definite leak turns into exit 99, which no test expects.
# valgrind's own report goes to a file (VALGRIND_LOG_DIR), not to the
# output the tests compare, and forked probes do not inherit it.
# No PATH lookups: some tests run checksamba with a PATH of their own.
top=${0%/tests/valgrind-ctdb.sh}
logdir=${VALGRIND_LOG_DIR:-$top/build/test-logs/valgrind}
[ -d "$logdir" ] || /bin/mkdir -p "$logdir"
exec /usr/bin/valgrind -q --leak-check=full --show-leak-kinds=definite \
	--errors-for-leak-kinds=definite --error-exitcode=99 \
	--trace-children=no --log-file="$logdir/ctdb.%p.log" \
	"$top/build/ctdb" "$@"
