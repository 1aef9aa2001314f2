#!/usr/bin/env bash
# Build the upstream KVM selftests (tools/testing/selftests/kvm of Debian's
# linux-source-6.12) for x86_64, statically, into $BUILD/upstream-st, and
# stage the stripped test programs and their order in $BUILD/upstream-stage.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
src=$("$ROOT/scripts/upstream/fetch-source.sh")
out=$BUILD/upstream-st
stage=$BUILD/upstream-stage
mkdir -p "$out"
log "building the upstream KVM selftests"
make -s -C "$src/tools/testing/selftests/kvm" -j"$(nproc)" ARCH=x86_64 \
  LDFLAGS="-static -pthread -no-pie" OUTPUT="$out" > "$out/build.log" 2>&1 ||
  { tail -20 "$out/build.log"; die "the upstream selftests did not build"; }
printf 'print-tests:\n\t@echo $(TEST_GEN_PROGS_x86_64) $(TEST_PROGS_x86_64)\n' > "$out/print.mk"
rm -rf "$stage"; mkdir -p "$stage/x86_64"
make -s -C "$src/tools/testing/selftests/kvm" -f Makefile -f "$out/print.mk" ARCH=x86_64 \
  print-tests | tr ' ' '\n' | sed '/^$/d' > "$stage/TESTS"
while read -r t; do
  if [ -f "$out/$t" ]; then strip -o "$stage/$t" "$out/$t"
  else cp "$src/tools/testing/selftests/kvm/$t" "$stage/$t"; fi
done < "$stage/TESTS"
log "$(wc -l < "$stage/TESTS") upstream tests staged in $stage"
