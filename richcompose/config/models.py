"""The validated project: pydantic models for every compose service key plus the rich-container
keys. Short syntaxes are normalised on the way in (normalize.py); the parts a service is made
of live in parts.py. Keys a runc launcher cannot honour are accepted here and reported by
unsupported.py, so no key is ever silently dropped."""

from __future__ import annotations

import ipaddress
from typing import Any, Literal

from pydantic import Field, PrivateAttr, field_validator, model_validator

from richcompose.config import normalize
from richcompose.config.base import (
    CommandInput,
    DurationInput,
    KeyProblem,
    MappingInput,
    Model,
    NumberInput,
    SizeInput,
    StringListInput,
    duration,
    in_bytes,
    normalised,
    number,
)
from richcompose.config.build import Build
from richcompose.config.parts import (
    BindOptions,
    Dependency,
    Deploy,
    DeviceMapping,
    EnvFile,
    Extends,
    FileRef,
    Healthcheck,
    LifecycleHook,
    Logging,
    PortMapping,
    PreStartHook,
    Readiness,
    Resources,
    ResourceSpec,
    ServiceNetwork,
    ServiceVolume,
    SystemService,
    TmpfsOptions,
    Ulimit,
    VolumeOptions,
)
from richcompose.config.resources import FileObject, Include, Network, Volume
from richcompose.config.source import PathKey, SourceMap
from richcompose.errors import ConfigWarning, Location

__all__ = [
    "RICH_MODES", "RICH_ONLY_KEYS", "BindOptions", "Build", "Dependency", "Deploy",
    "DeviceMapping", "EnvFile", "Extends", "FileObject", "FileRef", "Healthcheck", "Include",
    "LifecycleHook", "Logging", "Network", "PortMapping", "PreStartHook", "Project", "Readiness",
    "ResourceSpec", "Resources", "RichKeyWithoutRich", "RichMode", "Service", "ServiceNetwork",
    "ServiceVolume",
    "SystemService", "TmpfsOptions", "Ulimit", "Volume", "VolumeOptions",
]

RichMode = Literal["dumb-init", "sbin-init", "systemd"]
RICH_MODES: tuple[str, ...] = ("dumb-init", "sbin-init", "systemd")
RICH_ONLY_KEYS: tuple[str, ...] = ("rich_mode", "initscript", "initcmd", "initscript_timeout",
                                    "system_services", "poststop")


