"""`up` shows the layers it pulls as `docker compose up` does: moving bars on a terminal, one
plain line per layer elsewhere, nothing when every image is present."""

from __future__ import annotations

import pytest

from tests.conftest import Richcompose

pytestmark = [pytest.mark.runc, pytest.mark.registry]


def write_project(rc: Richcompose, image: str) -> None:
    rc.write(f"""
        services:
          app:
            image: {image}
            user: "0"
            entrypoint: ["sh", "-c", "exec sleep 300"]
            stop_grace_period: 0s
    """)


def test_up_draws_pull_progress_bars_on_a_terminal(rc: Richcompose, local_image: str) -> None:
    write_project(rc, local_image)
    # rich's own switch: stderr is a pipe here, TTY_COMPATIBLE=1 makes it draw as on a terminal
    up = rc("up", "-d", env={"TTY_COMPATIBLE": "1", "COLUMNS": "160"})
    assert "team/busybox:1" in up.stderr and "Pull complete" in up.stderr
    assert "\x1b[" in up.stderr  # the bars were redrawn in place
    rc("down")


def test_up_prints_a_plain_line_per_pulled_layer_when_stderr_is_no_terminal(
        rc: Richcompose, local_image: str) -> None:
    write_project(rc, local_image)
    first = rc("up", "-d")
    assert f"{local_image} " in first.stderr and " Pull complete\n" in first.stderr
    assert "\x1b[" not in first.stderr and "━" not in first.stderr  # lines, not bars
    again = rc("up", "-d", "--force-recreate")  # the image is stored: nothing to pull
    assert "Pull complete" not in again.stderr and "Downloading" not in again.stderr
    rc("down")
