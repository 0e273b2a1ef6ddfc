#!/bin/bash
# fl.sh BUILD [--quick] — make bench-fl: runs BUILD/bench/bench_secagg (bench/bench_secagg.c
# over the runtime library), which prints secure aggregation's figures for n = 10, 50,
# 100 clients and 100,000 values (seconds per round, bytes per client, expansion) with
# packed Paillier alongside.
# Not part of make test.
set -e
build=${1:-build}; shift || true
here=$(cd "$(dirname "$0")" && pwd); root=$(dirname "$here")
cd "$root"
make -s BUILD="$build" "$build/bench/bench_secagg"
echo "timing secure aggregation and packed Paillier (a few minutes)..." >&2
"$build/bench/bench_secagg" "$@"
