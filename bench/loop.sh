#!/bin/bash
# make bench: runs bench/loop.ppdl in ppdl and bench/loop.py in CPython side by side
# (best of 3 each) and prints both times and the ratio.  Target: ppdl <= 0.5x CPython.
set -e
ppdl=${1:-./ppdl}
best() {   # best wall time of 3 runs, in seconds; checks the printed result
  local b=999999 out t0 t1 t
  for _ in 1 2 3; do
    t0=$(date +%s.%N); out=$("$@"); t1=$(date +%s.%N)
    t=$(echo "$t1 - $t0" | bc -l)
    [ "$out" = "$expect" ] || { echo "wrong result from $*: $out (want $expect)" >&2; exit 1; }
    b=$(echo "if ($t < $b) $t else $b" | bc -l)
  done
  echo "$b"
}
command -v bc >/dev/null || tools/deps.sh bc
expect=$(python3 bench/loop.py)
tp=$(best "$ppdl" bench/loop.ppdl)
tc=$(best python3 bench/loop.py)
printf 'loop (10^7 iterations of s = (s + i*i) %% 1000003), best of 3:\n'
printf '  ppdl     %6.3f s\n' "$tp"
printf '  %s %6.3f s\n' "$(python3 -c 'import sys;print("CPython %d.%d" % sys.version_info[:2])')" "$tc"
printf '  ratio ppdl/CPython = %.2f (target <= 0.50)\n' "$(echo "$tp / $tc" | bc -l)"
