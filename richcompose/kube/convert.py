"""Project → Kubernetes objects: refuse what cannot be converted, then build each selected
service's objects from the small builders, then the shared ones. Pure: files are read (configs,
secrets, dumb-init) but nothing is written; writer.py writes."""

from __future__ import annotations

from dataclasses import dataclass, field

from richcompose.config.models import Project
from richcompose.errors import ConfigError, ConfigWarning
from richcompose.graph import build_graph, select
from richcompose.kube import files, networks, probes, refuse, rich, service, volumes, workload
from richcompose.kube.context import Obj, ServiceContext
from richcompose.kube.labels import EXTERNAL_REFS
from richcompose.kube.options import ConvertOptions, KubeBlock, kube_block


@dataclass
class Conversion:
    objects: list[Obj]
    warnings: list[ConfigWarning] = field(default_factory=list)


def selected_services(project: Project, wanted: tuple[str, ...]) -> list[str]:
    graph = build_graph(project)
    if not wanted:
        return sorted(project.services)
    return sorted(select(graph, wanted))


def convert(project: Project, options: ConvertOptions) -> Conversion:
    selected = selected_services(project, options.services)
    blocks: dict[str, KubeBlock] = {name: kube_block(project, name) for name in selected}
    raise_first(refuse.refusals(project, selected, blocks))
    warnings: list[ConfigWarning] = []
    kinds = {name: workload.controller_kind(project.services[name],
                                            bool(volumes.named_volumes(project, name)))
             for name in selected}
    stateful = {name for name, kind in kinds.items() if kind == "StatefulSet"}
    shared = volumes.shared_volumes(project, selected)
    objects: list[Obj] = []
    needs_dumb_init = False
    for name in selected:
        sc = ServiceContext(project, name, project.services[name], blocks[name], options,
                            tuple(selected), warnings)
        built, uses_dumb_init = _service_objects(sc, kinds[name], shared)
        objects += built
        needs_dumb_init |= uses_dumb_init
    objects += files.file_objects(project, selected, options, warnings)
    objects += volumes.standalone_claims(project, selected, blocks, stateful, options)
    objects += networks.policies(project, selected, options)
    if needs_dumb_init:
        objects.append(rich.dumb_init_configmap(project.name, options))
    return Conversion(objects, warnings)


def _service_objects(sc: ServiceContext, kind: str, shared: set[str]) -> tuple[list[Obj], bool]:
    env = files.environment(sc)
    out: list[Obj] = []
    main = workload.container(sc)
    pod_volumes = volumes.pod_volumes(sc, kind == "StatefulSet", shared)
    file_volumes, file_mounts, external = files.file_mounts(sc)
    mounts = [*pod_volumes.mounts, *file_mounts]
    pod_level = workload.pod_spec_extras(sc)
    extra_volumes: list[Obj] = []
    env_list: list[Obj] = []
    rich_pod = rich.rich_pod(sc, workload.command_argv(sc.service), env,
                             {m["mountPath"] for m in mounts})
    if rich_pod is not None:
        main.pop("args", None)
        main["command"] = rich_pod.command
        extra_volumes = rich_pod.volumes
        mounts = [*rich_pod.mounts, *mounts]
        env_list = rich_pod.env
        out.append(rich.configmap(sc, rich_pod))
    config = files.env_configmap(sc, env)
    if config is not None:
        out.append(config)
        main["envFrom"] = [{"configMapRef": {"name": config["metadata"]["name"]}}]
    if env_list:
        main["env"] = env_list
    ports = _container_ports(sc)
    if ports:
        main["ports"] = ports
    probe = probes.readiness(sc)
    if probe is not None:
        main["readinessProbe"] = probe
    resources = workload.resources(sc)
    if resources:
        main["resources"] = resources
    security = workload.security_context(sc)
    lifecycle = workload.lifecycle(sc)
    if rich_pod is not None:
        security.update(rich_pod.container.pop("securityContext", {}))
        lifecycle.update(rich_pod.container.pop("lifecycle", {}))
        main.update(rich_pod.container)
    if lifecycle:
        main["lifecycle"] = lifecycle
    if security:
        main["securityContext"] = security
    if mounts:
        main["volumeMounts"] = mounts
    pod: Obj = {}
    waiters = probes.waiters(sc)
    if waiters:
        pod["initContainers"] = waiters
    pod["containers"] = [main]
    pod.update(pod_level)
    if rich_pod is not None:
        pod.update(rich_pod.pod)
    if "stopSignal" in lifecycle:
        pod["os"] = {"name": "linux"}  # the API requires it with a stop signal
    all_volumes = [*extra_volumes, *pod_volumes.volumes, *file_volumes]
    if all_volumes:
        pod["volumes"] = all_volumes
    controller = workload.controller(sc, kind, pod, pod_volumes.claim_templates,
                                     networks.member_labels(sc.project, list(sc.selected), sc.name))
    refs = sorted({*external, *pod_volumes.external})
    if refs:
        template_meta = controller["spec"]["template"]["metadata"]
        template_meta.setdefault("annotations", {})[EXTERNAL_REFS] = ",".join(refs)
    out.insert(0, controller)
    out += service.services(sc)
    _warn_unconverted(sc)
    return out, bool(rich_pod and rich_pod.dumb_init)


def _container_ports(sc: ServiceContext) -> list[Obj]:
    seen: dict[tuple[int, str], Obj] = {}
    for mapping in sc.service.ports:
        key = (mapping.target, mapping.protocol.upper())
        seen.setdefault(key, {"containerPort": key[0], "protocol": key[1]})
    return [seen[k] for k in sorted(seen)]


# Keys that mean something on one host and nothing the converter can say in a pod spec.
_NOT_CONVERTED = ("mem_swappiness", "memswap_limit", "oom_kill_disable", "oom_score_adj",
                  "cpu_shares", "cpu_period", "cpu_quota", "cpu_rt_period", "cpu_rt_runtime",
                  "cpuset", "cpu_count", "cpu_percent", "blkio_config", "device_cgroup_rules",
                  "group_add", "pid", "ipc", "uts", "userns_mode", "cgroup", "cgroup_parent",
                  "storage_opt", "mac_address", "domainname", "logging", "links",
                  "external_links", "runtime", "platform", "container_name", "label_file")


def _warn_unconverted(sc: ServiceContext) -> None:
    given = sc.service.model_fields_set
    for key in _NOT_CONVERTED:
        if key in given and getattr(sc.service, key) not in (None, [], {}, False):
            sc.warn(key, f"{key} is not converted to Kubernetes",
                    "docs/kubernetes.md lists what each key becomes")
    for net in sc.service.networks:
        spec = sc.project.networks.get(net)
        if spec is not None and spec.ipam:
            sc.warn("networks", f"network {net}: ipam is not converted (pods get the cluster's "
                    "addresses)")


def raise_first(problems: list[ConfigError]) -> None:
    if problems:
        first = problems[0]
        first.others = problems[1:]  # type: ignore[attr-defined]
        raise first
