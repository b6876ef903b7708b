"""systemd mode: PID 1 is the image's systemd, booted unprivileged the way podman's
`--systemd` does it, and the service's command (if it has one: a VM need not) runs as a
generated unit. Each boot gets its own boot id and the journal is kept on the VM's disk, so
`journalctl --list-boots` works; a reboot inside restarts the container (vm.py).

What systemd needs, measured under runc 1.1.5 on a cgroup v1 hybrid host: tmpfs on /run and
/run/lock, a writable cgroup subtree of its own (a cgroup namespace plus a read-write cgroup
mount: it sees only its container's cgroups), CAP_SETPCAP (in the default set), a writable root
and a terminal on /dev/console, or its console output is lost. The units live in
/.richcompose/units (never in the image), found through $SYSTEMD_UNIT_PATH.
"""

from __future__ import annotations

import uuid

from richcompose.bundle import templates
from richcompose.bundle.host import with_terminal  # systemd writes its console only to a tty
from richcompose.bundle.launcher import ready_args, start_order
from richcompose.bundle.rich import (
    HOST_DIR,
    READY,
    RICH_DIR,
    BundleFile,
    RichInputs,
    RichParts,
    inner_environment,
)
from richcompose.bundle.spec import (
    Spec,
    SpecOption,
    bind_mount,
    with_env,
    with_mounts,
    with_process_args,
    with_user,
)
from richcompose.bundle.vm import (
    has_app,
    reboot_marker_command,
    systemd_up_marker_command,
    with_boot_watch,
    with_own_boot_id,
)
from richcompose.errors import BundleError

SYSTEMD_PATHS = ("/lib/systemd/systemd", "/usr/lib/systemd/systemd")
UNITS_DIR = f"{RICH_DIR}/units"
APP_UNIT = "richcompose-app.service"
REBOOT_UNIT = "richcompose-reboot.service"
SYSTEMD_UP_UNIT = "richcompose-systemd-up.service"
STOP_SIGNAL = "37"  # SIGRTMIN+3: systemd's "halt" in a container
# /var/log/journal is not among them: the journal lives on the VM's disk (journald.conf.j2).
TMPFS_DIRS = ("/run", "/run/lock", "/tmp")
JOURNALD_DROPIN = "/run/systemd/journald.conf.d/richcompose.conf"


def find_systemd(inputs: RichInputs) -> str:
    for path in SYSTEMD_PATHS:
        if inputs.fs.is_executable_file(path):
            return path
    raise BundleError(f"service {inputs.name!r}: rich_mode systemd, but the image has no systemd "
                      f"({' or '.join(SYSTEMD_PATHS)} not found)",
                      location=inputs.locate("rich_mode"),
                      hint="use an image with systemd installed, or rich_mode: dumb-init")


UNIFIED_MOUNT = {"destination": "/sys/fs/cgroup/unified", "type": "cgroup2", "source": "cgroup2",
                 "options": ["nosuid", "noexec", "nodev", "relatime", "rw"]}


# The files of a cgroup that set its limits (and freeze or throttle it), cgroup v1 per
# controller and cgroup v2. In the container's cgroup namespace its own limit cgroup is the
# root of /sys/fs/cgroup, so these are the container's limits themselves.
_V1_LIMITS = {
    "memory": ("limit_in_bytes", "memsw.limit_in_bytes", "soft_limit_in_bytes",
               "kmem.limit_in_bytes", "kmem.tcp.limit_in_bytes", "swappiness", "oom_control",
               "use_hierarchy", "move_charge_at_immigrate"),
    "pids": ("max",),
    "cpu": ("shares", "cfs_quota_us", "cfs_period_us", "cfs_burst_us", "rt_runtime_us",
            "rt_period_us", "idle"),
    "cpuset": ("cpus", "mems", "cpu_exclusive", "mem_exclusive", "mem_hardwall",
               "sched_load_balance", "memory_migrate"),
    "blkio": ("weight", "weight_device", "leaf_weight", "leaf_weight_device", "bfq.weight",
              "bfq.weight_device", "throttle.read_bps_device", "throttle.write_bps_device",
              "throttle.read_iops_device", "throttle.write_iops_device"),
    "freezer": ("state",),
    "devices": ("allow", "deny"),
    "net_cls": ("classid",),
    "net_prio": ("ifpriomap",),
    "hugetlb": ("2MB.limit_in_bytes", "1GB.limit_in_bytes", "2MB.rsvd.limit_in_bytes",
                "1GB.rsvd.limit_in_bytes"),
    "rdma": ("max",),
    "misc": ("max",),
}
_V1_DIRS = {"cpu": ("cpu", "cpu,cpuacct"), "net_cls": ("net_cls", "net_cls,net_prio"),
            "net_prio": ("net_prio", "net_cls,net_prio")}
