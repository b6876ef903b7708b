#!/usr/bin/env bash
# For the benchmarks only (bench/vs_podman.py, bench/systemd_boot.py): Debian's podman and
# podman-compose from PyPI in its own venv. Never part of scripts/setup.sh: richcompose does
# not use podman. Idempotent. Prints the venv's podman-compose path on the last line.
#
# Storage and configuration live under the directory given as $1 (a temp dir the bench makes
# and removes), as ../shared/FIELD-NOTES.md says podman needs it on this host: root lacks
# CAP_SYS_RESOURCE (so both default_ulimits), cgroupfs, file events, runc, and no static_dir.
set -euo pipefail
work=${1:?usage: setup-podman.sh WORKDIR}
venv=${PODMAN_COMPOSE_VENV:-/var/cache/richcompose-bench/podman-compose-venv}

if ! command -v podman >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends podman >/dev/null
fi
if [ ! -x "$venv/bin/podman-compose" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check podman-compose
fi

mkdir -p "$work/storage/root" "$work/storage/run" "$work/tmp"
cat > "$work/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
tmp_dir = "$work/tmp"
[network]
network_config_dir = "$work/cni"
CONF
cat > "$work/storage.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "$work/storage/root"
runroot = "$work/storage/run"
CONF
echo "$venv/bin/podman-compose"
