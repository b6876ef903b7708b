"""Signal names as compose writes them (SIGINT, INT, 2) and as Kubernetes wants them (SIGINT)."""

from __future__ import annotations

import signal

_RT = {"SIGRTMIN+3": 37}


def canonical(name: str) -> str | None:
    """SIGNAME for Kubernetes' `lifecycle.stopSignal`; None when it is not a signal."""
    text = name.strip().upper()
    if text.isdigit():
        code = int(text)
        for known, number_ in _RT.items():
            if number_ == code:
                return known
        try:
            return signal.Signals(code).name
        except ValueError:
            return None
    text = text if text.startswith("SIG") else f"SIG{text}"
    if text in _RT or text in signal.Signals.__members__:
        return text
    return None


def number(name: str) -> int | None:
    found = canonical(name)
    if found is None:
        return None
    return _RT.get(found) or int(signal.Signals[found])
