"""The parts a service is made of: dependencies, health checks, ports, volumes, resources,
deploy, networks, files, and the rich container's inner system services."""

from __future__ import annotations

import ipaddress
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from richcompose.config import normalize
from richcompose.config.base import (
    CommandInput,
    DurationInput,
    KeyProblem,
    MappingInput,
    Model,
    NumberInput,
    SizeInput,
    duration,
    in_bytes,
    normalised,
    number,
)


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

    _test = normalised("test", by=normalize.healthcheck_test, written_as=str | list[str] | None)
    _durations = normalised("interval", "timeout", "start_period", "start_interval", by=duration,
                            written_as=DurationInput)


class PortMapping(Model):
    """One published (or exposed) container port; short syntax is split into these, one per
    container port. Checked here so the network stage never refuses what `config` accepted."""

    target: int = Field(ge=1, le=65535)
    published: str | None = None
    host_ip: str | None = None
    protocol: Literal["tcp", "udp", "sctp"] = "tcp"
    mode: Literal["ingress", "host"] = "ingress"
    name: str | None = None
    app_protocol: str | None = None

    _published = normalised("published", by=normalize.int_text, written_as=str | int | None)

    @model_validator(mode="after")
    def _publishable(self) -> PortMapping:
        _ = self.published_range  # raises KeyProblem for a bad range
        if self.host_ip:
            try:
                address = ipaddress.ip_address(self.host_ip)
            except ValueError:
                raise KeyProblem("host_ip", f"host_ip {self.host_ip!r} is not an IP address",
                                 "write an IPv4 address such as 127.0.0.1") from None
            if address.version != 4:
                raise KeyProblem("host_ip", f"port {self.target}: IPv6 host_ip "
                                 f"{self.host_ip} is not supported: project networks are IPv4",
                                 "publish on an IPv4 address (127.0.0.1, 0.0.0.0)")
        if self.protocol == "sctp":
            raise KeyProblem("protocol", f"port {self.target}/sctp is not supported: ports "
                             "are published for tcp and udp", "use tcp or udp")
        return self

    @property
    def published_range(self) -> tuple[int, int] | None:
        """The host port(s): None for "any free port", else (first, last)."""
        if not self.published:
            return None
        low, _, high = self.published.partition("-")
        try:
            first, last = int(low), int(high or low)
        except ValueError:
            raise KeyProblem("published", f"published port {self.published!r} is not a port "
                             "or range", "write 8080 or 8000-8010") from None
        if not 0 < first <= last <= 65535:
            raise KeyProblem("published", f"published port {self.published!r} is out of "
                             "range 1-65535", "write 8080 or 8000-8010")
        return first, last


class BindOptions(Model):
    propagation: str | None = None
    create_host_path: bool = True
    selinux: str | None = None


class VolumeOptions(Model):
    nocopy: bool = False
    subpath: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)


class TmpfsOptions(Model):
    size: int | None = None
    mode: int | None = None

    _size = normalised("size", by=in_bytes, written_as=SizeInput)


class ServiceVolume(Model):
    type: Literal["bind", "volume", "tmpfs", "image", "npipe", "cluster"] = "volume"
    source: str | None = None
    target: str
    read_only: bool = False
    bind: BindOptions | None = None
    volume: VolumeOptions | None = None
    tmpfs: TmpfsOptions | None = None
    image: dict[str, Any] | None = None
    consistency: str | None = None


class Ulimit(Model):
    soft: int
    hard: int

    _numbers = normalised("soft", "hard", by=normalize.whole_number, written_as=int | str)


class ResourceSpec(Model):
    cpus: float | None = None
    memory: int | None = None
    pids: int | None = None
    devices: list[dict[str, Any]] | None = None
    generic_resources: list[dict[str, Any]] | None = None

    _memory = normalised("memory", by=in_bytes, written_as=SizeInput)
    _cpus = normalised("cpus", by=number, written_as=NumberInput)


class Resources(Model):
    limits: ResourceSpec | None = None
    reservations: ResourceSpec | None = None


