"""Names in a bundle that the renderer writes and the runtime reads, in a module of their own:
the monitor restarts containers from a bundle without importing the renderer."""

RUN_HOST_DIR = "rich-run"  # relative to the bundle, like HOST_DIR
HOOK_OUTPUT = "hooks.log"  # in RUN_DIR: hook output when PID 1's stdio is out of reach
READY_MARKER = "launcher.ready"  # in the run dir, once every system service is ready
# The engine reads this annotation to wait for the marker (see runtime/launch.py).
LAUNCHER_ANNOTATION = "org.richcompose.launcher.timeout"
