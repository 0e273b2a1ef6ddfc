#!/bin/bash
# tests/pty/run.sh [BIN] — the command-line checks (exit codes, -e, --version, --help,
# scripts from a file and from stdin, usage errors) run here in the shell, then the REPL
# transcripts tests/pty/*.t driven through a real pseudo-terminal by drive.py.  Each
# check counts once; prints one closing line "N passed, N failed" and exits non-zero
# when anything failed.  Run from the repository root (make test does).
bin=${1:-./ppdl}
here=$(dirname "$0")
pass=0; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export PPDL_HISTORY=/dev/null

# check NAME WANT_STATUS WANT_STDOUT WANT_STDERR_SUBSTRING -- COMMAND...
# WANT_STDOUT is compared exactly ('*' skips it); the stderr pattern is a fixed
# substring ('' means stderr must be empty, '*' skips it).  Stdin is /dev/null unless
# the command redirects it.
check() {
  local name=$1 want_rc=$2 want_out=$3 want_err=$4; shift 5
  "$@" >"$tmp/out" 2>"$tmp/err" </dev/null; local rc=$?
  local why=
  [ "$rc" = "$want_rc" ] || why="exit $rc, wanted $want_rc"
  if [ -z "$why" ] && [ "$want_out" != '*' ] && [ "$(cat "$tmp/out")" != "$want_out" ]; then
    why="stdout differs"
  fi
  if [ -z "$why" ] && [ "$want_err" != '*' ]; then
    if [ -z "$want_err" ]; then [ -s "$tmp/err" ] && why="unexpected stderr"
    elif ! grep -qF -- "$want_err" "$tmp/err"; then why="stderr lacks: $want_err"; fi
  fi
  if [ -z "$why" ]; then pass=$((pass + 1)); echo "ok   cli: $name"
  else
    fail=$((fail + 1)); echo "FAIL cli: $name ($why)"
    sed 's/^/  out| /' "$tmp/out" | head -10; sed 's/^/  err| /' "$tmp/err" | head -10
  fi
}
# piped NAME WANT_STATUS WANT_STDOUT WANT_STDERR INPUT -- COMMAND...: same, stdin = INPUT
piped() {
  local input=$5; printf '%b' "$input" >"$tmp/in"
  local name=$1 a=$2 b=$3 c=$4; shift 6
  check "$name" "$a" "$b" "$c" -- sh -c '"$@" <"$0"' "$tmp/in" "$@"
}

printf 'x = 20\nprint(x * 2 + 2)\n' >"$tmp/ok.ppdl"
printf 'x = 1\nprint(x)\nprint(nosuchname)\nprint("not reached")\n' >"$tmp/bad.ppdl"
printf 'if true {\n  print(1)\n' >"$tmp/open.ppdl"

