#!/usr/bin/env bash
# Fetch Debian's linux-source-6.12 (the candidate version) into the cache and
# extract what the KVM selftests need: the tools tree, the uapi headers
# (installed with headers_install) and the build scripts. Prints the tree.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
version=$(linux_source_version)
dir=$CACHE/linux-source-$version
if [ -f "$dir/.complete" ]; then echo "$dir/src"; exit 0; fi
log "fetching linux-source-6.12 $version"
rm -rf "$dir"; mkdir -p "$dir"
(cd "$dir" && apt-get download -q "linux-source-6.12=$version" >&2)
dpkg-deb --fsys-tarfile "$dir"/linux-source-6.12_*.deb |
  tar -xO --wildcards '*/linux-source-6.12.tar.xz' > "$dir/src.tar.xz"
mkdir -p "$dir/src"
tar -xJf "$dir/src.tar.xz" -C "$dir/src" --strip-components=1 \
  --wildcards 'linux-source-6.12/Makefile' 'linux-source-6.12/scripts' \
  'linux-source-6.12/include' 'linux-source-6.12/arch/x86' 'linux-source-6.12/tools' \
  'linux-source-6.12/usr' 'linux-source-6.12/Documentation/virt' \
  'linux-source-6.12/Kbuild' 'linux-source-6.12/Kconfig' 'linux-source-6.12/lib/Kconfig*'
rm -f "$dir/src.tar.xz" "$dir"/*.deb
log "installing uapi headers"
make -s -C "$dir/src" ARCH=x86_64 headers_install INSTALL_HDR_PATH="$dir/src/usr" >&2
touch "$dir/.complete"
echo "$dir/src"
