"""Compose files written for docker compose, as a new user brings them: each loads, or the
loader names the one key it cannot honour, with its line."""

from __future__ import annotations

from pathlib import Path

from richcompose.config import LoadOptions, load_project
from richcompose.graph import build_graph, start_order

REALWORLD = Path(__file__).parent / "realworld"


def load(name: str, profiles: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    directory = REALWORLD / name
    return load_project(LoadOptions(environ={}, working_dir=directory, profiles=profiles))


def warned_keys(project) -> list[str]:  # type: ignore[no-untyped-def]
    return [w.message.split(" ")[0] for w in project.warnings]


def test_web_app_with_postgres_redis_healthchecks_and_env_files_loads() -> None:
    project = load("webapp")
    assert project.name == "webapp"
    web = project.services["web"]
    assert web.depends_on["db"].condition == "service_healthy"
    assert web.environment["DATABASE_URL"] == "postgres://app:s3cret@db:5432/app"
    assert web.environment["SECRET_KEY"] == "dev-only-key"  # from env_file .env
    assert project.services["db"].healthcheck.test[1] == "pg_isready -U ${POSTGRES_USER} -d ${POSTGRES_DB}"
    assert "mailhog" not in project.services  # profile debug is off
    assert project.warnings == []
    assert start_order(build_graph(project))[-2:] == ["web", "worker"]


def test_web_app_debug_profile_adds_mailhog() -> None:
    assert "mailhog" in load("webapp", profiles=("debug",)).services


def test_stack_with_anchors_extends_from_another_file_and_profiles_loads() -> None:
    project = load("stack", profiles=("tools",))
    api = project.services["api"]
    assert api.image == "registry.example.com/stack/app:2.3.1"
    assert api.restart == "on-failure:5" and api.read_only and api.cap_drop == ["ALL"]
    assert api.environment == {"TZ": "Europe/Berlin", "LANG": "C.UTF-8", "ROLE": "api"}
    assert project.services["scheduler"].depends_on["api"].restart is True
    assert set(project.services) == {"api", "scheduler", "adminer"}
    assert project.warnings == []


def test_legacy_file_with_version_and_deploy_limits_loads_with_one_warning() -> None:
    project = load("legacy")
    assert warned_keys(project) == ["version"]
    wordpress = project.services["wordpress"]
    assert wordpress.deploy.resources.limits.memory == 512 * 1024 * 1024
    assert wordpress.ports[0].published == "8080" and wordpress.ports[0].target == 80
    assert project.locate(("version",), key=True).line == 1


def test_build_only_service_loads_with_its_build_section() -> None:
    build = load("buildonly").services["app"].build
    assert build is not None
    assert (build.dockerfile, build.args) == ("Dockerfile", {"NODE_ENV": "production"})


def test_monitoring_stack_loads_and_warns_about_log_driver_and_global_mode() -> None:
    project = load("monitoring")
    assert warned_keys(project) == ["logging", "deploy.mode"]
    assert [w.location.line for w in project.warnings] == [14, 35]
    assert project.services["node-exporter"].network_mode == "host"
