#!/usr/bin/env bash
# Creates the Debian 11 (bullseye, glibc 2.31) build root the release prebuild is compiled in,
# so the binary runs on every system Node 20 itself supports (glibc >= 2.28): the newest glibc
# symbol versions it can pick up are bullseye's, and the build checks they stay <= 2.28.
# Needs root and Debian's archive (about 100 MB, 1-2 minutes); reused when present.
#   scripts/prebuild/make-root.sh [root]   (default $GRADLOOP_BUILD_ROOT or /var/cache/gradloop/bullseye)
set -euo pipefail
root=${1:-${GRADLOOP_BUILD_ROOT:-/var/cache/gradloop/bullseye}}
mirror=${GRADLOOP_DEBIAN_MIRROR:-http://deb.debian.org/debian}
packages=g++,make,cmake,libopenblas-dev

if [ -x "$root/usr/bin/g++" ] && [ -e "$root/usr/lib/x86_64-linux-gnu/libopenblas.a" ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "make-root: creating the build root $root needs root (debootstrap, chroot)" >&2
  exit 1
fi
if ! command -v debootstrap >/dev/null; then
  apt-get install -y -q debootstrap >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q debootstrap >/dev/null; }
fi
echo "make-root: debootstrap bullseye into $root ($packages)" >&2
rm -rf "$root.partial"
mkdir -p "$(dirname "$root")"
debootstrap --variant=minbase --include="$packages" bullseye "$root.partial" "$mirror" >"$root.log" 2>&1 ||
  { tail -20 "$root.log" >&2; exit 1; }
mv "$root.partial" "$root"
