# The main job's guest side: boot Linux under Debian's unchanged QEMU
# (-M q35 -smp 2, in-kernel irqchip, a virtio disk) on our modules, showing
# QEMU's console, then the same boot on the stock modules; print both times.
. /jobs/kernel-health.sh
. /jobs/qemu-lib.sh
dmesg -n 1
insmod /modules/host/loop.ko
echo "== $($QEMU --version | head -1)"
echo "== loading our kvm.ko and kvm-amd.ko"
load_ours || exit 1
echo "== booting Linux: qemu-system-x86_64 -M q35 -smp 2 -accel kvm -cpu host -m 256M -kernel ... (virtio-blk)"
boot_linux ours q35 2 on
grep -v '^GUEST-KLOG' /tmp/q-ours.log | sed 's/^/   | /'
ours_init=$BOOT_INIT ours_total=$BOOT_TOTAL ours_why=$BOOT_WHY
kernel_healthy || ours_why="$ours_why host-kernel-unhealthy"
unload_kvm
echo "== the same boot on the stock Debian modules"
load_stock || exit 1
boot_linux stock q35 2 on
stock_init=$BOOT_INIT stock_total=$BOOT_TOTAL stock_why=$BOOT_WHY
unload_kvm
echo "== seconds from QEMU's start:   to init   to power-off"
printf '   %-28s %7s %10s  %s\n' "ours (kvmpp)" "$ours_init" "$ours_total" "${ours_why:-ok}"
printf '   %-28s %7s %10s  %s\n' "stock (Debian 6.12 KVM)" "$stock_init" "$stock_total" "${stock_why:-ok}"
[ -z "$ours_why" ]
