#!/bin/bash
# fl.sh BUILD [--quick] — make bench-fl: builds bench/bench_secagg.c against BUILD/librt.a
# and prints secure aggregation's figures for n = 10, 50, 100 clients and 100,000 values
# (seconds per round, bytes per client, expansion) with packed Paillier alongside.
# Not part of make test.
set -e
build=${1:-build}; shift || true
here=$(cd "$(dirname "$0")" && pwd); root=$(dirname "$here")
cd "$root"
make -s "$build/librt.a"
pkgs="gmp msgpack libsodium"
cc_flags="-O2 -g -std=c11 -D_GNU_SOURCE -pthread -Iruntime $(pkg-config --cflags $pkgs 2>/dev/null)"
libs="$(pkg-config --libs $pkgs libzmq zlib 2>/dev/null || echo -lgmp -lmsgpackc -lsodium -lzmq -lz) -lopenblas -lm -pthread"
${CC:-cc} $cc_flags -o "$build/bench_secagg" bench/bench_secagg.c "$build/librt.a" $libs
echo "timing secure aggregation and packed Paillier (a few minutes)..." >&2
"$build/bench_secagg" "$@"
