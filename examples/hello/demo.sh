#!/usr/bin/env bash
# The hello demo: bring a rich two-service project up under runc, look inside, take it down.
set -euo pipefail
cd "$(dirname "$0")"
../../scripts/make-busybox-rootfs rootfs
rc() { echo "+ richcompose $*"; richcompose "$@"; }
rc up -d
rc ps
sleep 0.5
rc logs
rc exec -T app ps
rc down
echo "+ runc --root ${RICHCOMPOSE_ROOT:-/var/lib/richcompose}/runc list"
runc --root "${RICHCOMPOSE_ROOT:-/var/lib/richcompose}/runc" list
