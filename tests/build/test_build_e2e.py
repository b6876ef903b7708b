"""`up --build` under real runc: `web` is built from a multi-stage Dockerfile (ARG, target, a
build secret) on a base pulled from a loopback registry through a registries.conf mirror of
Docker Hub; `app` (FROM scratch + COPY of a busybox tree) depends on it. A context change
rebuilds and recreates only `web`; an unchanged `up` builds nothing."""

from __future__ import annotations

import json
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Richcompose, wait_log
from tests.image.layouts import push
from tests.image.registry_server import running_registry

pytestmark = [pytest.mark.runc, pytest.mark.registry, pytest.mark.buildah]
TOKEN = "build-secret-9c1d7e"  # must reach the RUN step, and nothing else

WEB_DOCKERFILE = """\
ARG BASE=busybox:1
FROM ${BASE} AS build
USER 0
ENTRYPOINT []
ARG GREETING=hello
RUN --mount=type=secret,id=token \\
    echo "$GREETING from the build, token of $(wc -c < /run/secrets/token) bytes" > /greeting
FROM build AS final
COPY site /srv/site
CMD ["sh", "-c", "cat /greeting /srv/site/index.html; exec sleep 300"]
FROM final AS debug
RUN touch /debug-stage-was-built
"""


@pytest.fixture
def hub_mirror(rc: Richcompose, busybox_layout: Path, tmp_path: Path) -> Iterator[Path]:
    """A registry on the sandbox's loopback mirroring Docker Hub (busybox:1 pushed as
    hub/library/busybox:1), and a registries.conf that sends docker.io there."""
    (tmp_path / "mirror").mkdir()
    with running_registry(tmp_path / "mirror") as mirror:
        push(busybox_layout, "1", f"{mirror}/hub/library/busybox:1")
        conf = tmp_path / "registries.conf"
        conf.write_text(f'[[registry]]\nlocation = "docker.io"\n'
                        f'[[registry.mirror]]\nlocation = "{mirror}/hub"\n')
        yield conf


def project(rc: Richcompose, busybox_rootfs: Path) -> None:
    web = rc.project_dir / "web"
    (web / "site").mkdir(parents=True)
    (web / "Dockerfile").write_text(WEB_DOCKERFILE)
    (web / "site" / "index.html").write_text("<h1>v1</h1>\n")
    app = rc.project_dir / "app"
    app.mkdir()
    subprocess.run(["cp", "-a", f"{busybox_rootfs}/.", str(app / "tree")], check=True)
    (app / "Dockerfile").write_text('FROM scratch\nCOPY tree /\nCMD ["sh", "-c", '
                                    '"echo app is up; exec sleep 300"]\n')
    (rc.project_dir / "token.txt").write_text(TOKEN)
    rc.write(textwrap.dedent("""
        name: shop
        services:
          web:
            build:
              context: web
              target: final
              args: [GREETING=hi]
              secrets: [token]
            stop_signal: SIGKILL  # sleep as PID 1 ignores SIGTERM: no 10 s grace per stop
          app:
            build: app
            depends_on: [web]
            stop_signal: SIGKILL
        secrets:
          token:
            file: ./token.txt
    """))


def test_up_build_rebuild_and_unchanged_up(rc: Richcompose, hub_mirror: Path,
                                            busybox_rootfs: Path) -> None:
    project(rc, busybox_rootfs)
    env = {"CONTAINERS_REGISTRIES_CONF": str(hub_mirror)}
    first = rc("up", "-d", "--build", env=env)
    assert "web | " in first.stderr and "app | " in first.stderr  # each build's own prefix
    assert "from 127.0.0.1" in first.stderr and "(mirror)" in first.stderr
    web_log = wait_log(rc, "web", "<h1>v1</h1>")
    assert f"hi from the build, token of {len(TOKEN)} bytes" in web_log
    wait_log(rc, "app", "app is up")
    assert rc("exec", "web", "sh", "-c", "test ! -e /debug-stage-was-built").returncode == 0
    images = rc("images").stdout
    assert "shop-web" in images and "shop-app" in images

    again = rc("up", "-d", env=env)
    assert "building" not in again.stderr
    assert "web shop-web-1 is up to date" in again.stderr
    assert "app shop-app-1 is up to date" in again.stderr

    (rc.project_dir / "web" / "site" / "index.html").write_text("<h1>v2</h1>\n")
    rebuilt = rc("up", "-d", "--build", env=env)
    assert "app shop-app-1 is up to date" in rebuilt.stderr  # rebuilt from cache: same image
    assert "recreating shop-web-1" in rebuilt.stderr
    wait_log(rc, "web", "<h1>v2</h1>")

    leaked = [p for p in rc.root.rglob("*") if p.is_file() and not p.is_symlink()
              and TOKEN.encode() in p.read_bytes()]
    assert not leaked, leaked
    rc("down")


