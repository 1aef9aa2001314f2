#!/usr/bin/env bash
# Build the modules against a fetched Debian kernel.
#   build-modules.sh SERIES FLAVOUR [ARCH] [OUT]
# With OUT, build in a copy of the source tree there (so several kernels can
# be built side by side); without, build in place. Fails on any warning.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
series=$1 flavour=$2 arch=${3:-amd64} out=${4:-}
tree=$(kernel_tree "$series" "$flavour" "$arch")
kdir=$(kdir_of "$tree" "$flavour")
src=$ROOT
if [ -n "$out" ]; then
  rm -rf "$out"; mkdir -p "$out"
  (cd "$ROOT" && tar --exclude=./build --exclude=./.git -cf - .) | tar -xf - -C "$out"
  make -s -C "$out" clean KDIR="$kdir" >/dev/null 2>&1 || true
  src=$out
fi
cross=()
if [ "$arch" = arm64 ]; then cross=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-); fi
log "building modules for $(basename "$kdir") in $src"
make -C "$src" KDIR="$kdir" "${cross[@]}" > "$src/.make.out" 2>&1 || { cat "$src/.make.out"; exit 1; }
log "built: $(cd "$src" && ls ./*.ko | tr '\n' ' ')"
