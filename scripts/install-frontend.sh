#!/bin/sh
# install-frontend.sh SRC DEST: install the ctdb front-end as DEST,
# refusing to overwrite a DEST that is not this front-end (a stock ctdb
# built from source installs itself to /usr/local/bin/ctdb).
set -eu

src="$1"
dest="$2"
mark="ctdb-checksamba front-end"

if [ -e "$dest" ] || [ -L "$dest" ]; then
	if [ -L "$dest" ] || ! grep -q -a -F "$mark" "$dest"; then
		echo "install: refusing to overwrite $dest: it is not the" \
			"ctdb-checksamba front-end (the stock ctdb tool?)." >&2
		echo "install: move it away or choose another PREFIX." >&2
		exit 1
	fi
fi
mkdir -p "$(dirname "$dest")"
install -m 0755 "$src" "$dest.tmp.$$"
mv -f "$dest.tmp.$$" "$dest"
echo "installed $dest"
