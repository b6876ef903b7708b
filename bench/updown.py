"""`richcompose up -d` + `down -t 0` against plain runc and against podman-compose, on the same
busybox tree, rounds interleaved, inside a private network namespace (nothing reaches the
host's network):

  none    20 independent services, network_mode: none, against the shell loop
          (overlay mount + `runc run -d`; `runc kill KILL`, `runc delete`, umount), with
          `runc spec`'s default spec and with the spec richcompose renders ("spec": its
          seccomp profile, mounts and limits)
  bridge  20 independent services on the default bridge, against the same loop plus the same
          CNI chain (loopback; bridge + host-local, portmap) run by hand
  podman  the bridge case against podman-compose (Debian podman, PyPI podman-compose)
  chain   a 3-service depends_on chain against podman-compose and the runc + CNI loop

Targets (issue #17): none and bridge <= 1.3x the loop; podman <= 0.2x; chain <= 0.4x.
Each richcompose side runs twice: with the warm command server (richcompose/warm), as a user
has it, and "cold" (RICHCOMPOSE_WARM=0: every command a fresh Python process); the none case
also without the default seccomp profile ("noscmp", RICHCOMPOSE_SECCOMP_PROFILE=unconfined),
to show what the filter the default loop lacks costs.

Run as root from the repository root:  python bench/updown.py [--runs 5] [--cases none,bridge,podman,chain]
podman and podman-compose are installed for the benchmark by bench/setup-podman.sh (its
storage lives in the temporary directory). Everything is removed at the end.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchlib import REPO, cold, rc_argv, rc_warm_env, stop_warm, with_env

SLEEPER = ["sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait"]
COUNT = 20
Side = Callable[[], tuple[float, float]]  # returns (up, down) seconds


def run(argv: list[str], **kwargs: object) -> None:
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          **kwargs)  # type: ignore[call-overload]
    if proc.returncode:
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}): {proc.stderr[-2000:]}")


def up_down(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """`up -d` then `down -t 0` of a compose-style CLI: (up, down) seconds."""
    start = time.perf_counter()
    run([*argv, "up", "-d"], cwd=cwd, env=env)
    middle = time.perf_counter()
    run([*argv, "down", "-t", "0"], cwd=cwd, env=env)
    return middle - start, time.perf_counter() - middle


def compose_text(count: int, *, chain: bool, network: bool, image: str | None) -> str:
    lines = ["services:"]
    for i in range(count):
        lines.append(f"  s{i}:")
        lines.append(f"    image: {image}" if image else "    rootfs: ./rootfs")
        lines.append(f"    command: {json.dumps(SLEEPER)}")
        if not network:
            lines.append("    network_mode: none")
        if chain and i:
            lines.append(f"    depends_on: [s{i - 1}]")
    return "\n".join(lines) + "\n"


class Richcompose:
    def __init__(self, work: Path, name: str, count: int, *, chain: bool, network: bool) -> None:
        self.dir = work / name
        self.dir.mkdir()
        (self.dir / "rootfs").symlink_to(work / "rootfs")
        (self.dir / "compose.yaml").write_text(compose_text(count, chain=chain, network=network,
                                                             image=None))
        self.argv = rc_argv(work / "rc-state")
        self.env = rc_warm_env(True)


    def spec(self, out: Path) -> dict[str, object]:
        """The config.json `richcompose render` writes for the project's first service."""
        run([*self.argv, "render", "-o", str(out)], cwd=self.dir, env=self.env)
        rendered: dict[str, object] = json.loads(next(out.glob("*/config.json")).read_text())
        return rendered

    def __call__(self) -> tuple[float, float]:
        return up_down(self.argv, self.dir, self.env)


class PodmanCompose:
    def __init__(self, work: Path, name: str, count: int, *, chain: bool, binary: str) -> None:
        self.dir = work / name
        self.dir.mkdir()
        (self.dir / "compose.yaml").write_text(compose_text(count, chain=chain, network=True,
                                                             image="localhost/bb:latest"))
        self.argv = [binary, "-p", name]
        self.env = podman_env(work)

    def __call__(self) -> tuple[float, float]:
        return up_down(self.argv, self.dir, self.env)


def podman_env(work: Path) -> dict[str, str]:
    return {**os.environ, "CONTAINERS_CONF": str(work / "podman/containers.conf"),
            "CONTAINERS_STORAGE_CONF": str(work / "podman/storage.conf")}


CNI_CHAIN = """
cni() {{ # cni COMMAND ID NETNS IFNAME CONFIG
  printf '%s' "$5" | CNI_COMMAND=$1 CNI_CONTAINERID=$2 CNI_NETNS=$3 CNI_IFNAME=$4 \\
    CNI_PATH=/usr/lib/cni /usr/lib/cni/$(printf '%s' "$5" | jq -r .type)
}}
LO='{{"cniVersion":"1.0.0","name":"lo","type":"loopback"}}'
BR='{{"cniVersion":"1.0.0","name":"loop","type":"bridge","bridge":"lpbr0","isGateway":true,
  "ipMasq":true,"hairpinMode":true,"ipam":{{"type":"host-local","dataDir":"{ipam}",
  "ranges":[[{{"subnet":"10.199.0.0/24","gateway":"10.199.0.1"}}]],
  "routes":[{{"dst":"0.0.0.0/0"}}]}}}}'
PM='{{"cniVersion":"1.0.0","name":"loop","type":"portmap","snat":true,
  "capabilities":{{"portMappings":true}}}}'
"""


