"""What makes a systemd or sbin-init container a VM: PID 1 is the VM's init and, without a
`command:`, nothing else; the engine waits for the boot and restarts the container when the
VM reboots; each boot gets its own boot id.

The bundle tells the engine how to see the boot through an annotation (BOOT_ANNOTATION):
`systemd` (ask `systemctl is-system-running`) or `inittab` (the generated inittab entry drops
BOOTED_MARKER in the run dir). A reboot inside leaves REBOOT_MARKER there before PID 1 exits.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from richcompose.bundle.names import (
    BOOT_ANNOTATION,
    BOOT_TIMEOUT_ANNOTATION,
    BOOTED_MARKER,
    DEFAULT_BOOT_TIMEOUT,
    REBOOT_MARKER,
    SYSTEMD_UP_MARKER,
)
from richcompose.bundle.rich import RUN_DIR
from richcompose.bundle.spec import SpecOption, with_annotations, with_hook

if TYPE_CHECKING:
    from richcompose.config.models import Service

BOOT_ID = "/proc/sys/kernel/random/boot_id"

# A createContainer hook runs in the container's mount namespace before pivot_root, with the
# host's tools and the bundle on the host path: it writes a fresh id into the bundle (not a
# container-writable place) and binds it over the container's boot_id, as LXC does. runc
# itself refuses bind mounts inside /proc from the spec.
# An image whose /proc is a symlink had runc mount proc elsewhere: then the host's boot id
# stays (never a path resolved through the image's link).
_BOOT_ID_SCRIPT = (
    "set -e; "
    "bundle=$(sed -n 's/.*\"bundle\": *\"\\([^\"]*\\)\".*/\\1/p'); "
    "case $bundle in /?*) ;; *) echo 'no bundle path in the state' >&2; exit 1 ;; esac; "
    "[ -L \"$bundle/rootfs/proc\" ] && exit 0; "
    "cat /proc/sys/kernel/random/uuid > \"$bundle/boot_id\"; "
    f"mount --bind -o ro \"$bundle/boot_id\" \"$bundle/rootfs{BOOT_ID}\""
)


def has_app(service: Service) -> bool:
    """A VM runs a command beside its init only when the service names one; the image's own
    Cmd/Entrypoint is not used (in a VM image it is usually the init itself)."""
    return service.command is not None or service.entrypoint is not None


def with_boot_watch(kind: str, timeout: int = DEFAULT_BOOT_TIMEOUT) -> SpecOption:
    return with_annotations({BOOT_ANNOTATION: kind, BOOT_TIMEOUT_ANNOTATION: str(timeout)})


def with_own_boot_id(host_env: Mapping[str, str]) -> SpecOption:
    path = host_env.get("PATH") or "/usr/sbin:/usr/bin:/sbin:/bin"
    return with_hook("createContainer", "/bin/sh", ["sh", "-c", _BOOT_ID_SCRIPT],
                     env=[f"PATH={path}"], timeout=10)


def reboot_marker_command() -> list[str]:
    return ["/bin/sh", "-c", f": > {RUN_DIR}/{REBOOT_MARKER}"]


def booted_marker_command() -> str:
    return f": > {RUN_DIR}/{BOOTED_MARKER}"


def systemd_up_marker_command() -> list[str]:
    return ["/bin/sh", "-c", f": > {RUN_DIR}/{SYSTEMD_UP_MARKER}"]
