"""sbin-init mode: PID 1 is the image's own /sbin/init. When that is systemd, this is systemd
mode; when it is busybox or SysV init, the service's command becomes an inittab `once` entry
(a generated script that sets the environment and execs the command, so its parent is init),
and the generated inittab is mounted over the image's /etc/inittab. Without a command (a VM)
the generated inittab is the image's own plus that entry, which then only starts the system
services; either way the entry notes that the inittab ran, which is the boot `up` waits for."""

from __future__ import annotations

from pathlib import Path

from richcompose.bundle import templates
from richcompose.bundle.launcher import LAUNCHER, STOP_BUSYBOX_INIT, STOP_DUMB_INIT, launcher
from richcompose.bundle.rich import HOST_DIR, RICH_DIR, BundleFile, RichInputs, RichParts
from richcompose.bundle.spec import bind_mount, with_mounts, with_process_args, with_user
from richcompose.bundle.systemd import systemd_mode
from richcompose.bundle.vm import booted_marker_command, has_app, with_boot_watch
from richcompose.errors import BundleError

SBIN_INIT = "/sbin/init"
APP_SCRIPT = f"{RICH_DIR}/bin/app"


def init_flavour(inputs: RichInputs) -> str:
    """systemd, busybox or sysv, from what /sbin/init resolves to in the image."""
    found = inputs.fs.host_path(SBIN_INIT)
    if found is None or not inputs.fs.is_executable_file(SBIN_INIT):
        raise BundleError(f"service {inputs.name!r}: rich_mode sbin-init, but the image has no "
                          f"executable {SBIN_INIT}", location=inputs.locate("rich_mode"),
                          hint="use an image with an init, or rich_mode: dumb-init")
    name = Path(found).name
    if name == "systemd":
        return "systemd"
    if "busybox" in name:
        return "busybox"
    return "sysv"


def sbin_init_mode(inputs: RichInputs) -> RichParts:
    flavour = init_flavour(inputs)
    if flavour == "systemd":
        return systemd_mode(inputs, SBIN_INIT)
    if any(s.unit for s in inputs.service.system_services.values()):
        raise BundleError(f"service {inputs.name!r}: system_services with unit: need systemd, "
                          f"but /sbin/init in the image is {flavour} init",
                          location=inputs.locate("system_services"),
                          hint="give those system services a command: instead")
    inner = launcher(inputs, wrap_process=False,
                     stop_container=STOP_BUSYBOX_INIT if flavour == "busybox" else STOP_DUMB_INIT)
    argv = inputs.argv if has_app(inputs.service) else []
    argv = [LAUNCHER, *argv] if inner.files else argv
    app = templates.render("app.sh.j2", service=inputs.name, env=sorted(inputs.env.items()),
                           cwd=inputs.cwd, argv=argv, booted=booted_marker_command())
    own = "" if argv and has_app(inputs.service) else _image_inittab(inputs)
    inittab = templates.render("inittab.j2", service=inputs.name, flavour=flavour, app=APP_SCRIPT,
                               own=own)
    parts = RichParts(
        [with_process_args([SBIN_INIT]), with_user(0, 0),
         with_mounts([bind_mount(f"{HOST_DIR}/inittab", "/etc/inittab")]),
         with_boot_watch("inittab")],
        {"bin/app": BundleFile(app, 0o755), "inittab": BundleFile(inittab)})
    return parts.extend(inner)


def _image_inittab(inputs: RichInputs) -> str:
    """The VM's own inittab, which a VM without a command boots with."""
    if not inputs.fs.exists("/etc/inittab"):
        return ""
    return inputs.fs.read_head("/etc/inittab", 1 << 16).decode(errors="replace")
