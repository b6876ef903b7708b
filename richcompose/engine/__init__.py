"""The engine: ordered, parallel bring-up with health gates; stop and down in reverse order;
status views. Supervision after the CLI exits is richcompose.runtime.monitor's job."""

from richcompose.engine.core import Engine
from richcompose.engine.hooks import ContainerHook, Prepared
from richcompose.engine.records import ContainerRecord, ContainerStatus, container_name

__all__ = ["ContainerHook", "ContainerRecord", "ContainerStatus", "Engine", "Prepared",
           "container_name"]