_V2_LIMITS = ("memory.max", "memory.high", "memory.low", "memory.min", "memory.swap.max",
              "memory.swap.high", "memory.zswap.max", "memory.oom.group", "pids.max", "cpu.max",
              "cpu.max.burst", "cpu.weight", "cpu.weight.nice", "cpu.idle", "cpu.uclamp.min",
              "cpu.uclamp.max", "cpuset.cpus", "cpuset.mems", "cpuset.cpus.partition", "io.max",
              "io.weight", "io.bfq.weight", "io.latency", "hugetlb.2MB.max", "hugetlb.1GB.max",
              "rdma.max", "misc.max", "cgroup.freeze", "cgroup.max.depth",
              "cgroup.max.descendants")


def cgroup_limit_paths() -> list[str]:
    """Where the container's own limit files appear in its /sys/fs/cgroup: under each v1
    controller's directory, in the hybrid `unified` mount, and at the top on a v2 host. runc
    skips the ones this kernel does not have."""
    paths = []
    for controller, names in _V1_LIMITS.items():
        for folder in _V1_DIRS.get(controller, (controller,)):
            paths += [f"/sys/fs/cgroup/{folder}/{controller}.{name}" for name in names]
    paths += [f"/sys/fs/cgroup/unified/{name}" for name in _V2_LIMITS if name.startswith("cgroup.")]
    paths += [f"/sys/fs/cgroup/{name}" for name in _V2_LIMITS]
    return paths


def with_own_cgroup_tree(hybrid: bool = False) -> SpecOption:
    """systemd manages a cgroup tree of its own, below the container's limits, never at them:
    a cgroup namespace whose root is the container's limit cgroup, mounted read-write so
    systemd can make and configure children (which the kernel keeps within the root's
    limits), with the root's own limit files bind-mounted read-only over themselves. The
    container (without CAP_SYS_ADMIN) can neither remount them nor reach its parent.
    On a hybrid host also the container's part of the cgroup2 hierarchy at
    /sys/fs/cgroup/unified: without it systemd runs in legacy mode, never hears that a unit's
    cgroup emptied, and every stop of a unit whose main process exits before its children
    waits out TimeoutStopSec (90 s) in final-sigterm."""
    def apply(spec: Spec) -> None:
        if hybrid:
            spec["mounts"].append(dict(UNIFIED_MOUNT))
        namespaces = spec["linux"]["namespaces"]
        if not any(ns["type"] == "cgroup" for ns in namespaces):
            namespaces.append({"type": "cgroup"})
        for mount in spec["mounts"]:
            if mount["destination"] == "/sys/fs/cgroup":
                mount["options"] = [o for o in mount["options"] if o != "ro"] + ["rw"]
        readonly = spec["linux"].setdefault("readonlyPaths", [])
        readonly += [p for p in cgroup_limit_paths() if p not in readonly]
    return apply


def boot_options(inputs: RichInputs, pid1: str) -> list[SpecOption]:
    tmpfs = [{"destination": d, "type": "tmpfs", "source": "tmpfs",
              "options": ["nosuid", "nodev", "mode=1777" if d == "/tmp" else "mode=755"]}
             for d in TMPFS_DIRS if d not in inputs.mount_targets]
    return [
        with_process_args([pid1, "--unit=multi-user.target"]),
        with_user(0, 0),
        with_env({"container": "richcompose",
                  "container_uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, inputs.container_id)),
                  "SYSTEMD_UNIT_PATH": f"{UNITS_DIR}:"}),  # the trailing ':' keeps the defaults
        with_mounts(tmpfs),
        with_terminal(),
        with_own_cgroup_tree(inputs.cgroup_hybrid),
        with_own_boot_id(inputs.host_env),
        with_boot_watch("systemd"),
    ]


def unit_name(name: str, unit: str | None) -> str:
    if unit is None:
        return f"richcompose-inner-{name}.service"
    return unit if "." in unit else f"{unit}.service"


