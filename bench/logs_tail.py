"""`logs --tail 2` of a 200 MB k8s-file log: reading it all then keeping the tail (before)
against reading it backwards from the end (richcompose.logs.read_last_lines). Prints both
times and the ratio."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from richcompose.logs import read_last_lines, read_lines, tail  # noqa: E402

LINE = "2026-01-01T00:00:00.000000000Z stdout F " + "x" * 60 + "\n"


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "container.log"
        with open(path, "w") as handle:
            chunk = LINE * 10_000
            while handle.tell() < 200 << 20:
                handle.write(chunk)
        start = time.perf_counter()
        before = tail(list(read_lines(path)), 2)
        whole = time.perf_counter() - start
        start = time.perf_counter()
        after = read_last_lines(path, 2)
        backwards = time.perf_counter() - start
        assert before == after
        print(f"{path.stat().st_size >> 20} MB log, --tail 2: read all {whole:.2f} s, "
              f"from the end {backwards * 1000:.2f} ms, ratio {whole / backwards:.0f}x")


if __name__ == "__main__":
    main()
