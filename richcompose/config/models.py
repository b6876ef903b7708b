"""The validated project: pydantic models for the compose keys richcompose honours, plus the
rich-container keys. Short syntaxes are normalised on the way in (see normalize.py)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from richcompose.config import normalize
from richcompose.config.source import PathKey, SourceMap
from richcompose.config.units import parse_bytes, parse_duration
from richcompose.errors import Location

RichMode = Literal["dumb-init", "sbin-init", "systemd"]
RICH_MODES: tuple[str, ...] = ("dumb-init", "sbin-init", "systemd")
RICH_ONLY_KEYS: tuple[str, ...] = ("rich_mode", "initscript", "initcmd", "initscript_timeout",
                                    "system_services", "poststop")


class Model(BaseModel):
    """Strict base: unknown keys are errors (with a did-you-mean hint), except `x-*` extensions."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=False)

    @model_validator(mode="before")
    @classmethod
    def _drop_extensions(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if not str(k).startswith("x-")}
        return data


def _duration(value: Any) -> Any:
    return None if value is None else parse_duration(value)


class Dependency(Model):
    condition: Literal["service_started", "service_healthy",
                       "service_completed_successfully"] = "service_started"
    required: bool = True
    restart: bool = False


class Healthcheck(Model):
    test: list[str] | None = None
    interval: float = 30.0
    timeout: float = 30.0
    retries: int = Field(3, ge=0)
    start_period: float = 0.0
    start_interval: float = 5.0
    disable: bool = False

    @field_validator("test", mode="before")
    @classmethod
    def _test(cls, value: Any) -> Any:
        # A plain string is CMD-SHELL, as in compose.
        if isinstance(value, str):
            return ["CMD-SHELL", value]
        if isinstance(value, list) and value and value[0] not in ("CMD", "CMD-SHELL", "NONE"):
            raise ValueError("a healthcheck test list starts with CMD, CMD-SHELL or NONE")
        return value

    @field_validator("interval", "timeout", "start_period", "start_interval", mode="before")
    @classmethod
    def _durations(cls, value: Any) -> Any:
        return _duration(value)