class RuncLoop:
    """The hand-written loop, as a shell script: the same work a user would script."""

    def __init__(self, work: Path, name: str, count: int, *, network: bool,
                 base: dict[str, Any] | None = None) -> None:
        """`base`: the spec richcompose renders (its seccomp profile, mounts, limits) instead of
        `runc spec`'s default."""
        self.dir = work / name
        root, lower = self.dir / "runc", work / "rootfs"
        ids = " ".join(f"c{i}" for i in range(count))
        for i in range(count):
            bundle = self.dir / f"c{i}"
            bundle.mkdir(parents=True)
            if base is None:
                subprocess.run(["runc", "spec"], cwd=bundle, check=True)
                spec = json.loads((bundle / "config.json").read_text())
            else:
                spec = same_spec(base, bundle)
            spec["root"] = {"path": str(bundle / "rootfs"), "readonly": False}
            spec["process"]["terminal"] = False
            spec["process"]["args"] = SLEEPER
            namespaces = [n for n in spec["linux"]["namespaces"] if n["type"] != "network"]
            if network:
                namespaces.append({"type": "network", "path": f"/run/netns/lp-{name}-c{i}"})
            spec["linux"]["namespaces"] = namespaces
            (bundle / "config.json").write_text(json.dumps(spec))
        prelude = CNI_CHAIN.format(ipam=self.dir / "ipam") if network else ""
        net_up = (f'ip netns add lp-{name}-$c; ns=/run/netns/lp-{name}-$c; '
                  'cni ADD $c $ns lo "$LO" >/dev/null; r=$(cni ADD $c $ns eth0 "$BR"); '
                  'cni ADD $c $ns eth0 "$(printf "%s" "$PM" | jq -c --argjson r "$r" '
                  "'. + {prevResult: $r}')\" >/dev/null; ") if network else ""
        net_down = (f'ns=/run/netns/lp-{name}-$c; cni DEL $c $ns eth0 "$PM"; '
                    'cni DEL $c $ns eth0 "$BR"; cni DEL $c $ns lo "$LO"; '
                    f'ip netns delete lp-{name}-$c; ') if network else ""
        self.up = (f"set -e; {prelude} cd {self.dir}; for c in {ids}; do "
                   "mkdir -p $c/upper $c/work $c/rootfs; "
                   f"mount -t overlay overlay -o lowerdir={lower},upperdir=$c/upper,"
                   "workdir=$c/work $c/rootfs; " + net_up +
                   f"runc --root {root} run -d --bundle $c $c </dev/null >/dev/null 2>&1; done")
        self.down = (f"set -e; {prelude} cd {self.dir}; "
                     f"for c in {ids}; do runc --root {root} kill $c KILL; done; "
                     f"for c in {ids}; do runc --root {root} delete $c 2>/dev/null || "
                     f"runc --root {root} delete -f $c; " + net_down +
                     "umount $c/rootfs; rm -rf $c/upper $c/work; done")

    def __call__(self) -> tuple[float, float]:
        start = time.perf_counter()
        run(["sh", "-c", self.up])
        middle = time.perf_counter()
        run(["sh", "-c", self.down])
        return middle - start, time.perf_counter() - middle


def same_spec(base: dict[str, Any], bundle: Path) -> dict[str, Any]:
    """richcompose's rendered spec for a bundle of the loop's: the network files it keeps are
    plain copies here, and runc's default cgroup path (removed by `runc delete`)."""
    spec = copy.deepcopy(base)
    for mount in spec["mounts"]:
        if mount["destination"] in ("/etc/hosts", "/etc/resolv.conf", "/etc/hostname"):
            copied = bundle / Path(mount["destination"]).name
            copied.write_text("127.0.0.1\tlocalhost\n" if copied.name == "hosts" else "c\n")
            mount["source"] = str(copied)
    spec["linux"].pop("cgroupsPath", None)
    return spec


def setup_podman(work: Path) -> str:
    out = subprocess.run([str(REPO / "bench/setup-podman.sh"), str(work / "podman")],
                         check=True, capture_output=True, text=True).stdout
    binary = out.strip().splitlines()[-1]
    tarball = work / "bb.tar"
    run(["tar", "-C", str(work / "rootfs"), "-cf", str(tarball), "."])
    run(["podman", "import", "--change", 'CMD ["/bin/sh"]', str(tarball), "localhost/bb:latest"],
        env=podman_env(work))
    return binary


