#!/bin/sh
# build/ctdb under valgrind memcheck, for make check-valgrind: a memory
# error or a definite leak turns into exit 99, which no test expects.
top=$(cd "$(dirname "$0")/.." && pwd)
exec valgrind -q --leak-check=full --errors-for-leak-kinds=definite \
	--error-exitcode=99 --trace-children=no "$top/build/ctdb" "$@"