def test_a_failing_step_names_the_step_and_buildahs_message(rc: Richcompose,
                                                             busybox_rootfs: Path) -> None:
    subprocess.run(["cp", "-a", f"{busybox_rootfs}/.", str(rc.project_dir / "tree")], check=True)
    (rc.project_dir / "Dockerfile").write_text(
        "FROM scratch\nCOPY tree /\nRUN echo about to fail && exit 3\nRUN echo never\n")
    path = rc.write("services:\n  web:\n    build: .\n")
    out = rc("build", "--progress", "plain", check=False)
    assert out.returncode != 0
    error = out.stderr.strip().splitlines()[-1]
    assert error.startswith(f"error: {path}:3:")
    assert "build of service 'web' failed at STEP 3/4 (RUN echo about to fail && exit 3): " \
        in error
    assert "exit status 3" in error
    assert "web | about to fail" in out.stderr
    assert "Traceback" not in out.stderr


def test_bases_from_a_local_layout_and_from_another_services_build(
        rc: Richcompose, busybox_layout: Path) -> None:
    subprocess.run(["cp", "-a", str(busybox_layout), str(rc.project_dir / "layout")], check=True)
    (rc.project_dir / "base").mkdir()
    (rc.project_dir / "base" / "Dockerfile").write_text(
        "FROM oci:./layout:1\nCOPY marker /marker\n")  # relative to the project directory
    (rc.project_dir / "base" / "marker").write_text("from the layout\n")
    rc.write("""
        name: chain
        services:
          base:
            build: base
          top:
            build:
              context: .
              dockerfile_inline: |
                FROM chain-base
                LABEL stage=top
    """)
    out = rc("build", "--progress", "plain")
    assert out.stderr.index("base | built") < out.stderr.index("top  | building")
    images = rc("images").stdout
    assert "chain-base" in images and "chain-top" in images
    rc("image", "prune")  # also empties buildah's private store (cached steps, bases)
    builder = rc.root / "images" / "builder"
    left = subprocess.run(["buildah", "--root", str(builder / "storage"), "--runroot",
                           str(builder / "run"), "images", "-q"], capture_output=True, text=True,
                          env={"CONTAINERS_STORAGE_CONF": str(builder / "storage.conf"),
                               "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}, check=True)
    assert left.stdout.strip() == ""


def test_up_no_build_with_the_image_missing_says_what_to_do(rc: Richcompose) -> None:
    (rc.project_dir / "Dockerfile").write_text("FROM scratch\n")
    path = rc.write("services:\n  web:\n    build: .\n")
    out = rc("up", "-d", "--no-build", check=False)
    assert out.returncode != 0 and "Traceback" not in out.stderr
    assert f"error: {path}:3:" in out.stderr
    assert "image project-web of service 'web' has not been built" \
        in out.stderr and "drop --no-build" in out.stderr
    rc("down")


def test_build_keys_reach_buildah(rc: Richcompose, busybox_layout: Path) -> None:
    """RUN steps that fail unless the key took effect: no network but loopback, extra_hosts,
    shm_size, build args from the CLI, additional contexts (a directory and another service's
    image); then labels and tags on the stored image."""
    subprocess.run(["cp", "-a", str(busybox_layout), str(rc.project_dir / "layout")], check=True)
    (rc.project_dir / "extra").mkdir()
    (rc.project_dir / "extra" / "note").write_text("from a directory context\n")
    (rc.project_dir / "Dockerfile").write_text("""\
FROM oci:./layout:1
ARG MODE=file
RUN test "$MODE" = cli
RUN test "$(grep -c : /proc/net/dev)" -eq 1
RUN grep -q "10.9.8.7.*db.internal" /etc/hosts
RUN df -k /dev/shm | grep -q " 2048 "
COPY --from=extra note /note
COPY --from=basectx /srv/app /srv/from-base
""")
    rc.write("""
        name: keys
        services:
          base:
            build:
              context: .
              dockerfile_inline: "FROM oci:./layout:1\\n"
          web:
            build:
              context: .
              extra_hosts: ["db.internal=10.9.8.7"]
              shm_size: 2m
              labels: {team: shop}
              tags: ["keys-web:v2"]
              additional_contexts:
                extra: ./extra
                basectx: "service:base"
              cache_from: [keys-web:cache]
    """)
    out = rc("build", "--progress", "plain", "--build-arg", "MODE=cli", "web")
    assert "build.cache_from is not supported" in out.stderr  # warned, not dropped silently
    from richcompose.image.store import ImageStore

    store = ImageStore(rc.root / "images")
    for name in ("keys-web", "keys-web:v2"):
        record = store.record(name)
        assert record is not None
        config = json.loads(store.content.read_blob(record.config or ""))
        assert config["config"]["Labels"]["team"] == "shop"
