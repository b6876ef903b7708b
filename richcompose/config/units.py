"""Compose's duration (`1m30s`) and byte size (`512m`) notations."""

from __future__ import annotations

import re

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_DURATION_SCALE = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*([kmgtp]?)b?$", re.IGNORECASE)
_SIZE_SCALE = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50}


def parse_duration(value: str | int | float) -> float:
    """Seconds from a Go-style duration string (`1h2m3.5s`, `100ms`) or a number of seconds."""
    if isinstance(value, bool):
        raise ValueError("a duration is a string like '10s' or '1m30s'")
    if isinstance(value, int | float):
        return float(value)
    if not isinstance(value, str):
        raise ValueError("a duration is a string like '10s' or '1m30s', or a number of seconds")
    text = value.strip()
    if not text:
        raise ValueError("empty duration")
    pos, total = 0, 0.0
    for match in _DURATION_PART.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _DURATION_SCALE[match.group(2)]
        pos = match.end()
    if pos != len(text):
        raise ValueError(f"invalid duration {value!r}: use forms like '10s', '1m30s', '500ms'")
    return total


def parse_bytes(value: str | int) -> int:
    """Bytes from a number or a size string (`512m`, `1gb`, `100k`)."""
    if isinstance(value, bool):
        raise ValueError("a size is a number of bytes or a string like '512m'")
    if isinstance(value, int):
        return value
    if not isinstance(value, str | float):
        raise ValueError("a size is a number of bytes or a string like '512m'")
    match = _SIZE.match(str(value).strip())
    if not match:
        raise ValueError(f"invalid size {value!r}: use forms like '512m', '1g', '100k'")
    return int(float(match.group(1)) * _SIZE_SCALE[match.group(2).lower()])


def format_duration(seconds: float) -> str:
    """Compose's notation for a number of seconds: 90.0 → '1m30s', 0.5 → '500ms'."""
    if seconds <= 0:
        return "0s"
    ms = round(seconds * 1000)
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    text = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "")
    if secs and millis:
        text += f"{secs}.{millis:03d}".rstrip("0") + "s"
    elif secs:
        text += f"{secs}s"
    elif millis:
        text += f"{millis}ms"
    return text or "0s"
