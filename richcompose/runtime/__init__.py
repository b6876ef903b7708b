"""Runtime stage: a typed wrapper of the OCI runtime CLI (runc/crun) and the conmon launcher
that owns each container's stdio, log file and exit code."""

from richcompose.runtime.conmon import ConmonLauncher
from richcompose.runtime.oci import ContainerState, OCIRuntime

__all__ = ["ConmonLauncher", "ContainerState", "OCIRuntime"]
