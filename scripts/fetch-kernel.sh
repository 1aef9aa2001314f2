#!/usr/bin/env bash
# Fetch a Debian kernel (image, headers, kbuild) into the cache without installing it.
#   fetch-kernel.sh SERIES FLAVOUR [ARCH]   e.g. 6.12 cloud-amd64 | 6.1 cloud-amd64 | 6.12 cloud-arm64 arm64
# Prints the directory that holds the extracted tree (KDIR is <dir>/usr/src/linux-headers-*-FLAVOUR).
# Versions are resolved through the metapackage, because Debian replaces point releases.
set -euo pipefail
series=$1 flavour=$2 arch=${3:-amd64}
cache=${KVMPP_CACHE:-$HOME/.cache/kvmpp}
log() { echo "fetch-kernel: $*" >&2; }

if [ "$arch" != amd64 ] && ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
  log "adding dpkg architecture $arch"
  dpkg --add-architecture "$arch"
  apt-get update -q >&2
fi
if [ "$series" = 6.1 ]; then meta=linux-image-$flavour; else meta=linux-image-$series-$flavour; fi
meta_q=$meta; [ "$arch" != amd64 ] && meta_q=$meta:$arch
if ! apt-cache show "$meta_q" >/dev/null 2>&1; then apt-get update -q >&2; fi
image=$(apt-cache depends "$meta_q" | awk '/Depends: linux-image-/{sub(/:.*$/,"",$2); print $2; exit}')
[ -n "$image" ] || { log "cannot resolve $meta_q"; exit 1; }
abi=${image#linux-image-}; abi=${abi%-$flavour}          # e.g. 6.12.117+deb12
dir=$cache/kernels/$abi-$flavour
if [ -f "$dir/.complete" ]; then echo "$dir"; exit 0; fi

log "fetching $abi-$flavour"
rm -rf "$dir"; mkdir -p "$dir/debs"
q() { if [ "$arch" != amd64 ]; then echo "$1:$arch"; else echo "$1"; fi; }
headers=linux-headers-$abi-$flavour
deps=$(apt-cache depends "$(q "$headers")" |
  awk '/Depends: <?linux-(headers|kbuild)-/{gsub(/[<>]/,"",$2); sub(/:.*$/,"",$2); print $2}' | sort -u)
pkgs=("$(q "$headers")")
for d in $deps; do
  case $d in linux-kbuild-*) pkgs+=("$d");;            # host tools: always the build machine's arch
             *) pkgs+=("$d");; esac                     # -common is arch: all
done
if apt-cache show "$(q "$image-unsigned")" >/dev/null 2>&1; then pkgs+=("$(q "$image-unsigned")"); else pkgs+=("$(q "$image")"); fi
(cd "$dir/debs" && apt-get download -q "${pkgs[@]}" >&2)
for deb in "$dir"/debs/*.deb; do dpkg-deb -x "$deb" "$dir"; done
rm -rf "$dir/debs"
# The flavour's Makefile includes the common tree by an absolute /usr/src path: make it relative.
kdir=$(echo "$dir"/usr/src/linux-headers-*-"$flavour")
sed -i "s#/usr/src/#$dir/usr/src/#" "$kdir/Makefile"
touch "$dir/.complete"
echo "$dir"
