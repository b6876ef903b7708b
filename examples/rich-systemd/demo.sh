#!/usr/bin/env bash
# rich-systemd demo: boot systemd in a container, wait for `running`, look inside, stop.
set -euo pipefail
cd "$(dirname "$0")"
../../scripts/make-systemd-rootfs rootfs
rc() { echo "+ richcompose $*"; richcompose "$@"; }
start=$(date +%s.%N)
rc up -d
until [ "$(richcompose exec -T app systemctl is-system-running 2>/dev/null)" = running ]; do
  sleep 0.1
done
echo "systemd running $(echo "$(date +%s.%N) - $start" | bc) s after up -d"
rc exec -T app ps -ef
rc logs --tail 5
rc down
