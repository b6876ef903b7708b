#!/usr/bin/env bash
# The networking demo: two services on two networks, names resolved through /etc/hosts, a
# published port. It runs in a network namespace of its own, so nothing touches the host's
# interfaces or firewall; the namespace is deleted at the end.
set -euo pipefail
cd "$(dirname "$0")"
../../scripts/make-busybox-rootfs rootfs
ns="rcdemo-$$"
ip netns add "$ns"
trap 'ip netns delete "$ns"' EXIT
ip -n "$ns" link set lo up
rc() { echo "+ richcompose $*"; nsenter --net="/run/netns/$ns" richcompose "$@"; }
rc up -d
rc exec -T app cat /etc/hosts
rc exec -T app wget -q -O - http://db/
rc port app 80
echo "+ curl http://127.0.0.1:18080/ (inside the demo namespace)"
sleep 0.5
nsenter --net="/run/netns/$ns" curl -s http://127.0.0.1:18080/
rc down
