#!/usr/bin/env bash
# VM-migration demo: tarball of a VM's root filesystem → a booting rich container, operated
# like the VM: restart a service, reboot, read the last boot's journal, back up the disk.
set -euo pipefail
cd "$(dirname "$0")"
./make-vm-tarball.sh legacy-vm.tar.gz
rc() { echo "+ richcompose $*"; richcompose "$@"; }
rc up --wait                       # returns once systemd says running (or degraded)
rc ps
rc exec -T vm systemctl restart legacy-store.service   # the container stays up
rc exec -T vm systemctl is-active legacyd.service legacy-store.service
rc exec -T vm sh -c 'echo "written on $(date)" > /root/notes.txt'
rc exec -T vm systemctl reboot || true                  # the container starts again
until [ "$(richcompose exec -T vm systemctl is-system-running 2>/dev/null)" = running ]; do
  sleep 0.2
done
rc exec -T vm journalctl --list-boots --no-pager
rc exec -T vm cat /root/notes.txt                       # the disk survived the reboot
rc disk export vm legacy-vm-disk.tar                    # a backup of the VM's disk
rc down                                                 # keeps the disk; `down -v` removes it
