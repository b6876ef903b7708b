"""An image whose config lies (a stop signal that is none, a bogus environment entry): `up`
warns or fails in one line, `ps` tells the truth, `down` still stops and removes it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Richcompose
from tests.faults.helpers import down_leaves_nothing, ps
from tests.image.layouts import OciImage, tar_of_dir, write_oci_layout

pytestmark = pytest.mark.runc

LIES = {"Cmd": ["sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait"], "StopSignal": "SIGNOPE",
        "Env": ["NOEQUALS", "=", "PATH=/bin:/sbin"]}


def test_an_image_with_an_invalid_stop_signal_is_stopped_with_sigterm(
        rc: Richcompose, busybox_rootfs: Path, tmp_path: Path) -> None:
    layout = tmp_path / "liar"
    write_oci_layout(layout, {"1": OciImage([tar_of_dir(busybox_rootfs)], config=LIES)})
    rc.write(f"services:\n  a: {{image: 'oci:{layout}:1'}}\n")
    up = rc("up", "-d", check=False)
    assert "Traceback" not in up.stderr, up.stderr
    assert up.returncode == 0, up.stderr
    assert "'SIGNOPE' is not a signal; SIGTERM stops it instead" in up.stderr
    assert "'NOEQUALS', '=' name no variable" in up.stderr
    assert ps(rc)["a"]["state"] == "running"
    down_leaves_nothing(rc)
