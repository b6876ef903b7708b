#!/usr/bin/env bash
# Installs everything richcompose needs on a fresh Debian 12 machine (run as root), idempotently:
# system packages, the Python package with its test extras, and the static dumb-init.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

APT_PACKAGES=(
  runc crun conmon                # OCI runtimes; conmon owns container stdio and exit codes
  busybox-static                  # test and example root filesystems
  tini                            # /usr/bin/tini-static, for compose's `init: true`
  containernetworking-plugins     # CNI: bridge, host-local, loopback, portmap
  iproute2 iptables               # netns, veth, portmap's rules
  skopeo umoci docker-registry    # image fixtures, unpack benchmark, local registry for pull tests
  buildah                         # compose `build:` (Dockerfile builds, storage private to richcompose)
  apache2-utils                   # htpasswd: the private-registry (basic auth) tests
  openssl                         # signs the test token server's JWTs (registry token auth)
  debootstrap                     # systemd test image
  golang-github-containers-common # /usr/share/containers/seccomp.json (default seccomp profile)
  zstd gcc libc6-dev make         # .tar.zst fixtures; static dumb-init build
  curl                            # network tests: published ports seen from the host side
)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# [kube]: Kubernetes JSON schemas for `convert kubernetes`; [test] adds kubectl (kustomize).
python3 -m pip install -q --disable-pip-version-check -e "$here[test,kube]"
"$here/scripts/build-dumb-init.sh"
# Compiled bytecode in place: an editable install is never byte-compiled by pip, and a command
# that compiles its modules on first run pays ~0.3 s for it.
python3 -m compileall -q "$here/richcompose"
