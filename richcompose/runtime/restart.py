"""Restart policies (`no`, `always`, `on-failure[:N]`, `unless-stopped`) and docker's back-off:
100 ms doubling up to a minute, reset once a run lasted 10 s."""

from __future__ import annotations

from dataclasses import dataclass

BACKOFF_START = 0.1
BACKOFF_MAX = 60.0
RESET_AFTER = 10.0


@dataclass(frozen=True)
class RestartPolicy:
    name: str = "no"
    max_retries: int = 0  # on-failure:N; 0 = unlimited

    @classmethod
    def parse(cls, text: str | None) -> RestartPolicy:
        name, _, count = (text or "no").partition(":")
        return cls(name, int(count) if count else 0)

    def should_restart(self, exit_code: int, restarts: int) -> bool:
        """Whether a container that exited by itself (not stopped by a user) comes back."""
        if self.name in ("always", "unless-stopped"):
            return True
        if self.name == "on-failure":
            return exit_code != 0 and (self.max_retries == 0 or restarts < self.max_retries)
        return False


def backoff(attempt: int) -> float:
    """Delay before restart number `attempt` (0-based) of a container that keeps failing."""
    return float(min(BACKOFF_START * (2.0 ** attempt), BACKOFF_MAX))
