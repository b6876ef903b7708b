"""The engine's configuration: one value, built once by the CLI from its flags and the
environment (cli/context.py), and passed down. No stage reads the environment itself: what a
stage needs of it (compose's bare `KEY`, registry credentials) comes from `environ` here.

Light on purpose: the CLI imports it for every command that builds an engine."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from richcompose.bundle.seccomp import DEFAULT_PROFILE, load_profile
from richcompose.errors import BundleError, UsageError
from richcompose.state import StatePaths

if TYPE_CHECKING:
    from richcompose.image.types import Progress

DEFAULT_DUMB_INIT = "/usr/local/libexec/richcompose/dumb-init"  # a static build (setup.sh)
DEFAULT_TINI = "/usr/bin/tini-static"  # Debian's tini package
# Logs are capped unless the project says otherwise: 300 MB of output once became a 457 MB log.
DEFAULT_LOG_MAX = 10 << 20
UNCONFINED = "unconfined"  # RICHCOMPOSE_SECCOMP_PROFILE's opt-out: no seccomp filter

DUMB_INIT_ENV = "RICHCOMPOSE_DUMB_INIT"
TINI_ENV = "RICHCOMPOSE_TINI"
LOG_MAX_ENV = "RICHCOMPOSE_LOG_MAX_SIZE"
SECCOMP_ENV = "RICHCOMPOSE_SECCOMP_PROFILE"


@dataclass(frozen=True)
class EngineConfig:
    paths: StatePaths
    runtime: str = "runc"  # or crun, or a path to either
    dumb_init: str = DEFAULT_DUMB_INIT  # rich mode's PID 1
    tini: str = DEFAULT_TINI  # compose's `init: true`
    # Bytes per container log when the service sets no cap of its own; 0: no cap.
    log_size_max: int = DEFAULT_LOG_MAX
    # The Docker-format default seccomp profile; None only when the user opted out.
    seccomp_profile: Path | None = DEFAULT_PROFILE
    pull_policy: str | None = None  # `up --pull`: overrides each service's pull_policy
    pull_progress: Progress | None = None  # image store events (the CLI's rich bars)
    # The host environment: compose's `KEY` without a value and `${VAR}` take it from here,
    # registry credential helpers see it.
    environ: Mapping[str, str] = field(default_factory=dict)
    # As docker compose: every container is created (netns, CNI, bundle, overlay, conmon +
    # `runc create`) in parallel ahead of its dependency gates; only `runc start` waits.
    create_ahead: bool = True

    @classmethod
    def from_environ(cls, paths: StatePaths, environ: Mapping[str, str], *,
                     runtime: str = "runc", pull_policy: str | None = None,
                     pull_progress: Progress | None = None) -> EngineConfig:
        """The command's flags, and what the environment asks for: RICHCOMPOSE_DUMB_INIT,
        RICHCOMPOSE_TINI, RICHCOMPOSE_LOG_MAX_SIZE (a bad size is a UsageError),
        RICHCOMPOSE_SECCOMP_PROFILE (a path, or `unconfined`)."""
        profile = environ.get(SECCOMP_ENV) or ""
        return cls(paths=paths, environ=environ, runtime=runtime, pull_policy=pull_policy,
                   pull_progress=pull_progress,
                   dumb_init=environ.get(DUMB_INIT_ENV) or DEFAULT_DUMB_INIT,
                   tini=environ.get(TINI_ENV) or DEFAULT_TINI,
                   log_size_max=_log_cap(environ.get(LOG_MAX_ENV) or ""),
                   seccomp_profile=None if profile == UNCONFINED else
                   Path(profile).absolute() if profile else DEFAULT_PROFILE)

    def load_seccomp_profile(self) -> dict[str, Any] | None:
        """The default profile's content, None when opted out. One that cannot be used is an
        error, never silently no filter: the hint says how to repair it or opt out."""
        if self.seccomp_profile is None:
            return None
        try:
            return load_profile(self.seccomp_profile)
        except ValueError as exc:
            bundled = self.seccomp_profile == DEFAULT_PROFILE
            raise BundleError(
                f"seccomp profile {self.seccomp_profile}: {exc}",
                hint=("reinstall richcompose (scripts/setup.sh) to restore the bundled profile"
                      if bundled else f"fix the file {SECCOMP_ENV} names")
                + f", point {SECCOMP_ENV} at a Docker-format profile, or opt out of the "
                  f"filter with {SECCOMP_ENV}={UNCONFINED}") from None


def _log_cap(raw: str) -> int:
    """RICHCOMPOSE_LOG_MAX_SIZE: a size (`16k`, `10m`, bytes), or `-1` for no cap, as docker's
    max-size."""
    from richcompose.config.units import parse_bytes

    if not raw:
        return DEFAULT_LOG_MAX
    if raw.strip() == "-1":
        return 0
    try:
        return int(parse_bytes(raw))
    except ValueError:
        raise UsageError(f"{LOG_MAX_ENV}={raw[:40]!r} is not a size",
                         hint="e.g. 10m, 512k, a number of bytes, or -1 for no cap") from None
