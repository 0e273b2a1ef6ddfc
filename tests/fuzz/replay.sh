#!/bin/bash
# Replays the fuzzer's regression corpus (tests/fuzz/regress/*, inputs that once crashed
# or hung ppdl) through the real binary and prints one closing line "N passed, N failed".
# An input passes when ppdl ends within 60 s with status 0 or 1 (a result or an error
# message) and no sanitizer report; a signal, an abort or a timeout fails it.  Under
# `make check-asan` the binary is the sanitizer build, so memory errors fail too.
bin=${1:-./ppdl}
pass=0; fail=0
err=$(mktemp); trap 'rm -f "$err"' EXIT
for f in tests/fuzz/regress/*; do
  [ -f "$f" ] || continue
  PPDL_HISTORY=/dev/null timeout 60 "$bin" "$f" >/dev/null 2>"$err" </dev/null; rc=$?
  if { [ $rc -eq 0 ] || [ $rc -eq 1 ]; } && ! grep -q 'Sanitizer\|runtime error:' "$err"; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAIL fuzz regression $f (exit $rc)"; head -5 "$err"
  fi
done
echo "$pass passed, $fail failed"
