"""Through the CLI, against real registries on the test's loopback: registries.conf mirrors
(and `pull -v` naming the one that served), a private registry with htpasswd auth reached
through a credential helper on PATH for pull, push and login — and the secret in no file
richcompose writes nor in its output."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.build.helpers import env_with, install_helper
from tests.conftest import REPO, Richcompose
from tests.image.layouts import push
from tests.image.registry_server import htpasswd_line, running_registry

pytestmark = [pytest.mark.registry]
SECRET = "s3cr3t-Tok3n-5f1e"  # the private registry's password, as the helper hands it out


@pytest.fixture
def registries(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(origin, mirror): two anonymous registries on the sandbox's loopback."""
    (tmp_path / "origin").mkdir()
    (tmp_path / "mirror").mkdir()
    with running_registry(tmp_path / "origin") as origin, \
            running_registry(tmp_path / "mirror") as mirror:
        yield origin, mirror


@pytest.fixture
def private(tmp_path: Path) -> Iterator[str]:
    """A registry that wants user `ci` with SECRET (htpasswd, Basic auth)."""
    root = tmp_path / "private"
    root.mkdir()
    (root / "htpasswd").write_text(htpasswd_line("ci", SECRET))
    with running_registry(root, f"auth: {{htpasswd: {{realm: test, path: {root / 'htpasswd'}}}}}\n"
                          ) as address:
        yield address


def mirror_conf(path: Path, origin: str, mirror: str) -> Path:
    path.write_text(f'[[registry]]\nlocation = "{origin}"\n'
                    f'[[registry.mirror]]\nlocation = "{mirror}/cache"\n')
    return path


def test_pull_is_served_by_the_mirror_and_pull_v_says_so(rc: Richcompose, busybox_layout: Path,
                                                          registries: tuple[str, str],
                                                          tmp_path: Path) -> None:
    origin, mirror = registries
    push(busybox_layout, "1", f"{mirror}/cache/team/busybox:1")  # only the mirror has it
    conf = mirror_conf(tmp_path / "registries.conf", origin, mirror)
    rc.write(f"services:\n  app:\n    image: {origin}/team/busybox:1\n")
    out = rc("--registries-conf", str(conf), "pull", "-q", "-v")
    assert f"served by {mirror}/cache/team/busybox:1 (mirror)" in out.stderr
    images = rc("images").stdout
    assert f"{origin}/team/busybox:1" in images


def test_a_mirror_without_the_image_falls_back_to_the_registry(rc: Richcompose,
                                                                busybox_layout: Path,
                                                                registries: tuple[str, str],
                                                                tmp_path: Path) -> None:
    origin, mirror = registries
    push(busybox_layout, "1", f"{origin}/team/busybox:1")
    conf = mirror_conf(tmp_path / "registries.conf", origin, mirror)
    rc.write(f"services:\n  app:\n    image: {origin}/team/busybox:1\n")
    out = rc("pull", "-q", "-v", env={"CONTAINERS_REGISTRIES_CONF": str(conf)})
    assert f"served by {origin}/team/busybox:1\n" in out.stderr


def test_a_blocked_registry_is_refused(rc: Richcompose, registries: tuple[str, str],
                                       tmp_path: Path) -> None:
    origin, _ = registries
    conf = tmp_path / "registries.conf"
    conf.write_text(f'[[registry]]\nlocation = "{origin}"\nblocked = true\n')
    rc.write(f"services:\n  app:\n    image: {origin}/team/busybox:1\n")
    out = rc("--registries-conf", str(conf), "pull", "-q", check=False)
    assert out.returncode != 0 and "blocked by registries.conf" in out.stderr
    assert "Traceback" not in out.stderr


def _helper_env(tmp_path: Path, private: str) -> dict[str, str]:
    """HOME with a docker config naming the helper for the private registry; the helper holds
    the secret (outside every directory richcompose writes)."""
    home = tmp_path / "home"
    (home / ".docker").mkdir(parents=True)
    (home / ".docker" / "config.json").write_text(json.dumps(
        {"credHelpers": {private: "testhelper"}}))
    install_helper(tmp_path / "helper-bin", secrets={private: ("ci", SECRET)})
    return env_with(tmp_path / "helper-bin", home)