def units(inputs: RichInputs) -> dict[str, BundleFile]:
    """A unit (or a drop-in for the image's own unit) per system service, ordered with
    After= and Wants= (never Requires=: restarting one inside must not stop the others), the
    app unit when the service has a command, and the markers of systemd being up and of a
    reboot."""
    inner = inputs.service.system_services
    names = {name: unit_name(name, s.unit) for name, s in inner.items()}
    files: dict[str, BundleFile] = {}
    for name in start_order(inner):
        spec = inner[name]
        after = [names[dep] for dep in spec.after]
        ready = None
        timeout = 90.0
        if spec.ready is not None:
            ready = templates.systemd_command([READY, name, *ready_args(spec.ready)])
            timeout = spec.ready.timeout + 5
        if spec.unit is not None:
            # The image's unit keeps its own Restart= unless the project sets one.
            restart = spec.restart if "restart" in spec.model_fields_set else None
            text = templates.render("inner-dropin.conf.j2", name=name, unit=names[name],
                                    after=after, ready=ready, timeout=f"{timeout:g}",
                                    required=spec.required, restart=restart)
            files[f"units/{names[name]}.d/richcompose.conf"] = BundleFile(text)
            continue
        assert spec.command is not None
        env = inner_environment(inputs, spec.environment)
        text = templates.render(
            "inner.service.j2", name=name, service=inputs.name, after=after, ready=ready,
            timeout=f"{timeout:g}", required=spec.required, restart=spec.restart,
            exec_start=templates.systemd_command(_resolve(inputs, spec.command, env)),
            environment=templates.systemd_environment(env))
        files[f"units/{names[name]}"] = BundleFile(text)
    wanted = list(names.values())
    if has_app(inputs.service):
        files[f"units/{APP_UNIT}"] = BundleFile(templates.render(
            "app.service.j2", service=inputs.name, after=list(names.values()),
            exec_start=templates.systemd_command(_resolve(inputs, inputs.argv, inputs.env)),
            cwd=inputs.cwd, uid=inputs.uid, gid=inputs.gid,
            environment=templates.systemd_environment(inputs.env)))
        wanted.append(APP_UNIT)
    if wanted:
        files["units/multi-user.target.d/richcompose.conf"] = BundleFile(
            templates.render("wants.conf.j2", units=wanted))
    files[f"units/{SYSTEMD_UP_UNIT}"] = BundleFile(templates.render(
        "systemd-up.service.j2", exec_start=templates.systemd_command(
            systemd_up_marker_command())))
    files["units/sysinit.target.d/richcompose.conf"] = BundleFile(
        templates.render("sysinit-wants.conf.j2", unit=SYSTEMD_UP_UNIT))
    files[f"units/{REBOOT_UNIT}"] = BundleFile(templates.render(
        "reboot.service.j2", exec_start=templates.systemd_command(reboot_marker_command())))
    files["units/reboot.target.d/richcompose.conf"] = BundleFile(
        templates.render("reboot-wants.conf.j2", unit=REBOOT_UNIT))
    return files


def _resolve(inputs: RichInputs, argv: list[str], env: dict[str, str]) -> list[str]:
    """systemd wants an absolute ExecStart; look relative commands up on the image's PATH."""
    if not argv or argv[0].startswith("/"):
        return argv
    found = inputs.fs.which(argv[0], env.get("PATH", ""))
    if found is None:
        raise BundleError(f"service {inputs.name!r}: command {argv[0]!r} not found on the image's "
                          f"PATH ({env.get('PATH', '')})", location=inputs.locate("command"),
                          hint="use an absolute path or install it in the image")
    return [found, *argv[1:]]


def systemd_mode(inputs: RichInputs, pid1: str | None = None) -> RichParts:
    pid1 = pid1 or find_systemd(inputs)
    files = units(inputs)
    # systemd sets the hostname from /etc/hostname at boot, which fails without
    # CAP_SYS_ADMIN unless it already matches the container's.
    files["hostname"] = BundleFile(f"{inputs.hostname}\n")
    mounts = [bind_mount(f"{HOST_DIR}/hostname", "/etc/hostname")]
    if "/var/log/journal" not in inputs.mount_targets:
        files["journald.conf"] = BundleFile(templates.render("journald.conf.j2"))
        mounts.append(bind_mount(f"{HOST_DIR}/journald.conf", JOURNALD_DROPIN))
    options = [*boot_options(inputs, pid1), with_mounts(mounts)]
    return RichParts(options, files,
                     stop_signal=None if inputs.service.stop_signal else STOP_SIGNAL)
