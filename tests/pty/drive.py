#!/usr/bin/env python3
"""drive.py — runs ppdl's REPL inside a real pseudo-terminal and checks transcripts.

Usage: drive.py BIN TRANSCRIPT.t...   (standard library only: pty, os, select)

Each transcript (tests/pty/*.t) is a list of steps, one a line; '#' lines are comments.
TEXT arguments take the escapes \\r \\n \\t \\e \\\\ and \\xHH; $TMP is the transcript's
scratch directory (also HOME, and PPDL_HISTORY=$TMP/history unless `env` says otherwise).

  env NAME=VALUE     set a variable for the next `start`
  unset NAME         remove one (e.g. PPDL_HISTORY, to use $HOME/.ppdl_history)
  write PATH TEXT    write a file (before `start`)
  start [ARG...]     spawn BIN ARG... in a fresh 80x24 pty (waits for a previous one)
  send TEXT          type TEXT (no newline)
  sendline TEXT      type TEXT then Enter (\\r)
  sleep SECONDS      let the program run
  expect TEXT        * TEXT appears in the output after the previous match
  reject TEXT        * TEXT does not appear in the output so far after the previous match
  exit N             * the program exits with status N
  history N          * the history file holds N entries
  history-has TEXT   * one history entry is exactly TEXT
  history-last TEXT  * the newest history entry is exactly TEXT
  nofile PATH        * PATH does not exist
(history steps read $PPDL_HISTORY, or $HOME/.ppdl_history when it is unset.)

Steps marked * are assertions; each counts once as passed or failed.  The output is
compared after ANSI escape sequences and carriage returns are removed, so a match sees
what the user saw, in order.  After the first failure the rest of a transcript's
assertions count as failed.  The last line is "pty: N passed, N failed".
"""
import os
import pty
import re
import select
import signal
import struct
import sys
import tempfile
import time
import fcntl
import termios

TIMEOUT = float(os.environ.get("PTY_TIMEOUT", "10"))
ANSI = re.compile(rb"\x1b\[[0-9;?<=>]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[@-Z\\-_]|\x1b[()][0-9A-Za-z]")
ASSERTS = ("expect", "reject", "exit", "history", "history-has", "history-last", "nofile")


def unescape(s):
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            n = s[i + 1]
            if n == "x":
                out.append(chr(int(s[i + 2:i + 4], 16)))
                i += 4
                continue
            out.append({"r": "\r", "n": "\n", "t": "\t", "e": "\x1b", "\\": "\\"}.get(n, "\\" + n))
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def clean(raw):
    """What the user saw: escapes removed, \\r dropped, backspaces applied."""
    text = ANSI.sub(b"", raw).replace(b"\r", b"").decode("utf-8", "replace")
    out = []
    for ch in text:
        if ch == "\b":
            if out and out[-1] != "\n":
                out.pop()
        elif ch == "\x07":
            continue
        else:
            out.append(ch)
    return "".join(out)


