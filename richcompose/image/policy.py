"""compose's pull policies, as compose-go's ServiceConfig.GetPullPolicy reads them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from richcompose.config.units import parse_duration
from richcompose.errors import ImageError, Location

PULL_POLICIES = ("always", "missing", "never", "build", "daily", "weekly", "every_<duration>")
_ALIASES = {"if_not_present": "missing", "refresh": "daily"}


@dataclass(frozen=True)
class PullPolicy:
    """`kind` is always, missing, never or build; `max_age` (refresh policies) makes a stored
    image older than that count as missing."""

    kind: str
    max_age: timedelta | None = None

    def stale(self, pulled: str, now: datetime) -> bool:
        if self.max_age is None or not pulled:
            return False
        try:
            return now - datetime.fromisoformat(pulled) > self.max_age
        except ValueError:
            return True


def parse_pull_policy(text: str | None, *, location: Location | None = None) -> PullPolicy:
    text = _ALIASES.get(text or "missing", text or "missing")
    if text in ("always", "missing", "never", "build"):
        return PullPolicy(text)
    if text == "daily":
        return PullPolicy("missing", timedelta(days=1))
    if text == "weekly":
        return PullPolicy("missing", timedelta(days=7))
    if text.startswith("every_"):
        try:
            return PullPolicy("missing", timedelta(seconds=parse_duration(text[6:])))
        except ValueError:
            pass
    raise ImageError(f"unknown pull policy {text!r}", location=location,
                     hint="use always, missing, never, build, daily, weekly or every_12h")
