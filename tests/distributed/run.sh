#!/bin/bash
# tests/distributed/run.sh [BIN] — one script across processes (docs/distributed.md), on
# loopback only: --strict refuses the narrator's peeks; `ppdl --processes` prints what
# the in-process run prints (a shared product, a small HE aggregation, a short training
# run, Shamir with a party killed mid-run); a killed party is an error naming it and the
# round within the timeout; a peer with a wrong key is refused; Ctrl-C stops every
# party; no `ppdl serve` process is left behind.  Prints "N passed, N failed".
# Run from the repository root (make test does).
bin=${1:-./ppdl}
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
here=tests/distributed
pass=0; fail=0
tmp=$(mktemp -d /tmp/ppdl-dist-test.XXXXXX); trap 'rm -rf "$tmp"' EXIT
export PPDL_HISTORY=/dev/null

ok()  { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; shift; for l in "$@"; do printf '  %s\n' "$l"; done; }

# No process of this test's runs may outlive them: every run's script lives in $tmp.
leftovers() { ps -eo pid=,args= | grep -F "$tmp/" | grep -v grep; }
check_no_leftovers() {
  local l; l=$(leftovers)
  if [ -z "$l" ]; then ok "$1: no process left behind"; else bad "$1: processes left behind" "$l"; kill $(echo "$l" | awk '{print $1}') 2>/dev/null; fi
}

# --strict: the narrator's peek is allowed in one process, refused under --strict
cp "$here/peek.ppdl" "$tmp/peek.ppdl"
"$bin" "$tmp/peek.ppdl" >"$tmp/out" 2>"$tmp/err"; rc=$?
if [ $rc = 0 ] && grep -q "the narrator peeks: 42" "$tmp/out"; then ok "peek allowed in one process"; else bad "peek allowed in one process" "exit $rc"; fi
"$bin" --strict "$tmp/peek.ppdl" >"$tmp/out" 2>"$tmp/err"; rc=$?
if [ $rc = 1 ] && grep -qF "argument #2 to 'print' lives at alice; --strict refuses the narrator's peeks" "$tmp/err" \
   && grep -q "bob got 42" "$tmp/out" && ! grep -q "narrator peeks" "$tmp/out"; then ok "--strict refuses the peek"
else bad "--strict refuses the peek" "exit $rc" "$(cat "$tmp/err")"; fi
printf 'party a, b\nx = 1 at a\nif x > 0 { print(1) }\n' >"$tmp/branch.ppdl"
"$bin" --strict "$tmp/branch.ppdl" >"$tmp/out" 2>"$tmp/err"; rc=$?
if [ $rc = 1 ] && grep -qF "the condition of 'if' lives at a" "$tmp/err"; then ok "--strict refuses a branch on a party's value"
else bad "--strict refuses a branch on a party's value" "exit $rc" "$(cat "$tmp/err")"; fi
printf 'party a, b\nx = 1 at a\non a { if x > 0 { print("a decides") } }\ny = send(x + 1, to = b)\n' >"$tmp/clean.ppdl"
"$bin" --strict "$tmp/clean.ppdl" >"$tmp/out" 2>"$tmp/err"; rc=$?
if [ $rc = 0 ] && [ "$(cat "$tmp/out")" = "a decides" ]; then ok "--strict runs a script without peeks"
else bad "--strict runs a script without peeks" "exit $rc" "$(cat "$tmp/err")"; fi

# same NAME SCRIPT [ENV...]: --processes prints what the in-process run prints
same() {
  local name=$1 script=$2; shift 2
  cp "$script" "$tmp/$name.ppdl"
  "$bin" "$tmp/$name.ppdl" >"$tmp/$name.want" 2>/dev/null; local rc1=$?
  env "$@" "$bin" --processes --timeout 5000 "$tmp/$name.ppdl" >"$tmp/$name.got" 2>"$tmp/$name.err"; local rc2=$?
  if [ $rc1 = 0 ] && [ $rc2 = 0 ] && cmp -s "$tmp/$name.want" "$tmp/$name.got"; then ok "$name: --processes prints the in-process output"
  else bad "$name: --processes prints the in-process output" "exit $rc1 / $rc2" "$(diff "$tmp/$name.want" "$tmp/$name.got" | head -5)" "$(grep -v '^warning' "$tmp/$name.err" | head -5)"; fi
  check_no_leftovers "$name"
}
same product "$here/product.ppdl"
same he_small "$here/he_small.ppdl"
same train_small "$here/train_small.ppdl"
# hospital3's process is killed when the run goes past round 4 (after the product that
# needs it, before the reveals that tolerate its absence)
same shamir_killed samples/shamir_dropout.ppdl PPDL_TEST_LEAVE=hospital3:4 X=1
if grep -q "party hospital3 left the run (signal 9)" "$tmp/shamir_killed.err"; then ok "shamir_killed: hospital3 was killed"
else bad "shamir_killed: hospital3 was killed" "$(cat "$tmp/shamir_killed.err")"; fi

# a killed party: the error names it and the round, within the timeout
cp "$here/product.ppdl" "$tmp/killed.ppdl"
s0=$(date +%s%N)
PPDL_TEST_LEAVE=bob:2 "$bin" --processes --timeout 1500 "$tmp/killed.ppdl" >"$tmp/out" 2>"$tmp/err"; rc=$?
ms=$(( ($(date +%s%N) - s0) / 1000000 ))
if [ $rc = 1 ] && grep -qE "^ppdl: party alice: no message from bob within 1500 ms .*\(round [0-9]+, a '[a-z_]+' frame\)" "$tmp/err" && [ $ms -lt 8000 ]; then
  ok "killed party: named with its round within the timeout (${ms} ms)"
