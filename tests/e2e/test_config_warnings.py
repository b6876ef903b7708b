"""Keys richcompose accepts but cannot honour are reported by `up` too, with file:line."""

from __future__ import annotations

import pytest

from tests.conftest import Richcompose

pytestmark = pytest.mark.runc


def test_up_prints_the_warning_for_an_unhonoured_key_and_still_starts(rc: Richcompose) -> None:
    rc.write("""
        name: warned
        services:
          app:
            rootfs: ./rootfs
            command: ["sleep", "300"]
            stop_grace_period: 1s
            isolation: process
    """)
    try:
        up = rc("up", "-d")
        assert "compose.yaml:8:5: isolation is not supported (service 'app')" in up.stderr
    finally:
        rc("down", "-t", "1")
