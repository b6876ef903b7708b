"""volumes: → PersistentVolumeClaims (named volumes), emptyDirs (anonymous volumes), Memory
emptyDirs (tmpfs, shm_size)."""

from __future__ import annotations

from dataclasses import dataclass, field

from richcompose.config.models import Project
from richcompose.config.units import parse_bytes
from richcompose.kube import labels, quantity
from richcompose.kube.context import Obj, ServiceContext
from richcompose.kube.options import ConvertOptions, KubeBlock


@dataclass
class PodVolumes:
    volumes: list[Obj] = field(default_factory=list)
    mounts: list[Obj] = field(default_factory=list)
    claim_templates: list[Obj] = field(default_factory=list)
    external: list[str] = field(default_factory=list)

    @property
    def targets(self) -> set[str]:
        return {m["mountPath"] for m in self.mounts}


def named_volumes(project: Project, service: str) -> list[str]:
    return [v.source for v in project.services[service].volumes if v.type == "volume" and v.source]


def shared_volumes(project: Project, selected: list[str]) -> set[str]:
    """Named volumes more than one selected service mounts: one claim they all use."""
    count: dict[str, int] = {}
    for name in selected:
        for key in set(named_volumes(project, name)):
            count[key] = count.get(key, 0) + 1
    return {key for key, n in count.items() if n > 1}


def claim_spec(block: KubeBlock, access: str) -> Obj:
    spec: Obj = {"accessModes": [access]}
    if block.storage_class:
        spec["storageClassName"] = block.storage_class
    spec["resources"] = {"requests": {"storage": block.storage_size}}
    return spec


def standalone_claims(project: Project, selected: list[str], blocks: dict[str, KubeBlock],
                      stateful: set[str], options: ConvertOptions) -> list[Obj]:
    """A PersistentVolumeClaim object for each named volume that is shared, or mounted by a
    service that is not a StatefulSet (those get a volumeClaimTemplate)."""
    shared = shared_volumes(project, selected)
    out: dict[str, Obj] = {}
    for name in sorted(selected):
        for key in named_volumes(project, name):
            spec = project.volumes.get(key)
            if (spec is not None and spec.external) or key in out:
                continue
            if key not in shared and name in stateful:
                continue
            meta = labels.metadata(key, labels.project_labels(project.name), options.namespace)
            out[key] = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": meta,
                        "spec": claim_spec(blocks[name],
                                           "ReadWriteMany" if key in shared else "ReadWriteOnce")}
    return [out[k] for k in sorted(out)]


def pod_volumes(sc: ServiceContext, stateful: bool, shared: set[str]) -> PodVolumes:
    out = PodVolumes()
    for index, volume in enumerate(sc.service.volumes):
        mount: Obj = {"name": "", "mountPath": volume.target}
        if volume.read_only:
            mount["readOnly"] = True
        if volume.volume and volume.volume.subpath:
            mount["subPath"] = volume.volume.subpath
        if volume.type == "tmpfs":
            empty: Obj = {"medium": "Memory"}
            if volume.tmpfs and volume.tmpfs.size:
                empty["sizeLimit"] = quantity.memory(volume.tmpfs.size)
            mount["name"] = f"tmpfs-{index}"
            out.volumes.append({"name": mount["name"], "emptyDir": empty})
        elif volume.source is None:
            mount["name"] = f"anon-{index}"
            out.volumes.append({"name": mount["name"], "emptyDir": {}})
        else:
            key = volume.source
            spec = sc.project.volumes.get(key)
            mount["name"] = key
            if spec is not None and spec.external:
                claim = spec.name or key
                out.external.append(f"persistentvolumeclaim/{claim}")
                _add(out.volumes, {"name": key, "persistentVolumeClaim": {"claimName": claim}})
            elif stateful and key not in shared:
                if not any(t["metadata"]["name"] == key for t in out.claim_templates):
                    out.claim_templates.append({"metadata": {"name": key, "labels": sc.labels},
                                                "spec": claim_spec(sc.block, "ReadWriteOnce")})
            else:
                _add(out.volumes, {"name": key, "persistentVolumeClaim": {"claimName": key}})
            if spec is not None and (spec.driver or spec.driver_opts):
                sc.warn("volumes", f"volume {key}: driver/driver_opts are not converted",
                        "x-kubernetes: storage_class chooses how the claim is provisioned")
        out.mounts.append(mount)
    for index, entry in enumerate(sc.service.tmpfs):
        target, _, opts = entry.partition(":")
        empty = {"medium": "Memory"}
        for opt in filter(None, opts.split(",")):
            key, _, value = opt.partition("=")
            if key == "size":
                empty["sizeLimit"] = quantity.memory(parse_bytes(value))
            else:
                sc.warn("tmpfs", f"tmpfs {target}: option {opt} is not converted")
        name = f"tmpfs-list-{index}"
        out.volumes.append({"name": name, "emptyDir": empty})
        out.mounts.append({"name": name, "mountPath": target})
    if sc.service.shm_size:
        out.volumes.append({"name": "dshm", "emptyDir": {
            "medium": "Memory", "sizeLimit": quantity.memory(sc.service.shm_size)}})
        out.mounts.append({"name": "dshm", "mountPath": "/dev/shm"})
    return out


def _add(volumes: list[Obj], volume: Obj) -> None:
    if not any(v["name"] == volume["name"] for v in volumes):
        volumes.append(volume)

