"""Pydantic validation with errors turned into ConfigErrors that point at file:line:column."""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel, ValidationError

from richcompose.config.base import KeyProblem
from richcompose.config.build import Build
from richcompose.config.models import Project
from richcompose.config.names import check_section_names
from richcompose.config.source import PathKey, SourceMap
from richcompose.errors import ConfigError


def validate_project(data: Any, smap: SourceMap) -> Project:
    """Validates plain project data; the first problem is raised, the rest attached as `.others`."""
    if not isinstance(data, dict):
        raise ConfigError("a project file must be a mapping with a services: key",
                          location=smap.locate(()), hint="start the file with 'services:'")
    check_section_names(data, smap)
    try:
        return Project.model_validate(data).with_source(smap)
    except ValidationError as exc:
        errors = [_to_config_error(err, smap) for err in _one_per_place(exc.errors(), data)]
        first = errors[0]
        first.others = errors[1:]  # type: ignore[attr-defined]
        raise first from None


def _data_path(loc: tuple[Any, ...], data: Any) -> PathKey:
    """The part of pydantic's error location that names places in the file: union members
    ('str', 'list[...]') and validator names are not keys the user wrote."""
    path: list[str | int] = []
    for part in loc:
        inside = (isinstance(data, dict) and part in data) or (
            isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data))
        if inside:
            data = data[part]
            path.append(part)
        elif isinstance(part, str) and path and _could_be_key(part):
            path.append(part)  # a key the user left out (a `missing` error)
    return tuple(path)


def _could_be_key(part: str) -> bool:
    return (part not in _NOT_KEYS and "[" not in part and part[:1].islower()
            and not part.startswith("function-"))


_NOT_KEYS = frozenset({"str", "int", "float", "bool", "dict", "list", "none", "literal"})
_TYPE_KINDS = frozenset({"bool_type", "bool_parsing", "int_type", "int_parsing", "float_type",
                         "float_parsing", "string_type", "list_type", "dict_type", "model_type"})


def _one_per_place(errors: list[Any], data: Any) -> list[dict[str, Any]]:
    """One error per place in the file; where a value may take several forms (a union), the
    forms it may take are named together: "expected a list or text, found 5"."""
    grouped: dict[PathKey, list[dict[str, Any]]] = {}
    for err in errors:
        grouped.setdefault(_data_path(err["loc"], data), []).append(err)
    out = []
    for path, group in grouped.items():
        first = {**group[0], "loc": path}
        if len(group) > 1 and all(e["type"] in _TYPE_KINDS for e in group):
            forms = list(dict.fromkeys(_EXPECTED[e["type"]] for e in group))
            first["forms"] = " or ".join(forms)
        out.append(first)
    return out


_EXPECTED = {"bool_type": "true or false", "bool_parsing": "true or false",
             "int_type": "a whole number", "int_parsing": "a whole number",
             "float_type": "a number", "float_parsing": "a number", "string_type": "text",
             "list_type": "a list", "dict_type": "a mapping", "model_type": "a mapping"}


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    args = getattr(annotation, "__args__", ()) or ()
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in args:
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _fields_for(path: PathKey) -> list[str]:
    """Valid key names at `path`, found by walking the models with mapping levels skipped."""
    model: type[BaseModel] | None = Project
    parts = list(path)
    while parts and model is not None:
        part = parts.pop(0)
        field = model.model_fields.get(str(part))
        if field is None:
            return []
        inner = _inner_model(field.annotation)
        origin = getattr(field.annotation, "__origin__", None)
        if origin is dict and parts:
            parts.pop(0)  # skip the user-chosen key (service name, network name...)
        elif origin is list and parts and isinstance(parts[0], int):
            parts.pop(0)
        model = inner
    return sorted(model.model_fields) if model is not None else []


def _where(path: PathKey) -> str:
    if len(path) >= 2 and path[0] == "services":
        return f" in service {path[1]!r}"
    if len(path) >= 2 and path[0] in _SECTIONS[1:]:
        return f" in {path[0][:-1]} {path[1]!r}"
    return ""