class PortMapping(Model):
    target: int = Field(ge=1, le=65535)
    published: str | None = None
    host_ip: str | None = None
    protocol: Literal["tcp", "udp", "sctp"] = "tcp"
    mode: Literal["ingress", "host"] = "ingress"
    name: str | None = None
    app_protocol: str | None = None

    @field_validator("published", mode="before")
    @classmethod
    def _published(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class BindOptions(Model):
    propagation: str | None = None
    create_host_path: bool = True
    selinux: str | None = None


class VolumeOptions(Model):
    nocopy: bool = False
    subpath: str | None = None


class TmpfsOptions(Model):
    size: int | None = None
    mode: int | None = None

    @field_validator("size", mode="before")
    @classmethod
    def _size(cls, value: Any) -> Any:
        return None if value is None else parse_bytes(value)


class ServiceVolume(Model):
    type: Literal["bind", "volume", "tmpfs"] = "volume"
    source: str | None = None
    target: str
    read_only: bool = False
    bind: BindOptions | None = None
    volume: VolumeOptions | None = None
    tmpfs: TmpfsOptions | None = None
    consistency: str | None = None


class Ulimit(Model):
    soft: int
    hard: int


class ResourceSpec(Model):
    cpus: float | None = None
    memory: int | None = None
    pids: int | None = None

    @field_validator("memory", mode="before")
    @classmethod
    def _memory(cls, value: Any) -> Any:
        return None if value is None else parse_bytes(value)

    @field_validator("cpus", mode="before")
    @classmethod
    def _cpus(cls, value: Any) -> Any:
        return float(value) if isinstance(value, str) else value


class Resources(Model):
    limits: ResourceSpec | None = None
    reservations: ResourceSpec | None = None


class Deploy(Model):
    resources: Resources | None = None
    replicas: int | None = None
    labels: dict[str, str] = Field(default_factory=dict)


class Readiness(Model):
    """When an inner system service counts as up: a command that succeeds, a path that exists,
    or a TCP port that accepts connections on localhost."""

    command: list[str] | None = None
    file: str | None = None
    port: int | None = Field(None, ge=1, le=65535)
    timeout: float = 30.0
    interval: float = 0.2

    @field_validator("command", mode="before")
    @classmethod
    def _command(cls, value: Any) -> Any:
        return ["/bin/sh", "-c", value] if isinstance(value, str) else value

    @field_validator("timeout", "interval", mode="before")
    @classmethod
    def _durations(cls, value: Any) -> Any:
        return _duration(value)

    @model_validator(mode="after")
    def _one_probe(self) -> Readiness:
        if sum(x is not None for x in (self.command, self.file, self.port)) != 1:
            raise ValueError("ready: give exactly one of command, file or port")
        return self


class SystemService(Model):
    """A process that runs beside the app inside a rich container (sshd, crond, an agent)."""

    command: list[str] | None = None
    unit: str | None = None  # systemd mode: an existing unit of the image to start in order
    after: list[str] = Field(default_factory=list)
    ready: Readiness | None = None
    environment: dict[str, str | None] = Field(default_factory=dict)

    @field_validator("command", mode="before")
    @classmethod
    def _command(cls, value: Any) -> Any:
        return normalize.split_command(value)

    @field_validator("after", mode="before")
    @classmethod
    def _after(cls, value: Any) -> Any:
        return normalize.string_list(value)

    @field_validator("environment", mode="before")
    @classmethod
    def _env(cls, value: Any) -> Any:
        return normalize.environment_dict(value)

    @model_validator(mode="after")
    def _what_to_run(self) -> SystemService:
        if (self.command is None) == (self.unit is None):
            raise ValueError("a system service needs exactly one of command or unit")
        return self


class ServiceNetwork(Model):
    aliases: list[str] = Field(default_factory=list)
    ipv4_address: str | None = None
    ipv6_address: str | None = None
    priority: int = 0


class Service(Model):
    # What to run
    image: str | None = None
    rootfs: str | None = None
    command: list[str] | None = None
    entrypoint: list[str] | None = None
    environment: dict[str, str | None] = Field(default_factory=dict)
    env_file: list[Any] = Field(default_factory=list)
    working_dir: str | None = None
    user: str | None = None
    hostname: str | None = None
    domainname: str | None = None
    container_name: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    profiles: list[str] = Field(default_factory=list)
    platform: str | None = None
    pull_policy: Literal["always", "missing", "never", "if_not_present", "build"] | None = None
    runtime: str | None = None
    tty: bool = False
    stdin_open: bool = False
    init: bool = False
    # Ordering and lifecycle
    depends_on: dict[str, Dependency] = Field(default_factory=dict)
    healthcheck: Healthcheck | None = None
    restart: str = "no"
    stop_signal: str | None = None
    stop_grace_period: float = 10.0
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
    memswap_limit: int | None = None
    cpus: float | None = None
    cpu_shares: int | None = None
    pids_limit: int | None = None
    shm_size: int | None = None
    devices: list[str] = Field(default_factory=list)
    group_add: list[str] = Field(default_factory=list)
    oom_score_adj: int | None = None
    pid: str | None = None
    ipc: str | None = None
    deploy: Deploy | None = None
    # Storage and network
    volumes: list[ServiceVolume] = Field(default_factory=list)
    volumes_from: list[str] = Field(default_factory=list)
    ports: list[PortMapping] = Field(default_factory=list)
    expose: list[str] = Field(default_factory=list)
    networks: dict[str, ServiceNetwork | None] = Field(default_factory=dict)
    network_mode: str | None = None
    extra_hosts: dict[str, str] = Field(default_factory=dict)
    dns: list[str] = Field(default_factory=list)
    dns_search: list[str] = Field(default_factory=list)
    dns_opt: list[str] = Field(default_factory=list)
    links: list[str] = Field(default_factory=list)
    # Rich container mode
    rich: bool = False
    rich_mode: RichMode | None = None
    initscript: str | None = None
    initcmd: str | None = None
    initscript_timeout: float | None = None
    system_services: dict[str, SystemService] = Field(default_factory=dict)
    poststop: str | None = None  # host-side shell command after the container is gone

    @field_validator("command", "entrypoint", mode="before")
    @classmethod
    def _command(cls, value: Any) -> Any:
        return normalize.split_command(value)

    @field_validator("environment", mode="before")
    @classmethod
    def _environment(cls, value: Any) -> Any:
        return normalize.environment_dict(value)

    @field_validator("depends_on", mode="before")
    @classmethod
    def _depends_on(cls, value: Any) -> Any:
        return normalize.depends_on_dict(value)

    @field_validator("ports", mode="before")
    @classmethod
    def _ports(cls, value: Any) -> Any:
        return normalize.port_list(value)

    @field_validator("volumes", mode="before")
    @classmethod
    def _volumes(cls, value: Any) -> Any:
        return normalize.volume_list(value)

    @field_validator("labels", mode="before")
    @classmethod
    def _labels(cls, value: Any) -> Any:
        return normalize.labels_dict(value)

    @field_validator("env_file", "cap_add", "cap_drop", "tmpfs", "dns", "dns_search", "profiles",
                     "expose", mode="before")
    @classmethod
    def _string_lists(cls, value: Any) -> Any:
        value = normalize.string_list(value)
        if isinstance(value, list):
            return [str(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in value]
        return value

    @field_validator("networks", mode="before")
    @classmethod
    def _networks(cls, value: Any) -> Any:
        return {name: None for name in value} if isinstance(value, list) else value

    @field_validator("extra_hosts", mode="before")
    @classmethod
    def _extra_hosts(cls, value: Any) -> Any:
        if isinstance(value, list):
            out: dict[str, str] = {}
            for item in value:
                host, sep, ip = str(item).partition("=")
                if not sep:
                    host, sep, ip = str(item).partition(":")
                if not sep:
                    raise ValueError(f"extra_hosts entry {item!r} is not HOST=IP or HOST:IP")
                out[host] = ip
            return out
        return value

    @field_validator("sysctls", mode="before")
    @classmethod
    def _sysctls(cls, value: Any) -> Any:
        value = normalize.labels_dict(value)
        return {k: str(v) for k, v in value.items()} if isinstance(value, dict) else value

    @field_validator("ulimits", mode="before")
    @classmethod
    def _ulimits(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: ({"soft": v, "hard": v} if isinstance(v, int) else v)
                    for k, v in value.items()}
        return value

    @field_validator("mem_limit", "memswap_limit", "shm_size", mode="before")
    @classmethod
    def _bytes(cls, value: Any) -> Any:
        return None if value is None else parse_bytes(value)

    @field_validator("cpus", mode="before")
    @classmethod
    def _cpus(cls, value: Any) -> Any:
        return float(value) if isinstance(value, str) else value

    @field_validator("stop_grace_period", "initscript_timeout", mode="before")
    @classmethod
    def _durations(cls, value: Any) -> Any:
        return _duration(value)

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
        if self.image is None and self.rootfs is None:
            raise ValueError("a service needs image: or rootfs:")
        if self.image is not None and self.rootfs is not None:
            raise ValueError("give image: or rootfs:, not both")
        for name, inner in self.system_services.items():
            for dep in inner.after:
                if dep not in self.system_services:
                    raise ValueError(f"system service {name!r} is after unknown {dep!r}")
        return self

    @property
    def effective_rich_mode(self) -> str | None:
        """The rich mode in force: None when not rich, dumb-init when rich and unset."""
        if not self.rich:
            return None
        return self.rich_mode or "dumb-init"


class RichKeyWithoutRich(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(f"{key} needs rich: true")
        self.key = key


class Network(Model):
    name: str | None = None
    driver: str | None = None
    driver_opts: dict[str, Any] = Field(default_factory=dict)
    ipam: dict[str, Any] | None = None
    internal: bool = False
    external: bool = False
    attachable: bool = False
    enable_ipv6: bool = False
    labels: dict[str, str] = Field(default_factory=dict)

    @field_validator("labels", mode="before")
    @classmethod
    def _labels(cls, value: Any) -> Any:
        return normalize.labels_dict(value)


class Volume(Model):
    name: str | None = None
    driver: str | None = None
    driver_opts: dict[str, Any] = Field(default_factory=dict)
    external: bool = False
    labels: dict[str, str] = Field(default_factory=dict)

    @field_validator("labels", mode="before")
    @classmethod
    def _labels(cls, value: Any) -> Any:
        return normalize.labels_dict(value)


class FileObject(Model):
    """A top-level config or secret; richcompose supports the file-based kind."""

    name: str | None = None
    file: str | None = None
    environment: str | None = None
    content: str | None = None
    external: bool = False


class Project(Model):
    """A whole validated project. `name` and `directory` are filled in by the loader."""

    name: str = ""
    directory: str = "."
    services: dict[str, Service] = Field(default_factory=dict)
    networks: dict[str, Network | None] = Field(default_factory=dict)
    volumes: dict[str, Volume | None] = Field(default_factory=dict)
    configs: dict[str, FileObject] = Field(default_factory=dict)
    secrets: dict[str, FileObject] = Field(default_factory=dict)
    version: str | None = None  # obsolete in the compose spec; accepted and ignored

    # Where each key was written, so later stages (graph, bundle) can point at the user's line.
    _source: SourceMap = PrivateAttr(default_factory=SourceMap)

    def locate(self, path: PathKey, *, key: bool = False) -> Location | None:
        return self._source.locate(path, key=key)

    def with_source(self, source: SourceMap) -> Project:
        self._source = source
        return self
