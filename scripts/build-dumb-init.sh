#!/usr/bin/env bash
# Builds a statically linked dumb-init from the PyPI source distribution (one C file).
# Debian's and the wheel's builds are dynamic (glibc) and fail in busybox/musl images.
set -euo pipefail
dest=${RICHCOMPOSE_LIBEXEC:-/usr/local/libexec/richcompose}/dumb-init
[ -x "$dest" ] && "$dest" --version >/dev/null 2>&1 && exit 0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m pip download -q --disable-pip-version-check --no-deps --no-binary :all: -d "$work" "dumb-init==1.2.5.post1"
tar -xzf "$work"/dumb-init-*.tar.gz -C "$work"
src=$(echo "$work"/dumb-init-*/)
mkdir -p "$(dirname "$dest")"
gcc -std=gnu99 -static -s -O2 -Wall -I"$src" -o "$dest.tmp" "$src/dumb-init.c"
mv "$dest.tmp" "$dest"
echo "setup: built static $dest"