def read_history(path):
    """Entries of a readline history file written with timestamps ('#<digits>' lines)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = f.read().split("\n")
    except OSError:
        return []
    if lines and lines[-1] == "":
        lines.pop()
    entries, cur = [], None
    for ln in lines:
        if re.fullmatch(r"#\d+", ln):
            if cur is not None:
                entries.append("\n".join(cur))
            cur = []
        elif cur is None:
            entries.append(ln)
        else:
            cur.append(ln)
    if cur is not None:
        entries.append("\n".join(cur))
    return entries


class Session:
    def __init__(self, argv, env):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            try:
                os.execve(argv[0], argv, env)
            finally:
                os._exit(127)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.raw = b""
        self.pos = 0           # where the next expect starts looking (in cleaned text)
        self.status = None

    def pump(self, timeout):
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return True
        try:
            data = os.read(self.fd, 65536)
        except OSError:
            data = b""
        if not data:
            return False
        self.raw += data
        return True

    def text(self):
        return clean(self.raw)

    def expect(self, want):
        deadline = time.time() + TIMEOUT
        while True:
            t = self.text()
            i = t.find(want, self.pos)
            if i >= 0:
                self.pos = i + len(want)
                return True
            left = deadline - time.time()
            if left <= 0 or not self.pump(min(left, 0.1)):
                t = self.text()
                i = t.find(want, self.pos)
                if i >= 0:
                    self.pos = i + len(want)
                    return True
                return False

    def settle(self, seconds):
        end = time.time() + seconds
        while time.time() < end and self.pump(max(0.0, min(0.05, end - time.time()))):
            pass

    def send(self, s):
        os.write(self.fd, s.encode("utf-8"))

    def wait(self):
        if self.status is not None:
            return self.status
        deadline = time.time() + TIMEOUT
        while time.time() < deadline:
            self.pump(0.05)
            pid, st = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                while self.pump(0.05):
                    if not select.select([self.fd], [], [], 0)[0]:
                        break
                self.status = os.waitstatus_to_exitcode(st)
                return self.status
        return None

    def kill(self):
        if self.status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except OSError:
                pass
            self.status = -9
        try:
            os.close(self.fd)
        except OSError:
            pass


def run_transcript(binary, path):
    name = os.path.basename(path)
    passed = failed = 0
    with open(path, encoding="utf-8") as f:
        steps = [ln.rstrip("\n") for ln in f]
    tmp = tempfile.mkdtemp(prefix="ppdl-pty-")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": tmp,
           "TERM": "xterm", "LANG": "C.UTF-8", "PPDL_HISTORY": tmp + "/history",
           "INPUTRC": "/dev/null"}
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        if k in os.environ:
            env[k] = os.environ[k]
    sess, broken = None, None
    for lineno, line in enumerate(steps, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cmd, _, arg = line.partition(" ")
        arg = arg.replace("$TMP", tmp)
        where = "%s:%d: %s" % (name, lineno, line)
        if broken:
            if cmd in ASSERTS:
                failed += 1
            continue
        ok = True
        if cmd == "env":
            k, _, v = arg.partition("=")
            env[k] = unescape(v)
        elif cmd == "unset":
            env.pop(arg, None)
        elif cmd == "nofile":
            ok = not os.path.exists(arg)
        elif cmd == "write":
            p, _, body = arg.partition(" ")
            with open(p, "w", encoding="utf-8") as f:
                f.write(unescape(body))
        elif cmd == "start":
            if sess:
                sess.wait()
                sess.kill()
            sess = Session([binary] + arg.split(), env)
        elif cmd == "send":
            sess.send(unescape(arg))
        elif cmd == "sendline":
            sess.send(unescape(arg) + "\r")
        elif cmd == "sleep":
            sess.settle(float(arg))
        elif cmd == "expect":
            ok = sess.expect(unescape(arg))
        elif cmd == "reject":
            sess.settle(0.3)
            ok = unescape(arg) not in sess.text()[sess.pos:]
        elif cmd == "exit":
            st = sess.wait()
            ok = st == int(arg)
            if not ok:
                where += "  (got %s)" % st
        elif cmd in ("history", "history-has", "history-last"):
            if sess:
                sess.wait()
            h = read_history(env.get("PPDL_HISTORY", tmp + "/.ppdl_history"))
            want = unescape(arg)
            if cmd == "history":
                ok = len(h) == int(arg)
            elif cmd == "history-has":
                ok = want in h
            else:
                ok = bool(h) and h[-1] == want
            if not ok:
                where += "  (history: %r)" % h
        else:
            print("%s: unknown step '%s'" % (name, cmd))
            ok = False
        if cmd in ASSERTS or not ok:
            if ok:
                passed += 1
            else:
                failed += 1
                broken = where
    if sess:
        if not broken and sess.wait() is None:
            broken = "%s: the program did not exit" % name
            failed += 1
        sess.kill()
    if broken:
        print("FAIL %s" % broken)
        if sess:
            t = sess.text()
            print("  --- output after the last match (cleaned) ---")
            for ln in t[max(0, sess.pos - 200):].split("\n")[-25:]:
                print("  | " + ln)
    else:
        print("ok   %s (%d checks)" % (name, passed))
    for root, dirs, files in os.walk(tmp, topdown=False):
        for fn in files:
            os.unlink(os.path.join(root, fn))
        for d in dirs:
            os.rmdir(os.path.join(root, d))
    os.rmdir(tmp)
    return passed, failed


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    binary = os.path.abspath(sys.argv[1])
    passed = failed = 0
    for t in sys.argv[2:]:
        p, f = run_transcript(binary, t)
        passed += p
        failed += f
    print("pty: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
