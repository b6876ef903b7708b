"""Fuzz target for the layer unpacker (#10 deliverable 3): random stacks of tar layers built
from the entry kinds attacks use (`..` and absolute names, symlinks and hardlinks pointing
anywhere, device nodes such as /dev/zero and a block device, FIFOs, whiteouts, opaque markers,
entries replacing each other). Whatever the layers hold, unpacking either succeeds or raises
ImageError; nothing outside the snapshots changes; no special file is ever opened; no file
in a snapshot is larger than the data the tar carried.

CI runs RC_EXAMPLES (default 300, a few seconds) examples; a nightly run sets e.g.
RC_EXAMPLES=50000 (see docs/security.md).
"""

from __future__ import annotations

import builtins
import io
import os
import shutil
import signal
import stat
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from richcompose.errors import ImageError
from richcompose.image.unpack import unpack_layer

SETTINGS = settings(max_examples=int(os.environ.get("RC_EXAMPLES", "300")), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

OUTSIDE = "outside"  # a sibling of the snapshots that names below aim at
components = st.sampled_from(["a", "b", "etc", "..", ".", "", ".wh.a", ".wh.b", ".wh..wh..opq",
                              ".wh..wh.plnk", ".wh...", OUTSIDE, "secret"])
# Mostly plain names, so entries of different layers meet (a link to a lower node, a file
# replacing a directory); one in ten built from every awkward component.
plain = st.sampled_from(["a", "b", "a/b", "b/a", "etc", "etc/a", "a/b/c"])
awkward = st.builds(lambda absolute, parts: ("/" if absolute else "") + "/".join(parts),
                    st.booleans(), st.lists(components, min_size=1, max_size=4))
names = st.integers(0, 9).flatmap(lambda n: awkward if n == 0 else plain)
link_targets = st.one_of(names, st.sampled_from(["/", "..", "../..", f"../../{OUTSIDE}",
                                                 "/etc/passwd", "/dev/zero", "a/../../.."]))
devices = st.sampled_from([(1, 5), (1, 3), (7, 0), (8, 0), (240, 0), (0, 0), (5, 1)])


@st.composite
def tar_entry(draw: Callable[..., Any], seen: list[str]) -> tuple[tarfile.TarInfo, bytes]:
    kind = draw(st.sampled_from([tarfile.REGTYPE, tarfile.DIRTYPE, tarfile.SYMTYPE,
                                 tarfile.LNKTYPE, tarfile.LNKTYPE, tarfile.CHRTYPE,
                                 tarfile.BLKTYPE, tarfile.FIFOTYPE]))
    info = tarfile.TarInfo(draw(names))
    info.type = kind
    info.mode = draw(st.sampled_from([0o644, 0o755, 0o4755, 0o6777, 0o000, 0o1777]))
    info.uid = info.gid = draw(st.sampled_from([0, 1000, 65534]))
    data = b""
    if kind == tarfile.REGTYPE:
        data = draw(st.binary(max_size=64))
        info.size = len(data)
    elif kind in (tarfile.SYMTYPE, tarfile.LNKTYPE):
        # Links mostly aim at what earlier entries (of this layer or a lower one) made.
        earlier = st.sampled_from(seen) if seen else link_targets
        info.linkname = draw(st.integers(0, 4).flatmap(
            lambda n: link_targets if n == 0 else earlier))
    elif kind in (tarfile.CHRTYPE, tarfile.BLKTYPE):
        info.devmajor, info.devminor = draw(devices)
    seen.append(info.name)
    return info, data


@st.composite
def layer_stacks(draw: Callable[..., Any]) -> list[list[tuple[tarfile.TarInfo, bytes]]]:
    seen: list[str] = []
    return [[draw(tar_entry(seen)) for _ in range(draw(st.integers(0, 6)))]
            for _ in range(draw(st.integers(1, 3)))]


def build_tar(entries: list[tuple[tarfile.TarInfo, bytes]]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in entries:
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return out.getvalue()


@contextmanager
def special_files_guarded() -> Iterator[list[str]]:
    """Every open() and os.open() made meanwhile is checked with fstat: anything but a regular
    file or a directory is recorded (and its fd closed), and a hang fails instead of waiting."""
    opened_special: list[str] = []
    real_os_open, real_open = os.open, builtins.open

    def check(fd: int, path: object) -> None:
        mode = os.fstat(fd).st_mode
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            opened_special.append(str(path))

    def guarded_os_open(path: Any, flags: int, mode: int = 0o777, *, dir_fd: Any = None) -> int:
        fd = real_os_open(path, flags, mode, dir_fd=dir_fd)
        check(fd, path)
        return fd

    def guarded_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        handle = real_open(file, *args, **kwargs)
        if not isinstance(file, int):
            check(handle.fileno(), file)
        return handle

    def hang(signum: int, frame: object) -> None:
        raise TimeoutError("the unpacker blocked (an opened FIFO or device?)")

    previous = signal.signal(signal.SIGALRM, hang)
    signal.alarm(30)
    os.open, builtins.open = guarded_os_open, guarded_open  # type: ignore[assignment]
    try:
        yield opened_special
    finally:
        os.open, builtins.open = real_os_open, real_open  # type: ignore[assignment]
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def tree(root: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every entry below root with its mode, size and (for regular files) content."""
    out = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            st_ = os.lstat(path)
            content = path.read_bytes() if stat.S_ISREG(st_.st_mode) else b""
            out[str(path.relative_to(root))] = (st_.st_mode, st_.st_size, content)
    return out


@SETTINGS
@given(layer_stacks())
def test_random_layers_unpack_or_fail_typed_and_never_escape(
        stack: list[list[tuple[tarfile.TarInfo, bytes]]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        outside = base / OUTSIDE
        outside.mkdir()
        (outside / "secret").write_text("untouched")
        before = tree(outside)
        snapshots: list[Path] = []
        carried = 0
        for index, entries in enumerate(stack):
            dest = base / f"snap{index}"
            dest.mkdir()
            blob = build_tar(entries)
            carried += sum(len(data) for _, data in entries)
            with special_files_guarded() as opened:
                try:
                    unpack_layer(io.BytesIO(blob), dest, name=f"layer{index}",
                                 lowers=list(reversed(snapshots)))
                except ImageError as exc:
                    assert exc.message
                    shutil.rmtree(dest)  # as the store discards a refused layer's snapshot
                    continue
                finally:
                    assert opened == [], f"special files opened: {opened}"
            snapshots.append(dest)
        assert tree(outside) == before
        assert sorted(p.name for p in base.iterdir()) == sorted(
            [OUTSIDE] + [f"snap{i}" for i in range(len(stack)) if (base / f"snap{i}").exists()])
        for snap in snapshots:
            for _mode, size, _content in tree(snap).values():
                assert size <= max(carried, 4096)