else bad "killed party: named with its round within the timeout" "exit $rc, ${ms} ms" "$(cat "$tmp/err")"; fi
check_no_leftovers "killed"

# a peer whose key is not the one in the parties file is refused (alice's file lists
# mallory's key for bob): nothing from bob reaches alice, and she says so
mkdir "$tmp/keys" && cd "$tmp/keys" || exit 1
for p in alice bob mallory; do "$bin" keygen $p >/dev/null 2>&1; done
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pa=$(port); pb=$(port)
printf 'party alice endpoint tcp://127.0.0.1:%s key %s\nparty bob endpoint tcp://127.0.0.1:%s key %s\n' "$pa" "$(cat alice.pub)" "$pb" "$(cat mallory.pub)" >alice.parties
printf 'party alice endpoint tcp://127.0.0.1:%s key %s\nparty bob endpoint tcp://127.0.0.1:%s key %s\n' "$pa" "$(cat alice.pub)" "$pb" "$(cat bob.pub)" >bob.parties
printf 'party alice, bob\nx = send(5 at bob, to = alice)\non alice { print(x) }\n' >"$tmp/wrongkey.ppdl"
"$bin" serve --party bob --parties bob.parties --key bob.key --timeout 1500 --seed 1 --run "$tmp/wrongkey.ppdl" >/dev/null 2>"$tmp/err.b" &
"$bin" serve --party alice --parties alice.parties --key alice.key --timeout 1500 --seed 1 --run "$tmp/wrongkey.ppdl" >"$tmp/out" 2>"$tmp/err"; rc=$?
wait
cd - >/dev/null || exit 1
if [ $rc = 1 ] && [ ! -s "$tmp/out" ] && grep -q "no message from bob within 1500 ms" "$tmp/err"; then ok "a wrong CURVE key is refused"
else bad "a wrong CURVE key is refused" "exit $rc" "$(cat "$tmp/out" "$tmp/err")"; fi
check_no_leftovers "wrong key"

# Ctrl-C at the driver stops every party
cp samples/diabetes_mpc.ppdl "$tmp/long.ppdl"
"$bin" --processes "$tmp/long.ppdl" >/dev/null 2>"$tmp/err" &
drv=$!
sleep 1.5
n=$(leftovers | grep -c "ppdl serve --party")
kill -INT $drv; wait $drv; rc=$?
sleep 0.3
if [ "$n" = 4 ] && [ $rc = 130 ] && grep -q "interrupted: stopping the parties" "$tmp/err"; then ok "Ctrl-C stops the run (4 parties were running)"
else bad "Ctrl-C stops the run" "exit $rc, $n parties seen running" "$(cat "$tmp/err")"; fi
check_no_leftovers "Ctrl-C"

# a script with fewer than two parties is a usage error
printf 'party a\nprint(1)\n' >"$tmp/one.ppdl"
"$bin" --processes "$tmp/one.ppdl" >/dev/null 2>"$tmp/err"; rc=$?
if [ $rc = 2 ] && grep -q "needs at least two" "$tmp/err"; then ok "--processes needs two parties"; else bad "--processes needs two parties" "exit $rc"; fi

# Rounds cost latency: in a network namespace whose loopback delays every packet by
# 20 ms (tc netem), a run's wall time grows by at least rounds x 20 ms.  Needs root,
# `ip netns` and the netem qdisc; skipped with the reason otherwise.
netem_skip=
ns=ppdl-dist-$$
if [ "$(id -u)" != 0 ]; then netem_skip="not root"
elif ! ip netns add $ns 2>/dev/null; then netem_skip="ip netns is not available"
else
  ip netns exec $ns ip link set lo up
  if ! ip netns exec $ns tc qdisc add dev lo root netem delay 0ms 2>/dev/null; then
    netem_skip="the netem qdisc is not available (kernel module sch_netem)"
  fi
fi
if [ -n "$netem_skip" ]; then
  echo "skip netem: $netem_skip"
else
  cp "$here/product.ppdl" "$tmp/netem.ppdl"
  rounds=$("$bin" "$tmp/netem.ppdl" 2>/dev/null | sed -n 's/^cost: .* \([0-9]*\) rounds$/\1/p')
  timed() { local s0; s0=$(date +%s%N); ip netns exec $ns "$bin" --processes --seed 1 "$tmp/netem.ppdl" >/dev/null 2>&1; echo $(( ($(date +%s%N) - s0) / 1000000 )); }
  t0=$(timed)
  ip netns exec $ns tc qdisc change dev lo root netem delay 20ms
  t1=$(timed)
  if [ -n "$rounds" ] && [ $((t1 - t0)) -ge $((rounds * 20)) ]; then ok "netem: $rounds rounds at 20 ms cost $((t1 - t0)) ms more (>= $((rounds * 20)))"
  else bad "netem: wall time grows with rounds x latency" "$rounds rounds, ${t0} ms without delay, ${t1} ms with 20 ms"; fi
fi
[ -n "$(ip netns list 2>/dev/null | grep -w $ns)" ] && ip netns del $ns

echo "$pass passed, $fail failed"
[ $fail = 0 ]
