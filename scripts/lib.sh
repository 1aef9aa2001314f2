# SPDX-License-Identifier: GPL-2.0
# Shared by the scripts: locations and small helpers. Source, don't run.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${KVMPP_CACHE:-$HOME/.cache/kvmpp}
BUILD=${KVMPP_BUILD:-$ROOT/build}
export KVMPP_CACHE=$CACHE

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
die() { log "error: $*"; exit 1; }

# The extracted tree of a Debian kernel: kernel_tree SERIES FLAVOUR [ARCH].
# Flavour kvmpp-debug is the debug test kernel, built from Debian's source.
kernel_tree() {
  if [ "$2" = kvmpp-debug ]; then "$ROOT/scripts/build-debug-kernel.sh"
  else "$ROOT/scripts/fetch-kernel.sh" "$@"; fi
}
# The candidate version of Debian's linux-source-6.12 (the package lists are
# updated once if they do not know it); fails when there is none.
linux_source_version() {
  local v
  v=$(apt-cache policy linux-source-6.12 | awk '/Candidate:/{print $2}')
  if [ -z "$v" ] || [ "$v" = "(none)" ]; then
    apt-get update -q >&2
    v=$(apt-cache policy linux-source-6.12 | awk '/Candidate:/{print $2}')
  fi
  { [ -n "$v" ] && [ "$v" != "(none)" ]; } || die "linux-source-6.12 not found"
  echo "$v"
}
# The test machine's kernel flavour: Debian's 6.12 cloud kernel, or with
# KVMPP_TEST_KERNEL=debug the debug test kernel (scripts/debug-kernel-tests.sh).
test_flavour() {
  if [ "${KVMPP_TEST_KERNEL:-cloud}" = debug ]; then echo kvmpp-debug; else echo cloud-amd64; fi
}
# Its build folder (KDIR), image and modules.
kdir_of() { echo "$1"/usr/src/linux-headers-*-"$2"; }

# What a job of Debian's QEMU in the test machine needs (demo.sh,
# boot-benchmark.sh): the packages, our 6.12 modules, the selftests, the
# test kernel and the QEMU payload ($BUILD/qemu-payload). Sets kernel_dir.
prepare_qemu_job() {
  "$ROOT/scripts/install-deps.sh"
  "$ROOT/scripts/build-modules.sh" 6.12 cloud-amd64 amd64 "$BUILD/tree-6.12"
  "$ROOT/scripts/build-selftests.sh"
  kernel_dir=$(kernel_tree 6.12 cloud-amd64)
  "$ROOT/scripts/qemu-payload.sh" "$kernel_dir" "$BUILD/qemu-payload"
}
