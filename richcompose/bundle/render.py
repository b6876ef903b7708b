"""(service, image) → OCI bundle: the list of spec options for a service, and writing it out.

Rendering uses values only (no containers, no mounts), so `richcompose render` can write bundles
for inspection and every rendered config.json can be checked against the runtime-spec schema.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from richcompose.bundle import host, launchplan, rich, seccomp, security
from richcompose.bundle.filerefs import file_ref_mounts
from richcompose.bundle.imagefs import ImageFS
from richcompose.bundle.launcher import launcher
from richcompose.bundle.launchplan import LaunchPlan
from richcompose.bundle.process import (
    environment,
    invalid_image_env,
    process_args,
    resolve_groups,
    resolve_user,
)
from richcompose.bundle.rich import BundleFile, RichInputs, RichParts
from richcompose.bundle.sbininit import sbin_init_mode
from richcompose.bundle.spec import (
    Spec,
    SpecOption,
    bind_mount,
    build_spec,
    with_annotations,
    with_cgroups_path,
    with_cwd,
    with_domainname,
    with_env,
    with_hostname,
    with_mounts,
    with_namespace_path,
    with_process_args,
    with_root,
    with_user,
)
from richcompose.bundle.systemd import systemd_mode
from richcompose.config.models import Project, Service
from richcompose.errors import BundleError, Location
from richcompose.hostfs import safe_join
from richcompose.image import defaults
from richcompose.image.types import ResolvedImage
from richcompose.signals import signal_name

LABEL_PREFIX = "org.richcompose.label."
EXPOSE_ANNOTATION = "org.richcompose.expose"


@dataclass(frozen=True)
class RenderContext:
    """Everything besides the service that decides its bundle."""

    project: Project
    service_name: str
    container_id: str
    image: ResolvedImage
    volumes_root: Path  # named volumes live at volumes_root/<project>_<name>
    dumb_init: str = "/usr/local/libexec/richcompose/dumb-init"
    tini: str = "/usr/bin/tini-static"  # compose's `init: true`
    # Docker-format default profile (the engine's EngineConfig.seccomp_profile, loaded);
    # None: no seccomp filter
    seccomp_profile: Mapping[str, Any] | None = field(default_factory=seccomp.load_profile)
    # The host environment compose's bare `KEY` takes values from: given, never read here.
    host_env: Mapping[str, str] = field(kw_only=True)
    # The host's capability bounding set: what privileged / cap_add can grant at most.
    host_capabilities: tuple[str, ...] = field(default_factory=security.host_bounding_set)
    # A cgroup v1 host with a cgroup2 `unified` mount: systemd then tracks its units there.
    host_cgroup_hybrid: bool = field(default_factory=lambda: os.path.ismount(
        "/sys/fs/cgroup/unified"))
    cgroup_parent: str = "/richcompose"  # the container's cgroup is <parent>/<container id>
    # Where the engine writes the service's secret and config files (engine/filerefs.py)
    files_dir: Path = Path("/nonexistent/richcompose-files")

    @property
    def service(self) -> Service:
        return self.project.services[self.service_name]


def render_parts(ctx: RenderContext) -> RichParts:
    """Every option of the service's spec, plus the generated files the rich modes mount."""
    service = ctx.service
    location = ctx.project.locate(("services", ctx.service_name))
    image_config = ctx.image.config
    env = environment(service, image_config, ctx.host_env)
    env.setdefault("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
    hostname = service.hostname or ctx.service_name
    env.setdefault("HOSTNAME", hostname)
    uid, gid = resolve_user(defaults.user(image_config, service.user), ctx.image.layers,
                            location)
    argv = process_args(service, image_config)
    cwd = defaults.working_dir(image_config, service.working_dir)
    options: list[SpecOption] = [
        with_root("rootfs", readonly=service.read_only),
        with_process_args(argv),
        with_env(env),
        with_cwd(cwd),
        with_user(uid, gid),
        with_hostname(hostname),
        *([with_domainname(service.domainname)] if service.domainname else []),
        with_cgroups_path(f"{ctx.cgroup_parent}/{ctx.container_id}"),
        *security_options(ctx),
    ]
    options += host_options(ctx, location)
    inputs = RichInputs(
        name=ctx.service_name, service=service, container_id=ctx.container_id, argv=argv, env=env,
        cwd=cwd, hostname=hostname, uid=uid, gid=gid,
        fs=ImageFS(ctx.image.layers, _volume_sources(ctx)),
        mount_targets=frozenset(str(m["destination"]) for m in volume_mounts(ctx)),
        project_dir=str(ctx.project.directory), dumb_init=ctx.dumb_init, host_env=ctx.host_env,
        cgroup_hybrid=ctx.host_cgroup_hybrid,
        locate=lambda key: ctx.project.locate(("services", ctx.service_name, key)))
    parts = RichParts(options)
    parts.extend(rich_parts(inputs))
    if not service.rich and service.init:
        parts.options.append(rich.with_init_binary(ctx.tini, rich.TINI_IN_CONTAINER))
    # User mounts last: a volume on a path a mode mounts (e.g. /run) wins, as in podman.
    parts.options += [
        with_mounts(volume_mounts(ctx)),
        with_mounts([m.mount(ctx.files_dir) for m in file_ref_mounts(ctx.project,
                                                                     ctx.service_name)]),
        with_annotations({"org.richcompose.project": ctx.project.name,
                          "org.richcompose.service": ctx.service_name}),
    ]
    return parts


def host_options(ctx: RenderContext, location: Location | None) -> list[SpecOption]:
    """Devices, groups, the host's namespaces, cgroup tuning, annotations, a terminal."""
    service = ctx.service

    def at(key: str) -> Location | None:
        return ctx.project.locate(("services", ctx.service_name, key)) or location

    options: list[SpecOption] = []
    if service.devices:
        options.append(host.with_devices(host.device_entries(service.devices, at("devices"))))
    if service.device_cgroup_rules:
        options.append(host.with_device_cgroup_rules(
            host.device_rule(r, at("device_cgroup_rules")) for r in service.device_cgroup_rules))
    if service.group_add:
        options.append(host.with_additional_gids(
            resolve_groups(service.group_add, ctx.image.layers, at("group_add"))))
    for kind in ("pid", "ipc", "uts", "cgroup"):
        if getattr(service, kind) == "host":
            options.append(host.with_host_namespace(kind))
    if service.cgroup == "private":
        options.append(host.with_private_cgroup_namespace())
    options.append(host.with_tuning(
        memory_reservation=service.mem_reservation, swappiness=service.mem_swappiness,
        oom_kill_disable=service.oom_kill_disable, cpu_period=service.cpu_period,
        cpu_quota=service.cpu_quota, cpu_rt_period=service.cpu_rt_period,
        cpu_rt_runtime=service.cpu_rt_runtime, cpuset=service.cpuset))
    if service.annotations:
        options.append(with_annotations(service.annotations))
    # Labels and exposed ports are metadata, as in docker: kept on the container (its OCI
    # annotations, shown by `runc state` and `richcompose render`), not acted on.
    if service.labels:
        options.append(with_annotations({f"{LABEL_PREFIX}{k}": v
                                         for k, v in service.labels.items()}))
    if service.expose:
        options.append(with_annotations({EXPOSE_ANNOTATION: ",".join(service.expose)}))
    if service.tty:
        options.append(host.with_terminal())
    return options


def security_options(ctx: RenderContext) -> list[SpecOption]:
    service = ctx.service
    missing = security.missing_capabilities(service.cap_add, ctx.host_capabilities)
    if missing:
        raise BundleError(f"service {ctx.service_name!r}: cap_add {', '.join(missing)}: not in "
                          "this host's capability bounding set, so no container here can have "
                          "it", location=ctx.project.locate(("services", ctx.service_name,
                                                             "cap_add")),
                          hint="remove it from cap_add (see CapBnd in /proc/self/status)")
    caps = security.capability_set(service.cap_add, service.cap_drop,
                                   host=ctx.host_capabilities)
    limits = service.deploy.resources.limits if service.deploy and service.deploy.resources \
        else None
    options: list[SpecOption] = [security.with_device_rules()]
    if service.privileged:
        options.append(security.with_privileged(security.capability_set(
            service.cap_add, service.cap_drop, base=ctx.host_capabilities,
            host=ctx.host_capabilities)))
    else:
        options.append(security.with_capabilities(caps))
        profile, problem = seccomp.requested_profile(service.security_opt, ctx.seccomp_profile,
                                                     Path(ctx.project.directory))
        if problem:
            raise BundleError(problem, location=ctx.project.locate(
                ("services", ctx.service_name, "security_opt")),
                hint="write security_opt: [seccomp=PROFILE.json] or [seccomp=unconfined]")
        if profile is not None:
            options.append(security.with_seccomp(seccomp.to_oci(
                profile, arch=seccomp.host_arch(), capabilities=caps)))
    if "no-new-privileges=false" in service.security_opt:
        options.append(security.with_no_new_privileges(False))
    if service.shm_size is not None:
        options.append(security.with_shm_size(service.shm_size))
    if service.ulimits:
        options.append(security.with_rlimits(
            {name: (u.soft, u.hard) for name, u in service.ulimits.items()}))
    if service.sysctls:
        options.append(security.with_sysctls(service.sysctls))
    options.append(security.with_resources(
        memory=service.mem_limit or (limits.memory if limits else None),
        memory_swap=service.memswap_limit,
        cpus=service.cpus or (limits.cpus if limits else None),
        cpu_shares=service.cpu_shares,
        pids=service.pids_limit or (limits.pids if limits else None)))
    if service.oom_score_adj is not None:
        options.append(security.with_oom_score_adj(service.oom_score_adj))
    return options


def rich_parts(inputs: RichInputs) -> RichParts:
    """The rich mode's options and files: shared dir, init, hooks in order (initcmd, initscript,
    system services), poststop."""
    mode = inputs.service.effective_rich_mode
    if mode is None:
        return RichParts()
    if mode == "dumb-init":
        require_no_units(inputs)
    parts = rich.rich_dir()
    parts.extend(rich.init_hooks(inputs))
    if mode == "dumb-init":
        # The launcher goes in front of the command first, then dumb-init in front of both.
        parts.extend(launcher(inputs)).extend(rich.dumb_init(inputs.dumb_init))
    elif mode == "systemd":
        parts.extend(systemd_mode(inputs))
    else:
        parts.extend(sbin_init_mode(inputs))
    return parts.extend(rich.poststop_hook(inputs))


def require_no_units(inputs: RichInputs) -> None:
    """`unit:` system services need systemd as PID 1."""
    if any(s.unit for s in inputs.service.system_services.values()):
        raise BundleError(f"service {inputs.name!r}: system_services with unit: need rich_mode "
                          "systemd (or sbin-init with systemd as /sbin/init)",
                          location=inputs.locate("system_services"),
                          hint="give those system services a command: instead")


def stop_signal(ctx: RenderContext, parts: RichParts) -> tuple[str, tuple[str, ...]]:
    """The service's stop_signal, else the mode's (systemd: SIGRTMIN+3), else the image's;
    one that names no signal falls back to SIGTERM, with a warning (images are not trusted,
    and runc would refuse it at stop time, leaving the container up)."""
    for source, raw in (("stop_signal", ctx.service.stop_signal),
                        ("rich mode's stop signal", parts.stop_signal),
                        ("image's StopSignal", ctx.image.config.stop_signal)):
        if raw:
            name = signal_name(raw)
            if name is not None:
                return name, ()
            return "TERM", (f"service {ctx.service_name!r}: the {source} {raw[:40]!r} is not a "
                            "signal; SIGTERM stops it instead",)
    return "TERM", ()


def _volume_sources(ctx: RenderContext) -> list[tuple[Path, str]]:
    return [(Path(m["source"]), str(m["destination"])) for m in volume_mounts(ctx)
            if m.get("type") == "bind"]


def volume_mounts(ctx: RenderContext) -> list[dict[str, Any]]:
    mounts: list[dict[str, Any]] = []
    project_dir = Path(ctx.project.directory)
    for volume in ctx.service.volumes:
        if volume.type == "tmpfs":
            options = ["nosuid", "nodev"]
            if volume.tmpfs and volume.tmpfs.size:
                options.append(f"size={volume.tmpfs.size}")
            mounts.append({"destination": volume.target, "type": "tmpfs", "source": "tmpfs",
                           "options": options})
            continue
        if volume.type == "bind":
            source = Path(volume.source or "")  # `~` was expanded at load (config/paths.py)
            source = source if source.is_absolute() else (project_dir / source)
            source = Path(os.path.normpath(source))
        else:
            name = volume.source or anonymous_volume_name(ctx.container_id, volume.target)
            source = safe_join(ctx.volumes_root, f"{ctx.project.name}_{name}")
        mounts.append(bind_mount(str(source), volume.target, readonly=volume.read_only))
    for entry in ctx.service.tmpfs:
        target, _, opts = entry.partition(":")
        mounts.append({"destination": target, "type": "tmpfs", "source": "tmpfs",
                       "options": ["nosuid", "nodev", *(o for o in opts.split(",") if o)]})
    return mounts


@dataclass(frozen=True)
class Bundle:
    """A rendered bundle: config.json's content, the generated files for rich/ and the signal
    that stops the container gracefully."""

    spec: Spec
    files: Mapping[str, BundleFile]
    stop_signal: str
    warnings: tuple[str, ...] = ()  # what was accepted with a fallback

    @property
    def launch(self) -> LaunchPlan:
        """What starting it takes besides config.json (written beside it as launch.json)."""
        return LaunchPlan.of_spec(self.spec)

    def with_options(self, options: Sequence[SpecOption]) -> Bundle:
        """The same bundle with more options applied (e.g. what the engine's container setup
        made: a network namespace, mounts), without rendering it again."""
        return replace(self, spec=build_spec(options, base=self.spec))


def with_attachments(netns_path: str | None, mounts: Sequence[Mapping[str, Any]] = (), *,
                     host_network: bool = False) -> list[SpecOption]:
    """What a container gets from outside its service: a network namespace made for it (or
    the host's), and mounts of files made for it (hosts, resolv.conf). Added after rendering,
    so they never enter the config hash."""
    options: list[SpecOption] = []
    if host_network or netns_path is not None:
        options.append(with_namespace_path("network", None if host_network else netns_path))
    if mounts:
        options.append(with_mounts(mounts))
    return options


def render_bundle(ctx: RenderContext) -> Bundle:
    parts = render_parts(ctx)
    signal, warnings = stop_signal(ctx, parts)
    bad_env = invalid_image_env(ctx.image.config)
    if bad_env:
        warnings += (f"service {ctx.service_name!r}: the image's Env entries "
                     f"{', '.join(repr(e[:40]) for e in bad_env[:5])} name no variable; "
                     "left out",)
    return Bundle(build_spec(parts.options), dict(parts.files), signal, warnings)


def write_bundle(bundle: Bundle | Spec, bundle_dir: Path) -> Path:
    """Writes the generated files, then config.json atomically, and makes the rootfs mount
    point. Files from an earlier render are replaced, never merged."""
    bundle_dir.mkdir(parents=True, exist_ok=True)
    (bundle_dir / "rootfs").mkdir(exist_ok=True)
    spec = bundle.spec if isinstance(bundle, Bundle) else bundle
    files = bundle.files if isinstance(bundle, Bundle) else {}
    shutil.rmtree(bundle_dir / rich.HOST_DIR, ignore_errors=True)
    if files:
        rich.files_under(bundle_dir / rich.HOST_DIR, files)
        _run_dir_for(bundle_dir / rich.RUN_HOST_DIR, spec)
    plan = bundle.launch if isinstance(bundle, Bundle) else LaunchPlan.of_spec(spec)
    for name, text in ((launchplan.FILE, json.dumps(plan.to_json(), indent=2)),
                       ("config.json", json.dumps(spec, indent=2))):
        tmp = bundle_dir / f".{name}.tmp"
        tmp.unlink(missing_ok=True)
        # 0600: config.json's environment holds the project's secrets.
        with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600),
                  "w") as handle:
            handle.write(text + "\n")
        tmp.replace(bundle_dir / name)
    return bundle_dir / "config.json"


def _run_dir_for(run_dir: Path, spec: Spec) -> None:
    """The hooks' writable directory belongs to the user the hooks run as (the container's
    process user), mode 0700: not world-writable (it was 1777), so no other user of the
    container can plant files there. What the container writes in it is still untrusted: the
    host reads it only through runtime/launch.py's O_NOFOLLOW, regular-file, capped reads."""
    user = spec.get("process", {}).get("user", {})
    run_dir.mkdir(mode=0o700, exist_ok=True)
    os.chown(run_dir, int(user.get("uid", 0)), int(user.get("gid", 0)))
    run_dir.chmod(0o700)


def anonymous_volume_name(container_id: str, target: str) -> str:
    """Stable across runs (unlike hash()), so a restart finds the same anonymous volume."""
    return f"anon-{container_id}-{hashlib.sha256(target.encode()).hexdigest()[:12]}"
