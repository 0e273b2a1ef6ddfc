#!/bin/bash
# mpc.sh PPDL BUILD — make bench-mpc: three parties (and a dealer) in one process.
# 1. bench/bench_mpc.c (built against BUILD/librt.a) times the runtime directly: a
#    128x784 @ 784x128 shared product next to the int64 ring product one party needs,
#    sigmoid and ReLU on 100x100, and one MLP 784-128-10 step at batch 128 on
#    Fashion-MNIST, offline (dealer) and online time apart, CrypTen's 0.89 s alongside.
# 2. The same operations through the interpreter, shared next to plaintext ppdl: each
#    script runs K repetitions and once with none; the difference over K is one op.
# Never part of make test.  Figures vary with machine load: best of several runs.
set -e
ppdl=${1:-./ppdl}; build=${2:-build}
here=$(cd "$(dirname "$0")" && pwd); root=$(dirname "$here")
cd "$root"
data=${FMNIST_DIR:-/usr/share/datasets/fashion-mnist}
make -s "$build/librt.a"
cc_flags="-O2 -g -std=c11 -D_GNU_SOURCE -pthread -Iruntime $(pkg-config --cflags gmp zlib msgpack 2>/dev/null) -I/usr/include/x86_64-linux-gnu/openblas-pthread"
libs="$(pkg-config --libs gmp zlib msgpack 2>/dev/null || echo -lgmp -lz -lmsgpackc) -lopenblas -lm -pthread"
${CC:-cc} $cc_flags -o "$build/bench_mpc" bench/bench_mpc.c "$build/librt.a" $libs
echo "== runtime (C), best of ${REPS:-7}"
"$build/bench_mpc" "$data" "${REPS:-7}"

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
