"""The command line: convert kubernetes -o DIR, convert --check DIR, deploy and down
--kubeconfig (against a real cluster only where one is given; otherwise their kubectl calls
and their failure against an unreachable server)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from richcompose.kube.deploy import Cluster, apply_argv, delete_argv
from tests.kube.conftest import REPO

EXAMPLE = REPO / "examples" / "hello"


def _rc(*args: str, cwd: Path = EXAMPLE) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "richcompose", "-f", "compose.yaml", "-f",
                           "compose.kubernetes.yaml", *args], cwd=cwd, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(REPO)})


def test_convert_writes_one_file_per_object_and_check_accepts_it(tmp_path: Path) -> None:
    out = tmp_path / "k8s"
    proc = _rc("convert", "kubernetes", "-o", str(out), "--namespace", "demo")
    assert proc.returncode == 0, proc.stderr
    assert "stop_signal SIGKILL" in proc.stderr  # warned: 1.37 without the gate sends TERM
    kustomization = yaml.safe_load((out / "kustomization.yaml").read_text())
    assert kustomization["namespace"] == "demo"
    assert sorted(kustomization["resources"]) == sorted(
        p.name for p in out.glob("*.yaml") if p.name != "kustomization.yaml")
    check = _rc("convert", "--check", str(out))
    assert check.returncode == 0 and "7 objects valid" in check.stdout


def test_check_names_the_file_and_object_of_an_edited_directory(tmp_path: Path) -> None:
    out = tmp_path / "k8s"
    assert _rc("convert", "kubernetes", "-o", str(out)).returncode == 0
    service = out / "service-db.yaml"
    data = yaml.safe_load(service.read_text())
    data["spec"]["clusterIp"] = "None"  # a typo the API would reject (strict schema)
    service.write_text(yaml.safe_dump(data))
    proc = _rc("convert", "--check", str(out))
    assert proc.returncode == 1
    assert f"{service}: Service/db: " in proc.stderr and "clusterIp" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_convert_refuses_a_directory_it_did_not_write(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    proc = _rc("convert", "kubernetes", "-o", str(tmp_path))
    assert proc.returncode == 1 and "not written by richcompose" in proc.stderr
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_convert_writes_nothing_when_the_objects_fail_the_checks(tmp_path: Path) -> None:
    # An alias that is another service's name: two Services db.
    (tmp_path / "compose.yaml").write_text(
        "name: demo\nservices:\n  app: {image: busybox, networks: {n: {aliases: [db]}}}\n"
        "  db: {image: busybox}\nnetworks:\n  n: {}\n")
    proc = subprocess.run([sys.executable, "-m", "richcompose", "convert", "kubernetes", "-o",
                           str(tmp_path / "out")], cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 1 and "Service/db: defined twice" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_deploy_applies_server_side_with_richcompose_as_field_manager() -> None:
    argv = apply_argv(Cluster("/k.yaml", "prod"), Path("/out"), dry_run="server")
    assert argv == ["kubectl", "--kubeconfig", "/k.yaml", "--context", "prod", "apply",
                    "--server-side", "--field-manager=richcompose", "-k", "/out",
                    "--dry-run=server"]


def test_down_deletes_by_the_project_labels_and_keeps_claims_unless_asked() -> None:
    argv = delete_argv(Cluster("/k.yaml"), "hello", "demo")
    assert argv[argv.index("-l") + 1] == \
        "app.kubernetes.io/managed-by=richcompose,richcompose.io/project=hello"
    assert "persistentvolumeclaims" not in argv[4]
    assert "persistentvolumeclaims" in delete_argv(Cluster("/k.yaml"), "hello", None,
                                                   volumes=True)[4]


def test_deploy_to_an_unreachable_cluster_is_one_error_line(tmp_path: Path) -> None:
    config = tmp_path / "kubeconfig"
    config.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "none",
        "clusters": [{"name": "none", "cluster": {"server": "https://127.0.0.1:1"}}],
        "contexts": [{"name": "none", "context": {"cluster": "none", "user": "none"}}],
        "users": [{"name": "none", "user": {}}]}))
    proc = _rc("deploy", "--kubeconfig", str(config))
    assert proc.returncode == 1
    assert "kubectl apply failed" in proc.stderr and "Traceback" not in proc.stderr


CLUSTER = os.environ.get("RICHCOMPOSE_TEST_KUBECONFIG")


@pytest.mark.skipif(not CLUSTER, reason="no cluster: set RICHCOMPOSE_TEST_KUBECONFIG")
def test_deploy_dry_run_then_deploy_and_down_on_a_real_cluster(tmp_path: Path) -> None:
    assert CLUSTER is not None
    assert _rc("deploy", "--kubeconfig", CLUSTER, "--dry-run=server").returncode == 0
    assert _rc("deploy", "--kubeconfig", CLUSTER).returncode == 0
    down = _rc("down", "--kubeconfig", CLUSTER)
    assert down.returncode == 0 and "deleted" in down.stdout


def test_other_commands_do_not_load_the_kubernetes_converter() -> None:
    code = ("import sys, richcompose.cli as c; c.build_parser(); "
            "print(any(m.startswith('richcompose.kube') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(REPO)}, check=True).stdout
    assert out.strip() == "False"


@pytest.mark.parametrize("version", ["1.20", "1.99"])
def test_a_version_without_schemas_is_one_error_line(tmp_path: Path, version: str) -> None:
    proc = _rc("convert", "kubernetes", "-o", str(tmp_path / "k8s"), "--kube-version", version)
    assert proc.returncode == 1 and f"no schemas for Kubernetes {version}" in proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "k8s").exists()
