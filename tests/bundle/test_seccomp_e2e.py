"""Docker's default seccomp profile under real runc: user namespaces (and the other calls it
gates on CAP_SYS_ADMIN) are refused unless the service asks, as docker does (#10 item 6)."""

from __future__ import annotations

import pytest

from tests.conftest import Richcompose

pytestmark = pytest.mark.runc


def test_user_namespaces_are_refused_unless_the_service_asks(rc: Richcompose) -> None:
    rc.write("""
        services:
          plain:
            rootfs: ./rootfs
            command: sleep 300
          admin:
            rootfs: ./rootfs
            command: sleep 300
            cap_add: [SYS_ADMIN]
          unconfined:
            rootfs: ./rootfs
            command: sleep 300
            security_opt: [seccomp=unconfined]
    """)
    rc("up", "-d")
    try:
        def unshare(service: str) -> int:
            return rc("exec", "-T", service, "unshare", "-U", "-r", "true", check=False
                      ).returncode

        assert unshare("plain") != 0
        assert unshare("admin") == 0
        assert unshare("unconfined") == 0
    finally:
        rc("down", "-t", "0")
