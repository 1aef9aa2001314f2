#!/usr/bin/env bash
# Boot the SVM test machine (QEMU TCG, -cpu max) with our modules and the
# selftests in an initramfs, run a job in it and return its exit status.
#   run-vm.sh JOB            JOB: tests | demo
# Environment: KVMPP_KERNEL_DIR (extracted Debian kernel), KVMPP_MODULES
# (folder with kvm.ko, kvm-amd.ko, kvm-intel.ko), KVMPP_VM_TIMEOUT (s),
# KVMPP_MEM (guest memory, 1G), KVMPP_SMP (CPUs, 2), KVMPP_ACCEL,
# KVMPP_QEMU_EXTRA (more QEMU options), KVMPP_EXTRA_DIR (copied to /upstream),
# KVMPP_PAYLOAD (a folder merged into the initramfs root: QEMU and its guest),
# KVMPP_JOB_ARGS (comma-separated words for the job, in $KVMPP_ARGS).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
job=${1:-tests}
kernel_dir=${KVMPP_KERNEL_DIR:?}
modules=${KVMPP_MODULES:-$ROOT}
vm_timeout=${KVMPP_VM_TIMEOUT:-1200}
vmlinuz=$(echo "$kernel_dir"/boot/vmlinuz-*)

initrd_dir=$BUILD/initramfs
rm -rf "$initrd_dir"
mkdir -p "$initrd_dir"/{bin,proc,sys,dev,tmp,modules,tests,jobs}
cp /bin/busybox "$initrd_dir/bin/busybox"
cp "$ROOT/scripts/vm/init" "$initrd_dir/init"
cp "$ROOT"/scripts/vm/*.sh "$ROOT"/scripts/vm/*.txt "$initrd_dir/jobs/"
cp "$modules"/kvm.ko "$modules"/kvm-amd.ko "$modules"/kvm-intel.ko "$initrd_dir/modules/"
cp -r "$BUILD"/selftests/. "$initrd_dir/tests/"
# Modules of the test kernel itself that the tests use (msr.ko: MSR reads).
mkdir -p "$initrd_dir/modules/host"
for m in arch/x86/kernel/msr.ko; do
  xz -dc "$kernel_dir"/lib/modules/*/kernel/$m.xz > "$initrd_dir/modules/host/$(basename "$m")"
done
# The stock KVM modules of the same kernel, to compare against (benchmark).
mkdir -p "$initrd_dir/modules/stock"
for m in virt/lib/irqbypass.ko arch/x86/kvm/kvm.ko arch/x86/kvm/kvm-amd.ko; do
  xz -dc "$kernel_dir"/lib/modules/*/kernel/$m.xz > "$initrd_dir/modules/stock/$(basename "$m")"
done
chmod +x "$initrd_dir/init"
# Extra files for a job (the upstream selftests), under /upstream.
if [ -n "${KVMPP_EXTRA_DIR:-}" ]; then cp -r "$KVMPP_EXTRA_DIR" "$initrd_dir/upstream"; fi
if [ -n "${KVMPP_PAYLOAD:-}" ]; then cp -r "$KVMPP_PAYLOAD"/. "$initrd_dir/"; fi
(cd "$initrd_dir" && find . | cpio -o -H newc --quiet | gzip -1) > "$BUILD/initramfs.cpio.gz"

# One emulator at a time on this machine (2 cores): wait for any other.
exec 9> "${TMPDIR:-/tmp}/kvmpp-emulator.lock"
flock 9
log "booting the SVM test machine (job: $job)"
out=$BUILD/vm-$job.log
set +e
# shellcheck disable=SC2086 # KVMPP_QEMU_EXTRA is a list of options
timeout "$vm_timeout" qemu-system-x86_64 -M q35 -cpu max -m "${KVMPP_MEM:-1G}" -smp "${KVMPP_SMP:-2}" \
  -accel "${KVMPP_ACCEL:-tcg,thread=multi}" ${KVMPP_QEMU_EXTRA:-} -kernel "$vmlinuz" -initrd "$BUILD/initramfs.cpio.gz" \
  -append "console=ttyS0 quiet panic=-1 kvmpp.job=$job kvmpp.args=${KVMPP_JOB_ARGS:-}" \
  -nographic -no-reboot -serial mon:stdio < /dev/null 2>&1 | sed -u 's/\r//g' | tee "$out" |
  grep --line-buffered -vE '^\[ *[0-9]+\.[0-9]+\]|^(SeaBIOS|iPXE|Booting|Machine UUID)' || true
set -e
status=$(grep -a '^KVMPP-EXIT ' "$out" | tail -1 | cut -d' ' -f2)
if [ -z "$status" ]; then
  log "the VM did not finish the job (crash, panic or timeout): see $out"
  exit 1
fi
exit "$status"