def _written_files(*roots: Path) -> Iterator[Path]:
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file() and not path.is_symlink():
                yield path


def _holds_secret(path: Path) -> bool:
    try:
        return SECRET.encode() in path.read_bytes()
    except OSError:
        return False


@pytest.mark.buildah
def test_a_private_registry_through_a_credential_helper_and_the_secret_stays_out(
        rc: Richcompose, private: str, busybox_rootfs: Path, tmp_path: Path) -> None:
    env = _helper_env(tmp_path, private)
    (rc.project_dir / "web").mkdir()
    (rc.project_dir / "web" / "Dockerfile").write_text("FROM scratch\nCOPY rootfs /\n"
                                                       'CMD ["sh"]\n')
    subprocess.run(["cp", "-a", f"{busybox_rootfs}/.", str(rc.project_dir / "web" / "rootfs")],
                   check=True)
    rc.write(f"""
        services:
          web:
            image: {private}/team/web:1
            build: web
          copy:
            image: {private}/team/web:1
            pull_policy: always
    """)
    outputs = [rc("build", "--progress", "plain", "web", env=env)]
    outputs.append(rc("push", "web", env=env))
    assert f"pushed {private}/team/web:1" in outputs[-1].stdout
    rc("rmi", f"{private}/team/web:1")
    outputs.append(rc("pull", "-v", "copy", env=env))  # back from the registry, via the helper
    assert f"served by {private}/team/web:1" in outputs[-1].stderr
    outputs.append(rc("config", env=env))
    outputs.append(rc("render", "-o", str(rc.root / "bundles"), "copy", env=env))
    assert list((rc.root / "bundles").rglob("config.json"))  # bundle files are searched too
    for out in outputs:
        assert SECRET not in out.stdout + out.stderr
    leaked = [p for p in _written_files(rc.root, rc.project_dir) if _holds_secret(p)]
    assert not leaked, leaked
    anonymous = rc("pull", "copy", check=False, env={"HOME": str(tmp_path / "nobody")})
    assert anonymous.returncode != 0 and "needs a login" in anonymous.stderr


def test_login_checks_the_password_and_stores_it_through_the_creds_store(
        rc: Richcompose, private: str, tmp_path: Path) -> None:
    env = _helper_env(tmp_path, private)
    config = Path(env["HOME"]) / ".docker" / "config.json"
    config.write_text(json.dumps({"credsStore": "testhelper"}))
    (tmp_path / "helper-bin" / "helper-store.json").write_text("{}")

    def login(password: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "richcompose", "--root", str(rc.root),
                               "login", "-u", "ci", "--password-stdin", private],
                              input=password + "\n", capture_output=True, text=True,
                              env={**env, "PYTHONPATH": str(REPO)}, timeout=60)

    wrong = login("not-it")
    assert wrong.returncode != 0 and "refused the credentials" in wrong.stderr
    right = login(SECRET)
    assert right.returncode == 0, right.stderr
    assert "docker-credential-testhelper" in right.stdout
    assert SECRET not in config.read_text()
    stored = json.loads((tmp_path / "helper-bin" / "helper-store.json").read_text())
    assert stored[private] == {"Username": "ci", "Secret": SECRET}
    assert rc("logout", private, env=env).stdout.startswith("Removed login credentials")
    assert json.loads((tmp_path / "helper-bin" / "helper-store.json").read_text()) == {}


@pytest.mark.buildah
def test_a_base_pinned_by_digest_is_pulled_and_built_on(rc: Richcompose, busybox_layout: Path,
                                                        registries: tuple[str, str]) -> None:
    origin, _ = registries
    push(busybox_layout, "1", f"{origin}/team/busybox:1")
    digest = subprocess.run(["skopeo", "inspect", "--tls-verify=false", "--format",
                             "{{.Digest}}", f"docker://{origin}/team/busybox:1"],
                            capture_output=True, text=True, check=True).stdout.strip()
    (rc.project_dir / "Dockerfile").write_text(
        f"FROM {origin}/team/busybox@{digest}\nLABEL pinned=yes\n")
    rc.write("services:\n  web:\n    build: .\n")
    out = rc("build", "--progress", "plain")
    assert f"base image {origin}/team/busybox@{digest} from {origin}" in out.stderr
    assert "project-web" in rc("images").stdout
