"""Unpack throughput of richcompose's unpacker vs `umoci unpack` on the same OCI image, and the
cost of a second container's root filesystem (an overlay mount with a fresh upper dir).

Run as root from the repository root:  python bench/image_unpack.py [--mb 80] [--runs 3]
Everything is created under a temporary directory and removed at the end.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from richcompose.image.store import ImageStore  # noqa: E402
from tests.image.layouts import OciImage, tar_of_dir, write_oci_layout  # noqa: E402


def make_tree(root: Path, megabytes: int) -> int:
    """A rootfs-like tree: many small text-ish files and some large binaries (about half
    compressible), in nested directories with symlinks. Returns the number of files."""
    rng = random.Random(42)
    words = [bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz ") for _ in range(64))
             for _ in range(256)]
    budget, count = megabytes << 20, 0
    while budget > 0:
        d = root / f"usr/lib/pkg{count // 50:03d}/sub{count % 7}"
        d.mkdir(parents=True, exist_ok=True)
        if count % 200 == 0:
            size = rng.randint(512 << 10, 4 << 20)
            data = rng.randbytes(size // 2) + b"".join(rng.choices(words, k=size // 128))
        else:
            size = rng.randint(200, 48 << 10)
            data = b"".join(rng.choices(words, k=max(1, size // 64)))
        (d / f"file{count}").write_bytes(data)
        if count % 25 == 0:
            os.symlink(f"file{count}", d / f"link{count}")
        budget -= len(data)
        count += 1
    return count


def timed(fn: object) -> float:
    start = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=int, default=80, help="size of the test layer (MiB)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="rc-bench-"))
    mounts: list[Path] = []
    try:
        tree = work / "tree"
        files = make_tree(tree, args.mb)
        layout = work / "layout"
        write_oci_layout(layout, {"big": OciImage([tar_of_dir(tree)])})
        blob_mb = max(p.stat().st_size for p in (layout / "blobs/sha256").iterdir()) / 2**20
        print(f"layer: {files} files, {args.mb} MiB of content, {blob_mb:.1f} MiB gzip blob")

        ours, theirs = [], []
        for i in range(args.runs):
            store_root, bundle = work / f"store{i}", work / f"bundle{i}"
            theirs.append(timed(lambda bundle=bundle: subprocess.run(
                ["umoci", "unpack", "--image", f"{layout}:big", str(bundle)], check=True,
                stdout=subprocess.DEVNULL)))
            ours.append(timed(lambda root=store_root: ImageStore(root).resolve(
                f"oci:{layout}:big")))
            shutil.rmtree(bundle)
            if i < args.runs - 1:
                shutil.rmtree(store_root)
        t_ours, t_umoci = statistics.median(ours), statistics.median(theirs)
        print(f"richcompose unpack: {t_ours:.2f} s  ({args.mb / t_ours:.0f} MiB/s)")
        print(f"umoci unpack:       {t_umoci:.2f} s  ({args.mb / t_umoci:.0f} MiB/s)")
        print(f"ratio umoci/richcompose: {t_umoci / t_ours:.2f}x")

        image = ImageStore(work / f"store{args.runs - 1}").resolve(f"oci:{layout}:big")
        lowerdir = ":".join(str(p) for p in image.layers)
        costs = []
        for n in range(1, 6):
            c = work / f"ctr{n}"

            def container(c: Path = c) -> None:
                for sub in ("upper", "work", "rootfs"):
                    (c / sub).mkdir(parents=True)
                subprocess.run(["mount", "-t", "overlay", "overlay", "-o",
                                f"lowerdir={lowerdir},upperdir={c}/upper,workdir={c}/work",
                                str(c / "rootfs")], check=True)
                mounts.append(c / "rootfs")

            costs.append(timed(container))
        upper_kb = sum(f.stat().st_size for f in (work / "ctr2" / "upper").rglob("*")) / 1024
        copy = timed(lambda: shutil.copytree(tree, work / "copy", symlinks=True))
        print("container rootfs (mkdir + overlay mount), containers 1..5: "
              + ", ".join(f"{t * 1000:.1f} ms" for t in costs))
        print(f"second container: {costs[1] * 1000:.1f} ms, {upper_kb:.0f} KiB written "
              f"(a full copy of the rootfs would take {copy:.2f} s)")
    finally:
        for m in reversed(mounts):
            subprocess.run(["umount", str(m)], check=False)
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
