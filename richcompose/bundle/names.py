"""Names in a bundle that the renderer writes and the runtime reads, in a module of their own:
the monitor restarts containers from a bundle without importing the renderer."""

RUN_HOST_DIR = "rich-run"  # relative to the bundle, like HOST_DIR
HOOK_OUTPUT = "hooks.log"  # in RUN_DIR: hook output when PID 1's stdio is out of reach
READY_MARKER = "launcher.ready"  # in the run dir, once every system service is ready
# The engine reads this annotation to wait for the marker (see runtime/launch.py).
LAUNCHER_ANNOTATION = "org.richcompose.launcher.timeout"
# A VM (bundle/vm.py): how the engine sees its boot (`systemd` or `inittab`), how long it may
# take, and the markers PID 1's side leaves in the run dir (runtime/boot.py reads them).
BOOT_ANNOTATION = "org.richcompose.boot"
BOOT_TIMEOUT_ANNOTATION = "org.richcompose.boot.timeout"
BOOTED_MARKER = "booted"  # the inittab reached richcompose's entry
SYSTEMD_UP_MARKER = "systemd-up"  # systemd runs its boot: it can be asked how it goes
REBOOT_MARKER = "reboot"  # PID 1 is exiting for a reboot, not a power-off
DEFAULT_BOOT_TIMEOUT = 120
