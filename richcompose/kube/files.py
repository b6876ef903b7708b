"""environment → a ConfigMap per service (envFrom); top-level configs → ConfigMaps and secrets
→ Secrets, each mounted file by file (subPath) where the service asks, as compose mounts them."""

from __future__ import annotations

import base64
import posixpath
from pathlib import Path

from richcompose.config.models import FileObject, FileRef, Project
from richcompose.errors import ConfigError, ConfigWarning
from richcompose.kube import labels, names
from richcompose.kube.context import Obj, ServiceContext
from richcompose.kube.options import ConvertOptions

MAX_FILE = 1024 * 1024  # a ConfigMap or Secret holds at most 1 MiB


def environment(sc: ServiceContext) -> dict[str, str]:
    """The service's environment (env_file already merged in by the loader); `VAR` without a
    value takes this shell's value at convert time, as compose takes it at `up`."""
    env: dict[str, str] = {}
    for key, value in sorted(sc.service.environment.items()):
        if value is None:
            if key not in sc.options.environ:
                sc.warn("environment", f"environment {key} has no value here and is not set",
                        "set it in the shell running convert, or give it a value")
                continue
            value = sc.options.environ[key]
        if not names.is_config_key(key):
            sc.warn("environment", f"environment {key!r} is not a ConfigMap key; left out",
                    "use letters, digits, '-', '_' and '.' in variable names")
            continue
        env[key] = value
    return env


def env_configmap(sc: ServiceContext, env: dict[str, str]) -> Obj | None:
    if not env:
        return None
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": sc.metadata(f"{sc.name}-env"),
            "data": env}


def object_name(table: dict[str, FileObject], key: str) -> str:
    spec = table.get(key)
    return spec.name if spec is not None and spec.name else key


def file_objects(project: Project, selected: list[str], options: ConvertOptions,
                 warnings: list[ConfigWarning]) -> list[Obj]:
    """One ConfigMap per config and one Secret per secret that a selected service uses;
    `external: true` ones are expected to exist in the cluster."""
    out: list[Obj] = []
    for kind, obj_kind in (("configs", "ConfigMap"), ("secrets", "Secret")):
        table: dict[str, FileObject] = getattr(project, kind)
        used = sorted({ref.source for n in selected for ref in getattr(project.services[n], kind)})
        for key in used:
            spec = table.get(key)
            if spec is None:
                raise ConfigError(f"{kind[:-1]} {key!r} is used but not declared",
                                  location=project.locate((kind,)),
                                  hint=f"declare it under top-level {kind}:")
            if spec.external:
                continue
            data_key, content = _content(project, kind, key, spec, options)
            meta = labels.metadata(object_name(table, key), labels.project_labels(project.name),
                                   options.namespace)
            obj: Obj = {"apiVersion": "v1", "kind": obj_kind, "metadata": meta}
            if obj_kind == "Secret":
                obj["type"] = "Opaque"
                obj["data"] = {data_key: base64.b64encode(content).decode()}
            else:
                try:
                    obj["data"] = {data_key: content.decode("utf-8")}
                except UnicodeDecodeError:
                    obj["binaryData"] = {data_key: base64.b64encode(content).decode()}
            if spec.driver or spec.template_driver:
                warnings.append(ConfigWarning(f"{kind[:-1]} {key!r}: driver is not converted",
                                              project.locate((kind, key))))
            out.append(obj)
    return out


def data_key(table: dict[str, FileObject], key: str) -> str:
    spec = table.get(key)
    if spec is not None and spec.file:
        return Path(spec.file).name
    return key


def _content(project: Project, kind: str, key: str, spec: FileObject,
             options: ConvertOptions) -> tuple[str, bytes]:
    where = project.locate((kind, key))
    if spec.file:
        path = Path(spec.file)
        if not path.is_absolute():
            path = Path(project.directory) / path
        if not path.is_file():
            raise ConfigError(f"{kind[:-1]} {key!r}: {path} is not a regular file", location=where,
                              hint="point file: at a file in the project")
        if path.stat().st_size > MAX_FILE:
            raise ConfigError(f"{kind[:-1]} {key!r}: {path} is larger than 1 MiB, the most a "
                              "ConfigMap or Secret holds", location=where,
                              hint="put it in the image or a volume")
        content = path.read_bytes()
    elif spec.environment:
        if spec.environment not in options.environ:
            raise ConfigError(f"{kind[:-1]} {key!r}: environment variable {spec.environment} "
                              "is not set", location=where, hint="set it in the shell")
        content = options.environ[spec.environment].encode()
    else:
        content = (spec.content or "").encode()
    name = data_key({key: spec}, key)
    if not names.is_config_key(name):
        raise ConfigError(f"{kind[:-1]} {key!r}: {name!r} cannot be a ConfigMap/Secret key",
                          location=where, hint="name the file with letters, digits, '-', '_', '.'")
    return name, content


def file_mounts(sc: ServiceContext) -> tuple[list[Obj], list[Obj], list[str]]:
    """Pod volumes, container mounts, and the external objects they refer to."""
    volumes: list[Obj] = []
    mounts: list[Obj] = []
    external: list[str] = []
    for kind in ("configs", "secrets"):
        table: dict[str, FileObject] = getattr(sc.project, kind)
        refs: list[FileRef] = getattr(sc.service, kind)
        for index, ref in enumerate(refs):
            name = object_name(table, ref.source)
            key = data_key(table, ref.source)
            target = _target(kind, ref)
            volume_name = f"{kind[:-1]}-{name}"
            if not names.is_dns_label(volume_name):
                raise ConfigError(f"service {sc.name!r}: {kind[:-1]} {name!r} gives the volume "
                                  f"name {volume_name!r}, longer than 63", location=sc.locate(
                                      kind, index), hint="use a shorter name")
            item: Obj = {"key": key, "path": key}
            if ref.mode is not None:
                item["mode"] = ref.mode
            source: Obj = {"items": [item]}
            if kind == "configs":
                volumes.append({"name": volume_name, "configMap": {"name": name, **source}})
            else:
                volumes.append({"name": volume_name, "secret": {"secretName": name, **source}})
            mounts.append({"name": volume_name, "mountPath": target, "subPath": key,
                           "readOnly": True})
            spec = table.get(ref.source)
            if spec is not None and spec.external:
                external.append(f"{'configmap' if kind == 'configs' else 'secret'}/{name}")
            if ref.uid or ref.gid:
                sc.warn(kind, f"{kind[:-1]} {ref.source}: uid/gid are not converted (the file "
                        "belongs to root; fsGroup decides group access)")
    return _dedupe(volumes), mounts, external


def _target(kind: str, ref: FileRef) -> str:
    if kind == "configs":
        return ref.target or f"/{ref.source}"
    if ref.target and ref.target.startswith("/"):
        return ref.target
    return posixpath.join("/run/secrets", ref.target or ref.source)


def _dedupe(volumes: list[Obj]) -> list[Obj]:
    seen: dict[str, Obj] = {}
    for volume in volumes:
        seen.setdefault(volume["name"], volume)
    return list(seen.values())
