"""Each object against Kubernetes' own JSON schemas for the chosen version, strict (no key
the API does not know), from the `kubernetes-validate` package (the optional `kube` extra)."""

from __future__ import annotations

from typing import Any

from richcompose.errors import ConfigError
from richcompose.kube.semantic import Problem


def schema_problems(by_file: dict[str, list[dict[str, Any]]], version: str) -> list[Problem]:
    try:
        import kubernetes_validate
        from kubernetes_validate.utils import VersionNotSupportedError
    except ImportError:
        raise ConfigError("schema validation needs the kubernetes-validate package",
                          hint="pip install 'richcompose[kube]'") from None
    from kubernetes_validate.utils import all_versions, major_minor
    known = [major_minor(v) for v in all_versions()]
    wanted = major_minor(version.removeprefix("v"))
    if not _as_tuple(known[0]) <= _as_tuple(wanted) <= _as_tuple(known[-1]):
        raise ConfigError(f"kubernetes-validate has no schemas for Kubernetes {version}",
                          hint=f"pick a version from {known[0]} to {known[-1]}")
    problems: list[Problem] = []
    for file, docs in by_file.items():
        for obj in docs:
            label = f"{obj.get('kind', '?')}/{(obj.get('metadata') or {}).get('name', '')}"
            try:
                kubernetes_validate.validate(obj, version, strict=True)
            except kubernetes_validate.ValidationError as exc:
                path = ".".join(str(p) for p in exc.path)
                problems.append(Problem(file, label, f"{path}: {exc.message}" if path
                                        else exc.message))
            except kubernetes_validate.SchemaNotFoundError as exc:
                problems.append(Problem(file, label, exc.message))
            except VersionNotSupportedError:
                raise ConfigError(f"kubernetes-validate has no schemas for Kubernetes {version}",
                                  hint="pick another --kube-version") from None
    return problems


def _as_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())
