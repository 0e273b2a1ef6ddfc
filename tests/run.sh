#!/bin/bash
# Runs every CUnit suite binary in BUILD/tests and every script test in tests/scripts
# through the real binary, and prints one closing line "N passed, N failed".
# A script test NAME.ppdl passes when stdout equals NAME.out and, if NAME.err exists,
# stderr equals NAME.err and the exit status is 1 (otherwise the status must be 0 and
# stderr empty, but for the warnings of seed(n) and of a classroom-size Paillier key).
# Script tests run in a private working directory (samples/ and tests/ linked from the
# repository) with PPDL_HISTORY=/dev/null; then the
# pseudo-terminal checks (tests/pty), the python-paillier round trips and the accountant
# against google's dp_accounting (tests/interop), and
# the README's examples run as written (tests/readme).
unit_only=0
if [ "$1" = "--unit-only" ]; then unit_only=1; shift; fi
build=${1:-build}; bin=${2:-./ppdl}
pass=0; fail=0; failed_names=()
# the suites of tests/unit/*.c (not whatever build/tests holds: a renamed suite's old
# binary must not run, nor a missing one pass unnoticed)
for src in tests/unit/test_*.c; do
  t="$build/tests/$(basename "$src" .c)"
  if [ ! -x "$t" ]; then fail=$((fail + 1)); failed_names+=("$t (not built)"); echo "unit $(basename "$t"): not built"; continue; fi
  out=$("$t" 2>&1); rc=$?
  line=$(printf '%s\n' "$out" | grep '^tu: ' | tail -1)
  p=$(printf '%s' "$line" | sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed/\1/p')
  f=$(printf '%s' "$line" | sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed/\2/p')
  if [ -z "$p" ]; then p=0; f=1; fi
  if [ $rc -ne 0 ] && [ "$f" = 0 ]; then f=1; fi
  pass=$((pass + p)); fail=$((fail + f))
  if [ "$f" != 0 ]; then
    failed_names+=("$(basename "$t")"); printf '%s\n' "$out" | grep -v '^$' | tail -30
  fi
  echo "unit $(basename "$t"): $p passed, $f failed"
done
# suite LABEL NAME BIN SCRIPT: runs a harness that ends with "N passed, N failed" and adds
# its counts; on failure shows its lines other than "ok ...", and always its "skip" lines.
suite() {
  local label=$1 name=$2 out line p f
  out=$("$4" "$3" 2>&1)
  line=$(printf '%s\n' "$out" | tail -1)
  p=$(printf '%s' "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
  f=$(printf '%s' "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
  if [ -z "$p" ]; then p=0; f=1; fi
  pass=$((pass + p)); fail=$((fail + f))
  if [ "$f" != 0 ]; then failed_names+=("$name"); printf '%s\n' "$out" | grep -v '^ok ' | tail -40; fi
  printf '%s\n' "$out" | grep '^skip '
  echo "$label: $p passed, $f failed"
}
if [ $unit_only = 0 ]; then
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  allowed_warnings='^warning: (seed\([0-9]+\): randomness is now reproducible and INSECURE|a [0-9]+-bit Paillier key is insecure)'
  # Each script runs in a fresh private working directory where samples/ and tests/ are
  # links to the repository's, so the files a test writes (relative paths) vanish with it.
  root=$(pwd)
  case $bin in /*) abin=$bin ;; *) abin=$root/$bin ;; esac
  for s in tests/scripts/*.ppdl; do
    [ -f "$s" ] || continue
    name=${s%.ppdl}
    work=$(mktemp -d "$tmp/work.XXXXXX")
    ln -s "$root/samples" "$work/samples"; ln -s "$root/tests" "$work/tests"
    (cd "$work" && PPDL_HISTORY=/dev/null timeout 300 "$abin" "$s" >"$tmp/out" 2>"$tmp/err" </dev/null); rc=$?
    rm -rf "$work"
    ok=1
    if [ -f "$name.out" ]; then cmp -s "$tmp/out" "$name.out" || ok=0; fi
    if [ -f "$name.err" ]; then
      cmp -s "$tmp/err" "$name.err" || ok=0; [ $rc -eq 1 ] || ok=0
    else
      [ $rc -eq 0 ] || ok=0
      # stderr must be empty but for the two classroom warnings a test may trigger
      grep -Ev "$allowed_warnings" "$tmp/err" > "$tmp/unexpected"
      [ -s "$tmp/unexpected" ] && ok=0
    fi
    if [ $ok = 1 ]; then pass=$((pass + 1)); else
      fail=$((fail + 1)); failed_names+=("$s")
      echo "FAIL script $s (exit $rc)"
      [ -f "$name.out" ] && diff -u "$name.out" "$tmp/out" | head -20
      [ -f "$name.err" ] && diff -u "$name.err" "$tmp/err" | head -20
      [ -f "$name.err" ] || { echo "unexpected stderr:"; head -5 "$tmp/unexpected"; }
    fi
  done
  echo "scripts: $(ls tests/scripts/*.ppdl 2>/dev/null | wc -l) run"
  # the command line and the REPL through a real pseudo-terminal; round trips with
  # python-paillier (skipped when it or python3 is absent); inputs that once crashed the
  # fuzz target, replayed through the binary
  suite "pty" tests/pty "$bin" tests/pty/run.sh
  suite "interop" tests/interop "$bin" tests/interop/phe.sh
  suite "interop-dp" tests/interop "$bin" tests/interop/dp_accounting.sh
  suite "readme" tests/readme "$bin" tests/readme/check.py
  suite "lab" tests/lab "$bin" tests/lab/run.sh
  suite "fuzz regressions" tests/fuzz/regress "$bin" tests/fuzz/replay.sh
  suite "distributed" tests/distributed "$bin" tests/distributed/run.sh
fi
[ ${#failed_names[@]} -gt 0 ] && echo "failed: ${failed_names[*]}"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
