#!/usr/bin/env bash
# Build what the QEMU boot jobs add to the test machine's initramfs:
# Debian's unchanged qemu-system-x86_64 with its libraries and firmware, the
# Linux guest (the test kernel, a busybox initramfs, virtio_blk.ko and the
# migration test's workload, scripts/guest/migload.c) and the
# guest's disk (an MBR boot sector, then an ext4 partition).
#   qemu-payload.sh KERNEL_DIR OUT_DIR
set -euo pipefail
source "$(dirname "$0")/lib.sh"
kernel_dir=$1 out=$2
rm -rf "$out"
mkdir -p "$out"/usr/bin "$out"/usr/share/qemu "$out"/usr/share/seabios "$out"/guest "$out"/modules/host

qemu=/usr/bin/qemu-system-x86_64
cp "$qemu" "$out/usr/bin/"
for lib in $(ldd "$qemu" | grep -oE '/[^ ]+'); do
  mkdir -p "$out$(dirname "$lib")"
  cp -L "$lib" "$out$lib"
done
for f in kvmvapic.bin linuxboot_dma.bin linuxboot.bin; do cp -L "/usr/share/qemu/$f" "$out/usr/share/qemu/"; done
cp -L /usr/share/seabios/bios-256k.bin /usr/share/seabios/bios.bin "$out/usr/share/seabios/"
# gdb for the gdbstub test: Debian's gdb-minimal, fetched into the cache and
# never installed (Debian's full gdb does not start without Python's library,
# which the test machine lacks). strace for debugging a boot (debug job argument).
gdb_deb_dir=$CACHE/gdb-minimal
if [ ! -x "$gdb_deb_dir/usr/bin/gdb" ]; then
  rm -rf "$gdb_deb_dir"; mkdir -p "$gdb_deb_dir"
  (cd "$gdb_deb_dir" && apt-get download -q gdb-minimal >/dev/null && dpkg-deb -x gdb-minimal_*.deb .) ||
    die "cannot fetch Debian's gdb-minimal"
fi
for tool in "$gdb_deb_dir/usr/bin/gdb" /usr/bin/strace; do
  [ -x "$tool" ] || continue
  cp "$tool" "$out/usr/bin/"
  for lib in $(ldd "$tool" | grep -oE '/[^ ]+'); do
    mkdir -p "$out$(dirname "$lib")"; cp -L "$lib" "$out$lib"
  done
done

mods=$(echo "$kernel_dir"/lib/modules/*/kernel)
xz -dc "$mods/drivers/block/loop.ko.xz" > "$out/modules/host/loop.ko"

# The guest: the test kernel itself, and a busybox initramfs.
cp "$kernel_dir"/boot/vmlinuz-* "$out/guest/vmlinuz"
cp "$kernel_dir"/boot/System.map-* "$out/guest/System.map"
rd=$(mktemp -d)
mkdir -p "$rd"/{bin,proc,sys,dev,mnt}
cp /bin/busybox "$rd/bin/"
cp "$ROOT/scripts/guest/init" "$rd/init"
chmod +x "$rd/init"
xz -dc "$mods/drivers/block/virtio_blk.ko.xz" > "$rd/virtio_blk.ko"
gcc -O2 -Wall -Wextra -Werror -static -o "$rd/migload" "$ROOT/scripts/guest/migload.c"
strip "$rd/migload"
(cd "$rd" && find . | cpio -o -H newc --quiet | gzip -1) > "$out/guest/initrd.cpio.gz"
rm -rf "$rd"

# The disk: sector 0 boots (SeaBIOS path), sector 1 is what it reads,
# 1 MiB on a 16 MiB ext4 partition with host.txt (the Linux path).
tmp=$(mktemp -d)
gcc -c -o "$tmp/boot.o" "$ROOT/scripts/guest/bootsector.S"
ld -m elf_i386 -Ttext 0x7c00 --oformat binary -o "$tmp/boot.bin" "$tmp/boot.o" 2>/dev/null ||
  { ld -Ttext 0x7c00 -o "$tmp/boot.elf" "$tmp/boot.o" && objcopy -O binary "$tmp/boot.elf" "$tmp/boot.bin"; }
[ "$(stat -c %s "$tmp/boot.bin")" = 512 ] || die "the boot sector is not 512 bytes"
mkdir "$tmp/fs"
echo "written by the host" > "$tmp/fs/host.txt"
mkfs.ext4 -q -F -d "$tmp/fs" "$tmp/part.img" 16M
{ cat "$tmp/boot.bin"
  printf 'KVMPBOOTSECTOR: sector 1 read through int 13h\r\n\0' | dd bs=512 conv=sync 2>/dev/null
  dd if=/dev/zero bs=512 count=2046 2>/dev/null
  cat "$tmp/part.img"; } > "$out/guest/disk.img"
rm -rf "$tmp"
