"""`richcompose render` writes each mode's bundle (config.json + generated files) and starts
nothing."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Richcompose


@pytest.mark.parametrize(("mode", "generated"), [
    ("dumb-init", "rich/bin/run-hook"),
    ("sbin-init", "rich/inittab"),
])
def test_render_writes_the_bundle_of_each_mode(rc: Richcompose, mode: str, generated: str
                                               ) -> None:
    rc.write(f"""
        services:
          app:
            rootfs: ./rootfs
            rich: true
            rich_mode: {mode}
            initcmd: 'true'
            command: sleep 1
    """)
    rc("render", "-o", "out")
    bundle = rc.project_dir / "out" / "project-app-1"
    spec = json.loads((bundle / "config.json").read_text())
    assert spec["hooks"]["startContainer"]
    assert (bundle / generated).is_file()
    assert not (rc.root / "runc").exists() or not any((rc.root / "runc").iterdir())
