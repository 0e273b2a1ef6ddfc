#!/bin/bash
# tests/interop/phe.sh [BIN] — round trips between ppdl and python-paillier (phe), the
# library whose file formats ppdl speaks: phe's keys (pheutil's private-key form with
# "p" and "q") and its ciphertexts (a list of ordinary floats, each with its own
# exponent, and pheutil's encrypt) load and decrypt in ppdl; ppdl's keys and ciphertexts
# decrypt in phe and through pheutil's decrypt; sums phe computes on ppdl's ciphertexts
# decrypt in ppdl.  phe's source is found at $PHE_SRC or ../shared/peers/python-paillier
# beside the repository; without it or python3 the checks are skipped (with a message),
# not failed; without python3-click, pheutil's commands are imitated by phe_peer.py.
# $PYTHON picks the interpreter (default python3).  Prints one closing line
# "N passed, N failed".  Run from the repository root.
bin=${1:-./ppdl}
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
here=$(cd "$(dirname "$0")" && pwd)
phe=${PHE_SRC:-$here/../../../shared/peers/python-paillier}
py=$(command -v "${PYTHON:-python3}")
if [ -z "$py" ]; then echo "skip interop: python3 not found"; echo "0 passed, 0 failed"; exit 0; fi
if [ ! -f "$phe/phe/paillier.py" ] || ! PYTHONPATH=$phe "$py" -c 'import phe' 2>/dev/null; then
  echo "skip interop: python-paillier not found at $phe (set PHE_SRC)"
  echo "0 passed, 0 failed"; exit 0
fi
export PYTHONPATH=$phe PPDL_HISTORY=/dev/null
have_click=1; "$py" -c 'import click' 2>/dev/null || have_click=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "ok   interop: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL interop: $1"; [ -n "$2" ] && sed 's/^/    /' "$2" | head -20; }
pheutil() { "$py" -m phe.command_line "$@"; }
peer() { "$py" "$here/phe_peer.py" "$@"; }
# ppdl NAME WANT: runs $tmp/NAME.ppdl and compares its stdout with WANT
ppdl() {
  if "$bin" "$tmp/$1.ppdl" >"$tmp/$1.out" 2>"$tmp/$1.err" </dev/null &&
     [ "$(cat "$tmp/$1.out")" = "$2" ]; then ok "$1"
  else
    { echo "--- want"; echo "$2"; echo "--- got"; cat "$tmp/$1.out" "$tmp/$1.err"; } >"$tmp/why"
    bad "$1" "$tmp/why"
  fi
}

# 1. phe's keys (pheutil genpkey: "p" and "q") and ciphertexts, read by ppdl
if [ $have_click = 1 ]; then
  pheutil genpkey --keysize 512 "$tmp/phe_priv.jwk" 2>/dev/null &&
    pheutil extract "$tmp/phe_priv.jwk" "$tmp/phe_pub.jwk" 2>/dev/null &&
    pheutil encrypt "$tmp/phe_pub.jwk" --output "$tmp/phe_one.json" -- -42.5 2>/dev/null
else
  echo "note interop: python3-click missing, pheutil's commands are imitated"
  peer genpkey "$tmp" && echo '{"v": "1", "e": 0}' >"$tmp/phe_one.json"
fi
if grep -q '"p"' "$tmp/phe_priv.jwk" && ! grep -q '"lambda"' "$tmp/phe_priv.jwk"; then
  ok "phe writes private keys with p and q only"
else bad "phe writes private keys with p and q only" "$tmp/phe_priv.jwk"; fi
peer ciphertexts "$tmp" >"$tmp/exps" || bad "phe encrypts floats" "$tmp/exps"
values=$(cat "$tmp/phe_values.txt")
cat >"$tmp/phe_to_ppdl.ppdl" <<PPDL
party me
sk = load_key("$tmp/phe_priv.jwk", keyholder = me)
pk = load_key("$tmp/phe_pub.jwk")
print(sk.bits, pk.bits)
on me {
    c = load_ciphertext("$tmp/phe_list.json", sk)
    print(c.shape, c.exponent)
    print(max(abs(decrypt(c) - tensor([$values]))))
    save_ciphertext(encrypt(tensor([[0.5, -1.5], [2, 3]]), pk), "$tmp/ppdl_under_phe.json")
}
PPDL
emin=$(tr ' ' '\n' <"$tmp/exps" | grep -- '^-' | sort -n | head -1)
ppdl phe_to_ppdl "512 512
[7] $emin
0"
if [ $have_click = 1 ]; then
  cat >"$tmp/pheutil_to_ppdl.ppdl" <<PPDL
party me
sk = load_key("$tmp/phe_priv.jwk", keyholder = me)
on me { print(decrypt(load_ciphertext("$tmp/phe_one.json", sk))) }
PPDL
  ppdl pheutil_to_ppdl "-42.5"
fi

# 2. ppdl's keys and ciphertexts, read by phe and pheutil
cat >"$tmp/ppdl_keys.ppdl" <<PPDL
party me
scheme he = paillier(bits = 512, keyholder = me)
save_key(he, "$tmp/ppdl_pub.jwk")
on me {
    save_key(he, "$tmp/ppdl_priv.jwk", private = true)
    save_ciphertext(encrypt(tensor([1.5, -2.25, 1000.125, 0.0078125]), he), "$tmp/ppdl_list.json")
    save_ciphertext(encrypt(1.5, he), "$tmp/ppdl_one.json")
}
PPDL
ppdl ppdl_keys ""
if [ $have_click = 1 ]; then
  out=$(pheutil decrypt "$tmp/ppdl_priv.jwk" "$tmp/ppdl_one.json" 2>"$tmp/why")
  if [ "$out" = "1.5" ]; then ok "pheutil decrypt reads ppdl's key and ciphertext"
  else echo "got '$out'" >>"$tmp/why"; bad "pheutil decrypt reads ppdl's key and ciphertext" "$tmp/why"; fi
  pheutil add "$tmp/ppdl_pub.jwk" "$tmp/ppdl_one.json" 0.3 --output "$tmp/pheutil_add.json" 2>/dev/null
fi
peer check "$tmp" >"$tmp/check" 2>&1
while read -r verdict rest; do
  case $verdict in ok) ok "$rest" ;; FAIL) bad "$rest" ;; esac
done <"$tmp/check"
grep -qE '^(ok|FAIL) ' "$tmp/check" || bad "phe reads ppdl's files" "$tmp/check"

# 3. sums phe computed on ppdl's ciphertexts, back in ppdl
cat >"$tmp/phe_sum_to_ppdl.ppdl" <<PPDL
party me
sk = load_key("$tmp/ppdl_priv.jwk", keyholder = me)
on me {
    s = load_ciphertext("$tmp/phe_sum.json", sk)
    print(abs(decrypt(s) - $(cat "$tmp/phe_sum_want.txt" 2>/dev/null || echo 0)) < 1e-9)
}
PPDL
ppdl phe_sum_to_ppdl "true"
if [ $have_click = 1 ]; then
  cat >"$tmp/pheutil_add_to_ppdl.ppdl" <<PPDL
party me
sk = load_key("$tmp/ppdl_priv.jwk", keyholder = me)
on me { print(abs(decrypt(load_ciphertext("$tmp/pheutil_add.json", sk)) - 1.8) < 1e-12) }
PPDL
  ppdl pheutil_add_to_ppdl "true"
fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
