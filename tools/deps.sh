#!/bin/sh
# Installs the Debian packages ppdl needs, only those missing.  With --check-or-install
# it first checks that the build tools and headers are present and does nothing if so.
# apt-get runs through sudo when not root.
set -e
check=0
if [ "$1" = "--check-or-install" ]; then check=1; shift; fi
missing=""
for p in "$@"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
    missing="$missing $p"
  fi
done
if [ -z "$missing" ]; then
  [ $check = 1 ] || echo "deps: all of $* installed"
  exit 0
fi
echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || true
$SUDO apt-get install -y -qq $missing
