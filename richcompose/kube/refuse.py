"""What cannot be converted, refused with the place it is written and what to do instead.

Nothing is dropped or renamed behind the user's back: every refusal is a ConfigError located at
the key (file:line:col) with a fix. All refusals of a project are found in one pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from richcompose.bundle.vm import has_app
from richcompose.config.models import Project, Service
from richcompose.errors import ConfigError
from richcompose.kube import names
from richcompose.kube.networks import isolated_networks
from richcompose.kube.options import EXTENSION, KubeBlock
from richcompose.kube.signals import number

LOCAL_IMAGE_PREFIXES = ("oci:", "oci-archive:", "docker-archive:", "dir:", "/", "./", "../")
Refuse = Callable[[str | tuple[str | int, ...], str, str], ConfigError]
PUSH_FIX = (f"push it to a registry the cluster can pull from (e.g. `buildah push`) and name "
            f"it in {EXTENSION}: {{image: REGISTRY/NAME:TAG}}")


def refusals(project: Project, selected: list[str],
             blocks: dict[str, KubeBlock]) -> list[ConfigError]:
    found: list[ConfigError] = []
    if not names.is_dns_label(project.name):
        found.append(ConfigError(
            f"project name {project.name!r} is not a DNS label; it names and labels the objects",
            location=project.locate(("name",)),
            hint=f"name the project e.g. {names.suggest(project.name)!r} (name: or -p)"))
    for name in selected:
        found += list(_service(project, name, project.services[name], blocks[name]))
    found += list(_resources(project, selected))
    return found


def _service(project: Project, name: str, service: Service,
             block: KubeBlock) -> Iterator[ConfigError]:
    def refuse(key: str | tuple[str | int, ...], message: str, fix: str) -> ConfigError:
        path = (key,) if isinstance(key, str) else key
        where = project.locate(("services", name, *path), key=True) \
            or project.locate(("services", name))
        return ConfigError(f"service {name!r}: {message}", location=where, hint=fix)

    if not names.is_service_name(name):
        yield refuse((), "the name is not a DNS label (RFC 1035), so it cannot name a "
                     "Kubernetes Service or container", f"rename the service, e.g. to "
                     f"{names.suggest(name)!r}, and its uses in depends_on/links")
    if block.image is None:
        if service.rootfs is not None:
            yield refuse("rootfs", "rootfs: is a directory on this host; a cluster runs images",
                         PUSH_FIX)
        elif service.image and service.image.startswith(LOCAL_IMAGE_PREFIXES):
            yield refuse("image", f"image {service.image!r} is a local file or directory",
                         PUSH_FIX)
    for index, volume in enumerate(service.volumes):
        if volume.type == "bind":
            yield refuse(("volumes", index), f"host bind mount {volume.source} -> {volume.target}: "
                         "a pod runs on any node, not on this host",
                         "files of the project: declare them under configs: and mount them with "
                         "the service's configs: (they become a ConfigMap); data: use a named "
                         "volume (a PersistentVolumeClaim)")
        elif volume.type not in ("volume", "tmpfs"):
            yield refuse(("volumes", index), f"{volume.type} volumes have no Kubernetes form here",
                         "use a named volume or tmpfs")
    if service.devices:
        yield refuse("devices", "devices: a pod cannot take host devices by path",
                     "use the cluster's device plugin for the hardware (resources.limits) and "
                     "remove devices:")
    if service.ulimits:
        yield refuse("ulimits", "ulimits: Kubernetes has no per-pod rlimits",
                     "set them in the node's container runtime defaults, or raise them in the "
                     "entrypoint (ulimit) and remove ulimits:")
    mode = service.network_mode or ""
    if mode.startswith(("service:", "container:")):
        yield refuse("network_mode", f"network_mode: {mode}: containers of different pods "
                     "cannot share a network namespace",
                     "run the two as one service (the other as a system_services entry of a "
                     "rich container), or talk over the Service name")
    if service.volumes_from:
        yield refuse("volumes_from", "volumes_from: pods cannot borrow another pod's volumes",
                     "mount the same named volume in both services")
    if service.poststop:
        yield refuse("poststop", "poststop: runs on the host after the container is removed; a "
                     "cluster has no such host", "do the clean-up in pre_stop: (a preStop hook "
                     "inside the container), or remove poststop:")
    for dep, spec in service.depends_on.items():
        if spec.condition == "service_completed_successfully":
            yield refuse(("depends_on", dep), f"depends_on {dep}: service_completed_successfully "
                         "has no Kubernetes counterpart across pods",
                         f"run {dep}'s work as an init step of this service (initcmd, or a "
                         "rich initscript) or wait for service_healthy")
        if spec.restart:
            yield refuse(("depends_on", dep, "restart"), f"depends_on {dep}: restart: true "
                         "(restart this service when the dependency restarts) has no "
                         "Kubernetes counterpart", "remove restart: true; a pod's own probes "
                         "and restarts decide")
    yield from _rich(refuse, service, block)
    yield from _pod_level(refuse, service, block)


def _rich(refuse: Refuse, service: Service, block: KubeBlock) -> Iterator[ConfigError]:
    mode = service.effective_rich_mode
    if mode is None:
        return
    systemd = mode == "systemd" or (mode == "sbin-init" and block.sbin_init == "systemd")
    # Without a command a systemd or sbin-init service is a VM: its init is all it runs.
    if mode == "dumb-init" and not has_app(service):
        yield refuse("rich", "a dumb-init rich container's command must be written in the "
                     "project: the converter does not read the image's ENTRYPOINT/CMD",
                     "add command: (the image's default command, spelled out), or boot the "
                     "image's own init with rich_mode: systemd or sbin-init")
    if (mode == "sbin-init" and not systemd and not has_app(service)
            and service.system_services):
        yield refuse("system_services", "a busybox/SysV VM without command: boots the image's "
                     "own /etc/inittab, which the converter does not read to add the system "
                     "services to", "add command:, or start them from the VM's inittab")
    if mode == "sbin-init" and block.sbin_init is None:
        yield refuse("rich_mode", "rich_mode sbin-init: the converter cannot look into the "
                     "image to see what /sbin/init is",
                     f"say it in {EXTENSION}: {{sbin_init: systemd}} (or busybox, sysv)")
    if systemd and block.runtime_class is None:
        yield refuse("rich_mode", "systemd mode needs a runtime class that gives the pod a "
                     "writable cgroup tree (CRI-O, or containerd's cgroup_writable)",
                     f"add {EXTENSION}: {{runtime_class: NAME}} naming such a RuntimeClass")
    if not systemd and any(s.unit for s in service.system_services.values()):
        yield refuse("system_services", "system_services with unit: need systemd as PID 1",
                     "give those system services a command: instead")
    if systemd and service.pre_stop:
        yield refuse("pre_stop", "systemd mode's preStop hook is the one that halts systemd",
                     "stop your process in its unit (ExecStop=) or a system service")


def _pod_level(refuse: Refuse, service: Service, block: KubeBlock) -> Iterator[ConfigError]:
    if service.user and not all(p.isdigit() for p in service.user.split(":", 1)):
        yield refuse("user", f"user {service.user!r}: Kubernetes takes numeric ids only",
                     "write the numeric uid[:gid] the image gives that user")
    for host, value in service.extra_hosts.items():
        addresses = value if isinstance(value, list) else [value]
        if "host-gateway" in addresses and block.host_gateway is None:
            yield refuse("extra_hosts", f"extra_hosts {host}: host-gateway means this host; "
                         "a pod has no such host", f"say what it is in the cluster: "
                         f"{EXTENSION}: {{host_gateway: IP}}")
    for option in service.security_opt:
        if option.startswith("seccomp=") and option != "seccomp=unconfined":
            yield refuse("security_opt", f"security_opt {option}: a profile file on this host",
                         "install it on the nodes and use seccompProfile Localhost by hand, or "
                         "remove it (RuntimeDefault applies)")
    for key in ("post_start", "pre_stop"):
        hooks = getattr(service, key)
        if len(hooks) > 1:
            yield refuse(key, f"{key}: a container has one {key} handler in Kubernetes",
                         "join the commands into one (sh -c 'a && b')")
    mode = service.effective_rich_mode
    if service.stop_signal and mode == "dumb-init" and number(service.stop_signal) is None:
        yield refuse("stop_signal", f"stop_signal {service.stop_signal!r} is not a signal",
                     "use a name such as SIGINT or a number")


def _resources(project: Project, selected: list[str]) -> Iterator[ConfigError]:
    used_volumes = {v.source for n in selected for v in project.services[n].volumes
                    if v.type == "volume" and v.source}
    for key in sorted(used_volumes):
        if not names.is_dns_label(key):
            yield ConfigError(f"volume {key!r}: the name is not a DNS label, so it cannot name a "
                              "PersistentVolumeClaim", location=project.locate(("volumes", key),
                                                                              key=True),
                              hint=f"rename the volume, e.g. to {names.suggest(key)!r}, here and "
                              "where services mount it")
    for kind in ("configs", "secrets"):
        table = getattr(project, kind)
        used = {ref.source for n in selected for ref in getattr(project.services[n], kind)}
        for key in sorted(used):
            spec = table.get(key)
            name = (spec.name if spec and spec.name else key)
            if not names.is_dns_label(name):
                yield ConfigError(f"{kind[:-1]} {name!r}: the name is not a DNS label, so it "
                                  f"cannot name a {'ConfigMap' if kind == 'configs' else 'Secret'}",
                                  location=project.locate((kind, key), key=True),
                                  hint=f"rename it, e.g. to {names.suggest(name)!r}, here and "
                                  "where services use it")
    for net in isolated_networks(project, selected):
        if not names.is_dns_label(f"{project.name}-network-{net}"):
            yield ConfigError(f"network {net!r}: the name is not a DNS label, so it cannot name "
                              "a NetworkPolicy", location=project.locate(("networks", net),
                                                                         key=True),
                              hint=f"rename it, e.g. to {names.suggest(net)!r}, here and where "
                              "services join it")
    for name in selected:
        for net, spec in project.services[name].networks.items():
            for alias in (spec.aliases if spec else []):
                if not names.is_service_name(alias):
                    yield ConfigError(
                        f"service {name!r}: alias {alias!r} is not a DNS label (RFC 1035), so it "
                        "cannot name a Service",
                        location=project.locate(("services", name, "networks", net, "aliases")),
                        hint=f"use e.g. {names.suggest(alias)!r}")
