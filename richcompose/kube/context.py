"""What every builder gets about one service, and where it reports what it approximates."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from richcompose.config.models import Project, Service
from richcompose.config.source import PathKey
from richcompose.errors import ConfigWarning, Location
from richcompose.kube import labels
from richcompose.kube.options import ConvertOptions, KubeBlock

Obj = dict[str, Any]


@dataclass
class ServiceContext:
    project: Project
    name: str
    service: Service
    block: KubeBlock
    options: ConvertOptions
    selected: tuple[str, ...]
    warnings: list[ConfigWarning] = field(default_factory=list)

    def locate(self, *path: str | int) -> Location | None:
        full: PathKey = ("services", self.name, *path)
        return self.project.locate(full, key=True) or self.project.locate(full)

    def warn(self, key: str, message: str, hint: str = "") -> None:
        self.warnings.append(ConfigWarning(f"service {self.name!r}: {message}",
                                           self.locate(key), hint))

    @property
    def namespace(self) -> str | None:
        return self.options.namespace

    @property
    def labels(self) -> dict[str, str]:
        return labels.service_labels(self.project.name, self.name)

    @property
    def selector(self) -> dict[str, str]:
        return labels.selector(self.project.name, self.name)

    def metadata(self, name: str, annotations: dict[str, str] | None = None) -> Obj:
        return labels.metadata(name, self.labels, self.namespace, annotations)
