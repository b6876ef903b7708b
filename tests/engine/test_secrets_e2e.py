"""`secrets:` and `configs:` are mounted read-only where compose puts them, with their
uid/gid/mode, from files, environment variables and inline content — and their values appear
in no config.json, log or `config` output (#10 item 7)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Richcompose

pytestmark = pytest.mark.runc

PROJECT = """
    services:
      app:
        rootfs: ./rootfs
        command: sleep 300
        stop_grace_period: 0s
        secrets:
          - db_password
          - source: api_token
            target: token
            uid: "1000"
            gid: "1001"
            mode: 0400
        configs:
          - app_conf
          - source: banner
            target: /etc/banner.txt
            mode: 0440
    secrets:
      db_password:
        file: ./db_password.txt
      api_token:
        environment: API_TOKEN
    configs:
      app_conf:
        file: ./app.conf
      banner:
        content: hello from content
"""


def test_secrets_and_configs_are_mounted_read_only_with_owner_and_mode(rc: Richcompose) -> None:
    rc.write(PROJECT)
    (rc.project_dir / "db_password.txt").write_text("s3cret-from-file")
    (rc.project_dir / "app.conf").write_text("key=value\n")
    env = {"API_TOKEN": "t0ken-from-env"}
    rc("up", "-d", env=env)
    try:
        def sh(script: str) -> str:
            return rc("exec", "-T", "app", "sh", "-c", script).stdout.strip()

        assert sh("cat /run/secrets/db_password") == "s3cret-from-file"
        assert sh("stat -c '%u %g %a' /run/secrets/db_password") == "0 0 444"
        assert sh("cat /run/secrets/token") == "t0ken-from-env"
        assert sh("stat -c '%u %g %a' /run/secrets/token") == "1000 1001 400"
        assert sh("cat /app_conf") == "key=value"
        assert sh("cat /etc/banner.txt; stat -c ' %a' /etc/banner.txt") == \
            "hello from content 440"
        assert "Read-only" in sh("(echo x > /run/secrets/db_password) 2>&1 || true")

        container = rc.root / "projects" / "project" / "containers" / "project-app-1"
        spec = (container / "bundle" / "config.json").read_text()
        for value in ("s3cret-from-file", "t0ken-from-env"):
            assert value not in spec
            assert value not in rc("config", env=env).stdout
            assert value not in rc("logs", "app").stdout
        files = container / "files"
        assert files.stat().st_mode & 0o777 == 0o700
        assert json.loads(spec)["mounts"][-1]["options"][:2] == ["rbind", "ro"]
    finally:
        rc("down", "-t", "0")


def test_unset_environment_secret_is_a_located_error_before_anything_starts(
        rc: Richcompose) -> None:
    rc.write("""
        services:
          app:
            rootfs: ./rootfs
            command: sleep 300
            secrets: [token]
        secrets:
          token:
            environment: NOT_SET_ANYWHERE
    """)
    result = rc("up", "-d", check=False)
    assert result.returncode == 1
    assert "compose.yaml:6:15: environment variable 'NOT_SET_ANYWHERE' required by secret " \
        "'token' is not set" in result.stderr
