"""How many containers a service runs: `scale`, `deploy.replicas`, or `up --scale SVC=N`.

As compose-go's validation: `scale` and `deploy.replicas` may both be given only with the same
value; a service with more than one replica cannot have a `container_name` (names are unique).
As docker compose: replica N of service `web` in project `shop` is `shop-web-N`. A host port
that cannot be given to every replica (a fixed port, or a range smaller than the replica count)
is an error at its line, before anything starts; a range is shared out, one port per replica.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from richcompose.errors import ConfigError, UsageError

if TYPE_CHECKING:
    from richcompose.config.models import Project, Service


def replica_count(service: Service) -> int:
    """`scale`, else `deploy.replicas`, else 1 (0 creates no container)."""
    if service.scale is not None:
        return service.scale
    if service.deploy is not None and service.deploy.replicas is not None:
        return service.deploy.replicas
    return 1


def check_replicas(project: Project) -> None:
    """Raises a located ConfigError for the first service whose replicas cannot all run."""
    for name, service in project.services.items():
        deploy = service.deploy
        if service.scale is not None and deploy is not None and deploy.replicas is not None \
                and deploy.replicas != service.scale:
            raise ConfigError(f"service {name!r}: scale ({service.scale}) and deploy.replicas "
                              f"({deploy.replicas}) differ",
                              location=project.locate(("services", name, "scale"), key=True),
                              hint="give one of them, or the same value to both")
        if deploy is not None and deploy.replicas is not None and deploy.replicas < 0:
            raise ConfigError(f"service {name!r}: deploy.replicas must be 0 or more",
                              location=project.locate(("services", name, "deploy", "replicas")))
        count = replica_count(service)
        if count <= 1:
            continue
        key = "scale" if service.scale is not None else "deploy.replicas"
        if service.container_name:
            raise ConfigError(
                f"service {name!r}: container_name cannot be used with {key} {count}, as a "
                "container name must be unique",
                location=project.locate(("services", name, "container_name"), key=True),
                hint="remove container_name (replicas are named "
                     f"{project.name}-{name}-1..{count})")
        for index, port in enumerate(service.ports):
            host = port.published_range
            if host is not None and host[1] - host[0] + 1 < count:
                raise ConfigError(
                    f"service {name!r}: host port {port.published} cannot be published by "
                    f"{count} replicas ({key} {count})",
                    location=project.locate(("services", name, "ports", index)),
                    hint=f"publish a range of at least {count} ports (e.g. "
                         f"{host[0]}-{host[0] + count - 1}:{port.target}) or leave the host "
                         "port out")


def with_scale(project: Project, scale: Mapping[str, int]) -> Project:
    """The project with `up --scale SVC=N` applied (it wins over the file), checked again."""
    services = dict(project.services)
    for name, count in scale.items():
        if name not in services:
            raise UsageError(f"--scale {name}={count}: no such service",
                             hint=f"services are: {', '.join(services)}")
        if count < 0:
            raise UsageError(f"--scale {name}={count}: the count must be 0 or more")
        service = services[name]
        deploy = service.deploy.model_copy(update={"replicas": None}) if service.deploy else None
        services[name] = service.model_copy(update={"scale": count, "deploy": deploy})
    scaled = project.model_copy(update={"services": services})  # keeps positions and warnings
    check_replicas(scaled)
    return scaled


def parse_scale(values: list[str]) -> dict[str, int]:
    """`--scale web=3` (repeatable) → {'web': 3}."""
    out: dict[str, int] = {}
    for value in values:
        name, sep, count = value.partition("=")
        if not sep or not count.isdigit():
            raise UsageError(f"--scale {value!r}: write SERVICE=NUMBER", hint="e.g. --scale web=3")
        out[name] = int(count)
    return out