check "--version"                 0 "ppdl 0.1.0" ''                      -- "$bin" --version
# keygen: a key pair in the current directory, the secret 0600, never replaced
abs=$(realpath "$bin"); mkdir -p "$tmp/keys"
check "keygen writes a key pair"  0 '*' "wrote alice.key"                -- env -C "$tmp/keys" "$abs" keygen alice
cp "$tmp/out" "$tmp/keygen.out"
check "keygen prints the .pub"    0 "$(cat "$tmp/keygen.out")" ''         -- cat "$tmp/keys/alice.pub"
check "keygen secret is 0600"     0 "600" ''                             -- stat -c %a "$tmp/keys/alice.key"
check "keygen never replaces"     1 '' "exists already"                  -- env -C "$tmp/keys" "$abs" keygen alice
check "keygen needs a NAME"       2 '' "keygen needs one NAME"           -- "$bin" keygen
check "serve needs a party"       2 '' "serve needs --party NAME"        -- "$bin" serve
check "--help goes to stdout"     0 '*' ''                               -- "$bin" --help
check "--help shows usage"        0 '*' '*'                              -- grep -q '^usage: ppdl' <("$bin" --help)
check "-h"                        0 '*' ''                               -- "$bin" -h
check "-e runs code"              0 "3" ''                               -- "$bin" -e 'print(1 + 2)'
check "-e twice, in order"        0 "$(printf '1\n2')" ''                -- "$bin" -e 'a = 1' -e 'print(a)' -e 'print(a + 1)'
check "-e error exits 1"          1 '' "<-e>:1:7: error:"                -- "$bin" -e 'print(nosuchname)'
check "-e incomplete exits 1"     1 '' "error:"                          -- "$bin" -e 'if true {'
check "-e without code exits 2"   2 '' "ppdl: option '-e' needs an argument" -- "$bin" -e
check "script file"               0 "42" ''                              -- "$bin" "$tmp/ok.ppdl"
check "script error exits 1"      1 "1" "bad.ppdl:3:7: error:"           -- "$bin" "$tmp/bad.ppdl"
check "script error has a caret"  1 '*' "^"                              -- "$bin" "$tmp/bad.ppdl"
check "unclosed block exits 1"    1 '' "error:"                          -- "$bin" "$tmp/open.ppdl"
check "missing file exits 2"      2 '' "ppdl: cannot open 'nope.ppdl': No such file or directory" -- "$bin" nope.ppdl
check "directory exits 2"         2 '' "ppdl: cannot open '$tmp': Is a directory" -- "$bin" "$tmp"
check "unknown option exits 2"    2 '' "ppdl: unknown option '--frobnicate'" -- "$bin" --frobnicate
check "two scripts exit 2"        2 '' "ppdl: unexpected argument"       -- "$bin" "$tmp/ok.ppdl" "$tmp/ok.ppdl"
check "--seed without N exits 2"  2 '' "needs an argument"               -- "$bin" --seed
check "--seed junk exits 2"       2 '' "invalid seed '12x'"              -- "$bin" --seed 12x -e 'print(1)'
check "--seed -1 exits 2"         2 '' "invalid seed '-1'"               -- "$bin" --seed -1 -e 'print(1)'
check "--seed warns it is insecure" 0 "1" "INSECURE"                     -- "$bin" --seed 42 -e 'print(1)'
check "--seed=N form"             0 "1" "INSECURE"                        -- "$bin" --seed=42 -e 'print(1)'
check "options after FILE"        0 "42" "INSECURE"                       -- "$bin" "$tmp/ok.ppdl" --seed 7
check "-- ends options"           2 '' "cannot open '--version'"         -- "$bin" -- --version
piped "script from stdin"         0 "42" '' 'x = 40\nprint(x + 2)\n'      -- "$bin"
piped "'-' reads stdin"           0 "42" '' 'print(40 + 2)\n'             -- "$bin" -
piped "stdin error names <stdin>" 1 "1" "<stdin>:2:7: error:" 'print(1)\nprint(nosuchname)\n' -- "$bin"
piped "stdin incomplete exits 1"  1 '' "error:" 'fn f(x) {\n  return x\n' -- "$bin"
piped "stdin: no echo of values"  0 "" '' '1 + 2\n'                      -- "$bin"
# after an if block the REPL waits one line for a possible `else`; the next statement
# ends the wait and both run
piped "-i on a pipe: prompts, echo, continuation" 0 \
  "$(printf '%s\n' 'ppdl> 10' 'ppdl>   ...   ... 3' '11' 'ppdl> ')" '' 'x\nif true {\nprint(x - 7) }\nx + 1\n' -- sh -c '"$0" -i -e "x = 10" | tail -n +2' "$bin"
piped "-i on a pipe: an if block at the end of input runs" 0 \
  "$(printf '%s\n' 'ppdl>   ... ' '3')" '' 'if true { print(3) }\n' -- sh -c '"$0" -i | tail -n +2' "$bin"
