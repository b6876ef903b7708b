"""Which services `up` builds or pulls (docker compose's rules), and what a build is given."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from richcompose.config import LoadOptions, load_project
from richcompose.config.models import Project, Service
from richcompose.errors import ImageError
from richcompose.image.build.plan import (
    BuildOptions,
    build_job,
    dependencies,
    image_name,
    should_build,
    should_try_pull,
)


def project(tmp_path: Path, text: str, environ: dict[str, str] | None = None) -> Project:
    (tmp_path / "compose.yaml").write_text(textwrap.dedent(text))
    (tmp_path / "Dockerfile").write_text("FROM busybox\n")
    return load_project(LoadOptions(files=(tmp_path / "compose.yaml",), environ=environ or {}))


def service(**keys: object) -> Service:
    return Service.model_validate({"build": ".", **keys})


@pytest.mark.parametrize(("keys", "options", "present", "expected"), [
    ({}, BuildOptions(), False, True),  # missing image: build
    ({}, BuildOptions(), True, False),  # present: skipped unless asked
    ({"pull_policy": "build"}, BuildOptions(), True, True),
    ({}, BuildOptions(force=True), True, True),  # up --build
    ({}, BuildOptions(no_build=True), False, False),  # up --no-build
    ({"pull_policy": "never"}, BuildOptions(), False, True),  # never only stops pulls
])
def test_when_up_builds(keys: dict[str, object], options: BuildOptions, present: bool,
                        expected: bool) -> None:
    assert should_build(service(**keys), options, present) is expected


@pytest.mark.parametrize(("keys", "options", "present", "stale", "expected"), [
    ({}, BuildOptions(), False, False, False),  # no image: nothing to pull
    ({"image": "reg.example/app"}, BuildOptions(), False, False, True),  # missing: try a pull
    ({"image": "reg.example/app"}, BuildOptions(), True, False, False),
    ({"image": "reg.example/app", "pull_policy": "always"}, BuildOptions(), True, False, True),
    ({"image": "reg.example/app", "pull_policy": "daily"}, BuildOptions(), True, True, True),
    ({"image": "reg.example/app", "pull_policy": "never"}, BuildOptions(), False, False, False),
    ({"image": "reg.example/app", "pull_policy": "build"}, BuildOptions(), False, False, False),
    ({"image": "reg.example/app", "pull_policy": "always"}, BuildOptions(force=True), True,
     False, False),  # --build makes the policy `build`
])
def test_when_up_pulls_a_buildable_image_first(keys: dict[str, object], options: BuildOptions,
                                                present: bool, stale: bool,
                                                expected: bool) -> None:
    assert should_try_pull(service(**keys), options, present, stale) is expected


def test_the_image_is_named_by_image_or_project_dash_service(tmp_path: Path) -> None:
    p = project(tmp_path, """
        name: shop
        services:
          web: {build: .}
          api: {build: ., image: reg.example/api:2}
    """)
    assert image_name(p, "web") == "shop-web"
    assert image_name(p, "api") == "reg.example/api:2"


def test_args_merge_with_overrides_and_bare_names_from_the_environment(tmp_path: Path) -> None:
    p = project(tmp_path, """
        services:
          web:
            build:
              context: .
              args: [A=1, FROM_ENV, UNSET, B=2]
    """, environ={"FROM_ENV": "e"})
    job = build_job(p, "web", BuildOptions(args={"B": "override"}), {})
    assert job.args == {"A": "1", "FROM_ENV": "e", "B": "override"}


def test_args_are_interpolated_from_the_project_environment(tmp_path: Path) -> None:
    p = project(tmp_path, """
        services:
          web:
            build: {context: ., args: {VERSION: "${V:-1}"}}
    """, environ={"V": "7"})
    assert build_job(p, "web", BuildOptions(), {}).args == {"VERSION": "7"}


def test_a_build_secret_from_the_environment_is_passed_by_value(tmp_path: Path) -> None:
    p = project(tmp_path, """
        services:
          web:
            build: {context: ., secrets: [{source: tok, target: npm}]}
        secrets:
          tok: {environment: TOKEN}
    """)
    job = build_job(p, "web", BuildOptions(), {"TOKEN": "t0ps3cret"})
    assert [(s.id, s.value) for s in job.secrets] == [("npm", "t0ps3cret")]
    assert "t0ps3cret" not in repr(job)


def test_a_foreign_platform_is_a_located_error(tmp_path: Path) -> None:
    p = project(tmp_path, """
        services:
          web:
            build:
              context: .
              platforms: [linux/s390x]
    """)
    with pytest.raises(ImageError, match="s390x") as info:
        build_job(p, "web", BuildOptions(), {})
    assert info.value.location is not None and info.value.location.line == 6


def test_a_missing_dockerfile_is_a_located_error(tmp_path: Path) -> None:
    p = project(tmp_path, """
        services:
          web:
            build: {context: ., dockerfile: Nope.Dockerfile}
    """)
    with pytest.raises(ImageError, match="Nope.Dockerfile") as info:
        build_job(p, "web", BuildOptions(), {})
    assert info.value.location is not None


def test_a_service_built_on_another_services_image_waits_for_it(tmp_path: Path) -> None:
    p = project(tmp_path, """
        name: shop
        services:
          base: {build: .}
          web:
            build: {context: ., dockerfile_inline: "FROM shop-base\\n"}
          side:
            build: {context: ., additional_contexts: {b: "service:base"}}
    """)
    jobs = {n: build_job(p, n, BuildOptions(), {}) for n in p.services}
    assert dependencies(jobs) == {"base": set(), "web": {"base"}, "side": {"base"}}