def _to_config_error(err: Any, smap: SourceMap) -> ConfigError:
    loc: PathKey = err["loc"]
    kind = err["type"]
    ctx_error = (err.get("ctx") or {}).get("error")
    if isinstance(ctx_error, KeyProblem):
        key_path = (*loc, ctx_error.key) if ctx_error.key else loc
        owner = _where(key_path).removeprefix(" in ")
        return ConfigError(f"{owner}: {ctx_error.message}" if owner else ctx_error.message,
                           location=smap.locate(key_path, key=True), hint=ctx_error.hint)
    if kind == "extra_forbidden":
        key = str(loc[-1])
        valid = _fields_for(loc[:-1])
        close = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else (
            "see docs/reference.md for the keys richcompose supports")
        return ConfigError(f"unknown key {key!r}{_where(loc)}", location=smap.locate(loc, key=True),
                           hint=hint)
    if kind == "literal_error":
        expected = (err.get("ctx") or {}).get("expected", "")
        return ConfigError(f"invalid value {err.get('input')!r} for {loc[-1]}{_where(loc)}",
                           location=smap.locate(loc), hint=f"allowed values: {expected}")
    if kind == "missing":
        return ConfigError(f"missing key {loc[-1]!r}{_where(loc)}",
                           location=smap.locate(loc[:-1]), hint=f"add {loc[-1]}:")
    message = _plain_words(kind, err.get("input")) or str(err.get("msg", "invalid value"))
    message = message.removeprefix("Value error, ")
    if "forms" in err:
        message = f"expected {err['forms']}, found {_shown(err.get('input'))}"
    whole = len(loc) == 2 and loc[0] in _SECTIONS  # the service (network...) itself
    field = f" {loc[-1]}" if loc and isinstance(loc[-1], str) and not whole else ""
    where = f" {str(loc[0])[:-1]} {loc[1]!r}" if whole else _where(loc)
    return ConfigError(f"invalid{field}{where}: {message}", location=smap.locate(loc),
                       hint="" if "forms" in err else _type_hint(kind))


_SECTIONS = ("services", "networks", "volumes", "configs", "secrets")


def _shown(given: Any) -> str:
    if given is None:
        return "an empty value"
    return repr(given) if isinstance(given, str | int | float | bool) else type(given).__name__


def _plain_words(kind: str, given: Any) -> str:
    """The problem in the file's terms, for the type errors people make most."""
    shown = _shown(given)
    return {
        "bool_type": f"{shown} is not true or false",
        "bool_parsing": f"{shown} is not true or false",
        "int_type": f"{shown} is not a whole number",
        "int_parsing": f"{shown} is not a whole number",
        "int_from_float": f"{shown} is not a whole number",
        "float_type": f"{shown} is not a number",
        "float_parsing": f"{shown} is not a number",
        "string_type": f"expected text, found {shown}",
        "list_type": f"expected a list, found {shown}",
        "dict_type": f"expected a mapping, found {shown}",
        "model_type": f"expected a mapping, found {shown}",
    }.get(kind, "")


def _type_hint(kind: str) -> str:
    return {
        "string_type": "use a string (quote it if YAML reads it as something else)",
        "list_type": "use a list",
        "dict_type": "use a mapping of key: value",
        "model_type": "use a mapping of key: value",
    }.get(kind, "")



def check_references(project: Project) -> None:
    """Every name a service uses is defined: services, networks, volumes, secrets, configs."""
    services = list(project.services)
    for name, service in project.services.items():
        for target, dep in service.depends_on.items():
            if target not in project.services and dep.required:
                _undefined(project, ("services", name, "depends_on", target), "service", target,
                           services, f"define service {target!r} or remove it from depends_on",
                           verb="depends on")
        mode = service.network_mode or ""
        if mode.startswith("service:") and mode[8:] not in project.services:
            _undefined(project, ("services", name, "network_mode"), "service", mode[8:], services,
                       "name a service of this project after service:")
        for net in service.networks:
            if net != "default" and net not in project.networks:
                _undefined(project, ("services", name, "networks", net), "network", net,
                           list(project.networks), f"add {net!r} under the top-level networks:")
        for index, volume in enumerate(service.volumes):
            if volume.type == "volume" and volume.source and volume.source not in project.volumes:
                _undefined(project, ("services", name, "volumes", index), "volume", volume.source,
                           list(project.volumes), f"add {volume.source!r} under the top-level "
                           "volumes:, or start the source with ./ for a bind mount")
        for kind, defined in (("secrets", project.secrets), ("configs", project.configs)):
            for index, ref in enumerate(getattr(service, kind)):
                if ref.source not in defined:
                    _undefined(project, ("services", name, kind, index), kind[:-1], ref.source,
                               list(defined), f"add {ref.source!r} under the top-level {kind}:")
        if service.build is not None:
            _check_build_references(project, name, service.build)


def _check_build_references(project: Project, name: str, build: Build) -> None:
    for index, secret in enumerate(build.secrets):
        if secret.source not in project.secrets:
            _undefined(project, ("services", name, "build", "secrets", index), "secret",
                       secret.source, list(project.secrets),
                       f"add {secret.source!r} under the top-level secrets:")
    for key, value in build.additional_contexts.items():
        if value.startswith("service:") and value[8:] not in project.services:
            _undefined(project, ("services", name, "build", "additional_contexts", key),
                       "service", value[8:], list(project.services),
                       "name a service of this project after service:")


def _undefined(project: Project, path: PathKey, kind: str, target: str, known: list[str],
               fix: str, verb: str = "uses") -> None:
    close = difflib.get_close_matches(target, known, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}? Otherwise {fix}" if close else fix
    raise ConfigError(f"service {path[1]!r} {verb} {kind} {target!r}, which is not defined",
                      location=project.locate(path, key=True), hint=hint)
