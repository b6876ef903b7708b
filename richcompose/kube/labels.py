"""The labels richcompose puts on what it makes: `down --kubeconfig` finds them by these."""

from __future__ import annotations

PROJECT = "richcompose.io/project"
SERVICE = "richcompose.io/service"
MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGER = "richcompose"
# On a pod template: objects it uses that the project declares `external: true`.
EXTERNAL_REFS = "richcompose.io/external-refs"


def project_labels(project: str) -> dict[str, str]:
    return {MANAGED_BY: MANAGER, PROJECT: project}


def service_labels(project: str, service: str) -> dict[str, str]:
    return {**project_labels(project), SERVICE: service}


def selector(project: str, service: str) -> dict[str, str]:
    return {PROJECT: project, SERVICE: service}


def metadata(name: str, labels: dict[str, str], namespace: str | None,
             annotations: dict[str, str] | None = None) -> dict[str, object]:
    meta: dict[str, object] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    meta["labels"] = dict(labels)
    if annotations:
        meta["annotations"] = dict(sorted(annotations.items()))
    return meta
