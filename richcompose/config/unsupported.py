"""Keys a runc launcher cannot honour: each is an error or a warning, never silently dropped.

The table below is the single source of truth; docs/reference.md shows it to users. An error
is for a key whose absence would make the service behave differently in a way the user would
notice too late (no image to run, a GPU that is not there); a warning for keys whose purpose
does not exist on a single host (swarm placement, Windows-only settings) or that only tune
something the host decides anyway.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from richcompose.config.models import Project, Service
from richcompose.errors import ConfigError, ConfigWarning

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Rule:
    key: str  # dotted, under a service
    severity: Severity
    reason: str
    instead: str
    applies: Callable[[Service], bool]


def _set(attr: str) -> Callable[[Service], bool]:
    return lambda s: attr in s.model_fields_set and getattr(s, attr) not in (None, [], {}, False)


def _deploy(attr: str) -> Callable[[Service], bool]:
    return lambda s: s.deploy is not None and getattr(s.deploy, attr) not in (None, {})


def _reservation_devices(s: Service) -> bool:
    res = s.deploy.resources if s.deploy else None
    return bool(res and res.reservations and res.reservations.devices)


def _reservations(s: Service) -> bool:
    res = s.deploy.resources if s.deploy else None
    return bool(res and res.reservations) and not _reservation_devices(s)


def _build_set(attr: str) -> Callable[[Service], bool]:
    return lambda s: s.build is not None and attr in s.build.model_fields_set and getattr(
        s.build, attr) not in (None, [], {}, False)


_BUILD_WARNINGS = (
    ("cache_from", "buildah's layer cache under the state root is used; registry caches are not "
     "read", "remove cache_from (repeat builds reuse cached steps anyway)"),
    ("cache_to", "build caches are not exported to a registry", "remove cache_to"),
    ("no_cache_filter", "per-stage cache bypass is not available", "use no_cache: true"),
    ("ssh", "SSH agent forwarding into RUN steps is not available",
     "use a build secret (secrets:) holding a deploy key"),
    ("isolation", "RUN steps always run as runc containers (buildah's OCI isolation)",
     "remove isolation"),
    ("privileged", "RUN steps never run privileged", "remove privileged"),
    ("entitlements", "RUN steps get no extra entitlements", "remove entitlements"),
    ("ulimits", "RUN steps run with the builder's limits", "remove ulimits"),
    ("provenance", "no provenance attestation is attached", "remove provenance"),
    ("sbom", "no SBOM attestation is attached", "remove sbom"),
)
_SWARM = "a swarm scheduling setting; richcompose runs every service on this host"
_WINDOWS = "a Windows-containers setting; it has no meaning for Linux containers under runc"

SERVICE_RULES: tuple[Rule, ...] = (
    *(Rule(f"build.{key}", "warning", reason, instead, _build_set(key)) for key, reason, instead
      in _BUILD_WARNINGS),
    Rule("deploy.resources.reservations.devices", "error",
         "device reservations (GPUs) need a device plugin richcompose does not have",
         "pass the device nodes with devices: and the driver libraries with volumes:",
         _reservation_devices),
    Rule("gpus", "error", "GPUs are reserved by a device plugin richcompose does not have",
         "pass the device nodes with devices: and the driver libraries with volumes:",
         lambda s: s.gpus is not None),
    Rule("use_api_socket", "error", "there is no Docker API socket to give the container",
         "bind-mount your engine's socket with volumes: if you have one", _set("use_api_socket")),
    Rule("external_links", "error", "containers outside the project cannot be linked",
         "give their addresses with extra_hosts:", _set("external_links")),
    Rule("models", "error", "model runner integration is not available",
         "run the model server as a service and pass its URL in environment:", _set("models")),
    Rule("deploy.mode", "warning", _SWARM, "remove deploy.mode",
         lambda s: s.deploy is not None and s.deploy.mode not in (None, "replicated")),
    Rule("deploy.placement", "warning", _SWARM, "remove deploy.placement", _deploy("placement")),
    Rule("deploy.update_config", "warning", _SWARM, "remove it", _deploy("update_config")),
    Rule("deploy.rollback_config", "warning", _SWARM, "remove it", _deploy("rollback_config")),
    Rule("deploy.endpoint_mode", "warning", _SWARM, "remove it", _deploy("endpoint_mode")),
    Rule("deploy.restart_policy", "warning", "a swarm restart setting; it is not applied",
         "use the service's restart: key", _deploy("restart_policy")),
    Rule("deploy.resources.reservations", "warning",
         "reservations are not enforced on a single host (limits are)",
         "use deploy.resources.limits or mem_limit/cpus", _reservations),
    Rule("isolation", "warning", _WINDOWS, "remove isolation", _set("isolation")),
    Rule("credential_spec", "warning", _WINDOWS, "remove credential_spec", _set("credential_spec")),
    Rule("cpu_count", "warning", _WINDOWS, "use cpus:", _set("cpu_count")),
    Rule("cpu_percent", "warning", _WINDOWS, "use cpus:", _set("cpu_percent")),
    Rule("develop", "warning", "`compose watch` is not available; develop: is ignored",
         "bind-mount your sources with volumes: to see changes live", _set("develop")),
    Rule("logging", "warning", "log drivers are not used; richcompose keeps every log itself",
         "read logs with `richcompose logs`; remove logging:",
         lambda s: s.logging is not None and (s.logging.driver not in (None, "json-file", "local")
                                              or bool(set(s.logging.options) - {"max-size"}))),
    Rule("cgroup_parent", "warning", "containers are placed in richcompose's own cgroup",
         "remove cgroup_parent", _set("cgroup_parent")),
    Rule("storage_opt", "warning", "overlay snapshots have no per-container size option",
         "remove storage_opt", _set("storage_opt")),
    Rule("blkio_config", "warning", "block IO weights and limits are not applied",
         "remove blkio_config", _set("blkio_config")),
    Rule("mac_address", "warning", "the network plugin assigns MAC addresses",
         "remove mac_address", _set("mac_address")),
    Rule("userns_mode", "warning", "user namespaces are not used; containers share the host's",
         "remove userns_mode", lambda s: s.userns_mode not in (None, "host")),
    Rule("container_name", "warning", "containers are named PROJECT-SERVICE-N",
         "refer to the container by its service name", _set("container_name")),
    Rule("platform", "warning", "images are pulled for this host's platform",
         "remove platform, or pull the image for it yourself", _set("platform")),
    Rule("pull_refresh_after", "warning", "images are not refreshed on a schedule",
         "use pull_policy: always or `up --pull always`", _set("pull_refresh_after")),
    Rule("stdin_open", "warning", "no container's stdin is kept open to attach to",
         "use `richcompose exec -it SERVICE sh`", _set("stdin_open")),
    Rule("attach", "warning", "`up` in the foreground streams every service's log",
         "use `richcompose logs SERVICE` to read one", lambda s: not s.attach),
    Rule("volumes_from", "warning", "mounts are not copied from other services",
         "repeat the volumes: of the other service", _set("volumes_from")),
    Rule("pid", "warning", "only `pid: host` is honoured", "use pid: host or remove it",
         lambda s: s.pid not in (None, "host")),
    Rule("ipc", "warning", "only `ipc: host` is honoured (private is the default)",
         "use ipc: host or remove it", lambda s: s.ipc not in (None, "host", "private",
                                                                 "shareable")),
    Rule("uts", "warning", "only `uts: host` is honoured", "use uts: host or remove it",
         lambda s: s.uts not in (None, "host")),
)

_UNSUPPORTED_VOLUME_TYPES = {
    "npipe": ("a Windows named pipe", "remove the mount"),
    "cluster": ("a swarm cluster volume", "use a named volume"),
    "image": ("mounting an image as a volume is not available",
              "bind-mount a directory holding the files"),
}


def check(project: Project) -> list[ConfigWarning]:
    """Warnings for `project`; the first error found is raised with its file:line."""
    found: list[ConfigWarning] = []
    for name, service in project.services.items():
        for rule in SERVICE_RULES:
            if rule.applies(service):
                _report(project, found, rule.severity, ("services", name, *rule.key.split(".")),
                        f"{rule.key} is not supported (service {name!r}): {rule.reason}",
                        rule.instead)
        for index, volume in enumerate(service.volumes):
            if volume.type in _UNSUPPORTED_VOLUME_TYPES:
                reason, instead = _UNSUPPORTED_VOLUME_TYPES[volume.type]
                _report(project, found, "error", ("services", name, "volumes", index),
                        f"volume type {volume.type!r} is not supported (service {name!r}): "
                        f"{reason}", instead)
    _check_top_level(project, found)
    return sorted(found, key=lambda w: (w.location.file, w.location.line, w.location.column)
                  if w.location else ("", 0, 0))


def _check_top_level(project: Project, found: list[ConfigWarning]) -> None:
    if project.version is not None:
        _report(project, found, "warning", ("version",), "version is obsolete and ignored",
                "remove it (the compose specification has no versions)")
    if project.models:
        _report(project, found, "error", ("models",), "models is not supported: model runner "
                "integration is not available", "run the model server as a service")
    for name, volume in project.volumes.items():
        if volume is not None and volume.driver not in (None, "local"):
            _report(project, found, "error", ("volumes", name, "driver"),
                    f"volume driver {volume.driver!r} is not supported (volume {name!r})",
                    "use the local driver (remove driver:), or bind-mount a directory")
    for name, network in project.networks.items():
        if network is not None and network.driver not in (None, "bridge", "default"):
            _report(project, found, "warning", ("networks", name, "driver"),
                    f"network driver {network.driver!r} is not supported (network {name!r}); "
                    "a bridge network is used", "remove driver: or set it to bridge")
    for section, objects in (("secrets", project.secrets), ("configs", project.configs)):
        for name, obj in objects.items():
            if obj.external:
                _report(project, found, "error", (section, name, "external"),
                        f"external {section} are not supported ({section[:-1]} {name!r}): "
                        "they live in a swarm store", "use file:, environment: or content:")
            if obj.driver or obj.template_driver:
                _report(project, found, "warning", (section, name),
                        f"{section[:-1]} drivers are not supported ({section[:-1]} {name!r})",
                        "remove driver:/template_driver:")


def _report(project: Project, found: list[ConfigWarning], severity: Severity,
            path: tuple[str | int, ...], message: str, instead: str) -> None:
    location = project.locate(path, key=True)
    if severity == "error":
        raise ConfigError(message, location=location, hint=instead)
    found.append(ConfigWarning(message, location=location, hint=instead))
