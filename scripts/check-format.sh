#!/usr/bin/env bash
# Fail when a C++ file is not formatted with the project's .clang-format.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
files=$(git ls-files '*.cpp' '*.hpp' 2>/dev/null | grep -v '^tools/' || true)
[ -n "$files" ] || files=$(find include virt arch tests -name '*.cpp' -o -name '*.hpp')
clang-format --dry-run --Werror $files
