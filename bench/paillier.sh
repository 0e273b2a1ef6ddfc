#!/bin/bash
# paillier.sh BUILD [--quick] — make bench-paillier: builds BUILD/bench/bench_paillier
# (bench/bench_paillier.c over the runtime library), installs paillier-bigint into
# bench/node_modules with npm (once; skipped with a note when node or npm is missing or
# offline) and prints ppdl's figures next to raw GMP and paillier-bigint.  Not part of
# make test.
set -e
build=${1:-build}; shift || true
here=$(cd "$(dirname "$0")" && pwd); root=$(dirname "$here")
cd "$root"
make -s BUILD="$build" "$build/bench/bench_paillier"

nodefile=$(mktemp); trap 'rm -f "$nodefile"' EXIT
if command -v node >/dev/null && command -v npm >/dev/null; then
  if [ ! -d bench/node_modules/paillier-bigint ]; then
    echo "installing paillier-bigint into bench/node_modules (npm)..." >&2
    (cd bench && npm install --no-audit --no-fund --loglevel=error >/dev/null 2>&1) ||
      echo "note: npm install failed; the node column stays empty" >&2
  fi
  if [ -d bench/node_modules/paillier-bigint ]; then
    echo "timing paillier-bigint on node $(node --version)..." >&2
    node bench/paillier_node.mjs 2048 "$@" >"$nodefile" ||
      echo "note: the node benchmark failed; the node column stays empty" >&2
  fi
else
  echo "note: node/npm not found; the node column stays empty" >&2
fi
echo "timing ppdl and raw GMP (about a minute)..." >&2
"$build/bench/bench_paillier" --node "$nodefile" "$@"
