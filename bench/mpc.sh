#!/bin/bash
# mpc.sh PPDL BUILD — make bench-mpc.
# 1. BUILD/bench/bench_mpc (bench/bench_mpc.c over the runtime library) times the
#    runtime directly: a 128x784 @ 784x128 shared product next to the int64 ring
#    product one party needs, sigmoid and ReLU on 100x100, and one MLP 784-128-10 step at batch 128 on
#    Fashion-MNIST (softmax cross-entropy), three parties and a dealer in one process,
#    offline (dealer) and online time apart; then the same step with two parties and a
#    dealer (dealer pairs, and local truncation as CrypTen's two parties do).
# 2. CrypTen, in the same run: bench/crypten_mlp.py, the same model, batch, data and
#    loss, two parties as two processes (crypten.mpc.run_multiprocess(world_size=2)),
#    with Debian's python3 and PYTHONPATH=${CRYPTEN_SRC:-../shared/peers/crypten}.  Then
#    both steps side by side: seconds, bytes each party sends, and the ratios.  If
#    CrypTen cannot run, the reason is printed and no CrypTen figure is.
# 3. The same operations through the interpreter, shared next to plaintext ppdl: each
#    script runs K repetitions and once with none; the difference over K is one op.
# Never part of make test.  Figures vary with machine load.
set -e
ppdl=${1:-./ppdl}; build=${2:-build}
here=$(cd "$(dirname "$0")" && pwd); root=$(dirname "$here")
cd "$root"
data=${FMNIST_DIR:-/usr/share/datasets/fashion-mnist}
make -s BUILD="$build" "$build/bench/bench_mpc"
echo "== runtime (C), best of ${REPS:-7}"
"$build/bench/bench_mpc" "$data" "${REPS:-7}" | tee "$build/bench_mpc.txt"

echo
echo "== CrypTen, same run: MLP 784-128-10, batch 128, softmax cross-entropy, 2 parties as 2 processes"
crypten_src=${CRYPTEN_SRC:-$(dirname "$root")/shared/peers/crypten}
if [ ! -d "$crypten_src/crypten" ]; then
  crypten_line="crypten: not measured: no CrypTen source at $crypten_src (set CRYPTEN_SRC)"
else
  crypten_line=$(FMNIST_DIR="$data" PYTHONPATH="$crypten_src" REPS=${CRYPTEN_REPS:-5} \
    /usr/bin/python3 bench/crypten_mlp.py 2> "$build/crypten_mlp.log" | grep '^crypten:' | tail -1) || true
  [ -n "$crypten_line" ] || crypten_line="crypten: not measured: bench/crypten_mlp.py printed nothing (log: $build/crypten_mlp.log)"
fi
echo "$crypten_line"
echo
echo "== one training step, side by side (one run; ppdl's parties in one process for now)"
awk -v cl="$crypten_line" '
  function after(str, key,   m) {   # the number after "key" in str
    if (!match(str, key " [0-9.]+")) return ""
    m = substr(str, RSTART + length(key) + 1, RLENGTH - length(key) - 1)
    return m
  }
  /^ppdl-2pc / { for (i = 2; i < NF; i += 2) v[$3, $i] = $(i + 1) }
  END {
    fmt = "  %-40s %11s %11s %22s %14s %7s\n"
    printf fmt, "", "wall s/step", "CPU s/step", "bytes sent/party/step", "dealer bytes", "rounds"
    n = split("pair local", tr, " ")
    for (k = 1; k <= n; k++) { t = tr[k]; if ((t, "seconds") in v)
      printf fmt, "ppdl 2 parties + dealer, trunc. " t, v[t, "seconds"], v[t, "cpu"], v[t, "bytes"], v[t, "dealer"], v[t, "rounds"] }
    if (cl ~ /not measured/) { print "  CrypTen: " cl; exit }
    cs = after(cl, "seconds/step"); cc = after(cl, "cpu/step"); cb = after(cl, "sent/party/step")
    printf fmt, "CrypTen 2PC (TFP), 2 processes", cs, cc, cb, "0 (party 0)", after(cl, "rounds")
    for (k = 1; k <= n; k++) { t = tr[k]; if ((t, "seconds") in v)
      printf "  CrypTen / ppdl (trunc. %s): wall x%.1f, CPU x%.1f (target >= 20); bytes ppdl / CrypTen %.2f (target <= 1)\n",
             t, cs / v[t, "seconds"], cc / v[t, "cpu"], v[t, "bytes"] / cb }
  }' "$build/bench_mpc.txt"
echo "  ppdl's parties take turns in one process here (no network); CrypTen: 2 processes,"
echo "  Gloo over loopback.  The separate-process figure for ppdl follows."

