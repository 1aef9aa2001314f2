#!/usr/bin/env bash
# Build the project's selftests (tools/testing/selftests/kvm) as static
# binaries into $BUILD/selftests, plus their shell tests and the run list.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
src=$ROOT/tools/testing/selftests/kvm
out=$BUILD/selftests
mkdir -p "$out"
CC=${CC:-gcc}
CFLAGS="-O2 -g -Wall -Wextra -Werror -Wno-unused-result -static -I$ROOT/include -I$src"
for t in "$src"/*.c; do
  name=$(basename "$t" .c)
  $CC $CFLAGS -o "$out/$name" "$t" "$src"/lib/*.c -lpthread
done
cp "$src"/*.sh "$out/"
# The tests the runner executes, in order (helpers such as vm_hold are not tests).
cat "$src/TESTS" > "$out/TESTS"

$CC $CFLAGS -o "$out/kvm_demo" "$ROOT/tools/demo/kvm_demo.c"
$CC $CFLAGS -o "$out/exit_bench" "$ROOT/tools/benchmark/exit_bench.c"
log "selftests built in $out"
