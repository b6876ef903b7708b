"""What the JSON schemas cannot see and the API server would refuse (or quietly mis-run):
checked over a whole set of objects, each problem naming its file and object."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from richcompose.kube import names, quantity
from richcompose.kube.labels import EXTERNAL_REFS
from richcompose.kube.options import STOP_SIGNAL_GATE, STOP_SIGNAL_SINCE

Obj = dict[str, Any]
MAX_CONFIGMAP = 1024 * 1024
WORKLOADS = ("Deployment", "StatefulSet", "Job", "DaemonSet", "ReplicaSet")
RESTART_POLICIES = {"Deployment": {"Always"}, "StatefulSet": {"Always"}, "DaemonSet": {"Always"},
                    "ReplicaSet": {"Always"}, "Job": {"Never", "OnFailure"}}
PROBE_HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc")
LIFECYCLE_HANDLERS = ("exec", "httpGet", "tcpSocket", "sleep")


@dataclass(frozen=True)
class Problem:
    file: str
    object: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.object}: {self.message}"


def check(by_file: dict[str, list[Obj]], version: tuple[int, int],
          gates: dict[str, bool]) -> list[Problem]:
    everything = [(f, o) for f, docs in by_file.items() for o in docs if isinstance(o, dict)]
    defined = {(o.get("kind", ""), _name(o)) for _, o in everything}
    templates = [_template_labels(o) for _, o in everything if o.get("kind") in WORKLOADS]
    problems: list[Problem] = []
    seen: dict[tuple[str, str], str] = {}
    for file, obj in everything:
        label = f"{obj.get('kind', '?')}/{_name(obj)}"
        key = (obj.get("kind", ""), _name(obj))
        if key in seen:
            problems.append(Problem(file, label, f"defined twice (also in {seen[key]})"))
        seen.setdefault(key, file)
        for message in _object(obj, defined, templates, version, gates):
            problems.append(Problem(file, label, message))
    return problems


def _name(obj: Obj) -> str:
    return str((obj.get("metadata") or {}).get("name", ""))


def _template_labels(obj: Obj) -> dict[str, str]:
    return dict((((obj.get("spec") or {}).get("template") or {}).get("metadata") or {})
                .get("labels") or {})


def _object(obj: Obj, defined: set[tuple[str, str]], templates: list[dict[str, str]],
            version: tuple[int, int], gates: dict[str, bool]) -> Iterator[str]:
    kind = obj.get("kind", "")
    meta = obj.get("metadata") or {}
    name = _name(obj)
    valid = names.is_service_name(name) if kind == "Service" else names.is_dns_subdomain(name)
    if not valid:
        yield f"name {name!r} is not a valid {kind} name"
    yield from _labels(meta)
    spec = obj.get("spec") or {}
    if kind in WORKLOADS:
        yield from _workload(kind, spec, defined, version, gates)
    elif kind == "Service":
        yield from _service(spec, templates)
    elif kind == "ConfigMap":
        yield from _configmap(obj)
    elif kind == "PersistentVolumeClaim":
        yield from _claim(spec)


def _labels(meta: Obj) -> Iterator[str]:
    for key, value in (meta.get("labels") or {}).items():
        if not names.is_qualified_name(str(key)) or not names.is_label_value(str(value)):
            yield f"label {key}={value} is not a valid label"
    for key in (meta.get("annotations") or {}):
        if not names.is_qualified_name(str(key)):
            yield f"annotation key {key!r} is not a valid key"


def _workload(kind: str, spec: Obj, defined: set[tuple[str, str]], version: tuple[int, int],
              gates: dict[str, bool]) -> Iterator[str]:
    template = spec.get("template") or {}
    pod = template.get("spec") or {}
    policy = pod.get("restartPolicy", "Always")
    if policy not in RESTART_POLICIES[kind]:
        yield (f"a {kind} needs restartPolicy {' or '.join(sorted(RESTART_POLICIES[kind]))}, "
               f"not {policy}")
    selector = (spec.get("selector") or {}).get("matchLabels")
    if kind != "Job":
        labels = (template.get("metadata") or {}).get("labels") or {}
        if not selector:
            yield "no selector.matchLabels"
        elif any(labels.get(k) != v for k, v in selector.items()):
            yield f"selector {selector} does not match the template labels {labels}"
    yield from _labels(template.get("metadata") or {})
    external = set(filter(None, ((template.get("metadata") or {}).get("annotations") or {})
                          .get(EXTERNAL_REFS, "").split(",")))
    claims = {str((t.get("metadata") or {}).get("name")) for t in spec.get("volumeClaimTemplates")
              or []}
    for claim in spec.get("volumeClaimTemplates") or []:
        yield from _claim(claim.get("spec") or {})
    yield from _pod(pod, defined, external, claims, version, gates)


def _pod(pod: Obj, defined: set[tuple[str, str]], external: set[str], claims: set[str],
         version: tuple[int, int], gates: dict[str, bool]) -> Iterator[str]:
    volumes: dict[str, Obj] = {}
    for volume in pod.get("volumes") or []:
        vname = str(volume.get("name"))
        if not names.is_dns_label(vname):
            yield f"volume name {vname!r} is not a DNS label"
        if vname in volumes:
            yield f"volume {vname!r} defined twice"
        volumes[vname] = volume
        yield from _volume_refs(volume, defined, external)
    if "hostname" in pod and not names.is_dns_label(str(pod["hostname"])):
        yield f"hostname {pod['hostname']!r} is not a DNS label"
    containers = [*(pod.get("initContainers") or []), *(pod.get("containers") or [])]
    seen: set[str] = set()
    for container in containers:
        cname = str(container.get("name"))
        if not names.is_dns_label(cname):
            yield f"container name {cname!r} is not a DNS label"
        if cname in seen:
            yield f"container {cname!r} defined twice"
        seen.add(cname)
        for mount in container.get("volumeMounts") or []:
            if mount.get("name") not in volumes and mount.get("name") not in claims:
                yield f"container {cname}: volumeMount {mount.get('name')!r} names no volume"
        port_names: set[str] = set()
        for port in container.get("ports") or []:
            if not _in_range(port.get("containerPort")):
                yield f"container {cname}: containerPort {port.get('containerPort')} not in 1-65535"
            if "name" in port:
                if not names.is_port_name(str(port["name"])) or port["name"] in port_names:
                    yield f"container {cname}: port name {port['name']!r} invalid or repeated"
                port_names.add(port["name"])
        for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
            if probe in container:
                yield from _handler(f"container {cname}: {probe}", container[probe],
                                    PROBE_HANDLERS)
        lifecycle = container.get("lifecycle") or {}
        for hook in ("postStart", "preStop"):
            if hook in lifecycle:
                yield from _handler(f"container {cname}: {hook}", lifecycle[hook],
                                    LIFECYCLE_HANDLERS)
        if "stopSignal" in lifecycle:
            if (pod.get("os") or {}).get("name") != "linux":
                yield f"container {cname}: lifecycle.stopSignal needs spec.os.name: linux"
            if version < STOP_SIGNAL_SINCE or not gates.get(STOP_SIGNAL_GATE, False):
                yield (f"container {cname}: lifecycle.stopSignal needs Kubernetes 1.33+ with the "
                       f"{STOP_SIGNAL_GATE} feature gate")
        if container.get("tty") and not container.get("stdin"):
            yield f"container {cname}: tty needs stdin: true"
        yield from _resources(f"container {cname}", container.get("resources") or {})
    for volume in volumes.values():
        size = (volume.get("emptyDir") or {}).get("sizeLimit")
        if size is not None and not quantity.is_quantity(size):
            yield f"volume {volume['name']}: sizeLimit {size!r} is not a quantity"


def _volume_refs(volume: Obj, defined: set[tuple[str, str]], external: set[str]) -> Iterator[str]:
    refs: list[tuple[str, str]] = []
    if "configMap" in volume:
        refs.append(("ConfigMap", volume["configMap"].get("name", "")))
    if "secret" in volume:
        refs.append(("Secret", volume["secret"].get("secretName", "")))
    if "persistentVolumeClaim" in volume:
        refs.append(("PersistentVolumeClaim", volume["persistentVolumeClaim"].get("claimName", "")))
    for source in (volume.get("projected") or {}).get("sources") or []:
        if "configMap" in source:
            refs.append(("ConfigMap", source["configMap"].get("name", "")))
        if "secret" in source:
            refs.append(("Secret", source["secret"].get("name", "")))
    for kind, ref in refs:
        if (kind, ref) not in defined and f"{kind.lower()}/{ref}" not in external:
            yield f"volume {volume.get('name')}: {kind} {ref!r} is not defined here"


def _handler(where: str, handler: Obj, allowed: tuple[str, ...]) -> Iterator[str]:
    given = [k for k in (*PROBE_HANDLERS, "sleep") if k in handler]
    if len(given) != 1:
        yield f"{where} needs exactly one handler ({', '.join(allowed)}), has {given or 'none'}"
    elif given[0] not in allowed:
        yield f"{where}: {given[0]} is not a handler here"


def _resources(where: str, resources: Obj) -> Iterator[str]:
    limits = resources.get("limits") or {}
    requests = resources.get("requests") or {}
    for table, label in ((limits, "limit"), (requests, "request")):
        for key, value in table.items():
            if not quantity.is_quantity(value):
                yield f"{where}: {key} {label} {value!r} is not a quantity"
    for key, value in requests.items():
        if key in limits and quantity.is_quantity(value) and quantity.is_quantity(limits[key]) \
                and quantity.value(value) > quantity.value(limits[key]):
            yield f"{where}: {key} request {value} is above its limit {limits[key]}"


def _in_range(port: Any, low: int = 1, high: int = 65535) -> bool:
    return isinstance(port, int) and not isinstance(port, bool) and low <= port <= high


def _service(spec: Obj, templates: list[dict[str, str]]) -> Iterator[str]:
    selector = spec.get("selector") or {}
    if selector and not any(all(t.get(k) == v for k, v in selector.items()) for t in templates):
        yield f"selector {selector} matches no pod template here"
    port_names: set[str] = set()
    ports = spec.get("ports") or []
    for port in ports:
        if not _in_range(port.get("port")):
            yield f"port {port.get('port')} not in 1-65535"
        target = port.get("targetPort")
        if isinstance(target, int) and not _in_range(target):
            yield f"targetPort {target} not in 1-65535"
        if "nodePort" in port and not _in_range(port["nodePort"], 30000, 32767):
            yield f"nodePort {port['nodePort']} not in the default range 30000-32767"
        name = port.get("name")
        if name is not None and (not names.is_port_name(str(name)) or name in port_names):
            yield f"port name {name!r} invalid or repeated"
        if name is None and len(ports) > 1:
            yield "ports need names when there is more than one"
        port_names.add(str(name))


def _configmap(obj: Obj) -> Iterator[str]:
    size = 0
    for key, value in (obj.get("data") or {}).items():
        if not names.is_config_key(str(key)):
            yield f"key {key!r} is not a valid ConfigMap key"
        size += len(str(key)) + len(str(value).encode())
    for key, value in (obj.get("binaryData") or {}).items():
        if not names.is_config_key(str(key)):
            yield f"key {key!r} is not a valid ConfigMap key"
        try:
            size += len(str(key)) + len(base64.b64decode(str(value), validate=True))
        except (binascii.Error, ValueError):
            yield f"binaryData {key!r} is not base64"
    if size > MAX_CONFIGMAP:
        yield f"holds {size} bytes; a ConfigMap holds at most 1 MiB ({MAX_CONFIGMAP})"


def _claim(spec: Obj) -> Iterator[str]:
    storage = ((spec.get("resources") or {}).get("requests") or {}).get("storage")
    if storage is None:
        yield "a claim needs resources.requests.storage"
    elif not quantity.is_quantity(storage):
        yield f"storage {storage!r} is not a quantity"
