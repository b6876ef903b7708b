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
from typing import Any, Literal

from richcompose.config.models import Project, Service
from richcompose.errors import ConfigError, ConfigWarning

Severity = Literal["error", "warning"]


Test = Callable[[Service], bool]


@dataclass(frozen=True)
class Rule:
    key: str  # dotted, under a service
    severity: Severity
    reason: str
    instead: str
    applies: Test


def _owner(service: Service, path: list[str]) -> Any:
    """The model at `path` under `service`, or None where a part of it is not written."""
    owner: Any = service
    for name in path:
        owner = getattr(owner, name)
        if owner is None:
            return None
    return owner


def _written(key: str) -> Test:
    """The dotted `key` is written with a value that asks for something (not empty, not false)."""
    *path, attr = key.split(".")

    def applies(service: Service) -> bool:
        owner = _owner(service, path)
        return (owner is not None and attr in owner.model_fields_set
                and getattr(owner, attr) not in (None, [], {}, False))
    return applies


def _other_than(key: str, *honoured: str | None) -> Test:
    """The dotted `key` holds a value other than the `honoured` ones."""
    *path, attr = key.split(".")

    def applies(service: Service) -> bool:
        owner = _owner(service, path)
        return owner is not None and getattr(owner, attr) not in honoured
    return applies


def _reservation_devices(s: Service) -> bool:
    res = s.deploy.resources if s.deploy else None
    return bool(res and res.reservations and res.reservations.devices)


def _reservations(s: Service) -> bool:
    res = s.deploy.resources if s.deploy else None
    return bool(res and res.reservations) and not _reservation_devices(s)


def _logging(s: Service) -> bool:
    return s.logging is not None and (s.logging.driver not in (None, "json-file", "local")
                                      or bool(set(s.logging.options) - {"max-size"}))


_SWARM = "a swarm scheduling setting; richcompose runs every service on this host"
_WINDOWS = "a Windows-containers setting; it has no meaning for Linux containers under runc"
# the keys each of these reasons covers, with what to do instead
_SWARM_KEYS = (("deploy.placement", "remove deploy.placement"), ("deploy.update_config", "remove it"),
               ("deploy.rollback_config", "remove it"), ("deploy.endpoint_mode", "remove it"))
_WINDOWS_KEYS = (("isolation", "remove isolation"), ("credential_spec", "remove credential_spec"),
                 ("cpu_count", "use cpus:"), ("cpu_percent", "use cpus:"))
_DEVICES = "pass the device nodes with devices: and the driver libraries with volumes:"

# key, severity, why it cannot be honoured, what to do instead[, when it applies: by default
# when the key is written (see _written)]. In this order: the first error found is raised.
_RULES: tuple[tuple[str, Severity, str, str] | tuple[str, Severity, str, str, Test], ...] = (
    ("build.cache_from", "warning", "buildah's layer cache under the state root is used; "
     "registry caches are not read", "remove cache_from (repeat builds reuse cached steps anyway)"),
    ("build.cache_to", "warning", "build caches are not exported to a registry", "remove cache_to"),
    ("build.no_cache_filter", "warning", "per-stage cache bypass is not available",
     "use no_cache: true"),
    ("build.ssh", "warning", "SSH agent forwarding into RUN steps is not available",
     "use a build secret (secrets:) holding a deploy key"),
    ("build.isolation", "warning",
     "RUN steps always run as runc containers (buildah's OCI isolation)", "remove isolation"),
    ("build.privileged", "warning", "RUN steps never run privileged", "remove privileged"),
    ("build.entitlements", "warning", "RUN steps get no extra entitlements",
     "remove entitlements"),
    ("build.ulimits", "warning", "RUN steps run with the builder's limits", "remove ulimits"),
    ("build.provenance", "warning", "no provenance attestation is attached", "remove provenance"),
    ("build.sbom", "warning", "no SBOM attestation is attached", "remove sbom"),
    ("deploy.resources.reservations.devices", "error",
     "device reservations (GPUs) need a device plugin richcompose does not have", _DEVICES,
     _reservation_devices),
    ("gpus", "error", "GPUs are reserved by a device plugin richcompose does not have", _DEVICES,
     lambda s: s.gpus is not None),
    ("use_api_socket", "error", "there is no Docker API socket to give the container",
     "bind-mount your engine's socket with volumes: if you have one"),
    ("external_links", "error", "containers outside the project cannot be linked",
     "give their addresses with extra_hosts:"),
    ("models", "error", "model runner integration is not available",
     "run the model server as a service and pass its URL in environment:"),
    ("deploy.mode", "warning", _SWARM, "remove deploy.mode",
     _other_than("deploy.mode", None, "replicated")),
    *((key, "warning", _SWARM, instead) for key, instead in _SWARM_KEYS),
    ("deploy.restart_policy", "warning", "a swarm restart setting; it is not applied",
     "use the service's restart: key"),
    ("deploy.resources.reservations", "warning",
     "reservations are not enforced on a single host (limits are)",
     "use deploy.resources.limits or mem_limit/cpus", _reservations),
    *((key, "warning", _WINDOWS, instead) for key, instead in _WINDOWS_KEYS),
    ("develop", "warning", "`compose watch` is not available; develop: is ignored",
     "bind-mount your sources with volumes: to see changes live"),
    ("logging", "warning", "log drivers are not used; richcompose keeps every log itself",
     "read logs with `richcompose logs`; remove logging:", _logging),
    ("cgroup_parent", "warning", "containers are placed in richcompose's own cgroup",
     "remove cgroup_parent"),
    ("storage_opt", "warning", "overlay snapshots have no per-container size option",
     "remove storage_opt"),
    ("blkio_config", "warning", "block IO weights and limits are not applied",
     "remove blkio_config"),
    ("mac_address", "warning", "the network plugin assigns MAC addresses", "remove mac_address"),
    ("userns_mode", "warning", "user namespaces are not used; containers share the host's",
     "remove userns_mode", _other_than("userns_mode", None, "host")),
    ("container_name", "warning", "containers are named PROJECT-SERVICE-N",
     "refer to the container by its service name"),
    ("platform", "warning", "images are pulled for this host's platform",
     "remove platform, or pull the image for it yourself"),
    ("pull_refresh_after", "warning", "images are not refreshed on a schedule",
     "use pull_policy: always or `up --pull always`"),
    ("stdin_open", "warning", "no container's stdin is kept open to attach to",
     "use `richcompose exec -it SERVICE sh`"),
    ("attach", "warning", "`up` in the foreground streams every service's log",
     "use `richcompose logs SERVICE` to read one", lambda s: not s.attach),
    ("volumes_from", "warning", "mounts are not copied from other services",
     "repeat the volumes: of the other service"),
    ("pid", "warning", "only `pid: host` is honoured", "use pid: host or remove it",
     _other_than("pid", None, "host")),
    ("ipc", "warning", "only `ipc: host` is honoured (private is the default)",
     "use ipc: host or remove it", _other_than("ipc", None, "host", "private", "shareable")),
    ("uts", "warning", "only `uts: host` is honoured", "use uts: host or remove it",
     _other_than("uts", None, "host")),
)
SERVICE_RULES: tuple[Rule, ...] = tuple(
    Rule(key, severity, reason, instead, test[0] if test else _written(key))
    for key, severity, reason, instead, *test in _RULES)

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
