#!/bin/sh
# Installs what building, testing and the demo need on Debian 12 (root).
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
	build-essential pkg-config clang \
	libpopt-dev libtalloc-dev libwbclient-dev libcmocka-dev \
	samba winbind ctdb smbclient \
	nmap net-tools iproute2 socat python3 procps util-linux \
	shellcheck groff-base man-db valgrind strace time hyperfine ethtool \
	libfuse3-dev fuse3 libclang-rt-14-dev
