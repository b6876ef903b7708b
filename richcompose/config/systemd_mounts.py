"""Honest mounts: in systemd mode the VM's own systemd cleans some directories at boot, so a
host directory bound there is emptied or filled behind the user's back (PouchContainer's own
example binds the host's /tmp). Each such mount gets a located warning before anything starts,
saying what will happen and what to do."""

from __future__ import annotations

from richcompose.config.models import Project
from richcompose.errors import ConfigWarning

# target → what the VM's systemd does to it at boot
CLEANED_AT_BOOT = {
    "/tmp": "systemd-tmpfiles empties /tmp at every boot (tmp.conf: D /tmp)",
    "/var/tmp": "systemd-tmpfiles cleans /var/tmp at boot and deletes files older than 30 days",
    "/run": "systemd wants a fresh tmpfs on /run and fills it with its sockets and state at "
            "boot; stale files there confuse it",
}


def check(project: Project) -> list[ConfigWarning]:
    found = []
    for name, service in project.services.items():
        if service.effective_rich_mode != "systemd":
            continue
        for index, volume in enumerate(service.volumes):
            if volume.type not in ("bind", "volume"):
                continue
            target = volume.target.rstrip("/") or "/"
            top = next((t for t in CLEANED_AT_BOOT if target == t or target.startswith(t + "/")),
                       None)
            if top is None:
                continue
            what = "a host directory" if volume.type == "bind" else f"volume {volume.source!r}"
            found.append(ConfigWarning(
                f"service {name!r}: {what} is mounted on {target} in systemd mode: "
                f"{CLEANED_AT_BOOT[top]}, so its files on the host are changed or lost",
                location=project.locate(("services", name, "volumes", index)),
                hint=f"mount it on a path the VM's systemd leaves alone, e.g. /srv{target}"))
    return found