echo
echo "== ppdl --processes: the same step, alice, bob and the dealer as 3 OS processes (ZeroMQ + CURVE, loopback)"
# procs TRUNC LABEL: the step with the scheme's truncation TRUNC ("pair": the dealer's
# pairs, one round each; "local": the two parties' local shifts, no round, as CrypTen's
# two parties truncate), per step from the difference of two step counts
procs() {
  local trunc=$1 label=$2 pt k r best bcpu w u s per cpu bytes walls=() cpus=()
  pt=$(mktemp -d)
  for k in ${PROC_STEPS_LO:-2} ${PROC_STEPS_HI:-10}; do
    sed "s/STEPS/$k/; s/TRUNC/$trunc/" bench/mpc_processes.ppdl > "$pt/s$k.ppdl"
    best=999999; bcpu=999999
    for r in 1 2 3; do
      # wall, and the CPU seconds of all three party processes (their rusage, summed)
      /usr/bin/time -f "%e %U %S" -o "$pt/time" "$ppdl" --processes --timeout 120000 "$pt/s$k.ppdl" > "$pt/out$k" 2>/dev/null || { echo "  ppdl --processes failed"; rm -rf "$pt"; return; }
      read -r w u s < "$pt/time"
      best=$(awk -v d="$w" -v b="$best" 'BEGIN { print (d < b ? d : b) }')
      bcpu=$(awk -v d="$u" -v e="$s" -v b="$bcpu" 'BEGIN { print (d + e < b ? d + e : b) }')
    done
    walls+=("$best"); cpus+=("$bcpu")
  done
  local lo=${PROC_STEPS_LO:-2} hi=${PROC_STEPS_HI:-10}
  per=$(awk -v a="${walls[0]}" -v b="${walls[1]}" -v n=$((hi - lo)) 'BEGIN { print (b - a) / n }')
  cpu=$(awk -v a="${cpus[0]}" -v b="${cpus[1]}" -v n=$((hi - lo)) 'BEGIN { print (b - a) / n }')
  bytes=$(awk -v lo="$lo" -v hi="$hi" 'FNR == 1 { f++ } /^  alice +online/ { b[f] = $4 } END { printf "%.0f", (b[2] - b[1]) / (hi - lo) }' "$pt/out$lo" "$pt/out$hi")
  # the training statement alone (clock() around it in the first party's process): the
  # data is shared before it, outside the timed steps, as in CrypTen's script
  tper=$(awk -v lo="$lo" -v hi="$hi" 'FNR == 1 { f++ } /^train seconds:/ { t[f] = $3 } END { printf "%.4f", (t[2] - t[1]) / (hi - lo) }' "$pt/out$lo" "$pt/out$hi")
  rounds=$(awk -v lo="$lo" -v hi="$hi" 'FNR == 1 { f++ } /^  alice +online/ { b[f] = $7 } END { printf "%.0f", (b[2] - b[1]) / (hi - lo) }' "$pt/out$lo" "$pt/out$hi")
  printf "  ppdl --processes, %s: %.3f s wall per step (best of 3, %d vs %d steps, sharing the data included), %.4f s per step of the training statement alone (the last run), %.3f CPU s per step (3 processes together, sharing included), alice sends %s bytes and waits %s online rounds per step\n" "$label" "$per" "$hi" "$lo" "$tper" "$cpu" "$bytes" "$rounds"
  echo "$crypten_line" | awk -v p="$per" -v tp="$tper" -v c="$cpu" -v l="$label" '{ if (match($0, /seconds\/step [0-9.]+/)) { s = substr($0, RSTART + 13, RLENGTH - 13); printf "  CrypTen / ppdl --processes (%s): wall x%.1f with the sharing, x%.1f the steps alone (same run; target >= 20)", l, s / p, s / tp }
    if (match($0, /cpu\/step [0-9.]+/)) { s = substr($0, RSTART + 9, RLENGTH - 9); printf ", CPU x%.1f", s / c }
    if (match($0, /sent\/party\/step [0-9.]+/)) { s = substr($0, RSTART + 16, RLENGTH - 16); printf ", bytes ppdl / CrypTen %.2f", '"${bytes:-0}"' / s } print "" }'
  rm -rf "$pt"
}
procs pair "dealer truncation pairs"
procs local "local truncation (as CrypTen)"
echo "  each ppdl process runs its own party's steps; the others' steps it follows on"
echo "  stand-ins, skipping their arithmetic (docs/distributed.md)."

echo
echo "== through ppdl: one operation, shared vs plaintext (ms, from K repetitions)"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
setup='party h1, h2, h3, dealer
ss = additive(among = [h1, h2, h3], frac_bits = 16, dealer = dealer)
x = randn(128, 784) * 0.1
y = randn(784, 128) * 0.1
a = randn(100, 100)
sx = share(x, ss)
sy = share(y, ss)
sa = share(a, ss)
'
run() {  # run NAME K BODY: prints ms per repetition (best K-run minus best empty run)
  local name=$1 k=$2 body=$3 t0 t1 bz=999999999999 bk=999999999999
  printf '%s\nfor i in 1..%d { %s }\n' "$setup" "$k" "$body" > "$tmp/k.ppdl"
  printf '%s\n' "$setup" > "$tmp/z.ppdl"
  for r in 1 2 3 4 5; do
    t0=$(date +%s%N); "$ppdl" "$tmp/z.ppdl" >/dev/null; t1=$(date +%s%N)
    [ $((t1 - t0)) -lt $bz ] && bz=$((t1 - t0))
    t0=$(date +%s%N); "$ppdl" "$tmp/k.ppdl" >/dev/null; t1=$(date +%s%N)
    [ $((t1 - t0)) -lt $bk ] && bk=$((t1 - t0))
  done
  awk -v n="$name" -v v="$(( (bk - bz) / k ))" 'BEGIN { printf "  %-34s %10.3f ms\n", n, (v < 0 ? 0 : v) / 1e6 }'
}
run "shared 128x784 @ 784x128" 20 'z = sx @ sy'
run "plaintext 128x784 @ 784x128" 200 'z = x @ y'
run "shared sigmoid 100x100 (deg 5)" 20 'z = sigmoid(sa)'
run "plaintext sigmoid 100x100" 200 'z = sigmoid(a)'
run "shared relu 100x100" 20 'z = relu(sa)'
run "plaintext relu 100x100" 200 'z = relu(a)'
