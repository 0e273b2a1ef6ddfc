#!/bin/sh
# The lab (docs/lab/) as its students will meet it: every ```ppdl block of its pages and
# every solution script in samples/lab/ runs (from the repository root, in a private
# working directory with samples/ linked), must exit 0 with nothing on stderr but the
# classroom warnings (so each script's assert() claims hold), and each "# prints TEXT"
# comment must be a line of its output.  tests/readme/check.py does the checking.
# Usage: tests/lab/run.sh BIN; the last line is "N passed, N failed".
exec python3 "$(dirname "$0")/../readme/check.py" "$1" docs/lab/*.md samples/lab/*.ppdl
