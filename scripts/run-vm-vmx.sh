#!/usr/bin/env bash
# Boot the Intel VMX test machine (Bochs 2.7, Haswell or Tiger Lake CPU with
# VMX, EPT, VPID and unrestricted guest) with our modules and the selftests
# in an initramfs, run a job in it and return its exit status. QEMU TCG has no
# VMX, hence Bochs: slow (about 35-40 M instructions/s), so a run takes
# minutes. See /work/shared/notes/test-machines.md, "Intel VMX: Bochs".
#   run-vm-vmx.sh JOB        JOB: a script in scripts/vm, e.g. demo-vmx
# Environment: KVMPP_KERNEL_DIR (extracted Debian kernel; default: the 6.12
# cloud-amd64 one from fetch-kernel.sh), KVMPP_MODULES (folder with kvm.ko and
# kvm-intel.ko; default: the repository root if built in place, else
# build/tree-6.12), KVMPP_VM_TIMEOUT (s, default 1200), KVMPP_VMX_CPU
# (corei7_haswell_4770 or tigerlake), KVMPP_VMX_CPUS (default 1).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
job=${1:-demo-vmx}
vm_timeout=${KVMPP_VM_TIMEOUT:-1200}
cpu_model=${KVMPP_VMX_CPU:-corei7_haswell_4770}
ncpus=${KVMPP_VMX_CPUS:-1}
kernel_dir=${KVMPP_KERNEL_DIR:-$(kernel_tree 6.12 cloud-amd64)}
if [ -n "${KVMPP_MODULES:-}" ]; then modules=$KVMPP_MODULES
elif [ -f "$ROOT/kvm-intel.ko" ]; then modules=$ROOT
else modules=$BUILD/tree-6.12; fi
vmlinuz=$(echo "$kernel_dir"/boot/vmlinuz-*)
[ -f "$vmlinuz" ] || die "no kernel image in $kernel_dir/boot"
[ -f "$ROOT/scripts/vm/$job.sh" ] || die "no guest job scripts/vm/$job.sh"
for m in kvm.ko kvm-intel.ko; do [ -f "$modules/$m" ] || die "no $modules/$m (build-modules.sh)"; done
[ -d "$BUILD/selftests" ] || die "no $BUILD/selftests (build-selftests.sh)"

# Bochs and the ISO tools (Debian builds no headless display: rfb stands in).
pkgs=(bochs bochs-term bochsbios vgabios isolinux syslinux-common xorriso busybox-static cpio)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi

vmx=$BUILD/vmx
rm -rf "$vmx"
mkdir -p "$vmx"

