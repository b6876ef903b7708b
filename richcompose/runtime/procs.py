"""Reading /proc/PID/stat, once for everyone: a process's name and state, so a recycled PID
is never taken for ours and a zombie counts as gone (this host's PID 1 reaps late)."""

from __future__ import annotations

from pathlib import Path


def process_state(pid: int) -> tuple[str, str] | None:
    """(comm, state letter) of a process, None if there is none. The name sits between the
    first "(" and the last ")": it may itself hold spaces and parentheses."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name, _, rest = text.partition(" (")[2].rpartition(") ")
    return name, rest[:1]


def alive(pid: int) -> bool:
    """A process that is not a zombie (or dead)."""
    found = process_state(pid)
    return found is not None and found[1] not in ("Z", "X", "")


def is_process(pid: int, comm: str) -> bool:
    """A live process of that name."""
    found = process_state(pid)
    return found is not None and found[0] == comm and found[1] not in ("Z", "X", "")
