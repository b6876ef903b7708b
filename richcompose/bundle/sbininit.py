"""sbin-init mode: PID 1 is the image's own /sbin/init. When that is systemd, this is systemd
mode; when it is busybox or SysV init, the service's command becomes an inittab `once` entry
(a generated script that sets the environment and execs the command, so its parent is init),
and the generated inittab is mounted over the image's /etc/inittab."""

from __future__ import annotations

from pathlib import Path

from richcompose.bundle import templates
from richcompose.bundle.launcher import LAUNCHER, launcher
from richcompose.bundle.rich import HOST_DIR, RICH_DIR, BundleFile, RichInputs, RichParts
from richcompose.bundle.spec import bind_mount, with_mounts, with_process_args, with_user
from richcompose.bundle.systemd import systemd_mode
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
    inner = launcher(inputs, wrap_process=False)
    argv = [LAUNCHER, *inputs.argv] if inner.files else inputs.argv
    app = templates.render("app.sh.j2", service=inputs.name, env=sorted(inputs.env.items()),
                           cwd=inputs.cwd, argv=argv)
    inittab = templates.render("inittab.j2", service=inputs.name, flavour=flavour, app=APP_SCRIPT)
    parts = RichParts(
        [with_process_args([SBIN_INIT]), with_user(0, 0),
         with_mounts([bind_mount(f"{HOST_DIR}/inittab", "/etc/inittab")])],
        {"bin/app": BundleFile(app, 0o755), "inittab": BundleFile(inittab)})
    return parts.extend(inner)