def inner(args: argparse.Namespace) -> None:
    cases = set(args.cases.split(","))
    with tempfile.TemporaryDirectory(prefix="rc-bench-") as tmp:
        work = Path(tmp)
        run([str(REPO / "scripts/make-busybox-rootfs"), str(work / "rootfs")])
        sides: dict[str, Side] = {}
        if "none" in cases:
            none = sides["rc none"] = Richcompose(work, "rc-none", COUNT, chain=False,
                                                  network=False)
            sides["rc none cold"] = cold(none)
            # without the default seccomp profile (the loop's `runc spec` has none): what the
            # filter costs, not a setting to use
            sides["rc none noscmp"] = with_env(none, RICHCOMPOSE_SECCOMP_PROFILE="unconfined")
            sides["loop none"] = RuncLoop(work, "loop-none", COUNT, network=False)
            sides["loop none spec"] = RuncLoop(work, "loop-spec", COUNT, network=False,
                                               base=none.spec(work / "rendered"))
        if cases & {"bridge", "podman"}:
            bridge = sides["rc bridge"] = Richcompose(work, "rc-bridge", COUNT, chain=False,
                                                      network=True)
            sides["rc bridge cold"] = cold(bridge)
        if "bridge" in cases:
            sides["loop bridge"] = RuncLoop(work, "loop-bridge", COUNT, network=True)
        if "chain" in cases:
            chain = sides["rc chain"] = Richcompose(work, "rc-chain", 3, chain=True,
                                                    network=True)
            sides["rc chain cold"] = cold(chain)
            sides["loop chain"] = RuncLoop(work, "loop-chain", 3, network=True)
        if cases & {"podman", "chain"}:
            binary = setup_podman(work)
            if "podman" in cases:
                sides["podman bridge"] = PodmanCompose(work, "pc-bridge", COUNT, chain=False,
                                                       binary=binary)
            if "chain" in cases:
                sides["podman chain"] = PodmanCompose(work, "pc-chain", 3, chain=True,
                                                      binary=binary)
        for side in sides.values():
            side()  # warm-up round: page cache, .pyc, images
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in sides}
        load = []
        for _ in range(args.runs):
            load.append(os.getloadavg()[0])
            for name, side in sides.items():
                times[name].append(side())
        if cases & {"podman", "chain"}:
            subprocess.run(["podman", "rmi", "-a", "-f"], env=podman_env(work),
                           capture_output=True, check=False)
            subprocess.run(["podman", "system", "reset", "-f"], env=podman_env(work),
                           capture_output=True, check=False)
        stop_warm(work / "rc-state")
        shutil.rmtree(work / "rc-state", ignore_errors=True)
    print(f"{args.runs} interleaved rounds; load average {min(load):.1f}-{max(load):.1f} on "
          f"{os.cpu_count()} CPUs; seconds, up -d / down -t 0 / total")
    for name, values in times.items():
        ups, downs, totals = zip(*((u, d, u + d) for u, d in values), strict=True)
        print(f"  {name:<15} median {statistics.median(ups):5.2f} / {statistics.median(downs):5.2f}"
              f" / {statistics.median(totals):5.2f}   min total {min(totals):5.2f}")

    def ratio(ours: str, theirs: str, target: float) -> None:
        if ours not in times or theirs not in times:
            return
        med = [statistics.median(u + d for u, d in times[n]) for n in (ours, theirs)]
        low = [min(u + d for u, d in times[n]) for n in (ours, theirs)]
        up = [statistics.median(u for u, _ in times[n]) for n in (ours, theirs)]
        down = [statistics.median(d for _, d in times[n]) for n in (ours, theirs)]
        verdict = "meets" if med[0] / med[1] <= target else "MISSES"
        print(f"  {ours} / {theirs}: total {med[0] / med[1]:.2f}x (min {low[0] / low[1]:.2f}x; "
              f"up {up[0] / up[1]:.2f}x, down {down[0] / down[1]:.2f}x) target <= {target}x: "
              f"{verdict}")

    print("ratios (richcompose / other; 'cold': RICHCOMPOSE_WARM=0, no warm server):")
    for ours in ("rc none", "rc none cold"):
        ratio(ours, "loop none", 1.3)
        ratio(ours, "loop none spec", 1.3)
    ratio("rc none noscmp", "loop none", 1.3)
    for ours in ("rc bridge", "rc bridge cold"):
        ratio(ours, "loop bridge", 1.3)
        ratio(ours, "podman bridge", 0.2)
    for ours in ("rc chain", "rc chain cold"):
        ratio(ours, "podman chain", 0.4)
        ratio(ours, "loop chain", 99)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cases", default="none,bridge,podman,chain")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        inner(args)
        return
    name = f"rcbench-{secrets.token_hex(4)}"
    run(["ip", "netns", "add", name])
    try:
        run(["ip", "-n", name, "link", "set", "lo", "up"])
        subprocess.run(["nsenter", f"--net=/run/netns/{name}", sys.executable, __file__,
                        "--inner", "--runs", str(args.runs), "--cases", args.cases], check=True)
    finally:
        run(["ip", "netns", "delete", name])


if __name__ == "__main__":
    main()
