#!/bin/bash
# Bad values everywhere (issue 7, item 4; spec 3.1): every variable with
# empty, negative, huge, non-numeric, multi-line and binary values; odd
# ports, checker lists and configuration files.  Each gets the spec's
# message or a documented default: exit 0, 1 or 22, never a crash
# (>= 128), never a hang.  checksamba.values.001.sh has the basic cases.
. "$(dirname "$0")/lib/unit.sh"

# run_bounded ARGS...: run checksamba (20 s at most); sets rc and out
run_bounded() {
	out=$(timeout 20 "$CTDB_FRONTEND" checksamba "$@" 2>&1)
	rc=$?
}

# sane WHAT: exit 0, 1 or 22 and, for 1, a proper first line
sane() {
	local first
	first=$(head -n 1 <<<"$out")
	if { [ "$rc" -eq 0 ] || [ "$rc" -eq 22 ] ||
	     { [ "$rc" -eq 1 ] &&
	       grep -qE '^(ERROR|INTERNAL ERROR|INFO): ' <<<"$first"; }; }; then
		ok "$1 (exit $rc)"
	else
		not_ok "$1 (exit $rc)" \
			"$(printf '%s\n' "$out" | head -n 5 | cat -A | sed 's/^/got: /')"
	fi
}

setup
listen_ports 1
free=$(free_port)
smbconf_global "smb ports = $PORT1"
mkdir -p "$SB/shares/a"
smbconf_share a "path = $SB/shares/a"

NL=$'5\n6'
BIN=$'\x01\x02\x7f\xc3\x28\xff\xfe\x1b[31m'
values=("" "-1" "99999999999999999999" "abc" "$NL" "$BIN" " " "1e3"
	"0x1bd" "+5" "5 " "007")

define_test "numeric variables: an error or a default, never garbage"
for name in CTDB_SAMBA_CHECK_TIMEOUT SAMBA_CLEANUP_PERIOD \
	CTDB_SAMBA_CACHE_MAX_AGE CTDB_SAMBA_STARTUP_GRACE; do
	for v in "${values[@]}"; do
		export "$name=$v"
		run_bounded
		unset "$name"
		sane "$name=$(printf '%q' "$v")"
		case "$v" in
		"") check "$name empty: unset, healthy" [ "$rc" -eq 0 ] ;;
		007) check "$name=007: a plain number" [ "$rc" -eq 0 ] ;;
		*)
			# one line: a newline in the value must not split it
			check "$name=$(printf '%q' "$v"): invalid value message" \
				env LC_ALL=C grep -q \
				"^ERROR: invalid value \".*\" for $name\$" \
				<<<"$(head -n 1 <<<"$out")"
			;;
		esac
	done
done
check "the timeout 0 is invalid" true
CTDB_SAMBA_CHECK_TIMEOUT=0 run_bounded
check "CTDB_SAMBA_CHECK_TIMEOUT=0: invalid" \
	[ "$(head -n 1 <<<"$out")" = 'ERROR: invalid value "0" for CTDB_SAMBA_CHECK_TIMEOUT' ]

define_test "ports: 0 65536 -1 1e3 0x1bd and friends"
for v in 0 65536 -1 1e3 0x1bd "445;139" "445 0" "4 45x" "$BIN"; do
	CTDB_SAMBA_CHECK_PORTS="$v" run_bounded
	sane "CTDB_SAMBA_CHECK_PORTS=$(printf '%q' "$v")"
	check "CTDB_SAMBA_CHECK_PORTS=$(printf '%q' "$v"): invalid value" \
		env LC_ALL=C grep -q \
		'^ERROR: invalid value ".*" for CTDB_SAMBA_CHECK_PORTS$' \
		<<<"$(head -n 1 <<<"$out")"
	run_bounded --ports="$v"
	check "--ports=$(printf '%q' "$v"): usage error 22" [ "$rc" -eq 22 ]
done
# a newline separates words, as in the old shell script
for v in "$PORT1,$PORT1" " $PORT1 " "$PORT1,,$PORT1" "$PORT1"$'\n'"$PORT1"; do
	CTDB_SAMBA_CHECK_PORTS="$v" run_bounded
	check "CTDB_SAMBA_CHECK_PORTS=$(printf "%q" "$v"): healthy" [ "$rc" -eq 0 ]
done

define_test "smb.conf's own ports are checked the same way"
for v in 0 65536 0x1bd; do
	smbconf_global "smb ports = $v"
	rm -f "$STATE/smb.conf.cache"
	run_bounded
	sane "smb ports = $v"
	check "smb ports = $v: exit 1" [ "$rc" -eq 1 ]
done
smbconf_global "smb ports = $PORT1"
rm -f "$STATE/smb.conf.cache"

define_test "checker lists: unknown, duplicates, only spaces, binary"
CTDB_TCP_PORT_CHECKERS="foo bar" run_bounded
check "unknown names only: no working checkers" \
	[ "$out" = 'INTERNAL ERROR: ctdb_check_ports - no working checkers in CTDB_TCP_PORT_CHECKERS="foo bar"' ]
CTDB_TCP_PORT_CHECKERS="foo ctdb" run_bounded
check "unknown then ctdb: healthy" test "$rc" -eq 0 -a -z "$out"
CTDB_TCP_PORT_CHECKERS="ctdb ctdb,ctdb" run_bounded
check "duplicates: healthy" [ "$rc" -eq 0 ]
CTDB_TCP_PORT_CHECKERS="   " run_bounded
sane "only spaces"
for v in "$BIN" "$NL" "ctdb;reboot" "../../bin/sh"; do
	CTDB_TCP_PORT_CHECKERS="$v" run_bounded
	sane "CTDB_TCP_PORT_CHECKERS=$(printf '%q' "$v")"
