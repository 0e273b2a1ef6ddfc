#!/bin/bash
# tests/interop/dp_accounting.sh [BIN] — ppdl's Renyi-DP accountant against google's
# dp_accounting (github.com/google/differential-privacy, python/dp_accounting), the
# reference TF Privacy and Opacus follow: on a grid of sampling rates, noise multipliers,
# step counts and deltas, ppdl's epsilon(...) with the classic and the improved conversion
# must equal the reference's at the same orders (ppdl's table, read from
# runtime/dp_rdp.c) to 1e-6 relative.  The source is found at $DP_ACCOUNTING_SRC or
# ../shared/peers/dp_accounting beside the repository; without it or its Python
# dependencies (python3-numpy, python3-scipy, python3-attr, python3-absl) the checks are
# skipped with a message.  Prints "N passed, N failed".  Run from the repository root.
bin=${1:-./ppdl}
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
here=$(cd "$(dirname "$0")" && pwd)
src=${DP_ACCOUNTING_SRC:-$here/../../../shared/peers/dp_accounting}
py=$(command -v "${PYTHON:-/usr/bin/python3}" || command -v python3)   # Debian's, which sees the Debian packages
export PYTHONPATH=$src PPDL_HISTORY=/dev/null
if [ -z "$py" ] || ! "$py" -c 'from dp_accounting.rdp import rdp_privacy_accountant' 2>/dev/null; then
  echo "skip interop-dp: dp_accounting or its Python packages not found at $src (set DP_ACCOUNTING_SRC)"
  echo "0 passed, 0 failed"; exit 0
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
sed -n '/dp_rdp_orders\[DP_RDP_NORDERS\] = {/,/};/p' runtime/dp_rdp.c | sed '1d;$d' >"$tmp/orders"
: >"$tmp/grid"
for q in 0.001 0.0042666666667 0.01 0.1 1; do
  for sigma in 0.7 1.1 2 5; do
    for steps in 1 100 14063; do
      for delta in 1e-5 1e-7; do echo "$q $sigma $steps $delta" >>"$tmp/grid"; done
    done
  done
done
{
  while read -r q sigma steps delta; do
    for c in classic improved; do
      echo "print(format(epsilon(q = $q, sigma = $sigma, steps = $steps, delta = $delta, conversion = \"$c\"), \".12g\"))"
    done
  done <"$tmp/grid"
} >"$tmp/eps.ppdl"
"$bin" "$tmp/eps.ppdl" >"$tmp/ppdl.out" 2>"$tmp/ppdl.err" || { echo "FAIL interop-dp: ppdl failed"; cat "$tmp/ppdl.err"; echo "0 passed, 1 failed"; exit 1; }
"$py" "$here/dp_peer.py" "$tmp/orders" "$tmp/grid" >"$tmp/ref.out" 2>"$tmp/ref.err" || { echo "FAIL interop-dp: dp_accounting failed"; tail -5 "$tmp/ref.err"; echo "0 passed, 1 failed"; exit 1; }
paste -d' ' "$tmp/grid" <(paste -d' ' - - <"$tmp/ppdl.out") "$tmp/ref.out" | awk '
  function bad(a, b) { d = a - b; if (d < 0) d = -d; m = (b < 0 ? -b : b); return d > 1e-6 * (m > 1e-12 ? m : 1e-12) }
  { n++
    # q sigma steps delta | ppdl classic, improved | reference classic, improved, order
    if (NF != 9 || bad($5, $7) || bad($6, $8)) {
      f++; printf "FAIL interop-dp: q=%s sigma=%s steps=%s delta=%s: ppdl %s %s, dp_accounting %s %s (order %s)\n", $1, $2, $3, $4, $5, $6, $7, $8, $9
    } else { p++; printf "ok   interop-dp: q=%s sigma=%s steps=%s delta=%s: epsilon %s (classic), %s (improved)\n", $1, $2, $3, $4, $5, $6 }
  }
  END { printf "%d passed, %d failed\n", p, f; exit f > 0 }'
