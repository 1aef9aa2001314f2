#!/usr/bin/env bash
# Build the debug test kernel: Debian's linux-source-6.12 with KASAN,
# lockdep (PROVE_LOCKING), DEBUG_ATOMIC_SLEEP, kmemleak and DEBUG_OBJECTS
# (scripts/debug-kernel/debug.config over x86_64_defconfig), cached.
#   build-debug-kernel.sh        prints the tree, laid out as fetch-kernel.sh's:
#     boot/vmlinuz-VER, lib/modules/VER (modules .ko.xz) and
#     usr/src/linux-headers-VER (the build folder: KDIR for our modules).
# Its flavour is kvmpp-debug: kernel_tree 6.12 kvmpp-debug (lib.sh) calls this.
# About 9 minutes on two cores the first time (measured 2026-12-06); then
# cached, keyed by the source version and the config fragment.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
version=$(linux_source_version)
fragment=$ROOT/scripts/debug-kernel/debug.config
# The cache key holds the fragment's hash: a changed config is a new kernel.
key=$(sha256sum "$fragment" | cut -c1-12)
dir=$CACHE/kernels/debug-$version-$key
if [ -f "$dir/.complete" ]; then echo "$dir"; exit 0; fi
"$ROOT/scripts/install-deps.sh" >&2

src=$dir/src
if [ ! -f "$src/.extracted" ]; then
  log "fetching and extracting linux-source-6.12 $version"
  rm -rf "$dir"; mkdir -p "$src"
  (cd "$dir" && apt-get download -q "linux-source-6.12=$version" >&2)
  dpkg-deb --fsys-tarfile "$dir"/linux-source-6.12_*.deb |
    tar -xO --wildcards '*/linux-source-6.12.tar.xz' | tar -xJ -C "$src" --strip-components=1
  rm -f "$dir"/*.deb
  touch "$src/.extracted"
fi
kver=$(make -s -C "$src" kernelversion)-kvmpp-debug
obj=$dir/usr/src/linux-headers-$kver
mkdir -p "$obj"
log "configuring $kver"
make -s -C "$src" O="$obj" x86_64_defconfig >&2
"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$fragment" >/dev/null
make -s -C "$src" O="$obj" olddefconfig >&2
# Every option of the fragment must have taken (a dependency can drop one).
bad=0
while IFS= read -r line; do
  case $line in
  CONFIG_*=*) grep -qxF "$line" "$obj/.config" || { log "config: $line did not take"; bad=1; };;
  "# CONFIG_"*" is not set") opt=${line#\# }; opt=${opt%% *}
    if grep -q "^$opt=" "$obj/.config"; then log "config: $opt is still set"; bad=1; fi;;
  esac
done < "$fragment"
[ "$bad" = 0 ] || die "the debug config did not take (see above)"

log "building $kver (-j$(nproc)): about 9 minutes on two cores"
start=$(date +%s)
make -s -C "$src" O="$obj" -j"$(nproc)" bzImage modules >&2
[ "$(cat "$obj/include/config/kernel.release")" = "$kver" ] || die "unexpected kernel release"
make -s -C "$src" O="$obj" INSTALL_MOD_PATH="$dir" INSTALL_MOD_STRIP=1 modules_install >&2
mkdir -p "$dir/boot"
cp "$obj/arch/x86/boot/bzImage" "$dir/boot/vmlinuz-$kver"
log "built $kver in $(( ($(date +%s) - start) / 60 )) min"
touch "$dir/.complete"
echo "$dir"
