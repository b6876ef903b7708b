"""Signal names as runc takes them ("TERM", "RTMIN+3", "9"), checked: an image's StopSignal is
not trusted, and runc refuses a name it does not know, which would leave the container up."""

from __future__ import annotations

import signal

_NAMES = {s.name.removeprefix("SIG") for s in signal.Signals if s.name.startswith("SIG")
          and not s.name.startswith("SIG_")}
_RT_SPAN = signal.SIGRTMAX - signal.SIGRTMIN


def signal_name(raw: str) -> str | None:
    """`raw` in runc's spelling (no SIG prefix, upper case), or None if it names no signal."""
    text = raw.strip().upper().removeprefix("SIG")
    if text.isdigit():
        return text if 0 < int(text) <= signal.SIGRTMAX else None
    if text in _NAMES:
        return text
    for base, sign in (("RTMIN", 1), ("RTMAX", -1)):
        if text.startswith(base + ("+" if sign > 0 else "-")):
            offset = text[len(base) + 1:]
            if offset.isdigit() and int(offset) <= _RT_SPAN:
                return text
    return None
