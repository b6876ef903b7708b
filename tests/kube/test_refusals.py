"""Each key that cannot be converted is refused with where it is written (file:line:col) and
a fix; nothing is dropped, nothing renamed (kompose turns my_app into my-app silently)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from richcompose.errors import ConfigError
from tests.kube.conftest import REPO, load_snippet, objects

IMG = "image: busybox:1.36"
CASES = {
    "rootfs": ("app:\n    rootfs: ./rootfs", "rootfs: is a directory", "x-kubernetes: {image:"),
    "local-image": ("app:\n    image: oci:./layout", "is a local file", "x-kubernetes: {image:"),
    "bind-mount": (f"app:\n    {IMG}\n    volumes: [./data:/data]", "host bind mount",
                   "configs:"),
    "devices": (f"app:\n    {IMG}\n    devices: [/dev/fuse]", "devices:", "device plugin"),
    "ulimits": (f"app:\n    {IMG}\n    ulimits: {{nofile: 1024}}", "ulimits:", "ulimit"),
    "network-mode-service": (f"app:\n    {IMG}\n    network_mode: service:db\n  db:\n    {IMG}",
                             "network_mode: service:db", "system_services"),
    "volumes-from": (f"app:\n    {IMG}\n    volumes_from: [db]\n  db:\n    {IMG}",
                     "volumes_from:", "same named volume"),
    "poststop": (f"app:\n    {IMG}\n    rich: true\n    command: sleep 1\n    poststop: 'true'",
                 "poststop:", "pre_stop:"),
    "service-completed-successfully": (
        f"app:\n    {IMG}\n    depends_on:\n      db: {{condition: service_completed_successfully}}"
        f"\n  db:\n    {IMG}", "service_completed_successfully", "initcmd"),
    "depends-on-restart": (
        f"app:\n    {IMG}\n    depends_on:\n      db: {{condition: service_started, restart: true}}"
        f"\n  db:\n    {IMG}", "restart: true", "remove restart: true"),
    "systemd-without-runtime-class": (
        f"app:\n    {IMG}\n    rich: true\n    rich_mode: systemd\n    command: sleep 1",
        "runtime class", "runtime_class"),
    "service-name": (f"my_app:\n    {IMG}", "not a DNS label", "'my-app'"),
    "volume-name": (f"app:\n    {IMG}\n    volumes: [my_data:/data]\nvolumes:\n  my_data: {{}}",
                    "volume 'my_data'", "'my-data'"),
    "secret-name": (f"app:\n    {IMG}\n    secrets: [db_pass]\nsecrets:\n  db_pass:\n"
                    "    content: x", "secret 'db_pass'", "'db-pass'"),
    "alias-name": (f"app:\n    {IMG}\n    networks:\n      back: {{aliases: [the_db]}}\n"
                   "networks:\n  back: {}", "alias 'the_db'", "'the-db'"),
    "sbin-init-unknown": (f"app:\n    {IMG}\n    rich: true\n    rich_mode: sbin-init\n"
                          "    command: sleep 1", "sbin-init", "sbin_init"),
    "rich-without-command": (f"app:\n    {IMG}\n    rich: true", "command must be written",
                             "add command:"),
    "busybox-vm-with-system-services": (
        f"app:\n    {IMG}\n    rich: true\n    rich_mode: sbin-init\n"
        "    x-kubernetes: {sbin_init: busybox}\n    system_services: {cron: {command: crond}}",
        "own /etc/inittab", "add command:"),
    "user-name": (f"app:\n    {IMG}\n    user: www-data", "numeric ids only", "numeric uid"),
    "host-gateway": (f"app:\n    {IMG}\n    extra_hosts: ['h:host-gateway']", "host-gateway",
                     "host_gateway"),
    "seccomp-file": (f"app:\n    {IMG}\n    security_opt: [seccomp=./p.json]", "profile file",
                     "RuntimeDefault"),
    "two-pre-stop-hooks": (f"app:\n    {IMG}\n    pre_stop: [{{command: a}}, {{command: b}}]",
                           "one pre_stop handler", "join the commands"),
    "unit-without-systemd": (f"app:\n    {IMG}\n    rich: true\n    command: sleep 1\n"
                             "    system_services: {cron: {unit: cron}}", "unit: need systemd",
                             "command: instead"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_refused_key_is_located_with_a_fix(tmp_path: Path, case: str) -> None:
    body, message, fix = CASES[case]
    project = load_snippet(tmp_path, "services:\n  " + body + "\n")
    with pytest.raises(ConfigError) as caught:
        objects(project)
    error = caught.value
    assert message in error.message
    assert fix in error.hint
    assert error.location is not None and error.location.line > 0
    assert error.location.file.endswith("compose.yaml")


def test_every_refusal_of_a_project_is_reported_at_once(tmp_path: Path) -> None:
    project = load_snippet(tmp_path, f"""
        services:
          app:
            {IMG}
            devices: [/dev/fuse]
            ulimits: {{nofile: 1024}}
    """)
    with pytest.raises(ConfigError) as caught:
        objects(project)
    assert len([caught.value, *caught.value.others]) == 2  # type: ignore[attr-defined]


def test_project_name_that_is_no_dns_label_is_refused(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(f"name: my_proj\nservices:\n  app:\n    {IMG}\n")
    from richcompose.config import LoadOptions, load_project
    project = load_project(LoadOptions(files=(tmp_path / "compose.yaml",), environ={}))
    with pytest.raises(ConfigError, match="project name 'my_proj'"):
        objects(project)


def test_cli_prints_the_refusal_on_one_line_without_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text("services:\n  my_app:\n    image: busybox\n")
    proc = subprocess.run([sys.executable, "-m", "richcompose", "convert", "kubernetes", "-o",
                           str(tmp_path / "out")], cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert f"{tmp_path}/compose.yaml:2:3: service 'my_app'" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_a_wrong_x_kubernetes_key_is_an_error_at_its_line(tmp_path: Path) -> None:
    project = load_snippet(tmp_path, f"""
        services:
          app:
            {IMG}
            x-kubernetes:
              storage_klass: fast
    """)
    with pytest.raises(ConfigError) as caught:
        objects(project)
    assert "storage_klass" in caught.value.message
    assert caught.value.location is not None and caught.value.location.line == 6
