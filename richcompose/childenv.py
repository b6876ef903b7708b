"""The environment of the host-side programs richcompose runs (conmon, runc, CNI plugins, the
monitor, and the tools they find on PATH).

Why a fixed one rather than the caller's: the caller's environment may hold registry tokens,
proxies or a PATH of its own choosing; none of that is any business of a root-run runtime or
network plugin, and a plugin that logs its environment must not leak it. Only what a program
needs is given to it, on the system PATH (podman too looks its runtimes up in fixed places).
"""

from __future__ import annotations

SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def child_env(**extra: str) -> dict[str, str]:
    """PATH=SYSTEM_PATH and `extra`, nothing else."""
    return {"PATH": SYSTEM_PATH, **extra}
