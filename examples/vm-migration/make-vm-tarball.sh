#!/usr/bin/env bash
# make-vm-tarball.sh OUT.tar.gz: stands in for "the old VM's root filesystem, tarred up":
# a Debian tree with systemd (scripts/make-systemd-rootfs) plus a legacy app installed the
# way it was on the VM: files under /opt/legacy and two enabled units, legacyd Requires= the
# legacy-store.
set -euo pipefail
out=${1:-legacy-vm.tar.gz}
[ -s "$out" ] && exit 0
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$here/../../scripts/make-systemd-rootfs" "$work/root"
root=$work/root
mkdir -p "$root/opt/legacy" "$root/var/lib/legacy"
cat > "$root/opt/legacy/legacy-store" <<'APP'
#!/bin/sh
# The VM's "database": a tiny daemon the legacy app cannot run without.
trap 'exit 0' TERM
while :; do date -u +%s > /var/lib/legacy/store.heartbeat; sleep 1 & wait $!; done
APP
cat > "$root/opt/legacy/legacyd" <<'APP'
#!/bin/sh
# The "legacy application": writes a heartbeat, as it did on the VM for ten years.
trap 'exit 0' TERM
while :; do date -u +%s > /var/lib/legacy/heartbeat; sleep 1 & wait $!; done
APP
cat > "$root/opt/legacy/initscript.sh" <<'INIT'
#!/bin/sh
# Runs inside the container before boot, on every start: the OCI state JSON is on stdin.
state=$(cat)
echo "$state" > /var/lib/legacy/last-start.json
date -u +%s >> /var/lib/legacy/starts
echo "initscript: prepared /var/lib/legacy"
INIT
cat > "$root/etc/systemd/system/legacy-store.service" <<'UNIT'
[Unit]
Description=The legacy store the daemon needs

[Service]
ExecStart=/opt/legacy/legacy-store
Restart=always

[Install]
WantedBy=multi-user.target
UNIT
cat > "$root/etc/systemd/system/legacyd.service" <<'UNIT'
[Unit]
Description=The legacy daemon that came with the VM
Requires=legacy-store.service
After=legacy-store.service

[Service]
ExecStart=/opt/legacy/legacyd
Restart=always

[Install]
WantedBy=multi-user.target
UNIT
chmod 755 "$root/opt/legacy/legacyd" "$root/opt/legacy/legacy-store" "$root/opt/legacy/initscript.sh"
mkdir -p "$root/etc/systemd/system/multi-user.target.wants"
for unit in legacy-store legacyd; do
  ln -sf "/etc/systemd/system/$unit.service" "$root/etc/systemd/system/multi-user.target.wants/$unit.service"
done
tar -C "$root" --numeric-owner -czf "$out.tmp" .
mv "$out.tmp" "$out"
