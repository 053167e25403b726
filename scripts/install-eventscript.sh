#!/bin/sh
# install-eventscript.sh SCRIPT CTDB_BASE: put the wrapper 50.samba.script
# in CTDB_BASE/events/legacy/ as a regular file.  "ctdb event script
# enable legacy 50.samba" only links to the packaged script, and keeps
# an existing link, so it would go on running CTDB's own script.
# What was there is kept as 50.samba.script.orig (a link stays a link).
set -eu

src="$1"
base="$2"
dir="$base/events/legacy"
dest="$dir/50.samba.script"
mark="ctdb checksamba"

if [ ! -f "$src" ]; then
	echo "install-eventscript: $src is missing: run 'make install' first" >&2
	exit 1
fi
mkdir -p "$dir"
if [ -e "$dest" ] || [ -L "$dest" ]; then
	if [ ! -L "$dest" ] && grep -q -F "$mark" "$dest"; then
		: # our wrapper: replace it, no backup needed
	elif [ ! -e "$dest.orig" ] && [ ! -L "$dest.orig" ]; then
		mv "$dest" "$dest.orig"
		echo "kept the previous script as $dest.orig"
	else
		rm -f "$dest"
	fi
fi
# a new file is not executable: CTDB treats that as disabled
install -m 0644 "$src" "$dest.tmp.$$"
mv -f "$dest.tmp.$$" "$dest"
echo "installed $dest"
echo "enable it with: ctdb event script enable legacy 50.samba"