check "--dump-ast prints the tree" 0 "(program (assign (name x) (num 1)))" '' -- "$bin" --dump-ast -e 'x = 1'
check "--dump-ast syntax error"   1 '' "<-e>:1:4: error:"                -- "$bin" --dump-ast -e 'if {'
printf 'x = 1\nwhile true { x = x + 1 }\n' >"$tmp/spin.ppdl"
check "Ctrl-C stops a script: exit 1" 0 "1" "spin.ppdl:2:" -- python3 -c '
import signal, subprocess, sys, time
p = subprocess.Popen(sys.argv[1:], stderr=subprocess.PIPE,
                     preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
time.sleep(0.5)
p.send_signal(signal.SIGINT)
err = p.communicate(timeout=30)[1].decode()
sys.stderr.write(err)
print(p.returncode if "interrupted" in err else "no interrupted error")' "$bin" "$tmp/spin.ppdl"

# Installed samples run from anywhere: a data file not found from the working directory
# is read next to the script (as `make install` lays samples out).
mkdir -p "$tmp/share/samples/data" "$tmp/elsewhere"
cp samples/pima_plain.ppdl "$tmp/share/samples/"; cp samples/data/pima_diabetes.csv "$tmp/share/samples/data/"
case $bin in /*) abin=$bin ;; *) abin=$(pwd)/$bin ;; esac
check "a sample runs from another directory" 0 '*' 'warning: seed(1)' -- sh -c 'cd "$1" && "$2" "$3"' sh \
      "$tmp/elsewhere" "$abin" "$tmp/share/samples/pima_plain.ppdl"
mkdir -p "$tmp/share/samples/lab"; cp samples/lab/ex6_budget.ppdl "$tmp/share/samples/lab/"
check "a lab solution runs from another directory" 0 '*' '*' -- sh -c 'cd "$1" && "$2" "$3" | tail -n 1 | grep -q "^result: spent="' sh \
      "$tmp/elsewhere" "$abin" "$tmp/share/samples/lab/ex6_budget.ppdl"
check "no script test writes a fixed /tmp path (each runs in its own directory)" 1 '' '' -- sh -c 'grep -n "\"/tmp/" tests/scripts/*.ppdl'
check "no sample names its data from the source tree's root" 1 '' '' -- sh -c 'grep -n "\"samples/" samples/*.ppdl samples/lab/*.ppdl'
check "a missing data file still names the path" 1 '' "cannot open" -- sh -c 'cd "$1" && "$2" -e "$3"' sh \
      "$tmp/elsewhere" "$abin" 'load_csv("data/nowhere.csv")'
printf 'try {\n  while true { }\n} catch e {\n  print("caught", e.message)\n}\nprint("after")\n' >"$tmp/trap.ppdl"
check "Ctrl-C is not caught by try" 0 "1" "trap.ppdl:2:" -- python3 -c '
import signal, subprocess, sys, time
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                     preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
time.sleep(0.5)
p.send_signal(signal.SIGINT)
out, err = p.communicate(timeout=30)
sys.stderr.write(err.decode())
print(p.returncode if "interrupted" in err.decode() and not out else "caught or went on: " + out.decode())' "$bin" "$tmp/trap.ppdl"

# samples/encrypted_inference.ppdl prints timings, so its output is not a golden file:
# it asserts its claims (predictions identical to the plaintext network's, ciphertexts
# only at the server) and ends with its result line
check "encrypted inference asserts its claims" 0 '*' '*' -- sh -c '"$0" samples/encrypted_inference.ppdl | tail -n 1 | grep -q "^result: encrypted inference matches the plaintext network on 100/100"' "$bin"

# --- the REPL through a pseudo-terminal -------------------------------------------------
if command -v python3 >/dev/null; then
  out=$(python3 "$here/drive.py" "$bin" "$here"/*.t 2>&1); rc=$?
  printf '%s\n' "$out" | grep -v '^pty: '
  line=$(printf '%s\n' "$out" | grep '^pty: ' | tail -1)
  p=$(printf '%s' "$line" | sed -n 's/^pty: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
  f=$(printf '%s' "$line" | sed -n 's/^pty: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
  if [ -z "$p" ]; then p=0; f=1; echo "FAIL pty driver did not finish"; fi
  [ $rc -ne 0 ] && [ "$f" = 0 ] && f=1
  pass=$((pass + p)); fail=$((fail + f))
else
  echo "FAIL pty: python3 not found"; fail=$((fail + 1))
fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
