#!/usr/bin/env bash
# debian-fetch.sh PACKAGE DIR: Debian's PACKAGE, fetched with apt-get
# download (no install, no root needed) and unpacked with dpkg -x into
# DIR/root; DIR/version says which version.  A metapackage (one whose
# files are only documentation, as linux-image-amd64) is followed to the
# first package it depends on.  Does nothing if DIR/version exists.  Exits
# non-zero with a message if the package cannot be had.
set -eu
pkg=$1 dir=$2
[ -s "$dir/version" ] && exit 0
mkdir -p "$dir"
cd "$dir"
rm -rf root ./*.deb

download() {
	apt-get download "$1" >>download.log 2>&1 && return 0
	# a machine whose package lists were never fetched: fetch them if we may
	[ "$(id -u)" = 0 ] && apt-get update -q >>download.log 2>&1 && apt-get download "$1" >>download.log 2>&1
}

for hop in 1 2; do
	if ! download "$pkg"; then
		echo "debian-fetch: apt-get download $pkg failed (see $dir/download.log)" >&2
		exit 1
	fi
	deb=$(ls ./"${pkg}"_*.deb | head -1)
	# a metapackage ships nothing outside /usr/share/doc: take what it depends on
	if [ $hop = 1 ] && ! dpkg-deb -c "$deb" | awk '{print $6}' | grep -qv '^\./$\|^\./usr/\(share/\(doc\|bug\|lintian\)/\)\?\|^\./usr/$\|^\./usr/share/$'; then
		pkg=$(dpkg-deb -f "$deb" Depends | sed 's/[ ,(|].*//')
		rm -f "$deb"
		continue
	fi
	break
done
dpkg -x "$deb" root
dpkg-deb -f "$deb" Package Version | tr '\n' ' ' >version.tmp && mv version.tmp version
rm -f "$deb"
echo "debian-fetch: $(cat version)in $dir/root"
