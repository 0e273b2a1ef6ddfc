#!/usr/bin/env python3
"""check.py — runs the README's examples as they are written, so the README cannot drift.

Usage: check.py BIN [FILE.md | FILE.ppdl ...]   (default README.md; run from the repository
root).  A FILE.ppdl is checked as a ```ppdl block is, run where it is (docs/lab's
solutions in samples/lab/).

Fenced blocks are taken by their info string:
  ```repl   a REPL session: each "ppdl> " line is typed into the real REPL in a
            pseudo-terminal (tests/pty/drive.py), and every other line of the block
            must appear in what the REPL printed, in order.
  ```ppdl   a script: it runs in a private directory (samples/ linked), must exit 0 with
            nothing on stderr but the classroom warnings, and each "# prints TEXT"
            comment's TEXT must be a line of its output, in order.
  ```sh / ``` (no info string)   shell commands and plain text: not run.
Each block counts once; the last line is "N passed, N failed".
"""
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "pty"))
import drive  # noqa: E402

ALLOWED = re.compile(r"^warning: (seed\(\d+\): randomness is now reproducible and INSECURE"
                     r"|a \d+-bit Paillier key is insecure)")


def blocks(path):
    """Yields (info, first line number, lines) for each fenced block."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r"^```(\S*)\s*$", lines[i])
        if not m:
            i += 1
            continue
        info, start, body = m.group(1), i + 2, []
        i += 1
        while i < len(lines) and not lines[i].startswith("```"):
            body.append(lines[i])
            i += 1
        i += 1
        yield info, start, body


def escape(s):
    return s.replace("\\", "\\\\")


def check_repl(binary, where, body):
    with tempfile.NamedTemporaryFile("w", suffix=".t", delete=False, encoding="utf-8") as t:
        t.write("start\n")
        for ln in body:
            if ln.startswith("ppdl> "):
                t.write("expect ppdl> \n")
                t.write("sendline %s\n" % escape(ln[len("ppdl> "):]))
            elif ln.strip():
                t.write("expect %s\n" % escape(ln))
        t.write("expect ppdl> \nsend \\x04\nexit 0\n")
        name = t.name
    try:
        passed, failed = drive.run_transcript(binary, name)
    finally:
        os.unlink(name)
    if failed:
        print("FAIL %s: the REPL session differs from the README (see above)" % where)
    return failed == 0


def check_script(binary, root, where, body, path=None):
    """Runs body (or the script at path, in place) in a private directory."""
    want = []
    for ln in body:
        m = re.search(r"#\s*prints\s+(.*\S)\s*$", ln)
        if m:
            want.append(m.group(1))
    with tempfile.TemporaryDirectory(prefix="ppdl-readme-") as work:
        os.symlink(os.path.join(root, "samples"), os.path.join(work, "samples"))
        if path is None:
            path = os.path.join(work, "block.ppdl")
            with open(path, "w", encoding="utf-8") as f:
                f.write("\n".join(body) + "\n")
        env = dict(os.environ, PPDL_HISTORY="/dev/null")
        p = subprocess.run([binary, path], cwd=work, env=env, capture_output=True,
                           text=True, timeout=300, stdin=subprocess.DEVNULL)
    why = None
    if p.returncode != 0:
        why = "exit %d" % p.returncode
    bad = [ln for ln in p.stderr.splitlines() if not ALLOWED.match(ln)]
    if not why and bad:
        why = "unexpected stderr: %s" % bad[0]
    out, pos = p.stdout.splitlines(), 0
    for w in want:
        if why:
            break
        while pos < len(out) and out[pos].strip() != w:
            pos += 1
        if pos == len(out):
            why = "the comment says it prints %r; that line is not in the output (in order)" % w
        pos += 1
    if why:
        print("FAIL %s: %s" % (where, why))
        for ln in (p.stdout.splitlines()[-15:] + p.stderr.splitlines()[-5:]):
            print("  | " + ln)
        return False
    print("ok   %s (%d printed lines checked)" % (where, len(want)))
    return True


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    binary = os.path.abspath(sys.argv[1])
    root = os.getcwd()
    passed = failed = 0
    for md in sys.argv[2:] or ["README.md"]:
        if md.endswith(".ppdl"):
            with open(md, encoding="utf-8") as f:
                body = f.read().split("\n")
            ok = check_script(binary, root, md, body, os.path.abspath(md))
            passed += ok
            failed += not ok
            continue
        for info, line, body in blocks(md):
            where = "%s:%d (%s block)" % (md, line, info)
            if info == "repl":
                ok = check_repl(binary, where, body)
            elif info == "ppdl":
                ok = check_script(binary, root, where, body)
            else:
                continue
            passed += ok
            failed += not ok
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