class Service(Model):
    # What to run
    image: str | None = None
    rootfs: str | None = Field(None, description=(
        "A root filesystem directory or tarball to run instead of an image (the VM-migration "
        "path); relative to the project directory."))
    keep_layer: bool | None = Field(None, description=(
        "Keep the container's writable layer (a VM's disk) when it is recreated for a changed "
        "configuration and on `down` (removed by `down -v`). Default: yes with rootfs:, no "
        "with image:."))
    build: Build | None = None
    command: list[str] | None = None
    entrypoint: list[str] | None = None
    environment: dict[str, str | None] = Field(default_factory=dict)
    env_file: list[EnvFile] = Field(default_factory=list)
    working_dir: str | None = None
    user: str | None = None
    hostname: str | None = None
    domainname: str | None = None
    container_name: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    label_file: list[str] = Field(default_factory=list)
    annotations: dict[str, str] = Field(default_factory=dict)
    profiles: list[str] = Field(default_factory=list)
    platform: str | None = None
    pull_policy: Literal["always", "missing", "never", "if_not_present", "build", "daily",
                         "weekly"] | str | None = None
    pull_refresh_after: str | None = None
    runtime: str | None = None
    tty: bool = False
    stdin_open: bool = False
    attach: bool = True
    init: bool = False
    scale: int | None = Field(None, ge=0)
    extends: Extends | str | None = None  # resolved by the loader; kept here for the schema
    provider: dict[str, Any] | None = None
    develop: dict[str, Any] | None = None
    models: dict[str, Any] | list[str] | None = None
    # Ordering and lifecycle
    depends_on: dict[str, Dependency] = Field(default_factory=dict)
    healthcheck: Healthcheck | None = None
    restart: str = "no"
    stop_signal: str | None = None
    stop_grace_period: float = 10.0
    pre_start: list[PreStartHook] = Field(default_factory=list)
    post_start: list[LifecycleHook] = Field(default_factory=list)
    pre_stop: list[LifecycleHook] = Field(default_factory=list)
    logging: Logging | None = None
    # Security and resources
    privileged: bool = False
    cap_add: list[str] = Field(default_factory=list)
    cap_drop: list[str] = Field(default_factory=list)
    security_opt: list[str] = Field(default_factory=list)
    read_only: bool = False
    tmpfs: list[str] = Field(default_factory=list)
    ulimits: dict[str, Ulimit] = Field(default_factory=dict)
    sysctls: dict[str, str] = Field(default_factory=dict)
    mem_limit: int | None = None
    mem_reservation: int | None = None
    memswap_limit: int | None = None
    mem_swappiness: int | None = Field(None, ge=0, le=100)
    oom_kill_disable: bool = False
    oom_score_adj: int | None = Field(None, ge=-1000, le=1000)
    cpus: float | None = None
    cpu_shares: int | None = None
    cpu_period: int | None = None
    cpu_quota: int | None = None
    cpu_rt_period: int | None = None
    cpu_rt_runtime: int | None = None
    cpuset: str | None = None
    cpu_count: int | None = None
    cpu_percent: int | None = None
    pids_limit: int | None = None
    shm_size: int | None = None
    blkio_config: dict[str, Any] | None = None
    devices: list[DeviceMapping] = Field(default_factory=list)
    device_cgroup_rules: list[str] = Field(default_factory=list)
    gpus: list[dict[str, Any]] | str | None = None
    group_add: list[str] = Field(default_factory=list)
    pid: str | None = None
    ipc: str | None = None
    uts: str | None = None
    userns_mode: str | None = None
    cgroup: Literal["host", "private"] | None = None
    cgroup_parent: str | None = None
    storage_opt: dict[str, Any] | None = None
    isolation: str | None = None
    credential_spec: dict[str, Any] | None = None
    use_api_socket: bool = False
    deploy: Deploy | None = None
    # Storage and network
    volumes: list[ServiceVolume] = Field(default_factory=list)
    volumes_from: list[str] = Field(default_factory=list)
    secrets: list[FileRef] = Field(default_factory=list)
    configs: list[FileRef] = Field(default_factory=list)
    ports: list[PortMapping] = Field(default_factory=list)
    expose: list[str] = Field(default_factory=list)
    networks: dict[str, ServiceNetwork | None] = Field(default_factory=dict)
    network_mode: str | None = None
    mac_address: str | None = None
    extra_hosts: dict[str, list[str]] = Field(default_factory=dict)
    dns: list[str] = Field(default_factory=list)
    dns_search: list[str] = Field(default_factory=list)
    dns_opt: list[str] = Field(default_factory=list)
    links: list[str] = Field(default_factory=list)
    external_links: list[str] = Field(default_factory=list)
    # Rich container mode
    rich: bool = Field(False, description=(
        "Rich container: PID 1 is a real init (see rich_mode) and the command runs under it."))
    rich_mode: RichMode | None = Field(None, description=(
        "The init that runs as PID 1: dumb-init (default), sbin-init or systemd. Needs rich: true."))
    initscript: str | None = Field(None, description=(
        "A script in the container's filesystem run before the command on every start and "
        "restart; it gets the OCI state JSON on stdin. Needs rich: true."))
    initcmd: str | None = Field(None, description=(
        "An inline shell command run like initscript; needs nothing in the image. Needs rich: true."))
    initscript_timeout: float | None = Field(None, description=(
        "How long initscript/initcmd may run (a duration such as 30s). Needs rich: true."))
    system_services: dict[str, SystemService] = Field(default_factory=dict, description=(
        "Processes that run beside the app inside the container (sshd, crond, agents), started "
        "in `after` order; in systemd mode they become units. Needs rich: true."))
    poststop: str | None = Field(None, description=(
        "A shell command run on the host after the container is gone. Needs rich: true."))

    # Short syntaxes become the long form (normalize.py) before the fields are checked.
    _command = normalised("command", "entrypoint", by=normalize.split_command,
                          written_as=CommandInput)
    _environment = normalised("environment", by=normalize.environment_dict,
                              written_as=MappingInput)
    _depends_on = normalised("depends_on", by=normalize.depends_on_dict,
                             written_as=list[str] | dict[str, Dependency])
    _ports = normalised("ports", by=normalize.port_list, written_as=list[int | str | PortMapping])
    _volumes = normalised("volumes", by=normalize.volume_list,
                          written_as=list[str | ServiceVolume])
    _labels = normalised("labels", "annotations", by=normalize.labels_dict,
                         written_as=MappingInput)
    _text_lists = normalised("cap_add", "cap_drop", "tmpfs", "dns", "dns_search", "dns_opt",
                             "profiles", "expose", "label_file", "security_opt", "group_add",
                             "links", "external_links", "volumes_from", "device_cgroup_rules",
                             by=normalize.text_list, written_as=StringListInput)
    _networks = normalised("networks", by=normalize.network_dict,
                           written_as=list[str] | dict[str, ServiceNetwork | None])
    _build = normalised("build", by=normalize.build_dict, written_as=Build | str | None)
    _extra_hosts = normalised("extra_hosts", by=normalize.extra_hosts_dict,
                              written_as=list[str] | dict[str, str | list[str]])
    _env_file = normalised("env_file", by=normalize.env_file_list,
                           written_as=str | list[str | EnvFile])
    _file_refs = normalised("secrets", "configs", by=normalize.file_ref_list,
                            written_as=list[str | FileRef])
    _devices = normalised("devices", by=normalize.device_list,
                          written_as=list[str | DeviceMapping])
    _sysctls = normalised("sysctls", by=normalize.sysctls_dict, written_as=MappingInput)
    _ulimits = normalised("ulimits", by=normalize.ulimits_dict,
                          written_as=dict[str, int | str | Ulimit])
    _bytes = normalised("mem_limit", "mem_reservation", "memswap_limit", "shm_size", by=in_bytes,
                        written_as=SizeInput)
    _cpus = normalised("cpus", by=number, written_as=NumberInput)
    _durations = normalised("stop_grace_period", "initscript_timeout", by=duration,
                            written_as=DurationInput)

    @field_validator("extra_hosts")
    @classmethod
    def _extra_host_addresses(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        # Checked here, not when the container starts: what `config` accepts, `up` accepts.
        for host, addresses in value.items():
            for address in addresses:
                if address != "host-gateway" and not _is_ip(address):
                    raise KeyProblem(host, f"extra_hosts {host}: {address!r} is not an IP "
                                     "address", "write HOST=IP (or HOST=host-gateway)")
        return value

    @field_validator("restart")
    @classmethod
    def _restart(cls, value: str) -> str:
        policy, _, count = value.partition(":")
        if policy not in ("no", "always", "on-failure", "unless-stopped") or (
            count and (policy != "on-failure" or not count.isdigit())
        ):
            raise ValueError(
                f"restart must be no, always, on-failure[:N] or unless-stopped, not {value!r}")
        return value

    @model_validator(mode="before")
    @classmethod
    def _rich_keys_need_rich(cls, data: Any) -> Any:
        # Checked before field validation so the message names the key the user wrote.
        if isinstance(data, dict) and data.get("rich") is not True:
            for key in RICH_ONLY_KEYS:
                if key in data:
                    raise RichKeyWithoutRich(key)
        return data

    @model_validator(mode="after")
    def _what_to_run(self) -> Service:
        if self.provider is not None:
            raise KeyProblem("provider", "provider services are not supported: a compose "
                             "plugin runs them, not a container",
                             "run the provider's tool yourself, or replace the service by one "
                             "with an image")
        if self.image is None and self.rootfs is None and self.build is None:
            raise KeyProblem(None, "nothing to run: no image:, build: or rootfs:",
                             "add image: NAME (registry, oci:DIR, docker-archive:FILE), "
                             "build: DIR or rootfs: DIR")
        if self.build is not None and self.rootfs is not None:
            raise KeyProblem("rootfs", "give build: or rootfs:, not both", "remove one of them")
        if self.image is not None and self.rootfs is not None:
            raise KeyProblem("rootfs", "give image: or rootfs:, not both", "remove one of them")
        for name, inner in self.system_services.items():
            for dep in inner.after:
                if dep not in self.system_services:
                    raise KeyProblem("system_services",
                                     f"system service {name!r} is after unknown {dep!r}",
                                     f"define system service {dep!r} or remove it from after:")
        return self

    @property
    def effective_rich_mode(self) -> str | None:
        """The rich mode in force: None when not rich, dumb-init when rich and unset."""
        if not self.rich:
            return None
        return self.rich_mode or "dumb-init"


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


class RichKeyWithoutRich(KeyProblem):
    def __init__(self, key: str) -> None:
        super().__init__(key, f"{key} needs rich: true",
                         f"add 'rich: true' to the service or remove {key}")


class Project(Model):
    """A whole validated project. `name` and `directory` are filled in by the loader."""

    name: str = ""
    directory: str = "."
    include: list[Include | str] = Field(default_factory=list)
    services: dict[str, Service] = Field(default_factory=dict)
    networks: dict[str, Network | None] = Field(default_factory=dict)
    volumes: dict[str, Volume | None] = Field(default_factory=dict)
    configs: dict[str, FileObject] = Field(default_factory=dict)
    secrets: dict[str, FileObject] = Field(default_factory=dict)
    models: dict[str, Any] = Field(default_factory=dict)
    version: str | None = None  # obsolete in the compose spec; accepted, reported, ignored

    # Where each key was written, so later stages (graph, bundle) can point at the user's line.
    _source: SourceMap = PrivateAttr(default_factory=SourceMap)
    _warnings: list[ConfigWarning] = PrivateAttr(default_factory=list)
    _profiles: list[str] = PrivateAttr(default_factory=list)
    _extensions: dict[PathKey, dict[str, Any]] = PrivateAttr(default_factory=dict)
    _file_environment: dict[str, str] = PrivateAttr(default_factory=dict)

    def locate(self, path: PathKey, *, key: bool = False) -> Location | None:
        return self._source.locate(path, key=key)

    def with_source(self, source: SourceMap) -> Project:
        self._source = source
        return self

    @property
    def warnings(self) -> list[ConfigWarning]:
        """What the loader accepted but will not do as written; the CLI prints these."""
        return self._warnings

    @property
    def extensions(self) -> dict[PathKey, dict[str, Any]]:
        """The `x-*` keys of the files, by the path of the mapping that holds them."""
        return self._extensions

    @property
    def file_environment(self) -> dict[str, str]:
        """Values of the variables that `environment:` secrets and configs name, taken from
        the project's environment at load; kept out of every dump (`config` prints the name)."""
        return self._file_environment

    @property
    def all_profiles(self) -> list[str]:
        """Every profile named by any service, enabled or not (`config --profiles`)."""
        return self._profiles
