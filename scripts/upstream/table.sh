#!/usr/bin/env bash
# The conformance table from the last runs: test, ours, stock, seconds (ours),
# and ours' first failure line. Reads $BUILD/upstream-ours.tsv and, when
# present, $BUILD/upstream-stock.tsv; writes Markdown to stdout.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
ours=$BUILD/upstream-ours.tsv stock=$BUILD/upstream-stock.tsv
[ -f "$stock" ] || stock=/dev/null
awk -F'\t' -v stockf="$stock" '
  BEGIN { while ((getline l < stockf) > 0) { split(l, f, "\t"); st[f[1]] = f[2]; ss[f[1]] = f[3] } }
  { name[NR] = $1; res[NR] = $2; sec[NR] = $3; line[NR] = $4; n = NR; o[$2]++; if ($1 in st) s[st[$1]]++ }
  END {
    printf "| # | test | ours | stock | seconds (ours/stock) | first failure line (ours) |\n|---|---|---|---|---|---|\n"
    for (i = 1; i <= n; i++) {
      l = (res[i] == "PASS") ? "" : line[i]; gsub(/\|/, "\\|", l)
      printf "| %d | %s | %s | %s | %s / %s | %s |\n", i, name[i], res[i], \
        (name[i] in st) ? st[name[i]] : "-", sec[i], (name[i] in ss) ? ss[name[i]] : "-", l
    }
    printf "\nTotals, ours:"; for (k in o) printf " %s %d", k, o[k]
    printf "\nTotals, stock:"; for (k in s) printf " %s %d", k, s[k]
    printf "\n"
  }' "$ours"
