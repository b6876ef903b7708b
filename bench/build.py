"""A 3-step Dockerfile (FROM scratch, COPY a busybox tree, RUN) built by `richcompose build`
and by `buildah bud` alone, in one run, interleaved, medians of N runs.

richcompose's side is the whole command a user types: CLI start-up, loading the project,
buildah bud (RUN steps under runc, no network, --layers), `buildah push` to a `dir:`, and
adding the image to richcompose's store (blob adoption + layer unpack). buildah's side is
`buildah bud --isolation oci --runtime runc --network none` into its own storage, with
--layers (what richcompose runs) and with buildah's default (no per-step commits).

Both sides build cold (`--no-cache`) and warm (every step cached).
Run as root from the repository root:  python bench/build.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOCKERFILE = "FROM scratch\nCOPY tree /\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\n"


def timed(command: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="rc-bench-build-"))
    try:
        project = work / "project"
        (project / "ctx").mkdir(parents=True)
        subprocess.run([str(REPO / "scripts" / "make-busybox-rootfs"),
                        str(project / "ctx" / "tree")], check=True, stdout=subprocess.DEVNULL)
        (project / "ctx" / "Dockerfile").write_text(DOCKERFILE)
        (project / "compose.yaml").write_text("services:\n  web:\n    build: ctx\n")
        (work / "storage.conf").write_text('[storage]\ndriver = "overlay"\n'
                                           '[storage.options.overlay]\n'
                                           'skip_mount_home = "true"\n')
        rc_env = {**os.environ, "PYTHONPATH": str(REPO)}
        bud_env = {**os.environ, "CONTAINERS_STORAGE_CONF": str(work / "storage.conf")}
        richcompose = [sys.executable, "-m", "richcompose", "--root", str(work / "state"),
                       "build", "-q"]
        buildah = ["buildah", "--root", str(work / "buildah"), "--runroot",
                   str(work / "buildah-run"), "bud", "--isolation", "oci", "--runtime", "runc",
                   "--network", "none", "-q",
                   "-t", "localhost/bench:latest", "ctx"]
        sides = {
            "richcompose build": (richcompose, rc_env),
            "buildah bud --layers": (buildah[:-3] + ["--layers"] + buildah[-3:], bud_env),
            "buildah bud (default)": (buildah, bud_env),
        }
        for side in sides.values():  # warm-up: page cache, first storage set-up
            timed(side[0], side[1], project)
        in_process_build = _in_process(project, work / "state-in-process")
        in_process: dict[str, list[float]] = {"cold": [], "warm": []}
        results: dict[tuple[str, str], list[float]] = {}
        for _ in range(args.runs):
            for kind in ("cold", "warm"):
                in_process[kind].append(in_process_build(kind == "cold"))
            for name, (command, env) in sides.items():
                cold = command[:-1] + ["--no-cache", command[-1]] if "bud" in command \
                    else command + ["--no-cache"]
                results.setdefault((name, "cold"), []).append(timed(cold, env, project))
                results.setdefault((name, "warm"), []).append(timed(command, env, project))
        print(f"3-step Dockerfile (FROM scratch, COPY 2 MB busybox tree, RUN), "
              f"median of {args.runs} runs, seconds:")
        base = {kind: statistics.median(results[("buildah bud --layers", kind)])
                for kind in ("cold", "warm")}
        for (name, kind), values in sorted(results.items(), key=lambda kv: (kv[0][1], kv[0][0])):
            median = statistics.median(values)
            print(f"  {kind:4} {name:22} {median:6.3f}  ({median / base[kind]:.2f}x buildah "
                  f"--layers)")
        for kind, values in in_process.items():
            median = statistics.median(values)
            print(f"  {kind:4} {'richcompose Builder*':22} {median:6.3f}  "
                  f"({median / base[kind]:.2f}x buildah --layers)")
        print("  * Builder.build in an already started Python: the pipeline without the "
              "interpreter and CLI start-up")
        for kind in ("cold", "warm"):
            rc_median = statistics.median(results[("richcompose build", kind)])
            print(f"ratio {kind}: richcompose / buildah bud --layers = "
                  f"{rc_median / base[kind]:.2f}x; richcompose / buildah default = "
                  f"{rc_median / statistics.median(results[('buildah bud (default)', kind)]):.2f}x")
    finally:
        subprocess.run(["buildah", "--root", str(work / "buildah"), "--runroot",
                        str(work / "buildah-run"), "rm", "--all"], capture_output=True,
                       env={**os.environ, "CONTAINERS_STORAGE_CONF": str(work / "storage.conf")})
        shutil.rmtree(work, ignore_errors=True)


def _in_process(project: Path, root: Path) -> Callable[[bool], float]:
    """A timer of Builder.build in this process (the project loaded once)."""
    sys.path.insert(0, str(REPO))
    from richcompose.config import LoadOptions, load_project
    from richcompose.image.build.builder import Builder
    from richcompose.image.build.plan import BuildOptions
    from richcompose.image.store import ImageStore

    loaded = load_project(LoadOptions(files=(project / "compose.yaml",), environ={}))
    store = ImageStore(root / "images")
    Builder(store).build(loaded, ["web"])  # warm-up

    def build(no_cache: bool) -> float:
        start = time.perf_counter()
        Builder(store, options=BuildOptions(no_cache=no_cache)).build(loaded, ["web"])
        return time.perf_counter() - start

    return build


if __name__ == "__main__":
    main()
