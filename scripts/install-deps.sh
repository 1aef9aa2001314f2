#!/usr/bin/env bash
# Install the Debian packages the build and the tests need (idempotent; we run as root).
set -euo pipefail
pkgs=(
  make gcc-12 g++-12 bc kmod libelf1 pahole xz-utils zstd cpio busybox-static
  qemu-system-x86 qemu-utils cmake libgtest-dev googletest
  gcc-aarch64-linux-gnu g++-aarch64-linux-gnu
  clang-format rsync e2fsprogs gdb strace
  clang libclang-rt-14-dev
  flex bison libelf-dev libssl-dev
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