done
run_bounded --checkers="nmap,nonesuch" --ports="$free"
sane "--checkers=nmap,nonesuch"

define_test "other variables with odd values"
for name in CTDB_MANAGED_SERVICES CTDB_MANAGES_SAMBA CTDB_MANAGES_WINBIND \
	CTDB_SAMBA_SKIP_SHARE_CHECK CTDB_SAMBA_CONFIG_CHECK \
	CTDB_CURRENT_DEBUGLEVEL CTDB_DEBUGLEVEL; do
	for v in "${values[@]}"; do
		export "$name=$v"
		run_bounded
		sane "$name=$(printf '%q' "$v")"
		run_bounded --managed
		sane "--managed $name=$(printf '%q' "$v")"
		unset "$name"
	done
	export CTDB_MANAGES_SAMBA=yes
done
CTDB_SAMBA_CONFIG_CHECK=STRICT run_bounded
check "CTDB_SAMBA_CONFIG_CHECK=STRICT: invalid value" \
	[ "$out" = 'ERROR: invalid value "STRICT" for CTDB_SAMBA_CONFIG_CHECK' ]

define_test "directory variables: odd values are no crash"
for name in CTDB_BASE CTDB_ETCDIR CTDB_VARDIR CTDB_SCRIPT_VARDIR; do
	saved=${!name}
	for v in "$NL" "$BIN" "relative/dir" "/dev/null" "/proc/self" \
		"$(printf '/x%.0s' $(seq 1 3000))"; do
		export "$name=$v"
		run_bounded
		sane "$name=$(printf '%.40q' "$v")"
		run_bounded --managed
		sane "--managed $name=$(printf '%.40q' "$v")"
	done
	export "$name=$saved"
done
rm -rf relative

define_test "configuration files: CRLF, no final newline, long lines, quotes"
opts="$CTDB_BASE/script.options"
printf 'CTDB_SAMBA_CHECK_PORTS=%s\r\nCTDB_TCP_PORT_CHECKERS="ctdb"\r\n' \
	"$free" >"$opts"
required_result 1 "ERROR: samba tcp port $free is not responding"
simple_test
printf 'CTDB_TCP_PORT_CHECKERS=ctdb\nCTDB_SAMBA_CHECK_PORTS=%s' "$free" \
	>"$opts"
simple_test
# two long lines that just fit in the 1 MiB a configuration file may have
{
	printf 'X="'
	head -c 500000 /dev/zero | tr '\0' 'a'
	printf '"\nCTDB_SAMBA_CHECK_PORTS=%s\n' "$free"
	head -c 500000 /dev/zero | tr '\0' 'b'
	printf '\n'
} >"$opts"
simple_test
printf 'CTDB_SAMBA_CHECK_PORTS="%s\nCTDB_TCP_PORT_CHECKERS='"'"'ctdb\n' \
	"$free" >"$opts"
ok_null
simple_test
check "unterminated quotes are DEBUG lines" \
	grep -q "script.options:1: skipped" \
	<<<"$("$CTDB_FRONTEND" checksamba -v 2>&1)"
printf 'CTDB_SAMBA_CHECK_PORTS=%s\0junk\n' "$free" >"$opts"
run_bounded
sane "a NUL byte in a line"
head -c 65536 /dev/urandom >"$opts"
run_bounded
sane "64 KB of random bytes"

define_test "a directory, a FIFO, a device in place of a file: WARNING"
rm -f "$opts"
mkdir "$opts"
required_result 0 "WARNING: cannot read configuration file \"$opts\" (Is a directory) - skipped"
simple_test
rmdir "$opts"
mkfifo "$opts"
run_bounded
sane "a FIFO (no writer: must not wait)"
check "a FIFO: a WARNING, healthy" \
	test "$rc" -eq 0 -a "$(grep -c '^WARNING' <<<"$out")" -eq 1
rm -f "$opts"
ln -s /dev/zero "$opts"
run_bounded
sane "/dev/zero"
check "/dev/zero: a WARNING, healthy" \
	test "$rc" -eq 0 -a "$(grep -c '^WARNING' <<<"$out")" -eq 1
rm -f "$opts"

define_test "--config: a directory, a FIFO, /dev/zero"
mkdir "$SB/cfgdir"
run_bounded --config "$SB/cfgdir"
sane "--config DIR"
mkfifo "$SB/cfgfifo"
run_bounded --config "$SB/cfgfifo"
sane "--config FIFO"
run_bounded --config /dev/zero
sane "--config /dev/zero"

define_test "an unreadable file: WARNING, skipped (root without DAC override)"
if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
	printf 'CTDB_SAMBA_CHECK_PORTS=%s\n' "$free" >"$opts"
	chmod 000 "$opts"
	out=$(timeout 20 setpriv --inh-caps=-dac_override,-dac_read_search \
		--bounding-set=-dac_override,-dac_read_search \
		"$CTDB_FRONTEND" checksamba 2>&1)
	rc=$?
	check "healthy ($rc), the file skipped" [ "$rc" -eq 0 ]
	check "one WARNING naming it" [ "$out" = "WARNING: cannot read configuration file \"$opts\" (Permission denied) - skipped" ]
	rm -f "$opts"
else
	echo "# (skipped: needs root and setpriv)"
fi
finish