# The initramfs: the same layout as run-vm.sh's.
initrd_dir=$vmx/initramfs
mkdir -p "$initrd_dir"/{bin,proc,sys,dev,tmp,modules,tests,jobs}
cp /bin/busybox "$initrd_dir/bin/busybox"
# init's "poweroff -f" drops what is still in the serial port's transmit buffer,
# and Bochs sends it at the emulated baud rate: let it drain first.
sed 's/^poweroff -f/sleep 2; poweroff -f/' "$ROOT/scripts/vm/init" > "$initrd_dir/init"
grep -q '^sleep 2; poweroff -f' "$initrd_dir/init" || die "scripts/vm/init: no poweroff line to patch"
cp "$ROOT"/scripts/vm/*.sh "$initrd_dir/jobs/"
cp "$modules"/kvm.ko "$modules"/kvm-intel.ko "$initrd_dir/modules/"
[ -f "$modules/kvm-amd.ko" ] && cp "$modules/kvm-amd.ko" "$initrd_dir/modules/"
cp -r "$BUILD"/selftests/. "$initrd_dir/tests/"
chmod +x "$initrd_dir/init"

# The boot ISO: isolinux with the kernel and the initramfs.
iso_dir=$vmx/iso
mkdir -p "$iso_dir/isolinux"
(cd "$initrd_dir" && find . | cpio -o -H newc --quiet | gzip -1) > "$iso_dir/initrd.gz"
cp "$vmlinuz" "$iso_dir/vmlinuz"
cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 "$iso_dir/isolinux/"
# panic=-1 reboots at once; the watcher below stops Bochs on the panic text.
cmdline="console=ttyS0,115200 nokaslr tsc=unstable lpj=1000000 mitigations=off quiet panic=-1 kvmpp.job=$job"
cat > "$iso_dir/isolinux/isolinux.cfg" <<EOF
SERIAL 0 115200
DEFAULT linux
PROMPT 0
TIMEOUT 0
LABEL linux
  KERNEL /vmlinuz
  INITRD /initrd.gz
  APPEND $cmdline
EOF
xorriso -as mkisofs -quiet -o "$vmx/boot.iso" -b isolinux/isolinux.bin -c isolinux/boot.cat \
  -no-emul-boot -boot-load-size 4 -boot-info-table -J -R "$iso_dir" 2>"$vmx/xorriso.log" ||
  { cat "$vmx/xorriso.log"; die "xorriso failed"; }

serial=$vmx/serial.log
bochs_log=$vmx/bochs.log
: > "$serial"
cat > "$vmx/bochsrc" <<EOF
cpu: model=$cpu_model, count=$ncpus, ips=100000000, reset_on_triple_fault=1
memory: guest=512, host=512
clock: sync=none, time0=local
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
pci: enabled=1, chipset=i440fx
ata0: enabled=1, ioaddr1=0x1f0, ioaddr2=0x3f0, irq=14
ata0-master: type=cdrom, path="$vmx/boot.iso", status=inserted
boot: cdrom
com1: enabled=1, mode=file, dev="$serial"
display_library: rfb, options="timeout=0"
mouse: enabled=0
log: $bochs_log
panic: action=fatal
error: action=report
info: action=report
debug: action=ignore
EOF
# This Debian build stops at a debugger prompt: feed it "continue".
echo c > "$vmx/bochs.rc"

log "booting the VMX test machine (Bochs, $cpu_model x$ncpus, job: $job)"
start=$(date +%s)
(cd "$vmx" && exec bochs -q -f "$vmx/bochsrc" -rc "$vmx/bochs.rc" </dev/null >"$vmx/bochs.out" 2>&1) &
bochs_pid=$!
# Show the guest's serial output as it comes (quiet: kernel lines are few).
tail -n +1 -f --pid="$bochs_pid" "$serial" 2>/dev/null | tr -d '\r' &
tail_pid=$!
# A guest power-off ends Bochs; stop it ourselves on a panic, a reboot or the timeout.
reason=
while kill -0 "$bochs_pid" 2>/dev/null; do
  if grep -aqE 'Kernel panic - not syncing|reboot: Restarting system' "$serial"; then
    reason="the guest kernel panicked or rebooted"; sleep 3
  elif [ $(($(date +%s) - start)) -ge "$vm_timeout" ]; then
    reason="timeout after ${vm_timeout}s"
  fi
  if [ -n "$reason" ]; then
    log "stopping Bochs: $reason"
    kill "$bochs_pid" 2>/dev/null || true
    sleep 2
    kill -9 "$bochs_pid" 2>/dev/null || true
    break
  fi
  sleep 2
done
set +e
wait "$bochs_pid"
bochs_rc=$?
wait "$tail_pid" 2>/dev/null
set -e
log "Bochs ended (exit code $bochs_rc, 1 is a guest power-off) after $(($(date +%s) - start)) s"
tr -d '\r' < "$serial" > "$BUILD/vm-vmx-$job.log"
status=$(grep -a '^KVMPP-EXIT ' "$BUILD/vm-vmx-$job.log" | tail -1 | cut -d' ' -f2)
if [ -z "$status" ]; then
  log "the VM did not finish the job (crash, panic, hang or timeout): see $BUILD/vm-vmx-$job.log,"
  log "the Bochs log $bochs_log and its console output $vmx/bochs.out"
  grep -aE 'PANIC|ERROR|VMX|VMEXIT|VMFAIL' "$bochs_log" | tail -20 >&2 || true
  exit 1
fi
exit "$status"
