"""One error family. Every user-facing error carries where it happened and what to do."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    """A place in a project file; line and column are 1-based, 0 when unknown."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.column}"
        return self.file


class RichComposeError(Exception):
    """Base of every error richcompose reports to a user.

    `exit_code` follows compose: 1 for a bad project or a failed operation, 2 for bad usage.
    """

    exit_code = 1

    def __init__(self, message: str, *, location: Location | None = None, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.location = location
        self.hint = hint

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}" if self.location else self.message
        if self.hint:
            text += f" — {self.hint}"
        return text


class ConfigError(RichComposeError):
    """The project files are wrong: a bad key, value, reference or shape."""


class GraphError(RichComposeError):
    """The dependency graph cannot be ordered (cycle, unknown service)."""


class ImageError(RichComposeError):
    """An image reference cannot be resolved, pulled or unpacked."""


class BundleError(RichComposeError):
    """A bundle cannot be rendered for a service (e.g. initscript missing in the rootfs)."""


class RuntimeFailure(RichComposeError):
    """The OCI runtime (runc/crun) failed; the message carries its stderr."""


class NetworkError(RichComposeError):
    """A CNI plugin or network namespace operation failed."""


class StateError(RichComposeError):
    """State root problems: lock held, corrupt state."""


class UsageError(RichComposeError):
    """The command line is wrong."""

    exit_code = 2


@dataclass(frozen=True)
class ConfigWarning:
    """Something in the project files richcompose accepts but does not do as written.

    Printed like an error (file:line:col, message, hint) but loading goes on.
    """

    message: str
    location: Location | None = None
    hint: str = ""

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}" if self.location else self.message
        if self.hint:
            text += f" — {self.hint}"
        return text
