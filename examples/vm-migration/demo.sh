#!/usr/bin/env bash
# VM-migration demo: tarball of a VM's root filesystem → a booting rich container.
set -euo pipefail
cd "$(dirname "$0")"
./make-vm-tarball.sh legacy-vm.tar.gz
rc() { echo "+ richcompose $*"; richcompose "$@"; }
rc up -d
until [ "$(richcompose exec -T vm systemctl is-system-running 2>/dev/null)" = running ]; do
  sleep 0.2
done
rc exec -T vm systemctl is-active legacyd.service
rc exec -T vm cat /var/lib/legacy/heartbeat
rc exec -T vm ps -ef
rc logs --tail 5
rc down
