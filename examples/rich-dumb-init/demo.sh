#!/usr/bin/env bash
# rich-dumb-init demo: bring it up, look at PID 1 and the logs, take it down.
set -euo pipefail
cd "$(dirname "$0")"
../../scripts/make-busybox-rootfs rootfs
rc() { echo "+ richcompose $*"; richcompose "$@"; }
rc up -d
rc exec -T app ps
rc logs
rc down
cat poststop.log
