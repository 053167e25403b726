#!/bin/bash
# Injection (issue 7, item 5; spec 3.1): values, configuration lines and
# smb.conf share paths with $(...), backquotes, ;, |, &, newlines and
# quotes never reach a shell.  Every payload would create a marker file
# if anything ran it; where strace is available, no program is ever
# started with a shell's -c either.
. "$(dirname "$0")/lib/unit.sh"

setup
listen_ports 1
free=$(free_port)
smbconf_global "smb ports = $PORT1"
M="$SB/marker"
payloads=(
	"\$(touch $M)"
	"\`touch $M\`"
	"x; touch $M"
	"x | touch $M"
	"x && touch $M"
	"x"$'\n'"touch $M"
	"'; touch $M; '"
	"\"; touch $M; \""
	"\$(touch\${IFS}$M)"
	">$M"
)

have_strace=false
command -v strace >/dev/null && have_strace=true
# LeakSanitizer cannot run under ptrace (make check-asan)
asan_ptrace="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
# run ARGS...: checksamba (under strace when available)
run() {
	if $have_strace; then
		out=$(ASAN_OPTIONS=$asan_ptrace timeout 30 strace -f -qq -e trace=execve -o "$SB/trace" \
			"$CTDB_FRONTEND" checksamba "$@" 2>&1)
		rc=$?
		cat "$SB/trace" >>"$SB/trace.all"
	else
		out=$(timeout 30 "$CTDB_FRONTEND" checksamba "$@" 2>&1)
		rc=$?
	fi
}

define_test "environment values"
for name in CTDB_SAMBA_CHECK_PORTS CTDB_TCP_PORT_CHECKERS \
	CTDB_SAMBA_CHECK_TIMEOUT SAMBA_CLEANUP_PERIOD CTDB_SAMBA_CONFIG_CHECK \
	CTDB_MANAGED_SERVICES CTDB_MANAGES_WINBIND CTDB_CURRENT_DEBUGLEVEL \
	CTDB_DEBUGLEVEL CTDB_BASE CTDB_ETCDIR CTDB_VARDIR; do
	for p in "${payloads[@]}"; do
		saved=${!name-}
		export "$name=$p"
		run
		run --managed
		if [ -n "$saved" ]; then export "$name=$saved"; else unset "$name"; fi
	done
done
check "no marker" test ! -e "$M"

define_test "command-line options"
for p in "${payloads[@]}"; do
	run --ports="$p"
	run --checkers="$p" --ports="$free"
	run --state-dir="$SB/$p"
	run --timeout="$p"
done
check "no marker" test ! -e "$M"

define_test "configuration file lines"
for p in "${payloads[@]}"; do
	for name in CTDB_SAMBA_CHECK_PORTS CTDB_TCP_PORT_CHECKERS \
		CTDB_MANAGED_SERVICES; do
		printf '%s=%s\nexport %s="%s"\n%s=%s # c\n' "$name" "$p" \
			"$name" "$p" "$name" "$p" >"$CTDB_BASE/script.options"
		run
	done
done
cat >"$CTDB_BASE/script.options" <<EOT
touch $M
. $SB/evil.sh
source $SB/evil.sh
CTDB_SAMBA_CHECK_PORTS=445;touch $M
eval "touch $M"
f() { touch $M; }; f
CTDB_TCP_PORT_CHECKERS=\$(touch $M)ctdb
EOT
printf 'touch %s\n' "$M" >"$SB/evil.sh"
chmod +x "$SB/evil.sh"
run
check "healthy ($rc)" [ "$rc" -eq 0 ]
rm -f "$CTDB_BASE/script.options"
check "no marker" test ! -e "$M"

define_test "smb.conf share paths and parameters"
for p in "${payloads[@]}"; do
	smbconf_share "s$RANDOM" "path = $SB/shares/$p"
done
smbconf_share q 'path = "/tmp/$(touch '"$M"')"'
smbconf_global "smb ports = $PORT1 \$(touch $M)" \
	"server smb transports = tcp; touch $M" "security = \`touch $M\`"
rm -f "$STATE/smb.conf.cache"
run
check "a share failure is reported ($rc)" [ "$rc" -eq 1 ]
run --skip-share-check
run --ports="$PORT1"
check "no marker" test ! -e "$M"

if $have_strace; then
	define_test "no program was started with a shell's -c"
	check "the trace saw testparm start" grep -q 'execve(".*testparm"' \
		"$SB/trace.all"
	check "no execve(..., [\"sh\", \"-c\", ...])" \
		sh -c '! grep -E "execve\(\"[^\"]*\", \[\"[^\"]*\", \"-c\"" "$1"' \
		_ "$SB/trace.all"
	check "only expected programs ran" sh -c '! grep -oE "execve\(\"[^\"]*\"" "$1" |
		sed "s/execve(\"//; s/\"\$//" | xargs -r -n1 basename | sort -u |
		grep -vxE "ctdb|testparm|smbstatus|nmap|netstat|ss|wbinfo|cat|sleep|valgrind.*|memcheck.*"' \
		_ "$SB/trace.all"
fi
finish