class Deploy(Model):
    """Of `deploy:`, richcompose honours `resources` and `replicas`; the swarm keys are
    accepted so existing files load, and reported (see docs/reference.md)."""

    resources: Resources | None = None
    replicas: int | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    mode: str | None = None
    endpoint_mode: str | None = None
    placement: dict[str, Any] | None = None
    restart_policy: dict[str, Any] | None = None
    update_config: dict[str, Any] | None = None
    rollback_config: dict[str, Any] | None = None

    _labels = normalised("labels", by=normalize.labels_dict, written_as=MappingInput)


class Readiness(Model):
    """When an inner system service counts as up: a command that succeeds, a path that exists,
    or a TCP port that accepts connections on localhost."""

    command: list[str] | None = None
    file: str | None = None
    port: int | None = Field(None, ge=1, le=65535)
    timeout: float = 30.0
    interval: float = 0.2

    _command = normalised("command", by=normalize.shell_command, written_as=CommandInput)
    _durations = normalised("timeout", "interval", by=duration, written_as=DurationInput)

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
    restart: Literal["no", "on-failure", "always"] = Field("no", description=(
        "Whether the service is started again when it ends after its start (systemd's "
        "Restart=); an image unit's own Restart= stays unless this is set."))
    required: bool = Field(False, description=(
        "The container's lifeline: when this service fails (or, outside systemd, ends for "
        "good) the container stops. By default a system service is the VM's, not the "
        "container's: restarting, stopping or crashing it never stops the container."))

    _command = normalised("command", by=normalize.split_command, written_as=CommandInput)
    _after = normalised("after", by=normalize.string_list, written_as=str | list[str])
    _env = normalised("environment", by=normalize.environment_dict, written_as=MappingInput)

    @model_validator(mode="after")
    def _what_to_run(self) -> SystemService:
        if (self.command is None) == (self.unit is None):
            raise ValueError("a system service needs exactly one of command or unit")
        return self


class ServiceNetwork(Model):
    aliases: list[str] = Field(default_factory=list)
    ipv4_address: str | None = None
    ipv6_address: str | None = None
    link_local_ips: list[str] = Field(default_factory=list)
    mac_address: str | None = None
    driver_opts: dict[str, Any] = Field(default_factory=dict)
    interface_name: str | None = None
    priority: int = 0
    gw_priority: int = 0

    @field_validator("ipv4_address")
    @classmethod
    def _ipv4(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ipaddress.IPv4Address(value)
            except ValueError:
                raise ValueError(f"ipv4_address {value!r} is not an IPv4 address") from None
        return value


class EnvFile(Model):
    path: str
    required: bool = True
    format: str | None = None


class FileRef(Model):
    """A service's use of a top-level secret or config."""

    source: str
    target: str | None = None
    uid: str | None = None
    gid: str | None = None
    mode: int | None = None

    _mode = normalised("mode", by=normalize.file_mode, written_as=int | str | None)


class DeviceMapping(Model):
    source: str
    target: str | None = None
    permissions: str = "rwm"


class Logging(Model):
    driver: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)


class Extends(Model):
    service: str
    file: str | None = None


class LifecycleHook(Model):
    """`post_start` / `pre_stop`: a command run inside the service's container (compose's
    ServiceHook)."""

    command: list[str]
    user: str | None = None
    privileged: bool = False
    working_dir: str | None = None
    environment: dict[str, str | None] = Field(default_factory=dict)

    _command = normalised("command", by=normalize.split_command, written_as=CommandInput)
    _env = normalised("environment", by=normalize.environment_dict, written_as=MappingInput)


class PreStartHook(LifecycleHook):
    """`pre_start`: as docker compose runs it, a one-off container of the service's image (or
    `image`), with its volumes and networks, run to completion before the service starts."""

    command: list[str] | None = None  # type: ignore[assignment]
    image: str | None = None
    per_replica: bool = False

    @model_validator(mode="after")
    def _once_per_service(self) -> PreStartHook:
        if self.per_replica:
            raise KeyProblem("per_replica", "per_replica is not supported (as in docker "
                             "compose): a pre_start hook runs once for the service",
                             "remove per_replica or set it to false")
        return self
