#!/bin/bash
# make bench-speed: SPEED's labels per second for 50 teachers, 10 classes and a 2048-bit
# key in one process (bench/speed.ppdl), with the split by phase and bytes per label per
# party, then the process's CPU seconds.  QUERIES=1000 by default.  Target: >= 20 labels/s
# on 2 cores.
set -e
ppdl=${1:-./ppdl}
q=${QUERIES:-1000}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
sed "s/QUERIES/$q/" bench/speed.ppdl > "$tmp/speed.ppdl"
/usr/bin/time -f "process: %e s wall, %U s user, %S s system (key generation and vote set-up included)" \
    "$ppdl" "$tmp/speed.ppdl"
