"""`disk export`: the kept layer as a tar, links stored as links (never followed), overlay
whiteouts kept as the character devices they are."""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

from richcompose.engine import disk


def test_export_keeps_files_links_and_whiteouts_without_following_links(tmp_path: Path
                                                                        ) -> None:
    where = disk.DiskPaths(tmp_path / "vm")
    (where.upper / "root").mkdir(parents=True)
    (where.upper / "root" / "notes").write_text("kept\n")
    (where.upper / "etc-shadow").symlink_to("/etc/shadow")  # a VM's link to a host secret
    os.mknod(where.upper / "gone", 0o600 | 0o020000, 0)  # overlay whiteout: char 0:0
    out = tmp_path / "disk.tar"
    assert disk.export(where, out) > 0
    with tarfile.open(out) as archive:
        members = {m.name: m for m in archive.getmembers()}
        assert archive.extractfile("root/notes").read() == b"kept\n"  # type: ignore[union-attr]
    assert members["etc-shadow"].issym() and members["etc-shadow"].linkname == "/etc/shadow"
    assert members["gone"].ischr() and members["gone"].devmajor == 0
    assert disk.size_of(where.upper) > 0
