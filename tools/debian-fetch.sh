#!/usr/bin/env bash
# debian-fetch.sh PACKAGE DIR: Debian's PACKAGE, fetched with apt-get
# download (no install, no root needed) and unpacked with dpkg -x into
# DIR/root; DIR/version says which version.  Does nothing if DIR/version
# exists.  Exits non-zero with a message if the package cannot be had.
set -eu
pkg=$1 dir=$2
[ -s "$dir/version" ] && exit 0
mkdir -p "$dir"
cd "$dir"
rm -rf root ./*.deb
if ! apt-get download "$pkg" >download.log 2>&1; then
	# a machine whose package lists were never fetched: fetch them if we may
	if [ "$(id -u)" = 0 ] && apt-get update -q >>download.log 2>&1 && apt-get download "$pkg" >>download.log 2>&1; then
		:
	else
		echo "debian-fetch: apt-get download $pkg failed (see $dir/download.log)" >&2
		exit 1
	fi
fi
deb=$(ls ./*.deb | head -1)
dpkg -x "$deb" root
dpkg-deb -f "$deb" Package Version | tr '\n' ' ' >version.tmp && mv version.tmp version
rm -f "$deb"
echo "debian-fetch: $(cat version)in $dir/root"
